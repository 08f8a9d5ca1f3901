//! Tactical resolution: overtaking, head-on and crossing encounters resolved without loss
//! of separation by the expected manoeuvre; regression tests for the failure modes other
//! simulators show; the default scenario with and without resolution.

use std::path::Path;

use skycorridor::ids::FlightId;
use skycorridor::metrics::Report;
use skycorridor::scenario::Override;
use skycorridor::sim::Simulation;

use crate::scenario_path;

fn run(name: &str, set: &[&str]) -> Simulation {
    let set: Vec<Override> = set.iter().map(|s| s.parse().unwrap()).collect();
    let mut sim = skycorridor::load(&scenario_path(name), &set).unwrap();
    sim.set_verify_separation(true);
    sim.run_to_end();
    assert_eq!(
        sim.separation_mismatches(),
        0,
        "the R-tree check stays exact with manoeuvres"
    );
    sim
}

fn flight(sim: &Simulation, id: &str) -> FlightId {
    sim.flight_by_id(id).unwrap()
}

#[test]
fn overtaking_is_resolved_by_slowing_the_follower() {
    let off = Report::from_sim(&run("overtake.ron", &[]));
    assert!(
        off.losses_of_separation >= 1,
        "without resolution the fast drone runs into the slow one"
    );
    let sim = run("overtake.ron", &["deconfliction.tactical=Speed"]);
    let r = Report::from_sim(&sim);
    // None en route. (Following at the minimum plus 10 m, the follower meets the leader's
    // final descent at the vertiport: pads sequence that, tactical resolution does not.)
    assert_eq!(
        r.losses_of_separation - r.losses_of_separation_at_vertiports,
        0
    );
    assert!(
        r.conflicts >= 1 && r.tactical.speed_manoeuvres >= 1 && r.tactical.vertical_manoeuvres == 0
    );
    let (slow, fast) = (flight(&sim, "SLOW"), flight(&sim, "FAST"));
    assert!(
        sim.states()[fast].final_dynamics().manoeuvring_s > 0.0
            && sim.states()[slow].final_dynamics().manoeuvring_s == 0.0,
        "only the follower gives way"
    );
    assert!(
        sim.states()[fast].end_s > sim.flights()[fast].unconstrained_arrival_s + 100.0,
        "the follower arrives behind the leader"
    );
    assert_eq!(r.flights.completed, 2);
    // Vertical: the follower passes above or below instead, and nobody is slowed.
    let r = Report::from_sim(&run("overtake.ron", &["deconfliction.tactical=Vertical"]));
    assert_eq!(
        r.losses_of_separation - r.losses_of_separation_at_vertiports,
        0
    );
    assert!(r.tactical.vertical_manoeuvres >= 1 && r.tactical.speed_manoeuvres == 0);
}

#[test]
fn head_on_is_resolved_by_one_drone_changing_level() {
    let sim = run("head_on.ron", &["deconfliction.tactical=Vertical"]);
    let r = Report::from_sim(&sim);
    assert_eq!((r.conflicts >= 1, r.losses_of_separation), (true, 0));
    // Regression: only one of a co-altitude pair moves (never both climbing together).
    let moved: Vec<bool> = sim
        .states()
        .iter()
        .map(|s| s.final_dynamics().offset_flown_m > 0.0)
        .collect();
    assert_eq!(moved.iter().filter(|m| **m).count(), 1, "{moved:?}");
    // Regression: resolving does not overshoot the destination: both land on their FATOs.
    for (i, st) in sim.states().iter().enumerate() {
        let plan = sim.plan(FlightId::new(i));
        let t = sim.net().terminal(plan.destination).unwrap();
        let fato = t.fatos[plan.fato[1] as usize];
        assert_eq!(st.status, skycorridor::sim::Status::Completed);
        assert!(
            (st.final_dynamics().pos[0] - fato[0]).abs() < 1e-6
                && (st.final_dynamics().pos[1] - fato[1]).abs() < 1e-6
        );
        assert_eq!(st.final_dynamics().pos[2], t.ground_alt_m);
        assert_eq!(st.final_dynamics().offset_m, 0.0);
    }
}

