//! The HTTP layer every driver shares: one reqwest client per provider
//! (rustls, timeouts, no redirects, connection reuse), a concurrency limit,
//! retries of idempotent calls ([`RetryPolicy`]) within one deadline,
//! authentication (HTTP Basic or a token fetched once and refreshed once on
//! a 401), and the mapping of answers to [`DriverError`]s with every secret
//! redacted.

use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use backon::Retryable;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value as Json;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use super::error::{redacted_snippet, DriverError, ErrorKind, Hint};
use super::retry::{parse_retry_after, RetryPolicy};
use super::{ProviderConfig, RateBudget};
use crate::model::DriverSchema;

/// The User-Agent of every request.
pub const USER_AGENT: &str = concat!("headcount/", env!("CARGO_PKG_VERSION"));

/// The largest answer body read; larger answers are a protocol error.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// A vendor's error body in plain words: its message and its field errors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VendorMessage {
    pub message: Option<String>,
    pub field_errors: Vec<(String, String)>,
}

/// Reads a vendor's documented error body.
pub type ErrorParser = fn(&Json) -> VendorMessage;

/// One logical call. Not `Debug`: the body may hold a password.
pub struct Request {
    pub method: Method,
    /// Path segments appended to the provider's base URL (each is escaped).
    pub segments: Vec<String>,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Json>,
    /// What is being done, for messages ("create user \"x\"").
    pub context: String,
    /// Safe to send twice: retried on 5xx, 429 and transport failures.
    /// A non-idempotent call (a create) is never retried, and a failure after
    /// it may have been sent is marked ambiguous.
    pub idempotent: bool,
    /// Secrets sent in the body, redacted from any error.
    pub secrets: Vec<SecretString>,
}

impl Request {
    fn new(
        method: Method,
        segments: &[&str],
        context: impl Into<String>,
        idempotent: bool,
    ) -> Self {
        Request {
            method,
            segments: segments.iter().map(|s| s.to_string()).collect(),
            query: Vec::new(),
            body: None,
            context: context.into(),
            idempotent,
            secrets: Vec::new(),
        }
    }

    pub fn get(segments: &[&str], context: impl Into<String>) -> Self {
        Request::new(Method::GET, segments, context, true)
    }

    /// A POST that creates something: never retried.
    pub fn create(segments: &[&str], context: impl Into<String>) -> Self {
        Request::new(Method::POST, segments, context, false)
    }

    /// A POST that creates nothing (a login): safe to retry.
    pub fn login(segments: &[&str], context: impl Into<String>) -> Self {
        Request::new(Method::POST, segments, context, true)
    }

    pub fn put(segments: &[&str], context: impl Into<String>) -> Self {
        Request::new(Method::PUT, segments, context, true)
    }

    pub fn patch(segments: &[&str], context: impl Into<String>) -> Self {
        Request::new(Method::PATCH, segments, context, true)
    }

    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn json(mut self, body: Json) -> Self {
        self.body = Some(body);
        self
    }

    pub fn secrets<'a>(mut self, secrets: impl IntoIterator<Item = &'a SecretString>) -> Self {
        self.secrets.extend(secrets.into_iter().cloned());
        self
    }
}

/// A 2xx answer.
pub struct Response {
    pub status: u16,
    content_type: String,
    pub body: Vec<u8>,
}

/// A header carrying a credential, and the secret inside it (for redaction).
#[derive(Clone)]
pub struct AuthHeader {
    pub name: HeaderName,
    pub value: SecretString,
    pub secret: SecretString,
}

/// One provider's HTTP client. Cheap to share by reference across
/// concurrent calls.
pub struct HttpClient {
    provider: String,
    base: url::Url,
    client: reqwest::Client,
    limit: Arc<Semaphore>,
    parallelism: usize,
    retry: RetryPolicy,
    /// Per request (connect + answer).
    timeout: Duration,
    /// Per call with its retries, and per read scope.
    deadline: Duration,
    parse_error: ErrorParser,
    /// Every configured credential, redacted from any error.
    credentials: Vec<SecretString>,
    /// The server's clock (its last `Date` header) and when it was read.
    server_date: std::sync::Mutex<Option<(std::time::SystemTime, std::time::SystemTime)>>,
    /// The provider's request budget (`rate_limit`), if any.
    budget: Option<governor::DefaultDirectRateLimiter>,
    /// Requests sent (every attempt).
    sent: AtomicU64,
}

