//! The catalog's rows: services found only in clusters, and where each service runs with its health.

use super::errors::HealthCache;
use crate::clusters::{Fleet, Placement};
use crate::health::Thresholds;
use app::model::ServiceSummary;

/// The catalog row of a service found only in clusters.
pub fn discovered_summary(name: &str, p: &Placement) -> ServiceSummary {
    ServiceSummary {
        name: name.to_string(),
        namespace: p.namespace.clone().unwrap_or_default(),
        title: name.to_string(),
        description: "Found in clusters; no catalog descriptor describes it.".into(),
        owner: None,
        system: None,
        lifecycle: String::new(),
        kind: String::new(),
        tags: Vec::new(),
        health: Default::default(),
        discovered: true,
        cluster_names: p.clusters.iter().cloned().collect(),
        regions: p.regions.iter().cloned().collect(),
    }
}

/// Adds where each service runs and its health.
pub fn annotate(
    services: &mut [ServiceSummary],
    fleet: &Fleet,
    health: &HealthCache,
    t: Thresholds,
) {
    let placements = fleet.placements();
    for s in services {
        if let Some(p) = placements.get(&s.name) {
            s.cluster_names = p.clusters.iter().cloned().collect();
            s.regions = p.regions.iter().cloned().collect();
            s.health = health.of(fleet, t, &s.name).1;
        }
    }
}
