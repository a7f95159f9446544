//! The one error type every driver returns.

use std::fmt;
use std::time::Duration;

/// What kind of failure a driver met; decides retries and exit messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Credentials refused (401/403). Never retried.
    Auth,
    /// The account or path does not exist (404).
    NotFound,
    /// The vendor rejected the request body (400/422).
    Validation,
    /// Too many requests (429).
    RateLimited,
    /// The vendor failed (5xx).
    Server,
    /// No answer within the timeout.
    Timeout,
    /// Connection refused, reset, DNS, a TLS handshake that failed.
    Transport,
    /// The server's TLS certificate was refused (untrusted, expired, for
    /// another host). Never retried: trying again cannot change it.
    Certificate,
    /// The answer could not be understood (not JSON, wrong shape).
    Protocol,
    /// Refused before sending (bad URL, insecure http, missing credential).
    Config,
}

/// A failed vendor call, in plain words. Never carries a secret.
#[derive(Clone, Debug)]
pub struct DriverError {
    /// Provider name from the file.
    pub provider: String,
    pub kind: ErrorKind,
    /// HTTP status, when the vendor answered.
    pub status: Option<u16>,
    /// What was being done ("create user \"bad/name\"", "list agents").
    pub context: String,
    /// The vendor's own message (redacted).
    pub message: String,
    /// Field errors from the vendor: (field, message).
    pub field_errors: Vec<(String, String)>,
    /// The vendor's `Retry-After`, when given.
    pub retry_after: Option<Duration>,
    /// The request may have been processed although no answer came back
    /// (timeout or connection lost after sending). A create that failed this
    /// way must be checked with `get_by_key` before it is tried again.
    pub ambiguous: bool,
    /// What to do, when the failure says more than its kind (see [`Self::hint`]).
    pub help: Hint,
}

/// Which hint [`DriverError::hint`] gives: the kind's, or a more precise one.
/// (A small enum: the error stays small enough to return by value.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Hint {
    /// The hint of the error's kind.
    #[default]
    ByKind,
    /// A listing that does not add up (see `drivers::paging`).
    UntrustedListing,
    /// A listing whose items moved while it was read.
    ShiftedListing,
    /// A listing with two accounts of one key.
    SharedKey,
    /// Nothing listens at the provider's address (connection refused).
    Refused,
    /// The vendor has no edit endpoint (Thulium's undocumented agent PUT).
    NoEditEndpoint,
}

impl DriverError {
    pub fn new(provider: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        DriverError {
            provider: provider.into(),
            kind,
            status: None,
            context: String::new(),
            message: message.into(),
            field_errors: Vec::new(),
            retry_after: None,
            ambiguous: false,
            help: Hint::ByKind,
        }
    }

    /// Gives the user a hint of what to do, in place of the kind's.
    pub fn with_help(mut self, help: Hint) -> Self {
        self.help = help;
        self
    }

    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_field_errors(mut self, field_errors: Vec<(String, String)>) -> Self {
        self.field_errors = field_errors;
        self
    }

    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Marks the failure as ambiguous: the vendor may have done it.
    pub fn ambiguous(mut self) -> Self {
        self.ambiguous = true;
        self
    }

    /// Replaces every occurrence of each secret in the message and field
    /// errors with `(redacted)` (vendors may echo what was sent).
    pub fn redacted(mut self, secrets: &[&str]) -> Self {
        self.context = redact(&self.context, secrets);
        self.message = redact(&self.message, secrets);
        for (field, msg) in &mut self.field_errors {
            *field = redact(field, secrets);
            *msg = redact(msg, secrets);
        }
        self
    }

    /// Worth trying again (for an idempotent call).
    ///
    /// A refused connection is not: nothing listens at the address, and a
    /// wrong url or port does not start listening within a retry's wait
    /// (retrying it until the deadline took 40 s to say so).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Transport
        ) && self.help != Hint::Refused
    }

    /// A one-line hint for the user about what to do next.
    pub fn hint(&self) -> &'static str {
        match self.help {
            Hint::ByKind => {}
            Hint::UntrustedListing => return "nothing was planned for this provider: headcount does not plan from a listing it cannot trust; check the provider url, run again, and report the listing to the vendor if it persists",
            Hint::ShiftedListing => return "nothing was planned for this provider; run again when nobody edits its accounts, and report it to the vendor if it persists",
            Hint::SharedKey => return "headcount cannot tell which account the file means: rename or remove one of them on the vendor, then run again",
            Hint::Refused => return "the vendor is unreachable: nothing listens at that address; check the provider's url (host and port) and that the service is up",
            Hint::NoEditEndpoint => return "set `edits: manual` on this provider: its updates and deactivations are then planned as steps to make in the vendor's panel, and never sent (`headcount doctor --probe-edits` checks whether a system has the endpoint)",
        }
        match self.kind {
            ErrorKind::Auth => "check the provider's credentials (the environment variables named in its auth: block)",
            ErrorKind::NotFound => "the account or endpoint does not exist; check the provider url",
            ErrorKind::Validation => "fix the values the vendor rejected in the file, then run plan again",
            ErrorKind::RateLimited => "the vendor is throttling requests; lower --parallelism or try again later",
            ErrorKind::Server => "the vendor failed; try again later (apply converges when re-run)",
            ErrorKind::Timeout => "the vendor did not answer in time; raise the provider's timeout or try again later",
            ErrorKind::Transport => "the vendor is unreachable; check the provider url and your network",
            ErrorKind::Certificate => "if the vendor uses a private certificate authority, set the provider's ca_file: to that authority's certificate (a PEM file); otherwise check the provider url and ask the vendor to fix its certificate",
            ErrorKind::Protocol => "the vendor's answer was not what its API documents; check the provider url points at the API",
            ErrorKind::Config => "fix the provider's settings in the file",
        }
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.provider)?;
        if !self.context.is_empty() {
            write!(f, ": {}", self.context)?;
        }
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}", self.message)?;
        for (field, msg) in &self.field_errors {
            write!(f, "; {field}: {msg}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DriverError {}

/// `text` with every non-empty secret (and its JSON-escaped form) replaced by `(redacted)`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for form in secret_forms(secrets) {
        out = out.replace(&form, REDACTED);
    }
    out
}

