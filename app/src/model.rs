//! View types shared by the server, the JSON API and the browser.
//!
//! Plain serde structs with no `cfg`: they are what crosses the wire, so the WASM stays small and the
//! API stays stable whatever the server keeps internally.

use serde::{Deserialize, Serialize};

/// A reference to another catalog entity, already resolved so a view can link to it or say it dangles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityLink {
    /// Canonical reference, `kind:namespace/name`, lower-cased as Backstage compares them.
    pub entity_ref: String,
    /// Lower-case kind: `group`, `component`, `system`, `api`, `domain`, `user`…
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The target's title, or its name when it has none or does not exist.
    pub title: String,
    /// False when no loaded descriptor defines the target (a dangling reference).
    pub exists: bool,
}

impl EntityLink {
    /// Where the portal shows this entity, when it has a page of its own.
    pub fn href(&self) -> Option<String> {
        if !self.exists {
            return None;
        }
        let page = match self.kind.as_str() {
            "group" => "teams",
            "component" => "services",
            "system" => "systems",
            _ => return None,
        };
        Some(format!("/{page}/{}", self.name))
    }
}

/// One row of the catalog: what the table, the team page and the list API show of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSummary {
    pub name: String,
    pub namespace: String,
    pub title: String,
    pub description: String,
    pub owner: Option<EntityLink>,
    pub system: Option<EntityLink>,
    pub lifecycle: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub tags: Vec<String>,
    /// Worst finding and autoscaler status (empty when it runs nowhere).
    #[serde(default)]
    pub health: HealthSummary,
    /// Found in a cluster, with no catalog descriptor.
    #[serde(default)]
    pub discovered: bool,
    /// Clusters it runs in, sorted (`clusters` is the detail's per-cluster map).
    #[serde(default)]
    pub cluster_names: Vec<String>,
    /// Regions it runs in, sorted.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// A link from a descriptor's `metadata.links`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalLink {
    pub url: String,
    pub title: String,
    pub icon: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// How a service's Kubernetes objects are found, from its Backstage annotations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesSelector {
    /// `backstage.io/kubernetes-id`
    pub id: Option<String>,
    /// `backstage.io/kubernetes-label-selector` (wins over the id when both are set).
    pub label_selector: Option<String>,
    /// `backstage.io/kubernetes-namespace`
    pub namespace: Option<String>,
}

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
    /// When the server worked this out (RFC 3339); ages in it are as of then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
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
            generated_at: self.generated_at.clone(),
        }
    }

    /// Moves the view `seconds` on: every age in it grows by that much.
    pub fn age_by(&mut self, seconds: i64) {
        if seconds <= 0 {
            return;
        }
        for c in &mut self.clusters {
            for a in c.sync_age_seconds.iter_mut() {
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

/// A group's `spec.profile`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
}

/// A team page: the group, its place in the org tree and what it owns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamDetail {
    pub name: String,
    pub namespace: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub profile: Profile,
    pub parent: Option<EntityLink>,
    pub children: Vec<EntityLink>,
    pub members: Vec<EntityLink>,
    pub services: Vec<ServiceSummary>,
    pub systems: Vec<EntityLink>,
    pub source: String,
}

/// A system page: the system and its components.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemDetail {
    pub name: String,
    pub namespace: String,
    pub title: String,
    pub description: String,
    pub owner: Option<EntityLink>,
    pub domain: Option<EntityLink>,
    pub components: Vec<ServiceSummary>,
    pub apis: Vec<EntityLink>,
    pub source: String,
}

/// What kind of mistake a descriptor has; stable ids for the API and filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The file cannot be read (I/O error, not UTF-8, too large).
    Unreadable,
    /// YAML syntax error.
    YamlSyntax,
    /// A document that is not a mapping, or a field of the wrong shape.
    InvalidShape,
    /// `apiVersion` other than `backstage.io/v1alpha1` / `v1beta1`.
    UnknownApiVersion,
    /// A required field is absent.
    MissingField,
    /// A field with a value Backstage would reject (e.g. an invalid name).
    InvalidValue,
    /// The same kind/namespace/name defined twice.
    DuplicateName,
    /// An owner/system/parent… reference to an entity that no descriptor defines.
    DanglingReference,
}

