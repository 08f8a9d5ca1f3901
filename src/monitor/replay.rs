//! Replay of a finished run, seekable to any step.
//!
//! The simulation is deterministic (same scenario, overrides and seed give the same bytes,
//! whatever the thread count), so a recording is the run's input, the scenario text as
//! read and the `--set` overrides, plus a fingerprint of the drones in the air every
//! keyframe interval, taken by the run itself. Opening a recording re-runs it once with a
//! [`Monitor`] beside it, keeps a [`Simulation::snapshot`] every keyframe interval and
//! checks each fingerprint (a recording made by another version of the model is refused
//! at the first keyframe that differs); seeking copies the snapshot at or before the time
//! and steps from there. What a replay shows at time T is what a live run shows at T.
//!
//! Owns: the recording file format (`recording.json`) and the keyframes.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Alert, Monitor, Thresholds};
use crate::scenario::{Override, ScenarioError};
use crate::sim::Simulation;
use crate::sim::events::{Event, EventKind, PairHasher};

/// The recording's file name in a run's output folder.
pub const RECORDING_FILE: &str = "recording.json";

/// Simulated seconds between keyframes by default.
pub const DEFAULT_KEYFRAME_S: f64 = 60.0;

/// Format version written; a reader refuses others.
const FORMAT: u32 = 1;

/// What went wrong opening a recording.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file could not be read.
    #[error("{path}: cannot read the recording: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a recording this version reads.
    #[error("{path}: not a recording ({message})")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The recorded scenario no longer loads.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Re-running the recorded scenario gives other traffic: the model changed since.
    #[error(
        "{path}: the replay differs from the recorded run at {t_s} s (recorded by another version of skycorridor?); run the scenario again with --record"
    )]
    Diverged {
        /// The file.
        path: PathBuf,
        /// Time of the first keyframe that differs, seconds.
        t_s: f64,
    },
}

/// A run's recording: its input and a fingerprint per keyframe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// Format version.
    pub format: u32,
    /// The scenario file `run` read (absolute: paths in it are relative to it).
    pub scenario_file: PathBuf,
    /// Its text as read.
    pub scenario_text: String,
    /// The `--set` overrides, in order, as `path=value`.
    pub overrides: Vec<String>,
    /// Steps between keyframes.
    pub keyframe_steps: u64,
    /// Fingerprint of the drones in the air after steps 0, `keyframe_steps`, ...
    pub fingerprints: Vec<u64>,
}

/// A fingerprint of the state: the step, and every drone in the air (flight, position
/// and energy to the bit), in the order they are stepped.
pub fn fingerprint(sim: &Simulation) -> u64 {
    let mut h = PairHasher::default();
    h.write_u64(sim.steps());
    for (f, d) in sim.airborne() {
        h.write_u64(f.index() as u64);
        for x in d.pos.to_array() {
            h.write_u64(x.to_bits());
        }
        h.write_u64(d.energy_wh.to_bits());
    }
    h.finish()
}

impl Recording {
    /// A recording of the run of `file` (read as `text`) with `overrides`, keyframes
    /// every `keyframe_steps` steps (at least 1); fingerprints follow with
    /// [`Recording::observe`].
    pub fn new(file: &Path, text: String, overrides: &[Override], keyframe_steps: u64) -> Self {
        Recording {
            format: FORMAT,
            // Absolute, so the replay finds what the scenario names relative to it
            // (land polygons, places) from any working directory.
            scenario_file: std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf()),
            scenario_text: text,
            overrides: overrides
                .iter()
                .map(|o| format!("{}={}", o.path, o.value))
                .collect(),
            keyframe_steps: keyframe_steps.max(1),
            fingerprints: Vec::new(),
        }
    }

    /// Takes the fingerprint when `sim` is at the next keyframe (call it before the
    /// first step and after every step; a repeated call at one step is ignored).
    pub fn observe(&mut self, sim: &Simulation) {
        let next = self.fingerprints.len() as u64 * self.keyframe_steps;
        if sim.steps() == next {
            self.fingerprints.push(fingerprint(sim));
        }
    }

    /// Writes it to `dir/recording.json` (through a temporary file).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec(self).expect("a recording serialises");
        crate::metrics::write_atomic(&dir.join(RECORDING_FILE), &json)
    }

    /// Reads `dir/recording.json` (or the file itself when `dir` is one).
    pub fn read(dir: &Path) -> Result<Recording, ReplayError> {
        let path = if dir.is_dir() {
            dir.join(RECORDING_FILE)
        } else {
            dir.to_path_buf()
        };
        let bytes = std::fs::read(&path).map_err(|source| ReplayError::Io {
            path: path.clone(),
            source,
        })?;
        let format = |message: String| ReplayError::Format {
            path: path.clone(),
            message,
        };
        let r: Recording = serde_json::from_slice(&bytes).map_err(|e| format(e.to_string()))?;
        if r.format != FORMAT {
            return Err(format(format!(
                "format {}, this version reads {FORMAT}",
                r.format
            )));
        }
        if r.keyframe_steps == 0 {
            return Err(format("keyframe_steps: expected at least 1".into()));
        }
        Ok(r)
    }

    /// The recorded run at time 0, as `run` prepared it.
    pub fn simulation(&self) -> Result<Simulation, ReplayError> {
        let s = self.scenario()?;
        Ok(crate::prepare(
            s,
            &self.scenario_file,
            Some(&self.scenario_text),
        )?)
    }

    /// The scenario `run` read, with its overrides.
    pub fn scenario(&self) -> Result<crate::scenario::Scenario, ReplayError> {
        let path = &self.scenario_file;
        let overrides = self
            .overrides
            .iter()
            .map(|o| o.parse::<Override>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| ReplayError::Format {
                path: path.clone(),
                message,
            })?;
        let s = crate::scenario::load_str(&self.scenario_text, path)?;
        Ok(crate::scenario::apply_overrides(&s, &overrides)?)
    }
}

