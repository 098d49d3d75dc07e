//! Services and Ingresses through the real `wayfinder` binary over the demo fleet (kubesim,
//! HTTPS): they show on the cluster map as the real `kubectl` reads them, the demo's two mistakes
//! are found (`service-selects-nothing`, `ingress-backend-missing`) only where they are, and a
//! fix made with kubectl clears its finding.

mod common;

use app::model::{ServiceCluster, ServiceDetail};
use common::{until, DemoFleet, Portal};

fn cluster<'a>(d: &'a ServiceDetail, name: &str) -> &'a ServiceCluster {
    d.clusters
        .iter()
        .find(|c| c.cluster == name)
        .unwrap_or_else(|| panic!("{} does not run in {name}", d.summary.name))
}

#[tokio::test]
async fn services_and_ingresses_show_and_their_mistakes_are_found() {
    let demo = DemoFleet::start().await;
    let path = demo.kubeconfig.display().to_string();
    let portal = Portal::start(&["--kubeconfig", &path]).await;

    // search-api's gRPC Service has a typo in its selector in prod-eu-1 only.
    let d: ServiceDetail = until("service-selects-nothing on search-api", || async {
        let d: ServiceDetail = portal.json("/api/v1/services/search-api").await;
        d.errors
            .iter()
            .any(|f| f.rule == "service-selects-nothing")
            .then_some(d)
    })
    .await;
    let found: Vec<_> = d
        .errors
        .iter()
        .filter(|f| f.rule == "service-selects-nothing")
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    assert_eq!(f.clusters, ["prod-eu-1"], "{f:#?}");
    assert_eq!(
        (f.kind.as_str(), f.name.as_str()),
        ("Service", "search-api-grpc")
    );
    assert!(
        f.message
            .contains("selects no pod (app.kubernetes.io/name=search-api-grcp)"),
        "{}",
        f.message
    );
    // Once its pods are ready, the web Service selects all of them, ready.
    let d: ServiceDetail = until("search-api's pods ready in prod-eu-1", || async {
        let d: ServiceDetail = portal.json("/api/v1/services/search-api").await;
        let eu = cluster(&d, "prod-eu-1");
        let web = eu.services.iter().find(|s| s.name == "search-api")?;
        (web.ready > Some(0) && web.ready == web.pods).then_some(d.clone())
    })
    .await;
    let eu = cluster(&d, "prod-eu-1");
    let names: Vec<&str> = eu.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["search-api", "search-api-grpc"]);
    let (web, grpc) = (&eu.services[0], &eu.services[1]);
    assert_eq!(web.type_, "ClusterIP");
    assert_eq!(web.ports, ["80/TCP → 8080"]);
    assert_eq!(web.selector, ["app.kubernetes.io/name=search-api"]);
    assert_eq!(web.pods, Some(eu.pods.len() as u32), "{web:?}");
    assert_eq!((grpc.pods, grpc.ready), (Some(0), Some(0)));
    // The cluster IP is the one kubectl reads.
    let ip = demo
        .kubectl(&[
            "--context",
            "prod-eu-1",
            "-n",
            "search",
            "get",
            "service",
            "search-api",
            "-o",
            "jsonpath={.spec.clusterIP}",
        ])
        .await;
    let ip = String::from_utf8_lossy(&ip).to_string();
    assert!(ip.starts_with("10.96."), "{ip}");
    assert_eq!(web.cluster_ip.as_deref(), Some(ip.as_str()));

    // web-shop's Ingress keeps a path to a removed Service in prod-us-1 only.
    let d: ServiceDetail = until("ingress-backend-missing on web-shop", || async {
        let d: ServiceDetail = portal.json("/api/v1/services/web-shop").await;
        d.errors
            .iter()
            .any(|f| f.rule == "ingress-backend-missing")
            .then_some(d)
    })
    .await;
    let f = d
        .errors
        .iter()
        .find(|f| f.rule == "ingress-backend-missing")
        .unwrap_or_else(|| panic!("found above"));
    assert_eq!(f.clusters, ["prod-us-1"], "{f:#?}");
    assert!(
        f.message.contains("shop.example.com/beta → web-shop-beta"),
        "{}",
        f.message
    );
    let us = cluster(&d, "prod-us-1");
    assert_eq!(us.ingresses.len(), 1);
    let ingress = &us.ingresses[0];
    assert_eq!(ingress.class.as_deref(), Some("nginx"));
    assert_eq!(ingress.tls, ["shop.example.com"]);
    let routes: Vec<(String, bool)> = ingress
        .paths
        .iter()
        .map(|p| {
            (
                format!("{}{} → {}:{}", p.host, p.path, p.service, p.port),
                p.missing,
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("shop.example.com/ → web-shop:http".to_string(), false),
            (
                "shop.example.com/beta → web-shop-beta:http".to_string(),
                true
            ),
        ]
    );
    assert!(cluster(&d, "prod-eu-1").ingresses[0]
        .paths
        .iter()
        .all(|p| !p.missing));

    // The fix, made with kubectl: the Service is created (and labelled as web-shop's).
    let ns = ["--context", "prod-us-1", "-n", "storefront"];
    demo.kubectl(
        &[
            &ns[..],
            &[
                "create",
                "service",
                "clusterip",
                "web-shop-beta",
                "--tcp=80:8080",
            ],
        ]
        .concat(),
    )
    .await;
    demo.kubectl(
        &[
            &ns[..],
            &[
                "label",
                "service",
                "web-shop-beta",
                "backstage.io/kubernetes-id=web-shop",
            ],
        ]
        .concat(),
    )
    .await;
    let d: ServiceDetail = until("the Ingress's finding cleared", || async {
        let d: ServiceDetail = portal.json("/api/v1/services/web-shop").await;
        (!d.errors.iter().any(|f| f.rule == "ingress-backend-missing")).then_some(d)
    })
    .await;
    let us = cluster(&d, "prod-us-1");
    assert!(us.ingresses[0].paths.iter().all(|p| !p.missing));
    // The new Service is web-shop's now: on the map, selecting nothing (its selector is its own
    // name, as `kubectl create service` makes it).
    let beta = us
        .services
        .iter()
        .find(|s| s.name == "web-shop-beta")
        .unwrap_or_else(|| panic!("{:?}", us.services));
    assert_eq!(beta.selector, ["app=web-shop-beta"]);
    assert_eq!(beta.pods, Some(0));
    assert!(d
        .errors
        .iter()
        .any(|f| f.rule == "service-selects-nothing" && f.name == "web-shop-beta"));
}
