//! Resource usage against requests and limits: each container's figures, a pod's sums, and the
//! rules `memory-near-limit` and `cpu-at-limit`. Pure functions of a pod and its metrics.

use super::Raw;
use crate::autoscaling::parse_quantity;
use crate::clusters::slim::{Container, Pod};
use crate::clusters::usage::ContainerUsage;
use app::model::{Severity, Usage};

/// `memory-near-limit` fires from this share of the memory limit (an OOM kill is near)…
const MEMORY_NEAR: f64 = 0.9;
/// …and `cpu-at-limit` from this share of the CPU limit (the kernel throttles the container).
const CPU_AT: f64 = 0.95;

const MEMORY: &str = "https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/#exceed-a-container-s-memory-limit";
const CPU: &str = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#how-pods-with-resource-limits-are-run";

/// A container's request or limit of `resource`, in millicores (cpu) or bytes (memory).
fn quantity(c: &Container, resource: &str, limit: bool) -> Option<u64> {
    let r = c.resources.as_deref()?;
    let map = if limit { &r.limits } else { &r.requests };
    let v = parse_quantity(&map.as_ref()?.get(resource)?.0)?;
    let scale = if resource == "cpu" { 1000.0 } else { 1.0 };
    Some((v * scale).round() as u64)
}

/// One container's CPU and memory: its usage (when metrics know it) against its request and limit.
pub fn container(c: &Container, used: Option<&ContainerUsage>) -> (Usage, Usage) {
    let figure = |resource: &str, usage: Option<u64>| Usage {
        usage,
        request: quantity(c, resource, false),
        limit: quantity(c, resource, true),
    };
    (
        figure("cpu", used.map(|u| u.cpu)),
        figure("memory", used.map(|u| u.memory)),
    )
}

/// One app container's figures in its pod's metrics (`used`): none without metrics, and zero for a
/// container of a measured pod that metrics do not list (it uses nothing now).
pub fn used_by(used: Option<&[ContainerUsage]>, name: &str) -> Option<ContainerUsage> {
    let u = used?;
    Some(
        u.iter()
            .find(|u| u.name == name)
            .cloned()
            .unwrap_or_else(|| ContainerUsage {
                name: name.to_string(),
                cpu: 0,
                memory: 0,
            }),
    )
}

/// A pod's CPU and memory, its app containers summed (`used` is its metrics, if any).
pub fn pod(p: &Pod, used: Option<&[ContainerUsage]>) -> (Usage, Usage) {
    let containers = p
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[]);
    containers
        .iter()
        .map(|c| container(c, used_by(used, &c.name).as_ref()))
        .reduce(|(c1, m1), (c2, m2)| (c1.plus(c2), m1.plus(m2)))
        .unwrap_or_default()
}

/// `512Mi`-style: whole mebibytes.
pub fn mebibytes(bytes: u64) -> String {
    format!("{}Mi", bytes / (1024 * 1024))
}

/// The usage rules over one pod's running containers.
pub fn rules(p: &Pod, used: Option<&[ContainerUsage]>) -> Vec<Raw> {
    let (Some(used), Some(spec)) = (used, p.spec.as_ref()) else {
        return Vec::new();
    };
    let meta = &p.metadata;
    let pod = meta.name.clone().unwrap_or_default();
    let mut out = Vec::new();
    for c in &spec.containers {
        let Some(u) = used.iter().find(|u| u.name == c.name) else {
            continue;
        };
        let (cpu, memory) = container(c, Some(u));
        let share = |f: &Usage| Some(f.usage? as f64 / f.limit.filter(|l| *l > 0)? as f64);
        if let Some(s) = share(&memory).filter(|s| *s >= MEMORY_NEAR) {
            out.push(Raw {
                message: format!(
                    "Container {} of pod {pod} uses {} of its {} memory limit ({:.0} %)",
                    c.name,
                    mebibytes(u.memory),
                    mebibytes(memory.limit.unwrap_or(0)),
                    s * 100.0
                ),
                cause: "Its working set is close to the memory limit: when it reaches it, the kernel kills the container (OOMKilled).".into(),
                fix: "Raise the memory limit (and the request) above the container's real peak, or find what grows (a cache, a leak, a batch too large).".into(),
                docs: Some(MEMORY),
                ..Raw::new("memory-near-limit", Severity::Warning, "Pod", meta)
            });
        }
        if let Some(s) = share(&cpu).filter(|s| *s >= CPU_AT) {
            out.push(Raw {
                message: format!(
                    "Container {} of pod {pod} uses {}m of its {}m CPU limit ({:.0} %)",
                    c.name,
                    u.cpu,
                    cpu.limit.unwrap_or(0),
                    s * 100.0
                ),
                cause: "It wants more CPU than its limit allows: the kernel throttles it, so requests slow down and probes may time out.".into(),
                fix: "Raise or remove the CPU limit, or spread the load over more replicas (an autoscaler on CPU).".into(),
                docs: Some(CPU),
                ..Raw::new("cpu-at-limit", Severity::Warning, "Pod", meta)
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::fixtures::from;
    use serde_json::json;

    fn pod(limits: serde_json::Value) -> Pod {
        from(json!({"metadata": {"name": "web-1", "namespace": "shop"},
            "spec": {"containers": [
                {"name": "web", "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": limits}},
                {"name": "sidecar"}]}}))
    }

    fn used(cpu: u64, mib: u64) -> Vec<ContainerUsage> {
        vec![ContainerUsage {
            name: "web".into(),
            cpu,
            memory: mib * 1024 * 1024,
        }]
    }

    #[test]
    fn the_rules_fire_at_their_thresholds() {
        let limits = json!({"cpu": "500m", "memory": "512Mi"});
        let table: [(u64, u64, &[&str]); 6] = [
            (100, 200, &[]),
            (474, 460, &[]),
            (475, 460, &["cpu-at-limit"]),
            (100, 461, &["memory-near-limit"]),
            (500, 512, &["memory-near-limit", "cpu-at-limit"]),
            // Above the limit (a sample between throttling periods): still at the limit.
            (620, 100, &["cpu-at-limit"]),
        ];
        for (cpu, mib, want) in table {
            let got: Vec<&str> = rules(&pod(limits.clone()), Some(&used(cpu, mib)))
                .iter()
                .map(|r| r.rule)
                .collect();
            assert_eq!(got, want, "{cpu}m, {mib}Mi");
        }
        // No limit, no metrics: nothing to judge.
        assert!(rules(&pod(json!({})), Some(&used(5000, 5000))).is_empty());
        assert!(rules(&pod(limits), None).is_empty());
    }

    #[test]
    fn messages_name_the_figures() {
        let r = rules(&pod(json!({"memory": "128Mi"})), Some(&used(10, 125)));
        assert_eq!(
            r[0].message,
            "Container web of pod web-1 uses 125Mi of its 128Mi memory limit (98 %)"
        );
    }

    #[test]
    fn a_pods_figures_sum_its_containers() {
        let p = pod(json!({"memory": "512Mi"}));
        let (cpu, memory) = super::pod(&p, Some(&used(120, 300)));
        assert_eq!(
            (cpu.usage, cpu.request, cpu.limit),
            (Some(120), Some(250), None)
        );
        // The sidecar sets no memory limit: the pod as a whole has none.
        assert_eq!(memory.limit, None);
        assert_eq!(memory.usage, Some(300 * 1024 * 1024));
        let (cpu, _) = super::pod(&p, None);
        assert_eq!(cpu.usage, None);
    }
}
