//! The CI and cron files the project ships (examples/ci, examples/cron,
//! .github/workflows) parse, and every `headcount ...` they run is accepted
//! by headcount's own command line (subcommands, flags and their values),
//! so a renamed flag cannot leave a broken example behind.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use headcount::cli::Cli;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files in `dir` (relative to the crate) ending in one of `extensions`.
fn files(dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        })
        .collect();
    found.sort();
    found
}

fn workflows() -> Vec<PathBuf> {
    let mut all = files("examples/ci", &["yml", "yaml"]);
    all.extend(files(".github/workflows", &["yml", "yaml"]));
    all
}

fn parse(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Words that put the next word in command position.
const COMMAND_STARTS: &[&str] = &[
    "|", "||", "&&", ";", "then", "do", "else", "if", "!", "time", "exec", "$(",
];

/// Shell operators that end a command's arguments.
fn ends_command(word: &str) -> bool {
    matches!(word, "|" | "||" | "&&" | ";" | "&" | ")" | "2>&1")
        || word.starts_with('>')
        || word.starts_with('<')
        || word.starts_with("2>")
        || word.starts_with('#')
}

/// Every `headcount ...` command run by a shell script: its arguments.
fn invocations(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let Some(words) = shlex::split(line) else {
            assert!(
                !line.trim_start().starts_with("headcount "),
                "cannot split this shell line: {line}"
            );
            continue;
        };
        for (i, word) in words.iter().enumerate() {
            let command_position = i == 0 || COMMAND_STARTS.contains(&words[i - 1].as_str());
            let is_headcount = word == "headcount" || word.ends_with("/headcount");
            if command_position && is_headcount {
                let args: Vec<String> = words[i + 1..]
                    .iter()
                    .take_while(|w| !ends_command(w))
                    .cloned()
                    .collect();
                found.push(args);
            }
        }
    }
    found
}

/// Every `run:` script of a workflow.
fn run_scripts(workflow: &Value) -> Vec<String> {
    let mut scripts = Vec::new();
    for job in workflow["jobs"]
        .as_object()
        .into_iter()
        .flat_map(|j| j.values())
    {
        for step in job["steps"].as_array().into_iter().flatten() {
            if let Some(run) = step["run"].as_str() {
                scripts.push(run.to_string());
            }
        }
    }
    // GitLab CI: each top-level job's `script:` lines.
    if workflow.get("jobs").is_none() {
        for job in workflow.as_object().into_iter().flat_map(|j| j.values()) {
            for line in job["script"].as_array().into_iter().flatten() {
                if let Some(line) = line.as_str() {
                    scripts.push(line.to_string());
                }
            }
        }
    }
    scripts
}

/// Parses `args` as headcount's command line would.
fn check(origin: &str, args: &[String]) {
    let argv = std::iter::once("headcount".to_string()).chain(args.iter().cloned());
    if let Err(e) = Cli::command().try_get_matches_from(argv) {
        use clap::error::ErrorKind;
        if !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
            panic!(
                "{origin}: `headcount {}` is not a valid command line:\n{e}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn every_headcount_command_in_the_ci_and_cron_files_exists() {
    let mut checked = 0;
    for path in workflows() {
        let workflow = parse(&path);
        let mut in_file = 0;
        for script in run_scripts(&workflow) {
            for args in invocations(&script) {
                check(&path.display().to_string(), &args);
                in_file += 1;
            }
        }
        // release.yml runs headcount through ci/package.sh only.
        assert!(
            in_file > 0 || path.ends_with(".github/workflows/release.yml"),
            "{} runs no headcount command",
            path.display()
        );
        checked += in_file;
    }
    for path in files("examples/cron", &["sh"]) {
        let script = std::fs::read_to_string(&path).unwrap();
        let found = invocations(&script);
        assert!(
            !found.is_empty(),
            "{} runs no headcount command",
            path.display()
        );
        for args in found {
            check(&path.display().to_string(), &args);
            checked += 1;
        }
    }
    // validate, plan, apply and drift in the examples.
    assert!(checked >= 4, "only {checked} headcount commands found");
}

#[test]
fn the_checker_rejects_a_misspelled_flag_and_a_missing_subcommand() {
    let misspelled = invocations("headcount drift --outptu drift.json");
    let argv = std::iter::once("headcount".to_string()).chain(misspelled[0].iter().cloned());
    assert!(Cli::command().try_get_matches_from(argv).is_err());
    // Only command positions count: `cargo install ... headcount` is not a run.
    assert!(invocations("cargo install --locked headcount").is_empty());
    assert_eq!(
        invocations("x && headcount plan -f \"$F\" > plan.md 2> plan.err"),
        vec![vec!["plan".to_string(), "-f".into(), "$F".into()]]
    );
}

#[test]
fn the_example_workflow_triggers_on_the_file_it_plans_and_serialises_applies() {
    let workflow = parse(&root().join("examples/ci/github-actions.yml"));
    let file = workflow["env"]["HEADCOUNT_FILE"]
        .as_str()
        .expect("env.HEADCOUNT_FILE names the desired-state file");
    for event in ["pull_request", "push"] {
        let paths: Vec<&str> = workflow["on"][event]["paths"]
            .as_array()
            .unwrap_or_else(|| panic!("on.{event}.paths"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            paths.contains(&file),
            "on.{event}.paths {paths:?} does not cover {file}"
        );
    }
    let apply = &workflow["jobs"]["apply"];
    assert!(
        apply["concurrency"]["group"].is_string(),
        "apply has no concurrency group"
    );
    assert_eq!(apply["concurrency"]["cancel-in-progress"], false);
    assert!(
        workflow["on"]["schedule"].is_array(),
        "drift runs on a schedule"
    );
    // Every headcount command uses the file the triggers watch.
    for script in run_scripts(&workflow) {
        for args in invocations(&script) {
            // `journal verify FILE` reads the journal, not the desired state.
            if args.first().map(String::as_str) == Some("journal") {
                continue;
            }
            let at = args.iter().position(|a| a == "-f");
            let named = at.and_then(|i| args.get(i + 1)).map(String::as_str);
            assert_eq!(
                named,
                Some("$HEADCOUNT_FILE"),
                "headcount {}",
                args.join(" ")
            );
        }
    }
}
