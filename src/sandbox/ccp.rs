//! Simulated CCP (TEL4VN Pitel Call Center v3) users API (`/ccp/v3/...`).
//!
//! `POST /v3/auth/token {"api_key"}` gives a Bearer token (24 h; `expired_in`
//! is in seconds). `GET /v3/user?limit&offset` (`{"data","limit","offset","total"}`,
//! limit 10 by default, at most 100), `GET /v3/user/{uuid}` (bare object),
//! `POST /v3/user` (200 `{"created":true,"user_uuid"}`), `PUT /v3/user/{uuid}`
//! (full body with password and confirm_password; `{"extension_uuid","user_uuid"}`).
//!
//! Validation answers 400 `{"error":[{"<field>":"<message>"}]}` with the
//! JSON-schema messages of the vendor's page; a missing required string is
//! checked as an empty one (as the page's password example shows). Other
//! errors are `{"error":"<message>"}`. As with the vendor's Go binding, fields
//! it does not know are ignored. A PUT replaces the documented fields (an
//! absent optional one is cleared); `last_name`/`middle_name` change only when
//! sent. `is_active` is stored as `user_enabled` and read back as "true"/"false".

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Map, Value};

use super::behaviour::{served_size, Honour, Unsent};
use super::listing::{self, Listed};
use super::table::{
    body_object, count_param, json_answer, json_type, row, stored_view, Conflict, Password, Reply,
    Table, TokenCheck,
};
use super::vendor::{Accounts, Control, VendorState};
use super::{VendorSim, CCP_API_KEY, TOKEN_TTL};

/// The pattern the vendor checks usernames against, as its messages print it.
const USERNAME_PATTERN_TEXT: &str = r"^[a-zA-Z0-9\s.\-\_]+$";
/// The same pattern in `regex` syntax.
const USERNAME_PATTERN: &str = r"^[a-zA-Z0-9\s.\-_]+$";
const MIN_LENGTH: &str = "String length must be greater than or equal to 1";
/// The sandbox's tenant.
const DOMAIN_UUID: &str = "5a1c4d0e-0000-4000-8000-00000000ccp0";
const API_USER_UUID: &str = "5a1c4d0e-0000-4000-8000-0000000api00";

/// The four user levels of the vendor's portal guide (phamhieptel4vn/api-docs,
/// `portal_callcenter_guide/user.md`), lower case as its import sheet requires.
const LEVELS: &[&str] = &["admin", "manager", "leader", "agent"];

fn username_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(USERNAME_PATTERN).unwrap_or_else(|_| unreachable!()))
}

/// A stored user, in CCP's field names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct User {
    user_uuid: String,
    domain_uuid: String,
    username: String,
    api_key: String,
    first_name: String,
    middle_name: String,
    last_name: String,
    email: String,
    /// Written as `is_active`, read as the string "true"/"false".
    #[serde(
        alias = "is_active",
        serialize_with = "ser_string_bool",
        deserialize_with = "de_string_bool"
    )]
    user_enabled: bool,
    user_status: String,
    level: String,
    role_uuid: String,
    role_name: String,
    group_name: String,
    enable_webrtc: bool,
    extension: String,
    extension_uuid: String,
    password: Password,
}

impl Default for User {
    fn default() -> Self {
        Self {
            user_uuid: String::new(),
            domain_uuid: DOMAIN_UUID.into(),
            username: String::new(),
            api_key: String::new(),
            first_name: String::new(),
            middle_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            user_enabled: true,
            user_status: "Logged Out".into(),
            level: "agent".into(),
            role_uuid: String::new(),
            role_name: String::new(),
            group_name: String::new(),
            enable_webrtc: false,
            extension: String::new(),
            extension_uuid: String::new(),
            password: Password::default(),
        }
    }
}

fn ser_string_bool<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *value { "true" } else { "false" })
}

