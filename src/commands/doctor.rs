//! `headcount doctor`: read-only checks of each provider against what
//! headcount relies on (docs/vendors.md says what each check means).
//!
//! It reads each provider's account list twice, and nothing else: no
//! create, no edit (CCP and DNL log in with a `POST`, which writes nothing).
//! Only with `--probe-edits` does it send one edit that changes nothing
//! (Thulium: an empty body) to one account per provider, to find out
//! whether the edit endpoint exists.
//! Its requests per provider: the login (CCP, DNL) and two listings, each
//! `ceil(N / page)` pages plus at most two that confirm the end (see
//! `docs/performance.md`).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::cli::{DoctorArgs, Format};
use crate::desired::{EditsPolicy, Provider};
use crate::drivers::{Driver, EditProbe, ErrorKind};
use crate::model::{Access, RemoteRecord};
use crate::refresh;

/// One check: a behaviour, what headcount assumes, what was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub behaviour: &'static str,
    pub assumes: &'static str,
    pub observed: String,
    pub means: String,
    /// Whether what headcount relies on holds.
    pub holds: bool,
}

/// The checks of one provider.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderReport {
    pub provider: String,
    pub vendor: &'static str,
    pub ok: bool,
    pub checks: Vec<Check>,
}

fn check(
    behaviour: &'static str,
    assumes: &'static str,
    observed: String,
    means: impl Into<String>,
    holds: bool,
) -> Check {
    Check {
        behaviour,
        assumes,
        observed,
        means: means.into(),
        holds,
    }
}

const LISTING: &str = "listing adds up";

