//! Saved plans (`plan --out FILE`, `apply FILE`): a promise, not a program.
//!
//! A saved plan records what was reviewed: every change as the JSON plan
//! shows it (values of secrets never included), the fingerprint of each
//! account a change was planned against, a digest of every provider listing
//! read, a digest of the desired-state input, and the planner's options.
//! It holds no URL, credential, secret reference or provider setting.
//!
//! `apply FILE` takes all of those from the desired-state file (`-f`),
//! reads the providers, computes the plan again and applies only when the
//! result is exactly the saved one ([`SavedPlan::check`]). Whatever a plan
//! file says, apply can only do what the desired-state file and the
//! providers call for now: an edited plan file is refused, never obeyed.

use std::io::Read;
use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::render::json::{JsonChange, JsonPlan};
use super::{Plan, Remote};

/// Marks a file as a headcount saved plan.
pub const KIND: &str = "headcount-saved-plan";
/// Version of the saved-plan format. Version 1 (before 0.2) carried
/// provider settings and secret references and is no longer read; version
/// 2 had no `at` (the day the plan was made for) nor `allow`.
pub const FORMAT_VERSION: u32 = 3;
/// Largest saved plan read (a plan of 100,000 creates is about 60 MB).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// A plan as saved to disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub kind: String,
    pub format_version: u32,
    pub headcount_version: String,
    /// The desired-state input the plan was made from.
    pub source: Source,
    /// `--target` values the plan was made with.
    pub targets: Vec<String>,
    /// `--rotate` values the plan was made with.
    pub rotate: Vec<String>,
    /// The plan was made with `--force`; apply must be given `--force` too.
    pub force: bool,
    /// `--allow` kinds the plan was made with; apply must be given the same.
    pub allow: Vec<String>,
    /// The day the file's calendar was evaluated for (YYYY-MM-DD); apply
    /// refuses the plan on another day.
    pub at: String,
    /// A digest of every listing read, by provider name.
    pub listings: IndexMap<String, String>,
    /// The changes, in the order apply starts them.
    pub changes: Vec<JsonChange>,
}

/// Where a saved plan came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The path given to `plan -f` (for messages only: apply reads `-f`).
    pub path: String,
    /// `sha256:…` of the desired-state input ([`crate::desired::load_with_digest`]).
    pub digest: String,
}

/// What a saved plan was made with, besides the plan itself.
pub struct Made<'a> {
    pub source_path: &'a Path,
    pub source_digest: &'a str,
    pub targets: &'a [String],
    pub rotate: &'a [String],
    pub force: bool,
    /// `--allow` kinds, sorted ([`super::guardrails::Allowed::words`]).
    pub allow: Vec<String>,
    pub at: Option<jiff::civil::Date>,
}

/// Errors reading or writing a saved plan.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SavedPlanError {
    #[error("cannot read the saved plan {path}: {reason}")]
    #[diagnostic(
        code(headcount::plan::read),
        help("make a plan with `headcount plan --out FILE` first")
    )]
    Read { path: String, reason: String },
    #[error("{path} is not a headcount saved plan: {reason}")]
    #[diagnostic(
        code(headcount::plan::format),
        help("pass a file written by `headcount plan --out FILE`")
    )]
    Format { path: String, reason: String },
    #[error("{path} is a saved plan of format version {found}; this headcount reads version {FORMAT_VERSION}")]
    #[diagnostic(
        code(headcount::plan::version),
        help("make the plan again with this version of headcount (`headcount plan --out FILE`)")
    )]
    Version { path: String, found: u64 },
    #[error("cannot write the plan to {path}: {reason}")]
    #[diagnostic(code(headcount::plan::write))]
    Write { path: String, reason: String },
}

