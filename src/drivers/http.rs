//! Shared HTTP client for drivers (filled in by the drivers work).
