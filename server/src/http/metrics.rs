//! `/metrics` for Prometheus, written with the Prometheus project's own Rust client
//! (`prometheus-client`): cluster sync state, watch restarts, cached objects, event age, open live
//! streams and HTTP latency by route template (never by raw path).
//!
//! The fleet's figures are read when scraped, into a registry made for that scrape; the request
//! histogram lives as long as the server.

use super::AppState;
use app::model::ClusterState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The labels of one request's timing.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClusterLabel {
    cluster: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    cluster: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    cluster: String,
    kind: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS.iter().copied())
}

/// Request timings, filled by [`track`].
pub struct Metrics {
    http: Family<HttpLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            http: Family::new_with_constructor(latency_histogram),
        }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.http
            .get_or_create(&HttpLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: class,
            })
            .observe(seconds);
    }
}

/// Middleware: times every request under its route template (`/services/{name}`), or `other`
/// for static files and unknown paths, so labels stay few.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let method = request.method().to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let mut registry = Registry::default();
    let states = [
        ClusterState::Connecting,
        ClusterState::Synced,
        ClusterState::Stale,
        ClusterState::Unreachable,
        ClusterState::Unauthorized,
        ClusterState::Forbidden,
    ];
    let cluster_state = Family::<StateLabels, Gauge>::default();
    let sync_age = Family::<ClusterLabel, Gauge>::default();
    let restarts = Family::<ClusterLabel, Counter>::default();
    let watches = Family::<ClusterLabel, Gauge>::default();
    let objects = Family::<KindLabels, Gauge>::default();
    let event_age = Family::<ClusterLabel, Gauge<f64, AtomicU64>>::default();
    let polls = Family::<ClusterLabel, Counter>::default();
    let poll_requests = Family::<ClusterLabel, Counter>::default();
    let poll_seconds = Family::<ClusterLabel, Counter<f64, AtomicU64>>::default();
    let now = jiff::Timestamp::now();
    for c in state.fleet.clusters().iter() {
        let (v, s) = (c.view(), c.status.summary());
        let cluster = || ClusterLabel {
            cluster: v.name.clone(),
        };
        for st in states {
            cluster_state
                .get_or_create(&StateLabels {
                    cluster: v.name.clone(),
                    state: st.id(),
                })
                .set(i64::from(v.state == st));
        }
        if let Some(age) = v.sync_age_seconds {
            sync_age.get_or_create(&cluster()).set(age);
        }
        restarts.get_or_create(&cluster()).inc_by(v.watch_restarts);
        let cost = &c.usage.cost;
        polls
            .get_or_create(&cluster())
            .inc_by(cost.polls.load(Ordering::Relaxed));
        poll_requests
            .get_or_create(&cluster())
            .inc_by(cost.requests.load(Ordering::Relaxed));
        poll_seconds
            .get_or_create(&cluster())
            .inc_by(cost.micros.load(Ordering::Relaxed) as f64 / 1e6);
        watches.get_or_create(&cluster()).set(s.watches as i64);
        for (kind, n) in &v.objects {
            objects
                .get_or_create(&KindLabels {
                    cluster: v.name.clone(),
                    kind: kind.clone(),
                })
                .set(*n as i64);
        }
        if let Some(t) = s.last_event {
            let age = now.duration_since(t).as_secs_f64().max(0.0);
            event_age.get_or_create(&cluster()).set(age);
        }
    }
    let subscribers = Gauge::<i64>::default();
    subscribers.set(state.fleet.subscribers() as i64);
    // The timeline's history.
    let h = state.history.health();
    let (offered, written, dropped) = (
        Counter::<u64>::default(),
        Counter::<u64>::default(),
        Counter::<u64>::default(),
    );
    offered.inc_by(h.offered);
    written.inc_by(h.written);
    dropped.inc_by(h.dropped);
    let write_seconds = Counter::<f64, AtomicU64>::default();
    write_seconds.inc_by(h.write_micros as f64 / 1e6);
    let (pending, unavailable) = (Gauge::<i64>::default(), Gauge::<i64>::default());
    pending.set(h.pending as i64);
    unavailable.set(i64::from(h.unavailable.is_some()));
    registry.register(
        "wayfinder_history_events_offered",
        "Events handed to the history's writer (duplicates included)",
        offered,
    );
    registry.register(
        "wayfinder_history_events_written",
        "Events the history kept (duplicates merged are not counted)",
        written,
    );
    registry.register(
        "wayfinder_history_events_dropped",
        "Events dropped because too many waited while the history's database was away",
        dropped,
    );
    registry.register(
        "wayfinder_history_write_seconds",
        "Time spent writing to the history's database",
        write_seconds,
    );
    registry.register(
        "wayfinder_history_pending",
        "Events waiting to be written",
        pending,
    );
    registry.register(
        "wayfinder_history_unavailable",
        "1 while the history's database fails",
        unavailable,
    );
    registry.register(
        "wayfinder_cluster_state",
        "1 for the state each cluster is in",
        cluster_state,
    );
    registry.register(
        "wayfinder_cluster_sync_age_seconds",
        "Seconds since every watch of the cluster last had a live view",
        sync_age,
    );
    registry.register(
        "wayfinder_watch_restarts",
        "Relists after a watch broke",
        restarts,
    );
    registry.register(
        "wayfinder_watches",
        "Reflectors running (one per kind, or per kind and namespace)",
        watches,
    );
    registry.register(
        "wayfinder_objects_cached",
        "Objects in the watch caches",
        objects,
    );
    registry.register(
        "wayfinder_watch_event_age_seconds",
        "Seconds since the cluster's last watch event (event lag when changes are expected)",
        event_age,
    );
    registry.register(
        "wayfinder_metrics_polls",
        "Polls of the cluster's metrics.k8s.io PodMetrics",
        polls,
    );
    registry.register(
        "wayfinder_metrics_poll_requests",
        "List requests those polls made (one each, or one per readable namespace)",
        poll_requests,
    );
    registry.register(
        "wayfinder_metrics_poll_seconds",
        "Time those polls took, request and parsing",
        poll_seconds,
    );
    registry.register(
        "wayfinder_live_subscribers",
        "Open live-update streams",
        subscribers,
    );
    registry.register(
        "wayfinder_http_request_duration_seconds",
        "Request latency by route template",
        state.metrics.http.clone(),
    );
    let mut out = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
        tracing::error!("cannot encode the metrics: {e}");
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        out,
    )
}
