//! Building blocks shared by the simulated vendors: an indexed table of
//! accounts, a redacted password type, bearer-style tokens and JSON answers.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A stored account of one vendor.
pub(crate) trait Row: Serialize + DeserializeOwned + Clone + Send + 'static {
    /// The wire name of the password field (never shown by the control API).
    const PASSWORD_FIELD: &'static str;
    /// The stored password.
    fn password(&self) -> &Password;
    /// The remote id (path key of read-one and edit).
    fn id(&self) -> String;
    /// The natural key (unique).
    fn key(&self) -> &str;
}

/// Implements [`Row`] for a struct from the names of its password, id and
/// key fields (the password field's name is its wire name).
macro_rules! row {
    ($row:ty, password: $password:ident, id: $id:ident, key: $key:ident) => {
        impl $crate::sandbox::table::Row for $row {
            const PASSWORD_FIELD: &'static str = stringify!($password);
            fn password(&self) -> &$crate::sandbox::table::Password {
                &self.$password
            }
            fn id(&self) -> String {
                self.$id.to_string()
            }
            fn key(&self) -> &str {
                &self.$key
            }
        }
    };
}
pub(crate) use row;

/// A password held by the sandbox: serialised as a plain string, never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive)")
    }
}

/// Why a row could not be stored.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Conflict {
    #[error("an account with key {0:?} already exists")]
    Key(String),
    #[error("an account with id {0:?} already exists")]
    Id(String),
}

/// Rows in insertion order, indexed by id and by natural key. Accounts are
/// never removed (no vendor publishes a delete), so positions are stable and
/// a page is a slice.
pub(crate) struct Table<R> {
    rows: Vec<R>,
    by_id: HashMap<String, usize>,
    by_key: HashMap<String, usize>,
}

impl<R: Row> Default for Table<R> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            by_id: HashMap::new(),
            by_key: HashMap::new(),
        }
    }
}

impl<R: Row> Table<R> {
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn rows(&self) -> &[R] {
        &self.rows
    }

    pub(crate) fn insert(&mut self, row: R) -> Result<usize, Conflict> {
        let key = row.key().to_string();
        let id = row.id();
        if self.by_key.contains_key(&key) {
            return Err(Conflict::Key(key));
        }
        if self.by_id.contains_key(&id) {
            return Err(Conflict::Id(id));
        }
        let index = self.rows.len();
        self.rows.push(row);
        self.by_key.insert(key, index);
        self.by_id.insert(id, index);
        Ok(index)
    }

    pub(crate) fn index_of_key(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    pub(crate) fn index_of_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn get(&self, index: usize) -> Option<&R> {
        self.rows.get(index)
    }

    /// Whether `key` is free for the row at `index` (unused, or used by that row).
    pub(crate) fn key_free_for(&self, key: &str, index: usize) -> bool {
        self.by_key.get(key).is_none_or(|&i| i == index)
    }

    /// Replaces the row at `index`; its id must not change, its key may.
    pub(crate) fn replace(&mut self, index: usize, row: R) -> Result<(), Conflict> {
        let Some(old) = self.rows.get(index) else {
            return Err(Conflict::Id(row.id()));
        };
        if old.id() != row.id() {
            return Err(Conflict::Id(row.id()));
        }
        let new_key = row.key().to_string();
        if !self.key_free_for(&new_key, index) {
            return Err(Conflict::Key(new_key));
        }
        let old_key = old.key().to_string();
        if old_key != new_key {
            self.by_key.remove(&old_key);
            self.by_key.insert(new_key, index);
        }
        self.rows[index] = row;
        Ok(())
    }

    /// Every row as the control API shows it: all stored fields but the password.
    pub(crate) fn snapshot(&self) -> Vec<Value> {
        self.rows.iter().map(stored_view).collect()
    }

    /// Out-of-band edit: merges `patch` into the stored row, bypassing the
    /// vendor's validation (types must still fit). The id cannot change.
    pub(crate) fn raw_edit(&mut self, key: &str, patch: &Value) -> Result<Value, String> {
        let Some(index) = self.index_of_key(key) else {
            return Err(format!("no account with key {key:?}"));
        };
        let Value::Object(patch) = patch else {
            return Err("the edit must be a JSON object".to_string());
        };
        let old = &self.rows[index];
        let row = merged(old, patch.clone())
            .map_err(|e| format!("the edited account does not fit: {e}"))?;
        if row.id() != old.id() {
            return Err("the id of an account cannot be changed".to_string());
        }
        let view = stored_view(&row);
        self.replace(index, row).map_err(|e| e.to_string())?;
        Ok(view)
    }
}

/// `row` with `fields` written over its members; `Err` when the result
/// does not fit the row's types.
pub(crate) fn merged<R: Row>(row: &R, fields: Map<String, Value>) -> Result<R, String> {
    let Ok(Value::Object(mut map)) = serde_json::to_value(row) else {
        return Err("the stored account could not be read".into());
    };
    map.extend(fields);
    serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())
}

/// A stored row without its password.
pub(crate) fn stored_view<R: Row>(row: &R) -> Value {
    let mut value = serde_json::to_value(row).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.shift_remove(R::PASSWORD_FIELD);
    }
    value
}

/// A JSON answer written from any serialisable value (a page of views
/// borrowed from the store, while its lock is held).
pub(crate) fn json_answer<T: Serialize>(
    status: axum::http::StatusCode,
    value: &T,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("sandbox: could not write the answer: {e}"),
        )
            .into_response(),
    }
}

