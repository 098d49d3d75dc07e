//! Pods as the portal keeps them: only the fields views and rules read.
//!
//! k8s-openapi's `Pod` holds every field of the API inline, present or not: an empty `Container`
//! alone is about 2 KiB, a `Pod` about 2 KiB more. Pods are most of what a fleet caches (300 000
//! of them at the large bench size), so these types keep the same field names and shapes as
//! k8s-openapi for what is used and never read the rest off the wire — container `env`, `args` and
//! `command` included, so their values are not even in memory.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Deserialize, Serialize};

/// A Pod (`v1`, `pods`), as much as the portal reads of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<PodSpec>,
    #[serde(default)]
    pub status: Option<PodStatus>,
}

namespaced_kind!(Pod, "", "v1", "Pod", "pods");

impl k8s_openapi::ListableResource for Pod {
    const LIST_KIND: &'static str = "PodList";
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default)]
    pub containers: Vec<Container>,
    #[serde(default)]
    pub init_containers: Option<Vec<Container>>,
    #[serde(default)]
    pub node_name: Option<String>,
}

/// A container of the spec: its name, image, resources and readiness probe.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub resources: Option<Box<core::ResourceRequirements>>,
    #[serde(default)]
    pub readiness_probe: Option<Box<Probe>>,
    #[serde(default)]
    pub liveness_probe: Option<Box<Probe>>,
    #[serde(default)]
    pub startup_probe: Option<Box<Probe>>,
}

/// A probe: its timing and what it calls (an `exec` probe's command is never read).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(default)]
    pub http_get: Option<Box<core::HTTPGetAction>>,
    #[serde(default)]
    pub tcp_socket: Option<Box<core::TCPSocketAction>>,
    #[serde(default)]
    pub grpc: Option<Box<core::GRPCAction>>,
    /// Present when the probe runs a command; the command itself is skipped unread.
    #[serde(default, skip_serializing, deserialize_with = "present")]
    pub exec: bool,
    #[serde(default)]
    pub timeout_seconds: Option<i32>,
    #[serde(default)]
    pub success_threshold: Option<i32>,
    #[serde(default)]
    pub initial_delay_seconds: Option<i32>,
    #[serde(default)]
    pub period_seconds: Option<i32>,
    #[serde(default)]
    pub failure_threshold: Option<i32>,
}

/// True for any value, which is skipped without being read.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default, rename = "podIP")]
    pub pod_ip: Option<String>,
    #[serde(default)]
    pub qos_class: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub conditions: Option<Vec<core::PodCondition>>,
    #[serde(default)]
    pub container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(default)]
    pub init_container_statuses: Option<Vec<ContainerStatus>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default)]
    pub started: Option<bool>,
    #[serde(default)]
    pub state: Option<ContainerState>,
    #[serde(default)]
    pub last_state: Option<ContainerState>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerState {
    #[serde(default)]
    pub running: Option<ContainerStateRunning>,
    #[serde(default)]
    pub terminated: Option<Box<ContainerStateTerminated>>,
    #[serde(default)]
    pub waiting: Option<ContainerStateWaiting>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStateRunning {
    #[serde(default)]
    pub started_at: Option<Time>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStateTerminated {
    #[serde(default)]
    pub exit_code: i32,
    #[serde(default)]
    pub signal: Option<i32>,
    #[serde(default)]
    pub started_at: Option<Time>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub finished_at: Option<Time>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStateWaiting {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_reads_what_the_portal_needs_and_drops_secrets_in_env() {
        let p: Pod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "cart-1", "namespace": "shop", "labels": {"app": "cart"}},
            "spec": {"nodeName": "n1", "volumes": [{"name": "v"}], "containers": [{"name": "app", "image": "r/cart:1",
                "env": [{"name": "DB_PASSWORD", "value": "hunter2"}], "args": ["--token=abc"],
                "resources": {"limits": {"memory": "128Mi"}}, "readinessProbe": {"httpGet": {"port": 80}, "periodSeconds": 5}}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "app", "image": "r/cart:1", "imageID": "", "ready": true,
                "restartCount": 2, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let c = &p
            .spec
            .as_ref()
            .map(|s| s.containers.clone())
            .unwrap_or_default()[0];
        assert_eq!(c.image.as_deref(), Some("r/cart:1"));
        assert_eq!(
            c.readiness_probe.as_ref().and_then(|p| p.period_seconds),
            Some(5)
        );
        let text = serde_json::to_string(&p).unwrap_or_default();
        assert!(
            !text.contains("hunter2") && !text.contains("--token"),
            "{text}"
        );
        let s = &p
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.clone())
            .unwrap_or_default()[0];
        assert_eq!(s.restart_count, 2);
        assert_eq!(
            s.last_state
                .as_ref()
                .and_then(|l| l.terminated.as_ref())
                .map(|t| t.exit_code),
            Some(137)
        );
        assert!(
            std::mem::size_of::<Container>() < 200,
            "{}",
            std::mem::size_of::<Container>()
        );
    }
}
