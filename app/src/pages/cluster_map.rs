//! The cluster map on `/services/:name/clusters`: regions → clusters → this service's workloads and
//! pods, kept live by the service's SSE stream.

use crate::components::{ClusterStateBadge, HealthBadge};
use crate::model::{
    Health, IngressView, NetworkServiceView, PodView, ServiceCluster, Usage, WorkloadView,
};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// A duration as kubectl prints ages: `45s`, `12m`, `5h`, `3d`.
pub fn short_age(seconds: Option<i64>) -> String {
    match seconds {
        None => "—".into(),
        Some(s) if s < 120 => format!("{s}s"),
        Some(s) if s < 7200 => format!("{}m", s / 60),
        Some(s) if s < 172_800 => format!("{}h", s / 3600),
        Some(s) => format!("{}d", s / 86_400),
    }
}

/// CPU (`cpu`, millicores) or memory (bytes) as `120m of 500m limit` with a bar filled to the
/// limit (else the request); the bar turns amber where the usage rules fire. "—" when unknown.
/// Markup made as one string of whole numbers and fixed words (nothing from a cluster), which
/// costs the bundle far less than the same elements as views.
pub fn usage_html(u: Usage, cpu: bool) -> String {
    let show = move |v: u64| {
        if cpu {
            format!("{v}m")
        } else {
            format!("{}Mi", v >> 20)
        }
    };
    let Some(used) = u.usage else {
        return "—".into();
    };
    let of = match (u.limit, u.request) {
        (Some(l), _) => format!(" of {} limit", show(l)),
        (None, Some(r)) => format!(" of {} request", show(r)),
        _ => String::new(),
    };
    let bar = match (u.scale(), u.limit) {
        (Some(max), Some(l)) => {
            let high = l * if cpu { 95 } else { 90 } / 100;
            format!(
                r#"<meter class="block w-24" max="{max}" high="{high}" value="{used}" aria-hidden="true"></meter>"#
            )
        }
        (Some(max), None) => format!(
            r#"<meter class="block w-24" max="{max}" value="{used}" aria-hidden="true"></meter>"#
        ),
        _ => String::new(),
    };
    format!("{}{of}{bar}", show(used))
}

fn usage_cell(u: Usage, cpu: bool) -> impl IntoView {
    view! { <td class="whitespace-nowrap text-xs" data-testid=if cpu { "cpu" } else { "memory" } inner_html=usage_html(u, cpu)></td> }
}

/// The cluster map of one service (the page keeps it live).
pub fn cluster_map(
    name: String,
    list: Vec<ServiceCluster>,
    configured: usize,
    since: RwSignal<i64>,
    toggled: RwSignal<std::collections::BTreeSet<String>>,
) -> impl IntoView {
    view! {
        <div class="mb-4 mt-8 flex items-center justify-between">
            <h2 class="text-xl font-semibold">"Each cluster in detail"</h2>
        </div>
        {if list.is_empty() {
            view! {
                <div class="rounded border border-dashed p-8 text-center" data-testid="not-running">
                    <p class="font-semibold">{format!("{name} runs in none of the {configured} watched clusters.")}</p>
                    <p class="text-muted">"No Deployment, StatefulSet, DaemonSet, CronJob, Job or Pod matches its Kubernetes annotations (see Overview). Clusters that cannot be read are listed on "<a class="link" href="/clusters">"Clusters"</a>"."</p>
                </div>
            }.into_any()
        } else {
            let regions = list.iter().map(|c| c.region.clone()).collect::<std::collections::BTreeSet<_>>().len();
            let summary = format!("{} clusters in {} regions", list.len(), regions);
            let mut by_region: BTreeMap<String, Vec<ServiceCluster>> = BTreeMap::new();
            for c in list {
                by_region.entry(c.region.clone()).or_default().push(c);
            }
            view! {
                <p class="mb-4 text-muted" data-testid="map-summary">{summary}</p>
                <div class="space-y-8" data-testid="cluster-map">
                    {by_region.into_iter().map(|(region, clusters)| view! {
                        <section data-testid="region" data-region=region.clone() aria-label=format!("Region {region}")>
                            <h3 class="mb-3 text-lg font-semibold">{region.clone()}</h3>
                            <div class="space-y-4">{clusters.into_iter().map(|c| cluster_card(c, since, &name, toggled)).collect_view()}</div>
                        </section>
                    }).collect_view()}
                </div>
            }.into_any()
        }}
    }
}

