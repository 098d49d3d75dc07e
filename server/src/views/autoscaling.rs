//! The autoscaling tab: every HPA of a service as a gauge (with its replica history), the
//! workloads with a fixed replica count, and how replicas spread over clusters and regions.

use crate::clusters::{ClusterObjects, ClusterWatch};
use app::model::{AutoscalerView, FixedWorkload, Spread};

/// Every HPA of the service here, and its workloads that have none.
pub fn autoscalers(
    c: &ClusterWatch,
    o: &ClusterObjects,
    near_max: f64,
) -> (Vec<AutoscalerView>, Vec<FixedWorkload>) {
    let now = jiff::Timestamp::now().as_second();
    let views: Vec<AutoscalerView> = o
        .hpas
        .iter()
        .map(|h| {
            let (ns, name) = (
                h.metadata.namespace.clone().unwrap_or_default(),
                h.metadata.name.clone().unwrap_or_default(),
            );
            let history = c.history.points(&ns, &name, now);
            crate::autoscaling::view(h, &o.cluster, &o.region, near_max, history)
        })
        .collect();
    let scaled = |kind: &str, ns: &Option<String>, name: &Option<String>| {
        views.iter().any(|v| {
            Some(&v.namespace) == ns.as_ref()
                && v.target == format!("{kind}/{}", name.clone().unwrap_or_default())
        })
    };
    let mut fixed = Vec::new();
    let mut push = |kind: &str,
                    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
                    replicas: i32| {
        if !scaled(kind, &meta.namespace, &meta.name) {
            fixed.push(FixedWorkload {
                cluster: o.cluster.clone(),
                region: o.region.clone(),
                namespace: meta.namespace.clone().unwrap_or_default(),
                kind: kind.to_string(),
                name: meta.name.clone().unwrap_or_default(),
                replicas,
            });
        }
    };
    for d in &o.deployments {
        push(
            "Deployment",
            &d.metadata,
            d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        );
    }
    for s in &o.statefulsets {
        push(
            "StatefulSet",
            &s.metadata,
            s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        );
    }
    for r in &o.rollouts {
        push("Rollout", &r.metadata, r.spec.replicas.unwrap_or(1));
    }
    (views, fixed)
}

/// How the service's replicas spread over clusters and regions.
pub fn spread(autoscalers: &[AutoscalerView], fixed: &[FixedWorkload]) -> Spread {
    let (clusters, regions, notes) = crate::autoscaling::spread(autoscalers, fixed);
    Spread {
        clusters,
        regions,
        notes,
    }
}
