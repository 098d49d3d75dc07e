//! `make bench`: the real `wayfinder` (release build) against a kubesim fleet at scale, over HTTPS.
//!
//! Measures initial sync, memory, page latency under concurrent clients, freshness of changes in
//! the API and on SSE streams, apiserver requests per page view, a Backstage-style fan-out for the
//! same service side by side, and the first-load transfer of the WASM, JS and CSS. Prints a table
//! and writes `target/bench/results.json`.

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

/// Benchmark sizes and durations.
#[derive(Parser, Clone, Debug)]
#[command(name = "bench", about = "Wayfinder at scale against kubesim")]
struct Args {
    /// Simulated clusters.
    #[arg(long, default_value_t = 14)]
    clusters: usize,
    /// Services (each runs in up to 3 clusters).
    #[arg(long, default_value_t = 1600)]
    services: usize,
    /// Pods in all (default: 25 per service).
    #[arg(long)]
    pods: Option<usize>,
    /// Seconds each latency run lasts.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Concurrent clients in each latency run.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Changes made in kubesim for the freshness run.
    #[arg(long, default_value_t = 200)]
    changes: usize,
    /// Simulated apiserver latency for the fan-out reference, in milliseconds.
    #[arg(long, default_value_t = 20)]
    cluster_latency_ms: u64,
    /// Seconds the fan-out reference runs.
    #[arg(long, default_value_t = 10)]
    reference_seconds: u64,
    /// Concurrent clients of the fan-out reference.
    #[arg(long, default_value_t = 4)]
    reference_clients: usize,
    /// Seconds of the sustained-load run (SSE clients + page requests + churn); 0 skips it.
    #[arg(long, default_value_t = 60)]
    load_seconds: u64,
    /// Live (SSE) clients connected during the sustained-load run; a tenth never read.
    #[arg(long, default_value_t = 500)]
    sse_clients: usize,
    /// Page requests per second during the sustained-load run.
    #[arg(long, default_value_t = 200)]
    rps: u64,
    /// The wayfinder binary (default: target/release/wayfinder, built by `make build`).
    #[arg(long)]
    wayfinder: Option<PathBuf>,
    /// Where results.json and the generated catalog go (default: target/bench).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// The 13 list calls Backstage's Kubernetes plugin makes per cluster per request
/// (`DEFAULT_OBJECTS` in `KubernetesFanOutHandler.ts`).
const BACKSTAGE_OBJECTS: [&str; 13] = [
    "/api/v1/pods",
    "/api/v1/services",
    "/api/v1/configmaps",
    "/api/v1/limitranges",
    "/api/v1/resourcequotas",
    "/apis/apps/v1/deployments",
    "/apis/apps/v1/replicasets",
    "/apis/apps/v1/statefulsets",
    "/apis/apps/v1/daemonsets",
    "/apis/autoscaling/v2/horizontalpodautoscalers",
    "/apis/batch/v1/jobs",
    "/apis/batch/v1/cronjobs",
    "/apis/networking.k8s.io/v1/ingresses",
];

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start tokio: {e}")));
    if let Err(e) = runtime.block_on(run(args)) {
        fail(&e);
    }
}

fn fail(message: &str) -> ! {
    eprintln!("bench: {message}");
    std::process::exit(1)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn service_name(s: usize) -> String {
    format!("svc-{s:05}")
}

/// Latencies of one run, with errors and how long it lasted.
#[derive(Default)]
struct Samples {
    micros: Vec<u64>,
    errors: usize,
    seconds: f64,
}

impl Samples {
    /// The samples of every task, over the time since `start`.
    async fn gather(tasks: Vec<tokio::task::JoinHandle<Samples>>, start: Instant) -> Samples {
        let mut all = Samples::default();
        for t in tasks {
            if let Ok(s) = t.await {
                all.micros.extend(s.micros);
                all.errors += s.errors;
            }
        }
        all.seconds = start.elapsed().as_secs_f64();
        all
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let mut v = self.micros.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i.min(v.len() - 1)] as f64 / 1000.0
    }

    fn max(&self) -> f64 {
        self.micros.iter().copied().max().unwrap_or(0) as f64 / 1000.0
    }

    fn json(&self) -> Value {
        json!({
            "requests": self.micros.len(),
            "errors": self.errors,
            "p50Ms": round(self.percentile(0.5)),
            "p99Ms": round(self.percentile(0.99)),
            "maxMs": round(self.max()),
            "perSecond": round(self.micros.len() as f64 / self.seconds.max(0.001)),
        })
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A keep-alive HTTP/1 connection to the portal.
struct Conn {
    addr: String,
    sender: Option<hyper::client::conn::http1::SendRequest<Empty<Bytes>>>,
}

impl Conn {
    fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            sender: None,
        }
    }

    /// Sends `GET path` on the kept connection (opened when needed) and returns the response as
    /// its head arrives.
    async fn send(
        &mut self,
        path: &str,
        gzip: bool,
    ) -> Result<hyper::Response<hyper::body::Incoming>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(&self.addr)
                .await
                .map_err(|e| format!("connect {}: {e}", self.addr))?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            self.sender = Some(sender);
        }
        let Some(sender) = self.sender.as_mut() else {
            return Err("no connection".into());
        };
        sender.ready().await.map_err(|e| e.to_string())?;
        let mut request = hyper::Request::get(path).header("host", "wayfinder");
        if gzip {
            request = request.header("accept-encoding", "gzip");
        }
        let request = request
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        sender
            .send_request(request)
            .await
            .map_err(|e| format!("GET {path}: {e}"))
    }

    /// GETs `path` and reads the whole body: (status, body bytes as sent).
    async fn get(&mut self, path: &str, gzip: bool) -> Result<(u16, Bytes), String> {
        let response = self.send(path, gzip).await?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?
            .to_bytes();
        Ok((status, body))
    }

    /// GETs `path` (gzip), adding its time to `samples`, or an error (starting a new connection).
    async fn timed_get(&mut self, path: &str, samples: &mut Samples) {
        let t = Instant::now();
        match self.get(path, true).await {
            Ok((200, _)) => samples.micros.push(t.elapsed().as_micros() as u64),
            _ => {
                samples.errors += 1;
                self.sender = None;
            }
        }
    }

    async fn json(&mut self, path: &str) -> Result<Value, String> {
        let (status, body) = self.get(path, false).await?;
        if status != 200 {
            return Err(format!(
                "GET {path}: {status} {}",
                String::from_utf8_lossy(&body)
            ));
        }
        serde_json::from_slice(&body).map_err(|e| format!("GET {path}: {e}"))
    }
}

