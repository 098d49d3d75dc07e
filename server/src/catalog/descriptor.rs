//! Reading Backstage descriptor files (`catalog-info.yaml`) into entities, locating every mistake to
//! file and line.
//!
//! Each YAML document is parsed on its own, so a broken document costs only itself: the others in the
//! same file, and every other file, still load.

use app::model::{CatalogProblem, ExternalLink, ProblemKind, Profile};
use regex::Regex;
use serde_norway::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The `apiVersion`s Backstage's catalog accepts for its built-in kinds.
pub const API_VERSIONS: [&str; 2] = ["backstage.io/v1alpha1", "backstage.io/v1beta1"];

/// The kinds the portal understands; anything else is kept as [`Kind::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Component,
    System,
    Group,
    Domain,
    Api,
    User,
    Other,
}

impl Kind {
    fn from_written(kind: &str) -> Self {
        match kind.to_ascii_lowercase().as_str() {
            "component" => Kind::Component,
            "system" => Kind::System,
            "group" => Kind::Group,
            "domain" => Kind::Domain,
            "api" => Kind::Api,
            "user" => Kind::User,
            _ => Kind::Other,
        }
    }

    /// The spec fields Backstage's schema for this kind requires.
    fn required_spec(self) -> &'static [&'static str] {
        match self {
            Kind::Component => &["type", "lifecycle", "owner"],
            Kind::Api => &["type", "lifecycle", "owner", "definition"],
            Kind::System | Kind::Domain => &["owner"],
            Kind::Group => &["type"],
            Kind::User | Kind::Other => &[],
        }
    }
}

/// Where something was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The `spec` fields the portal reads; absent ones are empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    pub kind: Option<String>,
    pub lifecycle: Option<String>,
    pub owner: Option<String>,
    pub system: Option<String>,
    pub domain: Option<String>,
    pub subcomponent_of: Option<String>,
    pub provides_apis: Vec<String>,
    pub consumes_apis: Vec<String>,
    pub depends_on: Vec<String>,
    pub parent: Option<String>,
    pub children: Vec<String>,
    pub members: Vec<String>,
    pub member_of: Vec<String>,
    pub profile: Profile,
}

/// One entity as written in a descriptor, before references are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    pub kind: Kind,
    /// The kind as written (`Component`, `Resource`…), for "other" entities and messages.
    pub kind_written: String,
    pub api_version: String,
    pub name: String,
    pub namespace: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub links: Vec<ExternalLink>,
    pub spec: Spec,
    /// The document's first line.
    pub location: Location,
    /// Lines of the fields that hold references, for problems found later (`spec.owner` → line).
    pub field_lines: BTreeMap<&'static str, usize>,
}

impl Descriptor {
    /// `kind:namespace/name`, lower-cased.
    pub fn key(&self) -> String {
        format!(
            "{}:{}/{}",
            self.kind_written.to_ascii_lowercase(),
            self.namespace.to_ascii_lowercase(),
            self.name.to_ascii_lowercase()
        )
    }

    /// The line of `field` (e.g. `spec.owner`), or the document's first line.
    pub fn line_of(&self, field: &str) -> usize {
        self.field_lines
            .get(field)
            .copied()
            .unwrap_or(self.location.line)
    }
}

/// Fields whose lines are remembered for later problems.
const LOCATED_FIELDS: [&str; 12] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.tags",
    "spec.owner",
    "spec.system",
    "spec.domain",
    "spec.parent",
    "spec.children",
    "spec.members",
    "spec.memberOf",
    "spec.type",
    "spec.lifecycle",
];

