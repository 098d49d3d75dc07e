//! Which clusters to watch and how to reach them: kubeconfig contexts, URL + token + CA, in-cluster.

use serde::Deserialize;
use std::path::PathBuf;

/// One cluster in `wayfinder.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterConfig {
    /// The name used in URLs, the API and metrics.
    pub name: String,
    /// Shown instead of the name.
    #[serde(default)]
    pub title: Option<String>,
    /// A kubeconfig context (of `kubeconfig:` or the default kubeconfig).
    #[serde(default)]
    pub context: Option<String>,
    /// The apiserver URL, with `tokenFile` and `caFile` (or `insecureSkipTLSVerify`).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure_skip_tls_verify: bool,
    /// Use the pod's service account (Wayfinder running in this cluster).
    #[serde(default)]
    pub in_cluster: bool,
    /// Else derived from the Nodes' `topology.kubernetes.io/region`.
    #[serde(default)]
    pub region: Option<String>,
    /// `production`, `staging`…
    #[serde(default)]
    pub environment: Option<String>,
    /// A link per cluster: `{cluster}`, `{namespace}`, `{name}` are filled in.
    #[serde(default)]
    pub dashboard_url: Option<String>,
    /// Only these namespaces are watched (one watch per namespace and kind).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// `false`: the portal never reads this cluster's pod logs (default `true`).
    #[serde(default)]
    pub logs: Option<bool>,
    /// Custom resources to watch in this cluster, besides the file's top-level `customResources`.
    #[serde(default)]
    pub custom_resources: Vec<CustomResource>,
}

/// A custom resource to watch, as Backstage's Kubernetes plugin configures it:
/// `{group: cert-manager.io, apiVersion: v1, plural: certificates}`. Its objects map to services by
/// the same labels as any other object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomResource {
    pub group: String,
    /// The version within the group (`v1`, `v1alpha1`), as Backstage names it.
    pub api_version: String,
    pub plural: String,
}

impl CustomResource {
    /// `certificates.cert-manager.io`, as kubectl names a resource of a group.
    pub fn id(&self) -> String {
        format!("{}.{}", self.plural, self.group)
    }

    /// A mistake in it, said with `at` (`customResources[0]`, `clusters[2].customResources[1]`).
    pub fn check(&self, at: &str) -> Result<(), String> {
        let dns = |s: &str| {
            !s.is_empty()
                && s.len() <= 253
                && s.split('.').all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                })
        };
        if !dns(&self.group) {
            return Err(format!(
                "{at}.group: “{}” is not an API group (lowercase DNS name, like cert-manager.io)",
                self.group
            ));
        }
        let version = !self.api_version.is_empty()
            && self.api_version.len() <= 63
            && self
                .api_version
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !version {
            return Err(format!(
                "{at}.apiVersion: “{}” is not a version of the group (like v1 or v1alpha1)",
                self.api_version
            ));
        }
        if !dns(&self.plural) || self.plural.contains('.') {
            return Err(format!(
                "{at}.plural: “{}” is not a resource's plural name (like certificates)",
                self.plural
            ));
        }
        Ok(())
    }
}

/// How a cluster is reached, after checking the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Context {
        kubeconfig: Option<PathBuf>,
        context: String,
    },
    Url {
        url: String,
        token_file: Option<PathBuf>,
        ca_file: Option<PathBuf>,
        insecure: bool,
    },
    InCluster,
    /// A kubeconfig given as text (the in-process demo fleet).
    Inline {
        kubeconfig: String,
        context: String,
    },
}

/// A checked cluster: how to reach it and how to show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    pub title: String,
    pub region: Option<String>,
    pub environment: String,
    pub dashboard_url: Option<String>,
    pub namespaces: Vec<String>,
    /// Pod logs may be read (on request) from this cluster.
    pub logs: bool,
    pub access: Access,
    /// How often resource usage is read from `metrics.k8s.io`.
    pub metrics_every: std::time::Duration,
    /// The custom resources watched there (the file's top-level ones and its own).
    pub custom_resources: Vec<CustomResource>,
}

/// A mistake in one `clusters[i]` entry, naming the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterConfigError {
    #[error("clusters[{0}].name: a name is required")]
    NoName(usize),
    #[error("clusters[{0}].name: “{1}” may only hold letters, digits, '-', '_' and '.'")]
    BadName(usize, String),
    #[error("clusters[{0}] ({1}): give one of context, url or inCluster")]
    TwoWays(usize, String),
    #[error("clusters[{0}].url: “{1}” is not an http(s) URL")]
    NotHttp(usize, String),
    #[error("clusters[{0}] ({1}): tokenFile, caFile and insecureSkipTLSVerify go with url")]
    UrlOptionsWithoutUrl(usize, String),
    #[error("{0}")]
    CustomResource(String),
}

