//! Read scopes as types. A [`Scope<C>`] holds the subtrees where the caller has
//! capability `C`'s permission; the only way to get one is [`Actor::scope`], which reads
//! [`MATRIX`](super::roles::MATRIX) through `Actor::subtrees`. Store reads take a scope
//! instead of the actor, so a read that skips its check does not compile.

use std::fmt;
use std::marker::PhantomData;

use super::roles::{Actor, Perm};
use crate::db::{path, Sql};
use crate::error::{AppError, AppResult};

mod sealed {
    pub trait Sealed {}
}

/// A permission as a type. Sealed: the types in [`cap`] are the only ones.
pub trait Capability: sealed::Sealed {
    const PERM: Perm;
}

macro_rules! capabilities {
    ($($name:ident),* $(,)?) => {
        /// One marker type per [`Perm`] variant, named alike.
        pub mod cap {
            $(
                #[doc = concat!("[`Perm::", stringify!($name), "`](super::Perm::", stringify!($name), ") as a type.")]
                #[derive(Clone, Copy, Debug)]
                pub struct $name;
                impl super::sealed::Sealed for $name {}
                impl super::Capability for $name {
                    const PERM: super::Perm = super::Perm::$name;
                }
            )*
        }
        // Every Perm has its capability: a new variant fails this match.
        const _: fn(Perm) = |p| match p {
            $(Perm::$name => {})*
        };
        impl Perm {
            /// Every permission, in the order of the matrix table (the list above, written once).
            pub const ALL: &'static [Perm] = &[$(Perm::$name),*];
        }
    };
}

capabilities!(
    ReadOrgs,
    WriteOrgs,
    ReadMembers,
    WriteMembers,
    ReadSensitive,
    ManageUsers,
    ReadAudit,
    Import,
    ReadOrgLife,
    WriteOrgLife,
    ReadDues,
    WriteDues,
    ReadTraining,
    WriteTraining,
    ReadResidents,
    WriteResidents,
    ReadRequests,
    WriteRequests,
    ReadDisputes,
    WriteDisputes,
    ReadRecruitment,
    WriteRecruitment,
    ReadCadres,
    WriteCadres,
    ReadVolunteering,
    WriteVolunteering,
    ReadAssessment,
    WriteAssessment,
);

/// Where the caller holds `C`: subtree path prefixes, and for a member-role caller and a
/// [self-readable](Perm::self_readable) permission, their own member id.
///
/// The fields are private and [`Actor::scope`] is the only constructor, so a function
/// that takes a `Scope<C>` can trust it came from the matrix. The capability is part of
/// the type; a scope for one permission is not accepted for another:
///
/// ```compile_fail
/// use yinghuo::auth::{cap, roles::Actor, Scope};
/// fn list_members(_: &Scope<cap::ReadMembers>) {}
/// fn caller(actor: &Actor) {
///     let orgs: Scope<cap::ReadOrgs> = actor.scope();
///     list_members(&orgs);
/// }
/// ```
pub struct Scope<C: Capability> {
    prefixes: Vec<String>,
    own_member: Option<i64>,
    cap: PhantomData<fn() -> C>,
}

impl<C: Capability> Clone for Scope<C> {
    fn clone(&self) -> Self {
        Scope { prefixes: self.prefixes.clone(), own_member: self.own_member, cap: PhantomData }
    }
}

impl<C: Capability> fmt::Debug for Scope<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("perm", &C::PERM)
            .field("prefixes", &self.prefixes)
            .field("own_member", &self.own_member)
            .finish()
    }
}

impl Actor {
    /// Where this actor holds `C::PERM`, from the matrix.
    pub fn scope<C: Capability>(&self) -> Scope<C> {
        Scope {
            prefixes: self.subtrees(C::PERM),
            own_member: if C::PERM.self_readable() { self.self_member() } else { None },
            cap: PhantomData,
        }
    }
}

impl Scope<cap::ReadAssessment> {
    /// A scorecard reads other capabilities' figures (meetings met, dues collected, hours met,
    /// requests on time) over the same subtrees: counts and totals, never their rows.
    pub fn for_figures<D: Capability>(&self) -> Scope<D> {
        Scope { prefixes: self.prefixes.clone(), own_member: None, cap: PhantomData }
    }
}

impl<C: Capability> Scope<C> {
    /// Is `org_path` inside one of the subtrees? (Own-record access is not counted.)
    pub fn covers(&self, org_path: &str) -> bool {
        self.prefixes.iter().any(|p| org_path.starts_with(p.as_str()))
    }

