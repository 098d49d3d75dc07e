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
    let watch = state.fleet.cluster(cluster);
    // A configured custom resource, by its id (`certificates.cert-manager.io`) or plural.
    let custom = watch.as_ref().and_then(|w| {
        w.stores
            .custom
            .iter()
            .find(|c| c.id == kind || c.resource.plural == kind)
            .map(|c| (c.id, c.n))
    });
    let (kind, shown, name) = match (Kind::from_path(kind), custom) {
        (Some(k), _) => (k, k.api_name().to_string(), object.to_string()),
        (None, Some((id, n))) => (
            Kind::Custom(n),
            id.to_string(),
            crate::clusters::index::custom_name(id, object),
        ),
        (None, None) => {
            return Err(ApiError::NotFound(format!(
                "kind “{kind}” is not one a service has: use one of {} (or a custom resource configured for cluster {cluster})",
                Kind::OWNED.map(Kind::api_name).join(", ")
            )))
        }
    };
    let not_found = || {
        ApiError::NotFound(format!(
            "no {shown} {namespace}/{object} of service “{service}” in cluster {cluster}"
        ))
    };
    if ![service, cluster, namespace, object]
        .iter()
        .all(|s| valid_name(s))
    {
        return Err(not_found());
    }
    let watch = watch.ok_or_else(not_found)?;
    let key = ObjKey {
        kind,
        namespace: namespace.to_string(),
        name,
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
        kind = %shown,
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
    // A custom resource's kind is the object's own (`Certificate`).
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or(kind.api_name());
    Ok(format!(
        "# {kind} {namespace}/{object} in cluster {cluster}, {AS_CACHED}.\n{body}"
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
