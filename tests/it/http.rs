//! The HTTP layer against servers that misbehave (issue 14, findings 4, 7
//! and 8): error bodies echoing secrets, TLS certificates that are not
//! trusted, a vendor that never answers. Loopback servers only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use headcount::drivers::{self, http, Driver, ErrorKind, ProviderConfig};
use headcount::model::{Value, WriteRequest};
use headcount::sandbox::{
    FaultKind, FaultSettings, Sandbox, SandboxOptions, Seed, THULIUM_PASSWORD, THULIUM_USER,
};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config(base: &str) -> ProviderConfig {
    let mut c = ProviderConfig::new("thulium", url::Url::parse(base).unwrap())
        .with_credential("username", "api_user")
        .with_credential("password", "Zr4!Vq8#Wm");
    c.timeout = Duration::from_secs(5);
    c.retry.retries = 2;
    c.retry.base_delay = Duration::from_millis(10);
    c
}

fn connect(config: ProviderConfig) -> Arc<dyn Driver> {
    match (drivers::vendor("thulium").unwrap().connect)(config) {
        Ok(d) => d,
        Err(e) => panic!("connect failed: {e}"),
    }
}

// ------------------------------------------------------------------ redaction

/// Finding 14.4: a vendor echoing the request (password, Basic header) in a
/// plain-text error. Whatever the length of what comes before the password,
/// so that it lands at every position around the cut of the message, no
/// piece of it (nor of the credentials) reaches the error.
#[tokio::test]
async fn an_echoed_password_shows_no_part_of_itself_wherever_the_cut_falls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/agents"))
        .respond_with(|req: &wiremock::Request| {
            let auth = req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body = String::from_utf8_lossy(&req.body).to_string();
            ResponseTemplate::new(400)
                .insert_header("content-type", "text/plain")
                .set_body_string(format!("rejected {body} sent with {auth}"))
        })
        .mount(&server)
        .await;
    let driver = connect(config(&server.uri()));
    let password = "Pw9#Zk!Qx7-Lm2v";
    let secrets = [password, "Zr4!Vq8#Wm"];
    for pad in 0..150 {
        let mut request = WriteRequest {
            key: "jk".into(),
            ..Default::default()
        };
        request
            .fields
            .insert("name".into(), Value::Str("n".repeat(pad + 1)));
        request
            .secrets
            .insert("password".into(), SecretString::from(password.to_string()));
        let err = driver.create(&request).await.unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("rejected"), "{shown}");
        for secret in secrets {
            for piece in secret.as_bytes().windows(3) {
                let piece = std::str::from_utf8(piece).unwrap();
                assert!(
                    !shown.contains(piece),
                    "pad {pad}: {piece:?} of a secret in {shown}"
                );
            }
        }
    }
}

// ------------------------------------------------------------------ TLS

fn tls_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tls")
        .join(name)
}

/// A loopback HTTPS server presenting `cert`, answering every request with
/// an empty JSON list. Returns its address and a count of TCP connections.
async fn tls_server(cert: &str, key: &str) -> (SocketAddr, Arc<AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(tls_file(cert))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(tls_file(key)).unwrap();
    let mut server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]";
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, connections)
}

/// Finding 14.7: a server whose certificate no trusted authority issued is
/// refused at once (no retry), in words: which host, what is wrong, and the
/// hint names `ca_file:`.
#[tokio::test]
async fn an_untrusted_certificate_is_refused_at_once_in_plain_words() {
    let (addr, connections) = tls_server("server.pem", "server.key").await;
    let mut cfg = config(&format!("https://localhost:{}", addr.port()));
    cfg.retry.retries = 5;
    let err = connect(cfg).list().await.unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind, ErrorKind::Certificate, "{text}");
    assert!(
        text.contains("localhost is not trusted: its certificate is not issued by a certificate authority this machine trusts"),
        "{text}"
    );
    assert!(!text.contains("UnknownIssuer"), "{text}");
    assert!(err.hint().contains("ca_file:"), "{}", err.hint());
    assert_eq!(connections.load(Ordering::SeqCst), 1, "not retried");
}

