//! PodDisruptionBudgets: which workload a budget covers, and the rule `pdb-blocks-disruption`.
//! Pure functions of the budget (its status is the disruption controller's count) and the
//! workload's pod template labels.

use super::Raw;
use app::model::Severity;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::core::{Selector, SelectorExt};
use std::collections::BTreeMap;

const DOCS: &str = "https://kubernetes.io/docs/tasks/run-application/configure-pdb/#think-about-how-your-application-reacts-to-disruptions";

/// The budget's counts from its status: (disruptions allowed, healthy, desired healthy, expected).
pub fn counts(p: &PodDisruptionBudget) -> Option<(i32, i32, i32, i32)> {
    let s = p.status.as_ref()?;
    Some((
        s.disruptions_allowed,
        s.current_healthy,
        s.desired_healthy,
        s.expected_pods,
    ))
}

/// `minAvailable 3` or `maxUnavailable 0`, as the budget says it.
pub fn terms(p: &PodDisruptionBudget) -> String {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let show = |v: &IntOrString| match v {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    let spec = p.spec.as_ref();
    match (
        spec.and_then(|s| s.min_available.as_ref()),
        spec.and_then(|s| s.max_unavailable.as_ref()),
    ) {
        (Some(m), _) => format!("minAvailable {}", show(m)),
        (None, Some(m)) => format!("maxUnavailable {}", show(m)),
        (None, None) => "no minimum".into(),
    }
}

/// True when the budget's selector picks pods with these (pod template) labels in its namespace.
/// An empty selector picks every pod of the namespace (policy/v1); a budget without one picks none.
pub fn covers(p: &PodDisruptionBudget, namespace: &str, labels: &BTreeMap<String, String>) -> bool {
    p.metadata.namespace.as_deref() == Some(namespace)
        && p.spec
            .as_ref()
            .and_then(|s| Selector::try_from(s.selector.clone()?).ok())
            .is_some_and(|s| s.matches(labels))
}

/// `pdb-blocks-disruption`: every pod the budget expects is healthy and still no disruption is
/// allowed, so evicting any pod would break it: `kubectl drain` and node upgrades wait on it
/// forever. (Zero allowed while pods are unhealthy is the budget doing its job, not this rule.)
pub fn rule(p: &PodDisruptionBudget) -> Option<Raw> {
    let (allowed, healthy, desired, expected) = counts(p)?;
    if allowed > 0 || expected == 0 || healthy < expected {
        return None;
    }
    let name = p.metadata.name.clone().unwrap_or_default();
    let terms = terms(p);
    Some(Raw {
        message: format!(
            "PodDisruptionBudget {name} allows no disruption with all {expected} pods healthy ({terms})"
        ),
        cause: format!(
            "The budget needs {desired} of {expected} pods available at all times, so no pod may be evicted even when all are up: a node drain, a cluster upgrade or the autoscaler removing a node waits on these pods until someone steps in."
        ),
        fix: "Let one pod go at a time: set maxUnavailable: 1 (or a minAvailable below the replica count), or run more replicas than the budget needs.".into(),
        docs: Some(DOCS),
        ..Raw::new(
            "pdb-blocks-disruption",
            Severity::Warning,
            "PodDisruptionBudget",
            &p.metadata,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(spec: serde_json::Value, status: (i32, i32, i32, i32)) -> PodDisruptionBudget {
        let (allowed, healthy, desired, expected) = status;
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "ledger", "namespace": "payments"},
            "spec": spec,
            "status": {"disruptionsAllowed": allowed, "currentHealthy": healthy, "desiredHealthy": desired, "expectedPods": expected}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_rule_fires_only_when_a_healthy_workload_still_may_not_lose_a_pod() {
        let sel = serde_json::json!({"matchLabels": {"app": "ledger"}});
        for (spec, status, fires) in [
            (
                serde_json::json!({"selector": sel, "maxUnavailable": 0}),
                (0, 3, 3, 3),
                true,
            ),
            (
                serde_json::json!({"selector": sel, "minAvailable": 3}),
                (0, 3, 3, 3),
                true,
            ),
            (
                serde_json::json!({"selector": sel, "minAvailable": 5}),
                (0, 3, 5, 3),
                true,
            ),
            (
                serde_json::json!({"selector": sel, "minAvailable": 2}),
                (1, 3, 2, 3),
                false,
            ),
            // One pod down: zero allowed is the budget protecting the rest.
            (
                serde_json::json!({"selector": sel, "minAvailable": 2}),
                (0, 2, 2, 3),
                false,
            ),
            // Nothing to protect.
            (
                serde_json::json!({"selector": sel, "maxUnavailable": 0}),
                (0, 0, 0, 0),
                false,
            ),
        ] {
            let p = budget(spec.clone(), status);
            assert_eq!(rule(&p).is_some(), fires, "{spec} {status:?}");
        }
        let r = rule(&budget(
            serde_json::json!({"selector": sel, "maxUnavailable": 0}),
            (0, 3, 3, 3),
        ))
        .unwrap_or_default();
        assert_eq!(
            r.message,
            "PodDisruptionBudget ledger allows no disruption with all 3 pods healthy (maxUnavailable 0)"
        );
        assert_eq!(
            (r.kind, r.namespace.as_str()),
            ("PodDisruptionBudget", "payments")
        );
    }

    #[test]
    fn a_budget_covers_the_workloads_whose_pods_it_selects() {
        let labels = |app: &str| BTreeMap::from([("app".to_string(), app.to_string())]);
        let p = budget(
            serde_json::json!({"selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["ledger"]}]}}),
            (0, 0, 0, 0),
        );
        assert!(covers(&p, "payments", &labels("ledger")));
        assert!(!covers(&p, "payments", &labels("cart")));
        assert!(!covers(&p, "shop", &labels("ledger")), "another namespace");
        let none = budget(serde_json::json!({}), (0, 0, 0, 0));
        assert!(!covers(&none, "payments", &labels("ledger")));
    }
}
