//! Controllers that make a simulated cluster behave like a live one: Deployments roll out through
//! ReplicaSets to Pods, pods start or fail by their fault plan, HPAs follow a load curve, Jobs run,
//! CronJobs schedule, and Events are emitted as the kubelet and controllers would.
//!
//! Pod status is a pure function of the pod's age and fault plan, so a tick that changes nothing
//! writes nothing, and every watcher sees the same history.

use crate::fleet::Fleet;
use crate::resources::{by_store, Resource};
use crate::store::Store;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Pod template annotation naming how the pod misbehaves.
pub const FAULT_ANNOTATION: &str = "kubesim.io/fault";
/// HPA annotation: demand as a multiple of the HPA's maximum (1.2 pins it at max).
pub const LOAD_ANNOTATION: &str = "kubesim.io/load";

/// Runs every cluster's controllers until the process ends.
pub fn spawn(fleet: Arc<Fleet>) {
    for cluster in &fleet.clusters {
        let store = cluster.api.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // A bug in one controller must not freeze the cluster: log it and tick again.
                if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    reconcile(&store, now())
                })) {
                    tracing::error!(
                        "controller pass failed: {:?}",
                        panic
                            .downcast_ref::<String>()
                            .map(String::as_str)
                            .or(panic.downcast_ref::<&str>().copied())
                    );
                }
            }
        });
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn ts(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn secs_of(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer)?
        .as_str()?
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
}

pub(crate) fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn i(v: &Value, pointer: &str, default: i64) -> i64 {
    v.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or(default)
}

fn res(store: &str) -> &'static Resource {
    by_store(store)
}

/// One reconciliation pass over every controller.
pub fn reconcile(store: &Store, now: i64) {
    deployments(store, now);
    replicasets(store);
    statefulsets(store);
    daemonsets(store);
    cronjobs(store, now);
    jobs(store, now);
    pods(store, now);
    hpas(store, now);
    crate::disruption::reconcile(store);
    expire_events(store, now);
}

fn owned_by<'a>(objects: &'a [Arc<Value>], uid: &str) -> Vec<&'a Arc<Value>> {
    objects
        .iter()
        .filter(|o| {
            o.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| refs.iter().any(|r| s(r, "/uid") == uid))
        })
        .collect()
}

fn owner_ref(owner: &Value, kind: &str, api_version: &str) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": s(owner, "/metadata/name"), "uid": s(owner, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}])
}

