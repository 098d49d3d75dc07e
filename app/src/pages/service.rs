//! `/services/:name[/:tab]`: one service's page with its tabs.

use crate::api::{clusters_configured, get_service};
use crate::components::{
    EntityLinks, EntityRefLink, HealthCell, LifecycleBadge, Loading, ScaleBadge, Tags,
};
use crate::error::{page_data, AppError, Entity};
use crate::live::{use_live, Live, LiveIndicator};
use crate::model::{ServiceDetail, ServicePart};
use crate::pages::autoscaling_tab::autoscaling_tab;
use crate::pages::cluster_map::cluster_map;
use crate::pages::errors_tab::errors_tab;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The tabs of a service page, each its own bookmarkable path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Clusters,
    Errors,
    Autoscaling,
}

/// The service page's sections, by [`Tab`] order, as (path after the service's, label); the
/// timeline is a page the server makes ([`super::made::MadePage`]).
const SECTIONS: [(&str, &str); 5] = [
    ("", "Overview"),
    ("/clusters", "Clusters"),
    ("/errors", "Errors"),
    ("/autoscaling", "Autoscaling"),
    ("/timeline", "Timeline"),
];

impl Tab {
    /// The tab for a path segment; `None` for an unknown one (a 404).
    pub fn from_segment(segment: Option<&str>) -> Option<Self> {
        match segment {
            None | Some("") => Some(Tab::Overview),
            Some("clusters") => Some(Tab::Clusters),
            Some("errors") => Some(Tab::Errors),
            Some("autoscaling") => Some(Tab::Autoscaling),
            Some(_) => None,
        }
    }

    /// What the tab shows of the service, all the server sends for it.
    fn part(self) -> ServicePart {
        match self {
            Tab::Overview => ServicePart::Overview,
            Tab::Clusters => ServicePart::Clusters,
            Tab::Errors => ServicePart::Errors,
            Tab::Autoscaling => ServicePart::Autoscaling,
        }
    }

    fn label(self) -> &'static str {
        SECTIONS[self as usize].1
    }
}

/// The service page.
#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let tab = Memo::new(move |_| Tab::from_segment(params.read().get("tab").as_deref()));
    let service = crate::codec::resource(
        move || {
            (
                name.get(),
                tab.get().map_or(ServicePart::Overview, Tab::part),
            )
        },
        |(name, part)| get_service(name, part),
    );
    let clusters = crate::codec::resource(|| (), |_| clusters_configured());
    view! {
        <Suspense fallback=Loading>
            {page_data(move || async move {
                    let tab = tab.get();
                    let s = service.await?;
                    let tab = tab.ok_or(AppError::NotFound(Entity::Tab))?;
                    let clusters = clusters.await.unwrap_or(0);
                    Ok::<_, AppError>(service_view(s, tab, clusters).into_any())
                })}
        </Suspense>
    }
}

fn service_view(s: ServiceDetail, tab: Tab, clusters: usize) -> impl IntoView {
    view! { <LiveService initial=s tab clusters/> }
}

/// The service page's content, replaced whole by each message of the service's live stream.
#[component]
fn LiveService(initial: ServiceDetail, tab: Tab, clusters: usize) -> impl IntoView {
    let name = initial.summary.name.clone();
    let url_name = name.clone();
    let Live {
        data: live,
        link,
        since,
    } = use_live::<ServiceDetail>(
        move || {
            format!(
                "/api/v1/services/{}/events",
                crate::model::encode_component(&url_name)
            )
        },
        "service",
    );
    // The findings the user expanded and the clusters they opened or closed, kept across live
    // updates (each re-renders the tab).
    let open = RwSignal::new(std::collections::BTreeSet::<String>::new());
    crate::pages::errors_tab::LogCache::provide();
    let title = initial.summary.title.clone();
    // Shared, not copied, by every part of the page that reads it (a service with hundreds of pods
    // is a large value, and the server renders thousands of these pages a second).
    let initial = StoredValue::new(std::sync::Arc::new(initial));
    let detail = move || {
        live.with(|l| l.clone().map(std::sync::Arc::new))
            .unwrap_or_else(|| initial.get_value())
    };
    let tabs = SECTIONS
        .into_iter()
        .enumerate()
        .map(|(i, (path, label))| {
            let current = i == tab as usize;
            view! {
                <a
                    href=format!("/services/{name}{path}")
                    class=if current { "tab tab-active" } else { "tab" }
                    aria-current=current.then_some("page")
                    data-testid=format!("tab-{}", label.to_ascii_lowercase())
                >
                    {label}
                </a>
            }
        })
        .collect_view();
    view! {
        <Title text=title/>
        {move || header(&detail(), link)}
        <nav aria-label="Service sections" class="mb-6 flex gap-1 border-b">{tabs}</nav>
        <section data-testid=format!("tab-panel-{}", tab.label().to_ascii_lowercase())>
            {move || {
                let s = detail();
                match tab {
                    Tab::Overview => overview(&s).into_any(),
                    _ if clusters == 0 => cluster_tab(tab, clusters).into_any(),
                    // The map, custom resources, drift and rollout history, made on the server
                    // (first load and live messages alike), then the detailed tables.
                    Tab::Clusters => view! {
                        <div inner_html=s.clusters_html.clone().unwrap_or_default()></div>
                        {cluster_map(s.summary.name.clone(), s.clusters.clone(), clusters, since, open)}
                    }
                    .into_any(),
                    Tab::Errors => errors_tab(&s, open).into_any(),
                    Tab::Autoscaling => autoscaling_tab(&s).into_any(),
                }
            }}
        </section>
    }
}

