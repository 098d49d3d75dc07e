//! The disruption controller: each PodDisruptionBudget's status from the pods it selects, as
//! Kubernetes' `pkg/controller/disruption` works it out.
//!
//! `minAvailable` as a number expects the pods there are; a percentage, or `maxUnavailable`, expects
//! the scale of the pods' controllers (a Deployment's replicas through its ReplicaSet, a
//! StatefulSet's). Healthy pods are the Ready ones; `disruptionsAllowed` is how many more than the
//! desired number are healthy, never below zero.

use crate::controllers::{is_ready, s};
use crate::resources::by_store;
use crate::store::Store;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube_core::{Selector, SelectorExt};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `value` of `of`: a number as it is, a percentage rounded up (as the controller rounds both).
fn scaled(value: &IntOrString, of: i64) -> i64 {
    match value {
        IntOrString::Int(n) => i64::from(*n),
        IntOrString::String(p) => {
            let pct: i64 = p.trim_end_matches('%').parse().unwrap_or(0);
            (pct * of + 99) / 100
        }
    }
}

/// The budget's status: pods are the ones its selector picks in its namespace; `scale_of` gives
/// the desired replicas of a pod's controller (kind, name), where known.
pub fn status(
    pdb: &Value,
    pods: &[&Value],
    scale_of: impl Fn(&str, &str) -> Option<(String, i64)>,
    now: &str,
) -> Value {
    let int_or_string = |p: &str| {
        pdb.pointer(p)
            .and_then(|v| serde_json::from_value::<IntOrString>(v.clone()).ok())
    };
    let (min_available, max_unavailable) = (
        int_or_string("/spec/minAvailable"),
        int_or_string("/spec/maxUnavailable"),
    );
    // The expected count: the pods themselves for a whole-number minAvailable, else the scale of
    // each distinct controller.
    let expected = match &min_available {
        Some(IntOrString::Int(_)) => pods.len() as i64,
        _ => {
            let mut controllers = BTreeMap::new();
            for p in pods {
                let owner = p
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .and_then(|refs| refs.iter().find(|r| r["controller"] == json!(true)));
                if let Some((key, scale)) =
                    owner.and_then(|o| scale_of(s(o, "/kind"), s(o, "/name")))
                {
                    controllers.insert(key, scale);
                }
            }
            controllers.values().sum()
        }
    };
    let desired = match (&min_available, &max_unavailable) {
        (Some(m), _) => scaled(m, expected),
        (None, Some(m)) => (expected - scaled(m, expected)).max(0),
        (None, None) => 0,
    };
    let healthy = pods.iter().filter(|p| is_ready(p)).count() as i64;
    let allowed = (healthy - desired).max(0);
    let generation = pdb
        .pointer("/metadata/generation")
        .cloned()
        .unwrap_or(json!(1));
    let (status, reason) = if allowed > 0 {
        ("True", "SufficientPods")
    } else {
        ("False", "InsufficientPods")
    };
    let old = pdb
        .pointer("/status/conditions/0")
        .filter(|c| s(c, "/status") == status);
    let since = old.map_or(now, |c| s(c, "/lastTransitionTime"));
    json!({
        "observedGeneration": generation,
        "disruptionsAllowed": allowed,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "conditions": [{"type": "DisruptionAllowed", "status": status, "reason": reason, "message": "",
            "observedGeneration": generation, "lastTransitionTime": since}],
    })
}

/// One pass over every budget of the cluster.
pub fn reconcile(store: &Store) {
    let (_, budgets) = store.list("poddisruptionbudgets", None);
    if budgets.is_empty() {
        return;
    }
    let (_, pods) = store.list("pods", None);
    let now = crate::store::now();
    for pdb in budgets {
        let ns = s(&pdb, "/metadata/namespace").to_string();
        // No selector (or one that does not parse) picks no pod; an empty one picks them all.
        let selector = pdb
            .pointer("/spec/selector")
            .and_then(|v| serde_json::from_value::<LabelSelector>(v.clone()).ok())
            .and_then(|l| Selector::try_from(l).ok());
        let picked: Vec<&Value> = pods
            .iter()
            .map(Arc::as_ref)
            .filter(|p| s(p, "/metadata/namespace") == ns)
            .filter(|p| {
                let labels: BTreeMap<String, String> = p
                    .pointer("/metadata/labels")
                    .and_then(|l| serde_json::from_value(l.clone()).ok())
                    .unwrap_or_default();
                selector.as_ref().is_some_and(|s| s.matches(&labels))
            })
            .collect();
        let scale_of = |kind: &str, name: &str| -> Option<(String, i64)> {
            let replicas = |o: &Value| o.pointer("/spec/replicas").and_then(Value::as_i64);
            match kind {
                "ReplicaSet" => {
                    let rs = store.get("replicasets", &ns, name)?;
                    let deployment = rs
                        .pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .and_then(|r| r.iter().find(|o| s(o, "/kind") == "Deployment"))
                        .and_then(|o| store.get("deployments", &ns, s(o, "/name")));
                    match deployment {
                        Some(d) => Some((
                            format!("Deployment/{}", s(&d, "/metadata/name")),
                            replicas(&d)?,
                        )),
                        None => Some((format!("ReplicaSet/{name}"), replicas(&rs)?)),
                    }
                }
                "StatefulSet" => Some((
                    format!("StatefulSet/{name}"),
                    replicas(store.get("statefulsets", &ns, name)?.as_ref())?,
                )),
                _ => None,
            }
        };
        let status = status(&pdb, &picked, scale_of, &now);
        if pdb.get("status") != Some(&status) {
            let name = s(&pdb, "/metadata/name").to_string();
            store.modify(by_store("poddisruptionbudgets"), &ns, &name, |o| {
                o["status"] = status
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, ready: bool) -> Value {
        json!({"metadata": {"name": name, "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "controller": true}]},
            "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}})
    }

    fn budget(spec: Value) -> Value {
        json!({"metadata": {"name": "web", "generation": 1}, "spec": spec})
    }

    #[test]
    fn budgets_count_as_the_disruption_controller_does() {
        let pods = [pod("a", true), pod("b", true), pod("c", false)];
        let picked: Vec<&Value> = pods.iter().collect();
        let scale = |_: &str, _: &str| Some(("Deployment/web".to_string(), 3));
        let of = |spec: Value| {
            let st = status(&budget(spec), &picked, scale, "t");
            (
                st["expectedPods"].as_i64().unwrap_or(-1),
                st["desiredHealthy"].as_i64().unwrap_or(-1),
                st["currentHealthy"].as_i64().unwrap_or(-1),
                st["disruptionsAllowed"].as_i64().unwrap_or(-1),
            )
        };
        assert_eq!(of(json!({"minAvailable": 1})), (3, 1, 2, 1));
        assert_eq!(of(json!({"minAvailable": 3})), (3, 3, 2, 0));
        assert_eq!(
            of(json!({"minAvailable": "50%"})),
            (3, 2, 2, 0),
            "rounded up"
        );
        assert_eq!(of(json!({"maxUnavailable": 0})), (3, 3, 2, 0));
        assert_eq!(of(json!({"maxUnavailable": 1})), (3, 2, 2, 0));
        assert_eq!(of(json!({"maxUnavailable": "34%"})), (3, 1, 2, 1));
        let st = status(&budget(json!({"minAvailable": 1})), &picked, scale, "t");
        assert_eq!(st["conditions"][0]["reason"], "SufficientPods");
    }
}
