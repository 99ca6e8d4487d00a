//! What each read and each write of the API needs from the permission matrix
//! ([`crate::auth::roles::MATRIX`]). Handlers enforce it through the stores; these tables state
//! it once per operation, so the generated role × operation tests (tests/matrix.rs) can compare
//! every answer with the matrix. Unit tests fail when an operation of the OpenAPI document is
//! missing here.

use crate::auth::roles::Perm;

/// GET operations and the permission each needs at the org of what it reads (`None`: any
/// signed-in caller, about themself). A member reads their own record, dues, hours and the
/// meetings they attend through [`Perm::self_readable`].
pub const READS: &[(&str, Option<Perm>)] = {
    use Perm::*;
    &[
        ("/api/v1/me", None),
        ("/api/v1/orgs", None),
        ("/api/v1/households/template.xlsx", None),
        ("/api/v1/audit", Some(ReadAudit)),
        ("/api/v1/users", Some(ManageUsers)),
        ("/api/v1/orgs/{id}", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/children", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/stats", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/dashboard", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/dashboard.xlsx", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/theme-day-checklist", Some(ReadOrgs)),
        ("/api/v1/members", Some(ReadMembers)),
        ("/api/v1/orgs/{id}/members.xlsx", Some(ReadMembers)),
        ("/api/v1/members/{id}", Some(ReadMembers)),
        ("/api/v1/members/{id}/transfers", Some(ReadMembers)),
        ("/api/v1/members/{id}/sensitive", Some(ReadSensitive)),
        ("/api/v1/orgs/{id}/meetings", Some(ReadOrgLife)),
        ("/api/v1/orgs/{id}/meetings.xlsx", Some(ReadOrgLife)),
        ("/api/v1/orgs/{id}/compliance", Some(ReadOrgLife)),
        ("/api/v1/orgs/{id}/compliance.xlsx", Some(ReadOrgLife)),
        ("/api/v1/orgs/{id}/reminders", Some(ReadOrgLife)),
        ("/api/v1/meetings/{id}", Some(ReadOrgLife)),
        ("/api/v1/meetings/{id}/files/{file_id}", Some(ReadOrgLife)),
        ("/api/v1/meetings/{id}/qr.svg", Some(WriteOrgLife)),
        ("/api/v1/orgs/{id}/dues", Some(ReadDues)),
        ("/api/v1/orgs/{id}/dues.xlsx", Some(ReadDues)),
        ("/api/v1/members/{id}/dues", Some(ReadDues)),
        ("/api/v1/orgs/{id}/training/classes", Some(ReadTraining)),
        ("/api/v1/orgs/{id}/training.xlsx", Some(ReadTraining)),
        ("/api/v1/members/{id}/training", Some(ReadTraining)),
        ("/api/v1/training/classes/{id}", Some(ReadTraining)),
        ("/api/v1/training/classes/{id}/bulletin", Some(ReadTraining)),
        ("/api/v1/training/classes/{id}/report", Some(ReadTraining)),
        ("/api/v1/orgs/{id}/governance", Some(ReadResidents)),
        ("/api/v1/orgs/{id}/grids", Some(ReadResidents)),
        ("/api/v1/grids/{id}", Some(ReadResidents)),
        ("/api/v1/grids/{id}/households", Some(ReadResidents)),
        ("/api/v1/households/{id}", Some(ReadResidents)),
        ("/api/v1/orgs/{id}/requests/open", Some(ReadRequests)),
        ("/api/v1/orgs/{id}/requests/report", Some(ReadRequests)),
        ("/api/v1/orgs/{id}/requests.xlsx", Some(ReadRequests)),
        ("/api/v1/orgs/{id}/teams", Some(ReadRequests)),
        ("/api/v1/requests/{id}", Some(ReadRequests)),
        ("/api/v1/orgs/{id}/disputes/open", Some(ReadDisputes)),
        ("/api/v1/orgs/{id}/disputes/report", Some(ReadDisputes)),
        ("/api/v1/orgs/{id}/disputes.xlsx", Some(ReadDisputes)),
        ("/api/v1/disputes/{id}", Some(ReadDisputes)),
        ("/api/v1/recruitment/{id}", Some(ReadRecruitment)),
        ("/api/v1/orgs/{id}/recruitment", Some(ReadRecruitment)),
        ("/api/v1/orgs/{id}/recruitment/files", Some(ReadRecruitment)),
        ("/api/v1/orgs/{id}/recruitment.xlsx", Some(ReadRecruitment)),
        ("/api/v1/mobile-members/{id}", Some(ReadMembers)),
        ("/api/v1/orgs/{id}/mobile-members", Some(ReadMembers)),
        ("/api/v1/orgs/{id}/mobile-members.xlsx", Some(ReadMembers)),
        ("/api/v1/orgs/{id}/team", Some(ReadOrgs)),
        ("/api/v1/delegates/{id}", Some(ReadCadres)),
        ("/api/v1/orgs/{id}/delegates", Some(ReadCadres)),
        ("/api/v1/orgs/{id}/delegates.xlsx", Some(ReadCadres)),
        ("/api/v1/pairings/{id}", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/pairings", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/pairings.xlsx", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/cadres", Some(ReadCadres)),
        ("/api/v1/orgs/{id}/cadres.xlsx", Some(ReadCadres)),
        ("/api/v1/cadres/{id}", Some(ReadCadres)),
        ("/api/v1/cadres/{id}/docs/{doc_id}", Some(ReadCadres)),
        ("/api/v1/points/civic-items", None),
        ("/api/v1/orgs/{id}/points", Some(ReadOrgLife)),
        ("/api/v1/orgs/{id}/points.xlsx", Some(ReadOrgLife)),
        ("/api/v1/orgs/{id}/points-catalog", Some(ReadOrgs)),
        ("/api/v1/points/members/{id}", Some(ReadOrgLife)),
        ("/api/v1/points/households/{id}", Some(ReadResidents)),
        ("/api/v1/orgs/{id}/supermarket", Some(ReadResidents)),
        ("/api/v1/supermarket/{id}", Some(ReadResidents)),
        ("/api/v1/supermarket/{id}/households", Some(ReadResidents)),
        ("/api/v1/supermarket/{id}/redemptions", Some(ReadResidents)),
        ("/api/v1/supermarket/{id}/ledger.xlsx", Some(ReadResidents)),
        ("/api/v1/volunteering/mine", None),
        ("/api/v1/volunteering/activities/{id}", Some(ReadVolunteering)),
        ("/api/v1/volunteering/activities/{id}/qr.svg", Some(WriteVolunteering)),
        ("/api/v1/orgs/{id}/volunteering", Some(ReadVolunteering)),
        ("/api/v1/orgs/{id}/volunteering.xlsx", Some(ReadVolunteering)),
        ("/api/v1/village-affairs/matters/{id}", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/village-affairs", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/village-affairs.xlsx", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/powers", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/powers.xlsx", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/powers/catalog", Some(ReadOrgs)),
        ("/api/v1/village-affairs/powers/uses/{id}", Some(ReadOrgs)),
        ("/api/v1/village-affairs/commitments/{id}", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/commitments", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/commitments.xlsx", Some(ReadOrgs)),
        ("/api/v1/assessment/branches/{id}", Some(ReadAssessment)),
        ("/api/v1/assessment/entries/{id}/file", Some(ReadAssessment)),
        ("/api/v1/orgs/{id}/assessment", Some(ReadAssessment)),
        ("/api/v1/orgs/{id}/assessment.xlsx", Some(ReadAssessment)),
        ("/api/v1/orgs/{id}/assessment/rubric", Some(ReadAssessment)),
        ("/api/v1/rectification/cases/{id}", Some(ReadAssessment)),
        ("/api/v1/orgs/{id}/economy", Some(ReadOrgs)),
        ("/api/v1/service-ratings/ratings/{id}", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/service-ratings", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/service-ratings.xlsx", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/economy.xlsx", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/economy/incomes", Some(ReadOrgs)),
        ("/api/v1/centers/{id}", Some(ReadOrgs)),
        ("/api/v1/centers/photos/{id}", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/centers", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/centers.xlsx", Some(ReadOrgs)),
        ("/api/v1/orgs/{id}/rectification", Some(ReadAssessment)),
        ("/api/v1/orgs/{id}/rectification.xlsx", Some(ReadAssessment)),
        ("/api/v1/orgs/{id}/rectification/suggestions", Some(ReadAssessment)),
    ]
};

/// The permission a GET operation needs, if it is listed.
pub fn read_perm(path: &str) -> Option<Option<Perm>> {
    READS.iter().find(|(p, _)| *p == path).map(|(_, perm)| *perm)
}

/// POST, PUT, PATCH and DELETE operations (method as the OpenAPI document spells it) and the
/// permission each needs at the org of the record it writes, or of the org its body names
/// (`None`: signing in and out, one's own password, the public meeting sign-in). Imports of
/// members and orgs are gated anywhere the role is held; each row is then checked at its org.
pub const WRITES: &[(&str, &str, Option<Perm>)] = {
    use Perm::*;
    &[
        ("post", "/api/v1/auth/login", None),
        ("post", "/api/v1/auth/logout", None),
        ("post", "/api/v1/users/{id}/password", None),
        ("post", "/api/v1/sign-in/{token}", None),
        ("post", "/api/v1/orgs", Some(WriteOrgs)),
        ("patch", "/api/v1/orgs/{id}", Some(WriteOrgs)),
        ("post", "/api/v1/orgs/{id}/move", Some(WriteOrgs)),
        ("post", "/api/v1/orgs/{id}/dissolve", Some(WriteOrgs)),
        ("post", "/api/v1/import/orgs", Some(WriteOrgs)),
        ("post", "/api/v1/members", Some(WriteMembers)),
        ("patch", "/api/v1/members/{id}", Some(WriteMembers)),
        ("post", "/api/v1/members/{id}/transfer", Some(WriteMembers)),
        ("post", "/api/v1/import/members", Some(Import)),
        ("post", "/api/v1/users", Some(ManageUsers)),
        ("post", "/api/v1/users/{id}/roles", Some(ManageUsers)),
        ("delete", "/api/v1/users/{id}/roles/{role_id}", Some(ManageUsers)),
        ("post", "/api/v1/users/{id}/disabled", Some(ManageUsers)),
        ("post", "/api/v1/meetings", Some(WriteOrgLife)),
        ("post", "/api/v1/meetings/{id}/attendance", Some(WriteOrgLife)),
        ("post", "/api/v1/meetings/{id}/hold", Some(WriteOrgLife)),
        ("post", "/api/v1/meetings/{id}/vote", Some(WriteOrgLife)),
        ("post", "/api/v1/meetings/{id}/close", Some(WriteOrgLife)),
        ("post", "/api/v1/meetings/{id}/amendments", Some(WriteOrgLife)),
        ("put", "/api/v1/meetings/{id}/items", Some(WriteOrgLife)),
        ("post", "/api/v1/meetings/{id}/files", Some(WriteOrgLife)),
        ("put", "/api/v1/orgs/{id}/theme-day-checklist", Some(WriteOrgs)),
        ("post", "/api/v1/members/{id}/dues/basis", Some(WriteDues)),
        ("post", "/api/v1/members/{id}/dues/adjustments", Some(WriteDues)),
        ("post", "/api/v1/members/{id}/dues/payments", Some(WriteDues)),
        ("post", "/api/v1/training/classes", Some(WriteTraining)),
        ("post", "/api/v1/training/classes/{id}/sessions", Some(WriteTraining)),
        ("post", "/api/v1/training/classes/{id}/enrollments", Some(WriteTraining)),
        ("post", "/api/v1/training/classes/{id}/withdrawals", Some(WriteTraining)),
        ("post", "/api/v1/training/sessions/{id}/marks", Some(WriteTraining)),
        ("post", "/api/v1/grids", Some(WriteResidents)),
        ("post", "/api/v1/grids/{id}/buildings", Some(WriteResidents)),
        ("post", "/api/v1/buildings/{id}/assignments", Some(WriteResidents)),
        ("delete", "/api/v1/assignments/{id}", Some(WriteResidents)),
        ("post", "/api/v1/households", Some(WriteResidents)),
        ("patch", "/api/v1/households/{id}", Some(WriteResidents)),
        ("post", "/api/v1/households/{id}/residents", Some(WriteResidents)),
        ("post", "/api/v1/households/{id}/special", Some(WriteResidents)),
        ("post", "/api/v1/special/{id}/records", Some(WriteResidents)),
        ("post", "/api/v1/orgs/{id}/households/import", Some(WriteResidents)),
        ("post", "/api/v1/orgs/{id}/teams", Some(WriteRequests)),
        ("post", "/api/v1/requests", Some(WriteRequests)),
        ("post", "/api/v1/requests/{id}/actions", Some(WriteRequests)),
        ("post", "/api/v1/requests/{id}/tracking-code", Some(WriteRequests)),
        ("post", "/api/v1/disputes", Some(WriteDisputes)),
        ("post", "/api/v1/disputes/{id}/actions", Some(WriteDisputes)),
        ("post", "/api/v1/orgs/{id}/disputes/escalate-overdue", Some(WriteDisputes)),
        ("post", "/api/v1/recruitment", Some(WriteRecruitment)),
        ("post", "/api/v1/recruitment/{id}/steps", Some(WriteRecruitment)),
        ("post", "/api/v1/recruitment/{id}/reviews", Some(WriteRecruitment)),
        ("post", "/api/v1/recruitment/{id}/probation", Some(WriteRecruitment)),
        ("post", "/api/v1/recruitment/{id}/withdraw", Some(WriteRecruitment)),
        ("post", "/api/v1/mobile-members", Some(WriteMembers)),
        ("patch", "/api/v1/mobile-members/{id}", Some(WriteMembers)),
        ("post", "/api/v1/mobile-members/{id}/ledger", Some(WriteMembers)),
        ("post", "/api/v1/mobile-members/{id}/return", Some(WriteMembers)),
        ("post", "/api/v1/orgs/{id}/team", Some(WriteOrgs)),
        ("post", "/api/v1/team-seats/{id}/end", Some(WriteOrgs)),
        ("post", "/api/v1/delegates", Some(WriteCadres)),
        ("post", "/api/v1/delegates/{id}/reviews", Some(WriteCadres)),
        ("post", "/api/v1/delegates/{id}/terminate", Some(WriteCadres)),
        ("post", "/api/v1/pairings", Some(WriteOrgs)),
        ("post", "/api/v1/pairings/{id}/activities", Some(WriteOrgLife)),
        ("post", "/api/v1/pairings/{id}/end", Some(WriteOrgs)),
        ("post", "/api/v1/cadres/{id}/docs", Some(WriteCadres)),
        ("post", "/api/v1/cadres/{id}/reserves", Some(WriteCadres)),
        ("post", "/api/v1/cadres/{id}/director", Some(WriteCadres)),
        ("post", "/api/v1/cadres/{id}/first-secretaries", Some(WriteCadres)),
        ("post", "/api/v1/cadres/{id}/assessments", Some(WriteCadres)),
        ("post", "/api/v1/cadre-reserves/{id}/remove", Some(WriteCadres)),
        ("post", "/api/v1/first-secretaries/{id}/end", Some(WriteCadres)),
        ("post", "/api/v1/points/households/{id}/civic", Some(WriteResidents)),
        ("put", "/api/v1/orgs/{id}/points-catalog", Some(WriteOrgs)),
        ("post", "/api/v1/points/members/{id}/entries", Some(WriteOrgLife)),
        ("post", "/api/v1/points/transfers/{id}/reverse", Some(WriteResidents)),
        ("post", "/api/v1/supermarket", Some(WriteResidents)),
        ("post", "/api/v1/supermarket/{id}/goods", Some(WriteResidents)),
        ("post", "/api/v1/supermarket/{id}/stock", Some(WriteResidents)),
        ("post", "/api/v1/supermarket/{id}/redeem", Some(WriteResidents)),
        // Members sign themselves up and scan the door QR; an activity not open to them is 404.
        ("post", "/api/v1/volunteering/activities/{id}/join", None),
        ("post", "/api/v1/volunteering/scan/{token}", None),
        ("post", "/api/v1/volunteering/activities", Some(WriteVolunteering)),
        ("post", "/api/v1/volunteering/activities/{id}/cancel", Some(WriteVolunteering)),
        ("post", "/api/v1/volunteering/activities/{id}/signups", Some(WriteVolunteering)),
        ("post", "/api/v1/volunteering/activities/{id}/confirm", Some(WriteVolunteering)),
        ("post", "/api/v1/volunteering/signups/{id}/withdraw", Some(WriteVolunteering)),
        ("post", "/api/v1/volunteering/signups/{id}/check", Some(WriteVolunteering)),
        ("post", "/api/v1/volunteering/signups/{id}/minutes", Some(WriteVolunteering)),
        ("post", "/api/v1/village-affairs/matters", Some(WriteOrgLife)),
        ("post", "/api/v1/village-affairs/matters/{id}/steps", Some(WriteOrgLife)),
        ("put", "/api/v1/orgs/{id}/powers/catalog", Some(WriteOrgs)),
        ("post", "/api/v1/village-affairs/powers/uses", Some(WriteOrgLife)),
        ("post", "/api/v1/village-affairs/powers/uses/{id}/steps", Some(WriteOrgLife)),
        ("post", "/api/v1/village-affairs/commitments", Some(WriteOrgLife)),
        ("post", "/api/v1/village-affairs/commitments/{id}/fulfil", Some(WriteOrgLife)),
        ("post", "/api/v1/village-affairs/commitments/{id}/check", Some(WriteOrgs)),
        ("post", "/api/v1/village-affairs/commitments/{id}/fail", Some(WriteOrgs)),
        ("post", "/api/v1/assessment/branches/{id}/entries", Some(WriteAssessment)),
        ("post", "/api/v1/assessment/branches/{id}/ratings", Some(WriteAssessment)),
        // The rated branch appeals: whoever reads its scorecard.
        ("post", "/api/v1/assessment/branches/{id}/appeals", Some(ReadAssessment)),
        ("post", "/api/v1/assessment/branches/{id}/reviews", Some(WriteAssessment)),
        ("post", "/api/v1/assessment/branches/{id}/titles", Some(WriteAssessment)),
        ("put", "/api/v1/orgs/{id}/assessment/rubric", Some(WriteAssessment)),
        ("post", "/api/v1/rectification/cases", Some(WriteAssessment)),
        ("post", "/api/v1/economy/incomes", Some(WriteOrgs)),
        ("post", "/api/v1/service-ratings/windows", Some(WriteOrgs)),
        ("post", "/api/v1/service-ratings/windows/{id}/ratings", Some(WriteOrgs)),
        ("post", "/api/v1/service-ratings/ratings/{id}/followups", Some(WriteOrgs)),
        ("post", "/api/v1/economy/incomes/{id}/reverse", Some(WriteOrgs)),
        ("post", "/api/v1/economy/cooperatives", Some(WriteOrgs)),
        ("post", "/api/v1/economy/cooperatives/{id}/level", Some(WriteOrgs)),
        ("post", "/api/v1/centers", Some(WriteOrgs)),
        ("post", "/api/v1/centers/{id}/checks", Some(WriteOrgs)),
        ("post", "/api/v1/rectification/cases/{id}/plan", Some(WriteAssessment)),
        ("post", "/api/v1/rectification/cases/{id}/forces", Some(WriteAssessment)),
        ("post", "/api/v1/rectification/cases/{id}/measures", Some(WriteAssessment)),
        ("post", "/api/v1/rectification/cases/{id}/problems", Some(WriteAssessment)),
        ("post", "/api/v1/rectification/cases/{id}/close", Some(WriteAssessment)),
        ("post", "/api/v1/rectification/problems/{id}", Some(WriteAssessment)),
    ]
};

/// The permission a write operation needs, if it is listed (`method` in any case).
pub fn write_perm(method: &str, path: &str) -> Option<Option<Perm>> {
    WRITES.iter().find(|(m, p, _)| m.eq_ignore_ascii_case(method) && *p == path).map(|(_, _, perm)| *perm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_get_operation_is_in_the_table() {
        let doc = serde_json::to_value(super::super::api::openapi_doc()).unwrap();
        let mut gets: Vec<String> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            if item.get("get").is_some() {
                gets.push(path.clone());
            }
        }
        let missing: Vec<&String> = gets.iter().filter(|p| read_perm(p).is_none()).collect();
        assert!(missing.is_empty(), "GET operations without a permission in web::matrix::READS: {missing:?}");
        let stale: Vec<&str> = READS.iter().map(|(p, _)| *p).filter(|p| !gets.iter().any(|g| g == p)).collect();
        assert!(stale.is_empty(), "READS lists operations the API does not have: {stale:?}");
    }

    #[test]
    fn every_write_operation_is_in_the_table() {
        let doc = serde_json::to_value(super::super::api::openapi_doc()).unwrap();
        let mut writes: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    writes.push((method.to_string(), path.clone()));
                }
            }
        }
        let missing: Vec<&(String, String)> = writes.iter().filter(|(m, p)| write_perm(m, p).is_none()).collect();
        assert!(missing.is_empty(), "write operations without a permission in web::matrix::WRITES: {missing:?}");
        let stale: Vec<(&str, &str)> =
            WRITES.iter().map(|(m, p, _)| (*m, *p)).filter(|(m, p)| !writes.iter().any(|(wm, wp)| wm == m && wp == p)).collect();
        assert!(stale.is_empty(), "WRITES lists operations the API does not have: {stale:?}");
    }
}
