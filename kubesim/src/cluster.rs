//! One simulated cluster on its own loopback port: TLS or plain HTTP, and a switch to take it down.

use crate::api::{self, CertIdentity, ClusterApi};
use axum::Extension;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Where a cluster is and what it is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    pub name: String,
    pub region: String,
    pub environment: String,
    pub url: String,
    pub up: bool,
}

/// A running cluster.
pub struct Cluster {
    pub api: Arc<ClusterApi>,
    pub region: String,
    pub environment: String,
    addr: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// Bumped to cut every open connection.
    epoch: watch::Sender<u64>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl Cluster {
    /// Binds `addr` (port 0 picks one) and serves the cluster's API.
    pub async fn start(
        api: Arc<ClusterApi>,
        region: &str,
        environment: &str,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Arc<Self>> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (epoch, _) = watch::channel(0);
        let cluster = Arc::new(Self {
            api,
            region: region.to_string(),
            environment: environment.to_string(),
            addr,
            tls,
            epoch,
            accept: Mutex::new(None),
        });
        cluster.spawn_accept(listener);
        Ok(cluster)
    }

    /// The cluster's name.
    pub fn name(&self) -> &str {
        &self.api.name
    }

    /// `https://127.0.0.1:PORT` (or http).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// True while the cluster accepts connections.
    pub fn is_up(&self) -> bool {
        self.accept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// A summary for the admin API and logs.
    pub fn info(&self) -> ClusterInfo {
        ClusterInfo {
            name: self.name().to_string(),
            region: self.region.clone(),
            environment: self.environment.clone(),
            url: self.url(),
            up: self.is_up(),
        }
    }

    fn spawn_accept(self: &Arc<Self>, listener: TcpListener) {
        let me = self.clone();
        let task = tokio::spawn(async move {
            let router = api::router(me.api.clone());
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let tls = me.tls.clone();
                let api = me.api.clone();
                let mut epoch = me.epoch.subscribe();
                tokio::spawn(async move {
                    tokio::select! {
                        () = serve_connection(stream, tls, router, api) => {}
                        _ = epoch.changed() => {}
                    }
                });
            }
        });
        *self.accept.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    /// Stops listening and cuts every connection: clients see "connection refused".
    pub fn down(&self) {
        if let Some(task) = self
            .accept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
        self.epoch.send_modify(|e| *e += 1);
    }

    /// An apiserver restart: every connection cut, the watch history lost (clients resuming from
    /// an older resourceVersion get 410 Gone and relist), then listening again.
    pub async fn restart(self: &Arc<Self>) -> std::io::Result<()> {
        self.down();
        self.api.store.compact();
        self.api.store.drop_watches();
        self.up().await
    }

    /// Listens again on the same port.
    pub async fn up(self: &Arc<Self>) -> std::io::Result<()> {
        if self.is_up() {
            return Ok(());
        }
        // The aborted accept loop may hold the socket for a moment.
        let mut last = None;
        for _ in 0..50 {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => {
                    self.spawn_accept(listener);
                    return Ok(());
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("cannot bind")))
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: axum::Router,
    api: Arc<ClusterApi>,
) {
    match tls {
        Some(config) => {
            let Ok(stream) = tokio_rustls::TlsAcceptor::from(config).accept(stream).await else {
                return;
            };
            let user = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .and_then(|der| api.cert_users.get(der.as_ref()).cloned());
            serve_io(
                TokioIo::new(stream),
                router.layer(Extension(CertIdentity(user))),
            )
            .await;
        }
        None => {
            serve_io(
                TokioIo::new(stream),
                router.layer(Extension(CertIdentity(None))),
            )
            .await
        }
    }
}

async fn serve_io<I>(io: I, router: axum::Router)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}
