//! UI pages for grid governance: the overview of a subtree with its grids, a grid with its
//! buildings and households, a household, residents' requests (open list, detail with the
//! next steps, reports) and disputes (open list, detail, 周调度/月研判), and the wish-box QR.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api_governance::{DisputeDetail, ReportQuery};
use super::session::WebActor;
use super::boundary::{Flash, IMPORT_BODY};
use super::ui::{notice_redirect, options, render, Nav, UiResult};
use super::AppState;
use crate::auth::roles::Perm;
use crate::auth::{cap, Capability, Scope};
use crate::disputes::rules::{Category as DCategory, Level, Referral, Report as DReport, Risk, TeamMember};
use crate::disputes::store::{self as disputes, DisputeActInput, DisputeInput, OpenDisputes, PartyInput};
use crate::error::AppError;
use crate::grids::model::{GridKind, SpecialKind, SpecialRecordKind};
use crate::grids::store::{self as grids, AssignInput, Building, BuildingInput, Grid, GridInput, GridSummary, Household, HouseholdDetail, HouseholdInput, SpecialInput, SpecialRecordInput};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::requests::rules::{ActionKind, Rating, Source};
use crate::requests::store::{self as requests, ActInput, Event, OpenList, Request, RequestInput, RequestReport, Team};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/governance", get(overview))
        .route("/orgs/{id}/wishbox-qr.svg", get(wishbox_qr))
        .route("/orgs/{id}/wishbox-poster", get(wishbox_poster))
        .route("/orgs/{id}/households/import", post(households_import).layer(axum::extract::DefaultBodyLimit::max(IMPORT_BODY)))
        .route("/households/template.xlsx", get(households_template))
        .route("/grids", post(grid_create))
        .route("/grids/{id}", get(grid_page))
        .route("/grids/{id}/buildings", post(building_create))
        .route("/grids/{id}/households", post(household_create))
        .route("/buildings/{id}/assign", post(building_assign))
        .route("/households/{id}", get(household_page))
        .route("/households/{id}/special", post(special_add))
        .route("/households/{id}/edit", post(household_edit))
        .route("/households/{id}/residents", post(resident_add))
        .route("/special/{id}/records", post(special_record))
        .route("/orgs/{id}/requests", get(requests_page))
        .route("/orgs/{id}/requests/report", get(requests_report_page))
        .route("/orgs/{id}/requests.xlsx", get(requests_xlsx))
        .route("/orgs/{id}/teams", post(team_create))
        .route("/requests", post(request_create))
        .route("/requests/{id}", get(request_page))
        .route("/requests/{id}/act", post(request_act))
        .route("/requests/{id}/tracking-code", post(request_reissue_code))
        .route("/orgs/{id}/disputes", get(disputes_page))
        .route("/orgs/{id}/disputes/report", get(disputes_report_page))
        .route("/orgs/{id}/disputes.xlsx", get(disputes_xlsx))
        .route("/disputes", post(dispute_create))
        .route("/disputes/{id}", get(dispute_page))
        .route("/disputes/{id}/act", post(dispute_act))
}

async fn scoped<C: Capability>(s: &AppState, scope: &Scope<C>, id: i64) -> UiResult<(sqlx::pool::PoolConnection<sqlx::Any>, Org)> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, scope, id).await?;
    Ok((conn, org))
}

fn opt_i64(v: &Option<String>, field: &'static str) -> Result<Option<i64>, AppError> {
    match v.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        Some(x) => x.parse().map(Some).map_err(|_| AppError::invalid_field("id_invalid", field, "编号应为数字")),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------
// Overview, grids, households
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "governance.html")]
struct OverviewPage {
    nav: Nav,
    org: Org,
    sum: GridSummary,
    grids: Vec<Grid>,
    can_manage: bool,
    public_url: String,
    kinds: Vec<(&'static str, &'static str)>,
    open_requests: i64,
    overdue_requests: i64,
    open_disputes: i64,
    overdue_disputes: i64,
    notice: Option<String>,
}

