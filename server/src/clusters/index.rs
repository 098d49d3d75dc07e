//! Which Kubernetes objects belong to which service, kept up to date on every watch event.
//!
//! Backstage-compatible: a descriptor's `backstage.io/kubernetes-label-selector`, else its
//! `backstage.io/kubernetes-id` label value, else (no annotation) its name in the
//! `backstage.io/kubernetes-id`, `app.kubernetes.io/name` or `app` label; `backstage.io/kubernetes-namespace`
//! limits the namespace. Objects that match nothing attach through owner references, HPA scale targets
//! and event subjects; workloads that still match nothing become *discovered* services.

use app::model::KubernetesSelector;
use kubesim::selector::LabelSelector;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use tokio::sync::broadcast;

/// The kinds the index tracks, in the order a rebuild resolves them (owners before what they own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
    /// An Argo Rollout (where its CRD is installed): owns ReplicaSets like a Deployment.
    Rollout,
    CronJob,
    ReplicaSet,
    Job,
    Pod,
    HorizontalPodAutoscaler,
    /// A KEDA ScaledObject (where its CRD is installed): scales its target through an HPA.
    ScaledObject,
    /// A KEDA ScaledJob (where its CRD is installed): runs Jobs (owned by it) from events.
    ScaledJob,
    Service,
    Ingress,
    PodDisruptionBudget,
    /// An object of the cluster's `n`th configured custom resource (a relist of one resource
    /// replaces its objects only); its key's name is `{plural}.{group}/{name}` ([`custom_name`]).
    Custom(u16),
    Event,
}

/// The index's name of a custom resource's object: `certificates.cert-manager.io/web-shop-tls`.
pub fn custom_name(id: &str, name: &str) -> String {
    format!("{id}/{name}")
}

impl Kind {
    /// The kind from an owner reference's or scale target's `kind`.
    pub fn from_api(kind: &str) -> Option<Self> {
        Some(match kind {
            "Deployment" => Self::Deployment,
            "StatefulSet" => Self::StatefulSet,
            "DaemonSet" => Self::DaemonSet,
            "Rollout" => Self::Rollout,
            "CronJob" => Self::CronJob,
            "ReplicaSet" => Self::ReplicaSet,
            "Job" => Self::Job,
            "Pod" => Self::Pod,
            "HorizontalPodAutoscaler" => Self::HorizontalPodAutoscaler,
            "ScaledObject" => Self::ScaledObject,
            "ScaledJob" => Self::ScaledJob,
            "Service" => Self::Service,
            "Ingress" => Self::Ingress,
            "PodDisruptionBudget" => Self::PodDisruptionBudget,
            _ => return None,
        })
    }

    /// Every kind a service owns, as the API names it (events are about objects, not owned).
    pub const OWNED: [Kind; 14] = [
        Self::Deployment,
        Self::StatefulSet,
        Self::DaemonSet,
        Self::Rollout,
        Self::CronJob,
        Self::ReplicaSet,
        Self::Job,
        Self::Pod,
        Self::HorizontalPodAutoscaler,
        Self::ScaledObject,
        Self::ScaledJob,
        Self::Service,
        Self::Ingress,
        Self::PodDisruptionBudget,
    ];

