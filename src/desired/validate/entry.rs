//! The accounts: each entry of a kind section, its provider resolved, its
//! fields converted by the vendor's field table, and duplicates found.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::drivers;
use crate::model::{DriverSchema, FieldType, Kind};

use super::super::diagnostics::{Problem, Span};
use super::super::types::{Entry, FieldMap};
use super::super::values::{self, SecretProblem};
use super::super::yaml::{Node, Value as Yaml};
use super::provider::ProviderInfo;
use super::top::Section;
use super::{find, quoted_list, span, Checker, ParsedFile};

impl Checker {
    /// Every entry of every kind section, in file order. Each account's
    /// subtree is taken out of its file's tree and dropped once validated.
    pub(super) fn entries(
        &mut self,
        files: &mut [ParsedFile],
        sections: Vec<Section>,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> Vec<Entry> {
        let mut lists = Vec::with_capacity(sections.len());
        for (i, kind, at) in sections {
            let Yaml::Map(top) = &mut files[i].root.value else {
                continue;
            };
            if let Some((
                _,
                Node {
                    value: Yaml::Seq(items),
                    ..
                },
            )) = top.get_mut(at)
            {
                lists.push((i, kind, std::mem::take(items)));
            }
        }
        let listed: usize = lists.iter().map(|(_, _, items)| items.len()).sum();
        let mut entries = Vec::with_capacity(listed);
        // Provider names are borrowed from `infos`: one copy fewer per entry.
        let mut seen: HashMap<(&str, Kind, String), (usize, Span)> = HashMap::with_capacity(listed);
        for (i, kind, items) in lists {
            self.file = i;
            for (n, item) in items.into_iter().enumerate() {
                let before = self.problems.len();
                let found = self.entry(kind, n, &item, infos);
                drop(item);
                let Some((entry, key_span)) = found else {
                    continue;
                };
                let Some((provider, info)) = infos.get_key_value(&entry.provider) else {
                    continue;
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
                    continue;
                }
                let id = (provider.as_str(), kind, entry.key.clone());
                if let Some((first_file, first_span)) = seen.get(&id).copied() {
                    let message = format!(
                        "{} `{}` is listed twice for provider `{}`",
                        kind.noun(),
                        entry.key,
                        entry.provider
                    );
                    let mut p = Problem::new(i, "duplicate_entry", message)
                        .label(key_span, "listed again here")
                        .help(format!("keep one entry per {}; merge the two", kind.noun()));
                    if first_file == i {
                        p = p.label(first_span, "first listed here");
                    } else {
                        p = p.elsewhere(first_file, first_span, "first listed here");
                    }
                    self.push(p);
                    continue;
                }
                seen.insert(id, (i, key_span));
                if self.problems.len() == before {
                    entries.push(entry);
                }
            }
        }
        entries
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

        let allowed = self.allowed_in_entry(schema);
        let key_value = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(schema.key_field))
            .and_then(|(_, v)| values::string_like(v));
        let who = match &key_value {
            Some(k) if !k.trim().is_empty() => format!("{} {noun} `{k}`", provider),
            _ => format!("{} {noun} #{}", provider, index + 1),
        };
        let fields = self.fields(entries, &allowed, &who, &|field| {
            other_vendor_hint(schema, field)
        });

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
        // `defaults:` fill the fields the entry does not set, after its own.
        let info = infos.get(&provider);
        if let Some(info) = info {
            for (name, v) in &info.defaults {
                if find(&fields, name).is_none() {
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
            if find(&fields, spec.name).is_none()
                && !misspelled
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
                self.push(
                    self.problem("missing_field", format!("{who} is missing `{}`", spec.name))
                        .label(span(item), format!("no `{}` in this {noun}", spec.name))
                        .help(format!(
                            "{} requires it to create the {noun}: add `{example}` ({})",
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
                kind,
                key,
                fields: values,
                secrets,
                origin: self.origin(item),
            },
            key_span,
        ))
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
            let defined: Vec<&str> = infos.keys().map(String::as_str).collect();
            let serving = serving();
            let help = match values::suggest(
                &name,
                serving.iter().copied().chain(defined.iter().copied()),
            ) {
                Some(s) => format!("did you mean `{s}`?"),
                None if defined.is_empty() => "define it under `providers:`".to_string(),
                None => format!(
                    "defined providers: {}; or define `{name}` under `providers:`",
                    quoted_list(&defined)
                ),
            };
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

    /// The fields an entry of `schema` may hold (computed once per vendor).
    fn allowed_in_entry(&mut self, schema: &'static DriverSchema) -> Arc<[&'static str]> {
        self.allowed
            .entry(schema.vendor)
            .or_insert_with(|| {
                std::iter::once("provider")
                    .chain(schema.fields.iter().map(|f| f.name))
                    .collect()
            })
            .clone()
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
