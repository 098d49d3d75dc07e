//! A service's timeline: what happened to it and to its clusters on one time axis
//! (`GET /api/v1/services/{name}/timeline`, `/services/{name}/timeline`).

use serde::{Deserialize, Serialize};

/// One thing that happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEvent {
    /// When (RFC 3339).
    pub at: String,
    pub cluster: String,
    /// `deploy`, `scale`, `crash`, `oom-kill`, `eviction`, `job-failed`, `finding`,
    /// `finding-cleared` or `cluster`.
    pub kind: String,
    /// The object, as `Kind namespace/name` (empty for a cluster's own change).
    pub object: String,
    /// A finding's rule.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rule: String,
    /// What happened, in words with the numbers.
    pub summary: String,
}

/// A finding that was active at a moment (`?at=`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveFinding {
    pub rule: String,
    pub cluster: String,
    pub object: String,
    /// Since when (RFC 3339).
    pub since: String,
    pub summary: String,
}

/// The timeline of one service in a time range.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub service: String,
    /// The range shown (RFC 3339), both ends included.
    pub since: String,
    pub until: String,
    /// The clusters the service runs in (each one a lane of the axis).
    pub clusters: Vec<String>,
    /// Newest first.
    pub events: Vec<TimelineEvent>,
    /// More events than shown matched (the newest are shown).
    pub truncated: bool,
    /// `?at=`: the moment asked about (RFC 3339) and the findings active then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Vec<ActiveFinding>>,
    /// "history unavailable since T: why", when the store fails; the events are then missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// Where the history is kept and for how long, in words.
    pub kept: String,
}

/// What a timeline asks for: the range, a cluster and kinds, a moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineQuery {
    /// RFC 3339, or a span back from now (`1h`, `6h`, `24h`, `7d`, `14d`).
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub cluster: Option<String>,
    /// Comma-separated kinds.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub at: Option<String>,
}

/// Every kind of event, in the order the page's filter lists them.
pub const TIMELINE_KINDS: [&str; 9] = [
    "deploy",
    "scale",
    "crash",
    "oom-kill",
    "eviction",
    "job-failed",
    "finding",
    "finding-cleared",
    "cluster",
];
