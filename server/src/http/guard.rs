//! The HTTP surface's guards: body and header limits, the auth proxy's identity header, a time
//! limit, and the security headers every answer carries.

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// The largest request body: server functions take a few short, typed arguments.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most header bytes a request may carry (names and values summed).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// How long a request may take to produce its response (a live stream's body is not counted).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How the portal guards its HTTP surface.
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// When set, every request except the probes and `/metrics` must carry this header, set by an
    /// authenticating proxy in front of the portal (oauth2-proxy's `X-Forwarded-Email`, say).
    pub identity_header: Option<HeaderName>,
    /// The proxy's header listing the user's groups, comma separated (`X-Forwarded-Groups`).
    pub groups_header: Option<HeaderName>,
    /// Members of this group may read every service's logs and YAML.
    pub admin_group: Option<String>,
}

/// Paths the kubelet and Prometheus call directly, not through the auth proxy.
fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Header and identity checks before, a time limit around, and security headers after every
/// request.
pub async fn guard(
    State(security): State<Arc<Security>>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return with_security_headers(
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request's body is larger than {MAX_BODY_BYTES} bytes"),
            )
                .into_response(),
        );
    }
    // A body without a declared length is cut off at the same size.
    let request = request
        .map(|body| axum::body::Body::new(http_body_util::Limited::new(body, MAX_BODY_BYTES)));
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return with_security_headers(
            (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("the request's headers are {header_bytes} bytes; at most {MAX_HEADER_BYTES} are accepted"),
            )
                .into_response(),
        );
    }
    if let Some(name) = &security.identity_header {
        let signed_in = request
            .headers()
            .get(name)
            .is_some_and(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace));
        if !signed_in && !is_probe(request.uri().path()) {
            return with_security_headers(
                (
                    StatusCode::UNAUTHORIZED,
                    format!("sign in first: this portal only answers requests that came through its authentication proxy (no {name} header)"),
                )
                    .into_response(),
            );
        }
    }
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the portal took longer than {} s to answer",
                REQUEST_TIMEOUT.as_secs()
            ),
        )
            .into_response(),
    };
    with_security_headers(response)
}

/// The headers every answer carries. Pages set their own Content-Security-Policy with the
/// response's script nonce (`app::shell`); everything else gets one that allows nothing to run.
fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        ));
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
