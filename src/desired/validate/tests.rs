//! The validator's tests: every level, through [`crate::desired::load_str`].

use super::*;
use crate::desired::{load_str, Credential, SecretRef, UnlistedPolicy};
use crate::model::Value;

const PROVIDERS: &str = "version: 1
providers:
  thulium:
    type: thulium
    url: https://acme.thulium.com
    auth: { username: api, password: { env: TP } }
  ccp: { type: ccp, url: https://ccp.example.vn, auth: { api_key: { env: CK } } }
  dnl: { type: dnl, url: https://switch.example.net/api_dnl/v1, auth: { username: admin, password: { env: DP } } }
";

/// (code, message) of every problem in `text`.
fn problems(text: &str) -> Vec<(String, String)> {
    match load_str("t.yaml", text) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| {
                let code = miette::Diagnostic::code(d)
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                (
                    code.trim_start_matches("headcount::file::").to_string(),
                    d.message().to_string(),
                )
            })
            .collect(),
    }
}

fn with(extra: &str) -> String {
    format!("{PROVIDERS}{extra}")
}

fn codes(text: &str) -> Vec<String> {
    problems(text).into_iter().map(|(c, _)| c).collect()
}

const AGENT: &str =
    "agents:\n  - { login: jk, name: Jan, surname: K, number: 5634, password: { env: P } }\n";

#[test]
fn a_valid_state_converts_values() {
    let d = load_str(
        "t.yaml",
        &with(&format!(
            "{AGENT}users:\n  - {{ provider: dnl, name: dh, user_type: agent, role_id: 3, active: true, auth_ip: [10.0.0.1], password: {{ file: pw.txt }} }}\n"
        )),
    )
    .unwrap();
    assert_eq!(d.version, 1);
    assert_eq!(d.providers.len(), 3);
    let thulium = &d.providers["thulium"];
    assert_eq!(thulium.unlisted, UnlistedPolicy::Report);
    assert_eq!(thulium.max_deactivate_percent, 25.0);
    assert_eq!(thulium.auth["username"], Credential::Plain("api".into()));
    assert_eq!(
        thulium.auth["password"],
        Credential::Secret(SecretRef::Env("TP".into()))
    );
    let agent = &d.entries[0];
    assert_eq!(
        (agent.provider.as_str(), agent.kind, agent.key.as_str()),
        ("thulium", Kind::Agent, "jk")
    );
    assert_eq!(agent.fields["number"], Value::Str("5634".into()));
    assert_eq!(agent.fields["login"], Value::Str("jk".into()));
    assert!(!agent.fields.contains_key("password") && !agent.fields.contains_key("provider"));
    assert_eq!(agent.secrets["password"], SecretRef::Env("P".into()));
    assert_eq!((agent.origin.line, agent.origin.column), (10, 7));
    let user = &d.entries[1];
    assert_eq!(user.fields["role_id"], Value::Int(3));
    assert_eq!(user.fields["active"], Value::Bool(true));
    assert_eq!(
        user.fields["auth_ip"],
        Value::List(vec![Value::Str("10.0.0.1".into())])
    );
    assert_eq!(user.secrets["password"], SecretRef::File("pw.txt".into()));
    assert_eq!(describe(&d), "3 providers, 1 agent, 1 user");
}

#[test]
fn provider_settings_are_read() {
    let d = load_str(
        "t.yaml",
        "version: 1\nproviders:\n  t: { type: thulium, url: http://127.0.0.1:8787/thulium, auth: { username: { env: U }, password: { env: P } }, unlisted: deactivate, parallelism: 4, timeout: 2m, max_deactivate_percent: 12.5 }\n  r: { type: ccp, url: http://ccp.example.vn, insecure_http: true, timeout: 10, auth: { api_key: { file: k } } }\n",
    )
    .unwrap();
    let t = &d.providers["t"];
    assert_eq!(t.unlisted, UnlistedPolicy::Deactivate);
    assert_eq!(t.parallelism, Some(4));
    assert_eq!(t.timeout, Some(std::time::Duration::from_secs(120)));
    assert_eq!(t.max_deactivate_percent, 12.5);
    assert_eq!(
        t.auth["username"],
        Credential::Secret(SecretRef::Env("U".into()))
    );
    let r = &d.providers["r"];
    assert!(r.insecure_http);
    assert_eq!(r.timeout, Some(std::time::Duration::from_secs(10)));
}

