//! `headcount sandbox`.

use crate::cli::SandboxArgs;

pub async fn run(_args: SandboxArgs) -> miette::Result<u8> {
    super::not_yet("sandbox")
}
