//! Many clusters in one process, the kubeconfig that reaches them, and the admin API that breaks them.

use crate::api::{ClusterApi, Faults};
use crate::auth::{default_users, Rule, User};
use crate::cluster::{Cluster, ClusterInfo};
use crate::store::Store;
use crate::tls::{ClientCert, Pki};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The user the kubeconfig's contexts use: may do everything.
pub const ADMIN_USER: &str = "kubesim-admin";
/// The namespace-limited, read-only user included in the kubeconfig.
pub const VIEWER_USER: &str = "portal-viewer";
/// A user that authenticates with a client certificate (read-only everywhere).
pub const CERT_USER: &str = "kubesim-cert-reader";
/// The read-only user a portal runs as (`deploy/rbac.yaml`'s rights): get/list/watch, `pods/log`
/// get, no Secrets (unless the cluster's spec says so).
pub const READER_USER: &str = "wayfinder-reader";

/// What one cluster of a fleet is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpec {
    pub name: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub environment: String,
    /// The namespaces the viewer user may read.
    #[serde(default)]
    pub viewer_namespaces: Vec<String>,
    /// Namespaces the kubeconfig's (admin) user may not read, so cluster-wide lists are refused.
    #[serde(default)]
    pub hidden_namespaces: Vec<String>,
    /// Namespaces where the kubeconfig's (admin) user may not read `pods/log`.
    #[serde(default)]
    pub no_log_namespaces: Vec<String>,
    /// The reader user ([`READER_USER`], what a portal runs as) may also read Secrets: a role
    /// granted more than it needs.
    #[serde(default)]
    pub reader_reads_secrets: bool,
}

/// How a fleet is served.
#[derive(Clone, Debug)]
pub struct FleetOptions {
    /// HTTPS with a generated CA (the default), else plain HTTP where anonymous requests act as admin.
    pub tls: bool,
    /// The loopback address to bind.
    pub bind: IpAddr,
    /// How often watches get a BOOKMARK.
    pub bookmark_every: Duration,
    /// Watch history kept per cluster before older versions expire.
    pub history: usize,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self {
            tls: true,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            bookmark_every: Duration::from_secs(30),
            history: 5_000,
        }
    }
}

/// A running fleet of simulated clusters.
pub struct Fleet {
    pub clusters: Vec<Arc<Cluster>>,
    pki: Option<Pki>,
    cert: Option<ClientCert>,
}

impl Fleet {
    /// Starts one listener per cluster.
    pub async fn start(specs: &[ClusterSpec], options: &FleetOptions) -> std::io::Result<Self> {
        let pki = if options.tls { Some(Pki::new()?) } else { None };
        let server_config = match &pki {
            Some(p) => Some(p.server_config()?),
            None => None,
        };
        let cert_user = User {
            name: CERT_USER.into(),
            groups: vec!["kubesim-readers".into()],
            token: String::new(),
            rules: vec![Rule {
                verbs: ["get", "list", "watch"].map(String::from).to_vec(),
                ..Rule::admin()
            }],
        };
        let cert = match &pki {
            Some(p) => Some(p.client_cert(&cert_user.name, &cert_user.groups)?),
            None => None,
        };
        let mut clusters = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let namespaces: Vec<&str> = spec.viewer_namespaces.iter().map(String::as_str).collect();
            let mut users = default_users(
                &namespaces,
                &spec.hidden_namespaces,
                &spec.no_log_namespaces,
            );
            users.push(crate::auth::reader(
                READER_USER,
                &spec.hidden_namespaces,
                &spec.no_log_namespaces,
                spec.reader_reads_secrets,
            ));
            users.push(cert_user.clone());
            let store = Arc::new(Store::new(
                options.history,
                0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1),
            ));
            let mut api = ClusterApi::new(
                &spec.name,
                store,
                users,
                (!options.tls).then(|| ADMIN_USER.to_string()),
            );
            api.bookmark_every = options.bookmark_every;
            if let Some(c) = &cert {
                api.cert_users.insert(c.der.clone(), CERT_USER.to_string());
            }
            let cluster = Cluster::start(
                Arc::new(api),
                &spec.region,
                &spec.environment,
                SocketAddr::new(options.bind, 0),
                server_config.clone(),
            )
            .await?;
            clusters.push(cluster);
        }
        Ok(Self {
            clusters,
            pki,
            cert,
        })
    }

    /// The cluster called `name`.
    pub fn cluster(&self, name: &str) -> Option<&Arc<Cluster>> {
        self.clusters.iter().find(|c| c.name() == name)
    }

    /// A kubeconfig with one context per cluster (named after it, admin user); the viewer, the
    /// reader and the client-certificate users are included for tests that want them.
    pub fn kubeconfig(&self) -> String {
        self.kubeconfig_as(ADMIN_USER)
    }

    /// The same kubeconfig with every context using `user` (the demo portal runs as
    /// [`READER_USER`]).
    pub fn kubeconfig_as(&self, user: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let mut out = String::from("apiVersion: v1\nkind: Config\npreferences: {}\n");
        out.push_str(&format!(
            "current-context: {}\n",
            self.clusters.first().map(|c| c.name()).unwrap_or("none")
        ));
        out.push_str("clusters:\n");
        for c in &self.clusters {
            out.push_str(&format!(
                "- name: {}\n  cluster:\n    server: {}\n",
                c.name(),
                c.url()
            ));
            if let Some(p) = &self.pki {
                out.push_str(&format!(
                    "    certificate-authority-data: {}\n",
                    b64(&p.ca_pem)
                ));
            }
        }
        out.push_str("contexts:\n");
        for c in &self.clusters {
            out.push_str(&format!(
                "- name: {0}\n  context:\n    cluster: {0}\n    user: {user}\n",
                c.name()
            ));
        }
        out.push_str(&format!(
            "users:\n- name: {ADMIN_USER}\n  user:\n    token: kubesim-admin-token\n"
        ));
        out.push_str(&format!(
            "- name: {VIEWER_USER}\n  user:\n    token: portal-viewer-token\n- name: {READER_USER}\n  user:\n    token: wayfinder-reader-token\n"
        ));
        if let Some(cert) = &self.cert {
            out.push_str(&format!(
                "- name: {CERT_USER}\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
                b64(&cert.cert_pem),
                b64(&cert.key_pem)
            ));
        }
        out
    }

    /// Writes the kubeconfig to `path` (mode 0600 on Unix: it holds tokens and a key).
    pub fn write_kubeconfig(&self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(())
    }

    /// Summaries of every cluster.
    pub fn infos(&self) -> Vec<ClusterInfo> {
        self.clusters.iter().map(|c| c.info()).collect()
    }
}

