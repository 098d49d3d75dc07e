//! A service page's view type: the whole service (`ServiceDetail`), its parts per tab, and its rollouts.

use super::*;
use serde::{Deserialize, Serialize};

/// Everything the service page header and `GET /api/v1/services/{name}` show.
///
/// Written with the summary's fields at the top level (`flatten`), read back through
/// [`ServiceDetailWire`]: serde's `flatten` reader buffers every field and doubles the
/// deserializers in the WASM bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "ServiceDetailWire")]
pub struct ServiceDetail {
    #[serde(flatten)]
    pub summary: ServiceSummary,
    pub links: Vec<ExternalLink>,
    pub labels: std::collections::BTreeMap<String, String>,
    pub provides_apis: Vec<EntityLink>,
    pub consumes_apis: Vec<EntityLink>,
    pub depends_on: Vec<EntityLink>,
    pub kubernetes: KubernetesSelector,
    /// `file:line` of the descriptor that defines the service (empty for discovered services).
    pub source: String,
    /// Every cluster the service runs in, region by region.
    pub clusters: Vec<ServiceCluster>,
    /// Problems in its objects, worst first.
    pub errors: Vec<Finding>,
    /// Every HPA in every cluster.
    pub autoscalers: Vec<AutoscalerView>,
    /// Workloads without an autoscaler.
    pub fixed_replicas: Vec<FixedWorkload>,
    pub spread: Spread,
    /// Each Deployment's revisions per cluster.
    pub rollouts: Vec<Rollout>,
    /// Deploys in each of the last 4 weeks, oldest first.
    pub deploys_per_week: Vec<WeekCount>,
    /// What differs between the clusters that run it (images, replicas, autoscaling, resources,
    /// the names of env vars and ConfigMaps). The browser never reads it: the Clusters tab shows
    /// [`ServiceDetail::clusters_html`], made from it on the server (the bundle has no such field).
    #[cfg(feature = "ssr")]
    #[serde(default)]
    pub drift: Vec<DriftRow>,
    /// Its objects of the configured custom resources (`customResources`), every cluster's. Like
    /// `drift`, shown by the Clusters tab's HTML made on the server.
    #[cfg(feature = "ssr")]
    #[serde(default)]
    pub custom_resources: Vec<CustomResourceView>,
    /// The Clusters tab's sections made on the server (custom resources, the drift table), in
    /// that tab's part only (never in the JSON API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters_html: Option<String>,
    /// When the server worked this out (RFC 3339); ages in it are as of then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
}

/// An object of a configured custom resource, with its conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomResourceView {
    pub cluster: String,
    /// The configured resource, as kubectl names it: `certificates.cert-manager.io`.
    pub resource: String,
    /// `cert-manager.io/v1`.
    pub api_version: String,
    /// `Certificate` (the resource's plural when the objects do not say).
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Failing when a `Ready` or `Available` condition is False, healthy when one is True,
    /// progressing while they are Unknown or missing.
    pub health: super::Health,
    pub conditions: Vec<super::ConditionView>,
}

/// One thing that differs between the clusters running one workload of a service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftRow {
    /// The environment of the clusters compared (`production`): staging is compared with
    /// staging only.
    pub environment: String,
    /// `Deployment/checkout-api`.
    pub workload: String,
    pub namespace: String,
    /// What differs: `image (c)`, `replicas`, `autoscaler min..max`, `autoscaler targets`,
    /// `requests (c)`, `limits (c)`, `env names (c)` (for container `c`), `ConfigMaps`.
    pub aspect: String,
    /// Each cluster running the workload, with its value; `odd` marks values fewer clusters hold
    /// than the most common one.
    pub values: Vec<DriftValue>,
}

/// A cluster's value in a [`DriftRow`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftValue {
    pub cluster: String,
    pub value: String,
    pub odd: bool,
}

/// [`ServiceDetail`] as the JSON has it: the summary's fields (with their serde attributes, kept
/// equal to [`ServiceSummary`]'s) beside the detail's.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceDetailWire {
    name: String,
    namespace: String,
    title: String,
    description: String,
    owner: Option<EntityLink>,
    system: Option<EntityLink>,
    lifecycle: String,
    #[serde(rename = "type")]
    kind: String,
    tags: Vec<String>,
    #[serde(default)]
    health: HealthSummary,
    #[serde(default)]
    discovered: bool,
    #[serde(default)]
    cluster_names: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    links: Vec<ExternalLink>,
    labels: std::collections::BTreeMap<String, String>,
    provides_apis: Vec<EntityLink>,
    consumes_apis: Vec<EntityLink>,
    depends_on: Vec<EntityLink>,
    kubernetes: KubernetesSelector,
    source: String,
    clusters: Vec<ServiceCluster>,
    errors: Vec<Finding>,
    autoscalers: Vec<AutoscalerView>,
    fixed_replicas: Vec<FixedWorkload>,
    spread: Spread,
    rollouts: Vec<Rollout>,
    deploys_per_week: Vec<WeekCount>,
    /// Read by the server's own tests only: the browser shows `clusters_html`.
    #[cfg(feature = "ssr")]
    #[serde(default)]
    drift: Vec<DriftRow>,
    #[cfg(feature = "ssr")]
    #[serde(default)]
    custom_resources: Vec<CustomResourceView>,
    #[serde(default)]
    clusters_html: Option<String>,
    #[serde(default)]
    generated_at: Option<String>,
}

