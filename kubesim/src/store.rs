//! One cluster's objects: a global resourceVersion, a bounded change history for watches, compaction.

use crate::resources::Resource;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{broadcast, watch};

/// `(namespace, name)`; the namespace is empty for cluster-scoped objects.
pub type Key = (String, String);

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// The watch event's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// A stored object: its JSON text (what lists and watches send, byte for byte) and the few fields
/// that filtering needs. Text is about a tenth of the memory of a parsed `serde_json::Value`.
#[derive(Debug)]
pub struct Obj {
    pub text: Box<str>,
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub labels: Vec<(Box<str>, Box<str>)>,
}

impl Obj {
    fn new(value: &Value) -> Self {
        let labels = value
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().into(), v.as_str().unwrap_or("").into()))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            text: value.to_string().into_boxed_str(),
            namespace: value
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
            name: value
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
            labels,
        }
    }

    /// The object parsed (for controllers, tables and field selectors).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The value of label `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }
}

/// One change, as watches replay it.
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub kind: EventType,
    /// The stored resource (`pods`, `deployments`…).
    pub store: &'static str,
    pub object: Arc<Obj>,
}

/// Why a write was refused; the API turns each into the apiserver's Status.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
}

/// A watch asked for history that compaction removed.
#[derive(Debug, PartialEq, Eq)]
pub struct Expired {
    pub requested: u64,
    pub oldest: u64,
}

/// Everything a watch needs to start: what to send first, then the live feed.
pub struct WatchStart {
    /// Changes (or synthetic ADDED objects) to send before live ones.
    pub backlog: Vec<Arc<Change>>,
    /// The resourceVersion the backlog brings the client to.
    pub rv: u64,
    pub live: broadcast::Receiver<Arc<Change>>,
    pub drops: watch::Receiver<u64>,
}

struct Inner {
    rv: u64,
    objects: HashMap<&'static str, BTreeMap<Key, Arc<Obj>>>,
    history: VecDeque<Arc<Change>>,
    /// Watches from a resourceVersion below this are answered 410 Expired.
    oldest: u64,
    history_limit: usize,
    rng: u64,
}

/// One cluster's object store.
pub struct Store {
    inner: Mutex<Inner>,
    changes: broadcast::Sender<Arc<Change>>,
    drops: watch::Sender<u64>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(10_000, 0x5eed)
    }
}