#[test]
fn unknown_fields_suggest_the_nearest_name() {
    let p = problems(&with("agents:\n  - { login: jk, name: J, surnme: K, surname: K, number: 1, password: { env: P } }\n"));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, "unknown_field");
    let err = load_str("t.yaml", &with("users:\n  - { provider: dnl, name: x, user_type: agent, level: agent, password: { env: P } }\n")).unwrap_err();
    let help = miette::Diagnostic::help(&err.diagnostics()[0])
        .unwrap()
        .to_string();
    assert!(help.contains("CCP field"), "{help}");
}

#[test]
fn a_misspelled_required_field_is_reported_once_with_did_you_mean() {
    let p = problems(&with(
        "agents:\n  - { login: jk, name: J, surnme: K, number: 1, password: { env: P } }\n",
    ));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "unknown_field");
    assert!(p[0].1.contains("surnme"), "{p:?}");
}

#[test]
fn missing_required_fields_and_wrong_types() {
    assert_eq!(
        codes(&with(
            "agents:\n  - { login: jk, name: J, number: 1, password: { env: P } }\n"
        )),
        ["missing_field"]
    );
    assert_eq!(codes(&with("agents:\n  - { login: jk, name: J, surname: K, number: 1, active: 1, password: { env: P } }\n")), ["wrong_type"]);
    assert_eq!(
        codes(&with(
            "agents:\n  - { login: jk, name: [J], surname: K, number: 1, password: { env: P } }\n"
        )),
        ["wrong_type"]
    );
    assert_eq!(codes(&with("agents: { login: jk }\n")), ["wrong_type"]);
    assert_eq!(codes(&with("agents:\n  - jk\n")), ["wrong_type"]);
}

#[test]
fn enums_patterns_emails_and_lengths() {
    assert_eq!(codes(&with("users:\n  - { provider: ccp, username: u, level: boss, role_uuid: r, password: { env: P } }\n")), ["enum"]);
    assert_eq!(codes(&with("users:\n  - { provider: ccp, username: \"a/b\", level: agent, role_uuid: r, password: { env: P } }\n")), ["pattern"]);
    assert_eq!(codes(&with("users:\n  - { provider: dnl, name: n, user_type: agent, email: x@, password: { env: P } }\n")), ["email"]);
    let long = "x".repeat(65);
    assert_eq!(codes(&with(&format!("agents:\n  - {{ login: {long}, name: J, surname: K, number: 1, password: {{ env: P }} }}\n"))), ["too_long"]);
}

#[test]
fn keys_empty_and_duplicated() {
    assert_eq!(codes(&with("agents:\n  - { login: jk, \"\": x, name: J, surname: K, number: 1, password: { env: P } }\n")), ["empty_key"]);
    assert_eq!(codes(&with("agents:\n  - { login: jk, name: J, name: J, surname: K, number: 1, password: { env: P } }\n")), ["duplicate_key"]);
    let dup = format!(
        "{AGENT}  - {{ login: jk, name: Jan, surname: K, number: 5635, password: {{ env: P }} }}\n"
    );
    assert_eq!(codes(&with(&dup)), ["duplicate_entry"]);
    assert_eq!(
        codes(&with(
            "agents:\n  - { login: \"\", name: J, surname: K, number: 1, password: { env: P } }\n"
        )),
        ["empty_value"]
    );
}

