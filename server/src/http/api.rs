//! The JSON API under `/api/v1`: the same data as the pages, for scripts and other tools.

use super::AppState;
use app::api::ssr::{EncodedJson, SharedPortal};
use app::api::valid_name;
use app::model::{CatalogProblem, CatalogQuery};
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// An API error: the status and a message, as `{"error": {"status": 404, "message": "…"}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A cluster answered with an error or could not be reached.
    #[error("{0}")]
    BadGateway(String),
    /// A cluster did not answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
    /// The portal's own fault.
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = serde_json::json!({ "error": { "status": status.as_u16(), "message": self.to_string() } });
        (status, Json(body)).into_response()
    }
}

/// The problems list with its count.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Problems {
    count: usize,
    items: Vec<CatalogProblem>,
}

/// The `/api/v1` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(services))
        .route("/services/{name}", get(service))
        .route("/services/{name}/events", get(super::live::service_events))
        .route(
            "/services/{name}/pods/{cluster}/{namespace}/{pod}",
            get(pod),
        )
        .route(
            "/services/{name}/pods/{cluster}/{namespace}/{pod}/events",
            get(super::live::pod_events),
        )
        .route(
            "/services/{name}/pods/{cluster}/{namespace}/{pod}/log",
            get(super::logs::read),
        )
        .route(
            "/services/{name}/pods/{cluster}/{namespace}/{pod}/log/events",
            get(super::logs::follow),
        )
        .route(
            "/services/{name}/objects/{cluster}/{namespace}/{kind}/{object}",
            get(super::objects::read),
        )
        .route("/services/{name}/timeline", get(timeline))
        .route(
            "/services/{name}/timeline/events",
            get(super::live::timeline_events),
        )
        .route("/events", get(super::live::fleet_events))
        .route("/teams/{name}", get(team))
        .route("/systems/{name}", get(system))
        .route("/catalog/problems", get(problems))
        .route("/clusters", get(clusters))
        .route("/clusters/{name}", get(cluster))
        .route("/errors", get(errors))
        .route("/errors/events", get(super::live::errors_events))
        .fallback(unknown)
}

async fn services(
    State(portal): State<SharedPortal>,
    Query(q): Query<CatalogQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    send_encoded(portal.services_json(&q.bounded()), &headers)
}

fn lookup<T: Serialize>(
    what: &str,
    name: &str,
    found: impl FnOnce(&str) -> Option<T>,
) -> Result<Json<T>, ApiError> {
    valid_name(name)
        .then(|| found(name))
        .flatten()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no {what} named “{name}” in the catalog")))
}

/// Answered from the service's computed view, kept (with its gzip) until the service changes.
async fn service(
    State(portal): State<SharedPortal>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(encoded) = valid_name(&name)
        .then(|| portal.service_json(&name))
        .flatten()
    else {
        return ApiError::NotFound(format!("no service named “{name}” in the catalog"))
            .into_response();
    };
    send_encoded(encoded, &headers)
}

/// A kept JSON answer: gzipped to who takes it when there is a gzip copy.
fn send_encoded(encoded: EncodedJson, headers: &axum::http::HeaderMap) -> Response {
    let accepts_gzip = crate::compress::accepts_gzip(headers);
    use axum::http::header;
    let json = [(header::CONTENT_TYPE, "application/json")];
    let vary = [(header::VARY, "accept-encoding")];
    match encoded.gzip {
        Some(gz) if accepts_gzip => (
            json,
            vary,
            [(header::CONTENT_ENCODING, "gzip")],
            axum::body::Bytes::from_owner(gz),
        )
            .into_response(),
        _ => (json, vary, axum::body::Bytes::from_owner(encoded.json)).into_response(),
    }
}

/// One pod of the service; any other pod is not found.
async fn pod(
    State(state): State<AppState>,
    Path((name, cluster, namespace, pod)): Path<(String, String, String, String)>,
) -> Result<Json<app::model::PodDetail>, ApiError> {
    pod_detail(&state, [&name, &cluster, &namespace, &pod])
        .await
        .map(Json)
}

/// One pod of `[service, cluster, namespace, pod]` with its findings and all its events (read from
/// the cluster now); the API and the pod page both answer with it.
pub async fn pod_detail(
    state: &AppState,
    path: [&str; 4],
) -> Result<app::model::PodDetail, ApiError> {
    let [name, _, namespace, pod] = path;
    let watch = super::logs::service_pod(state, path)?;
    let findings = state
        .portal
        .service(name)
        .map(|d| d.errors)
        .unwrap_or_default();
    let read = crate::clusters::logs::pod_events(&watch, namespace, pod)
        .await
        .map_err(|e| e.to_string());
    crate::views::pod::detail(&watch, name, namespace, pod, &findings, read)
        .ok_or_else(|| ApiError::NotFound(format!("pod {namespace}/{pod} is no longer cached")))
}

/// What happened to the service and its clusters, from the history.
async fn timeline(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<app::model::TimelineQuery>,
) -> Result<Json<app::model::Timeline>, ApiError> {
    timeline_of(&state, &name, &q).await.map(Json)
}

/// A service the portal knows: described in the catalog or found in a cluster.
pub fn known_service(state: &AppState, name: &str) -> bool {
    valid_name(name)
        && (state.fleet.runs(name)
            || state
                .catalog
                .snapshot()
                .services()
                .iter()
                .any(|s| s.name == name))
}

/// The service's timeline for a query, as the API and the timeline page show it.
pub async fn timeline_of(
    state: &AppState,
    name: &str,
    q: &app::model::TimelineQuery,
) -> Result<app::model::Timeline, ApiError> {
    if !known_service(state, name) {
        return Err(ApiError::NotFound(format!(
            "no service named “{name}” in the catalog"
        )));
    }
    crate::views::timeline::timeline(
        &state.history,
        &state.fleet,
        name,
        q,
        jiff::Timestamp::now(),
    )
    .await
    .map_err(|e| ApiError::BadRequest(e.to_string()))
}

async fn team(State(portal): State<SharedPortal>, Path(name): Path<String>) -> impl IntoResponse {
    lookup("team", &name, |n| portal.team(n))
}

async fn system(State(portal): State<SharedPortal>, Path(name): Path<String>) -> impl IntoResponse {
    lookup("system", &name, |n| portal.system(n))
}

async fn problems(State(portal): State<SharedPortal>) -> impl IntoResponse {
    let items = portal.problems();
    Json(Problems {
        count: items.len(),
        items,
    })
}

async fn clusters(State(portal): State<SharedPortal>) -> impl IntoResponse {
    Json(portal.clusters())
}

/// One cluster's page: nodes, kinds watched, namespaces and what Wayfinder may do there.
async fn cluster(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<app::model::ClusterDetail>, ApiError> {
    cluster_detail(&state, &name).map(Json)
}

/// The cluster called `name`, as its page and the API show it.
pub fn cluster_detail(state: &AppState, name: &str) -> Result<app::model::ClusterDetail, ApiError> {
    valid_name(name)
        .then(|| state.fleet.cluster(name))
        .flatten()
        .map(|c| crate::views::cluster_page::detail(&c))
        .ok_or_else(|| ApiError::NotFound(format!("no cluster named “{name}” is configured")))
}

async fn errors(
    State(portal): State<SharedPortal>,
    Query(q): Query<app::model::ErrorQuery>,
) -> impl IntoResponse {
    Json(portal.errors(&q))
}

async fn unknown(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no API route {method} {}", uri.path()))
}
