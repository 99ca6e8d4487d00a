//! Service centers in the database: one 党群服务中心 per village or community, its checks against
//! the standards of its kind (append-only, with photos), and the board and ledger of a subtree.
//! Read with `ReadOrgs`; registered and checked by the offices (`WriteOrgs`): secretaries read
//! their own village's. Scope is checked before permission, and both before validation.

use std::borrow::Cow;
use std::collections::HashMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, Answer, AnswerError, CenterKind, CenterRules, Item, Signage, Standard, Verdict};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::files::StoredFile;
use crate::members::validate::short_text;
use crate::orgs::model::Org;

/// Photos per check at most.
pub const MAX_PHOTOS: usize = 6;
/// One photo at most 5 MB (a phone photo); six fit in one request.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// The largest check form: six photos and the answers.
pub const CHECK_FORM_BODY: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024;
/// The same over the API, the photos in base64.
pub const CHECK_JSON_BODY: usize = MAX_PHOTOS * MAX_PHOTO_BYTES / 3 * 4 + 256 * 1024;
/// Checks shown in a center's history.
const MAX_HISTORY: i64 = 200;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CenterView {
    pub id: i64,
    pub org_id: i64,
    /// The village's (community's) Party organization.
    pub org_name: String,
    pub parent_name: String,
    /// village, community: which standards apply.
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub address: String,
    pub area_m2: Option<i64>,
    pub registered_by: String,
    pub registered_on: String,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CenterInput {
    /// The village or community (its Party organization).
    pub org_id: Option<i64>,
    /// Default: the village's name and “党群服务中心”.
    pub name: Option<String>,
    pub address: Option<String>,
    /// Floor area in square metres.
    pub area_m2: Option<i64>,
}

/// A photo sent over the API.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PhotoInput {
    pub name: Option<String>,
    /// The bytes, base64 (JPG or PNG).
    pub base64: Option<String>,
}

/// The inspector's answer for one standard.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    /// The standard's code (see the center's `standards`).
    pub code: Option<String>,
    pub met: Option<bool>,
    /// Required when not met: what is wrong.
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CheckInput {
    /// The day of the check (YYYY-MM-DD); today when left out. Never in the future.
    pub on: Option<String>,
    /// Plaques (标牌) counted at the center.
    pub plaques: Option<i64>,
    /// Internal guide signs (内部指引牌) counted.
    pub guide_signs: Option<i64>,
    /// One answer per standard of the center's list.
    pub results: Option<Vec<AnswerInput>>,
    pub note: Option<String>,
    /// At most six photos (JPG, PNG), each at most 5 MB.
    pub photos: Option<Vec<PhotoInput>>,
    /// Photos uploaded from the page (name, bytes).
    #[serde(skip)]
    pub files: Vec<(String, Vec<u8>)>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CheckView {
    pub id: i64,
    pub center_id: i64,
    pub on: String,
    pub by: String,
    #[serde(flatten)]
    pub signage: Signage,
    /// Each standard, met or not, with the note.
    pub items: Vec<Item>,
    pub verdict: Verdict,
    pub note: String,
    pub photos: Vec<StoredFile>,
}

/// A center with the standards that apply and its checks, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Detail {
    pub center: CenterView,
    pub standards: Vec<Standard>,
    pub max_plaques: i64,
    pub max_guide_signs: i64,
    /// The latest check (the center's standing), if any.
    pub latest: Option<CheckView>,
    pub checks: Vec<CheckView>,
    pub source: String,
}

fn kind_of(org: &Org) -> CenterKind {
    if org.domain.code() == "community" {
        CenterKind::Community
    } else {
        CenterKind::Village
    }
}

const CENTER_SELECT: &str = "SELECT c.id, c.org_id, c.org_path, c.kind, c.name, c.address, c.area_m2, c.by_name, c.created_at, o.name AS org_name, p.name AS parent_name \
     FROM service_centers c JOIN orgs o ON o.id = c.org_id LEFT JOIN orgs p ON p.id = o.parent_id";

fn center_view(r: &crate::db::Row) -> AppResult<CenterView> {
    let kind: String = r.try_get("kind")?;
    Ok(CenterView {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        parent_name: r.try_get::<Option<String>, _>("parent_name")?.unwrap_or_default(),
        kind_label: CenterKind::parse(&kind).map(|k| k.label()).unwrap_or("").into(),
        kind,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        area_m2: r.try_get("area_m2")?,
        registered_by: r.try_get("by_name")?,
        registered_on: crate::db::china::date_of(r.try_get("created_at")?).to_string(),
    })
}

