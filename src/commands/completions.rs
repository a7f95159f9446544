//! `headcount completions SHELL` and the hidden `headcount man`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> miette::Result<u8> {
    let mut command = Cli::command();
    // Generated in memory: clap_complete panics on a failed write, and a
    // closed stdout (`| head -1`) is a normal end (crate::output).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "headcount", &mut script);
    crate::output::print(&String::from_utf8_lossy(&script))?;
    Ok(super::EXIT_OK)
}

/// The manual page (roff) of every command, as the release workflow ships it.
pub fn man() -> miette::Result<u8> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| miette::miette!("could not render the manual page: {e}"))?;
    crate::output::print(&String::from_utf8_lossy(&page))?;
    Ok(super::EXIT_OK)
}
