//! Simulated DNL (Denovolab class-4) users API (`/dnl/...`, the part after
//! `/api_dnl/v1` on a real switch).
//!
//! `POST /auth {"email_or_name","password"[,"expire_after_minutes"]}` gives a
//! token for `X-Auth-Token` (24 h unless `expire_after_minutes`).
//! `GET /user/list?page&per_page[&user_type][&active][&order_dir=asc|desc]`
//! (page from 0, per_page 10 by default, at most 100; ordered by user_id),
//! `GET /user/{id}`, `POST /user/create` (`{"object_id","success":true}`),
//! `PATCH /user/{id}` (partial, `{"success":true}`).
//!
//! Bodies are checked as marshmallow would: 400 `{"error_type":"validation_error",
//! "success":false,"errors":[{"<field>":["<message>"]}]}` for missing required
//! fields (name, passwd, user_type), wrong types and unknown fields. A
//! missing token is the documented 401 (code 110); an unknown token is code
//! 111 `auth_token_invalid`, an expired one code 112 `auth_token_expired`
//! (inferred). Both the Confluence names (first_name, last_name, auth_ip) and
//! the web UI's (fullname, login_ip) are accepted, and `passwd` on PATCH too
//! (the vendor's UI sends it when the password changed). Read-back: every
//! column but `passwd` (and the write-only auth_ip, client_limits, client).
//! In the sparse read mode (`--dnl-sparse-reads`, `PUT /_sandbox/modes`),
//! reads also leave out `first_name`, `last_name` and `avatar_id`, which the
//! vendor's database does not hold, and carry only `fullname`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::behaviour::{served_size, Honour, Patch, Reads};
use super::listing::{self, Listed};
use super::table::{
    self, body_object, count_param, json_answer, param, row, stored_view, NextId, Password, Reply,
    Table, TokenCheck,
};
use super::vendor::{Accounts, Control, VendorState};
use super::{VendorSim, DNL_PASSWORD, DNL_USER, TOKEN_TTL};

const USER_TYPES: &[&str] = &["admin", "agent", "client"];

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AuthIp {
    ip: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClientLimit {
    client_id: i64,
}

/// A stored user, in DNL's column names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct User {
    user_id: u64,
    name: String,
    #[serde(alias = "password")]
    passwd: Password,
    fullname: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    user_type: String,
    role_id: Option<i64>,
    active: bool,
    client_id: Option<i64>,
    reseller_id: Option<i64>,
    card_id: Option<i64>,
    avatar_id: Option<i64>,
    landing_page: Option<String>,
    default_mod: Option<String>,
    default_mod2: Option<String>,
    report_group: bool,
    outbound_report: bool,
    all_termination: bool,
    show_carrier_trunk_drop_only: bool,
    report_fields: Option<String>,
    login_ip: Option<String>,
    create_time: String,
    create_user_id: Option<u64>,
    last_login_time: Option<String>,
    is_online: bool,
    last_seen: Option<String>,
    auth_ip: Vec<AuthIp>,
    client_limits: Vec<ClientLimit>,
    client: Option<Map<String, Value>>,
}

impl Default for User {
    fn default() -> Self {
        Self {
            user_id: 0,
            name: String::new(),
            passwd: Password::default(),
            fullname: String::new(),
            first_name: None,
            last_name: None,
            email: None,
            user_type: "agent".into(),
            role_id: None,
            active: true,
            client_id: None,
            reseller_id: None,
            card_id: None,
            avatar_id: None,
            landing_page: None,
            default_mod: None,
            default_mod2: None,
            report_group: false,
            outbound_report: false,
            all_termination: false,
            show_carrier_trunk_drop_only: false,
            report_fields: None,
            login_ip: None,
            create_time: String::new(),
            create_user_id: None,
            last_login_time: None,
            is_online: false,
            last_seen: None,
            auth_ip: Vec::new(),
            client_limits: Vec::new(),
            client: None,
        }
    }
}

row!(User, password: passwd, id: user_id, key: name);

