//! The real kubectl against kubesim over HTTPS: tables, writes, and a kube-rs watch that sees them.
//! Fails, never skips, where kubectl is not installed (`make test` installs it).

mod common;

use common::{client, eventually, fleet};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::runtime::{reflector, watcher, WatchStreamExt};
use kube::Api;

struct Kubectl {
    dir: tempfile::TempDir,
}

impl Kubectl {
    fn new(fleet: &kubesim::fleet::Fleet) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        fleet
            .write_kubeconfig(&dir.path().join("config"))
            .unwrap_or_else(|e| panic!("{e}"));
        Self { dir }
    }

    /// Runs kubectl with a fresh HOME (its discovery cache is per simulator instance) and returns stdout.
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(kubesim::kubectl());
        cmd.args(args)
            .env("KUBECONFIG", self.dir.path().join("config"))
            .env("HOME", self.dir.path())
            .kill_on_drop(true);
        cmd
    }

    async fn run(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut cmd = self.command(args);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("kubectl: {e}"));
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            use tokio::io::AsyncWriteExt;
            input
                .write_all(text.as_bytes())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let out = child
            .wait_with_output()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

const OBJECTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Pod
metadata:
  name: checkout-7f9c6d5b8-x2x9q
  namespace: shop
  creationTimestamp: "2026-11-25T06:58:12Z"
spec:
  nodeName: node-a1
  containers:
  - name: checkout
    image: registry.example.com/shop/checkout:2.3.1
status:
  phase: Running
  podIP: 10.0.1.77
  conditions:
  - type: Ready
    status: "False"
  containerStatuses:
  - name: checkout
    image: registry.example.com/shop/checkout:2.3.1
    imageID: ""
    ready: false
    restartCount: 12
    state:
      waiting:
        reason: CrashLoopBackOff
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
spec:
  replicas: 10
  selector:
    matchLabels: {app: checkout}
  template:
    metadata:
      labels: {app: checkout}
    spec:
      containers:
      - name: checkout
        image: registry.example.com/shop/checkout:2.3.1
status:
  replicas: 10
  readyReplicas: 9
  updatedReplicas: 10
  availableReplicas: 9
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: checkout
  namespace: shop
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: checkout}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
status:
  currentReplicas: 10
  desiredReplicas: 10
  currentMetrics:
  - type: Resource
    resource: {name: cpu, current: {averageUtilization: 138}}
"#;