/// The portal under test, stopped when dropped.
struct Portal {
    child: tokio::process::Child,
    addr: String,
    pid: u32,
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Resident and peak memory of a process, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Descriptors for the synthetic services, one file per team as teams keep them: a Group per team,
/// a Component per service except every 20th, which stays a service found only in the clusters.
fn write_catalog(dir: &Path, services: usize) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let teams = kubesim::scenario::SYNTHETIC_TEAMS;
    for (t, team) in teams.iter().enumerate() {
        let mut text = format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {team}\nspec:\n  type: team\n  children: []\n"
        );
        for s in (t..services).step_by(teams.len()).filter(|s| s % 20 != 19) {
            let name = service_name(s);
            text.push_str(&format!(
                "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: Synthetic service {s} of team {team}\n  annotations:\n    backstage.io/kubernetes-id: {name}\n  tags: [bench, tier-{}]\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/{team}\n",
                s % 3
            ));
        }
        let file = dir.join(format!("{team}.yaml"));
        std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

/// Starts the portal on the fleet's kubeconfig and the bench's catalog, watching cert-manager's
/// Certificates as a configured custom resource (a config file beside the log).
async fn start_portal(
    binary: &Path,
    kubeconfig: &Path,
    catalog: &Path,
    log: &Path,
) -> Result<Portal, String> {
    let config = log.with_file_name("wayfinder.yaml");
    std::fs::write(
        &config,
        "customResources:\n  - {group: cert-manager.io, apiVersion: v1, plural: certificates}\n",
    )
    .map_err(|e| format!("{}: {e}", config.display()))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let addr = format!("127.0.0.1:{port}");
    // The timeline's history, fresh each run.
    let history = log.with_file_name("history");
    let _ = std::fs::remove_dir_all(&history);
    let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err_file = log_file.try_clone().map_err(|e| e.to_string())?;
    let child = tokio::process::Command::new(binary)
        .arg("--listen")
        .arg(&addr)
        .arg("--config")
        .arg(&config)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--catalog")
        .arg(catalog)
        .arg("--site-root")
        .arg(root().join("target/site"))
        .arg("--data-dir")
        .arg(&history)
        .env("RUST_LOG", "warn")
        .stdout(log_file)
        .stderr(err_file)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let pid = child.id().unwrap_or(0);
    Ok(Portal { child, addr, pid })
}

/// Waits until every cluster says `synced`; returns the statuses.
async fn wait_synced(portal: &Portal, clusters: usize) -> Result<Vec<Value>, String> {
    let mut conn = Conn::new(&portal.addr);
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Ok(Value::Array(list)) = conn.json("/api/v1/clusters").await {
            let synced = list.iter().filter(|c| c["state"] == "synced").count();
            if list.len() == clusters && synced == clusters {
                return Ok(list);
            }
        } else {
            conn = Conn::new(&portal.addr);
        }
        if Instant::now() > deadline {
            return Err("the clusters did not sync within 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Requests the fleet's apiservers received since start, (all, watches), leaving out the metrics
/// pollers' (`metrics.k8s.io`: their own line of the table), the permission checks' access
/// reviews (at start and every 10 minutes) and the lists of kinds a cluster does not serve (an
/// optional kind whose CRD is not installed, looked for again every minute): each is made
/// whoever is watching, never because of a page view.
fn apiserver_requests(fleet: &kubesim::fleet::Fleet) -> (u64, u64) {
    fleet
        .clusters
        .iter()
        .map(|c| {
            let (all, watches) = c.api.request_counts();
            (
                all - c.api.metrics_requests()
                    - c.api.review_requests()
                    - c.api.unserved_requests(),
                watches,
            )
        })
        .fold((0, 0), |(a, w), (x, y)| (a + x, w + y))
}

/// The objects cached of the kinds the generated fleet's operators add (Argo Rollouts, KEDA and
/// the configured custom resource), summed over clusters, by kind.
fn optional_kinds(statuses: &[Value]) -> Vec<(String, u64)> {
    let mut out: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for (kind, n) in statuses
        .iter()
        .filter_map(|s| s["objects"].as_object())
        .flatten()
    {
        if ["rollouts", "scaledobjects", "scaledjobs", "certificates"]
            .iter()
            .any(|k| kind.starts_with(k))
        {
            *out.entry(kind.clone()).or_default() += n.as_u64().unwrap_or(0);
        }
    }
    out.into_iter().collect()
}

/// The metrics pollers' cost so far, from the portal's `/metrics`: (polls, list requests,
/// seconds), summed over clusters, and the clusters polled.
async fn poll_cost(addr: &str) -> Result<(f64, f64, f64, usize), String> {
    let (status, body) = Conn::new(addr).get("/metrics", false).await?;
    if status != 200 {
        return Err(format!("/metrics answered {status}"));
    }
    let text = String::from_utf8_lossy(&body);
    let sum = |name: &str| -> (f64, usize) {
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .fold((0.0, 0), |(s, n), v| (s + v, n + 1))
    };
    let (polls, clusters) = sum("wayfinder_metrics_polls_total");
    Ok((
        polls,
        sum("wayfinder_metrics_poll_requests_total").0,
        sum("wayfinder_metrics_poll_seconds_total").0,
        clusters,
    ))
}

/// The history's figures from the portal's `/metrics` and its file: (events offered, events
/// written, seconds spent writing, bytes on disk).
async fn history_cost(addr: &str, dir: &Path) -> Result<(f64, f64, f64, u64), String> {
    let (status, body) = Conn::new(addr).get("/metrics", false).await?;
    if status != 200 {
        return Err(format!("/metrics answered {status}"));
    }
    let text = String::from_utf8_lossy(&body);
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} "))?.parse().ok())
            .unwrap_or(0.0)
    };
    let bytes = ["history.sqlite3", "history.sqlite3-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    Ok((
        value("wayfinder_history_events_offered_total"),
        value("wayfinder_history_events_written_total"),
        value("wayfinder_history_write_seconds_total"),
        bytes,
    ))
}

/// `clients` connections GETting `path_of(random)` for `duration`.
async fn load(
    addr: &str,
    clients: usize,
    duration: Duration,
    path_of: Arc<dyn Fn(u64) -> String + Send + Sync>,
) -> Samples {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (addr, path_of) = (addr.to_string(), path_of.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&addr);
            let mut rng: u64 =
                0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            let mut s = Samples::default();
            while Instant::now() < deadline {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                conn.timed_get(&path_of(rng), &mut s).await;
            }
            s
        }));
    }
    Samples::gather(tasks, start).await
}

