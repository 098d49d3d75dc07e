//! The errors tab (`/services/:name/errors`).

use crate::components::SeverityBadge;
use crate::model::{encode_component, Finding, LogTail, ServiceDetail, Severity, LOG_RULES};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeSet;

/// The log lines read for opened findings, kept while they stay open so a live update does not
/// read the cluster again (a page provides one; closing a finding forgets its lines).
#[derive(Clone, Copy)]
pub struct LogCache(pub RwSignal<Vec<(String, LogTail)>>);

impl LogCache {
    pub fn provide() {
        provide_context(LogCache(RwSignal::new(Vec::new())));
    }

    fn of() -> Self {
        use_context::<LogCache>().unwrap_or_else(|| LogCache(RwSignal::new(Vec::new())))
    }

    /// Reads the lines of an opened finding once; forgets them when it closes.
    fn toggle(self, key: &str, opened: bool, at: Option<&(String, [String; 4])>) {
        self.0.update(|c| c.retain(|(k, _)| k != key));
        let (Some((service, [rule, cluster, namespace, pod])), true) = (at.cloned(), opened) else {
            return;
        };
        let key = key.to_string();
        leptos::task::spawn_local(async move {
            let t = crate::api::log_tail(service, rule, cluster, namespace, pod)
                .await
                .unwrap_or_else(|e| LogTail {
                    note: Some(e.sentence().into()),
                    ..Default::default()
                });
            self.0.update(|c| c.push((key, t)));
        });
    }
}

/// Where a finding's answer is in a log: its service, rule and first pod (cluster, namespace,
/// name), for the rules of [`LOG_RULES`].
fn log_of(f: &Finding) -> Option<(String, [String; 4])> {
    let pod = f.objects.iter().find(|o| o.kind == "Pod")?;
    LOG_RULES.contains(&f.rule.as_str()).then(|| {
        (
            f.service.clone(),
            [
                f.rule.clone(),
                pod.cluster.clone(),
                pod.namespace.clone(),
                pod.name.clone(),
            ],
        )
    })
}

/// The last lines of the container log a finding points at, read when the finding is opened.
fn finding_log(
    service: &str,
    [_, cluster, namespace, pod]: &[String; 4],
    key: String,
) -> impl IntoView {
    let cache = LogCache::of();
    let whole = format!(
        "/api/v1/services/{}/pods/{}/{}/{}/log",
        encode_component(service),
        encode_component(cluster),
        encode_component(namespace),
        encode_component(pod),
    );
    let about = format!("of pod {pod} in {cluster}");
    view! {
        <div class="mt-3" data-testid="finding-log">
            {move || match cache.0.with(|c| c.iter().find(|(k, _)| *k == key).map(|(_, t)| t.clone())) {
                None => view! { <p class="text-sm text-muted">"Reading the log…"</p> }.into_any(),
                Some(t) => {
                    let heading = if t.previous { "Last log lines of the crashed run" } else { "Last log lines" };
                    let href = format!(
                        "{whole}?container={}{}",
                        encode_component(&t.container),
                        if t.previous { "&previous=true" } else { "" }
                    );
                    view! {
                        <p class="text-sm font-medium">{format!("{heading}, container {} {about}", t.container)}</p>
                        {t.note.map(|n| view! { <p class="text-sm" data-testid="finding-log-note">{n}</p> })}
                        {(!t.text.is_empty()).then(|| view! {
                            <pre class="mt-1 max-h-80 overflow-auto whitespace-pre rounded border p-2 text-xs" data-testid="finding-log-text">{t.text}</pre>
                            <p class="mt-1 text-xs"><a class="link" href=href download>"The whole log (text)"</a></p>
                        })}
                    }.into_any()
                }
            }}
        </div>
    }
}

