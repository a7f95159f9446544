//! The plan as Markdown for pull-request comments: a summary table, then the
//! details, kept under GitHub's comment limit by summarising when large.

use crate::words::plural;
use std::fmt::Write;

use indexmap::IndexMap;

use crate::plan::{Action, Change, Plan};

/// GitHub refuses comments over 65,536 characters; stay clear of it.
pub const MAX_CHARS: usize = 65_000;

/// Renders the plan; the result is never longer than [`MAX_CHARS`] characters.
pub fn render(plan: &Plan) -> String {
    let head = header(plan);
    let details = details(plan);
    let tail = footer(plan);
    if head.chars().count() + details.chars().count() + tail.chars().count() <= MAX_CHARS {
        return format!("{head}{details}{tail}");
    }
    // Too long: keep the table and as many whole change blocks as fit.
    let note_reserve = 400;
    let budget =
        MAX_CHARS.saturating_sub(head.chars().count() + tail.chars().count() + note_reserve);
    let mut kept = String::new();
    let mut shown = 0;
    for block in details_blocks(plan) {
        if kept.chars().count() + block.chars().count() > budget {
            break;
        }
        kept.push_str(&block);
        shown += 1;
    }
    let mut out = format!("{head}{kept}");
    let _ = writeln!(
        out,
        "\n> **Plan cut to fit a comment:** {shown} of {} changes shown. Run `headcount plan` for the full plan.\n",
        plan.changes.len()
    );
    out.push_str(&tail);
    truncate_chars(out, MAX_CHARS)
}

fn header(plan: &Plan) -> String {
    let s = plan.summary();
    let mut out = String::from("### headcount plan\n\n");
    let over = plan.needs_approval();
    if !over.is_empty() {
        out.push_str("#### :raised_hand: Needs approval\n\n");
        for b in &over {
            let _ = writeln!(out, "- {}", escape(&b.describe()));
        }
        let mut kinds: Vec<&str> = over.iter().map(|b| b.kind.flag()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let labels: Vec<String> = kinds
            .iter()
            .map(|k| format!("`headcount: allow {k}`"))
            .collect();
        let _ = writeln!(
            out,
            "\nNothing is applied until a person allows it: if the plan is right, label this pull request {} (or run `headcount apply --allow {}`).\n",
            labels.join(" and "),
            kinds.join(",")
        );
    }
    for b in plan.breaches.iter().filter(|b| b.allowed) {
        let _ = writeln!(
            out,
            "_Allowed:_ {} (`--allow {}`)\n",
            escape(&b.describe()),
            b.kind
        );
    }
    if let (true, Some(at)) = (plan.dated, plan.at) {
        let _ = writeln!(
            out,
            "_`start:` and `end:` as of {at} ({})._\n",
            escape(&plan.timezone)
        );
    }
    if plan.changes.is_empty() && plan.manual.is_empty() && plan.unlisted.is_empty() {
        out.push_str("**No changes.** The providers match the file.\n\n");
    } else if plan.changes.is_empty() && !plan.manual.is_empty() {
        let _ = writeln!(
            out,
            "**Nothing for apply to send; {} to make by hand** (see Manual steps).\n",
            plural(plan.manual.len(), "step", "steps")
        );
    } else if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "**No changes to apply; drift:** {} unlisted account(s) on the providers are not in the file (list them, add them to the provider's `ignore:`, or set `unlisted: deactivate`).\n",
            plan.unlisted.len()
        );
    } else {
        let resets = match s.password_resets {
            0 => String::new(),
            1 => "; **1 password reset** (see the change marked `password`)".to_string(),
            n => format!("; **{n} password resets** (see the changes marked `password`)"),
        };
        let by_hand = match s.manual {
            0 => String::new(),
            n => format!("; {} to make by hand", plural(n, "step", "steps")),
        };
        let _ = writeln!(
            out,
            "**Plan:** {} to create, {} to update, {} to deactivate{resets}{by_hand}.\n",
            s.create, s.update, s.deactivate
        );
        for budget in &plan.budgets {
            let _ = writeln!(out, "**Rate budget:** {}\n", escape(&budget.line()));
        }
    }
    let mut rows: IndexMap<&str, [usize; 5]> = IndexMap::new();
    for c in &plan.changes {
        let row = rows.entry(c.provider.as_str()).or_default();
        match c.action() {
            Action::Create => row[0] += 1,
            Action::Update => row[1] += 1,
            Action::Deactivate => row[2] += 1,
        }
        if c.action() != Action::Create && c.fields.iter().any(|f| f.sensitive) {
            row[4] += 1;
        }
    }
    for u in &plan.unlisted {
        rows.entry(u.provider.as_str()).or_default()[3] += 1;
    }
    if !rows.is_empty() {
        out.push_str(
            "| provider | create | update | deactivate | unlisted | password resets |\n|---|---:|---:|---:|---:|---:|\n",
        );
        for (provider, [c, u, d, l, r]) in &rows {
            let _ = writeln!(
                out,
                "| {} | {c} | {u} | {d} | {l} | {r} |",
                escape(provider)
            );
        }
        out.push('\n');
    }
    if !plan.problems.is_empty() {
        out.push_str("#### :x: Errors\n\n");
        for p in &plan.problems {
            let _ = writeln!(out, "- {} (help: {})", escape(&p.message), escape(&p.help));
        }
        out.push('\n');
    }
    out
}

