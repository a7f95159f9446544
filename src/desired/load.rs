//! Reading desired-state files: one file, or every `*.yaml` of a directory,
//! into one validated [`Desired`] — or every problem at once.

use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use super::diagnostics::{LoadError, Problem, SourceText};
use super::types::{Credential, Desired, Entry, Provider};
use super::validate::{self, ParsedFile};
use super::yaml;

/// Largest file headcount reads (64 MiB: far beyond 100,000 accounts).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Loads and validates a desired state from a file, or from every `*.yaml`
/// file of a directory (sorted by name) taken together.
pub fn load(path: &Path) -> Result<Desired, LoadError> {
    Loading::begin(path)?.finish()
}

/// Files read: (path, bytes) each.
type Inputs = Vec<(PathBuf, Vec<u8>)>;

/// The files of `path` (one file, or a directory's `*.yaml`), read, and the
/// name to call them by.
fn read_inputs(path: &Path) -> Result<(String, Inputs), LoadError> {
    if path == Path::new("-") {
        let name = "standard input";
        let bytes = read_limited_from(std::io::stdin().lock(), name, 0)
            .map_err(|p| LoadError::new(name, &[*p], &[]))?;
        return Ok((name.into(), vec![(PathBuf::from(name), bytes)]));
    }
    let subject = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| {
        let mut p = Problem::general("read", format!("cannot read {subject}: {}", io_reason(&e)));
        p.help = Some(if e.kind() == std::io::ErrorKind::NotFound {
            "pass the desired-state file with `-f PATH` (or set HEADCOUNT_FILE); `headcount.yaml` is the default".into()
        } else {
            "check the path and its permissions".into()
        });
        LoadError::new(&subject, &[p], &[])
    })?;
    let paths = if meta.is_dir() {
        super::source::admit_dir(path).map_err(|p| LoadError::new(&subject, &[*p], &[]))?;
        let files =
            super::source::yaml_entries(path).map_err(|p| LoadError::new(&subject, &p, &[]))?;
        if files.is_empty() {
            let p = Problem::general("empty_dir", format!("{subject} has no *.yaml or *.yml files")).help(
                "put the desired state in files ending in .yaml (or .yml), or pass one file with `-f FILE`",
            );
            return Err(LoadError::new(&subject, &[p], &[]));
        }
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut inputs = Vec::with_capacity(paths.len());
    let mut problems = Vec::new();
    for p in paths {
        match read_limited(&p) {
            Ok(bytes) => inputs.push((p, bytes)),
            Err(problem) => problems.push(*problem),
        }
    }
    if !problems.is_empty() {
        return Err(LoadError::new(&subject, &problems, &[]));
    }
    Ok((subject, inputs))
}

/// Loads a desired state from text (for tests and tools); `name` is shown in messages.
pub fn load_str(name: &str, text: &str) -> Result<Desired, LoadError> {
    load_bytes(name, text.as_bytes())
}

/// Loads a desired state from raw bytes (checked for UTF-8 and size).
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<Desired, LoadError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::new(
            name,
            &[too_large(name, bytes.len() as u64)],
            &[],
        ));
    }
    Loading::from_inputs(name, vec![(PathBuf::from(name), bytes.to_vec())], false)?.finish()
}

/// A desired state being loaded: its files read and being parsed, the top
/// level and the providers checked. [`Loading::providers`] lets `plan` start
/// reading the vendors while the accounts are parsed and checked
/// ([`Loading::finish`]); [`load`] does both in turn.
///
/// Files are first parsed as outlines ([`yaml::parse_outline`]: positions
/// of the few nodes a valid desired state keeps); a file with a problem is
/// parsed again with every position ([`yaml::parse`], the same parser and
/// options), and its problems are reported from that reading, so every
/// message and place is the same either way.
///
/// A single file whose `providers:` come before its accounts has each
/// account checked as soon as the parser has read it, and its tree dropped
/// ([`validate::Partial::take_item`]): the accounts' trees are never held
/// whole, and the checks run on the parse thread while the vendors are
/// read. Otherwise (a directory, accounts written first) the outline holds
/// them and they are checked at the end, as before.
pub struct Loading {
    subject: String,
    /// Digest of the input files (see [`Loading::digest`]).
    digest: String,
    /// (path, text) of each file: parsed again to locate problems, and the
    /// snippets of problems.
    files: Arc<[(PathBuf, String)]>,
    stage: Stage,
    /// The providers to read (see [`Loading::providers`]), with `{ file: }`
    /// paths made absolute when read from files.
    providers: Option<indexmap::IndexMap<String, Provider>>,
    anchor: bool,
}

