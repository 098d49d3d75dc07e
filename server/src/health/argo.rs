//! Argo Rollouts: the rules `rollout-aborted`, `rollout-degraded` and `rollout-paused`, pure
//! functions of the Rollout (its phase as the controller works it out, see
//! [`crate::clusters::rollout::phase`]) and a clock.

use super::{Clock, Raw, Thresholds};
use crate::clusters::rollout::{self, Phase, Rollout};
use app::model::Severity;

const DOCS: &str = "https://argoproj.github.io/argo-rollouts/features/specification/";

fn ts(s: &Option<String>) -> Option<jiff::Timestamp> {
    s.as_deref()?.parse().ok()
}

/// Every rule over one Rollout.
pub fn rules(r: &Rollout, clock: &Clock, t: Thresholds) -> Vec<Raw> {
    let name = r.metadata.name.clone().unwrap_or_default();
    let (phase, message) = rollout::phase(r);
    let aborted_by = r
        .status
        .conditions
        .iter()
        .find(|c| c.reason.as_deref() == Some("RolloutAborted"));
    let mut out = Vec::new();
    if r.status.abort || aborted_by.is_some() {
        let why = aborted_by
            .and_then(|c| c.message.clone())
            .unwrap_or_else(|| "the update was aborted".into());
        out.push(Raw {
            message: format!("Rollout {name} was aborted: {why}"),
            cause: "An analysis failed or someone aborted the update: the canary was scaled down and all traffic went back to the stable version. The new version is not running.".into(),
            fix: "Find out why the new version failed (its pods' findings, events and logs are on their pod pages; a failed AnalysisRun names the metric), fix it, then retry the rollout or deploy a new revision.".into(),
            docs: Some(DOCS),
            since: ts(&r.status.aborted_at),
            ..Raw::new("rollout-aborted", Severity::Error, "Rollout", &r.metadata)
        });
    } else if phase == Phase::Degraded {
        out.push(Raw {
            message: format!("Rollout {name} is Degraded: {message}"),
            cause: "The Rollouts controller cannot bring the new version up: its progress deadline passed or its spec is invalid.".into(),
            fix: "Read the message above and the new pods' findings: an image that cannot be pulled, a crash or a failing readiness probe keeps the rollout from progressing; for InvalidSpec, fix the Rollout's spec.".into(),
            docs: Some(DOCS),
            ..Raw::new("rollout-degraded", Severity::Error, "Rollout", &r.metadata)
        });
    }
    if phase == Phase::Paused && !rollout::in_timed_pause(r) {
        // Since the pause began: the first pause condition, else the Paused condition.
        let since = r
            .status
            .pause_conditions
            .iter()
            .filter_map(|p| ts(&p.start_time))
            .min()
            .or_else(|| {
                r.status
                    .conditions
                    .iter()
                    .find(|c| c.type_ == "Paused" && c.status == "True")
                    .and_then(|c| ts(&c.last_transition_time))
            });
        if let Some(since) = since.filter(|s| clock.past(*s, t.rollout_paused)) {
            let hours = clock.age_shown(since) / 3600;
            let step = rollout::strategy_words(r);
            out.push(Raw {
                message: format!(
                    "Rollout {name} has been paused for {} ({}{})",
                    if hours == 1 { "an hour".to_string() } else if hours > 1 { format!("{hours} hours") } else { "less than an hour".into() },
                    if step.is_empty() { String::new() } else { format!("{step}, ") },
                    if message.is_empty() { "paused" } else { message.as_str() }
                ),
                cause: "The rollout waits for someone to promote it (an indefinite pause step, a manual pause, or an inconclusive analysis): part of the traffic stays on the new version and part on the old one until then.".into(),
                fix: "Check the new version on its pods and findings, then promote the rollout to go on, or abort it to go back to the stable version.".into(),
                docs: Some(DOCS),
                since: Some(since),
                ..Raw::new("rollout-paused", Severity::Warning, "Rollout", &r.metadata)
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Clock {
        Clock::new(s.parse().unwrap_or_else(|e| panic!("{e}")))
    }

    fn rollout(status: serde_json::Value) -> Rollout {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "shop", "generation": 2},
            "spec": {"replicas": 5, "strategy": {"canary": {"steps": [
                {"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": "10m"}}, {"setWeight": 80}
            ]}}},
            "status": status,
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn fired(r: &Rollout, clock: &Clock) -> Vec<&'static str> {
        rules(r, clock, Thresholds::default())
            .iter()
            .map(|r| r.rule)
            .collect()
    }

    #[test]
    fn aborted_degraded_and_long_paused_rollouts_are_found() {
        let now = at("2026-12-06T12:00:00Z");
        let paused = |index: i32, since: &str| {
            rollout(
                serde_json::json!({"observedGeneration": "2", "phase": "Paused", "message": "CanaryPauseStep",
                "currentStepIndex": index, "controllerPause": true,
                "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": since}]}),
            )
        };
        // An indefinite pause step, two hours in: found; twenty minutes in: not yet.
        let long = paused(1, "2026-12-06T10:00:00Z");
        assert_eq!(fired(&long, &now), ["rollout-paused"]);
        let r = &rules(&long, &now, Thresholds::default())[0];
        assert_eq!(
            r.message,
            "Rollout web has been paused for 2 hours (canary step 2 of 5, weight 20%, CanaryPauseStep)"
        );
        assert!(fired(&paused(1, "2026-12-06T11:40:00Z"), &now).is_empty());
        // A step's own timed pause is not "paused too long", however long.
        assert!(fired(&paused(3, "2026-12-06T01:00:00Z"), &now).is_empty());
        // A shorter threshold finds the twenty-minute pause.
        let short = Thresholds {
            rollout_paused: 600,
            ..Default::default()
        };
        assert_eq!(
            rules(&paused(1, "2026-12-06T11:40:00Z"), &now, short).len(),
            1
        );

        let degraded = rollout(
            serde_json::json!({"observedGeneration": "2", "phase": "Degraded",
            "message": "ProgressDeadlineExceeded: ReplicaSet \"web-7c9\" has timed out progressing."}),
        );
        assert_eq!(fired(&degraded, &now), ["rollout-degraded"]);
        let aborted = rollout(
            serde_json::json!({"observedGeneration": "2", "phase": "Degraded", "abort": true,
            "abortedAt": "2026-12-06T11:00:00Z",
            "conditions": [{"type": "Progressing", "status": "False", "reason": "RolloutAborted", "message": "Rollout aborted update to revision 3: metric \"success-rate\" assessed Failed"}]}),
        );
        assert_eq!(
            fired(&aborted, &now),
            ["rollout-aborted"],
            "aborted, not also degraded"
        );
        let healthy = rollout(serde_json::json!({"observedGeneration": "2", "phase": "Healthy"}));
        assert!(fired(&healthy, &now).is_empty());
    }
}
