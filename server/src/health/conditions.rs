//! Configured custom resources (`customResources`): each object's `status.conditions` as the
//! cluster map shows them, its health from them, and the rule `condition-false` — a `Ready` or
//! `Available` condition False with a message — pure.

use super::Raw;
use app::model::{ConditionView, CustomResourceView, Health, Severity};
use kube::api::DynamicObject;

/// The conditions that say whether the object works, as controllers of every kind write them.
const VITAL: [&str; 2] = ["Ready", "Available"];

/// The object's conditions, as its status has them (unreadable entries left out).
pub fn conditions(o: &DynamicObject) -> Vec<ConditionView> {
    let text = |c: &serde_json::Value, k: &str| c.get(k).and_then(|v| v.as_str()).map(String::from);
    o.data
        .pointer("/status/conditions")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some(ConditionView {
                kind: text(c, "type")?,
                status: text(c, "status").unwrap_or_else(|| "Unknown".into()),
                reason: text(c, "reason").filter(|r| !r.is_empty()),
                message: text(c, "message").filter(|m| !m.is_empty()),
            })
        })
        .collect()
}

/// Failing when a vital condition is False, healthy when one is True (and none False),
/// progressing otherwise (Unknown, or not written yet).
pub fn health(conditions: &[ConditionView]) -> Health {
    let vital = || {
        conditions
            .iter()
            .filter(|c| VITAL.contains(&c.kind.as_str()))
    };
    if vital().any(|c| c.status == "False") {
        Health::Failing
    } else if vital().any(|c| c.status == "True") {
        Health::Healthy
    } else {
        Health::Progressing
    }
}

/// The object's kind as it says (`Certificate`), else the resource's id.
pub fn kind_of(id: &'static str, o: &DynamicObject) -> String {
    o.types
        .as_ref()
        .map(|t| t.kind.clone())
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| id.to_string())
}

/// The object as the service page and the API show it.
pub fn view(
    cluster: &str,
    api_version: String,
    id: &'static str,
    o: &DynamicObject,
) -> CustomResourceView {
    let conditions = conditions(o);
    CustomResourceView {
        cluster: cluster.to_string(),
        resource: id.to_string(),
        api_version,
        kind: kind_of(id, o),
        namespace: o.metadata.namespace.clone().unwrap_or_default(),
        name: o.metadata.name.clone().unwrap_or_default(),
        health: health(&conditions),
        conditions,
    }
}

/// `condition-false`: a `Ready` or `Available` condition is False and says why.
pub fn rules(kind: &'static str, o: &DynamicObject) -> Vec<Raw> {
    let since = o
        .data
        .pointer("/status/conditions")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter(|c| {
            c.get("status").and_then(|s| s.as_str()) == Some("False")
                && c.get("type")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| VITAL.contains(&t))
        })
        .filter_map(|c| {
            c.get("lastTransitionTime")?
                .as_str()?
                .parse::<jiff::Timestamp>()
                .ok()
        })
        .min();
    conditions(o)
        .into_iter()
        .filter(|c| VITAL.contains(&c.kind.as_str()) && c.status == "False")
        .filter_map(|c| {
            let message = c.message?;
            let mut r = Raw::new("condition-false", Severity::Error, kind, &o.metadata);
            let reason = c.reason.map(|r| format!(" ({r})")).unwrap_or_default();
            r.message = format!("{kind} {}: {} is False{reason}", r.name, c.kind);
            r.cause = message;
            r.fix = format!(
                "The {kind}'s controller says why in the cause above: fix what it names (the object's YAML shows its spec), and it sets {} True again once it succeeds.",
                c.kind
            );
            r.since = since;
            Some(r)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::fixtures::from;
    use serde_json::json;

    fn object(conditions: serde_json::Value) -> DynamicObject {
        from(json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "web-tls", "namespace": "shop"},
            "status": {"conditions": conditions}
        }))
    }

    #[test]
    fn a_false_ready_condition_with_a_message_is_a_finding() {
        let o = object(json!([
            {"type": "Ready", "status": "False", "reason": "Failed", "message": "429 rateLimited", "lastTransitionTime": "2026-12-01T04:00:00Z"},
            {"type": "Issuing", "status": "False", "reason": "Failed", "message": "will be retried"}
        ]));
        assert_eq!(kind_of("certificates.cert-manager.io", &o), "Certificate");
        let found = rules("Certificate", &o);
        assert_eq!(found.len(), 1, "Issuing is not a vital condition");
        let r = &found[0];
        assert_eq!(r.rule, "condition-false");
        assert_eq!(r.severity, Severity::Error);
        assert_eq!(r.message, "Certificate web-tls: Ready is False (Failed)");
        assert_eq!(r.cause, "429 rateLimited");
        assert_eq!(r.since, "2026-12-01T04:00:00Z".parse().ok());
        let v = view(
            "eu",
            "cert-manager.io/v1".into(),
            "certificates.cert-manager.io",
            &o,
        );
        assert_eq!(v.health, Health::Failing);
        assert_eq!(v.conditions.len(), 2);
    }

    #[test]
    fn true_unknown_and_silent_conditions_are_no_finding() {
        let cases = [
            (
                json!([{"type": "Ready", "status": "True", "message": "up to date"}]),
                Health::Healthy,
            ),
            (
                json!([{"type": "Available", "status": "Unknown"}]),
                Health::Progressing,
            ),
            (
                json!([{"type": "Ready", "status": "False"}]),
                Health::Failing,
            ),
            (json!([]), Health::Progressing),
            (json!("not a list"), Health::Progressing),
        ];
        for (conditions, health_is) in cases {
            let o = object(conditions.clone());
            assert!(rules("Certificate", &o).is_empty(), "{conditions}");
            assert_eq!(health(&super::conditions(&o)), health_is, "{conditions}");
        }
    }
}
