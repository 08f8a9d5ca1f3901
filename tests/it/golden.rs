//! The default scenario's report for its first 15 minutes, checked in. A change that
//! moves any KPI shows up here; when the change is intended, regenerate with
//! `SKYCORRIDOR_UPDATE_GOLDEN=1 cargo test golden` and review the diff.

use std::path::Path;

use skycorridor::metrics::Report;

#[test]
fn default_scenario_report_matches_the_golden_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden = root.join("tests/golden/gba_default_900s.report.json");
    let set = vec!["duration_s=900".parse().unwrap()];
    let mut sim = skycorridor::load(&root.join(skycorridor::DEFAULT_SCENARIO), &set).unwrap();
    sim.run_to_end();
    let got = serde_json::to_string_pretty(&Report::from_sim(&sim)).unwrap() + "\n";
    if std::env::var_os("SKYCORRIDOR_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden)
        .expect("golden file exists (SKYCORRIDOR_UPDATE_GOLDEN=1 makes it)");
    assert!(
        got == want,
        "report differs from {}; if intended, regenerate with SKYCORRIDOR_UPDATE_GOLDEN=1\n--- got ---\n{got}",
        golden.display()
    );
}
