//! The caches: one reflector store per kind, or per kind and namespace where only namespaces may
//! be read.

use super::super::slim::Pod;
use super::kinds::Watched;
use super::status::Scope;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::Resource;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::{Arc, PoisonError, RwLock};

/// The caches of one kind: one reflector store for the whole cluster, or one per readable namespace.
/// Typed kinds and configured custom resources (`DynamicObject`s, whose type is known at run time)
/// alike.
pub struct Shards<K: Resource + 'static>
where
    K::DynamicType: Eq + Hash,
{
    inner: Arc<RwLock<BTreeMap<Scope, Store<K>>>>,
}

impl<K: Resource + 'static> Clone for Shards<K>
where
    K::DynamicType: Eq + Hash,
{
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Resource + 'static> Default for Shards<K>
where
    K::DynamicType: Eq + Hash,
{
    fn default() -> Self {
        Self {
            inner: Arc::default(),
        }
    }
}

impl<K: Resource + Clone + 'static> Shards<K>
where
    K::DynamicType: Eq + Hash + Clone,
{
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Scope, Store<K>>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn insert(&self, scope: Scope, store: Store<K>) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(scope, store);
    }

    pub(super) fn remove(&self, scope: &Scope) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(scope);
    }

    /// Every cached object of the kind.
    pub fn state(&self) -> Vec<Arc<K>> {
        self.read().values().flat_map(|s| s.state()).collect()
    }

    /// One object by namespace and name, of the kind `dyntype` says.
    pub fn get_with(&self, namespace: &str, name: &str, dyntype: K::DynamicType) -> Option<Arc<K>> {
        let key = ObjectRef::new_with(name, dyntype).within(namespace);
        let shards = self.read();
        shards.get(&None).and_then(|s| s.get(&key)).or_else(|| {
            shards
                .get(&Some(namespace.to_string()))
                .and_then(|s| s.get(&key))
        })
    }

    /// How many objects are cached.
    pub fn len(&self) -> usize {
        self.read().values().map(|s| s.len()).sum()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Watched> Shards<K> {
    /// One object by namespace and name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        self.get_with(namespace, name, ())
    }
}

/// The cached objects of one cluster, by kind.
#[derive(Clone, Default)]
pub struct Stores {
    pub pods: Shards<Pod>,
    pub deployments: Shards<Deployment>,
    pub replicasets: Shards<ReplicaSet>,
    pub statefulsets: Shards<StatefulSet>,
    pub daemonsets: Shards<DaemonSet>,
    pub jobs: Shards<Job>,
    pub cronjobs: Shards<CronJob>,
    pub hpas: Shards<HorizontalPodAutoscaler>,
    pub services: Shards<Service>,
    pub ingresses: Shards<Ingress>,
    pub pdbs: Shards<PodDisruptionBudget>,
    pub rollouts: Shards<crate::clusters::rollout::Rollout>,
    pub scaledobjects: Shards<crate::clusters::keda::ScaledObject>,
    pub scaledjobs: Shards<crate::clusters::keda::ScaledJob>,
    pub events: Shards<Event>,
    pub namespaces: Shards<Namespace>,
    pub nodes: Shards<Node>,
    /// The configured custom resources' objects, one cache each.
    pub custom: Vec<super::custom::CustomShards>,
}

impl Stores {
    /// Objects cached per kind.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        [
            ("pods", self.pods.len()),
            ("deployments", self.deployments.len()),
            ("replicasets", self.replicasets.len()),
            ("statefulsets", self.statefulsets.len()),
            ("daemonsets", self.daemonsets.len()),
            ("jobs", self.jobs.len()),
            ("cronjobs", self.cronjobs.len()),
            ("horizontalpodautoscalers", self.hpas.len()),
            ("services", self.services.len()),
            ("ingresses", self.ingresses.len()),
            ("poddisruptionbudgets", self.pdbs.len()),
            ("rollouts", self.rollouts.len()),
            ("scaledobjects", self.scaledobjects.len()),
            ("scaledjobs", self.scaledjobs.len()),
            ("events", self.events.len()),
            ("namespaces", self.namespaces.len()),
            ("nodes", self.nodes.len()),
        ]
        .into_iter()
        .chain(self.custom.iter().map(|c| (c.id, c.len())))
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}
