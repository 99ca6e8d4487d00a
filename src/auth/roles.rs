//! Roles and what they permit. A role is held at an org and grants that org's
//! subtree; [`Actor`] turns a user's roles into the subtrees each permission covers.

use serde::Serialize;

crate::code_enum!(
    Role {
        CountyAdmin = ("county_admin", "组织部管理员"),
        OrgAdmin = ("org_admin", "党(工)委/党建办"),
        BranchSecretary = ("branch_secretary", "支部书记/组织委员"),
        Member = ("member", "党员"),
        GridWorker = ("grid_worker", "网格员"),
    }
);

/// One capability × access. Write never implies read: the matrix lists both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Perm {
    ReadOrgs,
    WriteOrgs,
    ReadMembers,
    WriteMembers,
    /// Read full ID numbers and phones of members, residents, parties and contacts (each read is audited).
    ReadSensitive,
    ManageUsers,
    ReadAudit,
    Import,
    /// Meetings, attendance, compliance (组织生活).
    ReadOrgLife,
    WriteOrgLife,
    /// Dues bases, payments, arrears (党费): wages are personal data.
    ReadDues,
    WriteDues,
    /// Classes, sessions, marks, hours (学习培训).
    ReadTraining,
    WriteTraining,
    /// Grids, buildings, households, residents and special groups (网格).
    ReadResidents,
    WriteResidents,
    /// Residents' requests (诉求/微心愿).
    ReadRequests,
    WriteRequests,
    /// Disputes (矛盾纠纷).
    ReadDisputes,
    WriteDisputes,
    /// Recruitment files (发展党员): applicants' ID numbers, reviews, political review.
    ReadRecruitment,
    WriteRecruitment,
    /// Delegates (党代表) and village cadres (一人一档, 后备干部, 第一书记, 年度考核): the county
    /// organization department's files on people, kept from the branches they are about.
    ReadCadres,
    WriteCadres,
    /// Volunteering activities, sign-ups, check-ins and confirmed hours (志愿服务).
    ReadVolunteering,
    WriteVolunteering,
    /// Star ratings (星级评定): scorecards from records, assessors' entries, ratings, appeals, titles.
    ReadAssessment,
    WriteAssessment,
}

impl Perm {
    // `Perm::ALL` is generated with the capability types (auth/scope.rs), from one list.

    /// A member reads these about themself (own record with its full ID number and phone,
    /// meetings attended, own dues and hours) without any subtree grant.
    pub fn self_readable(self) -> bool {
        matches!(self, Perm::ReadMembers | Perm::ReadSensitive | Perm::ReadOrgLife | Perm::ReadDues | Perm::ReadTraining)
    }

    pub fn label(self) -> &'static str {
        match self {
            Perm::ReadOrgs => "查看党组织",
            Perm::WriteOrgs => "调整党组织",
            Perm::ReadMembers => "查看党员",
            Perm::WriteMembers => "维护党员",
            Perm::ReadSensitive => "查看完整证件号和电话",
            Perm::ManageUsers => "管理账号",
            Perm::ReadAudit => "查看操作日志",
            Perm::Import => "导入",
            Perm::ReadOrgLife => "查看组织生活",
            Perm::WriteOrgLife => "记录组织生活",
            Perm::ReadDues => "查看党费",
            Perm::WriteDues => "收缴党费",
            Perm::ReadTraining => "查看学习培训",
            Perm::WriteTraining => "组织学习培训",
            Perm::ReadResidents => "查看网格和住户",
            Perm::WriteResidents => "维护网格和住户",
            Perm::ReadRequests => "查看群众诉求",
            Perm::WriteRequests => "办理群众诉求",
            Perm::ReadDisputes => "查看矛盾纠纷",
            Perm::WriteDisputes => "调处矛盾纠纷",
            Perm::ReadRecruitment => "查看发展党员",
            Perm::WriteRecruitment => "办理发展党员",
            Perm::ReadCadres => "查看党代表和村干部",
            Perm::WriteCadres => "管理党代表和村干部",
            Perm::ReadVolunteering => "查看志愿服务",
            Perm::WriteVolunteering => "组织志愿服务",
            Perm::ReadAssessment => "查看考评",
            Perm::WriteAssessment => "考评定星",
        }
    }
}

/// The permission matrix: what each role grants in the subtree of the org where it is held.
/// README shows the same table; `matrix_markdown` prints it.
pub const MATRIX: &[(Role, &[Perm])] = {
    use Perm::*;
    &[
        (Role::CountyAdmin, Perm::ALL),
        // A township office supervises its subtree and manages its users, not county-wide rules.
        (Role::OrgAdmin, Perm::ALL),
        (
            Role::BranchSecretary,
            &[
                ReadOrgs, ReadMembers, WriteMembers, ReadSensitive, Import, ReadOrgLife, WriteOrgLife, ReadDues, WriteDues,
                ReadTraining, WriteTraining, ReadResidents, WriteResidents, ReadRequests, WriteRequests, ReadDisputes,
                WriteDisputes, ReadRecruitment, WriteRecruitment, ReadVolunteering, WriteVolunteering, ReadAssessment,
            ],
        ),
        // A member sees the orgs above them and, through Perm::self_readable, their own record,
        // meetings, dues and hours: nothing about other members or residents.
        (Role::Member, &[ReadOrgs]),
        // A grid worker keeps households, requests and disputes and organizes volunteering; members
        // are read to pick 党员中心户 and claimants. No dues (wages), meetings or training.
        (
            Role::GridWorker,
            &[
                ReadOrgs, ReadMembers, ReadResidents, WriteResidents, ReadRequests, WriteRequests, ReadDisputes, WriteDisputes,
                ReadVolunteering, WriteVolunteering,
            ],
        ),
    ]
};

