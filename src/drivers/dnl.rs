//! DNL class-4 softswitch users (`/user/...`, X-Auth-Token from `POST /auth`).
//!
//! login `POST /auth {"email_or_name","password"}`, list
//! `GET /user/list?page=P&per_page=100` (P from 0; pages after the first
//! fetched concurrently), create `POST /user/create`, edit
//! `PATCH /user/{user_id}` with the changed fields, `name` and `user_type`
//! as read (as the vendor's UI sends them), and `passwd` when the request
//! carries the password (a rotation). Every answer carries
//! `success`; `success: false` is an error even with HTTP 200. What each call
//! rests on (seed, vendor UI code, inference) is in `docs/vendors.md`.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::HeaderName;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value as Json};

use crate::model::{
    AuthFieldSpec, DriverSchema, EchoValue, EditEcho, FieldSpec, FieldType, Kind, PersonFields,
    RemoteRecord, Value, WriteRequest,
};

use super::http::{self, Auth, HttpClient, Request, Response, Session, TokenLogin, VendorMessage};
use super::listing::{self, RecordShape};
use super::paging;
use super::{wire, Driver, DriverError, ErrorKind, ProviderConfig, VendorEntry};

/// Users asked for per page: the largest size of the vendor UI's page-size
/// menu (10..100). Not a documented server limit; a server that caps lower
/// is followed (see `list`).
pub const PAGE_SIZE: usize = 100;

/// The header carrying the session token.
pub const TOKEN_HEADER: &str = "x-auth-token";

/// What DNL's edit sends besides the changed fields: `name` and
/// `user_type` as read, as the vendor's UI does (it PATCHes the whole form),
/// so that a server which wants them on every edit gets them, and the plan
/// lists them.
const EDIT_ECHOES: &[EditEcho] = &[held("name"), held("user_type")];

const fn held(name: &'static str) -> EditEcho {
    EditEcho {
        name,
        value: EchoValue::Held,
        why: "DNL's UI sends it on every edit: sent back as DNL holds it",
    }
}

/// The list's order: by `user_id`, ascending, so that pages read one after
/// another neither skip nor repeat a user (the vendor's UI always orders its
/// list by `user_id`, descending).
const LIST_ORDER: [(&str, &str); 2] = [("order_by", "user_id"), ("order_dir", "asc")];

/// DNL's user fields as the `users:` section names them.
pub static SCHEMA: DriverSchema = DriverSchema {
    vendor: "dnl",
    display_name: "DNL",
    kind: Kind::User,
    key_field: "name",
    active_field: "active",
    url_example: "https://switch.example.net/api_dnl/v1",
    person: PersonFields {
        given_name: Some("first_name"),
        family_name: Some("last_name"),
        full_name: Some("fullname"),
        email: Some("email"),
    },
    edit_echoes: EDIT_ECHOES,
    edit_leaves_out: &[],
    auth: &[
        AuthFieldSpec {
            name: "username",
            secret: false,
            description: "Admin e-mail or name (email_or_name)",
        },
        AuthFieldSpec {
            name: "password",
            secret: true,
            description: "Admin password",
        },
    ],
    fields: &[
        FieldSpec::new("name", FieldType::String, "Login name; the natural key.").required(),
        FieldSpec::new(
            "password",
            FieldType::Secret,
            "Password (passwd on the wire); never read back. DNL's edit accepts it too (its UI sends passwd in PATCH when it changed): sent on an edit only when rotating.",
        )
        .required()
        .create_only()
        .rotatable(),
        FieldSpec::new(
            "user_type",
            FieldType::Enum(&["admin", "agent", "client"]),
            "User type.",
        )
        .required(),
        FieldSpec::new("email", FieldType::Email, "E-mail address."),
        FieldSpec::new(
            "fullname",
            FieldType::String,
            "Full name, as the vendor's UI and database hold it.",
        ),
        FieldSpec::new(
            "first_name",
            FieldType::String,
            "First name (documented on create; reads may carry only fullname, then it is set on create only).",
        )
        .may_be_unread(),
        FieldSpec::new(
            "last_name",
            FieldType::String,
            "Last name (documented on create; reads may carry only fullname, then it is set on create only).",
        )
        .may_be_unread(),
        FieldSpec::new("role_id", FieldType::Integer, "Role id."),
        FieldSpec::new("active", FieldType::Boolean, "Whether the user is active."),
        FieldSpec::new("client_id", FieldType::Integer, "Client (carrier) id."),
        FieldSpec::new("reseller_id", FieldType::Integer, "Reseller id."),
        FieldSpec::new("card_id", FieldType::Integer, "Card id."),
        FieldSpec::new(
            "avatar_id",
            FieldType::Integer,
            "Avatar id (documented on create; not a database column, so probably never read back).",
        )
        .may_be_unread(),
        FieldSpec::new("landing_page", FieldType::String, "Page shown after login."),
        FieldSpec::new("default_mod", FieldType::String, "Default module."),
        FieldSpec::new("default_mod2", FieldType::String, "Second default module."),
        FieldSpec::new("report_group", FieldType::Boolean, "Report group flag."),
        FieldSpec::new(
            "outbound_report",
            FieldType::Boolean,
            "Outbound report flag.",
        ),
        FieldSpec::new(
            "all_termination",
            FieldType::Boolean,
            "Access to all termination.",
        ),
        FieldSpec::new(
            "show_carrier_trunk_drop_only",
            FieldType::Boolean,
            "Show carrier trunk drop only.",
        ),
        FieldSpec::new("report_fields", FieldType::String, "Report fields."),
        FieldSpec::new(
            "login_ip",
            FieldType::String,
            "IP address allowed to log in, one string (the vendor's UI sends it on create and edit; a database column). Whether reads carry it is unconfirmed.",
        )
        .may_be_unread(),
        FieldSpec::new(
            "auth_ip",
            FieldType::IpSet,
            "IP addresses allowed to log in ([{ip}] on the wire; the Confluence create body). Set on create only: whether an edit accepts it or a read returns it is unknown.",
        )
        .create_only(),
        FieldSpec::new(
            "client_limits",
            FieldType::IntegerSet,
            "Client ids the user is limited to ([{client_id}] on the wire); set on create only.",
        )
        .create_only(),
    ],
};

