//! The watch loops and their supervisor. Each kind of a cluster runs in its own task (one
//! reflector, or one per readable namespace); the cluster's supervisor owns those tasks, and a task
//! that ends or panics turns its cluster stale at once and is started again with backoff.

use super::super::history::ReplicaHistory;
use super::super::index::{ClusterIndex, Fact, Kind, ObjKey};
use super::kinds::Watched;
use super::status::{classify, Scope, Summary, Trouble, WatchStatus};
use super::stores::Shards;
use super::trim::Trim;
use app::model::ClusterState;
use futures::future::BoxFuture;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::reflector;
use kube::runtime::watcher;
use kube::{Api, Client};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

/// What every reflector of one cluster shares.
pub(super) struct Ctx {
    /// The cluster's name, for the log.
    pub cluster: String,
    pub client: Client,
    pub status: Arc<WatchStatus>,
    pub index: Arc<ClusterIndex>,
    pub history: Arc<ReplicaHistory>,
    /// The configured namespace allow-list (empty: the whole cluster).
    pub allow: Vec<String>,
    pub namespaces: Shards<Namespace>,
}

impl Ctx {
    /// The cluster's badge changed: says so in the log (once per change, never per retry) and
    /// tells every open page.
    fn changed(&self) {
        log_state(&self.cluster, &self.status.summary());
        self.index.status_changed();
    }
}

/// One line for a cluster's new state: a condition that persists is logged when it starts, when it
/// changes and when it ends, never at every retry.
pub fn log_state(cluster: &str, s: &Summary) {
    let mut detail = Vec::new();
    if !s.forbidden_kinds.is_empty() {
        detail.push(format!("may not read {}", s.forbidden_kinds.join(", ")));
    }
    if !s.hidden_namespaces.is_empty() {
        detail.push(format!(
            "hidden namespaces: {}",
            s.hidden_namespaces.join(", ")
        ));
    }
    if let Some(m) = &s.message {
        detail.push(m.clone());
    }
    let detail = detail.join("; ");
    let state = s.state.id();
    match s.state {
        ClusterState::Synced | ClusterState::Connecting => {
            tracing::info!(cluster, state, "cluster is {state}")
        }
        _ => tracing::warn!(cluster, state, "cluster is {state}: {detail}"),
    }
}

/// Retry delays after a failed watch: quick at first, at most every 10 s.
const MIN_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A namespace the identity may not read is tried again this often (RBAC may change).
const FORBIDDEN_RETRY: Duration = Duration::from_secs(15);
/// A kind whose CustomResourceDefinition is not installed is looked for again this often.
const ABSENT_RETRY: Duration = Duration::from_secs(60);
/// How often per-namespace watches look for new namespaces.
const NAMESPACE_RESCAN: Duration = Duration::from_secs(30);
/// A task restarted by the supervisor waits this long at first, doubling while it keeps dying…
const RESTART_MIN: Duration = Duration::from_millis(500);
/// …up to this.
const RESTART_MAX: Duration = Duration::from_secs(30);
/// A task that ran this long before it died is restarted as if it had never died before.
const RESTART_FORGIVEN_AFTER: Duration = Duration::from_secs(60);

/// A task the supervisor can start again: its kind, and how to start it.
pub struct Task {
    pub kind: &'static str,
    pub start: Box<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>,
}

