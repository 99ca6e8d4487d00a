//! JSON API for grid governance: grids, buildings and in-service members on them,
//! households and special groups, residents' requests (staff side) and disputes.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::api_training::PeriodQuery;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::disputes::store::{self as disputes, Dispute, DisputeActInput, DisputeEvent, DisputeInput, OpenDisputes, Party};
use crate::error::{AppError, AppResult};
use crate::grids::store::{self as grids, AssignInput, Assignment, Building, BuildingInput, Grid, GridInput, GridSummary, Household, HouseholdDetail, HouseholdInput, HouseholdPatch, ResidentInput, SpecialInput, SpecialRecordInput};
use crate::orgs::store as orgs;
use crate::requests::store::{self as requests, ActInput, Created, Event, OpenList, Request, RequestInput, RequestReport, Team};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/grids", post(create_grid))
        .route("/api/v1/orgs/{id}/grids", get(list_grids))
        .route("/api/v1/orgs/{id}/governance", get(summary))
        .route("/api/v1/grids/{id}", get(get_grid))
        .route("/api/v1/grids/{id}/buildings", post(create_building))
        .route("/api/v1/grids/{id}/households", get(list_households))
        .route("/api/v1/buildings/{id}/assignments", post(assign))
        .route("/api/v1/assignments/{id}", delete(end_assignment))
        .route("/api/v1/households", post(create_household))
        .route("/api/v1/households/{id}", get(get_household).patch(patch_household))
        .route("/api/v1/households/{id}/residents", post(add_resident))
        .route("/api/v1/households/{id}/special", post(add_special))
        .route("/api/v1/special/{id}/records", post(add_special_record))
        .route("/api/v1/orgs/{id}/teams", get(list_teams).post(create_team))
        .route("/api/v1/requests", post(create_request))
        .route("/api/v1/requests/{id}", get(get_request))
        .route("/api/v1/requests/{id}/actions", post(act_request))
        .route("/api/v1/requests/{id}/tracking-code", post(reissue_code))
        .route("/api/v1/orgs/{id}/requests/open", get(open_requests))
        .route("/api/v1/orgs/{id}/requests/report", get(request_report))
        .route("/api/v1/orgs/{id}/requests.xlsx", get(requests_xlsx))
        .route("/api/v1/disputes", post(create_dispute))
        .route("/api/v1/disputes/{id}", get(get_dispute))
        .route("/api/v1/disputes/{id}/actions", post(act_dispute))
        .route("/api/v1/orgs/{id}/disputes/open", get(open_disputes))
        .route("/api/v1/orgs/{id}/disputes/report", get(dispute_report))
        .route("/api/v1/orgs/{id}/disputes/escalate-overdue", post(escalate_overdue))
        .route("/api/v1/orgs/{id}/disputes.xlsx", get(disputes_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(create_grid, list_grids, summary, get_grid, create_building, list_households, assign, end_assignment, create_household, get_household, patch_household, add_resident, add_special, add_special_record,
          list_teams, create_team, create_request, get_request, act_request, reissue_code, open_requests, request_report, requests_xlsx,
          create_dispute, get_dispute, act_dispute, open_disputes, dispute_report, escalate_overdue, disputes_xlsx),
    components(schemas(Grid, GridInput, GridDetail, HouseholdInput, HouseholdPatch, ResidentInput, NewId, Building, BuildingInput, AssignInput, Assignment, Household, HouseholdDetail, SpecialInput, SpecialRecordInput,
          GridSummary, Team, TeamInput, RequestInput, Created, Request, RequestDetail, Event, ActInput, NewTrackingCode, OpenList, RequestReport,
          DisputeInput, Dispute, DisputeDetail, DisputeEvent, Party, DisputeActInput, OpenDisputes, Escalated))
)]
pub struct GovernanceApiDoc;

#[utoipa::path(post, path = "/api/v1/grids", request_body = GridInput, responses((status = 201, body = Grid), (status = 422, body = ErrorResponse)))]
async fn create_grid(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<GridInput>) -> AppResult<(StatusCode, Json<Grid>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| grids::create_grid(&mut tx, &a, &body).await)?)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/grids", responses((status = 200, body = Vec<Grid>)))]
async fn list_grids(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Vec<Grid>>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadResidents>(), id).await?;
    Ok(Json(grids::list_grids(&mut conn, &a.scope(), &org).await?))
}

