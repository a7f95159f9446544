//! Saved plans (`plan --out FILE`, `apply FILE`): the changes, the
//! providers' non-secret settings and a fingerprint of every record the plan
//! touches. Secrets are saved as references (`{"env": "NAME"}`), never values.

use std::path::Path;
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::Plan;
use crate::desired::{Credential, Desired, SecretRef};

/// Marks a file as a headcount saved plan.
pub const KIND: &str = "headcount-saved-plan";
/// Version of the saved-plan format.
pub const FORMAT_VERSION: u32 = 1;

/// A plan as saved to disk.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub kind: String,
    pub format_version: u32,
    pub headcount_version: String,
    /// The desired-state file(s) the plan was made from.
    pub source: String,
    /// Settings of the providers the plan touches, without secrets.
    pub providers: IndexMap<String, SavedProvider>,
    pub plan: Plan,
}

/// A provider's settings, enough to connect again; credentials as references.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedProvider {
    #[serde(rename = "type")]
    pub vendor: String,
    pub url: String,
    pub auth: IndexMap<String, SavedCredential>,
    pub parallelism: Option<u32>,
    pub timeout_secs: Option<f64>,
    pub insecure_http: bool,
}

/// A credential: a plain value the file allows in clear (a user name) or a reference.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SavedCredential {
    Plain(String),
    Secret(SecretRef),
}

/// Errors reading a saved plan.
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
        help("make the plan again with this version of headcount")
    )]
    Version { path: String, found: u32 },
    #[error("cannot write the plan to {path}: {reason}")]
    #[diagnostic(code(headcount::plan::write))]
    Write { path: String, reason: String },
}

impl SavedPlan {
    /// Builds a saved plan: the providers the plan touches (secret file
    /// paths are absolute since loading, so `apply` works from any folder).
    pub fn new(desired: &Desired, plan: &Plan, source: &Path) -> SavedPlan {
        let providers = desired
            .providers
            .iter()
            .filter(|(name, _)| plan.changes.iter().any(|c| &c.provider == *name))
            .map(|(name, p)| {
                let auth = p
                    .auth
                    .iter()
                    .map(|(field, cred)| {
                        let saved = match cred {
                            Credential::Plain(v) => SavedCredential::Plain(v.clone()),
                            Credential::Secret(r) => SavedCredential::Secret(r.clone()),
                        };
                        (field.clone(), saved)
                    })
                    .collect();
                (
                    name.clone(),
                    SavedProvider {
                        vendor: p.vendor().to_string(),
                        url: p.url.to_string(),
                        auth,
                        parallelism: p.parallelism,
                        timeout_secs: p.timeout.map(|t| t.as_secs_f64()),
                        insecure_http: p.insecure_http,
                    },
                )
            })
            .collect();
        let plan = plan.clone();
        SavedPlan {
            kind: KIND.to_string(),
            format_version: FORMAT_VERSION,
            headcount_version: env!("CARGO_PKG_VERSION").to_string(),
            source: source.display().to_string(),
            providers,
            plan,
        }
    }

    /// Writes the plan as JSON (readable only by the owner on Unix: it names
    /// accounts and where their secrets are, though never the secrets).
    pub fn write(&self, path: &Path) -> Result<(), SavedPlanError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| SavedPlanError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        std::fs::write(path, text + "\n").map_err(|e| SavedPlanError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(())
    }

    /// Reads and checks a saved plan.
    pub fn read(path: &Path) -> Result<SavedPlan, SavedPlanError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SavedPlanError::Read {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| SavedPlanError::Format {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        if value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err(SavedPlanError::Format {
                path: shown,
                reason: format!("it has no \"kind\": \"{KIND}\""),
            });
        }
        let found = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if found != u64::from(FORMAT_VERSION) {
            return Err(SavedPlanError::Version {
                path: shown,
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        serde_json::from_value(value).map_err(|e| SavedPlanError::Format {
            path: shown,
            reason: e.to_string(),
        })
    }

    /// The per-request timeout of a saved provider.
    pub fn timeout(provider: &SavedProvider) -> Option<Duration> {
        provider
            .timeout_secs
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
    }
}

/// One record that changed since the plan was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Stale {
    pub provider: String,
    pub key: String,
    /// What changed, in words ("email: \"a@x\" -> \"b@x\"", "created by someone else").
    pub what: String,
}

/// Compares the records a saved plan touches with what the providers hold
/// now. Pure: the caller reads the providers.
pub fn stale_records(plan: &Plan, remote: &super::Remote) -> Vec<Stale> {
    let mut stale = Vec::new();
    for change in &plan.changes {
        let Some(records) = remote.providers.get(&change.provider) else {
            continue;
        };
        let now = records.iter().rev().find(|r| r.key == change.key);
        if super::fingerprint::of(now) == change.fingerprint {
            continue;
        }
        let what = match (&change.remote, now) {
            (None, Some(_)) => {
                "the account now exists (created since the plan was made)".to_string()
            }
            (Some(_), None) => "the account no longer exists".to_string(),
            (Some(before), Some(now)) => {
                let mut names: Vec<&String> =
                    before.fields.keys().chain(now.fields.keys()).collect();
                names.sort();
                names.dedup();
                let diffs: Vec<String> = names
                    .into_iter()
                    .filter_map(|name| {
                        let old = before.fields.get(name);
                        let new = now.fields.get(name);
                        (old != new).then(|| {
                            let show = |v: Option<&crate::model::Value>| {
                                v.map_or("(not set)".to_string(), |v| v.to_string())
                            };
                            format!("{name}: {} -> {}", show(old), show(new))
                        })
                    })
                    .collect();
                if diffs.is_empty() {
                    "the account's id changed".to_string()
                } else {
                    diffs.join(", ")
                }
            }
            (None, None) => continue,
        };
        stale.push(Stale {
            provider: change.provider.clone(),
            key: change.key.clone(),
            what,
        });
    }
    stale
}
