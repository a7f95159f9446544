//! The diff engine: desired state + remote snapshot -> plan. Pure, no I/O.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use indexmap::IndexMap;

use super::normalize::{normalize, same};
use super::{
    fingerprint, Action, Change, FieldChange, Plan, PlanOptions, Problem, Remote, Unlisted,
};
use crate::desired::{Desired, Entry, Provider, SecretRef, UnlistedPolicy};
use crate::model::{Access, DriverSchema, FieldType, RemoteRecord, Value};

/// Computes the plan that makes the providers match the desired state.
pub fn compute(desired: &Desired, remote: &Remote, options: &PlanOptions) -> Plan {
    let mut plan = Plan::default();
    for (name, provider) in &desired.providers {
        let Some(records) = remote.providers.get(name) else {
            continue;
        };
        if !options.includes_provider(name) {
            continue;
        }
        plan_provider(&mut plan, desired, provider, records, options);
    }
    plan
}

fn plan_provider(
    plan: &mut Plan,
    desired: &Desired,
    provider: &Provider,
    records: &[RemoteRecord],
    options: &PlanOptions,
) {
    let schema = provider.schema;
    if provider.insecure_http {
        plan.warnings.push(insecure_http_warning(provider));
    }
    // Keys are distinct: a listing with two accounts of one key is refused
    // by the driver (drivers::paging), never planned from.
    let by_key: HashMap<&str, &RemoteRecord> =
        records.iter().map(|r| (r.key.as_str(), r)).collect();

    let mut listed: HashSet<&str> = HashSet::new();
    let mut create_only_unchecked: IndexMap<&'static str, usize> = IndexMap::new();
    let mut deactivations = 0usize;

    for entry in desired
        .entries
        .iter()
        .filter(|e| e.provider == provider.name)
    {
        listed.insert(entry.key.as_str());
        if !options.includes(&provider.name, &entry.key) {
            continue;
        }
        match by_key.get(entry.key.as_str()) {
            None => plan.changes.push(create(provider, entry)),
            Some(record) => {
                for spec in schema.fields {
                    if spec.access == Access::CreateOnly
                        && !spec.is_secret()
                        && entry.fields.contains_key(spec.name)
                    {
                        *create_only_unchecked.entry(spec.name).or_default() += 1;
                    }
                }
                match update(provider, entry, record) {
                    Some(change) => {
                        if let Some(problem) = missing_update_secret(schema, entry) {
                            plan.problems.push(Problem {
                                provider: provider.name.clone(),
                                key: Some(entry.key.clone()),
                                message: problem.0,
                                help: problem.1,
                            });
                        }
                        if change.action == Action::Deactivate {
                            deactivations += 1;
                        }
                        plan.changes.push(change);
                    }
                    None => plan.unchanged += 1,
                }
            }
        }
    }

    if !create_only_unchecked.is_empty() {
        let fields: Vec<String> = create_only_unchecked
            .iter()
            .map(|(field, n)| format!("{field} ({n} {})", plural(*n, "account", "accounts")))
            .collect();
        plan.warnings.push(format!(
            "{}: {} cannot be read back from {}; set on create only, not checked for drift",
            provider.name,
            fields.join(", "),
            schema.display_name
        ));
    }

    if options.includes_whole_provider(&provider.name)
        && provider.unlisted != UnlistedPolicy::Ignore
    {
        let mut unlisted: Vec<&RemoteRecord> = records
            .iter()
            .filter(|r| !listed.contains(r.key.as_str()))
            .collect();
        unlisted.sort_by(|a, b| a.key.cmp(&b.key));
        unlisted.dedup_by(|a, b| a.key == b.key);
        for record in unlisted {
            let active = is_active(schema, record);
            let mut note = None;
            let mut deactivation_planned = false;
            if provider.unlisted == UnlistedPolicy::Deactivate && active != Some(false) {
                match deactivation_blocker(schema) {
                    Some(reason) => note = Some(reason),
                    None => {
                        deactivations += 1;
                        deactivation_planned = true;
                        plan.changes.push(deactivate(provider, record));
                    }
                }
            }
            plan.unlisted.push(Unlisted {
                provider: provider.name.clone(),
                kind: schema.kind,
                key: record.key.clone(),
                active,
                deactivation_planned,
                note,
            });
        }
        let blocked = plan
            .unlisted
            .iter()
            .filter(|u| u.provider == provider.name && u.note.is_some())
            .count();
        if blocked > 0 {
            plan.warnings.push(format!(
                "{}: {blocked} unlisted {} cannot be deactivated: {}",
                provider.name,
                plural(blocked, "account", "accounts"),
                deactivation_blocker(schema).unwrap_or_default()
            ));
        }
    }

    if deactivations > 0 && !records.is_empty() {
        let share = deactivations as f64 * 100.0 / records.len() as f64;
        if share > provider.max_deactivate_percent && !options.force {
            plan.problems.push(Problem {
                provider: provider.name.clone(),
                key: None,
                message: format!(
                    "the plan deactivates {deactivations} of {} accounts of {} ({share:.0}%), above its safety threshold of {}%",
                    records.len(),
                    provider.name,
                    provider.max_deactivate_percent
                ),
                help: "check the file lists every account you want to keep; if the plan is right, run again with --force or raise the provider's max_deactivate_percent".into(),
            });
        }
    }
}

