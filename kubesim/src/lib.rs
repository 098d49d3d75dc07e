//! kubesim: a Kubernetes API simulator that the real kubectl and kube-rs's watcher accept.
//!
//! One process serves many simulated clusters, each on its own loopback port, with controllers that
//! make them behave like live clusters and fault controls that make them misbehave like real ones.

pub mod api;
pub mod auth;
pub mod cluster;
pub mod controllers;
pub mod demo;
pub mod events;
pub mod fleet;
pub mod resources;
pub mod scenario;
pub mod selector;
pub mod status;
pub mod store;
pub mod table;
pub mod tls;
