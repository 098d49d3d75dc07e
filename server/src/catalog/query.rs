//! Catalog search, filters and sorting: pure functions over service summaries.

use app::model::{CatalogQuery, FacetValue, Facets, ServiceList, ServiceSummary};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The catalog table for a query: the page asked for of the services matching every filter, with
/// the facets of all of them.
pub fn list(services: &[ServiceSummary], q: &CatalogQuery, problem_count: usize) -> ServiceList {
    page_of(services, facets(services), q, problem_count)
}

/// Every service and its facets, worked out once and queried many times ([`Listing::query`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    services: Vec<ServiceSummary>,
    facets: Facets,
}

impl Listing {
    /// Sorted in the catalog's default order, so the usual query sorts a sorted list.
    pub fn new(services: Vec<ServiceSummary>) -> Self {
        let mut keyed: Vec<(String, ServiceSummary)> = services
            .into_iter()
            .map(|s| (s.title.to_lowercase(), s))
            .collect();
        keyed.sort_by(|(ta, a), (tb, b)| ta.cmp(tb).then(a.name.cmp(&b.name)));
        let services: Vec<ServiceSummary> = keyed.into_iter().map(|(_, s)| s).collect();
        let facets = facets(&services);
        Self { services, facets }
    }

    /// The catalog table for a query.
    pub fn query(&self, q: &CatalogQuery, problem_count: usize) -> ServiceList {
        page_of(&self.services, self.facets.clone(), q, problem_count)
    }
}

fn page_of(
    services: &[ServiceSummary],
    facets: Facets,
    q: &CatalogQuery,
    problem_count: usize,
) -> ServiceList {
    let matching = matching(services, q);
    let limit = q.page_size();
    let pages = matching.len().div_ceil(limit).max(1);
    let page = q.page_number().min(pages);
    let items = matching
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(|s| (*s).clone())
        .collect();
    ServiceList {
        items,
        total: services.len(),
        matched: matching.len(),
        page,
        pages,
        limit,
        facets,
        problem_count,
    }
}

/// The services matching every filter, in the requested order.
pub fn filter_and_sort(services: &[ServiceSummary], q: &CatalogQuery) -> Vec<ServiceSummary> {
    matching(services, q).into_iter().cloned().collect()
}

/// [`filter_and_sort`] without copying: each sort key is lowered once, not per comparison.
fn matching<'a>(services: &'a [ServiceSummary], q: &CatalogQuery) -> Vec<&'a ServiceSummary> {
    let terms: Vec<String> = q.q.split_whitespace().map(str::to_lowercase).collect();
    let column = q.sort_column();
    let mut keyed: Vec<(Option<String>, String, &ServiceSummary)> = services
        .iter()
        .filter(|s| matches_filters(s, q) && terms.iter().all(|t| matches_text(s, t)))
        .map(|s| {
            let primary = match column {
                "owner" => sort_key(&s.owner),
                "system" => sort_key(&s.system),
                "lifecycle" => non_empty(&s.lifecycle),
                "type" => non_empty(&s.kind),
                _ => None,
            };
            (primary, s.title.to_lowercase(), s)
        })
        .collect();
    keyed.sort_by(|(pa, ta, a), (pb, tb, b)| {
        let primary = if column == "name" {
            Ordering::Equal
        } else {
            cmp_opt(pa.as_deref(), pb.as_deref(), q.descending())
        };
        let by_name = ta.cmp(tb).then(a.name.cmp(&b.name));
        let by_name = if q.descending() && column == "name" {
            by_name.reverse()
        } else {
            by_name
        };
        primary.then(by_name)
    });
    keyed.into_iter().map(|(_, _, s)| s).collect()
}

fn sort_key(link: &Option<app::model::EntityLink>) -> Option<String> {
    link.as_ref().map(|l| l.title.to_lowercase())
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_lowercase())
}