impl ProblemKind {
    /// The stable id, as in the JSON API.
    pub fn id(self) -> &'static str {
        match self {
            Self::Unreadable => "unreadable",
            Self::YamlSyntax => "yaml-syntax",
            Self::InvalidShape => "invalid-shape",
            Self::UnknownApiVersion => "unknown-api-version",
            Self::MissingField => "missing-field",
            Self::InvalidValue => "invalid-value",
            Self::DuplicateName => "duplicate-name",
            Self::DanglingReference => "dangling-reference",
        }
    }
}

/// One mistake in the descriptor files, located to file and line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogProblem {
    pub kind: ProblemKind,
    pub file: String,
    pub line: usize,
    /// The entity concerned, `kind:namespace/name`, when the document got that far.
    pub entity: Option<String>,
    pub message: String,
}

/// The catalog filters, exactly as they stand in the page's query string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogQuery {
    /// Free text, matched against name, title, description, owner, system and tags.
    #[serde(default)]
    pub q: String,
    /// Owner group name.
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub system: String,
    #[serde(default)]
    pub lifecycle: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub tag: String,
    /// Runs in this cluster.
    #[serde(default)]
    pub cluster: String,
    /// Runs in this region.
    #[serde(default)]
    pub region: String,
    /// `catalog` (has a descriptor) or `discovered`.
    #[serde(default)]
    pub origin: String,
    /// `errors` (a critical or error finding) or `scaling` (an autoscaler at or near max).
    #[serde(default)]
    pub health: String,
    /// Column to sort by: `name` (default), `owner`, `system`, `lifecycle`, `type`.
    #[serde(default)]
    pub sort: String,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub dir: String,
    /// Which page of results, from 1 (default 1).
    #[serde(default)]
    pub page: String,
    /// Services per page, 1–1000 (default [`CatalogQuery::DEFAULT_LIMIT`]).
    #[serde(default)]
    pub limit: String,
}

/// One value a filter can take and how many services carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FacetValue {
    pub value: String,
    pub count: usize,
}

/// The values each filter can take.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facets {
    pub owners: Vec<FacetValue>,
    pub systems: Vec<FacetValue>,
    pub lifecycles: Vec<FacetValue>,
    pub types: Vec<FacetValue>,
    pub tags: Vec<FacetValue>,
    pub clusters: Vec<FacetValue>,
    pub regions: Vec<FacetValue>,
    pub origins: Vec<FacetValue>,
    /// `errors` and `scaling`, with how many services match.
    pub health: Vec<FacetValue>,
}

/// The catalog table's content for one query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceList {
    /// The services of the page asked for.
    pub items: Vec<ServiceSummary>,
    /// How many services the catalog has before filtering.
    pub total: usize,
    /// How many match the filters (on every page).
    pub matched: usize,
    /// This page, from 1, of `pages`, with `limit` services per page.
    pub page: usize,
    pub pages: usize,
    pub limit: usize,
    pub facets: Facets,
    /// How many catalog problems there are, for the banner linking to them.
    pub problem_count: usize,
}

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
    pub dashboard_url: Option<String>,
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
    /// The cluster's trouble, in words, when it is not synced.
    pub last_error: Option<String>,
    pub hidden_namespaces: Vec<String>,
    pub dashboard_url: Option<String>,
    pub workloads: Vec<WorkloadView>,
    pub pods: Vec<PodView>,
}

