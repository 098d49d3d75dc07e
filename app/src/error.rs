//! The one error type of the app's server functions, and the one view of it.
//!
//! A page's data that fails to load answers with a real HTTP status during server rendering (404
//! for an unknown name, 503 when the portal cannot answer) and shows a fixed sentence: internal text
//! never reaches a browser.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

/// What a name that was not found names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Service,
    Team,
    System,
    /// A tab of a service page.
    Tab,
    /// A pod of a service (one that is not the service's is not found either).
    Pod,
    /// An object of a service (its YAML page).
    Object,
    /// A cluster (its page).
    Cluster,
}

/// Why a server function could not answer. On the wire it is one small number (see [`AppError::code`]):
/// a derived enum reader would cost the WASM bundle more than this whole type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "u8", from = "u8")]
pub enum AppError {
    #[error("not found")]
    NotFound(Entity),
    #[error("the portal cannot answer right now")]
    Unavailable,
    #[error("the request was not understood")]
    BadRequest,
    #[error("something went wrong in the portal")]
    Internal,
}

/// Every error, in wire-code order.
const ALL: [AppError; 10] = [
    AppError::Internal,
    AppError::Unavailable,
    AppError::BadRequest,
    AppError::NotFound(Entity::Service),
    AppError::NotFound(Entity::Team),
    AppError::NotFound(Entity::System),
    AppError::NotFound(Entity::Tab),
    AppError::NotFound(Entity::Pod),
    AppError::NotFound(Entity::Object),
    AppError::NotFound(Entity::Cluster),
];

impl From<AppError> for u8 {
    fn from(e: AppError) -> u8 {
        e.code()
    }
}

impl From<u8> for AppError {
    /// An unknown code (a newer server) reads as [`AppError::Internal`].
    fn from(code: u8) -> AppError {
        ALL.get(usize::from(code))
            .copied()
            .unwrap_or(AppError::Internal)
    }
}

impl AppError {
    /// The error's number on the wire between the portal and the browser.
    pub fn code(self) -> u8 {
        ALL.iter().position(|e| *e == self).unwrap_or(0) as u8
    }

    /// The HTTP status a page showing this error answers with.
    pub fn status(self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::Unavailable => 503,
            AppError::BadRequest => 400,
            AppError::Internal => 500,
        }
    }

    /// What the page says: fixed words, never the error's inner text.
    pub fn sentence(self) -> &'static str {
        match self {
            AppError::NotFound(Entity::Service) => "No service of that name is in the catalog.",
            AppError::NotFound(Entity::Team) => "No team of that name is in the catalog.",
            AppError::NotFound(Entity::System) => "No system of that name is in the catalog.",
            AppError::NotFound(Entity::Tab) => "This service page has no such tab.",
            AppError::NotFound(Entity::Pod) => {
                "No pod of that name belongs to this service in that cluster (now)."
            }
            AppError::NotFound(Entity::Object) => {
                "No object of that kind and name belongs to this service in that cluster (now)."
            }
            AppError::NotFound(Entity::Cluster) => "No cluster of that name is configured.",
            AppError::Unavailable => "The portal cannot answer right now. Try again in a moment.",
            AppError::BadRequest => "The portal did not understand this request.",
            AppError::Internal => "Something went wrong in the portal. Try again in a moment.",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(e: ServerFnErrorErr) -> Self {
        match e {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => AppError::BadRequest,
            // The portal could not be reached (the browser lost the server, a proxy in between).
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Unavailable,
            _ => AppError::Internal,
        }
    }
}

/// Every page's data read: the page's view when the read succeeds, [`error_view`] when it fails.
///
/// `read` returns the page's future (resources awaited inside it, so `<Suspense>` waits for them);
/// its view is type-erased, so this wrapper and its error path are in the WASM bundle once. Leptos's
/// `<ErrorBoundary>` would do the same job at 6.5 KB (gzip) more bundle, which the 400 KiB
/// first-load budget has no room for; see BENCHMARKS.md.
pub fn page_data<F, Fut>(read: F) -> AnyView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, AppError>> + Send + 'static,
{
    erased_page_data(Box::new(move || Box::pin(read())))
}

/// A page's read with its future boxed, so the reactive view below is one type for every page.
type PageRead =
    Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<AnyView, AppError>> + Send>> + Send + Sync>;

fn erased_page_data(read: PageRead) -> AnyView {
    (move || {
        let fut = read();
        Suspend::new(async move { fut.await.unwrap_or_else(error_view) })
    })
    .into_any()
}

/// The one error view: sets the HTTP status during server rendering and says what happened in
/// fixed words. A missing name shows the 404 page.
pub fn error_view(error: AppError) -> AnyView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(error.status()) {
            response.set_status(status);
        }
    }
    match error {
        AppError::NotFound(_) => {
            view! { <crate::components::NotFound what=error.sentence()/> }.into_any()
        }
        _ => view! {
            <div role="alert" data-testid="error" data-status=error.status()
                class="rounded border border-rose-300 bg-rose-50 p-4 text-rose-900 dark:border-rose-700 dark:bg-rose-950 dark:text-rose-100">
                <p class="font-semibold">"Something went wrong"</p>
                <p class="text-sm">{error.sentence()}</p>
            </div>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_answers_its_status_with_a_fixed_sentence() {
        let cases = [
            (AppError::NotFound(Entity::Service), 404, "No service"),
            (AppError::NotFound(Entity::Tab), 404, "no such tab"),
            (AppError::Unavailable, 503, "cannot answer right now"),
            (AppError::BadRequest, 400, "did not understand"),
            (AppError::Internal, 500, "Something went wrong"),
        ];
        for (e, status, words) in cases {
            assert_eq!(e.status(), status, "{e:?}");
            assert!(e.sentence().contains(words), "{e:?}: {}", e.sentence());
        }
    }

    #[test]
    fn server_fn_failures_become_app_errors_without_their_text() {
        let secret = "token=abc123 from /var/run/secrets".to_string();
        let e = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(secret.clone()));
        assert_eq!(e, AppError::Internal);
        assert!(!e.sentence().contains("abc123") && !e.to_string().contains("abc123"));
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Request(secret));
        assert_eq!(e, AppError::Unavailable);
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args("q".into()));
        assert_eq!(e, AppError::BadRequest);
    }

    #[test]
    fn the_error_round_trips_as_json() {
        for e in ALL {
            assert_eq!(AppError::de(e.ser()), e);
        }
        assert_eq!(AppError::from(200), AppError::Internal);
    }
}