/// A short stable hash, written with the alphabet Kubernetes uses for pod-template-hash.
fn template_hash(v: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    (0..10)
        .map(|k| ALPHABET[((h >> (k * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn condition(kind: &str, status: bool, reason: &str, message: &str, since: i64) -> Value {
    json!({"type": kind, "status": if status { "True" } else { "False" }, "reason": reason, "message": message, "lastUpdateTime": ts(since), "lastTransitionTime": ts(since)})
}

/// Keeps an existing condition's timestamps when its status and reason did not change.
fn keep_times(old: &Value, mut new: Vec<Value>) -> Vec<Value> {
    let old_conditions = old.as_array().cloned().unwrap_or_default();
    for c in &mut new {
        if let Some(prev) = old_conditions
            .iter()
            .find(|p| s(p, "/type") == s(c, "/type"))
        {
            if s(prev, "/status") == s(c, "/status") && s(prev, "/reason") == s(c, "/reason") {
                for k in ["lastUpdateTime", "lastTransitionTime", "lastProbeTime"] {
                    if let Some(v) = prev.get(k) {
                        c[k] = v.clone();
                    }
                }
            }
        }
    }
    new
}

fn deployments(store: &Store, now: i64) {
    let rs_res = res("replicasets");
    let (_, deploys) = store.list("deployments", None);
    let (_, all_rs) = store.list("replicasets", None);
    for d in deploys {
        let ns = s(&d, "/metadata/namespace").to_string();
        let name = s(&d, "/metadata/name").to_string();
        let desired = i(&d, "/spec/replicas", 1);
        let template = d.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let hash = template_hash(&template);
        let new_name = format!("{name}-{hash}");
        let mut owned: Vec<Arc<Value>> = owned_by(&all_rs, s(&d, "/metadata/uid"))
            .into_iter()
            .cloned()
            .collect();
        let revision = |rs: &Value| {
            s(
                rs,
                "/metadata/annotations/deployment.kubernetes.io~1revision",
            )
            .parse::<i64>()
            .unwrap_or(0)
        };
        let max_revision = owned.iter().map(|r| revision(r)).max().unwrap_or(0);
        if !owned.iter().any(|r| s(r, "/metadata/name") == new_name) {
            let mut labels = template
                .pointer("/metadata/labels")
                .cloned()
                .unwrap_or(json!({}));
            labels["pod-template-hash"] = json!(hash);
            let mut tpl = template.clone();
            tpl["metadata"]["labels"] = labels.clone();
            let mut selector = d
                .pointer("/spec/selector")
                .cloned()
                .unwrap_or(json!({"matchLabels": {}}));
            selector["matchLabels"]["pod-template-hash"] = json!(hash);
            let rs = json!({
                "metadata": {"name": new_name, "labels": labels, "ownerReferences": owner_ref(&d, "Deployment", "apps/v1"),
                    "annotations": {"deployment.kubernetes.io/revision": (max_revision + 1).to_string(), "deployment.kubernetes.io/desired-replicas": desired.to_string()}},
                "spec": {"replicas": 0, "selector": selector, "template": tpl},
            });
            if let Ok(created) = store.create(rs_res, &ns, rs, false) {
                owned.push(created);
            }
        }
        let Some(new_rs) = owned
            .iter()
            .find(|r| s(r, "/metadata/name") == new_name)
            .cloned()
        else {
            continue;
        };
        let new_ready = i(&new_rs, "/status/readyReplicas", 0);
        // Rolling update: old ReplicaSets give up a pod for each new ready one.
        let mut old: Vec<&Arc<Value>> = owned
            .iter()
            .filter(|r| s(r, "/metadata/name") != new_name)
            .collect();
        old.sort_by_key(|r| std::cmp::Reverse(revision(r)));
        let mut budget = (desired - new_ready).max(0);
        for rs in old {
            let current = i(rs, "/spec/replicas", 0);
            let keep = current.min(budget);
            budget -= keep;
            if keep != current {
                store.modify(rs_res, &ns, s(rs, "/metadata/name"), |o| {
                    o["spec"]["replicas"] = json!(keep)
                });
            }
        }
        // maxSurge 25%: the new ReplicaSet grows only as far as the old ones shrank.
        let old_total = (desired - new_ready).max(0) - budget;
        let surge = ((desired + 3) / 4).max(1);
        let new_target = desired.min(desired + surge - old_total).max(0);
        if i(&new_rs, "/spec/replicas", 0) != new_target {
            store.modify(rs_res, &ns, &new_name, |o| {
                o["spec"]["replicas"] = json!(new_target)
            });
        }
        if revision(&new_rs) != max_revision && max_revision > 0 && revision(&new_rs) < max_revision
        {
            // An old template came back (rollback): it becomes the newest revision.
            store.modify(rs_res, &ns, &new_name, |o| {
                o["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
                    json!((max_revision + 1).to_string())
            });
        }
        // Status from the ReplicaSets as they are now.
        let (_, fresh) = store.list("replicasets", Some(&ns));
        let owned_now = owned_by(&fresh, s(&d, "/metadata/uid"));
        let sum = |p: &str| owned_now.iter().map(|r| i(r, p, 0)).sum::<i64>();
        let (replicas, ready, available) = (
            sum("/status/replicas"),
            sum("/status/readyReplicas"),
            sum("/status/availableReplicas"),
        );
        let new_now = owned_now
            .iter()
            .find(|r| s(r, "/metadata/name") == new_name);
        let updated = new_now.map_or(0, |r| i(r, "/status/replicas", 0));
        let new_ready = new_now.map_or(0, |r| i(r, "/status/readyReplicas", 0));
        let olds_left = owned_now
            .iter()
            .any(|r| s(r, "/metadata/name") != new_name && i(r, "/status/replicas", 0) > 0);
        let max_unavailable = desired / 4;
        let available_ok = available >= desired - max_unavailable;
        let started =
            secs_of(new_now.map_or(&d, |r| r), "/metadata/creationTimestamp").unwrap_or(now);
        let deadline = i(&d, "/spec/progressDeadlineSeconds", 600);
        let complete = new_ready >= desired && !olds_left;
        let progressing = if complete {
            condition(
                "Progressing",
                true,
                "NewReplicaSetAvailable",
                &format!("ReplicaSet \"{new_name}\" has successfully progressed."),
                now,
            )
        } else if now - started > deadline {
            condition(
                "Progressing",
                false,
                "ProgressDeadlineExceeded",
                &format!("ReplicaSet \"{new_name}\" has timed out progressing."),
                started + deadline,
            )
        } else {
            condition(
                "Progressing",
                true,
                "ReplicaSetUpdated",
                &format!("ReplicaSet \"{new_name}\" is progressing."),
                now,
            )
        };
        let availability = if available_ok {
            condition(
                "Available",
                true,
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                now,
            )
        } else {
            condition(
                "Available",
                false,
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
            )
        };
        let conditions = keep_times(
            d.pointer("/status/conditions").unwrap_or(&Value::Null),
            vec![availability, progressing],
        );
        let mut status = json!({
            "observedGeneration": i(&d, "/metadata/generation", 1),
            "replicas": replicas, "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
            "conditions": conditions,
        });
        if desired - available > 0 {
            status["unavailableReplicas"] = json!(desired - available);
        }
        let revision_now = new_now.map(|r| revision(r)).unwrap_or(1).to_string();
        if d.get("status") != Some(&status)
            || s(
                &d,
                "/metadata/annotations/deployment.kubernetes.io~1revision",
            ) != revision_now
        {
            store.modify(res("deployments"), &ns, &name, |o| {
                o["status"] = status;
                o["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
                    json!(revision_now);
            });
        }
    }
}

pub(crate) fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True")
        })
}

/// Makes `want` pods for `owner` from its template; returns the owned pods after.
fn scale_pods(
    store: &Store,
    owner: &Value,
    kind: &str,
    api_version: &str,
    want: i64,
    name_for: impl Fn(&Store, usize) -> String,
) -> Vec<Arc<Value>> {
    let ns = s(owner, "/metadata/namespace").to_string();
    let (_, pods) = store.list("pods", Some(&ns));
    let mut mine: Vec<Arc<Value>> = owned_by(&pods, s(owner, "/metadata/uid"))
        .into_iter()
        .cloned()
        .collect();
    let pod_res = res("pods");
    let have = mine.len() as i64;
    if have < want {
        for k in 0..(want - have) {
            let template = owner
                .pointer("/spec/template")
                .cloned()
                .unwrap_or(json!({}));
            let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
            meta["name"] = json!(name_for(store, (have + k) as usize));
            meta["ownerReferences"] = owner_ref(owner, kind, api_version);
            let pod = json!({"metadata": meta, "spec": template.get("spec").cloned().unwrap_or(json!({"containers": []})), "status": {"phase": "Pending", "qosClass": "Burstable"}});
            if let Ok(p) = store.create(pod_res, &ns, pod, false) {
                mine.push(p);
            }
        }
    } else if have > want {
        // Not-ready pods go first, then the newest.
        mine.sort_by_key(|p| {
            (
                is_ready(p),
                std::cmp::Reverse(s(p, "/metadata/creationTimestamp").to_string()),
            )
        });
        for p in mine.drain(..(have - want) as usize) {
            let _ = store.delete(pod_res, &ns, s(&p, "/metadata/name"));
        }
    }
    mine
}

fn replicasets(store: &Store) {
    let (_, sets) = store.list("replicasets", None);
    for rs in sets {
        let want = i(&rs, "/spec/replicas", 1);
        let name = s(&rs, "/metadata/name").to_string();
        let pods = scale_pods(store, &rs, "ReplicaSet", "apps/v1", want, |st, _| {
            format!("{name}-{}", st.random_suffix(5))
        });
        let ready = pods.iter().filter(|p| is_ready(p)).count() as i64;
        let status = json!({"replicas": pods.len(), "fullyLabeledReplicas": pods.len(), "readyReplicas": ready, "availableReplicas": ready, "observedGeneration": i(&rs, "/metadata/generation", 1)});
        if rs.get("status") != Some(&status) {
            store.modify(
                res("replicasets"),
                s(&rs, "/metadata/namespace"),
                &name,
                |o| o["status"] = status,
            );
        }
    }
}

fn statefulsets(store: &Store) {
    let (_, sets) = store.list("statefulsets", None);
    for sts in sets {
        let want = i(&sts, "/spec/replicas", 1);
        let name = s(&sts, "/metadata/name").to_string();
        let pods = scale_pods(store, &sts, "StatefulSet", "apps/v1", want, |_, ordinal| {
            format!("{name}-{ordinal}")
        });
        let ready = pods.iter().filter(|p| is_ready(p)).count() as i64;
        let status = json!({"replicas": pods.len(), "readyReplicas": ready, "currentReplicas": pods.len(), "updatedReplicas": pods.len(), "availableReplicas": ready, "observedGeneration": i(&sts, "/metadata/generation", 1), "collisionCount": 0});
        if sts.get("status") != Some(&status) {
            store.modify(
                res("statefulsets"),
                s(&sts, "/metadata/namespace"),
                &name,
                |o| o["status"] = status,
            );
        }
    }
}

fn daemonsets(store: &Store) {
    let (_, nodes) = store.list("nodes", None);
    let (_, sets) = store.list("daemonsets", None);
    for ds in sets {
        let name = s(&ds, "/metadata/name").to_string();
        let pods = scale_pods(
            store,
            &ds,
            "DaemonSet",
            "apps/v1",
            nodes.len() as i64,
            |st, _| format!("{name}-{}", st.random_suffix(5)),
        );
        let ready = pods.iter().filter(|p| is_ready(p)).count();
        let n = nodes.len();
        let mut status = json!({"desiredNumberScheduled": n, "currentNumberScheduled": pods.len(), "numberReady": ready, "updatedNumberScheduled": pods.len(), "numberAvailable": ready, "numberMisscheduled": 0, "observedGeneration": i(&ds, "/metadata/generation", 1)});
        if n > ready {
            status["numberUnavailable"] = json!(n - ready);
        }
        if ds.get("status") != Some(&status) {
            store.modify(
                res("daemonsets"),
                s(&ds, "/metadata/namespace"),
                &name,
                |o| o["status"] = status,
            );
        }
    }
}

/// Minutes between runs for the schedules kubesim understands (`*/N * * * *`, else hourly).
fn schedule_minutes(schedule: &str) -> i64 {
    let minute = schedule.split_whitespace().next().unwrap_or("");
    match minute
        .strip_prefix("*/")
        .and_then(|n| n.parse::<i64>().ok())
    {
        Some(n) if n > 0 => n,
        _ if minute == "*" => 1,
        _ => 60,
    }
}

fn cronjobs(store: &Store, now: i64) {
    let job_res = res("jobs");
    let (_, crons) = store.list("cronjobs", None);
    let (_, jobs) = store.list("jobs", None);
    for cj in crons {
        if cj.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let ns = s(&cj, "/metadata/namespace").to_string();
        let name = s(&cj, "/metadata/name").to_string();
        let every = schedule_minutes(s(&cj, "/spec/schedule")) * 60;
        let slot = now / every * every;
        let created = secs_of(&cj, "/metadata/creationTimestamp").unwrap_or(now);
        let mut mine: Vec<&Arc<Value>> = owned_by(&jobs, s(&cj, "/metadata/uid"));
        let job_name = format!("{name}-{}", slot / 60);
        if slot >= created && !mine.iter().any(|j| s(j, "/metadata/name") == job_name) {
            let template = cj
                .pointer("/spec/jobTemplate")
                .cloned()
                .unwrap_or(json!({"spec": {}}));
            let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
            meta["name"] = json!(job_name);
            meta["ownerReferences"] = owner_ref(&cj, "CronJob", "batch/v1");
            let _ = store.create(job_res, &ns, json!({"metadata": meta, "spec": template.get("spec").cloned().unwrap_or(json!({}))}), false);
        }
        // Keep the history limits.
        mine.sort_by_key(|j| std::cmp::Reverse(s(j, "/metadata/creationTimestamp").to_string()));
        let finished = |j: &Value, t: &str| {
            j.pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| s(c, "/type") == t && s(c, "/status") == "True")
                })
        };
        let keep_ok = i(&cj, "/spec/successfulJobsHistoryLimit", 3) as usize;
        let keep_failed = i(&cj, "/spec/failedJobsHistoryLimit", 1) as usize;
        for (k, j) in mine.iter().filter(|j| finished(j, "Complete")).enumerate() {
            if k >= keep_ok {
                let _ = store.delete(job_res, &ns, s(j, "/metadata/name"));
            }
        }
        for (k, j) in mine.iter().filter(|j| finished(j, "Failed")).enumerate() {
            if k >= keep_failed {
                let _ = store.delete(job_res, &ns, s(j, "/metadata/name"));
            }
        }
        let active: Vec<Value> = mine.iter().filter(|j| !finished(j, "Complete") && !finished(j, "Failed")).map(|j| json!({"kind": "Job", "namespace": ns, "name": s(j, "/metadata/name"), "uid": s(j, "/metadata/uid"), "apiVersion": "batch/v1"})).collect();
        let mut status = json!({"active": active});
        if slot >= created {
            status["lastScheduleTime"] = json!(ts(slot));
        }
        if let Some(ok) = mine.iter().find(|j| finished(j, "Complete")) {
            status["lastSuccessfulTime"] = ok
                .pointer("/status/completionTime")
                .cloned()
                .unwrap_or(Value::Null);
        }
        if active.is_empty() {
            status.as_object_mut().map(|m| m.remove("active"));
        }
        if cj.get("status") != Some(&status) {
            store.modify(res("cronjobs"), &ns, &name, |o| o["status"] = status);
        }
    }
}

fn jobs(store: &Store, now: i64) {
    let (_, all) = store.list("jobs", None);
    let (_, all_pods) = store.list("pods", None);
    for job in all {
        let ns = s(&job, "/metadata/namespace").to_string();
        let name = s(&job, "/metadata/name").to_string();
        let done = job
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    matches!(s(c, "/type"), "Complete" | "Failed") && s(c, "/status") == "True"
                })
            });
        if done {
            continue;
        }
        let pods = owned_by(&all_pods, s(&job, "/metadata/uid"));
        let phase = |p: &Value| s(p, "/status/phase").to_string();
        let succeeded = pods.iter().filter(|p| phase(p) == "Succeeded").count() as i64;
        let failed = pods.iter().filter(|p| phase(p) == "Failed").count() as i64;
        let active = pods.len() as i64 - succeeded - failed;
        let completions = i(&job, "/spec/completions", 1);
        let backoff = i(&job, "/spec/backoffLimit", 6);
        let start = secs_of(&job, "/metadata/creationTimestamp").unwrap_or(now);
        let mut status = json!({"startTime": ts(start), "active": active, "succeeded": succeeded, "failed": failed, "ready": 0, "terminating": 0});
        if succeeded >= completions {
            status["completionTime"] = json!(ts(now));
            status["conditions"] = json!([
                {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods", "lastProbeTime": ts(now), "lastTransitionTime": ts(now)},
                {"type": "Complete", "status": "True", "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods", "lastProbeTime": ts(now), "lastTransitionTime": ts(now)}]);
        } else if failed > backoff {
            status["conditions"] = json!([
                {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit", "lastProbeTime": ts(now), "lastTransitionTime": ts(now)},
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit", "lastProbeTime": ts(now), "lastTransitionTime": ts(now)}]);
            emit_event(
                store,
                &job,
                "Job",
                "batch/v1",
                "Warning",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                "job-controller",
                1,
                now,
                "",
            );
        } else if active == 0 {
            let template = job.pointer("/spec/template").cloned().unwrap_or(json!({}));
            let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
            meta["name"] = json!(format!("{name}-{}", store.random_suffix(5)));
            meta["ownerReferences"] = owner_ref(&job, "Job", "batch/v1");
            meta["labels"]["batch.kubernetes.io/job-name"] = json!(name);
            let mut spec = template
                .get("spec")
                .cloned()
                .unwrap_or(json!({"containers": []}));
            if spec.get("restartPolicy").is_none() {
                spec["restartPolicy"] = json!("Never");
            }
            let _ = store.create(
                res("pods"),
                &ns,
                json!({"metadata": meta, "spec": spec, "status": {"phase": "Pending"}}),
                false,
            );
        }
        if job.get("status") != Some(&status) {
            store.modify(res("jobs"), &ns, &name, |o| o["status"] = status);
        }
    }
}

/// How a pod misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    CrashLoop,
    ImagePull,
    Oom,
    ConfigError,
    Unschedulable,
    Readiness,
    /// Job pods: exit 1.
    JobFail,
}

impl Fault {
    /// The pod's fault plan: its `kubesim.io/fault` annotation, or a missing image.
    pub fn of(pod: &Value) -> Self {
        let image_missing = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    let img = s(c, "/image");
                    img.ends_with("-missing") || img.contains("does-not-exist")
                })
            });
        if image_missing {
            return Fault::ImagePull;
        }
        match s(pod, "/metadata/annotations/kubesim.io~1fault") {
            "crash-loop" => Fault::CrashLoop,
            "image-pull" => Fault::ImagePull,
            "oom" => Fault::Oom,
            "config-error" => Fault::ConfigError,
            "unschedulable" => Fault::Unschedulable,
            "readiness" => Fault::Readiness,
            "job-fail" => Fault::JobFail,
            _ => Fault::None,
        }
    }
}

