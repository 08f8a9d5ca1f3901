//! Sweeps: a run of the grid is exactly `run --set`; shards merge into the unsharded
//! sweep; grids, shards and capacity by hand.

use std::path::Path;
use std::process::Command;

use skycorridor::sweep::{Capacity, Shard, Table, Vary, capacity, grid, spread};

use crate::scenario_path;

fn skycorridor(args: &[&str], out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_skycorridor"))
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_sweep_run_is_exactly_run_with_set() {
    let file = scenario_path("head_on.ron");
    let file = file.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sw = dir.path().join("sweep");
    skycorridor(
        &["sweep", file, "--vary", "separation.horizontal_m=40,60"],
        &sw,
    );
    for (k, h) in ["40", "60"].iter().enumerate() {
        let single = dir.path().join(format!("run{h}"));
        skycorridor(
            &[
                "run",
                file,
                "--set",
                &format!("separation.horizontal_m={h}"),
            ],
            &single,
        );
        let a = std::fs::read(sw.join(format!("runs/run-{k:05}.json"))).unwrap();
        let b = std::fs::read(single.join("report.json")).unwrap();
        assert_eq!(a, b, "run {k} (horizontal {h} m)");
    }
    // 40 m: the drones pass 48 m apart, so no loss of separation; 60 m: one.
    let t = Table::from_csv(&std::fs::read_to_string(sw.join("sweep.csv")).unwrap()).unwrap();
    let los = t
        .header
        .iter()
        .position(|h| h == "losses_of_separation")
        .unwrap();
    assert_eq!(
        (t.rows[0][los].as_str(), t.rows[1][los].as_str()),
        ("0", "1")
    );
}

#[test]
fn shards_merge_into_the_unsharded_sweep() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(skycorridor::DEFAULT_SCENARIO);
    let file = file.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--vary",
        "separation.horizontal_m=30..90:3",
        "--vary",
        "demand.scale=0.5,1",
        "--seeds",
        "2",
        "--set",
        "duration_s=600",
    ];
    let mut all = vec!["sweep", file];
    all.extend(args);
    skycorridor(&all, &dir.path().join("whole"));
    for shard in ["0/3", "1/3", "2/3"] {
        let mut a = all.clone();
        a.extend(["--shard", shard]);
        skycorridor(&a, &dir.path().join(shard.replace('/', "of")));
    }
    let o = Command::new(env!("CARGO_BIN_EXE_skycorridor"))
        .args(["sweep-merge"])
        .args(["0of3", "1of3", "2of3"].map(|d| dir.path().join(d)))
        .arg("--out")
        .arg(dir.path().join("merged"))
        .output()
        .unwrap();
    crate::assert_ok(&o);
    let read = |d: &str, f: &str| std::fs::read(dir.path().join(d).join(f)).unwrap();
    let whole = read("whole", "sweep.csv");
    assert_eq!(read("merged", "sweep.csv"), whole);
    assert_eq!(
        String::from_utf8(whole).unwrap().lines().count(),
        1 + 3 * 2 * 2
    );
    assert_eq!(
        read("merged", "runs/run-00007.json"),
        read("whole", "runs/run-00007.json")
    );
    assert_eq!(
        read("merged", "capacity.csv"),
        read("whole", "capacity.csv")
    );
    assert!(
        String::from_utf8(read("whole", "los_per_flight_hour_vs_demand_scale.svg"))
            .unwrap()
            .starts_with("<svg")
    );
    // A shard twice is an error, not a silent duplicate.
    let o = Command::new(env!("CARGO_BIN_EXE_skycorridor"))
        .args(["sweep-merge"])
        .args(["0of3", "0of3"].map(|d| dir.path().join(d)))
        .arg("--out")
        .arg(dir.path().join("twice"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("appears in two shards"));
}

