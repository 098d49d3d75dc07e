//! The HTTP surface's guards, through the real router: security headers and the page's script
//! nonce, body and header limits, and the auth proxy's identity header.

mod common;

use axum::body::Body;
use axum::http::{header, HeaderName, Request, StatusCode};
use leptos::server_fn::ServerFn;
use server::http::guard::Security;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalog");

/// An open portal and one behind an auth proxy, built one after the other (Leptos's route-list
/// generation must not run on several threads at once).
fn routers() -> &'static (axum::Router, axum::Router) {
    static ROUTERS: std::sync::OnceLock<(axum::Router, axum::Router)> = std::sync::OnceLock::new();
    ROUTERS.get_or_init(|| {
        let open = build(Security::default());
        let proxied = build(Security {
            identity_header: Some(HeaderName::from_static("x-forwarded-email")),
            ..Security::default()
        });
        (open, proxied)
    })
}

fn build(security: Security) -> axum::Router {
    common::fixture_router(FIXTURES, security)
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn header_of<'h>(headers: &'h http::HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

/// Each `<script` tag of `html` (its attributes) with its text.
fn scripts(html: &str) -> Vec<(&str, &str)> {
    html.split("<script")
        .skip(1)
        .map(|s| {
            let (tag, rest) = s.split_once('>').unwrap_or((s, ""));
            (tag, rest.split("</script").next().unwrap_or_default())
        })
        .collect()
}

fn sha256(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn every_inline_script_of_a_page_carries_the_nonce_its_policy_allows() {
    let (open, _) = routers();
    for path in [
        "/errors",
        "/teams/payments",
        "/no/such/page",
        "/services/checkout?tab=errors",
    ] {
        let (_, headers, html) = common::send(open, get(path)).await;
        let policy = header_of(&headers, "content-security-policy");
        let nonce = policy
            .split(['\'', ' '])
            .find_map(|word| word.strip_prefix("nonce-"))
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"));
        assert!(nonce.len() >= 16, "{path}: a short nonce: {nonce}");
        assert!(
            policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("unsafe-eval'") || policy.contains("wasm-unsafe-eval"));
        assert!(!policy.contains("sha256-"), "{path}: {policy}");
        let scripts = scripts(&html);
        assert!(
            !scripts.is_empty(),
            "{path}: the page has no hydration script"
        );
        for (tag, _) in scripts {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: a script without the response's nonce: <script{tag}>"
            );
        }
        assert_eq!(header_of(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(header_of(&headers, "referrer-policy"), "no-referrer");
        assert_eq!(header_of(&headers, "x-frame-options"), "DENY");
    }
    // Two responses, two nonces.
    let (_, a, first) = common::send(open, get("/errors")).await;
    let (_, b, second) = common::send(open, get("/errors")).await;
    let policy = |h: &http::HeaderMap| header_of(h, "content-security-policy").to_string();
    assert_ne!(policy(&a), policy(&b));
    assert_eq!(
        first.len(),
        second.len(),
        "the same page, but for the nonce"
    );
}

#[tokio::test]
async fn a_kept_page_allows_exactly_its_own_inline_scripts_by_hash() {
    // A service's overview and the catalog, each query apart.
    for path in ["/services/checkout", "/", "/?q=checkout"] {
        kept_page_allows_exactly_its_own_inline_scripts_by_hash(path).await;
    }
}

async fn kept_page_allows_exactly_its_own_inline_scripts_by_hash(path: &str) {
    let (open, _) = routers();
    // The first answer renders the page and keeps it; the second is the kept one. Both are the
    // same static page: no nonce, each inline script allowed by its hash and nothing else inline.
    let (_, first_headers, first) = common::send(open, get(path)).await;
    let (_, headers, html) = common::send(open, get(path)).await;
    assert_eq!(first, html, "{path}");
    assert_eq!(first_headers, headers, "{path}");
    let policy = header_of(&headers, "content-security-policy");
    assert!(!policy.contains("nonce"), "{path}: {policy}");
    assert!(
        policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"),
        "{policy}"
    );
    let script_src = policy
        .split(';')
        .find_map(|d| d.trim().strip_prefix("script-src "))
        .unwrap_or_else(|| panic!("no script-src in {policy}"));
    let mut inline = Vec::new();
    for (tag, text) in scripts(&html) {
        assert!(!tag.contains("nonce"), "<script{tag}>");
        if !tag.contains("src=") {
            let hash = format!("'sha256-{}'", sha256(text));
            assert!(script_src.contains(&hash), "{hash} not in {script_src}");
            inline.push(hash);
        }
    }
    assert!(!inline.is_empty(), "the page has no hydration script");
    let allowed: Vec<&str> = script_src
        .split(' ')
        .filter(|w| w.starts_with("'sha256-"))
        .collect();
    assert!(
        allowed.iter().all(|h| inline.iter().any(|i| i == h)),
        "the policy allows a script the page doesn't have: {script_src}"
    );
    // Gzipped for a browser, the same bytes.
    let request = Request::get(path)
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, gz_headers, gz) = common::send_raw(open, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&gz_headers, "content-encoding"), "gzip");
    assert_eq!(header_of(&gz_headers, "content-security-policy"), policy);
    let mut unpacked = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unpacked)
        .unwrap_or_else(|e| panic!("the gzip: {e}"));
    assert_eq!(unpacked, html);
}

#[tokio::test]
async fn api_answers_allow_nothing_to_run() {
    let (open, _) = routers();
    let (status, headers, _) = common::send(open, get("/api/v1/services")).await;
    assert_eq!(status, StatusCode::OK);
    let policy = header_of(&headers, "content-security-policy");
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert_eq!(header_of(&headers, "x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn oversized_bodies_and_headers_are_refused_with_their_limits() {
    let (open, _) = routers();
    let body = format!(
        "name={}",
        "a".repeat(server::http::guard::MAX_BODY_BYTES + 1)
    );
    let request = Request::post(app::api::GetTeam::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _, _) = common::send(open, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // A normal call to the same function still answers.
    let request = Request::post(app::api::GetTeam::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=payments"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _, body) = common::send(open, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("payments"), "{body}");

    let mut request = get("/api/v1/services");
    for i in 0..40 {
        request.headers_mut().insert(
            HeaderName::try_from(format!("x-filler-{i}")).unwrap_or_else(|e| panic!("{e}")),
            "x".repeat(1024).parse().unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let (status, _, body) = common::send(open, request).await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(body.contains("at most 32768"), "{body}");
}

#[tokio::test]
async fn behind_an_auth_proxy_only_signed_in_requests_and_probes_are_answered() {
    let (_, proxied) = routers();
    for path in [
        "/",
        "/services/checkout",
        "/api/v1/services",
        "/pkg/wayfinder.js",
    ] {
        let (status, headers, body) = common::send(proxied, get(path)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(body.contains("x-forwarded-email"), "{path}: {body}");
        assert!(!body.contains("checkout"), "{path}: {body}");
        assert_eq!(header_of(&headers, "x-content-type-options"), "nosniff");
    }
    let blank = Request::get("/api/v1/services")
        .header("x-forwarded-email", "  ")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        common::send(proxied, blank).await.0,
        StatusCode::UNAUTHORIZED
    );
    for path in ["/healthz", "/readyz", "/metrics"] {
        let (status, _, _) = common::send(proxied, get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let signed_in = Request::get("/api/v1/services")
        .header("X-Forwarded-Email", "ada@example.com")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _, body) = common::send(proxied, signed_in).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("checkout"), "{body}");
}