/// One kind of change the freshness run makes, and how to see it in a service's JSON.
#[derive(Clone, Debug)]
enum Expect {
    Restarts {
        cluster: String,
        pod: String,
        restarts: i64,
    },
    Desired {
        cluster: String,
        deployment: String,
        replicas: i64,
    },
    Image {
        cluster: String,
        image: String,
    },
}

impl Expect {
    fn seen(&self, detail: &Value) -> bool {
        let cluster_of = |name: &str| -> Option<&Value> {
            detail["clusters"]
                .as_array()?
                .iter()
                .find(|c| c["cluster"] == name)
        };
        match self {
            Expect::Restarts {
                cluster,
                pod,
                restarts,
            } => cluster_of(cluster)
                .and_then(|c| c["pods"].as_array())
                .is_some_and(|pods| {
                    pods.iter()
                        .any(|p| p["name"] == pod.as_str() && p["restarts"] == *restarts)
                }),
            Expect::Desired {
                cluster,
                deployment,
                replicas,
            } => cluster_of(cluster)
                .and_then(|c| c["workloads"].as_array())
                .is_some_and(|ws| {
                    ws.iter().any(|w| {
                        w["kind"] == "Deployment"
                            && w["name"] == deployment.as_str()
                            && w["replicas"]["desired"] == *replicas
                    })
                }),
            Expect::Image { cluster, image } => cluster_of(cluster)
                .and_then(|c| c["workloads"].as_array())
                .is_some_and(|ws| {
                    ws.iter().any(|w| {
                        w["images"]
                            .as_array()
                            .is_some_and(|i| i.iter().any(|x| x == image.as_str()))
                    })
                }),
        }
    }
}

/// Opens `GET /api/v1/services/{name}/events`; each `event: service` message arrives parsed, with
/// the moment it arrived.
async fn sse(addr: &str, name: &str) -> Result<mpsc::UnboundedReceiver<(Instant, Value)>, String> {
    let path = format!("/api/v1/services/{name}/events");
    let response = Conn::new(addr).send(&path, false).await?;
    if response.status() != 200 {
        return Err(format!("GET {path}: {}", response.status()));
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let body = response.into_body().into_data_stream();
    let reader = tokio_util_reader(body);
    tokio::spawn(async move {
        let mut lines = reader.lines();
        let (mut event, mut data) = (String::new(), String::new());
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(e) = line.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(d) = line.strip_prefix("data: ") {
                data.push_str(d);
            } else if line.is_empty() {
                if event == "service" {
                    if let Ok(v) = serde_json::from_str::<Value>(&data) {
                        if tx.send((Instant::now(), v)).is_err() {
                            return;
                        }
                    }
                }
                event.clear();
                data.clear();
            }
        }
    });
    Ok(rx)
}

/// A body stream as an `AsyncBufRead`.
fn tokio_util_reader(
    body: http_body_util::BodyDataStream<hyper::body::Incoming>,
) -> impl tokio::io::AsyncBufRead + Send + Unpin {
    use futures::TryStreamExt;
    let stream = body.map_err(std::io::Error::other);
    tokio::io::BufReader::new(StreamReader::new(stream))
}

/// Minimal `tokio_util::io::StreamReader`: reads a stream of byte chunks.
struct StreamReader<S> {
    stream: S,
    chunk: Bytes,
}

impl<S> StreamReader<S> {
    fn new(stream: S) -> Self {
        Self {
            stream,
            chunk: Bytes::new(),
        }
    }
}

impl<S> tokio::io::AsyncRead for StreamReader<S>
where
    S: futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        while self.chunk.is_empty() {
            match futures::ready!(std::pin::Pin::new(&mut self.stream).poll_next(cx)) {
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Poll::Ready(Err(e)),
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = self.chunk.len().min(buf.remaining());
        buf.put_slice(&self.chunk.split_to(n));
        Poll::Ready(Ok(()))
    }
}

/// A change to make in kubesim and what the portal should then show.
fn make_change(
    fleet: &kubesim::fleet::Fleet,
    i: usize,
    service: &str,
    namespace: &str,
    cluster: &str,
) -> Result<Expect, String> {
    let c = fleet
        .cluster(cluster)
        .ok_or_else(|| format!("no cluster {cluster}"))?;
    let store = &c.api.store;
    let pods = kubesim::resources::find("", "v1", "pods").ok_or("kubesim has no pods")?;
    let deployments = kubesim::resources::find("apps", "v1", "deployments")
        .ok_or("kubesim has no deployments")?;
    match i % 3 {
        0 => {
            let pod = format!("{service}-7d4b9c8f6-00000");
            let mut restarts = 0;
            store
                .modify(pods, namespace, &pod, |p| {
                    let cs = &mut p["status"]["containerStatuses"][0];
                    restarts = cs["restartCount"].as_i64().unwrap_or(0) + 1;
                    cs["restartCount"] = json!(restarts);
                    cs["ready"] = json!(false);
                    cs["state"] = json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s restarting failed container=app"}});
                    cs["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error"}});
                    p["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
                })
                .ok_or_else(|| format!("{cluster}: no pod {namespace}/{pod}"))?;
            Ok(Expect::Restarts {
                cluster: cluster.into(),
                pod,
                restarts,
            })
        }
        1 => {
            let mut replicas = 0;
            store
                .modify(deployments, namespace, service, |d| {
                    replicas = d["spec"]["replicas"].as_i64().unwrap_or(1) + 1;
                    d["spec"]["replicas"] = json!(replicas);
                    d["status"]["replicas"] = json!(replicas);
                })
                .ok_or_else(|| format!("{cluster}: no deployment {namespace}/{service}"))?;
            Ok(Expect::Desired {
                cluster: cluster.into(),
                deployment: service.into(),
                replicas,
            })
        }
        _ => {
            let image = format!("registry.example.com/{namespace}/{service}:bench-{i}");
            store
                .modify(deployments, namespace, service, |d| {
                    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
                    let generation = d["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
                    d["metadata"]["generation"] = json!(generation);
                })
                .ok_or_else(|| format!("{cluster}: no deployment {namespace}/{service}"))?;
            Ok(Expect::Image {
                cluster: cluster.into(),
                image,
            })
        }
    }
}