/// The token bucket of a [`RateBudget`].
fn limiter(budget: &RateBudget) -> Option<governor::DefaultDirectRateLimiter> {
    let period = Duration::from_secs_f64(1.0 / budget.per_second.max(f64::MIN_POSITIVE));
    let burst = std::num::NonZeroU32::new(budget.burst.max(1))?;
    let quota = governor::Quota::with_period(period)?.allow_burst(burst);
    Some(governor::RateLimiter::direct(quota))
}

/// Whether a URL's host is on this machine (plain http is allowed there).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Checks the transport rule: https, or http to a loopback host (or with
/// `insecure_http`). Returns the reason for a refusal.
pub fn check_transport(url: &url::Url, insecure_http: bool) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the url carries credentials; put them in the provider's auth: block".into());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) || insecure_http => Ok(()),
        "http" => Err(format!(
            "refusing plain http:// to {} (credentials would travel unencrypted); use https://, or set insecure_http: true for a trusted network",
            url.host_str().unwrap_or("the host")
        )),
        other => Err(format!("unsupported url scheme {other}:// (use https://)")),
    }
}

/// The `ErrorKind` of an HTTP status that is not a success.
pub fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Auth,
        404 | 410 => ErrorKind::NotFound,
        429 => ErrorKind::RateLimited,
        400 | 409 | 422 => ErrorKind::Validation,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Protocol,
    }
}

fn looks_like_html(content_type: &str, body: &[u8]) -> bool {
    let start = String::from_utf8_lossy(&body[..body.len().min(64)])
        .trim_start()
        .to_ascii_lowercase();
    content_type.contains("html") || start.starts_with("<!doctype") || start.starts_with("<html")
}

/// The longest extract of an answer quoted in a message, in characters.
const SNIPPET_CHARS: usize = 120;

/// The largest CA file read (1 MiB: hundreds of certificates).
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

tokio::task_local! {
    /// When the current provider read began (see [`read_scope`]).
    static READ_STARTED: ReadScope;
    /// What the vendor answered the last write of the current change (see [`receipt_scope`]).
    static RECEIPT: std::cell::RefCell<Receipt>;
}

/// What the vendor answered a change's last write (for the journal): its
/// HTTP status and request id when it gave them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receipt {
    pub http_status: Option<u16>,
    /// The vendor's request id (an `X-Request-Id` or `Request-Id` header).
    pub request_id: Option<String>,
    /// The last write may have been processed although no answer came.
    pub ambiguous: bool,
    /// The vendor's id of a created account.
    pub id: Option<String>,
}

/// Runs `change` (one change's writes) and returns what the vendor
/// answered its last write, besides its output.
pub async fn receipt_scope<F: std::future::Future>(change: F) -> (F::Output, Receipt) {
    RECEIPT
        .scope(std::cell::RefCell::new(Receipt::default()), async move {
            let out = change.await;
            let receipt = RECEIPT.with(|r| r.borrow().clone());
            (out, receipt)
        })
        .await
}

/// Records a write's answer in the current [`receipt_scope`], if any.
fn record_receipt(status: Option<u16>, headers: Option<&HeaderMap>) {
    let request_id = headers.and_then(|h| {
        ["x-request-id", "request-id", "x-amzn-requestid"]
            .iter()
            .find_map(|name| h.get(*name))
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
            .map(str::to_string)
    });
    let _ = RECEIPT.try_with(|r| {
        let mut r = r.borrow_mut();
        r.http_status = status;
        r.request_id = request_id;
        r.ambiguous = false;
    });
}

