//! Small building blocks shared by the pages: badges, entity links, the services table, the 404
//! page and the loading placeholder.

pub mod badges;
pub mod links;
pub mod tables;

pub use badges::{
    scale_colour, ClusterStateBadge, HealthBadge, HealthCell, LifecycleBadge, ScaleBadge,
    SeverityBadge,
};
pub use links::{EntityLinks, EntityRefLink};
pub use tables::ServiceTable;

use leptos::prelude::*;
use leptos_meta::Title;

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
