//! The watched fleet: every cluster's watches, the shared object → service mapping, the change
//! feed pages subscribe to, and what each service's views were computed from (its version).

use super::config;
use super::index::{Change, ClusterIndex, Mapper};
use super::watch::ClusterWatch;
use app::model::{ClusterStatus, KubernetesSelector};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use tokio::sync::broadcast;

/// How many changes an SSE subscriber may fall behind before it is told to refresh everything.
const CHANGE_BUFFER: usize = 4096;

/// How often each service changed, and how often anything every service shows changed (a cluster's
/// status, or a lagging change feed): what a cached view of a service was computed from.
#[derive(Default)]
struct Versions {
    epoch: u64,
    services: HashMap<Arc<str>, u64>,
}

/// Every watched cluster, the shared catalog mapping and the change feed pages subscribe to.
pub struct Fleet {
    /// The watched clusters, in configuration order; replaced whole when the configuration is
    /// reloaded ([`Fleet::reconcile`]).
    clusters: RwLock<Arc<Vec<Arc<ClusterWatch>>>>,
    /// Counts reconfigurations, so nothing cached survives a cluster being swapped for another.
    reconfigured: std::sync::atomic::AtomicU64,
    mapper: Arc<RwLock<Arc<Mapper>>>,
    changes: broadcast::Sender<Change>,
    versions: Arc<Mutex<Versions>>,
    placements: Mutex<Option<(PlacementKey, Arc<Placements>)>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Where every running service runs, by service name.
pub type Placements = BTreeMap<String, Placement>;

/// What [`Fleet::placements`] depends on: the mapper, each cluster's set of services and region.
type PlacementKey = (usize, u64, Vec<(u64, String)>);

impl Default for Fleet {
    fn default() -> Self {
        Self {
            clusters: RwLock::default(),
            reconfigured: std::sync::atomic::AtomicU64::new(0),
            mapper: Arc::default(),
            changes: broadcast::channel(CHANGE_BUFFER).0,
            versions: Arc::default(),
            placements: Mutex::default(),
            tasks: Vec::new(),
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Where one service runs: its clusters and regions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    pub clusters: BTreeSet<String>,
    pub regions: BTreeSet<String>,
    /// No catalog descriptor defines it.
    pub discovered: bool,
    /// A namespace it was found in (for discovered services).
    pub namespace: Option<String>,
}

impl Fleet {
    /// Starts watching every cluster, mapping objects to the catalog's services from the first event;
    /// each cluster's trouble stays its own.
    pub async fn start(
        clusters: Vec<config::Cluster>,
        services: &[(String, KubernetesSelector)],
    ) -> Self {
        let mut fleet = Self::default();
        // Every change moves the version of what it touched: views computed before are not used.
        let (versions, mut rx) = (fleet.versions.clone(), fleet.changes.subscribe());
        fleet.tasks.push(tokio::spawn(async move {
            loop {
                let change = rx.recv().await;
                let mut versions = versions.lock().unwrap_or_else(PoisonError::into_inner);
                match change {
                    Ok(Change::Objects { services, .. }) => {
                        for s in services.iter() {
                            *versions.services.entry(s.clone()).or_default() += 1;
                        }
                    }
                    Ok(Change::Status { .. }) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        versions.epoch += 1;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }));
        fleet.set_mapper(services);
        let mut out = Vec::new();
        for c in clusters {
            let index = Arc::new(ClusterIndex::new(
                &c.name,
                fleet.mapper.clone(),
                fleet.changes.clone(),
            ));
            out.push(Arc::new(ClusterWatch::start(c, index).await));
        }
        *fleet
            .clusters
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(out);
        fleet
    }

    /// The watched clusters, in configuration order (a snapshot: a reload does not change it).
    pub fn clusters(&self) -> Arc<Vec<Arc<ClusterWatch>>> {
        self.clusters
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The watch of the cluster named `name`, if it is configured.
    pub fn cluster(&self, name: &str) -> Option<Arc<ClusterWatch>> {
        self.clusters()
            .iter()
            .find(|c| c.cluster.name == name)
            .cloned()
    }

    /// Watches exactly `wanted` from now on: clusters whose configuration is unchanged keep their
    /// watches and caches, new ones start, removed or changed ones stop. Every open page hears of
    /// it. Returns the names added and removed (a changed cluster is in both).
    pub async fn reconcile(&self, wanted: Vec<config::Cluster>) -> (Vec<String>, Vec<String>) {
        let current = self.clusters();
        let mut next = Vec::with_capacity(wanted.len());
        let mut added = Vec::new();
        for c in wanted {
            match current.iter().find(|w| w.cluster == c) {
                Some(kept) => next.push(kept.clone()),
                None => {
                    added.push(c.name.clone());
                    let index = Arc::new(ClusterIndex::new(
                        &c.name,
                        self.mapper.clone(),
                        self.changes.clone(),
                    ));
                    next.push(Arc::new(ClusterWatch::start(c, index).await));
                }
            }
        }
        let removed: Vec<String> = current
            .iter()
            .filter(|w| !next.iter().any(|n| Arc::ptr_eq(n, w)))
            .map(|w| w.cluster.name.clone())
            .collect();
        if added.is_empty() && removed.is_empty() {
            return (added, removed);
        }
        *self
            .clusters
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        self.reconfigured
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for name in removed.iter().chain(&added) {
            let _ = self.changes.send(Change::Status {
                cluster: Arc::from(name.as_str()),
            });
        }
        (added, removed)
    }

    fn set_mapper(&self, services: &[(String, KubernetesSelector)]) {
        let (mapper, errors) = Mapper::new(services);
        for e in errors {
            tracing::warn!("catalog: {e}; the service is not mapped to cluster objects");
        }
        *self.mapper.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(mapper);
    }

    /// The catalog changed: remaps every cached object and announces what moved.
    pub fn set_catalog(&self, services: &[(String, KubernetesSelector)]) {
        self.set_mapper(services);
        for c in self.clusters().iter() {
            c.index.rebuild();
        }
    }

    /// Changes when anything `service`'s views show may have changed: its objects, or any cluster's
    /// status. Read it before computing a view to cache, and compare before using the view.
    pub fn version_of(&self, service: &str) -> (u64, u64) {
        let v = self.versions.lock().unwrap_or_else(PoisonError::into_inner);
        (v.epoch, v.services.get(service).copied().unwrap_or(0))
    }

    /// A feed of changes: which services' objects changed in which cluster, and cluster status.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// How many live streams are open.
    pub fn subscribers(&self) -> usize {
        self.changes.receiver_count()
    }

    /// Stops every cluster's watches (their supervisors and tasks) at once; `main` calls it on
    /// shutdown.
    pub fn shutdown(&self) {
        *self
            .clusters
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::default();
    }

    /// Every cluster's status, in configuration order.
    pub fn statuses(&self) -> Vec<ClusterStatus> {
        self.clusters().iter().map(|c| c.view()).collect()
    }

    /// True once every cluster's watches have synced or failed at least once.
    pub fn ready(&self) -> bool {
        self.clusters().iter().all(|c| c.status.attempted())
    }

    /// The region of each cluster.
    pub fn regions(&self) -> BTreeMap<String, String> {
        self.clusters()
            .iter()
            .map(|c| (c.cluster.name.clone(), c.region()))
            .collect()
    }

    /// True when some cluster runs `service`.
    pub fn runs(&self, service: &str) -> bool {
        self.clusters().iter().any(|c| c.index.runs(service))
    }

    /// Where every running service runs, described or discovered. Kept until a service appears or
    /// leaves somewhere, a region is learnt or the catalog changes.
    pub fn placements(&self) -> Arc<Placements> {
        let mapper = self
            .mapper
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let key: PlacementKey = (
            Arc::as_ptr(&mapper) as usize,
            self.reconfigured.load(std::sync::atomic::Ordering::Relaxed),
            self.clusters()
                .iter()
                .map(|c| (c.index.generation(), c.region()))
                .collect(),
        );
        let mut cached = self
            .placements
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((k, p)) = cached.as_ref() {
            if *k == key {
                return p.clone();
            }
        }
        let fresh = Arc::new(self.compute_placements(&mapper));
        *cached = Some((key, fresh.clone()));
        fresh
    }

    fn compute_placements(&self, mapper: &Mapper) -> Placements {
        let mut out: Placements = BTreeMap::new();
        for c in self.clusters().iter() {
            let region = c.region();
            for s in c.index.running_services() {
                let p = out.entry(s.to_string()).or_default();
                p.clusters.insert(c.cluster.name.clone());
                p.regions.insert(region.clone());
                p.discovered = !mapper.is_described(&s);
                if p.discovered && p.namespace.is_none() {
                    p.namespace = c.index.objects_of(&s).first().map(|k| k.namespace.clone());
                }
            }
        }
        out
    }
}