/// Largest descriptor file read; larger ones are a problem, not a memory spike.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Parses one file's text. `file` is the name problems carry.
pub fn parse_file(file: &str, text: &str) -> (Vec<Descriptor>, Vec<CatalogProblem>) {
    let mut entities = Vec::new();
    let mut problems = Vec::new();
    for doc in split_documents(text) {
        if doc.text.trim().is_empty() {
            continue;
        }
        match parse_document(file, &doc) {
            Ok(Some(entity)) => {
                let (entity, mut found) = entity;
                problems.append(&mut found);
                entities.push(entity);
            }
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    (entities, problems)
}

/// Problem for a file that could not be read as text.
pub fn unreadable(file: &str, message: impl Into<String>) -> CatalogProblem {
    CatalogProblem {
        kind: ProblemKind::Unreadable,
        file: file.to_string(),
        line: 1,
        entity: None,
        message: message.into(),
    }
}

/// One YAML document of a file and the line it starts on.
struct Document<'a> {
    /// 1-based line of the document's first line of text.
    start: usize,
    lines: Vec<&'a str>,
    text: String,
}

/// Splits a multi-document file at `---` lines, remembering each document's first line.
fn split_documents(text: &str) -> Vec<Document<'_>> {
    let mut docs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        let is_marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if is_marker || line == "..." {
            if !current.is_empty() {
                docs.push(document(start, std::mem::take(&mut current)));
            }
            start = i + 2;
            if is_marker && line.len() > 3 {
                // `--- value` : the document's content starts on the marker line itself.
                current.push(&line[4..]);
                start = i + 1;
            }
            continue;
        }
        current.push(line);
    }
    if !current.is_empty() {
        docs.push(document(start, current));
    }
    docs
}

fn document(start: usize, lines: Vec<&str>) -> Document<'_> {
    let text = lines.join("\n");
    Document { start, lines, text }
}

type Parsed = (Descriptor, Vec<CatalogProblem>);

