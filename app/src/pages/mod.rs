//! One module per page.

pub mod catalog;
pub mod cluster_map;
pub mod clusters;
pub mod problems;
pub mod service;
pub mod system;
pub mod team;
