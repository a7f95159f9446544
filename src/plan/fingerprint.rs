//! Fingerprints of remote records, so that a saved plan can tell whether the
//! accounts it will touch changed since it was made.

use sha2::{Digest, Sha256};

use crate::model::RemoteRecord;

/// The fingerprint of "no such account" (what a create expects).
pub const ABSENT: &str = "absent";

/// A short stable hash of a record's id, key and fields (in name order).
pub fn of(record: Option<&RemoteRecord>) -> String {
    let Some(record) = record else {
        return ABSENT.to_string();
    };
    let mut fields: Vec<(&str, &crate::model::Value)> = record.fields.iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let canonical = serde_json::json!({
        "id": record.id,
        "key": record.key,
        "fields": fields,
    });
    // The first 16 bytes, as 32 hex digits (the digest's own `LowerHex`).
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    format!("sha256:{digest:.32x}")
}

/// A digest of a whole listing: every record's fingerprint, in key order.
/// A saved plan keeps one per provider, to tell "the provider changed"
/// from "the plan file was altered".
pub fn of_listing(records: &[RemoteRecord]) -> String {
    let mut prints: Vec<(&str, String)> = records
        .iter()
        .map(|r| (r.key.as_str(), of(Some(r))))
        .collect();
    prints.sort_unstable();
    let mut hasher = Sha256::new();
    for (key, print) in &prints {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(print.as_bytes());
        hasher.update([0]);
    }
    format!("sha256:{:.32x}", hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldMap;
    use crate::model::Value;

    fn record(email: &str) -> RemoteRecord {
        let mut fields = FieldMap::new();
        fields.insert("login", Value::Str("jk".into()));
        fields.insert("email", Value::Str(email.into()));
        RemoteRecord {
            id: "jk".into(),
            key: "jk".into(),
            fields,
        }
    }

    #[test]
    fn field_order_does_not_matter_but_values_do() {
        let a = record("a@x.com");
        let mut b = RemoteRecord {
            fields: FieldMap::new(),
            ..a.clone()
        };
        let fields: Vec<_> = a.fields.iter().collect();
        for (k, v) in fields.into_iter().rev() {
            b.fields.insert(k, v.clone());
        }
        assert_eq!(of(Some(&a)), of(Some(&b)));
        assert_ne!(of(Some(&a)), of(Some(&record("b@x.com"))));
        assert_eq!(of(None), ABSENT);
    }
}