fn parse_document(file: &str, doc: &Document<'_>) -> Result<Option<Parsed>, CatalogProblem> {
    let problem = |kind, line: usize, entity: Option<String>, message: String| CatalogProblem {
        kind,
        file: file.to_string(),
        line,
        entity,
        message,
    };
    let value: Value = serde_norway::from_str(&doc.text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(1);
        let message = shift_lines(&e.to_string(), doc.start - 1);
        problem(
            ProblemKind::YamlSyntax,
            doc.start + line - 1,
            None,
            format!("YAML syntax error: {message}"),
        )
    })?;
    if value.is_null() {
        return Ok(None);
    }
    let Value::Mapping(_) = &value else {
        return Err(problem(
            ProblemKind::InvalidShape,
            doc.start,
            None,
            "a descriptor must be a YAML mapping with apiVersion, kind, metadata and spec".into(),
        ));
    };
    let line_of = |path: &str| {
        let parts: Vec<&str> = path.split('.').collect();
        key_line(&doc.lines, &parts)
            .map(|l| doc.start + l)
            .unwrap_or(doc.start)
    };
    let mut found = Vec::new();
    let mut reader = Reader {
        value: &value,
        problems: &mut found,
        line_of: &line_of,
        file,
    };

    let api_version = reader.string("apiVersion");
    let kind_written = reader.string("kind");
    let name = reader.string("metadata.name");
    let namespace = reader
        .string("metadata.namespace")
        .unwrap_or_else(|| "default".into());
    let display = |kind: &Option<String>, name: &Option<String>| match (kind, name) {
        (Some(k), Some(n)) => Some(format!("{}:{}/{}", k.to_ascii_lowercase(), namespace, n)),
        _ => None,
    };
    let entity = display(&kind_written, &name);

    let mut missing = Vec::new();
    let Some(api_version) = api_version else {
        missing.push("apiVersion");
        return Err(problem(
            ProblemKind::MissingField,
            doc.start,
            entity,
            "required field apiVersion is missing".into(),
        ));
    };
    if !API_VERSIONS.contains(&api_version.as_str()) {
        return Err(problem(
            ProblemKind::UnknownApiVersion,
            line_of("apiVersion"),
            entity,
            format!(
                "unknown apiVersion “{api_version}”; expected one of {}",
                API_VERSIONS.join(", ")
            ),
        ));
    }
    let Some(kind_written) = kind_written else {
        return Err(problem(
            ProblemKind::MissingField,
            doc.start,
            entity,
            "required field kind is missing".into(),
        ));
    };
    let Some(name) = name else {
        return Err(problem(
            ProblemKind::MissingField,
            line_of("metadata"),
            None,
            format!("required field metadata.name is missing (kind {kind_written})"),
        ));
    };
    if !valid_name(&name) {
        return Err(problem(
            ProblemKind::InvalidValue,
            line_of("metadata.name"),
            entity,
            format!("metadata.name “{name}” is not a valid name: 1–63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"),
        ));
    }
    if !valid_namespace(&namespace) {
        return Err(problem(
            ProblemKind::InvalidValue,
            line_of("metadata.namespace"),
            entity,
            format!("metadata.namespace “{namespace}” is not a valid namespace: lower-case letters, digits and '-'"),
        ));
    }
    let kind = Kind::from_written(&kind_written);
    let spec = Spec {
        kind: reader.string("spec.type"),
        lifecycle: reader.string("spec.lifecycle"),
        owner: reader.string("spec.owner"),
        system: reader.string("spec.system"),
        domain: reader.string("spec.domain"),
        subcomponent_of: reader.string("spec.subcomponentOf"),
        provides_apis: reader.strings("spec.providesApis"),
        consumes_apis: reader.strings("spec.consumesApis"),
        depends_on: reader.strings("spec.dependsOn"),
        parent: reader.string("spec.parent"),
        children: reader.strings("spec.children"),
        members: reader.strings("spec.members"),
        member_of: reader.strings("spec.memberOf"),
        profile: Profile {
            display_name: reader.string("spec.profile.displayName"),
            email: reader.string("spec.profile.email"),
            picture: reader.string("spec.profile.picture"),
        },
    };
    for field in kind.required_spec() {
        let present = match *field {
            "definition" => lookup(&value, "spec.definition").is_some_and(|v| !v.is_null()),
            _ => lookup(&value, &format!("spec.{field}")).is_some_and(|v| !v.is_null()),
        };
        if !present {
            missing.push(*field);
        }
    }
    for field in missing {
        let at = if lookup(&value, "spec").is_some() {
            line_of("spec")
        } else {
            doc.start
        };
        reader.problems.push(problem(
            ProblemKind::MissingField,
            at,
            entity.clone(),
            format!("required field spec.{field} is missing for kind {kind_written}"),
        ));
    }
    let tags = reader.strings("metadata.tags");
    for tag in tags.iter().filter(|t| !valid_tag(t)) {
        reader.problems.push(problem(
            ProblemKind::InvalidValue,
            line_of("metadata.tags"),
            entity.clone(),
            format!("tag “{tag}” is not valid: lower-case letters, digits, ':', '+', '#' and single '-' between them, at most 63 characters"),
        ));
    }
    let descriptor = Descriptor {
        kind,
        api_version,
        name,
        namespace,
        title: reader.string("metadata.title"),
        description: reader.string("metadata.description"),
        labels: reader.string_map("metadata.labels"),
        annotations: reader.string_map("metadata.annotations"),
        tags,
        links: reader.links(),
        spec,
        location: Location {
            file: file.to_string(),
            line: doc.start,
        },
        field_lines: LOCATED_FIELDS.iter().map(|f| (*f, line_of(f))).collect(),
        kind_written,
    };
    Ok(Some((descriptor, found)))
}

/// Reads typed fields, turning wrong shapes into problems instead of failures.
struct Reader<'a, F: Fn(&str) -> usize> {
    value: &'a Value,
    problems: &'a mut Vec<CatalogProblem>,
    line_of: &'a F,
    file: &'a str,
}

