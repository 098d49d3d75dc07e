//! The Kubernetes REST protocol for one simulated cluster: discovery, list, watch, get and writes.

use crate::auth::User;
use crate::events;
use crate::logs;
use crate::resources::{self, Resource};
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::{Change, Obj, Store};
use crate::table::{self, TABLE_CONTENT_TYPE};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The Kubernetes version `/version` reports; kubectl's dispatcher picks its binary from the minor.
pub const VERSION_MINOR: &str = "33";

/// The aggregated discovery content type kubectl requires verbatim.
const DISCOVERY_V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Injected misbehaviour, changeable at run time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    /// Added to every request.
    #[serde(default)]
    pub latency_ms: u64,
    /// Share of requests (0.0–1.0) answered with `error_code` instead.
    #[serde(default)]
    pub error_rate: f64,
    /// The injected status: 429, 500, 503 or 504 (default 500).
    #[serde(default)]
    pub error_code: u16,
    /// metrics-server is not installed: `metrics.k8s.io` is neither discovered nor served.
    #[serde(default)]
    pub no_metrics: bool,
}

/// A `--fault` argument that cannot be read, with the argument and what is wrong in it.
#[derive(Debug, thiserror::Error)]
#[error("--fault {text}: {problem}")]
pub struct FaultArgError {
    pub text: String,
    pub problem: String,
}

impl Faults {
    /// Parses `CLUSTER:latencyMs=…,errorRate=…,errorCode=…,noMetrics=true`.
    pub fn parse_cli(text: &str) -> Result<(String, Faults), FaultArgError> {
        let err = |problem: String| FaultArgError {
            text: text.to_string(),
            problem,
        };
        let (cluster, settings) = text
            .split_once(':')
            .ok_or_else(|| err("expected CLUSTER:KEY=VALUE,…".into()))?;
        let mut faults = Faults::default();
        for pair in settings.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| err(format!("{pair} is not KEY=VALUE")))?;
            let bad = |e: &dyn std::fmt::Display| err(format!("{k}: {e}"));
            match k {
                "latencyMs" => faults.latency_ms = v.parse().map_err(|e| bad(&e))?,
                "errorRate" => faults.error_rate = v.parse().map_err(|e| bad(&e))?,
                "errorCode" => faults.error_code = v.parse().map_err(|e| bad(&e))?,
                "noMetrics" => faults.no_metrics = v.parse().map_err(|e| bad(&e))?,
                other => {
                    return Err(err(format!(
                        "unknown key {other} (latencyMs, errorRate, errorCode, noMetrics)"
                    )))
                }
            }
        }
        Ok((cluster.to_string(), faults))
    }
}

/// One request as the cluster saw it, for tests that assert what a client asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    pub user: String,
    /// The client's `User-Agent` (kubectl and kube-rs say who they are).
    pub user_agent: String,
}

/// The identity a client certificate proved on this connection.
#[derive(Clone, Debug)]
pub struct CertIdentity(pub Option<String>);

/// Everything a cluster's handlers share.
pub struct ClusterApi {
    pub name: String,
    pub store: Arc<Store>,
    pub users: Vec<User>,
    /// Client-certificate users: DER of the certificate → user name.
    pub cert_users: HashMap<Vec<u8>, String>,
    /// The user for requests without credentials (plain-HTTP clusters), or None for 401.
    pub anonymous: Option<String>,
    pub faults: Mutex<Faults>,
    /// Bearer tokens the cluster no longer accepts (`revoke_tokens`).
    revoked: Mutex<std::collections::HashSet<String>>,
    /// Namespaces no user may read any more (`forbid_namespaces`); `*` is all of them.
    forbidden: Mutex<Vec<String>>,
    pub requests: Mutex<Vec<RequestRecord>>,
    /// Requests received since start (never trimmed): (all, watches, to `metrics.k8s.io`, to
    /// `authorization.k8s.io`, to a resource not served).
    served: (
        std::sync::atomic::AtomicU64,
        std::sync::atomic::AtomicU64,
        std::sync::atomic::AtomicU64,
        std::sync::atomic::AtomicU64,
        std::sync::atomic::AtomicU64,
    ),
    pub bookmark_every: Duration,
    counter: Mutex<u64>,
}

/// Keeps at most this many request records (the oldest go first).
const MAX_RECORDS: usize = 200_000;

impl ClusterApi {
    /// A cluster API over `store`.
    pub fn new(name: &str, store: Arc<Store>, users: Vec<User>, anonymous: Option<String>) -> Self {
        Self {
            name: name.to_string(),
            store,
            users,
            cert_users: HashMap::new(),
            anonymous,
            faults: Mutex::new(Faults::default()),
            revoked: Mutex::default(),
            forbidden: Mutex::default(),
            requests: Mutex::new(Vec::new()),
            served: Default::default(),
            bookmark_every: Duration::from_secs(30),
            counter: Mutex::new(0),
        }
    }

