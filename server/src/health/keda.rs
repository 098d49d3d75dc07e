//! KEDA: the rules `keda-scaler-failing`, `keda-fallback-active` and `keda-paused`, pure functions
//! of the ScaledObject or ScaledJob. (A ScaledObject's generated HPA is an HPA: `hpa-at-max` and
//! `hpa-near-max` apply to it.)

use super::Raw;
use crate::clusters::keda::{ScaledJob, ScaledObject};
use app::model::Severity;

const DOCS: &str = "https://keda.sh/docs/latest/reference/scaledobject-spec/";

/// Every rule over one ScaledObject.
pub fn rules(so: &ScaledObject) -> Vec<Raw> {
    let name = so.metadata.name.clone().unwrap_or_default();
    let mut out = Vec::new();
    let failing: Vec<String> = so
        .status
        .health
        .iter()
        .filter(|(_, h)| h.status == "Failing")
        .map(|(metric, h)| {
            format!(
                "{}{}",
                so.trigger_words(metric),
                h.number_of_failures
                    .map(|n| format!(" ({n} failures in a row)"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if !failing.is_empty() {
        let fallback = so.condition("Fallback");
        out.push(Raw {
            message: format!(
                "ScaledObject {name}: scaler {} failing{}",
                failing.join(", "),
                if fallback { ", fallback active" } else { "" }
            ),
            cause: "KEDA cannot read the trigger's metric from its source (the queue, Prometheus, the cloud API): the source is down or unreachable, or its credentials (TriggerAuthentication) are wrong. Until it reads again it cannot scale on that trigger.".into(),
            fix: "Check that the scaler's source answers from the cluster and that the TriggerAuthentication's secret is right; KEDA's operator logs name the error.".into(),
            docs: Some(DOCS),
            count: u32::try_from(failing.len()).unwrap_or(u32::MAX),
            ..Raw::new("keda-scaler-failing", Severity::Error, "ScaledObject", &so.metadata)
        });
    }
    if so.condition("Fallback") {
        let replicas = so
            .spec
            .fallback
            .as_ref()
            .map(|f| format!(" at its fallback of {} replicas", f.replicas))
            .unwrap_or_default();
        out.push(Raw {
            message: format!("ScaledObject {name} is running{replicas}: its scalers keep failing"),
            cause: "A scaler failed more times in a row than fallback.failureThreshold, so KEDA holds the workload at a fixed count instead of following the load.".into(),
            fix: "Fix the failing scaler (see keda-scaler-failing); KEDA goes back to scaling on the trigger by itself once it reads the metric again.".into(),
            docs: Some(DOCS),
            ..Raw::new("keda-fallback-active", Severity::Warning, "ScaledObject", &so.metadata)
        });
    }
    if let Some(paused) = so.paused() {
        out.push(Raw {
            message: format!("ScaledObject {name} is {paused}"),
            cause: "Autoscaling was paused on purpose (an annotation): the workload does not follow its load until someone removes it.".into(),
            fix: "Remove the pause annotation when the maintenance is over.".into(),
            docs: Some("https://keda.sh/docs/latest/concepts/scaling-deployments/#pause-autoscaling"),
            ..Raw::new("keda-paused", Severity::Info, "ScaledObject", &so.metadata)
        });
    }
    out
}

/// Every rule over one ScaledJob: its triggers cannot be read (`Ready` False: KEDA says why), or
/// it is paused.
pub fn scaledjob(sj: &ScaledJob) -> Vec<Raw> {
    let name = sj.metadata.name.clone().unwrap_or_default();
    let mut out = Vec::new();
    if let Some(c) = sj
        .status
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "False")
    {
        let why = [c.reason.clone(), c.message.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        out.push(Raw {
            message: format!("ScaledJob {name} is not ready: it starts no Jobs"),
            cause: if why.is_empty() { "KEDA marked it not Ready without a reason.".into() } else { why },
            fix: "Check that each trigger's source answers from the cluster and that its TriggerAuthentication is right; KEDA's operator logs name the error.".into(),
            docs: Some("https://keda.sh/docs/latest/reference/scaledjob-spec/"),
            ..Raw::new("keda-scaler-failing", Severity::Error, "ScaledJob", &sj.metadata)
        });
    }
    if let Some(paused) = sj.paused() {
        out.push(Raw {
            message: format!("ScaledJob {name} is {paused}"),
            cause: "Job scaling was paused on purpose (an annotation): no Jobs start for new events until someone removes it.".into(),
            fix: "Remove the pause annotation when the maintenance is over.".into(),
            docs: Some("https://keda.sh/docs/latest/concepts/scaling-jobs/"),
            ..Raw::new("keda-paused", Severity::Info, "ScaledJob", &sj.metadata)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn so(annotations: serde_json::Value, status: serde_json::Value) -> ScaledObject {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "worker", "namespace": "shop", "annotations": annotations},
            "spec": {"scaleTargetRef": {"name": "worker"}, "fallback": {"failureThreshold": 3, "replicas": 6},
                "triggers": [{"type": "rabbitmq", "metadata": {"queueName": "orders"}}, {"type": "prometheus", "metadata": {"query": "up"}}]},
            "status": status,
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn fired(s: &ScaledObject) -> Vec<&'static str> {
        rules(s).iter().map(|r| r.rule).collect()
    }

    #[test]
    fn failing_scalers_fallbacks_and_pauses_are_found() {
        let healthy = so(
            serde_json::json!({}),
            serde_json::json!({"health": {"s0-rabbitmq-orders": {"numberOfFailures": 0, "status": "Happy"}},
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "Active", "status": "True"}, {"type": "Fallback", "status": "False"}]}),
        );
        assert!(fired(&healthy).is_empty());
        let failing = so(
            serde_json::json!({}),
            serde_json::json!({"health": {"s1-prometheus": {"numberOfFailures": 7, "status": "Failing"}},
            "conditions": [{"type": "Fallback", "status": "True"}]}),
        );
        assert_eq!(
            fired(&failing),
            ["keda-scaler-failing", "keda-fallback-active"]
        );
        let r = rules(&failing);
        assert_eq!(
            r[0].message,
            "ScaledObject worker: scaler prometheus up (7 failures in a row) failing, fallback active"
        );
        assert_eq!(
            r[1].message,
            "ScaledObject worker is running at its fallback of 6 replicas: its scalers keep failing"
        );
        let paused = so(
            serde_json::json!({"autoscaling.keda.sh/paused": "true"}),
            serde_json::json!({}),
        );
        assert_eq!(fired(&paused), ["keda-paused"]);
    }

    #[test]
    fn a_scaledjob_not_ready_or_paused_is_found() {
        let sj = |annotations: serde_json::Value, conditions: serde_json::Value| -> ScaledJob {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "renderer", "namespace": "shop", "annotations": annotations},
                "spec": {"maxReplicaCount": 20, "triggers": [{"type": "rabbitmq", "metadata": {"queueName": "jobs", "value": "5"}}]},
                "status": {"conditions": conditions}
            }))
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let ready = serde_json::json!([{"type": "Ready", "status": "True"}]);
        assert!(scaledjob(&sj(serde_json::json!({}), ready.clone())).is_empty());
        let broken = scaledjob(&sj(
            serde_json::json!({}),
            serde_json::json!([{"type": "Ready", "status": "False", "reason": "ScaledJobCheckFailed", "message": "error parsing rabbitmq metadata"}]),
        ));
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].rule, "keda-scaler-failing");
        assert_eq!(broken[0].kind, "ScaledJob");
        assert_eq!(
            broken[0].cause,
            "ScaledJobCheckFailed: error parsing rabbitmq metadata"
        );
        let paused = scaledjob(&sj(
            serde_json::json!({"autoscaling.keda.sh/paused": "true"}),
            ready,
        ));
        assert_eq!(paused.len(), 1);
        assert_eq!(paused[0].rule, "keda-paused");
    }
}