/// A center and its path (no scope check).
async fn center(conn: &mut Conn, id: i64) -> AppResult<(CenterView, String)> {
    let r = sqlx::query(&format!("{CENTER_SELECT} WHERE c.id = $1")).bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    Ok((center_view(&r)?, r.try_get("org_path")?))
}

const CHECK_COLS: &str = "k.id, k.center_id, k.on_day, k.by_name, k.plaques, k.guide_signs, k.max_plaques, k.max_guide_signs, k.results, k.note";

fn check_view(r: &crate::db::Row) -> AppResult<CheckView> {
    let items: Vec<Item> = serde_json::from_str(&r.try_get::<String, _>("results")?).map_err(|e| AppError::Internal(e.into()))?;
    let signage = Signage {
        plaques: r.try_get("plaques")?,
        guide_signs: r.try_get("guide_signs")?,
        max_plaques: r.try_get("max_plaques")?,
        max_guide_signs: r.try_get("max_guide_signs")?,
    };
    Ok(CheckView {
        id: r.try_get("id")?,
        center_id: r.try_get("center_id")?,
        on: r.try_get("on_day")?,
        by: r.try_get("by_name")?,
        verdict: rules::judge(&items, signage),
        signage,
        items,
        note: r.try_get("note")?,
        photos: Vec::new(),
    })
}

/// "东关村党支部" → "东关村党群服务中心".
fn default_name(org_name: &str) -> String {
    let mut base = org_name.trim();
    for suffix in ["党总支部委员会", "党支部委员会", "党委员会", "党总支", "党支部", "党委"] {
        if let Some(b) = base.strip_suffix(suffix) {
            base = b;
            break;
        }
    }
    format!("{base}党群服务中心")
}

