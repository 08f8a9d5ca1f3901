//! Strategic deconfliction: reservations by hand, rerouting, cancellation, priority, the
//! headway property, and the default scenario with it on.

use std::path::Path;

use proptest::prelude::*;
use skycorridor::ids::FlightId;
use skycorridor::metrics::Report;
use skycorridor::planner::strategic::{fato_intervals, junction_passages, lane_spans};
use skycorridor::scenario::Override;
use skycorridor::sim::{Simulation, Status};

use crate::{prepare_text, scenario_text};

fn two_routes(edit: &[(&str, &str)]) -> Simulation {
    let mut text = scenario_text("two_routes.ron");
    for (a, b) in edit {
        assert!(text.contains(a), "`{a}` not in two_routes.ron");
        text = text.replacen(a, b, 1);
    }
    prepare_text(&text, "two_routes.ron").unwrap()
}

/// Where `plan` is `tau` seconds after take-off: its knots are straight at constant speed
/// between them (the inverse of `Plan::planned_time_at`).
fn position_at(plan: &skycorridor::planner::Plan, tau: f64) -> [f64; 3] {
    let k = &plan.knots;
    let i = k.partition_point(|&(_, t)| t <= tau).clamp(1, k.len() - 1);
    let ((s0, t0), (s1, t1)) = (k[i - 1], k[i]);
    let s = if t1 > t0 {
        s0 + (s1 - s0) * ((tau - t0) / (t1 - t0)).clamp(0.0, 1.0)
    } else {
        s1
    };
    plan.path.point_at(s)
}

fn by_id<'a>(sim: &'a Simulation, id: &str) -> (FlightId, &'a skycorridor::planner::Flight) {
    let f = sim.flight_by_id(id).unwrap();
    (f, &sim.flights()[f])
}

#[test]
fn the_second_flight_waits_one_headway_or_takes_the_detour_if_that_arrives_earlier() {
    // Both enter DIRECT 10.5 s after take-off, so F2 must leave 30 s after F1 (headway).
    // The detour (climb 10.5 s + 3394 m at 10 m/s, about 350 s) arrives later than 30 s of
    // waiting, so F2 waits.
    let sim = two_routes(&[]);
    let (_, f1) = by_id(&sim, "F1");
    let (i2, f2) = by_id(&sim, "F2");
    assert_eq!((f1.departure_s, f2.departure_s), (0.0, 30.0));
    assert!(!f2.rerouted);
    assert_eq!(sim.plan(i2).route_label(sim.net()), "DIRECT");
    // With a 600 s headway on DIRECT the detour arrives first: F2 takes it as soon as A's
    // departure connector admits it (its headway is the shortest of A's corridors, 30 s).
    let sim = two_routes(&[(
        "headway_s: 30.0),\n        (id: \"OUT\"",
        "headway_s: 600.0),\n        (id: \"OUT\"",
    )]);
    let (i2, f2) = by_id(&sim, "F2");
    assert_eq!(f2.departure_s, 30.0);
    assert!(f2.rerouted);
    assert_eq!(sim.plan(i2).route_label(sim.net()), "OUT>BACK");
    let mut sim = sim;
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    assert_eq!((r.strategic.rerouted, r.strategic.delayed), (1, 1));
    // Offered against accepted demand, per hour of the 900 s run: both were filed on
    // DIRECT (8 an hour), one was cleared there and one on OUT.
    let per_hour = |kind: &str, id: &str| {
        r.strategic
            .demand
            .iter()
            .find(|d| d.kind == kind && d.id == id)
            .map(|d| (d.offered_per_hour, d.accepted_per_hour))
    };
    assert_eq!(per_hour("corridor", "DIRECT"), Some((8.0, 4.0)));
    assert_eq!(per_hour("corridor", "OUT"), Some((0.0, 4.0)));
    assert_eq!(per_hour("vertiport", "A"), Some((8.0, 8.0)));
    assert!(
        r.strategic.reroute_extra_s > 90.0,
        "the detour costs time: {}",
        r.strategic.reroute_extra_s
    );
    assert_eq!(r.flights.completed, 2);
}

