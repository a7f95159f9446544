//! `headcount completions SHELL`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> miette::Result<u8> {
    let mut command = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "headcount",
        &mut std::io::stdout(),
    );
    Ok(super::EXIT_OK)
}
