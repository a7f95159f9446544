//! Listing misbehaviour: vendor lists that cannot be believed, on purpose,
//! so that tests can show a client refuses them.
//!
//! Each simulated vendor has [`ListingSettings`]: at most one
//! [`ListingFault`] at a time (none by default), and for Thulium the paging
//! mode of `GET /api/agents` ([`ThuliumPaging`]). They are set with
//! `PUT /_sandbox/listing/{vendor}` or [`super::Sandbox::set_listing`], and
//! the Thulium paging mode also with `headcount sandbox --thulium-paging`.
//!
//! A fault changes which stored rows a list answer shows ([`window`]) and
//! the total it reports; the stored accounts never change.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::behaviour::{ordered_index, Inactive, Order};
use super::table::page_range;

/// A list that does not add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListingFault {
    /// The total reported is 10% (at least one) below the real count.
    TotalLow,
    /// The total reported is 10^12 ([`HUGE_TOTAL`]).
    TotalHuge,
    /// Every page between the first and the last holds only the first half
    /// of its accounts (a gap in the middle of the list).
    ShortPage,
    /// `offset` / `page` is ignored: every page is the first one (the page
    /// size is still honoured).
    IgnoresPaging,
    /// Every page after the first starts with the last account of the page
    /// before (the account that belonged there is not listed): one item
    /// repeated across pages, as a list that shifts while it is read.
    RepeatedItem,
    /// The first account is listed a second time at the end of the list,
    /// under another id: two accounts with one key (the total counts both).
    DuplicateKey,
}

impl ListingFault {
    /// Whether the fault is about a reported total (Thulium reports none).
    pub fn needs_total(self) -> bool {
        matches!(self, ListingFault::TotalLow | ListingFault::TotalHuge)
    }
}

/// The total [`ListingFault::TotalHuge`] reports.
pub const HUGE_TOTAL: u64 = 1_000_000_000_000;

/// How the simulated Thulium pages `GET /api/agents`.
///
/// No public page documents the agent list. Thulium's documented list
/// endpoints (customers) page with `limit` ("Default: 100. Maximum: 1000")
/// and `offset`, so [`ThuliumPaging::Paged`] is the default: it is what the
/// vendor's documented lists do, and the behaviour under which a client that
/// does not page sees only the first 100 agents. [`ThuliumPaging::IgnoresParameters`]
/// is the other plausible server: one bare array of every agent, whatever
/// the query says. See `docs/vendors.md`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum ThuliumPaging {
    /// `limit` (default 100, max 1000) and `offset`.
    #[default]
    Paged,
    /// Every agent in one array; `limit` and `offset` are ignored.
    IgnoresParameters,
}

/// The listing behaviour of one simulated vendor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingSettings {
    /// The misbehaviour of its list answers, if any.
    pub fault: Option<ListingFault>,
    /// Thulium only: how `GET /api/agents` pages (absent for other vendors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<ThuliumPaging>,
}

impl ListingSettings {
    /// Checks the settings against what `vendor`'s list can do.
    pub(crate) fn validate(&self, vendor: &str) -> Result<(), String> {
        let thulium = vendor == "thulium";
        if self.paging.is_some() && !thulium {
            return Err(format!(
                "`paging` is a setting of the Thulium list only, not of {vendor}"
            ));
        }
        if thulium && self.fault.is_some_and(ListingFault::needs_total) {
            return Err(
                "Thulium's list reports no total: total-low and total-huge do not apply to it"
                    .into(),
            );
        }
        Ok(())
    }

    /// The settings as `vendor` keeps them: Thulium's paging mode is always
    /// set (to the default when not given).
    pub(crate) fn completed(mut self, vendor: &str) -> Self {
        if vendor == "thulium" {
            self.paging.get_or_insert_default();
        }
        self
    }
}

/// The stored rows (of `len`) a list shows, in stored order: every row, or
/// only the active ones when deactivated accounts are hidden.
pub(crate) fn listed_rows(
    len: usize,
    active: impl Fn(usize) -> bool,
    inactive: Inactive,
) -> Vec<usize> {
    (0..len)
        .filter(|&i| inactive == Inactive::Listed || active(i))
        .collect()
}

/// The stored rows a list shows, in the order it shows them (see
/// [`Order`]); `request` counts the list requests before this one.
pub(crate) fn arranged_rows(
    len: usize,
    active: impl Fn(usize) -> bool,
    inactive: Inactive,
    order: Order,
    request: u64,
) -> Vec<usize> {
    let listed = listed_rows(len, active, inactive);
    (0..listed.len())
        .map(|i| listed[ordered_index(order, listed.len(), i, request)])
        .collect()
}

/// One listed item: a stored row, or a second account made from a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Row(usize),
    Twin(usize),
}

/// What one list request shows: the rows and the total to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    pub slots: Vec<Slot>,
    pub total: u64,
}

