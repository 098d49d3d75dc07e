//! What the integration tests against the real `wayfinder` binary share: the portal as a child
//! process, its JSON and SSE answers, and waiting for a condition.
#![allow(dead_code)] // each test binary uses its own part

use app::model::{ClusterState, ClusterStatus, ServiceCluster};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;
use tower::ServiceExt;

pub const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/catalog");

/// The portal as a child process, killed when dropped.
pub struct Portal {
    child: tokio::process::Child,
    pub addr: String,
    /// Every line the portal has logged so far.
    pub logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl Portal {
    pub async fn start(args: &[&str]) -> Self {
        // Each portal keeps its history in a directory of its own unless the test says where.
        let own_history = !args
            .iter()
            .any(|a| a.starts_with("--data-dir") || a.starts_with("--database-url"));
        let data_dir = scratch_dir();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfinder"))
            .args(["--listen", "127.0.0.1:0", "--catalog", CATALOG])
            .args(if own_history {
                vec!["--data-dir".to_string(), data_dir.display().to_string()]
            } else {
                Vec::new()
            })
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start wayfinder: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let (tx, mut rx) = mpsc::channel(1);
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = logs.clone();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            let mut tx = Some(tx);
            while let Ok(Some(line)) = lines.next_line().await {
                kept.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(line.clone());
                if let Some(i) = line.find("listening on http://") {
                    let addr = line[i + "listening on http://".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr).await;
                    }
                }
            }
        });
        let addr = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("wayfinder never said where it listens"));
        Self { child, addr, logs }
    }

    /// The lines logged so far.
    #[allow(dead_code)]
    pub fn log_lines(&self) -> Vec<String> {
        self.logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub async fn get(&self, path: &str) -> (u16, hyper::Response<hyper::body::Incoming>) {
        self.get_with(path, &[]).await
    }

    /// [`Portal::get`] with extra request headers.
    pub async fn get_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, hyper::Response<hyper::body::Incoming>) {
        let stream = tokio::net::TcpStream::connect(&self.addr)
            .await
            .unwrap_or_else(|e| panic!("connect {}: {e}", self.addr));
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(conn);
        let mut request = hyper::Request::get(path).header("host", "wayfinder");
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request
            .body(Empty::<Bytes>::new())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = sender
            .send_request(request)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        (response.status().as_u16(), response)
    }

    pub async fn text(&self, path: &str) -> (u16, String) {
        self.text_with(path, &[]).await
    }

    /// [`Portal::text`] with extra request headers.
    pub async fn text_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let (status, response) = self.get_with(path, headers).await;
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .to_bytes();
        (status, String::from_utf8_lossy(&body).to_string())
    }

    pub async fn json<T: DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.text(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}\n{body}"))
    }

    /// Opens an SSE stream; each `event: <event>` message arrives on the channel, parsed.
    pub async fn sse<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        event: &'static str,
    ) -> mpsc::Receiver<T> {
        let (status, response) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}");
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(async move {
            let mut body = response.into_body();
            let mut buf = String::new();
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    buf.push_str(&String::from_utf8_lossy(&data));
                }
                while let Some(end) = buf.find("\n\n") {
                    let message: String = buf.drain(..end + 2).collect();
                    let data: String = message
                        .lines()
                        .filter_map(|l| l.strip_prefix("data: "))
                        .collect();
                    if message.contains(&format!("event: {event}\n")) {
                        if let Ok(v) = serde_json::from_str(&data) {
                            if tx.send(v).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        });
        rx
    }
}

pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: not within {limit:?}");
}

/// Waits for an SSE message that satisfies `f`; how long it took.
pub async fn sse_until<T>(
    rx: &mut mpsc::Receiver<T>,
    limit: Duration,
    f: impl Fn(&T) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), rx.recv()).await {
            Ok(Some(v)) if f(&v) => return start.elapsed(),
            Ok(Some(_)) => continue,
            _ => panic!("the SSE stream did not bring the change within {limit:?}"),
        }
    }
}

