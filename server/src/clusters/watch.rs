//! One watch per (cluster, kind), shared by every viewer: kube-runtime reflectors over trimmed
//! objects, and a status that says how fresh each cluster's data is.

use super::config::{Access, Cluster};
use app::model::{ClusterState, ClusterStatus};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, PodTemplateSpec, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, Config, Resource};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::task::JoinHandle;

/// Why a watch is not live.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Trouble {
    Unreachable(String),
    Unauthorized(String),
    Forbidden(String),
    Other(String),
}

#[derive(Clone, Debug, Default)]
struct KindState {
    synced: bool,
    ever_synced: bool,
    trouble: Option<Trouble>,
    restarts: u64,
    last_sync: Option<jiff::Timestamp>,
}

/// The live status of one cluster's watches, by kind.
#[derive(Default)]
pub struct WatchStatus {
    kinds: Mutex<BTreeMap<&'static str, KindState>>,
}

impl WatchStatus {
    fn update(&self, kind: &'static str, f: impl FnOnce(&mut KindState)) {
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        f(kinds.entry(kind).or_default());
    }

    /// The cluster's state: the worst of its kinds.
    pub fn state(
        &self,
    ) -> (
        ClusterState,
        Option<String>,
        Vec<String>,
        Option<jiff::Timestamp>,
        u64,
    ) {
        let kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        let forbidden: Vec<String> = kinds
            .iter()
            .filter(|(_, k)| matches!(k.trouble, Some(Trouble::Forbidden(_))))
            .map(|(n, _)| n.to_string())
            .collect();
        let restarts = kinds.values().map(|k| k.restarts).sum();
        let message = kinds.values().find_map(|k| match &k.trouble {
            Some(
                Trouble::Unreachable(m)
                | Trouble::Unauthorized(m)
                | Trouble::Forbidden(m)
                | Trouble::Other(m),
            ) => Some(m.clone()),
            None => None,
        });
        let all_synced = !kinds.is_empty()
            && kinds
                .values()
                .all(|k| k.synced || matches!(k.trouble, Some(Trouble::Forbidden(_))));
        let last_sync = if kinds
            .values()
            .all(|k| k.ever_synced || matches!(k.trouble, Some(Trouble::Forbidden(_))))
        {
            kinds.values().filter_map(|k| k.last_sync).min()
        } else {
            None
        };
        let state = if kinds
            .values()
            .any(|k| matches!(k.trouble, Some(Trouble::Unauthorized(_))))
        {
            ClusterState::Unauthorized
        } else if kinds
            .values()
            .any(|k| matches!(k.trouble, Some(Trouble::Unreachable(_) | Trouble::Other(_))))
        {
            if kinds.values().any(|k| k.ever_synced) {
                ClusterState::Stale
            } else {
                ClusterState::Unreachable
            }
        } else if all_synced && !forbidden.is_empty() {
            ClusterState::Forbidden
        } else if all_synced {
            ClusterState::Synced
        } else {
            ClusterState::Connecting
        };
        (state, message, forbidden, last_sync, restarts)
    }

    /// True once every kind has synced or failed at least once (for `/readyz`).
    pub fn attempted(&self) -> bool {
        let kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        !kinds.is_empty() && kinds.values().all(|k| k.ever_synced || k.trouble.is_some())
    }
}

fn classify(e: &watcher::Error) -> Trouble {
    let api = match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => e,
        watcher::Error::WatchError(s) => {
            return Trouble::Other(format!(
                "the apiserver ended the watch: {} ({})",
                s.message, s.code
            ));
        }
        watcher::Error::NoResourceVersion => {
            return Trouble::Other("the apiserver sent no resourceVersion".into())
        }
    };
    match api {
        kube::Error::Api(s) if s.code == 401 => {
            Trouble::Unauthorized(format!("the credentials were refused: {}", s.message))
        }
        kube::Error::Api(s) if s.code == 403 => Trouble::Forbidden(s.message.clone()),
        kube::Error::Api(s) => Trouble::Other(format!("{} ({})", s.message, s.code)),
        other => Trouble::Unreachable(format!("cannot reach the apiserver: {other}")),
    }
}

