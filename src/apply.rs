//! The executor: runs a plan's changes through the drivers, concurrently
//! (bounded per provider), and reports every change as applied, failed or
//! skipped.
//!
//! Creates are never retried blindly: POST is not idempotent, so after any
//! failure that may hide a processed request (timeout, lost connection, 5xx,
//! 429) the executor reads the account by key before trying again. A fault
//! therefore never produces a duplicate. Edits are idempotent and retried by
//! the drivers themselves.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures::stream::{self, StreamExt};
use indexmap::IndexMap;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use backon::Retryable;

use crate::drivers::http::{self, Receipt};
use crate::drivers::retry::RetryPolicy;
use crate::drivers::{Driver, DriverError, ErrorKind};
use crate::model::{Kind, WriteRequest};
use crate::plan::{Action, Change, Op, Plan};
use crate::progress::Progress;

/// How the executor runs.
#[derive(Clone)]
pub struct ApplyOptions {
    /// Maximum changes in flight per provider.
    pub parallelism: usize,
    /// How a create is tried again (each retry after checking the account
    /// does not exist yet): the drivers' policy, [`RetryPolicy::DEFAULT`].
    pub create_retry: RetryPolicy,
    /// Set (by Ctrl-C) to stop starting new changes.
    pub cancel: Arc<AtomicBool>,
    pub progress: Progress,
    /// Where each vendor write is journaled as it ends (`--journal`).
    pub journal: Option<Arc<crate::journal::Journal>>,
    /// Providers' rate budgets: the bars show the time left within them.
    pub budgets: IndexMap<String, crate::drivers::RateBudget>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 8,
            create_retry: RetryPolicy::DEFAULT,
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Progress::hidden(),
            journal: None,
            budgets: IndexMap::new(),
        }
    }
}

/// The message of a change skipped because the apply was interrupted.
pub const NOT_STARTED: &str = "interrupted before it started";

/// What happened to one change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    Failed,
    Skipped,
}

/// One change's outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChangeOutcome {
    pub provider: String,
    pub kind: Kind,
    pub key: String,
    pub action: Action,
    pub status: Status,
    /// For a failure: the vendor's message; for a skip: why; for an applied
    /// change: a note when something unusual happened (e.g. a lost answer).
    pub message: Option<String>,
    /// Requests the change needed (creates may need several).
    pub attempts: u32,
    pub duration_ms: u64,
    /// What the vendor answered the last write (for the journal).
    #[serde(skip)]
    pub receipt: Receipt,
}

impl ChangeOutcome {
    /// Skipped because Ctrl-C or SIGTERM came before it started.
    pub fn not_started(&self) -> bool {
        self.status == Status::Skipped && self.message.as_deref() == Some(NOT_STARTED)
    }
}

/// The outcome of an apply.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    pub changes: Vec<ChangeOutcome>,
    /// Ctrl-C or SIGTERM stopped the apply before every change had started.
    #[serde(default)]
    pub interrupted: bool,
}

/// Counts of a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    pub created: usize,
    pub updated: usize,
    pub deactivated: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Report {
    pub fn summary(&self) -> ReportSummary {
        let mut s = ReportSummary::default();
        for c in &self.changes {
            match (&c.status, c.action) {
                (Status::Applied, Action::Create) => s.created += 1,
                (Status::Applied, Action::Update) => s.updated += 1,
                (Status::Applied, Action::Deactivate) => s.deactivated += 1,
                (Status::Failed, _) => s.failed += 1,
                (Status::Skipped, _) => s.skipped += 1,
            }
        }
        s
    }

    pub fn all_applied(&self) -> bool {
        self.changes.iter().all(|c| c.status == Status::Applied)
    }

    /// `Apply complete: X created, Y updated, Z deactivated, F failed.`, or
    /// for an interrupted apply `Apply interrupted: ..., N not started. Run
    /// apply again to finish.`
    pub fn closing_line(&self) -> String {
        let s = self.summary();
        if self.interrupted {
            return format!(
                "Apply interrupted: {} created, {} updated, {} deactivated, {} failed, {} not started. Run apply again to finish.",
                s.created, s.updated, s.deactivated, s.failed, s.skipped
            );
        }
        let mut line = format!(
            "Apply complete: {} created, {} updated, {} deactivated, {} failed",
            s.created, s.updated, s.deactivated, s.failed
        );
        if s.skipped > 0 {
            line.push_str(&format!(", {} skipped", s.skipped));
        }
        line.push('.');
        line
    }

    /// The report as JSON for `--report FILE`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "format_version": 1,
            "interrupted": self.interrupted,
            "summary": self.summary(),
            "changes": self.changes,
        })
    }
}

