//! `skycorridor bench`: the simulation step timed on synthetic traffic (see
//! [`skycorridor::bench`]), with memory per drone in the air; or, with `--clear FILE`,
//! strategic deconfliction timed on a scenario's flight requests.
//!
//! Memory is the process's peak resident set during the run (Linux `VmHWM`, reset before
//! each size through `/proc/self/clear_refs`) minus the resident set before the traffic
//! was built: everything the run touched, heap and all, at no cost to other commands. Where
//! `/proc` is missing the column says `n/a`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use skycorridor::scenario::Tactical;
use skycorridor::sim::Manoeuvres;
use skycorridor::sim::separation::{Detector, Params, Track};
use skycorridor::{app, bench};

/// Options of `skycorridor bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Drones in the air, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1_000usize, 10_000, 100_000])]
    pub drones: Vec<usize>,
    /// Fly each size on a larger square, at the lane density this many drones have on
    /// the standard 150 km grid (sizes at or below it keep the standard grid).
    #[arg(long, value_name = "DRONES")]
    pub density_of: Option<usize>,
    /// Simulated seconds per size.
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Steps between rebuilds of the separation R-tree (results do not depend on it)
    /// [default: 32, or 16 with a tactical method that moves drones off their plans].
    #[arg(long)]
    pub refresh: Option<u32>,
    /// Tactical resolution method to include in the step.
    #[arg(long, value_enum, ignore_case = true, default_value_t = Tactical::None)]
    pub tactical: Tactical,
    /// Instead of the step: time strategic deconfliction clearing this scenario's flight
    /// requests (repeatable; planning without clearing is timed apart and left out).
    #[arg(long, value_name = "FILE")]
    pub clear: Vec<PathBuf>,
    /// With `--clear`: override fields of those scenarios as in `run`.
    #[arg(long = "set", value_name = "PATH=VALUE", requires = "clear")]
    pub set: Vec<skycorridor::scenario::Override>,
    /// Instead of the step: time opening the recording in this run folder (`run
    /// --record`) and seeking it to `--seeks` times spread over the run in a shuffled
    /// order, as the window's timeline does.
    #[arg(long, value_name = "DIR", conflicts_with = "clear")]
    pub replay: Option<PathBuf>,
    /// With `--replay`: how many seeks.
    #[arg(long, default_value_t = 100, requires = "replay")]
    pub seeks: usize,
}

/// Resident memory now and at its peak since the last reset, bytes (Linux only).
fn resident() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Starts a new peak from the current resident set (Linux only; ignored elsewhere).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Times each size and prints a table.
pub fn main(a: BenchArgs) -> Result<()> {
    super::set_threads(a.threads)?;
    if !a.clear.is_empty() {
        return clearing(&a.clear, &a.set);
    }
    if let Some(dir) = &a.replay {
        return replay(dir, a.seeks);
    }
    let refresh = a
        .refresh
        .unwrap_or_else(|| Manoeuvres::of(a.tactical, 0.0).refresh_steps());
    println!(
        "synthetic grid: {:.0} km square, corridors every {:.0} m, 1 s step, 30 s look-ahead, \
         R-tree rebuilt every {refresh} steps, {} threads",
        bench::SIDE_M / 1000.0,
        bench::PITCH_M,
        rayon::current_num_threads()
    );
    if let Some(like) = a.density_of {
        for &n in a.drones.iter().filter(|&&n| n > like) {
            println!(
                "{n} drones on a {:.0} km square: the lane density of {like} on the 150 km one",
                bench::side_for_density(n, like) / 1000.0
            );
        }
    }
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
    for &n in &a.drones {
        one_size(n, &a);
    }
    Ok(())
}

