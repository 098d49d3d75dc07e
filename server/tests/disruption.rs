//! PodDisruptionBudgets through the real `wayfinder` binary over the demo fleet (kubesim, HTTPS):
//! each shows with the workload it covers, with the counts the real `kubectl` reads; the demo's
//! budget that allows no eviction is found (`pdb-blocks-disruption`) where it is; a fix made with
//! kubectl clears it there, and a budget made with `kubectl create pdb` (sent as protobuf) is found.

mod common;

use app::model::{ServiceCluster, ServiceDetail, WorkloadView};
use common::{rule_clusters, until, DemoFleet, Portal};

fn workload<'a>(d: &'a ServiceDetail, cluster: &str, name: &str) -> Option<&'a WorkloadView> {
    d.clusters
        .iter()
        .find(|c: &&ServiceCluster| c.cluster == cluster)?
        .workloads
        .iter()
        .find(|w| w.name == name)
}

#[tokio::test]
async fn budgets_show_with_their_workloads_and_a_blocking_one_is_found() {
    let demo = DemoFleet::start().await;
    let path = demo.kubeconfig.display().to_string();
    let portal = Portal::start(&["--kubeconfig", &path]).await;

    // ledger's budget (maxUnavailable 0) blocks every eviction wherever ledger runs.
    let d: ServiceDetail = until(
        "pdb-blocks-disruption on ledger in four clusters",
        || async {
            let d: ServiceDetail = portal.json("/api/v1/services/ledger").await;
            (rule_clusters(&d, "pdb-blocks-disruption").len() == 4).then_some(d)
        },
    )
    .await;
    assert_eq!(
        rule_clusters(&d, "pdb-blocks-disruption"),
        ["prod-ap-1", "prod-eu-1", "prod-us-1", "staging-eu-1"]
    );
    let f = d
        .errors
        .iter()
        .find(|f| f.rule == "pdb-blocks-disruption")
        .unwrap_or_else(|| panic!("found above"));
    assert_eq!(
        (f.kind.as_str(), f.name.as_str(), f.namespace.as_str()),
        ("PodDisruptionBudget", "ledger", "payments")
    );
    assert!(
        f.message
            .contains("allows no disruption with all 3 pods healthy (maxUnavailable 0)"),
        "{}",
        f.message
    );
    assert!(!f.fix.contains("kubectl"), "{}", f.fix);
    let ledger = workload(&d, "prod-eu-1", "ledger")
        .and_then(|w| w.pdb.clone())
        .unwrap_or_else(|| panic!("ledger's budget is not on the map"));
    assert_eq!(
        (ledger.name.as_str(), ledger.terms.as_str(), ledger.allowed),
        ("ledger", "maxUnavailable 0", 0)
    );
    assert_eq!((ledger.healthy, ledger.desired, ledger.expected), (3, 3, 3));
    assert!(ledger.blocks);
    // The counts are the ones kubectl reads.
    let kubectl = demo
        .kubectl(&[
            "--context",
            "prod-eu-1",
            "-n",
            "payments",
            "get",
            "pdb",
            "ledger",
            "-o",
            "jsonpath={.status.disruptionsAllowed}/{.status.currentHealthy}/{.status.desiredHealthy}/{.status.expectedPods}",
        ])
        .await;
    assert_eq!(String::from_utf8_lossy(&kubectl), "0/3/3/3");
    let table = demo
        .kubectl(&["--context", "prod-eu-1", "-n", "payments", "get", "pdb"])
        .await;
    let table = String::from_utf8_lossy(&table);
    assert!(
        table.starts_with("NAME")
            && table.contains("MIN AVAILABLE")
            && table.contains("ALLOWED DISRUPTIONS"),
        "{table}"
    );

    // checkout-api's budget (minAvailable 50%) lets pods go: shown, not a finding.
    let d: ServiceDetail = until("checkout-api's budget with disruptions allowed", || async {
        let d: ServiceDetail = portal.json("/api/v1/services/checkout-api").await;
        let pdb = workload(&d, "prod-us-2", "checkout-api")?.pdb.clone()?;
        (pdb.allowed > 0).then_some(d)
    })
    .await;
    let pdb = workload(&d, "prod-us-2", "checkout-api")
        .and_then(|w| w.pdb.clone())
        .unwrap_or_default();
    assert_eq!(pdb.terms, "minAvailable 50%");
    assert!(!pdb.blocks);
    assert!(workload(&d, "prod-us-2", "checkout-api").is_some_and(|w| w.kind == "Deployment"));

    // The fix, made with kubectl in prod-eu-1: one pod may go at a time.
    demo.kubectl(&[
        "--context",
        "prod-eu-1",
        "-n",
        "payments",
        "patch",
        "pdb",
        "ledger",
        "--type=merge",
        "-p",
        r#"{"spec":{"maxUnavailable":1}}"#,
    ])
    .await;
    let d: ServiceDetail = until("ledger's finding cleared in prod-eu-1", || async {
        let d: ServiceDetail = portal.json("/api/v1/services/ledger").await;
        (rule_clusters(&d, "pdb-blocks-disruption") == ["prod-ap-1", "prod-us-1", "staging-eu-1"])
            .then_some(d)
    })
    .await;
    let fixed = workload(&d, "prod-eu-1", "ledger")
        .and_then(|w| w.pdb.clone())
        .unwrap_or_default();
    assert_eq!(
        (fixed.terms.as_str(), fixed.allowed),
        ("maxUnavailable 1", 1)
    );

    // A budget made with `kubectl create pdb` (protobuf on the wire), labelled as the service's.
    let ns = ["--context", "prod-eu-1", "-n", "payments"];
    demo.kubectl(
        &[
            &ns[..],
            &[
                "create",
                "pdb",
                "invoice-renderer",
                "--selector=app.kubernetes.io/name=invoice-renderer",
                "--min-available=100%",
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
                "pdb",
                "invoice-renderer",
                "backstage.io/kubernetes-id=invoice-renderer",
            ],
        ]
        .concat(),
    )
    .await;
    let d: ServiceDetail = until("invoice-renderer's new budget found", || async {
        let d: ServiceDetail = portal.json("/api/v1/services/invoice-renderer").await;
        (rule_clusters(&d, "pdb-blocks-disruption") == ["prod-eu-1"]).then_some(d)
    })
    .await;
    let made = workload(&d, "prod-eu-1", "invoice-renderer")
        .and_then(|w| w.pdb.clone())
        .unwrap_or_default();
    assert_eq!(
        (made.terms.as_str(), made.expected, made.allowed),
        ("minAvailable 100%", 2, 0)
    );
    // Its YAML opens from the map, as cached.
    let (status, yaml) = portal
        .text("/api/v1/services/invoice-renderer/objects/prod-eu-1/payments/PodDisruptionBudget/invoice-renderer?format=yaml")
        .await;
    assert_eq!(status, 200, "{yaml}");
    assert!(
        yaml.contains("kind: PodDisruptionBudget") && yaml.contains("minAvailable: 100%"),
        "{yaml}"
    );
}