#[test]
fn flights_that_cannot_be_cleared_are_cancelled_with_the_reason() {
    // Only the direct route, 600 s headway, at most 60 s of ground delay: F2 is cancelled,
    // and the lane's headway is what ruled its departures out.
    let sim = two_routes(&[
        (
            "headway_s: 30.0),\n        (id: \"OUT\"",
            "headway_s: 600.0),\n        (id: \"OUT\"",
        ),
        (
            "deconfliction: (strategic: true)",
            "deconfliction: (strategic: true, alternatives: 1, max_ground_delay_s: 60.0)",
        ),
    ]);
    let (i2, f2) = by_id(&sim, "F2");
    assert_eq!(
        f2.cancelled.as_ref().map(ToString::to_string).as_deref(),
        Some("ground delay: no slot within 60 s (mostly ruled out by lane bookings)")
    );
    assert_eq!(sim.states()[i2].status, Status::Cancelled);
    // A battery too small for the reserve: both cancelled before take-off.
    let sim = two_routes(&[("battery_wh: 1000.0", "battery_wh: 50.0")]);
    for f in sim.flights() {
        assert!(
            f.cancelled
                .as_ref()
                .unwrap()
                .to_string()
                .starts_with("battery: the shortest plan needs"),
            "{:?}",
            f.cancelled
        );
    }
    let mut sim = sim;
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    assert_eq!((r.flights.cancelled, r.flights.battery_depleted), (2, 0));
    assert_eq!(r.strategic.cancellations.get("battery"), Some(&2));
}

