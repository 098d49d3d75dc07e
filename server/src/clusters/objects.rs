//! A service's objects in one cluster, joined once from the index and the caches: the one way the
//! rules and the views get at cached objects.

use super::index::{Kind, ObjKey};
use super::slim::Pod;
use super::usage::ContainerUsage;
use super::watch::ClusterWatch;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// One service's objects in one cluster, as the rules, the autoscaling model and the views read
/// them: the index's keys joined with the caches once per cluster and computation.
#[derive(Clone, Default)]
pub struct ClusterObjects {
    pub cluster: String,
    pub region: String,
    /// The cluster's environment (`production`, `staging`), as configured.
    pub environment: String,
    pub pods: Vec<Arc<Pod>>,
    pub deployments: Vec<Arc<Deployment>>,
    pub replicasets: Vec<Arc<ReplicaSet>>,
    pub statefulsets: Vec<Arc<StatefulSet>>,
    pub daemonsets: Vec<Arc<DaemonSet>>,
    pub jobs: Vec<Arc<Job>>,
    pub cronjobs: Vec<Arc<CronJob>>,
    pub hpas: Vec<Arc<HorizontalPodAutoscaler>>,
    pub events: Vec<Arc<Event>>,
    pub services: Vec<Arc<Service>>,
    pub ingresses: Vec<Arc<Ingress>>,
    pub pdbs: Vec<Arc<PodDisruptionBudget>>,
    pub rollouts: Vec<Arc<super::rollout::Rollout>>,
    pub scaledobjects: Vec<Arc<super::keda::ScaledObject>>,
    pub scaledjobs: Vec<Arc<super::keda::ScaledJob>>,
    /// Objects of the configured custom resources, with the resource's id
    /// (`certificates.cert-manager.io`) and API version (`cert-manager.io/v1`).
    pub custom: Vec<(&'static str, &'static str, Arc<kube::api::DynamicObject>)>,
    /// The latest usage of its running pods' containers, by (namespace, pod).
    pub usage: HashMap<(String, String), Arc<[ContainerUsage]>>,
    /// The labels of each of `pods`, in the same order (the caches do not keep pods' labels).
    pub pod_labels: Vec<Arc<BTreeMap<String, String>>>,
    /// The cluster's pods are not all listed yet (its pod watch has not synced): a Service cannot
    /// be said to select nothing.
    pub pods_unsynced: bool,
    /// The Services its Ingresses name as backends that exist in the cluster (whoever's they
    /// are), as `(namespace, name)`.
    pub backends: HashSet<(String, String)>,
}

impl ClusterObjects {
    /// The latest usage of one of its pods, when metrics know it.
    pub fn usage_of(&self, pod: &Pod) -> Option<Arc<[ContainerUsage]>> {
        let key = (
            pod.metadata.namespace.clone().unwrap_or_default(),
            pod.metadata.name.clone().unwrap_or_default(),
        );
        self.usage.get(&key).cloned()
    }
}

/// One service's objects in one cluster, for the rules and the autoscaling model; `None` when it does
/// not run there.
pub fn of(c: &ClusterWatch, service: &str) -> Option<ClusterObjects> {
    let keys = c.index.objects_of(service);
    if !keys.iter().any(|k| k.kind.is_workload()) {
        return None;
    }
    let s = &c.stores;
    let mut o = ClusterObjects {
        cluster: c.cluster.name.clone(),
        region: c.region(),
        environment: c.cluster.environment.clone(),
        ..Default::default()
    };
    for k in &keys {
        let (ns, name) = (k.namespace.as_str(), k.name.as_str());
        match k.kind {
            Kind::Pod => {
                o.pods.extend(s.pods.get(ns, name));
                if let Some(u) = c.usage.pod(ns, name) {
                    o.usage.insert((ns.to_string(), name.to_string()), u);
                }
            }
            Kind::Deployment => o.deployments.extend(s.deployments.get(ns, name)),
            Kind::ReplicaSet => o.replicasets.extend(s.replicasets.get(ns, name)),
            Kind::StatefulSet => o.statefulsets.extend(s.statefulsets.get(ns, name)),
            Kind::DaemonSet => o.daemonsets.extend(s.daemonsets.get(ns, name)),
            Kind::Job => o.jobs.extend(s.jobs.get(ns, name)),
            Kind::CronJob => o.cronjobs.extend(s.cronjobs.get(ns, name)),
            Kind::HorizontalPodAutoscaler => o.hpas.extend(s.hpas.get(ns, name)),
            Kind::Event => o.events.extend(s.events.get(ns, name)),
            Kind::Service => o.services.extend(s.services.get(ns, name)),
            Kind::Ingress => o.ingresses.extend(s.ingresses.get(ns, name)),
            Kind::PodDisruptionBudget => o.pdbs.extend(s.pdbs.get(ns, name)),
            Kind::Rollout => o.rollouts.extend(s.rollouts.get(ns, name)),
            Kind::ScaledObject => o.scaledobjects.extend(s.scaledobjects.get(ns, name)),
            Kind::ScaledJob => o.scaledjobs.extend(s.scaledjobs.get(ns, name)),
            Kind::Custom(_) => o.custom.extend(custom(s, ns, name)),
        }
    }
    let pods: Vec<ObjKey> = o
        .pods
        .iter()
        .map(|p| ObjKey {
            kind: Kind::Pod,
            namespace: p.metadata.namespace.clone().unwrap_or_default(),
            name: p.metadata.name.clone().unwrap_or_default(),
        })
        .collect();
    o.pod_labels = c.index.labels_of(&pods);
    o.pods_unsynced = !c
        .status
        .kinds()
        .iter()
        .any(|k| k.kind == "pods" && k.synced);
    for i in &o.ingresses {
        let ns = i.metadata.namespace.as_deref().unwrap_or_default();
        for path in super::ingress::paths(i) {
            if s.services.get(ns, &path.service).is_some() {
                o.backends.insert((ns.to_string(), path.service));
            }
        }
    }
    Some(o)
}

