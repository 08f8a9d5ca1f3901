//! Tuning a running scenario: restart with changed parameters, reload the scenario file
//! when it changes on disk, and save the tuned scenario. No rendering here: the window's
//! panel writes [`Retune`] requests, and so can tests.
//!
//! A change re-plans every flight and restarts the run from time zero (a corridor's band
//! or speed limit changes every plan that uses it, so "from now" is not well defined). The
//! KPIs of the run that was replaced are kept in [`TuningStatus::previous`] for comparison.
//! A scenario file with an error leaves the last good scenario running and says why in
//! [`TuningStatus::error`].

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bevy::app::{App, Plugin, Update};
use bevy::ecs::prelude::*;
use bevy::time::{Real, Time};

use super::SimState;
use crate::metrics::Report;
use crate::scenario::{Override, Scenario, apply_overrides, load_file};

/// Where the running scenario came from.
#[derive(Resource, Debug, Clone)]
pub struct ScenarioSource {
    /// The scenario file, if any (watched for changes).
    pub path: Option<PathBuf>,
    /// Command-line overrides, applied again on reload.
    pub overrides: Vec<Override>,
    /// The scenario as it runs now (after tuning).
    pub scenario: Scenario,
    /// Seconds between checks of the file's modification time.
    pub poll_s: f64,
    modified: Option<SystemTime>,
    last_poll_s: f64,
}

impl ScenarioSource {
    /// The source of a scenario loaded from `path` with `overrides`.
    pub fn new(path: Option<PathBuf>, overrides: Vec<Override>, scenario: Scenario) -> Self {
        let modified = path.as_deref().and_then(mtime);
        ScenarioSource {
            path,
            overrides,
            scenario,
            poll_s: 1.0,
            modified,
            last_poll_s: f64::NEG_INFINITY,
        }
    }
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// A request to restart with this scenario.
#[derive(Resource, Debug, Default)]
pub struct Retune {
    /// The scenario to run next.
    pub request: Option<Scenario>,
}

/// What tuning has done.
#[derive(Resource, Debug, Default)]
pub struct TuningStatus {
    /// KPIs of the run replaced by the last change, at the time it was replaced.
    pub previous: Option<Report>,
    /// Why the last change or reload was refused (the last good scenario keeps running).
    pub error: Option<String>,
    /// Restarts so far.
    pub restarts: u32,
}

/// Restarts on [`Retune`] requests and reloads the scenario file when it changes.
pub struct TuningPlugin;

impl Plugin for TuningPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Retune>();
        app.init_resource::<TuningStatus>();
        app.add_systems(Update, (watch_file, apply_retune).chain());
    }
}

fn watch_file(
    time: Res<Time<Real>>,
    mut source: ResMut<ScenarioSource>,
    mut retune: ResMut<Retune>,
    mut status: ResMut<TuningStatus>,
) {
    let now = time.elapsed_secs_f64();
    if now - source.last_poll_s < source.poll_s {
        return;
    }
    source.last_poll_s = now;
    let Some(path) = source.path.clone() else {
        return;
    };
    let m = mtime(&path);
    if m.is_none() || m == source.modified {
        return;
    }
    source.modified = m;
    match load_file(&path).and_then(|(s, _)| apply_overrides(&s, &source.overrides)) {
        Ok(s) => retune.request = Some(s),
        Err(e) => status.error = Some(e.to_string()),
    }
}

fn apply_retune(
    mut retune: ResMut<Retune>,
    mut sim: ResMut<SimState>,
    mut source: ResMut<ScenarioSource>,
    mut status: ResMut<TuningStatus>,
) {
    let Some(scenario) = retune.request.take() else {
        return;
    };
    let name = source
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from("<tuned scenario>"));
    match crate::prepare(scenario.clone(), &name, None) {
        Ok(next) => {
            status.previous = Some(Report::from_sim(&sim.0));
            sim.0 = next;
            source.scenario = scenario;
            status.error = None;
            status.restarts += 1;
        }
        Err(e) => status.error = Some(e.to_string()),
    }
}

/// Writes `scenario` as a RON file that `run` accepts unchanged (through a temporary file
/// and a rename).
pub fn save_scenario(scenario: &Scenario, path: &Path) -> Result<(), String> {
    let config = ron::ser::PrettyConfig::default()
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME)
        .struct_names(false);
    let body = ron::ser::to_string_pretty(scenario, config).map_err(|e| e.to_string())?;
    let text = format!(
        "// Saved from the skycorridor window (tuned from scenario {}).\n{body}\n",
        scenario.name
    );
    crate::metrics::write_atomic(path, text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}