/// Reads `provider` twice and says what it showed.
async fn examine(provider: &Provider, parallelism: u32, probe_edits: bool) -> ProviderReport {
    let mut checks = Vec::new();
    let report = |checks: Vec<Check>| ProviderReport {
        provider: provider.name.clone(),
        vendor: provider.vendor(),
        ok: checks.iter().all(|c| c.holds),
        checks,
    };
    let driver: Arc<dyn Driver> = match refresh::connect(provider, parallelism) {
        Ok(d) => d,
        Err(e) => {
            checks.push(check(
                "credentials and TLS",
                "the credentials resolve and the URL is usable",
                e.to_string(),
                "nothing can be read: fix the provider's settings",
                false,
            ));
            return report(checks);
        }
    };
    let started = Instant::now();
    let first = crate::drivers::http::read_scope(driver.list()).await;
    let latency = started.elapsed();
    let first = match first {
        Ok(records) => records,
        Err(e) => {
            let auth = e.kind == ErrorKind::Auth;
            checks.push(check(
                if auth { "credentials and TLS" } else { LISTING },
                if auth {
                    "the vendor accepts the credentials over the provider's URL"
                } else {
                    "pages end on evidence, ids and keys are distinct, the total matches"
                },
                e.to_string(),
                if auth {
                    "nothing can be read: fix the credentials"
                } else {
                    "plan, drift and import refuse this provider: a listing that does not add up would plan wrong creates"
                },
                false,
            ));
            return report(checks);
        }
    };
    let scheme = provider.url.scheme();
    checks.push(check(
        "credentials and TLS",
        "the vendor accepts the credentials over the provider's URL",
        format!("accepted over {scheme}"),
        if scheme == "https" {
            "ok"
        } else {
            "plain HTTP: only for loopback or a trusted network"
        },
        true,
    ));
    checks.push(check(
        LISTING,
        "pages end on evidence, ids and keys are distinct, the total matches",
        format!("{} accounts, consistent", first.len()),
        "ok",
        true,
    ));
    let second = crate::drivers::http::read_scope(driver.list()).await;
    checks.push(match second {
        Ok(second) => {
            let same = keys(&first) == keys(&second);
            check(
                "the same order on two reads",
                "a list keeps its order while it is read page by page",
                if same {
                    "the same order".to_string()
                } else {
                    "the order changed between two reads".to_string()
                },
                if same {
                    "ok"
                } else {
                    "a paged read may skip or repeat accounts; headcount refuses such a listing when it sees it"
                },
                same,
            )
        }
        Err(e) => check(
            "the same order on two reads",
            "a list keeps its order while it is read page by page",
            e.to_string(),
            "the second read did not add up: the listing cannot be trusted",
            false,
        ),
    });
    let inactive = first.iter().filter(|r| is_inactive(r)).count();
    checks.push(check(
        "inactive accounts listed",
        "deactivated accounts are in the list",
        format!("{inactive} deactivated account(s) listed"),
        if inactive > 0 {
            "ok".to_string()
        } else {
            "none seen: either there are none, or the vendor hides them (then a deactivated account in the file reads as absent); check one in the vendor's panel".to_string()
        },
        true,
    ));
    let missing: Vec<&str> = driver
        .schema()
        .fields
        .iter()
        .filter(|f| f.expected_on_read && f.access != Access::CreateOnly)
        .filter(|f| !first.iter().any(|r| r.fields.contains_key(f.name)))
        .map(|f| f.name)
        .collect();
    checks.push(check(
        "fields a read carries",
        "every field marked as read back is in the list",
        if first.is_empty() {
            "no account to tell".to_string()
        } else if missing.is_empty() {
            "every expected field".to_string()
        } else {
            format!("missing: {}", missing.join(", "))
        },
        if missing.is_empty() {
            "ok".to_string()
        } else {
            "these fields are set on create only for these accounts and never checked for drift"
                .to_string()
        },
        true,
    ));
    if let Some(o) = driver.paging_observed() {
        checks.push(check(
            "page size served",
            "none: headcount asks 1000 and reads at the size served",
            format!(
                "largest page {} in {} request(s){}",
                o.largest_page,
                o.requests,
                if o.largest_page < first.len() {
                    " (smaller than the list: a cap or a fixed page size)"
                } else {
                    ""
                }
            ),
            "ok: a short page is confirmed by the next request",
            true,
        ));
        checks.push(check(
            "limit and offset honoured",
            "offset honoured, or limit ignored too (an unpaged list)",
            match (o.ignores_offset, o.ignores_limit) {
                (false, _) => "offset honoured".to_string(),
                (true, true) => "both ignored: an unpaged list".to_string(),
                (true, false) => "offset ignored".to_string(),
            },
            "ok",
            true,
        ));
        checks.push(check(
            "list shape and total",
            "a bare array, or {\"result\": [...]} with a count that matches",
            match o.count {
                Some(n) => format!("an envelope reporting count {n}, matching"),
                None => "no total reported".to_string(),
            },
            "ok",
            true,
        ));
    }
    checks.push(match driver.clock_skew_secs() {
        Some(skew) => check(
            "clock skew",
            "none (headcount compares no timestamps with the vendor's)",
            format!("the server's Date is {skew:+} s from this machine's"),
            if skew.abs() > 300 {
                "more than 5 minutes: check NTP on either side (token lifetimes are the vendor's)"
            } else {
                "informational"
            },
            true,
        ),
        None => check(
            "clock skew",
            "none (headcount compares no timestamps with the vendor's)",
            "the server sent no Date header".to_string(),
            "informational",
            true,
        ),
    });
    checks.push(check(
        "latency",
        "none",
        format!("one listing took {} ms", latency.as_millis()),
        "informational",
        true,
    ));
    if probe_edits {
        checks.push(probe(provider, driver.as_ref(), &first).await);
    }
    report(checks)
}

const EDIT_ENDPOINT: &str = "the edit endpoint exists";

