//! Village cadres in the database: for each village and community (the top rural or community
//! org under a township), its secretary's 一人一档 archive (uploaded documents), the 后备干部库,
//! the 村委会主任 (for 一肩挑), the 选派第一书记 with term and subsidy, and the secretary's annual
//! assessments; the overview of a subtree computes every flag of `cadres::rules` in a fixed
//! number of queries. The secretary is the one in post in the org's leadership team
//! (`orgs::team`), so nothing here repeats who holds the post.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, ArchiveDoc, Assessment, AssessmentGrade, FirstSecretary, SecretaryFacts, VillageHeads};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::codes::FlagView;
use crate::config::Rules;
use crate::db::{now_secs, Conn, Sql};
use crate::dues::rules::yuan;
use crate::error::{is_unique_violation, AppError, AppResult};
use crate::files::StoredFile;
use crate::members::id_card::IdCardNumber;
use crate::members::validate::{past_day as day, short_text};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;

/// Files of one kind in one secretary's archive, at most.
pub const MAX_DOCS_PER_KIND: i64 = 20;
/// An overview lists at most this many villages (a province has about 20,000).
pub const MAX_VILLAGES: i64 = 30_000;

/// Orgs that are a village or community: rural or community domain, under an org that is not.
pub const VILLAGE_WHERE: &str = "o.dissolved_on IS NULL AND o.domain IN ('rural', 'community') AND o.kind IN ('committee', 'general_branch', 'branch') \
    AND NOT EXISTS (SELECT 1 FROM orgs up WHERE up.id = o.parent_id AND up.domain IN ('rural', 'community'))";

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub member_id: Option<i64>,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FirstSecretaryView {
    pub id: i64,
    pub name: String,
    /// 派出单位.
    pub unit: String,
    pub phone: String,
    pub started_on: String,
    /// The day the term is over (2 years by default).
    pub term_end: String,
    /// Monthly subsidy (生活补助), integer fen, and as yuan.
    pub subsidy_fen_month: i64,
    pub subsidy_yuan_month: String,
    pub ended_on: Option<String>,
    pub end_reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VillageRow {
    pub org_id: i64,
    pub name: String,
    pub secretary: Option<Person>,
    pub director: Option<Person>,
    /// The secretary is also the 村委会主任 (一肩挑).
    pub one_shoulder: bool,
    /// Documents of the current secretary's archive present, of those required.
    pub docs_present: usize,
    pub docs_required: usize,
    pub reserves: i64,
    pub secretary_reserves: i64,
    pub first_secretary: Option<FirstSecretaryView>,
    /// Reserves, first secretary's term, “四不一起” signs; each with its rule and records.
    pub flags: Vec<FlagView>,
    #[serde(skip)]
    pub path: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub org_id: i64,
    pub org_name: String,
    pub villages: Vec<VillageRow>,
    pub one_shoulder: usize,
    /// “66.17%”, of villages with both posts recorded or not.
    pub one_shoulder_percent: String,
    pub one_shoulder_basis_points: Option<u32>,
    pub archives_complete: usize,
    pub reserves_short: usize,
    pub first_secretaries: usize,
    pub warning_signs: usize,
    pub summary: String,
}

fn flag_view(f: rules::Flag) -> FlagView {
    FlagView { code: f.code.code().into(), label: f.code.label().into(), message: f.message, rule: f.rule, since: f.since.map(|d| d.to_string()) }
}

fn fs_view(cfg: &Rules, r: &crate::db::Row) -> AppResult<FirstSecretaryView> {
    let started_on: String = r.try_get("started_on")?;
    let fen: i64 = r.try_get("subsidy_fen_month")?;
    Ok(FirstSecretaryView {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        unit: r.try_get("unit")?,
        phone: r.try_get("phone")?,
        term_end: started_on.parse().map(|d| crate::recruitment::rules::add_months(d, cfg.cadres.first_secretary_term_months).to_string()).unwrap_or_default(),
        started_on,
        subsidy_fen_month: fen,
        subsidy_yuan_month: yuan(fen),
        ended_on: r.try_get("ended_on")?,
        end_reason: r.try_get("end_reason")?,
    })
}

/// The villages of `root`'s subtree inside `scope`, with every figure and flag.
async fn rows(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadCadres>, root: &Org) -> AppResult<Vec<VillageRow>> {
    let scope = scope.within(&root.path);
    let today = crate::db::today();
    let filtered = |head: &str| {
        let mut sql = Sql::new(head);
        scope.push_filter(&mut sql, "o.path");
        sql
    };
    let mut sql = filtered(&format!("SELECT o.id, o.name, o.path FROM orgs o WHERE {VILLAGE_WHERE}"));
    sql.push(" ORDER BY o.path LIMIT ").bind(MAX_VILLAGES);
    let mut villages: Vec<VillageRow> = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        villages.push(VillageRow {
            org_id: r.try_get("id")?,
            name: r.try_get("name")?,
            path: r.try_get("path")?,
            secretary: None,
            director: None,
            one_shoulder: false,
            docs_present: 0,
            docs_required: cfg.cadres.required_docs.len(),
            reserves: 0,
            secretary_reserves: 0,
            first_secretary: None,
            flags: Vec::new(),
        });
    }
    if villages.is_empty() {
        return Ok(villages);
    }
    let today_s = today.to_string();
    // Secretaries in post today (the latest start wins if the team holds two; the team page flags it).
    let mut sec: HashMap<i64, (i64, String, String)> = HashMap::new();
    let mut sql = filtered("SELECT s.org_id, s.member_id, m.name, m.birth_date, s.starts_on FROM org_team s JOIN members m ON m.id = s.member_id JOIN orgs o ON o.id = s.org_id WHERE s.post = 'secretary'");
    sql.push(" AND s.starts_on <= ").bind(today_s.clone()).push(" AND (s.ends_on IS NULL OR s.ends_on > ").bind(today_s.clone()).push(")");
    sql.push(" ORDER BY s.starts_on");
    for r in sql.query().fetch_all(&mut *conn).await? {
        sec.insert(r.try_get("org_id")?, (r.try_get("member_id")?, r.try_get("name")?, r.try_get("birth_date")?));
    }
    let mut dir: HashMap<i64, (Option<i64>, String)> = HashMap::new();
    for r in filtered("SELECT v.org_id, v.member_id, v.name FROM village_directors v JOIN orgs o ON o.id = v.org_id WHERE v.ends_on IS NULL").query().fetch_all(&mut *conn).await? {
        dir.insert(r.try_get("org_id")?, (r.try_get("member_id")?, r.try_get("name")?));
    }
    let mut res: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut sql = filtered("SELECT r.org_id, COUNT(*) AS n, CAST(SUM(r.for_secretary) AS BIGINT) AS s FROM cadre_reserves r JOIN orgs o ON o.id = r.org_id WHERE r.removed_on IS NULL");
    sql.push(" GROUP BY r.org_id");
    for r in sql.query().fetch_all(&mut *conn).await? {
        res.insert(r.try_get("org_id")?, (r.try_get("n")?, r.try_get::<Option<i64>, _>("s")?.unwrap_or(0)));
    }
    let mut docs: HashMap<(i64, i64), Vec<ArchiveDoc>> = HashMap::new();
    for r in filtered("SELECT DISTINCT d.org_id, d.member_id, d.kind FROM cadre_docs d JOIN orgs o ON o.id = d.org_id WHERE 1 = 1").query().fetch_all(&mut *conn).await? {
        let kind: String = r.try_get("kind")?;
        if let Some(k) = ArchiveDoc::parse(&kind) {
            docs.entry((r.try_get("org_id")?, r.try_get("member_id")?)).or_default().push(k);
        }
    }
    let mut fs: HashMap<i64, FirstSecretaryView> = HashMap::new();
    let head = "SELECT f.id, f.org_id, f.name, f.unit, f.phone, f.started_on, f.subsidy_fen_month, f.ended_on, f.end_reason FROM first_secretaries f JOIN orgs o ON o.id = f.org_id WHERE f.ended_on IS NULL";
    for r in filtered(head).query().fetch_all(&mut *conn).await? {
        fs.insert(r.try_get("org_id")?, fs_view(cfg, &r)?);
    }
    let mut grades: HashMap<i64, Assessment> = HashMap::new();
    let mut sql = filtered("SELECT a.member_id, a.year, a.grade FROM cadre_assessments a JOIN orgs o ON o.id = a.org_id WHERE 1 = 1");
    sql.push(" ORDER BY a.year");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let (year, grade): (i64, String) = (r.try_get("year")?, r.try_get("grade")?);
        if let Some(grade) = AssessmentGrade::parse(&grade) {
            grades.insert(r.try_get("member_id")?, Assessment { year: year as i32, grade });
        }
    }
    let incomes = crate::economy::store::last_year_incomes(conn, &cfg.economy, &root.path).await?;
    for v in villages.iter_mut() {
        let mut flags = Vec::new();
        if let Some((mid, name, birth)) = sec.remove(&v.org_id) {
            let present = docs.get(&(v.org_id, mid)).cloned().unwrap_or_default();
            v.docs_present = v.docs_required - rules::missing_docs(&cfg.cadres, &present).len();
            let collective_income = incomes.get(&v.org_id).map(|&(year, fen)| rules::YearIncome { year, fen });
            let facts = SecretaryFacts { name: name.clone(), village: v.name.clone(), birth_date: birth.parse().ok(), collective_income, latest_assessment: grades.get(&mid).cloned() };
            flags.extend(rules::warning_signs(&cfg.cadres, &facts, today));
            v.secretary = Some(Person { member_id: Some(mid), name });
        }
        if let Some((mid, name)) = dir.remove(&v.org_id) {
            v.director = Some(Person { member_id: mid, name });
        }
        v.one_shoulder = heads(v).one_shoulder();
        let (n, s) = res.remove(&v.org_id).unwrap_or((0, 0));
        (v.reserves, v.secretary_reserves) = (n, s);
        flags.extend(rules::reserve_warnings(&cfg.cadres, n as u32, s as u32));
        if let Some(f) = fs.remove(&v.org_id) {
            if let Ok(started_on) = f.started_on.parse() {
                flags.extend(rules::first_secretary_flags(&cfg.cadres, &FirstSecretary { name: f.name.clone(), village: v.name.clone(), started_on, ended_on: None }, today));
            }
            v.first_secretary = Some(f);
        }
        v.flags = flags.into_iter().map(flag_view).collect();
    }
    Ok(villages)
}

