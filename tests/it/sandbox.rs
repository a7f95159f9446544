//! The sandbox against the vendors' documents: the seed pages' examples,
//! the documented errors, paging, faults, the control API and the binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use headcount::sandbox::{
    FaultKind, FaultSettings, Sandbox, SandboxOptions, ScheduledFault, Seed, CCP_API_KEY,
    DNL_PASSWORD, DNL_USER, THULIUM_PASSWORD, THULIUM_USER,
};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn start(seed: Seed) -> Sandbox {
    Sandbox::start(SandboxOptions {
        seed,
        ..SandboxOptions::default()
    })
    .await
    .unwrap()
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

// ---------------------------------------------------------------- Thulium

/// The request body of the Thulium "POST agents" page.
fn thulium_seed_body() -> Value {
    json!({"name":"Jan","surname":"Kowalski","login":"jkowalski","email":"jk@foo.bar","password":"pass","number":"345","roles":[1,2]})
}

async fn thulium(
    c: &Client,
    sb: &Sandbox,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = c
        .request(method, format!("{}{path}", sb.thulium_url()))
        .basic_auth(THULIUM_USER, Some(THULIUM_PASSWORD));
    if let Some(b) = body {
        req = req.json(&b);
    }
    body_of(req).await
}

async fn body_of(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    body(req.send().await.unwrap()).await
}

fn assert_thulium_error(value: &Value) {
    assert!(value["request_id"].is_string(), "{value}");
    let errors = value["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    for e in errors {
        assert!(e["message"].is_string() && e["code"].is_number(), "{value}");
    }
}

#[tokio::test]
async fn thulium_replays_the_post_agents_page_and_reads_back_the_documented_fields() {
    let sb = start(Seed::default()).await;
    let c = client();
    let (status, created) = thulium(
        &c,
        &sb,
        reqwest::Method::POST,
        "/api/agents",
        Some(thulium_seed_body()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        created["agent_id"].is_string(),
        "agent_id is a string as documented"
    );
    assert_eq!(created["agent_login"], "jkowalski");

    let (status, agent) =
        thulium(&c, &sb, reqwest::Method::GET, "/api/agents/jkowalski", None).await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&str> = agent
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "agent_id",
            "login",
            "name",
            "surname",
            "email",
            "active",
            "number",
            "outbound_mode",
            "group_id"
        ]
    );
    assert_eq!(agent["number"], 345, "number reads back as an integer");
    assert_eq!(agent["active"], true);
    assert_eq!(agent["outbound_mode"], "manual");
    assert_eq!(
        agent["agent_id"].as_u64().unwrap().to_string(),
        created["agent_id"]
    );

    let (status, list) = thulium(&c, &sb, reqwest::Method::GET, "/api/agents", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1, "a bare array");
    assert_eq!(list[0], agent);
    assert_eq!(
        sb.password_matches("thulium", "jkowalski", "pass").unwrap(),
        Some(true)
    );
    assert_eq!(
        sb.account("thulium", "jkowalski").unwrap().unwrap()["roles"],
        json!([1, 2])
    );

    // PUT is partial and answers 204 with no body.
    let (status, empty) = thulium(
        &c,
        &sb,
        reqwest::Method::PUT,
        "/api/agents/jkowalski",
        Some(json!({"active": false, "number": "777"})),
    )
    .await;
    assert_eq!((status, empty), (StatusCode::NO_CONTENT, Value::Null));
    let (_, agent) = thulium(&c, &sb, reqwest::Method::GET, "/api/agents/jkowalski", None).await;
    assert_eq!(
        (agent["active"].clone(), agent["number"].clone()),
        (json!(false), json!(777))
    );
    assert_eq!(agent["name"], "Jan", "fields left out are kept");
}

