//! `precompress DIR`: writes a Zopfli-compressed `{file}.gz` next to each `.wasm`, `.js` and
//! `.css` file of a built site's package directory (`make build` runs it on `target/site/pkg`).
//! The server serves those instead of compressing the files itself; see `server::http::assets`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: precompress DIR  (the site's package directory, e.g. target/site/pkg)");
        return ExitCode::FAILURE;
    };
    match server::compress::precompress(&dir) {
        Ok(files) if files.is_empty() => {
            eprintln!(
                "precompress: no .wasm, .js or .css file in {}",
                dir.display()
            );
            ExitCode::FAILURE
        }
        Ok(files) => {
            for (name, raw, gz) in files {
                println!("precompress: {name}: {raw} bytes, {gz} gzip");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("precompress: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
