//! The accounts: each entry of a kind section, its provider resolved, its
//! fields converted by the vendor's field table, and duplicates found.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::drivers;
use crate::model::{DriverSchema, FieldType, Kind, PersonAttr};

use super::super::diagnostics::{Problem, Span};
use super::super::types::{Entry, FieldMap, Person};
use super::super::values::{self, SecretProblem};
use super::super::yaml::{Node, Yaml};
use super::provider::ProviderInfo;
use super::top::{Part, Section};
use super::{find, quoted_list, span, Checker, ParsedFile};

impl Checker {
    /// Every entry of every kind section and every person's accounts, in
    /// file order. Each list item's subtree is taken out of its file's tree
    /// and dropped once validated.
    pub(super) fn entries(
        &mut self,
        files: &mut [ParsedFile],
        sections: Vec<Section>,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> (Vec<Entry>, Vec<Person>) {
        let mut listed = Listed::default();
        for (i, part, at) in sections {
            let Yaml::Map(top) = &mut files[i].root.value else {
                continue;
            };
            let Some((
                _,
                Node {
                    value: Yaml::Seq(items),
                    ..
                },
            )) = top.get_mut(at)
            else {
                continue;
            };
            self.file = i;
            for (n, item) in std::mem::take(items).into_iter().enumerate() {
                self.list_item(&mut listed, part, n, item, infos);
            }
        }
        let Listed {
            mut claims, people, ..
        } = listed;
        claims.entries.shrink_to_fit();
        (claims.entries, people)
    }

    /// Item `n` of a list of the file being read: an account, or a person
    /// and their accounts. Its tree is dropped once checked.
    fn list_item(
        &mut self,
        listed: &mut Listed,
        part: Part,
        n: usize,
        item: Node,
        infos: &IndexMap<String, ProviderInfo>,
    ) {
        match part {
            Part::Accounts(kind) => {
                let before = self.problems.len();
                let found = self.entry(kind, n, &item, infos);
                drop(item);
                if let Some((entry, key_span)) = found {
                    self.claim(&mut listed.claims, entry, key_span, before, infos);
                }
            }
            Part::People => {
                let Some((person, accounts)) = self.person(n, &item, infos, &mut listed.person_ids)
                else {
                    return;
                };
                drop(item);
                for (entry, key_span, since) in accounts {
                    self.claim(&mut listed.claims, entry, key_span, since, infos);
                }
                listed.people.push(person);
            }
        }
    }

    /// Admits an account unless its provider ignores it or another entry
    /// claims it too (both places are reported). `before` is the number of
    /// problems before the account was read: it is kept only when it added
    /// none.
    fn claim(
        &mut self,
        claims: &mut Claims,
        entry: Entry,
        key_span: Span,
        before: usize,
        infos: &IndexMap<String, ProviderInfo>,
    ) {
        let i = self.file;
        let kind = entry.kind;
        let Some((provider, _, info)) = infos.get_full(&entry.provider) else {
            return;
        };
        if let Some(pattern) = info.ignore.iter().find(|p| p.matches(&entry.key)) {
            self.push(
                Problem::new(
                    i,
                    "ignored_entry",
                    format!(
                        "{} `{}` is listed, but provider `{}` ignores it (`ignore:` pattern {:?})",
                        kind.noun(),
                        entry.key,
                        entry.provider,
                        pattern.as_str()
                    ),
                )
                .label(key_span, "ignored by the provider")
                .help("headcount never touches an ignored account: remove this entry, or narrow the provider's `ignore:` pattern"),
            );
            return;
        }
        let id = (provider, kind, entry.key.clone());
        if let Some((first_file, first_span, first_owner)) = claims.seen.get(&id).cloned() {
            let p = if first_owner.is_none() && entry.person.is_none() {
                let message = format!(
                    "{} `{}` is listed twice for provider `{}`",
                    kind.noun(),
                    entry.key,
                    entry.provider
                );
                let p = Problem::new(i, "duplicate_entry", message)
                    .label(key_span, "listed again here")
                    .help(format!("keep one entry per {}; merge the two", kind.noun()));
                if first_file == i {
                    p.label(first_span, "first listed here")
                } else {
                    p.elsewhere(first_file, first_span, "first listed here")
                }
            } else {
                let owner = |who: &Option<Arc<str>>| match who {
                    Some(id) => format!("person `{id}`"),
                    None => format!("a plain entry of `{}:`", kind.section()),
                };
                let message = format!(
                    "{} {} `{}` is claimed by {} and by {}",
                    entry.provider,
                    kind.noun(),
                    entry.key,
                    owner(&first_owner),
                    owner(&entry.person)
                );
                let p = Problem::new(i, "duplicate_entry", message)
                    .label(key_span, format!("claimed here by {}", owner(&entry.person)))
                    .help("an account belongs to one person (or one plain entry) only: remove one of the claims, or give one of them its own key (e.g. `login:`/`username:`/`name:` in the person's account)");
                let first = format!("first claimed here by {}", owner(&first_owner));
                if first_file == i {
                    p.label(first_span, first)
                } else {
                    p.elsewhere(first_file, first_span, first)
                }
            };
            self.push(p);
            return;
        }
        claims.seen.insert(id, (i, key_span, entry.person.clone()));
        if self.problems.len() == before {
            claims.entries.push(entry);
        }
    }

    /// One entry of a kind section. Returns the entry and the span of its key
    /// (for duplicate detection) when its provider and key are known.
    fn entry(
        &mut self,
        kind: Kind,
        index: usize,
        item: &Node,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> Option<(Entry, Span)> {
        let noun = kind.noun();
        let entries = match &item.value {
            Yaml::Map(entries) => entries,
            other => {
                self.push(
                    self.problem("wrong_type", format!("{noun} #{} must be a mapping of fields, found {}", index + 1, other.describe()))
                        .label(span(item), "expected a mapping")
                        .help(format!("write each {noun} as `- {{ provider: ..., field: value, ... }}` or as indented `field: value` lines")),
                );
                return None;
            }
        };
        // The provider decides which fields are allowed.
        let provider_node = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("provider"))
            .map(|(_, v)| v);
        let (provider, schema) = self.resolve_provider(kind, item, provider_node, infos)?;
        self.account(
            Account {
                provider,
                schema,
                item,
                origin: item,
                entries,
                index,
                person: None,
            },
            infos,
        )
    }

    /// One account: a kind section's entry, or a person's account. Its
    /// fields are converted by the vendor's table; then the person's
    /// attributes and the provider's `defaults:` fill what it leaves out.
    pub(super) fn account(
        &mut self,
        account: Account<'_>,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> Option<(Entry, Span)> {
        let Account {
            provider,
            schema,
            item,
            origin,
            entries,
            index,
            person,
        } = account;
        let noun = schema.kind.noun();
        let allowed = self.allowed_in_entry(schema, person.is_some());
        let key_value = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(schema.key_field))
            .and_then(|(_, v)| values::string_like(v))
            .or_else(|| person.map(|p| p.id.to_string()));
        let who = match (&key_value, person) {
            (_, Some(p)) => format!("the {provider} account of person `{}`", p.id),
            (Some(k), None) if !k.trim().is_empty() => format!("{} {noun} `{k}`", provider),
            _ => format!("{} {noun} #{}", provider, index + 1),
        };
        let fields = self.fields(entries, &allowed, &who, &|field| {
            if person.is_some() && field == "provider" {
                return Some(
                    "(a person's account names its provider as its key under `accounts:`)".into(),
                );
            }
            other_vendor_hint(schema, field)
        });

        // The account's own period; what it leaves out is its person's.
        let (own_start, own_end) = self.period(&fields, &who);
        let (start, end) = match person {
            Some(p) => (own_start.or(p.start), own_end.or(p.end)),
            None => (own_start, own_end),
        };
        if own_start.is_some() || own_end.is_some() {
            self.ordered(start, end, &who);
        }

        // Sized exactly: 100,000 entries keep these maps until the plan is made.
        let secret_count = fields
            .iter()
            .filter(|(name, _, _)| schema.field(name).is_some_and(|f| f.is_secret()))
            .count();
        let plain_count = fields
            .iter()
            .filter(|(name, _, _)| schema.field(name).is_some_and(|f| !f.is_secret()))
            .count();
        let mut values = FieldMap::with_capacity(plain_count);
        let mut secrets = FieldMap::with_capacity(secret_count);
        let mut key_span = None;
        for (name, _, value) in &fields {
            if name == "provider" {
                continue;
            }
            let Some(spec) = schema.field(name) else {
                continue;
            };
            if spec.is_secret() {
                match values::secret_ref(spec.name, value) {
                    Ok(r) => {
                        secrets.insert(spec.name, r);
                    }
                    Err(SecretProblem::Plaintext) => {
                        let env = values::env_name_for(&[
                            key_value.as_deref().unwrap_or(noun),
                            spec.name,
                        ]);
                        self.plaintext(value, spec.name, &who, &env);
                    }
                    Err(SecretProblem::Invalid(inv, at)) => self.secret_invalid(value, at, inv),
                }
                continue;
            }
            let regex = spec.pattern.and_then(|p| self.regex(p));
            match values::convert(spec, value, regex.as_deref()) {
                Ok(v) => {
                    if spec.name == schema.key_field {
                        if v.as_str().is_some_and(|s| s.trim().is_empty()) {
                            self.push(
                                self.problem(
                                    "empty_value",
                                    format!("`{}` of {noun} #{} is empty", spec.name, index + 1),
                                )
                                .label(span(value), "empty")
                                .help(format!(
                                    "`{}` identifies the {noun} on {}; give it a value",
                                    spec.name, schema.display_name
                                )),
                            );
                        } else {
                            key_span = Some(span(value));
                        }
                    }
                    values.insert(spec.name, v);
                }
                Err(inv) => self.invalid(value, inv),
            }
        }
        // A person's attributes fill the fields the account does not set.
        let mut from_person: Vec<&'static str> = Vec::new();
        if let Some(person) = person {
            if find(&fields, schema.key_field).is_none() {
                if let Some(spec) = schema.field(schema.key_field) {
                    let regex = spec.pattern.and_then(|p| self.regex(p));
                    match values::convert(spec, person.id_node, regex.as_deref()) {
                        Ok(v) => {
                            key_span = Some(span(person.id_node));
                            values.insert(spec.name, v);
                            from_person.push(spec.name);
                        }
                        Err(inv) => {
                            let note = format!(
                                "the person's `id` is the {provider} account's `{}` unless the account sets `{}:` itself",
                                spec.name, spec.name
                            );
                            // Reported here, not again as missing.
                            from_person.push(spec.name);
                            self.invalid(person.id_node, with_note(inv, note));
                        }
                    }
                }
            }
            self.fill_from_person(
                schema,
                &provider,
                person,
                &fields,
                &mut values,
                &mut from_person,
            );
            // An active person fills `true` where it writes it, or where
            // the provider's `defaults:` would set the account otherwise.
            let defaults_active = infos
                .get(&provider)
                .is_some_and(|i| i.has_default(schema.active_field));
            if person.active.is_none_or(|(a, _)| a)
                && find(&fields, schema.active_field).is_none()
                && (person.active.is_some() || defaults_active)
            {
                values.insert(schema.active_field, crate::model::Value::Bool(true));
                from_person.push(schema.active_field);
            }
            // Shown as a person's account reads: its key, what the person
            // gives, then the account's own fields.
            let rank = |name: &str| match (name == schema.key_field, from_person.contains(&name)) {
                (true, _) => 0,
                (false, true) => 1,
                (false, false) => 2,
            };
            let mut ordered: Vec<_> = std::mem::take(&mut values).into_iter().collect();
            ordered.sort_by_key(|(name, _)| rank(name));
            values = ordered.into_iter().collect();
        }
        // `defaults:` fill the fields the entry does not set, after its own.
        let info = infos.get(&provider);
        if let Some(info) = info {
            for (name, v) in &info.defaults {
                if find(&fields, name).is_none() && !from_person.contains(&name) {
                    values.insert(name, v.clone());
                }
            }
            for (name, r) in &info.default_secrets {
                if find(&fields, name).is_none() {
                    secrets.insert(name, r.clone());
                }
            }
        }
        for spec in schema.fields.iter().filter(|f| f.required_on_create) {
            // A misspelling of it (`surnme`) is already reported with "did
            // you mean `surname`?": saying it is missing too would only
            // come first and hide the better message.
            let misspelled = entries.iter().any(|(k, _)| {
                k.as_str().is_some_and(|name| {
                    !allowed.contains(&name)
                        && values::suggest(name, allowed.iter().copied()) == Some(spec.name)
                })
            });
            // A person's attribute written with a wrong value is reported
            // once, where it is written.
            let written_by_person = person.is_some_and(|p| {
                schema
                    .person
                    .mapped()
                    .any(|(attr, field)| field == spec.name && p.given.contains(&attr))
            });
            if find(&fields, spec.name).is_none()
                && !misspelled
                && !written_by_person
                && !from_person.contains(&spec.name)
                && !info.is_some_and(|i| i.has_default(spec.name))
            {
                let example = match spec.ty {
                    FieldType::Secret => format!(
                        "{}: {{ env: {} }}",
                        spec.name,
                        values::env_name_for(&[key_value.as_deref().unwrap_or(noun), spec.name])
                    ),
                    FieldType::Enum(v) => {
                        format!("{}: {}", spec.name, v.first().copied().unwrap_or("..."))
                    }
                    _ => format!("{}: ...", spec.name),
                };
                let person_hint = match (person, person_attr_of(schema, spec.name)) {
                    (Some(_), Some(attr)) => format!(" or give the person `{attr}:`"),
                    _ => String::new(),
                };
                self.push(
                    self.problem("missing_field", format!("{who} is missing `{}`", spec.name))
                        .label(span(item), format!("no `{}` in this {noun}", spec.name))
                        .help(format!(
                            "{} requires it to create the {noun}: add `{example}`{person_hint} ({})",
                            schema.display_name, spec.description
                        )),
                );
            }
        }

        let key = values
            .get(schema.key_field)
            .and_then(|v| v.as_str())
            .map(str::to_string)?;
        let key_span = key_span?;
        Some((
            Entry {
                provider,
                kind: schema.kind,
                key,
                fields: values,
                secrets,
                origin: self.origin(origin),
                person: person.map(|p| p.id.clone()),
                start: start.map(|(d, _)| d),
                end: end.map(|(d, _)| d),
            },
            key_span,
        ))
    }