    /// The requests received so far.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many requests arrived since start, and how many of them were watches (the log keeps
    /// only the newest [`MAX_RECORDS`]; these counts are never trimmed).
    pub fn request_counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.served.0.load(Relaxed), self.served.1.load(Relaxed))
    }

    /// How many of those requests were to `metrics.k8s.io` (what metrics pollers read).
    pub fn metrics_requests(&self) -> u64 {
        self.served.2.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many were access reviews (`authorization.k8s.io`: a portal checking its rights).
    pub fn review_requests(&self) -> u64 {
        self.served.3.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many asked for an API group or resource the cluster does not serve (a 404 without a
    /// route: a client looking for a kind whose CustomResourceDefinition is not installed).
    pub fn unserved_requests(&self) -> u64 {
        self.served.4.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Replaces the fault plan.
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// Stops accepting every bearer token (answering 401) and ends open watches, as revoking a
    /// service account's tokens does once the clients reconnect.
    pub fn revoke_tokens(&self) {
        let mut revoked = self.revoked.lock().unwrap_or_else(PoisonError::into_inner);
        revoked.extend(self.users.iter().map(|u| u.token.clone()));
        drop(revoked);
        self.store.drop_watches();
    }

    /// Accepts the tokens again.
    pub fn restore_tokens(&self) {
        self.revoked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Takes read access to these namespaces (`*`: all) away from every user, as an RBAC change
    /// does — cluster-wide lists of namespaced kinds included — and ends open watches, as their
    /// timeouts would.
    pub fn forbid_namespaces(&self, namespaces: Vec<String>) {
        *self
            .forbidden
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = namespaces;
        self.store.drop_watches();
    }

    /// Gives the access back.
    pub fn allow_namespaces(&self) {
        self.forbidden
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// True when `forbid_namespaces` refuses this access.
    fn refused(&self, resource: &Resource, namespace: Option<&str>) -> bool {
        let forbidden = self
            .forbidden
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if forbidden.is_empty() {
            return false;
        }
        if forbidden.iter().any(|n| n == "*") {
            return true;
        }
        match namespace {
            Some(n) => forbidden.iter().any(|f| f == n),
            None => resource.namespaced,
        }
    }

    fn is_revoked(&self, token: &str) -> bool {
        self.revoked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(token)
    }

    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Deterministic "random" draw for error injection: every n-th request by rate.
    fn inject(&self, rate: f64) -> bool {
        let mut c = self.counter.lock().unwrap_or_else(PoisonError::into_inner);
        *c += 1;
        let before = ((*c - 1) as f64 * rate).floor();
        let after = (*c as f64 * rate).floor();
        after > before
    }

    fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }
}

/// The router for one cluster.
pub fn router(api: Arc<ClusterApi>) -> Router {
    Router::new().fallback(handle).with_state(api)
}

fn json_response(status: StatusCode, content_type: &str, body: &Value) -> Response {
    (
        status,
        [("content-type", content_type.to_string())],
        body.to_string(),
    )
        .into_response()
}

fn ok(body: &Value) -> Response {
    json_response(StatusCode::OK, "application/json", body)
}

/// Query parameters, tolerant of `?&` and repeated keys (the last wins).
fn query_map(uri: &Uri) -> HashMap<String, String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn handle(
    State(api): State<Arc<ClusterApi>>,
    cert: Option<Extension<CertIdentity>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let faults = api.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let public = matches!(
        path.as_str(),
        "/version" | "/healthz" | "/livez" | "/readyz"
    );
    // Who is calling: a bearer token, else a client certificate, else anonymous where allowed.
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let user: Option<&User> = match token {
        Some(t) if api.is_revoked(t) => None,
        Some(t) => api.users.iter().find(|u| u.token == t),
        None => cert
            .and_then(|Extension(CertIdentity(name))| name)
            .and_then(|n| api.user(&n))
            .or_else(|| api.anonymous.as_deref().and_then(|n| api.user(n))),
    };
    {
        use std::sync::atomic::Ordering::Relaxed;
        api.served.0.fetch_add(1, Relaxed);
        if uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"))
        {
            api.served.1.fetch_add(1, Relaxed);
        }
        if path.starts_with("/apis/metrics.k8s.io/") {
            api.served.2.fetch_add(1, Relaxed);
        }
        if path.starts_with("/apis/authorization.k8s.io/") {
            api.served.3.fetch_add(1, Relaxed);
        }
        let mut log = api.requests.lock().unwrap_or_else(PoisonError::into_inner);
        if log.len() >= MAX_RECORDS {
            log.drain(..MAX_RECORDS / 10);
        }
        log.push(RequestRecord {
            method: method.to_string(),
            path: path.clone(),
            query: uri.query().unwrap_or("").to_string(),
            user: user.map(|u| u.name.clone()).unwrap_or_default(),
            user_agent: headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        });
    }
    if !public && faults.error_rate > 0.0 && api.inject(faults.error_rate) {
        return ApiError::injected(if faults.error_code == 0 {
            500
        } else {
            faults.error_code
        })
        .into_response();
    }
    match path.as_str() {
        "/healthz" | "/livez" | "/readyz" => return "ok".into_response(),
        "/version" => return ok(&version()),
        _ => {}
    }
    let Some(user) = user else {
        return ApiError::unauthorized().into_response();
    };
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Some(r) = openapi(&path, &api.store) {
        return r;
    }
    match discovery(&path, &accept, !faults.no_metrics, &api.store) {
        Some(r) => return r,
        None if path == "/api" || path == "/apis" => return ApiError::no_route().into_response(),
        None => {}
    }
    let Some(target) = parse_path(&path, &api.store) else {
        api.served
            .4
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return ApiError::no_route().into_response();
    };
    let query = query_map(&uri);
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match serve(
        &api,
        user,
        &method,
        target,
        &query,
        &accept,
        &content_type,
        &body,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn version() -> Value {
    json!({
        "major": "1",
        "minor": VERSION_MINOR,
        "emulationMajor": "1",
        "emulationMinor": VERSION_MINOR,
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "32",
        "gitVersion": format!("v1.{VERSION_MINOR}.5-kubesim"),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-11-01T00:00:00Z",
        "goVersion": "go1.24.9",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// Discovery documents; `metrics` says whether metrics-server is installed.
fn discovery(path: &str, accept: &str, metrics: bool, store: &Store) -> Option<Response> {
    let depth = path.split('/').filter(|p| !p.is_empty()).count();
    if !(path == "/api" || path == "/api/v1" || path.starts_with("/apis") && depth <= 3) {
        return None;
    }
    let all = resources::served(store);
    let served = |r: &&&Resource| metrics || !r.computed;
    let groups = || {
        resources::groups(&all)
            .into_iter()
            .filter(move |(g, _)| metrics || *g != "metrics.k8s.io")
    };
    let aggregated = accept.contains("as=APIGroupDiscoveryList") && accept.contains("v=v2;")
        || accept.contains("v=v2,")
        || accept.ends_with("v=v2");
    let aggregated = aggregated && accept.contains("g=apidiscovery.k8s.io");
    match path {
        "/api" if aggregated => {
            let resources: Vec<Value> = all
                .iter()
                .filter(|r| r.group.is_empty())
                .map(|r| resources::discovery_v2(r))
                .collect();
            let body = json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
                "items": [{"metadata": {"creationTimestamp": null}, "versions": [{"version": "v1", "freshness": "Current", "resources": resources}]}]});
            Some(json_response(StatusCode::OK, DISCOVERY_V2, &body))
        }
        "/apis" if aggregated => {
            let items: Vec<Value> = groups()
                .map(|(g, v)| {
                    let resources: Vec<Value> = all.iter().filter(served).filter(|r| r.group == g && r.version == v).map(|r| resources::discovery_v2(r)).collect();
                    json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": [{"version": v, "freshness": "Current", "resources": resources}]})
                })
                .collect();
            let body = json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items});
            Some(json_response(StatusCode::OK, DISCOVERY_V2, &body))
        }
        "/api" => Some(ok(
            &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
        )),
        "/apis" => {
            let groups: Vec<Value> = groups().map(|(g, v)| group_json(g, v)).collect();
            Some(ok(
                &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            ))
        }
        "/api/v1" => Some(ok(&resource_list(&all, "v1", |r| r.group.is_empty()))),
        _ => {
            let rest = path.strip_prefix("/apis/")?;
            let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
            match parts.as_slice() {
                [g] => {
                    let (_, v) = groups().find(|(group, _)| group == g)?;
                    let mut body = group_json(g, v);
                    body["kind"] = json!("APIGroup");
                    body["apiVersion"] = json!("v1");
                    Some(ok(&body))
                }
                [g, v] => {
                    groups().find(|(group, version)| group == g && version == v)?;
                    Some(ok(&resource_list(&all, &format!("{g}/{v}"), |r| {
                        r.group == *g && r.version == *v
                    })))
                }
                _ => None,
            }
        }
    }
}

/// Just enough OpenAPI v3 for kubectl to see that the server validates fields itself
/// (`fieldValidation` on every PATCH), so `kubectl create -f` needs no client-side schema.
fn openapi(path: &str, store: &Store) -> Option<Response> {
    if !path.starts_with("/openapi/v3") {
        return None;
    }
    let all = resources::served(store);
    let mut gvs: Vec<(&str, &str)> = vec![("", "v1")];
    gvs.extend(resources::groups(&all));
    let key = |g: &str, v: &str| {
        if g.is_empty() {
            format!("api/{v}")
        } else {
            format!("apis/{g}/{v}")
        }
    };
    if path == "/openapi/v3" {
        let paths: serde_json::Map<String, Value> = gvs
            .iter()
            .map(|(g, v)| (key(g, v), json!({"serverRelativeURL": format!("/openapi/v3/{}?hash=KUBESIM{VERSION_MINOR}", key(g, v))})))
            .collect();
        return Some(ok(&json!({"paths": paths})));
    }
    let rest = path.strip_prefix("/openapi/v3/")?;
    let (g, v) = gvs.into_iter().find(|(g, v)| key(g, v) == rest)?;
    let prefix = if g.is_empty() {
        format!("/api/{v}")
    } else {
        format!("/apis/{g}/{v}")
    };
    let mut paths = serde_json::Map::new();
    for r in all
        .iter()
        .filter(|r| r.group == g && r.version == v && !r.create_only && !r.computed)
    {
        let item = if r.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("{prefix}/{}/{{name}}", r.plural)
        };
        let gvk = json!({"group": g, "version": v, "kind": r.kind});
        let param = json!([{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}}]);
        let op = |verb: &str| json!({"operationId": format!("{verb}{}", r.kind), "x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": verb, "parameters": param, "responses": {"200": {"description": "OK"}}});
        paths.insert(item, json!({"patch": op("patch"), "put": op("put")}));
    }
    let doc = json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": format!("v1.{VERSION_MINOR}.5-kubesim")}, "paths": paths, "components": {"schemas": {}}});
    Some(json_response(StatusCode::OK, "application/json", &doc))
}

fn group_json(g: &str, v: &str) -> Value {
    let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
    json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
}

fn resource_list(
    all: &[&'static Resource],
    group_version: &str,
    filter: impl Fn(&Resource) -> bool,
) -> Value {
    let resources: Vec<Value> = all
        .iter()
        .filter(|r| filter(r))
        .map(|r| resources::discovery_legacy(r))
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources})
}

/// What a resource path names.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    resource: &'static Resource,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn parse_path(path: &str, store: &Store) -> Option<Target> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (namespace, rest): (Option<String>, &[&str]) = match rest {
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some(ns.to_string()), tail),
        other => (None, other),
    };
    let (plural, name, sub) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(name.to_string()), None),
        [plural, name, sub] => (*plural, Some(name.to_string()), Some(sub.to_string())),
        _ => return None,
    };
    let resource = resources::find_in(store, group, version, plural)?;
    if namespace.is_some() && !resource.namespaced {
        return None;
    }
    Some(Target {
        resource,
        namespace,
        name,
        subresource: sub,
    })
}

