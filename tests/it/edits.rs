//! Edits as the vendors may really take them, end to end (the binary
//! against the sandbox under each edit behaviour no document fixes):
//! a Thulium without the agent edit endpoint (`thulium.edit_endpoint`),
//! planned as manual steps under `edits: manual` and refused plainly under
//! `api`; CCP's four levels; CCP's PUT keeping or blanking what it is not
//! sent (`ccp.put_unsent`); DNL's PATCH taking a partial body or only the
//! whole form (`dnl.patch`). Each runs plan, apply, plan again, drift and
//! import, and either converges with no wrong change or fails naming the
//! behaviour.

use std::process::Output;

use headcount::sandbox::{Behaviours, SandboxOptions, Seed};
use serde_json::{json, Value};

use crate::common;
use common::{stderr, stdout, World};

const PW: &str = "Edits-Pass-4f1e";

fn world(seed: Value, behaviours: &[&str]) -> World {
    World::start(SandboxOptions {
        seed: Seed::from_json(seed).unwrap(),
        rng_seed: Some(7),
        behaviours: Behaviours::from_assignments(behaviours).unwrap(),
        ..SandboxOptions::default()
    })
    .with_env("PW", PW)
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn both(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

fn json_plan(world: &World, file: &str) -> Value {
    let out = world.run(&["plan", "-f", file, "--format", "json"]);
    assert!(matches!(code(&out), Some(0 | 2)), "{}", both(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The vendor writes (method, path, field names) of `vendor` in the log.
fn writes(world: &World, vendor: &str) -> Vec<(String, String, Vec<String>)> {
    world
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.vendor == vendor && r.method != "GET")
        .filter(|r| !r.path.ends_with("/auth") && !r.path.ends_with("/token"))
        .map(|r| (r.method, r.path, r.fields.unwrap_or_default()))
        .collect()
}

/// Imports `provider` and checks that the providers plus the imported
/// entries validate and plan no change for it.
fn import_round_trips(world: &World, providers: &str, provider: &str) {
    let providers_file = world.write("providers.yaml", providers);
    let out = world.run(&[
        "import",
        "--provider",
        provider,
        "-f",
        providers_file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), Some(0), "{}", both(&out));
    let file = world.write(
        &format!("{provider}-imported.yaml"),
        &format!("{providers}{}", stdout(&out)),
    );
    let f = file.to_str().unwrap();
    let valid = world.run(&["validate", "-f", f]);
    assert_eq!(code(&valid), Some(0), "{}\n{}", stdout(&out), both(&valid));
    let plan = world.run(&["plan", "-f", f, "--detailed-exitcode", "--target", provider]);
    assert_eq!(code(&plan), Some(0), "{}", both(&plan));
}

fn thulium_seed() -> Value {
    json!({"thulium": [
        {"login": "anowak", "name": "Anna", "surname": "Nowak", "number": 5635,
         "outbound_mode": "manual", "password": "Panel-1"},
        {"login": "pzielinski", "name": "Piotr", "surname": "Zielinski", "number": 5699,
         "password": "Panel-2"}
    ]})
}

/// anowak differs (outbound_mode), jkowalski is new, pzielinski is unlisted
/// and deactivated by the policy.
fn thulium_file(world: &World, edits: &str) -> String {
    let extra =
        format!("    edits: {edits}\n    unlisted: deactivate\n    max_deactivate_percent: 100\n");
    let text = format!(
        "{}agents:\n  - {{ login: anowak, name: Anna, surname: Nowak, number: \"5635\", outbound_mode: auto, password: {{ env: PW }} }}\n  - {{ login: jkowalski, name: Jan, surname: Kowalski, number: \"5634\", password: {{ env: PW }} }}\n",
        world.providers(&extra, "", "")
    );
    world
        .write(&format!("thulium-{edits}.yaml"), &text)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_thulium_without_the_edit_endpoint_plans_its_edits_as_manual_steps_under_edits_manual() {
    for endpoint in ["missing-404", "missing-405", "present"] {
        let behaviour = format!("thulium.edit_endpoint={endpoint}");
        let world = world(thulium_seed(), &[behaviour.as_str()]);
        let f = thulium_file(&world, "manual");

        let plan = world.run(&["plan", "-f", &f, "--detailed-exitcode"]);
        assert_eq!(code(&plan), Some(2), "{endpoint}: {}", both(&plan));
        let text = stdout(&plan);
        for needle in [
            "Manual steps (2): make them in the vendor's own panel",
            "# thulium/agent \"anowak\" to update by hand",
            "~ outbound_mode = \"manual\" -> \"auto\"",
            "# thulium/agent \"pzielinski\" to deactivate by hand",
            "Plan: 1 to create, 0 to update, 0 to deactivate; 2 steps to make by hand.",
        ] {
            assert!(text.contains(needle), "{endpoint}: {needle}\n{text}");
        }
        let json = json_plan(&world, &f);
        assert_eq!(json["changes"].as_array().unwrap().len(), 1, "{json}");
        assert_eq!(json["changes"][0]["action"], "create");
        let manual: Vec<(&str, &str)> = json["manual_steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["action"].as_str().unwrap(), c["key"].as_str().unwrap()))
            .collect();
        assert_eq!(manual, [("update", "anowak"), ("deactivate", "pzielinski")]);
        assert_eq!(json["summary"]["manual"], 2);
        assert_eq!(json["in_sync"], false);
        let md = world.run(&["plan", "-f", &f, "--format", "markdown"]);
        assert!(stdout(&md).contains("#### Manual steps"), "{}", stdout(&md));

        // Apply sends the create and nothing else.
        let apply = world.run(&["apply", "-f", &f, "--auto-approve"]);
        assert_eq!(code(&apply), Some(0), "{endpoint}: {}", both(&apply));
        assert!(
            stdout(&apply).contains("2 manual step(s) not sent (`edits: manual`)"),
            "{}",
            stdout(&apply)
        );
        let sent = writes(&world, "thulium");
        assert_eq!(sent.len(), 1, "{endpoint}: {sent:?}");
        assert_eq!(
            (sent[0].0.as_str(), sent[0].1.as_str()),
            ("POST", "/thulium/api/agents")
        );

        // Still drift until someone makes the steps in the panel.
        let again = world.run(&["plan", "-f", &f, "--detailed-exitcode"]);
        assert_eq!(code(&again), Some(2), "{}", both(&again));
        assert!(stdout(&again)
            .contains("Plan: 0 to create, 0 to update, 0 to deactivate; 2 steps to make by hand."));
        let drift = world.run(&["drift", "-f", &f]);
        assert_eq!(code(&drift), Some(2), "{}", both(&drift));
        assert!(
            stdout(&drift).contains(
                "thulium/agent \"anowak\": differs from the file (a step to make by hand"
            ),
            "{}",
            stdout(&drift)
        );
        let drift_json = world.run(&["drift", "-f", &f, "--format", "json"]);
        let report: Value = serde_json::from_str(&stdout(&drift_json)).unwrap();
        assert_eq!(report["drift"][0]["by_hand"], true, "{report}");

        // Someone makes them in the panel: in sync.
        for (key, change) in [
            ("anowak", json!({"outbound_mode": "auto"})),
            ("pzielinski", json!({"active": false})),
        ] {
            world.sandbox.edit_account("thulium", key, change).unwrap();
        }
        let done = world.run(&["plan", "-f", &f, "--detailed-exitcode"]);
        // pzielinski stays unlisted (reported), but inactive: nothing to do.
        assert!(
            stdout(&done).contains("No changes to apply"),
            "{}",
            both(&done)
        );
        assert!(!stdout(&done).contains("Manual steps"), "{}", stdout(&done));
        import_round_trips(&world, &world.providers("", "", ""), "thulium");
    }
}

#[test]
fn under_edits_api_a_thulium_without_the_edit_endpoint_fails_the_edits_naming_the_setting() {
    for endpoint in ["missing-404", "missing-405"] {
        let behaviour = format!("thulium.edit_endpoint={endpoint}");
        let world = world(thulium_seed(), &[behaviour.as_str()]);
        let f = thulium_file(&world, "api");
        let apply = world.run(&["apply", "-f", &f, "--auto-approve"]);
        assert_eq!(code(&apply), Some(1), "{endpoint}: {}", both(&apply));
        let text = both(&apply);
        let status = &endpoint["missing-".len()..];
        for needle in [
            "this Thulium system has no agent edit endpoint",
            &format!("PUT /api/agents/{{login}} answered {status}"),
            "set `edits: manual` on the provider",
        ] {
            assert!(text.contains(needle), "{endpoint}: {needle}\n{text}");
        }
        // The create went through; nothing was changed on the others.
        let anowak = world.sandbox.account("thulium", "anowak").unwrap().unwrap();
        assert_eq!(anowak["outbound_mode"], "manual");
        let pz = world
            .sandbox
            .account("thulium", "pzielinski")
            .unwrap()
            .unwrap();
        assert_eq!(pz["active"], true);
        assert!(world
            .sandbox
            .account("thulium", "jkowalski")
            .unwrap()
            .is_some());
        // The next plan still shows both edits: nothing was lost.
        let plan = world.run(&["plan", "-f", &f, "--detailed-exitcode"]);
        assert_eq!(code(&plan), Some(2));
        assert!(stdout(&plan).contains("Plan: 0 to create, 1 to update, 1 to deactivate."));
    }
}

const ROLE: &str = "5b0c7e4e-6a43-4f0e-9d0b-2a7c1f9e8d11";

#[test]
fn ccp_manager_and_leader_users_are_created_edited_and_imported() {
    let world = world(json!({}), &[]);
    let users = |ext: &str| {
        format!(
            "{}users:\n  - {{ provider: ccp, username: Boss01, level: manager, role_uuid: {ROLE}, extension: \"{ext}\", password: {{ env: PW }} }}\n  - {{ provider: ccp, username: Lead01, level: leader, role_uuid: {ROLE}, password: {{ env: PW }} }}\n",
            world.providers("", "", "")
        )
    };
    let f = world.write("ccp.yaml", &users("201"));
    let f = f.to_str().unwrap();
    let apply = world.run(&["apply", "-f", f, "--auto-approve"]);
    assert_eq!(code(&apply), Some(0), "{}", both(&apply));
    let boss = world.sandbox.account("ccp", "Boss01").unwrap().unwrap();
    assert_eq!(
        (&boss["level"], &boss["extension"]),
        (&json!("manager"), &json!("201"))
    );
    let lead = world.sandbox.account("ccp", "Lead01").unwrap().unwrap();
    assert_eq!(lead["level"], "leader");

    // An edit of the manager, and the leader made a manager.
    let edited = users("202").replace(
        "username: Lead01, level: leader",
        "username: Lead01, level: manager",
    );
    let f2 = world.write("ccp2.yaml", &edited);
    let f2 = f2.to_str().unwrap();
    let apply = world.run(&["apply", "-f", f2, "--auto-approve"]);
    assert_eq!(code(&apply), Some(0), "{}", both(&apply));
    assert!(
        stdout(&apply).contains("0 created, 2 updated"),
        "{}",
        stdout(&apply)
    );
    let boss = world.sandbox.account("ccp", "Boss01").unwrap().unwrap();
    assert_eq!(boss["extension"], "202");
    let lead = world.sandbox.account("ccp", "Lead01").unwrap().unwrap();
    assert_eq!(lead["level"], "manager");
    let again = world.run(&["plan", "-f", f2, "--detailed-exitcode"]);
    assert_eq!(code(&again), Some(0), "{}", both(&again));
    let drift = world.run(&["drift", "-f", f2]);
    assert_eq!(code(&drift), Some(0), "{}", both(&drift));
    import_round_trips(&world, &world.providers("", "", ""), "ccp");
}

fn ccp_seed() -> Value {
    json!({"ccp": [
        {"username": "AgentSale03", "level": "agent", "role_uuid": ROLE, "extension": "103",
         "first_name": "Old", "last_name": "Tran", "middle_name": "Van", "password": "Panel-3"}
    ]})
}

#[test]
fn every_ccp_edit_notes_what_it_does_not_send_whether_the_put_keeps_or_blanks_it() {
    for (unsent, kept) in [("kept", true), ("blanked", false)] {
        let behaviour = format!("ccp.put_unsent={unsent}");
        let world = world(ccp_seed(), &[behaviour.as_str()]);
        let text = format!(
            "{}users:\n  - {{ provider: ccp, username: AgentSale03, level: agent, role_uuid: {ROLE}, extension: \"103\", first_name: New, password: {{ env: PW }} }}\n",
            world.providers("", "", "")
        );
        let f = world.write("ccp.yaml", &text);
        let f = f.to_str().unwrap();
        let plan = world.run(&["plan", "-f", f]);
        let note = "# not sent: last_name, middle_name (CCP holds them; no document says whether its edit keeps or blanks what it is not sent)";
        assert!(stdout(&plan).contains(note), "{unsent}: {}", stdout(&plan));
        let json = json_plan(&world, f);
        assert!(
            json["changes"][0]["notes"][0]
                .as_str()
                .unwrap()
                .starts_with("not sent: last_name, middle_name"),
            "{json}"
        );
        let apply = world.run(&["apply", "-f", f, "--auto-approve"]);
        assert_eq!(code(&apply), Some(0), "{unsent}: {}", both(&apply));
        let user = world
            .sandbox
            .account("ccp", "AgentSale03")
            .unwrap()
            .unwrap();
        assert_eq!(user["first_name"], "New");
        // What the vendor did with the fields the plan named as not sent.
        let expected = if kept { json!("Tran") } else { json!("") };
        assert_eq!(user["last_name"], expected, "{unsent}: {user}");
        let again = world.run(&["plan", "-f", f, "--detailed-exitcode"]);
        assert_eq!(code(&again), Some(0), "{unsent}: {}", both(&again));
        assert_eq!(code(&world.run(&["drift", "-f", f])), Some(0));
        import_round_trips(&world, &world.providers("", "", ""), "ccp");
    }
}

fn dnl_seed() -> Value {
    json!({"dnl": [
        {"name": "lnguyen", "user_type": "agent", "email": "lnguyen@old.example.net", "passwd": "Panel-4"},
        {"name": "tvan", "user_type": "client", "passwd": "Panel-5"}
    ]})
}

#[test]
fn dnl_edits_carry_name_and_user_type_whether_the_patch_is_partial_or_the_whole_form() {
    for patch in ["partial", "whole-form"] {
        let behaviour = format!("dnl.patch={patch}");
        let world = world(dnl_seed(), &[behaviour.as_str()]);
        let extra = "    unlisted: deactivate\n    max_deactivate_percent: 100\n";
        let text = format!(
            "{}users:\n  - {{ provider: dnl, name: lnguyen, user_type: agent, email: lnguyen@example.net, password: {{ env: PW }} }}\n",
            world.providers("", "", extra)
        );
        let f = world.write("dnl.yaml", &text);
        let f = f.to_str().unwrap();
        let plan = world.run(&["plan", "-f", f]);
        assert!(
            stdout(&plan).contains(
                "# also sent, unchanged: name, user_type (DNL's UI sends it on every edit"
            ),
            "{patch}: {}",
            stdout(&plan)
        );
        let apply = world.run(&["apply", "-f", f, "--auto-approve"]);
        assert_eq!(code(&apply), Some(0), "{patch}: {}", both(&apply));
        let sent = writes(&world, "dnl");
        let mut fields: Vec<Vec<String>> = sent.iter().map(|(_, _, f)| f.clone()).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                vec!["active".to_string(), "name".into(), "user_type".into()],
                vec!["email".to_string(), "name".into(), "user_type".into()],
            ],
            "{patch}: {sent:?}"
        );
        assert!(sent.iter().all(|(m, _, _)| m == "PATCH"), "{sent:?}");
        let user = world.sandbox.account("dnl", "lnguyen").unwrap().unwrap();
        assert_eq!(
            (&user["email"], &user["user_type"]),
            (&json!("lnguyen@example.net"), &json!("agent"))
        );
        let tvan = world.sandbox.account("dnl", "tvan").unwrap().unwrap();
        assert_eq!(
            (&tvan["active"], &tvan["user_type"]),
            (&json!(false), &json!("client"))
        );
        let again = world.run(&["plan", "-f", f, "--detailed-exitcode"]);
        // tvan is unlisted and inactive: reported, nothing to change.
        assert!(
            stdout(&again).contains("No changes to apply"),
            "{}",
            both(&again)
        );
        // The list asks for a stable order.
        let lists: Vec<String> = world
            .sandbox
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/user/list"))
            .filter_map(|r| r.query)
            .collect();
        assert!(!lists.is_empty());
        assert!(
            lists
                .iter()
                .all(|q| q.contains("order_by=user_id&order_dir=asc")),
            "{lists:?}"
        );
        import_round_trips(&world, &world.providers("", "", ""), "dnl");
    }
}

/// `doctor --probe-edits` sends one empty edit to one Thulium agent, and
/// nothing else: it finds the endpoint, or says the system has none, which
/// fails under `edits: api` and is fine under `edits: manual`. Without the
/// flag, doctor writes nothing.
#[test]
fn doctor_probe_edits_finds_out_whether_thulium_has_the_edit_endpoint() {
    for (endpoint, edits, expected) in [
        ("present", "api", 0),
        ("missing-405", "api", 1),
        ("missing-404", "api", 1),
        ("missing-404", "manual", 0),
    ] {
        let behaviour = format!("thulium.edit_endpoint={endpoint}");
        let world = world(thulium_seed(), &[behaviour.as_str()]);
        let extra = format!("    edits: {edits}\n");
        let file = world.write("providers.yaml", &world.providers(&extra, "", ""));
        let f = file.to_str().unwrap();
        let plain = world.run(&["doctor", "-f", f]);
        assert_eq!(code(&plain), Some(0), "{}", both(&plain));
        assert!(writes(&world, "thulium").is_empty());
        assert!(!stdout(&plain).contains("edit endpoint"));

        let out = world.run(&["doctor", "-f", f, "--probe-edits"]);
        let text = both(&out);
        assert_eq!(code(&out), Some(expected), "{endpoint} {edits}: {text}");
        let observed = match endpoint {
            "present" => "an empty edit of \"anowak\" was taken".to_string(),
            other => format!(
                "an empty edit of \"anowak\" answered {}: the system has no edit endpoint",
                &other["missing-".len()..]
            ),
        };
        assert!(text.contains(&observed), "{endpoint} {edits}: {text}");
        if expected == 1 {
            assert!(
                text.contains("set `edits: manual` on this provider"),
                "{text}"
            );
            assert!(text.contains("thulium: the edit endpoint exists"), "{text}");
        }
        // The one write: an empty PUT to one agent, which changed nothing.
        let sent = writes(&world, "thulium");
        assert_eq!(
            sent,
            [(
                "PUT".to_string(),
                "/thulium/api/agents/anowak".to_string(),
                Vec::new()
            )],
            "{endpoint}"
        );
        let anowak = world.sandbox.account("thulium", "anowak").unwrap().unwrap();
        assert_eq!(
            (&anowak["outbound_mode"], &anowak["active"]),
            (&json!("manual"), &json!(true))
        );
        // CCP and DNL are not probed: CCP's edit replaces the whole user.
        assert!(writes(&world, "ccp").is_empty() && writes(&world, "dnl").is_empty());
    }
}
