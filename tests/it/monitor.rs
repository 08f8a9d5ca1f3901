//! Monitoring and replay: alerts derived by hand on the teaching scenarios, and a recorded
//! run replayed at any time equal to the live run there.

use std::path::Path;
use std::process::Command;

use skycorridor::ids::FlightId;
use skycorridor::metrics::Report;
use skycorridor::monitor::replay::{Recording, Replay, ReplayError, fingerprint};
use skycorridor::monitor::{Alert, AlertKind, Subject, Thresholds, counts, run_monitored};
use skycorridor::sim::Simulation;

use crate::{close, head_on_with, prepare_text, scenario_path, scenario_text};

fn alerts_of(sim: Simulation) -> (Simulation, Vec<Alert>) {
    run_monitored(sim, Thresholds::default())
}

fn of_kind(alerts: &[Alert], kind: AlertKind) -> Vec<&Alert> {
    alerts.iter().filter(|a| a.kind == kind).collect()
}

#[test]
fn head_on_raises_its_conflict_and_loss_and_nothing_else() {
    // tests/it/head_on.rs: the pair is in conflict in the steps at 150..180 and inside
    // the minimum from 179.214 to 180.614: the tracker holds the loss open at the states
    // of 179 and 180 (the steps whose next second it falls in), so [179, 181).
    let sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    let (_, alerts) = alerts_of(sim);
    let kinds: Vec<AlertKind> = alerts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AlertKind::Conflict, AlertKind::Los], "{alerts:#?}");
    let (c, l) = (&alerts[0], &alerts[1]);
    let pair = Subject::Pair(FlightId::new(0), FlightId::new(1));
    assert_eq!((c.subject, c.start_s, c.end_s), (pair, 150.0, 181.0));
    assert_eq!((l.subject, l.start_s, l.end_s), (pair, 179.0, 181.0));
    // Closest horizontal distance at those states: at 180 the pair is 3598.284 - 3600 =
    // -1.716 m apart along the corridors and 48 m sideways.
    close(l.peak, (48f64.powi(2) + 1.716f64.powi(2)).sqrt(), 1e-3);
}

#[test]
fn a_drone_taking_off_40_s_late_is_off_its_4d_plan_until_it_lands() {
    // N leaves its stand 40 s after its filed departure: after the step to 41 it has
    // flown 5 m (s = 10 t - 5 from its take-off), which its plan reaches at 1 s: 40 s
    // late, over the 30 s tolerance, and it stays exactly 40 s late to its touchdown
    // (the run made long enough for it to land).
    let mut sim = head_on_with("duration_s: 400.0", "duration_s: 500.0").unwrap();
    let n = sim.flight_by_id("N").unwrap();
    sim.delay_takeoff(n, 40.0);
    let (sim, alerts) = alerts_of(sim);
    let off = of_kind(&alerts, AlertKind::NonConformance);
    assert_eq!(off.len(), 1, "{off:#?}");
    assert_eq!(off[0].subject, Subject::Flight(n));
    assert_eq!(off[0].start_s, 41.0);
    close(off[0].peak, 40.0, 1e-6);
    assert_eq!(off[0].end_s, sim.states()[n.index()].end_s);
    assert!(!off[0].open_at_end);
}

#[test]
fn a_battery_under_the_reserve_raises_low_battery_until_it_runs_out() {
    // tests/it/flights.rs: 5 Wh; 3.611 Wh after the 10 climbing steps, then 0.2222 Wh a
    // level step: 20 % left (the default reserve) is passed in the step to 12 (4.056 Wh,
    // 18.9 % left); the drone runs out in the step to 17. Lowest seen in the air: after
    // the step to 16, 3.611 + 6 x 0.2222 = 4.944 Wh, 1.11 % left.
    let sim = head_on_with("battery_wh: 1000.0", "battery_wh: 5.0").unwrap();
    let (_, alerts) = alerts_of(sim);
    let low = of_kind(&alerts, AlertKind::LowBattery);
    assert_eq!(low.len(), 2);
    for a in low {
        assert_eq!((a.start_s, a.end_s), (12.0, 17.0));
        let used = 10.0 * 1300.0 / 3600.0 + 6.0 * 800.0 / 3600.0;
        close(a.peak, 100.0 * (1.0 - used / 5.0), 1e-9);
    }
}

#[test]
fn a_no_fly_zone_near_the_corridors_is_approached_by_both() {
    // A no-fly circle of 250 m radius centred 400 m east of the northbound corridor:
    // its edge is 102 m from the southbound corridor (x = 48) and 150 m from the
    // northbound (x = 0). Within 200 m of the edge means within 450 m of the centre:
    // |north| <= sqrt(450² - 352²) = 280.35 m for S and sqrt(450² - 400²) = 206.16 m for
    // N. Cruising at 10 m/s, north = ±(10 t - 1799.142) (tests/it/head_on.rs), so S is
    // within it from 151.88 to 207.95 s and N from 159.30 to 200.53 s: alerts after the
    // steps 152..207 and 160..200.
    let base = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    let (lat, lon) = base.net().frame.to_geo(400.0, 0.0);
    let text = scenario_text("head_on.ron").replace(
        "    corridors: [",
        &format!(
            "    zones: [(id: \"Z\", kind: NoFly, shape: Circle(center: (lat: {lat:.12}, lon: {lon:.12}), radius_m: 250.0))],\n    corridors: ["
        ),
    );
    let sim = prepare_text(&text, "head_on.ron").unwrap();
    let (sim, alerts) = alerts_of(sim);
    let fence = of_kind(&alerts, AlertKind::Geofence);
    let by = |id: &str| {
        let f = sim.flight_by_id(id).unwrap();
        fence
            .iter()
            .find(|a| a.subject == Subject::Zone(f, 0))
            .copied()
            .unwrap_or_else(|| panic!("no geofence alert for {id}: {fence:#?}"))
    };
    let (s, n) = (by("S"), by("N"));
    assert_eq!(fence.len(), 2);
    assert_eq!((s.start_s, s.end_s), (152.0, 208.0));
    assert_eq!((n.start_s, n.end_s), (160.0, 201.0));
    // (The zone's centre goes through latitude and longitude: a millimetre.)
    close(s.peak, 102.0, 1e-2);
    close(n.peak, 150.0, 1e-2);
}