/// Marks the current [`receipt_scope`]'s last write as ambiguous, or records
/// the id of the account it created.
pub fn note_receipt(ambiguous: bool, id: Option<&str>) {
    let _ = RECEIPT.try_with(|r| {
        let mut r = r.borrow_mut();
        r.ambiguous = ambiguous;
        if let Some(id) = id {
            r.id = Some(id.to_string());
        }
    });
}

/// One provider read: when it began, and how long its requests waited for
/// the provider's rate budget (that wait does not count against the deadline).
struct ReadScope {
    started: Instant,
    waited_us: AtomicU64,
}

/// Runs `read` (one provider's read: every page of a list) as one scope: the
/// provider's deadline then bounds the whole of it, retries included, not
/// each call alone.
pub async fn read_scope<F: std::future::Future>(read: F) -> F::Output {
    let scope = ReadScope {
        started: Instant::now(),
        waited_us: AtomicU64::new(0),
    };
    READ_STARTED.scope(scope, read).await
}

/// Loads the certificate authorities of a provider's `ca_file`.
fn load_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let shown = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read ca_file {shown}: {e}"))?;
    let mut pem = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(|e| format!("cannot read ca_file {shown}: {e}"))?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(format!(
            "ca_file {shown} is larger than 1 MiB; it should hold PEM certificates only"
        ));
    }
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        _ => Err(format!(
            "ca_file {shown} holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)"
        )),
    }
}

/// A TLS certificate the server presented and rustls refused, in words.
fn certificate_problem(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(rustls::Error::InvalidCertificate(problem)) =
            err.downcast_ref::<rustls::Error>()
        {
            return Some(certificate_words(problem));
        }
        // An io::Error hides the error it wraps from `source()`: unwrap it.
        source = match err.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => err.source(),
            },
            None => err.source(),
        };
    }
    None
}

fn certificate_words(problem: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match problem {
        C::UnknownIssuer => "its certificate is not issued by a certificate authority this machine trusts (a private CA, or a self-signed certificate)".into(),
        C::Expired | C::ExpiredContext { .. } => "its certificate has expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "its certificate is not valid yet (check this machine's clock)".into()
        }
        C::NotValidForName => "its certificate is for another host name".into(),
        C::NotValidForNameContext { presented, .. } => format!(
            "its certificate is for another host name ({})",
            presented.join(", ")
        ),
        C::Revoked => "its certificate has been revoked".into(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "its certificate is not meant to identify a server".into()
        }
        C::BadEncoding | C::BadSignature => {
            "its certificate is malformed or its signature is invalid".into()
        }
        // webpki's errors display as their names.
        C::Other(other) if other.to_string() == "CaUsedAsEndEntity" => "it presents a certificate authority's own certificate as its server certificate (a CA certificate cannot identify a server: the server needs a certificate issued by that CA)".into(),
        other => format!("its certificate was refused ({other})"),
    }
}

impl HttpClient {
    /// Keeps the server's `Date` header (an HTTP date, whole seconds).
    fn note_date(&self, headers: &HeaderMap) {
        let date = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        if let Some(date) = date {
            let mut slot = self
                .server_date
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *slot = Some((date, std::time::SystemTime::now()));
        }
    }

    /// The server's clock minus this machine's, in seconds, from the last
    /// `Date` header received (none when no answer carried one).
    pub fn clock_skew_secs(&self) -> Option<i64> {
        let slot = self
            .server_date
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (server, local) = (*slot)?;
        Some(match server.duration_since(local) {
            Ok(ahead) => i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
            Err(behind) => -i64::try_from(behind.duration().as_secs()).unwrap_or(i64::MAX),
        })
    }

