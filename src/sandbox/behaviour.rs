//! Switchable vendor behaviours: what the simulated vendors do where no
//! public document fixes the answer.
//!
//! Each behaviour is named `vendor.behaviour` and takes one value
//! (`thulium.page_cap=100`, `ccp.total=short:50`). The defaults are the
//! behaviours `docs/vendors.md` gives as the most plausible; the others are
//! the alternatives a real system may show, so that the integration suite
//! can prove headcount either converges under each or refuses loudly.
//! They are set with `headcount sandbox --behaviour NAME=VALUE`
//! (repeatable), [`super::SandboxOptions::behaviours`], or the control API
//! (`GET`/`PUT /_sandbox/behaviours`); `docs/sandbox.md` lists them.
//!
//! Adding a behaviour is one row in the [`behaviours!`] table below (a
//! field, its name, its value type and its default) and, when a new kind of
//! value is needed, one small type implementing [`BehaviourValue`].

use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;

use indexmap::IndexMap;
use serde::Serialize;

/// A value a behaviour takes: parsed from and printed as its command-line
/// spelling.
pub trait BehaviourValue: FromStr<Err = String> + fmt::Display + Clone {
    /// The valid spellings, for errors and docs (`honoured, ignored`).
    const VALID: &'static str;
}

/// One behaviour as described to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BehaviourInfo {
    /// `vendor.behaviour`
    pub name: &'static str,
    /// What it changes.
    pub doc: &'static str,
    /// The valid values.
    pub valid: &'static str,
    /// The default (documented or most plausible) value.
    pub default: String,
}

/// A behaviour name or value the sandbox does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BehaviourError {
    #[error("unknown sandbox behaviour {name:?}; the behaviours are: {}", Behaviours::NAMES.join(", "))]
    UnknownName { name: String },
    #[error("invalid value {value:?} for the sandbox behaviour {name}: expected {valid}")]
    InvalidValue {
        name: String,
        value: String,
        valid: &'static str,
    },
    #[error("a sandbox behaviour is written NAME=VALUE (e.g. thulium.page_cap=100), not {0:?}")]
    Syntax(String),
}

