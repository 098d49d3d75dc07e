//! Kept overview pages: a page past its age is still answered at once, and rendered again behind.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use server::http::guard::Security;
use server::http::page_cache::PageCache;
use std::sync::Arc;
use std::time::Duration;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalog");

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_page_past_its_age_is_answered_at_once_and_rendered_again_behind() {
    // Every kept page is "too old" at once here.
    let pages = Arc::new(PageCache::with_max_age(Duration::ZERO));
    let router = common::fixture_router_with(FIXTURES, Security::default(), pages.clone());
    let path = "/services/checkout";
    let (status, _, first) = common::send(&router, get(path)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let kept = pages.kept_at(path).expect("the overview page is kept");
    // The kept page answers; a fresh one renders in the background and replaces it.
    let (status, _, second) = common::send(&router, get(path)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first, second, "the kept page answered");
    common::eventually("the page rendered again", Duration::from_secs(10), || {
        let pages = pages.clone();
        async move { pages.kept_at(path).is_some_and(|at| at > kept) }
    })
    .await;
    // Other paths are not kept: a tab shows ages and renders per request.
    let (status, _, _) = common::send(&router, get("/services/checkout/errors")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pages.kept_at("/services/checkout/errors"), None);
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn catalog_pages_are_kept_per_query_and_answer_the_same() {
    let pages = Arc::new(PageCache::default());
    let router = common::fixture_router_with(FIXTURES, Security::default(), pages.clone());
    for path in ["/", "/?q=checkout", "/?owner=payments-team&page=1"] {
        let (status, _, first) = common::send(&router, get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {first}");
        assert!(pages.kept_at(path).is_some(), "{path} is kept");
        let (_, _, again) = common::send(&router, get(path)).await;
        assert_eq!(first, again, "{path}: the kept page answered");
    }
    let (_, _, filtered) = common::send(&router, get("/?q=checkout")).await;
    let (_, _, all) = common::send(&router, get("/")).await;
    assert_ne!(filtered, all, "each query its own page");
    assert_eq!(pages.len(), 3);
}