/// Orders for a cluster's supervisor.
#[derive(Debug)]
pub enum Control {
    /// Stop one kind's task as if it had died (tests use it to prove the supervisor works).
    Kill(&'static str),
    /// Hold restarts (true) until released (false), so a test can look at a cluster while one
    /// of its tasks is dead.
    Hold(bool),
}

/// The watch task of one kind, started by the supervisor; returns the kind's caches.
pub(super) fn kind_task<K: Watched>(
    ctx: &Arc<Ctx>,
    kind: &'static str,
    config: watcher::Config,
    tasks: &mut Vec<Task>,
) -> Shards<K> {
    kind_task_into(ctx, kind, config, Shards::default(), tasks)
}

/// [`kind_task`] filling caches made before.
pub(super) fn kind_task_into<K: Watched>(
    ctx: &Arc<Ctx>,
    kind: &'static str,
    config: watcher::Config,
    shards: Shards<K>,
    tasks: &mut Vec<Task>,
) -> Shards<K> {
    let (ctx, out) = (ctx.clone(), shards.clone());
    tasks.push(Task {
        kind,
        start: Box::new(move || {
            Box::pin(watch_kind::<K>(
                ctx.clone(),
                kind,
                config.clone(),
                shards.clone(),
            ))
        }),
    });
    out
}

/// What a task's end says, for the cluster's message.
fn why_it_ended(done: &Result<(), tokio::task::JoinError>) -> String {
    match done {
        Ok(()) => "ended".into(),
        Err(e) if e.is_cancelled() => "was stopped".into(),
        Err(_) => "panicked".into(),
    }
}

/// Runs every task of one cluster and restarts any that ends or panics, after marking its kind
/// stopped (the cluster turns stale, with the reason, until the new task has relisted). Returns
/// when `control` closes; dropping it stops every task.
pub async fn supervise(
    cluster: String,
    status: Arc<WatchStatus>,
    index: Arc<ClusterIndex>,
    tasks: Vec<Task>,
    mut control: mpsc::UnboundedReceiver<Control>,
) {
    let mut set: JoinSet<()> = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut handles: Vec<Option<AbortHandle>> = vec![None; tasks.len()];
    // Per task: when it was last started, and how many times in a row it died young.
    let mut started: Vec<(Instant, u32)> = vec![(Instant::now(), 0); tasks.len()];
    // Restarts waiting while held.
    let mut held: Option<Vec<usize>> = None;
    // Starts task `i` (its future `run`) and records it as running.
    let spawn = |set: &mut JoinSet<()>,
                 running: &mut HashMap<tokio::task::Id, usize>,
                 handles: &mut Vec<Option<AbortHandle>>,
                 i: usize,
                 run: BoxFuture<'static, ()>| {
        let h = set.spawn(run);
        running.insert(h.id(), i);
        handles[i] = Some(h);
    };
    for (i, t) in tasks.iter().enumerate() {
        spawn(&mut set, &mut running, &mut handles, i, (t.start)());
    }
    loop {
        tokio::select! {
            Some(done) = set.join_next_with_id() => {
                let id = match &done {
                    Ok((id, ())) => *id,
                    Err(e) => e.id(),
                };
                let Some(i) = running.remove(&id) else { continue };
                let kind = tasks[i].kind;
                let why = why_it_ended(&done.map(|_| ()));
                let reason = format!("the {kind} watch {why}; it is being started again");
                tracing::error!(cluster = %cluster, kind, "{reason}");
                if status.stopped(kind, &reason) {
                    log_state(&cluster, &status.summary());
                    index.status_changed();
                }
                handles[i] = None;
                if let Some(waiting) = held.as_mut() {
                    waiting.push(i);
                    continue;
                }
                let (at, deaths) = &mut started[i];
                *deaths = if at.elapsed() >= RESTART_FORGIVEN_AFTER { 0 } else { *deaths + 1 };
                let delay = RESTART_MIN
                    .saturating_mul(1 << (*deaths).min(8))
                    .min(RESTART_MAX);
                *at = Instant::now() + delay;
                let task = (tasks[i].start)();
                let later = Box::pin(async move {
                    tokio::time::sleep(delay).await;
                    task.await;
                });
                spawn(&mut set, &mut running, &mut handles, i, later);
            }
            order = control.recv() => match order {
                Some(Control::Kill(kind)) => {
                    for (i, t) in tasks.iter().enumerate() {
                        if t.kind == kind {
                            if let Some(h) = &handles[i] {
                                h.abort();
                            }
                        }
                    }
                }
                Some(Control::Hold(true)) => {
                    held.get_or_insert_with(Vec::new);
                }
                Some(Control::Hold(false)) => {
                    for i in held.take().unwrap_or_default() {
                        started[i].0 = Instant::now();
                        spawn(&mut set, &mut running, &mut handles, i, (tasks[i].start)());
                    }
                }
                None => return,
            },
        }
    }
}

/// Watches a kind cluster-wide; where that is forbidden, watches each readable namespace instead.
async fn watch_kind<K: Watched>(
    ctx: Arc<Ctx>,
    kind: &'static str,
    config: watcher::Config,
    shards: Shards<K>,
) {
    let source = Arc::new(Source::<K>::of(kind, ctx.client.clone()));
    watch_source(ctx, source, config, shards).await;
}

/// What kube's reflector needs of a kind to list, watch and cache it: the typed kinds
/// ([`Watched`]) and configured custom resources (`DynamicObject`) alike.
pub(super) trait Cached:
    kube::Resource<DynamicType: Eq + std::hash::Hash + Clone + Send + Sync>
    + Trim
    + Clone
    + serde::de::DeserializeOwned
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Cached for K where
    K: kube::Resource<DynamicType: Eq + std::hash::Hash + Clone + Send + Sync>
        + Trim
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static
{
}