fn de_string_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Str(String),
    }
    match B::deserialize(d)? {
        B::Bool(b) => Ok(b),
        B::Str(s) if s == "true" => Ok(true),
        B::Str(s) if s == "false" => Ok(false),
        B::Str(s) => Err(serde::de::Error::custom(format!(
            "expected \"true\" or \"false\", not {s:?}"
        ))),
    }
}

row!(User, password: password, id: user_uuid, key: username);

/// A user as `GET` returns it: every stored field but `extension_uuid` and
/// the password, then `groups` and `campaigns`, always `null` (as in the
/// page's example).
#[derive(Serialize)]
struct UserView<'a> {
    user_uuid: &'a str,
    domain_uuid: &'a str,
    username: &'a str,
    api_key: &'a str,
    first_name: &'a str,
    middle_name: &'a str,
    last_name: &'a str,
    email: &'a str,
    #[serde(serialize_with = "ser_string_bool")]
    user_enabled: bool,
    user_status: &'a str,
    level: &'a str,
    role_uuid: &'a str,
    role_name: &'a str,
    group_name: &'a str,
    enable_webrtc: bool,
    extension: &'a str,
    groups: Option<Vec<String>>,
    campaigns: Option<Vec<String>>,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(u: &'a User) -> Self {
        UserView {
            user_uuid: &u.user_uuid,
            domain_uuid: &u.domain_uuid,
            username: &u.username,
            api_key: &u.api_key,
            first_name: &u.first_name,
            middle_name: &u.middle_name,
            last_name: &u.last_name,
            email: &u.email,
            user_enabled: u.user_enabled,
            user_status: &u.user_status,
            level: &u.level,
            role_uuid: &u.role_uuid,
            role_name: &u.role_name,
            group_name: &u.group_name,
            enable_webrtc: u.enable_webrtc,
            extension: &u.extension,
            groups: None,
            campaigns: None,
        }
    }
}

/// A page of `GET /v3/user`.
#[derive(Serialize)]
struct Page<'a> {
    data: Vec<Listed<UserView<'a>>>,
    limit: usize,
    offset: usize,
    total: u64,
}

#[derive(Default)]
struct Store {
    users: Table<User>,
    /// role_uuid -> role_name, learned from seeded and edited users.
    roles: HashMap<String, String>,
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
        if user.username.is_empty() {
            return Err("username is required".into());
        }
        if user.user_uuid.is_empty() {
            user.user_uuid = uuid::Uuid::new_v4().to_string();
        }
        self.learn_role(&user);
        let view = stored_view(&user);
        self.users.insert(user).map_err(|e| e.to_string())?;
        Ok(view)
    }

    /// An edited user may carry a role not seen before.
    fn edited(&mut self, index: usize) {
        if let Some(user) = self.users.get(index).cloned() {
            self.learn_role(&user);
        }
    }
}

impl Store {
    fn learn_role(&mut self, user: &User) {
        if !user.role_uuid.is_empty() && !user.role_name.is_empty() {
            self.roles
                .insert(user.role_uuid.clone(), user.role_name.clone());
        }
    }

    fn role_name(&self, role_uuid: &str) -> String {
        self.roles.get(role_uuid).cloned().unwrap_or_default()
    }

    /// The lowest number from 100 up that no user holds as its extension
    /// (how the vendor numbers is not documented).
    fn free_extension(&self) -> String {
        let taken: std::collections::HashSet<&str> = self
            .users
            .rows()
            .iter()
            .map(|u| u.extension.as_str())
            .collect();
        (100u64..)
            .map(|n| n.to_string())
            .find(|n| !taken.contains(n.as_str()))
            .unwrap_or_default()
    }
}

