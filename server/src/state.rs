//! The state every request reads: the catalog store behind the [`Portal`] trait pages use.

use crate::catalog::query;
use crate::catalog::CatalogStore;
use crate::clusters::{Fleet, Placement};
use app::api::ssr::{Portal, SharedPortal};
use app::model::{
    CatalogProblem, CatalogQuery, ClusterStatus, ServiceDetail, ServiceList, ServiceSummary,
    SystemDetail, TeamDetail,
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
    pub metrics: Arc<crate::metrics::Metrics>,
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

/// Keeps the clusters' object → service mapping in step with the catalog: checked every second,
/// remapped when a reload produced a new snapshot.
pub fn follow_catalog(store: Arc<CatalogStore>, fleet: Arc<Fleet>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen = store.snapshot();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let now = store.snapshot();
            if !Arc::ptr_eq(&now, &seen) {
                fleet.set_catalog(&now.kubernetes_selectors());
                seen = now;
            }
        }
    })
}

/// The catalog row of a service found only in clusters.
fn discovered_summary(name: &str, p: &Placement) -> ServiceSummary {
    ServiceSummary {
        name: name.to_string(),
        namespace: p.namespace.clone().unwrap_or_default(),
        title: name.to_string(),
        description: "Found in clusters; no catalog descriptor describes it.".into(),
        owner: None,
        system: None,
        lifecycle: String::new(),
        kind: String::new(),
        tags: Vec::new(),
        health: Default::default(),
        discovered: true,
        cluster_names: p.clusters.iter().cloned().collect(),
        regions: p.regions.iter().cloned().collect(),
    }
}

impl CatalogPortal {
    /// Every service, described or discovered, with where it runs.
    fn all_services(&self) -> (Vec<ServiceSummary>, usize) {
        let catalog = self.store.snapshot();
        let placements = self.fleet.placements();
        let mut all: Vec<ServiceSummary> = catalog.services().to_vec();
        for s in &mut all {
            if let Some(p) = placements.get(&s.name) {
                s.cluster_names = p.clusters.iter().cloned().collect();
                s.regions = p.regions.iter().cloned().collect();
            }
        }
        all.extend(
            placements
                .iter()
                .filter(|(_, p)| p.discovered)
                .map(|(n, p)| discovered_summary(n, p)),
        );
        for s in &mut all {
            if placements.contains_key(&s.name) {
                s.health = self.fleet.health_of(&s.name).1;
            }
        }
        (all, catalog.problems().len())
    }
}

impl Portal for CatalogPortal {
    fn services(&self, query: &CatalogQuery) -> ServiceList {
        let (all, problem_count) = self.all_services();
        ServiceList {
            items: query::filter_and_sort(&all, query),
            total: all.len(),
            facets: query::facets(&all),
            problem_count,
        }
    }

    fn service(&self, name: &str) -> Option<ServiceDetail> {
        let mut d = match self.store.snapshot().service(name) {
            Some(d) => d,
            None => {
                let placements = self.fleet.placements();
                let p = placements.get(name).filter(|p| p.discovered)?;
                ServiceDetail {
                    summary: discovered_summary(name, p),
                    links: Vec::new(),
                    labels: Default::default(),
                    provides_apis: Vec::new(),
                    consumes_apis: Vec::new(),
                    depends_on: Vec::new(),
                    kubernetes: Default::default(),
                    source: String::new(),
                    clusters: Vec::new(),
                    errors: Vec::new(),
                    autoscalers: Vec::new(),
                    fixed_replicas: Vec::new(),
                    spread: Default::default(),
                    rollouts: Vec::new(),
                    deploys_per_week: Vec::new(),
                    health: Default::default(),
                }
            }
        };
        let r = self.fleet.report(&d.summary.name);
        d.summary.cluster_names = r.clusters.iter().map(|c| c.cluster.clone()).collect();
        let regions: std::collections::BTreeSet<String> =
            r.clusters.iter().map(|c| c.region.clone()).collect();
        d.summary.regions = regions.into_iter().collect();
        d.summary.health = r.health.clone();
        d.clusters = r.clusters;
        d.errors = r.errors;
        d.autoscalers = r.autoscalers;
        d.fixed_replicas = r.fixed;
        d.spread = r.spread;
        d.rollouts = r.rollouts;
        d.deploys_per_week = r.deploys_per_week;
        d.health = r.health;
        Some(d)
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
