//! Converting one YAML value to headcount's field vocabulary, with the
//! reason when it does not fit. Pure functions: no positions, no files.

use std::net::IpAddr;
use std::time::Duration;

use crate::model::{FieldSpec, FieldType, Value};

use super::yaml::{Node, Yaml};
use super::SecretRef;

/// Why a value was refused: what to say, what to put on the label, what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    /// For a list: the index of the item at fault (the label points at it).
    pub item: Option<usize>,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>, label: impl Into<String>) -> Self {
        Invalid {
            code,
            message: message.into(),
            label: label.into(),
            help: None,
            item: None,
        }
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn at_item(mut self, index: usize) -> Self {
        self.item = Some(index);
        self
    }
}

/// `expected X, found Y` for a field.
pub fn wrong_type(field: &str, expected: &str, found: &Yaml) -> Invalid {
    let mut invalid = Invalid::new(
        "wrong_type",
        format!("`{field}` must be {expected}, found {}", found.describe()),
        format!("expected {expected}"),
    );
    if matches!(found, Yaml::Null) {
        invalid = invalid.help(format!("give `{field}` a value, or remove the line"));
    }
    invalid
}

/// Text of a scalar that a string field accepts: strings, and integers as
/// their decimal text (`number: 5634` is `"5634"`).
pub fn string_like(node: &Node) -> Option<String> {
    match &node.value {
        Yaml::Str(s) => Some(s.clone()),
        Yaml::Int(i) => Some(i.to_string()),
        Yaml::BigInt(s) => Some(s.clone()),
        _ => None,
    }
}

/// Converts a non-secret field value; `regex` checks the spec's pattern
/// (passed in so the caller can cache compiled patterns).
pub fn convert(
    spec: &FieldSpec,
    node: &Node,
    regex: Option<&regex::Regex>,
) -> Result<Value, Invalid> {
    let name = spec.name;
    match spec.ty {
        FieldType::String => {
            let text = string_like(node).ok_or_else(|| {
                let mut inv = wrong_type(name, "a string", &node.value);
                if matches!(node.value, Yaml::Float(_) | Yaml::Bool(_)) {
                    inv = inv.help(format!("put the value in quotes: `{name}: \"...\"`"));
                }
                inv
            })?;
            check_string(spec, &text, regex)?;
            Ok(Value::Str(text))
        }
        FieldType::Integer => match &node.value {
            Yaml::Int(i) => Ok(Value::Int(*i)),
            Yaml::BigInt(_) => Err(Invalid::new(
                "wrong_type",
                format!("`{name}` is too large for an integer"),
                "too large",
            )),
            Yaml::Str(s) if !s.is_empty() && s.trim().parse::<i64>().is_ok() => {
                Err(wrong_type(name, "an integer", &node.value)
                    .help(format!("write it without quotes: `{name}: {}`", s.trim())))
            }
            other => Err(wrong_type(name, "an integer", other)),
        },
        FieldType::Boolean => match &node.value {
            Yaml::Bool(b) => Ok(Value::Bool(*b)),
            Yaml::Str(s)
                if ["yes", "no", "on", "off", "y", "n", "true", "false"]
                    .contains(&s.to_ascii_lowercase().as_str()) =>
            {
                Err(wrong_type(name, "true or false", &node.value).help(format!(
                    "write `{name}: true` or `{name}: false`, without quotes"
                )))
            }
            other => Err(wrong_type(name, "true or false", other)),
        },
        FieldType::Email => {
            let Some(text) = node.as_str() else {
                return Err(wrong_type(name, "an e-mail address", &node.value));
            };
            let text = text.trim();
            if !plausible_email(text) {
                return Err(Invalid::new(
                    "email",
                    format!("`{name}` is not a valid e-mail address"),
                    "not an e-mail address",
                )
                .help("write an address like `name@example.com`"));
            }
            check_string(spec, text, regex)?;
            Ok(Value::Str(text.to_string()))
        }
        FieldType::Enum(values) => {
            let text = string_like(node).ok_or_else(|| {
                wrong_type(name, &format!("one of {}", values.join(", ")), &node.value)
            })?;
            if values.contains(&text.as_str()) {
                Ok(Value::Str(text))
            } else {
                Err(bad_enum(name, &text, values))
            }
        }
        FieldType::IntegerSet => {
            let Yaml::Seq(items) = &node.value else {
                let mut inv = wrong_type(name, "a list of integers", &node.value);
                if let Yaml::Int(i) = node.value {
                    inv = inv.help(format!("write a list: `{name}: [{i}]`"));
                }
                return Err(inv);
            };
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                match item.value {
                    Yaml::Int(i) => out.push(i),
                    ref other => {
                        return Err(Invalid::new(
                            "wrong_type",
                            format!(
                                "`{name}` must be a list of integers, found {} in it",
                                other.describe()
                            ),
                            "expected an integer",
                        )
                        .at_item(index))
                    }
                }
            }
            out.sort_unstable();
            out.dedup();
            Ok(Value::List(out.into_iter().map(Value::Int).collect()))
        }
        FieldType::IpSet => {
            let Yaml::Seq(items) = &node.value else {
                let mut inv = wrong_type(name, "a list of IP addresses", &node.value);
                if let Yaml::Str(s) = &node.value {
                    inv = inv.help(format!("write a list: `{name}: [{s}]`"));
                }
                return Err(inv);
            };
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let Some(text) = item.as_str() else {
                    return Err(Invalid::new(
                        "wrong_type",
                        format!(
                            "`{name}` must be a list of IP addresses, found {} in it",
                            item.value.describe()
                        ),
                        "expected an IP address",
                    )
                    .at_item(index));
                };
                out.push(normalize_ip(text).ok_or_else(|| {
                    Invalid::new(
                        "ip",
                        format!("`{text}` in `{name}` is not an IP address or CIDR block"),
                        "not an IP address",
                    )
                    .help("write IPv4 or IPv6 addresses, optionally with a prefix: 192.0.2.10, 10.0.0.0/8, 2001:db8::/32")
                    .at_item(index)
                })?);
            }
            out.sort();
            out.dedup();
            Ok(Value::List(out.into_iter().map(Value::Str).collect()))
        }
        FieldType::Secret => Err(Invalid::new(
            "wrong_type",
            format!("`{name}` is a secret"),
            "secret",
        )),
    }
}

