//! Ctrl-C and SIGTERM during an apply. The first of either stops new changes
//! from starting: those in flight finish, the report is written and the
//! summary says the apply was interrupted (exit 1). CI timeouts and systemd
//! send SIGTERM, so it gets the same orderly stop as the first Ctrl-C. A
//! second signal aborts at once (exit 130 for Ctrl-C, 143 for SIGTERM).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::progress::Progress;

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
        let task = tokio::spawn(async move {
            let mut signals = Signals::new();
            let Some(first) = signals.next().await else {
                return;
            };
            flag.store(true, Ordering::SeqCst);
            progress.println(first.first_message());
            if let Some(second) = signals.next().await {
                progress.clear();
                crate::output::eprintln(&format!("Aborted: changes in flight may or may not have been made; run `headcount plan` to see where things stand."));
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
        self.task.abort();
    }
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM as one stream.
struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
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
            tokio::select! {
                ctrl_c = tokio::signal::ctrl_c() => ctrl_c.ok().map(|()| Signal::CtrlC),
                received = terminate => received.map(|()| Signal::Terminate),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.ok().map(|()| Signal::CtrlC)
        }
    }
}