fn cluster_card(
    c: ServiceCluster,
    since: RwSignal<i64>,
    service: &str,
    toggled: RwSignal<std::collections::BTreeSet<String>>,
) -> impl IntoView {
    let objects = format!("/services/{service}/objects/{}", c.cluster);
    let pods = format!("/services/{service}/pods/{}", c.cluster);
    let (state, synced, changed) = (c.status, c.sync_age_seconds, c.change_age_seconds);
    let fresh = move || crate::model::freshness(state, synced, changed, since.get());
    let hidden = (!c.hidden_namespaces.is_empty()).then(|| {
        view! { <p class="text-sm text-amber-800 dark:text-amber-300" data-testid="hidden-namespaces">{format!("Not shown: namespaces Wayfinder may not read ({})", c.hidden_namespaces.join(", "))}</p> }
    });
    let trouble = c.last_error.clone().filter(|_| {
        !matches!(
            c.status,
            crate::model::ClusterState::Synced | crate::model::ClusterState::Forbidden
        )
    });
    let pod_count = c.pods.len();
    // The tables are open where a workload is not well (the map above shows the rest at a glance);
    // the clusters the user opened or closed otherwise stay so across live updates.
    let key = format!("cluster|{}", c.cluster);
    let open = c
        .workloads
        .iter()
        .any(|w| !matches!(w.health, Health::Healthy | Health::Idle))
        != toggled.with_untracked(|t| t.contains(&key));
    view! {
        <details class="card" open=open data-testid="cluster-card" data-cluster=c.cluster.clone() data-state=c.status.id()>
            <summary class="disclosure mb-3 flex cursor-pointer flex-wrap items-center gap-3" on:click=move |_| toggled.update(|t| {
                if !t.remove(&key) {
                    t.insert(key.clone());
                }
            })>
                <h4 class="text-base font-semibold">{c.title.clone()}</h4>
                <ClusterStateBadge state=c.status/>
                <span class="text-xs text-muted" data-testid="freshness">{fresh}</span>
                <span class="text-xs text-muted">{c.environment.clone()}</span>
            </summary>
            {c.dashboard_url.clone().map(|u| view! { <a class="link text-sm" href=u rel="noopener noreferrer">"Dashboard"</a> })}
            {trouble.map(|t| view! { <p class="mb-2 text-sm text-rose-800 dark:text-rose-300" data-testid="cluster-trouble">{format!("Showing the last known data: {t}")}</p> })}
            {hidden}
            <div class="overflow-x-auto">
                <table class="data-table" data-testid="workloads">
                    <caption class="sr-only">{format!("Workloads in {}", c.cluster)}</caption>
                    <thead><tr>
                        <th scope="col">"Workload"</th><th scope="col">"Namespace"</th><th scope="col">"Ready"</th>
                        <th scope="col">"Available"</th><th scope="col">"Up to date"</th><th scope="col">"Images"</th>
                        <th scope="col">"Age"</th><th scope="col">"Health"</th>
                    </tr></thead>
                    <tbody>{c.workloads.into_iter().map(|w| workload_row(w, &objects)).collect_view()}</tbody>
                </table>
            </div>
            {(!c.services.is_empty()).then(|| view! {
                <div class="mt-3 overflow-x-auto">
                    <table class="data-table" data-testid="services">
                        <caption class="sr-only">{format!("Services in {}", c.cluster)}</caption>
                        <thead><tr>
                            <th scope="col">"Service"</th><th scope="col">"Type"</th><th scope="col">"Cluster IP"</th>
                            <th scope="col">"Ports"</th><th scope="col">"Selector"</th><th scope="col">"Ready pods"</th>
                        </tr></thead>
                        <tbody>{c.services.into_iter().map(|s| service_row(s, &objects)).collect_view()}</tbody>
                    </table>
                </div>
            })}
            {(!c.ingresses.is_empty()).then(|| view! {
                <div class="mt-3 overflow-x-auto">
                    <table class="data-table" data-testid="ingresses">
                        <caption class="sr-only">{format!("Ingresses in {}", c.cluster)}</caption>
                        <thead><tr>
                            <th scope="col">"Ingress"</th><th scope="col">"Class"</th><th scope="col">"Routes"</th><th scope="col">"TLS"</th>
                        </tr></thead>
                        <tbody>{c.ingresses.into_iter().map(|i| ingress_row(i, &objects)).collect_view()}</tbody>
                    </table>
                </div>
            })}
            <details class="mt-3" open=pod_count <= 12>
                <summary class="cursor-pointer text-sm font-medium">{format!("{pod_count} pods")}</summary>
                <div class="overflow-x-auto">
                    <table class="data-table" data-testid="pods">
                        <thead><tr>
                            <th scope="col">"Pod"</th><th scope="col">"Phase"</th><th scope="col">"Ready"</th>
                            <th scope="col">"Restarts"</th><th scope="col">"CPU"</th><th scope="col">"Memory"</th><th scope="col">"Node"</th><th scope="col">"Age"</th><th scope="col">"Health"</th>
                        </tr></thead>
                        <tbody>{c.pods.into_iter().map(|p| pod_row(p, &objects, &pods)).collect_view()}</tbody>
                    </table>
                </div>
            </details>
        </details>
    }
}