/// Go's duration format for the back-off in CrashLoopBackOff messages ("10s", "1m20s", "5m0s").
fn go_duration(secs: i64) -> String {
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{}s", secs / 60, secs % 60)
    }
}

/// The state of a crash-looping container `e` seconds after it first started: (restarts, running?,
/// seconds into the current phase, nominal back-off, last finish offset).
fn crash_cycle(e: i64, run: i64) -> (i64, bool, i64, i64) {
    let mut e = e;
    let mut k = 0;
    loop {
        let wait = (5_i64 << k.min(10)).min(40);
        if e < run {
            return (k, true, e, 0);
        }
        if e < run + wait {
            return (k + 1, false, e - run, (10_i64 << k.min(10)).min(300));
        }
        e -= run + wait;
        k += 1;
        if k > 10_000 {
            return (k, false, 0, 300);
        }
    }
}

/// One run of a pod's containers, in seconds since the epoch: started, and ended with an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub started: i64,
    pub ended: Option<(i64, i32)>,
}

/// Every run a pod's containers have had by `now`, oldest first (the same timeline as
/// `pod_status`): none while the image cannot be pulled or the pod is not scheduled.
pub fn runs(pod: &Value, now: i64) -> Vec<Run> {
    let fault = Fault::of(pod);
    let created = secs_of(pod, "/metadata/creationTimestamp").unwrap_or(now);
    let start = created + 1;
    let first = start + 1;
    if now < first || s(pod, "/spec/nodeName").is_empty() {
        return Vec::new();
    }
    let job_pod = s(pod, "/spec/restartPolicy") == "Never";
    match fault {
        Fault::ImagePull | Fault::ConfigError | Fault::Unschedulable => Vec::new(),
        Fault::CrashLoop | Fault::Oom => {
            let (run, code) = if fault == Fault::Oom {
                (8, 137)
            } else {
                (3, 1)
            };
            let mut out = Vec::new();
            let mut t = first;
            let mut k = 0;
            while t <= now {
                let end = t + run;
                out.push(Run {
                    started: t,
                    ended: (end <= now).then_some((end, code)),
                });
                t = end + (5_i64 << k.min(10)).min(40);
                k += 1;
            }
            out
        }
        _ if job_pod => vec![Run {
            started: first,
            ended: (now > start + 4).then_some((start + 4, i32::from(fault == Fault::JobFail))),
        }],
        _ => vec![Run {
            started: first,
            ended: None,
        }],
    }
}

