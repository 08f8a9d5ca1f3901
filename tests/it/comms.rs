//! The communications layer: what the ground sees of each drone, derived by hand on the
//! head-on scenario, and tactical resolution working on that picture.

use skycorridor::metrics::Report;
use skycorridor::sim::Simulation;

use crate::{close, prepare_text, scenario_path, scenario_text};

/// `head_on.ron` with a communications layer of one cell centred at local `(east,
/// north)` with `range` metres, no loss, no jitter, 50 ms, reports every second, stale
/// after 3 s; and `extra` more `--set` style lines appended to `deconfliction`.
fn with_cell(east: f64, north: f64, range: f64, tactical: &str) -> Simulation {
    let text = cell_text((east, north, range), tactical, true);
    prepare_text(&text, "head_on.ron").unwrap()
}

/// The text of [`with_cell`]'s scenario, its layer `enabled` or not.
fn cell_text((east, north, range): (f64, f64, f64), tactical: &str, enabled: bool) -> String {
    let base = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    let (lat, lon) = base.net().frame.to_geo(east, north);
    scenario_text("head_on.ron").replace(
        "    corridors: [",
        &format!(
            "    comms: (enabled: {enabled}, cells: [(id: \"C\", lat: {lat:.12}, lon: {lon:.12}, range_m: {range})], loss: 0.0, jitter_ms: 0.0, latency_ms: 50.0),\n    deconfliction: (tactical: {tactical}),\n    corridors: ["
        ),
    )
}

fn step_to(sim: &mut Simulation, t: f64) {
    while sim.time_s() < t - 1e-9 {
        sim.step();
    }
}

#[test]
fn a_drone_leaving_coverage_is_seen_at_its_last_report_then_stale() {
    // One cell of 1 km around N's origin (0, -1200). N cruises north at 10 m/s on x = 0
    // (north = 10 t - 1799.142, tests/it/head_on.rs) and leaves the cell at north = -200,
    // at t = 159.914: its last report is the one of the step at 159 (north -209.142),
    // received 50 ms later, before the step at 160 ends. The ground extrapolates it along
    // its velocity, which is exactly where N is while it cruises straight on; 3 s after it
    // was sent (after 162) the picture is stale. S, from (48, 1200) southbound, is out of
    // the cell from its take-off and never reports: the ground sees it where it took off.
    let mut sim = with_cell(0.0, -1200.0, 1000.0, "None");
    let (n, s) = (
        sim.flight_by_id("N").unwrap(),
        sim.flight_by_id("S").unwrap(),
    );
    step_to(&mut sim, 162.0);
    let c = sim.comms().unwrap();
    assert_eq!(c.last(n).unwrap().sent_s, 159.0);
    assert!(!c.stale(n, 162.0));
    step_to(&mut sim, 170.0);
    let c = sim.comms().unwrap();
    let r = *c.last(n).unwrap();
    assert_eq!(r.sent_s, 159.0);
    close(r.pos.y, 10.0 * 159.0 - 1799.142, 1e-3);
    close(c.age_s(n, 170.0), 11.0, 1e-9);
    assert!(c.stale(n, 170.0));
    let true_n = sim.airborne().find(|(f, _)| *f == n).unwrap().1.pos;
    assert!(
        (r.at(170.0) - true_n).length() < 1e-9,
        "{:?} vs {true_n:?}",
        r.at(170.0)
    );
    let rs = *c.last(s).unwrap();
    assert_eq!(rs.vel, glam::DVec3::ZERO);
    assert!(c.stale(s, 170.0) && rs.pos.y > 1100.0);
    let st = c.stats();
    assert_eq!((st.lost, st.dropped), (0, 0));
    assert!(st.no_coverage >= 2 * 160 - 170, "{st:?}");
}

/// The head-on pair with vertical resolution, `cell` a cell `(east, north, range)`.
fn resolved(cell: (f64, f64, f64)) -> Report {
    let mut sim = with_cell(cell.0, cell.1, cell.2, "Vertical");
    sim.run_to_end();
    Report::from_sim(&sim)
}

