//! One watch per (cluster, kind), shared by every viewer: kube-runtime reflectors over trimmed
//! objects, a status that says how fresh each cluster's data is, and the supervisor that keeps
//! the watches running.
//!
//! - [`status`]: the state machine behind every cluster badge;
//! - [`trim`]: what the caches keep of an object;
//! - [`kinds`]: the kinds watched and what the index learns from each;
//! - [`stores`]: the caches;
//! - [`client`]: the kube client, from typed configuration;
//! - [`supervise`]: the watch loops and their supervisor.

pub mod client;
pub mod custom;
pub mod kinds;
pub mod status;
pub mod stores;
pub mod supervise;
pub mod trim;

use super::config::Cluster;
use super::history::ReplicaHistory;
use super::index::ClusterIndex;
use super::usage::Usage;
use app::model::ClusterStatus;
use kube::runtime::watcher;
use std::collections::BTreeMap;
use std::sync::Arc;
use supervise::{kind_task, kind_task_into, supervise, Control, Ctx};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use client::{client_for, ClientError};
pub use status::{Summary, Trouble, WatchStatus};
pub use stores::{Shards, Stores};
pub use trim::{Trim, MAX_ANNOTATION_BYTES};

/// A watched cluster: its config, caches, status, service index and the tasks that keep them.
pub struct ClusterWatch {
    pub cluster: Cluster,
    pub stores: Stores,
    pub status: Arc<WatchStatus>,
    pub index: Arc<ClusterIndex>,
    /// The last hour of each autoscaler's replica count.
    pub history: Arc<ReplicaHistory>,
    /// The client the watches use, for the reads a user asks for (pod logs); `None` when it could
    /// not be built.
    pub client: Option<kube::Client>,
    /// At most [`crate::clusters::logs::MAX_PER_CLUSTER`] log reads at once.
    pub log_slots: Arc<tokio::sync::Semaphore>,
    /// The latest resource usage of its pods (metrics.k8s.io), read by one poller.
    pub usage: Arc<Usage>,
    /// What its identity may do, checked at start and every 10 minutes.
    pub permissions: Arc<crate::clusters::permissions::Permissions>,
    /// The region learnt from the Nodes, with the node count and time it was worked out at.
    learnt_region: std::sync::Mutex<Option<(usize, std::time::Instant, String)>>,
    /// Orders for the supervisor; closing it (dropping the watch) stops it.
    control: Option<mpsc::UnboundedSender<Control>>,
    /// The supervisor, which owns every task of the cluster.
    supervisor: Option<JoinHandle<()>>,
}

/// How long a region learnt from Node labels is trusted while the number of Nodes stays the same.
const REGION_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl Drop for ClusterWatch {
    fn drop(&mut self) {
        if let Some(t) = &self.supervisor {
            t.abort();
        }
    }
}

