//! The service timeline through the real `wayfinder` binary over the demo fleet (kubesim, HTTPS):
//! what the watches see is recorded once per change — a deploy made with the real kubectl, the
//! crashes and findings it brings, the finding clearing when it is mended — and read back by
//! range, kind and `?at=`; the history survives a restart (the timeline and the autoscalers'
//! sparklines); two replicas sharing one real PostgreSQL write each event once; the database
//! going away and coming back never stops the pages, and what happened meanwhile is kept.

mod common;

use app::model::{ServiceDetail, Timeline, TimelineEvent};
use common::{until, DemoFleet, Portal, Postgres};

/// recommendations crash-loops in prod-us-2 (the demo's plan, an annotation on its pod template).
const SERVICE: &str = "recommendations";
const CRASHING_IN: &str = "prod-us-2";

fn timeline_url(q: &str) -> String {
    format!("/api/v1/services/{SERVICE}/timeline?{q}")
}

fn of_kind<'a>(t: &'a Timeline, kind: &str) -> Vec<&'a TimelineEvent> {
    t.events.iter().filter(|e| e.kind == kind).collect()
}

/// A new revision of recommendations in `cluster`: a merge patch of its pod template.
async fn deploy(demo: &DemoFleet, cluster: &str, patch: &str) {
    demo.kubectl(&[
        "--context",
        cluster,
        "-n",
        "search",
        "patch",
        "deployment",
        SERVICE,
        "--type=merge",
        "-p",
        patch,
    ])
    .await;
}

