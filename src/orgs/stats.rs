//! Subtree counters. Every write that adds, removes or moves members or orgs
//! adjusts `org_stats` for the whole ancestor chain in its own transaction, so
//! reading a subtree's figures costs the same at the root as at a branch.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::Row as _;

use crate::db::{Conn, Sql};
use crate::error::AppResult;
use crate::members::model::{Education, Gender, MemberStatus};
use crate::orgs::model::{OrgDomain, OrgKind};

pub const DIM_ORGS: &str = "orgs";
pub const DIM_MEMBERS: &str = "members";
pub const DIM_STATUS: &str = "status";
pub const DIM_GENDER: &str = "gender";
pub const DIM_BIRTH_YEAR: &str = "birth_year";
pub const DIM_EDUCATION: &str = "education";
pub const DIM_DOMAIN: &str = "domain";
/// Open recruitment files per stage (发展党员, `recruitment::store`).
pub const DIM_RECRUIT: &str = "recruit";

/// The facts about a member that the counters track.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemberFacts {
    pub status: MemberStatus,
    pub gender: Gender,
    pub birth_year: i32,
    pub education: Education,
    pub domain: OrgDomain,
}

/// Accumulated counter changes, applied in one batch. Members are tallied per
/// (org, facts) first and spread over the ancestors only when applied, so a bulk
/// import costs one small hash update per row.
#[derive(Clone, Default, Debug)]
pub struct StatsDelta {
    d: HashMap<(i64, &'static str, String), i64>,
    members: HashMap<(i64, MemberFacts), i64>,
    ancestors: HashMap<i64, Vec<i64>>,
}

impl StatsDelta {
    pub fn add(&mut self, org_id: i64, dim: &'static str, key: &str, n: i64) {
        *self.d.entry((org_id, dim, key.to_string())).or_insert(0) += n;
    }

    /// Counts (or uncounts, with `sign` -1) a member in every org of `ancestors`
    /// (root first, the member's own org last).
    pub fn member(&mut self, ancestors: &[i64], f: &MemberFacts, sign: i64) {
        let Some(&org) = ancestors.last() else { return };
        self.ancestors.entry(org).or_insert_with(|| ancestors.to_vec());
        *self.members.entry((org, f.clone())).or_insert(0) += sign;
    }

    fn spread_member(&mut self, ancestors: &[i64], f: &MemberFacts, sign: i64) {
        let year = f.birth_year.to_string();
        for &a in ancestors {
            self.add(a, DIM_MEMBERS, "all", sign);
            self.add(a, DIM_STATUS, f.status.code(), sign);
            self.add(a, DIM_GENDER, f.gender.code(), sign);
            self.add(a, DIM_BIRTH_YEAR, &year, sign);
            self.add(a, DIM_EDUCATION, f.education.code(), sign);
            self.add(a, DIM_DOMAIN, f.domain.code(), sign);
        }
    }

    pub fn org(&mut self, ancestors: &[i64], kind: OrgKind, sign: i64) {
        for &a in ancestors {
            self.add(a, DIM_ORGS, kind.code(), sign);
        }
    }

    fn spread(&mut self) {
        let members = std::mem::take(&mut self.members);
        let ancestors = std::mem::take(&mut self.ancestors);
        for ((org, f), n) in members {
            if n != 0 {
                self.spread_member(&ancestors[&org], &f, n);
            }
        }
    }

    pub fn is_empty(&mut self) -> bool {
        self.spread();
        self.d.values().all(|v| *v == 0)
    }

