//! `people:`: one entry per person, with an account on each provider. Each
//! account is checked as an entry of its provider's section (see
//! [`Checker::account`]), its key field defaulting to the person's `id` and
//! the vendor's person fields filled from the person's attributes.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::model::{FieldSpec, FieldType, PersonAttr};

use super::super::diagnostics::{Problem, Span};
use super::super::types::{Entry, Person};
use super::super::values;
use super::super::yaml::{Node, Yaml};
use super::entry::{unknown_provider_help, Account, PersonCtx};
use super::provider::ProviderInfo;
use super::{find, span, Checker};

/// The fields a person takes.
pub const PERSON_FIELDS: &[&str] = &[
    "id", "name", "surname", "email", "active", "start", "end", "accounts",
];

static NAME: FieldSpec = FieldSpec::new("name", FieldType::String, "Given name.");
static SURNAME: FieldSpec = FieldSpec::new("surname", FieldType::String, "Family name.");
static EMAIL: FieldSpec = FieldSpec::new("email", FieldType::Email, "E-mail address.");
static ACTIVE: FieldSpec = FieldSpec::new("active", FieldType::Boolean, "Whether active.");

/// A person's accounts: each entry, the span of its key, and the number of
/// problems before it was checked.
type Accounts = Vec<(Entry, Span, usize)>;

impl Checker {
    /// One `people:` entry and its accounts. `ids` holds the ids seen so far
    /// (a person listed twice is reported with both places).
    pub(super) fn person(
        &mut self,
        index: usize,
        item: &Node,
        infos: &IndexMap<String, ProviderInfo>,
        ids: &mut HashMap<Arc<str>, (usize, Span)>,
    ) -> Option<(Person, Accounts)> {
        let entries = match &item.value {
            Yaml::Map(entries) => entries,
            other => {
                self.push(
                    self.problem(
                        "wrong_type",
                        format!(
                            "person #{} must be a mapping of fields, found {}",
                            index + 1,
                            other.describe()
                        ),
                    )
                    .label(span(item), "expected a mapping")
                    .help("write each person as `- id: ...` with `name:`, `surname:`, `email:` and `accounts:` indented under it"),
                );
                return None;
            }
        };
        let id_text = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("id"))
            .and_then(|(_, v)| values::string_like(v));
        let who = match &id_text {
            Some(id) if !id.trim().is_empty() => format!("person `{id}`"),
            _ => format!("person #{}", index + 1),
        };
        let fields = self.fields(entries, PERSON_FIELDS, &who, &|field| {
            let vendors: Vec<&str> = crate::drivers::VENDORS
                .iter()
                .filter(|v| v.schema.field(field).is_some())
                .map(|v| v.schema.display_name)
                .collect();
            (!vendors.is_empty()).then(|| {
                format!(
                    "(`{field}` is a {} field: write it in the person's account, under `accounts:`)",
                    vendors.join("/")
                )
            })
        });

        let Some((_, id_node)) = find(&fields, "id") else {
            self.push(
                self.problem("missing_field", format!("{who} has no `id`"))
                    .label(span(item), "no `id:` in this person")
                    .help("give every person an `id:`, unique in the file (e.g. their login, `jkowalski`); their accounts' keys default to it"),
            );
            return None;
        };
        let id = match values::string_like(id_node) {
            Some(id) if !id.trim().is_empty() => Arc::<str>::from(id),
            Some(_) => {
                self.push(
                    self.problem(
                        "empty_value",
                        format!("the `id` of person #{} is empty", index + 1),
                    )
                    .label(span(id_node), "empty")
                    .help("`id` identifies the person in the file and in plans; give it a value"),
                );
                return None;
            }
            None => {
                self.invalid(
                    id_node,
                    values::wrong_type("id", "a string", &id_node.value),
                );
                return None;
            }
        };
        if let Some((first_file, first_span)) = ids.get(&id).copied() {
            let p = Problem::new(
                self.file,
                "duplicate_person",
                format!("person `{id}` is listed twice"),
            )
            .label(span(id_node), "listed again here")
            .help("give each person a different `id`, or merge the two entries");
            let p = if first_file == self.file {
                p.label(first_span, "first listed here")
            } else {
                p.elsewhere(first_file, first_span, "first listed here")
            };
            self.push(p);
            return None;
        }
        ids.insert(id.clone(), (self.file, span(id_node)));

