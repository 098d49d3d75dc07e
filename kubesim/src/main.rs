//! `kubesim serve`: simulated Kubernetes clusters for kubectl, kube-rs and Wayfinder.

use clap::{Parser, Subcommand};
use kubesim::fleet::{admin_router, Fleet, FleetOptions};
use kubesim::scenario::Scenario;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// A Kubernetes API simulator: many clusters, each on its own loopback port.
#[derive(Parser)]
#[command(name = "kubesim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a fleet until Ctrl-C.
    Serve(Serve),
}

#[derive(Parser)]
struct Serve {
    /// `demo` (6 clusters, 3 regions), `empty`, or a scenario YAML file.
    #[arg(long, default_value = "empty")]
    scenario: String,
    /// Number of clusters for `empty`.
    #[arg(long, default_value_t = 1)]
    clusters: usize,
    /// No controllers: objects stay exactly as written, status included.
    #[arg(long = "static")]
    static_mode: bool,
    /// Where to write the kubeconfig (one context per cluster).
    #[arg(long, default_value = "kubesim.kubeconfig")]
    kubeconfig_out: PathBuf,
    /// Serve plain HTTP instead of HTTPS (requests without credentials act as the admin).
    #[arg(long)]
    http: bool,
    /// Port of the admin API (faults, drop watches, compaction, down/up, request log); 0 picks one.
    #[arg(long, default_value_t = 0)]
    admin_port: u16,
    /// Seconds between watch BOOKMARKs.
    #[arg(long, default_value_t = 30)]
    bookmark_seconds: u64,
    /// Scale mode: this many synthetic services spread over `--clusters` (use with `--static`).
    #[arg(long)]
    services: Option<usize>,
    /// Scale mode: pods in all.
    #[arg(long, default_value_t = 0)]
    pods: usize,
    /// A fault at start, repeatable: `CLUSTER:latencyMs=5000,errorRate=0.5,errorCode=503`.
    #[arg(long = "fault", value_name = "CLUSTER:KEY=VALUE,…")]
    faults: Vec<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let Command::Serve(args) = Cli::parse().command;
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kubesim: {e}");
            ExitCode::from(2)
        }
    }
}

/// Why `kubesim serve` stopped, with what it was doing.
#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error(transparent)]
    Scenario(#[from] kubesim::scenario::ScenarioError),
    #[error(transparent)]
    Fault(#[from] kubesim::api::FaultArgError),
    #[error("--fault {text}: no cluster named {cluster}")]
    NoCluster { text: String, cluster: String },
    #[error("cannot write {path}: {source}")]
    Kubeconfig {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot serve the admin API: {0}")]
    Admin(#[source] std::io::Error),
}

async fn serve(args: Serve) -> Result<(), ServeError> {
    let options = FleetOptions {
        tls: !args.http,
        bookmark_every: Duration::from_secs(args.bookmark_seconds.max(1)),
        ..Default::default()
    };
    if let Some(services) = args.services {
        // Scale mode: generated and stored one cluster at a time, so memory holds the texts only.
        let size = kubesim::scenario::Synthetic {
            clusters: args.clusters,
            services,
            pods: args.pods,
        };
        let fleet = size.start(&options).await?;
        return run(Arc::new(fleet), &args, false).await;
    }
    let scenario = match args.scenario.as_str() {
        "empty" => Scenario::empty(args.clusters.max(1)),
        "demo" => kubesim::demo::scenario(),
        file => Scenario::from_file(std::path::Path::new(file))?,
    };
    let fleet = Fleet::start(&scenario.specs(), &options)
        .await
        .map_err(kubesim::scenario::ScenarioError::Start)?;
    let is_demo = args.scenario == "demo" && args.services.is_none();
    scenario.apply(&fleet)?;
    for text in &args.faults {
        let (cluster, faults) = kubesim::api::Faults::parse_cli(text)?;
        fleet
            .cluster(&cluster)
            .ok_or_else(|| ServeError::NoCluster {
                text: text.clone(),
                cluster: cluster.clone(),
            })?
            .api
            .set_faults(faults);
    }
    run(Arc::new(fleet), &args, is_demo).await
}

/// Starts the controllers (unless static), writes the kubeconfig, serves the admin API until Ctrl-C.
async fn run(fleet: Arc<Fleet>, args: &Serve, is_demo: bool) -> Result<(), ServeError> {
    if !args.static_mode {
        kubesim::controllers::spawn(fleet.clone());
        if is_demo {
            kubesim::demo::spawn_script(fleet.clone());
        }
    }
    fleet
        .write_kubeconfig(&args.kubeconfig_out)
        .map_err(|source| ServeError::Kubeconfig {
            path: args.kubeconfig_out.clone(),
            source,
        })?;
    let admin = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.admin_port)))
        .await
        .map_err(ServeError::Admin)?;
    let admin_addr = admin.local_addr().map_err(ServeError::Admin)?;
    for c in &fleet.clusters {
        println!(
            "cluster {:<16} {:<14} {:<12} {}",
            c.name(),
            c.region,
            c.environment,
            c.url()
        );
    }
    println!("kubeconfig {}", args.kubeconfig_out.display());
    println!("admin      http://{admin_addr}");
    println!(
        "try: KUBECONFIG={} kubectl get pods -A -o wide",
        args.kubeconfig_out.display()
    );
    let server = axum::serve(admin, admin_router(fleet.clone()));
    tokio::select! {
        r = server => r.map_err(ServeError::Admin)?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