    /// The API's name of the kind (`Deployment`).
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Deployment => "Deployment",
            Self::StatefulSet => "StatefulSet",
            Self::DaemonSet => "DaemonSet",
            Self::Rollout => "Rollout",
            Self::CronJob => "CronJob",
            Self::ReplicaSet => "ReplicaSet",
            Self::Job => "Job",
            Self::Pod => "Pod",
            Self::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            Self::ScaledObject => "ScaledObject",
            Self::ScaledJob => "ScaledJob",
            Self::Service => "Service",
            Self::Ingress => "Ingress",
            Self::PodDisruptionBudget => "PodDisruptionBudget",
            Self::Custom(_) => "CustomResource",
            Self::Event => "Event",
        }
    }

    /// An owned kind from a URL segment, as kubectl takes it: the kind or its plural, in any case
    /// (`Deployment`, `deployments`, `horizontalpodautoscalers`).
    pub fn from_path(segment: &str) -> Option<Self> {
        Self::OWNED.into_iter().find(|k| {
            let name = k.api_name();
            segment.eq_ignore_ascii_case(name)
                || segment
                    .strip_suffix(if name.ends_with('s') { "es" } else { "s" })
                    .is_some_and(|s| s.eq_ignore_ascii_case(name))
        })
    }

    /// Workloads and pods: what makes a service exist in a cluster.
    pub fn is_workload(self) -> bool {
        matches!(
            self,
            Self::Deployment
                | Self::StatefulSet
                | Self::DaemonSet
                | Self::Rollout
                | Self::ScaledJob
                | Self::CronJob
                | Self::ReplicaSet
                | Self::Job
                | Self::Pod
        )
    }
}

/// An object's identity in one cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

/// What the index needs to know of an object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fact {
    /// Shared between objects with the same labels (a Deployment's pods all carry the same).
    pub labels: Arc<BTreeMap<String, String>>,
    /// Owner references, scale target or event subject: objects this one belongs to.
    pub links: Vec<(Kind, String)>,
    /// True when an owner reference says a controller manages it.
    pub controlled: bool,
}

/// Namespaces whose workloads are the cluster's own, never discovered as services.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Services a label value selects, each with its namespace limit.
type Claims = Vec<(Arc<str>, Option<String>)>;

/// The catalog's side of the mapping, rebuilt when the catalog changes.
#[derive(Default)]
pub struct Mapper {
    /// `backstage.io/kubernetes-id` label value → services (with their namespace limit).
    by_id: HashMap<String, Claims>,
    /// Services without annotations, by name: matched on the id, `app.kubernetes.io/name` or `app` label.
    by_name: HashMap<String, Claims>,
    selectors: Vec<(LabelSelector, Arc<str>, Option<String>)>,
    described: HashSet<String>,
}

impl Mapper {
    /// Builds the mapping from each service's name and Kubernetes annotations. Returns the mapper and
    /// one message per unusable label selector (service and reason).
    pub fn new(services: &[(String, KubernetesSelector)]) -> (Self, Vec<String>) {
        let mut m = Mapper::default();
        let mut errors = Vec::new();
        for (name, sel) in services {
            let service: Arc<str> = Arc::from(name.as_str());
            m.described.insert(name.to_ascii_lowercase());
            let ns = sel.namespace.clone();
            if let Some(s) = &sel.label_selector {
                match LabelSelector::parse(s) {
                    Ok(parsed) if !parsed.is_empty() => m.selectors.push((parsed, service, ns)),
                    Ok(_) => errors.push(format!("{name}: the label selector is empty")),
                    Err(e) => errors.push(format!("{name}: label selector “{s}”: {e}")),
                }
            } else if let Some(id) = &sel.id {
                m.by_id.entry(id.clone()).or_default().push((service, ns));
            } else {
                m.by_name
                    .entry(name.clone())
                    .or_default()
                    .push((service, ns));
            }
        }
        (m, errors)
    }

    /// True when a catalog descriptor defines `name`.
    pub fn is_described(&self, name: &str) -> bool {
        self.described.contains(&name.to_ascii_lowercase())
    }

