//! The public side, no login: a phone page to submit a request for a community (reached from
//! its printed QR code or a wish box), the tracker by code with the resident's rating, and
//! Open311 GeoReport v2. Nothing here shows anyone's personal data; submissions and lookups
//! are limited per address; every text is escaped by the templates or JSON encoding.

use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::AppState;
use crate::error::{AppError, AppResult};
use crate::orgs::model::Org;
use crate::requests::rules::{Rating, State as RState};
use crate::requests::store::{self as requests, PublicInput, Request, Tracked};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        // Only the request form takes a photo; everything else here has the small default.
        .route("/p/{org_code}", get(submit_page).post(submit).layer(axum::extract::DefaultBodyLimit::max(super::boundary::PUBLIC_FORM_BODY)))
        .route("/p/track", get(track_page).post(rate))
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/requests.json", get(list_requests).post(post_request))
        .route("/open311/v2/requests/{id}", get(get_request))
}

pub(super) async fn org_by_code(s: &AppState, code: &str) -> AppResult<Org> {
    let mut conn = s.db.pool.acquire().await?;
    match crate::orgs::store::get_by_code(&mut conn, code).await? {
        Some(o) if o.takes_public_requests() => Ok(o),
        _ => Err(AppError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "public_submit.html")]
struct SubmitPage {
    org_name: String,
    org_code: String,
    categories: Vec<(String, String)>,
    source: String,
    nonce: String,
    error: Option<String>,
    category: String,
    text: String,
    contact_name: String,
    contact_phone: String,
    max_chars: usize,
}

#[derive(Template)]
#[template(path = "public_submitted.html")]
struct SubmittedPage {
    org_name: String,
    code: Option<String>,
}

#[derive(Deserialize)]
struct SourceQuery {
    source: Option<String>,
}

pub(super) fn page(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => AppError::Internal(e.into()).into_response(),
    }
}

#[derive(Template)]
#[template(path = "public_error.html")]
struct ErrorPage {
    message: String,
}

pub fn public_error(e: AppError) -> Response {
    let status = e.status();
    if status.is_server_error() {
        tracing::error!(error = %e.log_text(), "public page failed");
    }
    page(&ErrorPage { message: e.message() }, status)
}

fn submit_form(s: &AppState, org: &Org, source: &str, error: Option<String>, input: &PublicInput) -> SubmitPage {
    SubmitPage {
        org_name: org.name.clone(),
        org_code: org.code.clone(),
        categories: s.rules.requests.categories.iter().map(|c| (c.code.clone(), c.label.clone())).collect(),
        source: source.into(),
        nonce: crate::auth::store::random_token(),
        error,
        category: input.category.clone(),
        text: input.text.clone(),
        contact_name: input.contact_name.clone().unwrap_or_default(),
        contact_phone: input.contact_phone.clone().unwrap_or_default(),
        max_chars: requests::MAX_TEXT_CHARS,
    }
}

async fn submit_page(State(s): State<AppState>, Path(code): Path<String>, Query(q): Query<SourceQuery>) -> Response {
    match org_by_code(&s, &code).await {
        Ok(org) => page(&submit_form(&s, &org, q.source.as_deref().unwrap_or("online"), None, &PublicInput::default()), StatusCode::OK),
        Err(e) => public_error(e),
    }
}

async fn read_form(mut mp: Multipart) -> AppResult<(PublicInput, Option<(String, Vec<u8>)>)> {
    let mut input = PublicInput::default();
    let mut photo = None;
    let bad = super::boundary::multipart_error;
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            let file_name = field.file_name().unwrap_or("photo").to_string();
            super::boundary::check_text(&file_name)?;
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() {
                photo = Some((file_name, bytes.to_vec()));
            }
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        super::boundary::check_text(&value)?;
        match name.as_str() {
            "category" => input.category = value,
            "text" => input.text = value,
            "contact_name" => input.contact_name = Some(value),
            "contact_phone" => input.contact_phone = Some(value),
            "source" => input.source = Some(value),
            "nonce" => input.nonce = Some(value),
            _ => {}
        }
    }
    Ok((input, photo))
}

