//! Vendor-neutral records and field descriptions.
//!
//! Everything here is shared vocabulary: the desired-state loader produces
//! [`Value`]s keyed by field name, drivers read remote accounts into
//! [`RemoteRecord`]s with the same field names, and the planner compares the
//! two using the [`FieldSpec`]s a driver publishes. Nothing in this module
//! knows about a particular vendor, YAML or HTTP.

use std::fmt;

use indexmap::IndexMap;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Which section of the desired-state file an account belongs to.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `agents:` (Thulium agents).
    Agent,
    /// `users:` (CCP and DNL users).
    User,
}

impl Kind {
    /// The top-level section of the file holding accounts of this kind.
    pub fn section(self) -> &'static str {
        match self {
            Kind::Agent => "agents",
            Kind::User => "users",
        }
    }

    /// Singular noun for messages ("agent", "user").
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Agent => "agent",
            Kind::User => "user",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// A non-secret field value in headcount's vocabulary.
///
/// Secrets never become a `Value`: they travel as [`SecretString`] in
/// [`WriteRequest::secrets`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Value>),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Converts to a `serde_json::Value` (for drivers building request bodies).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
        }
    }

    /// Converts from JSON; floats that are whole numbers become `Int`,
    /// other floats and objects become their JSON text.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(f as i64),
                    _ => Value::Str(n.to_string()),
                },
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(_) => Value::Str(v.to_string()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The type of a field, which also decides how it is normalised before comparing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Free text. Integers are accepted and compared by their decimal text
    /// (Thulium returns `number` as an integer but takes a string).
    String,
    /// Whole number. Strings of digits are accepted ("12" == 12).
    Integer,
    /// true/false. The strings "true"/"false" are accepted (CCP reads back strings).
    Boolean,
    /// An e-mail address: trimmed and compared case-insensitively.
    Email,
    /// One of a fixed set of strings.
    Enum(&'static [&'static str]),
    /// A list of integers whose order carries no meaning.
    IntegerSet,
    /// A list of IP addresses (or CIDR blocks) whose order carries no meaning.
    IpSet,
    /// A secret reference (`{ env: NAME }` or `{ file: PATH }`); never compared.
    Secret,
}

impl FieldType {
    /// Short name for messages and schemas.
    pub fn describe(&self) -> String {
        match self {
            FieldType::String => "a string".into(),
            FieldType::Integer => "an integer".into(),
            FieldType::Boolean => "true or false".into(),
            FieldType::Email => "an e-mail address".into(),
            FieldType::Enum(values) => format!("one of {}", values.join(", ")),
            FieldType::IntegerSet => "a list of integers".into(),
            FieldType::IpSet => "a list of IP addresses".into(),
            FieldType::Secret => "a secret reference ({ env: NAME } or { file: PATH })".into(),
        }
    }
}

/// Whether a field can be read back from the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Written on create and update, read back, compared for drift.
    ReadWrite,
    /// Sent on create only; the vendor never returns it, so it cannot be
    /// compared and never causes an update (passwords, Thulium `roles`, ...).
    CreateOnly,
}

/// One field of a vendor's account, as headcount's file names it.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    /// Field name in the desired-state file (and in [`RemoteRecord::fields`]).
    pub name: &'static str,
    pub ty: FieldType,
    /// A regular expression the value must match (strings only).
    pub pattern: Option<&'static str>,
    /// Maximum length in characters (strings only).
    pub max_len: Option<usize>,
    /// The vendor refuses a create without it.
    pub required_on_create: bool,
    /// The vendor refuses an edit without it (CCP's password).
    pub required_on_update: bool,
    pub access: Access,
    /// The vendor's read is expected to carry this field. Whatever this
    /// says, a field absent from a read record (absent, not `null`) is
    /// treated as write-only for that account: set on create, never a
    /// reason to update. When an *expected* field is absent from every
    /// record of a listing, the plan warns once (the driver's idea of the
    /// vendor is probably wrong). False where the evidence says the vendor
    /// may not return it (DNL `first_name`: its database has `fullname`).
    pub expected_on_read: bool,
    /// A secret the vendor's **edit** accepts, so that an update may send it
    /// to change it (password rotation, `--rotate`). True for DNL's password
    /// (its UI sends `passwd` in `PATCH /user/{id}`) and CCP's (sent on every
    /// edit anyway); false where only the create is documented to take it
    /// (Thulium): rotating such a secret is not possible through the API.
    pub rotatable: bool,
    /// Shown in the JSON Schema and in `--help`-style docs.
    pub description: &'static str,
}

