//! Rendered service overview pages and catalog pages, kept while nothing they show has changed.
//!
//! The catalog (`/`, each query apart) shows no ages either: its pages are kept while the catalog's
//! listing shows the same (`Portal::catalog_version`), the listing being worked out again in the
//! background every few seconds.
//!
//! A service's overview (`/services/{name}`, the page the catalog links to) shows no ages, so the
//! HTML rendered for one viewer is right for every viewer until the service's objects, a cluster's
//! status or the catalog change (`Portal::page_version`). A page whose view the clock alone moved
//! on (a finding's window passed, a week's edge), or older than [`MAX_AGE`], is answered once more
//! while a fresh one renders in the background, so only a change makes a viewer wait for the
//! rendering.
//!
//! A kept page is made static once: the render's script nonce is taken out of the HTML, and its
//! Content-Security-Policy allows exactly the page's inline scripts by their SHA-256 hashes
//! instead, so every viewer can be sent the same bytes — gzipped once, when it was kept. A page
//! whose scripts a browser might split differently from a plain `</script>` search (one holding
//! `<!--` or `<script`) keeps its nonce, and gets a fresh one per answer.

use super::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a rendered page is used at most before it is rendered again.
pub const MAX_AGE: Duration = Duration::from_secs(60);
/// The most bytes of HTML kept; past it, the cache starts over.
const MAX_BYTES: usize = 64 << 20;

/// One rendered page.
struct Page {
    version: u64,
    /// The computation of the view it shows.
    view: u64,
    at: Instant,
    headers: HeaderMap,
    body: Kept,
}

/// A kept page's HTML.
enum Kept {
    /// The same bytes for everyone, kept gzipped (a fifth of the size; nearly every client takes
    /// gzip, the others get it unpacked).
    Static(Bytes),
    /// The HTML and the nonce it and its policy were rendered with, replaced by a fresh one per
    /// answer.
    Nonce { html: String, nonce: String },
}

/// The kept pages, by path.
pub struct PageCache {
    pages: Mutex<(HashMap<String, Arc<Page>>, usize)>,
    /// Paths being rendered again in the background.
    refreshing: crate::in_flight::InFlight,
    max_age: Duration,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::with_max_age(MAX_AGE)
    }
}

impl PageCache {
    /// A cache whose pages are rendered again once `max_age` old ([`MAX_AGE`] by default).
    pub fn with_max_age(max_age: Duration) -> Self {
        Self {
            pages: Mutex::default(),
            refreshing: Default::default(),
            max_age,
        }
    }

    /// When the page kept for `path` was rendered.
    pub fn kept_at(&self, path: &str) -> Option<Instant> {
        let pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        pages.0.get(path).map(|p| p.at)
    }

    /// The kept page of `path` while its service's `version` is unchanged.
    fn get(&self, path: &str, version: u64) -> Option<Arc<Page>> {
        let pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        pages.0.get(path).filter(|p| p.version == version).cloned()
    }

    fn put(&self, path: String, page: Arc<Page>) {
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        let size = page.size();
        if pages.1 + size > MAX_BYTES {
            *pages = Default::default();
        }
        pages.1 += size;
        if let Some(old) = pages.0.insert(path, page) {
            pages.1 -= old.size();
        }
    }

