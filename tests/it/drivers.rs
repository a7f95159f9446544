//! Contract tests of the vendor drivers against wiremock: the exact requests
//! each driver sends (method, path, headers, JSON body, as in the vendors'
//! documents), how answers and errors are read, retries, auth and paging.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use headcount::drivers::{self, Driver, DriverError, ErrorKind, ProviderConfig};
use headcount::model::{RemoteRecord, Value, WriteRequest};
use secrecy::SecretString;
use serde_json::{json, Value as Json};
use wiremock::matchers::{basic_auth, bearer_token, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const UA: &str = concat!("headcount/", env!("CARGO_PKG_VERSION"));

fn config(name: &str, base: &str, creds: &[(&str, &str)]) -> ProviderConfig {
    let mut c = ProviderConfig::new(name, url::Url::parse(base).unwrap());
    for (k, v) in creds {
        c = c.with_credential(k, *v);
    }
    c.timeout = Duration::from_secs(5);
    c.retry.retries = 3;
    c.retry.base_delay = Duration::from_millis(10);
    c.retry.max_delay = Duration::from_secs(3);
    c
}

fn connect(vendor: &str, config: ProviderConfig) -> Arc<dyn Driver> {
    match (drivers::vendor(vendor).unwrap().connect)(config) {
        Ok(d) => d,
        Err(e) => panic!("connect failed: {e}"),
    }
}

fn thulium(server: &MockServer) -> Arc<dyn Driver> {
    connect(
        "thulium",
        config(
            "thulium",
            &server.uri(),
            &[("username", "api_user"), ("password", "api_pass")],
        ),
    )
}

fn ccp_config(server: &MockServer) -> ProviderConfig {
    config("ccp", &server.uri(), &[("api_key", "ccp-key-123")])
}

/// Answers every list page past the first (`param` not 0) with no items:
/// the page a listing reads past the reported total to confirm its end.
async fn mount_empty_past_first(
    server: &MockServer,
    list_path: &str,
    param: &'static str,
    body: Json,
) {
    struct PastFirst(&'static str);
    impl wiremock::Match for PastFirst {
        fn matches(&self, request: &Request) -> bool {
            request
                .url
                .query_pairs()
                .any(|(k, v)| k == self.0 && v != "0")
        }
    }
    Mock::given(method("GET"))
        .and(path(list_path))
        .and(PastFirst(param))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .with_priority(1)
        .mount(server)
        .await;
}

async fn ccp_empty_past_first(server: &MockServer) {
    let empty = json!({"data": [], "limit": 100, "offset": 1, "total": 0});
    mount_empty_past_first(server, "/v3/user", "offset", empty).await;
}

fn ccp(server: &MockServer) -> Arc<dyn Driver> {
    connect("ccp", ccp_config(server))
}

fn dnl_base(server: &MockServer) -> String {
    format!("{}/api_dnl/v1", server.uri())
}

fn dnl(server: &MockServer) -> Arc<dyn Driver> {
    connect(
        "dnl",
        config(
            "dnl",
            &dnl_base(server),
            &[("username", "admin"), ("password", "dnl-admin-pw")],
        ),
    )
}

fn request(key: &str, fields: Json, password: Option<&str>) -> WriteRequest {
    let mut req = WriteRequest {
        key: key.into(),
        ..Default::default()
    };
    for (k, v) in fields.as_object().unwrap() {
        req.fields.insert(k.clone(), Value::from_json(v));
    }
    if let Some(pw) = password {
        req.secrets
            .insert("password".into(), SecretString::from(pw.to_string()));
    }
    req
}

/// A CCP edit request as the planner builds it: the changed fields, and the
/// schema's echoes (the value CCP holds, or the fixed value).
fn ccp_edit_request(remote: &RemoteRecord, changed: Json, password: &str) -> WriteRequest {
    with_echoes("ccp", remote, request(&remote.key, changed, Some(password)))
}

/// Adds what the vendor's edit sends unchanged (its schema's echoes), as
/// the planner does.
fn with_echoes(vendor: &str, remote: &RemoteRecord, mut req: WriteRequest) -> WriteRequest {
    let schema = drivers::vendor(vendor).unwrap().schema;
    for echo in schema.edit_echoes {
        if req.fields.contains_key(echo.name) {
            continue;
        }
        let value = match echo.value {
            headcount::model::EchoValue::Held => remote.fields.get(echo.name).cloned(),
            headcount::model::EchoValue::Bool(b) => Some(Value::Bool(b)),
        };
        if let Some(value) = value {
            req.fields.insert(echo.name.to_string(), value);
        }
    }
    req
}

async fn count(server: &MockServer, method_name: &str, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == method_name && r.url.path() == p)
        .count()
}

/// Shows an error both ways (Display and Debug) for secret checks.
fn shown(e: &DriverError) -> String {
    format!("{e} | {e:?}")
}

async fn mount_ccp_token(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path("/v3/auth/token"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"api_key": "ccp-key-123"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "client_id": "c", "domain_uuid": "d", "expired_in": 13647710,
            "refresh_token": "", "token": token, "token_type": "Bearer", "user_id": "u"
        })))
        .mount(server)
        .await;
}

async fn mount_dnl_auth(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path("/api_dnl/v1/auth"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"email_or_name": "admin", "password": "dnl-admin-pw"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"success": true, "payload": {"token": token, "expired": "2030-01-01 00:00:00"}}),
        ))
        .mount(server)
        .await;
}

fn ccp_user(i: usize) -> Json {
    json!({
        "user_uuid": format!("uuid-{i:04}"), "domain_uuid": "dom", "username": format!("user{i:04}"),
        "api_key": "", "first_name": "F", "middle_name": "", "last_name": "L",
        "email": format!("user{i}@example.vn"), "user_enabled": if i.is_multiple_of(2) { "true" } else { "false" },
        "user_status": "Available", "level": "agent", "role_uuid": "role-1", "role_name": "Agent",
        "group_name": "", "groups": null, "campaigns": null, "enable_webrtc": true, "extension": format!("{}", 100 + i)
    })
}

