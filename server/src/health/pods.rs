//! Pod rules: crash loops, image pulls, configuration errors, OOM kills, recent restarts, scheduling,
//! readiness, init containers, evictions and stuck terminations. Only what is wrong now: a restart an
//! hour ago on a pod that is healthy since is not a finding.

use super::{ts, Clock, Raw};
use crate::clusters::slim::{ContainerStatus, Pod};
use app::model::Severity;

/// Restarts older than this are history, not a problem.
const RECENT: i64 = 3600;
/// A pod still Pending after this long, for no reason another rule names, is a finding.
const PENDING_TOO_LONG: i64 = 300;
/// A container that restarted this many times with a failing exit ...
const CRASH_LOOP_RESTARTS: i32 = 3;
/// ... the last time within this many seconds, crash-loops even while it runs for a moment.
const CRASH_LOOP_WINDOW: i64 = 300;
/// Beyond its grace period, a terminating pod is stuck after this long.
const TERMINATING_SLACK: i64 = 60;

const DEBUG_PODS: &str = "https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/";
const IMAGES: &str = "https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff";
const CONFIG: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/";
const MEMORY: &str = "https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/#exceed-a-container-s-memory-limit";
const SCHEDULING: &str = "https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/";
const PROBES: &str = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/";
const INIT: &str =
    "https://kubernetes.io/docs/tasks/debug/debug-application/debug-init-containers/";
const EVICTION: &str =
    "https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/";
const TERMINATION: &str =
    "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination";

fn last_exit(c: &ContainerStatus) -> Option<String> {
    let t = c.last_state.as_ref()?.terminated.as_ref()?;
    Some(format!(
        "last exit code {}{}{}",
        t.exit_code,
        t.reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
        t.message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    ))
}

fn last_terminated_at(c: &ContainerStatus) -> Option<jiff::Timestamp> {
    ts(&c.last_state.as_ref()?.terminated.as_ref()?.finished_at)
}

fn last_reason(c: &ContainerStatus) -> Option<&str> {
    c.last_state
        .as_ref()?
        .terminated
        .as_ref()?
        .reason
        .as_deref()
}

