//! Argo Rollouts through the real `wayfinder` binary over the demo fleet (kubesim, HTTPS):
//! payments-gateway runs on a Rollout — paused at canary step 2 of 5 in prod-eu-1, Degraded in
//! prod-us-1 — and shows on the cluster map with its pods, its rollout history, its autoscaler
//! and its findings; a cluster without the Rollouts CRD says "not installed", nothing worse; a
//! status the controller writes (here with kubectl) clears the finding.

mod common;

use app::model::{ClusterDetail, ServiceDetail, WorkloadView};
use common::{rule_clusters, until, DemoFleet, Portal};

fn rollout<'a>(d: &'a ServiceDetail, cluster: &str) -> Option<&'a WorkloadView> {
    d.clusters
        .iter()
        .find(|c| c.cluster == cluster)?
        .workloads
        .iter()
        .find(|w| w.kind == "Rollout")
}

#[tokio::test]
async fn a_service_on_an_argo_rollout_shows_its_phase_steps_pods_history_and_findings() {
    let (service, paused_in, degraded_in) = kubesim::demo::ROLLOUT;
    let demo = DemoFleet::start().await;
    let path = demo.kubeconfig.display().to_string();
    let portal = Portal::start(&["--kubeconfig", &path]).await;
    let url = format!("/api/v1/services/{service}");

    let d: ServiceDetail = until("both rollout findings", || async {
        let d: ServiceDetail = portal.json(&url).await;
        (rule_clusters(&d, "rollout-paused") == [paused_in]
            && rule_clusters(&d, "rollout-degraded") == [degraded_in])
        .then_some(d)
    })
    .await;
    let paused = d
        .errors
        .iter()
        .find(|f| f.rule == "rollout-paused")
        .unwrap_or_else(|| panic!("found above"));
    assert_eq!(
        (paused.kind.as_str(), paused.name.as_str()),
        ("Rollout", service)
    );
    assert!(
        paused.message.contains(
            "has been paused for 3 hours (canary step 2 of 5, weight 20%, CanaryPauseStep)"
        ),
        "{}",
        paused.message
    );
    let degraded = d
        .errors
        .iter()
        .find(|f| f.rule == "rollout-degraded")
        .unwrap_or_else(|| panic!("found above"));
    assert!(
        degraded
            .message
            .contains("is Degraded: ProgressDeadlineExceeded"),
        "{}",
        degraded.message
    );

    // On the map: the Rollout as a workload, with its phase and step, and its pods (3 stable and
    // the canary) under it.
    let d: ServiceDetail = until("the paused rollout's four pods ready", || async {
        let d: ServiceDetail = portal.json(&url).await;
        let c = d.clusters.iter().find(|c| c.cluster == paused_in)?;
        let owned = c
            .pods
            .iter()
            .filter(|p| {
                p.ready == "1/1"
                    && p.owner
                        .as_deref()
                        .is_some_and(|o| o.starts_with(&format!("Deployment/{service}")))
            })
            .count();
        (owned == 4).then_some(d.clone())
    })
    .await;
    let w = rollout(&d, paused_in).unwrap_or_else(|| panic!("no Rollout on the map"));
    assert_eq!(w.name, service);
    assert_eq!(
        w.message.as_deref(),
        Some("Paused · canary step 2 of 5, weight 20% · CanaryPauseStep")
    );
    assert_eq!((w.replicas.desired, w.replicas.updated), (3, 1));
    assert_eq!(
        w.hpa.as_deref(),
        Some(service),
        "the HPA scales the Rollout"
    );
    assert!(w.images[0].ends_with(":2.0.0"), "{:?}", w.images);
    let bad = rollout(&d, degraded_in).unwrap_or_else(|| panic!("no Rollout in {degraded_in}"));
    assert_eq!(bad.health, app::model::Health::Failing);
    let fine = rollout(&d, "prod-ap-1").unwrap_or_else(|| panic!("no Rollout in prod-ap-1"));
    assert_eq!(
        fine.message.as_deref(),
        Some("Healthy · canary step 5 of 5, weight 100%")
    );

    // Its history from the ReplicaSets' rollout.argoproj.io/revision; its autoscaler.
    let history = d
        .rollouts
        .iter()
        .find(|r| r.cluster == paused_in && r.deployment == service)
        .unwrap_or_else(|| panic!("no history: {:?}", d.rollouts));
    let revisions: Vec<i64> = history.revisions.iter().map(|r| r.revision).collect();
    assert_eq!(revisions, [2, 1]);
    assert!(d
        .autoscalers
        .iter()
        .any(|a| a.cluster == paused_in && a.target == format!("Rollout/{service}")));

    // The same Rollout through kubectl.
    let out = demo
        .kubectl(&["--context", paused_in, "-n", "payments", "get", "ro"])
        .await;
    assert!(String::from_utf8_lossy(&out).contains(service));

    // A cluster without the CRD: "not installed", the cluster synced, nothing logged about it.
    let c: ClusterDetail = until("prod-us-2 synced", || async {
        let c: ClusterDetail = portal.json("/api/v1/clusters/prod-us-2").await;
        (c.status.state == app::model::ClusterState::Synced).then_some(c)
    })
    .await;
    let kind = common::watched(&c, "rollouts");
    assert_eq!(
        kind.trouble.as_deref(),
        Some("not installed in this cluster")
    );
    assert!(
        !portal
            .log_lines()
            .iter()
            .any(|l| l.contains("rollouts") && (l.contains("WARN") || l.contains("ERROR"))),
        "{:?}",
        portal.log_lines()
    );

    // The controller promotes it (here: kubectl writes the status it would): the finding clears.
    demo.kubectl(&[
        "--context", paused_in, "-n", "payments", "patch", "rollout", service,
        "--subresource=status", "--type=merge", "-p",
        r#"{"status":{"phase":"Progressing","message":"more replicas need to be updated","controllerPause":false,"pauseConditions":null,"currentStepIndex":2}}"#,
    ])
    .await;
    until("the paused finding cleared", || async {
        let d: ServiceDetail = portal.json(&url).await;
        rule_clusters(&d, "rollout-paused").is_empty().then_some(())
    })
    .await;
}
