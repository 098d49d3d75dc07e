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
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

/// The caches of one kind: one reflector store for the whole cluster, or one per readable namespace.
pub struct Shards<K: Watched> {
    inner: Arc<RwLock<BTreeMap<Scope, Store<K>>>>,
}

impl<K: Watched> Clone for Shards<K> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Watched> Default for Shards<K> {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
        }
    }
}

impl<K: Watched> Shards<K> {
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

    /// One object by namespace and name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let key = ObjectRef::new(name).within(namespace);
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
    pub events: Shards<Event>,
    pub namespaces: Shards<Namespace>,
    pub nodes: Shards<Node>,
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
            ("events", self.events.len()),
            ("namespaces", self.namespaces.len()),
            ("nodes", self.nodes.len()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}