impl<F: Fn(&str) -> usize> Reader<'_, F> {
    fn shape(&mut self, path: &str, expected: &str) {
        self.problems.push(CatalogProblem {
            kind: ProblemKind::InvalidShape,
            file: self.file.to_string(),
            line: (self.line_of)(path),
            entity: None,
            message: format!("{path} must be {expected}; the value is ignored"),
        });
    }

    fn string(&mut self, path: &str) -> Option<String> {
        match lookup(self.value, path)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.shape(path, "a string");
                None
            }
        }
    }

    fn strings(&mut self, path: &str) -> Vec<String> {
        match lookup(self.value, path) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => {
                let all: Option<Vec<String>> = items.iter().map(scalar).collect();
                all.unwrap_or_else(|| {
                    self.shape(path, "a list of strings");
                    Vec::new()
                })
            }
            Some(_) => {
                self.shape(path, "a list of strings");
                Vec::new()
            }
        }
    }

    fn string_map(&mut self, path: &str) -> BTreeMap<String, String> {
        match lookup(self.value, path) {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Mapping(map)) => {
                let all: Option<BTreeMap<String, String>> = map
                    .iter()
                    .map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
                    .collect();
                all.unwrap_or_else(|| {
                    self.shape(path, "a mapping of strings to strings");
                    BTreeMap::new()
                })
            }
            Some(_) => {
                self.shape(path, "a mapping of strings to strings");
                BTreeMap::new()
            }
        }
    }

    fn links(&mut self) -> Vec<ExternalLink> {
        let Some(Value::Sequence(items)) = lookup(self.value, "metadata.links") else {
            if lookup(self.value, "metadata.links").is_some_and(|v| !v.is_null()) {
                self.shape("metadata.links", "a list of {url, title}");
            }
            return Vec::new();
        };
        let mut links = Vec::new();
        for item in items {
            let field = |k: &str| item.get(k).and_then(scalar);
            match field("url") {
                Some(url) if is_web_url(&url) => links.push(ExternalLink {
                    title: field("title").unwrap_or_else(|| url.clone()),
                    url,
                    icon: field("icon"),
                    kind: field("type"),
                }),
                Some(url) => self.problems.push(CatalogProblem {
                    kind: ProblemKind::InvalidValue,
                    file: self.file.to_string(),
                    line: (self.line_of)("metadata.links"),
                    entity: None,
                    message: format!(
                        "link url “{url}” is not an http(s) or mailto URL; the link is ignored"
                    ),
                }),
                None => self.shape("metadata.links", "a list of links, each with a url"),
            }
        }
        links
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Links go into `href`s, so only schemes that cannot run script are kept.
fn is_web_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

static LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"line (\d+)").unwrap_or_else(|e| panic!("line pattern: {e}")));

/// The parser counts lines from the document's start; the user counts them from the file's.
fn shift_lines(message: &str, offset: usize) -> String {
    LINE.replace_all(message, |c: &regex::Captures<'_>| {
        let n: usize = c[1].parse().unwrap_or(0);
        format!("line {}", n + offset)
    })
    .into_owned()
}

static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
        .unwrap_or_else(|e| panic!("name pattern: {e}"))
});
static NAMESPACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$").unwrap_or_else(|e| panic!("namespace pattern: {e}"))
});
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9:+#]+(?:-[a-z0-9:+#]+)*$").unwrap_or_else(|e| panic!("tag pattern: {e}"))
});

/// Backstage's rule for `metadata.name`.
pub fn valid_name(name: &str) -> bool {
    (1..=63).contains(&name.len()) && NAME.is_match(name)
}

fn valid_namespace(ns: &str) -> bool {
    (1..=63).contains(&ns.len()) && NAMESPACE.is_match(ns)
}

fn valid_tag(tag: &str) -> bool {
    (1..=63).contains(&tag.len()) && TAG.is_match(tag)
}

