//! Soak: the demo fleet under a kube-rs watch of every kind on every cluster, with memory sampled.
//!
//! `cargo run --release -p kubesim --example soak -- MINUTES` (default 10). Prints one line per sample
//! and a verdict: memory is "steady" when the last third of the run grew less than 10 % over the
//! middle third. Exits 1 otherwise, or when a watch stream never synced.

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, Config};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn watch_all<K>(client: Client, events: Arc<AtomicU64>)
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + 'static,
{
    let api: Api<K> = Api::all(client);
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
        while let Some(e) = stream.next().await {
            if e.is_ok() {
                events.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
}

#[tokio::main]
async fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(10);
    let fleet = kubesim::demo::start(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("demo: {e}"));
    let kubeconfig = Kubeconfig::from_yaml(&fleet.kubeconfig()).unwrap_or_else(|e| panic!("{e}"));
    let events = Arc::new(AtomicU64::new(0));
    for info in fleet.infos() {
        let options = KubeConfigOptions {
            context: Some(info.name.clone()),
            ..Default::default()
        };
        let config = Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let c = Client::try_from(config).unwrap_or_else(|e| panic!("{e}"));
        let e = events.clone();
        watch_all::<Pod>(c.clone(), e.clone());
        watch_all::<Deployment>(c.clone(), e.clone());
        watch_all::<ReplicaSet>(c.clone(), e.clone());
        watch_all::<StatefulSet>(c.clone(), e.clone());
        watch_all::<DaemonSet>(c.clone(), e.clone());
        watch_all::<Job>(c.clone(), e.clone());
        watch_all::<CronJob>(c.clone(), e.clone());
        watch_all::<HorizontalPodAutoscaler>(c.clone(), e.clone());
        watch_all::<Service>(c.clone(), e.clone());
        watch_all::<Ingress>(c.clone(), e.clone());
        watch_all::<Event>(c.clone(), e.clone());
        watch_all::<Namespace>(c.clone(), e.clone());
        watch_all::<Node>(c, e);
    }
    let start = Instant::now();
    let mut samples = Vec::new();
    println!("{:>8} {:>10} {:>12}", "elapsed", "rss_mib", "watch_events");
    while start.elapsed() < Duration::from_secs(minutes * 60) {
        tokio::time::sleep(Duration::from_secs(15)).await;
        let rss = rss_kib();
        samples.push(rss);
        println!(
            "{:>7}s {:>10.1} {:>12}",
            start.elapsed().as_secs(),
            rss as f64 / 1024.0,
            events.load(Ordering::Relaxed)
        );
    }
    let third = samples.len() / 3;
    let middle = samples[third..2 * third].iter().copied().max().unwrap_or(0);
    let last = samples[2 * third..].iter().copied().max().unwrap_or(0);
    let growth = if middle == 0 {
        0.0
    } else {
        (last as f64 - middle as f64) / middle as f64 * 100.0
    };
    let steady = growth < 10.0 && events.load(Ordering::Relaxed) > 0;
    println!(
        "peak RSS middle third {:.1} MiB, last third {:.1} MiB, growth {growth:.1} % → {}",
        middle as f64 / 1024.0,
        last as f64 / 1024.0,
        if steady { "steady" } else { "GROWING" }
    );
    std::process::exit(if steady { 0 } else { 1 });
}
