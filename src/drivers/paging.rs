//! Believing a vendor's listing only when it adds up.
//!
//! The listing decides what `plan` creates: an account missing from it is
//! planned as a create, that is a duplicate on the vendor. So a listing is
//! accepted only when it is self-consistent, and `list()` fails otherwise
//! (an [`Implausible`], turned by the driver into a protocol error naming the
//! provider, what did not add up, and what to do):
//!
//! - every listed id is distinct: an item repeated across pages is an error,
//!   never merged silently; a page made only of items already listed means
//!   the vendor ignores the paging parameter;
//! - every natural key is distinct: two vendor accounts with one key are an
//!   error naming both ids (headcount cannot tell which one the file means);
//! - where the vendor reports a total (CCP, DNL): the total is at most
//!   [`MAX_ACCOUNTS`]; the pages read are derived from it, `ceil(total /
//!   page)` and never more (at most [`MAX_PAGES`]); no later page reports
//!   a smaller total (accounts removed meanwhile may have been skipped);
//!   every page but the last is full; and the number of items listed equals
//!   the total (or exceeds it only when a later page reported the total grew:
//!   accounts created meanwhile, as during an apply);
//!   and when the last page read is full, one page past the total must be
//!   empty (a total short by whole pages is refused, never taken as the
//!   end: the accounts past it would be planned as creates);
//! - where the vendor reports none (Thulium): see [`OpenListing`]: a
//!   listing ends on an empty page, never on a short one, and a vendor
//!   that ignores `offset` but honours `limit` is refused; at most
//!   [`MAX_ACCOUNTS`] are read.
//!
//! Nothing is allocated from a number the vendor sent: collections grow with
//! what was received, and what may be received is bounded above.
//!
//! The evidence costs at most two requests beyond the pages that carry
//! items: the page past the end (always empty on a consistent vendor) and,
//! without a total, one probe of one item when the vendor repeats its list.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;

use crate::model::RemoteRecord;
use crate::words;

use super::error::Hint;
use super::http::HttpClient;
use super::DriverError;

/// The most accounts headcount reads from one provider. A vendor reporting
/// more is refused at once, before any further request.
pub const MAX_ACCOUNTS: usize = 1_000_000;

/// The most page requests of one listing.
pub const MAX_PAGES: usize = 10_000;

/// Items named in a message, at most.
const NAMED: usize = 3;

/// Why a listing cannot be believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Implausible {
    /// The reported total is above [`MAX_ACCOUNTS`].
    TotalTooLarge { total: usize },
    /// Reading the reported total at the vendor's page size takes too many requests.
    TooManyPages { total: usize, per_page: usize },
    /// No total, and full pages kept coming beyond the ceiling ([`MAX_ACCOUNTS`]).
    Endless { ceiling: usize },
    /// The first page is empty although the total is not zero.
    EmptyFirstPage { total: usize },
    /// A later page reports a smaller total.
    TotalShrank {
        page: String,
        first: usize,
        now: usize,
    },
    /// A page before the end holds fewer items than a full page.
    ShortPage {
        page: String,
        got: usize,
        expected: usize,
        total: usize,
    },
    /// A page made only of items already listed.
    IgnoresPaging {
        page: String,
        repeated: usize,
        param: &'static str,
    },
    /// A page repeats some items already listed.
    Repeated {
        page: String,
        repeated: usize,
        ids: Vec<String>,
    },
    /// Two listed accounts (different ids) have one natural key.
    DuplicateKey {
        key: String,
        ids: [String; 2],
        more: usize,
    },
    /// The number of items listed is not the reported total.
    CountMismatch { total: usize, listed: usize },
    /// Every item of the reported total was read on full pages, and the
    /// page past them held more: the total is short.
    TotalShort {
        page: String,
        total: usize,
        more: usize,
    },
}

