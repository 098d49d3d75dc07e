//! `/`: the service catalog with search, filters and sorting, all kept in the query string.

use crate::api::list_services;
use crate::components::{Loading, ServiceTable};
use crate::error::page_data;
use crate::model::{CatalogQuery, FacetValue, ServiceList};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// Sets one query-string key (empty removes it); `replace` keeps typing out of the history.
type SetParam = Callback<(&'static str, String, bool)>;

/// The catalog page.
#[component]
pub fn CatalogPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        CatalogQuery::from_params(|k| map.get(k))
    });
    let services = crate::codec::resource(move || query.get(), list_services);
    let navigate = use_navigate();
    let set_param: SetParam =
        Callback::new(move |(key, value, replace): (&'static str, String, bool)| {
            let mut map = query_map.get_untracked();
            map.remove(key);
            // A new filter or search starts again on the first page.
            map.remove("page");
            if !value.is_empty() {
                map.insert(key, value);
            }
            navigate(
                &format!("/{}", map.to_query_string()),
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            );
        });

    view! {
        <Title text="Service catalog"/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-4">
            <div>
                <h1 class="text-2xl font-semibold">"Service catalog"</h1>
                <p class="text-muted">"Every service from the teams' catalog-info.yaml descriptors, and those found only in the clusters."</p>
            </div>
        </div>
        <div role="search" class="mb-4">
            <label for="catalog-search" class="sr-only">"Search services"</label>
            <input
                id="catalog-search"
                data-testid="search"
                type="search"
                autocomplete="off"
                class="input w-full max-w-xl"
                placeholder="Search by name, owner, system, tag…  (press /)"
                prop:value=move || query.read().q.clone()
                on:input=move |ev| set_param.run(("q", event_target_value(&ev), true))
            />
        </div>
        <Transition fallback=Loading>
            {page_data(move || async move {
                    services
                        .await
                        .map(|list| catalog_results(list, query.get_untracked(), set_param).into_any())
                })}
        </Transition>
    }
}

fn catalog_results(list: ServiceList, q: CatalogQuery, set_param: SetParam) -> impl IntoView {
    let filters = view! {
        <div class="mb-4 flex flex-wrap items-end gap-3" aria-label="Filters" role="group">
            {filter_select("Owner", "owner", list.facets.owners.clone(), q.owner.clone(), set_param)}
            {filter_select("System", "system", list.facets.systems.clone(), q.system.clone(), set_param)}
            {filter_select("Lifecycle", "lifecycle", list.facets.lifecycles.clone(), q.lifecycle.clone(), set_param)}
            {filter_select("Type", "type", list.facets.types.clone(), q.kind.clone(), set_param)}
            {filter_select("Tag", "tag", list.facets.tags.clone(), q.tag.clone(), set_param)}
            {(!list.facets.regions.is_empty()).then(|| filter_select("Region", "region", list.facets.regions.clone(), q.region.clone(), set_param))}
            {(!list.facets.clusters.is_empty()).then(|| filter_select("Cluster", "cluster", list.facets.clusters.clone(), q.cluster.clone(), set_param))}
            {(list.facets.origins.len() > 1 || !q.origin.is_empty()).then(|| filter_select("Source", "origin", list.facets.origins.clone(), q.origin.clone(), set_param))}
            {(!list.facets.regions.is_empty()).then(|| filter_select("Health", "health", list.facets.health.clone(), q.health.clone(), set_param))}
            {q.is_filtered().then(|| view! {
                <a href="/" class="link pb-2" data-testid="clear-filters">"Clear filters"</a>
            })}
        </div>
    };
    let problems = (list.problem_count > 0).then(|| {
        let n = list.problem_count;
        view! {
            <p class="mb-4 rounded border border-amber-300 bg-amber-50 p-3 text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="problems-banner">
                {format!("{n} problem{} in the descriptor files. ", if n == 1 { "" } else { "s" })}
                <a class="link" href="/catalog/problems">"See the catalog problems"</a>
            </p>
        }
    });
    let body = if list.total == 0 {
        view! {
            <div data-testid="empty-catalog" class="rounded border border-dashed p-8 text-center">
                <p class="font-semibold">"The catalog is empty."</p>
                <p class="text-muted">"Add catalog-info.yaml files under a path given with --catalog or in wayfinder.yaml."</p>
            </div>
        }
        .into_any()
    } else if list.items.is_empty() {
        view! {
            <div data-testid="no-match" class="rounded border border-dashed p-8 text-center">
                <p class="font-semibold">"No service matches these filters."</p>
                <p><a class="link" href="/">"Clear filters"</a></p>
            </div>
        }
        .into_any()
    } else {
        view! { <ServiceTable items=list.items.clone() sort=q.clone()/> }.into_any()
    };
    let count = if list.pages > 1 && !list.items.is_empty() {
        let first = (list.page - 1) * list.limit + 1;
        let last = first + list.items.len() - 1;
        format!(
            "{} of {} services, showing {first}–{last}",
            list.matched, list.total
        )
    } else {
        format!("{} of {} services", list.matched, list.total)
    };
    view! {
        {filters}
        {problems}
        <p class="mb-2 text-sm text-muted" data-testid="result-count" aria-live="polite">{count}</p>
        {body}
        {pager(&list, &q)}
    }
}

/// Previous / next links when the matching services fill more than one page.
fn pager(list: &ServiceList, q: &CatalogQuery) -> Option<impl IntoView> {
    (list.pages > 1).then(|| {
        let link = |page: usize, label: &'static str, rel: &'static str| {
            let href = format!("/{}", q.on_page(page).to_query_string());
            view! { <a class="link" href=href rel=rel data-testid=format!("page-{rel}")>{label}</a> }
        };
        view! {
            <nav class="mt-3 flex items-center gap-4 text-sm" aria-label="Pages" data-testid="pager">
                {(list.page > 1).then(|| link(list.page - 1, "← Previous", "prev"))}
                <span class="text-muted">{format!("Page {} of {}", list.page, list.pages)}</span>
                {(list.page < list.pages).then(|| link(list.page + 1, "Next →", "next"))}
            </nav>
        }
    })
}

fn filter_select(
    label: &'static str,
    key: &'static str,
    options: Vec<FacetValue>,
    current: String,
    set_param: SetParam,
) -> impl IntoView {
    let id = format!("filter-{key}");
    // A value in the URL that no service has any more still shows, so the user sees why the list is empty.
    let stale = (!current.is_empty()
        && !options
            .iter()
            .any(|o| o.value.eq_ignore_ascii_case(&current)))
    .then(|| current.clone());
    view! {
        <div class="flex flex-col">
            <label for=id.clone() class="text-xs font-medium text-muted">{label}</label>
            <select
                id=id.clone()
                data-testid=id
                class="input"
                on:change=move |ev| set_param.run((key, event_target_value(&ev), false))
            >
                <option value="" selected=current.is_empty()>"All"</option>
                {stale.map(|v| view! { <option value=v.clone() selected=true>{format!("{v} (0)")}</option> })}
                {options
                    .into_iter()
                    .map(|FacetValue { value, count }| {
                        let selected = value.eq_ignore_ascii_case(&current);
                        view! { <option value=value.clone() selected=selected>{format!("{value} ({count})")}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
