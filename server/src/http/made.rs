//! The made pages' content ([`app::pages::made`]), made before the page renders: the pod page
//! reads a cluster (the pod's events, and its log for those allowed) and the object page checks
//! who may read the object's YAML, which a render cannot wait for without carrying the waiting
//! into the browser bundle. This layer makes the page for `GET /services/{name}/pods/{cluster}/
//! {namespace}/{pod}` ([`app::pages::pod::render::page`]) and `GET /services/{name}/objects/
//! {cluster}/{namespace}/{kind}/{object}` ([`app::pages::object::render::page`]) and hands it to
//! the page in the request's extensions ([`app::pages::made::MadeHtml`]).

use super::logs::PageLogs;
use super::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// A made page's address: its parts (each still to be validated).
#[derive(Debug, PartialEq, Eq)]
enum Made {
    /// `[service, cluster, namespace, pod]`
    Pod([String; 4]),
    /// `[service, cluster, namespace, kind, object]`
    Object([String; 5]),
    /// A cluster's own page.
    Cluster(String),
    /// A service's timeline.
    Timeline(String),
}

fn made_path(path: &str) -> Option<Made> {
    if let Some(name) = path.strip_prefix("/clusters/") {
        return (!name.is_empty() && !name.contains('/')).then(|| Made::Cluster(name.to_string()));
    }
    let rest = path.strip_prefix("/services/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let owned = |s: &&str| s.to_string();
    match parts.as_slice() {
        [service, "pods", cluster, namespace, pod] => {
            Some(Made::Pod([service, cluster, namespace, pod].map(owned)))
        }
        [service, "objects", cluster, namespace, kind, object] => Some(Made::Object(
            [service, cluster, namespace, kind, object].map(owned),
        )),
        [service, "timeline"] => Some(Made::Timeline(service.to_string())),
        _ => None,
    }
}

pub async fn make(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(at) = (request.method() == Method::GET)
        .then(|| made_path(request.uri().path()))
        .flatten()
    else {
        return next.run(request).await;
    };
    let pages = PageLogs(state);
    let headers = request.headers().clone();
    let html = match at {
        Made::Pod(at) => {
            let query = leptos_router::params::ParamsMap::from_iter(
                form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
                    .into_owned(),
            );
            app::pages::pod::render::page(&pages, at, &query, headers).await
        }
        Made::Object(at) => app::pages::object::render::page(&pages, at, &headers),
        Made::Cluster(name) => app::pages::cluster::render::page(&pages, &name),
        Made::Timeline(name) => {
            use app::api::ssr::MadePages;
            // Unknown keys are ignored, as the API does; a query that is not one leaves the range
            // at its default.
            let query: app::model::TimelineQuery =
                axum::extract::Query::try_from_uri(request.uri())
                    .map(|q| q.0)
                    .unwrap_or_default();
            let read = pages.timeline(&name, query.clone()).await;
            app::pages::timeline::render::page(&name, &query, read)
        }
    };
    // The made pages' own styles first (see `app::pages::made::STYLE`).
    let html = html.map(|h| format!("<style>{}</style>{h}", app::pages::made::STYLE));
    request
        .extensions_mut()
        .insert(app::pages::made::MadeHtml(html));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::{made_path, Made};

    #[test]
    fn only_made_page_paths_are_made() {
        assert_eq!(
            made_path("/services/cart/pods/prod-eu-1/shop/cart-1"),
            Some(Made::Pod(
                ["cart", "prod-eu-1", "shop", "cart-1"].map(String::from)
            ))
        );
        assert_eq!(
            made_path("/services/cart/objects/prod-eu-1/shop/deployments/cart"),
            Some(Made::Object(
                ["cart", "prod-eu-1", "shop", "deployments", "cart"].map(String::from)
            ))
        );
        assert_eq!(
            made_path("/clusters/prod-eu-1"),
            Some(Made::Cluster("prod-eu-1".into()))
        );
        for other in [
            "/clusters",
            "/clusters/",
            "/clusters/prod-eu-1/nodes",
            "/services/cart",
            "/services/cart/clusters",
            "/services/cart/pods/prod-eu-1/shop",
            "/services/cart/pods/prod-eu-1/shop/cart-1/log",
            "/services/cart/objects/prod-eu-1/shop/deployments",
            "/api/v1/services/cart/pods/prod-eu-1/shop/cart-1",
            "/api/v1/services/cart/objects/prod-eu-1/shop/deployments/cart",
        ] {
            assert_eq!(made_path(other), None, "{other}");
        }
    }
}