fn verb_for(method: &Method, target: &Target, query: &HashMap<String, String>) -> &'static str {
    let watching = query.get("watch").is_some_and(|w| w == "true" || w == "1");
    match (method.as_str(), &target.name) {
        ("GET", Some(_)) if watching => "watch",
        ("GET", Some(_)) => "get",
        ("GET", None) if watching => "watch",
        ("GET", None) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", Some(_)) => "delete",
        ("DELETE", None) => "deletecollection",
        _ => "unknown",
    }
}

fn view(r: &Resource, object: &Value) -> Value {
    if r.group == "events.k8s.io" {
        events::to_events_v1(object)
    } else {
        object.clone()
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    api: &Arc<ClusterApi>,
    user: &User,
    method: &Method,
    target: Target,
    query: &HashMap<String, String>,
    accept: &str,
    content_type: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let r = target.resource;
    let verb = verb_for(method, &target, query);
    let ns = target.namespace.as_deref();
    if r.plural == "pods" && target.subresource.as_deref() == Some("log") && verb == "get" {
        return pod_log(api, user, &target, query);
    }
    if r.create_only {
        if verb != "create" {
            return Err(ApiError::method_not_supported(verb, r.plural));
        }
        return Ok(review(user, r, body));
    }
    if !user.can(verb, r.plural, ns) || api.refused(r, ns) {
        return Err(ApiError::forbidden(
            &user.name,
            verb,
            r.plural,
            r.group,
            ns,
            target.name.as_deref(),
        ));
    }
    if r.computed {
        return computed(api, &target, verb, query);
    }
    let store = &api.store;
    let parse_body = || -> Result<Value, ApiError> {
        if content_type.starts_with(crate::proto::CONTENT_TYPE) {
            return crate::proto::decode(body).map_err(|e| {
                ApiError::bad_request(format!(
                    "the body of the request was in an unknown format - {e}"
                ))
            });
        }
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml ({e})")))
    };
    let ns_or_empty = ns.unwrap_or("");
    let check_namespace = |ns: &str| -> Result<(), ApiError> {
        if r.namespaced && store.get("namespaces", "", ns).is_none() {
            return Err(ApiError::not_found("namespaces", "", ns));
        }
        Ok(())
    };
    match verb {
        "list" => list(api, r, ns, query, accept),
        "watch" => watch(api, r, ns, target.name.as_deref(), query),
        "get" => {
            let name = target.name.as_deref().unwrap_or_default();
            let object = store
                .get(r.store, ns_or_empty, name)
                .ok_or_else(|| ApiError::not_found(r.plural, r.group, name))?;
            if target.subresource.as_deref() == Some("scale") {
                return Ok(ok(&scale_of(&object)));
            }
            if accept.contains("as=Table") {
                return Ok(json_response(
                    StatusCode::OK,
                    TABLE_CONTENT_TYPE,
                    &table::table(r, &[object], store.rv(), None),
                ));
            }
            Ok(ok(&view(r, &object)))
        }
        "create" => {
            let mut object = parse_body()?;
            if r.group == "events.k8s.io" {
                object = events::to_core(&object);
            }
            let namespace = ns
                .map(str::to_string)
                .or_else(|| {
                    object
                        .pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "default".into());
            check_namespace(&namespace)?;
            let stored = resources::stored(r);
            let created = store.create(stored, &namespace, object, true)?;
            Ok(json_response(
                StatusCode::CREATED,
                "application/json",
                &view(r, &created),
            ))
        }
        "update" => {
            let name = target.name.as_deref().unwrap_or_default();
            let object = parse_body()?;
            let stored = resources::stored(r);
            if target.subresource.as_deref() == Some("scale") {
                let replicas = object
                    .pointer("/spec/replicas")
                    .cloned()
                    .unwrap_or(json!(0));
                let updated = store.merge_patch(
                    stored,
                    ns_or_empty,
                    name,
                    &json!({"spec": {"replicas": replicas}}),
                )?;
                return Ok(ok(&scale_of(&updated)));
            }
            let object = if r.group == "events.k8s.io" {
                events::to_core(&object)
            } else {
                object
            };
            let updated = store.update(stored, ns_or_empty, name, object)?;
            Ok(ok(&view(r, &updated)))
        }
        "patch" => {
            let name = target.name.as_deref().unwrap_or_default();
            if !(content_type.starts_with("application/merge-patch+json")
                || content_type.starts_with("application/strategic-merge-patch+json"))
            {
                return Err(ApiError::unsupported_media(format!("the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (got {content_type:?})")));
            }
            let patch = parse_body()?;
            let stored = resources::stored(r);
            let patch = match target.subresource.as_deref() {
                Some("scale") => {
                    json!({"spec": {"replicas": patch.pointer("/spec/replicas").cloned().unwrap_or(Value::Null)}})
                }
                // The status subresource changes the status and nothing else.
                Some("status") => {
                    json!({"status": patch.get("status").cloned().unwrap_or(Value::Null)})
                }
                _ => patch,
            };
            let updated = store.merge_patch(stored, ns_or_empty, name, &patch)?;
            if target.subresource.as_deref() == Some("scale") {
                return Ok(ok(&scale_of(&updated)));
            }
            Ok(ok(&view(r, &updated)))
        }
        "delete" => {
            let name = target.name.as_deref().unwrap_or_default();
            let orphan = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|b| {
                    b.get("propagationPolicy")
                        .and_then(Value::as_str)
                        .map(|p| p == "Orphan")
                })
                .unwrap_or(false)
                || query
                    .get("propagationPolicy")
                    .is_some_and(|p| p == "Orphan");
            let stored = resources::stored(r);
            let deleted = store.delete(stored, ns_or_empty, name)?;
            if !orphan {
                collect_garbage(store);
            }
            Ok(ok(&view(r, &deleted)))
        }
        other => Err(ApiError::method_not_supported(other, r.plural)),
    }
}

/// `metrics.k8s.io`: PodMetrics and NodeMetrics, worked out from the cluster's state as asked;
/// not there at all when metrics-server is "not installed" (the `noMetrics` fault). The caller
/// has checked the user may `verb` them.
fn computed(
    api: &ClusterApi,
    target: &Target,
    verb: &str,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let r = target.resource;
    let ns = target.namespace.as_deref();
    if api.faults().no_metrics {
        return Err(ApiError::no_route());
    }
    if verb != "get" && verb != "list" {
        return Err(ApiError::method_not_supported(verb, r.plural));
    }
    let labels = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))
        .map_err(|e| ApiError::bad_request(e.0))?;
    let items = if r.plural == "pods" {
        crate::metrics::pods(&api.store, ns, &labels)
    } else {
        crate::metrics::nodes(&api.store, &labels)
    };
    match &target.name {
        Some(name) => items
            .into_iter()
            .find(|o| o.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
            .map(|o| ok(&o))
            .ok_or_else(|| ApiError::not_found(r.plural, r.group, name)),
        None => Ok(ok(&json!({
            "kind": format!("{}List", r.kind),
            "apiVersion": r.api_version(),
            "metadata": {},
            "items": items,
        }))),
    }
}

