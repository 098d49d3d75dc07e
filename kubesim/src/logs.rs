//! `pods/log`: what each container printed, as a pure function of the pod's fault plan and time.
//!
//! A healthy container logs its start-up and then a request every two seconds; a crash-looping one
//! starts, fails to reach its database and dies with a stack trace (exit 1); an OOM-killed one fills
//! a cache until the kernel kills it (no last words); one failing its readiness probe logs the 503s
//! it answers; a Job's pod logs its work and its exit. The same pod at the same time always prints
//! the same bytes, so `kubectl logs` and the portal can be compared byte for byte.

use std::collections::HashMap;

use serde_json::Value;

use crate::controllers::{self, Fault, Run};
use crate::status::ApiError;

/// One line: when it was written (milliseconds since the epoch) and its text (no newline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub at_ms: i64,
    pub text: String,
}

/// What a `pods/log` request asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub container: Option<String>,
    pub previous: bool,
    pub tail_lines: Option<usize>,
    pub limit_bytes: Option<usize>,
    pub since_seconds: Option<i64>,
    pub timestamps: bool,
    pub follow: bool,
}

impl LogQuery {
    /// Reads the query string kubectl sends (`container`, `previous`, `tailLines`, `limitBytes`,
    /// `sinceSeconds`, `timestamps`, `follow`).
    pub fn parse(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let flag = |k: &str| query.get(k).is_some_and(|v| v == "true" || v == "1");
        let number = |k: &str| -> Result<Option<i64>, ApiError> {
            query
                .get(k)
                .map(|v| {
                    v.parse::<i64>().map_err(|_| {
                        ApiError::bad_request(format!(
                            "{k}: Invalid value: \"{v}\": must be an integer"
                        ))
                    })
                })
                .transpose()
        };
        let positive = |k: &str, v: Option<i64>| -> Result<Option<usize>, ApiError> {
            match v {
                Some(n) if n < 0 => Err(ApiError::invalid(format!(
                    "PodLogOptions \"\" is invalid: {k}: Invalid value: {n}: must be greater than or equal to 0"
                ))),
                other => Ok(other.map(|n| n as usize)),
            }
        };
        Ok(Self {
            container: query.get("container").filter(|c| !c.is_empty()).cloned(),
            previous: flag("previous"),
            tail_lines: positive("tailLines", number("tailLines")?)?,
            limit_bytes: positive("limitBytes", number("limitBytes")?)?,
            since_seconds: number("sinceSeconds")?,
            timestamps: flag("timestamps"),
            follow: flag("follow"),
        })
    }
}

/// The container a request reads, and the run of it.
#[derive(Clone, Debug)]
pub struct Source {
    pub pod: Value,
    pub container: String,
    pub fault: Fault,
    pub index: usize,
    pub run: Run,
}

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn names(pod: &Value, list: &str) -> Vec<String> {
    pod.pointer(list)
        .and_then(Value::as_array)
        .map(|cs| cs.iter().map(|c| s(c, "/name").to_string()).collect())
        .unwrap_or_default()
}

/// Picks the container and run a request reads, with the apiserver's errors where there is none.
pub fn source(pod: &Value, q: &LogQuery, now: i64) -> Result<Source, ApiError> {
    let name = s(pod, "/metadata/name");
    let containers = names(pod, "/spec/containers");
    let init = names(pod, "/spec/initContainers");
    let container = match &q.container {
        Some(c) if containers.contains(c) || init.contains(c) => c.clone(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )))
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            let mut message = format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !init.is_empty() {
                message.push_str(&format!(
                    " or one of the init containers: [{}]",
                    init.join(" ")
                ));
            }
            return Err(ApiError::bad_request(message));
        }
    };
    let runs = if init.contains(&container) {
        Vec::new()
    } else {
        controllers::runs(pod, now)
    };
    // The current container is the newest one, even after it exited (CrashLoopBackOff).
    let pick = if q.previous {
        runs.len().checked_sub(2)
    } else {
        runs.len().checked_sub(1)
    };
    let Some(index) = pick else {
        if q.previous {
            return Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{name}\" not found"
            )));
        }
        let waiting = pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| s(c, "/name") == container))
            .map(|c| s(c, "/state/waiting/reason").to_string())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "ContainerCreating".into());
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {waiting}"
        )));
    };
    Ok(Source {
        fault: Fault::of(pod),
        pod: pod.clone(),
        container,
        index,
        run: runs[index],
    })
}

