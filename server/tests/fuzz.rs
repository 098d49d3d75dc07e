//! Property tests ("fuzzing" with proptest) of what reads untrusted text: the descriptor parser and
//! the label selectors of descriptors. Inputs that once broke them stay in `proptest-regressions/`;
//! hand-picked nasty inputs (alias bombs, 20,000-deep nesting, markup, BOM and tabs…) are kept in
//! `tests/corpus/descriptors/` and checked on every run.

mod common;

use kubesim::selector::LabelSelector;
use proptest::prelude::*;
use server::catalog::descriptor::parse_file;
use std::collections::BTreeMap;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/descriptors");

/// Parses `text` and checks what any input must give: no panic, and every problem naming the file
/// and a line inside it.
fn parses_sanely(file: &str, text: &str) {
    let (_, problems) = parse_file(file, text);
    let lines = text.lines().count().max(1);
    for p in problems {
        assert_eq!(p.file, file);
        assert!(
            p.line >= 1 && p.line <= lines + 1,
            "{file}: line {} of {lines}: {}",
            p.line,
            p.message
        );
        assert!(!p.message.is_empty());
    }
}

#[test]
fn every_kept_input_parses_without_harm() {
    let files = common::yaml_files(std::path::Path::new(CORPUS));
    assert!(files.len() >= 10, "{} kept inputs", files.len());
    for (name, text) in &files {
        parses_sanely(name, text);
    }
    // The valid one still reads as what it says.
    let text =
        std::fs::read_to_string(format!("{CORPUS}/valid-component.yaml")).unwrap_or_default();
    let (descriptors, problems) = parse_file("valid-component.yaml", &text);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(descriptors.len(), 2);
}

/// YAML-ish text: the characters YAML gives meaning to, words and line breaks.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("apiVersion: backstage.io/v1alpha1\n".to_string()),
        Just("kind: Component\n".to_string()),
        Just("metadata:\n".to_string()),
        Just("  name: ".to_string()),
        Just("spec:\n".to_string()),
        Just("---\n".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("- ".to_string()),
        Just("? ".to_string()),
        Just("!!binary ".to_string()),
        Just("|\n".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\t".to_string()),
        Just("\u{202E}".to_string()),
        "[a-z0-9:#,. -]{0,12}",
        "\n {0,6}",
    ];
    proptest::collection::vec(token, 0..80).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_without_harm(text in any::<String>()) {
        parses_sanely("any.yaml", &text);
    }

    #[test]
    fn yaml_like_text_parses_without_harm(text in yamlish()) {
        parses_sanely("yamlish.yaml", &text);
    }

    #[test]
    fn a_damaged_descriptor_parses_without_harm(at in 0usize..400, cut in 0usize..40, insert in "[\\[\\]{}&*:|>\"' \n-]{0,6}") {
        let text = std::fs::read_to_string(format!("{CORPUS}/valid-component.yaml")).unwrap_or_default();
        let mut chars: Vec<char> = text.chars().collect();
        let at = at.min(chars.len());
        let end = (at + cut).min(chars.len());
        chars.splice(at..end, insert.chars());
        parses_sanely("damaged.yaml", &chars.into_iter().collect::<String>());
    }

    #[test]
    fn any_selector_text_parses_or_is_refused(text in any::<String>()) {
        let _ = LabelSelector::parse(&text);
    }

    #[test]
    fn selectors_match_as_kubernetes_defines_them(
        reqs in proptest::collection::vec((0u8..6, "[a-c]", proptest::collection::vec("[x-z]", 1..3)), 1..4),
        labels in proptest::collection::btree_map("[a-c]", "[x-z]", 0..3),
    ) {
        let text: Vec<String> = reqs.iter().map(|(op, key, values)| match op {
            0 => format!("{key}={}", values[0]),
            1 => format!("{key}!={}", values[0]),
            2 => format!("{key} in ({})", values.join(",")),
            3 => format!("{key} notin ({})", values.join(",")),
            4 => key.clone(),
            _ => format!("!{key}"),
        }).collect();
        let text = text.join(",");
        let selector = LabelSelector::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let want = reqs.iter().all(|(op, key, values)| expected(*op, key, values, &labels));
        prop_assert_eq!(selector.matches_labels(|k| labels.get(k).map(String::as_str)), want, "{} on {:?}", text, labels);
    }
}

/// The Kubernetes meaning of one requirement (`!=` and `notin` also match a missing label).
fn expected(op: u8, key: &str, values: &[String], labels: &BTreeMap<String, String>) -> bool {
    let v = labels.get(key);
    match op {
        0 => v == Some(&values[0]),
        1 => v != Some(&values[0]),
        2 => v.is_some_and(|v| values.contains(v)),
        3 => v.is_none_or(|v| !values.contains(v)),
        4 => v.is_some(),
        _ => v.is_none(),
    }
}