    /// `covers`, or NotFound: out of scope looks like absent.
    pub fn require_at(&self, org_path: &str) -> AppResult<()> {
        if self.covers(org_path) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The part of the subtree at `root` that this scope covers: `root` itself when a
    /// prefix contains it, else the prefixes that lie under it. Keeps the own member.
    pub fn within(&self, root: &str) -> Scope<C> {
        let prefixes = if self.covers(root) {
            vec![root.to_string()]
        } else {
            self.prefixes.iter().filter(|p| p.starts_with(root)).cloned().collect()
        };
        Scope { prefixes, own_member: self.own_member, cap: PhantomData }
    }

    /// No subtree (an own member may still be readable).
    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty()
    }

    /// The caller's own member record, readable as themself under this permission.
    pub fn own_member(&self) -> Option<i64> {
        self.own_member
    }

    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }

    /// Appends `AND (col in any of the subtrees)`; an empty scope matches nothing.
    pub fn push_filter(&self, sql: &mut Sql, col: &str) {
        self.push_filter_any(sql, &[col]);
    }

    /// Appends `AND (any of cols in any of the subtrees)`: a record with two orgs (a pairing)
    /// is seen from either side. An empty scope matches nothing.
    pub fn push_filter_any(&self, sql: &mut Sql, cols: &[&str]) {
        if self.prefixes.is_empty() || cols.is_empty() {
            sql.push(" AND 1=0");
            return;
        }
        sql.push(" AND (");
        let mut first = true;
        for col in cols {
            for p in &self.prefixes {
                if !first {
                    sql.push(" OR ");
                }
                first = false;
                sql.push("(").push(col).push(" >= ").bind(p.clone());
                sql.push(" AND ").push(col).push(" < ").bind(path::upper(p)).push(")");
            }
        }
        sql.push(")");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::roles::Role;

    fn actor(grants: &[(Role, &str)]) -> Actor {
        crate::auth::roles::test_actor(grants)
    }

    #[test]
    fn a_member_reads_members_only_as_themself() {
        let a = actor(&[(Role::Member, "/1/2/")]);
        let s: Scope<cap::ReadMembers> = a.scope();
        assert!(s.is_empty());
        assert_eq!(s.own_member(), Some(7));
        assert!(!s.covers("/1/2/"));
        // Not self-readable: no own member.
        assert_eq!(a.scope::<cap::ReadOrgs>().own_member(), None);
        // Other roles read as their grants, not as themselves.
        assert_eq!(actor(&[(Role::BranchSecretary, "/1/2/")]).scope::<cap::ReadMembers>().own_member(), None);
    }

    #[test]
    fn a_member_reads_their_org() {
        let s: Scope<cap::ReadOrgs> = actor(&[(Role::Member, "/1/2/")]).scope();
        assert!(s.covers("/1/2/"));
        assert!(s.covers("/1/2/5/"));
        assert!(!s.covers("/1/3/"));
        assert!(s.require_at("/1/3/").is_err());
        assert_eq!(s.prefixes(), ["/1/2/".to_string()]);
    }

    #[test]
    fn within_narrows() {
        let a = actor(&[(Role::BranchSecretary, "/1/2/5/"), (Role::BranchSecretary, "/1/2/6/"), (Role::OrgAdmin, "/1/3/")]);
        let s: Scope<cap::ReadMembers> = a.scope();
        assert_eq!(s.within("/1/2/").prefixes(), ["/1/2/5/".to_string(), "/1/2/6/".to_string()]);
        assert_eq!(s.within("/1/3/4/").prefixes(), ["/1/3/4/".to_string()]);
        assert!(s.within("/1/4/").is_empty());
        assert!(!s.within("/1/2/").covers("/1/3/"));
    }

    #[test]
    fn an_empty_scope_filters_everything_out() {
        let s: Scope<cap::ReadAudit> = actor(&[(Role::Member, "/1/2/")]).scope();
        let mut sql = Sql::new("SELECT 1 FROM orgs WHERE 1=1");
        s.push_filter(&mut sql, "path");
        assert_eq!(sql.text, "SELECT 1 FROM orgs WHERE 1=1 AND 1=0");
        assert!(sql.args.is_empty());

        let s: Scope<cap::ReadOrgs> = actor(&[(Role::Member, "/1/2/")]).scope();
        let mut sql = Sql::new("WHERE 1=1");
        s.push_filter(&mut sql, "path");
        assert_eq!(sql.text, "WHERE 1=1 AND ((path >= $1 AND path < $2))");
    }
}