#[test]
fn a_full_stack_raises_holding_at_its_peak() {
    // tests/it/terminal.rs: F2..F5 fill B's four stack levels and F6 waits in the line:
    // five arrivals held at once at the peak, over the threshold of three.
    let sim = prepare_text(&scenario_text("terminal.ron"), "terminal.ron").unwrap();
    let b = sim.net().node_index["B"];
    let (_, alerts) = alerts_of(sim);
    let hold = of_kind(&alerts, AlertKind::Holding);
    assert!(!hold.is_empty());
    assert!(hold.iter().all(|a| a.subject == Subject::Node(b)));
    let peak = hold.iter().map(|a| a.peak).fold(0.0, f64::max);
    assert_eq!(peak, 5.0);
}

#[test]
fn the_strip_chart_counts_alerts_in_force_per_bin() {
    let sim = skycorridor::load(&scenario_path("head_on.ron"), &[]).unwrap();
    let (_, alerts) = alerts_of(sim);
    // 60 s bins over 400 s: the conflict [150, 181) and the loss [179, 181) are in
    // bins 2 and 3.
    let c = counts(&alerts, 60.0, 400.0);
    // A kind's column is its place in AlertKind::ALL.
    assert!(
        AlertKind::ALL
            .iter()
            .enumerate()
            .all(|(i, k)| k.index() == i)
    );
    assert_eq!(c.len(), 7);
    let conflict: Vec<u32> = c.iter().map(|b| b[0]).collect();
    let los: Vec<u32> = c.iter().map(|b| b[1]).collect();
    assert_eq!(conflict, [0, 0, 1, 1, 0, 0, 0]);
    assert_eq!(los, [0, 0, 1, 1, 0, 0, 0]);
}

/// The default scenario run with `--record` into `dir`.
pub(crate) fn record_default(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_skycorridor"))
        .args(["run", "--record", "--out"])
        .arg(dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    crate::assert_ok(&out);
}

#[test]
fn a_recorded_run_replays_at_any_time_as_it_ran() {
    let dir = tempfile::tempdir().unwrap();
    record_default(dir.path());
    let replay = Replay::open(dir.path(), Thresholds::default()).unwrap();
    assert_eq!(replay.end_s(), 3600.0);
    assert_eq!(replay.keyframes(), 61);
    // Three times, out of order (a seek back, then forward past keyframes), against
    // the live run stepped there from time 0.
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    for t in [1830.0, 617.0, 2999.0] {
        let at = replay.at(t);
        let mut live = skycorridor::load(&file, &[]).unwrap();
        while live.time_s() < t {
            live.step();
        }
        assert_eq!(at.time_s(), t);
        assert_eq!(fingerprint(&at), fingerprint(&live));
        let a: Vec<_> = at.airborne().map(|(f, d)| (f, d.pos, d.vel)).collect();
        let b: Vec<_> = live.airborne().map(|(f, d)| (f, d.pos, d.vel)).collect();
        assert!(!a.is_empty());
        assert_eq!(a, b, "at {t} s");
        let open = |s: &Simulation| {
            let mut v: Vec<_> = s.events().current().collect();
            v.sort();
            v
        };
        assert_eq!(open(&at), open(&live));
    }
    // The end of the replay reports what the run wrote, byte for byte.
    let end = replay.at(3600.0);
    let mut json = serde_json::to_vec_pretty(&Report::from_sim(&end)).unwrap();
    json.push(b'\n');
    assert_eq!(json, std::fs::read(dir.path().join("report.json")).unwrap());
    // And its alerts are the run's alerts.csv.
    let csv = skycorridor::monitor::alerts_csv(&end, &replay.alerts);
    assert_eq!(csv, std::fs::read(dir.path().join("alerts.csv")).unwrap());
    let kinds = |k: AlertKind| of_kind(&replay.alerts, k).len();
    assert_eq!(
        kinds(AlertKind::Los),
        Report::from_sim(&end).losses_of_separation
    );
}

#[test]
fn a_recording_that_no_longer_matches_is_refused_with_where() {
    let dir = tempfile::tempdir().unwrap();
    record_default(dir.path());
    let path = dir.path().join("recording.json");
    let mut rec = Recording::read(dir.path()).unwrap();
    rec.fingerprints[3] ^= 1;
    std::fs::write(&path, serde_json::to_vec(&rec).unwrap()).unwrap();
    let err = Replay::open(dir.path(), Thresholds::default())
        .err()
        .expect("a tampered recording is refused");
    assert!(
        matches!(err, ReplayError::Diverged { t_s, .. } if t_s == 180.0),
        "{err}"
    );
    assert!(err.to_string().contains("at 180 s"), "{err}");
    std::fs::write(&path, b"{\"format\": 1}").unwrap();
    let err = Replay::open(dir.path(), Thresholds::default())
        .err()
        .unwrap();
    assert!(matches!(err, ReplayError::Format { .. }), "{err}");
    assert!(err.to_string().contains("recording.json"), "{err}");
    let err = Replay::open(&dir.path().join("nowhere"), Thresholds::default())
        .err()
        .unwrap();
    assert!(matches!(err, ReplayError::Io { .. }), "{err}");
}
