//! Resource usage: one poller per cluster reads `metrics.k8s.io/v1beta1` PodMetrics (what
//! `kubectl top pod` reads) every 30 s, never per viewer, and keeps the figures in memory. A cluster
//! without metrics-server has "no metrics": a state, not an error.

use super::index::ClusterIndex;
use super::watch::Shards;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::ListParams;
use kube::Client;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// How often metrics are read by default (metrics-server itself scrapes every 15–60 s).
pub const POLL_EVERY: Duration = Duration::from_secs(30);
/// How soon to look again while there are no figures yet.
const SOON: Duration = Duration::from_secs(5);
/// One read that takes longer than this failed.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// One container's usage: CPU in millicores (rounded up, as `kubectl top` shows it) and memory
/// (the working set) in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerUsage {
    pub name: String,
    pub cpu: u64,
    pub memory: u64,
}

/// Whether a cluster's usage is known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MetricsState {
    /// Not read yet.
    #[default]
    Waiting,
    /// Read at the last poll.
    Live,
    /// The cluster serves no `metrics.k8s.io` (metrics-server is not installed).
    Absent,
    /// The read failed (forbidden, slow, down), with the reason.
    Failed(String),
}

impl MetricsState {
    /// What `/clusters` says.
    pub fn words(&self) -> String {
        match self {
            Self::Waiting => "waiting for metrics".into(),
            Self::Live => "live".into(),
            Self::Absent => "no metrics (metrics-server is not installed)".into(),
            Self::Failed(why) => format!("metrics unavailable: {why}"),
        }
    }
}

type PodKey = (String, String);

#[derive(Default)]
struct Inner {
    state: MetricsState,
    pods: HashMap<PodKey, Arc<[ContainerUsage]>>,
}

/// A cluster's latest usage figures, by pod.
#[derive(Default)]
pub struct Usage {
    inner: RwLock<Inner>,
    /// What the polls have cost (`/metrics`, `make bench`).
    pub cost: PollCost,
}

/// What a cluster's metrics polls have cost so far.
#[derive(Debug, Default)]
pub struct PollCost {
    pub polls: AtomicU64,
    /// List requests made (one per poll, or one per readable namespace).
    pub requests: AtomicU64,
    /// Time spent reading, request and parsing, in microseconds.
    pub micros: AtomicU64,
}

impl PollCost {
    fn add(&self, requests: u64, took: Duration) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(requests, Ordering::Relaxed);
        self.micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
}

impl Usage {
    /// The usage of each running container of a pod, when known.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<Arc<[ContainerUsage]>> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .pods
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    pub fn state(&self) -> MetricsState {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .state
            .clone()
    }

    /// Keeps a poll's outcome; returns whether the state changed and the pods whose figures did.
    fn set(
        &self,
        state: MetricsState,
        pods: HashMap<PodKey, Arc<[ContainerUsage]>>,
    ) -> (bool, Vec<PodKey>) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let mut changed: Vec<PodKey> = pods
            .iter()
            .filter(|(k, v)| inner.pods.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .collect();
        changed.extend(
            inner
                .pods
                .keys()
                .filter(|k| !pods.contains_key(*k))
                .cloned(),
        );
        let state_changed = inner.state != state;
        inner.state = state;
        inner.pods = pods;
        (state_changed, changed)
    }
}

/// One `metrics.k8s.io/v1beta1` PodMetrics as read: its pod and its containers' usage. Nothing else of it is kept while
/// parsing (a large cluster answers with thousands every poll).
#[derive(serde::Deserialize)]
struct PodMetrics {
    metadata: Named,
    #[serde(default)]
    containers: Vec<Measured>,
}

#[derive(serde::Deserialize)]
struct Named {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
}

#[derive(serde::Deserialize)]
struct Measured {
    name: String,
    usage: Measures,
}

#[derive(serde::Deserialize)]
struct Measures {
    cpu: Option<String>,
    memory: Option<String>,
}

#[derive(serde::Deserialize)]
struct PodMetricsList {
    #[serde(default)]
    items: Vec<PodMetrics>,
}

/// A CPU quantity in millicores, rounded up (`kubectl top`'s `MilliValue`).
pub(crate) fn millicores(q: &str) -> Option<u64> {
    crate::autoscaling::parse_quantity(q).map(|v| (v * 1000.0 - 1e-6).ceil().max(0.0) as u64)
}

/// A memory quantity in bytes.
pub(crate) fn bytes(q: &str) -> Option<u64> {
    crate::autoscaling::parse_quantity(q).map(|v| v.max(0.0) as u64)
}

/// One PodMetrics object's containers (those whose figures read as quantities).
fn containers(o: PodMetrics) -> Vec<ContainerUsage> {
    o.containers
        .into_iter()
        .filter_map(|c| {
            Some(ContainerUsage {
                cpu: millicores(c.usage.cpu.as_deref()?)?,
                memory: bytes(c.usage.memory.as_deref()?)?,
                name: c.name,
            })
        })
        .collect()
}

/// Why one read failed.
enum ReadError {
    Absent,
    Forbidden,
    Other(String),
}

/// One list of PodMetrics: the whole cluster's, or one namespace's.
async fn list(client: &Client, namespace: Option<&str>) -> Result<Vec<PodMetrics>, ReadError> {
    let path = match namespace {
        None => "/apis/metrics.k8s.io/v1beta1/pods".to_string(),
        Some(ns) => format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"),
    };
    let request = kube::core::Request::new(path)
        .list(&ListParams::default())
        .map_err(|e| ReadError::Other(e.to_string()))?;
    match tokio::time::timeout(READ_TIMEOUT, client.request::<PodMetricsList>(request)).await {
        Ok(Ok(list)) => Ok(list.items),
        Ok(Err(kube::Error::Api(s))) if s.is_not_found() => Err(ReadError::Absent),
        Ok(Err(kube::Error::Api(s))) if s.is_forbidden() => Err(ReadError::Forbidden),
        Ok(Err(e)) => Err(ReadError::Other(e.to_string())),
        Err(_) => Err(ReadError::Other(format!(
            "no answer within {} s",
            READ_TIMEOUT.as_secs()
        ))),
    }
}

