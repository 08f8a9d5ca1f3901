//! GeoJSON out (read back by GDAL) and in, trajectories, and BlueSky scenarios (loaded
//! into BlueSky itself).

use std::path::Path;
use std::process::Command;

use skycorridor::interop::geojson::{export, import_corridors, import_zones};
use skycorridor::scenario::Scenario;

use crate::scenario_path;

fn default_scenario() -> Scenario {
    skycorridor::scenario::load_file(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO),
    )
    .unwrap()
    .0
}

fn write_geojson(dir: &Path, s: &Scenario) {
    for (name, text) in export(s) {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

#[test]
fn exported_geojson_reads_back_in_gdal() {
    if !crate::require_tool("ogrinfo", "exported_geojson_reads_back_in_gdal") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_geojson(dir.path(), &default_scenario());
    let info = |file: &str, args: &[&str]| {
        let out = Command::new("ogrinfo")
            .args(args)
            .arg(dir.path().join(file))
            .output()
            .unwrap();
        crate::assert_ok(&out);
        String::from_utf8(out.stdout).unwrap()
    };
    for (file, count, geometry) in [
        ("nodes.geojson", 19, "Point"),
        ("corridors.geojson", 21, "Line String"),
        ("zones.geojson", 7, "Polygon"),
    ] {
        let summary = info(file, &["-so", "-al"]);
        assert!(
            summary.contains(&format!("Feature Count: {count}")),
            "{file}:\n{summary}"
        );
        assert!(
            summary.contains(&format!("Geometry: {geometry}")),
            "{file}:\n{summary}"
        );
        assert!(
            summary.contains("EPSG\",4326"),
            "{file} is WGS84:\n{summary}"
        );
    }
    let estuary = info(
        "corridors.geojson",
        &["-al", "-q", "-where", "id = 'HK-ESTUARY'"],
    );
    for attr in [
        "from (String) = HKC",
        "to (String) = GATE-ESTUARY",
        "speed_limit_mps (Real) = 50",
        "headway_s (Real) = 20",
        "min_alt_m (Real) = 90",
    ] {
        assert!(estuary.contains(attr), "`{attr}` not in:\n{estuary}");
    }
    // Three points: HKC, the via point south of Lantau, the gate (lon, lat order).
    assert!(
        estuary.contains("LINESTRING (114.1588 22.282,113.95 22.215,113.83 22.2)"),
        "{estuary}"
    );
    let hkia = info("zones.geojson", &["-al", "-q", "-where", "id = 'VHHH'"]);
    assert!(
        hkia.contains("radius_m (Real) = 5000") && hkia.contains("kind (String) = NoFly"),
        "{hkia}"
    );
}

#[test]
fn polygons_wind_counter_clockwise() {
    let files = export(&default_scenario());
    let zones: serde_json::Value = serde_json::from_str(&files[2].1).unwrap();
    for f in zones["features"].as_array().unwrap() {
        let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.first(), ring.last(), "closed");
        let area: f64 = ring
            .windows(2)
            .map(|w| {
                w[0][0].as_f64().unwrap() * w[1][1].as_f64().unwrap()
                    - w[1][0].as_f64().unwrap() * w[0][1].as_f64().unwrap()
            })
            .sum();
        assert!(area > 0.0, "{} winds clockwise", f["properties"]["id"]);
    }
}

#[test]
fn export_then_import_rebuilds_the_same_network() {
    let original = default_scenario();
    let dir = tempfile::tempdir().unwrap();
    write_geojson(dir.path(), &original);
    let mut from_gis = original.clone();
    from_gis.corridors.clear();
    from_gis.zones.clear();
    // The airport zones come back from the exported file instead of the places CSV.
    from_gis.airports = None;
    from_gis.corridors_geojson = Some("corridors.geojson".into());
    from_gis.zones_geojson = Some("zones.geojson".into());
    let config =
        ron::ser::PrettyConfig::default().extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    let file = dir.path().join("from_gis.ron");
    std::fs::write(
        &file,
        ron::ser::to_string_pretty(&from_gis, config).unwrap(),
    )
    .unwrap();

    let rebuilt = skycorridor::load(&file, &[]).unwrap();
    let before = skycorridor::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO),
        &[],
    )
    .unwrap();
    assert_eq!(rebuilt.scenario().corridors, before.scenario().corridors);
    let (a, b) = (before.net(), rebuilt.net());
    assert_eq!(a.corridor_ids, b.corridor_ids);
    assert_eq!(a.lanes.len(), b.lanes.len());
    for (x, y) in a.lanes.iter().zip(&b.lanes) {
        assert_eq!(
            (x.corridor, x.from, x.to, x.reverse, x.alt_m),
            (y.corridor, y.from, y.to, y.reverse, y.alt_m)
        );
        assert_eq!(x.points, y.points);
        assert_eq!(x.length_m, y.length_m);
    }
    assert_eq!(a.zones.len(), b.zones.len());
    for (x, y) in a.zones.iter().zip(&b.zones) {
        assert_eq!((&x.id, x.alt_m), (&y.id, y.alt_m));
        let ((cx, rx), (cy, ry)) = (x.circle.unwrap(), y.circle.unwrap());
        assert!((cx[0] - cy[0]).abs() < 1e-6 && (cx[1] - cy[1]).abs() < 1e-6 && rx == ry);
    }
    // The same flights fly the same plans.
    assert_eq!(
        skycorridor::metrics::plans_csv(&before),
        skycorridor::metrics::plans_csv(&rebuilt)
    );
}

