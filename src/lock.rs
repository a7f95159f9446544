//! The apply lock: two applies against one vendor system must not overlap
//! (two creates of one account on a vendor whose uniqueness check is not
//! atomic make a duplicate). The lock is keyed on what it protects, not on
//! the path that named the desired state: one advisory lock (`flock` on
//! Unix) per provider identity (its type and URL), so that the same file
//! reached by a symlink, `-f -`, `-f DIR` or `-f DIR/file`, or two files
//! sharing a provider, serialise. An apply takes the locks of its
//! providers (in a fixed order, so two applies cannot each wait for the
//! other) once the providers are read, before the vendors are, and holds
//! them to the report. The operating system releases them when the process
//! ends, however it ends: a crashed apply leaves no stale lock.
//!
//! The lock files live in a folder of the user's own: `$XDG_RUNTIME_DIR/headcount`,
//! else `headcount-UID` in the system's temporary folder; the folder must
//! be a real folder (not a symlink) owned by the user and closed to others,
//! or apply refuses. A lock file is opened without following a symlink, and
//! must be a regular file of the user's with one name; it is never
//! truncated or written unless this folder holds it.
//!
//! Across CI runners (different machines) the workflow's `concurrency:`
//! serialises applies; see examples/ci/ and docs/ci.md.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a waiting apply tries the lock again.
const POLL: Duration = Duration::from_millis(100);

/// A vendor system an apply writes to: its type and URL.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct System {
    pub kind: String,
    pub url: String,
}

impl System {
    /// The system of a provider type and URL; the URL is normalised (host
    /// case, default port, a trailing `/`) so that spellings of one URL
    /// are one system.
    pub fn new(kind: &str, url: &url::Url) -> System {
        let mut url = url.clone();
        url.set_fragment(None);
        url.set_query(None);
        let text = url.as_str().trim_end_matches('/').to_string();
        System {
            kind: kind.to_string(),
            url: text,
        }
    }

    /// The lock file's name: the type and a digest of the URL.
    pub fn file_name(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{}\n{}", self.kind, self.url).as_bytes());
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}.lock", self.kind)
    }
}

/// Held locks; released when dropped.
#[derive(Debug)]
pub struct ApplyLock {
    held: Vec<(File, PathBuf)>,
}

impl ApplyLock {
    /// Takes the lock of every system in the user's lock folder
    /// ([`lock_dir`]), waiting up to `timeout` in all for other applies to
    /// finish; refuses with a message naming the system and its holder after that.
    pub fn acquire(systems: &[System], timeout: Duration) -> miette::Result<ApplyLock> {
        ApplyLock::acquire_in(&lock_dir()?, systems, timeout)
    }

    /// [`ApplyLock::acquire`] in the folder `dir` (checked as the lock folder).
    pub fn acquire_in(
        dir: &Path,
        systems: &[System],
        timeout: Duration,
    ) -> miette::Result<ApplyLock> {
        private_dir(dir)?;
        let mut systems = systems.to_vec();
        systems.sort();
        systems.dedup();
        let started = Instant::now();
        let mut held = Vec::with_capacity(systems.len());
        for system in &systems {
            let path = dir.join(system.file_name());
            let mut file = open_lock_file(&path)?;
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) if started.elapsed() < timeout => {
                        std::thread::sleep(POLL.min(timeout.saturating_sub(started.elapsed())));
                    }
                    Err(TryLockError::WouldBlock) => {
                        let holder = holder(&mut file);
                        return Err(miette::miette!(
                            code = "headcount::lock",
                            help = "wait for the other apply to finish, or pass --lock-timeout DURATION (say 5m) to wait for it; the lock is released when that process ends",
                            "another apply is running against {} {}: {} is locked{holder}{}",
                            system.kind,
                            system.url,
                            path.display(),
                            if timeout.is_zero() {
                                String::new()
                            } else {
                                format!(" (waited {})", humantime::format_duration(timeout))
                            }
                        ));
                    }
                    Err(TryLockError::Error(e)) => {
                        return Err(miette::miette!(
                            code = "headcount::lock",
                            "cannot lock {}: {e}",
                            path.display()
                        ))
                    }
                }
            }
            // Who holds it, for the message another apply shows.
            let _ = file.set_len(0);
            let _ = file.rewind();
            let _ = writeln!(
                file,
                "pid {} since {}",
                std::process::id(),
                humantime::format_rfc3339_seconds(std::time::SystemTime::now())
            );
            let _ = file.flush();
            held.push((file, path));
        }
        Ok(ApplyLock { held })
    }

    /// The lock files held.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.held.iter().map(|(_, p)| p.as_path())
    }
}

impl Drop for ApplyLock {
    fn drop(&mut self) {
        for (file, _) in &self.held {
            let _ = file.unlock();
        }
    }
}

/// The user's lock folder: `$XDG_RUNTIME_DIR/headcount` (the per-user
/// runtime folder), else `headcount-UID` in the temporary folder; created
/// closed to others when missing.
pub fn lock_dir() -> miette::Result<PathBuf> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty() && Path::new(d).is_absolute())
        .map(|d| PathBuf::from(d).join("headcount"));
    let dir = runtime.unwrap_or_else(|| std::env::temp_dir().join(format!("headcount-{}", uid())));
    if std::fs::symlink_metadata(&dir).is_err() {
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        // Another process may create it at the same moment: checked below.
        let _ = builder.create(&dir);
    }
    Ok(dir)
}

