//! The diff engine: desired state + remote snapshot -> plan. Pure, no I/O.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::guardrails;
use super::normalize::{is_active, normalize, same};
use super::{
    Action, Breach, Change, ChangeKind, FieldChange, Op, Plan, PlanOptions, PlanProblem, Remote,
    Unlisted,
};
use crate::calendar::{self, Phase};
use crate::desired::{Desired, EditsPolicy, Entry, Person, Provider, SecretRef, UnlistedPolicy};
use crate::model::{Access, DriverSchema, EchoValue, FieldType, RemoteRecord, Value};
use crate::words;

/// Computes the plan that makes the providers match the desired state.
pub fn compute(desired: &Desired, remote: &Remote, options: &PlanOptions) -> Plan {
    let mut plan = Plan {
        people: desired
            .people
            .iter()
            .map(|p| (p.id.to_string(), p.display_name()))
            .collect(),
        not_carried: not_carried(desired, options),
        at: options.at,
        timezone: desired.timezone.name.clone(),
        dated: desired
            .entries
            .iter()
            .any(|e| e.start.is_some() || e.end.is_some()),
        ..Plan::default()
    };
    // People who have left: their accounts that do not exist stay so.
    let inactive: HashSet<&str> = desired
        .people
        .iter()
        .filter(|p| !p.active)
        .map(|p| &*p.id)
        .collect();
    for (name, provider) in &desired.providers {
        let Some(records) = remote.providers.get(name) else {
            continue;
        };
        if !options.includes_provider(name) {
            continue;
        }
        plan_provider(&mut plan, desired, provider, records, options, &inactive);
    }
    plan
}

fn plan_provider(
    plan: &mut Plan,
    desired: &Desired,
    provider: &Provider,
    records: &[RemoteRecord],
    options: &PlanOptions,
    inactive: &HashSet<&str>,
) {
    let schema = provider.schema;
    // Edits made by hand need no secret from the file.
    let manual = provider.edits == EditsPolicy::Manual;
    let blocker = if manual {
        None
    } else {
        deactivation_blocker(schema)
    };
    if provider.insecure_http {
        plan.warnings.push(insecure_http_warning(provider));
    }
    // `ignore:`d accounts are never touched nor reported (nor counted in
    // the safety threshold's share).
    let kept: Vec<RemoteRecord>;
    let records = if provider.ignore.is_empty() {
        records
    } else {
        kept = records
            .iter()
            .filter(|r| provider.ignored_by(&r.key).is_none())
            .cloned()
            .collect();
        kept.as_slice()
    };
    // Keys are distinct: a listing with two accounts of one key is refused
    // by the driver (drivers::paging), never planned from.
    let by_key: HashMap<&str, &RemoteRecord> =
        records.iter().map(|r| (r.key.as_str(), r)).collect();

    let mut listed: HashSet<&str> = HashSet::new();
    let mut create_only_unchecked: IndexMap<&'static str, usize> = IndexMap::new();
    // Fields the vendor's read did not carry: per field, the accounts the
    // file sets them on (write-only for those accounts).
    let mut unreturned: IndexMap<&'static str, usize> = IndexMap::new();
    let absent_everywhere = absent_from_every_record(schema, records);
    unread_fields_warning(plan, provider, records, &absent_everywhere);
    let mut deactivations = 0usize;
    let first_change = plan.changes.len();

    for entry in desired
        .entries
        .iter()
        .filter(|e| e.provider == provider.name)
    {
        listed.insert(entry.key.as_str());
        if !options.includes(&provider.name, &entry.key) {
            continue;
        }
        // Outside its working period an account is not created, and one
        // that exists is wanted inactive.
        let phase = options.at.map_or(Phase::During, |day| {
            calendar::phase(entry.start, entry.end, day)
        });
        let off_duty: Entry;
        let (entry, reason) = match phase {
            Phase::During => (entry, entry.start.map(calendar::starts)),
            Phase::Before(_) | Phase::After(_) if !by_key.contains_key(entry.key.as_str()) => {
                continue;
            }
            Phase::Before(start) => {
                off_duty = inactive_copy(schema, entry);
                (&off_duty, Some(calendar::starts(start)))
            }
            Phase::After(end) => {
                off_duty = inactive_copy(schema, entry);
                (&off_duty, Some(calendar::left(end)))
            }
        };
        let calendar_caused = !matches!(phase, Phase::During);
        match by_key.get(entry.key.as_str()) {
            // An account wanted inactive (its own `active: false`, or its
            // person's) that the vendor does not list: nothing to suspend,
            // and nothing to create. A vendor that hides suspended accounts
            // from its list is then never sent a create for one.
            None if entry
                .person
                .as_deref()
                .is_some_and(|id| inactive.contains(id))
                || wanted_inactive(schema, entry) => {}
            None => plan.changes.push(Change {
                reason,
                ..create(provider, entry, &absent_everywhere)
            }),
            Some(record) => {
                let tally = Tally {
                    create_only: &mut create_only_unchecked,
                    unreturned: &mut unreturned,
                };
                let when = When {
                    reason,
                    calendar_caused,
                };
                if plan_existing(plan, provider, entry, record, options, tally, when) {
                    deactivations += 1;
                }
            }
        }
    }

    unchecked_warnings(plan, provider, &create_only_unchecked, &unreturned);

    if options.includes_whole_provider(&provider.name)
        && provider.unlisted != UnlistedPolicy::Ignore
    {
        deactivations += plan_unlisted(plan, provider, records, &listed, blocker.as_deref());
    }

    // Steps by hand are never sent, so no guardrail holds them back.
    if manual {
        deactivations = 0;
        hand_over(plan, provider);
    }

    guard(
        plan,
        desired,
        provider,
        first_change,
        deactivations,
        records.len(),
        options,
    );
}

