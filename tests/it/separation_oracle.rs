//! The R-tree broad phase loses no pair: on random traffic, the detector returns exactly
//! what the all-pairs check returns, whatever the thread count.

use proptest::prelude::*;
use skycorridor::sim::separation::{Detector, Params, Track, detect_brute_force};

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
            pos: [e, n, alt],
            vel: [ve, vn, vu],
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
        let expected = detect_brute_force(&tracks, &p);
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
                pos: [(i * 7.3) % 40.0, i * 23.0, 100.0 + (i % 3.0) * 10.0],
                vel: [0.0, 12.0 + (i % 5.0), 0.0],
            }
        })
        .collect();
    let p = Params {
        horizontal_m: 50.0,
        vertical_m: 15.0,
        lookahead_s: 30.0,
        dt_s: 1.0,
    };
    let expected = detect_brute_force(&tracks, &p);
    assert!(
        expected.len() > 1000,
        "the case should be dense: {}",
        expected.len()
    );
    let mut got = Vec::new();
    Detector::default().detect(&tracks, &p, &mut got);
    assert_eq!(got, expected);
}
