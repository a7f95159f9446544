//! Simulated Thulium agents API (`/thulium/api/agents`).
//!
//! HTTP Basic on every call. `GET /api/agents` (bare array; paged with
//! `limit`, default 100, max 1000, and `offset`, or not paged at all: see
//! [`ThuliumPaging`] for why paging is the default),
//! `GET /api/agents/{login}`, `POST /api/agents` (201
//! `{"agent_id":"11","agent_login":...}`), `PUT /api/agents/{login}` (partial,
//! 204). Errors: `{"request_id","errors":[{"message","code"}]}` with 400, 401,
//! 404, 405. The error codes are the sandbox's own (Thulium publishes none):
//! 1001 auth, 1002 required, 1003 invalid value, 1004 duplicate login,
//! 1005 not found, 1006 method, 1007 body not a JSON object, 1008 injected.
//! Fields the vendor does not document are ignored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use super::behaviour::{served_size, EditEndpoint, Honour, ListShape};
use super::listing::{self, ThuliumPaging};
use super::table::{
    body_object, count_param, json_answer, row, stored_view, NextId, Password, Reply, Table,
};
use super::vendor::{Accounts, Control, VendorState};
use super::{VendorSim, THULIUM_PASSWORD, THULIUM_USER};

const CODE_AUTH: u32 = 1001;
const CODE_REQUIRED: u32 = 1002;
const CODE_INVALID: u32 = 1003;
const CODE_EXISTS: u32 = 1004;
const CODE_NOT_FOUND: u32 = 1005;
const CODE_METHOD: u32 = 1006;
const CODE_BODY: u32 = 1007;
const CODE_INJECTED: u32 = 1008;

/// A stored agent, in Thulium's field names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Agent {
    agent_id: u64,
    login: String,
    name: String,
    surname: String,
    email: Option<String>,
    active: bool,
    /// Read back as an integer; taken as a string of digits or an integer.
    #[serde(deserialize_with = "de_number")]
    number: u64,
    outbound_mode: String,
    group_id: Option<u64>,
    password: Password,
    change_password: bool,
    callerid: String,
    language: String,
    roles: Vec<i64>,
}

impl Default for Agent {
    fn default() -> Self {
        Self {
            agent_id: 0,
            login: String::new(),
            name: String::new(),
            surname: String::new(),
            email: None,
            active: true,
            number: 0,
            outbound_mode: "manual".into(),
            group_id: None,
            password: Password::default(),
            change_password: false,
            callerid: String::new(),
            language: "pl".into(),
            roles: Vec::new(),
        }
    }
}

fn de_number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(u64),
        Str(String),
    }
    match N::deserialize(d)? {
        N::Int(n) => Ok(n),
        N::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("number {s:?} is not digits"))),
    }
}

row!(Agent, password: password, id: agent_id, key: login);

/// What `GET /api/agents[/{login}]` returns: every stored field but the
/// write-only ones (password, change_password, callerid, language, roles).
#[derive(Serialize)]
struct AgentView<'a> {
    agent_id: u64,
    login: &'a str,
    name: &'a str,
    surname: &'a str,
    email: Option<&'a str>,
    active: bool,
    number: u64,
    outbound_mode: &'a str,
    group_id: Option<u64>,
}

impl<'a> From<&'a Agent> for AgentView<'a> {
    fn from(a: &'a Agent) -> Self {
        AgentView {
            agent_id: a.agent_id,
            login: &a.login,
            name: &a.name,
            surname: &a.surname,
            email: a.email.as_deref(),
            active: a.active,
            number: a.number,
            outbound_mode: &a.outbound_mode,
            group_id: a.group_id,
        }
    }
}

#[derive(Default)]
struct Store {
    agents: Table<Agent>,
    next_id: NextId,
}

impl Accounts for Store {
    type Row = Agent;
    const NOUN: &'static str = "agent";

    fn table(&self) -> &Table<Agent> {
        &self.agents
    }

    fn table_mut(&mut self) -> &mut Table<Agent> {
        &mut self.agents
    }

    fn insert_raw(&mut self, mut agent: Agent) -> Result<Value, String> {
        if agent.login.is_empty() {
            return Err("login is required".into());
        }
        if agent.agent_id == 0 {
            agent.agent_id = self.next_id.take();
        }
        self.next_id.past(agent.agent_id);
        let view = stored_view(&agent);
        self.agents.insert(agent).map_err(|e| e.to_string())?;
        Ok(view)
    }
}

