//! Tuning through the app, no window: a parameter change restarts the run re-planned with
//! it; a changed file reloads; a broken file keeps the last good scenario; "Save as"
//! writes a scenario `run` accepts unchanged.

use std::path::Path;

use bevy::MinimalPlugins;
use bevy::app::App;
use bevy::time::TimeUpdateStrategy;
use skycorridor::app::tuning::{Retune, ScenarioSource, TuningPlugin, TuningStatus, save_scenario};
use skycorridor::app::{SimPlugin, SimState};

use crate::scenario_path;

fn app(path: &Path) -> App {
    // As `view` does: the source keeps the whole scenario (the simulation lets its
    // explicit flights go once planned), so that tuning plans them again.
    let (scenario, text) = skycorridor::load_scenario(path, &[]).unwrap();
    let sim = skycorridor::prepare(scenario.clone(), path, Some(&text)).unwrap();
    let mut source = ScenarioSource::new(Some(path.to_path_buf()), Vec::new(), scenario);
    source.poll_s = 0.0;
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.insert_resource(SimState(sim));
    app.add_plugins(SimPlugin);
    app.insert_resource(source);
    app.add_plugins(TuningPlugin);
    app.insert_resource(TimeUpdateStrategy::FixedTimesteps(5));
    app.world_mut()
        .resource_mut::<bevy::time::Time<bevy::time::Virtual>>()
        .set_max_delta(std::time::Duration::from_secs(60));
    app.finish();
    app.cleanup();
    for _ in 0..5 {
        app.update();
    }
    app
}

#[test]
fn a_parameter_change_replans_and_restarts() {
    let mut app = app(&scenario_path("head_on.ron"));
    assert!(app.world().resource::<SimState>().0.time_s() >= 20.0);
    // Slow the northbound corridor to 5 m/s, as the panel would.
    let mut s = app.world().resource::<ScenarioSource>().scenario.clone();
    s.corridors[0].speed_limit_mps = 5.0;
    app.world_mut().resource_mut::<Retune>().request = Some(s);
    app.update();
    let sim = &app.world().resource::<SimState>().0;
    assert!(
        sim.time_s() <= 5.0,
        "restarted from zero: t = {}",
        sim.time_s()
    );
    assert_eq!(sim.scenario().corridors[0].speed_limit_mps, 5.0);
    let north = sim.flight_by_id("N").unwrap();
    let lane_seg = &sim.plan(north).path.segs[1];
    assert_eq!(lane_seg.u_max, 5.0, "the plan uses the new limit");
    let status = app.world().resource::<TuningStatus>();
    assert_eq!(status.restarts, 1);
    assert!(
        status.previous.as_ref().unwrap().simulated_s >= 20.0,
        "the replaced run's KPIs are kept"
    );
    assert_eq!(
        app.world().resource::<ScenarioSource>().scenario.corridors[0].speed_limit_mps,
        5.0
    );
}

#[test]
fn an_invalid_change_is_refused_and_the_run_goes_on() {
    let mut app = app(&scenario_path("head_on.ron"));
    let t = app.world().resource::<SimState>().0.time_s();
    let mut s = app.world().resource::<ScenarioSource>().scenario.clone();
    s.corridors[0].max_alt_m = 10.0;
    app.world_mut().resource_mut::<Retune>().request = Some(s);
    app.update();
    assert!(
        app.world().resource::<SimState>().0.time_s() > t,
        "still the old run, still going"
    );
    let e = app
        .world()
        .resource::<TuningStatus>()
        .error
        .clone()
        .unwrap();
    assert!(e.contains("empty altitude band"), "{e}");
}

#[test]
fn editing_the_file_reloads_it_and_a_broken_edit_keeps_the_last_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.ron");
    let text = std::fs::read_to_string(scenario_path("head_on.ron")).unwrap();
    std::fs::write(&file, &text).unwrap();
    let mut app = app(&file);
    // A later modification time, whatever the file system's resolution.
    let later = |f: &Path| {
        let t =
            std::fs::metadata(f).unwrap().modified().unwrap() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    let mut edit_and_poll = |value: &str| {
        std::fs::write(
            &file,
            text.replace("horizontal_m: 50.0", &format!("horizontal_m: {value}")),
        )
        .unwrap();
        later(&file);
        app.update();
        app.update();
        app.world()
            .resource::<SimState>()
            .0
            .scenario()
            .separation
            .horizontal_m
    };
    assert_eq!(edit_and_poll("70.0"), 70.0);
    assert_eq!(
        edit_and_poll("oops"),
        70.0,
        "a broken edit keeps the last good scenario"
    );
    let e = app
        .world()
        .resource::<TuningStatus>()
        .error
        .clone()
        .unwrap();
    assert!(e.contains("s.ron:9:"), "the error names file and line: {e}");
}

#[test]
fn save_as_writes_a_scenario_run_accepts_unchanged() {
    // The default (files it names by relative paths, read again from elsewhere) and one
    // with explicit flights (saved too).
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    for (path, corridor) in [(default, 3), (scenario_path("head_on.ron"), 0)] {
        let (mut s, _) = skycorridor::load_scenario(&path, &[]).unwrap();
        s.separation.horizontal_m = 65.0;
        s.corridors[corridor].speed_limit_mps = 17.5;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tuned.ron");
        save_scenario(&s, &file).unwrap();
        let (again, _) = skycorridor::load_scenario(&file, &[]).unwrap();
        assert_eq!(again, s);
        skycorridor::load(&file, &[]).unwrap();
    }
    let (head_on, _) = skycorridor::load_scenario(&scenario_path("head_on.ron"), &[]).unwrap();
    assert!(
        !head_on.demand.flights.is_empty(),
        "explicit flights saved too"
    );
}

#[test]
fn the_resolution_method_can_be_switched_live() {
    let mut app = app(&scenario_path("head_on.ron"));
    let mut s = app.world().resource::<ScenarioSource>().scenario.clone();
    s.deconfliction.tactical = skycorridor::scenario::Tactical::Vertical;
    app.world_mut().resource_mut::<Retune>().request = Some(s);
    app.update();
    // Run the restarted head-on encounter through: the new method resolves it.
    let sim = &mut app.world_mut().resource_mut::<SimState>().0;
    assert_eq!(
        sim.scenario().deconfliction.tactical,
        skycorridor::scenario::Tactical::Vertical
    );
    sim.run_to_end();
    let r = skycorridor::metrics::Report::from_sim(sim);
    assert_eq!(r.losses_of_separation, 0);
    assert_eq!(r.tactical.vertical_manoeuvres, 1);
}
