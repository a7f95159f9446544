//! Reading a vendor's list answer straight into [`RemoteRecord`]s.
//!
//! A page of 100 accounts is about 40 KB of JSON. Building it as a JSON
//! tree, then each account as a map, then the record, cost more CPU than the
//! vendors' latency on a 2-core machine. Here the answer is decoded once:
//! the members leading to the list are built as JSON (the envelope: totals,
//! `success`, error members), and each listed object is read member by member
//! into a record, skipping unbuilt every member headcount does not read.
//!
//! The result is the same as [`RecordShape::record_from_map`] applied to the
//! fully parsed answer (tested below); answers that are not well-formed JSON
//! are left to the caller's general path, so error messages do not change.

use std::cell::RefCell;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use crate::model::{DriverSchema, FieldMap, FieldSpec, RemoteRecord};

use super::wire;

/// How a driver's listed objects map to records.
pub struct RecordShape {
    pub schema: &'static DriverSchema,
    /// The member holding the id used in paths.
    pub id: &'static str,
    /// The member holding the natural key (may be the same as `id`).
    pub key: &'static str,
    /// For fields whose wire name differs: the wire names to try, in order.
    pub wire_names: &'static [(&'static str, &'static [&'static str])],
}

impl RecordShape {
    /// The wire names of a readable field, in order of preference.
    fn names_of(&self, spec: &'static FieldSpec) -> &'static [&'static str] {
        self.wire_names
            .iter()
            .find(|(ours, _)| *ours == spec.name)
            .map_or(std::slice::from_ref(&spec.name), |(_, wire)| *wire)
    }

    /// A record from a fully built vendor object; `None` without id or key.
    pub fn record_from_map(&self, obj: &Map<String, Json>) -> Option<RemoteRecord> {
        Some(RemoteRecord {
            id: obj.get(self.id).and_then(wire::id_text)?,
            key: obj.get(self.key).and_then(wire::id_text)?,
            fields: wire::read_fields(self.schema, obj, self.wire_names),
        })
    }
}

/// A decoded list answer.
#[derive(Debug)]
pub struct ListAnswer {
    /// The answer with the list emptied (`[]`); everything else as sent.
    pub body: Json,
    /// The listed records, in order; `None` when an item was not an object
    /// or had no id or key.
    pub records: Option<Vec<RemoteRecord>>,
}

/// A paged list's records and the total the vendor reports, from `container`
/// (the object holding the member `list` and `total`). A protocol error says
/// `expected` when the shape is wrong, `incomplete` when an item lacks its
/// id or key.
pub fn page_of(
    records: Option<Vec<RemoteRecord>>,
    container: &Json,
    list: &str,
    http: &super::http::HttpClient,
    context: &str,
    expected: &str,
    incomplete: &str,
) -> Result<(Vec<RemoteRecord>, usize), super::DriverError> {
    let total = match container.get(list) {
        Some(Json::Array(_) | Json::Null) => container.get("total").and_then(wire::count),
        _ => None,
    };
    let total = total.ok_or_else(|| http.protocol(context, expected))?;
    let records = records.ok_or_else(|| http.protocol(context, incomplete))?;
    Ok((records, total))
}

/// Decodes `body`, whose list is at `path` (`["data"]`, `["payload",
/// "items"]`, `[]` for a bare array). `Err` when the body is not JSON.
pub fn read_list(
    body: &[u8],
    path: &[&str],
    shape: &RecordShape,
) -> Result<ListAnswer, serde_json::Error> {
    let out = RefCell::new(Some(Vec::new()));
    let members = shape.members();
    let mut de = serde_json::Deserializer::from_slice(body);
    let body = Envelope {
        path,
        shape,
        members: &members,
        out: &out,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(ListAnswer {
        body,
        records: out.into_inner(),
    })
}

/// The general path: a fully parsed answer, its list converted and emptied.
pub fn records_of(mut body: Json, path: &[&str], shape: &RecordShape) -> ListAnswer {
    let mut at = &mut body;
    for member in path {
        match at.get_mut(*member) {
            Some(next) => at = next,
            None => {
                return ListAnswer {
                    body,
                    records: Some(Vec::new()),
                }
            }
        }
    }
    let records = match at {
        Json::Array(items) => {
            let records = items
                .iter()
                .map(|item| item.as_object().and_then(|o| shape.record_from_map(o)))
                .collect();
            items.clear();
            records
        }
        _ => Some(Vec::new()),
    };
    ListAnswer { body, records }
}

/// The members on the way to the list, and the list itself (`path` empty),
/// whose items become records. A list that is not an array is kept as sent
/// (the caller reports its shape).
#[derive(Clone, Copy)]
struct Envelope<'a> {
    /// Members still to descend (empty: this value is the list).
    path: &'a [&'a str],
    shape: &'a RecordShape,
    members: &'a [Member],
    out: &'a RefCell<Option<Vec<RemoteRecord>>>,
}

