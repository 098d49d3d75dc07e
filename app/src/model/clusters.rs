//! The cluster map's and `/clusters`' view types: cluster status, workloads, pods.

use serde::{Deserialize, Serialize};

/// Where a cluster's data stands, shown everywhere a cluster appears.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterState {
    /// No watch has synced yet.
    #[default]
    Connecting,
    /// Every watch is live.
    Synced,
    /// A watch broke after syncing: data is shown with its age.
    Stale,
    /// The apiserver cannot be reached.
    Unreachable,
    /// The credentials were refused (401).
    Unauthorized,
    /// Some kinds or namespaces may not be read (403).
    Forbidden,
}

/// How fresh a cluster's data is, in words: "live" with the age of its last change while its
/// watches are live (a quiet cluster is not a stale one), how old the data is otherwise. The ages
/// are seconds as of the answer, plus `later` seconds since it came.
pub fn freshness(
    state: ClusterState,
    sync_age: Option<i64>,
    change_age: Option<i64>,
    later: i64,
) -> String {
    match (state, sync_age, change_age) {
        (ClusterState::Synced | ClusterState::Forbidden, _, Some(c)) => {
            format!("live · last change {} s ago", c + later)
        }
        (ClusterState::Synced | ClusterState::Forbidden, _, None) => "live".into(),
        (_, Some(s), _) => format!("data from {} s ago", s + later),
        (_, None, _) => "never synced".into(),
    }
}

impl ClusterState {
    /// The stable id, as in the JSON API.
    pub fn id(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Synced => "synced",
            Self::Stale => "stale",
            Self::Unreachable => "unreachable",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
        }
    }
}

/// One cluster as `/clusters` and `GET /api/v1/clusters` show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    pub name: String,
    pub title: String,
    pub region: String,
    pub environment: String,
    pub state: ClusterState,
    /// When every watch last had a complete, live view (RFC 3339), if ever.
    pub last_sync: Option<String>,
    /// Seconds since `last_sync`, when the answer was made.
    pub sync_age_seconds: Option<i64>,
    /// When the cluster's cached objects last changed (a watch event, or the list that loaded
    /// them; RFC 3339), and the seconds since, when the answer was made.
    pub last_change: Option<String>,
    pub change_age_seconds: Option<i64>,
    /// The last error, in words.
    pub last_error: Option<String>,
    /// Kinds the portal may not read anywhere.
    pub forbidden_kinds: Vec<String>,
    /// Namespaces the portal may not read (it watches the others one by one).
    pub hidden_namespaces: Vec<String>,
    /// Objects cached, by kind (`pods`, `deployments`…).
    pub objects: std::collections::BTreeMap<String, usize>,
    pub watch_restarts: u64,
    /// The cluster's dashboard, when configured.
    pub dashboard_url: Option<String>,
    /// Whether resource usage is known: `live`, `no metrics (…)`, `waiting for metrics`, or why not.
    pub metrics: String,
}

/// A feature that lacks rights, and the rights it lacks (`list pods`, `get pods/log`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionGap {
    pub feature: String,
    pub rights: Vec<String>,
}

/// What Wayfinder's identity may do in a cluster, from its access reviews.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionCheck {
    /// When the rights were last checked (RFC 3339).
    pub checked: Option<String>,
    /// Why they could not be checked, in words.
    pub error: Option<String>,
    /// Rights a feature wants and the identity lacks, by feature.
    pub missing: Vec<PermissionGap>,
    /// Rights beyond read-only the identity holds (any write verb, any access to Secrets).
    pub excess: Vec<String>,
}

/// One node of a cluster, for its page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeView {
    pub name: String,
    pub region: Option<String>,
    pub zone: Option<String>,
    pub ready: bool,
    /// False when cordoned (`spec.unschedulable`).
    pub schedulable: bool,
    /// `key=value:Effect`.
    pub taints: Vec<String>,
    pub kubelet: Option<String>,
    /// Millicores: the node's pods' usage (where metrics exist) against the allocatable CPU.
    pub cpu: Usage,
    /// Bytes, the same way.
    pub memory: Usage,
    pub pods: u32,
}

