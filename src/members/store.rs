//! Reading and writing member records, always bounded to the caller's subtrees.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::id_card::{mask_id_number, mask_phone};
use super::model::{posts_code, Education, Gender, Member, MemberStatus, MemberView, Post};
use super::validate::{validate, MemberInput, NewMember};
use crate::audit;
use crate::auth::roles::Actor;
use crate::auth::{cap, Capability, Scope};
use crate::db::{now_secs, path, push_under, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::orgs::model::{Org, OrgDomain};
use crate::orgs::stats::{MemberFacts, StatsDelta};
use crate::orgs::store as orgs;

pub const MEMBER_COLS: &str = "id, org_id, org_path, name, id_number, gender, birth_date, ethnicity, education, phone, \
     joined_on, full_on, status, posts, vanguard_post, responsibility_area, in_service, report_org_id, work_unit, left_on, left_reason";

pub fn from_row(r: &Row) -> AppResult<Member> {
    let bad = |what: &str, v: &str| AppError::Internal(anyhow::anyhow!("bad member {what} {v}"));
    let gender: String = r.try_get("gender")?;
    let education: String = r.try_get("education")?;
    let status: String = r.try_get("status")?;
    let posts: String = r.try_get("posts")?;
    Ok(Member {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        id_number: r.try_get("id_number")?,
        gender: Gender::parse(&gender).ok_or_else(|| bad("gender", &gender))?,
        birth_date: r.try_get("birth_date")?,
        ethnicity: r.try_get("ethnicity")?,
        education: Education::parse(&education).ok_or_else(|| bad("education", &education))?,
        phone: r.try_get("phone")?,
        joined_on: r.try_get("joined_on")?,
        full_on: r.try_get("full_on")?,
        status: MemberStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        posts: posts.split(',').filter_map(Post::parse).collect(),
        vanguard_post: r.try_get("vanguard_post")?,
        responsibility_area: r.try_get("responsibility_area")?,
        in_service: r.try_get::<i64, _>("in_service")? != 0,
        report_org_id: r.try_get("report_org_id")?,
        work_unit: r.try_get("work_unit")?,
        left_on: r.try_get("left_on")?,
        left_reason: r.try_get("left_reason")?,
    })
}

/// Lowercase pinyin initials of a name, for search: 王建国 → wjg.
pub fn initials(name: &str) -> String {
    use pinyin::ToPinyin;
    let mut out = String::new();
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => out.push_str(p.first_letter()),
            None if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            None => {}
        }
    }
    out
}

pub fn facts(m: &NewMember, domain: OrgDomain) -> MemberFacts {
    MemberFacts {
        status: m.status,
        gender: m.gender,
        birth_year: m.birth_date.year(),
        education: m.education,
        domain,
    }
}

fn facts_of(m: &Member, domain: OrgDomain) -> MemberFacts {
    MemberFacts {
        status: m.status,
        gender: m.gender,
        birth_year: m.birth_date.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0),
        education: m.education,
        domain,
    }
}

/// Whether members may be placed directly in this org.
pub fn check_member_org(org: &Org) -> AppResult<()> {
    if org.is_dissolved() {
        return Err(AppError::invalid("org_dissolved", format!("“{}”已撤销，不能再接收党员", org.name)));
    }
    if !org.kind.holds_members() {
        return Err(AppError::invalid("org_cannot_hold_members", format!("党员不能直接编入{}，请选择党支部或党小组", org.kind.label())));
    }
    Ok(())
}

/// Rows per multi-row INSERT.
pub const INSERT_BATCH: usize = 500;

/// The columns a new member is written with, in the order [`insert_batch`] binds them and
/// [`stage_member`] writes them.
pub const MEMBER_INSERT_COLUMNS: [&str; 21] = [
    "org_id", "org_path", "name", "name_initials", "id_number", "gender", "birth_date", "ethnicity", "education", "phone",
    "joined_on", "full_on", "status", "posts", "vanguard_post", "responsibility_area", "in_service", "report_org_id", "work_unit",
    "created_at", "updated_at",
];
const MEMBER_INSERT_COLS: usize = MEMBER_INSERT_COLUMNS.len();