/// Present values first in the requested direction, missing ones last either way.
fn cmp_opt(a: Option<&str>, b: Option<&str>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) if descending => b.cmp(a),
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn eq(filter: &str, value: &str) -> bool {
    filter.trim().is_empty() || filter.trim().eq_ignore_ascii_case(value)
}

fn matches_filters(s: &ServiceSummary, q: &CatalogQuery) -> bool {
    let name_of =
        |l: &Option<app::model::EntityLink>| l.as_ref().map(|l| l.name.clone()).unwrap_or_default();
    eq(&q.owner, &name_of(&s.owner))
        && eq(&q.system, &name_of(&s.system))
        && eq(&q.lifecycle, &s.lifecycle)
        && eq(&q.kind, &s.kind)
        && (q.tag.trim().is_empty() || s.tags.iter().any(|t| t.eq_ignore_ascii_case(q.tag.trim())))
        && (q.cluster.trim().is_empty() || s.cluster_names.iter().any(|c| c == q.cluster.trim()))
        && (q.region.trim().is_empty() || s.regions.iter().any(|r| r == q.region.trim()))
        && eq(&q.origin, origin(s))
        && (q.health.trim().is_empty() || health_tags(s).contains(&q.health.trim()))
        && match q.drift.trim() {
            "yes" => s.health.drift,
            "no" => !s.health.drift,
            _ => true,
        }
}

/// `errors` when a finding is critical or an error, `scaling` when an autoscaler is at or near max,
/// `drift` when its clusters differ (the same as `drift=yes`).
fn health_tags(s: &ServiceSummary) -> Vec<&'static str> {
    use app::model::{ScaleStatus, Severity};
    let mut out = Vec::new();
    if matches!(s.health.worst, Some(Severity::Critical | Severity::Error)) {
        out.push("errors");
    }
    if matches!(
        s.health.scaling,
        Some(ScaleStatus::AtMax | ScaleStatus::NearMax)
    ) {
        out.push("scaling");
    }
    if s.health.drift {
        out.push("drift");
    }
    out
}

/// `catalog` or `discovered`: whether a descriptor defines the service.
fn origin(s: &ServiceSummary) -> &'static str {
    if s.discovered {
        "discovered"
    } else {
        "catalog"
    }
}

fn matches_text(s: &ServiceSummary, term: &str) -> bool {
    let link = |l: &Option<app::model::EntityLink>| {
        l.as_ref().is_some_and(|l| {
            l.name.to_lowercase().contains(term) || l.title.to_lowercase().contains(term)
        })
    };
    s.name.to_lowercase().contains(term)
        || s.title.to_lowercase().contains(term)
        || s.description.to_lowercase().contains(term)
        || link(&s.owner)
        || link(&s.system)
        || s.tags.iter().any(|t| t.to_lowercase().contains(term))
}

