//! Issue 27: a pull request is untrusted input. Each attack of the issue,
//! on the real binary against the sandbox: what headcount refuses, and
//! that no output ever carries a secret or any 4-character piece of one
//! (validate, plan in every format, apply, drift, import, doctor).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use headcount::lock::{ApplyLock, System};
use serde_json::json;

use crate::common::{stderr, stdout, World};

/// Agents' password (an `{ env: }` secret the file names).
const AGENT_PW: &str = "Qv7xKp2mZr9wLt4n";
/// A `{ file: }` secret.
const FILE_PW: &str = "Hj3sNq8cYb5fWd6g";
/// A credential in the environment that the file never names (CI's token).
const CI_TOKEN: &str = "Mx4tRz7kPq2vBn9c";

/// Every 4-character piece of every canary found in `text`.
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for canary in [AGENT_PW, FILE_PW, CI_TOKEN] {
        let chars: Vec<char> = canary.chars().collect();
        for piece in chars.windows(4) {
            let piece: String = piece.iter().collect();
            if text.contains(&piece) {
                found.push(piece);
            }
        }
    }
    found
}

fn assert_clean(what: &str, out: &Output) {
    for (stream, text) in [("stdout", stdout(out)), ("stderr", stderr(out))] {
        let found = leaks(&text);
        assert!(found.is_empty(), "{what} {stream} leaks {found:?}:\n{text}");
        assert!(!text.contains("panicked"), "{what} {stream}:\n{text}");
    }
}