/// Checks the provider's changes (from `first`) against its guardrails.
fn guard(
    plan: &mut Plan,
    desired: &Desired,
    provider: &Provider,
    first: usize,
    deactivations: usize,
    population: usize,
    options: &PlanOptions,
) {
    let changes = &plan.changes[first..];
    let creates = changes
        .iter()
        .filter(|c| matches!(c.op, Op::Create))
        .count();
    let updates = changes
        .iter()
        .filter(|c| matches!(c.op, Op::Update { .. }) && !sets_inactive(provider.schema, c))
        .count();
    let resets = changes
        .iter()
        .filter(|c| !matches!(c.op, Op::Create) && c.fields.iter().any(|f| f.sensitive))
        .count();
    let allowed = options.allowed();
    let floor = guardrails::min_population(desired, provider);
    for (kind, count) in [
        (ChangeKind::Creates, creates),
        (ChangeKind::Updates, updates),
        (ChangeKind::PasswordResets, resets),
        (ChangeKind::Deactivations, deactivations),
    ] {
        let Some(limit) = guardrails::limit_for(&desired.limits, provider, kind) else {
            continue;
        };
        if let Some(over_by) = guardrails::check(limit, count, population, floor) {
            plan.breaches.push(Breach {
                provider: provider.name.clone(),
                kind,
                count,
                population,
                limit,
                over_by,
                allowed: allowed.allows(kind),
            });
        }
    }
}

/// An update or deactivation as a step for a person in the vendor's panel:
/// the fields that change, nothing an API edit would send besides them.
fn made_by_hand(mut change: Change) -> Change {
    change.fields.retain(|f| !f.sent_only && !f.sensitive);
    change.secrets.clear();
    change.notes.clear();
    change
}

/// The note every edit of the vendor carries when its edit leaves out
/// fields the vendor holds (see [`DriverSchema::edit_leaves_out`]).
fn leaves_out_notes(schema: &DriverSchema) -> Vec<String> {
    if schema.edit_leaves_out.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "not sent: {} ({} holds them; no document says whether its edit keeps or blanks what it is not sent)",
        schema.edit_leaves_out.join(", "),
        schema.display_name
    )]
}

