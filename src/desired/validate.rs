//! Walks the YAML trees of one desired state, collecting every problem and,
//! when there are none, the validated [`Desired`].
//!
//! The top level (`version`, `providers`, the kind sections) is fixed; what a
//! provider's `auth:` takes and what an entry may contain come from the
//! drivers' static [`DriverSchema`] tables, so a new vendor needs nothing here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::drivers;
use crate::model::{DriverSchema, FieldType, Kind};

use super::diagnostics::{Problem, Span};
use super::types::{Credential, Desired, Entry, FieldMap, Origin, Provider, UnlistedPolicy};
use super::values::{self, Invalid, SecretProblem};
use super::yaml::{Node, Value as Yaml};

/// The only file format version this build reads.
pub const VERSION: i64 = 1;

/// Every kind, in the order sections are read.
pub const KINDS: [Kind; 2] = [Kind::Agent, Kind::User];

/// Settings a provider takes besides its vendor's `auth:` fields.
pub const PROVIDER_FIELDS: &[&str] = &[
    "type",
    "url",
    "auth",
    "unlisted",
    "parallelism",
    "timeout",
    "max_deactivate_percent",
    "insecure_http",
];

/// Values of `unlisted:`.
pub const UNLISTED_VALUES: &[&str] = &["ignore", "report", "deactivate"];

/// Default of `max_deactivate_percent`.
pub const DEFAULT_MAX_DEACTIVATE_PERCENT: f64 = 25.0;

/// Most concurrent requests a provider may ask for.
pub const MAX_PARALLELISM: i64 = 256;

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

fn top_level_fields() -> Vec<&'static str> {
    let mut fields = vec!["version", "providers"];
    fields.extend(KINDS.iter().map(|k| k.section()));
    fields
}

/// What entries need to know about a provider, even one with problems.
struct ProviderInfo {
    schema: Option<&'static DriverSchema>,
}

/// Validates one desired state made of `files` (one file, or a directory of files).
///
/// The files' trees are consumed: each account's subtree is dropped as soon as
/// it is validated, so a large file never holds its whole tree and its whole
/// validated state at once.
pub fn check(files: Vec<ParsedFile>) -> Checked {
    begin(files).finish()
}

/// Validation half done: the top level and the providers are checked, the
/// accounts not yet. Lets a caller start reading the providers while the
/// accounts are checked.
pub struct Partial {
    checker: Checker,
    files: Vec<ParsedFile>,
    providers: IndexMap<String, Provider>,
    infos: IndexMap<String, ProviderInfo>,
    sections: Vec<(usize, Kind, usize)>,
}

/// Checks the top level and the providers of `files`.
pub fn begin(files: Vec<ParsedFile>) -> Partial {
    let mut checker = Checker {
        paths: files.iter().map(|f| f.path.clone()).collect(),
        file: 0,
        problems: Vec::new(),
        secret_spans: vec![Vec::new(); files.len()],
        regexes: HashMap::new(),
        allowed: HashMap::new(),
    };
    let (providers, infos, sections) = checker.head(&files);
    Partial {
        checker,
        files,
        providers,
        infos,
        sections,
    }
}

impl Partial {
    /// The providers, when the top level and every provider are valid.
    pub fn providers(&self) -> Option<&IndexMap<String, Provider>> {
        self.checker.problems.is_empty().then_some(&self.providers)
    }

