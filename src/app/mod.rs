//! Bevy glue: [`SimPlugin`] steps the simulation core in `FixedUpdate`, and
//! [`run_headless`] drives a `MinimalPlugins` app as fast as the machine allows.
//!
//! The core does not know Bevy: the plugin owns a [`SimState`] resource holding the
//! [`Simulation`] and calls its `step` once per fixed tick. The window (a later plugin)
//! adds rendering on top of the same app and only reads `SimState`.

use std::time::Duration;

use bevy::MinimalPlugins;
use bevy::app::{App, FixedUpdate, Plugin};
use bevy::ecs::prelude::*;
use bevy::time::{Fixed, Time, TimeUpdateStrategy, Virtual};

use crate::sim::Simulation;

pub mod tuning;

/// The simulation, as a Bevy resource.
#[derive(Resource)]
pub struct SimState(pub Simulation);

/// Steps [`SimState`] once per fixed tick, with the fixed timestep set to the scenario's
/// `dt_s`. Insert `SimState` before adding the plugin.
pub struct SimPlugin;

/// System set of the simulation step, for ordering rendering after it.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimStep;

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        let dt = app
            .world()
            .get_resource::<SimState>()
            .map(|s| s.0.scenario().dt_s)
            .expect("insert SimState before adding SimPlugin");
        app.insert_resource(Time::<Fixed>::from_seconds(dt));
        app.add_systems(FixedUpdate, step_simulation.in_set(SimStep));
    }
}

fn step_simulation(mut sim: ResMut<SimState>) {
    sim.0.step();
}

/// Runs `sim` to the end of its scenario in a headless Bevy app (`MinimalPlugins` +
/// [`SimPlugin`]), `batch` fixed ticks per app
/// update, calling `progress` after each update. Returns the finished simulation.
pub fn run_headless(
    sim: Simulation,
    batch: u32,
    mut progress: impl FnMut(&Simulation),
) -> Simulation {
    let dt = sim.scenario().dt_s;
    let batch = batch.max(1);
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.insert_resource(SimState(sim));
    app.add_plugins(SimPlugin);
    app.insert_resource(TimeUpdateStrategy::FixedTimesteps(batch));
    // Virtual time caps one update at 250 ms by default, which would drop ticks.
    app.world_mut()
        .resource_mut::<Time<Virtual>>()
        .set_max_delta(Duration::from_secs_f64(dt * batch as f64 * 2.0 + 1.0));
    app.finish();
    app.cleanup();
    loop {
        app.update();
        let state = &app.world().resource::<SimState>().0;
        progress(state);
        if state.finished() {
            break;
        }
    }
    app.world_mut()
        .remove_resource::<SimState>()
        .expect("SimState stays in the world")
        .0
}
