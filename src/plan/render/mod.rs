//! Renderers of a plan: text for terminals, JSON for machines, Markdown for
//! pull-request comments. Rendering never decides anything.

pub mod drift;
pub mod json;
pub mod markdown;
pub mod text;
