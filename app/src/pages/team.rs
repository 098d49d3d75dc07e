//! `/teams/:name`: a group's profile, its place in the org and what it owns.

use crate::api::get_team;
use crate::components::{EntityLinks, EntityRefLink, Loading, ServiceTable};
use crate::error::page_data;
use crate::model::{encode_component, ScaleStatus, Severity, TeamDetail};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The team page.
#[component]
pub fn TeamPage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let team = crate::codec::resource(move || name.get(), get_team);
    view! {
        <Suspense fallback=Loading>
            {page_data(move || async move { team.await.map(|t| team_view(t).into_any()) })}
        </Suspense>
    }
}

fn team_view(t: TeamDetail) -> impl IntoView {
    let count = t.services.len();
    let email = t.profile.email.clone();
    view! {
        <Title text=t.title.clone()/>
        <header class="mb-6" data-testid="team-header">
            <p class="text-sm text-muted"><a class="link" href="/">"Catalog"</a>" / teams / "{t.name.clone()}</p>
            <h1 class="mt-1 text-3xl font-semibold" data-testid="team-title">{t.title.clone()}</h1>
            <p class="mt-2 max-w-3xl">{t.description.clone()}</p>
            {email.map(|e| view! { <p class="mt-1"><a class="link" href=format!("mailto:{e}")>{e.clone()}</a></p> })}
        </header>
        <div class="mb-6 grid gap-6 md:grid-cols-3">
            <div class="card">
                <h2 class="card-title">"Organisation"</h2>
                <dl class="space-y-2">
                    <div><dt class="text-xs font-medium text-muted">"Type"</dt><dd>{t.kind.clone()}</dd></div>
                    <div><dt class="text-xs font-medium text-muted">"Parent"</dt><dd>{t.parent.clone().map(|p| view! { <EntityRefLink link=p/> })}</dd></div>
                    <div><dt class="text-xs font-medium text-muted">"Sub-teams"</dt><dd><EntityLinks links=t.children.clone()/></dd></div>
                </dl>
            </div>
            <div class="card">
                <h2 class="card-title">"Members"</h2>
                <div data-testid="team-members"><EntityLinks links=t.members.clone()/></div>
            </div>
            <div class="card">
                <h2 class="card-title">"Systems"</h2>
                <EntityLinks links=t.systems.clone()/>
            </div>
        </div>
        <div class="mb-2 flex flex-wrap items-baseline gap-4">
            <h2 class="text-xl font-semibold">{format!("Services ({count})")}</h2>
            {(count > 0).then(|| {
                let errors = t.services.iter().filter(|s| matches!(s.health.worst, Some(Severity::Critical | Severity::Error))).count();
                let scaling = t.services.iter().filter(|s| matches!(s.health.scaling, Some(ScaleStatus::AtMax | ScaleStatus::NearMax))).count();
                view! {
                    <a class="link text-sm" data-testid="team-with-errors" href=format!("/?owner={}&health=errors", encode_component(&t.name))>{format!("{errors} with errors")}</a>
                    <a class="link text-sm" data-testid="team-near-max" href=format!("/?owner={}&health=scaling", encode_component(&t.name))>{format!("{scaling} at or near max replicas")}</a>
                    <a class="link text-sm" href=format!("/errors?team={}", encode_component(&t.name))>"All the team's findings"</a>
                }
            })}
        </div>
        {if count == 0 {
            view! { <p class="text-muted" data-testid="team-no-services">"This team owns no service in the catalog."</p> }.into_any()
        } else {
            view! { <ServiceTable items=t.services.clone()/> }.into_any()
        }}
    }
}
