//! The plan as versioned JSON (described by `schemas/plan.schema.json`).
//! Secrets never appear: sensitive fields carry no values.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{Kind, Value};
use crate::plan::{Action, Change, ChangeKind, FieldChange, Plan, Summary};

/// Version of the JSON plan format; bumped on incompatible changes.
/// 2: changes carry `fingerprint`, fields `sent_only` and `note`, the
/// summary `password_resets`; changes also carry `person` and the plan
/// `people` (added without a version bump: both default when absent, so
/// plans written before them still read).
pub const FORMAT_VERSION: u32 = 2;

/// A plan, as `headcount plan --format json` prints it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonPlan {
    /// Version of this format (currently 2).
    pub format_version: u32,
    /// headcount's version.
    pub headcount_version: String,
    /// No change to make and no unlisted account reported: what `plan
    /// --detailed-exitcode` exits 0 for (and `drift`).
    #[serde(default)]
    pub in_sync: bool,
    /// Every change, in the order apply would start them.
    pub changes: Vec<JsonChange>,
    /// Updates and deactivations of providers with `edits: manual`: steps
    /// for a person to make in the vendor's panel. Apply never sends them;
    /// they count as drift until done.
    #[serde(default)]
    pub manual_steps: Vec<JsonChange>,
    /// Remote accounts the file does not list.
    pub unlisted: Vec<JsonUnlisted>,
    /// Notes that do not stop the plan.
    pub warnings: Vec<String>,
    /// Problems that stop the plan from being applied.
    pub errors: Vec<JsonProblem>,
    /// Counts.
    pub summary: Summary,
    /// The file's people (`people:`) that have changes, in file order:
    /// `id` and the name shown for them. Changes name theirs in `person`.
    #[serde(default)]
    pub people: Vec<JsonPerson>,
    /// Per provider with a `rate_limit`: the requests the apply sends and
    /// how long its budget makes them take. Absent when no provider has one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<crate::plan::RequestBudget>,
    /// The day the file's `start:` and `end:` were evaluated for
    /// (YYYY-MM-DD), when the file gives any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The file's `timezone:` (IANA name), when the file gives dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Guardrails the plan goes over. One not `allowed` means the plan
    /// needs approval (exit 3) until `--allow KIND`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardrails: Vec<JsonBreach>,
    /// A guardrail not allowed is gone over: nothing is applied until a
    /// person allows it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_approval: bool,
}

/// A limit a plan goes over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonBreach {
    pub provider: String,
    pub kind: ChangeKind,
    /// Changes of this kind on the provider.
    pub count: usize,
    /// The provider's accounts.
    pub population: usize,
    /// `200` or `25%`.
    pub limit: String,
    pub over_by: usize,
    /// Lifted by `--allow` (or `--force`).
    pub allowed: bool,
    /// What lifts it.
    pub allow_with: String,
}

/// A person of the file, as the plan names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonPerson {
    pub id: String,
    /// "Jan Kowalski" (the id when the file gives no name).
    pub name: String,
    /// The person's attributes an account's vendor has no field for, so
    /// not sent there ("ccp: CCP has no field for surname").
    #[serde(default)]
    pub not_sent: Vec<String>,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonChange {
    pub action: Action,
    /// Provider name in the file.
    pub provider: String,
    /// The provider's type (thulium, ccp, dnl).
    pub vendor: String,
    pub kind: Kind,
    /// Natural key (login, username, name).
    pub key: String,
    /// Fingerprint of the provider's account as read when planning
    /// (`absent` for a create); a saved plan is applied only while it holds.
    pub fingerprint: String,
    /// The `id` of the person (`people:`) the account belongs to; null for
    /// a plain entry of `agents:`/`users:` and for unlisted accounts.
    #[serde(default)]
    pub person: Option<String>,
    /// Why, when the file's calendar causes the change (`starts
    /// 2026-12-07`, `left 2026-11-30`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub fields: Vec<JsonField>,
    /// Words for the reviewer about the change as a whole, e.g. the fields
    /// the vendor holds that its edit does not send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One field of a change. Sensitive fields have null `before` and `after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonField {
    pub name: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub sensitive: bool,
    /// Sent on create only; the vendor cannot read it back.
    pub create_only: bool,
    /// Sent by apply although it does not change: the vendor's edit insists
    /// (CCP's password, and the rest of the user as CCP holds it). `note`
    /// says why. A sensitive field that is sent only sets the password to
    /// the file's value.
    pub sent_only: bool,
    /// Why the field is sent, or `rotated` for a password sent by `--rotate`.
    pub note: Option<String>,
}

