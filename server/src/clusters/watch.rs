//! One watch per (cluster, kind), shared by every viewer: kube-runtime reflectors over trimmed
//! objects, and a status that says how fresh each cluster's data is.

use super::config::{Access, Cluster};
use super::index::{ClusterIndex, Fact, Kind, ObjKey};
use super::slim::Pod;
use crate::autoscaling::history::ReplicaHistory;
use app::model::{ClusterState, ClusterStatus};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, PodTemplateSpec, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Api, Client, Config, Resource};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
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
    last_event: Option<jiff::Timestamp>,
}

/// Where one reflector looks: the whole cluster (`None`) or one namespace.
type Scope = Option<String>;

/// The live status of one cluster's watches, by kind and scope.
#[derive(Default)]
pub struct WatchStatus {
    kinds: Mutex<BTreeMap<(&'static str, Scope), KindState>>,
}

/// A cluster's watches summed up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub state: ClusterState,
    pub message: Option<String>,
    /// Kinds that may not be read anywhere.
    pub forbidden_kinds: Vec<String>,
    /// Namespaces some kind may not be read in (per-namespace watches).
    pub hidden_namespaces: Vec<String>,
    pub last_sync: Option<jiff::Timestamp>,
    pub last_event: Option<jiff::Timestamp>,
    pub restarts: u64,
    /// How many reflectors run (one per kind, or per kind and namespace).
    pub watches: usize,
}

impl WatchStatus {
    /// Applies `f` to one watch's state; true when the cluster's state changed.
    fn update(&self, kind: &'static str, scope: &Scope, f: impl FnOnce(&mut KindState)) -> bool {
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        let before = summarize(&kinds).state_key();
        f(kinds.entry((kind, scope.clone())).or_default());
        summarize(&kinds).state_key() != before
    }

    /// Forgets one watch (a cluster-wide watch replaced by per-namespace ones).
    fn remove(&self, kind: &'static str, scope: &Scope) {
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        kinds.remove(&(kind, scope.clone()));
    }

