//! Disturbances: wind (forecast and actual), schedule noise, navigation error.
//!
//! By hand (tests/scenarios/headwind.ron): one drone flies north the whole way at 10 m/s
//! through the air: 3390 m level, a ramp 10 m up over 10 m along the corridor (path speed
//! bound by the 10 m/s climb rate), 90 m climb and 90 m descent at 10 m/s. Power: 800 W
//! level at 10 m/s airspeed, 1300 W climbing (1.3 x hover), hover 1000 W falling linearly
//! to 800 W at 10 m/s airspeed, so 1000 - 20 v W when not climbing.
//!
//! In a 2 m/s north wind (a headwind) its ground speed is 8 m/s: the level part takes
//! 3390/8 - 3390/10 = 84.75 s longer, the ramp 10/8 - 10/10 = 0.25 s (its horizontal
//! speed is 8 where it was 10): 85 s in all. Energy: 84.75 s more at 800 W, 0.25 s more at
//! 1300 W, and the final descent (`T_d` seconds on it, braking onto the FATO included,
//! the same in any wind) at 2 m/s airspeed, 960 W instead of 1000 W:
//! 67,800 + 325 - 40 T_d J more. The simulation charges each step the power of the
//! segment it starts on, so at the 0.1 s step used here the figure holds to within a
//! step's power change at each of the three changes of power (at most 150 J, 0.042 Wh).
//!
//! A 6 m/s east wind (a crosswind) takes the same 85 s (the drone crabs: sqrt(10^2 - 6^2)
//! = 8 m/s along the track, still 10 m/s through the air), and its descent hovers at 6
//! m/s airspeed, 880 W: 67,800 + 325 - 120 T_d J more.
//!
//! A 2 m/s south wind (a tailwind) brings it 3390/10 - 3390/12 = 56.5 s early: the ramp
//! is bound by the climb rate (10 m up at 10 m/s) whatever the wind.

use skycorridor::metrics::Report;
use skycorridor::scenario::Override;
use skycorridor::sim::Simulation;

use crate::{close, scenario_path};

fn headwind(set: &[&str]) -> Simulation {
    let mut all = vec!["dt_s=0.1"];
    all.extend_from_slice(set);
    let set: Vec<Override> = all.iter().map(|s| s.parse().unwrap()).collect();
    let mut sim = skycorridor::load(&scenario_path("headwind.ron"), &set).unwrap();
    sim.run_to_end();
    sim
}

/// Seconds the calm flight spends on its final descent (its last segment).
fn descent_s() -> f64 {
    let set: Vec<Override> = vec!["dt_s=0.1".parse().unwrap()];
    let mut sim = skycorridor::load(&scenario_path("headwind.ron"), &set).unwrap();
    let last = sim.fleet().plans()[0].path.segs.len() as u32 - 1;
    let mut on = 0.0;
    while !sim.finished() {
        sim.step();
        if sim
            .airborne()
            .next()
            .is_some_and(|(_, d)| d.motion.seg == last)
        {
            on += 0.1;
        }
    }
    on
}

/// Arrival, planned arrival and energy of the one flight, and the report.
fn flown(sim: &Simulation) -> (f64, f64, f64, Report) {
    let st = &sim.states()[0];
    let plan = sim.fleet().cleared_plan(skycorridor::ids::FlightId::new(0));
    (
        st.end_s,
        plan.duration_s,
        st.final_dynamics().energy_wh,
        Report::from_sim(sim),
    )
}

#[test]
fn a_headwind_the_plan_did_not_know_makes_the_drone_late_by_the_derived_time_and_energy() {
    let (t0, plan0, e0, r0) = flown(&headwind(&[]));
    assert_eq!(r0.flights.completed, 1);
    // Forecast calm, actual 2 m/s from the north.
    let (t1, plan1, e1, r1) = flown(&headwind(&[
        "uncertainty.wind.speed_mps=2",
        "uncertainty.forecast.speed_mps=0",
    ]));
    assert_eq!(r1.flights.completed, 1);
    assert_eq!(plan1, plan0, "the plan knew nothing of it");
    close(t1 - t0, 85.0, 0.1);
    close(r1.delay_s.mean, 85.0, 0.1);
    let t_d = descent_s();
    assert!((9.0..15.0).contains(&t_d), "{t_d}");
    close(e1 - e0, (68_125.0 - 40.0 * t_d) / 3600.0, 0.042);
}

