//! Who may read a service's logs and object YAML: a pure rule over who is asking (the auth
//! proxy's identity and groups headers) and who owns the service (the catalog's Group).

/// Who is asking, as the auth proxy says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    /// The identity header's value (a user name or an e-mail address).
    pub identity: Option<String>,
    /// The groups header's entries.
    pub groups: Vec<String>,
}

/// A service's owners: its owning Group (or User) with its members.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Owners {
    /// The Group's (or User's) name.
    pub name: String,
    /// Shown in the refusal ("Only members of Payments may read these logs").
    pub title: String,
    /// Member User names.
    pub users: Vec<String>,
    /// Member e-mail addresses (`spec.profile.email`).
    pub emails: Vec<String>,
}

/// The rule in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// Requests carry an identity (`--identity-header`): the rule applies. Without one (local
    /// use, the demo) everything is open.
    pub enforced: bool,
    /// Members of this group may read every service's logs (`--admin-group`).
    pub admin_group: Option<String>,
}

/// The answer, with the reason for the audit line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// No identity header is configured.
    Open,
    /// A member of the owning team, or of the admin group.
    Member { via: String },
    /// Everyone else; says whose members may.
    Refused { owners: Option<String> },
}

impl Decision {
    pub fn allowed(&self) -> bool {
        !matches!(self, Decision::Refused { .. })
    }

    /// The decision as the audit line records it.
    pub fn verdict(&self) -> &str {
        match self {
            Decision::Open => "open",
            Decision::Member { via } => via,
            Decision::Refused { .. } => "refused",
        }
    }

    /// The sentence a refused user reads, for `what` ("these logs", "this object").
    pub fn refusal(&self, what: &str) -> String {
        match self {
            Decision::Refused { owners: Some(t) } => {
                format!("Only members of {t} may read {what}.")
            }
            Decision::Refused { owners: None } => format!(
                "Only the service's owners may read {what}, and the catalog names no owning team."
            ),
            _ => String::new(),
        }
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Decides whether `viewer` may read what `owners` own.
pub fn decide(rule: &Rule, viewer: &Viewer, owners: Option<&Owners>) -> Decision {
    if !rule.enforced {
        return Decision::Open;
    }
    if let Some(admin) = &rule.admin_group {
        if viewer.groups.iter().any(|g| same(g, admin)) {
            return Decision::Member {
                via: format!("admin group {admin}"),
            };
        }
    }
    let Some(o) = owners else {
        return Decision::Refused { owners: None };
    };
    let who = viewer.identity.as_deref().unwrap_or_default();
    let by_identity = !who.trim().is_empty()
        && (o.users.iter().chain(&o.emails).any(|m| same(m, who)) || same(&o.name, who));
    if by_identity {
        return Decision::Member {
            via: format!("member of {}", o.name),
        };
    }
    if viewer.groups.iter().any(|g| same(g, &o.name)) {
        return Decision::Member {
            via: format!("group {}", o.name),
        };
    }
    Decision::Refused {
        owners: Some(o.title.clone()),
    }
}

/// The groups header's entries: comma separated, trimmed, empty ones dropped.
pub fn parse_groups(header: Option<&str>) -> Vec<String> {
    header
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payments() -> Owners {
        Owners {
            name: "payments".into(),
            title: "Payments".into(),
            users: vec!["jane".into()],
            emails: vec!["jane@example.com".into()],
        }
    }

    fn viewer(identity: &str, groups: &str) -> Viewer {
        Viewer {
            identity: Some(identity.into()),
            groups: parse_groups(Some(groups)),
        }
    }

    #[test]
    fn who_may_read() {
        let rule = Rule {
            enforced: true,
            admin_group: Some("platform-admins".into()),
        };
        let o = payments();
        let table = [
            ("jane", "", true),
            ("Jane@Example.com", "", true),
            ("bob@example.com", "", false),
            ("bob@example.com", "design, payments", true),
            ("bob@example.com", "platform-admins", true),
            ("", "", false),
        ];
        for (identity, groups, allowed) in table {
            let d = decide(&rule, &viewer(identity, groups), Some(&o));
            assert_eq!(d.allowed(), allowed, "{identity} {groups}: {d:?}");
        }
        let refused = decide(&rule, &viewer("bob", ""), Some(&o));
        assert_eq!(
            refused.refusal("these logs"),
            "Only members of Payments may read these logs."
        );
        assert!(!decide(&rule, &viewer("jane", ""), None).allowed());
        let open = decide(&Rule::default(), &Viewer::default(), None);
        assert_eq!(open, Decision::Open);
    }
}
