//! Remote accounts written as entries of the desired-state file
//! (`headcount import`): readable fields only, in the driver's field order,
//! no secrets; a required secret becomes an `{ env: ... }` placeholder.

use std::fmt::Write;

pub mod people;

use crate::desired::values::plausible_email;
use crate::model::{DriverSchema, FieldType, RemoteRecord, Value};
use crate::plan::normalize::normalize;

/// The YAML text of `records` as entries of `provider` (sorted by key).
pub fn entries_yaml(provider: &str, schema: &DriverSchema, records: &[RemoteRecord]) -> String {
    let mut records: Vec<&RemoteRecord> = records.iter().collect();
    records.sort_by(|a, b| a.key.cmp(&b.key));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `headcount import --provider {provider}`: {} {}(s) from {} ({}).",
        records.len(),
        schema.kind.noun(),
        provider,
        schema.display_name
    );
    let create_only: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| !f.is_readable() && !f.is_secret())
        .map(|f| f.name)
        .collect();
    if !create_only.is_empty() {
        let _ = writeln!(
            out,
            "# {} cannot read back {}; add them by hand if you manage them.",
            schema.display_name,
            create_only.join(", ")
        );
    }
    let secrets: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| f.is_secret() && (f.required_on_create || f.required_on_update))
        .map(|f| f.name)
        .collect();
    if !secrets.is_empty() {
        let _ = writeln!(
            out,
            "# {} cannot be read back: each entry references a variable to set before a create or edit needs it.",
            secrets.join(", ")
        );
    }
    let _ = writeln!(out, "{}:", schema.kind.section());
    if records.is_empty() {
        out.truncate(out.len() - 1);
        out.push_str(" []\n");
        return out;
    }
    for record in records {
        entry_lines(&mut out, provider, schema, record);
    }
    out
}

/// A record as one plain entry of its section (`- provider: ...`).
pub(crate) fn entry_lines(
    out: &mut String,
    provider: &str,
    schema: &DriverSchema,
    record: &RemoteRecord,
) {
    let _ = writeln!(out, "  - provider: {}", scalar(provider));
    let _ = writeln!(out, "    {}: {}", schema.key_field, scalar(&record.key));
    out.push_str(&field_lines(provider, schema, record, "    ", &[]));
}

/// The lines of a record's fields (the key excepted), each indented by
/// `indent`, in the driver's field order; fields named in `skip` are left
/// out. Secrets a write needs become `{ env: ... }` placeholders.
pub(crate) fn field_lines(
    provider: &str,
    schema: &DriverSchema,
    record: &RemoteRecord,
    indent: &str,
    skip: &[&str],
) -> String {
    let mut out = String::new();
    for spec in schema.fields {
        if spec.name == schema.key_field || skip.contains(&spec.name) {
            continue;
        }
        if spec.is_secret() {
            if spec.required_on_create || spec.required_on_update {
                let _ = writeln!(
                    out,
                    "{indent}{}: {{ env: {} }}",
                    spec.name,
                    env_name(provider, &record.key, spec.name)
                );
            }
            continue;
        }
        if !spec.is_readable() {
            continue;
        }
        let Some(value) = record.fields.get(spec.name) else {
            continue;
        };
        if let (FieldType::Email, Value::Str(text)) = (spec.ty, value) {
            if !text.trim().is_empty() && !plausible_email(text.trim()) {
                // CCP's own samples hold plain text in `email`: the file
                // would refuse it, so it is shown, not managed.
                let _ = writeln!(
                    out,
                    "{indent}# {}: {} is not an e-mail address; left out (edits send it back unchanged)",
                    spec.name,
                    serde_json::Value::String(text.clone())
                );
                continue;
            }
        }
        let value = normalize(spec.ty, value);
        if let Some(text) = yaml_value(spec.ty, &value) {
            let _ = writeln!(out, "{indent}{}: {text}", spec.name);
        }
    }
    out
}

/// A variable name for a placeholder: PROVIDER_KEY_FIELD, upper case, `_` for the rest.
pub fn env_name(provider: &str, key: &str, field: &str) -> String {
    format!("{provider}_{key}_{field}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

pub(crate) fn yaml_value(ty: FieldType, value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Str(s) if s.is_empty() => None,
        Value::Str(s) => Some(scalar(s)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) if matches!(ty, FieldType::String) => Some(scalar(&i.to_string())),
        Value::Int(i) => Some(i.to_string()),
        Value::List(items) => Some(format!(
            "[{}]",
            items
                .iter()
                .filter_map(|v| yaml_value(FieldType::String, v))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A YAML scalar: plain when safe, otherwise double-quoted (JSON quoting is valid YAML).
pub(crate) fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::drivers::{ccp, thulium};

    /// A record whose id is its key.
    pub(super) fn rec(key: &str, fields: &[(&'static str, Value)]) -> RemoteRecord {
        RemoteRecord {
            id: key.into(),
            key: key.into(),
            fields: fields.iter().cloned().collect(),
        }
    }

    #[test]
    fn thulium_entries_quote_numbers_and_skip_unreadable_fields() {
        let yaml = entries_yaml(
            "thulium",
            &thulium::SCHEMA,
            &[rec(
                "jkowalski",
                &[
                    ("login", Value::Str("jkowalski".into())),
                    ("name", Value::Str("Jan".into())),
                    ("number", Value::Int(5634)),
                    ("email", Value::Str("".into())),
                    ("active", Value::Bool(true)),
                ],
            )],
        );
        assert!(yaml.contains("    number: \"5634\"\n"), "{yaml}");
        assert!(
            yaml.contains("password: { env: THULIUM_JKOWALSKI_PASSWORD }"),
            "{yaml}"
        );
        assert!(!yaml.contains("email"), "empty values are left out: {yaml}");
        assert!(
            yaml.contains("roles"),
            "the comment names unreadable fields: {yaml}"
        );
        assert!(yaml.starts_with("# Imported"));
    }

    #[test]
    fn odd_strings_are_quoted() {
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("a b"), "\"a b\"");
        assert_eq!(scalar("AgentSale03"), "AgentSale03");
        assert_eq!(scalar("5634"), "\"5634\"");
        assert_eq!(
            env_name("ccp", "Agent.Sale 03", "password"),
            "CCP_AGENT_SALE_03_PASSWORD"
        );
    }

    #[test]
    fn ccp_booleans_come_out_as_booleans() {
        let yaml = entries_yaml(
            "ccp",
            &ccp::SCHEMA,
            &[rec(
                "A",
                &[
                    ("username", Value::Str("A".into())),
                    ("is_active", Value::Bool(false)),
                ],
            )],
        );
        assert!(yaml.contains("    is_active: false\n"), "{yaml}");
    }
}