/// Why a saved plan is not applied. Nothing was written when this is returned.
#[derive(Debug, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum Refusal {
    #[error("the desired-state file changed since the plan was made; nothing was applied\n  the plan was made from {saved_path} ({saved_digest})\n  {path} is now {digest}")]
    #[diagnostic(
        code(headcount::apply::file_changed),
        help("make a new plan from the file as it is now (`headcount plan --out FILE`), review it, and apply that; if you meant another file, pass it with -f")
    )]
    FileChanged {
        saved_path: String,
        saved_digest: String,
        path: String,
        digest: String,
    },
    #[error("the saved plan no longer matches what the file and the providers call for; nothing was applied\n{}", .lines.join("\n"))]
    #[diagnostic(code(headcount::apply::stale_plan), help("{help}"))]
    Differs { lines: Vec<String>, help: String },
    #[error("{option} {given} differs from the saved plan's ({saved}); nothing was applied")]
    #[diagnostic(
        code(headcount::apply::options),
        help("a saved plan is applied with the options it was made with: leave --target out (the saved targets are used), and give --rotate and --force exactly as when planning")
    )]
    Options {
        option: &'static str,
        given: String,
        saved: String,
    },
    #[error("the saved plan was made for {saved}, today is {today}; nothing was applied")]
    #[diagnostic(
        code(headcount::apply::other_day),
        help("the file's `start:` and `end:` may call for other changes today: make a new plan (`headcount plan --out FILE`), review it, and apply that")
    )]
    OtherDay { saved: String, today: String },
    #[error("--allow {given} differs from the saved plan's ({saved}); nothing was applied")]
    #[diagnostic(
        code(headcount::apply::allow),
        help("the plan was reviewed with exactly these guardrails lifted: give apply the same --allow as plan")
    )]
    Allow { given: String, saved: String },
}

impl SavedPlan {
    /// Builds the saved form of a plan.
    pub fn new(plan: &Plan, remote: &Remote, made: &Made) -> SavedPlan {
        SavedPlan {
            kind: KIND.to_string(),
            format_version: FORMAT_VERSION,
            headcount_version: env!("CARGO_PKG_VERSION").to_string(),
            source: Source {
                path: made.source_path.display().to_string(),
                digest: made.source_digest.to_string(),
            },
            targets: made.targets.to_vec(),
            rotate: made.rotate.to_vec(),
            force: made.force,
            allow: made.allow.clone(),
            at: made.at.map(|d| d.to_string()).unwrap_or_default(),
            listings: remote
                .providers
                .iter()
                .map(|(name, records)| (name.clone(), super::fingerprint::of_listing(records)))
                .collect(),
            changes: JsonPlan::from_plan(plan).changes,
        }
    }