impl Role {
    pub fn grants(self, perm: Perm) -> bool {
        MATRIX.iter().any(|(r, perms)| *r == self && perms.contains(&perm))
    }
    /// Roles an org admin may hand out below them; county admins may hand out any.
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Role::CountyAdmin => true,
            Role::OrgAdmin => other != Role::CountyAdmin,
            _ => false,
        }
    }
}

/// The matrix as a Markdown table (README): roles across, permissions down.
pub fn matrix_markdown() -> String {
    let roles: Vec<Role> = MATRIX.iter().map(|(r, _)| *r).collect();
    let mut out = String::from("| | ");
    out.push_str(&roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(" | "));
    out.push_str(" |\n|---|");
    out.push_str(&roles.iter().map(|_| "---").collect::<Vec<_>>().join("|"));
    out.push_str("|\n");
    for &p in Perm::ALL {
        out.push_str(&format!("| {} (`{:?}`) |", p.label(), p));
        for r in &roles {
            let mark = if r.grants(p) {
                " ✓ "
            } else if *r == Role::Member && p.self_readable() {
                " 本人 "
            } else {
                " "
            };
            out.push_str(mark);
            out.push('|');
        }
        out.push('\n');
    }
    out
}

#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    pub role: Role,
    pub org_id: i64,
    #[serde(skip)]
    pub org_path: String,
    pub org_name: String,
}

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub member_id: Option<i64>,
    pub grants: Vec<Grant>,
    /// CSRF token of the browser session (None for API tokens).
    pub csrf: Option<String>,
    /// A generated or reset password not yet replaced: nothing but changing it is allowed.
    pub must_change_password: bool,
}

impl Actor {
    /// Path prefixes of the subtrees where `perm` is granted, with nested ones removed.
    /// Outside `auth`, reads go through [`Actor::scope`].
    pub(super) fn subtrees(&self, perm: Perm) -> Vec<String> {
        let mut paths: Vec<String> = self
            .grants
            .iter()
            .filter(|g| g.role.grants(perm))
            .map(|g| g.org_path.clone())
            .collect();
        paths.sort();
        paths.dedup();
        let mut out: Vec<String> = Vec::new();
        for p in paths {
            if !out.iter().any(|o| p.starts_with(o.as_str())) {
                out.push(p);
            }
        }
        out
    }

    pub fn can(&self, perm: Perm, org_path: &str) -> bool {
        self.grants.iter().any(|g| g.role.grants(perm) && org_path.starts_with(&g.org_path))
    }

    /// `can`, as an error naming what the role may not do (403: the caller may read the record).
    pub fn require(&self, perm: Perm, org_path: &str) -> crate::error::AppResult<()> {
        if self.can(perm, org_path) {
            Ok(())
        } else {
            Err(crate::error::AppError::forbidden(format!("您的角色无权在该组织{}", perm.label())))
        }
    }

    pub fn can_anywhere(&self, perm: Perm) -> bool {
        self.grants.iter().any(|g| g.role.grants(perm))
    }

    /// The member record a member-role caller may read as themself (see Perm::self_readable).
    pub fn self_member(&self) -> Option<i64> {
        if self.grants.iter().any(|g| g.role == Role::Member) {
            self.member_id
        } else {
            None
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// May this actor grant `role` at `org_path`?
    pub fn may_grant(&self, role: Role, org_path: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role.grants(Perm::ManageUsers) && g.role.may_grant(role) && org_path.starts_with(&g.org_path))
    }
}

/// An actor with the given roles (and member record 7), for unit tests of this module and scope.
#[cfg(test)]
pub(crate) fn test_actor(grants: &[(Role, &str)]) -> Actor {
    Actor {
        user_id: 1,
        username: "u".into(),
        display_name: "u".into(),
        member_id: Some(7),
        grants: grants
            .iter()
            .map(|(r, p)| Grant { role: *r, org_id: 0, org_path: p.to_string(), org_name: String::new() })
            .collect(),
        csrf: None,
        must_change_password: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(grants: &[(Role, &str)]) -> Actor {
        test_actor(grants)
    }

    #[test]
    fn subtrees_merge_nested_grants() {
        let a = actor(&[(Role::OrgAdmin, "/1/2/"), (Role::BranchSecretary, "/1/2/5/"), (Role::BranchSecretary, "/1/3/")]);
        assert_eq!(a.subtrees(Perm::ReadMembers), vec!["/1/2/".to_string(), "/1/3/".to_string()]);
        assert_eq!(a.subtrees(Perm::ManageUsers), vec!["/1/2/".to_string()]);
        assert!(a.can(Perm::WriteMembers, "/1/3/9/"));
        assert!(!a.can(Perm::WriteMembers, "/1/30/"));
        assert!(!a.can(Perm::WriteOrgs, "/1/3/"));
    }

    #[test]
    fn readme_shows_the_matrix() {
        let readme = include_str!("../../README.md");
        assert!(readme.contains(&matrix_markdown()), "README's permission table differs from MATRIX; paste:\n{}", matrix_markdown());
    }

    #[test]
    fn members_see_only_themselves() {
        let a = actor(&[(Role::Member, "/1/2/")]);
        assert!(a.subtrees(Perm::ReadMembers).is_empty());
        assert_eq!(a.self_member(), Some(7));
        assert!(!a.may_grant(Role::Member, "/1/2/"));
    }

    #[test]
    fn org_admins_cannot_make_county_admins() {
        let a = actor(&[(Role::OrgAdmin, "/1/2/")]);
        assert!(a.may_grant(Role::BranchSecretary, "/1/2/4/"));
        assert!(!a.may_grant(Role::CountyAdmin, "/1/2/"));
        assert!(!a.may_grant(Role::BranchSecretary, "/1/3/"));
    }
}