/// Reads every PodMetrics the identity may list: cluster-wide; where that is forbidden (or the
/// cluster is configured with a namespace allow-list), in each namespace it may read, as the
/// watches do. `Err(true)` is a lasting state, `Err(false)` a failure worth retrying quietly.
/// Counts the list requests it makes in `requests`.
async fn read(
    client: &Client,
    allow: &[String],
    known: &Shards<Namespace>,
    requests: &mut u64,
) -> Result<Vec<PodMetrics>, (MetricsState, bool)> {
    let lasting = |s: MetricsState| (s, true);
    let forbidden = || {
        lasting(MetricsState::Failed(
            "Wayfinder may not list pods.metrics.k8s.io (grant get and list on it)".into(),
        ))
    };
    let names: Vec<String>;
    let namespaces: &[String] = if allow.is_empty() {
        *requests += 1;
        match list(client, None).await {
            Ok(items) => return Ok(items),
            Err(ReadError::Absent) => return Err(lasting(MetricsState::Absent)),
            Err(ReadError::Other(e)) => return Err((MetricsState::Failed(e), false)),
            Err(ReadError::Forbidden) => {
                names = known
                    .state()
                    .iter()
                    .filter_map(|n| n.metadata.name.clone())
                    .collect();
                // The namespaces are not known yet (the watches just started).
                if names.is_empty() {
                    return Err(lasting(MetricsState::Waiting));
                }
                &names
            }
        }
    } else {
        allow
    };
    let mut out = Vec::new();
    let mut readable = false;
    for ns in namespaces {
        *requests += 1;
        match list(client, Some(ns)).await {
            Ok(items) => {
                readable = true;
                out.extend(items);
            }
            Err(ReadError::Absent) => return Err(lasting(MetricsState::Absent)),
            Err(ReadError::Forbidden) => {}
            Err(ReadError::Other(e)) => return Err((MetricsState::Failed(e), false)),
        }
    }
    if readable {
        Ok(out)
    } else {
        Err(forbidden())
    }
}

/// Failed reads in a row that keep the last figures (a flaky apiserver is not "no metrics").
const TOLERATED: u32 = 2;

/// Polls the cluster's metrics every `every` until the task is stopped, telling the pages of the
/// services whose figures changed (and every page when the state changed).
pub async fn poll(
    client: Client,
    index: Arc<ClusterIndex>,
    usage: Arc<Usage>,
    cluster: String,
    allow: Vec<String>,
    known: Shards<Namespace>,
    every: Duration,
) {
    let mut failures = 0;
    let mut wait = Duration::ZERO;
    loop {
        tokio::time::sleep(wait).await;
        // Until figures come (pods starting, namespaces not known yet), look again soon.
        wait = every.min(SOON);
        let (started, mut requests) = (std::time::Instant::now(), 0);
        let read = read(&client, &allow, &known, &mut requests).await;
        usage.cost.add(requests, started.elapsed());
        failures = if read.is_ok() { 0 } else { failures + 1 };
        let (state, pods) = match read {
            Err((_, false)) if failures <= TOLERATED && usage.state() == MetricsState::Live => {
                continue
            }
            Ok(items) => (
                MetricsState::Live,
                items
                    .into_iter()
                    .map(|mut o| {
                        let key = (
                            std::mem::take(&mut o.metadata.namespace),
                            std::mem::take(&mut o.metadata.name),
                        );
                        (key, Arc::from(containers(o)))
                    })
                    .collect(),
            ),
            Err((state, _)) => (state, HashMap::new()),
        };
        if !pods.is_empty() || state == MetricsState::Absent {
            wait = every;
        }
        let (state_changed, pods) = usage.set(state.clone(), pods);
        if state_changed {
            tracing::info!(cluster = %cluster, "metrics: {}", state.words());
            index.status_changed();
        }
        index.pods_changed(pods);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_as_kubectl_top_shows_them() {
        assert_eq!(millicores("123000000n"), Some(123));
        assert_eq!(millicores("123000001n"), Some(124));
        assert_eq!(millicores("250m"), Some(250));
        assert_eq!(millicores("2"), Some(2000));
        assert_eq!(bytes("262144Ki"), Some(256 * 1024 * 1024));
    }

    #[test]
    fn a_poll_reports_what_changed() {
        let u = Usage::default();
        let c = |cpu| -> Arc<[ContainerUsage]> {
            Arc::from(vec![ContainerUsage {
                name: "web".into(),
                cpu,
                memory: 1,
            }])
        };
        let key = |n: &str| ("shop".to_string(), n.to_string());
        let first = HashMap::from([(key("a"), c(10)), (key("b"), c(20))]);
        let (state, mut changed) = u.set(MetricsState::Live, first);
        changed.sort();
        assert!(state);
        assert_eq!(changed, vec![key("a"), key("b")]);
        let (state, changed) = u.set(MetricsState::Live, HashMap::from([(key("a"), c(11))]));
        assert!(!state);
        assert_eq!(changed.len(), 2, "a changed, b is gone");
        assert_eq!(u.pod("shop", "a").map(|c| c[0].cpu), Some(11));
        let (state, _) = u.set(MetricsState::Absent, HashMap::new());
        assert!(state);
        assert_eq!(u.pod("shop", "a"), None);
    }
}