/// One block per change, grouped by person (each group's first block opens
/// with the person's heading when the plan has people).
fn details_blocks(plan: &Plan) -> Vec<String> {
    let groups = plan.by_person();
    let headed = groups.iter().any(|(person, _)| person.is_some());
    let mut blocks = Vec::with_capacity(plan.changes.len() + 1);
    let notes = super::not_sent(plan, &groups);
    if !notes.is_empty() {
        let lines: Vec<String> = notes
            .iter()
            .map(|(note, people)| {
                format!(
                    "_Not sent: {}_\n\n",
                    escape(&super::not_sent_line(note, *people))
                )
            })
            .collect();
        blocks.push(lines.concat());
    }
    for (person, changes) in groups {
        for (i, c) in changes.into_iter().enumerate() {
            let mut block = if headed && i == 0 {
                match person {
                    Some((id, name)) if name != id => {
                        format!("**Person `{}` ({})**\n\n", escape(id), escape(name))
                    }
                    Some((id, _)) => format!("**Person `{}`**\n\n", escape(id)),
                    None => "**Accounts of no person**\n\n".to_string(),
                }
            } else {
                String::new()
            };
            block.push_str(&change_block(c));
            blocks.push(block);
        }
    }
    blocks
}

fn change_block(c: &Change) -> String {
    let mut block = format!(
        "<details><summary><code>{}</code> {}/{} <b>{}</b> will be {}{}</summary>\n\n```diff\n",
        c.action().symbol(),
        escape(&c.provider),
        c.kind,
        escape(&c.key),
        c.action().verb(),
        c.reason
            .as_deref()
            .map(|r| format!(" <i>({})</i>", escape(r)))
            .unwrap_or_default()
    );
    // A reason shared by several fields sent unchanged is said once.
    let mut said: Option<&str> = None;
    for f in &c.fields {
        let mut note = f
            .note
            .as_deref()
            .map(|n| format!("  # {n}"))
            .unwrap_or_default();
        if f.sent_only && !f.sensitive {
            if said == f.note.as_deref() {
                note.clear();
            }
            said = f.note.as_deref();
        }
        let line = if f.sensitive && f.note.as_deref() == Some("rotated") {
            format!("+ {} = (sensitive, rotated)", f.name)
        } else if f.sensitive {
            format!("+ {} = (sensitive){note}", f.name)
        } else if f.sent_only {
            let value = f
                .after
                .as_ref()
                .map_or_else(|| "null".to_string(), |v| v.to_string());
            format!("  {} = {value}{note}", f.name)
        } else {
            match (&f.before, &f.after) {
                (None, Some(after)) if c.action() == Action::Create => {
                    let note = if f.create_only {
                        "  # set on create only"
                    } else {
                        ""
                    };
                    format!("+ {} = {after}{note}", f.name)
                }
                (before, Some(after)) => format!(
                    "- {} = {}\n+ {} = {after}{note}",
                    f.name,
                    before
                        .as_ref()
                        .map_or_else(|| "(not set)".to_string(), |v| v.to_string()),
                    f.name
                ),
                (Some(before), None) => format!("- {} = {before}", f.name),
                (None, None) => continue,
            }
        };
        block.push_str(&line.replace("```", "'''"));
        block.push('\n');
    }
    block.push_str("```\n");
    for note in &c.notes {
        let _ = writeln!(block, "\n_{}_", escape(note));
    }
    block.push_str("</details>\n\n");
    block
}