fn pods(store: &Store, now: i64) {
    let (_, nodes) = store.list("nodes", None);
    let node_names: Vec<String> = nodes
        .iter()
        .map(|n| s(n, "/metadata/name").to_string())
        .collect();
    let (_, all) = store.list("pods", None);
    for pod in all {
        let ns = s(&pod, "/metadata/namespace").to_string();
        let name = s(&pod, "/metadata/name").to_string();
        let phase = s(&pod, "/status/phase");
        if matches!(phase, "Succeeded" | "Failed") {
            continue;
        }
        let created = secs_of(&pod, "/metadata/creationTimestamp").unwrap_or(now);
        let fault = Fault::of(&pod);
        let (status, node, events) = pod_status(&pod, fault, created, now, &node_names);
        let started = started_containers(&status);
        let mut next = (*pod).clone();
        next["status"] = status;
        if let Some(n) = &node {
            next["spec"]["nodeName"] = json!(n);
        }
        if next != *pod {
            store.modify(res("pods"), &ns, &name, |o| *o = next.clone());
        }
        for (kind, reason, message, component, count) in events {
            emit_event(
                store, &pod, "Pod", "v1", kind, reason, &message, component, count, now, "",
            );
        }
        // The kubelet's Normal events of each container start (one per run, as counts).
        for (container, image, runs) in started {
            let path = format!("spec.containers{{{container}}}");
            for (reason, message) in [
                (
                    "Pulled",
                    format!("Container image \"{image}\" already present on machine"),
                ),
                ("Created", format!("Created container: {container}")),
                ("Started", format!("Started container {container}")),
            ] {
                emit_event(
                    store, &pod, "Pod", "v1", "Normal", reason, &message, "kubelet", runs, now,
                    &path,
                );
            }
        }
    }
}

