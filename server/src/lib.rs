//! The `wayfinder` server: configuration, the catalog, the JSON API and the web app's host.

//!
//! Layers point one way: `http` (router, handlers, middleware) → `views` (the read model, one
//! home per view) → `health` and `autoscaling` (pure rules) → `clusters` (the data intake) and
//! `catalog`; `config` and `reload` wire them; `time`, `compress` and `in_flight` are shared
//! helpers.

pub mod access;
pub mod autoscaling;
pub mod catalog;
pub mod clusters;
pub mod compress;
pub mod config;
pub mod health;
pub mod history;
pub mod http;
pub mod in_flight;
pub mod reload;
pub mod time;
pub mod views;

pub use http::{app, AppState};

use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Leptos options for serving the built site from `site_root`.
pub fn leptos_options(site_root: &Path, listen: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("wayfinder")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(listen)
        .build()
}

/// Where the built site is: the flag, `$LEPTOS_SITE_ROOT`, `./target/site`, or `../site` from the binary.
pub fn find_site_root(flag: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = flag.or_else(|| std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from)) {
        return dir;
    }
    let local = PathBuf::from("target/site");
    if local.join("pkg").is_dir() {
        return local;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(Path::parent).map(|p| p.join("site")))
        .filter(|p| p.join("pkg").is_dir())
        .unwrap_or(local)
}