#[test]
fn gis_features_map_to_fields_with_defaults_and_snapped_ends() {
    let s = default_scenario();
    // Drawn in a GIS: no from/to (ends near HKC and KLN), only the band given.
    let drawn = r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "NEW", "min_alt_m": 60, "max_alt_m": 150, "direction": "OneWay"},
         "geometry": {"type": "LineString", "coordinates": [[114.15885, 22.28201], [114.165, 22.29], [114.1722, 22.2988]]}}]}"#;
    let c = &import_corridors(drawn, &s).unwrap()[0];
    assert_eq!(
        (c.from.as_str(), c.to.as_str(), c.via.len()),
        ("HKC", "KLN", 1)
    );
    assert_eq!(
        (c.width_m, c.speed_limit_mps, c.headway_s),
        (100.0, 20.0, 10.0)
    );
    let zone = r#"{"type": "Feature", "properties": {"id": "PARK", "radius_m": 800},
        "geometry": {"type": "Point", "coordinates": [114.0, 22.4]}}"#;
    let z = &import_zones(zone).unwrap()[0];
    assert_eq!(z.max_alt_m, 10_000.0);
    assert!(
        matches!(z.shape, skycorridor::scenario::Shape::Circle { radius_m, .. } if radius_m == 800.0)
    );
}

#[test]
fn bad_gis_features_are_named() {
    let s = default_scenario();
    let err = |text: &str| import_corridors(text, &s).unwrap_err().to_string();
    let point = r#"{"type": "Feature", "properties": {"id": "X1"}, "geometry": {"type": "Point", "coordinates": [114, 22]}}"#;
    assert_eq!(
        err(point),
        "feature X1 (#0): a corridor must be a LineString, got a Point"
    );
    let no_band = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"from": "HKC", "to": "KLN"},
        "geometry": {"type": "LineString", "coordinates": [[114.1588, 22.282], [114.1722, 22.2988]]}}]}"#;
    assert_eq!(err(no_band), "feature #0: missing `min_alt_m`");
    let nowhere = r#"{"type": "Feature", "properties": {"id": "Y", "min_alt_m": 1, "max_alt_m": 2},
        "geometry": {"type": "LineString", "coordinates": [[100, 10], [114.1722, 22.2988]]}}"#;
    assert!(
        err(nowhere)
            .starts_with("feature Y (#0): no `from` property and no node within 100 m of its end")
    );
    let typed = r#"{"type": "Feature", "properties": {"id": "Z", "min_alt_m": "low", "max_alt_m": 2, "from": "HKC", "to": "KLN"},
        "geometry": {"type": "LineString", "coordinates": [[114.1588, 22.282], [114.1722, 22.2988]]}}"#;
    assert_eq!(
        err(typed),
        "feature Z (#0): property `min_alt_m` must be a number, got \"low\""
    );

    // Through a scenario file, the error names the GeoJSON file too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.geojson"), point).unwrap();
    let text = std::fs::read_to_string(scenario_path("head_on.ron"))
        .unwrap()
        .replace(
            "    corridors: [",
            "    corridors_geojson: \"bad.geojson\",\n    corridors: [",
        );
    std::fs::write(dir.path().join("s.ron"), text).unwrap();
    let e = skycorridor::load(&dir.path().join("s.ron"), &[])
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("bad.geojson: feature X1 (#0): a corridor must be a LineString"),
        "{e}"
    );
}

