//! Fuzz target of the file loader: any bytes, as one file, must give a
//! `Desired` or a diagnostic, never a panic, in bounded time and memory.
//! Run: `cargo fuzz run load` (see docs/reliability.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(error) = headcount::desired::load_bytes("fuzz.yaml", data) {
        // Rendering the diagnostic is part of what a user gets: it must not panic either.
        let _ = headcount::commands::render_report(&error, false, 100);
    }
});
