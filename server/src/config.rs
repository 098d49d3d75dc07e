//! Command-line flags (each also a `WAYFINDER_*` variable) and the optional `wayfinder.yaml`.

pub use crate::clusters::source::ClusterSource;
use clap::{Parser, ValueEnum};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The catalog shown when nothing else is configured: the demo fleet's.
pub const DEMO_CATALOG: &str = "examples/catalog";

/// Wayfinder: a developer portal showing where each service runs, what is broken and how close it is
/// to its autoscaling limits.
#[derive(Clone, Debug, Parser)]
#[command(name = "wayfinder", version, about)]
pub struct Cli {
    /// Address to serve the portal on.
    #[arg(long, env = "WAYFINDER_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// A descriptor file, a directory searched for *.yaml, or a glob. Repeatable; in the variable,
    /// comma-separated. Default: the config file's catalog.paths, else examples/catalog.
    #[arg(long = "catalog", env = "WAYFINDER_CATALOG", value_delimiter = ',')]
    pub catalog: Vec<PathBuf>,

    /// Configuration file (wayfinder.yaml).
    #[arg(long, env = "WAYFINDER_CONFIG")]
    pub config: Option<PathBuf>,

    /// Seconds between checks of the descriptor files for changes.
    #[arg(long, env = "WAYFINDER_CATALOG_REFRESH_SECONDS")]
    pub catalog_refresh_seconds: Option<u64>,

    /// Log format.
    #[arg(long, env = "WAYFINDER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// A kubeconfig: without a config file's `clusters:`, every context is a cluster named after it.
    #[arg(long, env = "WAYFINDER_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// No built-in demo fleet when no cluster is configured (a catalog-only portal).
    #[arg(long, env = "WAYFINDER_NO_DEMO")]
    pub no_demo: bool,

    /// `hpa-near-max` fires when current replicas reach this percentage of maxReplicas (1–100).
    #[arg(long, env = "WAYFINDER_HPA_NEAR_MAX_PERCENT", default_value_t = 80)]
    pub hpa_near_max_percent: u8,

    /// `rollout-paused` fires when an Argo Rollout has been paused this many minutes (a step's own
    /// timed pause not counted), 1–10080.
    #[arg(long, env = "WAYFINDER_ROLLOUT_PAUSED_MINUTES", default_value_t = 60)]
    pub rollout_paused_minutes: u32,

    /// Seconds between reads of each cluster's resource usage (metrics.k8s.io), 1–3600.
    #[arg(long, env = "WAYFINDER_METRICS_POLL_SECONDS", default_value_t = 30)]
    pub metrics_poll_seconds: u64,

    /// Directory with the built site (pkg/wayfinder.js, .wasm, .css). Default: $LEPTOS_SITE_ROOT,
    /// else target/site, else `site` next to the binary's directory.
    #[arg(long, env = "WAYFINDER_SITE_ROOT")]
    pub site_root: Option<PathBuf>,

    /// Behind an authenticating proxy: the header it sets on every request it let through (e.g.
    /// X-Forwarded-Email). Requests without it are refused (401), except /healthz, /readyz, /metrics.
    #[arg(long, env = "WAYFINDER_IDENTITY_HEADER")]
    pub identity_header: Option<String>,

    /// With --identity-header: the proxy's header listing the user's groups, comma separated (e.g.
    /// X-Forwarded-Groups). A group named like a service's owning team counts as membership.
    #[arg(long, env = "WAYFINDER_GROUPS_HEADER")]
    pub groups_header: Option<String>,

    /// With --identity-header: members of this group (in the groups header) may read every
    /// service's logs and object YAML.
    #[arg(long, env = "WAYFINDER_ADMIN_GROUP")]
    pub admin_group: Option<String>,

    /// Where the timeline's history is kept (an embedded SQLite file, history.sqlite3, in this
    /// directory; made if missing). Ignored with --database-url.
    #[arg(long, env = "WAYFINDER_DATA_DIR", default_value = "wayfinder-data")]
    pub data_dir: PathBuf,

    /// Keep the timeline's history in PostgreSQL instead (postgres://user:password@host/db), so
    /// that replicas share one history: each event is written once, whichever replica saw it first.
    #[arg(long, env = "WAYFINDER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// How many days of history are kept (at most 5 million events whatever their age).
    #[arg(long, env = "WAYFINDER_HISTORY_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(u32).range(1..=366))]
    pub history_days: u32,

