//! `headcount validate`: every problem of the desired-state file at once.

use std::io::Write;

use crate::cli::FileArgs;
use crate::desired;

pub async fn run(args: FileArgs) -> miette::Result<u8> {
    match desired::load(&args.file) {
        Ok(state) => {
            let mut out = anstream::stdout();
            // A closed stdout (`| head`) is not a validation failure.
            let name = if args.file.as_os_str() == "-" {
                "standard input".to_string()
            } else {
                args.file.display().to_string()
            };
            let _ = writeln!(
                out,
                "{name} is valid: {}.",
                desired::validate::describe(&state)
            );
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
            let _ = anstream::stderr().write_all(text.as_bytes());
            Ok(super::EXIT_ERROR)
        }
    }
}
