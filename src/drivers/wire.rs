//! Small pure helpers between a vendor's JSON and headcount's [`Value`]s,
//! shared by the drivers: reading fields by schema type, ids that come as
//! strings or numbers, reading pages concurrently, checking a request's field names.

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::model::{DriverSchema, FieldMap, FieldType, RemoteRecord, Value, WriteRequest};

/// Reads one wire value as a field of type `ty`, normalising what vendors
/// are known to mix up: numbers for strings (Thulium `number`), strings for
/// booleans (CCP `user_enabled`), strings of digits for integers. Anything
/// else keeps its own type (see [`super::field_types`], which refuses it).
pub fn read_value(ty: FieldType, v: &Json) -> Value {
    match (ty, v) {
        (FieldType::Boolean, Json::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::Str(s.clone()),
        },
        (FieldType::Boolean, Json::Number(n)) => match n.as_i64() {
            Some(0) => Value::Bool(false),
            Some(1) => Value::Bool(true),
            _ => Value::from_json(v),
        },
        (FieldType::Integer, Json::String(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Str(s.clone()),
        },
        (FieldType::String, Json::Number(n)) => match Value::from_json(v) {
            Value::Int(i) => Value::Str(i.to_string()),
            _ => Value::Str(n.to_string()),
        },
        _ => Value::from_json(v),
    }
}

/// [`read_value`] of a value the caller owns: text is moved, not copied.
pub fn read_value_owned(ty: FieldType, v: Json) -> Value {
    match (ty, v) {
        (FieldType::String | FieldType::Email | FieldType::Enum(_), Json::String(s)) => {
            Value::Str(s)
        }
        (ty, v) => read_value(ty, &v),
    }
}

/// Writes one field value for the wire. Text fields given as integers are
/// sent as their digits (Thulium takes `number` as a string).
pub fn write_value(ty: FieldType, v: &Value) -> Json {
    match (ty, v) {
        (FieldType::String | FieldType::Email | FieldType::Enum(_), Value::Int(i)) => {
            Json::String(i.to_string())
        }
        _ => v.to_json(),
    }
}

/// The request's fields for the wire, each written as its schema type says.
pub fn write_fields(schema: &DriverSchema, fields: &IndexMap<String, Value>) -> Map<String, Json> {
    let ty = |name: &str| schema.field(name).map_or(FieldType::String, |f| f.ty);
    (fields.iter())
        .map(|(name, value)| (name.clone(), write_value(ty(name), value)))
        .collect()
}

/// Reads every readable schema field present in a vendor object.
/// `wire_names` gives, for a field whose wire name differs, the wire names to
/// try in order (CCP's `is_active` is read back as `user_enabled`).
pub fn read_fields(
    schema: &DriverSchema,
    obj: &Map<String, Json>,
    wire_names: &[(&str, &[&str])],
) -> FieldMap<Value> {
    let mut fields = FieldMap::new();
    for spec in schema.fields.iter().filter(|f| f.is_readable()) {
        let names = wire_names
            .iter()
            .find(|(ours, _)| *ours == spec.name)
            .map(|(_, wire)| *wire)
            .unwrap_or(std::slice::from_ref(&spec.name));
        if let Some(v) = names.iter().find_map(|n| obj.get(*n)) {
            fields.insert(spec.name, read_value(spec.ty, v));
        }
    }
    fields
}

/// A member name, borrowed from the answer when it has no escapes.
#[derive(serde::Deserialize)]
pub(super) struct Key<'a>(#[serde(borrow)] pub(super) std::borrow::Cow<'a, str>);

/// An identifier that a vendor may send as a string or as a number.
pub fn id_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Json::Number(n) => match Value::from_json(v) {
            Value::Int(i) => Some(i.to_string()),
            _ => Some(n.to_string()),
        },
        _ => None,
    }
}

