//! `/services/:name/objects/:cluster/:namespace/:kind/:object`: one of a service's objects as YAML,
//! read-only, with a copy button and a download, for the people allowed to read it (others read
//! who may). Made whole on the server by [`render`] (its one home) and shown by
//! [`super::made::MadePage`]; the YAML is the API's `?format=yaml` answer, as the cache holds the
//! object.

/// The server's HTML of the object page: every string escaped by the view macro.
#[cfg(feature = "ssr")]
pub mod render {
    use crate::api::ssr::{MadePages, Unread};
    use crate::api::valid_name;
    use crate::error::{AppError, Entity};
    use crate::model::encode_component;
    use leptos::prelude::*;
    use leptos::tachys::view::RenderHtml;

    /// The page of object `[service, cluster, namespace, kind, object]` for the viewer of `headers`.
    pub fn page(
        pages: &dyn MadePages,
        at: [String; 5],
        headers: &http::HeaderMap,
    ) -> Result<String, AppError> {
        if !at.iter().all(|s| valid_name(s)) {
            return Err(AppError::NotFound(Entity::Object));
        }
        let [service, cluster, namespace, kind, object] = at.each_ref().map(String::as_str);
        let raw = format!(
            "/api/v1/services/{}/objects/{}/{}/{}/{}?format=yaml",
            encode_component(service),
            encode_component(cluster),
            encode_component(namespace),
            encode_component(kind),
            encode_component(object)
        );
        let body = match pages.object_yaml([service, cluster, namespace, kind, object], headers) {
            Ok(yaml) => view! {
                <div class="mb-2 flex flex-wrap items-center gap-3 text-sm">
                    <button type="button" class="btn" data-copy="object-yaml" data-testid="copy-yaml">"Copy"</button>
                    <a class="link" href=raw download=format!("{object}.yaml") rel="external" data-testid="download-yaml">"Download"</a>
                </div>
                <pre id="object-yaml" class="log-lines overflow-x-auto whitespace-pre" data-testid="object-yaml"
                    tabindex="0" aria-label="YAML">{yaml}</pre>
            }
            .into_any(),
            Err(Unread::Refused(why)) => {
                view! { <p role="alert" data-testid="object-refused">{why}</p> }.into_any()
            }
            Err(Unread::Failed(why)) => view! {
                <p role="alert" class="text-rose-800 dark:text-rose-300" data-testid="error">{why}</p>
            }
            .into_any(),
            Err(Unread::NotFound) => return Err(AppError::NotFound(Entity::Object)),
        };
        Ok(view! {
            <header class="mb-4">
                <p class="text-sm text-muted">
                    <a class="link" href="/">"Catalog"</a>" / "
                    <a class="link" href=format!("/services/{}/clusters", encode_component(service))>{service.to_string()}</a>
                    {format!(" / {cluster} / {namespace}")}
                </p>
                <h1 class="mt-1 font-mono text-2xl font-semibold" data-testid="object-title">{format!("{kind} {object}")}</h1>
            </header>
            <section class="card" aria-label="YAML">
                <p class="mb-2 text-sm text-muted">"As Wayfinder's cache holds it: env values (their names are kept), commands and arguments are never read, and managedFields are dropped. Read-only."</p>
                {body}
            </section>
        }
        .to_html()
        .replace("<!>", ""))
    }
}