/// The simulated CCP.
#[derive(Default)]
pub(crate) struct Ccp {
    state: VendorState<Store>,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn field_errors(errors: Vec<(&'static str, String)>) -> Response {
    let list: Vec<Value> = errors
        .into_iter()
        .map(|(field, message)| {
            let mut entry = Map::new();
            entry.insert(field.to_string(), Value::String(message));
            Value::Object(entry)
        })
        .collect();
    (StatusCode::BAD_REQUEST, Json(json!({ "error": list }))).into_response()
}

impl Ccp {
    fn check_auth(&self, headers: &HeaderMap) -> Result<(), Response> {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        else {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "authorization token is required",
            ));
        };
        let token = match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => value,
        };
        match self.state.tokens().check(token) {
            TokenCheck::Valid => Ok(()),
            TokenCheck::Expired => Err(error(StatusCode::UNAUTHORIZED, "token is expired")),
            TokenCheck::Unknown => Err(error(StatusCode::UNAUTHORIZED, "token is invalid")),
        }
    }
}

/// Checks a user body and writes it over `user`: a full replace of the
/// documented fields (`last_name` and `middle_name` only when sent). Gives
/// the body's `user_uuid`, if any.
fn check_user(
    body: &Map<String, Value>,
    user: &mut User,
    store: &Store,
    blank_unsent: bool,
) -> Result<Option<String>, Response> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let wrong_type = |expected: &str, given: &Value| {
        format!(
            "Invalid type. Expected: {expected}, given: {}",
            json_type(given)
        )
    };
    // An optional string: absent or null is `None`, and so is a wrong type
    // (with its error).
    let optional =
        |field: &'static str, errors: &mut Vec<(&'static str, String)>| match body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                errors.push((field, wrong_type("string", other)));
                None
            }
        };
    // A string checked as an empty one when absent; `None` for a wrong type.
    let string =
        |field: &'static str, errors: &mut Vec<(&'static str, String)>| match body.get(field) {
            None | Some(Value::Null) => Some(String::new()),
            Some(_) => optional(field, errors),
        };
    let username = string("username", &mut errors);
    if let Some(u) = &username {
        if u.is_empty() {
            errors.push(("username", MIN_LENGTH.into()));
        }
        if !username_regex().is_match(u) {
            errors.push((
                "username",
                format!("Does not match pattern '{USERNAME_PATTERN_TEXT}'"),
            ));
        }
    }
    let level = string("level", &mut errors);
    if let Some(l) = &level {
        if l.is_empty() {
            errors.push(("level", MIN_LENGTH.into()));
        } else if !LEVELS.contains(&l.as_str()) {
            errors.push((
                "level",
                "Must be one of the following: \"admin\", \"manager\", \"leader\", \"agent\""
                    .into(),
            ));
        }
    }
    let required = |field: &'static str, errors: &mut Vec<(&'static str, String)>| {
        let value = string(field, errors);
        if value.as_deref() == Some("") {
            errors.push((field, MIN_LENGTH.into()));
        }
        value
    };
    let role_uuid = required("role_uuid", &mut errors);
    let password = required("password", &mut errors);
    // Required (the vendor's table), but never compared with `password`:
    // the vendor's own create example sends a different one, and no
    // document names a check.
    required("confirm_password", &mut errors);
    let email = string("email", &mut errors);
    let first_name = string("first_name", &mut errors);
    let extension = string("extension", &mut errors);
    let last_name = optional("last_name", &mut errors);
    let middle_name = optional("middle_name", &mut errors);
    let user_uuid = optional("user_uuid", &mut errors);
    let boolean =
        |field: &'static str, default: bool, errors: &mut Vec<(&'static str, String)>| match body
            .get(field)
        {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                errors.push((field, wrong_type("boolean", other)));
                default
            }
        };
    let is_create_extension = boolean("is_create_extension", false, &mut errors);
    let is_active = boolean("is_active", true, &mut errors);
    let enable_webrtc = boolean("enable_webrtc", false, &mut errors);
    if !errors.is_empty() {
        return Err(field_errors(errors));
    }
    let role_uuid = role_uuid.unwrap_or_default();
    if user.role_uuid != role_uuid {
        user.role_name = store.role_name(&role_uuid);
    }
    let mut extension = extension.unwrap_or_default();
    if is_create_extension && extension.is_empty() {
        // The portal guide: "create extension" with no number given, and
        // the system generates one.
        extension = store.free_extension();
    }
    if extension.is_empty() {
        user.extension_uuid.clear();
    } else if extension != user.extension || user.extension_uuid.is_empty() {
        user.extension_uuid = uuid::Uuid::new_v4().to_string();
    }
    user.username = username.unwrap_or_default();
    user.level = level.unwrap_or_default();
    user.role_uuid = role_uuid;
    user.password = Password(password.unwrap_or_default());
    user.email = email.unwrap_or_default();
    user.first_name = first_name.unwrap_or_default();
    match last_name {
        Some(v) => user.last_name = v,
        None if blank_unsent => user.last_name.clear(),
        None => {}
    }
    match middle_name {
        Some(v) => user.middle_name = v,
        None if blank_unsent => user.middle_name.clear(),
        None => {}
    }
    user.extension = extension;
    user.user_enabled = is_active;
    user.enable_webrtc = enable_webrtc;
    Ok(user_uuid)
}

