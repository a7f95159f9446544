//! The executor: runs a plan's changes through the drivers.