/// Each container that has started at least once: name, image and how many runs it has had.
fn started_containers(status: &Value) -> Vec<(String, String, i64)> {
    status
        .pointer("/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| {
            c.pointer("/state/running").is_some()
                || c.pointer("/state/terminated").is_some()
                || c.pointer("/lastState/terminated").is_some()
        })
        .map(|c| {
            (
                s(c, "/name").to_string(),
                s(c, "/image").to_string(),
                1 + i(c, "/restartCount", 0),
            )
        })
        .collect()
}

type PodEvent = (&'static str, &'static str, String, &'static str, i64);

/// A pod's status at `now`: a pure function of its age and fault, plus the events it warrants.
fn pod_status(
    pod: &Value,
    fault: Fault,
    created: i64,
    now: i64,
    nodes: &[String],
) -> (Value, Option<String>, Vec<PodEvent>) {
    let name = s(pod, "/metadata/name");
    let ns = s(pod, "/metadata/namespace");
    let uid = s(pod, "/metadata/uid");
    let containers: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let age = now - created;
    let mut events: Vec<PodEvent> = Vec::new();
    if fault == Fault::Unschedulable || nodes.is_empty() {
        let n = nodes.len();
        let message = format!("0/{n} nodes are available: {n} Insufficient cpu. preemption: 0/{n} nodes are available: {n} No preemption victims found for incoming pod.");
        events.push((
            "Warning",
            "FailedScheduling",
            message.clone(),
            "default-scheduler",
            1 + age / 30,
        ));
        return (
            json!({"phase": "Pending", "qosClass": "Burstable", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message, "lastProbeTime": null, "lastTransitionTime": ts(created)}]}),
            None,
            events,
        );
    }
    let node = match s(pod, "/spec/nodeName") {
        "" => {
            let h = name
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
            nodes[(h % nodes.len() as u64) as usize].clone()
        }
        n => n.to_string(),
    };
    let octet = |seed: &str| {
        seed.bytes()
            .fold(0u32, |h, b| h.wrapping_mul(131).wrapping_add(u32::from(b)))
    };
    let pod_ip = format!(
        "10.{}.{}.{}",
        100 + octet(&node) % 100,
        octet(name) % 250,
        2 + octet(uid) % 250
    );
    let host_ip = format!("10.0.{}.{}", octet(&node) % 250, 10 + octet(&node) % 200);
    let start = created + 1;
    events.push((
        "Normal",
        "Scheduled",
        format!("Successfully assigned {ns}/{name} to {node}"),
        "default-scheduler",
        1,
    ));
    let job_pod = s(pod, "/spec/restartPolicy") == "Never";
    let mut phase = "Pending";
    let mut statuses = Vec::new();
    let mut all_ready = true;
    for c in &containers {
        let cname = s(c, "/name");
        let image = s(c, "/image");
        let base = json!({"name": cname, "image": image, "imageID": "", "started": false, "ready": false, "restartCount": 0});
        let mut st = base.clone();
        let e = now - start;
        match fault {
            _ if e < 1 => {
                st["state"] = json!({"waiting": {"reason": "ContainerCreating"}});
            }
            Fault::ImagePull => {
                let in_cycle = (e - 1) % 15;
                let pulls = 1 + (e - 1) / 15;
                if in_cycle < 5 {
                    st["state"] = json!({"waiting": {"reason": "ErrImagePull", "message": format!("failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": not found")}});
                } else {
                    st["state"] = json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\"")}});
                }
                events.push(("Warning", "Failed", format!("Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"), "kubelet", pulls));
                events.push((
                    "Warning",
                    "BackOff",
                    format!("Back-off pulling image \"{image}\""),
                    "kubelet",
                    pulls,
                ));
            }
            Fault::ConfigError => {
                let secret = format!(
                    "{}-credentials",
                    s(pod, "/metadata/labels/app.kubernetes.io~1name")
                        .trim()
                        .trim_matches('"')
                );
                let secret = if secret == "-credentials" {
                    "app-credentials".to_string()
                } else {
                    secret
                };
                st["state"] = json!({"waiting": {"reason": "CreateContainerConfigError", "message": format!("secret \"{secret}\" not found")}});
                events.push((
                    "Warning",
                    "Failed",
                    format!("Error: secret \"{secret}\" not found"),
                    "kubelet",
                    1 + e / 10,
                ));
            }
            Fault::CrashLoop | Fault::Oom => {
                phase = "Running";
                let run = if fault == Fault::Oom { 8 } else { 3 };
                let (restarts, running, into, backoff) = crash_cycle(e - 1, run);
                let digest = format!("{:064x}", octet(image));
                st["imageID"] = json!(format!(
                    "{}@sha256:{}",
                    image.split(':').next().unwrap_or(image),
                    &digest[..64]
                ));
                st["containerID"] = json!(format!(
                    "containerd://{:064x}",
                    octet(&format!("{uid}{restarts}"))
                ));
                st["restartCount"] = json!(restarts);
                if running {
                    st["state"] = json!({"running": {"startedAt": ts(now - into)}});
                    st["started"] = json!(true);
                } else {
                    st["state"] = json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off {} restarting failed container={cname} pod={name}_{ns}({uid})", go_duration(backoff))}});
                }
                if restarts > 0 {
                    let finished = if running { now - into - 1 } else { now - into };
                    let (reason, code) = if fault == Fault::Oom {
                        ("OOMKilled", 137)
                    } else {
                        ("Error", 1)
                    };
                    st["lastState"] = json!({"terminated": {"exitCode": code, "reason": reason, "startedAt": ts(finished - run), "finishedAt": ts(finished), "containerID": st["containerID"].clone()}});
                    events.push(("Warning", "BackOff", format!("Back-off restarting failed container {cname} in pod {name}_{ns}({uid})"), "kubelet", restarts));
                }
            }
            Fault::JobFail if job_pod => {
                phase = if e > 4 { "Failed" } else { "Running" };
                st["state"] = if e > 4 {
                    json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": ts(start + 1), "finishedAt": ts(start + 4)}})
                } else {
                    json!({"running": {"startedAt": ts(start + 1)}})
                };
            }
            _ if job_pod => {
                phase = if e > 4 { "Succeeded" } else { "Running" };
                st["state"] = if e > 4 {
                    json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": ts(start + 1), "finishedAt": ts(start + 4)}})
                } else {
                    json!({"running": {"startedAt": ts(start + 1)}})
                };
            }
            Fault::Readiness => {
                phase = "Running";
                st["state"] = json!({"running": {"startedAt": ts(start + 1)}});
                st["started"] = json!(true);
                events.push((
                    "Warning",
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 503".to_string(),
                    "kubelet",
                    1 + e / 10,
                ));
            }
            _ => {
                phase = "Running";
                st["state"] = json!({"running": {"startedAt": ts(start + 1)}});
                st["started"] = json!(true);
                st["ready"] = json!(e >= 1);
            }
        }
        if st["ready"] != json!(true) {
            all_ready = false;
        }
        if st.get("imageID").and_then(Value::as_str) == Some("")
            && st.pointer("/state/running").is_some()
        {
            st["imageID"] = json!(format!(
                "{}@sha256:{:064x}",
                image.split(':').next().unwrap_or(image),
                octet(image)
            ));
            st["containerID"] = json!(format!("containerd://{:064x}", octet(uid)));
        }
        statuses.push(st);
    }
    let ready_since = if all_ready { start + 1 } else { created };
    let unready: Vec<&str> = statuses
        .iter()
        .filter(|c| c["ready"] != json!(true))
        .map(|c| s(c, "/name"))
        .collect();
    let ready_condition = if all_ready {
        json!({"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(ready_since)})
    } else {
        json!({"type": "Ready", "status": "False", "reason": "ContainersNotReady", "message": format!("containers with unready status: [{}]", unready.join(" ")), "lastProbeTime": null, "lastTransitionTime": ts(created)})
    };
    let mut containers_ready = ready_condition.clone();
    containers_ready["type"] = json!("ContainersReady");
    let status = json!({
        "phase": phase,
        "conditions": [
            {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(start)},
            {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(created)},
            ready_condition,
            containers_ready,
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(created)},
        ],
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": ts(start),
        "qosClass": "Burstable",
        "containerStatuses": statuses,
    });
    (status, Some(node), events)
}