/// Sends one edit that changes nothing to the first account `ignore:` does
/// not name, and says what it means under the provider's `edits:`.
async fn probe(provider: &Provider, driver: &dyn Driver, records: &[RemoteRecord]) -> Check {
    let manual = provider.edits == EditsPolicy::Manual;
    let assumes = if manual {
        "nothing (`edits: manual`: edits are made in the vendor's panel)"
    } else {
        "updates and deactivations are sent to the vendor's edit endpoint (`edits: api`)"
    };
    let Some(target) = records
        .iter()
        .find(|r| provider.ignored_by(&r.key).is_none())
    else {
        return check(
            EDIT_ENDPOINT,
            assumes,
            "not probed: no account to send an empty edit to".to_string(),
            "create one account, then run again",
            true,
        );
    };
    match driver.probe_edit(target).await {
        Ok(None) => check(
            EDIT_ENDPOINT,
            assumes,
            "not probed: no edit of this vendor is known to change nothing (CCP's replaces the whole user; DNL's may want the whole form)"
                .to_string(),
            "informational",
            true,
        ),
        Ok(Some(EditProbe::Exists)) => check(
            EDIT_ENDPOINT,
            assumes,
            format!("an empty edit of \"{}\" was taken", target.key),
            if manual {
                "the system has it: `edits: api` would let apply send updates and deactivations"
            } else {
                "ok"
            },
            true,
        ),
        Ok(Some(EditProbe::Missing { status })) => check(
            EDIT_ENDPOINT,
            assumes,
            format!(
                "an empty edit of \"{}\" answered {status}: the system has no edit endpoint",
                target.key
            ),
            if manual {
                "ok: `edits: manual` plans updates and deactivations as steps in the vendor's panel"
            } else {
                "every update and deactivation would fail: set `edits: manual` on this provider"
            },
            manual,
        ),
        Err(e) => check(
            EDIT_ENDPOINT,
            assumes,
            e.to_string(),
            "the probe failed: the answer does not say whether the endpoint exists",
            false,
        ),
    }
}

fn keys(records: &[RemoteRecord]) -> Vec<&str> {
    records.iter().map(|r| r.key.as_str()).collect()
}

fn is_inactive(record: &RemoteRecord) -> bool {
    ["active", "is_active"]
        .iter()
        .any(|f| record.fields.get(f) == Some(&crate::model::Value::Bool(false)))
}

fn text(reports: &[ProviderReport], markdown: bool) -> String {
    let mut out = String::new();
    for r in reports {
        let verdict = if r.ok { "ok" } else { "PROBLEM" };
        if markdown {
            let _ = writeln!(out, "### {} ({}): {verdict}\n", r.provider, r.vendor);
            let _ = writeln!(
                out,
                "| behaviour | headcount assumes | observed | what it means |\n|---|---|---|---|"
            );
            for c in &r.checks {
                let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
                let _ = writeln!(
                    out,
                    "| {}{} | {} | {} | {} |",
                    if c.holds { "" } else { "**FAILS** " },
                    c.behaviour,
                    cell(c.assumes),
                    cell(&c.observed),
                    cell(&c.means)
                );
            }
            out.push('\n');
        } else {
            let _ = writeln!(out, "{} ({}): {verdict}", r.provider, r.vendor);
            for c in &r.checks {
                let mark = if c.holds { "ok  " } else { "FAIL" };
                let _ = writeln!(out, "  {mark} {}", c.behaviour);
                let _ = writeln!(out, "       assumes:  {}", c.assumes);
                let _ = writeln!(out, "       observed: {}", c.observed);
                let _ = writeln!(out, "       means:    {}", c.means);
            }
            out.push('\n');
        }
    }
    out
}

pub async fn run(args: DoctorArgs) -> miette::Result<u8> {
    let desired = crate::workflow::load(&args.file.file)?;
    let providers: Vec<&Provider> = match &args.provider {
        Some(name) => vec![desired.providers.get(name).ok_or_else(|| {
            let names: Vec<&str> = desired.providers.keys().map(String::as_str).collect();
            miette::miette!(
                help = format!("the file's providers are: {}", names.join(", ")),
                "the file defines no provider named \"{name}\""
            )
        })?],
        None => desired.providers.values().collect(),
    };
    let reports = futures::future::join_all(
        providers
            .iter()
            .map(|p| examine(p, args.parallelism, args.probe_edits)),
    )
    .await;
    let rendered = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": reports.iter().all(|r| r.ok),
                "providers": reports,
            }))
            .map_err(|e| miette::miette!("could not encode the report: {e}"))?
                + "\n"
        }
        Format::Markdown => text(&reports, true),
        Format::Text => text(&reports, false),
    };
    crate::output::print(&rendered)?;
    let failed: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.checks
                .iter()
                .filter(|c| !c.holds)
                .map(move |c| format!("{}: {}", r.provider, c.behaviour))
        })
        .collect();
    if failed.is_empty() {
        return Ok(super::EXIT_OK);
    }
    Err(miette::miette!(
        help = "docs/vendors.md says what each behaviour means and what headcount does when it does not hold",
        "doctor: what headcount relies on does not hold: {}",
        failed.join("; ")
    ))
}
