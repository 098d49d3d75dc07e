//! Wayfinder's pages, components and server functions, shared by the server (SSR) and the browser (hydrate).
#![recursion_limit = "256"]

pub mod api;
pub mod codec;
pub mod components;
pub mod error;
pub mod live;
pub mod model;
pub mod pages;

use components::NotFound;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{path, SsrMode};
use pages::{
    catalog::CatalogPage, clusters::ClustersPage, errors::ErrorsPage, made::MadePage,
    problems::ProblemsPage, service::ServicePage, system::SystemPage, team::TeamPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-white text-slate-900 dark:bg-slate-950 dark:text-slate-100">
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts only from the portal itself or carrying this
/// response's nonce (Leptos's hydration and resource scripts do), WASM compiled from /pkg, nothing
/// framed, no plugins. Inline style attributes stay allowed: the gauges' widths are set with them.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|n| format!(" 'nonce-{n}'"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The whole portal: routes and layout.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/wayfinder.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Title formatter=|title: String| {
            if title.is_empty() { "Wayfinder".to_string() } else { format!("{title} · Wayfinder") }
        }/>
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound what="There is no page at this address."/> }>
                    <Route path=path!("/") view=CatalogPage/>
                    <Route path=path!("/catalog/problems") view=ProblemsPage/>
                    <Route path=path!("/clusters") view=ClustersPage/>
                    <Route path=path!("/clusters/:name") view=MadePage ssr=SsrMode::Async/>
                    <Route path=path!("/errors") view=ErrorsPage/>
                    <Route path=path!("/services/:name/timeline") view=MadePage ssr=SsrMode::Async/>
                    <Route path=path!("/services/:name/:tab?") view=ServicePage ssr=SsrMode::Async/>
                    <Route path=path!("/services/:name/pods/:cluster/:namespace/:pod") view=MadePage ssr=SsrMode::Async/>
                    <Route path=path!("/services/:name/objects/:cluster/:namespace/:kind/:object") view=MadePage ssr=SsrMode::Async/>
                    <Route path=path!("/teams/:name") view=TeamPage ssr=SsrMode::Async/>
                    <Route path=path!("/systems/:name") view=SystemPage ssr=SsrMode::Async/>
                </Routes>
            </Layout>
        </Router>
    }
}

/// Header, navigation and the page body.
#[component]
fn Layout(children: Children) -> impl IntoView {
    let location = use_location();
    let on_catalog = move || location.pathname.get() == "/";
    keyboard_shortcuts();
    view! {
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:p-2">"Skip to content"</a>
        <header class="border-b border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-900">
            <nav aria-label="Main" class="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
                <a href="/" class="flex items-center gap-2 text-lg font-semibold" data-testid="home">
                    <img src="/favicon.svg" alt="" width="24" height="24"/>
                    "Wayfinder"
                </a>
                <a href="/" class="nav-link">"Catalog"</a>
                <a href="/clusters" class="nav-link">"Clusters"</a>
                <a href="/errors" class="nav-link">"Errors"</a>
                <a href="/catalog/problems" class="nav-link">"Catalog problems"</a>
                <div class="ml-auto flex items-center gap-3">
                    <Show when=move || !on_catalog()>
                        <form action="/" method="get" role="search">
                            <label for="global-search" class="sr-only">"Search services"</label>
                            <input id="global-search" name="q" type="search" class="input" placeholder="Search services (/)"/>
                        </form>
                    </Show>
                    <ThemeToggle/>
                </div>
            </nav>
        </header>
        <main id="main" class="mx-auto max-w-7xl px-4 py-6">{children()}</main>
    }
}

/// Dark mode follows the system until the user picks one; the choice is kept in local storage.
#[component]
fn ThemeToggle() -> impl IntoView {
    // None until the browser has read the saved choice, so the server and the first client render agree.
    let (theme, set_theme) = signal(None::<&'static str>);
    Effect::new(move |_| match theme.get() {
        None => set_theme.set(Some(theme_dom::load())),
        Some(t) => theme_dom::apply(t),
    });
    let label = move || match theme.get().unwrap_or("system") {
        "dark" => "Theme: dark",
        "light" => "Theme: light",
        _ => "Theme: system",
    };
    view! {
        <button
            type="button"
            class="btn"
            data-testid="theme-toggle"
            data-theme=move || theme.get().unwrap_or("system")
            title="Switch between system, dark and light"
            on:click=move |_| set_theme.update(|t| {
                *t = Some(match t.unwrap_or("system") {
                    "system" => "dark",
                    "dark" => "light",
                    _ => "system",
                })
            })
        >
            {label}
        </button>
    }
}

/// `/` focuses the search box (the catalog's, or the header's on other pages).
fn keyboard_shortcuts() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::keydown, |ev| {
            if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let document = document();
            let typing = document
                .active_element()
                .map(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
                .unwrap_or(false);
            if typing {
                return;
            }
            let target = document
                .get_element_by_id("catalog-search")
                .or_else(|| document.get_element_by_id("global-search"));
            if let Some(input) = target.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
                ev.prevent_default();
                let _ = input.focus();
            }
        });
        on_cleanup(move || handle.remove());
    }
}

#[cfg(feature = "hydrate")]
mod theme_dom {
    const KEY: &str = "wayfinder-theme";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// The saved choice, or "system".
    pub fn load() -> &'static str {
        match storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .as_deref()
        {
            Some("dark") => "dark",
            Some("light") => "light",
            _ => "system",
        }
    }

    /// Puts `dark`/`light` on `<html>` (the CSS follows the system otherwise) and saves the choice.
    pub fn apply(theme: &str) {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let classes = root.class_list();
            let _ = classes.remove_2("dark", "light");
            if theme != "system" {
                let _ = classes.add_1(theme);
            }
        }
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, theme);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod theme_dom {
    pub fn load() -> &'static str {
        "system"
    }
    pub fn apply(_theme: &str) {}
}
