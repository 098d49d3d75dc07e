//! `/pkg/*`: the WASM bundle, its JS and the CSS, compressed once and served from memory with an
//! `ETag`, instead of compressed again for every page load.
//!
//! `make build` writes a `{file}.gz` next to each file with Zopfli ([`precompress`]: a gzip stream
//! about 4 % smaller than zlib's best level, too slow to make at request time). A `.gz` is used
//! only when it unpacks to exactly the file beside it, so a stale one from an earlier build is
//! never served; without one the file is compressed at zlib's best level when first asked for.

use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::io::Write;
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

/// The path of `path`'s precompressed copy: `{file}.gz`.
fn gz_path(path: &std::path::Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".gz");
    name.into()
}

/// `path`'s `.gz` copy, when there is one and it unpacks to `raw`.
fn precompressed(path: &std::path::Path, raw: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let gz = std::fs::read(gz_path(path)).ok()?;
    let mut unpacked = Vec::with_capacity(raw.len());
    flate2::read::GzDecoder::new(&gz[..])
        .take(raw.len() as u64 + 1)
        .read_to_end(&mut unpacked)
        .ok()?;
    (unpacked == raw).then_some(gz)
}

/// Writes `{file}.gz`, compressed with Zopfli, next to every `.wasm`, `.js` and `.css` file in
/// `dir` (the site's package directory) that has no up-to-date one. Returns each file's name with
/// its raw and gzip sizes.
pub fn precompress(dir: &std::path::Path) -> std::io::Result<Vec<(String, usize, usize)>> {
    let mut done = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !matches!(name.rsplit('.').next(), Some("wasm" | "js" | "css")) {
            continue;
        }
        let raw = std::fs::read(&path)?;
        let gz_len = match precompressed(&path, &raw) {
            Some(gz) => gz.len(),
            None => {
                let mut gz = Vec::new();
                zopfli::compress(
                    zopfli::Options::default(),
                    zopfli::Format::Gzip,
                    &raw[..],
                    &mut gz,
                )
                .map_err(std::io::Error::other)?;
                std::fs::write(gz_path(&path), &gz)?;
                gz.len()
            }
        };
        done.push((name, raw.len(), gz_len));
    }
    Ok(done)
}

/// `data` gzip-compressed at `level`.
pub fn gzip(data: &[u8], level: flate2::Compression) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
    gz.write_all(data)?;
    gz.finish()
}

/// Whether the client takes gzip (`Accept-Encoding`, without `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            parts
                .next()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("gzip"))
                && !parts.any(|p| p.trim().replace(' ', "") == "q=0")
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

    #[test]
    fn only_plain_file_names_are_served() {
        assert!(safe("wayfinder.wasm"));
        assert!(safe("wayfinder_bg.wasm.d.ts"));
        for bad in ["", "../Cargo.toml", ".env", "a/b.js", "a%2f..", "x\\y"] {
            assert!(!safe(bad), "{bad}");
        }
    }

    #[test]
    fn gzip_is_used_only_when_accepted() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(
                header::ACCEPT_ENCODING,
                v.parse().unwrap_or_else(|e| panic!("{e}")),
            );
            m
        };
        assert!(accepts_gzip(&h("gzip, deflate, br")));
        assert!(accepts_gzip(&h("br;q=1.0, gzip;q=0.8")));
        assert!(!accepts_gzip(&h("gzip;q=0")));
        assert!(!accepts_gzip(&h("br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
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
