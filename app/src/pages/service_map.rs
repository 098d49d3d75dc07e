//! The Clusters tab's map: the whole service on one screen. Regions side by side, each cluster a
//! tile with its state and freshness, each workload a line of small squares, one per pod (past
//! [`render::MAX_SQUARES`] the rest rolled up into a count), coloured by health with the failing
//! ones first, its ready/desired count and its autoscaler's place between min and max. A square
//! names its pod and why on hover and on focus (and to screen readers), and opens the pod's page.
//!
//! Made on the server ([`render::html`], its one home) and carried to the tab, first load and live
//! messages alike, as [`crate::model::ServiceDetail::clusters_html`] (with the custom resources, the
//! drift table and the rollout history: [`render::clusters_tab`]): the browser bundle holds none of
//! it, and its styles come with it ([`render::STYLE`]).

/// The map's HTML: every string escaped by the view macro.
#[cfg(feature = "ssr")]
pub mod render {
    use crate::model::{
        encode_component, AutoscalerView, ClusterState, Health, PodView, ServiceCluster,
        WorkloadView,
    };
    use leptos::prelude::*;
    use leptos::tachys::view::RenderHtml;
    use std::collections::BTreeMap;

    /// Squares drawn for one workload in one cluster; the rest are counted.
    pub const MAX_SQUARES: usize = 200;

    /// The map's own rules (only this markup uses them, so the page's stylesheet stays as it is).
    pub const STYLE: &str = ".wf-map-regions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-start}\
.wf-map-region{flex:1 1 18rem;min-width:16rem}\
.wf-tile{border:1px solid rgb(148 163 184/.5);border-radius:.375rem;padding:.25rem .5rem .375rem;margin-bottom:.5rem}\
.wf-tile[data-state=stale],.wf-tile[data-state=unreachable],.wf-tile[data-state=unauthorized]{border:1px dashed #d97706}\
.wf-tile-h{display:flex;flex-wrap:wrap;gap:0 .5rem;align-items:baseline;font-size:.8125rem}\
.wf-wl{display:flex;flex-wrap:wrap;align-items:center;gap:.125rem .5rem;font-size:.75rem;margin-top:.125rem}\
.wf-pods{display:flex;flex-wrap:wrap;gap:2px;list-style:none;margin:0;padding:0}\
.wf-sq{position:relative;display:block;width:.625rem;height:.625rem;border-radius:2px;background:#059669}\
.wf-sq[data-health=progressing],.wf-key[data-health=progressing]{background:#2563eb}\
.wf-sq[data-health=degraded],.wf-key[data-health=degraded]{background:#d97706}\
.wf-sq[data-health=failing],.wf-key[data-health=failing]{background:#e11d48;border-radius:50%}\
.wf-sq[data-health=idle],.wf-key[data-health=idle]{background:#94a3b8}\
.wf-sq:focus,.wf-sq:hover{outline:2px solid #2563eb;outline-offset:1px;z-index:2}\
.wf-sq:focus::after,.wf-sq:hover::after{content:attr(data-tip);position:absolute;left:0;top:.875rem;white-space:nowrap;\
background:#0f172a;color:#f8fafc;padding:.125rem .375rem;border-radius:.25rem;font-size:.75rem;z-index:3}\
.wf-key{display:inline-block;width:.625rem;height:.625rem;border-radius:2px;background:#059669;margin:0 .25rem 0 .5rem;vertical-align:middle}\
.wf-hpa meter{width:4rem;height:.5rem;vertical-align:middle}";

    /// Pods in the order the map shows them: failing, not ready, starting, idle, then healthy.
    fn rank(h: Health) -> u8 {
        match h {
            Health::Failing => 0,
            Health::Degraded => 1,
            Health::Progressing => 2,
            Health::Idle => 3,
            Health::Healthy => 4,
        }
    }