/// Where a new member's values go, in [`MEMBER_INSERT_COLUMNS`] order: a bound INSERT or a
/// COPY staging table.
trait MemberRow<'a> {
    fn int(&mut self, v: i64);
    fn opt_int(&mut self, v: Option<i64>);
    fn text(&mut self, v: Option<&'a str>);
}

/// Text derived from a member that must outlive the values written: initials, birth day,
/// joining day, full-membership day, posts.
fn derived(m: &NewMember) -> [String; 5] {
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    [initials(&m.name), day(m.birth_date), day(m.joined_on), m.full_on.map(day).unwrap_or_default(), super::model::posts_code(&m.posts)]
}

/// The one list of a new member's values, in [`MEMBER_INSERT_COLUMNS`] order.
fn member_values<'a>(r: &mut impl MemberRow<'a>, org: &'a Org, m: &'a NewMember, d: &'a [String; 5], now: i64) {
    r.int(org.id);
    r.text(Some(org.path.as_str()));
    r.text(Some(m.name.as_str()));
    r.text(Some(d[0].as_str()));
    r.text(Some(m.id_number.as_str()));
    r.text(Some(m.gender.code()));
    r.text(Some(d[1].as_str()));
    r.text(Some(m.ethnicity.as_str()));
    r.text(Some(m.education.code()));
    r.text(m.phone.as_deref());
    r.text(Some(d[2].as_str()));
    r.text(m.full_on.map(|_| d[3].as_str()));
    r.text(Some(m.status.code()));
    r.text(Some(d[4].as_str()));
    r.text(m.vanguard_post.as_deref());
    r.text(m.responsibility_area.as_deref());
    r.int(m.in_service as i64);
    r.opt_int(m.report_org_id);
    r.text(m.work_unit.as_deref());
    r.int(now);
    r.int(now);
}

impl<'a> MemberRow<'a> for crate::db::Stage {
    fn int(&mut self, v: i64) {
        crate::db::Stage::int(self, v);
    }
    fn opt_int(&mut self, v: Option<i64>) {
        crate::db::Stage::opt_int(self, v);
    }
    fn text(&mut self, v: Option<&'a str>) {
        crate::db::Stage::text(self, v);
    }
}

/// A multi-row INSERT being bound.
struct Binder<'q>(Option<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>>);

impl<'q> Binder<'q> {
    fn bind<T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>>(&mut self, v: T) {
        self.0 = self.0.take().map(|q| q.bind(v));
    }
}

impl<'q> MemberRow<'q> for Binder<'q> {
    fn int(&mut self, v: i64) {
        self.bind(v);
    }
    fn opt_int(&mut self, v: Option<i64>) {
        self.bind(v);
    }
    fn text(&mut self, v: Option<&'q str>) {
        self.bind(v);
    }
}

/// One validated member as a row of a COPY staging table made with [`MEMBER_INSERT_COLUMNS`]
/// (PostgreSQL bulk imports); `row_no` is its row in the file.
pub fn stage_member(stage: &mut crate::db::Stage, row_no: usize, org: &Org, m: &NewMember, now: i64) {
    let d = derived(m);
    stage.int(row_no as i64);
    member_values(stage, org, m, &d, now);
}

/// `INSERT … VALUES (…), (…)` for `rows` members, with `?` (SQLite) or `$n` placeholders.
fn member_insert_sql(rows: usize, question_marks: bool) -> String {
    let mut sql = format!("INSERT INTO members ({}) VALUES ", MEMBER_INSERT_COLUMNS.join(", "));
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..MEMBER_INSERT_COLS {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if question_marks {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&n.to_string());
            }
        }
        sql.push(')');
    }
    sql
}

