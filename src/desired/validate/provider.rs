//! One entry of `providers:`: its vendor, URL, credentials and the settings
//! of the [`settings`] table.

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

use crate::drivers;
use crate::model::DriverSchema;

use super::super::load::io_reason;
use super::super::settings::{self, Rule, Setting};
use super::super::types::{Credential, EditsPolicy, FieldMap, Provider, RateLimit, UnlistedPolicy};
use super::super::values::{self, Invalid, SecretProblem};
use super::super::yaml::{Node, Yaml};
use super::super::SecretRef;
use super::{find, quoted_list, span, Checker, Fields};
use crate::model::Value;

/// What entries need to know about a provider, even one with problems.
#[derive(Default)]
pub(super) struct ProviderInfo {
    pub(super) schema: Option<&'static DriverSchema>,
    /// `defaults:` values, for entries that do not set the field.
    pub(super) defaults: FieldMap<Value>,
    /// `defaults:` secret references.
    pub(super) default_secrets: FieldMap<SecretRef>,
    /// `ignore:` patterns, each with its text as written.
    pub(super) ignore: Vec<glob::Pattern>,
}

impl ProviderInfo {
    /// Whether `defaults:` gives the field.
    pub(super) fn has_default(&self, name: &str) -> bool {
        self.defaults.contains_key(name) || self.default_secrets.contains_key(name)
    }
}

impl Checker {
    /// Checks one provider. The provider is returned only when it has no problem.
    pub(super) fn provider(
        &mut self,
        name: &str,
        key: &Node,
        value: &Node,
    ) -> (ProviderInfo, Option<Provider>) {
        let before = self.problems.len();
        let Yaml::Map(entries) = &value.value else {
            self.push(
                self.problem(
                    "wrong_type",
                    format!(
                        "provider `{name}` must be a mapping, found {}",
                        value.value.describe()
                    ),
                )
                .label(span(value), "expected a mapping")
                .help(format!(
                    "write `{name}: {{ type: ..., url: ..., auth: {{ ... }} }}`"
                )),
            );
            return (ProviderInfo::default(), None);
        };
        let context = format!("provider `{name}`");
        let fields = self.fields(entries, settings::NAMES, &context, &|field| {
            drivers::VENDORS
                .iter()
                .any(|v| v.schema.auth.iter().any(|a| a.name == field))
                .then(|| format!("credentials go under `auth:`, e.g. `auth: {{ {field}: {{ env: VARIABLE }} }}`"))
        });

        let schema = self.vendor(name, key, &fields);
        let example_url = schema.map_or("https://example.com", |s| s.url_example);
        let url = match find(&fields, settings::URL.name) {
            None => {
                self.push(
                    self.problem("missing_field", format!("provider `{name}` has no `url`"))
                        .label(span(key), "no `url:`")
                        .help(format!("add the base URL, e.g. `url: {example_url}`")),
                );
                None
            }
            Some((_, u)) => self.url(u, example_url),
        };
        let auth = self.provider_auth(name, key, &fields, schema);

        let unlisted = match self.choice(&fields, &settings::UNLISTED) {
            Some("ignore") => UnlistedPolicy::Ignore,
            Some("deactivate") => UnlistedPolicy::Deactivate,
            Some("report") => UnlistedPolicy::Report,
            _ => UnlistedPolicy::default(),
        };
        let edits = match self.choice(&fields, &settings::EDITS) {
            Some("manual") => EditsPolicy::Manual,
            _ => EditsPolicy::Api,
        };
        let parallelism = self
            .integer(&fields, &settings::PARALLELISM)
            .and_then(|n| u32::try_from(n).ok());
        let timeout = self.duration(&fields, &settings::TIMEOUT);
        let max_deactivate_percent = self.number(&fields, &settings::MAX_DEACTIVATE_PERCENT);
        let max_deactivate_percent_set = max_deactivate_percent.is_some();
        let max_deactivate_percent =
            max_deactivate_percent.unwrap_or(settings::DEFAULT_MAX_DEACTIVATE_PERCENT);
        let limits = match find(&fields, settings::LIMITS.name) {
            Some((_, node)) => self.limits(node, &format!("provider `{name}`")),
            None => Default::default(),
        };
        let insecure_http = self
            .flag(&fields, &settings::INSECURE_HTTP)
            .unwrap_or(false);
        let ca_file = self.file(&fields, &settings::CA_FILE);
        if let (Some(url), Some((_, u))) = (&url, find(&fields, settings::URL.name)) {
            if url.scheme() == "http" && !insecure_http && !is_loopback(url) {
                self.push(
                    self.problem("insecure_url", format!("provider `{name}` uses plain http to a remote host"))
                        .label(span(u), "credentials would travel unencrypted")
                        .help("use https, or add `insecure_http: true` to this provider if you really mean it"),
                );
            }
        }

        let (defaults, default_secrets) = match (schema, find(&fields, settings::DEFAULTS.name)) {
            (Some(schema), Some((_, node))) => self.defaults(name, schema, node),
            _ => (FieldMap::new(), FieldMap::new()),
        };
        let ignore = self.patterns(&fields, &settings::IGNORE);
        let rate_limit = self.rate_limit(&fields, &settings::RATE_LIMIT);

        let info = ProviderInfo {
            schema,
            defaults,
            default_secrets,
            ignore: ignore.clone(),
        };
        let provider = match (schema, url) {
            (Some(schema), Some(url)) if self.problems.len() == before => Some(Provider {
                name: name.to_string(),
                schema,
                url,
                auth,
                unlisted,
                edits,
                parallelism,
                timeout,
                max_deactivate_percent,
                max_deactivate_percent_set,
                limits,
                insecure_http,
                ca_file,
                ignore,
                rate_limit,
                origin: self.origin(key),
            }),
            _ => None,
        };
        (info, provider)
    }

