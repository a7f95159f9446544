//! `headcount validate`: every problem of the desired-state file at once.

use crate::cli::FileArgs;
use crate::desired::{self, Credential, Desired, SecretRef};

pub async fn run(args: FileArgs) -> miette::Result<u8> {
    match desired::load(&args.file) {
        Ok(state) => {
            let color = super::stderr_color();
            for warning in secret_file_warnings(&state) {
                let text = super::render_report(warning.as_ref(), color, 100);
                crate::output::eprint(&text);
            }
            // A closed stdout (`| head`) is not a validation failure.
            let name = if args.file.as_os_str() == "-" {
                "standard input".to_string()
            } else {
                args.file.display().to_string()
            };
            crate::output::print(&format!(
                "{name} is valid: {}.\n",
                desired::validate::describe(&state)
            ))?;
            Ok(super::EXIT_OK)
        }
        Err(err) => {
            let color = super::stderr_color();
            let mut text = String::new();
            for diagnostic in err.diagnostics() {
                text.push_str(&super::render_report(diagnostic, color, 100));
            }
            text.push_str(&err.summary());
            text.push('\n');
            crate::output::eprint(&text);
            Ok(super::EXIT_ERROR)
        }
    }
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
