//! The terminal area on `tests/scenarios/terminal.ron`, derived by hand (see its header):
//! one corridor A -> B, B with one FATO taken 40 s after each touchdown, drones at 10 m/s
//! that are at `s = 10 t - 5` on their path while nobody delays them.

use skycorridor::metrics::Report;
use skycorridor::sim::Status;

use crate::{prepare_text, scenario_text};

fn run(text: &str) -> skycorridor::sim::Simulation {
    let mut sim = prepare_text(text, "terminal.ron").unwrap();
    sim.set_verify_separation(true);
    sim.run_to_end();
    assert_eq!(sim.separation_mismatches(), 0, "the R-tree missed a pair");
    sim
}

#[test]
fn one_fato_under_fast_arrivals_builds_the_stack_derived_by_hand() {
    // Six arrivals 10 s apart (100 m apart on the lane). F1 finds B's FATO free: it is
    // granted when it asks, about 8 s before the fix, and holds the FATO until 40 s after
    // its touchdown; from the fix that is 10 s of approach (100 m at 10 m/s),
    // 11 s of descent (110 m at 10 m/s) and the 40 s: about 61 s after F1 asked. F2..F6
    // ask 10, 20, 30, 40 and 50 s after F1, all before that: five holders for the stack's
    // four levels. F2..F5 take the levels, one at a time (each waits in the line while the
    // one before it enters, which takes about 10 s); F6 finds the stack full and waits in
    // the line until F2 has left.
    let sim = run(&scenario_text("terminal.ron"));
    let r = Report::from_sim(&sim);
    assert_eq!(r.losses_of_separation, 0);
    assert_eq!(r.flights.completed, 6);
    let b = r.vertiports.iter().find(|v| v.id == "B").unwrap();
    assert_eq!((b.max_stack, b.stack_levels), (4, 4));
    assert_eq!(b.line_joins, 4, "F3..F6 each wait in the line");
    assert!(b.max_line >= 1);
    assert_eq!((b.arrivals, b.held), (6, 5));
    // Each next landing: the FATO frees 40 s after the last touchdown, then the holder
    // flies 100 m from a standstill (5 m in the first step, then 10 m/s: 10.5 s) and
    // descends 110 m at 10 m/s (11 s): 61.5 s, so at least 62 s apart in whole steps;
    // levelling off from its stack level (16 m a level at 10 m/s) adds at most a few.
    let mut ends: Vec<f64> = sim.states().iter().map(|s| s.end_s).collect();
    ends.sort_by(f64::total_cmp);
    for w in ends.windows(2) {
        let gap = w[1] - w[0];
        assert!((62.0..=72.0).contains(&gap), "landings {ends:?}");
    }
    assert_eq!(sim.states()[0].final_dynamics().holding_s, 0.0);
    // Nobody held twice at one place: every holder held apart from the others (stack
    // levels and the line), so no pair was ever closer than the minima.
    assert!(r.min_separation_m.is_none());
}

#[test]
fn the_terminal_view_shows_the_stack_the_line_and_the_fato_in_use() {
    // The same six arrivals: when the stack is first full, B's one FATO is taken (by F1,
    // or clearing after it) and F6 is in the line.
    let mut sim = prepare_text(&scenario_text("terminal.ron"), "terminal.ron").unwrap();
    let b = sim.net().nodes[sim.net().node_index["B"]].terminal.unwrap();
    let view = loop {
        sim.step();
        let v = sim.terminal_view(b);
        if v.stack.iter().all(Option::is_some) {
            break v;
        }
        assert!(!sim.finished(), "the stack never filled");
    };
    assert_ne!(view.fatos[0], skycorridor::sim::FatoUse::Free);
    let ids: Vec<&str> = view
        .stack
        .iter()
        .map(|f| sim.flights()[f.unwrap()].id.as_str())
        .collect();
    assert_eq!(ids, ["F2", "F3", "F4", "F5"]);
    assert!(view.line.len() <= 1 && view.on_stands.is_empty());
}

