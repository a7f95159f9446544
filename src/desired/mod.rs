//! The desired-state file: format, loading with spans, secret references, validation.

pub mod secret;
pub mod types;

pub use secret::{SecretError, SecretRef};
pub use types::{Credential, Desired, Entry, Origin, Provider, UnlistedPolicy};

// TEMPORARY until the loader lands (replaced at merge).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("loader not merged")]
pub struct LoadError;
pub fn load(_path: &std::path::Path) -> Result<Desired, LoadError> {
    Err(LoadError)
}