/// Deletes every object whose controller owner no longer exists, until nothing changes.
pub fn collect_garbage(store: &Store) {
    loop {
        let mut uids = std::collections::HashSet::new();
        let mut owned = Vec::new();
        let mut stores: Vec<&'static Resource> = Vec::new();
        for r in resources::served(store) {
            if resources::stored(r) == r
                && !r.create_only
                && !r.computed
                && !stores.iter().any(|s| s.store == r.store)
            {
                stores.push(r);
            }
        }
        for r in stores {
            for o in store.list(r.store, None).1 {
                if let Some(uid) = o.pointer("/metadata/uid").and_then(Value::as_str) {
                    uids.insert(uid.to_string());
                }
                if let Some(owners) = o
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                {
                    let owner_uids: Vec<String> = owners
                        .iter()
                        .filter_map(|x| x.get("uid").and_then(Value::as_str).map(str::to_string))
                        .collect();
                    if !owner_uids.is_empty() {
                        owned.push((r, o.clone(), owner_uids));
                    }
                }
            }
        }
        let orphans: Vec<_> = owned
            .into_iter()
            .filter(|(_, _, owners)| owners.iter().all(|u| !uids.contains(u)))
            .collect();
        if orphans.is_empty() {
            return;
        }
        for (r, o, _) in orphans {
            let ns = o
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("");
            let name = o
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let _ = store.delete(r, ns, name);
        }
    }
}

