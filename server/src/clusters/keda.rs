//! KEDA's `ScaledObject` and `ScaledJob` (`keda.sh/v1alpha1`), as much of them as the portal
//! reads, typed so they are watched like the built-in kinds where their CustomResourceDefinitions
//! are installed. A ScaledObject owns an HPA (`keda-hpa-<name>`, or `status.hpaName`) whose
//! External metrics are its triggers; a ScaledJob runs Jobs from its template (owned by it), as
//! many as its triggers ask for, up to its maximum.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Annotations that pause a ScaledObject (KEDA 2.7+): at a replica count, or where it is.
pub const PAUSED_REPLICAS: &str = "autoscaling.keda.sh/paused-replicas";
pub const PAUSED: &str = "autoscaling.keda.sh/paused";

/// A KEDA ScaledObject: event-driven autoscaling of a workload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScaledObject {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ScaledObjectSpec,
    #[serde(default)]
    pub status: ScaledObjectStatus,
}

namespaced_kind!(
    ScaledObject,
    "keda.sh",
    "v1alpha1",
    "ScaledObject",
    "scaledobjects"
);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScaledObjectSpec {
    pub scale_target_ref: TargetRef,
    pub polling_interval: Option<i32>,
    pub cooldown_period: Option<i32>,
    pub idle_replica_count: Option<i32>,
    pub min_replica_count: Option<i32>,
    pub max_replica_count: Option<i32>,
    pub fallback: Option<Fallback>,
    pub triggers: Vec<Trigger>,
}

/// A KEDA ScaledJob: Jobs started by events (one per queue message, up to a maximum).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScaledJob {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ScaledJobSpec,
    #[serde(default)]
    pub status: ScaledJobStatus,
}

namespaced_kind!(ScaledJob, "keda.sh", "v1alpha1", "ScaledJob", "scaledjobs");

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScaledJobSpec {
    /// The Jobs' spec (its pod template is trimmed like any other).
    pub job_target_ref: Option<k8s_openapi::api::batch::v1::JobSpec>,
    pub polling_interval: Option<i32>,
    pub min_replica_count: Option<i32>,
    pub max_replica_count: Option<i32>,
    pub scaling_strategy: Option<ScalingStrategy>,
    pub triggers: Vec<Trigger>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScalingStrategy {
    /// `default`, `custom` or `accurate`.
    pub strategy: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScaledJobStatus {
    pub conditions: Vec<Condition>,
    pub last_active_time: Option<String>,
}

impl ScaledJob {
    /// Whether a condition is `True`.
    pub fn condition(&self, kind: &str) -> bool {
        is_true(&self.status.conditions, kind)
    }

    /// Paused by annotation.
    pub fn paused(&self) -> Option<String> {
        paused(&self.metadata, &self.status.conditions)
    }
}

fn is_true(conditions: &[Condition], kind: &str) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == kind && c.status == "True")
}

/// Paused by annotation, at a replica count or where it is, or as its `Paused` condition says.
fn paused(meta: &ObjectMeta, conditions: &[Condition]) -> Option<String> {
    let a = meta.annotations.as_ref();
    if let Some(n) = a.and_then(|a| a.get(PAUSED_REPLICAS)) {
        return Some(format!("paused at {n} replicas ({PAUSED_REPLICAS})"));
    }
    if a.and_then(|a| a.get(PAUSED)).is_some_and(|v| v == "true") {
        return Some(format!("paused where it is ({PAUSED})"));
    }
    is_true(conditions, "Paused").then(|| "paused".into())
}

impl Trigger {
    /// The trigger in words: its type and name, else what it reads (`rabbitmq orders`).
    pub fn words(&self) -> String {
        let detail = ["queueName", "topic", "stream", "metricName", "query"]
            .iter()
            .find_map(|k| self.metadata.get(*k)?.as_str().map(str::to_string));
        match (self.name.as_deref(), detail) {
            (Some(n), _) => format!("{} {n}", self.type_),
            (None, Some(d)) => format!("{} {}", self.type_, app::model::clip(d)),
            (None, None) => self.type_.clone(),
        }
    }

