//! Vendor listings that cannot be believed (issue 14, finding 2 and the
//! duplicate keys of finding 5; issue 15, point 1: the Thulium list): the
//! drivers and the binary against the sandbox's listing misbehaviours, over
//! real HTTP on a loopback port.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use headcount::drivers::{self, Driver, ErrorKind, ProviderConfig};
use headcount::sandbox::{
    ListingFault, ListingSettings, Sandbox, SandboxOptions, Seed, ThuliumPaging, CCP_API_KEY,
    DNL_PASSWORD, DNL_USER, THULIUM_PASSWORD, THULIUM_USER,
};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_headcount");
const ROLE: &str = "e40292d3-4707-40e5-a7f2-044d3d639757";

// ------------------------------------------------------------------ accounts

fn agents(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"login": format!("ag{i:04}"), "name": "Agent", "surname": format!("S{i:04}"),
                   "number": 10000 + i, "password": "Seed-Pass-1"})
        })
        .collect()
}

fn ccp_users(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"username": format!("cu{i:04}"), "level": "agent", "role_uuid": ROLE,
                   "extension": format!("{}", 2000 + i), "password": "Seed-Pass-2"})
        })
        .collect()
}

fn dnl_users(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"name": format!("du{i:04}"), "user_type": "agent",
                   "email": format!("du{i:04}@example.net"), "passwd": "Seed-Pass-3"})
        })
        .collect()
}

fn seed(thulium: usize, ccp: usize, dnl: usize) -> Seed {
    Seed::default()
        .with("thulium", agents(thulium))
        .with("ccp", ccp_users(ccp))
        .with("dnl", dnl_users(dnl))
}

// ------------------------------------------------------------------ drivers

fn driver(sandbox: &Sandbox, vendor: &str) -> Arc<dyn Driver> {
    let (url, creds): (String, Vec<(&str, &str)>) = match vendor {
        "thulium" => (
            sandbox.thulium_url(),
            vec![("username", THULIUM_USER), ("password", THULIUM_PASSWORD)],
        ),
        "ccp" => (sandbox.ccp_url(), vec![("api_key", CCP_API_KEY)]),
        _ => (
            sandbox.dnl_url(),
            vec![("username", DNL_USER), ("password", DNL_PASSWORD)],
        ),
    };
    let mut config = ProviderConfig::new(vendor, url::Url::parse(&url).unwrap());
    for (k, v) in creds {
        config = config.with_credential(k, v);
    }
    config.timeout = Duration::from_secs(10);
    config.retry.base_delay = Duration::from_millis(10);
    match (drivers::vendor(vendor).unwrap().connect)(config) {
        Ok(d) => d,
        Err(e) => panic!("connect failed: {e}"),
    }
}

async fn start(seed: Seed, thulium_paging: ThuliumPaging) -> Sandbox {
    Sandbox::start(SandboxOptions {
        seed,
        thulium_paging,
        ..SandboxOptions::default()
    })
    .await
    .unwrap()
}

fn misbehave(sandbox: &Sandbox, vendor: &str, fault: Option<ListingFault>) {
    let paging = (vendor == "thulium").then_some(ThuliumPaging::Paged);
    sandbox
        .set_listing(vendor, ListingSettings { fault, paging })
        .unwrap();
}

/// The list requests the sandbox received for `vendor`, as request lines.
fn list_requests(sandbox: &Sandbox, vendor: &str) -> Vec<String> {
    sandbox
        .requests()
        .into_iter()
        .filter(|r| r.vendor == vendor && r.method == "GET")
        .map(|r| match r.query {
            Some(q) => format!("GET {}?{q}", r.path),
            None => format!("GET {}", r.path),
        })
        .collect()
}

