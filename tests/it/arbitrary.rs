//! Arbitrary *valid* scenarios through the whole pipeline: random small networks (a
//! connected tree of two-way corridors plus random extra ones), zones away from them,
//! fleets, flows and explicit flights, random separation and deconfliction settings;
//! planned, flown for a few hundred simulated seconds, reported and written out.
//!
//! Invariants: no panic; every flight ends completed, cancelled with a reason, still in
//! the air, waiting for a pad or not yet due (none lost); no NaN or infinity in any
//! report field or output file; energy and distance never negative; the same files, byte
//! for byte, when only the plans of flights in progress are kept whole.
//!
//! CI runs 24 cases (seeded, a few seconds); a long run:
//! `PROPTEST_CASES=1000 cargo test --release arbitrary`.

use std::fmt::Write;

use proptest::prelude::*;
use skycorridor::metrics::{self, Report};
use skycorridor::planner::PlanKeeping;
use skycorridor::sim::Status;

use crate::prepare_text;

/// A generated scenario as text, and what it is made of (for the failure message).
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub text: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Spec {
    nodes: Vec<(f64, f64, u32)>,
    waypoints: Vec<(f64, f64)>,
    tree: Vec<usize>,
    extra: Vec<(usize, usize, bool)>,
    bands: Vec<(f64, f64, f64, f64, f64)>,
    types: Vec<(f64, f64, f64, f64, f64, f64, f64)>,
    flows: Vec<(usize, usize, f64, usize, u32)>,
    flights: Vec<(usize, usize, usize, f64)>,
    sep: (f64, f64, f64),
    duration_s: f64,
    dt_s: f64,
    pub strategic: bool,
    pub tactical: usize,
    profile: bool,
    zone: bool,
    /// Waypoints are border gates clearing this many drones an hour (none: plain
    /// waypoints).
    pub gates: Option<f64>,
    /// Every flow's rate is multiplied by this.
    pub demand_scale: f64,
    /// A communications layer: one cell at the reference point of this range, metres,
    /// the contingency (index), and lost link after this long, seconds.
    pub comms: Option<(f64, usize, f64)>,
}

pub(crate) fn spec() -> impl Strategy<Value = Spec> {
    (2usize..6, 0usize..3).prop_flat_map(|(n, w)| {
        let total = n + w;
        (
            prop::collection::vec((-400.0..400.0f64, -400.0..400.0f64, 1u32..4), n),
            prop::collection::vec((-400.0..400.0f64, -400.0..400.0f64), w),
            // Node k > 0 joins node tree[k-1] < k: a connected network.
            (1..total).map(|k| 0..k).collect::<Vec<_>>(),
            prop::collection::vec((0..total, 0..total, any::<bool>()), 0..4),
            prop::collection::vec(
                (
                    40.0..150.0f64,
                    20.0..80.0f64,
                    20.0..120.0f64,
                    5.0..30.0f64,
                    0.0..30.0f64,
                ),
                total + 4,
            ),
            prop::collection::vec(
                (
                    5.0..25.0f64,
                    1.0..6.0f64,
                    1.0..6.0f64,
                    0.5..5.0f64,
                    30.0..2000.0f64,
                    200.0..1500.0f64,
                    100.0..1500.0f64,
                ),
                1..4,
            ),
            prop::collection::vec((0..n, 0..n, 1.0..300.0f64, 0..3usize, 0u32..3), 1..5),
            prop::collection::vec((0..n, 0..n, 0..3usize, 0.0..300.0f64), 0..4),
            (10.0..80.0f64, 5.0..30.0f64, 0.0..60.0f64),
            (
                100.0..500.0f64,
                prop_oneof![Just(1.0), Just(0.5), Just(2.0)],
            ),
            (any::<bool>(), 0usize..4, any::<bool>(), any::<bool>()),
            (
                prop::option::of(30.0..600.0f64),
                prop::option::of((50.0..800.0f64, 0usize..4, 2.0..30.0f64)),
            ),
        )
            .prop_map(
                |(
                    nodes,
                    waypoints,
                    tree,
                    extra,
                    bands,
                    types,
                    flows,
                    flights,
                    sep,
                    time,
                    flags,
                    (gates, comms),
                )| Spec {
                    nodes,
                    waypoints,
                    tree,
                    extra,
                    bands,
                    types,
                    flows,
                    flights,
                    sep,
                    duration_s: time.0,
                    dt_s: time.1,
                    strategic: flags.0,
                    tactical: flags.1,
                    profile: flags.2,
                    zone: flags.3,
                    gates,
                    demand_scale: 1.0,
                    comms,
                },
            )
    })
}