#[test]
fn provider_resolution() {
    assert_eq!(codes(&with("agents:\n  - { provider: thulum, login: jk, name: J, surname: K, number: 1, password: { env: P } }\n")), ["unknown_provider"]);
    assert_eq!(codes(&with("agents:\n  - { provider: ccp, login: jk, name: J, surname: K, number: 1, password: { env: P } }\n")), ["wrong_kind"]);
    assert_eq!(
        codes(&with(
            "users:\n  - { name: dh, user_type: agent, password: { env: P } }\n"
        )),
        ["ambiguous_provider"]
    );
    let only_ccp = "version: 1\nproviders:\n  c: { type: ccp, url: https://c.example, auth: { api_key: { env: K } } }\n";
    assert!(codes(&format!("{only_ccp}users:\n  - {{ username: u, level: agent, role_uuid: r, password: {{ env: P }} }}\n")).is_empty());
    assert_eq!(codes(&format!("{only_ccp}{AGENT}")), ["no_provider"]);
}

#[test]
fn plaintext_secrets_are_errors_and_masked() {
    let text =
        with("agents:\n  - { login: jk, name: J, surname: K, number: 1, password: Hunter-22 }\n");
    let err = load_str("t.yaml", &text).unwrap_err();
    assert_eq!(err.count(), 1);
    let shown = crate::commands::render_report(&err.diagnostics()[0], false, 100);
    assert!(!shown.contains("Hunter-22"), "{shown}");
    assert!(shown.contains("********"), "{shown}");
    // A misspelt secret field is hidden too.
    let text = with("agents:\n  - { login: jk, name: J, surname: K, number: 1, pasword: Hunter-22, password: { env: P } }\n");
    let err = load_str("t.yaml", &text).unwrap_err();
    let shown = crate::commands::render_report(&err.diagnostics()[0], false, 100);
    assert!(!shown.contains("Hunter-22"), "{shown}");
    assert_eq!(codes(&with("agents:\n  - { login: jk, name: J, surname: K, number: 1, password: { env: P, file: f } }\n")), ["secret_ref"]);
}

#[test]
fn top_level_and_provider_problems() {
    assert_eq!(codes("version: 3\n"), ["version"]);
    assert_eq!(codes("version: \"1\"\n"), ["version"]);
    assert_eq!(codes("providers: {}\n"), ["missing_field"]);
    assert_eq!(codes("version: 1\nprovider: {}\n"), ["unknown_field"]);
    assert!(codes("").contains(&"missing_field".to_string()));
    let p = |body: &str| codes(&format!("version: 1\nproviders:\n  p: {body}\n"));
    assert_eq!(
        p("{ type: cpp, url: https://x.example, auth: {} }"),
        ["unknown_type"]
    );
    assert_eq!(
        p("{ url: https://x.example, auth: { api_key: { env: K } } }"),
        ["missing_field"]
    );
    assert_eq!(
        p("{ type: ccp, auth: { api_key: { env: K } } }"),
        ["missing_field"]
    );
    assert_eq!(
        p("{ type: ccp, url: https://x.example }"),
        ["missing_field"]
    );
    assert_eq!(
        p("{ type: ccp, url: https://x.example, auth: {} }"),
        ["missing_field"]
    );
    assert_eq!(
        p("{ type: ccp, url: https://x.example, auth: { api_key: { env: K }, token: t } }"),
        ["unknown_field"]
    );
    assert_eq!(
        p("{ type: ccp, url: x.example, auth: { api_key: { env: K } } }"),
        ["url"]
    );
    assert_eq!(
        p("{ type: ccp, url: \"mailto:a@b.c\", auth: { api_key: { env: K } } }"),
        ["url"]
    );
    assert_eq!(
        p("{ type: ccp, url: http://x.example, auth: { api_key: { env: K } } }"),
        ["insecure_url"]
    );
    assert_eq!(
        p("{ type: ccp, url: https://x.example, unlisted: purge, auth: { api_key: { env: K } } }"),
        ["enum"]
    );
    assert_eq!(p("{ type: ccp, url: https://x.example, max_deactivate_percent: 101, auth: { api_key: { env: K } } }"), ["range"]);
    assert_eq!(p("{ type: ccp, url: https://x.example, insecure_http: yes, auth: { api_key: { env: K } } }"), ["wrong_type"]);
    assert_eq!(
        p("{ type: ccp, url: https://x.example, timeout: 0, auth: { api_key: { env: K } } }"),
        ["range"]
    );
    assert_eq!(codes("version: 1\nproviders:\n  \"a b\": { type: ccp, url: https://x.example, auth: { api_key: { env: K } } }\n"), ["provider_name"]);
}

