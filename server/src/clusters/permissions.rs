//! What Wayfinder's identity may do in a cluster: one SelfSubjectAccessReview per right a feature
//! wants, and per right it should never hold (any write verb, any access to Secrets), at start and
//! every 10 minutes, kept in memory. A review changes nothing in the cluster (every authenticated
//! identity may ask, through `system:basic-user`), so the portal stays read-only.

use app::model::{PermissionCheck, PermissionGap};
use futures::StreamExt;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// How often the rights are checked again.
pub const CHECK_EVERY: Duration = Duration::from_secs(600);
/// One check that takes longer than this failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(60);
/// A check that failed (a slow or unreachable cluster) is tried again this soon.
const RETRY_SOON: Duration = Duration::from_secs(30);
/// Reviews in flight at once.
const AT_ONCE: usize = 8;

/// One right: a verb on a resource (cluster-wide), and what it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Right {
    pub group: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
    pub verb: &'static str,
    /// The feature that wants it, or why holding it is too much.
    pub why: &'static str,
}

const fn right(
    group: &'static str,
    resource: &'static str,
    verb: &'static str,
    why: &'static str,
) -> Right {
    Right {
        group,
        resource,
        subresource: "",
        verb,
        why,
    }
}

/// The kinds watched (`clusters::watch`), by API group, and what each is for.
const WATCHED: &[(&str, &str, &str)] = &[
    ("", "namespaces", "the namespaces visible"),
    ("", "nodes", "regions and nodes"),
    ("", "pods", "pods on the cluster map"),
    ("", "services", "Services on the cluster map"),
    ("", "events", "Warning events"),
    ("apps", "deployments", "workloads"),
    ("apps", "replicasets", "rollout history"),
    ("apps", "statefulsets", "workloads"),
    ("apps", "daemonsets", "workloads"),
    ("batch", "jobs", "workloads"),
    ("batch", "cronjobs", "workloads"),
    ("autoscaling", "horizontalpodautoscalers", "autoscaling"),
    (
        "networking.k8s.io",
        "ingresses",
        "Ingresses on the cluster map",
    ),
    ("policy", "poddisruptionbudgets", "PodDisruptionBudgets"),
    ("argoproj.io", "rollouts", "Argo Rollouts"),
    ("keda.sh", "scaledobjects", "KEDA autoscaling"),
    ("keda.sh", "scaledjobs", "KEDA autoscaling"),
];

/// The rights the features want; `custom`: the configured custom resources, as (group, plural).
pub fn wanted(custom: &[(&'static str, &'static str)]) -> Vec<Right> {
    let mut out = Vec::new();
    let configured = custom
        .iter()
        .map(|(g, p)| (*g, *p, "configured custom resources"));
    for (group, resource, why) in WATCHED.iter().copied().chain(configured) {
        out.push(right(group, resource, "list", why));
        out.push(right(group, resource, "watch", why));
    }
    out.push(Right {
        subresource: "log",
        ..right("", "pods", "get", "pod logs")
    });
    out.push(right("metrics.k8s.io", "pods", "list", "resource usage"));
    out
}

/// Rights a read-only portal must not hold.
pub fn excess() -> Vec<Right> {
    let mut out = Vec::new();
    for verb in ["get", "list", "watch"] {
        out.push(right("", "secrets", verb, "Secrets"));
    }
    for (group, resource) in [
        ("", "pods"),
        ("", "configmaps"),
        ("", "services"),
        ("apps", "deployments"),
    ] {
        for verb in ["create", "update", "patch", "delete"] {
            out.push(right(group, resource, verb, "a write verb"));
        }
    }
    out.push(Right {
        subresource: "exec",
        ..right("", "pods", "create", "exec into pods")
    });
    out
}

/// `list pods` or `get pods/log` or `watch deployments.apps`, as RBAC names it.
pub fn words(r: &Right) -> String {
    let sub = if r.subresource.is_empty() {
        String::new()
    } else {
        format!("/{}", r.subresource)
    };
    let group = if r.group.is_empty() {
        String::new()
    } else {
        format!(".{}", r.group)
    };
    format!("{} {}{sub}{group}", r.verb, r.resource)
}

/// The check's outcome from each right's answer: what is missing (by feature), what is too much.
pub fn assess(wanted: &[(Right, bool)], excess: &[(Right, bool)], at: String) -> PermissionCheck {
    let mut missing: Vec<PermissionGap> = Vec::new();
    for (r, _) in wanted.iter().filter(|(_, allowed)| !allowed) {
        match missing.iter_mut().find(|g| g.feature == r.why) {
            Some(g) => g.rights.push(words(r)),
            None => missing.push(PermissionGap {
                feature: r.why.to_string(),
                rights: vec![words(r)],
            }),
        }
    }
    PermissionCheck {
        checked: Some(at),
        error: None,
        missing,
        excess: excess
            .iter()
            .filter(|(_, allowed)| *allowed)
            .map(|(r, _)| words(r))
            .collect(),
    }
}

