//! `headcount drift`.

use crate::cli::DriftArgs;

pub async fn run(_args: DriftArgs) -> miette::Result<u8> {
    super::not_yet("drift")
}