/// A link to one object's YAML, as the cache holds it (`objects` ends in the cluster).
fn yaml_link(objects: &str, namespace: &str, kind: &str, name: &str) -> impl IntoView {
    let href = format!("{objects}/{namespace}/{kind}/{name}");
    // `rel=external`: a made page (a full load).
    view! { <a class="link ml-2 text-xs" href=href rel="external" data-testid="yaml" aria-label=format!("YAML of {kind} {name}")>"YAML"</a> }
}

fn workload_row(w: WorkloadView, objects: &str) -> impl IntoView {
    let r = w.replicas.clone();
    let yaml = yaml_link(objects, &w.namespace, &w.kind, &w.name);
    let hpa_yaml = w
        .hpa
        .clone()
        .map(|h| yaml_link(objects, &w.namespace, "HorizontalPodAutoscaler", &h));
    let pdb = w.pdb.clone().map(|p| {
        let text = format!(
            "PDB {} ({}): {} disruptions allowed, {}/{} healthy",
            p.name, p.terms, p.allowed, p.healthy, p.expected
        );
        let yaml = yaml_link(objects, &w.namespace, "PodDisruptionBudget", &p.name);
        view! { <div class=format!("text-xs text-muted {}", trouble(p.blocks)) data-testid="pdb">{text}{yaml}</div> }
    });
    view! {
        <tr data-testid="workload" data-kind=w.kind.clone() data-name=w.name.clone()>
            <td>
                <span class="text-xs text-muted">{w.kind.clone()}" "</span>
                {match w.dashboard_url.clone() {
                    Some(u) => view! { <a class="link font-medium" href=u rel="noopener noreferrer">{w.name.clone()}</a> }.into_any(),
                    None => view! { <span class="font-medium">{w.name.clone()}</span> }.into_any(),
                }}
                {yaml}
                {w.hpa.clone().map(|h| view! { <div class="text-xs text-muted">{format!("scaled by HPA {h}")}{hpa_yaml}</div> })}
                {pdb}
                {w.message.clone().map(|m| view! { <div class="text-xs text-rose-800 dark:text-rose-300">{m}</div> })}
            </td>
            <td>{w.namespace.clone()}</td>
            <td data-testid="replicas-ready">{format!("{}/{}", r.ready, r.desired)}</td>
            <td>{r.available}</td>
            <td>{r.updated}</td>
            <td class="font-mono text-xs">{w.images.iter().map(|i| view! { <div>{i.clone()}</div> }).collect_view()}</td>
            <td>{short_age(w.age_seconds)}</td>
            <td><HealthBadge health=w.health/></td>
        </tr>
    }
}