/// Asserts `list()` fails with a protocol error naming the provider and
/// containing `expected`, with a hint of what to do.
async fn refused(sandbox: &Sandbox, vendor: &str, expected: &str) {
    let err = match driver(sandbox, vendor).list().await {
        Ok(records) => panic!(
            "{vendor}: a listing that does not add up was accepted ({} records)",
            records.len()
        ),
        Err(e) => e,
    };
    let shown = err.to_string();
    assert_eq!(err.kind, ErrorKind::Protocol, "{shown}");
    assert!(shown.starts_with(&format!("{vendor}: list ")), "{shown}");
    assert!(
        shown.contains(expected),
        "{vendor}: {shown}\nexpected: {expected}"
    );
    assert!(err.hint().contains("run again"), "{}", err.hint());
}

#[tokio::test]
async fn ccp_and_dnl_refuse_every_listing_that_does_not_add_up() {
    let sandbox = start(seed(0, 250, 250), ThuliumPaging::Paged).await;
    for (vendor, ignored) in [
        (
            "ccp",
            "the page at offset 100 repeats 100 users already listed: the vendor seems to ignore `offset`",
        ),
        (
            "dnl",
            "the page `page=1` repeats 100 users already listed: the vendor seems to ignore `page`",
        ),
    ] {
        // Consistent, the listing is read whole.
        assert_eq!(driver(&sandbox, vendor).list().await.unwrap().len(), 250);
        let cases: [(ListingFault, &str); 5] = [
            (
                ListingFault::TotalLow,
                "the vendor reported total 225 but listed 250 users",
            ),
            (
                ListingFault::ShortPage,
                "held 50 users where 100 were expected (the vendor reported total 250): the listing has a gap",
            ),
            (ListingFault::IgnoresPaging, ignored),
            (ListingFault::RepeatedItem, "repeats 1 user already listed"),
            (ListingFault::DuplicateKey, "two users have the key"),
        ];
        for (fault, expected) in cases {
            misbehave(&sandbox, vendor, Some(fault));
            refused(&sandbox, vendor, expected).await;
        }
        misbehave(&sandbox, vendor, None);
    }
}

#[tokio::test]
async fn two_vendor_accounts_with_one_key_are_refused_naming_both_ids() {
    let sandbox = start(seed(0, 3, 3), ThuliumPaging::Paged).await;
    for (vendor, key, id_member) in [("ccp", "cu0000", "user_uuid"), ("dnl", "du0000", "user_id")] {
        let first = sandbox.account(vendor, key).unwrap().unwrap();
        let id = match &first[id_member] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let twin = match vendor {
            "ccp" => format!("ffffffff{}", &id[8..]),
            _ => (id.parse::<u64>().unwrap() + 1_000_000_000).to_string(),
        };
        misbehave(&sandbox, vendor, Some(ListingFault::DuplicateKey));
        let expected = format!("two users have the key \"{key}\" (ids \"{id}\" and \"{twin}\")");
        let err = driver(&sandbox, vendor).list().await.unwrap_err();
        assert!(err.to_string().contains(&expected), "{err}");
        assert!(
            err.hint().contains("rename or remove one"),
            "{}",
            err.hint()
        );
    }
}

#[tokio::test]
async fn a_total_of_10_to_the_12_is_refused_at_once_without_paging() {
    let sandbox = start(seed(0, 250, 250), ThuliumPaging::Paged).await;
    for vendor in ["ccp", "dnl"] {
        misbehave(&sandbox, vendor, Some(ListingFault::TotalHuge));
        sandbox.clear_requests();
        refused(
            &sandbox,
            vendor,
            "the vendor reported a total of 1000000000000 users, more than the 1000000 headcount reads from one provider",
        )
        .await;
        // The first page only: nothing is paged from a total not believed.
        assert_eq!(list_requests(&sandbox, vendor).len(), 1, "{vendor}");
    }
}

