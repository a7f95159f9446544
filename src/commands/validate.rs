//! `headcount validate`: every problem of the desired-state file at once,
//! as text, as JSON, or as GitHub workflow commands (annotations).

use std::io::Write;

use miette::Diagnostic;
use serde_json::json;

use crate::cli::{ValidateArgs, ValidateFormat};
use crate::desired::{self, Credential, Desired, FileDiagnostic, LoadError, SecretRef};

pub async fn run(args: ValidateArgs) -> miette::Result<u8> {
    let path = &args.file.file;
    let name = if path.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let loaded = desired::load(path);
    match args.format {
        ValidateFormat::Text => Ok(text(&name, loaded)),
        ValidateFormat::Json => {
            let report = match &loaded {
                Ok(state) => json!({
                    "valid": true,
                    "file": name,
                    "summary": format!("{name} is valid: {}.", desired::validate::describe(state)),
                    "problems": [],
                }),
                Err(err) => json!({
                    "valid": false,
                    "file": name,
                    "summary": err.summary(),
                    "problems": err.diagnostics().iter().map(located).map(|p| p.to_json()).collect::<Vec<_>>(),
                }),
            };
            // A closed stdout (`| head`) is not a validation failure.
            let _ = writeln!(anstream::stdout(), "{report:#}");
            Ok(exit(&loaded))
        }
        ValidateFormat::Github => {
            let mut out = String::new();
            match &loaded {
                Ok(state) => out.push_str(&format!(
                    "{name} is valid: {}.\n",
                    desired::validate::describe(state)
                )),
                Err(err) => {
                    for problem in err.diagnostics().iter().map(located) {
                        out.push_str(&problem.github());
                        out.push('\n');
                    }
                    out.push_str(&err.summary());
                    out.push('\n');
                }
            }
            let _ = anstream::stdout().write_all(out.as_bytes());
            Ok(exit(&loaded))
        }
    }
}

fn exit(loaded: &Result<Desired, LoadError>) -> u8 {
    if loaded.is_ok() {
        super::EXIT_OK
    } else {
        super::EXIT_ERROR
    }
}

/// The human rendering: the summary on standard output, problems and
/// warnings on standard error.
fn text(name: &str, loaded: Result<Desired, LoadError>) -> u8 {
    let color = super::stderr_color();
    match loaded {
        Ok(state) => {
            for warning in secret_file_warnings(&state) {
                let text = super::render_report(warning.as_ref(), color, 100);
                let _ = anstream::stderr().write_all(text.as_bytes());
            }
            let _ = writeln!(
                anstream::stdout(),
                "{name} is valid: {}.",
                desired::validate::describe(&state)
            );
            super::EXIT_OK
        }
        Err(err) => {
            let mut text = String::new();
            for diagnostic in err.diagnostics() {
                text.push_str(&super::render_report(diagnostic, color, 100));
            }
            text.push_str(&err.summary());
            text.push('\n');
            let _ = anstream::stderr().write_all(text.as_bytes());
            super::EXIT_ERROR
        }
    }
}

/// A problem with the place its first label points at.
struct Located {
    code: String,
    message: String,
    help: Option<String>,
    label: Option<String>,
    /// File name, 1-based line and column, when the problem has a place.
    place: Option<(String, usize, usize)>,
}

fn located(diagnostic: &FileDiagnostic) -> Located {
    let mut label = None;
    let mut place = None;
    if let (Some(source), Some(mut labels)) = (diagnostic.source_code(), diagnostic.labels()) {
        if let Some(first) = labels.next() {
            label = first.label().map(str::to_string);
            if let Ok(contents) = source.read_span(first.inner(), 0, 0) {
                place = contents
                    .name()
                    .map(|file| (file.to_string(), contents.line() + 1, contents.column() + 1));
            }
        }
    }
    Located {
        code: diagnostic.code().map(|c| c.to_string()).unwrap_or_default(),
        message: diagnostic.message().to_string(),
        help: diagnostic.help().map(|h| h.to_string()),
        label,
        place,
    }
}

impl Located {
    fn to_json(&self) -> serde_json::Value {
        let (file, line, column) = match &self.place {
            Some((file, line, column)) => (json!(file), json!(line), json!(column)),
            None => (json!(null), json!(null), json!(null)),
        };
        json!({
            "code": self.code,
            "message": self.message,
            "label": self.label,
            "help": self.help,
            "file": file,
            "line": line,
            "column": column,
        })
    }

    /// `::error file=F,line=L,col=C,title=CODE::MESSAGE` (GitHub's workflow
    /// command, escaped as the runner expects).
    fn github(&self) -> String {
        let mut properties = Vec::new();
        if let Some((file, line, column)) = &self.place {
            properties.push(format!("file={}", escape_property(file)));
            properties.push(format!("line={line}"));
            properties.push(format!("col={column}"));
        }
        let short = self.code.rsplit("::").next().unwrap_or(&self.code);
        properties.push(format!(
            "title={}",
            escape_property(&format!("headcount {short}"))
        ));
        let mut message = self.message.clone();
        if let Some(label) = &self.label {
            message.push_str(&format!(" ({label})"));
        }
        if let Some(help) = &self.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        format!(
            "::error {}::{}",
            properties.join(","),
            escape_data(&message)
        )
    }
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
/// A warning for each `{ file: }` secret that exists but is not a regular
/// file (a folder, a device, a pipe): `plan` will refuse it. Only a warning,
/// since the file is read when a change needs it, not by `validate`.
fn secret_file_warnings(state: &Desired) -> Vec<miette::Report> {
    let credentials = state.providers.values().flat_map(|p| {
        p.auth
            .iter()
            .filter_map(move |(field, credential)| match credential {
                Credential::Secret(secret) => Some((secret, &p.origin, format!("auth.{field}"))),
                Credential::Plain(_) => None,
            })
    });
    let entry_secrets = state.entries.iter().flat_map(|e| {
        e.secrets
            .iter()
            .map(move |(field, secret)| (secret, &e.origin, format!("{field} of {}", e.key)))
    });
    let mut seen = std::collections::HashSet::new();
    credentials
        .chain(entry_secrets)
        .filter(|(secret, ..)| matches!(secret, SecretRef::File(_)) && seen.insert(*secret))
        .filter_map(|(secret, origin, what)| {
            let kind = secret.not_regular_file()?;
            Some(miette::miette!(
                severity = miette::Severity::Warning,
                code = "headcount::secret::file_not_regular",
                help = "point it at a regular file holding only the secret; plan and apply refuse anything else",
                "{what} ({origin}) is {secret}, which is {kind}, not a regular file"
            ))
        })
        .collect()
}