    /// The cluster's state: the worst of its watches.
    pub fn summary(&self) -> Summary {
        summarize(&self.kinds.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// True once every watch has synced or failed at least once (for `/readyz`).
    pub fn attempted(&self) -> bool {
        let kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        !kinds.is_empty() && kinds.values().all(|k| k.ever_synced || k.trouble.is_some())
    }
}

impl Summary {
    fn state_key(&self) -> (ClusterState, Vec<String>, Vec<String>) {
        (
            self.state,
            self.forbidden_kinds.clone(),
            self.hidden_namespaces.clone(),
        )
    }
}

fn summarize(kinds: &BTreeMap<(&'static str, Scope), KindState>) -> Summary {
    let forbidden = |k: &KindState| matches!(k.trouble, Some(Trouble::Forbidden(_)));
    let mut forbidden_kinds: Vec<String> = kinds
        .iter()
        .filter(|((_, scope), k)| scope.is_none() && forbidden(k))
        .map(|((n, _), _)| n.to_string())
        .collect();
    forbidden_kinds.dedup();
    let hidden: BTreeSet<String> = kinds
        .iter()
        .filter(|(_, k)| forbidden(k))
        .filter_map(|((_, scope), _)| scope.clone())
        .collect();
    let restarts = kinds.values().map(|k| k.restarts).sum();
    let message = kinds.values().find_map(|k| match &k.trouble {
        Some(Trouble::Unreachable(m) | Trouble::Unauthorized(m) | Trouble::Other(m)) => {
            Some(m.clone())
        }
        _ => None,
    });
    let message = message.or_else(|| {
        kinds.values().find_map(|k| match &k.trouble {
            Some(Trouble::Forbidden(m)) => Some(m.clone()),
            _ => None,
        })
    });
    let all_synced = !kinds.is_empty() && kinds.values().all(|k| k.synced || forbidden(k));
    let last_sync = if kinds.values().all(|k| k.ever_synced || forbidden(k)) {
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
    } else if all_synced && (!forbidden_kinds.is_empty() || !hidden.is_empty()) {
        ClusterState::Forbidden
    } else if all_synced {
        ClusterState::Synced
    } else {
        ClusterState::Connecting
    };
    Summary {
        state,
        message,
        forbidden_kinds,
        hidden_namespaces: hidden.into_iter().collect(),
        last_sync,
        last_event: kinds.values().filter_map(|k| k.last_event).max(),
        restarts,
        watches: kinds.len(),
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
        // No annotation the portal reads is long; a huge one would only cost memory.
        a.retain(|_, v| v.len() <= MAX_ANNOTATION_BYTES);
    }
}

/// Annotations longer than this are not kept.
pub const MAX_ANNOTATION_BYTES: usize = 4 * 1024;

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
trim_meta_only!(Service, Ingress, Namespace, Node, HorizontalPodAutoscaler);

/// Event text is free text from anyone who can create events: kept short.
impl Trim for Event {
    fn trim(&mut self) {
        trim_meta(self);
        self.message = self.message.take().map(app::model::clip);
        self.reason = self.reason.take().map(app::model::clip);
    }
}

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

/// A slim Pod never reads env, args or command off the wire (see `slim`). Its labels and
/// annotations are read by the index before the cache keeps the pod, and no view reads them: with
/// hundreds of thousands of pods they are dropped.
impl Trim for Pod {
    fn trim(&mut self) {
        let meta = &mut self.metadata;
        meta.managed_fields = None;
        meta.labels = None;
        meta.annotations = None;
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

/// What the index learns from an object of a watched kind.
pub trait Watched:
    Resource<DynamicType = ()> + Trim + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
    /// The index's kind (`None`: not mapped to services).
    const KIND: Option<Kind>;
    /// False for cluster-scoped kinds (Namespaces, Nodes).
    const NAMESPACED: bool = true;

    /// The API of one namespace (the whole cluster for cluster-scoped kinds).
    fn api_in(client: Client, namespace: &str) -> Api<Self>;

    /// Objects this one belongs to: owner references by default.
    fn links(&self) -> Vec<(Kind, String)> {
        self.meta()
            .owner_references
            .iter()
            .flatten()
            .filter_map(|o| Kind::from_api(&o.kind).map(|k| (k, o.name.clone())))
            .collect()
    }

    /// The replica count to keep a history of (autoscalers only).
    fn replicas_sample(&self) -> Option<i32> {
        None
    }

    /// The index's view of the object.
    fn fact(&self) -> Option<(ObjKey, Fact)> {
        let kind = Self::KIND?;
        let meta = self.meta();
        Some((
            ObjKey {
                kind,
                namespace: meta.namespace.clone().unwrap_or_default(),
                name: meta.name.clone().unwrap_or_default(),
            },
            Fact {
                labels: Arc::new(meta.labels.clone().unwrap_or_default()),
                links: self.links(),
                controlled: meta
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.controller == Some(true)),
            },
        ))
    }
}

macro_rules! watched {
    ($($t:ty => $k:expr),*) => { $(impl Watched for $t {
        const KIND: Option<Kind> = $k;
        fn api_in(client: Client, namespace: &str) -> Api<Self> { Api::namespaced(client, namespace) }
    })* };
}
watched!(
    Deployment => Some(Kind::Deployment),
    StatefulSet => Some(Kind::StatefulSet),
    DaemonSet => Some(Kind::DaemonSet),
    CronJob => Some(Kind::CronJob),
    ReplicaSet => Some(Kind::ReplicaSet),
    Job => Some(Kind::Job),
    Pod => Some(Kind::Pod),
    Service => Some(Kind::Service),
    Ingress => Some(Kind::Ingress)
);

impl Watched for HorizontalPodAutoscaler {
    const KIND: Option<Kind> = Some(Kind::HorizontalPodAutoscaler);
    fn replicas_sample(&self) -> Option<i32> {
        self.status.as_ref()?.current_replicas
    }
    fn api_in(client: Client, namespace: &str) -> Api<Self> {
        Api::namespaced(client, namespace)
    }
    fn links(&self) -> Vec<(Kind, String)> {
        self.spec
            .as_ref()
            .and_then(|s| {
                Kind::from_api(&s.scale_target_ref.kind)
                    .map(|k| (k, s.scale_target_ref.name.clone()))
            })
            .into_iter()
            .collect()
    }
}

impl Watched for Event {
    const KIND: Option<Kind> = Some(Kind::Event);
    fn api_in(client: Client, namespace: &str) -> Api<Self> {
        Api::namespaced(client, namespace)
    }
    fn links(&self) -> Vec<(Kind, String)> {
        let o = &self.involved_object;
        o.kind
            .as_deref()
            .and_then(Kind::from_api)
            .zip(o.name.clone())
            .into_iter()
            .collect()
    }
}

impl Watched for Namespace {
    const KIND: Option<Kind> = None;
    const NAMESPACED: bool = false;
    fn api_in(client: Client, _: &str) -> Api<Self> {
        Api::all(client)
    }
}

impl Watched for Node {
    const KIND: Option<Kind> = None;
    const NAMESPACED: bool = false;
    fn api_in(client: Client, _: &str) -> Api<Self> {
        Api::all(client)
    }
}

/// The caches of one kind: one reflector store for the whole cluster, or one per readable namespace.
pub struct Shards<K: Watched> {
    inner: Arc<RwLock<BTreeMap<Scope, Store<K>>>>,
}

impl<K: Watched> Clone for Shards<K> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Watched> Default for Shards<K> {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
        }
    }
}

impl<K: Watched> Shards<K> {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Scope, Store<K>>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert(&self, scope: Scope, store: Store<K>) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(scope, store);
    }

