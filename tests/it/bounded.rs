//! Any input, bounded: numbers that would size runaway work are refused, from the
//! parameters, before the work starts, with the field, the value, the limit and how to
//! raise it. Memory is measured on the real command (`/usr/bin/time`'s peak resident
//! set): a refused scenario costs what reading it costs, whatever the number says.

use std::path::Path;
use std::process::Command;

use crate::{prepare_text, scenario_text};

fn skycorridor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_skycorridor"))
}

/// The default scenario with its first flow's rate replaced by `rate`.
fn default_with_rate(rate: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gba_default.ron");
    let text = std::fs::read_to_string(path).unwrap();
    text.replacen(
        "flights_per_hour: 30.0",
        &format!("flights_per_hour: {rate}"),
        1,
    )
}

/// Runs `skycorridor ARGS FILE` on `text` under `/usr/bin/time`: (exit code, stderr, peak
/// resident set in MB), or `None` where that tool is missing (outside CI).
fn run_measured(text: &str, args: &[&str]) -> Option<(i32, String, f64)> {
    if !Path::new("/usr/bin/time").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must measure memory: /usr/bin/time is missing (see .ci/run)"
        );
        eprintln!("SKIPPED memory measurement: no /usr/bin/time on this machine");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runaway.ron");
    std::fs::write(&file, text).unwrap();
    let mem = dir.path().join("mem.txt");
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&mem)
        .arg(env!("CARGO_BIN_EXE_skycorridor"))
        .args(args)
        .arg(&file)
        .args(if args[0] == "run" {
            &["--out"][..]
        } else {
            &[]
        })
        .args(if args[0] == "run" {
            vec![dir.path().join("out")]
        } else {
            vec![]
        })
        .output()
        .unwrap();
    let kb: f64 = std::fs::read_to_string(&mem)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        kb / 1024.0,
    ))
}

#[test]
fn a_runaway_demand_rate_is_refused_before_any_flight_is_sampled() {
    for (rate, asks) in [("1e308", "e308 flights"), ("1e7", "e7 flights")] {
        let text = default_with_rate(rate);
        // In-process: the error comes from validation, located at the flow's line.
        let err = prepare_text(&text, "gba_default.ron")
            .err()
            .unwrap_or_else(|| panic!("{rate} flights per hour must be refused"))
            .to_string();
        assert!(
            err.contains("flow HKC->KLN, field `flights_per_hour`")
                && err.contains(asks)
                && err.contains("over the limit of 2000000 flights")
                && err.contains("--set limits.max_flights=N"),
            "{err}"
        );
        assert!(
            err.contains("gba_default.ron:147:"),
            "the flow's line: {err}"
        );
        // The command line, for `validate` and `run`: a clear error, little memory.
        for cmd in ["run", "validate"] {
            let args: &[&str] = if cmd == "run" {
                &["run"]
            } else {
                &["validate"]
            };
            let Some((code, stderr, mb)) = run_measured(&text, args) else {
                return;
            };
            assert_eq!(code, 1, "{cmd} with {rate}/h: {stderr}");
            assert!(
                stderr.contains("over the limit of 2000000 flights"),
                "{stderr}"
            );
            assert!(mb < 100.0, "{cmd} with {rate}/h peaked at {mb:.0} MB");
        }
    }
}

#[test]
fn the_flight_limit_can_be_raised_for_the_deliberate_case() {
    // 100,000 flights an hour on one flow, with the limit raised, validates (but is not
    // run here).
    let text = default_with_rate("100000.0").replacen(
        "    demand: (",
        "    limits: (max_flights: 1e9),\n    demand: (",
        1,
    );
    let s = skycorridor::scenario::parse_str(&text, Path::new("gba_default.ron")).unwrap();
    assert_eq!(s.limits.max_flights, 1e9);
    assert!(skycorridor::scenario::validate(&s).is_ok());
    let strict =
        skycorridor::scenario::apply_overrides(&s, &["limits.max_flights=1000".parse().unwrap()])
            .unwrap();
    let errors = skycorridor::scenario::validate(&strict).unwrap_err();
    assert!(errors[0].message.contains("over the limit of 1000 flights"));
}

#[test]
fn a_step_far_too_small_for_the_duration_is_refused() {
    let text = scenario_text("head_on.ron").replace("dt_s: 1.0", "dt_s: 1e-9");
    let err = prepare_text(&text, "head_on.ron")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("field `duration_s`")
            && err.contains("4.000e11 steps, over the limit of 10000000 steps")
            && err.contains("limits.max_steps"),
        "{err}"
    );
}

#[test]
fn runaway_sweep_grids_and_scaling_are_refused_before_running() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/head_on.ron");
    let dir = tempfile::tempdir().unwrap();
    // Too many values for one parameter: refused while parsing the option.
    let out = skycorridor()
        .args(["sweep"])
        .arg(&file)
        .args(["--vary", "demand.scale=0..1:1000000000", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("over the limit of 10000 per parameter"),
        "{stderr}"
    );
    // A grid whose size does not even fit in memory: refused before it is built.
    let out = skycorridor()
        .args(["sweep"])
        .arg(&file)
        .args([
            "--vary",
            "demand.scale=0..1:10000",
            "--seeds",
            "18446744073709551615",
        ])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("more than 2^64 runs")
            && stderr.contains("--max-runs"),
        "{stderr}"
    );
    // Scaling to an absurd number in the air: the scaled demand breaks the flight limit.
    let gba = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gba_default.ron");
    let out = skycorridor()
        .args(["scale"])
        .arg(&gba)
        .args(["--airborne", "1e15", "--out"])
        .arg(dir.path().join("absurd.ron"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("over the limit of 2000000 flights"),
        "{stderr}"
    );
    assert!(!dir.path().join("absurd.ron").exists());
    // Monte Carlo over more seeds than the stated limit: refused before the first run.
    let out = skycorridor()
        .args(["run"])
        .arg(&file)
        .args(["--seeds", "1000000", "--out"])
        .arg(dir.path().join("mc"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("--seeds 1000000: expected 1 to 10000 seeds"),
        "{stderr}"
    );
    assert!(!dir.path().join("mc").exists());
}
