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
    /// CPU in millicores and memory in bytes, used against requested and allowed.
    pub cpu: super::Usage,
    pub memory: super::Usage,
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

/// What the pod page's log shows, from its query string (`?container=&previous=true&follow=true&wrap=true&q=`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogChoice {
    /// The container; the first app container when unset or not the pod's.
    pub container: Option<String>,
    /// The previous (crashed) run's log.
    pub previous: bool,
    /// New lines stream in as the container writes them.
    pub follow: bool,
    /// Long lines wrap instead of scrolling sideways.
    pub wrap: bool,
    /// Highlighted wherever it occurs (case-insensitive).
    pub q: String,
}

/// `line` in pieces, each `true` where it is an occurrence of `q` (ASCII letters in any case),
/// for highlighting a log search; one unmarked piece when `q` is empty or absent.
pub fn matches<'a>(line: &'a str, q: &str) -> Vec<(&'a str, bool)> {
    if q.is_empty() {
        return vec![(line, false)];
    }
    // ASCII case folding keeps every byte offset (and so every char boundary) of `line`.
    let hay = line.to_ascii_lowercase();
    let needle = q.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = hay[from..].find(&needle) {
        let start = from + found;
        let end = start + needle.len();
        if start > from {
            out.push((&line[from..start], false));
        }
        out.push((&line[start..end], true));
        from = end;
    }
    if from < line.len() || out.is_empty() {
        out.push((&line[from..], false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn a_search_marks_every_occurrence_in_any_case() {
        assert_eq!(
            matches("GET /a error Error é", "error"),
            [
                ("GET /a ", false),
                ("error", true),
                (" ", false),
                ("Error", true),
                (" é", false)
            ]
        );
        assert_eq!(matches("abc", ""), [("abc", false)]);
        assert_eq!(matches("", "x"), [("", false)]);
        assert_eq!(matches("xx", "x"), [("x", true), ("x", true)]);
    }
}