    /// The described services an object's labels and namespace select.
    fn direct(&self, labels: &BTreeMap<String, String>, namespace: &str) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = Vec::new();
        let ns_ok = |limit: &Option<String>| limit.as_deref().is_none_or(|l| l == namespace);
        let mut add = |list: Option<&Claims>| {
            for (s, limit) in list.into_iter().flatten() {
                if ns_ok(limit) && !out.contains(s) {
                    out.push(s.clone());
                }
            }
        };
        if let Some(id) = labels.get(ID_LABEL) {
            add(self.by_id.get(id));
            add(self.by_name.get(id));
        }
        for label in [NAME_LABEL, APP_LABEL] {
            if let Some(v) = labels.get(label) {
                add(self.by_name.get(v));
            }
        }
        for (sel, s, limit) in &self.selectors {
            if ns_ok(limit)
                && !out.contains(s)
                && sel.matches_labels(|k| labels.get(k).map(String::as_str))
            {
                out.push(s.clone());
            }
        }
        out
    }
}

const ID_LABEL: &str = "backstage.io/kubernetes-id";
const NAME_LABEL: &str = "app.kubernetes.io/name";
const APP_LABEL: &str = "app";

/// A change in one cluster: the services whose objects changed, or the cluster's status.
#[derive(Clone, Debug)]
pub enum Change {
    Objects {
        cluster: Arc<str>,
        services: Arc<[Arc<str>]>,
    },
    Status {
        cluster: Arc<str>,
    },
}

#[derive(Default)]
struct Inner {
    facts: HashMap<ObjKey, Fact>,
    members: HashMap<ObjKey, Vec<Arc<str>>>,
    by_service: HashMap<Arc<str>, BTreeSet<ObjKey>>,
    /// Services found only in the cluster, with how many workloads and pods make them exist.
    discovered: HashMap<Arc<str>, usize>,
    /// Every distinct label set in `facts`, so equal ones are stored once.
    label_sets: HashSet<Arc<BTreeMap<String, String>>>,
    /// `label_sets`' size after its last sweep.
    swept_at: usize,
    /// Bumped whenever a service appears in or leaves `by_service` (or everything is rebuilt), so
    /// readers can keep what they derived from the set of services until it moves.
    generation: u64,
    /// Objects that belong to no service yet, by an owner they link to: each kind has a watch of
    /// its own, so an event can arrive before the Deployment it is about, an HPA before its target.
    waiting: HashMap<ObjKey, HashSet<ObjKey>>,
}

/// One cluster's object → service index.
pub struct ClusterIndex {
    cluster: Arc<str>,
    mapper: Arc<RwLock<Arc<Mapper>>>,
    inner: Mutex<Inner>,
    changes: broadcast::Sender<Change>,
}

impl ClusterIndex {
    /// An empty index that reads the shared mapper and announces changes on `changes`.
    pub fn new(
        cluster: &str,
        mapper: Arc<RwLock<Arc<Mapper>>>,
        changes: broadcast::Sender<Change>,
    ) -> Self {
        Self {
            cluster: Arc::from(cluster),
            mapper,
            inner: Mutex::default(),
            changes,
        }
    }

