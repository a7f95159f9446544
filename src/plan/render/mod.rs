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
