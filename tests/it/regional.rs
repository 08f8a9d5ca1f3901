//! The regional model: jurisdictions and their rules, border gates, airport zones, the
//! shipped scenarios, and the per-city and per-pair KPIs.

use std::path::Path;

use skycorridor::generate;
use skycorridor::ids::FlightId;
use skycorridor::metrics::{self, Report};
use skycorridor::network::geodesic_m;
use skycorridor::scenario::Override;
use skycorridor::sim::{Phase, PointState, Simulation};

use crate::{prepare_text, scenario_path, scenario_text};

fn load(name: &str, set: &[&str]) -> Simulation {
    let set: Vec<Override> = set.iter().map(|s| s.parse().unwrap()).collect();
    skycorridor::load(&scenario_path(name), &set).unwrap()
}

fn flight(sim: &Simulation, id: &str) -> FlightId {
    sim.flight_by_id(id).unwrap()
}

#[test]
fn each_jurisdiction_sets_the_speed_and_band_of_the_corridors_inside_it() {
    let mut sim = load("two_jurisdictions.ron", &[]);
    let net = sim.net().clone();
    let lanes: Vec<(&str, bool, f64, f64, &str)> = net
        .lanes
        .iter()
        .filter(|l| !l.connector)
        .map(|l| {
            (
                net.corridor_ids[l.corridor].as_str(),
                l.reverse,
                l.speed_limit_mps,
                l.alt_m,
                net.jurisdictions[l.jurisdiction.unwrap()].id.as_str(),
            )
        })
        .collect();
    // By hand (see the scenario's header).
    assert_eq!(
        lanes,
        [
            ("WEST", false, 8.0, 127.5, "SLOW"),
            ("WEST", true, 8.0, 82.5, "SLOW"),
            ("EAST", false, 18.0, 90.0, "FAST"),
            ("EAST", true, 18.0, 70.0, "FAST"),
        ]
    );
    // In level flight: never faster than 8 m/s over the west, up to 18 m/s over the east.
    sim.record_trajectories(1.0);
    sim.run_to_end();
    let f = flight(&sim, "W2E");
    let log = sim.trajectory().unwrap();
    let fastest = |west: bool| {
        log.points
            .iter()
            .filter(|p| {
                p.flight == f
                    && p.state == PointState::Flying(Phase::Cruising)
                    && (p.pos.x < -1.0) == west
                    && p.pos[0].abs() > 1.0
            })
            .map(|p| p.speed_mps)
            .fold(0.0_f64, f64::max)
    };
    // (Speeds come from unit vectors in the local frame: equal to 1e-9.)
    assert!((fastest(true) - 8.0).abs() < 1e-9, "{}", fastest(true));
    assert!((fastest(false) - 18.0).abs() < 1e-9, "{}", fastest(false));
    let r = Report::from_sim(&sim);
    assert_eq!(r.flights.completed, 1);
    // Distance is shared out by route length: half each.
    let km: Vec<f64> = r.jurisdictions.iter().map(|j| j.distance_km).collect();
    assert!((km[0] - km[1]).abs() < 0.05, "{km:?}");
}

#[test]
fn a_jurisdiction_with_a_wider_minimum_holds_its_pairs_to_it() {
    // 70 m apart: separated under 50 m, in loss of separation under 100 m.
    let run = |set: &[&str]| {
        let mut sim = load("side_by_side.ron", set);
        sim.set_verify_separation(true);
        sim.run_to_end();
        assert_eq!(sim.separation_mismatches(), 0, "R-tree and all-pairs agree");
        Report::from_sim(&sim)
    };
    let base = run(&[]);
    // (A conflict is predicted, none happens: the two departure connectors run head-on
    // toward junctions 70 m apart, and their straight-line extrapolations meet.)
    assert_eq!(base.losses_of_separation, 0);
    let strict = run(&["jurisdictions.CITY.rules.horizontal_m=100"]);
    assert_eq!(
        strict.losses_of_separation, 1,
        "one long loss, side by side"
    );
    assert_eq!(strict.jurisdictions[0].losses_of_separation, 1);
    // Closest where the connectors join the corridors (the drones meet the junctions a
    // second apart), 70 m all along the corridors.
    let min = strict.min_separation_m.unwrap();
    assert!(min > 50.0 && min <= 70.0 + 1e-6, "{min}");
}

