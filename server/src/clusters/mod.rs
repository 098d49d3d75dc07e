//! Clusters: configuration, one shared watch per (cluster, kind), the object → service index,
//! and the views built from them.

pub mod config;
pub mod index;
pub mod slim;
pub mod view;
pub mod watch;

use crate::health::Thresholds;
use app::model::{
    AutoscalerView, ClusterStatus, Finding, FixedWorkload, HealthSummary, KubernetesSelector,
    Rollout, ServiceCluster, Spread, WeekCount,
};
use index::{Change, ClusterIndex, Mapper};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use tokio::sync::broadcast;
pub use watch::ClusterWatch;

/// How many changes an SSE subscriber may fall behind before it is told to refresh everything.
const CHANGE_BUFFER: usize = 4096;

/// A service's findings are kept until a change touches the service, the clock alone would change
/// them (`health::Clock::until`: `pending-too-long` and the like move on without events), or they
/// are this old.
const HEALTH_MAX_AGE_SECONDS: i64 = 60;

/// Findings per service, for the catalog's health column and the fleet's error list.
#[derive(Default)]
struct HealthCache {
    /// (version it was computed at, second it holds until, findings, summary).
    #[allow(clippy::type_complexity)]
    entries: HashMap<String, ((u64, u64), i64, Arc<Vec<Finding>>, HealthSummary)>,
}

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
    thresholds: Thresholds,
    health: Arc<Mutex<HealthCache>>,
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
            thresholds: Thresholds::default(),
            health: Arc::default(),
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

/// Everything the service page and `GET /api/v1/services/{name}` show of a service's clusters.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub clusters: Vec<ServiceCluster>,
    pub errors: Vec<Finding>,
    pub autoscalers: Vec<AutoscalerView>,
    pub fixed: Vec<FixedWorkload>,
    pub spread: Spread,
    pub rollouts: Vec<Rollout>,
    pub deploys_per_week: Vec<WeekCount>,
    pub health: HealthSummary,
    /// The first second (Unix time) at which the clock alone may change any of it (a finding's
    /// window passing, an age in a message, a week's edge); `i64::MAX` when none.
    pub until: i64,
}

/// Findings and autoscalers in brief.
fn summarize(errors: &[Finding], autoscalers: &[AutoscalerView]) -> HealthSummary {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in errors {
        *counts.entry(f.severity.id().to_string()).or_default() += 1;
    }
    HealthSummary {
        worst: errors.iter().map(|f| f.severity).min(),
        counts,
        scaling: autoscalers.iter().map(|a| a.status).min(),
    }
}

