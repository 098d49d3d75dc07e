//! Drift between the clusters that run one service, within one environment: what differs between
//! copies of the same workload (images, desired replicas, autoscaler bounds and targets, container
//! requests and limits, the names — never the values — of env vars and mounted ConfigMaps), and the
//! rule `version-drift`: production clusters running different images of a workload for more than
//! an hour, so a rollout that stopped half-way is seen. Staging is compared with staging only: it
//! differs from production on purpose.

use super::{Clock, ClusterObjects, Raw};
use app::model::{DriftRow, DriftValue, Severity};
use k8s_openapi::api::autoscaling::v2::{HorizontalPodAutoscaler, MetricSpec};
use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::{BTreeMap, BTreeSet};

/// How long production clusters may run different images of a workload before `version-drift`.
pub const VERSION_DRIFT_AFTER: i64 = 3600;

/// A workload, the same in every cluster: (kind, namespace, name).
type Workload = (&'static str, String, String);

/// What is compared of one workload in one cluster: aspect → value, and when its current
/// revision started (its newest ReplicaSet, else the object itself).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub aspects: BTreeMap<String, String>,
    pub since: Option<jiff::Timestamp>,
}

/// `Deployment/checkout-api`'s images are compared as `image (checkout-api)`.
fn image_aspect(container: &str) -> String {
    format!("image ({container})")
}

/// Each workload of one cluster with what is compared of it.
pub fn profiles(o: &ClusterObjects) -> BTreeMap<Workload, Profile> {
    let mut out = BTreeMap::new();
    let mut add =
        |kind: &'static str, meta: &ObjectMeta, replicas: Option<i32>, spec: Option<&PodSpec>| {
            let namespace = meta.namespace.clone().unwrap_or_default();
            let name = meta.name.clone().unwrap_or_default();
            let mut aspects = BTreeMap::new();
            let hpas: Vec<&HorizontalPodAutoscaler> = o
                .hpas
                .iter()
                .map(AsRef::as_ref)
                .filter(|h| {
                    h.metadata.namespace.as_deref() == Some(namespace.as_str())
                        && h.spec.as_ref().is_some_and(|s| {
                            s.scale_target_ref.kind == kind && s.scale_target_ref.name == name
                        })
                })
                .collect();
            match (hpas.first(), replicas) {
                (Some(h), _) => {
                    let spec = h.spec.clone().unwrap_or_default();
                    aspects.insert(
                        "autoscaler min..max".into(),
                        format!("{}..{}", spec.min_replicas.unwrap_or(1), spec.max_replicas),
                    );
                    let targets: Vec<String> = spec.metrics.iter().flatten().map(target).collect();
                    aspects.insert("autoscaler targets".into(), words(targets));
                }
                (None, Some(r)) => {
                    aspects.insert("replicas".into(), r.to_string());
                }
                (None, None) => {}
            }
            if let Some(spec) = spec {
                containers(spec, &mut aspects);
            }
            let since = revision_started(o, kind, meta);
            out.insert((kind, namespace, name), Profile { aspects, since });
        };
    for d in &o.deployments {
        let spec = d.spec.as_ref();
        add(
            "Deployment",
            &d.metadata,
            Some(spec.and_then(|s| s.replicas).unwrap_or(1)),
            spec.and_then(|s| s.template.spec.as_ref()),
        );
    }
    for r in &o.rollouts {
        add(
            "Rollout",
            &r.metadata,
            Some(r.spec.replicas.unwrap_or(1)),
            r.spec.template.as_ref().and_then(|t| t.spec.as_ref()),
        );
    }
    for s in &o.statefulsets {
        let spec = s.spec.as_ref();
        add(
            "StatefulSet",
            &s.metadata,
            Some(spec.and_then(|s| s.replicas).unwrap_or(1)),
            spec.and_then(|s| s.template.spec.as_ref()),
        );
    }
    for d in &o.daemonsets {
        let spec = d.spec.as_ref();
        add(
            "DaemonSet",
            &d.metadata,
            None,
            spec.and_then(|s| s.template.spec.as_ref()),
        );
    }
    for c in &o.cronjobs {
        let spec = c
            .spec
            .as_ref()
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|j| j.template.spec.as_ref());
        add("CronJob", &c.metadata, None, spec);
    }
    out
}