/// A user as reads return it: every column but `passwd` and the write-only
/// `auth_ip`, `client_limits` and `client`. In the sparse read mode
/// `first_name`, `last_name` and `avatar_id` are left out (absent, not
/// null): the evidence says DNL's `users` table has `fullname` and none of
/// these.
#[derive(Serialize)]
struct UserView<'a> {
    user_id: u64,
    name: &'a str,
    fullname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<Option<&'a str>>,
    email: Option<&'a str>,
    user_type: &'a str,
    role_id: Option<i64>,
    active: bool,
    client_id: Option<i64>,
    reseller_id: Option<i64>,
    card_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar_id: Option<Option<i64>>,
    landing_page: Option<&'a str>,
    default_mod: Option<&'a str>,
    default_mod2: Option<&'a str>,
    report_group: bool,
    outbound_report: bool,
    all_termination: bool,
    show_carrier_trunk_drop_only: bool,
    report_fields: Option<&'a str>,
    login_ip: Option<&'a str>,
    create_time: &'a str,
    create_user_id: Option<u64>,
    last_login_time: Option<&'a str>,
    is_online: bool,
    last_seen: Option<&'a str>,
}

impl<'a> UserView<'a> {
    fn new(u: &'a User, sparse: bool) -> Self {
        UserView {
            user_id: u.user_id,
            name: &u.name,
            fullname: &u.fullname,
            first_name: (!sparse).then_some(u.first_name.as_deref()),
            last_name: (!sparse).then_some(u.last_name.as_deref()),
            email: u.email.as_deref(),
            user_type: &u.user_type,
            role_id: u.role_id,
            active: u.active,
            client_id: u.client_id,
            reseller_id: u.reseller_id,
            card_id: u.card_id,
            avatar_id: (!sparse).then_some(u.avatar_id),
            landing_page: u.landing_page.as_deref(),
            default_mod: u.default_mod.as_deref(),
            default_mod2: u.default_mod2.as_deref(),
            report_group: u.report_group,
            outbound_report: u.outbound_report,
            all_termination: u.all_termination,
            show_carrier_trunk_drop_only: u.show_carrier_trunk_drop_only,
            report_fields: u.report_fields.as_deref(),
            login_ip: u.login_ip.as_deref(),
            create_time: &u.create_time,
            create_user_id: u.create_user_id,
            last_login_time: u.last_login_time.as_deref(),
            is_online: u.is_online,
            last_seen: u.last_seen.as_deref(),
        }
    }
}

/// `t` as DNL's timestamps are shown: RFC 3339, UTC, to the second.
fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    Bool,
    UserType,
    AuthIp,
    ClientLimits,
    Client,
}

/// The fields a create or edit may carry.
const FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("passwd", Kind::Str),
    ("user_type", Kind::UserType),
    ("fullname", Kind::Str),
    ("first_name", Kind::Str),
    ("last_name", Kind::Str),
    ("email", Kind::Str),
    ("role_id", Kind::Int),
    ("active", Kind::Bool),
    ("client_id", Kind::Int),
    ("reseller_id", Kind::Int),
    ("card_id", Kind::Int),
    ("avatar_id", Kind::Int),
    ("landing_page", Kind::Str),
    ("default_mod", Kind::Str),
    ("default_mod2", Kind::Str),
    ("report_group", Kind::Bool),
    ("outbound_report", Kind::Bool),
    ("all_termination", Kind::Bool),
    ("show_carrier_trunk_drop_only", Kind::Bool),
    ("report_fields", Kind::Str),
    ("login_ip", Kind::Str),
    ("auth_ip", Kind::AuthIp),
    ("client_limits", Kind::ClientLimits),
    ("client", Kind::Client),
];
const REQUIRED: &[&str] = &["name", "passwd", "user_type"];
/// Fields whose stored column is not nullable.
const NOT_NULL: &[&str] = &[
    "name",
    "passwd",
    "user_type",
    "active",
    "report_group",
    "outbound_report",
    "all_termination",
    "show_carrier_trunk_drop_only",
];

