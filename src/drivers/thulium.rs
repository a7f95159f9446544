//! Thulium agents (`/api/agents`, HTTP Basic auth).
//!
//! list `GET /api/agents?limit=1000&offset=N` (bare array), read
//! `GET /api/agents/{login}`, create `POST /api/agents` (201), edit
//! `PUT /api/agents/{login}` with the changed fields (204). The remote id is
//! the login.
//!
//! No public page documents the list. Thulium's documented list endpoints
//! (customers) page with `limit` (default 100, max 1000) and `offset`; an
//! unpaged server returns the whole array whatever is asked. The driver is
//! correct under both: it asks `limit=1000&offset=N`, reads while a full
//! page comes back, stops at a short or empty page, and takes the same
//! whole list coming back again as a server that does not page (see
//! [`super::paging::OpenListing`]). N agents cost `ceil(N / 1000)` requests
//! (one more when the last page is full) when the server pages, two when it
//! does not.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use crate::model::{
    AuthFieldSpec, DriverSchema, FieldSpec, FieldType, Kind, PersonFields, RemoteRecord,
    WriteRequest,
};

use super::error::Hint;
use super::http::{self, Auth, HttpClient, Request, Session, VendorMessage};
use super::listing::{self, RecordShape};
use super::paging::{self, Next, OpenListing};
use super::{wire, Driver, DriverError, EditProbe, ErrorKind, ProviderConfig, VendorEntry};

/// Thulium's agent fields as the `agents:` section names them.
pub static SCHEMA: DriverSchema = DriverSchema {
    vendor: "thulium",
    display_name: "Thulium",
    kind: Kind::Agent,
    key_field: "login",
    active_field: "active",
    url_example: "https://acme.thulium.com",
    person: PersonFields {
        given_name: Some("name"),
        family_name: Some("surname"),
        full_name: None,
        email: Some("email"),
    },
    edit_echoes: &[],
    edit_leaves_out: &[],
    auth: &[
        AuthFieldSpec {
            name: "username",
            secret: false,
            description: "API user name (Administration > Users > API Users)",
        },
        AuthFieldSpec {
            name: "password",
            secret: true,
            description: "API user password",
        },
    ],
    fields: &[
        FieldSpec::new("login", FieldType::String, "Agent login; the natural key.")
            .required()
            .max_len(64),
        FieldSpec::new("name", FieldType::String, "First name.").required(),
        FieldSpec::new("surname", FieldType::String, "Last name.").required(),
        FieldSpec::new(
            "number",
            FieldType::String,
            "Agent number (digits); Thulium reads it back as an integer.",
        )
        .required()
        .pattern("^[0-9]+$"),
        FieldSpec::new(
            "password",
            FieldType::Secret,
            "Login password; set on create only (no documented edit takes it, so it cannot be rotated).",
        )
        .required()
        .create_only(),
        FieldSpec::new("email", FieldType::Email, "E-mail address."),
        FieldSpec::new(
            "change_password",
            FieldType::Boolean,
            "Force a password change at first login; set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "callerid",
            FieldType::String,
            "Caller ID (default: initial and surname); set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "language",
            FieldType::Enum(&["pl", "en"]),
            "Panel language; set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "active",
            FieldType::Boolean,
            "Whether the account is active (default true).",
        ),
        FieldSpec::new(
            "outbound_mode",
            FieldType::Enum(&["manual", "auto", "blending"]),
            "Outbound call mode (default manual; blending is in the 2017 documentation only).",
        ),
        FieldSpec::new(
            "roles",
            FieldType::IntegerSet,
            "Role ids; set on create only (Thulium does not read them back).",
        )
        .create_only(),
    ],
};

pub(super) const VENDOR: VendorEntry = VendorEntry {
    schema: &SCHEMA,
    connect,
};

fn connect(config: ProviderConfig) -> Result<Arc<dyn Driver>, DriverError> {
    let user = http::credential(&config, "username")?;
    let password = http::credential(&config, "password")?;
    let client = HttpClient::new(&config, &SCHEMA, parse_error)?;
    Ok(Arc::new(Thulium {
        session: Session::new(client, Auth::basic(&user, &password)),
        observed: std::sync::Mutex::new(None),
    }))
}

/// Agents asked for per page: the maximum of Thulium's documented lists.
pub const PAGE_SIZE: usize = 1000;

/// The Thulium driver.
pub struct Thulium {
    session: Session,
    /// What the last complete listing showed of the server's paging.
    observed: std::sync::Mutex<Option<paging::Observed>>,
}

