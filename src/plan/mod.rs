//! The diff engine and the Plan type.