async fn submit(State(s): State<AppState>, super::limits::ClientIp(ip): super::limits::ClientIp, Path(code): Path<String>, mp: Multipart) -> Response {
    let org = match org_by_code(&s, &code).await {
        Ok(o) => o,
        Err(e) => return public_error(e),
    };
    let (input, photo) = match read_form(mp).await {
        Ok(x) => x,
        Err(e) => return public_error(e),
    };
    let source = input.source.clone().unwrap_or_else(|| "online".into());
    let result = async {
        if let Some((name, data)) = &photo {
            requests::check_photo(name, data)?;
        }
        s.limiter.check("submit", ip, s.rules.public.submissions_per_hour, Duration::from_secs(3600))?;
        write_tx!(&s.db, |tx| {
            let created = requests::submit_public(&mut tx, &s.rules.requests, &org, &input).await?;
            if let (Some((name, data)), Some(_)) = (&photo, &created.tracking_code) {
                requests::add_photo(&mut tx, created.id, name, data).await?;
            }
            Ok::<_, AppError>(created)
        })
    }
    .await;
    match result {
        Ok(c) => page(&SubmittedPage { org_name: org.name.clone(), code: c.tracking_code }, StatusCode::OK),
        // The typed text stays in the form; only the photo must be chosen again.
        Err(e @ (AppError::Invalid { .. } | AppError::TooManyRequests { .. })) => {
            let status = e.status();
            page(&submit_form(&s, &org, &source, Some(e.message()), &input), status)
        }
        Err(e) => public_error(e),
    }
}

