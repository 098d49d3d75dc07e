//! Services and Ingresses: which of the service's pods a Service selects, which backends an Ingress
//! names, and the rules `service-selects-nothing` and `ingress-backend-missing`. Pure functions of
//! the objects and what the caller looked up.

use super::{Clock, Raw};
use crate::clusters::ingress::{paths, IngressPath};
use crate::clusters::slim::Pod;
use app::model::Severity;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

const SERVICE: &str = "https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-have-any-endpoints";
const INGRESS: &str =
    "https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource";

/// How many pods a Service's selector selects, how many of them are ready, and when the oldest
/// was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selected {
    pub pods: u32,
    pub ready: u32,
    pub oldest: Option<jiff::Timestamp>,
}

/// Pods this young are still starting: a Service whose pods are all this young (a new workload
/// coming up) is not yet "selecting nothing ready".
const STARTING: i64 = 60;

/// Ready: its `Ready` condition is true and it is not being deleted (as endpoints count it).
pub fn is_ready(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && p.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The Service's selector, `None` for one without (its endpoints are kept by hand) and for an
/// `ExternalName` Service (a DNS name, no pods).
pub fn selector(s: &Service) -> Option<&BTreeMap<String, String>> {
    let spec = s.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    spec.selector.as_ref().filter(|m| !m.is_empty())
}

/// Which of `pods` (with their `labels`, same order) the Service selects: those in its namespace
/// carrying every label of its selector. `None` when it has no selector.
pub fn selected(
    s: &Service,
    pods: &[Arc<Pod>],
    labels: &[Arc<BTreeMap<String, String>>],
) -> Option<Selected> {
    let selector = selector(s)?;
    let namespace = s.metadata.namespace.as_deref();
    let mut out = Selected::default();
    for (p, l) in pods.iter().zip(labels) {
        if p.metadata.namespace.as_deref() == namespace
            && selector.iter().all(|(k, v)| l.get(k) == Some(v))
        {
            out.pods += 1;
            out.ready += u32::from(is_ready(p));
            let created = super::ts(&p.metadata.creation_timestamp);
            out.oldest = match (out.oldest, created) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    Some(out)
}

/// `service-selects-nothing`: a Service whose selector matches no ready pod of the service sends
/// its traffic nowhere (once its pods have had [`STARTING`] seconds to become ready).
pub fn service(s: &Service, selected: Option<Selected>, clock: &Clock) -> Option<Raw> {
    let sel = selected?;
    let starting = sel.oldest.is_some_and(|t| clock.within(t, STARTING));
    if sel.ready > 0 || (sel.pods > 0 && starting) {
        return None;
    }
    let name = s.metadata.name.clone().unwrap_or_default();
    let selector = selector(s)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let (message, cause, fix) = if sel.pods == 0 {
        (
            format!("Service {name} selects no pod ({selector})"),
            "No pod of the service in its namespace carries every label of the Service's selector: a typo in the selector or in the pod template's labels, or the workload is scaled to zero.".to_string(),
            "Make the selector match the pod template's labels (or the labels match the selector); the Services and pods on the cluster map show both.".to_string(),
        )
    } else {
        (
            format!("Service {name} selects {} pods, none ready", sel.pods),
            "Every pod its selector matches is failing its readiness probe or not running: the Service has no endpoint to send traffic to.".to_string(),
            "Fix the pods first: their own findings, events and logs (on their pod pages) say why they are not ready.".to_string(),
        )
    };
    Some(Raw {
        message,
        cause,
        fix,
        docs: Some(SERVICE),
        ..Raw::new(
            "service-selects-nothing",
            Severity::Critical,
            "Service",
            &s.metadata,
        )
    })
}

/// `ingress-backend-missing`: paths of an Ingress whose backend Service does not exist (in its
/// namespace) answer 503 or 404 at the load balancer. `existing` holds the Services that do, as
/// `(namespace, name)`.
pub fn ingress(i: &Ingress, existing: &HashSet<(String, String)>) -> Option<Raw> {
    let namespace = i.metadata.namespace.clone().unwrap_or_default();
    let missing: Vec<IngressPath> = paths(i)
        .into_iter()
        .filter(|p| !existing.contains(&(namespace.clone(), p.service.clone())))
        .collect();
    let first = missing.first()?;
    let name = i.metadata.name.clone().unwrap_or_default();
    let listed = missing
        .iter()
        .map(|p| format!("{}{} → {}", p.host, p.path, p.service))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Raw {
        message: format!(
            "Ingress {name} sends {listed} to a Service that does not exist in {namespace}"
        ),
        cause: format!(
            "No Service named {} is in namespace {namespace} of this cluster: it was renamed or deleted, or the Ingress names it wrongly. Requests for {} fail at the load balancer.",
            first.service,
            if missing.len() == 1 { "that path" } else { "those paths" }
        ),
        fix: "Point the path at the Service that serves it (the cluster map lists the service's Services), or create the Service.".into(),
        docs: Some(INGRESS),
        count: u32::try_from(missing.len()).unwrap_or(u32::MAX),
        ..Raw::new(
            "ingress-backend-missing",
            Severity::Critical,
            "Ingress",
            &i.metadata,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn pod(name: &str, ready: bool) -> Arc<Pod> {
        Arc::new(from(serde_json::json!({
            "metadata": {"name": name, "namespace": "shop", "creationTimestamp": "2026-12-05T10:00:00Z"},
            "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}
        })))
    }

    fn labels(app: &str) -> Arc<BTreeMap<String, String>> {
        Arc::new(BTreeMap::from([
            ("app".to_string(), app.to_string()),
            ("pod-template-hash".to_string(), "7d9".to_string()),
        ]))
    }

    fn service(selector: serde_json::Value) -> Service {
        from(serde_json::json!({
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {"selector": selector, "ports": [{"port": 80}]}
        }))
    }

    #[test]
    fn a_service_without_a_ready_pod_is_found() {
        let pods = [
            pod("cart-1", true),
            pod("cart-2", false),
            pod("other", true),
        ];
        let sets = [labels("cart"), labels("cart"), labels("other")];
        let cases = [
            // (selector, selected, fires)
            (serde_json::json!({"app": "cart"}), Some((2, 1)), None),
            (
                serde_json::json!({"app": "crat"}),
                Some((0, 0)),
                Some("Service cart selects no pod (app=crat)"),
            ),
            (
                serde_json::json!({"app": "cart", "pod-template-hash": "7d9"}),
                Some((2, 1)),
                None,
            ),
            // Every label must match.
            (
                serde_json::json!({"app": "cart", "tier": "web"}),
                Some((0, 0)),
                Some("selects no pod"),
            ),
            // No selector: endpoints kept by hand.
            (serde_json::json!({}), None, None),
        ];
        for (selector, want, fires) in cases {
            let s = service(selector.clone());
            let got = selected(&s, &pods, &sets);
            assert_eq!(got.map(|g| (g.pods, g.ready)), want, "{selector}");
            let found = super::service(&s, got, &clock(120));
            assert_eq!(found.is_some(), fires.is_some(), "{selector}");
            if let (Some(f), Some(says)) = (found, fires) {
                assert!(f.message.contains(says), "{}", f.message);
                assert_eq!((f.rule, f.kind), ("service-selects-nothing", "Service"));
            }
        }
        // Pods there but none ready: said so.
        let s = service(serde_json::json!({"app": "cart"}));
        let none_ready = [pod("cart-1", false), pod("cart-2", false)];
        let sel = selected(&s, &none_ready, &[labels("cart"), labels("cart")]);
        let found = super::service(&s, sel, &clock(120));
        assert_eq!(
            found.map(|f| f.message),
            Some("Service cart selects 2 pods, none ready".to_string())
        );
        // …unless they are all still starting.
        assert!(super::service(&s, sel, &clock(30)).is_none());
        // Another namespace's pods are not its.
        let elsewhere: Arc<Pod> = Arc::new(from(
            serde_json::json!({"metadata": {"name": "cart-9", "namespace": "other"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        ));
        assert_eq!(
            selected(&s, &[elsewhere], &[labels("cart")]).map(|g| g.pods),
            Some(0)
        );
        // ExternalName: no pods to select.
        let external: Service = from(
            serde_json::json!({"metadata": {"name": "db", "namespace": "shop"},
            "spec": {"type": "ExternalName", "externalName": "db.example.com", "selector": {"app": "db"}}}),
        );
        assert_eq!(selected(&external, &pods, &labels_for(&pods)), None);
    }

    /// The clock `seconds` after the test pods were created.
    fn clock(seconds: i64) -> Clock {
        let created: jiff::Timestamp = "2026-12-05T10:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        Clock::new(created + jiff::SignedDuration::from_secs(seconds))
    }

    fn labels_for(pods: &[Arc<Pod>]) -> Vec<Arc<BTreeMap<String, String>>> {
        pods.iter().map(|_| labels("cart")).collect()
    }

    #[test]
    fn an_ingress_path_to_a_missing_service_is_found() {
        let i: Ingress = from(serde_json::json!({
            "metadata": {"name": "shop", "namespace": "shop"},
            "spec": {
                "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
                "rules": [{"host": "shop.example.com", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"name": "http"}}}},
                    {"path": "/v2", "pathType": "Prefix", "backend": {"service": {"name": "web-v2", "port": {"number": 8080}}}},
                    {"path": "/static", "pathType": "Prefix", "backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}}
                ]}}]
            }
        }));
        let p = paths(&i);
        assert_eq!(
            p.iter()
                .map(|p| format!("{}{} {}:{}", p.host, p.path, p.service, p.port))
                .collect::<Vec<_>>(),
            [
                "*(default) web:80",
                "shop.example.com/ web:http",
                "shop.example.com/v2 web-v2:8080"
            ]
        );
        let existing = HashSet::from([("shop".to_string(), "web".to_string())]);
        let found = ingress(&i, &existing).unwrap_or_else(|| panic!("no finding"));
        assert_eq!(
            (found.rule, found.kind, found.count),
            ("ingress-backend-missing", "Ingress", 1)
        );
        assert!(
            found.message.contains("shop.example.com/v2 → web-v2"),
            "{}",
            found.message
        );
        // The same name in another namespace is not its backend.
        let elsewhere = HashSet::from([
            ("shop".to_string(), "web".to_string()),
            ("other".to_string(), "web-v2".to_string()),
        ]);
        assert!(ingress(&i, &elsewhere).is_some());
        let all = HashSet::from([
            ("shop".to_string(), "web".to_string()),
            ("shop".to_string(), "web-v2".to_string()),
        ]);
        assert!(ingress(&i, &all).is_none());
    }
}