/// Multi-row insert of validated members ([`member_values`]). Values are bound by reference; the SQL text
/// of a full batch is built once per backend. The caller marks the orgs' tallies.
pub async fn insert_batch(conn: &mut Conn, batch: &[(Arc<Org>, NewMember)], delta: &mut StatsDelta) -> AppResult<usize> {
    static FULL: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
    if batch.is_empty() {
        return Ok(0);
    }
    let sqlite = conn.backend_name() == "SQLite";
    let text_owned;
    let text: &str = if batch.len() == INSERT_BATCH {
        let full = FULL.get_or_init(|| [member_insert_sql(INSERT_BATCH, true), member_insert_sql(INSERT_BATCH, false)]);
        &full[if sqlite { 0 } else { 1 }]
    } else {
        text_owned = member_insert_sql(batch.len(), sqlite);
        &text_owned
    };
    let now = crate::db::now_secs();
    let derived: Vec<[String; 5]> = batch.iter().map(|(_, m)| derived(m)).collect();
    let mut q = Binder(Some(sqlx::query(text)));
    for ((org, m), d) in batch.iter().zip(&derived) {
        member_values(&mut q, org, m, d, now);
        delta.member(&path::ids(&org.path), &super::store::facts(m, org.domain), 1);
    }
    let q = q.0.ok_or_else(|| AppError::Internal(anyhow::anyhow!("member insert lost its query")))?;
    q.execute(&mut *conn).await?;
    Ok(batch.len())
}

pub async fn id_number_taken(conn: &mut Conn, id_number: &str, except: Option<i64>) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM members WHERE id_number = $1")
        .bind(id_number)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(matches!(found, Some(id) if Some(id) != except))
}

/// Creates a member from raw input in the org `input.org_id`, with audit.
pub async fn create(conn: &mut Conn, actor: &Actor, input: &MemberInput) -> AppResult<Member> {
    let org_id = input.org_id.ok_or_else(|| AppError::invalid_field("org_required", "org_id", "请选择所在党组织"))?;
    let org = orgs::get_scoped(conn, &actor.scope::<cap::WriteMembers>(), org_id).await?;
    check_member_org(&org)?;
    let today = crate::db::today();
    let m = validate(input, today).map_err(first_field_error)?;
    if id_number_taken(conn, m.id_number.as_str(), None).await? {
        return Err(AppError::conflict("id_number_taken", "该公民身份号码已有党员记录，请勿重复录入；如需调入请使用组织关系转接"));
    }
    check_report_org(conn, m.report_org_id).await?;
    let mut delta = StatsDelta::default();
    insert_batch(conn, &[(Arc::new(org.clone()), m.clone())], &mut delta).await?;
    crate::tallies::mark_all(conn, crate::tallies::MEMBER_SOURCES, org.id).await?;
    delta.apply(conn).await?;
    let id: i64 = sqlx::query_scalar("SELECT id FROM members WHERE id_number = $1")
        .bind(m.id_number.as_str())
        .fetch_one(&mut *conn)
        .await?;
    let member = get(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "member.create", "member", Some(id), &member, None, Some(&audit_json(&member))).await?;
    Ok(member)
}

async fn check_report_org(conn: &mut Conn, id: Option<i64>) -> AppResult<()> {
    if let Some(id) = id {
        if orgs::get(conn, id).await?.is_none() {
            return Err(AppError::invalid_field("report_org_invalid", "report_org_id", "报到社区党组织不存在"));
        }
    }
    Ok(())
}

pub fn first_field_error(errs: Vec<super::validate::FieldError>) -> AppError {
    let message = errs.iter().map(|e| format!("{}：{}", e.column, e.message)).collect::<Vec<_>>().join("；");
    AppError::Invalid { code: "invalid_member", message, field: errs.first().map(|e| e.field) }
}

/// What the audit log keeps of a member: sensitive values masked.
pub fn audit_json(m: &Member) -> serde_json::Value {
    serde_json::to_value(view(m, "", false)).unwrap_or_default()
}

