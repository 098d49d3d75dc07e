//! What an Ingress routes: its paths and the Services they send to, read from the object alone
//! (the cache and the rules both use it).

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend};

/// One path of an Ingress and the Service it sends to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngressPath {
    /// `*` for every host.
    pub host: String,
    /// `(default)` for the default backend.
    pub path: String,
    pub service: String,
    /// The port's number or name.
    pub port: String,
}

fn backend(host: &str, path: &str, b: &IngressBackend) -> Option<IngressPath> {
    let s = b.service.as_ref()?;
    let port = s
        .port
        .as_ref()
        .map_or(String::new(), |p| match (&p.name, p.number) {
            (Some(n), _) => n.clone(),
            (None, Some(n)) => n.to_string(),
            (None, None) => String::new(),
        });
    Some(IngressPath {
        host: host.to_string(),
        path: path.to_string(),
        service: s.name.clone(),
        port,
    })
}

/// Every path of an Ingress that sends to a Service (resource backends are not Services), the
/// default backend first.
pub fn paths(i: &Ingress) -> Vec<IngressPath> {
    let Some(spec) = i.spec.as_ref() else {
        return Vec::new();
    };
    let mut out: Vec<IngressPath> = spec
        .default_backend
        .as_ref()
        .and_then(|b| backend("*", "(default)", b))
        .into_iter()
        .collect();
    for rule in spec.rules.iter().flatten() {
        let host = rule.host.as_deref().unwrap_or("*");
        for p in rule.http.iter().flat_map(|h| &h.paths) {
            out.extend(backend(host, p.path.as_deref().unwrap_or("/"), &p.backend));
        }
    }
    out
}