fn check_string(spec: &FieldSpec, text: &str, regex: Option<&regex::Regex>) -> Result<(), Invalid> {
    let name = spec.name;
    if let Some(max) = spec.max_len {
        let n = text.chars().count();
        if n > max {
            return Err(Invalid::new(
                "too_long",
                format!("`{name}` is {n} characters long; the most allowed is {max}"),
                format!("{n} characters"),
            )
            .help(format!("shorten it to {max} characters or fewer")));
        }
    }
    if let (Some(pattern), Some(re)) = (spec.pattern, regex) {
        if !re.is_match(text) {
            return Err(Invalid::new(
                "pattern",
                format!("`{name}` {text:?} does not match the pattern {pattern}"),
                "does not match the pattern",
            )
            .help(pattern_help(pattern)));
        }
    }
    Ok(())
}

fn pattern_help(pattern: &str) -> String {
    match pattern {
        "^[0-9]+$" => "use digits only".to_string(),
        r"^[a-zA-Z0-9\s.\-_]+$" => {
            "use letters, digits, spaces, dots, hyphens and underscores only".to_string()
        }
        _ => format!("the value must match the regular expression {pattern}"),
    }
}

/// An unknown enum value, listing the valid ones (and the nearest).
pub fn bad_enum(name: &str, value: &str, values: &[&str]) -> Invalid {
    let list = values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match suggest(value, values.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? valid values: {list}"),
        None => format!("valid values: {list}"),
    };
    Invalid::new(
        "enum",
        format!("`{name}` cannot be {value:?}"),
        format!("not one of {}", values.join(", ")),
    )
    .help(help)
}

/// The candidate nearest to `word`, when it is near enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let score = strsim::jaro_winkler(&lower, &c.to_lowercase());
            let dist = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
            (c, score, dist)
        })
        .filter(|(c, score, dist)| *score >= 0.85 || *dist <= (c.len() / 3).max(1))
        .max_by(|a, b| {
            a.1.partial_cmp(&b.1)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.2.cmp(&a.2))
        })
        .map(|(c, _, _)| c)
}

/// A plausible e-mail address: one `@`, a local part, a dotted domain, no spaces.
pub fn plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && text.len() <= 254
        && !domain.contains('@')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// An IP address or CIDR block in canonical text (`2001:DB8::1` -> `2001:db8::1`).
pub fn normalize_ip(text: &str) -> Option<String> {
    let text = text.trim();
    match text.split_once('/') {
        None => text.parse::<IpAddr>().ok().map(|ip| ip.to_string()),
        Some((addr, prefix)) => {
            let ip = addr.parse::<IpAddr>().ok()?;
            if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let prefix: u8 = prefix.parse().ok()?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            (prefix <= max).then(|| format!("{ip}/{prefix}"))
        }
    }
}

