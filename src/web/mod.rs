//! HTTP: the JSON API under `/api/v1`, the Chinese web UI, and the session plumbing both share.

pub mod api;
pub mod api_governance;
pub mod api_grids_import;
pub mod api_life;
pub mod api_mobile;
pub mod api_recruitment;
pub mod api_team;
pub mod api_delegates;
pub mod api_pairings;
pub mod api_assessment;
pub mod api_dashboard;
pub mod api_economy;
pub mod api_centers;
pub mod api_rectification;
pub mod api_service_ratings;
pub mod api_village_affairs;
pub mod api_powers;
pub mod api_volunteering;
pub mod ui_assessment;
pub mod ui_dashboard;
pub mod ui_economy;
pub mod ui_centers;
pub mod ui_rectification;
pub mod ui_service_ratings;
pub mod ui_village_affairs;
pub mod ui_powers;
pub mod ui_volunteering;
pub mod api_cadres;
pub mod api_points;
pub mod api_training;
pub mod boundary;
pub mod home;
pub mod limits;
pub mod matrix;
pub mod pick;
pub mod public;
pub mod session;
pub mod trends;
pub mod ui;
pub mod ui_governance;
pub mod ui_life;
pub mod ui_mobile;
pub mod ui_recruitment;
pub mod ui_team;
pub mod ui_delegates;
pub mod ui_pairings;
pub mod ui_cadres;
pub mod ui_points;
pub mod ui_training;
pub mod upload;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;

use crate::config::Rules;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub rules: Arc<Rules>,
    /// Per-address limits of the public pages.
    pub limiter: Arc<limits::Limiter>,
    /// Cookies carry `Secure` (the server is reached over HTTPS, `serve --secure-cookies`).
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(db: Db, rules: Rules) -> AppState {
        AppState { db, rules: Arc::new(rules), limiter: Arc::default(), secure_cookies: false }
    }
}

/// Body limits per route: see [`boundary`] (`SMALL_BODY` by default, larger only on uploads).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", axum::routing::get(boundary::healthz))
        .merge(api_life::routes())
        .merge(api_training::routes())
        .merge(api_governance::routes())
        .merge(api_recruitment::routes())
        .merge(api_mobile::routes())
        .merge(api_team::routes())
        .merge(api_delegates::routes())
        .merge(api_pairings::routes())
        .merge(api_volunteering::routes())
        .merge(api_village_affairs::routes())
        .merge(api_powers::routes())
        .merge(api_assessment::routes())
        .merge(api_rectification::routes())
        .merge(api_economy::routes())
        .merge(api_dashboard::routes())
        .merge(api_centers::routes())
        .merge(api_service_ratings::routes())
        .merge(api_cadres::routes())
        .merge(api_points::routes())
        .merge(public::routes())
        .merge(api_grids_import::routes())
        .merge(api::routes())
        .merge(ui::routes())
        .merge(pick::routes())
        .merge(ui_life::routes())
        .merge(ui_training::routes())
        .merge(ui_governance::routes())
        .merge(ui_recruitment::routes())
        .merge(ui_mobile::routes())
        .merge(ui_team::routes())
        .merge(ui_delegates::routes())
        .merge(ui_pairings::routes())
        .merge(ui_volunteering::routes())
        .merge(ui_village_affairs::routes())
        .merge(ui_powers::routes())
        .merge(ui_assessment::routes())
        .merge(ui_rectification::routes())
        .merge(ui_economy::routes())
        .merge(ui_dashboard::routes())
        .merge(ui_centers::routes())
        .merge(ui_service_ratings::routes())
        .merge(ui_cadres::routes())
        .merge(ui_points::routes())
        .route_layer(axum::middleware::from_fn(boundary::record_route))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ui::error_page_with_nav))
        .layer(axum::extract::DefaultBodyLimit::max(boundary::SMALL_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), boundary::boundary))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(boundary::span))
        .layer(axum::middleware::from_fn(boundary::request_id))
        .with_state(state)
}

/// Background work of a running server: disputes past their level's time limit go up one
/// level, at start and then hourly (the same as POST …/disputes/escalate-overdue); the tallies
/// are recounted where the month or the rules changed (checked at start, then every minute) and every write's
/// marks are settled within seconds (readers of a dashboard settle too).
pub fn spawn_jobs(state: &AppState) {
    let tallies = state.clone();
    tokio::spawn(async move {
        let mut last_sweep: Option<std::time::Instant> = None;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            if last_sweep.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(60)) {
                last_sweep = Some(std::time::Instant::now());
                match crate::tallies::sweep(&tallies.db, &tallies.rules).await {
                    Ok(swept) if !swept.is_empty() => tracing::info!(sources = ?swept, "tallies recounted"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e.log_text(), "tallies sweep failed"),
                }
            }
            if let Err(e) = crate::tallies::settle(&tallies.db, &tallies.rules).await {
                tracing::error!(error = %e.log_text(), "tallies settle failed");
            }
        }
    });
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let moved = crate::write_tx!(&state.db, |tx| crate::disputes::store::escalate_overdue(&mut tx, &state.rules.disputes, None).await);
            match moved {
                Ok(n) if n > 0 => tracing::info!(escalated = n, "disputes past their time limit escalated"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e.log_text(), "dispute escalation failed"),
            }
        }
    });
}

pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    if state.secure_cookies {
        api_life::HTTPS.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// Ctrl-C or SIGTERM (what a service manager or container runtime sends): requests in
/// flight are finished, then the server stops.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