/// Each filter's values with how many services carry them, sorted by value.
pub fn facets(services: &[ServiceSummary]) -> Facets {
    fn count<'a>(values: impl Iterator<Item = &'a str>) -> Vec<FacetValue> {
        let mut map: BTreeMap<&str, usize> = BTreeMap::new();
        for v in values.filter(|v| !v.is_empty()) {
            *map.entry(v).or_insert(0) += 1;
        }
        map.into_iter()
            .map(|(value, count)| FacetValue {
                value: value.to_string(),
                count,
            })
            .collect()
    }
    Facets {
        owners: count(
            services
                .iter()
                .filter_map(|s| s.owner.as_ref().map(|o| o.name.as_str())),
        ),
        systems: count(
            services
                .iter()
                .filter_map(|s| s.system.as_ref().map(|o| o.name.as_str())),
        ),
        lifecycles: count(services.iter().map(|s| s.lifecycle.as_str())),
        types: count(services.iter().map(|s| s.kind.as_str())),
        tags: count(
            services
                .iter()
                .flat_map(|s| s.tags.iter().map(String::as_str)),
        ),
        clusters: count(
            services
                .iter()
                .flat_map(|s| s.cluster_names.iter().map(String::as_str)),
        ),
        regions: count(
            services
                .iter()
                .flat_map(|s| s.regions.iter().map(String::as_str)),
        ),
        origins: count(services.iter().map(origin)),
        health: count(services.iter().flat_map(health_tags)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::EntityLink;

    fn link(kind: &str, name: &str) -> Option<EntityLink> {
        Some(EntityLink {
            entity_ref: format!("{kind}:default/{name}"),
            kind: kind.into(),
            namespace: "default".into(),
            name: name.into(),
            title: name.to_uppercase(),
            exists: true,
        })
    }

    fn svc(
        name: &str,
        owner: &str,
        system: Option<&str>,
        lifecycle: &str,
        kind: &str,
        tags: &[&str],
    ) -> ServiceSummary {
        ServiceSummary {
            name: name.into(),
            namespace: "default".into(),
            title: name.into(),
            description: format!("The {name} service"),
            owner: link("group", owner),
            system: system.and_then(|s| link("system", s)),
            lifecycle: lifecycle.into(),
            kind: kind.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            health: Default::default(),
            discovered: false,
            cluster_names: Vec::new(),
            regions: Vec::new(),
        }
    }

    #[test]
    fn cluster_region_and_origin_filters() {
        let mut all = fleet();
        all[0].cluster_names = vec!["prod-eu-1".into(), "prod-us-1".into()];
        all[0].regions = vec!["eu-west-1".into(), "us-east-1".into()];
        all[1].cluster_names = vec!["prod-us-1".into()];
        all[1].regions = vec!["us-east-1".into()];
        let mut found = svc("debug-toolbox", "", None, "", "", &[]);
        found.owner = None;
        found.discovered = true;
        found.cluster_names = vec!["prod-us-1".into()];
        found.regions = vec!["us-east-1".into()];
        all.push(found);
        let names = |q: CatalogQuery| -> Vec<String> {
            filter_and_sort(&all, &q)
                .into_iter()
                .map(|s| s.name)
                .collect()
        };
        let q = |cluster: &str, region: &str, origin: &str| CatalogQuery {
            cluster: cluster.into(),
            region: region.into(),
            origin: origin.into(),
            ..Default::default()
        };
        assert_eq!(names(q("prod-eu-1", "", "")), vec!["checkout"]);
        assert_eq!(
            names(q("", "us-east-1", "")),
            vec!["checkout", "debug-toolbox", "ledger"]
        );
        assert_eq!(names(q("", "", "discovered")), vec!["debug-toolbox"]);
        assert_eq!(
            names(q("prod-us-1", "", "catalog")),
            vec!["checkout", "ledger"]
        );
        let f = facets(&all);
        assert_eq!(
            f.clusters
                .iter()
                .map(|v| (v.value.as_str(), v.count))
                .collect::<Vec<_>>(),
            vec![("prod-eu-1", 1), ("prod-us-1", 3)]
        );
        assert_eq!(f.origins.len(), 2);
    }

    fn fleet() -> Vec<ServiceSummary> {
        vec![
            svc(
                "checkout",
                "payments",
                Some("shop"),
                "production",
                "service",
                &["java"],
            ),
            svc(
                "ledger",
                "payments",
                Some("finance"),
                "production",
                "service",
                &["go"],
            ),
            svc(
                "storefront",
                "web",
                Some("shop"),
                "experimental",
                "website",
                &["react"],
            ),
            svc("batch", "data", None, "deprecated", "service", &["java"]),
        ]
    }

    fn names(q: CatalogQuery) -> Vec<String> {
        filter_and_sort(&fleet(), &q)
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    #[test]
    fn filters_narrow_the_list() {
        let cases: Vec<(CatalogQuery, Vec<&str>)> = vec![
            (
                CatalogQuery::default(),
                vec!["batch", "checkout", "ledger", "storefront"],
            ),
            (
                CatalogQuery {
                    owner: "payments".into(),
                    ..Default::default()
                },
                vec!["checkout", "ledger"],
            ),
            (
                CatalogQuery {
                    owner: "PAYMENTS".into(),
                    system: "shop".into(),
                    ..Default::default()
                },
                vec!["checkout"],
            ),
            (
                CatalogQuery {
                    lifecycle: "experimental".into(),
                    ..Default::default()
                },
                vec!["storefront"],
            ),
            (
                CatalogQuery {
                    kind: "service".into(),
                    tag: "java".into(),
                    ..Default::default()
                },
                vec!["batch", "checkout"],
            ),
            (
                CatalogQuery {
                    q: "shop".into(),
                    ..Default::default()
                },
                vec!["checkout", "storefront"],
            ),
            (
                CatalogQuery {
                    q: "Pay  java".into(),
                    ..Default::default()
                },
                vec!["checkout"],
            ),
            (
                CatalogQuery {
                    q: "the ledger service".into(),
                    ..Default::default()
                },
                vec!["ledger"],
            ),
            (
                CatalogQuery {
                    q: "nothing-like-this".into(),
                    ..Default::default()
                },
                vec![],
            ),
        ];
        for (q, want) in cases {
            assert_eq!(names(q.clone()), want, "{q:?}");
        }
    }

    #[test]
    fn drift_filter_and_facet() {
        let mut all = fleet();
        all[1].health.drift = true;
        let names = |drift: &str, health: &str| -> Vec<String> {
            let q = CatalogQuery {
                drift: drift.into(),
                health: health.into(),
                ..Default::default()
            };
            filter_and_sort(&all, &q)
                .into_iter()
                .map(|s| s.name)
                .collect()
        };
        let drifting = vec![all[1].name.clone()];
        assert_eq!(names("yes", ""), drifting);
        assert_eq!(names("", "drift"), drifting);
        assert_eq!(names("no", "").len(), all.len() - 1);
        assert!(!names("no", "").contains(&all[1].name));
        assert_eq!(names("", "").len(), all.len());
        assert!(facets(&all)
            .health
            .iter()
            .any(|f| f.value == "drift" && f.count == 1));
    }

    #[test]
    fn sorts_by_each_column_both_ways() {
        let by = |sort: &str, dir: &str| {
            names(CatalogQuery {
                sort: sort.into(),
                dir: dir.into(),
                ..Default::default()
            })
        };
        assert_eq!(
            by("", "desc"),
            ["storefront", "ledger", "checkout", "batch"]
        );
        assert_eq!(
            by("owner", ""),
            ["batch", "checkout", "ledger", "storefront"]
        );
        assert_eq!(
            by("owner", "desc"),
            ["storefront", "checkout", "ledger", "batch"]
        );
        assert_eq!(
            by("system", ""),
            ["ledger", "checkout", "storefront", "batch"],
            "no system sorts last"
        );
        assert_eq!(
            by("system", "desc"),
            ["checkout", "storefront", "ledger", "batch"]
        );
        assert_eq!(
            by("lifecycle", ""),
            ["batch", "storefront", "checkout", "ledger"]
        );
        assert_eq!(
            by("type", "desc"),
            ["storefront", "batch", "checkout", "ledger"]
        );
        assert_eq!(by("bogus", ""), by("name", ""));
    }

    #[test]
    fn facets_count_each_value() {
        let f = facets(&fleet());
        let pairs = |v: &[FacetValue]| {
            v.iter()
                .map(|f| (f.value.clone(), f.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pairs(&f.owners),
            [
                ("data".into(), 1),
                ("payments".into(), 2),
                ("web".into(), 1)
            ]
        );
        assert_eq!(
            pairs(&f.systems),
            [("finance".into(), 1), ("shop".into(), 2)]
        );
        assert_eq!(pairs(&f.tags)[1], ("java".into(), 2));
    }
}