#[test]
fn a_cross_border_plan_passes_the_gate_and_the_gate_clears_one_drone_a_minute() {
    let mut sim = load("border_gate.ron", &[]);
    let g = sim.net().node_index["G"];
    for f in (0..5).map(FlightId::new) {
        let plan = sim.plan(f);
        assert_eq!(plan.route_label(sim.net()), "SOUTH-LEG>NORTH-LEG");
        assert_eq!(plan.gates.len(), 1);
        assert_eq!(plan.gates[0].1, g);
        // The gate is where the second lane starts: 4 km along the first, after the
        // climb, the leg to the fix and the connector.
        let net = sim.net();
        let lane_start = |id: &str| {
            let k = plan
                .path
                .segs
                .iter()
                .position(|s| {
                    s.lane
                        .is_some_and(|l| net.corridor_ids[net.lanes[l].corridor] == id)
                })
                .unwrap();
            plan.path.cum[k]
        };
        assert_eq!(plan.gates[0].0, lane_start("NORTH-LEG"));
        let first_leg = lane_start("NORTH-LEG") - lane_start("SOUTH-LEG");
        assert!((first_leg - 4000.0).abs() < 30.0, "{first_leg}");
    }
    sim.set_verify_separation(true);
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    assert_eq!(r.flights.completed, 5);
    assert_eq!(r.cross_border_flights, 5);
    let gate = &r.gates[0];
    assert_eq!((gate.id.as_str(), gate.passages), ("G", 5));
    // The first passes at once; the other four queue behind it (all four at once when the
    // last one arrives), then pass exactly 60 s apart.
    assert_eq!(sim.gates().wait_s(flight(&sim, "D0")), 0.0);
    assert_eq!(gate.max_queue, 4);
    let mut cleared: Vec<f64> = (0..5)
        .map(|f| sim.gates().cleared_s(FlightId::new(f)))
        .collect();
    cleared.sort_by(f64::total_cmp);
    let gaps: Vec<f64> = cleared.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, [60.0; 4]);
    // Queued in line, one queue spacing apart: no loss of separation on the way.
    assert_eq!(
        r.losses_of_separation - r.losses_of_separation_at_vertiports,
        0,
        "{r:?}"
    );
    assert_eq!(sim.separation_mismatches(), 0);
    let md = metrics::markdown(&r);
    assert!(
        md.contains("## Border gates") && md.contains("| G | 60 | 5 |"),
        "{md}"
    );
}

#[test]
fn strategic_deconfliction_moves_the_gate_queue_to_the_ground() {
    let mut sim = load("border_gate.ron", &["deconfliction.strategic=true"]);
    let departures: Vec<f64> = sim.flights().iter().map(|f| f.departure_s).collect();
    assert_eq!(departures, [0.0, 60.0, 120.0, 180.0, 240.0]);
    sim.run_to_end();
    let waits: Vec<f64> = (0..5)
        .map(|f| sim.gates().wait_s(FlightId::new(f)))
        .collect();
    assert_eq!(waits, [0.0; 5]);
}

#[test]
fn a_corridor_from_one_territory_into_another_needs_a_gate() {
    let text = scenario_text("border_gate.ron");
    let anchor = "        (id: \"NORTH-LEG\"";
    let bad = text.replace(
        anchor,
        &format!("        (id: \"DIRECT\", from: \"S\", to: \"N\", min_alt_m: 60.0, max_alt_m: 150.0),\n{anchor}"),
    );
    let err = match prepare_text(&bad, "border_gate.ron") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a corridor across the border without a gate was accepted"),
    };
    assert!(
        err.contains("corridor DIRECT")
            && err.contains("territory HK")
            && err.contains("without a border gate"),
        "{err}"
    );
    let line = bad.lines().position(|l| l.contains("\"DIRECT\"")).unwrap() + 1;
    assert!(err.contains(&format!("border_gate.ron:{line}:")), "{err}");
}

#[test]
fn a_jurisdiction_rule_that_empties_a_band_is_an_error_naming_both() {
    let text =
        scenario_text("two_jurisdictions.ron").replacen("max_alt_m: 100.0", "max_alt_m: 50.0", 1);
    let err = match prepare_text(&text, "two_jurisdictions.ron") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    };
    assert!(
        err.contains("corridor EAST")
            && err.contains("jurisdiction FAST whose rules allow altitudes up to 50 m"),
        "{err}"
    );
}

