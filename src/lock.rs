//! The apply lock: two applies from one checkout must not overlap (two
//! creates of one account on a vendor whose uniqueness check is not atomic
//! make a duplicate). An advisory lock (`flock` on Unix) on a file beside
//! the desired-state file is held for the whole apply, from reading the
//! providers to the report. The operating system releases it when the
//! process ends, however it ends, so a crashed apply leaves no stale lock.
//!
//! Across CI runners (different checkouts) the workflow's `concurrency:`
//! serialises applies; see examples/ci/.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a waiting apply tries the lock again.
const POLL: Duration = Duration::from_millis(100);

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct ApplyLock {
    file: File,
    path: PathBuf,
}

impl ApplyLock {
    /// The lock file of a desired-state path: `FILE.lock` beside a file,
    /// `.headcount.lock` inside a directory, and in the working directory
    /// for standard input (`-f -`).
    pub fn path_for(desired: &Path) -> PathBuf {
        if desired.as_os_str() == "-" {
            return PathBuf::from(".headcount.lock");
        }
        if desired.is_dir() {
            return desired.join(".headcount.lock");
        }
        let mut name = desired
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "headcount.yaml".into());
        name.push(".lock");
        desired.with_file_name(name)
    }

    /// Takes the lock of `desired`, waiting up to `timeout` for another
    /// apply to finish; refuses with a message naming the lock and its
    /// holder after that.
    pub fn acquire(desired: &Path, timeout: Duration) -> miette::Result<ApplyLock> {
        let path = Self::path_for(desired);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| {
                miette::miette!(
                    code = "headcount::lock",
                    help = "apply keeps a lock file beside the desired-state file so that two applies cannot overlap: make that folder writable",
                    "cannot open the apply lock {}: {e}",
                    path.display()
                )
            })?;
        let started = Instant::now();
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
                        "another apply is running on this desired state: {} is locked{holder}{}",
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
        Ok(ApplyLock { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ApplyLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
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

    #[test]
    fn a_second_lock_is_refused_naming_the_file_and_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("headcount.yaml");
        std::fs::write(&file, "version: 1\n").unwrap();
        let first = ApplyLock::acquire(&file, Duration::ZERO).unwrap();
        assert_eq!(first.path(), dir.path().join("headcount.yaml.lock"));
        let second = ApplyLock::acquire(&file, Duration::from_millis(250)).unwrap_err();
        let text = format!("{second}");
        assert!(text.contains("another apply is running"), "{text}");
        assert!(text.contains("headcount.yaml.lock"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        ApplyLock::acquire(&file, Duration::ZERO).unwrap();
    }

    #[test]
    fn standard_input_locks_in_the_working_directory() {
        assert_eq!(
            ApplyLock::path_for(Path::new("-")),
            PathBuf::from(".headcount.lock")
        );
        assert_eq!(
            ApplyLock::path_for(Path::new("conf/headcount.yaml")),
            PathBuf::from("conf/headcount.yaml.lock")
        );
    }

    #[test]
    fn a_waiting_apply_gets_the_lock_when_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = ApplyLock::acquire(dir.path(), Duration::ZERO).unwrap();
        assert_eq!(first.path(), dir.path().join(".headcount.lock"));
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(first);
        });
        ApplyLock::acquire(dir.path(), Duration::from_secs(10)).unwrap();
        release.join().unwrap();
    }
}
