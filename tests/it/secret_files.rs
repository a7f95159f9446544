//! `{ file: PATH }` secrets that are not small regular files (issue 14,
//! finding 3): `plan` refuses them at once with an error naming the file,
//! never hangs nor fills memory; `validate` warns about them.

#![cfg(unix)]

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Runs headcount; a run that hangs (reading a FIFO, say) fails the test
/// after a generous timeout.
fn headcount(args: &[&str], dir: &Path) -> Output {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_headcount"))
        .args(args)
        .current_dir(dir)
        .env("HC_T_USER", "u")
        .env("HC_T_PASS", "p")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

/// One line, as miette wraps messages at 100 columns.
fn one_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A file with one Thulium agent (to be created) whose password is `secret`.
fn file(url: &str, secret: &str) -> String {
    format!(
        "version: 1\nproviders:\n  p:\n    type: thulium\n    url: {url}\n    auth: {{ username: {{ env: HC_T_USER }}, password: {{ env: HC_T_PASS }} }}\nagents:\n  - {{ login: ag1, name: A, surname: B, number: \"1\", password: {{ file: {secret} }} }}\n"
    )
}

fn mkfifo(path: &Path) {
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
}

#[test]
fn plan_refuses_devices_pipes_folders_and_huge_secret_files_at_once() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/agents"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
            .mount(&server)
            .await;
        server
    });
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("pipe"));
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    std::fs::File::create(dir.path().join("huge.txt"))
        .unwrap()
        .set_len(200 * 1024 * 1024)
        .unwrap();
    std::fs::write(dir.path().join("ok.txt"), "s3cret\n").unwrap();
    let cases = [
        (
            "/dev/zero",
            "secret file /dev/zero is a character device, not a regular file",
        ),
        ("pipe", "pipe is a named pipe (FIFO), not a regular file"),
        ("folder", "folder is a directory, not a regular file"),
        ("huge.txt", "huge.txt is larger than 64 KiB"),
    ];
    for (secret, message) in cases {
        let yaml = dir.path().join("h.yaml");
        std::fs::write(&yaml, file(&server.uri(), secret)).unwrap();
        let out = headcount(&["plan", "-f", "h.yaml"], dir.path());
        let all = format!("{} {}", one_line(&out.stdout), one_line(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{secret}: {all}");
        assert!(all.contains(message), "{secret}: {message} not in {all}");
        assert!(all.contains("password of p/agent \"ag1\""), "{all}");
    }
    // A relative path is relative to the file's folder, from any working directory.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.yaml"), file(&server.uri(), "ok.txt")).unwrap();
    let yaml = dir.path().join("h.yaml");
    let out = headcount(&["plan", "-f", yaml.to_str().unwrap()], elsewhere.path());
    let all = format!("{} {}", one_line(&out.stdout), one_line(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("Plan: 1 to create"), "{all}");
}

#[test]
fn a_provider_credential_in_a_fifo_fails_plan_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("pipe"));
    std::fs::write(
        dir.path().join("h.yaml"),
        "version: 1\nproviders:\n  p:\n    type: thulium\n    url: http://127.0.0.1:9\n    auth: { username: u, password: { file: pipe } }\n",
    )
    .unwrap();
    let out = headcount(&["plan", "-f", "h.yaml"], dir.path());
    let stderr = one_line(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("pipe is a named pipe (FIFO), not a regular file (needed for auth.password of provider p)"),
        "{stderr}"
    );
}

#[test]
fn validate_warns_about_a_secret_file_that_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("pipe"));
    std::fs::write(
        dir.path().join("h.yaml"),
        file("https://acme.thulium.com", "pipe"),
    )
    .unwrap();
    let out = headcount(&["validate", "-f", "h.yaml"], dir.path());
    let stderr = one_line(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning, not a failure: {stderr}"
    );
    assert!(stderr.contains("password of ag1"), "{stderr}");
    assert!(
        stderr.contains("which is a named pipe (FIFO), not a regular file"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("is valid"));
    // A regular file: no warning.
    std::fs::write(dir.path().join("pw.txt"), "x\n").unwrap();
    std::fs::write(
        dir.path().join("h.yaml"),
        file("https://acme.thulium.com", "pw.txt"),
    )
    .unwrap();
    let out = headcount(&["validate", "-f", "h.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(!one_line(&out.stderr).contains("not a regular file"));
}