/// The simulated Thulium.
#[derive(Default)]
pub(crate) struct Thulium {
    state: VendorState<Store>,
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(0x5367_8450_401c);

fn error(status: StatusCode, errors: Vec<(String, u32)>) -> Response {
    let request_id = format!("{:013x}", REQUEST_IDS.fetch_add(1, Ordering::Relaxed));
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|(message, code)| json!({"message": message, "code": code}))
        .collect();
    let mut response = (
        status,
        Json(json!({"request_id": request_id, "errors": errors})),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn error1(status: StatusCode, message: impl Into<String>, code: u32) -> Response {
    error(status, vec![(message.into(), code)])
}

fn check_auth(headers: &HeaderMap) -> Result<(), Response> {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| {
                base64::engine::general_purpose::STANDARD
                    .decode(rest.trim())
                    .ok()
            })?
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|pair| pair == format!("{THULIUM_USER}:{THULIUM_PASSWORD}"));
    if ok {
        Ok(())
    } else {
        Err(error1(
            StatusCode::UNAUTHORIZED,
            "Invalid API user or password.",
            CODE_AUTH,
        ))
    }
}

/// Collects the validation errors of one body.
struct Checker<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<(String, u32)>,
}

impl<'a> Checker<'a> {
    fn required_missing(&mut self, field: &str) {
        self.errors
            .push((format!("Field '{field}' is required."), CODE_REQUIRED));
    }

    fn invalid(&mut self, field: &str, what: &str) {
        self.errors
            .push((format!("Field '{field}' {what}."), CODE_INVALID));
    }

    /// A string; `required` also refuses an empty one.
    fn string(&mut self, field: &str, required: bool) -> Option<String> {
        match self.body.get(field) {
            None | Some(Value::Null) => {
                if required {
                    self.required_missing(field);
                }
                None
            }
            Some(Value::String(s)) if required && s.trim().is_empty() => {
                self.required_missing(field);
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.invalid(field, "must be a string");
                None
            }
        }
    }

    fn boolean(&mut self, field: &str) -> Option<bool> {
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.invalid(field, "must be true or false");
                None
            }
        }
    }

    fn one_of(&mut self, field: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(field, false)?;
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            self.invalid(field, &format!("must be one of: {}", allowed.join(", ")));
            None
        }
    }

    /// The agent's number: digits, as a string or an integer.
    fn number(&mut self, required: bool) -> Option<u64> {
        let digits = match self.body.get("number") {
            Some(Value::Number(n)) => n.as_u64(),
            None | Some(Value::Null | Value::String(_)) => {
                let text = self.string("number", required)?;
                let text = text.trim();
                text.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| text.parse().ok())
                    .flatten()
            }
            Some(_) => None,
        };
        if digits.is_none() {
            self.invalid("number", "must contain digits only");
        }
        digits
    }

    fn roles(&mut self) -> Option<Vec<i64>> {
        match self.body.get("roles") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let roles: Option<Vec<i64>> = items.iter().map(Value::as_i64).collect();
                if roles.is_none() {
                    self.invalid("roles", "must be an array of integer role ids");
                }
                roles
            }
            Some(_) => {
                self.invalid("roles", "must be an array of integer role ids");
                None
            }
        }
    }

    fn optional(&mut self) -> Optional {
        Optional {
            email: self.string("email", false),
            change_password: self.boolean("change_password"),
            callerid: self.string("callerid", false),
            language: self.one_of("language", LANGUAGES),
            active: self.boolean("active"),
            outbound_mode: self.one_of("outbound_mode", OUTBOUND_MODES),
            roles: self.roles(),
        }
    }
}

const LANGUAGES: &[&str] = &["pl", "en"];
/// `blending` is in the 2017 documentation (api.thulium.pl), not the 2024 one.
const OUTBOUND_MODES: &[&str] = &["manual", "auto", "blending"];

fn default_callerid(name: &str, surname: &str) -> String {
    match name.chars().next() {
        Some(initial) => format!("{initial}.{surname}"),
        None => surname.to_string(),
    }
}

fn invalid_count(name: &str) -> Response {
    error1(
        StatusCode::BAD_REQUEST,
        format!("Parameter '{name}' must be a non-negative integer."),
        CODE_INVALID,
    )
}