    /// A client for one provider. Every credential the schema marks secret
    /// (and any credential it does not know) is redacted from errors; a plain
    /// user name is not, so vendor messages mentioning e.g. "admin" stay readable.
    pub fn new(
        config: &ProviderConfig,
        schema: &DriverSchema,
        parse_error: ErrorParser,
    ) -> Result<Self, DriverError> {
        let name = config.name.clone();
        check_transport(&config.url, config.insecure_http).map_err(|msg| {
            DriverError::new(&name, ErrorKind::Config, msg).with_context("connect")
        })?;
        if config.url.cannot_be_a_base() {
            return Err(DriverError::new(
                &name,
                ErrorKind::Config,
                "the url cannot take a path (expected https://host[/prefix])",
            ));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(config.parallelism.max(1));
        if config.url.scheme() == "http" {
            // Plain HTTP never reaches TLS (redirects are refused), so the
            // system's root certificates are not loaded (about 10 ms per
            // provider, before the first request).
            builder = builder.tls_certs_only(std::iter::empty());
        } else if let Some(ca_file) = &config.ca_file {
            let certs = load_ca_file(ca_file).map_err(|msg| {
                DriverError::new(&name, ErrorKind::Config, msg).with_context("connect")
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().map_err(|e| {
            DriverError::new(
                &name,
                ErrorKind::Config,
                format!("cannot build the HTTP client: {}", e.without_url()),
            )
        })?;
        Ok(HttpClient {
            server_date: std::sync::Mutex::new(None),
            provider: name,
            base: config.url.clone(),
            client,
            limit: Arc::new(Semaphore::new(config.parallelism.max(1))),
            parallelism: config.parallelism.max(1),
            retry: config.retry,
            timeout: config.timeout,
            deadline: config.deadline,
            parse_error,
            credentials: config
                .credentials
                .iter()
                .filter(|(name, _)| {
                    schema
                        .auth
                        .iter()
                        .find(|a| a.name == name.as_str())
                        .is_none_or(|a| a.secret)
                })
                .map(|(_, v)| v.clone())
                .collect(),
            budget: config.rate_limit.as_ref().and_then(limiter),
            sent: AtomicU64::new(0),
        })
    }

    /// Requests sent so far (every attempt, logins included).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The parallelism this client allows.
    pub fn parallelism(&self) -> usize {
        self.parallelism
    }

    /// An error of this provider, redacted of every credential.
    pub fn error(&self, kind: ErrorKind, context: &str, message: impl Into<String>) -> DriverError {
        let secrets: Vec<&str> = self.credentials.iter().map(|s| s.expose_secret()).collect();
        DriverError::new(&self.provider, kind, message)
            .with_context(context)
            .redacted(&secrets)
    }

    /// An extract of an answer for a message, every credential redacted.
    pub fn snippet(&self, body: &[u8]) -> String {
        let secrets: Vec<&str> = self.credentials.iter().map(|s| s.expose_secret()).collect();
        redacted_snippet(body, &secrets, SNIPPET_CHARS)
    }

    /// A Protocol error: the answer had not the documented shape.
    pub fn protocol(&self, context: &str, message: impl Into<String>) -> DriverError {
        self.error(ErrorKind::Protocol, context, message)
    }

    fn url(&self, req: &Request) -> Result<url::Url, DriverError> {
        let mut url = self.base.clone();
        {
            let mut segs = url.path_segments_mut().map_err(|_| {
                self.error(
                    ErrorKind::Config,
                    &req.context,
                    "the url cannot take a path",
                )
            })?;
            segs.pop_if_empty();
            segs.extend(req.segments.iter());
        }
        if !req.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &req.query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends `req` (with retries when it is idempotent); a non-2xx answer is
    /// an error. Gives up at the deadline: the provider's `deadline` from the
    /// start of the current [`read_scope`], or from now outside one.
    pub async fn send(
        &self,
        req: &Request,
        auth: Option<&AuthHeader>,
    ) -> Result<Response, DriverError> {
        let mut secrets: Vec<&str> = self.credentials.iter().map(|s| s.expose_secret()).collect();
        secrets.extend(req.secrets.iter().map(|s| s.expose_secret()));
        if let Some(a) = auth {
            secrets.push(a.secret.expose_secret());
            secrets.push(a.value.expose_secret());
        }
        let url = self.url(req)?;
        let started = READ_STARTED
            .try_with(|s| s.started)
            .unwrap_or_else(|_| Instant::now());
        // Time spent waiting for the rate budget is not the vendor's: it
        // moves the deadline.
        let call_waited = AtomicU64::new(0);
        let deadline = || {
            let waited = READ_STARTED
                .try_with(|s| s.waited_us.load(Ordering::Relaxed))
                .unwrap_or_else(|_| call_waited.load(Ordering::Relaxed));
            started + self.deadline + Duration::from_micros(waited)
        };
        let attempts = AtomicU32::new(0);
        let result = (|| async {
            let left = deadline().saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.error(
                    ErrorKind::Timeout,
                    &req.context,
                    "not sent: the provider's deadline had passed",
                ));
            }
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(
                req,
                &url,
                auth,
                &secrets,
                left.min(self.timeout),
                &call_waited,
            )
            .await
            .map_err(|e| e.redacted(&secrets))
        })
        .retry(self.retry.backoff())
        .sleep(tokio::time::sleep)
        .when(|e: &DriverError| req.idempotent && e.is_retryable())
        .adjust(|e, proposed| {
            let wait = self.retry.wait(e, proposed)?;
            (Instant::now() + wait < deadline()).then_some(wait)
        })
        .await;
        result.map_err(|mut e| {
            let attempts = attempts.load(Ordering::Relaxed);
            if e.is_retryable() && req.idempotent {
                e.message.push_str(&format!(
                    " (gave up after {attempts} attempt{} in {:.1} s; each request may take {}, and {} gives up after {})",
                    if attempts == 1 { "" } else { "s" },
                    started.elapsed().as_secs_f64(),
                    seconds(self.timeout),
                    if READ_STARTED.try_with(|_| ()).is_ok() { "reading the provider" } else { "a call" },
                    seconds(self.deadline),
                ));
            }
            e
        })
    }

    async fn attempt(
        &self,
        req: &Request,
        url: &url::Url,
        auth: Option<&AuthHeader>,
        secrets: &[&str],
        timeout: Duration,
        call_waited: &AtomicU64,
    ) -> Result<Response, DriverError> {
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| self.error(ErrorKind::Transport, &req.context, "client closed"))?;
        if let Some(budget) = &self.budget {
            // Every request (retries and logins too) takes a token of the
            // provider's budget, shared by all of its tasks.
            let waiting = Instant::now();
            budget.until_ready().await;
            let waited = u64::try_from(waiting.elapsed().as_micros()).unwrap_or(u64::MAX);
            if READ_STARTED
                .try_with(|s| s.waited_us.fetch_add(waited, Ordering::Relaxed))
                .is_err()
            {
                call_waited.fetch_add(waited, Ordering::Relaxed);
            }
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut builder = self
            .client
            .request(req.method.clone(), url.clone())
            .timeout(timeout)
            .header(ACCEPT, "application/json");
        if let Some(a) = auth {
            let mut value = HeaderValue::from_str(a.value.expose_secret()).map_err(|_| {
                self.error(
                    ErrorKind::Config,
                    &req.context,
                    "the credential holds characters not allowed in an HTTP header",
                )
            })?;
            value.set_sensitive(true);
            builder = builder.header(a.name.clone(), value);
        }
        if let Some(body) = &req.body {
            let bytes = serde_json::to_vec(body).map_err(|e| {
                self.error(
                    ErrorKind::Config,
                    &req.context,
                    format!("cannot encode the body: {e}"),
                )
            })?;
            builder = builder.header(CONTENT_TYPE, "application/json").body(bytes);
        }
        // A login is a POST that writes nothing.
        let is_write = req.method != Method::GET && !(req.method == Method::POST && req.idempotent);
        let mut resp = match builder.send().await {
            Ok(resp) => resp,
            Err(e) => {
                if is_write {
                    record_receipt(None, None);
                }
                return Err(self.transport_error(req, &e));
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        self.note_date(&headers);
        if is_write {
            record_receipt(Some(status), Some(&headers));
        }
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(self.too_large(req, status));
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(self.too_large(req, status));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_error(req, &e)),
            }
        }
        if (200..300).contains(&status) {
            return Ok(Response {
                status,
                content_type,
                body,
            });
        }
        Err(self.status_error(req, status, &headers, &content_type, &body, secrets))
    }

    fn too_large(&self, req: &Request, status: u16) -> DriverError {
        self.protocol(
            &req.context,
            format!(
                "the answer is larger than {} MiB",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        )
        .with_status(status)
    }

    fn transport_error(&self, req: &Request, e: &reqwest::Error) -> DriverError {
        if let Some(problem) = certificate_problem(e) {
            let host = self.base.host_str().unwrap_or("the server");
            return self.error(
                ErrorKind::Certificate,
                &req.context,
                format!("{host} is not trusted: {problem}"),
            );
        }
        // The request never left when the connection could not be made.
        let before_sending = e.is_connect() && !e.is_timeout();
        let (kind, what) = if e.is_timeout() {
            (
                ErrorKind::Timeout,
                "no answer within the timeout".to_string(),
            )
        } else if e.is_connect() {
            (ErrorKind::Transport, "cannot connect".to_string())
        } else {
            (ErrorKind::Transport, "the connection failed".to_string())
        };
        let mut detail = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail = s.to_string();
            source = s.source();
        }
        let message = if detail.is_empty() {
            what
        } else {
            format!("{what} ({detail})")
        };
        if e.is_connect() && refused(e) {
            return self
                .error(
                    ErrorKind::Transport,
                    &req.context,
                    format!("cannot connect to {}: connection refused", self.base),
                )
                .with_help(Hint::Refused);
        }
        let mut err = self.error(kind, &req.context, message);
        if !req.idempotent && !before_sending {
            err = err.ambiguous();
            err.message.push_str(
                "; the request may have been processed: check the account before trying again",
            );
        }
        err
    }

    fn status_error(
        &self,
        req: &Request,
        status: u16,
        headers: &HeaderMap,
        content_type: &str,
        body: &[u8],
        secrets: &[&str],
    ) -> DriverError {
        let kind = kind_of_status(status);
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_ascii_lowercase();
        let (message, field_errors) = if (300..400).contains(&status) {
            let to = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("another address");
            (
                format!("the server redirects to {to}; headcount does not follow redirects (credentials could leak): set the provider url to the final address"),
                Vec::new(),
            )
        } else {
            match serde_json::from_slice::<Json>(body) {
                Ok(json) => {
                    let parsed = (self.parse_error)(&json);
                    let message = parsed.message.unwrap_or_else(|| {
                        if parsed.field_errors.is_empty() {
                            format!("{reason}: {}", redacted_snippet(body, secrets, SNIPPET_CHARS))
                        } else {
                            "the request was rejected".to_string()
                        }
                    });
                    (message, parsed.field_errors)
                }
                Err(_) if body.iter().all(u8::is_ascii_whitespace) => (reason, Vec::new()),
                Err(_) if looks_like_html(content_type, body) => (
                    format!("{reason}; the answer is an HTML page, not the API's JSON (check the provider url)"),
                    Vec::new(),
                ),
                Err(_) => (
                    format!("{reason}: {}", redacted_snippet(body, secrets, SNIPPET_CHARS)),
                    Vec::new(),
                ),
            }
        };
        let mut err = self
            .error(kind, &req.context, message)
            .with_status(status)
            .with_field_errors(field_errors)
            .with_retry_after(retry_after);
        // A gateway failure on a create may hide a create that happened.
        if !req.idempotent && matches!(status, 500 | 502 | 504) {
            err = err.ambiguous();
        }
        err
    }
}

impl Response {
    /// The body as JSON; an empty body is `None`. Not JSON is a Protocol error.
    pub fn json(&self, http: &HttpClient, context: &str) -> Result<Option<Json>, DriverError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body).map(Some).map_err(|_| {
            let what = if looks_like_html(&self.content_type, &self.body) {
                "an HTML page".to_string()
            } else {
                format!("\"{}\"", http.snippet(&self.body))
            };
            http.protocol(
                context,
                format!("expected JSON from the API but got {what} (check the provider url points at the API)"),
            )
            .with_status(self.status)
        })
    }