enum Stage {
    /// A single file still being parsed on its own thread: its providers
    /// were found valid on the top level read so far.
    Parsing(std::thread::JoinHandle<Parsed>),
    /// Every file parsed and its top level and providers checked.
    Checked(Box<validate::Partial>),
}

/// Each file's outline, or its syntax error as the outline reading saw it.
type Outlines = Vec<Result<yaml::Node, yaml::SyntaxError>>;

/// What [`outlines`] read.
struct Parsed {
    outlines: Outlines,
    /// A single file whose providers came before its first list item: its
    /// top level and providers as read then, and every list item checked as
    /// it was read and left out of the outline
    /// ([`validate::Partial::take_item`]), so that the accounts' trees are
    /// never held whole.
    streamed: Option<validate::Partial>,
}

/// The top-level key whose value holds the providers.
const PROVIDERS: &str = "providers";

impl Loading {
    /// Reads `path` and checks its top level and providers. Unreadable
    /// files fail here. A single file is parsed on a thread of its own:
    /// this returns as soon as its providers are read and found valid (the
    /// accounts, usually after them, are parsed meanwhile), or when the
    /// whole file is parsed; YAML syntax errors fail here, or in
    /// [`Loading::finish`] when they come after valid providers.
    pub fn begin(path: &Path) -> Result<Loading, LoadError> {
        let (subject, inputs) = read_inputs(path)?;
        let mut loading = Loading::from_inputs(&subject, inputs, true)?;
        loading.anchor = true;
        if let Some(providers) = loading.providers.as_mut() {
            providers.values_mut().for_each(anchor_provider);
        }
        Ok(loading)
    }

    /// `sha256:` and the hex digest of the input: every file's bytes, and for
    /// a directory each file's name, in the order they are read. A saved plan
    /// records it, so that `apply` can tell the file changed since.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The providers, when the top level and every provider are valid (as
    /// far as the file is read: [`Loading::finish`] has the last word).
    pub fn providers(&self) -> Option<&indexmap::IndexMap<String, Provider>> {
        self.providers.as_ref()
    }

    /// Checks the accounts: the desired state, or every problem found.
    pub fn finish(self) -> Result<Desired, LoadError> {
        let checked = match self.stage {
            Stage::Checked(partial) => partial.finish(),
            Stage::Parsing(parsing) => {
                let parsed = match parsing.join() {
                    Ok(parsed) => parsed,
                    Err(panic) => std::panic::resume_unwind(panic),
                };
                checked_head(&self.subject, &self.files, parsed)?.finish()
            }
        };
        if checked.problems.is_empty() {
            let mut desired = checked.desired;
            if self.anchor {
                desired.providers.values_mut().for_each(anchor_provider);
                desired.entries.iter_mut().for_each(anchor_entry);
            }
            return Ok(desired);
        }
        // Located: every node's position, from a full reading.
        let outlines = self.files.iter().map(|(_, t)| yaml::parse(t)).collect();
        let checked = validate::check(parsed_files(&self.subject, &self.files, outlines)?);
        let sources: Vec<SourceText> = self
            .files
            .iter()
            .zip(&checked.secret_spans)
            .map(|((p, t), secrets)| SourceText::masked(p.display().to_string(), t, secrets))
            .collect();
        let mut problems = checked.problems;
        problems.sort_by_key(|p| (p.file, p.labels.first().map(|(s, _)| s.0).unwrap_or(0)));
        Err(LoadError::new(&self.subject, &problems, &sources))
    }

