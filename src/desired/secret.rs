//! Secret references: `{ env: NAME }` or `{ file: PATH }`, resolved only when needed.

use std::path::PathBuf;

use secrecy::SecretString;

/// Where a secret lives. Holds no secret itself, so it may be printed and saved
/// (as `{"env": "NAME"}` or `{"file": "PATH"}`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file (relative paths are relative to the desired-state file's folder);
    /// one trailing newline is removed.
    File(PathBuf),
}

/// A secret that could not be resolved. Names the reference, never a value.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SecretError {
    #[error("environment variable {name} is not set (needed for {purpose})")]
    #[diagnostic(
        code(headcount::secret::env_unset),
        help("export {name}=... before running headcount, or use {{ file: PATH }} instead")
    )]
    EnvUnset { name: String, purpose: String },
    #[error("environment variable {name} is empty (needed for {purpose})")]
    #[diagnostic(
        code(headcount::secret::env_empty),
        help("set {name} to the secret's value")
    )]
    EnvEmpty { name: String, purpose: String },
    #[error("environment variable {name} is not valid UTF-8 (needed for {purpose})")]
    #[diagnostic(code(headcount::secret::env_not_utf8))]
    EnvNotUnicode { name: String, purpose: String },
    #[error("cannot read secret file {path} (needed for {purpose}): {reason}")]
    #[diagnostic(
        code(headcount::secret::file),
        help("check that the file exists and is readable")
    )]
    File {
        path: String,
        purpose: String,
        reason: String,
    },
    #[error("secret file {path} is empty (needed for {purpose})")]
    #[diagnostic(code(headcount::secret::file_empty))]
    FileEmpty { path: String, purpose: String },
}

impl SecretRef {
    /// Resolves the reference. `base_dir` anchors relative file paths;
    /// `purpose` names what needs it ("password of thulium agent jkowalski").
    pub fn resolve(
        &self,
        base_dir: &std::path::Path,
        purpose: &str,
    ) -> Result<SecretString, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if v.is_empty() => Err(SecretError::EnvEmpty {
                    name: name.clone(),
                    purpose: purpose.into(),
                }),
                Ok(v) => Ok(SecretString::from(v)),
                Err(std::env::VarError::NotPresent) => Err(SecretError::EnvUnset {
                    name: name.clone(),
                    purpose: purpose.into(),
                }),
                Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::EnvNotUnicode {
                    name: name.clone(),
                    purpose: purpose.into(),
                }),
            },
            SecretRef::File(path) => {
                let full = if path.is_absolute() {
                    path.clone()
                } else {
                    base_dir.join(path)
                };
                let text = std::fs::read_to_string(&full).map_err(|e| SecretError::File {
                    path: full.display().to_string(),
                    purpose: purpose.into(),
                    reason: e.kind().to_string(),
                })?;
                let trimmed = text
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(&text);
                if trimmed.is_empty() {
                    return Err(SecretError::FileEmpty {
                        path: full.display().to_string(),
                        purpose: purpose.into(),
                    });
                }
                Ok(SecretString::from(trimmed.to_string()))
            }
        }
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "{{ env: {name} }}"),
            SecretRef::File(path) => write!(f, "{{ file: {} }}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn unset_env_names_the_variable_not_a_value() {
        let r = SecretRef::Env("HEADCOUNT_TEST_SURELY_UNSET_VAR".into());
        let err = r
            .resolve(std::path::Path::new("."), "password of agent x")
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("HEADCOUNT_TEST_SURELY_UNSET_VAR"), "{text}");
        assert!(text.contains("password of agent x"), "{text}");
    }

    #[test]
    fn file_secret_drops_one_trailing_newline_and_is_relative_to_base() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw.txt"), "s3cret\n").unwrap();
        let r = SecretRef::File("pw.txt".into());
        let v = r.resolve(dir.path(), "test").unwrap();
        assert_eq!(v.expose_secret(), "s3cret");
        std::fs::write(dir.path().join("empty.txt"), "\n").unwrap();
        assert!(matches!(
            SecretRef::File("empty.txt".into()).resolve(dir.path(), "test"),
            Err(SecretError::FileEmpty { .. })
        ));
    }
}
