//! The controllers, seen through kube-rs: rollouts, failing pods, autoscaling, jobs.

mod common;

use common::{client, eventually, fleet};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::Api;
use serde_json::json;
use std::sync::Arc;

async fn live_cluster() -> (Arc<kubesim::fleet::Fleet>, kube::Client) {
    let fleet = Arc::new(fleet(&["prod-eu-1"]).await);
    let c = client(&fleet, "prod-eu-1").await;
    common::create_namespace(&c, "shop").await;
    for n in ["node-a", "node-b"] {
        Api::<Node>::all(c.clone())
            .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": n, "labels": {"topology.kubernetes.io/region": "eu-west-1"}}})).unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    kubesim::controllers::spawn(fleet.clone());
    (fleet, c)
}

fn deployment(name: &str, replicas: i32, image: &str, fault: Option<&str>) -> Deployment {
    let annotations = fault
        .map(|f| json!({"kubesim.io/fault": f}))
        .unwrap_or(json!({}));
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {"metadata": {"labels": {"app.kubernetes.io/name": name}, "annotations": annotations},
                "spec": {"containers": [{"name": name, "image": image}]}}
        }
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn ready(d: &Deployment) -> i32 {
    d.status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

#[tokio::test]
async fn a_deployment_rolls_out_through_replicasets_to_ready_pods() {
    let (_fleet, c) = live_cluster().await;
    let deploys: Api<Deployment> = Api::namespaced(c.clone(), "shop");
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop");
    let sets: Api<ReplicaSet> = Api::namespaced(c.clone(), "shop");
    deploys
        .create(
            &PostParams::default(),
            &deployment("web", 3, "registry.example.com/web:1.0", None),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eventually("3 ready replicas", async || {
        deploys.get("web").await.is_ok_and(|d| ready(&d) == 3)
    })
    .await;
    let listed = pods
        .list(&ListParams::default().labels("app.kubernetes.io/name=web"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.items.len(), 3);
    let pod = &listed.items[0];
    assert!(pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| n.starts_with("node-")));
    assert_eq!(
        pod.metadata
            .owner_references
            .as_ref()
            .map(|o| o[0].kind.as_str()),
        Some("ReplicaSet")
    );

    // A new image is a rollout: a second ReplicaSet takes over, the first is scaled to zero.
    deploys
        .patch("web", &PatchParams::default(), &Patch::Merge(json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "registry.example.com/web:2.0"}]}}}})))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eventually("rollout complete", async || {
        let rs = sets
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        let replicas = |r: &ReplicaSet| r.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        rs.len() == 2
            && rs.iter().filter(|r| replicas(r) == 0).count() == 1
            && deploys.get("web").await.is_ok_and(|d| ready(&d) == 3)
    })
    .await;
    let d = deploys.get("web").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("deployment.kubernetes.io/revision"))
            .map(String::as_str),
        Some("2")
    );
    let images: Vec<String> = pods
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .items
        .iter()
        .flat_map(|p| {
            p.spec
                .iter()
                .flat_map(|s| s.containers.iter().filter_map(|c| c.image.clone()))
        })
        .collect();
    assert!(images.iter().all(|i| i.ends_with(":2.0")), "{images:?}");
}