    /// Writes the plan as JSON (readable only by the owner on Unix: it names
    /// accounts, though never a secret).
    pub fn write(&self, path: &Path) -> Result<(), SavedPlanError> {
        let failed = |reason: String| SavedPlanError::Write {
            path: path.display().to_string(),
            reason,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| failed(e.to_string()))?;
        std::fs::write(path, text + "\n").map_err(|e| failed(e.to_string()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(())
    }

    /// Reads a saved plan, refusing anything that is not one (at most
    /// [`MAX_BYTES`], the right kind and version, no unknown member).
    pub fn read(path: &Path) -> Result<SavedPlan, SavedPlanError> {
        let shown = path.display().to_string();
        let unreadable = |reason: String| SavedPlanError::Read {
            path: shown.clone(),
            reason,
        };
        let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
        let meta = file.metadata().map_err(|e| unreadable(e.to_string()))?;
        if !meta.is_file() {
            return Err(unreadable("it is not a regular file".into()));
        }
        let mut text = String::new();
        file.take(MAX_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| unreadable(e.to_string()))?;
        if text.len() as u64 > MAX_BYTES {
            return Err(unreadable(format!(
                "it is larger than {} MiB",
                MAX_BYTES / 1024 / 1024
            )));
        }
        let format = |reason: String| SavedPlanError::Format {
            path: shown.clone(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
        if value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err(format(format!("it has no \"kind\": \"{KIND}\"")));
        }
        let found = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if found != u64::from(FORMAT_VERSION) {
            return Err(SavedPlanError::Version { path: shown, found });
        }
        serde_json::from_value(value).map_err(|e| format(e.to_string()))
    }

    /// The `--target` values to plan with: the saved ones. Targets given on
    /// the command line must be the same.
    pub fn targets_for(&self, given: &[String]) -> Result<Vec<String>, Refusal> {
        same_option("--target", given, &self.targets, "none: the whole file")
    }

    /// The `--rotate` values to plan with: the saved ones, which apply must
    /// be given again. Like `--force`, rotating passwords widens what an
    /// apply does, so a plan file alone never asks for it.
    pub fn rotate_for(&self, given: &[String]) -> Result<Vec<String>, Refusal> {
        if given.is_empty() && !self.rotate.is_empty() {
            return Err(Refusal::Options {
                option: "--rotate",
                given: "(none)".into(),
                saved: self.rotate.join(", "),
            });
        }
        same_option("--rotate", given, &self.rotate, "none")
    }

    /// The saved plan must be applied on the day it was made for.
    pub fn check_day(&self, today: jiff::civil::Date) -> Result<(), Refusal> {
        let today = today.to_string();
        if self.at != today {
            return Err(Refusal::OtherDay {
                saved: self.at.clone(),
                today,
            });
        }
        Ok(())
    }

    /// Apply must lift exactly the guardrails the plan was made with.
    pub fn check_allow(&self, given: &[String]) -> Result<(), Refusal> {
        if given != self.allow.as_slice() {
            let show = |w: &[String]| {
                if w.is_empty() {
                    "none".to_string()
                } else {
                    w.join(",")
                }
            };
            return Err(Refusal::Allow {
                given: show(given),
                saved: show(&self.allow),
            });
        }
        Ok(())
    }

    /// Compares the saved plan with the plan made again now (`now`, from
    /// the same file): every change, value and fingerprint must be equal.
    /// Says for each account what differs and why: the account changed on
    /// the provider since, or the plan file was altered.
    pub fn check(&self, now: &SavedPlan) -> Result<(), Refusal> {
        let saved = by_account(&self.changes);
        let fresh = by_account(&now.changes);
        let mut lines = Vec::new();
        let mut vendor_changed = false;
        let mut altered = false;
        let mut accounts: Vec<&AccountKey> = saved.keys().chain(fresh.keys()).collect();
        accounts.sort();
        accounts.dedup();
        for account in accounts {
            let (old, new) = (saved.get(account), fresh.get(account));
            if old == new {
                continue;
            }
            let listing_moved = self.listings.get(&account.0) != now.listings.get(&account.0);
            let (what, by_vendor) = describe(old.copied(), new.copied(), listing_moved);
            vendor_changed |= by_vendor;
            altered |= !by_vendor;
            lines.push(format!(
                "  - {}/{} \"{}\": {what}",
                account.0, account.1, account.2
            ));
        }
        if self.changes.len() != saved.len() {
            altered = true;
            lines.push("  - the saved plan lists an account more than once".into());
        }
        if lines.is_empty() {
            return Ok(());
        }
        let help = match (vendor_changed, altered) {
            (_, true) if self.headcount_version != now.headcount_version => format!(
                "the plan was made by headcount {}, this is {}: make the plan again with this version",
                self.headcount_version, now.headcount_version
            ),
            (_, true) => "the plan file was altered after it was made (or made from another file or with other options): make a new plan with `headcount plan --out FILE`, review it, and apply that".into(),
            _ => "accounts changed on the provider since the plan was made: make a new plan (`headcount plan --out FILE`), review it, and apply that".into(),
        };
        Err(Refusal::Differs { lines, help })
    }
}

/// A repeatable option of a saved plan: what was saved, unless the command
/// line gives something else (refused).
fn same_option(
    option: &'static str,
    given: &[String],
    saved: &[String],
    none: &str,
) -> Result<Vec<String>, Refusal> {
    let sorted = |t: &[String]| {
        let mut t = t.to_vec();
        t.sort();
        t
    };
    if !given.is_empty() && sorted(given) != sorted(saved) {
        return Err(Refusal::Options {
            option,
            given: given.join(", "),
            saved: if saved.is_empty() {
                none.to_string()
            } else {
                saved.join(", ")
            },
        });
    }
    Ok(saved.to_vec())
}

/// (provider, kind, key) of a saved change.
type AccountKey = (String, String, String);

fn by_account(changes: &[JsonChange]) -> IndexMap<AccountKey, &JsonChange> {
    changes
        .iter()
        .map(|c| ((c.provider.clone(), c.kind.to_string(), c.key.clone()), c))
        .collect()
}

/// What differs for one account, and whether the provider explains it
/// (its account or listing changed since the plan was made).
fn describe(
    saved: Option<&JsonChange>,
    now: Option<&JsonChange>,
    listing_moved: bool,
) -> (String, bool) {
    match (saved, now) {
        (Some(saved), Some(now)) if saved.fingerprint != now.fingerprint => {
            let what = match (saved.fingerprint.as_str(), now.fingerprint.as_str()) {
                (super::fingerprint::ABSENT, _) => {
                    "created on the provider since the plan was made".to_string()
                }
                (_, super::fingerprint::ABSENT) => {
                    "removed from the provider since the plan was made".to_string()
                }
                _ => {
                    let fields = field_differences(saved, now, |f| f.before.as_ref(), ("", " ->"));
                    if fields.is_empty() {
                        "changed on the provider since the plan was made".to_string()
                    } else {
                        format!(
                            "changed on the provider since the plan was made ({})",
                            fields.join(", ")
                        )
                    }
                }
            };
            (what, true)
        }
        (Some(saved), Some(now)) => {
            let mut fields = field_differences(
                saved,
                now,
                |f| f.after.as_ref(),
                ("saved ", ", the file calls for"),
            );
            if saved.person != now.person {
                let show = |p: &Option<String>| {
                    p.as_deref()
                        .map_or("no person".to_string(), |id| format!("person \"{id}\""))
                };
                fields.insert(
                    0,
                    format!(
                        "saved for {}, now {}",
                        show(&saved.person),
                        show(&now.person)
                    ),
                );
            }
            if saved.action != now.action {
                fields.insert(
                    0,
                    format!("saved action {}, now {}", saved.action, now.action),
                );
            }
            if fields.is_empty() {
                fields.push("the saved change differs from the one made now".into());
            }
            (fields.join(", "), false)
        }
        (Some(saved), None) if listing_moved => (
            if saved.fingerprint == super::fingerprint::ABSENT {
                "created on the provider since the plan was made".to_string()
            } else {
                format!(
                    "changed on the provider since the plan was made; the saved plan would {} it, nothing is needed now",
                    saved.action
                )
            },
            true,
        ),
        (Some(saved), None) => (
            format!(
                "the saved plan would {} it; nothing is needed",
                saved.action
            ),
            false,
        ),
        (None, Some(now)) => (
            format!(
                "needs to be {}; the saved plan does not say so{}",
                now.action.verb(),
                if listing_moved {
                    " (the provider changed since)"
                } else {
                    ""
                }
            ),
            listing_moved,
        ),
        (None, None) => (String::new(), false),
    }
}

/// Fields whose chosen value (before or after) differs between two changes.
fn field_differences(
    saved: &JsonChange,
    now: &JsonChange,
    value: impl Fn(&super::render::json::JsonField) -> Option<&serde_json::Value>,
    (lead, between): (&str, &str),
) -> Vec<String> {
    let mut names: Vec<&str> = saved
        .fields
        .iter()
        .chain(&now.fields)
        .map(|f| f.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let show = |v: Option<&serde_json::Value>| v.map_or("(not set)".to_string(), |v| v.to_string());
    names
        .into_iter()
        .filter_map(|name| {
            let old = saved.fields.iter().find(|f| f.name == name);
            let new = now.fields.iter().find(|f| f.name == name);
            if old == new {
                return None;
            }
            let (a, b) = (old.and_then(&value), new.and_then(&value));
            Some(if a == b {
                format!("{name} differs")
            } else {
                format!("{name}: {lead}{}{between} {}", show(a), show(b))
            })
        })
        .collect()
}
