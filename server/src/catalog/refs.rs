//! Backstage entity references: `[kind:][namespace/]name`, compared case-insensitively.

use std::fmt;

/// Why a reference could not be read (shown with the descriptor's file and line).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("the reference is empty")]
    Empty,
    #[error("“{0}” has an empty kind before ':'")]
    EmptyKind(String),
    #[error("“{0}” needs a kind (for example component:{0})")]
    NeedsKind(String),
    #[error("“{0}” has an empty namespace before '/'")]
    EmptyNamespace(String),
    #[error("“{0}” has no name")]
    NoName(String),
    #[error("“{0}” is not of the form [kind:][namespace/]name")]
    Malformed(String),
}

/// A parsed reference. Parts keep the case they were written in; [`EntityRef::key`] is the lookup key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl EntityRef {
    /// Parses a reference the way Backstage's `parseEntityRef` does: a missing kind takes
    /// `default_kind` (an error when there is none), a missing namespace takes `default_namespace`.
    pub fn parse(
        raw: &str,
        default_kind: Option<&str>,
        default_namespace: &str,
    ) -> Result<Self, RefError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(RefError::Empty);
        }
        let colon = raw.find(':');
        let slash = raw.find('/');
        let (kind, rest) = match colon {
            Some(c) if slash.is_none_or(|s| c < s) => (Some(&raw[..c]), &raw[c + 1..]),
            _ => (None, raw),
        };
        let (namespace, name) = match rest.find('/') {
            Some(s) => (Some(&rest[..s]), &rest[s + 1..]),
            None => (None, rest),
        };
        let kind = match kind {
            Some("") => return Err(RefError::EmptyKind(raw.into())),
            Some(k) => k,
            None => default_kind.ok_or_else(|| RefError::NeedsKind(raw.into()))?,
        };
        let namespace = match namespace {
            Some("") => return Err(RefError::EmptyNamespace(raw.into())),
            Some(ns) => ns,
            None => default_namespace,
        };
        if name.is_empty() {
            return Err(RefError::NoName(raw.into()));
        }
        if name.contains([':', '/']) {
            return Err(RefError::Malformed(raw.into()));
        }
        Ok(Self {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    /// The canonical, lower-cased `kind:namespace/name` used for lookups.
    pub fn key(&self) -> String {
        format!(
            "{}:{}/{}",
            self.kind.to_ascii_lowercase(),
            self.namespace.to_ascii_lowercase(),
            self.name.to_ascii_lowercase()
        )
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str, kind: Option<&str>) -> Result<String, String> {
        EntityRef::parse(raw, kind, "default")
            .map(|r| r.key())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn resolves_like_backstage() {
        let cases = [
            ("payments", Some("group"), "group:default/payments"),
            ("group:payments", None, "group:default/payments"),
            ("group:default/payments", None, "group:default/payments"),
            ("Group:Default/Payments", None, "group:default/payments"),
            ("ops/platform", Some("group"), "group:ops/platform"),
            ("user:jane.doe", Some("group"), "user:default/jane.doe"),
            ("  payments ", Some("group"), "group:default/payments"),
        ];
        for (raw, kind, want) in cases {
            assert_eq!(parse(raw, kind).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn takes_the_namespace_given_as_default() {
        let r = EntityRef::parse("payments", Some("group"), "finance")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.key(), "group:finance/payments");
    }

    #[test]
    fn rejects_malformed_references() {
        for raw in ["", ":x", "group:/x", "group:a/", "a/b/c", "payments"] {
            assert!(
                parse(
                    raw,
                    if raw == "payments" {
                        None
                    } else {
                        Some("group")
                    }
                )
                .is_err(),
                "{raw:?}"
            );
        }
    }
}
