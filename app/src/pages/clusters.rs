//! `/clusters`: every cluster with its status, region, cached objects and last error.

use crate::api::list_clusters;
use crate::components::{ClusterStateBadge, Loading};
use crate::error::page_data;
use crate::live::{use_live, Live, LiveIndicator};
use crate::model::ClusterStatus;
use leptos::prelude::*;
use leptos_meta::Title;

/// The clusters table, kept live by `/api/v1/events`.
#[component]
fn LiveClusters(initial: Vec<ClusterStatus>) -> impl IntoView {
    let Live {
        data: live,
        link,
        since,
    } = use_live::<Vec<ClusterStatus>>(|| "/api/v1/events".to_string(), "clusters");
    let list = move || live.get().unwrap_or_else(|| initial.clone());
    view! {
        <div class="mb-2 flex justify-end"><LiveIndicator link/></div>
        <div class="overflow-x-auto">
            <table class="data-table" data-testid="clusters-table">
                <thead>
                    <tr>
                        <th scope="col">"Cluster"</th>
                        <th scope="col">"Region"</th>
                        <th scope="col">"Environment"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Pods"</th>
                        <th scope="col">"Workloads"</th>
                        <th scope="col">"Metrics"</th>
                        <th scope="col">"Last error"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || list().into_iter().map(|c| {
                        let count = |k: &str| c.objects.get(k).copied().unwrap_or(0);
                        let workloads = count("deployments") + count("statefulsets") + count("daemonsets") + count("cronjobs");
                        let (state, synced, changed) = (c.state, c.sync_age_seconds, c.change_age_seconds);
                        let fresh = move || crate::model::freshness(state, synced, changed, since.get());
                        view! {
                            <tr data-testid="cluster-row" data-cluster=c.name.clone()>
                                <td class="font-medium">
                                    // `rel=external`: a page the server makes (a full load).
                                    <a class="link" href=format!("/clusters/{}", crate::model::encode_component(&c.name)) rel="external" data-testid="cluster-link">{c.title.clone()}</a>
                                    {c.dashboard_url.clone().map(|u| view! { <a class="link ml-2 text-xs" href=u rel="noopener noreferrer">"dashboard"</a> })}
                                </td>
                                <td>{c.region.clone()}</td>
                                <td>{c.environment.clone()}</td>
                                <td>
                                    <ClusterStateBadge state=c.state/>
                                    <div class="text-xs text-muted" data-testid="freshness">{fresh}</div>
                                    {(!c.forbidden_kinds.is_empty()).then(|| view! {
                                        <div class="text-xs text-muted">{format!("may not read: {}", c.forbidden_kinds.join(", "))}</div>
                                    })}
                                    {(!c.hidden_namespaces.is_empty()).then(|| view! {
                                        <div class="text-xs text-muted" data-testid="hidden-namespaces">{format!("hidden namespaces: {}", c.hidden_namespaces.join(", "))}</div>
                                    })}
                                </td>
                                <td>{count("pods")}</td>
                                <td>{workloads}</td>
                                <td class="text-sm" data-testid="metrics">{c.metrics.clone()}</td>
                                <td class="max-w-md text-sm">{c.last_error.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The clusters page.
#[component]
pub fn ClustersPage() -> impl IntoView {
    let clusters = crate::codec::resource(|| (), |_| list_clusters());
    view! {
        <Title text="Clusters"/>
        <h1 class="mb-1 text-2xl font-semibold">"Clusters"</h1>
        <p class="mb-4 text-muted">"Every cluster Wayfinder watches, and how fresh its data is."</p>
        <Suspense fallback=Loading>
            {page_data(move || async move {
                    clusters.await.map(|list| if list.is_empty() {
                        view! {
                            <p data-testid="no-clusters" class="rounded border border-dashed p-8 text-center">
                                "No cluster is configured. Start Wayfinder with --kubeconfig, or list clusters in wayfinder.yaml."
                            </p>
                        }.into_any()
                    } else {
                        view! { <LiveClusters initial=list/> }.into_any()
                    })
                })}
        </Suspense>
    }
}
