//! What a fleet starts with: clusters and their objects, from a file or built in.

use crate::api::Faults;
use crate::fleet::{ClusterSpec, Fleet};
use crate::resources::{Resource, RESOURCES};
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

/// One cluster of a scenario.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioCluster {
    #[serde(flatten)]
    pub spec: ClusterSpec,
    /// Objects created at start, exactly as written (namespaces first).
    #[serde(default)]
    pub objects: Vec<Value>,
    #[serde(default)]
    pub faults: Option<Faults>,
}

/// A whole scenario.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    pub clusters: Vec<ScenarioCluster>,
}

/// A scenario that cannot be used or set up, said with the file or cluster and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {0}: {1}")]
    Read(String, #[source] std::io::Error),
    #[error("scenario {0}: {1}")]
    Invalid(String, String),
    #[error("cannot start the clusters: {0}")]
    Start(#[source] std::io::Error),
    #[error("{cluster}: unsupported object {object}")]
    Unsupported { cluster: String, object: String },
    #[error("{cluster}: {source}")]
    Refused {
        cluster: String,
        #[source]
        source: crate::store::StoreError,
    },
}

impl Scenario {
    /// `n` empty clusters `cluster-1` … `cluster-n`, each with a `default` namespace.
    pub fn empty(n: usize) -> Self {
        let clusters = (1..=n)
            .map(|i| ScenarioCluster {
                spec: ClusterSpec {
                    name: format!("cluster-{i}"),
                    region: "local".into(),
                    environment: "development".into(),
                    viewer_namespaces: vec!["default".into()],
                    hidden_namespaces: Vec::new(),
                    no_log_namespaces: Vec::new(),
                    reader_reads_secrets: false,
                },
                objects: vec![serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})],
                faults: None,
            })
            .collect();
        Self { clusters }
    }

    /// Reads a YAML scenario file.
    pub fn from_file(path: &Path) -> Result<Self, ScenarioError> {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| ScenarioError::Read(name.clone(), e))?;
        let scenario: Scenario = serde_norway::from_str(&text)
            .map_err(|e| ScenarioError::Invalid(name.clone(), e.to_string()))?;
        if scenario.clusters.is_empty() {
            return Err(ScenarioError::Invalid(
                name,
                "clusters: at least one cluster is needed".into(),
            ));
        }
        for (i, c) in scenario.clusters.iter().enumerate() {
            if c.spec.name.is_empty() {
                return Err(ScenarioError::Invalid(
                    name,
                    format!("clusters[{i}].name is missing"),
                ));
            }
            // Custom resources are served once their definitions are created, first.
            let custom: Vec<&'static Resource> = c
                .objects
                .iter()
                .filter(|o| {
                    o.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
                })
                .flat_map(crate::resources::custom)
                .collect();
            for (j, o) in c.objects.iter().enumerate() {
                resource_of(o, &custom).ok_or_else(|| {
                    ScenarioError::Invalid(name.clone(), format!("clusters[{i}].objects[{j}]: kubesim does not serve apiVersion {:?} kind {:?}", o.get("apiVersion"), o.get("kind")))
                })?;
            }
        }
        Ok(scenario)
    }

    /// The cluster specs, for [`Fleet::start`].
    pub fn specs(&self) -> Vec<ClusterSpec> {
        self.clusters.iter().map(|c| c.spec.clone()).collect()
    }

    /// Creates the scenario's objects and faults in a started fleet.
    pub fn apply(&self, fleet: &Fleet) -> Result<(), ScenarioError> {
        for sc in &self.clusters {
            let Some(cluster) = fleet.cluster(&sc.spec.name) else {
                continue;
            };
            if let Some(f) = &sc.faults {
                cluster.api.set_faults(f.clone());
            }
            let mut objects: Vec<&Value> = sc.objects.iter().collect();
            // Namespaces first, then the definitions of custom resources, then the rest.
            objects.sort_by_key(|o| match o.get("kind").and_then(Value::as_str) {
                Some("Namespace") => 0,
                Some("CustomResourceDefinition") => 1,
                _ => 2,
            });
            for o in objects {
                let served = crate::resources::served(&cluster.api.store);
                let r = resource_of(o, &served).ok_or_else(|| ScenarioError::Unsupported {
                    cluster: sc.spec.name.clone(),
                    object: o.to_string(),
                })?;
                let ns = o
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default");
                cluster
                    .api
                    .store
                    .create(r, ns, o.clone(), true)
                    .map_err(|source| ScenarioError::Refused {
                        cluster: sc.spec.name.clone(),
                        source,
                    })?;
            }
        }
        Ok(())
    }
}