        let mut text = |spec: &'static FieldSpec| -> Option<(String, &Node)> {
            let (_, node) = find(&fields, spec.name)?;
            match values::convert(spec, node, None) {
                Ok(v) => v.as_str().map(|s| (s.to_string(), node)),
                Err(inv) => {
                    self.invalid(node, inv);
                    None
                }
            }
        };
        let name = text(&NAME);
        let surname = text(&SURNAME);
        let email = text(&EMAIL);
        let active = find(&fields, "active").and_then(|(_, node)| {
            match values::convert(&ACTIVE, node, None) {
                Ok(v) => v.as_bool().map(|b| (b, node)),
                Err(inv) => {
                    self.invalid(node, inv);
                    None
                }
            }
        });
        let (start, end) = self.period(&fields, &who);
        let given = [
            ("name", PersonAttr::Name),
            ("surname", PersonAttr::Surname),
            ("email", PersonAttr::Email),
        ]
        .into_iter()
        .filter(|(name, _)| find(&fields, name).is_some())
        .map(|(_, attr)| attr)
        .collect();
        let ctx = PersonCtx {
            item,
            given,
            id: id.clone(),
            id_node,
            name: name.clone(),
            surname: surname.clone(),
            email: email.as_ref().map(|(_, n)| *n),
            active,
            start,
            end,
        };

        let mut accounts = Vec::new();
        if let Some((_, node)) = find(&fields, "accounts") {
            match &node.value {
                Yaml::Null => {}
                Yaml::Map(map) => {
                    let context = format!("the accounts of {who}");
                    let listed = self.fields(map, &[], &context, &|_| None);
                    for (n, (provider, key, account)) in listed.into_iter().enumerate() {
                        let before = self.problems.len();
                        if let Some(found) = self.person_account(&ctx, n, &provider, key, account, infos) {
                            accounts.push((found.0, found.1, before));
                        }
                    }
                }
                other => self.push(
                    self.problem(
                        "wrong_type",
                        format!("`accounts` of {who} must be a mapping of provider names, found {}", other.describe()),
                    )
                    .label(span(node), "expected a mapping")
                    .help("write one line per provider: `thulium: { number: \"5634\", password: { env: PW } }`"),
                ),
            }
        }
        let person = Person {
            id,
            name: name.map(|(s, _)| s),
            surname: surname.map(|(s, _)| s),
            email: email.map(|(s, _)| s),
            active: active.is_none_or(|(a, _)| a),
            start: start.map(|(d, _)| d),
            end: end.map(|(d, _)| d),
            origin: self.origin(item),
        };
        Some((person, accounts))
    }

    /// One account of a person: `provider: { fields }`.
    fn person_account(
        &mut self,
        person: &PersonCtx<'_>,
        index: usize,
        provider: &str,
        key: &Node,
        account: &Node,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> Option<(Entry, Span)> {
        let Some(info) = infos.get(provider) else {
            let help = unknown_provider_help(provider, &[], infos);
            self.push(
                self.problem(
                    "unknown_provider",
                    format!("person `{}` has an account on `{provider}`, but there is no provider named `{provider}`", person.id),
                )
                .label(span(key), "unknown provider")
                .help(help),
            );
            return None;
        };
        // A provider with a broken `type:` has been reported already.
        let schema = info.schema?;
        let entries: &[(Node, Node)] = match &account.value {
            Yaml::Map(entries) => entries,
            Yaml::Null => &[],
            other => {
                self.push(
                    self.problem(
                        "wrong_type",
                        format!(
                            "the {provider} account of person `{}` must be a mapping of fields, found {}",
                            person.id,
                            other.describe()
                        ),
                    )
                    .label(span(account), "expected a mapping")
                    .help(format!(
                        "write the {} fields of the account, e.g. `{provider}: {{ {}: ... }}`",
                        schema.display_name,
                        schema
                            .fields
                            .iter()
                            .find(|f| f.required_on_create && f.name != schema.key_field)
                            .map_or(schema.key_field, |f| f.name)
                    )),
                );
                return None;
            }
        };
        // An account written as `provider:` alone is labelled at its key,
        // and has its person's origin.
        let (item, origin) = if entries.is_empty() {
            (key, person.item)
        } else {
            (account, account)
        };
        self.account(
            Account {
                provider: provider.to_string(),
                schema,
                item,
                origin,
                entries,
                index,
                person: Some(person),
            },
            infos,
        )
    }
}
