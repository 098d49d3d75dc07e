//! The real `wayfinder` binary against the kubesim demo fleet over HTTPS: services in the right
//! clusters and regions, kubectl changes reaching the JSON API and an open SSE stream, clusters going
//! down and coming back, dropped watches and compaction, a namespace-limited identity, and never a
//! write or a Secret.

mod common;

use app::model::{ClusterState, ClusterStatus, ServiceDetail, ServiceList};
use common::{desired, eventually, in_cluster, sse_until, state_of, Portal};
use std::time::Duration;

/// How long a change may take to show before a test gives up (how fast it shows is measured by
/// `make bench`, not here).
const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fleet_live_through_the_real_binary() {
    let demo = common::DemoFleet::start().await;
    let portal = Portal::start(&["--kubeconfig", &demo.kubeconfig.to_string_lossy()]).await;
    eventually("/readyz", Duration::from_secs(30), || async {
        portal.text("/readyz").await.0 == 200
    })
    .await;

    // Every service in the right clusters and regions, with the simulator's replica counts.
    let api: ServiceDetail = portal.json("/api/v1/services/config-service").await;
    let regions: Vec<(String, String)> = api
        .clusters
        .iter()
        .map(|c| (c.cluster.clone(), c.region.clone()))
        .collect();
    assert_eq!(
        regions,
        vec![
            ("prod-ap-1".to_string(), "ap-southeast-1".to_string()),
            ("prod-ap-2".into(), "ap-southeast-1".into()),
            ("prod-eu-1".into(), "eu-west-1".into()),
            ("staging-eu-1".into(), "eu-west-1".into()),
            ("prod-us-1".into(), "us-east-1".into()),
            ("prod-us-2".into(), "us-east-1".into()),
        ],
        "regions from the nodes, sorted by region then cluster"
    );
    let deployments = kubesim::resources::by_store("deployments");
    for c in &api.clusters {
        let spec = demo
            .sim
            .cluster(&c.cluster)
            .and_then(|k| {
                k.api
                    .store
                    .get(deployments.store, "platform", "config-service")
            })
            .and_then(|d| d.pointer("/spec/replicas").and_then(|v| v.as_i64()))
            .unwrap_or_else(|| panic!("config-service in {}", c.cluster));
        assert_eq!(
            i64::from(desired(&api.clusters, &c.cluster, "config-service").unwrap_or(-1)),
            spec
        );
        assert_eq!(
            c.pods.len() as i64,
            spec,
            "{}: one pod per replica",
            c.cluster
        );
    }
    let staging_only: ServiceDetail = portal.json("/api/v1/services/mfa-service").await;
    let clusters: Vec<&str> = staging_only
        .clusters
        .iter()
        .map(|c| c.cluster.as_str())
        .collect();
    assert_eq!(
        clusters,
        vec!["staging-eu-1"],
        "a cluster the service does not run in is not shown"
    );
    let list: ServiceList = portal
        .json("/api/v1/services?region=us-east-1&origin=discovered")
        .await;
    let found: Vec<&str> = list.items.iter().map(|s| s.name.as_str()).collect();
    assert!(
        found.contains(&"debug-toolbox") && found.contains(&"grafana-agent"),
        "{found:?}"
    );
    assert!(list.items.iter().all(|s| s.discovered && s.owner.is_none()));

    // The restricted cluster: per-namespace watches, and the hidden namespace named.
    let clusters: Vec<ClusterStatus> = portal.json("/api/v1/clusters").await;
    let ap2 = clusters
        .iter()
        .find(|c| c.name == "prod-ap-2")
        .unwrap_or_else(|| panic!("ap-2"));
    assert_eq!(ap2.state, ClusterState::Forbidden);
    assert_eq!(ap2.hidden_namespaces, vec!["identity".to_string()]);
    assert!(
        ap2.objects["pods"] > 10,
        "the readable namespaces are watched: {:?}",
        ap2.objects
    );
    let auth: ServiceDetail = portal.json("/api/v1/services/auth-service").await;
    assert!(in_cluster(&auth.clusters, "prod-ap-2").is_none());
    assert!(in_cluster(&auth.clusters, "prod-ap-1").is_some());

    // The demo's scripted troubles, each under its service with the right rule and cluster.
    let troubles = [
        ("recommendations", "crash-loop", "prod-us-2"),
        ("cart", "image-pull", "prod-eu-1"),
        ("search-indexer", "oom-killed", "prod-us-1"),
        ("ranking-trainer", "unschedulable", "prod-us-1"),
        ("label-printer", "config-error", "staging-eu-1"),
        ("checkout-api", "hpa-at-max", "prod-eu-1"),
        ("checkout-api", "hpa-near-max", "prod-us-1"),
        ("reviews", "hpa-metrics-unavailable", "staging-eu-1"),
        ("shipping-rates", "readiness-failing", "prod-us-2"),
    ];
    for (service, rule, cluster) in troubles {
        eventually(
            &format!("{rule} on {service} in {cluster}"),
            Duration::from_secs(60),
            || async {
                let d: ServiceDetail = portal.json(&format!("/api/v1/services/{service}")).await;
                d.errors.iter().any(|f| {
                    f.rule == rule
                        && f.clusters.contains(&cluster.to_string())
                        && !f.cause.is_empty()
                        && !f.fix.is_empty()
                })
            },
        )
        .await;
    }
    let healthy: ServiceDetail = portal.json("/api/v1/services/config-service").await;
    assert!(
        healthy.errors.is_empty(),
        "a healthy service has no findings: {:?}",
        healthy.errors
    );
    let fleet: app::model::ErrorList = portal
        .json("/api/v1/errors?team=search&severity=error")
        .await;
    assert!(fleet.items.iter().all(|f| matches!(
        f.severity,
        app::model::Severity::Critical | app::model::Severity::Error
    )));
    assert!(fleet.items.iter().any(|f| f.service == "recommendations"));
    assert!(
        !fleet.items.iter().any(|f| f.service == "cart"),
        "another team's"
    );
    let list: ServiceList = portal.json("/api/v1/services?health=scaling").await;
    assert!(list.items.iter().any(|s| s.name == "checkout-api"));

    // kubectl scale / rollout / pod failure reach the JSON API and an open SSE stream.
    {
        {
            let mut stream = portal
                .sse::<ServiceDetail>("/api/v1/services/config-service/events", "service")
                .await;
            sse_until(&mut stream, Duration::from_secs(5), |_| true).await;
            demo.kubectl(&[
                "--context",
                "prod-eu-1",
                "-n",
                "platform",
                "scale",
                "deployment/config-service",
                "--replicas=5",
            ])
            .await;
            sse_until(&mut stream, WAIT, |v: &ServiceDetail| {
                desired(&v.clusters, "prod-eu-1", "config-service") == Some(5)
            })
            .await;
            // A live message carries the Clusters tab's map, made from the same state.
            let scaled = portal
                .sse::<ServiceDetail>("/api/v1/services/config-service/events", "service")
                .await
                .recv()
                .await
                .unwrap_or_else(|| panic!("no first message"));
            let map = scaled.clusters_html.clone().unwrap_or_default();
            assert!(map.contains(r#"data-testid="service-map""#), "{map}");
            let pods_in_eu = in_cluster(&scaled.clusters, "prod-eu-1").map_or(0, |c| c.pods.len());
            let tile = map
                .split(r#"data-testid="map-cluster""#)
                .find(|t| t.contains(r#"data-cluster="prod-eu-1""#))
                .unwrap_or_default();
            assert_eq!(tile.matches(r#"data-testid="map-pod""#).count(), pods_in_eu);
            // The page's first load has it too.
            let (status, page) = portal.text("/services/config-service/clusters").await;
            assert_eq!(status, 200);
            assert!(page.contains(r#"data-testid="service-map""#) && page.contains("map-totals"));
            assert!(page.contains(r#"data-testid="rollout-history""#));
            eventually("scale in the JSON API", WAIT, || async {
                let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
                desired(&d.clusters, "prod-eu-1", "config-service") == Some(5)
            })
            .await;

            let image = "registry.example.com/platform/config-service:9.9.9";
            demo.kubectl(&[
                "--context",
                "prod-eu-1",
                "-n",
                "platform",
                "set",
                "image",
                "deployment/config-service",
                &format!("config-service={image}"),
            ])
            .await;
            sse_until(&mut stream, WAIT, |v: &ServiceDetail| {
                in_cluster(&v.clusters, "prod-eu-1").is_some_and(|c| {
                    c.workloads
                        .iter()
                        .any(|w| w.images == vec![image.to_string()])
                })
            })
            .await;

            // Fixing a problem clears its finding: more room for checkout-api in prod-eu-1.
            let mut checkout = portal
                .sse::<ServiceDetail>("/api/v1/services/checkout-api/events", "service")
                .await;
            sse_until(&mut checkout, Duration::from_secs(5), |_| true).await;
            demo.kubectl(&[
                "--context",
                "prod-eu-1",
                "-n",
                "payments",
                "patch",
                "hpa",
                "checkout-api",
                "--type=merge",
                "-p",
                r#"{"spec":{"maxReplicas":40}}"#,
            ])
            .await;
            sse_until(&mut checkout, WAIT, |v: &ServiceDetail| {
                !v.errors.iter().any(|f| {
                    f.rule == "hpa-at-max" && f.clusters.contains(&"prod-eu-1".to_string())
                })
            })
            .await;

            let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
            let pod = in_cluster(&d.clusters, "prod-us-1")
                .and_then(|c| c.pods.first())
                .map(|p| p.name.clone())
                .unwrap_or_else(|| panic!("a pod in prod-us-1"));
            demo.kubectl(&[
                "--context",
                "prod-us-1",
                "-n",
                "platform",
                "annotate",
                "pod",
                &pod,
                "kubesim.io/fault=config-error",
            ])
            .await;
            sse_until(&mut stream, Duration::from_secs(5), |v: &ServiceDetail| {
                in_cluster(&v.clusters, "prod-us-1").is_some_and(|c| {
                    c.pods.iter().any(|p| {
                        p.name == pod && p.reason.as_deref() == Some("CreateContainerConfigError")
                    })
                }) && v.errors.iter().any(|f| {
                    f.rule == "config-error" && f.clusters.contains(&"prod-us-1".to_string())
                })
            })
            .await;
        }
    }

    // A cluster goes down: unreachable data turns stale with its age; the others keep serving.
    let us2 = demo
        .sim
        .cluster("prod-us-2")
        .unwrap_or_else(|| panic!("us-2"))
        .clone();
    let mut fleet_stream = portal
        .sse::<Vec<ClusterStatus>>("/api/v1/events", "clusters")
        .await;
    us2.down();
    sse_until(
        &mut fleet_stream,
        Duration::from_secs(10),
        |v: &Vec<ClusterStatus>| state_of(v, "prod-us-2") == Some(ClusterState::Stale),
    )
    .await;
    let clusters: Vec<ClusterStatus> = portal.json("/api/v1/clusters").await;
    assert_eq!(state_of(&clusters, "prod-eu-1"), Some(ClusterState::Synced));
    let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
    let stale = in_cluster(&d.clusters, "prod-us-2").unwrap_or_else(|| panic!("last known data"));
    assert_eq!(stale.status, ClusterState::Stale);
    assert!(stale
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("cannot reach")));
    us2.up().await.unwrap_or_else(|e| panic!("{e}"));
    sse_until(
        &mut fleet_stream,
        Duration::from_secs(20),
        |v: &Vec<ClusterStatus>| state_of(v, "prod-us-2") == Some(ClusterState::Synced),
    )
    .await;

    // Dropped watches and a compacted history: the watches recover on their own.
    let eu = demo
        .sim
        .cluster("prod-eu-1")
        .unwrap_or_else(|| panic!("eu"))
        .clone();
    eu.api.store.compact();
    eu.api.store.drop_watches();
    eu.api
        .store
        .modify(deployments, "platform", "config-service", |d| {
            d["spec"]["replicas"] = serde_json::json!(2);
        });
    eventually(
        "the change after dropped watches",
        Duration::from_secs(20),
        || async {
            let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
            desired(&d.clusters, "prod-eu-1", "config-service") == Some(2)
        },
    )
    .await;

    eventually(
        "prod-eu-1 synced after the relist",
        Duration::from_secs(20),
        || async {
            let clusters: Vec<ClusterStatus> = portal.json("/api/v1/clusters").await;
            state_of(&clusters, "prod-eu-1") == Some(ClusterState::Synced)
        },
    )
    .await;

    // Metrics name clusters and route templates, never raw paths.
    let (_, metrics) = portal.text("/metrics").await;
    assert!(
        metrics.contains("wayfinder_cluster_state{cluster=\"prod-eu-1\",state=\"synced\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("wayfinder_objects_cached{cluster=\"prod-eu-1\",kind=\"pods\"}"));
    assert!(metrics.contains("route=\"/api/v1/services/{name}\""));
    assert!(
        !metrics.contains("config-service"),
        "no service names in labels"
    );

    // Read-only, and never a Secret, in every cluster.
    common::assert_read_only(&demo.sim);
}
