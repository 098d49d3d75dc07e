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

/// A scenario file that cannot be used, said with the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {0}: {1}")]
    Read(String, std::io::Error),
    #[error("scenario {0}: {1}")]
    Invalid(String, String),
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
            for (j, o) in c.objects.iter().enumerate() {
                resource_of(o).ok_or_else(|| {
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
    pub fn apply(&self, fleet: &Fleet) -> Result<(), String> {
        for sc in &self.clusters {
            let Some(cluster) = fleet.cluster(&sc.spec.name) else {
                continue;
            };
            if let Some(f) = &sc.faults {
                cluster.api.set_faults(f.clone());
            }
            let mut objects: Vec<&Value> = sc.objects.iter().collect();
            objects.sort_by_key(|o| o.get("kind").and_then(Value::as_str) != Some("Namespace"));
            for o in objects {
                let r = resource_of(o)
                    .ok_or_else(|| format!("{}: unsupported object {o}", sc.spec.name))?;
                let ns = o
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default");
                cluster
                    .api
                    .store
                    .create(r, ns, o.clone(), true)
                    .map_err(|e| format!("{}: {e}", sc.spec.name))?;
            }
        }
        Ok(())
    }
}

/// The served (stored) resource for an object's apiVersion and kind.
pub fn resource_of(object: &Value) -> Option<&'static Resource> {
    let api_version = object.get("apiVersion")?.as_str()?;
    let kind = object.get("kind")?.as_str()?;
    RESOURCES.iter().find(|r| {
        r.api_version() == api_version && r.kind == kind && r.store == r.plural && !r.create_only
    })
}