#[tokio::test]
async fn thulium_refuses_a_list_that_ignores_offset_repeats_an_agent_or_lists_a_login_twice() {
    let sandbox = start(seed(2500, 0, 0), ThuliumPaging::Paged).await;
    misbehave(&sandbox, "thulium", Some(ListingFault::IgnoresPaging));
    sandbox.clear_requests();
    refused(
        &sandbox,
        "thulium",
        "the page at offset 1000 repeats 1000 agents already listed: the vendor seems to ignore `offset`",
    )
    .await;
    // Offset 0, offset 1000 (the same page), one agent from 0: no loop.
    assert_eq!(
        list_requests(&sandbox, "thulium"),
        [
            "GET /thulium/api/agents?limit=1000&offset=0",
            "GET /thulium/api/agents?limit=1000&offset=1000",
            "GET /thulium/api/agents?limit=1&offset=0",
        ]
    );
    misbehave(&sandbox, "thulium", Some(ListingFault::RepeatedItem));
    refused(
        &sandbox,
        "thulium",
        "the page at offset 1000 repeats 1 agent already listed (\"ag0999\")",
    )
    .await;
    misbehave(&sandbox, "thulium", Some(ListingFault::DuplicateKey));
    refused(
        &sandbox,
        "thulium",
        "repeats 1 agent already listed (\"ag0000\")",
    )
    .await;
    // Unpaged, the second login is in the same (only) page.
    sandbox
        .set_listing(
            "thulium",
            ListingSettings {
                fault: Some(ListingFault::DuplicateKey),
                paging: Some(ThuliumPaging::IgnoresParameters),
            },
        )
        .unwrap();
    refused(
        &sandbox,
        "thulium",
        "repeats 1 agent already listed (\"ag0000\")",
    )
    .await;
}

#[tokio::test]
async fn thulium_lists_2500_agents_whether_the_server_pages_or_not() {
    let sandbox = start(seed(2500, 0, 0), ThuliumPaging::Paged).await;
    let thulium = driver(&sandbox, "thulium");
    let expected: Vec<String> = (0..2500).map(|i| format!("ag{i:04}")).collect();

    let records = thulium.list().await.unwrap();
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, expected);
    let paged = list_requests(&sandbox, "thulium");
    println!("paged: {paged:#?}");
    assert_eq!(
        paged,
        [
            "GET /thulium/api/agents?limit=1000&offset=0",
            "GET /thulium/api/agents?limit=1000&offset=1000",
            "GET /thulium/api/agents?limit=1000&offset=2000",
            // A short page is confirmed by the (empty) page after it.
            "GET /thulium/api/agents?limit=1000&offset=2500",
        ]
    );

    sandbox
        .set_listing(
            "thulium",
            ListingSettings {
                fault: None,
                paging: Some(ThuliumPaging::IgnoresParameters),
            },
        )
        .unwrap();
    sandbox.clear_requests();
    let records = thulium.list().await.unwrap();
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, expected);
    let unpaged = list_requests(&sandbox, "thulium");
    println!("ignores-parameters: {unpaged:#?}");
    assert_eq!(
        unpaged,
        [
            "GET /thulium/api/agents?limit=1000&offset=0",
            "GET /thulium/api/agents?limit=1000&offset=2500",
        ]
    );
}

#[tokio::test]
async fn thulium_reads_one_more_page_to_confirm_the_end() {
    let sandbox = start(seed(2000, 0, 0), ThuliumPaging::Paged).await;
    assert_eq!(
        driver(&sandbox, "thulium").list().await.unwrap().len(),
        2000
    );
    assert_eq!(
        list_requests(&sandbox, "thulium"),
        [
            "GET /thulium/api/agents?limit=1000&offset=0",
            "GET /thulium/api/agents?limit=1000&offset=1000",
            "GET /thulium/api/agents?limit=1000&offset=2000",
        ]
    );
    // Exactly 1000 agents, not paged: the same list twice, then one agent
    // asked to tell "ignores everything" from "ignores offset".
    let sandbox = start(seed(1000, 0, 0), ThuliumPaging::IgnoresParameters).await;
    assert_eq!(
        driver(&sandbox, "thulium").list().await.unwrap().len(),
        1000
    );
    assert_eq!(list_requests(&sandbox, "thulium").len(), 3);
}

