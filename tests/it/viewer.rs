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

/// The corridor bands: on gba_10k's lattice (rows laid out in longitude and latitude, so
/// they bend by about a tenth of a degree at each node), straight runs of one colour are
/// drawn as one band, zoomed out, and every lane vertex in view lies within the
/// tolerance of a band in its lane's colour, made only of lane vertices.
#[test]
fn corridor_bands_cover_every_lane_within_the_tolerance() {
    use bevy::color::Color;
    use skycorridor::network::Network;
    use skycorridor::viewer::corridors::StraightRuns;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (s, _) = skycorridor::scenario::load_file(&root.join("scenarios/gba_10k.ron")).unwrap();
    let net = Network::build(&s).unwrap();
    let runs = StraightRuns::new(&net);
    // Most lanes empty (one colour), one in seven loaded (another): runs break there.
    let color = |l: LaneId| {
        if l.index().is_multiple_of(7) {
            Color::srgb(1.0, 0.0, 0.0)
        } else {
            Color::WHITE
        }
    };
    // A 12 km square around the middle of Guangzhou's mesh (and the whole network).
    let c = net.nodes[net.node_index["GZ.160.130"]].en;
    let rect = [c[0] - 6000.0, c[1] - 6000.0, c[0] + 6000.0, c[1] + 6000.0];
    let in_rect =
        |p: &[f64; 2]| p[0] >= rect[0] && p[0] <= rect[2] && p[1] >= rect[1] && p[1] <= rect[3];
    let vertices: std::collections::HashSet<[u64; 2]> = net
        .lanes
        .iter()
        .flat_map(|l| l.points.iter().map(|p| [p[0].to_bits(), p[1].to_bits()]))
        .collect();
    for tol in [0.0, 0.2, 5.0, 50.0] {
        let bands = runs.bands(&net, rect, 0.0, tol, color);
        assert!(!bands.is_empty());
        for (points, _) in &bands {
            assert!(points.len() >= 2);
            for p in points {
                assert!(vertices.contains(&[p[0].to_bits(), p[1].to_bits()]));
            }
        }
        let mut lanes_in = 0;
        for (i, lane) in net.lanes.iter().enumerate() {
            if !lane.points.iter().all(in_rect) {
                continue;
            }
            lanes_in += 1;
            let want = color(LaneId::new(i));
            for p in &lane.points {
                let near = bands.iter().filter(|(_, c)| *c == want).any(|(b, _)| {
                    b.windows(2)
                        .any(|w| dist_to_segment(*p, w[0], w[1]) <= tol + 1e-6)
                });
                assert!(near, "lane {i}'s vertex {p:?} is not drawn within {tol} m");
            }
        }
        let legs: usize = bands.iter().map(|(b, _)| b.len() - 1).sum();
        eprintln!(
            "tolerance {tol} m: {lanes_in} lanes in view, {} bands, {legs} legs",
            bands.len()
        );
        if tol >= 5.0 {
            // Runs of lanes along the rows, a leg each.
            assert!(legs * 2 < lanes_in, "{legs} legs for {lanes_in} lanes");
        } else if tol == 0.0 {
            // The rows bend at every node: no join dropped.
            assert!(legs >= lanes_in, "{legs} legs for {lanes_in} lanes");
        }
    }
    // Everything out of view: nothing drawn.
    let far = [1e7, 1e7, 1.1e7, 1.1e7];
    assert!(runs.bands(&net, far, 100.0, 50.0, color).is_empty());
}

fn dist_to_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}