#[test]
fn priority_order_serves_the_higher_class_first() {
    let edit = [
        (
            "(id: \"F2\", origin: \"A\", destination: \"B\", drone_type: \"test\", departure_s: 0.0)",
            "(id: \"F2\", origin: \"A\", destination: \"B\", drone_type: \"test\", departure_s: 5.0, priority: 10)",
        ),
        (
            "deconfliction: (strategic: true)",
            "deconfliction: (strategic: true, order: Priority, alternatives: 1)",
        ),
    ];
    let sim = two_routes(&edit);
    // F2 (medical, filed at 5 s) keeps its slot; F1 must then enter 30 s apart from it:
    // F2 enters DIRECT at 15.5 s, so F1 can leave at 0 only if 15.5 - 10.5 >= 30: no; it
    // leaves at 35 s (enters at 45.5 s).
    assert_eq!(by_id(&sim, "F2").1.departure_s, 5.0);
    assert_eq!(by_id(&sim, "F1").1.departure_s, 35.0);
    // First come, first served: F1 keeps 0, F2 waits until 30 s.
    let fcfs = two_routes(&[
        edit[0],
        (
            "deconfliction: (strategic: true)",
            "deconfliction: (strategic: true, alternatives: 1)",
        ),
    ]);
    assert_eq!(
        (
            by_id(&fcfs, "F1").1.departure_s,
            by_id(&fcfs, "F2").1.departure_s
        ),
        (0.0, 30.0)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// No two cleared flights enter one lane closer than its headway, and no vertiport
    /// has more pads reserved at once than it has.
    #[test]
    fn reservations_keep_headway_and_pad_counts(
        deps in prop::collection::vec((0u32..600, 0usize..4, 0u32..3), 1..60),
        headway in 5.0..90.0f64,
        pads in 1u32..3,
    ) {
        let ends = [("A", "B"), ("A", "B"), ("B", "A"), ("A", "B")];
        let flights: Vec<String> = deps
            .iter()
            .enumerate()
            .map(|(i, (t, e, p))| format!(
                "(id: \"P{i}\", origin: \"{}\", destination: \"{}\", drone_type: \"test\", departure_s: {t}.0, priority: {p})",
                ends[*e].0, ends[*e].1
            ))
            .collect();
        let mut text = scenario_text("two_routes.ron")
            .replace("headway_s: 30.0", &format!("headway_s: {headway:?}"))
            .replace("pads: 4", &format!("pads: {pads}"));
        // A way back from B to A so both directions are served.
        text = text.replacen("    ],\n    drone_types", "        (id: \"RETURN\", from: \"B\", to: \"A\", min_alt_m: 130.0, max_alt_m: 170.0, direction: OneWay, headway_s: 20.0),\n    ],\n    drone_types", 1);
        let start = text.find("        flights: [").unwrap();
        let end = text[start..].find("        ],").unwrap() + start;
        text.replace_range(start..end, &format!("        flights: [\n            {},\n", flights.join(",\n            ")));
        let sim = prepare_text(&text, "prop.ron").unwrap();
        let net = sim.net();
        let mut lanes: Vec<Vec<(f64, f64)>> = vec![Vec::new(); net.lanes.len()];
        let mut fato_use: Vec<Vec<(f64, f64)>> = Vec::new();
        let fato_key = |n: skycorridor::ids::NodeId, k: u8| n.index() * 256 + k as usize;
        fato_use.resize(net.nodes.len() * 256, Vec::new());
        let mut passages = vec![Vec::new(); net.nodes.len()];
        for (i, f) in sim.flights().iter().enumerate() {
            if f.cancelled.is_some() {
                continue;
            }
            let plan = sim.plan(FlightId::new(i));
            for (l, e, x) in lane_spans(plan) {
                lanes[l.index()].push((f.departure_s + e, f.departure_s + x));
            }
            for (n, k, a, b) in fato_intervals(plan, f.departure_s) {
                fato_use[fato_key(n, k)].push((a, b));
            }
            for (n, p) in junction_passages(net, plan) {
                passages[n.index()].push((f.departure_s + p.from_s, f.departure_s + p.to_s, p.lanes, p.alt_m, i));
            }
            prop_assert!(f.departure_s >= f.scheduled_s);
        }
        // A headway between entries, and the exits in the same order a headway apart:
        // nobody overtakes anybody inside a lane.
        for (l, spans) in lanes.iter_mut().enumerate() {
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            let h = net.lanes[l].headway_s - 1e-9;
            for w in spans.windows(2) {
                prop_assert!(w[1].0 - w[0].0 >= h, "lane {l}: entries {w:?}");
                prop_assert!(w[1].1 - w[0].1 >= h, "lane {l}: exits {w:?}");
            }
        }
        // Two transitions of a junction on different lane pairs that overlap in time
        // and are not a vertical minimum apart keep the minima between them all the
        // while (sampled every 20 ms along the two plans).
        for (n, ps) in passages.iter().enumerate() {
            for (i, a) in ps.iter().enumerate() {
                for b in &ps[i + 1..] {
                    let apart = a.3.1 <= b.3.0 || b.3.1 <= a.3.0;
                    if a.2 == b.2 || apart || a.1 <= b.0 + 1e-9 || b.1 <= a.0 + 1e-9 {
                        continue;
                    }
                    let m = [a.2.0, a.2.1, b.2.0, b.2.1]
                        .map(|l| net.lanes[l].minima)
                        .into_iter()
                        .fold([0.0f64; 2], |m, x| [m[0].max(x[0]), m[1].max(x[1])]);
                    let (fa, fb) = (&sim.flights()[a.4], &sim.flights()[b.4]);
                    let (pa, pb) = (sim.plan(FlightId::new(a.4)), sim.plan(FlightId::new(b.4)));
                    let (from, to) = (a.0.max(b.0), a.1.min(b.1));
                    for k in 0..=((to - from) / 0.02).ceil() as u64 {
                        let t = (from + k as f64 * 0.02).min(to);
                        let (x, y) = (position_at(pa, t - fa.departure_s), position_at(pb, t - fb.departure_s));
                        let dh = (x[0] - y[0]).hypot(x[1] - y[1]);
                        prop_assert!(dh >= m[0] - 1e-6 || (x[2] - y[2]).abs() >= m[1] - 1e-6,
                            "node {n} at {t}: {a:?} and {b:?} {dh} m apart");
                    }
                }
            }
        }
        // One movement at a time on each FATO.
        for (key, intervals) in fato_use.iter().enumerate() {
            for (i, a) in intervals.iter().enumerate() {
                for b in &intervals[i + 1..] {
                    prop_assert!(a.1 <= b.0 + 1e-9 || b.1 <= a.0 + 1e-9, "FATO {key}: {a:?} and {b:?}");
                }
            }
        }
    }
}

#[test]
fn the_default_scenario_with_strategic_deconfliction_loses_no_flight() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let set = vec!["deconfliction.strategic=true".parse().unwrap()];
    let mut sim = skycorridor::load(&file, &set).unwrap();
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    let f = &r.flights;
    crate::assert_every_flight_accounted(&r);
    assert_eq!(
        f.battery_depleted, 0,
        "the battery reserve keeps every cleared flight flying"
    );
    // Every plan keeps its reserves (the drone types are sized for their routes), so
    // nothing is cancelled: the strategic layer only delays departures, and books every
    // border gate passage so that no queue forms in the air.
    assert!(
        f.cancelled == 0 && r.strategic.delayed > 0,
        "{:?}",
        r.strategic
    );
    assert!(
        r.gates.iter().all(|g| g.max_wait_s <= 30.0),
        "{:?}",
        r.gates
    );
    for reason in sim
        .flights()
        .iter()
        .filter_map(|f| f.cancelled.as_ref().map(ToString::to_string))
    {
        assert!(
            reason.starts_with("battery: ") || reason.starts_with("ground delay: "),
            "{reason}"
        );
    }
}

