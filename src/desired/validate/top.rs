//! The top level of each file: `version:`, `providers:` and where the kind
//! sections (`agents:`, `users:`) are.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::model::Kind;

use super::super::diagnostics::{Problem, Span};
use super::super::settings;
use super::super::types::{Limits, Provider, Zone};
use super::super::yaml::Yaml;
use super::provider::ProviderInfo;
use super::{find, span, Checker, Fields, ParsedFile, KINDS, VERSION};

/// The top-level key of the journal's path.
const JOURNAL: &str = "journal";

/// What a top-level list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// Accounts of one kind (`agents:`, `users:`).
    Accounts(Kind),
    /// `people:`.
    People,
}

impl Part {
    /// Every list of the top level, in the order they are looked for.
    fn all() -> impl Iterator<Item = Part> {
        KINDS
            .iter()
            .map(|k| Part::Accounts(*k))
            .chain([Part::People])
    }

    fn section(self) -> &'static str {
        match self {
            Part::Accounts(kind) => kind.section(),
            Part::People => super::PEOPLE,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Part::Accounts(kind) => kind.noun(),
            Part::People => "person",
        }
    }
}

/// Where a top-level list is: (file, what it holds, index of the section in
/// the file's top mapping).
pub(super) type Section = (usize, Part, usize);

/// What [`Checker::head`] found: the valid providers, what entries need to
/// know of every provider, and the kind sections.
pub(super) struct Head {
    pub(super) providers: IndexMap<String, Provider>,
    pub(super) infos: IndexMap<String, ProviderInfo>,
    pub(super) sections: Vec<Section>,
    /// `journal:`, absolute.
    pub(super) journal: Option<std::path::PathBuf>,
    /// `timezone:` (UTC unless a file sets it).
    pub(super) timezone: Zone,
    /// The top-level `limits:`.
    pub(super) limits: Limits,
}

fn top_level_fields() -> Vec<&'static str> {
    let mut fields = vec!["version", "timezone", "limits", "providers", JOURNAL];
    fields.extend(KINDS.iter().map(|k| k.section()));
    fields.push(super::PEOPLE);
    fields
}

impl Checker {
    /// The top level and the providers of every file.
    pub(super) fn head(&mut self, files: &[ParsedFile]) -> Head {
        let tops = self.tops(files);
        let (providers, infos) = self.providers(&tops);
        let sections = self.sections(files, &tops);
        let journal = self.journal(&tops);
        let (timezone, limits) = self.calendar(&tops);
        Head {
            providers,
            infos,
            sections,
            journal,
            timezone,
            limits,
        }
    }