#[derive(Template)]
#[template(path = "public_track.html")]
struct TrackPage {
    code: String,
    t: Option<Tracked>,
    error: Option<String>,
    notice: Option<String>,
    ratings: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

async fn track_page(State(s): State<AppState>, super::limits::ClientIp(ip): super::limits::ClientIp, Query(q): Query<CodeQuery>) -> Response {
    let code = q.code.unwrap_or_default().trim().to_string();
    let ratings = Rating::ALL.iter().map(|r| (r.code(), r.label())).collect();
    if code.is_empty() {
        return page(&TrackPage { code, t: None, error: None, notice: None, ratings }, StatusCode::OK);
    }
    let result = async {
        s.limiter.check("track", ip, s.rules.public.lookups_per_minute, Duration::from_secs(60))?;
        let mut conn = s.db.pool.acquire().await?;
        requests::track(&mut conn, &s.rules.requests, &code).await
    }
    .await;
    match result {
        Ok(t) => page(&TrackPage { code, t: Some(t), error: None, notice: None, ratings }, StatusCode::OK),
        Err(e) => {
            let msg = match &e {
                AppError::NotFound => "没有查到这个查询码对应的诉求，请核对后重新输入".to_string(),
                other => other.message(),
            };
            page(&TrackPage { code, t: None, error: Some(msg), notice: None, ratings }, e.status())
        }
    }
}

#[derive(Deserialize)]
struct RateForm {
    code: String,
    rating: String,
    comment: Option<String>,
}

async fn rate(State(s): State<AppState>, super::limits::ClientIp(ip): super::limits::ClientIp, axum::Form(f): axum::Form<RateForm>) -> Response {
    let ratings = Rating::ALL.iter().map(|r| (r.code(), r.label())).collect();
    let result = async {
        s.limiter.check("track", ip, s.rules.public.lookups_per_minute, Duration::from_secs(60))?;
        write_tx!(&s.db, |tx| requests::rate_public(&mut tx, &s.rules.requests, &f.code, &f.rating, f.comment.as_deref().unwrap_or("")).await)
    }
    .await;
    match result {
        Ok(t) => page(&TrackPage { code: f.code.clone(), t: Some(t), error: None, notice: Some("感谢您的评价".into()), ratings }, StatusCode::OK),
        Err(e) => {
            let status = e.status();
            let mut conn = match s.db.pool.acquire().await {
                Ok(c) => c,
                Err(e) => return public_error(e.into()),
            };
            let t = requests::track(&mut conn, &s.rules.requests, &f.code).await.ok();
            page(&TrackPage { code: f.code.clone(), t, error: Some(e.message()), notice: None, ratings }, status)
        }
    }
}

// ---------------------------------------------------------------------------
// Open311 GeoReport v2 (JSON). Jurisdictions are org codes; services are categories.
// ---------------------------------------------------------------------------

fn o311_error(status: StatusCode, description: &str) -> Response {
    (status, Json(json!([{"code": status.as_u16(), "description": description}]))).into_response()
}

pub fn o311(e: AppError) -> Response {
    if e.status().is_server_error() {
        tracing::error!(error = %e.log_text(), "open311 request failed");
    }
    let msg = match &e {
        AppError::NotFound => "not found".to_string(),
        other => other.message(),
    };
    let mut r = o311_error(e.status(), &msg);
    if let AppError::TooManyRequests { retry_after_secs, .. } = e {
        if let Ok(v) = retry_after_secs.to_string().parse() {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

/// The categories as services; every jurisdiction shares the county's list.
async fn services(State(s): State<AppState>) -> Response {
    let list: Vec<Value> = s
        .rules
        .requests
        .categories
        .iter()
        .map(|c| {
            json!({
                "service_code": c.code,
                "service_name": c.label,
                "description": format!("{}（{}，派单后 {} 个工作日内办理）", c.label, c.kind.label(), c.expected_days),
                "metadata": false,
                "type": "realtime",
                "keywords": c.kind.label(),
                "group": c.kind.label(),
            })
        })
        .collect();
    Json(list).into_response()
}

fn rfc3339_day(d: &str) -> String {
    format!("{d}T00:00:00+08:00")
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.with_timezone(&crate::db::china::tz()).to_rfc3339()).unwrap_or_default()
}

/// One request in GeoReport v2 form: public fields only.
async fn o311_request(conn: &mut crate::db::Conn, r: &Request) -> AppResult<Value> {
    let state = r.state();
    let claimant = r.claimant_kind.as_deref().and_then(crate::requests::rules::ClaimantKind::parse).map(|kind| crate::requests::rules::Claimant {
        kind,
        id: 0,
        name: r.claimant_name.clone().unwrap_or_default(),
    });
    let updated: i64 = sqlx::query_scalar("SELECT updated_at FROM requests WHERE id = $1").bind(r.id).fetch_one(&mut *conn).await?;
    let created: i64 = sqlx::query_scalar("SELECT created_at FROM requests WHERE id = $1").bind(r.id).fetch_one(&mut *conn).await?;
    Ok(json!({
        "service_request_id": r.id.to_string(),
        "status": state.open311_status(),
        "status_notes": format!("{}：{}", state.label(), crate::requests::rules::public_status_note(state, claimant.as_ref())),
        "service_name": r.category_label,
        "service_code": r.category,
        "description": requests::public_description(r),
        "agency_responsible": requests::owner_name(conn, r).await?,
        "service_notice": if state == RState::Collected { "待核实" } else { "" },
        "requested_datetime": rfc3339(created),
        "updated_datetime": rfc3339(updated),
        "expected_datetime": r.deadline_on.as_deref().map(rfc3339_day),
        "address": r.org_name,
        "media_url": Value::Null,
    }))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    jurisdiction_id: Option<String>,
    service_request_id: Option<String>,
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
}

fn day_of(s: &str) -> Option<chrono::NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&crate::db::china::tz()).date_naive()).or_else(|| s.get(..10)?.parse().ok())
}