/// `n` and `noun`, with an `s` when `n` asks.
fn plural(n: usize, noun: &str) -> String {
    words::plural(n, noun, &format!("{noun}s"))
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("\"{id}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Implausible {
    /// What did not add up, in plain words; `noun` is "user" or "agent".
    pub fn message(&self, noun: &str) -> String {
        match self {
            Implausible::TotalTooLarge { total } => format!(
                "the vendor reported a total of {total} {noun}s, more than the {MAX_ACCOUNTS} headcount reads from one provider; the listing was not read"
            ),
            Implausible::TooManyPages { total, per_page } => format!(
                "the vendor reported a total of {total} {noun}s but returns {} a page: reading them would take more than {MAX_PAGES} requests",
                plural(*per_page, noun)
            ),
            Implausible::Endless { ceiling } => format!(
                "the vendor kept returning full pages beyond {ceiling} {noun}s; the listing was stopped there"
            ),
            Implausible::EmptyFirstPage { total } => format!(
                "the vendor reported a total of {total} {noun}s but its first page was empty"
            ),
            Implausible::TotalShrank { page, first, now } => format!(
                "the vendor reported a total of {first} {noun}s on the first page but {now} on {page}: {noun}s were removed while the list was read, and some may have been skipped"
            ),
            Implausible::ShortPage {
                page,
                got,
                expected,
                total,
            } => format!(
                "{page} held {} where {expected} were expected (the vendor reported total {total}): the listing has a gap",
                plural(*got, noun)
            ),
            Implausible::IgnoresPaging {
                page,
                repeated,
                param,
            } => format!(
                "{page} repeats {} already listed: the vendor seems to ignore `{param}`",
                plural(*repeated, noun)
            ),
            Implausible::Repeated { page, repeated, ids } => format!(
                "{page} repeats {} already listed ({}{}): the listing shifted while it was read, or the vendor holds two accounts with one id",
                plural(*repeated, noun),
                quoted(ids),
                if *repeated > ids.len() { ", ..." } else { "" }
            ),
            Implausible::DuplicateKey { key, ids, more } => {
                let mut m = format!(
                    "two {noun}s have the key \"{key}\" (ids \"{}\" and \"{}\")",
                    ids[0], ids[1]
                );
                if *more > 0 {
                    let _ = write!(m, ", and {} more keys are shared", more);
                }
                m
            }
            Implausible::CountMismatch { total, listed } => format!(
                "the vendor reported total {total} but listed {}",
                plural(*listed, noun)
            ),
            Implausible::TotalShort { page, total, more } => format!(
                "the vendor reported total {total} and listed {total} {noun}s on full pages, but {page}, past that total, held {} more: its total is short, and the {noun}s past it would be planned as creates",
                plural(*more, noun)
            ),
        }
    }

    /// What the user can do about it (see [`DriverError::hint`]).
    pub fn hint(&self) -> Hint {
        match self {
            Implausible::DuplicateKey { .. } => Hint::SharedKey,
            Implausible::TotalShrank { .. } | Implausible::Repeated { .. } => Hint::ShiftedListing,
            _ => Hint::UntrustedListing,
        }
    }
}

/// The pages to read after the first one (page indexes 1, 2, ...), derived
/// from the total the vendor reported and the size of its first page (the
/// vendor may return fewer than asked; later pages are asked at that size).
pub fn pages_after_first(total: usize, first_len: usize) -> Result<Range<usize>, Implausible> {
    if total > MAX_ACCOUNTS {
        return Err(Implausible::TotalTooLarge { total });
    }
    if first_len >= total {
        return Ok(1..1);
    }
    if first_len == 0 {
        return Err(Implausible::EmptyFirstPage { total });
    }
    let pages = total.div_ceil(first_len);
    if pages > MAX_PAGES {
        return Err(Implausible::TooManyPages {
            total,
            per_page: first_len,
        });
    }
    Ok(1..pages)
}

/// One page as read: its records and the total it reported.
pub type Page = (Vec<RemoteRecord>, usize);

/// Checks the pages of a listing with a reported total (the first page
/// first, each asked with `step` items) and returns its records in order.
/// `label(i)` names page `i` in messages; `param` is the paging parameter.
pub fn accept_totalled(
    pages: Vec<Page>,
    step: usize,
    param: &'static str,
    label: impl Fn(usize) -> String,
) -> Result<Vec<RemoteRecord>, Implausible> {
    let Some(total) = pages.first().map(|(_, t)| *t) else {
        return Ok(Vec::new());
    };
    let mut grew = false;
    for (i, (records, reported)) in pages.iter().enumerate() {
        if *reported < total {
            return Err(Implausible::TotalShrank {
                page: label(i),
                first: total,
                now: *reported,
            });
        }
        grew |= *reported > total;
        let expected = total.saturating_sub(i.saturating_mul(step)).min(step);
        if records.len() < expected && i > 0 {
            return Err(Implausible::ShortPage {
                page: label(i),
                got: records.len(),
                expected,
                total,
            });
        }
    }
    let pages: Vec<Vec<RemoteRecord>> = pages.into_iter().map(|(records, _)| records).collect();
    distinct(&pages, param, &label)?;
    let listed: usize = pages.iter().map(Vec::len).sum();
    if listed < total || (listed > total && !grew) {
        return Err(Implausible::CountMismatch { total, listed });
    }
    Ok(pages.into_iter().flatten().collect())
}

/// Checks the page read past the reported total `first_total` (which
/// reported `now`): empty, or accounts created meanwhile (`now` counts
/// them), appended to `records`.
fn past_the_total(
    records: &mut Vec<RemoteRecord>,
    extra: Vec<RemoteRecord>,
    first_total: usize,
    now: usize,
    page: &str,
    param: &'static str,
) -> Result<(), Implausible> {
    if extra.is_empty() {
        return Ok(());
    }
    let ids: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let repeated: Vec<&RemoteRecord> = extra
        .iter()
        .filter(|r| ids.contains(r.id.as_str()))
        .collect();
    if !repeated.is_empty() {
        let whole = repeated.len() == extra.len();
        return Err(repeats(page.to_string(), &repeated, whole, param));
    }
    if now > first_total && records.len() + extra.len() <= now {
        records.extend(extra);
        let pages = [std::mem::take(records)];
        distinct(&pages, param, &|_| page.to_string())?;
        let [all] = pages;
        *records = all;
        return Ok(());
    }
    Err(Implausible::TotalShort {
        page: page.to_string(),
        total: first_total,
        more: extra.len(),
    })
}

/// The problem of a page repeating items already listed: all of them
/// (`whole`) means the vendor ignores `param`.
fn repeats(
    page: String,
    repeated: &[&RemoteRecord],
    whole: bool,
    param: &'static str,
) -> Implausible {
    if whole {
        return Implausible::IgnoresPaging {
            page,
            repeated: repeated.len(),
            param,
        };
    }
    Implausible::Repeated {
        page,
        repeated: repeated.len(),
        ids: repeated.iter().take(NAMED).map(|r| r.id.clone()).collect(),
    }
}

/// Checks that ids and keys are distinct across `pages`, naming the first
/// page that repeats items of an earlier one (or of itself).
fn distinct(
    pages: &[Vec<RemoteRecord>],
    param: &'static str,
    label: &impl Fn(usize) -> String,
) -> Result<(), Implausible> {
    let mut ids: HashSet<&str> = HashSet::new();
    for (i, page) in pages.iter().enumerate() {
        let repeated: Vec<&RemoteRecord> =
            page.iter().filter(|r| !ids.insert(r.id.as_str())).collect();
        if !repeated.is_empty() {
            let whole = repeated.len() == page.len() && i > 0;
            return Err(repeats(label(i), &repeated, whole, param));
        }
    }
    let mut keys: HashMap<&str, &str> = HashMap::new();
    let mut shared: Vec<(&str, &str, &str)> = Vec::new();
    for record in pages.iter().flatten() {
        if let Some(first) = keys.insert(record.key.as_str(), record.id.as_str()) {
            shared.push((record.key.as_str(), first, record.id.as_str()));
        }
    }
    match shared.first() {
        None => Ok(()),
        Some((key, a, b)) => Err(Implausible::DuplicateKey {
            key: key.to_string(),
            ids: [a.to_string(), b.to_string()],
            more: shared.len() - 1,
        }),
    }
}

/// The protocol error refusing a listing: the provider, what did not add
/// up, and what to do.
pub fn refuse(http: &HttpClient, context: &str, noun: &str, problem: &Implausible) -> DriverError {
    http.protocol(context, problem.message(noun))
        .with_help(problem.hint())
}

/// How a driver reads one page of a listing with a reported total.
pub struct Totalled<'a> {
    pub http: &'a HttpClient,
    /// "list users"
    pub context: &'a str,
    /// "user"
    pub noun: &'a str,
    /// The paging parameter ("offset", "page"), named when it seems ignored.
    pub param: &'static str,
}

