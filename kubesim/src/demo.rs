//! The built-in demo fleet: six clusters in three regions running the example catalog's services,
//! with the trouble a real company has on a normal day.

use crate::controllers::{FAULT_ANNOTATION, LOAD_ANNOTATION};
use crate::fleet::{ClusterSpec, Fleet};
use crate::scenario::{Scenario, ScenarioCluster};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// `(name, region, environment)` of the demo clusters.
pub const CLUSTERS: [(&str, &str, &str); 6] = [
    ("prod-eu-1", "eu-west-1", "production"),
    ("staging-eu-1", "eu-west-1", "staging"),
    ("prod-us-1", "us-east-1", "production"),
    ("prod-us-2", "us-east-1", "production"),
    ("prod-ap-1", "ap-southeast-1", "production"),
    ("prod-ap-2", "ap-southeast-1", "production"),
];

/// The autoscaler that holds near (not at) its maximum, and where.
pub const NEAR_MAX: (&str, &str) = ("checkout-api", "prod-us-1");
/// The cluster whose watches drop now and then.
pub const FLAKY_CLUSTER: &str = "prod-ap-1";
/// The cluster where the portal's user may not read one namespace, and that namespace.
pub const RESTRICTED: (&str, &str) = ("prod-ap-2", "identity");
/// The cluster where the portal's user may not read pod logs in one namespace, and that namespace.
pub const NO_LOGS: (&str, &str) = ("prod-ap-2", "payments");
/// The service on an Argo Rollout: paused at canary step 2 of 5 in the first cluster, Degraded
/// (its canary's image cannot be pulled) in the second, healthy elsewhere.
pub const ROLLOUT: (&str, &str, &str) = ("payments-gateway", "prod-eu-1", "prod-us-1");

/// The KEDA-scaled worker, and the cluster where one of its scalers fails and its fallback is on.
pub const KEDA: (&str, &str) = ("refunds-worker", "prod-us-1");

/// The cluster where the KEDA-scaled worker's ScaledJob is paused (by annotation).
pub const KEDA_JOB_PAUSED: &str = "prod-eu-1";

/// The cluster where the portal's (reader) identity was granted more than it needs: it may also
/// read Secrets, which its cluster page warns about.
pub const OVERPRIVILEGED: &str = "prod-us-2";
/// The custom resources a portal on the demo fleet watches, as `(group, version, plural)`: the
/// demo's clusters run cert-manager (all but [`NO_CERT_MANAGER`]), and each Ingress's TLS
/// certificate is a `Certificate`.
pub const CUSTOM_RESOURCES: &[(&str, &str, &str)] = &[("cert-manager.io", "v1", "certificates")];
/// The cluster without cert-manager (its CRD is not installed).
pub const NO_CERT_MANAGER: &str = "prod-ap-2";
/// The service whose TLS certificate cannot be issued (Ready False: the ACME rate limit), and where.
pub const CERT_FAILING: (&str, &str) = ("web-shop", "prod-us-2");
/// The service whose rollout the demo breaks a few seconds after start, and where.
pub const BAD_ROLLOUT: (&str, &str, &str) = ("prod-eu-1", "storefront", "cart");

const ALL: &[&str] = &[
    "prod-eu-1",
    "staging-eu-1",
    "prod-us-1",
    "prod-us-2",
    "prod-ap-1",
    "prod-ap-2",
];
const CORE: &[&str] = &["prod-eu-1", "staging-eu-1", "prod-us-1", "prod-ap-1"];
const EU: &[&str] = &["prod-eu-1", "staging-eu-1"];
const US: &[&str] = &["prod-us-1", "prod-us-2", "staging-eu-1"];
const STAGING: &[&str] = &["staging-eu-1"];

/// How a workload is labelled.
#[derive(Clone, Copy)]
enum Labels {
    /// `backstage.io/kubernetes-id` (and the common name label).
    Id,
    /// Only `app.kubernetes.io/name`.
    App,
    /// Name plus `app.kubernetes.io/part-of`, for descriptors with a label selector.
    PartOf(&'static str),
}

#[derive(Clone, Copy)]
enum Kind {
    Deployment,
    /// An Argo Rollout (its CRD is installed where one runs), with a canary of five steps.
    Rollout,
    StatefulSet,
    DaemonSet,
    CronJob(&'static str),
}

struct Workload {
    name: &'static str,
    namespace: &'static str,
    labels: Labels,
    kind: Kind,
    clusters: &'static [&'static str],
    replicas: i64,
    /// `(min, max, cpu target %)`.
    hpa: Option<(i64, i64, i64)>,
    /// `(cluster, fault)`: pod faults (`cpu-throttled` only shows in metrics.k8s.io), or
    /// `no-metrics` on the HPA, or `job-fail` on CronJob pods.
    faults: &'static [(&'static str, &'static str)],
    /// `(cluster, demand as a multiple of the HPA's max)`.
    load: &'static [(&'static str, f64)],
}

