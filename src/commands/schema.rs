//! `headcount schema [file|plan]`.

use crate::cli::SchemaArgs;

pub fn run(_args: SchemaArgs) -> miette::Result<u8> {
    super::not_yet("schema")
}