    /// The timeline records a finding as cleared once it has been gone this long (dated when it
    /// went): a pod cycling through CrashLoopBackOff (up to 5 minutes between tries) does not flap.
    #[arg(long, env = "WAYFINDER_FINDING_SETTLE_SECONDS", default_value_t = 360)]
    pub finding_settle_seconds: u64,
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `wayfinder.yaml`. Unknown keys are errors, so a typo is never silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    #[serde(default)]
    pub catalog: CatalogConfig,
    /// The kubeconfig that `context:` entries refer to (default: $KUBECONFIG or ~/.kube/config).
    pub kubeconfig: Option<PathBuf>,
    #[serde(default)]
    pub clusters: Vec<crate::clusters::config::ClusterConfig>,
    #[serde(default)]
    pub auth: AuthConfig,
    /// Custom resources to watch in every cluster (each cluster may add its own).
    #[serde(default)]
    pub custom_resources: Vec<crate::clusters::config::CustomResource>,
}

/// The `auth:` section: who may see the portal is decided by a proxy in front of it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthConfig {
    /// The header the proxy sets on every request it let through.
    pub identity_header: Option<String>,
    /// The proxy's header with the user's groups, comma separated.
    pub groups_header: Option<String>,
    /// The group whose members may read every service's logs and YAML.
    pub admin_group: Option<String>,
}

/// The `catalog:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CatalogConfig {
    /// Paths relative to the config file's directory.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    pub refresh_seconds: Option<u64>,
}

/// The settings in force, after flags, variables and the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub listen: SocketAddr,
    pub catalog_paths: Vec<PathBuf>,
    pub catalog_refresh: Duration,
    /// True when no catalog was configured and the demo catalog is used.
    pub demo_catalog: bool,
    pub clusters: ClusterSource,
    /// Thresholds of the error rules.
    pub thresholds: crate::health::Thresholds,
    /// The auth proxy's identity header, when requests must carry one.
    pub identity_header: Option<axum::http::HeaderName>,
    /// The auth proxy's groups header.
    pub groups_header: Option<axum::http::HeaderName>,
    /// Members may read every service's logs and YAML.
    pub admin_group: Option<String>,
    /// How often each cluster's resource usage is read.
    pub metrics_every: Duration,
    /// Custom resources watched in every cluster.
    pub custom_resources: Vec<crate::clusters::config::CustomResource>,
    /// Where the timeline's history is kept.
    pub history: HistoryStore,
    /// Days of history kept.
    pub history_days: u32,
    /// How long a finding must be gone to be recorded as cleared.
    pub finding_settle: Duration,
}

/// Where the timeline's history is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryStore {
    /// An embedded SQLite file in this directory.
    Embedded(PathBuf),
    /// A PostgreSQL database, by URL.
    Postgres(String),
}

impl Settings {
    /// The clusters to watch, with the settings that apply to every one of them.
    pub fn apply(
        &self,
        mut clusters: Vec<crate::clusters::config::Cluster>,
    ) -> Vec<crate::clusters::config::Cluster> {
        for c in &mut clusters {
            c.metrics_every = self.metrics_every;
            for r in &self.custom_resources {
                if !c.custom_resources.contains(r) {
                    c.custom_resources.push(r.clone());
                }
            }
        }
        clusters
    }
}

/// A configuration mistake, said with the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
}