const fn w(
    name: &'static str,
    namespace: &'static str,
    labels: Labels,
    clusters: &'static [&'static str],
) -> Workload {
    Workload {
        name,
        namespace,
        labels,
        kind: Kind::Deployment,
        clusters,
        replicas: 2,
        hpa: None,
        faults: &[],
        load: &[],
    }
}

fn workloads() -> Vec<Workload> {
    use Labels::*;
    vec![
        Workload {
            hpa: Some((2, 10, 70)),
            load: &[
                ("prod-eu-1", 1.4),
                ("prod-us-1", 0.85),
                ("prod-us-2", 0.6),
                ("prod-ap-1", 0.35),
            ],
            ..w("checkout-api", "payments", Id, ALL)
        },
        Workload {
            kind: Kind::Rollout,
            replicas: 3,
            hpa: Some((2, 8, 75)),
            // Steady at its 3 replicas: kubesim has no Rollouts controller to follow a change.
            load: &[
                ("prod-eu-1", 0.375),
                ("staging-eu-1", 0.25),
                ("prod-us-1", 0.375),
                ("prod-ap-1", 0.375),
            ],
            ..w("payments-gateway", "payments", Id, CORE)
        },
        Workload {
            kind: Kind::StatefulSet,
            replicas: 3,
            ..w("ledger", "payments", Id, CORE)
        },
        w("refunds-worker", "payments", PartOf("checkout"), CORE),
        Workload {
            replicas: 1,
            ..w("fraud-scoring", "payments", App, STAGING)
        },
        w("invoice-renderer", "payments", Id, EU),
        Workload {
            hpa: Some((3, 12, 65)),
            ..w("web-shop", "storefront", Id, ALL)
        },
        Workload {
            hpa: Some((2, 10, 70)),
            ..w("mobile-bff", "storefront", Id, ALL)
        },
        Workload {
            replicas: 3,
            ..w("cart", "storefront", Id, ALL)
        },
        w("content-service", "storefront", App, CORE),
        Workload {
            faults: &[("prod-ap-1", "cpu-throttled")],
            ..w("image-resizer", "storefront", Id, ALL)
        },
        Workload {
            hpa: Some((1, 4, 80)),
            faults: &[("staging-eu-1", "no-metrics")],
            ..w("reviews", "storefront", Id, STAGING)
        },
        Workload {
            hpa: Some((3, 15, 70)),
            load: &[("prod-us-2", 0.9)],
            ..w("search-api", "search", Id, ALL)
        },
        Workload {
            faults: &[("prod-us-1", "oom")],
            ..w("search-indexer", "search", Id, CORE)
        },
        Workload {
            replicas: 3,
            faults: &[("prod-us-2", "crash-loop")],
            ..w("recommendations", "search", Id, ALL)
        },
        Workload {
            faults: &[("prod-us-1", "unschedulable")],
            ..w("ranking-trainer", "search", Id, US)
        },
        w("autocomplete", "search", App, ALL),
        Workload {
            hpa: Some((2, 6, 70)),
            ..w("auth-service", "identity", Id, ALL)
        },
        w("accounts", "identity", Id, ALL),
        w("permissions", "identity", PartOf("identity"), CORE),
        Workload {
            replicas: 1,
            ..w("mfa-service", "identity", Id, STAGING)
        },
        Workload {
            hpa: Some((3, 12, 60)),
            ..w("api-gateway", "platform", Id, ALL)
        },
        w("config-service", "platform", Id, ALL),
        Workload {
            kind: Kind::DaemonSet,
            ..w("metrics-collector", "platform", App, ALL)
        },
        Workload {
            kind: Kind::DaemonSet,
            ..w("log-shipper", "platform", Id, ALL)
        },
        Workload {
            replicas: 1,
            ..w("service-mesh-controller", "platform", Id, CORE)
        },
        Workload {
            kind: Kind::StatefulSet,
            replicas: 3,
            ..w("event-router", "data", Id, CORE)
        },
        Workload {
            kind: Kind::CronJob("*/2 * * * *"),
            faults: &[("prod-eu-1", "job-fail")],
            ..w("warehouse-loader", "data", Id, EU)
        },
        w("reporting-api", "data", Id, EU),
        Workload {
            kind: Kind::CronJob("*/5 * * * *"),
            ..w("etl-scheduler", "data", App, EU)
        },
        Workload {
            hpa: Some((2, 8, 70)),
            ..w("inventory", "logistics", Id, ALL)
        },
        Workload {
            faults: &[("prod-us-2", "readiness")],
            ..w("shipping-rates", "logistics", Id, US)
        },
        w("delivery-tracker", "logistics", Id, CORE),
        w("warehouse-ui", "logistics", Id, EU),
        Workload {
            replicas: 1,
            faults: &[("staging-eu-1", "config-error")],
            ..w("label-printer", "logistics", Id, STAGING)
        },
        Workload {
            hpa: Some((2, 8, 70)),
            ..w("notifications", "growth", Id, ALL)
        },
        w("promotions", "growth", Id, ALL),
        Workload {
            replicas: 1,
            ..w("experiments", "growth", Id, STAGING)
        },
        Workload {
            kind: Kind::CronJob("*/10 * * * *"),
            ..w("newsletter", "growth", App, EU)
        },
        // Services no descriptor mentions: the portal discovers them.
        Workload {
            replicas: 1,
            ..w("legacy-cron-runner", "data", App, &["prod-eu-1"])
        },
        Workload {
            replicas: 1,
            ..w("debug-toolbox", "platform", App, &["prod-us-1"])
        },
        Workload {
            kind: Kind::DaemonSet,
            ..w("grafana-agent", "monitoring", App, ALL)
        },
    ]
}