/// A secret reference: `{ env: NAME }` or `{ file: PATH }`. `Err` carries
/// the problem and, for a plaintext value, says so (the caller masks it).
pub enum SecretProblem {
    /// A plain value where a reference is required.
    Plaintext,
    /// Anything else wrong, pointing at the node given.
    Invalid(Invalid, Option<usize>),
}

/// Reads a secret reference. On error, the `usize` in `SecretProblem::Invalid`
/// is the index of the mapping entry at fault (for the label), if any.
pub fn secret_ref(name: &str, node: &Node) -> Result<SecretRef, SecretProblem> {
    let reference_help =
        format!("write `{name}: {{ env: VARIABLE }}` or `{name}: {{ file: PATH }}`");
    let entries = match &node.value {
        Yaml::Map(entries) => entries,
        Yaml::Str(_) | Yaml::Int(_) | Yaml::BigInt(_) | Yaml::Float(_) | Yaml::Bool(_) => {
            return Err(SecretProblem::Plaintext)
        }
        other => {
            return Err(SecretProblem::Invalid(
                wrong_type(
                    name,
                    "a secret reference ({ env: NAME } or { file: PATH })",
                    other,
                )
                .help(&reference_help),
                None,
            ))
        }
    };
    if entries.is_empty() {
        return Err(SecretProblem::Invalid(
            Invalid::new(
                "secret_ref",
                format!("`{name}` is an empty secret reference"),
                "empty reference",
            )
            .help(reference_help),
            None,
        ));
    }
    let mut found: Option<SecretRef> = None;
    for (i, (key, value)) in entries.iter().enumerate() {
        let key_text = key.key_text().unwrap_or_default();
        let parsed = match key_text.as_str() {
            "env" => match value.as_str() {
                Some(var) if is_env_name(var) => {
                    // Its value is a secret from now on, whatever happens
                    // to the rest of the file (see crate::redact).
                    crate::redact::register_env(var);
                    SecretRef::Env(var.to_string())
                }
                Some(var) => {
                    return Err(SecretProblem::Invalid(
                        Invalid::new(
                            "secret_ref",
                            format!("`{var}` is not a valid environment variable name"),
                            "not a variable name",
                        )
                        .help("use letters, digits and underscores, not starting with a digit (e.g. JKOWALSKI_PASSWORD)"),
                        Some(i),
                    ))
                }
                None => {
                    return Err(SecretProblem::Invalid(
                        wrong_type("env", "an environment variable name", &value.value),
                        Some(i),
                    ))
                }
            },
            "file" => match value.as_str() {
                Some(path) if !path.trim().is_empty() => SecretRef::File(path.into()),
                _ => {
                    return Err(SecretProblem::Invalid(
                        wrong_type("file", "a file path", &value.value),
                        Some(i),
                    ))
                }
            },
            other => {
                let help = match suggest(other, ["env", "file"]) {
                    Some(s) => format!("did you mean `{s}`? {reference_help}"),
                    None => reference_help.clone(),
                };
                return Err(SecretProblem::Invalid(
                    Invalid::new(
                        "secret_ref",
                        format!("unknown key `{other}` in the secret reference `{name}`"),
                        "expected `env` or `file`",
                    )
                    .help(help),
                    Some(i),
                ));
            }
        };
        if found.is_some() {
            return Err(SecretProblem::Invalid(
                Invalid::new(
                    "secret_ref",
                    format!("`{name}` must name one place: either `env` or `file`"),
                    "second source",
                )
                .help(reference_help),
                Some(i),
            ));
        }
        found = Some(parsed);
    }
    found.ok_or(SecretProblem::Invalid(
        Invalid::new(
            "secret_ref",
            format!("`{name}` is an empty secret reference"),
            "empty",
        ),
        None,
    ))
}

/// A POSIX-ish environment variable name.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A suggested variable name for a secret: `jkowalski` + `password` -> `JKOWALSKI_PASSWORD`.
pub fn env_name_for(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        for c in part.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_uppercase());
            } else if !out.ends_with('_') {
                out.push('_');
            }
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("SECRET_{out}")
    } else {
        out
    }
}