fn dnl_user(i: usize) -> Json {
    json!({
        "user_id": i + 1, "name": format!("user{i:04}"), "fullname": "F L", "email": format!("u{i}@example.net"),
        "user_type": "agent", "role_id": 2, "active": true, "client_id": null, "reseller_id": null,
        "landing_page": "", "last_login_time": null
    })
}

/// How long the mock server delays its answer to every page after the
/// first, in the tests of concurrent paging: long enough that a page asked
/// for only after the previous answer is told apart from concurrent
/// requests on a busy machine.
const PAGE_DELAY_MS: u64 = 3000;

/// Answers with a fixed response after a delay, recording when each request arrived.
struct Recorded {
    arrivals: Arc<Mutex<Vec<Instant>>>,
    response: ResponseTemplate,
}

impl Respond for Recorded {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        self.response.clone()
    }
}

// ---------------------------------------------------------------- Thulium

#[tokio::test]
async fn thulium_create_sends_the_documented_body_with_basic_auth() {
    let server = MockServer::start().await;
    // The example request of the vendor's "POST agents" page.
    Mock::given(method("POST"))
        .and(path("/api/agents"))
        .and(basic_auth("api_user", "api_pass"))
        .and(header("content-type", "application/json"))
        .and(header("user-agent", UA))
        .and(body_json(json!({"name":"Jan","surname":"Kowalski","login":"jkowalski","email":"jk@foo.bar","password":"pass","number":"345","roles":[1,2]})))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"agent_id": "11", "agent_login": "jkowalski"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let req = request(
        "jkowalski",
        json!({"name":"Jan","surname":"Kowalski","login":"jkowalski","email":"jk@foo.bar","number":"345","roles":[1,2]}),
        Some("pass"),
    );
    let id = thulium(&server).create(&req).await.unwrap();
    assert_eq!(id, "jkowalski");
}

#[tokio::test]
async fn thulium_list_get_and_edit() {
    let server = MockServer::start().await;
    let agent = json!({"agent_id": 1, "login": "jkowalski", "name": "Jan", "surname": "Kowalski",
        "email": "jk@foo.bar", "active": true, "number": 559933, "outbound_mode": "manual", "group_id": 3});
    Mock::given(method("GET"))
        .and(path("/api/agents"))
        .and(basic_auth("api_user", "api_pass"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([agent.clone()])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/agents/jkowalski"))
        .and(basic_auth("api_user", "api_pass"))
        .respond_with(ResponseTemplate::new(200).set_body_json(agent))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/agents/nobody"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"request_id": "r1", "errors": [{"message": "Agent not found", "code": 404}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/agents/jkowalski"))
        .and(basic_auth("api_user", "api_pass"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"active": false, "email": "jan@foo.bar"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let d = thulium(&server);
    let list = d.list().await.unwrap();
    assert_eq!(list.len(), 1);
    let rec = &list[0];
    assert_eq!(
        (rec.id.as_str(), rec.key.as_str()),
        ("jkowalski", "jkowalski")
    );
    assert_eq!(rec.fields["number"], Value::Str("559933".into()));
    assert_eq!(rec.fields["active"], Value::Bool(true));
    assert_eq!(d.get_by_key("jkowalski").await.unwrap().as_ref(), Some(rec));
    assert_eq!(d.get_by_key("nobody").await.unwrap(), None);
    d.update(
        rec,
        &request(
            "jkowalski",
            json!({"active": false, "email": "jan@foo.bar"}),
            None,
        ),
    )
    .await
    .unwrap();
}

/// A 404 on the agent edit is told apart by reading the agent: found, the
/// system has no edit endpoint (named, with the setting); gone, the agent
/// was deleted meanwhile (the plain 404). An empty-body probe reports which.
#[tokio::test]
async fn thulium_edit_404_and_405_say_whether_the_edit_endpoint_exists() {
    let server = MockServer::start().await;
    let agent = json!({"login": "jkowalski", "name": "Jan", "surname": "Kowalski", "active": true, "number": 5634});
    let not_found =
        json!({"request_id": "r1", "errors": [{"message": "URI not found.", "code": 1005}]});
    Mock::given(method("GET"))
        .and(path("/api/agents/jkowalski"))
        .respond_with(ResponseTemplate::new(200).set_body_json(agent.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/agents/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(not_found.clone()))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/agents/jkowalski"))
        .respond_with(ResponseTemplate::new(404).set_body_json(not_found.clone()))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/agents/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(not_found))
        .mount(&server)
        .await;
    let d = thulium(&server);
    let remote = |key: &str| RemoteRecord {
        id: key.into(),
        key: key.into(),
        fields: Default::default(),
    };
    let change = request("jkowalski", json!({"active": false}), None);
    let e = d.update(&remote("jkowalski"), &change).await.unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains(
            "this Thulium system has no agent edit endpoint: PUT /api/agents/{login} answered 404"
        ),
        "{shown}"
    );
    assert!(shown.contains("set `edits: manual`"), "{shown}");
    assert!(e.hint().contains("edits: manual"), "{}", e.hint());
    let e = d.update(&remote("gone"), &change).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(!e.to_string().contains("edit endpoint"), "{e}");
    assert_eq!(
        d.probe_edit(&remote("jkowalski")).await.unwrap(),
        Some(drivers::EditProbe::Missing { status: 404 })
    );

    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api/agents/jkowalski"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        thulium(&server)
            .probe_edit(&remote("jkowalski"))
            .await
            .unwrap(),
        Some(drivers::EditProbe::Exists)
    );
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(405))
        .mount(&server)
        .await;
    let e = thulium(&server)
        .update(&remote("jkowalski"), &change)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("answered 405"), "{e}");
}

#[tokio::test]
async fn thulium_validation_error_carries_every_vendor_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/agents"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"request_id": "53678450401cf",
            "errors": [{"message": "Login already exists", "code": 111111}, {"message": "Password pass is too weak", "code": 2}]})))
        .mount(&server)
        .await;
    let err = thulium(&server)
        .create(&request("jkowalski", json!({"name": "Jan"}), Some("pass")))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert_eq!(err.status, Some(400));
    let text = err.to_string();
    assert!(
        text.starts_with("thulium: create agent \"jkowalski\" (HTTP 400): Login already exists"),
        "{text}"
    );
    assert!(text.contains("53678450401cf"), "{text}");
    // The vendor echoed the password that was sent: it is redacted.
    assert!(text.contains("Password (redacted) is too weak"), "{text}");
    assert!(!err.ambiguous);
}