    /// A list answer: the list at `path` read into records, the rest as
    /// JSON (see [`super::listing`]). A body that is not JSON gets the errors
    /// of [`Response::json_required`]; a field of the wrong type is a
    /// Protocol error (see [`super::field_types`]).
    pub fn json_list(
        &self,
        http: &HttpClient,
        context: &str,
        path: &[&str],
        shape: &super::listing::RecordShape,
    ) -> Result<super::listing::ListAnswer, DriverError> {
        let answer = match super::listing::read_list(&self.body, path, shape) {
            Ok(answer) => answer,
            Err(_) => super::listing::records_of(self.json_required(http, context)?, path, shape),
        };
        if let Some(records) = &answer.records {
            super::field_types::check(shape.schema, records)
                .map_err(|msg| http.protocol(context, msg).with_status(self.status))?;
        }
        Ok(answer)
    }

    /// The body as a JSON value that must be present.
    pub fn json_required(&self, http: &HttpClient, context: &str) -> Result<Json, DriverError> {
        self.json(http, context)?.ok_or_else(|| {
            http.protocol(
                context,
                "expected JSON from the API but the answer was empty",
            )
            .with_status(self.status)
        })
    }
}

/// Fetches a session token (CCP's `/v3/auth/token`, DNL's `/auth`).
#[async_trait]
pub trait TokenLogin: Send + Sync {
    /// The token; an Auth error when the credentials are refused.
    async fn login(&self, http: &HttpClient) -> Result<SecretString, DriverError>;
}

