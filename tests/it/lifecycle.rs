//! The lifecycle of the file's accounts, end to end (the binary against an
//! in-process sandbox): a listed account is wanted active, provider
//! `defaults:` and `ignore:`, and one meaning of "unlisted" in every output.

use std::path::PathBuf;

use serde_json::{json, Value};

const PASSWORD: &str = "Lifecycle-Pass-41b7";

use crate::common;
use common::{stderr, stdout, World};

/// A world whose accounts' password variable `PW` is set.
fn world(seed: Value) -> World {
    World::new(seed).with_env("PW", PASSWORD)
}

/// One account per vendor, as the entries of [`ENTRIES`] describe them.
fn matching_seed() -> Value {
    json!({
        "thulium": [
            {"login": "jkowalski", "name": "Jan", "surname": "Kowalski", "number": 5634, "password": PASSWORD}
        ],
        "ccp": [
            {"username": "AgentSale03", "level": "agent", "role_uuid": "r-1", "extension": "103", "password": PASSWORD}
        ],
        "dnl": [
            {"name": "dnhai", "user_type": "agent", "email": "dnhai@example.net", "passwd": PASSWORD}
        ]
    })
}

const ENTRIES: &str = r#"agents:
  - { login: jkowalski, name: Jan, surname: Kowalski, number: "5634", password: { env: PW } }
users:
  - { provider: ccp, username: AgentSale03, level: agent, role_uuid: r-1, extension: "103", password: { env: PW } }
  - { provider: dnl, name: dnhai, user_type: agent, email: dnhai@example.net, password: { env: PW } }
"#;

fn active_of(world: &World, vendor: &str, key: &str) -> Value {
    let account = world.sandbox.account(vendor, key).unwrap().unwrap();
    match vendor {
        "ccp" => account["user_enabled"].clone(),
        _ => account["active"].clone(),
    }
}