/// Runs every change of `plan` whose provider has a driver in `drivers`.
/// Providers run concurrently; within a provider at most
/// `options.parallelism` changes are in flight.
pub async fn execute(
    plan: &Plan,
    drivers: &IndexMap<String, Arc<dyn Driver>>,
    options: &ApplyOptions,
) -> Report {
    let mut by_provider: IndexMap<&str, Vec<(usize, &Change)>> = IndexMap::new();
    for (index, change) in plan.changes.iter().enumerate() {
        by_provider
            .entry(change.provider.as_str())
            .or_default()
            .push((index, change));
    }
    let per_provider = by_provider.into_iter().map(|(provider, changes)| {
        let driver = drivers.get(provider).cloned();
        let bar = options.progress.bar(provider, changes.len() as u64);
        let budget = options.budgets.get(provider).copied();
        let total = changes.len();
        let started = std::sync::atomic::AtomicUsize::new(0);
        async move {
            let results: Vec<(usize, ChangeOutcome)> = stream::iter(changes)
                .map(|(index, change)| {
                    let driver = driver.clone();
                    let bar = &bar;
                    let started = &started;
                    async move {
                        let left = total - started.fetch_add(1, Ordering::Relaxed);
                        let eta = budget
                            .map(|b| {
                                format!(
                                    " (about {} left within the rate budget)",
                                    crate::plan::human_seconds(
                                        b.duration_of(left as u64 + u64::from(b.burst))
                                            .as_secs_f64()
                                    )
                                )
                            })
                            .unwrap_or_default();
                        bar.set_message(&format!("{} \"{}\"{eta}", change.kind, change.key));
                        let (mut outcome, receipt) =
                            http::receipt_scope(run_change(change, driver.as_deref(), options))
                                .await;
                        outcome.receipt = receipt;
                        if let (Some(journal), Some(driver)) = (&options.journal, &driver) {
                            journal.write(change, &outcome, driver.schema());
                        }
                        bar.inc();
                        // Changes not started after an interrupt are listed
                        // once, in the summary, not one line each here.
                        if !outcome.not_started() {
                            options.progress.println(&outcome_line(&outcome));
                        }
                        (index, outcome)
                    }
                })
                .buffer_unordered(options.parallelism.max(1))
                .collect()
                .await;
            bar.clear();
            results
        }
    });
    let mut outcomes: Vec<(usize, ChangeOutcome)> = futures::future::join_all(per_provider)
        .await
        .into_iter()
        .flatten()
        .collect();
    outcomes.sort_by_key(|(index, _)| *index);
    let changes: Vec<ChangeOutcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    let interrupted = changes.iter().any(ChangeOutcome::not_started);
    Report {
        changes,
        interrupted,
    }
}