/// The reason the vendor cannot deactivate an account the file does not
/// list: an edit needs a secret only the file could give.
fn deactivation_blocker(schema: &DriverSchema) -> Option<String> {
    let needed: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| f.required_on_update && f.is_secret())
        .map(|f| f.name)
        .collect();
    if needed.is_empty() {
        None
    } else {
        Some(format!(
            "{} needs the account's {} to edit it, and the file has none for accounts it does not list",
            schema.display_name,
            needed.join(" and ")
        ))
    }
}

/// An edit of an entry whose vendor needs a secret on every edit, without that secret.
fn missing_update_secret(schema: &DriverSchema, entry: &Entry) -> Option<(String, String)> {
    let missing: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| f.required_on_update && f.is_secret() && !entry.secrets.contains_key(f.name))
        .map(|f| f.name)
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some((
        format!(
            "{} \"{}\" ({}) needs an edit, but {} requires the {} on every edit and the entry has none",
            schema.kind, entry.key, entry.origin, schema.display_name,
            missing.join(" and ")
        ),
        format!(
            "add `{}: {{ env: NAME }}` to the entry (the account's current password)",
            missing[0]
        ),
    ))
}

fn is_active(schema: &DriverSchema, record: &RemoteRecord) -> Option<bool> {
    let value = record.fields.get(schema.active_field)?;
    normalize(FieldType::Boolean, value).as_bool()
}

fn create(provider: &Provider, entry: &Entry) -> Change {
    let schema = provider.schema;
    let mut fields = Vec::new();
    for (name, value) in &entry.fields {
        let create_only = schema
            .field(name)
            .is_some_and(|f| f.access == Access::CreateOnly);
        fields.push(FieldChange {
            name: name.to_string(),
            before: None,
            after: Some(value.clone()),
            sensitive: false,
            create_only,
        });
    }
    for name in entry.secrets.keys() {
        fields.push(FieldChange {
            name: name.to_string(),
            before: None,
            after: None,
            sensitive: true,
            create_only: true,
        });
    }
    Change {
        action: Action::Create,
        provider: provider.name.clone(),
        vendor: schema.vendor.to_string(),
        kind: schema.kind,
        key: entry.key.clone(),
        remote: None,
        fingerprint: fingerprint::of(None),
        fields,
        secrets: anchored_secrets(entry, |_| true),
    }
}

fn update(provider: &Provider, entry: &Entry, record: &RemoteRecord) -> Option<Change> {
    let schema = provider.schema;
    let mut fields = Vec::new();
    for (name, value) in &entry.fields {
        if name == schema.key_field {
            continue;
        }
        let Some(spec) = schema.field(name) else {
            continue;
        };
        if !spec.is_readable() {
            continue;
        }
        let before = record.fields.get(name).unwrap_or(&Value::Null);
        if !same(spec.ty, value, before) {
            fields.push(FieldChange {
                name: name.to_string(),
                before: (*before != Value::Null).then(|| before.clone()),
                after: Some(value.clone()),
                sensitive: false,
                create_only: false,
            });
        }
    }
    if fields.is_empty() {
        return None;
    }
    let only_deactivates = fields.len() == 1
        && fields[0].name == schema.active_field
        && fields[0]
            .after
            .as_ref()
            .map(|v| normalize(FieldType::Boolean, v))
            == Some(Value::Bool(false));
    Some(Change {
        action: if only_deactivates {
            Action::Deactivate
        } else {
            Action::Update
        },
        provider: provider.name.clone(),
        vendor: schema.vendor.to_string(),
        kind: schema.kind,
        key: entry.key.clone(),
        remote: Some(record.clone()),
        fingerprint: fingerprint::of(Some(record)),
        fields,
        secrets: anchored_secrets(entry, |name| {
            schema.field(name).is_some_and(|f| f.required_on_update)
        }),
    })
}

fn deactivate(provider: &Provider, record: &RemoteRecord) -> Change {
    let schema = provider.schema;
    Change {
        action: Action::Deactivate,
        provider: provider.name.clone(),
        vendor: schema.vendor.to_string(),
        kind: schema.kind,
        key: record.key.clone(),
        remote: Some(record.clone()),
        fingerprint: fingerprint::of(Some(record)),
        fields: vec![FieldChange {
            name: schema.active_field.to_string(),
            before: record.fields.get(schema.active_field).cloned(),
            after: Some(Value::Bool(false)),
            sensitive: false,
            create_only: false,
        }],
        secrets: IndexMap::new(),
    }
}

/// The entry's secret references the change needs, with `{ file: }` paths
/// made absolute (relative to the file that holds the entry).
fn anchored_secrets(entry: &Entry, wanted: impl Fn(&str) -> bool) -> IndexMap<String, SecretRef> {
    let base = entry.origin.file.parent().unwrap_or(Path::new("."));
    entry
        .secrets
        .iter()
        .filter(|(name, _)| wanted(name))
        .map(|(name, secret)| {
            let anchored = match secret {
                SecretRef::File(path) if path.is_relative() => SecretRef::File(base.join(path)),
                other => other.clone(),
            };
            (name.to_string(), anchored)
        })
        .collect()
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The warning for a provider that allows plain http to a remote host: its
/// credentials and the passwords in this plan may travel unencrypted.
fn insecure_http_warning(provider: &Provider) -> String {
    let host = provider.url.host_str().unwrap_or("its host");
    let travel = if provider.url.scheme() == "http" {
        "credentials and passwords travel UNENCRYPTED over http://"
    } else {
        "plain http:// would be accepted"
    };
    format!(
        "{}: insecure_http is set: {travel} to {host}; remove it once the provider has https",
        provider.name
    )
}