impl ClusterWatch {
    /// Starts one reflector per kind (per kind and namespace where that is all the identity may
    /// read). A client that cannot be built leaves the cluster unreachable with the reason.
    pub async fn start(cluster: Cluster, index: Arc<ClusterIndex>) -> Self {
        let status = Arc::new(WatchStatus::default());
        let history = Arc::new(ReplicaHistory::default());
        let client = match client_for(&cluster).await {
            Ok(c) => c,
            Err(e) => {
                let message = e.to_string();
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
                    client: None,
                    log_slots: crate::clusters::logs::slots(),
                    usage: Arc::default(),
                    permissions: Arc::default(),
                    learnt_region: Default::default(),
                    control: None,
                    supervisor: None,
                };
            }
        };
        let namespaces = Shards::default();
        let ctx = Arc::new(Ctx {
            cluster: cluster.name.clone(),
            client: client.clone(),
            status: status.clone(),
            index: index.clone(),
            history: history.clone(),
            allow: cluster.namespaces.clone(),
            namespaces: namespaces.clone(),
        });
        let all = watcher::Config::default;
        let mut tasks = Vec::new();
        let t = &mut tasks;
        let stores = Stores {
            // The per-namespace fallback reads the namespaces' cache through `ctx`.
            namespaces: kind_task_into(&ctx, "namespaces", all(), namespaces, t),
            pods: kind_task(&ctx, "pods", all(), t),
            deployments: kind_task(&ctx, "deployments", all(), t),
            replicasets: kind_task(&ctx, "replicasets", all(), t),
            statefulsets: kind_task(&ctx, "statefulsets", all(), t),
            daemonsets: kind_task(&ctx, "daemonsets", all(), t),
            jobs: kind_task(&ctx, "jobs", all(), t),
            cronjobs: kind_task(&ctx, "cronjobs", all(), t),
            hpas: kind_task(&ctx, "horizontalpodautoscalers", all(), t),
            services: kind_task(&ctx, "services", all(), t),
            ingresses: kind_task(&ctx, "ingresses", all(), t),
            pdbs: kind_task(&ctx, "poddisruptionbudgets", all(), t),
            rollouts: kind_task(&ctx, "rollouts", all(), t),
            scaledobjects: kind_task(&ctx, "scaledobjects", all(), t),
            scaledjobs: kind_task(&ctx, "scaledjobs", all(), t),
            events: kind_task(&ctx, "events", all().fields("type=Warning"), t),
            nodes: kind_task(&ctx, "nodes", all(), t),
            custom: cluster
                .custom_resources
                .iter()
                .zip(0..)
                .map(|(r, n)| custom::task(&ctx, n, r, t))
                .collect(),
        };
        // Resource usage: one poller, supervised like the watches.
        let usage = Arc::new(Usage::default());
        {
            let (client, index, usage) = (client.clone(), index.clone(), usage.clone());
            let known = stores.namespaces.clone();
            let (name, allow, every) = (
                cluster.name.clone(),
                cluster.namespaces.clone(),
                cluster.metrics_every,
            );
            tasks.push(supervise::Task {
                kind: "metrics",
                start: Box::new(move || {
                    Box::pin(super::usage::poll(
                        client.clone(),
                        index.clone(),
                        usage.clone(),
                        name.clone(),
                        allow.clone(),
                        known.clone(),
                        every,
                    ))
                }),
            });
        }
        // Its rights: one access review per right, now and every 10 minutes, supervised.
        let permissions = Arc::new(crate::clusters::permissions::Permissions::default());
        {
            let (client, permissions, name) =
                (client.clone(), permissions.clone(), cluster.name.clone());
            let custom: Vec<(&'static str, &'static str)> = cluster
                .custom_resources
                .iter()
                .map(|r| (custom::interned(&r.group), custom::interned(&r.plural)))
                .collect();
            tasks.push(supervise::Task {
                kind: "permissions",
                start: Box::new(move || {
                    Box::pin(crate::clusters::permissions::poll(
                        client.clone(),
                        permissions.clone(),
                        name.clone(),
                        custom.clone(),
                        crate::clusters::permissions::CHECK_EVERY,
                    ))
                }),
            });
        }
        let (control, orders) = mpsc::unbounded_channel();
        let supervisor = tokio::spawn(supervise(
            cluster.name.clone(),
            status.clone(),
            index.clone(),
            tasks,
            orders,
        ));
        Self {
            cluster,
            stores,
            status,
            index,
            history,
            client: Some(client),
            log_slots: crate::clusters::logs::slots(),
            usage,
            permissions,
            learnt_region: Default::default(),
            control: Some(control),
            supervisor: Some(supervisor),
        }
    }

    /// Stops the watch task of `kind` as if it had died: the supervisor marks the cluster stale
    /// and starts the task again. For tests of the supervision; nothing else calls it.
    #[doc(hidden)]
    pub fn kill_watch_task(&self, kind: &'static str) {
        self.order(Control::Kill(kind));
    }

    /// Holds the supervisor's restarts (true) until released (false). For tests of the
    /// supervision; nothing else calls it.
    #[doc(hidden)]
    pub fn hold_restarts(&self, hold: bool) {
        self.order(Control::Hold(hold));
    }

    fn order(&self, order: Control) {
        if let Some(c) = &self.control {
            let _ = c.send(order);
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
            last_sync: s.last_sync.map(crate::time::rfc3339),
            sync_age_seconds: s.last_sync.map(crate::time::age_seconds),
            last_change: s.last_change().map(crate::time::rfc3339),
            change_age_seconds: s.last_change().map(crate::time::age_seconds),
            last_error: s.message,
            forbidden_kinds: s.forbidden_kinds,
            hidden_namespaces: s.hidden_namespaces,
            objects: self.stores.counts(),
            watch_restarts: s.restarts,
            dashboard_url: self.dashboard_url(None),
            metrics: self.usage.state().words(),
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
