//! The diff engine and the [`Plan`] type.
//!
//! [`compute`] is pure: it takes the desired state and a snapshot of what the
//! providers hold, and decides every create, update and deactivation. It
//! knows vendors only through their [`DriverSchema`](crate::model::DriverSchema)
//! data (field types, what can be read back, what an edit requires).

pub mod diff;
pub mod fingerprint;
pub mod guardrails;
pub mod normalize;
pub mod render;
pub mod saved;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::desired::SecretRef;
use crate::model::{Kind, RemoteRecord, Value};

pub use diff::compute;
pub use guardrails::{Breach, ChangeKind};

/// What the providers hold: every account of each provider that was read.
#[derive(Clone, Debug, Default)]
pub struct Remote {
    /// Accounts by provider name. A provider missing here was not read
    /// (excluded by `--target`) and is left out of the plan.
    pub providers: IndexMap<String, Vec<RemoteRecord>>,
}

/// Limits a plan to a provider, or to one account of a provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub provider: String,
    pub key: Option<String>,
}

impl Target {
    /// Parses `PROVIDER` or `PROVIDER/KEY`.
    pub fn parse(text: &str) -> Option<Target> {
        let (provider, key) = match text.split_once('/') {
            Some((p, k)) => (p, Some(k.to_string())),
            None => (text, None),
        };
        if provider.is_empty() || key.as_deref() == Some("") {
            return None;
        }
        Some(Target {
            provider: provider.to_string(),
            key,
        })
    }
}

/// Options of the planner.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// `--force`: every guardrail lifted.
    pub force: bool,
    /// `--allow KIND`: the guardrails lifted for these kinds of change.
    pub allow: Vec<ChangeKind>,
    /// The day the file is evaluated for (`start:`/`end:`); `None` ignores
    /// the dates. The workflow passes today in the file's time zone, or `--at`.
    pub at: Option<jiff::civil::Date>,
    /// When not empty, only these providers/accounts are planned.
    pub targets: Vec<Target>,
    /// Accounts whose write-only secrets (passwords) are sent again
    /// (`--rotate`): provider, and a key pattern (`*` and `?` globs).
    pub rotate: Vec<Rotate>,
}

/// One `--rotate PROVIDER[/KEY-GLOB]`.
#[derive(Clone, Debug)]
pub struct Rotate {
    pub provider: String,
    /// `None`: every account of the provider.
    pub key: Option<glob::Pattern>,
}

impl Rotate {
    /// Parses `PROVIDER` or `PROVIDER/KEY` where KEY may hold `*` and `?`.
    pub fn parse(text: &str) -> Result<Rotate, String> {
        let target = Target::parse(text).ok_or_else(|| {
            format!("invalid --rotate \"{text}\": write PROVIDER or PROVIDER/KEY")
        })?;
        let key = target
            .key
            .map(|k| {
                glob::Pattern::new(&k).map_err(|e| format!("invalid --rotate \"{text}\": {e}"))
            })
            .transpose()?;
        Ok(Rotate {
            provider: target.provider,
            key,
        })
    }

    pub fn matches(&self, provider: &str, key: &str) -> bool {
        self.provider == provider && self.key.as_ref().is_none_or(|p| p.matches(key))
    }
}

impl PlanOptions {
    /// What `--allow` and `--force` lift.
    pub fn allowed(&self) -> guardrails::Allowed {
        guardrails::Allowed {
            all: self.force,
            kinds: self.allow.clone(),
        }
    }

    /// Whether the provider is planned at all.
    pub fn includes_provider(&self, provider: &str) -> bool {
        self.targets.is_empty() || self.targets.iter().any(|t| t.provider == provider)
    }

    /// Whether an account is planned.
    pub fn includes(&self, provider: &str, key: &str) -> bool {
        self.targets.is_empty()
            || self
                .targets
                .iter()
                .any(|t| t.provider == provider && t.key.as_deref().is_none_or(|k| k == key))
    }

    /// Whether the whole provider is planned (so that unlisted accounts mean something).
    pub fn includes_whole_provider(&self, provider: &str) -> bool {
        self.targets.is_empty()
            || self
                .targets
                .iter()
                .any(|t| t.provider == provider && t.key.is_none())
    }
}

/// What a change does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Deactivate,
}

