//! Clusters: configuration, one shared watch per (cluster, kind), the object → service index,
//! and the views built from them.

pub mod config;
pub mod index;
pub mod view;
pub mod watch;

use app::model::{ClusterStatus, KubernetesSelector, ServiceCluster};
use index::{Change, ClusterIndex, Mapper};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, PoisonError, RwLock};
use tokio::sync::broadcast;
pub use watch::ClusterWatch;

/// How many changes an SSE subscriber may fall behind before it is told to refresh everything.
const CHANGE_BUFFER: usize = 4096;

/// Every watched cluster, the shared catalog mapping and the change feed pages subscribe to.
pub struct Fleet {
    pub clusters: Vec<Arc<ClusterWatch>>,
    mapper: Arc<RwLock<Arc<Mapper>>>,
    changes: broadcast::Sender<Change>,
}

impl Default for Fleet {
    fn default() -> Self {
        Self {
            clusters: Vec::new(),
            mapper: Arc::default(),
            changes: broadcast::channel(CHANGE_BUFFER).0,
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
        let fleet = Self::default();
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
        Self {
            clusters: out,
            ..fleet
        }
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
        for c in &self.clusters {
            c.index.rebuild();
        }
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
        self.clusters.iter().map(|c| c.view()).collect()
    }

    /// True once every cluster's watches have synced or failed at least once.
    pub fn ready(&self) -> bool {
        self.clusters.iter().all(|c| c.status.attempted())
    }

    /// The clusters a service runs in, by region then cluster name.
    pub fn service_clusters(&self, service: &str) -> Vec<ServiceCluster> {
        let mut out: Vec<ServiceCluster> = self
            .clusters
            .iter()
            .filter_map(|c| view::service_cluster(c, service))
            .collect();
        out.sort_by(|a, b| (&a.region, &a.cluster).cmp(&(&b.region, &b.cluster)));
        out
    }

    /// True when some cluster runs `service`.
    pub fn runs(&self, service: &str) -> bool {
        self.clusters.iter().any(|c| c.index.runs(service))
    }

    /// Where every running service runs, described or discovered.
    pub fn placements(&self) -> BTreeMap<String, Placement> {
        let mapper = self
            .mapper
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut out: BTreeMap<String, Placement> = BTreeMap::new();
        for c in &self.clusters {
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