/// Images, requests, limits and env names per container; the ConfigMaps the pods mount or read
/// whole (`envFrom`).
fn containers(spec: &PodSpec, aspects: &mut BTreeMap<String, String>) {
    let mut config_maps = BTreeSet::new();
    for c in &spec.containers {
        let n = &c.name;
        aspects.insert(image_aspect(n), c.image.clone().unwrap_or_default());
        let resources = c.resources.clone().unwrap_or_default();
        let amounts = |m: Option<
            BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
        >| {
            words(
                m.unwrap_or_default()
                    .into_iter()
                    .map(|(k, q)| format!("{k} {}", q.0))
                    .collect(),
            )
        };
        aspects.insert(format!("requests ({n})"), amounts(resources.requests));
        aspects.insert(format!("limits ({n})"), amounts(resources.limits));
        let env: BTreeSet<&str> = c.env.iter().flatten().map(|e| e.name.as_str()).collect();
        aspects.insert(
            format!("env names ({n})"),
            words(env.into_iter().map(String::from).collect()),
        );
        config_maps.extend(
            c.env_from
                .iter()
                .flatten()
                .filter_map(|e| e.config_map_ref.as_ref().map(|r| r.name.clone())),
        );
    }
    for v in spec.volumes.iter().flatten() {
        config_maps.extend(v.config_map.as_ref().map(|c| c.name.clone()));
        config_maps.extend(
            v.projected
                .iter()
                .flat_map(|p| p.sources.iter().flatten())
                .filter_map(|s| s.config_map.as_ref().map(|c| c.name.clone())),
        );
    }
    aspects.insert(
        "ConfigMaps".into(),
        words(config_maps.into_iter().collect()),
    );
}

/// Values as one cell: `a, b` (sorted), `none` when there are none.
fn words(mut v: Vec<String>) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.sort();
    v.join(", ")
}

/// An autoscaler's target in words: `cpu 70%`, `memory 500Mi`, `queue_length 20 (External)`.
fn target(m: &MetricSpec) -> String {
    use k8s_openapi::api::autoscaling::v2::MetricTarget;
    let value = |t: &MetricTarget| {
        t.average_utilization
            .map(|u| format!("{u}%"))
            .or_else(|| t.average_value.as_ref().map(|q| q.0.clone()))
            .or_else(|| t.value.as_ref().map(|q| q.0.clone()))
            .unwrap_or_default()
    };
    match m.type_.as_str() {
        "Resource" => m
            .resource
            .as_ref()
            .map(|r| format!("{} {}", r.name, value(&r.target))),
        "ContainerResource" => m
            .container_resource
            .as_ref()
            .map(|r| format!("{} {} ({})", r.name, value(&r.target), r.container)),
        "Pods" => m
            .pods
            .as_ref()
            .map(|p| format!("{} {} (Pods)", p.metric.name, value(&p.target))),
        "Object" => m
            .object
            .as_ref()
            .map(|o| format!("{} {} (Object)", o.metric.name, value(&o.target))),
        "External" => m
            .external
            .as_ref()
            .map(|e| format!("{} {} (External)", e.metric.name, value(&e.target))),
        _ => None,
    }
    .unwrap_or_else(|| m.type_.clone())
}

/// When the workload's current revision started: its newest ReplicaSet (Deployments and Rollouts
/// number them), else when the object was made.
fn revision_started(o: &ClusterObjects, kind: &str, meta: &ObjectMeta) -> Option<jiff::Timestamp> {
    let revision = |m: &ObjectMeta| {
        let a = m.annotations.as_ref()?;
        a.get("deployment.kubernetes.io/revision")
            .or_else(|| a.get("rollout.argoproj.io/revision"))?
            .parse::<u64>()
            .ok()
    };
    o.replicasets
        .iter()
        .filter(|rs| {
            rs.metadata.namespace == meta.namespace
                && rs
                    .metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|r| r.kind == kind && Some(&r.name) == meta.name.as_ref())
        })
        .max_by_key(|rs| revision(&rs.metadata))
        .and_then(|rs| super::ts(&rs.metadata.creation_timestamp))
        .or_else(|| super::ts(&meta.creation_timestamp))
}