#[test]
fn a_forecast_headwind_is_in_the_plan_and_the_drone_is_on_time() {
    let (t0, plan0, e0, _) = flown(&headwind(&[]));
    let (t1, plan1, e1, r1) = flown(&headwind(&["uncertainty.wind.speed_mps=2"]));
    close(plan1 - plan0, 85.0, 0.1);
    close(t1 - t0, 85.0, 0.1);
    close(r1.delay_s.max, 0.0, 1e-6);
    close(e1 - e0, (68_125.0 - 40.0 * descent_s()) / 3600.0, 0.042);
}

#[test]
fn a_crosswind_costs_the_crab_angle() {
    let (t0, _, e0, _) = flown(&headwind(&[]));
    let (t1, _, e1, _) = flown(&headwind(&[
        "uncertainty.wind.from_deg=90",
        "uncertainty.wind.speed_mps=6",
        "uncertainty.forecast.speed_mps=0",
    ]));
    close(t1 - t0, 85.0, 0.1);
    close(e1 - e0, (68_125.0 - 120.0 * descent_s()) / 3600.0, 0.042);
}

#[test]
fn a_tailwind_brings_it_early() {
    let (t0, ..) = flown(&headwind(&[]));
    let (t1, ..) = flown(&headwind(&[
        "uncertainty.wind.from_deg=180",
        "uncertainty.wind.speed_mps=2",
        "uncertainty.forecast.speed_mps=0",
    ]));
    close(t0 - t1, 56.5, 0.1);
}

#[test]
fn a_wind_a_drone_cannot_fly_against_is_refused() {
    let set: Vec<Override> = vec!["uncertainty.wind.speed_mps=10".parse().unwrap()];
    let err = skycorridor::load(&scenario_path("headwind.ron"), &set)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("uncertainty") && err.contains("wind.speed_mps"),
        "{err}"
    );
    assert!(err.contains("could not make headway"), "{err}");
}

