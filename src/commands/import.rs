//! `headcount import`.

use crate::cli::ImportArgs;

pub async fn run(_args: ImportArgs) -> miette::Result<u8> {
    super::not_yet("import")
}