/// Deploys per week over the last 4 weeks: each (deployment, images) counted once, at its first
/// appearance in any cluster.
fn deploys_per_week(rollouts: &[Rollout], clock: &crate::health::Clock) -> Vec<WeekCount> {
    let now = clock.now();
    let mut first: BTreeMap<(String, Vec<String>), jiff::Timestamp> = BTreeMap::new();
    for r in rollouts {
        for rev in &r.revisions {
            if let Some(t) = rev
                .created
                .as_deref()
                .and_then(|c| c.parse::<jiff::Timestamp>().ok())
            {
                let e = first
                    .entry((r.deployment.clone(), rev.images.clone()))
                    .or_insert(t);
                *e = (*e).min(t);
            }
        }
    }
    let week = jiff::SignedDuration::from_hours(24 * 7);
    // The weeks' first days change at midnight (UTC); a count, when a deploy crosses a week's edge.
    const DAY: i64 = 86_400;
    clock.note((now.as_second().div_euclid(DAY) + 1) * DAY);
    for t in first.values() {
        if let Some(edge) = (0..=4).map(|k| *t + week * k).find(|e| *e > now) {
            clock.note(edge.as_second());
        }
    }
    (0..4)
        .rev()
        .map(|i| {
            let end = now - week * i;
            let start = end - week;
            WeekCount {
                week_start: start.strftime("%Y-%m-%d").to_string(),
                count: first.values().filter(|t| **t > start && **t <= end).count(),
            }
        })
        .collect()
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
        Self::start_with(clusters, services, Thresholds::default()).await
    }

    /// [`Fleet::start`] with the rules' thresholds.
    pub async fn start_with(
        clusters: Vec<config::Cluster>,
        services: &[(String, KubernetesSelector)],
        thresholds: Thresholds,
    ) -> Self {
        let mut fleet = Self::default();
        fleet.thresholds = thresholds;
        // Findings stay cached until a change touches their service.
        let (cache, versions, mut rx) = (
            fleet.health.clone(),
            fleet.versions.clone(),
            fleet.changes.subscribe(),
        );
        fleet.tasks.push(tokio::spawn(async move {
            loop {
                let change = rx.recv().await;
                let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
                let mut versions = versions.lock().unwrap_or_else(PoisonError::into_inner);
                match change {
                    Ok(Change::Objects { services, .. }) => {
                        for s in services.iter() {
                            cache.entries.remove(&**s);
                            *versions.services.entry(s.clone()).or_default() += 1;
                        }
                    }
                    Ok(Change::Status { .. }) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        cache.entries.clear();
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

    /// Every cluster's status, in configuration order.
    pub fn statuses(&self) -> Vec<ClusterStatus> {
        self.clusters().iter().map(|c| c.view()).collect()
    }

    /// True once every cluster's watches have synced or failed at least once.
    pub fn ready(&self) -> bool {
        self.clusters().iter().all(|c| c.status.attempted())
    }

    /// The clusters a service runs in, by region then cluster name.
    pub fn service_clusters(&self, service: &str) -> Vec<ServiceCluster> {
        let mut out: Vec<ServiceCluster> = self
            .clusters()
            .iter()
            .filter_map(|c| view::service_cluster(c, service))
            .collect();
        out.sort_by(|a, b| (&a.region, &a.cluster).cmp(&(&b.region, &b.cluster)));
        out
    }

    /// The cluster map, findings, autoscalers, spread and rollouts of one service, from the caches.
    pub fn report(&self, service: &str) -> Report {
        let version = self.version_of(service);
        let clock = crate::health::Clock::new(jiff::Timestamp::now());
        let near_max = self.thresholds.near_max;
        let mut r = Report::default();
        let mut objects = Vec::new();
        for c in self.clusters().iter() {
            let Some(o) = view::cluster_objects(c, service) else {
                continue;
            };
            if let Some(sc) = view::service_cluster(c, service) {
                r.clusters.push(sc);
            }
            let (hpas, fixed) = view::autoscalers(c, &o, near_max);
            r.autoscalers.extend(hpas);
            r.fixed.extend(fixed);
            r.rollouts.extend(view::rollouts(&o));
            objects.push(o);
        }
        r.clusters
            .sort_by(|a, b| (&a.region, &a.cluster).cmp(&(&b.region, &b.cluster)));
        r.autoscalers.sort_by(|a, b| {
            (&a.region, &a.cluster, &a.namespace, &a.name).cmp(&(
                &b.region,
                &b.cluster,
                &b.namespace,
                &b.name,
            ))
        });
        r.errors = crate::health::findings(service, &objects, &clock, self.thresholds);
        let (clusters, regions, notes) = crate::autoscaling::spread(&r.autoscalers, &r.fixed);
        r.spread = Spread {
            clusters,
            regions,
            notes,
        };
        if !r.rollouts.is_empty() {
            r.deploys_per_week = deploys_per_week(&r.rollouts, &clock);
        }
        r.health = summarize(&r.errors, &r.autoscalers);
        r.until = clock.until();
        self.remember(service, version, &r.errors, r.health.clone(), &clock);
        r
    }

    /// Keeps findings computed from the state at `version` (read before computing, so findings of
    /// a state a change has since replaced are never taken for current).
    fn remember(
        &self,
        service: &str,
        version: (u64, u64),
        errors: &[Finding],
        health: HealthSummary,
        clock: &crate::health::Clock,
    ) {
        let until = clock
            .until()
            .min(clock.now().as_second() + HEALTH_MAX_AGE_SECONDS);
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .insert(
                service.to_string(),
                (version, until, Arc::new(errors.to_vec()), health),
            );
    }

    /// A service's findings and health in brief, from the cache when nothing touched it since.
    pub fn health_of(&self, service: &str) -> (Arc<Vec<Finding>>, HealthSummary) {
        let version = self.version_of(service);
        let now = jiff::Timestamp::now();
        if let Some((v, until, f, h)) = self
            .health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .get(service)
        {
            if *v == version && now.as_second() < *until {
                return (f.clone(), h.clone());
            }
        }
        let mut objects = Vec::new();
        let mut autoscalers = Vec::new();
        for c in self.clusters().iter() {
            if let Some(o) = view::cluster_objects(c, service) {
                autoscalers.extend(
                    o.hpas
                        .iter()
                        .map(|h| crate::autoscaling::status(h, self.thresholds.near_max)),
                );
                objects.push(o);
            }
        }
        let clock = crate::health::Clock::new(now);
        let errors = crate::health::findings(service, &objects, &clock, self.thresholds);
        let mut health = summarize(&errors, &[]);
        health.scaling = autoscalers.into_iter().min();
        self.remember(service, version, &errors, health.clone(), &clock);
        (Arc::new(errors), health)
    }

    /// The region of each cluster.
    pub fn regions(&self) -> BTreeMap<String, String> {
        self.clusters()
            .iter()
            .map(|c| (c.cluster.name.clone(), c.region()))
            .collect()
    }

    /// The near-max threshold in use (0.8 = 80 %).
    pub fn near_max(&self) -> f64 {
        self.thresholds.near_max
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

/// A guess at a cluster's environment from its name, for kubeconfig contexts.
fn environment_of(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n.contains("stag") {
        "staging".into()
    } else if n.contains("dev") || n.contains("test") {
        "development".into()
    } else {
        "production".into()
    }
}

/// The clusters a source names, ready to watch. The demo fleet is started in this process and
/// returned so it lives as long as the portal.
pub async fn resolve(
    source: &crate::config::ClusterSource,
) -> Result<(Vec<config::Cluster>, Option<Arc<kubesim::fleet::Fleet>>), String> {
    use crate::config::ClusterSource;
    let cluster = |name: &str,
                   region: Option<String>,
                   environment: String,
                   access: config::Access| config::Cluster {
        name: name.to_string(),
        title: name.to_string(),
        region,
        environment,
        dashboard_url: None,
        namespaces: Vec::new(),
        access,
    };
    match source {
        ClusterSource::None => Ok((Vec::new(), None)),
        ClusterSource::Listed(list) => Ok((list.clone(), None)),
        ClusterSource::Kubeconfig(path) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
            if kc.contexts.is_empty() {
                return Err(format!("kubeconfig {}: it has no contexts", path.display()));
            }
            Ok((
                kc.contexts
                    .iter()
                    .map(|c| {
                        let access = config::Access::Context {
                            kubeconfig: Some(path.clone()),
                            context: c.name.clone(),
                        };
                        cluster(&c.name, None, environment_of(&c.name), access)
                    })
                    .collect(),
                None,
            ))
        }
        ClusterSource::Demo => {
            let fleet = kubesim::demo::start(&kubesim::fleet::FleetOptions::default())
                .await
                .map_err(|e| format!("cannot start the demo fleet: {e}"))?;
            let kubeconfig = fleet.kubeconfig();
            let clusters = fleet
                .infos()
                .into_iter()
                .map(|i| {
                    let access = config::Access::Inline {
                        kubeconfig: kubeconfig.clone(),
                        context: i.name.clone(),
                    };
                    cluster(&i.name, Some(i.region), i.environment, access)
                })
                .collect();
            Ok((clusters, Some(fleet)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::Revision;

    #[test]
    fn deploys_per_week_say_when_a_week_edge_or_midnight_moves_them() {
        let at = |s: &str| -> jiff::Timestamp { s.parse().unwrap_or_else(|e| panic!("{s}: {e}")) };
        let now = at("2026-11-25T12:00:00Z");
        // The weeks' counts for one deploy made at `created`, and when the clock alone changes them.
        let weeks_of = |created: &str| {
            let rollout = Rollout {
                deployment: "web".into(),
                revisions: vec![Revision {
                    revision: 1,
                    images: vec!["web:1".into()],
                    created: Some(created.into()),
                    ..Default::default()
                }],
                ..Default::default()
            };
            let clock = crate::health::Clock::new(now);
            let counts: Vec<usize> = deploys_per_week(&[rollout], &clock)
                .iter()
                .map(|w| w.count)
                .collect();
            (counts, clock.until())
        };
        let midnight = at("2026-11-26T00:00:00Z").as_second();
        // Ten days ago: its next edge (14 days after it) is after midnight, when the weeks' first
        // days change.
        assert_eq!(
            weeks_of("2026-11-15T18:00:00Z"),
            (vec![0, 0, 1, 0], midnight)
        );
        // Six days ago at 20:00: it moves to the older week tonight at 20:00, before midnight.
        let edge = at("2026-11-25T20:00:00Z").as_second();
        assert_eq!(weeks_of("2026-11-18T20:00:00Z"), (vec![0, 0, 0, 1], edge));
    }
}
