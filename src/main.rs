//! The `skycorridor` command line: parses arguments, loads the scenario, runs the app,
//! writes the reports. No simulation rules live here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use skycorridor::metrics::{self, Report};
use skycorridor::scenario::Override;
use skycorridor::sim::separation::{Detector, Params};
use skycorridor::{DEFAULT_SCENARIO, app, bench};

/// Counts live heap bytes so `bench` can report memory per drone.
struct CountingAlloc;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Flight-planning simulator for low-altitude drone corridors in the Greater Bay Area.
///
/// Scenario files (RON) describe vertiports, corridors, no-fly zones, drone types and
/// demand; see scenarios/README.md for every field.
#[derive(Parser)]
#[command(name = "skycorridor", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario headless and write report.json, report.md, flights.csv, events.csv and plans.csv.
    Run {
        /// Scenario file [default: scenarios/gba_default.ron].
        file: Option<PathBuf>,
        /// Folder for the outputs (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Seed of the demand sampler (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated seconds (overrides the scenario's `duration_s`).
        #[arg(long)]
        duration: Option<f64>,
        /// Override any scenario field, e.g. `--set separation.horizontal_m=80` or
        /// `--set corridors.HK-SZ-1.speed_limit_mps=15`. Repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<Override>,
        /// Worker threads for the parallel parts [default: all cores]. Results do not
        /// depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Also write trajectories.csv and trajectories.geojson (positions of every drone
        /// in the air, sampled every --trajectory-interval seconds, and where each flight
        /// ended).
        #[arg(long)]
        trajectories: bool,
        /// Trajectory sampling interval, seconds.
        #[arg(long, default_value_t = 10.0, value_name = "S")]
        trajectory_interval: f64,
        /// Run the scenario a second time without tactical resolution and write
        /// comparison.json: the domino effect parameter (conflicts with resolution over
        /// conflicts without, minus 1), losses of separation, energy and delay of both.
        #[arg(long)]
        compare_resolution: bool,
        /// List at most this many conflict and loss-of-separation events in events.csv
        /// (the report counts every one; an overloaded stress scenario has millions).
        #[arg(long, default_value_t = skycorridor::sim::events::DEFAULT_MAX_KEPT, value_name = "N")]
        max_events: usize,
    },
    /// Run a grid of scenario variants (any field, times seeds) in parallel: sweep.csv
    /// with every KPI per run, plots, and the capacity curve when demand.scale varies.
    Sweep {
        /// Scenario file.
        file: PathBuf,
        /// A parameter and its values: `path=a..b:n` (n values from a to b) or
        /// `path=v1,v2,...`; paths as for --set. Repeatable; the first changes slowest.
        #[arg(long = "vary", value_name = "PATH=SPEC", required = true)]
        vary: Vec<skycorridor::sweep::Vary>,
        /// Seeds per combination, from the scenario's seed up.
        #[arg(long, default_value_t = 1)]
        seeds: usize,
        /// Output folder.
        #[arg(long, default_value = "sweep")]
        out: PathBuf,
        /// Run only every N-th run starting at I (0-based), for batch schedulers; merge the
        /// shards' folders with sweep-merge.
        #[arg(long, value_name = "I/N")]
        shard: Option<skycorridor::sweep::Shard>,
        /// Capacity threshold: losses of separation per flight hour.
        #[arg(long, default_value_t = 5.0)]
        max_los_per_fh: f64,
        /// Capacity threshold: mean delay, seconds.
        #[arg(long, default_value_t = 60.0)]
        max_delay_s: f64,
        /// Fixed overrides for every run, as in `run`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<Override>,
        /// Worker threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Merge the output folders of sweep shards into one (sweep.csv, reports, plots).
    SweepMerge {
        /// Shard output folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder.
        #[arg(long, default_value = "sweep")]
        out: PathBuf,
        /// Capacity threshold: losses of separation per flight hour.
        #[arg(long, default_value_t = 5.0)]
        max_los_per_fh: f64,
        /// Capacity threshold: mean delay, seconds.
        #[arg(long, default_value_t = 60.0)]
        max_delay_s: f64,
    },
    /// Export a scenario for other tools: its network as GeoJSON, its planned flights as a
    /// BlueSky scenario.
    Export {
        /// Scenario file.
        file: PathBuf,
        /// Write nodes.geojson, corridors.geojson and zones.geojson into this folder.
        #[arg(long, value_name = "DIR")]
        geojson: Option<PathBuf>,
        /// Write the planned flights as a BlueSky scenario (.scn) to this file.
        #[arg(long, value_name = "FILE")]
        bluesky: Option<PathBuf>,
        /// Override fields as in `run`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<Override>,
    },
    /// Write a copy of a scenario with its demand scaled to a number of drones in the air
    /// (Little's law) and pads raised to match: how scenarios/stress_*.ron are made.
    Scale {
        /// Scenario file.
        file: PathBuf,
        /// Drones in the air to aim for once traffic has built up.
        #[arg(long)]
        airborne: f64,
        /// Name of the new scenario [default: the output file's stem].
        #[arg(long)]
        name: Option<String>,
        /// Output scenario file (written atomically).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Watch a scenario fly in a window: pan, zoom, pause, speed up, click a drone.
    View {
        /// Scenario file [default: scenarios/gba_default.ron].
        file: Option<PathBuf>,
        /// Override fields as in `run`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<Override>,
        /// Seed of the demand sampler.
        #[arg(long)]
        seed: Option<u64>,
        /// Start at this simulated time, seconds (simulated headless first).
        #[arg(long, value_name = "S")]
        at: Option<f64>,
        /// Save one frame to this PNG and exit (with --at: the scenario at that time).
        #[arg(long, value_name = "PNG")]
        screenshot: Option<PathBuf>,
        /// Window width, pixels.
        #[arg(long, default_value_t = 1280)]
        width: u32,
        /// Window height, pixels.
        #[arg(long, default_value_t = 720)]
        height: u32,
        /// Draw this many frames as fast as possible, print frame times and exit.
        #[arg(long)]
        frames: Option<u32>,
        /// Instead of a scenario, show this many drones of the benchmark grid.
        #[arg(long, value_name = "N")]
        bench_drones: Option<usize>,
        /// Start paused (Space resumes).
        #[arg(long)]
        paused: bool,
    },
    /// Check a scenario and print a one-screen summary of its network and demand.
    Validate {
        /// Scenario file.
        file: PathBuf,
        /// Override fields as in `run`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<Override>,
    },
    /// Measure the simulation step on synthetic traffic: drones in the air, 1 s step,
    /// 30 s look-ahead, R-tree separation checks every step.
    Bench {
        /// Drones in the air, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = vec![1_000usize, 10_000, 100_000])]
        drones: Vec<usize>,
        /// Simulated seconds per size.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        /// Worker threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Steps between rebuilds of the separation R-tree (results do not depend on it).
        #[arg(long, default_value_t = skycorridor::sim::DEFAULT_REFRESH_STEPS)]
        refresh: u32,
        /// Tactical resolution method to include in the step (None, Speed, Vertical, Mvp).
        #[arg(long, default_value = "None")]
        tactical: String,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = dispatch(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn set_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("setting up worker threads")?;
    }
    Ok(())
}

/// The default scenario, found from the working folder or, for `cargo run`, the crate.
fn default_scenario() -> PathBuf {
    let here = PathBuf::from(DEFAULT_SCENARIO);
    if here.exists() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_SCENARIO)
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            file,
            out,
            seed,
            duration,
            mut set,
            threads,
            trajectories,
            trajectory_interval,
            compare_resolution,
            max_events,
        } => {
            set_threads(threads)?;
            if let Some(seed) = seed {
                set.push(Override {
                    path: "seed".into(),
                    value: seed.to_string(),
                });
            }
            if let Some(d) = duration {
                set.push(Override {
                    path: "duration_s".into(),
                    value: d.to_string(),
                });
            }
            let file = file.unwrap_or_else(default_scenario);
            let trajectories = trajectories.then_some(trajectory_interval);
            run(&file, &out, &set, trajectories, max_events)?;
            if compare_resolution {
                compare(&file, &out, &set)?;
            }
            Ok(())
        }
        Command::Export {
            file,
            geojson,
            bluesky,
            set,
        } => export(&file, geojson.as_deref(), bluesky.as_deref(), &set),
        Command::Sweep {
            file,
            vary,
            seeds,
            out,
            shard,
            max_los_per_fh,
            max_delay_s,
            set,
            threads,
        } => {
            set_threads(threads)?;
            sweep(
                &file,
                &vary,
                seeds,
                &out,
                shard,
                (max_los_per_fh, max_delay_s),
                &set,
            )
        }
        Command::SweepMerge {
            dirs,
            out,
            max_los_per_fh,
            max_delay_s,
        } => sweep_merge(&dirs, &out, (max_los_per_fh, max_delay_s)),
        Command::Validate { file, set } => validate(&file, &set),
        Command::Scale {
            file,
            airborne,
            name,
            out,
        } => scale(&file, airborne, name, &out),
        Command::View {
            file,
            mut set,
            seed,
            at,
            screenshot,
            width,
            height,
            frames,
            bench_drones,
            paused,
        } => {
            if let Some(seed) = seed {
                set.push(Override {
                    path: "seed".into(),
                    value: seed.to_string(),
                });
            }
            let file = file.unwrap_or_else(default_scenario);
            view(
                &file,
                &set,
                at,
                screenshot,
                [width, height],
                frames,
                bench_drones,
                paused,
            )
        }
        Command::Bench {
            drones,
            seconds,
            threads,
            refresh,
            tactical,
        } => {
            set_threads(threads)?;
            let method: skycorridor::scenario::Tactical = serde_json::from_value(
                serde_json::Value::String(tactical.clone()),
            )
            .map_err(|_| {
                anyhow::anyhow!("--tactical: expected None, Speed, Vertical or Mvp, got {tactical}")
            })?;
            run_bench(&drones, seconds, refresh, method)
        }
    }
}

