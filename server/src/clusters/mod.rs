//! Clusters: configuration, one shared watch per (cluster, kind), and their status.

pub mod config;
pub mod watch;

use app::model::ClusterStatus;
use std::sync::Arc;
pub use watch::ClusterWatch;

/// Every watched cluster.
#[derive(Default)]
pub struct Fleet {
    pub clusters: Vec<Arc<ClusterWatch>>,
}

impl Fleet {
    /// Starts watching every cluster; each cluster's trouble stays its own.
    pub async fn start(clusters: Vec<config::Cluster>) -> Self {
        let mut out = Vec::new();
        for c in clusters {
            out.push(Arc::new(ClusterWatch::start(c).await));
        }
        Self { clusters: out }
    }

    /// Every cluster's status, in configuration order.
    pub fn statuses(&self) -> Vec<ClusterStatus> {
        self.clusters.iter().map(|c| c.view()).collect()
    }

    /// True once every cluster's watches have synced or failed at least once.
    pub fn ready(&self) -> bool {
        self.clusters.iter().all(|c| c.status.attempted())
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
