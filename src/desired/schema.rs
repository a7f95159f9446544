//! The JSON Schema (draft-07) of the desired-state file, generated from the
//! drivers' field tables and the provider [`settings`] table, so editors complete and check exactly what
//! `headcount validate` accepts (the validator stays the authority: it also
//! checks cross-references such as `provider:` names).

use serde_json::{json, Map, Value as Json};

use crate::drivers::VENDORS;
use crate::model::{DriverSchema, FieldSpec, FieldType};

use super::settings::{self, Rule, Setting, SETTINGS};
use super::validate::{KINDS, PEOPLE, VERSION};

/// The schema as JSON.
pub fn file_schema() -> Json {
    let mut definitions = Map::new();
    definitions.insert("secret_ref".into(), secret_ref());
    let mut provider_refs = Vec::new();
    for v in VENDORS {
        let name = format!("{}_provider", v.schema.vendor);
        definitions.insert(name.clone(), provider(v.schema));
        provider_refs.push(json!({ "$ref": format!("#/definitions/{name}") }));
    }
    definitions.insert(
        "provider".into(),
        json!({
            "description": "One provider instance: its vendor type, base URL, credentials and settings.",
            "oneOf": provider_refs,
        }),
    );

    definitions.insert("limits".into(), limits());
    let mut properties = Map::new();
    properties.insert(
        "version".into(),
        json!({
            "description": "Version of the file format.",
            "const": VERSION,
        }),
    );
    properties.insert(
        "timezone".into(),
        json!({
            "description": "IANA time zone in which a day begins for `start:` and `end:` (default UTC).",
            "type": "string",
            "default": "UTC",
        }),
    );
    properties.insert(
        "limits".into(),
        json!({
            "description": "Guardrails for every provider (a provider's own `limits:` wins). Deactivations default to 25%.",
            "$ref": "#/definitions/limits",
        }),
    );
    properties.insert(
        "providers".into(),
        json!({
            "description": "Provider instances by the name entries use in `provider:`.",
            "type": ["object", "null"],
            "propertyNames": { "pattern": settings::PROVIDER_NAME_PATTERN },
            "additionalProperties": { "$ref": "#/definitions/provider" },
        }),
    );
    properties.insert(
        "journal".into(),
        json!({
            "description": "Where `headcount apply` appends what it did (JSON lines, hash-chained; `headcount journal verify` checks them), relative to this file's folder. `apply --journal FILE` overrides it.",
            "type": "string",
            "minLength": 1,
        }),
    );
    for kind in KINDS {
        let mut refs = Vec::new();
        let mut vendors = Vec::new();
        for v in VENDORS.iter().filter(|v| v.schema.kind == kind) {
            let name = format!("{}_{}", v.schema.vendor, kind.noun());
            definitions.insert(name.clone(), entry(v.schema));
            refs.push(json!({ "$ref": format!("#/definitions/{name}") }));
            vendors.push(v.schema.display_name);
        }
        let description = if vendors.is_empty() {
            format!(
                "Accounts of kind {} (no vendor manages them yet).",
                kind.noun()
            )
        } else {
            format!("{} {} to manage.", vendors.join(" and "), kind.section())
        };
        properties.insert(
            kind.section().into(),
            json!({
                "description": description,
                "type": ["array", "null"],
                "items": { "anyOf": refs },
            }),
        );
    }

    let mut account_refs = Vec::new();
    for v in VENDORS {
        let name = format!("{}_account", v.schema.vendor);
        definitions.insert(name.clone(), account(v.schema));
        account_refs.push(json!({ "$ref": format!("#/definitions/{name}") }));
    }
    definitions.insert("person".into(), person(account_refs));
    properties.insert(
        PEOPLE.into(),
        json!({
            "description": "People, each with an account on any of the providers: their name, e-mail and active state fill each account's matching fields.",
            "type": ["array", "null"],
            "items": { "$ref": "#/definitions/person" },
        }),
    );

    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "headcount desired state",
        "description": "Accounts headcount keeps in line on contact-center providers. Check a file with `headcount validate`.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "patternProperties": { "^x-": { "description": "Ignored by headcount: a home for YAML anchors." } },
        "definitions": definitions,
    })
}

