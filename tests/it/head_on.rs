//! Two drones head-on, 48 m apart laterally, at the same altitude (tests/scenarios/head_on.ron).
//!
//! By hand. Each drone departs at t = 0, accelerates at 10 m/s^2 to 10 m/s within the
//! first step (speed changes linearly within a step, so it covers 5 m), then flies at
//! 10 m/s: path distance s(t) = 10 t - 5. The climb is 100 m, so cruise starts at s = 100
//! (t = 10.5) and for t >= 11 northbound is at north = -1200 + (10 t - 105), southbound
//! at 1200 - (10 t - 105): north gap dn(t) = 2610 - 20 t, lateral gap 48 m, closing at 20 m/s.
//!
//! Loss of separation (50 m) needs sqrt(dn^2 + 48^2) < 50, i.e. |dn| < 14:
//! dn = 14 at t = 129.8 and dn = -14 at t = 131.2. Closest approach: dn = 0 at t = 130.5,
//! 48 m, so severity (50 - 48) / 50 = 0.04.
//! Conflict (30 s look-ahead): first step t with 129.8 - t < 30 is t = 100 (time to LoS
//! 29.8 s); last step with the LoS still ahead or on is t = 131, so it spans [100, 132).
//! At t = 100 the predicted closest approach within 30 s is at 30 s: dn = 10,
//! sqrt(10^2 + 48^2) = sqrt(2404) m.

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
    assert_eq!((c.start_s, c.end_s), (100.0, 132.0));
    close(c.time_to_los_s, 29.8, 1e-6);
    close(c.min_horizontal_m, 2404f64.sqrt(), 1e-6);
    assert!(c.became_los && !c.at_vertiport && !c.open_at_end);

    let l = &events[1];
    assert_eq!(l.kind, EventKind::Los);
    close(l.start_s, 129.8, 1e-6);
    close(l.end_s, 131.2, 1e-6);
    close(l.min_horizontal_m, 48.0, 1e-6);
    close(l.vertical_m, 0.0, 1e-9);
    close(l.severity, 0.04, 1e-6);

    let r = Report::from_sim(&sim);
    assert_eq!((r.conflicts, r.losses_of_separation), (1, 1));
    assert_eq!(r.flights.completed, 2);
    close(r.min_separation_m.unwrap(), 48.0, 1e-6);
    // Nobody waited for anything: both arrive exactly on plan.
    assert_eq!(r.delay_s.max, 0.0);
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
    close(n.pos[1], 10.0 * 120.0 - 1305.0, 1e-6);
    close(s.pos[1], 1305.0 - 10.0 * 120.0, 1e-6);
    close(n.pos[2], 100.0, 1e-9);
    close(s.pos[0] - n.pos[0], 48.0, 1e-6);
    assert_eq!((n.vel[0], n.vel[2]), (0.0, 0.0));
    close(n.vel[1], 10.0, 1e-3);
}
