//! Event forensics: each loss of separation carries what led to it (the pair's phases and
//! places, whether and how long before it was predicted, the decisions that touched
//! either drone, the event with a third drone it followed).

use skycorridor::ids::FlightId;
use skycorridor::metrics::{Report, events_csv};
use skycorridor::sim::events::{Decision, Decisions, EventKind, LosCause};
use skycorridor::sim::{Phase, Simulation, TrackPlace};

use crate::{close, default_with_tactical, prepare_text, scenario_path, scenario_text};

/// The run's losses of separation by start: flight ids, start, cause.
fn losses(sim: &Simulation) -> Vec<(String, String, f64, LosCause)> {
    let id = |f: FlightId| sim.flights()[f.index()].id.clone();
    sim.events()
        .sorted()
        .into_iter()
        .filter(|e| e.kind == EventKind::Los)
        .map(|e| {
            let cause = *e.cause.clone().expect("a loss of separation has a cause");
            (id(e.a), id(e.b), e.start_s, cause)
        })
        .collect()
}

#[test]
fn a_head_on_loss_is_predicted_29_s_ahead_with_no_decision_behind_it() {
    // tests/it/head_on.rs derives it: both drones cruise the corridor, away from its
    // ends; the conflict is first detected at t = 150, the loss begins at 179.214.
    let mut sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    sim.run_to_end();
    let los = losses(&sim);
    assert_eq!(los.len(), 1);
    let c = &los[0].3;
    assert_eq!(c.phases, [Phase::Cruising; 2]);
    assert_eq!(c.places, [TrackPlace::EnRoute; 2]);
    assert!(c.predicted);
    let t_los = (3570.0 + 2.0 * 200f64.sqrt() - 14.0) / 20.0;
    close(c.warning_s, t_los - 150.0, 1e-6);
    assert_eq!(c.decisions, [Decisions::default(); 2]);
    assert_eq!((c.follows, c.domino()), (None, false));

    let r = Report::from_sim(&sim).los_causes;
    assert_eq!((r.predicted, r.not_predicted), (1, 0));
    assert_eq!(r.by_decision.get("none"), Some(&1));
    assert_eq!(r.by_phases.get("cruising/cruising"), Some(&1));
    assert_eq!(r.listed.len(), 1);
    assert_eq!(r.listed[0].decisions, [Vec::<&str>::new(), vec![]]);
}

#[test]
fn a_late_take_off_is_named_on_the_late_drone_only() {
    // The second flight leaves its stand 3 s late: two steps more than a take-off on
    // the step after its filed time. The pair still meets (1.5 s later), now with a
    // ground delay behind the second drone and nothing behind the first.
    let mut sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    sim.delay_takeoff(FlightId::new(1), 3.0);
    sim.run_to_end();
    let los = losses(&sim);
    assert_eq!(los.len(), 1);
    let c = &los[0].3;
    assert!(c.decisions[0].is_empty());
    assert_eq!(
        c.decisions[1].iter().collect::<Vec<_>>(),
        [Decision::GroundDelay]
    );
    assert_eq!(c.decisions[1].to_string(), "ground_delay");
    assert!(c.predicted);
}

/// `overtake.ron` with a second slow drone 35 s behind the first and the fast one 10 s
/// behind that: the fast one overtakes both, the second slow drone first.
fn overtake_two() -> Simulation {
    let text = scenario_text("overtake.ron").replace(
        r#"            (id: "FAST", origin: "A", destination: "B", drone_type: "fast", departure_s: 20.0),"#,
        r#"            (id: "SLOW2", origin: "A", destination: "B", drone_type: "slow", departure_s: 35.0),
            (id: "FAST", origin: "A", destination: "B", drone_type: "fast", departure_s: 45.0),"#,
    );
    let mut sim = prepare_text(&text, "overtake.ron").unwrap();
    sim.run_to_end();
    sim
}

