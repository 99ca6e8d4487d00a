//! JSON API for household points and the 文明超市: civic-practice entries and their corrections,
//! a household's ledger, the supermarket's goods, stock, counter lookup, redemptions and ledger.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::points::ledger::{self, CivicInput, EntryView, HouseholdPoints, ReverseInput};
use crate::points::market::{self, BasketLine, GoodInput, GoodView, HouseholdBalance, MarketInput, MarketView, Receipt, RedeemInput, RedemptionView, StockInput};
use crate::points::member_rules::{MemberCatalog, Standing};
use crate::points::members::{self, ManualInput, MemberPoints, MemberStanding, OrgPoints, PointEntry};
use crate::points::rules::CivicItem;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/points/civic-items", get(civic_items))
        .route("/api/v1/orgs/{id}/points", get(org_points))
        .route("/api/v1/orgs/{id}/points.xlsx", get(org_points_xlsx))
        .route("/api/v1/orgs/{id}/points-catalog", get(get_catalog).put(put_catalog))
        .route("/api/v1/points/members/{id}", get(member_points))
        .route("/api/v1/points/members/{id}/entries", post(add_manual))
        .route("/api/v1/points/households/{id}", get(household_points))
        .route("/api/v1/points/households/{id}/civic", post(add_civic))
        .route("/api/v1/points/transfers/{id}/reverse", post(reverse))
        .route("/api/v1/supermarket", post(create))
        .route("/api/v1/orgs/{id}/supermarket", get(of_org))
        .route("/api/v1/supermarket/{id}", get(detail))
        .route("/api/v1/supermarket/{id}/goods", post(add_good))
        .route("/api/v1/supermarket/{id}/stock", post(add_stock))
        .route("/api/v1/supermarket/{id}/households", get(lookup))
        .route("/api/v1/supermarket/{id}/redeem", post(redeem))
        .route("/api/v1/supermarket/{id}/redemptions", get(redemptions))
        .route("/api/v1/supermarket/{id}/ledger.xlsx", get(ledger_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(org_points, org_points_xlsx, get_catalog, put_catalog, member_points, add_manual, civic_items, household_points, add_civic, reverse, create, of_org, detail, add_good, add_stock, lookup, redeem, redemptions, ledger_xlsx),
    components(schemas(OrgPoints, MemberStanding, Standing, MemberCatalog, CatalogView, CatalogInput, MemberPoints, PointEntry, ManualInput, CivicItem, HouseholdPoints, EntryView, CivicInput, ReverseInput, MarketInput, MarketView, GoodView, GoodInput, StockInput, HouseholdBalance, RedeemInput, BasketLine, Receipt, RedemptionView))
)]
pub struct PointsApiDoc;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct YearQuery {
    /// The year; this year when absent.
    pub year: Option<i32>,
}

pub fn year(q: &YearQuery) -> i32 {
    q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or_else(|| chrono::Datelike::year(&crate::db::today()))
}

/// Members' standing for the year (基础分, 任务分, 奖励分), ranked unless the county turned
/// rankings off; the ledger is brought in step with the records first.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/points", params(YearQuery), responses((status = 200, body = OrgPoints), (status = 404, body = ErrorResponse)))]
async fn org_points(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<OrgPoints>> {
    let y = year(&q);
    Ok(Json(write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadOrgLife>(), id).await?;
        members::org_points(&mut tx, &s.rules, &a.scope(), &org, y).await
    })?))
}

/// The 党员积分台账 as a workbook (up to a township).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/points.xlsx", params(YearQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = ErrorResponse)))]
async fn org_points_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<impl IntoResponse> {
    let y = year(&q);
    let (name, bytes) = write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadOrgLife>(), id).await?;
        let bytes = members::org_points_xlsx(&mut tx, &s.rules, &a.scope(), &org, y).await?;
        Ok::<_, crate::error::AppError>((org.name, bytes))
    })?;
    Ok(super::api::xlsx_response(&format!("{name}{y}年党员积分.xlsx"), bytes))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CatalogView {
    pub catalog: MemberCatalog,
    /// The org whose catalog is in force; null for the published default.
    pub from: Option<String>,
}

/// The members' points catalog in force at an org (its own, an ancestor's, or the default).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/points-catalog", responses((status = 200, body = CatalogView), (status = 404, body = ErrorResponse)))]
async fn get_catalog(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<CatalogView>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let (catalog, from) = members::effective_catalog(&mut conn, &s.rules, &org).await?;
    Ok(Json(CatalogView { catalog, from }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CatalogInput {
    pub catalog: Option<MemberCatalog>,
}

/// Sets the catalog for an org's subtree (a county sets it once).
#[utoipa::path(put, path = "/api/v1/orgs/{id}/points-catalog", request_body = CatalogInput, responses((status = 200, body = CatalogView), (status = 422, body = ErrorResponse)))]
async fn put_catalog(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CatalogInput>) -> AppResult<Json<CatalogView>> {
    Ok(Json(write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadOrgs>(), id).await?;
        if !a.can(crate::auth::roles::Perm::WriteOrgs, &org.path) {
            return Err(crate::error::AppError::forbidden("您的角色无权设置积分规则"));
        }
        let c = body.catalog.clone().ok_or_else(|| crate::error::AppError::invalid_field("catalog_required", "catalog", "请提交积分规则"))?;
        members::set_catalog(&mut tx, &a, &org, &c).await?;
        let (catalog, from) = members::effective_catalog(&mut tx, &s.rules, &org).await?;
        Ok(CatalogView { catalog, from })
    })?))
}

