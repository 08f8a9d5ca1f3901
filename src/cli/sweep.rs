//! `skycorridor sweep` and `sweep-merge`: a grid of scenario variants run in parallel,
//! and the merge of shards' folders (the folder format is [`skycorridor::sweep::folder`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use skycorridor::scenario::Override;
use skycorridor::sweep::Table;
use skycorridor::sweep::folder::{self, Limits, RunReports};

/// Options of `skycorridor sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file.
    pub file: PathBuf,
    /// A parameter and its values: `path=a..b:n` (n values from a to b) or
    /// `path=v1,v2,...`; paths as for --set. Repeatable; the first changes slowest.
    #[arg(long = "vary", value_name = "PATH=SPEC", required = true)]
    pub vary: Vec<skycorridor::sweep::Vary>,
    /// Seeds per combination, from the scenario's seed up.
    #[arg(long, default_value_t = 1)]
    pub seeds: usize,
    /// Most runs the grid may have (combinations times seeds), checked before anything
    /// runs.
    #[arg(long, default_value_t = skycorridor::sweep::DEFAULT_MAX_RUNS, value_name = "N")]
    pub max_runs: usize,
    /// Output folder.
    #[arg(long, default_value = "sweep")]
    pub out: PathBuf,
    /// Run only every N-th run starting at I (0-based), for batch schedulers; merge the
    /// shards' folders with sweep-merge.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<skycorridor::sweep::Shard>,
    /// Capacity threshold: losses of separation per flight hour.
    #[arg(long, default_value_t = 5.0)]
    pub max_los_per_fh: f64,
    /// Capacity threshold: mean delay, seconds.
    #[arg(long, default_value_t = 60.0)]
    pub max_delay_s: f64,
    /// Fixed overrides for every run, as in `run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Options of `skycorridor sweep-merge`.
#[derive(Debug, Args)]
pub struct SweepMergeArgs {
    /// Shard output folders.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "sweep")]
    pub out: PathBuf,
    /// Capacity threshold: losses of separation per flight hour.
    #[arg(long, default_value_t = 5.0)]
    pub max_los_per_fh: f64,
    /// Capacity threshold: mean delay, seconds.
    #[arg(long, default_value_t = 60.0)]
    pub max_delay_s: f64,
}

/// Runs the grid (or one shard of it) and writes the sweep folder.
pub fn main(a: SweepArgs) -> Result<()> {
    super::set_threads(a.threads)?;
    let file = &a.file;
    let (scenario, text) = skycorridor::scenario::load_file(file)?;
    let base = skycorridor::scenario::apply_overrides(&scenario, &a.set)?;
    // Check the base scenario once, with the file's line numbers, before running a grid.
    skycorridor::prepare(base.clone(), file, Some(&text))?;
    let size = skycorridor::sweep::grid_size(&a.vary, a.seeds);
    if size.is_none_or(|n| n > a.max_runs) {
        anyhow::bail!(
            "the grid has {} runs ({} seeds times every combination), over the limit of {} (raise it with --max-runs N)",
            size.map_or("more than 2^64".to_string(), |n| n.to_string()),
            a.seeds,
            a.max_runs
        );
    }
    let all = skycorridor::sweep::grid(&a.vary, base.seed, a.seeds);
    let total = all.len();
    let runs: Vec<_> = match a.shard {
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
    let (table, reports) = skycorridor::sweep::run_all(&base, &a.vary, &runs, || bar.inc(1))?;
    bar.finish_and_clear();
    write(&a.out, &table, &reports, (a.max_los_per_fh, a.max_delay_s))?;
    println!(
        "wrote         {}/sweep.csv ({} runs), runs/, plots ({:.1} s wall)",
        a.out.display(),
        table.rows.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Writes the sweep folder `out` with the plots' capacity thresholds `(LoS per flight
/// hour, mean delay in seconds)`.
fn write(out: &Path, table: &Table, reports: &RunReports, limits: (f64, f64)) -> Result<()> {
    super::create_dir(out)?;
    let limits = Limits {
        max_los_per_fh: limits.0,
        max_delay_s: limits.1,
    };
    Ok(folder::write(out, table, reports, limits)?)
}

/// Merges shards' folders into one.
pub fn merge(a: SweepMergeArgs) -> Result<()> {
    let (table, reports) = folder::read_merged(&a.dirs)?;
    write(&a.out, &table, &reports, (a.max_los_per_fh, a.max_delay_s))?;
    println!(
        "wrote         {}/sweep.csv ({} runs from {} shards)",
        a.out.display(),
        table.rows.len(),
        a.dirs.len()
    );
    Ok(())
}