/// The entry with its vendor's active field set to false (an account
/// outside its working period).
/// Warns when the vendor returned none of the fields headcount expects on
/// read (`absent`: absent from every record): they are then set on create only.
fn unread_fields_warning(
    plan: &mut Plan,
    provider: &Provider,
    records: &[RemoteRecord],
    absent: &[&'static str],
) {
    let expected_but_absent: Vec<&str> = absent
        .iter()
        .copied()
        .filter(|name| {
            provider
                .schema
                .field(name)
                .is_some_and(|f| f.expected_on_read)
        })
        .collect();
    if !expected_but_absent.is_empty() {
        plan.warnings.push(format!(
            "{}: {} returned no {} on any of its {} {}, although headcount expects {} on read; entries that set {} are set on create only, not checked for drift",
            provider.name,
            provider.schema.display_name,
            expected_but_absent.join(", "),
            records.len(),
            words::word(records.len(), "account", "accounts"),
            words::word(expected_but_absent.len(), "it", "them"),
            words::word(expected_but_absent.len(), "it", "them"),
        ));
    }
}

/// The per-field counts of the fields the file sets that are never checked
/// for drift (see [`unchecked_warnings`]).
struct Tally<'a> {
    create_only: &'a mut IndexMap<&'static str, usize>,
    unreturned: &'a mut IndexMap<&'static str, usize>,
}

/// Why a change happens when the calendar has a say: `reason` is shown on
/// a change the calendar causes, and on a re-activation.
struct When {
    reason: Option<String>,
    calendar_caused: bool,
}

/// Plans the edit of an account the vendor lists and the file names:
/// rotation, the update itself (if anything differs) and the problems that
/// stop it. Returns whether the edit suspends the account.
fn plan_existing(
    plan: &mut Plan,
    provider: &Provider,
    entry: &Entry,
    record: &RemoteRecord,
    options: &PlanOptions,
    tally: Tally<'_>,
    when: When,
) -> bool {
    let schema = provider.schema;
    let manual = provider.edits == EditsPolicy::Manual;
    for spec in schema.fields {
        if spec.access == Access::CreateOnly
            && !spec.is_secret()
            && entry.fields.contains_key(spec.name)
        {
            *tally.create_only.entry(spec.name).or_default() += 1;
        }
    }
    let rotated = match rotation(schema, entry, options) {
        Ok(rotated) => rotated,
        Err(message) => {
            plan.problems.push(PlanProblem {
                provider: provider.name.clone(),
                key: Some(entry.key.clone()),
                message,
                help: "leave the account out of --rotate; to change its password, use the vendor's own tools".into(),
            });
            Vec::new()
        }
    };
    if manual && !rotated.is_empty() {
        plan.problems.push(PlanProblem {
            provider: provider.name.clone(),
            key: Some(entry.key.clone()),
            message: format!(
                "--rotate {}/{}: rotating a password is an edit, and this provider's edits are made by hand (`edits: manual`)",
                provider.name, entry.key
            ),
            help: "leave the account out of --rotate and change the password in the vendor's panel".into(),
        });
    }
    match update(provider, entry, record, tally.unreturned, &rotated) {
        Some(mut change) => {
            // A re-activation on or after `start:`, or anything
            // done to an account outside its period.
            let reactivates = change
                .fields
                .iter()
                .any(|f| f.name == schema.active_field && f.after == Some(Value::Bool(true)));
            if when.calendar_caused || reactivates {
                change.reason = when.reason;
            }
            if let Some(problem) = missing_update_secret(schema, entry).filter(|_| !manual) {
                plan.problems.push(PlanProblem {
                    provider: provider.name.clone(),
                    key: Some(entry.key.clone()),
                    message: problem.0,
                    help: problem.1,
                });
            }
            // An edit that suspends the account counts, whatever
            // else it changes.
            let suspends = sets_inactive(schema, &change);
            plan.changes.push(change);
            suspends
        }
        None => {
            plan.unchanged += 1;
            false
        }
    }
}

/// Warns of the fields the file sets that are never checked for drift:
/// create-only ones, and those the vendor's read did not carry.
fn unchecked_warnings(
    plan: &mut Plan,
    provider: &Provider,
    create_only: &IndexMap<&'static str, usize>,
    unreturned: &IndexMap<&'static str, usize>,
) {
    let vendor = provider.schema.display_name;
    if !create_only.is_empty() {
        plan.warnings.push(format!(
            "{}: {} cannot be read back from {vendor}; set on create only, not checked for drift",
            provider.name,
            counted(create_only),
        ));
    }
    if !unreturned.is_empty() {
        plan.warnings.push(format!(
            "{}: {}: set on create only; the vendor does not return it ({vendor} read these accounts without it), so it is not checked for drift",
            provider.name,
            counted(unreturned),
        ));
    }
}