impl Totalled<'_> {
    /// Reads a whole listing: the first page, then the pages the total
    /// calls for (concurrently, at the size of the first page), checked.
    /// `fetch(i, step)` reads page `i` of `step` items; `label(i, step)`
    /// names it in messages.
    pub async fn read<F, Fut>(
        &self,
        first: Page,
        fetch: F,
        label: impl Fn(usize, usize) -> String,
    ) -> Result<Vec<RemoteRecord>, DriverError>
    where
        F: Fn(usize, usize) -> Fut,
        Fut: std::future::Future<Output = Result<Page, DriverError>>,
    {
        let refuse = |p: Implausible| refuse(self.http, self.context, self.noun, &p);
        let step = first.0.len();
        let rest = pages_after_first(first.1, step).map_err(refuse)?;
        let past = rest.end;
        let mut pages = Vec::with_capacity(rest.len() + 1);
        pages.push(first);
        pages.extend(
            super::wire::read_pages(rest, self.http.parallelism(), |i| fetch(i, step)).await?,
        );
        let first_total = pages.first().map_or(0, |(_, t)| *t);
        let last_full = step > 0 && pages.last().is_some_and(|(r, _)| r.len() == step);
        let mut records =
            accept_totalled(pages, step, self.param, |i| label(i, step)).map_err(refuse)?;
        if last_full {
            // The total may be short by whole pages: every page read is
            // full and adds up. One page past it must be empty, or hold
            // accounts created meanwhile (its total grew to count them).
            let (extra, now) = fetch(past, step).await?;
            past_the_total(
                &mut records,
                extra,
                first_total,
                now,
                &label(past, step),
                self.param,
            )
            .map_err(refuse)?;
        }
        Ok(records)
    }
}

