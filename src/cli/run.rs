//! `skycorridor run`: a scenario headless, its reports written, and optionally the same
//! run without tactical resolution beside it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use skycorridor::app;
use skycorridor::metrics::{self, Comparison, ConflictPairs, Report};
use skycorridor::monitor::replay::Recording;
use skycorridor::monitor::{self, Monitor, Thresholds};
use skycorridor::planner::PlanKeeping;
use skycorridor::scenario::Override;
use skycorridor::sim::MAX_TRAJECTORY_POINTS;

/// Options of `skycorridor run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file [default: scenarios/gba_default.ron].
    pub file: Option<PathBuf>,
    /// Folder for the outputs (created if missing).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Seed of the demand sampler (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated seconds (overrides the scenario's `duration_s`).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Override any scenario field, e.g. `--set separation.horizontal_m=80` or
    /// `--set corridors.HK-SZ-1.speed_limit_mps=15`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,
    /// Worker threads for the parallel parts [default: all cores]. Results do not
    /// depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Also write trajectories.csv and trajectories.geojson (positions of every drone
    /// in the air, sampled every --trajectory-interval seconds, and where each flight
    /// ended).
    #[arg(long)]
    pub trajectories: bool,
    /// Trajectory sampling interval, seconds.
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    pub trajectory_interval: f64,
    /// Run the scenario a second time without tactical resolution and write
    /// comparison.json: the domino effect parameter (conflicts with resolution over
    /// conflicts without, minus 1), losses of separation, energy and delay of both.
    #[arg(long)]
    pub compare_resolution: bool,
    /// List at most this many conflict and loss-of-separation events in events.csv, the
    /// earliest to start (the report counts every one; an overloaded stress scenario
    /// has millions).
    #[arg(long, default_value_t = skycorridor::sim::events::DEFAULT_MAX_KEPT, value_name = "N")]
    pub max_events: usize,
    /// Monte Carlo: run N seeds (the scenario's seed, or --seed, and the N-1 after it) in
    /// parallel, each seed's outputs in seed_S/, and write montecarlo.json and
    /// montecarlo.csv: every KPI as its mean with a 95 % confidence interval.
    #[arg(long, value_name = "N")]
    pub seeds: Option<usize>,
    /// Also write recording.json (the run's input and a fingerprint every
    /// --keyframe-interval seconds: `view --replay` re-runs it, seekable) and alerts.csv
    /// (what the monitoring view raises: conflicts, losses, low battery, holding stacks,
    /// gate queues, drones off their 4D plan, geofence approaches).
    #[arg(long)]
    pub record: bool,
    /// Seconds between the recording's keyframes.
    #[arg(long, default_value_t = skycorridor::monitor::replay::DEFAULT_KEYFRAME_S, value_name = "S")]
    pub keyframe_interval: f64,
}

/// Most seeds one `run --seeds` may ask for.
pub const MAX_SEEDS: usize = 10_000;

/// Runs the scenario and writes its outputs.
pub fn main(a: RunArgs) -> Result<()> {
    super::set_threads(a.threads)?;
    let set = super::with_override(a.set, "seed", a.seed.map(|s| s.to_string()));
    let set = super::with_override(set, "duration_s", a.duration.map(|d| d.to_string()));
    let file = a.file.unwrap_or_else(super::default_scenario);
    let trajectories = a.trajectories.then_some(a.trajectory_interval);
    if let Some(n) = a.seeds {
        anyhow::ensure!(
            !a.trajectories && !a.compare_resolution && !a.record,
            "--seeds runs each seed's reports only: leave out --trajectories, --compare-resolution and --record"
        );
        anyhow::ensure!(
            (1..=MAX_SEEDS).contains(&n),
            "--seeds {n}: expected 1 to {MAX_SEEDS} seeds"
        );
        return monte_carlo(&file, &a.out, &set, n, a.max_events);
    }
    let record = a.record.then_some(a.keyframe_interval);
    run(&file, &a.out, &set, (trajectories, record), a.max_events)?;
    if a.compare_resolution {
        compare(&file, &a.out, &set)?;
    }
    Ok(())
}

