//! Same scenario and seed give byte-identical outputs, whatever the thread count; the seed
//! matters.

use std::path::Path;

use skycorridor::metrics::{self, Report};
use skycorridor::scenario::Override;

fn outputs(threads: usize, seed: Option<u64>) -> (String, Vec<u8>, Vec<u8>) {
    outputs_with(threads, seed, &[])
}

fn outputs_with(threads: usize, seed: Option<u64>, extra: &[&str]) -> (String, Vec<u8>, Vec<u8>) {
    outputs_in_parts(threads, seed, extra, None)
}

/// [`outputs_with`], the events' step update cut in parts of at least `part_min`
/// encounters when given (0: none, every encounter in the step's order).
fn outputs_in_parts(
    threads: usize,
    seed: Option<u64>,
    extra: &[&str],
    part_min: Option<usize>,
) -> (String, Vec<u8>, Vec<u8>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
        let mut set = vec![Override {
            path: "duration_s".into(),
            value: "1200".into(),
        }];
        set.extend(extra.iter().map(|s| s.parse::<Override>().unwrap()));
        if let Some(seed) = seed {
            set.push(Override {
                path: "seed".into(),
                value: seed.to_string(),
            });
        }
        let mut sim = skycorridor::load(&file, &set).unwrap();
        if let Some(n) = part_min {
            sim.events_mut().part_min = n;
        }
        sim.run_to_end();
        let report = serde_json::to_string_pretty(&Report::from_sim(&sim)).unwrap();
        (
            report,
            metrics::flights_csv(&sim),
            metrics::events_csv(&sim),
        )
    })
}

#[test]
fn identical_across_runs_and_thread_counts() {
    let one = outputs(1, None);
    let two = outputs(2, None);
    let four = outputs(4, None);
    assert!(one.0.contains("\"losses_of_separation\""));
    assert!(
        one.2.len() > 1000,
        "the default scenario should have events to compare"
    );
    assert_eq!(one, two);
    assert_eq!(one, four);
    assert_eq!(outputs(2, None), two, "a second run with the same threads");
}

/// The events' step update on every core, in parts down to a single encounter, gives
/// what taking every encounter in the step's order gives (the update as first written),
/// on any pool: the parts' cuts, the pairs they leave for the ordered pass, the counts
/// they sum.
#[test]
fn events_updated_in_parts_are_those_taken_in_order() {
    let noisy = [
        "deconfliction.tactical=Mvp",
        "uncertainty.schedule.departure_sd_s=30",
        "uncertainty.schedule.speed_sd=0.05",
    ];
    let ordered = outputs_in_parts(1, None, &noisy, Some(0));
    let events = ordered.2.iter().filter(|&&b| b == b'\n').count();
    assert!(events > 100, "{events} events: too few to compare");
    for (threads, part_min) in [(1, 1), (2, 1), (3, 5)] {
        let parts = outputs_in_parts(threads, None, &noisy, Some(part_min));
        assert!(parts == ordered, "{threads} threads, parts of {part_min}");
    }
}

#[test]
fn another_seed_gives_other_traffic() {
    assert_ne!(outputs(2, None).1, outputs(2, Some(7)).1);
}

#[test]
fn identical_across_thread_counts_with_wind_schedule_noise_and_navigation_error() {
    let noise = [
        "uncertainty.wind.from_deg=200",
        "uncertainty.wind.speed_mps=4",
        "uncertainty.forecast.speed_mps=2",
        "uncertainty.schedule.departure_sd_s=30",
        "uncertainty.schedule.speed_sd=0.05",
        "deconfliction.tactical=Mvp",
        crate::uncertainty::NAVIGATION[0],
        crate::uncertainty::NAVIGATION[1],
        crate::uncertainty::NAVIGATION[6],
        crate::uncertainty::NAVIGATION[7],
    ];
    let one = outputs_with(1, None, &noise);
    assert_eq!(one, outputs_with(2, None, &noise));
    assert_ne!(one.1, outputs(2, None).1, "the noise changes the flights");
    assert_ne!(
        one.1,
        outputs_with(2, Some(7), &noise).1,
        "and its draws follow the seed"
    );
}

#[test]
fn identical_across_thread_counts_with_comms_and_lost_link() {
    // The default cells on, report loss high enough to lose links, each contingency
    // that changes the flying (hover and the lines behind it, diversions booked by
    // strategic deconfliction), MVP on the picture.
    for c in ["Hover", "LandNearest"] {
        let contingency = format!("comms.contingency={c}");
        let set = [
            "comms.enabled=true",
            "comms.loss=0.3",
            "comms.lost_link_after_s=5",
            contingency.as_str(),
            "deconfliction.strategic=true",
            "deconfliction.tactical=Mvp",
        ];
        let one = outputs_with(1, None, &set);
        assert!(one.0.contains("\"lost_link\""), "{c}: links were lost");
        assert_eq!(one, outputs_with(2, None, &set), "{c}");
        assert_eq!(one, outputs_with(4, None, &set), "{c}");
    }
}

/// The route search keeps its per-lane state between searches (and between networks): a
/// route found after many other searches, on this network and on another, is the route a
/// fresh thread finds.
#[test]
fn a_route_search_forgets_the_searches_before_it() {
    use skycorridor::ids::NodeId;
    use skycorridor::network::Network;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let network = |file: &str| {
        let (s, _) = skycorridor::scenario::load_file(&root.join(file)).unwrap();
        let net = Network::build(&s).unwrap();
        (s, net)
    };
    let (s, net) = network(skycorridor::DEFAULT_SCENARIO);
    let (small_s, small) = network("tests/scenarios/two_routes.ron");
    let ports: Vec<NodeId> = (0..net.nodes.len())
        .map(NodeId::new)
        .filter(|&n| net.terminal(n).is_some())
        .collect();
    let small_ports: Vec<NodeId> = (0..small.nodes.len())
        .map(NodeId::new)
        .filter(|&n| small.terminal(n).is_some())
        .collect();
    let t = &s.drone_types[0];
    let route = |a: NodeId, b: NodeId| skycorridor::planner::route(&net, a, b, t);
    let mut pairs = 0;
    for &a in &ports {
        for &b in &ports {
            if a == b {
                continue;
            }
            // Now and then another network's search in between (fewer lanes), always a
            // search of this one just before.
            if pairs % 7 == 0 {
                let _ = skycorridor::planner::route(
                    &small,
                    small_ports[0],
                    small_ports[1],
                    &small_s.drone_types[0],
                );
            }
            let _ = route(b, a);
            let in_turn = route(a, b);
            let fresh = std::thread::scope(|sc| sc.spawn(|| route(a, b)).join().unwrap());
            assert_eq!(in_turn, fresh, "{a:?} -> {b:?}");
            assert!(in_turn.is_some(), "{a:?} -> {b:?}");
            pairs += 1;
        }
    }
    assert!(pairs >= 30, "{pairs} pairs");
}
