//! `headcount import --people`: the accounts of every provider joined into
//! `people:` entries, by e-mail (case-insensitive), then by identical key.
//!
//! A person's attributes fill each account's person fields, so an account
//! writes only what differs from them: the file read back plans no change.
//! An account joins a person only when that holds: a vendor holding an
//! empty value where the person would fill one cannot be expressed, and
//! keeps the account apart. Accounts joined to no other are written as
//! plain entries.

use std::collections::HashMap;
use std::fmt::Write;

use crate::desired::values::plausible_email;
use crate::model::{DriverSchema, FieldType, Kind, PersonAttr, RemoteRecord, Value};
use crate::plan::normalize::{is_active, same};

use super::{entry_lines, field_lines, scalar};

/// One provider's accounts.
pub struct Source<'a> {
    pub provider: &'a str,
    pub schema: &'static DriverSchema,
    pub records: &'a [RemoteRecord],
}

/// A person's attributes, as far as known.
#[derive(Clone, Default)]
struct Attrs {
    name: Option<String>,
    surname: Option<String>,
    email: Option<String>,
}

impl Attrs {
    fn get(&self, attr: PersonAttr) -> Option<String> {
        match attr {
            PersonAttr::Name => self.name.clone(),
            PersonAttr::Surname => self.surname.clone(),
            PersonAttr::Email => self.email.clone(),
            PersonAttr::FullName => {
                let parts: Vec<&str> = [&self.name, &self.surname]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            }
        }
    }

    fn slot(&mut self, attr: PersonAttr) -> Option<&mut Option<String>> {
        match attr {
            PersonAttr::Name => Some(&mut self.name),
            PersonAttr::Surname => Some(&mut self.surname),
            PersonAttr::Email => Some(&mut self.email),
            PersonAttr::FullName => None,
        }
    }
}

/// What an account holds in one of its person fields.
enum Held {
    /// The vendor's read does not carry the field: never compared.
    Absent,
    /// Null, `""`, or (for an e-mail) not an address the file would take.
    Empty,
    Text(String),
}

fn held(schema: &DriverSchema, record: &RemoteRecord, field: &str) -> Held {
    let ty = schema.field(field).map_or(FieldType::String, |f| f.ty);
    match record.fields.get(field) {
        None => Held::Absent,
        Some(Value::Null) => Held::Empty,
        Some(Value::Str(s)) if s.is_empty() => Held::Empty,
        Some(Value::Str(s)) if ty == FieldType::Email && !plausible_email(s.trim()) => Held::Empty,
        Some(Value::Str(s)) => Held::Text(s.clone()),
        Some(Value::Int(i)) => Held::Text(i.to_string()),
        Some(_) => Held::Empty,
    }
}

struct Member<'a> {
    source: usize,
    record: &'a RemoteRecord,
}

struct Group<'a> {
    attrs: Attrs,
    members: Vec<Member<'a>>,
}

/// How a person's attributes meet an account's person fields.
#[derive(Default)]
struct Filled {
    /// Fields the person fills with the value the vendor holds: left out.
    same: Vec<&'static str>,
    /// Text fields the vendor holds empty where the person would fill
    /// them: written `""` in the account.
    blank: Vec<&'static str>,
}

/// How `attrs` meets `record`'s person fields, or `None` when the person
/// would fill an e-mail the vendor holds empty (the file cannot write an
/// empty e-mail, so the account cannot belong to this person).
fn filled(attrs: &Attrs, schema: &DriverSchema, record: &RemoteRecord) -> Option<Filled> {
    let mut filled = Filled::default();
    for (attr, field) in schema.person.mapped() {
        let ty = schema.field(field).map_or(FieldType::String, |f| f.ty);
        match (attrs.get(attr), held(schema, record, field)) {
            (_, Held::Absent) | (None, _) => {}
            (Some(_), Held::Empty) if ty == FieldType::String => filled.blank.push(field),
            (Some(_), Held::Empty) => return None,
            (Some(fill), Held::Text(have)) => {
                if same(ty, &Value::Str(fill), &Value::Str(have)) {
                    filled.same.push(field);
                }
            }
        }
    }
    Some(filled)
}

