//! Command-line definitions (clap derive). No behaviour lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Terraform-style reconciliation of contact-center agents and users.
///
/// headcount reads a YAML desired-state file, reads the accounts on each
/// provider (Thulium, CCP, DNL) through its REST API, shows a plan and applies it.
#[derive(Debug, Parser)]
#[command(name = "headcount", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Examples:\n  headcount demo                          # everything, against the built-in sandbox\n  headcount validate -f headcount.yaml\n  headcount plan --detailed-exitcode\n  headcount apply --auto-approve\n\nExit codes: 0 success or no changes, 1 error (a usage error too), 2 changes present (plan --detailed-exitcode)\nor drift found (drift), 3 needs approval (a guardrail: run again with --allow KIND)."
)]
pub struct Cli {
    /// When to colour the output: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, value_name = "WHEN", global = true, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`, as cargo spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the desired-state file and report every problem at once (needs no credentials).
    #[command(
        after_help = "Examples:\n  headcount validate\n  headcount validate -f config/   # every *.yaml and *.yml in config/\n  headcount validate --format github   # annotations on the pull request's lines"
    )]
    Validate(ValidateArgs),
    /// Read the providers and show what apply would change.
    #[command(
        after_help = "Examples:\n  headcount plan\n  generate-accounts | headcount plan -f -\n  headcount plan --format markdown > plan.md\n  headcount plan --out plan.json --detailed-exitcode"
    )]
    Plan(PlanArgs),
    /// Apply the changes (a fresh plan, or a plan saved with `plan --out`).
    #[command(
        after_help = "Examples:\n  headcount apply\n  headcount apply --auto-approve\n  headcount apply plan.json\n  headcount apply --auto-approve --format json > result.json"
    )]
    Apply(ApplyArgs),
    /// Verify an apply journal's chain, or show one person's or account's history from it.
    #[command(
        after_help = "Examples:\n  headcount journal verify journal.jsonl\n  headcount journal show journal.jsonl --person jkowalski\n  headcount journal show journal.jsonl --key thulium/jkowalski --since 2026-01-01 --format json\n\nExit codes (verify): 0 the chain holds (notices, such as a torn last line, are printed), 1 a line was edited, removed, inserted or moved, or the file cannot be read."
    )]
    Journal(JournalArgs),
    /// Read-only check for changes made outside the file (for cron). Exit 2 when drift is found.
    #[command(
        after_help = "Examples:\n  headcount drift\n  headcount drift --format json --out drift.json"
    )]
    Drift(DriftArgs),
    /// The joiners, movers and leavers due in the coming days (reads only the file).
    #[command(
        after_help = "Examples:\n  headcount upcoming\n  headcount upcoming --days 7 --format markdown"
    )]
    Upcoming(UpcomingArgs),
    /// Write a provider's existing accounts (or every provider's, as people) as file entries.
    #[command(
        after_help = "Examples:\n  headcount import --provider thulium\n  headcount import --provider ccp --out users.yaml\n  headcount import --people --out people.yaml\n  headcount import --people --unmanaged -f config/ --out config/adopted.yaml"
    )]
    Import(ImportArgs),
    /// Read-only checks of each provider against what headcount relies on (run it first).
    #[command(
        after_help = "Examples:\n  headcount doctor\n  headcount doctor --provider thulium --format markdown"
    )]
    Doctor(DoctorArgs),
    /// Serve a simulation of the Thulium, CCP and DNL APIs on loopback.
    #[command(
        after_help = "Examples:\n  headcount sandbox --port 8787\n  headcount sandbox --port 0 --latency-ms 20 --fault-rate 0.1"
    )]
    Sandbox(SandboxArgs),
    /// Walk through plan, apply and drift against an in-process sandbox.
    #[command(after_help = "Example:\n  headcount demo")]
    Demo(DemoArgs),
    /// Print the JSON Schema of the desired-state file (or of the JSON plan).
    #[command(
        after_help = "Examples:\n  headcount schema > schemas/headcount.schema.json\n  headcount schema plan"
    )]
    Schema(SchemaArgs),
    /// Print shell completions.
    #[command(
        after_help = "Examples:\n  headcount completions bash > /etc/bash_completion.d/headcount\n  mkdir -p ~/.zfunc && headcount completions zsh > ~/.zfunc/_headcount"
    )]
    Completions(CompletionsArgs),
    /// Write a starter desired-state file.
    #[command(
        after_help = "Examples:\n  headcount init\n  headcount init -f config/headcount.yaml --force"
    )]
    Init(InitArgs),
    /// Print the manual page (roff), for `man -l -` or packaging.
    #[command(hide = true, after_help = "Example:\n  headcount man > headcount.1")]
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct FileArgs {
    /// Desired-state file, a directory whose *.yaml (and *.yml) files form one desired state, or `-` (standard input).
    #[arg(
        short = 'f',
        long = "file",
        value_name = "PATH",
        default_value = "headcount.yaml",
        env = "HEADCOUNT_FILE"
    )]
    pub file: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Output format: `json` (one object: valid, and each problem with its
    /// file, line and column), `github` (workflow commands that annotate the
    /// lines of a pull request: `::error file=F,line=L,col=C::message`).
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Maximum concurrent requests per provider.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallelism: u32,
    /// Tries after the first for a request that failed for a passing reason
    /// (no answer in time, a dropped connection, a 5xx, a 429), and for a
    /// create found missing after a failed try. 0 gives up at the first
    /// failure (a fast answer in CI); the default rides out a vendor failing
    /// three requests in ten.
    #[arg(long, value_name = "N", default_value_t = crate::drivers::retry::RetryPolicy::DEFAULT.retries, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// The wait before the first retry ("200ms", "1s"); it doubles after
    /// each try, with random jitter, up to 10 s. A vendor's `Retry-After`
    /// replaces it.
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = retry_wait)]
    pub retry_wait: std::time::Duration,
    /// Limit to a provider, or to one account (PROVIDER/KEY). Repeatable.
    #[arg(long = "target", value_name = "PROVIDER[/KEY]")]
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub refresh: RefreshArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Save the plan (no secrets) for `headcount apply FILE`.
    #[arg(long = "out", visible_alias = "output", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes or unlisted accounts reported (drift), 0 when there are none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Text plan: list the fields an edit sends unchanged (CCP sends the whole user), with their values.
    #[arg(short, long)]
    pub verbose: bool,
    /// Allow a plan that deactivates more than a provider's safety threshold.
    #[arg(long)]
    pub force: bool,
    /// Send the password of these accounts again (PROVIDER or PROVIDER/KEY; KEY may hold * and ?). Repeatable.
    #[arg(long = "rotate", value_name = "PROVIDER[/KEY]")]
    pub rotate: Vec<String>,
    #[command(flatten)]
    pub allow: AllowArgs,
    /// Evaluate the file's `start:`/`end:` as of this day (YYYY-MM-DD) instead of today, for a preview.
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    pub at: Option<jiff::civil::Date>,
}

