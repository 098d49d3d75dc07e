//! Configured custom resources through the real `wayfinder` binary over the demo fleet (kubesim,
//! HTTPS), configured as Backstage configures them (`customResources` in `wayfinder.yaml`):
//! cert-manager's Certificates (installed by the demo in all but one cluster; web-shop's cannot be
//! issued in prod-us-2) and a resource created here with the real kubectl (`kubectl create -f`, its
//! status written as its controller would). Objects map to services by their labels, show with
//! their conditions, a False `Ready`/`Available` with a message is a `condition-false` finding
//! that clears when the condition does; a cluster without the CRD says "not installed" and logs
//! nothing about it; where cluster-wide lists are forbidden they are watched per namespace.

mod common;

use app::model::{ClusterDetail, CustomResourceView, ServiceDetail};
use common::{assert_read_only, rule_clusters, until, watched, DemoFleet, Portal};

const WIDGETS: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
    subresources:
      status: {}
"#;

const WIDGET: &str = r#"apiVersion: example.com/v1
kind: Widget
metadata:
  name: checkout-widget
  namespace: payments
  labels: {backstage.io/kubernetes-id: checkout-api}
spec:
  size: 3
"#;

fn find<'a>(d: &'a ServiceDetail, kind: &str, cluster: &str) -> Option<&'a CustomResourceView> {
    d.custom_resources
        .iter()
        .find(|c| c.kind == kind && c.cluster == cluster)
}

