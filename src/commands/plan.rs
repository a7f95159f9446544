//! `headcount plan`: refresh, diff, render, save.

use crate::cli::{Format, PlanArgs, RefreshArgs};
use crate::plan::render;
use crate::plan::saved::{Made, SavedPlan};
use crate::progress::Progress;
use crate::workflow::{self, PlanRequest};

pub async fn run(args: PlanArgs) -> miette::Result<u8> {
    let progress = Progress::detect(false);
    let mut request = request(&args.refresh, args.force, &args.rotate);
    request.allow = args.allow.kinds.clone();
    request.at = args.at;
    let planned = workflow::make_plan(&request, &progress).await?;
    let plan = &planned.plan;
    let text = match args.format {
        Format::Text => render::text::render_with(plan, super::stdout_color(), args.verbose),
        Format::Json => render::json::render(plan),
        Format::Markdown => render::markdown::render(plan),
    };
    crate::output::print(&text)?;
    if !plan.problems.is_empty() {
        return Err(miette::miette!(
            help = "fix the problems listed above, then run plan again",
            "the plan cannot be applied: {} problem(s)",
            plan.problems.len()
        ));
    }
    if let Some(code) = super::needs_approval(plan) {
        if args.out.is_some() {
            eprintln!("The plan was not saved: it needs approval.");
        }
        return Ok(code);
    }
    if let Some(out) = &args.out {
        let made = Made {
            source_path: &args.refresh.file.file,
            source_digest: &planned.source_digest,
            targets: &args.refresh.targets,
            rotate: &args.rotate,
            force: args.force,
            allow: planned.options.allowed().words(),
            at: planned.options.at,
        };
        SavedPlan::new(plan, &planned.remote, &made).write(out)?;
        eprintln!(
            "Saved the plan to {}. Apply exactly this plan with: headcount apply {} -f {}",
            out.display(),
            out.display(),
            args.refresh.file.file.display()
        );
    }
    Ok(if args.detailed_exitcode && plan.has_drift() {
        super::EXIT_CHANGES
    } else {
        super::EXIT_OK
    })
}

/// The workflow's request from the shared flags.
pub(crate) fn request(refresh: &RefreshArgs, force: bool, rotate: &[String]) -> PlanRequest {
    PlanRequest {
        file: refresh.file.file.clone(),
        targets: refresh.targets.clone(),
        parallelism: refresh.parallelism,
        retries: refresh.retries,
        retry_wait: refresh.retry_wait,
        force,
        rotate: rotate.to_vec(),
        allow: Vec::new(),
        at: None,
        expect_source: None,
    }
}