/// Moves the provider's updates and deactivations from the changes apply
/// sends to the steps a person makes in the vendor's panel (`edits: manual`).
fn hand_over(plan: &mut Plan, provider: &Provider) {
    let (by_hand, sent): (Vec<Change>, Vec<Change>) = std::mem::take(&mut plan.changes)
        .into_iter()
        .partition(|c| c.provider == provider.name && c.action() != Action::Create);
    plan.changes = sent;
    plan.manual.extend(by_hand.into_iter().map(made_by_hand));
}

/// Reports the provider's accounts the file does not list, and plans the
/// deactivation of the active ones under `unlisted: deactivate` (unless
/// `blocker` says why this vendor cannot). Returns the deactivations planned.
fn plan_unlisted(
    plan: &mut Plan,
    provider: &Provider,
    records: &[RemoteRecord],
    listed: &HashSet<&str>,
    blocker: Option<&str>,
) -> usize {
    let schema = provider.schema;
    let mut deactivations = 0;
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
            match blocker {
                Some(reason) => note = Some(reason.to_string()),
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
            words::word(blocked, "account", "accounts"),
            blocker.unwrap_or_default()
        ));
    }
    deactivations
}

/// The entry itself asks for its account to be inactive (`active: false`).
fn wanted_inactive(schema: &DriverSchema, entry: &Entry) -> bool {
    entry
        .fields
        .get(schema.active_field)
        .is_some_and(|value| normalize(FieldType::Boolean, value).as_bool() == Some(false))
}

fn inactive_copy(schema: &DriverSchema, entry: &Entry) -> Entry {
    let mut copy = entry.clone();
    copy.fields.insert(schema.active_field, Value::Bool(false));
    copy
}

/// The secret fields `--rotate` asks to send again for this entry: its
/// secrets whose vendor edit accepts them. An error names what cannot be
/// rotated (the vendor's edit takes no password, or the entry has none).
fn rotation(
    schema: &DriverSchema,
    entry: &Entry,
    options: &PlanOptions,
) -> Result<Vec<&'static str>, String> {
    if !options
        .rotate
        .iter()
        .any(|r| r.matches(&entry.provider, &entry.key))
    {
        return Ok(Vec::new());
    }
    let rotatable: Vec<&'static str> = schema
        .fields
        .iter()
        .filter(|f| f.is_secret() && f.rotatable)
        .map(|f| f.name)
        .collect();
    if rotatable.is_empty() {
        return Err(format!(
            "--rotate {}/{}: {}'s edit is not documented to take a password, so headcount cannot rotate it",
            entry.provider, entry.key, schema.display_name
        ));
    }
    let rotated: Vec<&'static str> = rotatable
        .into_iter()
        .filter(|name| entry.secrets.contains_key(name))
        .collect();
    if rotated.is_empty() {
        return Err(format!(
            "--rotate {}/{}: the entry ({}) has no password to send",
            entry.provider, entry.key, entry.origin
        ));
    }
    Ok(rotated)
}

/// Per person, the attributes the person has that a planned account's
/// vendor has no field for (a person with no such attribute is left out).
fn not_carried(desired: &Desired, options: &PlanOptions) -> IndexMap<String, Vec<String>> {
    let people: HashMap<&str, &Person> = desired.people.iter().map(|p| (&*p.id, p)).collect();
    let mut out: IndexMap<String, Vec<String>> = IndexMap::new();
    for entry in &desired.entries {
        let Some(person) = entry.person.as_deref().and_then(|id| people.get(id)) else {
            continue;
        };
        let Some(provider) = desired.providers.get(&entry.provider) else {
            continue;
        };
        if !options.includes(&entry.provider, &entry.key) {
            continue;
        }
        let carried = &provider.schema.person;
        let missing: Vec<&str> = [
            ("name", person.name.is_some(), carried.given_name),
            ("surname", person.surname.is_some(), carried.family_name),
            ("email", person.email.is_some(), carried.email),
        ]
        .into_iter()
        .filter(|(_, given, field)| *given && field.is_none())
        .map(|(attr, _, _)| attr)
        .collect();
        if !missing.is_empty() {
            out.entry(person.id.to_string()).or_default().push(format!(
                "{}: {} has no field for {}",
                entry.provider,
                provider.schema.display_name,
                missing.join(", ")
            ));
        }
    }
    out
}