/// The attributes an account gives a new person.
fn attrs_of(schema: &DriverSchema, record: &RemoteRecord) -> Attrs {
    let mut attrs = Attrs::default();
    for (attr, field) in schema.person.mapped() {
        if let (Some(slot), Held::Text(v)) = (attrs.slot(attr), held(schema, record, field)) {
            *slot = Some(v.trim().to_string());
        }
    }
    attrs
}

impl Group<'_> {
    fn fits(&self, attrs: &Attrs, sources: &[Source<'_>]) -> bool {
        self.members
            .iter()
            .all(|m| filled(attrs, sources[m.source].schema, m.record).is_some())
    }

    fn id(&self) -> &str {
        self.members.first().map_or("", |m| m.record.key.as_str())
    }

    fn active(&self, sources: &[Source<'_>]) -> bool {
        self.members
            .iter()
            .any(|m| is_active(sources[m.source].schema, m.record) != Some(false))
    }
}

/// Joins the accounts of `sources` into people (two or more accounts
/// each) and the accounts joined to none.
fn join<'a>(sources: &[Source<'a>]) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    // Groups by e-mail (lower case) and by id: looked up, not searched, so
    // that importing N accounts stays linear.
    let mut by_email: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_id: HashMap<&'a str, Vec<usize>> = HashMap::new();
    for (si, source) in sources.iter().enumerate() {
        let mut records: Vec<&'a RemoteRecord> = source.records.iter().collect();
        records.sort_by(|a, b| a.key.cmp(&b.key));
        for record in records {
            let own = attrs_of(source.schema, record);
            let email = own.email.as_ref().map(|e| e.to_lowercase());
            let free = |g: &Group<'_>| {
                !g.members
                    .iter()
                    .any(|m| sources[m.source].provider == source.provider)
            };
            let found_by_email = email.as_ref().and_then(|e| {
                by_email
                    .get(e)
                    .and_then(|found| found.iter().copied().find(|&g| free(&groups[g])))
            });
            let found_by_key = || {
                by_id.get(record.key.as_str()).and_then(|found| {
                    found.iter().copied().find(|&g| {
                        let emails_differ = match (&groups[g].attrs.email, &email) {
                            (Some(a), Some(b)) => a.to_lowercase() != *b,
                            _ => false,
                        };
                        free(&groups[g]) && !emails_differ
                    })
                })
            };
            let joined = found_by_email
                .or_else(found_by_key)
                .filter(|&g| filled(&groups[g].attrs, source.schema, record).is_some());
            match joined {
                Some(g) => {
                    let group = &mut groups[g];
                    group.members.push(Member { source: si, record });
                    // The account may know what the person did not: take
                    // each such attribute while every account still fits.
                    for attr in [PersonAttr::Name, PersonAttr::Surname, PersonAttr::Email] {
                        let Some(value) = own.get(attr) else { continue };
                        if group.attrs.get(attr).is_some() {
                            continue;
                        }
                        let mut tried = group.attrs.clone();
                        if let Some(slot) = tried.slot(attr) {
                            *slot = Some(value);
                        }
                        if group.fits(&tried, sources) {
                            group.attrs = tried;
                            if let (PersonAttr::Email, Some(e)) = (attr, &group.attrs.email) {
                                by_email.entry(e.to_lowercase()).or_default().push(g);
                            }
                        }
                    }
                }
                None => {
                    let g = groups.len();
                    if let Some(e) = &email {
                        by_email.entry(e.clone()).or_default().push(g);
                    }
                    by_id.entry(record.key.as_str()).or_default().push(g);
                    groups.push(Group {
                        attrs: own,
                        members: vec![Member { source: si, record }],
                    });
                }
            }
        }
    }
    groups
}

