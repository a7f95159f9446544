//! The desired-state file: format, loading with spans, secret references, validation.

pub mod diagnostics;
pub mod secret;
pub mod types;
pub mod values;
pub mod yaml;

pub use secret::{SecretError, SecretRef};
pub use types::{Credential, Desired, Entry, Origin, Provider, UnlistedPolicy};
