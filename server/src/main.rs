//! `wayfinder`: parses flags, wires the parts together and serves until SIGTERM or Ctrl-C.

use app::api::ssr::SharedPortal;
use clap::Parser;
use server::catalog::CatalogStore;
use server::config::{Cli, HistoryStore, LogFormat};
use server::history;
use server::http::AppState;
use server::views::CatalogPortal;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc: at 300 000 cached pods glibc's malloc left a third more resident memory behind, and
/// page rendering is allocation-heavy (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wayfinder: {e}");
            return ExitCode::from(2);
        }
    };
    if settings.demo_catalog {
        tracing::info!(
            "no catalog configured: showing the demo catalog in {}",
            server::config::DEMO_CATALOG
        );
    }
    let store = Arc::new(CatalogStore::load(settings.catalog_paths.clone()));
    let refresh = store.clone().spawn_refresh(settings.catalog_refresh);
    let (clusters, demo) = match server::clusters::resolve(&settings.clusters).await {
        Ok(found) => found,
        Err(e) => {
            eprintln!("wayfinder: {e}");
            return ExitCode::from(2);
        }
    };
    if demo.is_some() {
        tracing::info!("no cluster configured: watching the built-in demo fleet (kubesim, in this process; --no-demo turns it off)");
    }
    let services = store.snapshot().kubernetes_selectors();
    let clusters = settings.apply(clusters);
    let fleet = Arc::new(server::clusters::Fleet::start(clusters, &services).await);
    let follow = server::reload::follow_catalog(store.clone(), fleet.clone());
    let reload = server::reload::spawn(cli.clone(), settings.clone(), fleet.clone());
    let catalog_portal = CatalogPortal::shared(store.clone(), fleet.clone(), settings.thresholds);
    let portal: SharedPortal = catalog_portal.clone();
    let backend = match &settings.history {
        HistoryStore::Embedded(dir) => history::Backend::embedded(dir),
        HistoryStore::Postgres(url) => match history::postgres::Db::new(url) {
            Ok(db) => history::Backend::Postgres(Box::new(db)),
            Err(e) => {
                eprintln!("wayfinder: --database-url: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let history = history::History::start(backend, settings.history_days);
    // One recorder per process: each change read once into the history, never per viewer.
    let recorder = tokio::spawn(server::views::timeline::record(
        catalog_portal,
        fleet.clone(),
        history.clone(),
        settings.finding_settle,
    ));
    let site_root = server::find_site_root(cli.site_root.clone());
    if !site_root.join("pkg").is_dir() {
        tracing::warn!(
            "no built site at {}: pages render but will not hydrate (run `make run`, or pass --site-root)",
            site_root.display()
        );
    }
    let state = AppState::new(server::http::Shared {
        leptos_options: server::leptos_options(&site_root, settings.listen),
        portal,
        catalog: store,
        fleet: fleet.clone(),
        metrics: Arc::default(),
        security: Arc::new(server::http::guard::Security {
            identity_header: settings.identity_header.clone(),
            groups_header: settings.groups_header.clone(),
            admin_group: settings.admin_group.clone(),
        }),
        pages: Arc::default(),
        history,
    });
    if let Some(h) = &settings.identity_header {
        tracing::info!("requests must carry the {h} header set by the authentication proxy");
    }
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("wayfinder: cannot listen on {}: {e}", settings.listen);
            return ExitCode::from(1);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!("Wayfinder listening on http://{addr}");
    let served = axum::serve(listener, server::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    refresh.abort();
    follow.abort();
    reload.abort();
    recorder.abort();
    // Every cluster's supervisor and watch tasks stop together, before the demo fleet goes.
    fleet.shutdown();
    drop(demo);
    match served {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wayfinder: server error: {e}");
            ExitCode::from(1)
        }
    }
}

fn init_logs(format: LogFormat) {
    let asked = std::env::var("RUST_LOG").unwrap_or_default();
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // kube's watcher warns at every retry of a refused (403) list, every 15 s per kind and
    // namespace, forever; the portal says it once per cluster when its state changes. Its lines
    // stay available to whoever names the module in RUST_LOG.
    if !asked.contains("kube_runtime") {
        if let Ok(quiet) = "kube_runtime::watcher=error".parse() {
            filter = filter.add_directive(quiet);
        }
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
