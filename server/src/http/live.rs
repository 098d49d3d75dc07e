//! Live updates: Server-Sent Events that push a service's cluster map, or the fleet's cluster list,
//! whenever a watch event touches it.

use super::AppState;
use crate::clusters::index::Change;
use app::api::valid_name;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Changes arriving this close together go out as one message.
const COALESCE: Duration = Duration::from_millis(50);
/// The fleet error stream recomputes at most this often.
const ERRORS_PAUSE: Duration = Duration::from_millis(250);
/// A pod's stream reads the pod again at most this often (each read lists its events in the cluster).
const POD_PAUSE: Duration = Duration::from_secs(5);
/// Without any change, the cluster list is re-sent this often so ages stay true.
const FLEET_REFRESH: Duration = Duration::from_secs(5);

/// What a stream waits for next.
enum Wake {
    Relevant,
    Closed,
}

/// Waits for the next change `relevant` accepts; a lagging subscriber counts as relevant (it must
/// refresh anyway). Then drains what arrives within [`COALESCE`].
async fn next_relevant(
    rx: &mut tokio::sync::broadcast::Receiver<Change>,
    relevant: &impl Fn(&Change) -> bool,
    timeout: Option<Duration>,
) -> Wake {
    loop {
        let got = match timeout {
            Some(t) => match tokio::time::timeout(t, rx.recv()).await {
                Ok(r) => r,
                Err(_) => return Wake::Relevant,
            },
            None => rx.recv().await,
        };
        match got {
            Ok(c) if relevant(&c) => break,
            Ok(_) => continue,
            Err(RecvError::Lagged(_)) => break,
            Err(RecvError::Closed) => return Wake::Closed,
        }
    }
    let deadline = tokio::time::Instant::now() + COALESCE;
    while let Ok(Ok(_)) = tokio::time::timeout_at(deadline, rx.recv()).await {}
    Wake::Relevant
}

fn json_event(name: &str, data: &impl serde::Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|e| Event::default().event("error").data(e.to_string()))
}

/// `GET /api/v1/services/{name}/events`: an `event: service` message with the whole service (as
/// `GET /api/v1/services/{name}`: cluster map, errors, autoscalers, rollouts) on connect and after
/// every change that touches it.
pub async fn service_events(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    if !valid_name(&name) || state.portal.service(&name).is_none() {
        return super::api::ApiError::NotFound(format!("no service named “{name}”"))
            .into_response();
    }
    let stream = futures::stream::unfold(
        (state.clone(), state.fleet.subscribe(), name, true),
        |(state, mut rx, name, first)| async move {
            if !first {
                let wanted = name.clone();
                let relevant = move |c: &Change| match c {
                    Change::Objects { services, .. } => services.iter().any(|s| **s == *wanted),
                    Change::Status { .. } => true,
                };
                if let Wake::Closed = next_relevant(&mut rx, &relevant, None).await {
                    return None;
                }
            }
            let event = match state.portal.service_live(&name) {
                Some(detail) => json_event("service", &detail),
                None => Event::default().event("gone").data(name.clone()),
            };
            Some((Ok::<_, Infallible>(event), (state, rx, name, false)))
        },
    );
    sse(stream)
}

/// `GET /api/v1/services/{name}/pods/{cluster}/{namespace}/{pod}/events`: an `event: pod` message
/// with the pod (as `GET …/pods/{cluster}/{namespace}/{pod}`, its events read from the cluster each
/// time) on connect and after changes to the service, at most every [`POD_PAUSE`]; with
/// `?format=html` the message is the pod page's account of it (what the page swaps in). `gone`
/// when the pod is no longer the service's, and the stream ends.
pub async fn pod_events(
    State(state): State<AppState>,
    Path((name, cluster, namespace, pod)): Path<(String, String, String, String)>,
    axum::extract::Query(q): axum::extract::Query<PodFormat>,
) -> Response {
    if let Err(e) = super::logs::service_pod(&state, [&name, &cluster, &namespace, &pod]) {
        return e.into_response();
    }
    let html = match wants_html(q.format.as_deref()) {
        Ok(html) => html,
        Err(e) => return e.into_response(),
    };
    let path = [name, cluster, namespace, pod];
    // (…, first message, the pod is gone: the stream ends)
    let stream = futures::stream::unfold(
        (state.clone(), state.fleet.subscribe(), path, true, false),
        move |(state, mut rx, path, first, gone)| async move {
            if gone {
                return None;
            }
            if !first {
                let wanted = path[0].clone();
                let relevant = move |c: &Change| match c {
                    Change::Objects { services, .. } => services.iter().any(|s| **s == *wanted),
                    Change::Status { .. } => true,
                };
                if let Wake::Closed = next_relevant(&mut rx, &relevant, None).await {
                    return None;
                }
                tokio::time::sleep(POD_PAUSE).await;
            }
            let [a, b, c, d] = &path;
            let (event, gone) = match super::api::pod_detail(&state, [a, b, c, d]).await {
                Ok(pod) if html => (
                    Event::default()
                        .event("pod")
                        .data(app::pages::pod::render::detail(&pod)),
                    false,
                ),
                Ok(pod) => (json_event("pod", &pod), false),
                Err(e) => (Event::default().event("gone").data(e.to_string()), true),
            };
            Some((Ok::<_, Infallible>(event), (state, rx, path, false, gone)))
        },
    );
    sse(stream)
}