    fn mapper(&self) -> Arc<Mapper> {
        self.mapper
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Announces a change of the cluster's status to every open page that shows it.
    pub fn status_changed(&self) {
        // No receiver is not an error: nobody is watching.
        let _ = self.changes.send(Change::Status {
            cluster: self.cluster.clone(),
        });
    }

    fn announce(&self, touched: BTreeSet<Arc<str>>) {
        if touched.is_empty() {
            return;
        }
        let _ = self.changes.send(Change::Objects {
            cluster: self.cluster.clone(),
            services: touched.into_iter().collect(),
        });
    }

    /// The usage figures of these pods changed: tells the pages of their services.
    pub fn pods_changed(&self, pods: Vec<(String, String)>) {
        let touched: BTreeSet<Arc<str>> = {
            let inner = self.lock();
            pods.into_iter()
                .flat_map(|(namespace, name)| {
                    let key = ObjKey {
                        kind: Kind::Pod,
                        namespace,
                        name,
                    };
                    inner.members.get(&key).cloned().unwrap_or_default()
                })
                .collect()
        };
        self.announce(touched);
    }

    /// An object was added or changed. Objects that waited for it join its services too.
    pub fn apply(&self, key: ObjKey, fact: Fact) {
        let mapper = self.mapper();
        let mut inner = self.lock();
        let fact = inner.intern(fact);
        inner.unwait(&key);
        let mut touched = inner.unlink(&key);
        inner.facts.insert(key.clone(), fact);
        touched.extend(inner.place_with_waiting(&mapper, key));
        drop(inner);
        self.announce(touched);
    }

    /// An object was deleted.
    pub fn delete(&self, key: &ObjKey) {
        let mut inner = self.lock();
        inner.unwait(key);
        let touched = inner.unlink(key);
        inner.facts.remove(key);
        drop(inner);
        self.announce(touched);
    }

    /// A watch (re)listed: `facts` replace every object of `kind` (in `namespace`, or everywhere).
    /// Every service with an object of `kind` there, before or after, is announced: while no
    /// watch was open its objects may have changed in any way.
    pub fn replace(&self, kind: Kind, namespace: Option<&str>, facts: Vec<(ObjKey, Fact)>) {
        let relisted = |k: &ObjKey| k.kind == kind && namespace.is_none_or(|ns| k.namespace == ns);
        let mut inner = self.lock();
        inner.facts.retain(|k, _| !relisted(k));
        for (key, fact) in facts {
            let fact = inner.intern(fact);
            inner.facts.insert(key, fact);
        }
        drop(inner);
        self.rebuild_with(&relisted);
    }

    /// Recomputes every membership (after a relist or a catalog change) and announces the services
    /// whose objects changed.
    pub fn rebuild(&self) {
        self.rebuild_with(&|_| false);
    }

    /// [`ClusterIndex::rebuild`], also announcing every service that has, or had, an object
    /// `relisted` accepts.
    fn rebuild_with(&self, relisted: &dyn Fn(&ObjKey) -> bool) {
        let mapper = self.mapper();
        let mut inner = self.lock();
        let before = std::mem::take(&mut inner.by_service);
        let members_before = std::mem::take(&mut inner.members);
        inner.generation += 1;
        inner.discovered.clear();
        inner.waiting.clear();
        let mut keys: Vec<ObjKey> = inner.facts.keys().cloned().collect();
        // Owners before what they own (see `Kind`), so nothing waits for an object that is here.
        keys.sort();
        for key in keys {
            inner.place(&mapper, &key);
        }
        let mut touched: BTreeSet<Arc<str>> = BTreeSet::new();
        for (s, objs) in &before {
            if inner.by_service.get(s) != Some(objs) {
                touched.insert(s.clone());
            }
        }
        for s in inner.by_service.keys() {
            if !before.contains_key(s) {
                touched.insert(s.clone());
            }
        }
        for (key, services) in members_before.iter().chain(inner.members.iter()) {
            if relisted(key) {
                touched.extend(services.iter().cloned());
            }
        }
        drop(inner);
        self.announce(touched);
    }

    /// The objects of one service in this cluster.
    pub fn objects_of(&self, service: &str) -> Vec<ObjKey> {
        self.lock()
            .by_service
            .get(service)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// True when the service has workloads or pods here.
    pub fn runs(&self, service: &str) -> bool {
        self.lock()
            .by_service
            .get(service)
            .is_some_and(|objs| objs.iter().any(|k| k.kind.is_workload()))
    }

    /// Changes whenever a service appears here or leaves (see [`ClusterIndex::running_services`]).
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Services with workloads or pods here.
    pub fn running_services(&self) -> Vec<Arc<str>> {
        self.lock()
            .by_service
            .iter()
            .filter(|(_, objs)| objs.iter().any(|k| k.kind.is_workload()))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// Services found here that no descriptor defines.
    pub fn discovered(&self) -> Vec<Arc<str>> {
        self.lock()
            .discovered
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// The labels of each object of `keys` (empty where the index does not know it), in order.
    pub fn labels_of(&self, keys: &[ObjKey]) -> Vec<Arc<BTreeMap<String, String>>> {
        let inner = self.lock();
        keys.iter()
            .map(|k| {
                inner
                    .facts
                    .get(k)
                    .map(|f| f.labels.clone())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// The service an object belongs to, if any (for events and tests).
    pub fn services_of(&self, key: &ObjKey) -> Vec<Arc<str>> {
        self.lock().members.get(key).cloned().unwrap_or_default()
    }
}

/// The objects `key` links to (owners, scale target, event subject), in its namespace.
fn owners<'a>(key: &'a ObjKey, fact: &'a Fact) -> impl Iterator<Item = ObjKey> + 'a {
    fact.links.iter().map(|(kind, name)| ObjKey {
        kind: *kind,
        namespace: key.namespace.clone(),
        name: name.clone(),
    })
}

impl Inner {
    /// The fact with its labels shared with an equal set already stored. Sets no object uses any
    /// more are dropped whenever the pool has doubled since the last sweep.
    fn intern(&mut self, mut fact: Fact) -> Fact {
        match self.label_sets.get(&*fact.labels) {
            Some(shared) => fact.labels = shared.clone(),
            None => {
                self.label_sets.insert(fact.labels.clone());
                if self.label_sets.len() > 2 * self.swept_at.max(512) {
                    self.label_sets.retain(|l| Arc::strong_count(l) > 1);
                    self.swept_at = self.label_sets.len();
                }
            }
        }
        fact
    }

    /// Links the stored object `key` to its services; one that finds none waits for the owners it
    /// links to. Returns its services.
    fn place(&mut self, mapper: &Mapper, key: &ObjKey) -> Vec<Arc<str>> {
        let Some(fact) = self.facts.get(key) else {
            return Vec::new();
        };
        let services = self.resolve(mapper, key, fact);
        if services.is_empty() {
            let owners: Vec<ObjKey> = owners(key, fact).collect();
            for owner in owners {
                self.waiting.entry(owner).or_default().insert(key.clone());
            }
        }
        self.link(mapper, key.clone(), services.clone());
        services
    }

    /// [`Inner::place`]s `key`, then whatever waited for it, and so on down. Returns every
    /// service that gained an object.
    fn place_with_waiting(&mut self, mapper: &Mapper, key: ObjKey) -> BTreeSet<Arc<str>> {
        let mut touched = BTreeSet::new();
        let mut next = vec![key];
        while let Some(key) = next.pop() {
            let services = self.place(mapper, &key);
            if services.is_empty() {
                continue;
            }
            touched.extend(services);
            for waiter in self.waiting.remove(&key).unwrap_or_default() {
                self.unwait(&waiter);
                next.push(waiter);
            }
        }
        touched
    }

    /// Stops `key` waiting for its owners (it changed, was deleted, or found its service).
    fn unwait(&mut self, key: &ObjKey) {
        if self.members.contains_key(key) {
            return; // only objects without a service wait
        }
        let Some(fact) = self.facts.get(key) else {
            return;
        };
        for owner in owners(key, fact) {
            if let Some(waiters) = self.waiting.get_mut(&owner) {
                waiters.remove(key);
                if waiters.is_empty() {
                    self.waiting.remove(&owner);
                }
            }
        }
    }

    fn unlink(&mut self, key: &ObjKey) -> BTreeSet<Arc<str>> {
        let old = self.members.remove(key).unwrap_or_default();
        for s in &old {
            if let Some(set) = self.by_service.get_mut(s) {
                set.remove(key);
                if set.is_empty() {
                    self.by_service.remove(s);
                    self.generation += 1;
                }
            }
            if key.kind.is_workload() {
                if let Some(n) = self.discovered.get_mut(s) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        self.discovered.remove(s);
                    }
                }
            }
        }
        old.into_iter().collect()
    }

    fn link(&mut self, mapper: &Mapper, key: ObjKey, services: Vec<Arc<str>>) {
        for s in &services {
            let set = self.by_service.entry(s.clone()).or_insert_with(|| {
                self.generation += 1;
                BTreeSet::new()
            });
            set.insert(key.clone());
            if key.kind.is_workload() && !mapper.is_described(s) {
                *self.discovered.entry(s.clone()).or_default() += 1;
            }
        }
        if !services.is_empty() {
            self.members.insert(key, services);
        }
    }

    fn resolve(&self, mapper: &Mapper, key: &ObjKey, fact: &Fact) -> Vec<Arc<str>> {
        if key.kind != Kind::Event {
            let direct = mapper.direct(&fact.labels, &key.namespace);
            if !direct.is_empty() {
                return direct;
            }
        }
        let mut out: Vec<Arc<str>> = Vec::new();
        for owner in owners(key, fact) {
            for s in self.members.get(&owner).into_iter().flatten() {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
        if !out.is_empty()
            || !key.kind.is_workload()
            || SYSTEM_NAMESPACES.contains(&key.namespace.as_str())
        {
            return out;
        }
        // Found only in the cluster: named after its labels, else (not managed by a controller) itself.
        let natural = [ID_LABEL, NAME_LABEL, APP_LABEL]
            .iter()
            .find_map(|l| fact.labels.get(*l).filter(|v| !v.is_empty()))
            .cloned()
            .or_else(|| (!fact.controlled).then(|| key.name.clone()));
        natural
            .filter(|n| !mapper.is_described(n))
            .map(|n| vec![Arc::from(n.as_str())])
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(id: Option<&str>, selector: Option<&str>, ns: Option<&str>) -> KubernetesSelector {
        KubernetesSelector {
            id: id.map(String::from),
            label_selector: selector.map(String::from),
            namespace: ns.map(String::from),
        }
    }

    fn index(
        services: &[(&str, KubernetesSelector)],
    ) -> (ClusterIndex, broadcast::Receiver<Change>) {
        let list: Vec<(String, KubernetesSelector)> = services
            .iter()
            .map(|(n, s)| (n.to_string(), s.clone()))
            .collect();
        let (mapper, errors) = Mapper::new(&list);
        assert!(errors.is_empty(), "{errors:?}");
        let (tx, rx) = broadcast::channel(64);
        (
            ClusterIndex::new("c1", Arc::new(RwLock::new(Arc::new(mapper))), tx),
            rx,
        )
    }

    fn key(kind: Kind, ns: &str, name: &str) -> ObjKey {
        ObjKey {
            kind,
            namespace: ns.into(),
            name: name.into(),
        }
    }

    fn fact(labels: &[(&str, &str)], links: &[(Kind, &str)]) -> Fact {
        Fact {
            labels: Arc::new(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            links: links.iter().map(|(k, n)| (*k, n.to_string())).collect(),
            controlled: !links.is_empty(),
        }
    }

    fn names(v: Vec<Arc<str>>) -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn annotations_labels_owners_and_targets_map_objects_to_services() {
        let (ix, _rx) = index(&[
            ("cart", sel(None, None, None)),
            ("accounts", sel(Some("acct"), None, Some("identity"))),
            (
                "permissions",
                sel(
                    None,
                    Some("app.kubernetes.io/name=perm,tier in (api)"),
                    None,
                ),
            ),
        ]);
        let cases = [
            (
                key(Kind::Deployment, "shop", "cart"),
                fact(&[("app", "cart")], &[]),
                vec!["cart"],
            ),
            (
                key(Kind::Deployment, "identity", "acct"),
                fact(&[("backstage.io/kubernetes-id", "acct")], &[]),
                vec!["accounts"],
            ),
            (
                key(Kind::Deployment, "other", "acct"),
                fact(&[("backstage.io/kubernetes-id", "acct")], &[]),
                vec!["acct"], // outside the namespace limit: discovered
            ),
            (
                key(Kind::Deployment, "identity", "perm"),
                fact(&[("app.kubernetes.io/name", "perm"), ("tier", "api")], &[]),
                vec!["permissions"],
            ),
            (
                key(Kind::ReplicaSet, "shop", "cart-abc"),
                fact(&[], &[(Kind::Deployment, "cart")]),
                vec!["cart"],
            ),
            (
                key(Kind::Pod, "shop", "cart-abc-1"),
                fact(&[], &[(Kind::ReplicaSet, "cart-abc")]),
                vec!["cart"],
            ),
            (
                key(Kind::HorizontalPodAutoscaler, "shop", "cart"),
                fact(&[], &[(Kind::Deployment, "cart")]),
                vec!["cart"],
            ),
            (
                key(Kind::Event, "shop", "cart-abc-1.1"),
                fact(&[("app", "cart")], &[(Kind::Pod, "cart-abc-1")]),
                vec!["cart"],
            ),
            (
                key(Kind::Deployment, "tools", "debug"),
                fact(&[], &[]),
                vec!["debug"], // discovered under its own name
            ),
            (
                key(Kind::Deployment, "kube-system", "coredns"),
                fact(&[], &[]),
                vec![],
            ),
            (
                key(Kind::Service, "shop", "unrelated"),
                fact(&[], &[]),
                vec![],
            ),
        ];
        for (k, f, want) in cases {
            ix.apply(k.clone(), f);
            assert_eq!(names(ix.services_of(&k)), want, "{k:?}");
        }
        assert_eq!(names(ix.discovered()), vec!["acct", "debug"]);
        assert!(ix.runs("cart"));
        assert_eq!(ix.objects_of("cart").len(), 5);
    }

    #[test]
    fn changes_announce_exactly_the_services_they_touch() {
        let (ix, mut rx) = index(&[("a", sel(None, None, None)), ("b", sel(None, None, None))]);
        let k = key(Kind::Deployment, "ns", "x");
        ix.apply(k.clone(), fact(&[("app", "a")], &[]));
        ix.apply(k.clone(), fact(&[("app", "b")], &[]));
        ix.delete(&k);
        let mut seen = Vec::new();
        while let Ok(Change::Objects { services, .. }) = rx.try_recv() {
            seen.push(names(services.to_vec()));
        }
        assert_eq!(seen, vec![vec!["a"], vec!["a", "b"], vec!["b"]]);
    }

    #[test]
    fn a_relist_drops_what_disappeared_and_resolves_owners_in_order() {
        let (ix, _rx) = index(&[("a", sel(None, None, None))]);
        ix.apply(key(Kind::Pod, "ns", "gone"), fact(&[("app", "a")], &[]));
        // The pod arrives before its owner: the rebuild after the relist still finds the service.
        ix.replace(
            Kind::Pod,
            None,
            vec![(
                key(Kind::Pod, "ns", "p"),
                fact(&[], &[(Kind::Deployment, "d")]),
            )],
        );
        ix.replace(
            Kind::Deployment,
            None,
            vec![(key(Kind::Deployment, "ns", "d"), fact(&[("app", "a")], &[]))],
        );
        let objs: Vec<String> = ix.objects_of("a").iter().map(|k| k.name.clone()).collect();
        assert_eq!(objs, vec!["d", "p"]);
    }

    #[test]
    fn a_relist_announces_every_service_with_objects_of_that_kind() {
        // Objects may change while no watch is open: after a relist every service with an object
        // of the relisted kind (in its namespace) is told, even when its set of objects is the same.
        let services = [
            ("a", sel(None, None, None)),
            ("b", sel(None, None, None)),
            ("c", sel(None, None, None)),
        ];
        let (ix, mut rx) = index(&services);
        ix.apply(key(Kind::Pod, "ns", "pa"), fact(&[("app", "a")], &[]));
        ix.apply(key(Kind::Pod, "other", "pb"), fact(&[("app", "b")], &[]));
        ix.apply(key(Kind::Deployment, "ns", "c"), fact(&[("app", "c")], &[]));
        while rx.try_recv().is_ok() {}
        ix.replace(
            Kind::Pod,
            Some("ns"),
            vec![(key(Kind::Pod, "ns", "pa"), fact(&[("app", "a")], &[]))],
        );
        let Ok(Change::Objects { services, .. }) = rx.try_recv() else {
            panic!("a relist announces its services");
        };
        assert_eq!(names(services.to_vec()), vec!["a"]);
        ix.replace(Kind::Pod, None, Vec::new());
        let Ok(Change::Objects { services, .. }) = rx.try_recv() else {
            panic!("a relist that empties the kind announces who lost objects");
        };
        assert_eq!(names(services.to_vec()), vec!["a", "b"]);
    }

    #[test]
    fn an_event_or_hpa_that_arrives_before_its_subject_joins_the_service_when_it_comes() {
        // Each kind has a watch of its own: nothing orders an event before the object it is about.
        let (ix, mut rx) = index(&[]);
        let event = key(Kind::Event, "ns", "hostile.1");
        let hpa = key(Kind::HorizontalPodAutoscaler, "ns", "hostile");
        let gone = key(Kind::Event, "ns", "hostile.2");
        ix.apply(event.clone(), fact(&[], &[(Kind::Deployment, "hostile")]));
        ix.apply(hpa.clone(), fact(&[], &[(Kind::Deployment, "hostile")]));
        ix.apply(gone.clone(), fact(&[], &[(Kind::Deployment, "hostile")]));
        ix.delete(&gone);
        assert!(ix.services_of(&event).is_empty());
        assert!(rx.try_recv().is_err(), "nothing belongs to a service yet");
        let deployment = key(Kind::Deployment, "ns", "hostile");
        ix.apply(
            deployment.clone(),
            fact(&[("app.kubernetes.io/name", "hostile")], &[]),
        );
        assert_eq!(names(ix.services_of(&event)), vec!["hostile"]);
        assert_eq!(names(ix.services_of(&hpa)), vec!["hostile"]);
        assert!(ix.services_of(&gone).is_empty());
        let objs: Vec<String> = ix
            .objects_of("hostile")
            .iter()
            .map(|k| k.name.clone())
            .collect();
        assert_eq!(objs, vec!["hostile", "hostile", "hostile.1"]);
        let Ok(Change::Objects { services, .. }) = rx.try_recv() else {
            panic!("the service is announced once, with what waited for it");
        };
        assert_eq!(names(services.to_vec()), vec!["hostile"]);
        assert!(ix.lock().waiting.is_empty(), "nothing is left waiting");
    }

    #[test]
    fn a_bad_label_selector_is_reported() {
        let (_, errors) = Mapper::new(&[("x".into(), sel(None, Some("a in b"), None))]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("x: label selector"));
    }

    #[test]
    fn kinds_are_named_in_urls_as_kubectl_takes_them() {
        for (segment, kind) in [
            ("Deployment", Some(Kind::Deployment)),
            ("deployments", Some(Kind::Deployment)),
            ("pod", Some(Kind::Pod)),
            ("pods", Some(Kind::Pod)),
            ("ingresses", Some(Kind::Ingress)),
            ("poddisruptionbudgets", Some(Kind::PodDisruptionBudget)),
            ("pdb", None),
            (
                "horizontalpodautoscalers",
                Some(Kind::HorizontalPodAutoscaler),
            ),
            ("ReplicaSet", Some(Kind::ReplicaSet)),
            ("services", Some(Kind::Service)),
            ("events", None),
            ("secrets", None),
            ("deploymentss", None),
        ] {
            assert_eq!(Kind::from_path(segment), kind, "{segment}");
        }
        assert!(Kind::OWNED
            .iter()
            .all(|k| Kind::from_api(k.api_name()) == Some(*k)));
    }
}