/// The requests a listing with a reported total sends for `accounts`
/// accounts served `page` at a time, retries aside: the pages, and the page
/// past the total when the last page read was full (every single page is).
pub fn totalled_requests(accounts: usize, page: usize) -> u64 {
    let pages = accounts.div_ceil(page.max(1)).max(1);
    let last_full = accounts > 0 && (accounts <= page || accounts % page.max(1) == 0);
    (pages + usize::from(last_full)) as u64
}

/// The requests an open listing (no total) sends for `accounts` accounts
/// asked `page` at a time, retries aside: the full pages, then the short
/// page and the empty one that confirms it (an empty first page ends it).
pub fn open_requests(accounts: usize, page: usize) -> u64 {
    let full = accounts / page.max(1);
    let short = usize::from(accounts % page.max(1) != 0);
    (full + short + 1) as u64
}

/// What to ask next while reading a listing without a total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// `limit` items at `offset`.
    Page { offset: usize, limit: usize },
    /// One item from offset 0: does the vendor honour `limit`? (asked
    /// once, when the items listed came back again whole).
    Probe,
    /// The listing is complete.
    Done,
}

/// What a listing without a total showed of the vendor's paging (for
/// `doctor`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed {
    /// The largest page the vendor served.
    pub largest_page: usize,
    /// It answered the items listed again at a later offset.
    pub ignores_offset: bool,
    /// It answered more items than `limit` asked.
    pub ignores_limit: bool,
    /// Requests made.
    pub requests: usize,
    /// The total it reported (`count` of an envelope), if any.
    pub count: Option<usize>,
}

/// A listing without a reported total (Thulium), read page by page with
/// `limit` and `offset`, that ends on evidence, never on a guess:
///
/// - each page is asked at `offset` = the items read so far;
/// - a page shorter than asked is not the end: the next request confirms
///   it. New items: the vendor serves smaller pages than asked (a cap, or a
///   fixed page size), and the listing goes on at the size it serves; an
///   empty page: the end;
/// - the items listed coming back again whole: the vendor ignores `offset`.
///   If it also ignores `limit` (more items than asked, or more than one
///   when one item is asked: a plain unpaged endpoint), that answer was the
///   whole list; if it honours `limit` but not `offset`, the listing is
///   refused ([`Implausible::IgnoresPaging`]): the rest cannot be reached;
/// - part of a page repeated: refused ([`Implausible::Repeated`]).
///
/// At most two requests beyond the pages that carry items: the empty page
/// that confirms the end, and the probe of one item.
pub struct OpenListing {
    limit: usize,
    pages: Vec<Vec<RemoteRecord>>,
    /// Ids listed so far (owned: pages arrive one by one).
    seen: HashSet<String>,
    listed: usize,
    /// The most items read ([`MAX_ACCOUNTS`]).
    ceiling: usize,
    observed: Observed,
    /// The total the vendor reported on its last page, if any.
    count: Option<usize>,
    done: bool,
}