#[tokio::test]
async fn thulium_wrong_credentials_give_one_auth_error_without_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/agents"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"request_id": "x", "errors": [{"message": "Bad user or password", "code": 401}]}),
        ))
        .mount(&server)
        .await;
    let err = thulium(&server).list().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(err
        .to_string()
        .starts_with("thulium: list agents (HTTP 401): Bad user or password"));
    assert_eq!(count(&server, "GET", "/api/agents").await, 1);
    // Later calls do not send the refused credentials again.
    let d = thulium(&server);
    let first = d.list().await.unwrap_err();
    let req = request("a", json!({"name": "A"}), Some("pw"));
    let (again, create) = tokio::join!(d.get_by_key("a"), d.create(&req));
    for e in [first, again.unwrap_err(), create.unwrap_err()] {
        assert_eq!(e.kind, ErrorKind::Auth);
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    let text = shown(&err);
    assert!(
        !text.contains("api_pass") && !text.contains("YXBp"),
        "{text}"
    );
}

/// The arrivals of every request at `server`, recorded by [`Recorded`]: the
/// first `first` answers are `first_response`, the rest `then`.
async fn two_answers(
    server: &MockServer,
    path_: &str,
    first_response: ResponseTemplate,
    then: ResponseTemplate,
) -> Arc<Mutex<Vec<Instant>>> {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(path(path_))
        .respond_with(Recorded {
            arrivals: arrivals.clone(),
            response: first_response,
        })
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(path_))
        .respond_with(Recorded {
            arrivals: arrivals.clone(),
            response: then,
        })
        .mount(server)
        .await;
    arrivals
}

/// The time between the first two requests, as the server saw them arrive.
fn gap(arrivals: &Mutex<Vec<Instant>>) -> Duration {
    let times = arrivals.lock().unwrap().clone();
    assert_eq!(times.len(), 2, "{times:?}");
    times[1].duration_since(times[0])
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    let arrivals = two_answers(
        &server,
        "/api/agents",
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        ResponseTemplate::new(200).set_body_json(json!([])),
    )
    .await;
    let list = thulium(&server).list().await.unwrap();
    assert!(list.is_empty());
    // The retry came after the second the vendor asked for, not after the
    // backoff's 10 ms.
    let waited = gap(&arrivals);
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[tokio::test]
async fn retry_after_is_capped_by_the_maximum_delay() {
    let server = MockServer::start().await;
    let arrivals = two_answers(
        &server,
        "/api/agents",
        ResponseTemplate::new(429).insert_header("retry-after", "3600"),
        ResponseTemplate::new(200).set_body_json(json!([])),
    )
    .await;
    let mut cfg = config(
        "thulium",
        &server.uri(),
        &[("username", "u"), ("password", "p")],
    );
    cfg.retry.max_delay = Duration::from_millis(300);
    // An hour's wait would outlast this generous timeout; the cap's 300 ms
    // does not.
    tokio::time::timeout(Duration::from_secs(60), connect("thulium", cfg).list())
        .await
        .expect("the hour the vendor asked for was capped")
        .unwrap();
    let waited = gap(&arrivals);
    assert!(
        waited >= Duration::from_millis(300),
        "retried after {waited:?}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_for_reads_until_success() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/agents"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/agents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    thulium(&server).list().await.unwrap();
    assert_eq!(count(&server, "GET", "/api/agents").await, 3);
}

#[tokio::test]
async fn server_errors_give_up_after_max_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/agents"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let err = thulium(&server).list().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert_eq!(err.status, Some(500));
    assert_eq!(count(&server, "GET", "/api/agents").await, 4); // 1 + max_retries
}

#[tokio::test]
async fn a_create_is_never_retried_and_a_server_failure_is_ambiguous() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/agents"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let err = thulium(&server)
        .create(&request("jkowalski", json!({"name": "Jan"}), Some("pass")))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert!(err.ambiguous);
    assert_eq!(count(&server, "POST", "/api/agents").await, 1);
}

#[tokio::test]
async fn a_create_that_times_out_is_ambiguous_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/agents"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"agent_id": "11", "agent_login": "jkowalski"}))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let mut cfg = config(
        "thulium",
        &server.uri(),
        &[("username", "u"), ("password", "p")],
    );
    cfg.timeout = Duration::from_millis(300);
    let err = connect("thulium", cfg)
        .create(&request("jkowalski", json!({"name": "Jan"}), Some("pass")))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(err.ambiguous, "{err}");
    assert_eq!(count(&server, "POST", "/api/agents").await, 1);
}

#[tokio::test]
async fn a_create_whose_connection_drops_after_sending_is_ambiguous() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/agents"))
        .respond_with_err(|_: &Request| {
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped")
        })
        .mount(&server)
        .await;
    let err = thulium(&server)
        .create(&request("jkowalski", json!({"name": "Jan"}), Some("pass")))
        .await
        .unwrap_err();
    assert!(err.ambiguous, "{err}");
    assert!(matches!(
        err.kind,
        ErrorKind::Transport | ErrorKind::Timeout
    ));
    assert_eq!(count(&server, "POST", "/api/agents").await, 1);
}

#[tokio::test]
async fn a_create_refused_before_sending_is_not_ambiguous() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let d = connect(
        "thulium",
        config(
            "thulium",
            &format!("http://127.0.0.1:{port}"),
            &[("username", "u"), ("password", "p")],
        ),
    );
    let err = d
        .create(&request("jkowalski", json!({"name": "Jan"}), Some("pass")))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    assert!(!err.ambiguous, "{err}");
}

#[tokio::test]
async fn an_html_page_is_a_protocol_error_naming_the_provider() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/agents"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE html><html><body>Welcome to Thulium</body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    let err = thulium(&server).list().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Protocol);
    let text = err.to_string();
    assert!(text.starts_with("thulium: list agents"), "{text}");
    assert!(text.contains("HTML"), "{text}");
}

