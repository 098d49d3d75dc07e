//! Clusters, the data intake: configuration, one shared watch per (cluster, kind), the caches,
//! the object → service index, and a service's objects per cluster joined once ([`objects::of`]).
//! Nothing here knows about views, rules or HTTP.

/// `k8s_openapi::Resource` and `Metadata` for a namespaced kind typed here (only the fields the
/// portal reads), so kube watches it like the built-in ones: `(Type, group, version, kind, plural)`.
macro_rules! namespaced_kind {
    ($t:ty, $group:literal, $version:literal, $kind:literal, $plural:literal) => {
        impl k8s_openapi::Resource for $t {
            const API_VERSION: &'static str = if $group.is_empty() {
                $version
            } else {
                concat!($group, "/", $version)
            };
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }

        impl k8s_openapi::Metadata for $t {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }
            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }
    };
}

pub mod config;
pub mod fleet;
pub mod history;
pub mod index;
pub mod ingress;
pub mod keda;
pub mod logs;
pub mod objects;
pub mod permissions;
pub mod rollout;
pub mod slim;
pub mod source;
pub mod usage;
pub mod watch;

pub use fleet::{Fleet, Placement, Placements};
pub use index::Change;
pub use objects::ClusterObjects;
pub use source::{resolve, ClusterSource, SourceError};
pub use watch::ClusterWatch;