/// The default scenario's first 20 minutes with wind and schedule noise.
fn disturbed(extra: &[&str]) -> Simulation {
    let mut set: Vec<Override> = [
        "duration_s=1200",
        "uncertainty.wind.from_deg=200",
        "uncertainty.wind.speed_mps=4",
        "uncertainty.forecast.speed_mps=2",
        "uncertainty.schedule.departure_sd_s=30",
        "uncertainty.schedule.speed_sd=0.05",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    set.extend(extra.iter().map(|s| s.parse().unwrap()));
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    skycorridor::load(&file, &set).unwrap()
}

#[test]
fn departures_are_late_by_their_own_draw_and_never_early() {
    let mut sim = disturbed(&[]);
    sim.run_to_end();
    let late = &sim.fleet().disturbances().late_s;
    assert_eq!(late.len(), sim.fleet().flights().len());
    let mut checked = 0;
    for (i, st) in sim.states().iter().enumerate() {
        if st.takeoff_s.is_nan() {
            continue;
        }
        let f = sim.fleet().flight(skycorridor::ids::FlightId::new(i));
        // It asks for a FATO when it is due and late; the FATO may keep it longer.
        assert!(st.takeoff_s >= f.departure_s + late[i] - 1.0, "flight {i}");
        checked += 1;
    }
    assert!(checked > 100);
    let r = Report::from_sim(&sim);
    crate::assert_every_flight_accounted(&r);
}

/// Navigation error on every type of the default scenario: 4 m horizontal and 3 m
/// vertical for the small drones, 3 m and 3 m for the eVTOLs.
pub const NAVIGATION: [&str; 8] = [
    "drone_types.parcel.navigation.horizontal_sd_m=4",
    "drone_types.parcel.navigation.vertical_sd_m=3",
    "drone_types.food.navigation.horizontal_sd_m=4",
    "drone_types.food.navigation.vertical_sd_m=3",
    "drone_types.evtol.navigation.horizontal_sd_m=3",
    "drone_types.evtol.navigation.vertical_sd_m=3",
    "drone_types.evtol5.navigation.horizontal_sd_m=3",
    "drone_types.evtol5.navigation.vertical_sd_m=3",
];

/// The headwind scenario's one flight, calm, stepped at 1 s beside the same flight with
/// navigation error `sd` (horizontal, vertical) and time constant `tau_s`: each step's
/// true position minus the calm one while both are in the air, once the error has had
/// ten time constants to settle from zero.
fn navigation_offsets(sd: [f64; 2], tau_s: f64) -> Vec<[f64; 3]> {
    let nav = [
        format!("drone_types.test.navigation.horizontal_sd_m={}", sd[0]),
        format!("drone_types.test.navigation.vertical_sd_m={}", sd[1]),
        format!("drone_types.test.navigation.time_constant_s={tau_s}"),
    ];
    let nav: Vec<Override> = nav.iter().map(|s| s.parse().unwrap()).collect();
    let mut calm = skycorridor::load(&scenario_path("headwind.ron"), &[]).unwrap();
    let mut off = skycorridor::load(&scenario_path("headwind.ron"), &nav).unwrap();
    let mut offsets = Vec::new();
    let mut t = 0.0;
    while !calm.finished() {
        calm.step();
        off.step();
        t += 1.0;
        let (Some((_, a)), Some((_, b))) = (calm.airborne().next(), off.airborne().next()) else {
            continue;
        };
        // Navigation error moves where it is, not where it is along its path.
        assert_eq!(a.motion, b.motion, "at {t} s");
        if t > 10.0 * tau_s {
            offsets.push((b.pos - a.pos).to_array());
        }
    }
    assert_eq!(
        Report::from_sim(&calm).flights.completed,
        Report::from_sim(&off).flights.completed
    );
    offsets
}

#[test]
fn navigation_error_is_a_gauss_markov_process_with_the_stated_sigma_and_time_constant() {
    // sigma 5 m horizontal, 2 m vertical, tau 2 s: at the 1 s step each axis is
    // e' = phi e + sigma sqrt(1 - phi^2) Z with phi = exp(-1/2) = 0.607, so the error's
    // standard deviation is sigma and its correlation one step apart is 0.607. Some 330
    // samples, correlated: the sd is good to about 6 % (1 standard error), the
    // correlation to about 0.04; the bounds are three and more of those.
    let (sd, tau) = ([5.0, 2.0], 2.0);
    let e = navigation_offsets(sd, tau);
    assert!(e.len() > 300, "{}", e.len());
    let phi = (-1.0_f64 / tau).exp();
    for (axes, sigma) in [(&[0, 1][..], sd[0]), (&[2][..], sd[1])] {
        let mut sq = 0.0;
        let mut lag = 0.0;
        let mut n = 0.0;
        for &i in axes {
            // Never past the truncation.
            assert!(e.iter().all(|x| x[i].abs() <= 4.0 * sigma + 1e-4));
            sq += e.iter().map(|x| x[i] * x[i]).sum::<f64>();
            lag += e.windows(2).map(|w| w[0][i] * w[1][i]).sum::<f64>();
            n += e.len() as f64;
        }
        let got_sd = (sq / n).sqrt();
        assert!(
            (got_sd / sigma - 1.0).abs() < 0.2,
            "sd {got_sd} for {sigma}"
        );
        let rho = lag / sq;
        assert!((rho - phi).abs() < 0.12, "correlation {rho}, want {phi}");
    }
}

/// Flies 900 s of the disturbed default hour with `extra` overrides, without and with
/// Mvp, checking every step's detection against the all-pairs oracle.
fn assert_detection_exact(extra: &[&str]) {
    for method in ["None", "Mvp"] {
        let tactical = format!("deconfliction.tactical={method}");
        let mut set = vec![tactical.as_str(), "duration_s=900"];
        set.extend_from_slice(extra);
        let mut sim = disturbed(&set);
        sim.set_verify_separation(true);
        sim.run_to_end();
        assert_eq!(sim.separation_mismatches(), 0, "{method}");
        assert!(Report::from_sim(&sim).conflicts > 0);
    }
}

#[test]
fn detection_stays_exact_with_navigation_error() {
    assert_detection_exact(&NAVIGATION);
}

#[test]
fn detection_stays_exact_in_wind_with_noisy_speeds() {
    assert_detection_exact(&[]);
}

#[test]
fn strategic_plans_meet_losses_only_when_disturbed() {
    // Undisturbed, a cleared plan never loses separation (tests/it/sound.rs); with the
    // wind off its forecast and noisy speeds and departures it can.
    let mut calm = disturbed(&[
        "deconfliction.strategic=true",
        "uncertainty.wind.speed_mps=0",
        "uncertainty.forecast.speed_mps=0",
        "uncertainty.schedule.departure_sd_s=0",
        "uncertainty.schedule.speed_sd=0",
    ]);
    calm.run_to_end();
    assert_eq!(Report::from_sim(&calm).losses_of_separation, 0);
    let mut windy = disturbed(&["deconfliction.strategic=true"]);
    windy.run_to_end();
    let r = Report::from_sim(&windy);
    crate::assert_every_flight_accounted(&r);
    assert!(r.losses_of_separation > 0, "{}", r.losses_of_separation);
    // Navigation error alone, on time and at the planned speeds in calm air, is enough.
    let mut set = vec![
        "deconfliction.strategic=true",
        "uncertainty.wind.speed_mps=0",
        "uncertainty.forecast.speed_mps=0",
        "uncertainty.schedule.departure_sd_s=0",
        "uncertainty.schedule.speed_sd=0",
        "duration_s=3600",
    ];
    set.extend(NAVIGATION);
    let mut strays = disturbed(&set);
    strays.run_to_end();
    let r = Report::from_sim(&strays);
    crate::assert_every_flight_accounted(&r);
    assert!(r.losses_of_separation > 0, "{}", r.losses_of_separation);
}

/// `run --seeds 4` on the default scenario's first 15 minutes, disturbed, with `threads`
/// threads: the folder.
fn monte_carlo(threads: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skycorridor"))
        .args([
            "run",
            "--seeds",
            "4",
            "--threads",
            threads,
            "--duration",
            "900",
        ])
        .args([
            "--set",
            "uncertainty.wind.speed_mps=4",
            "--set",
            "uncertainty.schedule.departure_sd_s=30",
            "--set",
            "uncertainty.schedule.speed_sd=0.05",
            "--out",
        ])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    crate::assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("monte carlo   4 seeds"), "{stdout}");
    dir
}

