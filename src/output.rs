//! Standard output for commands, and whether each stream gets colour
//! (`--color`). A reader that went away (`| head -1`) is a
//! normal end of the output, not an error: the rest is dropped quietly and
//! the command finishes (an apply still writes its report) and exits as it
//! would have. SIGPIPE's default (killing the process) is not restored on
//! purpose: it would stop an apply half-way.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::cli::ColorWhen;

/// Set once standard output is found closed.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to standard output and flushes it.
pub fn print(text: &str) -> miette::Result<()> {
    write_to(&mut std::io::stdout().lock(), text.as_bytes())
}

/// Writes `bytes` to `out` (standard output) with the closed-reader rule.
fn write_to(out: &mut dyn Write, bytes: &[u8]) -> miette::Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(miette::miette!(
            help = "check the disk or the program reading headcount's output",
            "cannot write to standard output: {e}"
        )),
    }
}

/// Writes `text` to the file `path`; `what` names it in the error
/// ("the report", with `to PATH` after it).
pub fn write_file(path: &Path, text: &str, what: &str) -> miette::Result<()> {
    std::fs::write(path, text).map_err(|e| {
        miette::miette!(
            help = "check the folder exists and is writable",
            "cannot write {what} to {}: {e}",
            path.display()
        )
    })
}

/// `--color` of this run (auto until set).
static COLOR: OnceLock<ColorWhen> = OnceLock::new();

/// Records `--color` for [`stdout_color`], [`stderr_color`] and anstream.
pub fn set_color(when: ColorWhen) {
    let _ = COLOR.set(when);
    anstream::ColorChoice::write_global(match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    });
}

/// Colour for a stream: `--color always|never`, or with `auto` a terminal
/// and no `NO_COLOR`.
fn color_for(terminal: bool) -> bool {
    match COLOR.get().copied().unwrap_or(ColorWhen::Auto) {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal,
    }
}

/// Whether standard error gets colour (see [`color_for`]).
pub fn stderr_color() -> bool {
    color_for(std::io::stderr().is_terminal())
}

/// Whether standard output gets colour (see [`color_for`]).
pub fn stdout_color() -> bool {
    color_for(std::io::stdout().is_terminal())
}