impl OpenListing {
    /// A listing asked with `limit` items a page.
    pub fn new(limit: usize) -> Self {
        Self::with_ceiling(limit, MAX_ACCOUNTS)
    }

    fn with_ceiling(limit: usize, ceiling: usize) -> Self {
        OpenListing {
            limit: limit.max(1),
            pages: Vec::new(),
            seen: HashSet::new(),
            listed: 0,
            ceiling,
            observed: Observed::default(),
            count: None,
            done: false,
        }
    }

    /// The first request.
    pub fn first(&self) -> Next {
        Next::Page {
            offset: 0,
            limit: self.limit,
        }
    }

    /// What the listing showed of the vendor's paging so far.
    pub fn observed(&self) -> Observed {
        Observed {
            count: self.count,
            ..self.observed
        }
    }

    /// Takes the page read at `offset` with `limit` (and the total it
    /// reported, if any) and says what to ask next.
    pub fn take(
        &mut self,
        offset: usize,
        limit: usize,
        page: Vec<RemoteRecord>,
        count: Option<usize>,
    ) -> Result<Next, Implausible> {
        self.observed.requests += 1;
        if count.is_some() {
            self.count = count;
        }
        if page.len() > limit {
            self.observed.ignores_limit = true;
        }
        self.observed.largest_page = self.observed.largest_page.max(page.len());
        if page.is_empty() {
            self.done = true;
            return Ok(Next::Done);
        }
        let repeated: Vec<&RemoteRecord> = page
            .iter()
            .filter(|r| self.seen.contains(r.id.as_str()))
            .collect();
        if !repeated.is_empty() {
            let label = format!("the page at offset {offset}");
            let whole = repeated.len() == page.len() && page.len() == self.listed;
            if whole && self.pages.len() == 1 {
                // The same list whatever the offset: the vendor ignores it.
                self.observed.ignores_offset = true;
                if self.observed.ignores_limit {
                    // It also ignored `limit`: this list is everything.
                    self.done = true;
                    return Ok(Next::Done);
                }
                // Does it honour `limit`? One item asked from the start
                // tells a plain unpaged endpoint from a paged one that
                // ignores `offset` (a list of one item is that item).
                if self.listed == 1 {
                    self.done = true;
                    return Ok(Next::Done);
                }
                return Ok(Next::Probe);
            }
            let whole = repeated.len() == page.len();
            if whole {
                self.observed.ignores_offset = true;
            }
            return Err(repeats(label, &repeated, whole, "offset"));
        }
        let len = page.len();
        self.listed += len;
        if self.listed > self.ceiling || self.pages.len() >= MAX_PAGES {
            return Err(Implausible::Endless {
                ceiling: self.ceiling,
            });
        }
        self.seen.extend(page.iter().map(|r| r.id.clone()));
        self.pages.push(page);
        if len < limit && self.pages.len() > 1 {
            // The page before was short too and this one brought new items:
            // the vendor serves at most this many, whatever is asked.
            self.limit = self.limit.min(self.observed.largest_page);
        }
        // Full or short, the next page (at the items read so far) says
        // whether there is more: an empty one is the end.
        Ok(Next::Page {
            offset: offset.saturating_add(len),
            limit: self.limit,
        })
    }

    /// Takes the answer to [`Next::Probe`]: more than one item means the
    /// vendor ignores `limit` (and so returned its whole list each time);
    /// one means it honours `limit` but not `offset`: refused.
    pub fn take_probe(&mut self, page: &[RemoteRecord]) -> Result<Next, Implausible> {
        self.observed.requests += 1;
        if page.len() > 1 {
            self.observed.ignores_limit = true;
            self.done = true;
            return Ok(Next::Done);
        }
        Err(Implausible::IgnoresPaging {
            page: format!("the page at offset {}", self.listed),
            repeated: self.listed,
            param: "offset",
        })
    }