impl Action {
    pub fn symbol(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update => '~',
            Action::Deactivate => '-',
        }
    }

    /// The lowercase name (`create`, `update`, `deactivate`), as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Deactivate => "deactivate",
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Update => "updated in place",
            Action::Deactivate => "deactivated",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One field of a change. A sensitive field never carries its values.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// A secret: values are never shown, only that it is set.
    pub sensitive: bool,
    /// Sent on create only; the vendor cannot read it back, so it is never checked for drift.
    pub create_only: bool,
    /// Sent although it does not change, because the vendor's edit insists
    /// (CCP's password and whole record); `note` says why.
    pub sent_only: bool,
    /// A word for the reviewer: why a field is sent, or "rotated".
    pub note: Option<String>,
}

impl FieldChange {
    /// A field set to `after` (a create, or a changed value).
    pub fn set(name: &str, before: Option<Value>, after: Value) -> FieldChange {
        FieldChange {
            name: name.to_string(),
            before,
            after: Some(after),
            sensitive: false,
            create_only: false,
            sent_only: false,
            note: None,
        }
    }

    /// A secret: sent, never shown.
    pub fn secret(name: &str) -> FieldChange {
        FieldChange {
            name: name.to_string(),
            before: None,
            after: None,
            sensitive: true,
            create_only: false,
            sent_only: false,
            note: None,
        }
    }
}

/// What a change does to the account, with what that needs: an update or a
/// deactivation carries the account as it was read when planning.
#[derive(Clone, Debug)]
pub enum Op {
    Create,
    Update { remote: RemoteRecord },
    Deactivate { remote: RemoteRecord },
}

/// One change to one account.
#[derive(Clone, Debug)]
pub struct Change {
    pub op: Op,
    pub provider: String,
    /// The provider's `type:`.
    pub vendor: String,
    pub kind: Kind,
    pub key: String,
    /// For a create: every field sent. For an update: the changed fields.
    pub fields: Vec<FieldChange>,
    /// Secret references the change needs (passwords on create, CCP's password on edit).
    pub secrets: IndexMap<String, SecretRef>,
    /// The person (`people:` id) the account belongs to; `None` for a
    /// plain entry or an unlisted account.
    pub person: Option<String>,
    /// Words for the reviewer about the change as a whole (what the
    /// vendor holds that an edit does not send).
    pub notes: Vec<String>,
    /// Why, when the calendar causes the change: `starts 2026-12-07`,
    /// `left 2026-11-30`.
    pub reason: Option<String>,
}

impl Change {
    pub fn action(&self) -> Action {
        match self.op {
            Op::Create => Action::Create,
            Op::Update { .. } => Action::Update,
            Op::Deactivate { .. } => Action::Deactivate,
        }
    }

    /// The account as read when planning (none for a create).
    pub fn remote(&self) -> Option<&RemoteRecord> {
        match &self.op {
            Op::Create => None,
            Op::Update { remote } | Op::Deactivate { remote } => Some(remote),
        }
    }

    /// Fingerprint of the account the change was planned against
    /// ([`fingerprint::ABSENT`] for a create).
    pub fn fingerprint(&self) -> String {
        fingerprint::of(self.remote())
    }
}

/// A remote account the file does not list.
#[derive(Clone, Debug, PartialEq)]
pub struct Unlisted {
    pub provider: String,
    pub kind: Kind,
    pub key: String,
    /// Whether the account is active on the provider (when readable).
    pub active: Option<bool>,
    /// The plan deactivates it (`unlisted: deactivate`).
    pub deactivation_planned: bool,
    /// Why nothing is planned for it, when the policy asked for a deactivation.
    pub note: Option<String>,
}

/// Something the plan cannot do; a plan with problems is not applied.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanProblem {
    pub provider: String,
    pub key: Option<String>,
    pub message: String,
    pub help: String,
}

/// The result of planning.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unlisted: Vec<Unlisted>,
    /// Things the reader should know that do not stop the plan.
    pub warnings: Vec<String>,
    /// Things that stop the plan from being applied.
    pub problems: Vec<PlanProblem>,
    /// Updates and deactivations of providers whose edits are made by hand
    /// (`edits: manual`): steps for a person to make in the vendor's panel.
    /// Apply never sends them; they are drift until done.
    pub manual: Vec<Change>,
    /// Accounts that match the file.
    pub unchanged: usize,
    /// The file's people, in file order: id and the name to show ("Jan
    /// Kowalski"). Renderers group the changes by person with it.
    pub people: IndexMap<String, String>,
    /// Per person id: the attributes the file gives the person that one of
    /// their accounts' vendors has no field for ("ccp: no field for
    /// surname"), so the reader knows what is not sent.
    pub not_carried: IndexMap<String, Vec<String>>,
    /// The day the file was evaluated for, and the zone days are counted in.
    pub at: Option<jiff::civil::Date>,
    pub timezone: String,
    /// Whether the file gives any `start:` or `end:` (the day is then shown).
    pub dated: bool,
    /// The guardrails the plan goes over (allowed or not).
    pub breaches: Vec<Breach>,
    /// Per provider with a rate budget (`rate_limit`): the requests the
    /// apply of this plan will send and how long the budget makes them
    /// take. Filled by the workflow from the drivers, not by the planner.
    pub budgets: Vec<RequestBudget>,
}