/// A small deterministic hash, for request paths and durations that vary but repeat.
fn mix(seed: &str, n: i64) -> u64 {
    seed.bytes()
        .chain(n.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// Everything the run printed up to `now_ms`, oldest first.
pub fn lines(src: &Source, now_ms: i64) -> Vec<Line> {
    let started = src.run.started * 1000;
    let ended = src.run.ended.map(|(t, _)| t * 1000);
    let until = ended.map_or(now_ms, |e| e.min(now_ms));
    let c = src.container.as_str();
    let image = src
        .pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|x| s(x, "/name") == c))
        .map(|x| s(x, "/image"))
        .unwrap_or("");
    let version = image.rsplit_once(':').map_or("latest", |(_, t)| t);
    let pod = s(&src.pod, "/metadata/name");
    let mut out: Vec<Line> = Vec::new();
    let mut at = |ms: i64, text: String| {
        if ms <= until {
            out.push(Line { at_ms: ms, text });
        }
    };
    let job = s(&src.pod, "/spec/restartPolicy") == "Never";
    if s(&src.pod, "/metadata/annotations/kubesim.io~1log") == "flood" {
        // A debug dump: 3,000 lines of about 1 KiB (one in a hundred 64 KiB), with ANSI colours
        // and control characters, written in the container's first three seconds.
        for k in 0..3_000_i64 {
            let width = if k % 100 == 99 { 65_536 } else { 1_000 };
            let filler: String = (0..width)
                .map(|i| char::from(b'a' + ((i + k) % 26) as u8))
                .collect();
            at(
                started + 500 + k,
                format!("\x1b[36mDEBUG\x1b[0m dump {k} \u{7}\u{0}\u{1b}[2J {filler}"),
            );
        }
    }
    at(
        started + 12,
        format!("level=info msg=\"starting {c}\" version={version} pid=1"),
    );
    at(
        started + 40,
        format!("level=info msg=\"config loaded\" path=/etc/{c}/config.yaml"),
    );
    match src.fault {
        _ if job => {
            at(
                started + 300,
                "level=info msg=\"job started\" batch=nightly".into(),
            );
            for k in 1..=3 {
                at(
                    started + 700 * k,
                    format!(
                        "level=info msg=progress records={}",
                        k * 1000 + (mix(pod, k) % 900) as i64
                    ),
                );
            }
            match src.run.ended {
                Some((_, 0)) => at(
                    started + 2_900,
                    "level=info msg=\"job finished\" records=3000 exit=0".into(),
                ),
                Some(_) => {
                    at(
                        started + 2_800,
                        "level=error msg=\"upstream export missing\" path=s3://exports/nightly.csv"
                            .into(),
                    );
                    at(
                        started + 2_900,
                        "Error: open s3://exports/nightly.csv: no such key".into(),
                    );
                }
                None => {}
            }
        }
        Fault::CrashLoop => {
            at(
                started + 400,
                "level=info msg=\"connecting to database\" host=postgres:5432".into(),
            );
            if ended.is_some() {
                let end = started + 2_900;
                at(end, "level=error msg=\"database unreachable\" err=\"dial tcp 10.96.12.4:5432: connect: connection refused\"".into());
                let trace = [
                    "Exception in thread \"main\" java.net.ConnectException: Connection refused (postgres:5432)".to_string(),
                    "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:319)".into(),
                    "\tat org.postgresql.Driver.connect(Driver.java:254)".into(),
                    format!("\tat com.example.{}.Database.connect(Database.java:42)", c.replace('-', "")),
                    format!("\tat com.example.{}.Main.main(Main.java:17)", c.replace('-', "")),
                ];
                for (i, l) in trace.into_iter().enumerate() {
                    at(end + 1 + i as i64, l);
                }
            }
        }
        Fault::Oom => {
            at(
                started + 300,
                "level=info msg=\"warming cache\" source=catalog-snapshot".into(),
            );
            for k in 1..8 {
                at(
                    started + 1000 * k,
                    format!(
                        "level=info msg=\"cache warmed\" entries={} heap={}Mi",
                        k * 120_000,
                        64 * k + 40
                    ),
                );
            }
        }
        Fault::Readiness => {
            at(
                started + 300,
                "\x1b[33mWARN\x1b[0m dependency unavailable: redis:6379 (connection timed out)"
                    .into(),
            );
            let first = started + 1_000;
            let mut t = first;
            while t <= until {
                at(t, format!("level=info msg=request method=GET path=/ready status=503 duration={}ms reason=\"redis not reachable\"", 1 + mix(pod, t) % 4));
                t += 10_000;
            }
        }
        _ => {
            at(started + 300, "level=info msg=listening addr=:8080".into());
            let mut t = started + 2_000;
            let mut k = 0;
            while t <= until {
                let status = if mix(pod, k).is_multiple_of(97) {
                    500
                } else {
                    200
                };
                at(t, format!("level=info msg=request method=GET path=/api/v1/items/{} status={status} duration={}ms", mix(pod, k) % 10_000, 2 + mix(pod, k + 1) % 40));
                t += 2_000;
                k += 1;
            }
        }
    }
    out
}

/// RFC 3339 with nanoseconds, as the kubelet prefixes lines with `timestamps=true`.
fn stamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{}Z", t.strftime("%Y-%m-%dT%H:%M:%S%.9f")))
        .unwrap_or_default()
}

