//! Walks the YAML trees of one desired state, collecting every problem and,
//! when there are none, the validated [`Desired`].
//!
//! One submodule per level: [`top`] (`version:`, `providers:`, the kind
//! sections), [`provider`] (each provider, against the [`settings`] table and
//! its vendor's `auth:` list) and [`entry`] (each account, against its
//! vendor's field table). What a provider's `auth:` takes and what an entry
//! may contain come from the drivers' static [`DriverSchema`] tables, so a
//! new vendor needs nothing here.
//!
//! [`settings`]: super::settings
//! [`DriverSchema`]: crate::model::DriverSchema

use crate::words::plural;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::model::Kind;

use super::diagnostics::{Problem, Span};
use super::types::{Desired, Origin};
use super::values::{self, Invalid};
use super::yaml::{Node, Yaml};

mod calendar;
mod entry;
mod people;
mod provider;
mod top;

#[cfg(test)]
mod tests;

/// The only file format version this build reads.
pub const VERSION: i64 = 1;

/// The `context` of the top level's fields (where `x-...` keys are allowed).
const TOP_LEVEL: &str = "the top level";

/// The section of `people:` entries.
pub const PEOPLE: &str = "people";

/// Every kind, in the order sections are read.
pub const KINDS: [Kind; 2] = [Kind::Agent, Kind::User];

/// Settings a provider takes besides its vendor's `auth:` fields.
pub use super::settings::NAMES as PROVIDER_FIELDS;

/// One parsed file of the desired state.
pub struct ParsedFile {
    pub path: Arc<PathBuf>,
    pub root: Node,
}

/// What validation found.
pub struct Checked {
    /// The desired state (meaningful only when `problems` is empty).
    pub desired: Desired,
    pub problems: Vec<Problem>,
    /// Byte ranges holding plaintext secrets, per file, to mask in snippets.
    pub secret_spans: Vec<Vec<Span>>,
}

/// Validates one desired state made of `files` (one file, or a directory of files).
///
/// The files' trees are consumed: each account's subtree is dropped as soon as
/// it is validated, so a large file never holds its whole tree and its whole
/// validated state at once.
pub fn check(mut files: Vec<ParsedFile>) -> Checked {
    let mut checker = Checker {
        paths: files.iter().map(|f| f.path.clone()).collect(),
        file: 0,
        problems: Vec::new(),
        secret_spans: vec![Vec::new(); files.len()],
        regexes: HashMap::new(),
        allowed: HashMap::new(),
    };
    let top::Head {
        providers,
        infos,
        sections,
        journal,
        timezone,
        limits,
    } = checker.head(&files);
    let (entries, people) = checker.entries(&mut files, sections, &infos);
    Checked {
        desired: Desired {
            version: VERSION as u32,
            providers,
            entries,
            people,
            journal,
            timezone,
            limits,
        },
        problems: checker.problems,
        secret_spans: checker.secret_spans,
    }
}

struct Checker {
    paths: Vec<Arc<PathBuf>>,
    /// Index of the file being read.
    file: usize,
    problems: Vec<Problem>,
    secret_spans: Vec<Vec<Span>>,
    /// Compiled once; shared (`Arc`) so that every use keeps the same search cache
    /// (a cloned `Regex` starts a new, empty one).
    regexes: HashMap<&'static str, Option<Arc<regex::Regex>>>,
    /// Fields an entry may hold, by vendor.
    allowed: HashMap<(&'static str, bool), Arc<[&'static str]>>,
}

/// A map's fields after the generic checks: (name, key node, value node).
type Fields<'n> = Vec<(Cow<'n, str>, &'n Node, &'n Node)>;

fn span(node: &Node) -> Span {
    match &node.value {
        Yaml::Map(entries) if node.pos.len == 0 => match entries.first() {
            Some((key, _)) => span(key),
            None => node.pos.range(),
        },
        _ => node.pos.range(),
    }
}