    fn remove(&self, scope: &Scope) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(scope);
    }

    /// Every cached object of the kind.
    pub fn state(&self) -> Vec<Arc<K>> {
        self.read().values().flat_map(|s| s.state()).collect()
    }

    /// One object by namespace and name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let key = ObjectRef::new(name).within(namespace);
        let shards = self.read();
        shards.get(&None).and_then(|s| s.get(&key)).or_else(|| {
            shards
                .get(&Some(namespace.to_string()))
                .and_then(|s| s.get(&key))
        })
    }

    /// How many objects are cached.
    pub fn len(&self) -> usize {
        self.read().values().map(|s| s.len()).sum()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cached objects of one cluster, by kind.
#[derive(Clone, Default)]
pub struct Stores {
    pub pods: Shards<Pod>,
    pub deployments: Shards<Deployment>,
    pub replicasets: Shards<ReplicaSet>,
    pub statefulsets: Shards<StatefulSet>,
    pub daemonsets: Shards<DaemonSet>,
    pub jobs: Shards<Job>,
    pub cronjobs: Shards<CronJob>,
    pub hpas: Shards<HorizontalPodAutoscaler>,
    pub services: Shards<Service>,
    pub ingresses: Shards<Ingress>,
    pub events: Shards<Event>,
    pub namespaces: Shards<Namespace>,
    pub nodes: Shards<Node>,
}

impl Stores {
    /// Objects cached per kind.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        [
            ("pods", self.pods.len()),
            ("deployments", self.deployments.len()),
            ("replicasets", self.replicasets.len()),
            ("statefulsets", self.statefulsets.len()),
            ("daemonsets", self.daemonsets.len()),
            ("jobs", self.jobs.len()),
            ("cronjobs", self.cronjobs.len()),
            ("horizontalpodautoscalers", self.hpas.len()),
            ("services", self.services.len()),
            ("ingresses", self.ingresses.len()),
            ("events", self.events.len()),
            ("namespaces", self.namespaces.len()),
            ("nodes", self.nodes.len()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// A watched cluster: its config, caches, status, service index and the tasks that keep them.
pub struct ClusterWatch {
    pub cluster: Cluster,
    pub stores: Stores,
    pub status: Arc<WatchStatus>,
    pub index: Arc<ClusterIndex>,
    /// The last hour of each autoscaler's replica count.
    pub history: Arc<ReplicaHistory>,
    /// The region learnt from the Nodes, with the node count and time it was worked out at.
    learnt_region: std::sync::Mutex<Option<(usize, std::time::Instant, String)>>,
    tasks: Vec<JoinHandle<()>>,
}

/// How long a region learnt from Node labels is trusted while the number of Nodes stays the same.
const REGION_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl Drop for ClusterWatch {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What every reflector of one cluster shares.
struct Ctx {
    client: Client,
    status: Arc<WatchStatus>,
    index: Arc<ClusterIndex>,
    history: Arc<ReplicaHistory>,
    /// The configured namespace allow-list (empty: the whole cluster).
    allow: Vec<String>,
    namespaces: Shards<Namespace>,
}

/// Retry delays after a failed watch: quick at first, at most every 10 s.
const MIN_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A namespace the identity may not read is tried again this often (RBAC may change).
const FORBIDDEN_RETRY: Duration = Duration::from_secs(15);
/// How often per-namespace watches look for new namespaces.
const NAMESPACE_RESCAN: Duration = Duration::from_secs(30);

/// Starts the reflectors of one kind and returns their caches.
fn spawn_kind<K: Watched>(
    ctx: &Arc<Ctx>,
    kind: &'static str,
    config: watcher::Config,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Shards<K> {
    let shards = Shards::default();
    let task = supervise::<K>(ctx.clone(), kind, config, shards.clone());
    tasks.push(tokio::spawn(task));
    shards
}

/// Watches a kind cluster-wide; where that is forbidden, watches each readable namespace instead.
async fn supervise<K: Watched>(
    ctx: Arc<Ctx>,
    kind: &'static str,
    config: watcher::Config,
    shards: Shards<K>,
) {
    if K::NAMESPACED && !ctx.allow.is_empty() {
        per_namespace::<K>(ctx.clone(), kind, config, shards, None).await;
        return;
    }
    ctx.status.update(kind, &None, |_| {});
    let (reader, writer) = reflector::store();
    shards.insert(None, reader);
    let api: Api<K> = Api::all(ctx.client.clone());
    let fallback = K::NAMESPACED;
    run_watch(&ctx, kind, None, api, config.clone(), writer, fallback).await;
    // Only reached when a namespaced kind may not be listed cluster-wide.
    shards.remove(&None);
    if let Some(k) = K::KIND {
        ctx.index.replace(k, None, Vec::new());
    }
    tracing::info!(
        kind,
        "may not list cluster-wide: watching each readable namespace instead"
    );
    per_namespace::<K>(ctx, kind, config, shards, Some(())).await;
}

/// One reflector per namespace: the allow-list, else every namespace the cluster lists (rescanned
/// now and then); `after_forbidden` says the cluster-wide watch was refused.
async fn per_namespace<K: Watched>(
    ctx: Arc<Ctx>,
    kind: &'static str,
    config: watcher::Config,
    shards: Shards<K>,
    after_forbidden: Option<()>,
) {
    let mut running: BTreeMap<String, JoinHandle<()>> = BTreeMap::new();
    struct AbortAll<'a>(&'a mut BTreeMap<String, JoinHandle<()>>);
    impl Drop for AbortAll<'_> {
        fn drop(&mut self) {
            for t in self.0.values() {
                t.abort();
            }
        }
    }
    let running = AbortAll(&mut running);
    loop {
        let wanted: Vec<String> = if !ctx.allow.is_empty() {
            ctx.allow.clone()
        } else {
            let summary = ctx.status.summary();
            let namespaces_readable = !summary.forbidden_kinds.iter().any(|k| k == "namespaces");
            let listed: Vec<String> = ctx
                .namespaces
                .state()
                .iter()
                .filter_map(|n| n.metadata.name.clone())
                .collect();
            if listed.is_empty() && !namespaces_readable {
                if ctx.status.update(kind, &None, |k| {
                    k.synced = false;
                    k.trouble = Some(Trouble::Forbidden(format!(
                        "may not list {kind} cluster-wide nor list namespaces: name the namespaces to watch under clusters[].namespaces"
                    )));
                }) {
                    ctx.index.status_changed();
                }
            } else if !listed.is_empty() && after_forbidden.is_some() {
                ctx.status.remove(kind, &None);
            }
            listed
        };
        for ns in &wanted {
            if running.0.contains_key(ns) {
                continue;
            }
            let scope = Some(ns.clone());
            ctx.status.update(kind, &scope, |_| {});
            let (reader, writer) = reflector::store();
            shards.insert(scope.clone(), reader);
            let api = K::api_in(ctx.client.clone(), ns);
            let (c, cfg) = (ctx.clone(), config.clone());
            running.0.insert(
                ns.clone(),
                tokio::spawn(async move {
                    run_watch(&c, kind, scope, api, cfg, writer, false).await;
                }),
            );
        }
        // Namespaces that went away.
        let gone: Vec<String> = running
            .0
            .keys()
            .filter(|n| !wanted.contains(n))
            .cloned()
            .collect();
        for ns in gone {
            if let Some(t) = running.0.remove(&ns) {
                t.abort();
            }
            let scope = Some(ns.clone());
            shards.remove(&scope);
            ctx.status.remove(kind, &scope);
            if let Some(k) = K::KIND {
                ctx.index.replace(k, Some(&ns), Vec::new());
            }
        }
        if !ctx.allow.is_empty() {
            // A fixed list: nothing to rescan.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(if wanted.is_empty() {
            Duration::from_secs(1)
        } else {
            NAMESPACE_RESCAN
        })
        .await;
    }
}

/// Records an autoscaler's replica count in the cluster's history.
fn sample<K: Watched>(ctx: &Ctx, o: &K, now: jiff::Timestamp) {
    if let Some(r) = o.replicas_sample() {
        let m = o.meta();
        ctx.history.record(
            m.namespace.as_deref().unwrap_or_default(),
            m.name.as_deref().unwrap_or_default(),
            r,
            now.as_second(),
        );
    }
}

/// True once the watch of `kind` in `scope` has synced at least once.
fn reader_synced(status: &WatchStatus, kind: &'static str, scope: &Scope) -> bool {
    status
        .kinds
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&(kind, scope.clone()))
        .is_some_and(|k| k.ever_synced)
}

/// Runs one reflector until the task is dropped, recreating the watcher after errors. Returns only
/// when `stop_if_forbidden` and the apiserver refuses the list before it ever synced.
async fn run_watch<K: Watched>(
    ctx: &Ctx,
    kind: &'static str,
    scope: Scope,
    api: Api<K>,
    config: watcher::Config,
    mut writer: reflector::store::Writer<K>,
    stop_if_forbidden: bool,
) {
    let status = &ctx.status;
    let changed = |did: bool| {
        if did {
            ctx.index.status_changed();
        }
    };
    let mut backoff = MIN_BACKOFF;
    loop {
        // A fresh watcher after any error: it relists, so a recovery is always seen as a sync.
        // (A stream the apiserver merely closes is resumed inside the watcher, without a relist.)
        let stream = watcher(api.clone(), config.clone());
        let mut stream = std::pin::pin!(stream);
        let mut delay = backoff;
        // What the index learns of a relist, gathered until it is complete.
        let mut relisted: Vec<(ObjKey, Fact)> = Vec::new();
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => {
                    // The index reads the whole object (labels included); the cache keeps it
                    // trimmed.
                    let fact = match &event {
                        watcher::Event::Apply(o) => o.fact(),
                        watcher::Event::InitApply(o) => {
                            relisted.extend(o.fact());
                            None
                        }
                        watcher::Event::Init => {
                            relisted.clear();
                            None
                        }
                        _ => None,
                    };
                    let event = event.modify(Trim::trim);
                    writer.apply_watcher_event(&event);
                    let now = jiff::Timestamp::now();
                    match &event {
                        watcher::Event::InitDone => {
                            backoff = MIN_BACKOFF;
                            if let Some(k) = K::KIND {
                                ctx.index.replace(
                                    k,
                                    scope.as_deref(),
                                    std::mem::take(&mut relisted),
                                );
                            }
                            changed(status.update(kind, &scope, |k| {
                                k.synced = true;
                                k.ever_synced = true;
                                k.trouble = None;
                                k.last_sync = Some(now);
                            }));
                        }
                        watcher::Event::Init => {
                            status.update(kind, &scope, |k| {
                                if k.ever_synced {
                                    k.restarts += 1;
                                }
                            });
                        }
                        watcher::Event::InitApply(o) => sample(ctx, o, now),
                        watcher::Event::Apply(o) => {
                            sample(ctx, o, now);
                            if let Some((key, fact)) = fact {
                                ctx.index.apply(key, fact);
                            }
                            status.update(kind, &scope, |k| {
                                k.last_event = Some(now);
                                if k.synced {
                                    k.last_sync = Some(now);
                                }
                            });
                        }
                        watcher::Event::Delete(o) => {
                            if o.replicas_sample().is_some() {
                                let m = o.meta();
                                ctx.history.remove(
                                    m.namespace.as_deref().unwrap_or_default(),
                                    m.name.as_deref().unwrap_or_default(),
                                );
                            }
                            if let Some((key, _)) = o.fact() {
                                ctx.index.delete(&key);
                            }
                            status.update(kind, &scope, |k| {
                                k.last_event = Some(now);
                                if k.synced {
                                    k.last_sync = Some(now);
                                }
                            });
                        }
                    }
                }
                Err(watcher::Error::WatchError(s)) if s.code == 410 => {
                    // The history was compacted past our resourceVersion: an ordinary relist, not
                    // trouble. The cached data stays valid until the new list replaces it.
                    tracing::debug!(kind, "watch expired (410): relisting");
                    delay = Duration::ZERO;
                    backoff = Duration::ZERO;
                    break;
                }
                Err(e) => {
                    let trouble = classify(&e);
                    let forbidden = matches!(trouble, Trouble::Forbidden(_));
                    if forbidden && stop_if_forbidden && !reader_synced(status, kind, &scope) {
                        // The caller falls back to per-namespace watches; until they run, this
                        // kind counts as not yet attempted (so `/readyz` waits for them).
                        return;
                    }
                    changed(status.update(kind, &scope, |k| {
                        // Said once per change of trouble, not on every retry.
                        if k.trouble.as_ref() != Some(&trouble) {
                            tracing::warn!(kind, namespace = scope.as_deref(), "watch failed: {e}");
                        } else {
                            tracing::debug!(kind, "watch failed again: {e}");
                        }
                        if k.synced {
                            k.last_sync = Some(jiff::Timestamp::now());
                        }
                        k.synced = false;
                        k.trouble = Some(trouble);
                    }));
                    if forbidden {
                        delay = FORBIDDEN_RETRY;
                    }
                    break;
                }
            }
        }
        tokio::time::sleep(delay.max(backoff)).await;
        backoff = (backoff * 2).clamp(MIN_BACKOFF, MAX_BACKOFF);
    }
}

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
    // kube retries 429/503/504 itself, up to 15 times with a backoff that grows to minutes, and
    // the watch looks healthy all the while. The watch loop retries instead (0.5 s to 10 s), and
    // the cluster shows as stale with the apiserver's answer in the meantime.
    config.default_retry = false;
    Client::try_from(config).map_err(|e| format!("cannot build a client: {e}"))
}