macro_rules! behaviours {
    ($( $(#[doc = $doc:literal])+ $field:ident : $name:literal => $ty:ty = $default:expr, )*) => {
        /// Every switchable vendor behaviour with its current value (see
        /// the module docs). `Default` is the documented or most plausible
        /// behaviour of each vendor.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Behaviours {
            $( $(#[doc = $doc])+ pub $field: $ty, )*
        }

        impl Default for Behaviours {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl Behaviours {
            /// Every behaviour name, in table order.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// Sets one behaviour from its spelling.
            pub fn set(&mut self, name: &str, value: &str) -> Result<(), BehaviourError> {
                let value = value.trim();
                match name.trim() {
                    $( $name => {
                        self.$field = value.parse::<$ty>().map_err(|_| BehaviourError::InvalidValue {
                            name: $name.to_string(),
                            value: value.to_string(),
                            valid: <$ty as BehaviourValue>::VALID,
                        })?;
                        Ok(())
                    } )*
                    other => Err(BehaviourError::UnknownName { name: other.to_string() }),
                }
            }

            /// The current value of every behaviour, by name.
            pub fn values(&self) -> IndexMap<&'static str, String> {
                let mut map = IndexMap::new();
                $( map.insert($name, self.$field.to_string()); )*
                map
            }

            /// Every behaviour with its doc, valid values and default.
            pub fn describe() -> Vec<BehaviourInfo> {
                let default = Self::default();
                vec![$( BehaviourInfo {
                    name: $name,
                    doc: concat!($($doc, "\n"),+).trim(),
                    valid: <$ty as BehaviourValue>::VALID,
                    default: default.$field.to_string(),
                }, )*]
            }
        }
    };
}

behaviours! {
    /// The most agents one page of `GET /api/agents` holds, whatever `limit` asks.
    thulium_page_cap: "thulium.page_cap" => Size = Size::Items(nz(1000)),
    /// The page size when `limit` is not given (or ignored).
    thulium_page_default: "thulium.page_default" => Size = Size::Items(nz(100)),
    /// Whether the agent list honours `limit` (ignored: every page holds `page_default`).
    thulium_limit: "thulium.limit" => Honour = Honour::Honoured,
    /// Whether the agent list honours `offset` (ignored: every answer starts at the first agent).
    thulium_offset: "thulium.offset" => Honour = Honour::Honoured,
    /// The agent list's shape: a bare array, `{"result": [...]}`, or that with `"count": total`.
    thulium_list: "thulium.list" => ListShape = ListShape::Array,
    /// The order of the agent list.
    thulium_order: "thulium.order" => Order = Order::Stable,
    /// Whether deactivated agents are in the agent list.
    thulium_inactive: "thulium.inactive" => Inactive = Inactive::Listed,
    /// The most users one page of `GET /v3/user` holds, whatever `limit` asks.
    ccp_page_cap: "ccp.page_cap" => Size = Size::Items(nz(100)),
    /// The page size when `limit` is not given.
    ccp_page_default: "ccp.page_default" => Size = Size::Items(nz(10)),
    /// The `total` the user list reports: the real count, or off by N.
    ccp_total: "ccp.total" => Total = Total::Exact,
    /// The order of the user list.
    ccp_order: "ccp.order" => Order = Order::Stable,
    /// Whether deactivated users are in the user list.
    ccp_inactive: "ccp.inactive" => Inactive = Inactive::Listed,
    /// The most users one page of `GET /user/list` holds, whatever `per_page` asks.
    dnl_page_cap: "dnl.page_cap" => Size = Size::Items(nz(100)),
    /// The page size when `per_page` is not given.
    dnl_page_default: "dnl.page_default" => Size = Size::Items(nz(10)),
    /// The `total` the user list reports: the real count, or off by N.
    dnl_total: "dnl.total" => Total = Total::Exact,
    /// Whether deactivated users are in the user list.
    dnl_inactive: "dnl.inactive" => Inactive = Inactive::Listed,
    /// Which fields a DNL read carries: all, or `fullname` without
    /// `first_name`, `last_name`, `avatar_id` (its database has only `fullname`).
    dnl_reads: "dnl.reads" => Reads = Reads::Full,
    /// Whether the system has the agent edit `PUT /api/agents/{login}` that
    /// no public Thulium document names; without it, the edit answers 404 or 405.
    thulium_edit_endpoint: "thulium.edit_endpoint" => EditEndpoint = EditEndpoint::Present,
    /// What `PUT /v3/user/{uuid}` does with `last_name` and `middle_name`
    /// when the body leaves them out: keeps them, or blanks them (a PUT
    /// that replaces the whole record).
    ccp_put_unsent: "ccp.put_unsent" => Unsent = Unsent::Kept,
    /// What `PATCH /user/{id}` takes: a partial body, or only the whole
    /// form as the vendor's UI sends it (refused without `name` and `user_type`).
    dnl_patch: "dnl.patch" => Patch = Patch::Partial,
}

impl Behaviours {
    /// Parses and sets `NAME=VALUE`.
    pub fn set_assignment(&mut self, assignment: &str) -> Result<(), BehaviourError> {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| BehaviourError::Syntax(assignment.to_string()))?;
        self.set(name, value)
    }

    /// The behaviours with every `NAME=VALUE` of `assignments` set, in order.
    pub fn from_assignments<S: AsRef<str>>(assignments: &[S]) -> Result<Self, BehaviourError> {
        let mut behaviours = Self::default();
        for a in assignments {
            behaviours.set_assignment(a.as_ref())?;
        }
        Ok(behaviours)
    }

    /// The behaviours that differ from the default, as `NAME=VALUE`.
    pub fn changed(&self) -> Vec<String> {
        let default = Self::default().values();
        self.values()
            .into_iter()
            .filter(|(name, value)| default.get(name) != Some(value))
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }
}

const fn nz(n: usize) -> NonZeroUsize {
    match NonZeroUsize::new(n) {
        Some(n) => n,
        None => NonZeroUsize::MIN,
    }
}

/// Writes a `Display`/`FromStr` pair for a unit-variant enum from one list
/// of spellings.
macro_rules! spelled {
    ($ty:ident { $($variant:ident => $spelling:literal),+ $(,)? }) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $( $ty::$variant => $spelling, )+ })
            }
        }

        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $( $spelling => Ok($ty::$variant), )+
                    _ => Err(<$ty as BehaviourValue>::VALID.to_string()),
                }
            }
        }
    };
}