/// Where a kind's objects come from and what a watch learns of them: built from [`Watched`] for
/// the typed kinds, by hand for configured custom resources (`DynamicObject`s).
pub(super) struct Source<K: kube::Resource> {
    pub learn: Learn<K>,
    /// False for cluster-scoped kinds: never watched per namespace.
    pub namespaced: bool,
    /// The API of the whole cluster (`None`) or of one namespace.
    pub api: ApiOf<K>,
    /// What kube's reflector stores need to know of the type.
    pub dyntype: K::DynamicType,
}

impl<K: Watched> Source<K> {
    fn of(label: &'static str, client: Client) -> Self {
        Self {
            learn: Learn::of(label),
            namespaced: K::NAMESPACED,
            api: Box::new(move |scope| match scope {
                None => Api::all(client.clone()),
                Some(ns) => K::api_in(client.clone(), ns),
            }),
            dyntype: (),
        }
    }
}

/// Watches a source cluster-wide, or per namespace where an allow-list is configured or the
/// cluster-wide list is forbidden.
pub(super) async fn watch_source<K: Cached>(
    ctx: Arc<Ctx>,
    source: Arc<Source<K>>,
    config: watcher::Config,
    shards: Shards<K>,
) {
    let kind = source.learn.label;
    if source.namespaced && !ctx.allow.is_empty() {
        per_namespace(ctx.clone(), source, config, shards, false).await;
        return;
    }
    ctx.status.update(kind, &None, |_| {});
    let writer = reflector::store::Writer::new(source.dyntype.clone());
    shards.insert(None, writer.as_reader());
    let api = (source.api)(None);
    let fallback = source.namespaced;
    run_watch(
        &ctx,
        None,
        api,
        config.clone(),
        writer,
        fallback,
        &source.learn,
    )
    .await;
    // Only reached when a namespaced kind may not be listed cluster-wide.
    shards.remove(&None);
    if let Some(k) = source.learn.kind {
        ctx.index.replace(k, None, Vec::new());
    }
    // Said once for the cluster, with the namespaces it may not read (`log_state`).
    tracing::debug!(
        cluster = %ctx.cluster,
        kind,
        "may not list cluster-wide: watching each readable namespace instead"
    );
    per_namespace(ctx, source, config, shards, true).await;
}

/// One reflector per namespace: the allow-list, else every namespace the cluster lists (rescanned
/// now and then); `after_forbidden` says the cluster-wide watch was refused. A namespace's task that
/// ends is marked stopped and started again at the next scan.
async fn per_namespace<K: Cached>(
    ctx: Arc<Ctx>,
    source: Arc<Source<K>>,
    config: watcher::Config,
    shards: Shards<K>,
    after_forbidden: bool,
) {
    let kind = source.learn.label;
    // Dropped with this task: every namespace's watch stops with it.
    let mut set: JoinSet<()> = JoinSet::new();
    let mut running: BTreeMap<String, AbortHandle> = BTreeMap::new();
    let mut names: HashMap<tokio::task::Id, String> = HashMap::new();
    loop {
        let wanted: Vec<String> = if !ctx.allow.is_empty() {
            ctx.allow.clone()
        } else {
            let summary = ctx.status.summary();
            let namespaces_readable = !summary.forbidden_kinds.iter().any(|k| k == "namespaces");
            let listed: Vec<String> = ctx
                .namespaces
                .state()
                .iter()
                .filter_map(|n| n.metadata.name.clone())
                .collect();
            if listed.is_empty() && !namespaces_readable {
                if ctx.status.update(kind, &None, |k| {
                    k.synced = false;
                    k.trouble = Some(Trouble::Forbidden(format!(
                        "may not list {kind} cluster-wide nor list namespaces: name the namespaces to watch under clusters[].namespaces"
                    )));
                }) {
                    ctx.changed();
                }
            } else if !listed.is_empty() && after_forbidden {
                ctx.status.remove(kind, &None);
            }
            listed
        };
        for ns in &wanted {
            if running.contains_key(ns) {
                continue;
            }
            let scope = Some(ns.clone());
            ctx.status.update(kind, &scope, |_| {});
            let writer = reflector::store::Writer::new(source.dyntype.clone());
            shards.insert(scope.clone(), writer.as_reader());
            let api = (source.api)(Some(ns));
            let (c, cfg, source) = (ctx.clone(), config.clone(), source.clone());
            let h = set.spawn(async move {
                run_watch(&c, scope, api, cfg, writer, false, &source.learn).await;
            });
            names.insert(h.id(), ns.clone());
            running.insert(ns.clone(), h);
        }
        // Namespaces that went away.
        let gone: Vec<String> = running
            .keys()
            .filter(|n| !wanted.contains(n))
            .cloned()
            .collect();
        for ns in gone {
            if let Some(t) = running.remove(&ns) {
                t.abort();
            }
            let scope = Some(ns.clone());
            shards.remove(&scope);
            ctx.status.remove(kind, &scope);
            if let Some(k) = source.learn.kind {
                ctx.index.replace(k, Some(&ns), Vec::new());
            }
        }
        let pause = if !ctx.allow.is_empty() {
            // A fixed list: nothing to rescan, only dead tasks to start again.
            Duration::MAX
        } else if wanted.is_empty() {
            Duration::from_secs(1)
        } else {
            NAMESPACE_RESCAN
        };
        let wake = tokio::time::sleep(pause.min(Duration::from_secs(86_400 * 365)));
        tokio::select! {
            () = wake => {}
            Some(done) = set.join_next_with_id() => {
                let id = match &done { Ok((id, ())) => *id, Err(e) => e.id() };
                if let Some(ns) = names.remove(&id) {
                    // Gone from `running` unless aborted above (a namespace that went away).
                    if running.remove(&ns).is_some() {
                        let reason = format!(
                            "the {kind} watch of namespace {ns} {}; it is being started again",
                            why_it_ended(&done.map(|_| ()))
                        );
                        tracing::error!(kind, namespace = %ns, "{reason}");
                        if ctx.status.update(kind, &Some(ns.clone()), |k| {
                            k.synced = false;
                            k.trouble = Some(Trouble::Stopped(reason));
                        }) {
                            ctx.changed();
                        }
                        tokio::time::sleep(RESTART_MIN).await;
                    }
                }
            }
        }
    }
}

