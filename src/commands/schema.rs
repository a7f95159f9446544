//! `headcount schema [file|plan]`.

use crate::cli::{SchemaArgs, SchemaKind};

pub fn run(args: SchemaArgs) -> miette::Result<u8> {
    let text = match args.which {
        SchemaKind::File => crate::desired::schema::file_schema_text(),
        SchemaKind::Plan => plan_schema_text(),
        SchemaKind::Upcoming => pretty(&crate::upcoming::schema()),
    };
    crate::output::print(&text)?;
    Ok(super::EXIT_OK)
}

/// The JSON Schema of `plan --format json`, pretty-printed with a trailing
/// newline (what `schemas/plan.schema.json` holds).
pub fn plan_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&crate::plan::render::json::schema())
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

fn pretty(schema: &serde_json::Value) -> String {
    let mut text =
        serde_json::to_string_pretty(schema).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
