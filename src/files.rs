//! Files headcount reads besides the desired state (`{ file: }` secrets,
//! `ca_file:`) may live anywhere (`/run/secrets/...` is common) but must be
//! regular files on a real filesystem: the kernel's pseudo-files (`/proc`,
//! `/sys`, `/dev`) report size 0 or lie about what they hold, and
//! `/proc/self/environ` holds every credential of the process.

use std::fs::File;
use std::path::Path;

/// The folders of the kernel's pseudo-files.
const PSEUDO: [&str; 3] = ["/proc", "/sys", "/dev"];

/// Why the file at `path` is not read (its real path is under `/proc`,
/// `/sys` or `/dev`), or `None`. Symlinks are followed: the answer is about
/// the file the path leads to.
pub fn pseudo_path(path: &Path) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    PSEUDO
        .iter()
        .find(|p| real.starts_with(p))
        .map(|p| format!("it is a kernel pseudo-file under {p} ({})", real.display()))
}

/// Whether the open `file` lives on a kernel pseudo-filesystem (procfs,
/// sysfs), wherever it is mounted.
pub fn on_pseudo_filesystem(file: &File) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let mut stat = std::mem::MaybeUninit::<libc::statfs>::uninit();
        // SAFETY: fstatfs writes a statfs into the buffer given when it
        // returns 0; the descriptor is open for the call's duration.
        let done = unsafe { libc::fstatfs(file.as_raw_fd(), stat.as_mut_ptr()) };
        if done != 0 {
            return false;
        }
        // SAFETY: initialised by the successful call above.
        let stat = unsafe { stat.assume_init() };
        [
            libc::PROC_SUPER_MAGIC,
            libc::SYSFS_MAGIC,
            libc::DEBUGFS_MAGIC,
            libc::SECURITYFS_MAGIC,
        ]
        .contains(&stat.f_type)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn proc_files_are_pseudo_files() {
        assert!(pseudo_path(Path::new("/proc/self/environ")).is_some());
        let file = File::open("/proc/self/environ").unwrap();
        assert!(on_pseudo_filesystem(&file));
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("pw.txt");
        std::fs::write(&real, "x").unwrap();
        assert!(pseudo_path(&real).is_none());
        assert!(!on_pseudo_filesystem(&File::open(&real).unwrap()));
    }
}