async fn list_requests(State(s): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    let Some(j) = q.jurisdiction_id.as_deref().filter(|j| !j.is_empty()) else {
        return o311_error(StatusCode::BAD_REQUEST, "jurisdiction_id is required (the community's org code)");
    };
    let result = async {
        let org = org_by_code(&s, j).await?;
        let ids: Vec<i64> = q.service_request_id.as_deref().unwrap_or("").split(',').filter_map(|x| x.trim().parse().ok()).collect();
        let today = crate::db::today();
        let to = q.end_date.as_deref().and_then(day_of).unwrap_or(today);
        let from = q.start_date.as_deref().and_then(day_of).unwrap_or(to - chrono::Duration::days(90));
        let open = match q.status.as_deref() {
            Some("open") => Some(true),
            Some("closed") => Some(false),
            _ => None,
        };
        let mut conn = s.db.pool.acquire().await?;
        let filter = requests::PublicFilter { ids: &ids, from, to, category: q.service_code.as_deref(), open };
        let list = requests::public_list(&mut conn, &s.rules.requests, &org, &filter).await?;
        let mut out = Vec::with_capacity(list.len());
        for r in &list {
            out.push(o311_request(&mut conn, r).await?);
        }
        Ok::<_, AppError>(out)
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => o311(e),
    }
}

async fn get_request(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(id) = id.strip_suffix(".json").and_then(|x| x.parse::<i64>().ok()) else {
        return o311_error(StatusCode::NOT_FOUND, "not found");
    };
    let result = async {
        let mut conn = s.db.pool.acquire().await?;
        let r = requests::public_get(&mut conn, &s.rules.requests, id).await?;
        o311_request(&mut conn, &r).await
    }
    .await;
    match result {
        Ok(v) => Json(json!([v])).into_response(),
        Err(e) => o311(e),
    }
}

#[derive(Deserialize, Serialize, Default)]
struct PostRequest {
    jurisdiction_id: Option<String>,
    service_code: Option<String>,
    description: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    address_string: Option<String>,
}

/// GeoReport v2 POST: form-encoded (the standard) or JSON. The answer carries the public id
/// and, as `token`, the private tracking code.
async fn post_request(State(s): State<AppState>, super::limits::ClientIp(ip): super::limits::ClientIp, headers: HeaderMap, body: Bytes) -> Response {
    let json_body = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let parsed: Result<PostRequest, String> = if json_body {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
    };
    let p = match parsed {
        Ok(p) => p,
        Err(e) => return o311_error(StatusCode::BAD_REQUEST, &format!("malformed request: {e}")),
    };
    let Some(j) = p.jurisdiction_id.as_deref().filter(|j| !j.is_empty()) else {
        return o311_error(StatusCode::BAD_REQUEST, "jurisdiction_id is required (the community's org code)");
    };
    let Some(service) = p.service_code.as_deref().filter(|c| !c.is_empty()) else {
        return o311_error(StatusCode::BAD_REQUEST, "service_code is required");
    };
    let result = async {
        let org = org_by_code(&s, j).await?;
        s.limiter.check("submit", ip, s.rules.public.submissions_per_hour, Duration::from_secs(3600))?;
        let mut text = p.description.clone().unwrap_or_default();
        if let Some(a) = p.address_string.as_deref().filter(|a| !a.trim().is_empty()) {
            text = format!("{text}（地点：{}）", a.trim());
        }
        let name = [p.last_name.as_deref().unwrap_or(""), p.first_name.as_deref().unwrap_or("")].concat();
        let input = PublicInput { category: service.to_string(), text, contact_name: Some(name), contact_phone: p.phone.clone(), source: Some("online".into()), nonce: None };
        write_tx!(&s.db, |tx| requests::submit_public(&mut tx, &s.rules.requests, &org, &input).await)
    }
    .await;
    match result {
        Ok(c) => (
            StatusCode::CREATED,
            Json(json!([{"service_request_id": c.id.to_string(), "token": c.tracking_code, "service_notice": "已收到，待核实。请保存 token（查询码）以便查询办理进度", "account_id": Value::Null}])),
        )
            .into_response(),
        Err(e) => o311(e),
    }
}