#[tokio::test]
async fn a_wrong_shape_is_a_protocol_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/agents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"agents": []})))
        .mount(&server)
        .await;
    let err = thulium(&server).list().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Protocol);
    assert!(err.to_string().contains("array"), "{err}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/agents"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "https://evil.example/api/agents"),
        )
        .mount(&server)
        .await;
    let err = thulium(&server).list().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Protocol);
    assert_eq!(err.status, Some(302));
    assert_eq!(count(&server, "GET", "/api/agents").await, 1);
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let cfg = config(
        "thulium",
        "http://acme.thulium.com",
        &[("username", "u"), ("password", "secret-pw")],
    );
    let err = (drivers::vendor("thulium").unwrap().connect)(cfg)
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::Config);
    assert!(err.to_string().contains("http://"), "{err}");
    let mut cfg = config(
        "thulium",
        "http://acme.thulium.com",
        &[("username", "u"), ("password", "secret-pw")],
    );
    cfg.insecure_http = true;
    assert!((drivers::vendor("thulium").unwrap().connect)(cfg).is_ok());
}

#[test]
fn a_missing_credential_names_the_provider_and_the_field() {
    for (vendor, creds, missing) in [
        ("thulium", vec![("username", "u")], "password"),
        ("ccp", vec![], "api_key"),
        ("dnl", vec![("password", "p")], "username"),
    ] {
        let cfg = config("prov-x", "https://example.com", &creds);
        let err = (drivers::vendor(vendor).unwrap().connect)(cfg)
            .err()
            .unwrap();
        assert_eq!(err.kind, ErrorKind::Config);
        let text = err.to_string();
        assert!(text.starts_with("prov-x"), "{text}");
        assert!(text.contains(missing), "{text}");
    }
}

// ---------------------------------------------------------------- CCP

#[tokio::test]
async fn ccp_create_sends_the_documented_body_with_a_bearer_token() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok-1").await;
    Mock::given(method("POST"))
        .and(path("/v3/user"))
        .and(bearer_token("tok-1"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "username": "AgentSale03", "level": "agent",
            "role_uuid": "e40292d3-4707-40e5-a7f2-xz044d3d639757",
            "password": "Password@2023!!!", "confirm_password": "Password@2023!!!",
            "email": "AgentSale03@demo-ccp.com", "first_name": "AgentSale03", "extension": "103",
            "is_create_extension": true, "is_active": true, "enable_webrtc": false
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"created": true, "user_uuid": "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let req = request(
        "AgentSale03",
        json!({"username": "AgentSale03", "level": "agent",
            "role_uuid": "e40292d3-4707-40e5-a7f2-xz044d3d639757", "email": "AgentSale03@demo-ccp.com",
            "first_name": "AgentSale03", "extension": "103", "is_create_extension": true,
            "is_active": true, "enable_webrtc": false}),
        Some("Password@2023!!!"),
    );
    let id = ccp(&server).create(&req).await.unwrap();
    assert_eq!(id, "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb");
}

fn seed_ccp_remote() -> RemoteRecord {
    let mut fields = headcount::model::FieldMap::new();
    for (k, v) in [
        ("username", Value::Str("AgentSale03".into())),
        ("level", Value::Str("agent".into())),
        (
            "role_uuid",
            Value::Str("e40292d3-4707-40e5-a7f2-xz044d3d639757".into()),
        ),
        ("email", Value::Str("AgentSale03@demo-ccp.com".into())),
        ("first_name", Value::Str("AgentSale03".into())),
        ("extension", Value::Str("103".into())),
        ("enable_webrtc", Value::Bool(false)),
        ("is_active", Value::Bool(false)),
    ] {
        fields.insert(k, v);
    }
    RemoteRecord {
        id: "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb".into(),
        key: "AgentSale03".into(),
        fields,
    }
}

#[tokio::test]
async fn ccp_edit_sends_the_full_documented_body_with_password() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok-1").await;
    // The vendor's "Edit User" example, byte for byte in JSON terms.
    Mock::given(method("PUT"))
        .and(path("/v3/user/d9c40ff9-97e0-4ab7-8f09-0b2748299aeb"))
        .and(bearer_token("tok-1"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "user_uuid": "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb",
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
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "extension_uuid": "e91b3dc7-76ec-4492-9ff7-3b84d6d3b5c1",
            "user_uuid": "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb"
        })))
        .expect(1)
        .mount(&server)
        .await;
    // Changed: is_active (remote has false) and the create-time flag the example carries;
    // the rest as the planner adds it.
    let req = ccp_edit_request(
        &seed_ccp_remote(),
        json!({"is_active": true, "is_create_extension": true}),
        "Password@2023!!!",
    );
    ccp(&server).update(&seed_ccp_remote(), &req).await.unwrap();
}

#[tokio::test]
async fn ccp_edit_without_a_password_is_refused_before_sending() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok-1").await;
    let err = ccp(&server)
        .update(
            &seed_ccp_remote(),
            &request("AgentSale03", json!({"is_active": false}), None),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Config);
    assert!(err.to_string().contains("password"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn ccp_validation_errors_name_each_field() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok-1").await;
    Mock::given(method("POST"))
        .and(path("/v3/user"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": [
            {"username": "Does not match pattern '^[a-zA-Z0-9\\s.\\-\\_]+$'"},
            {"password": "secret-pw1 is not allowed"}
        ]})))
        .mount(&server)
        .await;
    let err = ccp(&server)
        .create(&request(
            "bad/name",
            json!({"level": "agent", "role_uuid": "r"}),
            Some("secret-pw1"),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    let text = err.to_string();
    assert!(
        text.starts_with("ccp: create user \"bad/name\" (HTTP 400): "),
        "{text}"
    );
    assert!(
        text.contains("; username: Does not match pattern '^[a-zA-Z0-9\\s.\\-\\_]+$'"),
        "{text}"
    );
    assert!(
        text.contains("; password: (redacted) is not allowed"),
        "{text}"
    );
    assert!(!shown(&err).contains("secret-pw1"));
    assert!(!err.ambiguous);
}

#[tokio::test]
async fn ccp_plain_error_message_is_shown() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok-1").await;
    Mock::given(method("PUT"))
        .and(path("/v3/user/d9c40ff9-97e0-4ab7-8f09-0b2748299aeb"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "user not found"})))
        .mount(&server)
        .await;
    let err = ccp(&server)
        .update(
            &seed_ccp_remote(),
            &request("AgentSale03", json!({"is_active": false}), Some("pw")),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(
        err.to_string(),
        "ccp: edit user \"AgentSale03\" (HTTP 404): user not found"
    );
}

