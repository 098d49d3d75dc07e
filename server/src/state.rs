//! The state every request reads: the catalog store behind the [`Portal`] trait pages use.

use crate::catalog::CatalogStore;
use crate::clusters::Fleet;
use app::api::ssr::{Portal, SharedPortal};
use app::model::{
    CatalogProblem, CatalogQuery, ClusterStatus, ServiceDetail, ServiceList, SystemDetail,
    TeamDetail,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Axum state: Leptos options for rendering and the portal for data.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub portal: SharedPortal,
    pub fleet: Arc<Fleet>,
}

/// The portal over the in-memory catalog.
pub struct CatalogPortal {
    store: Arc<CatalogStore>,
    fleet: Arc<Fleet>,
}

impl CatalogPortal {
    /// Wraps a store and the watched clusters; every call reads their current state.
    pub fn new(store: Arc<CatalogStore>, fleet: Arc<Fleet>) -> Self {
        Self { store, fleet }
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
        self.fleet.clusters.len()
    }

    fn clusters(&self) -> Vec<ClusterStatus> {
        self.fleet.statuses()
    }
}