/// Reads back every provider where this apply created accounts and checks
/// that each one is there exactly once. A second account with the same key
/// means another writer (a concurrent apply, a person) created it too, on a
/// vendor whose uniqueness check is not atomic. Returns the problems found.
pub async fn read_back(
    report: &Report,
    drivers: &IndexMap<String, Arc<dyn Driver>>,
) -> Vec<String> {
    let mut created: IndexMap<&str, Vec<&str>> = IndexMap::new();
    for c in &report.changes {
        if c.action == Action::Create && c.status == Status::Applied {
            created
                .entry(c.provider.as_str())
                .or_default()
                .push(c.key.as_str());
        }
    }
    let reads = created.iter().map(|(provider, keys)| async move {
        let Some(driver) = drivers.get(*provider) else {
            return vec![format!("{provider}: not connected, so what was created could not be read back")];
        };
        let records = match driver.list().await {
            Ok(records) => records,
            Err(e) => return vec![format!("{provider}: could not read back what was created: {e}")],
        };
        let mut ids: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
        for r in &records {
            ids.entry(r.key.as_str()).or_default().push(r.id.as_str());
        }
        keys.iter()
            .filter_map(|key| {
                let kind = driver.schema().kind;
                match ids.get(key).map(Vec::as_slice) {
                    None | Some([]) => Some(format!(
                        "{provider}/{kind} \"{key}\" was created, but the provider does not list it"
                    )),
                    Some([_]) => None,
                    Some(several) => Some(format!(
                        "{provider}/{kind} \"{key}\" exists {} times on the provider (ids {}): another writer created it at the same time",
                        several.len(),
                        several.join(", ")
                    )),
                }
            })
            .collect::<Vec<_>>()
    });
    futures::future::join_all(reads)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// One line for a finished change (CI logs, and above the bars on a terminal).
pub fn outcome_line(o: &ChangeOutcome) -> String {
    let what = format!("{}/{} \"{}\"", o.provider, o.kind, o.key);
    match o.status {
        Status::Applied => {
            let done = match o.action {
                Action::Create => "created",
                Action::Update => "updated",
                Action::Deactivate => "deactivated",
            };
            let note = o
                .message
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            format!(
                "{what}: {done} in {:.1}s{note}",
                o.duration_ms as f64 / 1000.0
            )
        }
        Status::Failed => format!(
            "{what}: FAILED to {}: {}",
            o.action.name(),
            o.message.as_deref().unwrap_or("unknown error")
        ),
        Status::Skipped => format!(
            "{what}: skipped ({})",
            o.message.as_deref().unwrap_or("not started")
        ),
    }
}

async fn run_change(
    change: &Change,
    driver: Option<&dyn Driver>,
    options: &ApplyOptions,
) -> ChangeOutcome {
    let started = Instant::now();
    let mut outcome = ChangeOutcome {
        provider: change.provider.clone(),
        kind: change.kind,
        key: change.key.clone(),
        action: change.action(),
        status: Status::Skipped,
        message: None,
        attempts: 0,
        duration_ms: 0,
        receipt: Receipt::default(),
    };
    let finish = |mut outcome: ChangeOutcome, status: Status, message: Option<String>| {
        outcome.status = status;
        outcome.message = message;
        outcome.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        outcome
    };
    if options.cancel.load(Ordering::SeqCst) {
        return finish(outcome, Status::Skipped, Some(NOT_STARTED.into()));
    }
    let Some(driver) = driver else {
        return finish(
            outcome,
            Status::Skipped,
            Some("provider not connected".into()),
        );
    };
    let request = match write_request(change) {
        Ok(request) => request,
        Err(message) => return finish(outcome, Status::Failed, Some(message)),
    };
    match &change.op {
        Op::Create => {
            let (result, attempts) = create(driver, &request, options).await;
            outcome.attempts = attempts;
            match result {
                Ok(note) => finish(outcome, Status::Applied, note),
                Err(e) => finish(outcome, Status::Failed, Some(e)),
            }
        }
        Op::Update { remote } | Op::Deactivate { remote } => {
            outcome.attempts = 1;
            match driver.update(remote, &request).await {
                Ok(()) => finish(outcome, Status::Applied, None),
                Err(e) => {
                    // No answer to an edit: it may have been made.
                    let unanswered = e.status.is_none()
                        && matches!(e.kind, ErrorKind::Timeout | ErrorKind::Transport);
                    http::note_receipt(unanswered, None);
                    finish(outcome, Status::Failed, Some(e.to_string()))
                }
            }
        }
    }
}

/// The request body of a change: the fields to write and the resolved secrets.
fn write_request(change: &Change) -> Result<WriteRequest, String> {
    let mut request = WriteRequest {
        key: change.key.clone(),
        ..Default::default()
    };
    for field in &change.fields {
        if field.sensitive {
            continue;
        }
        if let Some(after) = &field.after {
            request.fields.insert(field.name.clone(), after.clone());
        }
    }
    for (name, secret) in &change.secrets {
        let purpose = format!(
            "{name} of {}/{} \"{}\"",
            change.provider, change.kind, change.key
        );
        let value: SecretString = secret.resolve(&purpose).map_err(|e| e.to_string())?;
        request.secrets.insert(name.clone(), value);
    }
    Ok(request)
}

/// Creates with the read-before-retry rule. Returns a note for the report
/// (when the create was confirmed by reading it back) and the attempt count.
async fn create(
    driver: &dyn Driver,
    request: &WriteRequest,
    options: &ApplyOptions,
) -> (Result<Option<String>, String>, u32) {
    let policy = options.create_retry;
    let attempts = AtomicU32::new(0);
    let last_failure = std::sync::Mutex::new(String::new());
    let result = (|| async {
        let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
        if attempt > 1 {
            // Did the previous attempt reach the vendor after all?
            match driver.get_by_key(&request.key).await {
                Ok(Some(_)) => return Ok(Some(CONFIRMED_BY_READING.to_string())),
                Ok(None) => {}
                Err(e) => return Err(CreateFailure::Unchecked(e)),
            }
        }
        match driver.create(request).await {
            Ok(id) => {
                http::note_receipt(false, Some(&id));
                Ok(None)
            }
            Err(e) => {
                http::note_receipt(e.ambiguous, None);
                *last_failure.lock().unwrap_or_else(|p| p.into_inner()) = e.to_string();
                Err(CreateFailure::Create(e))
            }
        }
    })
    .retry(policy.backoff())
    .sleep(tokio::time::sleep)
    .when(|failure: &CreateFailure| match failure {
        CreateFailure::Create(e) => e.ambiguous || e.is_retryable(),
        CreateFailure::Unchecked(_) => false,
    })
    .adjust(|failure: &CreateFailure, proposed| match failure {
        CreateFailure::Create(e) => policy.wait(e, proposed),
        CreateFailure::Unchecked(_) => None,
    })
    .await;
    let attempts = attempts.load(Ordering::SeqCst);
    match result {
        // A confirmation counts the attempts that sent a create.
        Ok(Some(note)) => (Ok(Some(note)), attempts - 1),
        Ok(None) => (Ok(None), attempts),
        Err(CreateFailure::Unchecked(e)) => (
            Err(format!(
                "{}; could not check whether the account was created ({}), so it was not tried again",
                last_failure.lock().unwrap_or_else(|p| p.into_inner()),
                e
            )),
            attempts - 1,
        ),
        Err(CreateFailure::Create(e)) if attempts > 1 && (e.ambiguous || e.is_retryable()) => (
            Err(format!("{e} (gave up after {attempts} attempts)")),
            attempts,
        ),
        Err(CreateFailure::Create(e)) => (Err(e.to_string()), attempts),
    }
}

const CONFIRMED_BY_READING: &str =
    "the vendor's answer was lost; the account was found by reading it back";

/// Why one try of a create failed.
enum CreateFailure {
    /// The create itself.
    Create(DriverError),
    /// The read that checks whether an earlier try created the account.
    Unchecked(DriverError),
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::drivers::{thulium, ErrorKind};
    use crate::model::{DriverSchema, FieldMap, RemoteRecord, Value};
    use crate::plan::FieldChange;

    /// An in-memory vendor whose creates can lose their answer.
    struct FakeVendor {
        accounts: Mutex<Vec<RemoteRecord>>,
        /// Per create call: `Some(kind)` fails it; `lose` = processed, then the answer is lost.
        script: Mutex<Vec<(Option<ErrorKind>, bool)>>,
        creates: Mutex<u32>,
        fail_update_of: Option<&'static str>,
    }

    impl FakeVendor {
        fn new(script: Vec<(Option<ErrorKind>, bool)>) -> Self {
            FakeVendor {
                accounts: Mutex::new(Vec::new()),
                script: Mutex::new(script),
                creates: Mutex::new(0),
                fail_update_of: None,
            }
        }
    }

    #[async_trait]
    impl Driver for FakeVendor {
        fn schema(&self) -> &'static DriverSchema {
            &thulium::SCHEMA
        }
        async fn list(&self) -> Result<Vec<RemoteRecord>, DriverError> {
            Ok(self.accounts.lock().unwrap().clone())
        }
        async fn get_by_key(&self, key: &str) -> Result<Option<RemoteRecord>, DriverError> {
            Ok(self
                .accounts
                .lock()
                .unwrap()
                .iter()
                .find(|r| r.key == key)
                .cloned())
        }
        async fn create(&self, request: &WriteRequest) -> Result<String, DriverError> {
            *self.creates.lock().unwrap() += 1;
            let step = {
                let mut script = self.script.lock().unwrap();
                if script.is_empty() {
                    (None, false)
                } else {
                    script.remove(0)
                }
            };
            let mut accounts = self.accounts.lock().unwrap();
            if accounts.iter().any(|r| r.key == request.key) {
                return Err(DriverError::new(
                    "thulium",
                    ErrorKind::Validation,
                    "login already exists",
                ));
            }
            let processed = step.0.is_none() || step.1;
            if processed {
                accounts.push(RemoteRecord {
                    id: request.key.clone(),
                    key: request.key.clone(),
                    fields: request
                        .fields
                        .iter()
                        .filter_map(|(k, v)| thulium::SCHEMA.field(k).map(|f| (f.name, v.clone())))
                        .collect(),
                });
            }
            match step {
                (Some(kind), lose) => {
                    let mut e = DriverError::new("thulium", kind, "injected");
                    e.ambiguous = lose;
                    Err(e)
                }
                (None, _) => Ok(request.key.clone()),
            }
        }
        async fn update(
            &self,
            remote: &RemoteRecord,
            request: &WriteRequest,
        ) -> Result<(), DriverError> {
            if Some(remote.key.as_str()) == self.fail_update_of {
                return Err(DriverError::new(
                    "thulium",
                    ErrorKind::Validation,
                    "surname: too long",
                )
                .with_status(400));
            }
            let mut accounts = self.accounts.lock().unwrap();
            let record = accounts.iter_mut().find(|r| r.key == remote.key).unwrap();
            for (k, v) in &request.fields {
                if let Some(field) = thulium::SCHEMA.field(k) {
                    record.fields.insert(field.name, v.clone());
                }
            }
            Ok(())
        }
    }

    fn create_change(key: &str) -> Change {
        Change {
            op: Op::Create,
            provider: "thulium".into(),
            vendor: "thulium".into(),
            kind: Kind::Agent,
            key: key.into(),
            fields: vec![FieldChange::set("login", None, Value::Str(key.into()))],
            secrets: IndexMap::new(),
            person: None,
            notes: Vec::new(),
            reason: None,
        }
    }

    fn update_change(key: &str) -> Change {
        let remote = RemoteRecord {
            id: key.into(),
            key: key.into(),
            fields: FieldMap::new(),
        };
        Change {
            op: Op::Update { remote },
            fields: vec![FieldChange::set("surname", None, Value::Str("X".into()))],
            ..create_change(key)
        }
    }

    fn fast() -> ApplyOptions {
        ApplyOptions {
            create_retry: RetryPolicy {
                base_delay: Duration::from_millis(1),
                ..RetryPolicy::DEFAULT
            },
            ..ApplyOptions::default()
        }
    }

    fn plan_of(changes: Vec<Change>) -> Plan {
        Plan {
            changes,
            ..Plan::default()
        }
    }

    fn drivers(vendor: Arc<FakeVendor>) -> IndexMap<String, Arc<dyn Driver>> {
        let mut d: IndexMap<String, Arc<dyn Driver>> = IndexMap::new();
        d.insert("thulium".into(), vendor);
        d
    }

    #[tokio::test]
    async fn reading_back_finds_a_duplicate_made_by_another_writer() {
        let vendor = Arc::new(FakeVendor::new(vec![]));
        let plan = plan_of(vec![create_change("jk"), create_change("am")]);
        let drivers = drivers(vendor.clone());
        let report = execute(&plan, &drivers, &fast()).await;
        assert!(report.all_applied(), "{report:?}");
        assert!(read_back(&report, &drivers).await.is_empty());
        // A concurrent apply created "jk" too, on a vendor that did not refuse it.
        let twin = RemoteRecord {
            id: "jk-2".into(),
            ..vendor.accounts.lock().unwrap()[0].clone()
        };
        vendor.accounts.lock().unwrap().push(twin);
        let problems = read_back(&report, &drivers).await;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("thulium/agent \"jk\" exists 2 times on the provider")
                && problems[0].contains("jk-2"),
            "{problems:?}"
        );
        // And one that vanished is named too.
        vendor.accounts.lock().unwrap().retain(|r| r.key != "am");
        let problems = read_back(&report, &drivers).await;
        assert!(
            problems
                .iter()
                .any(|p| p.contains("\"am\" was created, but the provider does not list it")),
            "{problems:?}"
        );
    }

    #[tokio::test]
    async fn lost_answer_of_a_create_is_confirmed_by_reading_not_by_creating_again() {
        let vendor = Arc::new(FakeVendor::new(vec![(Some(ErrorKind::Transport), true)]));
        let plan = plan_of(vec![create_change("jk")]);
        let report = execute(&plan, &drivers(vendor.clone()), &fast()).await;
        assert!(report.all_applied(), "{report:?}");
        assert_eq!(*vendor.creates.lock().unwrap(), 1, "no second POST");
        assert_eq!(vendor.accounts.lock().unwrap().len(), 1, "no duplicate");
        assert!(report.changes[0]
            .message
            .as_deref()
            .unwrap()
            .contains("found by reading it back"));
    }

    #[tokio::test]
    async fn a_create_refused_before_processing_is_tried_again() {
        let vendor = Arc::new(FakeVendor::new(vec![
            (Some(ErrorKind::Server), false),
            (Some(ErrorKind::RateLimited), false),
        ]));
        let plan = plan_of(vec![create_change("jk")]);
        let report = execute(&plan, &drivers(vendor.clone()), &fast()).await;
        assert!(report.all_applied());
        assert_eq!(report.changes[0].attempts, 3);
        assert_eq!(vendor.accounts.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_failure_does_not_stop_independent_changes_and_is_reported_with_the_vendor_message() {
        let mut vendor = FakeVendor::new(vec![(Some(ErrorKind::Validation), false)]);
        vendor.accounts.lock().unwrap().push(RemoteRecord {
            id: "bad".into(),
            key: "bad".into(),
            fields: FieldMap::new(),
        });
        vendor.fail_update_of = Some("bad");
        let vendor = Arc::new(vendor);
        let plan = plan_of(vec![
            create_change("a"),
            update_change("bad"),
            create_change("b"),
        ]);
        let report = execute(&plan, &drivers(vendor.clone()), &fast()).await;
        let statuses: Vec<&Status> = report.changes.iter().map(|c| &c.status).collect();
        assert_eq!(
            statuses,
            vec![&Status::Failed, &Status::Failed, &Status::Applied]
        );
        assert!(report.changes[1]
            .message
            .as_deref()
            .unwrap()
            .contains("surname: too long"));
        assert_eq!(
            report.closing_line(),
            "Apply complete: 1 created, 0 updated, 0 deactivated, 2 failed."
        );
        let json = report.to_json();
        assert_eq!(json["summary"]["failed"], 2);
    }

    #[tokio::test]
    async fn interrupted_apply_skips_changes_not_started() {
        let vendor = Arc::new(FakeVendor::new(vec![]));
        let options = fast();
        options.cancel.store(true, Ordering::SeqCst);
        let plan = plan_of(vec![create_change("a")]);
        let report = execute(&plan, &drivers(vendor.clone()), &options).await;
        assert_eq!(report.changes[0].status, Status::Skipped);
        assert!(vendor.accounts.lock().unwrap().is_empty());
        assert_eq!(
            report.closing_line(),
            "Apply interrupted: 0 created, 0 updated, 0 deactivated, 0 failed, 1 not started. Run apply again to finish."
        );
        assert_eq!(report.to_json()["interrupted"], true);
    }

    #[tokio::test]
    async fn a_missing_secret_fails_the_change_naming_the_variable() {
        let vendor = Arc::new(FakeVendor::new(vec![]));
        let mut change = create_change("a");
        change.secrets.insert(
            "password".into(),
            crate::desired::SecretRef::Env("HEADCOUNT_TEST_UNSET_PW_VAR".into()),
        );
        let plan = plan_of(vec![change]);
        let report = execute(&plan, &drivers(vendor.clone()), &fast()).await;
        assert_eq!(report.changes[0].status, Status::Failed);
        assert!(report.changes[0]
            .message
            .as_deref()
            .unwrap()
            .contains("HEADCOUNT_TEST_UNSET_PW_VAR"));
        assert!(vendor.accounts.lock().unwrap().is_empty());
    }
}
