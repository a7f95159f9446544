//! Days: which day an instant falls on in the file's time zone, where a
//! day stands in an account's working period (`start:` to `end:`), and the
//! joiners, movers and leavers due in the coming days (`headcount upcoming`).
//!
//! Pure: nothing here reads the clock. The workflow reads it once
//! ([`crate::workflow::today`]) and passes the day on.

use std::sync::OnceLock;

use jiff::civil::Date;
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::Timestamp;

use crate::desired::types::Zone;
use crate::desired::Desired;

/// The IANA time-zone database compiled into headcount (`tzdb-bundle-always`),
/// so a day is the same on every machine whatever its zone files.
fn database() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// The zone of an IANA name (`Europe/Warsaw`, `UTC`), from the bundled database.
pub fn zone(name: &str) -> Option<Zone> {
    let tz = database().get(name).ok()?;
    Some(Zone {
        name: name.to_string(),
        tz,
    })
}

/// The day an instant falls on in a time zone.
pub fn day_at(instant: Timestamp, tz: &TimeZone) -> Date {
    instant.to_zoned(tz.clone()).date()
}

/// Parses an ISO date (`2026-12-07`): exactly `YYYY-MM-DD`, a day that exists.
pub fn parse_day(text: &str) -> Result<Date, String> {
    let t = text.trim();
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(format!("\"{t}\" is not a date written YYYY-MM-DD"));
    }
    t.parse::<Date>()
        .map_err(|_| format!("{t} is not a day of the calendar"))
}

/// Where a day stands in a working period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before `start:` (the day it starts).
    Before(Date),
    /// From `start:` to `end:`, both included (or no dates).
    During,
    /// After `end:` (the last working day).
    After(Date),
}

/// The phase of `day` in the period `start..=end`.
pub fn phase(start: Option<Date>, end: Option<Date>, day: Date) -> Phase {
    match (start, end) {
        (Some(s), _) if day < s => Phase::Before(s),
        (_, Some(e)) if day > e => Phase::After(e),
        _ => Phase::During,
    }
}

/// What happens to a person on a day.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Movement {
    /// The person starts (their `start:`).
    Joins,
    /// The person has left (the day after their `end:`).
    Leaves,
    /// Some accounts start and others end the same day (a move between vendors).
    Moves,
    /// Some of the person's accounts start or end, the person stays.
    Changes,
}

/// One account's part in a day's movement.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct AccountEvent {
    pub provider: String,
    pub key: String,
    /// `activated` (created or set active) or `deactivated`.
    pub becomes: Becomes,
    /// Why: `starts 2026-12-07` or `left 2026-11-30`.
    pub reason: String,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Becomes {
    Activated,
    Deactivated,
}

/// What one person's accounts do on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The day the plan makes the change (a start day; the day after an end).
    pub day: Date,
    pub person: Option<String>,
    pub name: String,
    pub movement: Movement,
    pub accounts: Vec<AccountEvent>,
}

/// The reason the plan gives for a change the calendar causes.
pub fn starts(day: Date) -> String {
    format!("starts {day}")
}

/// The reason the plan gives for a deactivation after `end:`.
pub fn left(end: Date) -> String {
    format!("left {end}")
}