/// The finding's own case: a CA certificate presented as the server's.
#[tokio::test]
async fn a_ca_certificate_used_as_the_server_certificate_is_named_as_such() {
    let (addr, connections) = tls_server("ca.pem", "ca.key").await;
    let mut cfg = config(&format!("https://127.0.0.1:{}", addr.port()));
    cfg.ca_file = Some(tls_file("ca.pem"));
    let err = connect(cfg).list().await.unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind, ErrorKind::Certificate, "{text}");
    assert!(text.contains("127.0.0.1 is not trusted"), "{text}");
    assert!(
        text.contains("presents a certificate authority's own certificate"),
        "{text}"
    );
    assert!(!text.contains("CaUsedAsEndEntity"), "{text}");
    assert_eq!(connections.load(Ordering::SeqCst), 1, "not retried");
}

/// `ca_file` trusts a private CA: the same server is then read.
#[tokio::test]
async fn ca_file_trusts_a_private_certificate_authority() {
    let (addr, _) = tls_server("server.pem", "server.key").await;
    let mut cfg = config(&format!("https://localhost:{}", addr.port()));
    cfg.ca_file = Some(tls_file("ca.pem"));
    let records = connect(cfg).list().await.unwrap();
    assert!(records.is_empty());

    // A ca_file that is not a certificate is a clear error before any request.
    let mut cfg = config(&format!("https://localhost:{}", addr.port()));
    cfg.ca_file = Some(tls_file("README.md"));
    let err = match (drivers::vendor("thulium").unwrap().connect)(cfg) {
        Err(e) => e,
        Ok(_) => panic!("a README is not a CA file"),
    };
    assert_eq!(err.kind, ErrorKind::Config);
    assert!(
        err.to_string().contains("holds no PEM certificate"),
        "{err}"
    );
}

/// `ca_file:` in the desired-state file reaches the driver: `plan` trusts
/// the private authority with it, and refuses the server without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_file_in_the_desired_state_file_is_trusted_by_plan() {
    let (addr, _) = tls_server("server.pem", "server.key").await;
    let url = format!("https://localhost:{}", addr.port());
    let ca = tls_file("ca.pem");
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || plan_with(&url, &format!("    ca_file: {}\n", ca.display()))
    })
    .await
    .unwrap();
    assert_eq!(code, Some(2), "one create planned:\n{stdout}\n{stderr}");
    assert!(stdout.contains("+ agent \"ag1\""), "{stdout}");
    let (code, _, stderr) = tokio::task::spawn_blocking(move || plan(&url))
        .await
        .unwrap();
    assert_eq!(code, Some(1));
    assert!(stderr.contains("ca_file"), "{stderr}");
}

// ------------------------------------------------------------------ deadline

