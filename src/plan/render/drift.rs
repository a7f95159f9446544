//! The drift report (`headcount drift`): the plan seen from the provider's
//! side, "what the provider has against what the file says".

use std::fmt::Write;

use serde::Serialize;

use crate::model::Value;
use crate::plan::{Action, Plan};

/// Version of the JSON drift report.
pub const FORMAT_VERSION: u32 = 1;

/// One account that differs from the file.
#[derive(Debug, Serialize)]
pub struct Drifted {
    /// The person (`people:` id) the account belongs to; null otherwise.
    pub person: Option<String>,
    /// The name shown for that person ("Jan Kowalski").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
    pub provider: String,
    pub kind: String,
    pub key: String,
    /// `missing` (in the file, not on the provider), `different`, or `unlisted`
    /// (on the provider, not in the file).
    pub status: &'static str,
    /// A step to make by hand in the vendor's panel (the provider says
    /// `edits: manual`): apply will not fix it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub by_hand: bool,
    pub fields: Vec<DriftField>,
}

/// A field whose remote value differs from the file.
#[derive(Debug, Serialize)]
pub struct DriftField {
    pub name: String,
    /// What the file says.
    pub file: Option<serde_json::Value>,
    /// What the provider has.
    pub remote: Option<serde_json::Value>,
}

/// The whole drift report.
#[derive(Debug, Serialize)]
pub struct DriftReport {
    pub format_version: u32,
    pub in_sync: bool,
    pub summary: DriftSummary,
    pub drift: Vec<Drifted>,
}

#[derive(Debug, Serialize)]
pub struct DriftSummary {
    pub matching: usize,
    pub different: usize,
    pub missing: usize,
    pub unlisted: usize,
}

impl DriftReport {
    pub fn from_plan(plan: &Plan) -> DriftReport {
        let mut drift = Vec::new();
        // Each person's accounts together (people in file order), then the rest.
        let groups = plan.by_person();
        let by_hand = plan.manual.iter().map(|c| (None, c, true));
        let changes = groups
            .iter()
            .flat_map(|(person, changes)| changes.iter().map(move |c| (*person, *c, false)))
            .chain(by_hand);
        for (person, c, by_hand) in changes {
            let listed_deactivation = c.action() == Action::Deactivate
                && plan
                    .unlisted
                    .iter()
                    .any(|u| u.provider == c.provider && u.key == c.key);
            if listed_deactivation {
                continue; // reported below, as unlisted
            }
            let (status, fields) = match c.action() {
                Action::Create => ("missing", Vec::new()),
                Action::Update | Action::Deactivate => (
                    "different",
                    c.fields
                        .iter()
                        .filter(|f| !f.sensitive && !f.sent_only)
                        .map(|f| DriftField {
                            name: f.name.clone(),
                            file: f.after.as_ref().map(Value::to_json),
                            remote: f.before.as_ref().map(Value::to_json),
                        })
                        .collect(),
                ),
            };
            drift.push(Drifted {
                person: person.map(|(id, _)| id.to_string()),
                person_name: person.map(|(_, name)| name.to_string()),
                provider: c.provider.clone(),
                kind: c.kind.to_string(),
                key: c.key.clone(),
                status,
                by_hand,
                fields,
            });
        }
        for u in &plan.unlisted {
            drift.push(Drifted {
                person: None,
                person_name: None,
                provider: u.provider.clone(),
                kind: u.kind.to_string(),
                key: u.key.clone(),
                status: "unlisted",
                by_hand: false,
                fields: Vec::new(),
            });
        }
        let count = |s: &str| drift.iter().filter(|d| d.status == s).count();
        let summary = DriftSummary {
            matching: plan.unchanged,
            different: count("different"),
            missing: count("missing"),
            unlisted: count("unlisted"),
        };
        DriftReport {
            format_version: FORMAT_VERSION,
            // The plan's one rule (`Plan::has_drift`); `drift` lists the same.
            in_sync: !plan.has_drift(),
            summary,
            drift,
        }
    }

    /// `No drift: ...` or `Drift found: ...`.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        if self.in_sync {
            format!("No drift: {} account(s) match the file.", s.matching)
        } else {
            format!(
                "Drift found: {} different, {} missing on the provider, {} unlisted; {} match.",
                s.different, s.missing, s.unlisted, s.matching
            )
        }
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let headed = self.drift.iter().any(|d| d.person.is_some());
        let mut group: Option<Option<&str>> = None;
        for d in &self.drift {
            if headed && group != Some(d.person.as_deref()) {
                group = Some(d.person.as_deref());
                let person = d.person.as_deref();
                let title = super::group_title(person.zip(d.person_name.as_deref()));
                let _ = writeln!(out, "{title}:");
            }
            let indent = if headed { "  " } else { "" };
            out.push_str(indent);
            let what = match d.status {
                "missing" => "in the file, missing on the provider",
                "unlisted" => "on the provider, not in the file",
                _ if d.by_hand => {
                    "differs from the file (a step to make by hand in the vendor's panel: `edits: manual`)"
                }
                _ => "differs from the file",
            };
            let _ = writeln!(out, "{}/{} \"{}\": {what}", d.provider, d.kind, d.key);
            // Only a "different" account has fields.
            for f in &d.fields {
                let _ = writeln!(
                    out,
                    "{indent}    {}: provider has {}, file says {}",
                    f.name,
                    show(&f.remote),
                    show(&f.file)
                );
            }
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"could not serialise the report: {e}\"}}"));
        text.push('\n');
        text
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from("### headcount drift\n\n");
        let _ = writeln!(out, "**{}**\n", self.summary_line());
        if !self.drift.is_empty() {
            out.push_str(
                "| account | status | field | provider has | file says |\n|---|---|---|---|---|\n",
            );
            for d in self.drift.iter().take(500) {
                let mut account =
                    format!("{}/{} `{}`", d.provider, d.kind, d.key.replace('`', "'"));
                if let Some(id) = &d.person {
                    let _ = write!(account, " (person `{}`)", id.replace('`', "'"));
                }
                if d.fields.is_empty() {
                    let _ = writeln!(out, "| {account} | {} | | | |", d.status);
                }
                for f in &d.fields {
                    let _ = writeln!(
                        out,
                        "| {account} | {} | {} | {} | {} |",
                        d.status,
                        f.name,
                        show(&f.remote).replace('|', "\\|"),
                        show(&f.file).replace('|', "\\|")
                    );
                }
            }
            if self.drift.len() > 500 {
                let _ = writeln!(out, "\n… and {} more accounts.", self.drift.len() - 500);
            }
        }
        out
    }
}

fn show(v: &Option<serde_json::Value>) -> String {
    v.as_ref()
        .map_or_else(|| "(not set)".to_string(), |v| v.to_string())
}