/// The items of the list answer for `offset` and `limit` over `len` rows
/// (in list order), under `fault`.
pub(crate) fn window(
    fault: Option<ListingFault>,
    len: usize,
    offset: usize,
    limit: usize,
) -> Window {
    let rows = |from: usize, limit: usize| -> Vec<Slot> {
        page_range(len, from, limit).map(Slot::Row).collect()
    };
    let end = offset.saturating_add(limit);
    let real = len as u64;
    match fault {
        None => Window {
            slots: rows(offset, limit),
            total: real,
        },
        Some(ListingFault::TotalLow) => Window {
            slots: rows(offset, limit),
            total: real - (real / 10).max(1).min(real),
        },
        Some(ListingFault::TotalHuge) => Window {
            slots: rows(offset, limit),
            total: HUGE_TOTAL,
        },
        Some(ListingFault::ShortPage) => {
            let mut slots = rows(offset, limit);
            if offset > 0 && end < len {
                slots.truncate(slots.len() / 2);
            }
            Window { slots, total: real }
        }
        Some(ListingFault::IgnoresPaging) => Window {
            slots: rows(0, limit),
            total: real,
        },
        Some(ListingFault::RepeatedItem) => {
            let mut slots = rows(offset, limit);
            if offset > 0 && offset < len {
                slots[0] = Slot::Row(offset - 1);
            }
            Window { slots, total: real }
        }
        Some(ListingFault::DuplicateKey) => {
            // The rows, then the first row again as another account.
            let extra = usize::from(len > 0);
            let mut slots = rows(offset, limit);
            if extra == 1 && offset <= len && end > len {
                slots.push(Slot::Twin(0));
            }
            Window {
                slots,
                total: real + extra as u64,
            }
        }
    }
}

/// A listed item as serialised: the vendor's own view of a row, or the view
/// of a twin (another id) as JSON.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Listed<V> {
    Row(V),
    Twin(Value),
}

/// The listed items of `slots`: `view(i)` of row `i`; a twin is the view of
/// its row with the id changed by `retag`.
pub(crate) fn render<V: Serialize>(
    slots: &[Slot],
    view: impl Fn(usize) -> V,
    retag: impl Fn(&mut Map<String, Value>),
) -> Vec<Listed<V>> {
    slots
        .iter()
        .map(|slot| match *slot {
            Slot::Row(i) => Listed::Row(view(i)),
            Slot::Twin(i) => {
                let mut value = serde_json::to_value(view(i)).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut value {
                    retag(map);
                }
                Listed::Twin(value)
            }
        })
        .collect()
}

/// Offset added to a numeric id to make a twin's id.
pub(crate) const TWIN_ID_OFFSET: u64 = 1_000_000_000;

/// Gives a twin a numeric id of its own (`member` + [`TWIN_ID_OFFSET`]).
pub(crate) fn retag_number(member: &'static str) -> impl Fn(&mut Map<String, Value>) {
    move |map| {
        let id = map.get(member).and_then(Value::as_u64).unwrap_or(0);
        map.insert(member.into(), Value::from(id + TWIN_ID_OFFSET));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(w: &Window) -> Vec<usize> {
        w.slots
            .iter()
            .map(|s| match s {
                Slot::Row(i) => *i,
                Slot::Twin(i) => 1000 + i,
            })
            .collect()
    }

    fn pages(fault: Option<ListingFault>, len: usize, limit: usize) -> Vec<Vec<usize>> {
        (0..=len / limit)
            .map(|p| rows(&window(fault, len, p * limit, limit)))
            .collect()
    }

    #[test]
    fn without_a_fault_pages_cover_every_row_once() {
        let all: Vec<usize> = pages(None, 25, 10).concat();
        assert_eq!(all, (0..25).collect::<Vec<_>>());
        assert_eq!(window(None, 25, 0, 10).total, 25);
        assert!(window(None, 25, 1000, 10).slots.is_empty());
    }

    #[test]
    fn each_fault_breaks_the_list_as_documented() {
        assert_eq!(window(Some(ListingFault::TotalLow), 250, 0, 100).total, 225);
        assert_eq!(window(Some(ListingFault::TotalLow), 1, 0, 100).total, 0);
        assert_eq!(
            window(Some(ListingFault::TotalHuge), 3, 0, 100).total,
            HUGE_TOTAL
        );
        let short = pages(Some(ListingFault::ShortPage), 25, 10);
        assert_eq!(short.iter().map(Vec::len).collect::<Vec<_>>(), [10, 5, 5]);
        let ignored = pages(Some(ListingFault::IgnoresPaging), 25, 10);
        assert!(ignored.iter().all(|p| *p == (0..10).collect::<Vec<_>>()));
        let shifted = pages(Some(ListingFault::RepeatedItem), 25, 10);
        assert_eq!(shifted[1][0], 9);
        assert_eq!(shifted[2][0], 19);
        assert_eq!(shifted.concat().len(), 25);
        let twin = window(Some(ListingFault::DuplicateKey), 25, 20, 10);
        assert_eq!(rows(&twin), [20, 21, 22, 23, 24, 1000]);
        assert_eq!(twin.total, 26);
        assert_eq!(window(Some(ListingFault::DuplicateKey), 0, 0, 10).total, 0);
    }

    #[test]
    fn thulium_takes_no_total_faults_and_others_no_paging_mode() {
        let total = ListingSettings {
            fault: Some(ListingFault::TotalLow),
            paging: None,
        };
        assert!(total.validate("thulium").is_err());
        assert!(total.validate("ccp").is_ok());
        let paging = ListingSettings {
            fault: None,
            paging: Some(ThuliumPaging::Paged),
        };
        assert!(paging.validate("dnl").is_err());
        assert!(paging.validate("thulium").is_ok());
        // A Thulium setting without paging means the default paging mode.
        assert_eq!(
            total.completed("thulium").paging,
            Some(ThuliumPaging::Paged)
        );
        assert_eq!(total.completed("ccp").paging, None);
    }
}
