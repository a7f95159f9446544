//! The apply journal: what each apply did to each vendor, as JSON lines an
//! auditor can verify.
//!
//! A run appends one `header` line (when, which headcount, the desired
//! state's digest, the git commit and branch, who ran it and from which CI
//! run, with which options), one `write` line per vendor write as it ends
//! (created, updated, deactivated, failed or ambiguous, with the fields
//! changed: values of plain fields, `"set"` for secrets), and one `footer`
//! line (the summary, interrupted or not). No line ever holds a secret.
//!
//! Every line carries `seq` (its line number in the file) and `prev`, the
//! SHA-256 of the line before it (of [`GENESIS`] for the first line), so
//! that [`verify`] finds the first line edited, removed, inserted or moved.
//! Each line is written with one `write` on a file opened with `O_APPEND`
//! and flushed at once: a crash tears at most the last line, which
//! [`verify`] reports as such, and the next run closes it and goes on.

pub mod context;
pub mod verify;

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::apply::{ChangeOutcome, Report, Status};
use crate::model::{DriverSchema, RemoteRecord};
use crate::plan::{fingerprint, Change};

pub use context::RunContext;
pub use verify::{verify, Verdict};

/// The `prev` of a journal's first line: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The format of the lines (each line says it).
pub const FORMAT_VERSION: u32 = 1;

/// What a secret field's value is written as.
pub const SECRET_SET: &str = "set";

