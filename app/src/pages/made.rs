//! The pages the server makes whole ([`super::pod`], [`super::object`]): they read a cluster or
//! check who may see what before they render, which a render cannot wait for without carrying the
//! waiting into the browser bundle. A layer in the server makes the page's HTML for the request
//! ([`MadeHtml`]); the browser keeps that markup and only wires it: [`streams`] opens the
//! Server-Sent Event streams it names (`data-stream`) and [`copies`] its copy buttons. Links to
//! these pages are `rel=external` (a full load: the browser has nothing to render).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The made pages' own styles, sent with each of them (`server::http::made` puts them first), so
/// the stylesheet every page loads does not carry what only these pages use: a stream's state
/// (`live-state`: its `data-link` said in words and colour), the timeline's axis (`tl-*`), and a
/// few layout rules (`wf-*`). Class names no Tailwind utility has, so Tailwind adds nothing for them.
#[cfg(feature = "ssr")]
pub const STYLE: &str = ".live-state::after{content:attr(data-link)}\
.live-state[data-link=live]{color:#047857}.live-state[data-link=reconnecting]{color:#92400e}\
.dark .live-state[data-link=live]{color:#6ee7b7}\
@media (prefers-color-scheme:dark){html:not(.light) .live-state[data-link=live]{color:#6ee7b7}}\
.wf-break{word-break:break-all}.wf-disc{list-style-type:disc;padding-left:1.25rem}\
@media (min-width:40rem){.wf-cols-2{grid-template-columns:repeat(2,minmax(0,1fr))}}\
.tl-ticks{position:relative;margin-left:9rem;height:1.25rem}\
.tl-tick{position:absolute;transform:translateX(-50%);white-space:nowrap}\
.tl-lane{display:flex;align-items:center;gap:.5rem;border-top:1px solid rgb(148 163 184/.35);padding:.25rem 0}\
.tl-label{width:8.5rem;flex-shrink:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\
.tl-track{position:relative;height:1.25rem;flex:1;border-radius:.25rem;background:rgb(148 163 184/.15)}\
.tl-mark{position:absolute;top:.25rem;height:.75rem;width:.375rem;transform:translateX(-50%);border-radius:2px}\
.tl-mark:focus,.tl-mark:hover{outline:2px solid #2563eb;outline-offset:1px;z-index:1}\
.tl-key{display:inline-block;height:.75rem;width:.375rem;border-radius:2px;margin-right:.25rem;vertical-align:middle}\
tr:target{background:rgb(251 191 36/.2)}";

/// The page the server made for this request (run before the page renders: see
/// `server::http::made`), in the request's extensions.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct MadeHtml(pub Result<String, crate::error::AppError>);

/// A page the server made: the pod page and the object page.
#[component]
pub fn MadePage() -> impl IntoView {
    let title = use_params_map().with_untracked(|p| {
        p.get("pod")
            .or_else(|| p.get("object"))
            .or_else(|| p.get("name"))
    });
    #[cfg(feature = "ssr")]
    let html = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<MadeHtml>().cloned())
        .map_or(Err(crate::error::AppError::Unavailable), |h| h.0)
        .unwrap_or_else(|e| crate::error::error_view(e).to_html());
    // The browser never renders this page itself: it keeps the server's markup.
    #[cfg(not(feature = "ssr"))]
    let html = String::new();
    let root = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        // Only a full load has the server's markup: a page the router reached (the back button)
        // loads again.
        let hydrating = Owner::current_shared_context().is_some_and(|c| c.during_hydration());
        if !hydrating {
            let _ = window().location().reload();
        }
        Effect::new(move |_| {
            if let (Some(el), true) = (root.get(), hydrating) {
                streams(&el);
                copies(&el);
            }
        });
    }
    view! {
        <Title text=title.unwrap_or_default()/>
        <div node_ref=root inner_html=html></div>
    }
}

/// Opens each `data-stream` of the page's markup: `data-mode="replace"` swaps the element's
/// content for each message's HTML, `append` adds each message as a line (marked when it contains
/// `data-q`). The `data-link` of the element `data-indicator` names (else of the element itself)
/// says whether the stream is `live`, `reconnecting` or `ended`.
#[cfg(feature = "hydrate")]
fn streams(root: &web_sys::HtmlDivElement) {
    use send_wrapper::SendWrapper;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Ok(found) = root.query_selector_all("[data-stream]") else {
        return;
    };
    let mut held = Vec::new();
    for i in 0..found.length() {
        let Some(el) = found
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let attr = |name: &str| el.get_attribute(name).unwrap_or_default();
        let Ok(source) = web_sys::EventSource::new(&attr("data-stream")) else {
            continue;
        };
        let (append, q) = (attr("data-mode") == "append", attr("data-q"));
        let shown = document()
            .get_element_by_id(&attr("data-indicator"))
            .unwrap_or_else(|| el.clone());
        let (target, closer) = (el.clone(), source.clone());
        // One handler for the stream's messages and its state changes.
        let on_event =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let state = match e.type_().as_str() {
                    "open" => "live",
                    "error" => "reconnecting",
                    "end" | "gone" => {
                        closer.close();
                        "ended"
                    }
                    _ => {
                        let text = e.data().as_string().unwrap_or_default();
                        if !append {
                            target.set_inner_html(&text);
                        } else if let Ok(line) = document().create_element(
                            if !q.is_empty() && text.to_ascii_lowercase().contains(&q) {
                                "mark"
                            } else {
                                "span"
                            },
                        ) {
                            line.set_text_content(Some(&format!("{text}\n")));
                            let _ = target.append_child(&line);
                        }
                        return;
                    }
                };
                let _ = shown.set_attribute("data-link", state);
            });
        for name in [attr("data-event").as_str(), "open", "error", "end", "gone"] {
            let _ =
                source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
        }
        held.push((source, on_event));
    }
    let held = SendWrapper::new(held);
    on_cleanup(move || {
        for (source, ..) in held.iter() {
            source.close();
        }
        drop(held);
    });
}

/// Each `data-copy` button copies the text of the element whose id it names to the clipboard, and
/// says so.
#[cfg(feature = "hydrate")]
fn copies(root: &web_sys::HtmlDivElement) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Ok(found) = root.query_selector_all("[data-copy]") else {
        return;
    };
    for i in 0..found.length() {
        let Some(button) = found
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let shown = button.clone();
        let on_click = Closure::<dyn Fn()>::new(move || {
            let text = shown
                .get_attribute("data-copy")
                .and_then(|id| document().get_element_by_id(&id))
                .and_then(|e| e.text_content())
                .unwrap_or_default();
            let _ = window().navigator().clipboard().write_text(&text);
            shown.set_text_content(Some("Copied"));
        });
        let _ = button.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
        // The button lives as long as the page (a made page is left by a full load).
        on_click.forget();
    }
}