pub async fn get(conn: &mut Conn, id: i64) -> AppResult<Option<Member>> {
    let sql = format!("SELECT {MEMBER_COLS} FROM members WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|r| from_row(&r)).transpose()
}

/// A member inside `scope` (its subtrees, or the caller's own record); else NotFound.
pub async fn get_scoped<C: Capability>(conn: &mut Conn, scope: &Scope<C>, id: i64) -> AppResult<Member> {
    match get(conn, id).await? {
        Some(m) if scope.covers(&m.org_path) => Ok(m),
        Some(m) if scope.own_member() == Some(m.id) => Ok(m),
        _ => Err(AppError::NotFound),
    }
}

pub fn view(m: &Member, org_name: &str, full: bool) -> MemberView {
    MemberView {
        id: m.id,
        org_id: m.org_id,
        org_name: org_name.to_string(),
        name: m.name.clone(),
        id_number: if full { m.id_number.clone() } else { mask_id_number(&m.id_number) },
        id_number_masked: !full,
        gender: m.gender,
        birth_date: m.birth_date.clone(),
        ethnicity: m.ethnicity.clone(),
        education: m.education,
        phone: m.phone.as_deref().map(|p| if full { p.to_string() } else { mask_phone(p) }),
        joined_on: m.joined_on.clone(),
        full_on: m.full_on.clone(),
        status: m.status,
        posts: m.posts.clone(),
        vanguard_post: m.vanguard_post.clone(),
        responsibility_area: m.responsibility_area.clone(),
        in_service: m.in_service,
        report_org_id: m.report_org_id,
        work_unit: m.work_unit.clone(),
        left_on: m.left_on.clone(),
        left_reason: m.left_reason.clone(),
    }
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct MemberQuery {
    /// Subtree root; defaults to the caller's first org.
    pub org: Option<i64>,
    /// Name prefix, pinyin initials, full ID number or phone.
    pub q: Option<String>,
    pub status: Option<String>,
    pub gender: Option<String>,
    pub education: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberView>,
    pub page: i64,
    pub per_page: i64,
    /// Matching members; counted up to `total_capped_at`.
    pub total: i64,
    pub total_capped: bool,
}

pub const COUNT_CAP: i64 = 1_000;

/// Below this many members a name search walks the subtree rather than the name index.
const SMALL_SUBTREE: i64 = 10_000;

/// Members in the searched subtrees, from the counters (no scan).
async fn subtree_size(conn: &mut Conn, prefixes: &[String], root: &Org) -> AppResult<i64> {
    let ids: Vec<i64> = if prefixes.is_empty() {
        vec![root.id]
    } else {
        prefixes.iter().filter_map(|p| path::ids(p).last().copied()).collect()
    };
    Ok(crate::orgs::stats::totals(conn, &ids).await?.values().map(|(m, _)| m).sum())
}

/// A page of members under `root` within `scope`, masked.
pub async fn search(conn: &mut Conn, scope: &Scope<cap::ReadMembers>, root: &Org, q: &MemberQuery) -> AppResult<MemberPage> {
    let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
    let page = q.page.unwrap_or(1).max(1);
    let scope = scope.within(&root.path);
    let prefixes = scope.prefixes();
    let self_id = scope.own_member();
    if prefixes.is_empty() && self_id.is_none() {
        return Ok(MemberPage { items: vec![], page, per_page, total: 0, total_capped: false });
    }
    let mut filter = Sql::new(" FROM members m WHERE m.left_on IS NULL");
    if prefixes.is_empty() {
        // A plain member sees their own record only, if it lies under root.
        filter.push(" AND m.id = ").bind(self_id.unwrap_or(0));
        push_under(&mut filter, "m.org_path", &root.path);
    } else {
        scope.push_filter(&mut filter, "m.org_path");
    }
    // Matches the members_path_name index column for column, so no sort is needed.
    let mut order = "m.org_path, m.name, m.name_initials, m.id".to_string();
    let mut filtered = false;
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        filtered = true;
        // In a small subtree, walking its members by path beats walking everyone with
        // that surname: `col || ''` keeps the planners of both databases off the name index.
        let small = subtree_size(conn, prefixes, root).await? <= SMALL_SUBTREE;
        let wrap = |col: &str| if small { format!("{col} || ''") } else { col.to_string() };
        let digits = text.chars().all(|c| c.is_ascii_digit() || c == 'X' || c == 'x');
        if digits && text.len() == 18 {
            filter.push(" AND m.id_number = ").bind(text.to_uppercase());
        } else if digits && text.len() == 11 {
            filter.push(" AND m.phone = ").bind(text.to_string());
        } else if text.chars().all(|c| c.is_ascii_alphabetic()) {
            let lower = text.to_ascii_lowercase();
            let col = wrap("m.name_initials");
            filter.push(&format!(" AND {col} >= ")).bind(lower.clone());
            filter.push(&format!(" AND {col} < ")).bind(format!("{lower}{{"));
            order = format!("{col}, m.org_path, m.id");
        } else {
            let col = wrap("m.name");
            filter.push(&format!(" AND {col} >= ")).bind(text.to_string());
            filter.push(&format!(" AND {col} < ")).bind(format!("{text}\u{10FFFF}"));
            order = format!("{col}, m.org_path, m.id");
        }
    }
    let filters: [(&Option<String>, &str, Option<&'static str>); 3] = [
        (&q.status, "m.status", q.status.as_deref().and_then(MemberStatus::parse).map(MemberStatus::code)),
        (&q.gender, "m.gender", q.gender.as_deref().and_then(Gender::parse).map(Gender::code)),
        (&q.education, "m.education", q.education.as_deref().and_then(Education::parse).map(Education::code)),
    ];
    for (raw, col, code) in filters {
        if let Some(v) = raw.as_deref().filter(|s| !s.is_empty()) {
            let code = code.ok_or_else(|| AppError::invalid("invalid_filter", format!("无效的筛选条件“{v}”")))?;
            filter.push(" AND ").push(col).push(" = ").bind(code);
            filtered = true;
        }
    }

    let mut list = Sql::new(&format!("SELECT {}", MEMBER_COLS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", ")));
    list.text.push_str(&filter.text);
    list.args = filter.args.clone();
    list.push(&format!(" ORDER BY {order} LIMIT ")).bind(per_page).push(" OFFSET ").bind((page - 1) * per_page);
    let rows = list.query().fetch_all(&mut *conn).await?;
    let members: Vec<Member> = rows.iter().map(from_row).collect::<AppResult<_>>()?;

    let (total, total_capped) = if !filtered && prefixes.len() == 1 && prefixes[0] == root.path {
        let raw = crate::orgs::stats::load(conn, root.id).await?;
        (raw.get("members").and_then(|m| m.get("all")).copied().unwrap_or(0), false)
    } else {
        let mut count = Sql::new("SELECT COUNT(*) FROM (SELECT 1");
        count.text.push_str(&filter.text);
        count.args = filter.args.clone();
        count.push(" LIMIT ").bind(COUNT_CAP + 1).push(") t");
        let n: i64 = count.query_scalar().fetch_one(&mut *conn).await?;
        (n.min(COUNT_CAP), n > COUNT_CAP)
    };
    let names = org_names(conn, members.iter().map(|m| m.org_id)).await?;
    let items = members
        .iter()
        .map(|m| view(m, names.get(&m.org_id).map(String::as_str).unwrap_or(""), false))
        .collect();
    Ok(MemberPage { items, page, per_page, total, total_capped })
}

pub async fn org_names(conn: &mut Conn, ids: impl Iterator<Item = i64>) -> AppResult<std::collections::HashMap<i64, String>> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT id, name FROM orgs WHERE id IN (");
        sql.bind_list(chunk.iter().copied());
        sql.push(")");
        for r in sql.query().fetch_all(&mut *conn).await? {
            out.insert(r.try_get("id")?, r.try_get("name")?);
        }
    }
    Ok(out)
}

