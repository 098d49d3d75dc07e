//! `/services/:name/pods/:cluster/:namespace/:pod`: one pod of a service, everything needed to
//! troubleshoot it without kubectl — its state, owners, conditions, containers, findings, all its
//! events — and its log, with a container picker, the previous run, follow, search and wrap.
//!
//! The whole page is HTML made on the server by [`render`] (its one home) and shown by
//! [`super::made::MadePage`], so the WASM bundle carries almost nothing of it. Its controls are a
//! plain GET form: every choice is an address. Its `data-stream` elements (the pod's account,
//! replaced as the pod changes, and, when following, the log's new lines) are opened in the
//! browser by the made page.

/// The server's HTML of the pod page: every string escaped by the view macro.
#[cfg(feature = "ssr")]
pub mod render {
    use crate::api::ssr::LogAt;
    use crate::api::valid_name;
    use crate::error::{AppError, Entity};
    use crate::model::{
        encode_component, ContainerRun, ContainerView, LogChoice, LogTail, PodDetail,
    };
    use crate::pages::cluster_map::usage_html;
    use leptos::prelude::*;
    use leptos::tachys::view::RenderHtml;
    use leptos_router::params::ParamsMap;

    /// The hydration marker tachys writes between text nodes: this markup is never hydrated, so it
    /// is dropped (escaped text can never contain `<`).
    const MARKER: &str = "<!>";

    /// Lines of the log a page shows (the download link offers up to 5,000).
    const PAGE_LINES: i64 = 500;

    /// The log choices in a page's query string.
    pub fn choice(query: &ParamsMap) -> LogChoice {
        let on = |k: &str| query.get(k).as_deref() == Some("true");
        LogChoice {
            container: query.get("container").filter(|c| !c.is_empty()),
            previous: on("previous"),
            follow: on("follow"),
            wrap: on("wrap"),
            q: query.get("q").unwrap_or_default(),
        }
    }

    /// The whole page of pod `[service, cluster, namespace, pod]` for a viewer with `headers`:
    /// the pod (its cluster's events read now) and its log as the query chose it.
    pub async fn page(
        pages: &dyn crate::api::ssr::MadePages,
        at: [String; 4],
        query: &ParamsMap,
        headers: http::HeaderMap,
    ) -> Result<String, AppError> {
        let choice = choice(query);
        {
            let missing = AppError::NotFound(Entity::Pod);
            if !at.iter().all(|s| valid_name(s)) {
                return Err(missing);
            }
            let [service, cluster, namespace, pod] = at;
            let at = LogAt {
                service,
                cluster,
                namespace,
                pod,
                ..Default::default()
            };
            let detail = pages.pod(at.clone()).await.ok_or(missing)?;
            let containers = pages.containers(&at).ok_or(missing)?;
            // The first app container unless another of the pod's was asked for.
            let container = choice
                .container
                .clone()
                .filter(|c| containers.iter().any(|(name, _)| name == c))
                .or_else(|| {
                    containers
                        .iter()
                        .find(|(_, init)| !init)
                        .map(|(name, _)| name.clone())
                });
            let mut tail = pages
                .log(at.clone(), container, choice.previous, PAGE_LINES, headers)
                .await;
            // An unknown container (an old bookmark, a typo) is said, not silently replaced.
            if let Some(asked) = choice.container.as_ref().filter(|c| **c != tail.container) {
                let shown = format!(
                    "This pod has no container “{asked}”: {} is shown.",
                    tail.container
                );
                tail.note = Some(match tail.note.take() {
                    Some(n) => format!("{shown} {n}"),
                    None => shown,
                });
            }
            Ok(format!(
                "{}{}{}",
                header(&at),
                account(&at, &detail),
                log(&at, &containers, &choice, &tail)
            ))
        }
    }