    /// Fills the vendor's person fields the account does not set from the
    /// person's attributes (converted by the vendor's field table, so a
    /// value the vendor refuses is located at the person's attribute), and
    /// the active field with `false` for an inactive person.
    fn fill_from_person(
        &mut self,
        schema: &'static DriverSchema,
        provider: &str,
        person: &PersonCtx<'_>,
        fields: &super::Fields<'_>,
        values: &mut FieldMap<crate::model::Value>,
        from_person: &mut Vec<&'static str>,
    ) {
        for (attr, field) in schema.person.mapped() {
            let Some(spec) = schema.field(field) else {
                continue;
            };
            if find(fields, field).is_some() {
                continue;
            }
            let converted = match attr {
                PersonAttr::FullName => match person.full_name() {
                    Some(full) => Ok(crate::model::Value::Str(full)),
                    None => continue,
                },
                _ => {
                    let Some(node) = person.attr(attr) else {
                        continue;
                    };
                    let regex = spec.pattern.and_then(|p| self.regex(p));
                    values::convert(spec, node, regex.as_deref()).map_err(|inv| (inv, node))
                }
            };
            match converted {
                Ok(v) => {
                    values.insert(spec.name, v);
                    from_person.push(spec.name);
                }
                Err((inv, node)) => {
                    let note = format!(
                        "the person's `{}` fills {}'s `{}` on provider `{provider}`",
                        attr.label(),
                        schema.display_name,
                        spec.name
                    );
                    from_person.push(spec.name);
                    self.invalid(node, with_note(inv, note));
                }
            }
        }
        if let Some((false, active_node)) = person.active {
            match find(fields, schema.active_field) {
                Some((key, value)) => {
                    if value.value == Yaml::Bool(true) {
                        self.push(
                            self.problem(
                                "conflicting_active",
                                format!(
                                    "person `{}` is inactive, but their {provider} account says `{}: true`",
                                    person.id, schema.active_field
                                ),
                            )
                            .label(span(key), "wants the account active")
                            .label(span(active_node), "the person is inactive")
                            .help("an inactive person's accounts are all suspended: remove the account's own setting, or set the person `active: true`"),
                        );
                    }
                }
                None => {
                    values.insert(schema.active_field, crate::model::Value::Bool(false));
                    from_person.push(schema.active_field);
                }
            }
        }
    }