pub(super) const VENDOR: VendorEntry = VendorEntry {
    schema: &SCHEMA,
    connect,
};

fn connect(config: ProviderConfig) -> Result<Arc<dyn Driver>, DriverError> {
    let username = http::credential(&config, "username")?;
    let password = http::credential(&config, "password")?;
    let client = HttpClient::new(&config, &SCHEMA, parse_error)?;
    let auth = Auth::token(
        HeaderName::from_static(TOKEN_HEADER),
        None,
        Box::new(DnlLogin { username, password }),
    );
    Ok(Arc::new(Dnl {
        session: Session::new(client, auth),
    }))
}

struct DnlLogin {
    username: SecretString,
    password: SecretString,
}

#[async_trait]
impl TokenLogin for DnlLogin {
    async fn login(&self, http: &HttpClient) -> Result<SecretString, DriverError> {
        let context = "log in";
        let req = Request::login(&["auth"], context)
            .json(json!({
                "email_or_name": self.username.expose_secret(),
                "password": self.password.expose_secret(),
            }))
            .secrets([&self.password]);
        let resp = http.send(&req, None).await.map_err(|mut e| {
            if e.kind == ErrorKind::Auth {
                e.message = format!("the username or password was refused ({})", e.message);
            }
            e
        })?;
        let payload = payload(http, &resp, context)?;
        match payload.get("token").and_then(Json::as_str) {
            Some(token) if !token.is_empty() => Ok(SecretString::from(token.to_string())),
            _ => Err(http.protocol(context, "the login answer has no payload.token")),
        }
    }
}

/// The DNL driver.
pub struct Dnl {
    session: Session,
}

/// Reads DNL's error bodies: `{"success": false, "error_type", "errors":
/// [{"<field>": ["<message>"]}]}` or `{..., "error": {"message", "code", "reason"}}`.
pub fn parse_error(body: &Json) -> VendorMessage {
    let text = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut field_errors = Vec::new();
    let mut collect = |map: &Map<String, Json>| {
        for (field, msgs) in map {
            match msgs {
                Json::Array(list) => {
                    field_errors.extend(list.iter().map(|m| (field.clone(), text(m))))
                }
                other => field_errors.push((field.clone(), text(other))),
            }
        }
    };
    match body.get("errors") {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_object)
            .for_each(&mut collect),
        Some(Json::Object(map)) => collect(map),
        _ => {}
    }
    let message = match body.get("error") {
        Some(Json::Object(err)) => {
            let msg = err.get("message").map(text);
            let detail: Vec<String> = [
                err.get("reason").map(text),
                err.get("code")
                    .and_then(wire::id_text)
                    .map(|c| format!("code {c}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            msg.map(|m| {
                if detail.is_empty() {
                    m
                } else {
                    format!("{m} ({})", detail.join(", "))
                }
            })
        }
        Some(Json::String(msg)) => Some(msg.clone()),
        _ => None,
    };
    let message = message.or_else(|| {
        body.get("error_type")
            .and_then(Json::as_str)
            .map(|t| t.replace('_', " "))
    });
    VendorMessage {
        message,
        field_errors,
    }
}