/// Grids, households, residents, buildings, in-service members on buildings and special groups of a subtree.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/governance", responses((status = 200, body = GridSummary)))]
async fn summary(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<GridSummary>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadResidents>(), id).await?;
    Ok(Json(grids::summary(&mut conn, &a.scope(), &org).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GridDetail {
    pub grid: Grid,
    pub buildings: Vec<Building>,
}

#[utoipa::path(get, path = "/api/v1/grids/{id}", responses((status = 200, body = GridDetail), (status = 404, body = ErrorResponse)))]
async fn get_grid(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<GridDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let grid = grids::get_grid(&mut conn, &a.scope(), id).await?;
    let buildings = grids::buildings(&mut conn, grid.id).await?;
    Ok(Json(GridDetail { grid, buildings }))
}

#[utoipa::path(post, path = "/api/v1/grids/{id}/buildings", request_body = BuildingInput, responses((status = 201, body = Building)))]
async fn create_building(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<BuildingInput>) -> AppResult<(StatusCode, Json<Building>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| grids::create_building(&mut tx, &a, id, &body).await)?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Households only: door number (contains) or head of household (starts with).
    pub q: Option<String>,
    pub offset: Option<i64>,
    /// At most 500; default 100.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/grids/{id}/households", params(PageQuery), responses((status = 200, body = Vec<Household>)))]
async fn list_households(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<PageQuery>) -> AppResult<Json<Vec<Household>>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(grids::households(&mut conn, &a.scope(), id, q.q.as_deref(), q.offset.unwrap_or(0), q.limit.unwrap_or(100)).await?))
}

/// 包楼联户: an in-service member takes a building, reporting to a community (双报到).
#[utoipa::path(post, path = "/api/v1/buildings/{id}/assignments", request_body = AssignInput, responses((status = 201, body = Assignment), (status = 422, body = ErrorResponse)))]
async fn assign(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<AssignInput>) -> AppResult<(StatusCode, Json<Assignment>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| grids::assign(&mut tx, &a, id, &body).await)?)))
}

