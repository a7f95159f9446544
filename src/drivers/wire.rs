//! Small pure helpers between a vendor's JSON and headcount's [`Value`]s,
//! shared by the drivers: reading fields by schema type, ids that come as
//! strings or numbers, paging arithmetic, checking a request's field names.

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::model::{DriverSchema, FieldType, RemoteRecord, Value, WriteRequest};

/// Reads one wire value as a field of type `ty`, normalising what vendors
/// are known to mix up: numbers for strings (Thulium `number`), strings for
/// booleans (CCP `user_enabled`), strings of digits for integers.
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
        (FieldType::String | FieldType::Email | FieldType::Enum(_), Json::Number(n)) => {
            match Value::from_json(v) {
                Value::Int(i) => Value::Str(i.to_string()),
                _ => Value::Str(n.to_string()),
            }
        }
        _ => Value::from_json(v),
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

/// Reads every readable schema field present in a vendor object.
/// `wire_names` gives, for a field whose wire name differs, the wire names to
/// try in order (CCP's `is_active` is read back as `user_enabled`).
pub fn read_fields(
    schema: &DriverSchema,
    obj: &Map<String, Json>,
    wire_names: &[(&str, &[&str])],
) -> IndexMap<String, Value> {
    let mut fields = IndexMap::with_capacity(schema.fields.len());
    for spec in schema.fields.iter().filter(|f| f.is_readable()) {
        let names = wire_names
            .iter()
            .find(|(ours, _)| *ours == spec.name)
            .map(|(_, wire)| *wire)
            .unwrap_or(std::slice::from_ref(&spec.name));
        if let Some(v) = names.iter().find_map(|n| obj.get(*n)) {
            fields.insert(spec.name.to_string(), read_value(spec.ty, v));
        }
    }
    fields
}

/// Whether a member of a listed vendor object is one headcount reads: the
/// identifier and key members `extra`, every readable schema field, and the
/// alternative wire names of `wire_names`.
pub fn is_read_member(
    schema: &DriverSchema,
    wire_names: &[(&str, &[&str])],
    extra: &[&str],
    member: &str,
) -> bool {
    extra.contains(&member)
        || schema
            .fields
            .iter()
            .any(|f| f.name == member && f.is_readable())
        || wire_names.iter().any(|(_, wire)| wire.contains(&member))
}

/// Parses a list answer as JSON, building of each listed object only the
/// members that `keep` accepts: the others are checked for syntax and
/// skipped unbuilt. `path` names the members that lead to the list
/// (`["data"]`; `["payload", "items"]`; `[]` for a bare array); everything
/// off that path, and anything of an unexpected shape, is built in full, so
/// the result reads the same as the whole answer for every member kept.
pub fn parse_list(
    body: &[u8],
    path: &[&str],
    keep: &dyn Fn(&str) -> bool,
) -> Result<Json, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = Level::Path(path, keep).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Where the list decoder is in the answer.
#[derive(Clone, Copy)]
enum Level<'a> {
    /// On the way to the list: the members still to descend (empty: the list).
    Path(&'a [&'a str], &'a dyn Fn(&str) -> bool),
    /// One listed object: only the members `keep` accepts are built.
    Item(&'a dyn Fn(&str) -> bool),
}

impl<'de> serde::de::DeserializeSeed<'de> for Level<'_> {
    type Value = Json;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

/// A member name, borrowed from the answer when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> serde::de::Visitor<'de> for Level<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        serde::Deserialize::deserialize(d)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        match self {
            Level::Path([], keep) => {
                while let Some(item) = seq.next_element_seed(Level::Item(keep))? {
                    items.push(item);
                }
            }
            _ => {
                while let Some(item) = seq.next_element::<Json>()? {
                    items.push(item);
                }
            }
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Map::new();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            match self {
                Level::Path([first, rest @ ..], keep) if *first == key => {
                    let value = map.next_value_seed(Level::Path(rest, keep))?;
                    out.insert(key.into_owned(), value);
                }
                Level::Item(keep) if !keep(&key) => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                _ => {
                    let value = map.next_value::<Json>()?;
                    out.insert(key.into_owned(), value);
                }
            }
        }
        Ok(Json::Object(out))
    }
}

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