fn heads(v: &VillageRow) -> VillageHeads {
    VillageHeads { village_id: v.org_id, secretary_id: v.secretary.as_ref().and_then(|p| p.member_id), director_id: v.director.as_ref().and_then(|p| p.member_id) }
}

/// Every village of a subtree: secretary, 一肩挑, archive, reserves, first secretary, flags.
pub async fn overview(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadCadres>, root: &Org) -> AppResult<Overview> {
    let villages = rows(conn, cfg, scope, root).await?;
    let ratio = rules::one_shoulder_ratio(&villages.iter().map(heads).collect::<Vec<_>>());
    let archives_complete = villages.iter().filter(|v| v.secretary.is_some() && v.docs_present == v.docs_required).count();
    let short = [rules::FlagCode::ReservesTooFew.code(), rules::FlagCode::SecretaryReservesTooFew.code()];
    let reserves_short = villages.iter().filter(|v| v.flags.iter().any(|f| short.contains(&f.code.as_str()))).count();
    let four = [rules::FlagCode::AgeOver.code(), rules::FlagCode::IncomeLow.code(), rules::FlagCode::AssessedIncompetent.code()];
    let warning_signs = villages.iter().filter(|v| v.flags.iter().any(|f| four.contains(&f.code.as_str()))).count();
    let first_secretaries = villages.iter().filter(|v| v.first_secretary.is_some()).count();
    let summary = format!(
        "{}：村（社区）{} 个；“一肩挑” {} 个，占 {}；书记档案齐全 {} 个；后备力量不足 {} 个；选派第一书记 {} 名；有“四不一起”提示的书记 {} 名。",
        root.name,
        villages.len(),
        ratio.one_shoulder,
        ratio.percent(),
        archives_complete,
        reserves_short,
        first_secretaries,
        warning_signs
    );
    Ok(Overview {
        org_id: root.id,
        org_name: root.name.clone(),
        one_shoulder: ratio.one_shoulder as usize,
        one_shoulder_percent: ratio.percent(),
        one_shoulder_basis_points: ratio.basis_points,
        villages,
        archives_complete,
        reserves_short,
        first_secretaries,
        warning_signs,
        summary,
    })
}

