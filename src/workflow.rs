//! The plan workflow that `plan`, `apply`, `drift` and `demo` share: load the
//! desired state, connect the providers, read them, compute the plan and
//! check that every secret it needs is there.
//!
//! The commands in `src/commands/` stay thin: they parse their flags, call
//! [`make_plan`] and render or apply the result (see docs/architecture.md).

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

use crate::desired::{self, Desired, Provider};
use crate::lock::{ApplyLock, System};
use crate::plan::{self, saved, Plan, PlanOptions, Remote, Target};
use crate::progress::Progress;
use crate::refresh;

/// What to plan: the desired-state path and the planner's options, as the
/// command line (or a saved plan) gives them.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// Desired-state file, or a directory of `*.yaml` files.
    pub file: PathBuf,
    /// `--target` values (`PROVIDER` or `PROVIDER/KEY`), unparsed.
    pub targets: Vec<String>,
    /// Maximum concurrent requests per provider.
    pub parallelism: u32,
    /// Tries after the first for a read that failed for a passing reason.
    pub retries: u32,
    /// The wait before the first retry (it doubles after each).
    pub retry_wait: Duration,
    /// Allow a plan above a provider's deactivation threshold.
    pub force: bool,
    /// `--rotate` values (`PROVIDER` or `PROVIDER/KEY-GLOB`), unparsed.
    pub rotate: Vec<String>,
    /// `--allow` values: the guardrails lifted.
    pub allow: Vec<plan::ChangeKind>,
    /// `--at DAY`: evaluate the file's calendar as of this day instead of today.
    pub at: Option<jiff::civil::Date>,
    /// When applying a saved plan: the input it was made from. A file that
    /// changed since is refused before any provider is read.
    pub expect_source: Option<saved::Source>,
    /// For an apply: take the lock of every provider's vendor system
    /// (see [`crate::lock`]) before reading them, waiting up to this long.
    pub lock: Option<std::time::Duration>,
}

/// A computed plan and what it was made from.
pub struct Planned {
    pub desired: Desired,
    /// Digest of the desired-state input (every file's bytes).
    pub source_digest: String,
    pub remote: Remote,
    pub plan: Plan,
    pub options: PlanOptions,
    /// The connected drivers, so that apply reuses their sessions (tokens).
    pub drivers: refresh::Drivers,
    /// The vendor systems' locks, held until this is dropped (an apply's report).
    pub lock: Option<ApplyLock>,
}

/// Loads the file, reads the providers and computes the plan.
///
/// Problems are reported in the order a user expects: the file first, then
/// a file changed since a saved plan, then a bad `--target`, then a missing
/// credential, then the vendors.
pub async fn make_plan(request: &PlanRequest, progress: &Progress) -> miette::Result<Planned> {
    let (desired, source_digest) =
        desired::load_with_digest(&request.file).map_err(miette::Report::new)?;
    if let Some(expected) = &request.expect_source {
        if expected.digest != source_digest {
            return Err(saved::Refusal::FileChanged {
                saved_path: expected.path.clone(),
                saved_digest: expected.digest.clone(),
                path: request.file.display().to_string(),
                digest: source_digest,
            }
            .into());
        }
    }
    let (mut options, drivers) = connect(&desired.providers, request)?;
    let held = lock(&desired.providers, request)?;
    let remote = refresh::read_all(&drivers, progress).await?;
    check_targets_exist(&desired, &remote, &options.targets)?;
    check_rotate_matches(&desired, &options.rotate)?;
    options.at = Some(request.at.unwrap_or_else(|| today(&desired.timezone)));
    let mut plan = plan::compute(&desired, &remote, &options);
    check_secrets(&mut plan);
    plan.budgets = budgets(&desired, &remote, &drivers, &plan);
    Ok(Planned {
        desired,
        source_digest,
        remote,
        plan,
        options,
        drivers,
        lock: held,
    })
}

/// For an apply ([`PlanRequest::lock`]), the locks of the providers'
/// vendor systems, taken before any of them is read: a second apply
/// against one of them, from whatever path, waits or is refused.
fn lock(
    providers: &IndexMap<String, Provider>,
    request: &PlanRequest,
) -> miette::Result<Option<ApplyLock>> {
    let Some(timeout) = request.lock else {
        return Ok(None);
    };
    let systems: Vec<System> = providers
        .values()
        .map(|p| System::new(p.vendor(), &p.url))
        .collect();
    ApplyLock::acquire(&systems, timeout).map(Some)
}

/// Parses the targets and connects the providers they include.
fn connect(
    providers: &IndexMap<String, Provider>,
    request: &PlanRequest,
) -> miette::Result<(PlanOptions, refresh::Drivers)> {
    let options = PlanOptions {
        force: request.force,
        allow: request.allow.clone(),
        at: request.at,
        targets: parse_targets(providers, &request.targets)?,
        rotate: parse_rotate(providers, &request.rotate)?,
    };
    let limits = refresh::Limits {
        parallelism: request.parallelism,
        retries: request.retries,
        retry_wait: request.retry_wait,
    };
    let drivers =
        refresh::connect_providers(providers, limits, |name| options.includes_provider(name))?;
    Ok((options, drivers))
}