/// 0-based index of the line holding `path` (`["spec", "owner"]`) in a block-style YAML document;
/// when an inner key is not on a line of its own (flow style), the line of the deepest key found.
fn key_line(lines: &[&str], path: &[&str]) -> Option<usize> {
    let mut from = 0;
    let mut to = lines.len();
    let mut parent_indent: Option<usize> = None;
    let mut found = None;
    for key in path {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().take(to).skip(from) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if parent_indent.is_some_and(|p| indent <= p) {
                break;
            }
            let bare = trimmed.trim_start_matches("- ");
            let unquoted = bare.trim_start_matches(['"', '\'']);
            if let Some(rest) = unquoted.strip_prefix(key) {
                let rest = rest.trim_start_matches(['"', '\'']);
                if rest.starts_with(':') {
                    hit = Some((i, indent));
                    break;
                }
            }
        }
        let Some((line, indent)) = hit else {
            return found;
        };
        found = Some(line);
        parent_indent = Some(indent);
        from = line + 1;
        to = lines.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Descriptor>, Vec<CatalogProblem>) {
        parse_file("catalog/x.yaml", text)
    }

    fn problem_at(problems: &[CatalogProblem], kind: ProblemKind) -> (String, usize) {
        let p = problems
            .iter()
            .find(|p| p.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} problem in {problems:#?}"));
        (p.file.clone(), p.line)
    }

    const COMPONENT: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout
  description: Takes the money.
  labels:
    tier: critical
  annotations:
    backstage.io/kubernetes-id: checkout
    backstage.io/kubernetes-namespace: shop
  tags: [java, grpc]
  links:
    - url: https://runbooks.example.com/checkout
      title: Runbook
      icon: docs
      type: runbook
    - url: javascript:alert(1)
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  system: shop
  providesApis: [checkout-api]
  consumesApis: [ledger-api]
  dependsOn: [resource:default/checkout-db]
";

    #[test]
    fn reads_every_field_of_a_component() {
        let (entities, problems) = parse(COMPONENT);
        assert_eq!(entities.len(), 1);
        let c = &entities[0];
        assert_eq!(c.kind, Kind::Component);
        assert_eq!(c.name, "checkout");
        assert_eq!(c.namespace, "default");
        assert_eq!(c.title.as_deref(), Some("Checkout"));
        assert_eq!(c.labels.get("tier").map(String::as_str), Some("critical"));
        assert_eq!(
            c.annotations
                .get("backstage.io/kubernetes-id")
                .map(String::as_str),
            Some("checkout")
        );
        assert_eq!(c.tags, vec!["java", "grpc"]);
        assert_eq!(c.links.len(), 1, "the javascript: link is dropped");
        assert_eq!(c.links[0].kind.as_deref(), Some("runbook"));
        assert_eq!(c.spec.kind.as_deref(), Some("service"));
        assert_eq!(c.spec.owner.as_deref(), Some("group:default/payments"));
        assert_eq!(c.spec.depends_on, vec!["resource:default/checkout-db"]);
        assert_eq!(c.location.line, 1);
        assert_eq!(c.line_of("spec.owner"), 22);
        assert_eq!(
            problem_at(&problems, ProblemKind::InvalidValue),
            ("catalog/x.yaml".into(), 13)
        );
    }

    #[test]
    fn reads_each_kind_from_a_multi_document_file() {
        let text = "\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop}
spec: {owner: payments, domain: commerce}
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {name: commerce}
spec: {owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
spec:
  type: team
  profile: {displayName: Payments, email: payments@example.com}
  parent: engineering
  children: []
  members: [jane]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: checkout-api}
spec: {type: openapi, lifecycle: production, owner: payments, definition: 'openapi: 3.0.0'}
---
apiVersion: backstage.io/v1beta1
kind: User
metadata: {name: jane}
spec: {memberOf: [payments]}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: checkout-db}
spec: {type: database, owner: payments}
";
        let (entities, problems) = parse(text);
        assert!(problems.is_empty(), "{problems:#?}");
        let kinds: Vec<Kind> = entities.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::System,
                Kind::Domain,
                Kind::Group,
                Kind::Api,
                Kind::User,
                Kind::Other
            ]
        );
        let lines: Vec<usize> = entities.iter().map(|e| e.location.line).collect();
        assert_eq!(lines, [1, 6, 11, 22, 27, 32]);
        let group = &entities[2];
        assert_eq!(
            group.spec.profile.email.as_deref(),
            Some("payments@example.com")
        );
        assert_eq!(group.spec.parent.as_deref(), Some("engineering"));
        assert_eq!(group.spec.members, vec!["jane"]);
        assert_eq!(group.line_of("spec.parent"), 18);
        assert_eq!(entities[4].spec.member_of, vec!["payments"]);
        assert_eq!(entities[5].kind_written, "Resource");
    }

    #[test]
    fn a_syntax_error_costs_only_its_document() {
        let text = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ok-one}