    fn resolve_provider(
        &mut self,
        kind: Kind,
        item: &Node,
        provider_node: Option<&Node>,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> Option<(String, &'static DriverSchema)> {
        let noun = kind.noun();
        let section = kind.section();
        // Built only when needed (most entries name their provider).
        let serving = || -> Vec<&str> {
            infos
                .iter()
                .filter(|(_, i)| i.schema.is_some_and(|s| s.kind == kind))
                .map(|(n, _)| n.as_str())
                .collect()
        };
        let types_for_kind = || -> Vec<&str> {
            drivers::VENDORS
                .iter()
                .filter(|v| v.schema.kind == kind)
                .map(|v| v.schema.vendor)
                .collect()
        };
        let Some(node) = provider_node else {
            return match serving().as_slice() {
                [only] => {
                    let schema = infos.get(*only).and_then(|i| i.schema)?;
                    Some((only.to_string(), schema))
                }
                [] => {
                    // A provider with a broken `type:` has been reported already.
                    if infos.values().all(|i| i.schema.is_some()) {
                        self.push(
                            self.problem("no_provider", format!("no provider manages {section}"))
                                .label(span(item), format!("this {noun} has no provider"))
                                .help(format!(
                                    "define a provider of type {} under `providers:`",
                                    quoted_list(&types_for_kind())
                                )),
                        );
                    }
                    None
                }
                many => {
                    self.push(
                        self.problem("ambiguous_provider", format!("this {noun} does not say which provider it belongs to"))
                            .label(span(item), "no `provider:`")
                            .help(format!(
                                "more than one provider manages {section} ({}): add `provider: {}` (or another of them)",
                                quoted_list(many),
                                many[0]
                            )),
                    );
                    None
                }
            };
        };
        let Some(name) = values::string_like(node) else {
            self.invalid(
                node,
                values::wrong_type("provider", "a provider name", &node.value),
            );
            return None;
        };
        let Some(info) = infos.get(&name) else {
            let help = unknown_provider_help(&name, &serving(), infos);
            self.push(
                self.problem(
                    "unknown_provider",
                    format!("there is no provider named `{name}`"),
                )
                .label(span(node), "unknown provider")
                .help(help),
            );
            return None;
        };
        let schema = info.schema?;
        if schema.kind != kind {
            let serving = serving();
            let help = if serving.is_empty() {
                format!("move this entry under `{}:`", schema.kind.section())
            } else {
                format!(
                    "move this entry under `{}:`, or use a provider that manages {section}: {}",
                    schema.kind.section(),
                    quoted_list(&serving)
                )
            };
            self.push(
                self.problem(
                    "wrong_kind",
                    format!(
                        "provider `{name}` is {} provider, which manages {}, not {section}",
                        article(schema.display_name),
                        schema.kind.section()
                    ),
                )
                .label(span(node), format!("manages {}", schema.kind.section()))
                .help(help),
            );
            return None;
        }
        Some((name, schema))
    }

    /// The fields an entry of `schema` may hold (computed once per vendor):
    /// a person's account has no `provider:` (its key under `accounts:` is).
    fn allowed_in_entry(
        &mut self,
        schema: &'static DriverSchema,
        of_person: bool,
    ) -> Arc<[&'static str]> {
        self.allowed
            .entry((schema.vendor, of_person))
            .or_insert_with(|| {
                let provider = (!of_person).then_some("provider");
                provider
                    .into_iter()
                    .chain(schema.fields.iter().map(|f| f.name))
                    .chain(super::calendar::PERIOD_FIELDS)
                    .collect()
            })
            .clone()
    }
}

/// An account: (provider's index, kind, key).
type AccountId = (usize, Kind, String);

/// Who claimed an account first: (file, span of the key, the person if any).
type Claim = (usize, Span, Option<Arc<str>>);

/// The accounts admitted so far, and who claimed each account.
#[derive(Default)]
pub(super) struct Claims {
    entries: Vec<Entry>,
    seen: HashMap<AccountId, Claim>,
}

/// What the lists read so far hold: the accounts admitted and the people.
#[derive(Default)]
struct Listed {
    claims: Claims,
    people: Vec<Person>,
    /// The ids of the people so far (a person listed twice is reported
    /// with both places).
    person_ids: HashMap<Arc<str>, (usize, Span)>,
}

/// One account to check: a kind section's entry or a person's account.
pub(super) struct Account<'n> {
    pub(super) provider: String,
    pub(super) schema: &'static DriverSchema,
    /// The account's node (for "missing" labels).
    pub(super) item: &'n Node,
    /// The node whose place is the account's origin: the account's own
    /// mapping, or its person's for an account written without fields.
    pub(super) origin: &'n Node,
    /// Its fields (empty for a person's account written `provider:` alone).
    pub(super) entries: &'n [(Node, Node)],
    /// Its place in its list, for messages.
    pub(super) index: usize,
    pub(super) person: Option<&'n PersonCtx<'n>>,
}

