//! Reading desired-state files: one file, or every `*.yaml` of a directory,
//! into one validated [`Desired`] — or every problem at once.
//!
//! Each file is read ([`read_file`]), parsed once with every node's
//! position ([`yaml::parse`]) and the trees validated together
//! ([`validate::check`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::diagnostics::{LoadError, Problem, SourceText, Span};
use super::types::{Credential, Desired, Entry, Provider};
use super::validate::{self, ParsedFile};
use super::yaml::{self, Limit};

/// Largest file headcount reads (64 MiB: far beyond 100,000 accounts).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Loads and validates a desired state from a file, or from every `*.yaml`
/// file of a directory (sorted by name) taken together.
pub fn load(path: &Path) -> Result<Desired, LoadError> {
    load_with_digest(path).map(|(desired, _)| desired)
}

/// [`load`], and the digest of the input: `sha256:` and the hex digest of
/// every file's bytes (and for a directory each file's name), in the order
/// they are read. A saved plan records it, so that `apply` can tell the file
/// changed since.
pub fn load_with_digest(path: &Path) -> Result<(Desired, String), LoadError> {
    let (subject, inputs) = read_inputs(path)?;
    let digest = digest_of(&inputs);
    let mut desired = check(&subject, inputs)?;
    // Relative `{ file: }` paths are made absolute once, so that nothing
    // later depends on the working directory.
    desired
        .providers
        .values_mut()
        .for_each(absolute_provider_secrets);
    desired.entries.iter_mut().for_each(absolute_entry_secrets);
    Ok((desired, digest))
}

/// Files read: (path, bytes) each.
type Inputs = Vec<(PathBuf, Vec<u8>)>;

