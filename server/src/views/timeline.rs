//! The service timeline: what the recorder reads off the caches into the history, and the view
//! of one service's history (`/services/{name}/timeline`, its JSON API).
//!
//! The recorder is one task per portal process. It follows the fleet's change feed: each service a
//! change touches is looked at once (never per viewer), and what is new since it was last looked
//! at goes to the history — deploys (a new ReplicaSet revision, with its image change), scale
//! changes (an autoscaler's replicas from → to, with its metrics), crashes and OOM kills (a
//! container's last termination), evictions, failed Jobs, findings appearing and clearing, and
//! each cluster's status changes. What an object says itself (a revision's creation, a crash's
//! finish time) is recorded with the object's time and an identity of its own, so a restart or a
//! second replica writes it once; what a replica only sees (a finding, a cluster's status) merges
//! with the same sighting within [`SEEN_WINDOW_MS`].

use super::portal::CatalogPortal;
use super::rollouts::rollouts;
use crate::clusters::{objects, ClusterObjects, Fleet};
use crate::history::{Filter, History, HistoryError, Record};
use crate::time::rfc3339;
use app::model::{
    ActiveFinding, ClusterState, Finding, Timeline, TimelineEvent, TimelineQuery, TIMELINE_KINDS,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

/// Two replicas' sightings of the same finding or status change this close are one event.
pub const SEEN_WINDOW_MS: i64 = 20_000;
/// How often services with open findings are looked at again without a change (rules that move
/// with the clock: `pending-too-long`, `rollout-paused`).
const CLOCK_EVERY: Duration = Duration::from_secs(30);
/// At most this many events in one answer (the newest).
pub const MAX_EVENTS: usize = 2_000;

/// A finding as the timeline keys it: rule, cluster, object.
type FindingKey = (String, String, String);

fn ms(t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time) -> i64 {
    t.0.as_millisecond()
}

fn object(kind: &str, namespace: &str, name: &str) -> String {
    format!("{kind} {namespace}/{name}")
}

/// What the objects of one service in one cluster say happened: deploys, crashes and OOM kills,
/// evictions, failed Jobs (each with the object's own time and an identity of its own). Pure.
pub fn object_events(service: &str, o: &ClusterObjects, now_ms: i64) -> Vec<Record> {
    let mut out = Vec::new();
    let record = |at: i64, kind: &str, obj: String, summary: String, identity: String| Record {
        at,
        service: service.to_string(),
        cluster: o.cluster.clone(),
        kind: kind.to_string(),
        object: obj,
        rule: String::new(),
        summary,
        value: 0,
        identity: format!("{}|{identity}", o.cluster),
        window_ms: 0,
    };
    // Deploys: each revision, with the images it changed from the one before.
    for r in rollouts(o) {
        let kind = if o
            .rollouts
            .iter()
            .any(|x| x.metadata.name.as_deref() == Some(&r.deployment))
        {
            "Rollout"
        } else {
            "Deployment"
        };
        let obj = object(kind, &r.namespace, &r.deployment);
        // Newest first: each revision's predecessor is the next one.
        for (i, rev) in r.revisions.iter().enumerate() {
            let Some(at) = rev
                .created
                .as_deref()
                .and_then(|c| c.parse::<jiff::Timestamp>().ok())
            else {
                continue;
            };
            let before = r.revisions.get(i + 1);
            let change = match before {
                Some(b) if b.images != rev.images => {
                    format!("{} → {}", b.images.join(", "), rev.images.join(", "))
                }
                Some(_) => "same images (configuration change)".to_string(),
                None => rev.images.join(", "),
            };
            out.push(record(
                at.as_millisecond(),
                "deploy",
                obj.clone(),
                format!("revision {}: {change}", rev.revision),
                format!("deploy|{obj}|{}|{}", rev.revision, rev.name),
            ));
        }
    }
    for p in &o.pods {
        let (ns, name) = (
            p.metadata.namespace.as_deref().unwrap_or_default(),
            p.metadata.name.as_deref().unwrap_or_default(),
        );
        let obj = object("Pod", ns, name);
        let Some(status) = &p.status else { continue };
        for c in status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten())
        {
            let Some(t) = c.last_state.as_ref().and_then(|s| s.terminated.as_ref()) else {
                continue;
            };
            let Some(at) = t.finished_at.as_ref().map(ms) else {
                continue;
            };
            let reason = t.reason.as_deref().unwrap_or("Error");
            let (kind, what) = if reason == "OOMKilled" {
                ("oom-kill", "was OOM-killed".to_string())
            } else if t.exit_code == 0 {
                // A clean exit that was restarted: still a restart the owner wants to see.
                ("crash", "exited (code 0) and was restarted".to_string())
            } else {
                (
                    "crash",
                    format!("crashed: {reason}, exit code {}", t.exit_code),
                )
            };
            out.push(record(
                at,
                kind,
                obj.clone(),
                format!("container {} {what} (restart {})", c.name, c.restart_count),
                format!("{kind}|{obj}|{}|{at}", c.name),
            ));
        }
        if status.phase.as_deref() == Some("Failed") && status.reason.as_deref() == Some("Evicted")
        {
            let at = status
                .conditions
                .iter()
                .flatten()
                .filter_map(|c| c.last_transition_time.as_ref().map(ms))
                .max()
                .unwrap_or(now_ms);
            let why = status.message.clone().unwrap_or_default();
            out.push(record(
                at,
                "eviction",
                obj.clone(),
                app::model::clip(format!("evicted: {why}")),
                format!(
                    "eviction|{obj}|{}",
                    p.metadata.uid.as_deref().unwrap_or(name)
                ),
            ));
        }
    }
    for j in &o.jobs {
        let Some(c) = j
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Failed" && c.status == "True"))
        else {
            continue;
        };
        let (ns, name) = (
            j.metadata.namespace.as_deref().unwrap_or_default(),
            j.metadata.name.as_deref().unwrap_or_default(),
        );
        let obj = object("Job", ns, name);
        let at = c.last_transition_time.as_ref().map_or(now_ms, ms);
        let why = [c.reason.as_deref(), c.message.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        out.push(record(
            at,
            "job-failed",
            obj.clone(),
            app::model::clip(format!("failed: {why}")),
            format!(
                "job-failed|{obj}|{}",
                j.metadata.uid.as_deref().unwrap_or(name)
            ),
        ));
    }
    out
}

/// An autoscaler's replicas and why, in words: `cpu 92% (target 70%)`.
fn scale_reason(h: &HorizontalPodAutoscaler) -> String {
    let targets: HashMap<String, String> = h
        .spec
        .as_ref()
        .and_then(|s| s.metrics.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let r = m.resource.as_ref()?;
            let t = r
                .target
                .average_utilization
                .map(|u| format!("{u}%"))
                .or_else(|| r.target.average_value.as_ref().map(|q| q.0.clone()))?;
            Some((r.name.clone(), t))
        })
        .collect();
    let said: Vec<String> = h
        .status
        .as_ref()
        .and_then(|s| s.current_metrics.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|m| {
            if let Some(r) = &m.resource {
                let v = r
                    .current
                    .average_utilization
                    .map(|u| format!("{u}%"))
                    .or_else(|| r.current.average_value.as_ref().map(|q| q.0.clone()))?;
                let target = targets
                    .get(&r.name)
                    .map(|t| format!(" (target {t})"))
                    .unwrap_or_default();
                return Some(format!("{} {v}{target}", r.name));
            }
            let e = m.external.as_ref()?;
            let v = e
                .current
                .average_value
                .as_ref()
                .or(e.current.value.as_ref())?;
            Some(format!("{} {}", e.metric.name, v.0))
        })
        .collect();
    said.join(", ")
}

