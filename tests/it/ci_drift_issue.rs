//! The drift job's issue logic (ci/drift-issue/drift-issue.mjs) against a
//! fake of the GitHub REST API on loopback: drift opens one issue, later
//! drift updates it (never a second), no drift closes it, a failure leaves
//! it alone and fails the step; two desired states keep two issues.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};

const TOKEN: &str = "ghs_fake-token-for-the-test";
const REPO: &str = "acme/contact-center";

#[derive(Default)]
struct GitHub {
    issues: Vec<Value>,
    comments: Vec<(u64, String)>,
}

type Shared = Arc<Mutex<GitHub>>;

fn authorized(headers: &HeaderMap) -> Result<(), StatusCode> {
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(v) if v == format!("Bearer {TOKEN}") => Ok(()),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

async fn list(
    State(gh): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, StatusCode> {
    authorized(&headers)?;
    let per_page: usize = q.get("per_page").and_then(|v| v.parse().ok()).unwrap_or(30);
    let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let gh = gh.lock().unwrap();
    let matching: Vec<Value> = gh
        .issues
        .iter()
        .filter(|i| q.get("state").is_none_or(|s| i["state"] == s.as_str()))
        .filter(|i| {
            q.get("labels").is_none_or(|l| {
                i["labels"]
                    .as_array()
                    .is_some_and(|ls| ls.iter().any(|x| x["name"] == l.as_str()))
            })
        })
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    Ok(Json(Value::Array(matching)))
}

async fn create(
    State(gh): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>), StatusCode> {
    authorized(&headers)?;
    let mut gh = gh.lock().unwrap();
    let number = gh.issues.len() as u64 + 1;
    let labels: Vec<Value> = body["labels"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|l| json!({ "name": l }))
        .collect();
    let issue = json!({
        "number": number, "state": "open", "title": body["title"], "body": body["body"], "labels": labels,
    });
    gh.issues.push(issue.clone());
    Ok((StatusCode::CREATED, Json(issue)))
}

async fn update(
    State(gh): State<Shared>,
    headers: HeaderMap,
    UrlPath((_, _, number)): UrlPath<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    authorized(&headers)?;
    let mut gh = gh.lock().unwrap();
    let issue = gh
        .issues
        .iter_mut()
        .find(|i| i["number"] == number)
        .ok_or(StatusCode::NOT_FOUND)?;
    for key in ["title", "body", "state"] {
        if let Some(v) = body.get(key) {
            issue[key] = v.clone();
        }
    }
    Ok(Json(issue.clone()))
}

async fn comment(
    State(gh): State<Shared>,
    headers: HeaderMap,
    UrlPath((_, _, number)): UrlPath<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>), StatusCode> {
    authorized(&headers)?;
    let text = body["body"].as_str().unwrap_or_default().to_string();
    gh.lock().unwrap().comments.push((number, text));
    Ok((StatusCode::CREATED, Json(json!({ "id": 1 }))))
}

/// The fake API on an ephemeral loopback port, and the runtime serving it.
struct Fake {
    url: String,
    state: Shared,
    dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl Fake {
    fn start() -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let state = Shared::default();
        let app = Router::new()
            .route("/repos/{owner}/{repo}/issues", get(list).post(create))
            .route("/repos/{owner}/{repo}/issues/{number}", patch(update))
            .route(
                "/repos/{owner}/{repo}/issues/{number}/comments",
                post(comment),
            )
            .with_state(state.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Fake {
            url,
            state,
            dir: tempfile::tempdir().unwrap(),
            _runtime: runtime,
        }
    }

    /// Runs the script for `state` as the drift job would after a
    /// `headcount drift` that exited `code` with `report`.
    fn run(&self, state: &str, code: u8, report: &str) -> Output {
        let report_path = self.dir.path().join("drift.md");
        std::fs::write(&report_path, report).unwrap();
        let summary = self.dir.path().join("summary.md");
        let _ = std::fs::remove_file(&summary);
        std::process::Command::new("node")
            .arg(script())
            .args(["--state", state, "--exit-code", &code.to_string()])
            .arg("--report")
            .arg(&report_path)
            .env_clear()
            .env("GITHUB_API_URL", &self.url)
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_RUN_ID", "4242")
            .output()
            .unwrap()
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("summary.md")).unwrap_or_default()
    }

    fn open(&self, state: &str) -> Vec<Value> {
        let marker = format!("<!-- headcount-drift: {state} -->");
        self.state
            .lock()
            .unwrap()
            .issues
            .iter()
            .filter(|i| i["state"] == "open" && i["body"].as_str().unwrap_or("").contains(&marker))
            .cloned()
            .collect()
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/drift-issue/drift-issue.mjs")
}

/// `node`, or `None` (and a line saying the test was skipped) without it.
fn node() -> Option<()> {
    match std::process::Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Some(()),
        _ => {
            eprintln!(
                "SKIPPED: node is not installed; the drift-issue script (Node 20) was not tested"
            );
            None
        }
    }
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const DRIFT: &str = "| person | account | drift |\n|---|---|---|\n| Jan Kowalski | thulium/agent `jkowalski` | name: `Jan` -> `Janek` |\n";

#[test]
fn drift_opens_one_issue_updates_it_and_closes_it_when_gone() {
    let Some(()) = node() else { return };
    let fake = Fake::start();

    ok(&fake.run("headcount.yaml", 0, ""));
    assert!(
        fake.state.lock().unwrap().issues.is_empty(),
        "no drift, no issue"
    );

    ok(&fake.run("headcount.yaml", 2, DRIFT));
    let open = fake.open("headcount.yaml");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["title"], "headcount: drift in headcount.yaml");
    assert!(open[0]["body"]
        .as_str()
        .unwrap()
        .contains("`Jan` -> `Janek`"));
    assert_eq!(open[0]["labels"][0]["name"], "headcount-drift");
    assert!(
        fake.summary()
            .contains("Drift in `headcount.yaml` (exit 2)"),
        "{}",
        fake.summary()
    );
    assert!(fake.summary().contains("Opened #1"), "{}", fake.summary());

    // Later runs update the same issue: never a second one.
    let more = format!("{DRIFT}| Anna Nowak | ccp/user `anowak` | not in the file |\n");
    ok(&fake.run("headcount.yaml", 2, &more));
    ok(&fake.run("headcount.yaml", 2, &more));
    let open = fake.open("headcount.yaml");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(fake.state.lock().unwrap().issues.len(), 1);
    assert!(open[0]["body"].as_str().unwrap().contains("anowak"));
    assert!(fake.summary().contains("Updated #1"), "{}", fake.summary());

    // A failure is not drift: the issue stays as it is, the step fails.
    let out = fake.run("headcount.yaml", 1, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        fake.summary().contains("headcount drift FAILED"),
        "{}",
        fake.summary()
    );
    assert!(
        fake.summary().contains("This is not drift"),
        "{}",
        fake.summary()
    );
    assert_eq!(fake.open("headcount.yaml").len(), 1);

    // Drift gone: a comment says so and the issue is closed.
    ok(&fake.run("headcount.yaml", 0, ""));
    assert!(fake.open("headcount.yaml").is_empty());
    let gh = fake.state.lock().unwrap();
    assert_eq!(gh.issues[0]["state"], "closed");
    assert!(
        gh.comments
            .iter()
            .any(|(n, c)| *n == 1 && c.contains("No drift any more")),
        "{:?}",
        gh.comments
    );
    drop(gh);
    assert!(fake.summary().contains("Closed #1"), "{}", fake.summary());

    // Drift again later: a new issue, the closed one left closed.
    ok(&fake.run("headcount.yaml", 2, DRIFT));
    let open = fake.open("headcount.yaml");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["number"], 2);
}

#[test]
fn each_desired_state_has_its_own_issue() {
    let Some(()) = node() else { return };
    let fake = Fake::start();
    ok(&fake.run("tenants/acme", 2, DRIFT));
    ok(&fake.run("tenants/globex", 2, DRIFT));
    ok(&fake.run("tenants/acme", 2, DRIFT));
    assert_eq!(fake.open("tenants/acme").len(), 1);
    assert_eq!(fake.open("tenants/globex").len(), 1);
    ok(&fake.run("tenants/acme", 0, ""));
    assert!(fake.open("tenants/acme").is_empty());
    assert_eq!(
        fake.open("tenants/globex").len(),
        1,
        "the other tenant's issue stays open"
    );
}

#[test]
fn a_refused_token_fails_the_step_in_words() {
    let Some(()) = node() else { return };
    let fake = Fake::start();
    let out = std::process::Command::new("node")
        .arg(script())
        .args(["--state", "headcount.yaml", "--exit-code", "2"])
        .env_clear()
        .env("GITHUB_API_URL", &fake.url)
        .env("GITHUB_TOKEN", "wrong")
        .env("GITHUB_REPOSITORY", REPO)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HTTP 401"), "{stdout}{stderr}");
    assert!(
        !stderr.contains("wrong"),
        "the token is not printed: {stderr}"
    );
}
