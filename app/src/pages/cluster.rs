//! `/clusters/:name`: one cluster's own page — what Wayfinder's identity may do there (and what it
//! holds beyond read-only), its nodes, the kinds watched with their counts and freshness, and the
//! namespaces visible and hidden. Made whole on the server by [`render`] (its one home) from
//! `GET /api/v1/clusters/{name}`'s answer and shown by [`super::made::MadePage`].

/// The server's HTML of the cluster page: every string escaped by the view macro.
#[cfg(feature = "ssr")]
pub mod render {
    use crate::api::ssr::MadePages;
    use crate::api::valid_name;
    use crate::components::ClusterStateBadge;
    use crate::error::{AppError, Entity};
    use crate::model::{ClusterDetail, NodeView, PermissionCheck, Usage, WatchedKind};
    use leptos::prelude::*;
    use leptos::tachys::view::RenderHtml;

    /// `1200m`, `3.5 GiB`: what `used` and `requested` of `allocatable` read.
    fn amount(v: u64, cpu: bool) -> String {
        if cpu {
            format!("{v}m")
        } else {
            format!("{:.1} GiB", v as f64 / f64::from(1u32 << 30))
        }
    }

    /// "300m used, 1250m requested of 7910m".
    fn usage_words(u: Usage, cpu: bool) -> String {
        let part = |v: Option<u64>, what: &str| v.map(|v| format!("{} {what}", amount(v, cpu)));
        let said: Vec<String> = [part(u.usage, "used"), part(u.request, "requested")]
            .into_iter()
            .flatten()
            .collect();
        let of = u
            .limit
            .map(|l| format!(" of {} allocatable", amount(l, cpu)))
            .unwrap_or_default();
        if said.is_empty() {
            format!("—{of}")
        } else {
            format!("{}{of}", said.join(", "))
        }
    }

    fn permissions(p: Option<PermissionCheck>) -> AnyView {
        let Some(p) = p else {
            return view! { <p class="text-sm text-muted" data-testid="permissions-pending">"Not checked yet: the first access review runs when the cluster connects."</p> }.into_any();
        };
        let checked = p
            .checked
            .map(|t| format!("Checked {t}, again every 10 minutes."))
            .unwrap_or_default();
        if let Some(e) = p.error {
            return view! {
                <p role="alert" class="text-sm text-rose-800 dark:text-rose-300" data-testid="permissions-error">{format!("Could not check: {e}")}</p>
                <p class="text-xs text-muted">{checked}</p>
            }
            .into_any();
        }
        let excess = (!p.excess.is_empty()).then(|| {
            view! {
                <div role="alert" class="mb-3 rounded border border-rose-300 p-3 text-sm text-rose-800 dark:border-rose-700 dark:text-rose-300" data-testid="permissions-excess">
                    <p class="font-medium">{format!("Wayfinder needs less than it has: remove {}.", p.excess.join(", "))}</p>
                    <p>"It only reads (get, list, watch, and get on pods/log) and never Secrets; deploy/rbac.yaml is the role it needs."</p>
                </div>
            }
        });
        let missing = if p.missing.is_empty() {
            view! { <p class="text-sm" data-testid="permissions-complete">"It has every right its features want."</p> }.into_any()
        } else {
            view! {
                <ul class="wf-disc text-sm" data-testid="permissions-missing">
                    {p.missing.into_iter().map(|g| view! {
                        <li data-testid="permission-gap">{format!("{}: lacks {}", g.feature, g.rights.join(", "))}</li>
                    }).collect_view()}
                </ul>
            }
            .into_any()
        };
        view! { {excess}{missing}<p class="mt-2 text-xs text-muted">{checked}</p> }.into_any()
    }

