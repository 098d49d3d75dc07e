//! `/pkg/*`: the WASM bundle, its JS and the CSS, compressed once and served from memory with an
//! `ETag`, instead of compressed again for every page load.
//!
//! `make build` writes a `{file}.gz` next to each file with Zopfli ([`crate::compress::precompress`]: a gzip stream
//! about 4 % smaller than zlib's best level, too slow to make at request time). A `.gz` is used
//! only when it unpacks to exactly the file beside it, so a stale one from an earlier build is
//! never served; without one the file is compressed at zlib's best level when first asked for.

use super::AppState;
use crate::compress::{accepts_gzip, gzip, precompressed};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

/// One file of the site's package directory, as read from disk.
struct Asset {
    modified: Option<SystemTime>,
    len: u64,
    raw: Bytes,
    gzip: Bytes,
    etag: String,
}

/// Files read so far, by name; a file changed on disk (a new build) is read again.
fn cache() -> &'static Mutex<HashMap<String, Arc<Asset>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Asset>>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("map") | Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// A plain file name: no directories, no dot-files.
fn safe(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn load(path: &std::path::Path) -> std::io::Result<Asset> {
    let meta = std::fs::metadata(path)?;
    let raw = std::fs::read(path)?;
    let gzip = match precompressed(path, &raw) {
        Some(gz) => gz,
        None => gzip(&raw, flate2::Compression::best())?,
    };
    // FNV-1a of the content: changes with every build.
    let hash = raw.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    Ok(Asset {
        modified: meta.modified().ok(),
        len: meta.len(),
        raw: raw.into(),
        gzip: gzip.into(),
        etag: format!("\"{hash:016x}\""),
    })
}

/// `GET /pkg/{file}`.
pub async fn pkg(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !safe(&name) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let options = &state.leptos_options;
    let path = std::path::Path::new(options.site_root.as_ref())
        .join(options.site_pkg_dir.as_ref())
        .join(&name);
    let Ok(meta) = std::fs::metadata(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cached = cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&name)
        .filter(|a| a.len == meta.len() && a.modified == meta.modified().ok())
        .cloned();
    let asset = match cached {
        Some(a) => a,
        None => {
            let loaded = tokio::task::spawn_blocking(move || load(&path)).await;
            match loaded {
                Ok(Ok(a)) => {
                    let a = Arc::new(a);
                    cache()
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(name.clone(), a.clone());
                    a
                }
                _ => return StatusCode::NOT_FOUND.into_response(),
            }
        }
    };
    let common = [
        (header::CONTENT_TYPE, content_type(&name).to_string()),
        (header::ETAG, asset.etag.clone()),
        // File names do not change between builds: revalidate, and get a 304 when unchanged.
        (header::CACHE_CONTROL, "no-cache".to_string()),
        (header::VARY, "accept-encoding".to_string()),
    ];
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    if accepts_gzip(&headers) {
        (
            common,
            [(header::CONTENT_ENCODING, "gzip")],
            asset.gzip.clone(),
        )
            .into_response()
    } else {
        (common, asset.raw.clone()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::{gz_path, precompress};

    #[test]
    fn only_plain_file_names_are_served() {
        assert!(safe("wayfinder.wasm"));
        assert!(safe("wayfinder_bg.wasm.d.ts"));
        for bad in ["", "../Cargo.toml", ".env", "a/b.js", "a%2f..", "x\\y"] {
            assert!(!safe(bad), "{bad}");
        }
    }

    #[test]
    fn a_precompressed_copy_is_used_only_while_it_matches_its_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let wasm = dir.path().join("app.wasm");
        let body = b"(module) ".repeat(2_000);
        std::fs::write(&wasm, &body).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("notes.txt"), "left alone")
            .unwrap_or_else(|e| panic!("{e}"));

        let done = precompress(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(done.len(), 1, "{done:?}");
        let (name, raw, gz) = &done[0];
        assert_eq!((name.as_str(), *raw), ("app.wasm", body.len()));
        assert!(*gz < body.len() / 20, "{gz} bytes of gzip for {raw}");
        assert!(!dir.path().join("notes.txt.gz").exists());
        let served = load(&wasm).unwrap_or_else(|e| panic!("{e}"));
        let on_disk = std::fs::read(gz_path(&wasm)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(served.gzip, on_disk, "the Zopfli copy is what is served");

        // A new build changes the file: its old .gz is not served, a fresh gzip is.
        std::fs::write(&wasm, b"(module $new)").unwrap_or_else(|e| panic!("{e}"));
        let served = load(&wasm).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(served.gzip, on_disk);
        let mut unpacked = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&served.gzip[..]),
            &mut unpacked,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(unpacked, "(module $new)");
    }
}
