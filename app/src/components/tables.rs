//! The services table of the catalog, team and system pages.

use super::badges::{HealthCell, LifecycleBadge};
use super::links::EntityRefLink;
use super::Tags;
use crate::model::{CatalogQuery, ServiceSummary};
use leptos::prelude::*;

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
                                    <td>{(!s.cluster_names.is_empty()).then(|| view! { <HealthCell health=s.health.clone() name=s.name.clone()/> })}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