/// Times strategic deconfliction on each scenario's requests and prints one row each.
/// Opens a recording and seeks it `seeks` times: the timeline's cost.
fn replay(dir: &std::path::Path, seeks: usize) -> Result<()> {
    use skycorridor::monitor::{Thresholds, replay::Replay};
    reset_peak();
    let before = resident();
    let started = Instant::now();
    let r = Replay::open(dir, Thresholds::default())?;
    let open_s = started.elapsed().as_secs_f64();
    let memory = match (before, resident()) {
        (Some((rss, _)), Some((_, peak))) => format!("{:.1} MB", (peak - rss) as f64 / 1e6),
        _ => "n/a".into(),
    };
    println!(
        "{}: {:.0} s simulated, {} keyframes, {} alerts; opened (re-run, checked, keyframes kept) in {open_s:.2} s, {memory} resident",
        dir.display(),
        r.end_s(),
        r.keyframes(),
        r.alerts.len()
    );
    // Times spread evenly over the run, visited in a fixed shuffled order (a multiplier
    // coprime to the count): forward and backward jumps of every size.
    let n = seeks.max(1);
    let stride = (1..n)
        .rev()
        .find(|k| gcd(*k, n) == 1 && *k > n / 3)
        .unwrap_or(1);
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let t = r.end_s() * ((i * stride) % n) as f64 / n as f64;
        let started = Instant::now();
        let sim = r.at(t);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(sim.airborne_count());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{n} seeks: mean {:.1} ms, median {:.1} ms, max {:.1} ms",
        times.iter().sum::<f64>() / n as f64,
        times[n / 2],
        times[n - 1]
    );
    Ok(())
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn clearing(files: &[PathBuf], set: &[skycorridor::scenario::Override]) -> Result<()> {
    use skycorridor::{network::Network, planner, scenario};
    // Plans kept as `run` keeps them: whole only while in use.
    use planner::PlanKeeping::InUse;
    println!(
        "{:<32} {:>9} {:>10} {:>10} {:>12} {:>8} {:>10}",
        "scenario", "requests", "plan s", "clear s", "requests/s", "delayed", "cancelled"
    );
    for path in files {
        let (s, text) = scenario::load_file(path)?;
        let mut s = scenario::apply_overrides(&s, set)?;
        let fail = |e| scenario::ScenarioError::invalid(path, Some(&text), e);
        scenario::validate(&s).map_err(fail)?;
        let net = Network::build(&s).map_err(fail)?;
        s.deconfliction.strategic = false;
        let t0 = Instant::now();
        let flights = planner::plan_all_keeping(&s, &net, InUse)
            .map_err(fail)?
            .flights;
        let plan_s = t0.elapsed().as_secs_f64();
        s.deconfliction.strategic = true;
        let t1 = Instant::now();
        let cleared = planner::plan_all_keeping(&s, &net, InUse)
            .map_err(fail)?
            .flights;
        let clear_s = (t1.elapsed().as_secs_f64() - plan_s).max(0.0);
        let delayed = cleared
            .iter()
            .filter(|f| f.cancelled.is_none() && f.departure_s > f.scheduled_s)
            .count();
        let cancelled = cleared.iter().filter(|f| f.cancelled.is_some()).count();
        println!(
            "{:<32} {:>9} {:>10.2} {:>10.2} {:>12.0} {:>8} {:>10}",
            path.display(),
            flights.len(),
            plan_s,
            clear_s,
            flights.len() as f64 / clear_s.max(1e-9),
            delayed,
            cancelled
        );
    }
    Ok(())
}

/// Builds `n` drones of traffic, runs it, and prints one row.
fn one_size(n: usize, a: &BenchArgs) {
    reset_peak();
    let before = resident().map(|r| r.0);
    let side_m = a
        .density_of
        .map_or(bench::SIDE_M, |like| bench::side_for_density(n, like));
    let mut sim = bench::airborne_on(n, a.seconds, side_m);
    if let Some(steps) = a.refresh {
        sim.set_refresh_steps(steps);
    }
    sim.set_tactical(a.tactical);
    let t0 = Instant::now();
    sim = app::run_headless(sim, 10, |_| {});
    let wall = t0.elapsed().as_secs_f64();
    let peak = resident().map(|r| r.1);
    let steps = sim.steps() as f64;
    let airborne = sim.peak_airborne().max(1);
    let per_drone = match (before, peak) {
        (Some(b), Some(p)) => format!("{:.0}", p.saturating_sub(b) as f64 / airborne as f64),
        _ => "n/a".into(),
    };
    // The separation check alone, on the final state, averaged over repeats.
    let tracks: Vec<Track> = sim
        .airborne()
        .map(|(_, d)| Track {
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
        "{:>8} {:>7} {:>9.2} {:>12.1} {:>14.0} {:>11.2} {:>10} {:>11}",
        airborne,
        steps,
        wall,
        sim.time_s() / wall,
        steps * airborne as f64 / wall,
        check_ms,
        sim.events().conflicts_opened,
        per_drone
    );
}