    /// How many pages are kept.
    pub fn len(&self) -> usize {
        self.pages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .len()
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Page {
    /// Keeps a rendered page: static when its scripts allow it, else with its nonce.
    fn new(version: (u64, u64), mut headers: HeaderMap, html: &str, nonce: &str) -> Page {
        let policy = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let fixed = without_nonce(html, policy, nonce).and_then(|(html, policy)| {
            let gzip =
                crate::compress::gzip(html.as_bytes(), flate2::Compression::default()).ok()?;
            Some((gzip, HeaderValue::from_str(&policy).ok()?))
        });
        let body = match fixed {
            Some((gzip, policy)) => {
                headers.insert(header::CONTENT_SECURITY_POLICY, policy);
                headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                Kept::Static(Bytes::from(gzip))
            }
            None => Kept::Nonce {
                html: html.to_string(),
                nonce: nonce.to_string(),
            },
        };
        headers.remove(header::CONTENT_LENGTH);
        Page {
            version: version.0,
            view: version.1,
            at: Instant::now(),
            headers,
            body,
        }
    }

    /// Bytes held.
    fn size(&self) -> usize {
        match &self.body {
            Kept::Static(gzip) => gzip.len(),
            Kept::Nonce { html, .. } => html.len(),
        }
    }

    /// The answer to one request.
    fn response(&self, accepts_gzip: bool) -> Response {
        let mut headers = self.headers.clone();
        let body = match &self.body {
            Kept::Static(gzip) if accepts_gzip => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                Body::from(gzip.clone())
            }
            Kept::Static(gzip) => {
                let mut html = Vec::new();
                if let Err(e) = std::io::Read::read_to_end(
                    &mut flate2::read::GzDecoder::new(&gzip[..]),
                    &mut html,
                ) {
                    tracing::error!("unpacking a kept page: {e}");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
                Body::from(html)
            }
            Kept::Nonce { html, nonce } => {
                let fresh = leptos::nonce::Nonce::new().to_string();
                if let Some(policy) = headers
                    .get(header::CONTENT_SECURITY_POLICY)
                    .and_then(|v| v.to_str().ok())
                    .map(|p| p.replace(nonce.as_str(), &fresh))
                    .and_then(|p| HeaderValue::from_str(&p).ok())
                {
                    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
                }
                Body::from(html.replace(nonce.as_str(), &fresh))
            }
        };
        let mut response = Response::new(body);
        *response.headers_mut() = headers;
        response
    }
}

/// `html` without its `nonce` attributes, and `policy` allowing each of its inline scripts by hash
/// instead of the nonce; `None` when a script's end can't be found plainly (see the module's
/// comment) or the nonce is used elsewhere.
fn without_nonce(html: &str, policy: &str, nonce: &str) -> Option<(String, String)> {
    // Leptos also writes the nonce as the bundle's preload links' `crossorigin`, a value that
    // means what `""` does (anonymous).
    let html = html
        .replace(&format!(" nonce=\"{nonce}\""), "")
        .replace(&format!(" crossorigin=\"{nonce}\""), " crossorigin=\"\"");
    if html.contains(nonce) || !policy.contains(&format!("'nonce-{nonce}'")) {
        return None;
    }
    let mut hashes: Vec<String> = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = find_ignore_case(rest, "<script") {
        rest = &rest[start + "<script".len()..];
        let open_end = rest.find('>')?;
        let tag = &rest[..open_end];
        rest = &rest[open_end + 1..];
        let close = find_ignore_case(rest, "</script")?;
        let text = &rest[..close];
        rest = &rest[close..];
        if find_ignore_case(text, "<!--").is_some() || find_ignore_case(text, "<script").is_some() {
            return None;
        }
        if text.is_empty() && find_ignore_case(tag, "src=").is_some() {
            continue;
        }
        let hash = format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
        );
        if !hashes.contains(&hash) {
            hashes.push(hash);
        }
    }
    let policy = policy.replace(&format!("'nonce-{nonce}'"), &hashes.join(" "));
    Some((html, policy))
}

/// Where `needle` (ASCII, lowercase) first is in `haystack`, in any case.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A page that may be kept: a service's overview, or the catalog for one query.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Keepable {
    /// `/services/{name}` with no query.
    Overview(String),
    /// `/`, with any query (each kept apart).
    Catalog,
}

impl Keepable {
    fn of(request: &Request) -> Option<Self> {
        if request.method() != Method::GET {
            return None;
        }
        let path = request.uri().path();
        if path == "/" {
            return Some(Self::Catalog);
        }
        let name = path.strip_prefix("/services/")?;
        (request.uri().query().is_none() && !name.is_empty() && !name.contains('/'))
            .then(|| Self::Overview(name.to_string()))
    }

    /// What the page shows now: (what it was made from, the computation of its view).
    fn version(&self, state: &AppState) -> Option<(u64, u64)> {
        match self {
            Self::Overview(name) => state.portal.page_version(name),
            Self::Catalog => state.portal.catalog_version().map(|v| (v, v)),
        }
    }
}

