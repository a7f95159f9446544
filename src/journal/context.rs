//! What a journal's run header says about the run: headcount's version,
//! the desired state's digest, the git commit and branch of the file's
//! folder, who ran it and from which CI run, and the options that widen
//! what apply may do.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::Serialize;

/// The run header's fields (besides `seq`, `prev`, `type`, `run`, `time`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunContext {
    pub headcount_version: String,
    /// The desired-state path as given (`-f`).
    pub file: String,
    /// Digest of the desired-state input (every file's bytes).
    pub digest: String,
    /// A saved plan applied (`apply PLANFILE`), if any.
    pub plan_file: Option<String>,
    pub git: Option<Git>,
    /// Who ran it: the CI's user, or the local user name.
    pub actor: Option<String>,
    pub ci: Option<Ci>,
    pub options: Options,
}

/// The repository the desired-state file is in.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Git {
    pub commit: String,
    /// None on a detached HEAD.
    pub branch: Option<String>,
    /// Files of the work tree differ from the commit.
    pub dirty: bool,
}

/// The CI run, from the variables the CI sets.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Ci {
    /// `github`, `gitlab` or `ci` (another system setting `CI`).
    pub system: String,
    pub run_id: Option<String>,
    pub run_url: Option<String>,
}

/// The options of the apply that widen what it may do.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Options {
    pub allow: Vec<String>,
    pub force: bool,
    pub rotate: Vec<String>,
    pub targets: Vec<String>,
    pub auto_approve: bool,
}

impl RunContext {
    /// Gathers the context of a run on `file` (git is asked in the file's
    /// folder; no git, or no repository, leaves `git` out).
    pub fn gather(file: &Path, digest: &str, options: Options) -> RunContext {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        RunContext {
            headcount_version: env!("CARGO_PKG_VERSION").to_string(),
            file: file.display().to_string(),
            digest: digest.to_string(),
            plan_file: None,
            // A CI checkout is often a detached HEAD: the CI names the branch.
            git: git(file).map(|mut g| {
                g.branch = g
                    .branch
                    .or_else(|| env("GITHUB_REF_NAME"))
                    .or_else(|| env("CI_COMMIT_REF_NAME"));
                g
            }),
            actor: env("GITHUB_ACTOR")
                .or_else(|| env("GITLAB_USER_LOGIN"))
                .or_else(|| env("USER"))
                .or_else(|| env("USERNAME")),
            ci: ci(&env),
            options,
        }
    }
}

fn ci(env: &dyn Fn(&str) -> Option<String>) -> Option<Ci> {
    if env("GITHUB_ACTIONS").is_some() {
        let run_id = env("GITHUB_RUN_ID");
        let run_url = match (env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY"), &run_id) {
            (Some(server), Some(repo), Some(id)) => {
                Some(format!("{server}/{repo}/actions/runs/{id}"))
            }
            _ => None,
        };
        return Some(Ci {
            system: "github".into(),
            run_id,
            run_url,
        });
    }
    if env("GITLAB_CI").is_some() {
        return Some(Ci {
            system: "gitlab".into(),
            run_id: env("CI_PIPELINE_ID"),
            run_url: env("CI_PIPELINE_URL").or_else(|| env("CI_JOB_URL")),
        });
    }
    env("CI").map(|_| Ci {
        system: "ci".into(),
        run_id: None,
        run_url: None,
    })
}

/// `git` in the file's folder: commit, branch, dirty. Any failure (no git,
/// not a repository) gives `None`.
fn git(file: &Path) -> Option<Git> {
    let folder = if file.is_dir() {
        file.to_path_buf()
    } else {
        match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        }
    };
    let run = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&folder)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let commit = run(&["rev-parse", "HEAD"]).filter(|c| !c.is_empty())?;
    let branch =
        run(&["rev-parse", "--abbrev-ref", "HEAD"]).filter(|b| !b.is_empty() && b != "HEAD");
    let dirty =
        run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(Git {
        commit,
        branch,
        dirty,
    })
}