/// Creates or updates an aggregated event about `object` (one per object and reason).
#[allow(clippy::too_many_arguments)]
fn emit_event(
    store: &Store,
    object: &Value,
    kind: &str,
    api_version: &str,
    event_type: &str,
    reason: &str,
    message: &str,
    component: &str,
    count: i64,
    now: i64,
    field_path: &str,
) {
    let ns = s(object, "/metadata/namespace");
    let obj_name = s(object, "/metadata/name");
    let hash = format!(
        "{:016x}",
        format!("{obj_name}/{reason}{field_path}")
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b))
                .wrapping_mul(0x100_0000_01b3))
    );
    let name = format!("{obj_name}.{hash}");
    let events = res("events");
    match store.get("events", ns, &name) {
        Some(existing) if i(&existing, "/count", 0) >= count => {}
        Some(_) => {
            store.modify(events, ns, &name, |e| {
                e["count"] = json!(count);
                e["lastTimestamp"] = json!(ts(now));
                e["message"] = json!(message);
            });
        }
        None => {
            let host = s(object, "/spec/nodeName");
            let mut source = json!({"component": component});
            if !host.is_empty() && component == "kubelet" {
                source["host"] = json!(host);
            }
            let mut event = json!({
                "metadata": {"name": name, "namespace": ns},
                "involvedObject": {"apiVersion": api_version, "kind": kind, "name": obj_name, "namespace": ns, "uid": s(object, "/metadata/uid")},
                "reason": reason, "message": message, "type": event_type, "count": count.max(1),
                "source": source, "firstTimestamp": ts(now), "lastTimestamp": ts(now),
                "reportingComponent": component, "reportingInstance": if host.is_empty() { component } else { host },
            });
            if !field_path.is_empty() {
                event["involvedObject"]["fieldPath"] = json!(field_path);
            }
            let _ = store.create(events, ns, event, false);
        }
    }
}