/// A finished run, seekable: keyframes and every alert.
pub struct Replay {
    /// Snapshot at steps 0, `every`, `2 every`, ... up to the end.
    keyframes: Vec<Simulation>,
    every: u64,
    /// Steps of the whole run.
    steps: u64,
    /// Every alert of the run.
    pub alerts: Vec<Alert>,
    /// The run's losses of separation (those `events.csv` lists), each with its cause.
    pub losses: Vec<Event>,
}

impl Replay {
    /// Runs `sim` (at time 0) to its end, keeping a keyframe every `every` steps and the
    /// alerts raised with `thresholds`. With `check`, each keyframe's fingerprint must be
    /// the recorded one (`(path, fingerprints)` for the message).
    fn build(
        mut sim: Simulation,
        every: u64,
        thresholds: Thresholds,
        check: Option<(&Path, &[u64])>,
    ) -> Result<Replay, ReplayError> {
        let every = every.max(1);
        let mut monitor = Monitor::new(thresholds);
        let mut keyframes = Vec::new();
        loop {
            if sim.steps().is_multiple_of(every) {
                if let Some((path, prints)) = check {
                    let k = keyframes.len();
                    if prints.get(k).is_some_and(|&p| p != fingerprint(&sim)) {
                        return Err(ReplayError::Diverged {
                            path: path.to_path_buf(),
                            t_s: sim.time_s(),
                        });
                    }
                }
                keyframes.push(sim.snapshot());
            }
            if sim.finished() {
                break;
            }
            sim.step();
            monitor.observe(&sim);
        }
        monitor.finish(sim.time_s());
        let losses = sim
            .events()
            .sorted()
            .into_iter()
            .filter(|e| e.kind == EventKind::Los)
            .cloned()
            .collect();
        Ok(Replay {
            losses,
            steps: sim.steps(),
            keyframes,
            every,
            alerts: monitor.alerts(),
        })
    }

    /// The run of `sim` (at time 0), keyframes every `keyframe_s` simulated seconds.
    pub fn of(sim: Simulation, keyframe_s: f64, thresholds: Thresholds) -> Replay {
        let every = (keyframe_s / sim.scenario().dt_s).round().max(1.0) as u64;
        Self::build(sim, every, thresholds, None).expect("nothing to check")
    }

    /// The run recorded in `dir` ([`Recording::read`]), checked against its
    /// fingerprints.
    pub fn open(dir: &Path, thresholds: Thresholds) -> Result<Replay, ReplayError> {
        Self::of_recording(&Recording::read(dir)?, dir, thresholds)
    }

    /// The run of `rec` (read from `dir`, for messages), checked against its
    /// fingerprints.
    pub fn of_recording(
        rec: &Recording,
        dir: &Path,
        thresholds: Thresholds,
    ) -> Result<Replay, ReplayError> {
        let sim = rec.simulation()?;
        Self::build(
            sim,
            rec.keyframe_steps,
            thresholds,
            Some((dir, &rec.fingerprints)),
        )
    }

    /// The run as it stood at time `t_s` (rounded to a step, within the run).
    pub fn at(&self, t_s: f64) -> Simulation {
        let dt = self.keyframes[0].scenario().dt_s;
        let n = ((t_s / dt).round().max(0.0) as u64).min(self.steps);
        let k = ((n / self.every) as usize).min(self.keyframes.len() - 1);
        let mut sim = self.keyframes[k].snapshot();
        while sim.steps() < n {
            sim.step();
        }
        sim
    }

    /// Simulated seconds the run lasts.
    pub fn end_s(&self) -> f64 {
        self.steps as f64 * self.keyframes[0].scenario().dt_s
    }

    /// Keyframes kept.
    pub fn keyframes(&self) -> usize {
        self.keyframes.len()
    }
}
