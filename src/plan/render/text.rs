//! The plan as text, in Terraform's shape.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use crate::model::Value;
use crate::plan::{Action, Change, FieldChange, Plan};
use crate::words;

const CREATE: Style = AnsiColor::Green.on_default();
const UPDATE: Style = AnsiColor::Yellow.on_default();
const DELETE: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();
const OLD_PART: Style = AnsiColor::Red.on_default().bold().underline();
const NEW_PART: Style = AnsiColor::Green.on_default().bold().underline();

/// Renders the plan. With `color`, ANSI styles are used (the caller decides:
/// a terminal and no `NO_COLOR`).
pub fn render(plan: &Plan, color: bool) -> String {
    render_with(plan, color, false)
}

/// [`render`]; with `verbose`, the fields an edit sends unchanged (CCP's
/// whole user, as CCP holds it) are listed one by one instead of counted.
pub fn render_with(plan: &Plan, color: bool, verbose: bool) -> String {
    let p = Painter { color, verbose };
    let mut out = String::new();
    if let (true, Some(at)) = (plan.dated, plan.at) {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                DIM,
                &format!("# start: and end: as of {at} ({})", plan.timezone)
            )
        );
    }
    if plan.changes.is_empty() && plan.manual.is_empty() && plan.unlisted.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(BOLD, "No changes. The providers match the file.")
        );
    } else if plan.changes.is_empty() && !plan.manual.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                BOLD,
                "Nothing for apply to send, but there are steps to make by hand (below)."
            )
        );
    } else if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                BOLD,
                "No changes to apply, but the providers hold accounts the file does not list (drift: list them in the file, add them to the provider's `ignore:`, or set `unlisted: deactivate`)."
            )
        );
    } else {
        let _ = writeln!(
            out,
            "headcount will perform the following actions ({} create, {} update, {} deactivate):",
            p.paint(CREATE, "+"),
            p.paint(UPDATE, "~"),
            p.paint(DELETE, "-")
        );
        let groups = plan.by_person();
        let headed = groups.iter().any(|(person, _)| person.is_some());
        for (person, changes) in &groups {
            if headed {
                let title = super::group_title(*person);
                let _ = writeln!(
                    out,
                    "\n{}",
                    p.paint(
                        BOLD,
                        &format!(
                            "{title}: {}",
                            words::plural(changes.len(), "change", "changes")
                        )
                    )
                );
            }
            for change in changes {
                out.push('\n');
                render_change(&mut out, &p, change, false);
            }
        }
        let notes = super::not_sent(plan, &groups);
        if !notes.is_empty() {
            out.push('\n');
        }
        for (note, people) in notes {
            let line = super::not_sent_line(&note, people);
            let _ = writeln!(out, "{}", p.paint(DIM, &format!("# not sent: {line}")));
        }
    }

    if !plan.manual.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                BOLD,
                &format!(
                    "Manual steps ({}): make them in the vendor's own panel. The provider says `edits: manual`, so apply does not send them; drift reports them until they are done.",
                    plan.manual.len()
                )
            )
        );
        for change in &plan.manual {
            out.push('\n');
            render_change(&mut out, &p, change, true);
        }
    }

    if !plan.unlisted.is_empty() {
        let _ = writeln!(
            out,
            "\nUnlisted accounts (on the provider, not in the file): {}",
            plan.unlisted.len()
        );
        for u in &plan.unlisted {
            let state = match u.active {
                Some(false) => " (inactive)",
                _ => "",
            };
            let _ = write!(out, "  {}/{} \"{}\"{}", u.provider, u.kind, u.key, state);
            if u.deactivation_planned {
                let _ = write!(out, " {}", p.paint(DIM, "# deactivated by this plan"));
            }
            if let Some(note) = &u.note {
                let _ = write!(
                    out,
                    " {}",
                    p.paint(DIM, &format!("# not deactivated: {note}"))
                );
            }
            out.push('\n');
        }
    }

    if !plan.warnings.is_empty() {
        out.push('\n');
        for w in &plan.warnings {
            let _ = writeln!(out, "{} {w}", p.paint(UPDATE, "Warning:"));
        }
    }

    if !plan.problems.is_empty() {
        out.push('\n');
        for problem in &plan.problems {
            let _ = writeln!(out, "{} {}", p.paint(DELETE, "Error:"), problem.message);
            let _ = writeln!(out, "  help: {}", problem.help);
        }
    }

    if !plan.breaches.is_empty() {
        out.push('\n');
        for b in &plan.breaches {
            if b.allowed {
                let _ = writeln!(
                    out,
                    "{} {} (allowed by --allow {})",
                    p.paint(UPDATE, "Allowed:"),
                    b.describe(),
                    b.kind
                );
            } else {
                let _ = writeln!(
                    out,
                    "{} {}",
                    p.paint(DELETE, "Needs approval:"),
                    b.describe()
                );
                let _ = writeln!(out, "  help: {}", b.how_to_allow());
            }
        }
    }

    let s = plan.summary();
    let by_hand = match s.manual {
        0 => String::new(),
        n => format!("; {} to make by hand", words::plural(n, "step", "steps")),
    };
    if !plan.changes.is_empty() || s.manual > 0 {
        let resets = match s.password_resets {
            0 => String::new(),
            1 => format!("; {}", p.paint(UPDATE, "1 password reset")),
            n => format!("; {}", p.paint(UPDATE, &format!("{n} password resets"))),
        };
        let _ = writeln!(
            out,
            "\n{} {} to create, {} to update, {} to deactivate{resets}{by_hand}.",
            p.paint(BOLD, "Plan:"),
            s.create,
            s.update,
            s.deactivate
        );
        for budget in &plan.budgets {
            let _ = writeln!(out, "{} {}", p.paint(BOLD, "Rate budget:"), budget.line());
        }
    } else if !plan.unlisted.is_empty() || s.unchanged > 0 {
        let _ = writeln!(
            out,
            "\n{} account(s) match the file; {} unlisted.",
            s.unchanged, s.unlisted
        );
    }
    out
}