/// Drops what no view needs and what must never reach a browser.
pub trait Trim {
    fn trim(&mut self);
}

fn trim_meta<K: Resource>(o: &mut K) {
    let meta = o.meta_mut();
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

fn trim_template(t: &mut PodTemplateSpec) {
    if let Some(spec) = t.spec.as_mut() {
        trim_pod_spec(spec);
    }
}

fn trim_pod_spec(spec: &mut k8s_openapi::api::core::v1::PodSpec) {
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        c.env = None;
        c.env_from = None;
        c.args = None;
        c.command = None;
    }
}

macro_rules! trim_meta_only {
    ($($t:ty),*) => { $(impl Trim for $t { fn trim(&mut self) { trim_meta(self); } })* };
}
trim_meta_only!(
    Service,
    Ingress,
    Event,
    Namespace,
    Node,
    HorizontalPodAutoscaler
);

macro_rules! trim_with_template {
    ($($t:ty),*) => { $(impl Trim for $t {
        fn trim(&mut self) {
            trim_meta(self);
            if let Some(spec) = self.spec.as_mut() { trim_template(&mut spec.template); }
        }
    })* };
}
trim_with_template!(Deployment, StatefulSet, DaemonSet, Job);

impl Trim for ReplicaSet {
    fn trim(&mut self) {
        trim_meta(self);
        if let Some(t) = self.spec.as_mut().and_then(|s| s.template.as_mut()) {
            trim_template(t);
        }
    }
}

impl Trim for Pod {
    fn trim(&mut self) {
        trim_meta(self);
        if let Some(spec) = self.spec.as_mut() {
            trim_pod_spec(spec);
        }
    }
}

impl Trim for CronJob {
    fn trim(&mut self) {
        trim_meta(self);
        if let Some(t) = self
            .spec
            .as_mut()
            .and_then(|s| s.job_template.spec.as_mut())
        {
            trim_template(&mut t.template);
        }
    }
}

/// The cached objects of one cluster, by kind.
#[derive(Clone)]
pub struct Stores {
    pub pods: Store<Pod>,
    pub deployments: Store<Deployment>,
    pub replicasets: Store<ReplicaSet>,
    pub statefulsets: Store<StatefulSet>,
    pub daemonsets: Store<DaemonSet>,
    pub jobs: Store<Job>,
    pub cronjobs: Store<CronJob>,
    pub hpas: Store<HorizontalPodAutoscaler>,
    pub services: Store<Service>,
    pub ingresses: Store<Ingress>,
    pub events: Store<Event>,
    pub namespaces: Store<Namespace>,
    pub nodes: Store<Node>,
}

