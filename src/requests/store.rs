//! Residents' requests in the database: collection (staff or the public), the closed loop
//! applied through `rules::apply` with an append-only event trail, the tracker by code, the
//! open-and-overdue list, reports and the ledger. Staff reads are bounded to the caller's
//! subtrees; every state change is one optimistic UPDATE (`version`), so of two concurrent
//! claims exactly one wins.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, Action, Claimant, ClaimantKind, Rating, RequestKind, RequestRules, RequestSnapshot, Source, State, StateClass, TrackingCode};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::id_card::mask_phone;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;

/// Longest request text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Request {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// Who handles it now: the org itself, or the level above after arbitration.
    pub owner_org_id: i64,
    pub grid_id: Option<i64>,
    pub household_id: Option<i64>,
    pub kind: String,
    pub kind_label: String,
    pub source: String,
    pub source_label: String,
    pub category: String,
    pub category_label: String,
    pub text: String,
    /// What the public sees once verified (personal details removed by the verifier).
    pub public_text: String,
    pub contact_name: String,
    /// Masked unless the caller may read it in full.
    pub contact_phone: Option<String>,
    pub state: String,
    pub state_label: String,
    /// open, fixed or closed
    pub state_class: String,
    pub expected_days: i64,
    pub handbacks: i64,
    pub claimant_kind: Option<String>,
    pub claimant_name: Option<String>,
    pub dispatched_on: Option<String>,
    pub deadline_on: Option<String>,
    /// Calendar days past the deadline (open requests only).
    pub overdue_days: i64,
    pub fulfilled_on: Option<String>,
    pub closed_on: Option<String>,
    pub rating: Option<String>,
    /// What the resident said with the rating (staff only).
    pub rating_comment: Option<String>,
    pub duplicate_of: Option<i64>,
    pub created_on: String,
    #[serde(skip)]
    pub org_path: String,
    #[serde(skip)]
    pub version: i64,
    #[serde(skip)]
    pub unsatisfied: i64,
    #[serde(skip)]
    pub claimant_id: Option<i64>,
}

const COLS: &str = "r.id, r.org_id, o.name AS org_name, r.org_path, r.owner_org_id, r.grid_id, r.household_id, r.kind, r.source, r.category, r.text, r.public_text, \
    r.contact_name, r.contact_phone, r.state, r.expected_days, r.handbacks, r.unsatisfied, r.claimant_kind, r.claimant_id, r.claimant_name, r.dispatched_on, r.deadline_on, \
    r.fulfilled_on, r.closed_on, r.rating, r.rating_comment, r.duplicate_of, r.created_on, r.version";

fn from_row(r: &Row, rules: &RequestRules, full: bool, today: NaiveDate) -> AppResult<Request> {
    let kind: String = r.try_get("kind")?;
    let source: String = r.try_get("source")?;
    let category: String = r.try_get("category")?;
    let state_code: String = r.try_get("state")?;
    let state = State::parse(&state_code).unwrap_or(State::Collected);
    let deadline_on: Option<String> = r.try_get("deadline_on")?;
    let overdue_days = deadline_on.as_deref().and_then(|d| d.parse().ok()).map(|d| rules::days_overdue(d, today, state) as i64).unwrap_or(0);
    let phone: Option<String> = r.try_get("contact_phone")?;
    Ok(Request {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        owner_org_id: r.try_get("owner_org_id")?,
        grid_id: r.try_get("grid_id")?,
        household_id: r.try_get("household_id")?,
        kind_label: RequestKind::parse(&kind).map(|k| k.label()).unwrap_or("").into(),
        kind,
        source_label: Source::parse(&source).map(|k| k.label()).unwrap_or("").into(),
        source,
        category_label: rules.category(&category).map(|c| c.label.clone()).unwrap_or_else(|| category.clone()),
        category,
        // Numbers the resident typed into the text are personal data too.
        text: {
            let t: String = r.try_get("text")?;
            if full { t } else { crate::members::id_card::mask_numbers_in_text(&t) }
        },
        public_text: r.try_get("public_text")?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: phone.map(|p| if full { p } else { mask_phone(&p) }),
        state_label: state.label().into(),
        state_class: state.class().code().into(),
        state: state_code,
        expected_days: r.try_get("expected_days")?,
        handbacks: r.try_get("handbacks")?,
        unsatisfied: r.try_get("unsatisfied")?,
        claimant_kind: r.try_get("claimant_kind")?,
        claimant_id: r.try_get("claimant_id")?,
        claimant_name: r.try_get("claimant_name")?,
        dispatched_on: r.try_get("dispatched_on")?,
        deadline_on,
        overdue_days,
        fulfilled_on: r.try_get("fulfilled_on")?,
        closed_on: r.try_get("closed_on")?,
        rating: r.try_get("rating")?,
        rating_comment: r.try_get("rating_comment")?,
        duplicate_of: r.try_get("duplicate_of")?,
        created_on: r.try_get("created_on")?,
        version: r.try_get("version")?,
    })
}

impl Request {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Collected)
    }
    fn claimant(&self) -> Option<Claimant> {
        let kind = ClaimantKind::parse(self.claimant_kind.as_deref()?)?;
        Some(Claimant { kind, id: self.claimant_id.unwrap_or(0), name: self.claimant_name.clone().unwrap_or_default() })
    }
    fn snapshot(&self) -> RequestSnapshot {
        let day = |s: &Option<String>| s.as_deref().and_then(|d| d.parse().ok());
        RequestSnapshot {
            state: self.state(),
            expected_days: self.expected_days.max(1) as u32,
            handbacks: self.handbacks.max(0) as u32,
            unsatisfied: self.unsatisfied.max(0) as u32,
            dispatched_on: day(&self.dispatched_on),
            fulfilled_on: day(&self.fulfilled_on),
            closed_on: day(&self.closed_on),
            claimant: self.claimant(),
        }
    }
}