#[test]
fn a_provider_defined_in_two_files_labels_both() {
    let parse = |name: &str, text: &str| ParsedFile {
        path: Arc::new(PathBuf::from(name)),
        root: crate::desired::yaml::parse(text).unwrap(),
    };
    let body =
        "providers:\n  c: { type: ccp, url: https://c.example, auth: { api_key: { env: K } } }\n";
    let files = [
        parse("a.yaml", &format!("version: 1\n{body}")),
        parse("b.yaml", body),
    ];
    let checked = check(files.into());
    assert_eq!(checked.problems.len(), 1, "{:?}", checked.problems);
    let p = &checked.problems[0];
    assert_eq!((p.code, p.file), ("duplicate_provider", Some(1)));
    assert_eq!(p.elsewhere.len(), 1);
    assert_eq!(p.elsewhere[0].0, 0);
}

#[test]
fn ca_file_is_taken_from_the_yaml_files_folder_and_made_absolute() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    std::fs::write(
        dir.path().join("certs/private-ca.pem"),
        "-----BEGIN CERTIFICATE-----\n",
    )
    .unwrap();
    let file = dir.path().join("headcount.yaml");
    std::fs::write(
        &file,
        "version: 1\nproviders:\n  c: { type: ccp, url: https://c.example, ca_file: certs/private-ca.pem, auth: { api_key: { env: K } } }\n",
    )
    .unwrap();
    let d = crate::desired::load(&file).unwrap();
    let ca = d.providers["c"].ca_file.clone().unwrap();
    assert!(ca.is_absolute(), "{}", ca.display());
    assert_eq!(
        std::fs::canonicalize(&ca).unwrap(),
        std::fs::canonicalize(dir.path().join("certs/private-ca.pem")).unwrap()
    );
    let without = load_str("t.yaml", PROVIDERS).unwrap();
    assert_eq!(without.providers["ccp"].ca_file, None);
}

#[test]
fn an_unreadable_ca_file_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("headcount.yaml");
    let check = |value: &str| {
        let text = format!("version: 1\nproviders:\n  c: {{ type: ccp, url: https://c.example, ca_file: {value}, auth: {{ api_key: {{ env: K }} }} }}\n");
        std::fs::write(&file, &text).unwrap();
        let err = crate::desired::load(&file).unwrap_err();
        assert_eq!(err.count(), 1);
        let d = &err.diagnostics()[0];
        let shown = crate::commands::render_report(d, false, 200);
        (d.message().to_string(), shown)
    };
    let (message, shown) = check("missing.pem");
    assert_eq!(
        message,
        "`ca_file` \"missing.pem\" cannot be read: no such file or directory"
    );
    assert!(shown.contains("headcount.yaml:3:"), "{shown}");
    assert!(
        shown.contains("relative path is read from the folder of"),
        "{shown}"
    );
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    let (message, _) = check("certs");
    assert_eq!(message, "`ca_file` \"certs\" is not a regular file");
    let (message, _) = check("12");
    assert_eq!(message, "`ca_file` must be a file path, found an integer");
}

#[test]
fn top_level_x_keys_are_ignored_and_hold_anchors() {
    let text = format!(
        "x-people: &surname Kowalski\nx-other: [1, 2]\n{PROVIDERS}agents:\n  - {{ login: jk, name: Jan, surname: *surname, number: 5634, password: {{ env: P }} }}\n"
    );
    let d = load_str("t.yaml", &text).unwrap();
    assert_eq!(
        d.entries[0].fields["surname"],
        Value::Str("Kowalski".into())
    );
    // Only at the top level, and only with the `x-` prefix.
    assert_eq!(codes(&with("y-notes: 1\n")), ["unknown_field"]);
}