/// The classes of text that says a rule fires.
fn trouble(on: bool) -> &'static str {
    if on {
        "text-rose-800 dark:text-rose-300"
    } else {
        ""
    }
}

fn service_row(s: NetworkServiceView, objects: &str) -> impl IntoView {
    let yaml = yaml_link(objects, &s.namespace, "Service", &s.name);
    // Where the selector picks no ready pod, `service-selects-nothing` fires: said in red.
    let (ready, none) = match (s.pods, s.ready) {
        (Some(0), _) => ("selects no pod".to_string(), true),
        (Some(p), Some(r)) => (format!("{r} of {p}"), r == 0),
        _ => ("no selector".to_string(), false),
    };
    view! {
        <tr data-testid="service" data-name=s.name.clone()>
            <td><span class="font-medium">{s.name.clone()}</span>{yaml}<div class="text-xs text-muted">{s.namespace.clone()}</div></td>
            <td>{s.type_.clone()}</td>
            <td class="font-mono text-xs">{s.cluster_ip.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="font-mono text-xs">{s.ports.join(", ")}</td>
            <td class="font-mono text-xs">{s.selector.join(", ")}</td>
            <td data-testid="service-ready" class=trouble(none)>{ready}</td>
        </tr>
    }
}

fn ingress_row(i: IngressView, objects: &str) -> impl IntoView {
    let yaml = yaml_link(objects, &i.namespace, "Ingress", &i.name);
    view! {
        <tr data-testid="ingress" data-name=i.name.clone()>
            <td><span class="font-medium">{i.name.clone()}</span>{yaml}<div class="text-xs text-muted">{i.namespace.clone()}</div></td>
            <td>{i.class.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="font-mono text-xs">{i.paths.into_iter().map(|p| {
                let route = format!("{}{} → {}:{}", p.host, p.path, p.service, p.port);
                view! {
                    <div data-testid="ingress-path" data-missing=p.missing.then_some("true") class=trouble(p.missing)>
                        {route}{p.missing.then_some(" (no such Service)")}
                    </div>
                }
            }).collect_view()}</td>
            <td class="text-xs">{i.tls.join(", ")}</td>
        </tr>
    }
}

fn pod_row(p: PodView, objects: &str, pods: &str) -> impl IntoView {
    let yaml = yaml_link(objects, &p.namespace, "Pod", &p.name);
    let page = format!("{pods}/{}/{}", p.namespace, p.name);
    view! {
        <tr data-testid="pod" data-name=p.name.clone()>
            <td>
                <a class="link font-mono text-xs" href=page rel="external" data-testid="pod-link">{p.name.clone()}</a>{yaml}
                {p.reason.clone().map(|r| view! { <div class="text-xs text-rose-800 dark:text-rose-300" data-testid="pod-reason">{r}</div> })}
            </td>
            <td>{p.phase.clone()}</td>
            <td>{p.ready.clone()}</td>
            <td>{p.restarts}</td>
            {usage_cell(p.cpu, true)}
            {usage_cell(p.memory, false)}
            <td class="text-xs">{p.node.clone().unwrap_or_default()}</td>
            <td>{short_age(p.age_seconds)}</td>
            <td><HealthBadge health=p.health/></td>
        </tr>
    }
}