spec: {type: service, lifecycle: production, owner: a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken
  tags: [unclosed
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ok-two}
spec: {type: service, lifecycle: production, owner: a}
";
        let (entities, problems) = parse(text);
        let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["ok-one", "ok-two"]);
        let (file, line) = problem_at(&problems, ProblemKind::YamlSyntax);
        assert_eq!(file, "catalog/x.yaml");
        assert!(
            (10..=11).contains(&line),
            "syntax error reported at line {line}"
        );
        let message = &problems[0].message;
        assert!(
            message.contains(&format!("line {line}")),
            "the message counts lines from the file's start: {message}"
        );
    }

    #[test]
    fn missing_fields_are_named_with_their_line() {
        let text = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: no-owner
spec:
  type: service
  lifecycle: production
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  title: nameless
spec: {type: service}
---
kind: Component
metadata: {name: no-version}
";
        let (entities, problems) = parse(text);
        assert_eq!(entities.len(), 1, "the component without owner is kept");
        let messages: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert!(
            messages.contains(&(5, "required field spec.owner is missing for kind Component")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|(l, m)| *l == 11 && m.contains("metadata.name")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|(l, m)| *l == 15 && m.contains("apiVersion")),
            "{messages:?}"
        );
        assert!(problems.iter().all(|p| p.kind == ProblemKind::MissingField));
    }

    #[test]
    fn unknown_api_version_is_reported_at_its_line() {
        let text = "\n\nkind: Component\napiVersion: example.com/v1\nmetadata: {name: x}\n";
        let (entities, problems) = parse(text);
        assert!(entities.is_empty());
        assert_eq!(problem_at(&problems, ProblemKind::UnknownApiVersion).1, 4);
        assert_eq!(problems[0].entity.as_deref(), Some("component:default/x"));
    }

    #[test]
    fn invalid_names_tags_and_shapes_are_problems() {
        let text = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: -bad-
spec: {type: service, lifecycle: production, owner: a}
---
- just
- a list
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: fine
  tags: [Java]
  labels: [not, a, map]
spec: {type: service, lifecycle: production, owner: a}
";
        let (entities, problems) = parse(text);
        assert_eq!(entities.len(), 1);
        let got: Vec<(ProblemKind, usize)> = problems.iter().map(|p| (p.kind, p.line)).collect();
        assert_eq!(
            got,
            [
                (ProblemKind::InvalidValue, 4),
                (ProblemKind::InvalidShape, 7),
                (ProblemKind::InvalidValue, 14),
                (ProblemKind::InvalidShape, 15),
            ]
        );
    }

    #[test]
    fn alias_bombs_are_refused_not_expanded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = if i == 1 {
                "a".to_string()
            } else {
                format!("a{}", i - 1)
            };
            text.push_str(&format!("a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let (entities, problems) = parse(&text);
        assert!(entities.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::YamlSyntax);
    }

    #[test]
    fn empty_documents_and_comments_are_skipped() {
        let (entities, problems) = parse("---\n# nothing here\n---\n\n");
        assert!(entities.is_empty() && problems.is_empty());
    }

    #[test]
    fn key_lines_follow_nesting() {
        let lines: Vec<&str> = COMPONENT.lines().collect();
        assert_eq!(key_line(&lines, &["metadata", "name"]), Some(3));
        assert_eq!(key_line(&lines, &["spec", "system"]), Some(22));
        assert_eq!(key_line(&lines, &["spec", "nothing"]), Some(18));
        assert_eq!(key_line(&lines, &["nothing", "name"]), None);
    }
}