/// The admin API: `GET /clusters`, and per cluster
/// `POST …/faults|drop-watches|compact|down|up|restart|revoke-tokens|restore-tokens|forbid|allow`,
/// `GET …/requests`.
pub fn admin_router(fleet: Arc<Fleet>) -> Router {
    Router::new()
        .route("/clusters", get(list_clusters))
        .route("/clusters/{name}/faults", post(set_faults))
        .route("/clusters/{name}/drop-watches", post(drop_watches))
        .route("/clusters/{name}/compact", post(compact))
        .route("/clusters/{name}/down", post(down))
        .route("/clusters/{name}/up", post(up))
        .route("/clusters/{name}/restart", post(restart))
        .route("/clusters/{name}/revoke-tokens", post(revoke_tokens))
        .route("/clusters/{name}/restore-tokens", post(restore_tokens))
        .route("/clusters/{name}/forbid", post(forbid))
        .route("/clusters/{name}/allow", post(allow))
        .route("/clusters/{name}/requests", get(requests))
        .with_state(fleet)
}

/// Runs `f` on the named cluster, or answers 404.
async fn with_cluster<F, Fut>(fleet: &Fleet, name: &str, f: F) -> Response
where
    F: FnOnce(Arc<Cluster>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    match fleet.cluster(name).cloned() {
        Some(c) => f(c).await,
        None => (StatusCode::NOT_FOUND, format!("no cluster named {name}\n")).into_response(),
    }
}

async fn list_clusters(State(fleet): State<Arc<Fleet>>) -> Json<Vec<ClusterInfo>> {
    Json(fleet.infos())
}

async fn set_faults(
    State(fleet): State<Arc<Fleet>>,
    Path(name): Path<String>,
    Json(faults): Json<Faults>,
) -> Response {
    with_cluster(&fleet, &name, async |c| {
        c.api.set_faults(faults);
        "ok\n".into_response()
    })
    .await
}

async fn drop_watches(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| {
        c.api.store.drop_watches();
        "ok\n".into_response()
    })
    .await
}

async fn compact(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| {
        c.api.store.compact();
        "ok\n".into_response()
    })
    .await
}

async fn down(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| {
        c.down();
        "ok\n".into_response()
    })
    .await
}

/// The answer to a request that makes a cluster listen again.
fn listening(result: std::io::Result<()>) -> Response {
    match result {
        Ok(()) => "ok\n".into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot listen again: {e}\n"),
        )
            .into_response(),
    }
}

async fn up(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| listening(c.up().await)).await
}

async fn restart(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| listening(c.restart().await)).await
}

async fn revoke_tokens(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| {
        c.api.revoke_tokens();
        "ok\n".into_response()
    })
    .await
}

async fn restore_tokens(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| {
        c.api.restore_tokens();
        "ok\n".into_response()
    })
    .await
}

async fn forbid(
    State(fleet): State<Arc<Fleet>>,
    Path(name): Path<String>,
    Json(namespaces): Json<Vec<String>>,
) -> Response {
    with_cluster(&fleet, &name, async |c| {
        c.api.forbid_namespaces(namespaces);
        "ok\n".into_response()
    })
    .await
}

async fn allow(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| {
        c.api.allow_namespaces();
        "ok\n".into_response()
    })
    .await
}

async fn requests(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    with_cluster(&fleet, &name, async |c| {
        Json(c.api.request_log()).into_response()
    })
    .await
}