/// How a provider authenticates every call.
pub enum Auth {
    /// A fixed header (HTTP Basic).
    Fixed(AuthHeader),
    /// A token fetched on first use, shared by concurrent calls, fetched
    /// again once when a call gets a 401.
    Token(Box<TokenAuth>),
}

impl Auth {
    pub fn basic(user: &SecretString, password: &SecretString) -> Auth {
        let raw = format!("{}:{}", user.expose_secret(), password.expose_secret());
        let value = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        );
        Auth::Fixed(AuthHeader {
            name: reqwest::header::AUTHORIZATION,
            value: SecretString::from(value.clone()),
            secret: SecretString::from(value),
        })
    }

    /// Token auth sending `header: <scheme> <token>` (or the bare token).
    pub fn token(
        header: HeaderName,
        scheme: Option<&'static str>,
        login: Box<dyn TokenLogin>,
    ) -> Auth {
        Auth::Token(Box::new(TokenAuth {
            header,
            scheme,
            login,
            state: Mutex::new(TokenState::default()),
        }))
    }
}

pub struct TokenAuth {
    header: HeaderName,
    scheme: Option<&'static str>,
    login: Box<dyn TokenLogin>,
    state: Mutex<TokenState>,
}

#[derive(Default)]
struct TokenState {
    generation: u64,
    header: Option<AuthHeader>,
    /// Credentials refused: every later call fails the same way, without asking again.
    refused: Option<DriverError>,
}

