//! `headcount demo`: the whole job against an in-process sandbox.
//!
//! The sandbox runs in this process; the steps run the real `headcount`
//! binary (this executable) as child processes, exactly as a user would, on
//! `examples/quickstart.yaml` pointed at the sandbox's port.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::DemoArgs;
use crate::desired::{Credential, Desired, SecretRef};
use crate::sandbox::{self, FaultSettings, Sandbox, SandboxOptions, Seed};

/// `println!` through [`crate::output`]: a closed stdout is a normal end.
macro_rules! say {
    ($($arg:tt)*) => {
        crate::output::print(&format!("{}\n", format_args!($($arg)*)))?
    };
}

/// The quickstart file (its URLs name 127.0.0.1:8787; the demo points them at its own port).
const QUICKSTART: &str = include_str!("../../examples/quickstart.yaml");
/// Accounts the demo sandbox starts with: per vendor one matching the
/// quickstart, one drifted, one unlisted.
const DEMO_SEED: &str = include_str!("../../examples/sandbox/demo-seed.yaml");
const QUICKSTART_BASE: &str = "http://127.0.0.1:8787";
/// The quickstart person's `active:` line, and what the demo's last step
/// makes of it.
const PERSON_ACTIVE: &str =
    "    active: true                           # false suspends every account below";
const PERSON_LEAVES: &str = "    active: false                          # has left";

pub async fn run(args: DemoArgs) -> miette::Result<u8> {
    let seed = Seed::parse(DEMO_SEED, false)
        .map_err(|e| miette::miette!("the built-in demo seed is invalid: {e}"))?;
    let sandbox = Sandbox::start(SandboxOptions {
        port: 0,
        faults: FaultSettings {
            latency_ms: args.latency_ms,
            ..FaultSettings::default()
        },
        rng_seed: Some(1),
        seed,
        ..SandboxOptions::default()
    })
    .await?;
    let result = walk_through(&sandbox).await;
    sandbox.shutdown().await;
    result
}

async fn walk_through(sandbox: &Sandbox) -> miette::Result<u8> {
    let dir = tempdir()?;
    let file = dir.join("quickstart.yaml");
    std::fs::write(
        &file,
        QUICKSTART.replace(QUICKSTART_BASE, &sandbox.base_url()),
    )
    .map_err(|e| miette::miette!("cannot write the demo file {}: {e}", file.display()))?;
    let desired = crate::workflow::load(&file)?;
    let env = demo_environment(&desired);

    say!(
        "headcount demo: a sandbox simulating Thulium, CCP and DNL is listening on {}",
        sandbox.base_url()
    );
    say!("It starts with a few accounts: per vendor, one that matches the file, one that differs, one the file does not list (drift), and a Thulium service account the file's `ignore:` keeps out.");
    say!(
        "The file is examples/quickstart.yaml, pointed at the sandbox: {}",
        file.display()
    );
    say!("Credentials and passwords come from environment variables set for each step:");
    for name in env.keys() {
        say!("  {name}=(set)");
    }

    let steps: [(&str, Vec<&str>, u8); 3] = [
        (
            "1/7  Plan: what would change?",
            vec!["plan"],
            super::EXIT_OK,
        ),
        (
            "2/7  Apply it",
            vec!["apply", "--auto-approve"],
            super::EXIT_OK,
        ),
        (
            "3/7  Plan again: nothing left to apply; accounts the file does not list stay drift (exit code 2)",
            vec!["plan", "--detailed-exitcode"],
            super::EXIT_CHANGES,
        ),
    ];
    for (title, command, expected) in steps {
        step(title, &command, &file, &env, expected).await?;
    }

    heading("4/7  Someone edits and suspends an agent in the vendor's panel (outside the file)")?;
    let (vendor, key, patch) = out_of_band_edit(&desired)?;
    sandbox.edit_account(vendor, &key, patch.clone())?;
    say!("  {vendor} account \"{key}\" changed directly on the vendor: {patch}");

    step(
        "5/7  Drift detection (exit code 2 = drift found)",
        &["drift"],
        &file,
        &env,
        super::EXIT_CHANGES,
    )
    .await?;

    step(
        "6/7  Plan: what apply would do to fix it (the agent is listed, so wanted active)",
        &["plan"],
        &file,
        &env,
        super::EXIT_OK,
    )
    .await?;

    // Offboarding: the person's one line.
    let leaver = dir.join("offboarding.yaml");
    let text = std::fs::read_to_string(&file)
        .map_err(|e| miette::miette!("cannot read the demo file {}: {e}", file.display()))?;
    if !text.contains(PERSON_ACTIVE) {
        return Err(miette::miette!(
            "the built-in quickstart file has no person to offboard (a bug in headcount)"
        ));
    }
    std::fs::write(&leaver, text.replacen(PERSON_ACTIVE, PERSON_LEAVES, 1))
        .map_err(|e| miette::miette!("cannot write the demo file {}: {e}", leaver.display()))?;
    step(
        "7/7  A person leaves: `active: false` on their people: entry suspends every account they have",
        &["plan"],
        &leaver,
        &env,
        super::EXIT_OK,
    )
    .await?;

    say!("\nThe demo is complete. Run the same commands on your own file: headcount plan -f headcount.yaml");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(super::EXIT_OK)
}