// ------------------------------------------------------------------ sandbox

#[tokio::test]
async fn the_sandbox_thulium_list_pages_with_limit_and_offset_or_ignores_them() {
    let sandbox = start(seed(2500, 0, 0), ThuliumPaging::Paged).await;
    let client = reqwest::Client::new();
    let base = sandbox.base_url();
    let count = |query: &'static str| {
        let client = client.clone();
        let url = format!("{}/api/agents{query}", sandbox.thulium_url());
        async move {
            let answer: Value = client
                .get(url)
                .basic_auth(THULIUM_USER, Some(THULIUM_PASSWORD))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer.as_array().map(Vec::len)
        }
    };
    assert_eq!(count("").await, Some(100));
    assert_eq!(count("?limit=5000").await, Some(1000));
    assert_eq!(count("?limit=1000&offset=2400").await, Some(100));
    let listing: Value = client
        .get(format!("{base}/_sandbox/listing"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listing["thulium"],
        json!({"fault": null, "paging": "paged"})
    );
    assert_eq!(listing["ccp"], json!({"fault": null}));

    let put = |vendor: &'static str, body: Value| {
        client
            .put(format!("{base}/_sandbox/listing/{vendor}"))
            .json(&body)
            .send()
    };
    let ok = put("thulium", json!({"paging": "ignores-parameters"}))
        .await
        .unwrap();
    assert!(ok.status().is_success());
    assert_eq!(count("?limit=10&offset=20").await, Some(2500));
    // Settings a vendor's list cannot have are refused, naming why.
    let bad = put("ccp", json!({"paging": "paged"})).await.unwrap();
    assert_eq!(bad.status(), 400);
    let bad = put("thulium", json!({"fault": "total-low"})).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("reports no total"));
    // A reset goes back to the startup mode.
    sandbox.reset().unwrap();
    assert_eq!(count("").await, Some(100));
}

// ------------------------------------------------------------------ binary

/// A sandbox on its own runtime, so that it answers while a test waits for
/// the binary.
struct World {
    rt: tokio::runtime::Runtime,
    sandbox: Option<Sandbox>,
    dir: tempfile::TempDir,
}