#[test]
fn grids_shards_and_value_specs() {
    let v: Vary = "separation.horizontal_m=30..120:4".parse().unwrap();
    assert_eq!(v.values, ["30.0", "60.0", "90.0", "120.0"]);
    let w: Vary = "corridors.HK-NT.direction=OneWay,TwoWay".parse().unwrap();
    assert_eq!(w.values, ["OneWay", "TwoWay"]);
    assert!("x=1..2:0".parse::<Vary>().is_err());
    assert!("x=a..2:3".parse::<Vary>().is_err());
    assert!("no-equals".parse::<Vary>().is_err());
    let runs = grid(&[v, w], 7, 2);
    assert_eq!(runs.len(), 16);
    assert_eq!(
        runs[0].values,
        [
            ("separation.horizontal_m".to_string(), "30.0".to_string()),
            (
                "corridors.HK-NT.direction".to_string(),
                "OneWay".to_string()
            )
        ]
    );
    assert_eq!((runs[1].seed, runs[2].seed), (8, 7), "seeds change fastest");
    assert_eq!(runs[15].values[0].1, "120.0", "the first parameter slowest");
    assert_eq!(
        "1/3".parse::<Shard>().unwrap(),
        Shard { index: 1, count: 3 }
    );
    assert!("3/3".parse::<Shard>().is_err());
}

#[test]
fn capacity_is_the_last_scale_before_a_threshold_is_crossed() {
    // Two headways; per scale, LoS/fh and mean delay (two seeds each, averaged).
    let csv = "run,seed,corridors.X.headway_s,demand.scale,los_per_flight_hour,delay_mean_s\n\
        0,1,10,1,0.1,5\n1,2,10,1,0.3,5\n2,1,10,2,0.8,20\n3,2,10,2,1.0,30\n4,1,10,3,2.0,40\n5,2,10,3,1.0,40\n6,1,10,4,0.5,10\n7,2,10,4,0.5,10\n\
        8,1,5,1,0.1,70\n9,2,5,1,0.1,70\n";
    // Not a real sweep header (KPI columns are fewer), so build the table by hand.
    let mut t = Table::from_csv(csv).unwrap();
    // `varied()` counts KPI columns from the end: pad the header as a real one would be.
    let kpis = skycorridor::sweep::kpi_columns().len();
    let pad = kpis - 2;
    for i in 0..pad {
        t.header.push(format!("pad{i}"));
    }
    for r in &mut t.rows {
        r.extend(std::iter::repeat_n(String::new(), pad));
    }
    let caps = capacity(&t, 1.0, 60.0).unwrap();
    // headway 5: already over the delay limit at scale 1; headway 10: scale 3 averages
    // 1.5 LoS/fh, so capacity is 2 even though scale 4 is under again.
    // The interval, with two seeds (t = 12.706 at one degree of freedom): at scale 1 the
    // LoS/fh are 0.1 and 0.3, sd 0.1414, half-width 12.706 × 0.1414 / √2 = 1.27, so the
    // upper end 1.47 is over 1 already (low: none); the lower ends stay under both
    // thresholds at every scale (scale 3: 1.5 − 12.706 × 0.7071 / √2 = −4.85; delays
    // 20 and 30 at scale 2: 25 − 63.5), so high is the last scale, 4.
    let cap = |k: &str, scale, low, high| Capacity {
        key: vec![k.to_string()],
        scale,
        low,
        high,
    };
    assert_eq!(
        caps,
        vec![
            cap("5", None, None, None),
            cap("10", Some(2.0), None, Some(4.0))
        ]
    );
    // The plotted band for delay against headway: headway 5 has the two runs at 70 s
    // (no spread); headway 10 has eight runs, mean 20, sd 14.88, half-width
    // t(7) 2.365 × 14.88 / √8 = 12.44.
    let bands = spread(&t, "corridors.X.headway_s", "delay_mean_s");
    assert_eq!(bands.len(), 2);
    assert_eq!(
        (bands[0].x, bands[0].mean, bands[0].ci95, bands[0].range),
        (5.0, 70.0, [70.0, 70.0], [70.0, 70.0])
    );
    let b = &bands[1];
    assert_eq!((b.x, b.mean, b.range), (10.0, 20.0, [5.0, 40.0]));
    assert!((b.ci95[0] - (20.0 - 12.44)).abs() < 0.01, "{:?}", b.ci95);
    assert!((b.ci95[1] - (20.0 + 12.44)).abs() < 0.01, "{:?}", b.ci95);
}