/// Every pod rule for one pod.
pub fn rules(pod: &Pod, clock: &Clock) -> Vec<Raw> {
    let mut out = Vec::new();
    let meta = &pod.metadata;
    let name = meta.name.clone().unwrap_or_default();
    let ns = meta.namespace.clone().unwrap_or_default();
    let raw = |rule, severity| Raw::new(rule, severity, "Pod", meta);
    let Some(status) = pod.status.as_ref() else {
        return out;
    };
    // No phase yet (a status being written): nothing to judge.
    let phase = status.phase.as_deref().unwrap_or("");

    if let Some(deleted) = ts(&meta.deletion_timestamp) {
        let grace = meta.deletion_grace_period_seconds.unwrap_or(30);
        if clock.past(deleted, grace + TERMINATING_SLACK) {
            let waited = clock.age_shown(deleted);
            out.push(Raw {
                message: format!("Pod {name} has been terminating for {waited} s (grace period {grace} s)"),
                cause: "A finalizer is still set, the node is unreachable, or the container ignores SIGTERM.".into(),
                fix: format!("Check the node's state and the pod's finalizers (kubectl get pod -n {ns} {name} -o yaml); as a last resort: kubectl delete pod -n {ns} {name} --grace-period=0 --force"),
                docs: Some(TERMINATION),
                since: Some(deleted),
                ..raw("terminating-stuck", Severity::Warning)
            });
        }
        return out;
    }

    if phase == "Failed" && status.reason.as_deref() == Some("Evicted") {
        out.push(Raw {
            message: format!("Pod {name} was evicted"),
            cause: status.message.clone().unwrap_or_else(|| "The node ran short of a resource.".into()),
            fix: "Set memory and ephemeral-storage requests that match real use so the scheduler places the pod where it fits; check the node's pressure conditions.".into(),
            docs: Some(EVICTION),
            ..raw("evicted", Severity::Warning)
        });
        return out;
    }

    let init = status.init_container_statuses.as_deref().unwrap_or(&[]);
    for c in init {
        let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref());
        let failed_now = c
            .state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some_and(|t| t.exit_code != 0);
        let crashing = waiting.and_then(|w| w.reason.as_deref()) == Some("CrashLoopBackOff");
        if crashing || failed_now {
            out.push(Raw {
                message: format!(
                    "Init container {} of pod {name} fails ({} restarts); the app containers cannot start",
                    c.name, c.restart_count
                ),
                cause: last_exit(c)
                    .or_else(|| waiting.and_then(|w| w.message.clone()))
                    .unwrap_or_else(|| "The init container exits with an error.".into()),
                fix: "Its last log lines (shown when this finding is opened) say what it failed at: fix what it waits for or runs (a migration, a dependency, a config file).".into(),
                log: Some((c.name.clone(), true)),
                docs: Some(INIT),
                since: last_terminated_at(c),
                count: u32::try_from(c.restart_count).unwrap_or(0).max(1),
                ..raw("init-failing", Severity::Error)
            });
        }
    }

    let containers = status.container_statuses.as_deref().unwrap_or(&[]);
    let mut explained = !out.is_empty();
    for c in containers {
        let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref());
        let reason = waiting.and_then(|w| w.reason.as_deref()).unwrap_or("");
        let message = waiting.and_then(|w| w.message.clone());
        let restarts = u32::try_from(c.restart_count).unwrap_or(0);
        let oom_recent = last_reason(c) == Some("OOMKilled")
            && last_terminated_at(c).is_some_and(|t| clock.within(t, RECENT));
        let image = c.image.clone();
        // Between two crashes the container runs for a moment: still a crash loop when it has
        // restarted a few times recently with a failing exit.
        let looping_between_crashes = reason.is_empty()
            && c.restart_count >= CRASH_LOOP_RESTARTS
            && !c.ready
            && c.last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .is_some_and(|t| t.exit_code != 0)
            && last_terminated_at(c).is_some_and(|t| clock.within(t, CRASH_LOOP_WINDOW));
        let reason = if looping_between_crashes {
            "CrashLoopBackOff"
        } else {
            reason
        };
        match reason {
            "CrashLoopBackOff" if !oom_recent => {
                explained = true;
                out.push(Raw {
                    message: format!("Container {} of pod {name} keeps crashing: {} restarts (CrashLoopBackOff)", c.name, c.restart_count),
                    cause: last_exit(c).unwrap_or_else(|| message.clone().unwrap_or_else(|| "The container exits soon after it starts.".into())),
                    fix: "The crashed container's last log lines (shown when this finding is opened) hold its error: fix it, or roll back to the previous revision.".into(),
                    log: Some((c.name.clone(), true)),
                    docs: Some(DEBUG_PODS),
                    since: last_terminated_at(c),
                    count: restarts.max(1),
                    ..raw("crash-loop", Severity::Error)
                });
            }
            "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" => {
                explained = true;
                out.push(Raw {
                    message: format!("Container {} of pod {name} cannot pull its image {image} ({reason})", c.name),
                    cause: message.clone().unwrap_or_else(|| "The image or tag does not exist, or the cluster may not pull it.".into()),
                    fix: "Check that the image and tag exist in the registry and that the pod may pull them (imagePullSecrets); if a bad tag was just deployed: kubectl rollout undo.".into(),
                    docs: Some(IMAGES),
                    ..raw("image-pull", Severity::Error)
                });
            }
            "CreateContainerConfigError" | "CreateContainerError" => {
                explained = true;
                out.push(Raw {
                    message: format!("Container {} of pod {name} cannot be created ({reason})", c.name),
                    cause: message.clone().unwrap_or_else(|| "A ConfigMap, Secret or key it refers to is missing.".into()),
                    fix: "Create the missing ConfigMap or Secret (or key) in the pod's namespace, or fix the reference in the workload's manifest.".into(),
                    docs: Some(CONFIG),
                    ..raw("config-error", Severity::Error)
                });
            }
            "" | "ContainerCreating" | "PodInitializing" | "CrashLoopBackOff" => {}
            other => {
                if let Some(m) = &message {
                    explained = true;
                    out.push(Raw {
                        message: format!("Container {} of pod {name} is waiting: {other}", c.name),
                        cause: m.clone(),
                        fix: format!("See the pod's events: kubectl describe pod -n {ns} {name}"),
                        docs: Some(DEBUG_PODS),
                        ..raw("container-waiting", Severity::Warning)
                    });
                }
            }
        }
        if oom_recent {
            explained = true;
            let limit = pod
                .spec
                .as_ref()
                .and_then(|s| s.containers.iter().find(|x| x.name == c.name))
                .and_then(|x| {
                    x.resources
                        .as_ref()?
                        .limits
                        .as_ref()?
                        .get("memory")
                        .map(|q| q.0.clone())
                });
            out.push(Raw {
                message: format!(
                    "Container {} of pod {name} was killed for using more memory than its limit{} ({} restarts)",
                    c.name,
                    limit.as_deref().map(|l| format!(" of {l}")).unwrap_or_default(),
                    c.restart_count
                ),
                cause: last_exit(c).unwrap_or_else(|| "OOMKilled".into()),
                fix: "Raise the container's memory limit (and request) to what it really uses, or bound the application's memory (heap size, caches); the killed run's last log lines show what it was doing.".into(),
                log: Some((c.name.clone(), true)),
                docs: Some(MEMORY),
                since: last_terminated_at(c),
                count: restarts.max(1),
                ..raw("oom-killed", Severity::Error)
            });
        } else if reason != "CrashLoopBackOff"
            && restarts > 0
            && last_terminated_at(c).is_some_and(|t| clock.within(t, RECENT))
        {
            explained = true;
            out.push(Raw {
                message: format!("Container {} of pod {name} restarted within the last hour ({} restarts in all)", c.name, c.restart_count),
                cause: last_exit(c).unwrap_or_default(),
                fix: "The previous run's last log lines (shown when this finding is opened) say why it stopped; check the liveness probe too.".into(),
                log: Some((c.name.clone(), true)),
                docs: Some(DEBUG_PODS),
                since: last_terminated_at(c),
                count: restarts,
                ..raw("restarting", Severity::Warning)
            });
        }
        // Readiness: running, a probe set, not ready past the probe's own allowance.
        let running_since = c
            .state
            .as_ref()
            .and_then(|s| s.running.as_ref())
            .and_then(|r| ts(&r.started_at));
        let probe = pod
            .spec
            .as_ref()
            .and_then(|s| s.containers.iter().find(|x| x.name == c.name))
            .and_then(|x| x.readiness_probe.as_ref());
        if let (Some(started), false) = (running_since, c.ready) {
            // The probe's own allowance (Backstage's rule); without a probe spec, its defaults.
            let allowance = probe.map_or(30, |p| {
                i64::from(p.initial_delay_seconds.unwrap_or(0))
                    + i64::from(p.period_seconds.unwrap_or(10))
                        * i64::from(p.failure_threshold.unwrap_or(3))
            });
            if clock.past(started, allowance) {
                explained = true;
                let event_hint = status
                    .conditions
                    .iter()
                    .flatten()
                    .find(|x| x.type_ == "Ready")
                    .and_then(|x| x.message.clone());
                out.push(Raw {
                    message: format!("Container {} of pod {name} runs but has not been ready for {} s: its readiness probe fails", c.name, clock.age_shown(started)),
                    cause: event_hint.unwrap_or_else(|| "The readiness probe keeps failing; the pod gets no traffic.".into()),
                    fix: "Check what the probe calls against the container's last log lines (shown when this finding is opened); a slow start needs a startupProbe.".into(),
                    log: Some((c.name.clone(), false)),
                    docs: Some(PROBES),
                    since: Some(started),
                    ..raw("readiness-failing", Severity::Warning)
                });
            }
        }
    }

    if phase == "Pending" {
        let unschedulable = status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "PodScheduled" && c.status == "False");
        if let Some(c) = unschedulable {
            out.push(Raw {
                message: format!("Pod {name} cannot be scheduled on any node"),
                cause: c.message.clone().unwrap_or_else(|| c.reason.clone().unwrap_or_default()),
                fix: "Lower the pod's CPU/memory requests, add nodes (or let the cluster autoscaler), or relax node selectors, affinity and taints.".into(),
                docs: Some(SCHEDULING),
                since: ts(&c.last_transition_time),
                ..raw("unschedulable", Severity::Error)
            });
        } else if !explained {
            let created = ts(&meta.creation_timestamp);
            if let Some(age) = created
                .filter(|t| clock.past(*t, PENDING_TOO_LONG))
                .map(|t| clock.age_shown(t))
            {
                out.push(Raw {
                    message: format!("Pod {name} has been Pending for {} min", age / 60),
                    cause: "It is scheduled but its containers have not started: images still pulling, volumes not attached, or init containers slow.".into(),
                    fix: format!("See its events: kubectl describe pod -n {ns} {name}"),
                    docs: Some(DEBUG_PODS),
                    since: created,
                    ..raw("pending-too-long", Severity::Warning)
                });
            }
        }
    }
    out
}