#[tokio::test]
async fn ccp_fetches_the_token_again_once_after_a_401() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token": "old", "token_type": "Bearer"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_ccp_token(&server, "new").await;
    Mock::given(method("GET"))
        .and(path("/v3/user"))
        .and(bearer_token("old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "token expired"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/user"))
        .and(bearer_token("new"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"data": [ccp_user(1)], "limit": 100, "offset": 0, "total": 1}),
            ),
        )
        .mount(&server)
        .await;
    ccp_empty_past_first(&server).await;
    let d = ccp(&server);
    let list = d.list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].fields["is_active"], Value::Bool(false));
    // A second call reuses the new token.
    d.list().await.unwrap();
    assert_eq!(count(&server, "POST", "/v3/auth/token").await, 2);
    // 401, then the page and the (empty) page past the total, twice.
    assert_eq!(count(&server, "GET", "/v3/user").await, 5);
}

#[tokio::test]
async fn ccp_a_second_401_is_an_auth_error_not_a_loop() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path("/v3/user"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "forbidden"})))
        .mount(&server)
        .await;
    let err = ccp(&server).list().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(count(&server, "POST", "/v3/auth/token").await, 2);
    assert_eq!(count(&server, "GET", "/v3/user").await, 2);
}

#[tokio::test]
async fn ccp_wrong_api_key_gives_one_auth_error_and_no_storm() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "invalid api_key ccp-key-123"})),
        )
        .mount(&server)
        .await;
    let d = ccp(&server);
    let (a, b, c) = tokio::join!(d.list(), d.get_by_key("x"), d.list());
    for err in [a.unwrap_err(), b.unwrap_err(), c.unwrap_err()] {
        assert_eq!(err.kind, ErrorKind::Auth);
        let text = err.to_string();
        assert!(
            text.starts_with("ccp: get a token (HTTP 401): the api_key was refused"),
            "{text}"
        );
        assert!(!shown(&err).contains("ccp-key-123"), "{}", shown(&err));
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn ccp_lists_250_users_fetching_the_remaining_pages_concurrently() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok").await;
    let users: Vec<Json> = (0..250).map(ccp_user).collect();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    for (offset, chunk) in users.chunks(100).enumerate() {
        let offset = offset * 100;
        let body = json!({"data": chunk, "limit": 100, "offset": offset, "total": 250});
        let delay = if offset == 0 { 0 } else { PAGE_DELAY_MS };
        let response = ResponseTemplate::new(200)
            .set_body_json(body)
            .set_delay(Duration::from_millis(delay));
        Mock::given(method("GET"))
            .and(path("/v3/user"))
            .and(bearer_token("tok"))
            .and(query_param("limit", "100"))
            .and(query_param("offset", offset.to_string()))
            .respond_with(Recorded {
                arrivals: arrivals.clone(),
                response,
            })
            .expect(1)
            .mount(&server)
            .await;
    }
    let list = ccp(&server).list().await.unwrap();
    assert_eq!(list.len(), 250);
    assert_eq!(list[249].key, "user0249");
    assert_eq!(list[0].fields["is_active"], Value::Bool(true));
    assert_eq!(list[0].fields["extension"], Value::Str("100".into()));
    let times = arrivals.lock().unwrap().clone();
    assert_eq!(times.len(), 3);
    // Pages 2 and 3 were both asked for before the first of them answered.
    let gap = times[2].duration_since(times[1]);
    // Fetched one after the other, page 3 would be asked for only after
    // page 2's answer, that is at least its delay later.
    assert!(
        gap < Duration::from_millis(PAGE_DELAY_MS),
        "pages fetched one after the other: {gap:?}"
    );
    assert_eq!(count(&server, "POST", "/v3/auth/token").await, 1);
}

#[tokio::test]
async fn ccp_get_by_key_reads_the_list() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path("/v3/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [ccp_user(1), ccp_user(2)], "limit": 100, "offset": 0, "total": 2}),
        ))
        .mount(&server)
        .await;
    ccp_empty_past_first(&server).await;
    let d = ccp(&server);
    let found = d.get_by_key("user0002").await.unwrap().unwrap();
    assert_eq!(found.id, "uuid-0002");
    assert_eq!(d.get_by_key("nobody").await.unwrap(), None);
}

// ---------------------------------------------------------------- DNL

#[tokio::test]
async fn dnl_create_sends_the_documented_body_with_the_token_header() {
    let server = MockServer::start().await;
    mount_dnl_auth(&server, "eyas.tok").await;
    // The vendor's example body, plus the wrapped lists.
    Mock::given(method("POST"))
        .and(path("/api_dnl/v1/user/create"))
        .and(header("x-auth-token", "eyas.tok"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"passwd": "12345678", "user_type": "agent", "landing_page": "string",
            "first_name": "string", "active": true, "default_mod2": "string", "report_group": true,
            "card_id": 0, "show_carrier_trunk_drop_only": true, "name": "dnhai",
            "report_fields": "string", "email": "[email protected]",
            "auth_ip": [{"ip": "1.2.3.4"}], "client_limits": [{"client_id": 5}]}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object_id": 1795, "success": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let req = request(
        "dnhai",
        json!({"user_type": "agent", "landing_page": "string", "first_name": "string", "active": true,
            "default_mod2": "string", "report_group": true, "card_id": 0,
            "show_carrier_trunk_drop_only": true, "name": "dnhai", "report_fields": "string",
            "email": "[email protected]", "auth_ip": ["1.2.3.4"], "client_limits": [5]}),
        Some("12345678"),
    );
    assert_eq!(dnl(&server).create(&req).await.unwrap(), "1795");
}

