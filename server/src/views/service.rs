//! A service's page and `GET /api/v1/services/{name}`: its catalog entry filled in from its objects
//! in every cluster — the cluster map, findings, autoscalers, spread, rollouts — in one pass.

use super::{autoscaling, cluster_map, errors, rollouts};
use crate::clusters::{objects, Fleet};
use crate::health::{Clock, Thresholds};
use app::model::ServiceDetail;
use std::collections::BTreeSet;

/// Fills `d` (a catalog entry) with what the clusters say of it, reading the time only through
/// `clock` (so the caller learns when the clock alone would change the answer).
pub fn fill(d: &mut ServiceDetail, fleet: &Fleet, t: Thresholds, clock: &Clock) {
    let service = d.summary.name.clone();
    let mut found = Vec::new();
    for c in fleet.clusters().iter() {
        let Some(o) = objects::of(c, &service) else {
            continue;
        };
        d.clusters.push(cluster_map::service_cluster(c, &o));
        let (hpas, fixed) = autoscaling::autoscalers(c, &o, t.near_max);
        d.autoscalers.extend(hpas);
        d.fixed_replicas.extend(fixed);
        d.rollouts.extend(rollouts::rollouts(&o));
        d.custom_resources
            .extend(o.custom.iter().map(|(id, api_version, obj)| {
                crate::health::conditions::view(&o.cluster, api_version.to_string(), id, obj)
            }));
        found.push(o);
    }
    d.clusters
        .sort_by(|a, b| (&a.region, &a.cluster).cmp(&(&b.region, &b.cluster)));
    d.custom_resources.sort_by(|a, b| {
        (&a.cluster, &a.kind, &a.namespace, &a.name).cmp(&(
            &b.cluster,
            &b.kind,
            &b.namespace,
            &b.name,
        ))
    });
    d.autoscalers.sort_by(|a, b| {
        (&a.region, &a.cluster, &a.namespace, &a.name).cmp(&(
            &b.region,
            &b.cluster,
            &b.namespace,
            &b.name,
        ))
    });
    d.errors = crate::health::findings(&service, &found, clock, t);
    d.spread = autoscaling::spread(&d.autoscalers, &d.fixed_replicas);
    if !d.rollouts.is_empty() {
        d.deploys_per_week = rollouts::deploys_per_week(&d.rollouts, clock);
    }
    d.drift = crate::health::drift::table(&found);
    d.summary.health = errors::summarize(&d.errors, &d.autoscalers);
    d.summary.health.drift = !d.drift.is_empty();
    d.summary.cluster_names = d.clusters.iter().map(|c| c.cluster.clone()).collect();
    let regions: BTreeSet<String> = d.clusters.iter().map(|c| c.region.clone()).collect();
    d.summary.regions = regions.into_iter().collect();
}
