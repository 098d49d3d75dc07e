//! Compression shared by the bundle, pages and JSON: gzip at a chosen level, the Zopfli copies
//! `make build` writes beside the bundle, and whether a client takes gzip.

use http::{header, HeaderMap};
use std::io::Write;

/// The path of `path`'s precompressed copy: `{file}.gz`.
pub fn gz_path(path: &std::path::Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".gz");
    name.into()
}

/// `path`'s `.gz` copy, when there is one and it unpacks to `raw`.
pub fn precompressed(path: &std::path::Path, raw: &[u8]) -> Option<Vec<u8>> {
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
                    // Up to 100 blocks instead of the default 15: the 1 MiB WASM bundle mixes
                    // kinds of code and data that compress better apart (0.7 % smaller; more
                    // blocks gain nothing, and 0, "unlimited", is worse), for a few seconds more
                    // once per build.
                    zopfli::Options {
                        maximum_block_splits: 100,
                        ..zopfli::Options::default()
                    },
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