const NAMESPACES: [&str; 11] = [
    "default",
    "kube-system",
    "monitoring",
    "payments",
    "storefront",
    "search",
    "identity",
    "platform",
    "data",
    "logistics",
    "growth",
];

fn version_of(name: &str) -> String {
    let h = name
        .bytes()
        .fold(17u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("{}.{}.{}", 1 + h % 4, h / 7 % 20, h / 131 % 10)
}

/// The Ingresses and extra Services of the demo's public services, and two mistakes a service
/// page should point at: a gRPC Service of search-api whose selector has a typo (prod-eu-1), and a
/// path of web-shop's Ingress left pointing at a Service that was removed (prod-us-1).
fn network(w: &Workload, cluster: &str) -> Vec<Value> {
    let meta = |name: &str| json!({"name": name, "namespace": w.namespace, "labels": labels(w)});
    let path = |path: &str, service: &str| json!({"path": path, "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"name": "http"}}}});
    let ingress = |host: &str, paths: Vec<Value>| {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta(w.name),
            "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": format!("{}-tls", w.name)}],
                "rules": [{"host": host, "http": {"paths": paths}}]}})
    };
    match w.name {
        "checkout-api" => vec![ingress("checkout.example.com", vec![path("/", w.name)])],
        "web-shop" => {
            let mut paths = vec![path("/", w.name)];
            if cluster == "prod-us-1" {
                paths.push(path("/beta", "web-shop-beta"));
            }
            vec![ingress("shop.example.com", paths)]
        }
        "search-api" => {
            let typo = if cluster == "prod-eu-1" {
                "search-api-grcp"
            } else {
                "search-api"
            };
            vec![
                json!({"apiVersion": "v1", "kind": "Service", "metadata": meta("search-api-grpc"),
                "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": typo}, "ports": [{"name": "grpc", "port": 9090, "targetPort": 9090, "protocol": "TCP"}]}}),
            ]
        }
        _ => Vec::new(),
    }
}

/// The demo's PodDisruptionBudgets: checkout-api's lets half its pods go; ledger's allows none
/// (`maxUnavailable: 0`), so a node drain would hang on it (`pdb-blocks-disruption`).
fn budgets(w: &Workload) -> Vec<Value> {
    let spec = match w.name {
        "checkout-api" => json!({"minAvailable": "50%"}),
        "ledger" => json!({"maxUnavailable": 0}),
        _ => return Vec::new(),
    };
    let mut spec = spec;
    spec["selector"] = json!({"matchLabels": {"app.kubernetes.io/name": w.name}});
    vec![
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": w.name, "namespace": w.namespace, "labels": labels(w)}, "spec": spec}),
    ]
}

/// cert-manager's Certificate CustomResourceDefinition (cut to names, scope and versions), added
/// once per cluster.
pub(crate) fn certificates_crd() -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "certificates.cert-manager.io", "labels": {"app.kubernetes.io/name": "cert-manager"}},
        "spec": {"group": "cert-manager.io", "scope": "Namespaced",
            "names": {"kind": "Certificate", "listKind": "CertificateList", "plural": "certificates", "singular": "certificate", "shortNames": ["cert", "certs"], "categories": ["cert-manager"]},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}}}]}})
}

