//! Secrets never reach an output. Every value headcount holds as a secret is
//! registered here when it becomes known (a resolved `{ env: }` or
//! `{ file: }` secret, the value of every variable a desired-state file
//! names as a secret, and at start the variables whose names say they hold
//! credentials); the writers of standard output and standard error
//! ([`crate::output`]), the files headcount writes, and the diagnostic
//! renderer pass their text through [`redact`]. One mechanism, so that no
//! call site can forget: a secret that reaches a message by any path
//! (a vendor echoing it, a file that is not what it claims to be) is
//! replaced by `(redacted)`.
//!
//! Values shorter than [`MIN_CHARS`] are not registered: replacing every
//! `ab` in a plan would make it unreadable, and such a value is no secret.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// What a secret shows as.
pub const REDACTED: &str = "(redacted)";

/// The shortest value registered, in characters.
pub const MIN_CHARS: usize = 4;

/// The registered secrets and the matcher built from them (rebuilt when a
/// secret is added).
struct Registry {
    values: Vec<String>,
    known: Option<HashSet<String>>,
    matcher: Option<Arc<AhoCorasick>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    values: Vec::new(),
    known: None,
    matcher: None,
});

/// Registers a secret's value (and its JSON-escaped form, as it appears in
/// a JSON plan or a vendor's answer).
pub fn register(value: &str) {
    if value.chars().count() < MIN_CHARS {
        return;
    }
    let mut forms = vec![value.to_string()];
    let escaped = serde_json::Value::String(value.to_string()).to_string();
    let escaped = &escaped[1..escaped.len() - 1];
    if escaped != value {
        forms.push(escaped.to_string());
    }
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    for form in forms {
        if registry.known.get_or_insert_default().insert(form.clone()) {
            registry.values.push(form);
            registry.matcher = None;
        }
    }
}

/// Registers the value of the environment variable `name`, when set.
pub fn register_env(name: &str) {
    if let Ok(value) = std::env::var(name) {
        register(&value);
    }
}

/// Registers the variables whose names say they hold a credential
/// (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*_KEY`, ...): a file too broken
/// to say which variables it uses still cannot make headcount print them.
pub fn register_credential_env() {
    for (name, value) in std::env::vars_os() {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            continue;
        };
        if looks_like_credential(name) {
            register(value);
        }
    }
}

fn looks_like_credential(name: &str) -> bool {
    let name = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "CREDENTIAL",
        "API_KEY",
        "APIKEY",
    ]
    .iter()
    .any(|w| name.contains(w))
        || name.ends_with("_KEY")
        || name.ends_with("_PASS")
        || name.ends_with("_PW")
}

/// The matcher of the registered secrets, longest first; `None` when none is.
fn matcher() -> Option<Arc<AhoCorasick>> {
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    if registry.values.is_empty() {
        return None;
    }
    if registry.matcher.is_none() {
        // An NFA: built in time linear in the patterns (a DFA of a 64 KiB
        // secret file's value would take minutes).
        let built = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(&registry.values)
            .ok()?;
        registry.matcher = Some(Arc::new(built));
    }
    registry.matcher.clone()
}

/// Byte ranges (offset, length) of the registered secrets in `text`.
pub fn spans(text: &str) -> Vec<(usize, usize)> {
    match matcher() {
        Some(m) => m
            .find_iter(text)
            .map(|found| (found.start(), found.len()))
            .collect(),
        None => Vec::new(),
    }
}

/// `text` with every registered secret replaced by [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let Some(m) = matcher() else {
        return Cow::Borrowed(text);
    };
    if !m.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    m.replace_all_with(text, &mut out, |_, _, dst| {
        dst.push_str(REDACTED);
        true
    });
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_redacted_and_short_ones_ignored() {
        register("Zq8v-unit-canary\"x");
        register("ab");
        let shown = redact("a Zq8v-unit-canary\"x b \"Zq8v-unit-canary\\\"x\" ab");
        assert_eq!(shown, "a (redacted) b \"(redacted)\" ab");
        assert_eq!(spans("..Zq8v-unit-canary\"x"), vec![(2, 18)]);
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn credential_names() {
        for name in [
            "THULIUM_API_PASSWORD",
            "CCP_API_KEY",
            "GITHUB_TOKEN",
            "TH_PASS",
        ] {
            assert!(looks_like_credential(name), "{name}");
        }
        for name in ["PATH", "HOME", "NO_COLOR", "KEYBOARD"] {
            assert!(!looks_like_credential(name), "{name}");
        }
    }
}