/// `--allow KIND`: lift the guardrail on one kind of change.
#[derive(Debug, Clone, Args)]
pub struct AllowArgs {
    /// Let the plan go over the limits on these kinds of change: creates, updates,
    /// password-resets, deactivations (repeatable, or a comma list). A plan over a
    /// limit that is not allowed exits 3 (needs approval).
    /// In CI, `HEADCOUNT_ALLOW` (e.g. from the pull request's `headcount: allow KIND` labels).
    #[arg(long = "allow", value_name = "KIND", value_delimiter = ',', env = "HEADCOUNT_ALLOW", value_parser = crate::plan::ChangeKind::parse)]
    pub kinds: Vec<crate::plan::ChangeKind>,
}

/// A day as `--at` takes it.
fn parse_day(text: &str) -> Result<jiff::civil::Date, String> {
    crate::calendar::parse_day(text)
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// A plan saved with `headcount plan --out FILE`. Without it, a fresh plan is made.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub refresh: RefreshArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow a plan that deactivates more than a provider's safety threshold.
    #[arg(long)]
    pub force: bool,
    /// Send the password of these accounts again (PROVIDER or PROVIDER/KEY; KEY may hold * and ?). Repeatable.
    #[arg(long = "rotate", value_name = "PROVIDER[/KEY]")]
    pub rotate: Vec<String>,
    /// Write the apply report as JSON.
    #[command(flatten)]
    pub allow: AllowArgs,
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Wait this long for another apply on the same file to finish (e.g. 30s, 5m); 0 refuses at once.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// Output format: `json` prints the apply report on standard output (the plan and progress go to standard error).
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
    /// Append what this apply does to FILE (JSON lines, hash-chained; see `headcount journal`). Overrides the file's `journal:`.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    pub command: JournalCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum JournalCommand {
    /// Walk the chain: exit 1 naming the first line edited, removed, inserted or moved.
    Verify {
        /// The journal (JSON lines written by `apply --journal`).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the writes of one person or account (every write without a filter), oldest first.
    Show {
        /// The journal (JSON lines written by `apply --journal`).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Only this person's accounts (the `id` of a `people:` entry).
        #[arg(long, value_name = "ID")]
        person: Option<String>,
        /// Only this account.
        #[arg(long, value_name = "PROVIDER/KEY")]
        key: Option<String>,
        /// Only writes at or after this time (2026-01-31 or 2026-01-31T12:00:00Z).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = JournalFormat::Text)]
        format: JournalFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JournalFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub refresh: RefreshArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long = "out", visible_alias = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the report even when there is no drift.
    #[arg(short, long)]
    pub verbose: bool,
    /// Evaluate the file's `start:`/`end:` as of this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    pub at: Option<jiff::civil::Date>,
}

#[derive(Debug, Clone, Args)]
pub struct UpcomingArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// How many days ahead to look (today included).
    #[arg(long, value_name = "N", default_value_t = 14, value_parser = clap::value_parser!(u16).range(0..=3660))]
    pub days: u16,
    /// Count from this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    pub at: Option<jiff::civil::Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Check only this provider (name from the file).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Maximum concurrent requests to each provider.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallelism: u32,
    /// Also send one edit that changes nothing to one existing account of
    /// each provider, to find out whether the vendor has the edit endpoint
    /// (Thulium: `PUT /api/agents/{login}` with an empty body, which
    /// Thulium's PUT convention reads as "leave every field unchanged").
    /// The only write doctor ever sends; vendors with no edit known to
    /// change nothing (CCP, DNL) are not probed.
    #[arg(long)]
    pub probe_edits: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The provider (name from the file) whose accounts to import.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "people",
        conflicts_with = "people"
    )]
    pub provider: Option<String>,
    /// Read every provider and write `people:` entries, joining accounts
    /// across providers by e-mail (case-insensitive), then by identical key;
    /// accounts joined to no other are written as plain entries.
    #[arg(long)]
    pub people: bool,
    /// Only the accounts the file (`-f`) does not list nor ignore: the
    /// unlisted accounts a plan reports, as entries to adopt. Written as a
    /// file of their own, beside the others of a `-f DIR` desired state.
    #[arg(long)]
    pub unmanaged: bool,
    /// Write to FILE instead of standard output.
    #[arg(long, visible_alias = "output", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Maximum concurrent requests to the provider.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallelism: u32,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Latency added to every vendor request, in milliseconds.
    #[arg(long = "latency-ms", value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of vendor requests that fail (0.0 to 1.0).
    #[arg(long, value_name = "R", default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Fault kinds to inject, comma-separated: 400,500,503,429,hang,drop-before,drop-after (default all but 400, which is never retried).
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub faults: Vec<String>,
    /// Accounts to start with (YAML or JSON, per vendor).
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Seed of the fault generator, for repeatable runs.
    #[arg(long, value_name = "S")]
    pub rng_seed: Option<u64>,
    /// DNL reads leave out first_name, last_name and avatar_id (carry only
    /// fullname), as the vendor's database suggests.
    #[arg(long)]
    pub dnl_sparse_reads: bool,
    /// Meter vendors: VENDOR=REQUESTS_PER_SECOND, comma-separated (e.g. thulium=5,ccp=10); past it a vendor answers 429 with Retry-After.
    #[arg(long = "rate-limit", value_name = "VENDOR=N", value_delimiter = ',')]
    pub rate_limit: Vec<String>,
    /// How the simulated Thulium pages `GET /api/agents`: with limit (default 100, max 1000) and offset, or not at all.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = crate::sandbox::ThuliumPaging::Paged)]
    pub thulium_paging: crate::sandbox::ThuliumPaging,
    /// A vendor behaviour no public document fixes, as NAME=VALUE
    /// (repeatable), e.g. thulium.page_cap=100, thulium.offset=ignored,
    /// ccp.total=short:50. Every name and value: docs/sandbox.md.
    #[arg(long = "behaviour", value_name = "NAME=VALUE")]
    pub behaviours: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Latency the demo sandbox adds to every request, in milliseconds.
    #[arg(long = "latency-ms", value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// The desired-state file (headcount.yaml).
    File,
    /// The JSON plan (`plan --format json`).
    Plan,
    /// The JSON of `upcoming --format json`.
    Upcoming,
}

