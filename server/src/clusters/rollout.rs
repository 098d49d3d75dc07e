//! Argo Rollouts' `Rollout` (`argoproj.io/v1alpha1`), as much of it as the portal reads: typed
//! here (the upstream Go types' JSON names) so it is watched like the built-in kinds where its
//! CustomResourceDefinition is installed; and its phase worked out as the Rollouts controller and
//! its CLI do (`utils/rollout/rolloututil.go`: `GetRolloutPhase`, `CalculateRolloutPhase`).

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

/// An Argo Rollout: a Deployment with a progressive delivery strategy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: RolloutSpec,
    #[serde(default)]
    pub status: RolloutStatus,
}

namespaced_kind!(Rollout, "argoproj.io", "v1alpha1", "Rollout", "rollouts");

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutSpec {
    pub replicas: Option<i32>,
    pub selector: Option<LabelSelector>,
    pub template: Option<PodTemplateSpec>,
    pub paused: bool,
    pub strategy: Strategy,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Strategy {
    pub canary: Option<Canary>,
    pub blue_green: Option<BlueGreen>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Canary {
    pub steps: Vec<CanaryStep>,
    pub stable_service: Option<String>,
    pub canary_service: Option<String>,
    /// Present when traffic is split by a mesh or ingress (old replicas then stay up a while).
    pub traffic_routing: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CanaryStep {
    pub set_weight: Option<i32>,
    pub pause: Option<Pause>,
    pub analysis: Option<serde_json::Value>,
    pub experiment: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Pause {
    /// `30s`, `10m`, `1h` or a number of seconds; none: until promoted.
    pub duration: Option<IntOrString>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlueGreen {
    pub active_service: String,
    pub preview_service: Option<String>,
    pub auto_promotion_enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutStatus {
    /// A string in Argo Rollouts (numeric since v0.10).
    pub observed_generation: Option<String>,
    pub phase: Option<String>,
    pub message: Option<String>,
    pub replicas: i32,
    pub updated_replicas: i32,
    pub ready_replicas: i32,
    pub available_replicas: i32,
    pub current_step_index: Option<i32>,
    pub current_pod_hash: Option<String>,
    #[serde(rename = "stableRS")]
    pub stable_rs: Option<String>,
    pub abort: bool,
    pub aborted_at: Option<String>,
    pub controller_pause: bool,
    pub pause_conditions: Vec<PauseCondition>,
    pub conditions: Vec<RolloutCondition>,
    pub canary: CanaryStatus,
    pub blue_green: BlueGreenStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PauseCondition {
    /// `CanaryPauseStep`, `BlueGreenPause`, `InconclusiveAnalysisRun`, `InconclusiveExperiment`.
    pub reason: String,
    pub start_time: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub last_transition_time: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CanaryStatus {
    pub weights: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlueGreenStatus {
    pub active_selector: Option<String>,
    pub preview_selector: Option<String>,
}

/// A Rollout's phase, as the controller names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Healthy,
    Progressing,
    Paused,
    Degraded,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Progressing => "Progressing",
            Self::Paused => "Paused",
            Self::Degraded => "Degraded",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Healthy" => Self::Healthy,
            "Progressing" => Self::Progressing,
            "Paused" => Self::Paused,
            "Degraded" => Self::Degraded,
            _ => return None,
        })
    }
}

/// The phase and its message, as `GetRolloutPhase` gives them: a spec change the controller has
/// not seen yet, or an unpause it has not acted on, is Progressing; the controller's own phase
/// where it wrote one (v1.0+); else worked out from spec and status (`CalculateRolloutPhase`).
pub fn phase(r: &Rollout) -> (Phase, String) {
    let s = &r.status;
    let observed = s
        .observed_generation
        .as_deref()
        .and_then(|g| g.parse::<i64>().ok());
    if let (Some(seen), Some(generation)) = (observed, r.metadata.generation) {
        if seen < generation {
            return (
                Phase::Progressing,
                "waiting for rollout spec update to be observed".into(),
            );
        }
    }
    if s.controller_pause && s.pause_conditions.is_empty() {
        return (Phase::Progressing, "waiting for rollout to unpause".into());
    }
    if let Some(p) = s.phase.as_deref().and_then(Phase::parse) {
        return (p, s.message.clone().unwrap_or_default());
    }
    calculate(r)
}

/// `CalculateRolloutPhase`.
pub fn calculate(r: &Rollout) -> (Phase, String) {
    let s = &r.status;
    for c in &s.conditions {
        if c.type_ == "InvalidSpec" {
            return (
                Phase::Degraded,
                format!("InvalidSpec: {}", c.message.as_deref().unwrap_or_default()),
            );
        }
        if let Some(reason @ ("RolloutAborted" | "ProgressDeadlineExceeded")) = c.reason.as_deref()
        {
            return (
                Phase::Degraded,
                format!("{reason}: {}", c.message.as_deref().unwrap_or_default()),
            );
        }
    }
    if r.spec.paused {
        return (Phase::Paused, "manually paused".into());
    }
    if let Some(p) = s.pause_conditions.first() {
        return (Phase::Paused, p.reason.clone());
    }
    if s.updated_replicas < r.spec.replicas.unwrap_or(1) {
        return (
            Phase::Progressing,
            "more replicas need to be updated".into(),
        );
    }
    if s.available_replicas < s.updated_replicas {
        return (
            Phase::Progressing,
            "updated replicas are still becoming available".into(),
        );
    }
    let promoted = s.stable_rs.is_some() && s.stable_rs == s.current_pod_hash;
    if r.spec.strategy.blue_green.is_some() {
        let active = s.blue_green.active_selector.as_deref().unwrap_or_default();
        if active.is_empty() || Some(active) != s.current_pod_hash.as_deref() {
            return (Phase::Progressing, "active service cutover pending".into());
        }
        if !promoted {
            return (
                Phase::Progressing,
                "waiting for post-promotion verification to complete".into(),
            );
        }
    } else if let Some(c) = &r.spec.strategy.canary {
        if c.traffic_routing.is_none() && s.replicas > s.updated_replicas {
            return (
                Phase::Progressing,
                "old replicas are pending termination".into(),
            );
        }
        if !promoted {
            return (
                Phase::Progressing,
                "waiting for all steps to complete".into(),
            );
        }
    }
    (Phase::Healthy, String::new())
}

/// `canary step 2 of 5, weight 40%` or `blue-green, active 7c9f…, preview 5d8b…`.
pub fn strategy_words(r: &Rollout) -> String {
    if let Some(c) = &r.spec.strategy.canary {
        let n = c.steps.len();
        let i = r
            .status
            .current_step_index
            .map_or(n, |i| (i.max(0) as usize).min(n));
        // The weight set by the last setWeight step before the current one (100 when done).
        let weight = if i >= n {
            100
        } else {
            c.steps[..i]
                .iter()
                .rev()
                .find_map(|s| s.set_weight)
                .unwrap_or(0)
        };
        if n == 0 {
            return "canary".into();
        }
        return format!("canary step {} of {n}, weight {weight}%", (i + 1).min(n));
    }
    if r.spec.strategy.blue_green.is_some() {
        let sel = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".into());
        return format!(
            "blue-green, active {}, preview {}",
            sel(&r.status.blue_green.active_selector),
            sel(&r.status.blue_green.preview_selector)
        );
    }
    String::new()
}

/// The step's own timed pause: the current step is `pause: {duration: …}`. The controller resumes
/// by itself when it is over, so it is not "paused too long".
pub fn in_timed_pause(r: &Rollout) -> bool {
    let (Some(c), Some(i)) = (&r.spec.strategy.canary, r.status.current_step_index) else {
        return false;
    };
    c.steps
        .get(i.max(0) as usize)
        .and_then(|s| s.pause.as_ref())
        .is_some_and(|p| p.duration.is_some())
        && r.status
            .pause_conditions
            .iter()
            .all(|p| p.reason == "CanaryPauseStep")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollout(v: serde_json::Value) -> Rollout {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn canary(status: serde_json::Value) -> Rollout {
        rollout(serde_json::json!({
            "metadata": {"name": "web", "namespace": "shop", "generation": 3},
            "spec": {"replicas": 5, "strategy": {"canary": {"steps": [
                {"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": "10m"}}, {"setWeight": 80}
            ]}}},
            "status": status,
        }))
    }

    #[test]
    fn phases_follow_the_controllers_rules() {
        let healthy = serde_json::json!({"observedGeneration": "3", "replicas": 5, "updatedReplicas": 5, "availableReplicas": 5,
            "currentPodHash": "abc", "stableRS": "abc", "currentStepIndex": 5});
        let cases: Vec<(serde_json::Value, Phase, &str)> = vec![
            (healthy.clone(), Phase::Healthy, ""),
            (
                serde_json::json!({"observedGeneration": "2"}),
                Phase::Progressing,
                "waiting for rollout spec update to be observed",
            ),
            (
                serde_json::json!({"observedGeneration": "3", "controllerPause": true}),
                Phase::Progressing,
                "waiting for rollout to unpause",
            ),
            (
                serde_json::json!({"observedGeneration": "3", "phase": "Degraded", "message": "ProgressDeadlineExceeded: timed out"}),
                Phase::Degraded,
                "ProgressDeadlineExceeded: timed out",
            ),
            (
                serde_json::json!({"conditions": [{"type": "InvalidSpec", "status": "True", "message": "bad"}]}),
                Phase::Degraded,
                "InvalidSpec: bad",
            ),
            (
                serde_json::json!({"abort": true, "conditions": [{"type": "Progressing", "status": "False", "reason": "RolloutAborted", "message": "Rollout aborted update to revision 4"}]}),
                Phase::Degraded,
                "RolloutAborted: Rollout aborted update to revision 4",
            ),
            (
                serde_json::json!({"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "timed out"}]}),
                Phase::Degraded,
                "ProgressDeadlineExceeded: timed out",
            ),
            (
                serde_json::json!({"controllerPause": true, "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-12-06T00:00:00Z"}]}),
                Phase::Paused,
                "CanaryPauseStep",
            ),
            (
                serde_json::json!({"updatedReplicas": 2, "replicas": 5}),
                Phase::Progressing,
                "more replicas need to be updated",
            ),
            (
                serde_json::json!({"updatedReplicas": 5, "availableReplicas": 4, "replicas": 5}),
                Phase::Progressing,
                "updated replicas are still becoming available",
            ),
            (
                serde_json::json!({"updatedReplicas": 5, "availableReplicas": 5, "replicas": 7}),
                Phase::Progressing,
                "old replicas are pending termination",
            ),
            (
                serde_json::json!({"updatedReplicas": 5, "availableReplicas": 5, "replicas": 5, "currentPodHash": "new", "stableRS": "old"}),
                Phase::Progressing,
                "waiting for all steps to complete",
            ),
        ];
        for (status, want, message) in cases {
            let r = canary(status.clone());
            assert_eq!(phase(&r), (want, message.to_string()), "{status}");
        }
        let mut paused = canary(healthy);
        paused.spec.paused = true;
        assert_eq!(
            calculate(&paused),
            (Phase::Paused, "manually paused".into())
        );
    }

    #[test]
    fn blue_green_waits_for_the_cutover_and_the_promotion() {
        let bg = |status: serde_json::Value| {
            rollout(
                serde_json::json!({"metadata": {"name": "web"}, "spec": {"replicas": 2, "strategy": {"blueGreen": {"activeService": "web", "previewService": "web-preview"}}}, "status": status}),
            )
        };
        let base = serde_json::json!({"replicas": 4, "updatedReplicas": 2, "availableReplicas": 2, "currentPodHash": "new", "stableRS": "old", "blueGreen": {"activeSelector": "old", "previewSelector": "new"}});
        assert_eq!(
            calculate(&bg(base.clone())).1,
            "active service cutover pending"
        );
        let mut cut = base.clone();
        cut["blueGreen"]["activeSelector"] = "new".into();
        assert_eq!(
            calculate(&bg(cut.clone())).1,
            "waiting for post-promotion verification to complete"
        );
        cut["stableRS"] = "new".into();
        assert_eq!(calculate(&bg(cut)).0, Phase::Healthy);
        assert_eq!(
            strategy_words(&bg(base)),
            "blue-green, active old, preview new"
        );
    }

    #[test]
    fn canary_steps_and_timed_pauses_are_read_from_the_spec() {
        let at = |i: i32, reason: &str| {
            canary(
                serde_json::json!({"currentStepIndex": i, "pauseConditions": [{"reason": reason}]}),
            )
        };
        assert_eq!(
            strategy_words(&at(1, "CanaryPauseStep")),
            "canary step 2 of 5, weight 20%"
        );
        assert_eq!(
            strategy_words(&at(3, "CanaryPauseStep")),
            "canary step 4 of 5, weight 40%"
        );
        assert_eq!(
            strategy_words(&at(5, "")),
            "canary step 5 of 5, weight 100%"
        );
        assert!(
            !in_timed_pause(&at(1, "CanaryPauseStep")),
            "pause: {{}} waits for a person"
        );
        assert!(
            in_timed_pause(&at(3, "CanaryPauseStep")),
            "pause: 10m resumes by itself"
        );
    }
}
