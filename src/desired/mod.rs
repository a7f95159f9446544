//! The desired-state file: format, loading with spans, secret references, validation.
//!
//! [`load`] reads a file (or a directory of files) into a validated
//! [`Desired`], or a [`LoadError`] holding every problem found, each a miette
//! diagnostic pointing at the exact place. [`schema`] builds the JSON Schema of
//! the format from the drivers' field tables and the [`settings`] table.

pub mod diagnostics;
pub mod load;
pub mod schema;
pub mod secret;
pub mod settings;
pub mod source;
pub mod types;
pub mod validate;
pub mod values;
pub mod yaml;

pub use diagnostics::{FileDiagnostic, LoadError};
pub use load::{load, load_bytes, load_str, load_with_digest, MAX_FILE_BYTES};
pub use secret::{SecretError, SecretRef};
pub use types::{
    Credential, Desired, EditsPolicy, Entry, FieldMap, Origin, Person, Provider, RateLimit,
    UnlistedPolicy,
};
