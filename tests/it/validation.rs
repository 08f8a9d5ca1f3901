//! Every kind of bad input gets a clear error naming the file, line and column or the
//! offending id and field; never a panic.

use skycorridor::scenario::{Override, ScenarioError};

use crate::{head_on_with, prepare_text, scenario_path, scenario_text};

fn message(r: Result<skycorridor::sim::Simulation, ScenarioError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[track_caller]
fn has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "`{p}` not in:\n{msg}");
    }
}

#[test]
fn missing_file_names_the_file() {
    let m = message(skycorridor::load(std::path::Path::new("no/such.ron"), &[]));
    has(&m, &["no/such.ron", "cannot read the scenario"]);
}

#[test]
fn syntax_error_gives_line_and_column() {
    let m = message(head_on_with("dt_s: 1.0,", "dt_s: 1.0.0,"));
    has(&m, &["head_on.ron:7:"]);
}

#[test]
fn unknown_field_is_rejected_with_its_place() {
    let m = message(head_on_with(
        "duration_s: 400.0,",
        "duration_s: 400.0, speed: 3,",
    ));
    has(&m, &["head_on.ron:8:", "speed", "duration_s"]);
}

#[test]
fn wrong_type_is_rejected_with_its_place() {
    let m = message(head_on_with(
        "horizontal_m: 50.0",
        "horizontal_m: \"fifty\"",
    ));
    has(&m, &["head_on.ron:9:"]);
}

#[test]
fn unknown_node_in_a_corridor() {
    let m = message(head_on_with("to: \"B2\"", "to: \"B3\""));
    has(
        &m,
        &[
            "corridor SOUTHBOUND",
            "field `to`",
            "unknown node `B3`",
            "head_on.ron:21:",
        ],
    );
}

#[test]
fn duplicate_ids() {
    let m = message(head_on_with("(id: \"B2\",", "(id: \"B1\","));
    has(&m, &["node B1", "duplicate id"]);
}

#[test]
fn negative_and_non_finite_numbers() {
    let m = message(head_on_with(
        "speed_limit_mps: 10.0),\n        (id: \"SOUTH",
        "speed_limit_mps: -3.0),\n        (id: \"SOUTH",
    ));
    has(
        &m,
        &[
            "corridor NORTHBOUND",
            "field `speed_limit_mps`",
            "expected a finite number > 0, got -3",
        ],
    );
    let m = message(head_on_with("battery_wh: 1000.0", "battery_wh: inf"));
    has(&m, &["drone type test", "field `battery_wh`", "got inf"]);
    let m = message(head_on_with("horizontal_m: 50.0", "horizontal_m: NaN"));
    has(&m, &["separation, field `horizontal_m`", "got NaN"]);
}

#[test]
fn empty_altitude_band() {
    let m = message(head_on_with(
        "to: \"B1\", min_alt_m: 80.0, max_alt_m: 120.0",
        "to: \"B1\", min_alt_m: 120.0, max_alt_m: 80.0",
    ));
    has(
        &m,
        &[
            "corridor NORTHBOUND",
            "field `max_alt_m`",
            "empty altitude band",
            "head_on.ron:20:",
        ],
    );
}

#[test]
fn corridor_crossing_an_active_no_fly_zone() {
    let zone = "    zones: [(id: \"PARK\", shape: Circle(center: (lat: 22.5, lon: 114.0), radius_m: 200.0), max_alt_m: 300.0)],\n    drone_types: [";
    let m = message(head_on_with("    drone_types: [", zone));
    has(
        &m,
        &[
            "corridor NORTHBOUND",
            "crosses no-fly zone PARK",
            "route it around",
        ],
    );
    // Inactive during the run, or above the band: allowed.
    let later = zone.replace(
        "max_alt_m: 300.0",
        "max_alt_m: 300.0, active: (start_s: 400.0, end_s: 900.0)",
    );
    assert!(head_on_with("    drone_types: [", &later).is_ok());
    let above = zone.replace("max_alt_m: 300.0", "min_alt_m: 150.0, max_alt_m: 300.0");
    assert!(head_on_with("    drone_types: [", &above).is_ok());
}

#[test]
fn polygon_zone_crossing() {
    let zone = "    zones: [(id: \"BLOCK\", shape: Polygon(points: [(lat: 22.499, lon: 113.999), (lat: 22.499, lon: 114.001), (lat: 22.501, lon: 114.001)]))],\n    drone_types: [";
    let m = message(head_on_with("    drone_types: [", zone));
    has(&m, &["crosses no-fly zone BLOCK (polygon"]);
}

