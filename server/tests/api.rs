//! The JSON API and the pages, driven through the real router with `oneshot`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalog");

/// Built once per test process: Leptos's route-list generation is not meant to run on several
/// threads at once (parallel tests building their own routers hung now and then).
fn router() -> axum::Router {
    static ROUTER: std::sync::OnceLock<axum::Router> = std::sync::OnceLock::new();
    ROUTER.get_or_init(build_router).clone()
}

fn build_router() -> axum::Router {
    common::fixture_router(FIXTURES, Default::default())
}

async fn get(path: &str) -> (StatusCode, String) {
    let request = Request::get(path)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _, body) = common::send(&router(), request).await;
    (status, body.replace(FIXTURES, "<fixtures>"))
}

async fn get_json(path: &str) -> (StatusCode, serde_json::Value) {
    let (status, body) = get(path).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (status, json)
}

#[tokio::test]
async fn lists_services_with_facets() {
    let (status, body) = get_json("/api/v1/services").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!("services", body);
}

#[tokio::test]
async fn filters_and_sorts_through_the_query_string() {
    let (_, body) = get_json("/api/v1/services?owner=payments").await;
    let names: Vec<&str> = body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["checkout"]);
    let (_, body) = get_json("/api/v1/services?q=shop&sort=lifecycle&dir=desc").await;
    let names: Vec<&str> = body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["checkout", "storefront"]);
    assert_eq!(body["total"], 3);
}

#[tokio::test]
async fn pages_through_a_long_list() {
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["name"].as_str().map(String::from))
            .collect()
    };
    let (_, all) = get_json("/api/v1/services").await;
    let (_, second) = get_json("/api/v1/services?limit=2&page=2").await;
    assert_eq!(names(&second), names(&all)[2..]);
    assert_eq!(
        (
            &second["page"],
            &second["pages"],
            &second["matched"],
            &second["limit"]
        ),
        (&2.into(), &2.into(), &3.into(), &2.into())
    );
    // A page past the end shows the last one; nonsense falls back to the defaults.
    let (_, past) = get_json("/api/v1/services?limit=2&page=99").await;
    assert_eq!(past["page"], 2);
    let (_, odd) = get_json("/api/v1/services?limit=abc&page=-1").await;
    assert_eq!((&odd["page"], &odd["limit"]), (&1.into(), &100.into()));
}

#[tokio::test]
async fn shows_one_service() {
    let (status, body) = get_json("/api/v1/services/checkout").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["generatedAt"].is_string(), "{body}");
    insta::assert_json_snapshot!("service_checkout", body, {".generatedAt" => "[time]"});
}

#[tokio::test]
async fn shows_a_team_with_its_services_and_members() {
    let (status, body) = get_json("/api/v1/teams/payments").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!("team_payments", body);
}

#[tokio::test]
async fn lists_catalog_problems_with_file_and_line() {
    let (status, body) = get_json("/api/v1/catalog/problems").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!("problems", body);
}

#[tokio::test]
async fn unknown_things_are_json_404s() {
    for path in [
        "/api/v1/services/nope",
        "/api/v1/teams/checkout",
        "/api/v1/systems/nope",
        "/api/v1/services/..%2F..%2Fetc",
        "/api/v1/nothing-here",
    ] {
        let (status, body) = get_json(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"]["status"], 404, "{path}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn pages_render_on_the_server_with_real_statuses() {
    let (status, html) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches("data-testid=\"catalog-row\"").count(),
        3,
        "{html}"
    );
    assert!(
        html.contains("Storefront &lt;script&gt;alert(1)&lt;/script&gt;"),
        "descriptor text is escaped"
    );
    assert!(!html.contains("<script>alert(1)"));

    let (status, html) = get("/?owner=web").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("data-testid=\"catalog-row\"").count(), 1);

    let (status, html) = get("/services/checkout").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Takes the money."));
    assert!(html.contains("href=\"/teams/payments\""));

    let (status, html) = get("/services/checkout/clusters").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No cluster is configured."));

    let (status, html) = get("/teams/payments").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/services/checkout\""));

    let (status, html) = get("/systems/shop").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Online shop"));

    let (status, html) = get("/catalog/problems").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("/broken.yaml:6") && html.contains("yaml-syntax"),
        "{html}"
    );

    for path in [
        "/services/nope",
        "/services/checkout/nope",
        "/teams/nope",
        "/systems/nope",
        "/no/such/page",
    ] {
        let (status, html) = get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("data-testid=\"not-found\""), "{path}");
    }

    let (status, body) = get("/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let (status, _) = get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "no cluster to wait for");
    let (status, html) = get("/clusters").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No cluster is configured."));
    let (status, body) = get_json("/api/v1/clusters").await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!([])));
}
