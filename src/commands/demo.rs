//! `headcount demo`.

use crate::cli::DemoArgs;

pub async fn run(_args: DemoArgs) -> miette::Result<u8> {
    super::not_yet("demo")
}
