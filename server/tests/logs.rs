//! Quiet, useful logs from the real `wayfinder` binary on the demo fleet: a condition that persists
//! (here the namespace `identity` that prod-ap-2's identity may not read) is logged when it starts,
//! not at every retry of the refused watches.

mod common;

use app::model::{ClusterState, ClusterStatus};
use common::Portal;
use std::time::Duration;

#[tokio::test]
async fn a_forbidden_namespace_is_logged_once_not_every_retry() {
    let (cluster, namespace) = kubesim::demo::RESTRICTED;
    let portal = Portal::start(&[]).await;
    common::eventually("prod-ap-2 watched", Duration::from_secs(60), || async {
        let all: Vec<ClusterStatus> = portal.json("/api/v1/clusters").await;
        all.iter().any(|c| {
            c.name == cluster
                && c.state == ClusterState::Forbidden
                && c.hidden_namespaces == vec![namespace.to_string()]
        })
    })
    .await;
    let about = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.contains(cluster) || l.contains(&format!("\"{namespace}\"")))
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .cloned()
            .collect()
    };
    let at_start = about(&portal.log_lines());
    assert!(
        at_start
            .iter()
            .any(|l| l.contains("cluster is forbidden") && l.contains(namespace)),
        "the condition is logged when it starts, naming the namespace: {at_start:#?}"
    );
    // The refused watches are retried every 15 s, for each of a dozen kinds.
    tokio::time::sleep(Duration::from_secs(60)).await;
    let after = about(&portal.log_lines());
    let new: Vec<&String> = after.iter().skip(at_start.len()).collect();
    assert!(
        new.is_empty(),
        "nothing more is logged while the condition lasts, but in a minute: {new:#?}"
    );
    assert!(
        at_start.len() <= 2,
        "one line per change, not one per kind: {at_start:#?}"
    );
}