impl FieldSpec {
    pub const fn new(name: &'static str, ty: FieldType, description: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            ty,
            pattern: None,
            max_len: None,
            required_on_create: false,
            required_on_update: false,
            access: Access::ReadWrite,
            expected_on_read: true,
            rotatable: false,
            description,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required_on_create = true;
        self
    }
    pub const fn required_on_update(mut self) -> Self {
        self.required_on_update = true;
        self
    }
    pub const fn create_only(mut self) -> Self {
        self.access = Access::CreateOnly;
        self
    }
    /// The vendor may not return this field on read (see [`FieldSpec::expected_on_read`]).
    pub const fn may_be_unread(mut self) -> Self {
        self.expected_on_read = false;
        self
    }
    /// The vendor's edit accepts this secret (see [`FieldSpec::rotatable`]).
    pub const fn rotatable(mut self) -> Self {
        self.rotatable = true;
        self
    }
    pub const fn pattern(mut self, pattern: &'static str) -> Self {
        self.pattern = Some(pattern);
        self
    }
    pub const fn max_len(mut self, max_len: usize) -> Self {
        self.max_len = Some(max_len);
        self
    }
    pub fn is_secret(&self) -> bool {
        matches!(self.ty, FieldType::Secret)
    }
    pub fn is_readable(&self) -> bool {
        self.access == Access::ReadWrite && !self.is_secret()
    }
}

/// One credential a provider's `auth:` block takes.
#[derive(Clone, Copy, Debug)]
pub struct AuthFieldSpec {
    pub name: &'static str,
    /// When true the value must be a secret reference; when false a plain
    /// string is also accepted (a user name, say).
    pub secret: bool,
    pub description: &'static str,
}

/// What a driver publishes about the accounts it manages. Static data: the
/// loader validates entries with it, the planner compares with it, the JSON
/// Schema is generated from it.
#[derive(Debug)]
pub struct DriverSchema {
    /// The `type:` value selecting this driver.
    pub vendor: &'static str,
    /// Human name ("Thulium", "CCP", "DNL").
    pub display_name: &'static str,
    pub kind: Kind,
    /// The natural key field (login, username, name).
    pub key_field: &'static str,
    /// Field meaning "account active"; setting it to `false` deactivates.
    pub active_field: &'static str,
    pub fields: &'static [FieldSpec],
    pub auth: &'static [AuthFieldSpec],
    /// Example base URL shown in docs and errors.
    pub url_example: &'static str,
    /// Fields an edit sends whether they change or not (CCP's edit replaces
    /// the whole user). The planner lists them in the change, so that the
    /// plan shows everything apply sends. Empty: an edit sends what changes.
    pub edit_echoes: &'static [EditEcho],
    /// Fields the vendor holds (its read carries them) that its edit does
    /// not send, where no document says whether the edit keeps or blanks
    /// them (CCP's `last_name`, `middle_name`): the plan notes them on every
    /// edit. Empty: nothing to note.
    pub edit_leaves_out: &'static [&'static str],
    /// Which of its fields carry a person's attributes (`people:`); the
    /// active state is [`DriverSchema::active_field`].
    pub person: PersonFields,
}

/// The fields of a vendor's account that carry a person's attributes. A
/// `people:` entry fills them, unless the account sets them itself; an
/// attribute the vendor has no field for is not sent.
#[derive(Debug, Default)]
pub struct PersonFields {
    /// The given name (`name:` of a person).
    pub given_name: Option<&'static str>,
    /// The family name (`surname:`).
    pub family_name: Option<&'static str>,
    /// The whole name, "given family".
    pub full_name: Option<&'static str>,
    pub email: Option<&'static str>,
}

impl PersonFields {
    pub const NONE: PersonFields = PersonFields {
        given_name: None,
        family_name: None,
        full_name: None,
        email: None,
    };

    /// (person attribute, vendor field) for each attribute the vendor carries.
    pub fn mapped(&self) -> impl Iterator<Item = (PersonAttr, &'static str)> {
        [
            (PersonAttr::Name, self.given_name),
            (PersonAttr::Surname, self.family_name),
            (PersonAttr::FullName, self.full_name),
            (PersonAttr::Email, self.email),
        ]
        .into_iter()
        .filter_map(|(a, f)| f.map(|f| (a, f)))
    }
}

/// A person's attribute, as a `people:` entry writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonAttr {
    Name,
    Surname,
    /// `name` and `surname` joined by a space.
    FullName,
    Email,
}