const REDACTED: &str = "(redacted)";

/// Every form a secret may take in a body (as sent, and JSON-escaped),
/// longest first so that a secret containing another is replaced whole.
fn secret_forms(secrets: &[&str]) -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        forms.push(secret.to_string());
        let escaped = serde_json::Value::String(secret.to_string()).to_string();
        let escaped = &escaped[1..escaped.len() - 1];
        if escaped != *secret {
            forms.push(escaped.to_string());
        }
    }
    forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
    forms.dedup();
    forms
}

/// A short one-line extract of a vendor's answer for a message: every
/// secret is redacted from the whole body first, then the text is cut to
/// `max_chars`; an end of the cut that could be the start of a secret (or
/// of the `(redacted)` mark) is masked too, so a cut never shows part of one.
pub fn redacted_snippet(body: &[u8], secrets: &[&str], max_chars: usize) -> String {
    let text = redact(&String::from_utf8_lossy(body), secrets);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some((cut_at, _)) = one_line.char_indices().nth(max_chars) else {
        return one_line;
    };
    let mut cut = one_line[..cut_at].to_string();
    let mut forms = secret_forms(secrets);
    forms.push(REDACTED.to_string());
    // The longest end of the cut that begins one of the forms.
    let masked_from = cut.char_indices().map(|(i, _)| i).find(|&i| {
        forms
            .iter()
            .any(|f| f.len() > cut.len() - i && f.starts_with(&cut[i..]))
    });
    if let Some(i) = masked_from {
        cut.truncate(i);
        cut.push_str(REDACTED);
    }
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_provider_context_and_fields() {
        let mut e = DriverError::new("ccp", ErrorKind::Validation, "rejected")
            .with_context("create user \"bad/name\"")
            .with_status(400);
        e.field_errors
            .push(("username".into(), "Does not match pattern".into()));
        assert_eq!(
            e.to_string(),
            "ccp: create user \"bad/name\" (HTTP 400): rejected; username: Does not match pattern"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn redaction_removes_secrets_everywhere() {
        let mut e = DriverError::new(
            "dnl",
            ErrorKind::Validation,
            "password 'hunter2\"x' is weak",
        );
        e.field_errors
            .push(("passwd".into(), "hunter2\\\"x is too short".into()));
        let e = e.redacted(&["hunter2\"x", ""]);
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("(redacted)"), "{shown}");
    }

    /// A body echoing a secret is redacted whole before it is
    /// cut, and a secret cut in two shows no part of itself.
    #[test]
    fn an_echoed_secret_at_every_position_around_the_cut_shows_no_part_of_itself() {
        let password = "Zq9#xW!pLm\"k2";
        let token = "tok-7f3a9c1e";
        let secrets = [password, token];
        let escaped = r#"Zq9#xW!pLm\"k2"#;
        let limit = 40;
        for form in [password, escaped, token] {
            for start in 0..limit + 2 {
                let body = format!("{}{form} was refused{}", "x".repeat(start), "y".repeat(50));
                let shown = redacted_snippet(body.as_bytes(), &secrets, limit);
                for secret in [password, escaped, token] {
                    // No piece of 3 characters or more of a secret survives.
                    for w in secret.as_bytes().windows(3) {
                        let piece = std::str::from_utf8(w).unwrap();
                        assert!(
                            !shown.contains(piece),
                            "{piece:?} of a secret shown at {start}: {shown}"
                        );
                    }
                }
                if start < limit {
                    assert!(shown.contains("(redacted)"), "at {start}: {shown}");
                }
                assert!(shown.chars().count() <= limit + "(redacted)...".len());
            }
        }
    }

    #[test]
    fn a_short_answer_is_shown_whole_and_on_one_line() {
        assert_eq!(
            redacted_snippet(b"bad\n  request   pw=s3cret", &["s3cret"], 120),
            "bad request pw=(redacted)"
        );
        let long = "a".repeat(200);
        let shown = redacted_snippet(long.as_bytes(), &[], 120);
        assert_eq!(shown, format!("{}...", "a".repeat(120)));
    }
}
