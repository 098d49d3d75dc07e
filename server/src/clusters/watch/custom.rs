//! Configured custom resources (`customResources` in `wayfinder.yaml`): one shared watch per
//! (cluster, resource) over `DynamicObject`s, through the same loop as the typed kinds
//! ([`super::supervise::watch_source`]): a 404 means the CRD is not installed (quiet, looked for
//! again every minute). Cluster-wide, else one watch per namespace (configured, or readable where
//! the cluster-wide list is forbidden). The caches keep the metadata and `status.conditions` only.

use super::super::config::CustomResource;
use super::super::index::{custom_name, Fact, Kind, ObjKey};
use super::stores::Shards;
use super::supervise::{watch_source, Ctx, Learn, Source, Task};
use super::trim::Trim;
use kube::api::{ApiResource, DynamicObject};
use kube::runtime::watcher;
use kube::Api;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

/// The caches of one configured custom resource in one cluster.
#[derive(Clone)]
pub struct CustomShards {
    pub resource: CustomResource,
    /// `certificates.cert-manager.io`: the kind's name in the cluster's status and counts.
    pub id: &'static str,
    /// `cert-manager.io/v1`: its objects' `apiVersion`.
    pub api_version: &'static str,
    /// Its place in the cluster's list: the index's kind is `Kind::Custom(n)`.
    pub n: u16,
    pub shards: Shards<DynamicObject>,
}

impl CustomShards {
    /// One object by namespace and name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<DynamicObject>> {
        self.shards
            .get_with(namespace, name, api_resource(&self.resource))
    }

    pub fn len(&self) -> usize {
        self.shards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }
}

/// The resource as kube's dynamic API takes it (the kind is not needed to list and watch; it is
/// read from the objects).
pub fn api_resource(r: &CustomResource) -> ApiResource {
    ApiResource {
        group: r.group.clone(),
        version: r.api_version.clone(),
        api_version: format!("{}/{}", r.group, r.api_version),
        kind: String::new(),
        plural: r.plural.clone(),
    }
}

/// `s` for as long as the process runs, once per distinct value: the names of configured custom
/// resources (a handful, kept across reloads) where a `&'static str` is wanted.
pub fn interned(s: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(n) = names.get(s) {
        return n;
    }
    let n: &'static str = Box::leak(s.to_string().into_boxed_str());
    names.insert(n);
    n
}

/// The metadata and the conditions: nothing else of a custom resource is read.
impl Trim for DynamicObject {
    fn trim(&mut self) {
        super::trim::trim_meta(self);
        let mut conditions = self
            .data
            .pointer("/status/conditions")
            .and_then(|c| c.as_array())
            .cloned()
            .unwrap_or_default();
        for c in &mut conditions {
            if let Some(m) = c.get_mut("message") {
                if let Some(text) = m.as_str() {
                    *m = serde_json::Value::String(app::model::clip(text.to_string()));
                }
            }
        }
        self.data = serde_json::json!({"status": {"conditions": conditions}});
    }
}

/// The watch task of one custom resource, started by the supervisor; returns its caches.
pub(super) fn task(
    ctx: &Arc<Ctx>,
    n: u16,
    resource: &CustomResource,
    tasks: &mut Vec<Task>,
) -> CustomShards {
    let id = interned(&resource.id());
    let shards = CustomShards {
        resource: resource.clone(),
        id,
        api_version: interned(&api_resource(resource).api_version),
        n,
        shards: Shards::default(),
    };
    let (ctx, out) = (ctx.clone(), shards.clone());
    tasks.push(Task {
        kind: id,
        start: Box::new(move || Box::pin(watch(ctx.clone(), shards.clone()))),
    });
    out
}

/// Cluster-wide, else one watch per namespace (configured, or readable where the cluster-wide list
/// is forbidden), as the typed kinds.
async fn watch(ctx: Arc<Ctx>, shards: CustomShards) {
    let ar = api_resource(&shards.resource);
    let (id, n) = (shards.id, shards.n);
    let client = ctx.client.clone();
    let for_api = ar.clone();
    let source = Arc::new(Source {
        learn: Learn {
            label: id,
            kind: Some(Kind::Custom(n)),
            optional: true,
            fact: Box::new(move |o: &DynamicObject| fact(id, n, o)),
            sample: |_| None,
        },
        namespaced: true,
        api: Box::new(move |scope| match scope {
            None => Api::all_with(client.clone(), &for_api),
            Some(ns) => Api::namespaced_with(client.clone(), ns, &for_api),
        }),
        dyntype: ar,
    });
    watch_source(ctx, source, watcher::Config::default(), shards.shards).await;
}

/// The index's view of a custom resource's object: its labels (it maps to services like any
/// object), its owners.
fn fact(id: &str, n: u16, o: &DynamicObject) -> Option<(ObjKey, Fact)> {
    let meta = &o.metadata;
    Some((
        ObjKey {
            kind: Kind::Custom(n),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: custom_name(id, meta.name.as_deref()?),
        },
        Fact {
            labels: Arc::new(meta.labels.clone().unwrap_or_default()),
            links: meta
                .owner_references
                .iter()
                .flatten()
                .filter_map(|r| Kind::from_api(&r.kind).map(|k| (k, r.name.clone())))
                .collect(),
            controlled: meta
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.controller == Some(true)),
        },
    ))
}
