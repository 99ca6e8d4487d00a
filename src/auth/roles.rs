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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Perm {
    ReadOrgs,
    WriteOrgs,
    ReadMembers,
    WriteMembers,
    /// Read full ID numbers and phones (each read is audited).
    ReadSensitive,
    ManageUsers,
    ReadAudit,
    Import,
    /// Plan and record meetings, attendance, dues (组织生活).
    ManageOrgLife,
    /// Grids, households, residents' requests and disputes (网格治理).
    ManageGovernance,
}

impl Role {
    pub fn grants(self, perm: Perm) -> bool {
        use Perm::*;
        match self {
            Role::CountyAdmin => true,
            Role::OrgAdmin => true,
            Role::BranchSecretary => matches!(perm, ReadOrgs | ReadMembers | WriteMembers | ReadSensitive | Import | ManageOrgLife | ManageGovernance),
            // A member reads the orgs above them and their own record only (see Actor::self_member).
            Role::Member => matches!(perm, ReadOrgs),
            Role::GridWorker => matches!(perm, ReadOrgs | ReadMembers | ManageGovernance),
        }
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
}

impl Actor {
    /// Path prefixes of the subtrees where `perm` is granted, with nested ones removed.
    pub fn subtrees(&self, perm: Perm) -> Vec<String> {
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

    pub fn can_anywhere(&self, perm: Perm) -> bool {
        self.grants.iter().any(|g| g.role.grants(perm))
    }

    /// A member reads their own record even without a subtree grant.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(grants: &[(Role, &str)]) -> Actor {
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
        }
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