#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {
    /// Which schema to print.
    #[arg(value_enum, default_value_t = SchemaKind::File)]
    pub which: SchemaKind,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The file to write (`-` prints it on standard output).
    #[arg(
        short = 'f',
        long = "file",
        value_name = "PATH",
        default_value = "headcount.yaml",
        env = "HEADCOUNT_FILE"
    )]
    pub file: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Parses `--retry-wait`: a duration up to the longest single wait.
fn retry_wait(text: &str) -> Result<std::time::Duration, String> {
    let wait = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    let max = crate::drivers::retry::RetryPolicy::DEFAULT.max_delay;
    if wait > max {
        return Err(format!(
            "at most {} (the longest single wait)",
            humantime::format_duration(max)
        ));
    }
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::drivers::retry::RetryPolicy;

    #[test]
    fn the_retry_flags_default_to_the_retry_policy_and_the_wait_is_capped() {
        let Command::Plan(plan) = Cli::parse_from(["headcount", "plan"]).command else {
            panic!("not plan");
        };
        assert_eq!(plan.refresh.retries, RetryPolicy::DEFAULT.retries);
        assert_eq!(plan.refresh.retry_wait, RetryPolicy::DEFAULT.base_delay);
        let too_long = Cli::try_parse_from(["headcount", "plan", "--retry-wait", "11s"]);
        assert!(too_long.unwrap_err().to_string().contains("at most 10s"));
    }
}