    pub async fn apply(mut self, conn: &mut Conn) -> AppResult<()> {
        self.spread();
        let mut rows: Vec<_> = self.d.into_iter().filter(|(_, n)| *n != 0).collect();
        // One order for every writer: concurrent upserts of overlapping counters cannot deadlock.
        rows.sort();
        for chunk in rows.chunks(400) {
            let mut sql = Sql::bulk(conn, "INSERT INTO org_stats (org_id, dim, key, n) VALUES ");
            for (i, ((org, dim, key), n)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(").bind(*org).push(", ").bind(*dim).push(", ").bind(key.clone()).push(", ").bind(*n).push(")");
            }
            sql.push(" ON CONFLICT (org_id, dim, key) DO UPDATE SET n = org_stats.n + excluded.n");
            sql.query().execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Raw counters of one org's subtree: dim → key → n.
pub async fn load(conn: &mut Conn, org_id: i64) -> AppResult<BTreeMap<String, BTreeMap<String, i64>>> {
    Ok(load_many(conn, &[org_id], None).await?.remove(&org_id).unwrap_or_default())
}

/// Raw counters of many orgs (only `dims` when given): org → dim → key → n, one row per org.
pub async fn load_many(conn: &mut Conn, ids: &[i64], dims: Option<&[&str]>) -> AppResult<HashMap<i64, BTreeMap<String, BTreeMap<String, i64>>>> {
    let mut out: HashMap<i64, BTreeMap<String, BTreeMap<String, i64>>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let agg = crate::db::agg_triples(conn, "dim", "key", "n");
        let mut sql = Sql::new(&format!("SELECT org_id, {agg} AS body FROM org_stats WHERE n <> 0 AND org_id IN ("));
        sql.bind_list(chunk.iter().copied()).push(")");
        if let Some(dims) = dims {
            sql.push(" AND dim IN (").bind_list(dims.iter().copied()).push(")");
        }
        sql.push(" GROUP BY org_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let o = out.entry(r.try_get("org_id")?).or_default();
            for (d, k, n) in crate::db::triples(&r.try_get::<Option<String>, _>("body")?.unwrap_or_default(), ',') {
                o.entry(d.to_string()).or_default().insert(k.to_string(), n);
            }
        }
    }
    Ok(out)
}

/// Subtree totals (members, orgs) for many orgs at once, for tree listings.
pub async fn totals(conn: &mut Conn, org_ids: &[i64]) -> AppResult<HashMap<i64, (i64, i64)>> {
    let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
    for chunk in org_ids.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let mut sql = Sql::new("SELECT org_id, dim, CAST(SUM(n) AS BIGINT) AS n FROM org_stats WHERE dim IN ('members', 'orgs') AND org_id IN (");
        sql.bind_list(chunk.iter().copied());
        sql.push(") GROUP BY org_id, dim");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let id: i64 = r.try_get("org_id")?;
            let dim: String = r.try_get("dim")?;
            let n: i64 = r.try_get("n")?;
            let e = out.entry(id).or_default();
            if dim == DIM_MEMBERS { e.0 = n } else { e.1 = n }
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub n: i64,
}

/// Subtree figures as the API and the org page show them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SubtreeStats {
    pub org_id: i64,
    pub members: i64,
    pub orgs: i64,
    pub orgs_by_kind: Vec<Count>,
    pub members_by_status: Vec<Count>,
    pub members_by_gender: Vec<Count>,
    /// Age on 31 December of `age_year`, the convention of the Party's annual statistics.
    pub members_by_age_band: Vec<Count>,
    pub age_year: i32,
    pub members_by_education: Vec<Count>,
    pub members_by_domain: Vec<Count>,
}

/// Age bands of the Party's statistical reports.
pub const AGE_BANDS: &[(i32, i32, &str)] = &[
    (0, 30, "30岁及以下"),
    (31, 35, "31至35岁"),
    (36, 40, "36至40岁"),
    (41, 45, "41至45岁"),
    (46, 50, "46至50岁"),
    (51, 55, "51至55岁"),
    (56, 60, "56至60岁"),
    (61, 70, "61至70岁"),
    (71, 200, "71岁及以上"),
];

pub fn summarize(org_id: i64, raw: &BTreeMap<String, BTreeMap<String, i64>>, today: NaiveDate) -> SubtreeStats {
    let empty = BTreeMap::new();
    let dim = |d: &str| raw.get(d).unwrap_or(&empty);
    fn coded<T: Copy>(m: &BTreeMap<String, i64>, all: &[T], code: fn(T) -> &'static str, label: fn(T) -> &'static str) -> Vec<Count> {
        all.iter()
            .map(|v| Count { key: code(*v).into(), label: label(*v).into(), n: *m.get(code(*v)).unwrap_or(&0) })
            .collect()
    }
    let year = today.year();
    let mut bands: Vec<Count> = AGE_BANDS.iter().map(|(lo, _, l)| Count { key: lo.to_string(), label: l.to_string(), n: 0 }).collect();
    for (k, n) in dim(DIM_BIRTH_YEAR) {
        if let Ok(by) = k.parse::<i32>() {
            let age = year - by;
            if let Some(i) = AGE_BANDS.iter().position(|(lo, hi, _)| age >= *lo && age <= *hi) {
                bands[i].n += n;
            }
        }
    }
    let orgs_by_kind = coded(dim(DIM_ORGS), OrgKind::ALL, OrgKind::code, OrgKind::label);
    SubtreeStats {
        org_id,
        members: *dim(DIM_MEMBERS).get("all").unwrap_or(&0),
        orgs: orgs_by_kind.iter().map(|c| c.n).sum(),
        orgs_by_kind,
        members_by_status: coded(dim(DIM_STATUS), MemberStatus::ALL, MemberStatus::code, MemberStatus::label),
        members_by_gender: coded(dim(DIM_GENDER), Gender::ALL, Gender::code, Gender::label),
        members_by_age_band: bands,
        age_year: year,
        members_by_education: coded(dim(DIM_EDUCATION), Education::ALL, Education::code, Education::label),
        members_by_domain: coded(dim(DIM_DOMAIN), OrgDomain::ALL, OrgDomain::code, OrgDomain::label),
    }
}

/// The `'static` name of a stored dimension.
/// The dimension named `d`, or `None` for one this build does not know (a move refuses to
/// guess rather than file its counts under another dimension).
pub fn static_dim(d: &str) -> Option<&'static str> {
    [DIM_ORGS, DIM_MEMBERS, DIM_STATUS, DIM_GENDER, DIM_BIRTH_YEAR, DIM_EDUCATION, DIM_DOMAIN, DIM_RECRUIT].into_iter().find(|x| *x == d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dimension_is_known_and_no_other() {
        for d in [DIM_ORGS, DIM_MEMBERS, DIM_STATUS, DIM_GENDER, DIM_BIRTH_YEAR, DIM_EDUCATION, DIM_DOMAIN, DIM_RECRUIT] {
            assert_eq!(static_dim(d), Some(d));
        }
        assert_eq!(static_dim("mobile"), None, "an unknown dimension is not filed under another");
    }

    #[test]
    fn delta_nets_out_and_bands_by_year_end_age() {
        let f = MemberFacts {
            status: MemberStatus::Full,
            gender: Gender::Female,
            birth_year: 1996,
            education: Education::Bachelor,
            domain: OrgDomain::Rural,
        };
        let mut d = StatsDelta::default();
        d.member(&[1, 2], &f, 1);
        d.member(&[1, 2], &f, -1);
        assert!(d.is_empty());
        let mut d = StatsDelta::default();
        d.member(&[1, 2], &f, 1);
        d.member(&[1, 3], &f, 1);
        assert!(!d.is_empty());
        assert_eq!(d.d[&(1, DIM_MEMBERS, "all".to_string())], 2);
        assert_eq!(d.d[&(3, DIM_GENDER, "female".to_string())], 1);

        let mut raw = BTreeMap::new();
        raw.insert(DIM_BIRTH_YEAR.to_string(), BTreeMap::from([("1996".to_string(), 2), ("1995".to_string(), 3)]));
        let s = summarize(1, &raw, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(s.members_by_age_band[0].n, 2); // 30 on 31 Dec 2026
        assert_eq!(s.members_by_age_band[1].n, 3); // 31
    }
}
