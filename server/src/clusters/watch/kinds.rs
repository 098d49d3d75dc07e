//! The kinds watched, and what the index learns from each (labels, owners, scale targets, event
//! subjects).

use super::super::index::{Fact, Kind, ObjKey};
use super::super::slim::Pod;
use super::trim::Trim;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::sync::Arc;

/// What the index learns from an object of a watched kind.
pub trait Watched:
    Resource<DynamicType = ()> + Trim + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
    /// The index's kind (`None`: not mapped to services).
    const KIND: Option<Kind>;
    /// False for cluster-scoped kinds (Namespaces, Nodes).
    const NAMESPACED: bool = true;
    /// A kind a CustomResourceDefinition adds: where the cluster does not serve it (404), it is
    /// "not installed" — no trouble, looked for again now and then.
    const OPTIONAL: bool = false;

    /// The API of one namespace (the whole cluster for cluster-scoped kinds).
    fn api_in(client: Client, namespace: &str) -> Api<Self>;

    /// Objects this one belongs to: owner references by default.
    fn links(&self) -> Vec<(Kind, String)> {
        self.meta()
            .owner_references
            .iter()
            .flatten()
            .filter_map(|o| Kind::from_api(&o.kind).map(|k| (k, o.name.clone())))
            .collect()
    }

    /// The replica count to keep a history of (autoscalers only).
    fn replicas_sample(&self) -> Option<i32> {
        None
    }

    /// The index's view of the object.
    fn fact(&self) -> Option<(ObjKey, Fact)> {
        let kind = Self::KIND?;
        let meta = self.meta();
        Some((
            ObjKey {
                kind,
                namespace: meta.namespace.clone().unwrap_or_default(),
                name: meta.name.clone().unwrap_or_default(),
            },
            Fact {
                labels: Arc::new(meta.labels.clone().unwrap_or_default()),
                links: self.links(),
                controlled: meta
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.controller == Some(true)),
            },
        ))
    }
}

macro_rules! watched {
    ($($t:ty => $k:expr),*) => { $(impl Watched for $t {
        const KIND: Option<Kind> = $k;
        fn api_in(client: Client, namespace: &str) -> Api<Self> { Api::namespaced(client, namespace) }
    })* };
}
watched!(
    Deployment => Some(Kind::Deployment),
    StatefulSet => Some(Kind::StatefulSet),
    DaemonSet => Some(Kind::DaemonSet),
    CronJob => Some(Kind::CronJob),
    ReplicaSet => Some(Kind::ReplicaSet),
    Job => Some(Kind::Job),
    Pod => Some(Kind::Pod),
    Service => Some(Kind::Service),
    Ingress => Some(Kind::Ingress),
    PodDisruptionBudget => Some(Kind::PodDisruptionBudget)
);

impl Watched for HorizontalPodAutoscaler {
    const KIND: Option<Kind> = Some(Kind::HorizontalPodAutoscaler);
    fn replicas_sample(&self) -> Option<i32> {
        self.status.as_ref()?.current_replicas
    }
    fn api_in(client: Client, namespace: &str) -> Api<Self> {
        Api::namespaced(client, namespace)
    }
    fn links(&self) -> Vec<(Kind, String)> {
        self.spec
            .as_ref()
            .and_then(|s| {
                Kind::from_api(&s.scale_target_ref.kind)
                    .map(|k| (k, s.scale_target_ref.name.clone()))
            })
            .into_iter()
            .collect()
    }
}

impl Watched for crate::clusters::rollout::Rollout {
    const KIND: Option<Kind> = Some(Kind::Rollout);
    const OPTIONAL: bool = true;
    fn api_in(client: Client, namespace: &str) -> Api<Self> {
        Api::namespaced(client, namespace)
    }
}

impl Watched for crate::clusters::keda::ScaledObject {
    const KIND: Option<Kind> = Some(Kind::ScaledObject);
    const OPTIONAL: bool = true;
    fn api_in(client: Client, namespace: &str) -> Api<Self> {
        Api::namespaced(client, namespace)
    }
    /// Its scale target, like an HPA's.
    fn links(&self) -> Vec<(Kind, String)> {
        let t = &self.spec.scale_target_ref;
        Kind::from_api(t.kind.as_deref().unwrap_or("Deployment"))
            .map(|k| (k, t.name.clone()))
            .into_iter()
            .collect()
    }
}

impl Watched for crate::clusters::keda::ScaledJob {
    const KIND: Option<Kind> = Some(Kind::ScaledJob);
    const OPTIONAL: bool = true;
    fn api_in(client: Client, namespace: &str) -> Api<Self> {
        Api::namespaced(client, namespace)
    }
}

impl Watched for Event {
    const KIND: Option<Kind> = Some(Kind::Event);
    fn api_in(client: Client, namespace: &str) -> Api<Self> {
        Api::namespaced(client, namespace)
    }
    fn links(&self) -> Vec<(Kind, String)> {
        let o = &self.involved_object;
        o.kind
            .as_deref()
            .and_then(Kind::from_api)
            .zip(o.name.clone())
            .into_iter()
            .collect()
    }
}

impl Watched for Namespace {
    const KIND: Option<Kind> = None;
    const NAMESPACED: bool = false;
    fn api_in(client: Client, _: &str) -> Api<Self> {
        Api::all(client)
    }
}

impl Watched for Node {
    const KIND: Option<Kind> = None;
    const NAMESPACED: bool = false;
    fn api_in(client: Client, _: &str) -> Api<Self> {
        Api::all(client)
    }
}
