//! The user's workflow end to end: the real binary against an in-process
//! sandbox on an ephemeral loopback port. plan, apply, saved plans, drift,
//! import, the demo, and the first errors a newcomer meets.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use headcount::sandbox;
use serde_json::{json, Value};

const AGENT_PASSWORD: &str = "Agent-Pass-6c1f";
const USER_PASSWORD: &str = "User-Pass-9d2e";

use crate::common;
use common::{stderr, stdout};

/// The shared world, with this file's account passwords.
struct World(common::World);

impl std::ops::Deref for World {
    type Target = common::World;
    fn deref(&self) -> &common::World {
        &self.0
    }
}

impl World {
    fn new(seed: Value) -> World {
        World(
            common::World::new(seed)
                .with_env("AGENT_PW", AGENT_PASSWORD)
                .with_env("USER_PW", USER_PASSWORD),
        )
    }

    /// Requests that change something (anything but reads and logins).
    fn writes(&self) -> Vec<String> {
        self.sandbox
            .requests()
            .into_iter()
            .filter(|r| {
                r.method != "GET"
                    && !r.path.ends_with("/auth/token")
                    && !r.path.ends_with("/dnl/auth")
            })
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    fn account(&self, vendor: &str, key: &str) -> Option<Value> {
        self.sandbox.account(vendor, key).unwrap()
    }
}

/// Per vendor: one account matching the entries below, one drifted, one unlisted.
fn drifted_seed() -> Value {
    json!({
        "thulium": [
            {"login": "jkowalski", "name": "Jan", "surname": "Kowalski", "number": 5634, "password": "x1"},
            {"login": "anowak", "name": "Anna", "surname": "Kowalska", "number": 5635, "email": "ANNA@example.com", "password": "x2"},
            {"login": "ghost", "name": "Old", "surname": "Agent", "number": 5699, "password": "x3"}
        ],
        "ccp": [
            {"username": "AgentSale03", "level": "agent", "role_uuid": "r-1", "extension": "103", "password": "x4"},
            {"username": "AgentSale04", "level": "agent", "role_uuid": "r-1", "extension": "105", "password": "x5"},
            {"username": "Leaver01", "level": "agent", "role_uuid": "r-1", "password": "x6"}
        ],
        "dnl": [
            {"name": "dnhai", "user_type": "agent", "email": "dnhai@example.net", "passwd": "x7"},
            {"name": "lnguyen", "user_type": "agent", "email": "old@example.net", "passwd": "x8"},
            {"name": "tvan", "user_type": "client", "passwd": "x9"}
        ]
    })
}

const ENTRIES: &str = r#"agents:
  - { login: jkowalski, name: Jan, surname: Kowalski, number: "5634", password: { env: AGENT_PW } }
  - { login: anowak, name: Anna, surname: Nowak, number: "5635", email: anna@example.com, password: { env: AGENT_PW } }
  - { login: mwisniewski, name: Marek, surname: Wisniewski, number: "5636", roles: [2, 1], password: { env: AGENT_PW } }
users:
  - { provider: ccp, username: AgentSale03, level: agent, role_uuid: r-1, extension: "103", password: { env: USER_PW } }
  - { provider: ccp, username: AgentSale04, level: agent, role_uuid: r-1, extension: "104", password: { env: USER_PW } }
  - { provider: ccp, username: AgentSale05, level: agent, role_uuid: r-1, extension: "106", password: { env: USER_PW } }
  - { provider: dnl, name: dnhai, user_type: agent, email: dnhai@example.net, password: { env: USER_PW } }
  - { provider: dnl, name: lnguyen, user_type: agent, email: lnguyen@example.net, password: { env: USER_PW } }
  - { provider: dnl, name: tpham, user_type: agent, password: { env: USER_PW } }
"#;

fn standard_world() -> (World, PathBuf) {
    let world = World::new(drifted_seed());
    let file = world.write(
        "headcount.yaml",
        &format!("{}{ENTRIES}", world.providers("", "", "")),
    );
    (world, file)
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn plan_shows_creates_updates_and_unlisted_as_json_that_matches_the_schema_and_writes_nothing() {
    let (world, file) = standard_world();
    let out = world.run(&["plan", "-f", path_str(&file), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();

    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/plan.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    let changes: Vec<(String, String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_string(),
                c["provider"].as_str().unwrap().to_string(),
                c["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |a: &str, p: &str, k: &str| (a.to_string(), p.to_string(), k.to_string());
    assert_eq!(
        changes,
        vec![
            expect("update", "thulium", "anowak"),
            expect("create", "thulium", "mwisniewski"),
            expect("update", "ccp", "AgentSale04"),
            expect("create", "ccp", "AgentSale05"),
            expect("update", "dnl", "lnguyen"),
            expect("create", "dnl", "tpham"),
        ]
    );
    // anowak: surname differs; the e-mail differs only in case, so it is not listed.
    let anowak = &plan["changes"][0]["fields"];
    assert_eq!(anowak.as_array().unwrap().len(), 1, "{anowak}");
    assert_eq!(anowak[0]["name"], "surname");
    assert_eq!(anowak[0]["before"], "Kowalska");
    assert_eq!(anowak[0]["after"], "Nowak");
    assert_eq!(plan["summary"]["create"], 3);
    assert_eq!(plan["summary"]["update"], 3);
    let unlisted: Vec<&str> = plan["unlisted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["key"].as_str().unwrap())
        .collect();
    assert_eq!(unlisted, vec!["ghost", "Leaver01", "tvan"]);
    let text = stdout(&out);
    assert!(!text.contains(AGENT_PASSWORD) && !text.contains(USER_PASSWORD));
    assert!(
        world.writes().is_empty(),
        "plan wrote: {:?}",
        world.writes()
    );
}

#[test]
fn text_plan_reads_like_terraform() {
    let (world, file) = standard_world();
    let out = world.run(&["plan", "-f", path_str(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("  # thulium/agent \"anowak\" will be updated in place"),
        "{text}"
    );
    assert!(
        text.contains("      ~ surname = \"Kowalska\" -> \"Nowak\""),
        "{text}"
    );
    assert!(text.contains("  + agent \"mwisniewski\" {"), "{text}");
    assert!(text.contains("password = (sensitive)"), "{text}");
    assert!(
        text.contains("roles    = [1, 2] # set on create only"),
        "{text}"
    );
    assert!(text.contains("  thulium/agent \"ghost\""), "{text}");
    assert!(
        text.contains("Plan: 3 to create, 3 to update, 0 to deactivate; 1 password reset."),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour without a terminal");
}

#[test]
fn markdown_plan_has_a_summary_table() {
    let (world, file) = standard_world();
    let out = world.run(&["plan", "-f", path_str(&file), "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(
        md.contains("| provider | create | update | deactivate | unlisted | password resets |"),
        "{md}"
    );
    assert!(md.contains("| thulium | 1 | 1 | 0 | 1 | 0 |"), "{md}");
    assert!(md.contains("| ccp | 1 | 1 | 0 | 1 | 1 |"), "{md}");
    assert!(
        md.contains("**Plan:** 3 to create, 3 to update, 0 to deactivate; **1 password reset**"),
        "{md}"
    );
}

#[test]
fn apply_converges_and_detailed_exitcode_goes_from_2_to_0() {
    let (world, file) = standard_world();
    let f = path_str(&file);
    assert_eq!(
        world
            .run(&["plan", "-f", f, "--detailed-exitcode"])
            .status
            .code(),
        Some(2)
    );

    let out = world.run(&[
        "apply",
        "-f",
        f,
        "--auto-approve",
        "--report",
        "report.json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("Apply complete: 3 created, 3 updated, 0 deactivated, 0 failed."),
        "{text}"
    );
    // Without a terminal: one line per finished change on stderr.
    assert!(
        stderr(&out).contains("thulium/agent \"mwisniewski\": created"),
        "{}",
        stderr(&out)
    );

    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(world.dir.path().join("report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["summary"]["created"], 3);
    assert_eq!(report["changes"].as_array().unwrap().len(), 6);

    // What the vendors hold now.
    let agent = world.account("thulium", "mwisniewski").unwrap();
    assert_eq!(agent["number"], 5636);
    assert_eq!(
        world.account("thulium", "anowak").unwrap()["surname"],
        "Nowak"
    );
    assert_eq!(
        world.account("ccp", "AgentSale04").unwrap()["extension"],
        "104"
    );
    assert_eq!(
        world.account("dnl", "lnguyen").unwrap()["email"],
        "lnguyen@example.net"
    );
    assert_eq!(
        world
            .sandbox
            .password_matches("thulium", "mwisniewski", AGENT_PASSWORD)
            .unwrap(),
        Some(true)
    );
    assert_eq!(
        world
            .sandbox
            .password_matches("ccp", "AgentSale05", USER_PASSWORD)
            .unwrap(),
        Some(true)
    );

    // Nothing left to apply; the unlisted accounts (reported) are still drift.
    let again = world.run(&["plan", "-f", f, "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(2), "{}", stdout(&again));
    assert!(stdout(&again).starts_with(
        "No changes to apply, but the providers hold accounts the file does not list"
    ));

    world.sandbox.clear_requests();
    let second = world.run(&["apply", "-f", f, "--auto-approve"]);
    assert_eq!(second.status.code(), Some(0));
    assert!(stdout(&second).starts_with("No changes to apply"));
    assert!(
        world.writes().is_empty(),
        "second apply wrote {:?}",
        world.writes()
    );
}

#[test]
fn apply_without_a_terminal_or_auto_approve_refuses_and_writes_nothing() {
    let (world, file) = standard_world();
    let out = world.run(&["apply", "-f", path_str(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("refusing to apply without confirmation"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--auto-approve"));
    assert!(world.writes().is_empty());
}

#[test]
fn saved_plan_applies_and_a_stale_one_is_refused_naming_the_change() {
    let (world, file) = standard_world();
    let f = path_str(&file);
    let out = world.run(&["plan", "-f", f, "--out", "plan.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let saved = std::fs::read_to_string(world.dir.path().join("plan.json")).unwrap();
    for secret in [
        AGENT_PASSWORD,
        USER_PASSWORD,
        sandbox::CCP_API_KEY,
        "AGENT_PW",
        "http",
    ] {
        assert!(!saved.contains(secret), "{secret} in the saved plan");
    }

    // Someone changes the agent the plan is about to edit.
    world
        .sandbox
        .edit_account("thulium", "anowak", json!({"surname": "Kowalska-Nowak"}))
        .unwrap();
    world.sandbox.clear_requests();
    let stale = world.run(&["apply", "plan.json", "-f", f]);
    assert_eq!(stale.status.code(), Some(1));
    let err = unwrapped(&stderr(&stale));
    assert!(err.contains("no longer matches"), "{err}");
    assert!(
        err.contains("anowak")
            && err.contains("changed on the provider since the plan was made")
            && err.contains("(surname: \"Kowalska\" -> \"Kowalska-Nowak\")"),
        "{err}"
    );
    assert!(
        world.writes().is_empty(),
        "a stale plan wrote {:?}",
        world.writes()
    );

    // A fresh saved plan applies without a question, and exactly as planned.
    assert_eq!(
        world
            .run(&["plan", "-f", f, "--out", "plan2.json"])
            .status
            .code(),
        Some(0)
    );
    let out = world.run(&["apply", "plan2.json", "-f", f]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("matches the file and the providers"));
    assert!(stdout(&out).contains("Apply complete: 3 created, 3 updated"));
    // Only the unlisted accounts (drift under `unlisted: report`) are left.
    let after = world.run(&["plan", "-f", f, "--detailed-exitcode", "--format", "json"]);
    assert_eq!(after.status.code(), Some(2));
    let after: Value = serde_json::from_str(&stdout(&after)).unwrap();
    assert_eq!(after["changes"], json!([]));
    assert_eq!(after["unlisted"].as_array().unwrap().len(), 3);
}

/// A diagnostic's text with miette's line wrapping undone.
fn unwrapped(text: &str) -> String {
    text.replace("\n  │ ", " ")
}

/// Applies `plan.json` after `edit` changed it; asserts it is refused with
/// `expected` in the message and that nothing was written.
fn refused_after_editing_the_saved_plan(
    world: &World,
    f: &str,
    expected: &str,
    edit: impl FnOnce(&mut Value),
) {
    let path = world.dir.path().join("plan.json");
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut saved);
    std::fs::write(world.dir.path().join("edited.json"), saved.to_string()).unwrap();
    world.sandbox.clear_requests();
    let out = world.run(&["apply", "edited.json", "-f", f]);
    let err = unwrapped(&stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{}\n{err}", stdout(&out));
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    assert!(world.writes().is_empty(), "wrote {:?}", world.writes());
}

#[test]
fn a_saved_plan_is_a_promise_an_edited_one_is_refused_and_nothing_in_it_is_obeyed() {
    let (world, file) = standard_world();
    let f = path_str(&file);
    let out = world.run(&["plan", "-f", f, "--out", "plan.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // An edited value.
    refused_after_editing_the_saved_plan(&world, f, "surname: saved \"Attacker\"", |plan| {
        let change = plan["changes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|c| c["key"] == "anowak")
            .unwrap();
        let field = change["fields"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|f| f["name"] == "surname")
            .unwrap();
        field["after"] = json!("Attacker");
    });
    // An injected account.
    refused_after_editing_the_saved_plan(&world, f, "\"intruder\": the saved plan would", |plan| {
        let changes = plan["changes"].as_array_mut().unwrap();
        let mut extra = changes[0].clone();
        extra["key"] = json!("intruder");
        changes.push(extra);
    });
    // A deactivation of every account (the threshold needs --force on apply).
    refused_after_editing_the_saved_plan(&world, f, "the saved plan would deactivate it", |plan| {
        plan["changes"].as_array_mut().unwrap().push(json!({
            "action": "deactivate", "provider": "thulium", "vendor": "thulium", "kind": "agent",
            "key": "jkowalski", "fingerprint": "absent",
            "fields": [{"name": "active", "before": true, "after": false, "sensitive": false, "create_only": false, "sent_only": false, "note": null}]
        }));
        plan["force"] = json!(true);
    });
    // A provider URL or a secret reference: not a member of a saved plan.
    refused_after_editing_the_saved_plan(&world, f, "unknown field `providers`", |plan| {
        plan["providers"] = json!({"thulium": {"url": "http://attacker.example", "auth": {"password": {"env": "HOME"}}}});
    });

    // The desired-state file changed since: named as such, before any vendor is read.
    std::fs::write(
        &file,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("Nowak", "Nowak-Kowalska"),
    )
    .unwrap();
    world.sandbox.clear_requests();
    let out = world.run(&["apply", "plan.json", "-f", f]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("the desired-state file changed since the plan was made"),
        "{err}"
    );
    assert!(
        world.sandbox.requests().is_empty(),
        "read the vendors: {:?}",
        world.sandbox.requests()
    );

    // -f is honoured: another file is another input.
    let other = world.write("other.yaml", &std::fs::read_to_string(&file).unwrap());
    let out = world.run(&["apply", "plan.json", "-f", path_str(&other)]);
    assert!(stderr(&out).contains("changed since the plan was made"));
}

#[test]
fn a_saved_plan_made_with_force_needs_force_on_apply_and_a_second_apply_waits_for_the_lock() {
    let (world, _) = standard_world();
    // Every listed Thulium account is removed from the file: deactivating them needs --force.
    let file = world.write(
        "headcount.yaml",
        &format!(
            "{}agents: []\n",
            world.providers("    unlisted: deactivate\n", "", "")
        ),
    );
    let f = path_str(&file);
    let out = world.run(&[
        "plan",
        "-f",
        f,
        "--target",
        "thulium",
        "--force",
        "--out",
        "plan.json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    world.sandbox.clear_requests();
    let out = world.run(&["apply", "plan.json", "-f", f]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("Needs approval: 3 deactivations"),
        "{}",
        stdout(&out)
    );
    assert!(world.writes().is_empty());

    // Another apply holds the lock: this one refuses, naming it.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(world.dir.path().join("headcount.yaml.lock"))
        .unwrap();
    lock.lock().unwrap();
    let out = world.run(&["apply", "plan.json", "-f", f, "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("another apply is running"),
        "{}",
        stderr(&out)
    );
    assert!(world.writes().is_empty());
    lock.unlock().unwrap();

    let out = world.run(&["apply", "plan.json", "-f", f, "--force"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("3 deactivated"), "{}", stdout(&out));
}

#[test]
fn targets_limit_plan_and_apply() {
    let (world, file) = standard_world();
    let out = world.run(&[
        "apply",
        "-f",
        path_str(&file),
        "--auto-approve",
        "--target",
        "thulium/anowak",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Apply complete: 0 created, 1 updated"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        world.writes(),
        vec!["PUT /thulium/api/agents/anowak".to_string()]
    );
    let bad = world.run(&["plan", "-f", path_str(&file), "--target", "nosuch"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("the file's providers are: thulium, ccp, dnl"),
        "{}",
        stderr(&bad)
    );
    // A key that is neither in the file nor on the provider is a typo, not "No changes".
    let typo = world.run(&["plan", "-f", path_str(&file), "--target", "thulium/anowka"]);
    assert_eq!(typo.status.code(), Some(1), "{}", stdout(&typo));
    assert!(
        stderr(&typo)
            .contains("--target thulium/anowka matches no account in the file or on the provider"),
        "{}",
        stderr(&typo)
    );
    assert!(!stdout(&typo).contains("No changes"));
    // An account only on the provider (unlisted) is a valid target.
    let unlisted = world.run(&["plan", "-f", path_str(&file), "--target", "thulium/ghost"]);
    assert_eq!(unlisted.status.code(), Some(0), "{}", stderr(&unlisted));
}

#[test]
fn unlisted_deactivation_is_guarded_by_the_safety_threshold() {
    let world = World::new(drifted_seed());
    let file = world.write(
        "headcount.yaml",
        &format!(
            "{}{ENTRIES}",
            world.providers("", "", "    unlisted: deactivate\n")
        ),
    );
    let f = path_str(&file);
    // 1 of 3 DNL accounts (33%) is above the default 25%.
    let out = world.run(&["plan", "-f", f]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("over its limit of 25% by 1"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("--allow deactivations"),
        "{}",
        stderr(&out)
    );
    let out = world.run(&["apply", "-f", f, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(world.writes().is_empty());

    let out = world.run(&["apply", "-f", f, "--auto-approve", "--force"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("1 deactivated"), "{}", stdout(&out));
    assert_eq!(world.account("dnl", "tvan").unwrap()["active"], false);
}

#[test]
fn unlisted_ccp_accounts_cannot_be_deactivated_and_the_plan_says_why() {
    let world = World::new(drifted_seed());
    let file = world.write(
        "headcount.yaml",
        &format!(
            "{}{ENTRIES}",
            world.providers("", "    unlisted: deactivate\n", "")
        ),
    );
    let out = world.run(&["plan", "-f", path_str(&file), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let leaver = plan["unlisted"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["key"] == "Leaver01")
        .unwrap();
    assert!(
        leaver["note"].as_str().unwrap().contains("password"),
        "{leaver}"
    );
    assert!(!plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["key"] == "Leaver01"));
}

#[test]
fn a_change_whose_password_variable_is_unset_stops_the_plan_before_any_write() {
    let (world, file) = standard_world();
    let out = world
        .command(&["USER_PW"])
        .args(["apply", "-f", path_str(&file), "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    // The CCP edit needs the password (CCP requires it on every edit), and so do the creates.
    assert!(
        text.contains("environment variable USER_PW is not set (needed for password of ccp/user \"AgentSale04\")"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("nothing was applied"),
        "{}",
        stderr(&out)
    );
    assert!(world.writes().is_empty(), "{:?}", world.writes());
}

#[test]
fn drift_is_quiet_in_sync_and_names_fields_after_an_out_of_band_edit_reading_only() {
    let (world, file) = standard_world();
    let f = path_str(&file);
    assert_eq!(
        world
            .run(&["apply", "-f", f, "--auto-approve"])
            .status
            .code(),
        Some(0)
    );
    let ignore_unlisted = world.write(
        "synced.yaml",
        &format!(
            "{}{ENTRIES}",
            world.providers(
                "    unlisted: ignore\n",
                "    unlisted: ignore\n",
                "    unlisted: ignore\n"
            )
        ),
    );
    world.sandbox.clear_requests();
    let quiet = world.run(&["drift", "-f", path_str(&ignore_unlisted)]);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert_eq!(stdout(&quiet), "", "quiet when in sync");
    let verbose = world.run(&["drift", "-f", path_str(&ignore_unlisted), "--verbose"]);
    assert!(
        stdout(&verbose).contains("No drift: 9 account(s) match the file."),
        "{}",
        stdout(&verbose)
    );

    world
        .sandbox
        .edit_account("ccp", "AgentSale03", json!({"extension": "199"}))
        .unwrap();
    let out = world.run(&["drift", "-f", path_str(&ignore_unlisted)]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("ccp/user \"AgentSale03\": differs from the file"),
        "{text}"
    );
    assert!(
        text.contains("extension: provider has \"199\", file says \"103\""),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("Drift found: 1 different, 0 missing on the provider, 0 unlisted; 8 match."),
        "{text}"
    );

    let out = world.run(&[
        "drift",
        "-f",
        f,
        "--format",
        "json",
        "--output",
        "drift.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(world.dir.path().join("drift.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["in_sync"], false);
    assert_eq!(report["summary"]["different"], 1);
    assert_eq!(report["summary"]["unlisted"], 3);
    assert_eq!(
        report["drift"][0]["fields"][0],
        json!({"name": "extension", "file": "103", "remote": "199"})
    );
    assert!(
        world.writes().is_empty(),
        "drift wrote {:?}",
        world.writes()
    );
}

#[test]
fn import_round_trips_for_every_vendor() {
    let world = World::new(drifted_seed());
    let providers = world.providers("", "", "");
    let providers_file = world.write("providers.yaml", &providers);
    for (provider, count) in [("thulium", 3), ("ccp", 3), ("dnl", 3)] {
        let out = world.run(&[
            "import",
            "--provider",
            provider,
            "-f",
            path_str(&providers_file),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let imported = stdout(&out);
        assert!(
            !imported.contains("x1") && !imported.contains("\"x4\""),
            "no passwords: {imported}"
        );
        let file = world.write(
            &format!("{provider}-roundtrip.yaml"),
            &format!("{providers}{imported}"),
        );
        let f = path_str(&file);
        let valid = world.run(&["validate", "-f", f]);
        assert_eq!(
            valid.status.code(),
            Some(0),
            "{imported}\n{}",
            stderr(&valid)
        );
        let plan = world.run(&["plan", "-f", f, "--detailed-exitcode", "--target", provider]);
        assert_eq!(plan.status.code(), Some(0), "{imported}\n{}", stdout(&plan));
        assert!(
            stdout(&plan).contains(&format!("{count} account(s) match the file")),
            "{}",
            stdout(&plan)
        );
    }
    // --out never overwrites without --force.
    let target = world.write("existing.yaml", "keep me\n");
    let out = world.run(&[
        "import",
        "--provider",
        "dnl",
        "-f",
        path_str(&providers_file),
        "--out",
        path_str(&target),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
    let out = world.run(&[
        "import",
        "--provider",
        "dnl",
        "-f",
        path_str(&providers_file),
        "--out",
        path_str(&target),
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("name: dnhai"));
}

#[test]
fn the_demo_runs_plan_apply_plan_drift_and_offboards_a_person() {
    let out = Command::cargo_bin("headcount")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("demo")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    for needle in [
        "==== 1/7  Plan: what would change? ====",
        "person \"tmazur\" (Tomasz Mazur): 3 changes",
        "Plan: 6 to create, 3 to update, 0 to deactivate; 1 password reset.",
        "Apply complete: 6 created, 3 updated, 0 deactivated, 0 failed.",
        "No changes to apply, but the providers hold accounts the file does not list",
        "surname: provider has \"Changed-In-Panel\", file says \"Kowalski\"",
        "active: provider has false, file says true",
        "(exit code 2)",
        "~ active  = false -> true  # listed in the file, so wanted active",
        "==== 7/7  A person leaves",
        "Plan: 0 to create, 1 to update, 3 to deactivate; 1 password reset.",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn first_errors_say_what_to_do() {
    let (world, file) = standard_world();
    // No file.
    let out = world.run(&["plan", "-f", "nosuch.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nosuch.yaml"), "{}", stderr(&out));

    // A missing environment variable is named.
    let out = world
        .command(&["TH_USER"])
        .args(["plan", "-f", path_str(&file)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("environment variable TH_USER is not set"),
        "{}",
        stderr(&out)
    );

    // Wrong credentials: one clear error naming the provider.
    let wrong = world.write(
        "wrong.yaml",
        &format!("{}{ENTRIES}", world.providers("", "", ""))
            .replace("{ env: CCP_KEY }", "{ env: AGENT_PW }"),
    );
    let out = world.run(&["plan", "-f", path_str(&wrong)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("ccp") && err.contains("credentials"), "{err}");
    assert!(!err.contains(AGENT_PASSWORD), "{err}");

    // Vendor unreachable.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = world.write(
        "unreachable.yaml",
        &format!(
            "version: 1\nproviders:\n  thulium:\n    type: thulium\n    url: http://127.0.0.1:{closed}/thulium\n    timeout: 2\n    auth: {{ username: {{ env: TH_USER }}, password: {{ env: TH_PASS }} }}\n"
        ),
    );
    // A refused connection is not retried: nothing listens there.
    let out = world.run(&["plan", "-f", path_str(&unreachable)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unreachable"), "{}", stderr(&out));
    let flat = stderr(&out).replace('│', " ");
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!(
            "cannot connect to http://127.0.0.1:{closed}/thulium: connection refused"
        )),
        "{flat}"
    );
}

#[test]
fn an_invalid_account_is_reported_like_validate_even_while_the_vendors_are_read() {
    // The providers are valid, so plan starts reading the vendors while it
    // checks the accounts; the file's problem must still be what the user
    // sees, exactly as `validate` reports it, and nothing may be written.
    let (world, _) = standard_world();
    let broken = world.write(
        "broken.yaml",
        &format!("{}{ENTRIES}", world.providers("", "", ""))
            .replace("surname: Wisniewski", "surnme: Wisniewski"),
    );
    let validate = world.run(&["validate", "-f", path_str(&broken)]);
    assert_eq!(validate.status.code(), Some(1));
    for command in ["plan", "apply", "drift"] {
        let mut args = vec![command, "-f", path_str(&broken)];
        if command == "apply" {
            args.push("--auto-approve");
        }
        let out = world.run(&args);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("unknown field `surnme`"), "{command}: {err}");
        assert!(err.contains("did you mean `surname`?"), "{command}: {err}");
        assert!(stdout(&out).is_empty(), "{command}: {}", stdout(&out));
    }
    assert!(world.writes().is_empty(), "{:?}", world.writes());

    // Both a broken account and a missing credential: the file comes first.
    let out = world
        .command(&["TH_USER"])
        .args(["plan", "-f", path_str(&broken)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("unknown field `surnme`"), "{err}");
    assert!(!err.contains("TH_USER"), "{err}");

    // And a valid file with an unknown --target still names the target.
    let file = world.write(
        "ok.yaml",
        &format!("{}{ENTRIES}", world.providers("", "", "")),
    );
    let out = world.run(&["plan", "-f", path_str(&file), "--target", "nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nosuch"), "{}", stderr(&out));
}

/// Issue 20: the plan lists every field apply sends. For each change the
/// sandbox received (create, update, deactivate, rotation, on all three
/// vendors) the names of the body's members equal the fields the JSON plan
/// listed for that change (wire names mapped back: `passwd` and
/// `confirm_password` carry the password; `user_uuid` is the account's id).
#[test]
fn every_request_apply_sends_has_exactly_the_fields_the_plan_listed() {
    let world = World::new(json!({
        "thulium": [
            {"login": "tedit", "name": "T", "surname": "Old", "number": 7002, "password": "x1"},
            {"login": "toff", "name": "T", "surname": "Off", "number": 7003, "password": "x2"}
        ],
        "ccp": [
            {"username": "cedit", "level": "agent", "role_uuid": "r-1", "extension": "299", "password": "x3"},
            {"username": "coff", "level": "agent", "role_uuid": "r-1", "password": "x4"},
            {"username": "crot", "level": "agent", "role_uuid": "r-1", "password": "x5"}
        ],
        "dnl": [
            {"name": "dedit", "user_type": "agent", "email": "old@example.net", "passwd": "x6"},
            {"name": "doff", "user_type": "agent", "passwd": "x7"},
            {"name": "drot", "user_type": "agent", "passwd": "x8"}
        ]
    }));
    let file = world.write(
        "headcount.yaml",
        &format!(
            "{}{}",
            world.providers("", "", ""),
            r#"agents:
  - { login: tnew, name: T, surname: New, number: "7001", password: { env: AGENT_PW } }
  - { login: tedit, name: T, surname: Edited, number: "7002", password: { env: AGENT_PW } }
  - { login: toff, name: T, surname: Off, number: "7003", active: false, password: { env: AGENT_PW } }
users:
  - { provider: ccp, username: cnew, level: agent, role_uuid: r-1, extension: "201", password: { env: USER_PW } }
  - { provider: ccp, username: cedit, level: agent, role_uuid: r-1, extension: "202", password: { env: USER_PW } }
  - { provider: ccp, username: coff, level: agent, role_uuid: r-1, is_active: false, password: { env: USER_PW } }
  - { provider: ccp, username: crot, level: agent, role_uuid: r-1, password: { env: USER_PW } }
  - { provider: dnl, name: dnew, user_type: agent, email: dnew@example.net, password: { env: USER_PW } }
  - { provider: dnl, name: dedit, user_type: agent, email: new@example.net, password: { env: USER_PW } }
  - { provider: dnl, name: doff, user_type: agent, active: false, password: { env: USER_PW } }
  - { provider: dnl, name: drot, user_type: agent, password: { env: USER_PW } }
"#
        ),
    );
    let f = path_str(&file);
    let rotate = ["--rotate", "ccp/crot", "--rotate", "dnl/dr?t", "--force"];
    let out = world.run(&[&["plan", "-f", f, "--format", "json"][..], &rotate[..]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["summary"]["password_resets"], 4, "{plan:#}");

    // The id in each vendor's edit path, by key.
    let path_of = |vendor: &str, key: &str, action: &str| -> String {
        match (vendor, action) {
            ("thulium", "create") => "/thulium/api/agents".into(),
            ("ccp", "create") => "/ccp/v3/user".into(),
            ("dnl", "create") => "/dnl/user/create".into(),
            ("thulium", _) => format!("/thulium/api/agents/{key}"),
            ("ccp", _) => format!(
                "/ccp/v3/user/{}",
                world.account("ccp", key).unwrap()["user_uuid"]
                    .as_str()
                    .unwrap()
            ),
            _ => format!(
                "/dnl/user/{}",
                world.account("dnl", key).unwrap()["user_id"]
            ),
        }
    };
    let mut expected: Vec<(String, std::collections::BTreeSet<String>)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let fields = c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect();
            let path = path_of(
                c["vendor"].as_str().unwrap(),
                c["key"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            );
            (path, fields)
        })
        .collect();
    let actions: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap(), c["action"].as_str().unwrap()))
        .collect();
    for wanted in [
        ("tnew", "create"),
        ("tedit", "update"),
        ("toff", "deactivate"),
        ("cnew", "create"),
        ("cedit", "update"),
        ("coff", "deactivate"),
        ("crot", "update"),
        ("dnew", "create"),
        ("dedit", "update"),
        ("doff", "deactivate"),
        ("drot", "update"),
    ] {
        assert!(actions.contains(&wanted), "{wanted:?} not in {actions:?}");
    }

    world.sandbox.clear_requests();
    let out = world.run(&[&["apply", "-f", f, "--auto-approve"][..], &rotate[..]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let mut received: Vec<(String, std::collections::BTreeSet<String>)> = world
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| {
            r.method != "GET" && !r.path.ends_with("/auth/token") && !r.path.ends_with("/dnl/auth")
        })
        .map(|r| {
            let fields = r
                .fields
                .unwrap_or_default()
                .into_iter()
                .filter(|name| name != "user_uuid")
                .map(|name| match name.as_str() {
                    "passwd" | "confirm_password" => "password".to_string(),
                    _ => name,
                })
                .collect();
            (r.path, fields)
        })
        .collect();
    expected.sort();
    received.sort();
    assert_eq!(received, expected);

    // A saved plan that rotates passwords is applied only with the same --rotate.
    world.sandbox.clear_requests();
    let out = world.run(&["plan", "-f", f, "--rotate", "dnl/drot", "--out", "rot.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = world.run(&["apply", "rot.json", "-f", f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--rotate (none) differs from the saved plan's (dnl/drot)"),
        "{}",
        stderr(&out)
    );
    assert!(world.writes().is_empty());
    let out = world.run(&["apply", "rot.json", "-f", f, "--rotate", "dnl/drot"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(world.writes().len(), 1, "{:?}", world.writes());

    // The rotated passwords were set; the plan said so.
    assert_eq!(
        world
            .sandbox
            .password_matches("dnl", "drot", USER_PASSWORD)
            .unwrap(),
        Some(true)
    );
    assert_eq!(
        world
            .sandbox
            .password_matches("ccp", "crot", USER_PASSWORD)
            .unwrap(),
        Some(true)
    );
}

#[test]
fn ccp_edits_show_the_password_reset_and_thulium_cannot_rotate() {
    let (world, file) = standard_world();
    let f = path_str(&file);
    let out = world.run(&["plan", "-f", f, "--target", "ccp/AgentSale04"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("~ password  = (sensitive)  # CCP sets the password on every edit"),
        "{text}"
    );
    assert!(
        text.contains("# also sent, unchanged: username, email, level, role_uuid"),
        "{text}"
    );
    assert!(
        text.contains("0 to deactivate; 1 password reset."),
        "{text}"
    );
    let verbose =
        stdout(&world.run(&["plan", "-f", f, "--target", "ccp/AgentSale04", "--verbose"]));
    assert!(
        verbose.contains("level") && verbose.contains("= \"agent\""),
        "{verbose}"
    );
    let md = stdout(&world.run(&[
        "plan",
        "-f",
        f,
        "--target",
        "ccp/AgentSale04",
        "--format",
        "markdown",
    ]));
    assert!(md.contains("**1 password reset**"), "{md}");
    assert!(md.contains("| ccp | 0 | 1 | 0 | 0 | 1 |"), "{md}");
    assert!(
        md.contains("+ password = (sensitive)  # CCP sets the password on every edit"),
        "{md}"
    );

    let out = world.run(&["plan", "-f", f, "--rotate", "thulium/anowak"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("Thulium's edit is not documented to take a password"),
        "{}",
        stdout(&out)
    );
}