fn expire_events(store: &Store, now: i64) {
    let (_, all) = store.list("events", None);
    let live_uids: std::collections::HashSet<String> = [
        "pods",
        "jobs",
        "deployments",
        "replicasets",
        "horizontalpodautoscalers",
    ]
    .iter()
    .flat_map(|r| store.list(r, None).1)
    .map(|o| s(&o, "/metadata/uid").to_string())
    .collect();
    for e in all {
        let last = secs_of(&e, "/lastTimestamp")
            .or_else(|| secs_of(&e, "/metadata/creationTimestamp"))
            .unwrap_or(now);
        let orphan = !s(&e, "/reportingComponent").is_empty()
            && !s(&e, "/involvedObject/uid").is_empty()
            && !live_uids.contains(s(&e, "/involvedObject/uid"));
        if now - last > 3600 || (orphan && now - last > 120) {
            let _ = store.delete(
                res("events"),
                s(&e, "/metadata/namespace"),
                s(&e, "/metadata/name"),
            );
        }
    }
}

/// Demand at `t` for an HPA, in replicas at the target utilisation: a daily cycle (compressed to
/// 10 minutes so a demo moves) plus short bursts; a `kubesim.io/load` ending in `!` holds steady.
pub fn demand(hpa: &Value, t: i64) -> f64 {
    let min = i(hpa, "/spec/minReplicas", 1) as f64;
    let max = i(hpa, "/spec/maxReplicas", 1) as f64;
    let name = s(hpa, "/metadata/name");
    let phase = (name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 1000) as f64;
    let annotation = s(hpa, "/metadata/annotations/kubesim.io~1load");
    // `0.85!`: a steady load, no cycle and no bursts (for a demo state that must hold).
    let steady = annotation.ends_with('!');
    let base = annotation
        .trim_end_matches('!')
        .parse::<f64>()
        .map(|l| l * max)
        .unwrap_or(min + (max - min) * 0.4);
    if steady {
        return base.max(0.1);
    }
    let cycle = (std::f64::consts::TAU * (t as f64) / 600.0 + phase).sin();
    let burst = if (t / 60 + phase as i64) % 7 == 0 {
        0.15
    } else {
        0.0
    };
    (base * (1.0 + 0.12 * cycle + burst)).max(0.1)
}