impl PersonAttr {
    /// How the file (or, for the full name, the docs) calls it.
    pub fn label(self) -> &'static str {
        match self {
            PersonAttr::Name => "name",
            PersonAttr::Surname => "surname",
            PersonAttr::FullName => "name + surname",
            PersonAttr::Email => "email",
        }
    }
}

/// A field an edit sends although it does not change.
#[derive(Debug)]
pub struct EditEcho {
    pub name: &'static str,
    pub value: EchoValue,
    /// Why it is sent, shown in the plan.
    pub why: &'static str,
}

/// The value of an [`EditEcho`].
#[derive(Debug)]
pub enum EchoValue {
    /// The value the vendor holds (not sent when the vendor did not return it).
    Held,
    /// A fixed boolean.
    Bool(bool),
}

impl DriverSchema {
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// An account's fields in order, named by the driver's static field names:
/// an entry's of the file, or a record's read from a vendor. A few fields
/// per account, so a list searched in order: no hash table and no copy of
/// each name (a plan of 100,000 accounts keeps 100,000 of each).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldMap<V>(Vec<(&'static str, V)>);

impl<V> Default for FieldMap<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> FieldMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    pub fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` (replacing its value in place, or adding it last);
    /// returns the value it replaced.
    pub fn insert(&mut self, name: &'static str, value: V) -> Option<V> {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, old)) => Some(std::mem::replace(old, value)),
            None => {
                self.0.push((name, value));
                None
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &V)> {
        self.0.iter().map(|(n, v)| (*n, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(n, _)| *n)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.iter_mut().map(|(_, v)| v)
    }
}

impl<'a, V> IntoIterator for &'a FieldMap<V> {
    type Item = (&'static str, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (&'static str, V)>,
        fn(&'a (&'static str, V)) -> (&'static str, &'a V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(n, v)| (*n, v))
    }
}

impl<V> IntoIterator for FieldMap<V> {
    type Item = (&'static str, V);
    type IntoIter = std::vec::IntoIter<(&'static str, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<V> std::ops::Index<&str> for FieldMap<V> {
    type Output = V;

    /// Panics when the field is absent (tests and invariants only).
    fn index(&self, name: &str) -> &V {
        match self.get(name) {
            Some(v) => v,
            None => panic!("no field {name:?}"),
        }
    }
}

impl<V> FromIterator<(&'static str, V)> for FieldMap<V> {
    fn from_iter<I: IntoIterator<Item = (&'static str, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        for (n, v) in iter {
            map.insert(n, v);
        }
        map
    }
}

/// An account as read from the vendor, in headcount's vocabulary.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteRecord {
    /// The vendor's identifier used in paths (Thulium login, CCP uuid, DNL user_id).
    pub id: String,
    /// The natural key.
    pub key: String,
    /// Readable fields, named as in the file.
    pub fields: FieldMap<Value>,
}

/// What to write: plain fields plus resolved secrets. `Debug` never shows
/// secret values (`SecretString` redacts itself).
#[derive(Clone, Debug, Default)]
pub struct WriteRequest {
    /// The natural key of the account.
    pub key: String,
    /// Field values to send (for an update: the changed fields only).
    pub fields: IndexMap<String, Value>,
    /// Resolved secrets (passwords), by field name.
    pub secrets: IndexMap<String, SecretString>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_maps_keep_order_and_replace_in_place() {
        let mut m = FieldMap::new();
        assert_eq!(m.insert("b", 1), None);
        assert_eq!(m.insert("a", 2), None);
        assert_eq!(m.insert("b", 3), Some(1));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(m.get("b"), Some(&3));
        assert!(m.contains_key("a") && !m.contains_key("c"));
        assert_eq!(m.iter().collect::<Vec<_>>(), [("b", &3), ("a", &2)]);
        assert_eq!(m["a"], 2);
    }
    use secrecy::SecretString;

    #[test]
    fn write_request_debug_redacts_secrets() {
        let mut req = WriteRequest {
            key: "jkowalski".into(),
            ..Default::default()
        };
        req.secrets
            .insert("password".into(), SecretString::from("hunter2-very-secret"));
        let shown = format!("{req:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("password"), "{shown}");
    }

    #[test]
    fn json_round_trip_of_values() {
        let v = Value::List(vec![
            Value::Int(1),
            Value::Str("a".into()),
            Value::Bool(true),
        ]);
        assert_eq!(Value::from_json(&v.to_json()), v);
        assert_eq!(Value::from_json(&serde_json::json!(5.0)), Value::Int(5));
    }
}
