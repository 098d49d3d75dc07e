//! Where the clusters come from: listed in `wayfinder.yaml`, every context of a kubeconfig, or the
//! built-in demo fleet.

use super::config;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the clusters come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterSource {
    /// The built-in kubesim demo fleet, in this process.
    Demo,
    /// None: a catalog-only portal.
    None,
    /// Every context of this kubeconfig.
    Kubeconfig(PathBuf),
    /// The config file's `clusters:`.
    Listed(Vec<config::Cluster>),
}

/// Why the clusters could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read kubeconfig {}: {source}", path.display())]
    Kubeconfig {
        path: PathBuf,
        source: kube::config::KubeconfigError,
    },
    #[error("kubeconfig {}: it has no contexts", .0.display())]
    NoContexts(PathBuf),
    #[error("cannot start the demo fleet: {0}")]
    Demo(std::io::Error),
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
    source: &ClusterSource,
) -> Result<(Vec<config::Cluster>, Option<Arc<kubesim::fleet::Fleet>>), SourceError> {
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
        logs: true,
        access,
        metrics_every: super::usage::POLL_EVERY,
        custom_resources: Vec::new(),
    };
    match source {
        ClusterSource::None => Ok((Vec::new(), None)),
        ClusterSource::Listed(list) => Ok((list.clone(), None)),
        ClusterSource::Kubeconfig(path) => {
            let kc = kube::config::Kubeconfig::read_from(path).map_err(|source| {
                SourceError::Kubeconfig {
                    path: path.clone(),
                    source,
                }
            })?;
            if kc.contexts.is_empty() {
                return Err(SourceError::NoContexts(path.clone()));
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
                .map_err(SourceError::Demo)?;
            // The portal runs as the read-only user, as deploy/rbac.yaml grants it.
            let kubeconfig = fleet.kubeconfig_as(kubesim::fleet::READER_USER);
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
