//! The command line as a user runs it.

use std::process::Command;

use crate::scenario_path;

fn skycorridor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_skycorridor"))
}

#[test]
fn max_events_limits_the_list_not_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = skycorridor()
        .args([
            "run",
            scenario_path("head_on.ron").to_str().unwrap(),
            "--max-events",
            "1",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    crate::assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 conflicts, 1 losses of separation"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 more events counted than events.csv lists"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(
        (
            &report["conflicts"],
            &report["losses_of_separation"],
            &report["events_not_in_csv"]
        ),
        (&1.into(), &1.into(), &1.into())
    );
    assert!((report["min_separation_m"].as_f64().unwrap() - 48.0).abs() < 1e-9);
    let events = std::fs::read_to_string(dir.path().join("events.csv")).unwrap();
    assert_eq!(events.lines().count(), 2, "{events}");
}

#[test]
fn run_writes_reports_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = skycorridor()
        .args([
            "run",
            scenario_path("head_on.ron").to_str().unwrap(),
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    crate::assert_ok(&out);
    assert!(
        stdout.contains("1 conflicts, 1 losses of separation"),
        "{stdout}"
    );
    assert!(stdout.contains("min separation 48.0 m"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["flights"]["completed"], 2);
    assert_eq!(report["conflicts"], 1);
    let events = std::fs::read_to_string(dir.path().join("events.csv")).unwrap();
    assert_eq!(events.lines().count(), 3, "{events}");
    assert!(
        events
            .lines()
            .nth(2)
            .unwrap()
            .starts_with("los,N,S,179.214,180.614,1.400,48.000,0.000,0.0400")
    );
    assert_eq!(
        crate::file_names(dir.path()),
        [
            "events.csv",
            "flights.csv",
            "plans.csv",
            "report.json",
            "report.md"
        ],
        "no temporary files left"
    );
    // The 4D plan of N: its FATO, top of its climb (90 m after 9.5 s: s = 10 t - 5), its
    // fix (100 m on), the junction (400 m on), the top of the ramp to 100 m, B1's
    // junction, the top of the ramp to the arrival level, B1's fix, above its FATO, the
    // FATO.
    let plans = std::fs::read_to_string(dir.path().join("plans.csv")).unwrap();
    let rows: Vec<Vec<&str>> = plans
        .lines()
        .filter(|l| l.starts_with("0,"))
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 10, "{plans}");
    assert_eq!((rows[1][5], rows[1][8], rows[1][9]), ("9.500", "90.0", ""));
    assert_eq!(
        (rows[2][5], rows[2][8], rows[2][9]),
        ("19.500", "90.0", "A1:connector")
    );
    assert_eq!(
        (rows[3][5], rows[3][8], rows[3][9]),
        ("59.500", "90.0", "NORTHBOUND")
    );
    assert_eq!((rows[9][8], rows[9][9]), ("0.0", ""));
}

/// Outputs are written to temporary files and renamed, but get the permissions a file
/// created in place gets (0666 less the umask), not a temporary file's 0600: a report
/// others may read.
#[cfg(unix)]
#[test]
fn outputs_get_the_permissions_a_created_file_gets() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = skycorridor()
        .args([
            "run",
            scenario_path("head_on.ron").to_str().unwrap(),
            "--trajectories",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    crate::assert_ok(&out);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let created = dir.path().join("created");
    std::fs::File::create(&created).unwrap();
    let expected = mode(&created);
    std::fs::remove_file(&created).unwrap();
    let names = crate::file_names(dir.path());
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        let got = mode(&dir.path().join(&name));
        assert_eq!(got, expected, "{name}: {got:o}, not {expected:o}");
    }
}

#[test]
fn same_seed_gives_identical_files_whatever_the_threads() {
    let run = |threads: &str| {
        let dir = tempfile::tempdir().unwrap();
        let status = skycorridor()
            .args(["run", "--duration", "900", "--threads", threads, "--out"])
            .arg(dir.path())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        crate::assert_ok(&status);
        ["report.json", "flights.csv", "events.csv", "plans.csv"]
            .map(|f| std::fs::read(dir.path().join(f)).unwrap())
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn bad_scenario_exits_with_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ron");
    let text = std::fs::read_to_string(scenario_path("head_on.ron"))
        .unwrap()
        .replace(
            "max_alt_m: 120.0, direction: OneWay, speed_limit_mps: 10.0),\n        (id: \"SOUTH",
            "max_alt_m: 20.0, direction: OneWay, speed_limit_mps: 10.0),\n        (id: \"SOUTH",
        );
    std::fs::write(&bad, text).unwrap();
    let out = skycorridor().args(["validate"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("bad.ron:20:"), "{stderr}");
    assert!(stderr.contains("empty altitude band"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn validate_prints_a_summary() {
    let out = skycorridor()
        .args(["validate"])
        .arg(scenario_path("head_on.ron"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("valid"));
    assert!(
        stdout.contains("corridors  2 (4.8 km, 2 lanes) and 4 vertiport connectors"),
        "{stdout}"
    );
    assert!(stdout.contains("A1 -> B1, test: NORTHBOUND"), "{stdout}");
    assert!(
        stdout.contains(
            "vertiport  A1: 1 FATO 61 m apart, 2 stands; fix 400 m at 270 deg, FATOs 100 m beyond"
        ),
        "{stdout}"
    );
}

#[test]
fn validate_prints_the_junction_geometry() {
    // The fork of `strategic.rs`: X's zone is 1.5 minima (its one sharp angle is between
    // lanes on different layers), and the widest ramp zone is the one on B-X's end that
    // the slow climber's ramp onto X-C passes (hand-derived there: 202.5 m).
    let out = skycorridor()
        .args(["validate"])
        .arg(scenario_path("fork.ron"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("junctions  widest zones B 75 m"),
        "{stdout}"
    );
    assert!(stdout.contains("widest 202 m)"), "{stdout}");
}

#[test]
fn help_lists_the_commands() {
    let out = skycorridor().arg("--help").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for cmd in ["run", "validate", "bench"] {
        assert!(stdout.contains(cmd), "{stdout}");
    }
    let out = skycorridor().args(["run", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--set <PATH=VALUE>"));
}

#[test]
fn bench_times_strategic_clearing_of_a_scenario() {
    // overtake.ron: two requests, the fast one held on the ground behind the slow one.
    let out = skycorridor()
        .args(["bench", "--clear"])
        .arg(scenario_path("overtake.ron"))
        .output()
        .unwrap();
    crate::assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row: Vec<&str> = stdout
        .lines()
        .find(|l| l.contains("overtake.ron"))
        .unwrap_or_else(|| panic!("{stdout}"))
        .split_whitespace()
        .collect();
    // requests, plan s, clear s, requests/s, delayed, cancelled
    assert_eq!((row[1], row[5], row[6]), ("2", "1", "0"), "{stdout}");
    assert!(row[3].parse::<f64>().unwrap() >= 0.0);
}

#[test]
fn validate_warns_of_a_headway_shorter_than_the_minimum() {
    // head_on.ron's drones fly 10 m/s: a 3 s headway keeps them 30 m apart, under 50 m.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("short.ron");
    let text = std::fs::read_to_string(scenario_path("head_on.ron"))
        .unwrap()
        .replacen(
            "direction: OneWay, speed_limit_mps: 10.0),",
            "direction: OneWay, speed_limit_mps: 10.0, headway_s: 3.0),",
            1,
        );
    std::fs::write(&file, text).unwrap();
    let out = skycorridor()
        .args(["validate"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "warning    NORTHBOUND (A1->B1): a 3 s headway keeps drones 30 m apart at 10 m/s"
        ),
        "{stdout}"
    );
    // ... and what strategic deconfliction books there instead (1.05 x 50 m at 10 m/s).
    assert!(
        stdout.contains("strategic deconfliction books 5.2 s there instead"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("warning").count(), 1, "{stdout}");
    // The shipped head_on.ron (10 s headway, 100 m) has none.
    let out = skycorridor()
        .args(["validate"])
        .arg(scenario_path("head_on.ron"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("warning"));
}