/// Runs `headcount ARGS -f FILE` as a child process and checks its exit code.
async fn step(
    title: &str,
    args: &[&str],
    file: &Path,
    env: &BTreeMap<String, String>,
    expected: u8,
) -> miette::Result<()> {
    heading(title)?;
    say!("$ headcount {} -f {}\n", args.join(" "), file.display());
    let exe = std::env::current_exe()
        .map_err(|e| miette::miette!("cannot find the headcount executable: {e}"))?;
    let status = tokio::process::Command::new(exe)
        .args(args)
        .arg("-f")
        .arg(file)
        .envs(env)
        .stdin(std::process::Stdio::null())
        .status()
        .await
        .map_err(|e| miette::miette!("cannot run headcount {}: {e}", args.join(" ")))?;
    let code = status.code().unwrap_or(-1);
    say!("\n(exit code {code})");
    if code != i32::from(expected) {
        return Err(miette::miette!(
            help =
                "this is a bug in headcount or its sandbox; please report it with the output above",
            "demo step `headcount {}` exited with {code}, expected {expected}",
            args.join(" ")
        ));
    }
    Ok(())
}

fn heading(title: &str) -> miette::Result<()> {
    say!("\n==== {title} ====");
    Ok(())
}

/// Values for every environment variable the file references: the sandbox's
/// credentials for providers, demo passwords for accounts.
fn demo_environment(desired: &Desired) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for provider in desired.providers.values() {
        for (field, credential) in &provider.auth {
            if let Credential::Secret(SecretRef::Env(name)) = credential {
                if let Some(value) = sandbox_credential(provider.vendor(), field) {
                    env.insert(name.clone(), value.to_string());
                }
            }
        }
    }
    for entry in &desired.entries {
        for secret in entry.secrets.values() {
            if let SecretRef::Env(name) = secret {
                env.insert(name.clone(), format!("Demo-{}-Pass1!", entry.key));
            }
        }
    }
    env
}

/// The sandbox's fixed credential for a vendor's `auth:` field.
fn sandbox_credential(vendor: &str, field: &str) -> Option<&'static str> {
    match (vendor, field) {
        ("thulium", "username") => Some(sandbox::THULIUM_USER),
        ("thulium", "password") => Some(sandbox::THULIUM_PASSWORD),
        ("ccp", "api_key") => Some(sandbox::CCP_API_KEY),
        ("dnl", "username") => Some(sandbox::DNL_USER),
        ("dnl", "password") => Some(sandbox::DNL_PASSWORD),
        _ => None,
    }
}

/// The demo's drift: the first Thulium agent of the file gets a new surname
/// and is suspended (listed means active: drift too).
fn out_of_band_edit(
    desired: &Desired,
) -> miette::Result<(&'static str, String, serde_json::Value)> {
    let entry = desired
        .entries
        .iter()
        .find(|e| {
            desired
                .providers
                .get(&e.provider)
                .is_some_and(|p| p.vendor() == "thulium")
        })
        .ok_or_else(|| miette::miette!("the quickstart file lists no Thulium agent to edit"))?;
    Ok((
        "thulium",
        entry.key.clone(),
        serde_json::json!({ "surname": "Changed-In-Panel", "active": false }),
    ))
}

fn tempdir() -> miette::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("headcount-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| miette::miette!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}