pub fn in_cluster<'a>(d: &'a [ServiceCluster], cluster: &str) -> Option<&'a ServiceCluster> {
    d.iter().find(|c| c.cluster == cluster)
}

pub fn desired(d: &[ServiceCluster], cluster: &str, name: &str) -> Option<i32> {
    in_cluster(d, cluster)?
        .workloads
        .iter()
        .find(|w| w.name == name)
        .map(|w| w.replicas.desired)
}

pub fn state_of(list: &[ClusterStatus], name: &str) -> Option<ClusterState> {
    list.iter().find(|c| c.name == name).map(|c| c.state)
}

/// The real router over a catalog directory and no clusters (api.rs and security.rs).
#[allow(dead_code)]
pub fn fixture_router(catalog: &str, security: server::http::guard::Security) -> axum::Router {
    fixture_router_with(catalog, security, Default::default())
}

/// [`fixture_router`] keeping its rendered pages in `pages`.
pub fn fixture_router_with(
    catalog: &str,
    security: server::http::guard::Security,
    pages: Arc<server::http::page_cache::PageCache>,
) -> axum::Router {
    let store = Arc::new(server::catalog::CatalogStore::load(vec![PathBuf::from(
        catalog,
    )]));
    router_over(
        store,
        Arc::new(server::clusters::Fleet::default()),
        security,
        pages,
    )
}

/// A directory for one test's files, kept until the process ends.
#[allow(dead_code)]
pub fn scratch_dir() -> PathBuf {
    tempfile::tempdir()
        .unwrap_or_else(|e| panic!("temp dir: {e}"))
        .keep()
}

/// The real router over a catalog store and a fleet.
#[allow(dead_code)]
pub fn router_over(
    store: Arc<server::catalog::CatalogStore>,
    fleet: Arc<server::clusters::Fleet>,
    security: server::http::guard::Security,
    pages: Arc<server::http::page_cache::PageCache>,
) -> axum::Router {
    let portal: app::api::ssr::SharedPortal =
        server::views::CatalogPortal::shared(store.clone(), fleet.clone(), Default::default());
    let options =
        server::leptos_options(&PathBuf::from("target/site"), ([127, 0, 0, 1], 3000).into());
    server::app(server::http::AppState::new(server::http::Shared {
        leptos_options: options,
        portal,
        catalog: store,
        fleet,
        metrics: Default::default(),
        security: Arc::new(security),
        pages,
        history: server::history::History::start(
            server::history::Backend::embedded(&scratch_dir()),
            14,
        ),
    }))
}

/// One request through a router: the status, headers and body as text.
pub async fn send(
    router: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> (axum::http::StatusCode, axum::http::HeaderMap, String) {
    let (status, headers, bytes) = send_raw(router, request).await;
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// [`send`], with the body's bytes as sent (gzip stays gzip).
#[allow(dead_code)]
pub async fn send_raw(
    router: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> (
    axum::http::StatusCode,
    axum::http::HeaderMap,
    axum::body::Bytes,
) {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_bytes();
    (status, headers, bytes)
}

/// Every `*.yaml` file in `dir`, as (file name, text), in name order.
pub fn yaml_files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            (name, text)
        })
        .collect();
    files.sort();
    files
}

/// The demo fleet (kubesim, in this test process) with its kubeconfig written to a temporary HOME,
/// for a portal started with `--kubeconfig` and for the real kubectl.
pub struct DemoFleet {
    pub sim: Arc<kubesim::fleet::Fleet>,
    pub home: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

impl DemoFleet {
    pub async fn start() -> Self {
        let sim = kubesim::demo::start(&Default::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let kubeconfig = home.path().join("config");
        sim.write_kubeconfig(&kubeconfig)
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            sim,
            home,
            kubeconfig,
        }
    }

