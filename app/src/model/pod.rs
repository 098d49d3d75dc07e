//! One pod of a service: `GET /api/v1/services/{name}/pods/{cluster}/{namespace}/{pod}`.

use super::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A pod with everything needed to troubleshoot it without kubectl: where it runs, what owns it,
/// its conditions, each container's state, probes and resources, its findings and its events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodDetail {
    pub service: String,
    pub cluster: String,
    pub namespace: String,
    pub name: String,
    pub phase: String,
    pub node: Option<String>,
    pub pod_ip: Option<String>,
    pub qos_class: Option<String>,
    pub created: Option<String>,
    pub age_seconds: Option<i64>,
    /// The chain of owners, outermost first (`Deployment/cart`, `ReplicaSet/cart-7f9c…`).
    pub owners: Vec<OwnerRef>,
    pub conditions: Vec<PodConditionView>,
    pub init_containers: Vec<ContainerView>,
    pub containers: Vec<ContainerView>,
    /// The service's findings about this pod, with cause and fix.
    pub findings: Vec<Finding>,
    /// The pod's events, newest first.
    pub events: Vec<EventView>,
    /// `all` when the events were read from the cluster for this answer; `Warning` when that read
    /// failed and these are the Warning events the portal's watches keep.
    pub events_scope: String,
    /// Why the events could not be read (then `events` are the cached warnings).
    pub events_error: Option<String>,
}

/// One owner in the chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerRef {
    pub kind: String,
    pub name: String,
}

/// A pod condition (`PodScheduled`, `Initialized`, `ContainersReady`, `Ready`…).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodConditionView {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub since: Option<String>,
}

/// One container (or init container): its state now and last time, its probes and resources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerView {
    pub name: String,
    pub image: Option<String>,
    /// `running`, `waiting`, `terminated` or `unknown`.
    pub state: String,
    pub state_detail: ContainerRun,
    pub last_termination: Option<ContainerRun>,
    pub restarts: i32,
    pub ready: bool,
    pub started: Option<bool>,
    pub probes: Vec<ProbeView>,
    /// `cpu`, `memory`… as written in the spec.
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
}

/// A container's state: its reason, message, exit code and signal, and its times.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRun {
    pub reason: Option<String>,
    pub message: Option<String>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// A configured probe: what it calls and its timing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeView {
    /// `startup`, `readiness` or `liveness`.
    pub kind: String,
    /// `HTTP GET /ready on port 8080`, `TCP port 5432`, `gRPC port 9000`, `a command`.
    pub action: String,
    pub initial_delay_seconds: i32,
    pub period_seconds: i32,
    pub timeout_seconds: i32,
    pub success_threshold: i32,
    pub failure_threshold: i32,
}

/// One event about the pod.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    #[serde(rename = "type")]
    pub type_: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The component that reported it (`kubelet`, `default-scheduler`).
    pub source: Option<String>,
}
