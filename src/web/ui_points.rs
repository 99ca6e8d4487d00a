//! UI pages for household points and the 文明超市: the supermarket of a village (goods, stock,
//! redemptions), the counter on a phone (find a household, fill a basket, redeem), and a
//! household's points with the civic-practice entry and corrections.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api_points::{year, YearQuery};
use super::boundary::Flash;
use super::session::WebActor;
use super::ui::{notice_redirect, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::error::AppError;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::points::ledger::{self, CivicInput, HouseholdPoints, ReverseInput};
use crate::points::market::{self, BasketLine, GoodInput, HouseholdBalance, MarketInput, MarketView, RedeemInput, RedemptionView, StockInput};
use crate::points::member_rules::{Category, MemberCatalog};
use crate::points::members::{self, ManualInput, MemberPoints, OrgPoints};
use crate::points::rules::CivicItem;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/supermarket", get(market_page))
        .route("/supermarket", post(create))
        .route("/supermarket/{id}/goods", post(add_good))
        .route("/supermarket/{id}/stock", post(add_stock))
        .route("/supermarket/{id}/counter", get(counter_page))
        .route("/supermarket/{id}/redeem", post(redeem))
        .route("/supermarket/{id}/ledger.xlsx", get(ledger_xlsx))
        .route("/households/{id}/points", get(points_page))
        .route("/households/{id}/points/civic", post(add_civic))
        .route("/point-transfers/{id}/reverse", post(reverse))
        .route("/orgs/{id}/points", get(org_points_page))
        .route("/orgs/{id}/points.xlsx", get(org_points_xlsx))
        .route("/households/{id}/card", get(card_page))
        .route("/orgs/{id}/points-catalog", post(set_catalog))
        .route("/members/{id}/points", get(member_points_page).post(add_manual))
}

#[derive(Template)]
#[template(path = "supermarket.html")]
struct MarketPage {
    nav: Nav,
    org: Org,
    m: Option<MarketView>,
    recent: Vec<RedemptionView>,
    can_write: bool,
    notice: Option<String>,
}

async fn market_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadResidents>(), id).await?;
    let m = market::of_org(&mut conn, &a.scope(), &org).await?;
    let recent = match &m {
        Some(m) => market::redemptions(&mut conn, &a.scope(), m.id, 30).await?,
        None => Vec::new(),
    };
    render(&MarketPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteResidents, &org.path), org, m, recent, notice: f.notice })
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    org_id: i64,
    name: Option<String>,
}

async fn create(State(s): State<AppState>, wa: WebActor, Form(f): Form<CreateForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = MarketInput { org_id: Some(f.org_id), name: f.name };
    let m = write_tx!(&s.db, |tx| market::create(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&format!("/orgs/{}/supermarket", m.org_id), &format!("{}已开设，请上架物品", m.name)))
}

#[derive(Deserialize)]
struct GoodForm {
    csrf: String,
    org_id: i64,
    name: Option<String>,
    unit: Option<String>,
    price: Option<String>,
}

fn int(field: &'static str, v: &Option<String>, what: &str) -> Result<Option<i64>, AppError> {
    super::ui::form_int(v, "number_invalid", field, &format!("{what}请填写整数"))
}