/// Parses a request body as a JSON object; an empty body is an empty object.
pub(crate) fn body_object(body: &[u8]) -> Option<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// The JSON type name of a value, as JSON-schema messages spell it.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Result of checking a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    Valid,
    Expired,
    Unknown,
}

/// Tokens handed out by a vendor's auth endpoint.
#[derive(Default)]
pub(crate) struct Tokens {
    live: HashMap<String, Instant>,
}

impl Tokens {
    /// Issues a new random token valid for `ttl`.
    pub(crate) fn issue(&mut self, prefix: &str, ttl: Duration) -> String {
        let now = Instant::now();
        if self.live.len() > 10_000 {
            self.live.retain(|_, expires| *expires > now);
        }
        let mut rng = rand::rng();
        let token = format!(
            "{prefix}.{:016x}{:016x}.{:016x}",
            rng.random::<u64>(),
            rng.random::<u64>(),
            rng.random::<u64>()
        );
        self.live.insert(token.clone(), now + ttl);
        token
    }

    pub(crate) fn check(&self, token: &str) -> TokenCheck {
        match self.live.get(token) {
            None => TokenCheck::Unknown,
            Some(expires) if *expires <= Instant::now() => TokenCheck::Expired,
            Some(_) => TokenCheck::Valid,
        }
    }

    /// Makes every token expired now; returns how many were still valid.
    pub(crate) fn expire_all(&mut self) -> usize {
        let now = Instant::now();
        let mut count = 0;
        for expires in self.live.values_mut() {
            if *expires > now {
                count += 1;
            }
            *expires = now;
        }
        count
    }

    pub(crate) fn clear(&mut self) {
        self.live.clear();
    }
}

/// A vendor handler's answer: `Err` is a ready-made error response.
pub(crate) type Reply = Result<axum::response::Response, axum::response::Response>;

/// A query parameter, trimmed; `None` when absent or empty.
pub(crate) fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    query.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// A count in the query: absent or empty gives `default`; anything but
/// digits gives the vendor's error `bad(name)`.
pub(crate) fn count_param(
    query: &HashMap<String, String>,
    name: &str,
    default: usize,
    bad: fn(&str) -> axum::response::Response,
) -> Result<usize, axum::response::Response> {
    match param(query, name) {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| bad(name)),
    }
}

/// Slices `len` items as a page: `offset..offset+limit`, clamped.
pub(crate) fn page_range(len: usize, offset: usize, limit: usize) -> std::ops::Range<usize> {
    let start = offset.min(len);
    let end = start.saturating_add(limit).min(len);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Serialize, Deserialize)]
    struct T {
        id: u64,
        key: String,
        password: Password,
        secret_setting: bool,
    }

    row!(T, password: password, id: id, key: key);

    fn row(id: u64, key: &str) -> T {
        T {
            id,
            key: key.into(),
            password: Password("pw".into()),
            secret_setting: true,
        }
    }

    #[test]
    fn duplicate_keys_and_ids_are_refused() {
        let mut t = Table::default();
        t.insert(row(1, "a")).unwrap();
        assert_eq!(t.insert(row(2, "a")), Err(Conflict::Key("a".into())));
        assert_eq!(t.insert(row(1, "b")), Err(Conflict::Id("1".into())));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn renaming_moves_the_key_index_and_keeps_the_password() {
        let mut t = Table::default();
        t.insert(row(1, "a")).unwrap();
        t.insert(row(2, "b")).unwrap();
        assert!(t
            .raw_edit("a", &serde_json::json!({"key": "b"}))
            .unwrap_err()
            .contains("already exists"));
        let view = t.raw_edit("a", &serde_json::json!({"key": "c"})).unwrap();
        assert!(view.get("password").is_none());
        assert_eq!(t.index_of_key("c"), Some(0));
        assert_eq!(t.index_of_key("a"), None);
        assert_eq!(t.get(0).unwrap().password, Password("pw".into()));
        assert!(t.raw_edit("c", &serde_json::json!({"id": 9})).is_err());
    }

    #[test]
    fn the_stored_view_leaves_out_only_the_password() {
        let r = row(1, "a");
        let stored = stored_view(&r);
        assert!(stored.get("password").is_none());
        assert_eq!(stored["secret_setting"], true);
        assert_eq!(stored.as_object().unwrap().len(), 3);
        assert_eq!(format!("{:?}", r.password), "(sensitive)");
    }

    #[test]
    fn tokens_expire_on_demand() {
        let mut tokens = Tokens::default();
        let t = tokens.issue("x", Duration::from_secs(60));
        assert_eq!(tokens.check(&t), TokenCheck::Valid);
        assert_eq!(tokens.check("nope"), TokenCheck::Unknown);
        assert_eq!(tokens.expire_all(), 1);
        assert_eq!(tokens.check(&t), TokenCheck::Expired);
    }

    #[test]
    fn pages_clamp() {
        assert_eq!(page_range(250, 200, 100), 200..250);
        assert_eq!(page_range(250, 300, 100), 250..250);
        assert_eq!(page_range(250, 0, 100), 0..100);
    }
}

/// The ids a vendor store hands out: 1, 2, ... and never one taken before
/// (seeded ids move it past them).
#[derive(Debug, Default)]
pub struct NextId(u64);

impl NextId {
    /// The next id, taken.
    pub fn take(&mut self) -> u64 {
        self.0 = self.0.max(1);
        let id = self.0;
        self.0 += 1;
        id
    }

    /// The id `take` would give now.
    pub fn peek(&self) -> u64 {
        self.0.max(1)
    }

    /// Makes sure `id` is never handed out.
    pub fn past(&mut self, id: u64) {
        self.0 = self.0.max(id + 1);
    }
}
