//! The autoscaling tab (`/services/:name/autoscaling`): a gauge per HPA per cluster, every metric
//! against its target, conditions, the last hour's replicas, and how load spreads over clusters.

use crate::components::{scale_colour, ScaleBadge};
use crate::model::{AutoscalerView, MetricView, ReplicaPoint, ServiceDetail, SpreadEntry};
use leptos::prelude::*;

/// The min..max gauge: the allowed range shaded, current filled, desired as an outline.
fn gauge(a: &AutoscalerView) -> impl IntoView {
    let width = 320.0;
    let scale = f64::from(a.max.max(a.current).max(a.desired).max(1));
    let x = |v: i32| 10.0 + (width - 20.0) * f64::from(v) / scale;
    let fill = scale_colour(a.status).1;
    let label = format!(
        "{} of {} to {} replicas ({}), desired {}",
        a.current,
        a.min,
        a.max,
        a.status.id(),
        a.desired
    );
    let title = label.clone();
    view! {
        <svg viewBox="0 0 320 46" class="w-full max-w-md" role="img" aria-label=label.clone() data-testid="gauge"
             data-current=a.current data-max=a.max data-min=a.min>
            <title>{title}</title>
            <rect x="10" y="14" width=fixed(width - 20.0, 1) height="12" rx="3" class="fill-slate-200 dark:fill-slate-700"/>
            <rect x=fixed(x(a.min), 1) y="14" width=fixed((x(a.max) - x(a.min)).max(1.0), 1) height="12" rx="3" class="fill-slate-300 dark:fill-slate-600"/>
            <rect x="10" y="14" width=fixed((x(a.current) - 10.0).max(0.0), 1) height="12" rx="3" fill=fill/>
            <line x1=fixed(x(a.desired), 1) x2=fixed(x(a.desired), 1) y1="8" y2="32" stroke="currentColor" stroke-width="2" stroke-dasharray="3 2"/>
            <text x=fixed(x(a.min), 1) y="42" font-size="9" text-anchor="middle" class="fill-current">{format!("min {}", a.min)}</text>
            <text x=fixed(x(a.max), 1) y="42" font-size="9" text-anchor="end" class="fill-current">{format!("max {}", a.max)}</text>
            <text x=fixed(x(a.current), 1) y="9" font-size="9" text-anchor="middle" class="fill-current">{format!("{}", a.current)}</text>
        </svg>
    }
}

fn number(v: f64) -> String {
    fixed(v, u32::from((v - v.round()).abs() >= 0.05))
}

/// `v` with `places` decimals, rounded half away from zero: what `{:.N}` shows, without the float
/// formatting code `{:.N}` would add to the WASM bundle.
fn fixed(v: f64, places: u32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let scale = 10_i64.pow(places);
    let n = (v * scale as f64).round() as i64;
    let sign = if n < 0 { "-" } else { "" };
    let n = n.unsigned_abs();
    let scale = scale.unsigned_abs();
    if places == 0 {
        format!("{sign}{n}")
    } else {
        format!("{sign}{}.{:0w$}", n / scale, n % scale, w = places as usize)
    }
}

/// A metric as a bar against its target (the target line at two thirds of the width).
fn metric_bar(m: &MetricView) -> impl IntoView {
    let ratio = m.ratio.unwrap_or(0.0);
    let width = (ratio / 1.5).clamp(0.0, 1.0) * 100.0;
    let over = ratio > 1.0;
    let text = match m.current {
        Some(c) => format!(
            "{}{} of target {}{}",
            number(c),
            m.unit,
            number(m.target),
            m.unit
        ),
        None => format!("unknown (target {}{})", number(m.target), m.unit),
    };
    view! {
        <div class="text-sm" data-testid="metric" data-name=m.name.clone()>
            <div class="flex justify-between gap-2"><span>{format!("{} {} ({})", m.kind, m.name, m.target_type)}</span><span data-testid="metric-value">{text}</span></div>
            <div class="relative h-2 w-full rounded bg-slate-200 dark:bg-slate-700" role="presentation">
                <div class=if over { "h-2 rounded bg-rose-500" } else { "h-2 rounded bg-sky-600" } style=format!("width: {}%", fixed(width, 0))></div>
                <div class="absolute top-[-3px] h-3.5 w-0.5 bg-slate-900 dark:bg-slate-100" style="left: 66.6%" title="target"></div>
            </div>
        </div>
    }
}

