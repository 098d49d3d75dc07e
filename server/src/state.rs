//! The state every request reads: the catalog store behind the [`Portal`] trait pages use.

use crate::catalog::CatalogStore;
use app::api::ssr::{Portal, SharedPortal};
use app::model::{
    CatalogProblem, CatalogQuery, ServiceDetail, ServiceList, SystemDetail, TeamDetail,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Axum state: Leptos options for rendering and the portal for data.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub portal: SharedPortal,
}

/// The portal over the in-memory catalog.
pub struct CatalogPortal {
    store: Arc<CatalogStore>,
}

impl CatalogPortal {
    /// Wraps a store; every call reads its current snapshot.
    pub fn new(store: Arc<CatalogStore>) -> Self {
        Self { store }
    }
}

impl Portal for CatalogPortal {
    fn services(&self, query: &CatalogQuery) -> ServiceList {
        self.store.snapshot().query(query)
    }

    fn service(&self, name: &str) -> Option<ServiceDetail> {
        self.store.snapshot().service(name)
    }

    fn team(&self, name: &str) -> Option<TeamDetail> {
        self.store.snapshot().team(name)
    }

    fn system(&self, name: &str) -> Option<SystemDetail> {
        self.store.snapshot().system(name)
    }

    fn problems(&self) -> Vec<CatalogProblem> {
        self.store.snapshot().problems().to_vec()
    }

    fn clusters_configured(&self) -> usize {
        0
    }
}
