//! The read model every page and the JSON API read: the catalog and the clusters' caches behind
//! the [`Portal`] trait, with each service's view kept until something it shows changes.

use super::catalog::{annotate, discovered_summary};
use super::errors::{self, HealthCache};
use crate::catalog::query;
use crate::catalog::CatalogStore;
use crate::clusters::Fleet;
use crate::health::{Clock, Thresholds};
use app::api::ssr::{EncodedJson, Portal};
use app::model::{
    CatalogProblem, CatalogQuery, ClusterStatus, ErrorList, ErrorQuery, Finding, HealthSummary,
    ServiceDetail, ServiceList, ServicePart, ServiceSummary, SystemDetail, TeamDetail,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The portal over the in-memory catalog.
pub struct CatalogPortal {
    store: Arc<CatalogStore>,
    fleet: Arc<Fleet>,
    /// The rules' settings.
    thresholds: Thresholds,
    /// Each service's findings, for the catalog and `/errors`.
    health: HealthCache,
    details: Mutex<HashMap<String, Arc<Computed>>>,
    listing: Mutex<Option<Arc<Listed>>>,
    /// Itself, for background recomputations (empty unless made by [`CatalogPortal::shared`]).
    me: std::sync::Weak<CatalogPortal>,
    /// Services whose view is being recomputed in the background.
    refreshing: crate::in_flight::InFlight,
}

/// How long the catalog's annotated list (where each service runs, its health) is used before it is
/// worked out again in the background (answers use the previous one meanwhile); a catalog reload or
/// a service appearing or leaving a cluster renews it at once.
const LISTING_TTL: Duration = Duration::from_secs(2);
/// The most answers to `GET /api/v1/services` kept per listing (distinct queries); past it, they
/// start over.
const LISTING_JSON_MAX: usize = 1024;

/// The catalog's list of every service, with what it was worked out from.
struct Listed {
    catalog: Arc<crate::catalog::Catalog>,
    placements: Arc<crate::clusters::Placements>,
    at: Instant,
    listing: Arc<query::Listing>,
    /// Moves on when what the catalog shows changes, not when it is worked out again unchanged:
    /// what rendered catalog pages are kept by.
    generation: u64,
    /// Answers to `GET /api/v1/services` for this listing, by query.
    json: Arc<Mutex<HashMap<CatalogQuery, EncodedJson>>>,
}

/// The longest a service's computed view is used while nothing it shows changes. Until then it is
/// computed again only when the clock alone would change it (`Report::until`: a finding's window
/// passing, an age in a message, a week's edge); ages are moved on when served, and this bounds
/// the rest (the autoscalers' hour of replica history slides on).
const DETAIL_MAX_AGE: Duration = Duration::from_secs(60);

/// A service's view as computed from the caches, with what it was computed from.
struct Computed {
    catalog: Arc<crate::catalog::Catalog>,
    version: (u64, u64),
    at: Instant,
    generated: jiff::Timestamp,
    /// When the clock alone may change it (Unix second).
    until: i64,
    detail: ServiceDetail,
    encoded: OnceLock<EncodedJson>,
    /// The Clusters tab's server-made sections, made once per view.
    clusters_html: OnceLock<String>,
}

impl Computed {
    fn clusters_html(&self) -> &str {
        self.clusters_html
            .get_or_init(|| app::pages::service_map::render::clusters_tab(&self.detail))
    }

    /// Nothing the clock moves has changed it yet.
    fn current(&self) -> bool {
        jiff::Timestamp::now().as_second() < self.until && self.at.elapsed() < DETAIL_MAX_AGE
    }
}

impl CatalogPortal {
    /// Wraps a store and the watched clusters; every call reads their current state.
    pub fn new(store: Arc<CatalogStore>, fleet: Arc<Fleet>, thresholds: Thresholds) -> Self {
        Self {
            store,
            fleet,
            thresholds,
            health: HealthCache::default(),
            details: Mutex::default(),
            listing: Mutex::default(),
            me: std::sync::Weak::new(),
            refreshing: Default::default(),
        }
    }

    /// [`CatalogPortal::new`], shared, and able to recompute views in the background.
    pub fn shared(
        store: Arc<CatalogStore>,
        fleet: Arc<Fleet>,
        thresholds: Thresholds,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            me: me.clone(),
            ..Self::new(store, fleet, thresholds)
        })
    }

    /// Every service, described or discovered, with where it runs and its health. Kept while the
    /// catalog and the placements stay the same; once [`LISTING_TTL`] old it is worked out again
    /// in the background (once, however many ask) while answers keep using it, so no request waits
    /// for the fleet's health to be read again.
    fn listed(&self) -> Arc<Listed> {
        let catalog = self.store.snapshot();
        let placements = self.fleet.placements();
        let mut kept = self.listing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(l) = kept.as_ref() {
            if Arc::ptr_eq(&l.catalog, &catalog)
                && Arc::ptr_eq(&l.placements, &placements)
                && (l.at.elapsed() < LISTING_TTL || self.relist_later())
            {
                return l.clone();
            }
        }
        // The catalog or the placements changed: worked out now, while later askers wait for it.
        let l = self.relist(kept.as_ref(), catalog, placements);
        *kept = Some(l.clone());
        l
    }

    /// Works the listing out again in the background; false when it cannot (see
    /// [`CatalogPortal::refresh_later`]).
    fn relist_later(&self) -> bool {
        let (Some(me), Ok(runtime)) = (self.me.upgrade(), tokio::runtime::Handle::try_current())
        else {
            return false;
        };
        // No service is named "": the key is the listing's own.
        if let Some(started) = self.refreshing.start("") {
            runtime.spawn_blocking(move || {
                let _started = started;
                let (catalog, placements) = (me.store.snapshot(), me.fleet.placements());
                let before = me
                    .listing
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                let l = me.relist(before.as_ref(), catalog, placements);
                let mut kept = me.listing.lock().unwrap_or_else(PoisonError::into_inner);
                // Unless a change was worked out meanwhile.
                if kept.as_ref().map(|k| k.generation) == before.as_ref().map(|b| b.generation) {
                    *kept = Some(l);
                }
            });
        }
        true
    }

    /// The listing worked out now; the previous one's generation (and kept answers) when it shows
    /// the same.
    fn relist(
        &self,
        before: Option<&Arc<Listed>>,
        catalog: Arc<crate::catalog::Catalog>,
        placements: Arc<crate::clusters::Placements>,
    ) -> Arc<Listed> {
        let mut all: Vec<ServiceSummary> = catalog.services().to_vec();
        all.extend(
            placements
                .iter()
                .filter(|(_, p)| p.discovered)
                .map(|(n, p)| discovered_summary(n, p)),
        );
        annotate(&mut all, &self.fleet, &self.health, self.thresholds);
        let listing = query::Listing::new(all);
        let same = before.filter(|b| Arc::ptr_eq(&b.catalog, &catalog) && *b.listing == listing);
        Arc::new(match same {
            Some(b) => Listed {
                catalog,
                placements,
                at: Instant::now(),
                listing: b.listing.clone(),
                generation: b.generation,
                json: b.json.clone(),
            },
            None => Listed {
                catalog,
                placements,
                at: Instant::now(),
                listing: Arc::new(listing),
                generation: before.map_or(1, |b| b.generation + 1),
                json: Arc::default(),
            },
        })
    }

    /// The service's view: the one computed before while neither the catalog nor anything of the
    /// service changed and the clock has not moved it on ([`Computed::current`]), else computed now
    /// and kept. A view that only the clock moved on (nothing it shows changed) is still answered
    /// once more while a fresh one is computed in the background, so no request waits for that.
    fn computed(&self, name: &str) -> Option<Arc<Computed>> {
        let catalog = self.store.snapshot();
        // Read before computing: a change landing meanwhile makes the copy stale at once.
        let version = self.fleet.version_of(name);
        let kept = self
            .details
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned();
        if let Some(c) = kept {
            if Arc::ptr_eq(&c.catalog, &catalog)
                && c.version == version
                && (c.current() || self.refresh_later(name))
            {
                return Some(c);
            }
        }
        self.fresh(name, catalog, version)
    }

    /// Starts computing `name`'s view in the background (once, however many ask); false when it
    /// cannot (no runtime, or a portal not made by [`CatalogPortal::shared`]).
    fn refresh_later(&self, name: &str) -> bool {
        let (Some(me), Ok(runtime)) = (self.me.upgrade(), tokio::runtime::Handle::try_current())
        else {
            return false;
        };
        if let Some(started) = self.refreshing.start(name) {
            let name = name.to_string();
            runtime.spawn_blocking(move || {
                let _started = started;
                let catalog = me.store.snapshot();
                let version = me.fleet.version_of(&name);
                if let Some(c) = me.fresh(&name, catalog, version) {
                    c.encoded.get_or_init(|| encode(&c.detail));
                }
            });
        }
        true
    }

    /// Computes the service's view now and keeps it.
    fn fresh(
        &self,
        name: &str,
        catalog: Arc<crate::catalog::Catalog>,
        version: (u64, u64),
    ) -> Option<Arc<Computed>> {
        let lock = || self.details.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((mut detail, until)) = self.compute(name, &catalog) else {
            lock().remove(name);
            return None;
        };
        let generated = jiff::Timestamp::now();
        detail.generated_at = Some(crate::time::rfc3339(generated));
        let c = Arc::new(Computed {
            catalog,
            version,
            at: Instant::now(),
            generated,
            until,
            detail,
            encoded: OnceLock::new(),
            clusters_html: OnceLock::new(),
        });
        lock().insert(name.to_string(), c.clone());
        Some(c)
    }

    /// The service's view, and when the clock alone may change it. Its findings are kept for
    /// the catalog and `/errors` too.
    fn compute(
        &self,
        name: &str,
        catalog: &crate::catalog::Catalog,
    ) -> Option<(ServiceDetail, i64)> {
        let mut d = match catalog.service(name) {
            Some(d) => d,
            None => {
                let placements = self.fleet.placements();
                let p = placements.get(name).filter(|p| p.discovered)?;
                ServiceDetail::new(discovered_summary(name, p))
            }
        };
        let version = self.fleet.version_of(&d.summary.name);
        let clock = Clock::new(jiff::Timestamp::now());
        super::service::fill(&mut d, &self.fleet, self.thresholds, &clock);
        let health = d.summary.health.clone();
        self.health
            .remember(&d.summary.name, version, &d.errors, health, &clock);
        Some((d, clock.until()))
    }

    /// A service's findings and health in brief.
    fn health_of(&self, service: &str) -> (Arc<Vec<Finding>>, HealthSummary) {
        self.health.of(&self.fleet, self.thresholds, service)
    }
}