/// The 村（社区）干部台账 as a workbook: one row per village.
pub async fn overview_xlsx(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadCadres>, root: &Org) -> AppResult<Vec<u8>> {
    let o = overview(conn, cfg, scope, root).await?;
    let headers = ["村（社区）", "党组织书记", "村委会主任", "一肩挑", "书记档案", "后备力量", "其中书记后备", "第一书记", "第一书记任期至", "提示"];
    let widths = [20.0, 10.0, 10.0, 8.0, 10.0, 8.0, 10.0, 16.0, 12.0, 70.0];
    let rows = o.villages.into_iter().map(|v| {
        vec![
            v.name,
            v.secretary.map(|p| p.name).unwrap_or_default(),
            v.director.map(|p| p.name).unwrap_or_default(),
            if v.one_shoulder { "是".into() } else { String::new() },
            format!("{}/{}", v.docs_present, v.docs_required),
            v.reserves.to_string(),
            v.secretary_reserves.to_string(),
            v.first_secretary.as_ref().map(|f| format!("{}（{}）", f.name, f.unit)).unwrap_or_default(),
            v.first_secretary.map(|f| f.term_end).unwrap_or_default(),
            v.flags.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("；"),
        ]
    });
    crate::members::sheets::write_table_xlsx(&format!("{}村（社区）干部台账", root.name), &headers, &widths, rows).map_err(|e| AppError::invalid("export_failed", e))
}

