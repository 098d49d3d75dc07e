//! The real watch layer against kubesim over HTTPS: statuses follow the clusters' health, caches
//! follow their objects, and nothing secret is asked for or kept.

mod common;

use app::model::ClusterState;
use server::clusters::config::{Access, Cluster};
use server::clusters::Fleet;
use std::sync::Arc;
use std::time::Duration;

async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..600 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn cluster(fleet: &kubesim::fleet::Fleet, name: &str, kubeconfig: String) -> Cluster {
    Cluster {
        name: name.into(),
        title: name.into(),
        region: None,
        environment: "production".into(),
        dashboard_url: None,
        namespaces: vec![],
        logs: true,
        access: Access::Inline {
            kubeconfig,
            context: fleet.clusters[0].name().to_string(),
        },
        metrics_every: server::clusters::usage::POLL_EVERY,
        custom_resources: Vec::new(),
    }
}

#[tokio::test]
async fn statuses_follow_the_clusters_and_one_never_hides_another() {
    let sim = kubesim::demo::start(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let kubeconfig = sim.kubeconfig();
    let names = ["prod-eu-1", "prod-us-2"];
    let clusters: Vec<Cluster> = names
        .iter()
        .map(|n| Cluster {
            access: Access::Inline {
                kubeconfig: kubeconfig.clone(),
                context: n.to_string(),
            },
            ..cluster(&sim, n, kubeconfig.clone())
        })
        .collect();
    let mut bad_token = cluster(
        &sim,
        "revoked",
        kubeconfig.replace("token: kubesim-admin-token", "token: revoked"),
    );
    bad_token.access = Access::Inline {
        kubeconfig: kubeconfig.replace("token: kubesim-admin-token", "token: revoked"),
        context: "prod-eu-1".into(),
    };
    let mut all = clusters.clone();
    all.push(bad_token);
    let fleet = Arc::new(Fleet::start(all, &[]).await);
    let state = |name: &str| {
        fleet
            .statuses()
            .into_iter()
            .find(|c| c.name == name)
            .map(|c| c.state)
    };
    eventually("both demo clusters synced", || {
        names.iter().all(|n| state(n) == Some(ClusterState::Synced))
    })
    .await;
    eventually("the revoked token unauthorized", || {
        state("revoked") == Some(ClusterState::Unauthorized)
    })
    .await;
    assert!(fleet.ready());
    let eu = fleet
        .statuses()
        .into_iter()
        .find(|c| c.name == "prod-eu-1")
        .unwrap_or_else(|| panic!("eu"));
    assert_eq!(eu.region, "eu-west-1", "derived from the nodes");
    assert!(
        eu.objects["pods"] > 20 && eu.objects["deployments"] > 10,
        "{:?}",
        eu.objects
    );

    // One cluster goes down: it turns stale with its data's age; the other keeps syncing.
    let down = sim
        .cluster("prod-us-2")
        .unwrap_or_else(|| panic!("us-2"))
        .clone();
    down.down();
    eventually("prod-us-2 stale", || {
        state("prod-us-2") == Some(ClusterState::Stale)
    })
    .await;
    assert_eq!(state("prod-eu-1"), Some(ClusterState::Synced));
    let stale = fleet
        .statuses()
        .into_iter()
        .find(|c| c.name == "prod-us-2")
        .unwrap_or_else(|| panic!("us-2"));
    assert!(
        stale.last_error.is_some_and(|e| e.contains("cannot reach")),
        "the reason is said"
    );
    assert!(stale.objects["pods"] > 0, "the last data is still shown");
    down.up().await.unwrap_or_else(|e| panic!("{e}"));
    eventually("prod-us-2 synced again, no restart", || {
        state("prod-us-2") == Some(ClusterState::Synced)
    })
    .await;

    // Read-only and never a Secret: every request the portal made, in every cluster.
    common::assert_read_only(&sim);
    // Container env values never reach the cache.
    let all = fleet.clusters();
    let watch = all
        .iter()
        .find(|c| c.cluster.name == "prod-eu-1")
        .unwrap_or_else(|| panic!("eu"));
    // (Pods are kept as `slim::Pod`, which has no env at all; the demo sets env values.)
    let pods = watch.stores.pods.state();
    assert!(!pods.is_empty());
    for p in pods {
        let text = serde_json::to_string(&*p).unwrap_or_default();
        assert!(!text.contains("\"env\""), "{text}");
    }
    for d in watch.stores.deployments.state() {
        let template = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
        for c in template.map(|t| t.containers.clone()).unwrap_or_default() {
            // Names only (the drift table compares them), never a value or its source.
            for e in c.env.iter().flatten() {
                assert!(
                    e.value.is_none() && e.value_from.is_none(),
                    "env values are trimmed: {e:?}"
                );
            }
            assert!(c.env.is_some_and(|e| !e.is_empty()), "the names are kept");
        }
    }
    for d in watch.stores.deployments.state() {
        assert!(d.metadata.managed_fields.is_none());
    }
}

#[tokio::test]
async fn a_cluster_that_is_never_reachable_says_so() {
    let unreachable = Cluster {
        name: "nowhere".into(),
        title: "nowhere".into(),
        region: Some("mars-1".into()),
        environment: "production".into(),
        dashboard_url: None,
        namespaces: vec![],
        logs: true,
        access: Access::Url {
            url: "https://127.0.0.1:1".into(),
            token_file: None,
            ca_file: None,
            insecure: true,
        },
        metrics_every: server::clusters::usage::POLL_EVERY,
        custom_resources: Vec::new(),
    };
    let fleet = Fleet::start(vec![unreachable], &[]).await;
    for _ in 0..200 {
        if fleet.statuses()[0].state == ClusterState::Unreachable {
            assert!(fleet.ready(), "a failed first attempt counts for /readyz");
            assert!(fleet.statuses()[0].last_sync.is_none());
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never unreachable: {:?}", fleet.statuses());
}

#[tokio::test]
async fn a_namespace_limited_identity_watches_namespace_by_namespace() {
    let sim = kubesim::demo::start(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The viewer may read `storefront` and `search` only, and may not list namespaces.
    let kubeconfig = sim.kubeconfig().replace(
        &format!("user: {}\n", kubesim::fleet::ADMIN_USER),
        &format!("user: {}\n", kubesim::fleet::VIEWER_USER),
    );
    let viewer = |name: &str, namespaces: &[&str]| Cluster {
        namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
        access: Access::Inline {
            kubeconfig: kubeconfig.clone(),
            context: "prod-eu-1".into(),
        },
        ..cluster(&sim, name, kubeconfig.clone())
    };
    let catalog = server::catalog::CatalogStore::load(vec![concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/catalog"
    )
    .into()]);
    let fleet = Fleet::start(
        vec![
            viewer("allow-listed", &["storefront", "search", "payments"]),
            viewer("no-list", &[]),
        ],
        &catalog.snapshot().kubernetes_selectors(),
    )
    .await;
    let status = |name: &str| {
        fleet
            .statuses()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    eventually("the allow-listed cluster watched", || {
        status("allow-listed").state == ClusterState::Forbidden
            && status("allow-listed").hidden_namespaces == vec!["payments".to_string()]
    })
    .await;
    let s = status("allow-listed");
    assert!(s.objects["pods"] > 5, "{:?}", s.objects);
    assert!(
        s.forbidden_kinds.contains(&"nodes".to_string()),
        "cluster-scoped kinds stay forbidden: {:?}",
        s.forbidden_kinds
    );
    // Services in the readable namespaces are mapped; the hidden namespace's are not there at all.
    let clusters_of = |service: &str| {
        fleet
            .clusters()
            .iter()
            .filter(|c| server::clusters::objects::of(c, service).is_some())
            .count()
    };
    assert_eq!(clusters_of("cart"), 1, "cart runs in storefront");
    assert!(
        clusters_of("checkout-api") == 0,
        "checkout-api runs only in the hidden payments namespace"
    );
    let all = fleet.clusters();
    let watch = all
        .iter()
        .find(|c| c.cluster.name == "allow-listed")
        .unwrap_or_else(|| panic!("allow-listed"));
    let summary = watch.status.summary();
    assert!(
        summary.watches > 13,
        "one reflector per kind and namespace: {}",
        summary.watches
    );

    // Without an allow-list and without the right to list namespaces, the status says what to do.
    eventually("the unlisted cluster explains itself", || {
        let s = status("no-list");
        s.state == ClusterState::Forbidden
            && s.last_error
                .is_some_and(|e| e.contains("clusters[].namespaces"))
    })
    .await;
    common::assert_read_only(&sim);
}