#[test]
fn zero_length_corridor() {
    let m = message(head_on_with(
        "east_m: 0.0, north_m: 1200.0)",
        "east_m: 0.0, north_m: -1200.0)",
    ));
    has(
        &m,
        &[
            "corridor NORTHBOUND",
            "is 0.00 m long: `A1` and `B1` are at the same place",
        ],
    );
}

#[test]
fn no_route_between_a_pair() {
    let m = message(head_on_with(
        "(id: \"S\", origin: \"A2\", destination: \"B2\"",
        "(id: \"S\", origin: \"B2\", destination: \"A2\"",
    ));
    has(&m, &["no route from B2 to A2", "check corridor directions"]);
}

#[test]
fn unknown_drone_type_and_waypoint_origin() {
    let m = message(head_on_with(
        "drone_type: \"test\", departure_s: 0.0),\n            (id: \"S\"",
        "drone_type: \"heavy\", departure_s: 0.0),\n            (id: \"S\"",
    ));
    has(
        &m,
        &[
            "flight N",
            "field `drone_type`",
            "unknown drone type `heavy`",
        ],
    );
    let m = message(head_on_with(
        "(id: \"A1\", kind: Vertiport(fatos: 1, terminal: (bearing_deg: 270)),",
        "(id: \"A1\",",
    ));
    has(&m, &["flight N", "`A1` is a waypoint, not a vertiport"]);
}

#[test]
fn node_needs_one_kind_of_position() {
    let m = message(head_on_with(
        "east_m: 0.0, north_m: -1200.0",
        "north_m: -1200.0",
    ));
    has(
        &m,
        &[
            "node A1",
            "give either `lat` and `lon`, or `east_m` and `north_m`",
        ],
    );
}

#[test]
fn several_problems_are_all_listed() {
    let text = scenario_text("head_on.ron")
        .replace(
            "fatos: 1, terminal: (bearing_deg: 270)), east_m: 0.0, north_m: -1200.0",
            "fatos: 0, terminal: (bearing_deg: 270)), east_m: 0.0, north_m: -1200.0",
        )
        .replace("lookahead_s: 30.0", "lookahead_s: -1.0");
    let m = message(prepare_text(&text, "x.ron"));
    has(
        &m,
        &["2 problems", "expected 1 to 16 FATOs, got 0", "lookahead_s"],
    );
}

#[test]
fn bad_overrides_name_the_override() {
    let path = scenario_path("head_on.ron");
    let set = |s: &str| vec![s.parse::<Override>().unwrap()];
    let m = message(skycorridor::load(&path, &set("separation.horizontal=80")));
    has(
        &m,
        &["--set separation.horizontal", "unknown field `horizontal`"],
    );
    let m = message(skycorridor::load(&path, &set("corridors.NOPE.width_m=80")));
    has(
        &m,
        &[
            "--set corridors.NOPE.width_m",
            "no element with id or index `NOPE`",
        ],
    );
    let m = message(skycorridor::load(
        &path,
        &set("separation.horizontal_m=wide"),
    ));
    has(&m, &["--set", "separation.horizontal_m=wide"]);
    assert!("no-equals-sign".parse::<Override>().is_err());
}

#[test]
fn overrides_change_the_run() {
    let path = scenario_path("head_on.ron");
    let set: Vec<Override> = [
        "separation.horizontal_m=40",
        "corridors.SOUTHBOUND.speed_limit_mps=5",
        "seed=9",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let sim = skycorridor::load(&path, &set).unwrap();
    assert_eq!(sim.scenario().separation.horizontal_m, 40.0);
    assert_eq!(sim.scenario().corridors[1].speed_limit_mps, 5.0);
    assert_eq!(sim.scenario().seed, 9);
    let set = vec!["corridors.0.direction=TwoWay".parse::<Override>().unwrap()];
    let sim = skycorridor::load(&path, &set).unwrap();
    // Three corridor lanes, and two connector lanes for each of the four vertiports.
    assert_eq!(sim.net().lanes.len(), 3 + 8);
}

#[test]
fn bad_comms_settings_are_named() {
    let with = |comms: &str| {
        message(head_on_with(
            "    corridors: [",
            &format!("    comms: ({comms}),\n    corridors: ["),
        ))
    };
    let m = with(
        "cells: [(id: \"C\", lat: 22.5, lon: 114.0, range_m: 500.0, range_by_alt: [(100.0, 500.0), (50.0, 300.0)])]",
    );
    has(
        &m,
        &[
            "cell C",
            "field `range_by_alt`",
            "expected altitudes rising, got 50 after 100",
        ],
    );
    let m = with("lost_link_after_s: 0.5");
    has(
        &m,
        &[
            "field `lost_link_after_s`",
            "more than the longest report period (1 s)",
            "got 0.5",
        ],
    );
}