/// A remote account the file does not list.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonUnlisted {
    pub provider: String,
    pub kind: Kind,
    pub key: String,
    pub active: Option<bool>,
    /// The plan deactivates it (`unlisted: deactivate`).
    pub deactivation_planned: bool,
    /// Why it is not deactivated although the policy asks for it.
    pub note: Option<String>,
}

/// A problem that stops the plan.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonProblem {
    pub provider: String,
    pub key: Option<String>,
    pub message: String,
    pub help: String,
}

impl JsonChange {
    pub fn from_change(c: &Change) -> JsonChange {
        let shown = |f: &FieldChange, v: &Option<Value>| {
            v.as_ref().filter(|_| !f.sensitive).map(Value::to_json)
        };
        JsonChange {
            action: c.action(),
            provider: c.provider.clone(),
            vendor: c.vendor.clone(),
            kind: c.kind,
            key: c.key.clone(),
            fingerprint: c.fingerprint(),
            person: c.person.clone(),
            reason: c.reason.clone(),
            fields: c
                .fields
                .iter()
                .map(|f| JsonField {
                    name: f.name.clone(),
                    before: shown(f, &f.before),
                    after: shown(f, &f.after),
                    sensitive: f.sensitive,
                    create_only: f.create_only,
                    sent_only: f.sent_only,
                    note: f.note.clone(),
                })
                .collect(),
            notes: c.notes.clone(),
        }
    }
}

impl JsonPlan {
    pub fn from_plan(plan: &Plan) -> JsonPlan {
        JsonPlan {
            format_version: FORMAT_VERSION,
            headcount_version: env!("CARGO_PKG_VERSION").to_string(),
            in_sync: !plan.has_drift(),
            changes: plan.changes.iter().map(JsonChange::from_change).collect(),
            manual_steps: plan.manual.iter().map(JsonChange::from_change).collect(),
            unlisted: plan
                .unlisted
                .iter()
                .map(|u| JsonUnlisted {
                    provider: u.provider.clone(),
                    kind: u.kind,
                    key: u.key.clone(),
                    active: u.active,
                    deactivation_planned: u.deactivation_planned,
                    note: u.note.clone(),
                })
                .collect(),
            warnings: plan.warnings.clone(),
            errors: plan
                .problems
                .iter()
                .map(|p| JsonProblem {
                    provider: p.provider.clone(),
                    key: p.key.clone(),
                    message: p.message.clone(),
                    help: p.help.clone(),
                })
                .collect(),
            summary: plan.summary(),
            people: plan
                .by_person()
                .into_iter()
                .filter_map(|(person, _)| person)
                .map(|(id, name)| JsonPerson {
                    id: id.to_string(),
                    name: name.to_string(),
                    not_sent: plan.not_carried.get(id).cloned().unwrap_or_default(),
                })
                .collect(),
            budgets: plan.budgets.clone(),
            at: plan.at.filter(|_| plan.dated).map(|d| d.to_string()),
            timezone: plan.dated.then(|| plan.timezone.clone()),
            guardrails: plan
                .breaches
                .iter()
                .map(|b| JsonBreach {
                    provider: b.provider.clone(),
                    kind: b.kind,
                    count: b.count,
                    population: b.population,
                    limit: b.limit.to_string(),
                    over_by: b.over_by,
                    allowed: b.allowed,
                    allow_with: format!("--allow {}", b.kind),
                })
                .collect(),
            needs_approval: !plan.needs_approval().is_empty(),
        }
    }
}

/// Renders the plan as pretty JSON with a trailing newline.
pub fn render(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(&JsonPlan::from_plan(plan))
        .unwrap_or_else(|e| format!("{{\"error\": \"could not serialise the plan: {e}\"}}"));
    text.push('\n');
    text
}

/// The draft-07 JSON Schema of [`JsonPlan`] (`headcount schema plan`).
pub fn schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<JsonPlan>();
    schema.to_value()
}
