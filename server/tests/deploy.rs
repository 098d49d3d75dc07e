//! The manifests under `deploy/` and the Helm chart in `deploy/helm/wayfinder` (rendered here: no
//! `helm` binary can be installed on these machines): every object parses as its k8s-openapi type,
//! the RBAC is read-only and never reaches Secrets, and the Deployment is what the README says.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

mod common;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy");

/// Every object of every `deploy/*.yaml`, with the file it came from.
fn manifests() -> Vec<(String, serde_json::Value)> {
    let files = common::yaml_files(Path::new(DEPLOY));
    assert!(!files.is_empty(), "no manifests in {DEPLOY}");
    files
        .iter()
        .flat_map(|(name, text)| documents(name, text))
        .collect()
}

/// The objects of a multi-document YAML text.
fn documents(name: &str, text: &str) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let v = serde_json::Value::deserialize(doc)
            .unwrap_or_else(|e| panic!("{name}: not YAML: {e}\n{text}"));
        if !v.is_null() {
            out.push((name.to_string(), v));
        }
    }
    out
}

fn typed<T: serde::de::DeserializeOwned>(file: &str, v: &serde_json::Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{file}: {}: {e}", v["kind"]))
}

/// What Wayfinder watches (`clusters::watch`), by API group, the pod logs it reads on request and
/// the pod metrics it polls (`clusters::usage`).
fn watched() -> BTreeSet<(String, String)> {
    [
        ("", "namespaces"),
        ("", "nodes"),
        ("", "pods"),
        ("", "services"),
        ("", "events"),
        ("", "pods/log"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("autoscaling", "horizontalpodautoscalers"),
        ("networking.k8s.io", "ingresses"),
        ("policy", "poddisruptionbudgets"),
        ("argoproj.io", "rollouts"),
        ("keda.sh", "scaledobjects"),
        ("keda.sh", "scaledjobs"),
        ("metrics.k8s.io", "pods"),
    ]
    .into_iter()
    .map(|(g, r)| (g.to_string(), r.to_string()))
    .collect()
}

/// Checks a role's rules are read-only and returns the (group, resource) pairs they grant.
fn granted(file: &str, rules: &[PolicyRule]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for r in rules {
        let logs = r.resources.iter().flatten().any(|res| res == "pods/log");
        for verb in &r.verbs {
            assert!(
                ["get", "list", "watch"].contains(&verb.as_str()),
                "{file}: verb {verb}"
            );
            // Logs are read on request, one at a time: `get` only.
            assert!(!logs || verb == "get", "{file}: pods/log {verb}");
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

/// What a set of manifests holds, after each object was parsed and checked on its own.
#[derive(Default)]
struct Checked {
    cluster_roles: usize,
    /// Namespaces with a Role.
    role_namespaces: BTreeSet<String>,
    deployments: Vec<(String, Deployment)>,
    budgets: usize,
    services: usize,
    accounts: BTreeSet<String>,
    bound_accounts: BTreeSet<String>,
    config_text: Option<String>,
    catalog_files: usize,
}

/// Parses every object as its k8s-openapi type; RBAC is read-only, without Secrets, and grants
/// exactly the kinds Wayfinder watches; bindings name a role defined beside them.
fn check(all: &[(String, serde_json::Value)]) -> Checked {
    check_with(all, &[])
}

/// [`check`] with custom resources configured (their `(group, plural)` granted besides).
fn check_with(all: &[(String, serde_json::Value)], custom: &[(&str, &str)]) -> Checked {
    let watched = || {
        let mut w = watched();
        w.extend(custom.iter().map(|(g, p)| (g.to_string(), p.to_string())));
        w
    };
    let mut c = Checked::default();
    let mut role_names = BTreeSet::new();
    let mut bound_roles = Vec::new();
    for (file, v) in all {
        let text = v.to_string();
        // The one Secret a manifest may name: the history's database URL, which the kubelet hands
        // to the pod (`history.existingSecret`); the portal's own identity never reads a Secret.
        let database_url = text
            .matches(r#"{"name":"WAYFINDER_DATABASE_URL","valueFrom":{"secretKeyRef""#)
            .count();
        assert!(
            text.matches("secretKeyRef").count() == database_url && !text.contains("\"secret\":"),
            "{file}: {text}"
        );
        match v["kind"].as_str().unwrap_or_default() {
            "Namespace" => drop(typed::<Namespace>(file, v)),
            "ServiceAccount" => {
                let sa: ServiceAccount = typed(file, v);
                c.accounts.insert(sa.metadata.name.unwrap_or_default());
            }
            "ClusterRole" => {
                let r: ClusterRole = typed(file, v);
                let g = granted(file, r.rules.as_deref().unwrap_or_default());
                assert_eq!(
                    g,
                    watched(),
                    "{file}: the ClusterRole grants exactly what is watched"
                );
                role_names.insert((
                    "ClusterRole".to_string(),
                    r.metadata.name.unwrap_or_default(),
                ));
                c.cluster_roles += 1;
            }
            "Role" => {
                let r: Role = typed(file, v);
                let g = granted(file, r.rules.as_deref().unwrap_or_default());
                let mut want = watched();
                want.retain(|(_, res)| res != "namespaces" && res != "nodes");
                assert_eq!(g, want, "{file}: the Role grants the namespaced kinds");
                role_names.insert(("Role".to_string(), r.metadata.name.unwrap_or_default()));
                c.role_namespaces
                    .insert(r.metadata.namespace.unwrap_or_default());
            }
            "ClusterRoleBinding" => {
                let b: ClusterRoleBinding = typed(file, v);
                bound_roles.push((file.clone(), b.role_ref.kind, b.role_ref.name));
                c.bound_accounts
                    .extend(b.subjects.into_iter().flatten().map(|s| s.name));
            }
            "RoleBinding" => {
                let b: RoleBinding = typed(file, v);
                bound_roles.push((file.clone(), b.role_ref.kind, b.role_ref.name));
                c.bound_accounts
                    .extend(b.subjects.into_iter().flatten().map(|s| s.name));
            }
            "ConfigMap" => {
                let m: ConfigMap = typed(file, v);
                let data = m.data.unwrap_or_default();
                match data.get("wayfinder.yaml") {
                    Some(t) => c.config_text = Some(t.clone()),
                    None => c.catalog_files += data.len(),
                }
            }
            "Deployment" => c.deployments.push((file.clone(), typed(file, v))),
            "PodDisruptionBudget" => {
                let p: PodDisruptionBudget = typed(file, v);
                assert!(p.spec.and_then(|s| s.min_available).is_some(), "{file}");
                c.budgets += 1;
            }
            "Service" => {
                drop(typed::<Service>(file, v));
                c.services += 1;
            }
            other => panic!("{file}: unexpected kind {other}"),
        }
    }
    for (file, kind, name) in bound_roles {
        assert!(
            role_names.contains(&(kind.clone(), name.clone())),
            "{file}: binds {kind} {name}, which is not defined"
        );
    }
    c
}

/// The Deployment runs as the README says: probes, requests, non-root, read-only root, spread,
/// under a service account that is bound to the reader role.
fn check_deployment(c: &Checked) -> &Deployment {
    assert_eq!(c.deployments.len(), 1);
    let (file, d) = &c.deployments[0];
    let spec = d.spec.as_ref().unwrap_or_else(|| panic!("{file}: spec"));
    assert_eq!(spec.replicas, Some(2), "{file}");
    let pod = spec
        .template
        .spec
        .as_ref()
        .unwrap_or_else(|| panic!("{file}: pod spec"));
    let account = pod.service_account_name.clone().unwrap_or_default();
    assert!(
        c.accounts.contains(&account) && c.bound_accounts.contains(&account),
        "{file}: service account {account}"
    );
    assert!(pod
        .topology_spread_constraints
        .as_ref()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(
        pod.security_context
            .as_ref()
            .and_then(|s| s.run_as_non_root),
        Some(true),
        "{file}"
    );
    let container = &pod.containers[0];
    let path = |p: &Option<k8s_openapi::api::core::v1::Probe>| {
        p.as_ref()
            .and_then(|p| p.http_get.as_ref())
            .and_then(|h| h.path.clone())
    };
    assert_eq!(path(&container.readiness_probe).as_deref(), Some("/readyz"));
    assert_eq!(path(&container.liveness_probe).as_deref(), Some("/healthz"));
    assert!(container
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .is_some());
    let sc = container
        .security_context
        .as_ref()
        .unwrap_or_else(|| panic!("{file}: container securityContext"));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    // The configuration is mounted as a directory (a subPath mount never sees ConfigMap updates),
    // and the binary is pointed at the file inside it.
    let config_mount = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.name == "config")
        .unwrap_or_else(|| panic!("{file}: no config mount"));
    assert!(
        config_mount.sub_path.is_none(),
        "{file}: subPath config mount"
    );
    let args = container.args.clone().unwrap_or_default();
    assert_eq!(
        args,
        [
            "--config",
            &format!("{}/wayfinder.yaml", config_mount.mount_path)
        ],
        "{file}"
    );
    d
}

/// The wayfinder.yaml a ConfigMap carries, read the way the binary reads it.
fn read_mounted_config(c: &Checked) -> server::config::FileConfig {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("wayfinder.yaml");
    let text = c
        .config_text
        .clone()
        .unwrap_or_else(|| panic!("no wayfinder.yaml ConfigMap"));
    std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
    server::config::read_config(Path::new(&file)).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn every_manifest_parses_and_the_rbac_is_read_only_without_secrets() {
    let c = check(&manifests());
    assert_eq!(c.cluster_roles, 1, "rbac.yaml's ClusterRole");
    assert_eq!(c.role_namespaces.len(), 1, "rbac-namespaced.yaml's Role");
    assert_eq!((c.budgets, c.services), (1, 1));
    check_deployment(&c);
    let config = read_mounted_config(&c);
    assert_eq!(config.clusters.len(), 1);
    assert!(config.clusters[0].in_cluster);
}

#[test]
fn the_chart_renders_with_its_defaults_a_cluster_wide_read_only_portal() {
    let rendered = helm::render(&chart(), &serde_json::json!({}));
    let c = check(&rendered);
    assert_eq!(c.cluster_roles, 1);
    assert!(c.role_namespaces.is_empty());
    assert_eq!((c.budgets, c.services, c.catalog_files), (1, 1, 1));
    let d = check_deployment(&c);
    let image = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers[0].image.clone());
    assert_eq!(
        image.as_deref(),
        Some("registry.example.com/wayfinder:0.1.0")
    );
    let config = read_mounted_config(&c);
    assert_eq!(config.clusters.len(), 1);
    assert!(config.clusters[0].in_cluster && config.clusters[0].namespaces.is_empty());
    assert!(config.auth.identity_header.is_none());
}

#[test]
fn configured_custom_resources_are_watched_and_granted_read_only() {
    let values = serde_json::json!({
        "customResources": [{"group": "cert-manager.io", "apiVersion": "v1", "plural": "certificates"}],
    });
    let rendered = helm::render(&chart(), &values);
    let c = check_with(&rendered, &[("cert-manager.io", "certificates")]);
    assert_eq!(c.cluster_roles, 1);
    let config = read_mounted_config(&c);
    assert_eq!(config.custom_resources.len(), 1);
    assert_eq!(
        config.custom_resources[0].id(),
        "certificates.cert-manager.io"
    );
    // The namespaced variant grants them in each Role.
    let values = serde_json::json!({
        "watchNamespaces": ["payments"],
        "customResources": [{"group": "cert-manager.io", "apiVersion": "v1", "plural": "certificates"}],
    });
    let c = check_with(
        &helm::render(&chart(), &values),
        &[("cert-manager.io", "certificates")],
    );
    assert_eq!(c.role_namespaces.len(), 1);
}

#[test]
fn the_chart_renders_a_namespaced_variant_behind_an_auth_proxy() {
    let values = serde_json::json!({
        "watchNamespaces": ["payments", "shop"],
        "identityHeader": "X-Forwarded-Email",
        "cluster": {"region": "eu-west-1"},
        "extraClusters": [{"name": "prod-us", "url": "https://10.0.0.1:6443",
            "tokenFile": "/var/run/wayfinder/prod-us/token", "caFile": "/var/run/wayfinder/prod-us/ca.crt"}],
        "resources": {"requests": {"cpu": "1", "memory": "3Gi"}, "limits": {"memory": "6Gi"}},
    });
    let rendered = helm::render(&chart(), &values);
    let c = check(&rendered);
    assert_eq!(
        c.cluster_roles, 0,
        "no cluster-wide rights in the namespaced variant"
    );
    assert_eq!(
        c.role_namespaces
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["payments", "shop"]
    );
    let d = check_deployment(&c);
    let limits = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers[0].resources.as_ref())
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.get("memory"))
        .map(|q| q.0.clone());
    assert_eq!(limits.as_deref(), Some("6Gi"));
    let config = read_mounted_config(&c);
    assert_eq!(
        config.auth.identity_header.as_deref(),
        Some("X-Forwarded-Email")
    );
    assert_eq!(config.clusters.len(), 2);
    assert_eq!(config.clusters[0].namespaces, ["payments", "shop"]);
    assert_eq!(config.clusters[0].region.as_deref(), Some("eu-west-1"));
    assert_eq!(config.clusters[1].name, "prod-us");
}

/// The env var `name` of the portal's container, as rendered.
fn env_of(d: &Deployment, name: &str) -> Option<k8s_openapi::api::core::v1::EnvVar> {
    d.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers[0].env.as_ref())
        .and_then(|e| e.iter().find(|v| v.name == name).cloned())
}

#[test]
fn the_history_is_kept_per_replica_or_shared_in_an_existing_postgresql() {
    let c = check(&helm::render(&chart(), &serde_json::json!({})));
    let d = check_deployment(&c);
    assert_eq!(
        env_of(d, "WAYFINDER_DATA_DIR")
            .and_then(|v| v.value)
            .as_deref(),
        Some("/var/lib/wayfinder")
    );
    assert_eq!(
        env_of(d, "WAYFINDER_HISTORY_DAYS")
            .and_then(|v| v.value)
            .as_deref(),
        Some("14")
    );
    assert!(env_of(d, "WAYFINDER_DATABASE_URL").is_none());
    // An existing PostgreSQL, its URL in a Secret the kubelet hands to the pod (the portal's own
    // identity still reads no Secret).
    let values = serde_json::json!({"history": {"existingSecret": "wayfinder-db", "days": 30}});
    let c = check(&helm::render(&chart(), &values));
    let d = check_deployment(&c);
    let url = env_of(d, "WAYFINDER_DATABASE_URL")
        .and_then(|v| v.value_from)
        .and_then(|f| f.secret_key_ref)
        .map(|r| (r.name, r.key));
    assert_eq!(
        url,
        Some(("wayfinder-db".to_string(), "database-url".to_string()))
    );
    assert_eq!(
        env_of(d, "WAYFINDER_HISTORY_DAYS")
            .and_then(|v| v.value)
            .as_deref(),
        Some("30")
    );
    let values = serde_json::json!({"history": {"databaseUrl": "postgres://wf@db/wayfinder"}});
    let c = check(&helm::render(&chart(), &values));
    let d = check_deployment(&c);
    assert_eq!(
        env_of(d, "WAYFINDER_DATABASE_URL")
            .and_then(|v| v.value)
            .as_deref(),
        Some("postgres://wf@db/wayfinder")
    );
}

const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/helm/wayfinder");

/// The chart's files: Chart.yaml, values.yaml and the templates, by name.
fn chart() -> helm::Chart {
    let read =
        |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let dir = Path::new(CHART);
    let templates = common::yaml_files(&dir.join("templates"));
    helm::Chart {
        chart: read(&dir.join("Chart.yaml")),
        values: read(&dir.join("values.yaml")),
        templates,
    }
}

/// The part of Helm's template language the chart uses: `{{ .Values.x }}`, `$.` for the root,
/// `if`/`else`/`end`, `range` over a list, and the `quote`, `toYaml`, `nindent` and `indent`
/// functions, with `{{-`/`-}}` whitespace trimming. Anything else fails the test, so the chart
/// cannot grow a construct this renderer would get wrong.
mod helm {
    use serde_json::{json, Value};

    pub struct Chart {
        pub chart: String,
        pub values: String,
        pub templates: Vec<(String, String)>,
    }

    enum Node {
        Text(String),
        Expr(String),
        If(String, Vec<Node>, Vec<Node>),
        Range(String, Vec<Node>),
    }

    /// Renders every template with `overrides` merged over values.yaml, release `wayfinder` in
    /// namespace `wayfinder`; returns every object with the template it came from.
    pub fn render(chart: &Chart, overrides: &Value) -> Vec<(String, Value)> {
        let meta: Value =
            serde_norway::from_str(&chart.chart).unwrap_or_else(|e| panic!("Chart.yaml: {e}"));
        let mut values: Value =
            serde_norway::from_str(&chart.values).unwrap_or_else(|e| panic!("values.yaml: {e}"));
        merge(&mut values, overrides);
        let root = json!({
            "Values": values,
            "Release": {"Name": "wayfinder", "Namespace": "wayfinder"},
            "Chart": {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta["appVersion"]},
        });
        let mut out = Vec::new();
        for (name, text) in &chart.templates {
            let nodes = parse(name, &mut tokens(name, text).into_iter().peekable(), false).0;
            let mut rendered = String::new();
            eval(name, &nodes, &root, &root, &mut rendered);
            if std::env::var("SHOW").is_ok() {
                eprintln!("--- {name}\n{rendered}");
            }
            out.extend(super::documents(name, &rendered));
        }
        out
    }

    fn merge(base: &mut Value, over: &Value) {
        match (base, over) {
            (Value::Object(b), Value::Object(o)) => {
                for (k, v) in o {
                    merge(b.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
            (b, o) => *b = o.clone(),
        }
    }

    enum Token {
        Text(String),
        Action(String),
    }

    fn tokens(name: &str, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut rest = text;
        let mut trim_next = false;
        while let Some(start) = rest.find("{{") {
            let mut literal = &rest[..start];
            if trim_next {
                literal = literal.trim_start();
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .unwrap_or_else(|| panic!("{name}: an unclosed {{{{"));
            let mut action = &after[..end];
            let trim_before = action.starts_with('-');
            if trim_before {
                action = &action[1..];
                literal = literal.trim_end();
            }
            trim_next = action.ends_with('-');
            if trim_next {
                action = &action[..action.len() - 1];
            }
            out.push(Token::Text(literal.to_string()));
            out.push(Token::Action(action.trim().to_string()));
            rest = &after[end + 2..];
        }
        out.push(Token::Text(
            if trim_next { rest.trim_start() } else { rest }.to_string(),
        ));
        out
    }

    /// Parses until `end` (or `else`) when `nested`; returns the nodes and whether `else` stopped it.
    fn parse(
        name: &str,
        tokens: &mut std::iter::Peekable<std::vec::IntoIter<Token>>,
        nested: bool,
    ) -> (Vec<Node>, bool) {
        let mut nodes = Vec::new();
        while let Some(t) = tokens.next() {
            match t {
                Token::Text(s) => nodes.push(Node::Text(s)),
                Token::Action(a) if a == "end" => {
                    assert!(nested, "{name}: an end without an if or range");
                    return (nodes, false);
                }
                Token::Action(a) if a == "else" => {
                    assert!(nested, "{name}: an else without an if");
                    return (nodes, true);
                }
                Token::Action(a) => {
                    if let Some(cond) = a.strip_prefix("if ") {
                        let (then, had_else) = parse(name, tokens, true);
                        let otherwise = if had_else {
                            parse(name, tokens, true).0
                        } else {
                            Vec::new()
                        };
                        nodes.push(Node::If(cond.trim().to_string(), then, otherwise));
                    } else if let Some(list) = a.strip_prefix("range ") {
                        let (body, had_else) = parse(name, tokens, true);
                        assert!(!had_else, "{name}: range … else is not supported here");
                        nodes.push(Node::Range(list.trim().to_string(), body));
                    } else {
                        nodes.push(Node::Expr(a));
                    }
                }
            }
        }
        assert!(!nested, "{name}: an if or range without its end");
        (nodes, false)
    }

    fn lookup(name: &str, path: &str, root: &Value, dot: &Value) -> Value {
        let (mut v, rest) = if path == "." {
            return dot.clone();
        } else if let Some(r) = path.strip_prefix("$.") {
            (root, r)
        } else if let Some(r) = path.strip_prefix('.') {
            (dot, r)
        } else {
            panic!("{name}: {path:?} is not a value this renderer knows")
        };
        for key in rest.split('.') {
            v = v.get(key).unwrap_or(&Value::Null);
        }
        v.clone()
    }

    fn truthy(v: &Value) -> bool {
        match v {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64() != Some(0.0),
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
        }
    }

    fn text_of(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    fn indent(text: &str, n: usize) -> String {
        let pad = " ".repeat(n);
        text.lines()
            .map(|l| format!("{pad}{l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn expr(name: &str, e: &str, root: &Value, dot: &Value) -> String {
        let mut stages = e.split('|').map(str::trim);
        let first = stages.next().unwrap_or_default();
        let mut out = if let Some(arg) = first.strip_prefix("toYaml ") {
            let v = lookup(name, arg.trim(), root, dot);
            serde_norway::to_string(&v)
                .unwrap_or_else(|e| panic!("{name}: toYaml: {e}"))
                .trim_end()
                .to_string()
        } else {
            let v = lookup(name, first, root, dot);
            assert!(!v.is_null(), "{name}: {first} has no value");
            text_of(&v)
        };
        for stage in stages {
            let mut words = stage.split_whitespace();
            match (words.next(), words.next()) {
                (Some("quote"), None) => out = Value::String(out).to_string(),
                (Some(f @ ("nindent" | "indent")), Some(n)) => {
                    let n: usize = n.parse().unwrap_or_else(|e| panic!("{name}: {stage}: {e}"));
                    out = indent(&out, n);
                    if f == "nindent" {
                        out.insert(0, '\n');
                    }
                }
                _ => panic!("{name}: the function {stage:?} is not one this renderer knows"),
            }
        }
        out
    }

    fn eval(name: &str, nodes: &[Node], root: &Value, dot: &Value, out: &mut String) {
        for n in nodes {
            match n {
                Node::Text(s) => out.push_str(s),
                Node::Expr(e) => out.push_str(&expr(name, e, root, dot)),
                Node::If(cond, then, otherwise) => {
                    let branch = if truthy(&lookup(name, cond, root, dot)) {
                        then
                    } else {
                        otherwise
                    };
                    eval(name, branch, root, dot, out);
                }
                Node::Range(list, body) => {
                    let items = lookup(name, list, root, dot);
                    for item in items.as_array().into_iter().flatten() {
                        eval(name, body, root, item, out);
                    }
                }
            }
        }
    }
}