#[test]
fn tactical_resolution_works_on_the_picture() {
    // A cell over the whole scenario: the ground sees both drones a second late at most,
    // extrapolated straight, as they fly: the head-on conflict is resolved as with
    // perfect communications (tests/it/tactical.rs).
    let seen = resolved((0.0, 0.0, 10_000.0));
    assert_eq!(seen.losses_of_separation, 0);
    assert!(seen.tactical.vertical_manoeuvres >= 1);
    let k = seen.comms.as_ref().unwrap();
    assert_eq!((k.not_sent_no_coverage, k.uncovered_m), (0, 0.0));
    assert_eq!(k.los_with_stale_picture, 0);
    // A cell far from both corridors: the ground never hears from them, sees them where
    // they took off, and resolves nothing: the loss of separation derived by hand
    // happens, with both pictures stale since take-off.
    let blind = resolved((5000.0, 0.0, 1000.0));
    assert_eq!(blind.losses_of_separation, 1);
    assert_eq!(blind.tactical.vertical_manoeuvres, 0);
    let k = blind.comms.as_ref().unwrap();
    assert_eq!((k.reports_sent, k.los_with_stale_picture), (0, 1));
    // Every corridor uncovered: 2 x 2.4 km.
    close(k.uncovered_m, 4800.0, 1e-6);
    let age = k.stale_picture_age_s.max;
    assert!((170.0..181.0).contains(&age), "picture age {age}");
    let l = &blind.los_causes.listed[0];
    assert_eq!(l.flights, ["N".to_string(), "S".to_string()]);
}

#[test]
fn perfect_communications_leave_everything_as_it_was() {
    // No cells: the layer is off, and the report has no comms section.
    let mut sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    sim.run_to_end();
    assert!(sim.comms().is_none());
    let r = Report::from_sim(&sim);
    assert!(r.comms.is_none());
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("\"comms\""));
    // Cells present but switched off (a cell that sees nobody, which would change the
    // resolution): the same report, byte for byte, as without any.
    let text = cell_text((5000.0, 0.0, 1000.0), "Vertical", false);
    let mut off = prepare_text(&text, "head_on.ron").unwrap();
    off.run_to_end();
    assert!(off.comms().is_none());
    let mut plain = skycorridor::load(
        &scenario_path("head_on.ron"),
        &["deconfliction.tactical=Vertical".parse().unwrap()],
    )
    .unwrap();
    plain.run_to_end();
    let json = |s: &Simulation| serde_json::to_string(&Report::from_sim(s)).unwrap();
    assert_eq!(json(&off), json(&plain));
}

#[test]
fn a_cross_border_handover_silences_a_drone_for_its_stated_time() {
    // border_gate.ron: five drones cross gate G, each cleared at the start of a step t.
    // With a 5 s handover a drone sends nothing at the states of t + 1 .. t + 4 (the one
    // of t + 5 is 5 s after), four reports a passage: 20 in all. Its last report before,
    // sent at t, is 4 and 5 s old at t + 4 and t + 5, over the 3 s of staleness: two stale
    // drone-steps a passage, and none elsewhere under a cell covering everything.
    let base = skycorridor::load(&scenario_path("border_gate.ron"), &[]).unwrap();
    let (lat, lon) = base.net().frame.to_geo(0.0, 0.0);
    let text = scenario_text("border_gate.ron").replace(
        "    corridors: [",
        &format!(
            "    comms: (cells: [(id: \"C\", lat: {lat:.12}, lon: {lon:.12}, range_m: 20000.0)], loss: 0.0, jitter_ms: 0.0, handover_s: 5.0),\n    corridors: ["
        ),
    );
    let mut sim = prepare_text(&text, "border_gate.ron").unwrap();
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    assert_eq!(r.flights.completed, 5);
    let st = sim.comms().unwrap().stats();
    assert_eq!(st.in_handover, 20);
    assert_eq!(st.stale_drone_steps, 10);
    assert_eq!((st.lost, st.no_coverage), (0, 0));
    assert_eq!(r.comms.unwrap().not_sent_in_handover, 20);
}
