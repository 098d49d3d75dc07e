//! The real `wayfinder` binary against the kubesim demo fleet over HTTPS while clusters misbehave:
//! a 5 s latency, 500/503/429 answers, an apiserver restart that loses the watch history, revoked
//! and restored tokens, read access taken away (403) and given back, and a cluster that is never
//! reachable. For each, the portal keeps serving,
//! the affected cluster's status says what is wrong (in the API and on the page) and keeps its last
//! data with its age, the other clusters are untouched, and it recovers on its own within 30 s of
//! the fault ending.

mod common;

use app::model::{ClusterState, ClusterStatus, ServiceDetail};
use common::{desired, eventually, in_cluster, Portal};
use kubesim::api::Faults;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a recovery may take once the fault is over.
const RECOVERY: Duration = Duration::from_secs(30);

async fn clusters(portal: &Portal) -> Vec<ClusterStatus> {
    portal.json("/api/v1/clusters").await
}

async fn status_of(portal: &Portal, name: &str) -> ClusterStatus {
    clusters(portal)
        .await
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no cluster {name} in /api/v1/clusters"))
}

/// Waits until `name` is in `state` in the API; returns its status then.
async fn until_state(
    portal: &Portal,
    name: &str,
    state: ClusterState,
    limit: Duration,
) -> ClusterStatus {
    let start = std::time::Instant::now();
    loop {
        let s = status_of(portal, name).await;
        if s.state == state {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "{name} not {} within {limit:?}: {:?} ({:?})",
            state.id(),
            s.state,
            s.last_error
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The state the `/clusters` page shows for a cluster (its row's badge).
async fn page_state(portal: &Portal, name: &str) -> String {
    let (status, html) = portal.text("/clusters").await;
    assert_eq!(status, 200);
    let row = html
        .split(&format!("data-cluster=\"{name}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no row for {name} on /clusters"));
    let row = row.split("</tr>").next().unwrap_or_default();
    row.split("data-state=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

/// Every cluster but `except` is in the state it had before the fault.
async fn others_untouched(portal: &Portal, before: &BTreeMap<String, ClusterState>, except: &str) {
    for c in clusters(portal).await {
        if c.name != except && before.contains_key(&c.name) {
            assert_eq!(
                Some(&c.state),
                before.get(&c.name),
                "{}: changed by a fault in {except} ({:?})",
                c.name,
                c.last_error
            );
        }
    }
    // And the portal keeps answering from its cache.
    let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
    assert!(
        d.clusters.len() >= 4,
        "config-service still shows its clusters"
    );
}

/// The affected cluster's last data is still shown, with its age.
async fn keeps_last_data(portal: &Portal, name: &str) {
    let s = status_of(portal, name).await;
    assert!(
        s.objects.get("pods").is_some_and(|n| *n > 0),
        "{name}: {:?}",
        s.objects
    );
    assert!(
        s.sync_age_seconds.is_some(),
        "{name}: the data's age is said"
    );
    // Live watches (a slow cluster still streaming) say "live"; stale data says how old it is.
    let words = app::model::freshness(s.state, s.sync_age_seconds, s.change_age_seconds, 0);
    let expected = match s.state {
        ClusterState::Synced | ClusterState::Forbidden => "live · last change ",
        _ => "data from ",
    };
    assert!(
        words.starts_with(expected),
        "{name} ({:?}): {words}",
        s.state
    );
    let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
    let c = in_cluster(&d.clusters, name)
        .unwrap_or_else(|| panic!("{name}: config-service's last known data"));
    assert_eq!(
        c.status, s.state,
        "the service page says the cluster's state"
    );
    assert!(!c.workloads.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_said_kept_to_its_cluster_and_recovered_from() {
    let sim = kubesim::demo::start(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kubeconfig = home.path().join("config");
    // Plus a cluster whose name never resolves.
    let text = sim.kubeconfig().replacen(
        "contexts:\n",
        &format!(
            "- name: ghost\n  cluster:\n    server: https://ghost.invalid:6443\ncontexts:\n- name: ghost\n  context:\n    cluster: ghost\n    user: {}\n",
            kubesim::fleet::ADMIN_USER
        ),
        1,
    );
    std::fs::write(&kubeconfig, text).unwrap_or_else(|e| panic!("{e}"));
    let portal = Portal::start(&["--kubeconfig", &kubeconfig.to_string_lossy()]).await;

    // A cluster never reachable does not keep the portal from being ready.
    eventually("/readyz", Duration::from_secs(60), || async {
        portal.text("/readyz").await.0 == 200
    })
    .await;
    let ghost = until_state(
        &portal,
        "ghost",
        ClusterState::Unreachable,
        Duration::from_secs(30),
    )
    .await;
    assert!(ghost.last_error.is_some_and(|e| e.contains("cannot reach")));
    assert_eq!(page_state(&portal, "ghost").await, "unreachable");
    for name in ["prod-eu-1", "prod-us-1", "prod-us-2", "staging-eu-1"] {
        until_state(&portal, name, ClusterState::Synced, Duration::from_secs(30)).await;
    }
    // prod-ap-1 drops its watches every 45 s in the demo: left out of the comparisons.
    let before: BTreeMap<String, ClusterState> = clusters(&portal)
        .await
        .into_iter()
        .filter(|c| c.name != "prod-ap-1")
        .map(|c| (c.name, c.state))
        .collect();
    let deployments = kubesim::resources::by_store("deployments");
    let sim_cluster = |name: &str| {
        sim.cluster(name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };

    // 1. Five seconds of latency on every request: slow, not broken. A change still arrives.
    let us1 = sim_cluster("prod-us-1");
    us1.api.set_faults(Faults {
        latency_ms: 5_000,
        ..Faults::default()
    });
    us1.api.store.drop_watches();
    us1.api
        .store
        .modify(deployments, "platform", "config-service", |d| {
            d["spec"]["replicas"] = serde_json::json!(3);
        });
    others_untouched(&portal, &before, "prod-us-1").await;
    keeps_last_data(&portal, "prod-us-1").await;
    eventually("a change through a 5 s latency", RECOVERY, || async {
        let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
        desired(&d.clusters, "prod-us-1", "config-service") == Some(3)
    })
    .await;
    us1.api.set_faults(Faults::default());
    until_state(&portal, "prod-us-1", ClusterState::Synced, RECOVERY).await;

    // 2. Bursts of 500, 503 and 429: stale with the reason and the last data, then synced.
    let us2 = sim_cluster("prod-us-2");
    for code in [500, 503, 429] {
        us2.api.set_faults(Faults {
            error_rate: 1.0,
            error_code: code,
            ..Faults::default()
        });
        us2.api.store.drop_watches();
        let s = until_state(
            &portal,
            "prod-us-2",
            ClusterState::Stale,
            Duration::from_secs(20),
        )
        .await;
        assert!(
            s.last_error
                .as_deref()
                .is_some_and(|e| e.contains(&code.to_string())),
            "{code}: {:?}",
            s.last_error
        );
        assert_eq!(page_state(&portal, "prod-us-2").await, "stale");
        keeps_last_data(&portal, "prod-us-2").await;
        others_untouched(&portal, &before, "prod-us-2").await;
        us2.api.set_faults(Faults::default());
        until_state(&portal, "prod-us-2", ClusterState::Synced, RECOVERY).await;
    }

    // 3. An apiserver restart with a change made while it was away: every watch dropped, the
    //    history gone (resuming gets 410), so the portal relists and sees the change.
    let eu1 = sim_cluster("prod-eu-1");
    eu1.down();
    eu1.api
        .store
        .modify(deployments, "platform", "config-service", |d| {
            d["spec"]["replicas"] = serde_json::json!(4);
        });
    until_state(
        &portal,
        "prod-eu-1",
        ClusterState::Stale,
        Duration::from_secs(20),
    )
    .await;
    keeps_last_data(&portal, "prod-eu-1").await;
    eu1.restart().await.unwrap_or_else(|e| panic!("{e}"));
    until_state(&portal, "prod-eu-1", ClusterState::Synced, RECOVERY).await;
    eventually("the change made during the restart", RECOVERY, || async {
        let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
        desired(&d.clusters, "prod-eu-1", "config-service") == Some(4)
    })
    .await;
    others_untouched(&portal, &before, "prod-eu-1").await;

    // 4. The token revoked (401), then restored.
    let staging = sim_cluster("staging-eu-1");
    staging.api.revoke_tokens();
    let s = until_state(
        &portal,
        "staging-eu-1",
        ClusterState::Unauthorized,
        Duration::from_secs(20),
    )
    .await;
    assert!(s.last_error.is_some(), "the refusal is said");
    assert_eq!(page_state(&portal, "staging-eu-1").await, "unauthorized");
    keeps_last_data(&portal, "staging-eu-1").await;
    others_untouched(&portal, &before, "staging-eu-1").await;
    staging.api.restore_tokens();
    until_state(&portal, "staging-eu-1", ClusterState::Synced, RECOVERY).await;

    // 5. Read access taken away (403), everywhere and then in one namespace, and given back.
    for forbidden in [vec!["*".to_string()], vec!["platform".to_string()]] {
        us1.api.forbid_namespaces(forbidden.clone());
        let s = until_state(
            &portal,
            "prod-us-1",
            ClusterState::Forbidden,
            Duration::from_secs(20),
        )
        .await;
        assert!(
            !s.forbidden_kinds.is_empty(),
            "{forbidden:?}: the refused kinds are named"
        );
        assert_eq!(page_state(&portal, "prod-us-1").await, "forbidden");
        keeps_last_data(&portal, "prod-us-1").await;
        others_untouched(&portal, &before, "prod-us-1").await;
        us1.api.allow_namespaces();
        until_state(&portal, "prod-us-1", ClusterState::Synced, RECOVERY).await;
    }

    // Through all of it: only reads, never a Secret.
    common::assert_read_only(&sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_added_to_or_removed_from_the_config_file_apply_without_a_restart() {
    let sim = kubesim::demo::start(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kubeconfig = home.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig)
        .unwrap_or_else(|e| panic!("{e}"));
    let config = home.path().join("wayfinder.yaml");
    let write = |clusters: &[&str]| {
        let list: String = clusters
            .iter()
            .map(|c| format!("  - name: {c}\n"))
            .collect();
        std::fs::write(
            &config,
            format!("kubeconfig: kubeconfig\nclusters:\n{list}"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    };
    write(&["prod-eu-1", "prod-us-1"]);
    let portal = Portal::start(&["--config", &config.to_string_lossy()]).await;
    let names = || async {
        clusters(&portal)
            .await
            .into_iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    until_state(
        &portal,
        "prod-us-1",
        ClusterState::Synced,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(names().await, ["prod-eu-1", "prod-us-1"]);

    // prod-us-1 leaves, prod-us-2 arrives: the page and the API follow, prod-eu-1 is untouched.
    let restarts = status_of(&portal, "prod-eu-1").await.watch_restarts;
    write(&["prod-eu-1", "prod-us-2"]);
    eventually("the new cluster list", RECOVERY, || async {
        names().await == ["prod-eu-1", "prod-us-2"]
    })
    .await;
    until_state(&portal, "prod-us-2", ClusterState::Synced, RECOVERY).await;
    let eu = status_of(&portal, "prod-eu-1").await;
    assert_eq!(
        (eu.state, eu.watch_restarts),
        (ClusterState::Synced, restarts),
        "kept its watches"
    );
    let d: ServiceDetail = portal.json("/api/v1/services/config-service").await;
    assert!(
        in_cluster(&d.clusters, "prod-us-1").is_none(),
        "the removed cluster is gone"
    );
    assert!(
        in_cluster(&d.clusters, "prod-us-2").is_some(),
        "the added cluster is shown"
    );
    assert_eq!(page_state(&portal, "prod-us-2").await, "synced");

    // A broken file changes nothing, and the portal keeps serving.
    std::fs::write(
        &config,
        "clusters:\n  - name: prod-eu-1\n    url: ftp://nowhere\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(server::reload::CHECK_EVERY * 2).await;
    assert_eq!(names().await, ["prod-eu-1", "prod-us-2"]);
    assert_eq!(portal.text("/readyz").await.0, 200);

    // Mended, with a cluster added back: applied.
    write(&["prod-eu-1", "prod-us-2", "prod-us-1"]);
    eventually("the mended file", RECOVERY, || async {
        names().await == ["prod-eu-1", "prod-us-2", "prod-us-1"]
    })
    .await;
    until_state(&portal, "prod-us-1", ClusterState::Synced, RECOVERY).await;
    // The service's overview page (kept rendered between changes) follows too.
    let runs_in = |html: &str| {
        html.split("data-testid=\"service-runs-in\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap_or_default()
            .to_string()
    };
    eventually(
        "the overview counts the clusters again",
        RECOVERY,
        || async {
            let (_, html) = portal.text("/services/config-service").await;
            runs_in(&html).starts_with("3 clusters")
        },
    )
    .await;
    write(&["prod-eu-1"]);
    eventually("the overview follows a removal", RECOVERY, || async {
        let (_, html) = portal.text("/services/config-service").await;
        runs_in(&html).starts_with("1 cluster ·")
    })
    .await;
}
