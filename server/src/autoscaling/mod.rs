//! The autoscaling model: each HPA's replicas between its limits, every metric against its target,
//! its conditions and behaviour, and how a service's replicas spread over clusters and regions.
//! Pure functions of trimmed objects; the replica history comes from the watch (see `history`).

use app::model::{
    AutoscalerView, ConditionView, FixedWorkload, MetricView, ReplicaPoint, ScaleStatus,
    SpreadEntry,
};
use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscaler, MetricStatus, MetricTarget, MetricValueStatus,
};
use std::collections::BTreeMap;

/// A Kubernetes quantity (`250m`, `512Mi`, `1.5k`, `2e3`) as a number.
pub fn parse_quantity(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let value: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    Some(value * factor)
}

/// The unit a quantity was written in, for showing numbers the way the manifest does.
fn unit_of(q: &str) -> String {
    q.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
        .to_string()
}

/// Expresses `value` in `unit` (the target's), so current and target read alike.
fn in_unit(value: f64, unit: &str) -> f64 {
    match parse_quantity(&format!("1{unit}")) {
        Some(f) if f > 0.0 => value / f,
        _ => value,
    }
}

fn target_of(t: &MetricTarget) -> (String, f64, String) {
    match t.type_.as_str() {
        "Utilization" => (
            "Utilization".into(),
            f64::from(t.average_utilization.unwrap_or(0)),
            "%".into(),
        ),
        "AverageValue" => {
            let q = t
                .average_value
                .as_ref()
                .map(|q| q.0.clone())
                .unwrap_or_default();
            (
                "AverageValue".into(),
                parse_quantity(&q).unwrap_or(0.0),
                unit_of(&q),
            )
        }
        _ => {
            let q = t.value.as_ref().map(|q| q.0.clone()).unwrap_or_default();
            (
                "Value".into(),
                parse_quantity(&q).unwrap_or(0.0),
                unit_of(&q),
            )
        }
    }
}

fn current_of(v: &MetricValueStatus, target_type: &str) -> Option<f64> {
    match target_type {
        "Utilization" => v.average_utilization.map(f64::from),
        "AverageValue" => v.average_value.as_ref().and_then(|q| parse_quantity(&q.0)),
        _ => v.value.as_ref().and_then(|q| parse_quantity(&q.0)),
    }
}

/// The metric's identity: type plus resource/metric name (and container or object).
fn metric_key(kind: &str, s: &MetricStatus) -> Option<String> {
    Some(match kind {
        "Resource" => s.resource.as_ref()?.name.clone(),
        "ContainerResource" => {
            let c = s.container_resource.as_ref()?;
            format!("{} of container {}", c.name, c.container)
        }
        "Pods" => s.pods.as_ref()?.metric.name.clone(),
        "Object" => {
            let o = s.object.as_ref()?;
            format!(
                "{} of {} {}",
                o.metric.name, o.described_object.kind, o.described_object.name
            )
        }
        "External" => s.external.as_ref()?.metric.name.clone(),
        _ => return None,
    })
}

/// Every metric of an HPA, current against target.
pub fn metrics(h: &HorizontalPodAutoscaler) -> Vec<MetricView> {
    let spec_metrics = h
        .spec
        .as_ref()
        .and_then(|s| s.metrics.clone())
        .unwrap_or_default();
    let current = h
        .status
        .as_ref()
        .and_then(|s| s.current_metrics.clone())
        .unwrap_or_default();
    spec_metrics
        .iter()
        .filter_map(|m| {
            let kind = m.type_.as_str();
            let (name, target) = match kind {
                "Resource" => {
                    let r = m.resource.as_ref()?;
                    (r.name.clone(), &r.target)
                }
                "ContainerResource" => {
                    let r = m.container_resource.as_ref()?;
                    (
                        format!("{} of container {}", r.name, r.container),
                        &r.target,
                    )
                }
                "Pods" => {
                    let p = m.pods.as_ref()?;
                    (p.metric.name.clone(), &p.target)
                }
                "Object" => {
                    let o = m.object.as_ref()?;
                    (
                        format!(
                            "{} of {} {}",
                            o.metric.name, o.described_object.kind, o.described_object.name
                        ),
                        &o.target,
                    )
                }
                "External" => {
                    let e = m.external.as_ref()?;
                    (e.metric.name.clone(), &e.target)
                }
                _ => return None,
            };
            let (target_type, target_value, unit) = target_of(target);
            let status = current
                .iter()
                .find(|s| s.type_ == kind && metric_key(kind, s).as_deref() == Some(name.as_str()));
            let value = status.and_then(|s| {
                let v = match kind {
                    "Resource" => &s.resource.as_ref()?.current,
                    "ContainerResource" => &s.container_resource.as_ref()?.current,
                    "Pods" => &s.pods.as_ref()?.current,
                    "Object" => &s.object.as_ref()?.current,
                    _ => &s.external.as_ref()?.current,
                };
                current_of(v, &target_type)
            });
            let (current, target_shown) = if target_type == "Utilization" {
                (value, target_value)
            } else {
                (
                    value.map(|v| in_unit(v, &unit)),
                    in_unit(target_value, &unit),
                )
            };
            Some(MetricView {
                kind: kind.to_string(),
                name,
                target_type,
                current,
                target: target_shown,
                unit,
                ratio: value
                    .filter(|_| target_value > 0.0)
                    .map(|v| v / target_value),
            })
        })
        .collect()
}