    /// The value it scales towards (`value`, `queueLength`, `threshold`…), when a number.
    pub fn target(&self) -> Option<f64> {
        [
            "value",
            "queueLength",
            "threshold",
            "lagThreshold",
            "targetValue",
        ]
        .iter()
        .find_map(|k| self.metadata.get(*k)?.as_str()?.parse::<f64>().ok())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetRef {
    pub name: String,
    /// `Deployment` when not given.
    pub kind: Option<String>,
    pub api_version: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Fallback {
    pub failure_threshold: i32,
    pub replicas: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Trigger {
    #[serde(rename = "type")]
    pub type_: String,
    pub name: Option<String>,
    /// Scaler settings (`queueName`, `value`, `query`…); secrets are never here (they are in a
    /// TriggerAuthentication).
    pub metadata: BTreeMap<String, serde_json::Value>,
    pub metric_type: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScaledObjectStatus {
    pub hpa_name: Option<String>,
    pub external_metric_names: Vec<String>,
    pub conditions: Vec<Condition>,
    /// Per scaler metric (`s0-rabbitmq-orders`): `Happy` or `Failing`, with failures in a row.
    pub health: BTreeMap<String, Health>,
    pub paused_replica_count: Option<i32>,
    pub last_active_time: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Health {
    pub number_of_failures: Option<i32>,
    pub status: String,
}

impl ScaledObject {
    /// The HPA KEDA made for it.
    pub fn hpa_name(&self) -> String {
        self.status.hpa_name.clone().unwrap_or_else(|| {
            format!(
                "keda-hpa-{}",
                self.metadata.name.as_deref().unwrap_or_default()
            )
        })
    }

    /// `Deployment/worker`.
    pub fn target(&self) -> String {
        let t = &self.spec.scale_target_ref;
        format!("{}/{}", t.kind.as_deref().unwrap_or("Deployment"), t.name)
    }

    /// Whether a condition is `True`.
    pub fn condition(&self, kind: &str) -> bool {
        is_true(&self.status.conditions, kind)
    }

    /// Paused by annotation, at a replica count or where it is.
    pub fn paused(&self) -> Option<String> {
        paused(&self.metadata, &self.status.conditions)
    }

    /// A trigger's words for one External metric name of its HPA (`s0-rabbitmq-orders` →
    /// `rabbitmq orders`): KEDA names them `s<index>-<type>-<detail>`.
    pub fn trigger_words(&self, metric: &str) -> String {
        let index = metric
            .strip_prefix('s')
            .and_then(|m| m.split('-').next())
            .and_then(|i| i.parse::<usize>().ok());
        match index.and_then(|i| self.spec.triggers.get(i)) {
            Some(t) => t.words(),
            None => metric.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_pauses_and_hpa_names_are_read_as_keda_writes_them() {
        let so: ScaledObject = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "worker", "namespace": "shop", "annotations": {"autoscaling.keda.sh/paused-replicas": "2"}},
            "spec": {"scaleTargetRef": {"name": "worker"}, "minReplicaCount": 0, "maxReplicaCount": 20,
                "triggers": [{"type": "rabbitmq", "metadata": {"queueName": "orders", "value": "50"}},
                             {"type": "prometheus", "name": "latency", "metadata": {"query": "sum(rate(x[1m]))"}}]},
            "status": {"health": {"s1-prometheus": {"numberOfFailures": 6, "status": "Failing"}}}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(so.hpa_name(), "keda-hpa-worker");
        assert_eq!(so.target(), "Deployment/worker");
        assert_eq!(so.trigger_words("s0-rabbitmq-orders"), "rabbitmq orders");
        assert_eq!(so.trigger_words("s1-prometheus"), "prometheus latency");
        assert_eq!(so.trigger_words("other"), "other");
        assert_eq!(
            so.paused().as_deref(),
            Some("paused at 2 replicas (autoscaling.keda.sh/paused-replicas)")
        );
    }
}
