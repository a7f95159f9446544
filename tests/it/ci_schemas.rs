//! The CI files the project ships, linted against the JSON Schemas of the
//! schema store (vendored in tests/schemastore, as check-jsonschema ships
//! them; licences beside them): GitHub workflows, the composite actions,
//! the GitLab CI example. A misspelled key or a step without `run`/`uses`
//! fails here rather than on a team's first push.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/schemastore").join(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft7::new(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every problem of `document` against `validator`, one line each.
fn problems(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

fn yml_files(dir: &str, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(prefix) && (name.ends_with(".yml") || name.ends_with(".yaml"))
        })
        .collect();
    found.sort();
    found
}

fn assert_valid(validator: &jsonschema::Validator, files: &[PathBuf]) {
    assert!(!files.is_empty());
    for path in files {
        let found = problems(validator, &yaml(path));
        assert!(
            found.is_empty(),
            "{}:\n{}",
            path.display(),
            found.join("\n")
        );
    }
}

#[test]
fn github_workflows_match_the_schema_store_schema() {
    let mut files = yml_files(".github/workflows", "");
    files.extend(yml_files("examples/ci", "github-actions"));
    assert!(files.len() >= 3, "{files:?}");
    assert_valid(&schema("github-workflows.json"), &files);
}

#[test]
fn composite_actions_match_the_schema_store_schema() {
    let files = [
        root().join("action.yml"),
        root().join("ci/drift-issue/action.yml"),
    ];
    assert_valid(&schema("github-actions.json"), &files);
}

#[test]
fn the_gitlab_example_matches_gitlabs_schema() {
    assert_valid(
        &schema("gitlab-ci.json"),
        &[root().join("examples/ci/gitlab-ci.yml")],
    );
}

#[test]
fn the_lint_catches_a_misspelled_key_and_a_step_that_does_nothing() {
    let validator = schema("github-workflows.json");
    let good = yaml(&root().join("examples/ci/github-actions.yml"));
    let mut misspelled = good.clone();
    let plan = misspelled["jobs"]["plan"].as_object_mut().unwrap();
    let runs_on = plan.remove("runs-on").unwrap();
    plan.insert("run-on".into(), runs_on);
    assert!(!problems(&validator, &misspelled).is_empty());
    let mut empty_step = good;
    empty_step["jobs"]["plan"]["steps"][0] = serde_json::json!({ "name": "nothing" });
    assert!(!problems(&validator, &empty_step).is_empty());
}