impl TokenAuth {
    /// The current header, fetched when there is none yet, or when `stale`
    /// is the generation of the header a call was refused with (a header
    /// fetched since by a concurrent call is used as it is).
    async fn header(
        &self,
        http: &HttpClient,
        stale: Option<u64>,
    ) -> Result<(u64, AuthHeader), DriverError> {
        let mut state = self.state.lock().await;
        if let Some(e) = &state.refused {
            return Err(e.clone());
        }
        match &state.header {
            Some(h) if stale != Some(state.generation) => Ok((state.generation, h.clone())),
            _ => self.fetch(http, &mut state).await,
        }
    }

    async fn fetch(
        &self,
        http: &HttpClient,
        state: &mut TokenState,
    ) -> Result<(u64, AuthHeader), DriverError> {
        match self.login.login(http).await {
            Ok(token) => {
                let value = match self.scheme {
                    Some(scheme) => format!("{scheme} {}", token.expose_secret()),
                    None => token.expose_secret().to_string(),
                };
                let header = AuthHeader {
                    name: self.header.clone(),
                    value: SecretString::from(value),
                    secret: token,
                };
                state.generation += 1;
                state.header = Some(header.clone());
                Ok((state.generation, header))
            }
            Err(e) => {
                if e.kind == ErrorKind::Auth {
                    state.refused = Some(e.clone());
                }
                Err(e)
            }
        }
    }
}

