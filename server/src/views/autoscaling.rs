//! The autoscaling tab: every HPA of a service as a gauge (with its replica history), the
//! workloads with a fixed replica count, and how replicas spread over clusters and regions.

use crate::clusters::{ClusterObjects, ClusterWatch};
use app::model::{AutoscalerView, ConditionView, FixedWorkload, ScaleStatus, Spread};

/// Every HPA of the service here, and its workloads that have none.
pub fn autoscalers(
    c: &ClusterWatch,
    o: &ClusterObjects,
    near_max: f64,
) -> (Vec<AutoscalerView>, Vec<FixedWorkload>) {
    let now = jiff::Timestamp::now().as_second();
    let view_of = |h: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler| {
        let (ns, name) = (
            h.metadata.namespace.clone().unwrap_or_default(),
            h.metadata.name.clone().unwrap_or_default(),
        );
        let history = c.history.points(&ns, &name, now);
        crate::autoscaling::view(h, &o.cluster, &o.region, near_max, history)
    };
    // A KEDA ScaledObject is one gauge, its generated HPA part of it (never shown twice).
    let mut owned_hpas: Vec<(String, String)> = Vec::new();
    let mut views: Vec<AutoscalerView> = Vec::new();
    for so in &o.scaledobjects {
        let ns = so.metadata.namespace.clone().unwrap_or_default();
        let hpa = o.hpas.iter().find(|h| {
            h.metadata.namespace.as_deref() == Some(ns.as_str())
                && h.metadata.name.as_deref() == Some(so.hpa_name().as_str())
        });
        if hpa.is_some() {
            owned_hpas.push((ns.clone(), so.hpa_name()));
        }
        views.push(keda_view(
            so,
            hpa.map(|h| view_of(h)),
            &o.cluster,
            &o.region,
        ));
    }
    for sj in &o.scaledjobs {
        views.push(scaledjob_view(sj, &o.jobs, &o.cluster, &o.region, near_max));
    }
    views.extend(
        o.hpas
            .iter()
            .filter(|h| {
                !owned_hpas.iter().any(|(ns, name)| {
                    h.metadata.namespace.as_deref() == Some(ns.as_str())
                        && h.metadata.name.as_deref() == Some(name.as_str())
                })
            })
            .map(|h| view_of(h)),
    );
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

/// A KEDA ScaledObject as one gauge: its own limits (a minimum of 0 scales to zero when idle), its
/// triggers as the HPA's External metrics read them (named by trigger), its conditions with each
/// scaler's health, and the HPA's replicas, status and history (`hpa`, when KEDA has made it).
fn keda_view(
    so: &crate::clusters::keda::ScaledObject,
    hpa: Option<AutoscalerView>,
    cluster: &str,
    region: &str,
) -> AutoscalerView {
    let spec = &so.spec;
    let mut v = hpa.unwrap_or_else(|| AutoscalerView {
        status: ScaleStatus::Inactive,
        ..Default::default()
    });
    v.cluster = cluster.to_string();
    v.region = region.to_string();
    v.namespace = so.metadata.namespace.clone().unwrap_or_default();
    v.name = so.metadata.name.clone().unwrap_or_default();
    v.target = so.target();
    v.min = spec.min_replica_count.unwrap_or(0);
    v.max = spec.max_replica_count.unwrap_or(100);
    for m in &mut v.metrics {
        m.name = so.trigger_words(&m.name);
    }
    if v.current == 0 && v.min == 0 {
        v.status = ScaleStatus::AtMin;
    }
    let mut conditions = conditions_view(&so.status.conditions);
    for (metric, h) in &so.status.health {
        conditions.push(ConditionView {
            kind: format!("Scaler {}", so.trigger_words(metric)),
            status: if h.status == "Happy" { "True" } else { "False" }.into(),
            reason: Some(h.status.clone()),
            message: h
                .number_of_failures
                .filter(|n| *n > 0)
                .map(|n| format!("{n} failures in a row")),
        });
    }
    conditions.extend(std::mem::take(&mut v.conditions));
    v.conditions = conditions;
    let mut behavior: Vec<String> = vec!["KEDA".into()];
    if v.min == 0 {
        behavior.push(match spec.idle_replica_count {
            Some(n) => format!("{n} replicas when idle"),
            None => "scales to zero when idle".into(),
        });
    }
    if let Some(f) = &spec.fallback {
        behavior.push(format!(
            "fallback to {} replicas after {} failures",
            f.replicas, f.failure_threshold
        ));
    }
    if let Some(p) = so.paused() {
        behavior.push(p);
    }
    behavior.extend(v.behavior.take());
    v.behavior = Some(behavior.join("; "));
    v
}

/// KEDA's conditions as the gauge shows them.
fn conditions_view(conditions: &[crate::clusters::keda::Condition]) -> Vec<ConditionView> {
    conditions
        .iter()
        .map(|c| ConditionView {
            kind: c.type_.clone(),
            status: c.status.clone(),
            reason: c.reason.clone(),
            message: c.message.clone(),
        })
        .collect()
}

/// A ScaledJob gauge's target: its Jobs, not replicas of a workload.
pub const JOBS: &str = "Job template";

/// A KEDA ScaledJob as one gauge: its Jobs running (owned by it and not finished) between its
/// minimum and maximum, its triggers (with the value each scales towards; KEDA reads their
/// current values itself, not through an HPA), its conditions and how it scales.
fn scaledjob_view(
    sj: &crate::clusters::keda::ScaledJob,
    jobs: &[std::sync::Arc<k8s_openapi::api::batch::v1::Job>],
    cluster: &str,
    region: &str,
    near_max: f64,
) -> AutoscalerView {
    let spec = &sj.spec;
    let name = sj.metadata.name.clone().unwrap_or_default();
    let running = jobs
        .iter()
        .filter(|j| {
            j.metadata.namespace == sj.metadata.namespace
                && j.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|r| r.kind == "ScaledJob" && r.name == name)
                && j.status
                    .as_ref()
                    .is_some_and(|s| s.active.unwrap_or(0) > 0 && s.completion_time.is_none())
        })
        .count();
    let current = i32::try_from(running).unwrap_or(i32::MAX);
    let (min, max) = (
        spec.min_replica_count.unwrap_or(0),
        spec.max_replica_count.unwrap_or(100),
    );
    let not_ready = !sj.status.conditions.is_empty() && !sj.condition("Ready");
    let status = crate::autoscaling::position(not_ready, [min, max, current], near_max);
    let metrics = spec
        .triggers
        .iter()
        .map(|t| app::model::MetricView {
            kind: "External".into(),
            name: t.words(),
            target_type: "AverageValue".into(),
            current: None,
            target: t.target().unwrap_or_default(),
            unit: String::new(),
            ratio: None,
        })
        .collect();
    let mut behavior: Vec<String> = vec![format!(
        "KEDA ScaledJob: one Job per {} events, at most {max} at once",
        spec.triggers
            .first()
            .and_then(|t| t.target())
            .map_or_else(|| "trigger's target".to_string(), |v| v.to_string())
    )];
    behavior.push(format!(
        "polls every {} s",
        spec.polling_interval.unwrap_or(30)
    ));
    if let Some(s) = spec
        .scaling_strategy
        .as_ref()
        .and_then(|s| s.strategy.clone())
    {
        behavior.push(format!("{s} scaling strategy"));
    }
    if let Some(p) = sj.paused() {
        behavior.push(p);
    }
    AutoscalerView {
        cluster: cluster.to_string(),
        region: region.to_string(),
        namespace: sj.metadata.namespace.clone().unwrap_or_default(),
        name,
        target: JOBS.into(),
        min,
        max,
        current,
        desired: current,
        status,
        metrics,
        conditions: conditions_view(&sj.status.conditions),
        last_scale_time: sj.status.last_active_time.clone(),
        behavior: Some(behavior.join("; ")),
        history: Vec::new(),
    }
}

/// How the service's replicas spread over clusters and regions.
/// (A ScaledJob's Jobs are batch work, not replicas: not counted.)
pub fn spread(autoscalers: &[AutoscalerView], fixed: &[FixedWorkload]) -> Spread {
    let replicas: Vec<AutoscalerView> = autoscalers
        .iter()
        .filter(|a| a.target != JOBS)
        .cloned()
        .collect();
    let (clusters, regions, notes) = crate::autoscaling::spread(&replicas, fixed);
    Spread {
        clusters,
        regions,
        notes,
    }
}