/// The text with its line wrapping undone (miette wraps at 100 columns).
fn words(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

fn world() -> World {
    World::new(json!({}))
        .with_env("AGENT_PW", AGENT_PW)
        .with_env("GITHUB_TOKEN", CI_TOKEN)
}

/// The world, its DNL password file and `headcount.yaml` listing [`entries`].
fn world_with_file() -> (World, PathBuf) {
    let w = world();
    std::fs::write(w.dir.path().join("dnl-pw.txt"), format!("{FILE_PW}\n")).unwrap();
    let file = w.write(
        "headcount.yaml",
        &format!("{}{}", w.providers("", "", ""), entries()),
    );
    (w, file)
}

fn entries() -> &'static str {
    "agents:\n  - { login: jkowalski, name: Jan, surname: Kowalski, number: \"5634\", password: { env: AGENT_PW } }\nusers:\n  - { provider: dnl, name: dnhai, user_type: agent, email: dnhai@example.net, password: { file: dnl-pw.txt } }\n"
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn symlink(to: &Path, at: &Path) -> PathBuf {
    std::os::unix::fs::symlink(to, at).unwrap();
    at.to_path_buf()
}

/// A desired-state file, or an entry of `-f DIR`, that is a symlink to
/// `/proc/self/environ` or to a file outside the tree is refused before a
/// byte of it is read; the environment's secrets are not printed.
#[test]
fn a_desired_state_symlinked_out_of_the_tree_is_refused_before_it_is_read() {
    let w = world();
    let environ = symlink(
        Path::new("/proc/self/environ"),
        &w.dir.path().join("headcount.yaml"),
    );
    for command in ["validate", "plan"] {
        let out = w.run(&[command, "-f", path(&environ)]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("refusing to read"),
            "{}",
            stderr(&out)
        );
        assert!(
            words(&stderr(&out)).contains("kernel pseudo-file under /proc"),
            "{}",
            stderr(&out)
        );
        assert_clean(command, &out);
    }
    // A file the runner can read, outside the tree.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("private.yaml"),
        format!("x: {CI_TOKEN}\n"),
    )
    .unwrap();
    let link = symlink(
        &outside.path().join("private.yaml"),
        &w.dir.path().join("out.yaml"),
    );
    let out = w.run(&["validate", "-f", path(&link)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        words(&stderr(&out)).contains("outside the working tree"),
        "{}",
        stderr(&out)
    );
    assert_clean("validate out.yaml", &out);
    // The same as an entry of `-f DIR`.
    let dir = w.dir.path().join("conf");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.yaml"), w.providers("", "", "")).unwrap();
    symlink(Path::new("/proc/self/environ"), &dir.join("zz.yaml"));
    let out = w.run(&["plan", "-f", path(&dir)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("zz.yaml"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refusing to read"),
        "{}",
        stderr(&out)
    );
    assert_clean("plan -f DIR", &out);
    // A directory that is itself a link out of the tree.
    let linked_dir = symlink(outside.path(), &w.dir.path().join("people"));
    let out = w.run(&["validate", "-f", path(&linked_dir)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        words(&stderr(&out)).contains("outside the working tree"),
        "{}",
        stderr(&out)
    );
}

/// A dangling or unreadable entry of `-f DIR` is an error naming it, never
/// a skip (its accounts would become unlisted).
#[test]
fn an_unreadable_or_dangling_entry_of_a_directory_is_an_error_naming_it() {
    let w = world();
    let dir = w.dir.path().join("conf");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.yaml"), w.providers("", "", "")).unwrap();
    symlink(&dir.join("gone.yaml"), &dir.join("b-dangling.yaml"));
    std::fs::create_dir(dir.join("c-folder.yaml")).unwrap();
    let out = w.run(&["validate", "-f", path(&dir)]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("b-dangling.yaml") && err.contains("gone.yaml"),
        "{err}"
    );
    assert!(
        words(&err).contains("c-folder.yaml: it is a directory"),
        "{err}"
    );
    // Unreadable by permissions (root reads everything: only checked as a user).
    std::fs::remove_file(dir.join("b-dangling.yaml")).unwrap();
    std::fs::remove_dir(dir.join("c-folder.yaml")).unwrap();
    let locked = dir.join("d-locked.yaml");
    std::fs::write(&locked, "agents: []\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_err() {
        let out = w.run(&["validate", "-f", path(&dir)]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("d-locked.yaml"), "{}", stderr(&out));
    }
}

/// Every output of every command, on good and hostile input, is scanned for
/// every 4-character piece of every secret.
#[test]
fn no_output_carries_a_secret_or_a_piece_of_one() {
    let (w, file) = world_with_file();
    let f = path(&file);
    let mut runs: Vec<(String, Output)> = Vec::new();
    let mut run = |args: &[&str]| {
        let out = w.run(args);
        runs.push((args.join(" "), out));
    };
    run(&["validate", "-f", f]);
    for format in ["text", "json", "markdown"] {
        run(&["plan", "-f", f, "--format", format]);
    }
    run(&["plan", "-f", f, "--out", "plan.json"]);
    run(&[
        "apply",
        "-f",
        f,
        "--auto-approve",
        "--report",
        "report.json",
    ]);
    run(&["apply", "-f", f, "--auto-approve", "--format", "json"]);
    run(&["drift", "-f", f]);
    run(&["drift", "-f", f, "--format", "json"]);
    run(&["import", "--provider", "thulium", "-f", f]);
    run(&["doctor", "-f", f]);
    run(&["import", "--provider", "dnl", "-f", f]);
    // Hostile inputs: the secrets written into the file where an error is.
    let plain = w.write(
        "plain.yaml",
        &format!(
            "{}agents:\n  - {{ login: jk, name: {AGENT_PW}, surnme: x, password: {CI_TOKEN} }}\n",
            w.providers("", "", "")
        ),
    );
    run(&["validate", "-f", path(&plain)]);
    run(&["plan", "-f", path(&plain)]);
    let mut long = format!("{}agents: [", w.providers("", "", ""));
    for i in 0..3000 {
        long.push_str(&format!("{{ login: a{i:05}, name: A, surname: B, number: \"{i}\", password: {{ env: AGENT_PW }} }}, "));
    }
    long.push_str(&format!(
        "{{ login: zz, name: \"x{AGENT_PW}\", surnme: \"{CI_TOKEN}\" }}]\n"
    ));
    let long = w.write("long.yaml", &long);
    run(&["validate", "-f", path(&long)]);
    let environ = symlink(
        Path::new("/proc/self/environ"),
        &w.dir.path().join("environ.yaml"),
    );
    run(&["plan", "-f", path(&environ)]);
    for (what, out) in &runs {
        assert_clean(what, out);
    }
    // The apply happened (so the outputs above are those of real changes).
    assert_eq!(runs[5].1.status.code(), Some(0), "{}", stderr(&runs[5].1));
    assert!(w.sandbox.account("thulium", "jkowalski").unwrap().is_some());
    for written in ["plan.json", "report.json"] {
        let text = std::fs::read_to_string(w.dir.path().join(written)).unwrap();
        assert!(leaks(&text).is_empty(), "{written}: {text}");
    }
}

/// A `{ file: }` secret that is `/proc/self/environ` (procfs says size 0)
/// is refused; nothing is created with the environment as a password.
#[test]
fn a_secret_file_in_proc_is_refused() {
    let w = world();
    let file = w.write(
        "headcount.yaml",
        &format!(
            "{}agents:\n  - {{ login: jk, name: J, surname: K, number: \"1\", password: {{ file: /proc/self/environ }} }}\n",
            w.providers("", "", "")
        ),
    );
    let out = w.run(&["apply", "-f", path(&file), "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("kernel pseudo-file"), "{all}");
    assert!(w.sandbox.account("thulium", "jk").unwrap().is_none());
    assert_clean("apply", &out);
}

/// A lock folder of the test's own, and the lock of the sandbox's Thulium.
fn hold_thulium_lock(w: &World) -> (PathBuf, ApplyLock) {
    let runtime = w.dir.path().join("runtime");
    let locks = runtime.join("headcount");
    std::fs::create_dir_all(&locks).unwrap();
    std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o700)).unwrap();
    let url = url::Url::parse(&w.sandbox.thulium_url()).unwrap();
    let lock = ApplyLock::acquire_in(
        &locks,
        &[System::new("thulium", &url)],
        std::time::Duration::ZERO,
    )
    .unwrap();
    (runtime, lock)
}

/// One desired state reached by a symlink, `-f -` and `-f DIR` takes one
/// lock: while another apply holds it, each is refused and writes nothing.
#[test]
fn applies_of_one_desired_state_through_a_symlink_stdin_and_a_directory_serialise() {
    let w = world();
    std::fs::write(w.dir.path().join("dnl-pw.txt"), format!("{FILE_PW}\n")).unwrap();
    let text = format!("{}{}", w.providers("", "", ""), entries());
    let dir = w.dir.path().join("conf");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("headcount.yaml"), &text).unwrap();
    std::fs::write(dir.join("dnl-pw.txt"), format!("{FILE_PW}\n")).unwrap();
    let link = symlink(&dir.join("headcount.yaml"), &w.dir.path().join("link.yaml"));
    let (runtime, lock) = hold_thulium_lock(&w);
    let apply = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("headcount"));
        cmd.env_clear()
            .env("NO_COLOR", "1")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("TH_USER", headcount::sandbox::THULIUM_USER)
            .env("TH_PASS", headcount::sandbox::THULIUM_PASSWORD)
            .env("CCP_KEY", headcount::sandbox::CCP_API_KEY)
            .env("DNL_PASS", headcount::sandbox::DNL_PASSWORD)
            .env("AGENT_PW", AGENT_PW)
            .current_dir(w.dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    };
    let file_in_dir = dir.join("headcount.yaml");
    let spellings: [(&[&str], Option<&str>); 4] = [
        (&["apply", "-f", path(&link), "--auto-approve"], None),
        (&["apply", "-f", "-", "--auto-approve"], Some(&text)),
        (&["apply", "-f", path(&dir), "--auto-approve"], None),
        (&["apply", "-f", path(&file_in_dir), "--auto-approve"], None),
    ];
    for (args, stdin) in &spellings {
        let out = apply(args, *stdin);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("another apply is running against thulium"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(w.sandbox.account("thulium", "jkowalski").unwrap().is_none());
    }
    drop(lock);
    let out = apply(spellings[0].0, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(w.sandbox.account("thulium", "jkowalski").unwrap().is_some());
}

/// A lock file planted as a symlink (or committed beside the file, as
/// older versions made it) is never written through.
#[test]
fn a_symlinked_lock_file_is_never_written_through() {
    let (w, file) = world_with_file();
    let victim = w.dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    // Committed beside the file: no longer a lock file at all.
    symlink(&victim, &w.dir.path().join("headcount.yaml.lock"));
    // Planted in the lock folder.
    let runtime = w.dir.path().join("runtime");
    let locks = runtime.join("headcount");
    std::fs::create_dir_all(&locks).unwrap();
    std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o700)).unwrap();
    let url = url::Url::parse(&w.sandbox.thulium_url()).unwrap();
    symlink(
        &victim,
        &locks.join(System::new("thulium", &url).file_name()),
    );
    let out = w
        .command(&[])
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["apply", "-f", path(&file), "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("cannot open the apply lock"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(w.sandbox.account("thulium", "jkowalski").unwrap().is_none());
    // With the planted link gone, the apply runs, and the committed one is untouched.
    std::fs::remove_file(locks.join(System::new("thulium", &url).file_name())).unwrap();
    let out = w
        .command(&[])
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["apply", "-f", path(&file), "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

/// One-line JSON of 3,000 agents with one typo, piped to `validate -f -`:
/// the located diagnostic, exit 1, no panic.
#[test]
fn a_200000_character_line_with_an_error_is_located_without_a_panic() {
    let mut agents: Vec<serde_json::Value> = (0..3000)
        .map(|i| json!({"login": format!("a{i:05}"), "name": "A", "surname": "B", "number": i.to_string(), "password": {"env": "PW"}}))
        .collect();
    agents[2990]["surnme"] = json!("B");
    let text = json!({
        "version": 1,
        "providers": {"t": {"type": "thulium", "url": "https://acme.thulium.com", "auth": {"username": "api", "password": {"env": "P"}}}},
        "agents": agents,
    })
    .to_string();
    assert!(text.len() > 200_000 && !text.contains('\n'));
    let w = world();
    let out = w
        .command(&[])
        .args(["validate", "-f", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("unknown field `surnme` in t agent `a02990`"),
        "{err}"
    );
    assert!(err.contains("[standard input:1:"), "{err}");
    assert!(err.lines().all(|l| l.len() < 1000), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `--rotate PROVIDER/KEY` with a key no account has is an error, as
/// `--target` is.
#[test]
fn rotate_of_a_key_no_account_has_is_an_error() {
    let (w, file) = world_with_file();
    let out = w.run(&["plan", "-f", path(&file), "--rotate", "dnl/nobody"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("--rotate dnl/nobody matches no account in the file"),
        "{}",
        stderr(&out)
    );
    let out = w.run(&["plan", "-f", path(&file), "--rotate", "dnl/dnhai"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// SIGTERM while planning (a vendor that has not answered yet) ends
/// headcount with a message, exit 143.
#[test]
fn sigterm_while_planning_exits_with_a_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("headcount.yaml");
    std::fs::write(
        &file,
        format!("version: 1\nproviders:\n  t:\n    type: thulium\n    url: http://127.0.0.1:{port}\n    insecure_http: true\n    auth: {{ username: u, password: {{ env: TP }} }}\nagents: []\n"),
    )
    .unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("headcount"))
        .env_clear()
        .env("NO_COLOR", "1")
        .env("TP", "pass")
        .current_dir(dir.path())
        .args(["plan", "-f", path(&file)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The vendor is being read once it has connected.
    let (_connection, _) = listener.accept().unwrap();
    // SAFETY: kill with a child's pid, which has not been waited for.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("Interrupted (SIGTERM) before any change was made: nothing was changed."),
        "{}",
        stderr(&out)
    );
}