/// A duration setting (`timeout:`): whole seconds, or text like `30s`, `2m`,
/// `1m30s`, `500ms`; more than zero and at most `max` (`max_text` in words).
pub fn duration(
    name: &str,
    node: &Node,
    max: Duration,
    max_text: &str,
) -> Result<Duration, Invalid> {
    let help =
        format!("write whole seconds (`{name}: 30`) or a duration such as `30s`, `2m` or `1500ms`");
    let zero = |label: &str| {
        Invalid::new("range", format!("`{name}` must be more than zero"), label).help(&help)
    };
    let d = match &node.value {
        Yaml::Int(i) if *i > 0 => Duration::from_secs(i.unsigned_abs()),
        Yaml::Int(_) => return Err(zero("not positive")),
        Yaml::Str(s) => parse_duration(s).ok_or_else(|| {
            Invalid::new(
                "duration",
                format!("`{name}` {s:?} is not a duration"),
                "not a duration",
            )
            .help(&help)
        })?,
        other => return Err(wrong_type(name, "a duration", other).help(&help)),
    };
    if d.is_zero() {
        return Err(zero("zero"));
    }
    if d > max {
        return Err(Invalid::new(
            "range",
            format!("`{name}` is longer than {max_text}"),
            "too long",
        )
        .help("a per-request timeout of a few seconds to a few minutes is usual"));
    }
    Ok(d)
}