/// The requests an apply sends to one provider, within its rate budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBudget {
    pub provider: String,
    /// Requests of the whole apply: logins, listings, writes, read-back
    /// (retries not counted).
    pub requests: u64,
    /// The budget: requests a second on average, and at once.
    pub per_second: f64,
    pub burst: u32,
    /// How long the budget makes those requests take, in seconds.
    pub seconds: f64,
}

impl RequestBudget {
    /// `thulium: 302 requests within 20/s (burst 1): about 15.1 s`
    pub fn line(&self) -> String {
        format!(
            "{}: {} requests within {}/s (burst {}): about {}",
            self.provider,
            self.requests,
            self.per_second,
            self.burst,
            human_seconds(self.seconds)
        )
    }
}

/// `15.1 s`, `2 min 5 s`, `1 h 3 min`.
pub fn human_seconds(seconds: f64) -> String {
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let whole = seconds.round() as u64;
    if whole < 3600 {
        format!("{} min {} s", whole / 60, whole % 60)
    } else {
        format!("{} h {} min", whole / 3600, (whole % 3600) / 60)
    }
}

/// Changes of one person (id and shown name), or of no person (`None`).
pub type Group<'p> = (Option<(&'p str, &'p str)>, Vec<&'p Change>);

/// Counts of a plan's changes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub deactivate: usize,
    /// Updates and deactivations that set the account's password (CCP's
    /// edit always does; `--rotate` asks for it).
    pub password_resets: usize,
    pub unchanged: usize,
    pub unlisted: usize,
    /// Updates and deactivations to make by hand in a vendor's panel
    /// (providers with `edits: manual`); apply does not send them.
    #[serde(default)]
    pub manual: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let count = |a: Action| self.changes.iter().filter(|c| c.action() == a).count();
        Summary {
            create: count(Action::Create),
            update: count(Action::Update),
            deactivate: count(Action::Deactivate),
            password_resets: self.password_resets(),
            unchanged: self.unchanged,
            unlisted: self.unlisted.len(),
            manual: self.manual.len(),
        }
    }

    /// Updates and deactivations that send a password: each sets the
    /// account's password to the file's value.
    pub fn password_resets(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.action() != Action::Create && c.fields.iter().any(|f| f.sensitive))
            .count()
    }

    /// Limits gone over and not allowed: the plan needs a person's approval
    /// (`--allow`), exit 3.
    pub fn needs_approval(&self) -> Vec<&Breach> {
        self.breaches.iter().filter(|b| !b.allowed).collect()
    }

    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Whether the providers differ from the file: a change to make, or an
    /// unlisted account reported (`unlisted: report`, the default, or
    /// `deactivate`), or a step to make by hand (`edits: manual`). One
    /// rule for `plan --detailed-exitcode`, `drift` and the JSON outputs'
    /// `in_sync`; `unlisted: ignore` and `ignore:` patterns keep accounts
    /// out of it.
    pub fn has_drift(&self) -> bool {
        self.has_changes() || !self.unlisted.is_empty() || !self.manual.is_empty()
    }

    /// The changes grouped for reading: each person's (people in file
    /// order, with their shown name), then those of no person (`None`).
    /// Within a group the plan's order is kept; people with no change are
    /// left out.
    pub fn by_person(&self) -> Vec<Group<'_>> {
        let mut groups: Vec<Group<'_>> = self
            .people
            .iter()
            .map(|(id, name)| (Some((id.as_str(), name.as_str())), Vec::new()))
            .collect();
        let mut plain = Vec::new();
        for change in &self.changes {
            let group = change
                .person
                .as_deref()
                .and_then(|id| self.people.get_index_of(id));
            match group {
                Some(i) => groups[i].1.push(change),
                None => plain.push(change),
            }
        }
        groups.retain(|(_, changes)| !changes.is_empty());
        if !plain.is_empty() {
            groups.push((None, plain));
        }
        groups
    }
}

#[cfg(test)]
mod tests;