/// The profiles of every workload in each environment's clusters: environment → workload →
/// cluster → profile.
type Compared = BTreeMap<String, BTreeMap<Workload, BTreeMap<String, Profile>>>;

fn compared(clusters: &[ClusterObjects]) -> Compared {
    let mut out: Compared = BTreeMap::new();
    for c in clusters {
        for (w, p) in profiles(c) {
            out.entry(c.environment.clone())
                .or_default()
                .entry(w)
                .or_default()
                .insert(c.cluster.clone(), p);
        }
    }
    out
}

/// What differs between the clusters of one environment that run the same workload: one row per
/// workload and aspect, each cluster's value, the odd ones (held by fewer clusters than the most
/// common value) marked. Empty when they agree or only one cluster of an environment runs it.
pub fn table(clusters: &[ClusterObjects]) -> Vec<DriftRow> {
    let mut rows = Vec::new();
    for (environment, workloads) in compared(clusters) {
        for ((kind, namespace, name), by_cluster) in workloads {
            if by_cluster.len() < 2 {
                continue;
            }
            let aspects: BTreeSet<&String> =
                by_cluster.values().flat_map(|p| p.aspects.keys()).collect();
            for aspect in aspects {
                let values: Vec<(&String, &str)> = by_cluster
                    .iter()
                    .map(|(c, p)| (c, p.aspects.get(aspect).map_or("—", String::as_str)))
                    .collect();
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for (_, v) in &values {
                    *counts.entry(v).or_default() += 1;
                }
                if counts.len() < 2 {
                    continue;
                }
                let most = counts.values().copied().max().unwrap_or(0);
                rows.push(DriftRow {
                    environment: environment.clone(),
                    workload: format!("{kind}/{name}"),
                    namespace: namespace.clone(),
                    aspect: aspect.clone(),
                    values: values
                        .into_iter()
                        .map(|(c, v)| DriftValue {
                            cluster: c.clone(),
                            value: v.to_string(),
                            odd: counts[v] < most,
                        })
                        .collect(),
                });
            }
        }
    }
    rows
}

/// True when any environment's clusters differ (the catalog's `drift=yes`): [`table`] would have
/// a row, found without making one (the catalog asks this of every service).
pub fn differs(clusters: &[ClusterObjects]) -> bool {
    compared(clusters)
        .values()
        .flat_map(|w| w.values())
        .any(|by_cluster| {
            let mut profiles = by_cluster.values();
            profiles
                .next()
                .is_some_and(|first| profiles.any(|p| p.aspects != first.aspects))
        })
}

/// True for a production cluster's environment.
fn production(environment: &str) -> bool {
    let e = environment.to_ascii_lowercase();
    e == "production" || e == "prod" || e.starts_with("prod-")
}

