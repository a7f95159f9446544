//! Ctrl-C and SIGTERM during an apply. The first of either stops new changes
//! from starting: those in flight finish, the report is written and the
//! summary says the apply was interrupted (exit 1). CI timeouts and systemd
//! send SIGTERM, so it gets the same orderly stop as the first Ctrl-C. A
//! second signal aborts at once (exit 130 for Ctrl-C, 143 for SIGTERM).
//!
//! Before any change starts (loading, reading the vendors, planning, the
//! prompt) nothing is being changed: [`watch_reads`] ends headcount at the
//! first signal, with a message saying so and the same exit codes.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::progress::Progress;

/// How many [`Interrupt`]s are watching (an apply's changes are running):
/// [`watch_reads`] then leaves the signals to them.
static CHANGING: AtomicUsize = AtomicUsize::new(0);

/// Outside an apply's changes, ends the process at the first Ctrl-C or
/// SIGTERM, saying that nothing was changed (exit 130 or 143). Must be
/// called inside the tokio runtime; watches until the process ends.
pub fn watch_reads() {
    // Registered now, not when the task first runs: a signal from this
    // moment on is seen.
    let mut signals = Signals::new();
    tokio::spawn(async move {
        while let Some(signal) = signals.next().await {
            if CHANGING.load(Ordering::SeqCst) > 0 {
                continue;
            }
            crate::output::eprintln(&format!(
                "Interrupted ({}) before any change was made: nothing was changed.",
                signal.name()
            ));
            std::process::exit(signal.abort_code());
        }
    });
}

/// Watches for the signals while it lives (an apply's changes).
pub struct Interrupt {
    cancel: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

/// Which signal arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    CtrlC,
    Terminate,
}

impl Signal {
    /// The conventional exit status of a process stopped by the signal.
    fn abort_code(self) -> i32 {
        match self {
            Signal::CtrlC => 130,
            Signal::Terminate => 143,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Signal::CtrlC => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The message shown above the progress bars at the first signal.
    fn first_message(self) -> &'static str {
        match self {
            Signal::CtrlC => "Interrupted (Ctrl-C): finishing the changes in flight, starting no new ones. Press Ctrl-C again to abort at once.",
            Signal::Terminate => "Interrupted (SIGTERM): finishing the changes in flight, starting no new ones.",
        }
    }
}

impl Interrupt {
    /// Starts watching; messages go through `progress` so that they stay
    /// above the bars. Must be called inside the tokio runtime.
    pub fn watch(progress: Progress) -> Interrupt {
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        CHANGING.fetch_add(1, Ordering::SeqCst);
        let task = tokio::spawn(async move {
            let mut signals = Signals::new();
            let Some(first) = signals.next().await else {
                return;
            };
            flag.store(true, Ordering::SeqCst);
            progress.println(first.first_message());
            if let Some(second) = signals.next().await {
                progress.clear();
                crate::output::eprintln("Aborted: changes in flight may or may not have been made; run `headcount plan` to see where things stand.");
                std::process::exit(second.abort_code());
            }
        });
        Interrupt { cancel, task }
    }

    /// The flag the executor reads before starting each change.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        CHANGING.fetch_sub(1, Ordering::SeqCst);
        self.task.abort();
    }
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM as one stream.
struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .ok(),
            #[cfg(unix)]
            interrupt: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .ok(),
        }
    }

    /// The next signal; `None` when no signal can be received any more.
    async fn next(&mut self) -> Option<Signal> {
        #[cfg(unix)]
        {
            let terminate = async {
                match &mut self.terminate {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            let interrupt = async {
                match &mut self.interrupt {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = interrupt => received.map(|()| Signal::CtrlC),
                received = terminate => received.map(|()| Signal::Terminate),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.ok().map(|()| Signal::CtrlC)
        }
    }
}