const MISSING: &str = "Missing data for required field.";

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Converts one field as marshmallow would, or gives its error message.
fn convert(kind: Kind, value: &Value) -> Result<Value, &'static str> {
    match kind {
        Kind::Str => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err("Not a valid string."),
        },
        Kind::Int => as_int(value).map(Value::from).ok_or("Not a valid integer."),
        Kind::Bool => as_bool(value)
            .map(Value::Bool)
            .ok_or("Not a valid boolean."),
        Kind::UserType => match value.as_str() {
            Some(t) if USER_TYPES.contains(&t) => Ok(value.clone()),
            Some(_) => Err("Must be one of: admin, agent, client."),
            None => Err("Not a valid string."),
        },
        Kind::AuthIp => {
            let items = value.as_array().ok_or("Not a valid list.")?;
            items
                .iter()
                .map(|item| match item.get("ip") {
                    Some(Value::String(ip)) if item.as_object().is_some_and(|o| o.len() == 1) => {
                        Ok(json!({ "ip": ip }))
                    }
                    _ => Err("Invalid input type."),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Kind::ClientLimits => {
            let items = value.as_array().ok_or("Not a valid list.")?;
            items
                .iter()
                .map(|item| match item.get("client_id").and_then(as_int) {
                    Some(id) if item.as_object().is_some_and(|o| o.len() == 1) => {
                        Ok(json!({ "client_id": id }))
                    }
                    _ => Err("Invalid input type."),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Kind::Client => match value {
            Value::Object(_) => Ok(value.clone()),
            _ => Err("Invalid input type."),
        },
    }
}

/// Checks a body; `create` requires the required fields. Gives the
/// converted fields, or the marshmallow-style error list.
fn check(body: &Map<String, Value>, create: bool) -> Result<Map<String, Value>, Response> {
    let mut errors: Vec<(String, &'static str)> = Vec::new();
    let mut fields = Map::new();
    if create {
        for field in REQUIRED {
            if !body.contains_key(*field) {
                errors.push((field.to_string(), MISSING));
            }
        }
    }
    for (field, value) in body {
        let Some((_, kind)) = FIELDS.iter().find(|(f, _)| f == field) else {
            errors.push((field.clone(), "Unknown field."));
            continue;
        };
        if value.is_null() {
            if NOT_NULL.contains(&field.as_str()) {
                errors.push((field.clone(), "Field may not be null."));
            } else {
                fields.insert(field.clone(), Value::Null);
            }
            continue;
        }
        match convert(*kind, value) {
            Ok(converted) => {
                if (field == "name" || field == "passwd")
                    && converted.as_str().is_some_and(str::is_empty)
                {
                    errors.push((field.clone(), "Shorter than minimum length 1."));
                } else {
                    fields.insert(field.clone(), converted);
                }
            }
            Err(message) => errors.push((field.clone(), message)),
        }
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(validation_errors(errors))
    }
}

fn validation_errors(errors: Vec<(String, impl Into<Value>)>) -> Response {
    let list: Vec<Value> = errors
        .into_iter()
        .map(|(field, message)| {
            let mut entry = Map::new();
            entry.insert(field, Value::Array(vec![message.into()]));
            Value::Object(entry)
        })
        .collect();
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error_type": "validation_error", "success": false, "errors": list})),
    )
        .into_response()
}

fn error(status: StatusCode, error_type: &str, message: &str, code: u32, reason: &str) -> Response {
    (
        status,
        Json(json!({
            "error_type": error_type,
            "success": false,
            "error": {"message": message, "code": code, "reason": reason},
        })),
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found_error",
        &format!("{what} not found"),
        404,
        "object_not_found",
    )
}

/// Merges checked fields into a user (and keeps `fullname` in step with the names).
fn merged(user: &User, fields: Map<String, Value>) -> Result<User, String> {
    let names_changed = fields.contains_key("first_name") || fields.contains_key("last_name");
    let fullname_given = fields.contains_key("fullname");
    let mut user = table::merged(user, fields)?;
    if names_changed && !fullname_given {
        let parts: Vec<&str> = [user.first_name.as_deref(), user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        user.fullname = parts.join(" ");
    }
    Ok(user)
}

#[derive(Default)]
struct Store {
    users: Table<User>,
    next_id: NextId,
}

impl Accounts for Store {
    type Row = User;
    const NOUN: &'static str = "user";

    fn table(&self) -> &Table<User> {
        &self.users
    }

    fn table_mut(&mut self) -> &mut Table<User> {
        &mut self.users
    }

    fn insert_raw(&mut self, mut user: User) -> Result<Value, String> {
        if user.name.is_empty() {
            return Err("name is required".into());
        }
        if user.user_id == 0 {
            user.user_id = self.next_id.take();
        } else if user.user_id < self.next_id.peek()
            && self.users.index_of_id(&user.user_id.to_string()).is_none()
        {
            // Ids are kept in insertion order so that pages are slices.
            return Err(format!(
                "user_id {} is below the next free id {}",
                user.user_id,
                self.next_id.peek()
            ));
        }
        if user.create_time.is_empty() {
            user.create_time = timestamp(SystemTime::now());
        }
        self.next_id.past(user.user_id);
        let view = stored_view(&user);
        self.users.insert(user).map_err(|e| e.to_string())?;
        Ok(view)
    }

    /// Stored in user_id order so that pages are slices; new ids come last.
    fn seed_order(rows: &mut [(usize, User)]) {
        rows.sort_by_key(|(_, u)| (u.user_id == 0, u.user_id));
    }
}

/// The simulated DNL.
#[derive(Default)]
pub(crate) struct Dnl {
    state: VendorState<Store>,
}

impl Dnl {
    /// A user as reads return it (sparse or not).
    fn view<'a>(&self, user: &'a User) -> UserView<'a> {
        let sparse = self.state.behaviours().dnl_reads == Reads::Sparse;
        UserView::new(user, sparse)
    }

    fn check_auth(&self, headers: &HeaderMap) -> Result<(), Response> {
        let token = headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let (message, code, reason) = match token.map(|t| self.state.tokens().check(t)) {
            Some(TokenCheck::Valid) => return Ok(()),
            None => (
                "No header X-Auth-Token present",
                110,
                "auth_token_not_provided",
            ),
            Some(TokenCheck::Unknown) => ("Invalid X-Auth-Token", 111, "auth_token_invalid"),
            Some(TokenCheck::Expired) => ("X-Auth-Token expired", 112, "auth_token_expired"),
        };
        Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated_error",
            message,
            code,
            reason,
        ))
    }
}

async fn auth(State(sim): State<Arc<Dnl>>, body: Bytes) -> Reply {
    let body = body_object(&body).ok_or_else(bad_body)?;
    let mut errors = Vec::new();
    for field in ["email_or_name", "password"] {
        match body.get(field) {
            None => errors.push((field.to_string(), MISSING)),
            Some(Value::String(_)) => {}
            Some(_) => errors.push((field.to_string(), "Not a valid string.")),
        }
    }
    let ttl = match body.get("expire_after_minutes") {
        None | Some(Value::Null) => TOKEN_TTL,
        Some(v) => match as_int(v) {
            Some(m) if m > 0 => Duration::from_secs(m as u64 * 60),
            _ => {
                errors.push(("expire_after_minutes".into(), "Not a valid integer."));
                TOKEN_TTL
            }
        },
    };
    if !errors.is_empty() {
        return Err(validation_errors(errors));
    }
    let user = body.get("email_or_name").and_then(Value::as_str);
    let password = body.get("password").and_then(Value::as_str);
    if user != Some(DNL_USER) || password != Some(DNL_PASSWORD) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "operation_error",
            "Wrong email/name or password",
            101,
            "invalid_credentials",
        ));
    }
    let token = sim.state.tokens().issue("dnl", ttl);
    let expired = timestamp(SystemTime::now() + ttl);
    Ok(
        Json(json!({"success": true, "payload": {"token": token, "expired": expired}}))
            .into_response(),
    )
}

