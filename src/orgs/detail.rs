//! An org as its page shows it: the record, where it sits, its figures and its warnings.

use serde::Serialize;

use super::model::Org;
use super::rules::{setup_warnings, OrgFacts, Warning};
use super::stats::{self, SubtreeStats};
use super::store;
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::Conn;
use crate::error::AppResult;
use crate::members::validate::parse_date;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrgSummary {
    pub org: Org,
    /// Members in the subtree.
    pub members: i64,
    /// Live orgs in the subtree, itself included.
    pub orgs: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrgDetail {
    pub org: Org,
    /// Ancestors the caller may read, root first.
    pub ancestors: Vec<Org>,
    pub stats: SubtreeStats,
    pub warnings: Vec<Warning>,
    pub committee_seats: i64,
}

pub async fn summaries(conn: &mut Conn, orgs: Vec<Org>) -> AppResult<Vec<OrgSummary>> {
    let ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
    let totals = stats::totals(conn, &ids).await?;
    Ok(orgs
        .into_iter()
        .map(|o| {
            let (members, n) = totals.get(&o.id).copied().unwrap_or((0, 0));
            OrgSummary { org: o, members, orgs: n }
        })
        .collect())
}

pub async fn detail(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, id: i64, rules: &Rules) -> AppResult<OrgDetail> {
    let org = store::get_scoped(conn, scope, id).await?;
    let ancestors = store::ancestors(conn, &org).await?.into_iter().filter(|a| scope.covers(&a.path)).collect();
    let raw = stats::load(conn, org.id).await?;
    let today = crate::db::today();
    let stats = stats::summarize(org.id, &raw, today);
    let committee_seats = store::committee_seats(conn, &org).await?;
    let full = stats.members_by_status.iter().find(|c| c.key == "full").map(|c| c.n).unwrap_or(0);
    let facts = OrgFacts {
        kind: org.kind,
        variant: org.variant,
        domain: org.domain,
        joint_units: org.joint_units,
        term_start: org.term_start.as_deref().and_then(parse_date),
        members: stats.members,
        full_members: full,
        committee_seats,
    };
    let warnings = if org.is_dissolved() { vec![] } else { setup_warnings(&facts, &rules.org_setup, today) };
    Ok(OrgDetail { org, ancestors, stats, warnings, committee_seats })
}
