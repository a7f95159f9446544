//! `headcount plan`: refresh, diff, render, save.

use std::path::Path;

use crate::cli::{Format, PlanArgs, RefreshArgs};
use crate::desired::{self, Desired};
use crate::plan::saved::SavedPlan;
use crate::plan::{self, render, Plan, PlanOptions, Target};
use crate::progress::Progress;
use crate::refresh;

pub async fn run(args: PlanArgs) -> miette::Result<u8> {
    let progress = Progress::detect(false);
    let (desired, plan, _drivers) = make_plan(&args.refresh, args.force, &progress).await?;
    let text = match args.format {
        Format::Text => render::text::render(&plan, super::stdout_color()),
        Format::Json => render::json::render(&plan),
        Format::Markdown => render::markdown::render(&plan),
    };
    crate::output::print(&text)?;
    if !plan.problems.is_empty() {
        return Err(miette::miette!(
            help = "fix the problems listed above, then run plan again",
            "the plan cannot be applied: {} problem(s)",
            plan.problems.len()
        ));
    }
    if let Some(out) = &args.out {
        SavedPlan::new(&desired, &plan, &args.refresh.file.file).write(out)?;
        eprintln!(
            "Saved the plan to {}. Apply exactly this plan with: headcount apply {}",
            out.display(),
            out.display()
        );
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        super::EXIT_CHANGES
    } else {
        super::EXIT_OK
    })
}

/// Loads the file, reads the providers and computes the plan. Returns the
/// connected drivers too, so that apply reuses their sessions (tokens).
pub(crate) async fn make_plan(
    refresh_args: &RefreshArgs,
    force: bool,
    progress: &Progress,
) -> miette::Result<(Desired, Plan, refresh::Drivers)> {
    let loading = desired::Loading::begin(&refresh_args.file.file).map_err(miette::Report::new)?;
    // With valid providers, the vendors are read while the accounts are
    // checked (a large file takes a while to check). Everything else (an
    // invalid file, a bad --target, a missing credential) is reported as
    // if it were done in turn: the file first.
    let early = loading.providers().and_then(|providers| {
        let targets = targets_in(providers, &refresh_args.targets).ok()?;
        let options = PlanOptions { force, targets };
        let drivers = refresh::connect_providers(providers, refresh_args.parallelism, |name| {
            options.includes_provider(name)
        })
        .ok()?;
        Some((options, drivers))
    });
    let (desired, options, drivers, remote) = match early {
        Some((options, drivers)) => {
            let (desired, remote) = read_while_checking(loading, &drivers, progress).await?;
            (desired, options, drivers, remote)
        }
        None => {
            let desired = loading.finish().map_err(miette::Report::new)?;
            let options = PlanOptions {
                force,
                targets: targets(&desired, &refresh_args.targets)?,
            };
            let drivers = refresh::connect_all(&desired, refresh_args.parallelism, |name| {
                options.includes_provider(name)
            })?;
            let remote = refresh::read_all(&drivers, progress).await?;
            (desired, options, drivers, remote)
        }
    };
    let mut plan = plan::compute(&desired, &remote, &options);
    check_secrets(&mut plan);
    Ok((desired, plan, drivers))
}

/// Reads the providers while the accounts are checked on the blocking pool.
/// The file's problems come first; the read is then stopped and its spinners
/// cleared.
async fn read_while_checking(
    loading: desired::Loading,
    drivers: &refresh::Drivers,
    progress: &Progress,
) -> miette::Result<(Desired, plan::Remote)> {
    let checking = tokio::task::spawn_blocking(move || loading.finish());
    let outcome = {
        let mut read = std::pin::pin!(refresh::read_all(drivers, progress));
        let mut checking = std::pin::pin!(checking);
        tokio::select! {
            checked = &mut checking => match joined(checked) {
                Ok(desired) => Ok((desired, read.await)),
                Err(problems) => Err(problems),
            },
            remote = &mut read => joined(checking.await).map(|desired| (desired, remote)),
        }
    };
    // The read is dropped by now (its tasks stopped): take its spinners off
    // the screen before the file's problems are printed.
    let (desired, remote) = outcome.inspect_err(|_| progress.clear())?;
    Ok((desired, remote?))
}

/// The outcome of checking the accounts on the blocking pool.
fn joined(
    checked: Result<Result<Desired, desired::LoadError>, tokio::task::JoinError>,
) -> miette::Result<Desired> {
    match checked {
        Ok(loaded) => loaded.map_err(miette::Report::new),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(miette::miette!("checking the file was stopped: {e}")),
    }
}

/// Every secret a change will send must be resolvable now, so that an apply
/// never stops half-way for a missing variable. Values are dropped at once.
pub(crate) fn check_secrets(plan: &mut Plan) {
    let mut problems = Vec::new();
    for change in &plan.changes {
        for (field, secret) in &change.secrets {
            let purpose = format!(
                "{field} of {}/{} \"{}\"",
                change.provider, change.kind, change.key
            );
            if let Err(e) = secret.resolve(Path::new("."), &purpose) {
                problems.push(plan::Problem {
                    provider: change.provider.clone(),
                    key: Some(change.key.clone()),
                    message: e.to_string(),
                    help: "set it before running apply (secrets are read only when a change sends them)".into(),
                });
            }
        }
    }
    plan.problems.extend(problems);
}

/// Loads and validates the desired state.
pub(crate) fn load(path: &Path) -> miette::Result<Desired> {
    desired::load(path).map_err(miette::Report::new)
}

/// Parses and checks `--target` values against the file's providers.
pub(crate) fn targets(desired: &Desired, raw: &[String]) -> miette::Result<Vec<Target>> {
    targets_in(&desired.providers, raw)
}

fn targets_in(
    providers: &indexmap::IndexMap<String, desired::Provider>,
    raw: &[String],
) -> miette::Result<Vec<Target>> {
    raw.iter()
        .map(|text| {
            let target = Target::parse(text).ok_or_else(|| {
                miette::miette!(
                    help = "write --target PROVIDER or --target PROVIDER/KEY",
                    "invalid --target \"{text}\""
                )
            })?;
            if !providers.contains_key(&target.provider) {
                let names: Vec<&str> = providers.keys().map(String::as_str).collect();
                return Err(miette::miette!(
                    help = format!("the file's providers are: {}", names.join(", ")),
                    "--target names provider \"{}\", which the file does not define",
                    target.provider
                ));
            }
            Ok(target)
        })
        .collect()
}