#[tokio::test]
async fn dnl_edit_patches_the_changed_fields() {
    let server = MockServer::start().await;
    mount_dnl_auth(&server, "tok").await;
    Mock::given(method("PATCH"))
        .and(path("/api_dnl/v1/user/1795"))
        .and(header("x-auth-token", "tok"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"active": false})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let remote = RemoteRecord {
        id: "1795".into(),
        key: "dnhai".into(),
        fields: Default::default(),
    };
    dnl(&server)
        .update(&remote, &request("dnhai", json!({"active": false}), None))
        .await
        .unwrap();
}

#[tokio::test]
async fn dnl_success_false_in_a_200_is_an_error() {
    let server = MockServer::start().await;
    mount_dnl_auth(&server, "tok").await;
    Mock::given(method("PATCH"))
        .and(path("/api_dnl/v1/user/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": false,
            "error_type": "operation_error", "error": {"message": "User is locked", "code": 300, "reason": "locked"}})))
        .mount(&server)
        .await;
    let remote = RemoteRecord {
        id: "7".into(),
        key: "x".into(),
        fields: Default::default(),
    };
    let err = dnl(&server)
        .update(&remote, &request("x", json!({"active": false}), None))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dnl: edit user \"x\" (HTTP 200): User is locked (locked, code 300)"
    );
}

#[tokio::test]
async fn dnl_validation_errors_name_each_field_and_hide_the_password() {
    let server = MockServer::start().await;
    mount_dnl_auth(&server, "tok").await;
    Mock::given(method("POST"))
        .and(path("/api_dnl/v1/user/create"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error_type": "validation_error",
            "success": false, "errors": [{"user_type": ["Must be one of: admin, agent, client."]},
            {"passwd": ["'pw-0123456' is too short"]}]}),
        ))
        .mount(&server)
        .await;
    let err = dnl(&server)
        .create(&request("dnhai", json!({}), Some("pw-0123456")))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert_eq!(
        err.to_string(),
        "dnl: create user \"dnhai\" (HTTP 400): validation error; user_type: Must be one of: admin, agent, client.; passwd: '(redacted)' is too short"
    );
    assert!(!shown(&err).contains("pw-0123456"));
}

#[tokio::test]
async fn dnl_logs_in_again_once_after_a_401() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api_dnl/v1/auth"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"success": true, "payload": {"token": "old", "expired": "x"}}),
            ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_dnl_auth(&server, "new").await;
    Mock::given(method("GET"))
        .and(path("/api_dnl/v1/user/list"))
        .and(header("x-auth-token", "old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error_type": "unauthenticated_error",
            "success": false, "error": {"message": "Token expired", "code": 111, "reason": "auth_token_expired"}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api_dnl/v1/user/list"))
        .and(header("x-auth-token", "new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"success": true, "payload": {"items": [dnl_user(0)], "total": 1, "page": 0}}),
        ))
        .mount(&server)
        .await;
    let empty = json!({"success": true, "payload": {"items": [], "total": 0, "page": 1}});
    mount_empty_past_first(&server, "/api_dnl/v1/user/list", "page", empty).await;
    let list = dnl(&server).list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(count(&server, "POST", "/api_dnl/v1/auth").await, 2);
}

#[tokio::test]
async fn dnl_wrong_password_gives_one_auth_error_and_no_storm() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api_dnl/v1/auth"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"success": false,
            "error_type": "operation_error", "error": {"message": "Wrong email_or_name or password", "code": 101, "reason": "wrong_credentials"}})))
        .mount(&server)
        .await;
    let d = dnl(&server);
    let req = request("x", json!({}), Some("p"));
    let (a, b) = tokio::join!(d.list(), d.create(&req));
    for err in [a.unwrap_err(), b.unwrap_err()] {
        assert_eq!(err.kind, ErrorKind::Auth);
        assert!(
            err.to_string()
                .starts_with("dnl: log in (HTTP 401): the username or password was refused"),
            "{err}"
        );
        assert!(!shown(&err).contains("dnl-admin-pw"));
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn dnl_lists_250_users_fetching_the_remaining_pages_concurrently() {
    let server = MockServer::start().await;
    mount_dnl_auth(&server, "tok").await;
    let users: Vec<Json> = (0..250).map(dnl_user).collect();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    for (page, chunk) in users.chunks(100).enumerate() {
        let body =
            json!({"success": true, "payload": {"items": chunk, "total": 250, "page": page}});
        let delay = if page == 0 { 0 } else { PAGE_DELAY_MS };
        let response = ResponseTemplate::new(200)
            .set_body_json(body)
            .set_delay(Duration::from_millis(delay));
        Mock::given(method("GET"))
            .and(path("/api_dnl/v1/user/list"))
            .and(header("x-auth-token", "tok"))
            .and(query_param("page", page.to_string()))
            .and(query_param("per_page", "100"))
            .respond_with(Recorded {
                arrivals: arrivals.clone(),
                response,
            })
            .expect(1)
            .mount(&server)
            .await;
    }
    let d = dnl(&server);
    let list = d.list().await.unwrap();
    assert_eq!(list.len(), 250);
    assert_eq!(list[0].id, "1");
    assert_eq!(list[0].fields["role_id"], Value::Int(2));
    assert_eq!(list[0].fields["client_id"], Value::Null);
    let times = arrivals.lock().unwrap().clone();
    assert_eq!(times.len(), 3);
    let gap = times[2].duration_since(times[1]);
    // Fetched one after the other, page 3 would be asked for only after
    // page 2's answer, that is at least its delay later.
    assert!(
        gap < Duration::from_millis(PAGE_DELAY_MS),
        "pages fetched one after the other: {gap:?}"
    );
}

#[tokio::test]
async fn dnl_html_answer_is_a_protocol_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api_dnl/v1/auth"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html>login page</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let err = dnl(&server).list().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Protocol);
    assert!(err.to_string().starts_with("dnl: log in"), "{err}");
}

// ---------------------------------------------------------------- against the sandbox

mod against_the_sandbox {
    use super::*;
    use headcount::sandbox::{
        FaultKind, Sandbox, SandboxOptions, ScheduledFault, Seed, CCP_API_KEY, DNL_PASSWORD,
        DNL_USER, THULIUM_PASSWORD, THULIUM_USER,
    };

    async fn start(seed: Seed) -> Sandbox {
        Sandbox::start(SandboxOptions {
            seed,
            ..Default::default()
        })
        .await
        .unwrap()
    }

