//! `headcount validate`, the desired-state loader and the file's JSON Schema.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use headcount::commands::render_report;
use headcount::desired::{self, LoadError};
use proptest::prelude::*;

/// What `headcount validate` prints for a bad file (colour off, width 100).
fn render_all(err: &LoadError) -> String {
    let mut out = String::new();
    for d in err.diagnostics() {
        out.push_str(&render_report(d, false, 100));
    }
    out.push_str(&err.summary());
    out.push('\n');
    out
}

fn invalid_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("tests/invalid")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn headcount() -> Command {
    let mut cmd = Command::cargo_bin("headcount").unwrap();
    cmd.env_clear().env("NO_COLOR", "1");
    cmd
}

#[test]
fn every_invalid_file_renders_as_its_snapshot() {
    let files = invalid_files();
    assert!(files.len() >= 25, "only {} invalid files", files.len());
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let err = match desired::load(&path) {
            Ok(_) => panic!("{} loaded without error", path.display()),
            Err(e) => e,
        };
        if stem == "many-problems" {
            assert!(err.count() >= 10, "{stem}: {}", err.count());
        } else {
            assert_eq!(
                err.count(),
                1,
                "{stem} should have one problem:\n{}",
                render_all(&err)
            );
        }
        insta::assert_snapshot!(format!("invalid-{stem}"), render_all(&err));
    }
}

#[test]
fn plaintext_secrets_never_appear_in_the_output() {
    for (file, secrets) in [
        ("plaintext-secret", &["Summer2024"][..]),
        ("plaintext-auth", &["sk-live-8f2a91c3"][..]),
        ("url-credentials", &["Passw0rd"][..]),
        ("many-problems", &["hunter2-Secret", "Tran-Plain-99"][..]),
    ] {
        let path = PathBuf::from(format!("tests/invalid/{file}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let err = desired::load(&path).unwrap_err();
        let shown = format!("{}\n{err:?}", render_all(&err));
        for secret in secrets {
            assert!(text.contains(secret), "{file} should contain {secret}");
            assert!(!shown.contains(secret), "{file} leaks {secret}:\n{shown}");
        }
        assert!(shown.contains("plaintext secret"), "{shown}");
    }
}

#[test]
fn the_binary_reports_file_line_column_and_exits_1() {
    for (file, place) in [
        ("unknown-field", "tests/invalid/unknown-field.yaml:10:5"),
        ("bad-enum", "tests/invalid/bad-enum.yaml:14:12"),
        ("syntax", "tests/invalid/syntax.yaml:"),
    ] {
        let out = headcount()
            .args(["validate", "-f", &format!("tests/invalid/{file}.yaml")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(place), "{file}: {stderr}");
        assert!(
            stderr
                .trim_end()
                .ends_with(&format!("1 error in tests/invalid/{file}.yaml")),
            "{stderr}"
        );
        assert!(!stderr.contains('\u{1b}'), "colour with NO_COLOR: {stderr}");
    }
    let out = headcount()
        .args(["validate", "-f", "tests/invalid/many-problems.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("errors in tests/invalid/many-problems.yaml")
    );
}

#[test]
fn the_binary_explains_a_missing_file() {
    let out = headcount()
        .args(["validate", "-f", "tests/invalid/does-not-exist.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no such file"), "{stderr}");
}

#[test]
fn examples_are_valid_without_any_secret_set() {
    for path in example_files() {
        let out = headcount()
            .args(["validate", "-f"])
            .arg(&path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("{} is valid: ", path.display())),
            "{stdout}"
        );
        let first = std::fs::read_to_string(&path).unwrap();
        assert!(
            first.starts_with("# yaml-language-server: $schema=../schemas/headcount.schema.json\n"),
            "{} lacks the schema line",
            path.display()
        );
    }
    let names: Vec<String> = example_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for wanted in [
        "quickstart.yaml",
        "thulium.yaml",
        "ccp.yaml",
        "dnl.yaml",
        "multi-vendor.yaml",
        "people.yaml",
    ] {
        assert!(
            names.iter().any(|n| n == wanted),
            "missing example {wanted}"
        );
    }
}

#[test]
fn validate_reports_counts_for_a_valid_file() {
    let out = headcount()
        .args(["validate", "-f", "examples/multi-vendor.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "examples/multi-vendor.yaml is valid: 4 providers, 1 agent, 3 users.\n"
    );
}

#[test]
fn quickstart_points_at_the_sandbox() {
    let d = desired::load(Path::new("examples/quickstart.yaml")).unwrap();
    let urls: Vec<&str> = d.providers.values().map(|p| p.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:8787/thulium",
            "http://127.0.0.1:8787/ccp",
            "http://127.0.0.1:8787/dnl"
        ]
    );
}

#[test]
fn committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string("schemas/headcount.schema.json").unwrap_or_default();
    assert!(
        committed == desired::schema::file_schema_text(),
        "schemas/headcount.schema.json is out of date: run `cargo run -- schema > schemas/headcount.schema.json`"
    );
    let out = headcount().arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);
}

fn yaml_to_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn examples_validate_against_the_committed_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/headcount.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    for path in example_files() {
        let instance = yaml_to_json(&path);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    // The schema is not vacuous: it refuses what validate refuses locally.
    for bad in [
        "unknown-field",
        "bad-enum",
        "pattern",
        "plaintext-secret",
        "unknown-type",
        "unlisted",
        "missing-auth-field",
        "version",
        "wrong-type-boolean",
    ] {
        let instance = yaml_to_json(&PathBuf::from(format!("tests/invalid/{bad}.yaml")));
        assert!(
            !validator.is_valid(&instance),
            "the schema accepts {bad}.yaml"
        );
    }
}

#[test]
fn committed_plan_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string("schemas/plan.schema.json").unwrap_or_default();
    let out = headcount().args(["schema", "plan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        committed == String::from_utf8_lossy(&out.stdout),
        "schemas/plan.schema.json is out of date: run `cargo run -- schema plan > schemas/plan.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(jsonschema::draft7::new(&schema).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = desired::load_bytes("fuzz.yaml", &bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        if let Err(e) = desired::load_str("fuzz.yaml", &text) {
            let _ = render_all(&e);
        }
    }

    #[test]
    fn yaml_like_text_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("version: 1\n"), Just("providers:\n"), Just("  t:\n"), Just("    type: thulium\n"),
        Just("    type: ccp\n"), Just("    url: https://x.example\n"), Just("    auth: { password: p }\n"),
        Just("agents:\n"), Just("users:\n"), Just("  - login: a\n"), Just("    name: b\n"),
        Just("  - { provider: t, username: u }\n"), Just("    password: { env: X }\n"),
        Just("    roles: [1, 2]\n"), Just(": \n"), Just("- "), Just("&a "), Just("*a\n"), Just("[\n"),
        Just("}\n"), Just("\"\n"), Just("    : x\n"), Just("  ? [a]\n  : b\n"), Just("\t"), Just("~\n"),
    ], 0..30)) {
        let text: String = parts.concat();
        if let Err(e) = desired::load_str("fuzz.yaml", &text) {
            let _ = render_all(&e);
        }
    }
}