fn not_an_integer(field: &str) -> Response {
    validation_errors(vec![(field.to_string(), "Not a valid integer.")])
}

/// A filter of the list query, converted as its field is (`None` when absent).
fn filter(
    query: &HashMap<String, String>,
    field: &str,
    kind: Kind,
) -> Result<Option<Value>, Response> {
    param(query, field)
        .map(|s| {
            convert(kind, &Value::from(s))
                .map_err(|m| validation_errors(vec![(field.to_string(), m)]))
        })
        .transpose()
}

async fn list(
    State(sim): State<Arc<Dnl>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Reply {
    sim.check_auth(&headers)?;
    let behaviours = sim.state.behaviours();
    let page = count_param(&query, "page", 0, not_an_integer)?;
    let per_page = count_param(&query, "per_page", 0, not_an_integer)?;
    let per_page = served_size(
        Some(per_page),
        Honour::Honoured,
        behaviours.dnl_page_default,
        behaviours.dnl_page_cap,
    );
    let user_type = filter(&query, "user_type", Kind::UserType)?;
    let active = filter(&query, "active", Kind::Bool)?;
    let descending = query
        .get("order_dir")
        .is_some_and(|d| d.eq_ignore_ascii_case("desc"));
    let offset = page.saturating_mul(per_page);
    let fault = sim.state.listing().fault;
    let store = sim.state.accounts();
    let rows = store.users.rows();
    // Rows are in user_id order: the listed rows (deactivated ones may be
    // hidden), filtered, in the order asked.
    let listed = listing::listed_rows(rows.len(), |i| rows[i].active, behaviours.dnl_inactive);
    let keep = |i: &usize| {
        let u = &rows[*i];
        user_type
            .as_ref()
            .is_none_or(|t| *t == u.user_type.as_str())
            && active.as_ref().is_none_or(|a| *a == u.active)
    };
    let mut matching: Vec<usize> = listed.into_iter().filter(keep).collect();
    if descending {
        matching.reverse();
    }
    let window = listing::window(fault, matching.len(), offset, per_page);
    let items = listing::render(
        &window.slots,
        |i| sim.view(&rows[matching[i]]),
        listing::retag_number("user_id"),
    );
    let total = behaviours.dnl_total.report(window.total);
    Ok(json_answer(
        StatusCode::OK,
        &Answer {
            success: true,
            payload: Page { items, total, page },
        },
    ))
}

/// A successful answer: `{"success": true, "payload": ...}`.
#[derive(Serialize)]
struct Answer<T> {
    success: bool,
    payload: T,
}

/// The payload of `GET /users`.
#[derive(Serialize)]
struct Page<'a> {
    items: Vec<Listed<UserView<'a>>>,
    total: u64,
    page: usize,
}

