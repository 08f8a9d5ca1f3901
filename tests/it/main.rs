//! Integration tests through the public API and the command line. One binary, so the
//! crate (and Bevy) is linked once.

mod app;
mod arbitrary;
mod bounded;
mod cli;
mod comms;
mod determinism;
mod flights;
mod forensics;
mod fuzz;
mod golden;
mod head_on;
mod interop;
mod keeping;
mod monitor;
mod mvp;
mod regional;
mod separation_oracle;
mod sound;
mod strategic;
mod streaming;
mod sweep;
mod tactical;
mod terminal;
mod tuning;
mod uncertainty;
mod validation;
#[cfg(feature = "viewer")]
mod viewer;
#[cfg(feature = "viewer")]
mod window;

use std::path::{Path, PathBuf};

use skycorridor::sim::Simulation;

/// Path of a file under `tests/scenarios/`.
pub fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

/// Text of a file under `tests/scenarios/`.
pub fn scenario_text(name: &str) -> String {
    std::fs::read_to_string(scenario_path(name)).expect("test scenario exists")
}

/// Parses and prepares scenario text as if read from `name`.
/// The default scenario loaded with tactical resolution `method` (`None`, `Mvp`, ...),
/// not yet run.
pub fn default_with_tactical(method: &str) -> skycorridor::sim::Simulation {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let set = vec![skycorridor::scenario::Override {
        path: "deconfliction.tactical".into(),
        value: method.into(),
    }];
    skycorridor::load(&file, &set).unwrap()
}

pub fn prepare_text(
    text: &str,
    name: &str,
) -> Result<Simulation, skycorridor::scenario::ScenarioError> {
    let path = Path::new(name);
    let s = skycorridor::scenario::parse_str(text, path)?;
    skycorridor::prepare(s, path, Some(text))
}

/// `head_on.ron` with `from` replaced by `to` (exactly once), prepared.
pub fn head_on_with(
    from: &str,
    to: &str,
) -> Result<Simulation, skycorridor::scenario::ScenarioError> {
    let text = scenario_text("head_on.ron");
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur once in head_on.ron"
    );
    prepare_text(&text.replace(from, to), "head_on.ron")
}

/// Asserts that a finished command succeeded, showing what it printed on stderr if not.
#[track_caller]
pub fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether a command is on the PATH.
pub fn have_tool(name: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether a test that needs `tool` can run: true if it is installed; otherwise the test
/// is skipped with a message, except in CI (`CI` set), where it must run and fails.
pub fn require_tool(tool: &str, test: &str) -> bool {
    if have_tool(tool) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run {test}: {tool} is missing (see .ci/run)"
    );
    eprintln!("SKIPPED {test}: no {tool} on this machine");
    false
}

/// Asserts that every planned flight is counted under exactly one outcome.
#[track_caller]
pub fn assert_every_flight_accounted(r: &skycorridor::metrics::Report) {
    let f = &r.flights;
    assert_eq!(
        f.planned,
        f.completed
            + f.airborne_at_end
            + f.waiting_for_pad_at_end
            + f.not_yet_due
            + f.battery_depleted
            + f.cancelled
            + f.diverted,
        "{f:?}"
    );
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Asserts `a` is within `tol` of `b`.
#[track_caller]
pub fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} is not within {tol} of {b}");
}
