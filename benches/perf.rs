//! The performance benchmark of headcount: `cargo bench --bench perf`.
//!
//! One run prints one table:
//! - `plan` and `apply` wall time of the real `headcount` binary against the
//!   in-process sandbox with injected latency (3,000 accounts per vendor on
//!   the vendors, 3,200 per vendor in the file: 200 creates per vendor), and
//!   `validate` of the same file: `plan` against the target
//!   1.25 × (validate + the floor of its round trips), `apply` against
//!   1.25 × (validate + the floor of its round trips, creates included, + the
//!   floor of the read-back that follows the writes);
//! - requests made per plan and per apply (the sandbox's request log);
//! - CPU time and peak memory of `headcount validate` and `headcount plan`
//!   (zero latency) on a 100,000-entry file, measured on the child process
//!   with `wait4` (the median of 3 runs); the sandbox's own CPU during that
//!   plan, separately;
//! - `validate` of the same accounts written in other shapes (CRLF line ends,
//!   floats, `!!str` tags, anchors and aliases, flow style), each against the
//!   plain file per MB, and of a tenth of the file (CPU grows linearly).
//!
//! `cargo bench --bench perf -- large` runs the large-file section alone
//! (no latency, no network measurements).
//!
//! Timings are reported, never asserted: CI builds this target (clippy
//! `--all-targets`) but does not run it. Without `--bench` (as `cargo test
//! --benches` runs it) it does a small smoke run instead.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use headcount::sandbox::{FaultSettings, Sandbox, SandboxOptions, Seed};
use serde_json::{json, Value};

const EXE: &str = env!("CARGO_BIN_EXE_headcount");
const VENDORS: [&str; 3] = ["thulium", "ccp", "dnl"];
/// Page size the CCP and DNL drivers ask for.
const PAGE: usize = 100;

struct Scale {
    /// Accounts per vendor on the sandbox before the plan.
    existing: usize,
    /// Accounts per vendor in the file and not on the sandbox.
    new: usize,
    latency_ms: u64,
    parallelism: usize,
    /// Entries of the large file (split across the three vendors).
    big_entries: usize,
    /// Repetitions of each network measurement (the median is reported).
    runs: usize,
}

const FULL: Scale = Scale {
    existing: 3_000,
    new: 200,
    latency_ms: 20,
    parallelism: 8,
    big_entries: 100_000,
    runs: 3,
};