/// JSON and gzip of a view, each made once.
fn encode(view: &impl serde::Serialize) -> EncodedJson {
    let json = serde_json::to_vec(view).unwrap_or_default();
    let gzip = crate::compress::gzip(&json, flate2::Compression::default())
        .ok()
        .map(Arc::from);
    EncodedJson {
        json: json.into(),
        gzip,
    }
}

impl Portal for CatalogPortal {
    fn services(&self, query: &CatalogQuery) -> ServiceList {
        let l = self.listed();
        l.listing.query(query, l.catalog.problems().len())
    }

    fn services_json(&self, query: &CatalogQuery) -> EncodedJson {
        let l = self.listed();
        if let Some(e) = l
            .json
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(query)
        {
            return e.clone();
        }
        let problem_count = l.catalog.problems().len();
        let list = l.listing.query(query, problem_count);
        let e = encode(&list);
        let mut kept = l.json.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= LISTING_JSON_MAX {
            kept.clear();
        }
        kept.insert(query.clone(), e.clone());
        e
    }

    fn catalog_version(&self) -> Option<u64> {
        Some(self.listed().generation)
    }

    fn service(&self, name: &str) -> Option<ServiceDetail> {
        self.aged(name, ServiceDetail::clone)
    }

    fn service_part(&self, name: &str, part: ServicePart) -> Option<ServiceDetail> {
        let c = self.computed(name)?;
        let html = (part == ServicePart::Clusters).then(|| c.clusters_html().to_string());
        self.aged_from(&c, |d| ServiceDetail {
            clusters_html: html,
            ..d.part(part)
        })
    }

