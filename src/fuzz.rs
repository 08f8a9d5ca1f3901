//! The fuzz harness: any bytes through the scenario loader, validation, network build,
//! planning, a minute of simulation and the report, asserting nothing but that none of it
//! panics, hangs or runs away with memory. Shared by the libFuzzer target in `fuzz/` and
//! the seeded mutation test that CI runs (`tests/it/fuzz.rs`).
//!
//! Inputs are read as if they were `scenarios/fuzz.ron`, so relative file names resolve
//! as the shipped scenarios' do; the land polygons are dropped (reading the 1:10m coast
//! at every execution would make fuzzing a thousand times slower, and its loader is plain
//! file reading) and the work limits are tightened to 2,000 flights and 2,000 steps so
//! that one execution stays in milliseconds.

use std::path::Path;

use crate::metrics::Report;
use crate::scenario::{Limits, Override};

/// Where fuzz inputs pretend to live (file names in them resolve from its folder).
pub const FUZZ_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/fuzz.ron");

/// Runs one input through the pipeline; returns how far it got (for corpus statistics):
/// 0 not UTF-8, 1 does not parse, 2 invalid, 3 ran.
pub fn scenario_bytes(data: &[u8]) -> u8 {
    match std::str::from_utf8(data) {
        Ok(text) => scenario_text(text, &[]),
        Err(_) => 0,
    }
}

/// Runs scenario text with `--set` overrides through the pipeline; returns how far it got:
/// 1 does not parse (or an override does not apply), 2 invalid, 3 ran.
pub fn scenario_text(text: &str, set: &[Override]) -> u8 {
    let path = Path::new(FUZZ_PATH);
    let loaded = crate::scenario::load_str(text, path)
        .and_then(|s| crate::scenario::apply_overrides(&s, set));
    let mut s = match loaded {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return 1;
        }
    };
    s.land_geojson = None;
    let tight = Limits {
        max_flights: 2000.0,
        max_steps: 2000.0,
    };
    s.limits.max_flights = s.limits.max_flights.min(tight.max_flights);
    s.limits.max_steps = s.limits.max_steps.min(tight.max_steps);
    let mut sim = match crate::prepare(s, path, Some(text)) {
        Ok(sim) => sim,
        Err(e) => {
            let _ = e.to_string();
            return 2;
        }
    };
    for _ in 0..60 {
        sim.step();
    }
    let report = Report::from_sim(&sim);
    let _ = report.summary();
    let _ = crate::metrics::markdown(&report);
    3
}
