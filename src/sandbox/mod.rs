//! Simulated vendor APIs (Thulium, CCP, DNL) on one loopback port.
//!
//! This is a SIMULATION for tests, demos and benchmarks: it keeps accounts
//! in memory and answers as the vendors' documents say, never as any
//! particular client expects. `docs/vendors.md` says, per vendor and
//! operation, what is documented (and where), what was observed in the
//! vendors' own UI code, and what is inferred; the sandbox follows it.
//! Where the evidence leaves a behaviour open, a mode selects it (see
//! [`Modes`]).
//!
//! | vendor  | prefix     | example                         | credentials |
//! |---------|------------|---------------------------------|-------------|
//! | Thulium | `/thulium` | `GET /thulium/api/agents`       | Basic [`THULIUM_USER`] / [`THULIUM_PASSWORD`] |
//! | CCP     | `/ccp`     | `GET /ccp/v3/user?limit=100`    | `POST /ccp/v3/auth/token {"api_key": CCP_API_KEY}` then `Authorization: Bearer <token>` |
//! | DNL     | `/dnl`     | `GET /dnl/user/list?page=0`     | `POST /dnl/auth {"email_or_name": DNL_USER, "password": DNL_PASSWORD}` then `X-Auth-Token: <token>` |
//!
//! Tokens (CCP, DNL) live 24 hours, or until the control API expires them.
//!
//! Vendor routes (never `/_sandbox/`) get a fixed latency and, at a given
//! rate, one of the chosen [`FaultKind`]s, drawn from a seeded `StdRng`: a
//! sequential client sees the same faults for the same `--rng-seed`. A
//! [`ScheduledFault`] hits the next matching request whatever the rate. A
//! [`ListingFault`] makes a vendor's list answers inconsistent on purpose
//! (see the `listing` module). The control API under `/_sandbox/` (no
//! auth, not part of any vendor) inspects and steers all of this; its
//! routes are listed in `docs/sandbox.md`.
//!
//! The same operations are methods of [`Sandbox`].

// Vendor handlers return ready-made error responses as `Err` on the cold path;
// boxing them would buy nothing.
pub mod behaviour;
#[allow(clippy::result_large_err)]
mod ccp;
#[allow(clippy::result_large_err)]
mod control;
#[allow(clippy::result_large_err)]
mod dnl;
mod faults;
mod listing;
mod meter;
mod seed;
mod server;
#[allow(clippy::result_large_err)]
mod table;
#[allow(clippy::result_large_err)]
mod thulium;
mod vendor;

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

pub use behaviour::{BehaviourError, BehaviourInfo, Behaviours};
pub use faults::{parse_kinds, FaultKind, FaultSettings, ScheduledFault};
pub use listing::{ListingFault, ListingSettings, ThuliumPaging, HUGE_TOTAL};
pub use meter::{parse_rate_limits, RateLimits};
pub use seed::Seed;
use vendor::Control;

/// Thulium API user accepted by the sandbox (HTTP Basic).
pub const THULIUM_USER: &str = "sandbox";
/// Thulium API password accepted by the sandbox.
pub const THULIUM_PASSWORD: &str = "sandbox-thulium-pass";
/// CCP API key accepted by `POST /ccp/v3/auth/token`.
pub const CCP_API_KEY: &str = "sandbox-ccp-api-key";
/// DNL admin name accepted by `POST /dnl/auth` (as `email_or_name`).
pub const DNL_USER: &str = "admin";
/// DNL admin password accepted by `POST /dnl/auth`.
pub const DNL_PASSWORD: &str = "sandbox-dnl-pass";

/// How long CCP and DNL tokens live.
pub(crate) const TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// Most request records kept (older ones are forgotten, `total` keeps counting).
const LOG_CAPACITY: usize = 100_000;

/// One simulated vendor: its routes and its state. Adding a vendor is one
/// file implementing this (its state a [`vendor::VendorState`]) and one line
/// in [`registry`].
pub(crate) trait VendorSim: Send + Sync + 'static {
    /// Path prefix and name in seeds and the control API.
    fn name(&self) -> &'static str;
    /// The vendor's routes (nested under `/{name}`).
    fn router(self: Arc<Self>) -> Router;
    /// Its accounts, tokens, listing settings and behaviours, for the control API.
    fn control(&self) -> &dyn Control;
    /// The vendor's error body for an injected error status.
    fn fault_response(&self, status: StatusCode) -> Response;
}

