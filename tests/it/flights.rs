//! FATOs, holding and batteries on small scenarios derived by hand.

use skycorridor::ids::FlightId;
use skycorridor::metrics::{self, Report};
use skycorridor::sim::Status;

use crate::{close, head_on_with, prepare_text, scenario_text};

/// Both flights from A1 to B1; A1 has `fatos_a` FATOs.
fn same_route(fatos_a: u32) -> skycorridor::sim::Simulation {
    let text = scenario_text("head_on.ron")
        .replace(
            "(id: \"A1\", kind: Vertiport(fatos: 1,",
            &format!("(id: \"A1\", kind: Vertiport(fatos: {fatos_a},"),
        )
        .replace(
            "origin: \"A2\", destination: \"B2\"",
            "origin: \"A1\", destination: \"B1\"",
        )
        .replace("duration_s: 400.0", "duration_s: 600.0");
    let mut sim = prepare_text(&text, "same_route.ron").unwrap();
    sim.run_to_end();
    sim
}

#[test]
fn second_departure_waits_for_the_climb_to_clear_the_fato() {
    // One FATO at A1. N takes off at 0 and is at s = 10 t - 5: past the 90 m climb to the
    // departure level after the step ending at t = 10, so S takes off at 10 (the
    // connector's 10 s headway allows it too). B1's one FATO is taken until 15 s after
    // N's touchdown, longer than the 10 s between them: S holds for it.
    let sim = same_route(1);
    let (n, s) = (&sim.states()[0], &sim.states()[1]);
    assert_eq!((n.takeoff_s, s.takeoff_s), (0.0, 10.0));
    assert!(s.end_s - n.end_s > 15.0);
    let r = Report::from_sim(&sim);
    assert_eq!(r.ground_delay_s.max, 10.0);
    assert!(r.holding_s_total > 0.0);
    // With two FATOs at A1 the connector still admits one a headway (10 s) after the
    // other: the same take-offs.
    let sim = same_route(2);
    let t: Vec<f64> = sim.states().iter().map(|s| s.takeoff_s).collect();
    assert_eq!(t, [0.0, 10.0]);
}

#[test]
fn empty_battery_ends_the_flight_and_is_reported() {
    // 5 Wh. Climbing (1.3 x 1000 W) during the 10 steps that start on the 90 m climb
    // (s = 10 t - 5 reaches 90 in the step from 9 to 10): 10 x 1300 / 3600 = 3.611 Wh;
    // then 800 W at 10 m/s = 0.2222 Wh per step: 5 Wh is passed in the 7th level step,
    // which ends at t = 17.
    let mut sim = head_on_with("battery_wh: 1000.0", "battery_wh: 5.0").unwrap();
    sim.run_to_end();
    for st in sim.states() {
        assert_eq!(st.status, Status::BatteryDepleted);
        assert_eq!(st.end_s, 17.0);
        close(
            st.final_dynamics().energy_wh,
            10.0 * 1300.0 / 3600.0 + 7.0 * 800.0 / 3600.0,
            1e-9,
        );
    }
    let r = Report::from_sim(&sim);
    assert_eq!(r.flights.battery_depleted, 2);
    assert_eq!(r.flights.completed, 0);
    assert_eq!(sim.airborne_count(), 0);
    let csv = String::from_utf8(metrics::flights_csv(&sim)).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(row.contains(",battery_depleted,"), "{row}");
    assert!(
        row.ends_with(",90.0"),
        "the position where it ended is reported: {row}"
    );
}

#[test]
fn flights_are_counted_once_by_outcome() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let set = vec!["duration_s=1800".parse().unwrap()];
    let mut sim = skycorridor::load(&file, &set).unwrap();
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    let f = &r.flights;
    assert!(f.completed > 100 && f.airborne_at_end > 10, "{f:?}");
    crate::assert_every_flight_accounted(&r);
    assert_eq!(
        f.departed,
        f.completed + f.airborne_at_end + f.battery_depleted
    );
    // Lane entries: every departed flight entered its first lane.
    let entries: u64 = r
        .corridors
        .iter()
        .flat_map(|c| &c.lanes)
        .map(|l| l.entries)
        .sum();
    assert!(entries >= f.departed as u64 - f.airborne_at_end as u64);
    // A flight nobody held (for a FATO or at a border gate) flew exactly its plan.
    for (i, st) in sim.states().iter().enumerate() {
        if st.status == Status::Completed
            && st.final_dynamics().holding_s == 0.0
            && !st.final_dynamics().fato_waited
            && sim.gates().wait_s(FlightId::new(i)) == 0.0
        {
            let planned = st.takeoff_s + sim.plan(FlightId::new(i)).duration_s;
            assert_eq!(st.end_s, planned, "flight {}", sim.flights()[i].id);
        }
    }
}