/// A member's year: the standing and every entry with the record it came from.
#[utoipa::path(get, path = "/api/v1/points/members/{id}", params(YearQuery), responses((status = 200, body = MemberPoints), (status = 404, body = ErrorResponse)))]
async fn member_points(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<MemberPoints>> {
    let y = year(&q);
    Ok(Json(write_tx!(&s.db, |tx| members::member_points(&mut tx, &s.rules, &a.scope(), id, y).await)?))
}

/// An entry by the branch with its evidence.
#[utoipa::path(post, path = "/api/v1/points/members/{id}/entries", request_body = ManualInput, responses((status = 200, body = MemberPoints), (status = 422, body = ErrorResponse)))]
async fn add_manual(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ManualInput>) -> AppResult<Json<MemberPoints>> {
    Ok(Json(write_tx!(&s.db, |tx| members::add_manual(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// The civic-practice catalog (items and points) in force.
#[utoipa::path(get, path = "/api/v1/points/civic-items", responses((status = 200, body = Vec<CivicItem>)))]
async fn civic_items(State(s): State<AppState>, ApiActor(_a): ApiActor) -> Json<Vec<CivicItem>> {
    Json(s.rules.household_points.civic_items.clone())
}

/// A household's balance, card code and every entry (each with the transfer behind it).
#[utoipa::path(get, path = "/api/v1/points/households/{id}", responses((status = 200, body = HouseholdPoints), (status = 404, body = ErrorResponse)))]
async fn household_points(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<HouseholdPoints>> {
    // Reading may open the household's account on first use: a write transaction.
    Ok(Json(write_tx!(&s.db, |tx| ledger::household_points(&mut tx, &a.scope(), id).await)?))
}

/// A civic-practice entry with its evidence: points from the village's issuing account.
#[utoipa::path(post, path = "/api/v1/points/households/{id}/civic", request_body = CivicInput, responses((status = 200, body = HouseholdPoints), (status = 422, body = ErrorResponse)))]
async fn add_civic(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CivicInput>) -> AppResult<Json<HouseholdPoints>> {
    Ok(Json(write_tx!(&s.db, |tx| ledger::add_civic(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Corrects an earning entry with a reversing transfer (once; refused if already spent).
#[utoipa::path(post, path = "/api/v1/points/transfers/{id}/reverse", request_body = ReverseInput, responses((status = 200, body = HouseholdPoints), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn reverse(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ReverseInput>) -> AppResult<Json<HouseholdPoints>> {
    Ok(Json(write_tx!(&s.db, |tx| ledger::reverse(&mut tx, &a, id, &body).await)?))
}

/// Opens the supermarket of a village or community.
#[utoipa::path(post, path = "/api/v1/supermarket", request_body = MarketInput, responses((status = 201, body = MarketView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn create(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<MarketInput>) -> AppResult<(StatusCode, Json<MarketView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| market::create(&mut tx, &a, &body).await)?)))
}

/// The supermarket of an org (null when it has none).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/supermarket", responses((status = 200, body = Option<MarketView>), (status = 404, body = ErrorResponse)))]
async fn of_org(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Option<MarketView>>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadResidents>(), id).await?;
    Ok(Json(market::of_org(&mut conn, &a.scope(), &org).await?))
}

/// Goods with prices and stock, points taken in.
#[utoipa::path(get, path = "/api/v1/supermarket/{id}", responses((status = 200, body = MarketView), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<MarketView>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(market::get(&mut conn, &a.scope(), id).await?))
}

/// Puts a good on the shelf.
#[utoipa::path(post, path = "/api/v1/supermarket/{id}/goods", request_body = GoodInput, responses((status = 201, body = GoodView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn add_good(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<GoodInput>) -> AppResult<(StatusCode, Json<GoodView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| market::add_good(&mut tx, &a, id, &body).await)?)))
}

/// Restocking or a donation.
#[utoipa::path(post, path = "/api/v1/supermarket/{id}/stock", request_body = StockInput, responses((status = 200, body = GoodView), (status = 422, body = ErrorResponse)))]
async fn add_stock(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<StockInput>) -> AppResult<Json<GoodView>> {
    Ok(Json(write_tx!(&s.db, |tx| market::add_stock(&mut tx, &a, id, &body).await)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LookupQuery {
    /// A head's name prefix, part of a door number, or a points card code.
    pub q: Option<String>,
}

/// Households of the village by name, door number or card code, with their balances.
#[utoipa::path(get, path = "/api/v1/supermarket/{id}/households", params(LookupQuery), responses((status = 200, body = Vec<HouseholdBalance>), (status = 404, body = ErrorResponse)))]
async fn lookup(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<LookupQuery>) -> AppResult<Json<Vec<HouseholdBalance>>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(market::lookup(&mut conn, &a.scope(), id, q.q.as_deref().unwrap_or("")).await?))
}

/// Redeems a basket: all or nothing; never a stock or a balance below zero.
#[utoipa::path(post, path = "/api/v1/supermarket/{id}/redeem", request_body = RedeemInput, responses((status = 200, body = Receipt), (status = 422, body = ErrorResponse)))]
async fn redeem(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<RedeemInput>) -> AppResult<Json<Receipt>> {
    Ok(Json(write_tx!(&s.db, |tx| market::redeem(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// The latest 200 redemptions, each with its two movements.
#[utoipa::path(get, path = "/api/v1/supermarket/{id}/redemptions", responses((status = 200, body = Vec<RedemptionView>), (status = 404, body = ErrorResponse)))]
async fn redemptions(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Vec<RedemptionView>>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(market::redemptions(&mut conn, &a.scope(), id, 200).await?))
}

/// The 兑换台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/supermarket/{id}/ledger.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn ledger_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let (name, bytes) = market::ledger_xlsx(&mut conn, &a.scope(), id).await?;
    Ok(super::api::xlsx_response(&format!("{name}兑换台账.xlsx"), bytes))
}