/// `?format=` of [`pod_events`].
#[derive(Debug, Default, serde::Deserialize)]
pub struct PodFormat {
    format: Option<String>,
}

/// `GET /api/v1/events`: an `event: clusters` message with every cluster's status (as in
/// `GET /api/v1/clusters`) on connect, on every status change and every few seconds.
pub async fn fleet_events(State(state): State<AppState>) -> Response {
    let stream = futures::stream::unfold(
        (state.clone(), state.fleet.subscribe(), true),
        |(state, mut rx, first)| async move {
            if !first {
                let relevant = |c: &Change| matches!(c, Change::Status { .. });
                if let Wake::Closed = next_relevant(&mut rx, &relevant, Some(FLEET_REFRESH)).await {
                    return None;
                }
            }
            let event = json_event("clusters", &state.fleet.statuses());
            Some((Ok::<_, Infallible>(event), (state, rx, false)))
        },
    );
    sse(stream)
}

/// `GET /api/v1/errors/events?team=&cluster=&region=&severity=&rule=`: an `event: errors` message with
/// the fleet's error list (as `GET /api/v1/errors`) on connect and whenever it changes.
pub async fn errors_events(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<app::model::ErrorQuery>,
) -> Response {
    let stream = futures::stream::unfold(
        (
            state.clone(),
            state.fleet.subscribe(),
            q,
            None::<app::model::ErrorList>,
        ),
        |(state, mut rx, q, last)| async move {
            loop {
                if last.is_some() {
                    let relevant = |_: &Change| true;
                    if let Wake::Closed =
                        next_relevant(&mut rx, &relevant, Some(FLEET_REFRESH)).await
                    {
                        return None;
                    }
                    // At most a few lists a second, however busy the fleet.
                    tokio::time::sleep(ERRORS_PAUSE).await;
                }
                let list = state.portal.errors(&q);
                if last.as_ref() != Some(&list) {
                    let event = json_event("errors", &list);
                    return Some((Ok::<_, Infallible>(event), (state, rx, q, Some(list))));
                }
            }
        },
    );
    sse(stream)
}

pub(super) fn sse(
    stream: impl Stream<Item = Result<Event, Infallible>> + Send + 'static,
) -> Response {
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // Proxies must not buffer or compress the stream.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    response
}

/// Whether a stream's `?format=` asks for the page's markup (`html`) rather than JSON.
fn wants_html(format: Option<&str>) -> Result<bool, super::api::ApiError> {
    match format {
        None | Some("json") => Ok(false),
        Some("html") => Ok(true),
        Some(other) => Err(super::api::ApiError::BadRequest(format!(
            "format “{other}” is not one of json, html"
        ))),
    }
}

/// The timeline stream's query: the page's range and filters, and the message's format.
#[derive(Debug, Default, serde::Deserialize)]
pub struct TimelineStream {
    #[serde(flatten)]
    query: app::model::TimelineQuery,
    format: Option<String>,
}

/// How often a timeline stream is sent again with nothing new (a range back from now moves on).
const TIMELINE_REFRESH: Duration = Duration::from_secs(60);

/// `GET /api/v1/services/{name}/timeline/events`: an `event: timeline` message with the timeline
/// (as `GET …/timeline` with the same query) on connect and whenever the history gains events of
/// the service or of a cluster, at most once a second; with `?format=html` the message is the
/// timeline page's events part (what the page swaps in).
pub async fn timeline_events(
    State(state): State<AppState>,
    Path(name): Path<String>,
    axum::extract::Query(q): axum::extract::Query<TimelineStream>,
) -> Response {
    let html = match wants_html(q.format.as_deref()) {
        Ok(html) => html,
        Err(e) => return e.into_response(),
    };
    // The first answer says what is wrong with the service or the query, or is the first message.
    let first = match super::api::timeline_of(&state, &name, &q.query).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let rx = state.history.subscribe();
    let stream = futures::stream::unfold(
        (state, rx, name, q.query, Some(first)),
        move |(state, mut rx, name, query, first)| async move {
            let answer = match first {
                Some(t) => Ok(t),
                None => {
                    let deadline = tokio::time::sleep(TIMELINE_REFRESH);
                    tokio::pin!(deadline);
                    loop {
                        tokio::select! {
                            got = rx.recv() => match got {
                                Ok(services) if services.iter().any(|s| *s == name || s.is_empty()) => break,
                                Ok(_) => {}
                                Err(RecvError::Lagged(_)) => break,
                                Err(RecvError::Closed) => return None,
                            },
                            () = &mut deadline => break,
                        }
                    }
                    tokio::time::sleep(COALESCE).await;
                    while rx.try_recv().is_ok() {}
                    super::api::timeline_of(&state, &name, &query).await
                }
            };
            let event = match answer {
                Ok(t) if html => Event::default()
                    .event("timeline")
                    .data(app::pages::timeline::render::events_html(&t, &query)),
                Ok(t) => json_event("timeline", &t),
                Err(_) => Event::default().event("gone").data(name.clone()),
            };
            Some((Ok::<_, Infallible>(event), (state, rx, name, query, None)))
        },
    );
    sse(stream)
}
