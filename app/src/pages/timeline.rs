//! `/services/:name/timeline`: what happened to a service and its clusters on one time axis —
//! deploys, scale changes, crashes, OOM kills, evictions, failed Jobs, findings appearing and
//! clearing, the clusters' status changes — from an hour to two weeks, the range in the address so
//! a bookmark keeps it, and `?at=` for the findings active at a moment. Made whole on the server
//! by [`render`] (its one home) from `GET /api/v1/services/{name}/timeline`'s answer and shown by
//! [`super::made::MadePage`]; its events part is replaced live by the stream
//! `…/timeline/events?format=html`. The filters are a plain GET form: every choice is an address.

/// The server's HTML of the timeline page: every string escaped by the view macro.
#[cfg(feature = "ssr")]
pub mod render {
    use crate::api::valid_name;
    use crate::error::{AppError, Entity};
    use crate::model::{encode_component, Timeline, TimelineEvent, TimelineQuery, TIMELINE_KINDS};
    use leptos::prelude::*;
    use leptos::tachys::view::RenderHtml;

    /// The hydration marker tachys writes between text nodes: this markup is never hydrated.
    const MARKER: &str = "<!>";

    /// The zoom levels offered, as spans back from now.
    const SPANS: [(&str, &str); 5] = [
        ("1h", "1 hour"),
        ("6h", "6 hours"),
        ("24h", "24 hours"),
        ("7d", "7 days"),
        ("14d", "14 days"),
    ];

    /// A kind's words and its marker's colour.
    fn kind_words(kind: &str) -> (&'static str, &'static str) {
        match kind {
            "deploy" => ("Deploy", "#2563eb"),
            "scale" => ("Scale", "#7c3aed"),
            "crash" => ("Crash", "#e11d48"),
            "oom-kill" => ("OOM kill", "#9f1239"),
            "eviction" => ("Eviction", "#d97706"),
            "job-failed" => ("Job failed", "#ea580c"),
            "finding" => ("Finding", "#f43f5e"),
            "finding-cleared" => ("Cleared", "#059669"),
            "cluster" => ("Cluster", "#475569"),
            _ => ("Event", "#64748b"),
        }
    }