/// The files of `path` (one file, or a directory's `*.yaml`), read, and the
/// name to call them by.
fn read_inputs(path: &Path) -> Result<(String, Inputs), LoadError> {
    if path == Path::new(STDIN) {
        let name = "standard input";
        let bytes = read_file(path).map_err(|p| LoadError::new(name, &[*p], &[]))?;
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
        match read_file(&p) {
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
    check(name, vec![(PathBuf::from(name), bytes.to_vec())])
}

/// Decodes, parses and validates the files read: the desired state, or
/// every problem found. A file that is not UTF-8 or not YAML stops the
/// semantic checks (a provider defined in it would look missing in the
/// others), but every file's syntax is still reported.
fn check(subject: &str, inputs: Inputs) -> Result<Desired, LoadError> {
    let mut files: Vec<(PathBuf, String)> = Vec::with_capacity(inputs.len());
    let mut problems = Vec::new();
    for (index, (path, bytes)) in inputs.into_iter().enumerate() {
        let text = String::from_utf8(bytes).unwrap_or_else(|e| {
            problems.push(not_utf8(index, &path, e.utf8_error()));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        });
        files.push((path, text));
    }
    let mut parsed = Vec::with_capacity(files.len());
    for (index, (path, text)) in files.iter().enumerate() {
        if problems.iter().any(|p| p.file == Some(index)) {
            continue;
        }
        match yaml::parse(text) {
            Ok(root) => parsed.push(ParsedFile {
                path: Arc::new(path.clone()),
                root,
            }),
            Err(e) => problems.push(syntax_problem(index, text, &e)),
        }
    }
    // Each file's text for snippets, its plaintext secrets masked.
    let sources = |secrets: &[Vec<Span>]| -> Vec<SourceText> {
        let masked = |(i, (p, t)): (usize, &(PathBuf, String))| {
            let secrets = secrets.get(i).map_or(&[][..], Vec::as_slice);
            SourceText::masked(p.display().to_string(), t, secrets)
        };
        files.iter().enumerate().map(masked).collect()
    };
    if !problems.is_empty() {
        return Err(LoadError::new(subject, &problems, &sources(&[])));
    }
    let checked = validate::check(parsed);
    if checked.problems.is_empty() {
        return Ok(checked.desired);
    }
    let sources = sources(&checked.secret_spans);
    let mut problems = checked.problems;
    problems.sort_by_key(|p| (p.file, p.labels.first().map(|(s, _)| s.0).unwrap_or(0)));
    Err(LoadError::new(subject, &problems, &sources))
}

fn not_utf8(index: usize, path: &Path, err: std::str::Utf8Error) -> Problem {
    let at = err.valid_up_to();
    Problem::new(
        index,
        "not_utf8",
        format!("{} is not valid UTF-8 (byte offset {at})", path.display()),
    )
    .label(
        (at, err.error_len().unwrap_or(1).min(1)),
        "invalid UTF-8 here",
    )
    .help("save the file as UTF-8 (without a byte-order mark in another encoding)")
}

/// The digest of [`load_with_digest`]. A single file is hashed by content
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

fn absolute_provider_secrets(provider: &mut Provider) {
    let file = Arc::clone(&provider.origin.file);
    for credential in provider.auth.values_mut() {
        if let Credential::Secret(secret) = credential {
            secret.make_absolute(folder(&file));
        }
    }
}

fn absolute_entry_secrets(entry: &mut Entry) {
    let file = Arc::clone(&entry.origin.file);
    for secret in entry.secrets.values_mut() {
        secret.make_absolute(folder(&file));
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
    let (code, message, label, help) = match e.limit {
        None => (
            "syntax",
            format!("YAML syntax error: {}", e.message),
            "here".to_string(),
            "check the indentation and quoting around this place".to_string(),
        ),
        Some(Limit::Depth) => (
            "too_complex",
            format!("the YAML is nested more than {} levels deep", yaml::MAX_DEPTH),
            "too deep".into(),
            "a desired-state file needs only a few levels; check for runaway brackets or indentation".into(),
        ),
        Some(Limit::Documents) => (
            "too_complex",
            "the file holds more than one YAML document (`---`)".into(),
            "second document".into(),
            "keep one document per file; to split a desired state, put the files in a directory and use `-f DIR`".into(),
        ),
        Some(Limit::Aliases) => (
            "too_complex",
            "the YAML uses too many aliases (`*name`)".into(),
            "alias expansion stopped here".into(),
            format!(
                "headcount refuses alias-heavy files (possible alias bomb); write the values out, with at most {} aliases",
                yaml::MAX_ALIASES
            ),
        ),
        Some(Limit::Size) => (
            "too_complex",
            "the YAML is too large or too complex to read".into(),
            "limit reached here".into(),
            format!("the limit was: {}", e.message),
        ),
    };
    Problem::new(index, code, message)
        .label(span, label)
        .help(help)
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

/// The path that names standard input.
const STDIN: &str = "-";

/// Reads one input, at most [`MAX_FILE_BYTES`]: the file `-f` names, one
/// `*.yaml` or `*.yml` of a directory, or standard input for `-`. Every byte headcount
/// reads of a desired state is read here.
fn read_file(path: &Path) -> Result<Vec<u8>, Box<Problem>> {
    let name = match path == Path::new(STDIN) {
        true => "standard input".into(),
        false => path.display().to_string(),
    };
    let unreadable = |e: std::io::Error| {
        Box::new(
            Problem::general("read", format!("cannot read {name}: {}", io_reason(&e)))
                .help("check the path and its permissions"),
        )
    };
    let (input, size): (Box<dyn Read>, u64) = if path == Path::new(STDIN) {
        (Box::new(std::io::stdin().lock()), 0)
    } else {
        let file = super::source::open(path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE_BYTES {
            return Err(Box::new(too_large(&name, size)));
        }
        (Box::new(file), size)
    };
    // Room for the whole file (plus the byte that tells it ended), so that
    // reading does not double the buffer past twice the file's size.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    input
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Box::new(too_large(&name, bytes.len() as u64)));
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