    /// `background`: parse a single file on a thread of its own and return
    /// once its providers are known.
    fn from_inputs(subject: &str, inputs: Inputs, background: bool) -> Result<Loading, LoadError> {
        let digest = digest_of(&inputs);
        let mut files: Vec<(PathBuf, String)> = Vec::with_capacity(inputs.len());
        let mut problems = Vec::new();
        for (index, (path, bytes)) in inputs.into_iter().enumerate() {
            let name = path.display().to_string();
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let err = e.utf8_error();
                    let at = err.valid_up_to();
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    problems.push(
                    Problem::new(
                        index,
                        "not_utf8",
                        format!("{name} is not valid UTF-8 (byte offset {at})"),
                    )
                    .label(
                        (at, err.error_len().unwrap_or(1).min(1)),
                        "invalid UTF-8 here",
                    )
                    .help("save the file as UTF-8 (without a byte-order mark in another encoding)"),
                );
                    text
                }
            };
            files.push((path, text));
        }
        let files: Arc<[(PathBuf, String)]> = files.into();
        if !problems.is_empty() {
            // The other files' syntax errors are reported too; semantic checks
            // would only add noise (a provider defined in the broken file
            // would look missing).
            for (index, (_, text)) in files.iter().enumerate() {
                if problems.iter().any(|p| p.file == Some(index)) {
                    continue;
                }
                if let Err(e) = yaml::parse(text) {
                    problems.push(syntax_problem(index, text, &e));
                }
            }
            return Err(LoadError::new(subject, &problems, &sources_of(&files)));
        }
        let aside = match background {
            true => parse_aside(&files),
            false => Aside::Parsed(None),
        };
        let (stage, providers) = match aside {
            Aside::Early(parsing, providers) => (Stage::Parsing(parsing), Some(providers)),
            // Not valid before the accounts, or a directory: the whole of
            // every file then.
            Aside::Parsed(parsed) => {
                let parsed = parsed.map_or_else(|| outlines(&files, None), |p| *p);
                let partial = checked_head(subject, &files, parsed)?;
                let providers = partial.providers().cloned();
                (Stage::Checked(Box::new(partial)), providers)
            }
        };
        Ok(Loading {
            subject: subject.to_string(),
            digest,
            files,
            stage,
            providers,
            anchor: false,
        })
    }
}

/// What [`parse_aside`] did.
enum Aside {
    /// The file is still being parsed; its providers, valid as far as read.
    Early(std::thread::JoinHandle<Parsed>, ProviderMap),
    /// Every file's outline (`None`: not parsed yet: several files, or no
    /// thread).
    Parsed(Option<Box<Parsed>>),
}

/// A single file parsed on a thread of its own, returning as soon as the
/// top level read so far has valid providers, or when the file is parsed.
fn parse_aside(files: &Arc<[(PathBuf, String)]>) -> Aside {
    if files.len() != 1 {
        return Aside::Parsed(None);
    }
    let (early, providers) = std::sync::mpsc::sync_channel(1);
    let parsing = Arc::clone(files);
    let spawned = std::thread::Builder::new()
        .name("headcount-parse".into())
        .stack_size(16 * 1024 * 1024)
        .spawn(move || outlines(&parsing, Some(early)));
    let Ok(parsing) = spawned else {
        return Aside::Parsed(None);
    };
    match providers.recv() {
        Ok(Some(providers)) => Aside::Early(parsing, providers),
        // The providers are not valid as far as read, or the file has been
        // parsed to its end without them.
        Ok(None) | Err(_) => match parsing.join() {
            Ok(parsed) => Aside::Parsed(Some(Box::new(parsed))),
            Err(panic) => std::panic::resume_unwind(panic),
        },
    }
}

