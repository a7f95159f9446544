//! The validated desired state, as the rest of headcount sees it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

pub use crate::model::FieldMap;
use crate::model::{DriverSchema, Kind, Value};

/// A calendar day (`start:`, `end:`, `plan --at`).
pub use jiff::civil::Date;

use super::SecretRef;

/// Where something was written: file, line and column (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<PathBuf>,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// What to do with remote accounts the file does not list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnlistedPolicy {
    /// Say nothing about them.
    Ignore,
    /// List them in the plan (the default).
    #[default]
    Report,
    /// Plan to set them inactive.
    Deactivate,
}

/// How a provider's updates and deactivations are made (`edits:`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EditsPolicy {
    /// Sent through the vendor's edit endpoint (the default).
    #[default]
    Api,
    /// Planned as steps to make by hand in the vendor's panel; never sent.
    Manual,
}

/// A credential in a provider's `auth:` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A plain value (only where the driver allows it, e.g. a user name).
    Plain(String),
    /// A reference resolved when needed.
    Secret(SecretRef),
}

/// One provider instance (an entry of `providers:`).
#[derive(Clone, Debug)]
pub struct Provider {
    /// The name the file gives it (the key under `providers:`).
    pub name: String,
    /// The driver's static schema, found through `type:`.
    pub schema: &'static DriverSchema,
    pub url: url::Url,
    /// Credentials by `auth:` field name.
    pub auth: IndexMap<String, Credential>,
    pub unlisted: UnlistedPolicy,
    /// Whether updates and deactivations go through the API or by hand.
    pub edits: EditsPolicy,
    /// Maximum concurrent requests (overrides `--parallelism` when lower).
    pub parallelism: Option<u32>,
    /// Per-request timeout.
    pub timeout: Option<Duration>,
    /// Safety threshold: refuse plans deactivating more than this share (percent) of the
    /// provider's accounts unless `--force`. Default 25. Kept for files that
    /// set it: the deactivation limit when `limits:` does not give one.
    pub max_deactivate_percent: f64,
    /// Whether the file wrote `max_deactivate_percent:` (it then outranks the
    /// top-level `limits:`).
    pub max_deactivate_percent_set: bool,
    /// This provider's `limits:` (what it leaves out comes from the top-level
    /// `limits:`, then the defaults).
    pub limits: Limits,
    /// Allow `http://` to a host that is not loopback.
    pub insecure_http: bool,
    /// A PEM file of extra root certificates to trust (`ca_file:`), made
    /// absolute at load; checked then to be a readable regular file.
    pub ca_file: Option<PathBuf>,
    /// Key patterns (`ignore:`) of accounts headcount never touches nor
    /// reports. (`defaults:` are applied to the entries when loading.)
    pub ignore: Vec<glob::Pattern>,
    /// `rate_limit:`: the request budget of a run.
    pub rate_limit: Option<RateLimit>,
    pub origin: Origin,
}

/// A provider's request budget (`rate_limit: { per_second, burst }`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Requests a second on average (more than zero).
    pub per_second: f64,
    /// Requests at once after a pause (at least 1).
    pub burst: u32,
}

impl Provider {
    /// The vendor `type:` of this provider.
    pub fn vendor(&self) -> &'static str {
        self.schema.vendor
    }

    /// The `ignore:` pattern matching an account key, if any.
    pub fn ignored_by(&self, key: &str) -> Option<&glob::Pattern> {
        self.ignore.iter().find(|p| p.matches(key))
    }
}

/// One account the file lists.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Provider name (resolved even when the file leaves `provider:` out).
    pub provider: String,
    pub kind: Kind,
    /// The natural key's value.
    pub key: String,
    /// Non-secret fields as written, converted to the field's type, in file order.
    /// Includes the key field.
    pub fields: FieldMap<Value>,
    /// Secret fields (passwords) by field name; never resolved by the loader.
    pub secrets: FieldMap<SecretRef>,
    pub origin: Origin,
    /// The `people:` entry this account belongs to (its `id`), if any.
    pub person: Option<Arc<str>>,
    /// First working day of the account: its own `start:`, else its person's.
    pub start: Option<Date>,
    /// Last working day of the account: its own `end:`, else its person's.
    pub end: Option<Date>,
}

/// A whole validated desired state (one file or a directory of files).
#[derive(Clone, Debug)]
pub struct Desired {
    pub version: u32,
    /// Providers by name, in file order.
    pub providers: IndexMap<String, Provider>,
    /// Every account entry, in file order (a person's accounts included).
    pub entries: Vec<Entry>,
    /// Every `people:` entry, in file order.
    pub people: Vec<Person>,
    /// `journal:`: where apply appends what it did (absolute; a relative
    /// path is taken from the folder of the file that gives it).
    pub journal: Option<PathBuf>,
    /// `timezone:`: when a day begins for `start:` and `end:` (UTC unless set).
    pub timezone: Zone,
    /// The top-level `limits:`: guardrails for every provider.
    pub limits: Limits,
}

/// A time zone of the IANA database, with the name the file gave it.
#[derive(Clone, Debug)]
pub struct Zone {
    pub name: String,
    pub tz: jiff::tz::TimeZone,
}

impl Default for Zone {
    fn default() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }
}

/// A limit on one kind of change: a number of accounts, or a share of the
/// provider's accounts.
#[derive(
    Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Limit {
    Count(u64),
    Percent(f64),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Count(n) => write!(f, "{n}"),
            Limit::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// `limits:` (of a provider, or of the file for every provider): what a
/// plan may do without `--allow`. `None`: not set here.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    pub creates: Option<Limit>,
    pub updates: Option<Limit>,
    pub password_resets: Option<Limit>,
    pub deactivations: Option<Limit>,
    /// Below this many accounts on the provider, percentages do not apply.
    pub min_population: Option<u64>,
}

/// One person (an entry of `people:`); their accounts are in
/// [`Desired::entries`] with [`Entry::person`] set.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// The person's key, unique in the file.
    pub id: Arc<str>,
    pub name: Option<String>,
    pub surname: Option<String>,
    pub email: Option<String>,
    /// `active: false` suspends every account of the person.
    pub active: bool,
    /// First working day (`start:`).
    pub start: Option<Date>,
    /// Last working day (`end:`).
    pub end: Option<Date>,
    pub origin: Origin,
}

impl Person {
    /// "Jan Kowalski", or the id when the file gives no name.
    pub fn display_name(&self) -> String {
        let name: Vec<&str> = [self.name.as_deref(), self.surname.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if name.is_empty() {
            self.id.to_string()
        } else {
            name.join(" ")
        }
    }
}
