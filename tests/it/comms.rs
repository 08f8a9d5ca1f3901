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
    assert!(
        t <= sim.scenario().duration_s,
        "{t} s is past the run's end"
    );
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

/// [`cell_text`]'s scenario (no tactical resolution) with lost link after `after_s` and
/// `contingency`, and `extra` cells (`(east, north, range)`).
fn lost_link(after_s: f64, contingency: &str, extra: &[(f64, f64, f64)]) -> Simulation {
    let base = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    let mut cells = String::new();
    for (k, &(e, n, r)) in extra.iter().enumerate() {
        let (lat, lon) = base.net().frame.to_geo(e, n);
        cells += &format!(", (id: \"X{k}\", lat: {lat:.12}, lon: {lon:.12}, range_m: {r})");
    }
    let text = cell_text((0.0, -1200.0, 1000.0), "None", true).replace(
        "range_m: 1000)]",
        &format!(
            "range_m: 1000){cells}], lost_link_after_s: {after_s:?}, contingency: {contingency}"
        ),
    );
    prepare_text(&text, "head_on.ron").unwrap()
}

#[test]
fn a_drone_that_loses_its_link_follows_its_contingency() {
    // As above, N's last report through is the one sent at 159. With lost link after 5 s
    // its link is found lost at the first step whose picture is older: 165 (age 6), at
    // north 10 x 165 - 1799.142 = -149.142, flying 10 m/s.
    let mut sim = lost_link(5.0, "Hover", &[]);
    let n = sim.flight_by_id("N").unwrap();
    step_to(&mut sim, 300.0);
    let c = sim.comms().unwrap();
    let ep = c.links().iter().find(|l| l.flight == n).unwrap();
    assert_eq!(ep.start_s, 165.0);
    assert_eq!(ep.end_s, None);
    assert_eq!(ep.action.name(), "hover");
    close(ep.pos[1], -149.142, 1e-3);
    // Hover: it brakes at 10 m/s² to a stop u²/2a = 5 m on, at -144.142, and stays.
    let d = *sim.airborne().find(|(f, _)| *f == n).unwrap().1;
    close(d.pos.y, -144.142, 1e-3);
    assert_eq!(d.motion.u, 0.0);
    assert_eq!(d.phase(), skycorridor::sim::Phase::LostLink);
    close(ep.stop_m.unwrap(), d.motion.s, 1e-9);
    // S was never heard (out of the cell from its take-off): its link is lost 6 s after
    // the ground saw it take off, and it hovers too.
    let s = sim.flight_by_id("S").unwrap();
    let seen = c.last(s).unwrap().sent_s;
    let es = c.links().iter().find(|l| l.flight == s).unwrap();
    assert_eq!(es.start_s, seen + 6.0);
    // The ground sees N where its contingency stops it, not extrapolated 135 s on.
    sim.step();
    let r = Report::from_sim(&sim);
    let l = r.comms.unwrap().lost_link.unwrap();
    assert_eq!((l.episodes, l.regained, l.unregained_in_the_air), (2, 0, 2));
    assert_eq!(l.by_action["hover"], 2);
}

#[test]
fn next_fix_stops_at_the_end_of_the_segment_and_a_report_through_resumes_the_plan() {
    // NextFix: lost at 165 on the lane, N flies on to the end of that path segment and
    // hovers there, never heard again.
    let mut sim = lost_link(5.0, "NextFix", &[]);
    let n = sim.flight_by_id("N").unwrap();
    step_to(&mut sim, 165.0);
    let d = *sim.airborne().find(|(f, _)| *f == n).unwrap().1;
    let plan = sim.plan(n).clone();
    let fix = plan.path.cum[d.motion.seg as usize + 1];
    assert!(
        fix > d.motion.s + 100.0,
        "the fix is ahead: {fix} vs {}",
        d.motion.s
    );
    step_to(&mut sim, 400.0);
    let d = *sim.airborne().find(|(f, _)| *f == n).unwrap().1;
    close(d.motion.s, fix, 1e-9);
    assert_eq!(d.motion.u, 0.0);
    // A second cell covering north of +200: on its way to the fix N is heard again from
    // its report of the step at 200 (north 200.858, 999.142 m from the cell), received
    // 50 ms later, in the step to 201: the episode ends at 201 and N flies its plan on
    // (it lands).
    let mut sim = lost_link(5.0, "NextFix", &[(0.0, 1200.0, 1000.0)]);
    sim.run_to_end();
    let c = sim.comms().unwrap();
    let ep = c.links().iter().find(|l| l.flight == n).unwrap();
    assert_eq!((ep.start_s, ep.end_s), (165.0, Some(201.0)));
    assert_eq!(
        sim.states()[n.index()].status,
        skycorridor::sim::Status::Completed
    );
}