/// Each file's outline. With `early`, the providers of a single file are
/// sent there as soon as its top level read so far has valid providers
/// (or `None`: not before the end). A single file's list items are checked
/// as they are read when its providers come first (see [`Parsed`]).
fn outlines(
    files: &[(PathBuf, String)],
    mut early: Option<std::sync::mpsc::SyncSender<Option<ProviderMap>>>,
) -> Parsed {
    let [(path, text)] = files else {
        return Parsed {
            outlines: files
                .iter()
                .map(|(_, text)| yaml::parse_outline(text, |_| {}, None))
                .collect(),
            streamed: None,
        };
    };
    let path = Arc::new(path.clone());
    let stream: Rc<RefCell<Option<validate::Partial>>> = Rc::default();
    let taker = Rc::clone(&stream);
    let take: yaml::ItemHook = Box::new(move |section, item| match taker.borrow_mut().as_mut() {
        Some(partial) => partial.take_item(section, item),
        None => Some(item),
    });
    let mut looked = false;
    let outline = yaml::parse_outline(
        text,
        |top| {
            if looked || top.last().and_then(|(k, _)| k.as_str()) != Some(PROVIDERS) {
                return;
            }
            looked = true;
            let head = early_check(&path, top);
            let providers = head.as_ref().and_then(|h| h.providers().cloned());
            if let Some(early) = early.take() {
                let _ = early.send(providers.clone());
            }
            // Items of lists read before the providers are in the outline:
            // then every item is, in file order.
            let items_before = top.iter().any(
                |(_, value)| matches!(&value.value, yaml::Value::Seq(items) if !items.is_empty()),
            );
            if providers.is_some() && !items_before {
                *stream.borrow_mut() = head;
            }
        },
        Some(take),
    );
    match Rc::try_unwrap(stream) {
        Ok(streamed) => Parsed {
            outlines: vec![outline],
            streamed: streamed.into_inner(),
        },
        // Not reached (the reading drops its hook): without the items taken,
        // the outline is read again, whole.
        Err(_) => Parsed {
            outlines: vec![yaml::parse_outline(text, |_| {}, None)],
            streamed: None,
        },
    }
}

type ProviderMap = indexmap::IndexMap<String, Provider>;

/// The check of a file's top level read up to `top`, when that much is
/// valid. Lists (accounts) read so far are left out: only their type
/// matters to the top level.
fn early_check(path: &Arc<PathBuf>, top: &[(yaml::Node, yaml::Node)]) -> Option<validate::Partial> {
    let top = top
        .iter()
        .map(|(key, value)| {
            let value = match &value.value {
                yaml::Value::Seq(_) => yaml::Node {
                    pos: value.pos,
                    value: yaml::Value::Seq(Vec::new()),
                },
                _ => value.clone(),
            };
            (key.clone(), value)
        })
        .collect();
    let root = yaml::Node {
        pos: yaml::Pos::default(),
        value: yaml::Value::Map(top),
    };
    let head = validate::begin(vec![ParsedFile {
        path: Arc::clone(path),
        root,
    }]);
    (!head.has_problems()).then_some(head)
}

/// The files checked as far as their top level and providers, continuing
/// the check of the items taken while they were read.
fn checked_head(
    subject: &str,
    files: &[(PathBuf, String)],
    parsed: Parsed,
) -> Result<validate::Partial, LoadError> {
    let head = validate::begin(parsed_files(subject, files, parsed.outlines)?);
    Ok(match parsed.streamed {
        Some(early) => head.resume(early),
        None => head,
    })
}

/// The files' outlines as files to check, or the syntax errors of those
/// that have one, as a full reading ([`yaml::parse`]) reports them.
fn parsed_files(
    subject: &str,
    files: &[(PathBuf, String)],
    outlines: Outlines,
) -> Result<Vec<ParsedFile>, LoadError> {
    let mut parsed = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for (index, ((path, text), outline)) in files.iter().zip(outlines).enumerate() {
        // A syntax error is the full reading's (its message and place).
        match outline.or_else(|_| yaml::parse(text)) {
            Ok(root) => parsed.push(ParsedFile {
                path: Arc::new(path.clone()),
                root,
            }),
            Err(e) => problems.push(syntax_problem(index, text, &e)),
        }
    }
    if problems.is_empty() {
        return Ok(parsed);
    }
    // Semantic checks of the other files would only add noise (a provider
    // defined in the broken file would look missing).
    Err(LoadError::new(subject, &problems, &sources_of(files)))
}

