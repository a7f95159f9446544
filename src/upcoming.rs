//! `headcount upcoming`: the joiners, movers and leavers due in the coming
//! days, by day and person, as text, markdown or versioned JSON (described
//! by `schemas/upcoming.schema.json`). Reads only the file.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::calendar::{AccountEvent, Event, Movement};

/// Version of the JSON format.
pub const FORMAT_VERSION: u32 = 1;

/// What `headcount upcoming --format json` prints.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonUpcoming {
    pub format_version: u32,
    pub headcount_version: String,
    /// The first day looked at (YYYY-MM-DD, today unless `--at`).
    pub from: String,
    /// The last day looked at.
    pub to: String,
    /// The file's `timezone:` (IANA name).
    pub timezone: String,
    /// Each day with a change, in order.
    pub days: Vec<JsonDay>,
}

/// One day.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonDay {
    /// The day the plan makes the changes (YYYY-MM-DD): a `start:`, or the
    /// day after an `end:`.
    pub day: String,
    pub people: Vec<JsonPerson>,
}

/// One person (or a plain entry) on a day.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonPerson {
    /// The person's `id`; null for a plain entry of `agents:`/`users:`.
    pub person: Option<String>,
    pub name: String,
    pub movement: Movement,
    pub accounts: Vec<AccountEvent>,
}

/// The events from `from` to `to` as JSON.
pub fn to_json(
    events: &[Event],
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    timezone: &str,
) -> JsonUpcoming {
    let mut days: Vec<JsonDay> = Vec::new();
    for e in events {
        let day = e.day.to_string();
        let person = JsonPerson {
            person: e.person.clone(),
            name: e.name.clone(),
            movement: e.movement,
            accounts: e.accounts.clone(),
        };
        match days.last_mut() {
            Some(last) if last.day == day => last.people.push(person),
            _ => days.push(JsonDay {
                day,
                people: vec![person],
            }),
        }
    }
    JsonUpcoming {
        format_version: FORMAT_VERSION,
        headcount_version: env!("CARGO_PKG_VERSION").to_string(),
        from: from.to_string(),
        to: to.to_string(),
        timezone: timezone.to_string(),
        days,
    }
}

fn word(m: Movement) -> &'static str {
    match m {
        Movement::Joins => "joins",
        Movement::Leaves => "leaves",
        Movement::Moves => "moves",
        Movement::Changes => "changes accounts",
    }
}

fn accounts(p: &JsonPerson) -> String {
    p.accounts
        .iter()
        .map(|a| {
            let sign = match a.becomes {
                crate::calendar::Becomes::Activated => '+',
                crate::calendar::Becomes::Deactivated => '-',
            };
            format!("{sign}{}/{} ({})", a.provider, a.key, a.reason)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text: a heading per day, a line per person.
pub fn text(report: &JsonUpcoming) -> String {
    let mut out = format!(
        "Upcoming from {} to {} ({}):\n",
        report.from, report.to, report.timezone
    );
    if report.days.is_empty() {
        out.push_str("\nNo joiners, movers or leavers.\n");
    }
    for day in &report.days {
        out.push_str(&format!("\n{}\n", weekday(&day.day)));
        for p in &day.people {
            out.push_str(&format!(
                "  {} {}: {}\n",
                p.name,
                word(p.movement),
                accounts(p)
            ));
        }
    }
    out
}

/// Markdown: a table per day.
pub fn markdown(report: &JsonUpcoming) -> String {
    let mut out = format!(
        "### Upcoming from {} to {} ({})\n",
        report.from, report.to, report.timezone
    );
    if report.days.is_empty() {
        out.push_str("\nNo joiners, movers or leavers.\n");
    }
    for day in &report.days {
        out.push_str(&format!(
            "\n#### {}\n\n| Person | | Accounts |\n|---|---|---|\n",
            weekday(&day.day)
        ));
        for p in &day.people {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                p.name.replace('|', "\\|"),
                word(p.movement),
                accounts(p).replace('|', "\\|")
            ));
        }
    }
    out
}

/// "Mon 2026-12-07".
fn weekday(day: &str) -> String {
    match day.parse::<jiff::civil::Date>() {
        Ok(d) => format!("{} {day}", &format!("{:?}", d.weekday())[..3]),
        Err(_) => day.to_string(),
    }
}

/// The draft-07 JSON Schema of [`JsonUpcoming`] (`headcount schema upcoming`).
pub fn schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    generator.into_root_schema_for::<JsonUpcoming>().to_value()
}
