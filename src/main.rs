use std::process::ExitCode;

use clap::Parser;
use headcount::commands::{EXIT_ERROR, EXIT_OK};

/// mimalloc: headcount builds and drops many small values (YAML trees,
/// records); glibc's allocator cost about a third of the CPU of a large plan.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match headcount::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` end here too. A usage error exits 1,
            // not clap's 2: 2 means "changes present" or "drift found".
            // A closed stdout (`--help | head -1`) is not an error.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    match headcount::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            headcount::commands::print_error(&report);
            ExitCode::from(EXIT_ERROR)
        }
    }
}
