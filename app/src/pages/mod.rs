//! One module per page.

pub mod autoscaling_tab;
pub mod catalog;
pub mod cluster;
pub mod cluster_map;
pub mod clusters;
pub mod custom_resources;
pub mod drift;
pub mod errors;
pub mod errors_tab;
pub mod made;
pub mod object;
pub mod pod;
pub mod problems;
pub mod service;
pub mod service_map;
pub mod system;
pub mod team;
pub mod timeline;