/// `n` seeds from the scenario's (after the overrides) in parallel: each one's outputs in
/// `seed_S/`, then every KPI's mean and 95 % confidence interval.
fn monte_carlo(
    file: &Path,
    out: &Path,
    set: &[Override],
    n: usize,
    max_events: usize,
) -> Result<()> {
    use rayon::prelude::*;
    let started = Instant::now();
    // Loaded once to check it and read its seed; each seed is loaded again below.
    let first = skycorridor::load(file, set)?.scenario().seed;
    let seeds: Vec<u64> = (0..n as u64)
        .map(|k| first.checked_add(k))
        .collect::<Option<_>>()
        .with_context(|| format!("seed {first} + {n} seeds overflows"))?;
    eprintln!("{}: {n} seeds from {first}, in parallel", file.display());
    let bar = ProgressBar::new(n as u64);
    let reports: Vec<Report> = seeds
        .par_iter()
        .map(|&seed| -> Result<Report> {
            let set = super::with_override(set.to_vec(), "seed", Some(seed.to_string()));
            let (mut sim, _) = skycorridor::load_keeping(file, &set, PlanKeeping::InUse)?;
            sim.events_mut().max_kept = max_events;
            let dir = out.join(format!("seed_{seed}"));
            let events = metrics::EventsFile::create(&dir)
                .with_context(|| format!("starting events.csv in {}", dir.display()))?;
            sim.stream_events(Box::new(events));
            sim.run_to_end();
            sim.release_reservations();
            let report = Report::from_sim(&sim);
            sim.finish_events()
                .with_context(|| format!("writing events.csv in {}", dir.display()))?;
            metrics::write_outputs(&sim, &report, &dir)
                .with_context(|| format!("writing outputs to {}", dir.display()))?;
            bar.inc(1);
            Ok(report)
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let mc = metrics::MonteCarlo::of(&seeds, &reports);
    for (name, bytes) in [
        ("montecarlo.json", mc.to_json().into_bytes()),
        ("montecarlo.csv", mc.to_csv()),
    ] {
        let path = out.join(name);
        metrics::write_atomic(&path, &bytes)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{}", mc.summary());
    println!(
        "wrote         {}/montecarlo.json, montecarlo.csv, seed_{first}/ .. seed_{}/ ({:.1} s wall)",
        out.display(),
        seeds[n - 1],
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The scenario run to its end, without the window: its report and its conflict pairs.
fn finished(file: &Path, set: &[Override]) -> Result<(Report, ConflictPairs)> {
    let (mut sim, _) = skycorridor::load_keeping(file, set, PlanKeeping::InUse)?;
    sim.run_to_end();
    Ok((Report::from_sim(&sim), metrics::conflict_pairs(&sim)))
}

/// The same scenario with and without tactical resolution, side by side.
fn compare(file: &Path, out: &Path, set: &[Override]) -> Result<()> {
    let (with, pairs_with) = finished(file, set)?;
    let off = super::with_override(set.to_vec(), "deconfliction.tactical", Some("None".into()));
    let (without, pairs_without) = finished(file, &off)?;
    let c = Comparison::of(&with, &without)
        .with_attribution(metrics::Attribution::of(&pairs_with, &pairs_without));
    let path = out.join("comparison.json");
    metrics::write_atomic(&path, c.to_json().as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    print!("{}", c.summary());
    Ok(())
}

fn run(
    file: &Path,
    out: &Path,
    set: &[Override],
    (trajectories, record): (Option<f64>, Option<f64>),
    max_events: usize,
) -> Result<()> {
    let started = Instant::now();
    // Only the plans of flights in progress are kept whole: plan memory follows the
    // drones in the air, not the day's flights (the outputs are the same bit for bit).
    let (mut sim, text) = skycorridor::load_keeping(file, set, PlanKeeping::InUse)?;
    // With --record, a monitor and the recording's fingerprints follow every step.
    let mut recording = match record {
        None => None,
        Some(s) => {
            anyhow::ensure!(
                s.is_finite() && s > 0.0,
                "--keyframe-interval must be > 0 s, got {s}"
            );
            let every = (s / sim.scenario().dt_s).round().max(1.0) as u64;
            let mut r = Recording::new(file, text, set, every);
            r.observe(&sim);
            Some((r, Monitor::new(Thresholds::default())))
        }
    };
    sim.events_mut().max_kept = max_events;
    // Events too are written as they close: memory follows the events in progress.
    let events = metrics::EventsFile::create(out)
        .with_context(|| format!("starting events.csv in {}", out.display()))?;
    sim.stream_events(Box::new(events));
    if let Some(interval) = trajectories {
        anyhow::ensure!(
            interval.is_finite() && interval > 0.0,
            "--trajectory-interval must be > 0 s, got {interval}"
        );
        let points = sim.trajectory_points_estimate(interval);
        anyhow::ensure!(
            points <= MAX_TRAJECTORY_POINTS,
            "--trajectory-interval {interval} s would record about {points:.3e} points, over the limit of {MAX_TRAJECTORY_POINTS:.0}: sample less often"
        );
        // Streamed to the output folder as the run goes: memory follows the drones in
        // the air, not the day's samples.
        let files = metrics::TrajectoryFiles::create(out)
            .with_context(|| format!("starting the trajectory files in {}", out.display()))?;
        sim.stream_trajectories(interval, Box::new(files));
    }
    eprintln!(
        "{}: {} flights planned over {} corridors ({:.0} km) and {} vertiports, {} s in steps of {} s",
        file.display(),
        sim.flights().len(),
        sim.scenario().corridors.len(),
        sim.net().corridor_km(),
        sim.net().terminals.len(),
        sim.scenario().duration_s,
        sim.scenario().dt_s
    );
    let bar = ProgressBar::new(sim.scenario().duration_s.ceil() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} s simulated  {msg}  [{elapsed_precise}, eta {eta}]",
        )
        .expect("valid template"),
    );
    let steps_per_update = match recording {
        Some(_) => 1,
        None => (1.0 / sim.scenario().dt_s).ceil().max(1.0) as u32 * 10,
    };
    let mut observed = 0;
    let mut sim = app::run_headless(sim, steps_per_update, |s| {
        // (An app update may run no fixed step: observe each step once.)
        if let Some((r, m)) = recording.as_mut().filter(|_| s.steps() > observed) {
            observed = s.steps();
            r.observe(s);
            m.observe(s);
        }
        bar.set_position(s.time_s() as u64);
        bar.set_message(format!(
            "{} airborne, {} open conflicts",
            s.airborne_count(),
            s.events().open_pairs()
        ));
    });
    bar.finish_and_clear();
    if let Some((r, mut m)) = recording {
        m.finish(sim.time_s());
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        r.write(out)
            .with_context(|| format!("writing the recording in {}", out.display()))?;
        let path = out.join("alerts.csv");
        metrics::write_atomic(&path, &monitor::alerts_csv(&sim, &m.alerts()))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    sim.release_reservations();
    let report = Report::from_sim(&sim);
    sim.finish_trajectories()
        .with_context(|| format!("writing the trajectory files in {}", out.display()))?;
    sim.finish_events()
        .with_context(|| format!("writing events.csv in {}", out.display()))?;
    metrics::write_outputs(&sim, &report, out)
        .with_context(|| format!("writing outputs to {}", out.display()))?;
    print!("{}", report.summary());
    println!(
        "wrote         {}/report.json, report.md, flights.csv, events.csv, plans.csv ({:.1} s wall)",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
