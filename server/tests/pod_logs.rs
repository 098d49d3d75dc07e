//! Pod logs through the real `wayfinder` binary, reading the demo fleet (kubesim) over HTTPS with
//! the same kubeconfig the real kubectl uses: byte for byte what `kubectl logs` prints, the bounds
//! (lines, 2 MiB, 20 at once per cluster), only the service's pods, the RBAC refusal, who may read,
//! and follow streams that end when the client leaves.

mod common;

use app::model::ServiceDetail;
use common::{until, Portal};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use std::time::Duration;

use common::DemoFleet;

async fn setup() -> DemoFleet {
    DemoFleet::start().await
}

/// What the pod log tests do with the demo fleet.
trait Logs {
    async fn portal(&self, args: &[&str]) -> Portal;
    async fn client(&self, cluster: &str) -> kube::Client;
}

impl Logs for DemoFleet {
    async fn portal(&self, args: &[&str]) -> Portal {
        let path = self.kubeconfig.display().to_string();
        let mut all = vec!["--kubeconfig", path.as_str()];
        all.extend_from_slice(args);
        Portal::start(&all).await
    }

    async fn client(&self, cluster: &str) -> kube::Client {
        let kubeconfig = kube::config::Kubeconfig::from_yaml(&self.sim.kubeconfig())
            .unwrap_or_else(|e| panic!("{e}"));
        let options = kube::config::KubeConfigOptions {
            context: Some(cluster.into()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        kube::Client::try_from(config).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A pod of `service` in `cluster` that `pick` accepts, once the portal lists one.
async fn pod_of(
    portal: &Portal,
    service: &str,
    cluster: &str,
    pick: impl Fn(&app::model::PodView) -> bool,
) -> (String, String) {
    pod_as(portal, service, cluster, &[], pick).await
}

/// [`pod_of`], asking with `headers`.
async fn pod_as(
    portal: &Portal,
    service: &str,
    cluster: &str,
    headers: &[(&str, &str)],
    pick: impl Fn(&app::model::PodView) -> bool,
) -> (String, String) {
    until(&format!("a pod of {service} in {cluster}"), || async {
        let (status, body) = portal
            .text_with(&format!("/api/v1/services/{service}"), headers)
            .await;
        let detail: ServiceDetail = (status == 200)
            .then(|| serde_json::from_str(&body).ok())
            .flatten()?;
        let c = detail.clusters.into_iter().find(|c| c.cluster == cluster)?;
        c.pods
            .into_iter()
            .find(|p| pick(p))
            .map(|p| (p.namespace, p.name))
    })
    .await
}

fn log_path(service: &str, cluster: &str, (ns, pod): &(String, String), query: &str) -> String {
    format!("/api/v1/services/{service}/pods/{cluster}/{ns}/{pod}/log{query}")
}

#[tokio::test]
async fn logs_are_what_kubectl_prints_within_bounds() {
    let setup = setup().await;
    let portal = setup.portal(&[]).await;

    // A crash-looping pod's previous container, byte for byte.
    let crashing = pod_of(&portal, "recommendations", "prod-us-2", |p| p.restarts >= 2).await;
    let (status, previous) = portal
        .text(&log_path(
            "recommendations",
            "prod-us-2",
            &crashing,
            "?previous=true",
        ))
        .await;
    assert_eq!(status, 200, "{previous}");
    assert!(previous.contains("java.net.ConnectException"), "{previous}");
    let by_kubectl = setup
        .kubectl(&[
            "--context",
            "prod-us-2",
            "-n",
            &crashing.0,
            "logs",
            &crashing.1,
            "--previous",
        ])
        .await;
    assert_eq!(previous.as_bytes(), by_kubectl.as_slice());

    // A healthy pod's last lines (it writes one every 2 s, so a slow kubectl may read a later
    // moment): the 3 lines kubectl prints are, byte for byte, among the 40 we serve just after,
    // and tailLines=3 gives 3 lines.
    let healthy = pod_of(&portal, "checkout-api", "prod-eu-1", |p| {
        p.restarts == 0 && p.phase == "Running"
    })
    .await;
    let theirs = setup
        .kubectl(&[
            "--context",
            "prod-eu-1",
            "-n",
            &healthy.0,
            "logs",
            &healthy.1,
            "--tail=3",
        ])
        .await;
    let theirs = String::from_utf8_lossy(&theirs).into_owned();
    assert_eq!(theirs.lines().count(), 3, "{theirs}");
    let (_, ours) = portal
        .text(&log_path(
            "checkout-api",
            "prod-eu-1",
            &healthy,
            "?tailLines=40",
        ))
        .await;
    assert!(ours.contains(&theirs), "kubectl: {theirs}\nours: {ours}");
    let (_, three) = portal
        .text(&log_path(
            "checkout-api",
            "prod-eu-1",
            &healthy,
            "?tailLines=3",
        ))
        .await;
    assert_eq!(three.lines().count(), 3, "{three}");

    // Only the service's pods, only known clusters, the apiserver's own refusals passed on.
    let (status, body) = portal
        .text(&log_path("recommendations", "prod-eu-1", &healthy, ""))
        .await;
    assert_eq!(status, 404, "a pod of another service: {body}");
    assert!(body.contains("no pod"), "{body}");
    let (status, _) = portal
        .text(&log_path("checkout-api", "nowhere", &healthy, ""))
        .await;
    assert_eq!(status, 404);
    let (status, body) = portal
        .text(&log_path(
            "checkout-api",
            "prod-eu-1",
            &healthy,
            "?container=nope",
        ))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("container nope is not valid"), "{body}");

    // Where the identity lacks pods/log, the page can say so and which rule would allow it.
    let (cluster, namespace) = kubesim::demo::NO_LOGS;
    let refused = pod_of(&portal, "checkout-api", cluster, |p| {
        p.namespace == namespace
    })
    .await;
    let (status, body) = portal
        .text(&log_path("checkout-api", cluster, &refused, ""))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains(&format!(
            "Wayfinder may not read logs in namespace {namespace} of cluster {cluster}"
        )) && body.contains("pods/log"),
        "{body}"
    );

    // A log over 2 MiB is cut, with a note; tailLines past 5,000 is clamped, not refused.
    let pods: Api<Pod> = Api::namespaced(setup.client("prod-eu-1").await, &healthy.0);
    let mut flood: Pod = pods.get(&healthy.1).await.unwrap_or_else(|e| panic!("{e}"));
    flood.metadata = kube::api::ObjectMeta {
        name: Some("checkout-api-debug-dump".into()),
        labels: flood.metadata.labels.clone(),
        annotations: Some([("kubesim.io/log".to_string(), "flood".to_string())].into()),
        ..Default::default()
    };
    flood.status = None;
    pods.create(&PostParams::default(), &flood)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let dump = (healthy.0.clone(), "checkout-api-debug-dump".to_string());
    pod_of(&portal, "checkout-api", "prod-eu-1", |p| {
        p.name == dump.1 && p.phase == "Running"
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (status, body) = portal
        .text(&log_path(
            "checkout-api",
            "prod-eu-1",
            &dump,
            "?tailLines=100000",
        ))
        .await;
    assert_eq!(status, 200);
    let note = "\n[wayfinder: cut at 2 MiB; ask for fewer lines with tailLines]\n";
    assert!(
        body.ends_with(note),
        "{}",
        &body[body.len().saturating_sub(200)..]
    );
    assert_eq!(body.len(), 2 * 1024 * 1024 + note.len());

    // At most 20 reads at once per cluster: 20 follow streams hold every slot…
    let path = log_path("checkout-api", "prod-eu-1", &healthy, "/events?tailLines=1");
    let mut streams = Vec::new();
    for _ in 0..20 {
        let (status, response) = portal.get(&path).await;
        assert_eq!(status, 200);
        streams.push(response);
    }
    let (status, body) = portal
        .text(&log_path("checkout-api", "prod-eu-1", &healthy, ""))
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("already has 20 log reads open"), "{body}");
    // …a stream carries the lines as they are written…
    let mut first = streams.remove(0).into_body();
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        use http_body_util::BodyExt;
        while let Some(Ok(frame)) = first.frame().await {
            if let Ok(data) = frame.into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
            if seen.matches("event: line").count() >= 2 {
                break;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no lines followed: {seen}"));
    assert!(
        seen.contains("data: level=info msg=request method=GET"),
        "{seen}"
    );
    // …and leaving gives the slots back (no task left behind).
    drop(first);
    drop(streams);
    common::eventually(
        "the slots are free again",
        Duration::from_secs(10),
        || async {
            portal
                .text(&log_path("checkout-api", "prod-eu-1", &healthy, ""))
                .await
                .0
                == 200
        },
    )
    .await;

    let audit: Vec<String> = portal
        .log_lines()
        .into_iter()
        .filter(|l| l.contains("wayfinder::audit"))
        .collect();
    assert!(
        audit
            .iter()
            .any(|l| l.contains(&crashing.1) && l.contains("previous=true")),
        "{audit:#?}"
    );
}

#[tokio::test]
async fn only_the_owning_team_reads_logs_behind_an_auth_proxy() {
    let setup = setup().await;
    let portal = setup
        .portal(&[
            "--identity-header",
            "X-Forwarded-Email",
            "--groups-header",
            "X-Forwarded-Groups",
            "--admin-group",
            "platform-admins",
        ])
        .await;
    let signed_in = [("x-forwarded-email", "bob@example.com")];
    let pod = pod_as(&portal, "checkout-api", "prod-eu-1", &signed_in, |p| {
        p.phase == "Running"
    })
    .await;
    let path = log_path("checkout-api", "prod-eu-1", &pod, "?tailLines=5");
    let as_ = |email: &'static str, groups: &'static str| {
        [("x-forwarded-email", email), ("x-forwarded-groups", groups)]
    };
    let (status, body) = portal
        .text_with(&path, &as_("bob@example.com", "design"))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("Only members of Payments may read these logs."),
        "{body}"
    );
    for (who, groups, why) in [
        ("amara.okafor@example.com", "", "a member by e-mail"),
        ("bob@example.com", "design, payments", "the team's group"),
        ("bob@example.com", "platform-admins", "the admin group"),
    ] {
        let (status, body) = portal.text_with(&path, &as_(who, groups)).await;
        assert_eq!(status, 200, "{why}: {body}");
    }
    // Object YAML follows the same rule.
    let object = format!(
        "/api/v1/services/checkout-api/objects/prod-eu-1/{}/pods/{}?format=yaml",
        pod.0, pod.1
    );
    let (status, body) = portal
        .text_with(&object, &as_("bob@example.com", "design"))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("Only members of Payments may read this object."),
        "{body}"
    );
    let (status, body) = portal
        .text_with(&object, &as_("amara.okafor@example.com", ""))
        .await;
    assert_eq!(status, 200, "{body}");
    // And so does the object's page: a plain sentence for a non-member, the YAML for a member.
    let page = format!(
        "/services/checkout-api/objects/prod-eu-1/{}/Pod/{}",
        pod.0, pod.1
    );
    let (status, html) = portal
        .text_with(&page, &as_("bob@example.com", "design"))
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Only members of Payments may read this object.")
            && !html.contains("data-testid=\"object-yaml\""),
        "{html}"
    );
    let (status, html) = portal
        .text_with(&page, &as_("amara.okafor@example.com", ""))
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("data-testid=\"object-yaml\"") && html.contains("kind: Pod"),
        "{html}"
    );
    let audit = portal.log_lines();
    assert!(
        audit.iter().any(|l| l.contains("wayfinder::audit")
            && l.contains("bob@example.com")
            && l.contains("refused")),
        "{audit:#?}"
    );
    assert!(
        audit.iter().any(|l| l.contains("read-object")
            && l.contains("amara.okafor@example.com")
            && l.contains(&pod.1)),
        "{audit:#?}"
    );
}

#[tokio::test]
async fn logs_false_turns_a_clusters_logs_off() {
    let setup = setup().await;
    let config = setup.home.path().join("wayfinder.yaml");
    std::fs::write(
        &config,
        format!(
            "kubeconfig: {}\nclusters:\n  - name: prod-eu-1\n    context: prod-eu-1\n    logs: false\n  - name: prod-us-1\n    context: prod-us-1\n",
            setup.kubeconfig.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let portal = Portal::start(&["--config", &config.display().to_string()]).await;
    for (cluster, expect) in [("prod-eu-1", 403), ("prod-us-1", 200)] {
        let pod = pod_of(&portal, "checkout-api", cluster, |p| p.phase == "Running").await;
        let (status, body) = portal
            .text(&log_path("checkout-api", cluster, &pod, ""))
            .await;
        assert_eq!(status, expect, "{cluster}: {body}");
        if expect == 403 {
            assert!(
                body.contains("logs are turned off for cluster prod-eu-1"),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn a_pod_of_the_service_with_everything_needed_to_troubleshoot_it() {
    let setup = setup().await;
    let portal = setup.portal(&[]).await;
    let crashing = pod_of(&portal, "recommendations", "prod-us-2", |p| p.restarts >= 1).await;
    let path = format!(
        "/api/v1/services/recommendations/pods/prod-us-2/{}/{}",
        crashing.0, crashing.1
    );
    // Between two crashes the container runs for a moment (then it is "restarting", not a loop).
    let pod: app::model::PodDetail = until("the crash-loop finding", || async {
        let pod: app::model::PodDetail = portal.json(&path).await;
        pod.findings
            .iter()
            .any(|f| f.rule == "crash-loop")
            .then_some(pod)
    })
    .await;
    assert_eq!(pod.phase, "Running");
    assert!(pod.node.is_some() && pod.pod_ip.is_some(), "{pod:?}");
    assert_eq!(
        pod.owners
            .iter()
            .map(|o| o.kind.as_str())
            .collect::<Vec<_>>(),
        ["Deployment", "ReplicaSet"]
    );
    assert_eq!(pod.owners[0].name, "recommendations");
    assert!(pod
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "False"));
    let c = &pod.containers[0];
    assert!(c.restarts >= 1, "{c:?}");
    let last = c.last_termination.clone().unwrap_or_default();
    assert_eq!(
        (last.exit_code, last.reason.as_deref()),
        (Some(1), Some("Error"))
    );
    assert!(c.limits.contains_key("memory"), "{c:?}");
    let probe = c.probes.iter().find(|p| p.kind == "readiness");
    assert_eq!(
        probe.map(|p| (p.action.as_str(), p.period_seconds, p.failure_threshold)),
        Some(("HTTP GET /healthz on port 8080", 10, 3))
    );
    assert!(
        pod.findings.iter().any(|f| f.rule == "crash-loop"),
        "{:?}",
        pod.findings
    );
    // All its events, read from the cluster for the answer: the kubelet's Normal ones too.
    assert_eq!(
        (pod.events_scope.as_str(), &pod.events_error),
        ("all", &None)
    );
    for (type_, reason) in [
        ("Warning", "BackOff"),
        ("Normal", "Scheduled"),
        ("Normal", "Started"),
    ] {
        assert!(
            pod.events
                .iter()
                .any(|e| e.reason == reason && e.type_ == type_),
            "{type_} {reason} in {:?}",
            pod.events
        );
    }
    assert!(
        pod.events
            .windows(2)
            .all(|w| w[0].last_seen >= w[1].last_seen),
        "newest first: {:?}",
        pod.events
    );
    // Another service's pod, or an unknown one, is not found.
    let (status, _) = portal
        .text(&format!(
            "/api/v1/services/checkout-api/pods/prod-us-2/{}/{}",
            crashing.0, crashing.1
        ))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_services_objects_read_as_cached_json_and_yaml_without_secrets() {
    use k8s_openapi::api::apps::v1::Deployment;
    let setup = setup().await;
    let portal = setup.portal(&[]).await;
    let (namespace, _) = pod_of(&portal, "checkout-api", "prod-eu-1", |p| {
        p.phase == "Running"
    })
    .await;
    // A Deployment of the service whose container has an env value, a command and arguments.
    let deployments: Api<Deployment> = Api::namespaced(setup.client("prod-eu-1").await, &namespace);
    let mut canary = deployments
        .get("checkout-api")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    canary.metadata = kube::api::ObjectMeta {
        name: Some("checkout-api-canary".into()),
        labels: canary.metadata.labels.clone(),
        ..Default::default()
    };
    canary.status = None;
    if let Some(spec) = canary.spec.as_mut() {
        spec.replicas = Some(0);
        let c = spec
            .template
            .spec
            .as_mut()
            .map(|s| &mut s.containers[0])
            .unwrap_or_else(|| panic!("no pod spec"));
        c.env = Some(vec![k8s_openapi::api::core::v1::EnvVar {
            name: "DB_PASSWORD".into(),
            value: Some("hunter2-in-env".into()),
            ..Default::default()
        }]);
        c.command = Some(vec!["/bin/checkout".into()]);
        c.args = Some(vec!["--token=hunter2-in-args".into()]);
    }
    deployments
        .create(&PostParams::default(), &canary)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let base = format!("/api/v1/services/checkout-api/objects/prod-eu-1/{namespace}");
    let yaml = until("the canary as YAML", || async {
        let (status, body) = portal
            .text(&format!(
                "{base}/deployments/checkout-api-canary?format=yaml"
            ))
            .await;
        (status == 200).then_some(body)
    })
    .await;
    assert!(
        yaml.starts_with(&format!(
            "# Deployment {namespace}/checkout-api-canary in cluster prod-eu-1, as Wayfinder's cache holds it"
        )),
        "{yaml}"
    );
    assert!(
        yaml.contains("\napiVersion: apps/v1\nkind: Deployment\n"),
        "{yaml}"
    );
    assert!(yaml.contains("image: "), "{yaml}");
    assert!(yaml.contains("replicas: 0"), "{yaml}");
    for never in ["hunter2", "managedFields:", "/bin/checkout"] {
        assert!(!yaml.contains(never), "{never} in {yaml}");
    }
    // An env var's name is kept (the drift table compares them), never its value.
    assert!(yaml.contains("- name: DB_PASSWORD\n"), "{yaml}");
    // The same YAML on the object's page, escaped, with its copy button and download.
    let page = format!(
        "/services/checkout-api/objects/prod-eu-1/{namespace}/Deployment/checkout-api-canary"
    );
    let (status, html) = portal.text(&page).await;
    assert_eq!(status, 200, "{html}");
    for part in [
        "<title>checkout-api-canary · Wayfinder</title>",
        ">Deployment checkout-api-canary</h1>",
        "data-copy=\"object-yaml\"",
        "<pre id=\"object-yaml\"",
        "apiVersion: apps/v1\nkind: Deployment\n",
        "?format=yaml\" download=\"checkout-api-canary.yaml\"",
    ] {
        assert!(html.contains(part), "{part} not in {html}");
    }
    for never in ["hunter2", "/bin/checkout"] {
        assert!(!html.contains(never), "{never} in {html}");
    }
    let (status, html) = portal
        .text(&format!(
            "/services/search-api/objects/prod-eu-1/{namespace}/Deployment/checkout-api-canary"
        ))
        .await;
    assert_eq!(status, 404, "{html}");
    assert!(
        html.contains("No object of that kind and name belongs to this service"),
        "{html}"
    );

    // JSON by default; every kind a service has, as the map lists it.
    let pod: serde_json::Value = portal
        .json(&format!(
            "{base}/Pod/{}",
            pod_of(&portal, "checkout-api", "prod-eu-1", |p| p.phase
                == "Running")
            .await
            .1
        ))
        .await;
    assert_eq!(pod["kind"], "Pod");
    assert_eq!(pod["apiVersion"], "v1");
    assert!(pod["spec"]["containers"][0]["image"].is_string(), "{pod}");

    // Not the service's, an unknown kind, a bad format: clear errors.
    for (path, status, says) in [
        (format!("{base}/deployments/nope"), 404, "no Deployment"),
        (format!("{base}/secrets/x"), 404, "kind “secrets” is not one a service has"),
        (
            format!("{base}/deployments/checkout-api-canary?format=xml"),
            400,
            "format “xml” is not known",
        ),
        (
            format!("/api/v1/services/search-api/objects/prod-eu-1/{namespace}/deployments/checkout-api-canary"),
            404,
            "of service “search-api”",
        ),
    ] {
        let (got, body) = portal.text(&path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body.contains(says), "{path}: {body}");
    }
}

#[tokio::test]
async fn the_pod_page_is_rendered_by_the_server_with_its_log() {
    let setup = setup().await;
    let portal = setup.portal(&[]).await;
    let crashing = pod_of(&portal, "recommendations", "prod-us-2", |p| p.restarts >= 1).await;
    let page = format!(
        "/services/recommendations/pods/prod-us-2/{}/{}",
        crashing.0, crashing.1
    );
    let (status, html) = portal.text(&page).await;
    assert_eq!(status, 200, "{html}");
    for part in [
        "data-testid=\"pod-title\"",
        "data-testid=\"container\"",
        "exit code 1",
        "data-reason=\"Scheduled\"",
        "Deployment recommendations → ReplicaSet recommendations-",
        "data-testid=\"log-controls\"",
    ] {
        assert!(html.contains(part), "{part} not in {html}");
    }
    // A container the pod does not have is said, and the first one shown.
    let (status, html) = portal.text(&format!("{page}?container=nope")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("This pod has no container “nope”: recommendations is shown."),
        "{html}"
    );
    // The previous run's log, searched (any case): the matches marked (once the first crashed
    // run is over, the apiserver has a previous log).
    until("the previous log, searched", || async {
        let (status, html) = portal
            .text(&format!("{page}?previous=true&q=connectexception"))
            .await;
        assert_eq!(status, 200);
        html.contains("java.net.<mark>ConnectException</mark>: Connection refused")
            .then_some(())
    })
    .await;
    // The page's live stream: the pod as JSON (the API's answer) or as the page's markup.
    let api = format!("/api/v1{page}/events");
    let mut json = portal.sse::<app::model::PodDetail>(&api, "pod").await;
    let first = tokio::time::timeout(Duration::from_secs(15), json.recv())
        .await
        .ok()
        .flatten()
        .expect("a pod message");
    assert_eq!(first.name, crashing.1);
    let (status, response) = portal.get(&format!("{api}?format=html")).await;
    assert_eq!(status, 200);
    let mut body = response.into_body();
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(15), async {
        use http_body_util::BodyExt;
        while !seen.contains("data-testid=\"pod-facts\"") {
            match body.frame().await {
                Some(Ok(frame)) => seen.push_str(&String::from_utf8_lossy(
                    &frame.into_data().unwrap_or_default(),
                )),
                _ => break,
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no markup: {seen}"));
    assert!(seen.starts_with("event: pod\n"), "{seen}");
    let (status, body) = portal.text(&format!("{api}?format=xml")).await;
    assert_eq!(status, 400, "{body}");

    // Another service's pod, or none: not found.
    let (status, html) = portal
        .text(&format!(
            "/services/checkout-api/pods/prod-us-2/{}/{}",
            crashing.0, crashing.1
        ))
        .await;
    assert_eq!(status, 404, "{html}");
    assert!(
        html.contains("No pod of that name belongs to this service"),
        "{html}"
    );
}
