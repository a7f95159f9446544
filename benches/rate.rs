//! The rate budget's timing (issue 30): `cargo bench --bench rate`.
//!
//! A sandbox meters Thulium at 20 requests a second; the file budgets the
//! provider `rate_limit: { per_second: 20 }` and lists 300 agents the
//! sandbox does not hold. The real `headcount` binary runs `plan` (its
//! announced requests and time) and then `apply`; the table shows the
//! apply's wall time against requests / 20 s (target: at most 1.15 times)
//! and the plan's estimate against the apply's real time (target: within
//! 10%), with the 429 answers and the busiest second of the sandbox's log.
//!
//! Timings are reported, never asserted. Without `--bench` (as `cargo test
//! --benches` runs it) it does a small smoke run (30 agents).

use std::process::Command;
use std::time::Instant;

use headcount::sandbox::{Sandbox, SandboxOptions};
use serde_json::Value;

const EXE: &str = env!("CARGO_BIN_EXE_headcount");
const PER_SECOND: u32 = 20;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let agents = if bench { 300 } else { 30 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxOptions {
            rate_limits: [("thulium".to_string(), PER_SECOND)].into_iter().collect(),
            ..SandboxOptions::default()
        }))
        .expect("the sandbox starts");
    let dir = tempfile::tempdir().expect("a folder");
    let mut text = format!(
        "version: 1\nproviders:\n  thulium:\n    type: thulium\n    url: {}\n    auth: {{ username: {{ env: TH_USER }}, password: {{ env: TH_PASS }} }}\n    rate_limit: {{ per_second: {PER_SECOND} }}\nagents:\n",
        sandbox.thulium_url()
    );
    for i in 0..agents {
        text.push_str(&format!(
            "  - {{ login: agent{i:04}, name: A, surname: S{i}, number: \"{}\", password: {{ env: AGENT_PW }} }}\n",
            1000 + i
        ));
    }
    let file = dir.path().join("headcount.yaml");
    std::fs::write(&file, text).expect("the file is written");
    let run = |args: &[&str]| {
        let started = Instant::now();
        let out = Command::new(EXE)
            .args(args)
            .arg("-f")
            .arg(&file)
            .env("TH_USER", headcount::sandbox::THULIUM_USER)
            .env("TH_PASS", headcount::sandbox::THULIUM_PASSWORD)
            .env("AGENT_PW", "bench-pw-1")
            .env("HEADCOUNT_NO_PROGRESS", "1")
            .current_dir(dir.path())
            .output()
            .expect("headcount runs");
        assert!(
            out.status.success(),
            "headcount {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (out, started.elapsed().as_secs_f64())
    };
    let (plan, _) = run(&["plan", "--format", "json"]);
    let plan: Value = serde_json::from_slice(&plan.stdout).expect("a JSON plan");
    let budget = &plan["budgets"][0];
    let announced = budget["requests"].as_u64().unwrap_or(0);
    let estimate = budget["seconds"].as_f64().unwrap_or(0.0);
    sandbox.clear_requests();
    let (_, apply_seconds) = run(&["apply", "--auto-approve"]);
    let log = sandbox.requests();
    let sent = log.len();
    let refused = log.iter().filter(|r| r.status == Some(429)).count();
    let times: Vec<u64> = log.iter().map(|r| r.at_us).collect();
    let mut busiest = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= 1_000_000 {
            start += 1;
        }
        busiest = busiest.max(end - start + 1);
    }
    let floor = sent as f64 / f64::from(PER_SECOND);
    println!("rate budget: {agents} creates on Thulium, rate_limit 20/s (burst 1), sandbox metering 20/s");
    println!("| measure | value |");
    println!("|---|---|");
    println!("| requests announced by plan | {announced} |");
    println!("| requests the sandbox received | {sent} |");
    println!("| 429 answers | {refused} |");
    println!("| busiest one-second window | {busiest} requests (limit 21) |");
    println!("| apply wall time (process start to exit) | {apply_seconds:.2} s |");
    println!("| requests / 20 | {floor:.2} s |");
    println!(
        "| apply / (requests / 20) | {:.3} (target <= 1.15) |",
        apply_seconds / floor
    );
    println!("| plan's estimate | {estimate:.2} s |");
    println!(
        "| estimate error vs apply | {:+.1}% (target within 10%) |",
        (estimate - apply_seconds) / apply_seconds * 100.0
    );
    drop(sandbox);
}