    /// A health in words, for the legend and the counts.
    fn words(h: Health) -> &'static str {
        match h {
            Health::Failing => "failing",
            Health::Degraded => "not ready",
            Health::Progressing => "starting",
            Health::Idle => "idle",
            Health::Healthy => "healthy",
        }
    }

    /// What a square says: the pod and why it is as it is.
    fn tip(p: &PodView) -> String {
        let why = match &p.reason {
            Some(r) => r.clone(),
            None => format!("{}, ready {}", p.phase, p.ready),
        };
        let restarts = if p.restarts > 0 {
            format!(", {} restarts", p.restarts)
        } else {
            String::new()
        };
        format!("{}: {why}{restarts}", p.name)
    }

    fn square(p: &PodView, pods: &str) -> impl IntoView {
        let href = format!(
            "{pods}/{}/{}",
            encode_component(&p.namespace),
            encode_component(&p.name)
        );
        let tip = tip(p);
        // `rel=external`: the pod page is made on the server (a full load).
        view! {
            <li><a class="wf-sq" href=href rel="external" data-testid="map-pod" data-name=p.name.clone()
                data-health=p.health.id() aria-label=tip.clone() data-tip=tip></a></li>
        }
    }

    /// One workload's line (or the pods no listed workload owns): name, counts, autoscaler, squares.
    fn line(
        label: String,
        name: &str,
        ready: Option<(i32, i32)>,
        hpa: Option<&AutoscalerView>,
        mut pods: Vec<&PodView>,
        links: &str,
    ) -> impl IntoView {
        pods.sort_by(|a, b| (rank(a.health), &a.name).cmp(&(rank(b.health), &b.name)));
        let shown: Vec<_> = pods
            .iter()
            .take(MAX_SQUARES)
            .map(|p| square(p, links))
            .collect();
        let mut rest: BTreeMap<u8, (Health, usize)> = BTreeMap::new();
        for p in pods.iter().skip(MAX_SQUARES) {
            rest.entry(rank(p.health)).or_insert((p.health, 0)).1 += 1;
        }
        let more = (!rest.is_empty()).then(|| {
            let counts: Vec<String> = rest
                .values()
                .map(|(h, n)| format!("{n} {}", words(*h)))
                .collect();
            let n: usize = rest.values().map(|(_, n)| n).sum();
            view! { <li class="text-muted" data-testid="map-more">{format!("+{n} more: {}", counts.join(", "))}</li> }
        });
        let hpa = hpa.map(|a| {
            view! {
                <span class="wf-hpa" data-testid="map-hpa">
                    {format!("HPA {} of {}–{} ", a.current, a.min, a.max)}
                    <meter min=a.min max=a.max value=a.current high=a.max - (a.max - a.min) / 10 aria-hidden="true"></meter>
                </span>
            }
        });
        let list_label = format!("Pods of {label}");
        view! {
            <div class="wf-wl" data-testid="map-workload" data-name=name.to_string()>
                <span class="font-medium">{label}</span>
                {ready.map(|(r, d)| view! { <span data-testid="map-ready">{format!("{r}/{d} ready")}</span> })}
                {hpa}
                <ul class="wf-pods" aria-label=list_label>{shown}{more}</ul>
            </div>
        }
    }

    fn freshness(c: &ServiceCluster) -> String {
        match (c.status, c.last_sync.as_deref()) {
            (ClusterState::Synced | ClusterState::Forbidden, _) => "live".into(),
            (ClusterState::Connecting, _) | (_, None) => "no data yet".into(),
            (_, Some(at)) => format!(
                "data from {}",
                at.replacen('T', " ", 1).replace('Z', " UTC")
            ),
        }
    }

    fn tile(service: &str, c: &ServiceCluster, autoscalers: &[AutoscalerView]) -> impl IntoView {
        let links = format!(
            "/services/{}/pods/{}",
            encode_component(service),
            encode_component(&c.cluster)
        );
        let owned = |w: &WorkloadView, p: &PodView| {
            p.owner.as_deref() == Some(format!("{}/{}", w.kind, w.name).as_str())
                && p.namespace == w.namespace
        };
        let mut lines: Vec<_> = c
            .workloads
            .iter()
            .map(|w| {
                let hpa = w.hpa.as_ref().and_then(|h| {
                    autoscalers.iter().find(|a| {
                        a.cluster == c.cluster && a.namespace == w.namespace && &a.name == h
                    })
                });
                let pods: Vec<&PodView> = c.pods.iter().filter(|p| owned(w, p)).collect();
                line(
                    format!("{} {}", w.kind, w.name),
                    &w.name,
                    Some((w.replicas.ready, w.replicas.desired)),
                    hpa,
                    pods,
                    &links,
                )
            })
            .collect();
        let loose: Vec<&PodView> = c
            .pods
            .iter()
            .filter(|p| !c.workloads.iter().any(|w| owned(w, p)))
            .collect();
        if !loose.is_empty() {
            lines.push(line("Other pods".into(), "", None, None, loose, &links));
        }
        let bad = c
            .pods
            .iter()
            .filter(|p| matches!(p.health, Health::Failing | Health::Degraded))
            .count();
        let counts = match bad {
            0 => format!("{} pods", c.pods.len()),
            n => format!("{} pods, {n} not ready", c.pods.len()),
        };
        view! {
            <div class="wf-tile" data-testid="map-cluster" data-cluster=c.cluster.clone() data-state=c.status.id()>
                <div class="wf-tile-h">
                    <a class="link font-medium" href=format!("/clusters/{}", encode_component(&c.cluster)) rel="external">{c.title.clone()}</a>
                    <span data-testid="map-state">{c.status.id()}</span>
                    <span class="text-muted" data-testid="map-freshness">{freshness(c)}</span>
                    <span class="text-muted">{counts}</span>
                </div>
                {lines}
            </div>
        }
    }

    /// Everything the Clusters tab shows that the server makes: the map, then the custom
    /// resources and the drift table.
    pub fn clusters_tab(d: &crate::model::ServiceDetail) -> String {
        html(&d.summary.name, &d.clusters, &d.autoscalers)
            + &crate::pages::custom_resources::html(&d.summary.name, &d.custom_resources)
            + &crate::pages::drift::html(&d.drift, &d.clusters)
            + &rollout_history(&d.rollouts)
    }

    /// Each Deployment's ReplicaSet revisions per cluster: image, time, replicas (collapsed).
    pub fn rollout_history(rollouts: &[crate::model::Rollout]) -> String {
        if rollouts.is_empty() {
            return String::new();
        }
        let rows = rollouts
            .iter()
            .flat_map(|r| {
                r.revisions.iter().enumerate().map(move |(i, rev)| {
                    view! {
                        <tr data-testid="revision" data-cluster=r.cluster.clone() data-deployment=r.deployment.clone()>
                            <td>{(i == 0).then(|| format!("{} / {}", r.cluster, r.deployment))}</td>
                            <td>{rev.revision}</td>
                            <td class="font-mono text-xs">{rev.images.join(", ")}</td>
                            <td class="text-xs">{rev.created.clone().unwrap_or_default()}</td>
                            <td>{rev.replicas}</td>
                        </tr>
                    }
                })
            })
            .collect_view();
        view! {
            <details class="mt-8" data-testid="rollout-history">
                <summary class="cursor-pointer text-lg font-semibold">"Rollout history"</summary>
                <div class="overflow-x-auto">
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">"Cluster / Deployment"</th><th scope="col">"Revision"</th><th scope="col">"Images"</th>
                            <th scope="col">"Created"</th><th scope="col">"Replicas"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        }
        .to_html()
        .replace("<!>", "")
    }

    /// The map of a service's clusters; empty when it runs nowhere (the tab says so itself).
    pub fn html(
        service: &str,
        clusters: &[ServiceCluster],
        autoscalers: &[AutoscalerView],
    ) -> String {
        if clusters.is_empty() {
            return String::new();
        }
        let mut by_region: BTreeMap<&str, Vec<&ServiceCluster>> = BTreeMap::new();
        for c in clusters {
            by_region.entry(c.region.as_str()).or_default().push(c);
        }
        let pods: Vec<&PodView> = clusters.iter().flat_map(|c| &c.pods).collect();
        let count = |h: Health| pods.iter().filter(|p| p.health == h).count();
        let mut totals = format!(
            "{} pods in {} clusters and {} regions",
            pods.len(),
            clusters.len(),
            by_region.len()
        );
        for h in [Health::Failing, Health::Degraded] {
            if count(h) > 0 {
                totals.push_str(&format!(", {} {}", count(h), words(h)));
            }
        }
        let legend = [
            Health::Healthy,
            Health::Progressing,
            Health::Degraded,
            Health::Failing,
            Health::Idle,
        ]
        .map(|h| view! { <span class="wf-key" data-health=h.id()></span>{words(h)} });
        let regions = by_region
            .into_iter()
            .map(|(region, clusters)| {
                view! {
                    <section class="wf-map-region" data-testid="map-region" data-region=region.to_string() aria-label=format!("Region {region}")>
                        <h3 class="text-sm font-semibold">{region.to_string()}</h3>
                        {clusters.into_iter().map(|c| tile(service, c, autoscalers)).collect_view()}
                    </section>
                }
            })
            .collect_view();
        let html = view! {
            <section class="mb-6" data-testid="service-map" aria-labelledby="service-map-h">
                <h2 id="service-map-h" class="text-xl font-semibold">"Map"</h2>
                <p class="mb-2 text-sm text-muted"><span data-testid="map-totals">{totals}</span>" · "{legend}</p>
                <div class="wf-map-regions">{regions}</div>
            </section>
        }
        .to_html()
        .replace("<!>", "");
        format!("<style>{STYLE}</style>{html}")
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::model::Replicas;

        fn pod(name: &str, health: Health, reason: Option<&str>) -> PodView {
            PodView {
                namespace: "shop".into(),
                name: name.into(),
                owner: Some("Deployment/cart".into()),
                phase: "Running".into(),
                ready: "1/1".into(),
                health,
                reason: reason.map(String::from),
                ..Default::default()
            }
        }

        fn cluster(name: &str, region: &str, pods: Vec<PodView>) -> ServiceCluster {
            ServiceCluster {
                cluster: name.into(),
                title: name.into(),
                region: region.into(),
                status: ClusterState::Synced,
                workloads: vec![WorkloadView {
                    kind: "Deployment".into(),
                    namespace: "shop".into(),
                    name: "cart".into(),
                    replicas: Replicas {
                        desired: pods.len() as i32,
                        ready: pods.iter().filter(|p| p.health == Health::Healthy).count() as i32,
                        ..Default::default()
                    },
                    hpa: Some("cart".into()),
                    ..Default::default()
                }],
                pods,
                ..Default::default()
            }
        }

        #[test]
        fn failing_pods_come_first_named_and_escaped_and_many_are_rolled_up() {
            let mut pods: Vec<PodView> = (0..250)
                .map(|i| pod(&format!("cart-{i:03}"), Health::Healthy, None))
                .collect();
            pods.push(pod(
                "cart-zzz",
                Health::Failing,
                Some("CrashLoopBackOff <script>"),
            ));
            let clusters = [
                cluster("prod-eu-1", "eu-west-1", pods),
                cluster(
                    "prod-us-1",
                    "us-east-1",
                    vec![pod("cart-a", Health::Healthy, None)],
                ),
            ];
            let hpa = AutoscalerView {
                cluster: "prod-eu-1".into(),
                namespace: "shop".into(),
                name: "cart".into(),
                min: 2,
                max: 300,
                current: 251,
                ..Default::default()
            };
            let html = html("cart", &clusters, &[hpa]);
            assert!(!html.contains("<script>"), "escaped");
            let first = html.find(r#"data-testid="map-pod""#).unwrap_or(usize::MAX);
            let failing = html.find(r#"data-name="cart-zzz""#).unwrap_or(0);
            assert!(
                failing > first && failing - first < 200,
                "the failing pod is the first square"
            );
            assert!(html.contains("cart-zzz: CrashLoopBackOff &lt;script&gt;"));
            assert_eq!(
                html.matches(r#"data-testid="map-pod""#).count(),
                MAX_SQUARES + 1
            );
            assert!(html.contains("+51 more: 51 healthy"));
            assert!(html.contains("HPA 251 of 2–300"));
            assert!(html.contains("252 pods in 2 clusters and 2 regions, 1 failing"));
            assert!(html.contains(r#"href="/services/cart/pods/prod-eu-1/shop/cart-zzz""#));
            assert_eq!(html.matches(r#"data-testid="map-region""#).count(), 2);
            assert_eq!(super::html("cart", &[], &[]), "");
        }
    }
}
