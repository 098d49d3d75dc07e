//! View types shared by the server, the JSON API and the browser, one file per view (`catalog`,
//! `service`, `clusters`, `errors`, `autoscaling`, `pod`); everything is re-exported here.
//!
//! Plain serde structs with no `cfg`: they are what crosses the wire, so the WASM stays small and the
//! API stays stable whatever the server keeps internally.

mod autoscaling;
mod catalog;
mod clusters;
mod errors;
mod pod;
mod service;
mod timeline;

pub use autoscaling::*;
pub use catalog::*;
pub use clusters::*;
pub use errors::*;
pub use pod::*;
pub use service::*;
pub use timeline::*;

/// Longest filter value kept; longer input is cut rather than refused.
pub(crate) const MAX_FILTER: usize = 200;

/// The most characters of free text from a cluster (messages, causes, event text) a view shows.
pub const MAX_TEXT: usize = 1_000;

/// Cuts text that came from a cluster to [`MAX_TEXT`] characters, saying how much was left out,
/// so a megabyte-long message can neither bloat a page nor break its layout.
pub fn clip(text: String) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        None => text,
        // Clipped once already (text is clipped when cached, and again when shown).
        Some((end, _)) if is_clip_note(&text[end..]) => text,
        Some((end, _)) => {
            let rest = text[end..].chars().count();
            format!("{}… ({rest} more characters)", &text[..end])
        }
    }
}

fn is_clip_note(tail: &str) -> bool {
    tail.strip_prefix("… (")
        .and_then(|t| t.strip_suffix(" more characters)"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters pass through).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cluster_text_is_clipped_at_a_character_boundary_with_what_was_left_out() {
        assert_eq!(clip("short".into()), "short");
        let exact = "é".repeat(MAX_TEXT);
        assert_eq!(clip(exact.clone()), exact);
        let long = format!("{}{}", "\u{202E}".repeat(MAX_TEXT), "x".repeat(1024 * 1024));
        let clipped = clip(long);
        assert_eq!(
            clipped.chars().filter(|c| *c == '\u{202E}').count(),
            MAX_TEXT
        );
        assert!(
            clipped.ends_with("… (1048576 more characters)"),
            "{}",
            &clipped[clipped.len() - 40..]
        );
        assert_eq!(
            clip(clipped.clone()),
            clipped,
            "clipping twice changes nothing"
        );
    }

    #[test]
    fn query_string_round_trips_the_filters() {
        let q = CatalogQuery {
            q: "pay ment&x".into(),
            owner: "payments".into(),
            ..Default::default()
        };
        assert_eq!(q.to_query_string(), "?q=pay%20ment%26x&owner=payments");
        assert_eq!(CatalogQuery::default().to_query_string(), "");
    }

    #[test]
    fn sorting_by_the_same_column_flips_direction() {
        let q = CatalogQuery::default();
        let by_owner = q.sorted_by("owner");
        assert_eq!(
            (by_owner.sort.as_str(), by_owner.dir.as_str()),
            ("owner", "")
        );
        let flipped = by_owner.sorted_by("owner");
        assert_eq!(flipped.dir, "desc");
        assert_eq!(flipped.sorted_by("owner").dir, "");
        assert_eq!(q.sorted_by("name").dir, "desc");
    }

    #[test]
    fn long_values_are_cut_on_a_char_boundary() {
        let q = CatalogQuery::from_params(|k| (k == "q").then(|| "é".repeat(300)));
        assert!(q.q.len() <= 200);
        assert!(q.q.chars().all(|c| c == 'é'));
    }

    #[test]
    fn view_types_round_trip_through_json() {
        // The summary is written flattened and read back through ServiceDetailWire: every field
        // set to something other than its default shows a field the wire type reads wrongly.
        let link = EntityLink {
            entity_ref: "group:default/team".into(),
            kind: "group".into(),
            namespace: "default".into(),
            name: "team".into(),
            title: "Team".into(),
            exists: true,
        };
        let detail = ServiceDetail {
            clusters: vec![ServiceCluster::default()],
            errors: vec![Finding::default()],
            autoscalers: vec![AutoscalerView::default()],
            source: "catalog/x.yaml:3".into(),
            generated_at: Some("2026-12-03T08:00:00Z".into()),
            ..ServiceDetail::new(ServiceSummary {
                name: "x".into(),
                namespace: "default".into(),
                title: "X".into(),
                description: "d".into(),
                owner: Some(link.clone()),
                system: Some(link),
                lifecycle: "production".into(),
                kind: "service".into(),
                tags: vec!["t".into()],
                health: HealthSummary::default(),
                discovered: true,
                cluster_names: vec!["c".into()],
                regions: vec!["eu".into()],
            })
        };
        let text = serde_json::to_string(&detail).unwrap_or_default();
        let back: ServiceDetail =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(back, detail);
        // The bundle's reader reads it the same.
        let back: ServiceDetail =
            crate::codec::from_json(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(back, detail);
    }

    #[test]
    fn entity_links_point_at_their_pages() {
        let link = |kind: &str, exists| EntityLink {
            entity_ref: format!("{kind}:default/x"),
            kind: kind.into(),
            namespace: "default".into(),
            name: "x".into(),
            title: "X".into(),
            exists,
        };
        assert_eq!(link("group", true).href().as_deref(), Some("/teams/x"));
        assert_eq!(
            link("component", true).href().as_deref(),
            Some("/services/x")
        );
        assert_eq!(link("group", false).href(), None);
        assert_eq!(link("api", true).href(), None);
    }
}