#[test]
fn legs_over_water_are_flagged_and_keep_an_extra_reserve() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let sim = skycorridor::load(&file, &[]).unwrap();
    let lane = |id: &str| {
        sim.net()
            .lanes
            .iter()
            .find(|l| sim.net().corridor_ids[l.corridor] == id)
            .unwrap()
    };
    // Across the estuary: mostly water. Guangzhou to Foshan: all land.
    let estuary = lane("HK-ESTUARY");
    assert!(
        estuary.over_water_m > 0.6 * estuary.length_m,
        "{} of {}",
        estuary.over_water_m,
        estuary.length_m
    );
    assert_eq!(lane("GZ-FS").over_water_m, 0.0);
    // With a 35 % reserve, the flights that need between 55 % and 65 % of their battery
    // fly, unless their route has a leg over water and must keep 10 % more.
    let cancelled = |extra: &str| -> std::collections::BTreeMap<String, f64> {
        let set: Vec<Override> = [
            "deconfliction.strategic=true",
            "deconfliction.battery_reserve=0.35",
            extra,
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let sim = skycorridor::load(&file, &set).unwrap();
        (0..sim.flights().len())
            .filter(|&i| {
                sim.flights()[i]
                    .cancelled
                    .as_ref()
                    .is_some_and(|r| r.kind() == "battery")
            })
            .map(|i| {
                (
                    sim.flights()[i].id.clone(),
                    sim.plan(FlightId::new(i)).over_water_m,
                )
            })
            .collect()
    };
    let (without, with) = (
        cancelled("deconfliction.over_water_reserve=0"),
        cancelled("deconfliction.over_water_reserve=0.1"),
    );
    assert!(without.keys().all(|id| with.contains_key(id)));
    let extra: Vec<(&String, &f64)> = with
        .iter()
        .filter(|(id, _)| !without.contains_key(*id))
        .collect();
    assert!(extra.len() >= 10, "{extra:?}");
    assert!(extra.iter().all(|(_, water)| **water > 0.0), "{extra:?}");
}

/// Four vertiports 3 km from a junction X; one flight west to east and one south to north
/// through X, filed at the same time, at the same level (the upper lane of each two-way
/// corridor, 127.5 m), at 15 m/s.
fn plus(strategic: bool) -> Simulation {
    plus_with(strategic, (60.0, 150.0))
}

/// [`plus`] with the south-north corridors' band `sn_band` (metres).
fn plus_with(strategic: bool, sn_band: (f64, f64)) -> Simulation {
    let (lo, hi) = sn_band;
    let text = format!(
        r#"(
    name: "plus",
    duration_s: 900.0,
    reference: (lat: 22.5, lon: 114.0),
    nodes: [
        (id: "X", east_m: 0.0, north_m: 0.0),
        (id: "W", kind: Vertiport(fatos: 1), east_m: -3000.0, north_m: 0.0),
        (id: "E", kind: Vertiport(fatos: 1), east_m: 3000.0, north_m: 0.0),
        (id: "S", kind: Vertiport(fatos: 1), east_m: 0.0, north_m: -3000.0),
        (id: "N", kind: Vertiport(fatos: 1), east_m: 0.0, north_m: 3000.0),
    ],
    corridors: [
        (id: "W-X", from: "W", to: "X", min_alt_m: 60.0, max_alt_m: 150.0),
        (id: "X-E", from: "X", to: "E", min_alt_m: 60.0, max_alt_m: 150.0),
        (id: "S-X", from: "S", to: "X", min_alt_m: {lo:?}, max_alt_m: {hi:?}),
        (id: "X-N", from: "X", to: "N", min_alt_m: {lo:?}, max_alt_m: {hi:?}),
    ],
    drone_types: [(id: "quad", cruise_speed_mps: 15.0, battery_wh: 2000.0, hover_power_w: 1000.0, cruise_power_w: 800.0)],
    demand: (flights: [
        (id: "WE", origin: "W", destination: "E", drone_type: "quad", departure_s: 0.0),
        (id: "SN", origin: "S", destination: "N", drone_type: "quad", departure_s: 0.0),
    ]),
    deconfliction: (strategic: {strategic}),
)"#
    );
    let mut sim = prepare_text(&text, "plus.ron").unwrap();
    sim.set_verify_separation(true);
    sim.run_to_end();
    assert_eq!(sim.separation_mismatches(), 0);
    sim
}