async fn add_good(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<GoodForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = GoodInput { name: f.name, unit: f.unit, price: int("price", &f.price, "兑换积分")? };
    let g = write_tx!(&s.db, |tx| market::add_good(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/orgs/{}/supermarket", f.org_id), &format!("“{}”已上架，请登记入库数量", g.name)))
}

#[derive(Deserialize)]
struct StockForm {
    csrf: String,
    org_id: i64,
    good_id: i64,
    quantity: Option<String>,
    kind: Option<String>,
    note: Option<String>,
}

async fn add_stock(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<StockForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = StockInput { good_id: Some(f.good_id), quantity: int("quantity", &f.quantity, "数量")?, kind: f.kind, note: f.note };
    let g = write_tx!(&s.db, |tx| market::add_stock(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/orgs/{}/supermarket", f.org_id), &format!("“{}”库存现为 {}", g.name, g.stock)))
}

async fn ledger_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (name, bytes) = market::ledger_xlsx(&mut conn, &a.scope(), id).await?;
    Ok(super::api::xlsx_response(&format!("{name}兑换台账.xlsx"), bytes).into_response())
}

#[derive(Deserialize)]
struct CounterQuery {
    q: Option<String>,
    household: Option<i64>,
}

#[derive(Template)]
#[template(path = "counter.html")]
struct CounterPage {
    nav: Nav,
    m: MarketView,
    q: String,
    found: Vec<HouseholdBalance>,
    chosen: Option<HouseholdPoints>,
    notice: Option<String>,
}

async fn counter_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<CounterQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let m = market::get(&mut conn, &a.scope(), id).await?;
    let text = q.q.unwrap_or_default();
    let found = market::lookup(&mut conn, &a.scope(), id, &text).await?;
    drop(conn);
    // A single match (a scanned card) is chosen at once.
    let pick = q.household.or_else(|| (found.len() == 1).then(|| found[0].household_id));
    let chosen = match pick {
        Some(h) => Some(write_tx!(&s.db, |tx| ledger::household_points(&mut tx, &a.scope(), h).await)?),
        None => None,
    };
    render(&CounterPage { nav: Nav::of(&a), m, q: text, found, chosen, notice: f.notice })
}

async fn redeem(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(fields): Form<Vec<(String, String)>>) -> UiResult<Redirect> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    wa.check_csrf(&get("csrf"))?;
    let a = &wa.0;
    let household_id = get("household_id").parse().ok();
    let mut items = Vec::new();
    for (name, value) in &fields {
        if let Some(gid) = name.strip_prefix("qty_").and_then(|g| g.parse::<i64>().ok()) {
            let v = value.trim();
            if v.is_empty() || v == "0" {
                continue;
            }
            let quantity = v.parse::<i64>().map_err(|_| AppError::invalid_field("quantity_invalid", "items", "数量请填写整数"))?;
            items.push(BasketLine { good_id: gid, quantity });
        }
    }
    let input = RedeemInput { household_id, card_code: None, items };
    let r = write_tx!(&s.db, |tx| market::redeem(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/supermarket/{id}/counter"), &format!("{}户兑换 {}，用去 {} 分，余 {} 分", r.head_name, r.items, r.points, r.balance_after)))
}

#[derive(Template)]
#[template(path = "household_points.html")]
struct PointsPage {
    nav: Nav,
    p: HouseholdPoints,
    items: Vec<CivicItem>,
    can_write: bool,
    notice: Option<String>,
    today: String,
}

async fn points_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let p = write_tx!(&s.db, |tx| ledger::household_points(&mut tx, &a.scope(), id).await)?;
    render(&PointsPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteResidents, &p.org_path), p, items: s.rules.household_points.civic_items.clone(), notice: f.notice, today: crate::db::today().to_string() })
}

#[derive(Deserialize)]
struct CivicForm {
    csrf: String,
    item: Option<String>,
    on: Option<String>,
    evidence: Option<String>,
}

async fn add_civic(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CivicForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = CivicInput { item: f.item, on: f.on, evidence: f.evidence };
    let p = write_tx!(&s.db, |tx| ledger::add_civic(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/households/{id}/points"), &format!("已登记，现有积分 {}", p.balance)))
}

#[derive(Deserialize)]
struct ReverseForm {
    csrf: String,
    reason: Option<String>,
}

async fn reverse(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ReverseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ReverseInput { reason: f.reason };
    let p = write_tx!(&s.db, |tx| ledger::reverse(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/households/{}/points", p.household_id), &format!("已更正，现有积分 {}", p.balance)))
}


#[derive(Template)]
#[template(path = "points.html")]
struct OrgPointsPage {
    nav: Nav,
    org: Org,
    p: OrgPoints,
    can_set: bool,
    notice: Option<String>,
}

async fn org_points_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>, f: Flash) -> UiResult<Response> {
    let y = year(&q);
    let (org, p) = write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadOrgLife>(), id).await?;
        let p = members::org_points(&mut tx, &s.rules, &a.scope(), &org, y).await?;
        Ok::<_, AppError>((org, p))
    })?;
    render(&OrgPointsPage { nav: Nav::of(&a), can_set: a.can(Perm::WriteOrgs, &org.path), org, p, notice: f.notice })
}

