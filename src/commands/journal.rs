//! `headcount journal verify|show FILE`: check an apply journal's chain, or
//! print one person's or account's history from it.

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use serde_json::{json, Value as Json};

use crate::cli::{JournalArgs, JournalCommand, JournalFormat};
use crate::journal::{self, Line};

/// The largest journal read (1 GiB: millions of writes).
const MAX_JOURNAL_BYTES: u64 = 1 << 30;

pub fn run(args: JournalArgs) -> miette::Result<u8> {
    match args.command {
        JournalCommand::Verify { file } => verify(&file),
        JournalCommand::Show {
            file,
            person,
            key,
            since,
            format,
        } => show(
            &file,
            person.as_deref(),
            key.as_deref(),
            since.as_deref(),
            format,
        ),
    }
}

fn read(path: &Path) -> miette::Result<Vec<u8>> {
    let refuse = |e: &dyn std::fmt::Display| {
        miette::miette!(
            code = "headcount::journal",
            help = "give the path of a journal written by `headcount apply --journal FILE`",
            "cannot read the journal {}: {e}",
            path.display()
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| refuse(&e))?;
    if !meta.is_file() {
        return Err(refuse(&"not a regular file"));
    }
    if meta.len() > MAX_JOURNAL_BYTES {
        return Err(refuse(&"larger than 1 GiB"));
    }
    std::fs::read(path).map_err(|e| refuse(&e))
}

fn verify(path: &Path) -> miette::Result<u8> {
    let bytes = read(path)?;
    let verdict = journal::verify(&bytes);
    for notice in &verdict.notices {
        eprintln!("notice: {notice}");
    }
    match &verdict.broken {
        None => {
            crate::output::print(&format!(
                "{}: the chain holds: {} line(s), {} run(s).\n",
                path.display(),
                verdict.lines,
                verdict.runs
            ))?;
            Ok(super::EXIT_OK)
        }
        Some((line, what)) => Err(miette::miette!(
            code = "headcount::journal::tampered",
            help = "the journal was changed after it was written: compare it with the copy the workflow keeps (its git history), from this line on",
            "{}: the chain breaks at line {line}: {what}",
            path.display()
        )),
    }
}

/// Parses `--since`: a date (midnight UTC) or an RFC 3339 time.
fn since_time(text: &str) -> miette::Result<SystemTime> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    humantime::parse_rfc3339_weak(&full).map_err(|e| {
        miette::miette!(
            help = "write a date (2026-01-31) or a UTC time (2026-01-31T12:00:00Z)",
            "invalid --since \"{text}\": {e}"
        )
    })
}

fn show(
    path: &Path,
    person: Option<&str>,
    key: Option<&str>,
    since: Option<&str>,
    format: JournalFormat,
) -> miette::Result<u8> {
    let bytes = read(path)?;
    let since = since.map(since_time).transpose()?;
    let key = match key {
        Some(k) => Some(k.split_once('/').ok_or_else(|| {
            miette::miette!(
                help = "write --key PROVIDER/KEY, e.g. --key thulium/jkowalski",
                "invalid --key \"{k}\""
            )
        })?),
        None => None,
    };
    let mut headers: HashMap<String, Line> = HashMap::new();
    let mut writes: Vec<Line> = Vec::new();
    let mut unreadable = 0usize;
    for raw in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let Ok(line) = serde_json::from_slice::<Line>(raw) else {
            unreadable += 1;
            continue;
        };
        match line.kind.as_str() {
            "header" => {
                headers.insert(line.run.clone(), line);
            }
            "write" => {
                let wanted = person.is_none_or(|p| line.text("person") == Some(p))
                    && key.is_none_or(|(provider, k)| {
                        line.text("provider") == Some(provider) && line.text("key") == Some(k)
                    })
                    && since.is_none_or(|s| {
                        humantime::parse_rfc3339_weak(&line.time).is_ok_and(|t| t >= s)
                    });
                if wanted {
                    writes.push(line);
                }
            }
            _ => {}
        }
    }
    if unreadable > 0 {
        eprintln!("notice: {unreadable} line(s) are not journal lines and were skipped (run `headcount journal verify`)");
    }
    let text = match format {
        JournalFormat::Json => {
            let items: Vec<Json> = writes
                .iter()
                .map(|w| {
                    let mut item = serde_json::to_value(w).unwrap_or(Json::Null);
                    if let (Json::Object(map), Some(h)) = (&mut item, headers.get(&w.run)) {
                        map.insert("run_header".into(), run_summary(h));
                    }
                    item
                })
                .collect();
            let mut t = serde_json::to_string_pretty(&json!({ "writes": items }))
                .map_err(|e| miette::miette!("could not serialise the history: {e}"))?;
            t.push('\n');
            t
        }
        JournalFormat::Text => {
            let mut t = String::new();
            if writes.is_empty() {
                t.push_str("No write matches.\n");
            }
            for w in &writes {
                t.push_str(&text_line(w, headers.get(&w.run)));
                t.push('\n');
            }
            t
        }
    };
    crate::output::print(&text)?;
    Ok(super::EXIT_OK)
}

/// Who ran a write's run and from where, for `show`.
fn run_summary(header: &Line) -> Json {
    json!({
        "actor": header.rest.get("actor"),
        "git": header.rest.get("git"),
        "ci": header.rest.get("ci"),
        "options": header.rest.get("options"),
        "digest": header.rest.get("digest"),
    })
}

fn text_line(w: &Line, header: Option<&Line>) -> String {
    let text = |name: &str| w.text(name).unwrap_or("?");
    let fields = w
        .rest
        .get("fields")
        .and_then(Json::as_object)
        .map(|f| {
            f.iter()
                .map(|(k, v)| match v {
                    Json::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let status = w
        .rest
        .get("http_status")
        .and_then(Json::as_u64)
        .map(|s| format!(" HTTP {s}"))
        .unwrap_or_default();
    let request_id = w
        .text("request_id")
        .map(|r| format!(" request {r}"))
        .unwrap_or_default();
    let by = header
        .map(|h| {
            let actor = h.text("actor").unwrap_or("unknown");
            let commit = h
                .rest
                .get("git")
                .and_then(|g| g.get("commit"))
                .and_then(Json::as_str)
                .map(|c| format!(" at {}", c.chars().take(12).collect::<String>()))
                .unwrap_or_default();
            let ci = h
                .rest
                .get("ci")
                .and_then(|c| c.get("run_url"))
                .and_then(Json::as_str)
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            format!("by {actor}{commit}{ci}")
        })
        .unwrap_or_else(|| "by an unknown run".to_string());
    let message = w
        .text("message")
        .map(|m| format!("\n    {m}"))
        .unwrap_or_default();
    format!(
        "{}  {}/{} \"{}\"  {}{}{}  {}\n    {}{}",
        w.time,
        text("provider"),
        text("kind"),
        text("key"),
        text("outcome"),
        status,
        request_id,
        by,
        if fields.is_empty() {
            "no fields"
        } else {
            &fields
        },
        message
    )
}