#[tokio::test]
async fn kubectl_reads_tables_and_writes_state_a_watch_sees() {
    let fleet = fleet(&["prod-eu-1"]).await;
    let kubectl = Kubectl::new(&fleet);
    let created = kubectl.run(&["create", "-f", "-"], Some(OBJECTS)).await;
    assert!(
        created.contains("pod/checkout-7f9c6d5b8-x2x9q created")
            && created.contains("deployment.apps/checkout created"),
        "{created}"
    );

    let (reader, writer) = reflector::store::<Deployment>();
    let api: Api<Deployment> = Api::all(client(&fleet, "prod-eu-1").await);
    tokio::spawn(async move {
        let stream = watcher(api, watcher::Config::default())
            .default_backoff()
            .reflect(writer);
        let mut stream = std::pin::pin!(stream);
        while stream.next().await.is_some() {}
    });
    reader
        .wait_until_ready()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let pods = kubectl
        .run(&["get", "pods", "-A", "-o", "wide"], None)
        .await;
    let header: Vec<&str> = pods
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED",
            "NODE",
            "READINESS",
            "GATES"
        ],
        "{pods}"
    );
    let row: Vec<&str> = pods
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        &row[..5],
        [
            "shop",
            "checkout-7f9c6d5b8-x2x9q",
            "0/1",
            "CrashLoopBackOff",
            "12"
        ],
        "{pods}"
    );
    assert!(
        row.contains(&"10.0.1.77") && row.contains(&"node-a1"),
        "{pods}"
    );

    let both = kubectl.run(&["get", "deploy,hpa", "-A"], None).await;
    assert!(
        both.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["shop", "deployment.apps/checkout", "9/10", "10", "9", "0s"]
                || (l.contains("deployment.apps/checkout") && l.contains("9/10"))),
        "{both}"
    );
    assert!(
        both.contains("REFERENCE")
            && both.contains("Deployment/checkout")
            && both.contains("cpu: 138%/70%"),
        "{both}"
    );

    kubectl
        .run(
            &[
                "-n",
                "shop",
                "patch",
                "deployment",
                "checkout",
                "--type=merge",
                "-p",
                r#"{"metadata":{"labels":{"team":"payments"}}}"#,
            ],
            None,
        )
        .await;
    eventually("the watch sees the patch", async || {
        reader.state().iter().any(|d| {
            d.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.get("team").is_some_and(|t| t == "payments"))
        })
    })
    .await;
    let mut replaced = kubectl
        .run(
            &["-n", "shop", "get", "deployment", "checkout", "-o", "json"],
            None,
        )
        .await;
    replaced = replaced.replace("\"team\": \"payments\"", "\"team\": \"checkout\"");
    let out = kubectl.run(&["replace", "-f", "-"], Some(&replaced)).await;
    assert!(out.contains("deployment.apps/checkout replaced"), "{out}");
    eventually("the watch sees the replace", async || {
        reader.state().iter().any(|d| {
            d.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.get("team").is_some_and(|t| t == "checkout"))
        })
    })
    .await;
    let scaled = kubectl
        .run(
            &[
                "-n",
                "shop",
                "scale",
                "deployment",
                "checkout",
                "--replicas=4",
            ],
            None,
        )
        .await;
    assert!(scaled.contains("scaled"), "{scaled}");
    eventually("the watch sees the scale", async || {
        reader
            .state()
            .iter()
            .any(|d| d.spec.as_ref().and_then(|s| s.replicas) == Some(4))
    })
    .await;
    let deleted = kubectl
        .run(&["-n", "shop", "delete", "deployment", "checkout"], None)
        .await;
    assert!(deleted.contains("deleted"), "{deleted}");
    eventually("the watch sees the delete", async || {
        reader.state().is_empty()
    })
    .await;

    let version = kubectl.run(&["version", "-o", "json"], None).await;
    assert!(version.contains("\"minor\": \"33\""), "{version}");
}

/// kubectl 1.33 sends the objects its `create` subcommands build as protobuf; kubesim stores what
/// they mean, and kube-rs reads it back typed.
#[tokio::test]
async fn kubectl_create_subcommands_send_protobuf_and_kube_rs_reads_them() {
    use k8s_openapi::api::batch::v1::Job;
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    let fleet = fleet(&["prod-eu-1"]).await;
    let kubectl = Kubectl::new(&fleet);
    let client = client(&fleet, "prod-eu-1").await;
    let out = kubectl
        .run(&["create", "namespace", "payments"], None)
        .await;
    assert!(out.contains("namespace/payments created"), "{out}");
    let ns: Namespace = Api::all(client.clone())
        .get("payments")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(ns.metadata.creation_timestamp.is_some() && ns.metadata.uid.is_some());

    let args = [
        "-n",
        "payments",
        "create",
        "deployment",
        "ledger",
        "--image=registry.example.com/payments/ledger:1.4.0",
        "--replicas=0",
        "--port=8080",
    ];
    let out = kubectl.run(&args, None).await;
    assert!(out.contains("deployment.apps/ledger created"), "{out}");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "payments");
    let made = deployments
        .get("ledger")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let spec = made.spec.unwrap_or_default();
    assert_eq!(
        spec.replicas,
        Some(0),
        "an explicit 0 is kept, not defaulted to 1"
    );
    let container = &spec.template.spec.unwrap_or_default().containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some("registry.example.com/payments/ledger:1.4.0")
    );
    assert_eq!(
        container.ports.as_ref().map(|p| p[0].container_port),
        Some(8080)
    );
    assert_eq!(made.metadata.generation, Some(1));
    assert_eq!(
        made.metadata
            .labels
            .unwrap_or_default()
            .get("app")
            .map(String::as_str),
        Some("ledger")
    );

    for args in [
        &[
            "-n",
            "payments",
            "scale",
            "deployment",
            "ledger",
            "--replicas=3",
        ][..],
        &[
            "-n",
            "payments",
            "annotate",
            "deployment",
            "ledger",
            "team=payments",
        ],
        &[
            "-n",
            "payments",
            "label",
            "deployment",
            "ledger",
            "tier=back",
        ],
        &[
            "-n",
            "payments",
            "create",
            "configmap",
            "ledger",
            "--from-literal=mode=strict",
        ],
        &[
            "-n",
            "payments",
            "create",
            "service",
            "clusterip",
            "ledger",
            "--tcp=80:8080",
        ],
        &[
            "-n",
            "payments",
            "create",
            "job",
            "migrate",
            "--image=busybox",
            "--",
            "echo",
            "hi",
        ],
    ] {
        kubectl.run(args, None).await;
    }
    let made = deployments
        .get("ledger")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(made.spec.and_then(|s| s.replicas), Some(3));
    assert_eq!(
        made.metadata
            .annotations
            .unwrap_or_default()
            .get("team")
            .map(String::as_str),
        Some("payments")
    );
    assert_eq!(
        made.metadata
            .labels
            .unwrap_or_default()
            .get("tier")
            .map(String::as_str),
        Some("back")
    );
    let cm: ConfigMap = Api::namespaced(client.clone(), "payments")
        .get("ledger")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cm.data.unwrap_or_default().get("mode").map(String::as_str),
        Some("strict")
    );
    let svc: Service = Api::namespaced(client.clone(), "payments")
        .get("ledger")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = &svc.spec.unwrap_or_default().ports.unwrap_or_default()[0];
    assert_eq!(
        (port.port, port.target_port.clone()),
        (80, Some(IntOrString::Int(8080)))
    );
    let job: Job = Api::namespaced(client, "payments")
        .get("migrate")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let command = job
        .spec
        .and_then(|s| s.template.spec)
        .map(|s| s.containers[0].command.clone());
    assert_eq!(
        command,
        Some(Some(vec!["echo".to_string(), "hi".to_string()]))
    );
}

