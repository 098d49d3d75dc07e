//! Small building blocks shared by the pages.

use crate::model::{CatalogQuery, EntityLink, ServiceSummary};
use leptos::prelude::*;
use leptos_meta::Title;

/// A link to another entity's page, or plain text (flagged) when the reference dangles.
#[component]
pub fn EntityRefLink(link: EntityLink) -> impl IntoView {
    match link.href() {
        Some(href) => view! {
            <a class="link" href=href title=link.entity_ref.clone()>{link.title}</a>
        }
        .into_any(),
        None if link.exists => view! { <span title=link.entity_ref.clone()>{link.title}</span> }.into_any(),
        None => view! {
            <span class="text-amber-800 dark:text-amber-300" title=format!("{} is not in the catalog", link.entity_ref)>
                {link.title}
                <span class="sr-only">" (not in the catalog)"</span>
            </span>
        }
        .into_any(),
    }
}

/// A comma-separated list of entity links, or a dash when empty.
#[component]
pub fn EntityLinks(links: Vec<EntityLink>) -> impl IntoView {
    if links.is_empty() {
        return view! { <span class="text-muted">"—"</span> }.into_any();
    }
    view! {
        <ul class="flex flex-wrap gap-x-3 gap-y-1">
            {links.into_iter().map(|l| view! { <li><EntityRefLink link=l/></li> }).collect_view()}
        </ul>
    }
    .into_any()
}

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

/// Tags as small chips.
#[component]
pub fn Tags(tags: Vec<String>) -> impl IntoView {
    view! {
        <ul class="flex flex-wrap gap-1" aria-label="Tags">
            {tags
                .into_iter()
                .map(|t| view! { <li class="chip">{t}</li> })
                .collect_view()}
        </ul>
    }
}

/// The services table of the catalog, team and system pages; sortable when given the current query.
#[component]
pub fn ServiceTable(
    items: Vec<ServiceSummary>,
    /// The catalog query, when the headers should sort.
    #[prop(optional)]
    sort: Option<CatalogQuery>,
) -> impl IntoView {
    let header = move |column: &'static str, label: &'static str| match &sort {
        Some(q) => {
            let active = q.sort_column() == column;
            let aria = if !active {
                "none"
            } else if q.descending() {
                "descending"
            } else {
                "ascending"
            };
            let arrow = match aria {
                "ascending" => " ▲",
                "descending" => " ▼",
                _ => "",
            };
            let href = format!("/{}", q.sorted_by(column).to_query_string());
            view! {
                <th scope="col" aria-sort=aria>
                    <a href=href data-testid=format!("sort-{column}") class="hover:underline">
                        {label}
                        <span aria-hidden="true">{arrow}</span>
                    </a>
                </th>
            }
            .into_any()
        }
        None => view! { <th scope="col">{label}</th> }.into_any(),
    };
    view! {
        <div class="overflow-x-auto">
            <table class="data-table" data-testid="service-table">
                <thead>
                    <tr>
                        {header("name", "Service")}
                        {header("owner", "Owner")}
                        {header("system", "System")}
                        {header("lifecycle", "Lifecycle")}
                        {header("type", "Type")}
                        <th scope="col">"Tags"</th>
                        <th scope="col">"Runs in"</th>
                        <th scope="col">"Health"</th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|s| {
                            let href = format!("/services/{}", s.name);
                            view! {
                                <tr data-testid="catalog-row" data-service=s.name.clone()>
                                    <td>
                                        <a class="link font-medium" href=href>{s.title.clone()}</a>
                                        {s.discovered.then(|| view! { <span class="badge ml-2 bg-violet-100 text-violet-900 dark:bg-violet-900 dark:text-violet-100" data-testid="discovered-badge" title="Found in clusters; no catalog-info.yaml describes it">"discovered"</span> })}
                                        {(s.title != s.name).then(|| view! { <div class="text-xs text-muted">{s.name.clone()}</div> })}
                                        <div class="text-sm text-muted line-clamp-1 max-w-md">{s.description.clone()}</div>
                                    </td>
                                    <td>{s.owner.map(|o| view! { <EntityRefLink link=o/> })}</td>
                                    <td>{s.system.map(|o| view! { <EntityRefLink link=o/> })}</td>
                                    <td><LifecycleBadge lifecycle=s.lifecycle/></td>
                                    <td>{s.kind}</td>
                                    <td><Tags tags=s.tags/></td>
                                    <td data-testid="runs-in" class="text-sm">
                                        {if s.cluster_names.is_empty() {
                                            view! { <span class="text-muted">"—"</span> }.into_any()
                                        } else {
                                            view! {
                                                <div title=s.cluster_names.join(", ")>{format!("{} cluster{}", s.cluster_names.len(), if s.cluster_names.len() == 1 { "" } else { "s" })}</div>
                                                <div class="text-xs text-muted">{s.regions.join(", ")}</div>
                                            }.into_any()
                                        }}
                                    </td>
                                    <td>{(!s.cluster_names.is_empty()).then(|| view! { <crate::pages::errors_tab::HealthCell health=s.health.clone() name=s.name.clone()/> })}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The 404 page; sets the HTTP status during server rendering.
#[component]
pub fn NotFound(
    /// What was not found, in words.
    #[prop(into)]
    what: String,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <section data-testid="not-found" class="py-16 text-center">
            <p class="text-6xl font-bold text-muted">"404"</p>
            <h1 class="mt-4 text-2xl font-semibold">"Not found"</h1>
            <p class="mt-2">{what}</p>
            <p class="mt-6"><a class="link" href="/">"Back to the catalog"</a></p>
        </section>
    }
}

/// "Loading…" placeholder for suspended data.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="text-muted" aria-live="polite">"Loading…"</p> }
}
