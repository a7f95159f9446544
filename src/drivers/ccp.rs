//! CCP users (TEL4VN Pitel Call Center v3: `/v3/user`, Bearer token from an api_key).
//!
//! token `POST /v3/auth/token {"api_key"}`, list `GET /v3/user?limit&offset`
//! (pages after the first fetched concurrently), create `POST /v3/user`,
//! edit `PUT /v3/user/{uuid}` with the full body including the password.
//! The remote id is `user_uuid`; `is_active` is read back from `user_enabled`.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value as Json};

use crate::model::{
    AuthFieldSpec, DriverSchema, EchoValue, EditEcho, FieldSpec, FieldType, Kind, PersonFields,
    RemoteRecord, WriteRequest,
};

use super::http::{self, Auth, HttpClient, Request, Session, TokenLogin, VendorMessage};
use super::listing::{self, RecordShape};
use super::paging;
use super::{wire, Driver, DriverError, ErrorKind, ProviderConfig, VendorEntry};

/// Users asked for per page. CCP documents no maximum (its sample asks for
/// 10); 100 is the sandbox's cap, and a lower cap is followed (see `list`).
pub const PAGE_SIZE: usize = 100;

/// Our field names whose wire names differ when read back.
const READ_NAMES: &[(&str, &[&str])] = &[("is_active", &["user_enabled", "is_active"])];

/// Body field order of a create (as the vendor documents it).
const CREATE_ORDER: &[&str] = &[
    "username",
    "level",
    "role_uuid",
    "password",
    "confirm_password",
    "email",
    "first_name",
    "extension",
    "is_create_extension",
    "is_active",
    "enable_webrtc",
];

/// The full edit body, in the order of the vendor's PUT example
/// (`user_uuid` first); every one of these is sent when a value is known.
const EDIT_ORDER: &[&str] = &[
    "username",
    "email",
    "level",
    "role_uuid",
    "password",
    "confirm_password",
    "first_name",
    "extension",
    "is_create_extension",
    "is_active",
    "enable_webrtc",
];

/// What CCP's edit sends besides the changed fields: the other members of
/// the vendor's PUT example (the seed), so that the plan lists them.
const EDIT_ECHOES: &[EditEcho] = &[
    held("username"),
    held("email"),
    held("level"),
    held("role_uuid"),
    held("first_name"),
    held("extension"),
    held("is_active"),
    held("enable_webrtc"),
    EditEcho {
        name: "is_create_extension",
        value: EchoValue::Bool(false),
        why: "CCP's edit example sends it; true would create a new extension",
    },
];

const fn held(name: &'static str) -> EditEcho {
    EditEcho {
        name,
        value: EchoValue::Held,
        why: "CCP's edit replaces the whole user: sent back as CCP holds it",
    }
}

/// CCP's user levels, highest first: the vendor's portal guide
/// (GitHub phamhieptel4vn/api-docs, `portal_callcenter_guide/user.md`:
/// "level chữ thường": lower case, one per user).
pub const LEVELS: &[&str] = &["admin", "manager", "leader", "agent"];

/// CCP's documented username pattern.
pub const USERNAME_PATTERN: &str = r"^[a-zA-Z0-9\s.\-_]+$";

/// CCP's user fields as the `users:` section names them.
pub static SCHEMA: DriverSchema = DriverSchema {
    vendor: "ccp",
    display_name: "CCP",
    kind: Kind::User,
    key_field: "username",
    active_field: "is_active",
    url_example: "https://ccp.example.vn",
    person: PersonFields {
        given_name: Some("first_name"),
        family_name: None,
        full_name: None,
        email: Some("email"),
    },
    edit_echoes: EDIT_ECHOES,
    edit_leaves_out: &["last_name", "middle_name"],
    auth: &[AuthFieldSpec {
        name: "api_key",
        secret: true,
        description: "API key, exchanged for a Bearer token",
    }],
    fields: &[
        FieldSpec::new("username", FieldType::String, "User name; the natural key.")
            .required()
            .pattern(USERNAME_PATTERN),
        FieldSpec::new(
            "level",
            FieldType::Enum(LEVELS),
            "User level: admin, manager, leader or agent (the vendor's portal guide).",
        )
        .required(),
        FieldSpec::new("role_uuid", FieldType::String, "UUID of the user's role.").required(),
        FieldSpec::new(
            "password",
            FieldType::Secret,
            "Password; CCP needs it on create and on every edit.",
        )
        .required()
        .required_on_update()
        .create_only()
        .rotatable(),
        FieldSpec::new("email", FieldType::Email, "E-mail address."),
        FieldSpec::new("first_name", FieldType::String, "First name."),
        FieldSpec::new("extension", FieldType::String, "Extension number."),
        FieldSpec::new(
            "is_create_extension",
            FieldType::Boolean,
            "Create a new extension for the user; set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "is_active",
            FieldType::Boolean,
            "Whether the user is active (read back as user_enabled).",
        ),
        FieldSpec::new(
            "enable_webrtc",
            FieldType::Boolean,
            "Whether WebRTC is enabled.",
        ),
    ],
};