/// The schema as the text of `schemas/headcount.schema.json` (pretty, trailing newline).
pub fn file_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&file_schema()).unwrap_or_default();
    text.push('\n');
    text
}

fn secret_ref() -> Json {
    json!({
        "description": "A secret reference: the value is read from an environment variable or a file when needed, never written in this file.",
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "env": {
                        "description": "Name of the environment variable holding the secret.",
                        "type": "string",
                        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                    }
                },
                "required": ["env"],
                "additionalProperties": false,
            },
            {
                "type": "object",
                "properties": {
                    "file": {
                        "description": "Path of a file holding the secret (relative to this file's folder; one trailing newline is dropped).",
                        "type": "string",
                        "minLength": 1,
                    }
                },
                "required": ["file"],
                "additionalProperties": false,
            }
        ]
    })
}

fn provider(schema: &DriverSchema) -> Json {
    let properties: Map<String, Json> = SETTINGS
        .iter()
        .map(|s| (s.name.to_string(), setting(s, schema)))
        .collect();
    let required: Vec<&str> = SETTINGS
        .iter()
        .filter(|s| s.required)
        .map(|s| s.name)
        .collect();
    json!({
        "description": format!("A {} provider ({}s).", schema.display_name, schema.kind.noun()),
        "type": "object",
        "required": required,
        "additionalProperties": false,
        "properties": properties,
    })
}

/// One provider setting of the [`settings`] table, for a provider of `schema`'s vendor.
fn setting(setting: &Setting, schema: &DriverSchema) -> Json {
    let description = setting.description;
    match setting.rule {
        Rule::Vendor => json!({ "description": description, "const": schema.vendor }),
        Rule::Url => json!({
            "description": format!("{description}, e.g. {}.", schema.url_example),
            "type": "string",
            "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]+",
        }),
        Rule::Auth => auth(schema, description),
        Rule::Choice { values, default } => json!({
            "description": description,
            "enum": values,
            "default": default,
        }),
        Rule::Integer { min, max, .. } => json!({
            "description": description,
            "type": "integer",
            "minimum": min,
            "maximum": max,
        }),
        Rule::Number {
            min, max, default, ..
        } => json!({
            "description": description,
            "type": "number",
            "minimum": min,
            "maximum": max,
            "default": default,
        }),
        Rule::Duration { max, .. } => json!({
            "description": description,
            "anyOf": [
                { "type": "integer", "minimum": 1, "maximum": max.as_secs() },
                { "type": "string", "pattern": settings::DURATION_PATTERN },
            ],
        }),
        Rule::Flag => json!({
            "description": description,
            "type": "boolean",
            "default": false,
        }),
        Rule::File => json!({
            "description": description,
            "type": "string",
            "minLength": 1,
        }),
        Rule::Defaults => defaults(schema, description),
        Rule::Patterns => json!({
            "description": description,
            "type": "array",
            "items": { "type": "string", "minLength": 1 },
        }),
        Rule::RateLimit => json!({
            "description": description,
            "type": "object",
            "required": ["per_second"],
            "additionalProperties": false,
            "properties": {
                "per_second": {
                    "description": "Requests a second on average.",
                    "type": "number",
                    "minimum": settings::MIN_PER_SECOND,
                    "maximum": settings::MAX_PER_SECOND,
                },
                "burst": {
                    "description": "Requests at once after a pause (default 1).",
                    "type": "integer",
                    "minimum": 1,
                    "maximum": settings::MAX_BURST,
                    "default": 1,
                },
            },
        }),
        Rule::Limits => json!({ "description": description, "$ref": "#/definitions/limits" }),
    }
}