async fn list(
    State(sim): State<Arc<Thulium>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Reply {
    check_auth(&headers)?;
    let behaviours = sim.state.behaviours();
    let request = sim.state.next_list_request();
    let settings = sim.state.listing();
    let store = sim.state.accounts();
    let rows = store.agents.rows();
    let listed = listing::arranged_rows(
        rows.len(),
        |i| rows[i].active,
        behaviours.thulium_inactive,
        behaviours.thulium_order,
        request,
    );
    let (offset, limit) = match settings.paging.unwrap_or_default() {
        ThuliumPaging::IgnoresParameters => (0, listed.len().saturating_add(1)),
        ThuliumPaging::Paged => {
            let limit = count_param(&query, "limit", 0, invalid_count)?;
            let offset = match behaviours.thulium_offset {
                Honour::Honoured => count_param(&query, "offset", 0, invalid_count)?,
                Honour::Ignored => 0,
            };
            let size = served_size(
                Some(limit),
                behaviours.thulium_limit,
                behaviours.thulium_page_default,
                behaviours.thulium_page_cap,
            );
            (offset, size)
        }
    };
    let window = listing::window(settings.fault, listed.len(), offset, limit);
    let views = listing::render(
        &window.slots,
        |i| AgentView::from(&rows[listed[i]]),
        listing::retag_number("agent_id"),
    );
    Ok(match behaviours.thulium_list {
        ListShape::Array => json_answer(StatusCode::OK, &views),
        ListShape::Envelope => json_answer(StatusCode::OK, &json!({ "result": views })),
        ListShape::EnvelopeCount => json_answer(
            StatusCode::OK,
            &json!({ "result": views, "count": window.total }),
        ),
    })
}

/// The row of the agent `login`.
fn index_of(store: &Store, login: &str) -> Result<usize, Response> {
    store.agents.index_of_key(login).ok_or_else(|| {
        error1(
            StatusCode::NOT_FOUND,
            format!("Agent '{login}' not found."),
            CODE_NOT_FOUND,
        )
    })
}

async fn get_one(
    State(sim): State<Arc<Thulium>>,
    headers: HeaderMap,
    Path(login): Path<String>,
) -> Reply {
    check_auth(&headers)?;
    let store = sim.state.accounts();
    let agent = &store.agents.rows()[index_of(&store, &login)?];
    Ok(Json(AgentView::from(agent)).into_response())
}

fn bad_body() -> Response {
    error1(
        StatusCode::BAD_REQUEST,
        "Request body must be a JSON object.",
        CODE_BODY,
    )
}

/// The fields a create and an edit both may carry, none required.
struct Optional {
    email: Option<String>,
    change_password: Option<bool>,
    callerid: Option<String>,
    language: Option<String>,
    active: Option<bool>,
    outbound_mode: Option<String>,
    roles: Option<Vec<i64>>,
}

impl Optional {
    /// Writes the fields given over `agent` (`email` also when given null).
    fn apply(self, agent: &mut Agent, body: &Map<String, Value>) {
        if body.contains_key("email") {
            agent.email = self.email;
        }
        if let Some(v) = self.change_password {
            agent.change_password = v;
        }
        if let Some(v) = self.callerid {
            agent.callerid = v;
        }
        if let Some(v) = self.language {
            agent.language = v;
        }
        if let Some(v) = self.active {
            agent.active = v;
        }
        if let Some(v) = self.outbound_mode {
            agent.outbound_mode = v;
        }
        if let Some(v) = self.roles {
            agent.roles = v;
        }
    }
}

async fn create(State(sim): State<Arc<Thulium>>, headers: HeaderMap, body: Bytes) -> Reply {
    check_auth(&headers)?;
    let body = body_object(&body).ok_or_else(bad_body)?;
    let mut c = Checker {
        body: &body,
        errors: Vec::new(),
    };
    let name = c.string("name", true);
    let surname = c.string("surname", true);
    let login = c.string("login", true);
    let password = c.string("password", true);
    let number = c.number(true);
    let optional = c.optional();
    let errors = c.errors;
    let (Some(name), Some(surname), Some(login), Some(password), Some(number), true) =
        (name, surname, login, password, number, errors.is_empty())
    else {
        return Err(error(StatusCode::BAD_REQUEST, errors));
    };
    let mut store = sim.state.accounts();
    if store.agents.index_of_key(&login).is_some() {
        return Err(error1(
            StatusCode::BAD_REQUEST,
            format!("Agent with login '{login}' already exists."),
            CODE_EXISTS,
        ));
    }
    let agent_id = store.next_id.take();
    let mut agent = Agent {
        agent_id,
        callerid: default_callerid(&name, &surname),
        login: login.clone(),
        name,
        surname,
        number,
        password: Password(password),
        ..Agent::default()
    };
    optional.apply(&mut agent, &body);
    store
        .agents
        .insert(agent)
        .map_err(|e| error1(StatusCode::BAD_REQUEST, e.to_string(), CODE_EXISTS))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"agent_id": agent_id.to_string(), "agent_login": login})),
    )
        .into_response())
}

