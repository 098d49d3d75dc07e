//! Pod logs, read from the apiserver's `pods/log` only when a user asks — with a pod's events, the
//! only places a request of a user calls a cluster. Bounded (lines, bytes, time, requests at once
//! per cluster) and never kept: the bytes go to the user and are dropped.
//!
//! A pod's events of every type are read here too, when its page or API is asked: the watches keep
//! only Warning events (the rules need no others, and Normal events of a whole fleet would cost
//! memory in proportion to its churn).

use super::watch::ClusterWatch;
use futures::{AsyncBufReadExt, Stream};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, LogParams};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Log reads (one-shot and follow streams) at once per cluster; the rest are refused (429).
pub const MAX_PER_CLUSTER: usize = 20;
/// Lines read when a request does not say.
pub const DEFAULT_TAIL_LINES: i64 = 500;
/// The most lines a request may ask for.
pub const MAX_TAIL_LINES: i64 = 5_000;
/// The most bytes of log one answer carries; past it the answer is cut with a note.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// How long a cluster has to start answering.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The permits of one cluster.
pub fn slots() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_PER_CLUSTER))
}

/// What to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogRequest {
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
    pub previous: bool,
    /// Already clamped to 0..=[`MAX_TAIL_LINES`].
    pub tail_lines: i64,
}

impl LogRequest {
    /// `tailLines` as asked, defaulted and clamped.
    pub fn tail(asked: Option<i64>) -> i64 {
        asked.unwrap_or(DEFAULT_TAIL_LINES).clamp(0, MAX_TAIL_LINES)
    }

    fn params(&self, follow: bool) -> LogParams {
        LogParams {
            container: self.container.clone(),
            previous: self.previous,
            tail_lines: Some(self.tail_lines),
            // One byte more than is kept, to know the log was longer.
            limit_bytes: Some(MAX_BYTES as i64 + 1),
            follow,
            ..LogParams::default()
        }
    }
}

/// Why a log could not be read, each said so a user knows what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogError {
    #[error("logs are turned off for cluster {cluster} (logs: false in wayfinder.yaml)")]
    Disabled { cluster: String },
    #[error(
        "cluster {cluster} already has {MAX_PER_CLUSTER} log reads open; try again in a moment"
    )]
    Busy { cluster: String },
    #[error("Wayfinder may not read logs in namespace {namespace} of cluster {cluster}: its identity needs `get` on `pods/log` there (an RBAC rule: apiGroups: [\"\"], resources: [\"pods/log\"], verbs: [\"get\"])")]
    Forbidden { cluster: String, namespace: String },
    #[error("pod {namespace}/{pod} is no longer in cluster {cluster}")]
    Gone {
        cluster: String,
        namespace: String,
        pod: String,
    },
    /// The apiserver's own reason (a container waiting to start, no previous container…).
    #[error("{0}")]
    Refused(String),
    #[error("cluster {cluster} did not answer within {} s", TIMEOUT.as_secs())]
    Timeout { cluster: String },
    #[error("cluster {cluster} cannot be reached: {reason}")]
    Unreachable { cluster: String, reason: String },
}

/// A one-shot read: the apiserver's bytes, at most [`MAX_BYTES`], and whether there was more.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogText {
    pub bytes: Vec<u8>,
    pub cut: bool,
}

/// One of the cluster's slots for a read a user asked for, and the client to make it with.
fn slot(c: &ClusterWatch) -> Result<(OwnedSemaphorePermit, kube::Client), LogError> {
    let cluster = c.cluster.name.clone();
    let Some(client) = c.client.clone() else {
        return Err(LogError::Unreachable {
            cluster,
            reason: "no client could be built (see /clusters)".into(),
        });
    };
    let permit = c
        .log_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| LogError::Busy { cluster })?;
    Ok((permit, client))
}

/// A permit and the API of the cluster's pods in the request's namespace, or why not.
fn open(c: &ClusterWatch, req: &LogRequest) -> Result<(OwnedSemaphorePermit, Api<Pod>), LogError> {
    if !c.cluster.logs {
        return Err(LogError::Disabled {
            cluster: c.cluster.name.clone(),
        });
    }
    let (permit, client) = slot(c)?;
    Ok((permit, Api::namespaced(client, &req.namespace)))
}