/// For each provider with a `rate_limit`: the requests the apply of `plan`
/// sends (the read the plan made, logins included, then a write per
/// change, then reading back a provider where accounts are created) and
/// how long the budget makes them take.
pub fn budgets(
    desired: &Desired,
    remote: &Remote,
    drivers: &refresh::Drivers,
    plan: &Plan,
) -> Vec<plan::RequestBudget> {
    drivers
        .iter()
        .filter_map(|(name, driver)| {
            let limit = desired.providers.get(name)?.rate_limit?;
            let listed = remote.providers.get(name).map_or(0, Vec::len);
            let changes = plan.changes.iter().filter(|c| &c.provider == name);
            let writes = changes.clone().count() as u64;
            let creates = changes
                .filter(|c| c.action() == plan::Action::Create)
                .count();
            let read = driver.requests_sent().max(driver.list_requests(listed));
            let read_back = if creates > 0 {
                driver.list_requests(listed + creates)
            } else {
                0
            };
            let requests = read + writes + read_back;
            let budget = crate::drivers::RateBudget {
                per_second: limit.per_second,
                burst: limit.burst,
            };
            Some(plan::RequestBudget {
                provider: name.clone(),
                requests,
                per_second: limit.per_second,
                burst: limit.burst,
                seconds: budget.duration_of(requests).as_secs_f64(),
            })
        })
        .collect()
}

/// Every secret a change will send must be resolvable now, so that an apply
/// never stops half-way for a missing variable. Values are dropped at once.
pub fn check_secrets(plan: &mut Plan) {
    let mut problems = Vec::new();
    for change in &plan.changes {
        for (field, secret) in &change.secrets {
            let purpose = format!(
                "{field} of {}/{} \"{}\"",
                change.provider, change.kind, change.key
            );
            if let Err(e) = secret.resolve(&purpose) {
                problems.push(plan::PlanProblem {
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

/// Today in the file's time zone: the one place headcount reads the clock.
/// Tests compute their dates through it too.
pub fn today(zone: &desired::types::Zone) -> jiff::civil::Date {
    crate::calendar::day_at(jiff::Timestamp::now(), &zone.tz)
}

/// Loads and validates the desired state.
pub fn load(path: &std::path::Path) -> miette::Result<Desired> {
    desired::load(path).map_err(miette::Report::new)
}

/// Parses `--target` values and checks that they name the file's providers.
pub fn parse_targets(
    providers: &IndexMap<String, Provider>,
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
            known_provider(providers, "--target", &target.provider)?;
            Ok(target)
        })
        .collect()
}

/// Parses `--rotate` values and checks that they name the file's providers.
pub fn parse_rotate(
    providers: &IndexMap<String, Provider>,
    raw: &[String],
) -> miette::Result<Vec<plan::Rotate>> {
    raw.iter()
        .map(|text| {
            let rotate = plan::Rotate::parse(text).map_err(|e| {
                miette::miette!(
                    help =
                        "write --rotate PROVIDER or --rotate PROVIDER/KEY (KEY may hold * and ?)",
                    "{e}"
                )
            })?;
            known_provider(providers, "--rotate", &rotate.provider)?;
            Ok(rotate)
        })
        .collect()
}

/// An option's provider must be one of the file's.
fn known_provider(
    providers: &IndexMap<String, Provider>,
    option: &str,
    provider: &str,
) -> miette::Result<()> {
    if providers.contains_key(provider) {
        return Ok(());
    }
    let names: Vec<&str> = providers.keys().map(String::as_str).collect();
    Err(miette::miette!(
        help = format!("the file's providers are: {}", names.join(", ")),
        "{option} names provider \"{provider}\", which the file does not define"
    ))
}

/// A `--rotate PROVIDER/KEY` whose key matches no account of the file is
/// a typo, as a `--target` is: it would rotate nothing, silently.
fn check_rotate_matches(desired: &Desired, rotate: &[plan::Rotate]) -> miette::Result<()> {
    let missing: Vec<String> = rotate
        .iter()
        .filter_map(|r| {
            let key = r.key.as_ref()?;
            let found = desired
                .entries
                .iter()
                .any(|e| r.matches(&e.provider, &e.key));
            (!found).then(|| format!("{}/{}", r.provider, key.as_str()))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(miette::miette!(
        code = "headcount::rotate",
        help = "check the spelling: --rotate rotates the passwords of accounts the file lists; a key is the account's login (Thulium), username (CCP) or name (DNL)",
        "--rotate {} matches no account in the file",
        missing.join(", ")
    ))
}

/// A `--target PROVIDER/KEY` whose key is neither in the file nor on the
/// provider is a typo: planning it would print "No changes" and hide it.
fn check_targets_exist(
    desired: &Desired,
    remote: &Remote,
    targets: &[Target],
) -> miette::Result<()> {
    let missing: Vec<String> = targets
        .iter()
        .filter_map(|t| {
            let key = t.key.as_deref()?;
            let in_file = desired
                .entries
                .iter()
                .any(|e| e.provider == t.provider && e.key == key);
            let on_provider = remote
                .providers
                .get(&t.provider)
                .is_some_and(|records| records.iter().any(|r| r.key == key));
            (!in_file && !on_provider).then(|| format!("{}/{key}", t.provider))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(miette::miette!(
        code = "headcount::target",
        help = "check the spelling: a key is the account's login (Thulium), username (CCP) or name (DNL)",
        "--target {} matches no account in the file or on the provider",
        missing.join(", ")
    ))
}
