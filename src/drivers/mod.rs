//! Vendor drivers: one [`Driver`] per vendor, and the registry that maps a
//! provider's `type:` to its driver.
//!
//! A driver knows its vendor's REST API and nothing of YAML, plans or
//! rendering. Adding a vendor means one new file here and one line in
//! [`VENDORS`].

pub mod ccp;
pub mod dnl;
pub mod error;
pub mod field_types;
pub mod http;
pub mod listing;
pub mod paging;
pub mod retry;
pub mod thulium;
pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use indexmap::IndexMap;
use secrecy::SecretString;

pub use error::{DriverError, ErrorKind};

use crate::model::{DriverSchema, RemoteRecord, WriteRequest};

/// Everything a driver needs to talk to one provider instance. `Debug`
/// never shows a credential (`SecretString` redacts itself).
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// The provider's name in the file (used in every message).
    pub name: String,
    /// Base URL as written in the file (e.g. `https://acme.thulium.com`).
    pub url: url::Url,
    /// Resolved credentials by `auth:` field name (username, password, api_key).
    pub credentials: IndexMap<String, SecretString>,
    /// Per-request timeout (connect + response).
    pub timeout: Duration,
    /// Maximum concurrent requests to this provider.
    pub parallelism: usize,
    /// Allow `http://` to a non-loopback host.
    pub insecure_http: bool,
    /// How idempotent calls are retried (see [`retry::RetryPolicy::DEFAULT`]).
    pub retry: retry::RetryPolicy,
    /// The longest a call with its retries may take, and the longest one
    /// read of the provider (every page of a list, with retries) may take
    /// (see [`http::read_scope`]). Default 45 s: a vendor that never answers
    /// fails the plan in under a minute, whatever `timeout` and retries say.
    pub deadline: Duration,
    /// A PEM file of certificate authorities to trust for this provider, on
    /// top of the system's (a vendor behind a private CA).
    pub ca_file: Option<PathBuf>,
    /// The provider's request budget (`rate_limit`): every request waits
    /// for a token of one bucket shared by all of the provider's tasks.
    pub rate_limit: Option<RateBudget>,
}

/// A request budget: `per_second` on average, `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateBudget {
    pub per_second: f64,
    pub burst: u32,
}

impl RateBudget {
    /// How long `requests` take within the budget when they are sent as
    /// fast as it allows, starting with a full bucket.
    pub fn duration_of(&self, requests: u64) -> Duration {
        let paced = requests.saturating_sub(u64::from(self.burst.max(1)));
        Duration::from_secs_f64(paced as f64 / self.per_second.max(f64::MIN_POSITIVE))
    }
}

impl ProviderConfig {
    /// A configuration with headcount's defaults.
    pub fn new(name: impl Into<String>, url: url::Url) -> ProviderConfig {
        ProviderConfig {
            name: name.into(),
            url,
            credentials: IndexMap::new(),
            timeout: Duration::from_secs(30),
            parallelism: 8,
            insecure_http: false,
            retry: retry::RetryPolicy::DEFAULT,
            deadline: Duration::from_secs(45),
            ca_file: None,
            rate_limit: None,
        }
    }

    pub fn with_credential(mut self, name: &str, value: impl Into<String>) -> Self {
        self.credentials
            .insert(name.to_string(), SecretString::from(value.into()));
        self
    }
}

/// One vendor's client. All methods speak headcount's field vocabulary
/// (see [`DriverSchema::fields`]); the mapping to the wire is the driver's job.
#[async_trait]
pub trait Driver: Send + Sync {
    /// The static description of the accounts this driver manages.
    fn schema(&self) -> &'static DriverSchema;

    /// Every account of the provider, following the vendor's paging to the end.
    async fn list(&self) -> Result<Vec<RemoteRecord>, DriverError>;

    /// The vendor's clock minus this machine's, in seconds, from the last
    /// answer's `Date` header (for `doctor`); none when unknown.
    fn clock_skew_secs(&self) -> Option<i64> {
        None
    }

    /// What the last listing showed of the vendor's paging, where the
    /// driver observes it (Thulium's listing without a total).
    fn paging_observed(&self) -> Option<paging::Observed> {
        None
    }

    /// One account by natural key, or `None` when it does not exist. Used to
    /// decide what to do after an ambiguous failure of a create.
    async fn get_by_key(&self, key: &str) -> Result<Option<RemoteRecord>, DriverError>;

    /// Creates an account; returns the vendor's id for it.
    /// Not retried on ambiguous failures: the error then has `ambiguous: true`.
    async fn create(&self, request: &WriteRequest) -> Result<String, DriverError>;

    /// Changes the fields in `request` on the account `remote` (which the
    /// driver may use to fill what the vendor insists on, e.g. CCP's full body).
    async fn update(
        &self,
        remote: &RemoteRecord,
        request: &WriteRequest,
    ) -> Result<(), DriverError>;

    /// The requests one [`Driver::list`] of a provider holding `accounts`
    /// accounts sends, without retries (for the rate budget's estimate).
    fn list_requests(&self, accounts: usize) -> u64 {
        let _ = accounts;
        1
    }

    /// Requests sent through this driver so far (every attempt, logins included).
    fn requests_sent(&self) -> u64 {
        0
    }

    /// Sends `remote` an edit that changes nothing, to find out whether the
    /// vendor has the edit endpoint at all (`doctor --probe-edits`). `None`:
    /// this vendor has no edit that changes nothing (its edit replaces the
    /// record), so nothing is sent.
    async fn probe_edit(&self, remote: &RemoteRecord) -> Result<Option<EditProbe>, DriverError> {
        let _ = remote;
        Ok(None)
    }
}

/// What an edit that changes nothing found out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditProbe {
    /// The vendor took it as an edit.
    Exists,
    /// The vendor answered this status (404 for an account that exists, or
    /// 405): it has no such endpoint.
    Missing { status: u16 },
}

/// A registry entry: the `type:` name, the static schema and a constructor.
pub struct VendorEntry {
    pub schema: &'static DriverSchema,
    pub connect: fn(ProviderConfig) -> Result<Arc<dyn Driver>, DriverError>,
}

/// Every vendor headcount supports. Adding a vendor adds one line here.
pub static VENDORS: &[VendorEntry] = &[thulium::VENDOR, ccp::VENDOR, dnl::VENDOR];

/// The registry entry for a provider `type:`.
pub fn vendor(type_name: &str) -> Option<&'static VendorEntry> {
    VENDORS.iter().find(|v| v.schema.vendor == type_name)
}

/// The names of every supported `type:`.
pub fn vendor_names() -> Vec<&'static str> {
    VENDORS.iter().map(|v| v.schema.vendor).collect()
}
