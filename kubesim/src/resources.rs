//! The resource types kubesim serves, with what discovery says about them.

use serde_json::{json, Value};

/// One served resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Stored objects are shared by another resource (events.k8s.io/v1 events are core events).
    pub store: &'static str,
    /// Only `create` (the review resources).
    pub create_only: bool,
    /// Computed when asked, never stored: only `get` and `list` (metrics.k8s.io).
    pub computed: bool,
    /// Served because a CustomResourceDefinition says so; it has a `status` subresource when the
    /// definition enables one.
    pub custom: Option<Custom>,
}

/// What a CustomResourceDefinition adds to a served resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Custom {
    pub status: bool,
    pub categories: &'static [&'static str],
}

impl Resource {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`, as the apiserver names resources in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The verbs discovery advertises.
    pub fn verbs(&self) -> Vec<&'static str> {
        if self.create_only {
            vec!["create"]
        } else if self.computed {
            vec!["get", "list"]
        } else {
            vec![
                "create", "delete", "get", "list", "patch", "update", "watch",
            ]
        }
    }

    fn categories(&self) -> Vec<&'static str> {
        if let Some(c) = self.custom {
            return c.categories.to_vec();
        }
        match self.plural {
            "pods"
            | "services"
            | "deployments"
            | "replicasets"
            | "statefulsets"
            | "daemonsets"
            | "jobs"
            | "cronjobs"
            | "horizontalpodautoscalers" => vec!["all"],
            _ => vec![],
        }
    }
}

const fn r(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> Resource {
    Resource {
        group,
        version,
        plural,
        singular,
        kind,
        namespaced,
        short_names,
        store: plural,
        create_only: false,
        computed: false,
        custom: None,
    }
}

/// Every served resource, preferred group-version first within a group.
pub const RESOURCES: &[Resource] = &[
    r(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
    ),
    r("", "v1", "nodes", "node", "Node", false, &["no"]),
    r("", "v1", "pods", "pod", "Pod", true, &["po"]),
    r("", "v1", "services", "service", "Service", true, &["svc"]),
    r(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
    ),
    r("", "v1", "events", "event", "Event", true, &["ev"]),
    r(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
    ),
    r(
        "",
        "v1",
        "limitranges",
        "limitrange",
        "LimitRange",
        true,
        &["limits"],
    ),
    r(
        "",
        "v1",
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        true,
        &["quota"],
    ),
    r(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
    ),
    r(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        &["rs"],
    ),
    r(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
    ),
    r(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        &["ds"],
    ),
    r("batch", "v1", "jobs", "job", "Job", true, &[]),
    r(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        &["cj"],
    ),
    r(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
    ),
    r(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        true,
        &["ing"],
    ),
    r(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        true,
        &["pdb"],
    ),
    Resource {
        store: "events",
        ..r(
            "events.k8s.io",
            "v1",
            "events",
            "event",
            "Event",
            true,
            &["ev"],
        )
    },
    Resource {
        create_only: true,
        ..r(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "selfsubjectaccessreview",
            "SelfSubjectAccessReview",
            false,
            &[],
        )
    },
    Resource {
        create_only: true,
        ..r(
            "authorization.k8s.io",
            "v1",
            "selfsubjectrulesreviews",
            "selfsubjectrulesreview",
            "SelfSubjectRulesReview",
            false,
            &[],
        )
    },
    Resource {
        store: "podmetrics",
        computed: true,
        ..r(
            "metrics.k8s.io",
            "v1beta1",
            "pods",
            "pod",
            "PodMetrics",
            true,
            &[],
        )
    },
    Resource {
        store: "nodemetrics",
        computed: true,
        ..r(
            "metrics.k8s.io",
            "v1beta1",
            "nodes",
            "node",
            "NodeMetrics",
            false,
            &[],
        )
    },
];

/// The resource at `group`/`version`/`plural`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// `s` for as long as the process runs: each distinct string is leaked once (the names of custom
/// resources, a handful per cluster).
pub fn intern(s: &str) -> &'static str {
    static KNOWN: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<&'static str>>> =
        std::sync::LazyLock::new(Default::default);
    let mut known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(k) = known.get(s) {
        return k;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    known.insert(leaked);
    leaked
}

/// The resources a CustomResourceDefinition serves: one per served version, all kept in one
/// store named `plural.group` (as the apiserver keeps them in its storage version). Interned, so
/// defining the same again costs nothing.
pub fn custom(crd: &Value) -> Vec<&'static Resource> {
    static KNOWN: std::sync::LazyLock<std::sync::Mutex<Vec<&'static Resource>>> =
        std::sync::LazyLock::new(Default::default);
    let s = |p: &str| crd.pointer(p).and_then(Value::as_str).unwrap_or("");
    let strings = |p: &str| -> Vec<&'static str> {
        crd.pointer(p)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(intern).collect())
            .unwrap_or_default()
    };
    let (group, plural, kind) = (
        s("/spec/group"),
        s("/spec/names/plural"),
        s("/spec/names/kind"),
    );
    if group.is_empty() || plural.is_empty() || kind.is_empty() {
        return Vec::new();
    }
    let singular = match s("/spec/names/singular") {
        "" => kind.to_ascii_lowercase(),
        other => other.to_string(),
    };
    let short: &'static [&'static str] =
        Box::leak(strings("/spec/names/shortNames").into_boxed_slice());
    let categories: &'static [&'static str] =
        Box::leak(strings("/spec/names/categories").into_boxed_slice());
    let mut versions: Vec<&Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter(|v| v["served"] != json!(false)).collect())
        .unwrap_or_default();
    // The storage version first: it is the preferred one.
    versions.sort_by_key(|v| v["storage"] != json!(true));
    let mut known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    versions
        .into_iter()
        .filter_map(|v| {
            let version = v.get("name")?.as_str()?;
            let wanted = Resource {
                group: intern(group),
                version: intern(version),
                plural: intern(plural),
                singular: intern(&singular),
                kind: intern(kind),
                namespaced: s("/spec/scope") != "Cluster",
                short_names: short,
                store: intern(&format!("{plural}.{group}")),
                create_only: false,
                computed: false,
                custom: Some(Custom {
                    status: v.pointer("/subresources/status").is_some(),
                    categories,
                }),
            };
            let same = |r: &&&Resource| {
                let (a, b) = (***r, wanted);
                (
                    a.group,
                    a.version,
                    a.plural,
                    a.kind,
                    a.namespaced,
                    a.custom.map(|c| c.status),
                ) == (
                    b.group,
                    b.version,
                    b.plural,
                    b.kind,
                    b.namespaced,
                    b.custom.map(|c| c.status),
                ) && a.short_names == b.short_names
                    && a.custom.map(|c| c.categories) == b.custom.map(|c| c.categories)
            };
            Some(match known.iter().find(same) {
                Some(r) => *r,
                None => {
                    let leaked: &'static Resource = Box::leak(Box::new(wanted));
                    known.push(leaked);
                    leaked
                }
            })
        })
        .collect()
}

/// Every resource one cluster serves: the built-in ones and those its CustomResourceDefinitions
/// define.
pub fn served(store: &crate::store::Store) -> Vec<&'static Resource> {
    let mut out: Vec<&'static Resource> = RESOURCES.iter().collect();
    for crd in store.list("customresourcedefinitions", None).1 {
        out.extend(custom(&crd));
    }
    out
}

/// The resource a cluster serves at `group`/`version`/`plural`.
pub fn find_in(
    store: &crate::store::Store,
    group: &str,
    version: &str,
    plural: &str,
) -> Option<&'static Resource> {
    find(group, version, plural).or_else(|| {
        served(store)
            .into_iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    })
}

/// The resource whose store keeps `r`'s objects (events.k8s.io events are core events).
pub fn stored(r: &'static Resource) -> &'static Resource {
    if r.custom.is_some() || r.store == r.plural {
        r
    } else {
        by_store(r.store)
    }
}

/// The stored resource for a kind (core first), for controllers.
pub fn by_store(store: &str) -> &'static Resource {
    RESOURCES
        .iter()
        .find(|r| r.plural == store && r.store == store)
        .unwrap_or(&RESOURCES[0])
}

/// The groups in discovery order, each with its versions.
pub fn groups(served: &[&'static Resource]) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in served.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// Checks an object against the k8s-openapi type of its kind, so only real shapes are stored.
pub fn validate(resource: &Resource, object: &Value) -> Result<(), serde_json::Error> {
    use k8s_openapi::api::{
        apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core,
    };
    fn check<T: serde::de::DeserializeOwned>(object: &Value) -> Result<(), serde_json::Error> {
        serde_json::from_value::<T>(object.clone()).map(|_| ())
    }
    match (resource.group, resource.plural) {
        ("", "namespaces") => check::<core::Namespace>(object),
        ("", "nodes") => check::<core::Node>(object),
        ("", "pods") => check::<core::Pod>(object),
        ("", "services") => check::<core::Service>(object),
        ("", "configmaps") => check::<core::ConfigMap>(object),
        ("", "limitranges") => check::<core::LimitRange>(object),
        ("", "resourcequotas") => check::<core::ResourceQuota>(object),
        ("", "events") => check::<core::Event>(object),
        ("events.k8s.io", "events") => check::<k8s_openapi::api::events::v1::Event>(object),
        ("apps", "deployments") => check::<apps::Deployment>(object),
        ("apps", "replicasets") => check::<apps::ReplicaSet>(object),
        ("apps", "statefulsets") => check::<apps::StatefulSet>(object),
        ("apps", "daemonsets") => check::<apps::DaemonSet>(object),
        ("batch", "jobs") => check::<batch::Job>(object),
        ("batch", "cronjobs") => check::<batch::CronJob>(object),
        ("autoscaling", "horizontalpodautoscalers") => {
            check::<autoscaling::HorizontalPodAutoscaler>(object)
        }
        ("policy", "poddisruptionbudgets") => {
            check::<k8s_openapi::api::policy::v1::PodDisruptionBudget>(object)
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") => check::<
            k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        >(object),
        ("networking.k8s.io", "ingresses") => {
            check::<k8s_openapi::api::networking::v1::Ingress>(object)
        }
        _ => Ok(()),
    }
}

/// Short names and categories, the same in both discovery formats.
fn add_names(entry: &mut Value, r: &Resource) {
    if !r.short_names.is_empty() {
        entry["shortNames"] = json!(r.short_names);
    }
    let categories = r.categories();
    if !categories.is_empty() {
        entry["categories"] = json!(categories);
    }
}

/// An aggregated-discovery (v2) entry for one resource.
pub fn discovery_v2(r: &Resource) -> Value {
    let mut entry = json!({
        "resource": r.plural,
        "responseKind": {"group": "", "version": "", "kind": r.kind},
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": r.singular,
        "verbs": r.verbs(),
    });
    add_names(&mut entry, r);
    if matches!(r.plural, "deployments" | "replicasets" | "statefulsets") {
        entry["subresources"] = json!([
            {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": ["get", "patch", "update"]},
            {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": r.kind}, "verbs": ["get", "patch", "update"]}
        ]);
    }
    if r.plural == "poddisruptionbudgets"
        || r.plural == "customresourcedefinitions"
        || r.custom.is_some_and(|c| c.status)
    {
        entry["subresources"] = json!([
            {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": r.kind}, "verbs": ["get", "patch", "update"]}
        ]);
    }
    if r.plural == "pods" {
        entry["subresources"] = json!([
            {"subresource": "log", "responseKind": {"group": "", "version": "", "kind": "Pod"}, "verbs": ["get"]},
            {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": "Pod"}, "verbs": ["get", "patch", "update"]}
        ]);
    }
    entry
}

/// A legacy discovery (`APIResourceList`) entry for one resource.
pub fn discovery_legacy(r: &Resource) -> Value {
    let mut entry = json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": r.verbs(),
    });
    add_names(&mut entry, r);
    entry
}
