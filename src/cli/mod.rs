//! The subcommands, one module each: `run`, `sweep` and `sweep-merge`, `export`, `scale`, `generate`,
//! `view`, `validate`, `bench`. Each parses its options (a clap `Args` struct), calls the
//! library and prints; KPIs and file formats live in the library.

mod bench;
mod export;
mod generate;
mod run;
mod scale;
mod sweep;
mod validate;
mod view;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use skycorridor::DEFAULT_SCENARIO;
use skycorridor::scenario::Override;

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
    Run(run::RunArgs),
    /// Run a grid of scenario variants (any field, times seeds) in parallel: sweep.csv
    /// with every KPI per run, plots, and the capacity curve when demand.scale varies.
    Sweep(sweep::SweepArgs),
    /// Merge the output folders of sweep shards into one (sweep.csv, reports, plots).
    SweepMerge(sweep::SweepMergeArgs),
    /// Export a scenario for other tools: its network as GeoJSON, its planned flights as a
    /// BlueSky scenario.
    Export(export::ExportArgs),
    /// Write a copy of a scenario with its demand scaled to a number of drones in the air
    /// (Little's law) and pads raised to match.
    Scale(scale::ScaleArgs),
    /// Write a GBA-wide layered corridor network with its vertiports, trunks, gates and
    /// demand, from a template scenario and the cities' populations: how
    /// scenarios/gba_100k.ron and gba_10k.ron are made.
    Generate(generate::GenerateArgs),
    /// Watch a scenario fly in a window: pan, zoom, pause, speed up, click a drone.
    View(view::ViewArgs),
    /// Check a scenario and print a one-screen summary of its network and demand.
    Validate(validate::ValidateArgs),
    /// Measure the simulation step on synthetic traffic: drones in the air, 1 s step,
    /// 30 s look-ahead, R-tree separation checks every step.
    Bench(bench::BenchArgs),
}

/// Parses the command line and runs the subcommand.
pub fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Run(a) => run::main(a),
        Command::Sweep(a) => sweep::main(a),
        Command::SweepMerge(a) => sweep::merge(a),
        Command::Export(a) => export::main(a),
        Command::Scale(a) => scale::main(a),
        Command::Generate(a) => generate::main(a),
        Command::View(a) => view::main(a),
        Command::Validate(a) => validate::main(a),
        Command::Bench(a) => bench::main(a),
    }
}

/// Sets the size of rayon's global pool (all cores without `threads`).
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

/// `--set` overrides with `field=value` added for an option given on its own.
fn with_override(mut set: Vec<Override>, field: &str, value: Option<String>) -> Vec<Override> {
    if let Some(value) = value {
        set.push(Override {
            path: field.into(),
            value,
        });
    }
    set
}

/// Creates a folder (and its parents), naming it if that fails.
fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}