/// A wire name that feeds a field: (name, index of the field in the
/// schema, rank of the name among the field's wire names).
type Member = (&'static str, usize, usize);

impl RecordShape {
    /// Every wire name a record reads, flattened once per answer so that
    /// each listed member is matched with one scan.
    fn members(&self) -> Vec<Member> {
        let fields: &'static [FieldSpec] = self.schema.fields;
        fields
            .iter()
            .enumerate()
            .filter(|(_, spec)| spec.is_readable())
            .flat_map(|(i, spec)| {
                self.names_of(spec)
                    .iter()
                    .enumerate()
                    .map(move |(rank, name)| (*name, i, rank))
            })
            .collect()
    }
}

impl<'de> DeserializeSeed<'de> for Envelope<'_> {
    type Value = Json;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

/// The visitors below read only what `serde_json`'s `deserialize_any` calls:
/// null is `visit_unit`, text `visit_str` (through the default `visit_borrowed_str`).
impl<'de> Visitor<'de> for Envelope<'_> {
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
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        if self.path.is_empty() {
            // The list itself: its items become records, the value `[]`.
            while let Some(record) = seq.next_element_seed(Item(self.shape, self.members))? {
                let mut out = self.out.borrow_mut();
                match (record, out.as_mut()) {
                    (Some(r), Some(records)) => records.push(r),
                    _ => *out = None,
                }
            }
            return Ok(Json::Array(Vec::new()));
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Map::new();
        while let Some(wire::Key(key)) = map.next_key::<wire::Key>()? {
            let value = match self.path.split_first() {
                Some((first, rest)) if *first == key => {
                    map.next_value_seed(Envelope { path: rest, ..self })?
                }
                _ => map.next_value::<Json>()?,
            };
            out.insert(key.into_owned(), value);
        }
        Ok(Json::Object(out))
    }
}

/// One listed value: a record when it is an object with an id and a key.
struct Item<'a>(&'a RecordShape, &'a [Member]);

impl<'de> DeserializeSeed<'de> for Item<'_> {
    type Value = Option<RemoteRecord>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Item<'_> {
    type Value = Option<RemoteRecord>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a listed object")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (shape, members) = (self.0, self.1);
        let fields: &'static [FieldSpec] = shape.schema.fields;
        let mut id = None;
        let mut key = None;
        // Per schema field: (rank of the wire name it came from, value).
        // Like `Map::get` on a parsed object: the best-ranked name wins, and
        // of a repeated member the last value.
        let mut slots: Vec<Option<(usize, Json)>> = vec![None; fields.len()];
        while let Some(wire::Key(member)) = map.next_key::<wire::Key>()? {
            let is_id = member == shape.id;
            let is_key = member == shape.key;
            let mut matches = members.iter().filter(|(name, _, _)| *name == member);
            let first = matches.next();
            let shared = matches.next().is_some();
            if !is_id && !is_key && first.is_none() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value: Json = map.next_value()?;
            if is_id {
                id = Some(wire::id_text(&value));
            }
            if is_key {
                key = Some(wire::id_text(&value));
            }
            if shared {
                // A wire name shared by several fields (no vendor has one
                // today): give it to each.
                for (_, i, rank) in members.iter().filter(|(name, _, _)| *name == member) {
                    put(&mut slots[*i], *rank, value.clone());
                }
            } else if let Some((_, i, rank)) = first {
                put(&mut slots[*i], *rank, value);
            }
        }
        let (Some(Some(id)), Some(Some(key))) = (id, key) else {
            return Ok(None);
        };
        // Sized to the fields present: 100,000 records keep these maps
        // until the plan is made.
        let present = slots.iter().filter(|slot| slot.is_some()).count();
        let mut record_fields = FieldMap::with_capacity(present);
        for (spec, slot) in fields.iter().zip(slots) {
            if let Some((_, value)) = slot {
                record_fields.insert(spec.name, wire::read_value_owned(spec.ty, value));
            }
        }
        Ok(Some(RemoteRecord {
            id,
            key,
            fields: record_fields,
        }))
    }
}