/// The served (stored) resource for an object's apiVersion and kind: a built-in one, or one of
/// `custom` (what the cluster's CustomResourceDefinitions define).
pub fn resource_of(object: &Value, custom: &[&'static Resource]) -> Option<&'static Resource> {
    let api_version = object.get("apiVersion")?.as_str()?;
    let kind = object.get("kind")?.as_str()?;
    RESOURCES.iter().chain(custom.iter().copied()).find(|r| {
        r.api_version() == api_version
            && r.kind == kind
            && crate::resources::stored(r) == *r
            && !r.create_only
    })
}

/// Teams that own the synthetic services, one namespace each.
pub const SYNTHETIC_TEAMS: [&str; 20] = [
    "payments",
    "storefront",
    "search",
    "identity",
    "platform",
    "data",
    "logistics",
    "growth",
    "ads",
    "media",
    "support",
    "billing",
    "catalog",
    "pricing",
    "fraud",
    "messaging",
    "maps",
    "ml",
    "mobile",
    "infra",
];

/// Sizes of a synthetic fleet (scale mode).
#[derive(Clone, Copy, Debug)]
pub struct Synthetic {
    pub clusters: usize,
    pub services: usize,
    pub pods: usize,
}

impl Synthetic {
    const REGIONS: [&'static str; 3] = ["eu-west-1", "us-east-1", "ap-southeast-1"];

    fn spread(&self) -> usize {
        self.clusters.clamp(1, 3)
    }

    /// The clusters, without objects: `cluster-01`… in 3 regions.
    pub fn specs(&self) -> Vec<ClusterSpec> {
        (0..self.clusters.max(1))
            .map(|c| ClusterSpec {
                name: format!("cluster-{:02}", c + 1),
                region: Self::REGIONS[c % 3].into(),
                environment: "production".into(),
                viewer_namespaces: vec!["payments".into()],
                hidden_namespaces: Vec::new(),
                no_log_namespaces: Vec::new(),
                reader_reads_secrets: false,
            })
            .collect()
    }

    /// Whether cluster `c` runs Argo Rollouts, KEDA and cert-manager (their CRDs installed): all
    /// but every seventh, where those kinds are "not installed" and looked for again now and then.
    pub fn has_operators(&self, c: usize) -> bool {
        self.clusters <= 1 || c % 7 != 6
    }

    /// The objects of cluster `c` alone, so a large fleet is generated and stored one cluster at a time.
    ///
    /// Every service runs a Deployment, except where the operators are installed ([`Self::has_operators`]):
    /// there one in ten (`s % 10 == 3`) runs an Argo Rollout instead, one in ten (`s % 10 == 7`) is
    /// scaled by a KEDA ScaledObject (and the HPA KEDA makes for it), one in twenty (`s % 20 == 9`)
    /// also has a KEDA ScaledJob, and one in four (`s % 4 == 1`) a cert-manager Certificate. All
    /// are healthy, as the rest of the synthetic fleet.
    pub fn objects(&self, c: usize) -> Vec<Value> {
        let clusters = self.clusters.max(1);
        let spread = self.spread();
        let per_instance = (self.pods / (self.services.max(1) * spread)).max(1);
        let region = Self::REGIONS[c % 3];
        let mut objects: Vec<Value> = SYNTHETIC_TEAMS
            .iter()
            .map(|ns| serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}, "status": {"phase": "Active"}}))
            .collect();
        for z in 0..3 {
            objects.push(serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": format!("node-{c}-{z}"),
                "labels": {"topology.kubernetes.io/region": region, "topology.kubernetes.io/zone": format!("{region}{}", ["a", "b", "c"][z])}},
                "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}));
        }
        let operators = self.has_operators(c);
        if operators {
            objects.extend([
                crate::demo::rollouts_crd(),
                crate::demo::keda_crd(),
                crate::demo::scaledjobs_crd(),
                crate::demo::certificates_crd(),
            ]);
        }
        let now = crate::store::now();
        for s in 0..self.services {
            let Some(k) =
                (0..spread).find(|k| (s + k * (clusters / spread).max(1)) % clusters == c)
            else {
                continue;
            };
            let name = format!("svc-{s:05}");
            let ns = SYNTHETIC_TEAMS[s % SYNTHETIC_TEAMS.len()];
            let labels = serde_json::json!({"app.kubernetes.io/name": name, "backstage.io/kubernetes-id": name});
            let image = format!("registry.example.com/{ns}/{name}:1.{}.0", s % 17);
            let n = per_instance as i64;
            let rollout = operators && s % 10 == 3;
            // Argo Rollouts labels its ReplicaSets and pods (not the Rollout) with the template's hash.
            let mut pod_labels = labels.clone();
            let (owner, rs_name) = if rollout {
                pod_labels["rollouts-pod-template-hash"] = serde_json::json!("6d9f8b7c5d");
                ("Rollout", format!("{name}-6d9f8b7c5d"))
            } else {
                ("Deployment", format!("{name}-7d4b9c8f6"))
            };
            let owner_api = if rollout {
                "argoproj.io/v1alpha1"
            } else {
                "apps/v1"
            };
            let template = serde_json::json!({"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}});
            let selector = serde_json::json!({"matchLabels": {"app.kubernetes.io/name": name}});
            if rollout {
                objects.push(serde_json::json!({"apiVersion": owner_api, "kind": "Rollout",
                    "metadata": {"name": name, "namespace": ns, "labels": labels, "uid": format!("d-{s}-{k}"), "creationTimestamp": now},
                    "spec": {"replicas": n, "selector": selector, "template": template,
                        "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "10m"}}, {"setWeight": 100}]}}},
                    "status": {"observedGeneration": "1", "replicas": n, "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
                        "HPAReplicas": n, "currentPodHash": "6d9f8b7c5d", "stableRS": "6d9f8b7c5d", "currentStepIndex": 3, "phase": "Healthy",
                        "selector": format!("app.kubernetes.io/name={name}"),
                        "conditions": [{"type": "Available", "status": "True", "reason": "AvailableReason", "message": "Rollout has minimum availability"}]}}));
            } else {
                objects.push(serde_json::json!({"apiVersion": owner_api, "kind": "Deployment",
                    "metadata": {"name": name, "namespace": ns, "labels": labels, "uid": format!("d-{s}-{k}"), "creationTimestamp": now, "annotations": {"deployment.kubernetes.io/revision": "1"}},
                    "spec": {"replicas": n, "selector": selector, "template": template},
                    "status": {"replicas": n, "readyReplicas": n, "availableReplicas": n, "updatedReplicas": n, "observedGeneration": 1}}));
            }
            let revision = if rollout {
                serde_json::json!({"rollout.argoproj.io/revision": "1"})
            } else {
                serde_json::json!({"deployment.kubernetes.io/revision": "1"})
            };
            let mut rs_template = template.clone();
            rs_template["metadata"]["labels"] = pod_labels.clone();
            objects.push(serde_json::json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": ns, "labels": pod_labels, "uid": format!("r-{s}-{k}"), "creationTimestamp": now, "annotations": revision,
                    "ownerReferences": [{"apiVersion": owner_api, "kind": owner, "name": name, "uid": format!("d-{s}-{k}"), "controller": true}]},
                "spec": {"replicas": n, "selector": selector, "template": rs_template},
                "status": {"replicas": n, "readyReplicas": n, "availableReplicas": n}}));
            if operators {
                objects.extend(Self::operated(s, &name, ns, n, &labels, &template));
            }
            if s % 5 == 0 {
                objects.push(serde_json::json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": name, "namespace": ns, "labels": labels},
                    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}, "minReplicas": 1, "maxReplicas": n * 2,
                        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
                    "status": {"currentReplicas": n, "desiredReplicas": n, "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 55}}}]}}));
            }
            for p in 0..per_instance {
                objects.push(serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{rs_name}-{p:05}"), "namespace": ns, "labels": pod_labels, "uid": format!("p-{s}-{k}-{p}"), "creationTimestamp": now,
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": format!("r-{s}-{k}"), "controller": true}]},
                    "spec": {"nodeName": format!("node-{c}-{}", p % 3), "containers": [{"name": "app", "image": image}]},
                    "status": {"phase": "Running", "podIP": format!("10.{}.{}.{}", k, (p / 250) % 250, p % 250 + 1),
                        "conditions": [{"type": "Ready", "status": "True"}],
                        "containerStatuses": [{"name": "app", "image": image, "imageID": "", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": now}}}]}}));
            }
        }
        objects
    }

    /// Service `s`'s KEDA and cert-manager objects (see [`Self::objects`]), in a cluster running them.
    fn operated(
        s: usize,
        name: &str,
        ns: &str,
        n: i64,
        labels: &Value,
        template: &Value,
    ) -> Vec<Value> {
        use serde_json::json;
        let mut out = Vec::new();
        let condition = |kind: &str, on: bool| json!({"type": kind, "status": if on { "True" } else { "False" }});
        if s % 10 == 7 {
            let hpa = format!("keda-hpa-{name}");
            let uid = format!("so-{s}-{ns}");
            out.push(json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
                "metadata": {"name": name, "namespace": ns, "uid": uid, "labels": labels},
                "spec": {"scaleTargetRef": {"name": name}, "minReplicaCount": 1, "maxReplicaCount": n * 2,
                    "triggers": [{"type": "prometheus", "metadata": {"serverAddress": "http://prometheus.monitoring:9090", "query": format!("sum(rate(http_requests_total{{service=\"{name}\"}}[2m]))"), "threshold": "100"}}]},
                "status": {"scaleTargetKind": "apps/v1.Deployment", "hpaName": hpa, "externalMetricNames": ["s0-prometheus"],
                    "conditions": [condition("Ready", true), condition("Active", true), condition("Fallback", false), condition("Paused", false)],
                    "health": {"s0-prometheus": {"numberOfFailures": 0, "status": "Happy"}}}}));
            out.push(json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": hpa, "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "keda-operator", "scaledobject.keda.sh/name": name},
                    "ownerReferences": [{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": name, "uid": uid, "controller": true}]},
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}, "minReplicas": 1, "maxReplicas": n * 2,
                    "metrics": [{"type": "External", "external": {"metric": {"name": "s0-prometheus", "selector": {"matchLabels": {"scaledobject.keda.sh/name": name}}}, "target": {"type": "AverageValue", "averageValue": "100"}}}]},
                "status": {"currentReplicas": n, "desiredReplicas": n,
                    "currentMetrics": [{"type": "External", "external": {"metric": {"name": "s0-prometheus"}, "current": {"averageValue": "60"}}}]}}));
        }
        if s % 20 == 9 {
            out.push(json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob",
                "metadata": {"name": format!("{name}-jobs"), "namespace": ns, "labels": labels},
                "spec": {"jobTargetRef": {"template": template}, "minReplicaCount": 0, "maxReplicaCount": 10,
                    "triggers": [{"type": "rabbitmq", "metadata": {"queueName": format!("{name}-jobs"), "mode": "QueueLength", "value": "5"}}]},
                "status": {"conditions": [condition("Ready", true), condition("Active", false), condition("Paused", false)]}}));
        }
        if s % 4 == 1 {
            out.push(json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                "metadata": {"name": format!("{name}-tls"), "namespace": ns, "labels": labels},
                "spec": {"secretName": format!("{name}-tls"), "dnsNames": [format!("{name}.example.com")], "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}},
                "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": "Certificate is up to date and has not expired"}]}}));
        }
        out
    }

    /// Starts the fleet and fills it one cluster at a time (objects written with their status).
    pub async fn start(
        &self,
        options: &crate::fleet::FleetOptions,
    ) -> Result<Fleet, ScenarioError> {
        let fleet = Fleet::start(&self.specs(), options)
            .await
            .map_err(ScenarioError::Start)?;
        for (c, spec) in self.specs().into_iter().enumerate() {
            let one = Scenario {
                clusters: vec![ScenarioCluster {
                    spec,
                    objects: self.objects(c),
                    faults: None,
                }],
            };
            one.apply(&fleet)?;
        }
        Ok(fleet)
    }
}