/// A non-negative count that may come as a number or a string of digits.
pub fn count(v: &Json) -> Option<usize> {
    match v {
        Json::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads the pages `rest` after the first (page indexes), at most
/// `parallelism` at once, and returns them in order with the total each
/// reported. Any failed page fails the whole list: a partial list would make
/// a plan create duplicates. Nothing is merged here: the pages are checked
/// by [`super::paging::accept_totalled`].
pub async fn read_pages<F, Fut>(
    rest: std::ops::Range<usize>,
    parallelism: usize,
    fetch: F,
) -> Result<Vec<(Vec<RemoteRecord>, usize)>, super::DriverError>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<RemoteRecord>, usize), super::DriverError>>,
{
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(rest)
        .map(fetch)
        .buffered(parallelism.max(1))
        .try_collect()
        .await
}

/// Refuses a request whose field names the schema does not know (a bug in
/// the caller), before anything is sent.
pub fn check_fields(
    http: &super::http::HttpClient,
    schema: &DriverSchema,
    request: &WriteRequest,
    context: &str,
) -> Result<(), super::DriverError> {
    let unknown: Vec<&str> = (request.fields.keys())
        .chain(request.secrets.keys())
        .filter(|name| schema.field(name).is_none())
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(http.error(
        super::ErrorKind::Config,
        context,
        format!(
            "not {} {} fields: {}",
            schema.display_name,
            schema.kind.noun(),
            unknown.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    #[test]
    fn numbers_read_as_text_fields_become_their_digits() {
        assert_eq!(
            read_value(FieldType::String, &json!(559933)),
            Value::Str("559933".into())
        );
        assert_eq!(
            read_value(FieldType::String, &json!("345")),
            Value::Str("345".into())
        );
    }

    #[test]
    fn owned_values_read_as_borrowed_ones_do() {
        let types = [
            FieldType::String,
            FieldType::Email,
            FieldType::Boolean,
            FieldType::Integer,
            FieldType::Enum(&["a"]),
        ];
        let values = [
            json!("x"),
            json!("12"),
            json!("true"),
            json!(5),
            json!(true),
            json!(null),
        ];
        for ty in types {
            for v in &values {
                assert_eq!(
                    read_value_owned(ty, v.clone()),
                    read_value(ty, v),
                    "{ty:?} {v}"
                );
            }
        }
    }

    #[test]
    fn boolean_strings_read_as_booleans() {
        assert_eq!(
            read_value(FieldType::Boolean, &json!("false")),
            Value::Bool(false)
        );
        assert_eq!(
            read_value(FieldType::Boolean, &json!("true")),
            Value::Bool(true)
        );
        assert_eq!(read_value(FieldType::Boolean, &json!(1)), Value::Bool(true));
        assert_eq!(
            read_value(FieldType::Boolean, &json!("maybe")),
            Value::Str("maybe".into())
        );
    }

    #[test]
    fn digit_strings_read_as_integers() {
        assert_eq!(read_value(FieldType::Integer, &json!("12")), Value::Int(12));
        assert_eq!(read_value(FieldType::Integer, &json!(12)), Value::Int(12));
    }

    #[test]
    fn integers_written_to_text_fields_are_strings() {
        assert_eq!(
            write_value(FieldType::String, &Value::Int(345)),
            json!("345")
        );
        assert_eq!(write_value(FieldType::Integer, &Value::Int(5)), json!(5));
    }

    #[test]
    fn ids_come_as_strings_or_numbers() {
        assert_eq!(id_text(&json!("11")), Some("11".into()));
        assert_eq!(id_text(&json!(11)), Some("11".into()));
        assert_eq!(id_text(&json!("")), None);
        assert_eq!(id_text(&json!(null)), None);
    }

    #[test]
    fn read_fields_uses_alternative_wire_names() {
        let obj = json!({"username": "a", "user_enabled": "false", "level": "agent", "extra": 1});
        let fields = read_fields(
            &crate::drivers::ccp::SCHEMA,
            obj.as_object().unwrap(),
            &[("is_active", &["user_enabled", "is_active"])],
        );
        assert_eq!(fields.get("is_active"), Some(&Value::Bool(false)));
        assert_eq!(fields.get("username"), Some(&Value::Str("a".into())));
        assert!(!fields.contains_key("extra"));
        assert!(!fields.contains_key("password"));
    }
}
