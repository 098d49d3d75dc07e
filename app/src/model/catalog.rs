//! The catalog's view types: services, teams, systems, descriptor problems, the catalog query and list.

use super::*;
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// `yes`: only services whose clusters differ (images, replicas, autoscaling, resources, env
    /// names, ConfigMaps); `no`: only those whose clusters agree.
    #[serde(default)]
    pub drift: String,
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
    /// Its clusters differ (the Clusters tab's drift table has rows). Only the server reads it.
    #[cfg(feature = "ssr")]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drift: bool,
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
            drift: read("drift"),
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
            &mut self.drift,
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
            &self.drift,
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
            ("drift", &self.drift),
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
