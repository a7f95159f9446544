//! One file per subcommand. Each returns the process exit code, or a
//! diagnostic that `main` prints before exiting with [`EXIT_ERROR`].

pub mod apply;
pub mod completions;
pub mod demo;
pub mod doctor;
pub mod drift;
pub mod import;
pub mod init;
pub mod journal;
pub mod plan;
pub mod sandbox;
pub mod schema;
pub mod upcoming;
pub mod validate;

use crate::cli::{Cli, Command};
pub use crate::output::{set_color, stderr_color, stdout_color};

/// Success, no changes.
pub const EXIT_OK: u8 = 0;
/// An error (bad file, vendor failure, refused plan, failed change).
pub const EXIT_ERROR: u8 = 1;
/// Changes present (`plan --detailed-exitcode`) or drift found (`drift`).
pub const EXIT_CHANGES: u8 = 2;

/// The plan goes over a guardrail not allowed: a person must approve it
/// (`--allow KIND`). Distinct from an error (1) and from changes (2).
pub const EXIT_NEEDS_APPROVAL: u8 = 3;

/// When the plan goes over a limit not allowed: says which, by how much and
/// how to allow it (standard error), and gives [`EXIT_NEEDS_APPROVAL`].
pub fn needs_approval(plan: &crate::plan::Plan) -> Option<u8> {
    let over = plan.needs_approval();
    if over.is_empty() {
        return None;
    }
    let mut kinds: Vec<&str> = over.iter().map(|b| b.kind.flag()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let report = miette::miette!(
        code = "headcount::needs_approval",
        help = format!(
            "if the plan is right, run again with --allow {} (in CI: label the pull request `headcount: allow {}`); otherwise fix the file",
            kinds.join(","),
            kinds.join("`, `headcount: allow ")
        ),
        "the plan needs approval; nothing was applied:\n{}",
        over.iter()
            .map(|b| format!("  - {}", b.describe()))
            .collect::<Vec<_>>()
            .join("\n")
    );
    print_error(&report);
    Some(EXIT_NEEDS_APPROVAL)
}

/// Runs one command to completion.
pub fn run(cli: Cli) -> miette::Result<u8> {
    set_color(cli.color);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| miette::miette!("could not start the async runtime: {e}"))?;
    runtime.block_on(dispatch(cli.command))
}

async fn dispatch(command: Command) -> miette::Result<u8> {
    match command {
        Command::Validate(args) => validate::run(args).await,
        Command::Plan(args) => plan::run(args).await,
        Command::Apply(args) => apply::run(args).await,
        Command::Journal(args) => journal::run(args),
        Command::Drift(args) => drift::run(args).await,
        Command::Upcoming(args) => upcoming::run(args),
        Command::Import(args) => import::run(args).await,
        Command::Doctor(args) => doctor::run(args).await,
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Init(args) => init::run(args),
        Command::Man => completions::man(),
    }
}

/// Renders a diagnostic to standard error (colour only on a terminal).
pub fn print_error(report: &miette::Report) {
    eprint!("{}", render_report(report.as_ref(), stderr_color(), 100));
}

/// Renders a diagnostic as text; used by `main` and by snapshot tests.
pub fn render_report(diagnostic: &dyn miette::Diagnostic, color: bool, width: usize) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(width);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = format!("Error: {diagnostic}\n");
    }
    out
}
