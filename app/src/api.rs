//! Server functions: the browser's typed door to the portal's in-memory state.
//!
//! Every function here is a public endpoint. Arguments are narrow and validated; answers come from the
//! server's caches through [`ssr::Portal`], never from a call to a cluster.

use crate::error::AppError;
use crate::model::{
    CatalogProblem, CatalogQuery, ServiceDetail, ServiceList, ServicePart, SystemDetail, TeamDetail,
};
use leptos::prelude::*;

/// Longest name accepted in a path; Kubernetes and Backstage names are at most 63 (253 for DNS names).
const MAX_NAME: usize = 253;

/// True when `name` could be a catalog entity name, so arbitrary input never reaches a lookup.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Server-side access to the portal's state, injected with `provide_context`.
#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::model::{
        CatalogProblem, CatalogQuery, ClusterStatus, ServiceDetail, ServiceList, ServicePart,
        SystemDetail, TeamDetail,
    };
    use leptos::prelude::*;
    use std::sync::Arc;

    /// What pages and the JSON API read. The server implements it over its caches.
    pub trait Portal: Send + Sync + 'static {
        /// The catalog table for one query (filtered, sorted, with facets).
        fn services(&self, query: &CatalogQuery) -> ServiceList;
        /// One service by name, `None` when the catalog has no such service.
        fn service(&self, name: &str) -> Option<ServiceDetail>;
        /// The part of a service one tab of its page shows ([`ServiceDetail::part`]).
        fn service_part(&self, name: &str, part: ServicePart) -> Option<ServiceDetail> {
            Some(self.service(name)?.part(part))
        }
        /// What a service's rendered overview page was made from: (its objects and the catalog,
        /// the computation of its view). A kept page whose first number differs must not be
        /// shown; one whose second differs (the clock moved the view on) is shown once more while
        /// it renders again. `None` when pages of this service must not be kept (or it is unknown).
        fn page_version(&self, _name: &str) -> Option<(u64, u64)> {
            None
        }
        /// One team (Backstage `Group`) by name.
        fn team(&self, name: &str) -> Option<TeamDetail>;
        /// One system by name.
        fn system(&self, name: &str) -> Option<SystemDetail>;
        /// Every problem found in the descriptor files.
        fn problems(&self) -> Vec<CatalogProblem>;
        /// How many clusters the portal is configured with.
        fn clusters_configured(&self) -> usize;
        /// Every cluster's status, from the shared watches.
        fn clusters(&self) -> Vec<ClusterStatus>;
        /// Every finding in the fleet matching the filters.
        fn errors(&self, query: &crate::model::ErrorQuery) -> crate::model::ErrorList;
        /// [`Portal::service`] encoded for `GET /api/v1/services/{name}`: JSON, and the same
        /// gzip-compressed when the portal keeps it so. The server answers from a copy kept until
        /// the service changes (its `generatedAt` says when it was computed).
        fn service_json(&self, name: &str) -> Option<EncodedJson> {
            let json = serde_json::to_vec(&self.service(name)?).ok()?;
            Some(EncodedJson {
                json: json.into(),
                gzip: None,
            })
        }
        /// The service as its live stream sends it: [`Portal::service`] with the Clusters tab's
        /// server-made sections ([`ServiceDetail::clusters_html`]: the map, custom resources,
        /// drift), so the open tab stays live.
        fn service_live(&self, name: &str) -> Option<ServiceDetail> {
            let mut d = self.service(name)?;
            d.clusters_html = Some(crate::pages::service_map::render::clusters_tab(&d));
            Some(d)
        }
        /// [`Portal::services`] encoded for `GET /api/v1/services`, the same way: the server
        /// answers each query from a copy kept while the catalog shows the same.
        fn services_json(&self, query: &CatalogQuery) -> EncodedJson {
            EncodedJson {
                json: serde_json::to_vec(&self.services(query))
                    .unwrap_or_default()
                    .into(),
                gzip: None,
            }
        }
        /// What the catalog's rendered pages were made from: a kept page of another number must
        /// not be shown. `None` when catalog pages must not be kept.
        fn catalog_version(&self) -> Option<u64> {
            None
        }
    }

    /// A response body ready to send, and its gzip encoding when there is one.
    #[derive(Clone, Debug)]
    pub struct EncodedJson {
        pub json: Arc<[u8]>,
        pub gzip: Option<Arc<[u8]>>,
    }

    /// The handle pages receive through the context.
    pub type SharedPortal = Arc<dyn Portal>;

    /// Pod logs for pages, read from the cluster when a user asks; the server implements it with
    /// the same checks as its log API (the pod is the service's, the viewer may read it).
    pub trait PodLogs: Send + Sync + 'static {
        /// The last `lines` lines of the log that `rule`'s finding about `pod` points at (the
        /// container the rule names; the crashed run for crashes), for a viewer with these headers.
        fn tail(
            &self,
            at: LogAt,
            lines: i64,
            headers: http::HeaderMap,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = crate::model::LogTail> + Send + 'static>,
        >;
    }

    /// A future the page readers return (boxed: the trait is used as an object).
    pub type Pending<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

    /// The made pages' reads ([`crate::pages::pod::render::page`],
    /// [`crate::pages::object::render::page`]), with the API's checks: the pod or object is the
    /// service's, the viewer may read its logs or YAML (each read audited).
    pub trait MadePages: Send + Sync + 'static {
        /// The pod with its findings and all its events; `None` when it is not the service's.
        fn pod(&self, at: LogAt) -> Pending<Option<crate::model::PodDetail>>;
        /// The pod's containers as cached, `(name, is an init container)`, init containers first;
        /// `None` when it is not the service's.
        fn containers(&self, at: &LogAt) -> Option<Vec<(String, bool)>>;
        /// The last `lines` lines of `container`'s log (its previous run with `previous`).
        fn log(
            &self,
            at: LogAt,
            container: Option<String>,
            previous: bool,
            lines: i64,
            headers: http::HeaderMap,
        ) -> Pending<crate::model::LogTail>;
        /// The YAML of the service's object `[service, cluster, namespace, kind, object]` for the
        /// viewer of `headers`.
        fn object_yaml(&self, at: [&str; 5], headers: &http::HeaderMap) -> Result<String, Unread>;
        /// The cluster's page; `None` when no cluster of that name is configured.
        fn cluster(&self, name: &str) -> Option<crate::model::ClusterDetail>;
        /// The service's timeline; a query that was not understood is `BadRequest` with the
        /// sentence naming what.
        fn timeline(
            &self,
            name: &str,
            query: crate::model::TimelineQuery,
        ) -> Pending<Result<crate::model::Timeline, (crate::error::AppError, String)>>;
    }

    /// Why an object's YAML is not shown.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Unread {
        /// It is not one of the service's objects (now).
        NotFound,
        /// The viewer may not read it: the sentence saying who may.
        Refused(String),
        /// It could not be written, in words.
        Failed(String),
    }

    /// Which finding's log: the service, the rule, and the pod.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct LogAt {
        pub service: String,
        pub rule: String,
        pub cluster: String,
        pub namespace: String,
        pub pod: String,
    }

    /// The pod log reader pages receive through the context.
    pub type SharedLogs = Arc<dyn PodLogs>;

    /// The portal from the request's context; unavailable (503) without one.
    pub fn portal() -> Result<SharedPortal, crate::error::AppError> {
        use_context::<SharedPortal>().ok_or(crate::error::AppError::Unavailable)
    }
}