fn registry() -> Vec<Arc<dyn VendorSim>> {
    vec![
        Arc::new(thulium::Thulium::default()),
        Arc::new(ccp::Ccp::default()),
        Arc::new(dnl::Dnl::default()),
    ]
}

/// Locks a mutex, recovering from a poisoned lock (state stays usable).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How to start a sandbox.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Latency, fault rate and kinds at startup.
    pub faults: FaultSettings,
    /// Seed of the fault generator (random when absent).
    pub rng_seed: Option<u64>,
    /// Accounts to start with.
    pub seed: Seed,
    /// Start with DNL's sparse read mode: reads carry `fullname` but not
    /// `first_name`, `last_name`, `avatar_id` (see [`Modes`]); the same as
    /// the behaviour `dnl.reads=sparse`.
    pub dnl_sparse_reads: bool,
    /// The switchable vendor behaviours at startup (see [`Behaviours`]).
    pub behaviours: Behaviours,
    /// How the simulated Thulium pages its agent list at startup.
    pub thulium_paging: ThuliumPaging,
    /// Requests per second by vendor: a request past a vendor's budget
    /// gets 429 with `Retry-After` (a burst of one second's requests).
    pub rate_limits: RateLimits,
}

/// The older spelling of one behaviour (`dnl.reads`), switchable at run
/// time (`GET`/`PUT /_sandbox/modes`). A field left out of a `PUT` keeps
/// its value. Every behaviour is in [`Behaviours`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modes {
    /// DNL reads leave out `first_name`, `last_name` and `avatar_id`
    /// (its database has `fullname` and none of these).
    pub dnl_sparse_reads: Option<bool>,
}

/// Errors of the sandbox and of its control operations.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SandboxError {
    #[error("could not listen on 127.0.0.1:{port}")]
    #[diagnostic(
        code(headcount::sandbox::bind),
        help("another program may use this port: pick another with --port, or --port 0 for a free one")
    )]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("could not read the seed file {}", path.display())]
    #[diagnostic(
        code(headcount::sandbox::seed_read),
        help("check the path given to --seed")
    )]
    SeedRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the seed file {} is not valid: {message}", path.display())]
    #[diagnostic(
        code(headcount::sandbox::seed_parse),
        help("a seed is YAML or JSON: {{thulium: [agent objects], ccp: [user objects], dnl: [user objects]}} with the vendors' own field names")
    )]
    SeedParse { path: PathBuf, message: String },
    #[error("the {vendor} accounts of the seed are not valid: {message}")]
    #[diagnostic(
        code(headcount::sandbox::seed_accounts),
        help("use the vendor's own field names and types; keys (login, username, name) must be unique")
    )]
    SeedAccounts { vendor: String, message: String },
    #[error("unknown sandbox vendor {0:?}")]
    #[diagnostic(
        code(headcount::sandbox::vendor),
        help("the sandbox simulates: thulium, ccp, dnl")
    )]
    UnknownVendor(String),
    #[error("invalid fault settings: {0}")]
    #[diagnostic(
        code(headcount::sandbox::faults),
        help("--fault-rate is between 0.0 and 1.0; --faults takes 400,500,503,429,hang,drop-before,drop-after")
    )]
    Faults(String),
    #[error("{vendor} account: {message}")]
    #[diagnostic(code(headcount::sandbox::account))]
    Account { vendor: String, message: String },
    #[error(transparent)]
    #[diagnostic(
        code(headcount::sandbox::behaviour),
        help(
            "`headcount sandbox --help` and docs/sandbox.md list the behaviours and their values"
        )
    )]
    Behaviour(#[from] BehaviourError),
    #[error("invalid listing settings for {vendor}: {message}")]
    #[diagnostic(
        code(headcount::sandbox::listing),
        help("faults: total-low, total-huge, short-page, ignores-paging, repeated-item, duplicate-key; paging (Thulium only): paged, ignores-parameters")
    )]
    Listing { vendor: String, message: String },
}

/// One vendor request the sandbox received (never a body, query or header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// 1-based position among all vendor requests since start (or reset).
    pub seq: u64,
    pub method: String,
    /// Full path, e.g. `/ccp/v3/user`.
    pub path: String,
    pub vendor: String,
    /// Status produced; for `drop-after` the status that was never delivered;
    /// none for `hang` and `drop-before`.
    pub status: Option<u16>,
    /// The injected fault, if any.
    pub fault: Option<FaultKind>,
    /// The query string as sent (`limit=1000&offset=0`), if any. The
    /// vendors' queries carry paging and filters, never credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// For a write with a JSON object body: the names of its top-level
    /// members, in the order sent (never their values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// When the request arrived: microseconds since the sandbox started.
    #[serde(default)]
    pub at_us: u64,
    /// Refused with 429 because the vendor's rate budget was spent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rate_limited: bool,
}

