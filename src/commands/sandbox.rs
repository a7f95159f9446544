//! `headcount sandbox`: serve the simulated vendor APIs until Ctrl-C.

use std::io::Write;

use crate::cli::SandboxArgs;
use crate::sandbox::{
    parse_kinds, Behaviours, FaultSettings, Sandbox, SandboxError, SandboxOptions, Seed,
    ThuliumPaging, CCP_API_KEY, DNL_PASSWORD, DNL_USER, THULIUM_PASSWORD, THULIUM_USER,
};

/// Builds the sandbox options from the command line.
pub fn options(args: &SandboxArgs) -> Result<SandboxOptions, SandboxError> {
    let kinds = parse_kinds(&args.faults).map_err(SandboxError::Faults)?;
    let faults = FaultSettings {
        rate: args.fault_rate,
        kinds,
        latency_ms: args.latency_ms,
    };
    let rate_limits =
        crate::sandbox::parse_rate_limits(&args.rate_limit).map_err(SandboxError::Faults)?;
    let seed = match &args.seed {
        Some(path) => Seed::load(path)?,
        None => Seed::default(),
    };
    let behaviours = Behaviours::from_assignments(&args.behaviours)?;
    Ok(SandboxOptions {
        port: args.port,
        faults,
        rng_seed: args.rng_seed,
        seed,
        dnl_sparse_reads: args.dnl_sparse_reads,
        thulium_paging: args.thulium_paging,
        behaviours,
        rate_limits,
    })
}

/// The banner: a SIMULATION, its URLs and its fixed credentials.
pub fn banner(sandbox: &Sandbox, faults: &FaultSettings) -> String {
    let counts = sandbox.counts();
    let count = |v: &str| counts.get(v).copied().unwrap_or(0);
    let kinds: Vec<&str> = faults.kinds.iter().map(|k| k.as_str()).collect();
    format!(
        "headcount sandbox: a SIMULATION of the Thulium, CCP and DNL APIs (in memory, not a real vendor)\n\
         listening on {base}\n\
         \n\
         thulium  url: {thulium}   HTTP Basic user {THULIUM_USER:?} password {THULIUM_PASSWORD:?}   ({t} agents)\n\
         ccp      url: {ccp}   api_key {CCP_API_KEY:?}   ({c} users)\n\
         dnl      url: {dnl}   email_or_name {DNL_USER:?} password {DNL_PASSWORD:?}   ({d} users)\n\
         control  url: {base}/_sandbox/ (state, counts, faults, behaviours, listing, requests, reset: docs/sandbox.md)\n\
         faults: rate {rate} kinds {kinds} latency {latency} ms; Thulium list: {paging}\n\
         behaviours: {behaviours}\n\
         rate limits: {limits}\n\
         \n\
         Press Ctrl-C to stop.\n",
        base = sandbox.base_url(),
        thulium = sandbox.thulium_url(),
        ccp = sandbox.ccp_url(),
        dnl = sandbox.dnl_url(),
        t = count("thulium"),
        c = count("ccp"),
        d = count("dnl"),
        rate = faults.rate,
        kinds = kinds.join(","),
        latency = faults.latency_ms,
        limits = {
            let limits = sandbox.rate_limits();
            if limits.is_empty() {
                "none".to_string()
            } else {
                limits
                    .iter()
                    .map(|(v, n)| format!("{v} {n}/s"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        },
        paging = match sandbox.listing().get("thulium").and_then(|l| l.paging) {
            Some(ThuliumPaging::IgnoresParameters) => "ignores limit and offset",
            _ => "paged with limit and offset",
        },
        behaviours = {
            let changed = sandbox.behaviours().changed();
            if changed.is_empty() {
                "the defaults".to_string()
            } else {
                changed.join(" ")
            }
        },
    )
}

pub async fn run(args: SandboxArgs) -> miette::Result<u8> {
    let options = options(&args)?;
    let faults = options.faults.clone();
    let sandbox = Sandbox::start(options).await?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(banner(&sandbox, &faults).as_bytes());
    let _ = out.flush();
    drop(out);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| miette::miette!("could not wait for Ctrl-C: {e}"))?;
    eprintln!("stopping the sandbox");
    sandbox.shutdown().await;
    Ok(super::EXIT_OK)
}