/// The container whose log answers a finding of `rule` about `pod`, and whether that is its
/// previous (crashed) run: what the rule says while it holds; once the pod has moved on (a
/// crash-looping container running its next attempt is "restarted", no longer "crash-loop"), what
/// a rule that holds now says about a crashed run; else the first container's current log.
pub fn answer_log(pod: &Pod, rule: &str, clock: &Clock) -> (Option<String>, bool) {
    let now = rules(pod, clock);
    let log = now
        .iter()
        .find(|r| r.rule == rule)
        .and_then(|r| r.log.clone())
        .or_else(|| {
            now.iter()
                .filter_map(|r| r.log.clone())
                .find(|(_, previous)| *previous)
        });
    match log {
        Some((container, previous)) => (Some(container), previous),
        None => (
            pod.spec
                .as_ref()
                .and_then(|s| s.containers.first())
                .map(|c| c.name.clone()),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::fixtures::*;
    use serde_json::{json, Value};

    fn pod(status: Value, spec: Value) -> Pod {
        from(json!({
            "metadata": {"name": "p", "namespace": "ns", "creationTimestamp": ago(900)},
            "spec": spec,
            "status": status,
        }))
    }

    fn one(c: Value) -> Value {
        json!({"phase": "Running", "containerStatuses": [c]})
    }

    fn spec() -> Value {
        json!({"containers": [{"name": "app", "resources": {"limits": {"memory": "128Mi"}}}]})
    }

    fn rules_of(p: &Pod) -> Vec<&'static str> {
        rules(p, &Clock::new(now()))
            .into_iter()
            .map(|r| r.rule)
            .collect()
    }

    #[test]
    fn pod_rules_fire_on_what_is_wrong_now_and_only_that() {
        let cs = |state: Value, last: Value, restarts: i32, ready: bool| json!({"name": "app", "ready": ready, "restartCount": restarts, "image": "r/app:1", "imageID": "", "state": state, "lastState": last});
        let running = json!({"running": {"startedAt": ago(3000)}});
        let cases: Vec<(&str, Value, Value, Vec<&str>)> = vec![
            (
                "healthy",
                one(cs(running.clone(), json!({}), 0, true)),
                spec(),
                vec![],
            ),
            (
                "restarted two hours ago, healthy since",
                one(cs(
                    running.clone(),
                    json!({"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(7200)}}),
                    4,
                    true,
                )),
                spec(),
                vec![],
            ),
            (
                "restarted 10 min ago",
                one(cs(
                    running.clone(),
                    json!({"terminated": {"exitCode": 137, "reason": "Error", "finishedAt": ago(600)}}),
                    1,
                    true,
                )),
                spec(),
                vec!["restarting"],
            ),
            (
                "crash loop",
                one(cs(
                    json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}}),
                    json!({"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(60)}}),
                    9,
                    false,
                )),
                spec(),
                vec!["crash-loop"],
            ),
            (
                "OOM crash loop names the OOM, not the loop",
                one(cs(
                    json!({"waiting": {"reason": "CrashLoopBackOff"}}),
                    json!({"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": ago(60)}}),
                    3,
                    false,
                )),
                spec(),
                vec!["oom-killed"],
            ),
            (
                "image pull",
                one(cs(
                    json!({"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}),
                    json!({}),
                    0,
                    false,
                )),
                spec(),
                vec!["image-pull"],
            ),
            (
                "err image pull",
                one(cs(
                    json!({"waiting": {"reason": "ErrImagePull"}}),
                    json!({}),
                    0,
                    false,
                )),
                spec(),
                vec!["image-pull"],
            ),
            (
                "invalid image name",
                one(cs(
                    json!({"waiting": {"reason": "InvalidImageName"}}),
                    json!({}),
                    0,
                    false,
                )),
                spec(),
                vec!["image-pull"],
            ),
            (
                "config error",
                one(cs(
                    json!({"waiting": {"reason": "CreateContainerConfigError", "message": "secret \"x\" not found"}}),
                    json!({}),
                    0,
                    false,
                )),
                spec(),
                vec!["config-error"],
            ),
            (
                "create container error",
                one(cs(
                    json!({"waiting": {"reason": "CreateContainerError", "message": "no command"}}),
                    json!({}),
                    0,
                    false,
                )),
                spec(),
                vec!["config-error"],
            ),
            (
                "other waiting with a message",
                one(cs(
                    json!({"waiting": {"reason": "RunContainerError", "message": "exec: not found"}}),
                    json!({}),
                    0,
                    false,
                )),
                spec(),
                vec!["container-waiting"],
            ),
            (
                "container creating is normal",
                one(cs(
                    json!({"waiting": {"reason": "ContainerCreating"}}),
                    json!({}),
                    0,
                    false,
                )),
                spec(),
                vec![],
            ),
            ("missing status", json!({}), spec(), vec![]),
            (
                "unschedulable",
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient cpu."}]}),
                spec(),
                vec!["unschedulable"],
            ),
            (
                "pending 15 min, nothing else said",
                json!({"phase": "Pending"}),
                spec(),
                vec!["pending-too-long"],
            ),
            (
                "evicted",
                json!({"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}),
                spec(),
                vec!["evicted"],
            ),
            (
                "init container crash loop",
                json!({"phase": "Pending", "initContainerStatuses": [cs(json!({"waiting": {"reason": "CrashLoopBackOff"}}), json!({"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": ago(20)}}), 4, false)], "containerStatuses": [cs(json!({"waiting": {"reason": "PodInitializing"}}), json!({}), 0, false)]}),
                spec(),
                vec!["init-failing"],
            ),
            (
                "readiness failing past its allowance",
                one(cs(running.clone(), json!({}), 0, false)),
                json!({"containers": [{"name": "app", "readinessProbe": {"periodSeconds": 5, "failureThreshold": 3, "initialDelaySeconds": 10}}]}),
                vec!["readiness-failing"],
            ),
            (
                "readiness within its allowance",
                one(cs(
                    json!({"running": {"startedAt": ago(20)}}),
                    json!({}),
                    0,
                    false,
                )),
                json!({"containers": [{"name": "app", "readinessProbe": {"periodSeconds": 5, "failureThreshold": 3, "initialDelaySeconds": 10}}]}),
                vec![],
            ),
            (
                "not ready with no probe spec: the defaults' allowance",
                one(cs(
                    json!({"running": {"startedAt": ago(120)}}),
                    json!({}),
                    0,
                    false,
                )),
                spec(),
                vec!["readiness-failing"],
            ),
            (
                "second of two containers crashes",
                json!({"phase": "Running", "containerStatuses": [cs(running.clone(), json!({}), 0, true), {"name": "sidecar", "ready": false, "restartCount": 3, "image": "s", "imageID": "", "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {}}]}),
                spec(),
                vec!["crash-loop"],
            ),
        ];
        for (what, status, spec, want) in cases {
            assert_eq!(rules_of(&pod(status, spec)), want, "{what}");
        }
    }

    #[test]
    fn the_clock_at_each_threshold() {
        let restarted = |secs: i64| {
            pod(
                one(
                    json!({"name": "app", "ready": true, "restartCount": 1, "image": "i", "imageID": "",
                    "state": {"running": {"startedAt": ago(secs - 1)}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(secs)}}}),
                ),
                spec(),
            )
        };
        assert_eq!(
            rules_of(&restarted(3600)),
            vec!["restarting"],
            "exactly an hour ago still counts"
        );
        assert_eq!(rules_of(&restarted(3601)), Vec::<&str>::new());
        let pending = |secs: i64| -> Pod {
            from(
                json!({"metadata": {"name": "p", "namespace": "ns", "creationTimestamp": ago(secs)}, "spec": spec(), "status": {"phase": "Pending"}}),
            )
        };
        assert_eq!(
            rules_of(&pending(300)),
            Vec::<&str>::new(),
            "five minutes is not too long yet"
        );
        assert_eq!(rules_of(&pending(301)), vec!["pending-too-long"]);
    }

    #[test]
    fn findings_carry_numbers_causes_and_fixes() {
        let p = pod(
            one(
                json!({"name": "app", "ready": false, "restartCount": 3, "image": "r/app:1", "imageID": "",
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": ago(60)}}}),
            ),
            spec(),
        );
        let r = &rules(&p, &Clock::new(now()))[0];
        assert!(
            r.message.contains("limit of 128Mi") && r.message.contains("3 restarts"),
            "{}",
            r.message
        );
        assert!(
            r.cause.contains("137") && r.cause.contains("OOMKilled"),
            "{}",
            r.cause
        );
        assert!(r.fix.contains("memory limit"));
        assert_eq!(r.count, 3);
    }

    #[test]
    fn a_rule_says_when_the_clock_alone_changes_its_answer() {
        // Scheduled and Pending for 200 s: not too long yet; it is at 301 s, with no change to
        // the pod, so a view computed now holds until then.
        let mut p = pod(
            json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]}),
            spec(),
        );
        p.metadata.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            now() - jiff::SignedDuration::from_secs(200),
        ));
        let clock = Clock::new(now());
        assert!(rules(&p, &clock).is_empty());
        assert_eq!(clock.until(), now().as_second() + 101);
        let then = Clock::new(now() + jiff::SignedDuration::from_secs(101));
        let found = rules(&p, &then);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "pending-too-long");
        // Its message shows an age, written anew every 10 s.
        assert_eq!(then.until(), now().as_second() + 111);
        // A pod running fine for an hour: nothing the clock can change.
        let healthy = pod(
            one(
                json!({"name": "app", "ready": true, "restartCount": 0, "image": "i", "imageID": "", "state": {"running": {"startedAt": ago(3600)}}}),
            ),
            spec(),
        );
        let clock = Clock::new(now());
        assert!(rules(&healthy, &clock).is_empty());
        assert_eq!(clock.until(), i64::MAX);
    }

    #[test]
    fn a_pod_terminating_past_its_grace_period_is_stuck() {
        let mut p = pod(
            one(
                json!({"name": "app", "ready": true, "restartCount": 0, "image": "i", "imageID": "", "state": {"running": {}}}),
            ),
            spec(),
        );
        p.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            now() - jiff::SignedDuration::from_secs(600),
        ));
        p.metadata.deletion_grace_period_seconds = Some(30);
        assert_eq!(rules_of(&p), vec!["terminating-stuck"]);
        p.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            now() - jiff::SignedDuration::from_secs(40),
        ));
        assert_eq!(rules_of(&p), Vec::<&str>::new(), "within grace + slack");
    }

    #[test]
    fn a_finding_opened_after_the_pod_moved_on_still_shows_the_crashed_run() {
        let clock = Clock::new(now());
        let c = |state: Value, restarts: i32| {
            json!({"name": "app", "ready": false, "restartCount": restarts, "image": "r/app:1", "imageID": "", "state": state,
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(20)}}})
        };
        let backoff = pod(
            one(c(json!({"waiting": {"reason": "CrashLoopBackOff"}}), 3)),
            spec(),
        );
        assert_eq!(
            answer_log(&backoff, "crash-loop", &clock),
            (Some("app".into()), true)
        );
        // In the demo's first seconds its second attempt runs: one restart is not yet a loop, so
        // crash-loop no longer holds (restarted does), and the crashed run still answers.
        let next = pod(one(c(json!({"running": {"startedAt": ago(5)}}), 1)), spec());
        assert!(!rules_of(&next).contains(&"crash-loop"));
        assert_eq!(
            answer_log(&next, "crash-loop", &clock),
            (Some("app".into()), true)
        );
        // A healthy pod answers with its current log.
        let healthy = pod(
            one(
                json!({"name": "app", "ready": true, "restartCount": 0, "image": "r/app:1", "imageID": "", "state": {"running": {"startedAt": ago(3000)}}}),
            ),
            spec(),
        );
        assert_eq!(
            answer_log(&healthy, "crash-loop", &clock),
            (Some("app".into()), false)
        );
    }
}
