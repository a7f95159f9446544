//! Normalisation of values before comparing: the same value written in the
//! file and read back from a vendor must compare equal ("5634" and 5634,
//! `J@X.com` and `j@x.com`, `[2, 1]` and `[1, 2]`).

use crate::model::{DriverSchema, FieldType, RemoteRecord, Value};

/// The canonical form of `value` for a field of type `ty`.
pub fn normalize(ty: FieldType, value: &Value) -> Value {
    match (ty, value) {
        (_, Value::Null) => Value::Null,
        (FieldType::String | FieldType::Enum(_), Value::Int(i)) => Value::Str(i.to_string()),
        (FieldType::String | FieldType::Enum(_), Value::Bool(b)) => Value::Str(b.to_string()),
        (FieldType::Integer, Value::Str(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => value.clone(),
        },
        (FieldType::Boolean, Value::Str(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => value.clone(),
        },
        (FieldType::Boolean, Value::Int(i)) if *i == 0 || *i == 1 => Value::Bool(*i == 1),
        (FieldType::Email, Value::Str(s)) => Value::Str(s.trim().to_lowercase()),
        (FieldType::IntegerSet, Value::List(items)) => {
            set_of(items.iter().map(|v| normalize(FieldType::Integer, v)))
        }
        (FieldType::IpSet, Value::List(items)) => set_of(items.iter().map(|v| match v {
            Value::Str(s) => Value::Str(s.trim().to_ascii_lowercase()),
            other => other.clone(),
        })),
        _ => value.clone(),
    }
}

fn set_of(items: impl Iterator<Item = Value>) -> Value {
    let mut items: Vec<Value> = items.collect();
    items.sort();
    items.dedup();
    Value::List(items)
}

/// Whether two values of a field of type `ty` mean the same.
pub fn same(ty: FieldType, a: &Value, b: &Value) -> bool {
    // Equal values normalise equally: the common case (nothing changed)
    // needs no copy of either.
    a == b || normalize(ty, a) == normalize(ty, b)
}

/// Whether the vendor holds the account active (`None`: not read).
pub fn is_active(schema: &DriverSchema, record: &RemoteRecord) -> Option<bool> {
    let value = record.fields.get(schema.active_field)?;
    normalize(FieldType::Boolean, value).as_bool()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_strings_equal_integers() {
        assert!(same(
            FieldType::String,
            &Value::Str("5634".into()),
            &Value::Int(5634)
        ));
        assert!(!same(
            FieldType::String,
            &Value::Str("05634".into()),
            &Value::Int(5634)
        ));
        assert!(same(
            FieldType::Integer,
            &Value::Str("12".into()),
            &Value::Int(12)
        ));
    }

    #[test]
    fn email_case_and_spaces_do_not_matter() {
        assert!(same(
            FieldType::Email,
            &Value::Str("JKowalski@Example.com".into()),
            &Value::Str(" jkowalski@example.com".into())
        ));
        assert!(!same(
            FieldType::Email,
            &Value::Str("a@x.com".into()),
            &Value::Str("b@x.com".into())
        ));
    }

    #[test]
    fn booleans_read_back_as_strings() {
        assert!(same(
            FieldType::Boolean,
            &Value::Bool(true),
            &Value::Str("true".into())
        ));
        assert!(same(
            FieldType::Boolean,
            &Value::Bool(false),
            &Value::Str("false".into())
        ));
        assert!(!same(
            FieldType::Boolean,
            &Value::Bool(false),
            &Value::Str("true".into())
        ));
    }

    #[test]
    fn sets_ignore_order_and_repeats() {
        let a = Value::List(vec![Value::Int(2), Value::Int(1), Value::Int(2)]);
        let b = Value::List(vec![Value::Str("1".into()), Value::Int(2)]);
        assert!(same(FieldType::IntegerSet, &a, &b));
        assert!(!same(
            FieldType::IntegerSet,
            &a,
            &Value::List(vec![Value::Int(1)])
        ));
    }

    #[test]
    fn strings_keep_case() {
        assert!(!same(
            FieldType::String,
            &Value::Str("Jan".into()),
            &Value::Str("jan".into())
        ));
    }
}