fn scale_of(object: &Value) -> Value {
    let selector = table::selector(object);
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": object.pointer("/metadata/name"),
            "namespace": object.pointer("/metadata/namespace"),
            "uid": object.pointer("/metadata/uid"),
            "resourceVersion": object.pointer("/metadata/resourceVersion"),
            "creationTimestamp": object.pointer("/metadata/creationTimestamp"),
        },
        "spec": {"replicas": object.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {"replicas": object.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": selector},
    })
}

fn review(user: &User, r: &Resource, body: &Bytes) -> Response {
    let mut object: Value = serde_json::from_slice(body).unwrap_or_else(|_| json!({}));
    if r.plural == "selfsubjectaccessreviews" {
        let attrs = object
            .pointer("/spec/resourceAttributes")
            .cloned()
            .unwrap_or(json!({}));
        let get = |k: &str| {
            attrs
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let ns = get("namespace");
        // RBAC names a subresource as `pods/log`.
        let resource = match get("subresource").as_str() {
            "" => get("resource"),
            sub => format!("{}/{sub}", get("resource")),
        };
        let allowed = user.can(
            &get("verb"),
            &resource,
            if ns.is_empty() {
                None
            } else {
                Some(ns.as_str())
            },
        );
        object["status"] = json!({"allowed": allowed, "reason": if allowed { "RBAC: allowed by the simulated role" } else { "" }});
    } else {
        let ns = object
            .pointer("/spec/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let rules: Vec<Value> = user
            .rules
            .iter()
            .filter(|rule| rule.namespaces.as_ref().is_none_or(|list| list.iter().any(|n| n == &ns || n == "*")) && !rule.except_namespaces.contains(&ns))
            .map(|rule| json!({"verbs": rule.verbs, "apiGroups": ["*"], "resources": rule.resources}))
            .collect();
        object["status"] = json!({"resourceRules": rules, "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/version", "/healthz", "/api", "/api/*", "/apis", "/apis/*"]}], "incomplete": false});
    }
    object["apiVersion"] = json!(r.api_version());
    object["kind"] = json!(r.kind);
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({"creationTimestamp": null});
    }
    json_response(StatusCode::CREATED, "application/json", &object)
}