    /// `/api/v1/services/{s}/pods/{c}/{n}/{p}` and what follows it.
    fn api(at: &LogAt) -> String {
        format!(
            "/api/v1/services/{}/pods/{}/{}/{}",
            encode_component(&at.service),
            encode_component(&at.cluster),
            encode_component(&at.namespace),
            encode_component(&at.pod)
        )
    }

    /// A stream's state, shown by the element whose id a `data-indicator` names.
    fn indicator(id: &'static str) -> impl IntoView {
        view! {
            // The state's word is the attribute's value, shown by CSS: the browser changes only it.
            <span id=id data-testid=id data-link="connecting" role="status"
                class="text-xs text-muted live-state">
            </span>
        }
    }

    fn header(at: &LogAt) -> String {
        view! {
            <header class="mb-4">
                <div class="flex items-center justify-between">
                    <p class="text-sm text-muted">
                        <a class="link" href="/">"Catalog"</a>" / "
                        <a class="link" href=format!("/services/{}/clusters", encode_component(&at.service))>{at.service.clone()}</a>
                        {format!(" / {} / {}", at.cluster, at.namespace)}
                    </p>
                    {indicator("live-indicator")}
                </div>
                <h1 class="mt-1 font-mono text-2xl font-semibold" data-testid="pod-title">{at.pod.clone()}</h1>
            </header>
        }
        .to_html()
        .replace(MARKER, "")
    }

    /// The account, in the element its live stream replaces.
    fn account(at: &LogAt, d: &PodDetail) -> String {
        view! {
            <div data-testid="pod-detail" data-stream=format!("{}/events?format=html", api(at))
                data-event="pod" data-mode="replace" data-indicator="live-indicator" data-link="connecting"
                inner_html=detail(d)>
            </div>
        }
        .to_html()
        .replace(MARKER, "")
    }

    fn or_dash(v: &Option<String>) -> String {
        v.clone().unwrap_or_else(|| "—".into())
    }

    fn run(r: &ContainerRun) -> String {
        let mut out = Vec::new();
        if let Some(reason) = &r.reason {
            out.push(reason.clone());
        }
        if let Some(code) = r.exit_code {
            out.push(format!("exit code {code}"));
        }
        if let Some(signal) = r.signal {
            out.push(format!("signal {signal}"));
        }
        if let Some(at) = &r.started_at {
            out.push(format!("started {at}"));
        }
        if let Some(at) = &r.finished_at {
            out.push(format!("finished {at}"));
        }
        if let Some(m) = &r.message {
            out.push(m.clone());
        }
        out.join(" · ")
    }

