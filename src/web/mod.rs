//! HTTP: the JSON API under `/api/v1`, the Chinese web UI, and the session plumbing both share.

pub mod api;
pub mod api_governance;
pub mod api_grids_import;
pub mod api_life;
pub mod api_training;
pub mod limits;
pub mod public;
pub mod session;
pub mod ui;
pub mod ui_governance;
pub mod ui_life;
pub mod ui_training;

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
}

impl AppState {
    pub fn new(db: Db, rules: Rules) -> AppState {
        AppState { db, rules: Arc::new(rules), limiter: Arc::default() }
    }
}

/// Uploads (spreadsheets) may be large; everything else is small.
pub const MAX_UPLOAD_BYTES: usize = 200 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api_life::routes())
        .merge(api_training::routes())
        .merge(api_governance::routes())
        .merge(public::routes())
        .merge(api_grids_import::routes())
        .merge(api::routes())
        .merge(ui::routes())
        .merge(ui_life::routes())
        .merge(ui_training::routes())
        .merge(ui_governance::routes())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Background work of a running server: disputes past their level's time limit go up one
/// level, at start and then hourly (the same as POST …/disputes/escalate-overdue).
pub fn spawn_jobs(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let moved = crate::write_tx!(&state.db, |tx| crate::disputes::store::escalate_overdue(&mut tx, &state.rules.disputes, None).await);
            match moved {
                Ok(n) if n > 0 => tracing::info!(escalated = n, "disputes past their time limit escalated"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "dispute escalation failed"),
            }
        }
    });
}

pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