    /// The records, once the listing is complete and consistent (and as
    /// many as the total the vendor reported, when it reported one).
    pub fn finish(self) -> Result<Vec<RemoteRecord>, Implausible> {
        debug_assert!(self.done, "finish before the listing ended");
        let label = |i: usize| format!("page {}", i + 1);
        distinct(&self.pages, "offset", &label)?;
        if let Some(total) = self.count {
            if total != self.listed {
                return Err(Implausible::CountMismatch {
                    total,
                    listed: self.listed,
                });
            }
        }
        Ok(self.pages.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, key: &str) -> RemoteRecord {
        RemoteRecord {
            id: id.into(),
            key: key.into(),
            fields: Default::default(),
        }
    }

    fn run(from: usize, to: usize) -> Vec<RemoteRecord> {
        (from..to)
            .map(|i| rec(&format!("u{i}"), &format!("k{i}")))
            .collect()
    }

    fn label(i: usize) -> String {
        format!("page {i}")
    }

    fn accept(pages: Vec<Page>, step: usize) -> Result<usize, Implausible> {
        accept_totalled(pages, step, "page", label).map(|r| r.len())
    }

    #[test]
    fn the_pages_read_follow_the_total_and_refuse_huge_ones_at_once() {
        assert_eq!(pages_after_first(250, 100), Ok(1..3));
        assert_eq!(pages_after_first(3000, 100), Ok(1..30));
        assert_eq!(pages_after_first(100, 100), Ok(1..1));
        assert_eq!(pages_after_first(0, 0), Ok(1..1));
        assert_eq!(pages_after_first(250, 50), Ok(1..5));
        assert_eq!(
            pages_after_first(5, 0),
            Err(Implausible::EmptyFirstPage { total: 5 })
        );
        assert_eq!(
            pages_after_first(1_000_000_000_000, 100),
            Err(Implausible::TotalTooLarge {
                total: 1_000_000_000_000
            })
        );
        assert_eq!(pages_after_first(MAX_ACCOUNTS, 1000), Ok(1..1000));
        assert_eq!(
            pages_after_first(MAX_ACCOUNTS, 1),
            Err(Implausible::TooManyPages {
                total: MAX_ACCOUNTS,
                per_page: 1
            })
        );
    }

    #[test]
    fn a_consistent_listing_is_accepted_in_order() {
        let pages = vec![
            (run(0, 100), 250),
            (run(100, 200), 250),
            (run(200, 250), 250),
        ];
        let records = accept_totalled(pages, 100, "page", label).unwrap();
        assert_eq!(records.len(), 250);
        assert_eq!(records[249].id, "u249");
        assert_eq!(accept(vec![(Vec::new(), 0)], 100), Ok(0));
    }

    #[test]
    fn a_count_that_is_not_the_total_is_refused() {
        let pages = vec![
            (run(0, 100), 225),
            (run(100, 200), 225),
            (run(200, 250), 225),
        ];
        let err = accept(pages, 100).unwrap_err();
        assert_eq!(
            err,
            Implausible::CountMismatch {
                total: 225,
                listed: 250
            }
        );
        assert_eq!(
            err.message("user"),
            "the vendor reported total 225 but listed 250 users"
        );
        // A first page alone, fuller than its total.
        assert!(matches!(
            accept(vec![(run(0, 3), 2)], 100),
            Err(Implausible::CountMismatch { .. })
        ));
    }

    #[test]
    fn a_short_page_before_the_end_is_a_gap() {
        let pages = vec![
            (run(0, 100), 250),
            (run(100, 150), 250),
            (run(200, 250), 250),
        ];
        let err = accept(pages, 100).unwrap_err();
        assert_eq!(
            err.message("user"),
            "page 1 held 50 users where 100 were expected (the vendor reported total 250): the listing has a gap"
        );
        let empty = vec![(run(0, 100), 250), (Vec::new(), 250), (run(200, 250), 250)];
        assert!(matches!(
            accept(empty, 100),
            Err(Implausible::ShortPage { got: 0, .. })
        ));
    }

    #[test]
    fn a_page_that_repeats_the_first_means_paging_is_ignored() {
        let pages = vec![(run(0, 100), 250), (run(0, 100), 250), (run(0, 100), 250)];
        let err = accept(pages, 100).unwrap_err();
        assert_eq!(
            err.message("user"),
            "page 1 repeats 100 users already listed: the vendor seems to ignore `page`"
        );
    }

    #[test]
    fn an_item_repeated_across_pages_is_an_error_not_merged() {
        let mut second = run(100, 200);
        second[0] = rec("u99", "k99");
        let pages = vec![(run(0, 100), 200), (second, 200)];
        let err = accept(pages, 100).unwrap_err();
        assert_eq!(
            err.message("user"),
            "page 1 repeats 1 user already listed (\"u99\"): the listing shifted while it was read, or the vendor holds two accounts with one id"
        );
    }

    #[test]
    fn two_accounts_with_one_key_are_refused_naming_both_ids() {
        let mut first = run(0, 3);
        first.push(rec("other", "k1"));
        let err = accept(vec![(first, 4)], 100).unwrap_err();
        assert_eq!(
            err.message("user"),
            "two users have the key \"k1\" (ids \"u1\" and \"other\")"
        );
        assert_eq!(err.hint(), Hint::SharedKey);
    }

    #[test]
    fn a_total_that_shrinks_between_pages_is_refused_one_that_grows_is_not() {
        let pages = vec![(run(0, 100), 200), (run(100, 199), 199)];
        assert!(matches!(
            accept(pages, 100),
            Err(Implausible::TotalShrank {
                first: 200,
                now: 199,
                ..
            })
        ));
        // Accounts created meanwhile (an apply checking a create): the pages
        // read cover every account that existed when the listing began.
        let pages = vec![(run(0, 100), 150), (run(100, 160), 160)];
        assert_eq!(accept(pages, 100), Ok(160));
        // Without a larger total, more items than the total is a mismatch.
        let pages = vec![(run(0, 100), 150), (run(100, 160), 150)];
        assert!(matches!(
            accept(pages, 100),
            Err(Implausible::CountMismatch { .. })
        ));
    }

    /// Drives an open listing against a function answering (offset, limit).
    fn read_open(
        limit: usize,
        answer: impl Fn(usize, usize) -> Vec<RemoteRecord>,
    ) -> (Result<usize, Implausible>, Vec<(usize, usize)>) {
        let mut asked = Vec::new();
        let mut listing = OpenListing::new(limit);
        let mut next = listing.first();
        loop {
            let step = match next {
                Next::Page { offset, limit } => {
                    asked.push((offset, limit));
                    listing.take(offset, limit, answer(offset, limit), None)
                }
                Next::Probe => {
                    asked.push((0, 1));
                    listing.take_probe(&answer(0, 1))
                }
                Next::Done => break,
            };
            match step {
                Ok(n) => next = n,
                Err(e) => return (Err(e), asked),
            }
            assert!(asked.len() < 100, "the listing loops");
        }
        (listing.finish().map(|r| r.len()), asked)
    }

    fn paged(n: usize) -> impl Fn(usize, usize) -> Vec<RemoteRecord> {
        move |offset, limit| run(offset.min(n), offset.saturating_add(limit).min(n))
    }

    #[test]
    fn without_a_total_the_listing_ends_on_an_empty_page() {
        let (got, asked) = read_open(1000, paged(2500));
        assert_eq!(got, Ok(2500));
        assert_eq!(asked, [(0, 1000), (1000, 1000), (2000, 1000), (2500, 1000)]);
        let (got, asked) = read_open(1000, paged(2000));
        assert_eq!(got, Ok(2000));
        assert_eq!(asked.len(), 3);
        let (got, asked) = read_open(1000, paged(0));
        assert_eq!((got, asked.len()), (Ok(0), 1));
    }

    #[test]
    fn a_short_page_is_confirmed_and_a_capped_vendor_read_at_its_size() {
        // 250 agents behind a 100-item cap (or a fixed 100-item page).
        let capped = |offset: usize, limit: usize| paged(250)(offset, limit.min(100));
        let (got, asked) = read_open(1000, capped);
        assert_eq!(got, Ok(250));
        assert_eq!(asked, [(0, 1000), (100, 1000), (200, 100), (250, 100)]);
        let fixed = |offset: usize, _: usize| paged(250)(offset, 100);
        assert_eq!(read_open(1000, fixed).0, Ok(250));
    }

    #[test]
    fn a_vendor_that_ignores_the_parameters_is_believed_after_at_most_two_more_requests() {
        let everything = |_: usize, _: usize| run(0, 2500);
        let (got, asked) = read_open(1000, everything);
        assert_eq!(got, Ok(2500));
        assert_eq!(asked, [(0, 1000), (2500, 1000)]);
        // Fewer than asked: one probe of one item tells it apart.
        let (got, asked) = read_open(1000, |_, _| run(0, 250));
        assert_eq!(got, Ok(250));
        assert_eq!(asked, [(0, 1000), (250, 1000), (0, 1)]);
        let (got, asked) = read_open(1000, |_, _| run(0, 1000));
        assert_eq!(got, Ok(1000));
        assert_eq!(asked, [(0, 1000), (1000, 1000), (0, 1)]);
    }

    #[test]
    fn a_vendor_that_ignores_offset_only_is_refused() {
        let first_only = |_: usize, limit: usize| run(0, limit.min(2500));
        let (got, asked) = read_open(1000, first_only);
        assert_eq!(
            got.unwrap_err().message("agent"),
            "the page at offset 1000 repeats 1000 agents already listed: the vendor seems to ignore `offset`"
        );
        assert_eq!(asked.len(), 3);
        // Behind a cap too: 100 of 250, then the same 100.
        let capped_first = |_: usize, limit: usize| run(0, limit.min(100));
        let (got, asked) = read_open(1000, capped_first);
        assert!(
            matches!(got, Err(Implausible::IgnoresPaging { .. })),
            "{got:?}"
        );
        assert_eq!(asked, [(0, 1000), (100, 1000), (0, 1)]);
    }

    #[test]
    fn a_reported_count_must_match_the_listing() {
        let mut listing = OpenListing::new(1000);
        assert_eq!(
            listing.take(0, 1000, run(0, 3), Some(4)),
            Ok(Next::Page {
                offset: 3,
                limit: 1000
            })
        );
        assert_eq!(listing.take(3, 1000, Vec::new(), Some(4)), Ok(Next::Done));
        assert_eq!(
            listing.finish().map(|r| r.len()),
            Err(Implausible::CountMismatch {
                total: 4,
                listed: 3
            })
        );
    }

    #[test]
    fn without_a_total_a_partly_repeated_page_or_a_shared_key_is_refused() {
        let shifted = |offset: usize, limit: usize| {
            let from = if offset > 0 { offset - 1 } else { 0 };
            run(from, (from + limit).min(2500))
        };
        let (got, _) = read_open(1000, shifted);
        assert!(matches!(
            got,
            Err(Implausible::Repeated { repeated: 1, .. })
        ));
        let twins = |_: usize, _: usize| vec![rec("a", "a"), rec("b", "b"), rec("a", "a")];
        let (got, _) = read_open(1000, twins);
        assert!(matches!(got, Err(Implausible::Repeated { .. })), "{got:?}");
    }

    #[test]
    fn without_a_total_the_listing_is_bounded() {
        // A vendor inventing new agents on every page, forever.
        let endless = |offset: usize, limit: usize| run(offset, offset + limit);
        let mut listing = OpenListing::with_ceiling(1000, 20_000);
        let mut offset = 0;
        let err = loop {
            match listing.take(offset, 1000, endless(offset, 1000), None) {
                Ok(Next::Page { offset: o, .. }) => offset = o,
                Ok(other) => panic!("ended with {other:?}"),
                Err(e) => break e,
            }
        };
        assert_eq!(err, Implausible::Endless { ceiling: 20_000 });
        assert_eq!(offset, 20_000);
        assert!(OpenListing::new(1000).ceiling == MAX_ACCOUNTS);
    }

    #[test]
    fn request_estimates_count_the_confirming_request() {
        // A single page is full by definition: the page past the total follows.
        assert_eq!(totalled_requests(0, 100), 1);
        assert_eq!(totalled_requests(30, 100), 2);
        assert_eq!(totalled_requests(250, 100), 3);
        assert_eq!(totalled_requests(300, 100), 4);
        // A short page is confirmed by an empty one.
        assert_eq!(open_requests(0, 1000), 1);
        assert_eq!(open_requests(300, 1000), 2);
        assert_eq!(open_requests(1000, 1000), 2);
        assert_eq!(open_requests(2500, 1000), 4);
    }
}