/// Changes to a member record; fields left out stay as they are.
pub type MemberPatch = MemberInput;

pub async fn update(conn: &mut Conn, actor: &Actor, id: i64, patch: &MemberPatch) -> AppResult<Member> {
    let before = get_scoped(conn, &actor.scope::<cap::WriteMembers>(), id).await?;
    if patch.org_id.is_some_and(|o| o != before.org_id) {
        return Err(AppError::invalid("use_transfer", "更换所在党组织请使用“组织关系转接”"));
    }
    let pick = |p: &Option<String>, cur: Option<String>| p.clone().or(cur);
    let merged = MemberInput {
        org_id: Some(before.org_id),
        name: pick(&patch.name, Some(before.name.clone())),
        id_number: pick(&patch.id_number, Some(before.id_number.clone())),
        gender: pick(&patch.gender, Some(before.gender.code().into())),
        birth_date: pick(&patch.birth_date, Some(before.birth_date.clone())),
        ethnicity: pick(&patch.ethnicity, Some(before.ethnicity.clone())),
        education: pick(&patch.education, Some(before.education.code().into())),
        phone: pick(&patch.phone, before.phone.clone()),
        joined_on: pick(&patch.joined_on, Some(before.joined_on.clone())),
        full_on: pick(&patch.full_on, before.full_on.clone()),
        status: pick(&patch.status, Some(before.status.code().into())),
        posts: pick(&patch.posts, Some(posts_code(&before.posts))),
        vanguard_post: pick(&patch.vanguard_post, before.vanguard_post.clone()),
        responsibility_area: pick(&patch.responsibility_area, before.responsibility_area.clone()),
        in_service: patch.in_service.or(Some(before.in_service)),
        report_org_id: patch.report_org_id.or(before.report_org_id),
        work_unit: pick(&patch.work_unit, before.work_unit.clone()),
    };
    // Changing the ID number also changes birth date and gender: derive them again.
    let mut merged = merged;
    if patch.id_number.is_some() {
        if patch.birth_date.is_none() {
            merged.birth_date = None;
        }
        if patch.gender.is_none() {
            merged.gender = None;
        }
    }
    let today = crate::db::today();
    let m = validate(&merged, today).map_err(first_field_error)?;
    if id_number_taken(conn, m.id_number.as_str(), Some(id)).await? {
        return Err(AppError::conflict("id_number_taken", "该公民身份号码已有党员记录"));
    }
    check_report_org(conn, m.report_org_id).await?;
    sqlx::query(
        "UPDATE members SET name = $1, name_initials = $2, id_number = $3, gender = $4, birth_date = $5, ethnicity = $6, education = $7, \
         phone = $8, joined_on = $9, full_on = $10, status = $11, posts = $12, vanguard_post = $13, responsibility_area = $14, \
         in_service = $15, report_org_id = $16, work_unit = $17, updated_at = $18 WHERE id = $19",
    )
    .bind(&m.name)
    .bind(initials(&m.name))
    .bind(m.id_number.as_str())
    .bind(m.gender.code())
    .bind(m.birth_date.to_string())
    .bind(&m.ethnicity)
    .bind(m.education.code())
    .bind(m.phone.as_deref())
    .bind(m.joined_on.to_string())
    .bind(m.full_on.map(|d| d.to_string()))
    .bind(m.status.code())
    .bind(posts_code(&m.posts))
    .bind(m.vanguard_post.as_deref())
    .bind(m.responsibility_area.as_deref())
    .bind(m.in_service as i64)
    .bind(m.report_org_id)
    .bind(m.work_unit.as_deref())
    .bind(now_secs())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let org = orgs::get(conn, before.org_id).await?.ok_or(AppError::NotFound)?;
    let mut delta = StatsDelta::default();
    let ancestors = path::ids(&org.path);
    delta.member(&ancestors, &facts_of(&before, org.domain), -1);
    delta.member(&ancestors, &facts(&m, org.domain), 1);
    delta.apply(conn).await?;
    crate::tallies::mark_all(conn, crate::tallies::MEMBER_SOURCES, org.id).await?;
    let after = get(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "member.update", "member", Some(id), &after, Some(&audit_json(&before)), Some(&audit_json(&after))).await?;
    Ok(after)
}