/// The last hour of replicas as a step line.
fn sparkline(points: &[ReplicaPoint], max: i32) -> impl IntoView {
    if points.len() < 2 {
        return view! { <p class="text-xs text-muted" data-testid="sparkline-empty">"No change in the last hour."</p> }.into_any();
    }
    let top = f64::from(
        points
            .iter()
            .map(|p| p.replicas)
            .max()
            .unwrap_or(1)
            .max(max)
            .max(1),
    );
    let x = |s: i64| 200.0 - 200.0 * (s as f64) / 3600.0;
    let y = |r: i32| 38.0 - 36.0 * f64::from(r) / top;
    let mut path = String::new();
    for (i, p) in points.iter().enumerate() {
        let (px, py) = (fixed(x(p.seconds_ago), 1), fixed(y(p.replicas), 1));
        if i == 0 {
            path.push_str(&format!("M{px},{py}"));
        } else {
            path.push_str(&format!(" H{px} V{py}"));
        }
    }
    let limit = fixed(y(max), 1);
    let label = format!(
        "Replicas over the last hour: {}",
        points
            .iter()
            .map(|p| p.replicas.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let title = label.clone();
    view! {
        <figure class="text-xs text-muted">
        <svg viewBox="0 0 200 40" class="h-10 w-48 text-slate-700 dark:text-slate-200" role="img" aria-label=label.clone() data-testid="sparkline">
            <title>{title}</title>
            <line x1="0" x2="200" y1=limit.clone() y2=limit stroke="#e11d48" stroke-width="0.5" stroke-dasharray="2 2"/>
            <path d=path fill="none" stroke="currentColor" stroke-width="1.5"/>
        </svg>
        <figcaption>"replicas, last hour"</figcaption>
        </figure>
    }
    .into_any()
}

fn autoscaler_card(a: AutoscalerView) -> impl IntoView {
    view! {
        <article class="card" data-testid="autoscaler" data-cluster=a.cluster.clone() data-status=a.status.id() data-name=a.name.clone()>
            <header class="mb-2 flex flex-wrap items-center gap-2">
                <h4 class="font-semibold">{format!("{} · {}", a.cluster, a.name)}</h4>
                <ScaleBadge status=a.status/>
                <span class="text-xs text-muted">{format!("{} · scales {}", a.region, a.target)}</span>
            </header>
            <p class="text-sm" data-testid="replicas">{format!("{} replicas (desired {}), allowed {}–{}", a.current, a.desired, a.min, a.max)}</p>
            {gauge(&a)}
            <div class="mt-3 space-y-2">{a.metrics.iter().map(metric_bar).collect_view()}</div>
            <div class="mt-3 flex flex-wrap items-end justify-between gap-4">
                <ul class="text-xs" data-testid="conditions">
                    {a.conditions.iter().map(|c| view! {
                        <li><span class=if matches!(c.kind.as_str(), "ScalingLimited" | "Fallback" | "Paused") == (c.status == "True") { "font-medium text-rose-700 dark:text-rose-300" } else { "font-medium" }>{format!("{} {}", c.kind, c.status)}</span>
                        {c.reason.clone().map(|r| format!(" ({r})"))}{c.message.clone().map(|m| format!(": {m}"))}</li>
                    }).collect_view()}
                </ul>
                {sparkline(&a.history, a.max)}
            </div>
            {a.behavior.clone().map(|b| view! { <p class="mt-2 text-xs text-muted">{format!("Behaviour: {b}")}</p> })}
            {a.last_scale_time.clone().map(|t| view! { <p class="text-xs text-muted">{format!("Last scaled {t}")}</p> })}
        </article>
    }
}

/// Share of the service's replicas per cluster and region.
fn spread_chart(entries: &[SpreadEntry], what: &str) -> impl IntoView {
    view! {
        <table class="data-table" data-testid=format!("spread-{what}")>
            <thead><tr><th scope="col">{if what == "clusters" { "Cluster" } else { "Region" }}</th><th scope="col">"Replicas / max"</th><th scope="col">"Share"</th><th scope="col">"Load vs target"</th><th scope="col">"Status"</th></tr></thead>
            <tbody>
                {entries.iter().map(|e| {
                    let share = fixed(e.share * 100.0, 0);
                    let label = if what == "clusters" { format!("{} ({})", e.cluster, e.region) } else { e.region.clone() };
                    view! {
                        <tr data-testid="spread-row" data-name=if what == "clusters" { e.cluster.clone() } else { e.region.clone() }>
                            <td>{label}</td>
                            <td>{format!("{}/{}", e.replicas, e.max)}</td>
                            <td class="w-1/3">
                                <div class="flex items-center gap-2">
                                    <div class="h-2 flex-1 rounded bg-slate-200 dark:bg-slate-700"><div class="h-2 rounded" style=format!("width: {share}%; background: {}", scale_colour(e.status).1)></div></div>
                                    <span class="text-xs">{format!("{share}%")}</span>
                                </div>
                            </td>
                            <td>{e.load.map(|l| format!("{}%", fixed(l * 100.0, 0))).unwrap_or_else(|| "—".into())}</td>
                            <td><ScaleBadge status=e.status/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The whole tab.
pub fn autoscaling_tab(s: &ServiceDetail) -> impl IntoView {
    let fixed = s.fixed_replicas.clone();
    view! {
        {if s.autoscalers.is_empty() {
            view! { <p class="mb-4 rounded border border-dashed p-6 text-center" data-testid="no-autoscalers">"No HorizontalPodAutoscaler scales this service: its replicas are fixed."</p> }.into_any()
        } else {
            view! {
                <section class="mb-8">
                    <h2 class="mb-2 text-xl font-semibold">"Load across clusters"</h2>
                    {s.spread.notes.iter().map(|n| view! { <p class="mb-2 rounded border border-amber-300 bg-amber-50 p-3 text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="spread-note">{n.clone()}</p> }).collect_view()}
                    <div class="grid gap-4 lg:grid-cols-2">
                        {spread_chart(&s.spread.regions, "regions")}
                        {spread_chart(&s.spread.clusters, "clusters")}
                    </div>
                </section>
                <section>
                    <h2 class="mb-2 text-xl font-semibold">"Autoscalers"</h2>
                    <div class="grid gap-4 lg:grid-cols-2">{s.autoscalers.iter().cloned().map(autoscaler_card).collect_view()}</div>
                </section>
            }.into_any()
        }}
        {(!fixed.is_empty()).then(|| view! {
            <section class="mt-8">
                <h2 class="mb-2 text-xl font-semibold">"Fixed replicas"</h2>
                <table class="data-table" data-testid="fixed-replicas">
                    <thead><tr><th scope="col">"Cluster"</th><th scope="col">"Workload"</th><th scope="col">"Namespace"</th><th scope="col">"Replicas"</th></tr></thead>
                    <tbody>{fixed.into_iter().map(|f| view! {
                        <tr><td>{format!("{} ({})", f.cluster, f.region)}</td><td>{format!("{} {}", f.kind, f.name)}</td><td>{f.namespace}</td><td>{f.replicas}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            </section>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::{fixed, number};

    #[test]
    fn numbers_show_as_the_gauges_print_them() {
        assert_eq!(fixed(66.66, 0), "67");
        assert_eq!(fixed(12.0, 1), "12.0");
        assert_eq!(fixed(0.04, 1), "0.0");
        assert_eq!(fixed(-1.26, 1), "-1.3");
        assert_eq!(fixed(-0.01, 0), "0");
        assert_eq!(fixed(1234.56, 1), "1234.6");
        assert_eq!(fixed(f64::NAN, 1), "NaN");
        assert_eq!(fixed(f64::INFINITY, 1), "inf");
        assert_eq!(fixed(f64::NEG_INFINITY, 0), "-inf");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(0.97), "1");
    }
}
