//! Autoscaler rules: at or near maxReplicas, metrics it cannot read, a target it cannot scale.

use super::{Raw, Thresholds};
use crate::autoscaling::{metrics, replicas};
use app::model::Severity;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;

const HPA: &str = "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/";
const METRICS: &str = "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#support-for-resource-metrics";

/// "cpu 91% (target 70%), rps 50 (target 100)".
fn metric_summary(h: &HorizontalPodAutoscaler) -> String {
    metrics(h)
        .iter()
        .map(|m| match m.current {
            Some(c) => format!(
                "{} {:.0}{} (target {:.0}{})",
                m.name, c, m.unit, m.target, m.unit
            ),
            None => format!("{} unknown (target {:.0}{})", m.name, m.target, m.unit),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn condition<'a>(
    h: &'a HorizontalPodAutoscaler,
    kind: &str,
) -> Option<&'a k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerCondition> {
    h.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == kind)
}

/// Every autoscaling rule for one HPA.
pub fn rules(h: &HorizontalPodAutoscaler, t: Thresholds) -> Vec<Raw> {
    let mut out = Vec::new();
    let name = h.metadata.name.clone().unwrap_or_default();
    let raw = |rule, severity| Raw::new(rule, severity, "HorizontalPodAutoscaler", &h.metadata);
    let (_, max, current, desired) = replicas(h);
    let since =
        |kind: &str| condition(h, kind).and_then(|c| c.last_transition_time.as_ref().map(|t| t.0));
    if let Some(c) = condition(h, "ScalingActive").filter(|c| c.status == "False") {
        out.push(Raw {
            message: format!("{name} cannot compute a replica count: its metrics are unavailable; it stays at {current} replicas"),
            cause: c.message.clone().or_else(|| c.reason.clone()).unwrap_or_default(),
            fix: "Check that the metrics server (or the custom/external metrics adapter) runs and that the target's pods set resource requests for the metric.".into(),
            docs: Some(METRICS),
            since: since("ScalingActive"),
            ..raw("hpa-metrics-unavailable", Severity::Error)
        });
    }
    if let Some(c) = condition(h, "AbleToScale").filter(|c| c.status == "False") {
        out.push(Raw {
            message: format!("{name} cannot scale its target"),
            cause: c.message.clone().or_else(|| c.reason.clone()).unwrap_or_default(),
            fix: "Check that the scale target exists and has a scale subresource, and the HPA controller's permissions.".into(),
            docs: Some(HPA),
            since: since("AbleToScale"),
            ..raw("hpa-cannot-scale", Severity::Error)
        });
    }
    if max > 0 && current >= max {
        let limited = condition(h, "ScalingLimited")
            .filter(|c| c.status == "True" && c.reason.as_deref() == Some("TooManyReplicas"));
        let wants_more = desired > max || limited.is_some();
        out.push(Raw {
            message: format!(
                "{name} is at its maximum: {current} of {max} replicas{}",
                if wants_more { ", and the load asks for more" } else { "" }
            ),
            cause: format!("Metrics: {}.{}", metric_summary(h), limited.and_then(|c| c.message.clone()).map(|m| format!(" {m}")).unwrap_or_default()),
            fix: "Raise maxReplicas (check the cluster has room), move load to clusters with room, or make each replica handle more.".into(),
            docs: Some(HPA),
            count: u32::try_from(current).unwrap_or(0),
            ..raw("hpa-at-max", if wants_more { Severity::Error } else { Severity::Warning })
        });
    } else if max > 0 && f64::from(current) >= t.near_max * f64::from(max) {
        out.push(Raw {
            message: format!(
                "{name} is near its maximum: {current} of {max} replicas ({:.0} % of max; warned from {:.0} %)",
                100.0 * f64::from(current) / f64::from(max),
                100.0 * t.near_max
            ),
            cause: format!("Metrics: {}.", metric_summary(h)),
            fix: "Raise maxReplicas before peak load, or check why load grew.".into(),
            docs: Some(HPA),
            count: u32::try_from(current).unwrap_or(0),
            ..raw("hpa-near-max", Severity::Warning)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::fixtures::from;
    use serde_json::json;

    fn hpa(
        max: i32,
        current: i32,
        desired: i32,
        conditions: serde_json::Value,
    ) -> HorizontalPodAutoscaler {
        from(json!({
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"minReplicas": 2, "maxReplicas": max, "scaleTargetRef": {"kind": "Deployment", "name": "web"},
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
            "status": {"currentReplicas": current, "desiredReplicas": desired, "conditions": conditions,
                "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 95}}}]}
        }))
    }

    #[test]
    fn autoscaler_rules() {
        let t = Thresholds::default();
        let ids = |h: HorizontalPodAutoscaler| -> Vec<(&'static str, Severity)> {
            rules(&h, t)
                .into_iter()
                .map(|r| (r.rule, r.severity))
                .collect()
        };
        let cases = [
            (hpa(10, 5, 5, json!([])), vec![]),
            (hpa(10, 7, 7, json!([])), vec![]),
            (
                hpa(10, 8, 8, json!([])),
                vec![("hpa-near-max", Severity::Warning)],
            ),
            (
                hpa(10, 10, 10, json!([])),
                vec![("hpa-at-max", Severity::Warning)],
            ),
            (
                hpa(10, 10, 14, json!([])),
                vec![("hpa-at-max", Severity::Error)],
            ),
            (
                hpa(
                    10,
                    10,
                    10,
                    json!([{"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas", "message": "the desired replica count is more than the maximum replica count"}]),
                ),
                vec![("hpa-at-max", Severity::Error)],
            ),
            (
                hpa(
                    10,
                    3,
                    3,
                    json!([{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "message": "no metrics returned"}]),
                ),
                vec![("hpa-metrics-unavailable", Severity::Error)],
            ),
            (
                hpa(
                    10,
                    3,
                    3,
                    json!([{"type": "AbleToScale", "status": "False", "reason": "FailedGetScale", "message": "deployments/scale not found"}]),
                ),
                vec![("hpa-cannot-scale", Severity::Error)],
            ),
            (from(json!({"metadata": {"name": "bare"}})), vec![]),
        ];
        for (h, want) in cases {
            let name = format!(
                "{:?}",
                h.status
                    .as_ref()
                    .map(|s| (s.current_replicas, s.desired_replicas))
            );
            assert_eq!(ids(h), want, "{name}");
        }
        let r = &rules(&hpa(10, 10, 10, json!([])), t)[0];
        assert_eq!(r.message, "web is at its maximum: 10 of 10 replicas");
        assert!(r.cause.contains("cpu 95% (target 70%)"), "{}", r.cause);
        let near = &rules(
            &hpa(10, 8, 8, json!([])),
            Thresholds {
                near_max: 0.9,
                ..Default::default()
            },
        );
        assert!(near.is_empty(), "the threshold is configurable");
    }
}