fn uid() -> u32 {
    #[cfg(unix)]
    {
        // SAFETY: getuid has no preconditions and cannot fail.
        unsafe { libc::getuid() }
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// Refuses a lock folder someone else could write in: a symlink, not a
/// folder, another user's, or open to the group or others.
fn private_dir(dir: &Path) -> miette::Result<()> {
    let refuse = |why: &str| {
        miette::miette!(
            code = "headcount::lock",
            help = "remove it, or set XDG_RUNTIME_DIR to a folder of your own; apply keeps its locks in a folder only you can write",
            "the apply lock folder {} {why}",
            dir.display()
        )
    };
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| refuse(&format!("cannot be created or read: {e}")))?;
    if meta.file_type().is_symlink() {
        return Err(refuse("is a symlink"));
    }
    if !meta.is_dir() {
        return Err(refuse("is not a folder"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != uid() {
            return Err(refuse("belongs to another user"));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(refuse("can be written by other users"));
        }
    }
    Ok(())
}

/// Opens a lock file without following a symlink, creating it when
/// missing; an existing one must be a regular file of the user's with one
/// name (not a hard link to some other file).
fn open_lock_file(path: &Path) -> miette::Result<File> {
    let cannot = |e: &dyn std::fmt::Display| {
        miette::miette!(
            code = "headcount::lock",
            help = "apply keeps its locks in a folder of the user's own; remove that file, it is not one apply made",
            "cannot open the apply lock {}: {e}",
            path.display()
        )
    };
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|e| cannot(&e))?;
    let meta = file.metadata().map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(cannot(&"it is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != uid() || meta.nlink() != 1 {
            return Err(cannot(&"it is not a file apply made"));
        }
    }
    Ok(file)
}

/// " (held by pid N since T)" from the lock file's text, at most one short line.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.take(200).read_to_string(&mut text);
    let line = text.lines().next().unwrap_or("").trim();
    let printable = !line.is_empty() && line.chars().all(|c| !c.is_control());
    if printable {
        format!(" (held by {line})")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system(url: &str) -> System {
        System::new("ccp", &url::Url::parse(url).unwrap())
    }

    fn private() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        dir
    }

    #[test]
    fn a_second_lock_of_one_system_is_refused_naming_it_and_the_holder() {
        let dir = private();
        let first = ApplyLock::acquire_in(
            dir.path(),
            &[
                system("https://CCP.example.vn/"),
                system("https://b.example.vn"),
            ],
            Duration::ZERO,
        )
        .unwrap();
        assert_eq!(first.paths().count(), 2);
        // Another spelling of one URL is one system.
        let second = ApplyLock::acquire_in(
            dir.path(),
            &[system("https://ccp.example.vn:443")],
            Duration::from_millis(250),
        )
        .unwrap_err();
        let text = format!("{second}");
        assert!(
            text.contains("another apply is running against ccp https://ccp.example.vn"),
            "{text}"
        );
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        // Another system is free.
        ApplyLock::acquire_in(
            dir.path(),
            &[system("https://c.example.vn")],
            Duration::ZERO,
        )
        .unwrap();
        drop(first);
        ApplyLock::acquire_in(
            dir.path(),
            &[system("https://ccp.example.vn")],
            Duration::ZERO,
        )
        .unwrap();
    }

    #[test]
    fn a_waiting_apply_gets_the_lock_when_the_first_ends() {
        let dir = private();
        let systems = [system("https://ccp.example.vn")];
        let first = ApplyLock::acquire_in(dir.path(), &systems, Duration::ZERO).unwrap();
        let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = released.clone();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            drop(first);
        });
        ApplyLock::acquire_in(dir.path(), &systems, Duration::from_secs(10)).unwrap();
        assert!(
            released.load(std::sync::atomic::Ordering::SeqCst),
            "the second apply got the lock only after the first let it go"
        );
        release.join().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_lock_file_or_folder_is_never_written_through() {
        let dir = private();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious\n").unwrap();
        let systems = [system("https://ccp.example.vn")];
        let lock = dir.path().join(systems[0].file_name());
        std::os::unix::fs::symlink(&victim, &lock).unwrap();
        let err = ApplyLock::acquire_in(dir.path(), &systems, Duration::ZERO).unwrap_err();
        assert!(
            format!("{err}").contains("cannot open the apply lock"),
            "{err}"
        );
        std::fs::remove_file(&lock).unwrap();
        std::fs::hard_link(&victim, &lock).unwrap();
        assert!(ApplyLock::acquire_in(dir.path(), &systems, Duration::ZERO).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        // A folder that is a symlink, or open to others, is refused.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        let err = ApplyLock::acquire_in(&link, &systems, Duration::ZERO).unwrap_err();
        assert!(format!("{err}").contains("is a symlink"), "{err}");
        let open = tempfile::tempdir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(ApplyLock::acquire_in(open.path(), &systems, Duration::ZERO).is_err());
    }
}