impl World {
    fn new(seed: Seed, thulium_paging: ThuliumPaging) -> World {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(start(seed, thulium_paging));
        World {
            rt,
            sandbox: Some(sandbox),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn sb(&self) -> &Sandbox {
        self.sandbox.as_ref().unwrap()
    }

    /// A file listing the first `n` accounts of each vendor as they are seeded.
    fn file(&self, thulium: usize, ccp: usize, dnl: usize) -> PathBuf {
        let base = self.sb().base_url();
        let mut s = format!(
            "version: 1
providers:
  thulium:
    type: thulium
    url: {base}/thulium
    auth: {{ username: {{ env: HC_T_USER }}, password: {{ env: HC_T_PASS }} }}
  ccp:
    type: ccp
    url: {base}/ccp
    auth: {{ api_key: {{ env: HC_CCP_KEY }} }}
  dnl:
    type: dnl
    url: {base}/dnl
    auth: {{ username: {{ env: HC_DNL_USER }}, password: {{ env: HC_DNL_PASS }} }}
"
        );
        if thulium > 0 {
            s.push_str("agents:\n");
        }
        for i in 0..thulium {
            s.push_str(&format!(
                "  - {{ login: ag{i:04}, name: Agent, surname: S{i:04}, number: \"{}\", password: {{ env: HC_PW }} }}\n",
                10000 + i
            ));
        }
        if ccp + dnl > 0 {
            s.push_str("users:\n");
        }
        for i in 0..ccp {
            s.push_str(&format!(
                "  - {{ provider: ccp, username: cu{i:04}, level: agent, role_uuid: {ROLE}, extension: \"{}\", password: {{ env: HC_PW }} }}\n",
                2000 + i
            ));
        }
        for i in 0..dnl {
            s.push_str(&format!(
                "  - {{ provider: dnl, name: du{i:04}, user_type: agent, email: du{i:04}@example.net, password: {{ env: HC_PW }} }}\n"
            ));
        }
        let path = self.dir.path().join("headcount.yaml");
        std::fs::write(&path, s).unwrap();
        path
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = assert_cmd::Command::new(BIN)
            .args(args)
            .env("HC_T_USER", THULIUM_USER)
            .env("HC_T_PASS", THULIUM_PASSWORD)
            .env("HC_CCP_KEY", CCP_API_KEY)
            .env("HC_DNL_USER", DNL_USER)
            .env("HC_DNL_PASS", DNL_PASSWORD)
            .env("HC_PW", "Wanted-Pass-9")
            .env("NO_COLOR", "1")
            .env_remove("HEADCOUNT_FILE")
            .current_dir(self.dir.path())
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(sb) = self.sandbox.take() {
            self.rt.block_on(sb.shutdown());
        }
    }
}

/// Output with miette's wrapping undone: one space between words.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn plan_apply_and_drift_refuse_a_provider_whose_listing_does_not_add_up() {
    let world = World::new(seed(0, 250, 250), ThuliumPaging::Paged);
    let file = world.file(0, 250, 250);
    let f = file.to_str().unwrap();
    let (code, out, err) = world.run(&["plan", "-f", f, "--detailed-exitcode"]);
    assert_eq!(code, 0, "consistent listings, nothing to do\n{out}\n{err}");
    let cases = [
        (
            "ccp",
            ListingFault::TotalLow,
            "the vendor reported total 225 but listed 250 users",
        ),
        ("dnl", ListingFault::ShortPage, "the listing has a gap"),
        (
            "ccp",
            ListingFault::IgnoresPaging,
            "the vendor seems to ignore `offset`",
        ),
        (
            "dnl",
            ListingFault::RepeatedItem,
            "repeats 1 user already listed",
        ),
        (
            "ccp",
            ListingFault::DuplicateKey,
            "two users have the key \"cu0000\"",
        ),
        (
            "dnl",
            ListingFault::TotalHuge,
            "reported a total of 1000000000000 users",
        ),
    ];
    for (vendor, fault, expected) in cases {
        misbehave(world.sb(), vendor, Some(fault));
        let counts = world.sb().counts();
        for args in [
            vec!["plan", "-f", f, "--detailed-exitcode"],
            vec!["apply", "-f", f, "--auto-approve"],
            vec!["drift", "-f", f],
        ] {
            let (code, out, err) = world.run(&args);
            let all = flat(&format!("{out}\n{err}"));
            assert_eq!(code, 1, "{vendor} {fault:?} {}: {all}", args[0]);
            assert!(all.contains(&format!("{vendor}: list users")), "{all}");
            assert!(all.contains(expected), "{vendor} {fault:?}: {all}");
            assert!(!all.contains("to create"), "{all}");
        }
        assert_eq!(world.sb().counts(), counts, "nothing was written");
        misbehave(world.sb(), vendor, None);
    }
}

#[test]
fn plan_finds_nothing_to_do_for_2500_thulium_agents_in_both_paging_modes() {
    for paging in [ThuliumPaging::Paged, ThuliumPaging::IgnoresParameters] {
        let world = World::new(seed(2500, 0, 0), paging);
        let file = world.file(2500, 0, 0);
        let (code, out, err) =
            world.run(&["plan", "-f", file.to_str().unwrap(), "--detailed-exitcode"]);
        assert_eq!(code, 0, "{paging:?}\n{out}\n{err}");
        let requests = list_requests(world.sb(), "thulium");
        assert_eq!(
            requests.len(),
            if paging == ThuliumPaging::Paged { 4 } else { 2 },
            "{requests:?}"
        );
    }
}