impl From<ServiceDetailWire> for ServiceDetail {
    fn from(w: ServiceDetailWire) -> Self {
        Self {
            summary: ServiceSummary {
                name: w.name,
                namespace: w.namespace,
                title: w.title,
                description: w.description,
                owner: w.owner,
                system: w.system,
                lifecycle: w.lifecycle,
                kind: w.kind,
                tags: w.tags,
                health: w.health,
                discovered: w.discovered,
                cluster_names: w.cluster_names,
                regions: w.regions,
            },
            links: w.links,
            labels: w.labels,
            provides_apis: w.provides_apis,
            consumes_apis: w.consumes_apis,
            depends_on: w.depends_on,
            kubernetes: w.kubernetes,
            source: w.source,
            clusters: w.clusters,
            errors: w.errors,
            autoscalers: w.autoscalers,
            fixed_replicas: w.fixed_replicas,
            spread: w.spread,
            rollouts: w.rollouts,
            deploys_per_week: w.deploys_per_week,
            #[cfg(feature = "ssr")]
            drift: w.drift,
            #[cfg(feature = "ssr")]
            custom_resources: w.custom_resources,
            clusters_html: w.clusters_html,
            generated_at: w.generated_at,
        }
    }
}

impl ServiceDetail {
    /// A service with only its summary: no links, APIs or cluster data yet.
    pub fn new(summary: ServiceSummary) -> Self {
        Self {
            summary,
            links: Vec::new(),
            labels: Default::default(),
            provides_apis: Vec::new(),
            consumes_apis: Vec::new(),
            depends_on: Vec::new(),
            kubernetes: KubernetesSelector::default(),
            source: String::new(),
            clusters: Vec::new(),
            errors: Vec::new(),
            autoscalers: Vec::new(),
            fixed_replicas: Vec::new(),
            generated_at: None,
            spread: Spread::default(),
            rollouts: Vec::new(),
            deploys_per_week: Vec::new(),
            #[cfg(feature = "ssr")]
            drift: Vec::new(),
            #[cfg(feature = "ssr")]
            custom_resources: Vec::new(),
            clusters_html: None,
        }
    }

    /// A copy with only what one tab of the service page shows: the summary, links and APIs in
    /// every part, and the cluster data of `part` alone. A page's first HTML carries its data for
    /// hydration, so a service with hundreds of pods would otherwise ship them with every tab.
    pub fn part(&self, part: ServicePart) -> Self {
        let clusters = match part {
            ServicePart::Clusters => self.clusters.clone(),
            _ => self.clusters.iter().map(ServiceCluster::brief).collect(),
        };
        let (errors, autoscaling, rollouts) = (
            part == ServicePart::Errors,
            part == ServicePart::Autoscaling,
            part == ServicePart::Clusters,
        );
        Self {
            summary: self.summary.clone(),
            links: self.links.clone(),
            labels: self.labels.clone(),
            provides_apis: self.provides_apis.clone(),
            consumes_apis: self.consumes_apis.clone(),
            depends_on: self.depends_on.clone(),
            kubernetes: self.kubernetes.clone(),
            source: self.source.clone(),
            clusters,
            errors: kept(errors, &self.errors),
            autoscalers: kept(autoscaling, &self.autoscalers),
            fixed_replicas: kept(autoscaling, &self.fixed_replicas),
            spread: kept(autoscaling, &self.spread),
            rollouts: kept(rollouts, &self.rollouts),
            deploys_per_week: self.deploys_per_week.clone(),
            #[cfg(feature = "ssr")]
            drift: Vec::new(),
            #[cfg(feature = "ssr")]
            custom_resources: Vec::new(),
            clusters_html: None,
            generated_at: self.generated_at.clone(),
        }
    }

    /// Moves the view `seconds` on: every age in it grows by that much.
    pub fn age_by(&mut self, seconds: i64) {
        if seconds <= 0 {
            return;
        }
        for c in &mut self.clusters {
            for a in c
                .sync_age_seconds
                .iter_mut()
                .chain(&mut c.change_age_seconds)
            {
                *a += seconds;
            }
            for w in &mut c.workloads {
                for a in w.age_seconds.iter_mut() {
                    *a += seconds;
                }
            }
            for p in &mut c.pods {
                for a in p.age_seconds.iter_mut() {
                    *a += seconds;
                }
            }
        }
    }
}

/// A copy of `value` when `keep`, else its empty default.
fn kept<T: Clone + Default>(keep: bool, value: &T) -> T {
    if keep {
        value.clone()
    } else {
        T::default()
    }
}

/// The part of a service that one tab of its page shows (the tab's path segment, `overview` for
/// none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServicePart {
    #[default]
    Overview,
    Clusters,
    Errors,
    Autoscaling,
}

/// How many deploys (new ReplicaSet revisions, counted once across clusters) a week saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeekCount {
    /// The week's first day (`2026-11-19`).
    pub week_start: String,
    pub count: usize,
}

/// One ReplicaSet revision of a Deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub revision: i64,
    pub name: String,
    pub images: Vec<String>,
    pub created: Option<String>,
    pub replicas: i32,
}

/// A Deployment's rollout history in one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    pub cluster: String,
    pub namespace: String,
    pub deployment: String,
    /// Newest first.
    pub revisions: Vec<Revision>,
}