#[test]
fn the_default_corridors_keep_clear_of_every_airport_in_the_places_file() {
    // An independent check: geodesic distance from each airport of the CSV (read here) to
    // points every 50 m along every corridor, against the zone radius plus half the width.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sim = skycorridor::load(&root.join(skycorridor::DEFAULT_SCENARIO), &[]).unwrap();
    let rule = sim
        .scenario()
        .airports
        .as_ref()
        .expect("the default sizes airports by a rule");
    let csv = std::fs::read_to_string(root.join("assets/gba_places.csv")).unwrap();
    let airports: Vec<(String, f64, f64)> = csv
        .lines()
        .filter(|l| l.starts_with("airport,"))
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[1].to_string(),
                c[4].parse().unwrap(),
                c[5].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(airports.len(), 7);
    for (id, ..) in &airports {
        assert!(
            sim.net().zones.iter().any(|z| &z.id == id),
            "no zone for {id}"
        );
    }
    let net = sim.net();
    for (ci, c) in sim.scenario().corridors.iter().enumerate() {
        let lane = net.lanes.iter().find(|l| l.corridor == ci).unwrap();
        for w in lane.points.windows(2) {
            let len = (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
            let n = (len / 50.0).ceil() as usize;
            for k in 0..=n {
                let f = k as f64 / n as f64;
                let (lat, lon) = net.frame.to_geo(
                    w[0][0] + (w[1][0] - w[0][0]) * f,
                    w[0][1] + (w[1][1] - w[0][1]) * f,
                );
                for (id, alat, alon) in &airports {
                    let r = rule.radius_by_id.get(id).copied().unwrap_or(rule.radius_m);
                    let d = geodesic_m((lat, lon), (*alat, *alon));
                    assert!(
                        d > r + 0.5 * c.width_m,
                        "corridor {} comes {d:.0} m from {id} (zone {r} m)",
                        c.id
                    );
                }
            }
        }
    }
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".ron"))
        .collect();
    names.sort();
    for want in [
        "estuary_crossing.ron",
        "gba_default.ron",
        "hk_sz_crossborder.ron",
        "gba_100k.ron",
        "gba_10k.ron",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    for name in &names {
        // Two simulated minutes each: enough to plan, take off and check separation.
        let set = vec!["duration_s=120".parse().unwrap()];
        let mut sim =
            skycorridor::load(&dir.join(name), &set).unwrap_or_else(|e| panic!("{name}: {e}"));
        sim.run_to_end();
        let r = Report::from_sim(&sim);
        crate::assert_every_flight_accounted(&r);
        assert!(r.flights.departed > 0, "{name}: nothing took off");
        let header = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(
            header.starts_with("//"),
            "{name} needs a header comment saying what it shows"
        );
    }
}

#[test]
fn city_and_city_pair_kpis_add_up_and_the_markdown_has_a_table_per_city() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = vec!["duration_s=900".parse().unwrap()];
    let mut sim = skycorridor::load(&root.join(skycorridor::DEFAULT_SCENARIO), &set).unwrap();
    sim.run_to_end();
    let r = Report::from_sim(&sim);
    assert_eq!(r.jurisdictions.len(), sim.scenario().jurisdictions.len());
    // Every vertiport lies in a jurisdiction, so departures and arrivals add up.
    let deps: usize = r.jurisdictions.iter().map(|j| j.departures).sum();
    let arrs: usize = r.jurisdictions.iter().map(|j| j.arrivals).sum();
    assert_eq!((deps, arrs), (r.flights.departed, r.flights.completed));
    let flights: usize = r.city_pairs.iter().map(|p| p.flights).sum();
    assert_eq!(flights, r.flights.planned);
    // Shares of distance and energy add up to the totals of the lanes' flights.
    let km: f64 = r.jurisdictions.iter().map(|j| j.distance_km).sum();
    assert!(
        km > 0.0 && km <= r.distance_km + 1e-6,
        "{km} of {}",
        r.distance_km
    );
    let los: usize = r.jurisdictions.iter().map(|j| j.losses_of_separation).sum();
    assert_eq!(los, r.losses_of_separation);
    // Hong Kong-Shenzhen is a cross-border pair; Shenzhen-Shenzhen is not.
    let pair = |o: &str, d: &str| {
        r.city_pairs
            .iter()
            .find(|p| p.origin == o && p.destination == d)
            .unwrap()
    };
    assert!(pair("HK", "SZ").cross_border && !pair("SZ", "SZ").cross_border);
    assert!(r.cross_border_flights > 0 && r.gates.iter().all(|g| g.passages > 0));
    let md = metrics::markdown(&r);
    assert!(md.contains("## By city"), "{md}");
    for j in &sim.net().jurisdictions {
        assert!(
            md.contains(&format!("| {} ({}) |", j.name, j.id)),
            "{} missing:\n{md}",
            j.name
        );
    }
}

/// The generated scenario for `airborne` drones, as `skycorridor generate` writes it.
fn generated(root: &Path, airborne: f64, file: &str) -> (String, generate::Summary) {
    let p = generate::Params {
        airborne,
        ..Default::default()
    };
    let name = file.trim_end_matches(".ron");
    let g = generate::generate(
        &root.join("scenarios/gba_default.ron"),
        &root.join("assets/gba_cities.csv"),
        &p,
        name,
    )
    .unwrap();
    let command = format!("skycorridor generate --airborne {airborne} --out scenarios/{file}");
    let text = generate::generated_text(
        &g,
        &command,
        "scenarios/gba_default.ron",
        "assets/gba_cities.csv",
    );
    (text, g.summary)
}