/// The SHA-256 of a line's bytes (without its newline), in hex.
pub fn line_hash(line: &[u8]) -> String {
    Sha256::digest(line)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Now, as RFC 3339 UTC with milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// An open journal, appended to by one run. Shared by the executor's
/// concurrent tasks; each line is written whole under its lock.
pub struct Journal {
    path: PathBuf,
    state: Mutex<State>,
    run: String,
}

struct State {
    file: File,
    /// The hash of the last line written.
    prev: String,
    /// Lines in the file.
    lines: u64,
    /// The file ended with a torn line, closed by this run.
    after_torn: bool,
    /// The first failure to write, reported at the end of the apply.
    failure: Option<String>,
    writes: u64,
}

/// Where the chain stands at the end of an existing journal.
struct Tail {
    prev: String,
    lines: u64,
    /// The last line had no newline (a crash tore it).
    torn: bool,
}

impl Journal {
    /// Opens (or creates) the journal at `path` for appending, locked for
    /// this run: a second run appending to the same journal at once is
    /// refused. Reads the end of the chain.
    pub fn open(path: &Path) -> miette::Result<Journal> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            miette::miette!(
                code = "headcount::journal",
                help = "check that the journal's folder exists and is writable, or pass another --journal FILE",
                "cannot {what} the journal {}: {e}",
                path.display()
            )
        };
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.is_file() {
                return Err(miette::miette!(
                    code = "headcount::journal",
                    help = "the journal must be a regular file (not a symbolic link, not a folder)",
                    "the journal {} is not a regular file",
                    path.display()
                ));
            }
        }
        let mut options = OpenOptions::new();
        options.append(true).create(true).read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
        }
        let mut file = options.open(path).map_err(|e| fail("open", &e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(miette::miette!(
                    code = "headcount::journal",
                    help = "another apply is appending to this journal: let it finish, then run apply again",
                    "the journal {} is in use by another apply",
                    path.display()
                ))
            }
            Err(TryLockError::Error(e)) => return Err(fail("lock", &e)),
        }
        let tail = read_tail(&file).map_err(|e| fail("read", &e))?;
        if tail.torn {
            // Close the torn line so that this run's lines stand alone; the
            // header says so (`after_torn_line`), and verify accepts it then.
            file.write_all(b"\n")
                .and_then(|()| file.flush())
                .map_err(|e| fail("write to", &e))?;
        }
        Ok(Journal {
            path: path.to_path_buf(),
            run: uuid::Uuid::new_v4().to_string(),
            state: Mutex::new(State {
                file,
                prev: tail.prev,
                lines: tail.lines,
                after_torn: tail.torn,
                failure: None,
                writes: 0,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This run's id (every line of the run carries it).
    pub fn run(&self) -> &str {
        &self.run
    }

    /// Appends one line: `record` with `seq`, `prev`, `run` and `time` put
    /// first. A failure is kept for [`Journal::failure`]; the apply goes on.
    fn append(&self, kind: &str, record: Map<String, Json>) {
        let mut state = self.lock();
        if state.failure.is_some() {
            return;
        }
        let mut line = Map::new();
        line.insert("seq".into(), json!(state.lines + 1));
        line.insert("prev".into(), json!(state.prev));
        line.insert("type".into(), json!(kind));
        line.insert("run".into(), json!(self.run));
        line.insert("time".into(), json!(now()));
        if state.after_torn {
            line.insert("after_torn_line".into(), json!(true));
        }
        line.extend(record);
        // Secrets never reach the journal, whatever path a message took.
        let text = crate::redact::redact(&Json::Object(line).to_string()).into_owned();
        let mut bytes = text.clone().into_bytes();
        bytes.push(b'\n');
        // One write of the whole line (O_APPEND), flushed at once.
        match state
            .file
            .write_all(&bytes)
            .and_then(|()| state.file.flush())
        {
            Ok(()) => {
                state.prev = line_hash(text.as_bytes());
                state.lines += 1;
                state.after_torn = false;
            }
            Err(e) => {
                state.failure = Some(format!(
                    "could not append to the journal {}: {e}",
                    self.path.display()
                ));
            }
        }
    }

    /// The run's first line.
    pub fn header(&self, context: &RunContext) {
        let mut record = Map::new();
        record.insert("format_version".into(), json!(FORMAT_VERSION));
        if let Ok(Json::Object(fields)) = serde_json::to_value(context) {
            record.extend(fields);
        }
        self.append("header", record);
    }

    /// One vendor write and its outcome. Changes that never reached the
    /// vendor (not started, provider not connected, a secret missing) are
    /// not writes and are counted in the footer only.
    pub fn write(&self, change: &Change, outcome: &ChangeOutcome, schema: &DriverSchema) {
        let Some(result) = outcome_word(outcome) else {
            return;
        };
        let before = change.fingerprint();
        let after = match result {
            "created" | "updated" | "deactivated" => {
                fingerprint::of(Some(&written(change, outcome, schema)))
            }
            "failed" => before.clone(),
            _ => "unknown".to_string(),
        };
        let mut fields = Map::new();
        for f in &change.fields {
            let value = if f.sensitive {
                json!(SECRET_SET)
            } else {
                f.after.as_ref().map_or(Json::Null, |v| v.to_json())
            };
            fields.insert(f.name.clone(), value);
        }
        for name in change.secrets.keys() {
            fields.insert(name.clone(), json!(SECRET_SET));
        }
        let mut record = Map::new();
        record.insert("provider".into(), json!(change.provider));
        record.insert("vendor".into(), json!(change.vendor));
        record.insert("kind".into(), json!(change.kind));
        record.insert("key".into(), json!(change.key));
        record.insert("person".into(), json!(change.person));
        record.insert("action".into(), json!(change.action()));
        record.insert("outcome".into(), json!(result));
        record.insert("fields".into(), Json::Object(fields));
        record.insert("http_status".into(), json!(outcome.receipt.http_status));
        record.insert("request_id".into(), json!(outcome.receipt.request_id));
        record.insert("before".into(), json!(before));
        record.insert("after".into(), json!(after));
        record.insert("attempts".into(), json!(outcome.attempts));
        record.insert("message".into(), json!(outcome.message));
        self.lock().writes += 1;
        self.append("write", record);
    }

    /// The run's last line.
    pub fn footer(&self, report: &Report, problems: &[String]) {
        let mut record = Map::new();
        let writes = self.lock().writes;
        record.insert("summary".into(), json!(report.summary()));
        record.insert("writes".into(), json!(writes));
        record.insert("interrupted".into(), json!(report.interrupted));
        record.insert("read_back_problems".into(), json!(problems));
        self.append("footer", record);
    }

    /// The first failure to append, if any.
    pub fn failure(&self) -> Option<String> {
        self.lock().failure.clone()
    }
}

/// The journal's word for an outcome; `None` when nothing reached the vendor.
fn outcome_word(outcome: &ChangeOutcome) -> Option<&'static str> {
    match outcome.status {
        Status::Applied => Some(match outcome.action {
            crate::plan::Action::Create => "created",
            crate::plan::Action::Update => "updated",
            crate::plan::Action::Deactivate => "deactivated",
        }),
        Status::Failed if outcome.attempts == 0 && outcome.receipt.http_status.is_none() => None,
        Status::Failed if outcome.receipt.ambiguous => Some("ambiguous"),
        Status::Failed => Some("failed"),
        Status::Skipped => None,
    }
}

/// The account as the write left it: the record read when planning (none
/// for a create) with the fields the write set. Secrets are left out.
fn written(change: &Change, outcome: &ChangeOutcome, schema: &DriverSchema) -> RemoteRecord {
    let mut record = change.remote().cloned().unwrap_or_else(|| RemoteRecord {
        id: outcome.receipt.id.clone().unwrap_or_default(),
        key: change.key.clone(),
        fields: Default::default(),
    });
    for f in change.fields.iter().filter(|f| !f.sensitive) {
        if let (Some(spec), Some(value)) = (schema.field(&f.name), &f.after) {
            record.fields.insert(spec.name, value.clone());
        }
    }
    record
}

/// Reads an existing journal's end: the hash of its last whole line, how
/// many lines it has, and whether the last one was torn.
fn read_tail(file: &File) -> std::io::Result<Tail> {
    let mut reader = BufReader::new(file);
    let mut lines = 0u64;
    let mut last: Vec<u8> = Vec::new();
    let mut buf = Vec::new();
    let mut torn = false;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        lines += 1;
        torn = buf.last() != Some(&b'\n');
        if !torn {
            buf.pop();
        }
        std::mem::swap(&mut last, &mut buf);
    }
    let prev = if lines == 0 {
        GENESIS.to_string()
    } else {
        line_hash(&last)
    };
    Ok(Tail { prev, lines, torn })
}

/// One parsed journal line, as `journal show` reads it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Line {
    pub seq: u64,
    pub prev: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub run: String,
    pub time: String,
    #[serde(flatten)]
    pub rest: Map<String, Json>,
}

impl Line {
    /// A string member of the line.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.rest.get(name).and_then(Json::as_str)
    }
}
