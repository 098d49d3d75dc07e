//! What happened to services and clusters, kept on disk: the service timeline's history.
//!
//! Records come from the read model's recorder (`views::timeline`), once per change seen on the
//! watch stream, never per viewer. They are written in batches by one task into an embedded SQLite
//! file (`--data-dir`, the default) or a PostgreSQL database (`--database-url`) that several
//! replicas share. Each record carries an identity: the same identity (within a few seconds, for
//! what a replica saw rather than read off an object) is one event, whichever replica wrote it
//! first. A store that is down or full never stops anything else: records wait in memory (bounded)
//! and the timeline says since when the history is unavailable.
//!
//! - [`sqlite`]: the embedded store;
//! - [`postgres`]: the shared store.

pub mod postgres;
pub mod sqlite;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc;

/// One thing that happened to a service's object or to a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// When, in Unix milliseconds (the object's own time where it has one).
    pub at: i64,
    /// The service, or empty for a cluster's own changes.
    pub service: String,
    pub cluster: String,
    /// What happened (`deploy`, `scale`, `crash`, `oom-kill`, `eviction`, `job-failed`,
    /// `finding`, `finding-cleared`, `cluster`).
    pub kind: String,
    /// The object, as `Kind namespace/name` (empty for a cluster's).
    pub object: String,
    /// A finding's rule (empty for other kinds).
    pub rule: String,
    /// What happened in words, with the numbers.
    pub summary: String,
    /// The number it is about, where there is one (a scale change's replicas), else 0.
    pub value: i64,
    /// What makes two sightings the same event.
    pub identity: String,
    /// For what a replica saw rather than read off an object: sightings of the same identity
    /// this many milliseconds apart or less are one event. 0: the identity alone decides.
    pub window_ms: i64,
}

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("the history database at {path} could not be opened: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the history's data directory {path} could not be made: {source}")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the embedded history database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL ({url}): {message}")]
    Postgres { url: String, message: String },
    #[error("the history database did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the history task stopped")]
    Stopped,
    #[error("{0}")]
    Unusable(String),
}

/// What a timeline reads: one service's events (and its clusters' own) in a time range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub service: String,
    /// Unix milliseconds, both ends included.
    pub since: i64,
    pub until: i64,
    /// Only this cluster's, when set.
    pub cluster: Option<String>,
    /// Only events of these kinds (empty: every kind).
    pub kinds: Vec<String>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Where the history is kept.
pub enum Backend {
    Sqlite(sqlite::Db),
    Postgres(Box<postgres::Db>),
    /// The store could not be set up (an unwritable data directory): every read and write fails
    /// with the reason, and nothing else is affected.
    Unusable(String),
}

impl Backend {
    /// The embedded store in `dir`, or, when it cannot be opened, one that says why.
    pub fn embedded(dir: &std::path::Path) -> Self {
        match sqlite::Db::open(dir) {
            Ok(d) => Self::Sqlite(d),
            Err(e) => {
                tracing::error!("{e}: the timeline has no history until it can be opened");
                Self::Unusable(e.to_string())
            }
        }
    }
}

impl Backend {
    async fn write(&self, batch: &[Record]) -> Result<Vec<bool>, HistoryError> {
        match self {
            Self::Sqlite(d) => d.write(batch.to_vec()).await,
            Self::Postgres(d) => d.write(batch).await,
            Self::Unusable(why) => Err(HistoryError::Unusable(why.clone())),
        }
    }

    async fn read(&self, f: &Filter) -> Result<Vec<Record>, HistoryError> {
        match self {
            Self::Sqlite(d) => d.read(f.clone()).await,
            Self::Postgres(d) => d.read(f).await,
            Self::Unusable(why) => Err(HistoryError::Unusable(why.clone())),
        }
    }

    async fn of_kinds(
        &self,
        service: Option<&str>,
        kinds: &[&str],
        since: i64,
        until: i64,
    ) -> Result<Vec<Record>, HistoryError> {
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        match self {
            Self::Sqlite(d) => {
                d.of_kinds(service.map(str::to_string), kinds, since, until)
                    .await
            }
            Self::Postgres(d) => d.of_kinds(service, &kinds, since, until).await,
            Self::Unusable(why) => Err(HistoryError::Unusable(why.clone())),
        }
    }

    async fn prune(&self, before: i64, keep: i64) -> Result<u64, HistoryError> {
        match self {
            Self::Sqlite(d) => d.prune(before, keep).await,
            Self::Postgres(d) => d.prune(before, keep).await,
            Self::Unusable(why) => Err(HistoryError::Unusable(why.clone())),
        }
    }