    fn driver(sandbox: &Sandbox, vendor: &str) -> Arc<dyn Driver> {
        let cfg = match vendor {
            "thulium" => config(
                "thulium",
                &sandbox.thulium_url(),
                &[("username", THULIUM_USER), ("password", THULIUM_PASSWORD)],
            ),
            "ccp" => config("ccp", &sandbox.ccp_url(), &[("api_key", CCP_API_KEY)]),
            _ => config(
                "dnl",
                &sandbox.dnl_url(),
                &[("username", DNL_USER), ("password", DNL_PASSWORD)],
            ),
        };
        connect(vendor, cfg)
    }

    /// The create request, an edit and the field that deactivates, per vendor.
    fn scenario(vendor: &str) -> (WriteRequest, Json, &'static str) {
        match vendor {
            "thulium" => (
                request(
                    "jkowalski",
                    json!({"login": "jkowalski", "name": "Jan", "surname": "Kowalski",
                        "email": "jk@foo.bar", "number": "345", "roles": [1, 2]}),
                    Some("somepass123!QAZ"),
                ),
                json!({"email": "jan.kowalski@foo.bar", "outbound_mode": "auto"}),
                "active",
            ),
            "ccp" => (
                request(
                    "AgentSale03",
                    json!({"username": "AgentSale03", "level": "agent",
                        "role_uuid": "e40292d3-4707-40e5-a7f2-044d3d639757",
                        "email": "AgentSale03@demo-ccp.com", "first_name": "AgentSale03",
                        "extension": "103", "is_create_extension": true, "is_active": true,
                        "enable_webrtc": false}),
                    Some("Password@2023!!!"),
                ),
                json!({"first_name": "Sale Three", "enable_webrtc": true}),
                "is_active",
            ),
            _ => (
                request(
                    "dnhai",
                    json!({"name": "dnhai", "user_type": "agent", "email": "dnhai@example.net",
                        "first_name": "Dn", "last_name": "Hai", "active": true,
                        "auth_ip": ["1.2.3.4"], "client_limits": [5]}),
                    Some("12345678"),
                ),
                json!({"email": "hai@example.net", "landing_page": "/cdr"}),
                "active",
            ),
        }
    }

    fn with_password(fields: Json, create: &WriteRequest) -> WriteRequest {
        let mut req = request(&create.key, fields, None);
        req.secrets = create.secrets.clone();
        req
    }

    async fn list_create_edit_deactivate(vendor: &str) {
        let sandbox = start(Seed::default()).await;
        let d = driver(&sandbox, vendor);
        let before = d.list().await.unwrap().len();
        let (create, edit, active) = scenario(vendor);
        let id = d.create(&create).await.unwrap();
        let listed = d.list().await.unwrap();
        assert_eq!(listed.len(), before + 1, "{vendor}");
        let rec = listed.into_iter().find(|r| r.key == create.key).unwrap();
        assert_eq!(rec.id, id, "{vendor}");
        for (name, value) in &create.fields {
            let spec = d.schema().field(name).unwrap();
            if spec.is_readable() {
                assert_eq!(rec.fields.get(name), Some(value), "{vendor} {name}");
            }
        }
        // Edit some fields.
        d.update(
            &rec,
            &with_echoes(vendor, &rec, with_password(edit.clone(), &create)),
        )
        .await
        .unwrap();
        let rec = d.get_by_key(&create.key).await.unwrap().unwrap();
        for (name, value) in edit.as_object().unwrap() {
            assert_eq!(rec.fields[name], Value::from_json(value), "{vendor} {name}");
        }
        // Deactivate.
        d.update(
            &rec,
            &with_echoes(
                vendor,
                &rec,
                with_password(json!({ active: false }), &create),
            ),
        )
        .await
        .unwrap();
        let rec = d.get_by_key(&create.key).await.unwrap().unwrap();
        assert_eq!(rec.fields[active], Value::Bool(false), "{vendor}");
        // Untouched fields kept their values.
        let untouched = if vendor == "ccp" {
            "extension"
        } else {
            "email"
        };
        let expected = edit
            .get(untouched)
            .map(Value::from_json)
            .unwrap_or_else(|| create.fields[untouched].clone());
        assert_eq!(rec.fields[untouched], expected, "{vendor}");
        sandbox.shutdown().await;
    }

    #[tokio::test]
    async fn thulium_lists_creates_edits_and_deactivates() {
        list_create_edit_deactivate("thulium").await;
    }

    #[tokio::test]
    async fn ccp_lists_creates_edits_and_deactivates() {
        list_create_edit_deactivate("ccp").await;
    }

    #[tokio::test]
    async fn dnl_lists_creates_edits_and_deactivates() {
        list_create_edit_deactivate("dnl").await;
    }

    async fn dropped_after_processing(vendor: &str, path_prefix: &str) {
        let sandbox = start(Seed::default()).await;
        let d = driver(&sandbox, vendor);
        // Log in first, so that the fault hits the create itself.
        d.list().await.unwrap();
        sandbox.schedule_fault(ScheduledFault {
            kind: FaultKind::DropAfter,
            method: Some("POST".into()),
            path_prefix: Some(path_prefix.into()),
        });
        let (create, _, _) = scenario(vendor);
        let err = d.create(&create).await.unwrap_err();
        assert!(err.ambiguous, "{vendor}: {err}");
        let found = d.get_by_key(&create.key).await.unwrap();
        assert!(found.is_some(), "{vendor}: the create happened");
        assert_eq!(sandbox.count(vendor).unwrap(), 1, "{vendor}: no duplicate");
        sandbox.shutdown().await;
    }

    #[tokio::test]
    async fn thulium_create_dropped_after_processing_is_ambiguous_and_found() {
        dropped_after_processing("thulium", "/thulium/api/agents").await;
    }

    #[tokio::test]
    async fn ccp_create_dropped_after_processing_is_ambiguous_and_found() {
        dropped_after_processing("ccp", "/ccp/v3/user").await;
    }

    #[tokio::test]
    async fn dnl_create_dropped_after_processing_is_ambiguous_and_found() {
        dropped_after_processing("dnl", "/dnl/user/create").await;
    }