/// The three conditions (and any other the HPA reports).
pub fn conditions(h: &HorizontalPodAutoscaler) -> Vec<ConditionView> {
    h.status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|c| ConditionView {
            kind: c.type_,
            status: c.status,
            reason: c.reason,
            message: c.message,
        })
        .collect()
}

fn condition_false(h: &HorizontalPodAutoscaler, kind: &str) -> bool {
    h.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == kind && c.status == "False"))
}

/// (min, max, current, desired).
pub fn replicas(h: &HorizontalPodAutoscaler) -> (i32, i32, i32, i32) {
    let spec = h.spec.as_ref();
    let status = h.status.as_ref();
    (
        spec.and_then(|s| s.min_replicas).unwrap_or(1),
        spec.map_or(0, |s| s.max_replicas),
        status.and_then(|s| s.current_replicas).unwrap_or(0),
        status.map_or(0, |s| s.desired_replicas),
    )
}

/// Where the HPA stands: inactive when it cannot compute a scale, else by its replicas.
pub fn status(h: &HorizontalPodAutoscaler, near_max: f64) -> ScaleStatus {
    let (min, max, current, _) = replicas(h);
    let inactive = condition_false(h, "ScalingActive") || condition_false(h, "AbleToScale");
    position(inactive, [min, max, current], near_max)
}

/// Where an autoscaler with `[min, max, current]` stands (`inactive`: it cannot scale).
pub fn position(inactive: bool, [min, max, current]: [i32; 3], near_max: f64) -> ScaleStatus {
    if inactive {
        ScaleStatus::Inactive
    } else if max > 0 && current >= max {
        ScaleStatus::AtMax
    } else if max > 0 && f64::from(current) >= near_max * f64::from(max) {
        ScaleStatus::NearMax
    } else if current <= min {
        ScaleStatus::AtMin
    } else {
        ScaleStatus::Ok
    }
}