#[tokio::test]
async fn changes_are_recorded_once_read_by_range_and_moment_and_survive_a_restart() {
    let demo = DemoFleet::start().await;
    let kubeconfig = demo.kubeconfig.display().to_string();
    let data = common::scratch_dir();
    let data_dir = data.display().to_string();
    // Findings settle in 20 s here (6 minutes by default), so the test sees them clear soon.
    let args = [
        "--kubeconfig",
        &kubeconfig,
        "--data-dir",
        &data_dir,
        "--finding-settle-seconds",
        "20",
    ];
    let portal = Portal::start(&args).await;

    // What the watches saw at start: the crash-loop finding, the crashes, the revisions, the
    // autoscaler's count.
    let first: Timeline = until("the crash-loop recorded", || async {
        let t: Timeline = portal.json(&timeline_url("since=1h")).await;
        (t.events
            .iter()
            .any(|e| e.kind == "finding" && e.rule == "crash-loop")
            && t.events
                .iter()
                .any(|e| e.kind == "crash" && e.cluster == CRASHING_IN)
            && t.events.iter().any(|e| e.kind == "deploy"))
        .then_some(t)
    })
    .await;
    let crash = of_kind(&first, "crash")[0];
    assert_eq!(crash.object.split_once(' ').map(|o| o.0), Some("Pod"));
    assert!(
        crash.summary.contains("crashed: Error, exit code 1"),
        "{}",
        crash.summary
    );
    assert!(first.kept.contains("embedded SQLite"), "{}", first.kept);
    assert!(first.clusters.contains(&CRASHING_IN.to_string()));

    // Mended with kubectl: a new revision without the crash plan. The deploy is recorded with its
    // revision, and the finding clears once the crashing pods are replaced.
    let appeared_by = jiff::Timestamp::now();
    deploy(
        &demo,
        CRASHING_IN,
        r#"{"spec":{"template":{"metadata":{"annotations":{"kubesim.io/fault":null}}}}}"#,
    )
    .await;
    let crash_rules = |e: &&TimelineEvent| {
        (e.rule == "crash-loop" || e.rule == "restarting") && e.cluster == CRASHING_IN
    };
    let mended: Timeline = until("the deploy and the findings cleared", || async {
        let t: Timeline = portal.json(&timeline_url("since=1h")).await;
        let deployed = t.events.iter().any(|e| {
            e.kind == "deploy" && e.cluster == CRASHING_IN && e.summary.starts_with("revision 2")
        });
        let appeared = of_kind(&t, "finding")
            .into_iter()
            .filter(crash_rules)
            .count();
        let cleared = of_kind(&t, "finding-cleared")
            .into_iter()
            .filter(crash_rules)
            .count();
        (deployed && appeared > 0 && cleared == appeared).then_some(t)
    })
    .await;
    let cleared = of_kind(&mended, "finding-cleared")
        .into_iter()
        .filter(crash_rules)
        .map(|e| e.at.clone())
        .max()
        .unwrap_or_default();

    // Filters: one kind, one cluster.
    let deploys: Timeline = portal
        .json(&timeline_url(&format!(
            "since=1h&kind=deploy&cluster={CRASHING_IN}"
        )))
        .await;
    assert!(!deploys.events.is_empty());
    assert!(deploys
        .events
        .iter()
        .all(|e| e.kind == "deploy" && e.cluster == CRASHING_IN));

    // `?at=`: active between appearing and clearing, not after.
    let portal_ref = &portal;
    // (A crash-looping pod is `crash-loop` in back-off and `restarting` while it runs.)
    let at = |t: String| async move {
        let t: Timeline = portal_ref
            .json(&timeline_url(&format!("since=1h&at={t}")))
            .await;
        t.active
            .unwrap_or_default()
            .into_iter()
            .filter(|f| {
                (f.rule == "crash-loop" || f.rule == "restarting") && f.cluster == CRASHING_IN
            })
            .count()
    };
    assert!(
        at(appeared_by.to_string()).await >= 1,
        "active before it was mended"
    );
    let after: jiff::Timestamp = cleared.parse().unwrap_or_default();
    let later = (after + jiff::SignedDuration::from_secs(1)).to_string();
    assert_eq!(at(later).await, 0, "cleared at {cleared}");

    // A question not understood says what and how.
    let (status, body) = portal.text(&timeline_url("since=yesterday")).await;
    assert_eq!(status, 400);
    assert!(body.contains("since=yesterday"), "{body}");
    let (status, body) = portal.text(&timeline_url("kind=explosion")).await;
    assert_eq!(status, 400);
    assert!(body.contains("kind=explosion"), "{body}");
    let (status, _) = portal
        .text("/api/v1/services/no-such-service/timeline")
        .await;
    assert_eq!(status, 404);

    // Restart: the history is still there, each event once; the sparklines reach back beyond it.
    let before: Timeline = portal.json(&timeline_url("since=1h")).await;
    drop(portal);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let restarted_at = jiff::Timestamp::now();
    let portal = Portal::start(&args).await;
    let after: Timeline = until("the history after the restart", || async {
        let t: Timeline = portal.json(&timeline_url("since=1h")).await;
        (t.events.len() >= before.events.len()).then_some(t)
    })
    .await;
    for e in &before.events {
        let same = after
            .events
            .iter()
            .filter(|x| {
                x.kind == e.kind
                    && x.object == e.object
                    && x.at == e.at
                    && x.cluster == e.cluster
                    && x.summary == e.summary
            })
            .count();
        assert_eq!(same, 1, "{e:?} after the restart");
    }
    // Nothing appeared again: a finding still open is not recorded twice.
    let reappeared = after
        .events
        .iter()
        .filter(|e| {
            e.kind == "finding"
                && e.at
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|t| t >= restarted_at)
        })
        .count();
    assert_eq!(reappeared, 0, "{:?}", after.events);
    let d: ServiceDetail = until(
        "the autoscaler's history from before the restart",
        || async {
            let d: ServiceDetail = portal.json("/api/v1/services/checkout-api").await;
            (!d.autoscalers.is_empty()).then_some(d)
        },
    )
    .await;
    let uptime = jiff::Timestamp::now().as_second() - restarted_at.as_second();
    let reaches_back = d.autoscalers.iter().any(|a| {
        a.history
            .first()
            .is_some_and(|p| p.seconds_ago > uptime + 1)
    });
    assert!(
        reaches_back,
        "a sparkline starts before the restart ({uptime} s ago): {:?}",
        d.autoscalers.iter().map(|a| &a.history).collect::<Vec<_>>()
    );

    // The page: the axis with a lane per cluster, the events, the active findings at a moment.
    let (status, html) = portal
        .text(&format!(
            "/services/{SERVICE}/timeline?since=1h&at={}",
            appeared_by
        ))
        .await;
    assert_eq!(status, 200);
    for want in [
        "data-testid=\"timeline-axis\"",
        "data-testid=\"timeline-event\"",
        "data-testid=\"active-finding\" data-rule=\"crash-loop\"",
        "/timeline/events?since=1h&amp;format=html",
    ] {
        assert!(html.contains(want), "{want}");
    }
    common::assert_read_only(&demo.sim);
}