    async fn size(&self) -> Result<(i64, i64), HistoryError> {
        match self {
            Self::Sqlite(d) => d.size().await,
            Self::Postgres(d) => d.size().await,
            Self::Unusable(why) => Err(HistoryError::Unusable(why.clone())),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Sqlite(d) => format!("embedded SQLite at {}", d.path.display()),
            Self::Postgres(d) => format!("PostgreSQL at {}", d.shown),
            Self::Unusable(_) => "no store".to_string(),
        }
    }
}

/// How the history is doing, for the timeline and `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Since when (Unix ms) writes or reads fail, and why.
    pub unavailable: Option<(i64, String)>,
    /// Records waiting to be written.
    pub pending: usize,
    /// Records written (new events; duplicates merged are not counted).
    pub written: u64,
    /// Records offered, duplicates included.
    pub offered: u64,
    /// Records dropped because too many waited while the store was down.
    pub dropped: u64,
    /// Time spent writing, in microseconds, over `offered`.
    pub write_micros: u64,
}

/// At most this many records wait in memory while the store is down; the oldest go first.
pub const MAX_PENDING: usize = 200_000;
/// At most this many events are kept, whatever their age: the oldest go first.
pub const MAX_EVENTS: i64 = 5_000_000;
/// How many records one transaction writes.
const BATCH: usize = 2_000;
/// How long a read or write may take before the store counts as unavailable.
pub const DEADLINE: Duration = Duration::from_secs(5);
/// How often a failed write is tried again.
const RETRY: Duration = Duration::from_secs(2);
/// How often old events are removed.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The history: a writer task and the store it writes to.
pub struct History {
    backend: Arc<Backend>,
    tx: mpsc::UnboundedSender<Record>,
    health: Arc<Mutex<Health>>,
    /// The services each written batch added events to (empty: a cluster's own).
    written: tokio::sync::broadcast::Sender<Arc<[String]>>,
    /// Retention, in days.
    pub days: u32,
    writer: tokio::task::JoinHandle<()>,
}

impl Drop for History {
    fn drop(&mut self) {
        self.writer.abort();
    }
}

impl History {
    /// Starts the writer over a store; old events are removed now and every hour.
    pub fn start(backend: Backend, days: u32) -> Arc<Self> {
        let backend = Arc::new(backend);
        let health = Arc::new(Mutex::new(Health::default()));
        let (tx, rx) = mpsc::unbounded_channel();
        let written = tokio::sync::broadcast::channel(256).0;
        let writer = tokio::spawn(write_loop(
            backend.clone(),
            health.clone(),
            written.clone(),
            rx,
            days,
        ));
        tracing::info!("history: {}, kept {days} days", backend.describe());
        Arc::new(Self {
            backend,
            tx,
            health,
            written,
            days,
            writer,
        })
    }

    /// Hands records to the writer (never waits; the writer merges duplicates).
    pub fn record(&self, records: impl IntoIterator<Item = Record>) {
        for r in records {
            // The receiver lives as long as `self` (the writer is aborted only on drop).
            let _ = self.tx.send(r);
        }
    }

    /// Says which services each written batch added events to.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<[String]>> {
        self.written.subscribe()
    }

    /// How the store is doing.
    pub fn health(&self) -> Health {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Where the history is kept, in words.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// One service's events (and its clusters' own), newest first.
    pub async fn read(&self, f: &Filter) -> Result<Vec<Record>, HistoryError> {
        let r = bounded(self.backend.read(f)).await;
        self.note(&r);
        r
    }

    /// Events of these kinds in a range, oldest first (one service's, or everyone's).
    pub async fn of_kinds(
        &self,
        service: Option<&str>,
        kinds: &[&str],
        since: i64,
        until: i64,
    ) -> Result<Vec<Record>, HistoryError> {
        let r = bounded(self.backend.of_kinds(service, kinds, since, until)).await;
        self.note(&r);
        r
    }

    /// Events kept and bytes on disk.
    pub async fn size(&self) -> Result<(i64, i64), HistoryError> {
        bounded(self.backend.size()).await
    }

    /// Removes what is older than the retention now (the writer also does it every hour).
    pub async fn prune_now(&self, now_ms: i64) -> Result<u64, HistoryError> {
        bounded(self.backend.prune(cutoff(now_ms, self.days), MAX_EVENTS)).await
    }

    /// A failed read marks the store unavailable like a failed write; a read that works clears it
    /// when nothing waits to be written (else the writer clears it when its writes work again).
    fn note<T>(&self, r: &Result<T, HistoryError>) {
        let mut h = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        match r {
            Err(e) if h.unavailable.is_none() => {
                tracing::warn!("history unavailable: {e}");
                h.unavailable = Some((jiff::Timestamp::now().as_millisecond(), e.to_string()));
            }
            Ok(_) if h.pending == 0 && h.unavailable.is_some() => {
                tracing::info!("history available again");
                h.unavailable = None;
            }
            _ => {}
        }
    }
}