#[test]
fn the_file_reference_documents_every_field() {
    let doc = std::fs::read_to_string("docs/file-format.md").unwrap();
    for v in headcount::drivers::VENDORS {
        assert!(
            doc.contains(&format!("`{}`", v.schema.vendor)),
            "{}",
            v.schema.vendor
        );
        for f in v.schema.fields {
            assert!(
                doc.contains(&format!("`{}`", f.name)),
                "docs miss {}.{}",
                v.schema.vendor,
                f.name
            );
        }
        for a in v.schema.auth {
            assert!(
                doc.contains(&format!("`{}`", a.name)),
                "docs miss auth {}",
                a.name
            );
        }
    }
    for setting in desired::validate::PROVIDER_FIELDS {
        assert!(doc.contains(&format!("`{setting}`")), "docs miss {setting}");
    }
}

const MISSPELLED: &str = "version: 1\nproviders:\n  th:\n    type: thulium\n    url: http://127.0.0.1:1/x\n    auth: { username: a, password: { env: X } }\n    defaults: { password: { env: PW } }\nagents:\n  - login: a\n    name: Jan\n    surname: Kowalski\n    number: \"5634\"\n    nmae: Jan\n";

#[test]
fn validate_format_github_annotates_each_problem_at_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // A `.yml` file of a directory is read like a `.yaml` one.
    std::fs::write(dir.path().join("agents.yml"), MISSPELLED).unwrap();
    let out = headcount()
        .current_dir(dir.path())
        .args(["validate", "-f", ".", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("::error file=./agents.yml,line=13,col=5,title=headcount unknown_field::unknown field `nmae`"),
        "{stdout}"
    );
    assert!(first.contains("%0Ahelp: did you mean `name`?"), "{stdout}");
    assert!(stdout.ends_with("1 error in .\n"), "{stdout}");
}

#[test]
fn validate_format_json_lists_problems_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("headcount.yaml"), MISSPELLED).unwrap();
    let out = headcount()
        .current_dir(dir.path())
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    let problem = &report["problems"][0];
    assert_eq!(problem["code"], "headcount::file::unknown_field");
    assert_eq!(problem["file"], "headcount.yaml");
    assert_eq!(
        (problem["line"].as_u64(), problem["column"].as_u64()),
        (Some(13), Some(5))
    );

    std::fs::write(
        dir.path().join("headcount.yaml"),
        MISSPELLED.replace("    nmae: Jan\n", ""),
    )
    .unwrap();
    let out = headcount()
        .current_dir(dir.path())
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["problems"], serde_json::json!([]));
}
