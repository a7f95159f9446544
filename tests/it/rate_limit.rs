//! Rate budgets: a provider's `rate_limit` keeps every request of a run
//! within a vendor's metering (the sandbox's `rate_limits`), and `plan`
//! says how many requests the apply sends. Durations are measured in
//! `cargo bench --bench rate`, never asserted here.

use headcount::sandbox::{RequestRecord, SandboxOptions};
use serde_json::{json, Value};

use crate::common::{self, World};

const PER_SECOND: u64 = 20;

fn metered(vendor: &str, per_second: u32) -> World {
    World::start(SandboxOptions {
        rate_limits: [(vendor.to_string(), per_second)].into_iter().collect(),
        rng_seed: Some(7),
        ..SandboxOptions::default()
    })
    .with_env("AGENT_PW", "rate-pw-1")
}

/// `n` Thulium agents, the provider budgeted with `rate_limit`.
fn agents(w: &World, n: usize, rate_limit: &str) -> std::path::PathBuf {
    let mut text = w.providers(rate_limit, "", "");
    text.push_str("agents:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - {{ login: agent{i:04}, name: A, surname: S{i}, number: \"{}\", password: {{ env: AGENT_PW }} }}\n",
            1000 + i
        ));
    }
    w.write("headcount.yaml", &text)
}

/// The most requests to `vendor` in any one-second window of the log.
fn busiest_second(log: &[RequestRecord], vendor: &str) -> usize {
    let times: Vec<u64> = log
        .iter()
        .filter(|r| r.vendor == vendor)
        .map(|r| r.at_us)
        .collect();
    let mut most = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= 1_000_000 {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

#[test]
fn an_apply_within_its_budget_is_never_refused_and_plan_counts_its_requests() {
    let w = metered("thulium", PER_SECOND as u32);
    let f = agents(&w, 300, "    rate_limit: { per_second: 20 }\n");

    let plan = w.run(&["plan", "--format", "json", "-f", f.to_str().unwrap()]);
    assert_eq!(plan.status.code(), Some(0), "{}", common::stderr(&plan));
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let budget = &plan["budgets"][0];
    assert_eq!(budget["provider"], "thulium");
    // One (empty) list page, 300 creates, and reading them back: a short
    // page and the empty page that confirms its end.
    assert_eq!(budget["requests"], 303, "{budget}");
    assert_eq!(budget["per_second"], 20.0);
    assert_eq!(budget["burst"], 1);
    let text = w.run(&["plan", "-f", f.to_str().unwrap()]);
    assert!(
        common::stdout(&text)
            .contains("Rate budget: thulium: 303 requests within 20/s (burst 1): about 15.1 s"),
        "{}",
        common::stdout(&text)
    );

    w.sandbox.clear_requests();
    let out = w.run(&["apply", "--auto-approve", "-f", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(w.sandbox.count("thulium").unwrap(), 300);
    let log = w.sandbox.requests();
    let thulium = log.iter().filter(|r| r.vendor == "thulium").count();
    assert_eq!(thulium, 303, "the requests plan announced");
    let refused = log.iter().filter(|r| r.status == Some(429)).count();
    assert_eq!(refused, 0, "429 answers within the budget");
    let busiest = busiest_second(&log, "thulium");
    assert!(
        busiest as u64 <= PER_SECOND + 1,
        "{busiest} requests in one second (per_second 20 + burst 1)"
    );
}

#[test]
fn a_metered_vendor_answers_429_with_retry_after_past_its_budget() {
    let w = metered("ccp", 2);
    let url = format!("{}/v3/auth/token", w.sandbox.ccp_url());
    let statuses: Vec<(u16, Option<String>)> = w.runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut out = Vec::new();
        for _ in 0..3 {
            let resp = client
                .post(&url)
                .json(&json!({"api_key": headcount::sandbox::CCP_API_KEY}))
                .send()
                .await
                .unwrap();
            let retry = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            out.push((resp.status().as_u16(), retry));
        }
        out
    });
    assert!(statuses[0].0 < 300 && statuses[1].0 < 300, "{statuses:?}");
    assert_eq!(statuses[2], (429, Some("1".to_string())), "{statuses:?}");
    let log = w.sandbox.requests();
    assert!(log[2].rate_limited && log[2].status == Some(429), "{log:?}");
    assert!(log[0].at_us <= log[1].at_us && log[1].at_us <= log[2].at_us);
    // The control API changes the budgets.
    let limits = w.sandbox.rate_limits();
    assert_eq!(limits.get("ccp"), Some(&2));
    w.sandbox.set_rate_limits(&Default::default()).unwrap();
    assert!(w.sandbox.rate_limits().is_empty());
}
