//! Two drones head-on, 48 m apart laterally, at the same altitude (tests/scenarios/head_on.ron).
//!
//! By hand. Each drone departs at t = 0, accelerates at 10 m/s^2 to 10 m/s within the
//! first step (speed changes linearly within a step, so it covers 5 m), then flies at
//! 10 m/s (no limit on its path is lower): path distance s(t) = 10 t - 5. Its path: the
//! climb off the FATO to the departure level, 90 m; 100 m level to the fix (the FATO is
//! 100 m beyond it); the 400 m connector to the corridor's end at 90 m; a ramp up to the
//! corridor's 100 m (10 m up at 10 m/s while 10 m along it at 10 m/s: sqrt(200) m of
//! path); then the corridor. So the northbound drone is at north
//! = -1200 + 10 + (s - 590 - sqrt(200)) = 10 t - 1785 - sqrt(200) once cruising, and the
//! southbound (a half turn of it) at 1785 + sqrt(200) - 10 t: north gap
//! dn(t) = 3570 + 2 sqrt(200) - 20 t = 3598.284 - 20 t, lateral gap 48 m, closing at 20 m/s.
//!
//! Loss of separation (50 m) needs sqrt(dn^2 + 48^2) < 50, i.e. |dn| < 14:
//! dn = 14 at t = 179.214 and dn = -14 at t = 180.614. Closest approach: dn = 0 at
//! t = 179.914, 48 m, so severity (50 - 48) / 50 = 0.04.
//! Conflict (30 s look-ahead): first step t with 179.214 - t < 30 is t = 150 (time to LoS
//! 29.214 s); last step with the LoS still ahead or on is t = 180, so it spans [150, 181).
//! At t = 150 the closest approach (at 29.914 s) is within the look-ahead: 48 m.

use skycorridor::metrics::Report;
use skycorridor::sim::events::EventKind;

use crate::{close, scenario_path};

#[test]
fn conflict_and_loss_of_separation_match_the_hand_derivation() {
    let mut sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    sim.run_to_end();
    let events = sim.events().sorted();
    assert_eq!(events.len(), 2, "{events:#?}");

    let c = &events[0];
    assert_eq!(c.kind, EventKind::Conflict);
    let t_los = (3570.0 + 2.0 * 200f64.sqrt() - 14.0) / 20.0;
    assert_eq!((c.start_s, c.end_s), (150.0, 181.0));
    close(c.time_to_los_s, t_los - 150.0, 1e-6);
    close(c.min_horizontal_m, 48.0, 1e-6);
    assert!(c.became_los && !c.at_vertiport() && !c.open_at_end);

    let l = &events[1];
    assert_eq!(l.kind, EventKind::Los);
    close(l.start_s, t_los, 1e-6);
    close(l.end_s, t_los + 1.4, 1e-6);
    close(l.min_horizontal_m, 48.0, 1e-6);
    close(l.vertical_m, 0.0, 1e-9);
    close(l.severity, 0.04, 1e-6);

    let r = Report::from_sim(&sim);
    assert_eq!((r.conflicts, r.losses_of_separation), (1, 1));
    assert_eq!(r.flights.completed, 2);
    close(r.min_separation_m.unwrap(), 48.0, 1e-6);
    // The pair spends the loss's 1.4 s in it.
    close(r.los_time_s, 1.4, 1e-6);
    // Nobody waited for anything: both arrive exactly on plan.
    assert_eq!(r.delay_s.max, 0.0);
    // One episode, which became a loss of separation, alerted 29 s before: IPR 0.
    let t = &r.tactical;
    assert_eq!((t.conflicts_became_los, t.los_without_alert), (1, 0));
    assert_eq!(t.intrusion_prevention_rate, 0.0);
}

#[test]
fn a_collision_is_counted_when_the_bodies_touch() {
    // 48 m apart laterally the pair never comes within 2 m (two 1 m bodies): no
    // collision. Moved to 1.5 m apart (both corridors' ends), they pass 1.5 m apart: one.
    let mut sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    sim.run_to_end();
    assert_eq!(Report::from_sim(&sim).collisions, 0);
    let text = crate::scenario_text("head_on.ron").replace("east_m: 48.0", "east_m: 1.5");
    let mut sim = crate::prepare_text(&text, "head_on.ron").unwrap();
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    assert_eq!((r.losses_of_separation, r.collisions), (1, 1));
    close(r.min_separation_m.unwrap(), 1.5, 1e-6);
}

#[test]
fn a_near_miss_is_a_pass_within_root_ten_times_the_bodies() {
    // Two 1 m bodies: a near miss inside √10 × 2 m = 6.32 m. Passing 6 m apart is one
    // (and no collision), 6.5 m apart is none; 1.5 m apart is both.
    for (east, near, hit) in [("6.0", 1, 0), ("6.5", 0, 0), ("1.5", 1, 1), ("48.0", 0, 0)] {
        let text =
            crate::scenario_text("head_on.ron").replace("east_m: 48.0", &format!("east_m: {east}"));
        let mut sim = crate::prepare_text(&text, "head_on.ron").unwrap();
        sim.run_to_end();
        let r = Report::from_sim(&sim);
        assert_eq!(r.losses_of_separation, 1, "{east} m");
        assert_eq!((r.near_misses, r.collisions), (near, hit), "{east} m");
    }
}

#[test]
fn a_loss_of_separation_with_no_look_ahead_has_no_prior_alert() {
    // With no look-ahead the pair is first in conflict in the step the loss begins
    // (t = 179, LoS from 179.214): a loss with no prior alert.
    let mut sim = crate::head_on_with("lookahead_s: 30.0", "lookahead_s: 0.0").unwrap();
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    assert_eq!((r.conflicts, r.losses_of_separation), (1, 1));
    assert_eq!(
        (
            r.tactical.conflicts_became_los,
            r.tactical.los_without_alert
        ),
        (1, 1)
    );
}

#[test]
fn positions_follow_the_hand_derived_profile() {
    let mut sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    for _ in 0..120 {
        sim.step();
    }
    let by_id = |id: &str| {
        let f = sim.flight_by_id(id).unwrap();
        *sim.airborne().find(|(g, _)| *g == f).unwrap().1
    };
    let (n, s) = (by_id("N"), by_id("S"));
    let back = 1785.0 + 200f64.sqrt();
    close(n.pos[1], 10.0 * 120.0 - back, 1e-6);
    close(s.pos[1], back - 10.0 * 120.0, 1e-6);
    close(n.pos[2], 100.0, 1e-9);
    close(s.pos[0] - n.pos[0], 48.0, 1e-6);
    assert_eq!((n.vel[0], n.vel[2]), (0.0, 0.0));
    close(n.vel[1], 10.0, 1e-3);
}