impl Stores {
    /// Objects cached per kind.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        [
            ("pods", self.pods.state().len()),
            ("deployments", self.deployments.state().len()),
            ("replicasets", self.replicasets.state().len()),
            ("statefulsets", self.statefulsets.state().len()),
            ("daemonsets", self.daemonsets.state().len()),
            ("jobs", self.jobs.state().len()),
            ("cronjobs", self.cronjobs.state().len()),
            ("horizontalpodautoscalers", self.hpas.state().len()),
            ("services", self.services.state().len()),
            ("ingresses", self.ingresses.state().len()),
            ("events", self.events.state().len()),
            ("namespaces", self.namespaces.state().len()),
            ("nodes", self.nodes.state().len()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// A watched cluster: its config, caches, status and the tasks that keep them.
pub struct ClusterWatch {
    pub cluster: Cluster,
    pub stores: Stores,
    pub status: Arc<WatchStatus>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for ClusterWatch {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn spawn_kind<K>(
    client: &Client,
    kind: &'static str,
    config: watcher::Config,
    status: &Arc<WatchStatus>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Store<K>
where
    K: Resource<DynamicType = ()> + Trim + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, mut writer) = reflector::store();
    let api: Api<K> = Api::all(client.clone());
    let status = status.clone();
    status.update(kind, |_| {});
    tasks.push(tokio::spawn(async move {
        let mut backoff = MIN_BACKOFF;
        loop {
            // A fresh watcher after any error: it relists, so a recovery is always seen as a sync.
            // (A stream the apiserver merely closes is resumed inside the watcher, without a relist.)
            let stream = watcher(api.clone(), config.clone()).modify(Trim::trim);
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                match event {
                    Ok(event) => {
                        writer.apply_watcher_event(&event);
                        match event {
                            watcher::Event::InitDone => {
                                backoff = MIN_BACKOFF;
                                status.update(kind, |k| {
                                    k.synced = true;
                                    k.ever_synced = true;
                                    k.trouble = None;
                                    k.last_sync = Some(jiff::Timestamp::now());
                                });
                            }
                            watcher::Event::Init => status.update(kind, |k| {
                                if k.ever_synced {
                                    k.restarts += 1;
                                }
                            }),
                            _ => status.update(kind, |k| {
                                if k.synced {
                                    k.last_sync = Some(jiff::Timestamp::now());
                                }
                            }),
                        }
                    }
                    Err(e) => {
                        let trouble = classify(&e);
                        status.update(kind, |k| {
                            // Said once per change of trouble, not on every retry.
                            if k.trouble.as_ref() != Some(&trouble) {
                                tracing::warn!(kind, "watch failed: {e}");
                            } else {
                                tracing::debug!(kind, "watch failed again: {e}");
                            }
                            if k.synced {
                                k.last_sync = Some(jiff::Timestamp::now());
                            }
                            k.synced = false;
                            k.trouble = Some(trouble);
                        });
                        break;
                    }
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }));
    reader
}

/// Retry delays after a failed watch: quick at first, at most every 10 s.
const MIN_BACKOFF: std::time::Duration = std::time::Duration::from_millis(500);
const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(10);

/// Builds the kube client for a cluster.
pub async fn client_for(cluster: &Cluster) -> Result<Client, String> {
    let options = |context: &str| KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let mut config = match &cluster.access {
        Access::Context {
            kubeconfig,
            context,
        } => {
            let kc = match kubeconfig {
                Some(path) => Kubeconfig::read_from(path)
                    .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?,
                None => Kubeconfig::read()
                    .map_err(|e| format!("cannot read the default kubeconfig: {e}"))?,
            };
            Config::from_custom_kubeconfig(kc, &options(context))
                .await
                .map_err(|e| format!("kubeconfig context {context}: {e}"))?
        }
        Access::Inline {
            kubeconfig,
            context,
        } => {
            let kc = Kubeconfig::from_yaml(kubeconfig).map_err(|e| format!("kubeconfig: {e}"))?;
            Config::from_custom_kubeconfig(kc, &options(context))
                .await
                .map_err(|e| format!("kubeconfig context {context}: {e}"))?
        }
        Access::Url {
            url,
            token_file,
            ca_file,
            insecure,
        } => {
            let yaml = format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {url}\n{}{}contexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user:\n{}",
                ca_file.as_ref().map(|p| format!("    certificate-authority: {}\n", p.display())).unwrap_or_default(),
                if *insecure { "    insecure-skip-tls-verify: true\n" } else { "" },
                token_file.as_ref().map(|p| format!("    tokenFile: {}\n", p.display())).unwrap_or_else(|| "    {}\n".into()),
            );
            let kc = Kubeconfig::from_yaml(&yaml).map_err(|e| format!("{url}: {e}"))?;
            Config::from_custom_kubeconfig(kc, &options("c"))
                .await
                .map_err(|e| format!("{url}: {e}"))?
        }
        Access::InCluster => {
            Config::incluster().map_err(|e| format!("in-cluster configuration: {e}"))?
        }
    };
    config.connect_timeout = Some(std::time::Duration::from_secs(5));
    Client::try_from(config).map_err(|e| format!("cannot build a client: {e}"))
}

impl ClusterWatch {
    /// Starts one reflector per kind. A client that cannot be built leaves the cluster unreachable
    /// with the reason, and watches nothing.
    pub async fn start(cluster: Cluster) -> Self {
        let status = Arc::new(WatchStatus::default());
        let mut tasks = Vec::new();
        let client = match client_for(&cluster).await {
            Ok(c) => c,
            Err(message) => {
                tracing::error!(cluster = %cluster.name, "{message}");
                status.update("client", |k| {
                    k.trouble = Some(Trouble::Unreachable(message))
                });
                // Readers still get (empty) stores.
                let stores = empty_stores();
                return Self {
                    cluster,
                    stores,
                    status,
                    tasks,
                };
            }
        };
        let all = watcher::Config::default;
        let stores = Stores {
            pods: spawn_kind(&client, "pods", all(), &status, &mut tasks),
            deployments: spawn_kind(&client, "deployments", all(), &status, &mut tasks),
            replicasets: spawn_kind(&client, "replicasets", all(), &status, &mut tasks),
            statefulsets: spawn_kind(&client, "statefulsets", all(), &status, &mut tasks),
            daemonsets: spawn_kind(&client, "daemonsets", all(), &status, &mut tasks),
            jobs: spawn_kind(&client, "jobs", all(), &status, &mut tasks),
            cronjobs: spawn_kind(&client, "cronjobs", all(), &status, &mut tasks),
            hpas: spawn_kind(
                &client,
                "horizontalpodautoscalers",
                all(),
                &status,
                &mut tasks,
            ),
            services: spawn_kind(&client, "services", all(), &status, &mut tasks),
            ingresses: spawn_kind(&client, "ingresses", all(), &status, &mut tasks),
            events: spawn_kind(
                &client,
                "events",
                all().fields("type=Warning"),
                &status,
                &mut tasks,
            ),
            namespaces: spawn_kind(&client, "namespaces", all(), &status, &mut tasks),
            nodes: spawn_kind(&client, "nodes", all(), &status, &mut tasks),
        };
        Self {
            cluster,
            stores,
            status,
            tasks,
        }
    }

    /// The region: configured, else the one most Nodes carry.
    pub fn region(&self) -> String {
        if let Some(r) = &self.cluster.region {
            return r.clone();
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for n in self.stores.nodes.state() {
            if let Some(r) = n
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("topology.kubernetes.io/region"))
            {
                *counts.entry(r.clone()).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(r, _)| r)
            .unwrap_or_else(|| "unknown".into())
    }

    /// The cluster as the API and pages show it.
    pub fn view(&self) -> ClusterStatus {
        let (state, last_error, forbidden_kinds, last_sync, watch_restarts) = self.status.state();
        ClusterStatus {
            name: self.cluster.name.clone(),
            title: self.cluster.title.clone(),
            region: self.region(),
            environment: self.cluster.environment.clone(),
            state,
            last_sync: last_sync.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
            sync_age_seconds: last_sync.map(|t| jiff::Timestamp::now().as_second() - t.as_second()),
            last_error,
            forbidden_kinds,
            objects: self.stores.counts(),
            watch_restarts,
        }
    }
}

fn empty_stores() -> Stores {
    Stores {
        pods: reflector::store().0,
        deployments: reflector::store().0,
        replicasets: reflector::store().0,
        statefulsets: reflector::store().0,
        daemonsets: reflector::store().0,
        jobs: reflector::store().0,
        cronjobs: reflector::store().0,
        hpas: reflector::store().0,
        services: reflector::store().0,
        ingresses: reflector::store().0,
        events: reflector::store().0,
        namespaces: reflector::store().0,
        nodes: reflector::store().0,
    }
}
