//! One pod of a service ([`PodDetail`]): from the cluster's caches, only for the service's own pods.

use crate::clusters::slim::{self, Pod};
use crate::clusters::ClusterWatch;
use crate::time::{age_seconds, rfc3339};
use app::model::{
    ContainerRun, ContainerView, EventView, Finding, OwnerRef, PodConditionView, PodDetail,
    ProbeView,
};
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

fn at(t: &Option<Time>) -> Option<String> {
    t.as_ref().map(|t| rfc3339(t.0))
}

/// `pod` of `service` in cluster `c`, with the service's findings about it and its events — all of
/// them as `read` from the cluster just now, else (with why) the Warning events the cache holds;
/// `None` when the pod is not the service's (or not cached).
pub fn detail(
    c: &ClusterWatch,
    service: &str,
    namespace: &str,
    pod: &str,
    findings: &[Finding],
    read: Result<Vec<Event>, String>,
) -> Option<PodDetail> {
    let owned = c.index.objects_of(service).iter().any(|k| {
        k.kind == crate::clusters::index::Kind::Pod && k.namespace == namespace && k.name == pod
    });
    if !owned {
        return None;
    }
    let p = c.stores.pods.get(namespace, pod)?;
    let status = p.status.clone().unwrap_or_default();
    let spec = p.spec.clone().unwrap_or_default();
    let statuses = |list: &Option<Vec<slim::ContainerStatus>>| list.clone().unwrap_or_default();
    let (running, init) = (
        statuses(&status.container_statuses),
        statuses(&status.init_container_statuses),
    );
    let cluster = c.cluster.name.clone();
    let used = c.usage.pod(namespace, pod);
    // Init containers have finished: no usage.
    let usage_of = |name: &str| crate::health::usage::used_by(used.as_deref(), name);
    Some(PodDetail {
        service: service.to_string(),
        cluster: cluster.clone(),
        namespace: namespace.to_string(),
        name: pod.to_string(),
        phase: status.phase.clone().unwrap_or_else(|| "Pending".into()),
        node: spec.node_name.clone(),
        pod_ip: status.pod_ip.clone(),
        qos_class: status.qos_class.clone(),
        created: at(&p.metadata.creation_timestamp),
        age_seconds: p
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| age_seconds(t.0)),
        owners: owners(c, &p),
        conditions: status
            .conditions
            .iter()
            .flatten()
            .map(|x| PodConditionView {
                type_: x.type_.clone(),
                status: x.status.clone(),
                reason: x.reason.clone(),
                message: x.message.clone().map(app::model::clip),
                since: at(&x.last_transition_time),
            })
            .collect(),
        init_containers: spec
            .init_containers
            .iter()
            .flatten()
            .map(|s| container(s, init.iter().find(|x| x.name == s.name), None))
            .collect(),
        containers: spec
            .containers
            .iter()
            .map(|s| {
                container(
                    s,
                    running.iter().find(|x| x.name == s.name),
                    usage_of(&s.name),
                )
            })
            .collect(),
        findings: findings
            .iter()
            .filter(|f| {
                f.objects.iter().any(|o| {
                    o.cluster == cluster
                        && o.namespace == namespace
                        && o.kind == "Pod"
                        && o.name == pod
                })
            })
            .cloned()
            .collect(),
        events_scope: if read.is_ok() { "all" } else { "Warning" }.into(),
        events: match &read {
            Ok(all) => events(all.iter(), namespace, pod),
            Err(_) => crate::clusters::objects::of(c, service)
                .map(|o| events(o.events.iter().map(|e| &**e), namespace, pod))
                .unwrap_or_default(),
        },
        events_error: read.err(),
    })
}

/// The owner chain, outermost first: a ReplicaSet's Deployment, a Job's CronJob.
fn owners(c: &ClusterWatch, p: &Pod) -> Vec<OwnerRef> {
    let ns = p.metadata.namespace.as_deref().unwrap_or_default();
    let Some(first) = p.metadata.owner_references.iter().flatten().next() else {
        return Vec::new();
    };
    let parent = match first.kind.as_str() {
        "ReplicaSet" => c
            .stores
            .replicasets
            .get(ns, &first.name)
            .and_then(|rs| rs.metadata.owner_references.clone()),
        "Job" => c
            .stores
            .jobs
            .get(ns, &first.name)
            .and_then(|j| j.metadata.owner_references.clone()),
        _ => None,
    };
    let mut chain: Vec<OwnerRef> = parent
        .iter()
        .flatten()
        .take(1)
        .map(|o| OwnerRef {
            kind: o.kind.clone(),
            name: o.name.clone(),
        })
        .collect();
    chain.push(OwnerRef {
        kind: first.kind.clone(),
        name: first.name.clone(),
    });
    chain
}

