//! Sound strategic deconfliction: with strategic deconfliction on and tactical resolution
//! off nothing disturbs a drone, so each flies its cleared 4D plan exactly, and no two
//! drones ever lose separation. Checked step by step against an all-pairs oracle on
//! random valid scenarios (crossing corridors with overlapping bands, two-way lanes,
//! mixed types and speeds, border gates, several vertiports with several FATOs) and on
//! every shipped scenario.
//!
//! CI runs 24 random cases (seeded, seconds); a long run:
//! `PROPTEST_CASES=500 cargo test --release cleared_plans`.

use proptest::prelude::*;
use skycorridor::metrics::Report;
use skycorridor::sim::{Simulation, Status};

use crate::arbitrary::{cases, render, spec};
use crate::prepare_text;

/// Steps `sim` to its end; after every step, every pair of drones in the air is checked
/// with minima `[horizontal_m, vertical_m]` (all pairs, no broad phase). Then every
/// flight that took off did so at its cleared departure, and every one that landed did
/// so at its cleared arrival; and every drone in the air is where its plan's times put it
/// (the bookings are made with those times).
fn fly_checked(sim: &mut Simulation, minima: [f64; 2]) -> Result<(), String> {
    while !sim.finished() {
        sim.step();
        for (f, d) in sim.airborne() {
            let late =
                sim.time_s() - (sim.booked_departure(f) + sim.plan(f).planned_time_at(d.motion.s));
            if late.abs() > 1e-6 {
                return Err(format!(
                    "t={}: {} is {late} s off its planned time at {:.3} m",
                    sim.time_s(),
                    sim.flights()[f].id,
                    d.motion.s
                ));
            }
        }
        let up: Vec<_> = sim.airborne().map(|(f, d)| (f, d.pos)).collect();
        for (i, (f, a)) in up.iter().enumerate() {
            for (g, b) in &up[i + 1..] {
                let h = (a.x - b.x).hypot(a.y - b.y);
                let v = (a.z - b.z).abs();
                if h < minima[0] - 1e-6 && v < minima[1] - 1e-6 {
                    return Err(format!(
                        "t={}: {} and {} are {h:.1} m apart horizontally, {v:.1} m vertically",
                        sim.time_s(),
                        sim.flights()[*f].id,
                        sim.flights()[*g].id
                    ));
                }
            }
        }
    }
    flown_as_cleared(sim)
}

/// Every flight that took off did so at its cleared departure, and every one that landed
/// did so at its cleared arrival.
fn flown_as_cleared(sim: &Simulation) -> Result<(), String> {
    for (k, (f, st)) in sim.flights().iter().zip(sim.states()).enumerate() {
        if !st.takeoff_s.is_nan() && (st.takeoff_s - f.departure_s).abs() > 1e-6 {
            return Err(format!(
                "{} took off at {} (cleared for {})",
                f.id, st.takeoff_s, f.departure_s
            ));
        }
        let plan = sim.fleet().cleared_plan(skycorridor::ids::FlightId::new(k));
        let arrival = f.departure_s + plan.duration_s;
        if st.status == Status::Completed && (st.end_s - arrival).abs() > 1e-6 {
            return Err(format!(
                "{} landed at {} (cleared for {arrival})",
                f.id, st.end_s
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn cleared_plans_flown_undisturbed_never_lose_separation(mut s in spec()) {
        s.strategic = true;
        s.tactical = 0;
        // Undisturbed: no lost-link contingency takes a drone off its plan.
        s.comms = None;
        // Busy enough that the bookings bind.
        s.demand_scale = 8.0;
        let case = render(&s);
        let mut sim = prepare_text(&case.text, "sound.ron")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}", case.text)))?;
        let sep = &sim.scenario().separation;
        let minima = [sep.horizontal_m, sep.vertical_m];
        let checked = fly_checked(&mut sim, minima);
        prop_assert!(checked.is_ok(), "{}\n{}", checked.unwrap_err(), case.text);
        // (The simulation's own count also looks between steps, along each drone's path
        // over the step at its speed, piece by piece between bends. The shipped
        // scenarios are held to that count too, below.)
        let r = Report::from_sim(&sim);
        crate::assert_every_flight_accounted(&r);
    }
}

#[test]
fn every_shipped_scenario_cleared_strategically_loses_no_separation() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    let set: Vec<_> = [
        "deconfliction.strategic=true",
        "deconfliction.tactical=None",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    for path in names {
        // The generated region scenarios for their first five minutes (tens of thousands
        // of flights, every junction, ramp and terminal of the mesh in use).
        let mut set = set.clone();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.starts_with("// GENERATED by `skycorridor generate") {
            set.push("duration_s=300".parse().unwrap());
        }
        let mut sim = skycorridor::load(&path, &set).unwrap();
        let big = sim.flights().len() > 5_000;
        // The R-tree checked against all pairs at every step, where that is affordable
        // (the stress scenarios rely on the oracle tests of the R-tree).
        sim.set_verify_separation(!big);
        sim.run_to_end();
        let r = Report::from_sim(&sim);
        assert_eq!(
            (r.losses_of_separation, sim.separation_mismatches()),
            (0, 0),
            "{}",
            path.display()
        );
        if let Err(e) = flown_as_cleared(&sim) {
            panic!("{}: {e}", path.display());
        }
        crate::assert_every_flight_accounted(&r);
        if big {
            continue;
        }
        // Tactical Mvp on top: a pair flying its bookings exactly is left alone, so
        // nothing is manoeuvred and the hour is the same (it used to push drones turning
        // or changing level past each other off the book: 3 losses on the default).
        let mut mvp = set.clone();
        mvp.push("deconfliction.tactical=Mvp".parse().unwrap());
        let mut sim = skycorridor::load(&path, &mvp).unwrap();
        sim.run_to_end();
        let m = Report::from_sim(&sim);
        let t = &m.tactical;
        assert_eq!(
            (
                m.losses_of_separation,
                t.speed_manoeuvres + t.vertical_manoeuvres + t.lateral_manoeuvres,
                m.flights.completed
            ),
            (0, 0, r.flights.completed),
            "{} with Mvp",
            path.display()
        );
    }
}
