//! The apply journal: what `apply --journal` writes, and `journal verify`
//! and `journal show` on it, against the sandbox.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use headcount::sandbox::{FaultKind, ScheduledFault};
use serde_json::{json, Value};

use crate::common::{self, World};

const PASSWORD: &str = "journal-canary-pw-7f3a";

fn world() -> World {
    World::new(json!({})).with_env("AGENT_PW", PASSWORD)
}

/// Three agents of two people on Thulium, and one CCP user of the first.
fn file(w: &World, extra_top: &str) -> std::path::PathBuf {
    let text = format!(
        "{}{extra_top}people:\n  - id: jk\n    name: Jan\n    surname: Kowalski\n    email: jk@example.com\n    accounts:\n      thulium: {{ number: \"101\", password: {{ env: AGENT_PW }} }}\n      ccp: {{ level: agent, role_uuid: e40292d3-4707-40e5-a7f2-044d3d639757, extension: \"101\", password: {{ env: AGENT_PW }} }}\n  - id: am\n    name: Anna\n    surname: Mazur\n    email: am@example.com\n    accounts:\n      thulium: {{ number: \"102\", password: {{ env: AGENT_PW }} }}\nagents:\n  - login: bad\n    name: Bad\n    surname: Write\n    number: \"103\"\n    password: {{ env: AGENT_PW }}\n",
        w.providers("", "", "")
    );
    w.write("headcount.yaml", &text)
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn verify(w: &World, journal: &str) -> std::process::Output {
    w.run(&["journal", "verify", journal])
}

#[test]
fn an_apply_journals_header_writes_failures_and_footer_and_the_chain_verifies() {
    let w = world();
    let f = file(&w, "");
    // The vendor refuses the third agent's create (a rule of its own).
    w.sandbox.schedule_fault(ScheduledFault {
        kind: FaultKind::Status400,
        method: Some("POST".into()),
        path_prefix: Some("/thulium/api/agents".into()),
    });
    let out = w
        .command(&[])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_ACTOR", "octocat")
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "acme/access")
        .args([
            "apply",
            "--auto-approve",
            "--parallelism",
            "1",
            "--journal",
            "audit.jsonl",
            "-f",
        ])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "one write failed: {}",
        common::stderr(&out)
    );
    let journal = w.dir.path().join("audit.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(!text.contains(PASSWORD), "a secret in the journal:\n{text}");
    let lines = lines(&journal);
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["header", "write", "write", "write", "write", "footer"],
        "{text}"
    );

    let header = &lines[0];
    assert_eq!(header["seq"], 1);
    assert_eq!(header["prev"].as_str().unwrap().len(), 64);
    assert_eq!(header["actor"], "octocat");
    assert_eq!(
        header["ci"]["run_url"],
        "https://github.example/acme/access/actions/runs/42"
    );
    assert_eq!(header["options"]["auto_approve"], true);
    assert!(
        header["digest"].as_str().unwrap().starts_with("sha256:"),
        "{header}"
    );

    let failed: Vec<&Value> = lines.iter().filter(|l| l["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{text}");
    assert_eq!(failed[0]["http_status"], 400);
    assert!(
        failed[0]["request_id"].as_str().is_some(),
        "Thulium's request id: {}",
        failed[0]
    );
    assert_eq!(failed[0]["before"], "absent");
    assert_eq!(failed[0]["after"], "absent");
    let created: Vec<&Value> = lines.iter().filter(|l| l["outcome"] == "created").collect();
    assert_eq!(created.len(), 3, "{text}");
    for c in &created {
        assert_eq!(c["fields"]["password"], "set", "{c}");
        assert_eq!(c["http_status"].as_u64().unwrap() / 100, 2, "{c}");
        assert!(c["after"].as_str().unwrap().starts_with("sha256:"), "{c}");
    }
    assert_eq!(failed[0]["key"], "jk", "the first Thulium create: {text}");
    let anna = created
        .iter()
        .find(|c| c["provider"] == "thulium" && c["key"] == "am")
        .unwrap();
    assert_eq!(anna["fields"]["name"], "Anna");
    assert_eq!(anna["person"], "am");
    let footer = lines.last().unwrap();
    assert_eq!(footer["summary"]["created"], 3);
    assert_eq!(footer["summary"]["failed"], 1);
    assert_eq!(footer["interrupted"], false);

    let ok = verify(&w, "audit.jsonl");
    assert_eq!(ok.status.code(), Some(0), "{}", common::stderr(&ok));
    assert!(
        common::stdout(&ok).contains("the chain holds: 6 line(s), 1 run(s)"),
        "{}",
        common::stdout(&ok)
    );

    // A second run appends to the same chain (nothing to do but the failed one).
    let again = w.run(&[
        "apply",
        "--auto-approve",
        "--journal",
        "audit.jsonl",
        "-f",
        "headcount.yaml",
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", common::stderr(&again));
    let ok = verify(&w, "audit.jsonl");
    assert!(
        common::stdout(&ok).contains("2 run(s)"),
        "{}",
        common::stdout(&ok)
    );
}

/// A journal of one apply: header, 3 writes, footer.
fn journaled(w: &World) -> Vec<String> {
    let f = file(w, "journal: audit.jsonl\n");
    let out = w.run(&["apply", "--auto-approve", "-f", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    std::fs::read_to_string(w.dir.path().join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn refused(w: &World, lines: &[String], name: &str) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    w.write(name, &text);
    let out = verify(w, name);
    assert_eq!(out.status.code(), Some(1), "{name} was accepted");
    common::stderr(&out)
}

#[test]
fn verify_names_the_line_edited_removed_or_swapped() {
    let w = world();
    let lines = journaled(&w);
    assert_eq!(lines.len(), 6, "{lines:?}");
    let ok = verify(&w, "audit.jsonl");
    assert_eq!(ok.status.code(), Some(0), "{}", common::stderr(&ok));

    let mut edited = lines.clone();
    edited[2] = edited[2].replacen("\"created\"", "\"updated\"", 1);
    assert_ne!(edited[2], lines[2]);
    let e = refused(&w, &edited, "edited.jsonl");
    assert!(e.contains("line 3 was edited"), "{e}");

    let mut removed = lines.clone();
    removed.remove(3);
    let e = refused(&w, &removed, "removed.jsonl");
    assert!(e.contains("line 4 was removed"), "{e}");

    let mut swapped = lines.clone();
    swapped.swap(2, 3);
    let e = refused(&w, &swapped, "swapped.jsonl");
    assert!(e.contains("line 3 is out of order"), "{e}");
}

#[test]
fn a_torn_last_line_is_a_notice_and_the_next_run_goes_on() {
    let w = world();
    let lines = journaled(&w);
    // A crash tore the footer while it was written.
    let mut text = lines[..5].join("\n");
    text.push('\n');
    text.push_str(&lines[5][..30]);
    w.write("audit.jsonl", &text);
    let out = verify(&w, "audit.jsonl");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("torn last line"),
        "{}",
        common::stderr(&out)
    );

    // The next apply closes the torn line and chains on.
    let again = w.run(&["apply", "--auto-approve", "-f", "headcount.yaml"]);
    assert_eq!(again.status.code(), Some(0), "{}", common::stderr(&again));
    verifies_with_notice(&w, "torn by a crash");
}

/// `journal verify audit.jsonl` exits 0 and prints `notice`.
fn verifies_with_notice(w: &World, notice: &str) {
    let out = verify(w, "audit.jsonl");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains(notice),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn an_apply_killed_mid_way_leaves_a_journal_that_verifies() {
    let w = world();
    // The CCP create hangs (until the sandbox stops): the apply is killed
    // after the three Thulium creates are done.
    w.sandbox.schedule_fault(ScheduledFault {
        kind: FaultKind::Hang,
        method: Some("POST".into()),
        path_prefix: Some("/ccp/v3/user".into()),
    });
    let f = file(&w, "");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("headcount"))
        .env_clear()
        .env("NO_COLOR", "1")
        .env("TH_USER", headcount::sandbox::THULIUM_USER)
        .env("TH_PASS", headcount::sandbox::THULIUM_PASSWORD)
        .env("CCP_KEY", headcount::sandbox::CCP_API_KEY)
        .env("DNL_PASS", headcount::sandbox::DNL_PASSWORD)
        .env("AGENT_PW", PASSWORD)
        .current_dir(w.dir.path())
        .args(["apply", "--auto-approve", "--journal", "audit.jsonl", "-f"])
        .arg(&f)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // One line per finished change on standard error: wait for the three.
    let stderr = child.stderr.take().unwrap();
    let mut done = 0;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.starts_with("thulium/agent") && line.contains("created") {
            done += 1;
            if done == 3 {
                break;
            }
        }
    }
    assert_eq!(done, 3);
    child.kill().unwrap();
    child.wait().unwrap();
    let journal = w.dir.path().join("audit.jsonl");
    let lines = lines(&journal);
    assert_eq!(lines.len(), 4, "header and three writes: {lines:?}");
    verifies_with_notice(&w, "has no footer");
}

#[test]
fn show_rebuilds_one_persons_history() {
    let w = world();
    journaled(&w);
    // Anna leaves: her account is deactivated.
    let f = std::fs::read_to_string(file(&w, "journal: audit.jsonl\n"))
        .unwrap()
        .replace(
            "    email: am@example.com\n",
            "    email: am@example.com\n    active: false\n",
        );
    w.write("headcount.yaml", &f);
    let out = w.run(&["apply", "--auto-approve", "--force", "-f", "headcount.yaml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        common::stdout(&out),
        common::stderr(&out)
    );

    let out = w.run(&[
        "journal",
        "show",
        "audit.jsonl",
        "--person",
        "am",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    let writes = shown["writes"].as_array().unwrap();
    let outcomes: Vec<&str> = writes
        .iter()
        .map(|w| w["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.len(), 2, "{shown}");
    assert_eq!(outcomes[0], "created", "{shown}");
    assert_eq!(outcomes[1], "deactivated", "{shown}");
    assert_eq!(writes[1]["run_header"]["options"]["force"], true, "{shown}");
    assert!(writes
        .iter()
        .all(|x| x["person"] == "am" && x["key"] == "am"));
    assert_eq!(writes[1]["fields"]["active"], false, "{shown}");

    let text = w.run(&["journal", "show", "audit.jsonl", "--key", "thulium/jk"]);
    let text = common::stdout(&text);
    assert!(
        text.contains("thulium/agent \"jk\"  created HTTP 201"),
        "{text}"
    );
    assert!(!text.contains("\"am\""), "{text}");
    let none = w.run(&[
        "journal",
        "show",
        "audit.jsonl",
        "--person",
        "am",
        "--since",
        "2999-01-01",
    ]);
    assert!(common::stdout(&none).contains("No write matches."));
}
