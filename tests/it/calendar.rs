//! Joiners, movers and leavers on a calendar, and the guardrails that ask a
//! person (exit 3), end to end: the binary against the sandbox. Dates are
//! computed from today through the function headcount uses
//! (`workflow::today`), or passed with `--at`: no test depends on the
//! real date.

use headcount::desired::types::{Date, Zone};
use serde_json::{json, Value};

use crate::common;
use common::{stderr, stdout, World};

const PW: &str = "Calendar-Pass-51c2";

fn world(seed: Value) -> World {
    World::new(seed).with_env("PW", PW)
}

fn today() -> Date {
    headcount::workflow::today(&Zone::default())
}

fn day(offset: i64) -> Date {
    today().checked_add(jiff::Span::new().days(offset)).unwrap()
}

/// Providers whose deactivation limit lets a handful of accounts through
/// (the sandbox holds only a few).
fn providers(world: &World) -> String {
    let extra = "    limits: { deactivations: 100% }\n";
    world.providers(extra, extra, extra)
}

fn write(world: &World, text: &str) -> String {
    world
        .write("headcount.yaml", text)
        .to_str()
        .unwrap()
        .to_string()
}

/// `headcount ARGS`: exit code and standard output.
fn run(world: &World, args: &[&str]) -> (Option<i32>, String) {
    let out = world.run(args);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    (out.status.code(), text)
}