impl ClusterWatch {
    /// Starts one reflector per kind (per kind and namespace where that is all the identity may
    /// read). A client that cannot be built leaves the cluster unreachable with the reason.
    pub async fn start(cluster: Cluster, index: Arc<ClusterIndex>) -> Self {
        let status = Arc::new(WatchStatus::default());
        let history = Arc::new(ReplicaHistory::default());
        let mut tasks = Vec::new();
        let client = match client_for(&cluster).await {
            Ok(c) => c,
            Err(message) => {
                tracing::error!(cluster = %cluster.name, "{message}");
                status.update("client", &None, |k| {
                    k.trouble = Some(Trouble::Unreachable(message))
                });
                return Self {
                    cluster,
                    stores: Stores::default(),
                    status,
                    index,
                    history,
                    learnt_region: Default::default(),
                    tasks,
                };
            }
        };
        let namespaces = Shards::default();
        let ctx = Arc::new(Ctx {
            client,
            status: status.clone(),
            index: index.clone(),
            history: history.clone(),
            allow: cluster.namespaces.clone(),
            namespaces: namespaces.clone(),
        });
        let all = watcher::Config::default;
        let t = &mut tasks;
        let stores = Stores {
            namespaces: {
                let task =
                    supervise::<Namespace>(ctx.clone(), "namespaces", all(), namespaces.clone());
                t.push(tokio::spawn(task));
                namespaces
            },
            pods: spawn_kind(&ctx, "pods", all(), t),
            deployments: spawn_kind(&ctx, "deployments", all(), t),
            replicasets: spawn_kind(&ctx, "replicasets", all(), t),
            statefulsets: spawn_kind(&ctx, "statefulsets", all(), t),
            daemonsets: spawn_kind(&ctx, "daemonsets", all(), t),
            jobs: spawn_kind(&ctx, "jobs", all(), t),
            cronjobs: spawn_kind(&ctx, "cronjobs", all(), t),
            hpas: spawn_kind(&ctx, "horizontalpodautoscalers", all(), t),
            services: spawn_kind(&ctx, "services", all(), t),
            ingresses: spawn_kind(&ctx, "ingresses", all(), t),
            events: spawn_kind(&ctx, "events", all().fields("type=Warning"), t),
            nodes: spawn_kind(&ctx, "nodes", all(), t),
        };
        Self {
            cluster,
            stores,
            status,
            index,
            history,
            learnt_region: Default::default(),
            tasks,
        }
    }