/// One kind watched in a cluster: how many objects are cached and how fresh they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchedKind {
    pub kind: String,
    pub objects: usize,
    /// Reflectors: one cluster-wide, or one per readable namespace.
    pub watches: usize,
    /// Every one of its watches is live.
    pub synced: bool,
    /// When it last synced (RFC 3339), and the last change it saw.
    pub last_sync: Option<String>,
    pub last_event: Option<String>,
    /// Why it is not live, in words.
    pub trouble: Option<String>,
}

/// `GET /api/v1/clusters/{name}` and the cluster page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDetail {
    pub status: ClusterStatus,
    pub nodes: Vec<NodeView>,
    pub kinds: Vec<WatchedKind>,
    /// Namespaces the portal reads; the hidden ones are in `status.hiddenNamespaces`.
    pub namespaces: Vec<String>,
    /// `None` until the first check has run.
    pub permissions: Option<PermissionCheck>,
}

/// CPU in millicores, or memory in bytes: what is used against what is requested and allowed;
/// each `None` where unknown (no metrics, or not set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub usage: Option<u64>,
    pub request: Option<u64>,
    pub limit: Option<u64>,
}

/// Read by hand: the derived reader (field enum, sequence form) cost the WASM bundle more than
/// this one map loop; unknown keys are skipped.
impl<'de> Deserialize<'de> for Usage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Usage;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("{usage, request, limit}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Usage, A::Error> {
                let mut u = Usage::default();
                while let Some(key) = m.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "usage" => &mut u.usage,
                        "request" => &mut u.request,
                        "limit" => &mut u.limit,
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = m.next_value()?;
                }
                Ok(u)
            }
        }
        d.deserialize_map(Fields)
    }
}

impl Usage {
    /// Adds another container's or pod's figures: usage and request sum what is known; a limit
    /// only holds when every part has one.
    pub fn plus(self, other: Usage) -> Usage {
        let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        Usage {
            usage: sum(self.usage, other.usage),
            request: sum(self.request, other.request),
            limit: self.limit.zip(other.limit).map(|(a, b)| a + b),
        }
    }

    /// What the bar fills up to: the limit, else the request.
    pub fn scale(&self) -> Option<u64> {
        self.limit.or(self.request).filter(|s| *s > 0)
    }
}

/// Replica counts of a workload, as its status reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replicas {
    pub desired: i32,
    pub ready: i32,
    pub available: i32,
    pub updated: i32,
}

/// How a workload or pod is doing, in one word the map colours by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    #[default]
    Healthy,
    /// Rolling out or scaling: not everything is ready yet.
    Progressing,
    /// Some replicas are not ready.
    Degraded,
    /// Nothing is ready, or the workload failed.
    Failing,
    /// Suspended or scaled to zero.
    Idle,
}

impl Health {
    /// The stable id, as in the JSON API.
    pub fn id(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Progressing => "progressing",
            Self::Degraded => "degraded",
            Self::Failing => "failing",
            Self::Idle => "idle",
        }
    }
}

/// A Deployment, StatefulSet, DaemonSet, CronJob or Job of a service in one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadView {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub replicas: Replicas,
    /// Container images (`repository:tag`), in container order.
    pub images: Vec<String>,
    pub health: Health,
    /// Why it is not healthy, in words (a condition message, a waiting reason).
    pub message: Option<String>,
    pub created: Option<String>,
    pub age_seconds: Option<i64>,
    /// The autoscaler that scales it, if any.
    pub hpa: Option<String>,
    /// The PodDisruptionBudget that covers its pods, if any.
    pub pdb: Option<DisruptionView>,
    pub dashboard_url: Option<String>,
    /// Its pods' CPU (millicores) and memory (bytes), summed.
    pub cpu: Usage,
    pub memory: Usage,
}

/// A PodDisruptionBudget over a workload's pods, with the disruption controller's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisruptionView {
    pub name: String,
    /// `minAvailable 2` or `maxUnavailable 25%`.
    pub terms: String,
    /// Pods that may be evicted now.
    pub allowed: i32,
    pub healthy: i32,
    pub desired: i32,
    pub expected: i32,
    /// No eviction allowed with every pod healthy: the rule `pdb-blocks-disruption`.
    pub blocks: bool,
}