/// The kind of a `success: false` answer, from its `error_type`.
pub fn kind_of_error_type(error_type: &str) -> ErrorKind {
    match error_type {
        "unauthenticated_error" | "unauthorized_error" | "permission_error" | "forbidden_error" => {
            ErrorKind::Auth
        }
        "not_found_error" | "not_found" => ErrorKind::NotFound,
        // validation_error, operation_error and any other.
        _ => ErrorKind::Validation,
    }
}

/// The `payload` of a successful answer (or the whole body when it has none);
/// `success: false` becomes an error even with HTTP 200.
fn payload(http: &HttpClient, resp: &Response, context: &str) -> Result<Json, DriverError> {
    checked_payload(http, resp, context, resp.json_required(http, context)?)
}

/// [`payload`] of an answer already parsed.
fn checked_payload(
    http: &HttpClient,
    resp: &Response,
    context: &str,
    body: Json,
) -> Result<Json, DriverError> {
    if !body.is_object() {
        return Err(http.protocol(context, "expected a JSON object with \"success\""));
    }
    if body.get("success").and_then(Json::as_bool) == Some(false) {
        let parsed = parse_error(&body);
        let kind = kind_of_error_type(
            body.get("error_type")
                .and_then(Json::as_str)
                .unwrap_or_default(),
        );
        return Err(http
            .error(
                kind,
                context,
                parsed
                    .message
                    .unwrap_or_else(|| "DNL answered success: false".into()),
            )
            .with_status(resp.status)
            .with_field_errors(parsed.field_errors));
    }
    // Taken out, not cloned: a page of users is the bulk of the answer.
    let mut body = body;
    Ok(match body.get_mut("payload") {
        Some(p) => p.take(),
        None => body,
    })
}

/// How a listed user becomes a record.
pub const SHAPE: RecordShape = RecordShape {
    schema: &SCHEMA,
    id: "user_id",
    key: "name",
    wire_names: &[],
};

/// One field for the wire: `auth_ip: ["1.2.3.4"]` is `[{"ip": "1.2.3.4"}]`,
/// `client_limits: [5]` is `[{"client_id": 5}]`.
pub fn wire_value(name: &str, value: &Value) -> Json {
    match (name, value) {
        ("auth_ip", Value::List(ips)) => Json::Array(
            ips.iter()
                .map(|ip| json!({ "ip": wire::write_value(FieldType::String, ip) }))
                .collect(),
        ),
        ("client_limits", Value::List(ids)) => Json::Array(
            ids.iter()
                .map(|id| json!({ "client_id": id.to_json() }))
                .collect(),
        ),
        _ => {
            let ty = SCHEMA.field(name).map_or(FieldType::String, |f| f.ty);
            wire::write_value(ty, value)
        }
    }
}

/// The request body: the request's fields, and `passwd` when a password is given.
pub fn request_body(request: &WriteRequest, password: Option<&SecretString>) -> Map<String, Json> {
    let mut body: Map<String, Json> = request
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), wire_value(k, v)))
        .collect();
    if let Some(pw) = password {
        body.insert(
            "passwd".into(),
            Json::String(pw.expose_secret().to_string()),
        );
    }
    body
}

impl Dnl {
    fn http(&self) -> &HttpClient {
        &self.session.http
    }

    /// One page (0-based): its records and the total the vendor reports.
    async fn page(
        &self,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<RemoteRecord>, usize), DriverError> {
        let context = format!("list users (page {page})");
        let req = Request::get(&["user", "list"], context.as_str())
            .query("page", page)
            .query("per_page", per_page)
            .query(LIST_ORDER[0].0, LIST_ORDER[0].1)
            .query(LIST_ORDER[1].0, LIST_ORDER[1].1);
        let resp = self.session.send(&req).await?;
        let answer = resp.json_list(self.http(), &context, &["payload", "items"], &SHAPE)?;
        let payload = checked_payload(self.http(), &resp, &context, answer.body)?;
        listing::page_of(
            answer.records,
            &payload,
            "items",
            self.http(),
            &context,
            "expected {\"success\": true, \"payload\": {\"items\": [users], \"total\", \"page\"}}",
            "a user in the list has no user_id or name",
        )
    }
}

