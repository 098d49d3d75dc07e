//! Pod logs for the people allowed to read them:
//! `GET /api/v1/services/{name}/pods/{cluster}/{namespace}/{pod}/log` (`text/plain`, exactly the
//! apiserver's bytes) and `…/log/events` (Server-Sent Events, one `line` message per line, an `end`
//! message when the container stops). Only pods of the service, only for its owners when an
//! identity header is configured, each read written to the audit log.

use super::api::ApiError;
use super::AppState;
use crate::access::{self, Decision, Viewer};
use crate::clusters::logs::{self, LogError, LogRequest};
use crate::clusters::ClusterWatch;
use app::api::valid_name;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The query of both routes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogQuery {
    pub container: Option<String>,
    #[serde(default)]
    pub previous: bool,
    pub tail_lines: Option<i64>,
}

/// The path: service, cluster, namespace, pod.
type PodPath = Path<(String, String, String, String)>;

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        let message = e.to_string();
        match e {
            LogError::Disabled { .. } | LogError::Forbidden { .. } => ApiError::Forbidden(message),
            LogError::Busy { .. } => ApiError::TooManyRequests(message),
            LogError::Gone { .. } => ApiError::NotFound(message),
            LogError::Refused(_) => ApiError::BadRequest(message),
            LogError::Timeout { .. } => ApiError::GatewayTimeout(message),
            LogError::Unreachable { .. } => ApiError::BadGateway(message),
        }
    }
}

/// Who is asking, from the proxy's headers.
pub fn viewer(state: &AppState, headers: &HeaderMap) -> Viewer {
    let value = |name: &Option<axum::http::HeaderName>| {
        name.as_ref()
            .and_then(|n| headers.get(n))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Viewer {
        identity: value(&state.security.identity_header),
        groups: access::parse_groups(value(&state.security.groups_header).as_deref()),
    }
}

/// Whether `viewer` may read what `service`'s owners may.
pub fn decide(state: &AppState, viewer: &Viewer, service: &str) -> Decision {
    let rule = access::Rule {
        enforced: state.security.identity_header.is_some(),
        admin_group: state.security.admin_group.clone(),
    };
    let owners = state.catalog.snapshot().owners_of(service);
    access::decide(&rule, viewer, owners.as_ref())
}

/// The cluster of `[service, cluster, namespace, pod]` once the pod is known to be one of the
/// service's; not found otherwise (pages and the API never serve other objects of a cluster).
pub fn service_pod(state: &AppState, path: [&str; 4]) -> Result<Arc<ClusterWatch>, ApiError> {
    let [service, cluster, namespace, pod] = path;
    let not_found = || {
        ApiError::NotFound(format!(
            "no pod {namespace}/{pod} of service “{service}” in cluster {cluster}"
        ))
    };
    if !path.iter().all(|s| valid_name(s)) {
        return Err(not_found());
    }
    let watch = state.fleet.cluster(cluster).ok_or_else(not_found)?;
    let owned = watch.index.objects_of(service).iter().any(|k| {
        k.kind == crate::clusters::index::Kind::Pod && k.namespace == namespace && k.name == pod
    });
    owned.then_some(watch).ok_or_else(not_found)
}

/// The cluster and the request, once the pod is known to be the service's and the viewer may read
/// its logs; the audit line is written here, for reads and refusals alike.
fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    (service, cluster, namespace, pod): (String, String, String, String),
    q: LogQuery,
    follow: bool,
) -> Result<(Arc<ClusterWatch>, LogRequest), ApiError> {
    let watch = service_pod(state, [&service, &cluster, &namespace, &pod])?;
    let viewer = viewer(state, headers);
    let decision = decide(state, &viewer, &service);
    let container = q.container.filter(|c| !c.is_empty());
    tracing::info!(
        target: "wayfinder::audit",
        who = viewer.identity.as_deref().unwrap_or("-"),
        action = if follow { "follow-log" } else { "read-log" },
        service = %service,
        cluster = %cluster,
        namespace = %namespace,
        pod = %pod,
        container = container.as_deref().unwrap_or("-"),
        previous = q.previous,
        decision = decision.verdict(),
        "pod log"
    );
    if !decision.allowed() {
        return Err(ApiError::Forbidden(decision.refusal("these logs")));
    }
    Ok((
        watch,
        LogRequest {
            namespace,
            pod,
            container,
            previous: q.previous,
            tail_lines: LogRequest::tail(q.tail_lines),
        },
    ))
}

