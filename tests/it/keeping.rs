//! Keeping only the plans of flights in progress whole (`PlanKeeping::InUse`, what `run`
//! does): the outputs are those of keeping every plan, byte for byte, and a plan is whole
//! exactly while a flight that is due, waiting or in the air flies it.

use std::collections::BTreeMap;
use std::path::Path;

use skycorridor::ids::{FlightId, PlanId};
use skycorridor::metrics::{self, Report};
use skycorridor::planner::PlanKeeping;
use skycorridor::scenario::Override;
use skycorridor::sim::{Simulation, Status};

fn load(file: &str, set: &[&str], keeping: PlanKeeping) -> Simulation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let set: Vec<Override> = set.iter().map(|s| s.parse().unwrap()).collect();
    skycorridor::load_keeping(&path, &set, keeping).unwrap().0
}

/// Every output file of `file` run to its end with `set`, keeping plans as `keeping` says;
/// with only plans in use kept, the reservation table released before the reports, as
/// `run` does.
fn outputs(file: &str, set: &[&str], keeping: PlanKeeping) -> BTreeMap<String, Vec<u8>> {
    let mut sim = load(file, set, keeping);
    sim.run_to_end();
    if keeping == PlanKeeping::InUse {
        sim.release_reservations();
        assert!(sim.reservations().is_none_or(|t| t.bookings() == 0));
    }
    let dir = tempfile::tempdir().unwrap();
    metrics::write_outputs(&sim, &Report::from_sim(&sim), dir.path()).unwrap();
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// (With the table released before the reports, as `run` does.)
#[test]
fn keeping_only_plans_in_use_changes_no_output() {
    let default = skycorridor::DEFAULT_SCENARIO;
    for (file, set) in [
        (default, &[][..]),
        (
            default,
            &["deconfliction.strategic=true", "deconfliction.tactical=Mvp"][..],
        ),
        ("scenarios/hk_sz_crossborder.ron", &[][..]),
        (
            "scenarios/vertiport_capacity.ron",
            &["deconfliction.strategic=true"][..],
        ),
        ("scenarios/estuary_crossing.ron", &[][..]),
        // Bookings forgotten behind the clock while flights are re-planned in flight,
        // released late from their stands and diverted by a lost-link contingency.
        (default, &LATE[..]),
        (default, &LOST_LINK[..]),
    ] {
        let all = outputs(file, set, PlanKeeping::All);
        let in_use = outputs(file, set, PlanKeeping::InUse);
        assert!(all.len() >= 5 && all["plans.csv"].len() > 1000, "{file}");
        for (name, bytes) in &all {
            assert!(
                in_use[name] == *bytes,
                "{file} {set:?}: {name} differs when only plans in use are kept"
            );
        }
    }
}

/// Strategic and Mvp under schedule noise: flights re-planned in flight and released late.
const LATE: [&str; 5] = [
    "deconfliction.strategic=true",
    "deconfliction.tactical=Mvp",
    "deconfliction.buffer_s=5",
    "uncertainty.schedule.departure_sd_s=120",
    "uncertainty.schedule.speed_sd=0.1",
];

/// Strategic with links lost and drones diverted to the nearest vertiport (booked).
const LOST_LINK: [&str; 6] = [
    "deconfliction.strategic=true",
    "deconfliction.tactical=Mvp",
    "comms.enabled=true",
    "comms.loss=0.3",
    "comms.lost_link_after_s=5",
    "comms.contingency=LandNearest",
];

/// With only plans in use kept, the bookings behind the clock are forgotten as the run
/// goes (the outputs stay the same: `keeping_only_plans_in_use_changes_no_output`): at the
/// end of the default hour the table holds under half of the day's bookings, every one
/// of them one the table kept whole holds too.
#[test]
fn bookings_behind_the_clock_are_forgotten() {
    for set in [&LATE[..], &LOST_LINK[..]] {
        let run = |keeping| {
            let mut sim = load(skycorridor::DEFAULT_SCENARIO, set, keeping);
            sim.run_to_end();
            sim
        };
        let (all, in_use) = (run(PlanKeeping::All), run(PlanKeeping::InUse));
        let (all, kept) = (all.reservations().unwrap(), in_use.reservations().unwrap());
        let (day, left) = (all.bookings(), kept.bookings());
        assert!(left > 0 && 2 * left < day, "{left} of {day} bookings left");
        let starts = |t: &[skycorridor::planner::strategic::Table<f64>]| -> Vec<Vec<(f64, f64)>> {
            t.iter()
                .map(|t| t.starting_in(f64::NEG_INFINITY, f64::INFINITY).collect())
                .collect()
        };
        let (every, some) = (starts(&all.lanes), starts(&kept.lanes));
        assert_eq!(every.len(), some.len());
        for (e, s) in every.iter().zip(&some) {
            assert!(s.iter().all(|b| e.contains(b)), "{s:?} not in {e:?}");
        }
    }
}

#[test]
fn a_plan_is_whole_exactly_while_a_flight_in_progress_flies_it() {
    let mut sim = load(
        skycorridor::DEFAULT_SCENARIO,
        &["duration_s=1800"],
        PlanKeeping::InUse,
    );
    let whole = |sim: &Simulation| sim.plans().iter().filter(|p| !p.is_shed()).count();
    // Before the first step no flight is in progress: every plan is shed.
    assert_eq!(whole(&sim), 0);
    let mut shed_seen = 0;
    while !sim.finished() {
        sim.step();
        if !sim.steps().is_multiple_of(60) {
            continue;
        }
        // The plans each flight in progress flies, as cleared and now.
        let mut held = vec![false; sim.plans().len()];
        for (f, st) in sim.states().iter().enumerate() {
            let f = FlightId::new(f);
            if matches!(st.status, Status::Airborne | Status::WaitingForPad) {
                held[sim.flights()[f.index()].plan.index()] = true;
                let now = sim
                    .plans()
                    .iter()
                    .position(|p| std::ptr::eq(p, sim.plan(f)))
                    .unwrap();
                held[now] = true;
            }
        }
        for (i, p) in sim.plans().iter().enumerate() {
            assert_eq!(
                !p.is_shed(),
                held[i],
                "plan {i} at {} s: whole {} but held {}",
                sim.time_s(),
                !p.is_shed(),
                held[i]
            );
        }
        shed_seen = shed_seen.max(sim.plans().iter().filter(|p| p.is_shed()).count());
        // A shed plan comes back whole, bit for bit, when asked for.
        if let Some(i) = sim.plans().iter().position(|p| p.is_shed()) {
            let again = sim.whole_plan(PlanId::new(i));
            assert!(!again.is_shed() && !again.path.segs.is_empty());
            assert_eq!(again.duration_s, sim.plans()[i].duration_s);
        }
    }
    assert!(shed_seen > 100, "only {shed_seen} plans were ever shed");
}

/// The simulation keeps the scenario without its explicit flights once they are planned
/// (at a million of them, a quarter of a kilobyte each): each is a planned flight with its
/// id, departure, priority, ends and type, and everything else of the scenario is kept.
#[test]
fn the_explicit_flights_are_let_go_once_planned() {
    let path = crate::scenario_path("head_on.ron");
    let (whole, _) = skycorridor::load_scenario(&path, &[]).unwrap();
    assert!(whole.demand.flights.len() >= 2);
    let mut rest = whole.clone();
    rest.demand.flights.clear();
    for keeping in [PlanKeeping::All, PlanKeeping::InUse] {
        let mut sim = skycorridor::load_keeping(&path, &[], keeping).unwrap().0;
        assert_eq!(sim.scenario(), &rest, "the rest of the scenario is kept");
        assert_eq!(sim.flights().len(), whole.demand.flights.len());
        for spec in &whole.demand.flights {
            let f = sim.flight_by_id(spec.id.as_deref().unwrap()).unwrap();
            let flight = &sim.flights()[f.index()];
            assert_eq!(flight.scheduled_s, spec.departure_s);
            assert_eq!(flight.priority, spec.priority);
            let plan = sim.plan(f);
            let net = sim.net();
            assert_eq!(net.nodes[plan.origin].id, spec.origin);
            assert_eq!(net.nodes[plan.destination].id, spec.destination);
            assert_eq!(sim.drone_type(f).id, spec.drone_type);
        }
        sim.run_to_end();
        assert!(
            sim.states().iter().all(|s| s.status == Status::Completed),
            "and they fly"
        );
    }
}
