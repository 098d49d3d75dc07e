//! kube-rs against kubesim over HTTPS: lists, selectors, paging, errors and RBAC.

mod common;

use common::{client, client_as, fleet};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::Api;
use serde_json::json;

fn pod(name: &str, app: &str, phase: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": app, "tier": if app == "web" { "front" } else { "back" }}},
        "spec": {"containers": [{"name": "main", "image": format!("registry.example.com/{app}:1.0")}], "nodeName": "node-1"},
        "status": {"phase": phase}
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

async fn seed(c: &kube::Client) {
    for ns in ["shop", "payments"] {
        common::create_namespace(c, ns).await;
    }
    let shop: Api<Pod> = Api::namespaced(c.clone(), "shop");
    for i in 0..5 {
        shop.create(
            &PostParams::default(),
            &pod(
                &format!("web-{i}"),
                "web",
                if i == 0 { "Pending" } else { "Running" },
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let payments: Api<Pod> = Api::namespaced(c.clone(), "payments");
    payments
        .create(
            &PostParams::default(),
            &pod("ledger-0", "ledger", "Running"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn lists_page_and_filter_like_an_apiserver() {
    let fleet = fleet(&["prod-eu-1"]).await;
    let c = client(&fleet, "prod-eu-1").await;
    seed(&c).await;
    let all: Api<Pod> = Api::all(c.clone());
    let list = all
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(list.items.len(), 6);
    assert!(list
        .metadata
        .resource_version
        .is_some_and(|rv| !rv.is_empty()));

    let mut names = Vec::new();
    let mut params = ListParams::default().limit(2);
    loop {
        let page = all.list(&params).await.unwrap_or_else(|e| panic!("{e}"));
        names.extend(page.items.iter().filter_map(|p| p.metadata.name.clone()));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(
        names,
        ["ledger-0", "web-0", "web-1", "web-2", "web-3", "web-4"]
    );

    let sel = |l: &str| ListParams::default().labels(l);
    let count = |p: ListParams| {
        let all = all.clone();
        async move {
            all.list(&p)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .items
                .len()
        }
    };
    assert_eq!(count(sel("app=web")).await, 5);
    assert_eq!(count(sel("app in (web,ledger),tier!=front")).await, 1);
    assert_eq!(count(sel("!tier")).await, 0);
    assert_eq!(
        count(ListParams::default().fields("status.phase=Pending")).await,
        1
    );
    assert_eq!(
        count(ListParams::default().fields("metadata.namespace=payments,spec.nodeName=node-1"))
            .await,
        1
    );
    let shop: Api<Pod> = Api::namespaced(c.clone(), "shop");
    assert_eq!(
        shop.list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .len(),
        5
    );
    let one = shop.get("web-3").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one.metadata.namespace.as_deref(), Some("shop"));
}

#[tokio::test]
async fn errors_carry_the_apiservers_status() {
    let fleet = fleet(&["prod-eu-1"]).await;
    let c = client(&fleet, "prod-eu-1").await;
    seed(&c).await;
    let shop: Api<Pod> = Api::namespaced(c.clone(), "shop");
    let status = |e: kube::Error| match e {
        kube::Error::Api(s) => (s.code, s.reason.clone(), s.message.clone()),
        other => panic!("not an API error: {other}"),
    };
    let (code, reason, message) = status(
        shop.get("nope")
            .await
            .err()
            .unwrap_or_else(|| panic!("404 expected")),
    );
    assert_eq!(
        (code, reason.as_str(), message.as_str()),
        (404, "NotFound", "pods \"nope\" not found")
    );
    let (code, reason, _) = status(
        shop.create(&PostParams::default(), &pod("web-1", "web", "Running"))
            .await
            .err()
            .unwrap_or_else(|| panic!("409")),
    );
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));
    let mut stale = shop.get("web-1").await.unwrap_or_else(|e| panic!("{e}"));
    shop.patch(
        "web-1",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    stale.metadata.labels = None;
    let (code, reason, _) = status(
        shop.replace("web-1", &PostParams::default(), &stale)
            .await
            .err()
            .unwrap_or_else(|| panic!("409")),
    );
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    let nowhere: Api<Pod> = Api::namespaced(c.clone(), "nowhere");
    let (code, _, message) = status(
        nowhere
            .create(&PostParams::default(), &pod("x", "web", "Running"))
            .await
            .err()
            .unwrap_or_else(|| panic!("404")),
    );
    assert_eq!(
        (code, message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );

    let bad_token = {
        let mut config = kube::Config::new(
            fleet.clusters[0]
                .url()
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        config.accept_invalid_certs = true;
        config.auth_info.token = Some("wrong".to_string().into());
        kube::Client::try_from(config).unwrap_or_else(|e| panic!("{e}"))
    };
    let (code, reason, _) = status(
        Api::<Pod>::all(bad_token)
            .list(&ListParams::default())
            .await
            .err()
            .unwrap_or_else(|| panic!("401")),
    );
    assert_eq!((code, reason.as_str()), (401, "Unauthorized"));

    shop.delete("web-4", &DeleteParams::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        shop.list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .len(),
        4
    );
}

#[tokio::test]
async fn a_namespace_limited_user_gets_the_real_403s() {
    let fleet = fleet(&["prod-eu-1"]).await;
    seed(&client(&fleet, "prod-eu-1").await).await;
    let viewer = client_as(&fleet, "prod-eu-1", kubesim::fleet::VIEWER_USER).await;
    let err = Api::<Pod>::all(viewer.clone())
        .list(&ListParams::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("403"));
    let kube::Error::Api(s) = err else {
        panic!("not an API error")
    };
    assert_eq!(s.code, 403);
    assert_eq!(s.message, "pods is forbidden: User \"portal-viewer\" cannot list resource \"pods\" in API group \"\" at the cluster scope");
    let err = Api::<Deployment>::namespaced(viewer.clone(), "payments")
        .list(&ListParams::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("403"));
    let kube::Error::Api(s) = err else {
        panic!("not an API error")
    };
    assert_eq!(s.message, "deployments.apps is forbidden: User \"portal-viewer\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"payments\"");
    let shop: Api<Pod> = Api::namespaced(viewer.clone(), "shop");
    assert_eq!(
        shop.list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .len(),
        5
    );
    assert!(
        shop.delete("web-1", &DeleteParams::default())
            .await
            .is_err(),
        "read-only"
    );

    use k8s_openapi::api::authorization::v1::{SelfSubjectAccessReview, SelfSubjectRulesReview};
    let reviews: Api<SelfSubjectAccessReview> = Api::all(viewer.clone());
    let ask = |ns: Option<&str>| -> SelfSubjectAccessReview {
        serde_json::from_value(json!({"spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": ns}}})).unwrap_or_else(|e| panic!("{e}"))
    };
    let allowed = |r: SelfSubjectAccessReview| r.status.is_some_and(|s| s.allowed);
    assert!(allowed(
        reviews
            .create(&PostParams::default(), &ask(Some("shop")))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    ));
    assert!(!allowed(
        reviews
            .create(&PostParams::default(), &ask(None))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    ));
    let rules: Api<SelfSubjectRulesReview> = Api::all(viewer);
    let r = rules
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"spec": {"namespace": "shop"}}))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let verbs = r
        .status
        .map(|s| {
            s.resource_rules
                .into_iter()
                .flat_map(|r| r.verbs)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert_eq!(verbs, ["get", "list", "watch"]);

    let cert = client_as(&fleet, "prod-eu-1", kubesim::fleet::CERT_USER).await;
    assert_eq!(
        Api::<Pod>::all(cert)
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .len(),
        6,
        "client certificate accepted"
    );
    let users: Vec<String> = fleet.clusters[0]
        .api
        .request_log()
        .into_iter()
        .map(|r| r.user)
        .collect();
    assert!(users.iter().any(|u| u == kubesim::fleet::CERT_USER));
}

#[tokio::test]
async fn the_admin_api_injects_faults_and_shows_requests() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let fleet = std::sync::Arc::new(fleet(&["prod-eu-1"]).await);
    let c = client(&fleet, "prod-eu-1").await;
    seed(&c).await;
    let admin = kubesim::fleet::admin_router(fleet.clone());
    let post = |path: &str, body: &str| {
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let r = admin
        .clone()
        .oneshot(post(
            "/clusters/prod-eu-1/faults",
            r#"{"errorRate": 1.0, "errorCode": 500}"#,
        ))
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(r.status(), 200);
    let err = Api::<Pod>::all(c.clone())
        .list(&ListParams::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("500 expected"));
    let kube::Error::Api(s) = err else {
        panic!("not an API error")
    };
    assert_eq!((s.code, s.reason.as_str()), (500, "InternalError"));
    let r = admin
        .clone()
        .oneshot(post("/clusters/prod-eu-1/faults", r#"{}"#))
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(r.status(), 200);
    assert!(Api::<Pod>::all(c.clone())
        .list(&ListParams::default())
        .await
        .is_ok());
    let r = admin
        .clone()
        .oneshot(post("/clusters/nope/compact", ""))
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(r.status(), 404);
    let r = admin
        .clone()
        .oneshot(post("/clusters/prod-eu-1/faults", r#"{"bogus": 1}"#))
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(r.status(), 422, "unknown fault keys are refused");
    let r = admin
        .oneshot(
            Request::get("/clusters/prod-eu-1/requests")
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| match e {});
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let log: Vec<serde_json::Value> =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(log
        .iter()
        .any(|r| r["path"] == "/api/v1/pods" && r["user"] == "kubesim-admin"));
    assert!(log
        .iter()
        .all(|r| !r["path"].as_str().unwrap_or("").contains("secrets")));
}
