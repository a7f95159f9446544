use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = headcount::cli::Cli::parse();
    match headcount::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            headcount::commands::print_error(&report);
            ExitCode::from(headcount::commands::EXIT_ERROR)
        }
    }
}
