//! Secret references: `{ env: NAME }` or `{ file: PATH }`, resolved only when needed.

use std::io::Read;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

/// The largest secret file read (64 KiB: far beyond any password or token).
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// Where a secret lives. Holds no secret itself, so it may be printed and saved
/// (as `{"env": "NAME"}` or `{"file": "PATH"}`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A regular file of at most [`MAX_SECRET_FILE_BYTES`]; one trailing
    /// newline is removed. The loader makes a relative path absolute
    /// (relative to the folder of the desired-state file that names it).
    File(PathBuf),
}

/// A secret that could not be resolved. Names the reference, never a value.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SecretError {
    #[error("environment variable {name} is not set (needed for {purpose})")]
    #[diagnostic(
        code(headcount::secret::env_unset),
        help("export {name}=... before running headcount, or use {{ file: PATH }} instead")
    )]
    EnvUnset { name: String, purpose: String },
    #[error("environment variable {name} is empty (needed for {purpose})")]
    #[diagnostic(
        code(headcount::secret::env_empty),
        help("set {name} to the secret's value")
    )]
    EnvEmpty { name: String, purpose: String },
    #[error("environment variable {name} is not valid UTF-8 (needed for {purpose})")]
    #[diagnostic(code(headcount::secret::env_not_utf8))]
    EnvNotUnicode { name: String, purpose: String },
    #[error("cannot read secret file {path} (needed for {purpose}): {reason}")]
    #[diagnostic(
        code(headcount::secret::file),
        help("check that the file exists and is readable")
    )]
    File {
        path: String,
        purpose: String,
        reason: String,
    },
    #[error("secret file {path} is {what}, not a regular file (needed for {purpose})")]
    #[diagnostic(
        code(headcount::secret::file_not_regular),
        help("point {{ file: }} at a regular file holding only the secret (devices, pipes and folders are refused so that a read cannot hang or fill memory)")
    )]
    FileNotRegular {
        path: String,
        purpose: String,
        what: &'static str,
    },
    #[error("secret file {path} is larger than {limit} KiB (needed for {purpose})")]
    #[diagnostic(
        code(headcount::secret::file_too_large),
        help("a secret file holds only the secret (a password or token), with at most one trailing newline")
    )]
    FileTooLarge {
        path: String,
        purpose: String,
        limit: u64,
    },
    #[error("secret file {path} is empty (needed for {purpose})")]
    #[diagnostic(code(headcount::secret::file_empty))]
    FileEmpty { path: String, purpose: String },
}

impl SecretRef {
    /// Makes a relative `{ file: }` path absolute, relative to `base` (the
    /// folder of the desired-state file); done once, by the loader.
    pub fn make_absolute(&mut self, base: &Path) {
        if let SecretRef::File(path) = self {
            if path.is_relative() {
                let joined = base.join(&*path);
                *path = std::path::absolute(&joined).unwrap_or(joined);
            }
        }
    }

    /// For a `{ file: }` reference to something that exists but is not a
    /// regular file: what it is ("a directory", "a named pipe (FIFO)", ...).
    /// `None` for env references, regular files, and paths that do not exist
    /// (those get their own error when resolved).
    pub fn not_regular_file(&self) -> Option<&'static str> {
        match self {
            SecretRef::File(path) => {
                let meta = std::fs::metadata(path).ok()?;
                if !meta.is_file() {
                    return Some(describe(&meta.file_type()));
                }
                crate::files::pseudo_path(path).map(|_| PSEUDO_FILE)
            }
            SecretRef::Env(_) => None,
        }
    }

    /// Resolves the reference; `purpose` names what needs it ("password of
    /// thulium agent jkowalski").
    pub fn resolve(&self, purpose: &str) -> Result<SecretString, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if v.is_empty() => Err(SecretError::EnvEmpty {
                    name: name.clone(),
                    purpose: purpose.into(),
                }),
                Ok(v) => {
                    crate::redact::register(&v);
                    Ok(SecretString::from(v))
                }
                Err(std::env::VarError::NotPresent) => Err(SecretError::EnvUnset {
                    name: name.clone(),
                    purpose: purpose.into(),
                }),
                Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::EnvNotUnicode {
                    name: name.clone(),
                    purpose: purpose.into(),
                }),
            },
            SecretRef::File(path) => {
                let text = read_secret_file(path, purpose)?;
                let trimmed = text
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(&text);
                if trimmed.is_empty() {
                    return Err(SecretError::FileEmpty {
                        path: path.display().to_string(),
                        purpose: purpose.into(),
                    });
                }
                crate::redact::register(trimmed);
                Ok(SecretString::from(trimmed.to_string()))
            }
        }
    }
}

/// Reads a secret file with a bound: a regular file only (checked before
/// opening, so a FIFO cannot block the open, and again on the open file),
/// at most [`MAX_SECRET_FILE_BYTES`] read whatever the file claims.
fn read_secret_file(path: &Path, purpose: &str) -> Result<String, SecretError> {
    let shown = || path.display().to_string();
    let io_error = |e: std::io::Error| SecretError::File {
        path: shown(),
        purpose: purpose.into(),
        reason: match e.kind() {
            std::io::ErrorKind::InvalidData => "it is not UTF-8 text".to_string(),
            kind => kind.to_string(),
        },
    };
    let not_regular = |meta: &std::fs::Metadata| SecretError::FileNotRegular {
        path: shown(),
        purpose: purpose.into(),
        what: describe(&meta.file_type()),
    };
    let too_large = || SecretError::FileTooLarge {
        path: shown(),
        purpose: purpose.into(),
        limit: MAX_SECRET_FILE_BYTES / 1024,
    };
    // /proc/self/environ is a "regular file" of size 0 holding every
    // credential of the process: the kernel's pseudo-files are never read.
    let pseudo = || SecretError::FileNotRegular {
        path: shown(),
        purpose: purpose.into(),
        what: PSEUDO_FILE,
    };
    let meta = std::fs::metadata(path).map_err(io_error)?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if crate::files::pseudo_path(path).is_some() {
        return Err(pseudo());
    }
    let file = open_without_blocking(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if crate::files::on_pseudo_filesystem(&file) {
        return Err(pseudo());
    }
    if meta.len() > MAX_SECRET_FILE_BYTES {
        return Err(too_large());
    }
    let mut text = String::new();
    file.take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io_error)?;
    if text.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(too_large());
    }
    Ok(text)
}