#[tokio::test]
async fn failing_pods_show_the_kubelets_reasons() {
    let (_fleet, c) = live_cluster().await;
    let deploys: Api<Deployment> = Api::namespaced(c.clone(), "shop");
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop");
    deploys
        .create(
            &PostParams::default(),
            &deployment(
                "crash",
                1,
                "registry.example.com/crash:1",
                Some("crash-loop"),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    deploys
        .create(
            &PostParams::default(),
            &deployment("pull", 1, "registry.example.com/pull:9.9.9-missing", None),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    deploys
        .create(
            &PostParams::default(),
            &deployment(
                "big",
                1,
                "registry.example.com/big:1",
                Some("unschedulable"),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let waiting = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|c| c[0].state.as_ref())
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
    };
    let pod_of = |app: &'static str| {
        let pods = pods.clone();
        async move {
            pods.list(&ListParams::default().labels(&format!("app.kubernetes.io/name={app}")))
                .await
                .ok()
                .and_then(|l| l.items.into_iter().next())
        }
    };
    eventually("CrashLoopBackOff with restarts", async || {
        pod_of("crash").await.is_some_and(|p| {
            waiting(&p).as_deref() == Some("CrashLoopBackOff")
                && p.status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .is_some_and(|c| {
                        c[0].restart_count >= 1
                            && c[0]
                                .last_state
                                .as_ref()
                                .and_then(|l| l.terminated.as_ref())
                                .is_some_and(|t| t.exit_code == 1)
                    })
        })
    })
    .await;
    eventually("ImagePullBackOff", async || {
        pod_of("pull").await.is_some_and(|p| {
            waiting(&p).is_some_and(|r| r == "ImagePullBackOff" || r == "ErrImagePull")
        })
    })
    .await;
    eventually("Unschedulable", async || {
        pod_of("big").await.is_some_and(|p| {
            p.status
                .as_ref()
                .is_some_and(|s| s.phase.as_deref() == Some("Pending"))
                && p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c.reason.as_deref() == Some("Unschedulable"))
                    })
        })
    })
    .await;
    let events: Api<Event> = Api::namespaced(c.clone(), "shop");
    eventually("warning events", async || {
        let list = events
            .list(&ListParams::default().fields("type=Warning"))
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        let reasons: Vec<String> = list.iter().filter_map(|e| e.reason.clone()).collect();
        ["BackOff", "Failed", "FailedScheduling"]
            .iter()
            .all(|r| reasons.iter().any(|x| x == r))
    })
    .await;
}

#[tokio::test]
async fn an_hpa_scales_under_load_and_stops_at_its_maximum() {
    let (_fleet, c) = live_cluster().await;
    let deploys: Api<Deployment> = Api::namespaced(c.clone(), "shop");
    deploys
        .create(
            &PostParams::default(),
            &deployment("api", 2, "registry.example.com/api:1", None),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
        "metadata": {"name": "api", "annotations": {"kubesim.io/load": "1.5"}},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}, "minReplicas": 2, "maxReplicas": 5,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(c.clone(), "shop");
    hpas.create(&PostParams::default(), &hpa)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eventually("scaled to max with ScalingLimited", async || {
        let Ok(h) = hpas.get("api").await else {
            return false;
        };
        let status = h.status.unwrap_or_default();
        let limited = status.conditions.unwrap_or_default().iter().any(|c| {
            c.type_ == "ScalingLimited"
                && c.status == "True"
                && c.reason.as_deref() == Some("TooManyReplicas")
        });
        let util = status
            .current_metrics
            .unwrap_or_default()
            .first()
            .and_then(|m| m.resource.as_ref())
            .and_then(|r| r.current.average_utilization)
            .unwrap_or(0);
        limited
            && status.desired_replicas == 5
            && util > 70
            && deploys
                .get("api")
                .await
                .is_ok_and(|d| d.spec.and_then(|s| s.replicas) == Some(5))
    })
    .await;
}

#[tokio::test]
async fn a_failing_job_ends_with_backoff_limit_exceeded() {
    let (_fleet, c) = live_cluster().await;
    let jobs: Api<Job> = Api::namespaced(c.clone(), "shop");
    let job: Job = serde_json::from_value(json!({
        "metadata": {"name": "report"},
        "spec": {"backoffLimit": 1, "template": {"metadata": {"annotations": {"kubesim.io/fault": "job-fail"}}, "spec": {"restartPolicy": "Never", "containers": [{"name": "r", "image": "registry.example.com/report:1"}]}}}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    jobs.create(&PostParams::default(), &job)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let failed = |j: &Job| {
        j.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.type_ == "Failed" && c.reason.as_deref() == Some("BackoffLimitExceeded")
                })
            })
    };
    for _ in 0..400 {
        if jobs.get("report").await.is_ok_and(|j| failed(&j)) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job never failed");
}