const LOG_PODS: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: node-a1
  labels: {topology.kubernetes.io/region: eu-west-1, topology.kubernetes.io/zone: eu-west-1a}
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
  - name: web
    image: registry.example.com/shop/web:2.1.0
---
apiVersion: v1
kind: Pod
metadata:
  name: worker
  namespace: shop
  annotations: {kubesim.io/fault: crash-loop}
spec:
  containers:
  - name: worker
    image: registry.example.com/shop/worker:1.0.3
"#;

/// `kubectl logs`, `--previous`, `--tail` and `-f` read what each pod's fault plan prints.
#[tokio::test]
async fn kubectl_logs_previous_and_follow() {
    use k8s_openapi::api::core::v1::Pod;
    use std::sync::Arc;

    let fleet = Arc::new(fleet(&["prod-eu-1"]).await);
    kubesim::controllers::spawn(fleet.clone());
    let kubectl = Kubectl::new(&fleet);
    kubectl.run(&["create", "-f", "-"], Some(LOG_PODS)).await;
    let pods: Api<Pod> = Api::namespaced(client(&fleet, "prod-eu-1").await, "shop");
    // As the kubelet: "previous" is the container before the newest, so it exists once the
    // crashed container has been restarted.
    eventually("the worker has crashed and restarted", async || {
        pods.get("worker")
            .await
            .ok()
            .and_then(|p| p.status?.container_statuses)
            .is_some_and(|cs| {
                cs[0].restart_count >= 2
                    || (cs[0].restart_count == 1
                        && cs[0].state.as_ref().is_some_and(|s| s.running.is_some()))
            })
    })
    .await;
    let previous = kubectl
        .run(&["-n", "shop", "logs", "worker", "--previous"], None)
        .await;
    assert!(
        previous.starts_with("level=info msg=\"starting worker\" version=1.0.3 pid=1\n"),
        "{previous}"
    );
    assert!(
        previous.contains("java.net.ConnectException: Connection refused"),
        "{previous}"
    );
    assert!(
        previous.ends_with("\tat com.example.worker.Main.main(Main.java:17)\n"),
        "{previous}"
    );

    // The kubelet's Normal events beside the warnings, as `kubectl describe` lists them.
    let describe = kubectl
        .run(&["-n", "shop", "describe", "pod", "worker"], None)
        .await;
    for (kind, reason, says) in [
        (
            "Normal",
            "Scheduled",
            "Successfully assigned shop/worker to ",
        ),
        ("Normal", "Started", "Started container worker"),
        (
            "Warning",
            "BackOff",
            "Back-off restarting failed container worker",
        ),
    ] {
        assert!(
            describe
                .lines()
                .any(|l| l.contains(kind) && l.contains(reason) && l.contains(says)),
            "{kind} {reason} in {describe}"
        );
    }

    eventually("the web pod has served a request", async || {
        kubectl
            .run(&["-n", "shop", "logs", "web"], None)
            .await
            .contains("msg=request")
    })
    .await;
    let tail = kubectl
        .run(
            &["-n", "shop", "logs", "web", "--tail=1", "--timestamps"],
            None,
        )
        .await;
    assert_eq!(tail.lines().count(), 1, "{tail}");
    assert!(
        tail.contains("Z level=info msg=request method=GET"),
        "{tail}"
    );

    // -f: new lines arrive while kubectl waits.
    let mut follow = kubectl
        .command(&["-n", "shop", "logs", "web", "-f", "--tail=0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("kubectl: {e}"));
    let mut out =
        tokio::io::BufReader::new(follow.stdout.take().unwrap_or_else(|| panic!("stdout")));
    let mut line = String::new();
    use tokio::io::AsyncBufReadExt;
    tokio::time::timeout(std::time::Duration::from_secs(10), out.read_line(&mut line))
        .await
        .unwrap_or_else(|_| panic!("no line followed in 10 s"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        line.starts_with("level=info msg=request method=GET"),
        "{line}"
    );
    follow.kill().await.unwrap_or_else(|e| panic!("{e}"));
}

const TOP_PODS: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: node-a1
status:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  containers:
  - name: web
    image: registry.example.com/shop/web:2.1.0
    resources: {requests: {cpu: 200m, memory: 256Mi}, limits: {memory: 512Mi}}
"#;

/// `kubectl top pod` and `kubectl top node` read metrics.k8s.io; without metrics-server kubectl
/// says the Metrics API is not available, as it does against a real cluster.
#[tokio::test]
async fn kubectl_top_reads_pod_and_node_metrics() {
    use std::sync::Arc;

    let fleet = Arc::new(fleet(&["prod-eu-1"]).await);
    kubesim::controllers::spawn(fleet.clone());
    let kubectl = Kubectl::new(&fleet);
    kubectl.run(&["create", "-f", "-"], Some(TOP_PODS)).await;
    eventually("the web pod runs", async || {
        kubectl
            .run(
                &[
                    "-n",
                    "shop",
                    "get",
                    "pod",
                    "web",
                    "-o",
                    "jsonpath={.status.phase}",
                ],
                None,
            )
            .await
            == "Running"
    })
    .await;
    let top = kubectl
        .run(&["-n", "shop", "top", "pod", "web", "--no-headers"], None)
        .await;
    let fields: Vec<&str> = top.split_whitespace().collect();
    assert_eq!(fields.first(), Some(&"web"), "{top}");
    let cpu: u64 = fields[1].trim_end_matches('m').parse().unwrap_or(0);
    let memory: u64 = fields[2].trim_end_matches("Mi").parse().unwrap_or(0);
    // A steady share of the requests: 8–35 % of 200m, 45–75 % of 256 Mi.
    assert!((16..=70).contains(&cpu), "{top}");
    assert!((115..=192).contains(&memory), "{top}");
    let containers = kubectl
        .run(
            &[
                "-n",
                "shop",
                "top",
                "pod",
                "-l",
                "app=web",
                "--containers",
                "--no-headers",
            ],
            None,
        )
        .await;
    assert!(containers.starts_with("web "), "{containers}");
    assert!(containers.contains(&format!("{cpu}m")), "{containers}");

    let node = kubectl.run(&["top", "node", "--no-headers"], None).await;
    assert!(node.starts_with("node-a1 "), "{node}");
    assert!(node.contains('%'), "{node}");

    fleet.clusters[0].api.set_faults(kubesim::api::Faults {
        no_metrics: true,
        ..Default::default()
    });
    let out = kubectl
        .command(&["-n", "shop", "top", "pod"])
        .output()
        .await
        .unwrap_or_else(|e| panic!("kubectl: {e}"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Metrics API not available"), "{stderr}");
}

/// CustomResourceDefinitions make their kinds served, as the apiserver does: discovery, short
/// names, create, get, list, patch, the status subresource and watches, for kubectl and kube-rs.
#[tokio::test]
async fn custom_resources_are_served_once_their_definitions_exist() {
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
    let fleet = fleet(&["prod-eu-1"]).await;
    let kubectl = Kubectl::new(&fleet);
    let client = client(&fleet, "prod-eu-1").await;
    kubectl.run(&["create", "namespace", "shop"], None).await;
    // Before its definition, the kind is unknown.
    let rollouts_api = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"),
        "rollouts",
    );
    let rollouts: Api<DynamicObject> = Api::namespaced_with(client.clone(), "shop", &rollouts_api);
    let before = rollouts.list(&Default::default()).await;
    assert!(
        matches!(&before, Err(kube::Error::Api(s)) if s.code == 404),
        "{before:?}"
    );

    let crds = include_str!("fixtures/crds.yaml");
    let out = kubectl.run(&["create", "-f", "-"], Some(crds)).await;
    assert!(
        out.contains("customresourcedefinition.apiextensions.k8s.io/rollouts.argoproj.io created"),
        "{out}"
    );
    let out = kubectl.run(&["get", "crds"], None).await;
    assert!(
        out.contains("rollouts.argoproj.io") && out.contains("scaledobjects.keda.sh"),
        "{out}"
    );

    // A watch from before the first object sees it come.
    let writer = reflector::store::Writer::<DynamicObject>::new(rollouts_api.clone());
    let reader = writer.as_reader();
    let watch = watcher(rollouts.clone(), watcher::Config::default())
        .reflect(writer)
        .applied_objects()
        .for_each(|_| async {});
    let watching = tokio::spawn(watch);

    let rollout = r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout
  namespace: shop
  labels: {app.kubernetes.io/name: checkout}
spec:
  replicas: 5
  selector: {matchLabels: {app.kubernetes.io/name: checkout}}
  template:
    metadata: {labels: {app.kubernetes.io/name: checkout}}
    spec:
      containers: [{name: checkout, image: "registry.example.com/shop/checkout:2.4.0"}]
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {}}, {setWeight: 40}, {pause: {duration: 10m}}, {setWeight: 80}]
"#;
    let out = kubectl.run(&["create", "-f", "-"], Some(rollout)).await;
    assert!(
        out.contains("rollout.argoproj.io/checkout created"),
        "{out}"
    );
    let out = kubectl.run(&["-n", "shop", "get", "ro"], None).await;
    assert!(out.starts_with("NAME") && out.contains("checkout"), "{out}");
    eventually("the watch sees the rollout", async || {
        reader
            .state()
            .iter()
            .any(|o| o.metadata.name.as_deref() == Some("checkout"))
    })
    .await;

    // The status subresource changes the status, and only it.
    kubectl
        .run(
            &[
                "-n",
                "shop",
                "patch",
                "rollout",
                "checkout",
                "--subresource=status",
                "--type=merge",
                "-p",
                r#"{"status":{"phase":"Paused","currentStepIndex":1,"spec":{"replicas":99}}}"#,
            ],
            None,
        )
        .await;
    let out = kubectl
        .run(
            &[
                "-n",
                "shop",
                "get",
                "rollout",
                "checkout",
                "-o",
                "jsonpath={.status.phase}/{.status.currentStepIndex}/{.spec.replicas}",
            ],
            None,
        )
        .await;
    assert_eq!(out, "Paused/1/5");
    eventually("the watch sees the status", async || {
        reader
            .state()
            .iter()
            .any(|o| o.data["status"]["phase"] == "Paused")
    })
    .await;
    watching.abort();

    // KEDA's short name, and kube-rs reading a ScaledObject.
    let so = r#"
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker, namespace: shop}
spec:
  scaleTargetRef: {name: worker}
  minReplicaCount: 0
  maxReplicaCount: 20
  triggers: [{type: rabbitmq, metadata: {queueName: orders, value: "50"}}]
"#;
    kubectl.run(&["create", "-f", "-"], Some(so)).await;
    let out = kubectl.run(&["-n", "shop", "get", "so"], None).await;
    assert!(out.contains("worker"), "{out}");
    let scaled: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "shop",
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("keda.sh", "v1alpha1", "ScaledObject"),
            "scaledobjects",
        ),
    );
    let worker = scaled.get("worker").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(worker.data["spec"]["maxReplicaCount"], 20);
}