/// The affected objects of a finding.
fn objects_table(f: &Finding) -> impl IntoView {
    view! {
        <table class="data-table mt-2" data-testid="finding-objects">
            <thead><tr><th scope="col">"Cluster"</th><th scope="col">"Namespace"</th><th scope="col">"Kind"</th><th scope="col">"Name"</th></tr></thead>
            <tbody>
                {f.objects.iter().map(|o| {
                    // A pod links to its page, where its containers, events and log are.
                    let name = if o.kind == "Pod" {
                        let href = format!("/services/{}/pods/{}/{}/{}", f.service, o.cluster, o.namespace, o.name);
                        view! { <a class="link" href=href rel="external" data-testid="finding-pod-link">{o.name.clone()}</a> }.into_any()
                    } else {
                        o.name.clone().into_any()
                    };
                    view! {
                        <tr><td>{o.cluster.clone()}</td><td>{o.namespace.clone()}</td><td>{o.kind.clone()}</td><td class="font-mono text-xs">{name}</td></tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// One finding, expandable to its cause, fix and objects. `open` remembers which are expanded across
/// live updates.
pub fn finding_view(
    f: Finding,
    open: RwSignal<BTreeSet<String>>,
    show_service: bool,
) -> impl IntoView {
    let key = format!(
        "{}|{}|{}|{}|{}",
        f.service, f.rule, f.namespace, f.kind, f.name
    );
    let is_open = open.with_untracked(|o| o.contains(&key));
    let toggle_key = key.clone();
    let at = log_of(&f);
    let log = at
        .as_ref()
        .map(|(service, pod)| finding_log(service, pod, key.clone()));
    let cache = LogCache::of();
    let since = f.since.clone().map(|s| format!("since {s}"));
    view! {
        <details class="card" data-testid="finding" data-rule=f.rule.clone() data-severity=f.severity.id()
            open=is_open>
            // Clicking (or Enter/Space on) the summary toggles the details; remembered so a live
            // update re-renders it as the user left it.
            <summary class="cursor-pointer" on:click=move |_| open.update(|o| {
                let opened = !o.remove(&toggle_key);
                if opened {
                    o.insert(toggle_key.clone());
                }
                cache.toggle(&toggle_key, opened, at.as_ref());
            })>
                <span class="inline-flex flex-wrap items-center gap-2">
                    <SeverityBadge severity=f.severity/>
                    <code class="text-xs">{f.rule.clone()}</code>
                    {show_service.then(|| view! { <span class="font-medium" data-testid="finding-service">{f.service.clone()}</span> })}
                    <span data-testid="finding-message">{f.message.clone()}</span>
                </span>
                <span class="ml-1 block text-xs text-muted">
                    {format!("{} {} · {} · ", f.kind, f.name, f.clusters.join(", "))}
                    {since}
                </span>
            </summary>
            {show_service.then(|| view! { <p class="mt-2 text-sm"><a class="link" href=format!("/services/{}/errors", f.service)>{format!("Open {}", f.service)}</a></p> })}
            <dl class="mt-3 space-y-2 text-sm">
                <div><dt class="font-medium">"Cause"</dt><dd data-testid="finding-cause">{f.cause.clone()}</dd></div>
                <div><dt class="font-medium">"Fix"</dt><dd data-testid="finding-fix">{f.fix.clone()}</dd></div>
            </dl>
            {log}
            {f.docs_url.clone().map(|u| view! { <p class="mt-2 text-sm"><a class="link" href=u rel="noopener noreferrer">"Kubernetes documentation"</a></p> })}
            {objects_table(&f)}
        </details>
    }
}

/// Findings grouped by severity, then rule.
pub fn grouped(
    findings: Vec<Finding>,
    open: RwSignal<BTreeSet<String>>,
    show_service: bool,
) -> impl IntoView {
    [Severity::Critical, Severity::Error, Severity::Warning, Severity::Info]
        .into_iter()
        .filter_map(|sev| {
            let of: Vec<Finding> = findings.iter().filter(|f| f.severity == sev).cloned().collect();
            (!of.is_empty()).then(|| {
                let n = of.len();
                view! {
                    <section class="mb-6" data-testid="severity-group" data-severity=sev.id()>
                        <h3 class="mb-2 flex items-center gap-2 text-lg font-semibold"><SeverityBadge severity=sev/>{format!("{n} finding{}", if n == 1 { "" } else { "s" })}</h3>
                        <div class="space-y-2">{of.into_iter().map(|f| finding_view(f, open, show_service)).collect_view()}</div>
                    </section>
                }
            })
        })
        .collect_view()
}

/// The errors tab, filtered by `?cluster=` and `?severity=`.
pub fn errors_tab(s: &ServiceDetail, open: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let query = use_query_map();
    let cluster = query.read().get("cluster").unwrap_or_default();
    let severity = query.read().get("severity").unwrap_or_default();
    let name = s.summary.name.clone();
    let all = s.errors.len();
    let shown: Vec<Finding> = s
        .errors
        .iter()
        .filter(|f| cluster.is_empty() || f.clusters.contains(&cluster))
        .filter(|f| severity.is_empty() || f.severity.id() == severity)
        .cloned()
        .collect();
    let clusters: Vec<String> = s.clusters.iter().map(|c| c.cluster.clone()).collect();
    let href = move |c: &str, sev: &str| {
        let mut q = Vec::new();
        if !c.is_empty() {
            q.push(format!("cluster={}", crate::model::encode_component(c)));
        }
        if !sev.is_empty() {
            q.push(format!("severity={sev}"));
        }
        let q = if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        };
        format!("/services/{name}/errors{q}")
    };
    let cluster_links = std::iter::once(String::new())
        .chain(clusters)
        .map(|c| {
            let current = c == cluster;
            let label = if c.is_empty() { "all clusters".to_string() } else { c.clone() };
            view! { <a class=if current { "chip font-semibold" } else { "chip" } aria-current=current.then_some("true") href=href(&c, &severity) data-testid="filter-cluster">{label}</a> }
        })
        .collect_view();
    let severity_links = ["", "critical", "error", "warning", "info"]
        .into_iter()
        .map(|sev| {
            let current = sev == severity;
            let label = if sev.is_empty() { "all severities" } else { sev };
            view! { <a class=if current { "chip font-semibold" } else { "chip" } aria-current=current.then_some("true") href=href(&cluster, sev) data-testid="filter-severity">{label}</a> }
        })
        .collect_view();
    view! {
        <div class="mb-4 flex flex-col gap-2" role="group" aria-label="Filters">
            <div class="flex flex-wrap gap-1">{cluster_links}</div>
            <div class="flex flex-wrap gap-1">{severity_links}</div>
        </div>
        {if all == 0 {
            view! { <p class="rounded border border-dashed p-8 text-center" data-testid="no-errors">{format!("No problems found in {} clusters.", s.clusters.len())}</p> }.into_any()
        } else if shown.is_empty() {
            view! { <p class="rounded border border-dashed p-8 text-center" data-testid="no-errors">"No finding matches these filters."</p> }.into_any()
        } else {
            grouped(shown, open, false).into_any()
        }}
    }
}