fn header(s: &ServiceDetail, link: RwSignal<crate::live::Link>) -> impl IntoView {
    let name = s.summary.name.clone();
    let title = s.summary.title.clone();
    let runs_in = if s.clusters.is_empty() {
        "—".to_string()
    } else {
        let regions: std::collections::BTreeSet<&str> =
            s.clusters.iter().map(|c| c.region.as_str()).collect();
        format!(
            "{} cluster{} · {}",
            s.clusters.len(),
            if s.clusters.len() == 1 { "" } else { "s" },
            regions.into_iter().collect::<Vec<_>>().join(", ")
        )
    };
    let discovered = s.summary.discovered.then(|| {
        view! { <span class="badge bg-violet-100 text-violet-900 dark:bg-violet-900 dark:text-violet-100 ml-2 align-middle text-sm" data-testid="discovered-badge" title="Found in clusters; no catalog-info.yaml describes it">"discovered"</span> }
    });
    view! {
        <header class="mb-6" data-testid="service-header">
            <div class="flex items-center justify-between">
                <p class="text-sm text-muted"><a class="link" href="/">"Catalog"</a>" / "{name.clone()}</p>
                <LiveIndicator link/>
            </div>
            <h1 class="mt-1 text-3xl font-semibold" data-testid="service-title">{title}{discovered}</h1>
            <p class="mt-2 max-w-3xl">{s.summary.description.clone()}</p>
            <dl class="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-6">
                <div>
                    <dt class="text-xs font-medium text-muted">"Owner"</dt>
                    <dd data-testid="service-owner">{s.summary.owner.clone().map(|o| view! { <EntityRefLink link=o/> })}</dd>
                </div>
                <div>
                    <dt class="text-xs font-medium text-muted">"System"</dt>
                    <dd>{s.summary.system.clone().map(|o| view! { <EntityRefLink link=o/> })}</dd>
                </div>
                <div>
                    <dt class="text-xs font-medium text-muted">"Lifecycle"</dt>
                    <dd><LifecycleBadge lifecycle=s.summary.lifecycle.clone()/></dd>
                </div>
                <div>
                    <dt class="text-xs font-medium text-muted">"Type"</dt>
                    <dd>{s.summary.kind.clone()}</dd>
                </div>
                <div>
                    <dt class="text-xs font-medium text-muted">"Runs in"</dt>
                    <dd data-testid="service-runs-in">{runs_in}</dd>
                </div>
                <div>
                    <dt class="text-xs font-medium text-muted">"Health"</dt>
                    <dd><HealthCell health=s.summary.health.clone() name=name.clone()/></dd>
                </div>
            </dl>
            <div class="mt-3"><Tags tags=s.summary.tags.clone()/></div>
        </header>
    }
}

