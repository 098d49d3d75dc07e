//! `/errors`: every finding in the fleet, filterable by team, cluster, region, severity and rule,
//! kept live.

use crate::api::list_errors;
use crate::components::Loading;
use crate::error::page_data;
use crate::live::{use_live, Live, LiveIndicator};
use crate::model::{ErrorList, ErrorQuery, FacetValue};
use crate::pages::errors_tab::grouped;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use std::collections::BTreeSet;

/// The fleet's error list.
#[component]
pub fn ErrorsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        ErrorQuery::from_params(|k| map.get(k))
    });
    let errors = crate::codec::resource(move || query.get(), list_errors);
    view! {
        <Title text="Errors"/>
        <h1 class="mb-1 text-2xl font-semibold">"Errors"</h1>
        <p class="mb-4 text-muted">"Every problem Wayfinder finds in the watched clusters, worst first."</p>
        <Transition fallback=Loading>
            {page_data(move || async move {
                    errors.await.map(|list| view! { <LiveErrors initial=list query=query.get_untracked()/> }.into_any())
                })}
        </Transition>
    }
}

#[component]
fn LiveErrors(initial: ErrorList, query: ErrorQuery) -> impl IntoView {
    let q = query.clone();
    let Live {
        data: live, link, ..
    } = use_live::<ErrorList>(
        move || format!("/api/v1/errors/events{}", q.with("", "")),
        "errors",
    );
    let facets = initial.clone();
    let initial = StoredValue::new(initial);
    let open = RwSignal::new(BTreeSet::<String>::new());
    crate::pages::errors_tab::LogCache::provide();
    let navigate = use_navigate();
    let list = move || live.get().unwrap_or_else(|| initial.get_value());
    let select = |label: &'static str,
                  key: &'static str,
                  options: Vec<FacetValue>,
                  current: String| {
        let q = query.clone();
        let navigate = navigate.clone();
        let id = format!("errors-filter-{key}");
        let stale = (!current.is_empty() && !options.iter().any(|o| o.value == current))
            .then(|| current.clone());
        view! {
            <div class="flex flex-col">
                <label for=id.clone() class="text-xs font-medium text-muted">{label}</label>
                <select id=id.clone() data-testid=id class="input" on:change=move |ev| {
                    navigate(&format!("/errors{}", q.with(key, &event_target_value(&ev))), NavigateOptions { scroll: false, ..Default::default() });
                }>
                    <option value="" selected=current.is_empty()>"All"</option>
                    {stale.map(|v| view! { <option value=v.clone() selected=true>{format!("{v} (0)")}</option> })}
                    {options.into_iter().map(|o| {
                        let selected = o.value == current;
                        view! { <option value=o.value.clone() selected=selected>{format!("{} ({})", o.value, o.count)}</option> }
                    }).collect_view()}
                </select>
            </div>
        }
    };
    let filters = view! {
        <div class="mb-4 flex flex-wrap items-end gap-3" role="group" aria-label="Filters">
            {select("Team", "team", facets.teams.clone(), query.team.clone())}
            {select("Region", "region", facets.regions.clone(), query.region.clone())}
            {select("Cluster", "cluster", facets.clusters.clone(), query.cluster.clone())}
            {select("Severity (and worse)", "severity", facets.severities.clone(), query.severity.clone())}
            {select("Rule", "rule", facets.rules.clone(), query.rule.clone())}
            {(query != ErrorQuery::default()).then(|| view! { <a href="/errors" class="link pb-2" data-testid="clear-filters">"Clear filters"</a> })}
        </div>
    };
    view! {
        <div class="mb-2 flex justify-end"><LiveIndicator link/></div>
        {filters}
        {move || {
            let l = list();
            let n = l.items.len();
            view! {
                <p class="mb-3 text-sm text-muted" data-testid="error-count" aria-live="polite">{format!("{n} of {} findings", l.total)}</p>
                {if n == 0 {
                    view! { <p class="rounded border border-dashed p-8 text-center" data-testid="no-errors">"No finding matches these filters."</p> }.into_any()
                } else {
                    grouped(l.items, open, true).into_any()
                }}
            }
        }}
    }
}