/// What a kernel pseudo-file is called in messages.
const PSEUDO_FILE: &str = "a kernel pseudo-file (under /proc, /sys or /dev)";

/// Opens for reading; on Unix with `O_NONBLOCK`, so that a path swapped for
/// a FIFO after the check cannot block the open (regular files ignore it).
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// What a file that is not a regular file is, in words.
fn describe(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "{{ env: {name} }}"),
            SecretRef::File(path) => write!(f, "{{ file: {} }}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn unset_env_names_the_variable_not_a_value() {
        let r = SecretRef::Env("HEADCOUNT_TEST_SURELY_UNSET_VAR".into());
        let err = r.resolve("password of agent x").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("HEADCOUNT_TEST_SURELY_UNSET_VAR"), "{text}");
        assert!(text.contains("password of agent x"), "{text}");
    }

    #[test]
    fn file_secret_drops_one_trailing_newline_and_is_made_absolute_against_the_base() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw.txt"), "s3cret\n").unwrap();
        let mut r = SecretRef::File("pw.txt".into());
        r.make_absolute(dir.path());
        assert_eq!(r, SecretRef::File(dir.path().join("pw.txt")));
        assert_eq!(r.resolve("test").unwrap().expose_secret(), "s3cret");
        std::fs::write(dir.path().join("empty.txt"), "\n").unwrap();
        assert!(matches!(
            SecretRef::File(dir.path().join("empty.txt")).resolve("test"),
            Err(SecretError::FileEmpty { .. })
        ));
        // An absolute path and an env reference stay as they are.
        let mut abs = SecretRef::File("/etc/pw".into());
        abs.make_absolute(dir.path());
        assert_eq!(abs, SecretRef::File("/etc/pw".into()));
    }

    #[test]
    fn a_relative_base_becomes_absolute() {
        let mut r = SecretRef::File("pw.txt".into());
        r.make_absolute(Path::new("conf"));
        let SecretRef::File(path) = r else {
            unreachable!()
        };
        assert!(path.is_absolute(), "{path:?}");
        assert!(path.ends_with("conf/pw.txt"), "{path:?}");
    }

    /// Finding 14.3: a secret file is a regular file of at most 64 KiB, read
    /// with a bound. Each case fails fast with an error naming the file.
    #[test]
    fn secret_files_that_are_not_small_regular_files_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        // A folder.
        let err = SecretRef::File(dir.path().to_path_buf())
            .resolve("password of agent x")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("is a directory, not a regular file"),
            "{err}"
        );
        // A file over the cap (sparse: 200 MB claimed, nothing written).
        let big = dir.path().join("big.txt");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(200 * 1024 * 1024)
            .unwrap();
        let err = SecretRef::File(big.clone()).resolve("x").unwrap_err();
        assert!(
            matches!(err, SecretError::FileTooLarge { limit: 64, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("big.txt"), "{err}");
        // Exactly at the cap is accepted; one byte more is not.
        let edge = dir.path().join("edge.txt");
        std::fs::write(&edge, "a".repeat(MAX_SECRET_FILE_BYTES as usize)).unwrap();
        assert!(SecretRef::File(edge.clone()).resolve("x").is_ok());
        std::fs::write(&edge, "a".repeat(MAX_SECRET_FILE_BYTES as usize + 1)).unwrap();
        assert!(matches!(
            SecretRef::File(edge).resolve("x"),
            Err(SecretError::FileTooLarge { .. })
        ));
        #[cfg(target_os = "linux")]
        {
            // procfs says size 0; the environment of the process is behind it.
            let err = SecretRef::File("/proc/self/environ".into())
                .resolve("x")
                .unwrap_err();
            assert!(err.to_string().contains("kernel pseudo-file"), "{err}");
        }
        #[cfg(unix)]
        {
            // An endless device.
            let err = SecretRef::File("/dev/zero".into())
                .resolve("x")
                .unwrap_err();
            assert!(
                err.to_string()
                    .contains("/dev/zero is a character device, not a regular file"),
                "{err}"
            );
            // A FIFO nobody writes to: opening it for reading would block forever.
            let fifo = dir.path().join("pipe");
            let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
            let err = SecretRef::File(fifo.clone()).resolve("x").unwrap_err();
            assert!(err.to_string().contains("named pipe (FIFO)"), "{err}");
            assert_eq!(
                SecretRef::File(fifo).not_regular_file(),
                Some("a named pipe (FIFO)")
            );
        }
        // A generous bound: a hang (a FIFO read without O_NONBLOCK) would never end.
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        assert_eq!(SecretRef::File(big).not_regular_file(), None);
        assert_eq!(
            SecretRef::File(dir.path().join("absent")).not_regular_file(),
            None
        );
    }

    #[test]
    fn a_secret_file_that_is_not_utf8_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
        let err = SecretRef::File(bin).resolve("x").unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }
}
