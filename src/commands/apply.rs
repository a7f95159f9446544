//! `headcount apply`.

use crate::cli::ApplyArgs;

pub async fn run(_args: ApplyArgs) -> miette::Result<u8> {
    super::not_yet("apply")
}