#[test]
fn crossing_at_a_junction_is_booked_as_a_conflict_point() {
    // Unbooked, both reach X together at the same level: a loss of separation there.
    let r = Report::from_sim(&plus(false));
    assert_eq!(r.losses_of_separation, 1);
    assert_eq!(r.losses_of_separation_by_location.get("junction"), Some(&1));
    // Booked: X's zone is 1.5 minima (75 m) either side; held as a whole, it would keep
    // SN out until WE had flown its 150 m at 15 m/s: 10 s. The two transitions are
    // checked track against track instead: two drones at speed u a time d apart across
    // a right angle come within u d / sqrt 2 of each other at the closest (their relative
    // velocity is u sqrt 2 along the diagonal), so SN need only pass X
    // sqrt 2 x 1.05 x 50 / 15 = 4.95 s after WE (the routes are mirror images): it
    // leaves at 5 s (whole steps; 53 m apart at the closest).
    let sim = plus(true);
    let (we, sn) = (by_id(&sim, "WE").1, by_id(&sim, "SN").1);
    assert_eq!((we.departure_s, sn.departure_s), (0.0, 5.0));
    let r = Report::from_sim(&sim);
    assert_eq!((r.losses_of_separation, r.flights.completed), (0, 2));
    // SN on a lower layer (band 60-90 m: its lane at 82.5 m, 45 m under WE's, more than
    // a vertical minimum): the two transitions of X are vertically apart all through the
    // zone, so both leave at once, and still never lose separation.
    let sim = plus_with(true, (60.0, 90.0));
    let (we, sn) = (by_id(&sim, "WE").1, by_id(&sim, "SN").1);
    assert_eq!((we.departure_s, sn.departure_s), (0.0, 0.0));
    let r = Report::from_sim(&sim);
    assert_eq!((r.losses_of_separation, r.flights.completed), (0, 2));
}

#[test]
fn a_crossing_away_from_nodes_is_booked_as_a_conflict_point() {
    // crossing.ron: two lanes at the same level crossing at right angles midway, both
    // drones timed to reach it together. The crossing's zone is 1.5 minima (75 m; the
    // right angle needs only 1.05 x 50 / (2 sin 45 deg) = 37 m) either side: 150 m at
    // 12 m/s, 12.5 s; so the second leaves 13 s after the first (whole steps) and they
    // never come into conflict.
    let text = scenario_text("crossing.ron").replace(
        "deconfliction: (tactical: None)",
        "deconfliction: (strategic: true, tactical: None)",
    );
    let mut sim = prepare_text(&text, "crossing.ron").unwrap();
    assert_eq!(sim.net().crossings.len(), 1);
    assert_eq!(sim.net().crossings[0].zone_m, 75.0);
    sim.set_verify_separation(true);
    sim.run_to_end();
    let (east, north) = (by_id(&sim, "EAST").1, by_id(&sim, "NORTH").1);
    assert_eq!((east.departure_s, north.departure_s), (0.0, 13.0));
    let r = Report::from_sim(&sim);
    assert_eq!((r.conflicts, r.losses_of_separation), (0, 0));
}