/// The scenario text of a spec: nodes far enough apart, flows between distinct
/// vertiports (a flow with equal ends is dropped).
pub(crate) fn render(s: &Spec) -> Case {
    let mut t = String::new();
    let n = s.nodes.len();
    let id = |k: usize| {
        if k < n {
            format!("V{k}")
        } else {
            format!("W{}", k - n)
        }
    };
    // Nodes on a circle (its angle nudged by the random position), so no corridor between
    // two of them passes a third, and every vertiport's terminal area outside it (its
    // bearing points away from the centre): the terminal areas are clear of every
    // corridor.
    let total = n + s.waypoints.len();
    let radius = (1_500.0 * total as f64 / std::f64::consts::TAU).max(1_000.0);
    let angle = |k: usize, e: f64| (k as f64 + e / 2_000.0) * std::f64::consts::TAU / total as f64;
    let at = |k: usize, e: f64, _no: f64| {
        let a = angle(k, e);
        (
            (radius * a.sin() * 10.0).round() / 10.0,
            (radius * a.cos() * 10.0).round() / 10.0,
        )
    };
    let _ = writeln!(
        t,
        "(\n name: \"arbitrary\",\n seed: 7,\n dt_s: {},\n duration_s: {},\n \
         separation: (horizontal_m: {}, vertical_m: {}, lookahead_s: {}),\n \
         reference: (lat: 22.5, lon: 114.0),\n nodes: [",
        s.dt_s, s.duration_s, s.sep.0, s.sep.1, s.sep.2
    );
    for (k, (e0, no, fatos)) in s.nodes.iter().enumerate() {
        let (e, no) = at(k, *e0, *no);
        let bearing = angle(k, *e0).to_degrees().rem_euclid(360.0);
        let _ = writeln!(
            t,
            "  (id: \"{}\", kind: Vertiport(fatos: {fatos}, terminal: (bearing_deg: {bearing})), east_m: {e}, north_m: {no}),",
            id(k)
        );
    }
    let waypoint = match s.gates {
        Some(c) => format!("Gate(capacity_per_hour: {c})"),
        None => "Waypoint".to_string(),
    };
    for (k, (e, no)) in s.waypoints.iter().enumerate() {
        let (e, no) = at(n + k, *e, *no);
        let _ = writeln!(
            t,
            "  (id: \"{}\", kind: {waypoint}, east_m: {e}, north_m: {no}),",
            id(n + k)
        );
    }
    t += " ],\n corridors: [\n";
    let mut edges: Vec<(usize, usize, bool)> = s
        .tree
        .iter()
        .enumerate()
        .map(|(k, &j)| (k + 1, j, true))
        .collect();
    edges.extend(s.extra.iter().filter(|(a, b, _)| a != b).copied());
    for (c, (a, b, two_way)) in edges.iter().enumerate() {
        let (lo, span, width, speed, headway) = s.bands[c % s.bands.len()];
        // Room in each band for arrivals and departures a vertical minimum apart.
        let span = span.max(2.0 * s.sep.1 + 2.0);
        let dir = if *two_way { "TwoWay" } else { "OneWay" };
        let _ = writeln!(
            t,
            "  (id: \"C{c}\", from: \"{}\", to: \"{}\", min_alt_m: {lo}, max_alt_m: {}, direction: {dir}, \
             width_m: {width}, speed_limit_mps: {speed}, headway_s: {headway}),",
            id(*a),
            id(*b),
            lo + span
        );
    }
    t += " ],\n";
    if s.zone {
        // A no-fly zone well away from every corridor.
        t += " zones: [(id: \"Z\", kind: NoFly, shape: Circle(center: (lat: 21.5, lon: 113.0), radius_m: 2000.0), min_alt_m: 0.0, max_alt_m: 500.0)],\n";
    }
    t += " drone_types: [\n";
    for (k, (v, climb, descent, accel, battery, hover, cruise)) in s.types.iter().enumerate() {
        let _ = writeln!(
            t,
            "  (id: \"T{k}\", cruise_speed_mps: {v}, climb_rate_mps: {climb}, descent_rate_mps: {descent}, \
             accel_mps2: {accel}, battery_wh: {battery}, hover_power_w: {hover}, cruise_power_w: {cruise}),"
        );
    }
    t += " ],\n demand: (\n  flows: [\n";
    let nt = s.types.len();
    for (o, d, rate, ty, prio) in s.flows.iter().filter(|f| f.0 != f.1) {
        let _ = writeln!(
            t,
            "   (origin: \"{}\", destination: \"{}\", flights_per_hour: {}, mix: {{\"T{}\": 1.0}}, priority: {prio}),",
            id(*o),
            id(*d),
            rate * s.demand_scale,
            ty % nt
        );
    }
    t += "  ],\n  flights: [\n";
    for (o, d, ty, dep) in s.flights.iter().filter(|f| f.0 != f.1) {
        let _ = writeln!(
            t,
            "   (origin: \"{}\", destination: \"{}\", drone_type: \"T{}\", departure_s: {dep}),",
            id(*o),
            id(*d),
            ty % nt
        );
    }
    t += "  ],\n";
    if s.profile {
        t += "  profile: [(8.0, 0.5), (8.05, 2.0), (8.1, 1.0)],\n";
    }
    let tactical = ["None", "Speed", "Vertical", "Mvp"][s.tactical];
    t += " ),\n";
    if let Some((range, c, after)) = s.comms {
        let c = ["Hover", "NextFix", "Continue", "LandNearest"][c];
        let _ = writeln!(
            t,
            " comms: (cells: [(id: \"C\", lat: 22.5, lon: 114.0, range_m: {range})], lost_link_after_s: {after}, contingency: {c}),"
        );
    }
    let _ = writeln!(
        t,
        " deconfliction: (strategic: {}, tactical: {tactical}),\n)",
        s.strategic
    );
    Case { text: t }
}