/// `GET …/log`: the log as `text/plain`; a log longer than 2 MiB is cut, with a note at the end.
pub async fn read(
    State(state): State<AppState>,
    Path(path): PodPath,
    Query(q): Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (watch, req) = authorize(&state, &headers, path, q, false)?;
    let text = logs::read(&watch, &req).await?;
    let mut body = text.bytes;
    if text.cut {
        body.extend_from_slice(
            format!(
                "\n[wayfinder: cut at {} MiB; ask for fewer lines with tailLines]\n",
                logs::MAX_BYTES / (1024 * 1024)
            )
            .as_bytes(),
        );
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// `GET …/log/events`: each line as a `line` message as the container writes it, then `end`.
pub async fn follow(
    State(state): State<AppState>,
    Path(path): PodPath,
    Query(q): Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (watch, req) = authorize(&state, &headers, path, q, true)?;
    let lines = logs::follow(&watch, &req).await?;
    // SSE data cannot carry a carriage return; nothing else in a line needs changing.
    let events = lines
        .map(|l| Ok::<_, Infallible>(Event::default().event("line").data(l.replace('\r', ""))))
        .chain(futures::stream::once(async {
            Ok(Event::default().event("end").data("the container stopped"))
        }));
    let mut response = super::live::sse(events);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// A log as a page shows it: ANSI escape sequences and other control characters removed (colours
/// and cursor moves never show as codes), invalid UTF-8 shown as U+FFFD, lines and tabs kept.
pub fn plain(bytes: &[u8]) -> String {
    // The stripper drops tabs with the other control characters: stack traces need them, so they
    // pass through it as a private-use character.
    const TAB: &str = "\u{e000}";
    let shielded = String::from_utf8_lossy(bytes).replace('\t', TAB);
    let stripped = strip_ansi_escapes::strip_str(&shielded);
    stripped.replace(TAB, "\t")
}

/// Pod logs for pages ([`app::api::ssr::PodLogs`]), with the API's checks and audit line.
pub struct PageLogs(pub AppState);

impl app::api::ssr::PodLogs for PageLogs {
    fn tail(
        &self,
        at: app::api::ssr::LogAt,
        lines: i64,
        headers: HeaderMap,
    ) -> Pin<Box<dyn Future<Output = app::model::LogTail> + Send + 'static>> {
        let state = self.0.clone();
        Box::pin(async move {
            let cached = state
                .fleet
                .cluster(&at.cluster)
                .and_then(|c| c.stores.pods.get(&at.namespace, &at.pod));
            let (container, previous) = cached.as_deref().map_or((None, false), |p| {
                let clock = crate::health::Clock::new(jiff::Timestamp::now());
                crate::health::pods::answer_log(p, &at.rule, &clock)
            });
            // The finding's heading says which run the lines are of: no note for falling back.
            read_lines(&state, &headers, at, container, previous, lines)
                .await
                .0
        })
    }
}

/// The last `lines` lines of a pod's log for a viewer (checked and audited as the API does), as a
/// page shows them; the previous run asked for in a container's first back-off (it has had only
/// the current one) gives the current run and the apiserver's words for why.
async fn read_lines(
    state: &AppState,
    headers: &HeaderMap,
    at: app::api::ssr::LogAt,
    container: Option<String>,
    previous: bool,
    lines: i64,
) -> (app::model::LogTail, Option<String>) {
    let mut tail = app::model::LogTail {
        container: container.clone().unwrap_or_default(),
        previous,
        ..Default::default()
    };
    let q = LogQuery {
        container,
        previous,
        tail_lines: Some(lines),
    };
    let path = (at.service, at.cluster, at.namespace, at.pod);
    let (watch, req) = match authorize(state, headers, path, q, false) {
        Ok(found) => found,
        Err(e) => {
            tail.note = Some(e.to_string());
            return (tail, None);
        }
    };
    let mut read = logs::read(&watch, &req).await;
    let mut fell_back = None;
    if let (true, Err(LogError::Refused(why))) = (previous, &read) {
        fell_back = Some(why.clone());
        tail.previous = false;
        read = logs::read(
            &watch,
            &LogRequest {
                previous: false,
                ..req
            },
        )
        .await;
    }
    match read {
        Ok(t) => {
            tail.text = plain(&t.bytes);
            tail.note = t.cut.then(|| {
                format!(
                    "The log is longer than {} MiB: only its last part is shown.",
                    logs::MAX_BYTES / (1024 * 1024)
                )
            });
        }
        Err(e) => tail.note = Some(ApiError::from(e).to_string()),
    }
    (tail, fell_back)
}

impl app::api::ssr::MadePages for PageLogs {
    fn cluster(&self, name: &str) -> Option<app::model::ClusterDetail> {
        super::api::cluster_detail(&self.0, name).ok()
    }

    fn timeline(
        &self,
        name: &str,
        query: app::model::TimelineQuery,
    ) -> app::api::ssr::Pending<Result<app::model::Timeline, (app::error::AppError, String)>> {
        let (state, name) = (self.0.clone(), name.to_string());
        Box::pin(async move {
            use app::error::{AppError, Entity};
            super::api::timeline_of(&state, &name, &query)
                .await
                .map_err(|e| match e {
                    super::api::ApiError::BadRequest(m) => (AppError::BadRequest, m),
                    other => (AppError::NotFound(Entity::Service), other.to_string()),
                })
        })
    }

    fn pod(
        &self,
        at: app::api::ssr::LogAt,
    ) -> app::api::ssr::Pending<Option<app::model::PodDetail>> {
        let state = self.0.clone();
        Box::pin(async move {
            super::api::pod_detail(&state, [&at.service, &at.cluster, &at.namespace, &at.pod])
                .await
                .ok()
        })
    }

    fn containers(&self, at: &app::api::ssr::LogAt) -> Option<Vec<(String, bool)>> {
        let watch =
            service_pod(&self.0, [&at.service, &at.cluster, &at.namespace, &at.pod]).ok()?;
        let pod = watch.stores.pods.get(&at.namespace, &at.pod)?;
        let spec = pod.spec.as_ref()?;
        let names = |list: &[crate::clusters::slim::Container], init: bool| {
            list.iter()
                .map(|c| (c.name.clone(), init))
                .collect::<Vec<_>>()
        };
        let mut all = names(spec.init_containers.as_deref().unwrap_or_default(), true);
        all.extend(names(&spec.containers, false));
        Some(all)
    }

    fn log(
        &self,
        at: app::api::ssr::LogAt,
        container: Option<String>,
        previous: bool,
        lines: i64,
        headers: HeaderMap,
    ) -> app::api::ssr::Pending<app::model::LogTail> {
        let state = self.0.clone();
        Box::pin(async move {
            let (mut tail, fell_back) =
                read_lines(&state, &headers, at, container, previous, lines).await;
            if let (Some(why), None) = (fell_back, &tail.note) {
                tail.note = Some(format!("{why}: its current run is shown instead."));
            }
            tail
        })
    }

    fn object_yaml(
        &self,
        at: [&str; 5],
        headers: &HeaderMap,
    ) -> Result<String, app::api::ssr::Unread> {
        use app::api::ssr::Unread;
        let [_, cluster, namespace, _, object] = at;
        let (kind, value) = super::objects::object(&self.0, headers, at).map_err(|e| match e {
            ApiError::NotFound(_) => Unread::NotFound,
            ApiError::Forbidden(why) => Unread::Refused(why),
            other => Unread::Failed(other.to_string()),
        })?;
        super::objects::yaml(kind, [cluster, namespace, object], &value)
            .map_err(|e| Unread::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn logs_show_as_plain_text() {
        let raw = b"\x1b[33mWARN\x1b[0m ready\x07\x00 \xff\tok\n";
        assert_eq!(super::plain(raw), "WARN ready \u{fffd}\tok\n");
    }
}