fn json_plan(world: &World, args: &[&str]) -> Value {
    let out = world.run(args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

fn actions(plan: &Value) -> Vec<(String, String, String, Option<String>)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_string(),
                c["provider"].as_str().unwrap().to_string(),
                c["key"].as_str().unwrap().to_string(),
                c["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// One change as [`actions`] lists it.
fn ch(
    action: &str,
    provider: &str,
    key: &str,
    reason: Option<String>,
) -> (String, String, String, Option<String>) {
    (action.into(), provider.into(), key.into(), reason)
}

fn person(id: &str, dates: &str, accounts: &str) -> String {
    format!("  - id: {id}\n    name: Anna\n    surname: Nowak\n{dates}    accounts:\n{accounts}")
}

const THULIUM: &str = "      thulium: { number: \"5634\", password: { env: PW } }\n";
const DNL: &str = "      dnl: { user_type: agent, password: { env: PW } }\n";

#[test]
fn a_joiner_starting_tomorrow_is_created_tomorrow_not_today() {
    let world = world(json!({}));
    let tomorrow = day(1);
    let f = write(
        &world,
        &format!(
            "{}people:\n{}",
            providers(&world),
            person(
                "anowak",
                &format!("    start: {tomorrow}\n"),
                &format!("{THULIUM}{DNL}")
            )
        ),
    );
    let (code, text) = run(&world, &["plan", "-f", &f, "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("No changes"), "{text}");
    assert!(text.contains(&format!("as of {} (UTC)", today())), "{text}");

    let at = tomorrow.to_string();
    let plan = json_plan(&world, &["plan", "-f", &f, "--at", &at, "--format", "json"]);
    let reason = Some(format!("starts {tomorrow}"));
    assert_eq!(
        actions(&plan),
        [
            ch("create", "thulium", "anowak", reason.clone()),
            ch("create", "dnl", "anowak", reason),
        ]
    );
    assert_eq!(plan["at"], at);
    let (_, text) = run(&world, &["plan", "-f", &f, "--at", &at]);
    assert!(
        text.contains(&format!(
            "thulium/agent \"anowak\" will be created  # starts {tomorrow}"
        )),
        "{text}"
    );
    // Nothing was written by planning.
    assert_eq!(world.sandbox.count("thulium").unwrap(), 0);
}

#[test]
fn a_leaver_is_deactivated_everywhere_and_a_rehire_is_reactivated_without_a_create() {
    let world = world(json!({}));
    let both = format!("{THULIUM}{DNL}");
    let file = |dates: &str| {
        write(
            &world,
            &format!(
                "{}people:\n{}",
                providers(&world),
                person("anowak", dates, &both)
            ),
        )
    };
    // Hired: the accounts are created.
    let f = file(&format!("    start: {}\n", day(-30)));
    let (code, text) = run(&world, &["apply", "-f", &f, "--auto-approve"]);
    assert_eq!(code, Some(0), "{text}");

    // Their end was yesterday: every account is deactivated, none deleted.
    let yesterday = day(-1);
    let f = file(&format!("    start: {}\n    end: {yesterday}\n", day(-30)));
    let plan = json_plan(&world, &["plan", "-f", &f, "--format", "json"]);
    let left = Some(format!("left {yesterday}"));
    assert_eq!(
        actions(&plan),
        [
            ch("deactivate", "thulium", "anowak", left.clone()),
            ch("deactivate", "dnl", "anowak", left),
        ]
    );
    let (code, text) = run(&world, &["apply", "-f", &f, "--auto-approve"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&format!("# left {yesterday}")), "{text}");
    let thulium = world.sandbox.account("thulium", "anowak").unwrap().unwrap();
    assert_eq!(thulium["active"], false, "{thulium}");
    let (code, text) = run(&world, &["plan", "-f", &f, "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "{text}");

    // Re-hired today: the old end replaced by a new start. The accounts
    // are set active again; nothing is created.
    let f = file(&format!("    start: {}\n", day(0)));
    let plan = json_plan(&world, &["plan", "-f", &f, "--format", "json"]);
    let starts = Some(format!("starts {}", day(0)));
    assert_eq!(
        actions(&plan),
        [
            ch("update", "thulium", "anowak", starts.clone()),
            ch("update", "dnl", "anowak", starts),
        ]
    );
    let (code, text) = run(&world, &["apply", "-f", &f, "--auto-approve"]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(world.sandbox.count("thulium").unwrap(), 1);
    assert_eq!(world.sandbox.count("dnl").unwrap(), 1);
    let thulium = world.sandbox.account("thulium", "anowak").unwrap().unwrap();
    assert_eq!(thulium["active"], true, "{thulium}");
}

#[test]
fn a_movers_two_accounts_switch_on_the_day() {
    let world = world(json!({}));
    // Thulium until today, DNL from tomorrow.
    let (last, first) = (day(0), day(1));
    let f = write(
        &world,
        &format!(
            "{}people:\n{}",
            providers(&world),
            person(
                "anowak",
                "",
                &format!(
                    "      thulium: {{ number: \"5634\", password: {{ env: PW }}, end: {last} }}\n      dnl: {{ user_type: agent, password: {{ env: PW }}, start: {first} }}\n"
                )
            )
        ),
    );
    let (code, text) = run(&world, &["apply", "-f", &f, "--auto-approve"]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(world.sandbox.count("thulium").unwrap(), 1);
    assert_eq!(world.sandbox.count("dnl").unwrap(), 0);

    let plan = json_plan(
        &world,
        &[
            "plan",
            "-f",
            &f,
            "--at",
            &first.to_string(),
            "--format",
            "json",
        ],
    );
    assert_eq!(
        actions(&plan),
        [
            ch(
                "deactivate",
                "thulium",
                "anowak",
                Some(format!("left {last}"))
            ),
            ch("create", "dnl", "anowak", Some(format!("starts {first}"))),
        ]
    );
    // The day before, nothing changes.
    let (code, text) = run(
        &world,
        &[
            "plan",
            "-f",
            &f,
            "--at",
            &last.to_string(),
            "--detailed-exitcode",
        ],
    );
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_thousand_leavers_need_approval_and_a_saved_plan_keeps_its_allow() {
    let accounts: Vec<Value> = (0..1000)
        .map(|i| json!({"login": format!("a{i:04}"), "name": "A", "surname": "B", "number": 6000 + i, "password": "x"}))
        .collect();
    let world = world(json!({ "thulium": accounts }));
    let yesterday = day(-1);
    let mut text = format!("{}people:\n", world.providers("", "", ""));
    for i in 0..1000 {
        text.push_str(&format!(
            "  - {{ id: a{i:04}, name: A, surname: B, end: {yesterday}, accounts: {{ thulium: {{ number: \"{}\", password: {{ env: PW }} }} }} }}\n",
            6000 + i
        ));
    }
    let f = write(&world, &text);

    // Over the default deactivation limit (25%): exit 3, naming it.
    let (code, out) = run(&world, &["plan", "-f", &f]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(
            "1000 deactivations of 1000 accounts on thulium (100%): over its limit of 25% by 750"
        ),
        "{out}"
    );
    assert!(out.contains("--allow deactivations"), "{out}");
    // The pull-request comment says so at the top, with the label that allows it.
    let (code, md) = run(&world, &["plan", "-f", &f, "--format", "markdown"]);
    assert_eq!(code, Some(3));
    assert!(
        md.starts_with("### headcount plan\n\n#### :raised_hand: Needs approval\n"),
        "{md}"
    );
    assert!(md.contains("`headcount: allow deactivations`"), "{md}");
    let plan = json_plan(&world, &["plan", "-f", &f, "--format", "json"]);
    assert_eq!(plan["needs_approval"], true);
    assert_eq!(plan["guardrails"][0]["kind"], "deactivations");
    // apply stops before any write.
    world.sandbox.clear_requests();
    let (code, out) = run(&world, &["apply", "-f", &f, "--auto-approve"]);
    assert_eq!(code, Some(3), "{out}");
    let writes: Vec<String> = world
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| {
            r.method != "GET" && !r.path.ends_with("/auth/token") && !r.path.ends_with("/dnl/auth")
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    // Allowing another kind does not help.
    let (code, _) = run(&world, &["plan", "-f", &f, "--allow", "creates,updates"]);
    assert_eq!(code, Some(3));

    // A saved plan made with --allow is applied only with the same --allow.
    let (code, out) = run(
        &world,
        &[
            "plan",
            "-f",
            &f,
            "--allow",
            "deactivations",
            "--out",
            "plan.json",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(world.dir.path().join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(saved["allow"], json!(["deactivations"]));
    assert_eq!(saved["at"], today().to_string());
    let (code, out) = run(&world, &["apply", "plan.json", "-f", &f]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("--allow none differs from the saved plan's (deactivations)"),
        "{out}"
    );
    assert_eq!(world.sandbox.count("thulium").unwrap(), 1000);

    let (code, out) = run(
        &world,
        &["apply", "plan.json", "-f", &f, "--allow", "deactivations"],
    );
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&world, &["plan", "-f", &f, "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "{out}");
    let a = world.sandbox.account("thulium", "a0999").unwrap().unwrap();
    assert_eq!(a["active"], false);
}

#[test]
fn a_saved_plan_made_for_another_day_is_refused() {
    let world = world(json!({}));
    let f = write(
        &world,
        &format!(
            "{}people:\n{}",
            providers(&world),
            person("anowak", &format!("    start: {}\n", day(1)), THULIUM)
        ),
    );
    let at = day(1).to_string();
    let (code, out) = run(
        &world,
        &["plan", "-f", &f, "--at", &at, "--out", "plan.json"],
    );
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&world, &["apply", "plan.json", "-f", &f]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "the saved plan was made for {at}, today is {}",
            today()
        )),
        "{out}"
    );
    assert_eq!(world.sandbox.count("thulium").unwrap(), 0);
}

#[test]
fn upcoming_lists_joiners_movers_and_leavers_by_day_and_its_json_matches_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("headcount.yaml");
    std::fs::write(
        &file,
        r#"version: 1
timezone: Europe/Warsaw
providers:
  thulium: { type: thulium, url: "http://127.0.0.1:1/thulium", auth: { username: { env: U }, password: { env: P } } }
  dnl: { type: dnl, url: "http://127.0.0.1:1/dnl", auth: { username: admin, password: { env: P } } }
people:
  - id: anowak
    name: Anna
    surname: Nowak
    start: 2026-12-07
    accounts:
      thulium: { number: "5634", password: { env: PW } }
  - id: jkowalski
    name: Jan
    surname: Kowalski
    end: 2026-12-10
    accounts:
      thulium: { number: "5635", password: { env: PW } }
      dnl: { user_type: agent, password: { env: PW } }
  - id: mwisniewski
    name: Marek
    surname: Wisniewski
    accounts:
      thulium: { number: "5636", password: { env: PW }, end: 2026-12-13 }
      dnl: { user_type: agent, password: { env: PW }, start: 2026-12-14 }
  - id: later
    start: 2027-02-01
    accounts:
      dnl: { user_type: agent, password: { env: PW } }
"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    // No vendor is reachable at those URLs: upcoming reads only the file.
    let run = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("headcount")
            .unwrap()
            .env_clear()
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["upcoming", "-f", f, "--at", "2026-12-03", "--days", "14"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "Upcoming from 2026-12-03 to 2026-12-17 (Europe/Warsaw):",
        "Mon 2026-12-07\n  Anna Nowak joins: +thulium/anowak (starts 2026-12-07)",
        "Fri 2026-12-11\n  Jan Kowalski leaves: -thulium/jkowalski (left 2026-12-10), -dnl/jkowalski (left 2026-12-10)",
        "Mon 2026-12-14\n  Marek Wisniewski moves: -thulium/mwisniewski (left 2026-12-13), +dnl/mwisniewski (starts 2026-12-14)",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains("later"), "{text}");

    let out = run(&[
        "upcoming",
        "-f",
        f,
        "--at",
        "2026-12-03",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/upcoming.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let days: Vec<&str> = report["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-12-07", "2026-12-11", "2026-12-14"]);
    assert_eq!(report["days"][2]["people"][0]["movement"], "moves");

    // The committed schema is the generated one.
    let out = run(&["schema", "upcoming"]);
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string("schemas/upcoming.schema.json").unwrap(),
        "schemas/upcoming.schema.json is out of date: run `cargo run -- schema upcoming > schemas/upcoming.schema.json`"
    );
}

#[test]
fn a_file_cut_in_half_by_a_bad_merge_is_stopped_before_any_write() {
    let accounts: Vec<Value> = (0..40)
        .map(|i| json!({"login": format!("a{i:02}"), "name": "A", "surname": "B", "number": 6000 + i, "password": "x"}))
        .collect();
    let world = world(json!({ "thulium": accounts }));
    let mut text = format!(
        "{}people:\n",
        world.providers("    unlisted: deactivate\n", "", "")
    );
    // Only the first half of the people survived the merge.
    for i in 0..20 {
        text.push_str(&format!(
            "  - {{ id: a{i:02}, name: A, surname: B, accounts: {{ thulium: {{ number: \"{}\", password: {{ env: PW }} }} }} }}\n",
            6000 + i
        ));
    }
    let f = write(&world, &text);
    world.sandbox.clear_requests();
    let (code, out) = run(&world, &["apply", "-f", &f, "--auto-approve"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(
            "20 deactivations of 40 accounts on thulium (50%): over its limit of 25% by 10"
        ),
        "{out}"
    );
    assert!(world.sandbox.requests().iter().all(|r| r.method == "GET"
        || r.path.ends_with("/auth/token")
        || r.path.ends_with("/dnl/auth")));
    let a = world.sandbox.account("thulium", "a39").unwrap().unwrap();
    assert_eq!(a["active"], true);
}
