//! The HTTP wing: the state handlers share, the router, guards, the JSON API, live streams, the
//! bundle, kept pages and metrics. It sits on top of the read model ([`crate::views`]) and the
//! fleet, and nothing below imports it.

pub mod api;
pub mod assets;
pub mod guard;
pub mod live;
pub mod logs;
pub mod made;
pub mod metrics;
pub mod objects;
pub mod page_cache;
pub mod router;

pub use router::app;

use crate::clusters::Fleet;
use app::api::ssr::SharedPortal;
use axum::extract::FromRef;
use guard::Security;
use leptos::config::LeptosOptions;
use metrics::Metrics;
use page_cache::PageCache;
use std::sync::Arc;

/// Axum state: Leptos options for rendering and the portal for data, behind one `Arc`, so that
/// handing it to each middleware and handler of a request costs one reference count (the Leptos
/// options alone are a dozen strings; cloning them per request was a tenth of the JSON API's CPU).
/// A handler takes only the part it uses ([`FromRef`]).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub portal: SharedPortal,
    /// The catalog, for who owns a service (the access rule of logs and YAML).
    pub catalog: Arc<crate::catalog::CatalogStore>,
    pub fleet: Arc<Fleet>,
    pub metrics: Arc<Metrics>,
    pub security: Arc<Security>,
    /// Rendered service overview pages ([`page_cache`]).
    pub pages: Arc<PageCache>,
    /// The timeline's history.
    pub history: Arc<crate::history::History>,
}

impl AppState {
    /// The state of a router serving `shared`.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for SharedPortal {
    fn from_ref(state: &AppState) -> Self {
        state.portal.clone()
    }
}

impl FromRef<AppState> for Arc<Fleet> {
    fn from_ref(state: &AppState) -> Self {
        state.fleet.clone()
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<AppState> for Arc<Security> {
    fn from_ref(state: &AppState) -> Self {
        state.security.clone()
    }
}