impl Scenario {
    /// A whole synthetic fleet in memory (tests; scale mode uses [`Synthetic::start`]).
    pub fn synthetic(clusters: usize, services: usize, pods: usize) -> Self {
        let size = Synthetic {
            clusters,
            services,
            pods,
        };
        let clusters = size
            .specs()
            .into_iter()
            .enumerate()
            .map(|(c, spec)| ScenarioCluster {
                spec,
                objects: size.objects(c),
                faults: None,
            })
            .collect();
        Self { clusters }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_fleets_have_the_asked_size() {
        let s = Scenario::synthetic(5, 40, 600);
        assert_eq!(s.clusters.len(), 5);
        let count = |kind: &str| {
            s.clusters
                .iter()
                .flat_map(|c| &c.objects)
                .filter(|o| o["kind"] == kind)
                .count()
        };
        assert_eq!(
            count("Deployment") + count("Rollout"),
            40 * 3,
            "each service in 3 clusters"
        );
        assert_eq!(count("Pod"), 600);
        // Every seventh cluster runs no operator: 5 clusters, all have them.
        assert_eq!(count("Rollout"), 4 * 3, "s % 10 == 3");
        assert_eq!(count("ScaledObject"), 4 * 3, "s % 10 == 7");
        assert_eq!(count("HorizontalPodAutoscaler"), 8 * 3 + 4 * 3);
        assert_eq!(count("ScaledJob"), 2 * 3, "s % 20 == 9");
        assert_eq!(count("Certificate"), 10 * 3, "s % 4 == 1");
        for c in &s.clusters {
            let custom: Vec<&'static Resource> = c
                .objects
                .iter()
                .filter(|o| o["kind"] == "CustomResourceDefinition")
                .flat_map(crate::resources::custom)
                .collect();
            assert_eq!(custom.len(), 4, "{}", c.spec.name);
            assert!(c.objects.iter().all(|o| resource_of(o, &custom).is_some()));
        }
        // In a fleet of 7, the seventh cluster has none of them.
        let s = Scenario::synthetic(7, 40, 600);
        assert!(!s.clusters[6]
            .objects
            .iter()
            .any(|o| o["kind"] == "CustomResourceDefinition" || o["kind"] == "Rollout"));
    }

    #[test]
    fn scenario_files_are_checked() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, "clusters:\n  - name: a\n    objects:\n      - {apiVersion: v1, kind: Secret, metadata: {name: x}}\n").unwrap_or_else(|e| panic!("{e}"));
        let e = Scenario::from_file(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("clusters[0].objects[0]") && e.contains("Secret"),
            "{e}"
        );
        std::fs::write(
            &path,
            "clusters:\n  - name: a\n    region: r\n    bogus: 1\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let e = Scenario::from_file(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("bogus"), "{e}");
        std::fs::write(&path, "clusters:\n  - name: a\n    faults: {latencyMs: 5}\n    objects:\n      - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}\n").unwrap_or_else(|e| panic!("{e}"));
        let s = Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.clusters[0].faults.as_ref().map(|f| f.latency_ms), Some(5));
    }
}
