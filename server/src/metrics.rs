//! `/metrics` in the Prometheus text format: cluster sync state, watch restarts, cached objects,
//! event age, open live streams and HTTP latency by route template (never by raw path).

use crate::state::AppState;
use app::model::ClusterState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Clone, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Request counters, filled by [`track`].
#[derive(Default)]
pub struct Metrics {
    /// (method, route template, status class) → latency histogram.
    http: Mutex<BTreeMap<(String, String, &'static str), Histogram>>,
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
        let mut http = self.http.lock().unwrap_or_else(PoisonError::into_inner);
        let h = http
            .entry((method.to_string(), route.to_string(), class))
            .or_insert_with(|| Histogram {
                counts: vec![0; BUCKETS.len()],
                ..Default::default()
            });
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }
}

/// Middleware: times every request under its route template (`/services/{name}`), or `other`
/// for static files and unknown paths, so labels stay few.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let method = request.method().to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    let states = [
        ClusterState::Connecting,
        ClusterState::Synced,
        ClusterState::Stale,
        ClusterState::Unreachable,
        ClusterState::Unauthorized,
        ClusterState::Forbidden,
    ];
    let clusters: Vec<_> = state
        .fleet
        .clusters()
        .iter()
        .map(|c| (c.view(), c.status.summary()))
        .collect();
    let _ = writeln!(out, "# HELP wayfinder_cluster_state 1 for the state each cluster is in.\n# TYPE wayfinder_cluster_state gauge");
    for (v, _) in &clusters {
        for s in states {
            let _ = writeln!(
                out,
                "wayfinder_cluster_state{{cluster=\"{}\",state=\"{}\"}} {}",
                label(&v.name),
                s.id(),
                u8::from(v.state == s)
            );
        }
    }
    let _ = writeln!(out, "# HELP wayfinder_cluster_sync_age_seconds Seconds since every watch of the cluster last had a live view.\n# TYPE wayfinder_cluster_sync_age_seconds gauge");
    for (v, _) in &clusters {
        if let Some(age) = v.sync_age_seconds {
            let _ = writeln!(
                out,
                "wayfinder_cluster_sync_age_seconds{{cluster=\"{}\"}} {age}",
                label(&v.name)
            );
        }
    }
    let _ = writeln!(out, "# HELP wayfinder_watch_restarts_total Relists after a watch broke.\n# TYPE wayfinder_watch_restarts_total counter");
    for (v, _) in &clusters {
        let _ = writeln!(
            out,
            "wayfinder_watch_restarts_total{{cluster=\"{}\"}} {}",
            label(&v.name),
            v.watch_restarts
        );
    }
    let _ = writeln!(out, "# HELP wayfinder_watches Reflectors running (one per kind, or per kind and namespace).\n# TYPE wayfinder_watches gauge");
    for (v, s) in &clusters {
        let _ = writeln!(
            out,
            "wayfinder_watches{{cluster=\"{}\"}} {}",
            label(&v.name),
            s.watches
        );
    }
    let _ = writeln!(out, "# HELP wayfinder_objects_cached Objects in the watch caches.\n# TYPE wayfinder_objects_cached gauge");
    for (v, _) in &clusters {
        for (kind, n) in &v.objects {
            let _ = writeln!(
                out,
                "wayfinder_objects_cached{{cluster=\"{}\",kind=\"{kind}\"}} {n}",
                label(&v.name)
            );
        }
    }
    let _ = writeln!(out, "# HELP wayfinder_watch_event_age_seconds Seconds since the cluster's last watch event (event lag when changes are expected).\n# TYPE wayfinder_watch_event_age_seconds gauge");
    let now = jiff::Timestamp::now();
    for (v, s) in &clusters {
        if let Some(t) = s.last_event {
            let age = now.duration_since(t).as_secs_f64().max(0.0);
            let _ = writeln!(
                out,
                "wayfinder_watch_event_age_seconds{{cluster=\"{}\"}} {age:.3}",
                label(&v.name)
            );
        }
    }
    let _ = writeln!(out, "# HELP wayfinder_live_subscribers Open live-update streams.\n# TYPE wayfinder_live_subscribers gauge\nwayfinder_live_subscribers {}", state.fleet.subscribers());
    let _ = writeln!(out, "# HELP wayfinder_http_request_duration_seconds Request latency by route template.\n# TYPE wayfinder_http_request_duration_seconds histogram");
    let http = state
        .metrics
        .http
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for ((method, route, class), h) in &http {
        let l = format!(
            "method=\"{}\",route=\"{}\",status=\"{class}\"",
            label(method),
            label(route)
        );
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "wayfinder_http_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {}",
                h.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "wayfinder_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "wayfinder_http_request_duration_seconds_sum{{{l}}} {:.6}",
            h.sum
        );
        let _ = writeln!(
            out,
            "wayfinder_http_request_duration_seconds_count{{{l}}} {}",
            h.count
        );
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}