/// The pages still to fetch after the first one, as page indexes (1, 2, ...)
/// of `step` records each, where `step` is the size of the first page the
/// vendor actually returned (it may cap our page size lower).
/// `Err` when the vendor claims more records but returned none.
pub fn remaining_pages(total: usize, first_count: usize) -> Result<Vec<usize>, String> {
    if first_count >= total {
        return Ok(Vec::new());
    }
    if first_count == 0 {
        return Err(format!(
            "the first page was empty although the total is {total}"
        ));
    }
    let pages = total.div_ceil(first_count);
    Ok((1..pages).collect())
}

/// Records of several pages, without the duplicates a page shift may cause.
/// Converts listed objects into records; `None` when one of them is not an
/// object or lacks the id or key.
pub fn records_from(
    items: &[Json],
    convert: impl Fn(&Map<String, Json>) -> Option<RemoteRecord>,
) -> Option<Vec<RemoteRecord>> {
    items
        .iter()
        .map(|item| item.as_object().and_then(&convert))
        .collect()
}

/// Reads the pages `rest` after the first, at most `parallelism` at once and
/// kept in order, and merges them with the first page. Any failed page fails
/// the whole list: a partial list would make a plan create duplicates.
pub async fn read_pages<F, Fut>(
    first: Vec<RemoteRecord>,
    rest: Vec<usize>,
    parallelism: usize,
    fetch: F,
) -> Result<Vec<RemoteRecord>, super::DriverError>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<RemoteRecord>, usize), super::DriverError>>,
{
    use futures::{StreamExt, TryStreamExt};
    let pages: Vec<Vec<RemoteRecord>> = futures::stream::iter(rest)
        .map(fetch)
        .buffered(parallelism.max(1))
        .map_ok(|(records, _)| records)
        .try_collect()
        .await?;
    Ok(merge_pages(std::iter::once(first).chain(pages)))
}

pub fn merge_pages(pages: impl IntoIterator<Item = Vec<RemoteRecord>>) -> Vec<RemoteRecord> {
    let mut all: Vec<RemoteRecord> = pages.into_iter().flatten().collect();
    // Ids are compared borrowed: no copy of each id just to look it up.
    let keep: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity(all.len());
        all.iter().map(|r| seen.insert(r.id.as_str())).collect()
    };
    if keep.iter().all(|k| *k) {
        return all;
    }
    let mut keep = keep.into_iter();
    all.retain(|_| keep.next().unwrap_or(true));
    all
}

/// Field names in the request that the schema does not know (a bug in the
/// caller, refused before anything is sent).
pub fn unknown_fields(schema: &DriverSchema, request: &WriteRequest) -> Vec<String> {
    request
        .fields
        .keys()
        .chain(request.secrets.keys())
        .filter(|name| schema.field(name).is_none())
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_answers_build_only_the_members_read_and_everything_else_in_full() {
        let body = br#"{"success": true, "error": {"x": [1, 2.5]}, "payload": {"total": 2,
            "items": [{"user_id": 7, "name": "a\u0062", "secret": {"deep": [1]}, "email": null},
                      "not an object"]}}"#;
        let keep = |m: &str| m != "secret";
        let got = parse_list(body, &["payload", "items"], &keep).unwrap();
        let mut want: Json = serde_json::from_slice(body).unwrap();
        want["payload"]["items"][0]
            .as_object_mut()
            .unwrap()
            .shift_remove("secret");
        assert_eq!(got, want);
        // A bare array, and JSON that is not JSON.
        let got = parse_list(br#"[{"login": "x", "pin": 1}]"#, &[], &|m| m == "login").unwrap();
        assert_eq!(got, serde_json::json!([{"login": "x"}]));
        assert!(parse_list(b"[{\"login\": }]", &[], &keep).is_err());
        assert!(parse_list(b"[] trailing", &[], &keep).is_err());
    }
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
    fn paging_follows_the_size_the_vendor_returned() {
        assert_eq!(remaining_pages(250, 100), Ok(vec![1, 2]));
        assert_eq!(remaining_pages(100, 100), Ok(vec![]));
        assert_eq!(remaining_pages(0, 0), Ok(vec![]));
        assert_eq!(remaining_pages(250, 50), Ok(vec![1, 2, 3, 4]));
        assert!(remaining_pages(5, 0).is_err());
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

    #[test]
    fn pages_are_merged_without_duplicates() {
        let r = |id: &str| RemoteRecord {
            id: id.into(),
            key: id.into(),
            fields: Default::default(),
        };
        let merged = merge_pages(vec![vec![r("a"), r("b")], vec![r("b"), r("c")]]);
        let ids: Vec<_> = merged.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }
}
