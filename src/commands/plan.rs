//! `headcount plan`.

use crate::cli::PlanArgs;

pub async fn run(_args: PlanArgs) -> miette::Result<u8> {
    super::not_yet("plan")
}