async fn update(
    State(sim): State<Arc<Thulium>>,
    headers: HeaderMap,
    Path(login): Path<String>,
    body: Bytes,
) -> Reply {
    // `thulium.edit_endpoint`: no public document names this endpoint; a
    // system without it answers as for any route it does not have.
    match sim.state.behaviours().thulium_edit_endpoint {
        EditEndpoint::Missing405 => return method_not_allowed(headers).await,
        EditEndpoint::Missing404 => return unknown_uri(headers).await,
        EditEndpoint::Present => {}
    }
    check_auth(&headers)?;
    let mut store = sim.state.accounts();
    let index = index_of(&store, &login)?;
    let body = body_object(&body).ok_or_else(bad_body)?;
    let mut c = Checker {
        body: &body,
        errors: Vec::new(),
    };
    let present = |f: &str| body.get(f).is_some_and(|v| !v.is_null());
    let new_login = c.string("login", present("login"));
    if new_login.as_deref().is_some_and(|l| l != login) {
        c.invalid("login", "cannot be changed");
    }
    let name = c.string("name", present("name"));
    let surname = c.string("surname", present("surname"));
    let password = c.string("password", present("password"));
    let number = c.number(false);
    let optional = c.optional();
    if !c.errors.is_empty() {
        return Err(error(StatusCode::BAD_REQUEST, c.errors));
    }
    let mut agent = store.agents.rows()[index].clone();
    if let Some(v) = name {
        agent.name = v;
    }
    if let Some(v) = surname {
        agent.surname = v;
    }
    if let Some(v) = password {
        agent.password = Password(v);
    }
    if let Some(v) = number {
        agent.number = v;
    }
    optional.apply(&mut agent, &body);
    store
        .agents
        .replace(index, agent)
        .map_err(|e| error1(StatusCode::BAD_REQUEST, e.to_string(), CODE_INVALID))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn unknown_uri(headers: HeaderMap) -> Reply {
    check_auth(&headers)?;
    Err(error1(
        StatusCode::NOT_FOUND,
        "URI not found.",
        CODE_NOT_FOUND,
    ))
}

async fn method_not_allowed(headers: HeaderMap) -> Reply {
    check_auth(&headers)?;
    Err(error1(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed for this resource.",
        CODE_METHOD,
    ))
}

impl VendorSim for Thulium {
    fn name(&self) -> &'static str {
        "thulium"
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/api/agents", get(list).post(create))
            .route("/api/agents/{login}", get(get_one).put(update))
            .fallback(unknown_uri)
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self)
    }

    fn control(&self) -> &dyn Control {
        &self.state
    }

    fn fault_response(&self, status: StatusCode) -> Response {
        error1(
            status,
            format!("{status} (injected by the sandbox)"),
            CODE_INJECTED,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_from_strings_or_integers_and_views_hide_write_only_fields() {
        let agent: Agent = serde_json::from_value(json!({
            "login": "jkowalski", "name": "Jan", "surname": "Kowalski",
            "number": "345", "password": "pass", "roles": [1, 2]
        }))
        .unwrap();
        assert_eq!(agent.number, 345);
        let view = serde_json::to_value(AgentView::from(&agent)).unwrap();
        // A read is the stored agent without the write-only fields, in order.
        let mut expected = stored_view(&agent);
        let map = expected.as_object_mut().unwrap();
        for hidden in ["roles", "language", "callerid", "change_password"] {
            map.shift_remove(hidden);
        }
        assert_eq!(view.to_string(), expected.to_string());
        assert_eq!(view["number"], 345);
        assert!(serde_json::from_value::<Agent>(json!({"number": "12a"})).is_err());
    }

    #[test]
    fn the_default_callerid_is_initial_and_surname() {
        assert_eq!(default_callerid("Jan", "Kowalski"), "J.Kowalski");
    }

    #[test]
    fn seeded_ids_are_kept_and_new_ones_follow() {
        let sim = Thulium::default().state;
        sim.load(&[json!({"agent_id": 40, "login": "a", "number": 1})])
            .unwrap();
        let created = sim.create_raw(&json!({"login": "b", "number": 2})).unwrap();
        assert_eq!(created["agent_id"], 41);
        assert!(sim.create_raw(&json!({"login": "a"})).is_err());
    }
}
