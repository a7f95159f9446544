//! `headcount apply [PLANFILE]`: plan (or load a saved plan), confirm, execute, report.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::apply::{self, ApplyOptions, Report};
use crate::cli::ApplyArgs;
use crate::lock::ApplyLock;
use crate::plan::render;
use crate::plan::saved::{Made, SavedPlan};
use crate::progress::Progress;
use crate::workflow::{self, PlanRequest, Planned};

pub async fn run(args: ApplyArgs) -> miette::Result<u8> {
    let progress = Progress::detect(true);
    // Held until the report is written: a second apply on this file waits or refuses.
    let _lock = ApplyLock::acquire(&args.refresh.file.file, args.lock_timeout)?;
    let planned = match &args.plan_file {
        Some(path) => saved_plan(path, &args).await?,
        None => {
            let request = super::plan::request(&args.refresh, args.force, &args.rotate);
            workflow::make_plan(&request, &Progress::detect(false)).await?
        }
    };
    let (plan, drivers) = (&planned.plan, &planned.drivers);

    print!("{}", render::text::render(plan, super::stdout_color()));
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
    let report = apply::execute(plan, drivers, &options).await;
    watcher.abort();
    print_report(&report);
    if let Some(path) = &args.report {
        write_report(&report, path)?;
    }
    let read_back = apply::read_back(&report, drivers).await;
    if !read_back.is_empty() {
        return Err(miette::miette!(
            code = "headcount::apply::read_back",
            help = "remove the extra accounts on the provider (keep the one whose id the plan or the vendor's panel shows as first), then run plan again; apply holds a lock file so that two applies from one checkout cannot overlap, and CI should serialise applies (`concurrency:`)",
            "reading back what this apply created found {} problem(s):\n{}",
            read_back.len(),
            read_back
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
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

/// Plans again from the desired-state file (`-f`) with the saved plan's
/// options, and refuses unless the result is exactly the saved plan.
async fn saved_plan(path: &std::path::Path, args: &ApplyArgs) -> miette::Result<Planned> {
    let saved = SavedPlan::read(path)?;
    let request = PlanRequest {
        file: args.refresh.file.file.clone(),
        targets: saved.targets_for(&args.refresh.targets)?,
        parallelism: args.refresh.parallelism,
        force: args.force,
        rotate: saved.rotate_for(&args.rotate)?,
        expect_source: Some(saved.source.clone()),
    };
    let planned = workflow::make_plan(&request, &Progress::detect(false)).await?;
    if planned.plan.problems.is_empty() {
        let made = Made {
            source_path: &request.file,
            source_digest: &planned.source_digest,
            targets: &request.targets,
            rotate: &request.rotate,
            force: args.force,
        };
        saved.check(&SavedPlan::new(&planned.plan, &planned.remote, &made))?;
        eprintln!(
            "The saved plan {} matches the file and the providers; applying it.",
            path.display()
        );
    }
    Ok(planned)
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
