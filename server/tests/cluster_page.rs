//! Each cluster's own page through the real `wayfinder` binary: the demo (run as the read-only
//! `wayfinder-reader`, as deploy/rbac.yaml grants it) shows its nodes, the kinds watched, the
//! namespaces, and a permission check that finds the one cluster where the identity may also read
//! Secrets, and what the identity lacks where a namespace is hidden from it; run as kubesim's
//! administrator, the check lists the write verbs it should not hold.

mod common;

use app::model::ClusterDetail;
use common::{watched as kind, DemoFleet, Portal};

async fn checked(portal: &Portal, cluster: &str) -> ClusterDetail {
    // A check that failed (a slow, busy host) is tried again within 30 s: wait for one that
    // answered, for up to 150 s.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(150);
    loop {
        let d: ClusterDetail = portal.json(&format!("/api/v1/clusters/{cluster}")).await;
        let answered = d.permissions.as_ref().is_some_and(|p| p.error.is_none());
        if answered && d.kinds.iter().all(|k| k.synced || k.trouble.is_some()) {
            return d;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{cluster}'s permission check never answered: {:?}",
            d.permissions
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_cluster_page_shows_nodes_kinds_namespaces_and_what_the_identity_may_do() {
    let portal = Portal::start(&[]).await;

    // A cluster whose role is what deploy/rbac.yaml grants: nothing missing, nothing too much.
    let eu = checked(&portal, "prod-eu-1").await;
    let p = eu.permissions.clone().unwrap_or_default();
    assert_eq!(p.error, None);
    assert!(p.missing.is_empty(), "{:?}", p.missing);
    assert!(p.excess.is_empty(), "{:?}", p.excess);
    assert_eq!(eu.status.name, "prod-eu-1");
    assert_eq!(eu.nodes.len(), 3);
    let node = &eu.nodes[0];
    assert!(node.ready && node.schedulable, "{node:?}");
    assert_eq!(node.region.as_deref(), Some("eu-west-1"));
    assert!(node
        .zone
        .as_deref()
        .is_some_and(|z| z.starts_with("eu-west-1")));
    assert_eq!(node.kubelet.as_deref(), Some("v1.33.5"));
    assert_eq!(node.cpu.limit, Some(7910), "allocatable millicores");
    assert!(eu.nodes.iter().map(|n| n.pods).sum::<u32>() > 0);
    assert!(
        eu.nodes.iter().any(|n| n.cpu.request.is_some()),
        "pods' requests summed"
    );
    let kinds: Vec<&str> = eu.kinds.iter().map(|k| k.kind.as_str()).collect();
    for k in [
        "pods",
        "deployments",
        "poddisruptionbudgets",
        "nodes",
        "namespaces",
    ] {
        assert!(kinds.contains(&k), "{k} not in {kinds:?}");
    }
    let pods = kind(&eu, "pods");
    assert!(
        pods.objects > 0 && pods.synced && pods.watches == 1,
        "{pods:?}"
    );
    assert!(eu.namespaces.contains(&"payments".to_string()));

    // The cluster where the identity may also read Secrets: the warning, on the page too.
    let us = checked(&portal, kubesim::demo::OVERPRIVILEGED).await;
    let p = us.permissions.clone().unwrap_or_default();
    assert_eq!(p.excess, ["get secrets", "list secrets", "watch secrets"]);
    let (status, html) = portal
        .text(&format!("/clusters/{}", kubesim::demo::OVERPRIVILEGED))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains(
            "Wayfinder needs less than it has: remove get secrets, list secrets, watch secrets."
        ),
        "{html}"
    );
    assert!(html.contains(r#"data-testid="node""#));

    // Where a namespace is hidden from it, what it lacks cluster-wide is named by feature, and
    // the namespace is listed as hidden, not visible.
    let (cluster, hidden) = kubesim::demo::RESTRICTED;
    let ap = checked(&portal, cluster).await;
    let p = ap.permissions.clone().unwrap_or_default();
    let gaps: Vec<String> = p
        .missing
        .iter()
        .map(|g| format!("{}: {}", g.feature, g.rights.join(", ")))
        .collect();
    assert!(
        gaps.contains(&"pods on the cluster map: list pods, watch pods".to_string()),
        "{gaps:?}"
    );
    assert!(
        gaps.contains(&"pod logs: get pods/log".to_string()),
        "{gaps:?}"
    );
    assert!(p.excess.is_empty(), "{:?}", p.excess);
    assert_eq!(ap.status.hidden_namespaces, [hidden]);
    assert!(!ap.namespaces.contains(&hidden.to_string()));
    let pods = kind(&ap, "pods");
    assert!(
        pods.watches > 1 && pods.synced,
        "watched namespace by namespace: {pods:?}"
    );

    // Unknown clusters are a 404, in the API and as a page.
    let (status, body) = portal.text("/api/v1/clusters/no-such-cluster").await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no cluster named"), "{body}");
    let (status, html) = portal.text("/clusters/no-such-cluster").await;
    assert_eq!(status, 404);
    assert!(html.contains("No cluster of that name is configured."));
}

#[tokio::test]
async fn an_identity_that_may_write_is_told_what_to_remove() {
    let demo = DemoFleet::start().await;
    let path = demo.kubeconfig.display().to_string();
    let portal = Portal::start(&["--kubeconfig", &path]).await;
    let d = checked(&portal, "prod-eu-1").await;
    let excess = d.permissions.unwrap_or_default().excess;
    for right in [
        "list secrets",
        "delete pods",
        "patch deployments.apps",
        "create pods/exec",
    ] {
        assert!(
            excess.contains(&right.to_string()),
            "{right} not in {excess:?}"
        );
    }
}