fn render_change(out: &mut String, p: &Painter, change: &Change, by_hand: bool) {
    let (style, title) = match (change.action(), by_hand) {
        (Action::Create, _) => (CREATE, "will be created"),
        (Action::Update, false) => (UPDATE, "will be updated in place"),
        (Action::Deactivate, false) => (DELETE, "will be deactivated"),
        (Action::Update, true) => (UPDATE, "to update by hand"),
        (Action::Deactivate, true) => (DELETE, "to deactivate by hand"),
    };
    let _ = writeln!(
        out,
        "  {}",
        p.paint(
            BOLD,
            &format!(
                "# {}/{} \"{}\" {title}{}",
                change.provider,
                change.kind,
                change.key,
                change
                    .reason
                    .as_deref()
                    .map(|r| format!("  # {r}"))
                    .unwrap_or_default()
            )
        )
    );
    let _ = writeln!(
        out,
        "  {} {} \"{}\" {{",
        p.paint(style, &change.action().symbol().to_string()),
        change.kind,
        change.key
    );
    let hidden = |f: &FieldChange| f.sent_only && !f.sensitive && !p.verbose;
    let width = change
        .fields
        .iter()
        .filter(|f| !hidden(f))
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    // Fields sent unchanged, by the reason they are sent.
    let mut unchanged: Vec<(&str, Vec<&str>)> = Vec::new();
    for field in &change.fields {
        if hidden(field) {
            let why = field
                .note
                .as_deref()
                .unwrap_or("the vendor's edit sends it");
            match unchanged.iter_mut().find(|(w, _)| *w == why) {
                Some((_, names)) => names.push(&field.name),
                None => unchanged.push((why, vec![&field.name])),
            }
            continue;
        }
        render_field(out, p, change.action(), field, width);
    }
    for note in &change.notes {
        let _ = writeln!(out, "      {}", p.paint(DIM, &format!("# {note}")));
    }
    for (why, names) in unchanged {
        let _ = writeln!(
            out,
            "      {}",
            p.paint(
                DIM,
                &format!(
                    "# also sent, unchanged: {} ({why}; --verbose shows the values)",
                    names.join(", ")
                )
            )
        );
    }
    let _ = writeln!(out, "    }}");
}

