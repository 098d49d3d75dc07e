//! A cluster's freshness: the state of each of its watches, and the one state a user sees (the
//! worst of them). Pure: fed by the watch loops and the supervisor, read by every view.

use app::model::ClusterState;
use kube::runtime::watcher;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

/// Why a watch is not live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trouble {
    Unreachable(String),
    Unauthorized(String),
    Forbidden(String),
    Other(String),
    /// The task running the watch ended or panicked; the supervisor is starting it again.
    Stopped(String),
}

impl Trouble {
    /// What it means, in words.
    pub fn words(&self) -> String {
        match self {
            Self::Unreachable(m) => format!("unreachable: {m}"),
            Self::Unauthorized(m) => format!("unauthorized: {m}"),
            Self::Forbidden(m) => format!("forbidden: {m}"),
            Self::Other(m) | Self::Stopped(m) => m.clone(),
        }
    }
}

/// One watch's state.
#[derive(Clone, Debug, Default)]
pub struct KindState {
    pub synced: bool,
    /// The cluster does not serve the kind (an optional kind whose CRD is not installed).
    pub absent: bool,
    pub ever_synced: bool,
    pub trouble: Option<Trouble>,
    pub restarts: u64,
    pub last_sync: Option<jiff::Timestamp>,
    pub last_event: Option<jiff::Timestamp>,
}

/// Where one reflector looks: the whole cluster (`None`) or one namespace.
pub type Scope = Option<String>;

/// The live status of one cluster's watches, by kind and scope.
#[derive(Default)]
pub struct WatchStatus {
    kinds: Mutex<BTreeMap<(&'static str, Scope), KindState>>,
}

/// One kind's watches summed up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindSummary {
    pub kind: &'static str,
    /// Not served by the cluster (its CRD is not installed).
    pub absent: bool,
    pub watches: usize,
    pub synced: bool,
    pub last_sync: Option<jiff::Timestamp>,
    pub last_event: Option<jiff::Timestamp>,
    pub trouble: Option<String>,
}

/// A cluster's watches summed up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub state: ClusterState,
    pub message: Option<String>,
    /// Kinds that may not be read anywhere.
    pub forbidden_kinds: Vec<String>,
    /// Namespaces some kind may not be read in (per-namespace watches).
    pub hidden_namespaces: Vec<String>,
    pub last_sync: Option<jiff::Timestamp>,
    pub last_event: Option<jiff::Timestamp>,
    pub restarts: u64,
    /// How many reflectors run (one per kind, or per kind and namespace).
    pub watches: usize,
}

impl Summary {
    /// When the cached objects last changed: the last watch event, or the list that loaded them.
    pub fn last_change(&self) -> Option<jiff::Timestamp> {
        self.last_event.max(self.last_sync)
    }
}

impl WatchStatus {
    /// Applies `f` to one watch's state; true when the cluster's state changed.
    pub fn update(
        &self,
        kind: &'static str,
        scope: &Scope,
        f: impl FnOnce(&mut KindState),
    ) -> bool {
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        let before = summarize(&kinds).state_key();
        f(kinds.entry((kind, scope.clone())).or_default());
        summarize(&kinds).state_key() != before
    }

    /// Forgets one watch (a cluster-wide watch replaced by per-namespace ones).
    pub fn remove(&self, kind: &'static str, scope: &Scope) {
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        kinds.remove(&(kind, scope.clone()));
    }

    /// Every watch of `kind` (each of its namespaces) lost its task: not live until it relists.
    /// True when the cluster's state changed.
    pub fn stopped(&self, kind: &'static str, reason: &str) -> bool {
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        let before = summarize(&kinds).state_key();
        let mut any = false;
        for ((k, _), state) in kinds.iter_mut() {
            if *k == kind {
                any = true;
                state.synced = false;
                state.trouble = Some(Trouble::Stopped(reason.to_string()));
            }
        }
        if !any {
            kinds.insert(
                (kind, None),
                KindState {
                    trouble: Some(Trouble::Stopped(reason.to_string())),
                    ..Default::default()
                },
            );
        }
        summarize(&kinds).state_key() != before
    }

