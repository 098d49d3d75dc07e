//! A cluster's own page (`/clusters/{name}`, `GET /api/v1/clusters/{name}`): its nodes with the
//! usage of their pods against what they can allocate, the kinds watched with counts and
//! freshness, the namespaces visible and hidden, and what Wayfinder's identity may do there.

use crate::clusters::usage::{bytes, millicores};
use crate::clusters::ClusterWatch;
use crate::time::rfc3339;
use app::model::{ClusterDetail, NodeView, Usage, WatchedKind};
use k8s_openapi::api::core::v1::Node;
use std::collections::HashMap;

/// One node, with its pods' usage and requests summed (`pods`: (cpu, memory, count)).
pub fn node(n: &Node, pods: Option<&(Usage, Usage, u32)>) -> NodeView {
    let labels = n.metadata.labels.clone().unwrap_or_default();
    let label = |k: &str| labels.get(k).cloned();
    let status = n.status.clone().unwrap_or_default();
    let spec = n.spec.clone().unwrap_or_default();
    let allocatable = status.allocatable.unwrap_or_default();
    let (cpu, memory, count) = pods.cloned().unwrap_or_default();
    NodeView {
        name: n.metadata.name.clone().unwrap_or_default(),
        region: label("topology.kubernetes.io/region"),
        zone: label("topology.kubernetes.io/zone"),
        ready: status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True"),
        schedulable: spec.unschedulable != Some(true),
        taints: spec
            .taints
            .iter()
            .flatten()
            .map(|t| {
                let value = t
                    .value
                    .as_deref()
                    .map(|v| format!("={v}"))
                    .unwrap_or_default();
                app::model::clip(format!("{}{value}:{}", t.key, t.effect))
            })
            .collect(),
        kubelet: status.node_info.map(|i| i.kubelet_version),
        cpu: Usage {
            limit: allocatable.get("cpu").and_then(|q| millicores(&q.0)),
            ..cpu
        },
        memory: Usage {
            limit: allocatable.get("memory").and_then(|q| bytes(&q.0)),
            ..memory
        },
        pods: count,
    }
}

/// The cluster's page: built on request from its caches and its latest permission check.
pub fn detail(c: &ClusterWatch) -> ClusterDetail {
    // Each node's pods: usage (where metrics exist) and requests, summed.
    let mut on_node: HashMap<String, (Usage, Usage, u32)> = HashMap::new();
    for p in c.stores.pods.state() {
        let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.clone()) else {
            continue;
        };
        let (ns, name) = (
            p.metadata.namespace.as_deref().unwrap_or_default(),
            p.metadata.name.as_deref().unwrap_or_default(),
        );
        let used = c.usage.pod(ns, name);
        let (cpu, memory) = crate::health::usage::pod(&p, used.as_deref());
        let sum = on_node.entry(node).or_default();
        let strip = |u: Usage| Usage { limit: None, ..u };
        sum.0 = sum.0.plus(strip(cpu));
        sum.1 = sum.1.plus(strip(memory));
        sum.2 += 1;
    }
    let mut nodes: Vec<NodeView> = c
        .stores
        .nodes
        .state()
        .iter()
        .map(|n| {
            node(
                n,
                on_node.get(n.metadata.name.as_deref().unwrap_or_default()),
            )
        })
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    let counts = c.stores.counts();
    let kinds = c
        .status
        .kinds()
        .into_iter()
        .filter(|k| counts.contains_key(k.kind))
        .map(|k| WatchedKind {
            kind: k.kind.to_string(),
            objects: counts.get(k.kind).copied().unwrap_or_default(),
            watches: k.watches,
            synced: k.synced,
            last_sync: k.last_sync.map(rfc3339),
            last_event: k.last_event.map(rfc3339),
            trouble: if k.absent {
                Some("not installed in this cluster".into())
            } else {
                k.trouble.map(app::model::clip)
            },
        })
        .collect();
    let mut namespaces: Vec<String> = c
        .stores
        .namespaces
        .state()
        .iter()
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    let status = c.view();
    namespaces.retain(|n| !status.hidden_namespaces.contains(n));
    namespaces.sort();
    ClusterDetail {
        status,
        nodes,
        kinds,
        namespaces,
        permissions: c.permissions.latest(),
    }
}