/// Parses a duration with units (`30s`, `2m`, `1m30s`, `500ms`; see
/// [`humantime::parse_duration`]); a bare number has none and is refused.
pub fn parse_duration(text: &str) -> Option<Duration> {
    humantime::parse_duration(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::yaml::{Pos, Yaml as Y};

    fn node(value: Y) -> Node {
        Node {
            pos: Pos::default(),
            value,
        }
    }

    fn spec(ty: FieldType) -> FieldSpec {
        FieldSpec::new("f", ty, "test")
    }

    #[test]
    fn string_fields_take_integers_as_decimal_text() {
        let s = spec(FieldType::String);
        assert_eq!(
            convert(&s, &node(Y::Int(5634)), None),
            Ok(Value::Str("5634".into()))
        );
        assert_eq!(
            convert(&s, &node(Y::Str("007".into())), None),
            Ok(Value::Str("007".into()))
        );
        let err = convert(&s, &node(Y::Bool(true)), None).unwrap_err();
        assert_eq!(err.code, "wrong_type");
        assert!(err.help.unwrap().contains("quotes"));
        assert_eq!(
            convert(&s, &node(Y::Seq(vec![])), None).unwrap_err().code,
            "wrong_type"
        );
    }

    #[test]
    fn string_patterns_and_lengths_are_checked() {
        let s = spec(FieldType::String).pattern("^[0-9]+$").max_len(4);
        let re = regex::Regex::new("^[0-9]+$").unwrap();
        assert!(convert(&s, &node(Y::Str("123".into())), Some(&re)).is_ok());
        assert_eq!(
            convert(&s, &node(Y::Str("12a".into())), Some(&re))
                .unwrap_err()
                .code,
            "pattern"
        );
        assert_eq!(
            convert(&s, &node(Y::Str("12345".into())), Some(&re))
                .unwrap_err()
                .code,
            "too_long"
        );
    }

    #[test]
    fn integers_booleans_and_enums_are_strict() {
        let i = spec(FieldType::Integer);
        assert_eq!(convert(&i, &node(Y::Int(12)), None), Ok(Value::Int(12)));
        let err = convert(&i, &node(Y::Str("12".into())), None).unwrap_err();
        assert!(err.help.unwrap().contains("without quotes"));
        let b = spec(FieldType::Boolean);
        assert_eq!(
            convert(&b, &node(Y::Bool(false)), None),
            Ok(Value::Bool(false))
        );
        assert!(convert(&b, &node(Y::Str("yes".into())), None).is_err());
        assert!(convert(&b, &node(Y::Int(1)), None).is_err());
        let e = spec(FieldType::Enum(&["admin", "agent"]));
        assert_eq!(
            convert(&e, &node(Y::Str("agent".into())), None),
            Ok(Value::Str("agent".into()))
        );
        let err = convert(&e, &node(Y::Str("agnet".into())), None).unwrap_err();
        assert_eq!(err.code, "enum");
        assert!(err.help.unwrap().contains("did you mean `agent`"));
    }

    #[test]
    fn emails_are_trimmed_and_checked() {
        let e = spec(FieldType::Email);
        assert_eq!(
            convert(&e, &node(Y::Str(" a.b@example.com ".into())), None),
            Ok(Value::Str("a.b@example.com".into()))
        );
        for bad in [
            "ab",
            "a@b",
            "@example.com",
            "a@@example.com",
            "a b@example.com",
            "a@example..com",
            "a@-x.com",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
        assert!(plausible_email("dnhai@example.net"));
        assert!(plausible_email("jan.kowalski+x@mail.example.co.uk"));
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = spec(FieldType::IntegerSet);
        let list = node(Y::Seq(vec![
            node(Y::Int(3)),
            node(Y::Int(1)),
            node(Y::Int(3)),
        ]));
        assert_eq!(
            convert(&s, &list, None),
            Ok(Value::List(vec![Value::Int(1), Value::Int(3)]))
        );
        assert!(convert(&s, &node(Y::Int(1)), None)
            .unwrap_err()
            .help
            .unwrap()
            .contains("[1]"));
        let ip = spec(FieldType::IpSet);
        let list = node(Y::Seq(vec![
            node(Y::Str("2001:DB8::1".into())),
            node(Y::Str("10.0.0.0/8".into())),
        ]));
        assert_eq!(
            convert(&ip, &list, None),
            Ok(Value::List(vec![
                Value::Str("10.0.0.0/8".into()),
                Value::Str("2001:db8::1".into())
            ]))
        );
        let bad = node(Y::Seq(vec![
            node(Y::Str("10.0.0.1".into())),
            node(Y::Str("10.0.0.300".into())),
        ]));
        let err = convert(&ip, &bad, None).unwrap_err();
        assert_eq!((err.code, err.item), ("ip", Some(1)));
    }

    #[test]
    fn ip_normalisation() {
        assert_eq!(normalize_ip("192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_eq!(
            normalize_ip("192.0.2.0/24").as_deref(),
            Some("192.0.2.0/24")
        );
        assert_eq!(normalize_ip("192.0.2.0/33"), None);
        assert_eq!(normalize_ip("::1/128").as_deref(), Some("::1/128"));
        assert_eq!(normalize_ip("1.2.3"), None);
        assert_eq!(normalize_ip("1.2.3.4/"), None);
    }

    #[test]
    fn secret_references() {
        let key = |k: &str| node(Y::Str(k.into()));
        let env = node(Y::Map(vec![(key("env"), key("PW"))]));
        assert!(matches!(secret_ref("password", &env), Ok(SecretRef::Env(v)) if v == "PW"));
        let file = node(Y::Map(vec![(key("file"), key("secrets/pw"))]));
        assert!(matches!(
            secret_ref("password", &file),
            Ok(SecretRef::File(_))
        ));
        assert!(matches!(
            secret_ref("password", &key("hunter2")),
            Err(SecretProblem::Plaintext)
        ));
        assert!(matches!(
            secret_ref("password", &node(Y::Int(1234))),
            Err(SecretProblem::Plaintext)
        ));
        let both = node(Y::Map(vec![
            (key("env"), key("PW")),
            (key("file"), key("x")),
        ]));
        assert!(matches!(
            secret_ref("password", &both),
            Err(SecretProblem::Invalid(_, Some(1)))
        ));
        let bad_env = node(Y::Map(vec![(key("env"), key("1PW-X"))]));
        assert!(matches!(
            secret_ref("password", &bad_env),
            Err(SecretProblem::Invalid(_, Some(0)))
        ));
        let typo = node(Y::Map(vec![(key("evn"), key("PW"))]));
        match secret_ref("password", &typo) {
            Err(SecretProblem::Invalid(inv, Some(0))) => {
                assert!(inv.help.unwrap().contains("`env`"))
            }
            _ => panic!("expected an error"),
        }
    }

    #[test]
    fn env_names() {
        assert_eq!(
            env_name_for(&["jkowalski", "password"]),
            "JKOWALSKI_PASSWORD"
        );
        assert_eq!(
            env_name_for(&["Agent.Sale 03", "password"]),
            "AGENT_SALE_03_PASSWORD"
        );
        assert_eq!(env_name_for(&["1x"]), "SECRET_1X");
        assert!(is_env_name("_A1"));
        assert!(!is_env_name("1A"));
        assert!(!is_env_name("A-B"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("soon"), None);
        let timeout = |value| {
            duration(
                "timeout",
                &node(value),
                Duration::from_secs(3600),
                "one hour",
            )
        };
        assert_eq!(timeout(Y::Int(30)), Ok(Duration::from_secs(30)));
        assert_eq!(timeout(Y::Int(0)).unwrap_err().code, "range");
        let too_long = timeout(Y::Str("2h".into())).unwrap_err();
        assert_eq!(too_long.message, "`timeout` is longer than one hour");
        assert_eq!(timeout(Y::Str("soon".into())).unwrap_err().code, "duration");
    }

    #[test]
    fn suggestions_find_typos_only() {
        let fields = ["login", "name", "surname", "number", "email"];
        assert_eq!(suggest("surnme", fields), Some("surname"));
        assert_eq!(suggest("Surname", fields), Some("surname"));
        assert_eq!(suggest("mail", fields), Some("email"));
        assert_eq!(suggest("department", fields), None);
    }
}
