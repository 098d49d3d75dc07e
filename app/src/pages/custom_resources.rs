//! The Clusters tab's custom resources: the service's objects of the kinds configured under
//! `customResources`, cluster by cluster, with their conditions (a False `Ready`/`Available` in
//! red). Made on the server ([`html`], its one home) like the drift table, and carried to the tab in
//! [`crate::model::ServiceDetail::clusters_html`].

#[cfg(feature = "ssr")]
use crate::model::CustomResourceView;

/// The section's HTML (escaped by the view macro); empty when the service has no such objects.
#[cfg(feature = "ssr")]
pub fn html(service: &str, objects: &[CustomResourceView]) -> String {
    use crate::components::HealthBadge;
    use leptos::prelude::*;
    use leptos::tachys::view::RenderHtml;
    if objects.is_empty() {
        return String::new();
    }
    let rows = objects
        .iter()
        .map(|o| {
            let conditions = o
                .conditions
                .iter()
                .map(|c| {
                    let bad = c.status == "False" && matches!(c.kind.as_str(), "Ready" | "Available");
                    let class = if bad { "text-rose-800 dark:text-rose-300" } else { "" };
                    let why = [c.reason.clone(), c.message.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": ");
                    view! {
                        <div class=class data-testid="custom-condition" data-type=c.kind.clone() data-status=c.status.clone()>
                            <span class="font-medium">{format!("{} {}", c.kind, c.status)}</span>
                            {(!why.is_empty()).then(|| view! { <span class="text-xs">{format!(" · {why}")}</span> })}
                        </div>
                    }
                })
                .collect_view();
            let enc = crate::model::encode_component;
            let yaml = format!(
                "/services/{}/objects/{}/{}/{}/{}",
                enc(service),
                enc(&o.cluster),
                enc(&o.namespace),
                enc(&o.resource),
                enc(&o.name)
            );
            view! {
                <tr data-testid="custom-resource" data-kind=o.kind.clone() data-name=o.name.clone() data-cluster=o.cluster.clone()>
                    <td class="whitespace-nowrap">{o.cluster.clone()}</td>
                    <td><span class="text-xs text-muted">{format!("{} ", o.kind)}</span><span class="font-medium">{o.name.clone()}</span><a class="link ml-2 text-xs" href=yaml rel="external" data-testid="yaml" aria-label=format!("YAML of {} {}", o.kind, o.name)>"YAML"</a><div class="text-xs text-muted">{o.api_version.clone()}</div></td>
                    <td>{o.namespace.clone()}</td>
                    <td class="text-sm">{conditions}</td>
                    <td><HealthBadge health=o.health/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="custom-title" data-testid="custom-resources">
            <h2 id="custom-title" class="mb-2 mt-8 text-xl font-semibold">"Custom resources"</h2>
            <div class="overflow-x-auto">
                <table class="data-table">
                    <thead><tr>
                        <th scope="col">"Cluster"</th><th scope="col">"Object"</th><th scope="col">"Namespace"</th>
                        <th scope="col">"Conditions"</th><th scope="col">"Health"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .to_html()
}
