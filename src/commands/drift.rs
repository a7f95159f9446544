//! `headcount drift`: read-only; exit 0 in sync, 2 drift found, 1 error.

use crate::cli::{DriftArgs, Format};
use crate::plan::render::drift::DriftReport;
use crate::progress::Progress;

pub async fn run(args: DriftArgs) -> miette::Result<u8> {
    // force: the safety threshold is about applying; drift only reports.
    let mut request = super::plan::request(&args.refresh, true, &[]);
    request.at = args.at;
    let planned = crate::workflow::make_plan(&request, &Progress::detect(false)).await?;
    let report = DriftReport::from_plan(&planned.plan);
    let text = match args.format {
        Format::Text => report.text(),
        Format::Json => report.json(),
        Format::Markdown => report.markdown(),
    };
    let quiet = report.in_sync && !args.verbose && args.format == Format::Text;
    match &args.output {
        Some(path) => {
            crate::output::write_file(path, &text, "the drift report")?;
            if !report.in_sync || args.verbose {
                eprintln!("{}", report.summary_line());
            }
        }
        None if quiet => {}
        None => crate::output::print(&text)?,
    }
    Ok(if report.in_sync {
        super::EXIT_OK
    } else {
        super::EXIT_CHANGES
    })
}