#[derive(Default)]
struct RequestLog {
    entries: VecDeque<RequestRecord>,
    total: u64,
}

/// The state of a sandbox: its vendors, faults and request log. Shared by
/// the server and the control API; a [`Sandbox`] gives access to it (as
/// `Deref`), so that every control operation is a method written once.
pub struct SandboxState {
    vendors: Vec<Arc<dyn VendorSim>>,
    injector: Mutex<faults::Injector>,
    startup_faults: FaultSettings,
    startup_thulium_paging: ThuliumPaging,
    log: Mutex<RequestLog>,
    seed: Seed,
    startup_behaviours: Behaviours,
    behaviours: Mutex<Behaviours>,
    meter: Mutex<meter::Meter>,
    startup_rate_limits: RateLimits,
    started: std::time::Instant,
}

impl SandboxState {
    fn new(options: &SandboxOptions) -> Result<Self, SandboxError> {
        options.faults.validate().map_err(SandboxError::Faults)?;
        let vendors = registry();
        let state = Self {
            vendors,
            injector: Mutex::new(faults::Injector::new(
                options.faults.clone(),
                options.rng_seed,
            )),
            startup_faults: options.faults.clone(),
            startup_thulium_paging: options.thulium_paging,
            log: Mutex::new(RequestLog::default()),
            seed: options.seed.clone(),
            startup_behaviours: Self::startup_behaviours(options),
            behaviours: Mutex::new(Behaviours::default()),
            meter: Mutex::new(meter::Meter::new(&options.rate_limits)),
            startup_rate_limits: options.rate_limits.clone(),
            started: std::time::Instant::now(),
        };
        for vendor in options.rate_limits.keys() {
            state.vendor(vendor)?;
        }
        state.load_seed()?;
        state.put_behaviours(state.startup_behaviours.clone());
        state.reset_listing()?;
        Ok(state)
    }

    fn startup_behaviours(options: &SandboxOptions) -> Behaviours {
        let mut behaviours = options.behaviours.clone();
        if options.dnl_sparse_reads {
            behaviours.dnl_reads = behaviour::Reads::Sparse;
        }
        behaviours
    }

    fn put_behaviours(&self, behaviours: Behaviours) {
        for vendor in &self.vendors {
            vendor.control().set_behaviours(&behaviours);
        }
        *lock(&self.behaviours) = behaviours;
    }

    /// The current vendor behaviours.
    pub fn behaviours(&self) -> Behaviours {
        lock(&self.behaviours).clone()
    }

    /// Sets behaviours by name (`("thulium.page_cap", "100")`), all or
    /// none: an unknown name or value changes nothing.
    pub fn set_behaviours<N: AsRef<str>, V: AsRef<str>>(
        &self,
        assignments: &[(N, V)],
    ) -> Result<Behaviours, SandboxError> {
        let mut behaviours = self.behaviours();
        for (name, value) in assignments {
            behaviours.set(name.as_ref(), value.as_ref())?;
        }
        self.put_behaviours(behaviours.clone());
        Ok(behaviours)
    }

    /// No listing fault, the startup Thulium paging mode.
    fn reset_listing(&self) -> Result<(), SandboxError> {
        for vendor in &self.vendors {
            vendor.control().set_listing(ListingSettings::default());
        }
        self.set_listing(
            "thulium",
            ListingSettings {
                fault: None,
                paging: Some(self.startup_thulium_paging),
            },
        )
    }

    /// The listing behaviour of every vendor.
    pub fn listing(&self) -> IndexMap<String, ListingSettings> {
        self.vendors
            .iter()
            .map(|v| (v.name().to_string(), v.control().listing()))
            .collect()
    }

    /// Makes `vendor`'s list answers misbehave (or behave again), or changes
    /// how the simulated Thulium pages; see [`ListingFault`].
    pub fn set_listing(&self, vendor: &str, settings: ListingSettings) -> Result<(), SandboxError> {
        let sim = self.vendor(vendor)?;
        settings
            .validate(vendor)
            .map_err(|message| SandboxError::Listing {
                vendor: vendor.to_string(),
                message,
            })?;
        sim.control().set_listing(settings.completed(vendor));
        Ok(())
    }