#[test]
fn defaults_fill_fields_the_entry_leaves_out_and_the_entry_wins() {
    let text = PROVIDERS.replace(
        "    auth: { username: api, password: { env: TP } }\n",
        "    auth: { username: api, password: { env: TP } }\n    defaults: { surname: Nowak, outbound_mode: auto, password: { env: AGENTS } }\n",
    );
    let d = load_str(
        "t.yaml",
        &format!("{text}agents:\n  - {{ login: jk, name: Jan, number: 5634 }}\n  - {{ login: an, name: Anna, surname: K, number: 5635, outbound_mode: manual }}\n"),
    )
    .unwrap();
    let (jk, an) = (&d.entries[0], &d.entries[1]);
    assert_eq!(jk.fields["surname"], Value::Str("Nowak".into()));
    assert_eq!(jk.fields["outbound_mode"], Value::Str("auto".into()));
    assert_eq!(jk.secrets["password"], SecretRef::Env("AGENTS".into()));
    assert_eq!(an.fields["surname"], Value::Str("K".into()));
    assert_eq!(an.fields["outbound_mode"], Value::Str("manual".into()));
}

#[test]
fn ignore_patterns_are_globs_and_an_ignored_entry_is_an_error() {
    let text = PROVIDERS.replace(
        "    auth: { username: api, password: { env: TP } }\n",
        "    auth: { username: api, password: { env: TP } }\n    ignore: [\"api-*\", \"svc-??\"]\n",
    );
    let d = load_str("t.yaml", &format!("{text}{AGENT}")).unwrap();
    let thulium = &d.providers["thulium"];
    assert!(thulium.ignored_by("api-crm").is_some());
    assert!(thulium.ignored_by("svc-01").is_some());
    assert!(thulium.ignored_by("svc-001").is_none());
    assert!(thulium.ignored_by("jk").is_none());
    let listed = problems(&format!(
        "{text}agents:\n  - {{ login: api-crm, name: A, surname: B, number: 5900, password: {{ env: P }} }}\n"
    ));
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].0, "ignored_entry");
    assert_eq!(
        codes(&PROVIDERS.replace(
            "    auth: { username: api, password: { env: TP } }\n",
            "    auth: { username: api, password: { env: TP } }\n    ignore: api-*\n"
        )),
        ["wrong_type"]
    );
}