/// An autoscaler's replica count and when it last scaled (the object's own time).
fn replicas_of(h: &HorizontalPodAutoscaler) -> Option<(i32, Option<i64>)> {
    let s = h.status.as_ref()?;
    Some((
        s.current_replicas.unwrap_or(s.desired_replicas),
        s.last_scale_time.as_ref().map(ms),
    ))
}

/// Findings as the timeline keys them, with their message and since when (ms) where they say.
fn finding_set(findings: &[Finding]) -> BTreeMap<FindingKey, (String, Option<i64>)> {
    let mut out = BTreeMap::new();
    for f in findings {
        let obj = object(&f.kind, &f.namespace, &f.name);
        let since = f
            .since
            .as_deref()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_millisecond());
        for c in &f.clusters {
            out.insert(
                (f.rule.clone(), c.clone(), obj.clone()),
                (f.message.clone(), since),
            );
        }
    }
    out
}

/// A finding the recorder holds open: its message, and since when (ms) it has been missing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Open {
    pub message: String,
    pub missing_since: Option<i64>,
}

/// The findings open before a look and those found now → what appeared (dated by the objects
/// where they say since when), what cleared, and what stays open. A finding clears once it has
/// been missing for `settle_ms` (dated when it went): a pod cycling through CrashLoopBackOff is
/// `crash-loop` while it waits and `restarting` while it runs, and neither flaps. Pure.
pub fn finding_events(
    service: &str,
    before: BTreeMap<FindingKey, Open>,
    now_found: &BTreeMap<FindingKey, (String, Option<i64>)>,
    now_ms: i64,
    settle_ms: i64,
) -> (Vec<Record>, BTreeMap<FindingKey, Open>) {
    let mut out = Vec::new();
    let record = |k: &FindingKey, kind: &str, summary: String, at: i64| Record {
        at,
        service: service.to_string(),
        cluster: k.1.clone(),
        kind: kind.to_string(),
        object: k.2.clone(),
        rule: k.0.clone(),
        summary: app::model::clip(summary),
        value: 0,
        identity: format!("{kind}|{service}|{}|{}|{}", k.0, k.1, k.2),
        window_ms: SEEN_WINDOW_MS,
    };
    let mut open = BTreeMap::new();
    for (k, (message, since)) in now_found {
        if !before.contains_key(k) {
            // Since when the objects say it holds, when they say (and not in the future).
            let at = since.map_or(now_ms, |s| s.min(now_ms));
            out.push(record(k, "finding", message.clone(), at));
        }
        open.insert(
            k.clone(),
            Open {
                message: message.clone(),
                missing_since: None,
            },
        );
    }
    for (k, o) in before {
        if now_found.contains_key(&k) {
            continue;
        }
        let went = o.missing_since.unwrap_or(now_ms);
        if now_ms - went >= settle_ms {
            out.push(record(
                &k,
                "finding-cleared",
                format!("cleared: {}", o.message),
                went,
            ));
        } else {
            open.insert(
                k,
                Open {
                    missing_since: Some(went),
                    ..o
                },
            );
        }
    }
    (out, open)
}