fn classify(c: &ClusterWatch, req: &LogRequest, e: kube::Error) -> LogError {
    let cluster = c.cluster.name.clone();
    match e {
        kube::Error::Api(s) if s.is_forbidden() => LogError::Forbidden {
            cluster,
            namespace: req.namespace.clone(),
        },
        kube::Error::Api(s) if s.is_not_found() => LogError::Gone {
            cluster,
            namespace: req.namespace.clone(),
            pod: req.pod.clone(),
        },
        kube::Error::Api(s) if s.code == 400 => LogError::Refused(s.message.clone()),
        other => LogError::Unreachable {
            cluster,
            reason: other.to_string(),
        },
    }
}

/// The most events one pod's read returns (the apiserver keeps an hour of them).
pub const MAX_EVENTS: u32 = 500;

/// Every event (Normal and Warning) about `pod`, read now: at most [`MAX_EVENTS`], within
/// [`TIMEOUT`], taking one of the cluster's slots. Trimmed as the caches trim events.
pub async fn pod_events(
    c: &ClusterWatch,
    namespace: &str,
    pod: &str,
) -> Result<Vec<Event>, LogError> {
    let cluster = c.cluster.name.clone();
    let (_permit, client) = slot(c)?;
    let api: Api<Event> = Api::namespaced(client, namespace);
    let params = ListParams::default()
        .fields(&format!(
            "involvedObject.kind=Pod,involvedObject.name={pod}"
        ))
        .limit(MAX_EVENTS);
    match tokio::time::timeout(TIMEOUT, api.list(&params)).await {
        Err(_) => Err(LogError::Timeout { cluster }),
        Ok(Err(kube::Error::Api(s))) if s.is_forbidden() => Err(LogError::Refused(format!(
            "Wayfinder may not list events in namespace {namespace} of cluster {cluster}"
        ))),
        Ok(Err(e)) => Err(LogError::Unreachable {
            cluster,
            reason: e.to_string(),
        }),
        Ok(Ok(list)) => Ok(list
            .items
            .into_iter()
            .map(|mut e| {
                super::watch::Trim::trim(&mut e);
                e
            })
            .collect()),
    }
}

/// Reads the log once: at most [`MAX_BYTES`], within [`TIMEOUT`].
pub async fn read(c: &ClusterWatch, req: &LogRequest) -> Result<LogText, LogError> {
    let (_permit, api) = open(c, req)?;
    let work = async {
        let stream = api
            .log_stream(&req.pod, &req.params(false))
            .await
            .map_err(|e| classify(c, req, e))?;
        let mut bytes = Vec::new();
        let mut limited = futures::AsyncReadExt::take(stream, MAX_BYTES as u64 + 1);
        futures::AsyncReadExt::read_to_end(&mut limited, &mut bytes)
            .await
            .map_err(|e| LogError::Unreachable {
                cluster: c.cluster.name.clone(),
                reason: e.to_string(),
            })?;
        let cut = bytes.len() > MAX_BYTES;
        bytes.truncate(MAX_BYTES);
        Ok(LogText { bytes, cut })
    };
    tokio::time::timeout(TIMEOUT, work)
        .await
        .unwrap_or_else(|_| {
            Err(LogError::Timeout {
                cluster: c.cluster.name.clone(),
            })
        })
}

/// Follows the log: the last lines, then each new line as the container writes it, until the
/// container ends or the stream is dropped (the client left). Holds a permit while open.
pub async fn follow(
    c: &ClusterWatch,
    req: &LogRequest,
) -> Result<impl Stream<Item = String> + Send + 'static, LogError> {
    let (permit, api) = open(c, req)?;
    let reader = tokio::time::timeout(TIMEOUT, api.log_stream(&req.pod, &req.params(true)))
        .await
        .map_err(|_| LogError::Timeout {
            cluster: c.cluster.name.clone(),
        })?
        .map_err(|e| classify(c, req, e))?;
    let reader = Box::pin(reader);
    Ok(futures::stream::unfold(
        (reader, permit, 0usize),
        |(mut reader, permit, sent)| async move {
            if sent >= MAX_BYTES {
                return None;
            }
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => None,
                Ok(n) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    let text = String::from_utf8_lossy(&line).into_owned();
                    Some((text, (reader, permit, sent + n)))
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_lines_default_and_clamp() {
        assert_eq!(LogRequest::tail(None), 500);
        assert_eq!(LogRequest::tail(Some(20)), 20);
        assert_eq!(LogRequest::tail(Some(50_000)), 5_000);
        assert_eq!(LogRequest::tail(Some(-3)), 0);
    }
}
