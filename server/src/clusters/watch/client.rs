//! The kube client of one cluster, built from typed configuration: a kubeconfig context, a
//! kubeconfig held in memory (the demo fleet), a URL with a token file and a CA, or in-cluster.

use super::super::config::{Access, Cluster};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::path::PathBuf;

/// Why a cluster's client could not be built (the cluster shows it as unreachable).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read kubeconfig {path}: {source}")]
    ReadKubeconfig {
        path: PathBuf,
        source: kube::config::KubeconfigError,
    },
    #[error("cannot read the default kubeconfig: {0}")]
    DefaultKubeconfig(kube::config::KubeconfigError),
    #[error("kubeconfig: {0}")]
    InlineKubeconfig(kube::config::KubeconfigError),
    #[error("kubeconfig context {context}: {source}")]
    Context {
        context: String,
        source: kube::config::KubeconfigError,
    },
    #[error("{url}: not a URL: {source}")]
    Url {
        url: String,
        source: http::uri::InvalidUri,
    },
    #[error("{url}: cannot read the CA file {path}: {source}")]
    CaFile {
        url: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{url}: the CA file {path} holds no PEM certificate")]
    CaPem { url: String, path: PathBuf },
    #[error("in-cluster configuration: {0}")]
    InCluster(#[from] kube::config::InClusterError),
    #[error("cannot build a client: {0}")]
    Build(#[from] kube::Error),
}

/// The client configuration for a URL, a token file and a CA file, without a kubeconfig.
pub fn url_config(
    url: &str,
    token_file: Option<&std::path::Path>,
    ca_file: Option<&std::path::Path>,
    insecure: bool,
) -> Result<Config, ClientError> {
    let uri = url
        .parse::<http::Uri>()
        .map_err(|source| ClientError::Url {
            url: url.to_string(),
            source,
        })?;
    let mut config = Config::new(uri);
    config.accept_invalid_certs = insecure;
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|source| ClientError::CaFile {
            url: url.to_string(),
            path: path.to_path_buf(),
            source,
        })?;
        let certs: Vec<Vec<u8>> = pem::parse_many(&pem)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.tag() == "CERTIFICATE")
            .map(|p| p.into_contents())
            .collect();
        if certs.is_empty() {
            return Err(ClientError::CaPem {
                url: url.to_string(),
                path: path.to_path_buf(),
            });
        }
        config.root_cert = Some(certs);
        // Re-read when it rotates, like the token file.
        config.root_cert_file = Some(path.to_path_buf());
    }
    // The token is read from the file and re-read when it changes (projected tokens rotate).
    config.auth_info.token_file = token_file.map(|p| p.display().to_string());
    Ok(config)
}

/// Builds the kube client for a cluster.
pub async fn client_for(cluster: &Cluster) -> Result<Client, ClientError> {
    let options = |context: &str| KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let in_context = |context: &str| {
        let context = context.to_string();
        move |source| ClientError::Context { context, source }
    };
    let mut config = match &cluster.access {
        Access::Context {
            kubeconfig,
            context,
        } => {
            let kc = match kubeconfig {
                Some(path) => {
                    Kubeconfig::read_from(path).map_err(|source| ClientError::ReadKubeconfig {
                        path: path.clone(),
                        source,
                    })?
                }
                None => Kubeconfig::read().map_err(ClientError::DefaultKubeconfig)?,
            };
            Config::from_custom_kubeconfig(kc, &options(context))
                .await
                .map_err(in_context(context))?
        }
        Access::Inline {
            kubeconfig,
            context,
        } => {
            let kc = Kubeconfig::from_yaml(kubeconfig).map_err(ClientError::InlineKubeconfig)?;
            Config::from_custom_kubeconfig(kc, &options(context))
                .await
                .map_err(in_context(context))?
        }
        Access::Url {
            url,
            token_file,
            ca_file,
            insecure,
        } => url_config(url, token_file.as_deref(), ca_file.as_deref(), *insecure)?,
        Access::InCluster => Config::incluster()?,
    };
    config.connect_timeout = Some(std::time::Duration::from_secs(5));
    // kube retries 429/503/504 itself, up to 15 times with a backoff that grows to minutes, and
    // the watch looks healthy all the while. The watch loop retries instead (0.5 s to 10 s), and
    // the cluster shows as stale with the apiserver's answer in the meantime.
    config.default_retry = false;
    Ok(Client::try_from(config)?)
}