/// A continue token: the list's resourceVersion and the last key returned.
#[derive(Serialize, Deserialize)]
struct ContinueToken {
    rv: u64,
    ns: String,
    name: String,
}

fn selectors(
    r: &Resource,
    query: &HashMap<String, String>,
) -> Result<(LabelSelector, Option<FieldSelector>), ApiError> {
    let labels = LabelSelector::parse(query.get("labelSelector").map(String::as_str).unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.0))?;
    let fields = match query.get("fieldSelector").filter(|f| !f.is_empty()) {
        Some(f) => Some(FieldSelector::parse(f, r.plural).map_err(|e| ApiError::bad_request(e.0))?),
        None => None,
    };
    Ok((labels, fields))
}

/// True when a stored object passes the namespace, label and field filters (parsing it only for
/// field selectors).
fn matches(
    object: &Obj,
    ns: Option<&str>,
    labels: &LabelSelector,
    fields: &Option<FieldSelector>,
) -> bool {
    ns.is_none_or(|n| &*object.namespace == n)
        && labels.matches_labels(|k| object.label(k))
        && fields.as_ref().is_none_or(|f| f.matches(&object.value()))
}

fn list(
    api: &ClusterApi,
    r: &Resource,
    ns: Option<&str>,
    query: &HashMap<String, String>,
    accept: &str,
) -> Result<Response, ApiError> {
    let (labels, fields) = selectors(r, query)?;
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let token = match query.get("continue").filter(|c| !c.is_empty()) {
        Some(c) => {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .map_err(|_| {
                    ApiError::bad_request("continue key is not valid: illegal base64 data")
                })?;
            let token: ContinueToken = serde_json::from_slice(&bytes)
                .map_err(|_| ApiError::bad_request("continue key is not valid"))?;
            if api.store.is_expired(token.rv) {
                return Err(ApiError::expired_continue());
            }
            Some(token)
        }
        None => None,
    };
    let (current_rv, all) = api.store.list_objs(r.store, ns);
    let rv = token.as_ref().map_or(current_rv, |t| t.rv);
    let mut items: Vec<Arc<Obj>> = all
        .into_iter()
        .filter(|o| {
            token
                .as_ref()
                .is_none_or(|t| (&*o.namespace, &*o.name) > (t.ns.as_str(), t.name.as_str()))
        })
        .filter(|o| matches(o, None, &labels, &fields))
        .collect();
    let remaining = items.len().saturating_sub(limit);
    let next = if remaining > 0 {
        items.truncate(limit);
        items.last().map(|o| {
            let t = ContinueToken {
                rv,
                ns: o.namespace.to_string(),
                name: o.name.to_string(),
            };
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&t).unwrap_or_default())
        })
    } else {
        None
    };
    if accept.contains("as=Table") {
        let values: Vec<Arc<Value>> = items.iter().map(|o| Arc::new(o.value())).collect();
        return Ok(json_response(
            StatusCode::OK,
            TABLE_CONTENT_TYPE,
            &table::table(r, &values, rv, next.as_deref()),
        ));
    }
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if let Some(next) = next {
        metadata["continue"] = json!(next);
        metadata["remainingItemCount"] = json!(remaining);
    }
    // The stored text goes out as it is: no parse, no re-serialisation.
    let mut body =
        String::with_capacity(items.iter().map(|o| o.text.len() + 1).sum::<usize>() + 256);
    body.push_str(&format!(
        "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{metadata},\"items\":[",
        r.kind,
        r.api_version()
    ));
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        push_view(&mut body, r, o);
    }
    body.push_str("]}");
    Ok((StatusCode::OK, [("content-type", "application/json")], body).into_response())
}

