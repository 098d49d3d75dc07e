//! The cluster map (a service page's Clusters tab): pure projections from a service's cached
//! objects to its workloads and pods, per cluster.

use crate::clusters::rollout::{Phase, Rollout};
use crate::clusters::slim::Pod;
use crate::clusters::usage::ContainerUsage;
use crate::clusters::{ClusterObjects, ClusterWatch};
use crate::health::{disruption, network};
use crate::time::{age_seconds, rfc3339};
use app::model::{
    DisruptionView, Health, IngressPathView, IngressView, NetworkServiceView, PodView, Replicas,
    ServiceCluster, WorkloadView,
};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{PodSpec, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

fn when(t: &Option<Time>) -> (Option<String>, Option<i64>) {
    match t {
        Some(t) => (Some(rfc3339(t.0)), Some(age_seconds(t.0))),
        None => (None, None),
    }
}

pub(super) fn images(spec: Option<&PodSpec>) -> Vec<String> {
    spec.map(|s| {
        s.containers
            .iter()
            .filter_map(|c| c.image.clone())
            .collect()
    })
    .unwrap_or_default()
}

fn base(kind: &str, meta: &ObjectMeta, spec: Option<&PodSpec>) -> WorkloadView {
    let (created, age_seconds) = when(&meta.creation_timestamp);
    WorkloadView {
        kind: kind.into(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
        images: images(spec),
        created,
        age_seconds,
        ..Default::default()
    }
}

/// Health from replica counts: all there, rolling, some missing, none ready.
fn replica_health(r: &Replicas, total: i32) -> Health {
    if r.desired == 0 {
        Health::Idle
    } else if r.ready == 0 {
        Health::Failing
    } else if r.ready < r.desired {
        Health::Degraded
    } else if r.updated < r.desired || total > r.desired {
        Health::Progressing
    } else {
        Health::Healthy
    }
}

/// Replicas of a workload with `spec.replicas` (1 when unset) and ready/available/updated counts.
fn scaled(desired: Option<i32>, [ready, available, updated]: [Option<i32>; 3]) -> Replicas {
    Replicas {
        desired: desired.unwrap_or(1),
        ready: ready.unwrap_or(0),
        available: available.unwrap_or(0),
        updated: updated.unwrap_or(0),
    }
}

/// A Deployment on the map.
pub fn deployment(d: &Deployment) -> WorkloadView {
    let spec = d.spec.as_ref();
    let mut w = base(
        "Deployment",
        &d.metadata,
        spec.and_then(|s| s.template.spec.as_ref()),
    );
    let st = d.status.clone().unwrap_or_default();
    w.replicas = scaled(
        spec.and_then(|s| s.replicas),
        [
            st.ready_replicas,
            st.available_replicas,
            st.updated_replicas,
        ],
    );
    w.health = replica_health(&w.replicas, st.replicas.unwrap_or(0));
    for c in st.conditions.iter().flatten() {
        let failed = (c.type_ == "Progressing"
            && c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
            || (c.type_ == "ReplicaFailure" && c.status == "True");
        if failed {
            w.health = Health::Failing.max(w.health);
            w.message = c.message.clone();
        }
    }
    w
}

/// An Argo Rollout on the map: its replicas, and its phase with the strategy's progress as the
/// message ("Paused · canary step 2 of 5, weight 20% · CanaryPauseStep").
pub fn rollout(r: &Rollout) -> WorkloadView {
    let spec = &r.spec;
    let mut w = base(
        "Rollout",
        &r.metadata,
        spec.template.as_ref().and_then(|t| t.spec.as_ref()),
    );
    let st = &r.status;
    w.replicas = scaled(
        spec.replicas,
        [
            Some(st.ready_replicas),
            Some(st.available_replicas),
            Some(st.updated_replicas),
        ],
    );
    let (phase, message) = crate::clusters::rollout::phase(r);
    let replicas = replica_health(&w.replicas, st.replicas);
    w.health = match phase {
        Phase::Healthy => replicas,
        Phase::Progressing => Health::Progressing.max(replicas),
        Phase::Paused => Health::Progressing.max(replicas),
        Phase::Degraded => Health::Failing,
    };
    let words: Vec<String> = [
        phase.name().to_string(),
        crate::clusters::rollout::strategy_words(r),
        message,
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect();
    w.message = Some(words.join(" · "));
    w
}

/// A StatefulSet on the map.
pub fn statefulset(s: &StatefulSet) -> WorkloadView {
    let spec = s.spec.as_ref();
    let mut w = base(
        "StatefulSet",
        &s.metadata,
        spec.and_then(|s| s.template.spec.as_ref()),
    );
    let st = s.status.clone().unwrap_or_default();
    w.replicas = scaled(
        spec.and_then(|s| s.replicas),
        [
            st.ready_replicas,
            st.available_replicas,
            st.updated_replicas,
        ],
    );
    w.health = replica_health(&w.replicas, st.replicas);
    w
}

/// A DaemonSet on the map: desired is the number of nodes it should run on.
pub fn daemonset(d: &DaemonSet) -> WorkloadView {
    let mut w = base(
        "DaemonSet",
        &d.metadata,
        d.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
    );
    let st = d.status.clone().unwrap_or_default();
    w.replicas = Replicas {
        desired: st.desired_number_scheduled,
        ready: st.number_ready,
        available: st.number_available.unwrap_or(0),
        updated: st.updated_number_scheduled.unwrap_or(0),
    };
    w.health = replica_health(&w.replicas, st.current_number_scheduled);
    w
}

/// A CronJob on the map: replicas count its running jobs.
pub fn cronjob(c: &CronJob) -> WorkloadView {
    let spec = c.spec.as_ref();
    let mut w = base(
        "CronJob",
        &c.metadata,
        spec.and_then(|s| s.job_template.spec.as_ref())
            .and_then(|j| j.template.spec.as_ref()),
    );
    let active = c
        .status
        .as_ref()
        .and_then(|s| s.active.as_ref())
        .map_or(0, |a| a.len() as i32);
    w.replicas = Replicas {
        desired: active,
        ready: active,
        available: active,
        updated: active,
    };
    w.health = if spec.and_then(|s| s.suspend).unwrap_or(false) {
        w.message = Some("suspended".into());
        Health::Idle
    } else {
        Health::Healthy
    };
    w
}

/// A Job on the map (one not owned by a CronJob, or the latest runs of one).
pub fn job(j: &Job) -> WorkloadView {
    let mut w = base(
        "Job",
        &j.metadata,
        j.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
    );
    let st = j.status.clone().unwrap_or_default();
    let completions = j.spec.as_ref().and_then(|s| s.completions).unwrap_or(1);
    w.replicas = Replicas {
        desired: completions,
        ready: st.succeeded.unwrap_or(0),
        available: st.active.unwrap_or(0),
        updated: st.succeeded.unwrap_or(0),
    };
    let failed = st
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Failed" && c.status == "True");
    w.health = if let Some(c) = failed {
        w.message = c.message.clone().or_else(|| c.reason.clone());
        Health::Failing
    } else if st.succeeded.unwrap_or(0) >= completions {
        Health::Healthy
    } else {
        Health::Progressing
    };
    w
}

/// A pod on the map, with its usage when metrics know it.
pub fn pod(p: &Pod, used: Option<&[ContainerUsage]>) -> PodView {
    let (cpu, memory) = crate::health::usage::pod(p, used);
    let (created, age_seconds) = when(&p.metadata.creation_timestamp);
    let st = p.status.clone().unwrap_or_default();
    let statuses = st.container_statuses.clone().unwrap_or_default();
    let total = p
        .spec
        .as_ref()
        .map_or(statuses.len(), |s| s.containers.len());
    let ready = statuses.iter().filter(|c| c.ready).count();
    let restarts = statuses.iter().map(|c| c.restart_count).sum();
    let waiting = st
        .init_container_statuses
        .iter()
        .flatten()
        .chain(statuses.iter())
        .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
    let last_killed = statuses.iter().find_map(|c| {
        c.last_state
            .as_ref()?
            .terminated
            .as_ref()
            .and_then(|t| t.reason.clone())
    });
    let unschedulable = st.conditions.iter().flatten().find_map(|c| {
        (c.type_ == "PodScheduled" && c.status == "False")
            .then(|| c.reason.clone().unwrap_or_else(|| "Unschedulable".into()))
    });
    let phase = st.phase.clone().unwrap_or_else(|| "Pending".into());
    let reason = waiting
        .clone()
        .or(unschedulable)
        .or_else(|| st.reason.clone())
        .or_else(|| (ready < total).then_some(last_killed.clone()).flatten());
    let health = match phase.as_str() {
        "Succeeded" => Health::Idle,
        "Failed" => Health::Failing,
        _ if waiting.is_some() && ready == 0 => Health::Failing,
        "Pending" => Health::Progressing,
        _ if ready < total => Health::Degraded,
        _ => Health::Healthy,
    };
    let owner = p
        .metadata
        .owner_references
        .iter()
        .flatten()
        .next()
        .map(|o| {
            // A ReplicaSet's pods belong to its Deployment: `name-<hash>` → Deployment/name.
            match o.kind.as_str() {
                "ReplicaSet" => match o.name.rsplit_once('-') {
                    Some((d, _)) => format!("Deployment/{d}"),
                    None => format!("ReplicaSet/{}", o.name),
                },
                k => format!("{k}/{}", o.name),
            }
        });
    PodView {
        namespace: p.metadata.namespace.clone().unwrap_or_default(),
        name: p.metadata.name.clone().unwrap_or_default(),
        owner,
        phase,
        ready: format!("{ready}/{total}"),
        restarts,
        node: p.spec.as_ref().and_then(|s| s.node_name.clone()),
        reason,
        health,
        created,
        age_seconds,
        cpu,
        memory,
    }
}

/// A Service on the map, with the service's pods it selects (`selected`).
pub fn service(s: &Service, selected: Option<network::Selected>) -> NetworkServiceView {
    let spec = s.spec.clone().unwrap_or_default();
    let ports = spec
        .ports
        .iter()
        .flatten()
        .map(|p| {
            let target = match &p.target_port {
                Some(IntOrString::Int(n)) if *n != p.port => format!(" → {n}"),
                Some(IntOrString::String(n)) => format!(" → {n}"),
                _ => String::new(),
            };
            let node = p
                .node_port
                .map(|n| format!(" (node {n})"))
                .unwrap_or_default();
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            app::model::clip(format!("{}/{protocol}{target}{node}", p.port))
        })
        .collect();
    NetworkServiceView {
        namespace: s.metadata.namespace.clone().unwrap_or_default(),
        name: s.metadata.name.clone().unwrap_or_default(),
        type_: spec.type_.clone().unwrap_or_else(|| "ClusterIP".into()),
        cluster_ip: spec
            .cluster_ip
            .clone()
            .filter(|ip| !ip.is_empty() && ip != "None"),
        ports,
        selector: network::selector(s)
            .into_iter()
            .flatten()
            .map(|(k, v)| app::model::clip(format!("{k}={v}")))
            .collect(),
        pods: selected.map(|s| s.pods),
        ready: selected.map(|s| s.ready),
    }
}

/// An Ingress on the map; `existing` holds the Services that exist, as `(namespace, name)`.
pub fn ingress(i: &Ingress, existing: &std::collections::HashSet<(String, String)>) -> IngressView {
    let namespace = i.metadata.namespace.clone().unwrap_or_default();
    let spec = i.spec.clone().unwrap_or_default();
    IngressView {
        name: i.metadata.name.clone().unwrap_or_default(),
        class: spec.ingress_class_name.clone(),
        tls: spec
            .tls
            .iter()
            .flatten()
            .flat_map(|t| t.hosts.clone().unwrap_or_default())
            .map(app::model::clip)
            .collect(),
        paths: crate::clusters::ingress::paths(i)
            .into_iter()
            .map(|p| IngressPathView {
                missing: !existing.contains(&(namespace.clone(), p.service.clone())),
                host: app::model::clip(p.host),
                path: app::model::clip(p.path),
                service: p.service,
                port: p.port,
            })
            .collect(),
        namespace,
    }
}

/// The budget over a workload's pods (its pod template's labels), from the service's budgets.
fn budget(o: &ClusterObjects, w: &WorkloadView) -> Option<DisruptionView> {
    let template = match w.kind.as_str() {
        "Deployment" => o
            .deployments
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(&w.name))
            .and_then(|d| d.spec.as_ref()?.template.metadata.clone()),
        "StatefulSet" => o
            .statefulsets
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(&w.name))
            .and_then(|s| s.spec.as_ref()?.template.metadata.clone()),
        "DaemonSet" => o
            .daemonsets
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(&w.name))
            .and_then(|d| d.spec.as_ref()?.template.metadata.clone()),
        "Rollout" => o
            .rollouts
            .iter()
            .find(|r| r.metadata.name.as_deref() == Some(&w.name))
            .and_then(|r| r.spec.template.as_ref()?.metadata.clone()),
        _ => None,
    }?;
    let labels = template.labels.unwrap_or_default();
    let p = o
        .pdbs
        .iter()
        .find(|p| disruption::covers(p, &w.namespace, &labels))?;
    let (allowed, healthy, desired, expected) = disruption::counts(p).unwrap_or_default();
    Some(DisruptionView {
        name: p.metadata.name.clone().unwrap_or_default(),
        terms: disruption::terms(p),
        allowed,
        healthy,
        desired,
        expected,
        blocks: disruption::rule(p).is_some(),
    })
}

/// The service's part of one cluster's map: its workloads and pods, from its objects there.
pub fn service_cluster(c: &ClusterWatch, o: &ClusterObjects) -> ServiceCluster {
    let mut workloads: Vec<WorkloadView> = Vec::new();
    workloads.extend(o.deployments.iter().map(|d| deployment(d)));
    workloads.extend(o.statefulsets.iter().map(|s| statefulset(s)));
    workloads.extend(o.daemonsets.iter().map(|d| daemonset(d)));
    workloads.extend(o.rollouts.iter().map(|r| rollout(r)));
    workloads.extend(o.cronjobs.iter().map(|c| cronjob(c)));
    // Jobs a CronJob made show under the CronJob's pods; stand-alone jobs are workloads.
    workloads.extend(
        o.jobs
            .iter()
            .filter(|j| {
                !j.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.kind == "CronJob")
            })
            .map(|j| job(j)),
    );
    let mut pods: Vec<PodView> = o
        .pods
        .iter()
        .map(|p| pod(p, o.usage_of(p).as_deref()))
        .collect();
    // (target kind, namespace, target name, autoscaler)
    let hpa_targets: Vec<(String, String, String, String)> = o
        .hpas
        .iter()
        .filter_map(|h| {
            let spec = h.spec.as_ref()?;
            Some((
                spec.scale_target_ref.kind.clone(),
                h.metadata.namespace.clone().unwrap_or_default(),
                spec.scale_target_ref.name.clone(),
                h.metadata.name.clone().unwrap_or_default(),
            ))
        })
        .collect();
    for w in &mut workloads {
        w.message = w.message.take().map(app::model::clip);
        w.images = std::mem::take(&mut w.images)
            .into_iter()
            .map(app::model::clip)
            .collect();
        w.hpa = hpa_targets.iter().find_map(|(kind, ns, target, hpa)| {
            (kind == &w.kind && ns == &w.namespace && target == &w.name).then(|| hpa.clone())
        });
        w.pdb = budget(o, w);
        w.dashboard_url = c.dashboard_url(Some((&w.kind, &w.namespace, &w.name)));
        // Its pods' usage, summed.
        let owner = format!("{}/{}", w.kind, w.name);
        if let Some((cpu, memory)) = pods
            .iter()
            .filter(|p| p.namespace == w.namespace && p.owner.as_deref() == Some(owner.as_str()))
            .map(|p| (p.cpu, p.memory))
            .reduce(|(c1, m1), (c2, m2)| (c1.plus(c2), m1.plus(m2)))
        {
            (w.cpu, w.memory) = (cpu, memory);
        }
    }
    workloads
        .sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    for p in &mut pods {
        p.reason = p.reason.take().map(app::model::clip);
    }
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut services: Vec<NetworkServiceView> = o
        .services
        .iter()
        .map(|s| service(s, network::selected(s, &o.pods, &o.pod_labels)))
        .collect();
    services.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut ingresses: Vec<IngressView> = o
        .ingresses
        .iter()
        .map(|i| ingress(i, &o.backends))
        .collect();
    ingresses.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let status = c.view();
    ServiceCluster {
        cluster: status.name,
        title: status.title,
        region: status.region,
        environment: status.environment,
        status: status.state,
        last_sync: status.last_sync,
        sync_age_seconds: status.sync_age_seconds,
        change_age_seconds: status.change_age_seconds,
        last_error: status.last_error,
        hidden_namespaces: status.hidden_namespaces,
        dashboard_url: status.dashboard_url,
        workloads,
        pods,
        services,
        ingresses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn deployment_health_follows_replicas_and_conditions() {
        let d = |spec: i32, ready: i32, updated: i32, cond: Option<&str>| -> Deployment {
            from(serde_json::json!({
                "metadata": {"name": "cart", "namespace": "shop"},
                "spec": {"replicas": spec, "selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": "r/cart:1.2"}]}}},
                "status": {"replicas": spec, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": updated,
                    "conditions": cond.map(|r| vec![serde_json::json!({"type": "Progressing", "status": "False", "reason": r, "message": "deadline exceeded"})]).unwrap_or_default()}
            }))
        };
        let cases = [
            (d(3, 3, 3, None), Health::Healthy),
            (d(3, 2, 3, None), Health::Degraded),
            (d(3, 0, 3, None), Health::Failing),
            (d(3, 3, 1, None), Health::Progressing),
            (d(0, 0, 0, None), Health::Idle),
            (
                d(3, 3, 1, Some("ProgressDeadlineExceeded")),
                Health::Failing,
            ),
        ];
        for (dep, want) in cases {
            let w = deployment(&dep);
            assert_eq!(w.health, want, "{:?}", w.replicas);
            assert_eq!(w.images, vec!["r/cart:1.2"]);
        }
    }

    #[test]
    fn pods_show_why_they_are_not_ready() {
        let p: Pod = from(serde_json::json!({
            "metadata": {"name": "cart-7d9-x", "namespace": "shop", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "cart-7d9", "uid": "u"}]},
            "spec": {"nodeName": "n1", "containers": [{"name": "c"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 7, "image": "i", "imageID": "",
                "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
        }));
        let v = pod(&p, None);
        assert_eq!(v.reason.as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(v.health, Health::Failing);
        assert_eq!((v.ready.as_str(), v.restarts), ("0/1", 7));
        assert_eq!(v.owner.as_deref(), Some("Deployment/cart"));
        assert_eq!(v.node.as_deref(), Some("n1"));
    }
}
