//! The manifests under `deploy/`: every object parses as its k8s-openapi type, the RBAC is read-only
//! and never reaches Secrets, and the Deployment is what the README says it is.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy");

/// Every object of every `deploy/*.yaml`, with the file it came from.
fn objects() -> Vec<(String, serde_json::Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(DEPLOY)
        .unwrap_or_else(|e| panic!("{DEPLOY}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in {DEPLOY}");
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        for doc in serde_norway::Deserializer::from_str(&text) {
            let v = serde_json::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{name}: not YAML: {e}"));
            if !v.is_null() {
                out.push((name.clone(), v));
            }
        }
    }
    out
}

fn typed<T: serde::de::DeserializeOwned>(file: &str, v: &serde_json::Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{file}: {}: {e}", v["kind"]))
}

/// What Wayfinder watches (`clusters::watch`), by API group.
fn watched() -> BTreeSet<(String, String)> {
    [
        ("", "namespaces"),
        ("", "nodes"),
        ("", "pods"),
        ("", "services"),
        ("", "events"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("autoscaling", "horizontalpodautoscalers"),
        ("networking.k8s.io", "ingresses"),
    ]
    .into_iter()
    .map(|(g, r)| (g.to_string(), r.to_string()))
    .collect()
}

/// Checks a role's rules are read-only and returns the (group, resource) pairs they grant.
fn granted(file: &str, rules: &[PolicyRule]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for r in rules {
        for verb in &r.verbs {
            assert!(
                ["get", "list", "watch"].contains(&verb.as_str()),
                "{file}: verb {verb}"
            );
        }
        assert!(r.non_resource_urls.is_none(), "{file}: non-resource URLs");
        for g in r.api_groups.iter().flatten() {
            assert_ne!(g, "*", "{file}: every API group");
            for res in r.resources.iter().flatten() {
                assert!(
                    res != "*" && !res.contains("secret"),
                    "{file}: resource {res}"
                );
                out.insert((g.clone(), res.clone()));
            }
        }
    }
    out
}

#[test]
fn every_manifest_parses_and_the_rbac_is_read_only_without_secrets() {
    let all = objects();
    let (mut roles, mut deployments, mut budgets, mut accounts) =
        (0, Vec::new(), 0, BTreeSet::new());
    let mut bound_accounts = BTreeSet::new();
    let mut config_text = None;
    for (file, v) in &all {
        let text = v.to_string();
        assert!(
            !text.contains("secretKeyRef") && !text.contains("\"secret\":"),
            "{file}: {text}"
        );
        match v["kind"].as_str().unwrap_or_default() {
            "Namespace" => drop(typed::<Namespace>(file, v)),
            "ServiceAccount" => {
                let sa: ServiceAccount = typed(file, v);
                accounts.insert(sa.metadata.name.unwrap_or_default());
            }
            "ClusterRole" => {
                let r: ClusterRole = typed(file, v);
                let g = granted(file, r.rules.as_deref().unwrap_or_default());
                assert_eq!(
                    g,
                    watched(),
                    "{file}: the ClusterRole grants exactly what is watched"
                );
                roles += 1;
            }
            "Role" => {
                let r: Role = typed(file, v);
                let g = granted(file, r.rules.as_deref().unwrap_or_default());
                let mut want = watched();
                want.retain(|(_, res)| res != "namespaces" && res != "nodes");
                assert_eq!(g, want, "{file}: the Role grants the namespaced kinds");
                roles += 1;
            }
            "ClusterRoleBinding" => {
                let b: ClusterRoleBinding = typed(file, v);
                assert_eq!(b.role_ref.name, "wayfinder-reader", "{file}");
                bound_accounts.extend(b.subjects.into_iter().flatten().map(|s| s.name));
            }
            "RoleBinding" => {
                let b: RoleBinding = typed(file, v);
                assert_eq!(b.role_ref.name, "wayfinder-reader", "{file}");
            }
            "ConfigMap" => {
                let c: ConfigMap = typed(file, v);
                if let Some(t) = c.data.as_ref().and_then(|d| d.get("wayfinder.yaml")) {
                    config_text = Some(t.clone());
                }
            }
            "Deployment" => deployments.push(typed::<Deployment>(file, v)),
            "PodDisruptionBudget" => {
                let p: PodDisruptionBudget = typed(file, v);
                assert!(p.spec.and_then(|s| s.min_available).is_some(), "{file}");
                budgets += 1;
            }
            "Service" => drop(typed::<Service>(file, v)),
            other => panic!("{file}: unexpected kind {other}"),
        }
    }
    assert_eq!(roles, 2, "the ClusterRole and the namespaced Role");
    assert_eq!(budgets, 1);
    assert_eq!(deployments.len(), 1);
    let d = &deployments[0];
    let spec = d.spec.as_ref().unwrap_or_else(|| panic!("spec"));
    assert_eq!(spec.replicas, Some(2));
    let pod = spec
        .template
        .spec
        .as_ref()
        .unwrap_or_else(|| panic!("pod spec"));
    let account = pod.service_account_name.clone().unwrap_or_default();
    assert!(
        accounts.contains(&account) && bound_accounts.contains(&account),
        "{account}"
    );
    assert!(pod
        .topology_spread_constraints
        .as_ref()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(
        pod.security_context
            .as_ref()
            .and_then(|s| s.run_as_non_root),
        Some(true)
    );
    let c = &pod.containers[0];
    let path = |p: &Option<k8s_openapi::api::core::v1::Probe>| {
        p.as_ref()
            .and_then(|p| p.http_get.as_ref())
            .and_then(|h| h.path.clone())
    };
    assert_eq!(path(&c.readiness_probe).as_deref(), Some("/readyz"));
    assert_eq!(path(&c.liveness_probe).as_deref(), Some("/healthz"));
    assert!(c
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .is_some());
    let sc = c
        .security_context
        .as_ref()
        .unwrap_or_else(|| panic!("container securityContext"));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    // The configuration the Deployment mounts is one Wayfinder accepts.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("wayfinder.yaml");
    std::fs::write(
        &file,
        config_text.unwrap_or_else(|| panic!("no wayfinder.yaml ConfigMap")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = server::config::read_config(Path::new(&file)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.clusters.len(), 1);
    assert!(config.clusters[0].in_cluster);
}
