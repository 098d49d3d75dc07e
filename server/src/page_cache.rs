//! Rendered service overview pages, kept while nothing they show has changed.
//!
//! A service's overview (`/services/{name}`, the page the catalog links to) shows no ages, so the
//! HTML rendered for one viewer is right for every viewer until the service's objects, a cluster's
//! status or the catalog change (`Portal::page_version`), or for [`MAX_AGE`] at most (the
//! deploys-per-week weeks move on). Each response still gets its own script nonce: the kept HTML
//! and its Content-Security-Policy have the nonce they were rendered with replaced by a fresh one.

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a rendered page is used at most.
pub const MAX_AGE: Duration = Duration::from_secs(10);
/// The most bytes of HTML kept; past it, the cache starts over.
const MAX_BYTES: usize = 64 << 20;

/// One rendered page.
struct Page {
    version: u64,
    at: Instant,
    headers: HeaderMap,
    html: String,
    nonce: String,
}

/// The kept pages, by path.
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<(HashMap<String, Arc<Page>>, usize)>,
}

impl PageCache {
    fn get(&self, path: &str, version: u64) -> Option<Arc<Page>> {
        let pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        pages
            .0
            .get(path)
            .filter(|p| p.version == version && p.at.elapsed() < MAX_AGE)
            .cloned()
    }

    fn put(&self, path: String, page: Page) {
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        if pages.1 + page.html.len() > MAX_BYTES {
            *pages = Default::default();
        }
        pages.1 += page.html.len();
        if let Some(old) = pages.0.insert(path, Arc::new(page)) {
            pages.1 -= old.html.len();
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
    /// The kept page with a nonce of its own.
    fn response(&self) -> Response {
        let fresh = leptos::nonce::Nonce::new().to_string();
        let mut headers = self.headers.clone();
        if let Some(policy) = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .map(|p| p.replace(&self.nonce, &fresh))
            .and_then(|p| HeaderValue::from_str(&p).ok())
        {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        let html = self.html.replace(
            &format!("nonce=\"{}\"", self.nonce),
            &format!("nonce=\"{fresh}\""),
        );
        let mut response = Response::new(Body::from(html));
        *response.headers_mut() = headers;
        response
    }
}

/// The service named by an overview path, `/services/{name}` with no query.
fn overview(request: &Request) -> Option<String> {
    if request.method() != Method::GET || request.uri().query().is_some() {
        return None;
    }
    let name = request.uri().path().strip_prefix("/services/")?;
    (!name.is_empty() && !name.contains('/')).then(|| name.to_string())
}

/// Serves a kept overview page when it is still right, else renders it and keeps it.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(name) = overview(&request) else {
        return next.run(request).await;
    };
    // Read before rendering: a change landing meanwhile makes the kept page stale at once.
    let Some(version) = state.portal.page_version(&name) else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_string();
    if let Some(page) = state.pages.get(&path, version) {
        return page.response();
    }
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
    let (mut parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            tracing::error!("rendering /services/{name}: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Ok(html) = String::from_utf8(bytes.to_vec()) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    state.pages.put(
        path,
        Page {
            version,
            at: Instant::now(),
            headers: parts.headers.clone(),
            html,
            nonce,
        },
    );
    Response::from_parts(parts, Body::from(bytes))
}
