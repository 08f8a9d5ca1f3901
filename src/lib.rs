//! skycorridor: a flight-planning simulator for low-altitude drone corridors.
//!
//! Crate map, from input to output:
//! - [`ids`]: typed indices of flights, plans, lanes and nodes.
//! - [`scenario`]: RON scenario types, loading with line/column errors, `--set`
//!   overrides, validation.
//! - [`network`]: the corridor graph (nodes, directed altitude lanes) in a local metric
//!   frame; zone checks.
//! - [`planner`]: demand sampling, A* routes, 3D paths and their 4D (timed) plans.
//! - [`sim`]: fixed-step kinematics, pads, batteries, R-tree separation checks, events.
//! - [`metrics`]: KPIs and the report files.
//! - [`fuzz`]: the fuzz harness (any bytes through loader, validation, planning, a minute of simulation).
//! - [`interop`]: GeoJSON out and in, BlueSky scenarios.
//! - [`sweep`]: parameter sweeps, shards, capacity, plots.
//! - [`app`]: the Bevy `SimPlugin` and the headless runner.
//! - [`bench`](mod@bench): synthetic traffic for the separation and step benchmarks.
//! - `viewer` (feature `viewer`, on by default): the desktop window, Bevy rendering and
//!   egui panels over the same app; it only reads the simulation.
//!
//! Glossary and conventions: distances in metres (`_m`), times in seconds (`_s`), speeds
//! in m/s (`_mps`), energy in watt-hours (`_wh`). Geographic positions are WGS84 degrees
//! named `lat`/`lon`; local positions are `[east_m, north_m, alt_m]` in the frame of
//! [`network::frame`]. A *lane* is one direction of a corridor at one altitude. Flights are
//! indexed in departure order; every output lists them in that order.
//!
//! The simulation core (all but `app`) never touches rendering and needs no display.

#![warn(missing_docs)]

pub mod app;
pub mod bench;
pub mod fuzz;
pub mod generate;
pub mod ids;
pub mod interop;
pub mod metrics;
pub mod monitor;
pub mod network;
pub mod planner;
pub mod scale;
pub mod scenario;
pub mod sim;
pub mod sweep;
#[cfg(feature = "viewer")]
pub mod viewer;

use std::path::Path;
use std::sync::Arc;

use network::Network;
use planner::PlanKeeping;
use scenario::{Override, Scenario, ScenarioError};
use sim::Simulation;

/// The scenario shipped as the default for `run` and `view`, relative to the crate root.
pub const DEFAULT_SCENARIO: &str = "scenarios/gba_default.ron";

/// Validates a parsed scenario, builds its network and plans every flight. `path` and
/// `source` (the file's text, if any) let errors point at the offending line.
pub fn prepare(
    scenario: Scenario,
    path: &Path,
    source: Option<&str>,
) -> Result<Simulation, ScenarioError> {
    prepare_keeping(scenario, (path, source), PlanKeeping::All)
}

/// [`prepare`], keeping of each plan what `keeping` says: `run` keeps only the plans of
/// flights in progress ([`PlanKeeping::InUse`]), the window and exports keep all.
pub fn prepare_keeping(
    scenario: Scenario,
    (path, source): (&Path, Option<&str>),
    keeping: PlanKeeping,
) -> Result<Simulation, ScenarioError> {
    let fail = |errors| ScenarioError::invalid(path, source, errors);
    scenario::validate(&scenario).map_err(fail)?;
    let net = Network::build(&scenario).map_err(fail)?;
    let planned = planner::plan_all_keeping(&scenario, &net, keeping).map_err(fail)?;
    let (plans, flights) = (planned.plans, planned.flights);
    // The explicit flights are now the planned flights (ids, departures, priorities,
    // plans): the simulation keeps the scenario without its copy of them, four strings
    // a flight, a quarter of a kilobyte (a fifth of the bench's memory per drone).
    let mut scenario = scenario;
    scenario.demand.flights = Vec::new();
    sim::give_back_freed_memory();
    let mut sim = Simulation::new(scenario, Arc::new(net), plans, flights);
    sim.keep_reservations(planned.bookings);
    if keeping == PlanKeeping::InUse {
        sim.keep_plans_in_use();
        sim.forget_past_bookings();
    }
    Ok(sim)
}

/// Reads a scenario file and applies `--set` overrides: the scenario, whole, and the
/// file's text as read.
pub fn load_scenario(
    path: &Path,
    overrides: &[Override],
) -> Result<(Scenario, String), ScenarioError> {
    let (scenario, text) = scenario::load_file(path)?;
    Ok((scenario::apply_overrides(&scenario, overrides)?, text))
}

/// Reads a scenario file, applies `--set` overrides, and prepares the simulation.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Simulation, ScenarioError> {
    load_with_text(path, overrides).map(|(sim, _)| sim)
}

/// [`load`], also giving the file's text as read (what a recording keeps).
pub fn load_with_text(
    path: &Path,
    overrides: &[Override],
) -> Result<(Simulation, String), ScenarioError> {
    load_keeping(path, overrides, PlanKeeping::All)
}

/// [`load_with_text`], keeping of each plan what `keeping` says (see
/// [`prepare_keeping`]).
pub fn load_keeping(
    path: &Path,
    overrides: &[Override],
    keeping: PlanKeeping,
) -> Result<(Simulation, String), ScenarioError> {
    let (scenario, text) = load_scenario(path, overrides)?;
    Ok((
        prepare_keeping(scenario, (path, Some(&text)), keeping)?,
        text,
    ))
}
