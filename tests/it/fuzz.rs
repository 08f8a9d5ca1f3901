//! The CI slice of fuzzing, on stable Rust: seeded mutations of every shipped and teaching
//! scenario (numbers swapped for NaN, infinities, negatives, 1e308, huge integers; lines
//! dropped or doubled; junk bytes; truncation; ids swapped) through the same harness as
//! the libFuzzer target in `fuzz/` ([`skycorridor::fuzz::scenario_bytes`]). A panic
//! anywhere fails the test and prints the seed and the mutated text's first lines.
//!
//! A second slice gives valid scenarios `--set` overrides of every field they have (found by
//! walking the scenario as JSON) with bad values, since `--set` is input too.
//!
//! `SKYCORRIDOR_FUZZ_CASES=100000 cargo test --release fuzz` runs a longer slice; the
//! coverage-guided campaign is `cargo fuzz` (see the README).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use skycorridor::fuzz::{scenario_bytes, scenario_text};
use skycorridor::scenario::Override;

/// Every scenario file shipped or used by the tests.
fn seeds() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = ["scenarios", "tests/scenarios"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

const NUMBERS: [&str; 14] = [
    "NaN",
    "inf",
    "-inf",
    "-1",
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-300",
    "4294967296",
    "18446744073709551616",
    "1e7",
    "0.000001",
    "99999999999",
];

/// One mutation of `text`.
fn mutate(text: &str, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut t = text.to_string();
    for _ in 0..rng.random_range(1..4) {
        match rng.random_range(0..6) {
            // A number becomes a bad one.
            0 | 1 => {
                let spans: Vec<(usize, usize)> = number_spans(&t);
                if let Some(&(a, b)) = spans.get(rng.random_range(0..spans.len().max(1))) {
                    let n = NUMBERS[rng.random_range(0..NUMBERS.len())];
                    t.replace_range(a..b, n);
                }
            }
            // A line dropped or doubled.
            2 => {
                let mut lines: Vec<&str> = t.lines().collect();
                if !lines.is_empty() {
                    let k = rng.random_range(0..lines.len());
                    if rng.random_bool(0.5) {
                        lines.remove(k);
                    } else {
                        lines.insert(k, lines[k]);
                    }
                }
                t = lines.join("\n");
            }
            // Two quoted ids swapped (dangling and duplicate references).
            3 => {
                let quoted: Vec<&str> = t.split('"').skip(1).step_by(2).collect();
                if quoted.len() > 1 {
                    let a = quoted[rng.random_range(0..quoted.len())].to_string();
                    let b = quoted[rng.random_range(0..quoted.len())].to_string();
                    t = t.replacen(&format!("\"{a}\""), &format!("\"{b}\""), 1);
                }
            }
            // Truncated.
            4 => {
                let k = rng.random_range(0..=t.len());
                let k = (0..=k).rev().find(|&i| t.is_char_boundary(i)).unwrap_or(0);
                t.truncate(k);
            }
            // Junk bytes.
            _ => {
                let mut bytes = t.into_bytes();
                for _ in 0..rng.random_range(1..8) {
                    let k = rng.random_range(0..=bytes.len());
                    bytes.insert(k, rng.random());
                }
                return bytes;
            }
        }
    }
    t.into_bytes()
}

/// Byte spans of the numbers in `t` (digits with an optional sign, point and exponent).
fn number_spans(t: &str) -> Vec<(usize, usize)> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len()
                && (b[j].is_ascii_digit() || matches!(b[j], b'.' | b'e' | b'E' | b'-' | b'+'))
            {
                j += 1;
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn mutated_scenarios_never_panic() {
    let cases: usize = std::env::var("SKYCORRIDOR_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seeds = seeds();
    assert!(seeds.len() >= 10, "the seed corpus is every scenario file");
    let mut reached = [0usize; 4];
    for case in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(case as u64);
        let base = &seeds[case % seeds.len()];
        let input = mutate(base, &mut rng);
        let got = std::panic::catch_unwind(|| scenario_bytes(&input));
        match got {
            Ok(stage) => reached[stage as usize] += 1,
            Err(_) => panic!(
                "case {case} panicked; input starts:\n{}",
                String::from_utf8_lossy(&input[..input.len().min(2000)])
            ),
        }
    }
    eprintln!(
        "fuzz slice: {cases} cases, reached (not UTF-8, parse error, invalid, ran) = {reached:?}"
    );
    // The slice must reach every stage, or it tests less than it claims.
    assert!(
        reached[1] > 0 && reached[2] > 0 && reached[3] > 0,
        "{reached:?}"
    );
}

/// Every `--set` path of a scenario: its fields as JSON, lists by index.
fn paths(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(p.clone());
                paths(x, &p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{prefix}.{i}");
                out.push(p.clone());
                paths(x, &p, out);
            }
        }
        _ => {}
    }
}

const VALUES: [&str; 12] = [
    "NaN",
    "-inf",
    "-1",
    "0",
    "1e308",
    "1e-300",
    "4294967296",
    "true",
    "\"x\"",
    "[]",
    "{}",
    "Vertical",
];

#[test]
fn mutated_overrides_never_panic() {
    let cases: usize = std::env::var("SKYCORRIDOR_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bases: Vec<String> = [
        "tests/scenarios/head_on.ron",
        "tests/scenarios/border_gate.ron",
        "scenarios/hk_sz_crossborder.ron",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
    .collect();
    let fields: Vec<Vec<String>> = bases
        .iter()
        .map(|t| {
            let s = skycorridor::scenario::parse_str(t, std::path::Path::new("x.ron")).unwrap();
            let mut out = Vec::new();
            paths(&serde_json::to_value(&s).unwrap(), "", &mut out);
            out
        })
        .collect();
    let mut reached = [0usize; 4];
    for case in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(1_000_000 + case as u64);
        let k = case % bases.len();
        let set: Vec<Override> = (0..rng.random_range(1..3))
            .map(|_| Override {
                path: fields[k][rng.random_range(0..fields[k].len())].clone(),
                value: VALUES[rng.random_range(0..VALUES.len())].to_string(),
            })
            .collect();
        match std::panic::catch_unwind(|| scenario_text(&bases[k], &set)) {
            Ok(stage) => reached[stage as usize] += 1,
            Err(_) => panic!("case {case} panicked: --set {set:?} on base {k}"),
        }
    }
    eprintln!("override slice: {cases} cases, reached (-, refused, invalid, ran) = {reached:?}");
    assert!(
        reached[1] > 0 && reached[2] > 0 && reached[3] > 0,
        "{reached:?}"
    );
}
