//! The embedded store: one SQLite file in the data directory (WAL, so reads never wait for the
//! writer). SQLite because it is one file any tool can open, its SQL is the same as PostgreSQL's
//! for everything the timeline asks, and it is bundled into the binary (nothing to install).

use super::{sql, Filter, HistoryError, Record};
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// The file the history is kept in, inside the data directory.
pub const FILE: &str = "history.sqlite3";

/// A writer's connection and a reader's, to one file.
pub struct Db {
    pub path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (or makes) `history.sqlite3` in `dir`, making the directory if needed.
    pub fn open(dir: &Path) -> Result<Self, HistoryError> {
        let path = dir.join(FILE);
        let shown = path.display().to_string();
        let open = || -> Result<Connection, rusqlite::Error> {
            let c = Connection::open(&path)?;
            c.busy_timeout(super::DEADLINE)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", "NORMAL")?;
            Ok(c)
        };
        std::fs::create_dir_all(dir).map_err(|source| HistoryError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
        let writer = open().map_err(|source| HistoryError::Open {
            path: shown.clone(),
            source,
        })?;
        writer
            .execute_batch(&sql::schema("INTEGER PRIMARY KEY AUTOINCREMENT"))
            .map_err(|source| HistoryError::Open {
                path: shown.clone(),
                source,
            })?;
        let reader = open().map_err(|source| HistoryError::Open {
            path: shown,
            source,
        })?;
        Ok(Self {
            path,
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// Writes a batch in one transaction; returns which were new.
    pub async fn write(&self, batch: Vec<Record>) -> Result<Vec<bool>, HistoryError> {
        on(&self.writer, move |c| {
            let tx = c.transaction()?;
            let mut new = Vec::with_capacity(batch.len());
            {
                let mut insert = tx.prepare_cached(sql::INSERT)?;
                for r in &batch {
                    new.push(
                        insert.execute(params![
                            r.at,
                            r.service,
                            r.cluster,
                            r.kind,
                            r.object,
                            r.rule,
                            r.summary,
                            r.identity,
                            r.value,
                            r.window_ms
                        ])? > 0,
                    );
                }
            }
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    pub async fn read(&self, f: Filter) -> Result<Vec<Record>, HistoryError> {
        on(&self.reader, move |c| {
            // `?N` binds the N-th parameter; SQLite numbers `$N` by first appearance instead.
            let mut q = c.prepare_cached(&sql::read(f.kinds.len()).replace('$', "?"))?;
            let (cluster, limit) = (f.cluster.clone().unwrap_or_default(), f.limit as i64);
            let mut values: Vec<&dyn rusqlite::ToSql> =
                vec![&f.service, &f.since, &f.until, &cluster, &limit];
            values.extend(f.kinds.iter().map(|k| k as &dyn rusqlite::ToSql));
            let rows = q.query_map(values.as_slice(), row)?;
            rows.collect()
        })
        .await
    }

    pub async fn of_kinds(
        &self,
        service: Option<String>,
        kinds: Vec<String>,
        since: i64,
        until: i64,
    ) -> Result<Vec<Record>, HistoryError> {
        on(&self.reader, move |c| {
            let marks = vec!["?"; kinds.len()].join(",");
            let sql = format!(
                "SELECT at, service, cluster, kind, object, rule, summary, identity, value \
                 FROM wayfinder_events WHERE at >= ? AND at <= ? AND (? = '' OR service = ?) \
                 AND kind IN ({marks}) ORDER BY at, id"
            );
            let service = service.unwrap_or_default();
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![&since, &until, &service, &service];
            values.extend(kinds.iter().map(|k| k as &dyn rusqlite::ToSql));
            let mut q = c.prepare(&sql)?;
            let rows = q.query_map(values.as_slice(), row)?;
            rows.collect()
        })
        .await
    }

    pub async fn prune(&self, before: i64, keep: i64) -> Result<u64, HistoryError> {
        on(&self.writer, move |c| {
            let by_age = c.execute(sql::PRUNE_AGE, params![before])?;
            let by_size = c.execute(sql::PRUNE_SIZE, params![keep])?;
            Ok((by_age + by_size) as u64)
        })
        .await
    }

    /// Events kept, and the file's bytes (WAL included).
    pub async fn size(&self) -> Result<(i64, i64), HistoryError> {
        let path = self.path.clone();
        on(&self.reader, move |c| {
            let n: i64 = c.query_row(sql::COUNT, [], |r| r.get(0))?;
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            let bytes = [path.into_os_string(), wal]
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len() as i64)
                .sum();
            Ok((n, bytes))
        })
        .await
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        at: r.get(0)?,
        service: r.get(1)?,
        cluster: r.get(2)?,
        kind: r.get(3)?,
        object: r.get(4)?,
        rule: r.get(5)?,
        summary: r.get(6)?,
        identity: r.get(7)?,
        value: r.get(8)?,
        window_ms: 0,
    })
}

/// Runs `f` on a connection off the async threads.
async fn on<T: Send + 'static>(
    conn: &Arc<Mutex<Connection>>,
    f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, HistoryError> {
    let conn = conn.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut c).map_err(HistoryError::from)
    })
    .await
    .map_err(|_| HistoryError::Stopped)?
}
