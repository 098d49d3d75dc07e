//! The HTTP router: pages (Leptos SSR), server functions, static files, the JSON API and health.

use super::guard::guard;
use super::{api, AppState};
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Ready once every cluster's first sync attempt is over (synced or failed), so a rolling update
/// never sends users to a replica with empty caches.
async fn readyz(
    axum::extract::State(fleet): axum::extract::State<std::sync::Arc<crate::clusters::Fleet>>,
) -> (axum::http::StatusCode, &'static str) {
    if fleet.ready() {
        (axum::http::StatusCode::OK, "ok")
    } else {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "syncing clusters",
        )
    }
}

/// The whole application; tests drive it with `oneshot`, `main` serves it.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let portal = state.portal.clone();
    let logs: app::api::ssr::SharedLogs = std::sync::Arc::new(super::logs::PageLogs(state.clone()));
    let context = move || {
        provide_context(portal.clone());
        provide_context(logs.clone());
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(super::metrics::render))
        .route("/pkg/{file}", get(super::assets::pkg))
        .nest("/api/v1", api::router())
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::page_cache::serve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::made::make,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        // Pages and API answers change with every request: compress them fast. The bundle is
        // compressed once, at the best level (crate::http::assets), and passes through untouched.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
