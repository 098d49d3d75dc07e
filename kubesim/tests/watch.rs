//! kube-runtime's watcher and reflector against kubesim: initial sync, live events, bookmarks,
//! streaming lists, 410 after compaction and dropped watches, all without a restart.

mod common;

use common::{client, eventually, fleet};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::{reflector, watcher, WatchStreamExt};
use kube::Api;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({"metadata": {"name": name, "labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}))
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn setup(names: &[&str]) -> (kubesim::fleet::Fleet, Api<Pod>) {
    let fleet = fleet(&["prod-eu-1"]).await;
    let c = client(&fleet, "prod-eu-1").await;
    common::create_namespace(&c, "shop").await;
    let pods: Api<Pod> = Api::namespaced(c, "shop");
    for n in names {
        pods.create(&PostParams::default(), &pod(n))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    (fleet, pods)
}

/// Runs a reflector in the background; returns its reader and a count of (re)lists.
fn reflect(api: Api<Pod>, config: watcher::Config) -> (reflector::Store<Pod>, Arc<AtomicUsize>) {
    let (reader, writer) = reflector::store();
    let inits = Arc::new(AtomicUsize::new(0));
    let counter = inits.clone();
    let stream = watcher(api, config).default_backoff().reflect(writer);
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            if let Ok(watcher::Event::Init) = event {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (reader, inits)
}

fn names(reader: &reflector::Store<Pod>) -> Vec<String> {
    let mut n: Vec<String> = reader
        .state()
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn the_reflector_syncs_and_follows_changes() {
    let (fleet, pods) = setup(&["a", "b"]).await;
    let (reader, _) = reflect(
        Api::all(client(&fleet, "prod-eu-1").await),
        watcher::Config::default().page_size(1),
    );
    reader
        .wait_until_ready()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&reader), ["a", "b"]);
    pods.create(&PostParams::default(), &pod("c"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    pods.delete("a", &Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    pods.patch(
        "b",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"v": "2"}}})),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    eventually("c added, a deleted, b patched", async || {
        names(&reader) == ["b", "c"]
            && reader.state().iter().any(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .is_some_and(|l| l.get("v").is_some_and(|v| v == "2"))
            })
    })
    .await;
}

#[tokio::test]
async fn streaming_lists_end_with_the_initial_events_bookmark() {
    let (fleet, pods) = setup(&["a", "b", "c"]).await;
    let (reader, _) = reflect(
        Api::all(client(&fleet, "prod-eu-1").await),
        watcher::Config::default().streaming_lists(),
    );
    reader
        .wait_until_ready()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&reader), ["a", "b", "c"]);
    pods.create(&PostParams::default(), &pod("d"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eventually("d seen", async || names(&reader).len() == 4).await;
    let log = fleet.clusters[0].api.request_log();
    assert!(
        log.iter()
            .any(|r| r.query.contains("sendInitialEvents=true")),
        "{log:?}"
    );
}

#[tokio::test]
async fn compaction_forces_a_relist_and_nothing_is_lost() {
    let (fleet, pods) = setup(&["a"]).await;
    let (reader, inits) = reflect(
        Api::all(client(&fleet, "prod-eu-1").await),
        watcher::Config::default(),
    );
    reader
        .wait_until_ready()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cluster = fleet.clusters[0].clone();
    let store = cluster.api.store.clone();
    let pods_resource =
        kubesim::resources::find("", "v1", "pods").unwrap_or_else(|| panic!("pods"));
    // Take the cluster away, change things while nobody watches, and compact: the re-watch gets 410 Expired.
    cluster.down();
    let write = |name: &str| {
        store.create(
            pods_resource,
            "shop",
            serde_json::to_value(pod(name)).unwrap_or_else(|e| panic!("{e}")),
            false,
        )
    };
    write("b").unwrap_or_else(|e| panic!("{e}"));
    store.compact();
    write("c").unwrap_or_else(|e| panic!("{e}"));
    cluster.up().await.unwrap_or_else(|e| panic!("{e}"));
    drop(pods);
    eventually("relist after 410", async || {
        inits.load(Ordering::SeqCst) >= 2 && names(&reader) == ["a", "b", "c"]
    })
    .await;
}

#[tokio::test]
async fn dropped_watches_resume_from_the_last_version() {
    let (fleet, pods) = setup(&["a"]).await;
    let (reader, inits) = reflect(
        Api::all(client(&fleet, "prod-eu-1").await),
        watcher::Config::default(),
    );
    reader
        .wait_until_ready()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for i in 0..3 {
        fleet.clusters[0].api.store.drop_watches();
        pods.create(&PostParams::default(), &pod(&format!("p{i}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    eventually("all three seen", async || names(&reader).len() == 4).await;
    assert_eq!(
        inits.load(Ordering::SeqCst),
        1,
        "a dropped stream re-watches, it does not relist"
    );
    let watches = fleet.clusters[0]
        .api
        .request_log()
        .iter()
        .filter(|r| r.query.contains("watch=true"))
        .count();
    assert!(watches >= 2, "the watcher reconnected");
}

#[tokio::test]
async fn bookmarks_arrive_on_quiet_streams() {
    let (fleet, _pods) = setup(&["a"]).await;
    let api: Api<Pod> = Api::all(client(&fleet, "prod-eu-1").await);
    let list = api
        .list(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rv = list.metadata.resource_version.unwrap_or_default();
    let params = kube::api::WatchParams::default().timeout(2);
    let mut stream = std::pin::pin!(api
        .watch(&params, &rv)
        .await
        .unwrap_or_else(|e| panic!("{e}")));
    let mut bookmarks = 0;
    while let Some(event) = stream.next().await {
        if let Ok(kube::api::WatchEvent::Bookmark(b)) = event {
            assert_eq!(b.types.kind, "Pod");
            bookmarks += 1;
        }
    }
    assert!(bookmarks >= 2, "got {bookmarks} bookmarks in 2 s");
}

#[tokio::test]
async fn a_cluster_taken_down_refuses_then_serves_again() {
    let (fleet, pods) = setup(&["a"]).await;
    let cluster = fleet.clusters[0].clone();
    cluster.down();
    assert!(pods.get("a").await.is_err(), "down");
    assert!(
        tokio::net::TcpStream::connect(cluster.addr())
            .await
            .is_err(),
        "connection refused"
    );
    cluster.up().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(pods.get("a").await.is_ok(), "up again");
}