/// Registers the 党群服务中心 of a village or community: one per village (409 `center_exists`).
pub async fn register(conn: &mut Conn, actor: &Actor, input: &CenterInput) -> AppResult<CenterView> {
    let org = crate::cadres::store::village_to_record(conn, actor, input.org_id, Perm::WriteOrgs, "党群服务中心（由乡镇党委、县委组织部登记和检查）").await?;
    let exists = || AppError::conflict("center_exists", "该村（社区）已登记党群服务中心，请在原中心下记录检查");
    let name = short_text("name", &input.name, 80, "中心名称")?;
    let name = if name.is_empty() { default_name(&org.name) } else { name };
    let address = short_text("address", &input.address, 120, "地址")?;
    if let Some(a) = input.area_m2 {
        if !(1..=100_000).contains(&a) {
            return Err(AppError::invalid_field("area_invalid", "area_m2", "面积应为1至100000平方米之间的整数"));
        }
    }
    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_centers WHERE org_id = $1").bind(org.id).fetch_one(&mut *conn).await?;
    if taken > 0 {
        return Err(exists());
    }
    let kind = kind_of(&org);
    let r = sqlx::query_scalar::<_, i64>(
        "INSERT INTO service_centers (org_id, org_path, kind, name, address, area_m2, by_user_id, by_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(kind.code())
    .bind(&name)
    .bind(&address)
    .bind(input.area_m2)
    .bind(actor.user_id)
    .bind(&actor.display_name)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await;
    let id = match r {
        Ok(id) => id,
        Err(e) if crate::error::is_unique_violation(&e) => return Err(exists()),
        Err(e) => return Err(e.into()),
    };
    audit::record(conn, Some(actor), "centers.register", "service_center", Some(id), &org, None, Some(&serde_json::json!({"name": name, "kind": kind.label(), "address": address, "area_m2": input.area_m2}))).await?;
    Ok(center(conn, id).await?.0)
}

fn answer_error(e: AnswerError) -> AppError {
    let code = match e {
        AnswerError::Missing(_) => "standard_missing",
        AnswerError::Unknown(_) => "standard_unknown",
        AnswerError::Twice(_) => "standard_twice",
        AnswerError::NoteMissing(_) => "note_required",
    };
    AppError::invalid_field(code, "results", e.message())
}

fn count(v: Option<i64>, field: &'static str, what: &str) -> AppResult<i64> {
    v.filter(|n| rules::count_ok(*n)).ok_or_else(|| AppError::invalid_field(if v.is_none() { "count_required" } else { "count_invalid" }, field, format!("请填写{what}（0至{}之间的整数）", rules::MAX_COUNT)))
}

/// The photos of a check: the page's uploads and the API's base64, each a JPG or PNG.
fn photos(input: &CheckInput) -> AppResult<Vec<(crate::files::Checked, Cow<'_, [u8]>)>> {
    let sent: Vec<&PhotoInput> = input.photos.iter().flatten().filter(|p| p.base64.as_deref().is_some_and(|b| !b.trim().is_empty())).collect();
    if sent.len() + input.files.len() > MAX_PHOTOS {
        return Err(AppError::invalid_field("too_many_photos", "photos", format!("每次检查最多上传{MAX_PHOTOS}张照片")));
    }
    let mut out = Vec::new();
    for (name, data) in &input.files {
        out.push((photo_checked(name, data)?, Cow::Borrowed(data.as_slice())));
    }
    for p in sent {
        let data = base64::engine::general_purpose::STANDARD.decode(p.base64.as_deref().unwrap_or("").trim()).map_err(|_| AppError::invalid_field("photo_invalid", "photos", "照片不是有效的 base64 编码"))?;
        let name = p.name.clone().unwrap_or_else(|| "照片".into());
        out.push((photo_checked(&name, &data)?, Cow::Owned(data)));
    }
    Ok(out)
}

fn photo_checked(name: &str, data: &[u8]) -> AppResult<crate::files::Checked> {
    if data.len() > MAX_PHOTO_BYTES {
        return Err(AppError::invalid_field("photo_too_large", "photos", format!("照片“{}”过大（{} KB）：每张不超过 {} MB", crate::files::clean_name(name), data.len() / 1024, MAX_PHOTO_BYTES / 1024 / 1024)));
    }
    let c = crate::files::check(name, data)?;
    if !c.content_type.starts_with("image/") {
        return Err(AppError::invalid_field("photo_type", "photos", format!("“{}”不是照片：只接受 JPG、PNG 照片", c.name)));
    }
    Ok(c)
}

/// Records a check of a center: every standard of its kind met or not (with a note when not),
/// the plaques and guide signs counted, up to six photos. The verdict is kept with the limits in
/// force.
pub async fn record_check(conn: &mut Conn, actor: &Actor, cfg: &Rules, center_id: i64, input: &CheckInput) -> AppResult<CheckView> {
    let (c, path) = center(conn, center_id).await?;
    actor.scope::<cap::ReadOrgs>().require_at(&path)?;
    if !actor.can(Perm::WriteOrgs, &path) {
        return Err(AppError::forbidden("您的角色无权检查党群服务中心（由乡镇党委、县委组织部检查）"));
    }
    let org = crate::orgs::store::get(conn, c.org_id).await?.ok_or(AppError::NotFound)?;
    let rules: &CenterRules = &cfg.centers;
    let on = crate::members::validate::parse_day(input.on.as_deref()).map_err(|_| AppError::invalid_field("on_invalid", "on", "检查日期请写成 2025-06-30"))?;
    if on > crate::db::today() {
        return Err(AppError::invalid_field("on_future", "on", "检查日期不能晚于今天"));
    }
    if on < chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default() {
        return Err(AppError::invalid_field("on_invalid", "on", "检查日期不能早于2000年"));
    }
    let plaques = count(input.plaques, "plaques", "标牌数")?;
    let guide_signs = count(input.guide_signs, "guide_signs", "内部指引牌数")?;
    let kind = CenterKind::parse(&c.kind).unwrap_or(CenterKind::Village);
    let mut given = Vec::new();
    for a in input.results.iter().flatten() {
        let code = a.code.as_deref().map(str::trim).unwrap_or("").to_string();
        let met = a.met.ok_or_else(|| AppError::invalid_field("met_required", "results", format!("请选择“{code}”是否达到")))?;
        let note = short_text("results", &a.note, 200, "问题说明")?;
        given.push(Answer { code, met, note });
    }
    let items = rules::answers(rules.standards(kind), &given).map_err(answer_error)?;
    let note = short_text("note", &input.note, 500, "检查意见")?;
    let files = photos(input)?;
    let signage = Signage { plaques, guide_signs, max_plaques: rules.max_plaques, max_guide_signs: rules.max_guide_signs };
    let verdict = rules::judge(&items, signage);
    let now = now_secs();
    let results = serde_json::to_string(&items).map_err(|e| AppError::Internal(e.into()))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO center_checks (center_id, org_id, org_path, on_day, by_user_id, by_name, plaques, guide_signs, max_plaques, max_guide_signs, results, met, total, passed, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(c.id)
    .bind(org.id)
    .bind(&path)
    .bind(on.to_string())
    .bind(actor.user_id)
    .bind(&actor.display_name)
    .bind(plaques)
    .bind(guide_signs)
    .bind(rules.max_plaques)
    .bind(rules.max_guide_signs)
    .bind(&results)
    .bind(verdict.met as i64)
    .bind(verdict.total as i64)
    .bind(verdict.passed as i64)
    .bind(&note)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let mut stored = Vec::new();
    for (checked, data) in &files {
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO center_photos (check_id, center_id, org_id, org_path, name, content_type, size, sha256, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(id)
        .bind(c.id)
        .bind(org.id)
        .bind(&path)
        .bind(&checked.name)
        .bind(checked.content_type)
        .bind(data.len() as i64)
        .bind(&checked.sha256)
        .bind(data.to_vec())
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        stored.push(StoredFile { id: pid, name: checked.name.clone(), content_type: checked.content_type.into(), size: data.len() as i64, sha256: checked.sha256.clone(), at: now });
    }
    audit::record(
        conn,
        Some(actor),
        "centers.check",
        "service_center",
        Some(c.id),
        &org,
        None,
        Some(&serde_json::json!({"check": id, "on": on.to_string(), "verdict": verdict.label, "met": verdict.met, "total": verdict.total, "plaques": plaques, "guide_signs": guide_signs, "reasons": verdict.reasons, "photos": stored.len()})),
    )
    .await?;
    Ok(CheckView { id, center_id: c.id, on: on.to_string(), by: actor.display_name.clone(), signage, items, verdict, note, photos: stored })
}

/// The photos of the given checks, by check.
async fn photos_of(conn: &mut Conn, check_ids: &[i64]) -> AppResult<HashMap<i64, Vec<StoredFile>>> {
    let mut out: HashMap<i64, Vec<StoredFile>> = HashMap::new();
    for chunk in check_ids.chunks(500) {
        let mut sql = Sql::new("SELECT id, check_id, name, content_type, size, sha256, created_at AS at FROM center_photos WHERE check_id IN (");
        sql.bind_list(chunk.iter().copied()).push(") ORDER BY id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            out.entry(r.try_get("check_id")?).or_default().push(StoredFile::from_row(&r)?);
        }
    }
    Ok(out)
}

/// A center in scope with the standards that apply and its checks, newest first.
pub async fn detail(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, cfg: &Rules, id: i64) -> AppResult<Detail> {
    let (c, path) = center(conn, id).await?;
    scope.require_at(&path)?;
    let rows = sqlx::query(&format!("SELECT {CHECK_COLS} FROM center_checks k WHERE k.center_id = $1 ORDER BY k.on_day DESC, k.id DESC LIMIT {MAX_HISTORY}")).bind(id).fetch_all(&mut *conn).await?;
    let mut checks = rows.iter().map(check_view).collect::<AppResult<Vec<_>>>()?;
    let ids: Vec<i64> = checks.iter().map(|k| k.id).collect();
    let mut photos = photos_of(conn, &ids).await?;
    for k in &mut checks {
        k.photos = photos.remove(&k.id).unwrap_or_default();
    }
    let kind = CenterKind::parse(&c.kind).unwrap_or(CenterKind::Village);
    Ok(Detail {
        standards: cfg.centers.standards(kind).to_vec(),
        max_plaques: cfg.centers.max_plaques,
        max_guide_signs: cfg.centers.max_guide_signs,
        latest: checks.first().cloned(),
        checks,
        center: c,
        source: rules::SOURCE.into(),
    })
}

/// A check's photo, in scope.
pub async fn photo(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, id: i64) -> AppResult<(StoredFile, Vec<u8>)> {
    let r = sqlx::query("SELECT id, name, content_type, size, sha256, created_at AS at, org_path, data FROM center_photos WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    scope.require_at(&r.try_get::<String, _>("org_path")?)?;
    Ok((StoredFile::from_row(&r)?, r.try_get("data")?))
}

/// A village or community of the subtree without a center.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VillageRef {
    pub org_id: i64,
    pub name: String,
    pub parent_name: String,
    /// village or community.
    pub kind: String,
}

/// A center and its latest check of the year.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CenterRow {
    pub center: CenterView,
    /// The latest check of the year, if any.
    pub latest: Option<CheckView>,
    pub checks_in_year: i64,
}

/// How often a standard was not met (in the latest check of the year of each center).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Failure {
    pub kind_label: String,
    pub code: String,
    pub title: String,
    pub centers: usize,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    /// Villages and communities in the subtree.
    pub villages: usize,
    /// Centers registered.
    pub centers: usize,
    /// Centers checked in the year.
    pub checked: usize,
    /// Centers whose latest check of the year is 达标.
    pub passed: usize,
    /// Centers whose latest check of the year is over a signage limit.
    pub over_signage: usize,
    /// Villages and communities with no center registered.
    pub unregistered: Vec<VillageRef>,
    /// Standards not met, most often first.
    pub failures: Vec<Failure>,
    /// Not 达标 first, then not checked, then 达标.
    pub rows: Vec<CenterRow>,
    pub rules: CenterRules,
    pub source: String,
}

/// The service centers of a subtree for a year: which villages have one, which were checked,
/// the latest verdict of each, the standards most often not met.
pub async fn board(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, cfg: &Rules, root: &Org, year: i32) -> AppResult<Board> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!(
        "SELECT o.id, o.name, o.domain, p.name AS parent_name, (SELECT COUNT(*) FROM service_centers c WHERE c.org_id = o.id) AS has_center FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id WHERE {}",
        crate::cadres::store::VILLAGE_WHERE
    ));
    crate::db::push_under(&mut sql, "o.path", &root.path);
    scope.push_filter(&mut sql, "o.path");
    sql.push(" ORDER BY o.path LIMIT ").bind(crate::cadres::store::MAX_VILLAGES);
    let mut villages = 0;
    let mut unregistered = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        villages += 1;
        if r.try_get::<i64, _>("has_center")? == 0 {
            let domain: String = r.try_get("domain")?;
            unregistered.push(VillageRef {
                org_id: r.try_get("id")?,
                name: r.try_get("name")?,
                parent_name: r.try_get::<Option<String>, _>("parent_name")?.unwrap_or_default(),
                kind: if domain == "community" { CenterKind::Community.code().into() } else { CenterKind::Village.code().into() },
            });
        }
    }
    let mut sql = Sql::new(&format!("{CENTER_SELECT} WHERE 1 = 1"));
    crate::db::push_under(&mut sql, "c.org_path", &root.path);
    scope.push_filter(&mut sql, "c.org_path");
    sql.push(" ORDER BY c.org_path LIMIT ").bind(crate::cadres::store::MAX_VILLAGES);
    let mut rows: Vec<CenterRow> = Vec::new();
    let mut index = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let c = center_view(&r)?;
        index.insert(c.id, rows.len());
        rows.push(CenterRow { center: c, latest: None, checks_in_year: 0 });
    }
    let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    // Checks per center in the year.
    let mut sql = Sql::new("SELECT k.center_id, COUNT(*) AS n FROM center_checks k WHERE k.on_day >= ");
    sql.bind(from.clone()).push(" AND k.on_day <= ").bind(to.clone());
    crate::db::push_under(&mut sql, "k.org_path", &root.path);
    scope.push_filter(&mut sql, "k.org_path");
    sql.push(" GROUP BY k.center_id");
    for r in sql.query().fetch_all(&mut *conn).await? {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("center_id")?) {
            rows[i].checks_in_year = r.try_get("n")?;
        }
    }
    // The latest check of the year of each center.
    let mut sql = Sql::new(&format!("SELECT {CHECK_COLS} FROM center_checks k WHERE k.on_day >= "));
    sql.bind(from.clone()).push(" AND k.on_day <= ").bind(to.clone());
    crate::db::push_under(&mut sql, "k.org_path", &root.path);
    scope.push_filter(&mut sql, "k.org_path");
    sql.push(" AND k.id = (SELECT k2.id FROM center_checks k2 WHERE k2.center_id = k.center_id AND k2.on_day >= ").bind(from).push(" AND k2.on_day <= ").bind(to);
    sql.push(" ORDER BY k2.on_day DESC, k2.id DESC LIMIT 1)");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let k = check_view(&r)?;
        if let Some(&i) = index.get(&k.center_id) {
            rows[i].latest = Some(k);
        }
    }
    let mut failures: Vec<Failure> = Vec::new();
    for row in &rows {
        let Some(k) = &row.latest else { continue };
        for it in k.items.iter().filter(|i| !i.met) {
            match failures.iter_mut().find(|f| f.code == it.code && f.kind_label == row.center.kind_label) {
                Some(f) => f.centers += 1,
                None => failures.push(Failure { kind_label: row.center.kind_label.clone(), code: it.code.clone(), title: it.title.clone(), centers: 1 }),
            }
        }
    }
    failures.sort_by(|a, b| b.centers.cmp(&a.centers).then_with(|| a.kind_label.cmp(&b.kind_label)));
    let checked = rows.iter().filter(|r| r.latest.is_some()).count();
    let passed = rows.iter().filter(|r| r.latest.as_ref().is_some_and(|k| k.verdict.passed)).count();
    let over_signage = rows.iter().filter(|r| r.latest.as_ref().is_some_and(|k| k.verdict.plaques_over || k.verdict.guide_signs_over)).count();
    let rank = |r: &CenterRow| match &r.latest {
        Some(k) if !k.verdict.passed => 0,
        None => 1,
        Some(_) => 2,
    };
    rows.sort_by_key(rank);
    Ok(Board {
        org_id: root.id,
        org_name: root.name.clone(),
        year,
        villages,
        centers: rows.len(),
        checked,
        passed,
        over_signage,
        unregistered,
        failures,
        rows,
        rules: cfg.centers.clone(),
        source: rules::SOURCE.into(),
    })
}

