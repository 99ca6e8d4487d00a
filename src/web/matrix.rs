//! What each read of the API needs from the permission matrix ([`crate::auth::roles::MATRIX`]).
//! Handlers enforce it through the stores; this table states it once per operation, so the
//! generated role × operation test (tests/matrix.rs) can compare every answer with the matrix.
//! A unit test fails when a GET operation of the OpenAPI document is missing here.

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
    ]
};

/// The permission a GET operation needs, if it is listed.
pub fn read_perm(path: &str) -> Option<Option<Perm>> {
    READS.iter().find(|(p, _)| *p == path).map(|(_, perm)| *perm)
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
}