/// The API of a scope: the whole cluster (`None`) or one namespace.
pub(super) type ApiOf<K> = Box<dyn Fn(Option<&str>) -> Api<K> + Send + Sync>;

/// What a watch loop learns from the objects of one kind: the index's kind and view of each
/// object, whether the kind may be missing (a CRD's), and the replica count to keep a history of.
/// Built from [`Watched`] for the typed kinds, by hand for configured custom resources.
pub(super) struct Learn<K> {
    /// The kind's name in the cluster's status (`pods`, `certificates.cert-manager.io`).
    pub label: &'static str,
    pub kind: Option<Kind>,
    pub optional: bool,
    pub fact: FactOf<K>,
    pub sample: fn(&K) -> Option<i32>,
}

/// What the index learns of one object.
pub(super) type FactOf<K> = Box<dyn Fn(&K) -> Option<(ObjKey, Fact)> + Send + Sync>;

impl<K: Watched> Learn<K> {
    fn of(label: &'static str) -> Self {
        Self {
            label,
            kind: K::KIND,
            optional: K::OPTIONAL,
            fact: Box::new(K::fact),
            sample: K::replicas_sample,
        }
    }
}

/// Records an autoscaler's replica count in the cluster's history.
fn sample<K: kube::Resource>(ctx: &Ctx, learn: &Learn<K>, o: &K, now: jiff::Timestamp) {
    if let Some(r) = (learn.sample)(o) {
        let m = o.meta();
        ctx.history.record(
            m.namespace.as_deref().unwrap_or_default(),
            m.name.as_deref().unwrap_or_default(),
            r,
            now.as_second(),
        );
    }
}

/// True once the watch of `kind` in `scope` has synced at least once.
fn reader_synced(status: &WatchStatus, kind: &'static str, scope: &Scope) -> bool {
    status.ever_synced(kind, scope)
}