    fn load_seed(&self) -> Result<(), SandboxError> {
        for name in self.seed.accounts.keys() {
            self.vendor(name)?;
        }
        for vendor in &self.vendors {
            let accounts = self
                .seed
                .accounts
                .get(vendor.name())
                .map_or(&[][..], Vec::as_slice);
            vendor
                .control()
                .load(accounts)
                .map_err(|message| SandboxError::SeedAccounts {
                    vendor: vendor.name().to_string(),
                    message,
                })?;
        }
        Ok(())
    }

    pub(crate) fn vendor(&self, name: &str) -> Result<&Arc<dyn VendorSim>, SandboxError> {
        self.vendors
            .iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| SandboxError::UnknownVendor(name.to_string()))
    }

    pub(crate) fn vendor_for_path(&self, path: &str) -> Option<&Arc<dyn VendorSim>> {
        let first = path.trim_start_matches('/').split('/').next()?;
        self.vendors.iter().find(|v| v.name() == first)
    }

    pub(crate) fn decide_fault(&self, method: &str, path: &str) -> (Duration, Option<FaultKind>) {
        let mut injector = lock(&self.injector);
        let fault = injector.decide(method, path);
        (Duration::from_millis(injector.settings.latency_ms), fault)
    }

    /// Microseconds since the sandbox started.
    pub(crate) fn now_us(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// `None` when `vendor` may take a request now; else how long until it may.
    pub(crate) fn meter(&self, vendor: &str) -> Option<Duration> {
        lock(&self.meter).check(vendor)
    }

    /// The rate budgets: requests per second by vendor.
    pub fn rate_limits(&self) -> RateLimits {
        lock(&self.meter).limits().clone()
    }

    /// Replaces the rate budgets (full buckets); an empty map meters nothing.
    pub fn set_rate_limits(&self, limits: &RateLimits) -> Result<(), SandboxError> {
        for vendor in limits.keys() {
            self.vendor(vendor)?;
        }
        *lock(&self.meter) = meter::Meter::new(limits);
        Ok(())
    }

    /// Logs a vendor request (its `seq` is set here).
    pub(crate) fn log(&self, mut record: RequestRecord) {
        let mut log = lock(&self.log);
        log.total += 1;
        record.seq = log.total;
        if log.entries.len() >= LOG_CAPACITY {
            log.entries.pop_front();
        }
        log.entries.push_back(record);
    }

    /// Every account per vendor (`{"thulium": [...], "ccp": [...], "dnl": [...]}`),
    /// in the seed format, without passwords.
    pub fn state(&self) -> Value {
        let mut map = serde_json::Map::new();
        for vendor in &self.vendors {
            map.insert(
                vendor.name().to_string(),
                Value::Array(vendor.control().snapshot()),
            );
        }
        Value::Object(map)
    }

    /// Number of accounts of `vendor` ("thulium", "ccp", "dnl").
    pub fn count(&self, vendor: &str) -> Result<usize, SandboxError> {
        Ok(self.vendor(vendor)?.control().count())
    }

    /// Number of accounts per vendor.
    pub fn counts(&self) -> IndexMap<String, usize> {
        self.vendors
            .iter()
            .map(|v| (v.name().to_string(), v.control().count()))
            .collect()
    }

    /// One account by natural key (Thulium login, CCP username, DNL name), as stored.
    pub fn account(&self, vendor: &str, key: &str) -> Result<Option<Value>, SandboxError> {
        Ok(self.vendor(vendor)?.control().get(key))
    }

    /// Whether the stored password of an account is `candidate` (none if no such account).
    pub fn password_matches(
        &self,
        vendor: &str,
        key: &str,
        candidate: &str,
    ) -> Result<Option<bool>, SandboxError> {
        Ok(self
            .vendor(vendor)?
            .control()
            .password_matches(key, candidate))
    }

    /// The current latency and random-fault settings.
    pub fn faults(&self) -> FaultSettings {
        lock(&self.injector).settings.clone()
    }

    pub(crate) fn scheduled_faults(&self) -> Vec<ScheduledFault> {
        lock(&self.injector).scheduled.iter().cloned().collect()
    }

    /// Changes latency and random faults at run time.
    pub fn set_faults(&self, settings: FaultSettings) -> Result<(), SandboxError> {
        settings.validate().map_err(SandboxError::Faults)?;
        lock(&self.injector).settings = settings;
        Ok(())
    }

    /// Injects `fault.kind` into the next vendor request that matches.
    pub fn schedule_fault(&self, fault: ScheduledFault) {
        lock(&self.injector).scheduled.push_back(fault);
    }

    /// Expires every CCP and DNL token now; returns how many were valid.
    pub fn expire_tokens(&self) -> usize {
        self.vendors
            .iter()
            .map(|v| v.control().expire_tokens())
            .sum()
    }

    /// How many vendor requests were logged since start (or the last clear),
    /// and the latest 100,000 of them.
    pub(crate) fn request_log(&self) -> (u64, Vec<RequestRecord>) {
        let log = lock(&self.log);
        (log.total, log.entries.iter().cloned().collect())
    }

    /// The vendor requests received (the latest 100,000).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.request_log().1
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        let mut log = lock(&self.log);
        log.entries.clear();
        log.total = 0;
    }

    /// The current [`Modes`], every field set.
    pub fn modes(&self) -> Modes {
        Modes {
            dnl_sparse_reads: Some(self.behaviours().dnl_reads == behaviour::Reads::Sparse),
        }
    }

    /// Changes the [`Modes`] given at run time (the others keep their value).
    pub fn set_modes(&self, modes: &Modes) -> Result<(), SandboxError> {
        if let Some(on) = modes.dnl_sparse_reads {
            let reads = if on { "sparse" } else { "full" };
            self.set_behaviours(&[("dnl.reads", reads)])?;
        }
        Ok(())
    }

    /// Back to the seed accounts, no tokens, empty log, startup faults,
    /// behaviours and listing.
    pub fn reset(&self) -> Result<(), SandboxError> {
        self.load_seed()?;
        self.put_behaviours(self.startup_behaviours.clone());
        self.reset_listing()?;
        self.clear_requests();
        self.set_rate_limits(&self.startup_rate_limits)?;
        let mut injector = lock(&self.injector);
        injector.settings = self.startup_faults.clone();
        injector.scheduled.clear();
        Ok(())
    }

    fn account_error(vendor: &str, message: String) -> SandboxError {
        SandboxError::Account {
            vendor: vendor.to_string(),
            message,
        }
    }

    /// Creates an account bypassing the vendor's validation (ids are assigned if absent).
    pub fn create_account(&self, vendor: &str, account: Value) -> Result<Value, SandboxError> {
        self.vendor(vendor)?
            .control()
            .create_raw(&account)
            .map_err(|m| Self::account_error(vendor, m))
    }

    /// Merges `patch` into an account bypassing validation: an out-of-band edit (drift).
    pub fn edit_account(
        &self,
        vendor: &str,
        key: &str,
        patch: Value,
    ) -> Result<Value, SandboxError> {
        self.vendor(vendor)?
            .control()
            .edit_raw(key, &patch)
            .map_err(|m| Self::account_error(vendor, m))
    }
}

