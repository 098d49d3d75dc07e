//! The error list's view types: findings, severities, the fleet's error query and list.

use super::*;
use serde::{Deserialize, Serialize};

/// How bad a finding is; sorts worst first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The service is down or losing requests somewhere.
    Critical,
    /// Something is broken and will not heal by itself.
    Error,
    /// Degraded or heading for trouble.
    Warning,
    /// Worth knowing.
    #[default]
    Info,
}

impl Severity {
    /// The stable id, as in the JSON API and query strings.
    pub fn id(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    /// The severity for an id.
    pub fn from_id(id: &str) -> Option<Self> {
        [Self::Critical, Self::Error, Self::Warning, Self::Info]
            .into_iter()
            .find(|s| s.id() == id)
    }
}

/// One object a finding is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AffectedObject {
    pub cluster: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
}

/// A problem in a service's Kubernetes objects, with why and what to do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable rule id (`crash-loop`, `hpa-at-max`…).
    pub rule: String,
    pub severity: Severity,
    /// The service the objects belong to.
    pub service: String,
    /// The object the finding is about (the workload, for findings grouped over its pods).
    pub cluster: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
    /// What is wrong, in plain words with the numbers.
    pub message: String,
    /// Why, from the objects: exit codes, reasons, condition and event messages.
    pub cause: String,
    /// What to do.
    pub fix: String,
    /// Where to read more (Kubernetes docs or the cluster's dashboard).
    pub docs_url: Option<String>,
    /// Since when (RFC 3339), when the objects say.
    pub since: Option<String>,
    /// How many times (restarts, events, pods).
    pub count: u32,
    /// Every cluster it happens in.
    pub clusters: Vec<String>,
    /// Every object it happens to.
    pub objects: Vec<AffectedObject>,
}

/// The rules whose answer is in a container's log: their findings show its last lines when opened.
pub const LOG_RULES: [&str; 5] = [
    "crash-loop",
    "oom-killed",
    "init-failing",
    "readiness-failing",
    "restarting",
];

/// The last lines of a container's log for a finding, or the sentence that says why they are not
/// shown (not allowed, turned off, the cluster did not answer…).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogTail {
    /// The container read.
    pub container: String,
    /// Plain text: ANSI escape codes removed, other control characters shown as U+FFFD.
    pub text: String,
    /// The lines are the previous (crashed) run's.
    pub previous: bool,
    pub note: Option<String>,
}

/// The fleet-wide error list's filters, as in `/errors?…` and `GET /api/v1/errors?…`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorQuery {
    /// Owner group name.
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub region: String,
    /// `critical`, `error`, `warning` or `info`: this severity and worse.
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub rule: String,
}

impl ErrorQuery {
    /// Reads the filters from a query string's values.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let read = |k: &str| {
            get(k)
                .unwrap_or_default()
                .chars()
                .take(MAX_FILTER)
                .collect()
        };
        Self {
            team: read("team"),
            cluster: read("cluster"),
            region: read("region"),
            severity: read("severity"),
            rule: read("rule"),
        }
    }

    /// The query string (with `?`, or empty) that reproduces it, with `key` set to `value`.
    pub fn with(&self, key: &str, value: &str) -> String {
        let mut pairs = vec![
            ("team", self.team.clone()),
            ("cluster", self.cluster.clone()),
            ("region", self.region.clone()),
            ("severity", self.severity.clone()),
            ("rule", self.rule.clone()),
        ];
        for p in &mut pairs {
            if p.0 == key {
                p.1 = value.to_string();
            }
        }
        let q: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }
}

/// Every finding in the fleet that matches a query, with the values each filter can take.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorList {
    pub items: Vec<Finding>,
    /// Findings before filtering.
    pub total: usize,
    pub teams: Vec<FacetValue>,
    pub clusters: Vec<FacetValue>,
    pub regions: Vec<FacetValue>,
    pub severities: Vec<FacetValue>,
    pub rules: Vec<FacetValue>,
}