/// The YAML text of the accounts of `sources` as `people:` entries (sorted
/// by id), then the accounts joined to no other as plain entries.
pub fn people_yaml(sources: &[Source<'_>]) -> String {
    let mut groups = join(sources);
    groups.sort_by(|a, b| a.id().cmp(b.id()));
    let (people, alone): (Vec<Group<'_>>, Vec<Group<'_>>) =
        groups.into_iter().partition(|g| g.members.len() > 1);
    let accounts: usize = sources.iter().map(|s| s.records.len()).sum();
    let providers: Vec<&str> = sources.iter().map(|s| s.provider).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `headcount import --people` from {}: {} account(s), {} {} joined by e-mail or key; {} account(s) joined to no other are plain entries.",
        providers.join(", "),
        accounts,
        people.len(),
        if people.len() == 1 { "person" } else { "people" },
        alone.len()
    );
    let _ = writeln!(
        out,
        "# Passwords cannot be read back: each account references a variable to set before a create or edit needs it."
    );
    if !people.is_empty() {
        out.push_str("people:\n");
        for (group, id) in people.iter().zip(unique_ids(&people)) {
            person_yaml(&mut out, &id, group, sources);
        }
    }
    for kind in [Kind::Agent, Kind::User] {
        let plain: Vec<&Member<'_>> = alone
            .iter()
            .flat_map(|g| &g.members)
            .filter(|m| sources[m.source].schema.kind == kind)
            .collect();
        if plain.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{}:", kind.section());
        let mut plain = plain;
        plain.sort_by_key(|m| (m.source, m.record.key.as_str()));
        for m in plain {
            let source = &sources[m.source];
            entry_lines(&mut out, source.provider, source.schema, m.record);
        }
    }
    out
}

