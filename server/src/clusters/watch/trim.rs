//! Trimming: what the caches keep of each object. Views need little, and env values, commands
//! and arguments must never reach a browser (env var names are kept: the drift table compares
//! them).

use super::super::slim::Pod;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, PodTemplateSpec, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Resource;

/// Drops what no view needs and what must never reach a browser.
pub trait Trim {
    fn trim(&mut self);
}

pub(super) fn trim_meta<K: Resource>(o: &mut K) {
    let meta = o.meta_mut();
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
        // No annotation the portal reads is long; a huge one would only cost memory.
        a.retain(|_, v| v.len() <= MAX_ANNOTATION_BYTES);
    }
}

/// Annotations longer than this are not kept.
pub const MAX_ANNOTATION_BYTES: usize = 4 * 1024;

fn trim_template(t: &mut PodTemplateSpec) {
    if let Some(spec) = t.spec.as_mut() {
        trim_pod_spec(spec);
    }
}

fn trim_pod_spec(spec: &mut k8s_openapi::api::core::v1::PodSpec) {
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        // Names only (the drift table compares them); values, and where they come from, never.
        c.env = c.env.take().map(|vars| {
            vars.into_iter()
                .map(|v| k8s_openapi::api::core::v1::EnvVar {
                    name: v.name,
                    ..Default::default()
                })
                .collect()
        });
        // Whole ConfigMaps read as env, by name; Secrets' names are not kept.
        c.env_from = c.env_from.take().map(|from| {
            from.into_iter()
                .filter_map(|f| {
                    f.config_map_ref
                        .map(|r| k8s_openapi::api::core::v1::EnvFromSource {
                            config_map_ref: Some(k8s_openapi::api::core::v1::ConfigMapEnvSource {
                                name: r.name,
                                optional: None,
                            }),
                            ..Default::default()
                        })
                })
                .collect()
        });
        c.args = None;
        c.command = None;
    }
}

macro_rules! trim_meta_only {
    ($($t:ty),*) => { $(impl Trim for $t { fn trim(&mut self) { trim_meta(self); } })* };
}
trim_meta_only!(
    Service,
    Ingress,
    PodDisruptionBudget,
    Namespace,
    Node,
    HorizontalPodAutoscaler
);

impl Trim for crate::clusters::rollout::Rollout {
    fn trim(&mut self) {
        trim_meta(self);
        if let Some(t) = self.spec.template.as_mut() {
            trim_template(t);
        }
        self.status.message = self.status.message.take().map(app::model::clip);
    }
}

impl Trim for crate::clusters::keda::ScaledObject {
    fn trim(&mut self) {
        trim_meta(self);
        for c in &mut self.status.conditions {
            c.message = c.message.take().map(app::model::clip);
        }
    }
}

impl Trim for crate::clusters::keda::ScaledJob {
    fn trim(&mut self) {
        trim_meta(self);
        if let Some(j) = self.spec.job_target_ref.as_mut() {
            trim_template(&mut j.template);
        }
        for c in &mut self.status.conditions {
            c.message = c.message.take().map(app::model::clip);
        }
    }
}

/// Event text is free text from anyone who can create events: kept short.
impl Trim for Event {
    fn trim(&mut self) {
        trim_meta(self);
        self.message = self.message.take().map(app::model::clip);
        self.reason = self.reason.take().map(app::model::clip);
    }
}

macro_rules! trim_with_template {
    ($($t:ty),*) => { $(impl Trim for $t {
        fn trim(&mut self) {
            trim_meta(self);
            if let Some(spec) = self.spec.as_mut() { trim_template(&mut spec.template); }
        }
    })* };
}
trim_with_template!(Deployment, StatefulSet, DaemonSet, Job);

impl Trim for ReplicaSet {
    fn trim(&mut self) {
        trim_meta(self);
        if let Some(t) = self.spec.as_mut().and_then(|s| s.template.as_mut()) {
            trim_template(t);
        }
    }
}

/// A slim Pod never reads env, args or command off the wire (see `slim`). Its labels and
/// annotations are read by the index before the cache keeps the pod, and no view reads them: with
/// hundreds of thousands of pods they are dropped.
impl Trim for Pod {
    fn trim(&mut self) {
        let meta = &mut self.metadata;
        meta.managed_fields = None;
        meta.labels = None;
        meta.annotations = None;
    }
}

impl Trim for CronJob {
    fn trim(&mut self) {
        trim_meta(self);
        if let Some(t) = self
            .spec
            .as_mut()
            .and_then(|s| s.job_template.spec.as_mut())
        {
            trim_template(&mut t.template);
        }
    }
}