#[test]
fn the_generated_region_scenarios_are_fresh_and_load_lanes_below_capacity() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runs: Vec<_> = [(10_000.0, "gba_10k.ron"), (100_000.0, "gba_100k.ron")]
        .into_iter()
        .map(|(n, file)| std::thread::spawn(move || (n, file, generated(root, n, file))))
        .collect();
    for r in runs {
        let (airborne, file, (fresh, summary)) = r.join().unwrap();
        let shipped = std::fs::read_to_string(root.join("scenarios").join(file)).unwrap();
        assert!(
            fresh == shipped,
            "scenarios/{file} is stale: run `skycorridor generate --airborne {airborne} --out scenarios/{file}`"
        );
        // Little's law on the time-optimal plans hits the target, and no lane is asked
        // for more than 70 % of its headway capacity on the run's mean (rates are
        // written to four digits).
        assert!(
            (summary.airborne - airborne).abs() < 0.001 * airborne,
            "{summary:?}"
        );
        assert!(summary.max_lane_load <= 0.701, "{summary:?}");
        assert!(summary.mean_lane_load < 0.4, "{summary:?}");
        assert_eq!(summary.fato_capped, 0, "{summary:?}");
        // All eleven cities are meshed; the trunks and both land gates are there.
        assert_eq!(summary.cities.len(), 11);
        assert!(
            summary.cities.iter().all(|c| c.1 > 0 && c.2 > 0),
            "{summary:?}"
        );
        assert!(
            summary.trunk_corridors >= 10 && summary.gate_links == 4,
            "{summary:?}"
        );
    }
}

#[test]
fn a_generated_mesh_follows_the_heading_altitude_rule_and_flies_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    // Zhuhai and Macau only: a small mesh across the Gongbei gate.
    let cities = dir.path().join("cities.csv");
    std::fs::write(
        &cities,
        "city,name,population,hubs\nZH,Zhuhai,2439585,ZUH\nMO,Macau,683218,MFM\n",
    )
    .unwrap();
    let p = generate::Params {
        airborne: 300.0,
        ..Default::default()
    };
    let mut s = generate::generate(&root.join("scenarios/gba_default.ron"), &cities, &p, "zhmo")
        .unwrap()
        .scenario;
    let node = |id: &str| s.nodes.iter().find(|n| n.id == id).unwrap().clone();
    let mut mesh = 0;
    for c in &s.corridors {
        let (a, b) = (node(&c.from), node(&c.to));
        let de = (b.lon.unwrap() - a.lon.unwrap()) * a.lat.unwrap().to_radians().cos();
        let dn = b.lat.unwrap() - a.lat.unwrap();
        let band = [c.min_alt_m, c.max_alt_m];
        if c.id.starts_with(generate::TRUNK_PREFIX) {
            assert_eq!(band, p.trunk, "{}", c.id);
            continue;
        }
        mesh += 1;
        // East-west below north-south, and `from` is the west (south) end, so the
        // upper lane of each band is eastbound (northbound).
        if de.abs() >= dn.abs() {
            assert_eq!(band, p.east_west, "{}", c.id);
            assert!(de > 0.0, "{}", c.id);
        } else {
            assert_eq!(band, p.north_south, "{}", c.id);
            assert!(dn > 0.0, "{}", c.id);
        }
    }
    assert!(mesh > 50, "{mesh} mesh corridors");
    // Macau's mesh reaches Zhuhai's only through the gate.
    assert!(
        s.corridors
            .iter()
            .any(|c| c.from == "GATE-GONGBEI" || c.to == "GATE-GONGBEI")
    );
    // Fly it without deconfliction: once the longest flight has landed, the drones in
    // the air are what Little's law sized (at the profile's factor now over its mean).
    s.land_geojson = Some(
        root.join("assets/gba_land_ne10m.geojson")
            .display()
            .to_string(),
    );
    s.airports.as_mut().unwrap().places_csv =
        root.join("assets/gba_places.csv").display().to_string();
    let mean = skycorridor::scale::mean_profile_factor(&s);
    s.duration_s = 2400.0;
    let now = s.demand.factor_at(2400.0);
    let mut sim = skycorridor::prepare(s, &dir.path().join("zhmo.ron"), None).unwrap();
    sim.run_to_end();
    let want = 300.0 * now / mean;
    let got = sim.airborne_count() as f64;
    assert!(
        (got - want).abs() < 0.2 * want,
        "{got} in the air, {want:.0} sized"
    );
}
