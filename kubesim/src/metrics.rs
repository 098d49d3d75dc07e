//! `metrics.k8s.io/v1beta1` as metrics-server serves it: PodMetrics and NodeMetrics, computed from
//! the cluster's state when asked (never stored), so `kubectl top pod` and `kubectl top node` work.
//!
//! The load model agrees with the HPA controller's: a pod of a workload whose HPA targets CPU
//! utilisation uses exactly the HPA's current `averageUtilization` of its CPU request. Other pods
//! use a steady share of their request picked from their name. Fault plans show: an `oom` pod's
//! memory stands just under its limit, a `cpu-throttled` pod's CPU just under its limit.

use crate::controllers::FAULT_ANNOTATION;
use crate::selector::LabelSelector;
use crate::store::Store;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The window each figure averages over, as metrics-server reports it.
const WINDOW: &str = "30s";
/// What a node's system daemons use besides its pods.
const NODE_SYSTEM: (u64, u64) = (180, 900 * MI);
const MI: u64 = 1024 * 1024;

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// A quantity as the model needs it: CPU in millicores, memory in bytes (`250m`, `2`, `256Mi`, `1Gi`).
fn quantity(q: &str, cpu: bool) -> Option<u64> {
    let split = q.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(q.len());
    let (n, unit) = q.split_at(split);
    let n: f64 = n.parse().ok()?;
    let factor = match (unit, cpu) {
        ("m", _) => 0.001,
        ("", _) => 1.0,
        ("k", _) => 1e3,
        ("M", _) => 1e6,
        ("G", _) => 1e9,
        ("Ki", _) => 1024.0,
        ("Mi", _) => MI as f64,
        ("Gi", _) => (1024 * MI) as f64,
        _ => return None,
    };
    let scale = if cpu { 1000.0 } else { 1.0 };
    Some((n * factor * scale).round() as u64)
}

/// A stable number in 0..1 for `name`.
fn share(name: &str, salt: u32) -> f64 {
    let h = name.bytes().fold(2166136261u32 ^ salt, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    f64::from(h % 1000) / 1000.0
}

/// The CPU utilisation (% of request) an HPA currently reports, if it targets CPU utilisation.
fn hpa_utilisation(hpa: &Value) -> Option<f64> {
    hpa.pointer("/status/currentMetrics")?
        .as_array()?
        .iter()
        .find(|m| s(m, "/type") == "Resource" && s(m, "/resource/name") == "cpu")?
        .pointer("/resource/current/averageUtilization")?
        .as_f64()
}

/// A ReplicaSet's owner as `(kind, name)`, by (namespace, ReplicaSet): each read once per answer.
type Owners = HashMap<(String, String), Option<(String, String)>>;

/// The workload that owns a pod, through its ReplicaSet: `(kind, name)`.
fn workload_of(store: &Store, pod: &Value, owners: &mut Owners) -> Option<(String, String)> {
    let owner = pod
        .pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))?;
    let (kind, name) = (s(owner, "/kind"), s(owner, "/name"));
    if kind == "ReplicaSet" {
        let namespace = s(pod, "/metadata/namespace");
        return owners
            .entry((namespace.to_string(), name.to_string()))
            .or_insert_with(|| {
                let rs = store.get("replicasets", namespace, name)?;
                let up = rs
                    .pointer("/metadata/ownerReferences")?
                    .as_array()?
                    .first()?;
                Some((s(up, "/kind").into(), s(up, "/name").into()))
            })
            .clone();
    }
    Some((kind.into(), name.into()))
}

/// One running container's usage: (millicores, bytes).
fn container_usage(pod: &Value, container: &Value, utilisation: Option<f64>) -> (u64, u64) {
    let name = format!("{}/{}", s(pod, "/metadata/name"), s(container, "/name"));
    let fault = s(
        pod,
        &format!(
            "/metadata/annotations/{}",
            FAULT_ANNOTATION.replace('/', "~1")
        ),
    );
    let get = |path: &str, cpu| quantity(s(container, path), cpu);
    let cpu_request = get("/resources/requests/cpu", true);
    let cpu_limit = get("/resources/limits/cpu", true);
    let mem_request = get("/resources/requests/memory", false);
    let mem_limit = get("/resources/limits/memory", false);
    let cpu = match (fault, cpu_limit, utilisation, cpu_request) {
        ("cpu-throttled", Some(limit), _, _) => limit * (97 + (share(&name, 1) * 3.0) as u64) / 100,
        (_, _, Some(u), Some(request)) => (u / 100.0 * request as f64).round() as u64,
        (_, _, _, Some(request)) => (request as f64 * (0.08 + 0.27 * share(&name, 2))) as u64,
        _ => 5 + (45.0 * share(&name, 2)) as u64,
    };
    let memory = match (fault, mem_limit, mem_request) {
        ("oom", Some(limit), _) => (limit as f64 * (0.93 + 0.05 * share(&name, 3))) as u64,
        (_, _, Some(request)) => (request as f64 * (0.45 + 0.3 * share(&name, 3))) as u64,
        (_, Some(limit), None) => (limit as f64 * (0.3 + 0.3 * share(&name, 3))) as u64,
        _ => (48 + (80.0 * share(&name, 3)) as u64) * MI,
    };
    // Whole millicores and kibibytes, as the figures are written.
    (cpu.max(1), memory / 1024 * 1024)
}

/// Every running pod's containers' usage: (namespace, name, labels, [(container, millicores, bytes)]).
type PodUsage = (String, String, Value, Vec<(String, u64, u64)>);

