//! headcount: Terraform-style reconciliation of contact-center agents and users.
//!
//! The data flow (see docs/architecture.md): [`desired`] loads and validates the file,
//! [`drivers`] read the providers, [`plan`] computes the changes, [`apply`]
//! executes them. [`sandbox`] simulates the vendors' APIs on loopback.

pub mod apply;
pub mod calendar;
pub mod cli;
pub mod commands;
pub mod desired;
pub mod drivers;
pub mod import;
pub mod interrupt;
pub mod journal;
pub mod lock;
pub mod model;
pub mod output;
pub mod plan;
pub mod progress;
pub mod refresh;
pub mod sandbox;
pub mod upcoming;
pub mod words;
pub mod workflow;