/// The steps to make by hand (`edits: manual`), one line each.
fn manual_steps(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.manual.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "#### Manual steps\n\nMake these in the vendor's own panel: the provider says `edits: manual`, so apply does not send them, and drift reports them until they are done.\n"
    );
    const MAX_STEPS: usize = 200;
    for c in plan.manual.iter().take(MAX_STEPS) {
        let fields: Vec<String> = c
            .fields
            .iter()
            .map(|f| {
                let shown = |v: &Option<crate::model::Value>| {
                    v.as_ref()
                        .map_or_else(|| "(not set)".to_string(), |v| v.to_string())
                };
                format!("{} {} → {}", f.name, shown(&f.before), shown(&f.after))
            })
            .collect();
        let _ = writeln!(
            out,
            "- {} {}/{} `{}`: {}",
            c.action(),
            escape(&c.provider),
            c.kind,
            c.key.replace('`', "'"),
            escape(&fields.join("; "))
        );
    }
    if plan.manual.len() > MAX_STEPS {
        let _ = writeln!(out, "- … and {} more", plan.manual.len() - MAX_STEPS);
    }
    out.push('\n');
    out
}

fn details(plan: &Plan) -> String {
    if plan.changes.is_empty() {
        return String::new();
    }
    let mut out = String::from("#### Changes\n\n");
    for block in details_blocks(plan) {
        out.push_str(&block);
    }
    out
}

fn footer(plan: &Plan) -> String {
    let mut out = manual_steps(plan);
    if !plan.unlisted.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Unlisted accounts (on the provider, not in the file): {}</summary>\n",
            plan.unlisted.len()
        );
        const MAX_UNLISTED: usize = 200;
        for u in plan.unlisted.iter().take(MAX_UNLISTED) {
            let note = match (&u.note, u.deactivation_planned) {
                (Some(n), _) => format!(" (not deactivated: {})", escape(n)),
                (None, true) => " (deactivated by this plan)".to_string(),
                (None, false) => String::new(),
            };
            let _ = writeln!(
                out,
                "- {}/{} `{}`{note}",
                escape(&u.provider),
                u.kind,
                u.key.replace('`', "'")
            );
        }
        if plan.unlisted.len() > MAX_UNLISTED {
            let _ = writeln!(out, "- … and {} more", plan.unlisted.len() - MAX_UNLISTED);
        }
        out.push_str("\n</details>\n\n");
    }
    if !plan.warnings.is_empty() {
        out.push_str("#### Warnings\n\n");
        for w in plan.warnings.iter().take(50) {
            let _ = writeln!(out, "- {}", escape(w));
        }
        out.push('\n');
    }
    out
}

/// Escapes characters that Markdown or HTML would interpret.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

fn truncate_chars(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        text
    } else {
        text.chars().take(max).collect()
    }
}
