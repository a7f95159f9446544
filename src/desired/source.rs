//! Which files a desired state is read from. The file arrives in a pull
//! request, and CI runs headcount on it with every credential in its
//! environment: git stores symlinks, so the file, or an entry of `-f DIR`,
//! may be a link to `/proc/self/environ` or to any file the runner can
//! read. A path is admitted only when it leads to a regular file, that is
//! not a kernel pseudo-file, and whose real location stays inside the
//! working tree (the git repository that holds it, else the current
//! directory) whenever a symlink is on the way; checked before a byte is
//! read. In a directory every `*.yaml` entry is checked the same way, and
//! one that cannot be read (dangling, not a file) is an error naming it,
//! never a skip: a file left out would make its accounts unlisted.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use super::diagnostics::Problem;
use super::load::io_reason;

/// Opens the desired-state file `path` for reading, once it is admitted
/// (see the module's documentation).
pub fn open(path: &Path) -> Result<File, Box<Problem>> {
    let real = admit(path, false)?;
    let file = open_no_follow(&real).map_err(|e| unreadable(path, &e))?;
    match file.metadata() {
        Ok(meta) if meta.is_file() && !crate::files::on_pseudo_filesystem(&file) => Ok(file),
        Ok(_) => Err(refused(path, "it is not a regular file")),
        Err(e) => Err(unreadable(path, &e)),
    }
}

/// Checks a directory given as `-f DIR` the same way as a file (a symlink
/// out of the tree is refused).
pub fn admit_dir(dir: &Path) -> Result<(), Box<Problem>> {
    admit(dir, true).map(|_| ())
}

/// The `*.yaml` entries of `dir` (names not starting with `.`), sorted, or
/// a problem for each entry that is not an admissible file.
pub fn yaml_entries(dir: &Path) -> Result<Vec<PathBuf>, Vec<Problem>> {
    let listed = |e: std::io::Error| {
        vec![Problem::general(
            "read",
            format!("cannot list {}: {}", dir.display(), io_reason(&e)),
        )]
    };
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(listed)? {
        let entry = entry.map_err(listed)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let path = entry.path();
        match admit(&path, false) {
            Ok(_) => files.push(path),
            Err(problem) => problems.push(*problem),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    files.sort();
    Ok(files)
}

/// The real path of `path` when it may be read (a directory when `dir`).
fn admit(path: &Path, dir: bool) -> Result<PathBuf, Box<Problem>> {
    let link = std::fs::symlink_metadata(path).map_err(|e| unreadable(path, &e))?;
    let is_link = link.file_type().is_symlink();
    let real = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if is_link => {
            let target = std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            return Err(refused(
                path,
                &format!(
                    "it is a symlink to {target}, which cannot be read ({})",
                    io_reason(&e)
                ),
            ));
        }
        Err(e) => return Err(unreadable(path, &e)),
    };
    if let Some(why) = crate::files::pseudo_path(&real) {
        return Err(refused(path, &why));
    }
    let meta = std::fs::metadata(&real).map_err(|e| unreadable(path, &e))?;
    if dir && !meta.is_dir() || !dir && !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(refused(path, &format!("it is {what}")));
    }
    let lexical = lexical_absolute(path);
    let (root, real_root) = tree_root(&lexical);
    let inside = lexical.starts_with(&root) || lexical.starts_with(&real_root);
    if (is_link || inside) && !real.starts_with(&real_root) {
        return Err(refused(
            path,
            &format!(
                "it leads to {}, outside the working tree {}",
                real.display(),
                real_root.display()
            ),
        ));
    }
    Ok(real)
}

/// The working tree of a path: the nearest folder above it holding `.git`,
/// else the current directory; as written and as its real path.
fn tree_root(lexical: &Path) -> (PathBuf, PathBuf) {
    let repository = lexical
        .ancestors()
        .skip(1)
        .find(|folder| folder.join(".git").exists())
        .map(Path::to_path_buf);
    let root = repository
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"));
    let real = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
    (root, real)
}

/// `path` made absolute, with `.` and `..` resolved as written (symlinks
/// not followed).
fn lexical_absolute(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Opens without following a symlink in the last component (`real` has
/// none: a link swapped in after the check is refused), and without
/// blocking on a FIFO swapped in.
fn open_no_follow(real: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options.open(real)
}

fn unreadable(path: &Path, e: &std::io::Error) -> Box<Problem> {
    let mut problem = Problem::general(
        "read",
        format!("cannot read {}: {}", path.display(), io_reason(e)),
    );
    problem.help = Some(if e.kind() == std::io::ErrorKind::NotFound {
        "pass the desired-state file with `-f PATH` (or set HEADCOUNT_FILE); `headcount.yaml` is the default".into()
    } else {
        "check the path and its permissions".into()
    });
    Box::new(problem)
}

fn refused(path: &Path, why: &str) -> Box<Problem> {
    Box::new(
        Problem::general(
            "not_admitted",
            format!("refusing to read {}: {why}", path.display()),
        )
        .help("a desired-state file (and each *.yaml of `-f DIR`) must be a regular file inside the working tree (the git repository, else the current directory); replace the symlink by the file itself"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_is_resolved_as_written() {
        assert_eq!(
            lexical_absolute(Path::new("/a/b/../c/./d.yaml")),
            PathBuf::from("/a/c/d.yaml")
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_tree_and_dangling_entries_are_refused() {
        let tree = tempfile::tempdir().unwrap();
        std::fs::create_dir(tree.path().join(".git")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.yaml"), "x: 1\n").unwrap();
        std::fs::write(tree.path().join("real.yaml"), "x: 1\n").unwrap();
        let link = |name: &str, to: &Path| {
            std::os::unix::fs::symlink(to, tree.path().join(name)).unwrap();
            tree.path().join(name)
        };
        let inside = link("inside.yaml", &tree.path().join("real.yaml"));
        assert!(open(&inside).is_ok());
        let environ = link("environ.yaml", Path::new("/proc/self/environ"));
        let message = open(&environ).unwrap_err().message;
        assert!(message.contains("pseudo-file under /proc"), "{message}");
        let out = link("out.yaml", &outside.path().join("secret.yaml"));
        let message = open(&out).unwrap_err().message;
        assert!(message.contains("outside the working tree"), "{message}");
        link("zz-dangling.yaml", &tree.path().join("gone.yaml"));
        let problems = yaml_entries(tree.path()).unwrap_err();
        let all: Vec<_> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(problems.len(), 3, "{all:?}");
        assert!(
            all.iter().any(|m| m.contains("zz-dangling.yaml")),
            "{all:?}"
        );
    }
}
