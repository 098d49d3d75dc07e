//! kubesim: a Kubernetes API simulator that the real kubectl and kube-rs's watcher accept.
//!
//! One process serves many simulated clusters, each on its own loopback port, with controllers that
//! make them behave like live clusters and fault controls that make them misbehave like real ones.

pub mod api;
pub mod auth;
pub mod cluster;
pub mod controllers;
pub mod demo;
pub mod disruption;
pub mod events;
pub mod fleet;
pub mod logs;
pub mod metrics;
pub mod proto;
pub mod resources;
pub mod scenario;
pub mod selector;
pub mod status;
pub mod store;
pub mod table;
pub mod tls;

/// The real kubectl the compatibility tests drive: `$KUBECTL`, else the first `kubectl` on `PATH`.
/// Tests fail, never skip, when there is none: `make test` puts one there.
pub fn kubectl() -> std::path::PathBuf {
    let found = std::env::var_os("KUBECTL")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|dir| dir.join("kubectl"))
                .find(|p| p.is_file())
        });
    match found {
        Some(p) => p,
        None => panic!(
            "kubectl is not installed: the kubectl compatibility tests need the real kubectl \
             (`make test` installs it; or set KUBECTL=/path/to/kubectl)"
        ),
    }
}