    /// `timezone:` and `limits:`, each given in one file at most.
    fn calendar(&mut self, tops: &[Fields<'_>]) -> (Zone, Limits) {
        let mut timezone = None;
        let mut limits = None;
        let mut seen: HashMap<&str, (usize, Span)> = HashMap::new();
        for (i, fields) in tops.iter().enumerate() {
            self.file = i;
            for name in ["timezone", "limits"] {
                let Some((key, value)) = find(fields, name) else {
                    continue;
                };
                if let Some((first_file, first_span)) = seen.get(name).copied() {
                    self.push(
                        Problem::new(
                            i,
                            "duplicate_key",
                            format!("`{name}` is given in two files"),
                        )
                        .label(span(key), "given again here")
                        .elsewhere(first_file, first_span, "first given here")
                        .help(format!("give `{name}:` once, in one of the files")),
                    );
                    continue;
                }
                seen.insert(name, (i, span(key)));
                if name == "timezone" {
                    timezone = self.timezone(value);
                } else {
                    limits = Some(self.limits(value, "the file"));
                }
            }
        }
        (timezone.unwrap_or_default(), limits.unwrap_or_default())
    }

    /// `journal:`: a path, given by one file at most; relative to that
    /// file's folder (to the working directory for standard input).
    fn journal(&mut self, tops: &[Fields<'_>]) -> Option<std::path::PathBuf> {
        let mut found: Option<(usize, Span, std::path::PathBuf)> = None;
        for (i, fields) in tops.iter().enumerate() {
            self.file = i;
            let Some((key, value)) = find(fields, JOURNAL) else {
                continue;
            };
            let Some(text) = value.as_str().filter(|t| !t.trim().is_empty()) else {
                self.push(
                    self.problem("wrong_type", format!("`journal` must be a file path, found {}", value.value.describe()))
                        .label(span(value), "expected a path")
                        .help("write `journal: audit/headcount-journal.jsonl` (relative to this file's folder)"),
                );
                continue;
            };
            if let Some((first_file, first_span, _)) = &found {
                self.push(
                    Problem::new(i, "duplicate_key", "`journal` is given by two files")
                        .label(span(key), "given again here")
                        .elsewhere(*first_file, *first_span, "first given here")
                        .help("keep `journal:` in one file of the folder"),
                );
                continue;
            }
            // The file may come from a pull request: its journal stays
            // beside it. `--journal PATH` names a path anywhere.
            let relative = std::path::Path::new(text);
            if relative.is_absolute()
                || relative
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                self.push(
                    self.problem(
                        "journal_path",
                        format!("`journal: {text}` leaves this file's folder"),
                    )
                    .label(span(value), "an absolute path or one with `..`")
                    .help("give a path inside this file's folder (e.g. `audit/headcount-journal.jsonl`), or pass `apply --journal PATH` for a path elsewhere"),
                );
                continue;
            }
            let file = self.paths[i].clone();
            let folder = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() && file.as_os_str() != "-" => p.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            let joined = folder.join(text);
            let path = std::path::absolute(&joined).unwrap_or(joined);
            found = Some((i, span(key), path));
        }
        found.map(|(_, _, path)| path)
    }

    /// Each file's top-level fields; `version:` checked (once across files).
    fn tops<'f>(&mut self, files: &'f [ParsedFile]) -> Vec<Fields<'f>> {
        let mut version_seen = false;
        let mut tops = Vec::with_capacity(files.len());
        let allowed = top_level_fields();
        for (i, f) in files.iter().enumerate() {
            self.file = i;
            let fields = match &f.root.value {
                Yaml::Null => Vec::new(),
                Yaml::Map(entries) => self.fields(entries, &allowed, super::TOP_LEVEL, &|_| None),
                other => {
                    self.push(
                        Problem::new(
                            i,
                            "not_a_mapping",
                            format!("the file must be a mapping, not {}", other.describe()),
                        )
                        .label(
                            span(&f.root),
                            "expected `version:`, `providers:`, `agents:`, `users:`, `people:`",
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
        if let (false, true, Some(first)) = (version_seen, all_mappings, files.first()) {
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
        tops
    }

    fn version(&mut self, value: &super::Node) {
        match &value.value {
            Yaml::Int(VERSION) => {}
            Yaml::Int(n) => self.push(
                self.problem("version", format!("unsupported format version {n}"))
                    .label(span(value), "unsupported version")
                    .help(format!("this headcount reads version {VERSION} files; write `version: {VERSION}` or upgrade headcount")),
            ),
            other => self.push(
                self.problem("version", format!("`version` must be the integer {VERSION}, found {}", other.describe()))
                    .label(span(value), format!("expected {VERSION}"))
                    .help(format!("write `version: {VERSION}`")),
            ),
        }
    }

    /// Every provider of every file: names checked, each defined once.
    fn providers(
        &mut self,
        tops: &[Fields<'_>],
    ) -> (IndexMap<String, Provider>, IndexMap<String, ProviderInfo>) {
        let mut providers: IndexMap<String, Provider> = IndexMap::new();
        let mut infos: IndexMap<String, ProviderInfo> = IndexMap::new();
        let mut defined_at: HashMap<String, (usize, Span)> = HashMap::new();
        let name_rule = self.regex(settings::PROVIDER_NAME_PATTERN);
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
                if name_rule.as_ref().is_some_and(|re| !re.is_match(&name)) {
                    self.push(
                        Problem::new(
                            i,
                            "provider_name",
                            format!("`{name}` is not a valid provider name"),
                        )
                        .label(span(key), "invalid name")
                        .help(settings::PROVIDER_NAME_HELP),
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
        (providers, infos)
    }

    /// Where the entry lists are; sections of the wrong type are reported here.
    fn sections(&mut self, files: &[ParsedFile], tops: &[Fields<'_>]) -> Vec<Section> {
        let mut sections = Vec::new();
        for (i, fields) in tops.iter().enumerate() {
            self.file = i;
            let Yaml::Map(top) = &files[i].root.value else {
                continue;
            };
            for part in Part::all() {
                let Some((key, section)) = find(fields, part.section()) else {
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
                                    part.section(),
                                    other.describe()
                                ),
                            )
                            .label(span(section), "expected a list")
                            .help(format!(
                                "write each {} as a list item starting with `- `",
                                part.noun()
                            )),
                        );
                        continue;
                    }
                }
                if let Some(at) = top.iter().position(|(k, _)| std::ptr::eq(k, key)) {
                    sections.push((i, part, at));
                }
            }
        }
        // In the order the file writes them.
        sections.sort_by_key(|&(file, _, at)| (file, at));
        sections
    }
}