fn write_sweep(
    out: &Path,
    table: &skycorridor::sweep::Table,
    reports: &[(usize, String)],
    limits: (f64, f64),
) -> Result<()> {
    let runs = out.join("runs");
    std::fs::create_dir_all(&runs).with_context(|| format!("creating {}", runs.display()))?;
    for (index, json) in reports {
        let path = runs.join(format!("run-{index:05}.json"));
        metrics::write_atomic(&path, json.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    for (name, bytes) in skycorridor::sweep::outputs(table, limits.0, limits.1) {
        let path = out.join(name);
        metrics::write_atomic(&path, &bytes)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn sweep(
    file: &Path,
    vary: &[skycorridor::sweep::Vary],
    seeds: usize,
    out: &Path,
    shard: Option<skycorridor::sweep::Shard>,
    limits: (f64, f64),
    set: &[Override],
) -> Result<()> {
    let (scenario, text) = skycorridor::scenario::load_file(file)?;
    let base = skycorridor::scenario::apply_overrides(&scenario, set)?;
    // Check the base scenario once, with the file's line numbers, before running a grid.
    skycorridor::prepare(base.clone(), file, Some(&text))?;
    let all = skycorridor::sweep::grid(vary, base.seed, seeds);
    let total = all.len();
    let runs: Vec<_> = match shard {
        Some(s) => all
            .into_iter()
            .filter(|r| r.index % s.count == s.index)
            .collect(),
        None => all,
    };
    eprintln!(
        "{}: {} runs of {} in the grid",
        file.display(),
        runs.len(),
        total
    );
    let bar = ProgressBar::new(runs.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs [{elapsed_precise}, eta {eta}]")
            .expect("valid template"),
    );
    let started = Instant::now();
    let (table, reports) = skycorridor::sweep::run_all(&base, vary, &runs, || bar.inc(1))?;
    bar.finish_and_clear();
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_sweep(out, &table, &reports, limits)?;
    println!(
        "wrote         {}/sweep.csv ({} runs), runs/, plots ({:.1} s wall)",
        out.display(),
        table.rows.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn sweep_merge(dirs: &[PathBuf], out: &Path, limits: (f64, f64)) -> Result<()> {
    let mut parts = Vec::new();
    let mut reports = Vec::new();
    for d in dirs {
        let path = d.join("sweep.csv");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        parts.push(
            skycorridor::sweep::Table::from_csv(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        );
        if let Ok(entries) = std::fs::read_dir(d.join("runs")) {
            for e in entries {
                let e = e?;
                let name = e.file_name().to_string_lossy().to_string();
                if let Some(index) = name
                    .strip_prefix("run-")
                    .and_then(|n| n.strip_suffix(".json"))
                    .and_then(|n| n.parse().ok())
                {
                    reports.push((index, std::fs::read_to_string(e.path())?));
                }
            }
        }
    }
    let table = skycorridor::sweep::Table::merge(parts).map_err(|e| anyhow::anyhow!(e))?;
    reports.sort_by_key(|r| r.0);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_sweep(out, &table, &reports, limits)?;
    println!(
        "wrote         {}/sweep.csv ({} runs from {} shards)",
        out.display(),
        table.rows.len(),
        dirs.len()
    );
    Ok(())
}

fn export(
    file: &Path,
    geojson: Option<&Path>,
    bluesky: Option<&Path>,
    set: &[Override],
) -> Result<()> {
    anyhow::ensure!(
        geojson.is_some() || bluesky.is_some(),
        "nothing to export: give --geojson DIR and/or --bluesky FILE"
    );
    let sim = skycorridor::load(file, set)?;
    if let Some(dir) = geojson {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, text) in skycorridor::interop::geojson::export(&sim.scenario) {
            let path = dir.join(name);
            metrics::write_atomic(&path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if let Some(path) = bluesky {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = skycorridor::interop::bluesky::export(&sim);
        metrics::write_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {} ({} flights)", path.display(), sim.flights.len());
    }
    Ok(())
}

/// The same scenario with and without tactical resolution, side by side.
fn compare(file: &Path, out: &Path, set: &[Override]) -> Result<()> {
    let with = {
        let mut sim = skycorridor::load(file, set)?;
        sim.run_to_end();
        Report::from_sim(&sim)
    };
    let mut off = set.to_vec();
    off.push(Override {
        path: "deconfliction.tactical".into(),
        value: "None".into(),
    });
    let without = {
        let mut sim = skycorridor::load(file, &off)?;
        sim.run_to_end();
        Report::from_sim(&sim)
    };
    let dep = if without.conflicts > 0 {
        with.conflicts as f64 / without.conflicts as f64 - 1.0
    } else {
        0.0
    };
    let side = |r: &Report| {
        serde_json::json!({
            "conflicts": r.conflicts,
            "losses_of_separation": r.losses_of_separation,
            "losses_of_separation_at_vertiports": r.losses_of_separation_at_vertiports,
            "intrusion_prevention_rate": r.tactical.intrusion_prevention_rate,
            "energy_wh": r.energy_wh,
            "distance_km": r.distance_km,
            "delay_mean_s": r.delay_s.mean,
            "flights_completed": r.flights.completed,
        })
    };
    let json = serde_json::json!({
        "method": with.tactical.method,
        "with_resolution": side(&with),
        "without_resolution": side(&without),
        "domino_effect_parameter": dep,
        "extra_energy_wh": with.energy_wh - without.energy_wh,
        "extra_distance_km": with.distance_km - without.distance_km,
    });
    let mut text = serde_json::to_string_pretty(&json).expect("serialises");
    text.push('\n');
    metrics::write_atomic(&out.join("comparison.json"), text.as_bytes())
        .with_context(|| format!("writing {}/comparison.json", out.display()))?;
    println!(
        "compare       {:?}: {} conflicts / {} LoS with resolution, {} / {} without; domino effect parameter {:.3}, extra energy {:.1} kWh",
        with.tactical.method,
        with.conflicts,
        with.losses_of_separation,
        without.conflicts,
        without.losses_of_separation,
        dep,
        (with.energy_wh - without.energy_wh) / 1000.0
    );
    Ok(())
}

fn run(
    file: &Path,
    out: &Path,
    set: &[Override],
    trajectories: Option<f64>,
    max_events: usize,
) -> Result<()> {
    let started = Instant::now();
    let mut sim = skycorridor::load(file, set)?;
    sim.events.max_kept = max_events;
    if let Some(interval) = trajectories {
        anyhow::ensure!(
            interval.is_finite() && interval > 0.0,
            "--trajectory-interval must be > 0 s, got {interval}"
        );
        sim.record_trajectories(interval);
    }
    eprintln!(
        "{}: {} flights planned over {} corridors ({:.0} km), {} s in steps of {} s",
        file.display(),
        sim.flights.len(),
        sim.net.corridor_ids.len(),
        sim.net.corridor_km(),
        sim.scenario.duration_s,
        sim.scenario.dt_s
    );
    let duration = sim.scenario.duration_s;
    let bar = ProgressBar::new(duration.ceil() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} s simulated  {msg}  [{elapsed_precise}, eta {eta}]",
        )
        .expect("valid template"),
    );
    let steps_per_update = (1.0 / sim.scenario.dt_s).ceil().max(1.0) as u32 * 10;
    let sim = app::run_headless(sim, steps_per_update, |s| {
        bar.set_position(s.t_s as u64);
        bar.set_message(format!(
            "{} airborne, {} open conflicts",
            s.airborne_count(),
            s.events.open_pairs()
        ));
    });
    bar.finish_and_clear();
    let report = Report::from_sim(&sim);
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

#[cfg(feature = "viewer")]
#[allow(clippy::too_many_arguments)] // one per command-line option
fn view(
    file: &Path,
    set: &[Override],
    at: Option<f64>,
    screenshot: Option<PathBuf>,
    size: [u32; 2],
    frames: Option<u32>,
    bench_drones: Option<usize>,
    paused: bool,
) -> Result<()> {
    let (mut sim, path) = match bench_drones {
        Some(n) => (bench::airborne(n, 3600.0), None),
        None => (skycorridor::load(file, set)?, Some(file.to_path_buf())),
    };
    let source =
        skycorridor::app::tuning::ScenarioSource::new(path, set.to_vec(), sim.scenario.clone());
    if let Some(at) = at {
        anyhow::ensure!(
            at.is_finite() && at >= 0.0,
            "--at must be a time in seconds >= 0, got {at}"
        );
        while sim.t_s < at - 1e-9 && !sim.finished() {
            sim.step();
        }
    }
    let assets = if Path::new("assets").is_dir() {
        PathBuf::from("assets")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
    };
    if let Some(png) = &screenshot
        && let Some(dir) = png.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    skycorridor::viewer::run(
        sim,
        source,
        skycorridor::viewer::ViewerOptions {
            assets,
            size,
            screenshot,
            frames,
            paused,
        },
    );
    Ok(())
}

#[cfg(not(feature = "viewer"))]
#[allow(clippy::too_many_arguments)]
fn view(
    _: &Path,
    _: &[Override],
    _: Option<f64>,
    _: Option<PathBuf>,
    _: [u32; 2],
    _: Option<u32>,
    _: Option<usize>,
    _: bool,
) -> Result<()> {
    anyhow::bail!("this skycorridor was built without the window (cargo feature `viewer`)")
}

fn validate(file: &Path, set: &[Override]) -> Result<()> {
    let sim = skycorridor::load(file, set)?;
    let s = &sim.scenario;
    let net = &sim.net;
    let vertiports = net.nodes.iter().filter(|n| n.pads() > 0).count();
    println!("{}: valid", file.display());
    println!(
        "  scenario   {} (seed {}, {} s, dt {} s)",
        s.name, s.seed, s.duration_s, s.dt_s
    );
    println!(
        "  separation {} m horizontal, {} m vertical, {} s look-ahead",
        s.separation.horizontal_m, s.separation.vertical_m, s.separation.lookahead_s
    );
    println!(
        "  nodes      {} ({} vertiports with {} pads, {} waypoints)",
        net.nodes.len(),
        vertiports,
        net.nodes.iter().map(|n| n.pads()).sum::<u32>(),
        net.nodes.len() - vertiports
    );
    println!(
        "  corridors  {} ({:.1} km, {} lanes)",
        net.corridor_ids.len(),
        net.corridor_km(),
        net.lanes.len()
    );
    println!("  zones      {}", net.zones.len());
    let gates = net
        .nodes
        .iter()
        .filter(|n| n.gate_spacing_s().is_some())
        .count();
    if gates > 0 {
        println!("  gates      {gates}");
    }
    for (j, jur) in net.jurisdictions.iter().enumerate() {
        let here = |x: Option<u32>| x == Some(j as u32);
        let nodes: Vec<&str> = net
            .nodes
            .iter()
            .filter(|n| here(n.jurisdiction))
            .map(|n| n.id.as_str())
            .collect();
        let corridors: Vec<&str> = net
            .lanes
            .iter()
            .filter(|l| !l.reverse && here(l.jurisdiction))
            .map(|l| net.corridor_ids[l.corridor].as_str())
            .collect();
        println!(
            "  {:<10} {} ({}): nodes {}; corridors {}",
            jur.id,
            jur.name,
            jur.territory,
            if nodes.is_empty() {
                "-".to_string()
            } else {
                nodes.join(" ")
            },
            if corridors.is_empty() {
                "-".to_string()
            } else {
                corridors.join(" ")
            }
        );
    }
    println!(
        "  fleet      {}",
        s.drone_types
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  demand     {} flows, {} explicit flights -> {} flights in {} s",
        s.demand.flows.len(),
        s.demand.flights.len(),
        sim.flights.len(),
        s.duration_s
    );
    println!(
        "  routes     {} planned (origin -> destination, type: corridors, km, min)",
        sim.plans.len()
    );
    for p in sim.plans.iter().take(12) {
        println!(
            "             {} -> {}, {}: {} ({:.1} km, {:.1} min)",
            net.nodes[p.origin].id,
            net.nodes[p.destination].id,
            s.drone_types[p.drone_type].id,
            p.route_label(net),
            p.path.total_m() / 1000.0,
            p.duration_s / 60.0
        );
    }
    if sim.plans.len() > 12 {
        println!("             ... and {} more", sim.plans.len() - 12);
    }
    Ok(())
}

fn run_bench(
    sizes: &[usize],
    seconds: f64,
    refresh: u32,
    tactical: skycorridor::scenario::Tactical,
) -> Result<()> {
    println!(
        "synthetic grid: {:.0} km square, corridors every {:.0} m, 1 s step, 30 s look-ahead, \
         R-tree rebuilt every {refresh} steps, {} threads",
        bench::SIDE_M / 1000.0,
        bench::PITCH_M,
        rayon::current_num_threads()
    );
    println!(
        "{:>8} {:>7} {:>9} {:>12} {:>14} {:>11} {:>10} {:>11}",
        "drones",
        "steps",
        "wall s",
        "sim s/wall s",
        "drone-steps/s",
        "1-step ms",
        "conflicts",
        "bytes/drone"
    );
    for &n in sizes {
        let before = LIVE.load(Ordering::Relaxed);
        let mut sim = bench::airborne(n, seconds);
        sim.set_refresh_steps(refresh);
        sim.scenario.deconfliction.tactical = tactical;
        let setup = LIVE.load(Ordering::Relaxed).saturating_sub(before);
        PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
        let t0 = Instant::now();
        sim = app::run_headless(sim, 10, |_| {});
        let wall = t0.elapsed().as_secs_f64();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        let steps = sim.step as f64;
        let airborne = sim.peak_airborne.max(1);
        // The separation check alone, on the final state, averaged over repeats.
        let tracks: Vec<_> = sim
            .airborne()
            .map(|(_, d)| skycorridor::sim::separation::Track {
                pos: d.pos,
                vel: d.vel,
            })
            .collect();
        let params = Params {
            horizontal_m: 50.0,
            vertical_m: 15.0,
            lookahead_s: 30.0,
            dt_s: 1.0,
        };
        let mut det = Detector::default();
        let mut out = Vec::new();
        let reps = 10;
        let c0 = Instant::now();
        for _ in 0..reps {
            det.detect(&tracks, &params, &mut out);
        }
        let check_ms = c0.elapsed().as_secs_f64() * 1000.0 / reps as f64;
        println!(
            "{:>8} {:>7} {:>9.2} {:>12.1} {:>14.0} {:>11.2} {:>10} {:>11.0}",
            airborne,
            steps,
            wall,
            sim.t_s / wall,
            steps * airborne as f64 / wall,
            check_ms,
            sim.events.conflicts_opened,
            peak.max(setup) as f64 / airborne as f64
        );
        drop(sim);
    }
    Ok(())
}

fn scale(file: &Path, airborne: f64, name: Option<String>, out: &Path) -> Result<()> {
    if !(airborne.is_finite() && airborne > 0.0) {
        bail!("--airborne must be a number > 0, got {airborne}");
    }
    let name = name.unwrap_or_else(|| {
        out.file_stem()
            .map_or("scaled".into(), |s| s.to_string_lossy().into_owned())
    });
    let scaled = skycorridor::scale::scale_to_airborne(file, airborne, &name)?;
    let source = file
        .file_name()
        .map_or(String::new(), |f| f.to_string_lossy().into_owned());
    let command = format!(
        "skycorridor scale scenarios/{source} --airborne {airborne} --out scenarios/{}",
        out.file_name()
            .map_or(String::new(), |f| f.to_string_lossy().into_owned())
    );
    let text = skycorridor::scale::scaled_text(&scaled, &source, airborne, &command);
    metrics::write_atomic(out, text.as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}: about {:.0} drones in the air at its demand; demand.scale x{:.3} -> {} (wrote {})",
        file.display(),
        scaled.airborne_before,
        scaled.scale,
        scaled.scenario.demand.scale,
        out.display()
    );
    Ok(())
}