fn find<'n>(fields: &Fields<'n>, name: &str) -> Option<(&'n Node, &'n Node)> {
    fields
        .iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, k, v)| (*k, *v))
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Checker {
    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn problem(&self, code: &'static str, message: impl Into<String>) -> Problem {
        Problem::new(self.file, code, message)
    }

    fn invalid(&mut self, node: &Node, invalid: Invalid) {
        let target = match (&node.value, invalid.item) {
            (Yaml::Seq(items), Some(i)) => items.get(i).unwrap_or(node),
            _ => node,
        };
        let mut p = self
            .problem(invalid.code, invalid.message)
            .label(span(target), invalid.label);
        if let Some(help) = invalid.help {
            p = p.help(help);
        }
        self.push(p);
    }

    fn mask(&mut self, node: &Node) {
        let s = node.pos.range();
        if let Some(spans) = self.secret_spans.get_mut(self.file) {
            spans.push(s);
        }
    }

    fn origin(&self, node: &Node) -> Origin {
        let (line, column) = match &node.value {
            Yaml::Map(entries) => entries
                .first()
                .map(|(k, _)| (k.pos.line, k.pos.column))
                .unwrap_or((node.pos.line, node.pos.column)),
            _ => (node.pos.line, node.pos.column),
        };
        Origin {
            file: self.paths[self.file].clone(),
            line,
            column,
        }
    }

    /// Generic checks of a mapping's keys: scalar, not empty, not repeated,
    /// known (when `allowed` is not empty). Returns the usable fields, first
    /// occurrence of each. `hint` may add a help line for an unknown field.
    fn fields<'n>(
        &mut self,
        entries: &'n [(Node, Node)],
        allowed: &[&str],
        context: &str,
        hint: &dyn Fn(&str) -> Option<String>,
    ) -> Fields<'n> {
        let mut out: Fields<'n> = Vec::with_capacity(entries.len());
        let mut index: HashMap<Cow<'n, str>, usize> = HashMap::new();
        for (key, value) in entries {
            let Some(name) = key.key_name() else {
                self.push(
                    self.problem("wrong_type", "a key must be a name, not a list or mapping")
                        .label(span(key), "not a name"),
                );
                continue;
            };
            if name.trim().is_empty() {
                self.push(
                    self.problem("empty_key", "empty key")
                        .label(span(key), "this key is empty")
                        .help("write a field name before the `:`"),
                );
                continue;
            }
            // Small mappings (every entry) are searched; large ones indexed.
            let seen = if out.len() < 16 {
                out.iter().position(|(n, _, _)| *n == name)
            } else {
                if index.is_empty() {
                    index.extend(out.iter().enumerate().map(|(i, (n, _, _))| (n.clone(), i)));
                }
                index.get(&name).copied()
            };
            if let Some(first) = seen {
                let first_key = out[first].1;
                let where_ = if context.is_empty() {
                    String::new()
                } else {
                    format!(" in {context}")
                };
                self.push(
                    self.problem("duplicate_key", format!("`{name}` is given twice{where_}"))
                        .label(span(key), "given again here")
                        .label(span(first_key), "first given here")
                        .help("YAML keys must be unique within a mapping; keep one of them"),
                );
                continue;
            }
            // Top-level `x-...` keys are ignored (a home for YAML anchors, as in
            // docker compose).
            if context == TOP_LEVEL && name.starts_with("x-") {
                continue;
            }
            if !allowed.is_empty() && !allowed.contains(&name.as_ref()) {
                let nearest = values::suggest(&name, allowed.iter().copied());
                let secret_like = looks_secret(&name) || nearest.is_some_and(looks_secret);
                let mut help = match nearest {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("valid fields: {}", quoted_list(allowed)),
                };
                if let Some(extra) = hint(&name) {
                    help = format!("{help} {extra}");
                }
                let where_ = if context.is_empty() {
                    String::new()
                } else {
                    format!(" in {context}")
                };
                self.push(
                    self.problem("unknown_field", format!("unknown field `{name}`{where_}"))
                        .label(span(key), "unknown field")
                        .help(help),
                );
                if secret_like && !matches!(value.value, Yaml::Map(_) | Yaml::Seq(_)) {
                    self.mask(value);
                }
                continue;
            }
            if !index.is_empty() {
                index.insert(name.clone(), out.len());
            }
            out.push((name, key, value));
        }
        out
    }

    fn plaintext(&mut self, node: &Node, field: &str, owner: &str, env: &str) {
        self.mask(node);
        self.push(
            self.problem("plaintext_secret", format!("`{field}` of {owner} is written in plain text"))
                .label(span(node), "plaintext secret (hidden)")
                .help(format!(
                    "secrets must be references: `{}: {{ env: {env} }}` or `{{ file: PATH }}`; change this secret, it has been in the file",
                    field.rsplit('.').next().unwrap_or(field)
                )),
        );
    }

    fn secret_invalid(&mut self, node: &Node, at: Option<usize>, invalid: Invalid) {
        let target = match (&node.value, at) {
            (Yaml::Map(entries), Some(i)) => entries.get(i).map(|(k, v)| {
                // A wrong key may hold a plaintext secret: point at the key, hide the value.
                if !matches!(v.value, Yaml::Map(_) | Yaml::Seq(_))
                    && invalid.message.starts_with("unknown key")
                {
                    self.mask(v);
                    k
                } else {
                    v
                }
            }),
            _ => None,
        };
        self.invalid(target.unwrap_or(node), invalid);
    }

    fn regex(&mut self, pattern: &'static str) -> Option<Arc<regex::Regex>> {
        self.regexes
            .entry(pattern)
            .or_insert_with(|| regex::Regex::new(pattern).ok().map(Arc::new))
            .clone()
    }
}

fn looks_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "pass",
        "pasw",
        "secret",
        "token",
        "key",
        "pwd",
        "credential",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// "3 providers, 1 agent, 2 users" for a valid desired state.
pub fn describe(desired: &Desired) -> String {
    let mut parts = vec![plural(desired.providers.len(), "provider", "providers")];
    for kind in KINDS {
        let n = desired.entries.iter().filter(|e| e.kind == kind).count();
        parts.push(plural(n, kind.noun(), kind.section()));
    }
    if !desired.people.is_empty() {
        parts.push(plural(desired.people.len(), "person", "people"));
    }
    parts.join(", ")
}