#[test]
fn a_report_in_mid_run_counts_the_drones_still_flying() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let mut sim = skycorridor::load(&file, &[]).unwrap();
    for _ in 0..600 {
        sim.step();
    }
    let in_air: f64 = sim.airborne().map(|(_, d)| d.energy_wh).sum();
    let r = Report::from_sim(&sim);
    assert!(
        in_air > 1000.0,
        "drones in the air have used energy: {in_air}"
    );
    assert!(r.energy_wh > in_air, "{} <= {in_air}", r.energy_wh);
    let flown: f64 = sim.airborne().map(|(_, d)| d.motion.s).sum::<f64>() / 1000.0;
    assert!(r.distance_km > flown);
}

#[test]
fn a_time_of_day_profile_shapes_the_departures() {
    // 60 flights/h, from 08:00: nothing until 10:00, then twice the rate (a step in the
    // profile), so about 240 in the third and fourth hour and none before.
    let text = scenario_text("head_on.ron")
        .replace("duration_s: 400.0", "duration_s: 14400.0")
        .replace(
            "    demand: (\n        flights: [",
            "    demand: (\n        profile: [(8.0, 0.0), (10.0, 0.0), (10.0, 2.0), (12.0, 2.0)],\n        start_hour: 8.0,\n        flows: [(origin: \"A1\", destination: \"B1\", flights_per_hour: 60.0, mix: {\"test\": 1.0})],\n        flights: [",
        );
    let sim = prepare_text(&text, "profile.ron").unwrap();
    let sampled: Vec<f64> = sim
        .flights()
        .iter()
        .filter(|f| f.id.starts_with("A1>B1"))
        .map(|f| f.scheduled_s)
        .collect();
    assert!(
        sampled.iter().all(|&t| t >= 7200.0),
        "no departure while the factor is 0"
    );
    assert!(
        (180..=300).contains(&sampled.len()),
        "{} departures in two hours at 120/h",
        sampled.len()
    );
    // The factor by hand: half-way up a ramp from 0.3 at 06:00 to 1.6 at 08:00.
    let d = skycorridor::scenario::Demand {
        profile: vec![(6.0, 0.3), (8.0, 1.6)],
        start_hour: 6.0,
        ..Default::default()
    };
    close(d.factor_at(3600.0), 0.95, 1e-12);
    close(d.factor_at(-3600.0), 0.3, 1e-12);
    close(d.factor_at(3.0 * 3600.0), 1.6, 1e-12);
    // A decreasing profile is an error.
    let bad = scenario_text("head_on.ron").replace(
        "    demand: (\n",
        "    demand: (\n        profile: [(9.0, 1.0), (8.0, 1.0)],\n",
    );
    let e = prepare_text(&bad, "bad.ron").err().unwrap().to_string();
    assert!(e.contains("hours must not decrease"), "{e}");
}

#[test]
fn streamed_trajectory_files_equal_the_in_memory_ones() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hk_sz_crossborder.ron");
    let set: Vec<skycorridor::scenario::Override> =
        ["duration_s=1200", "deconfliction.tactical=Mvp"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
    let mut kept = skycorridor::load(&path, &set).unwrap();
    kept.record_trajectories(5.0);
    kept.run_to_end();
    let (csv, geojson) = metrics::trajectory_files(&kept).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut streamed = skycorridor::load(&path, &set).unwrap();
    let files = metrics::TrajectoryFiles::create(dir.path()).unwrap();
    streamed.stream_trajectories(5.0, Box::new(files));
    streamed.run_to_end();
    assert!(
        metrics::trajectory_files(&streamed).is_none(),
        "nothing kept in memory"
    );
    streamed.finish_trajectories().unwrap();
    // Writing the other outputs afterwards leaves the streamed files alone.
    let report = Report::from_sim(&streamed);
    metrics::write_outputs(&streamed, &report, dir.path()).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("trajectories.csv")).unwrap(),
        csv
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("trajectories.geojson")).unwrap(),
        geojson
    );
    // No scratch or temporary file is left.
    assert_eq!(
        crate::file_names(dir.path()),
        [
            "events.csv",
            "flights.csv",
            "plans.csv",
            "report.json",
            "report.md",
            "trajectories.csv",
            "trajectories.geojson"
        ]
    );
    // The case covers flights that ended and flights still in the air at the end.
    let r = Report::from_sim(&kept);
    assert!(
        r.flights.completed > 10 && r.flights.airborne_at_end > 10,
        "{:?}",
        r.flights
    );
}