/// Reads Thulium's error body `{"request_id", "errors": [{"message", "code"}]}`.
pub fn parse_error(body: &Json) -> VendorMessage {
    let messages: Vec<String> = body
        .get("errors")
        .and_then(Json::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| {
                    let msg = e.get("message").and_then(Json::as_str)?;
                    Some(match e.get("code").and_then(wire::id_text) {
                        Some(code) => format!("{msg} (code {code})"),
                        None => msg.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut message = (!messages.is_empty()).then(|| messages.join("; "));
    if let (Some(m), Some(id)) = (
        message.as_mut(),
        body.get("request_id").and_then(wire::id_text),
    ) {
        m.push_str(&format!(" [request_id {id}]"));
    }
    VendorMessage {
        message,
        field_errors: Vec::new(),
    }
}

/// How a listed agent becomes a record: the login is both id and key.
pub const SHAPE: RecordShape = RecordShape {
    schema: &SCHEMA,
    id: "login",
    key: "login",
    wire_names: &[],
};

/// The wire body for a create or an edit: every field of the request (the
/// secret `password` included when `with_secrets`).
pub fn request_body(request: &WriteRequest, with_secrets: bool) -> Map<String, Json> {
    let mut body = wire::write_fields(&SCHEMA, &request.fields);
    if with_secrets {
        for (name, secret) in &request.secrets {
            body.insert(
                name.clone(),
                Json::String(secrecy::ExposeSecret::expose_secret(secret).to_string()),
            );
        }
    }
    body
}

impl Thulium {
    /// One page of the agent list, and the total it reports (`count` of a
    /// `{"result": [...]}` envelope), if any.
    async fn page(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<RemoteRecord>, Option<usize>), DriverError> {
        let context = match offset {
            0 => "list agents".to_string(),
            _ => format!("list agents (offset {offset})"),
        };
        let http = &self.session.http;
        let req = Request::get(&["api", "agents"], context.as_str())
            .query("limit", limit)
            .query("offset", offset);
        let resp = self.session.send(&req).await?;
        let answer = resp.json_list(http, &context, &[], &SHAPE)?;
        let (answer, count) = match answer.body {
            Json::Array(_) => (answer, None),
            Json::Object(ref envelope) if envelope.get("result").is_some_and(Json::is_array) => {
                let count = match envelope.get("count").or_else(|| envelope.get("total")) {
                    None | Some(Json::Null) => None,
                    Some(value) => Some(wire::count(value).ok_or_else(|| {
                        http.protocol(&context, "the list's `count` is not a count of agents")
                    })?),
                };
                let answer = listing::records_of(answer.body, &["result"], &SHAPE);
                if let Some(records) = &answer.records {
                    super::field_types::check(SHAPE.schema, records)
                        .map_err(|msg| http.protocol(&context, msg))?;
                }
                (answer, count)
            }
            _ => {
                return Err(http.protocol(
                    &context,
                    "expected a JSON array of agents, or {\"result\": [agents]}",
                ))
            }
        };
        let records = answer
            .records
            .ok_or_else(|| http.protocol(&context, "an agent in the list has no login"))?;
        Ok((records, count))
    }

    /// Reads the whole agent list (see [`OpenListing`]), and what it
    /// showed of the vendor's paging.
    pub(crate) async fn read_listing(
        &self,
    ) -> Result<(Vec<RemoteRecord>, paging::Observed), DriverError> {
        let context = "list agents";
        let refuse =
            |p: paging::Implausible| paging::refuse(&self.session.http, context, "agent", &p);
        let mut listing = OpenListing::new(PAGE_SIZE);
        let mut next = listing.first();
        loop {
            next = match next {
                Next::Page { offset, limit } => {
                    let (page, count) = self.page(limit, offset).await?;
                    listing.take(offset, limit, page, count).map_err(refuse)?
                }
                Next::Probe => {
                    let (page, _) = self.page(1, 0).await?;
                    listing.take_probe(&page).map_err(refuse)?
                }
                Next::Done => {
                    let observed = listing.observed();
                    return Ok((listing.finish().map_err(refuse)?, observed));
                }
            };
        }
    }
}

#[async_trait]
impl Driver for Thulium {
    fn schema(&self) -> &'static DriverSchema {
        &SCHEMA
    }

    fn clock_skew_secs(&self) -> Option<i64> {
        self.session.http.clock_skew_secs()
    }

    fn list_requests(&self, accounts: usize) -> u64 {
        paging::open_requests(accounts, PAGE_SIZE)
    }

    fn requests_sent(&self) -> u64 {
        self.session.http.sent()
    }

    async fn list(&self) -> Result<Vec<RemoteRecord>, DriverError> {
        let (records, observed) = self.read_listing().await?;
        *self
            .observed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(observed);
        Ok(records)
    }

    fn paging_observed(&self) -> Option<paging::Observed> {
        *self
            .observed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn get_by_key(&self, key: &str) -> Result<Option<RemoteRecord>, DriverError> {
        let context = format!("read agent \"{key}\"");
        let req = Request::get(&["api", "agents", key], context.as_str());
        let resp = match self.session.send(&req).await {
            Ok(resp) => resp,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let body = resp.json_required(&self.session.http, &context)?;
        body.as_object()
            .and_then(|obj| SHAPE.record_from_map(obj))
            .map(Some)
            .ok_or_else(|| {
                self.session
                    .http
                    .protocol(&context, "expected an agent object with a login")
            })
    }

    async fn create(&self, request: &WriteRequest) -> Result<String, DriverError> {
        let context = format!("create agent \"{}\"", request.key);
        wire::check_fields(&self.session.http, &SCHEMA, request, &context)?;
        let mut body = request_body(request, true);
        body.entry("login")
            .or_insert_with(|| Json::String(request.key.clone()));
        let req = Request::create(&["api", "agents"], context.as_str())
            .json(Json::Object(body))
            .secrets(request.secrets.values());
        let resp = self.session.send(&req).await?;
        if let Some(answer) = resp.json(&self.session.http, &context)? {
            if !answer.is_object() {
                return Err(self
                    .session
                    .http
                    .protocol(&context, "expected {\"agent_id\", \"agent_login\"}"));
            }
            if let Some(login) = answer.get("agent_login").and_then(wire::id_text) {
                return Ok(login);
            }
        }
        Ok(request.key.clone())
    }

    async fn update(
        &self,
        remote: &RemoteRecord,
        request: &WriteRequest,
    ) -> Result<(), DriverError> {
        let context = format!("edit agent \"{}\"", remote.key);
        wire::check_fields(&self.session.http, &SCHEMA, request, &context)?;
        let body = request_body(request, false);
        self.edit(remote, body, &context).await?
    }

    async fn probe_edit(&self, remote: &RemoteRecord) -> Result<Option<EditProbe>, DriverError> {
        // Thulium's PUT convention (tickets, customers): a field left out is
        // left unchanged, so an empty body changes nothing.
        let context = format!("probe the edit endpoint on agent \"{}\"", remote.key);
        match self.edit(remote, Map::new(), &context).await? {
            Ok(()) => Ok(Some(EditProbe::Exists)),
            Err(missing) => Ok(Some(EditProbe::Missing {
                status: missing.status.unwrap_or_default(),
            })),
        }
    }
}

impl Thulium {
    /// `PUT /api/agents/{login}` with `body`. The inner error is a system
    /// without the endpoint: 405, or 404 for an agent that a read finds
    /// (no public Thulium document names the endpoint).
    async fn edit(
        &self,
        remote: &RemoteRecord,
        body: Map<String, Json>,
        context: &str,
    ) -> Result<Result<(), DriverError>, DriverError> {
        let req = Request::put(&["api", "agents", &remote.id], context).json(Json::Object(body));
        let missing = match self.session.send(&req).await {
            Ok(resp) => {
                // 204 has no body; anything sent must at least be JSON.
                resp.json(&self.session.http, context)?;
                return Ok(Ok(()));
            }
            Err(e) if e.status == Some(405) => e,
            Err(e) if e.status == Some(404) => {
                // The agent is gone, or the system has no such endpoint.
                match self.get_by_key(&remote.key).await {
                    Ok(Some(_)) => e,
                    _ => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let status = missing.status.unwrap_or_default();
        let mut e = missing.with_help(Hint::NoEditEndpoint);
        e.message = format!(
            "this Thulium system has no agent edit endpoint: PUT /api/agents/{{login}} answered {status} (no public Thulium document names it), so nothing was changed; set `edits: manual` on the provider to plan its updates and deactivations as steps in the Thulium panel (Thulium said: {})",
            e.message
        );
        Ok(Err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use serde_json::json;

    #[test]
    fn number_is_read_back_as_text() {
        let obj = json!({"agent_id": 1, "login": "jkowalski", "name": "Jan", "surname": "Kowalski",
            "email": "jk@foo.bar", "active": true, "number": 559933, "outbound_mode": "manual", "group_id": 3});
        let rec = SHAPE.record_from_map(obj.as_object().unwrap()).unwrap();
        assert_eq!(rec.id, "jkowalski");
        assert_eq!(rec.key, "jkowalski");
        assert_eq!(rec.fields["number"], Value::Str("559933".into()));
        assert_eq!(rec.fields["active"], Value::Bool(true));
        assert!(!rec.fields.contains_key("group_id"));
        assert!(!rec.fields.contains_key("agent_id"));
    }

    #[test]
    fn create_body_sends_number_as_string_and_password() {
        let mut req = WriteRequest {
            key: "jkowalski".into(),
            ..Default::default()
        };
        req.fields.insert("number".into(), Value::Int(345));
        req.fields.insert(
            "roles".into(),
            Value::List(vec![Value::Int(1), Value::Int(2)]),
        );
        req.secrets
            .insert("password".into(), secrecy::SecretString::from("pass"));
        let body = Json::Object(request_body(&req, true));
        assert_eq!(
            body,
            json!({"number": "345", "roles": [1, 2], "password": "pass"})
        );
        let edit = Json::Object(request_body(&req, false));
        assert_eq!(edit, json!({"number": "345", "roles": [1, 2]}));
    }

    #[test]
    fn error_body_lists_every_message_with_request_id() {
        let parsed = parse_error(&json!({"request_id": "53678450401cf",
            "errors": [{"message": "Login already exists", "code": 111111}, {"message": "Bad number", "code": "2"}]}));
        assert_eq!(
            parsed.message.as_deref(),
            Some("Login already exists (code 111111); Bad number (code 2) [request_id 53678450401cf]")
        );
        assert_eq!(parse_error(&json!({"x": 1})).message, None);
    }
}