    /// True once the watch of `kind` in `scope` has synced at least once.
    pub fn ever_synced(&self, kind: &'static str, scope: &Scope) -> bool {
        self.kinds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(kind, scope.clone()))
            .is_some_and(|k| k.ever_synced)
    }

    /// The cluster's state: the worst of its watches.
    pub fn summary(&self) -> Summary {
        summarize(&self.kinds.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Each kind's watches summed up (its namespaces' where it is watched per namespace), for the
    /// cluster page. A namespace it may not read is not counted against it.
    pub fn kinds(&self) -> Vec<KindSummary> {
        let kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<KindSummary> = Vec::new();
        for ((kind, scope), k) in kinds.iter() {
            let forbidden_here = matches!(k.trouble, Some(Trouble::Forbidden(_)));
            if scope.is_some() && forbidden_here {
                continue;
            }
            let i = match out.iter().position(|s| s.kind == *kind) {
                Some(i) => i,
                None => {
                    out.push(KindSummary {
                        kind,
                        synced: true,
                        ..Default::default()
                    });
                    out.len() - 1
                }
            };
            let s = &mut out[i];
            // A refused cluster-wide watch replaced by per-namespace ones is not trouble.
            if scope.is_none()
                && forbidden_here
                && kinds.keys().any(|(n, sc)| n == kind && sc.is_some())
            {
                continue;
            }
            s.watches += 1;
            s.absent |= k.absent;
            s.synced &= k.synced;
            s.last_sync = s.last_sync.max(k.last_sync);
            s.last_event = s.last_event.max(k.last_event);
            if let Some(t) = &k.trouble {
                s.trouble.get_or_insert_with(|| t.words());
            }
        }
        out
    }

    /// True once every watch has synced or failed at least once (for `/readyz`).
    pub fn attempted(&self) -> bool {
        let kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        !kinds.is_empty() && kinds.values().all(|k| k.ever_synced || k.trouble.is_some())
    }
}

impl Summary {
    fn state_key(&self) -> (ClusterState, Vec<String>, Vec<String>) {
        (
            self.state,
            self.forbidden_kinds.clone(),
            self.hidden_namespaces.clone(),
        )
    }
}

fn summarize(kinds: &BTreeMap<(&'static str, Scope), KindState>) -> Summary {
    let forbidden = |k: &KindState| matches!(k.trouble, Some(Trouble::Forbidden(_)));
    let mut forbidden_kinds: Vec<String> = kinds
        .iter()
        .filter(|((_, scope), k)| scope.is_none() && forbidden(k))
        .map(|((n, _), _)| n.to_string())
        .collect();
    forbidden_kinds.dedup();
    let hidden: BTreeSet<String> = kinds
        .iter()
        .filter(|(_, k)| forbidden(k))
        .filter_map(|((_, scope), _)| scope.clone())
        .collect();
    let restarts = kinds.values().map(|k| k.restarts).sum();
    let message = kinds.values().find_map(|k| match &k.trouble {
        Some(
            Trouble::Unreachable(m)
            | Trouble::Unauthorized(m)
            | Trouble::Other(m)
            | Trouble::Stopped(m),
        ) => Some(m.clone()),
        _ => None,
    });
    let message = message.or_else(|| {
        kinds.values().find_map(|k| match &k.trouble {
            Some(Trouble::Forbidden(m)) => Some(m.clone()),
            _ => None,
        })
    });
    let all_synced = !kinds.is_empty() && kinds.values().all(|k| k.synced || forbidden(k));
    let last_sync = if kinds.values().all(|k| k.ever_synced || forbidden(k)) {
        kinds.values().filter_map(|k| k.last_sync).min()
    } else {
        None
    };
    let state = if kinds
        .values()
        .any(|k| matches!(k.trouble, Some(Trouble::Unauthorized(_))))
    {
        ClusterState::Unauthorized
    } else if kinds
        .values()
        .any(|k| matches!(k.trouble, Some(Trouble::Stopped(_))))
    {
        // What the caches hold is no longer kept up to date, whether or not it ever was.
        ClusterState::Stale
    } else if kinds
        .values()
        .any(|k| matches!(k.trouble, Some(Trouble::Unreachable(_) | Trouble::Other(_))))
    {
        if kinds.values().any(|k| k.ever_synced) {
            ClusterState::Stale
        } else {
            ClusterState::Unreachable
        }
    } else if all_synced && (!forbidden_kinds.is_empty() || !hidden.is_empty()) {
        ClusterState::Forbidden
    } else if all_synced {
        ClusterState::Synced
    } else {
        ClusterState::Connecting
    };
    Summary {
        state,
        message,
        forbidden_kinds,
        hidden_namespaces: hidden.into_iter().collect(),
        last_sync,
        last_event: kinds.values().filter_map(|k| k.last_event).max(),
        restarts,
        watches: kinds.len(),
    }
}

/// True when the apiserver does not serve the kind at all (404 on its list or watch).
pub fn not_installed(e: &watcher::Error) -> bool {
    match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => s.code == 404,
        watcher::Error::WatchError(s) => s.code == 404,
        _ => false,
    }
}