impl ServiceCluster {
    /// The cluster without its workloads and pods: what the tabs other than the cluster map show.
    pub fn brief(&self) -> Self {
        Self {
            cluster: self.cluster.clone(),
            title: self.title.clone(),
            region: self.region.clone(),
            environment: self.environment.clone(),
            status: self.status,
            last_sync: self.last_sync.clone(),
            sync_age_seconds: self.sync_age_seconds,
            last_error: self.last_error.clone(),
            hidden_namespaces: self.hidden_namespaces.clone(),
            dashboard_url: self.dashboard_url.clone(),
            workloads: Vec::new(),
            pods: Vec::new(),
        }
    }
}

/// How bad a finding is; sorts worst first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The service is down or losing requests somewhere.
    Critical,
    /// Something is broken and will not heal by itself.
    Error,
    /// Degraded or heading for trouble.
    Warning,
    /// Worth knowing.
    #[default]
    Info,
}

impl Severity {
    /// The stable id, as in the JSON API and query strings.
    pub fn id(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    /// The severity for an id.
    pub fn from_id(id: &str) -> Option<Self> {
        [Self::Critical, Self::Error, Self::Warning, Self::Info]
            .into_iter()
            .find(|s| s.id() == id)
    }
}

/// One object a finding is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AffectedObject {
    pub cluster: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
}

/// A problem in a service's Kubernetes objects, with why and what to do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable rule id (`crash-loop`, `hpa-at-max`…).
    pub rule: String,
    pub severity: Severity,
    /// The service the objects belong to.
    pub service: String,
    /// The object the finding is about (the workload, for findings grouped over its pods).
    pub cluster: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
    /// What is wrong, in plain words with the numbers.
    pub message: String,
    /// Why, from the objects: exit codes, reasons, condition and event messages.
    pub cause: String,
    /// What to do.
    pub fix: String,
    /// Where to read more (Kubernetes docs or the cluster's dashboard).
    pub docs_url: Option<String>,
    /// Since when (RFC 3339), when the objects say.
    pub since: Option<String>,
    /// How many times (restarts, events, pods).
    pub count: u32,
    /// Every cluster it happens in.
    pub clusters: Vec<String>,
    /// Every object it happens to.
    pub objects: Vec<AffectedObject>,
}

/// One metric of an autoscaler against its target.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricView {
    /// `Resource`, `ContainerResource`, `Pods`, `Object` or `External`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `cpu`, `memory`, a metric name; with the container or object where there is one.
    pub name: String,
    /// `Utilization` (percent of requests), `AverageValue` or `Value`.
    pub target_type: String,
    pub current: Option<f64>,
    pub target: f64,
    /// `%` for utilization, else the quantity's unit as written (`m`, `Mi`, or none).
    pub unit: String,
    /// current / target, when both are known.
    pub ratio: Option<f64>,
}

/// One of an autoscaler's conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionView {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// Where an autoscaler stands between its limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScaleStatus {
    /// Current replicas at maxReplicas: it cannot absorb more load.
    AtMax,
    /// At or above the near-max threshold (default 80 % of max).
    NearMax,
    /// It cannot compute a scale (metrics unavailable or scaling disabled).
    Inactive,
    #[default]
    Ok,
    /// At minReplicas.
    AtMin,
}

impl ScaleStatus {
    /// The stable id, as in the JSON API.
    pub fn id(self) -> &'static str {
        match self {
            Self::AtMax => "at-max",
            Self::NearMax => "near-max",
            Self::Inactive => "inactive",
            Self::Ok => "ok",
            Self::AtMin => "at-min",
        }
    }
}

/// A point of an autoscaler's replica history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaPoint {
    /// Seconds before the answer was made.
    pub seconds_ago: i64,
    pub replicas: i32,
}