/// The joiners, movers and leavers whose accounts change on a day from
/// `from` to `from + days` (both included), by day, then in file order.
pub fn upcoming(desired: &Desired, from: Date, days: i64) -> Vec<Event> {
    let last = from.saturating_add(jiff::Span::new().days(days));
    let within = |d: Date| d >= from && d <= last;
    // (day, person or entry index) -> event
    let mut events: Vec<Event> = Vec::new();
    let people: std::collections::HashMap<&str, &crate::desired::Person> =
        desired.people.iter().map(|p| (&*p.id, p)).collect();
    for entry in &desired.entries {
        let mut add = |day: Date, becomes: Becomes, reason: String| {
            let who = entry.person.as_deref().map(str::to_string);
            let name = match who.as_deref().and_then(|id| people.get(id)) {
                Some(p) => p.display_name(),
                None => format!("{}/{}", entry.provider, entry.key),
            };
            let account = AccountEvent {
                provider: entry.provider.clone(),
                key: entry.key.clone(),
                becomes,
                reason,
            };
            match events
                .iter_mut()
                .find(|e| e.day == day && who.is_some() && e.person == who)
            {
                Some(e) => e.accounts.push(account),
                None => events.push(Event {
                    day,
                    person: who,
                    name,
                    movement: Movement::Changes,
                    accounts: vec![account],
                }),
            }
        };
        if let Some(s) = entry.start.filter(|s| within(*s)) {
            add(s, Becomes::Activated, starts(s));
        }
        if let Some(e) = entry.end {
            let after = e.tomorrow().ok().filter(|d| within(*d));
            if let Some(day) = after {
                add(day, Becomes::Deactivated, left(e));
            }
        }
    }
    for event in &mut events {
        let person = event.person.as_deref().and_then(|id| people.get(id));
        let on = |becomes: Becomes| event.accounts.iter().any(|a| a.becomes == becomes);
        let (up, down) = (on(Becomes::Activated), on(Becomes::Deactivated));
        let person_starts = person.is_some_and(|p| p.start == Some(event.day));
        let person_ends =
            person.is_some_and(|p| p.end.and_then(|e| e.tomorrow().ok()) == Some(event.day));
        event.movement = if up && down {
            Movement::Moves
        } else if person_starts || (person.is_none() && up) {
            Movement::Joins
        } else if person_ends || (person.is_none() && down) {
            Movement::Leaves
        } else {
            Movement::Changes
        };
    }
    events.sort_by_key(|e| e.day);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        parse_day(text).unwrap()
    }

    #[test]
    fn impossible_and_misshapen_dates_are_refused() {
        assert!(parse_day("2026-02-30").unwrap_err().contains("not a day"));
        assert!(parse_day("2026-2-3").is_err());
        assert!(parse_day("07.12.2026").is_err());
        assert_eq!(parse_day("2028-02-29").unwrap().day(), 29);
    }

    #[test]
    fn the_period_includes_start_and_end() {
        let (s, e) = (Some(d("2026-12-07")), Some(d("2026-12-11")));
        assert_eq!(phase(s, e, d("2026-12-06")), Phase::Before(d("2026-12-07")));
        assert_eq!(phase(s, e, d("2026-12-07")), Phase::During);
        assert_eq!(phase(s, e, d("2026-12-11")), Phase::During);
        assert_eq!(phase(s, e, d("2026-12-12")), Phase::After(d("2026-12-11")));
        assert_eq!(phase(None, None, d("2026-12-12")), Phase::During);
    }

    #[test]
    fn a_day_begins_at_different_instants_in_two_zones() {
        let warsaw = zone("Europe/Warsaw").unwrap().tz;
        let la = zone("America/Los_Angeles").unwrap().tz;
        // 23:30 UTC on 6 December: already the 7th in Warsaw (UTC+1),
        // still the 6th in Los Angeles (UTC-8) and in UTC.
        let instant: Timestamp = "2026-12-06T23:30:00Z".parse().unwrap();
        assert_eq!(day_at(instant, &warsaw), d("2026-12-07"));
        assert_eq!(day_at(instant, &la), d("2026-12-06"));
        assert_eq!(day_at(instant, &TimeZone::UTC), d("2026-12-06"));
        // 07:59 UTC on the 7th is still the 6th in Los Angeles; 08:00 is the 7th.
        let before: Timestamp = "2026-12-07T07:59:59Z".parse().unwrap();
        let at: Timestamp = "2026-12-07T08:00:00Z".parse().unwrap();
        assert_eq!(day_at(before, &la), d("2026-12-06"));
        assert_eq!(day_at(at, &la), d("2026-12-07"));
    }

    #[test]
    fn days_follow_the_zone_across_a_dst_change() {
        let warsaw = zone("Europe/Warsaw").unwrap().tz;
        // Warsaw moves to summer time (UTC+2) at 01:00 UTC on 29 March 2026:
        // the 30th begins at 22:00 UTC on the 29th, not 23:00.
        let winter_midnight: Timestamp = "2026-03-28T23:00:00Z".parse().unwrap();
        assert_eq!(day_at(winter_midnight, &warsaw), d("2026-03-29"));
        let summer_eve: Timestamp = "2026-03-29T21:59:59Z".parse().unwrap();
        let summer_midnight: Timestamp = "2026-03-29T22:00:00Z".parse().unwrap();
        assert_eq!(day_at(summer_eve, &warsaw), d("2026-03-29"));
        assert_eq!(day_at(summer_midnight, &warsaw), d("2026-03-30"));
        // And back to UTC+1 on 25 October 2026: the 26th begins at 23:00 UTC.
        let autumn: Timestamp = "2026-10-25T22:59:59Z".parse().unwrap();
        assert_eq!(day_at(autumn, &warsaw), d("2026-10-25"));
        let next: Timestamp = "2026-10-25T23:00:00Z".parse().unwrap();
        assert_eq!(day_at(next, &warsaw), d("2026-10-26"));
    }

    #[test]
    fn unknown_zones_are_none() {
        assert!(zone("Europe/Atlantis").is_none());
        assert!(zone("UTC").is_some());
    }
}
