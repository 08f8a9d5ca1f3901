//! Any bytes through the scenario loader, validation, planning, a minute of simulation and
//! the report (the harness is `skycorridor::fuzz::scenario_bytes`, shared with the seeded
//! mutation test that CI runs).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    skycorridor::fuzz::scenario_bytes(data);
});