    /// The region: configured, else the one most Nodes carry.
    pub fn region(&self) -> String {
        if let Some(r) = &self.cluster.region {
            return r.clone();
        }
        // Every page asks, and a cluster may have thousands of Nodes: count them rarely.
        let nodes = self.stores.nodes.len();
        let mut learnt = self
            .learnt_region
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((n, at, r)) = learnt.as_ref() {
            if *n == nodes && at.elapsed() < REGION_TTL {
                return r.clone();
            }
        }
        let r = self.region_from_nodes();
        *learnt = Some((nodes, std::time::Instant::now(), r.clone()));
        r
    }

    fn region_from_nodes(&self) -> String {
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
        let s = self.status.summary();
        ClusterStatus {
            name: self.cluster.name.clone(),
            title: self.cluster.title.clone(),
            region: self.region(),
            environment: self.cluster.environment.clone(),
            state: s.state,
            last_sync: s.last_sync.map(rfc3339),
            sync_age_seconds: s.last_sync.map(age_seconds),
            last_error: s.message,
            forbidden_kinds: s.forbidden_kinds,
            hidden_namespaces: s.hidden_namespaces,
            objects: self.stores.counts(),
            watch_restarts: s.restarts,
            dashboard_url: self.dashboard_url(None),
        }
    }

    /// The cluster's dashboard link, for the cluster or for one object (`{cluster}`, `{namespace}`,
    /// `{kind}`, `{name}` filled in; percent-encoded).
    pub fn dashboard_url(&self, object: Option<(&str, &str, &str)>) -> Option<String> {
        let template = self.cluster.dashboard_url.as_ref()?;
        let (kind, namespace, name) = object.unwrap_or(("", "", ""));
        let enc = app::model::encode_component;
        Some(
            template
                .replace("{cluster}", &enc(&self.cluster.name))
                .replace("{namespace}", &enc(namespace))
                .replace("{kind}", &enc(kind))
                .replace("{name}", &enc(name)),
        )
    }
}

/// A timestamp as the API shows it.
pub fn rfc3339(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Whole seconds since `t`.
pub fn age_seconds(t: jiff::Timestamp) -> i64 {
    (jiff::Timestamp::now().as_second() - t.as_second()).max(0)
}