/// `limits:`, of the file or of a provider.
fn limits() -> Json {
    let limit = |what: &str| {
        json!({
            "description": format!("The most {what} a plan may make without `--allow`: a number of accounts, or a percentage of the provider's accounts (\"10%\")."),
            "oneOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*%$" },
            ],
        })
    };
    json!({
        "description": "Guardrails per kind of change; a plan over one exits 3 (needs approval) until `--allow KIND` (or `--force`).",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "creates": limit("creates"),
            "updates": limit("updates"),
            "password_resets": limit("password resets"),
            "deactivations": limit("deactivations"),
            "min_population": {
                "description": "Below this many accounts on a provider, percentage limits do not apply.",
                "type": "integer",
                "minimum": 0,
            },
        },
    })
}

/// `start:` or `end:` of a person or an account.
fn day(what: &str) -> Json {
    json!({
        "description": what,
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    })
}

const START: &str = "First working day (ISO date, in the file's `timezone:`); before it nothing is created and existing accounts are kept inactive.";
const END: &str = "Last working day (ISO date); from the day after, every account is deactivated (never deleted).";

/// `defaults:` of a provider of `schema`'s vendor: the entry fields but the
/// key (and `provider`), none required.
fn defaults(schema: &DriverSchema, description: &str) -> Json {
    let properties: Map<String, Json> = schema
        .fields
        .iter()
        .filter(|f| f.name != schema.key_field)
        .map(|f| (f.name.to_string(), field(f)))
        .collect();
    json!({
        "description": description,
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    })
}

/// `auth:` of a provider of `schema`'s vendor.
fn auth(schema: &DriverSchema, description: &str) -> Json {
    let mut properties = Map::new();
    for a in schema.auth {
        let value = if a.secret {
            json!({ "description": a.description, "$ref": "#/definitions/secret_ref" })
        } else {
            json!({
                "description": a.description,
                "anyOf": [{ "type": "string" }, { "$ref": "#/definitions/secret_ref" }],
            })
        };
        properties.insert(a.name.into(), value);
    }
    let required: Vec<&str> = schema.auth.iter().map(|a| a.name).collect();
    json!({
        "description": format!("{} {description}.", schema.display_name),
        "type": "object",
        "required": required,
        "additionalProperties": false,
        "properties": properties,
    })
}

fn entry(schema: &DriverSchema) -> Json {
    let mut props = Map::new();
    props.insert(
        "provider".into(),
        json!({
            "description": format!(
                "Name of the {} provider (under `providers:`); may be left out when only one provider manages {}.",
                schema.display_name,
                schema.kind.section()
            ),
            "type": "string",
        }),
    );
    for f in schema.fields {
        props.insert(f.name.into(), field(f));
    }
    props.insert("start".into(), day(START));
    props.insert("end".into(), day(END));
    // Other fields required on create may come from the provider's
    // `defaults:`, which a schema cannot follow; `headcount validate` checks them.
    let required = [schema.key_field];
    let needed: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| f.required_on_create && f.name != schema.key_field)
        .map(|f| f.name)
        .collect();
    let needed = if needed.is_empty() {
        String::new()
    } else {
        format!(
            " Required on create, here or in the provider's `defaults:`: {}.",
            needed.join(", ")
        )
    };
    json!({
        "description": format!("A {} {} (key: `{}`).{needed}", schema.display_name, schema.kind.noun(), schema.key_field),
        "type": "object",
        "required": required,
        "additionalProperties": false,
        "properties": props,
    })
}