#[test]
fn the_monte_carlo_mean_is_the_mean_of_the_seeds_reports_whatever_the_threads() {
    let dir = monte_carlo("2");
    let read = |p: std::path::PathBuf| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
    };
    let mc = read(dir.path().join("montecarlo.json"));
    let seeds: Vec<u64> = mc["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert_eq!(seeds, (20261122..20261126).collect::<Vec<_>>());
    let reports: Vec<serde_json::Value> = seeds
        .iter()
        .map(|s| read(dir.path().join(format!("seed_{s}/report.json"))))
        .collect();
    let kpi = |name: &str| {
        mc["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == name)
            .unwrap()
            .clone()
    };
    for (name, field) in [
        ("losses_of_separation", "losses_of_separation"),
        ("conflicts", "conflicts"),
        ("energy_wh", "energy_wh"),
        ("near_misses", "near_misses"),
    ] {
        let values: Vec<f64> = reports.iter().map(|r| r[field].as_f64().unwrap()).collect();
        let mean = values.iter().sum::<f64>() / 4.0;
        let k = kpi(name);
        close(
            k["mean"].as_f64().unwrap(),
            mean,
            1e-9 * mean.abs().max(1.0),
        );
        // The interval is t(0.975, 3) = 3.182 standard errors either side.
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        let half = 3.182 * sd / 2.0;
        close(
            k["ci95"][1].as_f64().unwrap(),
            mean + half,
            1e-6 * mean.abs().max(1.0),
        );
    }
    // The seeds differ (else the interval says nothing).
    assert_ne!(reports[0]["flights"], reports[1]["flights"]);
    // Same bytes on one thread.
    let one = monte_carlo("1");
    for name in [
        "montecarlo.json",
        "montecarlo.csv",
        "seed_20261123/flights.csv",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join(name)).unwrap(),
            std::fs::read(one.path().join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn a_lanes_booked_headway_holds_the_minimum_at_the_ground_speed_in_the_forecast_wind() {
    // tests/scenarios/headwind.ron's one lane runs north at a 10 m/s limit for a 10 m/s
    // type: calm, its booked headway keeps 1.05 minima at 10 m/s; in a forecast 2 m/s
    // north wind (a headwind) the drones make 8 m/s over the ground, and in a 6 m/s east
    // wind (a crosswind) they crab at sqrt(100 - 36) = 8 m/s too: 1.05 minima at 8 m/s.
    // (The corridor's own headway lowered to 1 s, so the minima decide.)
    let headway = |set: &[&str]| {
        let set: Vec<Override> = std::iter::once(&"corridors.NORTH.headway_s=1")
            .chain(set)
            .map(|s| s.parse().unwrap())
            .collect();
        let sim = skycorridor::load(&scenario_path("headwind.ron"), &set).unwrap();
        let net = sim.net();
        let lane = net.lanes.iter().find(|l| !l.connector).unwrap();
        let h = lane.booked_headway_s(net.slowest_mps, &net.weather.forecast);
        (h, lane.headway_s, lane.minima[0])
    };
    let (calm, floor, minimum) = headway(&[]);
    close(calm, floor.max(1.05 * minimum / 10.0), 1e-9);
    for wind in [["0", "2"], ["90", "6"]] {
        let (from, speed) = (
            format!("uncertainty.wind.from_deg={}", wind[0]),
            format!("uncertainty.wind.speed_mps={}", wind[1]),
        );
        let (h, _, _) = headway(&[&from, &speed]);
        close(h, floor.max(1.05 * minimum / 8.0), 1e-9);
        assert!(h > calm);
    }
}

#[test]
fn late_departures_by_the_book_take_off_only_into_a_free_slot_on_their_connector() {
    // Strategic deconfliction, departures late by 60 s (half-normal) and nothing else:
    // before a late drone goes, its booking is withdrawn and its connector must be free
    // of every other booking by the headway; so every two drones that took off onto one
    // departure connector entered it and left it a headway apart, in the same order.
    // (Released by the book on their FATOs alone, late drones from different FATOs went
    // together and flew one path at 0 m for the rest of the flight.)
    use skycorridor::planner::strategic::lane_spans;
    let mut sim = disturbed(&[
        "deconfliction.strategic=true",
        "uncertainty.wind.speed_mps=0",
        "uncertainty.forecast.speed_mps=0",
        "uncertainty.schedule.departure_sd_s=60",
        "uncertainty.schedule.speed_sd=0",
        "duration_s=3600",
    ]);
    sim.run_to_end();
    let net = sim.net().clone();
    let mut on: std::collections::BTreeMap<usize, Vec<(f64, f64, f64)>> = Default::default();
    let mut late = 0;
    for (i, st) in sim.states().iter().enumerate() {
        if !st.takeoff_s.is_finite() {
            continue;
        }
        let f = skycorridor::ids::FlightId::new(i);
        if st.takeoff_s > sim.flights()[f].departure_s + 1e-9 {
            late += 1;
        }
        let plan = sim.fleet().cleared_plan(f);
        let &(l, e, x) = lane_spans(plan).first().unwrap();
        let h = net.lanes[l].booked_headway_s(net.slowest_mps, &net.weather.forecast);
        on.entry(l.index())
            .or_default()
            .push((st.takeoff_s + e, st.takeoff_s + x, h));
    }
    assert!(late > 100, "{late}");
    for spans in on.values() {
        for (k, a) in spans.iter().enumerate() {
            for b in &spans[k + 1..] {
                let h = a.2 - 1e-6;
                let apart =
                    (b.0 - a.0 >= h && b.1 - a.1 >= h) || (a.0 - b.0 >= h && a.1 - b.1 >= h);
                assert!(apart, "{a:?} and {b:?}");
            }
        }
    }
}

#[test]
fn by_the_book_an_arrival_ahead_of_its_plan_waits_in_the_stack_not_at_the_fix() {
    // Strategic deconfliction, a tailwind the forecast did not know and noisy airspeeds:
    // drones reach their fix before their booked FATO movement. One that stops there
    // without a FATO must hold a stack level or a line place (by the book, arrivals on
    // time get neither: before this, early ones stopped at the fix itself, where the
    // next early one stopped too).
    let mut sim = disturbed(&[
        "deconfliction.strategic=true",
        "uncertainty.wind.from_deg=20",
        "uncertainty.wind.speed_mps=4",
        "uncertainty.forecast.speed_mps=0",
        "uncertainty.schedule.departure_sd_s=0",
        "uncertainty.schedule.speed_sd=0.05",
    ]);
    let (mut stopped, mut waiting) = (0, 0);
    while !sim.finished() {
        sim.step();
        for (f, d) in sim.airborne() {
            let plan = sim.fleet().plan(f);
            if d.fato_granted || d.motion.u > 0.0 || d.motion.s < plan.fix_m() - 1.0 {
                continue;
            }
            stopped += 1;
            if d.stack_level > 0 || d.line_place > 0 {
                waiting += 1;
            }
        }
    }
    assert!(stopped > 100, "{stopped}");
    assert_eq!(waiting, stopped);
}

#[test]
fn a_cleared_plan_flown_in_a_perfectly_forecast_wind_never_loses_separation() {
    // A wind the plans know is no disturbance: strategic deconfliction alone leaves no loss
    // of separation, as in calm air. (Booked with the uses of the route's first FATOs, a
    // flight from another FATO was booked with the wrong leg times: in a wind each FATO's
    // leg has its own ground speed; the default hour lost separation 6 to 8 times.)
    for (from, speed) in [("0", "6"), ("90", "5"), ("200", "4")] {
        let set: Vec<Override> = [
            "deconfliction.strategic=true".to_string(),
            format!("uncertainty.wind.from_deg={from}"),
            format!("uncertainty.wind.speed_mps={speed}"),
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let file =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
        let mut sim = skycorridor::load(&file, &set).unwrap();
        sim.run_to_end();
        let r = Report::from_sim(&sim);
        crate::assert_every_flight_accounted(&r);
        assert_eq!(r.losses_of_separation, 0, "wind from {from} at {speed} m/s");
        assert!(r.flights.completed > 300);
    }
}

/// A wind grid file in a temporary folder: `v_mps` (north) at each altitude of `alts`
/// given by `v(alt)`, the same over a 2 × 2 box around the test scenarios.
fn grid_file(alts: &[f64], v: impl Fn(f64) -> f64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("# a test grid\nlon,lat,alt_m,u_mps,v_mps\n");
    for &a in alts {
        for (lon, lat) in [(113.0, 22.0), (115.0, 22.0), (113.0, 23.0), (115.0, 23.0)] {
            text.push_str(&format!("{lon},{lat},{a},0,{}\n", v(a)));
        }
    }
    let path = dir.path().join("wind.csv");
    std::fs::write(&path, text).unwrap();
    let quoted = format!("{:?}", path.display().to_string());
    (dir, quoted)
}

#[test]
fn a_uniform_wind_grid_flies_exactly_as_the_uniform_wind() {
    // 2 m/s from the north as a grid: the same times, energy and report, to the bit.
    let (_dir, file) = grid_file(&[0.0, 500.0], |_| -2.0);
    let grid = format!("uncertainty.wind.grid_csv={file}");
    for forecast in ["uncertainty.forecast.speed_mps=0", "dt_s=0.1"] {
        let (t0, plan0, e0, r0) = flown(&headwind(&["uncertainty.wind.speed_mps=2", forecast]));
        let (t1, plan1, e1, r1) = flown(&headwind(&[&grid, forecast]));
        assert_eq!((t1, plan1, e1), (t0, plan0, e0), "{forecast}");
        assert_eq!(
            serde_json::to_string(&r1).unwrap(),
            serde_json::to_string(&r0).unwrap()
        );
    }
}

#[test]
fn a_wind_grid_by_altitude_is_met_at_the_lanes_level() {
    // No wind on the ground, 4 m/s from the north at 200 m, linear between: at height
    // `z` a headwind of z/50 m/s, so a level segment at `z` (the connectors at 90 and
    // 110 m, the lane at 100 m) is planned at 10 − z/50 over the ground and the flight
    // takes Σ h·(1/(10 − z/50) − 1/10) longer than in calm air, `h` each segment's
    // horizontal length (its climb and descent are vertical: no change).
    let (_dir, file) = grid_file(&[0.0, 200.0], |a| -a / 50.0);
    let grid = format!("uncertainty.wind.grid_csv={file}");
    let sim = headwind(&[&grid]);
    let plan = sim.fleet().cleared_plan(skycorridor::ids::FlightId::new(0));
    let mut extra = 0.0;
    for g in &plan.path.segs {
        // Its horizontal length, and the wind at its middle (a ramp's mean).
        let h = g.len_m * (1.0 - g.dir[2] * g.dir[2]).sqrt();
        let z = 0.5 * (g.start[2] + g.end()[2]);
        if g.dir[2] == 0.0 {
            assert!((50.0..150.0).contains(&z), "{z}");
            close(g.u_max, 10.0 - z / 50.0, 1e-9);
        }
        extra += h * (1.0 / (10.0 - z / 50.0) - 0.1);
    }
    assert!(extra > 60.0, "{extra}");
    let (t0, plan0, _, _) = flown(&headwind(&[]));
    let (t1, plan1, _, r1) = flown(&sim);
    close(plan1 - plan0, extra, 0.2);
    close(t1 - t0, extra, 0.2);
    close(r1.delay_s.max, 0.0, 1e-6);
    // Planned in calm air and flown in the grid, it is late by the same.
    let (t2, plan2, _, _) = flown(&headwind(&[&grid, "uncertainty.forecast.speed_mps=0"]));
    close(plan2, plan0, 1e-9);
    close(t2 - t0, extra, 0.2);
}

#[test]
fn a_wind_grid_that_is_too_strong_or_broken_is_refused_with_its_field() {
    let (_dir, file) = grid_file(&[0.0, 200.0], |a| -a / 10.0);
    let set: Vec<Override> = vec![format!("uncertainty.wind.grid_csv={file}").parse().unwrap()];
    let e = skycorridor::load(&scenario_path("headwind.ron"), &set)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("wind.grid_csv") && e.contains("20.0 m/s"), "{e}");
    let set: Vec<Override> = vec![
        "uncertainty.wind.grid_csv=\"/nonexistent/wind.csv\""
            .parse()
            .unwrap(),
    ];
    let e = skycorridor::load(&scenario_path("headwind.ron"), &set)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("/nonexistent/wind.csv"), "{e}");
    // Gusts whose 4 sd bound with the wind reaches the airspeed.
    let set: Vec<Override> = ["uncertainty.wind.speed_mps=5", "uncertainty.gusts.sd_mps=1"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let e = skycorridor::load(&scenario_path("headwind.ron"), &set)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("gusts of up to 5.7 m/s"), "{e}");
}

const GUSTS: [&str; 2] = [
    "uncertainty.gusts.sd_mps=1",
    "uncertainty.gusts.time_constant_s=20",
];

#[test]
fn gusts_move_arrivals_both_ways_and_detection_stays_exact() {
    assert_detection_exact(&[GUSTS[0], GUSTS[1], "uncertainty.schedule.speed_sd=0"]);
    // One drone in a gusty but on average calm air: its arrival moves by seconds, not
    // minutes, and another seed moves it differently.
    let (t0, _, _, _) = flown(&headwind(&[]));
    let ts: Vec<f64> = (1..=6)
        .map(|seed| {
            let seed = format!("seed={seed}");
            flown(&headwind(&[GUSTS[0], GUSTS[1], &seed])).0
        })
        .collect();
    assert!(ts.iter().all(|t| (t - t0).abs() < 30.0), "{ts:?} vs {t0}");
    assert!(ts.iter().any(|&t| t != ts[0]), "{ts:?}");
}
