//! The R-tree broad phase loses no pair: on random traffic, the detector returns exactly
//! what the all-pairs check returns, whatever the thread count.

use glam::DVec3;
use proptest::prelude::*;
use skycorridor::sim::separation::{Detector, PairRules, Params, Track, detect_brute_force};

fn track() -> impl Strategy<Value = Track> {
    (
        -3000.0..3000.0f64,
        -3000.0..3000.0f64,
        prop_oneof![Just(100.0), Just(115.0), 60.0..200.0f64],
        -30.0..30.0f64,
        -30.0..30.0f64,
        prop_oneof![Just(0.0), -5.0..5.0f64],
    )
        .prop_map(|(e, n, alt, ve, vn, vu)| Track {
            pos: DVec3::new(e, n, alt),
            vel: DVec3::new(ve, vn, vu),
        })
}

fn params() -> impl Strategy<Value = Params> {
    (
        10.0..300.0f64,
        5.0..60.0f64,
        prop_oneof![Just(0.0), 1.0..120.0f64],
        prop_oneof![Just(1.0), 0.1..5.0f64],
    )
        .prop_map(|(h, v, la, dt)| Params {
            horizontal_m: h,
            vertical_m: v,
            lookahead_s: la,
            dt_s: dt,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rtree_finds_exactly_the_brute_force_pairs(tracks in prop::collection::vec(track(), 0..300), p in params()) {
        let expected = detect_brute_force(&tracks, &p, &PairRules::default());
        let mut got = Vec::new();
        Detector::default().detect(&tracks, &p, &mut got);
        prop_assert_eq!(&got, &expected);
        // And with one thread.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let mut single = Vec::new();
        pool.install(|| Detector::default().detect(&tracks, &p, &mut single));
        prop_assert_eq!(&single, &expected);
    }
}

/// Dense traffic in one corridor, where boxes overlap a lot: still exact.
#[test]
fn dense_lane_traffic_matches_brute_force() {
    let tracks: Vec<Track> = (0..2000)
        .map(|i| {
            let i = i as f64;
            Track {
                pos: DVec3::new((i * 7.3) % 40.0, i * 23.0, 100.0 + (i % 3.0) * 10.0),
                vel: DVec3::new(0.0, 12.0 + (i % 5.0), 0.0),
            }
        })
        .collect();
    let p = Params {
        horizontal_m: 50.0,
        vertical_m: 15.0,
        lookahead_s: 30.0,
        dt_s: 1.0,
    };
    let expected = detect_brute_force(&tracks, &p, &PairRules::default());
    assert!(
        expected.len() > 1000,
        "the case should be dense: {}",
        expected.len()
    );
    let mut got = Vec::new();
    Detector::default().detect(&tracks, &p, &mut got);
    assert_eq!(got, expected);
}

/// Random drones that change velocity every step (any direction, up to `VMAX`), with
/// isotropic reach boxes, checked against the all-pairs oracle at every step while the
/// broad phase keeps its tree for several steps, and drones come and go.
mod cached {
    use super::*;
    use skycorridor::sim::separation::{Broadphase, grow};

    const VMAX: f64 = 25.0;

    #[derive(Debug, Clone)]
    struct Drone {
        id: u32,
        t: Track,
        /// Velocity changes, one per step.
        turns: Vec<[f64; 3]>,
    }

    fn drone(id: u32, steps: usize) -> impl Strategy<Value = Drone> {
        let v = || {
            (
                -VMAX / 2.0..VMAX / 2.0f64,
                -VMAX / 2.0..VMAX / 2.0f64,
                -2.0..2.0f64,
            )
                .prop_map(|(a, b, c)| [a, b, c])
        };
        (track(), prop::collection::vec(v(), steps)).prop_map(move |(mut t, turns)| {
            t.vel = DVec3::new(
                t.vel[0].clamp(-12.0, 12.0),
                t.vel[1].clamp(-12.0, 12.0),
                t.vel[2].clamp(-2.0, 2.0),
            );
            Drone { id, t, turns }
        })
    }

    fn scene() -> impl Strategy<Value = (Vec<Drone>, u32, usize)> {
        (1u32..10, 5usize..25).prop_flat_map(|(refresh, steps)| {
            let drones: Vec<_> = (0..60u32).map(|id| drone(id * 3 + 1, steps)).collect();
            (drones, Just(refresh), Just(steps))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(60))]

        #[test]
        fn cached_broadphase_matches_brute_force_every_step((drones, refresh, steps) in scene()) {
            let p = Params { horizontal_m: 80.0, vertical_m: 20.0, lookahead_s: 20.0, dt_s: 1.0 };
            let mut bp = Broadphase::new(refresh);
            let mut state: Vec<Drone> = drones;
            let mut out = Vec::new();
            for step in 0..steps {
                // Drones come and go: id-based membership changes every few steps.
                let live: Vec<&Drone> = state.iter().filter(|d| !(d.id as usize + step).is_multiple_of(7)).collect();
                let ids: Vec<u32> = live.iter().map(|d| d.id).collect();
                let tracks: Vec<Track> = live.iter().map(|d| d.t).collect();
                let ahead = refresh as f64 * p.dt_s;
                let reach = |i: usize| {
                    let t = &tracks[i];
                    let r = VMAX * (ahead + p.lookahead_s);
                    let rv = 2.0 * (ahead + p.lookahead_s);
                    grow([t.pos[0] - r, t.pos[1] - r, t.pos[2] - rv], [t.pos[0] + r, t.pos[1] + r, t.pos[2] + rv], &p)
                };
                // Each drone flies under its own minima (as in jurisdictions with different
                // rules); `p` holds the largest.
                let minima: Vec<[f32; 2]> = live
                    .iter()
                    .map(|d| if d.id % 2 == 0 { [80.0, 20.0] } else { [50.0, 15.0] })
                    .collect();
                let rules = PairRules { minima: &minima };
                bp.detect(&ids, &tracks, &p, &rules, reach, &mut out);
                let mut got: Vec<_> = out.iter().map(|e| (e.a, e.b, e.t_in.to_bits())).collect();
                got.sort_unstable();
                let want: Vec<_> = detect_brute_force(&tracks, &p, &rules).iter().map(|e| (e.a, e.b, e.t_in.to_bits())).collect();
                prop_assert_eq!(got, want, "step {}", step);
                // Move one step, then turn: speeds stay within VMAX horizontally.
                for d in &mut state {
                    for k in 0..3 {
                        d.t.pos[k] += d.t.vel[k] * p.dt_s;
                    }
                    let turn = d.turns[step];
                    d.t.vel = DVec3::from(turn);
                }
            }
        }
    }
}

/// The simulation's path-based reach boxes lose nothing either: the default scenario and
/// dense benchmark traffic, checked against the all-pairs oracle at every step.
#[test]
fn simulation_checks_match_brute_force_every_step() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let set = vec!["duration_s=1500".parse().unwrap()];
    let mut sim = skycorridor::load(&file, &set).unwrap();
    sim.set_verify_separation(true);
    sim.run_to_end();
    assert_eq!(sim.separation_mismatches(), 0);
    assert!(sim.events().conflicts_opened > 50);

    let mut grid = skycorridor::bench::airborne(3000, 80.0);
    grid.set_verify_separation(true);
    grid.run_to_end();
    assert_eq!(grid.separation_mismatches(), 0);
}

/// Keeping the tree for several steps changes nothing in the outputs.
#[test]
fn refresh_interval_does_not_change_results() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let set = vec!["duration_s=1200".parse().unwrap()];
    let run = |refresh: u32| {
        let mut sim = skycorridor::load(&file, &set).unwrap();
        sim.set_refresh_steps(refresh);
        sim.run_to_end();
        (
            skycorridor::metrics::events_csv(&sim),
            skycorridor::metrics::flights_csv(&sim),
        )
    };
    let every_step = run(1);
    assert_eq!(run(8), every_step);
    assert_eq!(run(30), every_step);
}