fn sources_of(files: &[(PathBuf, String)]) -> Vec<SourceText> {
    files
        .iter()
        .map(|(p, t)| SourceText::masked(p.display().to_string(), t, &[]))
        .collect()
}

/// The digest of [`Loading::digest`]. A single file is hashed by content
/// alone (its name may differ between checkouts); the files of a directory
/// by name and content.
fn digest_of(inputs: &Inputs) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let several = inputs.len() > 1;
    for (path, bytes) in inputs {
        if several {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
        }
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// The folder relative `{ file: }` paths of a file are relative to.
fn folder(file: &Path) -> &Path {
    file.parent().unwrap_or(Path::new(""))
}

/// Makes the provider's `{ file: }` credential paths absolute, once, so that
/// nothing later depends on the working directory.
fn anchor_provider(provider: &mut Provider) {
    let file = Arc::clone(&provider.origin.file);
    for credential in provider.auth.values_mut() {
        if let Credential::Secret(secret) = credential {
            secret.anchor(folder(&file));
        }
    }
}

/// Makes the entry's `{ file: }` secret paths absolute.
fn anchor_entry(entry: &mut Entry) {
    let file = Arc::clone(&entry.origin.file);
    for secret in entry.secrets.values_mut() {
        secret.anchor(folder(&file));
    }
}

fn syntax_problem(index: usize, text: &str, e: &yaml::SyntaxError) -> Problem {
    let span = match e.pos {
        Some(pos) => {
            let at = offset_at(text, pos.line, pos.column);
            let len = if pos.len > 0 && pos.offset as usize == at {
                pos.len as usize
            } else {
                0
            };
            (at, len)
        }
        None => (0, 0),
    };
    let (message, label, help) = if e.limit {
        limit_text(&e.message)
    } else {
        (
            format!("YAML syntax error: {}", e.message),
            "here".to_string(),
            "check the indentation and quoting around this place".to_string(),
        )
    };
    Problem::new(
        index,
        if e.limit { "too_complex" } else { "syntax" },
        message,
    )
    .label(span, label)
    .help(help)
}

fn limit_text(message: &str) -> (String, String, String) {
    if message.contains("Depth") || message.contains("nesting") {
        (
            format!("the YAML is nested more than {} levels deep", yaml::MAX_DEPTH),
            "too deep".into(),
            "a desired-state file needs only a few levels; check for runaway brackets or indentation".into(),
        )
    } else if message.contains("Documents") {
        (
            "the file holds more than one YAML document (`---`)".into(),
            "second document".into(),
            "keep one document per file; to split a desired state, put the files in a directory and use `-f DIR`".into(),
        )
    } else if message.to_ascii_lowercase().contains("alias") || message.contains("Anchor") {
        (
            "the YAML uses too many aliases (`*name`)".into(),
            "alias expansion stopped here".into(),
            format!(
                "headcount refuses alias-heavy files (possible alias bomb); write the values out, with at most {} aliases",
                yaml::MAX_ALIASES
            ),
        )
    } else {
        (
            "the YAML is too large or too complex to read".into(),
            "limit reached here".into(),
            format!("the limit was: {message}"),
        )
    }
}

/// Byte offset of a 1-based line and (character) column.
pub(crate) fn offset_at(text: &str, line: u32, column: u32) -> usize {
    let mut offset = 0usize;
    for _ in 1..line.max(1) {
        match text[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return text.len(),
        }
    }
    let rest = &text[offset..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let col = rest[..line_end]
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map(|(i, _)| i)
        .unwrap_or(line_end);
    offset + col
}

fn read_limited(path: &Path) -> Result<Vec<u8>, Box<Problem>> {
    let name = path.display().to_string();
    let file = super::source::open(path)?;
    let mut size = 0;
    if let Ok(meta) = file.metadata() {
        if meta.len() > MAX_FILE_BYTES {
            return Err(Box::new(too_large(&name, meta.len())));
        }
        size = meta.len();
    }
    read_limited_from(file, &name, size)
}

/// Reads at most [`MAX_FILE_BYTES`] from `input` (a file of `size` bytes, or
/// standard input with size 0).
fn read_limited_from(input: impl Read, name: &str, size: u64) -> Result<Vec<u8>, Box<Problem>> {
    let unreadable = |e: std::io::Error| {
        Box::new(
            Problem::general("read", format!("cannot read {name}: {}", io_reason(&e)))
                .help("check the path and its permissions"),
        )
    };
    // Room for the whole file (plus the byte that tells it ended), so that
    // reading does not double the buffer past twice the file's size.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    input
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Box::new(too_large(name, bytes.len() as u64)));
    }
    Ok(bytes)
}