fn pods_usage(store: &Store, namespace: Option<&str>) -> Vec<(PodUsage, String)> {
    let (_, hpas) = store.list("horizontalpodautoscalers", namespace);
    // (namespace, target kind, target name) → its HPA's CPU utilisation.
    let utilisation: HashMap<(&str, &str, &str), f64> = hpas
        .iter()
        .filter_map(|h| {
            let key = (
                s(h, "/metadata/namespace"),
                s(h, "/spec/scaleTargetRef/kind"),
                s(h, "/spec/scaleTargetRef/name"),
            );
            Some((key, hpa_utilisation(h)?))
        })
        .collect();
    let (_, pods) = store.list("pods", namespace);
    let mut owners = Owners::new();
    let mut out = Vec::new();
    for pod in pods {
        if s(&pod, "/status/phase") != "Running" || s(&pod, "/spec/nodeName").is_empty() {
            continue;
        }
        let ns = s(&pod, "/metadata/namespace").to_string();
        let utilisation = workload_of(store, &pod, &mut owners).and_then(|(kind, name)| {
            utilisation
                .get(&(ns.as_str(), kind.as_str(), name.as_str()))
                .copied()
        });
        let running: Vec<&str> = pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter(|c| c.pointer("/state/running").is_some())
                    .map(|c| s(c, "/name"))
                    .collect()
            })
            .unwrap_or_default();
        let containers: Vec<(String, u64, u64)> = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter(|c| running.contains(&s(c, "/name")))
                    .map(|c| {
                        let (cpu, mem) = container_usage(&pod, c, utilisation);
                        (s(c, "/name").to_string(), cpu, mem)
                    })
                    .collect()
            })
            .unwrap_or_default();
        if containers.is_empty() {
            continue;
        }
        let labels = pod
            .pointer("/metadata/labels")
            .cloned()
            .unwrap_or(json!({}));
        let node = s(&pod, "/spec/nodeName").to_string();
        out.push((
            (
                ns,
                s(&pod, "/metadata/name").to_string(),
                labels,
                containers,
            ),
            node,
        ));
    }
    out
}

fn usage(cpu: u64, memory: u64) -> Value {
    json!({"cpu": format!("{}n", cpu * 1_000_000), "memory": format!("{}Ki", memory / 1024)})
}

/// The PodMetrics of the running pods in `namespace` (all when `None`) that `labels` selects.
pub fn pods(store: &Store, namespace: Option<&str>, labels: &LabelSelector) -> Vec<Value> {
    let now = crate::store::now();
    pods_usage(store, namespace)
        .into_iter()
        .filter(|((_, _, l, _), _)| labels.matches_labels(|k| l.get(k).and_then(Value::as_str)))
        .map(|((ns, name, l, containers), _)| {
            let containers: Vec<Value> = containers
                .iter()
                .map(|(c, cpu, mem)| json!({"name": c, "usage": usage(*cpu, *mem)}))
                .collect();
            json!({"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": now, "labels": l},
                "timestamp": now, "window": WINDOW, "containers": containers})
        })
        .collect()
}

/// The NodeMetrics of every Ready node: its pods' usage plus its system daemons'.
pub fn nodes(store: &Store, labels: &LabelSelector) -> Vec<Value> {
    let now = crate::store::now();
    let mut per_node: HashMap<String, (u64, u64)> = HashMap::new();
    for ((_, _, _, containers), node) in pods_usage(store, None) {
        let e = per_node.entry(node).or_default();
        for (_, cpu, mem) in containers {
            e.0 += cpu;
            e.1 += mem;
        }
    }
    let (_, nodes) = store.list("nodes", None);
    nodes
        .iter()
        .filter(|n| labels.matches_labels(|k| n.pointer("/metadata/labels")?.get(k)?.as_str()))
        .map(|n| {
            let name = s(n, "/metadata/name");
            let (cpu, mem) = per_node.get(name).copied().unwrap_or_default();
            json!({"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                "metadata": {"name": name, "creationTimestamp": now,
                    "labels": n.pointer("/metadata/labels").cloned().unwrap_or(json!({}))},
                "timestamp": now, "window": WINDOW,
                "usage": usage(cpu + NODE_SYSTEM.0, mem + NODE_SYSTEM.1)})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_in_millicores_and_bytes() {
        assert_eq!(quantity("250m", true), Some(250));
        assert_eq!(quantity("2", true), Some(2000));
        assert_eq!(quantity("256Mi", false), Some(256 * MI));
        assert_eq!(quantity("1Gi", false), Some(1024 * MI));
        assert_eq!(quantity("x", false), None);
    }

    #[test]
    fn usage_follows_the_hpa_and_the_fault_plan() {
        let pod = json!({"metadata": {"name": "web-1", "annotations": {}}});
        let c = json!({"name": "web", "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}});
        assert_eq!(container_usage(&pod, &c, Some(85.0)).0, 170);
        let (cpu, mem) = container_usage(&pod, &c, None);
        assert!((16..=70).contains(&cpu), "{cpu}");
        assert!((115 * MI..=193 * MI).contains(&mem), "{mem}");
        let oom = json!({"metadata": {"name": "x", "annotations": {"kubesim.io/fault": "oom"}}});
        let mem = container_usage(&oom, &c, None).1;
        assert!(mem * 100 >= 512 * MI * 93, "{mem}");
        let hot = json!({"metadata": {"name": "x", "annotations": {"kubesim.io/fault": "cpu-throttled"}}});
        let c = json!({"name": "web", "resources": {"requests": {"cpu": "200m"}, "limits": {"cpu": "400m"}}});
        let cpu = container_usage(&hot, &c, Some(50.0)).0;
        assert!((388..=400).contains(&cpu), "{cpu}");
    }
}
