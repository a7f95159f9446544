//! Tests of the diff engine and the renderers on plans built in memory.

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use proptest::prelude::*;

use super::ChangeKind;
use super::*;
use crate::desired::{Desired, Entry, FieldMap, Origin, Provider, SecretRef, UnlistedPolicy};
use crate::drivers::{ccp, dnl, thulium};
use crate::model::{DriverSchema, FieldType, Kind, RemoteRecord, Value};

fn origin(line: u32) -> Origin {
    Origin {
        file: Arc::new(PathBuf::from("headcount.yaml")),
        line,
        column: 5,
    }
}

fn provider(name: &str, schema: &'static DriverSchema, unlisted: UnlistedPolicy) -> Provider {
    Provider {
        name: name.into(),
        schema,
        url: url::Url::parse("https://example.com").unwrap(),
        auth: IndexMap::new(),
        unlisted,
        edits: crate::desired::EditsPolicy::Api,
        parallelism: None,
        timeout: None,
        max_deactivate_percent: 25.0,
        max_deactivate_percent_set: false,
        limits: Default::default(),
        insecure_http: false,
        ca_file: None,
        ignore: Vec::new(),
        rate_limit: None,
        origin: origin(1),
    }
}

fn entry(
    provider: &str,
    schema: &'static DriverSchema,
    fields: &[(&'static str, Value)],
    secrets: &[&'static str],
) -> Entry {
    let fields: FieldMap<Value> = fields.iter().map(|(k, v)| (*k, v.clone())).collect();
    let key = fields[schema.key_field].as_str().unwrap().to_string();
    Entry {
        provider: provider.into(),
        kind: schema.kind,
        key,
        fields,
        secrets: secrets
            .iter()
            .map(|s| (*s, SecretRef::Env(format!("{}_ENV", s.to_uppercase()))))
            .collect(),
        origin: origin(10),
        person: None,
        start: None,
        end: None,
    }
}

fn record(id: &str, key: &str, fields: &[(&'static str, Value)]) -> RemoteRecord {
    RemoteRecord {
        id: id.into(),
        key: key.into(),
        fields: fields.iter().cloned().collect(),
    }
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn desired(providers: Vec<Provider>, entries: Vec<Entry>) -> Desired {
    Desired {
        version: 1,
        providers: providers.into_iter().map(|p| (p.name.clone(), p)).collect(),
        entries,
        people: Vec::new(),
        journal: None,
        timezone: Default::default(),
        limits: Default::default(),
    }
}

/// One of every kind of change: create, update, deactivate, unlisted, unchanged.
pub(crate) fn sample() -> (Desired, Remote) {
    let d = desired(
        vec![
            provider("thulium", &thulium::SCHEMA, UnlistedPolicy::Report),
            provider("dnl", &dnl::SCHEMA, UnlistedPolicy::Deactivate),
        ],
        vec![
            entry(
                "thulium",
                &thulium::SCHEMA,
                &[
                    ("login", s("jkowalski")),
                    ("name", s("Jan")),
                    ("surname", s("Kowalski")),
                    ("number", s("5634")),
                    ("roles", Value::List(vec![Value::Int(1), Value::Int(2)])),
                ],
                &["password"],
            ),
            entry(
                "thulium",
                &thulium::SCHEMA,
                &[
                    ("login", s("anowak")),
                    ("name", s("Anna")),
                    ("surname", s("Nowak")),
                    ("number", s("5635")),
                    ("email", s("anna.nowak@example.com")),
                ],
                &["password"],
            ),
            entry(
                "dnl",
                &dnl::SCHEMA,
                &[
                    ("name", s("dnhai")),
                    ("user_type", s("agent")),
                    ("email", s("DNHai@Example.net")),
                ],
                &["password"],
            ),
        ],
    );
    let mut remote = Remote::default();
    remote.providers.insert(
        "thulium".into(),
        vec![
            record(
                "anowak",
                "anowak",
                &[
                    ("login", s("anowak")),
                    ("name", s("Anna")),
                    ("surname", s("Kowalska")),
                    ("number", Value::Int(5635)),
                    ("email", s("anna@example.com")),
                    ("active", Value::Bool(true)),
                ],
            ),
            record(
                "ghost",
                "ghost",
                &[("login", s("ghost")), ("active", Value::Bool(true))],
            ),
        ],
    );
    remote.providers.insert(
        "dnl".into(),
        vec![
            record(
                "7",
                "dnhai",
                &[
                    ("name", s("dnhai")),
                    ("user_type", s("agent")),
                    ("email", s("dnhai@example.net")),
                ],
            ),
            record(
                "8",
                "a1",
                &[("name", s("a1")), ("active", Value::Bool(true))],
            ),
            record(
                "9",
                "a2",
                &[("name", s("a2")), ("active", Value::Bool(false))],
            ),
            record("10", "a3", &[("name", s("a3"))]),
            record("11", "a4", &[("name", s("a4"))]),
            record("12", "a5", &[("name", s("a5"))]),
        ],
    );
    (d, remote)
}

fn plan_of(d: &Desired, r: &Remote) -> Plan {
    compute(
        d,
        r,
        &PlanOptions {
            force: true,
            ..Default::default()
        },
    )
}

#[test]
fn every_kind_of_change_is_planned() {
    let (d, r) = sample();
    let plan = plan_of(&d, &r);
    let actions: Vec<(Action, &str)> = plan
        .changes
        .iter()
        .map(|c| (c.action(), c.key.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            (Action::Create, "jkowalski"),
            (Action::Update, "anowak"),
            (Action::Deactivate, "a1"),
            (Action::Deactivate, "a3"),
            (Action::Deactivate, "a4"),
            (Action::Deactivate, "a5"),
        ]
    );
    // dnhai: email differs only in case -> unchanged.
    assert_eq!(plan.unchanged, 1);
    let update = &plan.changes[1];
    let names: Vec<&str> = update.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["surname", "email"],
        "number 5635 == \"5635\" must not differ"
    );
    assert_eq!(update.fields[0].before, Some(s("Kowalska")));
    assert_eq!(update.fields[0].after, Some(s("Nowak")));
    // Unlisted: ghost (reported), a1..a5 on dnl (a2 already inactive).
    let unlisted: Vec<&str> = plan.unlisted.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(unlisted, vec!["ghost", "a1", "a2", "a3", "a4", "a5"]);
}

#[test]
fn create_shows_secrets_as_sensitive_and_marks_create_only_fields() {
    let (d, r) = sample();
    let plan = plan_of(&d, &r);
    let create = &plan.changes[0];
    let password = create.fields.iter().find(|f| f.name == "password").unwrap();
    assert!(password.sensitive && password.after.is_none());
    let roles = create.fields.iter().find(|f| f.name == "roles").unwrap();
    assert!(roles.create_only);
    assert_eq!(create.secrets.len(), 1);
}

#[test]
fn write_only_fields_never_cause_an_update() {
    let (mut d, r) = sample();
    // anowak gets roles and a language: unreadable, so no new field change.
    d.entries[1]
        .fields
        .insert("roles", Value::List(vec![Value::Int(3)]));
    d.entries[1].fields.insert("language", s("en"));
    let plan = plan_of(&d, &r);
    let update = plan.changes.iter().find(|c| c.key == "anowak").unwrap();
    assert!(update
        .fields
        .iter()
        .all(|f| f.name != "roles" && f.name != "language"));
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("roles") && w.contains("set on create only")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn safety_threshold_needs_approval_for_mass_deactivation() {
    let (d, r) = sample();
    let plan = compute(&d, &r, &PlanOptions::default());
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    let over = plan.needs_approval();
    assert_eq!(over.len(), 1, "{:?}", plan.breaches);
    // 25% of 6 accounts is 1: 4 deactivations are 3 over.
    assert_eq!(over[0].kind, ChangeKind::Deactivations);
    assert!(
        over[0].describe().contains("4 deactivations of 6 accounts"),
        "{}",
        over[0].describe()
    );
    assert_eq!(over[0].over_by, 3);
    assert!(over[0].how_to_allow().contains("--allow deactivations"));
    // --allow deactivations lifts it; --allow creates does not; --force does.
    let allowed = |allow: Vec<ChangeKind>, force: bool| {
        let options = PlanOptions {
            allow,
            force,
            ..PlanOptions::default()
        };
        compute(&d, &r, &options).needs_approval().is_empty()
    };
    assert!(allowed(vec![ChangeKind::Deactivations], false));
    assert!(!allowed(vec![ChangeKind::Creates], false));
    assert!(allowed(Vec::new(), true));
}

#[test]
fn limits_per_kind_and_the_population_floor() {
    use crate::desired::types::{Limit, Limits};
    let (mut d, r) = sample();
    // Creates limited to 0 for every provider: the sample's create needs approval.
    d.limits = Limits {
        creates: Some(Limit::Count(0)),
        deactivations: Some(Limit::Percent(100.0)),
        ..Limits::default()
    };
    let plan = compute(&d, &r, &PlanOptions::default());
    let kinds: Vec<ChangeKind> = plan.needs_approval().iter().map(|b| b.kind).collect();
    assert!(kinds.contains(&ChangeKind::Creates), "{:?}", plan.breaches);
    // The provider's own max_deactivate_percent outranks the file's limits.
    for p in d.providers.values_mut() {
        p.max_deactivate_percent = 10.0;
        p.max_deactivate_percent_set = true;
    }
    let plan = compute(&d, &r, &PlanOptions::default());
    assert!(plan
        .needs_approval()
        .iter()
        .any(|b| b.kind == ChangeKind::Deactivations && b.limit == Limit::Percent(10.0)));
    // Below the population floor a percentage does not apply.
    d.limits.min_population = Some(1000);
    let plan = compute(&d, &r, &PlanOptions::default());
    assert!(plan
        .needs_approval()
        .iter()
        .all(|b| b.kind != ChangeKind::Deactivations));
}

/// `edits: manual` is the provider's setting, not a vendor's: a CCP
/// provider set so gets its edits and offboarding as steps by hand, with no
/// password needed and nothing an API edit would send besides the change.
#[test]
fn under_edits_manual_updates_and_deactivations_are_steps_by_hand_never_changes() {
    let mut ccp_provider = provider("ccp", &ccp::SCHEMA, UnlistedPolicy::Deactivate);
    ccp_provider.edits = crate::desired::EditsPolicy::Manual;
    ccp_provider.max_deactivate_percent = 100.0;
    let d = desired(
        vec![ccp_provider],
        vec![
            entry(
                "ccp",
                &ccp::SCHEMA,
                &[("username", s("AgentSale03")), ("extension", s("104"))],
                &[],
            ),
            entry(
                "ccp",
                &ccp::SCHEMA,
                &[("username", s("New01")), ("level", s("leader"))],
                &["password"],
            ),
        ],
    );
    let mut r = Remote::default();
    r.providers.insert(
        "ccp".into(),
        vec![
            record(
                "u1",
                "AgentSale03",
                &[("extension", s("103")), ("is_active", s("true"))],
            ),
            record("u2", "Old", &[("is_active", s("true"))]),
        ],
    );
    let plan = compute(&d, &r, &PlanOptions::default());
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    let changes: Vec<(Action, &str)> = plan
        .changes
        .iter()
        .map(|c| (c.action(), c.key.as_str()))
        .collect();
    assert_eq!(changes, [(Action::Create, "New01")]);
    let manual: Vec<(Action, &str, Vec<&str>)> = plan
        .manual
        .iter()
        .map(|c| {
            (
                c.action(),
                c.key.as_str(),
                c.fields.iter().map(|f| f.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        manual,
        [
            (Action::Update, "AgentSale03", vec!["extension"]),
            (Action::Deactivate, "Old", vec!["is_active"]),
        ]
    );
    assert!(plan
        .manual
        .iter()
        .all(|c| c.secrets.is_empty() && c.notes.is_empty()));
    assert!(plan.has_drift());
    assert_eq!(plan.summary().manual, 2);
    assert_eq!(plan.summary().update, 0);
}

#[test]
fn every_ccp_edit_notes_the_fields_it_does_not_send_and_dnl_edits_echo_name_and_user_type() {
    let d = desired(
        vec![
            provider("ccp", &ccp::SCHEMA, UnlistedPolicy::Report),
            provider("dnl", &dnl::SCHEMA, UnlistedPolicy::Report),
        ],
        vec![
            entry(
                "ccp",
                &ccp::SCHEMA,
                &[("username", s("AgentSale03")), ("extension", s("104"))],
                &["password"],
            ),
            entry(
                "dnl",
                &dnl::SCHEMA,
                &[("name", s("dnhai")), ("email", s("new@example.net"))],
                &[],
            ),
        ],
    );
    let mut r = Remote::default();
    r.providers.insert(
        "ccp".into(),
        vec![record("u1", "AgentSale03", &[("extension", s("103"))])],
    );
    r.providers.insert(
        "dnl".into(),
        vec![record(
            "7",
            "dnhai",
            &[("user_type", s("agent")), ("email", s("old@example.net"))],
        )],
    );
    let plan = compute(&d, &r, &PlanOptions::default());
    let ccp_edit = &plan.changes[0];
    assert_eq!(ccp_edit.notes.len(), 1);
    assert!(ccp_edit.notes[0].starts_with("not sent: last_name, middle_name (CCP holds them"));
    let dnl_edit = &plan.changes[1];
    assert!(dnl_edit.notes.is_empty());
    let sent: Vec<(&str, bool, Option<&Value>)> = dnl_edit
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.sent_only, f.after.as_ref()))
        .collect();
    assert_eq!(
        sent,
        [
            ("email", false, Some(&s("new@example.net"))),
            ("name", true, Some(&s("dnhai"))),
            ("user_type", true, Some(&s("agent"))),
        ]
    );
}

#[test]
fn ccp_edit_without_password_is_a_plan_error_and_unlisted_ccp_cannot_be_deactivated() {
    let d = desired(
        vec![provider("ccp", &ccp::SCHEMA, UnlistedPolicy::Deactivate)],
        vec![entry(
            "ccp",
            &ccp::SCHEMA,
            &[
                ("username", s("AgentSale03")),
                ("level", s("agent")),
                ("role_uuid", s("r1")),
                ("extension", s("104")),
            ],
            &[],
        )],
    );
    let mut r = Remote::default();
    r.providers.insert(
        "ccp".into(),
        vec![
            record(
                "u1",
                "AgentSale03",
                &[
                    ("username", s("AgentSale03")),
                    ("extension", s("103")),
                    ("is_active", s("true")),
                ],
            ),
            record(
                "u2",
                "Old",
                &[("username", s("Old")), ("is_active", s("true"))],
            ),
        ],
    );
    let plan = compute(&d, &r, &PlanOptions::default());
    assert_eq!(
        plan.changes.len(),
        1,
        "only the edit; no deactivation of Old"
    );
    assert!(plan
        .problems
        .iter()
        .any(|p| p.message.contains("password") && p.key.as_deref() == Some("AgentSale03")));
    let old = plan.unlisted.iter().find(|u| u.key == "Old").unwrap();
    assert!(old.note.as_deref().unwrap().contains("password"));
    assert_eq!(
        old.active,
        Some(true),
        "\"true\" string read back as active"
    );
}

#[test]
fn ccp_edit_carries_the_password_reference() {
    let d = desired(
        vec![provider("ccp", &ccp::SCHEMA, UnlistedPolicy::Report)],
        vec![entry(
            "ccp",
            &ccp::SCHEMA,
            &[
                ("username", s("A")),
                ("level", s("agent")),
                ("role_uuid", s("r1")),
                ("extension", s("104")),
            ],
            &["password"],
        )],
    );
    let mut r = Remote::default();
    r.providers.insert(
        "ccp".into(),
        vec![record(
            "u1",
            "A",
            &[("username", s("A")), ("extension", s("103"))],
        )],
    );
    let plan = compute(&d, &r, &PlanOptions::default());
    assert!(plan.problems.is_empty());
    assert_eq!(
        plan.changes[0].secrets.keys().collect::<Vec<_>>(),
        vec!["password"]
    );
}

#[test]
fn targets_limit_the_plan_and_hide_unlisted_for_single_accounts() {
    let (d, r) = sample();
    let opts = PlanOptions {
        force: true,
        targets: vec![Target::parse("thulium/anowak").unwrap()],
        ..PlanOptions::default()
    };
    let plan = compute(&d, &r, &opts);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].key, "anowak");
    assert!(plan.unlisted.is_empty());
    assert!(Target::parse("/x").is_none());
    assert!(Target::parse("p/").is_none());
}

// ---- renderers ----

#[test]
fn text_render_snapshot() {
    let (d, r) = sample();
    let plan = compute(&d, &r, &PlanOptions::default());
    insta::assert_snapshot!(render::text::render(&plan, false));
}

#[test]
fn text_render_colour_only_when_asked() {
    let (d, r) = sample();
    let plan = plan_of(&d, &r);
    assert!(!render::text::render(&plan, false).contains('\u{1b}'));
    let coloured = render::text::render(&plan, true);
    assert!(coloured.contains('\u{1b}'));
}

#[test]
fn no_changes_text() {
    let plan = Plan::default();
    assert!(render::text::render(&plan, false).starts_with("No changes."));
}

#[test]
fn json_render_snapshot_has_no_values_for_sensitive_fields() {
    let (d, r) = sample();
    let plan = compute(&d, &r, &PlanOptions::default());
    let text = render::json::render(&plan);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format_version"], 2);
    assert_eq!(v["summary"]["create"], 1);
    let fields = v["changes"][0]["fields"].as_array().unwrap();
    let pw = fields.iter().find(|f| f["name"] == "password").unwrap();
    assert_eq!(pw["sensitive"], true);
    assert!(pw["after"].is_null());
    insta::assert_snapshot!(text.replace(env!("CARGO_PKG_VERSION"), "VERSION"));
}

#[test]
fn markdown_render_snapshot() {
    let (d, r) = sample();
    let plan = compute(&d, &r, &PlanOptions::default());
    insta::assert_snapshot!(render::markdown::render(&plan));
}

#[test]
fn markdown_is_cut_under_the_comment_limit() {
    let mut plan = Plan::default();
    for i in 0..5000 {
        plan.changes.push(Change {
            op: Op::Create,
            provider: "thulium".into(),
            vendor: "thulium".into(),
            kind: Kind::Agent,
            key: format!("agent{i:05}"),
            fields: vec![FieldChange::set(
                "name",
                None,
                s("A rather long display name for an agent"),
            )],
            secrets: IndexMap::new(),
            person: None,
            notes: Vec::new(),
            reason: None,
        });
    }
    let md = render::markdown::render(&plan);
    assert!(md.chars().count() <= render::markdown::MAX_CHARS);
    assert!(md.contains("Plan cut to fit a comment"));
    assert!(md.contains("| thulium | 5000 | 0 | 0 | 0 |"));
}

// ---- property: applying a plan converges ----

/// What a vendor does with a change, in memory: creates store the readable
/// fields, updates overwrite them.
fn apply_in_memory(desired: &Desired, remote: &mut Remote, plan: &Plan) {
    for change in &plan.changes {
        let schema = desired.providers[&change.provider].schema;
        let records = remote.providers.entry(change.provider.clone()).or_default();
        match change.action() {
            Action::Create => {
                let fields = change
                    .fields
                    .iter()
                    .filter(|f| {
                        !f.sensitive && schema.field(&f.name).is_some_and(|s| s.is_readable())
                    })
                    .filter_map(|f| Some((schema.field(&f.name)?.name, f.after.clone()?)))
                    .collect();
                records.push(RemoteRecord {
                    id: format!("id-{}", change.key),
                    key: change.key.clone(),
                    fields,
                });
            }
            Action::Update | Action::Deactivate => {
                let record = records.iter_mut().find(|r| r.key == change.key).unwrap();
                for f in &change.fields {
                    if let (Some(after), Some(spec)) = (&f.after, schema.field(&f.name)) {
                        record.fields.insert(spec.name, after.clone());
                    }
                }
            }
        }
    }
}

fn arb_value(ty: FieldType) -> BoxedStrategy<Value> {
    match ty {
        FieldType::String => prop_oneof![
            "[a-c]{1,3}".prop_map(Value::Str),
            (0i64..20).prop_map(Value::Int)
        ]
        .boxed(),
        FieldType::Integer => (0i64..5).prop_map(Value::Int).boxed(),
        FieldType::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
        FieldType::Email => "[a-bA-B]{1,2}@x\\.com".prop_map(Value::Str).boxed(),
        FieldType::Enum(values) => proptest::sample::select(values.to_vec())
            .prop_map(|v| Value::Str(v.to_string()))
            .boxed(),
        FieldType::IntegerSet => proptest::collection::vec((0i64..4).prop_map(Value::Int), 0..3)
            .prop_map(Value::List)
            .boxed(),
        FieldType::IpSet => Just(Value::List(vec![s("10.0.0.1")])).boxed(),
        FieldType::Secret => Just(Value::Null).boxed(),
    }
}

fn arb_fields(schema: &'static DriverSchema) -> BoxedStrategy<IndexMap<String, Value>> {
    let strategies: Vec<BoxedStrategy<Option<(String, Value)>>> = schema
        .fields
        .iter()
        .filter(|f| !f.is_secret() && f.name != schema.key_field)
        .map(|f| {
            let name = f.name.to_string();
            proptest::option::of(arb_value(f.ty).prop_map(move |v| (name.clone(), v))).boxed()
        })
        .collect();
    strategies
        .prop_map(|pairs| pairs.into_iter().flatten().collect())
        .boxed()
}

fn arb_world() -> impl Strategy<Value = (Desired, Remote)> {
    let schemas: [&'static DriverSchema; 3] = [&thulium::SCHEMA, &ccp::SCHEMA, &dnl::SCHEMA];
    let per_provider = schemas.map(|schema| {
        (
            proptest::collection::btree_map("k[0-9]", arb_fields(schema), 0..5),
            proptest::collection::btree_map("k[0-9]", arb_fields(schema), 0..5),
            proptest::sample::select(vec![
                UnlistedPolicy::Ignore,
                UnlistedPolicy::Report,
                UnlistedPolicy::Deactivate,
            ]),
        )
    });
    per_provider.prop_map(move |parts| {
        let mut providers = Vec::new();
        let mut entries = Vec::new();
        let mut remote = Remote::default();
        for (schema, (want, have, policy)) in schemas.iter().zip(parts) {
            let name = schema.vendor;
            providers.push(provider(name, schema, policy));
            for (key, mut fields) in want {
                fields.insert(schema.key_field.to_string(), s(&key));
                fields.move_index(fields.len() - 1, 0);
                let secrets: Vec<&str> = schema
                    .fields
                    .iter()
                    .filter(|f| f.is_secret())
                    .map(|f| f.name)
                    .collect();
                let pairs: Vec<(&'static str, Value)> = fields
                    .iter()
                    .filter_map(|(k, v)| schema.field(k).map(|f| (f.name, v.clone())))
                    .collect();
                entries.push(entry(name, schema, &pairs, &secrets));
            }
            let records = have
                .into_iter()
                .map(|(key, fields)| {
                    let mut fields: FieldMap<Value> = fields
                        .iter()
                        .filter_map(|(k, v)| schema.field(k).map(|f| (f.name, v.clone())))
                        .collect();
                    fields.insert(schema.key_field, s(&key));
                    RemoteRecord {
                        id: format!("id-{key}"),
                        key,
                        fields,
                    }
                })
                .collect();
            remote.providers.insert(name.to_string(), records);
        }
        (desired(providers, entries), remote)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn applying_the_plan_leaves_nothing_to_do((d, mut remote) in arb_world()) {
        let opts = PlanOptions { force: true, ..Default::default() };
        let first = compute(&d, &remote, &opts);
        apply_in_memory(&d, &mut remote, &first);
        let second = compute(&d, &remote, &opts);
        prop_assert!(second.changes.is_empty(), "left: {:?}", second.changes);
    }
}

fn saved(plan: &Plan, remote: &Remote) -> saved::SavedPlan {
    let made = saved::Made {
        source_path: std::path::Path::new("headcount.yaml"),
        source_digest: "sha256:1234",
        targets: &[],
        rotate: &[],
        force: false,
        allow: Vec::new(),
        at: None,
    };
    saved::SavedPlan::new(plan, remote, &made)
}

fn refusal_text(result: Result<(), saved::Refusal>) -> String {
    let refusal = result.expect_err("the saved plan is refused");
    let help = miette::Diagnostic::help(&refusal)
        .map(|h| h.to_string())
        .unwrap_or_default();
    format!("{refusal}\nhelp: {help}")
}

#[test]
fn a_saved_plan_is_refused_when_accounts_changed_on_the_provider() {
    let (d, mut r) = sample();
    let promised = saved(&plan_of(&d, &r), &r);
    assert_eq!(promised.check(&saved(&plan_of(&d, &r), &r)), Ok(()));
    // Someone edits anowak's e-mail and creates jkowalski behind our back.
    let anowak = r.providers["thulium"]
        .iter_mut()
        .find(|x| x.key == "anowak")
        .unwrap();
    anowak.fields.insert("email", s("changed@example.com"));
    r.providers
        .get_mut("thulium")
        .unwrap()
        .push(record("jkowalski", "jkowalski", &[]));
    let text = refusal_text(promised.check(&saved(&plan_of(&d, &r), &r)));
    assert!(
        text.contains(
            "thulium/agent \"jkowalski\": created on the provider since the plan was made"
        ),
        "{text}"
    );
    assert!(
        text.contains("thulium/agent \"anowak\": changed on the provider since the plan was made (email: \"anna@example.com\" -> \"changed@example.com\")"),
        "{text}"
    );
    assert!(text.contains("accounts changed on the provider"), "{text}");
}

#[test]
fn an_altered_saved_plan_is_refused_and_named_as_altered() {
    let (d, r) = sample();
    let plan = plan_of(&d, &r);
    let now = saved(&plan, &r);

    // An edited value.
    let mut edited = now.clone();
    let field = edited.changes[0]
        .fields
        .iter_mut()
        .find(|f| !f.sensitive)
        .unwrap();
    field.after = Some(serde_json::json!("attacker@example.com"));
    let text = refusal_text(edited.check(&now));
    assert!(
        text.contains("saved \"attacker@example.com\", the file calls for \"jkowalski\""),
        "{text}"
    );
    assert!(text.contains("the plan file was altered"), "{text}");

    // An injected account, and a dropped one.
    let mut injected = now.clone();
    let mut extra = injected.changes[0].clone();
    extra.key = "intruder".into();
    injected.changes.push(extra);
    let text = refusal_text(injected.check(&now));
    assert!(
        text.contains("\"intruder\": the saved plan would"),
        "{text}"
    );
    assert!(text.contains("nothing is needed"), "{text}");
    let mut twice = now.clone();
    twice.changes.push(twice.changes[0].clone());
    let text = refusal_text(twice.check(&now));
    assert!(text.contains("lists an account more than once"), "{text}");
    let mut dropped = now.clone();
    let gone = dropped.changes.remove(0);
    let text = refusal_text(dropped.check(&now));
    assert!(
        text.contains(&format!("\"{}\": needs to be", gone.key)),
        "{text}"
    );
}

#[test]
fn saved_plan_round_trips_and_holds_no_secret_reference_or_setting() {
    let (d, r) = sample();
    let plan = plan_of(&d, &r);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let promised = saved(&plan, &r);
    promised.write(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for absent in ["PASSWORD_ENV", "\"env\"", "http", "auth"] {
        assert!(!text.contains(absent), "{absent} in {text}");
    }
    let back = saved::SavedPlan::read(&path).unwrap();
    assert_eq!(back, promised);
    std::fs::write(&path, "{\"kind\": \"something-else\"}").unwrap();
    assert!(matches!(
        saved::SavedPlan::read(&path),
        Err(saved::SavedPlanError::Format { .. })
    ));
    // A member this version does not know (say, a URL to send credentials to) is refused.
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["url"] = serde_json::json!("http://attacker.example");
    std::fs::write(&path, value.to_string()).unwrap();
    assert!(matches!(
        saved::SavedPlan::read(&path),
        Err(saved::SavedPlanError::Format { .. })
    ));
    value["format_version"] = serde_json::json!(1);
    std::fs::write(&path, value.to_string()).unwrap();
    assert!(matches!(
        saved::SavedPlan::read(&path),
        Err(saved::SavedPlanError::Version { found: 1, .. })
    ));
}

// ---- fields a vendor does not return (absent, as opposed to null) ----

fn dnl_world(records: Vec<RemoteRecord>, fields: &[(&'static str, Value)]) -> (Desired, Remote) {
    let d = desired(
        vec![provider("dnl", &dnl::SCHEMA, UnlistedPolicy::Ignore)],
        vec![entry("dnl", &dnl::SCHEMA, fields, &["password"])],
    );
    let mut remote = Remote::default();
    remote.providers.insert("dnl".into(), records);
    (d, remote)
}

#[test]
fn a_field_the_read_does_not_carry_is_set_on_create_only_for_that_account() {
    let (d, r) = dnl_world(
        vec![record(
            "7",
            "dnhai",
            &[("name", s("dnhai")), ("fullname", s("Do Hai"))],
        )],
        &[("name", s("dnhai")), ("first_name", s("Do"))],
    );
    let plan = plan_of(&d, &r);
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("first_name (1 account)")
                && w.contains("set on create only; the vendor does not return it")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_null_the_read_carries_is_compared() {
    let (d, r) = dnl_world(
        vec![record(
            "7",
            "dnhai",
            &[("name", s("dnhai")), ("first_name", Value::Null)],
        )],
        &[("name", s("dnhai")), ("first_name", s("Do"))],
    );
    let plan = plan_of(&d, &r);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].fields[0].name, "first_name");
    assert!(plan
        .warnings
        .iter()
        .all(|w| !w.contains("does not return it")));
}

#[test]
fn an_expected_field_absent_from_every_record_is_warned_once_and_marked_on_create() {
    let records = (1..=3)
        .map(|i| {
            record(
                &i.to_string(),
                &format!("u{i}"),
                &[("name", s(&format!("u{i}"))), ("active", Value::Bool(true))],
            )
        })
        .collect();
    let (d, r) = dnl_world(
        records,
        &[("name", s("newbie")), ("role_id", Value::Int(2))],
    );
    let plan = plan_of(&d, &r);
    let about_role: Vec<&String> = plan
        .warnings
        .iter()
        .filter(|w| w.contains("role_id"))
        .collect();
    assert_eq!(about_role.len(), 1, "{:?}", plan.warnings);
    assert!(
        about_role[0].contains("on any of its 3 accounts")
            && about_role[0].contains("although headcount expects"),
        "{about_role:?}"
    );
    // first_name may be absent by the driver's table: not part of that warning.
    assert!(!about_role[0].contains("first_name"), "{about_role:?}");
    let create = &plan.changes[0];
    assert_eq!(create.action(), Action::Create);
    let role = create.fields.iter().find(|f| f.name == "role_id").unwrap();
    assert!(role.create_only, "{create:?}");
}

/// One listed account per vendor, each held inactive by its vendor (CCP
/// reads `user_enabled` as a string).
fn suspended_world(active_in_file: Option<bool>) -> (Desired, Remote) {
    let with = |mut fields: Vec<(&'static str, Value)>, name: &'static str| {
        if let Some(a) = active_in_file {
            fields.push((name, Value::Bool(a)));
        }
        fields
    };
    let d = desired(
        vec![
            provider("thulium", &thulium::SCHEMA, UnlistedPolicy::Report),
            provider("ccp", &ccp::SCHEMA, UnlistedPolicy::Report),
            provider("dnl", &dnl::SCHEMA, UnlistedPolicy::Report),
        ],
        vec![
            entry(
                "thulium",
                &thulium::SCHEMA,
                &with(vec![("login", s("jk")), ("name", s("Jan"))], "active"),
                &[],
            ),
            entry(
                "ccp",
                &ccp::SCHEMA,
                &with(vec![("username", s("Sale03"))], "is_active"),
                &["password"],
            ),
            entry(
                "dnl",
                &dnl::SCHEMA,
                &with(vec![("name", s("dnhai"))], "active"),
                &[],
            ),
        ],
    );
    let mut remote = Remote::default();
    remote.providers.insert(
        "thulium".into(),
        vec![record(
            "1",
            "jk",
            &[
                ("login", s("jk")),
                ("name", s("Jan")),
                ("active", Value::Bool(false)),
            ],
        )],
    );
    remote.providers.insert(
        "ccp".into(),
        vec![record(
            "u-1",
            "Sale03",
            &[("username", s("Sale03")), ("is_active", s("false"))],
        )],
    );
    remote.providers.insert(
        "dnl".into(),
        vec![record(
            "7",
            "dnhai",
            &[("name", s("dnhai")), ("active", Value::Bool(false))],
        )],
    );
    (d, remote)
}

#[test]
fn an_account_wanted_inactive_that_the_vendor_does_not_list_is_not_created() {
    // A vendor may leave suspended accounts out of its list: creating one
    // would duplicate it (or be refused), and an absent account is as
    // inactive as the file asks.
    let (d, _) = suspended_world(Some(false));
    let plan = plan_of(&d, &Remote::default());
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
}

#[test]
fn a_listed_account_suspended_on_the_vendor_is_reactivated_on_every_vendor() {
    let (d, r) = suspended_world(None);
    let plan = plan_of(&d, &r);
    assert_eq!(plan.changes.len(), 3, "{:?}", plan.changes);
    for change in &plan.changes {
        assert_eq!(change.action(), Action::Update, "{change:?}");
        let active = change
            .fields
            .iter()
            .find(|f| !f.sent_only && !f.sensitive)
            .unwrap();
        assert!(active.name == "active" || active.name == "is_active");
        assert_eq!(active.after, Some(Value::Bool(true)), "{change:?}");
        assert_eq!(active.note.as_deref(), Some(diff::LISTED_MEANS_ACTIVE));
    }
    // CCP's edit carries the password, as every CCP edit does.
    let ccp = plan.changes.iter().find(|c| c.provider == "ccp").unwrap();
    assert!(ccp.secrets.contains_key("password"), "{ccp:?}");
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    let text = render::text::render(&plan, false);
    assert!(
        text.contains("~ active = false -> true  # listed in the file, so wanted active"),
        "{text}"
    );
}

#[test]
fn active_false_in_the_file_keeps_a_suspended_account_suspended() {
    let (d, r) = suspended_world(Some(false));
    let plan = plan_of(&d, &r);
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert_eq!(plan.unchanged, 3);
}

/// The plan at one instant differs by the file's `timezone:`: 23:30 UTC on
/// 6 December is already the 7th (the start) in Warsaw, still the 6th in
/// Los Angeles; across Warsaw's DST change the day begins an hour earlier.
#[test]
fn a_start_is_due_when_the_day_begins_in_the_files_zone() {
    use crate::calendar::{day_at, zone};
    let mut joiner = entry(
        "thulium",
        &thulium::SCHEMA,
        &[
            ("login", s("newbie")),
            ("name", s("New")),
            ("surname", s("Joiner")),
            ("number", s("5700")),
        ],
        &["password"],
    );
    let d_for = |start: &str, tz: &str, e: &mut Entry| {
        e.start = Some(start.parse().unwrap());
        let mut d = desired(
            vec![provider(
                "thulium",
                &thulium::SCHEMA,
                UnlistedPolicy::Report,
            )],
            vec![e.clone()],
        );
        d.timezone = zone(tz).unwrap();
        d
    };
    let mut r = Remote::default();
    r.providers.insert("thulium".into(), Vec::new());
    let creates_at = |d: &Desired, instant: &str| {
        let at = day_at(instant.parse().unwrap(), &d.timezone.tz);
        let options = PlanOptions {
            at: Some(at),
            ..PlanOptions::default()
        };
        let plan = compute(d, &r, &options);
        plan.changes
            .iter()
            .filter(|c| c.action() == Action::Create)
            .map(|c| c.reason.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let warsaw = d_for("2026-12-07", "Europe/Warsaw", &mut joiner);
    let la = d_for("2026-12-07", "America/Los_Angeles", &mut joiner);
    assert_eq!(
        creates_at(&warsaw, "2026-12-06T23:30:00Z"),
        ["starts 2026-12-07"]
    );
    assert!(creates_at(&la, "2026-12-06T23:30:00Z").is_empty());
    assert_eq!(
        creates_at(&la, "2026-12-07T08:00:00Z"),
        ["starts 2026-12-07"]
    );
    // Summer time from 29 March 2026: the 30th begins at 22:00 UTC on the 29th.
    let spring = d_for("2026-03-30", "Europe/Warsaw", &mut joiner);
    assert!(creates_at(&spring, "2026-03-29T21:59:59Z").is_empty());
    assert_eq!(
        creates_at(&spring, "2026-03-29T22:00:00Z"),
        ["starts 2026-03-30"]
    );
}
