//! `skycorridor view`: a scenario (or benchmark traffic) in the desktop window.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use skycorridor::scenario::Override;

/// Options of `skycorridor view`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Scenario file [default: scenarios/gba_default.ron].
    pub file: Option<PathBuf>,
    /// Override fields as in `run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,
    /// Seed of the demand sampler.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Start at this simulated time, seconds (simulated headless first).
    #[arg(long, value_name = "S")]
    pub at: Option<f64>,
    /// Save one frame to this PNG and exit (with --at: the scenario at that time).
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
    /// Window width, pixels.
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    /// Window height, pixels.
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    /// Draw this many frames as fast as possible, print frame times and exit.
    #[arg(long)]
    pub frames: Option<u32>,
    /// Instead of a scenario, show this many drones of the benchmark grid.
    #[arg(long, value_name = "N")]
    pub bench_drones: Option<usize>,
    /// Start paused (Space resumes).
    #[arg(long)]
    pub paused: bool,
    /// Replay a run recorded with `run --record` (its output folder): a timeline with a
    /// scrubber and the alerts in force, and the alerts panel. With --at, start there.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["file", "set", "seed", "bench_drones"])]
    pub replay: Option<PathBuf>,
    /// With --replay: jump to this alert (its index in alerts.csv, from 0) as the window
    /// opens: the timeline, the camera, the selection and the panel's cause.
    #[arg(long, value_name = "N", requires = "replay")]
    pub alert: Option<usize>,
}

/// Opens the window.
#[cfg(feature = "viewer")]
pub fn main(a: ViewArgs) -> Result<()> {
    use std::path::Path;

    use skycorridor::monitor::replay::{Recording, Replay};
    use skycorridor::viewer::replay::ReplayView;

    if let Some(at) = a.at {
        anyhow::ensure!(
            at.is_finite() && at >= 0.0,
            "--at must be a time in seconds >= 0, got {at}"
        );
    }
    let mut set = super::with_override(a.set, "seed", a.seed.map(|s| s.to_string()));
    let mut file = a.file.unwrap_or_else(super::default_scenario);
    let mut replay = None;
    // Tuning plans again from the scenario, whole: the simulation keeps it without its
    // explicit flights (they are its planned flights).
    let (mut sim, path, scenario) = match (&a.replay, a.bench_drones) {
        (Some(dir), _) => {
            let rec = Recording::read(dir)?;
            let scenario = rec.scenario()?;
            let r = Replay::of_recording(&rec, dir, skycorridor::monitor::Thresholds::default())?;
            let sim = r.at(a.at.unwrap_or(0.0));
            file = rec.scenario_file.clone();
            set = rec
                .overrides
                .iter()
                .map(|o| o.parse())
                .collect::<Result<_, _>>()
                .map_err(anyhow::Error::msg)?;
            if let Some(n) = a.alert {
                anyhow::ensure!(
                    n < r.alerts.len(),
                    "--alert {n}: the run has {} alerts (0 to {})",
                    r.alerts.len(),
                    r.alerts.len().saturating_sub(1)
                );
            }
            let mut view = ReplayView::new(r);
            view.jump_to = a.alert;
            replay = Some(view);
            (sim, Some(file.clone()), scenario)
        }
        (None, Some(n)) => (
            skycorridor::bench::airborne(n, 3600.0),
            None,
            skycorridor::bench::grid_scenario(n, 3600.0),
        ),
        (None, None) => {
            let (scenario, text) = skycorridor::load_scenario(&file, &set)?;
            let sim = skycorridor::prepare(scenario.clone(), &file, Some(&text))?;
            (sim, Some(file.clone()), scenario)
        }
    };
    let source = skycorridor::app::tuning::ScenarioSource::new(path, set.clone(), scenario);
    if let (Some(at), None) = (a.at, &replay) {
        while sim.time_s() < at - 1e-9 && !sim.finished() {
            sim.step();
        }
    }
    let assets = if Path::new("assets").is_dir() {
        PathBuf::from("assets")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
    };
    if let Some(dir) = a
        .screenshot
        .as_deref()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        super::create_dir(dir)?;
    }
    skycorridor::viewer::run_with(
        sim,
        source,
        skycorridor::viewer::ViewerOptions {
            assets,
            size: [a.width, a.height],
            screenshot: a.screenshot,
            frames: a.frames,
            paused: a.paused || replay.is_some(),
        },
        replay,
    );
    Ok(())
}

/// Without the window compiled in, says so.
#[cfg(not(feature = "viewer"))]
pub fn main(_: ViewArgs) -> Result<()> {
    anyhow::bail!("this skycorridor was built without the window (cargo feature `viewer`)")
}