/// Runs one reflector until the task is dropped, recreating the watcher after errors. Returns only
/// when `stop_if_forbidden` and the apiserver refuses the list before it ever synced.
async fn run_watch<K: Cached>(
    ctx: &Ctx,
    scope: Scope,
    api: Api<K>,
    config: watcher::Config,
    mut writer: reflector::store::Writer<K>,
    stop_if_forbidden: bool,
    learn: &Learn<K>,
) {
    let kind = learn.label;
    let status = &ctx.status;
    let changed = |did: bool| {
        if did {
            ctx.changed();
        }
    };
    let mut backoff = MIN_BACKOFF;
    loop {
        // A fresh watcher after any error: it relists, so a recovery is always seen as a sync.
        // (A stream the apiserver merely closes is resumed inside the watcher, without a relist.)
        let stream = watcher(api.clone(), config.clone());
        let mut stream = std::pin::pin!(stream);
        let mut delay = backoff;
        // What the index learns of a relist, gathered until it is complete.
        let mut relisted: Vec<(ObjKey, Fact)> = Vec::new();
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => {
                    // The index reads the whole object (labels included); the cache keeps it
                    // trimmed.
                    let fact = match &event {
                        watcher::Event::Apply(o) => (learn.fact)(o),
                        watcher::Event::InitApply(o) => {
                            relisted.extend((learn.fact)(o));
                            None
                        }
                        watcher::Event::Init => {
                            relisted.clear();
                            None
                        }
                        _ => None,
                    };
                    let event = event.modify(Trim::trim);
                    writer.apply_watcher_event(&event);
                    let now = jiff::Timestamp::now();
                    match &event {
                        watcher::Event::InitDone => {
                            backoff = MIN_BACKOFF;
                            if let Some(k) = learn.kind {
                                ctx.index.replace(
                                    k,
                                    scope.as_deref(),
                                    std::mem::take(&mut relisted),
                                );
                            }
                            changed(status.update(kind, &scope, |k| {
                                k.synced = true;
                                k.ever_synced = true;
                                k.absent = false;
                                k.trouble = None;
                                k.last_sync = Some(now);
                            }));
                        }
                        watcher::Event::Init => {
                            status.update(kind, &scope, |k| {
                                if k.ever_synced {
                                    k.restarts += 1;
                                }
                            });
                        }
                        watcher::Event::InitApply(o) => sample(ctx, learn, o, now),
                        watcher::Event::Apply(o) => {
                            sample(ctx, learn, o, now);
                            if let Some((key, fact)) = fact {
                                ctx.index.apply(key, fact);
                            }
                            status.update(kind, &scope, |k| {
                                k.last_event = Some(now);
                                if k.synced {
                                    k.last_sync = Some(now);
                                }
                            });
                        }
                        watcher::Event::Delete(o) => {
                            if (learn.sample)(o).is_some() {
                                let m = o.meta();
                                ctx.history.remove(
                                    m.namespace.as_deref().unwrap_or_default(),
                                    m.name.as_deref().unwrap_or_default(),
                                );
                            }
                            if let Some((key, _)) = (learn.fact)(o) {
                                ctx.index.delete(&key);
                            }
                            status.update(kind, &scope, |k| {
                                k.last_event = Some(now);
                                if k.synced {
                                    k.last_sync = Some(now);
                                }
                            });
                        }
                    }
                }
                Err(watcher::Error::WatchError(s)) if s.code == 410 => {
                    // The history was compacted past our resourceVersion: an ordinary relist, not
                    // trouble. The cached data stays valid until the new list replaces it.
                    tracing::debug!(kind, "watch expired (410): relisting");
                    delay = Duration::ZERO;
                    backoff = Duration::ZERO;
                    break;
                }
                Err(e) if learn.optional && super::status::not_installed(&e) => {
                    // The cluster does not serve the kind (its CRD is not installed): nothing to
                    // watch, nothing wrong. Look again later, quietly.
                    changed(status.update(kind, &scope, |k| {
                        k.absent = true;
                        k.synced = true;
                        k.ever_synced = true;
                        k.trouble = None;
                    }));
                    delay = ABSENT_RETRY;
                    break;
                }
                Err(e) => {
                    let trouble = classify(&e);
                    let forbidden = matches!(trouble, Trouble::Forbidden(_));
                    if forbidden && stop_if_forbidden && !reader_synced(status, kind, &scope) {
                        // The caller falls back to per-namespace watches; until they run, this
                        // kind counts as not yet attempted (so `/readyz` waits for them).
                        return;
                    }
                    changed(status.update(kind, &scope, |k| {
                        // The cluster's line says it once (`log_state`); each kind's, for debugging.
                        tracing::debug!(
                            cluster = %ctx.cluster,
                            kind,
                            namespace = scope.as_deref(),
                            "watch failed: {e}"
                        );
                        if k.synced {
                            k.last_sync = Some(jiff::Timestamp::now());
                        }
                        k.synced = false;
                        k.trouble = Some(trouble);
                    }));
                    if forbidden {
                        delay = FORBIDDEN_RETRY;
                    }
                    break;
                }
            }
        }
        tokio::time::sleep(delay.max(backoff)).await;
        backoff = (backoff * 2).clamp(MIN_BACKOFF, MAX_BACKOFF);
    }
}
