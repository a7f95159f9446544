use std::process::ExitCode;

use clap::Parser;

/// mimalloc: headcount builds and drops many small values (YAML trees,
/// records); glibc's allocator cost about a third of the CPU of a large plan.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