/// One HPA in one cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalerView {
    pub cluster: String,
    pub region: String,
    pub namespace: String,
    pub name: String,
    /// The workload it scales (`Deployment/cart`).
    pub target: String,
    pub min: i32,
    pub max: i32,
    pub current: i32,
    pub desired: i32,
    pub status: ScaleStatus,
    pub metrics: Vec<MetricView>,
    pub conditions: Vec<ConditionView>,
    pub last_scale_time: Option<String>,
    /// The scale-up and scale-down behaviour in brief.
    pub behavior: Option<String>,
    /// The last hour of replica counts, oldest first.
    pub history: Vec<ReplicaPoint>,
}

/// A workload without an autoscaler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixedWorkload {
    pub cluster: String,
    pub region: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub replicas: i32,
}

/// How a service's replicas spread over one cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpreadEntry {
    pub cluster: String,
    pub region: String,
    pub replicas: i32,
    pub max: i32,
    /// This cluster's share of the service's replicas, 0..1.
    pub share: f64,
    /// The main metric's utilisation of its target (current / target), when known.
    pub load: Option<f64>,
    pub status: ScaleStatus,
}

/// How a service's replicas spread over clusters and regions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spread {
    pub clusters: Vec<SpreadEntry>,
    pub regions: Vec<SpreadEntry>,
    /// Notes such as "eu-west-1 is at its maximum while us-east-1 has room".
    pub notes: Vec<String>,
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

/// A service's health in brief, for the catalog and the overview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthSummary {
    /// The worst finding's severity, if any.
    pub worst: Option<Severity>,
    /// Findings by severity id.
    pub counts: std::collections::BTreeMap<String, usize>,
    /// The worst autoscaler status, if it has autoscalers.
    pub scaling: Option<ScaleStatus>,
}

/// The fleet-wide error list's filters, as in `/errors?…` and `GET /api/v1/errors?…`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorQuery {
    /// Owner group name.
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub region: String,
    /// `critical`, `error`, `warning` or `info`: this severity and worse.
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub rule: String,
}

impl ErrorQuery {
    /// Reads the filters from a query string's values.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let read = |k: &str| {
            get(k)
                .unwrap_or_default()
                .chars()
                .take(MAX_FILTER)
                .collect()
        };
        Self {
            team: read("team"),
            cluster: read("cluster"),
            region: read("region"),
            severity: read("severity"),
            rule: read("rule"),
        }
    }

    /// The query string (with `?`, or empty) that reproduces it, with `key` set to `value`.
    pub fn with(&self, key: &str, value: &str) -> String {
        let mut pairs = vec![
            ("team", self.team.clone()),
            ("cluster", self.cluster.clone()),
            ("region", self.region.clone()),
            ("severity", self.severity.clone()),
            ("rule", self.rule.clone()),
        ];
        for p in &mut pairs {
            if p.0 == key {
                p.1 = value.to_string();
            }
        }
        let q: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }
}

/// Every finding in the fleet that matches a query, with the values each filter can take.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorList {
    pub items: Vec<Finding>,
    /// Findings before filtering.
    pub total: usize,
    pub teams: Vec<FacetValue>,
    pub clusters: Vec<FacetValue>,
    pub regions: Vec<FacetValue>,
    pub severities: Vec<FacetValue>,
    pub rules: Vec<FacetValue>,
}

/// Longest filter value kept; longer input is cut rather than refused.
const MAX_FILTER: usize = 200;

/// The most characters of free text from a cluster (messages, causes, event text) a view shows.
pub const MAX_TEXT: usize = 1_000;

/// Cuts text that came from a cluster to [`MAX_TEXT`] characters, saying how much was left out,
/// so a megabyte-long message can neither bloat a page nor break its layout.
pub fn clip(text: String) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        None => text,
        // Clipped once already (text is clipped when cached, and again when shown).
        Some((end, _)) if is_clip_note(&text[end..]) => text,
        Some((end, _)) => {
            let rest = text[end..].chars().count();
            format!("{}… ({rest} more characters)", &text[..end])
        }
    }
}

