//! Installing headcount the ways release.yml publishes it: the archives
//! ci/package.sh makes (as release.yml calls it), installed by
//! ci/install.sh (the composite action's script) from a file server on
//! loopback, checksum verified and cached; and `cargo binstall`'s template
//! in Cargo.toml resolving to exactly the names release.yml publishes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Cargo.toml's package metadata, as `cargo metadata` reads it.
fn package() -> Value {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    all["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "headcount")
        .cloned()
        .unwrap()
}

fn release_workflow() -> Value {
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// The archive names release.yml publishes for tag `tag`: its build job's
/// ARCHIVE for each target of the matrix.
fn released_archives(tag: &str) -> Vec<(String, String)> {
    let workflow = release_workflow();
    let build = &workflow["jobs"]["build"];
    let template = build["env"]["ARCHIVE"].as_str().unwrap();
    build["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let target = row["target"].as_str().unwrap().to_string();
            let name = template
                .replace("${{ github.ref_name }}", tag)
                .replace("${{ matrix.target }}", &target);
            (target, name)
        })
        .collect()
}

#[test]
fn binstall_resolves_to_the_archives_release_yml_publishes() {
    let package = package();
    let binstall = &package["metadata"]["binstall"];
    let repo = package["repository"].as_str().unwrap();
    assert!(repo.starts_with("https://github.com/"), "{repo}");
    assert_eq!(binstall["pkg-fmt"], "tgz");
    let tag = format!("v{}", version());
    let archives = released_archives(&tag);
    let targets: Vec<&str> = archives.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin"
        ]
    );
    for (target, archive) in &archives {
        // cargo-binstall's template keys, as its documentation lists them.
        let url = binstall["pkg-url"]
            .as_str()
            .unwrap()
            .replace("{ repo }", repo)
            .replace("{ version }", version())
            .replace("{ name }", "headcount")
            .replace("{ target }", target)
            .replace("{ archive-suffix }", ".tar.gz");
        // Where `gh release create TAG dist/*` puts each file.
        assert_eq!(url, format!("{repo}/releases/download/{tag}/{archive}"));
        assert!(!url.contains('{'), "every key resolved: {url}");
    }
    // The archive holds `headcount` at its top level (ci/package.sh).
    let bin_dir = binstall["bin-dir"].as_str().unwrap();
    assert_eq!(
        bin_dir
            .replace("{ bin }", "headcount")
            .replace("{ binary-ext }", ""),
        "headcount"
    );
    // The release job names the same archives as ci/install.sh downloads.
    let install = std::fs::read_to_string(root().join("ci/install.sh")).unwrap();
    assert!(install.contains("archive=\"headcount-${tag}-${target}.tar.gz\""));
    assert!(install.contains("releases/download/$tag"));
}

/// A static file server on loopback counting the requests it answers.
struct FileServer {
    url: String,
    hits: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

async fn serve_file(
    State((dir, hits)): State<(PathBuf, Arc<AtomicUsize>)>,
    UrlPath(name): UrlPath<String>,
) -> Result<Vec<u8>, StatusCode> {
    hits.fetch_add(1, Ordering::SeqCst);
    if name.contains('/') || name.starts_with('.') {
        return Err(StatusCode::NOT_FOUND);
    }
    std::fs::read(dir.join(name)).map_err(|_| StatusCode::NOT_FOUND)
}

impl FileServer {
    fn start(dir: &Path) -> FileServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route("/download/{name}", get(serve_file))
            .with_state((dir.to_path_buf(), hits.clone()));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}/download", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await });
        FileServer {
            url,
            hits,
            _runtime: runtime,
        }
    }
}

const TARGET: &str = "x86_64-unknown-linux-musl";

/// Whether bash, curl or tar is missing (then a line says the test was skipped).
fn skipped() -> bool {
    let present = ["bash", "curl", "tar"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !present {
        eprintln!("SKIPPED: bash, curl or tar missing; ci/install.sh was not tested");
    }
    !present
}

/// ci/package.sh on the binary under test, as release.yml runs it.
fn package_release(outdir: &Path) -> String {
    let tag = format!("v{}", version());
    let out = Command::new("bash")
        .arg(root().join("ci/package.sh"))
        .arg(env!("CARGO_BIN_EXE_headcount"))
        .args([&tag, TARGET])
        .arg(outdir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("headcount-{tag}-{TARGET}.tar.gz")
}

fn install(server: &FileServer, cache: &Path, github: &Path) -> Output {
    Command::new("bash")
        .arg(root().join("ci/install.sh"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cache)
        .env("HEADCOUNT_VERSION", version())
        .env("HEADCOUNT_DOWNLOAD_URL", &server.url)
        .env("HEADCOUNT_TARGET", TARGET)
        .env("HEADCOUNT_CACHE_DIR", cache.join("headcount"))
        .env("HEADCOUNT_SOURCE_FALLBACK", "false")
        .env("GITHUB_PATH", github.join("path"))
        .env("GITHUB_OUTPUT", github.join("output"))
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_install_script_verifies_the_checksum_installs_and_then_uses_the_cache() {
    if skipped() {
        return;
    }
    let dist = tempfile::tempdir().unwrap();
    let archive = package_release(dist.path());
    let checksum = std::fs::read_to_string(dist.path().join(format!("{archive}.sha256"))).unwrap();
    assert!(checksum.ends_with(&format!("  {archive}\n")), "{checksum}");
    let server = FileServer::start(dist.path());
    let cache = tempfile::tempdir().unwrap();

    let out = install(&server, cache.path(), cache.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("{archive}: OK")),
        "{}",
        text(&out)
    );
    let installed = cache.path().join("headcount/headcount");
    let run = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        format!("headcount {}", version())
    );
    let path = std::fs::read_to_string(cache.path().join("path")).unwrap();
    assert_eq!(
        path.trim(),
        cache.path().join("headcount").to_str().unwrap()
    );
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        2,
        "the archive and its .sha256"
    );

    // A second job: the cached binary, no download.
    let out = install(&server, cache.path(), cache.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("cached:"), "{}", text(&out));
    assert_eq!(server.hits.load(Ordering::SeqCst), 2, "nothing downloaded");
}

#[test]
fn the_install_script_refuses_an_archive_whose_checksum_does_not_match() {
    if skipped() {
        return;
    }
    let dist = tempfile::tempdir().unwrap();
    let archive = package_release(dist.path());
    // The archive altered after its checksum was published.
    let path = dist.path().join(&archive);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&path, bytes).unwrap();
    let server = FileServer::start(dist.path());
    let cache = tempfile::tempdir().unwrap();

    let out = install(&server, cache.path(), cache.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("checksum mismatch for {archive}")),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("refusing to install it"),
        "{}",
        text(&out)
    );
    assert!(!cache.path().join("headcount/headcount").exists());
    assert!(!cache.path().join("path").exists(), "nothing put on PATH");
}

#[test]
fn the_install_script_says_when_no_archive_exists_and_no_fallback_is_allowed() {
    if skipped() {
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    let server = FileServer::start(empty.path());
    let cache = tempfile::tempdir().unwrap();
    let out = install(&server, cache.path(), cache.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no release archive"), "{}", text(&out));
}
