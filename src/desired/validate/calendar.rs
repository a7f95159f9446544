//! The calendar of a file: `start:` and `end:` on people and accounts, the
//! top-level `timezone:`, and `limits:` (the guardrails, top level and per
//! provider).

use crate::calendar;

use super::super::types::{Date, Limit, Limits, Zone};
use super::super::values;
use super::super::yaml::{Node, Yaml};
use super::{find, span, Checker, Fields};

/// The fields of a period, on a person or an account.
pub const PERIOD_FIELDS: [&str; 2] = ["start", "end"];

/// The fields of `limits:`.
pub const LIMIT_FIELDS: &[&str] = &[
    "creates",
    "updates",
    "password_resets",
    "deactivations",
    "min_population",
];

/// A date as written, with its node.
pub(super) type Dated<'n> = Option<(Date, &'n Node)>;

impl Checker {
    /// `start:` and `end:` of a person or an account, each an ISO date, the
    /// end not before the start. `who` names the owner in messages.
    pub(super) fn period<'n>(&mut self, fields: &Fields<'n>, who: &str) -> (Dated<'n>, Dated<'n>) {
        let start = self.day(fields, "start", who);
        let end = self.day(fields, "end", who);
        self.ordered(start, end, who);
        (start, end)
    }

    /// An end before a start is reported at the end, the start labelled.
    pub(super) fn ordered(&mut self, start: Dated<'_>, end: Dated<'_>, who: &str) {
        if let (Some((s, s_node)), Some((e, e_node))) = (start, end) {
            if e < s {
                self.push(
                    self.problem(
                        "end_before_start",
                        format!("{who} ends on {e}, before starting on {s}"),
                    )
                    .label(span(e_node), "the last working day")
                    .label(span(s_node), "the first working day")
                    .help("`end:` is the last working day, on or after `start:`; for a re-hire, replace the old `end:` with the new `start:`"),
                );
            }
        }
    }

    fn day<'n>(&mut self, fields: &Fields<'n>, name: &str, who: &str) -> Dated<'n> {
        let (_, node) = find(fields, name)?;
        let text = match &node.value {
            Yaml::Str(_) => values::string_like(node),
            _ => None,
        };
        let parsed = match &text {
            Some(t) => calendar::parse_day(t),
            None => Err(format!("found {}", node.value.describe())),
        };
        match parsed {
            Ok(day) => Some((day, node)),
            Err(why) => {
                self.push(
                    self.problem("date", format!("`{name}` of {who} must be a date: {why}"))
                        .label(span(node), "not a date")
                        .help(format!(
                            "write an ISO date that exists, e.g. `{name}: 2026-12-07`"
                        )),
                );
                None
            }
        }
    }

    /// The top-level `timezone:`, an IANA name.
    pub(super) fn timezone(&mut self, node: &Node) -> Option<Zone> {
        let name = match &node.value {
            Yaml::Str(_) => values::string_like(node),
            _ => None,
        };
        let zone = name.as_deref().and_then(calendar::zone);
        if zone.is_none() {
            let shown = name.unwrap_or_else(|| node.value.describe().to_string());
            self.push(
                self.problem("timezone", format!("unknown time zone {shown}"))
                    .label(span(node), "not an IANA time zone")
                    .help("write a name of the IANA time-zone database, e.g. `timezone: Europe/Warsaw` or `timezone: UTC` (the default)"),
            );
        }
        zone
    }

    /// A `limits:` mapping (of the file or of a provider).
    pub(super) fn limits(&mut self, node: &Node, owner: &str) -> Limits {
        let mut limits = Limits::default();
        let entries = match &node.value {
            Yaml::Map(entries) => entries,
            Yaml::Null => return limits,
            other => {
                self.push(
                    self.problem("wrong_type", format!("`limits` of {owner} must be a mapping, found {}", other.describe()))
                        .label(span(node), "expected a mapping")
                        .help("write e.g. `limits: { deactivations: 10%, creates: 200, min_population: 20 }`"),
                );
                return limits;
            }
        };
        let context = format!("the limits of {owner}");
        let fields = self.fields(entries, LIMIT_FIELDS, &context, &|_| None);
        for (name, _, value) in &fields {
            if name == "min_population" {
                match &value.value {
                    Yaml::Int(n) if *n >= 0 => limits.min_population = Some(*n as u64),
                    other => self.push(
                        self.problem("wrong_type", format!("`min_population` of {owner} must be a whole number of accounts, found {}", other.describe()))
                            .label(span(value), "expected a number of accounts")
                            .help("below this many accounts on the provider, percentage limits do not apply; e.g. `min_population: 20`"),
                    ),
                }
                continue;
            }
            let Some(limit) = self.limit(value, name, owner) else {
                continue;
            };
            match name.as_ref() {
                "creates" => limits.creates = Some(limit),
                "updates" => limits.updates = Some(limit),
                "password_resets" => limits.password_resets = Some(limit),
                _ => limits.deactivations = Some(limit),
            }
        }
        limits
    }

    /// A count (`200`) or a percentage (`10%`, from 0 to 100).
    fn limit(&mut self, node: &Node, name: &str, owner: &str) -> Option<Limit> {
        let parsed = match &node.value {
            Yaml::Int(n) if *n >= 0 => Some(Limit::Count(*n as u64)),
            Yaml::Str(s) => s
                .trim()
                .strip_suffix('%')
                .and_then(|p| p.trim().parse::<f64>().ok())
                .filter(|p| (0.0..=100.0).contains(p))
                .map(Limit::Percent),
            _ => None,
        };
        if parsed.is_none() {
            self.push(
                self.problem("limit", format!("`{name}` in the limits of {owner} must be a number of accounts or a percentage"))
                    .label(span(node), "expected e.g. 200 or 10%")
                    .help(format!("write `{name}: 200` (at most 200 accounts per plan) or `{name}: 10%` (of the provider's accounts, from 0% to 100%)")),
            );
        }
        parsed
    }
}
