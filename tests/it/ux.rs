//! What a user meets at the command line, run as the real binary: exit codes
//! of usage errors, a closed stdout, `--color`, `-f -`, `apply --format
//! json`, `init`, the manual page, and Ctrl-C / SIGTERM during an apply
//! (against the sandbox on an ephemeral loopback port).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;
use headcount::sandbox::{self, FaultSettings, Sandbox, SandboxOptions, Seed};
use serde_json::{json, Value};

const AGENT_PASSWORD: &str = "Agent-Pass-3b7a";

/// A sandbox with latency, its runtime, and a folder with a desired-state
/// file of `agents` new Thulium agents.
struct World {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl World {
    fn new(latency_ms: u64, agents: usize) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = runtime
            .block_on(Sandbox::start(SandboxOptions {
                seed: Seed::from_json(json!({})).unwrap(),
                rng_seed: Some(11),
                faults: FaultSettings {
                    latency_ms,
                    ..FaultSettings::default()
                },
                ..SandboxOptions::default()
            }))
            .unwrap();
        let world = World {
            sandbox,
            dir: tempfile::tempdir().unwrap(),
            _runtime: runtime,
        };
        std::fs::write(world.file(), world.text(agents)).unwrap();
        world
    }

    fn text(&self, agents: usize) -> String {
        let mut text = format!(
            "version: 1\nproviders:\n  thulium:\n    type: thulium\n    url: {}\n    auth: {{ username: {{ env: TH_USER }}, password: {{ env: TH_PASS }} }}\nagents:\n",
            self.sandbox.thulium_url()
        );
        for i in 0..agents {
            text.push_str(&format!(
                "  - {{ login: agent{i:03}, name: Agent, surname: N{i}, number: \"{}\", password: {{ env: AGENT_PW }} }}\n",
                6000 + i
            ));
        }
        text
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("headcount.yaml")
    }

    fn std_command(&self) -> StdCommand {
        let mut cmd = StdCommand::cargo_bin("headcount").unwrap();
        cmd.env_clear()
            .env("NO_COLOR", "1")
            .env("TH_USER", sandbox::THULIUM_USER)
            .env("TH_PASS", sandbox::THULIUM_PASSWORD)
            .env("AGENT_PW", AGENT_PASSWORD)
            .current_dir(self.dir.path());
        cmd
    }

    fn command(&self) -> Command {
        let mut cmd = Command::from_std(self.std_command());
        cmd.timeout(Duration::from_secs(120));
        cmd
    }

    fn count(&self) -> u64 {
        self.sandbox.counts()["thulium"] as u64
    }
}

