//! The one error type of the app's server functions, and the one view of it.
//!
//! A page's data that fails to load answers with a real HTTP status during server rendering (404
//! for an unknown name, 503 when the portal cannot answer) and shows a fixed sentence: internal text
//! never reaches a browser.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a name that was not found names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entity {
    Service,
    Team,
    System,
    /// A tab of a service page.
    Tab,
}

/// Why a server function could not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
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

impl AppError {
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

/// The first [`AppError`] among a boundary's errors (anything else counts as internal).
pub fn first_error(errors: &Errors) -> AppError {
    errors
        .iter()
        .next()
        .map(|(_, e)| {
            (**e)
                .downcast_ref::<AppError>()
                .copied()
                .unwrap_or(AppError::Internal)
        })
        .unwrap_or(AppError::Internal)
}

/// The boundary every page's data read sits under: an `Err` below it shows [`ErrorView`].
///
/// Children are type-erased (and pages hand it `Result<AnyView, AppError>`), so the boundary's
/// code is in the WASM bundle once rather than once per page.
#[component]
pub fn DataBoundary(children: Children) -> impl IntoView {
    view! { <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>{children()}</ErrorBoundary> }
}

/// The one error view: sets the HTTP status during server rendering and says what happened in
/// fixed words. A missing name shows the 404 page.
#[component]
pub fn ErrorView(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let error = first_error(&errors.read());
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
        for e in [AppError::NotFound(Entity::Team), AppError::Unavailable] {
            assert_eq!(AppError::de(e.ser()), e);
        }
    }
}