#[utoipa::path(delete, path = "/api/v1/assignments/{id}", responses((status = 204)))]
async fn end_assignment(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<StatusCode> {
    write_tx!(&s.db, |tx| grids::end_assignment(&mut tx, &a, id).await)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/households", request_body = HouseholdInput, responses((status = 201, body = NewId), (status = 422, body = ErrorResponse)))]
async fn create_household(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<HouseholdInput>) -> AppResult<(StatusCode, Json<NewId>)> {
    let id = write_tx!(&s.db, |tx| grids::create_household(&mut tx, &a, &body).await)?;
    Ok((StatusCode::CREATED, Json(NewId { id })))
}

#[utoipa::path(get, path = "/api/v1/households/{id}", responses((status = 200, body = HouseholdDetail), (status = 404, body = ErrorResponse)))]
async fn get_household(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<HouseholdDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let (d, path) = grids::get_household(&mut conn, &a.scope(), &a.scope(), id).await?;
    crate::audit::full_read(&mut conn, &a, "household", id, &(crate::db::path::ids(&path).last().copied().unwrap_or(0), path.as_str())).await?;
    Ok(Json(d))
}

#[utoipa::path(patch, path = "/api/v1/households/{id}", request_body = HouseholdPatch, responses((status = 200, body = HouseholdDetail), (status = 422, body = ErrorResponse)))]
async fn patch_household(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<HouseholdPatch>) -> AppResult<Json<HouseholdDetail>> {
    write_tx!(&s.db, |tx| grids::update_household(&mut tx, &a, id, &body).await)?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(grids::get_household(&mut conn, &a.scope(), &a.scope(), id).await?.0))
}

#[utoipa::path(post, path = "/api/v1/households/{id}/residents", request_body = ResidentInput, responses((status = 201, body = NewId), (status = 422, body = ErrorResponse)))]
async fn add_resident(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ResidentInput>) -> AppResult<(StatusCode, Json<NewId>)> {
    let id = write_tx!(&s.db, |tx| grids::add_resident(&mut tx, &a, id, &body).await)?;
    Ok((StatusCode::CREATED, Json(NewId { id })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NewId {
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/households/{id}/special", request_body = SpecialInput, responses((status = 201, body = NewId)))]
async fn add_special(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<SpecialInput>) -> AppResult<(StatusCode, Json<NewId>)> {
    let id = write_tx!(&s.db, |tx| grids::add_special(&mut tx, &a, id, &body).await)?;
    Ok((StatusCode::CREATED, Json(NewId { id })))
}

#[utoipa::path(post, path = "/api/v1/special/{id}/records", request_body = SpecialRecordInput, responses((status = 201, body = NewId)))]
async fn add_special_record(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<SpecialRecordInput>) -> AppResult<(StatusCode, Json<NewId>)> {
    let id = write_tx!(&s.db, |tx| grids::add_special_record(&mut tx, &a, id, &body).await)?;
    Ok((StatusCode::CREATED, Json(NewId { id })))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/teams", responses((status = 200, body = Vec<Team>)))]
async fn list_teams(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Vec<Team>>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRequests>(), id).await?;
    Ok(Json(requests::teams(&mut conn, &org).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TeamInput {
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/orgs/{id}/teams", request_body = TeamInput, responses((status = 201, body = Team)))]
async fn create_team(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<TeamInput>) -> AppResult<(StatusCode, Json<Team>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| requests::create_team(&mut tx, &a, id, &body.name).await)?)))
}

/// Staff record a request (door-knocking, hotline, grid worker); the answer carries the tracking code for the resident.
#[utoipa::path(post, path = "/api/v1/requests", request_body = RequestInput, responses((status = 201, body = Created), (status = 422, body = ErrorResponse)))]
async fn create_request(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<RequestInput>) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| requests::create(&mut tx, &a, &s.rules.requests, &body).await)?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RequestDetail {
    pub request: Request,
    pub events: Vec<Event>,
    /// What the caller may do next, in order.
    pub allowed: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/requests/{id}", responses((status = 200, body = RequestDetail), (status = 404, body = ErrorResponse)))]
async fn get_request(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<RequestDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let request = requests::get(&mut conn, &a.scope(), &a.scope(), &s.rules.requests, id).await?;
    crate::audit::full_read(&mut conn, &a, "request", id, &(request.org_id, request.org_path.as_str())).await?;
    let events = requests::events(&mut conn, id).await?;
    let allowed = crate::requests::rules::allowed_actions(request.state()).iter().map(|k| k.code().to_string()).collect();
    Ok(Json(RequestDetail { request, events, allowed }))
}

/// One step of 征集 → 核实 → 公示 → 认领 → 实现 → 反馈/销号; refused steps say what may be done next.
#[utoipa::path(post, path = "/api/v1/requests/{id}/actions", request_body = ActInput, responses((status = 200, body = Request), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn act_request(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ActInput>) -> AppResult<Json<Request>> {
    Ok(Json(write_tx!(&s.db, |tx| requests::act(&mut tx, &a, &s.rules.requests, id, &body).await)?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NewTrackingCode {
    /// Shown once: pass it on to the resident; the old code no longer works.
    pub code: String,
}

/// A resident lost their tracking code: a new one replaces it.
#[utoipa::path(post, path = "/api/v1/requests/{id}/tracking-code", responses((status = 200, body = NewTrackingCode), (status = 404, body = ErrorResponse)))]
async fn reissue_code(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<NewTrackingCode>> {
    let code = write_tx!(&s.db, |tx| requests::reissue_code(&mut tx, &a, &s.rules.requests, id).await)?;
    Ok(Json(NewTrackingCode { code: code.to_string() }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OpenQuery {
    /// Only those past their deadline.
    pub overdue: Option<bool>,
    /// At most 2000; default 200.
    pub limit: Option<i64>,
}

/// Every open request of the subtree, overdue ones first, with the counts.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/requests/open", params(OpenQuery), responses((status = 200, body = OpenList)))]
async fn open_requests(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<OpenQuery>) -> AppResult<Json<OpenList>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRequests>(), id).await?;
    Ok(Json(requests::open_list(&mut conn, &a.scope(), &s.rules.requests, &org, q.overdue.unwrap_or(false), q.limit.unwrap_or(200)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// week (Monday–Sunday) or month, around `date`; or give from/to.
    pub period: Option<String>,
    /// YYYY-MM-DD; defaults to today.
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl ReportQuery {
    /// The period and its title (周调度 / 月研判 / 统计).
    pub fn resolve(&self) -> AppResult<(NaiveDate, NaiveDate, String, String)> {
        use crate::disputes::rules::ReportPeriod;
        let date = match self.date.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => crate::members::validate::parse_day(Some(d))?,
            None => crate::db::today(),
        };
        let p = match self.period.as_deref() {
            Some("week") => ReportPeriod::week_of(date),
            Some("month") | None if self.from.is_none() => ReportPeriod::month_of(date),
            Some(other) if other != "custom" => return Err(AppError::invalid_field("period_invalid", "period", "统计周期应为 week（周）或 month（月），或给出 from 和 to")),
            _ => {
                let range = PeriodQuery { from: self.from.clone(), to: self.to.clone() }.range()?;
                if range.1 < range.0 {
                    return Err(AppError::invalid_field("date_order", "to", "结束日期不能早于开始日期"));
                }
                ReportPeriod::custom(range.0, range.1)
            }
        };
        Ok((p.from, p.to, p.label.clone(), p.title().to_string()))
    }
}

/// The weekly (周调度) or monthly (月研判) report of residents' requests for a subtree.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/requests/report", params(ReportQuery), responses((status = 200, body = RequestReport)))]
async fn request_report(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<ReportQuery>) -> AppResult<Json<RequestReport>> {
    // Scope first: an org out of reach is "not found", whatever the query says.
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRequests>(), id).await?;
    let (from, to, label, _) = q.resolve()?;
    Ok(Json(requests::report(&mut conn, &a.scope(), &s.rules.requests, &org, from, to, &format!("{}群众诉求{label}", org.name)).await?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/requests.xlsx", params(PeriodQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn requests_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<PeriodQuery>) -> AppResult<impl IntoResponse> {
    let (from, to) = q.range()?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRequests>(), id).await?;
    let bytes = requests::ledger_xlsx(&mut conn, &a.scope(), &a.scope(), &s.rules.requests, &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}群众诉求台账{from}至{to}.xlsx", org.name), bytes))
}

#[utoipa::path(post, path = "/api/v1/disputes", request_body = DisputeInput, responses((status = 201, body = Dispute), (status = 422, body = ErrorResponse)))]
async fn create_dispute(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<DisputeInput>) -> AppResult<(StatusCode, Json<Dispute>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| disputes::create(&mut tx, &a, &s.rules.disputes, &body).await)?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DisputeDetail {
    pub dispute: Dispute,
    pub parties: Vec<Party>,
    pub team: Vec<crate::disputes::rules::TeamMember>,
    pub events: Vec<DisputeEvent>,
    /// The org handling it at its current level.
    pub handled_by: String,
    /// 五包一 roles still missing (major cases).
    pub missing_roles: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}", responses((status = 200, body = DisputeDetail), (status = 404, body = ErrorResponse)))]
async fn get_dispute(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<DisputeDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(dispute_detail(&mut conn, &s, &a, id).await?))
}

pub async fn dispute_detail(conn: &mut crate::db::Conn, s: &AppState, a: &crate::auth::roles::Actor, id: i64) -> AppResult<DisputeDetail> {
    let dispute = disputes::get(conn, &a.scope(), id).await?;
    let parties = disputes::parties(conn, &a.scope(), &dispute).await?;
    crate::audit::full_read(conn, a, "dispute", id, &(dispute.org_id, dispute.org_path.as_str())).await?;
    let team = disputes::team(conn, id).await?;
    let events = disputes::events(conn, id).await?;
    let level = crate::disputes::rules::Level::parse(&dispute.level).unwrap_or(crate::disputes::rules::Level::Village);
    let handled_by = disputes::level_org(conn, &dispute, level).await?.name;
    let risk = crate::disputes::rules::Risk::parse(&dispute.risk).unwrap_or(crate::disputes::rules::Risk::General);
    let missing_roles = s.rules.disputes.missing_roles(risk, &team);
    Ok(DisputeDetail { dispute, parties, team, events, handled_by, missing_roles })
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/actions", request_body = DisputeActInput, responses((status = 200, body = Dispute), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn act_dispute(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<DisputeActInput>) -> AppResult<Json<Dispute>> {
    Ok(Json(write_tx!(&s.db, |tx| disputes::act(&mut tx, &a, &s.rules.disputes, id, &body).await)?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/disputes/open", params(OpenQuery), responses((status = 200, body = OpenDisputes)))]
async fn open_disputes(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<OpenQuery>) -> AppResult<Json<OpenDisputes>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadDisputes>(), id).await?;
    Ok(Json(disputes::open_list(&mut conn, &a.scope(), &org, q.limit.unwrap_or(200)).await?))
}

/// 周调度 / 月研判: counts by category and level, resolution rate, overdue cases, escalations.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/disputes/report", params(ReportQuery), responses((status = 200, content_type = "application/json")))]
async fn dispute_report(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<ReportQuery>) -> AppResult<Json<crate::disputes::rules::Report>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadDisputes>(), id).await?;
    let (from, to, _, _) = q.resolve()?;
    Ok(Json(disputes::report(&mut conn, &a.scope(), &s.rules.disputes, &org, from, to).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Escalated {
    pub escalated: usize,
}

/// Escalates every open case of the subtree past its level's time limit (the server also does this hourly).
#[utoipa::path(post, path = "/api/v1/orgs/{id}/disputes/escalate-overdue", responses((status = 200, body = Escalated)))]
async fn escalate_overdue(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Escalated>> {
    let escalated = write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadDisputes>(), id).await?;
        a.require(Perm::WriteDisputes, &org.path)?;
        disputes::escalate_overdue(&mut tx, &s.rules.disputes, Some(&org.path)).await
    })?;
    Ok(Json(Escalated { escalated }))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/disputes.xlsx", params(PeriodQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn disputes_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<PeriodQuery>) -> AppResult<impl IntoResponse> {
    let (from, to) = q.range()?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadDisputes>(), id).await?;
    let bytes = disputes::ledger_xlsx(&mut conn, &a.scope(), &a.scope(), &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}矛盾纠纷台账{from}至{to}.xlsx", org.name), bytes))
}