async fn overview(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, headers: HeaderMap, q: Flash) -> UiResult<Response> {
    let (mut conn, org) = scoped(&s, &a.scope::<cap::ReadResidents>(), id).await?;
    let sum = grids::summary(&mut conn, &a.scope(), &org).await?;
    let list = grids::list_grids(&mut conn, &a.scope(), &org).await?;
    let open = requests::open_list(&mut conn, &a.scope(), &s.rules.requests, &org, false, 1).await?;
    let od = disputes::open_list(&mut conn, &a.scope(), &org, 1).await?;
    render(&OverviewPage {
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteResidents, &org.path),
        public_url: format!("{}/p/{}", super::api_life::base_url(&headers), org.code),
        sum,
        grids: list,
        org,
        kinds: options(GridKind::ALL, GridKind::code, GridKind::label),
        open_requests: open.open,
        overdue_requests: open.overdue,
        open_disputes: od.open,
        overdue_disputes: od.overdue,
        notice: q.notice,
    })
}

/// A printable QR code for the community's wish box: it opens the public submission page.
async fn wishbox_qr(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, headers: HeaderMap) -> UiResult<Response> {
    let (_, org) = scoped(&s, &a.scope::<cap::ReadRequests>(), id).await?;
    let svg = super::api_life::qr_svg(&format!("{}/p/{}?source=wish_box", super::api_life::base_url(&headers), org.code))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// An A4 poster for the wish box: the village, what the box is for, how to use it, the QR code.
async fn wishbox_poster(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, headers: HeaderMap) -> UiResult<Response> {
    let (_, org) = scoped(&s, &a.scope::<cap::ReadRequests>(), id).await?;
    let url = format!("{}/p/{}?source=wish_box", super::api_life::base_url(&headers), org.code);
    render(&super::ui::Poster {
        nav: Nav::of(&a),
        title: "微光心愿箱".into(),
        org_name: org.name.clone(),
        purpose: "有困难、有诉求、有心愿，扫一扫告诉我们。村（社区）党组织受理，党员认领办理，办理进度随时可查。".into(),
        steps: vec![
            "用手机微信或相机扫描下方二维码".into(),
            "选择类别，写下您的诉求或心愿，留下联系方式（仅工作人员可见）".into(),
            "提交后记下查询码，凭查询码随时查看办理进度、评价办理结果".into(),
        ],
        qr: super::api_life::qr_svg(&url)?,
        url,
        footer: "无需注册，不收取任何费用。紧急情况请直接拨打110、120。".into(),
    })
}

#[derive(Template)]
#[template(path = "households_import.html")]
struct ImportResultPage {
    nav: Nav,
    org: Org,
    errors: Vec<crate::members::sheets::RowError>,
}

/// Households from a sheet: all rows checked first; any error imports nothing and every error is listed.
async fn households_import(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, mp: axum::extract::Multipart) -> UiResult<Response> {
    let a = &wa.0;
    let (_, org) = scoped(&s, &a.scope::<cap::WriteResidents>(), id).await?;
    a.require(Perm::WriteResidents, &org.path)?;
    let up = super::ui::read_upload(&wa, mp).await?;
    match crate::grids::import::import_households(&s.db, Some(a), &org, &up.path, up.kind).await {
        Ok(r) => Ok(notice_redirect(&format!("/orgs/{id}/governance"), &format!("导入完成：{} 行，{} 户，{} 位居民，{} 条特殊群体记录", r.rows, r.households, r.residents, r.special)).into_response()),
        Err(AppError::ImportRejected(errors)) => {
            let mut resp = render(&ImportResultPage { nav: Nav::of(a), org, errors })?;
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

async fn households_template(WebActor(_a): WebActor) -> UiResult<Response> {
    let bytes = crate::grids::import::household_template_xlsx().map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(super::api::xlsx_response("住户导入模板.xlsx", bytes).into_response())
}

#[derive(Deserialize)]
struct GridForm {
    csrf: String,
    org_id: i64,
    kind: String,
    parent_grid_id: Option<String>,
    code: String,
    name: String,
    worker_user_id: Option<String>,
}

async fn grid_create(State(s): State<AppState>, wa: WebActor, Form(f): Form<GridForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = GridInput { org_id: f.org_id, kind: f.kind, parent_grid_id: opt_i64(&f.parent_grid_id, "parent_grid_id")?, code: f.code, name: f.name, worker_user_id: opt_i64(&f.worker_user_id, "worker_user_id")? };
    let g = write_tx!(&s.db, |tx| grids::create_grid(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&format!("/grids/{}", g.id), "网格已建立"))
}

#[derive(Template)]
#[template(path = "grid.html")]
struct GridPage {
    nav: Nav,
    g: Grid,
    buildings: Vec<Building>,
    households: Vec<Household>,
    offset: i64,
    more: bool,
    can_manage: bool,
    notice: Option<String>,
    q: String,
}

#[derive(Deserialize)]
struct GridQuery {
    /// The flash message, never from the URL.
    #[serde(skip)]
    notice: Option<String>,
    offset: Option<i64>,
    /// Door number or head of household.
    #[serde(default)]
    q: String,
}

const PAGE: i64 = 100;

async fn grid_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, flash: Flash, Query(mut q): Query<GridQuery>) -> UiResult<Response> {
    q.notice = flash.notice;
    let mut conn = s.db.pool.acquire().await?;
    let g = grids::get_grid(&mut conn, &a.scope(), id).await?;
    let buildings = grids::buildings(&mut conn, g.id).await?;
    let offset = q.offset.unwrap_or(0).max(0);
    let mut households = grids::households(&mut conn, &a.scope(), g.id, Some(&q.q), offset, PAGE + 1).await?;
    let more = households.len() as i64 > PAGE;
    households.truncate(PAGE as usize);
    render(&GridPage { nav: Nav::of(&a), can_manage: a.can(Perm::WriteResidents, &g.org_path), g, buildings, households, offset, more, notice: q.notice, q: q.q })
}

#[derive(Deserialize)]
struct BuildingForm {
    csrf: String,
    name: String,
    group_org_id: Option<String>,
}

async fn building_create(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<BuildingForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = BuildingInput { name: f.name, group_org_id: opt_i64(&f.group_org_id, "group_org_id")? };
    write_tx!(&s.db, |tx| grids::create_building(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/grids/{id}"), "楼栋已添加"))
}

#[derive(Deserialize)]
struct AssignForm {
    csrf: String,
    grid_id: i64,
    member_id: String,
    report_org_id: Option<String>,
}

async fn building_assign(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<AssignForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let member_id = f.member_id.trim().parse().map_err(|_| AppError::invalid_field("id_invalid", "member_id", "党员编号应为数字"))?;
    let input = AssignInput { member_id, report_org_id: opt_i64(&f.report_org_id, "report_org_id")?, reported_on: None };
    write_tx!(&s.db, |tx| grids::assign(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/grids/{}", f.grid_id), "已登记包楼联户"))
}

#[derive(Deserialize)]
struct HouseholdForm {
    csrf: String,
    building_id: Option<String>,
    address: String,
    head_name: String,
    phone: Option<String>,
    head_id_number: Option<String>,
    head_gender: Option<String>,
}

async fn household_create(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<HouseholdForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let head = grids::ResidentInput {
        name: f.head_name.clone(),
        id_number: f.head_id_number.clone(),
        gender: f.head_gender.clone(),
        birth_date: None,
        relation: Some("户主".into()),
        phone: f.phone.clone(),
    };
    let input = HouseholdInput { grid_id: id, building_id: opt_i64(&f.building_id, "building_id")?, address: f.address, head_name: f.head_name, phone: f.phone, central_member_id: None, residents: vec![head] };
    let hid = write_tx!(&s.db, |tx| grids::create_household(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&format!("/households/{hid}"), "已登记，可继续添加特殊群体"))
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    nav: Nav,
    d: HouseholdDetail,
    can_manage: bool,
    notice: Option<String>,
    special_kinds: Vec<(&'static str, &'static str)>,
    record_kinds: Vec<(&'static str, &'static str)>,
    /// Residents the birth date says belong in 80岁以上高龄老人: (resident id, why).
    suggestions: Vec<(i64, String)>,
}

async fn household_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (d, path) = grids::get_household(&mut conn, &a.scope(), &a.scope(), id).await?;
    crate::audit::full_read(&mut conn, &a, "household", id, &(crate::db::path::ids(&path).last().copied().unwrap_or(0), path.as_str())).await?;
    let residents: Vec<(i64, &str, Option<&str>)> = d.residents.iter().map(|r| (r.id, r.name.as_str(), r.birth_date.as_deref())).collect();
    let current: Vec<(SpecialKind, Option<i64>)> = d.special.iter().filter(|g| g.until.is_none()).filter_map(|g| Some((SpecialKind::parse(&g.kind)?, g.resident_id))).collect();
    let suggestions = crate::grids::model::elderly_suggestions(&residents, &current, crate::db::today());
    render(&HouseholdPage {
        suggestions,
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteResidents, &path),
        d,
        notice: q.notice,
        special_kinds: options(SpecialKind::ALL, SpecialKind::code, SpecialKind::label),
        record_kinds: options(SpecialRecordKind::ALL, SpecialRecordKind::code, SpecialRecordKind::label),
    })
}

#[derive(Deserialize)]
struct HouseholdEditForm {
    csrf: String,
    address: String,
    head_name: String,
    phone: Option<String>,
    central_member_id: Option<String>,
}

async fn household_edit(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<HouseholdEditForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    // A masked phone coming back unchanged is not a new number.
    let phone = f.phone.filter(|p| !p.contains('*'));
    let central_member_id = opt_i64(&f.central_member_id, "central_member_id")?;
    // The form always carries the field: left empty, it clears the 党员中心户.
    let clear_central_member = central_member_id.is_none();
    let patch = grids::HouseholdPatch { address: Some(f.address), head_name: Some(f.head_name), phone, central_member_id, clear_central_member, ..Default::default() };
    write_tx!(&s.db, |tx| grids::update_household(&mut tx, a, id, &patch).await)?;
    Ok(notice_redirect(&format!("/households/{id}"), "已保存"))
}

#[derive(Deserialize)]
struct ResidentForm {
    csrf: String,
    name: String,
    relation: Option<String>,
    gender: Option<String>,
    id_number: Option<String>,
    phone: Option<String>,
}

async fn resident_add(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ResidentForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let r = grids::ResidentInput { name: f.name, id_number: f.id_number, gender: f.gender, birth_date: None, relation: f.relation, phone: f.phone };
    write_tx!(&s.db, |tx| grids::add_resident(&mut tx, a, id, &r).await)?;
    Ok(notice_redirect(&format!("/households/{id}"), "已添加家庭成员"))
}

#[derive(Deserialize)]
struct SpecialForm {
    csrf: String,
    kind: String,
    resident_id: Option<String>,
    note: Option<String>,
}

async fn special_add(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<SpecialForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = SpecialInput { kind: f.kind, resident_id: opt_i64(&f.resident_id, "resident_id")?, since: None, note: f.note };
    write_tx!(&s.db, |tx| grids::add_special(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/households/{id}"), "已登记"))
}

#[derive(Deserialize)]
struct RecordForm {
    csrf: String,
    household_id: i64,
    kind: String,
    amount: Option<String>,
    note: Option<String>,
}

async fn special_record(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<RecordForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = SpecialRecordInput { kind: f.kind, on: None, amount: f.amount, note: f.note };
    write_tx!(&s.db, |tx| grids::add_special_record(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/households/{}", f.household_id), "记录已保存"))
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "requests.html")]
struct RequestsPage {
    nav: Nav,
    org: Org,
    open: OpenList,
    only_overdue: bool,
    can_manage: bool,
    notice: Option<String>,
    categories: Vec<(String, String)>,
    sources: Vec<(&'static str, &'static str)>,
    teams: Vec<Team>,
}

#[derive(Deserialize)]
struct RequestsQuery {
    overdue: Option<String>,
    /// The flash message, never from the URL.
    #[serde(skip)]
    notice: Option<String>,
}

async fn requests_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, flash: Flash, Query(mut q): Query<RequestsQuery>) -> UiResult<Response> {
    q.notice = flash.notice;
    let (mut conn, org) = scoped(&s, &a.scope::<cap::ReadRequests>(), id).await?;
    let only_overdue = q.overdue.as_deref() == Some("1");
    let open = requests::open_list(&mut conn, &a.scope(), &s.rules.requests, &org, only_overdue, 500).await?;
    let teams = requests::teams(&mut conn, &org).await?;
    render(&RequestsPage {
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteRequests, &org.path),
        org,
        open,
        only_overdue,
        notice: q.notice,
        categories: s.rules.requests.categories.iter().map(|c| (c.code.clone(), format!("{}（{}个工作日）", c.label, c.expected_days))).collect(),
        sources: options(Source::ALL, Source::code, Source::label),
        teams,
    })
}

#[derive(Deserialize)]
struct TeamForm {
    csrf: String,
    name: String,
}

async fn team_create(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<TeamForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    write_tx!(&s.db, |tx| requests::create_team(&mut tx, a, id, &f.name).await)?;
    Ok(notice_redirect(&format!("/orgs/{id}/requests"), "先锋队已建立"))
}

#[derive(Deserialize)]
struct RequestForm {
    csrf: String,
    org_id: i64,
    source: String,
    category: String,
    text: String,
    contact_name: Option<String>,
    contact_phone: Option<String>,
}

async fn request_create(State(s): State<AppState>, wa: WebActor, Form(f): Form<RequestForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = RequestInput { org_id: f.org_id, source: f.source, category: f.category, text: f.text, contact_name: f.contact_name, contact_phone: f.contact_phone, ..Default::default() };
    let c = write_tx!(&s.db, |tx| requests::create(&mut tx, a, &s.rules.requests, &input).await)?;
    let code = c.tracking_code.unwrap_or_default();
    Ok(notice_redirect(&format!("/requests/{}", c.id), &format!("已登记。请把查询码 {code} 告诉群众，凭码可查询进度和评价")))
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    nav: Nav,
    r: Request,
    events: Vec<Event>,
    allowed: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    notice: Option<String>,
    teams: Vec<Team>,
    ratings: Vec<(&'static str, &'static str)>,
    photos: Vec<i64>,
}

impl RequestPage {
    fn may(&self, action: &str) -> bool {
        self.can_manage && self.allowed.iter().any(|a| a.0 == action)
    }
}

async fn request_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let r = requests::get(&mut conn, &a.scope(), &a.scope(), &s.rules.requests, id).await?;
    crate::audit::full_read(&mut conn, &a, "request", id, &(r.org_id, r.org_path.as_str())).await?;
    let events = requests::events(&mut conn, id).await?;
    let owner = orgs::get(&mut conn, r.owner_org_id).await?.ok_or(AppError::NotFound)?;
    let org = orgs::get(&mut conn, r.org_id).await?.ok_or(AppError::NotFound)?;
    let teams = requests::teams(&mut conn, &org).await?;
    let photos = requests::photos(&mut conn, id).await?;
    let allowed = crate::requests::rules::allowed_actions(r.state()).into_iter().map(|k| (k.code(), k.label())).collect();
    render(&RequestPage {
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteRequests, &owner.path),
        r,
        events,
        allowed,
        notice: q.notice,
        teams,
        ratings: options(Rating::ALL, Rating::code, Rating::label),
        photos,
    })
}

#[derive(Deserialize)]
struct ActForm {
    csrf: String,
    action: String,
    claimant: Option<String>,
    /// A member chosen in the picker claims instead of the selected team or org.
    claim_member_id: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    rating: Option<String>,
    duplicate_of: Option<String>,
    public_text: Option<String>,
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn request_reissue_code(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let code = write_tx!(&s.db, |tx| requests::reissue_code(&mut tx, a, &s.rules.requests, id).await)?;
    Ok(notice_redirect(&format!("/requests/{id}"), &format!("新的查询码：{code}。请告知群众（只显示这一次），原查询码已失效。")))
}

async fn request_act(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ActForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    // The claimant select sends "kind:id"; a member picked below it wins.
    let picked = f.claim_member_id.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| format!("member:{v}"));
    let (claimant_kind, claimant_id) = match picked.as_deref().or(f.claimant.as_deref()).and_then(|c| c.split_once(':')) {
        Some((k, i)) => (Some(k.to_string()), i.trim().parse().ok()),
        None => (None, None),
    };
    let input = ActInput {
        action: f.action.clone(),
        claimant_kind,
        claimant_id,
        reason: f.reason,
        note: f.note,
        rating: f.rating,
        comment: None,
        duplicate_of: opt_i64(&f.duplicate_of, "duplicate_of")?,
        public_text: f.public_text,
    };
    write_tx!(&s.db, |tx| requests::act(&mut tx, a, &s.rules.requests, id, &input).await)?;
    let label = ActionKind::parse(&f.action).map(|k| k.label()).unwrap_or("操作");
    Ok(notice_redirect(&format!("/requests/{id}"), &format!("{label}已完成")))
}

#[derive(Template)]
#[template(path = "requests_report.html")]
struct RequestsReportPage {
    nav: Nav,
    org: Org,
    r: RequestReport,
    period: String,
    date: String,
}

impl RequestsReportPage {
    fn pct(&self, bp: &Option<i64>) -> String {
        requests::pct(*bp)
    }
    fn blocks(&self) -> Vec<(&'static str, &Vec<requests::CountRow>)> {
        vec![("按类别", &self.r.by_category), ("按来源", &self.r.by_source), ("按村（社区）", &self.r.by_org)]
    }
}

async fn requests_report_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<ReportQuery>) -> UiResult<Response> {
    let (from, to, label, _) = q.resolve()?;
    let (mut conn, org) = scoped(&s, &a.scope::<cap::ReadRequests>(), id).await?;
    let r = requests::report(&mut conn, &a.scope(), &s.rules.requests, &org, from, to, &format!("{}群众诉求{label}", org.name)).await?;
    render(&RequestsReportPage { nav: Nav::of(&a), org, r, period: q.period.clone().unwrap_or_else(|| "month".into()), date: q.date.clone().unwrap_or_else(|| crate::db::today().to_string()) })
}

async fn requests_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<super::api_training::PeriodQuery>) -> UiResult<Response> {
    let (from, to) = q.range()?;
    let (mut conn, org) = scoped(&s, &a.scope::<cap::ReadRequests>(), id).await?;
    let bytes = requests::ledger_xlsx(&mut conn, &a.scope(), &a.scope(), &s.rules.requests, &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}群众诉求台账{from}至{to}.xlsx", org.name), bytes).into_response())
}

// ---------------------------------------------------------------------------
// Disputes
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "disputes.html")]
struct DisputesPage {
    nav: Nav,
    org: Org,
    open: OpenDisputes,
    can_manage: bool,
    notice: Option<String>,
    categories: Vec<(&'static str, &'static str)>,
    risks: Vec<(&'static str, &'static str)>,
}

