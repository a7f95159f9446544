//! `headcount doctor` on the real binary: exit 0 on the default sandbox,
//! 1 naming provider and behaviour on one that ignores offsets, and never
//! a write (the sandbox's request log: only GETs, and the CCP/DNL login
//! POSTs, which write nothing).

use headcount::sandbox::{Behaviours, SandboxOptions, Seed};
use serde_json::json;

use crate::common::{self, World};

fn world(behaviours: &[&str]) -> World {
    let agents = (0..250)
        .map(|i| json!({"login": format!("ag{i:04}"), "name": "A", "surname": "B", "number": 100 + i, "active": i != 3}))
        .collect();
    World::start(SandboxOptions {
        seed: Seed::default().with("thulium", agents),
        behaviours: Behaviours::from_assignments(behaviours).unwrap(),
        ..SandboxOptions::default()
    })
}

fn writes(world: &World) -> Vec<String> {
    world
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/auth/token") && r.path != "/dnl/auth")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn doctor_passes_on_the_default_sandbox_and_writes_nothing() {
    let world = world(&[]);
    let file = world.write("headcount.yaml", &world.providers("", "", ""));
    let out = world.run(&["doctor", "-f", file.to_str().unwrap()]);
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", common::stderr(&out));
    assert!(text.contains("thulium (thulium): ok"), "{text}");
    assert!(text.contains("1 deactivated account(s) listed"), "{text}");
    assert!(text.contains("the server's Date is"), "{text}");
    assert!(text.contains("offset honoured"), "{text}");
    assert_eq!(writes(&world), Vec::<String>::new());
    let listing = world.sandbox.requests().len();
    // Per provider: the login and two listings (one page and its end each).
    assert!(listing <= 3 * 5, "{listing} requests");
    let out = world.run(&["doctor", "-f", file.to_str().unwrap(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
}

#[test]
fn doctor_fails_naming_provider_and_behaviour_when_offsets_are_ignored() {
    let world = world(&["thulium.offset=ignored"]);
    let file = world.write("headcount.yaml", &world.providers("", "", ""));
    let out = world.run(&[
        "doctor",
        "-f",
        file.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    let all = format!("{}{}", common::stdout(&out), common::stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("thulium: listing adds up"), "{all}");
    assert!(all.contains("seems to ignore `offset`"), "{all}");
    assert!(all.contains("### ccp (ccp): ok"), "{all}");
    assert_eq!(writes(&world), Vec::<String>::new());
}

#[test]
fn doctor_reports_a_page_cap_and_accepts_it() {
    let world = world(&["thulium.page_cap=100", "thulium.list=envelope-count"]);
    let file = world.write("headcount.yaml", &world.providers("", "", ""));
    let out = world.run(&[
        "doctor",
        "-f",
        file.to_str().unwrap(),
        "--provider",
        "thulium",
    ]);
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", common::stderr(&out));
    assert!(text.contains("largest page 100"), "{text}");
    assert!(text.contains("count 250, matching"), "{text}");
    assert!(!text.contains("ccp (ccp)"), "{text}");
    assert_eq!(writes(&world), Vec::<String>::new());
}
