//! Object YAML for the people allowed to read it:
//! `GET /api/v1/services/{name}/objects/{cluster}/{namespace}/{kind}/{object}` answers one of the
//! service's objects as the cache holds it, as JSON (`?format=yaml` for YAML). Only objects of the
//! service, only for its owners when an identity header is configured, each read audited.

use super::api::ApiError;
use super::logs::{decide, viewer};
use super::AppState;
use crate::clusters::index::{Kind, ObjKey};
use app::api::valid_name;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// `?format=json` (the default) or `?format=yaml`.
#[derive(Debug, Default, Deserialize)]
pub struct ObjectQuery {
    pub format: Option<String>,
}

/// What every answer says of its content, first line of the YAML.
pub const AS_CACHED: &str = "as Wayfinder's cache holds it: env values (names are kept), commands \
                             and arguments are never read, and managedFields are dropped";

/// One of the service's objects (`[service, cluster, namespace, kind, object]`) as cached, for the
/// viewer of `headers`: not found unless it is the service's, forbidden unless the viewer may read
/// it; every read audited.
pub fn object(
    state: &AppState,
    headers: &HeaderMap,
    [service, cluster, namespace, kind, object]: [&str; 5],
) -> Result<(Kind, serde_json::Value), ApiError> {
    let kind = Kind::from_path(kind).ok_or_else(|| {
        ApiError::NotFound(format!(
            "kind “{kind}” is not one a service has: use one of {}",
            Kind::OWNED.map(Kind::api_name).join(", ")
        ))
    })?;
    let not_found = || {
        ApiError::NotFound(format!(
            "no {} {namespace}/{object} of service “{service}” in cluster {cluster}",
            kind.api_name()
        ))
    };
    if ![service, cluster, namespace, object]
        .iter()
        .all(|s| valid_name(s))
    {
        return Err(not_found());
    }
    let watch = state.fleet.cluster(cluster).ok_or_else(not_found)?;
    let key = ObjKey {
        kind,
        namespace: namespace.to_string(),
        name: object.to_string(),
    };
    let value =
        crate::clusters::objects::cached_json(&watch, service, &key).ok_or_else(not_found)?;
    let viewer = viewer(state, headers);
    let decision = decide(state, &viewer, service);
    tracing::info!(
        target: "wayfinder::audit",
        who = viewer.identity.as_deref().unwrap_or("-"),
        action = "read-object",
        service = %service,
        cluster = %cluster,
        namespace = %namespace,
        kind = kind.api_name(),
        object = %object,
        decision = decision.verdict(),
        "object"
    );
    if !decision.allowed() {
        return Err(ApiError::Forbidden(decision.refusal("this object")));
    }
    Ok((kind, value))
}

/// The object's YAML, its first line saying what it is and what the cache left out.
pub fn yaml(
    kind: Kind,
    [cluster, namespace, object]: [&str; 3],
    value: &serde_json::Value,
) -> Result<String, ApiError> {
    let body = serde_norway::to_string(value)
        .map_err(|e| ApiError::Internal(format!("the object could not be written as YAML: {e}")))?;
    Ok(format!(
        "# {} {namespace}/{object} in cluster {cluster}, {AS_CACHED}.\n{body}",
        kind.api_name()
    ))
}

/// `GET …/objects/{cluster}/{namespace}/{kind}/{object}`.
pub async fn read(
    State(state): State<AppState>,
    Path((service, cluster, namespace, kind, name)): Path<(String, String, String, String, String)>,
    Query(q): Query<ObjectQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let as_yaml = match q.format.as_deref() {
        None | Some("json") => false,
        Some("yaml") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format “{other}” is not known: use json or yaml"
            )))
        }
    };
    let (kind, value) = object(
        &state,
        &headers,
        [&service, &cluster, &namespace, &kind, &name],
    )?;
    let no_store = (header::CACHE_CONTROL, "no-store");
    if as_yaml {
        let text = yaml(kind, [&cluster, &namespace, &name], &value)?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                no_store,
            ],
            text,
        )
            .into_response())
    } else {
        Ok(([no_store], axum::Json(value)).into_response())
    }
}