fn overview(s: &ServiceDetail) -> impl IntoView {
    let links = s.links.clone();
    let k8s = s.kubernetes.clone();
    let selector = match (&k8s.label_selector, &k8s.id) {
        (Some(sel), _) => format!("label selector {sel}"),
        (None, Some(id)) => format!("backstage.io/kubernetes-id={id}"),
        (None, None) => format!(
            "backstage.io/kubernetes-id, app.kubernetes.io/name or app = {} (no annotation)",
            s.summary.name
        ),
    };
    let name = s.summary.name.clone();
    let counts = s.summary.health.counts.clone();
    let count = move |sev: &str| counts.get(sev).copied().unwrap_or(0);
    let severities = ["critical", "error", "warning", "info"]
        .into_iter()
        .map(|sev| {
            let n = count(sev);
            view! {
                <a class="flex flex-col items-center rounded border p-2 hover:bg-slate-50 dark:hover:bg-slate-800"
                   href=format!("/services/{name}/errors?severity={sev}") data-testid=format!("count-{sev}")>
                    <span class="text-2xl font-semibold">{n}</span>
                    <span class="text-xs text-muted">{sev}</span>
                </a>
            }
        })
        .collect_view();
    let scaling = s.summary.health.scaling;
    let weeks = s.deploys_per_week.clone();
    let most = weeks.iter().map(|w| w.count).max().unwrap_or(0).max(1);
    view! {
        <div class="grid gap-6 md:grid-cols-2">
            <div class="card" data-testid="overview-health">
                <h2 class="card-title">"Health"</h2>
                {if s.clusters.is_empty() {
                    view! { <p class="text-muted">"Not running in any watched cluster."</p> }.into_any()
                } else {
                    view! {
                        <div class="grid grid-cols-4 gap-2">{severities}</div>
                        <p class="mt-3 text-sm">
                            "Autoscaling: "
                            {match scaling {
                                Some(st) => view! { <a class="link" href=format!("/services/{}/autoscaling", s.summary.name)><ScaleBadge status=st/></a> }.into_any(),
                                None => view! { <span class="text-muted">"no autoscaler (fixed replicas)"</span> }.into_any(),
                            }}
                        </p>
                    }.into_any()
                }}
            </div>
            <div class="card" data-testid="deploys-per-week">
                <h2 class="card-title">"Deploys per week"</h2>
                {if weeks.is_empty() {
                    view! { <p class="text-muted">"No Deployment in the watched clusters."</p> }.into_any()
                } else {
                    view! {
                        <ul class="flex h-24 items-end gap-3" aria-label="Deploys in each of the last four weeks">
                            {weeks.into_iter().map(|w| {
                                let h = 8 + 64 * w.count / most;
                                view! {
                                    <li class="flex flex-1 flex-col items-center" data-testid="deploy-week">
                                        <span class="text-xs">{w.count}</span>
                                        <span class="w-full rounded-t bg-sky-600" style=format!("height: {h}px") aria-hidden="true"></span>
                                        <span class="text-xs text-muted">{format!("from {}", w.week_start)}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </div>
            <div class="card">
                <h2 class="card-title">"Links"</h2>
                {if links.is_empty() {
                    view! { <p class="text-muted">"No links in the descriptor."</p> }.into_any()
                } else {
                    view! {
                        <ul class="space-y-1" data-testid="service-links">
                            {links.into_iter().map(|l| view! {
                                <li><a class="link" href=l.url.clone() rel="noopener noreferrer">{l.title}</a></li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </div>
            <div class="card">
                <h2 class="card-title">"APIs and dependencies"</h2>
                <dl class="space-y-2">
                    <div><dt class="text-xs font-medium text-muted">"Provides"</dt><dd><EntityLinks links=s.provides_apis.clone()/></dd></div>
                    <div><dt class="text-xs font-medium text-muted">"Consumes"</dt><dd><EntityLinks links=s.consumes_apis.clone()/></dd></div>
                    <div><dt class="text-xs font-medium text-muted">"Depends on"</dt><dd><EntityLinks links=s.depends_on.clone()/></dd></div>
                </dl>
            </div>
            <div class="card">
                <h2 class="card-title">"Kubernetes"</h2>
                <p>"Objects are matched by " <code class="font-mono text-sm">{selector}</code></p>
                {k8s.namespace.map(|ns| view! { <p>"Namespace: " <code class="font-mono text-sm">{ns}</code></p> })}
            </div>
            <div class="card">
                <h2 class="card-title">"Descriptor"</h2>
                {if s.summary.discovered {
                    view! { <p data-testid="service-source">"None: Wayfinder found this service in the clusters. Add a catalog-info.yaml to give it an owner."</p> }.into_any()
                } else {
                    view! { <p class="font-mono text-sm" data-testid="service-source">{s.source.clone()}</p> }.into_any()
                }}
            </div>
        </div>
    }
}

fn cluster_tab(tab: Tab, clusters: usize) -> impl IntoView {
    let what = match tab {
        Tab::Clusters => "where this service runs: regions, clusters, workloads and pods",
        Tab::Errors => "the problems in this service's Kubernetes objects, with causes and fixes",
        _ => "each autoscaler's replicas and metrics against their limits",
    };
    view! {
        <div class="rounded border border-dashed p-8 text-center" data-testid="no-clusters">
            {if clusters == 0 {
                view! {
                    <p class="font-semibold">"No cluster is configured."</p>
                    <p class="text-muted">{format!("Once clusters are configured, this tab shows {what}.")}</p>
                }.into_any()
            } else {
                view! {
                    <p class="font-semibold">{format!("Wayfinder watches {clusters} clusters.")}</p>
                    <p class="text-muted">{format!("This tab will show {what}. Meanwhile the Clusters tab shows each workload's and pod's health.")}</p>
                }.into_any()
            }}
        </div>
    }
}