#[test]
fn an_account_deactivated_out_of_band_is_drift_planned_and_reactivated_on_every_vendor() {
    let world = world(matching_seed());
    let file = world.write(
        "headcount.yaml",
        &format!("{}{ENTRIES}", world.providers("", "", "")),
    );
    let file = file.to_str().unwrap();
    let out = world.run(&["drift", "-f", file]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Someone suspends each account on the vendor.
    for (vendor, key, patch) in [
        ("thulium", "jkowalski", json!({"active": false})),
        ("ccp", "AgentSale03", json!({"user_enabled": false})),
        ("dnl", "dnhai", json!({"active": false})),
    ] {
        world.sandbox.edit_account(vendor, key, patch).unwrap();
    }

    let drift = world.run(&["drift", "-f", file]);
    assert_eq!(drift.status.code(), Some(2), "{}", stderr(&drift));
    let text = stdout(&drift);
    for line in [
        "thulium/agent \"jkowalski\": differs from the file\n    active: provider has false, file says true",
        "ccp/user \"AgentSale03\": differs from the file\n    is_active: provider has false, file says true",
        "dnl/user \"dnhai\": differs from the file\n    active: provider has false, file says true",
        "Drift found: 3 different, 0 missing on the provider, 0 unlisted; 0 match.",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }

    let plan = world.run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert!(
        text.contains("~ active = false -> true  # listed in the file, so wanted active"),
        "{text}"
    );
    assert!(
        text.contains("~ is_active = false -> true  # listed in the file"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to create, 3 to update, 0 to deactivate; 1 password reset."),
        "{text}"
    );

    let apply = world.run(&["apply", "-f", file, "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert_eq!(active_of(&world, "thulium", "jkowalski"), json!(true));
    assert_eq!(active_of(&world, "ccp", "AgentSale03"), json!("true"));
    assert_eq!(active_of(&world, "dnl", "dnhai"), json!(true));
    // CCP's edit sets the password, as every CCP edit does: the file's.
    assert!(world
        .sandbox
        .password_matches("ccp", "AgentSale03", PASSWORD)
        .unwrap()
        .unwrap());

    let again = world.run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn active_false_in_the_file_suspends_an_account_and_keeps_it_suspended() {
    let world = world(matching_seed());
    let entries = ENTRIES.replace("number: \"5634\",", "number: \"5634\", active: false,");
    let file = world.write(
        "headcount.yaml",
        &format!("{}{entries}", world.providers("", "", "")),
    );
    let file = file.to_str().unwrap();
    // The one Thulium agent is all of that provider's accounts: above the
    // deactivation threshold, so --force.
    let apply = world.run(&["apply", "-f", file, "--auto-approve", "--force"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        stdout(&apply).contains("thulium/agent \"jkowalski\" will be deactivated"),
        "{}",
        stdout(&apply)
    );
    assert_eq!(active_of(&world, "thulium", "jkowalski"), json!(false));
    let drift = world.run(&["drift", "-f", file]);
    assert_eq!(drift.status.code(), Some(0), "{}", stdout(&drift));
}

#[test]
fn defaults_plan_exactly_as_the_values_written_out() {
    let world = world(json!({
        "thulium": [
            {"login": "jkowalski", "name": "Jan", "surname": "Kowalski", "number": 5634, "outbound_mode": "auto", "password": PASSWORD}
        ],
        "dnl": [
            {"name": "dnhai", "user_type": "client", "email": "dnhai@example.net", "passwd": PASSWORD}
        ]
    }));
    let with_defaults = format!(
        "{}{}",
        world.providers(
            "    defaults: { outbound_mode: manual, password: { env: PW } }\n",
            "",
            "    defaults:\n      user_type: agent\n      password: { env: PW }\n"
        ),
        r#"x-names: &surname Kowalski
agents:
  - { login: jkowalski, name: Jan, surname: *surname, number: "5634" }
  - { login: mnowak, name: Maria, surname: Nowak, number: "5640" }
users:
  - { provider: dnl, name: dnhai, email: dnhai@example.net }
  - { provider: dnl, name: tpham, user_type: client }
"#
    );
    let written_out = format!(
        "{}{}",
        world.providers("", "", ""),
        r#"agents:
  - { login: jkowalski, name: Jan, surname: Kowalski, number: "5634", outbound_mode: manual, password: { env: PW } }
  - { login: mnowak, name: Maria, surname: Nowak, number: "5640", outbound_mode: manual, password: { env: PW } }
users:
  - { provider: dnl, name: dnhai, email: dnhai@example.net, user_type: agent, password: { env: PW } }
  - { provider: dnl, name: tpham, user_type: client, password: { env: PW } }
"#
    );
    let a = world.write("defaults.yaml", &with_defaults);
    let b = world.write("written-out.yaml", &written_out);
    let plan = |path: &PathBuf| {
        let out = world.run(&["plan", "-f", path.to_str().unwrap(), "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_str::<Value>(&stdout(&out)).unwrap()
    };
    let (pa, pb) = (plan(&a), plan(&b));
    assert_eq!(pa, pb);
    // Not vacuous: the defaults make an update and fill the creates.
    let summary = &pa["summary"];
    assert_eq!(
        (summary["create"].as_u64(), summary["update"].as_u64()),
        (Some(2), Some(2)),
        "{pa:#}"
    );
    // The entry's own value wins over the default.
    let tpham = pa["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "tpham")
        .unwrap();
    assert!(tpham["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "user_type" && f["after"] == "client"));
}

#[test]
fn defaults_are_checked_like_entry_fields_with_their_location() {
    let world = world(json!({}));
    let file = world.write(
        "headcount.yaml",
        &format!(
            "{}{}",
            world.providers(
                "    defaults:\n      login: everyone\n      outbound_mode: predictive\n      emial: a@b.c\n      password: hunter2\n",
                "",
                ""
            ),
            "agents:\n  - { login: jkowalski, name: Jan, number: \"5634\" }\n"
        ),
    );
    let out = world.run(&["validate", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    for expected in [
        "`login` cannot have a default in the `defaults` of provider `thulium`",
        "headcount.yaml:8:7",
        "unknown field `emial` in the `defaults` of provider `thulium`",
        "did you mean `email`?",
        "`defaults.password` of provider `thulium` is written in plain text",
        "thulium agent `jkowalski` is missing `surname`",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(text.contains("outbound_mode"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    // A required field may come from defaults.
    let ok = world.write(
        "ok.yaml",
        &format!(
            "{}{}",
            world.providers(
                "    defaults: { surname: Kowalski, password: { env: PW } }\n",
                "",
                ""
            ),
            "agents:\n  - { login: jkowalski, name: Jan, number: \"5634\" }\n"
        ),
    );
    let out = world.run(&["validate", "-f", ok.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Service accounts on every vendor besides the accounts of [`ENTRIES`].
fn seed_with_service_accounts() -> Value {
    let mut seed = matching_seed();
    seed["thulium"].as_array_mut().unwrap().push(
        json!({"login": "api-crm", "name": "API", "surname": "CRM", "number": 5900, "password": "s1"}),
    );
    seed["ccp"]
        .as_array_mut()
        .unwrap()
        .push(json!({"username": "admin", "level": "admin", "role_uuid": "r-0", "password": "s2"}));
    seed["dnl"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "api-billing", "user_type": "agent", "passwd": "s3"}));
    seed
}

#[test]
fn ignored_accounts_are_left_out_of_plan_drift_and_import() {
    let world = world(seed_with_service_accounts());
    let providers = world.providers(
        "    ignore: [\"api-*\"]\n",
        "    ignore: [admin]\n    unlisted: deactivate\n",
        "    ignore: [\"api-?illing\"]\n",
    );
    let file = world.write("headcount.yaml", &format!("{providers}{ENTRIES}"));
    let file = file.to_str().unwrap();

    let plan = world.run(&[
        "plan",
        "-f",
        file,
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
    let json: Value = serde_json::from_str(&stdout(&plan)).unwrap();
    assert_eq!(json["unlisted"], json!([]));
    assert_eq!(json["changes"], json!([]));
    assert_eq!(json["in_sync"], json!(true));

    let drift = world.run(&["drift", "-f", file]);
    assert_eq!(drift.status.code(), Some(0), "{}", stdout(&drift));

    for provider in ["thulium", "ccp", "dnl"] {
        let import = world.run(&["import", "-f", file, "--provider", provider]);
        assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
        let text = stdout(&import);
        for service in ["api-crm", "admin", "api-billing"] {
            assert!(!text.contains(service), "{service} imported:\n{text}");
        }
    }
    assert!(stdout(&world.run(&["import", "-f", file, "--provider", "dnl"])).contains("dnhai"));

    // Without the patterns they are unlisted (and CCP's admin would be deactivated).
    let bare = world.write(
        "bare.yaml",
        &format!(
            "{}{ENTRIES}",
            world.providers("", "    unlisted: deactivate\n", "")
        ),
    );
    let plan = world.run(&[
        "plan",
        "-f",
        bare.to_str().unwrap(),
        "--format",
        "json",
        "--force",
    ]);
    let json: Value = serde_json::from_str(&stdout(&plan)).unwrap();
    assert_eq!(json["unlisted"].as_array().unwrap().len(), 3, "{json:#}");
}

#[test]
fn an_ignored_account_the_file_lists_is_a_validation_error() {
    let world = world(json!({}));
    let file = world.write(
        "headcount.yaml",
        &format!(
            "{}{ENTRIES}",
            world.providers("    ignore: [\"jk*\", \"[\"]\n", "", "")
        ),
    );
    let out = world.run(&["validate", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("`ignore` pattern \"[\" is not valid"),
        "{text}"
    );
    let file = world.write(
        "headcount.yaml",
        &format!(
            "{}{ENTRIES}",
            world.providers("    ignore: [\"jk*\"]\n", "", "")
        ),
    );
    let out = world.run(&["validate", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("agent `jkowalski` is listed, but provider `thulium` ignores it (`ignore:` pattern \"jk*\")"),
        "{text}"
    );
    assert!(text.contains("headcount.yaml:17:"), "{text}");
}

#[test]
fn an_unlisted_account_is_drift_in_every_output_unless_ignored() {
    let world = world(seed_with_service_accounts());
    let file = world.write(
        "headcount.yaml",
        &format!("{}{ENTRIES}", world.providers("", "", "")),
    );
    let file = file.to_str().unwrap();

    let text = world.run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(text.status.code(), Some(2), "{}", stderr(&text));
    let out = stdout(&text);
    assert!(
        out.contains("No changes to apply, but the providers hold accounts the file does not list"),
        "{out}"
    );
    assert!(out.contains("thulium/agent \"api-crm\""), "{out}");

    let json = world.run(&[
        "plan",
        "-f",
        file,
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    assert_eq!(json.status.code(), Some(2));
    let plan: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(plan["in_sync"], json!(false));
    assert_eq!(plan["unlisted"].as_array().unwrap().len(), 3);

    let md = world.run(&[
        "plan",
        "-f",
        file,
        "--format",
        "markdown",
        "--detailed-exitcode",
    ]);
    assert_eq!(md.status.code(), Some(2));
    assert!(
        stdout(&md).contains("**No changes to apply; drift:** 3 unlisted account(s)"),
        "{}",
        stdout(&md)
    );

    let drift = world.run(&["drift", "-f", file, "--format", "json"]);
    assert_eq!(drift.status.code(), Some(2));
    let report: Value = serde_json::from_str(&stdout(&drift)).unwrap();
    assert_eq!(report["in_sync"], json!(false));
    assert_eq!(report["summary"]["unlisted"], json!(3));

    // `unlisted: ignore` says nothing about them: in sync everywhere.
    let quiet = world.write(
        "quiet.yaml",
        &format!(
            "{}{ENTRIES}",
            world.providers(
                "    unlisted: ignore\n",
                "    unlisted: ignore\n",
                "    unlisted: ignore\n"
            )
        ),
    );
    let quiet = quiet.to_str().unwrap();
    let plan = world.run(&[
        "plan",
        "-f",
        quiet,
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
    let plan: Value = serde_json::from_str(&stdout(&plan)).unwrap();
    assert_eq!(plan["in_sync"], json!(true));
    let drift = world.run(&["drift", "-f", quiet]);
    assert_eq!(drift.status.code(), Some(0), "{}", stdout(&drift));
}