/// Whether a list parameter is honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Honour {
    Honoured,
    Ignored,
}
spelled!(Honour { Honoured => "honoured", Ignored => "ignored" });
impl BehaviourValue for Honour {
    const VALID: &'static str = "honoured, ignored";
}

/// The shape of Thulium's agent list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListShape {
    /// `[...]`
    Array,
    /// `{"result": [...]}`
    Envelope,
    /// `{"result": [...], "count": total}`
    EnvelopeCount,
}
spelled!(ListShape { Array => "array", Envelope => "envelope", EnvelopeCount => "envelope-count" });
impl BehaviourValue for ListShape {
    const VALID: &'static str = "array, envelope, envelope-count";
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first, the same on every read.
    Stable,
    /// Newest first, the same on every read.
    Reverse,
    /// Each list request sees the list rotated by one more account than
    /// the request before (an order that changes between reads).
    Unstable,
}
spelled!(Order { Stable => "stable", Reverse => "reverse", Unstable => "unstable" });
impl BehaviourValue for Order {
    const VALID: &'static str = "stable, reverse, unstable";
}

/// Whether deactivated accounts are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inactive {
    Listed,
    Hidden,
}
spelled!(Inactive { Listed => "listed", Hidden => "hidden" });
impl BehaviourValue for Inactive {
    const VALID: &'static str = "listed, hidden";
}

/// Which fields a read carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    Full,
    Sparse,
}
spelled!(Reads { Full => "full", Sparse => "sparse" });
impl BehaviourValue for Reads {
    const VALID: &'static str = "full, sparse";
}

/// Whether Thulium's agent edit endpoint exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditEndpoint {
    Present,
    /// The edit answers 404, as an unknown route.
    Missing404,
    /// The edit answers 405, a method the resource does not allow.
    Missing405,
}
spelled!(EditEndpoint { Present => "present", Missing404 => "missing-404", Missing405 => "missing-405" });
impl BehaviourValue for EditEndpoint {
    const VALID: &'static str = "present, missing-404, missing-405";
}

/// What an edit does with the fields its body leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsent {
    Kept,
    Blanked,
}
spelled!(Unsent { Kept => "kept", Blanked => "blanked" });
impl BehaviourValue for Unsent {
    const VALID: &'static str = "kept, blanked";
}

/// What body an edit takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patch {
    /// The changed fields only.
    Partial,
    /// The whole form: `name` and `user_type` with the changes.
    WholeForm,
}
spelled!(Patch { Partial => "partial", WholeForm => "whole-form" });
impl BehaviourValue for Patch {
    const VALID: &'static str = "partial, whole-form";
}

/// A page size: a number of items, or every item (`all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Items(NonZeroUsize),
    All,
}

impl Size {
    /// The size as a count (`usize::MAX` for `all`).
    pub fn get(self) -> usize {
        match self {
            Size::Items(n) => n.get(),
            Size::All => usize::MAX,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Items(n) => write!(f, "{n}"),
            Size::All => f.write_str("all"),
        }
    }
}

impl FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "all" {
            return Ok(Size::All);
        }
        s.parse::<NonZeroUsize>()
            .map(Size::Items)
            .map_err(|_| Self::VALID.to_string())
    }
}

impl BehaviourValue for Size {
    const VALID: &'static str = "a positive number of items, or all";
}

/// The total a list reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// The real count.
    Exact,
    /// N below the real count (at least 0).
    Short(u64),
    /// N above the real count.
    Long(u64),
}

impl Total {
    /// The total reported for `real` items.
    pub fn report(self, real: u64) -> u64 {
        match self {
            Total::Exact => real,
            Total::Short(n) => real.saturating_sub(n),
            Total::Long(n) => real.saturating_add(n),
        }
    }
}

