//! The views: one home per view a user opens the portal for, each built straight into the
//! `app::model` types its page renders, from the clusters' caches and the catalog.
//!
//! - [`catalog`]: the catalog's rows (where each service runs, its health);
//! - [`service`]: a service's page, filled in one pass from its objects in every cluster;
//! - [`cluster_map`]: the Clusters tab (workloads and pods per cluster);
//! - [`cluster_page`]: a cluster's own page (nodes, kinds watched, namespaces, permissions);
//! - [`errors`]: findings per service, kept between changes, and the fleet's error list;
//! - [`autoscaling`]: gauges, fixed workloads and the spread;
//! - [`rollouts`]: rollout history and deploys per week;
//! - [`portal`]: the read model pages and the API use ([`CatalogPortal`]), which keeps each
//!   service's view until something it shows changes.
//!
//! Nothing here knows about HTTP.

pub mod autoscaling;
pub mod catalog;
pub mod cluster_map;
pub mod cluster_page;
pub mod errors;
pub mod pod;
pub mod portal;
pub mod rollouts;
pub mod service;
pub mod timeline;

pub use portal::CatalogPortal;
