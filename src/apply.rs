//! The executor: runs a plan's changes through the drivers, concurrently
//! (bounded per provider), and reports every change as applied, failed or
//! skipped.
//!
//! Creates are never retried blindly: POST is not idempotent, so after any
//! failure that may hide a processed request (timeout, lost connection, 5xx,
//! 429) the executor reads the account by key before trying again. A fault
//! therefore never produces a duplicate. Edits are idempotent and retried by
//! the drivers themselves.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use indexmap::IndexMap;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::drivers::{Driver, DriverError};
use crate::model::{Kind, WriteRequest};
use crate::plan::{Action, Change, Plan};
use crate::progress::Progress;

/// How the executor runs.
#[derive(Clone)]
pub struct ApplyOptions {
    /// Maximum changes in flight per provider.
    pub parallelism: usize,
    /// Attempts of one create (each after checking the account does not exist
    /// yet). Six leaves under 0.1% of creates failed at a 30% fault rate.
    pub create_attempts: u32,
    /// Wait before the second attempt of a create; doubles each time.
    pub create_retry_delay: Duration,
    /// Set (by Ctrl-C) to stop starting new changes.
    pub cancel: Arc<AtomicBool>,
    pub progress: Progress,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 8,
            create_attempts: 6,
            create_retry_delay: Duration::from_millis(250),
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Progress::hidden(),
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
        async move {
            let results: Vec<(usize, ChangeOutcome)> = stream::iter(changes)
                .map(|(index, change)| {
                    let driver = driver.clone();
                    let bar = &bar;
                    async move {
                        bar.set_message(&format!("{} \"{}\"", change.kind, change.key));
                        let outcome = run_change(change, driver.as_deref(), options).await;
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

/// One line for a finished change (CI logs, and above the bars on a terminal).
pub fn outcome_line(o: &ChangeOutcome) -> String {
    let what = format!("{}/{} \"{}\"", o.provider, o.kind, o.key);
    let verb = match o.action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Deactivate => "deactivate",
    };
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
            "{what}: FAILED to {verb}: {}",
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
        action: change.action,
        status: Status::Skipped,
        message: None,
        attempts: 0,
        duration_ms: 0,
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
    match change.action {
        Action::Create => {
            let (result, attempts) = create(driver, &request, options).await;
            outcome.attempts = attempts;
            match result {
                Ok(note) => finish(outcome, Status::Applied, note),
                Err(e) => finish(outcome, Status::Failed, Some(e)),
            }
        }
        Action::Update | Action::Deactivate => {
            outcome.attempts = 1;
            let Some(remote) = &change.remote else {
                return finish(
                    outcome,
                    Status::Failed,
                    Some("the plan has no remote record for this change".into()),
                );
            };
            match driver.update(remote, &request).await {
                Ok(()) => finish(outcome, Status::Applied, None),
                Err(e) => finish(outcome, Status::Failed, Some(failure_text(&e))),
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
        let value: SecretString = secret
            .resolve(std::path::Path::new("."), &purpose)
            .map_err(|e| e.to_string())?;
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
    let mut delay = options.create_retry_delay;
    let mut last_error: Option<DriverError> = None;
    let attempts_allowed = options.create_attempts.max(1);
    for attempt in 1..=attempts_allowed {
        if attempt > 1 {
            // Did the previous attempt reach the vendor after all?
            match driver.get_by_key(&request.key).await {
                Ok(Some(_)) => {
                    return (
                        Ok(Some("the vendor's answer was lost; the account was found by reading it back".into())),
                        attempt - 1,
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    let first = last_error.map(|l| failure_text(&l)).unwrap_or_default();
                    return (
                        Err(format!(
                            "{first}; could not check whether the account was created ({}), so it was not tried again",
                            failure_text(&e)
                        )),
                        attempt - 1,
                    );
                }
            }
            let wait = last_error
                .as_ref()
                .and_then(|e| e.retry_after)
                .unwrap_or(delay)
                .min(Duration::from_secs(30));
            tokio::time::sleep(jitter(wait)).await;
            delay = delay.saturating_mul(2);
        }
        match driver.create(request).await {
            Ok(_) => return (Ok(None), attempt),
            Err(e) if e.ambiguous || e.is_retryable() => last_error = Some(e),
            Err(e) => return (Err(failure_text(&e)), attempt),
        }
    }
    let message = last_error.map(|e| failure_text(&e)).unwrap_or_default();
    (
        Err(format!(
            "{message} (gave up after {attempts_allowed} attempts)"
        )),
        attempts_allowed,
    )
}

fn failure_text(e: &DriverError) -> String {
    e.to_string()
}

/// Up to 25% random extra wait, so that concurrent retries spread out.
fn jitter(wait: Duration) -> Duration {
    let extra = rand::random::<f64>() * 0.25;
    wait.mul_f64(1.0 + extra)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::drivers::{thulium, ErrorKind};
    use crate::model::{DriverSchema, RemoteRecord, Value};
    use crate::plan::{fingerprint, FieldChange};

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
        fn provider(&self) -> &str {
            "thulium"
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
                    fields: request.fields.clone(),
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
                record.fields.insert(k.clone(), v.clone());
            }
            Ok(())
        }
    }

    fn create_change(key: &str) -> Change {
        Change {
            action: Action::Create,
            provider: "thulium".into(),
            vendor: "thulium".into(),
            kind: Kind::Agent,
            key: key.into(),
            remote: None,
            fingerprint: fingerprint::ABSENT.into(),
            fields: vec![FieldChange {
                name: "login".into(),
                before: None,
                after: Some(Value::Str(key.into())),
                sensitive: false,
                create_only: false,
            }],
            secrets: IndexMap::new(),
        }
    }

    fn update_change(key: &str) -> Change {
        let remote = RemoteRecord {
            id: key.into(),
            key: key.into(),
            fields: IndexMap::new(),
        };
        Change {
            action: Action::Update,
            fingerprint: fingerprint::of(Some(&remote)),
            remote: Some(remote),
            fields: vec![FieldChange {
                name: "surname".into(),
                before: None,
                after: Some(Value::Str("X".into())),
                sensitive: false,
                create_only: false,
            }],
            ..create_change(key)
        }
    }

    fn fast() -> ApplyOptions {
        ApplyOptions {
            create_retry_delay: Duration::from_millis(1),
            ..ApplyOptions::default()
        }
    }

    fn drivers(vendor: Arc<FakeVendor>) -> IndexMap<String, Arc<dyn Driver>> {
        let mut d: IndexMap<String, Arc<dyn Driver>> = IndexMap::new();
        d.insert("thulium".into(), vendor);
        d
    }

    #[tokio::test]
    async fn lost_answer_of_a_create_is_confirmed_by_reading_not_by_creating_again() {
        let vendor = Arc::new(FakeVendor::new(vec![(Some(ErrorKind::Transport), true)]));
        let plan = Plan {
            changes: vec![create_change("jk")],
            ..Plan::default()
        };
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
        let plan = Plan {
            changes: vec![create_change("jk")],
            ..Plan::default()
        };
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
            fields: IndexMap::new(),
        });
        vendor.fail_update_of = Some("bad");
        let vendor = Arc::new(vendor);
        let plan = Plan {
            changes: vec![create_change("a"), update_change("bad"), create_change("b")],
            ..Plan::default()
        };
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
        let plan = Plan {
            changes: vec![create_change("a")],
            ..Plan::default()
        };
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
        let plan = Plan {
            changes: vec![change],
            ..Plan::default()
        };
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