impl Store {
    /// A store keeping `history_limit` changes for watches; `seed` makes names reproducible.
    pub fn new(history_limit: usize, seed: u64) -> Self {
        let (changes, _) = broadcast::channel(2048);
        let (drops, _) = watch::channel(0);
        Self {
            inner: Mutex::new(Inner {
                rv: 1000,
                objects: HashMap::new(),
                history: VecDeque::new(),
                oldest: 1000,
                history_limit,
                rng: seed | 1,
            }),
            changes,
            drops,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current resourceVersion.
    pub fn rv(&self) -> u64 {
        self.lock().rv
    }

    /// Objects of a stored resource, parsed, in one namespace or all, with the list's resourceVersion.
    pub fn list(&self, store: &str, namespace: Option<&str>) -> (u64, Vec<Arc<Value>>) {
        let (rv, objs) = self.list_objs(store, namespace);
        (rv, objs.iter().map(|o| Arc::new(o.value())).collect())
    }

    /// Objects of a stored resource as stored (text), for the API's fast path.
    pub fn list_objs(&self, store: &str, namespace: Option<&str>) -> (u64, Vec<Arc<Obj>>) {
        let inner = self.lock();
        let items = inner
            .objects
            .get(store)
            .map(|m| {
                m.iter()
                    .filter(|((ns, _), _)| namespace.is_none_or(|want| want == ns))
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default();
        (inner.rv, items)
    }

    /// One object, parsed.
    pub fn get(&self, store: &str, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.get_obj(store, namespace, name)
            .map(|o| Arc::new(o.value()))
    }

    /// One object as stored.
    pub fn get_obj(&self, store: &str, namespace: &str, name: &str) -> Option<Arc<Obj>> {
        self.lock()
            .objects
            .get(store)?
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// A random lower-case alphanumeric suffix, as generateName and ReplicaSets use.
    pub fn random_suffix(&self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let mut inner = self.lock();
        (0..len)
            .map(|_| ALPHABET[(next(&mut inner.rng) % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    /// Creates an object. With `preserve`, uid, creationTimestamp and status stay as written.
    pub fn create(
        &self,
        r: &Resource,
        namespace: &str,
        mut object: Value,
        preserve: bool,
    ) -> Result<Arc<Value>, StoreError> {
        let mut inner = self.lock();
        let meta = metadata_mut(&mut object)?;
        if meta
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            let Some(prefix) = meta
                .get("generateName")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                return Err(StoreError::Invalid(format!("{} \"\" is invalid: metadata.name: Required value: name or generateName is required", r.kind)));
            };
            let suffix: String = (0..5)
                .map(|_| (b'a' + (next(&mut inner.rng) % 26) as u8) as char)
                .collect();
            meta.insert("name".into(), json!(format!("{prefix}{suffix}")));
        }
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if r.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        } else {
            meta.remove("namespace");
        }
        let key = (
            if r.namespaced {
                namespace.to_string()
            } else {
                String::new()
            },
            name.clone(),
        );
        if inner
            .objects
            .get(r.store)
            .is_some_and(|m| m.contains_key(&key))
        {
            return Err(StoreError::AlreadyExists(format!(
                "{} \"{name}\" already exists",
                r.qualified()
            )));
        }
        let uid = uuid(&mut inner.rng);
        // kubectl writes `creationTimestamp: null` (and, in protobuf, `generation: 0`): unset.
        let unset = |v: Option<&Value>| {
            matches!(v, None | Some(Value::Null)) || v == Some(&json!("")) || v == Some(&json!(0))
        };
        if !preserve || unset(meta.get("uid")) {
            meta.insert("uid".into(), json!(uid));
        }
        if !preserve || unset(meta.get("creationTimestamp")) {
            meta.insert("creationTimestamp".into(), json!(now()));
        }
        if !preserve || unset(meta.get("generation")) {
            meta.insert("generation".into(), json!(1));
        }
        object["apiVersion"] = json!(r.api_version());
        object["kind"] = json!(r.kind);
        if r.plural == "services" {
            // As the apiserver: a type by default, and a cluster IP from the service range.
            let spec = &mut object["spec"];
            if spec.get("type").is_none_or(Value::is_null) {
                spec["type"] = json!("ClusterIP");
            }
            if spec["type"] != "ExternalName" && unset(spec.get("clusterIP")) {
                let n = next(&mut inner.rng);
                let ip = format!("10.96.{}.{}", (n >> 8) % 256, n % 254 + 1);
                spec["clusterIP"] = json!(ip);
                spec["clusterIPs"] = json!([ip]);
            }
        }
        crate::resources::validate(r, &object)
            .map_err(|e| StoreError::Invalid(format!("{} \"{name}\" is invalid: {e}", r.kind)))?;
        Ok(commit(
            &mut inner,
            &self.changes,
            r.store,
            key,
            object,
            EventType::Added,
        ))
    }

    /// Replaces an object. A resourceVersion in the object must match the stored one (409 otherwise).
    pub fn update(
        &self,
        r: &Resource,
        namespace: &str,
        name: &str,
        mut object: Value,
    ) -> Result<Arc<Value>, StoreError> {
        let mut inner = self.lock();
        let key = key_of(r, namespace, name);
        let Some(current) = inner
            .objects
            .get(r.store)
            .and_then(|m| m.get(&key))
            .map(|o| o.value())
        else {
            return Err(StoreError::NotFound(format!(
                "{} \"{name}\" not found",
                r.qualified()
            )));
        };
        let meta = metadata_mut(&mut object)?;
        let sent_rv = meta
            .get("resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
        let current_rv = current
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if sent_rv
            .as_deref()
            .is_some_and(|rv| !rv.is_empty() && rv != current_rv)
        {
            return Err(StoreError::Conflict(format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                r.qualified()
            )));
        }
        if meta
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n != name)
        {
            return Err(StoreError::Invalid(format!("{} \"{name}\" is invalid: metadata.name: Invalid value: the name of the object does not match the name in the URL", r.kind)));
        }
        meta.insert("name".into(), json!(name));
        for field in ["uid", "creationTimestamp"] {
            if let Some(v) = current.pointer(&format!("/metadata/{field}")) {
                meta.insert(field.into(), v.clone());
            }
        }
        if r.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        }
        let generation = current
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let spec_changed = current.get("spec") != object.get("spec");
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert(
                "generation".into(),
                json!(if spec_changed {
                    generation + 1
                } else {
                    generation
                }),
            );
        }
        object["apiVersion"] = json!(r.api_version());
        object["kind"] = json!(r.kind);
        crate::resources::validate(r, &object)
            .map_err(|e| StoreError::Invalid(format!("{} \"{name}\" is invalid: {e}", r.kind)))?;
        if strip_rv(&current) == strip_rv(&object) {
            return Ok(Arc::new(current));
        }
        Ok(commit(
            &mut inner,
            &self.changes,
            r.store,
            key,
            object,
            EventType::Modified,
        ))
    }

    /// Applies a JSON merge patch (RFC 7386) to an object.
    pub fn merge_patch(
        &self,
        r: &Resource,
        namespace: &str,
        name: &str,
        patch: &Value,
    ) -> Result<Arc<Value>, StoreError> {
        let current = self
            .get(r.store, if r.namespaced { namespace } else { "" }, name)
            .ok_or_else(|| {
                StoreError::NotFound(format!("{} \"{name}\" not found", r.qualified()))
            })?;
        let mut next = (*current).clone();
        merge(&mut next, patch);
        if patch.pointer("/metadata/resourceVersion").is_none() {
            if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("resourceVersion");
            }
        }
        self.update(r, namespace, name, next)
    }

    /// Changes an object in place with `f` (controllers); `None` when it does not exist.
    pub fn modify(
        &self,
        r: &Resource,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Option<Arc<Value>> {
        let current = self.get(r.store, if r.namespaced { namespace } else { "" }, name)?;
        let mut next = (*current).clone();
        f(&mut next);
        if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
        }
        self.update(r, namespace, name, next).ok()
    }

    /// Deletes an object; watches get DELETED with the last state.
    pub fn delete(
        &self,
        r: &Resource,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Value>, StoreError> {
        let mut inner = self.lock();
        let key = key_of(r, namespace, name);
        let Some(object) = inner.objects.get_mut(r.store).and_then(|m| m.remove(&key)) else {
            return Err(StoreError::NotFound(format!(
                "{} \"{name}\" not found",
                r.qualified()
            )));
        };
        let mut object = object.value();
        inner.rv += 1;
        let rv = inner.rv;
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        record(
            &mut inner,
            &self.changes,
            Change {
                rv,
                kind: EventType::Deleted,
                store: r.store,
                object: Arc::new(Obj::new(&object)),
            },
        );
        let object = Arc::new(object);
        Ok(object)
    }

    /// Starts a watch. `from` = None sends every current object as ADDED first (a fresh watch).
    pub fn watch(&self, store: &str, from: Option<u64>) -> Result<WatchStart, Expired> {
        let inner = self.lock();
        let live = self.changes.subscribe();
        let drops = self.drops.subscribe();
        let backlog = match from {
            None => {
                let store_name = crate::resources::intern(store);
                inner
                    .objects
                    .get(store)
                    .map(|m| {
                        m.values()
                            .map(|o| {
                                Arc::new(Change {
                                    rv: inner.rv,
                                    kind: EventType::Added,
                                    store: store_name,
                                    object: o.clone(),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            }
            Some(rv) if rv < inner.oldest => {
                return Err(Expired {
                    requested: rv,
                    oldest: inner.oldest,
                })
            }
            Some(rv) => inner
                .history
                .iter()
                .filter(|c| c.rv > rv && c.store == store)
                .cloned()
                .collect(),
        };
        Ok(WatchStart {
            backlog,
            rv: inner.rv,
            live,
            drops,
        })
    }

    /// Forgets all history: every watch from an older resourceVersion now gets 410 Expired.
    pub fn compact(&self) {
        let mut inner = self.lock();
        inner.history.clear();
        inner.oldest = inner.rv;
    }

    /// Ends every open watch stream, as an apiserver restart or a network cut does.
    pub fn drop_watches(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    /// True when `rv` is older than the retained history (a continue token from then is expired).
    pub fn is_expired(&self, rv: u64) -> bool {
        rv < self.lock().oldest
    }

    /// Counts objects per stored resource, for logs and tests.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.lock()
            .objects
            .iter()
            .map(|(k, v)| (*k, v.len()))
            .collect()
    }
}

/// Where an object of `r` lives: cluster-scoped objects have no namespace.
fn key_of(r: &Resource, namespace: &str, name: &str) -> Key {
    (
        if r.namespaced {
            namespace.to_string()
        } else {
            String::new()
        },
        name.to_string(),
    )
}

fn metadata_mut(object: &mut Value) -> Result<&mut Map<String, Value>, StoreError> {
    if !object.is_object() {
        return Err(StoreError::Invalid(
            "the object must be a JSON object".into(),
        ));
    }
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({});
    }
    object["metadata"]
        .as_object_mut()
        .ok_or_else(|| StoreError::Invalid("metadata must be an object".into()))
}

fn strip_rv(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    v
}

fn commit(
    inner: &mut Inner,
    changes: &broadcast::Sender<Arc<Change>>,
    store: &'static str,
    key: Key,
    mut object: Value,
    kind: EventType,
) -> Arc<Value> {
    inner.rv += 1;
    let rv = inner.rv;
    object["metadata"]["resourceVersion"] = json!(rv.to_string());
    let stored = Arc::new(Obj::new(&object));
    inner
        .objects
        .entry(store)
        .or_default()
        .insert(key, stored.clone());
    record(
        inner,
        changes,
        Change {
            rv,
            kind,
            store,
            object: stored,
        },
    );
    Arc::new(object)
}

fn record(inner: &mut Inner, changes: &broadcast::Sender<Arc<Change>>, change: Change) {
    let change = Arc::new(change);
    inner.history.push_back(change.clone());
    while inner.history.len() > inner.history_limit {
        if let Some(old) = inner.history.pop_front() {
            inner.oldest = old.rv;
        }
    }
    // No receiver is fine: nobody watches yet.
    let _ = changes.send(change);
}

/// RFC 7386 JSON merge patch.
pub fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            if let Some(t) = target.as_object_mut() {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn next(state: &mut u64) -> u64 {
    // xorshift64*: reproducible, dependency-free names and uids.
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn uuid(state: &mut u64) -> String {
    let a = next(state);
    let b = next(state);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48 & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// The current time as the apiserver writes it (RFC 3339, seconds, UTC).
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::find;

    fn pods() -> &'static Resource {
        find("", "v1", "pods").unwrap_or_else(|| panic!("pods"))
    }

    fn pod(name: &str) -> Value {
        json!({"metadata": {"name": name, "labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}})
    }

    #[test]
    fn writes_bump_the_resource_version_and_keep_history() {
        let s = Store::default();
        let a = s
            .create(pods(), "shop", pod("a"), false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a["metadata"]["resourceVersion"], "1001");
        assert_eq!(a["metadata"]["namespace"], "shop");
        assert_eq!(a["kind"], "Pod");
        let err = s.create(pods(), "shop", pod("a"), false).err();
        assert_eq!(
            err,
            Some(StoreError::AlreadyExists(
                "pods \"a\" already exists".into()
            ))
        );
        let patched = s
            .merge_patch(
                pods(),
                "shop",
                "a",
                &json!({"metadata": {"labels": {"app": null, "tier": "x"}}}),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(patched["metadata"]["labels"], json!({"tier": "x"}));
        let mut stale = (*a).clone();
        stale["metadata"]["labels"] = json!({});
        assert!(matches!(
            s.update(pods(), "shop", "a", stale),
            Err(StoreError::Conflict(_))
        ));
        s.delete(pods(), "shop", "a")
            .unwrap_or_else(|e| panic!("{e}"));
        let start = s
            .watch("pods", Some(1000))
            .unwrap_or_else(|e| panic!("{e:?}"));
        let kinds: Vec<EventType> = start.backlog.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [EventType::Added, EventType::Modified, EventType::Deleted]
        );
        assert_eq!(start.backlog[2].rv, 1003);
    }

    #[test]
    fn compaction_expires_old_versions() {
        let s = Store::default();
        s.create(pods(), "a", pod("x"), false)
            .unwrap_or_else(|e| panic!("{e}"));
        s.compact();
        assert_eq!(
            s.watch("pods", Some(1000)).err(),
            Some(Expired {
                requested: 1000,
                oldest: 1001
            })
        );
        assert!(s.watch("pods", Some(1001)).is_ok());
        assert!(s.is_expired(1000));
    }

    #[test]
    fn invalid_objects_are_refused() {
        let s = Store::default();
        let bad = json!({"metadata": {"name": "x"}, "spec": {"containers": "not a list"}});
        assert!(matches!(
            s.create(pods(), "a", bad, false),
            Err(StoreError::Invalid(_))
        ));
        let nameless = json!({"metadata": {"generateName": "job-"}, "spec": {"containers": []}});
        let made = s
            .create(pods(), "a", nameless, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(made["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("job-") && n.len() == 9));
    }

    #[test]
    fn preserve_keeps_what_was_written() {
        let s = Store::default();
        let mut p = pod("kept");
        p["metadata"]["uid"] = json!("u-1");
        p["metadata"]["creationTimestamp"] = json!("2026-11-20T09:00:00Z");
        p["status"] = json!({"phase": "Pending"});
        let made = s
            .create(pods(), "a", p, true)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(made["metadata"]["uid"], "u-1");
        assert_eq!(
            made["metadata"]["creationTimestamp"],
            "2026-11-20T09:00:00Z"
        );
        assert_eq!(made["status"]["phase"], "Pending");
    }
}