/// Checks one `clusters[i]` entry; errors name the key.
pub fn check(
    i: usize,
    c: &ClusterConfig,
    kubeconfig: Option<&PathBuf>,
) -> Result<Cluster, ClusterConfigError> {
    if c.name.trim().is_empty() {
        return Err(ClusterConfigError::NoName(i));
    }
    if !c
        .name
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
    {
        return Err(ClusterConfigError::BadName(i, c.name.clone()));
    }
    let ways = [c.context.is_some(), c.url.is_some(), c.in_cluster]
        .iter()
        .filter(|w| **w)
        .count();
    if ways > 1 {
        return Err(ClusterConfigError::TwoWays(i, c.name.clone()));
    }
    let access = if let Some(url) = &c.url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ClusterConfigError::NotHttp(i, url.clone()));
        }
        Access::Url {
            url: url.clone(),
            token_file: c.token_file.clone(),
            ca_file: c.ca_file.clone(),
            insecure: c.insecure_skip_tls_verify,
        }
    } else if c.in_cluster {
        Access::InCluster
    } else {
        Access::Context {
            kubeconfig: kubeconfig.cloned(),
            context: c.context.clone().unwrap_or_else(|| c.name.clone()),
        }
    };
    if (c.token_file.is_some() || c.ca_file.is_some() || c.insecure_skip_tls_verify)
        && c.url.is_none()
    {
        return Err(ClusterConfigError::UrlOptionsWithoutUrl(i, c.name.clone()));
    }
    for (j, r) in c.custom_resources.iter().enumerate() {
        r.check(&format!("clusters[{i}].customResources[{j}]"))
            .map_err(ClusterConfigError::CustomResource)?;
    }
    Ok(Cluster {
        name: c.name.clone(),
        title: c.title.clone().unwrap_or_else(|| c.name.clone()),
        region: c.region.clone(),
        environment: c.environment.clone().unwrap_or_else(|| "production".into()),
        dashboard_url: c.dashboard_url.clone(),
        namespaces: c.namespaces.clone(),
        logs: c.logs.unwrap_or(true),
        access,
        metrics_every: super::usage::POLL_EVERY,
        custom_resources: c.custom_resources.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(yaml: &str) -> ClusterConfig {
        serde_norway::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn each_way_of_reaching_a_cluster() {
        let c = check(
            0,
            &cfg("name: prod\ncontext: prod-ctx\nregion: eu-west-1\n"),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.access,
            Access::Context {
                kubeconfig: None,
                context: "prod-ctx".into()
            }
        );
        assert_eq!(c.environment, "production");
        let c = check(
            0,
            &cfg("name: prod\nurl: https://k8s.example.com\ntokenFile: /t\ncaFile: /ca\n"),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            c.access,
            Access::Url {
                insecure: false,
                ..
            }
        ));
        let c =
            check(0, &cfg("name: here\ninCluster: true\n"), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.access, Access::InCluster);
        let c = check(0, &cfg("name: prod-eu-1\n"), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.access,
            Access::Context {
                kubeconfig: None,
                context: "prod-eu-1".into()
            },
            "the context defaults to the name"
        );
    }

    #[test]
    fn mistakes_name_the_key() {
        let e = |yaml: &str| {
            check(3, &cfg(yaml), None)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(e("name: ''\n").starts_with("clusters[3].name"));
        assert!(e("name: a b\n").starts_with("clusters[3].name"));
        assert!(e("name: a\nurl: ftp://x\n").starts_with("clusters[3].url"));
        assert!(e("name: a\nurl: https://x\ninCluster: true\n")
            .contains("one of context, url or inCluster"));
        assert!(e("name: a\ntokenFile: /t\n").contains("go with url"));
        assert_eq!(
            e("name: a\ncustomResources:\n  - {group: Cert-Manager.io, apiVersion: v1, plural: certificates}\n"),
            "clusters[3].customResources[0].group: “Cert-Manager.io” is not an API group (lowercase DNS name, like cert-manager.io)"
        );
        assert!(
            e("name: a\ncustomResources:\n  - {group: x.io, apiVersion: v1, plural: ''}\n")
                .starts_with("clusters[3].customResources[0].plural")
        );
        assert!(e(
            "name: a\ncustomResources:\n  - {group: x.io, apiVersion: 'v1/beta', plural: xs}\n"
        )
        .starts_with("clusters[3].customResources[0].apiVersion"));
        let ok = check(
            0,
            &cfg("name: a\ncustomResources:\n  - {group: cert-manager.io, apiVersion: v1, plural: certificates}\n"),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.custom_resources[0].id(), "certificates.cert-manager.io");
        let unknown: Result<ClusterConfig, _> = serde_norway::from_str("name: a\nregoin: x\n");
        assert!(unknown
            .err()
            .is_some_and(|e| e.to_string().contains("regoin")));
    }
}