#[test]
fn a_departure_is_released_only_when_the_departure_connector_admits_it() {
    // Two flights due at 0 from A, which has two FATOs. The connector admits a second
    // entry (and exit) one headway after the first: with a 20 s headway the second takes
    // off at 20, though a FATO is free at 0.
    let two = |headway: &str, fatos: &str| {
        let text = scenario_text("terminal.ron")
            .replace("headway_s: 10.0", headway)
            .replace("Vertiport(fatos: 2,", fatos)
            .replace("departure_s: 10.0", "departure_s: 0.0");
        let text = text
            .lines()
            .filter(|l| {
                !["\"F3\"", "\"F4\"", "\"F5\"", "\"F6\""]
                    .iter()
                    .any(|f| l.contains(f))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let sim = run(&text);
        let t: Vec<f64> = sim.states().iter().map(|s| s.takeoff_s).collect();
        assert!(sim.states().iter().all(|s| s.status == Status::Completed));
        t
    };
    assert_eq!(two("headway_s: 20.0", "Vertiport(fatos: 2,"), [0.0, 20.0]);
    // With one FATO and a 5 s headway the FATO binds: the first drone holds it until it
    // has climbed the 90 m to the departure level (s = 10 t - 5 >= 90 after the step that
    // ends at t = 10), so the second takes off at 10.
    assert_eq!(two("headway_s: 5.0", "Vertiport(fatos: 1,"), [0.0, 10.0]);
}

/// A vertiport V with one corridor east to W, and a through corridor X -> Y 600 m north
/// of V; `bearing` sets V's terminal area.
fn through(bearing: &str) -> String {
    format!(
        r#"(
    name: "through",
    duration_s: 700.0,
    reference: (lat: 22.5, lon: 114.0),
    nodes: [
        (id: "V", kind: Vertiport(fatos: 1{bearing}), east_m: 0.0, north_m: 0.0),
        (id: "W", kind: Vertiport(fatos: 1), east_m: 3000.0, north_m: 0.0),
        (id: "X", kind: Vertiport(fatos: 1), east_m: -2500.0, north_m: 600.0),
        (id: "Y", kind: Vertiport(fatos: 1), east_m: 2500.0, north_m: 600.0),
    ],
    corridors: [
        (id: "V-W", from: "V", to: "W", min_alt_m: 60.0, max_alt_m: 150.0),
        (id: "X-Y", from: "X", to: "Y", min_alt_m: 60.0, max_alt_m: 150.0),
    ],
    drone_types: [(id: "quad", cruise_speed_mps: 15.0, battery_wh: 2000.0, hover_power_w: 1000.0, cruise_power_w: 800.0)],
    demand: (flows: [
        (origin: "X", destination: "Y", flights_per_hour: 120.0, mix: {{"quad": 1.0}}),
        (origin: "V", destination: "W", flights_per_hour: 60.0, mix: {{"quad": 1.0}}),
    ]),
)"#
    )
}

#[test]
fn a_through_corridor_near_a_vertiport_stays_clear_of_its_terminal_area() {
    // Pointed north, V's FATOs would stand 500 m north of it, 100 m from X-Y: an error
    // that names the corridor and the vertiport.
    let e = prepare_text(&through(", terminal: (bearing_deg: 0)"), "through.ron")
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("corridor X-Y passes 100 m from the FATOs of vertiport V"),
        "{e}"
    );
    // By the rule, V's terminal area lies opposite its only corridor (west), and the
    // through traffic never comes within its radius.
    let mut sim = prepare_text(&through(""), "through.ron").unwrap();
    let t = sim
        .net()
        .terminal(sim.net().node_index["V"])
        .unwrap()
        .clone();
    assert!((t.centre[0] + 500.0).abs() < 1e-6 && t.centre[1].abs() < 1e-6);
    let mut closest = f64::INFINITY;
    while !sim.finished() {
        sim.step();
        for (f, d) in sim.airborne() {
            if sim.flights()[f.index()].id.starts_with("X>Y") {
                let dist = (d.pos[0] - t.centre[0]).hypot(d.pos[1] - t.centre[1]);
                closest = closest.min(dist);
            }
        }
    }
    assert!(closest.is_finite() && closest > t.radius_m, "{closest} m");
}