/// Serves a kept page (a service's overview, the catalog) when it is still right, else renders it
/// and keeps it.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(keepable) = Keepable::of(&request) else {
        return next.run(request).await;
    };
    // Read before rendering: a change landing meanwhile makes the kept page stale at once.
    let Some((version, view)) = keepable.version(&state) else {
        return next.run(request).await;
    };
    let accepts_gzip = crate::compress::accepts_gzip(request.headers());
    let path = request.uri().to_string();
    if let Some(page) = state.pages.get(&path, version) {
        let stale = page.view != view || page.at.elapsed() >= state.pages.max_age;
        if let Some(started) = stale.then(|| state.pages.refreshing.start(&path)).flatten() {
            let mut again = Request::new(Body::empty());
            *again.uri_mut() = request.uri().clone();
            *again.headers_mut() = request.headers().clone();
            tokio::spawn(async move {
                let _started = started;
                if let Some(version) = keepable.version(&state) {
                    render(&state, path, version, again, next, true).await;
                }
            });
        }
        return page.response(accepts_gzip);
    }
    render(&state, path, (version, view), request, next, accepts_gzip).await
}

/// Renders the page and keeps it (when it rendered fine) for the service's `version`.
async fn render(
    state: &AppState,
    path: String,
    version: (u64, u64),
    request: Request,
    next: Next,
    accepts_gzip: bool,
) -> Response {
    let response = next.run(request).await;
    let nonce = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .and_then(|p| {
            p.split(['\'', ' '])
                .find_map(|w| w.strip_prefix("nonce-"))
                .map(String::from)
        });
    let (Some(nonce), StatusCode::OK) = (nonce, response.status()) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            tracing::error!("rendering {path}: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Ok(html) = std::str::from_utf8(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let page = Arc::new(Page::new(version, parts.headers, html, &nonce));
    state.pages.put(path, page.clone());
    page.response(accepts_gzip)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "default-src 'self'; script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'";

    fn hash(text: &str) -> String {
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
        )
    }

    #[test]
    fn a_page_is_made_static_with_each_inline_script_allowed_by_its_hash() {
        let html = r#"<head><link rel="modulepreload" href="/pkg/w.js" crossorigin="abc123"><script type="module" nonce="abc123">import('/pkg/w.js')</script></head><body><p>a</p><SCRIPT nonce="abc123">__R=[1]</SCRIPT><script nonce="abc123">__R=[1]</script><script src="/pkg/x.js" nonce="abc123"></script></body>"#;
        let (page, policy) = without_nonce(html, POLICY, "abc123").expect("static");
        assert!(
            !page.contains("abc123") && !policy.contains("abc123"),
            "{page} {policy}"
        );
        assert_eq!(
            policy,
            format!(
                "default-src 'self'; script-src 'self' {} {} 'wasm-unsafe-eval'",
                hash("import('/pkg/w.js')"),
                hash("__R=[1]")
            )
        );
        assert!(page.contains(r#"<link rel="modulepreload" href="/pkg/w.js" crossorigin="">"#));
        assert!(page.contains(r#"<script type="module">import('/pkg/w.js')</script>"#));
    }

    #[test]
    fn a_page_whose_script_ends_are_not_plain_keeps_its_nonce() {
        for script in ["a='<!--'", "a='<script>'", "a='<SCRIPT '"] {
            let html = format!(r#"<script nonce="abc123">{script}</script>"#);
            assert_eq!(without_nonce(&html, POLICY, "abc123"), None, "{script}");
        }
        // An unclosed script, and the nonce used where it is not an attribute.
        let unclosed = r#"<script nonce="abc123">a=1"#;
        assert_eq!(without_nonce(unclosed, POLICY, "abc123"), None);
        let elsewhere = r#"<p>abc123</p><script nonce="abc123">a=1</script>"#;
        assert_eq!(without_nonce(elsewhere, POLICY, "abc123"), None);
    }

    #[test]
    fn a_static_page_is_sent_gzipped_to_who_takes_it_and_raw_to_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(POLICY),
        );
        let html = r#"<p>service</p><script nonce="abc123">a=1</script>"#;
        let page = Page::new((1, 1), headers, html, "abc123");
        let gz = page.response(true);
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gz.headers()[header::VARY], "accept-encoding");
        let raw = page.response(false);
        assert!(raw.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(
            raw.headers()[header::CONTENT_SECURITY_POLICY],
            format!(
                "default-src 'self'; script-src 'self' {} 'wasm-unsafe-eval'",
                hash("a=1")
            )
            .as_str()
        );
        let body = futures::executor::block_on(raw.into_body().collect())
            .unwrap_or_else(|e| panic!("{e}"))
            .to_bytes();
        assert_eq!(&body[..], br#"<p>service</p><script>a=1</script>"#);
    }
}