#[test]
fn a_ramp_is_near_another_level_only_until_a_vertical_minimum_past_it() {
    use skycorridor::network::ramp_within;
    // Climbing 82 -> 127.5 m through 97.5 m with a 15 m minimum: within it until 112.5 m,
    // (112.5 - 82) / 45.5 of the way.
    assert!((ramp_within(82.0, 127.5, 97.5, 15.0) - 30.5 / 45.5).abs() < 1e-12);
    // Descending through it: until 82.5 m, nearly all the way.
    assert!((ramp_within(127.5, 82.0, 97.5, 15.0) - 45.0 / 45.5).abs() < 1e-12);
    // Ending inside the band: all of it; never near it: none.
    assert_eq!(ramp_within(60.0, 100.0, 97.5, 15.0), 1.0);
    assert_eq!(ramp_within(130.0, 150.0, 97.5, 15.0), 0.0);
    assert_eq!(ramp_within(60.0, 80.0, 97.5, 15.0), 0.0);
}

#[test]
fn a_ramp_beside_a_lane_on_another_layer_is_kept_apart_from_its_traffic() {
    use skycorridor::network::LaneEnd;
    // fork.ron: at X, B-X (75 m) and X-C (135 m) are 5.7 degrees apart (150 m in 3 km
    // either side). Their levels are more than a vertical minimum (15 m) apart, so they do
    // not set X's zone: the sharpest turn between lanes within 15 m of each other's level
    // is B-X to X-D (87 degrees), and the zone keeps its least radius, 1.5 x 50 = 75 m
    // (the angle of B-X and X-C would need 1.05 x 50 / sin 5.7 deg = 526 m). What
    // the zone does not cover is P climbing onto X-C from W-X's 75 m: 60 m at 1 m/s and
    // 10 m/s over 600 m, within 15 m of B-X's level for its first quarter (75 to 90 m),
    // 150 m. So B-X's end at X has a ramp zone of 150 + 1.05 x 50 = 202.5 m, and P's ramp
    // and Q inside it may not be there at once.
    let text = scenario_text("fork.ron");
    let run = |strategic: bool| {
        let text = text.replace("strategic: false", &format!("strategic: {strategic}"));
        let mut sim = prepare_text(&text, "fork.ron").unwrap();
        sim.set_verify_separation(true);
        sim.run_to_end();
        sim
    };
    let sim = run(true);
    let net = sim.net();
    let lane = |id: &str| {
        let i = net
            .lanes
            .iter()
            .position(|l| net.corridor_ids[l.corridor] == id)
            .unwrap();
        skycorridor::ids::LaneId::new(i)
    };
    let x = net.node_index["X"];
    assert_eq!(net.junctions.radius_m[x.index()], 75.0);
    let b_x = LaneEnd {
        lane: lane("B-X"),
        start: false,
    };
    assert!((net.junctions.ramp_zone_m[b_x.index()] - 202.5).abs() < 1e-9);
    assert_eq!(net.junctions.ramp_crossings[lane("X-C").index()], vec![b_x]);
    // P's ramp clears B-X's level 15 s after P passes X, and Q needs 20.25 s to fly the
    // zone: Q reaches X no sooner than 35.25 s after P. Unhindered it would come 20.37 s
    // after (B-X is 3.7 m longer than W-X), so it waits 14.9 s: it leaves at 35 s (whole
    // steps) instead of 20, and nobody loses separation.
    let (p, q) = (by_id(&sim, "P").1, by_id(&sim, "Q").1);
    assert_eq!((p.departure_s, q.departure_s), (0.0, 35.0));
    assert_eq!(Report::from_sim(&sim).losses_of_separation, 0);
    // Without strategic deconfliction they come within 10.2 m of each other.
    let r = Report::from_sim(&run(false));
    assert_eq!(r.losses_of_separation, 1);
}

