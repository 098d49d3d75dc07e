//! Workload rules: stuck rollouts, unavailable replicas, failing conditions, StatefulSets and
//! DaemonSets short of pods, failed Jobs and CronJobs whose last run failed.

use super::{ts, Raw};
use app::model::Severity;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use std::sync::Arc;

const ROLLOUT: &str =
    "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment";
const DEPLOYMENT: &str = "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/";
const STATEFULSET: &str = "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/";
const DAEMONSET: &str = "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
const JOB: &str = "https://kubernetes.io/docs/concepts/workloads/controllers/job/#handling-pod-and-container-failures";
const CRONJOB: &str = "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/";

/// None ready is critical (the service is down there); some missing is a warning.
fn shortage(ready: i32) -> Severity {
    if ready == 0 {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

/// A rollout with no replica available at all for this long is not "in progress" but down.
const DOWN_AFTER: i64 = 60;

/// Deployment rules: `rollout-stuck`, `replicas-unavailable`, `condition-false`.
pub fn deployment(d: &Deployment, clock: &super::Clock) -> Vec<Raw> {
    let mut out = Vec::new();
    let name = d.metadata.name.clone().unwrap_or_default();
    let ns = d.metadata.namespace.clone().unwrap_or_default();
    let raw = |rule, severity| Raw::new(rule, severity, "Deployment", &d.metadata);
    let Some(status) = d.status.as_ref() else {
        return out;
    };
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let ready = status.ready_replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    let conditions = status.conditions.as_deref().unwrap_or(&[]);
    let mut stuck = false;
    for c in conditions {
        if c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded") {
            stuck = true;
            out.push(Raw {
                message: format!("The rollout of {name} is stuck: {updated} of {desired} replicas updated, {available} available, past its progress deadline"),
                cause: c.message.clone().unwrap_or_default(),
                fix: format!("Look at the new pods' errors below; roll back with kubectl rollout undo -n {ns} deployment/{name}, or fix and roll out again."),
                docs: Some(ROLLOUT),
                since: ts(&c.last_transition_time),
                ..raw("rollout-stuck", Severity::Error)
            });
        }
    }
    let rolling = conditions.iter().any(|c| {
        c.type_ == "Progressing"
            && c.status == "True"
            && matches!(
                c.reason.as_deref(),
                Some("ReplicaSetUpdated" | "NewReplicaSetCreated" | "FoundNewReplicaSet")
            )
    });
    let unavailable_condition = conditions
        .iter()
        .find(|c| c.type_ == "Available" && c.status == "False");
    // While a rollout progresses (within its deadline) missing replicas are expected; past the
    // deadline `rollout-stuck` says it.
    let down_for_long = available == 0
        && unavailable_condition
            .and_then(|c| ts(&c.last_transition_time))
            .is_some_and(|t| clock.past(t, DOWN_AFTER));
    if desired > 0 && available < desired && ((!rolling && !stuck) || down_for_long) {
        out.push(Raw {
            message: format!("{name} has {available} of {desired} replicas available ({ready} ready)"),
            cause: unavailable_condition
                .and_then(|c| c.message.clone())
                .unwrap_or_else(|| "Some pods are not ready; their own findings say why.".into()),
            fix: "See the pod findings of this workload; if nodes are short, add capacity or lower requests.".into(),
            docs: Some(DEPLOYMENT),
            since: unavailable_condition.and_then(|c| ts(&c.last_transition_time)),
            count: u32::try_from(desired - available).unwrap_or(0),
            ..raw("replicas-unavailable", shortage(available))
        });
    }
    for c in conditions {
        let covered = (c.type_ == "Progressing"
            && c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
            || c.type_ == "Available";
        let failing = (c.status == "False" && c.type_ != "ReplicaFailure")
            || (c.type_ == "ReplicaFailure" && c.status == "True");
        if failing && !covered {
            if let Some(m) = &c.message {
                out.push(Raw {
                    message: format!("{name}: condition {} is {}{}", c.type_, c.status, c.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()),
                    cause: m.clone(),
                    fix: "Act on the condition's message: for a quota, raise it or lower requests; for other reasons see kubectl describe deployment.".into(),
                    docs: Some(DEPLOYMENT),
                    since: ts(&c.last_transition_time),
                    ..raw("condition-false", Severity::Warning)
                });
            }
        }
    }
    out
}

/// `statefulset-not-ready`.
pub fn statefulset(s: &StatefulSet) -> Vec<Raw> {
    let name = s.metadata.name.clone().unwrap_or_default();
    let desired = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let Some(status) = s.status.as_ref() else {
        return Vec::new();
    };
    let ready = status.ready_replicas.unwrap_or(0);
    if desired == 0 || ready >= desired {
        return Vec::new();
    }
    vec![Raw {
        message: format!("{name} has {ready} of {desired} replicas ready"),
        cause: "StatefulSet pods start one by one: a pod that does not become ready holds back the ones after it; its own finding says why.".into(),
        fix: "Fix the first unready pod (lowest ordinal); check its volume claims are bound.".into(),
        docs: Some(STATEFULSET),
        count: u32::try_from(desired - ready).unwrap_or(0),
        ..Raw::new("statefulset-not-ready", shortage(ready), "StatefulSet", &s.metadata)
    }]
}

/// `daemonset-unavailable`.
pub fn daemonset(d: &DaemonSet) -> Vec<Raw> {
    let name = d.metadata.name.clone().unwrap_or_default();
    let Some(status) = d.status.as_ref() else {
        return Vec::new();
    };
    let unavailable = status.number_unavailable.unwrap_or(0);
    if unavailable <= 0 {
        return Vec::new();
    }
    vec![Raw {
        message: format!("{name} is unavailable on {unavailable} of {} nodes", status.desired_number_scheduled),
        cause: "Its pods on those nodes are not ready; their own findings say why.".into(),
        fix: "Check the pods on the affected nodes (kubectl get pods -o wide), and the nodes' taints.".into(),
        docs: Some(DAEMONSET),
        count: u32::try_from(unavailable).unwrap_or(0),
        ..Raw::new("daemonset-unavailable", shortage(status.number_ready), "DaemonSet", &d.metadata)
    }]
}

fn failed_condition(j: &Job) -> Option<&k8s_openapi::api::batch::v1::JobCondition> {
    j.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Failed" && c.status == "True")
}

fn cron_owner(j: &Job) -> Option<&str> {
    j.metadata
        .owner_references
        .as_ref()?
        .iter()
        .find(|o| o.kind == "CronJob")
        .map(|o| o.name.as_str())
}

/// `job-failed`, for Jobs no CronJob runs (those count under `cronjob-failing`).
pub fn job(j: &Job) -> Vec<Raw> {
    if cron_owner(j).is_some() {
        return Vec::new();
    }
    let Some(c) = failed_condition(j) else {
        return Vec::new();
    };
    let name = j.metadata.name.clone().unwrap_or_default();
    let failed = j.status.as_ref().and_then(|s| s.failed).unwrap_or(0);
    vec![Raw {
        message: format!("Job {name} failed after {failed} failed pods"),
        cause: c
            .message
            .clone()
            .or_else(|| c.reason.clone())
            .unwrap_or_default(),
        fix: format!(
            "Read the failed pods' logs: kubectl logs -n {} job/{name}; fix and re-create the Job.",
            j.metadata.namespace.clone().unwrap_or_default()
        ),
        docs: Some(JOB),
        since: ts(&c.last_transition_time),
        count: u32::try_from(failed).unwrap_or(1).max(1),
        ..Raw::new("job-failed", Severity::Error, "Job", &j.metadata)
    }]
}

/// `cronjob-failing`: the CronJob's most recent finished run failed.
pub fn cronjob(c: &CronJob, jobs: &[Arc<Job>]) -> Vec<Raw> {
    let name = c.metadata.name.clone().unwrap_or_default();
    let mut runs: Vec<&Arc<Job>> =
        jobs.iter()
            .filter(|j| cron_owner(j) == Some(name.as_str()))
            .filter(|j| {
                j.status.as_ref().is_some_and(|s| {
                    s.conditions.iter().flatten().any(|c| {
                        (c.type_ == "Failed" || c.type_ == "Complete") && c.status == "True"
                    })
                })
            })
            .collect();
    runs.sort_by_key(|j| ts(&j.metadata.creation_timestamp));
    let Some(last) = runs.last() else {
        return Vec::new();
    };
    let Some(failed) = failed_condition(last) else {
        return Vec::new();
    };
    let failing_in_a_row = runs
        .iter()
        .rev()
        .take_while(|j| failed_condition(j).is_some())
        .count();
    vec![Raw {
        message: format!(
            "The last {failing_in_a_row} run{} of CronJob {name} failed (latest: {})",
            if failing_in_a_row == 1 { "" } else { "s" },
            last.metadata.name.clone().unwrap_or_default()
        ),
        cause: failed
            .message
            .clone()
            .or_else(|| failed.reason.clone())
            .unwrap_or_default(),
        fix: format!(
            "Read the last run's logs: kubectl logs -n {} job/{}",
            c.metadata.namespace.clone().unwrap_or_default(),
            last.metadata.name.clone().unwrap_or_default()
        ),
        docs: Some(CRONJOB),
        since: ts(&failed.last_transition_time),
        count: u32::try_from(failing_in_a_row).unwrap_or(1),
        ..Raw::new("cronjob-failing", Severity::Error, "CronJob", &c.metadata)
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::fixtures::*;
    use serde_json::{json, Value};

    fn dep(spec: i32, status: Value) -> Deployment {
        from(
            json!({"metadata": {"name": "cart", "namespace": "shop"}, "spec": {"replicas": spec, "selector": {}, "template": {}}, "status": status}),
        )
    }

    fn rule_ids(r: Vec<Raw>) -> Vec<(&'static str, Severity)> {
        r.into_iter().map(|r| (r.rule, r.severity)).collect()
    }

    #[test]
    fn deployment_rules() {
        let cond = |t: &str, s: &str, reason: &str| json!({"type": t, "status": s, "reason": reason, "message": format!("{t} {reason}")});
        type Case = (&'static str, Deployment, Vec<(&'static str, Severity)>);
        let cases: Vec<Case> = vec![
            (
                "healthy",
                dep(
                    3,
                    json!({"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "updatedReplicas": 3, "conditions": [cond("Available", "True", "MinimumReplicasAvailable"), cond("Progressing", "True", "NewReplicaSetAvailable")]}),
                ),
                vec![],
            ),
            (
                "missing status",
                from(json!({"metadata": {"name": "x"}})),
                vec![],
            ),
            (
                "rolling, not yet available: normal",
                dep(
                    3,
                    json!({"replicas": 4, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 1, "conditions": [cond("Available", "True", "MinimumReplicasAvailable"), cond("Progressing", "True", "ReplicaSetUpdated")]}),
                ),
                vec![],
            ),
            (
                "stuck rollout",
                dep(
                    3,
                    json!({"replicas": 4, "readyReplicas": 3, "availableReplicas": 3, "updatedReplicas": 1, "conditions": [cond("Available", "True", "MinimumReplicasAvailable"), cond("Progressing", "False", "ProgressDeadlineExceeded")]}),
                ),
                vec![("rollout-stuck", Severity::Error)],
            ),
            (
                "one of three missing, rollout done",
                dep(
                    3,
                    json!({"replicas": 3, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 3, "conditions": [cond("Progressing", "True", "NewReplicaSetAvailable")]}),
                ),
                vec![("replicas-unavailable", Severity::Warning)],
            ),
            (
                "none available",
                dep(
                    2,
                    json!({"replicas": 2, "readyReplicas": 0, "availableReplicas": 0, "updatedReplicas": 2, "conditions": [cond("Available", "False", "MinimumReplicasUnavailable")]}),
                ),
                vec![("replicas-unavailable", Severity::Critical)],
            ),
            (
                "quota",
                dep(
                    2,
                    json!({"replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2, "conditions": [cond("ReplicaFailure", "True", "FailedCreate")]}),
                ),
                vec![("condition-false", Severity::Warning)],
            ),
            ("scaled to zero", dep(0, json!({})), vec![]),
            (
                "rolling out but none available for two minutes: down",
                dep(
                    2,
                    json!({"replicas": 2, "availableReplicas": 0, "updatedReplicas": 2, "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "no", "lastTransitionTime": ago(120)}, cond("Progressing", "True", "ReplicaSetUpdated")]}),
                ),
                vec![("replicas-unavailable", Severity::Critical)],
            ),
            (
                "rolling out, none available for 30 s: still starting",
                dep(
                    2,
                    json!({"replicas": 2, "availableReplicas": 0, "updatedReplicas": 2, "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "no", "lastTransitionTime": ago(30)}, cond("Progressing", "True", "ReplicaSetUpdated")]}),
                ),
                vec![],
            ),
        ];
        for (what, d, want) in cases {
            assert_eq!(
                rule_ids(deployment(&d, &crate::health::Clock::new(now()))),
                want,
                "{what}"
            );
        }
    }

    #[test]
    fn statefulsets_daemonsets_jobs_and_cronjobs() {
        let sts: StatefulSet = from(
            json!({"metadata": {"name": "db"}, "spec": {"replicas": 3, "selector": {}, "template": {}, "serviceName": "db"}, "status": {"replicas": 3, "readyReplicas": 1}}),
        );
        assert_eq!(
            rule_ids(statefulset(&sts)),
            vec![("statefulset-not-ready", Severity::Warning)]
        );
        let ok: StatefulSet = from(
            json!({"metadata": {"name": "db"}, "spec": {"replicas": 3, "selector": {}, "template": {}, "serviceName": "db"}, "status": {"replicas": 3, "readyReplicas": 3}}),
        );
        assert!(statefulset(&ok).is_empty());
        let ds: DaemonSet = from(
            json!({"metadata": {"name": "agent"}, "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberMisscheduled": 0, "numberReady": 2, "numberUnavailable": 1}}),
        );
        assert_eq!(
            rule_ids(daemonset(&ds)),
            vec![("daemonset-unavailable", Severity::Warning)]
        );

        let run = |name: &str, owner: Option<&str>, created: i64, failed: bool| -> Arc<Job> {
            let owners = owner.map(|o| json!([{"apiVersion": "batch/v1", "kind": "CronJob", "name": o, "uid": "u"}])).unwrap_or(json!([]));
            let cond = if failed {
                json!({"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"})
            } else {
                json!({"type": "Complete", "status": "True"})
            };
            Arc::new(from(
                json!({"metadata": {"name": name, "namespace": "data", "creationTimestamp": ago(created), "ownerReferences": owners}, "status": {"failed": if failed { 6 } else { 0 }, "conditions": [cond]}}),
            ))
        };
        assert_eq!(
            rule_ids(job(&run("once", None, 60, true))),
            vec![("job-failed", Severity::Error)]
        );
        assert!(
            job(&run("nightly-1", Some("nightly"), 60, true)).is_empty(),
            "counted under the CronJob"
        );
        let cron: CronJob = from(
            json!({"metadata": {"name": "nightly", "namespace": "data"}, "spec": {"schedule": "* * * * *", "jobTemplate": {}}}),
        );
        let failing = vec![
            run("nightly-1", Some("nightly"), 300, false),
            run("nightly-2", Some("nightly"), 200, true),
            run("nightly-3", Some("nightly"), 100, true),
        ];
        let r = cronjob(&cron, &failing);
        assert_eq!(
            rule_ids(r.clone()),
            vec![("cronjob-failing", Severity::Error)]
        );
        assert!(
            r[0].message.starts_with("The last 2 runs"),
            "{}",
            r[0].message
        );
        assert!(r[0].cause.contains("backoff limit"));
        let recovered = vec![
            run("nightly-2", Some("nightly"), 200, true),
            run("nightly-3", Some("nightly"), 100, false),
        ];
        assert!(
            cronjob(&cron, &recovered).is_empty(),
            "the last run succeeded"
        );
    }
}