fn render_field(out: &mut String, p: &Painter, action: Action, field: &FieldChange, width: usize) {
    let name = format!("{:width$}", field.name);
    if field.sensitive {
        match field.note.as_deref() {
            Some("rotated") => {
                let _ = write!(
                    out,
                    "      {} {name} = (sensitive, rotated)",
                    p.paint(UPDATE, "~")
                );
            }
            Some(note) => {
                let _ = write!(out, "      {} {name} = (sensitive)", p.paint(UPDATE, "~"));
                let _ = write!(out, "  {}", p.paint(UPDATE, &format!("# {note}")));
            }
            None => {
                let _ = write!(out, "      {} {name} = (sensitive)", p.paint(CREATE, "+"));
            }
        }
        if action == Action::Create {
            let _ = write!(out, " {}", p.paint(DIM, "# set on create only"));
        }
        out.push('\n');
        return;
    }
    if field.sent_only {
        let value = field
            .after
            .as_ref()
            .map_or_else(|| "null".to_string(), |v| v.to_string());
        let note = field
            .note
            .as_deref()
            .map(|n| format!("  # {n}"))
            .unwrap_or_default();
        let _ = writeln!(out, "        {name} = {value}{}", p.paint(DIM, &note));
        return;
    }
    match (&field.before, &field.after) {
        (None, Some(after)) if action == Action::Create => {
            let _ = write!(out, "      {} {name} = {after}", p.paint(CREATE, "+"));
            if field.create_only {
                let _ = write!(
                    out,
                    " {}",
                    p.paint(DIM, "# set on create only; cannot be read back")
                );
            }
            out.push('\n');
        }
        (before, Some(after)) => {
            let symbol = if action == Action::Deactivate {
                DELETE
            } else {
                UPDATE
            };
            let (old, new) = inline_diff(p, before.as_ref(), after);
            let note = field
                .note
                .as_deref()
                .map(|n| p.paint(DIM, &format!("  # {n}")))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "      {} {name} = {old} -> {new}{note}",
                p.paint(symbol, "~")
            );
        }
        (Some(before), None) => {
            let _ = writeln!(
                out,
                "      {} {name} = {before} -> null",
                p.paint(DELETE, "-")
            );
        }
        (None, None) => {}
    }
}

/// Old and new value texts; for two strings with colour on, the changed
/// words are highlighted (a whole short value like `manual` -> `auto`, not
/// the letters the two happen to share).
fn inline_diff(p: &Painter, before: Option<&Value>, after: &Value) -> (String, String) {
    let old_text = before.map_or_else(|| "(not set)".to_string(), |v| v.to_string());
    let new_text = after.to_string();
    let (Some(Value::Str(a)), Value::Str(b)) = (before, after) else {
        return (old_text, new_text);
    };
    if !p.color {
        return (old_text, new_text);
    }
    let diff = TextDiff::from_words(a.as_str(), b.as_str());
    let (mut old, mut new) = (String::from("\""), String::from("\""));
    for change in diff.iter_all_changes() {
        let text = change.value().escape_debug().to_string();
        match change.tag() {
            ChangeTag::Equal => {
                old.push_str(&text);
                new.push_str(&text);
            }
            ChangeTag::Delete => old.push_str(&p.paint(OLD_PART, &text)),
            ChangeTag::Insert => new.push_str(&p.paint(NEW_PART, &text)),
        }
    }
    old.push('"');
    new.push('"');
    (old, new)
}

struct Painter {
    color: bool,
    /// List the fields sent unchanged one by one.
    verbose: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_value_is_highlighted_as_a_whole_word() {
        let p = Painter {
            color: true,
            verbose: false,
        };
        let before = Value::Str("manual".into());
        let (old, new) = inline_diff(&p, Some(&before), &Value::Str("auto".into()));
        assert_eq!(old, format!("\"{}\"", p.paint(OLD_PART, "manual")));
        assert_eq!(new, format!("\"{}\"", p.paint(NEW_PART, "auto")));
        // In a longer value only the changed word is marked.
        let before = Value::Str("Sales team A".into());
        let (_, new) = inline_diff(&p, Some(&before), &Value::Str("Sales team B".into()));
        assert_eq!(new, format!("\"Sales team {}\"", p.paint(NEW_PART, "B")));
    }
}