fn bad_body() -> Response {
    error(StatusCode::BAD_REQUEST, "invalid request body")
}

async fn token(State(sim): State<Arc<Ccp>>, body: Bytes) -> Reply {
    let body = body_object(&body).ok_or_else(bad_body)?;
    if body.get("api_key").and_then(Value::as_str) != Some(CCP_API_KEY) {
        return Err(error(StatusCode::UNAUTHORIZED, "api_key is invalid"));
    }
    let token = sim.state.tokens().issue("ccp", TOKEN_TTL);
    Ok(Json(json!({
        "client_id": "sandbox",
        "domain_uuid": DOMAIN_UUID,
        "expired_in": TOKEN_TTL.as_secs(),
        "refresh_token": "",
        "token": token,
        "token_type": "Bearer",
        "user_id": API_USER_UUID,
    }))
    .into_response())
}

fn invalid_count(field: &str) -> Response {
    error(StatusCode::BAD_REQUEST, &format!("{field} is invalid"))
}

async fn list(
    State(sim): State<Arc<Ccp>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Reply {
    sim.check_auth(&headers)?;
    let behaviours = sim.state.behaviours();
    let request = sim.state.next_list_request();
    let limit = count_param(&query, "limit", 0, invalid_count)?;
    let offset = count_param(&query, "offset", 0, invalid_count)?;
    let limit = served_size(
        Some(limit),
        Honour::Honoured,
        behaviours.ccp_page_default,
        behaviours.ccp_page_cap,
    );
    let fault = sim.state.listing().fault;
    let store = sim.state.accounts();
    let rows = store.users.rows();
    let listed = listing::arranged_rows(
        rows.len(),
        |i| rows[i].user_enabled,
        behaviours.ccp_inactive,
        behaviours.ccp_order,
        request,
    );
    let window = listing::window(fault, listed.len(), offset, limit);
    let data = listing::render(
        &window.slots,
        |i| UserView::from(&rows[listed[i]]),
        twin_uuid,
    );
    Ok(json_answer(
        StatusCode::OK,
        &Page {
            data,
            limit,
            offset,
            total: behaviours.ccp_total.report(window.total),
        },
    ))
}

/// A listed twin's `user_uuid`: its row's, with the first group set to f.
fn twin_uuid(user: &mut Map<String, Value>) {
    if let Some(Value::String(uuid)) = user.get_mut("user_uuid") {
        let rest = uuid.get(8..).unwrap_or_default().to_string();
        *uuid = format!("ffffffff{rest}");
    }
}

/// The row of the user with `uuid`.
fn index_of(store: &Store, uuid: &str) -> Result<usize, Response> {
    store
        .users
        .index_of_id(uuid)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "user not found"))
}