    fn service_live(&self, name: &str) -> Option<ServiceDetail> {
        let c = self.computed(name)?;
        let html = c.clusters_html().to_string();
        self.aged_from(&c, |d| ServiceDetail {
            clusters_html: Some(html),
            ..d.clone()
        })
    }

    fn page_version(&self, name: &str) -> Option<(u64, u64)> {
        use std::hash::{Hash, Hasher};
        let c = self.computed(name)?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (Arc::as_ptr(&c.catalog) as usize, c.version).hash(&mut h);
        // The computation's time to the nanosecond tells one view from the next.
        let view = c.generated.as_nanosecond() as u64;
        Some((h.finish(), view))
    }

    fn service_json(&self, name: &str) -> Option<EncodedJson> {
        let c = self.computed(name)?;
        Some(c.encoded.get_or_init(|| encode(&c.detail)).clone())
    }

    fn team(&self, name: &str) -> Option<TeamDetail> {
        let mut t = self.store.snapshot().team(name)?;
        annotate(&mut t.services, &self.fleet, &self.health, self.thresholds);
        Some(t)
    }

    fn system(&self, name: &str) -> Option<SystemDetail> {
        let mut s = self.store.snapshot().system(name)?;
        annotate(
            &mut s.components,
            &self.fleet,
            &self.health,
            self.thresholds,
        );
        Some(s)
    }