/// `version-drift`: production clusters have run different images of one workload for more than
/// [`VERSION_DRIFT_AFTER`] (since the newest of their current revisions started). One raw finding
/// per cluster running it, as `(cluster, finding)`; grouped, they read as one.
pub fn rules(clusters: &[ClusterObjects], clock: &Clock) -> Vec<(String, Raw)> {
    let mut out = Vec::new();
    for (environment, workloads) in compared(clusters) {
        if !production(&environment) {
            continue;
        }
        for ((kind, namespace, name), by_cluster) in workloads {
            if by_cluster.len() < 2 {
                continue;
            }
            let images = |p: &Profile| -> String {
                let v: Vec<String> = p
                    .aspects
                    .iter()
                    .filter(|(k, _)| k.starts_with("image ("))
                    .map(|(_, v)| v.clone())
                    .collect();
                v.join(", ")
            };
            let mut held: BTreeMap<String, Vec<&String>> = BTreeMap::new();
            for (c, p) in &by_cluster {
                held.entry(images(p)).or_default().push(c);
            }
            if held.len() < 2 {
                continue;
            }
            let Some(since) = by_cluster.values().filter_map(|p| p.since).max() else {
                continue;
            };
            if !clock.past(since, VERSION_DRIFT_AFTER) {
                continue;
            }
            let hours = clock.age_shown(since) / 3600;
            let each: Vec<String> = held
                .iter()
                .map(|(image, cs)| {
                    let cs: Vec<&str> = cs.iter().map(|c| c.as_str()).collect();
                    format!("{image} in {}", cs.join(", "))
                })
                .collect();
            for cluster in by_cluster.keys() {
                let mut r = Raw {
                    rule: "version-drift",
                    severity: Severity::Warning,
                    kind,
                    namespace: namespace.clone(),
                    name: name.clone(),
                    count: 1,
                    ..Default::default()
                };
                r.message = format!(
                    "{kind} {name} has run {} different images across production clusters for {hours} h",
                    held.len()
                );
                r.cause = format!(
                    "{}. A rollout that stopped half-way (a paused or failed pipeline, a cluster skipped) leaves production running two versions.",
                    each.join("; ")
                );
                r.fix = "Finish the rollout in the clusters still on the old image, or roll the others back, so every production cluster runs one version; the Clusters tab's drift table shows what else differs.".into();
                r.since = Some(since);
                out.push((cluster.clone(), r));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::fixtures::from as obj;
    use serde_json::json;
    use std::sync::Arc;

    fn deployment(
        image: &str,
        replicas: i32,
        env: &[&str],
        cms: &[&str],
    ) -> Arc<k8s_openapi::api::apps::v1::Deployment> {
        let env: Vec<_> = env.iter().map(|n| json!({"name": n})).collect();
        let volumes: Vec<_> = cms
            .iter()
            .map(|c| json!({"name": c, "configMap": {"name": c}}))
            .collect();
        Arc::new(obj(json!({
            "metadata": {"name": "api", "namespace": "shop", "uid": "u1", "creationTimestamp": "2026-11-01T00:00:00Z"},
            "spec": {"replicas": replicas, "selector": {}, "template": {"spec": {
                "containers": [{"name": "api", "image": image, "env": env,
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}}],
                "volumes": volumes}}}
        })))
    }

    fn replicaset(revision: u32, created: &str) -> Arc<k8s_openapi::api::apps::v1::ReplicaSet> {
        Arc::new(obj(json!({
            "metadata": {"name": format!("api-{revision}"), "namespace": "shop", "creationTimestamp": created,
                "annotations": {"deployment.kubernetes.io/revision": revision.to_string()},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "uid": "u1", "controller": true}]}
        })))
    }

    fn cluster(
        name: &str,
        env: &str,
        d: Arc<k8s_openapi::api::apps::v1::Deployment>,
        rs: Vec<Arc<k8s_openapi::api::apps::v1::ReplicaSet>>,
    ) -> ClusterObjects {
        ClusterObjects {
            cluster: name.into(),
            environment: env.into(),
            deployments: vec![d],
            replicasets: rs,
            ..Default::default()
        }
    }

    #[test]
    fn clusters_that_agree_have_no_rows() {
        let d = deployment("r/api:1.0", 3, &["A", "B"], &["api-config"]);
        let c = [
            cluster("eu", "production", d.clone(), vec![]),
            cluster("us", "production", d.clone(), vec![]),
        ];
        assert!(table(&c).is_empty());
        assert!(!differs(&c));
    }

    #[test]
    fn every_aspect_that_differs_is_a_row_with_the_odd_one_marked() {
        let c = [
            cluster(
                "eu",
                "production",
                deployment("r/api:1.1", 3, &["A", "B"], &["api-config"]),
                vec![],
            ),
            cluster(
                "us",
                "production",
                deployment("r/api:1.0", 3, &["A"], &["api-config", "extra"]),
                vec![],
            ),
            cluster(
                "ap",
                "production",
                deployment("r/api:1.1", 5, &["A", "B"], &["api-config"]),
                vec![],
            ),
            // Staging differs from production on purpose: compared with staging only.
            cluster(
                "stage",
                "staging",
                deployment("r/api:2.0", 1, &[], &[]),
                vec![],
            ),
        ];
        let rows = table(&c);
        let aspects: Vec<&str> = rows.iter().map(|r| r.aspect.as_str()).collect();
        assert_eq!(
            aspects,
            ["ConfigMaps", "env names (api)", "image (api)", "replicas"]
        );
        let image = &rows[2];
        assert_eq!(image.workload, "Deployment/api");
        assert_eq!(image.environment, "production");
        let cells: Vec<(&str, &str, bool)> = image
            .values
            .iter()
            .map(|v| (v.cluster.as_str(), v.value.as_str(), v.odd))
            .collect();
        assert_eq!(
            cells,
            [
                ("ap", "r/api:1.1", false),
                ("eu", "r/api:1.1", false),
                ("us", "r/api:1.0", true)
            ]
        );
        assert_eq!(rows[0].values[2].value, "api-config, extra");
        assert_eq!(rows[1].values[2].value, "A");
        assert!(rows
            .iter()
            .all(|r| r.values.iter().all(|v| v.cluster != "stage")));
        assert!(differs(&c));
        // The staging cluster alone, with one production cluster: nothing to compare.
        assert!(!differs(&c[2..]));
    }

    #[test]
    fn two_clusters_that_differ_have_no_odd_one() {
        let c = [
            cluster(
                "eu",
                "production",
                deployment("r/api:1.1", 3, &[], &[]),
                vec![],
            ),
            cluster(
                "us",
                "production",
                deployment("r/api:1.0", 3, &[], &[]),
                vec![],
            ),
        ];
        let rows = table(&c);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].values.iter().all(|v| !v.odd));
        assert!(differs(&c));
    }

    #[test]
    fn version_drift_waits_an_hour_from_the_newest_revision() {
        let clock = |t: &str| Clock::new(t.parse().unwrap_or_else(|e| panic!("{e}")));
        let c = [
            cluster(
                "eu",
                "production",
                deployment("r/api:1.1", 3, &[], &[]),
                vec![
                    replicaset(1, "2026-11-20T00:00:00Z"),
                    replicaset(2, "2026-11-25T10:30:00Z"),
                ],
            ),
            cluster(
                "us",
                "production",
                deployment("r/api:1.0", 3, &[], &[]),
                vec![replicaset(1, "2026-11-20T00:00:00Z")],
            ),
        ];
        // 1 h 30 min after eu's new revision started.
        let found = rules(&c, &clock("2026-11-25T12:00:00Z"));
        assert_eq!(found.len(), 2);
        let (first, r) = &found[0];
        assert_eq!(first, "eu");
        assert_eq!(r.rule, "version-drift");
        assert_eq!(
            r.message,
            "Deployment api has run 2 different images across production clusters for 1 h"
        );
        assert!(
            r.cause.starts_with("r/api:1.0 in us; r/api:1.1 in eu."),
            "{}",
            r.cause
        );
        assert_eq!(
            r.since,
            Some(
                "2026-11-25T10:30:00Z"
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}"))
            )
        );
        // Half an hour in: a rollout under way, not drift yet; the clock says when it will be.
        let early = clock("2026-11-25T11:00:00Z");
        assert!(rules(&c, &early).is_empty());
        assert_eq!(
            early.until(),
            "2026-11-25T11:30:01Z"
                .parse::<jiff::Timestamp>()
                .unwrap_or_else(|e| panic!("{e}"))
                .as_second()
        );
        // Staging clusters that differ are not production drift.
        let staged = [
            cluster(
                "s1",
                "staging",
                deployment("r/api:1.1", 1, &[], &[]),
                vec![],
            ),
            cluster(
                "s2",
                "staging",
                deployment("r/api:1.0", 1, &[], &[]),
                vec![],
            ),
        ];
        assert!(rules(&staged, &clock("2026-11-25T12:00:00Z")).is_empty());
    }
}