/// A pod of a service in one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    /// The workload it belongs to (`Deployment/cart`), when known.
    pub owner: Option<String>,
    pub phase: String,
    /// Containers ready / containers.
    pub ready: String,
    pub restarts: i32,
    pub node: Option<String>,
    /// The reason a container waits or was last killed (`CrashLoopBackOff`, `OOMKilled`…).
    pub reason: Option<String>,
    pub health: Health,
    pub created: Option<String>,
    pub age_seconds: Option<i64>,
    /// CPU in millicores and memory in bytes, its containers summed.
    pub cpu: Usage,
    pub memory: Usage,
}

/// A Kubernetes Service of a service in one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkServiceView {
    pub namespace: String,
    pub name: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `None` for a headless Service (`None` in its spec) or when not assigned.
    pub cluster_ip: Option<String>,
    /// `80/TCP → 8080`, one per port.
    pub ports: Vec<String>,
    /// `key=value`, one per label of its selector (empty: no selector).
    pub selector: Vec<String>,
    /// The service's pods it selects and how many are ready (`None`: no selector).
    pub pods: Option<u32>,
    pub ready: Option<u32>,
}

/// One path of an Ingress: where requests for a host and path go.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressPathView {
    /// `*` for every host.
    pub host: String,
    /// `(default)` for the default backend.
    pub path: String,
    pub service: String,
    pub port: String,
    /// The backend Service does not exist in the Ingress's namespace.
    pub missing: bool,
}

/// An Ingress of a service in one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressView {
    pub namespace: String,
    pub name: String,
    pub class: Option<String>,
    /// Hosts served over TLS.
    pub tls: Vec<String>,
    pub paths: Vec<IngressPathView>,
}

/// One cluster a service runs in, with its objects there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCluster {
    pub cluster: String,
    pub title: String,
    pub region: String,
    pub environment: String,
    pub status: ClusterState,
    pub last_sync: Option<String>,
    pub sync_age_seconds: Option<i64>,
    /// Seconds since the cluster's cached objects last changed (see [`ClusterStatus`]).
    pub change_age_seconds: Option<i64>,
    /// The cluster's trouble, in words, when it is not synced.
    pub last_error: Option<String>,
    pub hidden_namespaces: Vec<String>,
    pub dashboard_url: Option<String>,
    pub workloads: Vec<WorkloadView>,
    pub pods: Vec<PodView>,
    /// Its Services and Ingresses.
    pub services: Vec<NetworkServiceView>,
    pub ingresses: Vec<IngressView>,
}

impl ServiceCluster {
    /// The cluster without its workloads, pods, Services and Ingresses: what the tabs other than the cluster map show.
    pub fn brief(&self) -> Self {
        Self {
            cluster: self.cluster.clone(),
            title: self.title.clone(),
            region: self.region.clone(),
            environment: self.environment.clone(),
            status: self.status,
            last_sync: self.last_sync.clone(),
            sync_age_seconds: self.sync_age_seconds,
            change_age_seconds: self.change_age_seconds,
            last_error: self.last_error.clone(),
            hidden_namespaces: self.hidden_namespaces.clone(),
            dashboard_url: self.dashboard_url.clone(),
            workloads: Vec::new(),
            pods: Vec::new(),
            services: Vec::new(),
            ingresses: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{freshness, ClusterState::*};

    #[test]
    fn live_clusters_say_live_and_the_others_how_old_their_data_is() {
        for (state, sync, change, later, words) in [
            (Synced, Some(61), Some(4), 2, "live · last change 6 s ago"),
            (
                Forbidden,
                Some(61),
                Some(300),
                0,
                "live · last change 300 s ago",
            ),
            (Synced, Some(61), None, 0, "live"),
            (Stale, Some(61), Some(4), 1, "data from 62 s ago"),
            (Unreachable, Some(5), None, 0, "data from 5 s ago"),
            (Unauthorized, None, None, 0, "never synced"),
            (Connecting, None, None, 0, "never synced"),
        ] {
            assert_eq!(freshness(state, sync, change, later), words, "{state:?}");
        }
    }
}
