//! `headcount schema [file|plan]`.

use std::io::Write;

use crate::cli::{SchemaArgs, SchemaKind};

pub fn run(args: SchemaArgs) -> miette::Result<u8> {
    match args.which {
        SchemaKind::File => {
            let text = crate::desired::schema::file_schema_text();
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| miette::miette!("could not write the schema: {e}"))?;
            Ok(super::EXIT_OK)
        }
        SchemaKind::Plan => super::not_yet("schema plan"),
    }
}