/// Appends an object as this resource shows it (events.k8s.io converts core events).
fn push_view(out: &mut String, r: &Resource, o: &Obj) {
    if r.group == "events.k8s.io" {
        out.push_str(&events::to_events_v1(&o.value()).to_string());
    } else {
        out.push_str(&o.text);
    }
}

fn line(event: &str, object: &Value) -> Bytes {
    let mut text = json!({"type": event, "object": object}).to_string();
    text.push('\n');
    Bytes::from(text)
}

/// A watch event line for a stored object, its text spliced in as it is.
fn obj_line(event: &str, r: &Resource, o: &Obj) -> Bytes {
    let mut text = String::with_capacity(o.text.len() + 32);
    text.push_str("{\"type\":\"");
    text.push_str(event);
    text.push_str("\",\"object\":");
    push_view(&mut text, r, o);
    text.push_str("}\n");
    Bytes::from(text)
}

fn bookmark(r: &Resource, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(
        "BOOKMARK",
        &json!({"kind": r.kind, "apiVersion": r.api_version(), "metadata": meta}),
    )
}

/// `GET …/pods/{name}/log`: the container's output as `text/plain`; with `follow=true` a stream
/// that ends when the container does (or when the client leaves).
fn pod_log(
    api: &Arc<ClusterApi>,
    user: &User,
    target: &Target,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let ns = target.namespace.as_deref();
    let name = target.name.as_deref().unwrap_or_default();
    if !user.can("get", "pods/log", ns) || api.refused(target.resource, ns) {
        return Err(ApiError::forbidden(
            &user.name,
            "get",
            "pods/log",
            "",
            ns,
            Some(name),
        ));
    }
    let pod = api
        .store
        .get("pods", ns.unwrap_or_default(), name)
        .ok_or_else(|| ApiError::not_found("pods", "", name))?;
    let q = logs::LogQuery::parse(query)?;
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let src = logs::source(&pod, &q, now_ms / 1000)?;
    let first = logs::render(&logs::lines(&src, now_ms), &q, now_ms);
    let text = |body: Body| {
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain")
            .body(body)
            .unwrap_or_default()
    };
    if !q.follow {
        return Ok(text(Body::from(logs::limit(first, &q))));
    }
    // Follow: what is there now (after tailLines), then each new line as it is written.
    let sent = logs::lines(&src, now_ms).len();
    let budget = q.limit_bytes.unwrap_or(usize::MAX);
    let first = logs::limit(first, &q);
    let state = (src, q, sent, budget - first.len(), Some(first));
    let stream = futures::stream::unfold(state, |(src, q, sent, budget, first)| async move {
        if let Some(first) = first {
            return Some((
                Ok::<_, Infallible>(Bytes::from(first)),
                (src, q, sent, budget, None),
            ));
        }
        loop {
            if budget == 0 {
                return None;
            }
            let now_ms = jiff::Timestamp::now().as_millisecond();
            let all = logs::lines(&src, now_ms);
            if all.len() > sent {
                let chunk = logs::render(
                    &all[sent..],
                    &logs::LogQuery {
                        tail_lines: None,
                        since_seconds: None,
                        ..q.clone()
                    },
                    now_ms,
                );
                let chunk = logs::limit(
                    chunk,
                    &logs::LogQuery {
                        limit_bytes: Some(budget),
                        ..Default::default()
                    },
                );
                let left = budget - chunk.len();
                return Some((Ok(Bytes::from(chunk)), (src, q, all.len(), left, None)));
            }
            if src.run.ended.is_some_and(|(end, _)| end * 1000 <= now_ms) {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    Ok(text(Body::from_stream(stream)))
}

fn watch(
    api: &Arc<ClusterApi>,
    r: &'static Resource,
    ns: Option<&str>,
    name: Option<&str>,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let (labels, mut fields) = selectors(r, query)?;
    if let Some(name) = name {
        let by_name = FieldSelector::parse(&format!("metadata.name={name}"), r.plural)
            .map_err(|e| ApiError::bad_request(e.0))?;
        fields = Some(by_name);
    }
    let send_initial = query.get("sendInitialEvents").is_some_and(|v| v == "true");
    let bookmarks = query
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true");
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(1800);
    let from = match query.get("resourceVersion").map(String::as_str) {
        _ if send_initial => None,
        None | Some("") | Some("0") => None,
        Some(rv) => Some(
            rv.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}")))?,
        ),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(256);
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    }));
    let start = match api.store.watch(r.store, from) {
        Ok(s) => s,
        Err(expired) => {
            let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {} ({})", expired.requested, expired.oldest), "reason": "Expired", "code": 410});
            let _ = tx.try_send(line("ERROR", &status));
            drop(tx);
            return Ok(watch_response(body));
        }
    };
    let ns = ns.map(str::to_string);
    let every = api.bookmark_every;
    tokio::spawn(async move {
        let crate::store::WatchStart {
            backlog,
            rv: start_rv,
            mut live,
            mut drops,
        } = start;
        let mut last_rv = start_rv;
        let wanted =
            |c: &Change| c.store == r.store && matches(&c.object, ns.as_deref(), &labels, &fields);
        for change in backlog.iter().filter(|c| wanted(c)) {
            if tx
                .send(obj_line(change.kind.as_str(), r, &change.object))
                .await
                .is_err()
            {
                return;
            }
        }
        if send_initial && tx.send(bookmark(r, start_rv, true)).await.is_err() {
            return;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {
                    if bookmarks {
                        let _ = tx.send(bookmark(r, last_rv, false)).await;
                    }
                    return;
                }
                _ = drops.changed() => return,
                _ = tick.tick(), if bookmarks => {
                    if tx.send(bookmark(r, last_rv, false)).await.is_err() {
                        return;
                    }
                }
                () = tx.closed() => return,
                received = live.recv() => match received {
                    Ok(change) => {
                        if change.rv <= start_rv {
                            continue;
                        }
                        if change.store == r.store {
                            last_rv = change.rv;
                        }
                        if wanted(&change) && tx.send(obj_line(change.kind.as_str(), r, &change.object)).await.is_err() {
                            return;
                        }
                    }
                    // Too slow to keep up, or the store is gone: end the stream; the client re-watches.
                    Err(_) => return,
                }
            }
        }
    });
    Ok(watch_response(body))
}