    /// `type:`: the vendor's schema, when the type is known.
    fn vendor(
        &mut self,
        name: &str,
        key: &Node,
        fields: &Fields<'_>,
    ) -> Option<&'static DriverSchema> {
        let Some((_, t)) = find(fields, settings::TYPE.name) else {
            self.push(
                self.problem("missing_field", format!("provider `{name}` has no `type`"))
                    .label(span(key), "no `type:`")
                    .help(format!(
                        "add `type:` with one of {}",
                        quoted_list(&drivers::vendor_names())
                    )),
            );
            return None;
        };
        let Some(type_name) = t.as_str() else {
            self.invalid(
                t,
                values::wrong_type("type", "a provider type", &t.value).help(format!(
                    "write one of {}",
                    quoted_list(&drivers::vendor_names())
                )),
            );
            return None;
        };
        if let Some(v) = drivers::vendor(type_name) {
            return Some(v.schema);
        }
        let names = drivers::vendor_names();
        let help = match values::suggest(type_name, names.iter().copied()) {
            Some(s) => format!(
                "did you mean `{s}`? supported types: {}",
                quoted_list(&names)
            ),
            None => format!("supported types: {}", quoted_list(&names)),
        };
        self.push(
            self.problem(
                "unknown_type",
                format!("unknown provider type `{type_name}`"),
            )
            .label(span(t), "unknown type")
            .help(help),
        );
        None
    }

    fn url(&mut self, node: &Node, example: &str) -> Option<url::Url> {
        let help = format!("write the provider's base URL, e.g. `url: {example}`");
        let Some(text) = node.as_str() else {
            self.invalid(
                node,
                values::wrong_type("url", "a URL", &node.value).help(help),
            );
            return None;
        };
        let parsed = match url::Url::parse(text.trim()) {
            Ok(u) => u,
            Err(e) => {
                self.invalid(
                    node,
                    Invalid::new(
                        "url",
                        format!("`url` is not a valid URL: {e}"),
                        "invalid URL",
                    )
                    .help(help),
                );
                return None;
            }
        };
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            self.invalid(
                node,
                Invalid::new(
                    "url",
                    format!("`url` must use http or https, not `{}`", parsed.scheme()),
                    "not http(s)",
                )
                .help(help),
            );
            return None;
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            self.invalid(
                node,
                Invalid::new("url", "`url` has no host", "no host").help(help),
            );
            return None;
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            self.mask(node);
            self.push(
                self.problem("plaintext_secret", "`url` contains credentials")
                    .label(span(node), "plaintext secret in the URL (hidden)")
                    .help("remove them from the URL and put them under `auth:` as secret references; change that password, it has been in the file"),
            );
            return None;
        }
        Some(parsed)
    }

    /// `auth:`, checked against the vendor's credential list when the type is known.
    fn provider_auth(
        &mut self,
        name: &str,
        key: &Node,
        fields: &Fields<'_>,
        schema: Option<&'static DriverSchema>,
    ) -> IndexMap<String, Credential> {
        match (find(fields, settings::AUTH.name), schema) {
            (None, Some(schema)) if !schema.auth.is_empty() => {
                let names: Vec<&str> = schema.auth.iter().map(|a| a.name).collect();
                self.push(
                    self.problem("missing_field", format!("provider `{name}` has no `auth`"))
                        .label(span(key), "no `auth:`")
                        .help(format!(
                            "{} needs {}: add `auth: {{ {} }}`",
                            schema.display_name,
                            quoted_list(&names),
                            auth_example(schema, name)
                        )),
                );
                IndexMap::new()
            }
            (None, _) => IndexMap::new(),
            (Some((auth_key, auth)), Some(schema)) => self.auth(name, schema, auth_key, auth),
            (Some((_, auth)), None) => {
                // Unknown type: still never let a plaintext credential show.
                if let Yaml::Map(entries) = &auth.value {
                    for (_, v) in entries {
                        if !matches!(v.value, Yaml::Map(_) | Yaml::Seq(_)) {
                            self.mask(v);
                        }
                    }
                }
                IndexMap::new()
            }
        }
    }

    fn auth(
        &mut self,
        provider: &str,
        schema: &'static DriverSchema,
        auth_key: &Node,
        auth: &Node,
    ) -> IndexMap<String, Credential> {
        let mut out = IndexMap::new();
        let entries = match &auth.value {
            Yaml::Map(entries) => entries,
            other => {
                if !matches!(other, Yaml::Seq(_) | Yaml::Null) {
                    self.mask(auth);
                }
                self.push(
                    self.problem(
                        "wrong_type",
                        format!(
                            "`auth` of provider `{provider}` must be a mapping, found {}",
                            other.describe()
                        ),
                    )
                    .label(span(auth), "expected a mapping")
                    .help(format!(
                        "write `auth: {{ {} }}`",
                        auth_example(schema, provider)
                    )),
                );
                return out;
            }
        };
        let names: Vec<&str> = schema.auth.iter().map(|a| a.name).collect();
        let context = format!("the `auth` of provider `{provider}`");
        // Unknown auth keys may hold credentials: hide their values.
        for (k, v) in entries {
            if k.key_text().is_some_and(|n| !names.contains(&n.as_str()))
                && !matches!(v.value, Yaml::Map(_) | Yaml::Seq(_))
            {
                self.mask(v);
            }
        }
        let fields = self.fields(entries, &names, &context, &|_| None);
        for spec in schema.auth {
            let Some((_, value)) = find(&fields, spec.name) else {
                self.push(
                    self.problem(
                        "missing_field",
                        format!("provider `{provider}` has no `auth.{}`", spec.name),
                    )
                    .label(span(auth_key), format!("no `{}` here", spec.name))
                    .help(format!(
                        "add it ({}): `auth: {{ {} }}`",
                        spec.description,
                        auth_example(schema, provider)
                    )),
                );
                continue;
            };
            if !spec.secret {
                if let Some(text) = values::string_like(value) {
                    out.insert(spec.name.to_string(), Credential::Plain(text));
                    continue;
                }
            }
            match values::secret_ref(spec.name, value) {
                Ok(r) => {
                    out.insert(spec.name.to_string(), Credential::Secret(r));
                }
                Err(SecretProblem::Plaintext) => {
                    self.plaintext(
                        value,
                        &format!("auth.{}", spec.name),
                        &format!("provider `{provider}`"),
                        &values::env_name_for(&[provider, spec.name]),
                    );
                }
                Err(SecretProblem::Invalid(inv, at)) => self.secret_invalid(value, at, inv),
            }
        }
        out
    }

    /// `defaults:`: field values checked like an entry's fields (the key
    /// field excepted: it names each account).
    fn defaults(
        &mut self,
        provider: &str,
        schema: &'static DriverSchema,
        node: &Node,
    ) -> (FieldMap<Value>, FieldMap<SecretRef>) {
        let mut values = FieldMap::new();
        let mut secrets = FieldMap::new();
        let entries = match &node.value {
            Yaml::Null => return (values, secrets),
            Yaml::Map(entries) => entries,
            other => {
                self.invalid(
                    node,
                    values::wrong_type("defaults", "a mapping of field values", other).help(
                        "write `defaults:` followed by indented `field: value` lines, as in an entry",
                    ),
                );
                return (values, secrets);
            }
        };
        let allowed: Vec<&str> = schema.fields.iter().map(|f| f.name).collect();
        let context = format!("the `defaults` of provider `{provider}`");
        let fields = self.fields(entries, &allowed, &context, &|field| {
            super::entry::other_vendor_hint(schema, field)
        });
        for (name, key, value) in &fields {
            let Some(spec) = schema.field(name) else {
                continue;
            };
            if spec.name == schema.key_field {
                self.push(
                    self.problem(
                        "default_key",
                        format!("`{name}` cannot have a default in {context}"),
                    )
                    .label(span(key), "the key field")
                    .help(format!(
                        "`{name}` identifies each {} on {}: write it on every entry, and remove it from `defaults:`",
                        schema.kind.noun(),
                        schema.display_name
                    )),
                );
                continue;
            }
            if spec.is_secret() {
                match values::secret_ref(spec.name, value) {
                    Ok(r) => {
                        secrets.insert(spec.name, r);
                    }
                    Err(SecretProblem::Plaintext) => self.plaintext(
                        value,
                        &format!("defaults.{}", spec.name),
                        &format!("provider `{provider}`"),
                        &values::env_name_for(&[provider, spec.name]),
                    ),
                    Err(SecretProblem::Invalid(inv, at)) => self.secret_invalid(value, at, inv),
                }
                continue;
            }
            let regex = spec.pattern.and_then(|p| self.regex(p));
            match values::convert(spec, value, regex.as_deref()) {
                Ok(v) => {
                    values.insert(spec.name, v);
                }
                Err(inv) => self.invalid(value, inv),
            }
        }
        (values, secrets)
    }

    /// The patterns of a [`Rule::Patterns`] setting: a list of globs.
    fn patterns(&mut self, fields: &Fields<'_>, setting: &Setting) -> Vec<glob::Pattern> {
        let (Rule::Patterns, Some((_, v))) = (setting.rule, find(fields, setting.name)) else {
            return Vec::new();
        };
        let name = setting.name;
        let help = "write a list of account keys, where `*` matches any text and `?` one character, e.g. `ignore: [admin, \"api-*\"]`";
        let items = match &v.value {
            Yaml::Null => return Vec::new(),
            Yaml::Seq(items) => items,
            other => {
                self.invalid(
                    v,
                    values::wrong_type(name, "a list of key patterns", other).help(help),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Some(text) = values::string_like(item).filter(|t| !t.is_empty()) else {
                self.invalid(
                    item,
                    values::wrong_type(name, "a key pattern", &item.value).help(help),
                );
                continue;
            };
            match glob::Pattern::new(&text) {
                Ok(p) => out.push(p),
                Err(e) => self.invalid(
                    item,
                    Invalid::new(
                        "pattern",
                        format!("`{name}` pattern {text:?} is not valid: {}", e.msg),
                        "invalid pattern",
                    )
                    .help(help),
                ),
            }
        }
        out
    }

    /// The budget of a [`Rule::RateLimit`] setting, when given and valid.
    fn rate_limit(&mut self, fields: &Fields<'_>, setting: &Setting) -> Option<RateLimit> {
        let (Rule::RateLimit, Some((_, v))) = (setting.rule, find(fields, setting.name)) else {
            return None;
        };
        let help = "write `rate_limit: { per_second: 5, burst: 10 }` (burst may be left out: 1)";
        let Yaml::Map(entries) = &v.value else {
            self.invalid(
                v,
                values::wrong_type("rate_limit", "a mapping", &v.value).help(help),
            );
            return None;
        };
        let context = "`rate_limit`";
        let inner = self.fields(entries, &["per_second", "burst"], context, &|_| None);
        let per_second = match find(&inner, "per_second") {
            None => {
                self.push(
                    self.problem("missing_field", "`rate_limit` has no `per_second`")
                        .label(span(v), "no `per_second:`")
                        .help(help),
                );
                None
            }
            Some((_, n)) => {
                let value = match n.value {
                    Yaml::Int(i) => Some(i as f64),
                    Yaml::Float(f) => Some(f),
                    _ => None,
                };
                match value {
                    Some(x)
                        if (settings::MIN_PER_SECOND..=settings::MAX_PER_SECOND).contains(&x) =>
                    {
                        Some(x)
                    }
                    Some(_) => {
                        self.invalid(
                            n,
                            Invalid::new(
                                "range",
                                format!(
                                    "`per_second` must be between {} and {}",
                                    settings::MIN_PER_SECOND,
                                    settings::MAX_PER_SECOND
                                ),
                                "out of range",
                            )
                            .help(help),
                        );
                        None
                    }
                    None => {
                        self.invalid(
                            n,
                            values::wrong_type("per_second", "a number", &n.value).help(help),
                        );
                        None
                    }
                }
            }
        };
        let burst = match find(&inner, "burst") {
            None => Some(1),
            Some((_, n)) => match n.value {
                Yaml::Int(i) if (1..=settings::MAX_BURST).contains(&i) => u32::try_from(i).ok(),
                Yaml::Int(_) => {
                    self.invalid(
                        n,
                        Invalid::new(
                            "range",
                            format!("`burst` must be between 1 and {}", settings::MAX_BURST),
                            "out of range",
                        )
                        .help(help),
                    );
                    None
                }
                ref other => {
                    self.invalid(
                        n,
                        values::wrong_type("burst", "an integer", other).help(help),
                    );
                    None
                }
            },
        };
        Some(RateLimit {
            per_second: per_second?,
            burst: burst?,
        })
    }

    /// The value of a [`Rule::Choice`] setting, when given and valid.
    fn choice(&mut self, fields: &Fields<'_>, setting: &Setting) -> Option<&'static str> {
        let (
            Rule::Choice {
                values: allowed, ..
            },
            Some((_, v)),
        ) = (setting.rule, find(fields, setting.name))
        else {
            return None;
        };
        let name = setting.name;
        match v.as_str() {
            Some(text) => match allowed.iter().find(|a| **a == text) {
                Some(word) => Some(word),
                None => {
                    self.invalid(v, values::bad_enum(name, text, allowed));
                    None
                }
            },
            None => {
                let expected = format!("one of {}", allowed.join(", "));
                self.invalid(v, values::wrong_type(name, &expected, &v.value));
                None
            }
        }
    }

    /// The value of a [`Rule::Integer`] setting, when given and in range.
    fn integer(&mut self, fields: &Fields<'_>, setting: &Setting) -> Option<i64> {
        let (Rule::Integer { min, max, help }, Some((_, v))) =
            (setting.rule, find(fields, setting.name))
        else {
            return None;
        };
        let name = setting.name;
        match v.value {
            Yaml::Int(n) if (min..=max).contains(&n) => Some(n),
            Yaml::Int(_) => {
                self.invalid(
                    v,
                    Invalid::new(
                        "range",
                        format!("`{name}` must be between {min} and {max}"),
                        "out of range",
                    )
                    .help(help),
                );
                None
            }
            ref other => {
                self.invalid(v, values::wrong_type(name, "an integer", other));
                None
            }
        }
    }

    /// The value of a [`Rule::Number`] setting, when given and in range.
    fn number(&mut self, fields: &Fields<'_>, setting: &Setting) -> Option<f64> {
        let (Rule::Number { min, max, help, .. }, Some((_, v))) =
            (setting.rule, find(fields, setting.name))
        else {
            return None;
        };
        let name = setting.name;
        let n = match v.value {
            Yaml::Int(i) => i as f64,
            Yaml::Float(f) => f,
            ref other => {
                let expected = format!("a number from {min} to {max}");
                self.invalid(v, values::wrong_type(name, &expected, other));
                return None;
            }
        };
        if (min..=max).contains(&n) {
            return Some(n);
        }
        self.invalid(
            v,
            Invalid::new(
                "range",
                format!("`{name}` must be between {min} and {max}"),
                "out of range",
            )
            .help(help),
        );
        None
    }

    /// The value of a [`Rule::Duration`] setting, when given and valid.
    fn duration(&mut self, fields: &Fields<'_>, setting: &Setting) -> Option<Duration> {
        let (Rule::Duration { max, max_text }, Some((_, v))) =
            (setting.rule, find(fields, setting.name))
        else {
            return None;
        };
        match values::duration(setting.name, v, max, max_text) {
            Ok(d) => Some(d),
            Err(inv) => {
                self.invalid(v, inv);
                None
            }
        }
    }

    /// The value of a [`Rule::Flag`] setting, when given and a boolean.
    fn flag(&mut self, fields: &Fields<'_>, setting: &Setting) -> Option<bool> {
        let (Rule::Flag, Some((_, v))) = (setting.rule, find(fields, setting.name)) else {
            return None;
        };
        match v.value {
            Yaml::Bool(b) => Some(b),
            ref other => {
                self.invalid(v, values::wrong_type(setting.name, "true or false", other));
                None
            }
        }
    }

    /// The absolute path of a [`Rule::File`] setting, when given and the file
    /// can be read. A relative path is taken from the YAML file's folder.
    fn file(&mut self, fields: &Fields<'_>, setting: &Setting) -> Option<PathBuf> {
        let (Rule::File, Some((_, v))) = (setting.rule, find(fields, setting.name)) else {
            return None;
        };
        let name = setting.name;
        let yaml_file = self.paths[self.file].clone();
        let help = format!(
            "give the path of a PEM file of root certificates; a relative path is read from the folder of {}",
            yaml_file.display()
        );
        let Some(text) = v.as_str().filter(|t| !t.trim().is_empty()) else {
            self.invalid(
                v,
                values::wrong_type(name, "a file path", &v.value).help(help),
            );
            return None;
        };
        let folder = yaml_file.parent().unwrap_or(std::path::Path::new(""));
        let joined = folder.join(text);
        let path = std::path::absolute(&joined).unwrap_or(joined);
        let refused = match std::fs::metadata(&path) {
            Ok(meta) if !meta.is_file() => Some((
                format!("`{name}` {text:?} is not a regular file"),
                "not a file",
            )),
            Ok(_) => std::fs::File::open(&path).err().map(|e| {
                (
                    format!("`{name}` {text:?} cannot be read: {}", io_reason(&e)),
                    "cannot be read",
                )
            }),
            Err(e) => Some((
                format!("`{name}` {text:?} cannot be read: {}", io_reason(&e)),
                "cannot be read",
            )),
        };
        match refused {
            None => Some(path),
            Some((message, label)) => {
                self.invalid(v, Invalid::new(name, message, label).help(help));
                None
            }
        }
    }
}

/// `username: ..., password: { env: PROVIDER_PASSWORD }` for a help line.
pub(super) fn auth_example(schema: &DriverSchema, provider: &str) -> String {
    schema
        .auth
        .iter()
        .map(|a| {
            if a.secret {
                format!(
                    "{}: {{ env: {} }}",
                    a.name,
                    values::env_name_for(&[provider, a.name])
                )
            } else {
                format!("{}: ...", a.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