/// One `people:` entry.
fn person(account_refs: Vec<Json>) -> Json {
    let carried: Vec<String> = VENDORS
        .iter()
        .map(|v| {
            let fields: Vec<String> = v
                .schema
                .person
                .mapped()
                .map(|(attr, field)| format!("{} -> {field}", attr.label()))
                .chain([format!("active -> {}", v.schema.active_field)])
                .collect();
            format!("{}: {}", v.schema.display_name, fields.join(", "))
        })
        .collect();
    json!({
        "description": format!(
            "A person and their accounts. The person's attributes fill the fields each vendor carries, unless the account sets them ({}).",
            carried.join("; ")
        ),
        "type": "object",
        "required": ["id"],
        "additionalProperties": false,
        "properties": {
            "id": {
                "description": "The person's key, unique in the file; each account's key (login, username, name) defaults to it.",
                "type": ["string", "integer"],
            },
            "name": { "description": "Given name.", "type": ["string", "integer"] },
            "surname": { "description": "Family name.", "type": ["string", "integer"] },
            "email": { "description": "E-mail address.", "type": "string", "format": "email" },
            "active": {
                "description": "false suspends every account of the person (default true).",
                "type": "boolean",
                "default": true,
            },
            "start": day(START),
            "end": day(END),
            "accounts": {
                "description": "The person's account on each provider, by provider name (under `providers:`): that vendor's fields, as in `agents:`/`users:`; the provider's `defaults:` apply.",
                "type": ["object", "null"],
                "additionalProperties": {
                    "anyOf": account_refs.into_iter().chain([json!({ "type": "null" })]).collect::<Vec<_>>(),
                },
            },
        },
    })
}

/// A person's account of a vendor: an entry without `provider:`, whose key
/// may be left out (it defaults to the person's id).
fn account(schema: &DriverSchema) -> Json {
    let mut out = entry(schema);
    if let Some(props) = out.get_mut("properties").and_then(Json::as_object_mut) {
        props.remove("provider");
    }
    if let Some(map) = out.as_object_mut() {
        map.remove("required");
        map.insert(
            "description".into(),
            json!(format!(
                "A person's {} account (key `{}`, defaulting to the person's id).",
                schema.display_name, schema.key_field
            )),
        );
    }
    out
}

fn field(spec: &FieldSpec) -> Json {
    let typed = match spec.ty {
        FieldType::String => json!({ "type": ["string", "integer"] }),
        FieldType::Integer => json!({ "type": "integer" }),
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Email => json!({ "type": "string", "format": "email" }),
        FieldType::Enum(values) => json!({ "enum": values }),
        FieldType::IntegerSet => json!({ "type": "array", "items": { "type": "integer" } }),
        FieldType::IpSet => json!({
            "type": "array",
            "items": { "type": "string", "description": "IPv4 or IPv6 address, optionally with a /prefix." },
        }),
        FieldType::Secret => json!({ "$ref": "#/definitions/secret_ref" }),
    };
    let mut out = Map::new();
    out.insert("description".into(), Json::from(spec.description));
    if let Json::Object(typed) = typed {
        out.extend(typed);
    }
    if let Some(p) = spec.pattern {
        out.insert("pattern".into(), json!(p));
    }
    if let Some(n) = spec.max_len {
        out.insert("maxLength".into(), json!(n));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_driven_by_the_registry() {
        let s = file_schema();
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        for v in VENDORS {
            let def = &s["definitions"][format!("{}_provider", v.schema.vendor)];
            assert_eq!(def["properties"]["type"]["const"], v.schema.vendor);
            let entry = &s["definitions"][format!("{}_{}", v.schema.vendor, v.schema.kind.noun())];
            for f in v.schema.fields {
                assert!(entry["properties"].get(f.name).is_some(), "{}", f.name);
            }
            assert_eq!(entry["additionalProperties"], false);
        }
        let ccp_user = &s["definitions"]["ccp_user"];
        assert_eq!(
            ccp_user["properties"]["level"]["enum"],
            json!(["admin", "manager", "leader", "agent"])
        );
        assert_eq!(
            ccp_user["properties"]["password"]["$ref"],
            "#/definitions/secret_ref"
        );
        assert!(ccp_user["required"]
            .as_array()
            .unwrap()
            .contains(&json!("username")));
    }

    #[test]
    fn every_driver_pattern_compiles() {
        for v in VENDORS {
            for f in v.schema.fields {
                if let Some(p) = f.pattern {
                    assert!(regex::Regex::new(p).is_ok(), "{}: {p}", f.name);
                }
            }
        }
    }
}
