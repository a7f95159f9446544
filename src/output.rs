//! Standard output for commands. A reader that went away (`| head -1`) is a
//! normal end of the output, not an error: the rest is dropped quietly and
//! the command finishes (an apply still writes its report) and exits as it
//! would have. SIGPIPE's default (killing the process) is not restored on
//! purpose: it would stop an apply half-way.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output is found closed.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to standard output and flushes it, every secret redacted
/// ([`crate::redact`]).
pub fn print(text: &str) -> miette::Result<()> {
    write_to(
        &mut std::io::stdout().lock(),
        crate::redact::redact(text).as_bytes(),
    )
}

/// Writes `text` to standard error, every secret redacted; a closed or
/// failing standard error is ignored (there is nowhere left to say so).
pub fn eprint(text: &str) {
    let _ = std::io::stderr()
        .lock()
        .write_all(crate::redact::redact(text).as_bytes());
}

/// [`eprint`] of `text` and a newline.
pub fn eprintln(text: &str) {
    eprint(&format!("{text}\n"));
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
    std::fs::write(path, crate::redact::redact(text).as_bytes()).map_err(|e| {
        miette::miette!(
            help = "check the folder exists and is writable",
            "cannot write {what} to {}: {e}",
            path.display()
        )
    })
}