async fn load(conn: &mut Conn, id: i64) -> AppResult<Option<Row>> {
    let sql = format!("SELECT {COLS} FROM requests r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1");
    Ok(sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?)
}

/// A request inside `scope`, its contact in full where `sensitive` covers it; else NotFound.
pub async fn get(
    conn: &mut Conn,
    scope: &Scope<cap::ReadRequests>,
    sensitive: &Scope<cap::ReadSensitive>,
    rules: &RequestRules,
    id: i64,
) -> AppResult<Request> {
    let r = load(conn, id).await?.ok_or(AppError::NotFound)?;
    let path: String = r.try_get("org_path")?;
    scope.require_at(&path)?;
    from_row(&r, rules, sensitive.covers(&path), crate::db::today())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    pub action: String,
    pub action_label: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub to_state_label: String,
    pub note: String,
    pub by_label: String,
    pub on_day: String,
    pub at: i64,
}

pub async fn events(conn: &mut Conn, request_id: i64) -> AppResult<Vec<Event>> {
    let rows = sqlx::query("SELECT id, action, from_state, to_state, note, by_label, on_day, at FROM request_events WHERE request_id = $1 ORDER BY id")
        .bind(request_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let action: String = r.try_get("action")?;
            let to: String = r.try_get("to_state")?;
            Ok(Event {
                id: r.try_get("id")?,
                action_label: rules::ActionKind::parse(&action).map(|a| a.label()).unwrap_or(if action == "collect" { "征集" } else { "" }).into(),
                action,
                from_state: r.try_get("from_state")?,
                to_state_label: State::parse(&to).map(|s| s.label()).unwrap_or("").into(),
                to_state: to,
                note: r.try_get("note")?,
                by_label: r.try_get("by_label")?,
                on_day: r.try_get("on_day")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RequestInput {
    /// The village or community the request belongs to.
    pub org_id: i64,
    pub grid_id: Option<i64>,
    pub household_id: Option<i64>,
    /// door_knocking, online, wish_box, grid_worker, hotline
    pub source: String,
    /// A category code or label from the configured list.
    pub category: String,
    /// opinion, wish, complaint; defaults to the category's kind.
    pub kind: Option<String>,
    pub text: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// A client-chosen key: sending the same one twice records the request once.
    pub nonce: Option<String>,
}

struct Validated {
    source: Source,
    kind: RequestKind,
    category: rules::Category,
    text: String,
    contact_name: String,
    contact_phone: Option<String>,
    nonce: Option<String>,
}

fn validate(rules: &RequestRules, input: &RequestInput) -> AppResult<Validated> {
    let source = Source::parse(&input.source).ok_or_else(|| AppError::invalid_field("source_invalid", "source", format!("来源应为：{}", Source::labels())))?;
    let category = rules.category(&input.category).cloned().ok_or_else(|| {
        AppError::invalid_field("category_invalid", "category", format!("类别应为：{}", rules.categories.iter().map(|c| c.label.as_str()).collect::<Vec<_>>().join("、")))
    })?;
    let kind = match input.kind.as_deref().filter(|k| !k.trim().is_empty()) {
        Some(k) => RequestKind::parse(k).ok_or_else(|| AppError::invalid_field("kind_invalid", "kind", format!("诉求类型应为：{}", RequestKind::labels())))?,
        None => category.kind,
    };
    let text = input.text.trim().to_string();
    let n = text.chars().count();
    if n == 0 {
        return Err(AppError::invalid_field("text_required", "text", "请写下您的诉求或心愿"));
    }
    if n > MAX_TEXT_CHARS {
        return Err(AppError::invalid_field("text_too_long", "text", format!("内容过长（{n} 字）：请控制在 {MAX_TEXT_CHARS} 字以内")));
    }
    let contact_name: String = input.contact_name.as_deref().unwrap_or("").trim().chars().take(30).collect();
    let contact_phone = match input.contact_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if crate::members::validate::valid_phone(p) => Some(p.to_string()),
        Some(_) => return Err(AppError::invalid_field("phone_invalid", "contact_phone", "联系电话应为11位手机号或带区号的固定电话，也可以不填")),
        None => None,
    };
    let nonce = input.nonce.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(64).collect());
    Ok(Validated { source, kind, category, text, contact_name, contact_phone, nonce })
}

/// A new request; returns its id and the tracking code (shown once, stored only as a digest).
/// With a nonce seen before, returns the earlier request and no new code.
async fn insert(conn: &mut Conn, org: &Org, v: &Validated, grid_id: Option<i64>, household_id: Option<i64>, by_user: Option<i64>, by_label: &str) -> AppResult<(i64, Option<TrackingCode>)> {
    if let Some(n) = &v.nonce {
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM requests WHERE nonce = $1").bind(n).fetch_optional(&mut *conn).await?;
        if let Some(id) = existing {
            return Ok((id, None));
        }
    }
    let code = TrackingCode::generate();
    let today = crate::db::today();
    let now = now_secs();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO requests (org_id, org_path, owner_org_id, grid_id, household_id, kind, source, category, text, contact_name, contact_phone, state, is_open, expected_days, \
         tracking_digest, nonce, created_on, created_at, updated_at) VALUES ($1, $2, $1, $3, $4, $5, $6, $7, $8, $9, $10, 'collected', 1, $11, $12, $13, $14, $15, $15) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(grid_id)
    .bind(household_id)
    .bind(v.kind.code())
    .bind(v.source.code())
    .bind(&v.category.code)
    .bind(&v.text)
    .bind(&v.contact_name)
    .bind(v.contact_phone.as_deref())
    .bind(v.category.expected_days as i64)
    .bind(code.digest(&crate::db::secrets::get(conn, crate::db::secrets::TRACKING_KEY).await?))
    .bind(v.nonce.as_deref())
    .bind(today.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    crate::tallies::mark(conn, crate::tallies::Source::Requests, org.id).await?;
    sqlx::query("INSERT INTO request_events (request_id, action, from_state, to_state, note, by_user_id, by_label, on_day, at) VALUES ($1, 'collect', NULL, 'collected', $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(format!("经{}收到，待核实", v.source.label()))
        .bind(by_user)
        .bind(by_label)
        .bind(today.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok((id, Some(code)))
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
    /// Give this to the resident: it is the only way to follow the request without an account.
    pub tracking_code: Option<String>,
}

/// Staff (a grid worker after door-knocking, the hotline…) record a request.
pub async fn create(conn: &mut Conn, actor: &Actor, rules: &RequestRules, input: &RequestInput) -> AppResult<Created> {
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadRequests>(), input.org_id).await?;
    actor.require(Perm::WriteRequests, &org.path)?;
    let v = validate(rules, input)?;
    if let Some(g) = input.grid_id {
        let grid = crate::grids::store::get_grid(conn, &actor.scope(), g).await?;
        if !grid.org_path.starts_with(&org.path) {
            return Err(AppError::invalid_field("grid_outside", "grid_id", "网格不属于该村（社区）"));
        }
    }
    if let Some(h) = input.household_id {
        let (_, path) = crate::grids::store::get_household(conn, &actor.scope(), &actor.scope(), h).await?;
        if !path.starts_with(&org.path) {
            return Err(AppError::invalid_field("household_outside", "household_id", "该户不属于该村（社区）"));
        }
    }
    let by = by_label(actor, &org.path);
    let (id, code) = insert(conn, &org, &v, input.grid_id, input.household_id, Some(actor.user_id), &by).await?;
    audit::record(conn, Some(actor), "request.create", "request", Some(id), &org, None, Some(&serde_json::json!({"category": v.category.code, "source": v.source.code()}))).await?;
    Ok(Created { id, tracking_code: code.map(|c| c.to_string()) })
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PublicInput {
    pub category: String,
    pub text: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// wish_box when reached from a box's QR code; online otherwise.
    pub source: Option<String>,
    pub nonce: Option<String>,
}

/// A resident submits without an account (the public page, Open311).
pub async fn submit_public(conn: &mut Conn, rules: &RequestRules, org: &Org, input: &PublicInput) -> AppResult<Created> {
    if org.is_dissolved() {
        return Err(AppError::NotFound);
    }
    let source = match input.source.as_deref() {
        Some("wish_box") => "wish_box",
        _ => "online",
    };
    let v = validate(rules, &RequestInput {
        org_id: org.id,
        source: source.into(),
        category: input.category.clone(),
        text: input.text.clone(),
        contact_name: input.contact_name.clone(),
        contact_phone: input.contact_phone.clone(),
        nonce: input.nonce.clone(),
        ..Default::default()
    })?;
    let (id, code) = insert(conn, org, &v, None, None, None, "群众").await?;
    Ok(Created { id, tracking_code: code.map(|c| c.to_string()) })
}

/// How the trail names the one who acted: the org of their role that covers the request.
fn by_label(actor: &Actor, path: &str) -> String {
    actor
        .grants
        .iter()
        .filter(|g| path.starts_with(&g.org_path))
        .max_by_key(|g| g.org_path.len())
        .map(|g| format!("{}（{}）", g.org_name, g.role.label()))
        .unwrap_or_else(|| actor.display_name.clone())
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ActInput {
    /// verify, publish, claim, release, assign, fulfil, rate, close_duplicate, close_out_of_scope, close_unresolvable, close_no_feedback
    pub action: String,
    /// For claim / assign: vanguard_team, member or org, with its id.
    pub claimant_kind: Option<String>,
    pub claimant_id: Option<i64>,
    /// For release and the closures.
    pub reason: Option<String>,
    /// For fulfil: what was done (public).
    pub note: Option<String>,
    /// For rate: satisfied, basic, unsatisfied (as the resident said, e.g. by phone).
    pub rating: Option<String>,
    pub comment: Option<String>,
    /// For close_duplicate: the id of the original request.
    pub duplicate_of: Option<i64>,
    /// For verify: the text the public sees (personal details removed); defaults to the text.
    pub public_text: Option<String>,
}

async fn claimant(conn: &mut Conn, actor: &Actor, req: &Request, kind: Option<&str>, id: Option<i64>) -> AppResult<Claimant> {
    let kind = kind.and_then(ClaimantKind::parse).ok_or_else(|| AppError::invalid_field("claimant_required", "claimant_kind", "请选择认领方：先锋队、在职党员或组织"))?;
    let id = id.ok_or_else(|| AppError::invalid_field("claimant_required", "claimant_id", "请选择认领方"))?;
    let missing = || AppError::invalid_field("claimant_not_found", "claimant_id", "没有找到该认领方，或不在本村（社区）及其上级范围内");
    let name = match kind {
        ClaimantKind::VanguardTeam => {
            let r = sqlx::query("SELECT t.name, o.path FROM vanguard_teams t JOIN orgs o ON o.id = t.org_id WHERE t.id = $1").bind(id).fetch_optional(&mut *conn).await?.ok_or_else(missing)?;
            let path: String = r.try_get("path")?;
            if !req.org_path.starts_with(&path) && !path.starts_with(&req.org_path) {
                return Err(missing());
            }
            r.try_get::<String, _>("name")?
        }
        ClaimantKind::Member => {
            let m = crate::members::store::get(conn, id).await?.ok_or_else(missing)?;
            let local = m.org_path.starts_with(&req.org_path);
            // A member outside the caller's scope and the community claims only as an in-service
            // member who reported (双报到) here; anyone else is "no such member", unnamed.
            let outsider = !local && !actor.scope::<cap::ReadMembers>().covers(&m.org_path);
            if outsider && (!m.in_service || !reported_to(conn, m.id, &req.org_path).await?) {
                return Err(missing());
            }
            if !m.in_service && !local {
                return Err(AppError::invalid_field("not_in_service", "claimant_id", format!("{}不是在职党员，也不是本村（社区）党员", m.name)));
            }
            m.name
        }
        ClaimantKind::Org => {
            let o = orgs::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), id).await.map_err(|_| missing())?;
            o.name
        }
    };
    Ok(Claimant { kind, id, name })
}

/// Has the member reported (双报到) to the org at `org_path` or one above it?
async fn reported_to(conn: &mut Conn, member_id: i64, org_path: &str) -> AppResult<bool> {
    let paths: Vec<String> = sqlx::query_scalar("SELECT o.path FROM building_assignments a JOIN orgs o ON o.id = a.report_org_id WHERE a.member_id = $1 AND a.ended_on IS NULL")
        .bind(member_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(paths.iter().any(|p| org_path.starts_with(p.as_str())))
}

fn required(v: &Option<String>, field: &'static str, what: &str) -> AppResult<String> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() <= 500 => Ok(s.to_string()),
        Some(_) => Err(AppError::invalid_field("text_too_long", field, format!("{what}不超过500字"))),
        None => Err(AppError::invalid_field("reason_required", field, format!("请填写{what}"))),
    }
}

/// One step of the closed loop by staff. Refusals carry the rule's code and say what may be done next.
pub async fn act(conn: &mut Conn, actor: &Actor, rules: &RequestRules, id: i64, input: &ActInput) -> AppResult<Request> {
    let req = get(conn, &actor.scope(), &actor.scope(), rules, id).await?;
    let owner = orgs::get(conn, req.owner_org_id).await?.ok_or(AppError::NotFound)?;
    // After arbitration the level above acts; otherwise anyone managing the request's org.
    if !actor.can(Perm::WriteRequests, &owner.path) {
        return Err(AppError::forbidden(if req.state() == State::Arbitration { format!("该诉求已提交{}协调，由其处理", owner.name) } else { "您的角色无权办理该诉求".into() }));
    }
    let kind = rules::ActionKind::parse(&input.action).ok_or_else(|| AppError::invalid_field("action_invalid", "action", format!("操作应为：{}", rules::ActionKind::labels())))?;
    let action = match kind {
        rules::ActionKind::Verify => Action::Verify,
        rules::ActionKind::Publish => Action::Publish,
        rules::ActionKind::Claim => Action::Claim { claimant: claimant(conn, actor, &req, input.claimant_kind.as_deref(), input.claimant_id).await? },
        rules::ActionKind::Assign => Action::Assign { claimant: claimant(conn, actor, &req, input.claimant_kind.as_deref(), input.claimant_id).await? },
        rules::ActionKind::Release => Action::Release { reason: required(&input.reason, "reason", "退回原因")? },
        rules::ActionKind::Fulfil => Action::Fulfil { note: required(&input.note, "note", "办理结果")? },
        rules::ActionKind::Rate => Action::Rate {
            rating: input.rating.as_deref().and_then(Rating::parse).ok_or_else(|| AppError::invalid_field("rating_invalid", "rating", "评价应为：满意、基本满意、不满意"))?,
            comment: input.comment.clone().unwrap_or_default(),
        },
        rules::ActionKind::CloseDuplicate => {
            let of = input.duplicate_of.ok_or_else(|| AppError::invalid_field("duplicate_of_required", "duplicate_of", "请填写原诉求编号"))?;
            let orig = get(conn, &actor.scope(), &actor.scope(), rules, of).await.map_err(|_| AppError::invalid_field("duplicate_of_invalid", "duplicate_of", "原诉求编号不存在或不在您的范围内"))?;
            if orig.id == req.id {
                return Err(AppError::invalid_field("duplicate_of_invalid", "duplicate_of", "不能标记为自身的重复件"));
            }
            Action::CloseDuplicate { of, reason: input.reason.clone().unwrap_or_default() }
        }
        rules::ActionKind::CloseOutOfScope => Action::CloseOutOfScope { reason: input.reason.clone().unwrap_or_default() },
        rules::ActionKind::CloseUnresolvable => Action::CloseUnresolvable { reason: input.reason.clone().unwrap_or_default() },
        rules::ActionKind::CloseNoFeedback => Action::CloseNoFeedback,
    };
    let public_text = match kind {
        rules::ActionKind::Verify => Some(crate::members::id_card::mask_numbers_in_text(
            &input.public_text.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(&req.text).chars().take(MAX_TEXT_CHARS).collect::<String>(),
        )),
        _ => None,
    };
    let by = by_label(actor, &req.org_path);
    apply(conn, rules, &req, &action, public_text, Some(actor.user_id), &by).await?;
    let dup = if let Action::CloseDuplicate { of, .. } = &action { Some(*of) } else { None };
    audit::record(conn, Some(actor), "request.act", "request", Some(id), &(req.org_id, req.org_path.as_str()), Some(&serde_json::json!({"state": req.state})), Some(&serde_json::json!({"action": kind.code(), "duplicate_of": dup}))).await?;
    get(conn, &actor.scope(), &actor.scope(), rules, id).await
}

/// Applies an accepted transition: one optimistic UPDATE and one event row.
async fn apply(conn: &mut Conn, rules: &RequestRules, req: &Request, action: &Action, public_text: Option<String>, by_user: Option<i64>, by: &str) -> AppResult<()> {
    crate::tallies::mark_path(conn, crate::tallies::Source::Requests, &req.org_path).await?;
    let today = crate::db::today();
    let before = req.snapshot();
    let t = rules::apply(rules, &before, action, today).map_err(|r| AppError::invalid(r.code.code(), r.message))?;
    let after = t.apply_to(&before);
    let deadline = after.deadline(&rules.calendar).map(|d| d.to_string());
    let owner = if t.escalate {
        let org = orgs::get(conn, req.owner_org_id).await?.ok_or(AppError::NotFound)?;
        org.parent_id.unwrap_or(org.id)
    } else {
        req.owner_org_id
    };
    let claimant = after.claimant.as_ref();
    let duplicate_of = if let Action::CloseDuplicate { of, .. } = action { Some(*of) } else { req.duplicate_of };
    let rating = t.rating.map(|r| r.code().to_string()).or(req.rating.clone());
    let n = sqlx::query(
        "UPDATE requests SET state = $1, is_open = $2, handbacks = $3, unsatisfied = $4, claimant_kind = $5, claimant_id = $6, claimant_name = $7, dispatched_on = $8, \
         deadline_on = $9, fulfilled_on = $10, closed_on = $11, rating = $12, duplicate_of = $13, owner_org_id = $14, public_text = COALESCE($15, public_text), \
         updated_at = $16, version = version + 1, rating_comment = COALESCE($19, rating_comment) WHERE id = $17 AND version = $18",
    )
    .bind(after.state.code())
    .bind((after.state.class() == StateClass::Open) as i64)
    .bind(after.handbacks as i64)
    .bind(after.unsatisfied as i64)
    .bind(claimant.map(|c| c.kind.code()))
    .bind(claimant.map(|c| c.id))
    .bind(claimant.map(|c| c.name.clone()))
    .bind(after.dispatched_on.map(|d| d.to_string()))
    .bind(deadline)
    .bind(after.fulfilled_on.map(|d| d.to_string()))
    .bind(after.closed_on.map(|d| d.to_string()))
    .bind(rating)
    .bind(duplicate_of)
    .bind(owner)
    .bind(public_text)
    .bind(now_secs())
    .bind(req.id)
    .bind(req.version)
    .bind(match action {
        Action::Rate { comment, .. } if !comment.trim().is_empty() => Some(comment.trim().chars().take(500).collect::<String>()),
        _ => None,
    })
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::conflict("state_changed", "该诉求刚刚已被他人处理，请刷新后查看最新状态"));
    }
    sqlx::query("INSERT INTO request_events (request_id, action, from_state, to_state, note, by_user_id, by_label, on_day, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(req.id)
        .bind(t.action.code())
        .bind(t.from.code())
        .bind(t.to.code())
        // Trail notes are public (the tracker, Open311): numbers typed into them are masked.
        .bind(crate::members::id_card::mask_numbers_in_text(&t.note))
        .bind(by_user)
        .bind(by)
        .bind(today.to_string())
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// The public tracker
// ---------------------------------------------------------------------------

/// What the holder of a tracking code sees: no one's personal data.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Tracked {
    pub id: i64,
    pub org_name: String,
    pub category_label: String,
    pub kind_label: String,
    /// The resident's own words (they hold the code).
    pub text: String,
    pub state: String,
    pub state_label: String,
    pub state_class: String,
    pub status_note: String,
    pub deadline_on: Option<String>,
    pub created_on: String,
    pub rating: Option<String>,
    pub can_rate: bool,
    pub events: Vec<PublicEvent>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PublicEvent {
    pub on_day: String,
    pub action_label: String,
    pub state_label: String,
    pub note: String,
}

async fn by_code(conn: &mut Conn, rules: &RequestRules, code: &str) -> AppResult<Row> {
    let code = TrackingCode::parse(code).map_err(|e| AppError::invalid_field("tracking_code_invalid", "code", format!("查询码有误：{e}。查询码形如 WG7K-2M9Q-XH4T-J，请核对后重新输入")))?;
    let key = crate::db::secrets::get(conn, crate::db::secrets::TRACKING_KEY).await?;
    let sql = format!("SELECT {COLS} FROM requests r JOIN orgs o ON o.id = r.org_id WHERE r.tracking_digest IN ($1, $2)");
    let r = sqlx::query(&sql).bind(code.digest(&key)).bind(code.legacy_digest()).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let closed: Option<String> = r.try_get("closed_on")?;
    if TrackingCode::expired(closed.as_deref().and_then(|d| d.parse().ok()), crate::db::today(), rules) {
        return Err(AppError::Gone(format!("该诉求已于 {} 办结销号，查询码已过期（办结后 {} 天内可查）", closed.unwrap_or_default(), rules.tracking_expires_days_after_close)));
    }
    Ok(r)
}

pub async fn track(conn: &mut Conn, rules: &RequestRules, code: &str) -> AppResult<Tracked> {
    let r = by_code(conn, rules, code).await?;
    let req = from_row(&r, rules, false, crate::db::today())?;
    let state = req.state();
    let events = events(conn, req.id)
        .await?
        .into_iter()
        .map(|e| PublicEvent { on_day: e.on_day, action_label: e.action_label, state_label: e.to_state_label, note: e.note })
        .collect();
    Ok(Tracked {
        id: req.id,
        org_name: req.org_name.clone(),
        category_label: req.category_label.clone(),
        kind_label: req.kind_label.clone(),
        status_note: rules::public_status_note(state, req.claimant().as_ref()),
        can_rate: state == State::Fulfilled,
        text: req.text,
        state: req.state,
        state_label: req.state_label,
        state_class: req.state_class,
        deadline_on: req.deadline_on,
        created_on: req.created_on,
        rating: req.rating,
        events,
    })
}

/// The resident rates the result with their code.
pub async fn rate_public(conn: &mut Conn, rules: &RequestRules, code: &str, rating: &str, comment: &str) -> AppResult<Tracked> {
    let r = by_code(conn, rules, code).await?;
    let req = from_row(&r, rules, false, crate::db::today())?;
    let rating = Rating::parse(rating).ok_or_else(|| AppError::invalid_field("rating_invalid", "rating", "请选择：满意、基本满意或不满意"))?;
    let comment: String = comment.trim().chars().take(500).collect();
    apply(conn, rules, &req, &Action::Rate { rating, comment }, None, None, "群众").await?;
    track(conn, rules, code).await
}

// ---------------------------------------------------------------------------
// Lists, reports, ledger
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OpenList {
    pub open: i64,
    pub overdue: i64,
    /// Overdue first (most days first), then by deadline; at most `limit`.
    pub items: Vec<Request>,
}

/// Every open request in the subtree with its deadline; overdue ones first.
pub async fn open_list(conn: &mut Conn, scope: &Scope<cap::ReadRequests>, rules: &RequestRules, root: &Org, only_overdue: bool, limit: i64) -> AppResult<OpenList> {
    let scope = scope.within(&root.path);
    let today = crate::db::today().to_string();
    let mut count = Sql::new("SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN r.deadline_on < ");
    count.bind(today.clone()).push(" THEN 1 ELSE 0 END), 0) AS overdue FROM requests r WHERE r.is_open = 1");
    scope.push_filter(&mut count, "r.org_path");
    let c = count.query().fetch_one(&mut *conn).await?;
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM requests r JOIN orgs o ON o.id = r.org_id WHERE r.is_open = 1"));
    scope.push_filter(&mut sql, "r.org_path");
    if only_overdue {
        sql.push(" AND r.deadline_on < ").bind(today);
    }
    sql.push(" ORDER BY CASE WHEN r.deadline_on IS NULL THEN 1 ELSE 0 END, r.deadline_on, r.id LIMIT ").bind(limit.clamp(1, 2000));
    // Lists are masked for everyone; a request's own page shows (and logs) the full contact.
    let full = false;
    let now = crate::db::today();
    let items = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| from_row(r, rules, full, now)).collect::<AppResult<Vec<_>>>()?;
    Ok(OpenList { open: c.try_get("n")?, overdue: c.try_get("overdue")?, items })
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CountRow {
    pub key: String,
    pub label: String,
    pub received: i64,
    pub closed: i64,
    pub open: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RequestReport {
    pub title: String,
    pub from: String,
    pub to: String,
    pub received: i64,
    /// Fixed or closed during the period.
    pub finished: i64,
    /// Of those, fixed (办结) rather than closed as duplicate, out of scope or unresolvable.
    pub fixed: i64,
    pub finished_on_time: i64,
    /// Basis points of finished (fixed) requests done by their deadline.
    pub on_time_bp: Option<i64>,
    pub rated: i64,
    pub satisfied_or_basic: i64,
    pub satisfaction_bp: Option<i64>,
    /// Open now in the subtree, and of those overdue.
    pub open_now: i64,
    pub overdue_now: i64,
    pub by_category: Vec<CountRow>,
    pub by_source: Vec<CountRow>,
    pub by_org: Vec<CountRow>,
    pub summary: String,
}

fn bp(n: i64, d: i64) -> Option<i64> {
    (d > 0).then(|| (n * 20000 + d) / (2 * d))
}

pub fn pct(bp: Option<i64>) -> String {
    bp.map(|b| format!("{}.{:02}%", b / 100, b % 100)).unwrap_or_else(|| "—".into())
}

/// The weekly or monthly report for a subtree: received, finished, on time, satisfaction,
/// by category, source and org, and what is open or overdue now. One query per block.
pub async fn report(conn: &mut Conn, scope: &Scope<cap::ReadRequests>, rules: &RequestRules, root: &Org, from: NaiveDate, to: NaiveDate, title: &str) -> AppResult<RequestReport> {
    let scope = scope.within(&root.path);
    let (f, t) = (from.to_string(), to.to_string());
    let today = crate::db::today().to_string();
    // Received in the period, grouped by category, source and org at once.
    let mut sql = Sql::new("SELECT r.category, r.source, r.org_id, COUNT(*) AS n, SUM(CASE WHEN r.is_open = 1 THEN 0 ELSE 1 END) AS done FROM requests r WHERE r.created_on >= ");
    sql.bind(f.clone()).push(" AND r.created_on <= ").bind(t.clone());
    scope.push_filter(&mut sql, "r.org_path");
    sql.push(" GROUP BY r.category, r.source, r.org_id");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let mut by_category: Vec<CountRow> = Vec::new();
    let mut by_source: Vec<CountRow> = Vec::new();
    let mut by_org_ids: Vec<(i64, i64, i64)> = Vec::new();
    let mut received = 0;
    let bump = |list: &mut Vec<CountRow>, key: String, label: String, n: i64, done: i64| match list.iter_mut().find(|c| c.key == key) {
        Some(c) => {
            c.received += n;
            c.closed += done;
            c.open += n - done;
        }
        None => list.push(CountRow { key, label, received: n, closed: done, open: n - done }),
    };
    for r in &rows {
        let (cat, src, org): (String, String, i64) = (r.try_get("category")?, r.try_get("source")?, r.try_get("org_id")?);
        let (n, done): (i64, i64) = (r.try_get("n")?, r.try_get::<Option<i64>, _>("done")?.unwrap_or(0));
        received += n;
        let cl = rules.category(&cat).map(|c| c.label.clone()).unwrap_or_else(|| cat.clone());
        bump(&mut by_category, cat, cl, n, done);
        let sl = Source::parse(&src).map(|s| s.label().to_string()).unwrap_or_else(|| src.clone());
        bump(&mut by_source, src, sl, n, done);
        match by_org_ids.iter_mut().find(|x| x.0 == org) {
            Some(x) => {
                x.1 += n;
                x.2 += done;
            }
            None => by_org_ids.push((org, n, done)),
        }
    }
    let mut by_org = Vec::new();
    if !by_org_ids.is_empty() {
        let mut sql = Sql::new("SELECT id, name FROM orgs WHERE id IN (");
        sql.bind_list(by_org_ids.iter().map(|x| x.0)).push(")");
        let names = sql.query().fetch_all(&mut *conn).await?;
        for (id, n, done) in &by_org_ids {
            let name = names.iter().find(|r| r.try_get::<i64, _>("id").ok() == Some(*id)).and_then(|r| r.try_get::<String, _>("name").ok()).unwrap_or_default();
            by_org.push(CountRow { key: id.to_string(), label: name, received: *n, closed: *done, open: n - done });
        }
    }
    for list in [&mut by_category, &mut by_source, &mut by_org] {
        list.sort_by(|a, b| b.received.cmp(&a.received).then(a.key.cmp(&b.key)));
    }
    // Finished in the period (whenever received).
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS finished, \
         COALESCE(SUM(CASE WHEN r.state IN ('fulfilled', 'closed') THEN 1 ELSE 0 END), 0) AS fixed, \
         COALESCE(SUM(CASE WHEN r.state IN ('fulfilled', 'closed') AND r.deadline_on IS NOT NULL AND COALESCE(r.fulfilled_on, r.closed_on) <= r.deadline_on THEN 1 ELSE 0 END), 0) AS on_time, \
         COALESCE(SUM(CASE WHEN r.rating IS NOT NULL THEN 1 ELSE 0 END), 0) AS rated, \
         COALESCE(SUM(CASE WHEN r.rating IN ('satisfied', 'basic') THEN 1 ELSE 0 END), 0) AS good \
         FROM requests r WHERE r.is_open = 0 AND COALESCE(r.closed_on, r.fulfilled_on) >= ",
    );
    sql.bind(f.clone()).push(" AND COALESCE(r.closed_on, r.fulfilled_on) <= ").bind(t.clone());
    scope.push_filter(&mut sql, "r.org_path");
    let d = sql.query().fetch_one(&mut *conn).await?;
    let (finished, fixed, on_time, rated, good): (i64, i64, i64, i64, i64) = (d.try_get("finished")?, d.try_get("fixed")?, d.try_get("on_time")?, d.try_get("rated")?, d.try_get("good")?);
    let mut sql = Sql::new("SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN r.deadline_on < ");
    sql.bind(today).push(" THEN 1 ELSE 0 END), 0) AS overdue FROM requests r WHERE r.is_open = 1");
    scope.push_filter(&mut sql, "r.org_path");
    let o = sql.query().fetch_one(&mut *conn).await?;
    let (open_now, overdue_now): (i64, i64) = (o.try_get("n")?, o.try_get("overdue")?);
    let (on_time_bp, satisfaction_bp) = (bp(on_time, fixed), bp(good, rated));
    let summary = format!(
        "{title}：{f} 至 {t} 共收到群众诉求 {received} 件，办结 {finished} 件（其中解决 {fixed} 件，按时 {on_time} 件，按时率 {}）；评价 {rated} 件，满意和基本满意率 {}。目前在办 {open_now} 件，其中超期 {overdue_now} 件。",
        pct(on_time_bp),
        pct(satisfaction_bp)
    );
    Ok(RequestReport {
        title: title.into(),
        from: f,
        to: t,
        received,
        finished,
        fixed,
        finished_on_time: on_time,
        on_time_bp,
        rated,
        satisfied_or_basic: good,
        satisfaction_bp,
        open_now,
        overdue_now,
        by_category,
        by_source,
        by_org,
        summary,
    })
}

/// The request ledger (台账) of a subtree and period as a workbook, one row per request.
/// Contacts are in full only when `sensitive` covers every part of the subtree read.
pub async fn ledger_xlsx(
    conn: &mut Conn,
    scope: &Scope<cap::ReadRequests>,
    sensitive: &Scope<cap::ReadSensitive>,
    rules: &RequestRules,
    root: &Org,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<u8>> {
    let scope = scope.within(&root.path);
    let full = scope.prefixes().iter().all(|p| sensitive.covers(p));
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM requests r JOIN orgs o ON o.id = r.org_id WHERE r.created_on >= "));
    sql.bind(from.to_string()).push(" AND r.created_on <= ").bind(to.to_string());
    scope.push_filter(&mut sql, "r.org_path");
    sql.push(" ORDER BY r.created_on, r.id LIMIT 1000001");
    let today = crate::db::today();
    let mut rows = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let q = from_row(&r, rules, full, today)?;
        rows.push(vec![
            q.id.to_string(),
            q.created_on,
            q.org_name,
            q.source_label,
            q.kind_label,
            q.category_label,
            q.text,
            q.contact_name,
            q.contact_phone.unwrap_or_default(),
            q.state_label,
            q.claimant_name.unwrap_or_default(),
            q.dispatched_on.unwrap_or_default(),
            q.deadline_on.unwrap_or_default(),
            if q.overdue_days > 0 { q.overdue_days.to_string() } else { String::new() },
            q.fulfilled_on.unwrap_or_default(),
            q.closed_on.unwrap_or_default(),
            q.rating.as_deref().and_then(Rating::parse).map(|r| r.label().to_string()).unwrap_or_default(),
        ]);
    }
    let headers = ["编号", "收到日期", "村（社区）", "来源", "类型", "类别", "内容", "联系人", "联系电话", "状态", "认领方", "派单日期", "办理时限", "超期天数", "办结日期", "销号日期", "评价"];
    let widths = [8.0, 11.0, 18.0, 12.0, 8.0, 10.0, 50.0, 8.0, 13.0, 8.0, 16.0, 11.0, 11.0, 8.0, 11.0, 11.0, 8.0];
    crate::members::sheets::write_table_xlsx(&format!("{}群众诉求台账", root.name), &headers, &widths, rows.into_iter()).map_err(|e| AppError::invalid("export_failed", e))
}

// ---------------------------------------------------------------------------
// Vanguard teams (claimants)
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Team {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
}

pub async fn create_team(conn: &mut Conn, actor: &Actor, org_id: i64, name: &str) -> AppResult<Team> {
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadRequests>(), org_id).await?;
    actor.require(Perm::WriteRequests, &org.path)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(AppError::invalid_field("name_required", "name", "请填写先锋队名称（不超过40字）"));
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM vanguard_teams WHERE org_id = $1 AND name = $2").bind(org.id).bind(name).fetch_optional(&mut *conn).await?;
    if exists.is_some() {
        return Err(AppError::conflict("team_exists", format!("{}已有“{name}”", org.name)));
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO vanguard_teams (org_id, name, created_at) VALUES ($1, $2, $3) RETURNING id").bind(org.id).bind(name).bind(now_secs()).fetch_one(&mut *conn).await?;
    audit::record(conn, Some(actor), "team.create", "org", Some(org.id), &org, None, Some(&serde_json::json!({"team": name}))).await?;
    Ok(Team { id, org_id: org.id, name: name.into() })
}

/// Teams of the org, its ancestors and its subtree (those who may claim its requests).
pub async fn teams(conn: &mut Conn, org: &Org) -> AppResult<Vec<Team>> {
    let mut sql = Sql::new("SELECT t.id, t.org_id, t.name FROM vanguard_teams t JOIN orgs o ON o.id = t.org_id WHERE (o.path >= ");
    sql.bind(org.path.clone()).push(" AND o.path < ").bind(crate::db::path::upper(&org.path)).push(") OR t.org_id IN (");
    sql.bind_list(crate::db::path::ids(&org.path)).push(") ORDER BY o.path, t.name LIMIT 500");
    sql.query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(Team { id: r.try_get("id")?, org_id: r.try_get("org_id")?, name: r.try_get("name")? }))
        .collect()
}

/// A photo the resident attached: JPG or PNG, at most this size.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// Checks a submitted photo before anything is written.
pub fn check_photo(name: &str, data: &[u8]) -> AppResult<&'static str> {
    if data.len() > MAX_PHOTO_BYTES {
        return Err(AppError::invalid_field("photo_too_large", "photo", format!("照片过大：请不超过 {} MB", MAX_PHOTO_BYTES / 1024 / 1024)));
    }
    match crate::files::sniff(name, data) {
        Some(t) if t.starts_with("image/") => Ok(t),
        _ => Err(AppError::invalid_field("photo_type", "photo", "照片须是 JPG 或 PNG 格式")),
    }
}

pub async fn add_photo(conn: &mut Conn, request_id: i64, name: &str, data: &[u8]) -> AppResult<()> {
    use sha2::Digest;
    let content_type = check_photo(name, data)?;
    let sha = sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect::<String>();
    sqlx::query("INSERT INTO request_files (request_id, name, content_type, size, sha256, data, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(request_id)
        .bind(crate::files::clean_name(name))
        .bind(content_type)
        .bind(data.len() as i64)
        .bind(sha)
        .bind(data.to_vec())
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Photo ids of a request (staff view).
pub async fn photos(conn: &mut Conn, request_id: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM request_files WHERE request_id = $1 ORDER BY id").bind(request_id).fetch_all(&mut *conn).await?)
}

/// One photo of a request inside `scope`.
pub async fn photo(conn: &mut Conn, scope: &Scope<cap::ReadRequests>, request_id: i64, file_id: i64) -> AppResult<(String, Vec<u8>)> {
    let r = load(conn, request_id).await?.ok_or(AppError::NotFound)?;
    scope.require_at(&r.try_get::<String, _>("org_path")?)?;
    let row = sqlx::query("SELECT content_type, data FROM request_files WHERE request_id = $1 AND id = $2").bind(request_id).bind(file_id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    Ok((row.try_get("content_type")?, row.try_get("data")?))
}

/// What an Open311 list asks for.
pub struct PublicFilter<'a> {
    pub ids: &'a [i64],
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub category: Option<&'a str>,
    pub open: Option<bool>,
}

/// Requests of an org's subtree for Open311 (public fields only), newest first.
pub async fn public_list(conn: &mut Conn, rules: &RequestRules, root: &Org, f: &PublicFilter<'_>) -> AppResult<Vec<Request>> {
    let PublicFilter { ids, from, to, category, open } = *f;
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM requests r JOIN orgs o ON o.id = r.org_id WHERE r.org_path >= "));
    sql.bind(root.path.clone()).push(" AND r.org_path < ").bind(crate::db::path::upper(&root.path));
    if !ids.is_empty() {
        sql.push(" AND r.id IN (").bind_list(ids.iter().copied()).push(")");
    } else {
        sql.push(" AND r.created_on >= ").bind(from.to_string()).push(" AND r.created_on <= ").bind(to.to_string());
    }
    if let Some(c) = category {
        sql.push(" AND r.category = ").bind(c.to_string());
    }
    if let Some(o) = open {
        sql.push(" AND r.is_open = ").bind(o as i64);
    }
    sql.push(" ORDER BY r.id DESC LIMIT 1000");
    let today = crate::db::today();
    sql.query().fetch_all(&mut *conn).await?.iter().map(|r| from_row(r, rules, false, today)).collect()
}

/// A request by id for the public (Open311): public fields only.
pub async fn public_get(conn: &mut Conn, rules: &RequestRules, id: i64) -> AppResult<Request> {
    let r = load(conn, id).await?.ok_or(AppError::NotFound)?;
    from_row(&r, rules, false, crate::db::today())
}

pub async fn owner_name(conn: &mut Conn, r: &Request) -> AppResult<String> {
    Ok(orgs::get(conn, r.owner_org_id).await?.map(|o| o.name).unwrap_or_default())
}

/// The public words of a request: its verified public text, or nothing before 核实.
pub fn public_description(r: &Request) -> String {
    if r.state() == State::Collected { String::new() } else { r.public_text.clone() }
}

/// A resident lost their tracking code: staff who may handle the request issue a new one (shown
/// once, to be passed on by phone or in person); the old code stops working. Audited.
pub async fn reissue_code(conn: &mut Conn, actor: &Actor, rules: &RequestRules, id: i64) -> AppResult<TrackingCode> {
    let r = get(conn, &actor.scope(), &actor.scope(), rules, id).await?;
    if !actor.can(Perm::WriteRequests, &r.org_path) {
        return Err(AppError::forbidden("您的角色无权为该诉求补发查询码"));
    }
    let code = TrackingCode::generate();
    let digest = code.digest(&crate::db::secrets::get(conn, crate::db::secrets::TRACKING_KEY).await?);
    sqlx::query("UPDATE requests SET tracking_digest = $1, updated_at = $2 WHERE id = $3").bind(digest).bind(now_secs()).bind(id).execute(&mut *conn).await?;
    audit::record(conn, Some(actor), "request.reissue_code", "request", Some(id), &(r.org_id, r.org_path.as_str()), None, None).await?;
    Ok(code)
}