/// What the recorder remembers between looks.
#[derive(Default)]
struct Seen {
    /// Identities of object events already handed to the history (hashes: 8 bytes each).
    written: HashSet<u64>,
    /// Each service's open findings.
    findings: HashMap<String, BTreeMap<FindingKey, Open>>,
    /// Each autoscaler's last count: (cluster, namespace/name) → replicas.
    replicas: HashMap<(String, String), i32>,
    /// Each cluster's last state.
    states: HashMap<String, ClusterState>,
    /// How long a finding must be missing to count as cleared.
    settle_ms: i64,
}

fn hash_of(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Looks at one service now and hands what is new to the history.
fn look(portal: &CatalogPortal, fleet: &Fleet, history: &History, seen: &mut Seen, service: &str) {
    let now = jiff::Timestamp::now().as_millisecond();
    let mut out = Vec::new();
    for c in fleet.clusters().iter() {
        let Some(o) = objects::of(c, service) else {
            continue;
        };
        for r in object_events(service, &o, now) {
            if seen.written.insert(hash_of(&r.identity)) {
                out.push(r);
            }
        }
        for h in &o.hpas {
            let Some((replicas, scaled_at)) = replicas_of(h) else {
                continue;
            };
            let (ns, name) = (
                h.metadata.namespace.as_deref().unwrap_or_default(),
                h.metadata.name.as_deref().unwrap_or_default(),
            );
            let key = (o.cluster.clone(), format!("{ns}/{name}"));
            let before = seen.replicas.insert(key, replicas);
            if before == Some(replicas) {
                continue;
            }
            // First sight after a start: only a scale the object dates is recorded (its identity
            // makes a second sighting the same event).
            let Some(at) = scaled_at.or(before.map(|_| now)) else {
                continue;
            };
            let obj = object("HorizontalPodAutoscaler", ns, name);
            let from = before.map(|b| format!("{b} → ")).unwrap_or_default();
            let why = scale_reason(h);
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            };
            let r = Record {
                at,
                service: service.to_string(),
                cluster: o.cluster.clone(),
                kind: "scale".into(),
                object: obj.clone(),
                rule: String::new(),
                summary: format!("replicas {from}{replicas}{why}"),
                value: i64::from(replicas),
                identity: format!("{}|scale|{obj}|{at}|{replicas}", o.cluster),
                window_ms: 0,
            };
            if seen.written.insert(hash_of(&r.identity)) {
                out.push(r);
            }
        }
    }
    out.extend(look_at_findings(portal, seen, service, now));
    history.record(out);
}