/// The scaling behaviour in one line.
pub fn behavior(h: &HorizontalPodAutoscaler) -> Option<String> {
    let b = h.spec.as_ref()?.behavior.as_ref()?;
    let rules = |name: &str, r: &Option<k8s_openapi::api::autoscaling::v2::HPAScalingRules>| {
        r.as_ref().map(|r| {
            let window = r
                .stabilization_window_seconds
                .map(|s| format!("{s} s window"))
                .unwrap_or_else(|| "default window".into());
            let policies: Vec<String> = r
                .policies
                .iter()
                .flatten()
                .map(|p| {
                    let unit = if p.type_ == "Percent" { "%" } else { " pods" };
                    format!("{}{unit} per {} s", p.value, p.period_seconds)
                })
                .collect();
            if policies.is_empty() {
                format!("{name}: {window}")
            } else {
                format!("{name}: {window}, at most {}", policies.join(" or "))
            }
        })
    };
    let parts: Vec<String> = [
        rules("scale up", &b.scale_up),
        rules("scale down", &b.scale_down),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// One HPA as the autoscaling tab shows it.
pub fn view(
    h: &HorizontalPodAutoscaler,
    cluster: &str,
    region: &str,
    near_max: f64,
    history: Vec<ReplicaPoint>,
) -> AutoscalerView {
    let (min, max, current, desired) = replicas(h);
    let target = h
        .spec
        .as_ref()
        .map(|s| format!("{}/{}", s.scale_target_ref.kind, s.scale_target_ref.name))
        .unwrap_or_default();
    AutoscalerView {
        cluster: cluster.to_string(),
        region: region.to_string(),
        namespace: h.metadata.namespace.clone().unwrap_or_default(),
        name: h.metadata.name.clone().unwrap_or_default(),
        target,
        min,
        max,
        current,
        desired,
        status: status(h, near_max),
        metrics: metrics(h),
        conditions: conditions(h),
        last_scale_time: h
            .status
            .as_ref()
            .and_then(|s| s.last_scale_time.as_ref())
            .map(|t| crate::time::rfc3339(t.0)),
        behavior: behavior(h),
        history,
    }
}

/// How replicas spread over clusters and regions, with notes when one region is at its limit while
/// another has room. Fixed workloads count their replicas as both current and max.
pub fn spread(
    autoscalers: &[AutoscalerView],
    fixed: &[FixedWorkload],
) -> (Vec<SpreadEntry>, Vec<SpreadEntry>, Vec<String>) {
    let mut by_cluster: BTreeMap<(String, String), SpreadEntry> = BTreeMap::new();
    for a in autoscalers {
        let e = by_cluster
            .entry((a.region.clone(), a.cluster.clone()))
            .or_insert_with(|| SpreadEntry {
                cluster: a.cluster.clone(),
                region: a.region.clone(),
                status: a.status,
                ..Default::default()
            });
        e.replicas += a.current;
        e.max += a.max;
        e.status = e.status.min(a.status);
        if let Some(r) = a.metrics.first().and_then(|m| m.ratio) {
            e.load = Some(e.load.map_or(r, |l: f64| l.max(r)));
        }
    }
    for f in fixed {
        let e = by_cluster
            .entry((f.region.clone(), f.cluster.clone()))
            .or_insert_with(|| SpreadEntry {
                cluster: f.cluster.clone(),
                region: f.region.clone(),
                status: ScaleStatus::Ok,
                ..Default::default()
            });
        e.replicas += f.replicas;
        e.max += f.replicas;
    }
    let total: i32 = by_cluster.values().map(|e| e.replicas).sum();
    let share = |n: i32| {
        if total > 0 {
            f64::from(n) / f64::from(total)
        } else {
            0.0
        }
    };
    let mut clusters: Vec<SpreadEntry> = by_cluster.into_values().collect();
    for e in &mut clusters {
        e.share = share(e.replicas);
    }
    let mut regions: BTreeMap<String, SpreadEntry> = BTreeMap::new();
    for e in &clusters {
        let r = regions
            .entry(e.region.clone())
            .or_insert_with(|| SpreadEntry {
                cluster: String::new(),
                region: e.region.clone(),
                status: e.status,
                ..Default::default()
            });
        r.replicas += e.replicas;
        r.max += e.max;
        r.status = r.status.min(e.status);
        if let Some(l) = e.load {
            r.load = Some(r.load.map_or(l, |x: f64| x.max(l)));
        }
    }
    let mut regions: Vec<SpreadEntry> = regions.into_values().collect();
    for r in &mut regions {
        r.share = share(r.replicas);
    }
    // A cluster at its maximum while whole regions elsewhere have room: load could move.
    let mut notes = Vec::new();
    let has_hpa = |region: &str| autoscalers.iter().any(|a| a.region == region);
    for full in clusters.iter().filter(|c| c.status == ScaleStatus::AtMax) {
        let roomy: Vec<&SpreadEntry> = regions
            .iter()
            .filter(|r| r.region != full.region && has_hpa(&r.region))
            .filter(|r| matches!(r.status, ScaleStatus::Ok | ScaleStatus::AtMin))
            .collect();
        if roomy.is_empty() {
            continue;
        }
        notes.push(format!(
            "{} ({}) is at its maximum ({}/{} replicas) while {} {} room ({}): shift traffic there or raise its maxReplicas.",
            full.cluster,
            full.region,
            full.replicas,
            full.max,
            roomy.iter().map(|r| r.region.as_str()).collect::<Vec<_>>().join(" and "),
            if roomy.len() == 1 { "has" } else { "have" },
            roomy
                .iter()
                .map(|r| format!("{}/{}", r.replicas, r.max))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    (clusters, regions, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::fixtures::from;
    use serde_json::json;

    #[test]
    fn quantities() {
        let cases = [
            ("250m", Some(0.25)),
            ("1", Some(1.0)),
            ("512Mi", Some(536_870_912.0)),
            ("1.5k", Some(1500.0)),
            ("2e3", Some(2000.0)),
            ("1Gi", Some(1_073_741_824.0)),
            ("10x", None),
            ("", None),
        ];
        for (q, want) in cases {
            assert_eq!(parse_quantity(q), want, "{q}");
        }
    }

    fn hpa(
        min: i32,
        max: i32,
        current: i32,
        conditions: serde_json::Value,
    ) -> HorizontalPodAutoscaler {
        from(json!({
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"minReplicas": min, "maxReplicas": max, "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                "metrics": [
                    {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                    {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "100"}}},
                    {"type": "External", "external": {"metric": {"name": "queue_depth"}, "target": {"type": "Value", "value": "2k"}}},
                    {"type": "ContainerResource", "containerResource": {"name": "memory", "container": "app", "target": {"type": "AverageValue", "averageValue": "400Mi"}}}
                ],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}},
            "status": {"currentReplicas": current, "desiredReplicas": current,
                "currentMetrics": [
                    {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 91}}},
                    {"type": "Pods", "pods": {"metric": {"name": "rps"}, "current": {"averageValue": "50"}}},
                    {"type": "ContainerResource", "containerResource": {"name": "memory", "container": "app", "current": {"averageValue": "200Mi"}}}
                ],
                "conditions": conditions}
        }))
    }

    #[test]
    fn status_at_each_threshold() {
        let cases = [
            (2, 10, 10, json!([]), ScaleStatus::AtMax),
            (2, 10, 8, json!([]), ScaleStatus::NearMax),
            (2, 10, 7, json!([]), ScaleStatus::Ok),
            (2, 10, 2, json!([]), ScaleStatus::AtMin),
            (
                2,
                10,
                10,
                json!([{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric"}]),
                ScaleStatus::Inactive,
            ),
        ];
        for (min, max, current, conditions, want) in cases {
            assert_eq!(
                status(&hpa(min, max, current, conditions), 0.8),
                want,
                "{current}/{max}"
            );
        }
        assert_eq!(
            status(&hpa(2, 10, 8, json!([])), 0.9),
            ScaleStatus::Ok,
            "the threshold is configurable"
        );
    }

    #[test]
    fn every_metric_type_against_its_target() {
        let m = metrics(&hpa(2, 10, 5, json!([])));
        let got: Vec<(&str, &str, Option<f64>, f64, &str)> = m
            .iter()
            .map(|m| {
                (
                    m.kind.as_str(),
                    m.name.as_str(),
                    m.current,
                    m.target,
                    m.unit.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("Resource", "cpu", Some(91.0), 70.0, "%"),
                ("Pods", "rps", Some(50.0), 100.0, ""),
                ("External", "queue_depth", None, 2.0, "k"),
                (
                    "ContainerResource",
                    "memory of container app",
                    Some(200.0),
                    400.0,
                    "Mi"
                ),
            ]
        );
        assert!((m[0].ratio.unwrap_or(0.0) - 1.3).abs() < 0.001);
        assert_eq!(
            behavior(&hpa(2, 10, 5, json!([]))).as_deref(),
            Some("scale down: 300 s window, at most 100% per 15 s")
        );
    }

    #[test]
    fn spread_notes_a_region_at_max_while_another_has_room() {
        let a = |cluster: &str, region: &str, current: i32, max: i32| AutoscalerView {
            cluster: cluster.into(),
            region: region.into(),
            current,
            max,
            status: if current >= max {
                ScaleStatus::AtMax
            } else {
                ScaleStatus::Ok
            },
            ..Default::default()
        };
        let (clusters, regions, notes) = spread(
            &[
                a("eu-1", "eu", 10, 10),
                a("us-1", "us", 4, 10),
                a("us-2", "us", 6, 10),
            ],
            &[],
        );
        assert_eq!(clusters.len(), 3);
        assert!((clusters[0].share - 0.5).abs() < 1e-9);
        let us = regions
            .iter()
            .find(|r| r.region == "us")
            .unwrap_or_else(|| panic!("us"));
        assert_eq!((us.replicas, us.max), (10, 20));
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with(
                "eu-1 (eu) is at its maximum (10/10 replicas) while us has room (10/20)"
            ),
            "{}",
            notes[0]
        );
        let (_, _, none) = spread(&[a("eu-1", "eu", 5, 10)], &[]);
        assert!(none.is_empty());
    }
}
