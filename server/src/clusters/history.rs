//! The last hour of each HPA's replica count, kept in memory from watch events (no metrics server
//! needed): a point whenever the count changes.

use app::model::ReplicaPoint;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// How far back the history goes.
const WINDOW_SECONDS: i64 = 3600;
/// At most this many points per HPA (one change every 15 s for an hour).
const MAX_POINTS: usize = 240;

/// (seconds, replicas) points, oldest first.
type Series = VecDeque<(i64, i32)>;

/// Replica counts by (namespace, name), per cluster.
#[derive(Default)]
pub struct ReplicaHistory {
    series: Mutex<HashMap<(String, String), Series>>,
}

impl ReplicaHistory {
    /// Records the count seen at `now` (seconds); only changes are kept.
    pub fn record(&self, namespace: &str, name: &str, replicas: i32, now: i64) {
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let s = series
            .entry((namespace.to_string(), name.to_string()))
            .or_default();
        if s.back().is_some_and(|(_, r)| *r == replicas) {
            return;
        }
        s.push_back((now, replicas));
        // Keep one point older than the window: the count at the window's start.
        while s.len() > MAX_POINTS || (s.len() > 1 && s[1].0 < now - WINDOW_SECONDS) {
            s.pop_front();
        }
    }

    /// Puts counts from before this process started (the recorded history, oldest first) ahead of
    /// what the watch has seen since, so the hour reaches back beyond a restart.
    pub fn preload(&self, namespace: &str, name: &str, earlier: &[(i64, i32)], now: i64) {
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let s = series
            .entry((namespace.to_string(), name.to_string()))
            .or_default();
        let first = s.front().map(|(t, _)| *t);
        let mut merged: Series = VecDeque::new();
        for &(t, r) in earlier {
            if first.is_some_and(|f| t >= f) || merged.back().is_some_and(|(_, b)| *b == r) {
                continue;
            }
            merged.push_back((t, r));
        }
        for p in s.drain(..) {
            if merged.back().is_some_and(|(_, b)| *b == p.1) {
                continue;
            }
            merged.push_back(p);
        }
        while merged.len() > MAX_POINTS || (merged.len() > 1 && merged[1].0 < now - WINDOW_SECONDS)
        {
            merged.pop_front();
        }
        *s = merged;
    }

    /// Forgets a deleted HPA.
    pub fn remove(&self, namespace: &str, name: &str) {
        self.series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(namespace.to_string(), name.to_string()));
    }

    /// The last hour, oldest first, as seconds before `now`; the count at the window's start is
    /// clamped to the window, and the current count closes the series at 0 s.
    pub fn points(&self, namespace: &str, name: &str, now: i64) -> Vec<ReplicaPoint> {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(s) = series.get(&(namespace.to_string(), name.to_string())) else {
            return Vec::new();
        };
        let mut out: Vec<ReplicaPoint> = s
            .iter()
            .map(|(t, r)| ReplicaPoint {
                seconds_ago: (now - t).clamp(0, WINDOW_SECONDS),
                replicas: *r,
            })
            .collect();
        if let Some(last) = out.last().cloned() {
            if last.seconds_ago > 0 {
                out.push(ReplicaPoint {
                    seconds_ago: 0,
                    replicas: last.replicas,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_counts_go_before_what_the_watch_saw() {
        let h = ReplicaHistory::default();
        h.record("shop", "cart", 6, 5000);
        h.preload(
            "shop",
            "cart",
            &[(1000, 2), (1500, 2), (3000, 4), (5200, 9)],
            5400,
        );
        let got: Vec<(i64, i32)> = h
            .points("shop", "cart", 5400)
            .into_iter()
            .map(|p| (p.seconds_ago, p.replicas))
            .collect();
        // 1000 s is out of the hour but its count held at the hour's start (clamped); 5200 s is
        // after the watch's first count and is not taken.
        assert_eq!(got, [(3600, 2), (2400, 4), (400, 6), (0, 6)]);
    }

    #[test]
    fn keeps_changes_within_the_hour() {
        let h = ReplicaHistory::default();
        for (t, r) in [(0, 3), (100, 3), (200, 5), (4000, 8), (4100, 6)] {
            h.record("ns", "web", r, t);
        }
        let p: Vec<(i64, i32)> = h
            .points("ns", "web", 4200)
            .iter()
            .map(|p| (p.seconds_ago, p.replicas))
            .collect();
        assert_eq!(p, vec![(3600, 5), (200, 8), (100, 6), (0, 6)]);
        assert!(h.points("ns", "other", 4200).is_empty());
    }
}