pub(super) const VENDOR: VendorEntry = VendorEntry {
    schema: &SCHEMA,
    connect,
};

fn connect(config: ProviderConfig) -> Result<Arc<dyn Driver>, DriverError> {
    let api_key = http::credential(&config, "api_key")?;
    let client = HttpClient::new(&config, &SCHEMA, parse_error)?;
    let auth = Auth::token(
        AUTHORIZATION,
        Some("Bearer"),
        Box::new(CcpLogin { api_key }),
    );
    Ok(Arc::new(Ccp {
        session: Session::new(client, auth),
    }))
}

struct CcpLogin {
    api_key: SecretString,
}

#[async_trait]
impl TokenLogin for CcpLogin {
    async fn login(&self, http: &HttpClient) -> Result<SecretString, DriverError> {
        let context = "get a token";
        let req = Request::login(&["v3", "auth", "token"], context)
            .json(json!({ "api_key": self.api_key.expose_secret() }))
            .secrets([&self.api_key]);
        let resp = http.send(&req, None).await.map_err(|mut e| {
            if e.kind == ErrorKind::Auth {
                e.message = format!("the api_key was refused ({})", e.message);
            }
            e
        })?;
        let body = resp.json_required(http, context)?;
        match body.get("token").and_then(Json::as_str) {
            Some(token) if !token.is_empty() => Ok(SecretString::from(token.to_string())),
            _ => Err(http.protocol(context, "the token answer has no \"token\"")),
        }
    }
}

/// The CCP driver.
pub struct Ccp {
    session: Session,
}

/// Reads CCP's error bodies: `{"error": [{"<field>": "<message>"}]}` for
/// validation, `{"error": "<message>"}` otherwise.
pub fn parse_error(body: &Json) -> VendorMessage {
    let message_of = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    match body.get("error") {
        Some(Json::String(msg)) => VendorMessage {
            message: Some(msg.clone()),
            field_errors: Vec::new(),
        },
        Some(Json::Array(items)) => {
            let mut field_errors = Vec::new();
            for item in items {
                match item {
                    Json::Object(map) => field_errors.extend(
                        map.iter()
                            .map(|(field, msg)| (field.clone(), message_of(msg))),
                    ),
                    other => field_errors.push(("request".into(), message_of(other))),
                }
            }
            VendorMessage {
                message: Some("the request was rejected".into()),
                field_errors,
            }
        }
        Some(other) if !other.is_null() => VendorMessage {
            message: Some(message_of(other)),
            field_errors: Vec::new(),
        },
        _ => VendorMessage {
            message: body
                .get("message")
                .and_then(Json::as_str)
                .map(str::to_string),
            field_errors: Vec::new(),
        },
    }
}

/// How a listed user becomes a record.
pub const SHAPE: RecordShape = RecordShape {
    schema: &SCHEMA,
    id: "user_uuid",
    key: "username",
    wire_names: READ_NAMES,
};

/// Puts the fields in `order` first, then any others, into a body.
fn ordered(order: &[&str], mut fields: Map<String, Json>) -> Map<String, Json> {
    let mut body = Map::new();
    for name in order {
        if let Some(v) = fields.remove(*name) {
            body.insert(name.to_string(), v);
        }
    }
    body.extend(fields);
    body
}

/// The create body: the request's fields, `password` and `confirm_password`.
pub fn create_body(request: &WriteRequest, password: &SecretString) -> Map<String, Json> {
    let mut fields = wire::write_fields(&SCHEMA, &request.fields);
    fields
        .entry("username")
        .or_insert_with(|| Json::String(request.key.clone()));
    let pw = Json::String(password.expose_secret().to_string());
    fields.insert("password".into(), pw.clone());
    fields.insert("confirm_password".into(), pw);
    ordered(CREATE_ORDER, fields)
}