/// The 党群服务中心规范化建设台账: one row per center, the villages without one, the standards
/// not met.
pub fn board_xlsx(b: &Board) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("党群服务中心").map_err(x)?;
    ws.write_string_with_format(0, 0, format!("{} {}年度党群服务中心规范化建设台账", b.org_name, b.year), &bold).map_err(x)?;
    let head = ["村（社区）", "上级组织", "类型", "中心名称", "地址", "面积（㎡）", "本年检查次数", "最近检查", "结论", "达到标准", "标牌", "内部指引牌", "未达标情况"];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &bold).map_err(x)?;
    }
    for (i, r) in b.rows.iter().enumerate() {
        let row = i as u32 + 2;
        let c = &r.center;
        ws.write_string(row, 0, &c.org_name).map_err(x)?;
        ws.write_string(row, 1, &c.parent_name).map_err(x)?;
        ws.write_string(row, 2, &c.kind_label).map_err(x)?;
        ws.write_string(row, 3, &c.name).map_err(x)?;
        ws.write_string(row, 4, &c.address).map_err(x)?;
        if let Some(a) = c.area_m2 {
            ws.write_number(row, 5, a as f64).map_err(x)?;
        }
        ws.write_number(row, 6, r.checks_in_year as f64).map_err(x)?;
        match &r.latest {
            Some(k) => {
                ws.write_string(row, 7, &k.on).map_err(x)?;
                ws.write_string(row, 8, &k.verdict.label).map_err(x)?;
                ws.write_string(row, 9, format!("{}/{}", k.verdict.met, k.verdict.total)).map_err(x)?;
                ws.write_number(row, 10, k.signage.plaques as f64).map_err(x)?;
                ws.write_number(row, 11, k.signage.guide_signs as f64).map_err(x)?;
                ws.write_string(row, 12, k.verdict.reasons.join("；")).map_err(x)?;
            }
            None => {
                ws.write_string(row, 8, "本年未检查").map_err(x)?;
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("未建中心").map_err(x)?;
    for (c, h) in ["村（社区）", "上级组织"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(x)?;
    }
    for (i, v) in b.unregistered.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, &v.name).map_err(x)?;
        ws.write_string(i as u32 + 1, 1, &v.parent_name).map_err(x)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("未达标准统计").map_err(x)?;
    for (c, h) in ["类型", "标准", "未达到的中心数"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(x)?;
    }
    for (i, f) in b.failures.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, &f.kind_label).map_err(x)?;
        ws.write_string(i as u32 + 1, 1, &f.title).map_err(x)?;
        ws.write_number(i as u32 + 1, 2, f.centers as f64).map_err(x)?;
    }
    wb.save_to_buffer().map_err(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_drop_the_party_suffix() {
        assert_eq!(default_name("东关村党支部"), "东关村党群服务中心");
        assert_eq!(default_name("龙湖社区党总支"), "龙湖社区党群服务中心");
        assert_eq!(default_name("西山村"), "西山村党群服务中心");
    }
}