    /// The query as an address, with some of it changed.
    fn address(name: &str, q: &TimelineQuery) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("since", &q.since),
            ("until", &q.until),
            ("cluster", &q.cluster),
            ("kind", &q.kind),
            ("at", &q.at),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", encode_component(v)));
            }
        }
        let base = format!("/services/{}/timeline", encode_component(name));
        if parts.is_empty() {
            base
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }

    fn millis(t: &str) -> i64 {
        t.parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or_default()
    }

    /// `2026-12-06 21:04:05 UTC`.
    fn shown(t: &str) -> String {
        t.parse::<jiff::Timestamp>()
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|_| t.to_string())
    }

    /// The axis: one lane for all clusters and one per cluster, each event a focusable marker
    /// placed by its time (the newest of close ones on top), linking to its row.
    fn axis(t: &Timeline) -> impl IntoView {
        let (since, until) = (millis(&t.since), millis(&t.until));
        let span = (until - since).max(1) as f64;
        let place = move |at: &str| ((millis(at) - since) as f64 / span * 100.0).clamp(0.0, 100.0);
        let ticks: Vec<(f64, String)> = (0..=4)
            .map(|i| {
                let at = since + (until - since) * i / 4;
                let label = jiff::Timestamp::from_millisecond(at)
                    .map(|t| {
                        if until - since > 2 * 86_400_000 {
                            t.strftime("%b %d %H:%M").to_string()
                        } else {
                            t.strftime("%H:%M").to_string()
                        }
                    })
                    .unwrap_or_default();
                (i as f64 * 25.0, label)
            })
            .collect();
        let lanes: Vec<(String, Option<String>)> =
            std::iter::once(("All clusters".to_string(), None))
                .chain(t.clusters.iter().map(|c| (c.clone(), Some(c.clone()))))
                .collect();
        let events = &t.events;
        view! {
            <div class="mb-4" data-testid="timeline-axis">
                <div class="tl-ticks text-xs text-muted" aria-hidden="true">
                    {ticks.into_iter().map(|(x, label)| view! {
                        <span class="tl-tick" style=format!("left: {x:.2}%")>{label}</span>
                    }).collect_view()}
                </div>
                {lanes.into_iter().map(|(label, cluster)| {
                    let mine: Vec<(usize, &TimelineEvent)> = events
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| cluster.as_ref().is_none_or(|c| *c == e.cluster))
                        .collect();
                    let count = mine.len();
                    view! {
                        <div class="tl-lane" data-testid="timeline-lane" data-cluster=cluster.clone().unwrap_or_default()>
                            <span class="tl-label text-xs font-medium" title=label.clone()>{format!("{label} ({count})")}</span>
                            <div class="tl-track">
                                // Oldest first, so the newest of close markers is drawn on top.
                                {mine.into_iter().rev().map(|(i, e)| {
                                    let (words, colour) = kind_words(&e.kind);
                                    let what = format!("{words} · {} · {} · {}{}", shown(&e.at), e.cluster, if e.object.is_empty() { String::new() } else { format!("{} · ", e.object) }, e.summary);
                                    view! {
                                        <a rel="external" href=format!("#event-{i}") title=what.clone() aria-label=what class="tl-mark"
                                            style=format!("left: {:.3}%; background: {colour}", place(&e.at))
                                            data-testid="timeline-marker" data-kind=e.kind.clone()></a>
                                    }
                                }).collect_view()}
                            </div>
                        </div>
                    }
                }).collect_view()}
                <p class="mt-1 flex flex-wrap gap-3 text-xs text-muted" aria-hidden="true">
                    {TIMELINE_KINDS.into_iter().map(|k| {
                        let (words, colour) = kind_words(k);
                        view! { <span><span class="tl-key" style=format!("background: {colour}")></span>{words}</span> }
                    }).collect_view()}
                </p>
            </div>
        }
    }

    /// The part the live stream replaces: the unavailable notice, the axis and the list.
    pub fn events_html(t: &Timeline, q: &TimelineQuery) -> String {
        let unavailable = t.unavailable.clone().map(|u| {
            view! {
                <p role="alert" class="mb-3 rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="history-unavailable">
                    {format!("{u}. The live pages keep working; recording resumes when it is back.")}
                </p>
            }
        });
        let truncated = t.truncated.then(|| {
            view! { <p class="mb-2 text-sm text-muted">{format!("Only the newest {} events are shown: narrow the range, a cluster or a kind.", t.events.len())}</p> }
        });
        let rows = if t.events.is_empty() {
            view! { <p class="text-sm text-muted" data-testid="timeline-empty">"Nothing happened in this range (or nothing was recorded: history starts when Wayfinder first watches a cluster)."</p> }.into_any()
        } else {
            let name = t.service.clone();
            view! {
                <div class="overflow-x-auto">
                    <table class="data-table" data-testid="timeline-events">
                        <thead><tr>
                            <th scope="col">"When"</th><th scope="col">"Cluster"</th><th scope="col">"What"</th>
                            <th scope="col">"Object"</th><th scope="col">"Details"</th>
                        </tr></thead>
                        <tbody>
                            {t.events.iter().enumerate().map(|(i, e)| {
                                let (words, colour) = kind_words(&e.kind);
                                let then = TimelineQuery { at: Some(e.at.clone()), ..q.clone() };
                                let rule = (!e.rule.is_empty()).then(|| view! { <code class="text-xs">{e.rule.clone()}</code>" " });
                                view! {
                                    <tr id=format!("event-{i}") data-testid="timeline-event" data-kind=e.kind.clone() data-cluster=e.cluster.clone()>
                                        <td class="whitespace-nowrap">
                                            <time datetime=e.at.clone()>{shown(&e.at)}</time>
                                            <a rel="external" class="link ml-2 text-xs" href=address(&name, &then) title="The findings active at this moment">"at this moment"</a>
                                        </td>
                                        <td>{e.cluster.clone()}</td>
                                        <td class="whitespace-nowrap"><span class="tl-key" style=format!("background: {colour}")></span>{words}</td>
                                        <td class="font-mono text-xs">{e.object.clone()}</td>
                                        <td>{rule}{e.summary.clone()}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        };
        view! { {unavailable}{axis(t)}{truncated}{rows} }
            .to_html()
            .replace(MARKER, "")
    }

    /// The findings active at `?at=`.
    fn active(t: &Timeline) -> Option<impl IntoView> {
        let at = t.at.clone()?;
        let list = t.active.clone().unwrap_or_default();
        let body = if list.is_empty() {
            view! { <p class="text-sm" data-testid="active-none">"No finding was active then."</p> }
                .into_any()
        } else {
            view! {
                <ul class="wf-disc text-sm" data-testid="active-findings">
                    {list.into_iter().map(|f| view! {
                        <li data-testid="active-finding" data-rule=f.rule.clone()>
                            <code class="text-xs">{f.rule.clone()}</code>
                            {format!(" · {} · {} · since {} · {}", f.cluster, f.object, shown(&f.since), f.summary)}
                        </li>
                    }).collect_view()}
                </ul>
            }
            .into_any()
        };
        Some(view! {
            <section class="card mb-4" aria-labelledby="active-h" data-testid="active-at">
                <h2 id="active-h" class="mb-2 text-lg font-semibold">{format!("Findings active at {}", shown(&at))}</h2>
                {body}
            </section>
        })
    }

    /// The form and the zoom links (plain addresses: no script needed).
    fn controls(t: &Timeline, q: &TimelineQuery) -> impl IntoView {
        let name = t.service.clone();
        let zoom = SPANS.into_iter().map(|(span, words)| {
            let to = TimelineQuery { since: Some(span.to_string()), until: None, ..q.clone() };
            let current = q.since.as_deref() == Some(span) && q.until.is_none();
            view! {
                <a rel="external" href=address(&name, &to) class=if current { "tab tab-active" } else { "tab" }
                    aria-current=current.then_some("page") data-testid=format!("zoom-{span}")>{words}</a>
            }
        }).collect_view();
        let (since, until) = (millis(&t.since), millis(&t.until));
        let width = until - since;
        let stamp = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        let earlier = TimelineQuery {
            since: Some(stamp(since - width)),
            until: Some(stamp(since)),
            ..q.clone()
        };
        let later = TimelineQuery {
            since: Some(stamp(until)),
            until: Some(stamp(until + width)),
            ..q.clone()
        };
        let fixed = TimelineQuery {
            since: Some(t.since.clone()),
            until: Some(t.until.clone()),
            ..q.clone()
        };
        let kind = q.kind.clone().unwrap_or_default();
        let cluster = q.cluster.clone().unwrap_or_default();
        view! {
            <nav aria-label="Range" class="mb-3 flex flex-wrap items-center gap-1 border-b">
                {zoom}
                <a rel="external" class="link ml-2 text-sm" href=address(&name, &earlier) data-testid="earlier">"← earlier"</a>
                <a rel="external" class="link ml-2 text-sm" href=address(&name, &later) data-testid="later">"later →"</a>
                <a rel="external" class="link ml-2 text-sm" href=address(&name, &fixed) data-testid="permalink" title="This exact range, to bookmark or share">"link to this range"</a>
            </nav>
            <form method="get" class="mb-4 flex flex-wrap items-end gap-3 text-sm" data-testid="timeline-form">
                <label class="flex flex-col">"From"
                    <input name="since" class="input" value=q.since.clone().unwrap_or_else(|| t.since.clone())/>
                </label>
                <label class="flex flex-col">"To"
                    <input name="until" class="input" value=q.until.clone().unwrap_or_default() placeholder="now"/>
                </label>
                <label class="flex flex-col">"Cluster"
                    <select name="cluster" class="input">
                        <option value="">"All"</option>
                        {t.clusters.iter().map(|c| view! { <option value=c.clone() selected=*c == cluster>{c.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="flex flex-col">"Kind"
                    <select name="kind" class="input">
                        <option value="">"All"</option>
                        {TIMELINE_KINDS.into_iter().map(|k| view! { <option value=k selected=k == kind>{kind_words(k).0}</option> }).collect_view()}
                    </select>
                </label>
                <label class="flex flex-col">"Findings active at"
                    <input name="at" class="input" value=q.at.clone().unwrap_or_default() placeholder="2026-12-06T03:00:00Z"/>
                </label>
                <button type="submit" class="btn">"Show"</button>
            </form>
        }
    }

    /// The whole page for the service `name` (already checked to exist by `read`'s answer).
    pub fn page(
        name: &str,
        q: &TimelineQuery,
        read: Result<Timeline, (AppError, String)>,
    ) -> Result<String, AppError> {
        if !valid_name(name) {
            return Err(AppError::NotFound(Entity::Service));
        }
        let t = match read {
            Ok(t) => t,
            Err((AppError::BadRequest, message)) => {
                // The choice that was not understood, said with the form to mend it.
                let t = Timeline {
                    service: name.to_string(),
                    ..Default::default()
                };
                return Ok(view! {
                    {header(name)}
                    <p role="alert" class="mb-3 rounded border border-rose-300 p-3 text-sm text-rose-800 dark:border-rose-700 dark:text-rose-300" data-testid="timeline-error">{message}</p>
                    {controls(&t, &TimelineQuery::default())}
                }
                .to_html()
                .replace(MARKER, ""));
            }
            Err((e, _)) => return Err(e),
        };
        let mut stream_q = q.clone();
        stream_q.at = None;
        let stream = format!(
            "/api/v1/services/{}/timeline/events{}&format=html",
            encode_component(name),
            address(name, &stream_q)
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_else(|| "?".to_string())
        )
        .replace("?&", "?");
        let events = events_html(&t, q);
        let range = format!("{} to {} · {}", shown(&t.since), shown(&t.until), t.kept);
        Ok(view! {
            {header(name)}
            {controls(&t, q)}
            {active(&t)}
            <section class="card mb-4" aria-labelledby="events-h">
                <div class="mb-2 flex items-center justify-between">
                    <h2 id="events-h" class="text-lg font-semibold">"What happened"</h2>
                    <span id="timeline-live" data-testid="timeline-live" data-link="connecting" role="status"
                        class="text-xs text-muted live-state">
                    </span>
                </div>
                <p class="mb-3 text-xs text-muted" data-testid="timeline-range">{range}</p>
                <div data-testid="timeline" data-stream=stream data-event="timeline" data-mode="replace"
                    data-indicator="timeline-live" data-link="connecting" inner_html=events>
                </div>
            </section>
        }
        .to_html()
        .replace(MARKER, ""))
    }

    fn header(name: &str) -> impl IntoView {
        let service = format!("/services/{}", encode_component(name));
        let tabs = [("", "Overview"), ("/clusters", "Clusters"), ("/errors", "Errors"), ("/autoscaling", "Autoscaling")]
            .into_iter()
            .map(|(path, label)| view! { <a rel="external" href=format!("{service}{path}") class="tab" data-testid=format!("tab-{}", label.to_ascii_lowercase())>{label}</a> })
            .collect_view();
        view! {
            <header class="mb-4">
                <p class="text-sm text-muted"><a rel="external" class="link" href="/">"Catalog"</a>" / "<a rel="external" class="link" href=service.clone()>{name.to_string()}</a></p>
                <h1 class="mt-1 text-2xl font-semibold" data-testid="timeline-title">{format!("{name}: timeline")}</h1>
            </header>
            <nav aria-label="Service sections" class="mb-4 flex gap-1 border-b">
                {tabs}
                <a rel="external" href=format!("{service}/timeline") class="tab tab-active" aria-current="page" data-testid="tab-timeline">"Timeline"</a>
            </nav>
        }
    }
}