/// The Certificate of each TLS host of the workload's Ingresses (already in `so_far`), with the
/// status cert-manager writes: Ready, except [`CERT_FAILING`]'s, which the ACME server refuses.
fn certificates(w: &Workload, cluster: &str, so_far: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    if !so_far
        .iter()
        .any(|o| o["metadata"]["name"] == "certificates.cert-manager.io")
    {
        out.push(certificates_crd());
    }
    let ingresses = so_far.iter().filter(|o| {
        o["kind"] == "Ingress"
            && o["metadata"]["name"] == w.name
            && o["metadata"]["namespace"] == w.namespace
    });
    for tls in ingresses.flat_map(|i| i["spec"]["tls"].as_array().cloned().unwrap_or_default()) {
        let secret = tls["secretName"].as_str().unwrap_or_default().to_string();
        let failing = (w.name, cluster) == CERT_FAILING;
        let ready = if failing {
            json!({"type": "Ready", "status": "False", "reason": "Failed", "observedGeneration": 1, "lastTransitionTime": "2026-12-01T04:00:00Z",
                "message": format!("The certificate request has failed to complete and will be retried: Failed to wait for order resource \"{secret}-1-3284\" to become ready: order is in \"errored\" state: Failed to create Order: 429 urn:ietf:params:acme:error:rateLimited: too many certificates already issued for \"example.com\"")})
        } else {
            json!({"type": "Ready", "status": "True", "reason": "Ready", "message": "Certificate is up to date and has not expired", "observedGeneration": 1, "lastTransitionTime": "2026-11-20T04:00:00Z"})
        };
        let mut conditions = vec![ready];
        if failing {
            conditions.push(json!({"type": "Issuing", "status": "False", "reason": "Failed", "message": "The certificate request has failed to complete and will be retried", "observedGeneration": 1, "lastTransitionTime": "2026-12-01T04:00:00Z"}));
        }
        out.push(json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": secret, "namespace": w.namespace, "labels": labels(w)},
            "spec": {"secretName": secret, "dnsNames": tls["hosts"].clone(), "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer", "group": "cert-manager.io"}},
            "status": {"conditions": conditions, "notAfter": "2027-02-18T04:00:00Z", "renewalTime": "2027-01-19T04:00:00Z"}}));
    }
    out
}

/// Argo Rollouts' CustomResourceDefinition, as the project installs it (names, scope, versions,
/// subresources; its schema keeps unknown fields).
pub(crate) fn rollouts_crd() -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "rollouts.argoproj.io", "labels": {"app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/part-of": "argo-rollouts"}},
        "spec": {"group": "argoproj.io", "scope": "Namespaced",
            "names": {"kind": "Rollout", "listKind": "RolloutList", "plural": "rollouts", "singular": "rollout", "shortNames": ["ro"]},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.HPAReplicas", "labelSelectorPath": ".status.selector"}}}]}})
}

