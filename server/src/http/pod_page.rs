//! The pod page's content, made before the page renders: the page reads a cluster (the pod's
//! events, and its log for those allowed), which a render cannot wait for without carrying the
//! waiting into the browser bundle. This layer makes it ([`app::pages::pod::render::page`]) for
//! `GET /services/{name}/pods/{cluster}/{namespace}/{pod}` and hands it to the page in the
//! request's extensions ([`app::pages::pod::PodHtml`]).

use super::logs::PageLogs;
use super::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// `[service, cluster, namespace, pod]` of a pod page's path (each still to be validated).
fn pod_path(path: &str) -> Option<[String; 4]> {
    let rest = path.strip_prefix("/services/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [service, "pods", cluster, namespace, pod] => {
            Some([service, cluster, namespace, pod].map(|s| s.to_string()))
        }
        _ => None,
    }
}

pub async fn make(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(at) = (request.method() == Method::GET)
        .then(|| pod_path(request.uri().path()))
        .flatten()
    else {
        return next.run(request).await;
    };
    let query = leptos_router::params::ParamsMap::from_iter(
        form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes()).into_owned(),
    );
    let pages = PageLogs(state);
    let html = app::pages::pod::render::page(&pages, at, &query, request.headers().clone()).await;
    request
        .extensions_mut()
        .insert(app::pages::pod::PodHtml(html));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_pod_page_paths_are_made() {
        assert_eq!(
            super::pod_path("/services/cart/pods/prod-eu-1/shop/cart-1"),
            Some(["cart", "prod-eu-1", "shop", "cart-1"].map(String::from))
        );
        for other in [
            "/services/cart",
            "/services/cart/clusters",
            "/services/cart/pods/prod-eu-1/shop",
            "/services/cart/pods/prod-eu-1/shop/cart-1/log",
            "/api/v1/services/cart/pods/prod-eu-1/shop/cart-1",
        ] {
            assert_eq!(super::pod_path(other), None, "{other}");
        }
    }
}