/// The oldest time kept under a retention of `days`.
pub fn cutoff(now_ms: i64, days: u32) -> i64 {
    now_ms - i64::from(days) * 86_400_000
}

async fn bounded<T>(
    f: impl std::future::Future<Output = Result<T, HistoryError>>,
) -> Result<T, HistoryError> {
    tokio::time::timeout(DEADLINE, f)
        .await
        .unwrap_or(Err(HistoryError::Timeout(DEADLINE)))
}

/// Writes what arrives in batches; while the store fails, keeps up to [`MAX_PENDING`] records
/// and tries again every [`RETRY`], saying when it stopped and started working (once each).
async fn write_loop(
    backend: Arc<Backend>,
    health: Arc<Mutex<Health>>,
    written: tokio::sync::broadcast::Sender<Arc<[String]>>,
    mut rx: mpsc::UnboundedReceiver<Record>,
    days: u32,
) {
    let mut pending: VecDeque<Record> = VecDeque::new();
    let mut next_prune = tokio::time::Instant::now();
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(r) => pending.push_back(r),
                None => return,
            }
        }
        while let Ok(r) = rx.try_recv() {
            pending.push_back(r);
        }
        let over = pending.len().saturating_sub(MAX_PENDING);
        pending.drain(..over);
        let mut failed = None;
        while !pending.is_empty() {
            let n = pending.len().min(BATCH);
            let batch: Vec<Record> = pending.iter().take(n).cloned().collect();
            let started = std::time::Instant::now();
            match bounded(backend.write(&batch)).await {
                Ok(new) => {
                    pending.drain(..n);
                    let services: std::collections::BTreeSet<&str> = batch
                        .iter()
                        .zip(&new)
                        .filter(|(_, new)| **new)
                        .map(|(r, _)| r.service.as_str())
                        .collect();
                    if !services.is_empty() {
                        let services: Vec<String> =
                            services.into_iter().map(str::to_string).collect();
                        // No one listening is fine.
                        let _ = written.send(services.into());
                    }
                    let mut h = health.lock().unwrap_or_else(PoisonError::into_inner);
                    if let Some((since, _)) = h.unavailable.take() {
                        tracing::info!(
                            "history available again (unavailable for {} s)",
                            (jiff::Timestamp::now().as_millisecond() - since) / 1000
                        );
                    }
                    h.written += new.iter().filter(|n| **n).count() as u64;
                    h.offered += n as u64;
                    h.write_micros += started.elapsed().as_micros() as u64;
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        {
            let mut h = health.lock().unwrap_or_else(PoisonError::into_inner);
            h.pending = pending.len();
            h.dropped += over as u64;
            if let Some(e) = &failed {
                if h.unavailable.is_none() {
                    tracing::warn!("history unavailable: {e}; records wait in memory");
                    h.unavailable = Some((jiff::Timestamp::now().as_millisecond(), e.to_string()));
                }
            }
        }
        if failed.is_some() {
            tokio::time::sleep(RETRY).await;
            continue;
        }
        if tokio::time::Instant::now() >= next_prune {
            let now = jiff::Timestamp::now().as_millisecond();
            match bounded(backend.prune(cutoff(now, days), MAX_EVENTS)).await {
                Ok(n) if n > 0 => tracing::info!("history: removed {n} events past retention"),
                Ok(_) => {}
                Err(e) => tracing::debug!("history: pruning failed: {e}"),
            }
            next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
        }
    }
}

/// The SQL both stores run, with `$n` placeholders (SQLite reads them as numbered parameters).
mod sql {
    /// A record is new unless one with its identity exists (within its window, when it has one).
    pub const INSERT: &str = "INSERT INTO wayfinder_events \
        (at, service, cluster, kind, object, rule, summary, identity, value) \
        SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), \
        CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS TEXT), CAST($9 AS BIGINT) \
        WHERE NOT EXISTS (SELECT 1 FROM wayfinder_events WHERE identity = CAST($8 AS TEXT) \
        AND (CAST($10 AS BIGINT) = 0 OR (at > $1 - $10 AND at < $1 + $10)))";
    /// A timeline's read: `$1` service, `$2`..`$3` the range, `$4` cluster (empty: all), `$5`
    /// the limit, then one parameter per kind from `$6` (none: every kind).
    pub fn read(kinds: usize) -> String {
        let kinds = match kinds {
            0 => String::new(),
            n => format!(
                "AND kind IN ({}) ",
                (6..6 + n)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "SELECT at, service, cluster, kind, object, rule, summary, identity, value \
            FROM wayfinder_events WHERE (service = $1 OR service = '') AND at >= $2 AND at <= $3 \
            AND ($4 = '' OR cluster = $4) {kinds}ORDER BY at DESC, id DESC LIMIT $5"
        )
    }
    pub const PRUNE_AGE: &str = "DELETE FROM wayfinder_events WHERE at < $1";
    pub const PRUNE_SIZE: &str = "DELETE FROM wayfinder_events WHERE id <= \
        (SELECT id FROM wayfinder_events ORDER BY id DESC LIMIT 1 OFFSET $1)";
    pub const COUNT: &str = "SELECT count(*) FROM wayfinder_events";

    /// The table and its indexes, with the store's own type of growing id.
    pub fn schema(id: &str) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS wayfinder_events (
                id {id},
                at BIGINT NOT NULL,
                service TEXT NOT NULL,
                cluster TEXT NOT NULL,
                kind TEXT NOT NULL,
                object TEXT NOT NULL,
                rule TEXT NOT NULL,
                summary TEXT NOT NULL,
                identity TEXT NOT NULL,
                value BIGINT NOT NULL DEFAULT 0
            );
            CREATE INDEX IF NOT EXISTS wayfinder_events_identity ON wayfinder_events (identity, at);
            CREATE INDEX IF NOT EXISTS wayfinder_events_service ON wayfinder_events (service, at);
            CREATE INDEX IF NOT EXISTS wayfinder_events_at ON wayfinder_events (at);"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at: i64, n: usize) -> Record {
        Record {
            at,
            service: "cart".into(),
            cluster: "prod-eu-1".into(),
            kind: "deploy".into(),
            object: "Deployment shop/cart".into(),
            summary: format!("revision {n}"),
            identity: format!("prod-eu-1|deploy|Deployment shop/cart|{n}"),
            ..Default::default()
        }
    }

    fn kinds_of(got: &[Record]) -> Vec<&str> {
        got.iter().map(|r| r.kind.as_str()).collect()
    }

    fn all(since: i64, until: i64) -> Filter {
        Filter {
            service: "cart".into(),
            since,
            until,
            cluster: None,
            kinds: Vec::new(),
            limit: 1000,
        }
    }

    #[tokio::test]
    async fn duplicates_merge_old_events_go_and_the_size_is_bounded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = Backend::embedded(dir.path());
        let day = 86_400_000;
        let now = 100 * day;
        let batch: Vec<Record> = (0..20).map(|n| event(now - n as i64 * day, n)).collect();
        let new = db.write(&batch).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(new.iter().all(|n| *n));
        // The same identities again (a restart, another replica): nothing new.
        let again = db.write(&batch).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(again.iter().all(|n| !*n));
        // A sighting within its window is the same event; outside it, a new one.
        let seen = |at: i64| Record {
            window_ms: 20_000,
            identity: "finding|cart|crash-loop".into(),
            kind: "finding".into(),
            ..event(at, 0)
        };
        let new = db
            .write(&[seen(now), seen(now + 5_000), seen(now + 60_000)])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(new, [true, false, true]);
        // Fourteen days kept: the five older ones go (15 to 19 days old).
        let removed = db
            .prune(cutoff(now, 14), MAX_EVENTS)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(removed, 5);
        let left = db
            .read(&all(0, now + day))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(left.len(), 15 + 2);
        assert!(left.iter().all(|r| r.at >= cutoff(now, 14)));
        // A kind filter is the store's: the limit counts deploys only, not the newer sightings.
        let deploys = db
            .read(&Filter {
                kinds: vec!["deploy".into(), "scale".into()],
                limit: 3,
                ..all(0, now + day)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kinds_of(&deploys), ["deploy"; 3]);
        // At most `keep` events whatever their age: the oldest go first.
        db.prune(0, 5).await.unwrap_or_else(|e| panic!("{e}"));
        let left = db
            .read(&all(0, now + day))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(left.len(), 5);
        let (count, bytes) = db.size().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(count, 5);
        assert!(bytes > 0);
    }

    #[tokio::test]
    async fn a_store_that_fails_keeps_records_and_says_since_when() {
        let h = History::start(Backend::Unusable("disk on fire".into()), 14);
        h.record([event(1, 1)]);
        let health = loop {
            let health = h.health();
            if health.unavailable.is_some() {
                break health;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(health.pending, 1);
        assert_eq!(
            health.unavailable.map(|u| u.1).as_deref(),
            Some("disk on fire")
        );
    }
}
