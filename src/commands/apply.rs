//! `headcount apply [PLANFILE]`: plan (or load a saved plan), confirm, execute, report.

use std::io::{BufRead, IsTerminal};

use indexmap::IndexMap;

use crate::apply::{self, ApplyOptions, Report};
use crate::cli::{ApplyArgs, ApplyFormat};
use crate::interrupt::Interrupt;
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

    // With `--format json`, standard output holds only the report JSON;
    // what a person reads goes to standard error.
    let json = args.format == ApplyFormat::Json;
    let color = if json {
        super::stderr_color()
    } else {
        super::stdout_color()
    };
    say(json, &render::text::render(&plan, color))?;
    if !plan.problems.is_empty() {
        return Err(miette::miette!(
            help = "fix the problems listed above, then run apply again",
            "nothing was applied: the plan has {} problem(s)",
            plan.problems.len()
        ));
    }
    if plan.changes.is_empty() {
        if json {
            print_json(&Report::default())?;
        }
        return Ok(super::EXIT_OK);
    }
    if args.plan_file.is_none() && !args.auto_approve {
        confirm(json)?;
    }

    let interrupt = Interrupt::watch(progress.clone());
    let options = ApplyOptions {
        parallelism: args.refresh.parallelism as usize,
        cancel: interrupt.flag(),
        progress: progress.clone(),
        ..ApplyOptions::default()
    };
    say(json, "\n")?;
    let report = apply::execute(&plan, &drivers, &options).await;
    drop(interrupt);
    print_report(&report, json)?;
    if let Some(path) = &args.report {
        write_report(&report, path)?;
    }
    if json {
        print_json(&report)?;
    }
    if report.all_applied() {
        Ok(super::EXIT_OK)
    } else {
        Ok(super::EXIT_ERROR)
    }
}

/// Human text: standard output, or standard error under `--format json`.
fn say(json: bool, text: &str) -> miette::Result<()> {
    if json {
        eprint!("{text}");
        Ok(())
    } else {
        crate::output::print(text)
    }
}

/// The report JSON (what `--report FILE` holds) on standard output.
fn print_json(report: &Report) -> miette::Result<()> {
    let text = serde_json::to_string_pretty(&report.to_json())
        .map_err(|e| miette::miette!("could not serialise the report: {e}"))?;
    crate::output::print(&(text + "\n"))
}

/// Asks for `yes` on a terminal; refuses without one.
fn confirm(json: bool) -> miette::Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(miette::miette!(
            help = "review the plan, then run `headcount apply --auto-approve` (or apply a saved plan: `headcount apply FILE`)",
            "refusing to apply without confirmation: standard input is not a terminal"
        ));
    }
    let prompt = "\nDo you want to apply these changes? Only 'yes' will be accepted: ";
    say(json, prompt)?;
    let mut answer = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| miette::miette!("could not read the answer: {e}"))?;
    if read == 0 {
        // Ctrl-D: end the prompt line before the message.
        say(json, "\n")?;
    }
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

fn print_report(report: &Report, json: bool) -> miette::Result<()> {
    let mut text = String::new();
    let failures: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.status != apply::Status::Applied && !c.not_started())
        .collect();
    let not_started = report.changes.iter().filter(|c| c.not_started()).count();
    if !failures.is_empty() || not_started > 0 {
        text.push_str("\nNot applied:\n");
        for f in failures {
            text.push_str(&format!("  {}\n", apply::outcome_line(f)));
        }
        if not_started > 0 {
            text.push_str(&format!(
                "  {not_started} change(s) not started: the apply was interrupted\n"
            ));
        }
    }
    text.push_str(&format!("\n{}\n", report.closing_line()));
    say(json, &text)
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
