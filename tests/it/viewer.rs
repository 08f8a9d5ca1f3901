//! The viewer's logic that needs no window: picking and the camera fit.

use skycorridor::ids::LaneId;
use skycorridor::viewer::controls::{nearest_lane, pick};
use skycorridor::viewer::{Selection, fit};

use crate::scenario_path;

#[test]
fn click_picks_the_nearest_drone_then_a_corridor() {
    let mut sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    for _ in 0..60 {
        sim.step();
    }
    let (n, d) = sim
        .airborne()
        .find(|(f, _)| sim.flights()[*f].id == "N")
        .map(|(f, d)| (f, *d))
        .unwrap();
    // 3 m from N: N.
    assert_eq!(
        pick(&sim, [d.pos[0] + 3.0, d.pos[1]], 30.0),
        Selection::Drone(n)
    );
    // Far along the northbound corridor from any drone: the corridor (lane 0).
    assert_eq!(pick(&sim, [2.0, 900.0], 10.0), Selection::Lane(LaneId(0)));
    assert_eq!(pick(&sim, [46.0, 900.0], 10.0), Selection::Lane(LaneId(1)));
    // Nowhere near anything.
    assert_eq!(pick(&sim, [5000.0, 0.0], 10.0), Selection::None);
    let (lane, dist) = nearest_lane(sim.net(), [40.0, 0.0]).unwrap();
    assert_eq!((lane, dist), (LaneId(1), 8.0));
}

#[test]
fn click_in_a_terminal_area_picks_the_vertiport() {
    let sim = skycorridor::load(&scenario_path("terminal.ron"), &[]).unwrap();
    let net = sim.net();
    let b = net.nodes[net.node_index["B"]].terminal.unwrap();
    let t = &net.terminals[b];
    // On B's FATO, and at the edge of its terminal area: B; on the corridor: the lane.
    assert_eq!(pick(&sim, t.fatos[0], 10.0), Selection::Vertiport(b));
    let edge = [t.centre[0] + t.radius_m - 1.0, t.centre[1]];
    assert_eq!(pick(&sim, edge, 10.0), Selection::Vertiport(b));
    assert_eq!(pick(&sim, [1500.0, 0.0], 10.0), Selection::Lane(LaneId(0)));
}

#[test]
fn fit_shows_every_node() {
    let sim = skycorridor::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO),
        &[],
    )
    .unwrap();
    let size = [1280.0, 720.0];
    let view = fit(sim.net(), size);
    for n in &sim.net().nodes {
        let p = view.to_px(n.en, size);
        assert!(
            p[0] > 0.0 && p[0] < size[0] && p[1] > 0.0 && p[1] < size[1],
            "{} at {p:?}",
            n.id
        );
    }
}

#[test]
fn drones_whose_picture_is_stale_are_drawn_grey() {
    use skycorridor::viewer::drones::{Look, looks};
    // head_on.ron with one cell: over everything, or far from both corridors. At 100 s
    // both drones cruise, away from each other: seen, they are drawn cruising; unseen
    // since take-off (pictures 99 s old), grey.
    let at_100 = |east: f64, range: f64| {
        let base = skycorridor::load(&crate::scenario_path("head_on.ron"), &[]).unwrap();
        let (lat, lon) = base.net().frame.to_geo(east, 0.0);
        let text = crate::scenario_text("head_on.ron").replace(
            "    corridors: [",
            &format!(
                "    comms: (cells: [(id: \"C\", lat: {lat:.12}, lon: {lon:.12}, range_m: {range})]),\n    corridors: ["
            ),
        );
        let mut sim = crate::prepare_text(&text, "head_on.ron").unwrap();
        while sim.time_s() < 100.0 {
            sim.step();
        }
        looks(&sim).into_iter().map(|(_, l)| l).collect::<Vec<_>>()
    };
    assert_eq!(at_100(0.0, 10_000.0), [Look::Cruising, Look::Cruising]);
    assert_eq!(at_100(5000.0, 1000.0), [Look::Stale, Look::Stale]);
}
