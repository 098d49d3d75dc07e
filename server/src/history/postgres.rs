//! The shared store: a PostgreSQL database several replicas write to. Every batch is written
//! under one transaction-scoped advisory lock, so two replicas offering the same event in the same
//! instant still write it once. The connection is made again whenever it breaks.

use super::{sql, Filter, HistoryError, Record};
use std::time::Duration;
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

/// The advisory lock every writer takes for its batch ("wayf" in ASCII).
const LOCK: i64 = 0x7761_7966;

/// A PostgreSQL database, connected on first use and again after any break.
pub struct Db {
    config: tokio_postgres::Config,
    /// The URL without its password, for messages.
    pub shown: String,
    client: Mutex<Option<Client>>,
}

impl Db {
    /// Checks the URL; connects when first used (a database that is down at start is only
    /// "history unavailable").
    pub fn new(url: &str) -> Result<Self, HistoryError> {
        let shown = hide_password(url);
        let mut config: tokio_postgres::Config =
            url.parse()
                .map_err(|e: tokio_postgres::Error| HistoryError::Postgres {
                    url: shown.clone(),
                    message: format!("not a PostgreSQL URL: {e}"),
                })?;
        config.connect_timeout(Duration::from_secs(3));
        config.application_name("wayfinder");
        Ok(Self {
            config,
            shown,
            client: Mutex::new(None),
        })
    }

    fn error(&self, e: tokio_postgres::Error) -> HistoryError {
        let message = match e.as_db_error() {
            Some(d) => format!("{}: {}", d.code().code(), d.message()),
            None => e.to_string(),
        };
        HistoryError::Postgres {
            url: self.shown.clone(),
            message,
        }
    }

    /// The connected client (connecting, and making the table, when there is none or it broke).
    async fn client(&self) -> Result<tokio::sync::MutexGuard<'_, Option<Client>>, HistoryError> {
        let mut c = self.client.lock().await;
        if c.as_ref().is_none_or(Client::is_closed) {
            *c = None;
            let (mut client, connection) = self
                .config
                .connect(NoTls)
                .await
                .map_err(|e| self.error(e))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!("history: PostgreSQL connection ended: {e}");
                }
            });
            // Two replicas starting together make the table once.
            let tx = client.transaction().await.map_err(|e| self.error(e))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
                .await
                .map_err(|e| self.error(e))?;
            tx.batch_execute(&sql::schema("BIGSERIAL PRIMARY KEY"))
                .await
                .map_err(|e| self.error(e))?;
            tx.commit().await.map_err(|e| self.error(e))?;
            *c = Some(client);
        }
        Ok(c)
    }

    /// Writes a batch in one transaction; returns which were new.
    pub async fn write(&self, batch: &[Record]) -> Result<Vec<bool>, HistoryError> {
        let mut guard = self.client().await?;
        let Some(client) = guard.as_mut() else {
            return Err(HistoryError::Stopped);
        };
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
            .await
            .map_err(|e| self.error(e))?;
        let insert = tx.prepare(sql::INSERT).await.map_err(|e| self.error(e))?;
        let mut new = Vec::with_capacity(batch.len());
        for r in batch {
            let n = tx
                .execute(
                    &insert,
                    &[
                        &r.at,
                        &r.service,
                        &r.cluster,
                        &r.kind,
                        &r.object,
                        &r.rule,
                        &r.summary,
                        &r.identity,
                        &r.value,
                        &r.window_ms,
                    ],
                )
                .await
                .map_err(|e| self.error(e))?;
            new.push(n > 0);
        }
        tx.commit().await.map_err(|e| self.error(e))?;
        Ok(new)
    }

    pub async fn read(&self, f: &Filter) -> Result<Vec<Record>, HistoryError> {
        let guard = self.client().await?;
        let Some(client) = guard.as_ref() else {
            return Err(HistoryError::Stopped);
        };
        let cluster = f.cluster.clone().unwrap_or_default();
        let limit = f.limit as i64;
        let mut values: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            vec![&f.service, &f.since, &f.until, &cluster, &limit];
        values.extend(
            f.kinds
                .iter()
                .map(|k| k as &(dyn tokio_postgres::types::ToSql + Sync)),
        );
        let rows = client
            .query(&sql::read(f.kinds.len()), &values)
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(row).collect())
    }

    pub async fn of_kinds(
        &self,
        service: Option<&str>,
        kinds: &[String],
        since: i64,
        until: i64,
    ) -> Result<Vec<Record>, HistoryError> {
        let guard = self.client().await?;
        let Some(client) = guard.as_ref() else {
            return Err(HistoryError::Stopped);
        };
        let service = service.unwrap_or_default();
        let rows = client
            .query(
                "SELECT at, service, cluster, kind, object, rule, summary, identity, value \
                 FROM wayfinder_events WHERE at >= $1 AND at <= $2 AND ($3 = '' OR service = $3) \
                 AND kind = ANY($4) ORDER BY at, id",
                &[&since, &until, &service, &kinds],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(row).collect())
    }

    pub async fn prune(&self, before: i64, keep: i64) -> Result<u64, HistoryError> {
        let guard = self.client().await?;
        let Some(client) = guard.as_ref() else {
            return Err(HistoryError::Stopped);
        };
        let by_age = client
            .execute(sql::PRUNE_AGE, &[&before])
            .await
            .map_err(|e| self.error(e))?;
        let by_size = client
            .execute(sql::PRUNE_SIZE, &[&keep])
            .await
            .map_err(|e| self.error(e))?;
        Ok(by_age + by_size)
    }

    /// Events kept, and the table's bytes with its indexes.
    pub async fn size(&self) -> Result<(i64, i64), HistoryError> {
        let guard = self.client().await?;
        let Some(client) = guard.as_ref() else {
            return Err(HistoryError::Stopped);
        };
        let row = client
            .query_one(
                "SELECT count(*), pg_total_relation_size('wayfinder_events') FROM wayfinder_events",
                &[],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok((row.get(0), row.get(1)))
    }
}

fn row(r: &tokio_postgres::Row) -> Record {
    Record {
        at: r.get(0),
        service: r.get(1),
        cluster: r.get(2),
        kind: r.get(3),
        object: r.get(4),
        rule: r.get(5),
        summary: r.get(6),
        identity: r.get(7),
        value: r.get(8),
        window_ms: 0,
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for logs and pages.
pub fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(a connection string)".to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    // Keep the path, drop any query (it may carry a password too).
    let host = host.split('?').next().unwrap_or_default();
    match auth.map(|a| a.split_once(':').map_or(a, |(user, _)| user)) {
        Some(user) if auth.is_some_and(|a| a.contains(':')) => {
            format!("{scheme}://{user}:***@{host}")
        }
        Some(user) => format!("{scheme}://{user}@{host}"),
        None => format!("{scheme}://{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::hide_password;

    #[test]
    fn passwords_never_shown() {
        for (url, shown) in [
            (
                "postgres://wf:s3cret@db:5432/wayfinder",
                "postgres://wf:***@db:5432/wayfinder",
            ),
            ("postgres://wf@db/wayfinder", "postgres://wf@db/wayfinder"),
            (
                "postgres://db/wayfinder?password=x",
                "postgres://db/wayfinder",
            ),
            ("host=db password=x", "(a connection string)"),
        ] {
            assert_eq!(hide_password(url), shown);
        }
    }
}
