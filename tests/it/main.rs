//! The integration tests: one binary, a module per subject, sharing one
//! sandbox harness (`common`).

mod behaviours;
mod calendar;
mod ci_drift_issue;
mod ci_examples;
mod ci_install;
mod ci_schemas;
mod common;
mod doctor;
mod drivers;
mod edits;
mod http;
mod journal;
mod lifecycle;
mod listing;
mod people;
mod rate_limit;
mod reliability;
mod sandbox;
mod secret_files;
mod ux;
mod validate;
mod vendor_fidelity;
mod workflow;
