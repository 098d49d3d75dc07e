//! Who is calling and what they may do: bearer tokens, client certificates, RBAC rules.

use serde::{Deserialize, Serialize};

/// A rule: these verbs on these resources in these namespaces (`None` = everywhere, cluster scope too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub verbs: Vec<String>,
    /// Plural resource names, `*` for all.
    pub resources: Vec<String>,
    #[serde(default)]
    pub namespaces: Option<Vec<String>>,
    /// Namespaces excluded from an everywhere-rule; with any, cluster-wide access to namespaced
    /// resources is refused too, as it is for a real user who lacks one namespace.
    #[serde(default)]
    pub except_namespaces: Vec<String>,
    /// Resources (or `pods/log`-style subresources) the rule does not grant, though `*` names them.
    #[serde(default)]
    pub except_resources: Vec<String>,
}

impl Rule {
    /// Every verb on every resource everywhere.
    pub fn admin() -> Self {
        Self {
            verbs: vec!["*".into()],
            resources: vec!["*".into()],
            namespaces: None,
            except_namespaces: Vec::new(),
            except_resources: Vec::new(),
        }
    }

    /// Read-only (get/list/watch) on every resource in `namespaces`.
    pub fn read_namespaces(namespaces: &[&str]) -> Self {
        Self {
            verbs: ["get", "list", "watch"].map(String::from).to_vec(),
            resources: vec!["*".into()],
            namespaces: Some(namespaces.iter().map(|s| s.to_string()).collect()),
            except_namespaces: Vec::new(),
            except_resources: Vec::new(),
        }
    }

    fn allows(&self, verb: &str, resource: &str, namespace: Option<&str>) -> bool {
        let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
        let cluster_scoped = crate::resources::RESOURCES
            .iter()
            .any(|r| r.plural == resource && !r.namespaced);
        any(&self.verbs, verb)
            && any(&self.resources, resource)
            && !self.except_resources.iter().any(|x| x == resource)
            && match (&self.namespaces, namespace) {
                (None, _) if self.except_namespaces.is_empty() || cluster_scoped => true,
                (None, Some(ns)) => !self.except_namespaces.iter().any(|e| e == ns),
                (None, None) => false,
                (Some(allowed), Some(ns)) => allowed.iter().any(|a| a == "*" || a == ns),
                (Some(_), None) => false,
            }
    }
}

/// A user of a simulated cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub name: String,
    #[serde(default)]
    pub groups: Vec<String>,
    /// The bearer token that identifies the user.
    pub token: String,
    pub rules: Vec<Rule>,
}

impl User {
    /// True when some rule allows the request; `namespace` None means cluster scope.
    pub fn can(&self, verb: &str, resource: &str, namespace: Option<&str>) -> bool {
        self.rules
            .iter()
            .any(|r| r.allows(verb, resource, namespace))
    }

    /// The namespaces in which the user may `verb` `resource` (None: everywhere).
    pub fn namespaces_for(&self, verb: &str, resource: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for r in &self.rules {
            let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
            if any(&r.verbs, verb)
                && any(&r.resources, resource)
                && !r.except_resources.iter().any(|x| x == resource)
            {
                match &r.namespaces {
                    None if r.except_namespaces.is_empty() => return None,
                    None => out.push("*".to_string()),
                    Some(ns) => out.extend(ns.iter().cloned()),
                }
            }
        }
        Some(out)
    }
}

/// The users every simulated cluster knows: an administrator (kept out of `hidden` namespaces, and
/// from `pods/log` in `no_logs` namespaces) and a namespace-limited viewer.
pub fn default_users(
    viewer_namespaces: &[&str],
    hidden: &[String],
    no_logs: &[String],
) -> Vec<User> {
    let mut admin = vec![Rule {
        except_namespaces: hidden.to_vec(),
        ..Rule::admin()
    }];
    if !no_logs.is_empty() {
        admin[0].except_resources = vec!["pods/log".into()];
        admin.push(Rule {
            verbs: vec!["get".into()],
            resources: vec!["pods/log".into()],
            namespaces: None,
            except_namespaces: hidden.iter().chain(no_logs).cloned().collect(),
            except_resources: Vec::new(),
        });
    }
    vec![
        User {
            name: "kubesim-admin".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
            token: "kubesim-admin-token".into(),
            rules: admin,
        },
        User {
            name: "portal-viewer".into(),
            groups: vec!["portal-viewers".into(), "system:authenticated".into()],
            token: "portal-viewer-token".into(),
            rules: vec![Rule::read_namespaces(viewer_namespaces)],
        },
    ]
}

/// A read-only user: get/list/watch everywhere but `hidden` namespaces, `pods/log` get but in
/// `no_logs` ones, never Secrets unless `secrets` (a role granted more than it needs).
pub fn reader(name: &str, hidden: &[String], no_logs: &[String], secrets: bool) -> User {
    let read = ["get", "list", "watch"].map(String::from).to_vec();
    let mut rules = vec![
        Rule {
            verbs: read.clone(),
            resources: vec!["*".into()],
            namespaces: None,
            except_namespaces: hidden.to_vec(),
            except_resources: vec!["secrets".into(), "pods/log".into()],
        },
        Rule {
            verbs: vec!["get".into()],
            resources: vec!["pods/log".into()],
            namespaces: None,
            except_namespaces: hidden.iter().chain(no_logs).cloned().collect(),
            except_resources: Vec::new(),
        },
    ];
    if secrets {
        rules.push(Rule {
            verbs: read,
            resources: vec!["secrets".into()],
            namespaces: None,
            except_namespaces: Vec::new(),
            except_resources: Vec::new(),
        });
    }
    User {
        name: name.into(),
        groups: vec!["wayfinder-readers".into(), "system:authenticated".into()],
        token: format!("{name}-token"),
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_scope_verbs_resources_and_namespaces() {
        let users = default_users(&["shop"], &[], &[]);
        let (admin, viewer) = (&users[0], &users[1]);
        assert!(admin.can("delete", "pods", None));
        assert!(viewer.can("list", "pods", Some("shop")));
        assert!(!viewer.can("list", "pods", None), "no cluster-wide list");
        assert!(!viewer.can("list", "pods", Some("payments")));
        assert!(!viewer.can("create", "pods", Some("shop")));
        assert_eq!(
            viewer.namespaces_for("list", "pods"),
            Some(vec!["shop".to_string()])
        );
        assert_eq!(admin.namespaces_for("list", "pods"), None);
    }

    #[test]
    fn a_hidden_namespace_takes_away_cluster_wide_lists() {
        let users = default_users(&[], &["secret-team".to_string()], &[]);
        let admin = &users[0];
        assert!(!admin.can("list", "pods", None));
        assert!(!admin.can("list", "pods", Some("secret-team")));
        assert!(admin.can("list", "pods", Some("shop")));
        assert!(
            admin.can("list", "nodes", None),
            "cluster-scoped kinds stay readable"
        );
        assert!(admin.can("list", "namespaces", None));
    }
}
