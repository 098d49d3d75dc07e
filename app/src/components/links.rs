//! Links to other catalog entities; a dangling reference shows as flagged text.

use crate::model::EntityLink;
use leptos::prelude::*;

/// A link to another entity's page, or plain text (flagged) when the reference dangles.
#[component]
pub fn EntityRefLink(link: EntityLink) -> impl IntoView {
    match link.href() {
        Some(href) => view! {
            <a class="link" href=href title=link.entity_ref.clone()>{link.title}</a>
        }
        .into_any(),
        None if link.exists => view! { <span title=link.entity_ref.clone()>{link.title}</span> }.into_any(),
        None => view! {
            <span class="text-amber-800 dark:text-amber-300" title=format!("{} is not in the catalog", link.entity_ref)>
                {link.title}
                <span class="sr-only">" (not in the catalog)"</span>
            </span>
        }
        .into_any(),
    }
}

/// A comma-separated list of entity links, or a dash when empty.
#[component]
pub fn EntityLinks(links: Vec<EntityLink>) -> impl IntoView {
    if links.is_empty() {
        return view! { <span class="text-muted">"—"</span> }.into_any();
    }
    view! {
        <ul class="flex flex-wrap gap-x-3 gap-y-1">
            {links.into_iter().map(|l| view! { <li><EntityRefLink link=l/></li> }).collect_view()}
        </ul>
    }
    .into_any()
}