fn headcount() -> Command {
    let mut cmd = Command::cargo_bin("headcount").unwrap();
    cmd.env_clear().timeout(Duration::from_secs(60));
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

#[test]
fn a_usage_error_exits_1_not_2_and_help_and_version_exit_0() {
    let typo = headcount()
        .args(["drift", "--outptu", "drift.json"])
        .output()
        .unwrap();
    assert_eq!(code(&typo), Some(1), "{}", text(&typo.stderr));
    assert!(text(&typo.stderr).contains("--outptu"));
    let bad_value = headcount()
        .args(["plan", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(code(&bad_value), Some(1));
    let no_command = headcount().output().unwrap();
    assert_eq!(code(&no_command), Some(1));
    for ok in [&["--help"][..], &["--version"], &["apply", "--help"]] {
        let out = headcount().args(ok).output().unwrap();
        assert_eq!(code(&out), Some(0), "headcount {ok:?}");
        assert!(!out.stdout.is_empty());
    }
}

/// Runs `args` with standard output a pipe whose reader is already gone.
fn with_closed_stdout(mut cmd: StdCommand, args: &[&str]) -> Output {
    let mut child = cmd
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_is_a_normal_end_for_completions_schema_man_demo_and_plan() {
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["schema"],
        &["man"],
        &["--help"],
        &["demo"],
    ] {
        let out = with_closed_stdout(StdCommand::cargo_bin("headcount").unwrap(), args);
        assert_eq!(
            code(&out),
            Some(0),
            "headcount {args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{}",
            text(&out.stderr)
        );
    }
    let world = World::new(0, 3);
    let plan = with_closed_stdout(world.std_command(), &["plan", "--detailed-exitcode"]);
    // The plan ran to its end: exit 2 is "changes present", not a crash.
    assert_eq!(code(&plan), Some(2), "{}", text(&plan.stderr));
    assert!(!text(&plan.stderr).contains("panicked"));
}

#[test]
fn color_always_and_never_override_the_terminal_check_and_no_color_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "version: 1\nproviders: {}\nagents: 3\n").unwrap();
    let run = |color: Option<&str>, no_color: bool| {
        let mut cmd = headcount();
        cmd.arg("validate").arg("-f").arg(&bad);
        if let Some(c) = color {
            cmd.args(["--color", c]);
        }
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().unwrap();
        assert_eq!(code(&out), Some(1));
        text(&out.stderr)
    };
    assert!(run(Some("always"), false).contains("\u{1b}["));
    assert!(!run(Some("never"), false).contains("\u{1b}["));
    // Not a terminal: auto means none, and NO_COLOR keeps it so.
    assert!(!run(None, false).contains("\u{1b}["));
    assert!(!run(Some("auto"), true).contains("\u{1b}["));
    let bad_choice = headcount()
        .args(["--color", "sometimes", "schema"])
        .output()
        .unwrap();
    assert_eq!(code(&bad_choice), Some(1));
}

#[test]
fn dash_f_dash_reads_the_desired_state_from_stdin() {
    let world = World::new(0, 2);
    let yaml = world.text(2);
    let validate = world
        .command()
        .args(["validate", "-f", "-"])
        .write_stdin(yaml.clone())
        .output()
        .unwrap();
    assert_eq!(code(&validate), Some(0), "{}", text(&validate.stderr));
    assert!(text(&validate.stdout).contains("standard input is valid"));
    let plan = world
        .command()
        .args(["plan", "-f", "-", "--detailed-exitcode"])
        .write_stdin(yaml)
        .output()
        .unwrap();
    assert_eq!(code(&plan), Some(2), "{}", text(&plan.stderr));
    assert!(text(&plan.stdout).contains("agent001"));
    let broken = world
        .command()
        .args(["validate", "-f", "-"])
        .write_stdin("version: 1\nproviders: [\n")
        .output()
        .unwrap();
    assert_eq!(code(&broken), Some(1));
    assert!(text(&broken.stderr).contains("standard input"));
}

#[test]
fn apply_format_json_prints_the_runs_result_on_stdout() {
    let world = World::new(0, 3);
    let out = world
        .command()
        .args(["apply", "--auto-approve", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(result["summary"]["created"], 3);
    assert_eq!(result["interrupted"], false);
    assert_eq!(result["changes"].as_array().unwrap().len(), 3);
    // The plan and the closing line are still shown, on stderr.
    assert!(text(&out.stderr).contains("Apply complete: 3 created"));
    assert_eq!(world.count(), 3);
    // Nothing left to do: still one JSON document.
    let again = world
        .command()
        .args(["apply", "--auto-approve", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&again), Some(0));
    let result: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(result["summary"]["created"], 0);
}

#[test]
fn init_writes_a_starter_that_validates_and_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        headcount()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let first = run(&["init"]);
    assert_eq!(code(&first), Some(0), "{}", text(&first.stderr));
    let file = dir.path().join("headcount.yaml");
    let starter = std::fs::read_to_string(&file).unwrap();
    let validate = run(&["validate"]);
    assert_eq!(code(&validate), Some(0), "{}", text(&validate.stderr));

    std::fs::write(&file, "# mine\n").unwrap();
    let again = run(&["init"]);
    assert_eq!(code(&again), Some(1));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    assert!(text(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");

    let forced = run(&["init", "--force"]);
    assert_eq!(code(&forced), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), starter);
}

#[test]
fn the_man_page_describes_every_command() {
    let out = headcount().arg("man").output().unwrap();
    assert_eq!(code(&out), Some(0));
    let page = text(&out.stdout);
    assert!(
        page.contains(".TH headcount"),
        "{}",
        &page[..page.len().min(300)]
    );
    for command in ["validate", "plan", "apply", "drift", "import", "init"] {
        assert!(page.contains(command), "the man page lacks {command}");
    }
}

/// Starts an apply of 40 creates at parallelism 2 with 150 ms latency,
/// sends `signal` once a few changes are done, and returns its output.
fn interrupted_apply(signal: libc::c_int) -> (World, Output, Value) {
    let world = World::new(150, 40);
    let report = world.dir.path().join("report.json");
    let mut child = world
        .std_command()
        .args(["apply", "--auto-approve", "--parallelism", "2", "--report"])
        .arg(&report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line.clone());
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen
        .iter()
        .filter(|l: &&String| l.contains(": created in"))
        .count()
        < 3
    {
        let line = lines_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no progress lines; seen: {seen:?}"));
        seen.push(line);
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let mut out = child.wait_with_output().unwrap();
    reader.join().unwrap();
    seen.extend(lines_rx.try_iter());
    out.stderr = seen.join("\n").into_bytes();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    (world, out, report)
}

fn assert_interrupted(world: &World, out: &Output, report: &Value, message: &str) {
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(code(out), Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains(message), "{stderr}");
    let summary = &report["summary"];
    let created = summary["created"].as_u64().unwrap();
    let not_started = summary["skipped"].as_u64().unwrap();
    assert!(created >= 3 && not_started > 0, "{summary}");
    assert_eq!(created + not_started, 40, "{summary}");
    let last = stdout.lines().rev().find(|l| !l.is_empty()).unwrap_or("");
    assert_eq!(
        last,
        format!("Apply interrupted: {created} created, 0 updated, 0 deactivated, 0 failed, {not_started} not started. Run apply again to finish.")
    );
    assert_eq!(report["interrupted"], true);
    // One line for the changes not started, not one each.
    assert!(
        stdout.contains(&format!(
            "  {not_started} change(s) not started: the apply was interrupted"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("skipped (interrupted"), "{stdout}");
    // What the report says was created is what the vendor holds: the
    // changes in flight finished.
    assert_eq!(world.count(), created);
    // Running apply again finishes it.
    let rest = world
        .command()
        .args(["apply", "--auto-approve", "--parallelism", "8"])
        .output()
        .unwrap();
    assert_eq!(code(&rest), Some(0), "{}", text(&rest.stderr));
    assert!(text(&rest.stdout).contains(&format!("Apply complete: {not_started} created")));
    assert_eq!(world.count(), 40);
}

#[test]
fn sigterm_during_apply_finishes_the_changes_in_flight_writes_the_report_and_exits_1() {
    let (world, out, report) = interrupted_apply(libc::SIGTERM);
    assert_interrupted(&world, &out, &report, "Interrupted (SIGTERM)");
}

#[test]
fn ctrl_c_during_apply_says_interrupted_and_how_to_finish() {
    let (world, out, report) = interrupted_apply(libc::SIGINT);
    assert_interrupted(&world, &out, &report, "Interrupted (Ctrl-C)");
}