#[test]
fn crossing_is_resolved_by_mvp() {
    let off = Report::from_sim(&run("crossing.ron", &[]));
    assert!(
        off.losses_of_separation >= 1,
        "without resolution they meet at the crossing"
    );
    let r = Report::from_sim(&run("crossing.ron", &["deconfliction.tactical=Mvp"]));
    assert_eq!(r.losses_of_separation, 0);
    assert!(r.tactical.vertical_manoeuvres + r.tactical.speed_manoeuvres >= 1);
    assert_eq!(r.flights.completed, 2);
}

#[test]
fn speed_is_never_driven_below_the_minimum() {
    // A leader at 3 m/s, a follower that may not fly slower than 6 m/s: it is slowed to 6,
    // not to the leader's speed (and a loss of separation is then accepted, not a stall).
    let sim = run(
        "overtake.ron",
        &[
            "deconfliction.tactical=Speed",
            "drone_types.slow.cruise_speed_mps=3",
            "drone_types.fast.min_speed_mps=6",
        ],
    );
    let fast = flight(&sim, "FAST");
    let mut sim2 = skycorridor::load(
        &scenario_path("overtake.ron"),
        &[
            "deconfliction.tactical=Speed",
            "drone_types.slow.cruise_speed_mps=3",
            "drone_types.fast.min_speed_mps=6",
        ]
        .map(|s| s.parse().unwrap()),
    )
    .unwrap();
    sim2.record_trajectories(1.0);
    sim2.run_to_end();
    let log = sim2.trajectory().unwrap();
    let cruising: Vec<f64> = log
        .points
        .iter()
        .filter(|p| p.flight == fast && p.state.name() == "cruising" && p.t_s > 60.0)
        .map(|p| p.speed_mps)
        .collect();
    assert!(!cruising.is_empty());
    assert!(cruising.iter().all(|&v| v >= 6.0 - 1e-9), "{cruising:?}");
    assert!(sim.states()[fast].final_dynamics().manoeuvring_s > 0.0);
}

#[test]
fn no_manoeuvre_leaves_the_lanes_own_slice_of_the_cut_band() {
    // The default scenario, where Hong Kong and Macau cut bands at 150 m and 120 m and
    // most corridors are two-way (each direction its half of the band): every drone moved
    // off its level by resolution stays inside its lane's slice, every step.
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    for method in ["Vertical", "Mvp"] {
        let set = vec![Override {
            path: "deconfliction.tactical".into(),
            value: method.into(),
        }];
        let mut sim = skycorridor::load(&file, &set).unwrap();
        let mut offset_steps = 0;
        while !sim.finished() {
            sim.step();
            let net = sim.net().clone();
            for (f, d) in sim.airborne() {
                let seg = &sim.plan(f).path.segs[d.motion.seg as usize];
                let Some(lane) = seg.lane else { continue };
                let l = &net.lanes[lane];
                // (A drone in the terminal area's stack or line is offset by it, not by
                // resolution.)
                if l.connector || d.offset_m == 0.0 || seg.dir[2] != 0.0 || d.fato_asked {
                    continue;
                }
                offset_steps += 1;
                assert!(
                    d.pos.z >= l.band_m.0 - 1e-6 && d.pos.z <= l.band_m.1 + 1e-6,
                    "{method}: {} at {:.1} m outside {:?} on {} at t={}",
                    sim.flights()[f].id,
                    d.pos.z,
                    l.band_m,
                    net.lane_name(lane),
                    sim.time_s()
                );
            }
        }
        assert!(offset_steps > 100, "{method}: {offset_steps}");
    }
}