/// Finding 14.8: a vendor that never answers costs the provider's deadline,
/// not timeout x attempts, and the message gives the per-request timeout,
/// the attempts made and the deadline. On tokio's paused clock (the sandbox
/// runs on the test's runtime): the timeouts, the waits and the deadline
/// pass at once, and the time they took is exact.
#[tokio::test(start_paused = true)]
async fn a_vendor_that_never_answers_fails_the_read_at_the_deadline() {
    let sandbox = Sandbox::start(SandboxOptions {
        port: 0,
        faults: FaultSettings {
            rate: 1.0,
            kinds: vec![FaultKind::Hang],
            latency_ms: 0,
        },
        rng_seed: Some(7),
        seed: Seed::default(),
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let mut cfg = ProviderConfig::new(
        "thulium",
        url::Url::parse(&format!("{}/thulium", sandbox.base_url())).unwrap(),
    )
    .with_credential("username", THULIUM_USER)
    .with_credential("password", THULIUM_PASSWORD);
    cfg.timeout = Duration::from_millis(400);
    cfg.deadline = Duration::from_millis(1500);
    cfg.retry.base_delay = Duration::from_millis(50);
    let driver = connect(cfg);
    let started = tokio::time::Instant::now();
    let err = http::read_scope(driver.list()).await.unwrap_err();
    let elapsed = started.elapsed();
    let text = err.to_string();
    assert_eq!(err.kind, ErrorKind::Timeout, "{text}");
    // Retries alone would go on for about a minute (ten waits up to 10 s):
    // the read ends at the 1.5 s deadline, within one request's timeout.
    assert!(
        elapsed >= Duration::from_millis(1200) && elapsed <= Duration::from_millis(1500),
        "{elapsed:?}: {text}"
    );
    let sent = sandbox
        .requests()
        .iter()
        .filter(|r| r.vendor == "thulium")
        .count();
    assert!(sent >= 3, "{sent} requests");
    assert!(
        text.contains(&format!("gave up after {sent} attempts")),
        "{sent} requests: {text}"
    );
    assert!(text.contains("each request may take 400 ms"), "{text}");
    assert!(
        text.contains("reading the provider gives up after 1.5 s"),
        "{text}"
    );
    sandbox.shutdown().await;
}

// ------------------------------------------------------------------ wrong types

/// Finding 14.10: a field of the wrong type (a word where true/false is
/// documented, a number where an e-mail address is, a list where text is)
/// is a protocol error naming the provider, the account and the field; the
/// plan is not made. Digits sent as a number for a text field (Thulium
/// documents `number` so) are not an error.
#[test]
fn a_field_of_the_wrong_type_is_a_protocol_error_naming_the_field() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let answers = [
        (
            serde_json::json!({"active": "maybe"}),
            r#"agent "ag1": `active` is text ("maybe"), but the API documents true or false"#,
        ),
        (
            serde_json::json!({"surname": ["B"]}),
            r#"agent "ag1": `surname` is a list (["B"]), but the API documents a string"#,
        ),
        (
            serde_json::json!({"email": 42}),
            r#"agent "ag1": `email` is a number (42), but the API documents"#,
        ),
    ];
    for (wrong, message) in answers {
        let mut agent =
            serde_json::json!({"login": "ag1", "name": "A", "surname": "B", "number": 1});
        for (k, v) in wrong.as_object().unwrap() {
            agent[k] = v.clone();
        }
        let server = rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/api/agents"))
                .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([agent])))
                .mount(&server)
                .await;
            server
        });
        let (code, stdout, stderr) = plan(&server.uri());
        // One line, as miette wraps it at 100 columns.
        let stderr = stderr
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(code, Some(1), "{stdout}\n{stderr}");
        assert!(stderr.contains("p: list agents"), "{stderr}");
        assert!(stderr.contains(message), "{message} not in:\n{stderr}");
        assert!(!stdout.contains("Plan:"), "{stdout}");
    }
    // The documented mix-up alone: 1 and "1" are the same number, no change.
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/agents"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([
                {"login": "ag1", "name": "A", "surname": "B", "number": 1, "active": true}
            ])))
            .mount(&server)
            .await;
        server
    });
    let (code, stdout, stderr) = plan(&server.uri());
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
}

/// `headcount plan --detailed-exitcode` of one Thulium agent against `url`.
fn plan(url: &str) -> (Option<i32>, String, String) {
    plan_with(url, "")
}

/// [`plan`] with more lines in the provider's block.
fn plan_with(url: &str, provider_lines: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h.yaml");
    std::fs::write(
        &file,
        format!(
            "version: 1\nproviders:\n  p:\n    type: thulium\n    url: {url}\n{provider_lines}    auth: {{ username: {{ env: HC_T_USER }}, password: {{ env: HC_T_PASS }} }}\nagents:\n  - {{ login: ag1, name: A, surname: B, number: \"1\", password: {{ env: HC_AGENT_PW }} }}\n"
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_headcount"))
        .args(["plan", "--detailed-exitcode", "-f", file.to_str().unwrap()])
        .env("HC_T_USER", "u")
        .env("HC_T_PASS", "p")
        .env("HC_AGENT_PW", "pw")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue 28: a wrong port (nothing listens) fails on the first try, in
/// words that name the url, instead of retrying until the deadline.
#[tokio::test]
async fn a_refused_connection_names_the_url_and_is_not_retried() {
    // A port that was free a moment ago: nothing listens on it now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}/thulium");
    let mut cfg = config(&base);
    cfg.retry.retries = 10;
    let err = http::read_scope(connect(cfg).list()).await.unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind, ErrorKind::Transport, "{text}");
    assert!(
        text.contains(&format!("cannot connect to {base}: connection refused")),
        "{text}"
    );
    assert!(!err.is_retryable(), "{text}");
    assert!(!text.contains("gave up after"), "tried once: {text}");
    assert!(
        err.hint().contains("check the provider's url"),
        "{}",
        err.hint()
    );
}