#[tokio::test]
async fn thulium_refuses_bad_auth_bad_bodies_duplicates_and_unknown_agents() {
    let sb = start(Seed::default()).await;
    let c = client();
    let url = format!("{}/api/agents", sb.thulium_url());
    let (status, value) = body_of(c.get(&url)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_thulium_error(&value);
    let (status, _) = body_of(c.get(&url).basic_auth(THULIUM_USER, Some("wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = body_of(c.get(format!("{}/api/nothing", sb.thulium_url()))).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "auth comes before routing"
    );

    let post = |b: Value| thulium(&c, &sb, reqwest::Method::POST, "/api/agents", Some(b));
    let (status, value) = post(json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_thulium_error(&value);
    let messages = value["errors"].to_string();
    for field in ["name", "surname", "login", "password", "number"] {
        assert!(
            messages.contains(&format!("'{field}'")),
            "{field} missing from {messages}"
        );
    }
    for (field, bad) in [
        ("language", json!("de")),
        ("outbound_mode", json!("predictive")),
        ("active", json!("yes")),
        ("roles", json!(["admin"])),
        ("number", json!("12a")),
    ] {
        let mut b = thulium_seed_body();
        b[field] = bad;
        let (status, value) = post(b).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        assert!(value["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(field));
    }
    assert_eq!(sb.count("thulium").unwrap(), 0);
    assert_eq!(post(thulium_seed_body()).await.0, StatusCode::CREATED);
    let (status, value) = post(thulium_seed_body()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "duplicate login");
    assert_thulium_error(&value);
    assert_eq!(sb.count("thulium").unwrap(), 1);

    for (method, path) in [
        (reqwest::Method::GET, "/api/agents/nobody"),
        (reqwest::Method::PUT, "/api/agents/nobody"),
        (reqwest::Method::GET, "/api/unknown"),
    ] {
        let (status, value) = thulium(&c, &sb, method, path, Some(json!({"active": true}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_thulium_error(&value);
    }
    let (status, _) = thulium(
        &c,
        &sb,
        reqwest::Method::PUT,
        "/api/agents/jkowalski",
        Some(json!({"language": "xx"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = thulium(
        &c,
        &sb,
        reqwest::Method::DELETE,
        "/api/agents/jkowalski",
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::METHOD_NOT_ALLOWED,
        "no DELETE is published"
    );
    assert_eq!(sb.count("thulium").unwrap(), 1);
}

// ---------------------------------------------------------------- CCP

async fn ccp_token(c: &Client, sb: &Sandbox) -> String {
    let (status, value) = body_of(
        c.post(format!("{}/v3/auth/token", sb.ccp_url()))
            .json(&json!({"api_key": CCP_API_KEY})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    value["token"].as_str().unwrap().to_string()
}

/// The body of the CCP "Edit User" page.
fn ccp_seed_body(uuid: &str) -> Value {
    json!({
        "user_uuid": uuid,
        "username": "AgentSale03",
        "email": "AgentSale03@demo-ccp.com",
        "level": "agent",
        "role_uuid": "e40292d3-4707-40e5-a7f2-xz044d3d639757",
        "password": "Password@2023!!!",
        "confirm_password": "Password@2023!!!",
        "first_name": "AgentSale03",
        "extension": "103",
        "is_create_extension": true,
        "is_active": true,
        "enable_webrtc": false
    })
}

fn without(mut v: Value, field: &str) -> Value {
    v.as_object_mut().unwrap().remove(field);
    v
}

#[tokio::test]
async fn ccp_replays_the_edit_user_page_and_its_error_examples() {
    let sb = start(Seed::default()).await;
    let c = client();
    let (status, auth) = body_of(
        c.post(format!("{}/v3/auth/token", sb.ccp_url()))
            .json(&json!({"api_key": CCP_API_KEY})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&str> = auth
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "client_id",
            "domain_uuid",
            "expired_in",
            "refresh_token",
            "token",
            "token_type",
            "user_id"
        ]
    );
    assert_eq!(auth["token_type"], "Bearer");
    let token = auth["token"].as_str().unwrap().to_string();
    let users = format!("{}/v3/user", sb.ccp_url());

    let create = without(ccp_seed_body(""), "user_uuid");
    let (status, created) = body_of(c.post(&users).bearer_auth(&token).json(&create)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["created"], true);
    let uuid = created["user_uuid"].as_str().unwrap().to_string();

    let (status, edited) = body_of(
        c.put(format!("{users}/{uuid}"))
            .bearer_auth(&token)
            .json(&ccp_seed_body(&uuid)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(edited["user_uuid"], uuid);
    assert!(!edited["extension_uuid"].as_str().unwrap().is_empty());

    let (status, user) = body_of(c.get(format!("{users}/{uuid}")).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK, "a bare object");
    assert_eq!(user["username"], "AgentSale03");
    assert_eq!(user["user_enabled"], "true", "a string");
    assert_eq!(user["extension"], "103");
    assert_eq!(user["enable_webrtc"], false);
    for field in [
        "user_uuid",
        "first_name",
        "last_name",
        "email",
        "level",
        "role_uuid",
        "role_name",
    ] {
        assert!(user.get(field).is_some(), "{field}");
    }
    assert!(user.get("password").is_none() && user.get("confirm_password").is_none());

    // The page's two error examples.
    let mut bad = ccp_seed_body(&uuid);
    bad["username"] = json!("");
    let (status, value) = body_of(
        c.put(format!("{users}/{uuid}"))
            .bearer_auth(&token)
            .json(&bad),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        value,
        json!({"error": [
            {"username": "String length must be greater than or equal to 1"},
            {"username": "Does not match pattern '^[a-zA-Z0-9\\s.\\-\\_]+$'"}
        ]})
    );
    let no_password = without(
        without(ccp_seed_body(&uuid), "password"),
        "confirm_password",
    );
    let (status, value) = body_of(
        c.put(format!("{users}/{uuid}"))
            .bearer_auth(&token)
            .json(&no_password),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an edit needs the password"
    );
    assert_eq!(
        value["error"][0],
        json!({"password": "String length must be greater than or equal to 1"})
    );
    let (status, value) = body_of(
        c.put(format!("{users}/{uuid}"))
            .bearer_auth(&token)
            .json(&without(ccp_seed_body(&uuid), "confirm_password")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        value["error"][0],
        json!({"confirm_password": "String length must be greater than or equal to 1"})
    );

    // Deactivating goes through is_active and reads back as "false".
    let mut off = ccp_seed_body(&uuid);
    off["is_active"] = json!(false);
    assert_eq!(
        body_of(
            c.put(format!("{users}/{uuid}"))
                .bearer_auth(&token)
                .json(&off)
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, user) = body_of(c.get(format!("{users}/{uuid}")).bearer_auth(&token)).await;
    assert_eq!(user["user_enabled"], "false");
}

/// The vendor's own create example (callcenter/user.md) sends a
/// `confirm_password` that differs from `password`, and `is_create_extension`;
/// the portal guide names four levels and says that a user created with an
/// extension asked for and no number gets one generated.
#[tokio::test]
async fn ccp_takes_the_vendors_own_create_example_four_levels_and_generates_extensions() {
    let sb = start(Seed::default()).await;
    let c = client();
    let users = format!("{}/v3/user", sb.ccp_url());
    let token = ccp_token(&c, &sb).await;
    let example = json!({
        "username": "UserTest01", "email": "", "level": "agent",
        "role_uuid": "34272d8f-5aa2-4a97-ae9a-be20d499dc2a",
        "password": "User01231##1", "confirm_password": "UserTest",
        "first_name": "UserTest", "extension": "214", "is_create_extension": true,
        "is_active": true, "enable_webrtc": false
    });
    let (status, value) = body_of(c.post(&users).bearer_auth(&token).json(&example)).await;
    assert_eq!(status, StatusCode::OK, "{value}");
    assert_eq!(value["created"], true);
    for (username, level) in [
        ("Boss01", "manager"),
        ("Lead01", "leader"),
        ("Admin01", "admin"),
    ] {
        let mut body = example.clone();
        body["username"] = json!(username);
        body["level"] = json!(level);
        body["extension"] = json!("");
        let (status, value) = body_of(c.post(&users).bearer_auth(&token).json(&body)).await;
        assert_eq!(status, StatusCode::OK, "{level}: {value}");
    }
    let (_, list) = body_of(c.get(&users).query(&[("limit", "10")]).bearer_auth(&token)).await;
    let held: Vec<(String, String, String)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let text = |f: &str| u[f].as_str().unwrap_or_default().to_string();
            (text("username"), text("level"), text("extension"))
        })
        .collect();
    let extensions: std::collections::HashSet<&str> =
        held.iter().map(|(_, _, e)| e.as_str()).collect();
    assert_eq!(
        extensions.len(),
        4,
        "every user has an extension of its own: {held:?}"
    );
    assert!(!extensions.contains(""), "{held:?}");
    let levels: Vec<&str> = held.iter().map(|(_, l, _)| l.as_str()).collect();
    assert_eq!(levels, ["agent", "manager", "leader", "admin"]);
}

#[tokio::test]
async fn ccp_refuses_bad_keys_tokens_bodies_duplicates_and_unknown_users() {
    let sb = start(Seed::default()).await;
    let c = client();
    let users = format!("{}/v3/user", sb.ccp_url());
    let (status, value) = body_of(
        c.post(format!("{}/v3/auth/token", sb.ccp_url()))
            .json(&json!({"api_key": "wrong"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(value["error"].is_string());
    let (status, value) = body_of(c.get(&users)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(value["error"].is_string());
    assert_eq!(
        body_of(c.get(&users).bearer_auth("forged")).await.0,
        StatusCode::UNAUTHORIZED
    );

    let token = ccp_token(&c, &sb).await;
    let create = without(ccp_seed_body(""), "user_uuid");
    for (field, bad, message) in [
        (
            "level",
            json!("boss"),
            "Must be one of the following: \"admin\", \"manager\", \"leader\", \"agent\"",
        ),
        (
            "username",
            json!("agent@sale"),
            "Does not match pattern '^[a-zA-Z0-9\\s.\\-\\_]+$'",
        ),
        (
            "role_uuid",
            json!(""),
            "String length must be greater than or equal to 1",
        ),
    ] {
        let mut b = create.clone();
        b[field] = bad;
        let (status, value) = body_of(c.post(&users).bearer_auth(&token).json(&b)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(value["error"][0][field], message, "{value}");
    }
    assert_eq!(sb.count("ccp").unwrap(), 0);
    assert_eq!(
        body_of(c.post(&users).bearer_auth(&token).json(&create))
            .await
            .0,
        StatusCode::OK
    );
    let (status, value) = body_of(c.post(&users).bearer_auth(&token).json(&create)).await;
    assert_eq!(
        (status, value),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "username is exists"})
        )
    );
    let (status, value) = body_of(c.get(format!("{users}/no-such-uuid")).bearer_auth(&token)).await;
    assert_eq!(
        (status, value),
        (StatusCode::NOT_FOUND, json!({"error": "user not found"}))
    );
    let (status, _) = body_of(
        c.put(format!("{users}/no-such-uuid"))
            .bearer_auth(&token)
            .json(&create),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let uuid = sb.account("ccp", "AgentSale03").unwrap().unwrap()["user_uuid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        body_of(c.delete(format!("{users}/{uuid}")).bearer_auth(&token))
            .await
            .0,
        StatusCode::METHOD_NOT_ALLOWED,
        "no DELETE is published"
    );

    // Tokens expire: the client's refresh-on-401 can be exercised.
    assert_eq!(sb.expire_tokens(), 1);
    let (status, value) = body_of(c.get(&users).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(value["error"].as_str().unwrap().contains("expired"));
    let fresh = ccp_token(&c, &sb).await;
    assert_eq!(
        body_of(c.get(&users).bearer_auth(&fresh)).await.0,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- DNL

async fn dnl_token(c: &Client, sb: &Sandbox) -> String {
    let (status, value) = body_of(
        c.post(format!("{}/auth", sb.dnl_url()))
            .json(&json!({"email_or_name": DNL_USER, "password": DNL_PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value["success"], true);
    assert!(value["payload"]["expired"].is_string());
    value["payload"]["token"].as_str().unwrap().to_string()
}

/// The curl example of the DNL "Create User" page (its `\t` are tabs).
const DNL_EXAMPLE: &str = "{ \t\"passwd\": \"12345678\", \t \"user_type\": \"agent\",\t\"landing_page\": \"string\", \t\"first_name\": \"string\", \t\"active\": true, \t\"default_mod2\": \"string\", \t\"report_group\": true, \t\"card_id\": 0, \t\"show_carrier_trunk_drop_only\": true, \t\"name\": \"dnhai\", \t\"report_fields\": \"string\", \t\"email\": \"[email protected]\"}";

/// The BODY section of the page, with a real user_type and name.
fn dnl_schema_body() -> Value {
    json!({
        "passwd": "string", "user_type": "client",
        "client": {"is_panel_ratetable": true, "is_panel_invoices": true, "is_panel_products": true,
            "is_panel_paymenthistory": true, "carrier_name": "string", "is_panel_trunks": true,
            "is_panel_balance": true, "is_panel_onlinepayment": true, "is_panel_cid_blocking": true,
            "is_panel_sippacket": true, "is_panelaccess": true, "is_panel_accountsummary": true,
            "is_panel_summaryreport": true, "is_panel_cdrslist": true},
        "default_mod": "string", "reseller_id": 0, "outbound_report": true,
        "client_limits": [{"client_id": 0}], "last_name": "string", "role_id": 0,
        "all_termination": true, "auth_ip": [{"ip": "string"}], "landing_page": "string",
        "first_name": "string", "active": true, "client_id": 0, "default_mod2": "string",
        "avatar_id": 0, "report_group": true, "card_id": 0, "show_carrier_trunk_drop_only": true,
        "name": "carrier-user", "report_fields": "string", "email": "[email protected]"
    })
}

#[tokio::test]
async fn dnl_replays_the_create_user_page() {
    let sb = start(Seed::default()).await;
    let c = client();
    let create = format!("{}/user/create", sb.dnl_url());
    // Without the header: exactly the page's body.
    let (status, value) = body_of(c.post(&create).body(DNL_EXAMPLE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        serde_json::to_string(&value).unwrap(),
        r#"{"error_type":"unauthenticated_error","success":false,"error":{"message":"No header X-Auth-Token present","code":110,"reason":"auth_token_not_provided"}}"#
    );
    let token = dnl_token(&c, &sb).await;
    let (status, value) = body_of(
        c.post(&create)
            .header("X-Auth-Token", &token)
            .body(DNL_EXAMPLE),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value["success"], true);
    let id = value["object_id"].as_u64().unwrap();
    let (status, value) = body_of(
        c.post(&create)
            .header("X-Auth-Token", &token)
            .json(&dnl_schema_body()),
    )
    .await;
    assert_eq!(
        (status, value["success"].clone()),
        (StatusCode::OK, json!(true))
    );

    let (status, value) = body_of(
        c.get(format!("{}/user/{id}", sb.dnl_url()))
            .header("X-Auth-Token", &token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value["success"], true);
    let user = &value["payload"];
    assert_eq!(user["user_id"], id);
    assert_eq!(user["name"], "dnhai");
    assert_eq!(user["user_type"], "agent");
    assert_eq!(user["active"], true);
    for field in [
        "fullname",
        "first_name",
        "last_name",
        "email",
        "role_id",
        "client_id",
        "reseller_id",
        "landing_page",
    ] {
        assert!(user.get(field).is_some(), "{field}");
    }
    for hidden in ["passwd", "password", "auth_ip", "client"] {
        assert!(user.get(hidden).is_none(), "{hidden}");
    }
    assert_eq!(
        sb.password_matches("dnl", "dnhai", "12345678").unwrap(),
        Some(true)
    );

    // PATCH is partial.
    let (status, value) = body_of(
        c.patch(format!("{}/user/{id}", sb.dnl_url()))
            .header("X-Auth-Token", &token)
            .json(&json!({"active": false})),
    )
    .await;
    assert_eq!((status, value), (StatusCode::OK, json!({"success": true})));
    let (_, value) = body_of(
        c.get(format!("{}/user/{id}", sb.dnl_url()))
            .header("X-Auth-Token", &token),
    )
    .await;
    assert_eq!(
        (
            value["payload"]["active"].clone(),
            value["payload"]["email"].clone()
        ),
        (json!(false), json!("[email protected]"))
    );
}

#[tokio::test]
async fn dnl_refuses_bad_credentials_tokens_bodies_duplicates_and_unknown_users() {
    let sb = start(Seed::default()).await;
    let c = client();
    let (status, value) = body_of(
        c.post(format!("{}/auth", sb.dnl_url()))
            .json(&json!({"email_or_name": DNL_USER, "password": "wrong"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (value["success"].clone(), value["error_type"].clone()),
        (json!(false), json!("operation_error"))
    );
    for f in ["message", "code", "reason"] {
        assert!(value["error"].get(f).is_some(), "{f}");
    }
    let list = format!("{}/user/list", sb.dnl_url());
    let (status, value) = body_of(c.get(&list).header("X-Auth-Token", "forged")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(value["error_type"], "unauthenticated_error");
    assert_ne!(value["error"]["code"], 110);

    let token = dnl_token(&c, &sb).await;
    let create = format!("{}/user/create", sb.dnl_url());
    let post = |b: Value| body_of(c.post(&create).header("X-Auth-Token", &token).json(&b));
    let (status, value) = post(json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        value,
        json!({"error_type": "validation_error", "success": false, "errors": [
            {"name": ["Missing data for required field."]},
            {"passwd": ["Missing data for required field."]},
            {"user_type": ["Missing data for required field."]}
        ]})
    );
    let ok = json!({"name": "dnhai", "passwd": "x", "user_type": "agent"});
    let mut b = ok.clone();
    b["user_type"] = json!("boss");
    assert_eq!(
        post(b).await.1["errors"][0]["user_type"][0],
        "Must be one of: admin, agent, client."
    );
    let mut b = ok.clone();
    b["nickname"] = json!("x");
    assert_eq!(
        post(b).await.1["errors"][0]["nickname"][0],
        "Unknown field."
    );
    let mut b = ok.clone();
    b["role_id"] = json!("admin");
    assert_eq!(
        post(b).await.1["errors"][0]["role_id"][0],
        "Not a valid integer."
    );
    assert_eq!(sb.count("dnl").unwrap(), 0);
    assert_eq!(post(ok.clone()).await.0, StatusCode::OK);
    let (status, value) = post(ok).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "duplicate name");
    assert_eq!(value["error_type"], "validation_error");
    assert!(value["errors"][0]["name"].is_array());
    assert_eq!(sb.count("dnl").unwrap(), 1);

    let user = |id: &str| format!("{}/user/{id}", sb.dnl_url());
    let (status, value) = body_of(c.get(user("999")).header("X-Auth-Token", &token)).await;
    assert_eq!(
        (status, value["success"].clone()),
        (StatusCode::NOT_FOUND, json!(false))
    );
    let (status, _) = body_of(
        c.patch(user("999"))
            .header("X-Auth-Token", &token)
            .json(&json!({"active": false})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, value) = body_of(
        c.patch(user("1"))
            .header("X-Auth-Token", &token)
            .json(&json!({"user_id": 5})),
    )
    .await;
    assert_eq!(
        (status, value["errors"][0]["user_id"][0].clone()),
        (StatusCode::BAD_REQUEST, json!("Unknown field."))
    );
    assert_eq!(
        body_of(c.delete(user("1")).header("X-Auth-Token", &token))
            .await
            .0,
        StatusCode::METHOD_NOT_ALLOWED
    );

    sb.expire_tokens();
    let (status, value) = body_of(c.get(&list).header("X-Auth-Token", &token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(value["error"]["reason"], "auth_token_expired");
}

// ---------------------------------------------------------------- paging

fn many(prefix: &str, n: usize, f: impl Fn(String) -> Value) -> Vec<Value> {
    (0..n).map(|i| f(format!("{prefix}{i:03}"))).collect()
}

#[tokio::test]
async fn ccp_and_dnl_page_250_accounts_with_a_cap_of_100() {
    let seed = Seed::default()
        .with("ccp", many("user", 250, |u| json!({"username": u, "level": "agent", "role_uuid": "r"})))
        .with("dnl", many("user", 250, |u| json!({"name": u, "user_type": if u.ends_with('0') { "admin" } else { "agent" }})));
    let sb = start(seed).await;
    let c = client();
    let token = ccp_token(&c, &sb).await;
    let mut seen = std::collections::BTreeSet::new();
    for (offset, expected) in [(0, 100), (100, 100), (200, 50), (250, 0)] {
        let (_, page) = body_of(
            c.get(format!(
                "{}/v3/user?limit=100&offset={offset}",
                sb.ccp_url()
            ))
            .bearer_auth(&token),
        )
        .await;
        assert_eq!(
            page["data"].as_array().unwrap().len(),
            expected,
            "offset {offset}"
        );
        assert_eq!(
            (
                page["limit"].clone(),
                page["offset"].clone(),
                page["total"].clone()
            ),
            (json!(100), json!(offset), json!(250))
        );
        for u in page["data"].as_array().unwrap() {
            seen.insert(u["username"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen.len(), 250);
    let (_, page) = body_of(
        c.get(format!("{}/v3/user?limit=500", sb.ccp_url()))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        (
            page["limit"].clone(),
            page["data"].as_array().unwrap().len()
        ),
        (json!(100), 100)
    );

    let token = dnl_token(&c, &sb).await;
    let mut seen = std::collections::BTreeSet::new();
    for (page_no, expected) in [(0, 100), (1, 100), (2, 50), (3, 0)] {
        let (_, value) = body_of(
            c.get(format!(
                "{}/user/list?page={page_no}&per_page=100",
                sb.dnl_url()
            ))
            .header("X-Auth-Token", &token),
        )
        .await;
        let payload = &value["payload"];
        assert_eq!(payload["items"].as_array().unwrap().len(), expected);
        assert_eq!(
            (payload["total"].clone(), payload["page"].clone()),
            (json!(250), json!(page_no))
        );
        for u in payload["items"].as_array().unwrap() {
            seen.insert(u["user_id"].as_u64().unwrap());
        }
    }
    assert_eq!(seen.len(), 250);
    let (_, value) = body_of(
        c.get(format!("{}/user/list?per_page=1000", sb.dnl_url()))
            .header("X-Auth-Token", &token),
    )
    .await;
    assert_eq!(
        value["payload"]["items"].as_array().unwrap().len(),
        100,
        "per_page is capped"
    );
    let (_, value) = body_of(
        c.get(format!(
            "{}/user/list?per_page=100&user_type=admin",
            sb.dnl_url()
        ))
        .header("X-Auth-Token", &token),
    )
    .await;
    assert_eq!(value["payload"]["total"], 25);
    let (_, value) = body_of(
        c.get(format!(
            "{}/user/list?per_page=2&order_dir=desc",
            sb.dnl_url()
        ))
        .header("X-Auth-Token", &token),
    )
    .await;
    assert_eq!(value["payload"]["items"][0]["name"], "user249");
}

// ---------------------------------------------------------------- faults

fn schedule(sb: &Sandbox, kind: FaultKind, method: &str, path: &str) {
    sb.schedule_fault(ScheduledFault {
        kind,
        method: Some(method.into()),
        path_prefix: Some(path.into()),
    });
}

#[tokio::test]
async fn error_faults_answer_500_503_and_429_with_retry_after() {
    let sb = start(Seed::default()).await;
    let c = client();
    for (kind, status) in [
        (FaultKind::Status500, 500),
        (FaultKind::Status503, 503),
        (FaultKind::Status429, 429),
    ] {
        schedule(&sb, kind, "GET", "/thulium/api/agents");
        let response = c
            .get(format!("{}/api/agents", sb.thulium_url()))
            .basic_auth(THULIUM_USER, Some(THULIUM_PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(retry_after.as_deref(), (status == 429).then_some("1"));
        let (_, value) = body(response).await;
        assert_thulium_error(&value);
    }
    let (status, _) = body_of(
        c.get(format!("{}/api/agents", sb.thulium_url()))
            .basic_auth(THULIUM_USER, Some(THULIUM_PASSWORD)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a scheduled fault hits once");
    // Control routes never get faults.
    sb.set_faults(FaultSettings {
        rate: 1.0,
        kinds: vec![FaultKind::Status500],
        latency_ms: 0,
    })
    .unwrap();
    assert_eq!(
        body_of(c.get(format!("{}/_sandbox/counts", sb.base_url())))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        body_of(c.get(format!("{}/api/agents", sb.thulium_url())))
            .await
            .0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[tokio::test]
async fn a_hang_outlasts_the_client_timeout_and_ends_at_shutdown() {
    let sb = start(Seed::default()).await;
    schedule(&sb, FaultKind::Hang, "GET", "/ccp/");
    let c = Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = c
        .get(format!("{}/v3/user", sb.ccp_url()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let log = sb.requests();
    assert_eq!((log[0].status, log[0].fault), (None, Some(FaultKind::Hang)));
    tokio::time::timeout(Duration::from_secs(5), sb.shutdown())
        .await
        .expect("shutdown ends hung requests");
}

#[tokio::test]
async fn drop_before_changes_nothing_and_drop_after_creates_the_account() {
    let sb = start(Seed::default()).await;
    let c = client();
    let token = dnl_token(&c, &sb).await;
    let create = format!("{}/user/create", sb.dnl_url());
    let user = json!({"name": "dnhai", "passwd": "x", "user_type": "agent"});

    schedule(&sb, FaultKind::DropBefore, "POST", "/dnl/user/create");
    let err = c
        .post(&create)
        .header("X-Auth-Token", &token)
        .json(&user)
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err}");
    assert_eq!(sb.count("dnl").unwrap(), 0, "drop-before leaves no account");

    schedule(&sb, FaultKind::DropAfter, "POST", "/dnl/user/create");
    let err = c
        .post(&create)
        .header("X-Auth-Token", &token)
        .json(&user)
        .send()
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "{err}");
    assert_eq!(
        sb.count("dnl").unwrap(),
        1,
        "drop-after created the account"
    );
    // A naive retry is refused as a duplicate: the case the executor must avoid.
    let (status, _) = body_of(c.post(&create).header("X-Auth-Token", &token).json(&user)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let log = sb.requests();
    let faults: Vec<_> = log.iter().map(|r| (r.fault, r.status)).collect();
    assert!(faults.contains(&(Some(FaultKind::DropBefore), None)));
    assert!(faults.contains(&(Some(FaultKind::DropAfter), Some(200))));
}

/// Sends one raw HTTP request and returns every byte the server sent back.
fn raw_exchange(addr: std::net::SocketAddr, request: &str) -> Vec<u8> {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    received
}

#[tokio::test]
async fn dropped_connections_send_no_status_line() {
    let sb = start(Seed::default()).await;
    let addr = sb.addr();
    let body = r#"{"name":"Jan","surname":"Kowalski","login":"jkowalski","password":"pass","number":"345"}"#;
    let auth = base64_basic();
    let request = format!(
        "POST /thulium/api/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    for kind in [FaultKind::DropBefore, FaultKind::DropAfter] {
        schedule(&sb, kind, "POST", "/thulium/");
        let req = request.clone();
        let received = tokio::task::spawn_blocking(move || raw_exchange(addr, &req))
            .await
            .unwrap();
        assert!(
            received.is_empty(),
            "{kind}: got {:?}",
            String::from_utf8_lossy(&received)
        );
    }
    assert_eq!(
        sb.count("thulium").unwrap(),
        1,
        "only drop-after processed the create"
    );
    let received = tokio::task::spawn_blocking(move || {
        raw_exchange(
            addr,
            "GET /thulium/api/agents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    })
    .await
    .unwrap();
    assert!(
        received.starts_with(b"HTTP/1.1 401"),
        "a normal request still answers"
    );
}

fn base64_basic() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{THULIUM_USER}:{THULIUM_PASSWORD}"))
}

async fn fault_sequence(rng_seed: u64) -> Vec<u16> {
    let sb = Sandbox::start(SandboxOptions {
        faults: FaultSettings {
            rate: 0.5,
            kinds: vec![
                FaultKind::Status500,
                FaultKind::Status503,
                FaultKind::Status429,
            ],
            latency_ms: 0,
        },
        rng_seed: Some(rng_seed),
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let r = c
            .get(format!("{}/api/agents", sb.thulium_url()))
            .basic_auth(THULIUM_USER, Some(THULIUM_PASSWORD))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn the_same_rng_seed_gives_the_same_faults() {
    let a = fault_sequence(42).await;
    assert_eq!(a, fault_sequence(42).await);
    assert_ne!(a, fault_sequence(43).await);
    assert!(a.contains(&200) && a.iter().any(|s| *s >= 429), "{a:?}");
}

/// On tokio's paused clock (the sandbox runs on the test's runtime): the
/// latency passes at once, and the time each request took is exact.
#[tokio::test(start_paused = true)]
async fn latency_delays_vendor_routes_only() {
    let sb = Sandbox::start(SandboxOptions {
        faults: FaultSettings {
            latency_ms: 250,
            ..FaultSettings::default()
        },
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let t = tokio::time::Instant::now();
    c.get(format!("{}/api/agents", sb.thulium_url()))
        .send()
        .await
        .unwrap();
    assert!(t.elapsed() >= Duration::from_millis(250));
    let t = tokio::time::Instant::now();
    c.get(format!("{}/_sandbox/counts", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert!(t.elapsed() < Duration::from_millis(250));
}

// ---------------------------------------------------------------- control API

#[tokio::test]
async fn the_control_api_reads_edits_faults_logs_and_resets() {
    let seed = Seed::from_json(json!({
        "thulium": [{"login": "jkowalski", "name": "Jan", "surname": "Kowalski", "number": "345", "password": "secret-pass"}],
        "ccp": [{"username": "AgentSale03", "level": "agent", "role_uuid": "r1", "role_name": "Sales"}],
    }))
    .unwrap();
    let sb = start(seed).await;
    let c = client();
    let ctl = |p: &str| format!("{}/_sandbox{p}", sb.base_url());

    let (status, state) = body_of(c.get(ctl("/state"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state["thulium"][0]["login"], "jkowalski");
    assert!(
        !state.to_string().contains("secret-pass"),
        "no passwords in the state"
    );
    assert_eq!(
        body_of(c.get(ctl("/counts"))).await.1,
        json!({"thulium": 1, "ccp": 1, "dnl": 0})
    );

    // Drift: an out-of-band edit shows up through the vendor API.
    let (status, edited) = body_of(
        c.patch(ctl("/accounts/thulium/jkowalski"))
            .json(&json!({"email": "drift@example.com"})),
    )
    .await;
    assert_eq!(
        (status, edited["email"].clone()),
        (StatusCode::OK, json!("drift@example.com"))
    );
    let (_, agent) = body_of(
        c.get(format!("{}/api/agents/jkowalski", sb.thulium_url()))
            .basic_auth(THULIUM_USER, Some(THULIUM_PASSWORD)),
    )
    .await;
    assert_eq!(agent["email"], "drift@example.com");
    // Out-of-band create bypasses validation (a name the vendor would refuse).
    let (status, created) = body_of(
        c.post(ctl("/accounts/ccp"))
            .json(&json!({"username": "bad name!", "role_uuid": "r1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(created["user_uuid"].is_string());
    assert_eq!(
        body_of(
            c.post(ctl("/accounts/ccp"))
                .json(&json!({"username": "bad name!"}))
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        body_of(c.patch(ctl("/accounts/ccp/nobody")).json(&json!({})))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        body_of(c.get(ctl("/state/x"))).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        body_of(c.post(ctl("/accounts/genesys")).json(&json!({})))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Faults at run time.
    let (status, faults) = body_of(
        c.put(ctl("/faults"))
            .json(&json!({"rate": 1.0, "kinds": ["503"], "latency_ms": 0})),
    )
    .await;
    assert_eq!(
        (status, faults["kinds"].clone()),
        (StatusCode::OK, json!(["503"]))
    );
    assert_eq!(
        body_of(c.get(format!("{}/api/agents", sb.thulium_url())))
            .await
            .0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        body_of(c.put(ctl("/faults")).json(&json!({"rate": 2.0})))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        body_of(c.put(ctl("/faults")).json(&json!({"rate": 0.0})))
            .await
            .0,
        StatusCode::OK
    );
    let (status, _) = body_of(
        c.post(ctl("/faults/schedule"))
            .json(&json!({"kind": "429", "path_prefix": "/ccp/"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let response = c
        .post(format!("{}/v3/auth/token", sb.ccp_url()))
        .json(&json!({"api_key": CCP_API_KEY}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            response.status().as_u16(),
            response.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "1")
    );

    // Tokens and the request log (method, path, vendor, status: never bodies or headers).
    let token = ccp_token(&c, &sb).await;
    assert_eq!(
        body_of(c.post(ctl("/expire-tokens"))).await.1,
        json!({"expired": 1})
    );
    assert_eq!(
        body_of(
            c.get(format!("{}/v3/user", sb.ccp_url()))
                .bearer_auth(&token)
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let (_, log) = body_of(c.get(ctl("/requests"))).await;
    let text = log.to_string();
    assert!(!text.contains(CCP_API_KEY) && !text.contains(&token) && !text.contains("Basic"));
    let mut last = log["requests"].as_array().unwrap().last().unwrap().clone();
    // When it arrived (microseconds since the sandbox started).
    let at = last.as_object_mut().unwrap().remove("at_us");
    assert!(at.is_some_and(|t| t.is_u64()), "{log}");
    assert_eq!(
        last,
        json!({"seq": log["total"], "method": "GET", "path": "/ccp/v3/user", "vendor": "ccp", "status": 401, "fault": null})
    );
    assert!(log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| !r["path"].as_str().unwrap().starts_with("/_sandbox")));

    // Reset: the seed accounts again, an empty log.
    let (status, reset) = body_of(c.post(ctl("/reset"))).await;
    assert_eq!(
        (status, reset["counts"].clone()),
        (StatusCode::OK, json!({"thulium": 1, "ccp": 1, "dnl": 0}))
    );
    assert_eq!(
        sb.account("thulium", "jkowalski").unwrap().unwrap()["email"],
        Value::Null
    );
    assert_eq!(
        body_of(c.get(ctl("/requests"))).await.1,
        json!({"total": 0, "requests": []})
    );
    assert_eq!(
        sb.password_matches("thulium", "jkowalski", "secret-pass")
            .unwrap(),
        Some(true)
    );
}

#[tokio::test]
async fn the_library_api_mirrors_the_control_api() {
    let sb = start(Seed::default().with(
        "dnl",
        vec![json!({"name": "seeded", "user_type": "admin", "passwd": "p"})],
    ))
    .await;
    assert_eq!(sb.thulium_url(), format!("{}/thulium", sb.base_url()));
    assert_eq!(sb.ccp_url(), format!("{}/ccp", sb.base_url()));
    assert_eq!(sb.dnl_url(), format!("{}/dnl", sb.base_url()));
    assert!(sb.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(sb.counts().get("dnl"), Some(&1));
    assert!(sb.count("genesys").is_err());
    sb.edit_account("dnl", "seeded", json!({"active": false}))
        .unwrap();
    assert_eq!(sb.state()["dnl"][0]["active"], false);
    assert!(sb
        .edit_account("dnl", "seeded", json!({"active": "maybe"}))
        .is_err());
    sb.create_account("thulium", json!({"login": "x", "number": 1}))
        .unwrap();
    assert!(sb
        .set_faults(FaultSettings {
            rate: -1.0,
            ..FaultSettings::default()
        })
        .is_err());
    sb.reset().unwrap();
    assert_eq!(sb.count("thulium").unwrap(), 0);
    assert_eq!(sb.state()["dnl"][0]["active"], true);

    let taken = sb.addr().port();
    let err = Sandbox::start(SandboxOptions {
        port: taken,
        ..SandboxOptions::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains(&taken.to_string()));
    let bad_seed = Seed::from_json(json!({"thulium": [{"login": "a"}, {"login": "a"}]})).unwrap();
    assert!(Sandbox::start(SandboxOptions {
        seed: bad_seed,
        ..SandboxOptions::default()
    })
    .await
    .is_err());
    assert!(Sandbox::start(SandboxOptions {
        seed: Seed::from_json(json!({"genesys": []})).unwrap(),
        ..SandboxOptions::default()
    })
    .await
    .is_err());
    sb.shutdown().await;
}

// ---------------------------------------------------------------- the binary

#[test]
fn the_binary_serves_a_yaml_seed_on_a_free_port() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        "thulium:\n  - login: jkowalski\n    name: Jan\n    surname: Kowalski\n    number: \"5634\"\n    password: pw\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_headcount"))
        .args(["sandbox", "--port", "0", "--rng-seed", "1", "--seed"])
        .arg(&seed)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = String::new();
    let mut base = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if let Some(url) = line.strip_prefix("listening on ") {
            base = Some(url.trim().to_string());
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    let base = base.unwrap_or_else(|| panic!("no URL in {banner}"));
    assert!(banner.contains("SIMULATION"));
    for needle in [
        THULIUM_PASSWORD,
        CCP_API_KEY,
        DNL_PASSWORD,
        "/thulium",
        "/ccp",
        "/dnl",
    ] {
        assert!(banner.contains(needle), "{needle} missing from {banner}");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (status, agent) = rt.block_on(body_of(
        client()
            .get(format!("{base}/thulium/api/agents/jkowalski"))
            .basic_auth(THULIUM_USER, Some(THULIUM_PASSWORD)),
    ));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(agent["number"], 5634);
}

// ------------------------------------------------------------- behaviours

fn agents(n: usize) -> Seed {
    let thulium: Vec<Value> = (0..n)
        .map(|i| json!({"login": format!("a{i:04}"), "name": "A", "surname": "B", "number": 100 + i}))
        .collect();
    Seed::default().with("thulium", thulium)
}

#[tokio::test]
async fn behaviours_set_at_start_and_through_the_control_api_change_the_list() {
    let sb = Sandbox::start(SandboxOptions {
        seed: agents(250),
        behaviours: headcount::sandbox::Behaviours::from_assignments(&["thulium.page_cap=100"])
            .unwrap(),
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let get = reqwest::Method::GET;
    let (_, page) = thulium(&c, &sb, get.clone(), "/api/agents?limit=1000", None).await;
    assert_eq!(page.as_array().map(Vec::len), Some(100), "capped at 100");

    let url = format!("{}/_sandbox/behaviours", sb.base_url());
    let put = |b: Value| c.put(&url).json(&b).send();
    let (status, view) = body(
        put(json!({"thulium.list": "envelope-count", "thulium.offset": "ignored"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["values"]["thulium.list"], "envelope-count");
    assert_eq!(view["values"]["thulium.page_cap"], "100");
    let (_, page) = thulium(&c, &sb, get.clone(), "/api/agents?limit=10&offset=20", None).await;
    assert_eq!(page["count"], 250);
    assert_eq!(page["result"][0]["login"], "a0000", "offset ignored");

    // Unknown names and values change nothing and name the valid ones.
    let (status, error) = body(put(json!({"thulium.colour": "red"})).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("thulium.page_cap"),
        "{error}"
    );
    let (status, error) = body(
        put(json!({"thulium.list": "array", "thulium.limit": "sometimes"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("honoured, ignored"),
        "{error}"
    );
    assert_eq!(sb.behaviours().values()["thulium.list"], "envelope-count");

    // Reset goes back to the startup behaviours.
    sb.reset().unwrap();
    assert_eq!(sb.behaviours().changed(), ["thulium.page_cap=100"]);
}
