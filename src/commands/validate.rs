//! `headcount validate`.

use crate::cli::FileArgs;

pub async fn run(_args: FileArgs) -> miette::Result<u8> {
    super::not_yet("validate")
}
