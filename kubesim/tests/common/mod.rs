//! Shared helpers: a fleet and kube-rs clients that reach it over real HTTPS.
#![allow(dead_code)]

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use kubesim::fleet::{ClusterSpec, Fleet, FleetOptions};
use std::time::Duration;

pub fn spec(name: &str) -> ClusterSpec {
    ClusterSpec {
        name: name.into(),
        region: "eu-west-1".into(),
        environment: "production".into(),
        viewer_namespaces: vec!["shop".into()],
        hidden_namespaces: vec![],
        no_log_namespaces: vec![],
        reader_reads_secrets: false,
    }
}

pub async fn fleet(names: &[&str]) -> Fleet {
    let specs: Vec<ClusterSpec> = names.iter().map(|n| spec(n)).collect();
    let options = FleetOptions {
        bookmark_every: Duration::from_millis(300),
        ..Default::default()
    };
    Fleet::start(&specs, &options)
        .await
        .unwrap_or_else(|e| panic!("fleet: {e}"))
}

/// A kube-rs client for `cluster` as `user` (the kubeconfig's users).
pub async fn client_as(fleet: &Fleet, cluster: &str, user: &str) -> Client {
    let kubeconfig =
        Kubeconfig::from_yaml(&fleet.kubeconfig()).unwrap_or_else(|e| panic!("kubeconfig: {e}"));
    let options = KubeConfigOptions {
        context: Some(cluster.into()),
        cluster: None,
        user: Some(user.into()),
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap_or_else(|e| panic!("config: {e}"));
    config.read_timeout = Some(Duration::from_secs(30));
    Client::try_from(config).unwrap_or_else(|e| panic!("client: {e}"))
}

pub async fn client(fleet: &Fleet, cluster: &str) -> Client {
    client_as(fleet, cluster, kubesim::fleet::ADMIN_USER).await
}

/// Polls `f` until it is true or 30 s pass.
pub async fn eventually(what: &str, mut f: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Creates a namespace through the API, as a test's first step.
pub async fn create_namespace(c: &Client, name: &str) {
    use k8s_openapi::api::core::v1::Namespace;
    let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": name}}))
        .unwrap_or_else(|e| panic!("{e}"));
    kube::Api::<Namespace>::all(c.clone())
        .create(&kube::api::PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("namespace {name}: {e}"));
}