/// A square lattice of `n` x `n` points a kilometre apart, east-west corridors at 30-70 m
/// and north-south ones at 70-110 m (the generated region files' layers), with
/// vertiports at points `from` and `to` and one flight between them.
fn lattice(n: usize, from: (usize, usize), to: (usize, usize)) -> String {
    let id = |i: usize, j: usize| format!("N{i}_{j}");
    let mut nodes = String::new();
    let mut corridors = String::new();
    for i in 0..n {
        for j in 0..n {
            let corner = (i, j) == from || (i, j) == to;
            let kind = if corner {
                "kind: Vertiport(fatos: 1, turnaround_s: 0.0), "
            } else {
                ""
            };
            // Off the lattice by up to 0.4 m, as rounded coordinates are: no two
            // staircases take exactly the same time.
            let jitter = |k: usize| ((k * 7919) % 9) as f64 * 0.1 - 0.4;
            nodes += &format!(
                "(id: \"{}\", {kind}east_m: {:.1}, north_m: {:.1}),\n",
                id(i, j),
                1000.0 * i as f64 + jitter(3 * i + 5 * j),
                1000.0 * j as f64 + jitter(11 * i + 2 * j + 1)
            );
            let band = |east: bool| if east { (30, 70) } else { (70, 110) };
            for (east, (a, b)) in [(true, (i + 1, j)), (false, (i, j + 1))] {
                if a < n && b < n {
                    let (lo, hi) = band(east);
                    corridors += &format!(
                        "(id: \"{}~{}\", from: \"{}\", to: \"{}\", min_alt_m: {lo}.0, \
                         max_alt_m: {hi}.0, direction: TwoWay, speed_limit_mps: 12.0),\n",
                        id(i, j),
                        id(a, b),
                        id(i, j),
                        id(a, b)
                    );
                }
            }
        }
    }
    format!(
        "(name: \"lattice\", seed: 1, dt_s: 1.0, duration_s: 60.0,
          reference: (lat: 22.5, lon: 114.0),
          nodes: [{nodes}], corridors: [{corridors}],
          drone_types: [(id: \"test\", cruise_speed_mps: 12.0, climb_rate_mps: 5.0,
              descent_rate_mps: 5.0, accel_mps2: 3.0, battery_wh: 1000.0,
              hover_power_w: 1000.0, cruise_power_w: 800.0)],
          demand: (flights: [(id: \"F\", origin: \"{}\", destination: \"{}\",
              drone_type: \"test\", departure_s: 0.0)]))",
        id(from.0, from.1),
        id(to.0, to.1)
    )
}

#[test]
fn a_route_across_a_lattice_turns_once() {
    // Every staircase from one corner of a lattice to the other takes the same time to
    // within millimetres; the router takes the one with the fewest turns (each a change
    // of level and a merge into another stream): one leg east or west, one north or
    // south. By flight time alone (no turn cost) these routes took 6, 5, 8, 10 and 3
    // turns.
    for (n, from, to) in [
        (6, (0, 0), (5, 5)),
        (6, (5, 0), (0, 5)),
        (7, (6, 6), (0, 0)),
        (8, (0, 7), (7, 0)),
        (5, (1, 0), (4, 3)),
    ] {
        let sim = prepare_text(&lattice(n, from, to), "lattice.ron").unwrap();
        let net = sim.net();
        let plan = sim.plan(FlightId::new(0));
        let mesh: Vec<_> = plan
            .lanes
            .iter()
            .map(|&l| &net.lanes[l])
            .filter(|l| !l.connector)
            .collect();
        let (dx, dy) = (from.0.abs_diff(to.0), from.1.abs_diff(to.1));
        assert_eq!(mesh.len(), dx + dy, "a shortest route on {n} x {n}");
        let headings: Vec<bool> = mesh
            .iter()
            .map(|l| {
                let (a, b) = (net.nodes[l.from].en, net.nodes[l.to].en);
                (a[0] - b[0]).abs() > (a[1] - b[1]).abs()
            })
            .collect();
        let turns = headings.windows(2).filter(|w| w[0] != w[1]).count();
        assert_eq!(turns, 1, "{n} x {n} from {from:?} to {to:?}: {headings:?}");
    }
}