/// A service the bench changes: its name, namespace and the clusters it runs in.
type Target = (String, &'static str, Vec<String>);

/// 20 described services spread over the catalog: what the freshness and load runs change.
fn changeable(
    fleet: &kubesim::fleet::Fleet,
    size: &kubesim::scenario::Synthetic,
) -> Result<Vec<Target>, String> {
    let teams = &kubesim::scenario::SYNTHETIC_TEAMS;
    let picked: Vec<usize> = (0..20)
        .map(|k| (k * size.services / 20) % size.services.max(1))
        .map(|s| if s % 20 == 19 { s - 1 } else { s })
        .collect();
    let deployments =
        kubesim::resources::find("apps", "v1", "deployments").ok_or("no deployments")?;
    let mut out = Vec::new();
    for s in picked {
        let (name, ns) = (service_name(s), teams[s % teams.len()]);
        let clusters: Vec<String> = fleet
            .clusters
            .iter()
            .filter(|c| c.api.store.get(deployments.store, ns, &name).is_some())
            .map(|c| c.name().to_string())
            .collect();
        if !clusters.is_empty() {
            out.push((name, ns, clusters));
        }
    }
    if out.is_empty() {
        return Err("no service to change".into());
    }
    Ok(out)
}

/// What the sustained-load run saw.
struct Sustained {
    pages: Samples,
    sse_clients: usize,
    slow_clients: usize,
    /// Reading clients that got a message after the churn began / all reading clients.
    updated: usize,
    reading: usize,
    messages: u64,
    changes: usize,
    rss_before: u64,
    rss_max: u64,
    rss_after: u64,
}

/// `sse_clients` live streams open (a tenth never read a byte), `rps` page requests a second
/// (service pages and JSON, half each) and a change every 50 ms, for `seconds`; then the slow
/// clients leave and memory is read again.
async fn sustained_load(
    fleet: &kubesim::fleet::Fleet,
    portal: &Portal,
    size: &kubesim::scenario::Synthetic,
    names: Arc<Vec<String>>,
    args: &Args,
) -> Result<Sustained, String> {
    let addr = portal.addr.as_str();
    let targets = changeable(fleet, size)?;
    let (rss_before, _) = memory(portal.pid);
    let slow_every = 10;
    let mut reading = Vec::new();
    let mut slow = Vec::new();
    for i in 0..args.sse_clients {
        let name = &targets[i % targets.len()].0;
        if i % slow_every == slow_every - 1 {
            // Opened, then never read: the portal must not hold up anyone else for it.
            let path = format!("/api/v1/services/{name}/events");
            let response = Conn::new(addr).send(&path, false).await?;
            slow.push(response);
        } else {
            reading.push(sse(addr, name).await?);
        }
    }
    let start = Instant::now();
    let seconds = Duration::from_secs(args.load_seconds);
    let deadline = start + seconds;
    // Page requests at a fixed rate, from 20 connections.
    let workers = 20u64;
    let every = Duration::from_secs_f64(workers as f64 / args.rps.max(1) as f64);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (addr, names) = (addr.to_string(), names.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&addr);
            let mut s = Samples::default();
            let mut tick = tokio::time::interval(every);
            let mut n = w;
            while Instant::now() < deadline {
                tick.tick().await;
                n += workers;
                let name = &names[(n.wrapping_mul(2_654_435_761) % names.len() as u64) as usize];
                let path = if n % 2 == 0 {
                    format!("/services/{name}")
                } else {
                    format!("/api/v1/services/{name}")
                };
                conn.timed_get(&path, &mut s).await;
            }
            s
        }));
    }
    // Churn, and memory sampled, meanwhile.
    let mut changes = 0;
    let mut rss_max = rss_before;
    let mut next_sample = Instant::now();
    while Instant::now() < deadline {
        let (name, ns, clusters) = &targets[changes % targets.len()];
        let cluster = &clusters[(changes / targets.len()) % clusters.len()];
        make_change(fleet, changes, name, ns, cluster)?;
        changes += 1;
        if Instant::now() >= next_sample {
            rss_max = rss_max.max(memory(portal.pid).0);
            next_sample += Duration::from_secs(1);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pages = Samples::gather(tasks, start).await;
    // Every reading client heard of the churn, however many slow ones there were.
    let (mut updated, mut messages) = (0, 0u64);
    for rx in &mut reading {
        let mut got = 0u64;
        let mut after_start = false;
        while let Ok((at, _)) = rx.try_recv() {
            got += 1;
            after_start |= at > start;
        }
        messages += got;
        updated += usize::from(after_start);
    }
    let slow_clients = slow.len();
    drop(slow);
    drop(reading);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (rss_after, _) = memory(portal.pid);
    Ok(Sustained {
        pages,
        sse_clients: args.sse_clients,
        slow_clients,
        updated,
        reading: args.sse_clients - slow_clients,
        messages,
        changes,
        rss_before,
        rss_max,
        rss_after,
    })
}

/// Time until each change shows in the JSON API (polled) and on an open SSE stream.
async fn freshness(
    fleet: &kubesim::fleet::Fleet,
    addr: &str,
    size: &kubesim::scenario::Synthetic,
    changes: usize,
) -> Result<(Samples, Samples), String> {
    let mut targets = Vec::new();
    for (name, ns, clusters) in changeable(fleet, size)? {
        let stream = sse(addr, &name).await?;
        targets.push((name, ns, clusters, stream));
    }
    let (mut api, mut pushed) = (Samples::default(), Samples::default());
    let limit = Duration::from_secs(10);
    let mut conn = Conn::new(addr);
    let start = Instant::now();
    for i in 0..changes {
        let n = targets.len();
        let (name, ns, clusters, stream) = &mut targets[i % n];
        let cluster = clusters[(i / n) % clusters.len()].clone();
        // Whatever the stream had before the change is history.
        while stream.try_recv().is_ok() {}
        let t0 = Instant::now();
        let expect = make_change(fleet, i, name, ns, &cluster)?;
        let path = format!("/api/v1/services/{name}");
        let polled = async {
            loop {
                if let Ok(v) = conn.json(&path).await {
                    if expect.seen(&v) {
                        return Some(t0.elapsed());
                    }
                }
                if t0.elapsed() > limit {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        };
        let streamed = async {
            loop {
                match tokio::time::timeout_at((t0 + limit).into(), stream.recv()).await {
                    Ok(Some((at, v))) if expect.seen(&v) => return Some(at - t0),
                    Ok(Some(_)) => continue,
                    _ => return None,
                }
            }
        };
        let (a, b) = tokio::join!(polled, streamed);
        match a {
            Some(d) => api.micros.push(d.as_micros() as u64),
            None => api.errors += 1,
        }
        match b {
            Some(d) => pushed.micros.push(d.as_micros() as u64),
            None => pushed.errors += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    api.seconds = start.elapsed().as_secs_f64();
    pushed.seconds = api.seconds;
    Ok((api, pushed))
}

/// Backstage's way, side by side: per page view, 13 list calls per cluster in parallel with the
/// service's label selector, nothing cached.
async fn fan_out(
    fleet: &kubesim::fleet::Fleet,
    services: usize,
    clients: usize,
    duration: Duration,
) -> Result<Samples, String> {
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&fleet.kubeconfig())
        .map_err(|e| format!("kubeconfig: {e}"))?;
    let mut kube_clients = Vec::new();
    for c in &fleet.clusters {
        let options = kube::config::KubeConfigOptions {
            context: Some(c.name().to_string()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
            .await
            .map_err(|e| format!("{}: {e}", c.name()))?;
        kube_clients
            .push(kube::Client::try_from(config).map_err(|e| format!("{}: {e}", c.name()))?);
    }
    let kube_clients = Arc::new(kube_clients);
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for k in 0..clients {
        let kube_clients = kube_clients.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = Samples::default();
            let mut n = k;
            while Instant::now() < deadline {
                n = (n * 7919 + 13) % services.max(1);
                let selector = format!("backstage.io%2Fkubernetes-id%3D{}", service_name(n));
                let t = Instant::now();
                let calls = kube_clients.iter().flat_map(|client| {
                    BACKSTAGE_OBJECTS.iter().map({
                        let selector = selector.clone();
                        move |path| {
                            let request =
                                http::Request::get(format!("{path}?labelSelector={selector}"))
                                    .body(Vec::new());
                            async move {
                                match request {
                                    Ok(r) => client
                                        .request::<Value>(r)
                                        .await
                                        .map(|_| ())
                                        .map_err(|e| e.to_string()),
                                    Err(e) => Err(e.to_string()),
                                }
                            }
                        }
                    })
                });
                let results = futures::future::join_all(calls).await;
                if results.iter().all(Result::is_ok) {
                    s.micros.push(t.elapsed().as_micros() as u64);
                } else {
                    s.errors += 1;
                }
            }
            s
        }));
    }
    Ok(Samples::gather(tasks, start).await)
}

/// Bytes of each asset the first page load fetches: (path, raw, gzip as served).
/// Log views of one pod of `service`, one after the other: each one's time to its last line (the
/// whole tail of 100 lines), and the apiserver requests per view.
async fn pod_logs(
    fleet: &kubesim::fleet::Fleet,
    addr: &str,
    service: &str,
) -> Result<(Samples, f64), String> {
    let mut conn = Conn::new(addr);
    let detail = conn.json(&format!("/api/v1/services/{service}")).await?;
    let cluster = &detail["clusters"][0];
    let pod = &cluster["pods"][0];
    let path = format!(
        "/api/v1/services/{service}/pods/{}/{}/{}/log?tailLines=100",
        cluster["cluster"].as_str().unwrap_or_default(),
        pod["namespace"].as_str().unwrap_or_default(),
        pod["name"].as_str().unwrap_or_default()
    );
    const VIEWS: usize = 200;
    let (before, _) = apiserver_requests(fleet);
    let start = Instant::now();
    let mut samples = Samples::default();
    for _ in 0..VIEWS {
        conn.timed_get(&path, &mut samples).await;
    }
    samples.seconds = start.elapsed().as_secs_f64();
    let (after, _) = apiserver_requests(fleet);
    if samples.errors > 0 {
        return Err(format!(
            "{} of {VIEWS} log views failed: GET {path}",
            samples.errors
        ));
    }
    Ok((samples, (after - before) as f64 / VIEWS as f64))
}

async fn first_load(addr: &str) -> Result<Vec<(String, usize, usize)>, String> {
    let mut conn = Conn::new(addr);
    let (_, html) = conn.get("/", false).await?;
    let html = String::from_utf8_lossy(&html).to_string();
    let mut assets: Vec<String> = Vec::new();
    for ext in [".js", ".wasm", ".css"] {
        let mut rest = html.as_str();
        while let Some(i) = rest.find("/pkg/") {
            let tail = &rest[i..];
            let end = tail.find(['"', '\'', ' ', ')']).unwrap_or(tail.len());
            let path = &tail[..end];
            if path.ends_with(ext) && !assets.iter().any(|a| a == path) {
                assets.push(path.to_string());
            }
            rest = &tail[end..];
        }
    }
    if !assets.iter().any(|a| a.ends_with(".wasm")) {
        // The hydration script names the .wasm inside the JS; it sits next to it.
        if let Some(js) = assets.iter().find(|a| a.ends_with(".js")).cloned() {
            assets.push(js.replace(".js", ".wasm"));
        }
    }
    let mut out = Vec::new();
    for a in assets {
        let (s1, raw) = conn.get(&a, false).await?;
        let (s2, gz) = conn.get(&a, true).await?;
        if s1 != 200 || s2 != 200 {
            eprintln!(
                "bench: the page names {a}, which answers {s1}: a wasted request in every browser"
            );
            continue;
        }
        out.push((a, raw.len(), gz.len()));
    }
    Ok(out)
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

fn mib(bytes: f64) -> String {
    format!("{:.0} MiB", bytes / 1024.0 / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT MET"
    }
}

async fn run(args: Args) -> Result<(), String> {
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| root().join("target/bench"));
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let binary = args
        .wayfinder
        .clone()
        .unwrap_or_else(|| root().join("target/release/wayfinder"));
    if !binary.exists() {
        return Err(format!(
            "{} is missing: run `make build` first (make bench does)",
            binary.display()
        ));
    }
    let size = kubesim::scenario::Synthetic {
        clusters: args.clusters,
        services: args.services,
        pods: args.pods.unwrap_or(args.services * 25),
    };
    println!(
        "bench: {} clusters, {} services, {} pods; {} clients for {} s per page",
        size.clusters, size.services, size.pods, args.clients, args.duration
    );

    // kubesim in this process, HTTPS, static (objects stay as written until the bench changes them).
    let t = Instant::now();
    let options = kubesim::fleet::FleetOptions::default();
    let fleet = size.start(&options).await.map_err(|e| e.to_string())?;
    let generate_seconds = t.elapsed().as_secs_f64();
    println!("bench: kubesim filled in {generate_seconds:.1} s");
    let kubeconfig = out_dir.join("kubeconfig");
    fleet
        .write_kubeconfig(&kubeconfig)
        .map_err(|e| format!("{}: {e}", kubeconfig.display()))?;
    let catalog = out_dir.join("catalog");
    write_catalog(&catalog, size.services)?;

    // Initial sync.
    let t = Instant::now();
    let started = t;
    let portal = start_portal(
        &binary,
        &kubeconfig,
        &catalog,
        &out_dir.join("wayfinder.log"),
    )
    .await?;
    let statuses = wait_synced(&portal, fleet.clusters.len()).await?;
    let sync_seconds = t.elapsed().as_secs_f64();
    let objects: u64 = statuses
        .iter()
        .filter_map(|s| s["objects"].as_object())
        .flat_map(|o| o.values().filter_map(Value::as_u64))
        .sum();
    let pods: u64 = statuses
        .iter()
        .filter_map(|s| s["objects"]["pods"].as_u64())
        .sum();
    // Let the allocator settle (list pages freed, first caches filled) before reading memory.
    let mut warm = Conn::new(&portal.addr);
    warm.get("/", true).await?;
    // The measured catalog must be the one written: a descriptor the portal refused would turn
    // its services into discovered ones and measure something else.
    let problems = warm.json("/api/v1/catalog/problems").await?;
    if problems.as_array().is_some_and(|p| !p.is_empty()) {
        return Err(format!(
            "the portal refused the bench's catalog: {problems}"
        ));
    }
    let described = warm.json("/api/v1/services?origin=catalog").await?["matched"].as_u64();
    println!(
        "bench: {} services described in the catalog",
        described.unwrap_or(0)
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The timeline's recorder looks at every service once after the first sync: wait until it has
    // written what it found (no new event for 3 s, a minute at most).
    let history_dir = out_dir.join("history");
    let mut history_start = history_cost(&portal.addr, &history_dir).await?;
    let settle = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let now = history_cost(&portal.addr, &history_dir).await?;
        let done = now.0 == history_start.0 || settle.elapsed() > Duration::from_secs(60);
        history_start = now;
        if done {
            break;
        }
    }
    let history_at = Instant::now();
    println!(
        "bench: history: {:.0} events after the first look at every service, {} on disk, {:.1} µs per event written",
        history_start.1,
        mib(history_start.3 as f64),
        1e6 * history_start.2 / history_start.0.max(1.0)
    );
    let (rss, peak) = memory(portal.pid);
    println!(
        "bench: synced in {sync_seconds:.1} s; RSS {}",
        mib(rss as f64)
    );
    let operated = optional_kinds(&statuses);
    println!(
        "bench: operators' kinds cached: {}",
        operated
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Page latency, apiserver requests counted around it.
    let names: Arc<Vec<String>> = Arc::new((0..size.services).map(service_name).collect());
    let (before, watches_before) = apiserver_requests(&fleet);
    let duration = Duration::from_secs(args.duration);
    let mut runs: Vec<(&str, Samples)> = Vec::new();
    let pages = [
        ("catalog page (/)", 0usize),
        ("service page (SSR)", 1),
        ("GET /api/v1/services/{name}", 2),
        ("GET /api/v1/services (catalog)", 3),
    ];
    for (label, which) in pages {
        let names = names.clone();
        let path_of: Arc<dyn Fn(u64) -> String + Send + Sync> = Arc::new(move |r: u64| {
            let name = &names[(r % names.len() as u64) as usize];
            // The catalog's usual queries: all, a search, a team's, a page further on.
            let catalog = |at: &str| match r % 4 {
                0 => at.to_string(),
                1 => format!("{at}?q={}", &name[..7]),
                2 => format!(
                    "{at}?owner={}",
                    kubesim::scenario::SYNTHETIC_TEAMS[(r % 20) as usize]
                ),
                _ => format!("{at}?page={}", 1 + (r % 10)),
            };
            match which {
                0 => catalog("/"),
                1 => format!("/services/{name}"),
                2 => format!("/api/v1/services/{name}"),
                _ => catalog("/api/v1/services"),
            }
        });
        let s = load(&portal.addr, args.clients, duration, path_of).await;
        println!(
            "bench: {label}: p50 {:.2} ms, p99 {:.2} ms, {} errors",
            s.percentile(0.5),
            s.percentile(0.99),
            s.errors
        );
        runs.push((label, s));
    }
    let (after, watches_after) = apiserver_requests(&fleet);
    let views: usize = runs.iter().map(|(_, s)| s.micros.len() + s.errors).sum();
    let non_watch = (after - before) - (watches_after - watches_before);
    let per_view = non_watch as f64 / views.max(1) as f64;
    let (rss_loaded, _) = memory(portal.pid);

    // Freshness.
    let (api_fresh, sse_fresh) = freshness(&fleet, &portal.addr, &size, args.changes).await?;
    println!(
        "bench: freshness p99 API {:.0} ms, SSE {:.0} ms",
        api_fresh.percentile(0.99),
        sse_fresh.percentile(0.99)
    );

    // Sustained load: live clients, slow ones among them, page requests and churn together.
    let sustained = if args.load_seconds > 0 {
        let s = sustained_load(&fleet, &portal, &size, names.clone(), &args).await?;
        println!(
            "bench: sustained load: {} errors, p99 {:.1} ms, {}/{} live clients updated, RSS {} → max {} → {}",
            s.pages.errors,
            s.pages.percentile(0.99),
            s.updated,
            s.reading,
            mib(s.rss_before as f64),
            mib(s.rss_max as f64),
            mib(s.rss_after as f64)
        );
        Some(s)
    } else {
        None
    };

    // The fan-out reference, with simulated apiserver latency.
    for c in &fleet.clusters {
        c.api.set_faults(kubesim::api::Faults {
            latency_ms: args.cluster_latency_ms,
            ..Default::default()
        });
    }
    let reference = fan_out(
        &fleet,
        size.services,
        args.reference_clients,
        Duration::from_secs(args.reference_seconds),
    )
    .await?;
    // Pod logs, read from the apiserver when asked (same apiserver latency).
    let (log_view, log_requests) = pod_logs(&fleet, &portal.addr, &names[0]).await?;
    for c in &fleet.clusters {
        c.api.set_faults(kubesim::api::Faults::default());
    }
    // Ours for the same service pages at the reference's concurrency, right after it.
    let json_names = names.clone();
    let same = load(
        &portal.addr,
        args.reference_clients,
        Duration::from_secs(args.reference_seconds),
        Arc::new(move |r: u64| {
            format!(
                "/api/v1/services/{}",
                json_names[(r % json_names.len() as u64) as usize]
            )
        }),
    )
    .await;
    let ours_json = &runs[2].1;
    let ratio = reference.percentile(0.5) / same.percentile(0.5);
    let ratio_p99 = reference.percentile(0.99) / same.percentile(0.99);
    println!(
        "bench: fan-out reference p50 {:.0} ms; ours at {} clients {:.2} ms ({ratio:.0}×)",
        reference.percentile(0.5),
        args.reference_clients,
        same.percentile(0.5)
    );

    // The metrics pollers: one per cluster, every 30 s, all through the run.
    let (polls, poll_requests, poll_seconds, polled) = poll_cost(&portal.addr).await?;
    let poll_ms = 1000.0 * poll_seconds / polls.max(1.0);
    let metrics_requests: u64 = fleet
        .clusters
        .iter()
        .map(|c| c.api.metrics_requests())
        .sum();
    println!(
        "bench: metrics pollers: {polls:.0} polls of {polled} clusters, {:.2} list requests per poll, {poll_ms:.1} ms per poll (request and parsing); kubesim saw {metrics_requests} metrics requests",
        poll_requests / polls.max(1.0)
    );

    // The history during the run: the changes the bench made (freshness, load) and the clock.
    let history_end = history_cost(&portal.addr, &history_dir).await?;
    let history_seconds = history_at.elapsed().as_secs_f64();
    let run_events = history_end.1 - history_start.1;
    let run_bytes = history_end.3.saturating_sub(history_start.3) as f64;
    let per_event_us =
        1e6 * (history_end.2 - history_start.2) / (history_end.0 - history_start.0).max(1.0);
    let per_day = |x: f64| x * 86_400.0 / history_seconds.max(1.0);
    println!(
        "bench: history: {run_events:.0} events in {history_seconds:.0} s of the run ({:.0} offered: duplicates merged), {per_event_us:.1} µs per event written; at this run's change rate a day adds {:.0} events, {}",
        history_end.0 - history_start.0,
        per_day(run_events),
        mib(per_day(run_bytes))
    );

    // Kinds a cluster does not serve (no CRD), looked for again every minute.
    let unserved: u64 = fleet
        .clusters
        .iter()
        .map(|c| c.api.unserved_requests())
        .sum();
    let without: usize = (0..size.clusters)
        .filter(|&c| !size.has_operators(c))
        .count();
    println!(
        "bench: {without} clusters without the operators' CRDs; {unserved} lists of a kind they do not serve in {:.0} s (left out of requests per view)",
        started.elapsed().as_secs_f64()
    );

    let assets = first_load(&portal.addr).await?;
    let (raw_total, gz_total): (usize, usize) = assets
        .iter()
        .fold((0, 0), |(r, g), (_, a, b)| (r + a, g + b));
    let (rss_end, peak_end) = memory(portal.pid);

    // The table.
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!("Wayfinder bench — {} clusters, {} services, {} pods ({} objects cached) — {cores} cores, {cpu}", size.clusters, size.services, pods, objects);
    println!(
        "{:<34} {:>12} {:>12} {:>10} {:>10} {:>8}",
        "", "p50", "p99", "max", "req/s", "errors"
    );
    for (label, s) in &runs {
        println!(
            "{:<34} {:>9.2} ms {:>9.2} ms {:>7.1} ms {:>10.0} {:>8}",
            label,
            s.percentile(0.5),
            s.percentile(0.99),
            s.max(),
            s.micros.len() as f64 / s.seconds,
            s.errors
        );
    }
    println!(
        "{:<34} {:>9.2} ms {:>9.2} ms {:>7.1} ms {:>10.1} {:>8}",
        "fan-out reference (Backstage way)",
        reference.percentile(0.5),
        reference.percentile(0.99),
        reference.max(),
        reference.micros.len() as f64 / reference.seconds,
        reference.errors
    );
    println!(
        "{:<34} {:>9.2} ms {:>9.2} ms {:>7.1} ms {:>10.1} {:>8}",
        format!("  ours, same {} clients", args.reference_clients),
        same.percentile(0.5),
        same.percentile(0.99),
        same.max(),
        same.micros.len() as f64 / same.seconds,
        same.errors
    );
    println!(
        "{:<34} {:>9.0} ms {:>9.0} ms {:>7.0} ms {:>10} {:>8}",
        "freshness: JSON API",
        api_fresh.percentile(0.5),
        api_fresh.percentile(0.99),
        api_fresh.max(),
        "",
        api_fresh.errors
    );
    println!(
        "{:<34} {:>9.0} ms {:>9.0} ms {:>7.0} ms {:>10} {:>8}",
        "freshness: SSE stream",
        sse_fresh.percentile(0.5),
        sse_fresh.percentile(0.99),
        sse_fresh.max(),
        "",
        sse_fresh.errors
    );
    if let Some(l) = &sustained {
        println!(
            "{:<34} {:>9.2} ms {:>9.2} ms {:>7.1} ms {:>10.0} {:>8}",
            format!("under load ({} live clients)", l.sse_clients),
            l.pages.percentile(0.5),
            l.pages.percentile(0.99),
            l.pages.max(),
            l.pages.micros.len() as f64 / l.pages.seconds,
            l.pages.errors
        );
    }
    println!();
    let ssr_p99 = runs[1].1.percentile(0.99);
    let catalog_p99 = runs[0].1.percentile(0.99);
    let catalog_json_p99 = runs[3].1.percentile(0.99);
    let json_p99 = ours_json.percentile(0.99);
    let bytes_per_pod = rss as f64 / pods.max(1) as f64;
    let goals = [
        (
            "initial sync",
            format!("{sync_seconds:.1} s"),
            "< 30 s",
            sync_seconds < 30.0,
        ),
        (
            "RSS after sync",
            format!("{} (peak {})", mib(rss as f64), mib(peak as f64)),
            "< 2 GiB",
            rss < 2 << 30,
        ),
        (
            "RSS per pod",
            kib(bytes_per_pod),
            "< 5 KiB",
            bytes_per_pod < 5.0 * 1024.0,
        ),
        (
            "apiserver requests per page view",
            format!("{per_view:.3} ({non_watch} in {views} views)"),
            "0",
            non_watch == 0,
        ),
        (
            "service page SSR p99",
            format!("{ssr_p99:.2} ms"),
            "< 20 ms",
            ssr_p99 < 20.0,
        ),
        (
            "JSON p99",
            format!("{json_p99:.2} ms"),
            "< 5 ms",
            json_p99 < 5.0,
        ),
        (
            "catalog page SSR p99",
            format!("{catalog_p99:.2} ms"),
            "< 50 ms",
            catalog_p99 < 50.0,
        ),
        (
            "GET /api/v1/services p99",
            format!("{catalog_json_p99:.2} ms"),
            "< 20 ms",
            catalog_json_p99 < 20.0,
        ),
        (
            "faster than fan-out (p50, p99)",
            format!("{ratio:.0}×, {ratio_p99:.0}×"),
            "≥ 100×",
            ratio >= 100.0,
        ),
        (
            "freshness p99 API / SSE",
            format!(
                "{:.0} / {:.0} ms",
                api_fresh.percentile(0.99),
                sse_fresh.percentile(0.99)
            ),
            "< 1 s",
            api_fresh.percentile(0.99) < 1000.0
                && sse_fresh.percentile(0.99) < 1000.0
                && api_fresh.errors == 0
                && sse_fresh.errors == 0,
        ),
        (
            "pod log view p50 / p99 (20 ms apiserver)",
            format!(
                "{:.1} / {:.1} ms",
                log_view.percentile(0.5),
                log_view.percentile(0.99)
            ),
            "< 1 s",
            log_view.percentile(0.99) < 1000.0,
        ),
        (
            "apiserver requests per log view",
            format!("{log_requests:.2}"),
            "1",
            (log_requests - 1.0).abs() < 0.01,
        ),
        (
            "metrics poll per cluster (every 30 s)",
            format!(
                "{poll_ms:.1} ms, {:.2} requests",
                poll_requests / polls.max(1.0)
            ),
            "< 1 s, 1",
            polls > 0.0 && poll_ms < 1000.0,
        ),
        (
            "first-load WASM+JS+CSS gzip",
            format!("{} (raw {})", kib(gz_total as f64), kib(raw_total as f64)),
            "< 400 KiB",
            gz_total < 400 * 1024,
        ),
    ];
    let mut goals = goals.to_vec();
    if let Some(l) = &sustained {
        goals.push((
            "load: live clients, req/s, errors",
            format!(
                "{} ({} never read), {:.0}/s, {} errors",
                l.sse_clients,
                l.slow_clients,
                l.pages.micros.len() as f64 / l.pages.seconds,
                l.pages.errors
            ),
            "500, 200/s, 0",
            l.pages.errors == 0,
        ));
        goals.push((
            "load: reading clients updated",
            format!(
                "{} of {} ({} messages, {} changes)",
                l.updated, l.reading, l.messages, l.changes
            ),
            "all",
            l.updated == l.reading,
        ));
        goals.push((
            "load: RSS before → max → after",
            format!(
                "{} → {} → {}",
                mib(l.rss_before as f64),
                mib(l.rss_max as f64),
                mib(l.rss_after as f64)
            ),
            "bounded",
            l.rss_max < l.rss_before + (512 << 20),
        ));
    }
    println!("{:<34} {:<34} target", "goal", "measured");
    for (what, measured, target, ok) in &goals {
        println!("{what:<34} {measured:<34} {target:<10} {}", verdict(*ok));
    }
    for (path, raw, gz) in &assets {
        println!(
            "  {path:<40} {:>12} raw {:>12} gzip",
            kib(*raw as f64),
            kib(*gz as f64)
        );
    }

    let results = json!({
        "size": {"clusters": size.clusters, "services": size.services, "pods": pods, "objectsCached": objects},
        "machine": {"cores": cores, "cpu": cpu},
        "kubesimFillSeconds": round(generate_seconds),
        "syncSeconds": round(sync_seconds),
        "rssBytes": rss, "rssPeakBytes": peak, "rssAfterLoadBytes": rss_loaded, "rssEndBytes": rss_end, "rssPeakEndBytes": peak_end,
        "rssBytesPerPod": bytes_per_pod.round(),
        "pages": runs.iter().map(|(l, s)| { let mut v = s.json(); v["page"] = json!(l); v }).collect::<Vec<_>>(),
        "clients": args.clients,
        "durationSeconds": args.duration,
        "apiserverRequestsPerPageView": per_view,
        "podLogView": log_view.json(),
        "apiserverRequestsPerLogView": log_requests,
        "operatorKinds": operated.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "unservedLists": {"clustersWithout": without, "requests": unserved},
        "metricsPolls": {"polls": polls, "clusters": polled, "listRequests": poll_requests, "seconds": round(poll_seconds), "msPerPoll": round(poll_ms), "kubesimMetricsRequests": metrics_requests},
        "history": {"firstLookEvents": history_start.1, "firstLookBytes": history_start.3, "runSeconds": round(history_seconds), "runEvents": run_events, "runOffered": history_end.0 - history_start.0, "runBytes": run_bytes, "microsPerEvent": round(per_event_us), "eventsPerDay": round(per_day(run_events)), "bytesPerDay": round(per_day(run_bytes)), "endBytes": history_end.3},
        "apiserverRequestsDuringLoad": non_watch,
        "watchRequestsDuringLoad": watches_after - watches_before,
        "freshness": {"changes": args.changes, "api": api_fresh.json(), "sse": sse_fresh.json()},
        "reference": {"clusterLatencyMs": args.cluster_latency_ms, "clients": args.reference_clients, "callsPerView": BACKSTAGE_OBJECTS.len() * fleet.clusters.len(), "latency": reference.json(), "oursSameClients": same.json(), "ratioP50": round(ratio), "ratioP99": round(ratio_p99)},
        "firstLoad": {"assets": assets.iter().map(|(p, r, g)| json!({"path": p, "rawBytes": r, "gzipBytes": g})).collect::<Vec<_>>(), "rawBytes": raw_total, "gzipBytes": gz_total},
        "sustainedLoad": sustained.as_ref().map(|l| json!({"seconds": args.load_seconds, "sseClients": l.sse_clients, "slowClients": l.slow_clients, "readingClientsUpdated": l.updated, "readingClients": l.reading, "messages": l.messages, "changes": l.changes, "pages": l.pages.json(), "rssBeforeBytes": l.rss_before, "rssMaxBytes": l.rss_max, "rssAfterBytes": l.rss_after})),
        "goals": goals.iter().map(|(w, m, t, ok)| json!({"goal": w, "measured": m, "target": t, "met": ok})).collect::<Vec<_>>(),
    });
    let file = out_dir.join("results.json");
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", file.display()))?;
    println!("\nwritten: {}", file.display());
    drop(portal);
    Ok(())
}
