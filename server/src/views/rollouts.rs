//! Rollout history (a service page's Rollouts tab): each Deployment's ReplicaSet revisions, and
//! deploys per week.

use super::cluster_map::images;
use crate::clusters::ClusterObjects;
use crate::health::Clock;
use crate::time::rfc3339;
use app::model::{Revision, Rollout, WeekCount};
use std::collections::BTreeMap;

/// Each Deployment's and Argo Rollout's ReplicaSet revisions, newest first (a Rollout numbers
/// its ReplicaSets with `rollout.argoproj.io/revision`, a Deployment with
/// `deployment.kubernetes.io/revision`).
pub fn rollouts(o: &ClusterObjects) -> Vec<Rollout> {
    let owners = o
        .deployments
        .iter()
        .map(|d| {
            (
                "Deployment",
                "deployment.kubernetes.io/revision",
                &d.metadata,
            )
        })
        .chain(
            o.rollouts
                .iter()
                .map(|r| ("Rollout", "rollout.argoproj.io/revision", &r.metadata)),
        );
    let mut out: Vec<Rollout> = owners
        .map(|(kind, annotation, meta)| {
            let name = meta.name.clone().unwrap_or_default();
            let mut revisions: Vec<Revision> = o
                .replicasets
                .iter()
                .filter(|rs| {
                    rs.metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|r| r.kind == kind && r.name == name)
                })
                .map(|rs| Revision {
                    revision: rs
                        .metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(annotation))
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                    name: rs.metadata.name.clone().unwrap_or_default(),
                    images: images(
                        rs.spec
                            .as_ref()
                            .and_then(|s| s.template.as_ref())
                            .and_then(|t| t.spec.as_ref()),
                    ),
                    created: rs
                        .metadata
                        .creation_timestamp
                        .as_ref()
                        .map(|t| rfc3339(t.0)),
                    replicas: rs.status.as_ref().map_or(0, |s| s.replicas),
                })
                .collect();
            revisions.sort_by(|a, b| b.revision.cmp(&a.revision).then(b.created.cmp(&a.created)));
            Rollout {
                cluster: o.cluster.clone(),
                namespace: meta.namespace.clone().unwrap_or_default(),
                deployment: name,
                revisions,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.deployment).cmp(&(&b.namespace, &b.deployment)));
    out
}

/// Deploys per week over the last 4 weeks: each (deployment, images) counted once, at its first
/// appearance in any cluster.
pub fn deploys_per_week(rollouts: &[Rollout], clock: &Clock) -> Vec<WeekCount> {
    let now = clock.now();
    let mut first: BTreeMap<(String, Vec<String>), jiff::Timestamp> = BTreeMap::new();
    for r in rollouts {
        for rev in &r.revisions {
            if let Some(t) = rev
                .created
                .as_deref()
                .and_then(|c| c.parse::<jiff::Timestamp>().ok())
            {
                let e = first
                    .entry((r.deployment.clone(), rev.images.clone()))
                    .or_insert(t);
                *e = (*e).min(t);
            }
        }
    }
    let week = jiff::SignedDuration::from_hours(24 * 7);
    // The weeks' first days change at midnight (UTC); a count, when a deploy crosses a week's edge.
    const DAY: i64 = 86_400;
    clock.note((now.as_second().div_euclid(DAY) + 1) * DAY);
    for t in first.values() {
        if let Some(edge) = (0..=4).map(|k| *t + week * k).find(|e| *e > now) {
            clock.note(edge.as_second());
        }
    }
    (0..4)
        .rev()
        .map(|i| {
            let end = now - week * i;
            let start = end - week;
            WeekCount {
                week_start: start.strftime("%Y-%m-%d").to_string(),
                count: first.values().filter(|t| **t > start && **t <= end).count(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploys_per_week_say_when_a_week_edge_or_midnight_moves_them() {
        let at = |s: &str| -> jiff::Timestamp { s.parse().unwrap_or_else(|e| panic!("{s}: {e}")) };
        let now = at("2026-11-25T12:00:00Z");
        // The weeks' counts for one deploy made at `created`, and when the clock alone changes them.
        let weeks_of = |created: &str| {
            let rollout = Rollout {
                deployment: "web".into(),
                revisions: vec![Revision {
                    revision: 1,
                    images: vec!["web:1".into()],
                    created: Some(created.into()),
                    ..Default::default()
                }],
                ..Default::default()
            };
            let clock = Clock::new(now);
            let counts: Vec<usize> = deploys_per_week(&[rollout], &clock)
                .iter()
                .map(|w| w.count)
                .collect();
            (counts, clock.until())
        };
        let midnight = at("2026-11-26T00:00:00Z").as_second();
        // Ten days ago: its next edge (14 days after it) is after midnight, when the weeks' first
        // days change.
        assert_eq!(
            weeks_of("2026-11-15T18:00:00Z"),
            (vec![0, 0, 1, 0], midnight)
        );
        // Six days ago at 20:00: it moves to the older week tonight at 20:00, before midnight.
        let edge = at("2026-11-25T20:00:00Z").as_second();
        assert_eq!(weeks_of("2026-11-18T20:00:00Z"), (vec![0, 0, 0, 1], edge));
    }
}