/// A provider's client with its authentication.
pub struct Session {
    pub http: HttpClient,
    auth: Auth,
    /// Fixed credentials refused with a 401: later calls fail at once.
    refused: std::sync::Mutex<Option<DriverError>>,
}

impl Session {
    pub fn new(http: HttpClient, auth: Auth) -> Session {
        Session {
            http,
            auth,
            refused: std::sync::Mutex::new(None),
        }
    }

    /// Sends an authenticated request. With token auth, a 401 fetches a new
    /// token once and sends the request once more. Credentials refused once
    /// are not sent again: later calls return the same Auth error at once.
    pub async fn send(&self, req: &Request) -> Result<Response, DriverError> {
        match &self.auth {
            Auth::Fixed(header) => {
                let refused = self
                    .refused
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                if let Some(e) = refused {
                    return Err(e.with_context(req.context.as_str()));
                }
                let result = self.http.send(req, Some(header)).await;
                if let Err(e) = &result {
                    if e.status == Some(401) {
                        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
                    }
                }
                result
            }
            Auth::Token(token) => {
                let (generation, header) = token.header(&self.http, None).await?;
                match self.http.send(req, Some(&header)).await {
                    Err(e) if e.status == Some(401) => {
                        let (_, header) = token.header(&self.http, Some(generation)).await?;
                        self.http.send(req, Some(&header)).await
                    }
                    other => other,
                }
            }
        }
    }
}

/// A duration as people write it: `30 s`, `1.5 s`, `250 ms`.
fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// Reads a required credential from the provider's `auth:` block.
pub fn credential(config: &ProviderConfig, name: &str) -> Result<SecretString, DriverError> {
    match config.credentials.get(name) {
        Some(v) if !v.expose_secret().is_empty() => Ok(v.clone()),
        _ => Err(DriverError::new(
            &config.name,
            ErrorKind::Config,
            format!("the provider's auth: block has no `{name}` (required by this vendor)"),
        )
        .with_context("connect")),
    }
}

/// Whether the connection was refused (nothing listens at the address).
fn refused(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = s.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        assert!(check_transport(&url("https://acme.thulium.com"), false).is_ok());
        assert!(check_transport(&url("http://127.0.0.1:8080/x"), false).is_ok());
        assert!(check_transport(&url("http://127.8.9.1"), false).is_ok());
        assert!(check_transport(&url("http://localhost:1"), false).is_ok());
        assert!(check_transport(&url("http://[::1]:1"), false).is_ok());
        let refused = check_transport(&url("http://switch.example.net/api"), false).unwrap_err();
        assert!(refused.contains("switch.example.net"), "{refused}");
        assert!(check_transport(&url("http://10.0.0.1"), true).is_ok());
        assert!(check_transport(&url("ftp://x"), true).is_err());
        let with_creds = check_transport(&url("https://u:hunter2@x"), false).unwrap_err();
        assert!(!with_creds.contains("hunter2"));
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(kind_of_status(401), ErrorKind::Auth);
        assert_eq!(kind_of_status(403), ErrorKind::Auth);
        assert_eq!(kind_of_status(404), ErrorKind::NotFound);
        assert_eq!(kind_of_status(400), ErrorKind::Validation);
        assert_eq!(kind_of_status(429), ErrorKind::RateLimited);
        assert_eq!(kind_of_status(503), ErrorKind::Server);
        assert_eq!(kind_of_status(302), ErrorKind::Protocol);
    }

    #[test]
    fn html_is_recognised() {
        assert!(looks_like_html("text/html; charset=utf-8", b"x"));
        assert!(looks_like_html("", b"  <!DOCTYPE html><html>"));
        assert!(!looks_like_html("application/json", b"{}"));
    }
}