/// Whether the change sets the account's active field to false.
fn sets_inactive(schema: &DriverSchema, change: &Change) -> bool {
    change.fields.iter().any(|f| {
        f.name == schema.active_field
            && !f.sent_only
            && f.after.as_ref().map(|v| normalize(FieldType::Boolean, v))
                == Some(Value::Bool(false))
    })
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

/// The readable fields (the key excepted) that no record of a non-empty
/// listing carries.
fn absent_from_every_record(schema: &DriverSchema, records: &[RemoteRecord]) -> Vec<&'static str> {
    if records.is_empty() {
        return Vec::new();
    }
    schema
        .fields
        .iter()
        .filter(|f| f.is_readable() && f.name != schema.key_field)
        .filter(|f| !records.iter().any(|r| r.fields.contains_key(f.name)))
        .map(|f| f.name)
        .collect()
}

/// A create; `unreturned` are fields the vendor returned for none of its
/// accounts, marked as set on create only like the unreadable ones.
fn create(provider: &Provider, entry: &Entry, unreturned: &[&str]) -> Change {
    let schema = provider.schema;
    let mut fields = Vec::new();
    for (name, value) in &entry.fields {
        let create_only = schema
            .field(name)
            .is_some_and(|f| f.access == Access::CreateOnly)
            || unreturned.contains(&name);
        fields.push(FieldChange {
            create_only,
            ..FieldChange::set(name, None, value.clone())
        });
    }
    for name in entry.secrets.keys() {
        fields.push(FieldChange {
            create_only: true,
            ..FieldChange::secret(name)
        });
    }
    Change {
        op: Op::Create,
        provider: provider.name.clone(),
        vendor: schema.vendor.to_string(),
        kind: schema.kind,
        key: entry.key.clone(),
        fields,
        secrets: entry_secrets(entry, |_| true),
        person: entry.person.as_deref().map(str::to_string),
        notes: Vec::new(),
        reason: None,
    }
}

/// An update, or `None` when the account matches. A field the record does
/// not carry (absent, not `null`) is write-only for this account: it is
/// counted in `unreturned` and never causes an update.
fn update(
    provider: &Provider,
    entry: &Entry,
    record: &RemoteRecord,
    unreturned: &mut IndexMap<&'static str, usize>,
    rotated: &[&str],
) -> Option<Change> {
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
        let Some(before) = record.fields.get(name) else {
            *unreturned.entry(spec.name).or_default() += 1;
            continue;
        };
        if !same(spec.ty, value, before) {
            let before = (*before != Value::Null).then(|| before.clone());
            fields.push(FieldChange::set(name, before, value.clone()));
        }
    }
    if let Some(reactivate) = reactivation(schema, entry, record) {
        fields.push(reactivate);
    }
    if fields.is_empty() && rotated.is_empty() {
        return None;
    }
    // An edit that suspends the account is a deactivation, whatever else
    // it changes: the summary counts it as the safety threshold does (a
    // person's suspension is one deactivation per account).
    let deactivates = fields.iter().any(|f| {
        f.name == schema.active_field
            && f.after.as_ref().map(|v| normalize(FieldType::Boolean, v))
                == Some(Value::Bool(false))
    });
    sent_besides_changes(&mut fields, schema, record, rotated);
    let remote = record.clone();
    Some(Change {
        op: if deactivates {
            Op::Deactivate { remote }
        } else {
            Op::Update { remote }
        },
        provider: provider.name.clone(),
        vendor: schema.vendor.to_string(),
        kind: schema.kind,
        key: entry.key.clone(),
        fields,
        secrets: entry_secrets(entry, |name| {
            schema.field(name).is_some_and(|f| f.required_on_update) || rotated.contains(&name)
        }),
        person: entry.person.as_deref().map(str::to_string),
        notes: leaves_out_notes(schema),
        reason: None,
    })
}

