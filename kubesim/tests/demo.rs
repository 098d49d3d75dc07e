//! The demo fleet: six clusters in three regions with the scripted trouble visible through kube-rs.

mod common;

use common::{client, eventually};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::ListParams;
use kube::Api;

fn waiting_reasons(pods: &[Pod]) -> Vec<String> {
    pods.iter()
        .flat_map(|p| {
            p.status
                .iter()
                .flat_map(|s| s.container_statuses.iter().flatten())
        })
        .filter_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone())
        .collect()
}

#[tokio::test]
async fn the_demo_fleet_runs_the_catalog_with_its_trouble() {
    let fleet = kubesim::demo::start(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<(String, String)> = fleet
        .infos()
        .into_iter()
        .map(|i| (i.name, i.region))
        .collect();
    assert_eq!(names.len(), 6);
    for region in ["eu-west-1", "us-east-1", "ap-southeast-1"] {
        assert_eq!(
            names.iter().filter(|(_, r)| r == region).count(),
            2,
            "{region}"
        );
    }
    let eu = client(&fleet, "prod-eu-1").await;
    let nodes = Api::<Node>::all(eu.clone())
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(nodes.items.iter().all(|n| n
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("topology.kubernetes.io/region"))
        .is_some_and(|r| r == "eu-west-1")));
    let by_id = Api::<Deployment>::all(eu.clone())
        .list(&ListParams::default().labels("backstage.io/kubernetes-id=checkout-api"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(by_id.items.len(), 1);
    let undescribed = Api::<Deployment>::namespaced(eu.clone(), "data")
        .get("legacy-cron-runner")
        .await;
    assert!(
        undescribed.is_ok(),
        "a service without a descriptor runs too"
    );

    let us2 = client(&fleet, "prod-us-2").await;
    eventually("recommendations crash-looping in prod-us-2", async || {
        let pods = Api::<Pod>::namespaced(us2.clone(), "search")
            .list(&ListParams::default().labels("app.kubernetes.io/name=recommendations"))
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        waiting_reasons(&pods)
            .iter()
            .any(|r| r == "CrashLoopBackOff")
    })
    .await;
    eventually(
        "cart's rollout stuck on its image in prod-eu-1",
        async || {
            let pods = Api::<Pod>::namespaced(eu.clone(), "storefront")
                .list(&ListParams::default().labels("app.kubernetes.io/name=cart"))
                .await
                .map(|l| l.items)
                .unwrap_or_default();
            waiting_reasons(&pods)
                .iter()
                .any(|r| r == "ImagePullBackOff" || r == "ErrImagePull")
        },
    )
    .await;
    eventually("checkout-api at its max in prod-eu-1", async || {
        Api::<HorizontalPodAutoscaler>::namespaced(eu.clone(), "payments")
            .get("checkout-api")
            .await
            .is_ok_and(|h| {
                h.status
                    .and_then(|s| s.conditions)
                    .unwrap_or_default()
                    .iter()
                    .any(|c| {
                        c.type_ == "ScalingLimited"
                            && c.reason.as_deref() == Some("TooManyReplicas")
                    })
            })
    })
    .await;
    let ap2 = client(&fleet, "prod-ap-2").await;
    let err = Api::<Pod>::all(ap2.clone())
        .list(&ListParams::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("403 expected"));
    assert!(
        matches!(err, kube::Error::Api(s) if s.code == 403),
        "the portal's user cannot list pods cluster-wide in prod-ap-2"
    );
    assert!(Api::<Pod>::namespaced(ap2.clone(), "identity")
        .list(&ListParams::default())
        .await
        .is_err());
    assert!(Api::<Pod>::namespaced(ap2, "payments")
        .list(&ListParams::default())
        .await
        .is_ok());
}