// ---------------------------------------------------------------------------------------------
// One village
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DocView {
    pub kind: String,
    pub kind_label: String,
    #[serde(flatten)]
    pub file: StoredFile,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DocKind {
    pub kind: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReserveView {
    pub id: i64,
    pub name: String,
    /// Masked (the full number is on the record only).
    pub id_number: String,
    pub birth_date: String,
    pub member_id: Option<i64>,
    pub education: String,
    /// 现任职务 (村委委员, 网格员, 返乡创业青年 …).
    pub present_post: String,
    pub for_secretary: bool,
    pub added_on: String,
    pub removed_on: Option<String>,
    pub removed_reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub year: i64,
    pub grade: String,
    pub grade_label: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VillageFile {
    #[serde(flatten)]
    pub row: VillageRow,
    /// The current secretary's documents, by kind.
    pub docs: Vec<DocView>,
    /// Required kinds with no document yet.
    pub missing: Vec<DocKind>,
    /// The 后备干部库: current first, then those removed.
    pub reserves_list: Vec<ReserveView>,
    pub first_secretaries: Vec<FirstSecretaryView>,
    pub assessments: Vec<AssessmentView>,
}

/// Whether the org is a village or community (see [`VILLAGE_WHERE`]).
pub async fn is_village(conn: &mut Conn, org_id: i64) -> AppResult<bool> {
    let sql = format!("SELECT COUNT(*) FROM orgs o WHERE o.id = $1 AND {VILLAGE_WHERE}");
    Ok(sqlx::query_scalar::<_, i64>(&sql).bind(org_id).fetch_one(&mut *conn).await? > 0)
}

/// The village or community `org_id` where the caller records `what` with `perm`: scope first
/// (404), then the permission (403, naming `what`), then the kind of org (422 `not_a_village`,
/// telling to choose a village). `org_id` None: 403 for a caller who may record it nowhere, else
/// 422 `org_required`.
pub async fn village_to_record(conn: &mut Conn, actor: &Actor, org_id: Option<i64>, perm: Perm, what: &str) -> AppResult<Org> {
    let org_id = match org_id {
        Some(id) => id,
        None if !actor.can_anywhere(perm) => return Err(AppError::forbidden(format!("您的角色无权登记{what}"))),
        None => return Err(AppError::invalid_field("org_required", "org_id", "请选择村（社区）党组织")),
    };
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), org_id).await?;
    if !actor.can(perm, &org.path) {
        return Err(AppError::forbidden(format!("您的角色无权为{}登记{what}", org.name)));
    }
    if !is_village(conn, org.id).await? {
        return Err(AppError::invalid_field("not_a_village", "org_id", format!("{what}按村（社区）登记：请选择村或社区党组织")));
    }
    Ok(org)
}

/// A village or community inside `scope`; NotFound for any other org.
pub async fn village(conn: &mut Conn, scope: &Scope<cap::ReadCadres>, id: i64) -> AppResult<Org> {
    let org = orgs::get_scoped(conn, scope, id).await?;
    if !is_village(conn, org.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(org)
}

async fn writable_village(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<Org> {
    let org = village(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteCadres, &org.path) {
        return Err(AppError::forbidden("您的角色无权管理村（社区）干部"));
    }
    Ok(org)
}

/// One village's cadre file.
pub async fn village_file(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadCadres>, id: i64) -> AppResult<VillageFile> {
    let org = village(conn, scope, id).await?;
    let row = rows(conn, cfg, scope, &org).await?.into_iter().find(|v| v.org_id == org.id).ok_or(AppError::NotFound)?;
    let mut docs = Vec::new();
    let mut present = Vec::new();
    if let Some(mid) = row.secretary.as_ref().and_then(|p| p.member_id) {
        let rs = sqlx::query("SELECT id, kind, name, content_type, size, sha256, at FROM cadre_docs WHERE org_id = $1 AND member_id = $2 ORDER BY kind, id").bind(org.id).bind(mid).fetch_all(&mut *conn).await?;
        for r in &rs {
            let kind: String = r.try_get("kind")?;
            let k = ArchiveDoc::parse(&kind);
            present.extend(k);
            docs.push(DocView { kind_label: k.map(|k| k.label()).unwrap_or("").into(), kind, file: StoredFile::from_row(r)? });
        }
        docs.sort_by_key(|d| (ArchiveDoc::parse(&d.kind), d.file.id));
    }
    let missing = rules::missing_docs(&cfg.cadres, &present).into_iter().map(|k| DocKind { kind: k.code().into(), label: k.label().into() }).collect();
    let rs = sqlx::query("SELECT id, name, id_number, member_id, education, present_post, for_secretary, added_on, removed_on, removed_reason FROM cadre_reserves WHERE org_id = $1 ORDER BY removed_on IS NOT NULL, for_secretary DESC, added_on, id")
        .bind(org.id)
        .fetch_all(&mut *conn)
        .await?;
    let mut reserves_list = Vec::new();
    for r in &rs {
        let idn: String = r.try_get("id_number")?;
        let parsed = IdCardNumber::parse(&idn).ok();
        reserves_list.push(ReserveView {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            birth_date: parsed.as_ref().map(|p| p.birth_date().to_string()).unwrap_or_default(),
            id_number: parsed.map(|p| p.masked()).unwrap_or_default(),
            member_id: r.try_get("member_id")?,
            education: r.try_get("education")?,
            present_post: r.try_get("present_post")?,
            for_secretary: r.try_get::<i64, _>("for_secretary")? != 0,
            added_on: r.try_get("added_on")?,
            removed_on: r.try_get("removed_on")?,
            removed_reason: r.try_get("removed_reason")?,
        });
    }
    let rs = sqlx::query("SELECT id, name, unit, phone, started_on, subsidy_fen_month, ended_on, end_reason FROM first_secretaries WHERE org_id = $1 ORDER BY started_on DESC, id DESC").bind(org.id).fetch_all(&mut *conn).await?;
    let first_secretaries = rs.iter().map(|r| fs_view(cfg, r)).collect::<AppResult<Vec<_>>>()?;
    let rs = sqlx::query("SELECT a.year, a.grade, m.name FROM cadre_assessments a JOIN members m ON m.id = a.member_id WHERE a.org_id = $1 ORDER BY a.year DESC").bind(org.id).fetch_all(&mut *conn).await?;
    let mut assessments = Vec::new();
    for r in &rs {
        let grade: String = r.try_get("grade")?;
        assessments.push(AssessmentView { year: r.try_get("year")?, grade_label: AssessmentGrade::parse(&grade).map(|g| g.label()).unwrap_or("").into(), grade, name: r.try_get("name")? });
    }
    Ok(VillageFile { row, docs, missing, reserves_list, first_secretaries, assessments })
}

async fn current_secretary(conn: &mut Conn, org: &Org) -> AppResult<(i64, String)> {
    let today = crate::db::today().to_string();
    let r = sqlx::query(
        "SELECT s.member_id, m.name FROM org_team s JOIN members m ON m.id = s.member_id WHERE s.org_id = $1 AND s.post = 'secretary' AND s.starts_on <= $2 AND (s.ends_on IS NULL OR s.ends_on > $2) ORDER BY s.starts_on DESC LIMIT 1",
    )
    .bind(org.id)
    .bind(&today)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::invalid("no_secretary", format!("{}没有在任书记：请先在“领导班子”中登记书记", org.name)))?;
    Ok((r.try_get("member_id")?, r.try_get("name")?))
}

/// Adds a document to the current secretary's archive.
pub async fn add_doc(conn: &mut Conn, actor: &Actor, org_id: i64, kind: &str, name: &str, data: &[u8]) -> AppResult<DocView> {
    let org = writable_village(conn, actor, org_id).await?;
    let kind = ArchiveDoc::parse(kind).ok_or_else(|| AppError::invalid_field("kind_invalid", "kind", format!("请选择档案类别：{}", ArchiveDoc::labels())))?;
    let (mid, sec_name) = current_secretary(conn, &org).await?;
    let checked = crate::files::check(name, data)?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cadre_docs WHERE member_id = $1 AND kind = $2").bind(mid).bind(kind.code()).fetch_one(&mut *conn).await?;
    if n >= MAX_DOCS_PER_KIND {
        return Err(AppError::invalid("too_many_files", format!("“{}”已有{n}个文件，每类最多{MAX_DOCS_PER_KIND}个", kind.label())));
    }
    let now = now_secs();
    let id: i64 = sqlx::query_scalar("INSERT INTO cadre_docs (org_id, member_id, kind, name, content_type, size, sha256, data, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
        .bind(org.id)
        .bind(mid)
        .bind(kind.code())
        .bind(&checked.name)
        .bind(checked.content_type)
        .bind(data.len() as i64)
        .bind(&checked.sha256)
        .bind(data.to_vec())
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
    let file = StoredFile { id, name: checked.name, content_type: checked.content_type.into(), size: data.len() as i64, sha256: checked.sha256, at: now };
    audit::record(conn, Some(actor), "cadre.doc", "org", Some(org.id), &org, None, Some(&serde_json::json!({"secretary": sec_name, "kind": kind.label(), "file": file.name}))).await?;
    Ok(DocView { kind: kind.code().into(), kind_label: kind.label().into(), file })
}

/// A document of a village inside `scope`, with its bytes.
pub async fn doc(conn: &mut Conn, scope: &Scope<cap::ReadCadres>, org_id: i64, doc_id: i64) -> AppResult<(StoredFile, Vec<u8>)> {
    let org = village(conn, scope, org_id).await?;
    let r = sqlx::query("SELECT id, name, content_type, size, sha256, at, data FROM cadre_docs WHERE org_id = $1 AND id = $2").bind(org.id).bind(doc_id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    Ok((StoredFile::from_row(&r)?, r.try_get("data")?))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReserveInput {
    pub name: Option<String>,
    /// 18 characters (GB 11643); the birth date comes from it.
    pub id_number: Option<String>,
    /// When the reserve is a Party member of the village.
    pub member_id: Option<i64>,
    pub education: Option<String>,
    /// 现任职务.
    pub present_post: Option<String>,
    /// A reserve for 党组织书记.
    #[serde(default)]
    pub for_secretary: bool,
    /// YYYY-MM-DD.
    pub added_on: Option<String>,
}

/// Adds a person to the village's 后备干部库 (once per ID number while listed).
pub async fn add_reserve(conn: &mut Conn, actor: &Actor, org_id: i64, input: &ReserveInput) -> AppResult<ReserveView> {
    let org = writable_village(conn, actor, org_id).await?;
    let mut name = short_text("name", &input.name, 20, "姓名")?;
    let member_id = match input.member_id {
        Some(mid) => {
            let m = crate::members::store::get_scoped(conn, &actor.scope::<cap::ReadCadres>(), mid).await.map_err(|_| AppError::invalid_field("member_unknown", "member_id", "所选党员不存在或不在您的管理范围内"))?;
            if name.is_empty() {
                name = m.name.clone();
            }
            Some(m.id)
        }
        None => None,
    };
    if name.is_empty() {
        return Err(AppError::invalid_field("name_required", "name", "请填写后备干部姓名"));
    }
    let raw = input.id_number.as_deref().unwrap_or("").trim();
    let idn = IdCardNumber::parse(raw).map_err(|e| AppError::invalid_field("id_number_invalid", "id_number", format!("身份证号码有误：{e}")))?;
    let on = day("added_on", input.added_on.as_deref())?;
    let res = sqlx::query_scalar::<_, i64>(
        "INSERT INTO cadre_reserves (org_id, name, id_number, member_id, education, present_post, for_secretary, added_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(org.id)
    .bind(&name)
    .bind(idn.as_str())
    .bind(member_id)
    .bind(short_text("education", &input.education, 20, "学历")?)
    .bind(short_text("present_post", &input.present_post, 40, "现任职务")?)
    .bind(input.for_secretary as i64)
    .bind(on.to_string())
    .bind(actor.user_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await;
    let id = match res {
        Err(e) if is_unique_violation(&e) => return Err(AppError::conflict("already_reserve", format!("{name}已在{}的后备干部库中", org.name))),
        other => other?,
    };
    audit::record(conn, Some(actor), "cadre.reserve", "org", Some(org.id), &org, None, Some(&serde_json::json!({"name": name, "for_secretary": input.for_secretary}))).await?;
    Ok(ReserveView {
        id,
        name,
        id_number: idn.masked(),
        birth_date: idn.birth_date().to_string(),
        member_id,
        education: input.education.clone().unwrap_or_default(),
        present_post: input.present_post.clone().unwrap_or_default(),
        for_secretary: input.for_secretary,
        added_on: on.to_string(),
        removed_on: None,
        removed_reason: None,
    })
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RemoveInput {
    /// YYYY-MM-DD.
    pub on: Option<String>,
    /// 已任用, 外出, 不再适合 …
    pub reason: Option<String>,
}

/// Takes a reserve off the list; the record stays with the reason.
pub async fn remove_reserve(conn: &mut Conn, actor: &Actor, reserve_id: i64, input: &RemoveInput) -> AppResult<i64> {
    let org_id: i64 = sqlx::query_scalar("SELECT org_id FROM cadre_reserves WHERE id = $1").bind(reserve_id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let org = writable_village(conn, actor, org_id).await?;
    let on = day("on", input.on.as_deref())?;
    let reason = short_text("reason", &input.reason, 100, "原因")?;
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请填写移出原因，如“已任村委委员”"));
    }
    let added: String = sqlx::query_scalar("SELECT added_on FROM cadre_reserves WHERE id = $1").bind(reserve_id).fetch_one(&mut *conn).await?;
    if on.to_string() < added {
        return Err(AppError::invalid_field("date_order", "on", format!("移出日期不能早于入库日期 {added}")));
    }
    let done = sqlx::query("UPDATE cadre_reserves SET removed_on = $1, removed_reason = $2 WHERE id = $3 AND removed_on IS NULL").bind(on.to_string()).bind(&reason).bind(reserve_id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("reserve_removed", "该后备干部已移出"));
    }
    audit::record(conn, Some(actor), "cadre.reserve_remove", "org", Some(org.id), &org, None, Some(&serde_json::json!({"reserve": reserve_id, "on": on.to_string(), "reason": reason}))).await?;
    Ok(org.id)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DirectorInput {
    /// When the 村委会主任 is a Party member (for 一肩挑 the secretary).
    pub member_id: Option<i64>,
    /// Otherwise the name.
    pub name: Option<String>,
    /// YYYY-MM-DD; the previous director's term ends that day.
    pub starts_on: Option<String>,
}

/// Records the 村委会主任 (居委会主任) from a day; the previous one ends that day.
pub async fn set_director(conn: &mut Conn, actor: &Actor, org_id: i64, input: &DirectorInput) -> AppResult<Person> {
    let org = writable_village(conn, actor, org_id).await?;
    crate::tallies::mark(conn, crate::tallies::Source::Cadres, org.id).await?;
    let start = day("starts_on", input.starts_on.as_deref())?;
    let person = match input.member_id {
        Some(mid) => {
            let m = crate::members::store::get_scoped(conn, &actor.scope::<cap::ReadCadres>(), mid).await.map_err(|_| AppError::invalid_field("member_unknown", "member_id", "所选党员不存在或不在您的管理范围内"))?;
            Person { member_id: Some(m.id), name: m.name }
        }
        None => {
            let name = short_text("name", &input.name, 20, "姓名")?;
            if name.is_empty() {
                return Err(AppError::invalid_field("name_required", "name", "请选择党员或填写村委会主任姓名"));
            }
            Person { member_id: None, name }
        }
    };
    let prev: Option<String> = sqlx::query_scalar("SELECT starts_on FROM village_directors WHERE org_id = $1 AND ends_on IS NULL").bind(org.id).fetch_optional(&mut *conn).await?;
    if let Some(p) = prev.filter(|p| start.to_string() < *p) {
        return Err(AppError::invalid_field("date_order", "starts_on", format!("任职日期不能早于现任主任的任职日期 {p}")));
    }
    sqlx::query("UPDATE village_directors SET ends_on = $1 WHERE org_id = $2 AND ends_on IS NULL").bind(start.to_string()).bind(org.id).execute(&mut *conn).await?;
    let res = sqlx::query("INSERT INTO village_directors (org_id, name, member_id, starts_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(org.id)
        .bind(&person.name)
        .bind(person.member_id)
        .bind(start.to_string())
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await;
    match res {
        Err(e) if is_unique_violation(&e) => return Err(AppError::conflict("director_changed", "村委会主任刚被其他人修改，请刷新后重试")),
        other => other?,
    };
    audit::record(conn, Some(actor), "cadre.director", "org", Some(org.id), &org, None, Some(&serde_json::json!({"name": person.name, "starts_on": start.to_string()}))).await?;
    Ok(person)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct FirstSecretaryInput {
    pub name: Option<String>,
    /// 派出单位.
    pub unit: Option<String>,
    pub phone: Option<String>,
    /// YYYY-MM-DD.
    pub started_on: Option<String>,
    /// Monthly subsidy in yuan, at most two decimals (“800”, “1200.50”).
    pub subsidy_yuan_month: Option<String>,
}

/// Posts a 第一书记 to the village (one in post at a time).
pub async fn add_first_secretary(conn: &mut Conn, actor: &Actor, cfg: &Rules, org_id: i64, input: &FirstSecretaryInput) -> AppResult<FirstSecretaryView> {
    let org = writable_village(conn, actor, org_id).await?;
    let name = short_text("name", &input.name, 20, "姓名")?;
    if name.is_empty() {
        return Err(AppError::invalid_field("name_required", "name", "请填写第一书记姓名"));
    }
    let unit = short_text("unit", &input.unit, 60, "派出单位")?;
    if unit.is_empty() {
        return Err(AppError::invalid_field("unit_required", "unit", "请填写派出单位"));
    }
    let start = day("started_on", input.started_on.as_deref())?;
    let subsidy = match input.subsidy_yuan_month.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => crate::dues::store::parse_yuan(s).ok_or_else(|| AppError::invalid_field("subsidy_invalid", "subsidy_yuan_month", format!("无法识别的金额“{s}”：请写成 800 或 800.50")))?,
    };
    let res = sqlx::query_scalar::<_, i64>("INSERT INTO first_secretaries (org_id, name, unit, phone, started_on, subsidy_fen_month, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(org.id)
        .bind(&name)
        .bind(&unit)
        .bind(short_text("phone", &input.phone, 20, "电话")?)
        .bind(start.to_string())
        .bind(subsidy)
        .bind(actor.user_id)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await;
    let id = match res {
        Err(e) if is_unique_violation(&e) => return Err(AppError::conflict("first_secretary_in_post", format!("{}已有在任第一书记：先登记其期满或召回", org.name))),
        other => other?,
    };
    audit::record(conn, Some(actor), "cadre.first_secretary", "org", Some(org.id), &org, None, Some(&serde_json::json!({"name": name, "unit": unit, "started_on": start.to_string(), "subsidy_fen_month": subsidy}))).await?;
    let r = sqlx::query("SELECT id, name, unit, phone, started_on, subsidy_fen_month, ended_on, end_reason FROM first_secretaries WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    fs_view(cfg, &r)
}

/// Ends a first secretary's posting (期满轮换, 召回 …); returns the village id.
pub async fn end_first_secretary(conn: &mut Conn, actor: &Actor, fs_id: i64, input: &RemoveInput) -> AppResult<i64> {
    let r = sqlx::query("SELECT org_id, started_on FROM first_secretaries WHERE id = $1").bind(fs_id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let (org_id, started): (i64, String) = (r.try_get("org_id")?, r.try_get("started_on")?);
    let org = writable_village(conn, actor, org_id).await?;
    let on = day("on", input.on.as_deref())?;
    if on.to_string() < started {
        return Err(AppError::invalid_field("date_order", "on", format!("结束日期不能早于选派日期 {started}")));
    }
    let reason = short_text("reason", &input.reason, 100, "原因")?;
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请填写结束原因，如“期满轮换”"));
    }
    let done = sqlx::query("UPDATE first_secretaries SET ended_on = $1, end_reason = $2 WHERE id = $3 AND ended_on IS NULL").bind(on.to_string()).bind(&reason).bind(fs_id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("first_secretary_ended", "该第一书记的选派已结束"));
    }
    audit::record(conn, Some(actor), "cadre.first_secretary_end", "org", Some(org.id), &org, None, Some(&serde_json::json!({"first_secretary": fs_id, "on": on.to_string(), "reason": reason}))).await?;
    Ok(org.id)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AssessmentInput {
    pub year: Option<i64>,
    /// excellent (优秀), competent (称职), basically_competent (基本称职), incompetent (不称职)
    pub grade: Option<String>,
}

/// The current secretary's annual assessment for a past or the current year (once per year).
pub async fn add_assessment(conn: &mut Conn, actor: &Actor, org_id: i64, input: &AssessmentInput) -> AppResult<AssessmentView> {
    let org = writable_village(conn, actor, org_id).await?;
    let (mid, name) = current_secretary(conn, &org).await?;
    let this_year = chrono::Datelike::year(&crate::db::today()) as i64;
    let year = input.year.filter(|y| (2000..=this_year).contains(y)).ok_or_else(|| AppError::invalid_field("year_invalid", "year", format!("请填写考核年度（2000至{this_year}年）")))?;
    let grade = input.grade.as_deref().and_then(AssessmentGrade::parse).ok_or_else(|| AppError::invalid_field("grade_invalid", "grade", format!("请选择考核等次：{}", AssessmentGrade::labels())))?;
    let res = sqlx::query("INSERT INTO cadre_assessments (member_id, org_id, year, grade, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(mid)
        .bind(org.id)
        .bind(year)
        .bind(grade.code())
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await;
    match res {
        Err(e) if is_unique_violation(&e) => return Err(AppError::conflict("assessment_exists", format!("{name}{year}年度的考核已登记"))),
        other => other?,
    };
    audit::record(conn, Some(actor), "cadre.assessment", "org", Some(org.id), &org, None, Some(&serde_json::json!({"secretary": name, "year": year, "grade": grade.label()}))).await?;
    Ok(AssessmentView { year, grade: grade.code().into(), grade_label: grade.label().into(), name })
}