    #[tokio::test]
    async fn paging_reads_every_account_of_a_large_sandbox() {
        let ccp_users: Vec<Json> = (0..250)
            .map(|i| {
                json!({"user_uuid": format!("00000000-0000-4000-8000-{i:012}"), "username": format!("u{i:03}"),
                    "level": "agent", "role_uuid": "r", "user_enabled": "true"})
            })
            .collect();
        let dnl_users: Vec<Json> = (0..250)
            .map(|i| json!({"user_id": i + 1, "name": format!("u{i:03}"), "user_type": "agent", "active": true}))
            .collect();
        let sandbox = start(
            Seed::default()
                .with("ccp", ccp_users)
                .with("dnl", dnl_users),
        )
        .await;
        for vendor in ["ccp", "dnl"] {
            let list = driver(&sandbox, vendor).list().await.unwrap();
            assert_eq!(list.len(), 250, "{vendor}");
            let mut keys: Vec<_> = list.iter().map(|r| r.key.clone()).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), 250, "{vendor}");
        }
        sandbox.shutdown().await;
    }

    #[tokio::test]
    async fn wrong_credentials_against_the_sandbox_are_one_auth_error() {
        let sandbox = start(Seed::default()).await;
        for (vendor, cfg) in [
            (
                "thulium",
                config(
                    "thulium",
                    &sandbox.thulium_url(),
                    &[("username", THULIUM_USER), ("password", "wrong-pass")],
                ),
            ),
            (
                "ccp",
                config("ccp", &sandbox.ccp_url(), &[("api_key", "wrong-key")]),
            ),
            (
                "dnl",
                config(
                    "dnl",
                    &sandbox.dnl_url(),
                    &[("username", DNL_USER), ("password", "wrong-pass")],
                ),
            ),
        ] {
            sandbox.clear_requests();
            let d = connect(vendor, cfg);
            let err = d.list().await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Auth, "{vendor}: {err}");
            assert!(err.to_string().starts_with(vendor), "{err}");
            assert!(!shown(&err).contains("wrong-"), "{}", shown(&err));
            assert!(d.list().await.is_err());
            assert_eq!(sandbox.requests().len(), 1, "{vendor}");
        }
        sandbox.shutdown().await;
    }
}

// ---------------------------------------------------------------- vendor evidence (issue 15)

/// The members of the vendor's "Edit User" example (`PUT /v3/user/{uuid}`).
const CCP_EXAMPLE_EDIT_FIELDS: &[&str] = &[
    "user_uuid",
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

async fn put_bodies(server: &MockServer) -> Vec<Json> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn ccp_edit_of_one_field_sends_every_member_of_the_vendor_example() {
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok-1").await;
    Mock::given(method("PUT"))
        .and(path("/v3/user/d9c40ff9-97e0-4ab7-8f09-0b2748299aeb"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "extension_uuid": "e91b3dc7-76ec-4492-9ff7-3b84d6d3b5c1",
            "user_uuid": "d9c40ff9-97e0-4ab7-8f09-0b2748299aeb"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let req = ccp_edit_request(
        &seed_ccp_remote(),
        json!({"first_name": "Sale Three"}),
        "Password@2023!!!",
    );
    ccp(&server).update(&seed_ccp_remote(), &req).await.unwrap();
    let bodies = put_bodies(&server).await;
    let body = bodies[0].as_object().unwrap();
    let mut sent: Vec<&str> = body.keys().map(String::as_str).collect();
    let mut example = CCP_EXAMPLE_EDIT_FIELDS.to_vec();
    sent.sort_unstable();
    example.sort_unstable();
    assert_eq!(sent, example, "{body:?}");
    // From the file: the changed field; from the remote record: the rest.
    assert_eq!(body["first_name"], "Sale Three");
    assert_eq!(body["email"], "AgentSale03@demo-ccp.com");
    assert_eq!(body["extension"], "103");
    assert_eq!(body["is_active"], false);
    // Never read back and not in the request: an edit asks for no new extension.
    assert_eq!(body["is_create_extension"], false);
}

#[tokio::test]
async fn ccp_edit_echoes_non_email_text_read_in_email() {
    // The vendor's own list sample holds "Agent01Internal" in `email`.
    let server = MockServer::start().await;
    mount_ccp_token(&server, "tok-1").await;
    let mut user = ccp_user(1);
    user["email"] = json!("Agent01Internal");
    Mock::given(method("GET"))
        .and(path("/v3/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [user], "limit": 100, "offset": 0, "total": 1})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v3/user/uuid-0001"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"extension_uuid": "e", "user_uuid": "uuid-0001"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    ccp_empty_past_first(&server).await;
    let driver = ccp(&server);
    let remote = driver.get_by_key("user0001").await.unwrap().unwrap();
    let req = ccp_edit_request(&remote, json!({"enable_webrtc": false}), "pw");
    driver.update(&remote, &req).await.unwrap();
    assert_eq!(put_bodies(&server).await[0]["email"], "Agent01Internal");
}

#[tokio::test]
async fn dnl_edit_sends_passwd_when_the_request_carries_the_password() {
    let server = MockServer::start().await;
    mount_dnl_auth(&server, "tok").await;
    Mock::given(method("PATCH"))
        .and(path("/api_dnl/v1/user/1795"))
        .and(header("x-auth-token", "tok"))
        .and(body_json(
            json!({"active": true, "passwd": "N3w-Pass-2b7c"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let remote = RemoteRecord {
        id: "1795".into(),
        key: "dnhai".into(),
        fields: Default::default(),
    };
    let req = request("dnhai", json!({"active": true}), Some("N3w-Pass-2b7c"));
    dnl(&server).update(&remote, &req).await.unwrap();
}

#[test]
fn the_field_tables_say_which_passwords_an_edit_can_change() {
    let password = |vendor: &str| {
        *drivers::vendor(vendor)
            .unwrap()
            .schema
            .field("password")
            .unwrap()
    };
    assert!(password("dnl").rotatable, "DNL's PATCH takes passwd");
    assert!(password("ccp").rotatable, "CCP's PUT takes the password");
    assert!(
        !password("thulium").rotatable,
        "no documented Thulium edit takes it"
    );
}
