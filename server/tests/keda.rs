//! KEDA through the real `wayfinder` binary over the demo fleet (kubesim, HTTPS): refunds-worker
//! scales on a ScaledObject (a RabbitMQ queue and a Prometheus query); the autoscaling tab shows
//! it as one gauge per cluster with its triggers, conditions and scalers' health — its generated
//! HPA never twice —; in prod-us-1 the Prometheus scaler fails and the fallback is on, which the
//! rules find; a cluster without KEDA's CRD says "not installed"; a status KEDA writes (here with
//! kubectl) clears the findings.

mod common;

use app::model::{AutoscalerView, ClusterDetail, ServiceDetail};
use common::{rule_clusters, until, DemoFleet, Portal};

fn gauge<'a>(d: &'a ServiceDetail, cluster: &str) -> Option<&'a AutoscalerView> {
    d.autoscalers.iter().find(|a| a.cluster == cluster)
}

#[tokio::test]
async fn a_keda_scaled_worker_is_one_gauge_with_its_triggers_and_its_failing_scaler_is_found() {
    let (service, failing_in) = kubesim::demo::KEDA;
    let demo = DemoFleet::start().await;
    let path = demo.kubeconfig.display().to_string();
    let portal = Portal::start(&["--kubeconfig", &path]).await;
    let url = format!("/api/v1/services/{service}");

    let (d, jobs) = until("the KEDA gauges with their HPA's figures", || async {
        let mut d: ServiceDetail = portal.json(&url).await;
        let (objects, jobs): (Vec<AutoscalerView>, Vec<AutoscalerView>) = d
            .autoscalers
            .iter()
            .cloned()
            .partition(|a| a.name == service);
        let all_read = objects.len() == 4
            && jobs.len() == 4
            && objects
                .iter()
                .all(|a| a.metrics.iter().all(|m| m.current.is_some()) && a.current > 0);
        d.autoscalers = objects;
        (all_read && rule_clusters(&d, "keda-scaler-failing") == [failing_in]).then_some((d, jobs))
    })
    .await;
    // One gauge per cluster and ScaledObject; the generated HPA is part of it (never its own).
    assert!(
        !d.autoscalers.iter().any(|a| a.name.starts_with("keda-hpa")),
        "{:?}",
        d.autoscalers
    );
    // One gauge per cluster and ScaledJob: its Jobs between 0 and 20 (none running), its trigger.
    let job = jobs
        .iter()
        .find(|a| a.cluster == failing_in)
        .unwrap_or_else(|| panic!("no ScaledJob gauge"));
    assert_eq!(job.name, format!("{service}-reconciler"));
    assert_eq!(
        (job.target.as_str(), job.min, job.max, job.current),
        ("Job template", 0, 20, 0)
    );
    assert_eq!(job.status, app::model::ScaleStatus::AtMin);
    assert_eq!(job.metrics[0].name, "rabbitmq refund-reconciliations");
    assert_eq!(job.metrics[0].target, 5.0);
    assert!(job
        .behavior
        .as_deref()
        .is_some_and(|b| b.starts_with("KEDA ScaledJob: one Job per 5 events, at most 20 at once; polls every 30 s; accurate scaling strategy")));
    let paused = jobs
        .iter()
        .find(|a| a.cluster == kubesim::demo::KEDA_JOB_PAUSED)
        .and_then(|a| a.behavior.clone())
        .unwrap_or_default();
    assert!(paused.contains("paused where it is"), "{paused}");
    assert_eq!(
        rule_clusters(&d, "keda-paused"),
        [kubesim::demo::KEDA_JOB_PAUSED]
    );
    let g = gauge(&d, failing_in).unwrap_or_else(|| panic!("no gauge in {failing_in}"));
    assert_eq!(g.target, format!("Deployment/{service}"));
    assert_eq!((g.min, g.max), (1, 10));
    let metrics: Vec<(&str, &str)> = g
        .metrics
        .iter()
        .map(|m| (m.kind.as_str(), m.name.as_str()))
        .collect();
    assert_eq!(
        metrics,
        [
            ("External", "rabbitmq refunds"),
            (
                "External",
                "prometheus sum(rate(refunds_requested_total[2m]))"
            )
        ]
    );
    let kinds: Vec<String> = g
        .conditions
        .iter()
        .map(|c| format!("{}={}", c.kind, c.status))
        .collect();
    for want in [
        "Ready=True",
        "Active=True",
        "Fallback=True",
        "Paused=False",
        "Scaler rabbitmq refunds=True",
        "Scaler prometheus sum(rate(refunds_requested_total[2m]))=False",
    ] {
        assert!(kinds.contains(&want.to_string()), "{want} not in {kinds:?}");
    }
    assert!(
        g.behavior
            .as_deref()
            .is_some_and(|b| b.starts_with("KEDA; fallback to 6 replicas after 3 failures")),
        "{:?}",
        g.behavior
    );
    assert_eq!(rule_clusters(&d, "keda-fallback-active"), [failing_in]);
    let f = d
        .errors
        .iter()
        .find(|f| f.rule == "keda-scaler-failing")
        .unwrap_or_else(|| panic!("found above"));
    assert_eq!(
        (f.kind.as_str(), f.name.as_str()),
        ("ScaledObject", service)
    );
    assert!(
        f.message
            .contains("(12 failures in a row) failing, fallback active"),
        "{}",
        f.message
    );
    // The spread counts it.
    assert!(d
        .spread
        .clusters
        .iter()
        .any(|s| s.cluster == failing_in && s.max == 10));

    // kubectl reads the same ScaledObject by its short name; a cluster without the CRD is quiet.
    let out = demo
        .kubectl(&["--context", failing_in, "-n", "payments", "get", "so"])
        .await;
    assert!(String::from_utf8_lossy(&out).contains(service));
    let c: ClusterDetail = portal.json("/api/v1/clusters/prod-us-2").await;
    let kind = common::watched(&c, "scaledobjects");
    assert_eq!(
        kind.trouble.as_deref(),
        Some("not installed in this cluster")
    );

    // KEDA reads the metric again (here: kubectl writes the status it would): the findings clear.
    demo.kubectl(&[
        "--context", failing_in, "-n", "payments", "patch", "scaledobject", service,
        "--subresource=status", "--type=merge", "-p",
        r#"{"status":{"health":{"s1-prometheus":{"numberOfFailures":0,"status":"Happy"}},"conditions":[{"type":"Ready","status":"True"},{"type":"Active","status":"True"},{"type":"Fallback","status":"False"}]}}"#,
    ])
    .await;
    until("the KEDA findings cleared", || async {
        let d: ServiceDetail = portal.json(&url).await;
        (rule_clusters(&d, "keda-scaler-failing").is_empty()
            && rule_clusters(&d, "keda-fallback-active").is_empty())
        .then_some(())
    })
    .await;
}