impl Cli {
    /// Merges flags (highest), the config file, and defaults.
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let file = match &self.config {
            Some(path) => Some((path.clone(), read_config(path)?)),
            None => None,
        };
        let (dir, file) = match file {
            Some((path, cfg)) => (
                path.parent().map(Path::to_path_buf).unwrap_or_default(),
                cfg,
            ),
            None => (PathBuf::new(), FileConfig::default()),
        };
        let mut catalog_paths = self.catalog.clone();
        if catalog_paths.is_empty() {
            catalog_paths = file.catalog.paths.iter().map(|p| dir.join(p)).collect();
        }
        let demo_catalog = catalog_paths.is_empty();
        if demo_catalog {
            catalog_paths.push(PathBuf::from(DEMO_CATALOG));
        }
        let refresh = self
            .catalog_refresh_seconds
            .or(file.catalog.refresh_seconds)
            .unwrap_or(2);
        if refresh == 0 {
            return Err(ConfigError::Invalid {
                path: self
                    .config
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "--catalog-refresh-seconds".into()),
                message: "catalog.refreshSeconds must be at least 1".into(),
            });
        }
        let kubeconfig = self
            .kubeconfig
            .clone()
            .or_else(|| file.kubeconfig.as_ref().map(|k| dir.join(k)));
        let clusters = if !file.clusters.is_empty() {
            let mut names = std::collections::HashSet::new();
            let mut checked = Vec::new();
            for (i, c) in file.clusters.iter().enumerate() {
                let cluster =
                    crate::clusters::config::check(i, c, kubeconfig.as_ref()).map_err(|e| {
                        ConfigError::Invalid {
                            path: self
                                .config
                                .as_ref()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default(),
                            message: e.to_string(),
                        }
                    })?;
                if !names.insert(cluster.name.clone()) {
                    return Err(ConfigError::Invalid {
                        path: self
                            .config
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                        message: format!("clusters[{i}].name: “{}” is used twice", cluster.name),
                    });
                }
                checked.push(cluster);
            }
            ClusterSource::Listed(checked)
        } else if let Some(k) = kubeconfig {
            ClusterSource::Kubeconfig(k)
        } else if self.config.is_none() && !self.no_demo {
            ClusterSource::Demo
        } else {
            ClusterSource::None
        };
        if !(1..=100).contains(&self.hpa_near_max_percent) {
            return Err(ConfigError::Invalid {
                path: "--hpa-near-max-percent".into(),
                message: format!(
                    "{} is not a percentage from 1 to 100",
                    self.hpa_near_max_percent
                ),
            });
        }
        if !(1..=10_080).contains(&self.rollout_paused_minutes) {
            return Err(ConfigError::Invalid {
                path: "--rollout-paused-minutes".into(),
                message: format!(
                    "{} is not a number of minutes from 1 to 10080 (a week)",
                    self.rollout_paused_minutes
                ),
            });
        }
        if !(1..=3600).contains(&self.metrics_poll_seconds) {
            return Err(ConfigError::Invalid {
                path: "--metrics-poll-seconds".into(),
                message: format!("{} is not from 1 to 3600", self.metrics_poll_seconds),
            });
        }
        let file_key = |key: &str| {
            format!(
                "{}: auth.{key}",
                self.config
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            )
        };
        let header =
            |flag: &Option<String>, flag_name: &str, file: &Option<String>, key: &str| match (
                flag, file,
            ) {
                (Some(flag), _) => header_name(flag_name, flag).map(Some),
                (None, Some(value)) => header_name(&file_key(key), value).map(Some),
                (None, None) => Ok(None),
            };
        let identity_header = header(
            &self.identity_header,
            "--identity-header",
            &file.auth.identity_header,
            "identityHeader",
        )?;
        let groups_header = header(
            &self.groups_header,
            "--groups-header",
            &file.auth.groups_header,
            "groupsHeader",
        )?;
        let admin_group = self
            .admin_group
            .clone()
            .or_else(|| file.auth.admin_group.clone())
            .filter(|g| !g.trim().is_empty());
        if identity_header.is_none() && (groups_header.is_some() || admin_group.is_some()) {
            return Err(ConfigError::Invalid {
                path: "--groups-header/--admin-group".into(),
                message:
                    "they need --identity-header (without an auth proxy, logs are open to everyone)"
                        .into(),
            });
        }
        for (i, r) in file.custom_resources.iter().enumerate() {
            r.check(&format!("customResources[{i}]"))
                .map_err(|message| ConfigError::Invalid {
                    path: self
                        .config
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    message,
                })?;
        }
        // The demo fleet's clusters run cert-manager: its Certificates are watched like a
        // configured custom resource.
        let custom_resources = if clusters == ClusterSource::Demo {
            kubesim::demo::CUSTOM_RESOURCES
                .iter()
                .map(
                    |(group, version, plural)| crate::clusters::config::CustomResource {
                        group: group.to_string(),
                        api_version: version.to_string(),
                        plural: plural.to_string(),
                    },
                )
                .collect()
        } else {
            file.custom_resources.clone()
        };
        Ok(Settings {
            history: match self.database_url.clone().filter(|u| !u.is_empty()) {
                Some(url) => HistoryStore::Postgres(url),
                None => HistoryStore::Embedded(self.data_dir.clone()),
            },
            history_days: self.history_days,
            finding_settle: Duration::from_secs(self.finding_settle_seconds),
            custom_resources,
            identity_header,
            groups_header,
            admin_group,
            thresholds: crate::health::Thresholds {
                near_max: f64::from(self.hpa_near_max_percent) / 100.0,
                rollout_paused: i64::from(self.rollout_paused_minutes) * 60,
            },
            clusters,
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000))),
            catalog_paths,
            catalog_refresh: Duration::from_secs(refresh),
            demo_catalog,
            metrics_every: Duration::from_secs(self.metrics_poll_seconds),
        })
    }
}

/// A header name from the configuration, or an error naming where it was given.
fn header_name(at: &str, name: &str) -> Result<axum::http::HeaderName, ConfigError> {
    axum::http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| ConfigError::Invalid {
        path: at.to_string(),
        message: format!("“{name}” is not an HTTP header name"),
    })
}

/// Reads and checks `wayfinder.yaml`.
pub fn read_config(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_config(&path.display().to_string(), &text)
}

