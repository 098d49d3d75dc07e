//! `warning-events`: recent Warning events on the service's objects that no other finding explains,
//! one finding per reason with the counts summed.

use super::Raw;
use app::model::Severity;
use k8s_openapi::api::core::v1::Event;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Events older than this are history.
const RECENT: i64 = 3600;

fn last_seen(e: &Event) -> Option<jiff::Timestamp> {
    e.last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// Groups the events not already explained by `found` (findings on the same object).
pub fn rules(events: &[Arc<Event>], found: &[Raw], clock: &super::Clock) -> Vec<Raw> {
    let explained = |kind: &str, ns: &str, name: &str| {
        found.iter().any(|r| {
            r.namespace == ns
                && ((r.kind == kind && r.name == name)
                    || r.owner
                        .as_ref()
                        .is_some_and(|(k, n)| k == kind && n == name))
        })
    };
    let mut by_reason: BTreeMap<(String, String), Raw> = BTreeMap::new();
    for e in events {
        if e.type_.as_deref() != Some("Warning") {
            continue;
        }
        let Some(seen) = last_seen(e).filter(|t| clock.within(*t, RECENT)) else {
            continue;
        };
        let o = &e.involved_object;
        let (kind, ns, name) = (
            o.kind.clone().unwrap_or_default(),
            o.namespace
                .clone()
                .or_else(|| e.metadata.namespace.clone())
                .unwrap_or_default(),
            o.name.clone().unwrap_or_default(),
        );
        if explained(&kind, &ns, &name) {
            continue;
        }
        let reason = e.reason.clone().unwrap_or_else(|| "Warning".into());
        let count = u32::try_from(e.count.unwrap_or(1)).unwrap_or(1);
        let r = by_reason
            .entry((ns.clone(), reason.clone()))
            .or_insert_with(|| Raw {
                rule: "warning-events",
                severity: Severity::Info,
                kind: "Event",
                namespace: ns.clone(),
                name: reason.clone(),
                owner: Some(("Event".into(), reason.clone())),
                fix: format!(
                    "See them with: kubectl get events -n {ns} --field-selector {}",
                    super::shell_word(&format!("type=Warning,reason={reason}"))
                ),
                docs: Some(
                    "https://kubernetes.io/docs/reference/kubectl/generated/kubectl_events/",
                ),
                ..Default::default()
            });
        r.count += count;
        if r.since.is_none_or(|s| seen > s) {
            r.cause = e.message.clone().unwrap_or_default();
            r.since = Some(seen);
        }
        let subject = format!("{kind} {name}");
        if !r.message.contains(&subject) {
            r.message = if r.message.is_empty() {
                subject
            } else {
                format!("{}, {subject}", r.message)
            };
        }
    }
    by_reason
        .into_values()
        .map(|mut r| {
            r.severity = if r.count >= 10 {
                Severity::Warning
            } else {
                Severity::Info
            };
            r.message = format!(
                "{} {} warning event{} in the last hour on {}",
                r.count,
                r.name,
                if r.count == 1 { "" } else { "s" },
                r.message
            );
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::fixtures::*;
    use serde_json::json;

    fn event(reason: &str, kind: &str, name: &str, count: i32, seen: i64) -> Arc<Event> {
        Arc::new(from(json!({
            "metadata": {"name": format!("{name}.{reason}"), "namespace": "shop"},
            "type": "Warning", "reason": reason, "count": count, "lastTimestamp": ago(seen),
            "message": format!("{reason} happened"),
            "involvedObject": {"kind": kind, "name": name, "namespace": "shop"}
        })))
    }

    #[test]
    fn recent_unexplained_events_grouped_by_reason() {
        let explained = Raw {
            rule: "crash-loop",
            kind: "Pod",
            namespace: "shop".into(),
            name: "cart-1".into(),
            ..Default::default()
        };
        let events = vec![
            event("BackOff", "Pod", "cart-1", 40, 10), // explained by the crash-loop finding
            event("FailedMount", "Pod", "cart-2", 3, 60),
            event("FailedMount", "Pod", "cart-3", 9, 30),
            event("FailedMount", "Pod", "cart-4", 1, 7200), // too old
        ];
        let r = rules(&events, &[explained], &crate::health::Clock::new(now()));
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].name.as_str(), r[0].count, r[0].severity),
            ("FailedMount", 12, Severity::Warning)
        );
        assert_eq!(
            r[0].message,
            "12 FailedMount warning events in the last hour on Pod cart-2, Pod cart-3"
        );
        assert!(
            rules(&events[..1], &[], &crate::health::Clock::new(now()))[0].severity
                == Severity::Warning
        );
    }
}
