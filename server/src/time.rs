//! How times are shown: shared by the rules, the autoscaling model and the views, so none of them
//! reaches into the watch code for it.

/// A timestamp as the API shows it.
pub fn rfc3339(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Whole seconds since `t`.
pub fn age_seconds(t: jiff::Timestamp) -> i64 {
    (jiff::Timestamp::now().as_second() - t.as_second()).max(0)
}