/// The latest check of one cluster.
#[derive(Default)]
pub struct Permissions {
    latest: RwLock<Option<PermissionCheck>>,
}

impl Permissions {
    pub fn latest(&self) -> Option<PermissionCheck> {
        self.latest
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, check: PermissionCheck) {
        *self.latest.write().unwrap_or_else(PoisonError::into_inner) = Some(check);
    }
}

async fn review(client: &Client, r: Right) -> Result<bool, kube::Error> {
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let ask = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some(r.group.to_string()),
                resource: Some(r.resource.to_string()),
                subresource: (!r.subresource.is_empty()).then(|| r.subresource.to_string()),
                verb: Some(r.verb.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = api.create(&PostParams::default(), &ask).await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

async fn answers(client: &Client, rights: Vec<Right>) -> Result<Vec<(Right, bool)>, kube::Error> {
    futures::stream::iter(rights)
        .map(|r| async move { review(client, r).await.map(|a| (r, a)) })
        .buffered(AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// One check of every right.
pub async fn check(client: &Client, custom: &[(&'static str, &'static str)]) -> PermissionCheck {
    let at = crate::time::rfc3339(jiff::Timestamp::now());
    let both = async {
        (
            answers(client, wanted(custom)).await,
            answers(client, excess()).await,
        )
    };
    match tokio::time::timeout(CHECK_TIMEOUT, both).await {
        Ok((Ok(w), Ok(e))) => assess(&w, &e, at),
        Ok((Err(e), _)) | Ok((_, Err(e))) => PermissionCheck {
            checked: Some(at),
            error: Some(format!("the access review failed: {e}")),
            ..Default::default()
        },
        Err(_) => PermissionCheck {
            checked: Some(at),
            error: Some(format!(
                "the access review took longer than {} s",
                CHECK_TIMEOUT.as_secs()
            )),
            ..Default::default()
        },
    }
}

/// Checks the rights now and every [`CHECK_EVERY`], until the cluster is dropped.
pub async fn poll(
    client: Client,
    permissions: Arc<Permissions>,
    cluster: String,
    custom: Vec<(&'static str, &'static str)>,
    every: Duration,
) {
    loop {
        let check = check(&client, &custom).await;
        if let Some(e) = &check.error {
            tracing::info!(cluster = %cluster, "permission check: {e}");
        } else if !check.excess.is_empty() {
            tracing::warn!(cluster = %cluster, excess = ?check.excess, "Wayfinder's identity holds more than it needs");
        }
        let failed = check.error.is_some();
        permissions.set(check);
        tokio::time::sleep(if failed { every.min(RETRY_SOON) } else { every }).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_names_what_is_missing_by_feature_and_what_is_too_much() {
        let w = wanted(&[]);
        let answers: Vec<(Right, bool)> = w
            .iter()
            .map(|r| {
                (
                    *r,
                    !(r.resource == "pods" && r.subresource == "log")
                        && r.group != "metrics.k8s.io",
                )
            })
            .collect();
        let e: Vec<(Right, bool)> = excess()
            .into_iter()
            .map(|r| (r, r.resource == "secrets" && r.verb != "watch"))
            .collect();
        let c = assess(&answers, &e, "now".into());
        assert_eq!(
            c.missing,
            [
                PermissionGap {
                    feature: "pod logs".into(),
                    rights: vec!["get pods/log".into()]
                },
                PermissionGap {
                    feature: "resource usage".into(),
                    rights: vec!["list pods.metrics.k8s.io".into()]
                },
            ]
        );
        assert_eq!(c.excess, ["get secrets", "list secrets"]);
        let all_fine = assess(
            &w.iter().map(|r| (*r, true)).collect::<Vec<_>>(),
            &excess().into_iter().map(|r| (r, false)).collect::<Vec<_>>(),
            "now".into(),
        );
        assert!(all_fine.missing.is_empty() && all_fine.excess.is_empty());
        assert_eq!(
            words(&right("apps", "deployments", "delete", "")),
            "delete deployments.apps"
        );
    }

    #[test]
    fn the_wanted_rights_are_the_deploy_roles_and_nothing_more() {
        // Every kind watched wants list and watch; the deploy roles (server/tests/deploy.rs) grant
        // exactly these.
        let w = wanted(&[]);
        assert!(w.iter().all(|r| ["list", "watch", "get"].contains(&r.verb)));
        assert!(excess().iter().all(|r| !w.contains(r)));
        assert_eq!(w.len(), WATCHED.len() * 2 + 2);
    }
}
