//! People across vendors, end to end (the binary against an in-process
//! sandbox): one `people:` entry onboards a person on three vendors with
//! their name and e-mail in each vendor's fields, a change of one attribute
//! reaches every vendor that carries it, `active: false` suspends every
//! account, claims on one account are located errors, and `import --people`
//! writes a file that plans no change.

use serde_json::{json, Value};

use crate::common;
use common::{stderr, stdout, World};

const PASSWORD: &str = "People-Pass-7c21";

fn world(seed: Value) -> World {
    World::new(seed).with_env("PW", PASSWORD)
}

/// Providers whose safety threshold lets one person's offboarding through
/// on a sandbox holding a handful of accounts.
fn providers(world: &World) -> String {
    let extra = "    max_deactivate_percent: 100\n";
    world.providers(extra, extra, extra)
}

fn person(active: bool, surname: &str) -> String {
    format!(
        r#"people:
  - id: jkowalski
    name: Jan
    surname: {surname}
    email: jkowalski@example.com
    active: {active}
    accounts:
      thulium: {{ number: "5634", password: {{ env: PW }} }}
      ccp: {{ level: agent, role_uuid: 5b0c7e4e-6a43-4f0e-9d0b-2a7c1f9e8d11, password: {{ env: PW }} }}
      dnl: {{ user_type: agent, password: {{ env: PW }} }}
"#
    )
}

/// Plain accounts next to the person, so that the plans have both groups.
const PLAIN: &str = r#"agents:
  - { login: anowak, name: Anna, surname: Nowak, number: "5635", password: { env: PW } }
"#;