#[test]
fn trajectories_follow_the_flights() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_skycorridor"))
        .args([
            "run",
            scenario_path("head_on.ron").to_str().unwrap(),
            "--trajectories",
            "--trajectory-interval",
            "10",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    crate::assert_ok(&out);
    let csv = std::fs::read_to_string(dir.path().join("trajectories.csv")).unwrap();
    // N at 120 s: cruising at 100 m, 10 m/s (see head_on.rs).
    let row = csv
        .lines()
        .find(|l| l.starts_with("N,120.000,"))
        .expect("a sample every 10 s");
    assert!(row.ends_with(",100.00,10.00,cruising"), "{row}");
    // Touchdown at 362 s (plans.csv) is recorded as the end.
    let last = csv.lines().rfind(|l| l.starts_with("N,")).unwrap();
    assert!(
        last.starts_with("N,362.000,") && last.ends_with(",0.00,0.00,completed"),
        "{last}"
    );
    let samples = csv.lines().filter(|l| l.starts_with("N,")).count();
    let gj: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("trajectories.geojson")).unwrap(),
    )
    .unwrap();
    let n = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == "N")
        .unwrap();
    assert_eq!(n["geometry"]["type"], "LineString");
    assert_eq!(
        n["geometry"]["coordinates"].as_array().unwrap().len(),
        samples
    );
    assert_eq!(
        n["properties"]["times_s"].as_array().unwrap().len(),
        samples
    );
    assert_eq!(
        n["geometry"]["coordinates"][11][2], 100.0,
        "[lon, lat, alt] at 120 s"
    );
}

/// The Python with `bluesky-simulator` that `SKYCORRIDOR_BLUESKY_PYTHON` names; without
/// one, test `name` is skipped with a message (and fails in CI, which must run it).
fn bluesky_python(name: &str) -> Option<String> {
    let python = std::env::var("SKYCORRIDOR_BLUESKY_PYTHON").ok();
    let found = python.filter(|p| Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run {name}: set SKYCORRIDOR_BLUESKY_PYTHON (see .ci/run)"
        );
        eprintln!(
            "SKIPPED {name}: set SKYCORRIDOR_BLUESKY_PYTHON to a python with bluesky-simulator"
        );
    }
    found
}

#[test]
fn bluesky_loads_the_exported_flights() {
    let Some(python) = bluesky_python("bluesky_loads_the_exported_flights") else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = vec!["duration_s=600".parse().unwrap()];
    let sim = skycorridor::load(&root.join(skycorridor::DEFAULT_SCENARIO), &set).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scn = dir.path().join("default.scn");
    std::fs::write(&scn, skycorridor::interop::bluesky::export(&sim)).unwrap();
    let out = Command::new(python)
        .arg(root.join("tests/bluesky/check_scenario.py"))
        .arg(&scn)
        .arg(dir.path().join("work"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "BlueSky failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .expect("a JSON summary line");
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut created: Vec<String> = v["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    created.sort();
    let mut expected: Vec<String> = (0..sim.flights().len())
        .map(skycorridor::interop::bluesky::callsign)
        .collect();
    expected.sort();
    assert!(sim.flights().len() > 50);
    assert_eq!(created, expected, "BlueSky created every flight");
}

#[test]
fn the_mvp_comparison_script_sets_bluesky_beside_skycorridor() {
    // tests/bluesky/compare_mvp.py on the default scenario's first two minutes: both
    // simulators, each with and without MVP; skycorridor's side is its own
    // `run --compare-resolution`.
    let Some(python) = bluesky_python("the_mvp_comparison_script_sets_bluesky_beside_skycorridor")
    else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(python)
        .arg(root.join("tests/bluesky/compare_mvp.py"))
        .arg(env!("CARGO_BIN_EXE_skycorridor"))
        .arg(root.join(skycorridor::DEFAULT_SCENARIO))
        .arg(dir.path())
        .arg("120")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["seconds"], 120.0);
    let mut sims = Vec::new();
    for method in ["None", "Mvp"] {
        let set = [
            "duration_s=120".parse().unwrap(),
            format!("deconfliction.tactical={method}").parse().unwrap(),
        ];
        let mut sim = skycorridor::load(&root.join(skycorridor::DEFAULT_SCENARIO), &set).unwrap();
        sim.run_to_end();
        sims.push(skycorridor::metrics::Report::from_sim(&sim));
    }
    for (side, r) in ["none", "mvp"].iter().zip(&sims) {
        assert_eq!(v["skycorridor"][side]["conflicts"], r.conflicts);
        assert_eq!(
            v["skycorridor"][side]["losses_of_separation"],
            r.losses_of_separation
        );
        for key in ["conflicts", "losses_of_separation"] {
            assert!(v["bluesky"][side][key].as_u64().is_some(), "{v}");
        }
    }
}
