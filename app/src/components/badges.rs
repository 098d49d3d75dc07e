//! Coloured words for states: lifecycle, cluster, health, severity, autoscaling; each carries a
//! `data-*` attribute with its id for tests and for users' own tooling.

use crate::model::{ClusterState, Health, HealthSummary, ScaleStatus, Severity};
use leptos::prelude::*;

/// A lifecycle shown as a coloured badge, so deprecated services stand out.
#[component]
pub fn LifecycleBadge(lifecycle: String) -> impl IntoView {
    let colour = match lifecycle.as_str() {
        "production" => "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100",
        "experimental" => "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
        "deprecated" => "bg-rose-100 text-rose-900 dark:bg-rose-900 dark:text-rose-100",
        _ => "bg-slate-100 text-slate-900 dark:bg-slate-700 dark:text-slate-100",
    };
    view! { <span class=format!("badge {colour}")>{lifecycle}</span> }
}

/// A cluster's state as a coloured badge, with words for screen readers and colour-blind users.
#[component]
pub fn ClusterStateBadge(state: ClusterState) -> impl IntoView {
    let colour = match state {
        ClusterState::Synced => {
            "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100"
        }
        ClusterState::Connecting => {
            "bg-slate-100 text-slate-900 dark:bg-slate-700 dark:text-slate-100"
        }
        ClusterState::Stale | ClusterState::Forbidden => {
            "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100"
        }
        ClusterState::Unreachable | ClusterState::Unauthorized => {
            "bg-rose-100 text-rose-900 dark:bg-rose-900 dark:text-rose-100"
        }
    };
    view! { <span class=format!("badge {colour}") data-testid="cluster-state" data-state=state.id()>{state.id()}</span> }
}

/// A workload's or pod's health as a coloured word.
#[component]
pub fn HealthBadge(health: Health) -> impl IntoView {
    let colour = match health {
        Health::Healthy => {
            "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100"
        }
        Health::Progressing | Health::Idle => {
            "bg-slate-100 text-slate-900 dark:bg-slate-700 dark:text-slate-100"
        }
        Health::Degraded => "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
        Health::Failing => "bg-rose-100 text-rose-900 dark:bg-rose-900 dark:text-rose-100",
    };
    view! { <span class=format!("badge {colour}") data-testid="health" data-health=health.id()>{health.id()}</span> }
}

/// A severity as a coloured word.
#[component]
pub fn SeverityBadge(severity: Severity) -> impl IntoView {
    let colour = match severity {
        Severity::Critical => "bg-rose-700 text-white dark:bg-rose-600",
        Severity::Error => "bg-rose-100 text-rose-900 dark:bg-rose-900 dark:text-rose-100",
        Severity::Warning => "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
        Severity::Info => "bg-slate-100 text-slate-900 dark:bg-slate-700 dark:text-slate-100",
    };
    view! { <span class=format!("badge {colour}") data-testid="severity" data-severity=severity.id()>{severity.id()}</span> }
}

/// An autoscaling status's colours: (badge classes, SVG fill for gauges and charts).
pub fn scale_colour(status: ScaleStatus) -> (&'static str, &'static str) {
    match status {
        ScaleStatus::AtMax => (
            "bg-rose-100 text-rose-900 dark:bg-rose-900 dark:text-rose-100",
            "#e11d48",
        ),
        ScaleStatus::NearMax => (
            "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
            "#d97706",
        ),
        ScaleStatus::Inactive => (
            "bg-slate-200 text-slate-900 dark:bg-slate-700 dark:text-slate-100",
            "#64748b",
        ),
        ScaleStatus::Ok | ScaleStatus::AtMin => (
            "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100",
            "#059669",
        ),
    }
}

/// An autoscaler's status as a coloured word.
#[component]
pub fn ScaleBadge(status: ScaleStatus) -> impl IntoView {
    view! { <span class=format!("badge {}", scale_colour(status).0) data-testid="scale-status" data-status=status.id()>{status.id()}</span> }
}

/// A service's health in one cell: the worst finding and, when it matters, the autoscaling status.
#[component]
pub fn HealthCell(health: HealthSummary, name: String) -> impl IntoView {
    let scaling = health.scaling.filter(|s| {
        matches!(
            s,
            ScaleStatus::AtMax | ScaleStatus::NearMax | ScaleStatus::Inactive
        )
    });
    view! {
        <span class="inline-flex flex-wrap items-center gap-1" data-testid="health-cell" data-worst=health.worst.map(|w| w.id()).unwrap_or("none")>
            {match health.worst {
                Some(w) => {
                    let n: usize = health.counts.values().sum();
                    view! {
                        <a href=format!("/services/{name}/errors") class="inline-flex items-center gap-1">
                            <SeverityBadge severity=w/>
                            <span class="text-xs text-muted">{format!("{n} finding{}", if n == 1 { "" } else { "s" })}</span>
                        </a>
                    }.into_any()
                }
                None => view! { <span class="text-xs text-muted">"no findings"</span> }.into_any(),
            }}
            {scaling.map(|s| view! { <a href=format!("/services/{name}/autoscaling")><ScaleBadge status=s/></a> })}
        </span>
    }
}