fn put(slot: &mut Option<(usize, Json)>, rank: usize, value: Json) {
    if slot.as_ref().is_none_or(|(best, _)| rank <= *best) {
        *slot = Some((rank, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drivers::{ccp, dnl, thulium};

    /// Both paths on one answer must give the same records and envelope.
    fn same(body: &str, path: &[&str], shape: &RecordShape) -> ListAnswer {
        let fast = read_list(body.as_bytes(), path, shape).unwrap();
        let full: Json = serde_json::from_str(body).unwrap();
        let slow = records_of(full, path, shape);
        assert_eq!(fast.records, slow.records, "records differ on {body}");
        assert_eq!(fast.body, slow.body, "envelopes differ on {body}");
        fast
    }

    #[test]
    fn records_read_directly_equal_records_read_from_the_parsed_answer() {
        let ccp = r#"{"data": [
            {"user_uuid": "u1", "username": "A", "email": "a@x", "user_enabled": "false",
             "is_active": true, "groups": null, "extension": 105, "deep": {"x": [1, {"y": 2}]}},
            {"user_uuid": "u2", "username": "B", "is_active": "true", "email": "b@x", "email": "c@x"},
            {"user_uuid": 3, "username": "C\u0044", "first_name": "\u00e9"}
        ], "limit": 100, "offset": 0, "total": 3}"#;
        let got = same(ccp, &["data"], &ccp::SHAPE);
        let records = got.records.unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(
            records[0].fields["is_active"],
            crate::model::Value::Bool(false)
        );
        assert_eq!(records[1].fields["email"].as_str(), Some("c@x"));
        assert_eq!(records[2].key, "CD");
        assert_eq!(got.body["total"], 3);

        let dnl = r#"{"success": true, "payload": {"items": [
            {"user_id": 7, "name": "n", "auth_ip": [{"ip": "1.2.3.4"}], "client_limits": [{"client_id": 5}]},
            {"user_id": 8, "name": "m", "secret": {"deep": [1]}, "email": null}
        ], "total": 2, "page": 0}}"#;
        let got = same(dnl, &["payload", "items"], &dnl::SHAPE);
        assert_eq!(got.records.unwrap()[0].id, "7");
        assert_eq!(got.body["payload"]["total"], 2);

        let thulium = r#"[{"login": "jk", "name": "Jan", "number": 5634, "pin": 1}]"#;
        let got = same(thulium, &[], &thulium::SHAPE);
        let records = got.records.unwrap();
        assert_eq!(
            (records[0].id.as_str(), records[0].key.as_str()),
            ("jk", "jk")
        );
    }

    #[test]
    fn items_without_id_or_key_or_not_objects_give_no_records() {
        for body in [
            r#"{"data": [{"username": "A"}], "total": 1}"#,
            r#"{"data": [{"user_uuid": "u", "username": ""}], "total": 1}"#,
            r#"{"data": ["text"], "total": 1}"#,
            r#"{"data": [[1]], "total": 1}"#,
        ] {
            let got = same(body, &["data"], &ccp::SHAPE);
            assert!(got.records.is_none(), "{body}");
        }
        // A list that is not a list stays as sent, for the caller to report.
        let got = same(r#"{"data": "nope", "total": 1}"#, &["data"], &ccp::SHAPE);
        assert_eq!(got.body["data"], "nope");
        let got = same(r#"{"total": 0}"#, &["data"], &ccp::SHAPE);
        assert_eq!(got.records, Some(Vec::new()));
    }

    #[test]
    fn a_wire_name_shared_by_two_fields_feeds_both_by_rank() {
        use crate::model::{FieldSpec, FieldType, Kind};
        static FIELDS: [FieldSpec; 3] = [
            FieldSpec::new("login", FieldType::String, "key"),
            FieldSpec::new("mail", FieldType::String, "read as mail, else email"),
            FieldSpec::new("email", FieldType::String, "read as email"),
        ];
        static SCHEMA: DriverSchema = DriverSchema {
            vendor: "test",
            display_name: "Test",
            kind: Kind::User,
            key_field: "login",
            active_field: "",
            fields: &FIELDS,
            auth: &[],
            url_example: "",
            edit_echoes: &[],
            edit_leaves_out: &[],
            person: crate::model::PersonFields::NONE,
        };
        static SHAPE: RecordShape = RecordShape {
            schema: &SCHEMA,
            id: "login",
            key: "login",
            wire_names: &[("mail", &["mail", "email"])],
        };
        let got = same(
            r#"[{"login": "a", "email": "e@x"}, {"email": "e@y", "login": "b", "mail": "m@y"}]"#,
            &[],
            &SHAPE,
        );
        let records = got.records.unwrap();
        assert_eq!(records[0].fields["mail"].as_str(), Some("e@x"));
        assert_eq!(records[0].fields["email"].as_str(), Some("e@x"));
        assert_eq!(records[1].fields["mail"].as_str(), Some("m@y"));
        assert_eq!(records[1].fields["email"].as_str(), Some("e@y"));
    }

    #[test]
    fn malformed_answers_are_errors_for_the_general_path() {
        assert!(read_list(b"[{\"login\": }]", &[], &thulium::SHAPE).is_err());
        assert!(read_list(b"[] trailing", &[], &thulium::SHAPE).is_err());
        assert!(read_list(b"<html>", &[], &thulium::SHAPE).is_err());
    }
}