/// A Rollout with the status its controller would have written, and its ReplicaSets (the stable
/// one, and the canary's where an update is under way); kubesim's ReplicaSet controller makes the
/// pods.
fn rollout_objects(
    w: &Workload,
    cluster: &str,
    meta: &Value,
    template: &Value,
    replicas: i64,
) -> Vec<Value> {
    let uid = format!("rollout-{cluster}-{}", w.name);
    let stable_image = format!(
        "registry.example.com/{}/{}:{}",
        w.namespace,
        w.name,
        version_of(w.name)
    );
    let canary_image = if cluster == ROLLOUT.2 {
        format!(
            "registry.example.com/{}/{}:2.0.0-missing",
            w.namespace, w.name
        )
    } else {
        format!("registry.example.com/{}/{}:2.0.0", w.namespace, w.name)
    };
    let updating = cluster == ROLLOUT.1 || cluster == ROLLOUT.2;
    let hours_ago = |h: i64| {
        jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(h))
            .unwrap_or_else(|_| jiff::Timestamp::now())
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let (stable_hash, canary_hash) = ("6d9f8b7c5d", "7c4b9f6d8e");
    let rs = |hash: &str, image: &str, count: i64, revision: u32, age: i64| {
        let mut t = template.clone();
        t["metadata"]["labels"]["rollouts-pod-template-hash"] = json!(hash);
        t["spec"]["containers"][0]["image"] = json!(image);
        let mut selector = json!({"matchLabels": {"app.kubernetes.io/name": w.name}});
        selector["matchLabels"]["rollouts-pod-template-hash"] = json!(hash);
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": format!("{}-{hash}", w.name), "namespace": w.namespace, "labels": t["metadata"]["labels"].clone(),
                "creationTimestamp": hours_ago(age),
                "annotations": {"rollout.argoproj.io/revision": revision.to_string(), "rollout.argoproj.io/desired-replicas": replicas.to_string()},
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": w.name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": count, "selector": selector, "template": t}})
    };
    let mut template_v2 = template.clone();
    if updating {
        template_v2["spec"]["containers"][0]["image"] = json!(canary_image);
    }
    let spec = json!({"replicas": replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
        "selector": {"matchLabels": {"app.kubernetes.io/name": w.name}}, "template": template_v2,
        "strategy": {"canary": {"stableService": w.name, "steps": [
            {"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": "10m"}}, {"setWeight": 80}]}}});
    let mut status = json!({"observedGeneration": "1", "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
        "availableReplicas": replicas, "HPAReplicas": replicas, "currentPodHash": stable_hash, "stableRS": stable_hash,
        "currentStepIndex": 5, "phase": "Healthy", "message": "", "selector": format!("app.kubernetes.io/name={}", w.name),
        "conditions": [{"type": "Available", "status": "True", "reason": "AvailableReason", "message": "Rollout has minimum availability", "lastTransitionTime": hours_ago(30), "lastUpdateTime": hours_ago(30)}]});
    let mut out = Vec::new();
    if cluster == ROLLOUT.1 {
        // Paused at the indefinite pause (step 2 of 5) for three hours: 1 canary pod next to 3 stable.
        status = json!({"observedGeneration": "1", "replicas": replicas + 1, "updatedReplicas": 1, "readyReplicas": replicas + 1,
            "availableReplicas": replicas + 1, "HPAReplicas": replicas + 1, "currentPodHash": canary_hash, "stableRS": stable_hash,
            "currentStepIndex": 1, "controllerPause": true, "phase": "Paused", "message": "CanaryPauseStep",
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": hours_ago(3)}],
            "canary": {"weights": {"canary": {"podTemplateHash": canary_hash, "weight": 20}, "stable": {"podTemplateHash": stable_hash, "weight": 80}}},
            "selector": format!("app.kubernetes.io/name={}", w.name),
            "conditions": [{"type": "Paused", "status": "True", "reason": "RolloutPaused", "message": "Rollout is paused", "lastTransitionTime": hours_ago(3), "lastUpdateTime": hours_ago(3)}]});
        out.push(rs(canary_hash, &canary_image, 1, 2, 3));
    } else if cluster == ROLLOUT.2 {
        // The canary's image cannot be pulled: the progress deadline passed.
        let message = format!(
            "ReplicaSet \"{}-{canary_hash}\" has timed out progressing.",
            w.name
        );
        status = json!({"observedGeneration": "1", "replicas": replicas + 1, "updatedReplicas": 1, "readyReplicas": replicas,
            "availableReplicas": replicas, "HPAReplicas": replicas + 1, "currentPodHash": canary_hash, "stableRS": stable_hash,
            "currentStepIndex": 0, "phase": "Degraded", "message": format!("ProgressDeadlineExceeded: {message}"),
            "selector": format!("app.kubernetes.io/name={}", w.name),
            "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": message, "lastTransitionTime": hours_ago(2), "lastUpdateTime": hours_ago(2)}]});
        out.push(rs(canary_hash, &canary_image, 1, 2, 2));
    }
    out.push(rs(stable_hash, &stable_image, replicas, 1, 30));
    let mut meta = meta.clone();
    meta["uid"] = json!(uid);
    meta["creationTimestamp"] = json!(hours_ago(30));
    out.insert(0, json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": meta, "spec": spec, "status": status}));
    out
}

/// KEDA's ScaledObject CustomResourceDefinition, as the project installs it (cut to names, scope,
/// versions and subresources).
pub(crate) fn keda_crd() -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "scaledobjects.keda.sh", "labels": {"app.kubernetes.io/name": "keda", "app.kubernetes.io/part-of": "keda-operator"}},
        "spec": {"group": "keda.sh", "scope": "Namespaced",
            "names": {"kind": "ScaledObject", "listKind": "ScaledObjectList", "plural": "scaledobjects", "singular": "scaledobject", "shortNames": ["so"]},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}}}]}})
}

/// KEDA's ScaledJob CustomResourceDefinition (cut like [`keda_crd`]).
pub(crate) fn scaledjobs_crd() -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "scaledjobs.keda.sh", "labels": {"app.kubernetes.io/name": "keda", "app.kubernetes.io/part-of": "keda-operator"}},
        "spec": {"group": "keda.sh", "scope": "Namespaced",
            "names": {"kind": "ScaledJob", "listKind": "ScaledJobList", "plural": "scaledjobs", "singular": "scaledjob", "shortNames": ["sj"]},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}}}]}})
}