fn parse_config(path: &str, text: &str) -> Result<FileConfig, ConfigError> {
    if text.trim().is_empty() {
        return Ok(FileConfig::default());
    }
    serde_norway::from_str(text).map_err(|e| ConfigError::Invalid {
        path: path.to_string(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("wayfinder").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_to_the_demo_catalog() {
        let s = cli(&[]).settings().unwrap_or_else(|e| panic!("{e}"));
        assert!(s.demo_catalog);
        assert_eq!(s.clusters, ClusterSource::Demo);
        assert_eq!(
            cli(&["--no-demo"]).settings().map(|s| s.clusters).ok(),
            Some(ClusterSource::None)
        );
        assert_eq!(
            cli(&["--kubeconfig", "/k"])
                .settings()
                .map(|s| s.clusters)
                .ok(),
            Some(ClusterSource::Kubeconfig(PathBuf::from("/k")))
        );
        assert_eq!(s.catalog_paths, [PathBuf::from(DEMO_CATALOG)]);
        assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
    }

    #[test]
    fn flags_win_over_the_file_and_paths_are_relative_to_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("wayfinder.yaml");
        std::fs::write(
            &path,
            "listen: 0.0.0.0:8080\ncatalog:\n  paths: [descriptors]\n  refreshSeconds: 9\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let config = path.display().to_string();
        let s = cli(&["--config", &config])
            .settings()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.catalog_paths, [dir.path().join("descriptors")]);
        assert_eq!(s.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(s.catalog_refresh, Duration::from_secs(9));
        let s = cli(&[
            "--config",
            &config,
            "--catalog",
            "a",
            "--catalog",
            "b",
            "--listen",
            "127.0.0.1:1",
        ])
        .settings()
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.catalog_paths, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(s.listen.to_string(), "127.0.0.1:1");
    }

    #[test]
    fn cluster_mistakes_name_the_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("w.yaml");
        let config = path.display().to_string();
        let error = |yaml: &str| {
            std::fs::write(&path, yaml).unwrap_or_else(|e| panic!("{e}"));
            cli(&["--config", &config])
                .settings()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let e = error("clusters:\n  - name: a\n  - name: a\n");
        assert!(
            e.contains("clusters[1].name") && e.contains("used twice"),
            "{e}"
        );
        let e = error("clusters:\n  - name: a\n    url: ftp://x\n");
        assert!(e.contains("clusters[0].url"), "{e}");
        std::fs::write(
            &path,
            "kubeconfig: kube.yaml\nclusters:\n  - name: prod\n    region: eu-west-1\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let s = cli(&["--config", &config])
            .settings()
            .unwrap_or_else(|e| panic!("{e}"));
        let ClusterSource::Listed(list) = s.clusters else {
            panic!("listed clusters expected")
        };
        assert_eq!(
            list[0].access,
            crate::clusters::config::Access::Context {
                kubeconfig: Some(dir.path().join("kube.yaml")),
                context: "prod".into()
            }
        );
        let s = cli(&["--config", &config, "--catalog", "x"])
            .settings()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.demo_catalog);
    }

    #[test]
    fn mistakes_name_the_key_and_the_line() {
        let e = parse_config("wayfinder.yaml", "catalog:\n  pathz: [x]\n")
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.starts_with("config file wayfinder.yaml:"), "{e}");
        assert!(
            e.contains("unknown field `pathz`") && e.contains("line 2"),
            "{e}"
        );
        let e = parse_config("w.yaml", "listen: nowhere\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("listen"), "{e}");
        let e = read_config(Path::new("/nonexistent/wayfinder.yaml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("cannot read config file /nonexistent/wayfinder.yaml"),
            "{e}"
        );
    }

    #[test]
    fn the_identity_header_comes_from_the_flag_or_the_file_and_must_be_a_header_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("w.yaml");
        let config = path.display().to_string();
        std::fs::write(&path, "auth:\n  identityHeader: X-Forwarded-Email\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let header = |args: &[&str]| {
            cli(args)
                .settings()
                .map(|s| s.identity_header.map(|h| h.to_string()))
                .map_err(|e| e.to_string())
        };
        assert_eq!(header(&[]), Ok(None));
        assert_eq!(
            header(&["--config", &config]),
            Ok(Some("x-forwarded-email".into()))
        );
        assert_eq!(
            header(&[
                "--config",
                &config,
                "--identity-header",
                "X-Auth-Request-User"
            ]),
            Ok(Some("x-auth-request-user".into()))
        );
        let e = header(&["--identity-header", "no such header"])
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("--identity-header") && e.contains("not an HTTP header name"),
            "{e}"
        );
        std::fs::write(&path, "auth:\n  identityHeader: \"bad:name\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let e = header(&["--config", &config]).err().unwrap_or_default();
        assert!(e.contains("auth.identityHeader"), "{e}");
    }
}
