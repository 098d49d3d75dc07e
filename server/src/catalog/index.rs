//! The loaded catalog: descriptors deduplicated, references resolved, projected into view types.
//!
//! Built whole from a set of descriptors and then read-only, so readers never see half a reload.

use super::descriptor::{Descriptor, Kind};
use super::query;
use super::refs::EntityRef;
use app::model::{
    CatalogProblem, CatalogQuery, EntityLink, KubernetesSelector, ProblemKind, ServiceDetail,
    ServiceList, ServiceSummary, SystemDetail, TeamDetail,
};
use std::collections::{BTreeMap, HashMap};

/// Annotation naming the value of the `backstage.io/kubernetes-id` label on a service's objects.
pub const KUBERNETES_ID: &str = "backstage.io/kubernetes-id";
/// Annotation with a label selector for a service's objects; wins over the id.
pub const KUBERNETES_LABEL_SELECTOR: &str = "backstage.io/kubernetes-label-selector";
/// Annotation limiting a service's objects to one namespace.
pub const KUBERNETES_NAMESPACE: &str = "backstage.io/kubernetes-namespace";

fn selector_of(d: &Descriptor) -> KubernetesSelector {
    let annotation = |k: &str| {
        d.annotations
            .get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    KubernetesSelector {
        id: annotation(KUBERNETES_ID),
        label_selector: annotation(KUBERNETES_LABEL_SELECTOR),
        namespace: annotation(KUBERNETES_NAMESPACE),
    }
}

/// An immutable catalog snapshot.
#[derive(Debug, Default)]
pub struct Catalog {
    entities: Vec<Descriptor>,
    by_key: HashMap<String, usize>,
    /// Components by lower-case name; the `default` namespace wins a clash.
    components: HashMap<String, usize>,
    groups: HashMap<String, usize>,
    systems: HashMap<String, usize>,
    services: Vec<ServiceSummary>,
    problems: Vec<CatalogProblem>,
}

impl Catalog {
    /// Builds a snapshot; duplicates and dangling references become problems.
    pub fn build(descriptors: Vec<Descriptor>, mut problems: Vec<CatalogProblem>) -> Self {
        let mut catalog = Catalog::default();
        for d in descriptors {
            let key = d.key();
            if let Some(&first) = catalog.by_key.get(&key) {
                let first = &catalog.entities[first].location;
                problems.push(CatalogProblem {
                    kind: ProblemKind::DuplicateName,
                    file: d.location.file.clone(),
                    line: d.line_of("metadata.name"),
                    entity: Some(key),
                    message: format!(
                        "{} is already defined at {first}; this definition is ignored",
                        d.key()
                    ),
                });
                continue;
            }
            catalog.by_key.insert(key, catalog.entities.len());
            catalog.entities.push(d);
        }
        for (i, d) in catalog.entities.iter().enumerate() {
            let index = match d.kind {
                Kind::Component => &mut catalog.components,
                Kind::Group => &mut catalog.groups,
                Kind::System => &mut catalog.systems,
                _ => continue,
            };
            let name = d.name.to_ascii_lowercase();
            let replace = index.get(&name).is_none_or(|&j| {
                catalog.entities[j].namespace != "default" && d.namespace == "default"
            });
            if replace {
                index.insert(name, i);
            }
        }
        problems.extend(catalog.dangling_references());
        problems.sort_by(|a, b| (&a.file, a.line, a.kind).cmp(&(&b.file, b.line, b.kind)));
        catalog.problems = problems;
        let mut services: Vec<ServiceSummary> = catalog
            .entities
            .iter()
            .filter(|d| d.kind == Kind::Component)
            .map(|d| catalog.summary(d))
            .collect();
        services.sort_by(|a, b| a.name.cmp(&b.name).then(a.namespace.cmp(&b.namespace)));
        catalog.services = services;
        catalog
    }

    /// Every problem: from the files, duplicates and dangling references.
    pub fn problems(&self) -> &[CatalogProblem] {
        &self.problems
    }

    /// Every service (component), sorted by name.
    pub fn services(&self) -> &[ServiceSummary] {
        &self.services
    }

    /// How many entities loaded, of every kind.
    pub fn entity_count(&self) -> usize {
        self.entities.len()
    }

    /// The catalog table for a query.
    pub fn query(&self, q: &CatalogQuery) -> ServiceList {
        query::list(&self.services, q, self.problems.len())
    }

    /// Each service's name with its Kubernetes annotations, for mapping objects to services.
    pub fn kubernetes_selectors(&self) -> Vec<(String, KubernetesSelector)> {
        self.components
            .values()
            .map(|&i| {
                let d = &self.entities[i];
                (d.name.clone(), selector_of(d))
            })
            .collect()
    }

    /// A service page's data.
    pub fn service(&self, name: &str) -> Option<ServiceDetail> {
        let d = &self.entities[*self.components.get(&name.to_ascii_lowercase())?];
        let refs = |list: &[String], kind: &str| self.links(d, list, kind);
        Some(ServiceDetail {
            links: d.links.clone(),
            labels: d.labels.clone(),
            provides_apis: refs(&d.spec.provides_apis, "api"),
            consumes_apis: refs(&d.spec.consumes_apis, "api"),
            depends_on: refs(&d.spec.depends_on, "component"),
            kubernetes: selector_of(d),
            source: d.location.to_string(),
            ..ServiceDetail::new(self.summary(d))
        })
    }

    /// Who owns `service`, for the access rule: its owning Group with the members' user names and
    /// e-mail addresses (or the owning User alone).
    pub fn owners_of(&self, service: &str) -> Option<crate::access::Owners> {
        let d = &self.entities[*self.components.get(&service.to_ascii_lowercase())?];
        let owner = EntityRef::parse(d.spec.owner.as_deref()?, Some("group"), &d.namespace).ok()?;
        let user_of = |key: &str| self.by_key.get(key).map(|&i| &self.entities[i]);
        if owner.kind.eq_ignore_ascii_case("user") {
            let user = user_of(&owner.key());
            return Some(crate::access::Owners {
                name: owner.name.clone(),
                title: owner.name.clone(),
                users: vec![owner.name.clone()],
                emails: user
                    .and_then(|u| u.spec.profile.email.clone())
                    .into_iter()
                    .collect(),
            });
        }
        let team = self.team(&owner.name)?;
        let mut owners = crate::access::Owners {
            name: team.name.clone(),
            title: team.title.clone(),
            ..Default::default()
        };
        for m in &team.members {
            let user = user_of(&m.entity_ref);
            owners.users.push(user.map_or_else(
                || {
                    m.entity_ref
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                },
                |u| u.name.clone(),
            ));
            owners
                .emails
                .extend(user.and_then(|u| u.spec.profile.email.clone()));
        }
        Some(owners)
    }

    /// A team page's data.
    pub fn team(&self, name: &str) -> Option<TeamDetail> {
        let g = &self.entities[*self.groups.get(&name.to_ascii_lowercase())?];
        let key = g.key();
        let owned_by = |d: &Descriptor| {
            d.spec
                .owner
                .as_deref()
                .and_then(|o| EntityRef::parse(o, Some("group"), &d.namespace).ok())
                .is_some_and(|r| r.key() == key)
        };
        let mut members = self.links(g, &g.spec.members, "user");
        for user in self.entities.iter().filter(|d| d.kind == Kind::User) {
            let member = user.spec.member_of.iter().any(|m| {
                EntityRef::parse(m, Some("group"), &user.namespace).is_ok_and(|r| r.key() == key)
            });
            if member && !members.iter().any(|m| m.entity_ref == user.key()) {
                members.push(self.link_to(&EntityRef {
                    kind: "user".into(),
                    namespace: user.namespace.clone(),
                    name: user.name.clone(),
                }));
            }
        }
        let children_declared = self.links(g, &g.spec.children, "group");
        let mut children = children_declared;
        for child in self.entities.iter().filter(|d| d.kind == Kind::Group) {
            let is_child = child.spec.parent.as_deref().is_some_and(|p| {
                EntityRef::parse(p, Some("group"), &child.namespace).is_ok_and(|r| r.key() == key)
            });
            if is_child && !children.iter().any(|c| c.entity_ref == child.key()) {
                children.push(self.entity_link(child));
            }
        }
        Some(TeamDetail {
            name: g.name.clone(),
            namespace: g.namespace.clone(),
            title: g
                .spec
                .profile
                .display_name
                .clone()
                .or_else(|| g.title.clone())
                .unwrap_or_else(|| g.name.clone()),
            description: g.description.clone().unwrap_or_default(),
            kind: g.spec.kind.clone().unwrap_or_default(),
            profile: g.spec.profile.clone(),
            parent: g
                .spec
                .parent
                .as_deref()
                .and_then(|p| self.link(g, p, "group")),
            children,
            members,
            services: self
                .entities
                .iter()
                .filter(|d| d.kind == Kind::Component && owned_by(d))
                .map(|d| self.summary(d))
                .collect(),
            systems: self
                .entities
                .iter()
                .filter(|d| d.kind == Kind::System && owned_by(d))
                .map(|d| self.entity_link(d))
                .collect(),
            source: g.location.to_string(),
        })
    }

    /// A system page's data.
    pub fn system(&self, name: &str) -> Option<SystemDetail> {
        let s = &self.entities[*self.systems.get(&name.to_ascii_lowercase())?];
        let key = s.key();
        let in_system = |d: &Descriptor| {
            d.spec
                .system
                .as_deref()
                .and_then(|r| EntityRef::parse(r, Some("system"), &d.namespace).ok())
                .is_some_and(|r| r.key() == key)
        };
        Some(SystemDetail {
            name: s.name.clone(),
            namespace: s.namespace.clone(),
            title: s.title.clone().unwrap_or_else(|| s.name.clone()),
            description: s.description.clone().unwrap_or_default(),
            owner: s
                .spec
                .owner
                .as_deref()
                .and_then(|o| self.link(s, o, "group")),
            domain: s
                .spec
                .domain
                .as_deref()
                .and_then(|o| self.link(s, o, "domain")),
            components: self
                .entities
                .iter()
                .filter(|d| d.kind == Kind::Component && in_system(d))
                .map(|d| self.summary(d))
                .collect(),
            apis: self
                .entities
                .iter()
                .filter(|d| d.kind == Kind::Api && in_system(d))
                .map(|d| self.entity_link(d))
                .collect(),
            source: s.location.to_string(),
        })
    }

    fn summary(&self, d: &Descriptor) -> ServiceSummary {
        ServiceSummary {
            name: d.name.clone(),
            namespace: d.namespace.clone(),
            title: d.title.clone().unwrap_or_else(|| d.name.clone()),
            description: d.description.clone().unwrap_or_default(),
            owner: d
                .spec
                .owner
                .as_deref()
                .and_then(|o| self.link(d, o, "group")),
            system: d
                .spec
                .system
                .as_deref()
                .and_then(|s| self.link(d, s, "system")),
            lifecycle: d.spec.lifecycle.clone().unwrap_or_default(),
            kind: d.spec.kind.clone().unwrap_or_default(),
            tags: d.tags.clone(),
            health: Default::default(),
            discovered: false,
            cluster_names: Vec::new(),
            regions: Vec::new(),
        }
    }

    fn link(&self, from: &Descriptor, raw: &str, default_kind: &str) -> Option<EntityLink> {
        EntityRef::parse(raw, Some(default_kind), &from.namespace)
            .ok()
            .map(|r| self.link_to(&r))
    }

    fn links(&self, from: &Descriptor, raws: &[String], default_kind: &str) -> Vec<EntityLink> {
        raws.iter()
            .filter_map(|r| self.link(from, r, default_kind))
            .collect()
    }

    fn entity_link(&self, d: &Descriptor) -> EntityLink {
        self.link_to(&EntityRef {
            kind: d.kind_written.clone(),
            namespace: d.namespace.clone(),
            name: d.name.clone(),
        })
    }

    fn link_to(&self, r: &EntityRef) -> EntityLink {
        let key = r.key();
        let target = self.by_key.get(&key).map(|&i| &self.entities[i]);
        let title = target
            .and_then(|t| {
                t.spec
                    .profile
                    .display_name
                    .clone()
                    .or_else(|| t.title.clone())
            })
            .unwrap_or_else(|| {
                target
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| r.name.clone())
            });
        EntityLink {
            kind: r.kind.to_ascii_lowercase(),
            namespace: target
                .map(|t| t.namespace.clone())
                .unwrap_or_else(|| r.namespace.clone()),
            name: target
                .map(|t| t.name.clone())
                .unwrap_or_else(|| r.name.clone()),
            title,
            exists: target.is_some(),
            entity_ref: key,
        }
    }

    /// Structural references (owner, system, domain, parent, children, memberOf) that point nowhere.
    fn dangling_references(&self) -> Vec<CatalogProblem> {
        let mut problems = Vec::new();
        for d in &self.entities {
            let mut check = |field: &'static str, raw: &str, kind: &str| {
                let problem = |kind, message| CatalogProblem {
                    kind,
                    file: d.location.file.clone(),
                    line: d.line_of(field),
                    entity: Some(d.key()),
                    message,
                };
                match EntityRef::parse(raw, Some(kind), &d.namespace) {
                    Err(e) => {
                        problems.push(problem(ProblemKind::InvalidValue, format!("{field}: {e}")))
                    }
                    Ok(r) if !self.by_key.contains_key(&r.key()) => problems.push(problem(
                        ProblemKind::DanglingReference,
                        format!("{field} refers to {}, which no descriptor defines", r.key()),
                    )),
                    Ok(_) => {}
                }
            };
            let single: [(&'static str, &Option<String>, &str); 4] = [
                ("spec.owner", &d.spec.owner, "group"),
                ("spec.system", &d.spec.system, "system"),
                ("spec.domain", &d.spec.domain, "domain"),
                ("spec.parent", &d.spec.parent, "group"),
            ];
            for (field, value, kind) in single {
                if let Some(raw) = value {
                    check(field, raw, kind);
                }
            }
            let lists: [(&'static str, &Vec<String>, &str); 2] = [
                ("spec.children", &d.spec.children, "group"),
                ("spec.memberOf", &d.spec.member_of, "group"),
            ];
            for (field, values, kind) in lists {
                for raw in values {
                    check(field, raw, kind);
                }
            }
        }
        problems
    }
}

/// Counts of entities by kind, for logs.
pub fn kind_counts(c: &Catalog) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for d in &c.entities {
        *counts
            .entry(d.kind_written.to_ascii_lowercase())
            .or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::descriptor::parse_file;

    fn catalog(files: &[(&str, &str)]) -> Catalog {
        let mut all = Vec::new();
        let mut problems = Vec::new();
        for (file, text) in files {
            let (mut e, mut p) = parse_file(file, text);
            all.append(&mut e);
            problems.append(&mut p);
        }
        Catalog::build(all, problems)
    }

    const TEAMS: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments, description: Money}
spec: {type: team, parent: engineering, profile: {displayName: Payments Team}}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: engineering}
spec: {type: department, children: [payments]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jane}
spec: {memberOf: [payments]}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop, title: Online shop}
spec: {owner: payments}
";

    const SERVICES: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout}