    /// Checks the accounts and returns everything found.
    pub fn finish(mut self) -> Checked {
        let entries = self
            .checker
            .entries(&mut self.files, self.sections, &self.infos);
        Checked {
            desired: Desired {
                version: VERSION as u32,
                providers: self.providers,
                entries,
            },
            problems: self.checker.problems,
            secret_spans: self.checker.secret_spans,
        }
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
    allowed: HashMap<&'static str, Arc<[&'static str]>>,
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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Checker {
    /// The top level and the providers of every file. Returns the providers,
    /// what entries need to know of each, and where each kind section's list
    /// is: (file, kind, index of the section in the file's top mapping).
    #[allow(clippy::type_complexity)]
    fn head(
        &mut self,
        files: &[ParsedFile],
    ) -> (
        IndexMap<String, Provider>,
        IndexMap<String, ProviderInfo>,
        Vec<(usize, Kind, usize)>,
    ) {
        let mut version_seen = false;
        let mut tops: Vec<Fields<'_>> = Vec::with_capacity(files.len());
        let allowed = top_level_fields();
        for (i, f) in files.iter().enumerate() {
            self.file = i;
            let fields = match &f.root.value {
                Yaml::Null => Vec::new(),
                Yaml::Map(entries) => self.fields(entries, &allowed, "the top level", &|_| None),
                other => {
                    self.push(
                        Problem::new(
                            i,
                            "not_a_mapping",
                            format!("the file must be a mapping, not {}", other.describe()),
                        )
                        .label(
                            span(&f.root),
                            "expected `version:`, `providers:`, `agents:`, `users:`",
                        )
                        .help("start the file with `version: 1` and a `providers:` section"),
                    );
                    Vec::new()
                }
            };
            if let Some((_, value)) = find(&fields, "version") {
                version_seen = true;
                self.version(value);
            }
            tops.push(fields);
        }
        let all_mappings = files
            .iter()
            .all(|f| matches!(f.root.value, Yaml::Map(_) | Yaml::Null));
        if !version_seen && all_mappings {
            if let Some(first) = files.first() {
                self.file = 0;
                let help = if files.len() > 1 {
                    "add `version: 1` at the top of one of the files"
                } else {
                    "add `version: 1` at the top of the file"
                };
                self.push(
                    Problem::new(
                        0,
                        "missing_field",
                        "the file does not say which format version it uses",
                    )
                    .label(span(&first.root), "no `version:` in this file")
                    .help(help),
                );
            }
        }

        // Providers, across every file.
        let mut providers: IndexMap<String, Provider> = IndexMap::new();
        let mut infos: IndexMap<String, ProviderInfo> = IndexMap::new();
        let mut defined_at: HashMap<String, (usize, Span)> = HashMap::new();
        for (i, fields) in tops.iter().enumerate() {
            self.file = i;
            let Some((_, section)) = find(fields, "providers") else {
                continue;
            };
            let entries = match &section.value {
                Yaml::Null => continue,
                Yaml::Map(entries) => entries,
                other => {
                    self.push(
                        Problem::new(i, "wrong_type", format!("`providers` must be a mapping of provider names, found {}", other.describe()))
                            .label(span(section), "expected a mapping")
                            .help("write `providers:` followed by indented names, e.g. `  thulium: { type: thulium, url: ..., auth: ... }`"),
                    );
                    continue;
                }
            };
            for (name, key, value) in self.fields(entries, &[], "", &|_| None) {
                if !valid_provider_name(&name) {
                    self.push(
                        Problem::new(i, "provider_name", format!("`{name}` is not a valid provider name"))
                            .label(span(key), "invalid name")
                            .help("use letters, digits, `_`, `-` and `.`, starting with a letter or digit (it is used in `--target NAME/KEY`)"),
                    );
                }
                if let Some((first_file, first_span)) = defined_at.get(name.as_ref()).copied() {
                    self.push(
                        Problem::new(
                            i,
                            "duplicate_provider",
                            format!("provider `{name}` is defined twice"),
                        )
                        .label(span(key), "defined again here")
                        .elsewhere(
                            first_file,
                            first_span,
                            format!("provider `{name}` first defined here"),
                        )
                        .help(
                            "give each provider a different name, or remove one of the definitions",
                        ),
                    );
                    continue;
                }
                let name = name.into_owned();
                defined_at.insert(name.clone(), (i, span(key)));
                let (info, provider) = self.provider(&name, key, value);
                infos.insert(name.clone(), info);
                if let Some(p) = provider {
                    providers.insert(name, p);
                }
            }
        }

        // Where the entry lists are; sections of the wrong type are reported here.
        let mut sections = Vec::new();
        for (i, fields) in tops.iter().enumerate() {
            self.file = i;
            let Yaml::Map(top) = &files[i].root.value else {
                continue;
            };
            for kind in KINDS {
                let Some((key, section)) = find(fields, kind.section()) else {
                    continue;
                };
                match &section.value {
                    Yaml::Null => continue,
                    Yaml::Seq(_) => {}
                    other => {
                        self.push(
                            Problem::new(
                                i,
                                "wrong_type",
                                format!(
                                    "`{}` must be a list, found {}",
                                    kind.section(),
                                    other.describe()
                                ),
                            )
                            .label(span(section), "expected a list")
                            .help(format!(
                                "write each {} as a list item starting with `- `",
                                kind.noun()
                            )),
                        );
                        continue;
                    }
                }
                if let Some(at) = top.iter().position(|(k, _)| std::ptr::eq(k, key)) {
                    sections.push((i, kind, at));
                }
            }
        }
        (providers, infos, sections)
    }

    /// Every entry of every kind section, in file order. Each account's
    /// subtree is taken out of its file's tree and dropped once validated.
    fn entries(
        &mut self,
        files: &mut [ParsedFile],
        sections: Vec<(usize, Kind, usize)>,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> Vec<Entry> {
        let mut lists = Vec::with_capacity(sections.len());
        for (i, kind, at) in sections {
            let Yaml::Map(top) = &mut files[i].root.value else {
                continue;
            };
            if let Some((
                _,
                Node {
                    value: Yaml::Seq(items),
                    ..
                },
            )) = top.get_mut(at)
            {
                lists.push((i, kind, std::mem::take(items)));
            }
        }
        let listed: usize = lists.iter().map(|(_, _, items)| items.len()).sum();
        let mut entries = Vec::with_capacity(listed);
        // Provider names are borrowed from `infos`: one copy fewer per entry.
        let mut seen: HashMap<(&str, Kind, String), (usize, Span)> = HashMap::with_capacity(listed);
        for (i, kind, items) in lists {
            self.file = i;
            for (n, item) in items.into_iter().enumerate() {
                let before = self.problems.len();
                let found = self.entry(kind, n, &item, infos);
                drop(item);
                let Some((entry, key_span)) = found else {
                    continue;
                };
                let Some((provider, _)) = infos.get_key_value(&entry.provider) else {
                    continue;
                };
                let id = (provider.as_str(), kind, entry.key.clone());
                if let Some((first_file, first_span)) = seen.get(&id).copied() {
                    let message = format!(
                        "{} `{}` is listed twice for provider `{}`",
                        kind.noun(),
                        entry.key,
                        entry.provider
                    );
                    let mut p = Problem::new(i, "duplicate_entry", message)
                        .label(key_span, "listed again here")
                        .help(format!("keep one entry per {}; merge the two", kind.noun()));
                    if first_file == i {
                        p = p.label(first_span, "first listed here");
                    } else {
                        p = p.elsewhere(first_file, first_span, "first listed here");
                    }
                    self.push(p);
                    continue;
                }
                seen.insert(id, (i, key_span));
                if self.problems.len() == before {
                    entries.push(entry);
                }
            }
        }
        entries
    }

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

    fn version(&mut self, value: &Node) {
        match &value.value {
            Yaml::Int(VERSION) => {}
            Yaml::Int(n) => self.push(
                self.problem("version", format!("unsupported format version {n}"))
                    .label(span(value), "unsupported version")
                    .help(format!("this headcount reads version {VERSION} files; write `version: {VERSION}` or upgrade headcount")),
            ),
            other => {
                let mut p = self
                    .problem("version", format!("`version` must be the integer {VERSION}, found {}", other.describe()))
                    .label(span(value), format!("expected {VERSION}"));
                p = p.help(format!("write `version: {VERSION}`"));
                self.push(p);
            }
        }
    }

    fn provider(
        &mut self,
        name: &str,
        key: &Node,
        value: &Node,
    ) -> (ProviderInfo, Option<Provider>) {
        let before = self.problems.len();
        let entries = match &value.value {
            Yaml::Map(entries) => entries,
            other => {
                self.push(
                    self.problem(
                        "wrong_type",
                        format!(
                            "provider `{name}` must be a mapping, found {}",
                            other.describe()
                        ),
                    )
                    .label(span(value), "expected a mapping")
                    .help(format!(
                        "write `{name}: {{ type: ..., url: ..., auth: {{ ... }} }}`"
                    )),
                );
                return (ProviderInfo { schema: None }, None);
            }
        };
        let context = format!("provider `{name}`");
        let fields = self.fields(entries, PROVIDER_FIELDS, &context, &|field| {
            drivers::VENDORS
                .iter()
                .any(|v| v.schema.auth.iter().any(|a| a.name == field))
                .then(|| format!("credentials go under `auth:`, e.g. `auth: {{ {field}: {{ env: VARIABLE }} }}`"))
        });

        // type
        let schema = match find(&fields, "type") {
            None => {
                self.push(
                    self.problem("missing_field", format!("provider `{name}` has no `type`"))
                        .label(span(key), "no `type:`")
                        .help(format!(
                            "add `type:` with one of {}",
                            quoted_list(&drivers::vendor_names())
                        )),
                );
                None
            }
            Some((_, t)) => match t.as_str() {
                Some(type_name) => match drivers::vendor(type_name) {
                    Some(v) => Some(v.schema),
                    None => {
                        let names = drivers::vendor_names();
                        let help = match values::suggest(type_name, names.iter().copied()) {
                            Some(s) => format!(
                                "did you mean `{s}`? supported types: {}",
                                quoted_list(&names)
                            ),
                            None => format!("supported types: {}", quoted_list(&names)),
                        };
                        self.push(
                            self.problem(
                                "unknown_type",
                                format!("unknown provider type `{type_name}`"),
                            )
                            .label(span(t), "unknown type")
                            .help(help),
                        );
                        None
                    }
                },
                None => {
                    self.invalid(
                        t,
                        values::wrong_type("type", "a provider type", &t.value).help(format!(
                            "write one of {}",
                            quoted_list(&drivers::vendor_names())
                        )),
                    );
                    None
                }
            },
        };
        let example_url = schema
            .map(|s| s.url_example)
            .unwrap_or("https://example.com");

        // url
        let url = match find(&fields, "url") {
            None => {
                self.push(
                    self.problem("missing_field", format!("provider `{name}` has no `url`"))
                        .label(span(key), "no `url:`")
                        .help(format!("add the base URL, e.g. `url: {example_url}`")),
                );
                None
            }
            Some((_, u)) => self.url(u, example_url),
        };

        // auth
        let auth = match (find(&fields, "auth"), schema) {
            (None, Some(schema)) if !schema.auth.is_empty() => {
                let names: Vec<&str> = schema.auth.iter().map(|a| a.name).collect();
                self.push(
                    self.problem("missing_field", format!("provider `{name}` has no `auth`"))
                        .label(span(key), "no `auth:`")
                        .help(format!(
                            "{} needs {}: add `auth: {{ {} }}`",
                            schema.display_name,
                            quoted_list(&names),
                            auth_example(schema, name)
                        )),
                );
                IndexMap::new()
            }
            (None, _) => IndexMap::new(),
            (Some((auth_key, auth)), Some(schema)) => self.auth(name, schema, auth_key, auth),
            (Some((_, auth)), None) => {
                // Unknown type: still never let a plaintext credential show.
                if let Yaml::Map(entries) = &auth.value {
                    for (_, v) in entries {
                        if !matches!(v.value, Yaml::Map(_) | Yaml::Seq(_)) {
                            self.mask(v);
                        }
                    }
                }
                IndexMap::new()
            }
        };

        // common settings
        let unlisted = match find(&fields, "unlisted") {
            None => UnlistedPolicy::default(),
            Some((_, v)) => match v.as_str() {
                Some("ignore") => UnlistedPolicy::Ignore,
                Some("report") => UnlistedPolicy::Report,
                Some("deactivate") => UnlistedPolicy::Deactivate,
                Some(other) => {
                    self.invalid(v, values::bad_enum("unlisted", other, UNLISTED_VALUES));
                    UnlistedPolicy::default()
                }
                None => {
                    self.invalid(
                        v,
                        values::wrong_type(
                            "unlisted",
                            "one of ignore, report, deactivate",
                            &v.value,
                        ),
                    );
                    UnlistedPolicy::default()
                }
            },
        };
        let parallelism = match find(&fields, "parallelism") {
            None => None,
            Some((_, v)) => match v.value {
                Yaml::Int(n) if (1..=MAX_PARALLELISM).contains(&n) => u32::try_from(n).ok(),
                Yaml::Int(_) => {
                    self.invalid(
                        v,
                        Invalid::new(
                            "range",
                            format!("`parallelism` must be between 1 and {MAX_PARALLELISM}"),
                            "out of range",
                        )
                        .help("it caps concurrent requests to this provider; leave it out to use `--parallelism` (default 8)"),
                    );
                    None
                }
                ref other => {
                    self.invalid(v, values::wrong_type("parallelism", "an integer", other));
                    None
                }
            },
        };
        let timeout = match find(&fields, "timeout") {
            None => None,
            Some((_, v)) => match values::duration(v) {
                Ok(d) => Some(d),
                Err(inv) => {
                    self.invalid(v, inv);
                    None
                }
            },
        };
        let max_deactivate_percent = match find(&fields, "max_deactivate_percent") {
            None => DEFAULT_MAX_DEACTIVATE_PERCENT,
            Some((_, v)) => {
                let n = match v.value {
                    Yaml::Int(i) => Some(i as f64),
                    Yaml::Float(f) => Some(f),
                    _ => None,
                };
                match n {
                    Some(n) if (0.0..=100.0).contains(&n) => n,
                    Some(_) => {
                        self.invalid(
                            v,
                            Invalid::new(
                                "range",
                                "`max_deactivate_percent` must be between 0 and 100",
                                "out of range",
                            )
                            .help(
                                "it is a percentage of the provider's accounts; the default is 25",
                            ),
                        );
                        DEFAULT_MAX_DEACTIVATE_PERCENT
                    }
                    None => {
                        self.invalid(
                            v,
                            values::wrong_type(
                                "max_deactivate_percent",
                                "a number from 0 to 100",
                                &v.value,
                            ),
                        );
                        DEFAULT_MAX_DEACTIVATE_PERCENT
                    }
                }
            }
        };
        let insecure_http = match find(&fields, "insecure_http") {
            None => false,
            Some((_, v)) => match v.value {
                Yaml::Bool(b) => b,
                ref other => {
                    self.invalid(
                        v,
                        values::wrong_type("insecure_http", "true or false", other),
                    );
                    false
                }
            },
        };
        if let (Some(url), Some((_, u))) = (&url, find(&fields, "url")) {
            if url.scheme() == "http" && !insecure_http && !is_loopback(url) {
                self.push(
                    self.problem("insecure_url", format!("provider `{name}` uses plain http to a remote host"))
                        .label(span(u), "credentials would travel unencrypted")
                        .help("use https, or add `insecure_http: true` to this provider if you really mean it"),
                );
            }
        }

        let info = ProviderInfo { schema };
        let provider = match (schema, url) {
            (Some(schema), Some(url)) if self.problems.len() == before => Some(Provider {
                name: name.to_string(),
                schema,
                url,
                auth,
                unlisted,
                parallelism,
                timeout,
                max_deactivate_percent,
                insecure_http,
                origin: self.origin(key),
            }),
            _ => None,
        };
        (info, provider)
    }

    fn url(&mut self, node: &Node, example: &str) -> Option<url::Url> {
        let help = format!("write the provider's base URL, e.g. `url: {example}`");
        let Some(text) = node.as_str() else {
            self.invalid(
                node,
                values::wrong_type("url", "a URL", &node.value).help(help),
            );
            return None;
        };
        let parsed = match url::Url::parse(text.trim()) {
            Ok(u) => u,
            Err(e) => {
                self.invalid(
                    node,
                    Invalid::new(
                        "url",
                        format!("`url` is not a valid URL: {e}"),
                        "invalid URL",
                    )
                    .help(help),
                );
                return None;
            }
        };
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            self.invalid(
                node,
                Invalid::new(
                    "url",
                    format!("`url` must use http or https, not `{}`", parsed.scheme()),
                    "not http(s)",
                )
                .help(help),
            );
            return None;
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            self.invalid(
                node,
                Invalid::new("url", "`url` has no host", "no host").help(help),
            );
            return None;
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            self.mask(node);
            self.push(
                self.problem("plaintext_secret", "`url` contains credentials")
                    .label(span(node), "plaintext secret in the URL (hidden)")
                    .help("remove them from the URL and put them under `auth:` as secret references; change that password, it has been in the file"),
            );
            return None;
        }
        Some(parsed)
    }

    fn auth(
        &mut self,
        provider: &str,
        schema: &'static DriverSchema,
        auth_key: &Node,
        auth: &Node,
    ) -> IndexMap<String, Credential> {
        let mut out = IndexMap::new();
        let entries = match &auth.value {
            Yaml::Map(entries) => entries,
            other => {
                if !matches!(other, Yaml::Seq(_) | Yaml::Null) {
                    self.mask(auth);
                }
                self.push(
                    self.problem(
                        "wrong_type",
                        format!(
                            "`auth` of provider `{provider}` must be a mapping, found {}",
                            other.describe()
                        ),
                    )
                    .label(span(auth), "expected a mapping")
                    .help(format!(
                        "write `auth: {{ {} }}`",
                        auth_example(schema, provider)
                    )),
                );
                return out;
            }
        };
        let names: Vec<&str> = schema.auth.iter().map(|a| a.name).collect();
        let context = format!("the `auth` of provider `{provider}`");
        // Unknown auth keys may hold credentials: hide their values.
        for (k, v) in entries {
            if k.key_text().is_some_and(|n| !names.contains(&n.as_str()))
                && !matches!(v.value, Yaml::Map(_) | Yaml::Seq(_))
            {
                self.mask(v);
            }
        }
        let fields = self.fields(entries, &names, &context, &|_| None);
        for spec in schema.auth {
            let Some((_, value)) = find(&fields, spec.name) else {
                self.push(
                    self.problem(
                        "missing_field",
                        format!("provider `{provider}` has no `auth.{}`", spec.name),
                    )
                    .label(span(auth_key), format!("no `{}` here", spec.name))
                    .help(format!(
                        "add it ({}): `auth: {{ {} }}`",
                        spec.description,
                        auth_example(schema, provider)
                    )),
                );
                continue;
            };
            let plain_ok = !spec.secret;
            if plain_ok {
                if let Some(text) = values::string_like(value) {
                    out.insert(spec.name.to_string(), Credential::Plain(text));
                    continue;
                }
            }
            let purpose = format!("auth.{}", spec.name);
            match values::secret_ref(spec.name, value) {
                Ok(r) => {
                    out.insert(spec.name.to_string(), Credential::Secret(r));
                }
                Err(SecretProblem::Plaintext) => {
                    self.plaintext(
                        value,
                        &purpose,
                        &format!("provider `{provider}`"),
                        &values::env_name_for(&[provider, spec.name]),
                    );
                }
                Err(SecretProblem::Invalid(inv, at)) => self.secret_invalid(value, at, inv),
            }
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

    /// One entry of a kind section. Returns the entry and the span of its key
    /// (for duplicate detection) when its provider and key are known.
    fn entry(
        &mut self,
        kind: Kind,
        index: usize,
        item: &Node,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> Option<(Entry, Span)> {
        let noun = kind.noun();
        let entries = match &item.value {
            Yaml::Map(entries) => entries,
            other => {
                self.push(
                    self.problem("wrong_type", format!("{noun} #{} must be a mapping of fields, found {}", index + 1, other.describe()))
                        .label(span(item), "expected a mapping")
                        .help(format!("write each {noun} as `- {{ provider: ..., field: value, ... }}` or as indented `field: value` lines")),
                );
                return None;
            }
        };
        // The provider decides which fields are allowed.
        let provider_node = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("provider"))
            .map(|(_, v)| v);
        let (provider, schema) = self.resolve_provider(kind, item, provider_node, infos)?;

        let allowed = self.allowed_in_entry(schema);
        let key_value = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(schema.key_field))
            .and_then(|(_, v)| values::string_like(v));
        let who = match &key_value {
            Some(k) if !k.trim().is_empty() => format!("{} {noun} `{k}`", provider),
            _ => format!("{} {noun} #{}", provider, index + 1),
        };
        let fields = self.fields(entries, &allowed, &who, &|field| {
            other_vendor_hint(schema, field)
        });

        // Sized exactly: 100,000 entries keep these maps until the plan is made.
        let secret_count = fields
            .iter()
            .filter(|(name, _, _)| schema.field(name).is_some_and(|f| f.is_secret()))
            .count();
        let plain_count = fields
            .iter()
            .filter(|(name, _, _)| schema.field(name).is_some_and(|f| !f.is_secret()))
            .count();
        let mut values = FieldMap::with_capacity(plain_count);
        let mut secrets = FieldMap::with_capacity(secret_count);
        let mut key_span = None;
        for (name, _, value) in &fields {
            if name == "provider" {
                continue;
            }
            let Some(spec) = schema.field(name) else {
                continue;
            };
            if spec.is_secret() {
                match values::secret_ref(spec.name, value) {
                    Ok(r) => {
                        secrets.insert(spec.name, r);
                    }
                    Err(SecretProblem::Plaintext) => {
                        let env = values::env_name_for(&[
                            key_value.as_deref().unwrap_or(noun),
                            spec.name,
                        ]);
                        self.plaintext(value, spec.name, &who, &env);
                    }
                    Err(SecretProblem::Invalid(inv, at)) => self.secret_invalid(value, at, inv),
                }
                continue;
            }
            let regex = spec.pattern.and_then(|p| self.regex(p));
            match values::convert(spec, value, regex.as_deref()) {
                Ok(v) => {
                    if spec.name == schema.key_field {
                        if v.as_str().is_some_and(|s| s.trim().is_empty()) {
                            self.push(
                                self.problem(
                                    "empty_value",
                                    format!("`{}` of {noun} #{} is empty", spec.name, index + 1),
                                )
                                .label(span(value), "empty")
                                .help(format!(
                                    "`{}` identifies the {noun} on {}; give it a value",
                                    spec.name, schema.display_name
                                )),
                            );
                        } else {
                            key_span = Some(span(value));
                        }
                    }
                    values.insert(spec.name, v);
                }
                Err(inv) => self.invalid(value, inv),
            }
        }
        for spec in schema.fields.iter().filter(|f| f.required_on_create) {
            if find(&fields, spec.name).is_none() {
                let example = match spec.ty {
                    FieldType::Secret => format!(
                        "{}: {{ env: {} }}",
                        spec.name,
                        values::env_name_for(&[key_value.as_deref().unwrap_or(noun), spec.name])
                    ),
                    FieldType::Enum(v) => {
                        format!("{}: {}", spec.name, v.first().copied().unwrap_or("..."))
                    }
                    _ => format!("{}: ...", spec.name),
                };
                self.push(
                    self.problem("missing_field", format!("{who} is missing `{}`", spec.name))
                        .label(span(item), format!("no `{}` in this {noun}", spec.name))
                        .help(format!(
                            "{} requires it to create the {noun}: add `{example}` ({})",
                            schema.display_name, spec.description
                        )),
                );
            }
        }

        let key = values
            .get(schema.key_field)
            .and_then(|v| v.as_str())
            .map(str::to_string)?;
        let key_span = key_span?;
        Some((
            Entry {
                provider,
                kind,
                key,
                fields: values,
                secrets,
                origin: self.origin(item),
            },
            key_span,
        ))
    }

    fn resolve_provider(
        &mut self,
        kind: Kind,
        item: &Node,
        provider_node: Option<&Node>,
        infos: &IndexMap<String, ProviderInfo>,
    ) -> Option<(String, &'static DriverSchema)> {
        let noun = kind.noun();
        let section = kind.section();
        // Built only when needed (most entries name their provider).
        let serving = || -> Vec<&str> {
            infos
                .iter()
                .filter(|(_, i)| i.schema.is_some_and(|s| s.kind == kind))
                .map(|(n, _)| n.as_str())
                .collect()
        };
        let types_for_kind = || -> Vec<&str> {
            drivers::VENDORS
                .iter()
                .filter(|v| v.schema.kind == kind)
                .map(|v| v.schema.vendor)
                .collect()
        };
        let Some(node) = provider_node else {
            return match serving().as_slice() {
                [only] => {
                    let schema = infos.get(*only).and_then(|i| i.schema)?;
                    Some((only.to_string(), schema))
                }
                [] => {
                    // A provider with a broken `type:` has been reported already.
                    if infos.values().all(|i| i.schema.is_some()) {
                        self.push(
                            self.problem("no_provider", format!("no provider manages {section}"))
                                .label(span(item), format!("this {noun} has no provider"))
                                .help(format!(
                                    "define a provider of type {} under `providers:`",
                                    quoted_list(&types_for_kind())
                                )),
                        );
                    }
                    None
                }
                many => {
                    self.push(
                        self.problem("ambiguous_provider", format!("this {noun} does not say which provider it belongs to"))
                            .label(span(item), "no `provider:`")
                            .help(format!(
                                "more than one provider manages {section} ({}): add `provider: {}` (or another of them)",
                                quoted_list(many),
                                many[0]
                            )),
                    );
                    None
                }
            };
        };
        let Some(name) = values::string_like(node) else {
            self.invalid(
                node,
                values::wrong_type("provider", "a provider name", &node.value),
            );
            return None;
        };
        let Some(info) = infos.get(&name) else {
            let defined: Vec<&str> = infos.keys().map(String::as_str).collect();
            let serving = serving();
            let help = match values::suggest(
                &name,
                serving.iter().copied().chain(defined.iter().copied()),
            ) {
                Some(s) => format!("did you mean `{s}`?"),
                None if defined.is_empty() => "define it under `providers:`".to_string(),
                None => format!(
                    "defined providers: {}; or define `{name}` under `providers:`",
                    quoted_list(&defined)
                ),
            };
            self.push(
                self.problem(
                    "unknown_provider",
                    format!("there is no provider named `{name}`"),
                )
                .label(span(node), "unknown provider")
                .help(help),
            );
            return None;
        };
        let schema = info.schema?;
        if schema.kind != kind {
            let serving = serving();
            let help = if serving.is_empty() {
                format!("move this entry under `{}:`", schema.kind.section())
            } else {
                format!(
                    "move this entry under `{}:`, or use a provider that manages {section}: {}",
                    schema.kind.section(),
                    quoted_list(&serving)
                )
            };
            self.push(
                self.problem(
                    "wrong_kind",
                    format!(
                        "provider `{name}` is {} provider, which manages {}, not {section}",
                        article(schema.display_name),
                        schema.kind.section()
                    ),
                )
                .label(span(node), format!("manages {}", schema.kind.section()))
                .help(help),
            );
            return None;
        }
        Some((name, schema))
    }

    /// The fields an entry of `schema` may hold (computed once per vendor).
    fn allowed_in_entry(&mut self, schema: &'static DriverSchema) -> Arc<[&'static str]> {
        self.allowed
            .entry(schema.vendor)
            .or_insert_with(|| {
                std::iter::once("provider")
                    .chain(schema.fields.iter().map(|f| f.name))
                    .collect()
            })
            .clone()
    }

    fn regex(&mut self, pattern: &'static str) -> Option<Arc<regex::Regex>> {
        self.regexes
            .entry(pattern)
            .or_insert_with(|| regex::Regex::new(pattern).ok().map(Arc::new))
            .clone()
    }
}

/// "a CCP", "an ABC"-style article for a display name.
fn article(name: &str) -> String {
    let vowel = name
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {name}", if vowel { "an" } else { "a" })
}

fn auth_example(schema: &DriverSchema, provider: &str) -> String {
    schema
        .auth
        .iter()
        .map(|a| {
            if a.secret {
                format!(
                    "{}: {{ env: {} }}",
                    a.name,
                    values::env_name_for(&[provider, a.name])
                )
            } else {
                format!("{}: ...", a.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// When `field` belongs to another vendor of the same kind, say so.
fn other_vendor_hint(schema: &DriverSchema, field: &str) -> Option<String> {
    let others: Vec<&str> = drivers::VENDORS
        .iter()
        .filter(|v| v.schema.vendor != schema.vendor && v.schema.field(field).is_some())
        .map(|v| v.schema.display_name)
        .collect();
    if others.is_empty() {
        None
    } else {
        Some(format!(
            "(`{field}` is a {} field; this entry's provider is {})",
            others.join("/"),
            schema.display_name
        ))
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

fn valid_provider_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// "3 providers, 1 agent, 2 users" for a valid desired state.
pub fn describe(desired: &Desired) -> String {
    let mut parts = vec![plural(desired.providers.len(), "provider", "providers")];
    for kind in KINDS {
        let n = desired.entries.iter().filter(|e| e.kind == kind).count();
        parts.push(plural(n, kind.noun(), kind.section()));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{load_str, SecretRef};
    use crate::model::Value;

    const PROVIDERS: &str = "version: 1
providers:
  thulium:
    type: thulium
    url: https://acme.thulium.com
    auth: { username: api, password: { env: TP } }
  ccp: { type: ccp, url: https://ccp.example.vn, auth: { api_key: { env: CK } } }
  dnl: { type: dnl, url: https://switch.example.net/api_dnl/v1, auth: { username: admin, password: { env: DP } } }
";

    /// (code, message) of every problem in `text`.
    fn problems(text: &str) -> Vec<(String, String)> {
        match load_str("t.yaml", text) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .diagnostics()
                .iter()
                .map(|d| {
                    let code = miette::Diagnostic::code(d)
                        .map(|c| c.to_string())
                        .unwrap_or_default();
                    (
                        code.trim_start_matches("headcount::file::").to_string(),
                        d.message().to_string(),
                    )
                })
                .collect(),
        }
    }

    fn with(extra: &str) -> String {
        format!("{PROVIDERS}{extra}")
    }

    fn codes(text: &str) -> Vec<String> {
        problems(text).into_iter().map(|(c, _)| c).collect()
    }

    const AGENT: &str =
        "agents:\n  - { login: jk, name: Jan, surname: K, number: 5634, password: { env: P } }\n";

    #[test]
    fn a_valid_state_converts_values() {
        let d = load_str(
            "t.yaml",
            &with(&format!(
                "{AGENT}users:\n  - {{ provider: dnl, name: dh, user_type: agent, role_id: 3, active: true, auth_ip: [10.0.0.1], password: {{ file: pw.txt }} }}\n"
            )),
        )
        .unwrap();
        assert_eq!(d.version, 1);
        assert_eq!(d.providers.len(), 3);
        let thulium = &d.providers["thulium"];
        assert_eq!(thulium.unlisted, UnlistedPolicy::Report);
        assert_eq!(thulium.max_deactivate_percent, 25.0);
        assert_eq!(thulium.auth["username"], Credential::Plain("api".into()));
        assert_eq!(
            thulium.auth["password"],
            Credential::Secret(SecretRef::Env("TP".into()))
        );
        let agent = &d.entries[0];
        assert_eq!(
            (agent.provider.as_str(), agent.kind, agent.key.as_str()),
            ("thulium", Kind::Agent, "jk")
        );
        assert_eq!(agent.fields["number"], Value::Str("5634".into()));
        assert_eq!(agent.fields["login"], Value::Str("jk".into()));
        assert!(!agent.fields.contains_key("password") && !agent.fields.contains_key("provider"));
        assert_eq!(agent.secrets["password"], SecretRef::Env("P".into()));
        assert_eq!((agent.origin.line, agent.origin.column), (10, 7));
        let user = &d.entries[1];
        assert_eq!(user.fields["role_id"], Value::Int(3));
        assert_eq!(user.fields["active"], Value::Bool(true));
        assert_eq!(
            user.fields["auth_ip"],
            Value::List(vec![Value::Str("10.0.0.1".into())])
        );
        assert_eq!(user.secrets["password"], SecretRef::File("pw.txt".into()));
        assert_eq!(describe(&d), "3 providers, 1 agent, 1 user");
    }

    #[test]
    fn provider_settings_are_read() {
        let d = load_str(
            "t.yaml",
            "version: 1\nproviders:\n  t: { type: thulium, url: http://127.0.0.1:8787/thulium, auth: { username: { env: U }, password: { env: P } }, unlisted: deactivate, parallelism: 4, timeout: 2m, max_deactivate_percent: 12.5 }\n  r: { type: ccp, url: http://ccp.example.vn, insecure_http: true, timeout: 10, auth: { api_key: { file: k } } }\n",
        )
        .unwrap();
        let t = &d.providers["t"];
        assert_eq!(t.unlisted, UnlistedPolicy::Deactivate);
        assert_eq!(t.parallelism, Some(4));
        assert_eq!(t.timeout, Some(std::time::Duration::from_secs(120)));
        assert_eq!(t.max_deactivate_percent, 12.5);
        assert_eq!(
            t.auth["username"],
            Credential::Secret(SecretRef::Env("U".into()))
        );
        let r = &d.providers["r"];
        assert!(r.insecure_http);
        assert_eq!(r.timeout, Some(std::time::Duration::from_secs(10)));
    }

    #[test]
    fn unknown_fields_suggest_the_nearest_name() {
        let p = problems(&with("agents:\n  - { login: jk, name: J, surnme: K, surname: K, number: 1, password: { env: P } }\n"));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, "unknown_field");
        let err = load_str("t.yaml", &with("users:\n  - { provider: dnl, name: x, user_type: agent, level: agent, password: { env: P } }\n")).unwrap_err();
        let help = miette::Diagnostic::help(&err.diagnostics()[0])
            .unwrap()
            .to_string();
        assert!(help.contains("CCP field"), "{help}");
    }

    #[test]
    fn missing_required_fields_and_wrong_types() {
        assert_eq!(
            codes(&with(
                "agents:\n  - { login: jk, name: J, number: 1, password: { env: P } }\n"
            )),
            ["missing_field"]
        );
        assert_eq!(codes(&with("agents:\n  - { login: jk, name: J, surname: K, number: 1, active: 1, password: { env: P } }\n")), ["wrong_type"]);
        assert_eq!(codes(&with("agents:\n  - { login: jk, name: [J], surname: K, number: 1, password: { env: P } }\n")), ["wrong_type"]);
        assert_eq!(codes(&with("agents: { login: jk }\n")), ["wrong_type"]);
        assert_eq!(codes(&with("agents:\n  - jk\n")), ["wrong_type"]);
    }

    #[test]
    fn enums_patterns_emails_and_lengths() {
        assert_eq!(codes(&with("users:\n  - { provider: ccp, username: u, level: boss, role_uuid: r, password: { env: P } }\n")), ["enum"]);
        assert_eq!(codes(&with("users:\n  - { provider: ccp, username: \"a/b\", level: agent, role_uuid: r, password: { env: P } }\n")), ["pattern"]);
        assert_eq!(codes(&with("users:\n  - { provider: dnl, name: n, user_type: agent, email: x@, password: { env: P } }\n")), ["email"]);
        let long = "x".repeat(65);
        assert_eq!(codes(&with(&format!("agents:\n  - {{ login: {long}, name: J, surname: K, number: 1, password: {{ env: P }} }}\n"))), ["too_long"]);
    }

    #[test]
    fn keys_empty_and_duplicated() {
        assert_eq!(codes(&with("agents:\n  - { login: jk, \"\": x, name: J, surname: K, number: 1, password: { env: P } }\n")), ["empty_key"]);
        assert_eq!(codes(&with("agents:\n  - { login: jk, name: J, name: J, surname: K, number: 1, password: { env: P } }\n")), ["duplicate_key"]);
        let dup = format!("{AGENT}  - {{ login: jk, name: Jan, surname: K, number: 5635, password: {{ env: P }} }}\n");
        assert_eq!(codes(&with(&dup)), ["duplicate_entry"]);
        assert_eq!(codes(&with("agents:\n  - { login: \"\", name: J, surname: K, number: 1, password: { env: P } }\n")), ["empty_value"]);
    }

    #[test]
    fn provider_resolution() {
        assert_eq!(codes(&with("agents:\n  - { provider: thulum, login: jk, name: J, surname: K, number: 1, password: { env: P } }\n")), ["unknown_provider"]);
        assert_eq!(codes(&with("agents:\n  - { provider: ccp, login: jk, name: J, surname: K, number: 1, password: { env: P } }\n")), ["wrong_kind"]);
        assert_eq!(
            codes(&with(
                "users:\n  - { name: dh, user_type: agent, password: { env: P } }\n"
            )),
            ["ambiguous_provider"]
        );
        let only_ccp = "version: 1\nproviders:\n  c: { type: ccp, url: https://c.example, auth: { api_key: { env: K } } }\n";
        assert!(codes(&format!("{only_ccp}users:\n  - {{ username: u, level: agent, role_uuid: r, password: {{ env: P }} }}\n")).is_empty());
        assert_eq!(codes(&format!("{only_ccp}{AGENT}")), ["no_provider"]);
    }

    #[test]
    fn plaintext_secrets_are_errors_and_masked() {
        let text = with(
            "agents:\n  - { login: jk, name: J, surname: K, number: 1, password: Hunter-22 }\n",
        );
        let err = load_str("t.yaml", &text).unwrap_err();
        assert_eq!(err.count(), 1);
        let shown = crate::commands::render_report(&err.diagnostics()[0], false, 100);
        assert!(!shown.contains("Hunter-22"), "{shown}");
        assert!(shown.contains("********"), "{shown}");
        // A misspelt secret field is hidden too.
        let text = with("agents:\n  - { login: jk, name: J, surname: K, number: 1, pasword: Hunter-22, password: { env: P } }\n");
        let err = load_str("t.yaml", &text).unwrap_err();
        let shown = crate::commands::render_report(&err.diagnostics()[0], false, 100);
        assert!(!shown.contains("Hunter-22"), "{shown}");
        assert_eq!(codes(&with("agents:\n  - { login: jk, name: J, surname: K, number: 1, password: { env: P, file: f } }\n")), ["secret_ref"]);
    }

    #[test]
    fn top_level_and_provider_problems() {
        assert_eq!(codes("version: 3\n"), ["version"]);
        assert_eq!(codes("version: \"1\"\n"), ["version"]);
        assert_eq!(codes("providers: {}\n"), ["missing_field"]);
        assert_eq!(codes("version: 1\nprovider: {}\n"), ["unknown_field"]);
        assert!(codes("").contains(&"missing_field".to_string()));
        let p = |body: &str| codes(&format!("version: 1\nproviders:\n  p: {body}\n"));
        assert_eq!(
            p("{ type: cpp, url: https://x.example, auth: {} }"),
            ["unknown_type"]
        );
        assert_eq!(
            p("{ url: https://x.example, auth: { api_key: { env: K } } }"),
            ["missing_field"]
        );
        assert_eq!(
            p("{ type: ccp, auth: { api_key: { env: K } } }"),
            ["missing_field"]
        );
        assert_eq!(
            p("{ type: ccp, url: https://x.example }"),
            ["missing_field"]
        );
        assert_eq!(
            p("{ type: ccp, url: https://x.example, auth: {} }"),
            ["missing_field"]
        );
        assert_eq!(
            p("{ type: ccp, url: https://x.example, auth: { api_key: { env: K }, token: t } }"),
            ["unknown_field"]
        );
        assert_eq!(
            p("{ type: ccp, url: x.example, auth: { api_key: { env: K } } }"),
            ["url"]
        );
        assert_eq!(
            p("{ type: ccp, url: \"mailto:a@b.c\", auth: { api_key: { env: K } } }"),
            ["url"]
        );
        assert_eq!(
            p("{ type: ccp, url: http://x.example, auth: { api_key: { env: K } } }"),
            ["insecure_url"]
        );
        assert_eq!(p("{ type: ccp, url: https://x.example, unlisted: purge, auth: { api_key: { env: K } } }"), ["enum"]);
        assert_eq!(p("{ type: ccp, url: https://x.example, max_deactivate_percent: 101, auth: { api_key: { env: K } } }"), ["range"]);
        assert_eq!(p("{ type: ccp, url: https://x.example, insecure_http: yes, auth: { api_key: { env: K } } }"), ["wrong_type"]);
        assert_eq!(
            p("{ type: ccp, url: https://x.example, timeout: 0, auth: { api_key: { env: K } } }"),
            ["range"]
        );
        assert_eq!(codes("version: 1\nproviders:\n  \"a b\": { type: ccp, url: https://x.example, auth: { api_key: { env: K } } }\n"), ["provider_name"]);
    }

    #[test]
    fn a_provider_defined_in_two_files_labels_both() {
        let parse = |name: &str, text: &str| ParsedFile {
            path: Arc::new(PathBuf::from(name)),
            root: crate::desired::yaml::parse(text).unwrap(),
        };
        let body = "providers:\n  c: { type: ccp, url: https://c.example, auth: { api_key: { env: K } } }\n";
        let files = [
            parse("a.yaml", &format!("version: 1\n{body}")),
            parse("b.yaml", body),
        ];
        let checked = check(files.into());
        assert_eq!(checked.problems.len(), 1, "{:?}", checked.problems);
        let p = &checked.problems[0];
        assert_eq!((p.code, p.file), ("duplicate_provider", Some(1)));
        assert_eq!(p.elsewhere.len(), 1);
        assert_eq!(p.elsewhere[0].0, 0);
    }
}