/// A running sandbox. Dropping it stops the server (in the background);
/// [`Sandbox::shutdown`] stops it and waits. Its control operations are
/// the methods of [`SandboxState`].
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<SandboxState>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish()
    }
}

impl std::ops::Deref for Sandbox {
    type Target = SandboxState;

    fn deref(&self) -> &SandboxState {
        &self.shared
    }
}

impl Sandbox {
    /// Loads the seed and starts serving on 127.0.0.1:`options.port`.
    pub async fn start(options: SandboxOptions) -> Result<Sandbox, SandboxError> {
        let shared = Arc::new(SandboxState::new(&options)?);
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|source| SandboxError::Bind {
                port: options.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            port: options.port,
            source,
        })?;
        let mut router = Router::new().nest("/_sandbox", control::router(shared.clone()));
        for vendor in &shared.vendors {
            router = router.nest(&format!("/{}", vendor.name()), vendor.clone().router());
        }
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, shared.clone(), router, stopped));
        Ok(Sandbox {
            addr,
            shared,
            stop,
            task: Some(task),
        })
    }

    /// The address the sandbox listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL of the simulated Thulium (`base_url() + "/thulium"`; the driver appends `/api/...`).
    pub fn thulium_url(&self) -> String {
        format!("{}/thulium", self.base_url())
    }

    /// Base URL of the simulated CCP (`base_url() + "/ccp"`; the driver appends `/v3/...`).
    pub fn ccp_url(&self) -> String {
        format!("{}/ccp", self.base_url())
    }

    /// Base URL of the simulated DNL (`base_url() + "/dnl"`; the driver appends `/auth`, `/user/...`).
    pub fn dnl_url(&self) -> String {
        format!("{}/dnl", self.base_url())
    }

    /// Stops serving: open connections are closed, hung requests end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