spec: {type: service, lifecycle: production, owner: group:default/Payments, system: shop}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: orphan}
spec:
  type: service
  lifecycle: experimental
  owner: nobody
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout}
spec: {type: website, lifecycle: production, owner: payments}
";

    #[test]
    fn resolves_owners_systems_and_team_membership() {
        let c = catalog(&[("teams.yaml", TEAMS), ("services.yaml", SERVICES)]);
        let checkout = c.service("checkout").unwrap_or_else(|| panic!("checkout"));
        let owner = checkout.summary.owner.unwrap_or_else(|| panic!("owner"));
        assert_eq!(
            (
                owner.entity_ref.as_str(),
                owner.title.as_str(),
                owner.exists
            ),
            ("group:default/payments", "Payments Team", true)
        );
        assert_eq!(
            checkout.summary.system.map(|s| s.title).as_deref(),
            Some("Online shop")
        );
        assert_eq!(checkout.source, "services.yaml:1");

        let team = c.team("PAYMENTS").unwrap_or_else(|| panic!("team"));
        assert_eq!(team.title, "Payments Team");
        assert_eq!(
            team.services
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["checkout"]
        );
        assert_eq!(
            team.members
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>(),
            ["jane"]
        );
        assert_eq!(team.parent.map(|p| p.name).as_deref(), Some("engineering"));
        assert_eq!(team.systems.len(), 1);
        let eng = c
            .team("engineering")
            .unwrap_or_else(|| panic!("engineering"));
        assert_eq!(
            eng.children
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>(),
            ["payments"]
        );

        let shop = c.system("shop").unwrap_or_else(|| panic!("shop"));
        assert_eq!(shop.components.len(), 1);
    }

    #[test]
    fn duplicates_and_dangling_owners_are_problems_with_lines() {
        let c = catalog(&[("teams.yaml", TEAMS), ("services.yaml", SERVICES)]);
        let got: Vec<(ProblemKind, String, usize)> = c
            .problems()
            .iter()
            .map(|p| (p.kind, p.file.clone(), p.line))
            .collect();
        assert_eq!(
            got,
            [
                (ProblemKind::DanglingReference, "services.yaml".into(), 12),
                (ProblemKind::DuplicateName, "services.yaml".into(), 16),
            ]
        );
        assert!(c.problems()[1]
            .message
            .contains("already defined at services.yaml:1"));
        let orphan = c.service("orphan").unwrap_or_else(|| panic!("orphan kept"));
        assert!(
            !orphan
                .summary
                .owner
                .unwrap_or_else(|| panic!("owner"))
                .exists
        );
        assert_eq!(c.services().len(), 2);
    }

    #[test]
    fn unknown_names_are_none() {
        let c = catalog(&[("teams.yaml", TEAMS)]);
        assert!(c.service("nope").is_none());
        assert!(c.team("shop").is_none(), "a system is not a team");
        assert!(c.system("payments").is_none());
    }
}