/// What changed in one service's findings since they were last looked at. Alone (the clock's
/// look, without a change to the service's objects), it reads only the kept findings.
fn look_at_findings(
    portal: &CatalogPortal,
    seen: &mut Seen,
    service: &str,
    now: i64,
) -> Vec<Record> {
    let now_set = finding_set(&portal.findings_of(service));
    let before = seen.findings.remove(service).unwrap_or_default();
    let (changed, open) = finding_events(service, before, &now_set, now, seen.settle_ms);
    if !open.is_empty() {
        seen.findings.insert(service.to_string(), open);
    }
    changed
}

/// Each cluster's status changes (connecting is not a change: every start goes through it).
fn look_at_clusters(fleet: &Fleet, history: &History, seen: &mut Seen) {
    let now = jiff::Timestamp::now().as_millisecond();
    let mut out = Vec::new();
    for s in fleet.statuses() {
        if s.state == ClusterState::Connecting {
            continue;
        }
        let before = seen.states.insert(s.name.clone(), s.state);
        let Some(before) = before else { continue };
        if before == s.state {
            continue;
        }
        let why = s
            .last_error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        out.push(Record {
            at: now,
            service: String::new(),
            cluster: s.name.clone(),
            kind: "cluster".into(),
            object: String::new(),
            rule: String::new(),
            summary: app::model::clip(format!("{} → {}{why}", before.id(), s.state.id())),
            value: 0,
            identity: format!("cluster|{}|{}", s.name, s.state.id()),
            window_ms: SEEN_WINDOW_MS,
        });
    }
    history.record(out);
}

/// The autoscalers' last hour of replica counts from the history, ahead of what the watches see
/// from now on: the sparklines reach back beyond a restart.
async fn preload_replicas(fleet: &Fleet, history: &History) {
    let now = jiff::Timestamp::now();
    let since = now - jiff::SignedDuration::from_hours(1);
    // The count at the hour's start is the last one before it: look back a day for it.
    let from = since - jiff::SignedDuration::from_hours(24);
    let scaled = match history
        .of_kinds(
            None,
            &["scale"],
            from.as_millisecond(),
            now.as_millisecond(),
        )
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!("history: replica counts not read at start: {e}");
            return;
        }
    };
    let mut by_hpa: BTreeMap<(String, String), Vec<(i64, i32)>> = BTreeMap::new();
    for r in scaled {
        let Some(id) = r.object.strip_prefix("HorizontalPodAutoscaler ") else {
            continue;
        };
        let Ok(replicas) = i32::try_from(r.value) else {
            continue;
        };
        by_hpa
            .entry((r.cluster, id.to_string()))
            .or_default()
            .push((r.at.div_euclid(1000), replicas));
    }
    for ((cluster, id), points) in by_hpa {
        let (Some(c), Some((ns, name))) = (fleet.cluster(&cluster), id.split_once('/')) else {
            continue;
        };
        c.history.preload(ns, name, &points, now.as_second());
    }
}