async fn get_one(
    State(sim): State<Arc<Ccp>>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Reply {
    sim.check_auth(&headers)?;
    let store = sim.state.accounts();
    let user = &store.users.rows()[index_of(&store, &uuid)?];
    Ok(json_answer(StatusCode::OK, &UserView::from(user)))
}

fn username_exists() -> Response {
    error(StatusCode::BAD_REQUEST, "username is exists")
}

fn refused(e: Conflict) -> Response {
    error(StatusCode::BAD_REQUEST, &e.to_string())
}

async fn create(State(sim): State<Arc<Ccp>>, headers: HeaderMap, body: Bytes) -> Reply {
    sim.check_auth(&headers)?;
    let body = body_object(&body).ok_or_else(bad_body)?;
    let mut store = sim.state.accounts();
    let mut user = User {
        user_uuid: uuid::Uuid::new_v4().to_string(),
        ..User::default()
    };
    check_user(&body, &mut user, &store, false)?;
    if store.users.index_of_key(&user.username).is_some() {
        return Err(username_exists());
    }
    let user_uuid = user.user_uuid.clone();
    store.users.insert(user).map_err(refused)?;
    Ok(Json(json!({"created": true, "user_uuid": user_uuid})).into_response())
}

async fn update(
    State(sim): State<Arc<Ccp>>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Reply {
    sim.check_auth(&headers)?;
    let mut store = sim.state.accounts();
    let index = index_of(&store, &uuid)?;
    let body = body_object(&body).ok_or_else(bad_body)?;
    let mut user = store.users.rows()[index].clone();
    // `ccp.put_unsent=blanked`: a PUT that replaces the whole record clears
    // `last_name` and `middle_name` when the body leaves them out.
    let blank_unsent = sim.state.behaviours().ccp_put_unsent == Unsent::Blanked;
    if check_user(&body, &mut user, &store, blank_unsent)?.is_some_and(|u| u != uuid) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "user_uuid does not match the user in the path",
        ));
    }
    if !store.users.key_free_for(&user.username, index) {
        return Err(username_exists());
    }
    let response = json!({"extension_uuid": user.extension_uuid, "user_uuid": user.user_uuid});
    store.users.replace(index, user).map_err(refused)?;
    Ok(Json(response).into_response())
}

async fn unknown_uri(State(sim): State<Arc<Ccp>>, headers: HeaderMap) -> Reply {
    sim.check_auth(&headers)?;
    Err(error(StatusCode::NOT_FOUND, "not found"))
}

async fn method_not_allowed() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

impl VendorSim for Ccp {
    fn name(&self) -> &'static str {
        "ccp"
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/v3/auth/token", post(token))
            .route("/v3/user", get(list).post(create))
            .route("/v3/user/{uuid}", get(get_one).put(update))
            .fallback(unknown_uri)
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self)
    }

    fn control(&self) -> &dyn Control {
        &self.state
    }

    fn fault_response(&self, status: StatusCode) -> Response {
        error(status, &format!("{status} (injected by the sandbox)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_enabled_reads_back_as_a_string_and_is_active_seeds_it() {
        let user: User =
            serde_json::from_value(json!({"username": "a", "is_active": false})).unwrap();
        assert!(!user.user_enabled);
        let view = serde_json::to_value(UserView::from(&user)).unwrap();
        assert_eq!(view["user_enabled"], "false");
        // A read is the stored user without extension_uuid, in order, then
        // the two members the page's example shows as null.
        let mut expected = stored_view(&user);
        let map = expected.as_object_mut().unwrap();
        map.shift_remove("extension_uuid");
        map.insert("groups".into(), Value::Null);
        map.insert("campaigns".into(), Value::Null);
        assert_eq!(view.to_string(), expected.to_string());
        let user: User =
            serde_json::from_value(json!({"username": "a", "user_enabled": "true"})).unwrap();
        assert!(user.user_enabled);
    }

    #[test]
    fn the_username_pattern_matches_the_documented_one() {
        let re = username_regex();
        assert!(re.is_match("AgentSale03"));
        assert!(re.is_match("agent.sale-03_x y"));
        assert!(!re.is_match("agent@sale"));
        assert!(!re.is_match(""));
    }
}