fn too_large(name: &str, size: u64) -> Problem {
    Problem::general(
        "too_large",
        format!(
            "{name} is too large ({} MiB; the limit is {} MiB)",
            size / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    )
    .help("split the desired state into several files in a directory and pass `-f DIR`")
}

/// A short reason for an I/O error, for messages.
pub(super) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_from_line_and_column() {
        let text = "ab\nçd: x\n";
        assert_eq!(offset_at(text, 1, 1), 0);
        assert_eq!(offset_at(text, 2, 1), 3);
        assert_eq!(offset_at(text, 2, 2), 5);
        assert_eq!(offset_at(text, 9, 9), text.len());
        assert_eq!(offset_at(text, 1, 99), 2);
    }

    #[test]
    fn non_utf8_input_is_located() {
        let err = load_bytes("x.yaml", b"version: 1\nproviders: {}\n# caf\xe9\n").unwrap_err();
        assert_eq!(err.count(), 1);
        let d = &err.diagnostics()[0];
        assert!(d.message().contains("byte offset 30"), "{}", d.message());
    }

    #[test]
    fn too_large_input_is_refused() {
        let big = vec![b'#'; MAX_FILE_BYTES as usize + 1];
        let err = load_bytes("big.yaml", &big).unwrap_err();
        assert!(err.diagnostics()[0].message().contains("too large"));
    }

    #[test]
    fn missing_file_and_empty_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(&dir.path().join("nope.yaml")).unwrap_err();
        assert!(err.diagnostics()[0].message().contains("no such file"));
        let err = load(dir.path()).unwrap_err();
        assert!(err.diagnostics()[0]
            .message()
            .contains("no *.yaml or *.yml files"));
    }

    /// The checks of a file's outline, of its outline with the items
    /// checked as they are read, and of its full reading.
    fn three_readings(name: &str, text: &str) -> Option<[validate::Checked; 3]> {
        let path = Arc::new(PathBuf::from(name));
        let files = [(PathBuf::from(name), text.to_string())];
        let streamed = checked_head(name, &files, outlines(&files, None))
            .ok()
            .map(validate::Partial::finish);
        let outline = yaml::parse_outline(text, |_| {}, None);
        let full = yaml::parse(text);
        assert_eq!(
            outline.is_ok(),
            full.is_ok(),
            "{name}: {outline:?} / {full:?}"
        );
        let check = |root| {
            validate::check(vec![ParsedFile {
                path: Arc::clone(&path),
                root,
            }])
        };
        Some([check(outline.ok()?), streamed?, check(full.ok()?)])
    }

    /// Every file the tests and examples hold, and a few shapes, give the
    /// same desired state from an outline as from a full reading, and an
    /// outline has problems exactly when the full reading has.
    #[test]
    fn an_outline_checks_like_a_full_reading() {
        let mut files: Vec<(String, String)> = Vec::new();
        for dir in ["examples", "examples/ci", "tests/invalid"] {
            let Ok(read) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in read.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        files.push((path.display().to_string(), text));
                    }
                }
            }
        }
        assert!(files.len() > 30, "only {} files", files.len());
        let shapes = [
            "version: 1\nproviders:\n  c: { type: ccp, url: https://c.example.vn, auth: { api_key: { env: K } } }\nusers:\n  - { provider: c, username: u1, level: agent, role_uuid: r, password: { env: P } }\n  -   provider: c\n      username: u2\n      level: agent\n      role_uuid: r\n",
            "x-user: &u { provider: c, level: agent, role_uuid: r }\nversion: 1\nproviders:\n  c: { type: ccp, url: https://c.example.vn, auth: { api_key: { env: K } } }\nusers:\n  - <<: *u\n    username: u1\n  - { <<: *u, username: u2 }\n",
            "version: 1\r\nproviders:\r\n  c:\r\n    type: !!str ccp\r\n    url: https://c.example.vn\r\n    auth: { api_key: { env: K } }\r\nusers:\r\n  - username: u1\r\n    provider: c\r\n    level: agent\r\n    role_uuid: r\r\n",
        ];
        files.extend(
            shapes
                .iter()
                .map(|t| ("shape.yaml".to_string(), t.to_string())),
        );
        for (name, text) in &files {
            let Some([outline, streamed, full]) = three_readings(name, text) else {
                continue;
            };
            for (reading, checked) in [("outline", &outline), ("streamed", &streamed)] {
                assert_eq!(
                    checked.problems.is_empty(),
                    full.problems.is_empty(),
                    "{name}: {reading}"
                );
                if full.problems.is_empty() {
                    assert_eq!(
                        format!("{:?}", checked.desired),
                        format!("{:?}", full.desired),
                        "{name}: {reading}"
                    );
                }
            }
        }
    }

    /// A file whose providers come first has its accounts checked as they
    /// are read: none of them is left in its outline. Accounts written
    /// before the providers are kept and checked at the end, in file order.
    #[test]
    fn accounts_after_the_providers_are_checked_as_they_are_read() {
        let providers = "providers:\n  c: { type: ccp, url: https://c.example.vn, auth: { api_key: { env: K } } }\n";
        let users = "users:\n  - { provider: c, username: u1, level: agent, role_uuid: r, password: { env: P } }\n  - { provider: c, username: u2, level: agent, role_uuid: r, password: { env: P } }\n";
        let users_left = |parsed: &Parsed| match &parsed.outlines[0].as_ref().unwrap().value {
            yaml::Value::Map(top) => {
                top.iter()
                    .find(|(k, _)| k.as_str() == Some("users"))
                    .map(|(_, v)| match &v.value {
                        yaml::Value::Seq(items) => items.len(),
                        _ => 0,
                    })
            }
            _ => None,
        };
        for (text, streamed) in [
            (format!("version: 1\n{providers}{users}"), true),
            (format!("version: 1\n{users}{providers}"), false),
        ] {
            let files = [(PathBuf::from("t.yaml"), text.clone())];
            let parsed = outlines(&files, None);
            assert_eq!(parsed.streamed.is_some(), streamed, "{text}");
            assert_eq!(users_left(&parsed), Some(if streamed { 0 } else { 2 }));
            let desired = checked_head("t.yaml", &files, parsed).unwrap().finish();
            assert!(
                desired.problems.is_empty(),
                "{text}: {:?}",
                desired.problems
            );
            let keys: Vec<_> = desired
                .desired
                .entries
                .iter()
                .map(|e| e.key.to_string())
                .collect();
            assert_eq!(keys, ["u1", "u2"], "{text}");
        }
    }

    #[test]
    fn a_directory_is_one_desired_state() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a-providers.yaml"),
            "version: 1\nproviders:\n  ccp: { type: ccp, url: https://ccp.example.vn, auth: { api_key: { env: K } } }\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b-users.yaml"),
            "users:\n  - { username: u1, level: agent, role_uuid: r, password: { env: P } }\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not yaml: [").unwrap();
        let desired = load(dir.path()).unwrap();
        assert_eq!(desired.providers.len(), 1);
        assert_eq!(desired.entries.len(), 1);
        assert_eq!(desired.entries[0].provider, "ccp");
        assert!(desired.entries[0].origin.file.ends_with("b-users.yaml"));
    }
}