#[test]
fn a_drone_far_behind_its_plan_is_replanned_and_its_bookings_follow() {
    // The default scenario with strategic deconfliction: every flight flies its cleared
    // plan exactly, but every tenth is told to leave its stand 40 s late. With a 10 s
    // threshold those are re-planned in flight, and their bookings move with them.
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let set: Vec<Override> = [
        "deconfliction.strategic=true",
        "deconfliction.replan_after_s=10",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let mut sim = skycorridor::load(&file, &set).unwrap();
    let late: Vec<FlightId> = (0..sim.flights().len())
        .step_by(10)
        .map(FlightId::new)
        .collect();
    for &f in &late {
        sim.delay_takeoff(f, 40.0);
    }
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    assert!(
        r.tactical.replans >= late.len() as u64 / 2,
        "{}",
        r.tactical.replans
    );
    // Nobody else is re-planned: the others fly their plans, at most spaced behind a
    // late one.
    let on_time = (0..sim.flights().len())
        .map(FlightId::new)
        .filter(|f| !late.contains(f))
        .filter(|&f| sim.booked_departure(f) != sim.flights()[f].departure_s)
        .count();
    assert!(on_time < late.len(), "{on_time} on-time flights re-planned");
    let replanned: Vec<FlightId> = (0..sim.flights().len())
        .map(FlightId::new)
        .filter(|&f| {
            sim.states()[f].status == skycorridor::sim::Status::Completed
                && sim.booked_departure(f) > sim.flights()[f].departure_s + 10.0
        })
        .collect();
    assert!(!replanned.is_empty());
    let table = sim.reservations().unwrap();
    for &f in &replanned {
        // Its booked arrival is within one threshold and check interval of the real one,
        // and its destination FATO is booked at the real landing.
        let end = sim.states()[f].end_s;
        let booked_arrival = sim.booked_departure(f) + sim.fleet().cleared_plan(f).duration_s;
        assert!(
            (end - booked_arrival).abs() <= 10.0 + 10.0,
            "booked {booked_arrival}, landed {end}"
        );
        assert!(table.fatos_in_use(sim.plan(f).destination, end - 5.0, end) >= 1);
    }
    // Without strategic deconfliction there is no table to keep.
    assert!(
        run("overtake.ron", &["deconfliction.tactical=Speed"])
            .reservations()
            .is_none()
    );
}

#[test]
fn strategic_lane_bookings_keep_a_faster_drone_behind_a_slower_one() {
    // overtake.ron: the fast drone (16 m/s) filed 20 s after the slow one (8 m/s) would
    // catch it inside the lane. Cleared, it leaves the lane at least one headway (10 s)
    // after the slow one, at the earliest departure all its bookings allow: so it never
    // catches up, and there is nothing for tactical resolution to do.
    let sim = run(
        "overtake.ron",
        &[
            "deconfliction.strategic=true",
            "deconfliction.tactical=Speed",
        ],
    );
    let (slow, fast) = (flight(&sim, "SLOW"), flight(&sim, "FAST"));
    let (slow_exit, fast_exit) = (lane_exit(&sim, slow), lane_exit(&sim, fast));
    assert!(
        fast_exit >= slow_exit + 10.0 - 1e-9,
        "{fast_exit} vs {slow_exit}"
    );
    assert_cleared_at_the_earliest(&sim, fast);
    let dep = sim.flights()[fast].departure_s;
    // By hand: LANE is 4 km, 500 s for the slow one and 250 s for the fast one, and the
    // slow one (departing at 0) also takes longer to reach it; so the fast one leaves at
    // least 500 - 250 + 10 = 260 s after it (an entry rule alone cleared it at 20 s).
    assert!(dep >= 260.0, "cleared at {dep}");
    let r = Report::from_sim(&sim);
    assert_eq!(
        (r.losses_of_separation, r.tactical.speed_manoeuvres),
        (0, 0)
    );

    // With a 30 s buffer on every booking the lane's headway is 40 s at both ends (here
    // another buffered booking, at B's FATOs, binds later still), and the departure is
    // still the earliest all the buffered bookings allow.
    let buffered = run(
        "overtake.ron",
        &["deconfliction.strategic=true", "deconfliction.buffer_s=30"],
    );
    let gap = lane_exit(&buffered, fast) - lane_exit(&buffered, slow);
    assert!(gap >= 40.0 - 1e-9, "exits {gap} s apart");
    assert_cleared_at_the_earliest(&buffered, fast);
}

/// When flight `f`, as cleared, leaves overtake.ron's corridor LANE, seconds.
fn lane_exit(sim: &Simulation, f: FlightId) -> f64 {
    let (plan, net) = (sim.fleet().cleared_plan(f), sim.net());
    skycorridor::planner::strategic::lane_spans(plan)
        .into_iter()
        .find(|s| net.corridor_ids[net.lanes[s.0].corridor] == "LANE")
        .map(|(_, _, x)| sim.flights()[f].departure_s + x)
        .unwrap()
}

/// Flight `f` is cleared at the earliest step every other booking allows: its departure
/// fits the table without it, one step earlier does not.
fn assert_cleared_at_the_earliest(sim: &Simulation, f: FlightId) {
    let mut others = sim.reservations().unwrap().clone();
    let (plan, dep) = (sim.fleet().cleared_plan(f), sim.flights()[f].departure_s);
    others.unbook(sim.net(), plan, dep);
    assert!(others.fits(sim.net(), plan, dep));
    assert!(
        !others.fits(sim.net(), plan, dep - 1.0),
        "not a step later than needed"
    );
}

#[test]
fn compare_resolution_writes_both_sides_and_the_domino_effect() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skycorridor"))
        .args(["run", scenario_path("head_on.ron").to_str().unwrap()])
        .args([
            "--set",
            "deconfliction.tactical=Vertical",
            "--compare-resolution",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    crate::assert_ok(&out);
    let c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("comparison.json")).unwrap())
            .unwrap();
    assert_eq!(c["method"], "Vertical");
    assert_eq!(c["with_resolution"]["losses_of_separation"], 0);
    assert_eq!(c["without_resolution"]["losses_of_separation"], 1);
    let (with, without) = (
        c["with_resolution"]["conflicts"].as_f64().unwrap(),
        c["without_resolution"]["conflicts"].as_f64().unwrap(),
    );
    assert_eq!(
        c["domino_effect_parameter"].as_f64().unwrap(),
        with / without - 1.0
    );
    assert!(
        c["extra_energy_wh"].as_f64().unwrap() > 0.0,
        "climbing out of the way costs energy"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("domino effect parameter"));
    // The head-on pair is in conflict in both runs, once each.
    let a = &c["attribution"];
    assert_eq!(
        (a["pairs_with"].as_u64(), a["pairs_without"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (a["new_pairs"].as_u64(), a["pairs_avoided"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn the_extra_conflicts_of_mvp_are_attributed_to_pairs() {
    // Every episode with resolution is a pair's first, a new pair's, or a repeat.
    let run = |method: &str| {
        let mut sim = crate::default_with_tactical(method);
        sim.run_to_end();
        (
            Report::from_sim(&sim),
            skycorridor::metrics::conflict_pairs(&sim),
        )
    };
    let ((with, pw), (without, po)) = (run("Mvp"), run("None"));
    let a = skycorridor::metrics::Attribution::of(&pw, &po);
    assert_eq!(
        (a.pairs_with, a.pairs_without, a.new_pairs, a.pairs_avoided),
        (322, 288, 81, 47)
    );
    assert_eq!(
        with.conflicts as u64,
        (a.pairs_with - a.new_pairs) as u64 + a.repeat_episodes + a.new_pair_episodes
    );
    assert_eq!(
        without.conflicts as u64,
        (a.pairs_without - a.pairs_avoided) as u64 + a.repeat_episodes_without + a.avoided_episodes
    );
}