/// The KEDA-scaled worker's batch side: a ScaledJob that starts one reconciliation Job per 5
/// messages of its queue (at most 20 at once), idle now; paused by annotation in [`KEDA_JOB_PAUSED`].
fn scaledjob(w: &Workload, cluster: &str) -> Value {
    let name = format!("{}-reconciler", w.name);
    let mut annotations = json!({});
    if cluster == KEDA_JOB_PAUSED {
        annotations["autoscaling.keda.sh/paused"] = json!("true");
    }
    let mut template = pod_template(w, cluster, None);
    template["spec"]["restartPolicy"] = json!("Never");
    template["spec"]["containers"][0]
        .as_object_mut()
        .map(|c| c.remove("readinessProbe"));
    json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob",
        "metadata": {"name": name, "namespace": w.namespace, "labels": labels(w), "annotations": annotations},
        "spec": {"jobTargetRef": {"parallelism": 1, "completions": 1, "backoffLimit": 2, "template": template},
            "pollingInterval": 30, "minReplicaCount": 0, "maxReplicaCount": 20, "scalingStrategy": {"strategy": "accurate"},
            "triggers": [{"type": "rabbitmq", "metadata": {"protocol": "amqp", "queueName": "refund-reconciliations", "mode": "QueueLength", "value": "5"}, "authenticationRef": {"name": "rabbitmq-auth"}}]},
        "status": {"conditions": [
            {"type": "Ready", "status": "True", "reason": "ScaledJobReady", "message": "ScaledJob is defined correctly and is ready to scaling"},
            {"type": "Active", "status": "False", "reason": "ScalerNotActive", "message": "Scaling is not performed because triggers are not active"},
            {"type": "Paused", "status": if cluster == KEDA_JOB_PAUSED { "True" } else { "False" }}]}})
}

/// A ScaledObject on two triggers (a RabbitMQ queue's length and a Prometheus query) with the
/// status KEDA would write, and the HPA KEDA makes for it (External metrics, owned by it). In
/// [`KEDA`]'s cluster the Prometheus scaler fails and the fallback holds the worker at 6.
fn keda_objects(w: &Workload, cluster: &str) -> Vec<Value> {
    let uid = format!("scaledobject-{cluster}-{}", w.name);
    let failing = cluster == KEDA.1;
    let condition = |kind: &str, on: bool, reason: &str, message: &str| json!({"type": kind, "status": if on { "True" } else { "False" }, "reason": reason, "message": message});
    let conditions = vec![
        condition(
            "Ready",
            true,
            "ScaledObjectReady",
            "ScaledObject is defined correctly and is ready for scaling",
        ),
        condition(
            "Active",
            true,
            "ScalerActive",
            "Scaling is performed because triggers are active",
        ),
        if failing {
            condition(
                "Fallback",
                true,
                "FallbackExists",
                "At least one trigger is falling back on this scaled object",
            )
        } else {
            condition(
                "Fallback",
                false,
                "NoFallbackFound",
                "No fallbacks are active on this scaled object",
            )
        },
        condition(
            "Paused",
            false,
            "ScaledObjectUnpaused",
            "pause annotation removed for ScaledObject",
        ),
    ];
    let health = if failing {
        json!({"s0-rabbitmq-refunds": {"numberOfFailures": 0, "status": "Happy"}, "s1-prometheus": {"numberOfFailures": 12, "status": "Failing"}})
    } else {
        json!({"s0-rabbitmq-refunds": {"numberOfFailures": 0, "status": "Happy"}, "s1-prometheus": {"numberOfFailures": 0, "status": "Happy"}})
    };
    let hpa_name = format!("keda-hpa-{}", w.name);
    vec![
        json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": w.name, "namespace": w.namespace, "uid": uid, "labels": labels(w)},
            "spec": {"scaleTargetRef": {"name": w.name}, "pollingInterval": 30, "cooldownPeriod": 300,
                "minReplicaCount": 1, "maxReplicaCount": 10, "fallback": {"failureThreshold": 3, "replicas": 6},
                "triggers": [
                    {"type": "rabbitmq", "metadata": {"protocol": "amqp", "queueName": "refunds", "mode": "QueueLength", "value": "20"}, "authenticationRef": {"name": "rabbitmq-auth"}},
                    {"type": "prometheus", "metadata": {"serverAddress": "http://prometheus.monitoring:9090", "query": "sum(rate(refunds_requested_total[2m]))", "threshold": "100"}},
                ]},
            "status": {"scaleTargetKind": "apps/v1.Deployment", "originalReplicaCount": 2, "hpaName": hpa_name,
                "externalMetricNames": ["s0-rabbitmq-refunds", "s1-prometheus"], "conditions": conditions, "health": health}}),
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": hpa_name, "namespace": w.namespace, "labels": {"app.kubernetes.io/managed-by": "keda-operator", "scaledobject.keda.sh/name": w.name},
            "ownerReferences": [{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": w.name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": w.name}, "minReplicas": 1, "maxReplicas": 10,
            "metrics": [
                {"type": "External", "external": {"metric": {"name": "s0-rabbitmq-refunds", "selector": {"matchLabels": {"scaledobject.keda.sh/name": w.name}}}, "target": {"type": "AverageValue", "averageValue": "20"}}},
                {"type": "External", "external": {"metric": {"name": "s1-prometheus", "selector": {"matchLabels": {"scaledobject.keda.sh/name": w.name}}}, "target": {"type": "AverageValue", "averageValue": "100"}}},
            ]}}),
    ]
}