fn run(state: Option<&slim::ContainerState>) -> (String, ContainerRun) {
    let Some(s) = state else {
        return ("unknown".into(), ContainerRun::default());
    };
    if let Some(r) = &s.running {
        return (
            "running".into(),
            ContainerRun {
                started_at: at(&r.started_at),
                ..Default::default()
            },
        );
    }
    if let Some(t) = &s.terminated {
        return ("terminated".into(), terminated(t));
    }
    if let Some(w) = &s.waiting {
        return (
            "waiting".into(),
            ContainerRun {
                reason: w.reason.clone(),
                message: w.message.clone().map(app::model::clip),
                ..Default::default()
            },
        );
    }
    ("unknown".into(), ContainerRun::default())
}

fn terminated(t: &slim::ContainerStateTerminated) -> ContainerRun {
    ContainerRun {
        reason: t.reason.clone(),
        message: t.message.clone().map(app::model::clip),
        exit_code: Some(t.exit_code),
        signal: t.signal,
        started_at: at(&t.started_at),
        finished_at: at(&t.finished_at),
    }
}

fn port(p: &IntOrString) -> String {
    match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

fn probe(kind: &str, p: &slim::Probe) -> ProbeView {
    let action = if let Some(h) = &p.http_get {
        format!(
            "{} GET {} on port {}",
            h.scheme.as_deref().unwrap_or("HTTP"),
            h.path.as_deref().unwrap_or("/"),
            port(&h.port)
        )
    } else if let Some(t) = &p.tcp_socket {
        format!("TCP port {}", port(&t.port))
    } else if let Some(g) = &p.grpc {
        format!("gRPC port {}", g.port)
    } else if p.exec {
        "a command in the container".into()
    } else {
        "unknown".into()
    };
    ProbeView {
        kind: kind.into(),
        action,
        initial_delay_seconds: p.initial_delay_seconds.unwrap_or(0),
        period_seconds: p.period_seconds.unwrap_or(10),
        timeout_seconds: p.timeout_seconds.unwrap_or(1),
        success_threshold: p.success_threshold.unwrap_or(1),
        failure_threshold: p.failure_threshold.unwrap_or(3),
    }
}

fn container(
    spec: &slim::Container,
    status: Option<&slim::ContainerStatus>,
    used: Option<crate::clusters::usage::ContainerUsage>,
) -> ContainerView {
    let (cpu, memory) = crate::health::usage::container(spec, used.as_ref());
    let (state, state_detail) = run(status.and_then(|s| s.state.as_ref()));
    let quantities =
        |m: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
            m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect())
                .unwrap_or_default()
        };
    let resources = spec.resources.as_deref();
    ContainerView {
        name: spec.name.clone(),
        image: spec.image.clone(),
        state,
        state_detail,
        last_termination: status
            .and_then(|s| s.last_state.as_ref()?.terminated.as_deref())
            .map(terminated),
        restarts: status.map_or(0, |s| s.restart_count),
        ready: status.is_some_and(|s| s.ready),
        started: status.and_then(|s| s.started),
        probes: [
            ("startup", &spec.startup_probe),
            ("readiness", &spec.readiness_probe),
            ("liveness", &spec.liveness_probe),
        ]
        .into_iter()
        .filter_map(|(kind, p)| p.as_deref().map(|p| probe(kind, p)))
        .collect(),
        requests: quantities(resources.and_then(|r| r.requests.as_ref())),
        limits: quantities(resources.and_then(|r| r.limits.as_ref())),
        cpu,
        memory,
    }
}

/// The pod's events, newest first.
/// The events of `events` about the pod, newest first.
fn events<'a>(
    events: impl Iterator<Item = &'a Event>,
    namespace: &str,
    pod: &str,
) -> Vec<EventView> {
    let mut out: Vec<EventView> = events
        .filter(|e| {
            e.involved_object.kind.as_deref() == Some("Pod")
                && e.involved_object.name.as_deref() == Some(pod)
                && e.metadata.namespace.as_deref() == Some(namespace)
        })
        .map(|e| EventView {
            type_: e.type_.clone().unwrap_or_else(|| "Normal".into()),
            reason: e.reason.clone().unwrap_or_default(),
            message: app::model::clip(e.message.clone().unwrap_or_default()),
            count: e.count.unwrap_or(1),
            first_seen: at(&e.first_timestamp),
            last_seen: at(&e.last_timestamp)
                .or_else(|| e.event_time.as_ref().map(|t| rfc3339(t.0))),
            source: e.source.as_ref().and_then(|s| s.component.clone()),
        })
        .collect();
    out.sort_by(|a, b| b.last_seen.cmp(&a.last_seen));
    out
}