/// Runs `headcount ARGS`, checks it exits 0, and returns its output.
fn succeed(world: &World, args: &[&str]) -> String {
    let out = world.run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn assert_contains(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

fn json_plan(world: &World, file: &str) -> Value {
    let out = world.run(&["plan", "-f", file, "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

#[test]
fn a_person_is_onboarded_on_three_vendors_changed_everywhere_and_offboarded_in_one_line() {
    let world = world(json!({}));
    let write = |active: bool, surname: &str| {
        let text = format!("{}{}{PLAIN}", providers(&world), person(active, surname));
        let path = world.write("headcount.yaml", &text);
        path.to_str().unwrap().to_string()
    };

    // Onboarding: three creates under the person, then the plain entry.
    let file = write(true, "Kowalski");
    let text = succeed(&world, &["plan", "-f", &file]);
    let person_at = text
        .find("person \"jkowalski\" (Jan Kowalski): 3 changes")
        .unwrap_or_else(|| panic!("{text}"));
    let plain_at = text
        .find("accounts of no person: 1 change")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(person_at < plain_at, "{text}");
    for account in [
        "thulium/agent \"jkowalski\" will be created",
        "ccp/user \"jkowalski\" will be created",
        "dnl/user \"jkowalski\" will be created",
    ] {
        let at = text.find(account).unwrap_or_else(|| panic!("{text}"));
        assert!(
            person_at < at && at < plain_at,
            "{account} under the person:\n{text}"
        );
    }
    assert_contains(
        &text,
        &[
            "+ fullname   = \"Jan Kowalski\"",
            "\n# not sent: ccp: CCP has no field for surname (1 person)\n",
        ],
    );
    assert_eq!(
        text.matches("# not sent").count(),
        1,
        "once per plan: {text}"
    );

    let plan = json_plan(&world, &file);
    assert_eq!(
        plan["people"],
        json!([{"id": "jkowalski", "name": "Jan Kowalski", "not_sent": ["ccp: CCP has no field for surname"]}])
    );
    let persons: Vec<String> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}/{} {}", c["provider"], c["key"], c["person"]))
        .collect();
    assert_eq!(
        persons,
        [
            r#""thulium"/"jkowalski" "jkowalski""#,
            r#""thulium"/"anowak" null"#,
            r#""ccp"/"jkowalski" "jkowalski""#,
            r#""dnl"/"jkowalski" "jkowalski""#,
        ],
        "JSON changes keep the plan's order and name their person"
    );
    let md = stdout(&world.run(&["plan", "-f", &file, "--format", "markdown"]));
    let heading = md
        .find("**Person `jkowalski` (Jan Kowalski)**")
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        heading < md.find("**Accounts of no person**").unwrap(),
        "{md}"
    );

    succeed(&world, &["apply", "-f", &file, "--auto-approve"]);
    let th = world
        .sandbox
        .account("thulium", "jkowalski")
        .unwrap()
        .unwrap();
    assert_eq!(
        (&th["name"], &th["surname"], &th["email"]),
        (
            &json!("Jan"),
            &json!("Kowalski"),
            &json!("jkowalski@example.com")
        )
    );
    let ccp = world.sandbox.account("ccp", "jkowalski").unwrap().unwrap();
    assert_eq!(
        (&ccp["first_name"], &ccp["email"]),
        (&json!("Jan"), &json!("jkowalski@example.com"))
    );
    let dnl = world.sandbox.account("dnl", "jkowalski").unwrap().unwrap();
    assert_eq!(
        (
            &dnl["first_name"],
            &dnl["last_name"],
            &dnl["fullname"],
            &dnl["email"]
        ),
        (
            &json!("Jan"),
            &json!("Kowalski"),
            &json!("Jan Kowalski"),
            &json!("jkowalski@example.com")
        )
    );
    let out = world.run(&["plan", "-f", &file, "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "in sync after apply: {}",
        stdout(&out)
    );

    // One attribute changes: every vendor carrying it is updated, CCP
    // (no family-name field) is not.
    let file = write(true, "Kowalski-Nowak");
    let plan = json_plan(&world, &file);
    let updates: Vec<(String, Vec<String>)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["action"], "update", "{c}");
            assert_eq!(c["person"], "jkowalski", "{c}");
            let fields = c["fields"]
                .as_array()
                .unwrap()
                .iter()
                // The fields that change (DNL's edit also sends name and
                // user_type, unchanged).
                .filter(|f| f["sent_only"] != true)
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect();
            (c["provider"].as_str().unwrap().to_string(), fields)
        })
        .collect();
    assert_eq!(
        updates,
        [
            ("thulium".to_string(), vec!["surname".to_string()]),
            (
                "dnl".to_string(),
                vec!["last_name".to_string(), "fullname".to_string()]
            ),
        ]
    );
    succeed(&world, &["apply", "-f", &file, "--auto-approve"]);
    assert_eq!(
        world.sandbox.account("dnl", "jkowalski").unwrap().unwrap()["fullname"],
        "Jan Kowalski-Nowak"
    );

    // Offboarding: `active: false` deactivates each account (CCP with
    // the password its edit needs).
    let file = write(false, "Kowalski-Nowak");
    let text = stdout(&world.run(&["plan", "-f", &file]));
    assert_contains(
        &text,
        &[
            "person \"jkowalski\" (Jan Kowalski-Nowak): 3 changes",
            "Plan: 0 to create, 0 to update, 3 to deactivate; 1 password reset.",
        ],
    );
    let out = world.run(&["drift", "-f", &file]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("person \"jkowalski\" (Jan Kowalski-Nowak):\n  thulium/agent \"jkowalski\": differs from the file\n      active: provider has true, file says false\n"),
        "{}",
        stdout(&out)
    );
    succeed(&world, &["apply", "-f", &file, "--auto-approve"]);
    assert_eq!(
        world
            .sandbox
            .account("thulium", "jkowalski")
            .unwrap()
            .unwrap()["active"],
        false
    );
    assert_eq!(
        world.sandbox.account("ccp", "jkowalski").unwrap().unwrap()["user_enabled"],
        "false",
        "CCP reads its flags back as strings"
    );
    assert_eq!(
        world.sandbox.account("dnl", "jkowalski").unwrap().unwrap()["active"],
        false
    );
    let out = world.run(&["plan", "-f", &file, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn an_inactive_person_without_an_account_gets_none_and_a_removed_person_is_unlisted() {
    let world = world(json!({
        "thulium": [
            {"login": "jkowalski", "name": "Jan", "surname": "Kowalski", "number": 5634, "password": PASSWORD, "email": "jkowalski@example.com"}
        ]
    }));
    let file = world.write(
        "headcount.yaml",
        &format!("{}{}", providers(&world), person(false, "Kowalski")),
    );
    let plan = json_plan(&world, file.to_str().unwrap());
    let changes: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["provider"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [("thulium", "deactivate")],
        "no account is created for a person who has left"
    );

    // Offboarding while changing another attribute is still a
    // deactivation for the safety threshold (the default 25% here).
    let file = world.write(
        "headcount.yaml",
        &format!(
            "{}{}",
            world.providers("", "", ""),
            person(false, "Kowalska")
        ),
    );
    let out = world.run(&["plan", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert_contains(
        &stdout(&out),
        &[
            "~ surname = \"Kowalski\" -> \"Kowalska\"",
            "Needs approval: 1 deactivation of 1 account on thulium (100%): over its limit of 25% by 1",
        ],
    );

    let file = world.write("headcount.yaml", &providers(&world));
    let plan = json_plan(&world, file.to_str().unwrap());
    assert_eq!(plan["unlisted"][0]["key"], "jkowalski", "{plan}");
    assert_eq!(plan["changes"], json!([]), "{plan}");
}

#[test]
fn claims_on_one_account_are_located_errors() {
    let world = world(json!({}));
    let text = format!(
        r#"{}people:
  - id: jkowalski
    name: Jan
    accounts:
      thulium: {{ number: "1", surname: K, password: {{ env: PW }} }}
  - id: jan
    name: Jan
    accounts:
      thulium: {{ login: jkowalski, number: "2", surname: K, password: {{ env: PW }} }}
  - id: anowak
    name: Anna
    accounts:
      dnl: {{ user_type: agent, password: {{ env: PW }} }}
users:
  - {{ provider: dnl, name: anowak, user_type: agent, password: {{ env: PW }} }}
"#,
        world.providers("", "", "")
    );
    let file = world.write("headcount.yaml", &text);
    let out = world.run(&["validate", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for needle in [
        "thulium agent `jkowalski` is claimed by person `jkowalski` and by person `jan`",
        "first claimed here by person `jkowalski`",
        "claimed here by person `jan`",
        "dnl user `anowak` is claimed by person `anowak` and by a plain entry of `users:`",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(err.contains("headcount.yaml:"), "located: {err}");
    assert!(err.contains("2 errors"), "{err}");
}

#[test]
fn import_people_joins_accounts_by_email_and_key_and_plans_no_change() {
    let world = world(json!({
        "thulium": [
            {"login": "jkowalski", "name": "Jan", "surname": "Kowalski", "number": 5634, "password": PASSWORD, "email": "JKowalski@example.com"},
            {"login": "solo", "name": "Sam", "surname": "Solo", "number": 5600, "password": PASSWORD, "email": "sam@example.com"},
            {"login": "lone", "name": "Lone", "surname": "Agent", "number": 5601, "password": PASSWORD}
        ],
        "ccp": [
            {"username": "jan.k", "level": "agent", "role_uuid": "r-1", "first_name": "Jan", "email": "jkowalski@example.com", "password": PASSWORD},
            {"username": "sam.solo", "level": "agent", "role_uuid": "r-1", "email": "SAM@example.com", "password": PASSWORD}
        ],
        "dnl": [
            {"name": "jkowalski", "user_type": "agent", "first_name": "Jan", "last_name": "Kowalski", "fullname": "Jan Kowalski", "email": "jkowalski@example.com", "passwd": PASSWORD},
            {"name": "anowak", "user_type": "admin", "fullname": "Anna Nowak", "passwd": PASSWORD}
        ]
    }));
    let providers = world.providers("", "", "");
    let file = world.write("providers.yaml", &providers);
    let out = world.run(&[
        "import",
        "--people",
        "-f",
        file.to_str().unwrap(),
        "--out",
        "people.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let imported = std::fs::read_to_string(world.dir.path().join("people.yaml")).unwrap();
    assert_contains(
        &imported,
        &[
            "people:\n  - id: jkowalski\n    name: Jan\n    surname: Kowalski\n",
            "      ccp:\n        username: jan.k\n",
            "      dnl:\n",
            "  - id: solo\n    name: Sam\n    surname: Solo\n    email: sam@example.com\n",
            "      ccp:\n        username: sam.solo\n",
            "agents:\n  - provider: thulium\n    login: lone\n",
            "users:\n  - provider: dnl\n    name: anowak\n",
        ],
    );

    // The passwords the import references, then the round trip.
    let mut text = providers;
    text.push_str(&imported);
    let file = world.write("headcount.yaml", &text);
    let mut cmd = world.command(&[]);
    for name in [
        "THULIUM_JKOWALSKI_PASSWORD",
        "THULIUM_SOLO_PASSWORD",
        "THULIUM_LONE_PASSWORD",
        "CCP_SAM_SOLO_PASSWORD",
        "CCP_JAN_K_PASSWORD",
        "DNL_JKOWALSKI_PASSWORD",
        "DNL_ANOWAK_PASSWORD",
    ] {
        cmd.env(name, PASSWORD);
    }
    let out = cmd
        .args(["plan", "-f", file.to_str().unwrap(), "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}\n{imported}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("No changes."), "{}", stdout(&out));
}

/// A tenant adopted as it is: the file lists one person; `import --people
/// --unmanaged` writes every other account as a file beside it (nothing the
/// file claims, nothing it ignores); the directory then plans no change,
/// and a second run finds nothing left to adopt.
#[test]
fn import_unmanaged_writes_only_what_the_file_does_not_claim_and_plans_no_change() {
    let world = world(json!({
        "thulium": [
            {"login": "jkowalski", "name": "Jan", "surname": "Kowalski", "number": 5634, "password": PASSWORD, "email": "jkowalski@example.com"},
            {"login": "lone", "name": "Lone", "surname": "Agent", "number": 5601, "password": PASSWORD},
            {"login": "api-bot", "name": "Bot", "surname": "Api", "number": 5699, "password": PASSWORD}
        ],
        "ccp": [
            {"username": "jkowalski", "level": "agent", "role_uuid": "5b0c7e4e-6a43-4f0e-9d0b-2a7c1f9e8d11", "first_name": "Jan", "last_name": "Kowalski", "email": "jkowalski@example.com", "password": PASSWORD},
            {"username": "sam.solo", "level": "agent", "role_uuid": "r-1", "email": "sam@example.com", "password": PASSWORD}
        ],
        "dnl": [
            {"name": "jkowalski", "user_type": "agent", "first_name": "Jan", "last_name": "Kowalski", "fullname": "Jan Kowalski", "email": "jkowalski@example.com", "passwd": PASSWORD},
            {"name": "anowak", "user_type": "admin", "fullname": "Anna Nowak", "passwd": PASSWORD}
        ]
    }));
    let dir = world.dir.path().join("desired");
    std::fs::create_dir(&dir).unwrap();
    let text = world.providers("    ignore: [\"api-*\"]\n", "", "") + &person(true, "Kowalski");
    std::fs::write(dir.join("headcount.yaml"), text).unwrap();

    let out = world.run(&["plan", "-f", "desired", "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("unlisted"), "{}", stdout(&out));

    let out = world.run(&["import", "--people", "--unmanaged", "-f", "desired"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let imported = stdout(&out);
    for (claimed, why) in [
        ("jkowalski", "listed by the file's person"),
        ("api-bot", "ignored by the file"),
    ] {
        assert!(!imported.contains(claimed), "{why}: {imported}");
    }
    for unmanaged in ["login: lone", "username: sam.solo", "name: anowak"] {
        assert!(imported.contains(unmanaged), "{unmanaged} in:\n{imported}");
    }
    // Appended as is: a file of its own in the directory.
    std::fs::write(dir.join("adopted.yaml"), &imported).unwrap();

    let mut cmd = world.command(&[]);
    for name in [
        "THULIUM_LONE_PASSWORD",
        "CCP_SAM_SOLO_PASSWORD",
        "DNL_ANOWAK_PASSWORD",
    ] {
        cmd.env(name, PASSWORD);
    }
    let out = cmd
        .args(["plan", "-f", "desired", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}\n{imported}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("No changes."), "{}", stdout(&out));

    let out = world.run(&[
        "import",
        "--provider",
        "thulium",
        "--unmanaged",
        "-f",
        "desired",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("agents: []"), "{}", stdout(&out));
}