fn labels(w: &Workload) -> Value {
    let mut l = json!({"app.kubernetes.io/name": w.name});
    match w.labels {
        Labels::Id => l["backstage.io/kubernetes-id"] = json!(w.name),
        Labels::App => {}
        Labels::PartOf(system) => l["app.kubernetes.io/part-of"] = json!(system),
    }
    l
}

fn pod_template(w: &Workload, cluster: &str, fault: Option<&str>) -> Value {
    let mut annotations = json!({});
    if let Some(f) = fault.filter(|f| *f != "no-metrics") {
        annotations[FAULT_ANNOTATION] = json!(f);
    }
    let memory = if fault == Some("oom") {
        "128Mi"
    } else {
        "512Mi"
    };
    let cpu = if fault == Some("unschedulable") {
        "64"
    } else {
        "250m"
    };
    let mut resources =
        json!({"requests": {"cpu": cpu, "memory": "256Mi"}, "limits": {"memory": memory}});
    if fault == Some("cpu-throttled") {
        // Busy at its CPU limit: throttled.
        resources["limits"]["cpu"] = json!("500m");
    }
    json!({
        "metadata": {"labels": labels(w), "annotations": annotations},
        "spec": {
            "containers": [{
                "name": w.name,
                "image": format!("registry.example.com/{}/{}:{}", w.namespace, w.name, version_of(w.name)),
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "CLUSTER", "value": cluster}, {"name": "DATABASE_PASSWORD", "value": "hunter2-not-for-browsers"}],
                "resources": resources,
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10, "failureThreshold": 3},
            }],
        },
    })
}

fn objects_for(cluster: &str, region: &str) -> Vec<Value> {
    let mut out: Vec<Value> = NAMESPACES.iter().map(|ns| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}, "status": {"phase": "Active"}})).collect();
    for zone in ["a", "b", "c"] {
        let name = format!(
            "ip-10-{}-{}.{region}.compute.internal",
            cluster.len(),
            zone.as_bytes()[0]
        );
        out.push(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "m6i.2xlarge", "topology.kubernetes.io/region": region, "topology.kubernetes.io/zone": format!("{region}{zone}")}},
            "spec": {"podCIDR": "10.0.1.0/24"},
            "status": {
                "capacity": {"cpu": "8", "memory": "32023000Ki", "pods": "110"},
                "allocatable": {"cpu": "7910m", "memory": "31000000Ki", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status", "lastHeartbeatTime": crate::store::now(), "lastTransitionTime": "2026-11-01T00:00:00Z"}],
                "addresses": [{"type": "InternalIP", "address": format!("10.{}.0.{}", cluster.len(), zone.as_bytes()[0])}, {"type": "Hostname", "address": name}],
                "nodeInfo": {"machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "6.1.115-126.197.amzn2023.x86_64", "osImage": "Amazon Linux 2023", "containerRuntimeVersion": "containerd://1.7.23", "kubeletVersion": "v1.33.5", "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
            },
        }));
    }
    let staging = cluster.starts_with("staging");
    for w in workloads().iter().filter(|w| w.clusters.contains(&cluster)) {
        let fault = w
            .faults
            .iter()
            .find(|(c, _)| *c == cluster)
            .map(|(_, f)| *f);
        let meta = json!({"name": w.name, "namespace": w.namespace, "labels": labels(w), "annotations": {"backstage.io/source-location": format!("url:https://git.example.com/{}/{}", w.namespace, w.name)}});
        let template = pod_template(w, cluster, fault);
        let replicas = if staging { 1 } else { w.replicas };
        let selector = json!({"matchLabels": {"app.kubernetes.io/name": w.name}});
        match w.kind {
            Kind::Deployment => {
                let mut spec = json!({"replicas": replicas, "selector": selector, "template": template, "progressDeadlineSeconds": 90,
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}, "revisionHistoryLimit": 10});
                if let Some((min, _, _)) = w.hpa {
                    spec["replicas"] = json!(min);
                }
                out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}));
                out.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": w.name, "namespace": w.namespace, "labels": labels(w)},
                    "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": w.name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}));
                out.extend(network(w, cluster));
                if cluster != NO_CERT_MANAGER {
                    out.extend(certificates(w, cluster, &out));
                }
            }
            Kind::Rollout => {
                if !out.iter().any(|o| o["metadata"]["name"] == "rollouts.argoproj.io") {
                    out.push(rollouts_crd());
                }
                // At least its autoscaler's minimum, so the autoscaler leaves it be.
                let replicas = w.hpa.map_or(replicas, |(min, _, _)| replicas.max(min));
                out.extend(rollout_objects(w, cluster, &meta, &template, replicas));
                out.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": w.name, "namespace": w.namespace, "labels": labels(w)},
                    "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": w.name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}));
            }
            Kind::StatefulSet => out.push(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta,
                "spec": {"replicas": replicas, "serviceName": w.name, "selector": selector, "template": template}})),
            Kind::DaemonSet => out.push(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
                "spec": {"selector": selector, "template": template}})),
            Kind::CronJob(schedule) => {
                let mut job_template = template.clone();
                job_template["spec"]["restartPolicy"] = json!("Never");
                job_template["spec"]["containers"][0].as_object_mut().map(|c| c.remove("readinessProbe"));
                out.push(json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                    "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                        "jobTemplate": {"metadata": {"labels": labels(w)}, "spec": {"backoffLimit": 2, "template": job_template}}}}));
            }
        }
        out.extend(budgets(w));
        if w.name == KEDA.0 {
            if !out
                .iter()
                .any(|o| o["metadata"]["name"] == "scaledobjects.keda.sh")
            {
                out.push(keda_crd());
                out.push(scaledjobs_crd());
            }
            out.extend(keda_objects(w, cluster));
            out.push(scaledjob(w, cluster));
        }
        if let Some((min, max, cpu)) = w.hpa {
            let mut annotations = json!({});
            if let Some((_, load)) = w.load.iter().find(|(c, _)| *c == cluster) {
                // checkout-api in prod-us-1 stays near its maximum, whatever the time of day.
                // A Rollout's too: kubesim runs no Rollouts controller to follow a change.
                let steady = (w.name == NEAR_MAX.0 && cluster == NEAR_MAX.1)
                    || matches!(w.kind, Kind::Rollout);
                annotations[LOAD_ANNOTATION] =
                    json!(format!("{load}{}", if steady { "!" } else { "" }));
            }
            if fault == Some("no-metrics") {
                annotations[FAULT_ANNOTATION] = json!("no-metrics");
            }
            out.push(json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": w.name, "namespace": w.namespace, "labels": labels(w), "annotations": annotations},
                "spec": {"scaleTargetRef": match w.kind {
                        Kind::Rollout => json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": w.name}),
                        _ => json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": w.name}),
                    }, "minReplicas": min, "maxReplicas": max,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}],
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}}}));
        }
    }
    out.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster-info", "namespace": "kube-system"}, "data": {"cluster": cluster, "region": region}}));
    out
}