#[tokio::test]
async fn two_replicas_share_one_postgresql_history_and_survive_it_going_away() {
    let pg = Postgres::start();
    let demo = DemoFleet::start().await;
    let kubeconfig = demo.kubeconfig.display().to_string();
    let args = ["--kubeconfig", &kubeconfig, "--database-url", &pg.url];
    let (a, b) = (Portal::start(&args).await, Portal::start(&args).await);
    for p in [&a, &b] {
        until("both replicas recording", || async {
            let t: Timeline = p.json(&timeline_url("since=1h")).await;
            (t.events
                .iter()
                .any(|e| e.kind == "finding" && e.rule == "crash-loop")
                && t.kept.contains("PostgreSQL"))
            .then_some(())
        })
        .await;
    }
    // A deploy both replicas watch happen.
    deploy(
        &demo,
        "prod-eu-1",
        r#"{"spec":{"template":{"metadata":{"annotations":{"example.com/restartedAt":"one"}}}}}"#,
    )
    .await;
    for p in [&a, &b] {
        until("the deploy on both replicas", || async {
            let t: Timeline = p
                .json(&timeline_url("since=1h&kind=deploy&cluster=prod-eu-1"))
                .await;
            t.events
                .iter()
                .any(|e| e.summary.starts_with("revision 2"))
                .then_some(())
        })
        .await;
    }
    // Written once, whichever replica saw it first (both did).
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let db = pg.client().await;
    let twice = db
        .query(
            "SELECT identity, count(*) FROM wayfinder_events GROUP BY identity HAVING count(*) > 1",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let twice: Vec<(String, i64)> = twice.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert!(twice.is_empty(), "written more than once: {twice:?}");
    let total: i64 = db
        .query_one("SELECT count(*) FROM wayfinder_events", &[])
        .await
        .map(|r| r.get(0))
        .unwrap_or_default();
    assert!(total > 10, "{total} events");
    let (ta, tb): (Timeline, Timeline) = (
        a.json(&timeline_url("since=1h")).await,
        b.json(&timeline_url("since=1h")).await,
    );
    assert_eq!(ta.events, tb.events, "both replicas read one history");
    drop(db);

    // The database goes away: pages keep serving, the timeline says since when it is missing.
    pg.stop();
    deploy(
        &demo,
        "prod-eu-1",
        r#"{"spec":{"template":{"metadata":{"annotations":{"example.com/restartedAt":"two"}}}}}"#,
    )
    .await;
    let t: Timeline = until("the history said unavailable", || async {
        let t: Timeline = a.json(&timeline_url("since=1h")).await;
        t.unavailable.is_some().then_some(t)
    })
    .await;
    let said = t.unavailable.unwrap_or_default();
    assert!(said.starts_with("history unavailable since "), "{said}");
    assert!(t.events.is_empty());
    let (_, metrics) = a.text("/metrics").await;
    assert!(
        metrics.contains("wayfinder_history_unavailable 1"),
        "{metrics}"
    );
    let (status, _) = a.text(&format!("/api/v1/services/{SERVICE}")).await;
    assert_eq!(status, 200, "the service page without its database");
    let (status, html) = a.text(&format!("/services/{SERVICE}/timeline")).await;
    assert_eq!(status, 200);
    assert!(html.contains("history-unavailable"), "the page says so");
    let (status, _) = a.text("/").await;
    assert_eq!(status, 200, "the catalog without its database");

    // It comes back: what happened meanwhile was kept and is written (once).
    pg.start_again();
    until("the deploy made while the database was away", || async {
        let t: Timeline = a
            .json(&timeline_url("since=1h&kind=deploy&cluster=prod-eu-1"))
            .await;
        (t.unavailable.is_none() && t.events.iter().any(|e| e.summary.starts_with("revision 3")))
            .then_some(())
    })
    .await;
    let (_, metrics) = a.text("/metrics").await;
    assert!(
        metrics.contains("wayfinder_history_unavailable 0"),
        "{metrics}"
    );
    let db = pg.client().await;
    let twice = db
        .query(
            "SELECT identity FROM wayfinder_events GROUP BY identity HAVING count(*) > 1",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(twice.is_empty(), "{} written twice", twice.len());
}

#[tokio::test]
async fn a_data_directory_that_cannot_be_used_costs_only_the_history() {
    let portal = Portal::start(&[
        "--no-demo",
        "--data-dir",
        "/proc/wayfinder-cannot-write-here",
    ])
    .await;
    let t: Timeline = portal.json("/api/v1/services/checkout-api/timeline").await;
    let said = t.unavailable.unwrap_or_default();
    assert!(said.contains("/proc/wayfinder-cannot-write-here"), "{said}");
    let (status, _) = portal.text("/api/v1/services/checkout-api").await;
    assert_eq!(status, 200);
}