    fn node_row(n: NodeView) -> impl IntoView {
        let place = [n.region.clone(), n.zone.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        let schedule = match (n.schedulable, n.taints.is_empty()) {
            (true, true) => "schedulable".to_string(),
            (true, false) => format!("schedulable, tainted {}", n.taints.join(", ")),
            (false, _) => format!("cordoned {}", n.taints.join(", "))
                .trim_end()
                .to_string(),
        };
        view! {
            <tr data-testid="node" data-name=n.name.clone()>
                <td class="font-mono text-xs">{n.name.clone()}</td>
                <td>{place}</td>
                <td class="whitespace-nowrap" data-testid="node-ready">{if n.ready { "Ready" } else { "NotReady" }}</td>
                <td class="text-sm">{schedule}</td>
                <td class="text-sm">{n.kubelet.clone().unwrap_or_default()}</td>
                <td class="text-sm" data-testid="node-cpu">{usage_words(n.cpu, true)}</td>
                <td class="text-sm" data-testid="node-memory">{usage_words(n.memory, false)}</td>
                <td>{n.pods}</td>
            </tr>
        }
    }

    fn kind_row(k: WatchedKind) -> impl IntoView {
        let state = match (&k.trouble, k.synced) {
            (Some(t), _) => t.clone(),
            (None, true) => "live".into(),
            (None, false) => "syncing".into(),
        };
        view! {
            <tr data-testid="watched-kind" data-kind=k.kind.clone()>
                <td>{k.kind.clone()}</td>
                <td data-testid="kind-objects">{k.objects}</td>
                <td>{if k.watches == 1 { "cluster-wide".to_string() } else { format!("{} namespaces", k.watches) }}</td>
                <td class="text-sm">{state}</td>
                <td class="text-sm">{k.last_event.clone().or(k.last_sync.clone()).unwrap_or_else(|| "—".into())}</td>
            </tr>
        }
    }

    /// The page of cluster `name`.
    pub fn page(pages: &dyn MadePages, name: &str) -> Result<String, AppError> {
        let d: ClusterDetail = valid_name(name)
            .then(|| pages.cluster(name))
            .flatten()
            .ok_or(AppError::NotFound(Entity::Cluster))?;
        let s = d.status;
        let hidden = (!s.hidden_namespaces.is_empty()).then(|| {
            view! { <p class="mt-2 text-sm" data-testid="namespaces-hidden">{format!("Hidden (Wayfinder may not read them): {}", s.hidden_namespaces.join(", "))}</p> }
        });
        Ok(view! {
            <header class="mb-4">
                <p class="text-sm text-muted"><a class="link" href="/clusters">"Clusters"</a></p>
                <h1 class="mt-1 text-2xl font-semibold" data-testid="cluster-title">{s.title.clone()}</h1>
                <p class="mt-1 text-sm text-muted">
                    {format!("{} · {} · ", s.region, s.environment)}
                    <ClusterStateBadge state=s.state/>
                    " · "<span data-testid="freshness">{crate::model::freshness(s.state, s.sync_age_seconds, s.change_age_seconds, 0)}</span>
                    {format!(" · metrics {}", s.metrics)}
                </p>
                {s.last_error.clone().map(|e| view! { <p class="mt-1 text-sm text-rose-800 dark:text-rose-300">{e}</p> })}
            </header>
            <section class="card mb-4" aria-labelledby="permissions-h" data-testid="permissions">
                <h2 id="permissions-h" class="mb-2 text-lg font-semibold">"What Wayfinder may do here"</h2>
                {permissions(d.permissions)}
            </section>
            <section class="card mb-4" aria-labelledby="nodes-h">
                <h2 id="nodes-h" class="mb-2 text-lg font-semibold">{format!("Nodes ({})", d.nodes.len())}</h2>
                <div class="overflow-x-auto">
                    <table class="data-table" data-testid="nodes">
                        <thead><tr>
                            <th scope="col">"Node"</th><th scope="col">"Region / zone"</th><th scope="col">"Ready"</th>
                            <th scope="col">"Scheduling"</th><th scope="col">"Kubelet"</th><th scope="col">"CPU"</th>
                            <th scope="col">"Memory"</th><th scope="col">"Pods"</th>
                        </tr></thead>
                        <tbody>{d.nodes.into_iter().map(node_row).collect_view()}</tbody>
                    </table>
                </div>
                <p class="mt-2 text-xs text-muted">"CPU and memory: the node's pods' usage (where metrics exist) and requests, against what the node can allocate."</p>
            </section>
            <section class="card mb-4" aria-labelledby="kinds-h">
                <h2 id="kinds-h" class="mb-2 text-lg font-semibold">"Kinds watched"</h2>
                <div class="overflow-x-auto">
                    <table class="data-table" data-testid="kinds">
                        <thead><tr>
                            <th scope="col">"Kind"</th><th scope="col">"Objects"</th><th scope="col">"Watched"</th>
                            <th scope="col">"State"</th><th scope="col">"Last change"</th>
                        </tr></thead>
                        <tbody>{d.kinds.into_iter().map(kind_row).collect_view()}</tbody>
                    </table>
                </div>
            </section>
            <section class="card" aria-labelledby="namespaces-h">
                <h2 id="namespaces-h" class="mb-2 text-lg font-semibold">{format!("Namespaces ({})", d.namespaces.len())}</h2>
                <p class="text-sm" data-testid="namespaces-visible">{d.namespaces.join(", ")}</p>
                {hidden}
            </section>
        }
        .to_html()
        .replace("<!>", ""))
    }
}
