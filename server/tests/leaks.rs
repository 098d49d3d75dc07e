//! Nothing secret reaches a browser: every page and API answer of the demo fleet, read through the
//! real binary, is searched for every container env value, command and argument in the clusters
//! (one of them a `--db-password=…`, one an `--api-token`), and for the kubeconfig's tokens.

mod common;

use common::{eventually, Portal};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// Every string under `env[].value`, `args` and `command` in an object, at any depth.
fn secrets_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                match (k.as_str(), child) {
                    ("env", Value::Array(vars)) => {
                        out.extend(
                            vars.iter()
                                .filter_map(|e| e["value"].as_str())
                                .map(String::from),
                        );
                    }
                    ("args" | "command", Value::Array(words)) => {
                        out.extend(words.iter().filter_map(Value::as_str).map(String::from));
                    }
                    _ => secrets_in(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| secrets_in(i, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_carries_an_env_value_an_argument_or_a_token() {
    let sim = kubesim::demo::start(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let deployments = kubesim::resources::by_store("deployments");
    let eu = sim
        .cluster("prod-eu-1")
        .unwrap_or_else(|| panic!("eu"))
        .clone();
    eu.api
        .store
        .modify(deployments, "platform", "config-service", |d| {
            let c = &mut d["spec"]["template"]["spec"]["containers"][0];
            c["command"] = serde_json::json!(["/bin/config-service-with-secrets"]);
            c["args"] = serde_json::json!([
                "--db-password=s3cr3t-arg-value",
                "--api-token",
                "tok-0123456789abcdef"
            ]);
        });
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kubeconfig = home.path().join("config");
    sim.write_kubeconfig(&kubeconfig)
        .unwrap_or_else(|e| panic!("{e}"));
    let portal = Portal::start(&["--kubeconfig", &kubeconfig.to_string_lossy()]).await;
    eventually("/readyz", Duration::from_secs(60), || async {
        portal.text("/readyz").await.0 == 200
    })
    .await;

    // What must never be sent: every env value, command and argument of every workload and pod.
    let mut secrets = BTreeSet::new();
    for c in &sim.clusters {
        for store in [
            "pods",
            "deployments",
            "replicasets",
            "statefulsets",
            "daemonsets",
            "jobs",
            "cronjobs",
        ] {
            for o in c.api.store.list(store, None).1 {
                secrets_in(&o, &mut secrets);
            }
        }
    }
    let kubeconfig_text = std::fs::read_to_string(&kubeconfig).unwrap_or_default();
    for line in kubeconfig_text.lines() {
        if let Some((key, value)) = line.trim().split_once(": ") {
            if matches!(key, "token" | "client-key-data" | "client-certificate-data") {
                secrets.insert(value.to_string());
            }
        }
    }
    // Short values ("1", "true") would match anything; the demo's are distinctive. Its `CLUSTER`
    // variables hold the cluster's name, which every page shows anyway.
    secrets.retain(|s| s.len() >= 8 && sim.cluster(s).is_none());
    for must in [
        "hunter2-not-for-browsers",
        "--db-password=s3cr3t-arg-value",
        "tok-0123456789abcdef",
        "kubesim-admin-token",
    ] {
        assert!(
            secrets.contains(must),
            "the test would not notice {must}: {secrets:?}"
        );
    }

    // Every page and answer a browser can ask for.
    let list: Value = portal.json("/api/v1/services?limit=1000").await;
    let names: Vec<String> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str().map(String::from))
        .collect();
    assert!(names.len() > 20, "{names:?}");
    let mut paths: Vec<String> = [
        "/",
        "/clusters",
        "/errors",
        "/catalog/problems",
        "/api/v1/services",
        "/api/v1/clusters",
        "/api/v1/errors",
        "/api/v1/catalog/problems",
        "/metrics",
    ]
    .map(String::from)
    .to_vec();
    for n in &names {
        paths.push(format!("/api/v1/services/{n}"));
        for tab in ["", "/clusters", "/errors", "/autoscaling"] {
            paths.push(format!("/services/{n}{tab}"));
        }
    }
    let teams: Vec<String> = list["facets"]["owners"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["value"].as_str())
        .filter_map(|r| r.rsplit('/').next().map(String::from))
        .collect();
    paths.extend(teams.iter().map(|t| format!("/teams/{t}")));
    let mut read = 0;
    for path in &paths {
        let (status, body) = portal.text(path).await;
        assert!(status == 200 || status == 404, "GET {path}: {status}");
        read += body.len();
        for s in &secrets {
            assert!(!body.contains(s.as_str()), "GET {path} sends “{s}”");
        }
    }
    // The live streams' first messages too.
    for path in [
        "/api/v1/events".to_string(),
        "/api/v1/services/config-service/events".to_string(),
    ] {
        let (status, response) = portal.get(&path).await;
        assert_eq!(status, 200, "{path}");
        let mut body = response.into_body();
        let frame = tokio::time::timeout(
            Duration::from_secs(10),
            http_body_util::BodyExt::frame(&mut body),
        )
        .await
        .ok()
        .flatten()
        .and_then(Result::ok)
        .and_then(|f| f.into_data().ok())
        .unwrap_or_else(|| panic!("{path}: no first message"));
        let text = String::from_utf8_lossy(&frame);
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{path} sends “{s}”");
        }
    }
    assert!(
        read > 100_000,
        "only {read} bytes read: the crawl missed the pages"
    );
}