/// Every number in a JSON value is finite (serde_json writes NaN and infinity as
/// `null`, so a `null` where no option is allowed is one).
fn no_nan(v: &serde_json::Value, path: &str, errors: &mut Vec<String>) {
    match v {
        serde_json::Value::Null if !path.ends_with("min_separation_m") => {
            errors.push(format!("{path} is null (NaN or infinity)"))
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                no_nan(x, &format!("{path}[{i}]"), errors);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                no_nan(x, &format!("{path}.{k}"), errors);
            }
        }
        _ => {}
    }
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let mut sim = prepare_text(&case.text, "arbitrary.ron").map_err(|e| {
        TestCaseError::fail(format!("a valid scenario was refused: {e}\n{}", case.text))
    })?;
    sim.run_to_end();
    let report = Report::from_sim(&sim);
    crate::assert_every_flight_accounted(&report);
    for (f, st) in sim.flights().iter().zip(sim.states()) {
        let d = st.final_dynamics();
        prop_assert!(
            d.energy_wh >= 0.0 && d.motion.s >= 0.0,
            "flight {}: {d:?}",
            f.id
        );
        match st.status {
            Status::Cancelled => {
                prop_assert!(f.cancelled.is_some(), "{} cancelled without a reason", f.id)
            }
            Status::Completed | Status::Diverted | Status::BatteryDepleted => {
                prop_assert!(
                    st.end_s >= st.takeoff_s,
                    "flight {} ends before it starts",
                    f.id
                )
            }
            Status::Airborne | Status::WaitingForPad | Status::Scheduled => {}
        }
    }
    prop_assert!(report.energy_wh >= 0.0 && report.distance_km >= 0.0);
    let mut errors = Vec::new();
    no_nan(
        &serde_json::to_value(&report).unwrap(),
        "report",
        &mut errors,
    );
    prop_assert!(errors.is_empty(), "{errors:?}\n{}", case.text);
    let dir = tempfile::tempdir().unwrap();
    metrics::write_outputs(&sim, &report, dir.path()).unwrap();
    for name in ["flights.csv", "events.csv", "plans.csv", "report.md"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let bad = text
            .split([',', '|', '\n', ' '])
            .any(|w| matches!(w.trim(), "NaN" | "inf" | "-inf"));
        prop_assert!(!bad, "{name} has a NaN or infinity:\n{text}");
    }
    // Keeping only the plans of flights in progress whole (what `run` does) writes the
    // same files, byte for byte.
    let path = std::path::Path::new("arbitrary.ron");
    let parsed = skycorridor::scenario::parse_str(&case.text, path).unwrap();
    let mut lean =
        skycorridor::prepare_keeping(parsed, (path, Some(&case.text)), PlanKeeping::InUse).unwrap();
    lean.run_to_end();
    let lean_dir = tempfile::tempdir().unwrap();
    metrics::write_outputs(&lean, &Report::from_sim(&lean), lean_dir.path()).unwrap();
    for name in [
        "report.json",
        "flights.csv",
        "events.csv",
        "plans.csv",
        "report.md",
    ] {
        let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(name)).unwrap();
        prop_assert!(
            read(&dir) == read(&lean_dir),
            "{name} differs when only plans in use are kept\n{}",
            case.text
        );
    }
    Ok(())
}

pub(crate) fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_valid_scenarios_lose_no_flight_and_report_no_nan(s in spec()) {
        check(&render(&s))?;
    }
}
