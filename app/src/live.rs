//! Live updates in the browser: an `EventSource` on one of the server's SSE streams, its latest
//! message as a signal, and whether the stream is up.

use leptos::prelude::*;
use serde::de::DeserializeOwned;

/// Whether a page's live stream is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Server-rendered, not yet connected (or no JavaScript).
    Connecting,
    Live,
    /// The stream broke; the browser retries on its own.
    Reconnecting,
}

/// A page's live data: the latest message (`None` until one arrives: the page shows its
/// server-rendered data), whether the stream is up, and seconds since the data was made (ticks every
/// second, so "synced N s ago" stays true between messages).
pub struct Live<T: Send + Sync + 'static> {
    pub data: RwSignal<Option<T>>,
    pub link: RwSignal<Link>,
    pub since: RwSignal<i64>,
}

/// Follows `url`'s `event: <event>` messages.
pub fn use_live<T>(url: impl Fn() -> String + Send + Sync + 'static, event: &'static str) -> Live<T>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let data = RwSignal::new(None::<T>);
    let link = RwSignal::new(Link::Connecting);
    let since = RwSignal::new(0_i64);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let tick = set_interval_with_handle(
            move || since.update(|s| *s += 1),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(t) = tick {
                t.clear();
            }
        });
    });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let url = url();
        data.set(None);
        let Ok(source) = web_sys::EventSource::new(&url) else {
            link.set(Link::Reconnecting);
            return;
        };
        let on_open = Closure::<dyn Fn()>::new(move || link.set(Link::Live));
        let on_error = Closure::<dyn Fn()>::new(move || link.set(Link::Reconnecting));
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    match crate::codec::from_json::<T>(&text) {
                        Ok(v) => {
                            data.set(Some(v));
                            link.set(Link::Live);
                        }
                        Err(err) => leptos::logging::warn!("live update from {url}: {err}"),
                    }
                }
            });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let _ = source.add_event_listener_with_callback(event, on_message.as_ref().unchecked_ref());
        let held = SendWrapper::new((source, on_open, on_error, on_message));
        on_cleanup(move || {
            let (source, ..) = &*held;
            source.close();
            drop(held);
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, event);
    Live { data, link, since }
}

/// The small live/stale indicator pages show next to their title.
#[component]
pub fn LiveIndicator(link: RwSignal<Link>) -> impl IntoView {
    let label = move || match link.get() {
        Link::Connecting => "connecting",
        Link::Live => "live",
        Link::Reconnecting => "reconnecting",
    };
    let dot = move || match link.get() {
        Link::Live => "bg-emerald-500",
        Link::Connecting => "bg-slate-400",
        Link::Reconnecting => "bg-amber-500",
    };
    view! {
        <span class="inline-flex items-center gap-1 text-xs text-muted" data-testid="live-indicator" data-link=label role="status">
            <span class=move || format!("inline-block h-2 w-2 rounded-full {}", dot())></span>
            {label}
        </span>
    }
}