#[async_trait]
impl Driver for Dnl {
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
        let first = self.page(0, PAGE_SIZE).await?;
        let listing = paging::Totalled {
            http: self.http(),
            context: "list users",
            noun: "user",
            param: "page",
        };
        // When the vendor returns another page size than asked, later pages
        // are asked at its size so that page numbers line up.
        listing
            .read(
                first,
                |p, step| self.page(p, step),
                |p, _| format!("the page `page={p}`"),
            )
            .await
    }

    async fn get_by_key(&self, key: &str) -> Result<Option<RemoteRecord>, DriverError> {
        // DNL documents no filter by name: read the list.
        Ok(self.list().await?.into_iter().find(|r| r.key == key))
    }

    async fn create(&self, request: &WriteRequest) -> Result<String, DriverError> {
        let context = format!("create user \"{}\"", request.key);
        wire::check_fields(self.http(), &SCHEMA, request, &context)?;
        let password = request.secrets.get("password");
        let mut body = request_body(request, password);
        body.entry("name")
            .or_insert_with(|| Json::String(request.key.clone()));
        let req = Request::create(&["user", "create"], context.as_str())
            .json(Json::Object(body))
            .secrets(password);
        let resp = self.session.send(&req).await?;
        let answer = payload(self.http(), &resp, &context)?;
        answer
            .get("object_id")
            .and_then(wire::id_text)
            .ok_or_else(|| {
                self.http()
                    .protocol(&context, "expected {\"object_id\", \"success\": true}")
            })
    }

    async fn update(
        &self,
        remote: &RemoteRecord,
        request: &WriteRequest,
    ) -> Result<(), DriverError> {
        let context = format!("edit user \"{}\"", remote.key);
        wire::check_fields(self.http(), &SCHEMA, request, &context)?;
        // The vendor's UI sends passwd in the PATCH when the password
        // changed; the planner puts the secret in an edit only to rotate it.
        let password = request.secrets.get("password");
        let body = request_body(request, password);
        let req = Request::patch(&["user", &remote.id], context.as_str())
            .json(Json::Object(body))
            .secrets(password);
        let resp = self.session.send(&req).await?;
        if resp.json(self.http(), &context)?.is_some() {
            payload(self.http(), &resp, &context)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_wrapped_as_the_vendor_documents() {
        let ips = Value::List(vec![Value::Str("1.2.3.4".into())]);
        assert_eq!(wire_value("auth_ip", &ips), json!([{"ip": "1.2.3.4"}]));
        let ids = Value::List(vec![Value::Int(5)]);
        assert_eq!(wire_value("client_limits", &ids), json!([{"client_id": 5}]));
        assert_eq!(wire_value("role_id", &Value::Int(3)), json!(3));
    }

    #[test]
    fn password_travels_as_passwd() {
        let mut req = WriteRequest {
            key: "dnhai".into(),
            ..Default::default()
        };
        req.fields.insert("name".into(), Value::Str("dnhai".into()));
        let pw = SecretString::from("12345678");
        let body = Json::Object(request_body(&req, Some(&pw)));
        assert_eq!(body, json!({"name": "dnhai", "passwd": "12345678"}));
    }

    #[test]
    fn user_objects_read_every_schema_field_but_secrets() {
        let obj = json!({"user_id": 1795, "name": "dnhai", "fullname": "D N", "user_type": "agent",
            "active": true, "role_id": "3", "email": "a@b.c", "passwd": "x", "last_login_time": null});
        let rec = SHAPE.record_from_map(obj.as_object().unwrap()).unwrap();
        assert_eq!(rec.id, "1795");
        assert_eq!(rec.key, "dnhai");
        assert_eq!(rec.fields["role_id"], Value::Int(3));
        assert_eq!(rec.fields["active"], Value::Bool(true));
        assert!(!rec.fields.contains_key("passwd"));
        assert_eq!(rec.fields["fullname"], Value::Str("D N".into()));
    }

    #[test]
    fn both_error_bodies_are_read() {
        let v = parse_error(&json!({"error_type": "validation_error", "success": false,
            "errors": [{"field_name": ["Missing data for required field."]}]}));
        assert_eq!(v.message.as_deref(), Some("validation error"));
        assert_eq!(
            v.field_errors,
            vec![(
                "field_name".to_string(),
                "Missing data for required field.".to_string()
            )]
        );
        let v = parse_error(
            &json!({"error_type": "unauthenticated_error", "success": false,
            "error": {"message": "No header X-Auth-Token present", "code": 110, "reason": "auth_token_not_provided"}}),
        );
        assert_eq!(
            v.message.as_deref(),
            Some("No header X-Auth-Token present (auth_token_not_provided, code 110)")
        );
        assert_eq!(kind_of_error_type("unauthenticated_error"), ErrorKind::Auth);
    }
}
