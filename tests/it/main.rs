//! The integration tests: one binary, a module per subject, sharing one
//! sandbox harness (`common`).

mod calendar;
mod ci_examples;
mod common;
mod drivers;
mod http;
mod lifecycle;
mod listing;
mod people;
mod reliability;
mod sandbox;
mod secret_files;
mod ux;
mod validate;
mod vendor_fidelity;
mod workflow;
