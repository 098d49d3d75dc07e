//! Clusters, the data intake: configuration, one shared watch per (cluster, kind), the caches,
//! the object → service index, and a service's objects per cluster joined once ([`objects::of`]).
//! Nothing here knows about views, rules or HTTP.

pub mod config;
pub mod fleet;
pub mod history;
pub mod index;
pub mod ingress;
pub mod logs;
pub mod objects;
pub mod permissions;
pub mod slim;
pub mod source;
pub mod usage;
pub mod watch;

pub use fleet::{Fleet, Placement, Placements};
pub use objects::ClusterObjects;
pub use source::{resolve, ClusterSource, SourceError};
pub use watch::ClusterWatch;