/// What a person's accounts take from the person.
pub(super) struct PersonCtx<'n> {
    /// The person's mapping.
    pub(super) item: &'n Node,
    pub(super) id: Arc<str>,
    pub(super) id_node: &'n Node,
    pub(super) name: Option<(String, &'n Node)>,
    pub(super) surname: Option<(String, &'n Node)>,
    pub(super) email: Option<&'n Node>,
    /// `active:` as written, with its node.
    pub(super) active: Option<(bool, &'n Node)>,
    /// The attributes the person writes, valid or not.
    pub(super) given: Vec<PersonAttr>,
    /// `start:` and `end:` as written, with their nodes.
    pub(super) start: super::calendar::Dated<'n>,
    pub(super) end: super::calendar::Dated<'n>,
}

impl PersonCtx<'_> {
    fn attr(&self, attr: PersonAttr) -> Option<&Node> {
        match attr {
            PersonAttr::Name => self.name.as_ref().map(|(_, n)| *n),
            PersonAttr::Surname => self.surname.as_ref().map(|(_, n)| *n),
            PersonAttr::Email => self.email,
            PersonAttr::FullName => None,
        }
    }

    fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.name, &self.surname]
            .into_iter()
            .flatten()
            .map(|(s, _)| s.as_str())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// `inv` with `note` after its own help.
fn with_note(mut inv: values::Invalid, note: String) -> values::Invalid {
    let help = match inv.help.take() {
        Some(help) => format!("{help} ({note})"),
        None => note,
    };
    inv.help(help)
}

/// The person attribute that fills `field` of `schema`, as the file names it.
fn person_attr_of(schema: &DriverSchema, field: &str) -> Option<&'static str> {
    schema
        .person
        .mapped()
        .find(|(attr, f)| *f == field && *attr != PersonAttr::FullName)
        .map(|(attr, _)| attr.label())
}