/// The catalog table for the filters in the page's query string.
#[server(output = crate::codec::JsonOut)]
pub async fn list_services(query: CatalogQuery) -> Result<ServiceList, AppError> {
    Ok(ssr::portal()?.services(&query.bounded()))
}

/// What one tab of a service's page shows; an unknown name is not found (404).
#[server(output = crate::codec::JsonOut)]
pub async fn get_service(name: String, part: ServicePart) -> Result<ServiceDetail, AppError> {
    let missing = AppError::NotFound(crate::error::Entity::Service);
    if !valid_name(&name) {
        return Err(missing);
    }
    ssr::portal()?.service_part(&name, part).ok_or(missing)
}

/// One team's page data; an unknown name is not found (404).
#[server(output = crate::codec::JsonOut)]
pub async fn get_team(name: String) -> Result<TeamDetail, AppError> {
    let missing = AppError::NotFound(crate::error::Entity::Team);
    if !valid_name(&name) {
        return Err(missing);
    }
    ssr::portal()?.team(&name).ok_or(missing)
}

/// One system's page data; an unknown name is not found (404).
#[server(output = crate::codec::JsonOut)]
pub async fn get_system(name: String) -> Result<SystemDetail, AppError> {
    let missing = AppError::NotFound(crate::error::Entity::System);
    if !valid_name(&name) {
        return Err(missing);
    }
    ssr::portal()?.system(&name).ok_or(missing)
}

/// The last 20 lines of the container log a finding (`rule` about `pod`) points at, fetched when
/// the finding is opened.
#[server(output = crate::codec::JsonOut)]
pub async fn log_tail(
    service: String,
    rule: String,
    cluster: String,
    namespace: String,
    pod: String,
) -> Result<crate::model::LogTail, AppError> {
    let logs = use_context::<ssr::SharedLogs>().ok_or(AppError::Unavailable)?;
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    let at = ssr::LogAt {
        service,
        rule,
        cluster,
        namespace,
        pod,
    };
    Ok(logs.tail(at, 20, headers).await)
}

/// The catalog problems page.
#[server(output = crate::codec::JsonOut)]
pub async fn list_problems() -> Result<Vec<CatalogProblem>, AppError> {
    Ok(ssr::portal()?.problems())
}

/// Every cluster with its status, for `/clusters`.
#[server(output = crate::codec::JsonOut)]
pub async fn list_clusters() -> Result<Vec<crate::model::ClusterStatus>, AppError> {
    Ok(ssr::portal()?.clusters())
}

/// The fleet's error list for `/errors`.
#[server(output = crate::codec::JsonOut)]
pub async fn list_errors(
    query: crate::model::ErrorQuery,
) -> Result<crate::model::ErrorList, AppError> {
    Ok(ssr::portal()?.errors(&query))
}

/// How many clusters are configured, for the cluster tabs' empty state.
#[server(output = crate::codec::JsonOut)]
pub async fn clusters_configured() -> Result<usize, AppError> {
    Ok(ssr::portal()?.clusters_configured())
}