/// Listed means active: an entry that does not write the vendor's active
/// field wants the account active, so an account the vendor holds inactive
/// is set active again (`active: false` in the entry is how to suspend it).
fn reactivation(
    schema: &DriverSchema,
    entry: &Entry,
    record: &RemoteRecord,
) -> Option<FieldChange> {
    if entry.fields.contains_key(schema.active_field) {
        return None;
    }
    if is_active(schema, record) != Some(false) {
        return None;
    }
    let before = record.fields.get(schema.active_field).cloned();
    let note = match entry.person {
        Some(_) => PERSON_MEANS_ACTIVE,
        None => LISTED_MEANS_ACTIVE,
    };
    Some(FieldChange {
        note: Some(note.to_string()),
        ..FieldChange::set(schema.active_field, before, Value::Bool(true))
    })
}

/// The plan's word for a re-activation of an active person's account.
pub const PERSON_MEANS_ACTIVE: &str =
    "an account of an active person, so wanted active; `active: false` on the person (or on this account) keeps it suspended";

/// The plan's word for a re-activation the entry did not write.
pub const LISTED_MEANS_ACTIVE: &str =
    "listed in the file, so wanted active; write `active: false` to keep it suspended";

/// What the vendor's edit sends besides the changed fields, so that the
/// plan shows everything apply sends: the schema's echoes (CCP's whole
/// record, as CCP holds it), the secrets an edit requires (CCP's password)
/// and the rotated ones.
fn sent_besides_changes(
    fields: &mut Vec<FieldChange>,
    schema: &DriverSchema,
    record: &RemoteRecord,
    rotated: &[&str],
) {
    for echo in schema.edit_echoes {
        if fields.iter().any(|f| f.name == echo.name) {
            continue;
        }
        let value = match echo.value {
            EchoValue::Held => match record.fields.get(echo.name) {
                Some(v) => v.clone(),
                None if echo.name == schema.key_field => Value::Str(record.key.clone()),
                None => continue,
            },
            EchoValue::Bool(b) => Value::Bool(b),
        };
        fields.push(FieldChange {
            sent_only: true,
            note: Some(echo.why.to_string()),
            ..FieldChange::set(echo.name, Some(value.clone()), value)
        });
    }
    for spec in schema.fields.iter().filter(|f| f.is_secret()) {
        let rotate = rotated.contains(&spec.name);
        if !(spec.required_on_update || rotate) {
            continue;
        }
        let note = if rotate {
            "rotated".to_string()
        } else {
            format!(
                "{} sets the {} on every edit",
                schema.display_name, spec.name
            )
        };
        fields.push(FieldChange {
            sent_only: !rotate,
            note: Some(note),
            ..FieldChange::secret(spec.name)
        });
    }
}

fn deactivate(provider: &Provider, record: &RemoteRecord) -> Change {
    let schema = provider.schema;
    let mut fields = vec![FieldChange::set(
        schema.active_field,
        record.fields.get(schema.active_field).cloned(),
        Value::Bool(false),
    )];
    // What the vendor's edit sends besides (DNL's name and user_type). A
    // secret an edit requires never gets here: such a vendor's unlisted
    // accounts are not deactivated (see `deactivation_blocker`), unless
    // by hand, where it is not sent.
    sent_besides_changes(&mut fields, schema, record, &[]);
    Change {
        op: Op::Deactivate {
            remote: record.clone(),
        },
        provider: provider.name.clone(),
        vendor: schema.vendor.to_string(),
        kind: schema.kind,
        key: record.key.clone(),
        fields,
        secrets: IndexMap::new(),
        person: None,
        notes: leaves_out_notes(schema),
        reason: None,
    }
}

/// The entry's secret references the change needs (the loader made their
/// `{ file: }` paths absolute).
fn entry_secrets(entry: &Entry, wanted: impl Fn(&str) -> bool) -> IndexMap<String, SecretRef> {
    entry
        .secrets
        .iter()
        .filter(|(name, _)| wanted(name))
        .map(|(name, secret)| (name.to_string(), secret.clone()))
        .collect()
}

/// `roles (2 accounts), language (1 account)`.
fn counted(fields: &IndexMap<&'static str, usize>) -> String {
    let counted: Vec<String> = fields
        .iter()
        .map(|(field, n)| format!("{field} ({n} {})", words::word(*n, "account", "accounts")))
        .collect();
    counted.join(", ")
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