    fn resources(c: &ContainerView) -> String {
        let keys: std::collections::BTreeSet<&String> =
            c.requests.keys().chain(c.limits.keys()).collect();
        if keys.is_empty() {
            return "none set".into();
        }
        keys.into_iter()
            .map(|k| {
                format!(
                    "{k}: request {}, limit {}",
                    c.requests.get(k).map_or("—", String::as_str),
                    c.limits.get(k).map_or("—", String::as_str)
                )
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    fn container(c: &ContainerView, init: bool) -> impl IntoView {
        let last = c.last_termination.as_ref().map(|r| {
            view! { <div><dt>"Last termination"</dt><dd data-testid="last-termination">{run(r)}</dd></div> }
        });
        let probes = if c.probes.is_empty() {
            view! { <li>"none configured"</li> }.into_any()
        } else {
            c.probes
                .iter()
                .map(|p| {
                    view! {
                        <li data-testid="probe" data-kind=p.kind.clone()>
                            {format!(
                                "{}: {} · initial delay {} s, every {} s, timeout {} s, {} success / {} failures",
                                p.kind, p.action, p.initial_delay_seconds, p.period_seconds,
                                p.timeout_seconds, p.success_threshold, p.failure_threshold
                            )}
                        </li>
                    }
                })
                .collect_view()
                .into_any()
        };
        view! {
            <article class="card" data-testid="container" data-name=c.name.clone() data-init=init.to_string()>
                <h3 class="font-semibold">
                    <span class="font-mono">{c.name.clone()}</span>
                    {init.then_some(" (init container)")}
                </h3>
                <dl class="mt-2 grid gap-2 text-sm wf-cols-2">
                    <div><dt>"Image"</dt><dd class="font-mono text-xs wf-break">{or_dash(&c.image)}</dd></div>
                    <div><dt>"State"</dt><dd data-testid="container-state" data-state=c.state.clone()>{format!("{} {}", c.state, run(&c.state_detail))}</dd></div>
                    {last}
                    <div><dt>"Restarts"</dt><dd data-testid="restarts">{c.restarts}</dd></div>
                    <div><dt>"Ready / started"</dt><dd>{format!("{} / {}", if c.ready { "ready" } else { "not ready" }, match c.started { Some(true) => "started", Some(false) => "not started", None => "—" })}</dd></div>
                    <div><dt>"Requests and limits"</dt><dd>{resources(c)}</dd></div>
                    <div><dt>"CPU used"</dt><dd data-testid="cpu" inner_html=usage_html(c.cpu, true)></dd></div>
                    <div><dt>"Memory used"</dt><dd data-testid="memory" inner_html=usage_html(c.memory, false)></dd></div>
                </dl>
                <p class="mt-2 text-sm font-medium">"Probes"</p>
                <ul class="text-sm">{probes}</ul>
            </article>
        }
    }

    /// The pod's account: where it runs, its owners, conditions, containers, findings and events.
    pub fn detail(d: &PodDetail) -> String {
        let owners = d
            .owners
            .iter()
            .map(|o| format!("{} {}", o.kind, o.name))
            .chain(std::iter::once(format!("Pod {}", d.name)))
            .collect::<Vec<_>>()
            .join(" → ");
        let yaml = format!(
            "/services/{}/objects/{}/{}/Pod/{}",
            encode_component(&d.service),
            encode_component(&d.cluster),
            encode_component(&d.namespace),
            encode_component(&d.name)
        );
        let conditions = d
            .conditions
            .iter()
            .map(|c| {
                view! {
                    <tr data-testid="condition" data-type=c.type_.clone() data-status=c.status.clone()>
                        <td>{c.type_.clone()}</td><td>{c.status.clone()}</td><td>{or_dash(&c.reason)}</td>
                        <td>{c.message.clone().unwrap_or_default()}</td><td>{or_dash(&c.since)}</td>
                    </tr>
                }
            })
            .collect_view();
        let containers = d
            .init_containers
            .iter()
            .map(|c| container(c, true).into_any())
            .chain(d.containers.iter().map(|c| container(c, false).into_any()))
            .collect_view();
        let findings = if d.findings.is_empty() {
            view! { <p class="text-sm" data-testid="no-findings">"Nothing wrong with this pod now."</p> }.into_any()
        } else {
            d.findings
                .iter()
                .map(|f| {
                    view! {
                        <details class="card" data-testid="pod-finding" data-rule=f.rule.clone()>
                            <summary class="cursor-pointer"><span class="font-medium">{f.severity.id()}</span>" "{f.message.clone()}</summary>
                            <p class="mt-2 text-sm"><span class="font-medium">"Cause: "</span>{f.cause.clone()}</p>
                            <p class="mt-1 text-sm"><span class="font-medium">"Fix: "</span>{f.fix.clone()}</p>
                        </details>
                    }
                })
                .collect_view()
                .into_any()
        };
        let scope = if d.events_scope == "all" {
            "All its events, newest first, read from the cluster now.".to_string()
        } else {
            format!(
                "Its Warning events as the portal keeps them: the cluster's full list could not be read ({}).",
                d.events_error.clone().unwrap_or_default()
            )
        };
        let events = d
            .events
            .iter()
            .map(|e| {
                view! {
                    <tr data-testid="event" data-type=e.type_.clone() data-reason=e.reason.clone()>
                        <td class="whitespace-nowrap">{e.type_.clone()}</td><td class="whitespace-nowrap">{e.reason.clone()}</td><td class="wf-break">{e.message.clone()}</td>
                        <td>{e.count}</td><td>{or_dash(&e.first_seen)}</td><td>{or_dash(&e.last_seen)}</td><td>{or_dash(&e.source)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <dl class="grid grid-cols-2 gap-4 text-sm sm:grid-cols-6" data-testid="pod-facts">
                <div><dt class="text-xs text-muted">"Phase"</dt><dd data-testid="pod-phase">{d.phase.clone()}</dd></div>
                <div><dt class="text-xs text-muted">"Node"</dt><dd>{or_dash(&d.node)}</dd></div>
                <div><dt class="text-xs text-muted">"Pod IP"</dt><dd>{or_dash(&d.pod_ip)}</dd></div>
                <div><dt class="text-xs text-muted">"QoS class"</dt><dd>{or_dash(&d.qos_class)}</dd></div>
                <div><dt class="text-xs text-muted">"Created"</dt><dd>{or_dash(&d.created)}</dd></div>
                <div><dt class="text-xs text-muted">"Object"</dt><dd><a class="link" href=yaml rel="external" data-testid="yaml">"YAML"</a></dd></div>
            </dl>
            <p class="mt-3 text-sm" data-testid="pod-owners">{owners}</p>
            <h2 class="mt-6 text-lg font-semibold">"Findings"</h2>
            <div class="mt-2 space-y-2" data-testid="pod-findings">{findings}</div>
            <h2 class="mt-6 text-lg font-semibold">"Containers"</h2>
            <div class="mt-2 grid gap-4 lg:grid-cols-2">{containers}</div>
            <h2 class="mt-6 text-lg font-semibold">"Conditions"</h2>
            <table class="data-table mt-2" data-testid="conditions">
                <thead><tr><th scope="col">"Type"</th><th scope="col">"Status"</th><th scope="col">"Reason"</th><th scope="col">"Message"</th><th scope="col">"Since"</th></tr></thead>
                <tbody>{conditions}</tbody>
            </table>
            <h2 class="mt-6 text-lg font-semibold">"Events"</h2>
            <p class="text-sm text-muted" data-testid="events-scope">{scope}</p>
            <table class="data-table mt-2" data-testid="events">
                <thead><tr><th scope="col">"Type"</th><th scope="col">"Reason"</th><th scope="col">"Message"</th><th scope="col">"Count"</th><th scope="col">"First seen"</th><th scope="col">"Last seen"</th><th scope="col">"From"</th></tr></thead>
                <tbody>{events}</tbody>
            </table>
        }
        .to_html()
        .replace(MARKER, "")
    }

    /// The log section: the controls (a GET form: each choice is an address) and the lines.
    pub fn log(
        at: &LogAt,
        containers: &[(String, bool)],
        choice: &LogChoice,
        tail: &LogTail,
    ) -> String {
        let api = format!("{}/log", api(at));
        let download = format!(
            "{api}?container={}{}&tailLines=5000",
            encode_component(&tail.container),
            if tail.previous { "&previous=true" } else { "" }
        );
        let options = containers
            .iter()
            .map(|(name, init)| {
                let label = if *init {
                    format!("{name} (init)")
                } else {
                    name.clone()
                };
                view! { <option value=name.clone() selected=*name == tail.container>{label}</option> }
            })
            .collect_view();
        let check = |name: &'static str, label: &'static str, on: bool| {
            view! {
                <label class="inline-flex items-center gap-1">
                    <input type="checkbox" name=name value="true" checked=on data-testid=format!("log-{name}")/>
                    {label}
                </label>
            }
        };
        let hits = std::cell::Cell::new(0usize);
        let lines = tail
            .text
            .lines()
            .map(|line| {
                let parts = crate::model::matches(line, &choice.q)
                    .into_iter()
                    .map(|(text, hit)| {
                        if hit {
                            hits.set(hits.get() + 1);
                            view! { <mark>{text.to_string()}</mark> }.into_any()
                        } else {
                            text.to_string().into_any()
                        }
                    })
                    .collect_view();
                view! { <span>{parts}"\n"</span> }
            })
            .collect_view()
            .to_html()
            .replace(MARKER, "");
        let class = if choice.wrap {
            "log-lines whitespace-pre-wrap wf-break"
        } else {
            "log-lines overflow-x-auto whitespace-pre"
        };
        let heading = format!(
            "{} log of container {}, last {} lines",
            if tail.previous {
                "The previous (crashed) run's"
            } else {
                "The current"
            },
            tail.container,
            tail.text.lines().count()
        );
        let found = (!choice.q.is_empty()).then(|| {
            view! { <span data-testid="log-hits">{format!("{} matches of “{}”", hits.get(), choice.q)}</span> }
        });
        view! {
            <section class="card mt-6" data-testid="pod-log" aria-label="Log">
            <h2 class="text-lg font-semibold">"Log"</h2>
            <form method="get" class="mt-2 flex flex-wrap items-center gap-3 text-sm" data-testid="log-controls">
                <label>"Container "<select name="container" class="input py-1" data-testid="log-container">{options}</select></label>
                {check("previous", "previous run", choice.previous)}
                {check("follow", "follow", choice.follow)}
                {check("wrap", "wrap lines", choice.wrap)}
                <input type="search" name="q" class="input py-1" value=choice.q.clone() placeholder="Search the log" aria-label="Search the log" data-testid="log-search"/>
                <button type="submit" class="btn">"Show"</button>
                <a class="link" href=download download rel="external" data-testid="log-download">"Download"</a>
            </form>
            {tail.note.clone().map(|n| view! { <p class="mt-2 text-sm" data-testid="pod-log-note">{n}</p> })}
            <p class="mt-2 text-xs text-muted">{heading}" "{found}</p>
            <pre class=class data-testid="log-lines" tabindex="0" aria-label="Log lines" inner_html=lines></pre>
            {choice.follow.then(|| {
                let stream = format!(
                    "{api}/events?tailLines=0&container={}",
                    encode_component(&tail.container)
                );
                view! {
                    <p class="mt-2 text-sm">"New lines, as the container writes them: "{indicator("follow-state")}</p>
                    <pre class=class data-testid="follow-lines" tabindex="0" aria-label="New log lines"
                        data-stream=stream data-event="line" data-mode="append" data-indicator="follow-state"
                        data-q=choice.q.to_ascii_lowercase()></pre>
                }
            })}
            </section>
        }
        .to_html()
        .replace(MARKER, "")
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use crate::model::{EventView, LogChoice, LogTail, PodDetail};

    #[test]
    fn cluster_text_is_escaped_and_matches_marked() {
        let pod = PodDetail {
            name: "web-1".into(),
            events: vec![EventView {
                type_: "Warning".into(),
                reason: "<b>".into(),
                message: "<script>alert(1)</script>".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let html = super::render::detail(&pod);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            !html.contains("<script>") && !html.contains("<!>"),
            "{html}"
        );

        let tail = LogTail {
            container: "web".into(),
            text: "GET /a <img src=x> Error\nok\n".into(),
            ..Default::default()
        };
        let choice = LogChoice {
            q: "error".into(),
            ..Default::default()
        };
        let at = crate::api::ssr::LogAt {
            service: "web".into(),
            cluster: "c".into(),
            namespace: "n".into(),
            pod: "web-1".into(),
            ..Default::default()
        };
        let html = super::render::log(&at, &[("web".into(), false)], &choice, &tail);
        assert!(
            html.contains(
                "<span>GET /a &lt;img src=x&gt; <mark>Error</mark>\n</span><span>ok\n</span>"
            ),
            "{html}"
        );
        assert!(html.contains("1 matches of “error”"), "{html}");
    }
}
