//! What public evidence says the vendors return and accept (docs/vendors.md),
//! held against the real binary and the sandbox: fields a vendor does not
//! read back, DNL's password on edit, Thulium's older `blending` mode, CCP's
//! non-email text in `email`.

use std::path::{Path, PathBuf};
use std::process::Output;

use headcount::sandbox::{self, Modes, SandboxOptions, Seed};
use serde_json::{json, Value};

const PASSWORD: &str = "Fidelity-Pass-41d0";

use crate::common;

/// The shared world, with the accounts' password variable `PW` set.
struct World(common::World);

impl std::ops::Deref for World {
    type Target = common::World;
    fn deref(&self) -> &common::World {
        &self.0
    }
}

impl World {
    fn new(seed: Value, dnl_sparse_reads: bool) -> World {
        World(
            common::World::start(SandboxOptions {
                seed: Seed::from_json(seed).unwrap(),
                dnl_sparse_reads,
                ..SandboxOptions::default()
            })
            .with_env("PW", PASSWORD),
        )
    }

    /// A desired-state file with the three sandbox providers and `entries`.
    fn file(&self, entries: &str) -> PathBuf {
        let text = format!(
            "version: 1\nproviders:\n  thulium:\n    type: thulium\n    url: {}\n    auth: {{ username: {{ env: TH_USER }}, password: {{ env: TH_PASS }} }}\n    unlisted: ignore\n  ccp:\n    type: ccp\n    url: {}\n    auth: {{ api_key: {{ env: CCP_KEY }} }}\n    unlisted: ignore\n  dnl:\n    type: dnl\n    url: {}\n    auth: {{ username: admin, password: {{ env: DNL_PASS }} }}\n    unlisted: ignore\n{entries}",
            self.sandbox.thulium_url(),
            self.sandbox.ccp_url(),
            self.sandbox.dnl_url()
        );
        let path = self.dir.path().join("headcount.yaml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn account(&self, vendor: &str, key: &str) -> Value {
        self.sandbox.account(vendor, key).unwrap().unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `plan --detailed-exitcode` exit code and output.
fn plan(world: &World, file: &Path) -> (Option<i32>, String) {
    let out = world.run(&["plan", "-f", file.to_str().unwrap(), "--detailed-exitcode"]);
    (out.status.code(), text(&out))
}

fn apply(world: &World, file: &Path) -> String {
    let out = world.run(&["apply", "-f", file.to_str().unwrap(), "--auto-approve"]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    shown
}

#[test]
fn dnl_sparse_reads_apply_then_plan_shows_no_changes() {
    let world = World::new(json!({}), true);
    let file = world.file(
        "users:\n  - { provider: dnl, name: dnhai, user_type: agent, first_name: Do, last_name: Hai, avatar_id: 3, email: dnhai@example.net, password: { env: PW } }\n  - { provider: dnl, name: lnguyen, user_type: agent, first_name: Lan, password: { env: PW } }\n"
    );
    let (code, shown) = plan(&world, &file);
    assert_eq!(code, Some(2), "{shown}");
    apply(&world, &file);
    // The vendor kept the names as one fullname and reads back no first_name.
    let stored = world.account("dnl", "dnhai");
    assert_eq!(stored["fullname"], "Do Hai");
    let (code, shown) = plan(&world, &file);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("No changes"), "{shown}");
    assert!(
        shown.contains("first_name (2 accounts)")
            && shown.contains("set on create only; the vendor does not return it"),
        "{shown}"
    );
    // Those fields are not expected on read: no warning that the driver's idea is wrong.
    assert!(!shown.contains("although headcount expects"), "{shown}");
}

#[test]
fn dnl_names_are_compared_when_reads_carry_them() {
    // The same file against full reads: an out-of-band change is drift.
    let world = World::new(json!({}), false);
    let file = world.file(
        "users:\n  - { provider: dnl, name: dnhai, user_type: agent, first_name: Do, password: { env: PW } }\n",
    );
    apply(&world, &file);
    world
        .sandbox
        .edit_account("dnl", "dnhai", json!({"first_name": "Dat"}))
        .unwrap();
    let (code, shown) = plan(&world, &file);
    assert_eq!(code, Some(2), "{shown}");
    assert!(shown.contains("first_name = \"Dat\" -> \"Do\""), "{shown}");
    // Switched to sparse reads at run time, the same drift is invisible, and said so.
    world
        .sandbox
        .set_modes(&Modes {
            dnl_sparse_reads: Some(true),
        })
        .unwrap();
    let (code, shown) = plan(&world, &file);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("the vendor does not return it"), "{shown}");
}

#[test]
fn dnl_sandbox_stores_a_password_sent_in_an_edit() {
    let world = World::new(
        json!({"dnl": [{"name": "dnhai", "user_type": "agent", "passwd": "old-pass"}]}),
        false,
    );
    let driver = (headcount::drivers::vendor("dnl").unwrap().connect)(
        headcount::drivers::ProviderConfig::new(
            "dnl",
            url::Url::parse(&world.sandbox.dnl_url()).unwrap(),
        )
        .with_credential("username", sandbox::DNL_USER)
        .with_credential("password", sandbox::DNL_PASSWORD),
    )
    .unwrap();
    let remote = world
        .runtime
        .block_on(driver.get_by_key("dnhai"))
        .unwrap()
        .unwrap();
    let mut req = headcount::model::WriteRequest {
        key: "dnhai".into(),
        ..Default::default()
    };
    req.secrets.insert(
        "password".into(),
        secrecy::SecretString::from("N3w-Pass-2b7c"),
    );
    world
        .runtime
        .block_on(driver.update(&remote, &req))
        .unwrap();
    assert_eq!(
        world
            .sandbox
            .password_matches("dnl", "dnhai", "N3w-Pass-2b7c")
            .unwrap(),
        Some(true)
    );
}

#[test]
fn thulium_blending_mode_of_the_older_documents_is_accepted() {
    let world = World::new(json!({}), false);
    let file = world.file(
        "agents:\n  - { login: jkowalski, name: Jan, surname: Kowalski, number: \"5634\", outbound_mode: blending, password: { env: PW } }\n",
    );
    let out = world.run(&["validate", "-f", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    apply(&world, &file);
    assert_eq!(
        world.account("thulium", "jkowalski")["outbound_mode"],
        "blending"
    );
    let (code, shown) = plan(&world, &file);
    assert_eq!(code, Some(0), "{shown}");
}

#[test]
fn ccp_edit_keeps_non_email_text_the_vendor_holds_in_email() {
    // CCP's own list sample has "Agent01Internal" in `email`.
    let world = World::new(
        json!({"ccp": [{"username": "Agent01", "level": "agent", "role_uuid": "r-1",
            "email": "Agent01Internal", "extension": "101", "password": PASSWORD}]}),
        false,
    );
    let file = world.file(
        "users:\n  - { provider: ccp, username: Agent01, level: agent, role_uuid: r-1, enable_webrtc: true, password: { env: PW } }\n"
    );
    apply(&world, &file);
    let stored = world.account("ccp", "Agent01");
    assert_eq!(stored["email"], "Agent01Internal");
    assert_eq!(stored["enable_webrtc"], true);
}

#[test]
fn sparse_reads_are_switched_through_the_control_api() {
    let world = World::new(json!({}), false);
    let base = world.sandbox.base_url();
    let modes: Value = world.runtime.block_on(async {
        let client = reqwest::Client::new();
        let set = client
            .put(format!("{base}/_sandbox/modes"))
            .json(&json!({"dnl_sparse_reads": true}))
            .send()
            .await
            .unwrap();
        assert!(set.status().is_success());
        let bad = client
            .put(format!("{base}/_sandbox/modes"))
            .json(&json!({"dnl_sparce_reads": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 400);
        client
            .get(format!("{base}/_sandbox/modes"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(modes, json!({"dnl_sparse_reads": true}));
    world.sandbox.reset().unwrap();
    assert_eq!(world.sandbox.modes().dnl_sparse_reads, Some(false));
}

#[test]
fn ccp_import_of_non_email_text_in_email_gives_a_file_that_validates_and_matches() {
    let world = World::new(
        json!({"ccp": [{"username": "Agent01", "level": "agent", "role_uuid": "r-1",
            "email": "Agent01Internal", "extension": "101", "password": PASSWORD}]}),
        false,
    );
    let providers = world.file("");
    let out = world.run(&[
        "import",
        "--provider",
        "ccp",
        "-f",
        providers.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let imported = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        imported.contains("# email: \"Agent01Internal\" is not an e-mail address"),
        "{imported}"
    );
    let file = world.file(&imported);
    let valid = world.run(&["validate", "-f", file.to_str().unwrap()]);
    assert!(valid.status.success(), "{imported}\n{}", text(&valid));
    let (code, shown) = plan(&world, &file);
    assert_eq!(code, Some(0), "{shown}");
}
