//! The Bevy wrapper steps the core exactly as the core steps itself.

use std::path::Path;

use bevy::MinimalPlugins;
use bevy::app::App;
use bevy::time::TimeUpdateStrategy;
use skycorridor::app::{SimPlugin, SimState, run_headless};
use skycorridor::metrics::{self, Report};
use skycorridor::scenario::Override;

fn default_sim(duration: &str) -> skycorridor::sim::Simulation {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let set = vec![Override {
        path: "duration_s".into(),
        value: duration.into(),
    }];
    skycorridor::load(&file, &set).unwrap()
}

#[test]
fn headless_app_gives_the_same_outputs_as_the_core_loop() {
    let mut direct = default_sim("900");
    direct.run_to_end();
    let mut calls = 0;
    let via_app = run_headless(default_sim("900"), 7, |_| calls += 1);
    assert_eq!(via_app.steps(), 900);
    assert!(calls >= 900 / 7, "progress is reported every update");
    assert_eq!(Report::from_sim(&direct), Report::from_sim(&via_app));
    assert_eq!(metrics::events_csv(&direct), metrics::events_csv(&via_app));
    assert_eq!(
        metrics::flights_csv(&direct),
        metrics::flights_csv(&via_app)
    );
}

#[test]
fn sim_plugin_runs_one_step_per_fixed_tick() {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.insert_resource(SimState(default_sim("600")));
    app.add_plugins(SimPlugin);
    app.insert_resource(TimeUpdateStrategy::FixedTimesteps(3));
    app.world_mut()
        .resource_mut::<bevy::time::Time<bevy::time::Virtual>>()
        .set_max_delta(std::time::Duration::from_secs(10));
    app.finish();
    app.cleanup();
    app.update(); // the first update advances no time
    for _ in 0..4 {
        app.update();
    }
    let sim = &app.world().resource::<SimState>().0;
    assert_eq!(sim.steps(), 12);
    assert_eq!(sim.time_s(), 12.0);
}
