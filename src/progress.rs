//! Progress on standard error: indicatif spinners and bars on a terminal;
//! without a terminal (CI, cron), plain lines for finished work only.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where progress goes.
#[derive(Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
    /// Print one line per finished item when there are no bars.
    lines: bool,
}

impl Progress {
    /// Bars on a terminal; plain lines otherwise when `lines` is set.
    pub fn detect(lines: bool) -> Progress {
        if std::io::stderr().is_terminal() && std::env::var_os("HEADCOUNT_NO_PROGRESS").is_none() {
            Progress {
                multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
                lines,
            }
        } else {
            Progress { multi: None, lines }
        }
    }

    /// Nothing at all.
    pub fn hidden() -> Progress {
        Progress {
            multi: None,
            lines: false,
        }
    }

    /// Removes every bar and spinner from the screen (work given up).
    pub fn clear(&self) {
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
    }

    /// A spinner with a message; `finish` replaces it with a final line.
    pub fn spinner(&self, message: &str) -> Item {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template(&format!("{{spinner}} {{msg}} {}", elapsed()))
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(message.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Item {
            bar,
            lines: self.lines,
        }
    }

    /// A bar counting to `total`, prefixed with `prefix`.
    pub fn bar(&self, prefix: &str, total: u64) -> Item {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(total));
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{prefix:>12}} [{{bar:30}}] {{pos}}/{{len}} {} {{msg}}",
                    elapsed()
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(prefix.to_string());
            bar
        });
        Item {
            bar,
            lines: self.lines,
        }
    }

    /// A line above the bars (or a plain line when there are none and lines are on).
    pub fn println(&self, text: &str) {
        match &self.multi {
            Some(m) if m.println(text).is_ok() => {}
            Some(_) => eprintln!("{text}"),
            None if self.lines => eprintln!("{text}"),
            None => {}
        }
    }
}

/// The style of a finished item: its message only.
fn final_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// The running clock, dimmed when standard error gets colour (`--color`).
fn elapsed() -> &'static str {
    if crate::output::stderr_color() {
        "{elapsed:.dim}"
    } else {
        "{elapsed}"
    }
}

/// One spinner or bar.
pub struct Item {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl Item {
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
    }

    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Ends the item with a final message, shown alone (the message carries
    /// its own duration; the running clock would print the time twice).
    pub fn finish(&self, message: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_style(final_style());
                bar.finish_with_message(message.to_string());
            }
            None if self.lines => eprintln!("{message}"),
            None => {}
        }
    }

    /// Ends the item and removes it from the screen.
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
