//! Checks the fields of listed records against the types the vendor
//! documents. The readers ([`super::wire::read_value`]) already accepted the
//! documented mix-ups (digits sent as a number where text is documented,
//! "true"/"false"/1/0 for booleans, digits as text for integers); anything
//! else of the wrong type (a word where true/false is documented, a list
//! where text is) would be compared as a different value, so it is refused
//! as a protocol error naming the account and the field instead.

use crate::model::{DriverSchema, FieldType, RemoteRecord, Value};

/// The first field of `records` whose value is not of its documented type,
/// as a message ("agent \"jk\": `active` is text (\"maybe\"), but the API
/// documents true or false").
pub fn check(schema: &DriverSchema, records: &[RemoteRecord]) -> Result<(), String> {
    for record in records {
        for (name, value) in &record.fields {
            let Some(spec) = schema.field(name) else {
                continue;
            };
            if !fits(spec.ty, value) {
                return Err(format!(
                    "{} \"{}\": `{name}` is {} ({}), but the API documents {}",
                    schema.kind.noun(),
                    record.key,
                    what(value),
                    shown(value),
                    spec.ty.describe()
                ));
            }
        }
    }
    Ok(())
}

/// Whether a value as read fits a field type (`null` fits any: the field is unset).
fn fits(ty: FieldType, value: &Value) -> bool {
    match (ty, value) {
        (_, Value::Null) => true,
        (FieldType::String | FieldType::Email | FieldType::Enum(_), Value::Str(_)) => true,
        (FieldType::Boolean, Value::Bool(_)) => true,
        (FieldType::Integer, Value::Int(_)) => true,
        (FieldType::IntegerSet, Value::List(items)) => items.iter().all(|item| match item {
            Value::Int(_) => true,
            Value::Str(s) => s.trim().parse::<i64>().is_ok(),
            _ => false,
        }),
        (FieldType::IpSet, Value::List(items)) => {
            items.iter().all(|item| matches!(item, Value::Str(_)))
        }
        _ => false,
    }
}

fn what(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Int(_) => "a number",
        Value::Str(_) => "text",
        Value::List(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The value for a message, cut to 60 characters.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::Str(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::drivers::{ccp, thulium};

    fn record(fields: &[(&'static str, Value)]) -> RemoteRecord {
        RemoteRecord {
            id: "jk".into(),
            key: "jk".into(),
            fields: fields.iter().cloned().collect(),
        }
    }

    #[test]
    fn documented_types_and_unset_fields_pass() {
        let ok = record(&[
            ("login", Value::Str("jk".into())),
            ("number", Value::Str("5634".into())),
            ("active", Value::Bool(true)),
            ("email", Value::Null),
        ]);
        assert_eq!(check(&thulium::SCHEMA, &[ok]), Ok(()));
    }

    #[test]
    fn a_wrong_type_names_the_account_the_field_and_both_types() {
        let bad = record(&[("active", Value::Str("maybe".into()))]);
        assert_eq!(
            check(&thulium::SCHEMA, &[bad]),
            Err(
                "agent \"jk\": `active` is text (\"maybe\"), but the API documents true or false"
                    .into()
            )
        );
        let list = record(&[("surname", Value::List(vec![Value::Str("K".into())]))]);
        let err = check(&thulium::SCHEMA, &[list]).unwrap_err();
        assert!(err.contains("`surname` is a list"), "{err}");
        let flag = record(&[("username", Value::Bool(true))]);
        assert!(check(&ccp::SCHEMA, &[flag]).is_err());
    }

    /// An object where text is documented is refused like a list, not
    /// planned over as its JSON text.
    #[test]
    fn an_object_in_a_text_field_is_refused() {
        let wire = serde_json::json!({"first": "Jan", "last": "K"});
        let value = crate::drivers::wire::read_value(crate::model::FieldType::String, &wire);
        let err = check(&thulium::SCHEMA, &[record(&[("surname", value)])]).unwrap_err();
        assert!(err.contains("`surname` is an object"), "{err}");
    }
}