#[tokio::test]
async fn custom_resources_show_with_their_conditions_and_a_false_one_is_a_finding() {
    let (shop, failing_in) = kubesim::demo::CERT_FAILING;
    let demo = DemoFleet::start().await;
    // A resource of a kind the demo does not have, created with kubectl before the portal starts
    // (its definition first, as kubectl wants).
    for (file, text) in [("widgets.yaml", WIDGETS), ("widget.yaml", WIDGET)] {
        let fixture = demo.home.path().join(file);
        std::fs::write(&fixture, text).unwrap_or_else(|e| panic!("{e}"));
        let path = fixture.display().to_string();
        demo.kubectl(&["--context", "prod-eu-1", "create", "-f", &path])
            .await;
    }
    let widget_status = |status: &str, message: &str| {
        format!(
            r#"{{"status":{{"conditions":[{{"type":"Available","status":"{status}","reason":"Sized","message":"{message}","lastTransitionTime":"2026-12-05T10:00:00Z"}}]}}}}"#
        )
    };
    // Its controller writes its status.
    let set_status = |status: String| {
        let demo = &demo;
        async move {
            demo.kubectl(&[
                "--context",
                "prod-eu-1",
                "-n",
                "payments",
                "patch",
                "widget",
                "checkout-widget",
                "--subresource=status",
                "--type=merge",
                "-p",
                &status,
            ])
            .await;
        }
    };
    set_status(widget_status(
        "False",
        "the widget pool is exhausted <script>x</script>",
    ))
    .await;

    let config = demo.home.path().join("wayfinder.yaml");
    std::fs::write(
        &config,
        format!(
            "kubeconfig: {}\ncustomResources:\n  - group: cert-manager.io\n    apiVersion: v1\n    plural: certificates\n  - {{group: example.com, apiVersion: v1, plural: widgets}}\n",
            demo.kubeconfig.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // In prod-eu-1 the portal may not list cluster-wide (a namespace is hidden from it): custom
    // resources are watched per readable namespace there, like the typed kinds.
    demo.sim
        .cluster("prod-eu-1")
        .unwrap_or_else(|| panic!("no prod-eu-1"))
        .api
        .forbid_namespaces(vec!["identity".into()]);
    let portal = Portal::start(&["--config", &config.display().to_string()]).await;

    // web-shop's Certificates, one per cluster with cert-manager; prod-us-2's cannot be issued.
    let url = format!("/api/v1/services/{shop}");
    let d: ServiceDetail = until("web-shop's certificates and the finding", || async {
        let d: ServiceDetail = portal.json(&url).await;
        // Every cluster but the one without cert-manager.
        (d.custom_resources.len() == 5 && rule_clusters(&d, "condition-false") == [failing_in])
            .then_some(d)
    })
    .await;
    let cert = find(&d, "Certificate", failing_in).unwrap_or_else(|| panic!("no certificate"));
    assert_eq!(cert.resource, "certificates.cert-manager.io");
    assert_eq!(cert.api_version, "cert-manager.io/v1");
    assert_eq!(cert.name, "web-shop-tls");
    assert_eq!(cert.health, app::model::Health::Failing);
    let kinds: Vec<String> = cert
        .conditions
        .iter()
        .map(|c| format!("{}={}", c.kind, c.status))
        .collect();
    assert_eq!(kinds, ["Ready=False", "Issuing=False"]);
    let ok = find(&d, "Certificate", "prod-eu-1").unwrap_or_else(|| panic!("eu"));
    assert_eq!(ok.health, app::model::Health::Healthy);
    assert!(
        find(&d, "Certificate", kubesim::demo::NO_CERT_MANAGER).is_none(),
        "no cert-manager there"
    );
    let f = d
        .errors
        .iter()
        .find(|f| f.rule == "condition-false")
        .unwrap_or_else(|| panic!("no finding"));
    assert_eq!(f.kind, "Certificate");
    assert_eq!(
        f.message,
        "Certificate web-shop-tls: Ready is False (Failed)"
    );
    assert!(f.cause.contains("rateLimited"), "{}", f.cause);

    // Its YAML, by the resource's id.
    let (status, yaml) = portal
        .text(&format!(
            "/api/v1/services/{shop}/objects/{failing_in}/storefront/certificates.cert-manager.io/web-shop-tls?format=yaml"
        ))
        .await;
    assert_eq!(status, 200, "{yaml}");
    assert!(
        yaml.starts_with("# Certificate storefront/web-shop-tls in cluster prod-us-2"),
        "{yaml}"
    );
    assert!(yaml.contains("apiVersion: cert-manager.io/v1\n"), "{yaml}");
    assert!(yaml.contains("rateLimited"), "{yaml}");

    // The Clusters tab lists them with their conditions.
    let (_, html) = portal.text(&format!("/services/{shop}/clusters")).await;
    let html = html.replace("<!>", "");
    for part in [
        "<h2 id=\"custom-title\"",
        "data-testid=\"custom-resource\" data-kind=\"Certificate\" data-name=\"web-shop-tls\" data-cluster=\"prod-us-2\"",
        "certificates.cert-manager.io/web-shop-tls\" rel=\"external\"",
    ] {
        assert!(html.contains(part), "{part} not in the clusters tab");
    }

    // The cluster without cert-manager: "not installed", no error, nothing logged about it.
    let c: ClusterDetail = portal
        .json(&format!(
            "/api/v1/clusters/{}",
            kubesim::demo::NO_CERT_MANAGER
        ))
        .await;
    let kind = watched(&c, "certificates.cert-manager.io");
    assert_eq!(
        kind.trouble.as_deref(),
        Some("not installed in this cluster")
    );
    let no_cert_manager = kubesim::demo::NO_CERT_MANAGER;
    assert!(
        !portal.log_lines().iter().any(|l| l.contains("certificates")
            && l.contains(no_cert_manager)
            && (l.contains("WARN") || l.contains("ERROR")))
    );

    // The resource created with kubectl maps to checkout-api by its label; its text is escaped.
    let checkout = "/api/v1/services/checkout-api";
    let d: ServiceDetail = until("the widget's finding", || async {
        let d: ServiceDetail = portal.json(checkout).await;
        (rule_clusters(&d, "condition-false") == ["prod-eu-1"]).then_some(d)
    })
    .await;
    let w = find(&d, "Widget", "prod-eu-1").unwrap_or_else(|| panic!("no widget"));
    assert_eq!(w.resource, "widgets.example.com");
    let eu: ClusterDetail = portal.json("/api/v1/clusters/prod-eu-1").await;
    let widgets = watched(&eu, "widgets.example.com");
    assert!(
        widgets.watches > 1 && widgets.objects == 1,
        "watched per namespace: {widgets:?}"
    );
    let (_, html) = portal.text("/services/checkout-api/clusters").await;
    assert!(html.contains("the widget pool is exhausted &lt;script&gt;"));
    assert!(!html.contains("<script>x</script>"));

    // Its controller sets Available True: the finding clears.
    set_status(widget_status("True", "sized")).await;
    until("the widget's finding cleared", || async {
        let d: ServiceDetail = portal.json(checkout).await;
        let healthy = find(&d, "Widget", "prod-eu-1")
            .is_some_and(|w| w.health == app::model::Health::Healthy);
        (healthy && rule_clusters(&d, "condition-false").is_empty()).then_some(())
    })
    .await;
    assert_read_only(&demo.sim);
}