/// The bytes of `lines` as the apiserver sends them, after `sinceSeconds` and `tailLines`
/// (`limitBytes` is applied by the caller, over the whole body).
pub fn render(lines: &[Line], q: &LogQuery, now_ms: i64) -> String {
    let since = q.since_seconds.map(|s| now_ms - s * 1000);
    let kept: Vec<&Line> = lines
        .iter()
        .filter(|l| since.is_none_or(|s| l.at_ms >= s))
        .collect();
    let skip = q.tail_lines.map_or(0, |n| kept.len().saturating_sub(n));
    let mut out = String::new();
    for l in &kept[skip..] {
        if q.timestamps {
            out.push_str(&stamp(l.at_ms));
            out.push(' ');
        }
        out.push_str(&l.text);
        out.push('\n');
    }
    out
}

/// `limitBytes`: the first N bytes (a line may be cut, as the kubelet cuts it).
pub fn limit(body: String, q: &LogQuery) -> String {
    match q.limit_bytes {
        Some(n) if n < body.len() => {
            let mut cut = n;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body[..cut].to_string()
        }
        _ => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(fault: &str, created: i64) -> Value {
        json!({
            "metadata": {"name": "web-1", "namespace": "shop", "creationTimestamp":
                jiff::Timestamp::from_second(created).map(|t| t.to_string()).unwrap_or_default(),
                "annotations": {"kubesim.io/fault": fault}},
            "spec": {"nodeName": "node-a", "containers": [{"name": "web", "image": "shop/web:2.1.0"}]},
            "status": {"containerStatuses": [{"name": "web", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}
        })
    }

    const T0: i64 = 1_796_000_000;

    fn previous(p: &Value, now: i64) -> Source {
        let q = LogQuery {
            previous: true,
            ..Default::default()
        };
        source(p, &q, now).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn a_crash_loop_prints_its_start_its_stack_trace_and_dies() {
        let p = pod("crash-loop", T0);
        let now = T0 + 60;
        let current = source(&p, &LogQuery::default(), now).unwrap_or_else(|e| panic!("{e:?}"));
        let previous = previous(&p, now);
        assert_eq!(previous.index + 1, current.index);
        assert_eq!(previous.run.ended.map(|(_, code)| code), Some(1));
        let text = render(
            &lines(&previous, now * 1000),
            &LogQuery::default(),
            now * 1000,
        );
        assert!(
            text.starts_with("level=info msg=\"starting web\" version=2.1.0 pid=1\n"),
            "{text}"
        );
        assert!(
            text.contains("java.net.ConnectException: Connection refused"),
            "{text}"
        );
        assert!(text.ends_with("Main.main(Main.java:17)\n"), "{text}");
    }

    #[test]
    fn tail_since_timestamps_and_limit() {
        let p = pod("", T0);
        let now = T0 + 600;
        let src = source(&p, &LogQuery::default(), now).unwrap_or_else(|e| panic!("{e:?}"));
        let all = lines(&src, now * 1000);
        assert!(all.len() > 250, "a request every 2 s: {}", all.len());
        let q = LogQuery {
            tail_lines: Some(3),
            timestamps: true,
            ..Default::default()
        };
        let text = render(&all, &q, now * 1000);
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.lines()
                .all(|l| l.starts_with("2026-11-30T") && l.contains("Z level=info msg=request")),
            "{text}"
        );
        let q = LogQuery {
            since_seconds: Some(10),
            ..Default::default()
        };
        let recent = render(&all, &q, now * 1000).lines().count();
        assert!((5..=6).contains(&recent), "{recent}");
        let cut = limit(
            "héllo\n".to_string(),
            &LogQuery {
                limit_bytes: Some(2),
                ..Default::default()
            },
        );
        assert_eq!(cut, "h", "never inside a character");
    }

    #[test]
    fn containers_that_never_ran_say_why() {
        let p = pod("image-pull", T0);
        let Err(err) = source(&p, &LogQuery::default(), T0 + 60) else {
            panic!("an error was expected")
        };
        assert!(
            err.message
                .contains("is waiting to start: ImagePullBackOff"),
            "{}",
            err.message
        );
        let healthy = pod("", T0);
        let Err(err) = source(
            &healthy,
            &LogQuery {
                previous: true,
                ..Default::default()
            },
            T0 + 60,
        ) else {
            panic!("an error was expected")
        };
        assert_eq!(
            err.message,
            "previous terminated container \"web\" in pod \"web-1\" not found"
        );
        let Err(err) = source(
            &healthy,
            &LogQuery {
                container: Some("db".into()),
                ..Default::default()
            },
            T0 + 60,
        ) else {
            panic!("an error was expected")
        };
        assert_eq!(err.message, "container db is not valid for pod web-1");
    }

    #[test]
    fn an_oom_kill_has_no_last_words_and_runs_agree_with_the_status() {
        let p = pod("oom", T0);
        let now = T0 + 30;
        let runs = controllers::runs(&p, now);
        assert!(
            runs.len() >= 2 && runs[0].ended.map(|(_, c)| c) == Some(137),
            "{runs:?}"
        );
        let src = previous(&p, now);
        let text = render(&lines(&src, now * 1000), &LogQuery::default(), now * 1000);
        assert!(text.trim_end().ends_with("heap=488Mi"), "{text}");
    }
}