async fn disputes_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    let (mut conn, org) = scoped(&s, &a.scope::<cap::ReadDisputes>(), id).await?;
    let open = disputes::open_list(&mut conn, &a.scope(), &org, 500).await?;
    render(&DisputesPage {
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteDisputes, &org.path),
        org,
        open,
        notice: q.notice,
        categories: options(DCategory::ALL, DCategory::code, DCategory::label),
        risks: options(Risk::ALL, Risk::code, Risk::label),
    })
}

#[derive(Deserialize)]
struct DisputeForm {
    csrf: String,
    org_id: i64,
    category: String,
    risk: String,
    summary: String,
    /// One party per line: 姓名 电话
    parties: String,
}

async fn dispute_create(State(s): State<AppState>, wa: WebActor, Form(f): Form<DisputeForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let parties = f
        .parties
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut it = l.split([' ', ',', '，', '\t']).filter(|x| !x.is_empty());
            PartyInput { name: it.next().unwrap_or("").to_string(), phone: it.next().map(String::from), role: None }
        })
        .collect();
    let input = DisputeInput { org_id: f.org_id, grid_id: None, category: f.category, risk: f.risk, summary: f.summary, parties, opened_on: None };
    let d = write_tx!(&s.db, |tx| disputes::create(&mut tx, a, &s.rules.disputes, &input).await)?;
    Ok(notice_redirect(&format!("/disputes/{}", d.id), "已排查登记"))
}