/// What to do about a provider name the file does not define: the nearest
/// name (of `likely` first, then of every provider), or the defined ones.
pub(super) fn unknown_provider_help(
    name: &str,
    likely: &[&str],
    infos: &IndexMap<String, ProviderInfo>,
) -> String {
    let defined: Vec<&str> = infos.keys().map(String::as_str).collect();
    match values::suggest(name, likely.iter().copied().chain(defined.iter().copied())) {
        Some(s) => format!("did you mean `{s}`?"),
        None if defined.is_empty() => "define it under `providers:`".to_string(),
        None => format!(
            "defined providers: {}; or define `{name}` under `providers:`",
            quoted_list(&defined)
        ),
    }
}

/// "a CCP", "an ABC"-style article for a display name.
fn article(name: &str) -> String {
    let vowel = name
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// When `field` belongs to another vendor of the same kind, say so.
pub(super) fn other_vendor_hint(schema: &DriverSchema, field: &str) -> Option<String> {
    let others: Vec<&str> = drivers::VENDORS
        .iter()
        .filter(|v| v.schema.vendor != schema.vendor && v.schema.field(field).is_some())
        .map(|v| v.schema.display_name)
        .collect();
    if others.is_empty() {
        None
    } else {
        Some(format!(
            "(`{field}` is a {} field; this entry's provider is {})",
            others.join("/"),
            schema.display_name
        ))
    }
}
