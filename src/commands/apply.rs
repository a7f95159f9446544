//! `headcount apply [PLANFILE]`: plan (or load a saved plan), confirm, execute, report.

use std::io::{BufRead, IsTerminal};

use crate::apply::{self, ApplyOptions, Report};
use crate::cli::{ApplyArgs, ApplyFormat};
use crate::drivers::retry::RetryPolicy;
use crate::interrupt::Interrupt;
use crate::journal::{self, Journal, RunContext};
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
            let mut request = super::plan::request(&args.refresh, args.force, &args.rotate);
            request.allow = args.allow.kinds.clone();
            workflow::make_plan(&request, &Progress::detect(false)).await?
        }
    };
    let (plan, drivers) = (&planned.plan, &planned.drivers);

    // With `--format json`, standard output holds only the report JSON;
    // what a person reads goes to standard error.
    let json = args.format == ApplyFormat::Json;
    let color = if json {
        super::stderr_color()
    } else {
        super::stdout_color()
    };
    say(json, &render::text::render(plan, color))?;
    if !plan.problems.is_empty() {
        return Err(miette::miette!(
            help = "fix the problems listed above, then run apply again",
            "nothing was applied: the plan has {} problem(s)",
            plan.problems.len()
        ));
    }
    if let Some(code) = super::needs_approval(plan) {
        return Ok(code);
    }
    if plan.changes.is_empty() {
        say(json, &manual_reminder(plan))?;
        if let Some(journal) = open_journal(&args, &planned)? {
            journal.footer(&Report::default(), &[]);
            journal_written(&journal)?;
        }
        if json {
            crate::output::print(&report_json(&Report::default())?)?;
        }
        return Ok(super::EXIT_OK);
    }
    if args.plan_file.is_none() && !args.auto_approve {
        confirm(json)?;
    }
    let journal = open_journal(&args, &planned)?.map(std::sync::Arc::new);

    let interrupt = Interrupt::watch(progress.clone());
    let options = ApplyOptions {
        parallelism: args.refresh.parallelism as usize,
        create_retry: RetryPolicy {
            retries: args.refresh.retries,
            base_delay: args.refresh.retry_wait,
            ..RetryPolicy::DEFAULT
        },
        cancel: interrupt.flag(),
        progress: progress.clone(),
        journal: journal.clone(),
        budgets: planned
            .desired
            .providers
            .iter()
            .filter_map(|(name, p)| {
                let r = p.rate_limit?;
                Some((
                    name.clone(),
                    crate::drivers::RateBudget {
                        per_second: r.per_second,
                        burst: r.burst,
                    },
                ))
            })
            .collect(),
        ..ApplyOptions::default()
    };
    say(json, "\n")?;
    let report = apply::execute(plan, drivers, &options).await;
    drop(interrupt);
    print_report(&report, json)?;
    say(json, &manual_reminder(plan))?;
    let report_text = report_json(&report)?;
    if let Some(path) = &args.report {
        crate::output::write_file(path, &report_text, "the report")?;
    }
    if json {
        crate::output::print(&report_text)?;
    }
    let read_back = apply::read_back(&report, drivers).await;
    if let Some(journal) = &journal {
        journal.footer(&report, &read_back);
        journal_written(journal)?;
    }
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

/// What apply left to a person: the plan's steps to make by hand
/// (`edits: manual`), which it never sends. Empty when there are none.
fn manual_reminder(plan: &crate::plan::Plan) -> String {
    match plan.manual.len() {
        0 => String::new(),
        n => format!(
            "\n{n} manual step(s) not sent (`edits: manual`): make them in the vendor's panel, listed under \"Manual steps\" above; drift reports them until they are done.\n"
        ),
    }
}

/// Opens the journal (`--journal`, else the file's `journal:`) and writes
/// the run header. The apply lock is held already: two applies of one
/// desired state append one after the other.
fn open_journal(args: &ApplyArgs, planned: &Planned) -> miette::Result<Option<Journal>> {
    let Some(path) = args
        .journal
        .clone()
        .or_else(|| planned.desired.journal.clone())
    else {
        return Ok(None);
    };
    let journal = Journal::open(&path)?;
    let options = journal::context::Options {
        allow: args.allow.kinds.iter().map(|k| k.to_string()).collect(),
        force: args.force,
        rotate: args.rotate.clone(),
        targets: args.refresh.targets.clone(),
        auto_approve: args.auto_approve,
    };
    let mut context = RunContext::gather(&args.refresh.file.file, &planned.source_digest, options);
    context.plan_file = args.plan_file.as_ref().map(|p| p.display().to_string());
    journal.header(&context);
    journal_written(&journal)?;
    Ok(Some(journal))
}

/// A journal that could not be written fails the apply (after the report).
fn journal_written(journal: &Journal) -> miette::Result<()> {
    match journal.failure() {
        None => Ok(()),
        Some(problem) => Err(miette::miette!(
            code = "headcount::journal",
            help = "the vendors hold what the report says; free space or fix the journal's folder, and keep this run's report with the journal",
            "{problem}"
        )),
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

/// The report as JSON text: what `--report FILE` holds and `--format json` prints.
fn report_json(report: &Report) -> miette::Result<String> {
    serde_json::to_string_pretty(&report.to_json())
        .map(|text| text + "\n")
        .map_err(|e| miette::miette!("could not serialise the report: {e}"))
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

/// Plans again from the desired-state file (`-f`) with the saved plan's
/// options, and refuses unless the result is exactly the saved plan.
async fn saved_plan(path: &std::path::Path, args: &ApplyArgs) -> miette::Result<Planned> {
    let saved = SavedPlan::read(path)?;
    let allow = crate::plan::guardrails::Allowed {
        all: false,
        kinds: args.allow.kinds.clone(),
    };
    saved.check_allow(&allow.words())?;
    let request = PlanRequest {
        file: args.refresh.file.file.clone(),
        targets: saved.targets_for(&args.refresh.targets)?,
        parallelism: args.refresh.parallelism,
        retries: args.refresh.retries,
        retry_wait: args.refresh.retry_wait,
        force: args.force,
        rotate: saved.rotate_for(&args.rotate)?,
        allow: allow.kinds.clone(),
        at: None,
        expect_source: Some(saved.source.clone()),
    };
    let planned = workflow::make_plan(&request, &Progress::detect(false)).await?;
    if let Some(today) = planned.options.at {
        saved.check_day(today)?;
    }
    if planned.plan.problems.is_empty() {
        let made = Made {
            source_path: &request.file,
            source_digest: &planned.source_digest,
            targets: &request.targets,
            rotate: &request.rotate,
            force: args.force,
            allow: allow.words(),
            at: planned.options.at,
        };
        saved.check(&SavedPlan::new(&planned.plan, &planned.remote, &made))?;
        eprintln!(
            "The saved plan {} matches the file and the providers; applying it.",
            path.display()
        );
    }
    Ok(planned)
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