/// One of the service's objects as the cache holds it, as JSON with its `apiVersion` and `kind`;
/// `None` when the service has no such object in this cluster (events are not objects it has).
/// Env values, commands and arguments were never kept, and managed fields were dropped (see
/// `watch::trim`).
pub fn cached_json(c: &ClusterWatch, service: &str, key: &ObjKey) -> Option<serde_json::Value> {
    if key.kind == Kind::Event || !c.index.objects_of(service).contains(key) {
        return None;
    }
    fn json<K: serde::Serialize + k8s_openapi::Resource>(
        o: Option<Arc<K>>,
    ) -> Option<serde_json::Value> {
        let mut v = serde_json::to_value(&*o?).ok()?;
        let m = v.as_object_mut()?;
        m.insert("apiVersion".into(), K::API_VERSION.into());
        m.insert("kind".into(), K::KIND.into());
        Some(v)
    }
    let s = &c.stores;
    let (ns, name) = (key.namespace.as_str(), key.name.as_str());
    match key.kind {
        Kind::Pod => json(s.pods.get(ns, name)),
        Kind::Deployment => json(s.deployments.get(ns, name)),
        Kind::ReplicaSet => json(s.replicasets.get(ns, name)),
        Kind::StatefulSet => json(s.statefulsets.get(ns, name)),
        Kind::DaemonSet => json(s.daemonsets.get(ns, name)),
        Kind::Job => json(s.jobs.get(ns, name)),
        Kind::CronJob => json(s.cronjobs.get(ns, name)),
        Kind::HorizontalPodAutoscaler => json(s.hpas.get(ns, name)),
        Kind::Service => json(s.services.get(ns, name)),
        Kind::Ingress => json(s.ingresses.get(ns, name)),
        Kind::PodDisruptionBudget => json(s.pdbs.get(ns, name)),
        Kind::Rollout => json(s.rollouts.get(ns, name)),
        Kind::ScaledObject => json(s.scaledobjects.get(ns, name)),
        Kind::ScaledJob => json(s.scaledjobs.get(ns, name)),
        Kind::Custom(_) => {
            let (id, api_version, o) = custom(s, ns, name)?;
            let mut v = serde_json::to_value(&*o).ok()?;
            let m = v.as_object_mut()?;
            let kind = o
                .types
                .as_ref()
                .map(|t| t.kind.clone())
                .unwrap_or_else(|| id.to_string());
            m.insert("apiVersion".into(), api_version.into());
            m.insert("kind".into(), kind.into());
            Some(v)
        }
        Kind::Event => None,
    }
}

/// A custom resource's object by its index name (`{id}/{name}`, see `index::custom_name`), with
/// the resource's id and API version.
fn custom(
    s: &super::watch::Stores,
    namespace: &str,
    key: &str,
) -> Option<(&'static str, &'static str, Arc<kube::api::DynamicObject>)> {
    let (id, name) = key.split_once('/')?;
    let shard = s.custom.iter().find(|c| c.id == id)?;
    Some((shard.id, shard.api_version, shard.get(namespace, name)?))
}