/// The edit body: `user_uuid`, the request's fields and the password twice.
///
/// The request carries every member of the vendor's PUT example that the
/// edit sends: the planner adds the ones that do not change from
/// [`EDIT_ECHOES`] (the value CCP holds; `is_create_extension: false`,
/// since `true` asks for a new extension), so the plan lists exactly what
/// is sent (docs/vendors.md).
pub fn edit_body(
    remote: &RemoteRecord,
    request: &WriteRequest,
    password: &SecretString,
) -> Map<String, Json> {
    let mut fields = wire::write_fields(&SCHEMA, &request.fields);
    let pw = Json::String(password.expose_secret().to_string());
    fields.insert("password".into(), pw.clone());
    fields.insert("confirm_password".into(), pw);
    let mut body = Map::new();
    body.insert("user_uuid".into(), Json::String(remote.id.clone()));
    body.extend(ordered(EDIT_ORDER, fields));
    body
}

impl Ccp {
    fn http(&self) -> &HttpClient {
        &self.session.http
    }

    fn password<'a>(
        &self,
        request: &'a WriteRequest,
        context: &str,
        doing: &str,
    ) -> Result<&'a SecretString, DriverError> {
        request.secrets.get("password").ok_or_else(|| {
            self.http().error(
                ErrorKind::Config,
                context,
                format!("CCP needs the user's password to {doing} (add a password: reference to the entry)"),
            )
        })
    }

    /// One page: its records and the total the vendor reports.
    async fn page(&self, offset: usize) -> Result<(Vec<RemoteRecord>, usize), DriverError> {
        let context = format!("list users (offset {offset})");
        let req = Request::get(&["v3", "user"], context.as_str())
            .query("limit", PAGE_SIZE)
            .query("offset", offset);
        let resp = self.session.send(&req).await?;
        let answer = resp.json_list(self.http(), &context, &["data"], &SHAPE)?;
        listing::page_of(
            answer.records,
            &answer.body,
            "data",
            self.http(),
            &context,
            "expected {\"data\": [users], \"limit\", \"offset\", \"total\"}",
            "a user in the list has no user_uuid or username",
        )
    }
}

