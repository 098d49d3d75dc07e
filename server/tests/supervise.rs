//! Supervised watches against kubesim over HTTPS: a watch task that dies turns its cluster stale
//! at once, with the reason, in the JSON API, on `/clusters` and in `/metrics` (parsed with a real
//! Prometheus text parser); the supervisor starts it again and the cluster is synced again.

mod common;

use app::model::{ClusterState, ClusterStatus};
use axum::body::Body;
use axum::http::Request;
use server::clusters::config::{Access, Cluster};
use server::clusters::Fleet;
use std::sync::Arc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

async fn get(router: &axum::Router, path: &str) -> String {
    let request = Request::get(path)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _, body) = common::send(router, request).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn api_status(router: &axum::Router) -> ClusterStatus {
    let body = get(router, "/api/v1/clusters").await;
    let all: Vec<ClusterStatus> =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    all.into_iter()
        .next()
        .unwrap_or_else(|| panic!("no cluster: {body}"))
}

/// `wayfinder_cluster_state{cluster="prod-eu-1",state=…}` samples that are 1, read with a
/// Prometheus text parser.
async fn metric_states(router: &axum::Router) -> Vec<String> {
    let body = get(router, "/metrics").await;
    let lines = body.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).unwrap_or_else(|e| panic!("{e}: {body}"));
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == "wayfinder_cluster_state")
        .filter(|s| s.labels.get("cluster") == Some("prod-eu-1"))
        .filter(|s| matches!(s.value, prometheus_parse::Value::Gauge(v) if v == 1.0))
        .filter_map(|s| s.labels.get("state").map(String::from))
        .collect()
}

/// The badge `/clusters` shows for the cluster.
async fn page_state(router: &axum::Router) -> String {
    let html = get(router, "/clusters").await;
    html.split("data-cluster=\"prod-eu-1\"")
        .nth(1)
        .and_then(|row| row.split("data-state=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_watch_task_that_dies_turns_its_cluster_stale_until_it_is_started_again() {
    let sim = kubesim::demo::start(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cluster = Cluster {
        name: "prod-eu-1".into(),
        title: "prod-eu-1".into(),
        region: None,
        environment: "production".into(),
        dashboard_url: None,
        namespaces: vec![],
        logs: true,
        access: Access::Inline {
            kubeconfig: sim.kubeconfig(),
            context: "prod-eu-1".into(),
        },
        metrics_every: server::clusters::usage::POLL_EVERY,
        custom_resources: Vec::new(),
    };
    let store = Arc::new(server::catalog::CatalogStore::load(vec![
        common::CATALOG.into()
    ]));
    let fleet =
        Arc::new(Fleet::start(vec![cluster], &store.snapshot().kubernetes_selectors()).await);
    let router = common::router_over(store, fleet.clone(), Default::default(), Default::default());
    common::eventually("prod-eu-1 synced", LIMIT, || async {
        api_status(&router).await.state == ClusterState::Synced
    })
    .await;
    assert_eq!(metric_states(&router).await, vec!["synced"]);

    let watch = fleet.clusters()[0].clone();
    watch.hold_restarts(true);
    watch.kill_watch_task("pods");
    common::eventually(
        "prod-eu-1 stale after its pods watch died",
        LIMIT,
        || async { api_status(&router).await.state == ClusterState::Stale },
    )
    .await;
    let s = api_status(&router).await;
    let reason = s.last_error.unwrap_or_default();
    assert!(
        reason.contains("pods watch"),
        "the reason is shown: {reason}"
    );
    assert!(
        s.last_sync.is_some(),
        "the age of the data it still has is shown"
    );
    assert_eq!(page_state(&router).await, "stale", "on /clusters");
    assert_eq!(metric_states(&router).await, vec!["stale"], "in /metrics");

    watch.hold_restarts(false);
    common::eventually("prod-eu-1 synced again", LIMIT, || async {
        api_status(&router).await.state == ClusterState::Synced
    })
    .await;
    assert_eq!(page_state(&router).await, "synced");
    assert_eq!(metric_states(&router).await, vec!["synced"]);
    assert!(
        fleet.clusters()[0].stores.pods.len() > 5,
        "the restarted watch filled the cache again"
    );
}