#[derive(Template)]
#[template(path = "dispute.html")]
struct DisputePage {
    nav: Nav,
    d: DisputeDetail,
    can_manage: bool,
    notice: Option<String>,
    referrals: Vec<(&'static str, &'static str)>,
    risks: Vec<(&'static str, &'static str)>,
    roles: Vec<String>,
}

impl DisputePage {
    fn member(&self, role: &str) -> String {
        self.d.team.iter().find(|t| t.role == role).map(|t| t.name.clone()).unwrap_or_default()
    }
    fn open(&self) -> bool {
        matches!(self.d.dispute.state.as_str(), "screened" | "mediating")
    }
}

async fn dispute_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let d = super::api_governance::dispute_detail(&mut conn, &s, &a, id).await?;
    let level = Level::parse(&d.dispute.level).unwrap_or(Level::Village);
    let handler = disputes::level_org(&mut conn, &d.dispute, level).await?;
    render(&DisputePage {
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteDisputes, &handler.path),
        d,
        notice: q.notice,
        referrals: options(Referral::ALL, Referral::code, Referral::label),
        risks: options(Risk::ALL, Risk::code, Risk::label),
        roles: s.rules.disputes.five_for_one_roles.clone(),
    })
}

async fn dispute_act(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<Vec<(String, String)>>) -> UiResult<Redirect> {
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    wa.check_csrf(&get("csrf").unwrap_or_default())?;
    let a = &wa.0;
    let team = f.iter().filter_map(|(k, v)| k.strip_prefix("team_").map(|role| TeamMember { role: role.to_string(), name: v.trim().to_string() })).filter(|t| !t.name.is_empty()).collect();
    let input = DisputeActInput {
        action: get("action").unwrap_or_default(),
        note: get("note"),
        agreement: get("agreement"),
        referral: get("referral"),
        reason: get("reason"),
        escalation_reason: get("escalation_reason"),
        risk: get("risk"),
        team,
    };
    write_tx!(&s.db, |tx| disputes::act(&mut tx, a, &s.rules.disputes, id, &input).await)?;
    Ok(notice_redirect(&format!("/disputes/{id}"), "已保存"))
}

#[derive(Template)]
#[template(path = "disputes_report.html")]
struct DisputesReportPage {
    nav: Nav,
    org: Org,
    r: DReport,
    period: String,
    date: String,
}

async fn disputes_report_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<ReportQuery>) -> UiResult<Response> {
    let (from, to, _, _) = q.resolve()?;
    let (mut conn, org) = scoped(&s, &a.scope::<cap::ReadDisputes>(), id).await?;
    let r = disputes::report(&mut conn, &a.scope(), &s.rules.disputes, &org, from, to).await?;
    render(&DisputesReportPage { nav: Nav::of(&a), org, r, period: q.period.clone().unwrap_or_else(|| "month".into()), date: q.date.clone().unwrap_or_else(|| crate::db::today().to_string()) })
}

async fn disputes_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<super::api_training::PeriodQuery>) -> UiResult<Response> {
    let (from, to) = q.range()?;
    let (mut conn, org) = scoped(&s, &a.scope::<cap::ReadDisputes>(), id).await?;
    let bytes = disputes::ledger_xlsx(&mut conn, &a.scope(), &a.scope(), &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}矛盾纠纷台账{from}至{to}.xlsx", org.name), bytes).into_response())
}
