//! The autoscaling tab's view types: gauges, metrics, conditions, replica history and spread.

use serde::{Deserialize, Serialize};

/// One metric of an autoscaler against its target.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricView {
    /// `Resource`, `ContainerResource`, `Pods`, `Object` or `External`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `cpu`, `memory`, a metric name; with the container or object where there is one.
    pub name: String,
    /// `Utilization` (percent of requests), `AverageValue` or `Value`.
    pub target_type: String,
    pub current: Option<f64>,
    pub target: f64,
    /// `%` for utilization, else the quantity's unit as written (`m`, `Mi`, or none).
    pub unit: String,
    /// current / target, when both are known.
    pub ratio: Option<f64>,
}

/// One of an autoscaler's conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionView {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// Where an autoscaler stands between its limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScaleStatus {
    /// Current replicas at maxReplicas: it cannot absorb more load.
    AtMax,
    /// At or above the near-max threshold (default 80 % of max).
    NearMax,
    /// It cannot compute a scale (metrics unavailable or scaling disabled).
    Inactive,
    #[default]
    Ok,
    /// At minReplicas.
    AtMin,
}

impl ScaleStatus {
    /// The stable id, as in the JSON API.
    pub fn id(self) -> &'static str {
        match self {
            Self::AtMax => "at-max",
            Self::NearMax => "near-max",
            Self::Inactive => "inactive",
            Self::Ok => "ok",
            Self::AtMin => "at-min",
        }
    }
}

/// A point of an autoscaler's replica history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaPoint {
    /// Seconds before the answer was made.
    pub seconds_ago: i64,
    pub replicas: i32,
}

/// One HPA in one cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalerView {
    pub cluster: String,
    pub region: String,
    pub namespace: String,
    pub name: String,
    /// The workload it scales (`Deployment/cart`).
    pub target: String,
    pub min: i32,
    pub max: i32,
    pub current: i32,
    pub desired: i32,
    pub status: ScaleStatus,
    pub metrics: Vec<MetricView>,
    pub conditions: Vec<ConditionView>,
    pub last_scale_time: Option<String>,
    /// The scale-up and scale-down behaviour in brief.
    pub behavior: Option<String>,
    /// The last hour of replica counts, oldest first.
    pub history: Vec<ReplicaPoint>,
}

/// A workload without an autoscaler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixedWorkload {
    pub cluster: String,
    pub region: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub replicas: i32,
}

/// How a service's replicas spread over one cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpreadEntry {
    pub cluster: String,
    pub region: String,
    pub replicas: i32,
    pub max: i32,
    /// This cluster's share of the service's replicas, 0..1.
    pub share: f64,
    /// The main metric's utilisation of its target (current / target), when known.
    pub load: Option<f64>,
    pub status: ScaleStatus,
}

/// How a service's replicas spread over clusters and regions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spread {
    pub clusters: Vec<SpreadEntry>,
    pub regions: Vec<SpreadEntry>,
    /// Notes such as "eu-west-1 is at its maximum while us-east-1 has room".
    pub notes: Vec<String>,
}
