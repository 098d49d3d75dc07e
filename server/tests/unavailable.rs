//! A page whose data cannot be read answers with the error's HTTP status and the one error view's
//! fixed sentence. Here the router serves pages without the portal's read model in their context,
//! so every server function fails with `AppError::Unavailable`.

use app::{shell, App};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::path::PathBuf;
use tower::ServiceExt;

#[tokio::test]
async fn a_page_without_its_data_answers_503_with_a_fixed_sentence() {
    let options =
        server::leptos_options(&PathBuf::from("target/site"), ([127, 0, 0, 1], 3000).into());
    let routes = generate_route_list(App);
    let router: axum::Router = axum::Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .with_state(options);

    for path in [
        "/",
        "/teams/payments",
        "/services/checkout-api",
        "/clusters",
        "/errors",
    ] {
        let request = Request::get(path)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .to_bytes();
        let html = String::from_utf8_lossy(&body);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {html}");
        assert!(
            html.contains("data-testid=\"error\"")
                && html.contains("The portal cannot answer right now. Try again in a moment."),
            "{path}: {html}"
        );
    }
}
