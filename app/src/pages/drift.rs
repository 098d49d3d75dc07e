//! The Clusters tab's drift table: what differs between the clusters of one environment that run
//! the same workload, the odd values highlighted. Made on the server ([`html`], its one home) from
//! the service's `drift` and carried to the tab as [`crate::model::ServiceDetail::clusters_html`]: the
//! browser bundle holds none of it.

#[cfg(feature = "ssr")]
use crate::model::{DriftRow, ServiceCluster};

/// The drift section's HTML (every string escaped by the view macro): one table per environment
/// whose clusters differ, a sentence saying they agree when several clusters run the service and
/// none differ, nothing when it runs in one cluster.
#[cfg(feature = "ssr")]
pub fn html(rows: &[DriftRow], clusters: &[ServiceCluster]) -> String {
    use leptos::prelude::*;
    use leptos::tachys::view::RenderHtml;
    use std::collections::{BTreeMap, BTreeSet};
    if clusters.len() < 2 {
        return String::new();
    }
    let title = view! { <h2 id="drift-title" class="mb-2 mt-8 text-xl font-semibold">"What differs between clusters"</h2> };
    if rows.is_empty() {
        return view! {
            <section aria-labelledby="drift-title" data-testid="drift">
                {title}
                <p class="text-sm text-muted" data-testid="drift-none">"Its clusters agree: the same images, replicas, autoscaler bounds and targets, requests and limits, env var names and ConfigMaps in each environment."</p>
            </section>
        }
        .to_html();
    }
    let mut by_env: BTreeMap<&str, Vec<&DriftRow>> = BTreeMap::new();
    for r in rows {
        by_env.entry(r.environment.as_str()).or_default().push(r);
    }
    let tables = by_env
        .into_iter()
        .map(|(env, rows)| {
            let names: Vec<String> = rows
                .iter()
                .flat_map(|r| r.values.iter().map(|v| v.cluster.clone()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let head = names
                .iter()
                .map(|c| view! { <th scope="col">{c.clone()}</th> })
                .collect_view();
            let body = rows
                .iter()
                .map(|r| {
                    let cells = names
                        .iter()
                        .map(|c| match r.values.iter().find(|v| &v.cluster == c) {
                            Some(v) if v.odd => view! {
                                <td class="bg-amber-100 font-mono text-xs font-semibold text-amber-900 dark:bg-amber-900 dark:text-amber-100" data-testid="drift-odd">
                                    {v.value.clone()}<span class="sr-only">" (differs from the others)"</span>
                                </td>
                            }
                            .into_any(),
                            Some(v) => view! { <td class="font-mono text-xs">{v.value.clone()}</td> }.into_any(),
                            None => view! { <td class="text-muted" title="Not running there">"—"</td> }.into_any(),
                        })
                        .collect_view();
                    view! {
                        <tr data-testid="drift-row">
                            <td class="whitespace-nowrap">{format!("{} in {}", r.workload, r.namespace)}</td>
                            <td class="whitespace-nowrap">{r.aspect.clone()}</td>
                            {cells}
                        </tr>
                    }
                })
                .collect_view();
            let caption = format!("{env}: {} clusters compared", names.len());
            view! {
                <div class="mb-4 overflow-x-auto">
                    <table class="data-table" data-testid="drift-table" data-environment=env.to_string()>
                        <caption class="text-left text-sm text-muted">{caption}</caption>
                        <thead><tr><th scope="col">"Workload"</th><th scope="col">"What"</th>{head}</tr></thead>
                        <tbody>{body}</tbody>
                    </table>
                </div>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="drift-title" data-testid="drift">
            {title}
            <p class="mb-2 text-sm text-muted">"Clusters are compared within their environment. Highlighted: a value fewer clusters hold than the most common one. Env vars and ConfigMaps by name only."</p>
            {tables}
        </section>
    }
    .to_html()
}