/// The row of the user with id `id` (as written in the path).
fn index_of(store: &Store, id: &str) -> Result<usize, Response> {
    let id: Option<u64> = id.trim().parse().ok();
    id.and_then(|id| store.users.index_of_id(&id.to_string()))
        .ok_or_else(|| not_found("User"))
}

async fn get_one(State(sim): State<Arc<Dnl>>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    sim.check_auth(&headers)?;
    let store = sim.state.accounts();
    let user = &store.users.rows()[index_of(&store, &id)?];
    Ok(json_answer(
        StatusCode::OK,
        &Answer {
            success: true,
            payload: sim.view(user),
        },
    ))
}

fn name_taken(name: &str) -> Response {
    validation_errors(vec![(
        "name".to_string(),
        format!("User with name {name:?} already exists."),
    )])
}

fn bad_body() -> Response {
    validation_errors(vec![("_schema".into(), "Invalid input type.")])
}

fn invalid_data(message: impl std::fmt::Display) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "operation_error",
        &message.to_string(),
        400,
        "invalid_data",
    )
}

async fn create(State(sim): State<Arc<Dnl>>, headers: HeaderMap, body: Bytes) -> Reply {
    sim.check_auth(&headers)?;
    let body = body_object(&body).ok_or_else(bad_body)?;
    let fields = check(&body, true)?;
    let mut store = sim.state.accounts();
    let name = fields
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if store.users.index_of_key(name).is_some() {
        return Err(name_taken(name));
    }
    let base = User {
        create_time: timestamp(SystemTime::now()),
        ..User::default()
    };
    let mut user = merged(&base, fields).map_err(invalid_data)?;
    user.user_id = store.next_id.take();
    let object_id = user.user_id;
    store.users.insert(user).map_err(invalid_data)?;
    Ok(Json(json!({"object_id": object_id, "success": true})).into_response())
}

async fn update(
    State(sim): State<Arc<Dnl>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    sim.check_auth(&headers)?;
    let mut store = sim.state.accounts();
    let index = index_of(&store, &id)?;
    let body = body_object(&body).ok_or_else(bad_body)?;
    // `dnl.patch=whole-form`: a server that wants the whole form, as the
    // vendor's UI sends it, refuses a PATCH without name and user_type.
    if sim.state.behaviours().dnl_patch == Patch::WholeForm {
        let missing: Vec<(String, &str)> = ["name", "user_type"]
            .into_iter()
            .filter(|f| body.get(*f).is_none_or(Value::is_null))
            .map(|f| (f.to_string(), MISSING))
            .collect();
        if !missing.is_empty() {
            return Err(validation_errors(missing));
        }
    }
    let fields = check(&body, false)?;
    if let Some(name) = fields.get("name").and_then(Value::as_str) {
        if !store.users.key_free_for(name, index) {
            return Err(name_taken(name));
        }
    }
    let user = merged(&store.users.rows()[index], fields).map_err(invalid_data)?;
    store.users.replace(index, user).map_err(invalid_data)?;
    Ok(Json(json!({"success": true})).into_response())
}