/// Every service the portal knows (described and discovered).
fn all_services(portal: &CatalogPortal, fleet: &Fleet) -> BTreeSet<String> {
    let mut all: BTreeSet<String> = portal.service_names();
    all.extend(fleet.placements().keys().cloned());
    all
}

/// The recorder: waits for the fleet's first sync, takes the open findings from the history (so a
/// restart records neither again), looks at every service once, then at each one a change touches.
pub async fn record(
    portal: Arc<CatalogPortal>,
    fleet: Arc<Fleet>,
    history: Arc<History>,
    settle: Duration,
) {
    let mut changes = fleet.subscribe();
    preload_replicas(&fleet, &history).await;
    while !fleet.ready() {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut seen = Seen {
        settle_ms: settle.as_millis() as i64,
        ..Seen::default()
    };
    let now = jiff::Timestamp::now().as_millisecond();
    match history
        .of_kinds(
            None,
            &["finding", "finding-cleared"],
            crate::history::cutoff(now, history.days),
            now,
        )
        .await
    {
        Ok(past) => {
            for r in past {
                let open = seen.findings.entry(r.service.clone()).or_default();
                let key = (r.rule, r.cluster, r.object);
                if r.kind == "finding" {
                    open.insert(
                        key,
                        Open {
                            message: r.summary,
                            missing_since: None,
                        },
                    );
                } else {
                    open.remove(&key);
                }
            }
        }
        Err(e) => tracing::debug!("history: open findings not read at start: {e}"),
    }
    look_at_clusters(&fleet, &history, &mut seen);
    let mut dirty: BTreeSet<String> = all_services(&portal, &fleet);
    let mut clock = tokio::time::interval(CLOCK_EVERY);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Look at what changed, yielding between services so pages keep being served.
        while let Some(s) = dirty.pop_first() {
            look(&portal, &fleet, &history, &mut seen, &s);
            tokio::task::yield_now().await;
        }
        let change = tokio::select! {
            change = changes.recv() => change,
            _ = clock.tick() => {
                // Open findings move on with time alone (a rule's limit passes, a missing one
                // settles): their services' findings only, the objects being unchanged.
                let now = jiff::Timestamp::now().as_millisecond();
                let open: Vec<String> = seen.findings.keys().cloned().collect();
                for s in open {
                    let out = look_at_findings(&portal, &mut seen, &s, now);
                    history.record(out);
                    tokio::task::yield_now().await;
                }
                continue;
            }
        };
        // Gather what else arrived in the same moment before looking.
        let mut changes_now = vec![change];
        tokio::time::sleep(Duration::from_millis(200)).await;
        while let Ok(change) = changes.try_recv() {
            changes_now.push(Ok(change));
        }
        for change in changes_now {
            match change {
                Ok(crate::clusters::Change::Objects { services, .. }) => {
                    dirty.extend(services.iter().map(|s| s.to_string()));
                }
                Ok(crate::clusters::Change::Status { .. }) => {
                    look_at_clusters(&fleet, &history, &mut seen);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    dirty = all_services(&portal, &fleet);
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

/// Why a timeline cannot be shown.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimelineError {
    #[error("{0}")]
    BadQuery(String),
}

/// A time from the query: RFC 3339, or a span back from now (`90m`, `6h`, `7d`).
fn parse_time(what: &str, v: &str, now: jiff::Timestamp) -> Result<jiff::Timestamp, TimelineError> {
    if let Ok(t) = v.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let (n, unit) = v.split_at(v.len().saturating_sub(1));
    let seconds = match (n.parse::<i64>(), unit) {
        (Ok(n), "m") => n * 60,
        (Ok(n), "h") => n * 3600,
        (Ok(n), "d") => n * 86_400,
        _ => {
            return Err(TimelineError::BadQuery(format!(
                "{what}={v}: give an RFC 3339 time (2026-12-06T21:00:00Z) or a span back from now (90m, 6h, 7d)"
            )))
        }
    };
    Ok(now - jiff::SignedDuration::from_secs(seconds.clamp(0, 366 * 86_400)))
}

/// One service's timeline for a query, read from the history. The service's clusters come from
/// where it runs now and from its events.
pub async fn timeline(
    history: &History,
    fleet: &Fleet,
    service: &str,
    q: &TimelineQuery,
    now: jiff::Timestamp,
) -> Result<Timeline, TimelineError> {
    let until = match q.until.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => parse_time("until", v, now)?,
        None => now,
    };
    let since = match q.since.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => parse_time("since", v, now)?,
        None => until - jiff::SignedDuration::from_hours(24),
    };
    if since > until {
        return Err(TimelineError::BadQuery(format!(
            "since ({}) is after until ({})",
            rfc3339(since),
            rfc3339(until)
        )));
    }
    let at =
        q.at.as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| parse_time("at", v, now))
            .transpose()?;
    let kinds: Option<BTreeSet<&str>> = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| k.split(',').map(str::trim).collect());
    if let Some(bad) = kinds.iter().flatten().find(|k| !TIMELINE_KINDS.contains(k)) {
        return Err(TimelineError::BadQuery(format!(
            "kind={bad}: not a kind of event (one of {})",
            TIMELINE_KINDS.join(", ")
        )));
    }
    let cluster = q.cluster.clone().filter(|c| !c.is_empty());
    let placements = fleet.placements();
    let mut clusters: BTreeSet<String> = placements
        .get(service)
        .map(|p| p.clusters.clone())
        .unwrap_or_default();
    let mut out = Timeline {
        service: service.to_string(),
        since: rfc3339(since),
        until: rfc3339(until),
        at: at.map(rfc3339),
        kept: format!("{}, {} days", history.describe(), history.days),
        ..Default::default()
    };
    let read = history
        .read(&Filter {
            service: service.to_string(),
            since: since.as_millisecond(),
            until: until.as_millisecond(),
            cluster: cluster.clone(),
            kinds: kinds.iter().flatten().map(|k| k.to_string()).collect(),
            limit: MAX_EVENTS * 4,
        })
        .await;
    let active = match at {
        Some(at) => Some(
            history
                .of_kinds(
                    Some(service),
                    &["finding", "finding-cleared"],
                    crate::history::cutoff(at.as_millisecond(), history.days),
                    at.as_millisecond(),
                )
                .await,
        ),
        None => None,
    };
    let mut failure: Option<HistoryError> = None;
    match read {
        Ok(records) => {
            clusters.extend(
                records
                    .iter()
                    .filter(|r| !r.service.is_empty())
                    .map(|r| r.cluster.clone()),
            );
            let mut shown: Vec<TimelineEvent> = records
                .into_iter()
                // A cluster's own changes belong to the services that run there.
                .filter(|r| !r.service.is_empty() || clusters.contains(&r.cluster))
                .map(|r| TimelineEvent {
                    at: rfc3339(jiff::Timestamp::from_millisecond(r.at).unwrap_or(now)),
                    cluster: r.cluster,
                    kind: r.kind,
                    object: r.object,
                    rule: r.rule,
                    summary: r.summary,
                })
                .collect();
            out.truncated = shown.len() > MAX_EVENTS;
            shown.truncate(MAX_EVENTS);
            out.events = shown;
        }
        Err(e) => failure = Some(e),
    }
    match active {
        Some(Ok(past)) => {
            let mut open: BTreeMap<FindingKey, (i64, String)> = BTreeMap::new();
            for r in past {
                let key = (r.rule, r.cluster, r.object);
                if r.kind == "finding" {
                    open.entry(key).or_insert((r.at, r.summary));
                } else {
                    open.remove(&key);
                }
            }
            out.active = Some(
                open.into_iter()
                    .filter(|((_, c, _), _)| cluster.as_ref().is_none_or(|x| x == c))
                    .map(
                        |((rule, cluster, object), (since, summary))| ActiveFinding {
                            rule,
                            cluster,
                            object,
                            since: rfc3339(jiff::Timestamp::from_millisecond(since).unwrap_or(now)),
                            summary,
                        },
                    )
                    .collect(),
            );
        }
        Some(Err(e)) => failure = failure.or(Some(e)),
        None => {}
    }
    out.clusters = clusters.into_iter().collect();
    let health = history.health();
    out.unavailable = match (failure, health.unavailable) {
        (_, Some((since, why))) => Some(format!(
            "history unavailable since {}: {why}",
            rfc3339(jiff::Timestamp::from_millisecond(since).unwrap_or(now))
        )),
        (Some(e), None) => Some(format!("history unavailable since {}: {e}", rfc3339(now))),
        (None, None) => None,
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[(&str, &str)]) -> BTreeMap<FindingKey, (String, Option<i64>)> {
        items
            .iter()
            .map(|(rule, obj)| {
                (
                    (rule.to_string(), "prod-eu-1".to_string(), obj.to_string()),
                    (format!("{rule} on {obj}"), None),
                )
            })
            .collect()
    }

    fn kinds(got: &[Record]) -> Vec<(&str, &str, i64)> {
        got.iter()
            .map(|r| (r.kind.as_str(), r.rule.as_str(), r.at))
            .collect()
    }

    #[test]
    fn findings_appear_at_once_and_clear_once_settled() {
        let settle = 60_000;
        let first = set(&[
            ("crash-loop", "Deployment shop/cart"),
            ("hpa-at-max", "HorizontalPodAutoscaler shop/cart"),
        ]);
        let (got, open) = finding_events("cart", BTreeMap::new(), &first, 1_000, settle);
        assert_eq!(
            kinds(&got),
            [
                ("finding", "crash-loop", 1_000),
                ("finding", "hpa-at-max", 1_000)
            ]
        );
        assert!(got.iter().all(|r| r.window_ms == SEEN_WINDOW_MS));
        // The pod runs for a moment: crash-loop is missing, restarting found. Nothing clears yet.
        let flip = set(&[
            ("restarting", "Deployment shop/cart"),
            ("hpa-at-max", "HorizontalPodAutoscaler shop/cart"),
        ]);
        let (got, open) = finding_events("cart", open, &flip, 5_000, settle);
        assert_eq!(kinds(&got), [("finding", "restarting", 5_000)]);
        // Back in back-off before the minute is out: no flap.
        let (got, open) = finding_events("cart", open, &first, 20_000, settle);
        assert!(got.is_empty(), "{got:?}");
        // Mended: both crash findings go, and clear a minute later, dated when they went.
        let mended = set(&[("hpa-at-max", "HorizontalPodAutoscaler shop/cart")]);
        let (got, open) = finding_events("cart", open, &mended, 30_000, settle);
        assert!(got.is_empty(), "{got:?}");
        let (got, open) = finding_events("cart", open, &mended, 91_000, settle);
        assert_eq!(
            kinds(&got),
            [
                ("finding-cleared", "crash-loop", 30_000),
                ("finding-cleared", "restarting", 20_000)
            ]
        );
        assert_eq!(open.len(), 1);
        let (got, _) = finding_events("cart", open, &mended, 200_000, settle);
        assert!(got.is_empty());
    }

    #[test]
    fn times_are_rfc3339_or_spans_back() {
        let now: jiff::Timestamp = "2026-12-06T21:00:00Z".parse().unwrap_or_default();
        for (v, want) in [
            ("2026-12-06T20:00:00Z", "2026-12-06T20:00:00Z"),
            ("90m", "2026-12-06T19:30:00Z"),
            ("6h", "2026-12-06T15:00:00Z"),
            ("7d", "2026-11-29T21:00:00Z"),
        ] {
            assert_eq!(
                parse_time("since", v, now).map(rfc3339).as_deref(),
                Ok(want),
                "{v}"
            );
        }
        let bad = parse_time("since", "yesterday", now);
        assert!(matches!(bad, Err(TimelineError::BadQuery(m)) if m.contains("since=yesterday")));
    }
}