/// A search that starts past the run of departures the same route's earlier searches
/// found ruled out answers as a search from the filing time does, request after request,
/// on the default network's busiest route and those crossing it, filed at times off the
/// step grid and close enough together that they queue.
#[test]
fn a_carried_run_of_ruled_out_departures_changes_no_answer() {
    use proptest::test_runner::{Config, TestRunner};
    use skycorridor::planner::strategic::{Blocked, PlanUses, Reservations};
    use std::collections::BTreeMap;

    let sim = crate::default_with_tactical("None");
    let net = sim.net();
    // The plans of the first flights from the busiest origin and of the flights whose
    // routes share a junction with them.
    let flights = sim.flights();
    let mut by_origin: BTreeMap<_, usize> = BTreeMap::new();
    for i in 0..flights.len() {
        *by_origin
            .entry(sim.plan(FlightId::new(i)).origin)
            .or_default() += 1;
    }
    let busiest = *by_origin.iter().max_by_key(|(_, n)| **n).unwrap().0;
    let mut plans: Vec<FlightId> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..flights.len() {
        let p = sim.plan(FlightId::new(i));
        if p.origin == busiest && seen.insert(p.destination) {
            plans.push(FlightId::new(i));
        }
    }
    plans.truncate(5);
    assert!(plans.len() >= 3, "{plans:?}");
    let mut runner = TestRunner::new(Config::with_cases(24));
    runner
        .run(
            &prop::collection::vec((0..plans.len(), 0.0f64..12.0), 20..90),
            |requests| {
                let mut table = Reservations::new(net);
                let mut uses: BTreeMap<usize, PlanUses> = BTreeMap::new();
                let mut runs: BTreeMap<usize, Blocked> = BTreeMap::new();
                let (mut filed, mut skipped) = (0.0, 0);
                for (p, gap) in requests {
                    filed += gap;
                    let plan = sim.plan(plans[p]);
                    let u = uses
                        .entry(p)
                        .or_insert_with(|| PlanUses::of(net, plan, &table));
                    let run = runs.entry(p).or_default();
                    let before = *run;
                    let fresh = table.earliest(u, filed, 1.0, 900);
                    let carried = table.earliest_past(u, filed, 1.0, 900, run);
                    prop_assert_eq!(fresh, carried, "filed at {}", filed);
                    if before.covers(filed) && before.covers(filed + 1.0) {
                        skipped += 1;
                    }
                    if let Some(k) = fresh {
                        table.book(net, plan, filed + k as f64);
                    }
                }
                // Requests queue, so the runs were used (not a test of nothing).
                prop_assert!(skipped > 0);
                Ok(())
            },
        )
        .unwrap();
}

/// The table the flights were cleared with, which the simulation keeps, holds what one
/// built again from their cleared plans holds (the tracks' ids and fan profiles' ids aside,
/// given in another order).
#[test]
fn the_table_kept_from_clearing_is_the_one_the_cleared_plans_make() {
    use skycorridor::planner::strategic::{Booking, Passage, Reservations, Table};
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let set = [Override {
        path: "deconfliction.strategic".into(),
        value: "true".into(),
    }];
    let sim = skycorridor::load(&file, &set).unwrap();
    let kept = sim.reservations().unwrap();
    let buffer_s = sim.scenario().deconfliction.buffer_s;
    let built = Reservations::of(sim.net(), sim.fleet().plans(), sim.flights(), buffer_s);
    fn all<V: Booking, K: PartialOrd>(t: &[Table<V>], key: impl Fn(f64, V) -> K) -> Vec<Vec<K>> {
        t.iter()
            .map(|t| {
                let mut v: Vec<K> = t
                    .starting_in(f64::NEG_INFINITY, f64::INFINITY)
                    .map(|(s, x)| key(s, x))
                    .collect();
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                v
            })
            .collect()
    }
    let p = |s: f64, p: Passage| (s, p.from_s, p.to_s, p.lanes, p.exclusive, p.alt_m);
    let end = |s: f64, e: f64| (s, e);
    assert_eq!(all(&kept.lanes, end), all(&built.lanes, end));
    assert!(kept.lanes.iter().map(Table::len).sum::<usize>() > 1000);
    assert_eq!(all(&kept.stands, end), all(&built.stands, end));
    assert_eq!(all(&kept.gates, |s, ()| s), all(&built.gates, |s, ()| s));
    assert_eq!(all(&kept.junctions, p), all(&built.junctions, p));
    assert_eq!(all(&kept.crossings, p), all(&built.crossings, p));
    assert_eq!(all(&kept.ramps, p), all(&built.ramps, p));
    let fan = |s: f64, (x, _): (Passage, u32)| p(s, x);
    assert_eq!(all(&kept.fans, fan), all(&built.fans, fan));
    for (k, b) in kept.fatos.iter().zip(&built.fatos) {
        assert_eq!(all(k, end), all(b, end));
    }
    for (k, b) in kept.legs.iter().zip(&built.legs) {
        assert_eq!(all(k, fan), all(b, fan));
    }
}