#[test]
fn continue_flies_the_plan_as_without_lost_link() {
    // Continue: N flies its cleared plan on; with nothing else different, every flight
    // ends as with lost link off.
    let mut on = lost_link(5.0, "Continue", &[]);
    on.run_to_end();
    let mut off = lost_link(0.0, "Continue", &[]);
    off.run_to_end();
    assert!(off.comms().unwrap().links().is_empty());
    assert!(!on.comms().unwrap().links().is_empty());
    let ends = |s: &Simulation| {
        s.states()
            .iter()
            .map(|st| (st.status, st.end_s.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ends(&on), ends(&off));
    let r = Report::from_sim(&on);
    assert!(
        r.summary()
            .contains("lost link     2 episodes (2 continue)")
    );
    let r = Report::from_sim(&off);
    assert!(r.comms.unwrap().lost_link.is_none());
}

#[test]
fn drones_behind_a_hovering_drone_are_held_in_line_behind_it() {
    // border_gate.ron with D1 leaving 60 s after D0 (900 m behind at 15 m/s) and a cell
    // of 1.5 km around S (0, -4000): D0 leaves it at north -2500, loses its link 6 s
    // later (lost after 5 s) and hovers. D1, heard, is held one queue spacing (the 50 m
    // minimum + 10 m) behind where D0 stops; it loses its link too as it brakes past the
    // edge, already as good as stopped, and stays there.
    let base = skycorridor::load(&scenario_path("border_gate.ron"), &[]).unwrap();
    let (lat, lon) = base.net().frame.to_geo(0.0, -4000.0);
    let text = scenario_text("border_gate.ron")
        .replace(
            "    corridors: [",
            &format!(
                "    comms: (cells: [(id: \"C\", lat: {lat:.12}, lon: {lon:.12}, range_m: 1500.0)], loss: 0.0, jitter_ms: 0.0, lost_link_after_s: 5.0, contingency: Hover),\n    corridors: ["
            ),
        )
        .replace("departure_s: 10.0", "departure_s: 60.0")
        .replace("departure_s: 20.0", "departure_s: 1000.0")
        .replace("departure_s: 30.0", "departure_s: 1010.0")
        .replace("departure_s: 40.0", "departure_s: 1020.0");
    let mut sim = prepare_text(&text, "border_gate.ron").unwrap();
    step_to(&mut sim, 600.0);
    let at = |sim: &Simulation, id: &str| {
        let f = sim.flight_by_id(id).unwrap();
        *sim.airborne().find(|(g, _)| *g == f).unwrap().1
    };
    let (d0, d1) = (at(&sim, "D0"), at(&sim, "D1"));
    assert_eq!((d0.motion.u, d1.motion.u), (0.0, 0.0));
    assert!(d0.pos.y > -2500.0 && d0.pos.y < -2300.0, "{:?}", d0.pos);
    close(d0.pos.y - d1.pos.y, 60.0, 1e-6);
    assert!(sim.comms().unwrap().stats().held_drone_steps > 0);
    let r = Report::from_sim(&sim);
    assert_eq!(r.losses_of_separation, 0);
}

/// `border_gate.ron` with one cell of 1.5 km around S (0, -4000), no loss or jitter,
/// lost link after 5 s and contingency `LandNearest`, strategic deconfliction `strategic`.
fn diverting(strategic: bool) -> Simulation {
    let base = skycorridor::load(&scenario_path("border_gate.ron"), &[]).unwrap();
    let (lat, lon) = base.net().frame.to_geo(0.0, -4000.0);
    let text = scenario_text("border_gate.ron").replace(
        "    corridors: [",
        &format!(
            "    comms: (cells: [(id: \"C\", lat: {lat:.12}, lon: {lon:.12}, range_m: 1500.0)], loss: 0.0, jitter_ms: 0.0, lost_link_after_s: 5.0, contingency: LandNearest),\n    deconfliction: (strategic: {strategic}),\n    corridors: ["
        ),
    );
    let mut sim = prepare_text(&text, "border_gate.ron").unwrap();
    sim.run_to_end();
    sim
}

#[test]
fn land_nearest_diverts_to_a_free_fato_and_strategic_absorbs_it() {
    // Every drone loses its link on SOUTH-LEG, out of the cell, long before G: it flies
    // the lane on to G and turns back to S (from G, S's fix is no further than N's, and
    // first in the scenario), landing there: diverted, not completed.
    for strategic in [false, true] {
        let sim = diverting(strategic);
        let r = Report::from_sim(&sim);
        assert_eq!(
            (r.flights.diverted, r.flights.completed),
            (5, 0),
            "{strategic}"
        );
        let l = r.comms.as_ref().unwrap().lost_link.as_ref().unwrap();
        assert_eq!(l.by_action["land_nearest"], 5);
        assert!(
            l.listed
                .iter()
                .all(|e| e.diverted_to.as_deref() == Some("S") && e.pos[1] > -2500.0)
        );
        for f in 0..5 {
            let f = skycorridor::ids::FlightId::new(f);
            assert_eq!(
                sim.states()[f.index()].status,
                skycorridor::sim::Status::Diverted
            );
            assert_eq!(sim.net().nodes[sim.plan(f).destination].id, "S");
        }
        if strategic {
            // The gate spaces the departures 60 s apart, each diversion is booked from
            // where the drone is (its landing FATO and stand free in the bookings): every
            // drone lands when its diversion was booked to, and none loses separation.
            assert_eq!(r.losses_of_separation, 0);
            for (f, st) in sim.states().iter().enumerate() {
                let f = skycorridor::ids::FlightId::new(f);
                let booked = sim.booked_departure(f) + sim.plan(f).duration_s;
                close(st.end_s, booked, 1e-6);
            }
        }
    }
}

/// `border_gate.ron` with D0 alone, strategic deconfliction, lost link after 5 s and two
/// large cells, one reaching 2.5 km south of G and the other 2.4 km, so that D0 loses
/// its link in the 100 m gap between them each time it flies through (6.7 s at
/// 15 m/s). With `r_departure_s`, a second drone R flies from N to S leaving then, at
/// 20 m/s (SOUTH-LEG's limit) on the southbound level (82.5 m), and a third cell, up to
/// 100 m, covers the gap at that level (R would lose its link there too).
fn diverting_before(r_departure_s: Option<f64>) -> Simulation {
    let base = skycorridor::load(&scenario_path("border_gate.ron"), &[]).unwrap();
    let cell = |id: &str, north_m: f64, range_m: f64, ceiling: &str| {
        let (lat, lon) = base.net().frame.to_geo(0.0, north_m);
        format!("(id: \"{id}\", lat: {lat:.12}, lon: {lon:.12}, range_m: {range_m:.1}{ceiling})")
    };
    let mut cells = vec![
        cell("S", -14_000.0, 11_500.0, ""),
        cell("N", 10_000.0, 12_400.0, ""),
    ];
    if r_departure_s.is_some() {
        cells.push(cell("LOW", -2450.0, 200.0, ", max_alt_m: 100.0"));
    }
    let mut text = scenario_text("border_gate.ron").replace(
        "    corridors: [",
        &format!(
            "    comms: (cells: [{}], loss: 0.0, jitter_ms: 0.0, lost_link_after_s: 5.0, contingency: LandNearest),\n    deconfliction: (strategic: true),\n    corridors: [",
            cells.join(", ")
        ),
    );
    let others: Vec<String> = text
        .lines()
        .filter(|l| l.contains("(id: \"D") && !l.contains("\"D0\""))
        .map(|l| format!("{l}\n"))
        .collect();
    for l in others {
        text = text.replace(&l, "");
    }
    if let Some(r) = r_departure_s {
        text = text
            .replace(
                "    ],\n    demand:",
                "        (id: \"fast\", cruise_speed_mps: 30.0, climb_rate_mps: 5.0, descent_rate_mps: 5.0, accel_mps2: 4.0, battery_wh: 2000.0, hover_power_w: 1000.0, cruise_power_w: 800.0),\n    ],\n    demand:",
            )
            .replace(
                "        ],\n    ),\n)",
                &format!(
                    "            (id: \"R\", origin: \"N\", destination: \"S\", drone_type: \"fast\", departure_s: {r:.1}),\n        ],\n    ),\n)"
                ),
            );
    }
    let mut sim = prepare_text(&text, "border_gate.ron").unwrap();
    sim.run_to_end();
    sim
}

/// Each lost-link episode of `r`: when it began, where the drone diverted, whether its
/// booking fit.
fn diversions(r: &Report) -> Vec<(String, f64, Option<String>, Option<bool>)> {
    let l = r.comms.as_ref().unwrap().lost_link.as_ref().unwrap();
    l.listed
        .iter()
        .map(|e| {
            (
                e.flight.clone(),
                e.start_s,
                e.diverted_to.clone(),
                e.diversion_clear,
            )
        })
        .collect()
}

#[test]
fn a_diversion_goes_where_its_booking_fits() {
    // D0 loses its link at 169 s and flies on to G (at 330 s). R, filed to leave N at
    // 60 s, is cleared for 145 s (G spaces passages 60 s apart) and flies SOUTH-LEG
    // 60 s behind D0's turn there, 5 m/s faster: a diversion back to S (the first of
    // the two equally near) would be overtaken on the lane. Its booking does not fit
    // there, so D0 flies on to N, whose route is clear. Without that check it turned
    // back and R flew into it (a loss from 561 s, minimum separation 0 m).
    let sim = diverting_before(Some(60.0));
    let r = Report::from_sim(&sim);
    let n = |s: &str| Some(s.to_string());
    assert_eq!(
        diversions(&r),
        [("D0".to_string(), 169.0, n("N"), Some(true))]
    );
    let l = r.comms.as_ref().unwrap().lost_link.as_ref().unwrap();
    assert_eq!(l.diversions_clashing, 0);
    assert_eq!(r.losses_of_separation, 0);
    assert_eq!(r.flights.completed, 2);
    for (f, st) in sim.states().iter().enumerate() {
        let f = skycorridor::ids::FlightId::new(f);
        close(
            st.end_s,
            sim.booked_departure(f) + sim.plan(f).duration_s,
            1e-6,
        );
    }
    // Alone, D0 diverts back to S and on its way loses its link again in the same gap.
    // That second diversion is checked against the bookings without its first (which is
    // withdrawn, not left in the table as a ghost it would clash with) and lands at S
    // as booked.
    let sim = diverting_before(None);
    let r = Report::from_sim(&sim);
    let d = diversions(&r);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d.iter()
            .all(|e| e.0 == "D0" && e.2 == n("S") && e.3 == Some(true)),
        "{d:?}"
    );
    assert_eq!(r.losses_of_separation, 0);
    let d0 = skycorridor::ids::FlightId::new(0);
    close(
        sim.states()[0].end_s,
        sim.booked_departure(d0) + sim.plan(d0).duration_s,
        1e-6,
    );
}

#[test]
fn monitoring_sees_the_picture() {
    use skycorridor::monitor::{AlertKind, Thresholds, run_monitored};
    let kinds = |alerts: &[skycorridor::monitor::Alert], k: AlertKind| {
        alerts
            .iter()
            .filter(|a| a.kind == k)
            .cloned()
            .collect::<Vec<_>>()
    };
    // The head-on pair without tactical resolution loses separation (tests/it/head_on.rs).
    // Under a cell covering everything the platform sees the loss too, within a step of
    // the truth, and no track goes stale.
    let covered = with_cell(0.0, 0.0, 10_000.0, "None");
    let (sim, alerts) = run_monitored(covered, Thresholds::default());
    let los = kinds(&alerts, AlertKind::Los);
    assert_eq!(los.len(), 1, "{alerts:?}");
    let truth = sim.events().sorted();
    let truth = truth
        .iter()
        .find(|e| e.kind == skycorridor::sim::events::EventKind::Los)
        .unwrap();
    assert!((los[0].start_s - truth.start_s).abs() <= 1.0 + 1e-9);
    assert!(kinds(&alerts, AlertKind::Stale).is_empty());
    // With the cell far from both, the ground never hears them and sees each where it
    // took off: the loss still happens (the truth), the platform raises no conflict and
    // no loss, and each track is stale from 4 s after the ground saw it take off (its
    // picture then 4 s old, over the 3 s limit) until it lands.
    let blind = with_cell(5000.0, 0.0, 1000.0, "None");
    let (sim, alerts) = run_monitored(blind, Thresholds::default());
    assert_eq!(Report::from_sim(&sim).losses_of_separation, 1);
    assert!(kinds(&alerts, AlertKind::Los).is_empty());
    assert!(kinds(&alerts, AlertKind::Conflict).is_empty());
    let stale = kinds(&alerts, AlertKind::Stale);
    assert_eq!(stale.len(), 2);
    for a in &stale {
        let f = a.subject.flights()[0];
        let seen = sim.comms().unwrap().last(f).unwrap().sent_s;
        assert_eq!(a.start_s, seen + 4.0);
        close(a.end_s, sim.states()[f.index()].end_s, 1.0);
    }
}

#[test]
fn operators_are_counted_and_range_thins_with_altitude() {
    // One cell over everything, no operator named: it carries every report and serves
    // both corridors (2 x 2.4 km).
    let mut sim = with_cell(0.0, 0.0, 10_000.0, "None");
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    let k = r.comms.unwrap();
    assert_eq!(k.operators.len(), 1);
    let o = &k.operators[0];
    assert_eq!((o.operator.as_str(), o.cells), ("", 1));
    assert_eq!(o.reports_sent, k.reports_sent);
    assert_eq!(o.delivered, k.delivered);
    close(o.corridor_m_served, 4800.0, 1e-6);
    // A cell 6 km east of the corridors with 10 km of range on the ground that falls
    // to 5 km from 10 m up: at the lanes' altitude (80 m and more) the corridors, all
    // more than 5.9 km from it, are out of its range.
    let text = cell_text((6000.0, 0.0, 10_000.0), "None", true).replace(
        "range_m: 10000)",
        "range_m: 10000, range_by_alt: [(0.0, 10000.0), (10.0, 5000.0)])",
    );
    let mut far = prepare_text(&text, "head_on.ron").unwrap();
    far.run_to_end();
    let k = Report::from_sim(&far).comms.unwrap();
    close(k.uncovered_m, 4800.0, 1e-6);
    assert_eq!(k.operators[0].corridor_m_served, 0.0);
}

#[test]
fn each_drone_type_reports_at_its_own_rate() {
    // The head-on pair under a cell covering everything: at the layer's 1 s period each
    // drone reports every step it is in the air; its type's 5 s period, every fifth one
    // (staggered by flight): a fifth of the reports, give or take one a flight.
    let every_step = with_cell(0.0, 0.0, 10_000.0, "None");
    let text = cell_text((0.0, 0.0, 10_000.0), "None", true).replace(
        "accel_mps2: 10.0,",
        "accel_mps2: 10.0, report_period_s: 5.0,",
    );
    let every_fifth = prepare_text(&text, "head_on.ron").unwrap();
    let sent = |mut sim: Simulation| {
        sim.run_to_end();
        let st = sim.comms().unwrap().stats().clone();
        (st.sent, st.drone_steps, st.stale_drone_steps)
    };
    let (one, steps, stale_one) = sent(every_step);
    let (five, steps5, stale_five) = sent(every_fifth);
    assert_eq!(steps, steps5);
    assert_eq!(one, steps);
    assert!(
        (five as i64 - (steps / 5) as i64).abs() <= 2,
        "{five} of {steps}"
    );
    // A report arrives 50 ms after it is sent and is used from the next step: the
    // picture is 1 s old at every step with a 1 s period, never stale; with 5 s it is
    // 1, 2, 3, 4 and 5 s old in turn, over the 3 s of staleness two steps in five.
    assert_eq!(stale_one, 0);
    let two_fifths = (2 * steps / 5) as i64;
    assert!(
        (stale_five as i64 - two_fifths).abs() <= 8,
        "{stale_five} of {steps}"
    );
}