fn hpas(store: &Store, now: i64) {
    let (_, all) = store.list("horizontalpodautoscalers", None);
    let mut scaled: HashMap<String, i64> = HashMap::new();
    for hpa in all {
        let ns = s(&hpa, "/metadata/namespace").to_string();
        let name = s(&hpa, "/metadata/name").to_string();
        let target_kind = s(&hpa, "/spec/scaleTargetRef/kind");
        let target_name = s(&hpa, "/spec/scaleTargetRef/name").to_string();
        let target_res = match target_kind {
            "Deployment" => res("deployments"),
            "StatefulSet" => res("statefulsets"),
            // Where Argo Rollouts' CRD is installed (kubesim runs no Rollouts controller: a
            // Rollout's ReplicaSets do not follow a change of its replicas).
            "Rollout" => match crate::resources::served(store)
                .into_iter()
                .find(|r| r.group == "argoproj.io" && r.kind == "Rollout")
            {
                Some(r) => r,
                None => continue,
            },
            _ => continue,
        };
        let min = i(&hpa, "/spec/minReplicas", 1);
        let max = i(&hpa, "/spec/maxReplicas", 1);
        let Some(target) = store.get(target_res.store, &ns, &target_name) else {
            continue;
        };
        let current = i(&target, "/spec/replicas", 1);
        let old = hpa
            .pointer("/status/conditions")
            .cloned()
            .unwrap_or(Value::Null);
        let no_metrics = s(&hpa, "/metadata/annotations/kubesim.io~1fault") == "no-metrics";
        let mut status = json!({"currentReplicas": current, "desiredReplicas": current});
        if let Some(t) = hpa.pointer("/status/lastScaleTime") {
            status["lastScaleTime"] = t.clone();
        }
        if no_metrics {
            status["conditions"] = json!(keep_times(&old, vec![
                condition("AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale", now),
                condition("ScalingActive", false, "FailedGetResourceMetric", "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API", now),
            ]));
        } else {
            let d = demand(&hpa, now);
            let raw = d.ceil() as i64;
            let desired = raw.clamp(min, max);
            let ratio = d / current.max(1) as f64;
            let metrics: Vec<Value> = hpa
                .pointer("/spec/metrics")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|m| current_metric(m, ratio))
                .collect();
            status["desiredReplicas"] = json!(desired);
            status["currentMetrics"] = json!(metrics);
            let limited = if raw > max {
                condition(
                    "ScalingLimited",
                    true,
                    "TooManyReplicas",
                    "the desired replica count is more than the maximum replica count",
                    now,
                )
            } else if raw < min {
                condition(
                    "ScalingLimited",
                    true,
                    "TooFewReplicas",
                    "the desired replica count is less than the minimum replica count",
                    now,
                )
            } else {
                condition(
                    "ScalingLimited",
                    false,
                    "DesiredWithinRange",
                    "the desired count is within the acceptable range",
                    now,
                )
            };
            let able = if desired != current {
                condition(
                    "AbleToScale",
                    true,
                    "SucceededRescale",
                    &format!("the HPA controller was able to update the target scale to {desired}"),
                    now,
                )
            } else {
                condition(
                    "AbleToScale",
                    true,
                    "ReadyForNewScale",
                    "recommended size matches current size",
                    now,
                )
            };
            let metric_name = metrics
                .first()
                .map(|m| match s(m, "/type") {
                    "Resource" => format!(
                        "{} resource utilization (percentage of request)",
                        s(m, "/resource/name")
                    ),
                    "Pods" => format!("pods metric {}", s(m, "/pods/metric/name")),
                    other => format!("{} metric", other.to_lowercase()),
                })
                .unwrap_or_else(|| "cpu resource utilization (percentage of request)".into());
            let active = condition(
                "ScalingActive",
                true,
                "ValidMetricFound",
                &format!(
                    "the HPA was able to successfully calculate a replica count from {metric_name}"
                ),
                now,
            );
            status["conditions"] = json!(keep_times(&old, vec![able, active, limited]));
            if desired != current {
                let key = format!("{ns}/{target_name}");
                if let std::collections::hash_map::Entry::Vacant(slot) = scaled.entry(key) {
                    slot.insert(desired);
                    store.modify(target_res, &ns, &target_name, |o| {
                        o["spec"]["replicas"] = json!(desired)
                    });
                    status["lastScaleTime"] = json!(ts(now));
                }
            }
        }
        status["observedGeneration"] = json!(i(&hpa, "/metadata/generation", 1));
        if hpa.get("status") != Some(&status) {
            store.modify(res("horizontalpodautoscalers"), &ns, &name, |o| {
                o["status"] = status
            });
        }
    }
}

/// The current value of one metric when demand is `ratio` × the target.
fn current_metric(spec: &Value, ratio: f64) -> Value {
    let scale = |target: &str| -> String {
        let (num, unit): (String, String) = target
            .chars()
            .partition(|c| c.is_ascii_digit() || *c == '.');
        let v = num.parse::<f64>().unwrap_or(0.0) * ratio;
        format!("{}{unit}", v.round() as i64)
    };
    match s(spec, "/type") {
        "Resource" | "ContainerResource" => {
            let key = if s(spec, "/type") == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let target = spec.get(key).cloned().unwrap_or(json!({}));
            let mut current = json!({});
            if let Some(u) = target
                .pointer("/target/averageUtilization")
                .and_then(Value::as_i64)
            {
                let util = (u as f64 * ratio).round() as i64;
                current["averageUtilization"] = json!(util);
                current["averageValue"] = json!(format!("{}m", util * 5 / 2));
            } else if let Some(v) = target
                .pointer("/target/averageValue")
                .and_then(Value::as_str)
            {
                current["averageValue"] = json!(scale(v));
            }
            let mut out = json!({"type": s(spec, "/type")});
            out[key] = json!({"name": s(&target, "/name"), "current": current});
            if key == "containerResource" {
                out[key]["container"] = json!(s(&target, "/container"));
            }
            out
        }
        "Pods" => {
            json!({"type": "Pods", "pods": {"metric": spec.pointer("/pods/metric"), "current": {"averageValue": scale(s(spec, "/pods/target/averageValue"))}}})
        }
        "Object" => {
            json!({"type": "Object", "object": {"metric": spec.pointer("/object/metric"), "describedObject": spec.pointer("/object/describedObject"), "current": {"value": scale(s(spec, "/object/target/value"))}}})
        }
        "External" => {
            json!({"type": "External", "external": {"metric": spec.pointer("/external/metric"), "current": {"averageValue": scale(s(spec, "/external/target/averageValue"))}}})
        }
        _ => json!({"type": s(spec, "/type")}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_loops_back_off_like_the_kubelet() {
        assert_eq!(crash_cycle(0, 3), (0, true, 0, 0));
        assert_eq!(crash_cycle(3, 3), (1, false, 0, 10));
        assert_eq!(crash_cycle(8, 3), (1, true, 0, 0));
        let (restarts, _, _, backoff) = crash_cycle(10_000, 3);
        assert!(restarts > 200 && (backoff == 0 || backoff == 300));
        assert_eq!(go_duration(80), "1m20s");
        assert_eq!(go_duration(300), "5m0s");
    }

    #[test]
    fn schedules_and_demand() {
        assert_eq!(schedule_minutes("*/5 * * * *"), 5);
        assert_eq!(schedule_minutes("0 2 * * *"), 60);
        let hpa = json!({"metadata": {"name": "x", "annotations": {"kubesim.io/load": "1.5"}}, "spec": {"minReplicas": 2, "maxReplicas": 10}});
        assert!(demand(&hpa, 0) > 10.0, "pinned above max");
        let steady = json!({"metadata": {"name": "x", "annotations": {"kubesim.io/load": "0.85!"}}, "spec": {"minReplicas": 2, "maxReplicas": 10}});
        for t in (0..1200).step_by(7) {
            assert!((demand(&steady, t) - 8.5).abs() < 1e-9, "steady at {t}");
        }
    }
}