#[async_trait]
impl Driver for Ccp {
    fn schema(&self) -> &'static DriverSchema {
        &SCHEMA
    }

    fn clock_skew_secs(&self) -> Option<i64> {
        self.http().clock_skew_secs()
    }

    fn list_requests(&self, accounts: usize) -> u64 {
        paging::totalled_requests(accounts, PAGE_SIZE)
    }

    fn requests_sent(&self) -> u64 {
        self.session.http.sent()
    }

    async fn list(&self) -> Result<Vec<RemoteRecord>, DriverError> {
        let first = self.page(0).await?;
        let listing = paging::Totalled {
            http: self.http(),
            context: "list users",
            noun: "user",
            param: "offset",
        };
        listing
            .read(
                first,
                |i, step| self.page(i * step),
                |i, step| format!("the page at offset {}", i * step),
            )
            .await
    }

    async fn get_by_key(&self, key: &str) -> Result<Option<RemoteRecord>, DriverError> {
        // CCP documents no lookup by username: read the list.
        Ok(self.list().await?.into_iter().find(|r| r.key == key))
    }

    async fn create(&self, request: &WriteRequest) -> Result<String, DriverError> {
        let context = format!("create user \"{}\"", request.key);
        wire::check_fields(self.http(), &SCHEMA, request, &context)?;
        let password = self.password(request, &context, "create it")?;
        let body = create_body(request, password);
        let req = Request::create(&["v3", "user"], context.as_str())
            .json(Json::Object(body))
            .secrets([password]);
        let resp = self.session.send(&req).await?;
        let answer = resp.json_required(self.http(), &context)?;
        if answer.get("created").and_then(Json::as_bool) == Some(false) {
            return Err(self
                .http()
                .error(
                    ErrorKind::Validation,
                    &context,
                    "CCP answered created: false",
                )
                .with_status(resp.status));
        }
        answer
            .get("user_uuid")
            .and_then(wire::id_text)
            .ok_or_else(|| {
                self.http()
                    .protocol(&context, "expected {\"created\": true, \"user_uuid\"}")
            })
    }

    async fn update(
        &self,
        remote: &RemoteRecord,
        request: &WriteRequest,
    ) -> Result<(), DriverError> {
        let context = format!("edit user \"{}\"", remote.key);
        wire::check_fields(self.http(), &SCHEMA, request, &context)?;
        let password = self.password(request, &context, "edit it")?;
        let body = edit_body(remote, request, password);
        let req = Request::put(&["v3", "user", &remote.id], context.as_str())
            .json(Json::Object(body))
            .secrets([password]);
        let resp = self.session.send(&req).await?;
        match resp.json(self.http(), &context)? {
            None | Some(Json::Object(_)) => Ok(()),
            Some(_) => Err(self
                .http()
                .protocol(&context, "expected {\"extension_uuid\", \"user_uuid\"}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn seed_remote() -> RemoteRecord {
        let obj = json!({
            "user_uuid": "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb", "domain_uuid": "x",
            "username": "AgentSale03", "first_name": "AgentSale03", "last_name": "",
            "email": "AgentSale03@demo-ccp.com", "user_enabled": "true", "level": "agent",
            "role_uuid": "e40292d3-4707-40e5-a7f2-xz044d3d639757", "role_name": "Sale",
            "extension": "103", "enable_webrtc": false, "groups": null
        });
        SHAPE.record_from_map(obj.as_object().unwrap()).unwrap()
    }

    #[test]
    fn user_enabled_string_reads_as_is_active() {
        let rec = seed_remote();
        assert_eq!(rec.id, "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb");
        assert_eq!(rec.key, "AgentSale03");
        assert_eq!(rec.fields["is_active"], Value::Bool(true));
        assert_eq!(rec.fields["enable_webrtc"], Value::Bool(false));
        assert!(!rec.fields.contains_key("role_name"));
    }

    #[test]
    fn edit_body_is_the_request_with_the_id_and_the_password_twice() {
        let mut req = WriteRequest {
            key: "AgentSale03".into(),
            ..Default::default()
        };
        let remote = seed_remote();
        // What the planner sends: the change, and every echo as CCP holds it.
        for echo in EDIT_ECHOES {
            let value = match echo.value {
                EchoValue::Held => remote.fields.get(echo.name).cloned(),
                EchoValue::Bool(b) => Some(Value::Bool(b)),
            };
            if let Some(value) = value {
                req.fields.insert(echo.name.to_string(), value);
            }
        }
        req.fields.insert("is_active".into(), Value::Bool(false));
        let pw = SecretString::from("Password@2023!!!");
        let body = Json::Object(edit_body(&seed_remote(), &req, &pw));
        assert_eq!(
            body,
            json!({
                "user_uuid": "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb",
                "username": "AgentSale03",
                "email": "AgentSale03@demo-ccp.com",
                "level": "agent",
                "role_uuid": "e40292d3-4707-40e5-a7f2-xz044d3d639757",
                "password": "Password@2023!!!",
                "confirm_password": "Password@2023!!!",
                "first_name": "AgentSale03",
                "extension": "103",
                "is_create_extension": false,
                "is_active": false,
                "enable_webrtc": false
            })
        );
    }

    #[test]
    fn create_body_confirms_the_password() {
        let mut req = WriteRequest {
            key: "AgentSale03".into(),
            ..Default::default()
        };
        req.fields
            .insert("level".into(), Value::Str("agent".into()));
        let body = Json::Object(create_body(&req, &SecretString::from("pw")));
        assert_eq!(
            body,
            json!({"username": "AgentSale03", "level": "agent", "password": "pw", "confirm_password": "pw"})
        );
    }

    #[test]
    fn both_error_bodies_are_read() {
        let v = parse_error(&json!({"error": [
            {"username": "String length must be greater than or equal to 1"},
            {"username": "Does not match pattern '^[a-zA-Z0-9\\s.\\-\\_]+$'"}]}));
        assert_eq!(v.field_errors.len(), 2);
        assert_eq!(v.field_errors[0].0, "username");
        let v = parse_error(&json!({"error": "user not found"}));
        assert_eq!(v.message.as_deref(), Some("user not found"));
        assert!(v.field_errors.is_empty());
    }
}
