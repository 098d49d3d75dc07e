//! Drift between clusters through the real `wayfinder` binary over the demo fleet (kubesim,
//! HTTPS): payments-gateway's Rollout stopped half-way (a canary paused in one production cluster,
//! a broken one in another, the stable image in the third) is a drift row and, after more than an
//! hour, a `version-drift` finding; the catalog's `drift=yes` lists it; an env var added in one
//! cluster shows as a row naming the variable (never its value) with that cluster the odd one, and
//! the row goes when the clusters agree again.

mod common;

use app::model::{DriftRow, ServiceDetail, ServiceList};
use common::{assert_read_only, rule_clusters, until, DemoFleet, Portal};
use serde_json::json;

fn row<'a>(d: &'a ServiceDetail, aspect: &str) -> Option<&'a DriftRow> {
    d.drift
        .iter()
        .find(|r| r.aspect == aspect && r.environment == "production")
}

#[tokio::test]
async fn clusters_that_differ_are_a_table_a_filter_and_after_an_hour_a_finding() {
    let (service, paused_in, degraded_in) = kubesim::demo::ROLLOUT;
    let demo = DemoFleet::start().await;
    let path = demo.kubeconfig.display().to_string();
    let portal = Portal::start(&["--kubeconfig", &path]).await;
    let url = format!("/api/v1/services/{service}");

    // The Rollout's images differ between its production clusters: for two hours now (the newer
    // canary started then).
    let d: ServiceDetail = until("payments-gateway's drift and its finding", || async {
        let d: ServiceDetail = portal.json(&url).await;
        let aspect = format!("image ({service})");
        (row(&d, &aspect).is_some_and(|r| r.values.len() == 3)
            && !rule_clusters(&d, "version-drift").is_empty())
        .then_some(d)
    })
    .await;
    let images = row(&d, &format!("image ({service})")).unwrap_or_else(|| panic!("no row"));
    assert_eq!(images.workload, format!("Rollout/{service}"));
    let clusters: Vec<&str> = images.values.iter().map(|v| v.cluster.as_str()).collect();
    assert_eq!(clusters, ["prod-ap-1", paused_in, degraded_in]);
    // Three clusters, three images: none is the odd one out.
    assert!(images.values.iter().all(|v| !v.odd), "{images:?}");
    // Staging is compared with staging only.
    assert!(d
        .drift
        .iter()
        .all(|r| r.values.iter().all(|v| v.cluster != "staging-eu-1")));
    let f = d
        .errors
        .iter()
        .find(|f| f.rule == "version-drift")
        .unwrap_or_else(|| panic!("no version-drift"));
    assert_eq!(f.kind, "Rollout");
    assert!(
        f.message
            .contains("has run 3 different images across production clusters for 2 h"),
        "{}",
        f.message
    );
    for v in &images.values {
        assert!(f.cause.contains(&v.value), "{} not in {}", v.value, f.cause);
    }
    assert_eq!(
        rule_clusters(&d, "version-drift"),
        ["prod-ap-1", paused_in, degraded_in]
    );
    // The JSON API has the rows, never the tab's HTML.
    let (_, raw) = portal.text(&url).await;
    assert!(!raw.contains("clustersHtml"), "{raw}");

    // The Clusters tab shows the table, made on the server.
    let (status, html) = portal.text(&format!("/services/{service}/clusters")).await;
    assert_eq!(status, 200);
    // (Without the render's hydration markers.)
    let html = html.replace("<!>", "");
    for part in [
        "What differs between clusters",
        "data-testid=\"drift-table\" data-environment=\"production\"",
        &format!("<td class=\"whitespace-nowrap\">Rollout/{service} in payments</td><td class=\"whitespace-nowrap\">image ({service})</td>"),
        &images.values[1].value,
    ] {
        assert!(html.contains(part), "{part} not in the clusters tab: {html}");
    }

    // The catalog's filter.
    let names = |l: ServiceList| -> Vec<String> { l.items.into_iter().map(|s| s.name).collect() };
    let drifting = names(portal.json("/api/v1/services?drift=yes&limit=1000").await);
    assert!(drifting.contains(&service.to_string()), "{drifting:?}");
    let agreeing = names(portal.json("/api/v1/services?drift=no&limit=1000").await);
    assert!(!agreeing.contains(&service.to_string()), "{agreeing:?}");
    let all = names(portal.json("/api/v1/services?limit=1000").await);
    assert_eq!(drifting.len() + agreeing.len(), all.len());
    let (status, catalog) = portal.text("/?drift=yes").await;
    assert_eq!(status, 200);
    assert!(
        catalog.contains(&format!("/services/{service}\"")),
        "not listed"
    );

    // Someone adds an env var to checkout-api in one cluster: a row names it there, never its value.
    let (checkout, odd) = ("checkout-api", "prod-us-1");
    let deployments = kubesim::resources::by_store("deployments");
    let set_env = |extra: bool| {
        let c = demo
            .sim
            .cluster(odd)
            .unwrap_or_else(|| panic!("{odd}"))
            .clone();
        c.api.store.modify(deployments, "payments", checkout, |d| {
            let env = &mut d["spec"]["template"]["spec"]["containers"][0]["env"];
            let mut vars: Vec<serde_json::Value> = env
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|v| v["name"] != "FEATURE_NEW_CART")
                .collect();
            if extra {
                vars.push(json!({"name": "FEATURE_NEW_CART", "value": "s3cret-flag-value"}));
            }
            *env = json!(vars);
        });
    };
    set_env(true);
    let checkout_url = format!("/api/v1/services/{checkout}");
    let aspect = format!("env names ({checkout})");
    let d: ServiceDetail = until("the env drift row", || async {
        let d: ServiceDetail = portal.json(&checkout_url).await;
        row(&d, &aspect).is_some().then_some(d)
    })
    .await;
    let env = row(&d, &aspect).unwrap_or_else(|| panic!("no env row"));
    let odd_ones: Vec<(&str, &str)> = env
        .values
        .iter()
        .filter(|v| v.odd)
        .map(|v| (v.cluster.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        odd_ones,
        [(odd, "CLUSTER, DATABASE_PASSWORD, FEATURE_NEW_CART")]
    );
    let (_, raw) = portal.text(&checkout_url).await;
    assert!(!raw.contains("s3cret-flag-value"));
    let (_, html) = portal.text(&format!("/services/{checkout}/clusters")).await;
    assert!(html.contains("FEATURE_NEW_CART"));
    assert!(!html.contains("s3cret-flag-value"));
    // A variable's name is no image: no version drift for it.
    assert!(rule_clusters(&d, "version-drift").is_empty());

    // The clusters agree again: the row goes.
    set_env(false);
    until("the env drift row gone", || async {
        let d: ServiceDetail = portal.json(&checkout_url).await;
        row(&d, &aspect).is_none().then_some(())
    })
    .await;
    assert_read_only(&demo.sim);
}