fn is_clip_note(tail: &str) -> bool {
    tail.strip_prefix("… (")
        .and_then(|t| t.strip_suffix(" more characters)"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl CatalogQuery {
    /// Reads the filters from a query string's values (missing keys are empty).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let read = |k: &str| get(k).unwrap_or_default();
        Self {
            q: read("q"),
            owner: read("owner"),
            system: read("system"),
            lifecycle: read("lifecycle"),
            kind: read("type"),
            tag: read("tag"),
            cluster: read("cluster"),
            region: read("region"),
            origin: read("origin"),
            health: read("health"),
            sort: read("sort"),
            dir: read("dir"),
            page: read("page"),
            limit: read("limit"),
        }
        .bounded()
    }

    /// The same query with every value cut to a sane length.
    pub fn bounded(mut self) -> Self {
        for v in [
            &mut self.q,
            &mut self.owner,
            &mut self.system,
            &mut self.lifecycle,
            &mut self.kind,
            &mut self.tag,
            &mut self.cluster,
            &mut self.region,
            &mut self.origin,
            &mut self.health,
            &mut self.sort,
            &mut self.dir,
            &mut self.page,
            &mut self.limit,
        ] {
            if v.len() > MAX_FILTER {
                let mut end = MAX_FILTER;
                while !v.is_char_boundary(end) {
                    end -= 1;
                }
                v.truncate(end);
            }
        }
        self
    }

    /// True when any filter (not sorting) is set.
    pub fn is_filtered(&self) -> bool {
        [
            &self.q,
            &self.owner,
            &self.system,
            &self.lifecycle,
            &self.kind,
            &self.tag,
            &self.cluster,
            &self.region,
            &self.origin,
            &self.health,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }

    /// Services per page when the query does not say.
    pub const DEFAULT_LIMIT: usize = 100;
    /// The most services one page may hold.
    pub const MAX_LIMIT: usize = 1000;

    /// The page asked for, from 1.
    pub fn page_number(&self) -> usize {
        self.page.trim().parse::<usize>().unwrap_or(1).max(1)
    }

    /// Services per page, within 1..=[`CatalogQuery::MAX_LIMIT`].
    pub fn page_size(&self) -> usize {
        self.limit
            .trim()
            .parse::<usize>()
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }

    /// The same query on page `page` (1 leaves the key out).
    pub fn on_page(&self, page: usize) -> Self {
        let mut next = self.clone();
        next.page = if page <= 1 {
            String::new()
        } else {
            page.to_string()
        };
        next
    }

    /// True when sorting descending.
    pub fn descending(&self) -> bool {
        self.dir == "desc"
    }

    /// The sort column in effect.
    pub fn sort_column(&self) -> &str {
        match self.sort.as_str() {
            "owner" | "system" | "lifecycle" | "type" => &self.sort,
            _ => "name",
        }
    }
}

impl CatalogQuery {
    /// The query string (with leading `?`, or empty) that reproduces this query in a URL.
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("owner", &self.owner),
            ("system", &self.system),
            ("lifecycle", &self.lifecycle),
            ("type", &self.kind),
            ("tag", &self.tag),
            ("cluster", &self.cluster),
            ("region", &self.region),
            ("origin", &self.origin),
            ("health", &self.health),
            ("sort", &self.sort),
            ("dir", &self.dir),
            ("page", &self.page),
            ("limit", &self.limit),
        ];
        let encoded: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if encoded.is_empty() {
            String::new()
        } else {
            format!("?{}", encoded.join("&"))
        }
    }

    /// The same filters sorted by `column` (from the first page); the direction flips when it
    /// already sorts by it.
    pub fn sorted_by(&self, column: &str) -> Self {
        let mut next = self.on_page(1);
        let flip = self.sort_column() == column && !self.descending();
        next.sort = if column == "name" {
            String::new()
        } else {
            column.to_string()
        };
        next.dir = if flip { "desc".into() } else { String::new() };
        next
    }
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters pass through).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cluster_text_is_clipped_at_a_character_boundary_with_what_was_left_out() {
        assert_eq!(clip("short".into()), "short");
        let exact = "é".repeat(MAX_TEXT);
        assert_eq!(clip(exact.clone()), exact);
        let long = format!("{}{}", "\u{202E}".repeat(MAX_TEXT), "x".repeat(1024 * 1024));
        let clipped = clip(long);
        assert_eq!(
            clipped.chars().filter(|c| *c == '\u{202E}').count(),
            MAX_TEXT
        );
        assert!(
            clipped.ends_with("… (1048576 more characters)"),
            "{}",
            &clipped[clipped.len() - 40..]
        );
        assert_eq!(
            clip(clipped.clone()),
            clipped,
            "clipping twice changes nothing"
        );
    }

    #[test]
    fn query_string_round_trips_the_filters() {
        let q = CatalogQuery {
            q: "pay ment&x".into(),
            owner: "payments".into(),
            ..Default::default()
        };
        assert_eq!(q.to_query_string(), "?q=pay%20ment%26x&owner=payments");
        assert_eq!(CatalogQuery::default().to_query_string(), "");
    }

    #[test]
    fn sorting_by_the_same_column_flips_direction() {
        let q = CatalogQuery::default();
        let by_owner = q.sorted_by("owner");
        assert_eq!(
            (by_owner.sort.as_str(), by_owner.dir.as_str()),
            ("owner", "")
        );
        let flipped = by_owner.sorted_by("owner");
        assert_eq!(flipped.dir, "desc");
        assert_eq!(flipped.sorted_by("owner").dir, "");
        assert_eq!(q.sorted_by("name").dir, "desc");
    }

    #[test]
    fn long_values_are_cut_on_a_char_boundary() {
        let q = CatalogQuery::from_params(|k| (k == "q").then(|| "é".repeat(300)));
        assert!(q.q.len() <= 200);
        assert!(q.q.chars().all(|c| c == 'é'));
    }

    #[test]
    fn view_types_round_trip_through_json() {
        // The summary is written flattened and read back through ServiceDetailWire: every field
        // set to something other than its default shows a field the wire type reads wrongly.
        let link = EntityLink {
            entity_ref: "group:default/team".into(),
            kind: "group".into(),
            namespace: "default".into(),
            name: "team".into(),
            title: "Team".into(),
            exists: true,
        };
        let detail = ServiceDetail {
            clusters: vec![ServiceCluster::default()],
            errors: vec![Finding::default()],
            autoscalers: vec![AutoscalerView::default()],
            source: "catalog/x.yaml:3".into(),
            generated_at: Some("2026-12-03T08:00:00Z".into()),
            ..ServiceDetail::new(ServiceSummary {
                name: "x".into(),
                namespace: "default".into(),
                title: "X".into(),
                description: "d".into(),
                owner: Some(link.clone()),
                system: Some(link),
                lifecycle: "production".into(),
                kind: "service".into(),
                tags: vec!["t".into()],
                health: HealthSummary::default(),
                discovered: true,
                cluster_names: vec!["c".into()],
                regions: vec!["eu".into()],
            })
        };
        let text = serde_json::to_string(&detail).unwrap_or_default();
        let back: ServiceDetail =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(back, detail);
    }

    #[test]
    fn entity_links_point_at_their_pages() {
        let link = |kind: &str, exists| EntityLink {
            entity_ref: format!("{kind}:default/x"),
            kind: kind.into(),
            namespace: "default".into(),
            name: "x".into(),
            title: "X".into(),
            exists,
        };
        assert_eq!(link("group", true).href().as_deref(), Some("/teams/x"));
        assert_eq!(
            link("component", true).href().as_deref(),
            Some("/services/x")
        );
        assert_eq!(link("group", false).href(), None);
        assert_eq!(link("api", true).href(), None);
    }
}