const SMOKE: Scale = Scale {
    existing: 150,
    new: 10,
    latency_ms: 5,
    parallelism: 8,
    big_entries: 600,
    runs: 1,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(MEASURE) {
        measure(&args[2..]);
        return;
    }
    let bench = args.iter().any(|a| a == "--bench");
    // `cargo bench --bench perf -- large`: the large-file section only.
    let large_only = args.iter().skip(1).any(|a| a == "large");
    let scale = if bench { &FULL } else { &SMOKE };
    // The in-process plan reads the same credentials as the child processes
    // (set before any thread starts).
    for (name, value) in child_env() {
        std::env::set_var(name, value);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rows: Vec<[String; 4]> = Vec::new();
    let load_before = load_average();

    if !large_only {
        network(&runtime, scale, dir.path(), &mut rows);
    }
    large_file(&runtime, scale, dir.path(), &mut rows);

    println!();
    if !bench {
        println!("(smoke run at a small scale; `cargo bench --bench perf` runs the real sizes)");
    }
    println!(
        "headcount {} on {} CPU(s), {} build",
        env!("CARGO_PKG_VERSION"),
        cores(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    // The machine may be shared: its load says how far to trust the timings.
    println!(
        "load average (1, 5, 15 min): {load_before} at the start, {} at the end",
        load_average()
    );
    println!();
    print_table(&rows);
}

/// The first three fields of /proc/loadavg, or "unknown".
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

// ---------------------------------------------------------------- network --

/// Plan and apply of `existing + new` accounts per vendor at `latency_ms`.
fn network(rt: &tokio::runtime::Runtime, s: &Scale, dir: &Path, rows: &mut Vec<[String; 4]>) {
    let seed = seed_accounts(0, s.existing, &[s.existing; 3]);
    let sandbox = rt
        .block_on(Sandbox::start(SandboxOptions {
            port: 0,
            faults: FaultSettings {
                latency_ms: s.latency_ms,
                ..FaultSettings::default()
            },
            rng_seed: Some(1),
            seed,
            ..SandboxOptions::default()
        }))
        .expect("sandbox starts");
    let file = dir.join("network.yaml");
    let total = s.existing + s.new;
    fs::write(&file, desired_file(&sandbox, &[total; 3])).expect("write the file");

    // The floor: per provider (auth + first page + ceil((pages - 1) / C)) x L,
    // providers in parallel; Thulium lists without a login, in sequential
    // pages of 1,000 (one more when the last is full: it reports no total).
    let l = s.latency_ms as f64 / 1000.0;
    let c = s.parallelism;
    let pages = s.existing.div_ceil(PAGE).max(1);
    let thulium_requests = s.existing / headcount::drivers::thulium::PAGE_SIZE + 1;
    let paged = (2 + (pages - 1).div_ceil(c)) as f64;
    let plan_floor = paged.max(thulium_requests as f64) * l;
    let writes_floor = s.new.div_ceil(c) as f64 * l;
    let apply_floor = plan_floor + writes_floor;
    // The read-back: apply lists every provider it wrote to again (existing
    // + new accounts), the same way, logged in already.
    let pages_after = total.div_ceil(PAGE).max(1);
    let readback_floor = ((1 + (pages_after - 1).div_ceil(c)) as f64)
        .max((total / headcount::drivers::thulium::PAGE_SIZE + 1) as f64)
        * l;

    // `validate` of the same file: what `plan` spends before its first request.
    let mut validate_walls: Vec<Duration> = (0..s.runs)
        .map(|_| run_child(&["validate"], &file, &[0]).wall)
        .collect();
    let validate_wall = median(&mut validate_walls);
    let validate_s = validate_wall.as_secs_f64();

    let mut plan_walls = Vec::new();
    // (headcount CPU, sandbox CPU) of each plan, reported with the median wall time.
    let mut plan_cpus = Vec::new();
    let mut plan_requests = 0;
    let mut apply_walls = Vec::new();
    let mut apply_requests = 0;
    for _ in 0..s.runs {
        sandbox.reset().expect("reset");
        let sandbox_before = self_cpu();
        let run = run_child(&["plan", "--parallelism", &c.to_string()], &file, &[0]);
        plan_cpus.push((run.wall, run.cpu, self_cpu().saturating_sub(sandbox_before)));
        plan_walls.push(run.wall);
        plan_requests = sandbox.requests().len();

        sandbox.reset().expect("reset");
        let run = run_child(
            &["apply", "--auto-approve", "--parallelism", &c.to_string()],
            &file,
            &[0],
        );
        apply_walls.push(run.wall);
        apply_requests = sandbox.requests().len();
        for vendor in VENDORS {
            assert_eq!(
                sandbox.count(vendor).expect("count"),
                total,
                "apply created every {vendor} account"
            );
        }
    }
    let plan_wall = median(&mut plan_walls);
    let (plan_cpu, plan_sandbox_cpu) = plan_cpus
        .iter()
        .find(|(wall, _, _)| *wall == plan_wall)
        .map_or((Duration::ZERO, Duration::ZERO), |(_, cpu, sandbox)| {
            (*cpu, *sandbox)
        });
    let apply_wall = median(&mut apply_walls);

    // The same plan in this process, without process start and file loading:
    // refresh (connect + read every provider) and diff only.
    sandbox.reset().expect("reset");
    let desired = headcount::desired::load(&file).expect("the file is valid");
    // Each provider's list alone, at the benchmark's latency and at zero
    // latency: what is left at zero is CPU (JSON on both sides of the wire).
    let lists: Vec<(String, Duration, Duration)> = rt.block_on(async {
        let drivers =
            headcount::refresh::connect_all(&desired, c as u32, |_| true).expect("connect");
        let mut out = Vec::new();
        for (name, driver) in &drivers {
            driver.list().await.expect("list"); // logs in, opens connections
            let started = Instant::now();
            driver.list().await.expect("list");
            let at_latency = started.elapsed();
            sandbox
                .set_faults(FaultSettings::default())
                .expect("faults");
            let started = Instant::now();
            driver.list().await.expect("list");
            let at_zero = started.elapsed();
            sandbox
                .set_faults(FaultSettings {
                    latency_ms: s.latency_ms,
                    ..FaultSettings::default()
                })
                .expect("faults");
            out.push((name.clone(), at_latency, at_zero));
        }
        out
    });
    let mut refresh_walls = Vec::new();
    for _ in 0..s.runs {
        let started = Instant::now();
        rt.block_on(async {
            let drivers =
                headcount::refresh::connect_all(&desired, c as u32, |_| true).expect("connect");
            let remote =
                headcount::refresh::read_all(&drivers, &headcount::progress::Progress::hidden())
                    .await
                    .expect("read");
            let plan = headcount::plan::compute(
                &desired,
                &remote,
                &headcount::plan::PlanOptions::default(),
            );
            assert_eq!(plan.summary().create, 3 * s.new);
        });
        refresh_walls.push(started.elapsed());
    }
    let refresh_wall = median(&mut refresh_walls);

    let what = format!(
        "{} accounts per vendor + {} new, {} ms latency, parallelism {c}",
        fmt_count(s.existing),
        fmt_count(s.new),
        s.latency_ms
    );
    rows.push([
        format!(
            "`validate` wall time of that file ({} accounts)",
            fmt_count(3 * total)
        ),
        secs(validate_wall),
        String::new(),
        String::new(),
    ]);
    let plan_target = validate_s + plan_floor;
    rows.push([
        format!("`plan` wall time ({what})"),
        secs(plan_wall),
        format!(
            "validate + floor = {} + {}; target <= 1.25x",
            secs(validate_wall),
            secs_f(plan_floor)
        ),
        ratio(plan_wall.as_secs_f64() / plan_target),
    ]);
    rows.push([
        "  CPU time of that plan: headcount (file, refresh, diff, output)".into(),
        secs(plan_cpu),
        format!("{} CPU(s) for both", cores()),
        String::new(),
    ]);
    rows.push([
        "  CPU time of that plan: the sandbox serving it (not headcount's)".into(),
        secs(plan_sandbox_cpu),
        String::new(),
        String::new(),
    ]);
    rows.push([
        "  of which refresh + diff (in process, no file loading)".into(),
        secs(refresh_wall),
        format!("floor {}", secs_f(plan_floor)),
        ratio(refresh_wall.as_secs_f64() / plan_floor),
    ]);
    for (name, at_latency, at_zero) in &lists {
        let requests = if name == "thulium" {
            thulium_requests
        } else {
            pages
        };
        let floor = if name == "thulium" {
            thulium_requests as f64 * l
        } else {
            (1 + (pages - 1).div_ceil(c)) as f64 * l
        };
        rows.push([
            format!("  {name}: list {} accounts alone, logged in ({requests} requests; at zero latency {})", fmt_count(s.existing), secs(*at_zero)),
            secs(*at_latency),
            format!("floor {}", secs_f(floor)),
            ratio(at_latency.as_secs_f64() / floor),
        ]);
    }
    let apply_target = validate_s + apply_floor + readback_floor;
    rows.push([
        format!(
            "`apply --auto-approve` wall time ({} creates, plan included)",
            3 * s.new
        ),
        secs(apply_wall),
        format!(
            "validate + floor + read-back = {} + {} ({} + {}) + {}; target <= 1.25x",
            secs(validate_wall),
            secs_f(apply_floor),
            secs_f(plan_floor),
            secs_f(writes_floor),
            secs_f(readback_floor)
        ),
        ratio(apply_wall.as_secs_f64() / apply_target),
    ]);
    let min_plan = thulium_requests + 2 * (1 + pages);
    rows.push([
        "requests per plan (sandbox request log)".into(),
        plan_requests.to_string(),
        format!("minimum {min_plan}: Thulium {thulium_requests} pages, CCP and DNL 1 login + {pages} pages each"),
        ratio(plan_requests as f64 / min_plan as f64),
    ]);
    rows.push([
        "requests per apply".into(),
        apply_requests.to_string(),
        format!(
            "minimum {}: the plan's + one per create",
            min_plan + 3 * s.new
        ),
        ratio(apply_requests as f64 / (min_plan + 3 * s.new) as f64),
    ]);
    rt.block_on(sandbox.shutdown());
}

// ------------------------------------------------------------- large file --

/// `validate` and `plan` (zero latency) of a file with `big_entries` entries.
fn large_file(rt: &tokio::runtime::Runtime, s: &Scale, dir: &Path, rows: &mut Vec<[String; 4]>) {
    let per = [
        s.big_entries - 2 * (s.big_entries / 3),
        s.big_entries / 3,
        s.big_entries / 3,
    ];
    let new = s.new.min(per[2]);
    let existing = per.map(|n| n - new);
    let sandbox = rt
        .block_on(Sandbox::start(SandboxOptions {
            port: 0,
            faults: FaultSettings::default(),
            rng_seed: Some(1),
            seed: seed_accounts(0, usize::MAX, &existing),
            ..SandboxOptions::default()
        }))
        .expect("sandbox starts");
    let file = dir.join("big.yaml");
    let text = desired_file(&sandbox, &per);
    fs::write(&file, &text).expect("write the file");
    let mb = text.len() as f64 / 1e6;
    let entries = fmt_count(s.big_entries);

    // Each command is run `runs` times and the run with the median CPU time
    // reported: a single run includes first-run costs (page cache, CPU state)
    // that move it by up to a third on this machine.
    let validate = median_run((0..s.runs).map(|_| run_child(&["validate"], &file, &[0])));
    rows.push([
        format!("`validate` of a {entries}-entry file ({mb:.1} MB): CPU time"),
        secs(validate.cpu),
        "target <= 3 s".into(),
        ratio(validate.cpu.as_secs_f64() / 3.0),
    ]);
    rows.push([
        "  peak memory (max RSS)".into(),
        mib(validate.max_rss_kib),
        "target <= 250 MB".into(),
        ratio(validate.max_rss_kib as f64 * 1024.0 / 250e6),
    ]);
    shapes(s, dir, &text, &validate, rows);

    sandbox.clear_requests();
    let self_before = self_cpu();
    let plans: Vec<ChildRun> = (0..s.runs)
        .map(|_| run_child(&["plan"], &file, &[0]))
        .collect();
    // Per plan, on average (every run asks the same pages).
    let sandbox_cpu = self_cpu().saturating_sub(self_before) / s.runs as u32;
    let requests = sandbox.requests().len() / s.runs;
    let plan = median_run(plans);
    rows.push([
        format!(
            "`plan` of the {entries}-entry file, zero latency ({} to create): CPU time",
            fmt_count(3 * new)
        ),
        secs(plan.cpu),
        String::new(),
        String::new(),
    ]);
    rows.push([
        "  wall time".into(),
        secs(plan.wall),
        String::new(),
        String::new(),
    ]);
    rows.push([
        "  peak memory (max RSS)".into(),
        mib(plan.max_rss_kib),
        "target <= 500 MB".into(),
        ratio(plan.max_rss_kib as f64 * 1024.0 / 500e6),
    ]);
    rows.push([
        format!("  sandbox CPU time serving that plan ({requests} requests), not headcount's"),
        secs(sandbox_cpu),
        String::new(),
        String::new(),
    ]);
    rt.block_on(sandbox.shutdown());
}

/// `validate` of the large file's accounts in other shapes, and of a tenth
/// of them: CPU per MB against the plain file's (`plain`, of `text`).
fn shapes(s: &Scale, dir: &Path, text: &str, plain: &ChildRun, rows: &mut Vec<[String; 4]>) {
    let per_mb = |run: &ChildRun, bytes: usize| run.cpu.as_secs_f64() / (bytes as f64 / 1e6);
    let plain_per_mb = per_mb(plain, text.len());
    let variants: [(&str, String); 6] = [
        ("a tenth of the accounts", tenth(text)),
        ("CRLF line ends", text.replace('\n', "\r\n")),
        (
            "`max_deactivate_percent: 12.5` on each provider",
            text.replace("    type: ", "    max_deactivate_percent: 12.5\n    type: "),
        ),
        (
            "`!!str` tags on names and numbers",
            text.replace("    name: ", "    name: !!str ")
                .replace("number: \"", "number: !!str \""),
        ),
        ("100 anchors and 900 aliases", aliases(text, 1_000)),
        (
            "flow style (`- { ... }`, one line an account)",
            flow_style(text),
        ),
    ];
    for (what, variant) in variants {
        let file = dir.join("shape.yaml");
        fs::write(&file, &variant).expect("write the file");
        let run = median_run((0..s.runs).map(|_| run_child(&["validate"], &file, &[0])));
        let relative = per_mb(&run, variant.len()) / plain_per_mb;
        rows.push([
            format!(
                "  `validate`, {what} ({:.1} MB): CPU time, peak {}",
                variant.len() as f64 / 1e6,
                mib(run.max_rss_kib)
            ),
            secs(run.cpu),
            "per MB, target <= 1.3x the plain file's".into(),
            ratio(relative),
        ]);
    }
}

/// The file cut after a tenth of each section's accounts (providers kept).
fn tenth(text: &str) -> String {
    let mut out = String::with_capacity(text.len() / 8);
    let sections: Vec<&str> = text.split("\n\n").collect();
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        let items: Vec<&str> = section.split("\n  - ").collect();
        let keep = if items.len() > 1 {
            1 + (items.len() - 1) / 10
        } else {
            1
        };
        out.push_str(&items[..keep].join("\n  - "));
    }
    out
}

/// The first `accounts` agents' passwords written once in ten (`&pwN`) and
/// aliased in the nine others (`*pwN`): serde-saphyr refuses more than ten
/// aliases per anchor, and headcount more than 1,000 aliases.
fn aliases(text: &str, accounts: usize) -> String {
    const LINE: &str = "    password: { env: AGENT_PASSWORD }\n";
    let mut seen = 0;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line != LINE || seen >= accounts {
            out.push_str(line);
            continue;
        }
        let group = seen / 10;
        if seen % 10 == 0 {
            out.push_str(&format!(
                "    password: &pw{group} {{ env: AGENT_PASSWORD }}\n"
            ));
        } else {
            out.push_str(&format!("    password: *pw{group}\n"));
        }
        seen += 1;
    }
    out
}

/// Each list item of block mappings rewritten as one flow mapping.
fn flow_style(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("  - ") {
            if open {
                out.push_str(" }\n");
            }
            out.push_str("  - { ");
            out.push_str(rest);
            open = true;
        } else if let (true, Some(rest)) = (open, line.strip_prefix("    ")) {
            out.push_str(", ");
            out.push_str(rest);
        } else {
            if open {
                out.push_str(" }\n");
                open = false;
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    if open {
        out.push_str(" }\n");
    }
    out
}

// ------------------------------------------------------------ the fixture --

fn login(vendor: &str, i: usize) -> String {
    match vendor {
        "thulium" => format!("agent{i:06}"),
        "ccp" => format!("User.{i:06}"),
        _ => format!("user-{i:06}"),
    }
}

/// The vendors' own records of accounts `0..count[v]` (at most `cap`), matching the file.
fn seed_accounts(from: usize, cap: usize, count: &[usize; 3]) -> Seed {
    let mut seed = Seed::default();
    for (v, vendor) in VENDORS.iter().enumerate() {
        let accounts: Vec<Value> = (from..count[v].min(cap))
            .map(|i| {
                let key = login(vendor, i);
                match *vendor {
                    "thulium" => json!({
                        "login": key, "name": "Jan", "surname": format!("Kowalski{i}"),
                        "number": 10_000 + i, "email": format!("{key}@example.com"),
                        "password": "Panel-Pass-1"
                    }),
                    "ccp" => json!({
                        "username": key, "level": "agent",
                        "role_uuid": "e40292d3-4707-40e5-a7f2-044d3d639757",
                        "first_name": "Hai", "email": format!("{}@example.vn", key.to_lowercase()),
                        "password": "Panel-Pass-2"
                    }),
                    _ => json!({
                        "name": key, "user_type": "agent", "email": format!("{key}@example.net"),
                        "first_name": "Do", "last_name": format!("Hai{i}"), "passwd": "Panel-Pass-3"
                    }),
                }
            })
            .collect();
        seed = seed.with(vendor, accounts);
    }
    seed
}

/// A desired-state file with `count[v]` accounts per vendor, pointed at the sandbox.
fn desired_file(sandbox: &Sandbox, count: &[usize; 3]) -> String {
    let mut out = String::with_capacity(count.iter().sum::<usize>() * 200);
    out.push_str(&format!(
        "version: 1\n\nproviders:\n  thulium:\n    type: thulium\n    url: {}\n    auth:\n      username: {{ env: THULIUM_API_USER }}\n      password: {{ env: THULIUM_API_PASSWORD }}\n  ccp:\n    type: ccp\n    url: {}\n    auth:\n      api_key: {{ env: CCP_API_KEY }}\n  dnl:\n    type: dnl\n    url: {}\n    auth:\n      username: {{ env: DNL_USER }}\n      password: {{ env: DNL_PASSWORD }}\n",
        sandbox.thulium_url(),
        sandbox.ccp_url(),
        sandbox.dnl_url()
    ));
    out.push_str("\nagents:\n");
    for i in 0..count[0] {
        let key = login("thulium", i);
        out.push_str(&format!(
            "  - login: {key}\n    name: Jan\n    surname: Kowalski{i}\n    number: \"{}\"\n    email: {key}@example.com\n    password: {{ env: AGENT_PASSWORD }}\n",
            10_000 + i
        ));
    }
    out.push_str("\nusers:\n");
    for i in 0..count[1] {
        let key = login("ccp", i);
        out.push_str(&format!(
            "  - provider: ccp\n    username: {key}\n    level: agent\n    role_uuid: e40292d3-4707-40e5-a7f2-044d3d639757\n    first_name: Hai\n    email: {}@example.vn\n    password: {{ env: USER_PASSWORD }}\n",
            key.to_lowercase()
        ));
    }
    for i in 0..count[2] {
        let key = login("dnl", i);
        out.push_str(&format!(
            "  - provider: dnl\n    name: {key}\n    user_type: agent\n    email: {key}@example.net\n    first_name: Do\n    last_name: Hai{i}\n    password: {{ env: USER_PASSWORD }}\n"
        ));
    }
    out
}

fn child_env() -> [(&'static str, &'static str); 7] {
    use headcount::sandbox::*;
    [
        ("THULIUM_API_USER", THULIUM_USER),
        ("THULIUM_API_PASSWORD", THULIUM_PASSWORD),
        ("CCP_API_KEY", CCP_API_KEY),
        ("DNL_USER", DNL_USER),
        ("DNL_PASSWORD", DNL_PASSWORD),
        ("AGENT_PASSWORD", "Bench-Agent-Pass-1"),
        ("USER_PASSWORD", "Bench-User-Pass-1"),
    ]
}

// ------------------------------------------------------- child processes --

struct ChildRun {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: u64,
}

/// First argument that makes this binary a measuring launcher (see [`measure`]).
const MEASURE: &str = "--measure-child";

/// Runs `headcount ARGS -f FILE` and returns its wall time, CPU time and peak memory.
///
/// Linux carries the peak RSS of the process that starts a program into the
/// program's own figure (`maxrss` survives `exec`), and this process is large
/// (it holds the sandbox). So the program is started by a fresh, small copy of
/// this binary ([`measure`]), which waits for it with `wait4` and prints the
/// figures.
fn run_child(args: &[&str], file: &Path, ok_codes: &[i32]) -> ChildRun {
    let out = file.with_extension(format!("{}.out", args[0]));
    let me = std::env::current_exe().expect("the benchmark's own path");
    let output = Command::new(me)
        .arg(MEASURE)
        .arg(&out)
        .arg(EXE)
        .args(args)
        .arg("-f")
        .arg(file)
        .envs(child_env())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the measuring launcher starts");
    let report = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<i64> = report
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let [wall_us, cpu_us, max_rss_kib, code] = numbers[..] else {
        panic!(
            "the launcher answered {report:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    assert!(
        ok_codes.contains(&(code as i32)),
        "headcount {} exited with {code}:\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr),
        fs::read_to_string(&out)
            .unwrap_or_default()
            .chars()
            .take(4000)
            .collect::<String>()
    );
    ChildRun {
        wall: Duration::from_micros(wall_us as u64),
        cpu: Duration::from_micros(cpu_us as u64),
        max_rss_kib: max_rss_kib as u64,
    }
}

/// The launcher: `perf --measure-child OUT PROGRAM ARGS...` runs PROGRAM with
/// its standard output in OUT and prints `wall_us cpu_us max_rss_kib exit_code`.
// The child is reaped by `wait4` (for its resource usage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn measure(args: &[String]) {
    let (out, program, rest) = match args {
        [out, program, rest @ ..] => (out, program, rest),
        _ => panic!("usage: {MEASURE} OUT PROGRAM ARGS..."),
    };
    let stdout = fs::File::create(out).expect("output file");
    let started = Instant::now();
    let child = Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(stdout)
        .spawn()
        .expect("the program starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `status` and `usage` are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    println!(
        "{} {} {} {code}",
        wall.as_micros(),
        cpu.as_micros(),
        usage.ru_maxrss
    );
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// Of several runs of one command, the one with the median CPU time.
fn median_run(runs: impl IntoIterator<Item = ChildRun>) -> ChildRun {
    let mut runs: Vec<ChildRun> = runs.into_iter().collect();
    runs.sort_by_key(|r| r.cpu);
    let middle = runs.len() / 2;
    runs.swap_remove(middle)
}

/// CPU time (user + system) of this process so far: the in-process sandbox.
fn self_cpu() -> Duration {
    // SAFETY: an all-zero rusage is valid; getrusage only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

// ---------------------------------------------------------------- output --

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn secs(d: Duration) -> String {
    secs_f(d.as_secs_f64())
}

fn secs_f(s: f64) -> String {
    format!("{s:.3} s")
}

fn mib(kib: u64) -> String {
    format!("{:.0} MB", kib as f64 * 1024.0 / 1e6)
}

fn ratio(r: f64) -> String {
    format!("{r:.2}x")
}

fn fmt_count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn print_table(rows: &[[String; 4]]) {
    println!("| measure | result | floor or target | ratio |");
    println!("|---|---:|---|---:|");
    for row in rows {
        println!("| {} | {} | {} | {} |", row[0], row[1], row[2], row[3]);
    }
}
