//! The error list: a service's findings kept between changes (for the catalog's health column and
//! `/errors`), its health in brief, and the fleet's list with its filters and facets.

use crate::catalog::Catalog;
use crate::clusters::{objects, Fleet};
use crate::health::{Clock, Thresholds};
use app::model::{
    AutoscalerView, ErrorList, ErrorQuery, FacetValue, Finding, HealthSummary, Severity,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// A service's findings are kept until a change touches the service, the clock alone would change
/// them (`health::Clock::until`: `pending-too-long` and the like move on without events), or they
/// are this old.
const HEALTH_MAX_AGE_SECONDS: i64 = 60;

/// Findings kept for one service: the version they were computed at, the second they hold until.
struct Kept {
    version: (u64, u64),
    until: i64,
    findings: Arc<Vec<Finding>>,
    health: HealthSummary,
}

/// Findings per service, for the catalog's health column and the fleet's error list.
#[derive(Default)]
pub struct HealthCache {
    entries: Mutex<HashMap<String, Kept>>,
}

impl HealthCache {
    /// Keeps findings computed from the state at `version` (read before computing, so findings of
    /// a state a change has since replaced are never taken for current).
    pub fn remember(
        &self,
        service: &str,
        version: (u64, u64),
        findings: &[Finding],
        health: HealthSummary,
        clock: &Clock,
    ) {
        let until = clock
            .until()
            .min(clock.now().as_second() + HEALTH_MAX_AGE_SECONDS);
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                service.to_string(),
                Kept {
                    version,
                    until,
                    findings: Arc::new(findings.to_vec()),
                    health,
                },
            );
    }

    /// A service's findings and health in brief, kept while nothing touched it since.
    pub fn of(
        &self,
        fleet: &Fleet,
        t: Thresholds,
        service: &str,
    ) -> (Arc<Vec<Finding>>, HealthSummary) {
        let version = fleet.version_of(service);
        let now = jiff::Timestamp::now();
        if let Some(k) = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(service)
        {
            if k.version == version && now.as_second() < k.until {
                return (k.findings.clone(), k.health.clone());
            }
        }
        let mut found = Vec::new();
        let mut scaling = Vec::new();
        for c in fleet.clusters().iter() {
            if let Some(o) = objects::of(c, service) {
                scaling.extend(
                    o.hpas
                        .iter()
                        .map(|h| crate::autoscaling::status(h, t.near_max)),
                );
                found.push(o);
            }
        }
        let clock = Clock::new(now);
        let findings = crate::health::findings(service, &found, &clock, t);
        let mut health = summarize(&findings, &[]);
        health.scaling = scaling.into_iter().min();
        health.drift = crate::health::drift::differs(&found);
        self.remember(service, version, &findings, health.clone(), &clock);
        (Arc::new(findings), health)
    }
}

/// Findings and autoscalers in brief.
pub fn summarize(errors: &[Finding], autoscalers: &[AutoscalerView]) -> HealthSummary {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in errors {
        *counts.entry(f.severity.id().to_string()).or_default() += 1;
    }
    HealthSummary {
        worst: errors.iter().map(|f| f.severity).min(),
        counts,
        scaling: autoscalers.iter().map(|a| a.status).min(),
        drift: false,
    }
}

/// The fleet's error list: every finding matching the filters, worst first, with the facets of
/// all of them.
pub fn list(
    all: Vec<Finding>,
    catalog: &Catalog,
    regions: &BTreeMap<String, String>,
    q: &ErrorQuery,
) -> ErrorList {
    let owners: HashMap<&str, &str> = catalog
        .services()
        .iter()
        .filter_map(|s| Some((s.name.as_str(), s.owner.as_ref()?.name.as_str())))
        .collect();
    let team_of = |f: &Finding| owners.get(f.service.as_str()).copied().unwrap_or("");
    let regions_of = |f: &Finding| -> Vec<&str> {
        f.clusters
            .iter()
            .filter_map(|c| regions.get(c).map(String::as_str))
            .collect()
    };
    let facet = |values: Vec<String>| -> Vec<FacetValue> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for v in values.into_iter().filter(|v| !v.is_empty()) {
            *m.entry(v).or_default() += 1;
        }
        m.into_iter()
            .map(|(value, count)| FacetValue { value, count })
            .collect()
    };
    let worst_allowed = Severity::from_id(q.severity.trim());
    let items: Vec<Finding> = all
        .iter()
        .filter(|f| q.team.trim().is_empty() || team_of(f).eq_ignore_ascii_case(q.team.trim()))
        .filter(|f| q.cluster.trim().is_empty() || f.clusters.iter().any(|c| c == q.cluster.trim()))
        .filter(|f| q.region.trim().is_empty() || regions_of(f).contains(&q.region.trim()))
        .filter(|f| worst_allowed.is_none_or(|w| f.severity <= w))
        .filter(|f| q.rule.trim().is_empty() || f.rule == q.rule.trim())
        .cloned()
        .collect();
    let mut items = items;
    items.sort_by(|a, b| (a.severity, &a.service, &a.rule).cmp(&(b.severity, &b.service, &b.rule)));
    ErrorList {
        total: all.len(),
        teams: facet(all.iter().map(|f| team_of(f).to_string()).collect()),
        clusters: facet(all.iter().flat_map(|f| f.clusters.clone()).collect()),
        regions: facet(
            all.iter()
                .flat_map(|f| {
                    let r: BTreeSet<String> = regions_of(f).into_iter().map(String::from).collect();
                    r
                })
                .collect(),
        ),
        severities: facet(all.iter().map(|f| f.severity.id().to_string()).collect()),
        rules: facet(all.iter().map(|f| f.rule.clone()).collect()),
        items,
    }
}