/// The R-tree is kept 16 steps with a tactical method that moves drones off their plans
/// and 32 without: a method switched on mid-run rebuilds the tree at once, as the boxes
/// in it were grown for no manoeuvres, and one switched off leaves drones finishing the
/// manoeuvres it began, which their boxes still hold. Nothing is missed either way.
#[test]
fn a_tactical_method_switched_mid_run_misses_no_pair() {
    use skycorridor::scenario::Tactical;
    let switches = [
        (Tactical::None, 4, Tactical::Vertical),
        (Tactical::None, 4, Tactical::Mvp),
        (Tactical::Mvp, 20, Tactical::None),
        (Tactical::Vertical, 20, Tactical::None),
    ];
    for (first, after, then) in switches {
        // The lane density of 100,000 drones on the benchmark's 150 km square.
        let side_m = skycorridor::bench::SIDE_M * (3_000.0f64 / 100_000.0).sqrt();
        let mut grid = skycorridor::bench::airborne_on(3000, 90.0, side_m);
        grid.set_verify_separation(true);
        grid.set_tactical(first);
        for _ in 0..after {
            grid.step();
        }
        grid.set_tactical(then);
        grid.run_to_end();
        assert_eq!(grid.separation_mismatches(), 0, "{first:?} then {then:?}");
        assert!(grid.events().conflicts_opened > 100);
    }
}