fn watch_response(body: Body) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_resources() {
        let t = parse_path("/api/v1/namespaces/shop/pods/web-1", &Store::default())
            .unwrap_or_else(|| panic!("parse"));
        assert_eq!(
            (t.resource.plural, t.namespace.as_deref(), t.name.as_deref()),
            ("pods", Some("shop"), Some("web-1"))
        );
        let t = parse_path("/api/v1/namespaces/shop", &Store::default())
            .unwrap_or_else(|| panic!("parse"));
        assert_eq!(
            (t.resource.plural, t.namespace, t.name.as_deref()),
            ("namespaces", None, Some("shop"))
        );
        let t = parse_path(
            "/apis/apps/v1/namespaces/shop/deployments/web/scale",
            &Store::default(),
        )
        .unwrap_or_else(|| panic!("parse"));
        assert_eq!(
            (t.resource.plural, t.subresource.as_deref()),
            ("deployments", Some("scale"))
        );
        let t = parse_path(
            "/apis/autoscaling/v2/horizontalpodautoscalers",
            &Store::default(),
        )
        .unwrap_or_else(|| panic!("parse"));
        assert_eq!(
            (t.resource.kind, t.namespace),
            ("HorizontalPodAutoscaler", None)
        );
        assert!(parse_path("/api/v1/namespaces/shop/nodes", &Store::default()).is_none());
        assert!(parse_path("/apis/apps/v1/secrets", &Store::default()).is_none());
        assert!(
            parse_path("/api/v1/secrets", &Store::default()).is_none(),
            "kubesim serves no Secrets"
        );
    }

    #[test]
    fn faults_parse_from_the_command_line() {
        let (cluster, f) = Faults::parse_cli("prod-eu-1:latencyMs=20,errorRate=0.5,errorCode=503")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (cluster.as_str(), f.latency_ms, f.error_rate, f.error_code),
            ("prod-eu-1", 20, 0.5, 503)
        );
        assert!(Faults::parse_cli("prod-eu-1").is_err());
        assert!(Faults::parse_cli("c:latency=1")
            .is_err_and(|e| e.to_string().contains("unknown key latency")));
        assert!(Faults::parse_cli("c:errorRate=lots")
            .is_err_and(|e| e.to_string().contains("errorRate")));
    }

    #[test]
    fn injection_follows_the_rate() {
        let api = ClusterApi::new("c", Arc::new(Store::default()), vec![], None);
        let hits = (0..100).filter(|_| api.inject(0.25)).count();
        assert_eq!(hits, 25);
    }
}
