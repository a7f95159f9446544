//! `headcount upcoming`: the calendar's coming changes; reads only the file.

use crate::cli::{Format, UpcomingArgs};
use crate::upcoming;

pub fn run(args: UpcomingArgs) -> miette::Result<u8> {
    let desired = crate::workflow::load(&args.file.file)?;
    let from = args
        .at
        .unwrap_or_else(|| crate::workflow::today(&desired.timezone));
    let days = i64::from(args.days);
    let to = from.saturating_add(jiff::Span::new().days(days));
    let events = crate::calendar::upcoming(&desired, from, days);
    let report = upcoming::to_json(&events, from, to, &desired.timezone.name);
    let text = match args.format {
        Format::Text => upcoming::text(&report),
        Format::Markdown => upcoming::markdown(&report),
        Format::Json => {
            serde_json::to_string_pretty(&report)
                .map_err(|e| miette::miette!("could not serialise the report: {e}"))?
                + "\n"
        }
    };
    crate::output::print(&text)?;
    Ok(super::EXIT_OK)
}