/// Takes a member off the roll on `on` for `reason` (取消预备党员资格, …). The record stays, with
/// the day and reason; rosters, counters, meetings and dues no longer count the member.
pub async fn leave(conn: &mut Conn, actor: &Actor, id: i64, on: NaiveDate, reason: &str) -> AppResult<Member> {
    let before = get_scoped(conn, &actor.scope::<cap::WriteMembers>(), id).await?;
    if before.left_on.is_some() {
        return Err(AppError::invalid("member_already_left", format!("{}已于{}离开党员名册", before.name, before.left_on.as_deref().unwrap_or(""))));
    }
    sqlx::query("UPDATE members SET left_on = $1, left_reason = $2, updated_at = $3 WHERE id = $4")
        .bind(on.to_string())
        .bind(reason.trim())
        .bind(now_secs())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let org = orgs::get(conn, before.org_id).await?.ok_or(AppError::NotFound)?;
    let mut delta = StatsDelta::default();
    delta.member(&path::ids(&org.path), &facts_of(&before, org.domain), -1);
    delta.apply(conn).await?;
    crate::tallies::mark_all(conn, crate::tallies::MEMBER_SOURCES, org.id).await?;
    let after = get(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "member.leave", "member", Some(id), &after, Some(&audit_json(&before)), Some(&audit_json(&after))).await?;
    Ok(after)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct TransferInput {
    pub to_org_id: i64,
    /// YYYY-MM-DD; defaults to today.
    pub date: Option<String>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    pub member_id: i64,
    pub from_org_id: i64,
    pub from_org_name: String,
    pub to_org_id: i64,
    pub to_org_name: String,
    pub transferred_on: String,
    pub reason: String,
}

/// Moves a member to another org (组织关系转接), keeping the history.
pub async fn transfer(conn: &mut Conn, actor: &Actor, id: i64, t: &TransferInput) -> AppResult<Member> {
    let before = get_scoped(conn, &actor.scope::<cap::WriteMembers>(), id).await?;
    let to = orgs::get_scoped(conn, &actor.scope::<cap::WriteMembers>(), t.to_org_id).await?;
    check_member_org(&to)?;
    if to.id == before.org_id {
        return Err(AppError::invalid("same_org", "转入党组织与当前所在党组织相同"));
    }
    let date = match t.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => super::validate::parse_date(s)
            .ok_or_else(|| AppError::invalid_field("date_invalid", "date", format!("无法识别的日期“{s}”，请写成 2024-01-31")))?,
        None => crate::db::today(),
    };
    let from = orgs::get(conn, before.org_id).await?.ok_or(AppError::NotFound)?;
    sqlx::query("UPDATE members SET org_id = $1, org_path = $2, updated_at = $3 WHERE id = $4")
        .bind(to.id)
        .bind(&to.path)
        .bind(now_secs())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO member_transfers (member_id, from_org_id, to_org_id, transferred_on, reason, by_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(from.id)
    .bind(to.id)
    .bind(date.to_string())
    .bind(t.reason.as_deref().unwrap_or("").trim())
    .bind(actor.user_id)
    .bind(now_secs())
    .execute(&mut *conn)
    .await?;
    let mut delta = StatsDelta::default();
    delta.member(&path::ids(&from.path), &facts_of(&before, from.domain), -1);
    delta.member(&path::ids(&to.path), &facts_of(&before, to.domain), 1);
    delta.apply(conn).await?;
    crate::tallies::mark_all(conn, crate::tallies::MEMBER_SOURCES, from.id).await?;
    crate::tallies::mark_all(conn, crate::tallies::MEMBER_SOURCES, to.id).await?;
    let after = get(conn, id).await?.ok_or(AppError::NotFound)?;
    // Recorded at both ends so each side's audit view shows it.
    let note = serde_json::json!({"from_org": from.name, "to_org": to.name, "date": date.to_string(), "reason": t.reason});
    audit::record(conn, Some(actor), "member.transfer", "member", Some(id), &before, Some(&audit_json(&before)), Some(&note)).await?;
    audit::record(conn, Some(actor), "member.transfer", "member", Some(id), &after, Some(&audit_json(&before)), Some(&note)).await?;
    Ok(after)
}

pub async fn transfers(conn: &mut Conn, member_id: i64) -> AppResult<Vec<Transfer>> {
    let rows = sqlx::query(
        "SELECT t.id, t.member_id, t.from_org_id, f.name AS from_name, t.to_org_id, o.name AS to_name, t.transferred_on, t.reason \
         FROM member_transfers t JOIN orgs f ON f.id = t.from_org_id JOIN orgs o ON o.id = t.to_org_id \
         WHERE t.member_id = $1 ORDER BY t.id",
    )
    .bind(member_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Transfer {
                id: r.try_get("id")?,
                member_id: r.try_get("member_id")?,
                from_org_id: r.try_get("from_org_id")?,
                from_org_name: r.try_get("from_name")?,
                to_org_id: r.try_get("to_org_id")?,
                to_org_name: r.try_get("to_name")?,
                transferred_on: r.try_get("transferred_on")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// Full ID number and phone, for roles that need them; the read is audited.
pub async fn reveal(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<MemberView> {
    let m = get_scoped(conn, &actor.scope::<cap::ReadMembers>(), id).await?;
    let own = actor.member_id == Some(m.id);
    if !own && !actor.scope::<cap::ReadSensitive>().covers(&m.org_path) {
        return Err(AppError::forbidden("您的角色无权查看完整身份证号和电话"));
    }
    audit::record(conn, Some(actor), "member.view_sensitive", "member", Some(id), &m, None, None).await?;
    let org = orgs::get(conn, m.org_id).await?.map(|o| o.name).unwrap_or_default();
    Ok(view(&m, &org, true))
}