#[test]
fn an_overtake_of_two_in_a_row_is_a_chain_not_a_domino() {
    // By hand from the run's first loss (FAST enters SLOW2's 50 m at t1 = 122.141 and
    // leaves it 100 m later at the 8 m/s they close at: 134.641; the pair was last seen
    // in conflict in the step at 134, so its episode ends at 135). The slow drones fly
    // 35 s x 8 m/s = 280 m apart, so FAST comes within 50 m of SLOW another 280 / 8 = 35 s
    // later: 157.141, first detected in the step at 128 (the first with the loss under
    // the 30 s look-ahead away): 29.141 s of warning. It follows the first loss, 22.141 s
    // after that episode ended. No resolution moved anyone: a chain, not a domino.
    let sim = overtake_two();
    let los = losses(&sim);
    let pairs: Vec<_> = los.iter().map(|l| (l.0.as_str(), l.1.as_str())).collect();
    assert_eq!(pairs, [("SLOW2", "FAST"), ("SLOW", "FAST")]);
    let t1 = los[0].2;
    close(los[1].2, t1 + 35.0, 1e-6);
    let (first, second) = (&los[0].3, &los[1].3);
    assert_eq!(first.follows, None);
    assert!(second.predicted);
    close(second.warning_s, t1 + 35.0 - 128.0, 1e-6);
    let f = second.follows.expect("the second loss follows the first");
    assert_eq!(f.kind, EventKind::Los);
    let id = |f: FlightId| sim.flights()[f.index()].id.as_str();
    assert_eq!((id(f.a), id(f.b)), ("SLOW2", "FAST"));
    close(f.gap_s, t1 + 35.0 - 135.0, 1e-6);
    assert!(!f.manoeuvred_since && !second.domino());
    // FAST and SLOW2 were in conflict before, just after take-off (an episode that
    // ended before FAST turned onto the lane): the first loss says so.
    assert!(first.earlier_episode_gap_s.is_some_and(|g| g > 0.0));
    assert_eq!(second.earlier_episode_gap_s, None);
    let r = Report::from_sim(&sim).los_causes;
    assert_eq!((r.after_other_event, r.dominoes), (1, 0));
    assert_eq!(r.after_earlier_episode, 1);
    assert_eq!(r.listed[1].follows.as_deref(), Some("los SLOW2-FAST"));
    // The fast drone was held on the ground behind the slow ones (metered departures):
    // named on it, as its own record says.
    let fast = sim.flight_by_id("FAST").unwrap();
    let late = sim.states()[fast.index()].takeoff_s - sim.flights()[fast.index()].scheduled_s;
    assert!(late > 1.0, "FAST took off {late} s late");
    assert!(second.decisions[1].contains(Decision::GroundDelay));
    assert!(!second.decisions[0].contains(Decision::GroundDelay));
}

#[test]
fn three_drones_meeting_at_once_are_no_domino() {
    let mut sim = skycorridor::load(&scenario_path("three_way.ron"), &[]).unwrap();
    sim.run_to_end();
    let los = losses(&sim);
    assert_eq!(los.len(), 3);
    assert!(los.iter().all(|l| !l.3.domino() && l.3.predicted));
}

/// The cause columns of `events.csv`, by header.
const CAUSE_COLUMNS: [&str; 12] = [
    "phase_a",
    "phase_b",
    "place_a",
    "place_b",
    "predicted",
    "warning_s",
    "decisions_a",
    "decisions_b",
    "follows",
    "follows_gap_s",
    "domino",
    "earlier_episode_gap_s",
];

/// Every loss of separation of the default scenario (run with `tactical`) has its cause
/// columns filled in `events.csv`, and `report.json` sums and lists them alike.
fn every_loss_explained(tactical: &str) -> Report {
    let mut sim = default_with_tactical(tactical);
    sim.run_to_end();
    let csv = events_csv(&sim);
    let mut rd = csv::Reader::from_reader(&csv[..]);
    let head = rd.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let r = Report::from_sim(&sim);
    let (mut rows, mut predicted, mut follows, mut earlier) = (0, 0, 0, 0);
    for row in rd.records() {
        let row = row.unwrap();
        let los = &row[col("kind")] == "los";
        for name in CAUSE_COLUMNS {
            let v = &row[col(name)];
            if !los {
                assert!(v.is_empty(), "conflict with {name} = {v}");
            } else if name == "follows_gap_s" {
                assert_eq!(v.is_empty(), &row[col("follows")] == "none");
            } else if name == "earlier_episode_gap_s" {
                // Only when the pair had an earlier episode.
                earlier += usize::from(!v.is_empty());
            } else {
                assert!(!v.is_empty(), "loss without {name}: {row:?}");
            }
        }
        if los {
            rows += 1;
            predicted += usize::from(&row[col("predicted")] == "true");
            follows += usize::from(&row[col("follows")] != "none");
            let domino = &row[col("domino")] == "true";
            // A domino needs a manoeuvre, and so a tactical method.
            if domino {
                let d = format!("{} {}", &row[col("decisions_a")], &row[col("decisions_b")]);
                assert!(d.contains("manoeuvre"), "{row:?}");
            }
        }
    }
    let c = &r.los_causes;
    assert_eq!(rows, r.losses_of_separation);
    assert_eq!(c.predicted as usize, predicted);
    assert_eq!((c.predicted + c.not_predicted) as usize, rows);
    assert_eq!(c.after_other_event as usize, follows);
    assert_eq!(c.after_earlier_episode as usize, earlier);
    assert_eq!(
        c.listed.len(),
        rows.min(skycorridor::metrics::MAX_LOS_LISTED)
    );
    assert_eq!(c.by_phases.values().sum::<u64>() as usize, rows);
    r
}

#[test]
fn every_loss_of_the_default_hour_has_its_causes() {
    let r = every_loss_explained("None");
    // No resolution: no manoeuvre, so no domino.
    assert_eq!(r.los_causes.dominoes, 0);
    assert!(!r.los_causes.by_decision.contains_key("manoeuvre"));
    assert!(r.los_causes.after_other_event > 0);
}

#[test]
fn under_mvp_dominoes_are_found() {
    let r = every_loss_explained("Mvp");
    let c = &r.los_causes;
    assert!(c.dominoes > 0 && c.dominoes <= c.after_other_event);
    assert!(c.by_decision["manoeuvre"] >= c.dominoes);
}