    /// What the real kubectl prints (it must succeed).
    pub async fn kubectl(&self, args: &[&str]) -> Vec<u8> {
        let out = tokio::process::Command::new(kubesim::kubectl())
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.home.path())
            .output()
            .await
            .unwrap_or_else(|e| panic!("kubectl: {e}"));
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

/// The first `Some` that `f` gives, polled for up to 60 s.
pub async fn until<T, Fut: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut f: impl FnMut() -> Fut,
) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The portal only reads: every request it made is a GET, or a POST of a SelfSubjectAccessReview
/// (a question about its own rights that stores nothing: the permission check); no path names a
/// Secret. Requests from kubectl (a test's own writes) are left out.
#[allow(dead_code)]
pub fn assert_read_only(sim: &kubesim::fleet::Fleet) {
    for c in &sim.clusters {
        for r in c.api.request_log() {
            if r.user_agent.starts_with("kubectl") {
                continue;
            }
            let review = r.method == "POST"
                && r.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
            assert!(r.method == "GET" || review, "{r:?}");
            assert!(!r.path.contains("secrets"), "{r:?}");
        }
    }
}

/// The clusters where `rule` fired for the service, over its findings.
#[allow(dead_code)]
pub fn rule_clusters(d: &app::model::ServiceDetail, rule: &str) -> Vec<String> {
    let mut out: Vec<String> = d
        .errors
        .iter()
        .filter(|f| f.rule == rule)
        .flat_map(|f| f.clusters.clone())
        .collect();
    out.sort();
    out
}

/// One kind of a cluster's page (`GET /api/v1/clusters/{name}`), or an empty one when not watched.
pub fn watched(d: &app::model::ClusterDetail, kind: &str) -> app::model::WatchedKind {
    d.kinds
        .iter()
        .find(|k| k.kind == kind)
        .cloned()
        .unwrap_or_default()
}

/// A real PostgreSQL server of its own (Debian's package, which `make test` installs), in a
/// temporary directory, on a free port, stopped when dropped. As root it runs as the `postgres`
/// user (PostgreSQL refuses to run as root).
#[allow(dead_code)]
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    pub url: String,
}

#[allow(dead_code)]
impl Postgres {
    fn bin_dir() -> PathBuf {
        let mut found: Vec<PathBuf> = glob::glob("/usr/lib/postgresql/*/bin/initdb")
            .map(|g| g.filter_map(Result::ok).collect())
            .unwrap_or_default();
        found.sort();
        match found.pop() {
            Some(initdb) => initdb.parent().map(PathBuf::from).unwrap_or_default(),
            None => panic!(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): `make test` installs Debian's postgresql package"
            ),
        }
    }

    fn as_owner(&self, program: &str) -> std::process::Command {
        as_postgres(&self.bin.join(program))
    }

    /// initdb (trust authentication, a `wayfinder` superuser) and start.
    pub fn start() -> Self {
        let bin = Self::bin_dir();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // The server's user must reach its directory.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .unwrap_or_else(|e| panic!("{e}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let pg = Self {
            url: format!("postgres://wayfinder@127.0.0.1:{port}/postgres"),
            dir,
            bin,
            port,
        };
        let data = pg.dir.path().join("data");
        let out = pg
            .as_owner("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "wayfinder",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .unwrap_or_else(|e| panic!("initdb: {e}"));
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.start_again();
        pg
    }

    /// Starts the server (again, after [`Postgres::stop`]) and waits until it answers.
    pub fn start_again(&self) {
        let d = self.dir.path();
        let out = self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(d.join("data"))
            .arg("-l")
            .arg(d.join("log"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                self.port,
                d.display()
            ))
            .args(["-w", "-t", "60", "start"])
            .output()
            .unwrap_or_else(|e| panic!("pg_ctl: {e}"));
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(d.join("log")).unwrap_or_default()
        );
    }

    /// Stops the server at once (connections are cut, as when a database goes away).
    pub fn stop(&self) {
        let _ = self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }

    /// A client of its own, for a test's questions.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect to PostgreSQL: {e}"));
        tokio::spawn(connection);
        client
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A command run as the `postgres` user when this process is root.
fn as_postgres(program: &std::path::Path) -> std::process::Command {
    // Whether this process is root: `id -u`.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        std::process::Command::new(program)
    }
}