/// What a watch error means for the user.
pub fn classify(e: &watcher::Error) -> Trouble {
    let api = match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => e,
        watcher::Error::WatchError(s) => {
            return Trouble::Other(format!(
                "the apiserver ended the watch: {} ({})",
                s.message, s.code
            ));
        }
        watcher::Error::NoResourceVersion => {
            return Trouble::Other("the apiserver sent no resourceVersion".into())
        }
    };
    match api {
        kube::Error::Api(s) if s.code == 401 => {
            Trouble::Unauthorized(format!("the credentials were refused: {}", s.message))
        }
        kube::Error::Api(s) if s.code == 403 => Trouble::Forbidden(s.message.clone()),
        kube::Error::Api(s) => Trouble::Other(format!("{} ({})", s.message, s.code)),
        other => Trouble::Unreachable(format!("cannot reach the apiserver: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One step of a cluster's life, as the watch loops and the supervisor report it.
    #[derive(Clone, Copy)]
    enum Step {
        /// A watch starts (no list yet).
        Start(&'static str, Option<&'static str>),
        /// Its list is complete (`InitDone`).
        Sync(&'static str, Option<&'static str>),
        /// It fails with this trouble.
        Fail(&'static str, Option<&'static str>, fn() -> Trouble),
        /// Its task died.
        Stop(&'static str),
        /// It is forgotten (a namespace went away, a cluster-wide watch was replaced).
        Forget(&'static str, Option<&'static str>),
    }
    use Step::*;

    fn apply(status: &WatchStatus, step: Step) -> bool {
        let scope = |s: Option<&str>| s.map(String::from);
        match step {
            Start(k, s) => status.update(k, &scope(s), |_| {}),
            Sync(k, s) => status.update(k, &scope(s), |st| {
                st.synced = true;
                st.ever_synced = true;
                st.trouble = None;
                st.last_sync = Some(jiff::Timestamp::now());
            }),
            Fail(k, s, t) => status.update(k, &scope(s), |st| {
                st.synced = false;
                st.trouble = Some(t());
            }),
            Stop(k) => status.stopped(k, &format!("the {k} watch panicked")),
            Forget(k, s) => {
                status.remove(k, &scope(s));
                false
            }
        }
    }

    fn down() -> Trouble {
        Trouble::Unreachable("cannot reach the apiserver: connection refused".into())
    }
    fn refused() -> Trouble {
        Trouble::Unauthorized("the credentials were refused: Unauthorized".into())
    }
    fn forbidden() -> Trouble {
        Trouble::Forbidden("pods is forbidden".into())
    }
    fn broken() -> Trouble {
        Trouble::Other("the apiserver ended the watch: too old (500)".into())
    }

    #[test]
    fn every_state_a_cluster_badge_can_show_follows_from_its_watches() {
        use ClusterState::*;
        let both = [Sync("pods", None), Sync("deployments", None)];
        // (what happened, the state shown, a word of the message shown)
        let cases: Vec<(&str, Vec<Step>, ClusterState, Option<&str>)> = vec![
            ("no watch yet", vec![], Connecting, None),
            (
                "watches started, none listed",
                vec![Start("pods", None), Start("deployments", None)],
                Connecting,
                None,
            ),
            (
                "one of two listed",
                vec![Start("deployments", None), Sync("pods", None)],
                Connecting,
                None,
            ),
            ("every watch listed", both.to_vec(), Synced, None),
            (
                "connecting → unreachable: never reached",
                vec![Start("pods", None), Fail("pods", None, down)],
                Unreachable,
                Some("connection refused"),
            ),
            (
                "synced → stale: lost after a sync",
                [&both[..], &[Fail("pods", None, down)]].concat(),
                Stale,
                Some("connection refused"),
            ),
            (
                "stale → synced: relisted",
                [&both[..], &[Fail("pods", None, down), Sync("pods", None)]].concat(),
                Synced,
                None,
            ),
            (
                "a watch ended by the apiserver is stale too",
                [&both[..], &[Fail("deployments", None, broken)]].concat(),
                Stale,
                Some("ended the watch"),
            ),
            (
                "synced → unauthorized: credentials refused",
                [&both[..], &[Fail("pods", None, refused)]].concat(),
                Unauthorized,
                Some("refused"),
            ),
            (
                "unauthorized wins over unreachable",
                vec![Fail("pods", None, down), Fail("deployments", None, refused)],
                Unauthorized,
                None,
            ),
            (
                "unauthorized → synced: token given back",
                [
                    &both[..],
                    &[Fail("pods", None, refused), Sync("pods", None)],
                ]
                .concat(),
                Synced,
                None,
            ),
            (
                "a kind forbidden cluster-wide",
                vec![Sync("deployments", None), Fail("pods", None, forbidden)],
                Forbidden,
                Some("forbidden"),
            ),
            (
                "forbidden → synced: read access given",
                vec![
                    Sync("deployments", None),
                    Fail("pods", None, forbidden),
                    Sync("pods", None),
                ],
                Synced,
                None,
            ),
            (
                "one namespace hidden, the rest read",
                vec![
                    Sync("pods", Some("shop")),
                    Fail("pods", Some("vault"), forbidden),
                ],
                Forbidden,
                Some("forbidden"),
            ),
            (
                "the hidden namespace deleted",
                vec![
                    Sync("pods", Some("shop")),
                    Fail("pods", Some("vault"), forbidden),
                    Forget("pods", Some("vault")),
                ],
                Synced,
                None,
            ),
            (
                "synced → stale: a watch task died",
                [&both[..], &[Stop("pods")]].concat(),
                Stale,
                Some("panicked"),
            ),
            (
                "a task that died before listing is stale as well",
                vec![Start("pods", None), Stop("pods")],
                Stale,
                Some("panicked"),
            ),
            (
                "stale → synced: the restarted task relisted",
                [
                    &both[..],
                    &[Stop("pods"), Start("pods", None), Sync("pods", None)],
                ]
                .concat(),
                Synced,
                None,
            ),
            (
                "a dead per-namespace kind stops every namespace of it",
                vec![
                    Sync("pods", Some("shop")),
                    Sync("pods", Some("cart")),
                    Stop("pods"),
                    Sync("pods", Some("shop")),
                ],
                Stale,
                Some("panicked"),
            ),
        ];
        for (what, steps, state, word) in cases {
            let status = WatchStatus::default();
            for s in &steps {
                apply(&status, *s);
            }
            let summary = status.summary();
            assert_eq!(summary.state, state, "{what}");
            match word {
                Some(w) => assert!(
                    summary.message.as_deref().is_some_and(|m| m.contains(w)),
                    "{what}: {:?}",
                    summary.message
                ),
                None if matches!(state, Synced | Connecting) => {
                    assert_eq!(summary.message, None, "{what}")
                }
                None => {}
            }
        }
    }

    #[test]
    fn a_change_is_reported_only_when_the_badge_changes() {
        let status = WatchStatus::default();
        assert!(!apply(&status, Start("pods", None)), "still connecting");
        assert!(apply(&status, Sync("pods", None)), "connecting → synced");
        assert!(!apply(&status, Sync("pods", None)), "a later event");
        assert!(apply(&status, Fail("pods", None, down)), "synced → stale");
        assert!(
            !apply(&status, Fail("pods", None, down)),
            "the same trouble again"
        );
        assert!(apply(&status, Sync("pods", None)), "stale → synced");
        assert!(apply(&status, Stop("pods")), "synced → stale (task died)");
        assert!(!apply(&status, Stop("pods")), "still stale");
    }

    #[test]
    fn hidden_namespaces_and_forbidden_kinds_are_named() {
        let status = WatchStatus::default();
        for s in [
            Sync("deployments", None),
            Fail("secrets", None, forbidden),
            Sync("pods", Some("shop")),
            Fail("pods", Some("vault"), forbidden),
        ] {
            apply(&status, s);
        }
        let summary = status.summary();
        assert_eq!(summary.forbidden_kinds, vec!["secrets"]);
        assert_eq!(summary.hidden_namespaces, vec!["vault"]);
        assert_eq!(summary.watches, 4);
        assert!(status.attempted(), "every watch synced or failed once");
    }
}
