//! `/systems/:name`: a system and its components.

use crate::api::get_system;
use crate::components::{EntityLinks, EntityRefLink, Loading, ServiceTable};
use crate::error::page_data;
use crate::model::SystemDetail;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The system page.
#[component]
pub fn SystemPage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let system = crate::codec::resource(move || name.get(), get_system);
    view! {
        <Suspense fallback=Loading>
            {page_data(move || async move { system.await.map(|s| system_view(s).into_any()) })}
        </Suspense>
    }
}

fn system_view(s: SystemDetail) -> impl IntoView {
    view! {
        <Title text=s.title.clone()/>
        <header class="mb-6" data-testid="system-header">
            <p class="text-sm text-muted"><a class="link" href="/">"Catalog"</a>" / systems / "{s.name.clone()}</p>
            <h1 class="mt-1 text-3xl font-semibold" data-testid="system-title">{s.title.clone()}</h1>
            <p class="mt-2 max-w-3xl">{s.description.clone()}</p>
            <dl class="mt-4 flex gap-8">
                <div><dt class="text-xs font-medium text-muted">"Owner"</dt><dd>{s.owner.clone().map(|o| view! { <EntityRefLink link=o/> })}</dd></div>
                <div><dt class="text-xs font-medium text-muted">"Domain"</dt><dd>{s.domain.clone().map(|o| view! { <EntityRefLink link=o/> })}</dd></div>
                <div><dt class="text-xs font-medium text-muted">"APIs"</dt><dd><EntityLinks links=s.apis.clone()/></dd></div>
            </dl>
        </header>
        <h2 class="mb-2 text-xl font-semibold">{format!("Components ({})", s.components.len())}</h2>
        <ServiceTable items=s.components.clone()/>
    }
}
