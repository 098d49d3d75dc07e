//! Pure projections from cached objects to the cluster map's view types.

use super::index::Kind;
use super::watch::{age_seconds, rfc3339, ClusterWatch};
use crate::clusters::slim::Pod;
use crate::health::ClusterObjects;
use app::model::{
    AutoscalerView, FixedWorkload, Health, PodView, Replicas, Revision, Rollout, ServiceCluster,
    WorkloadView,
};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

fn when(t: &Option<Time>) -> (Option<String>, Option<i64>) {
    match t {
        Some(t) => (Some(rfc3339(t.0)), Some(age_seconds(t.0))),
        None => (None, None),
    }
}

fn images(spec: Option<&PodSpec>) -> Vec<String> {
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

/// A Deployment on the map.
pub fn deployment(d: &Deployment) -> WorkloadView {
    let spec = d.spec.as_ref();
    let mut w = base(
        "Deployment",
        &d.metadata,
        spec.and_then(|s| s.template.spec.as_ref()),
    );
    let st = d.status.clone().unwrap_or_default();
    w.replicas = Replicas {
        desired: spec.and_then(|s| s.replicas).unwrap_or(1),
        ready: st.ready_replicas.unwrap_or(0),
        available: st.available_replicas.unwrap_or(0),
        updated: st.updated_replicas.unwrap_or(0),
    };
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

/// A StatefulSet on the map.
pub fn statefulset(s: &StatefulSet) -> WorkloadView {
    let spec = s.spec.as_ref();
    let mut w = base(
        "StatefulSet",
        &s.metadata,
        spec.and_then(|s| s.template.spec.as_ref()),
    );
    let st = s.status.clone().unwrap_or_default();
    w.replicas = Replicas {
        desired: spec.and_then(|s| s.replicas).unwrap_or(1),
        ready: st.ready_replicas.unwrap_or(0),
        available: st.available_replicas.unwrap_or(0),
        updated: st.updated_replicas.unwrap_or(0),
    };
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

/// A pod on the map.
pub fn pod(p: &Pod) -> PodView {
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
    }
}

/// One service's objects in one cluster, for the rules and the autoscaling model; `None` when it does
/// not run there.
pub fn cluster_objects(c: &ClusterWatch, service: &str) -> Option<ClusterObjects> {
    let keys = c.index.objects_of(service);
    if !keys.iter().any(|k| k.kind.is_workload()) {
        return None;
    }
    let s = &c.stores;
    let mut o = ClusterObjects {
        cluster: c.cluster.name.clone(),
        region: c.region(),
        ..Default::default()
    };
    for k in &keys {
        let (ns, name) = (k.namespace.as_str(), k.name.as_str());
        match k.kind {
            Kind::Pod => o.pods.extend(s.pods.get(ns, name)),
            Kind::Deployment => o.deployments.extend(s.deployments.get(ns, name)),
            Kind::ReplicaSet => o.replicasets.extend(s.replicasets.get(ns, name)),
            Kind::StatefulSet => o.statefulsets.extend(s.statefulsets.get(ns, name)),
            Kind::DaemonSet => o.daemonsets.extend(s.daemonsets.get(ns, name)),
            Kind::Job => o.jobs.extend(s.jobs.get(ns, name)),
            Kind::CronJob => o.cronjobs.extend(s.cronjobs.get(ns, name)),
            Kind::HorizontalPodAutoscaler => o.hpas.extend(s.hpas.get(ns, name)),
            Kind::Event => o.events.extend(s.events.get(ns, name)),
            Kind::Service | Kind::Ingress => {}
        }
    }
    Some(o)
}

/// Each Deployment's ReplicaSet revisions, newest first.
pub fn rollouts(o: &ClusterObjects) -> Vec<Rollout> {
    let mut out: Vec<Rollout> = o
        .deployments
        .iter()
        .map(|d| {
            let name = d.metadata.name.clone().unwrap_or_default();
            let mut revisions: Vec<Revision> = o
                .replicasets
                .iter()
                .filter(|rs| {
                    rs.metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|r| r.kind == "Deployment" && r.name == name)
                })
                .map(|rs| Revision {
                    revision: rs
                        .metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("deployment.kubernetes.io/revision"))
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                    name: rs.metadata.name.clone().unwrap_or_default(),
                    images: images(
                        rs.spec
                            .as_ref()
                            .and_then(|s| s.template.as_ref())
                            .and_then(|t| t.spec.as_ref()),
                    ),
                    created: rs
                        .metadata
                        .creation_timestamp
                        .as_ref()
                        .map(|t| rfc3339(t.0)),
                    replicas: rs.status.as_ref().map_or(0, |s| s.replicas),
                })
                .collect();
            revisions.sort_by(|a, b| b.revision.cmp(&a.revision).then(b.created.cmp(&a.created)));
            Rollout {
                cluster: o.cluster.clone(),
                namespace: d.metadata.namespace.clone().unwrap_or_default(),
                deployment: name,
                revisions,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.deployment).cmp(&(&b.namespace, &b.deployment)));
    out
}

/// Every HPA of the service here, and its workloads that have none.
pub fn autoscalers(
    c: &ClusterWatch,
    o: &ClusterObjects,
    near_max: f64,
) -> (Vec<AutoscalerView>, Vec<FixedWorkload>) {
    let now = jiff::Timestamp::now().as_second();
    let views: Vec<AutoscalerView> = o
        .hpas
        .iter()
        .map(|h| {
            let (ns, name) = (
                h.metadata.namespace.clone().unwrap_or_default(),
                h.metadata.name.clone().unwrap_or_default(),
            );
            let history = c.history.points(&ns, &name, now);
            crate::autoscaling::view(h, &o.cluster, &o.region, near_max, history)
        })
        .collect();
    let scaled = |kind: &str, ns: &Option<String>, name: &Option<String>| {
        views.iter().any(|v| {
            Some(&v.namespace) == ns.as_ref()
                && v.target == format!("{kind}/{}", name.clone().unwrap_or_default())
        })
    };
    let mut fixed = Vec::new();
    let mut push = |kind: &str,
                    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
                    replicas: i32| {
        if !scaled(kind, &meta.namespace, &meta.name) {
            fixed.push(FixedWorkload {
                cluster: o.cluster.clone(),
                region: o.region.clone(),
                namespace: meta.namespace.clone().unwrap_or_default(),
                kind: kind.to_string(),
                name: meta.name.clone().unwrap_or_default(),
                replicas,
            });
        }
    };
    for d in &o.deployments {
        push(
            "Deployment",
            &d.metadata,
            d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        );
    }
    for s in &o.statefulsets {
        push(
            "StatefulSet",
            &s.metadata,
            s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        );
    }
    (views, fixed)
}

/// One service's objects in one cluster; `None` when it does not run there.
pub fn service_cluster(c: &ClusterWatch, service: &str) -> Option<ServiceCluster> {
    let keys = c.index.objects_of(service);
    if !keys.iter().any(|k| k.kind.is_workload()) {
        return None;
    }
    let s = &c.stores;
    let mut workloads = Vec::new();
    let mut pods = Vec::new();
    // (target kind, namespace, target name, autoscaler)
    let mut hpa_targets: Vec<(String, String, String, String)> = Vec::new();
    for k in &keys {
        let (ns, name) = (k.namespace.as_str(), k.name.as_str());
        match k.kind {
            Kind::Deployment => {
                workloads.extend(s.deployments.get(ns, name).map(|o| deployment(&o)))
            }
            Kind::StatefulSet => {
                workloads.extend(s.statefulsets.get(ns, name).map(|o| statefulset(&o)))
            }
            Kind::DaemonSet => workloads.extend(s.daemonsets.get(ns, name).map(|o| daemonset(&o))),
            Kind::CronJob => workloads.extend(s.cronjobs.get(ns, name).map(|o| cronjob(&o))),
            Kind::Job => {
                // Jobs a CronJob made show under the CronJob's pods; stand-alone jobs are workloads.
                if let Some(j) = s.jobs.get(ns, name) {
                    let from_cron = j
                        .metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|o| o.kind == "CronJob");
                    if !from_cron {
                        workloads.push(job(&j));
                    }
                }
            }
            Kind::Pod => pods.extend(s.pods.get(ns, name).map(|o| pod(&o))),
            Kind::HorizontalPodAutoscaler => {
                if let Some(h) = s.hpas.get(ns, name) {
                    if let Some(spec) = &h.spec {
                        hpa_targets.push((
                            spec.scale_target_ref.kind.clone(),
                            ns.to_string(),
                            spec.scale_target_ref.name.clone(),
                            name.to_string(),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    for w in &mut workloads {
        w.message = w.message.take().map(app::model::clip);
        w.images = std::mem::take(&mut w.images)
            .into_iter()
            .map(app::model::clip)
            .collect();
        w.hpa = hpa_targets.iter().find_map(|(kind, ns, target, hpa)| {
            (kind == &w.kind && ns == &w.namespace && target == &w.name).then(|| hpa.clone())
        });
        w.dashboard_url = c.dashboard_url(Some((&w.kind, &w.namespace, &w.name)));
    }
    workloads
        .sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    for p in &mut pods {
        p.reason = p.reason.take().map(app::model::clip);
    }
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let status = c.view();
    Some(ServiceCluster {
        cluster: status.name,
        title: status.title,
        region: status.region,
        environment: status.environment,
        status: status.state,
        last_sync: status.last_sync,
        sync_age_seconds: status.sync_age_seconds,
        last_error: status.last_error,
        hidden_namespaces: status.hidden_namespaces,
        dashboard_url: status.dashboard_url,
        workloads,
        pods,
    })
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
        let v = pod(&p);
        assert_eq!(v.reason.as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(v.health, Health::Failing);
        assert_eq!((v.ready.as_str(), v.restarts), ("0/1", 7));
        assert_eq!(v.owner.as_deref(), Some("Deployment/cart"));
        assert_eq!(v.node.as_deref(), Some("n1"));
    }
}
