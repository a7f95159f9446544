//! Renderers of a plan: text for terminals, JSON for machines, Markdown for
//! pull-request comments. Rendering never decides anything.

pub mod drift;
pub mod json;
pub mod markdown;
pub mod text;

/// The heading of a person's group of accounts (`person "jk" (Jan
/// Kowalski)`), or of the accounts of no person.
pub fn group_title(person: Option<(&str, &str)>) -> String {
    match person {
        Some((id, name)) if name != id => format!("person \"{id}\" ({name})"),
        Some((id, _)) => format!("person \"{id}\""),
        None => "accounts of no person".to_string(),
    }
}

/// What the plan's people lose on some vendor ("ccp: CCP has no field for
/// surname"), each note once with how many people with changes it concerns:
/// said once per plan, not under every person.
pub fn not_sent(plan: &super::Plan, groups: &[super::Group<'_>]) -> Vec<(String, usize)> {
    let mut notes: indexmap::IndexMap<&str, usize> = indexmap::IndexMap::new();
    for (person, _) in groups {
        let Some((id, _)) = person else { continue };
        for note in plan.not_carried.get(*id).into_iter().flatten() {
            *notes.entry(note.as_str()).or_default() += 1;
        }
    }
    notes
        .into_iter()
        .map(|(note, people)| (note.to_string(), people))
        .collect()
}

/// "ccp: CCP has no field for surname (3 people)".
pub fn not_sent_line(note: &str, people: usize) -> String {
    let who = if people == 1 { "person" } else { "people" };
    format!("{note} ({people} {who})")
}
