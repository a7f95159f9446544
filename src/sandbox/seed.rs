//! Seed files: accounts per vendor, in YAML or JSON, with the vendors' own
//! field names: `{thulium: [agent objects], ccp: [user objects], dnl: [user objects]}`.

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SandboxError;

/// Accounts to start a sandbox with, per vendor name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seed {
    pub accounts: IndexMap<String, Vec<Value>>,
}

impl Seed {
    /// Reads a seed file: JSON if it ends in `.json`, YAML otherwise.
    pub fn load(path: &Path) -> Result<Seed, SandboxError> {
        let text = std::fs::read_to_string(path).map_err(|source| SandboxError::SeedRead {
            path: path.to_path_buf(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Seed::parse(&text, is_json).map_err(|message| SandboxError::SeedParse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses seed text (YAML, or JSON when `json`).
    pub fn parse(text: &str, json: bool) -> Result<Seed, String> {
        if text.trim().is_empty() {
            return Ok(Seed::default());
        }
        let seed: Option<Seed> = if json {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            serde_saphyr::from_str(text).map_err(|e| e.to_string())?
        };
        Ok(seed.unwrap_or_default())
    }

    /// A seed from a JSON value such as `json!({"thulium": [...]})`.
    pub fn from_json(value: Value) -> Result<Seed, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// Adds accounts for one vendor.
    pub fn with(mut self, vendor: &str, accounts: Vec<Value>) -> Seed {
        self.accounts
            .entry(vendor.to_string())
            .or_default()
            .extend(accounts);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_seeds_read_the_same() {
        let yaml = "thulium:\n  - login: jkowalski\n    name: Jan\n    number: 345\nccp: []\n";
        let json =
            r#"{"thulium": [{"login": "jkowalski", "name": "Jan", "number": 345}], "ccp": []}"#;
        let a = Seed::parse(yaml, false).unwrap();
        let b = Seed::parse(json, true).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.accounts["thulium"][0]["number"], 345);
    }

    #[test]
    fn an_empty_file_is_an_empty_seed_and_garbage_is_an_error() {
        assert_eq!(Seed::parse("  \n", false).unwrap(), Seed::default());
        assert!(Seed::parse("thulium: [", false).is_err());
        assert!(Seed::parse("[1, 2]", true).is_err());
    }
}
