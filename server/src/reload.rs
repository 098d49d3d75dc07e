//! Cluster configuration reloaded at run time: on SIGHUP, or when `wayfinder.yaml` (or the
//! kubeconfig whose contexts are the clusters) changes on disk — a ConfigMap update, say. A file
//! that no longer parses changes nothing: the running clusters stay, and the log says why.

use crate::catalog::CatalogStore;
use crate::clusters::Fleet;
use crate::config::{Cli, ClusterSource, Settings};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How often the files are compared with what was last loaded.
pub const CHECK_EVERY: Duration = Duration::from_secs(3);

/// The files whose content decides the clusters.
fn watched_files(cli: &Cli, settings: &Settings) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = cli.config.iter().cloned().collect();
    if let ClusterSource::Kubeconfig(path) = &settings.clusters {
        files.push(path.clone());
    }
    files
}

fn contents(files: &[PathBuf]) -> Vec<Option<Vec<u8>>> {
    files.iter().map(|f| std::fs::read(f).ok()).collect()
}

/// Follows the configuration until aborted. The demo fleet and a catalog-only portal have nothing
/// to reload.
pub fn spawn(cli: Cli, settings: Settings, fleet: Arc<Fleet>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if matches!(settings.clusters, ClusterSource::Demo) {
            return;
        }
        let mut running = settings;
        let mut files = watched_files(&cli, &running);
        let mut seen = contents(&files);
        #[cfg(unix)]
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            #[cfg(unix)]
            let signalled = async {
                match hangup.as_mut() {
                    Some(s) => s.recv().await.is_some(),
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let signalled = std::future::pending::<bool>();
            let by_signal = tokio::select! {
                got = signalled => got,
                () = tokio::time::sleep(CHECK_EVERY) => false,
            };
            let now = contents(&files);
            if !by_signal && now == seen {
                continue;
            }
            seen = now;
            tracing::info!(
                "reloading the cluster configuration ({})",
                if by_signal {
                    "SIGHUP"
                } else {
                    "a file changed"
                }
            );
            if let Some(next) = reload(&cli, &running, &fleet).await {
                running = next;
                files = watched_files(&cli, &running);
                seen = contents(&files);
            }
        }
    })
}

/// Applies the configuration as it is on disk now; `None` when it cannot be used.
async fn reload(cli: &Cli, running: &Settings, fleet: &Fleet) -> Option<Settings> {
    let next = match cli.settings() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("configuration not reloaded, the running one stays: {e}");
            return None;
        }
    };
    let mut later = Vec::new();
    if next.listen != running.listen {
        later.push("listen");
    }
    if next.catalog_paths != running.catalog_paths {
        later.push("catalog.paths");
    }
    if next.identity_header != running.identity_header {
        later.push("auth.identityHeader");
    }
    if !later.is_empty() {
        tracing::warn!(
            "{} changed: that takes effect after a restart",
            later.join(", ")
        );
    }
    if matches!(next.clusters, ClusterSource::Demo) {
        tracing::warn!(
            "the configuration no longer names clusters: the running ones stay until a restart"
        );
        return None;
    }
    let clusters = match crate::clusters::resolve(&next.clusters).await {
        Ok((clusters, _)) => clusters,
        Err(e) => {
            tracing::error!("configuration not reloaded, the running one stays: {e}");
            return None;
        }
    };
    let (added, removed) = fleet.reconcile(next.apply(clusters)).await;
    if added.is_empty() && removed.is_empty() {
        tracing::info!("the clusters are unchanged");
    } else {
        tracing::info!(
            added = ?added,
            removed = ?removed,
            "clusters reconfigured: {} watched",
            fleet.clusters().len()
        );
    }
    Some(next)
}

/// Keeps the clusters' object → service mapping in step with the catalog: checked every second,
/// remapped when a reload produced a new snapshot.
pub fn follow_catalog(store: Arc<CatalogStore>, fleet: Arc<Fleet>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen = store.snapshot();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let now = store.snapshot();
            if !Arc::ptr_eq(&now, &seen) {
                fleet.set_catalog(&now.kubernetes_selectors());
                seen = now;
            }
        }
    })
}