impl fmt::Display for Total {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Total::Exact => f.write_str("exact"),
            Total::Short(n) => write!(f, "short:{n}"),
            Total::Long(n) => write!(f, "long:{n}"),
        }
    }
}

impl FromStr for Total {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || Self::VALID.to_string();
        match s.split_once(':') {
            None if s == "exact" => Ok(Total::Exact),
            Some(("short", n)) => n.parse().map(Total::Short).map_err(|_| bad()),
            Some(("long", n)) => n.parse().map(Total::Long).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl BehaviourValue for Total {
    const VALID: &'static str = "exact, short:N, long:N (N items)";
}

/// The list position (in stored order) of the `i`-th item a list request
/// shows, under `order`, for `len` items; `request` counts the list
/// requests so far (for [`Order::Unstable`]).
pub(crate) fn ordered_index(order: Order, len: usize, i: usize, request: u64) -> usize {
    match order {
        Order::Stable => i,
        Order::Reverse => len - 1 - i,
        Order::Unstable => {
            let shift = usize::try_from(request % len.max(1) as u64).unwrap_or(0);
            (i + shift) % len.max(1)
        }
    }
}

/// The page size of one list request: `asked` (or `default` when absent,
/// zero or ignored), at most `cap`.
pub(crate) fn served_size(asked: Option<usize>, limit: Honour, default: Size, cap: Size) -> usize {
    let asked = match (limit, asked) {
        (Honour::Honoured, Some(n)) if n > 0 => n,
        _ => default.get(),
    };
    asked.min(cap.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_behaviours() {
        let b = Behaviours::default();
        assert_eq!(b.thulium_page_cap, Size::Items(nz(1000)));
        assert_eq!(b.thulium_list, ListShape::Array);
        assert!(b.changed().is_empty());
        assert_eq!(Behaviours::describe().len(), Behaviours::NAMES.len());
    }

    #[test]
    fn assignments_set_typed_values() {
        let b = Behaviours::from_assignments(&[
            "thulium.page_cap=100",
            "thulium.offset=ignored",
            "ccp.total=short:50",
            "thulium.list=envelope",
        ])
        .unwrap();
        assert_eq!(b.thulium_page_cap, Size::Items(nz(100)));
        assert_eq!(b.thulium_offset, Honour::Ignored);
        assert_eq!(b.ccp_total, Total::Short(50));
        assert_eq!(b.thulium_list, ListShape::Envelope);
        assert_eq!(
            b.changed(),
            [
                "thulium.page_cap=100",
                "thulium.offset=ignored",
                "thulium.list=envelope",
                "ccp.total=short:50"
            ]
        );
    }

    #[test]
    fn unknown_names_and_values_list_the_valid_ones() {
        let mut b = Behaviours::default();
        let e = b.set("thulium.colour", "red").unwrap_err().to_string();
        assert!(
            e.contains("thulium.page_cap") && e.contains("ccp.total"),
            "{e}"
        );
        let e = b.set("thulium.limit", "maybe").unwrap_err().to_string();
        assert!(e.contains("honoured, ignored"), "{e}");
        let e = b.set("ccp.total", "short:x").unwrap_err().to_string();
        assert!(e.contains("short:N"), "{e}");
        let e = b.set_assignment("thulium.limit").unwrap_err().to_string();
        assert!(e.contains("NAME=VALUE"), "{e}");
        assert_eq!(b, Behaviours::default());
    }

    #[test]
    fn served_sizes_and_orders() {
        let d = Size::Items(nz(100));
        assert_eq!(
            served_size(Some(1000), Honour::Honoured, d, Size::Items(nz(100))),
            100
        );
        assert_eq!(served_size(Some(1000), Honour::Ignored, d, Size::All), 100);
        assert_eq!(
            served_size(None, Honour::Honoured, Size::All, Size::All),
            usize::MAX
        );
        assert_eq!(ordered_index(Order::Reverse, 5, 0, 0), 4);
        assert_eq!(ordered_index(Order::Unstable, 5, 4, 2), 1);
        assert_eq!(Total::Short(50).report(20), 0);
    }
}