#[derive(Deserialize)]
struct CatalogForm {
    csrf: String,
    meeting_present: Option<String>,
    meeting_absent: Option<String>,
    training_hour: Option<String>,
    volunteer_hour: Option<String>,
    dues_on_time: Option<String>,
    wish_fulfilled: Option<String>,
    rankings: Option<String>,
}

async fn set_catalog(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CatalogForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let d = MemberCatalog::default();
    let c = MemberCatalog {
        meeting_present: int("meeting_present", &f.meeting_present, "参加组织生活")?.unwrap_or(d.meeting_present),
        meeting_absent: int("meeting_absent", &f.meeting_absent, "无故缺席")?.unwrap_or(d.meeting_absent),
        training_hour: int("training_hour", &f.training_hour, "学习培训")?.unwrap_or(d.training_hour),
        volunteer_hour: int("volunteer_hour", &f.volunteer_hour, "志愿服务")?.unwrap_or(d.volunteer_hour),
        dues_on_time: int("dues_on_time", &f.dues_on_time, "按月交纳党费")?.unwrap_or(d.dues_on_time),
        wish_fulfilled: int("wish_fulfilled", &f.wish_fulfilled, "微心愿")?.unwrap_or(d.wish_fulfilled),
        rankings: f.rankings.is_some(),
        ..d
    };
    write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadOrgs>(), id).await?;
        members::set_catalog(&mut tx, a, &org, &c).await
    })?;
    Ok(notice_redirect(&format!("/orgs/{id}/points"), "积分规则已保存，本组织及下级按新规则重新计算"))
}

#[derive(Template)]
#[template(path = "member_points.html")]
struct MemberPointsPage {
    nav: Nav,
    p: MemberPoints,
    can_write: bool,
    categories: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    today: String,
}

async fn member_points_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>, f: Flash) -> UiResult<Response> {
    let y = year(&q);
    let p = write_tx!(&s.db, |tx| members::member_points(&mut tx, &s.rules, &a.scope(), id, y).await)?;
    render(&MemberPointsPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteOrgLife, &p.org_path),
        p,
        categories: super::ui::options(Category::ALL, Category::code, Category::label),
        notice: f.notice,
        today: crate::db::today().to_string(),
    })
}

#[derive(Deserialize)]
struct ManualForm {
    csrf: String,
    category: Option<String>,
    points: Option<String>,
    note: Option<String>,
    on: Option<String>,
}

async fn add_manual(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ManualForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ManualInput { category: f.category, points: int("points", &f.points, "分值")?, note: f.note, on: f.on };
    let p = write_tx!(&s.db, |tx| members::add_manual(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/members/{id}/points?year={}", p.year), &format!("已登记，{}年积分 {}", p.year, p.standing.total)))
}

async fn org_points_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let y = year(&q);
    let (name, bytes) = write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadOrgLife>(), id).await?;
        let bytes = members::org_points_xlsx(&mut tx, &s.rules, &a.scope(), &org, y).await?;
        Ok::<_, AppError>((org.name, bytes))
    })?;
    Ok(super::api::xlsx_response(&format!("{name}{y}年党员积分.xlsx"), bytes).into_response())
}

#[derive(Template)]
#[template(path = "household_card.html")]
struct CardPage {
    nav: Nav,
    p: HouseholdPoints,
    market: Option<String>,
    qr: String,
}

/// The household's points card: the code and a QR that opens the village's counter on it.
async fn card_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, headers: axum::http::HeaderMap) -> UiResult<Response> {
    let p = write_tx!(&s.db, |tx| ledger::household_points(&mut tx, &a.scope(), id).await)?;
    let mut conn = s.db.pool.acquire().await?;
    let market: Option<(i64, String)> = sqlx::query_as("SELECT k.id, k.name FROM markets k JOIN orgs o ON o.id = k.org_id WHERE $1 >= o.path AND $1 < o.path || '~' ORDER BY LENGTH(o.path) DESC LIMIT 1")
        .bind(&p.org_path)
        .fetch_optional(&mut *conn)
        .await?;
    let url = match &market {
        Some((mid, _)) => format!("{}/supermarket/{mid}/counter?q={}", super::api_life::base_url(&headers), p.card_code),
        None => p.card_code.clone(),
    };
    render(&CardPage { nav: Nav::of(&a), qr: super::api_life::qr_svg(&url)?, market: market.map(|(_, n)| n), p })
}