/// The demo scenario.
pub fn scenario() -> Scenario {
    let clusters = CLUSTERS
        .iter()
        .map(|(name, region, environment)| ScenarioCluster {
            spec: ClusterSpec {
                name: name.to_string(),
                region: region.to_string(),
                environment: environment.to_string(),
                viewer_namespaces: vec!["storefront".into(), "search".into()],
                hidden_namespaces: if *name == RESTRICTED.0 {
                    vec![RESTRICTED.1.to_string()]
                } else {
                    vec![]
                },
                no_log_namespaces: if *name == NO_LOGS.0 {
                    vec![NO_LOGS.1.to_string()]
                } else {
                    vec![]
                },
                reader_reads_secrets: *name == OVERPRIVILEGED,
            },
            objects: objects_for(name, region),
            faults: None,
        })
        .collect();
    Scenario { clusters }
}

/// The demo's script: a rollout breaks a few seconds in, and one cluster drops its watches now and then.
pub fn spawn_script(fleet: Arc<Fleet>) {
    let f = fleet.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(6)).await;
        let (cluster, ns, name) = BAD_ROLLOUT;
        if let Some(c) = f.cluster(cluster) {
            let deployments = crate::resources::by_store("deployments");
            let image = format!(
                "registry.example.com/{ns}/{name}:{}-missing",
                version_of(&format!("{name}-next"))
            );
            c.api.store.modify(deployments, ns, name, |d| {
                d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
            });
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(45));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Some(c) = fleet.cluster(FLAKY_CLUSTER) {
                tracing::info!(cluster = FLAKY_CLUSTER, "demo: dropping every watch");
                c.api.store.drop_watches();
            }
        }
    });
}

/// Starts the whole demo (clusters, objects, controllers, script) inside this process.
pub async fn start(options: &crate::fleet::FleetOptions) -> std::io::Result<Arc<Fleet>> {
    let scenario = scenario();
    let fleet = Fleet::start(&scenario.specs(), options).await?;
    scenario.apply(&fleet).map_err(std::io::Error::other)?;
    let fleet = Arc::new(fleet);
    crate::controllers::spawn(fleet.clone());
    spawn_script(fleet.clone());
    Ok(fleet)
}
