//! Resource usage through the real `wayfinder` binary over the demo fleet (kubesim, HTTPS): the
//! figures are what the real `kubectl top pod` prints, the usage rules fire on the demo's busy
//! pods, and a cluster without metrics-server says "no metrics" — a state, not an error.

mod common;

use app::model::{ClusterStatus, ServiceDetail};
use common::{until, DemoFleet, Portal};
use std::collections::BTreeMap;

/// `pod → (millicores, MiB)` of `service`'s pods in `cluster`, as the portal shows them.
async fn portal_usage(
    portal: &Portal,
    service: &str,
    cluster: &str,
) -> BTreeMap<String, (Option<u64>, Option<u64>)> {
    let d: ServiceDetail = portal.json(&format!("/api/v1/services/{service}")).await;
    d.clusters
        .iter()
        .filter(|c| c.cluster == cluster)
        .flat_map(|c| c.pods.iter())
        .map(|p| {
            (
                p.name.clone(),
                (p.cpu.usage, p.memory.usage.map(|b| b / (1024 * 1024))),
            )
        })
        .collect()
}

#[tokio::test]
async fn usage_is_what_kubectl_top_prints_and_no_metrics_is_a_state() {
    let demo = DemoFleet::start().await;
    let path = demo.kubeconfig.display().to_string();
    let portal = Portal::start(&["--kubeconfig", &path, "--metrics-poll-seconds", "1"]).await;

    // `accounts` has no autoscaler: its pods' usage holds still between the two reads.
    let ours = until("usage of accounts' pods in prod-us-1", || async {
        let u = portal_usage(&portal, "accounts", "prod-us-1").await;
        (!u.is_empty() && u.values().all(|(c, m)| c.is_some() && m.is_some())).then_some(u)
    })
    .await;
    let top = demo
        .kubectl(&[
            "--context",
            "prod-us-1",
            "-n",
            "identity",
            "top",
            "pod",
            "-l",
            "app.kubernetes.io/name=accounts",
            "--no-headers",
        ])
        .await;
    let top = String::from_utf8_lossy(&top);
    let theirs: BTreeMap<String, (Option<u64>, Option<u64>)> = top
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((
                f.first()?.to_string(),
                (
                    f.get(1)?.strip_suffix('m')?.parse().ok(),
                    f.get(2)?.strip_suffix("Mi")?.parse().ok(),
                ),
            ))
        })
        .collect();
    assert_eq!(
        ours, theirs,
        "the portal's figures against kubectl top:\n{top}"
    );

    // The demo's image-resizer in prod-ap-1 runs at its CPU limit: throttled.
    let d: ServiceDetail = until("cpu-at-limit on image-resizer", || async {
        let d: ServiceDetail = portal.json("/api/v1/services/image-resizer").await;
        d.errors
            .iter()
            .any(|f| f.rule == "cpu-at-limit" && f.clusters == ["prod-ap-1"])
            .then_some(d)
    })
    .await;
    let finding = d.errors.iter().find(|f| f.rule == "cpu-at-limit");
    assert!(
        finding.is_some_and(|f| f.message.contains("of its 500m CPU limit")),
        "{finding:?}"
    );
    let busy = d
        .clusters
        .iter()
        .find(|c| c.cluster == "prod-ap-1")
        .and_then(|c| c.pods.iter().find(|p| p.cpu.usage.is_some()))
        .map(|p| p.cpu);
    assert!(
        busy.is_some_and(|c| c.limit == Some(500) && c.usage.unwrap_or(0) >= 475),
        "{busy:?}"
    );

    // metrics-server goes away from prod-us-1: that cluster says so, its pods' usage is unknown,
    // and nothing else changes.
    let cluster = demo
        .sim
        .clusters
        .iter()
        .find(|c| c.api.name == "prod-us-1")
        .unwrap_or_else(|| panic!("prod-us-1"));
    cluster.api.set_faults(kubesim::api::Faults {
        no_metrics: true,
        ..Default::default()
    });
    let states: Vec<ClusterStatus> = until("prod-us-1 says no metrics", || async {
        let s: Vec<ClusterStatus> = portal.json("/api/v1/clusters").await;
        s.iter()
            .any(|c| c.name == "prod-us-1" && c.metrics.starts_with("no metrics"))
            .then_some(s)
    })
    .await;
    for c in &states {
        assert!(c.last_error.is_none() || c.name != "prod-us-1", "{c:?}");
        if c.name == "prod-eu-1" {
            assert_eq!(c.metrics, "live");
        }
    }
    let gone = until("prod-us-1's usage unknown", || async {
        let u = portal_usage(&portal, "accounts", "prod-us-1").await;
        u.values()
            .all(|(c, m)| c.is_none() && m.is_none())
            .then_some(u)
    })
    .await;
    assert!(!gone.is_empty());
    assert!(portal_usage(&portal, "accounts", "prod-eu-1")
        .await
        .values()
        .all(|(c, _)| c.is_some()));

    // It comes back: figures return.
    cluster.api.set_faults(kubesim::api::Faults::default());
    until("prod-us-1 live again", || async {
        let u = portal_usage(&portal, "accounts", "prod-us-1").await;
        u.values().all(|(c, _)| c.is_some()).then_some(())
    })
    .await;
}