/// An id per person, unique: the first of its accounts' keys no earlier
/// person took, else the first key with `-2`, `-3`, ...
fn unique_ids(people: &[Group<'_>]) -> Vec<String> {
    let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
    people
        .iter()
        .map(|g| {
            let id = g
                .members
                .iter()
                .map(|m| m.record.key.as_str())
                .find(|k| !used.contains(*k))
                .map(str::to_string)
                .unwrap_or_else(|| {
                    (2..)
                        .map(|n| format!("{}-{n}", g.id()))
                        .find(|c| !used.contains(c))
                        .unwrap_or_default()
                });
            used.insert(id.clone());
            id
        })
        .collect()
}

fn person_yaml(out: &mut String, id: &str, group: &Group<'_>, sources: &[Source<'_>]) {
    let _ = writeln!(out, "  - id: {}", scalar(id));
    for (name, value) in [
        ("name", &group.attrs.name),
        ("surname", &group.attrs.surname),
        ("email", &group.attrs.email),
    ] {
        if let Some(v) = value {
            let _ = writeln!(out, "    {name}: {}", scalar(v));
        }
    }
    let person_active = group.active(sources);
    if !person_active {
        out.push_str("    active: false\n");
    }
    out.push_str("    accounts:\n");
    for m in &group.members {
        let source = &sources[m.source];
        let schema = source.schema;
        // `filled` held when the account joined, and every later attribute
        // was taken only while it still held.
        let filled = filled(&group.attrs, schema, m.record).unwrap_or_default();
        let mut skip = filled.same;
        let account_active = is_active(schema, m.record);
        if !person_active || account_active != Some(false) {
            skip.push(schema.active_field);
        }
        let mut lines = String::new();
        if m.record.key != id {
            let _ = writeln!(
                lines,
                "        {}: {}",
                schema.key_field,
                scalar(&m.record.key)
            );
        }
        for field in filled.blank {
            let _ = writeln!(lines, "        {field}: \"\"");
        }
        lines.push_str(&field_lines(
            source.provider,
            schema,
            m.record,
            "        ",
            &skip,
        ));
        if lines.is_empty() {
            let _ = writeln!(out, "      {}: {{}}", scalar(source.provider));
        } else {
            let _ = writeln!(out, "      {}:", scalar(source.provider));
            out.push_str(&lines);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::rec;
    use super::*;
    use crate::drivers::{ccp, dnl, thulium};

    fn source<'a>(provider: &'a str, records: &'a [RemoteRecord]) -> Source<'a> {
        let schema = match provider {
            "thulium" => &thulium::SCHEMA,
            "ccp" => &ccp::SCHEMA,
            _ => &dnl::SCHEMA,
        };
        Source {
            provider,
            schema,
            records,
        }
    }

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn accounts_join_by_email_then_key_and_write_only_what_differs() {
        let th = [rec(
            "jkowalski",
            &[
                ("login", s("jkowalski")),
                ("name", s("Jan")),
                ("surname", s("Kowalski")),
                ("number", Value::Int(5634)),
                ("email", s("JKowalski@example.com")),
                ("active", Value::Bool(true)),
            ],
        )];
        let cc = [
            rec(
                "jan.k",
                &[
                    ("username", s("jan.k")),
                    ("first_name", s("Jan")),
                    ("email", s("jkowalski@example.com")),
                    ("is_active", Value::Bool(false)),
                ],
            ),
            rec(
                "solo",
                &[("username", s("solo")), ("email", s("solo@example.com"))],
            ),
        ];
        let dn = [rec(
            "jkowalski",
            &[
                ("name", s("jkowalski")),
                ("fullname", s("Jan Kowalski")),
                ("email", s("")),
                ("active", Value::Bool(true)),
            ],
        )];
        let yaml = people_yaml(&[
            source("thulium", &th),
            source("ccp", &cc),
            source("dnl", &dn),
        ]);
        // Thulium and CCP join by e-mail (case aside); CCP keeps its own
        // username and its suspension.
        assert!(yaml.contains("people:\n  - id: jkowalski\n    name: Jan\n    surname: Kowalski\n    email: JKowalski@example.com\n    accounts:\n      thulium:\n        number: \"5634\"\n"), "{yaml}");
        assert!(
            yaml.contains("      ccp:\n        username: jan.k\n"),
            "{yaml}"
        );
        assert!(yaml.contains("        is_active: false\n"), "{yaml}");
        assert!(!yaml.contains("first_name"), "filled by the person: {yaml}");
        // DNL holds an empty e-mail the person would fill: kept apart.
        assert!(
            yaml.contains("users:\n  - provider: ccp\n    username: solo\n"),
            "{yaml}"
        );
        assert!(
            yaml.contains("  - provider: dnl\n    name: jkowalski\n"),
            "{yaml}"
        );
    }

    #[test]
    fn ids_stay_unique_and_an_empty_name_is_written_empty() {
        // Two people whose first accounts share the key `jk` (different
        // e-mails); CCP holds no first name.
        let th = [rec(
            "jk",
            &[
                ("login", s("jk")),
                ("name", s("Jan")),
                ("email", s("a@x.com")),
            ],
        )];
        let cc = [rec(
            "jk",
            &[
                ("username", s("jk")),
                ("first_name", Value::Null),
                ("email", s("b@x.com")),
            ],
        )];
        let dn = [
            rec("u1", &[("name", s("u1")), ("email", s("a@x.com"))]),
            rec(
                "u2",
                &[
                    ("name", s("u2")),
                    ("first_name", s("Johann")),
                    ("email", s("b@x.com")),
                ],
            ),
        ];
        let yaml = people_yaml(&[
            source("thulium", &th),
            source("ccp", &cc),
            source("dnl", &dn),
        ]);
        assert_eq!(yaml.matches("  - id: jk\n").count(), 1, "{yaml}");
        // The CCP person takes DNL's key, and writes its own username; the
        // name DNL gives it is written empty on CCP.
        assert!(
            yaml.contains("  - id: u2\n    name: Johann\n    email: b@x.com\n"),
            "{yaml}"
        );
        assert!(
            yaml.contains("      ccp:\n        username: jk\n        first_name: \"\"\n"),
            "{yaml}"
        );
    }

    #[test]
    fn a_person_whose_accounts_are_all_suspended_is_inactive() {
        let th = [rec(
            "x",
            &[
                ("login", s("x")),
                ("name", s("X")),
                ("active", Value::Bool(false)),
            ],
        )];
        let dn = [rec(
            "x",
            &[("name", s("x")), ("active", Value::Bool(false))],
        )];
        let yaml = people_yaml(&[source("thulium", &th), source("dnl", &dn)]);
        assert!(
            yaml.contains("  - id: x\n    name: X\n    active: false\n"),
            "{yaml}"
        );
        assert!(!yaml.contains("    active: false\n        "), "{yaml}");
        assert_eq!(yaml.matches("active").count(), 1, "{yaml}");
    }
}