#[test]
fn a_person_fills_each_vendors_fields_the_account_wins_and_defaults_come_last() {
    let providers = PROVIDERS.replace(
        "password: { env: DP } } }",
        "password: { env: DP } }, defaults: { user_type: agent, first_name: Default, email: default@example.com } }",
    );
    let text = format!(
        "{providers}people:
  - id: jkowalski
    name: Jan
    surname: Kowalski
    email: jkowalski@example.com
    accounts:
      thulium: {{ number: \"5634\", password: {{ env: P }} }}
      ccp: {{ username: jan.k, level: agent, role_uuid: r, first_name: Janek, password: {{ env: P }} }}
      dnl: {{ password: {{ env: P }} }}
  - id: anowak
    active: false
    accounts:
      dnl: {{ password: {{ env: P }} }}
"
    );
    let d = load_str("t.yaml", &text).unwrap();
    assert_eq!(d.people.len(), 2);
    assert_eq!(d.people[0].display_name(), "Jan Kowalski");
    assert!(!d.people[1].active);
    let fields = |provider: &str, key: &str| {
        let e = d
            .entries
            .iter()
            .find(|e| e.provider == provider && e.key == key)
            .unwrap_or_else(|| panic!("{provider}/{key}"));
        assert!(e.person.is_some());
        e.fields
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // The key first, then what the person gives, then the account's own.
    assert_eq!(
        fields("thulium", "jkowalski"),
        r#"login="jkowalski" name="Jan" surname="Kowalski" email="jkowalski@example.com" number="5634""#
    );
    // The account's own first_name wins; CCP has no family-name field.
    assert_eq!(
        fields("ccp", "jan.k"),
        r#"username="jan.k" email="jkowalski@example.com" level="agent" role_uuid="r" first_name="Janek""#
    );
    // The person wins over `defaults:`; the full name is composed.
    assert_eq!(
        fields("dnl", "jkowalski"),
        r#"name="jkowalski" first_name="Jan" last_name="Kowalski" fullname="Jan Kowalski" email="jkowalski@example.com" user_type="agent""#
    );
    // An inactive person's account is set inactive; what the person does
    // not give, the defaults still do.
    assert_eq!(
        fields("dnl", "anowak"),
        r#"name="anowak" active=false user_type="agent" first_name="Default" email="default@example.com""#
    );
}

#[test]
fn people_problems_are_located_and_not_repeated() {
    let person = |extra: &str| {
        with(&format!(
            "people:\n  - id: jk\n    name: Jan\n    surname: K\n    accounts:\n{extra}"
        ))
    };
    // A person's account takes no `provider:`; its key defaults, so no
    // "missing login" follows an invalid id.
    assert_eq!(
        codes(&person(
            "      thulium: { provider: thulium, number: \"1\", password: { env: P } }\n"
        )),
        ["unknown_field"]
    );
    assert_eq!(
        codes(&with("people:\n  - id: \"a/b\"\n    accounts:\n      ccp: { level: agent, role_uuid: r, password: { env: P } }\n")),
        ["pattern"]
    );
    assert_eq!(codes(&person("      thulium: [1, 2]\n")), ["wrong_type"]);
    assert_eq!(codes(&with("people:\n  - name: Jan\n")), ["missing_field"]);
    assert_eq!(codes(&with("people: {}\n")), ["wrong_type"]);
    // A plaintext password in a person's account is masked like any other.
    let p = problems(&person(
        "      thulium: { number: \"1\", password: Summer2024 }\n",
    ));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "plaintext_secret");
    assert!(p[0].1.contains("person `jk`"), "{p:?}");
    // An ignored account cannot belong to a person either.
    let text = PROVIDERS.replace(
        "auth: { username: api, password: { env: TP } }",
        "auth: { username: api, password: { env: TP } }\n    ignore: [\"j*\"]",
    ) + "people:\n  - id: jk\n    name: Jan\n    surname: K\n    accounts:\n      thulium: { number: \"1\", password: { env: P } }\n";
    assert_eq!(codes(&text), ["ignored_entry"]);
}

#[test]
fn an_active_person_beats_defaults_and_a_bad_attribute_is_one_problem() {
    let providers = PROVIDERS.replace(
        "auth: { api_key: { env: CK } } }",
        "auth: { api_key: { env: CK } }, defaults: { is_active: false } }",
    );
    let text = format!(
        "{providers}people:\n  - id: jk\n    accounts:\n      ccp: {{ level: agent, role_uuid: r, password: {{ env: P }} }}\n"
    );
    let d = load_str("t.yaml", &text).unwrap();
    assert_eq!(
        d.entries[0].fields.get("is_active"),
        Some(&Value::Bool(true))
    );
    // A mistyped name is reported where it is written, not again as
    // Thulium's missing `name`.
    let text = with(
        "people:\n  - id: jk\n    name: [Jan]\n    surname: K\n    accounts:\n      thulium: { number: \"1\", password: { env: P } }\n",
    );
    assert_eq!(codes(&text), ["wrong_type"]);
}

#[test]
fn a_journal_path_from_the_file_stays_in_its_folder() {
    // The file may come from a pull request: it must not aim apply's
    // appends at any file the runner can write.
    for path in ["/etc/cron.d/x", "../outside.jsonl", "audit/../../x.jsonl"] {
        assert_eq!(
            codes(&with(&format!("journal: {path}\n"))),
            vec!["journal_path".to_string()],
            "{path}"
        );
    }
    assert!(codes(&with("journal: audit/headcount-journal.jsonl\n")).is_empty());
}