async fn unknown_uri(State(sim): State<Arc<Dnl>>, headers: HeaderMap) -> Reply {
    sim.check_auth(&headers)?;
    Err(not_found("Resource"))
}

async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "operation_error",
        "Method not allowed",
        405,
        "method_not_allowed",
    )
}

impl VendorSim for Dnl {
    fn name(&self) -> &'static str {
        "dnl"
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/auth", post(auth))
            .route("/user/list", get(list))
            .route("/user/create", post(create))
            .route("/user/{id}", get(get_one).patch(update))
            .fallback(unknown_uri)
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self)
    }

    fn control(&self) -> &dyn Control {
        &self.state
    }

    fn fault_response(&self, status: StatusCode) -> Response {
        error(
            status,
            "server_error",
            &format!("{status} (injected by the sandbox)"),
            u32::from(status.as_u16()),
            "injected_fault",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn marshmallow_conversions() {
        let fields = check(
            &obj(json!({"name": "a", "passwd": "p", "user_type": "agent", "role_id": "3", "active": "false"})),
            true,
        )
        .unwrap();
        assert_eq!(fields["role_id"], 3);
        assert_eq!(fields["active"], false);
        assert!(check(&obj(json!({"name": "a"})), true).is_err());
        assert!(check(&obj(json!({"nickname": "a"})), false).is_err());
        assert!(check(&obj(json!({"user_type": "boss"})), false).is_err());
        assert!(check(&obj(json!({})), false).unwrap().is_empty());
    }

    #[test]
    fn fullname_follows_first_and_last_name() {
        let user = merged(
            &User::default(),
            obj(json!({"name": "dnhai", "first_name": "Do", "last_name": "Hai"})),
        )
        .unwrap();
        assert_eq!(user.fullname, "Do Hai");
        let user = merged(&user, obj(json!({"fullname": "Hai D."}))).unwrap();
        assert_eq!(user.fullname, "Hai D.");
    }

    #[test]
    fn reads_leave_out_the_write_only_fields_and_in_sparse_mode_the_names() {
        let user: User = serde_json::from_value(json!({
            "user_id": 7, "name": "dnhai", "passwd": "p", "first_name": "Do",
            "auth_ip": [{"ip": "10.0.0.1"}], "client_limits": [{"client_id": 1}],
            "client": {"x": 1}
        }))
        .unwrap();
        let without = |fields: &[&str]| {
            let mut expected = stored_view(&user);
            let map = expected.as_object_mut().unwrap();
            for field in fields {
                map.shift_remove(*field);
            }
            expected.to_string()
        };
        let write_only = ["auth_ip", "client_limits", "client"];
        let full = serde_json::to_value(UserView::new(&user, false)).unwrap();
        assert_eq!(full.to_string(), without(&write_only));
        assert_eq!(full["first_name"], "Do");
        assert_eq!(full["last_name"], Value::Null);
        let sparse = serde_json::to_value(UserView::new(&user, true)).unwrap();
        let names = ["first_name", "last_name", "avatar_id"];
        assert_eq!(
            sparse.to_string(),
            without(&[&write_only[..], &names].concat())
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc_seconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn seeded_ids_must_keep_the_order() {
        let sim = Dnl::default().state;
        sim.load(&[
            json!({"user_id": 10, "name": "a"}),
            json!({"user_id": 3, "name": "c"}),
        ])
        .unwrap();
        let stored = sim.snapshot();
        let names: Vec<&str> = stored.iter().filter_map(|u| u["name"].as_str()).collect();
        assert_eq!(names, ["c", "a"], "seeds are stored in user_id order");
        assert!(sim
            .create_raw(&json!({"user_id": 5, "name": "b"}))
            .unwrap_err()
            .contains("below the next free id"));
        assert!(sim
            .create_raw(&json!({"user_id": 10, "name": "b"}))
            .unwrap_err()
            .contains("already exists"));
        assert_eq!(
            sim.create_raw(&json!({"name": "b"})).unwrap()["user_id"],
            11
        );
        let duplicate = sim.load(&[
            json!({"user_id": 4, "name": "a"}),
            json!({"user_id": 4, "name": "b"}),
        ]);
        assert_eq!(
            duplicate.unwrap_err(),
            "user #2: an account with id \"4\" already exists"
        );
    }
}