    fn problems(&self) -> Vec<CatalogProblem> {
        self.store.snapshot().problems().to_vec()
    }

    fn clusters_configured(&self) -> usize {
        self.fleet.clusters().len()
    }

    fn clusters(&self) -> Vec<ClusterStatus> {
        self.fleet.statuses()
    }

    fn errors(&self, q: &ErrorQuery) -> ErrorList {
        let catalog = self.store.snapshot();
        let mut all: Vec<Finding> = Vec::new();
        for name in self.fleet.placements().keys() {
            all.extend(self.health_of(name).0.iter().cloned());
        }
        errors::list(all, &catalog, &self.fleet.regions(), q)
    }
}

impl CatalogPortal {
    /// A service's findings now (kept until a change touches it): what the timeline's recorder
    /// compares.
    pub fn findings_of(&self, service: &str) -> Arc<Vec<Finding>> {
        self.health_of(service).0
    }

    /// The catalog's service names.
    pub fn service_names(&self) -> std::collections::BTreeSet<String> {
        self.store
            .snapshot()
            .services()
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    /// A copy of (part of) the service's kept view with its ages moved on to now.
    fn aged(
        &self,
        name: &str,
        copy: impl FnOnce(&ServiceDetail) -> ServiceDetail,
    ) -> Option<ServiceDetail> {
        self.aged_from(&*self.computed(name)?, copy)
    }

    /// [`CatalogPortal::aged`] of a view already at hand.
    fn aged_from(
        &self,
        c: &Computed,
        copy: impl FnOnce(&ServiceDetail) -> ServiceDetail,
    ) -> Option<ServiceDetail> {
        let now = jiff::Timestamp::now();
        let mut d = copy(&c.detail);
        d.age_by(now.as_second() - c.generated.as_second());
        // A cluster's last change moves on with other services' objects too: read it now.
        for cluster in &mut d.clusters {
            if let Some(w) = self.fleet.cluster(&cluster.cluster) {
                cluster.change_age_seconds = w
                    .status
                    .summary()
                    .last_change()
                    .map(crate::time::age_seconds);
            }
        }
        d.generated_at = Some(crate::time::rfc3339(now));
        Some(d)
    }
}
