//! `headcount apply [PLANFILE]`: plan (or load a saved plan), confirm, execute, report.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::apply::{self, ApplyOptions, Report};
use crate::cli::ApplyArgs;
use crate::plan::saved::{stale_records, SavedPlan};
use crate::plan::{render, Plan};
use crate::progress::Progress;
use crate::refresh::{self, ConnectSpec, Drivers};

pub async fn run(args: ApplyArgs) -> miette::Result<u8> {
    let progress = Progress::detect(true);
    let (plan, drivers) = match &args.plan_file {
        Some(path) => saved_plan(path, &args, &progress).await?,
        None => {
            let (_desired, plan, drivers) =
                super::plan::make_plan(&args.refresh, args.force, &Progress::detect(false)).await?;
            (plan, drivers)
        }
    };

    print!("{}", render::text::render(&plan, super::stdout_color()));
    if !plan.problems.is_empty() {
        return Err(miette::miette!(
            help = "fix the problems listed above, then run apply again",
            "nothing was applied: the plan has {} problem(s)",
            plan.problems.len()
        ));
    }
    if plan.changes.is_empty() {
        return Ok(super::EXIT_OK);
    }
    if args.plan_file.is_none() && !args.auto_approve {
        confirm()?;
    }

    let cancel = Arc::new(AtomicBool::new(false));
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, Ordering::SeqCst);
                eprintln!("\nInterrupted: finishing the changes in flight, starting no new ones (Ctrl-C again to abort).");
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        })
    };
    let options = ApplyOptions {
        parallelism: args.refresh.parallelism as usize,
        cancel,
        progress: progress.clone(),
        ..ApplyOptions::default()
    };
    println!();
    let report = apply::execute(&plan, &drivers, &options).await;
    watcher.abort();
    print_report(&report);
    if let Some(path) = &args.report {
        write_report(&report, path)?;
    }
    if report.all_applied() {
        Ok(super::EXIT_OK)
    } else {
        Ok(super::EXIT_ERROR)
    }
}

/// Asks for `yes` on a terminal; refuses without one.
fn confirm() -> miette::Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(miette::miette!(
            help = "review the plan, then run `headcount apply --auto-approve` (or apply a saved plan: `headcount apply FILE`)",
            "refusing to apply without confirmation: standard input is not a terminal"
        ));
    }
    print!("\nDo you want to apply these changes? Only 'yes' will be accepted: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| miette::miette!("could not read the answer: {e}"))?;
    if answer.trim() != "yes" {
        return Err(miette::miette!("apply cancelled; nothing was changed"));
    }
    Ok(())
}

/// Loads a saved plan, connects its providers and refuses it when any record
/// it touches changed since it was made.
async fn saved_plan(
    path: &std::path::Path,
    args: &ApplyArgs,
    progress: &Progress,
) -> miette::Result<(Plan, Drivers)> {
    let mut saved = SavedPlan::read(path)?;
    super::plan::check_secrets(&mut saved.plan);
    let mut drivers: Drivers = IndexMap::new();
    let mut errors = Vec::new();
    for (name, provider) in &saved.providers {
        match ConnectSpec::from_saved(name, provider)
            .and_then(|spec| spec.connect(args.refresh.parallelism))
        {
            Ok(driver) => {
                drivers.insert(name.clone(), driver);
            }
            Err(e) => errors.push(e),
        }
    }
    refresh::combine(errors)?;
    let remote = refresh::read_all(&drivers, &Progress::detect(false)).await?;
    let stale = stale_records(&saved.plan, &remote);
    if !stale.is_empty() {
        let lines: Vec<String> = stale
            .iter()
            .map(|s| format!("  - {} \"{}\": {}", s.provider, s.key, s.what))
            .collect();
        return Err(miette::miette!(
            code = "headcount::apply::stale_plan",
            help = "make a new plan (`headcount plan --out FILE`), review it, and apply that",
            "stale plan: {} record(s) changed since the plan was made; nothing was applied\n{}",
            stale.len(),
            lines.join("\n")
        ));
    }
    progress.println(&format!("The saved plan {} is current.", path.display()));
    Ok((saved.plan, drivers))
}

fn print_report(report: &Report) {
    let failures: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.status != apply::Status::Applied)
        .collect();
    if !failures.is_empty() {
        println!("\nNot applied:");
        for f in failures {
            println!("  {}", apply::outcome_line(f));
        }
    }
    println!("\n{}", report.closing_line());
}

fn write_report(report: &Report, path: &std::path::Path) -> miette::Result<()> {
    let text = serde_json::to_string_pretty(&report.to_json())
        .map_err(|e| miette::miette!("could not serialise the report: {e}"))?;
    std::fs::write(path, text + "\n").map_err(|e| {
        miette::miette!(
            help = "check the folder exists and is writable",
            "cannot write the report to {}: {e}",
            path.display()
        )
    })
}
