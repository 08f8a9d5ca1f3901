//! Parameter sweeps: a grid of scenario variants (any field, the same paths as `--set`)
//! times seeds, run in parallel, one row of KPIs per run; shards for batch schedulers and
//! their merge; plots a planner looks at.
//!
//! Runs are numbered in grid order: the first `--vary` changes slowest, seeds fastest. A
//! run is exactly `run --set` with its values and seed, so its report is byte-identical
//! to that command's `report.json`. Shard `I/N` runs the runs whose number is `I` modulo
//! `N`; merging shards sorts rows by run number, giving the unsharded `sweep.csv`.

pub mod folder;

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;

use crate::metrics::Interval;
use crate::metrics::Report;
use crate::scenario::{Override, Scenario, ScenarioError, apply_overrides};

/// One `--vary path=spec`: `a..b:n` (n values from a to b, both included) or `v1,v2,...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// Scenario path, as for `--set`.
    pub path: String,
    /// Values, as text (`--set` syntax).
    pub values: Vec<String>,
}

impl std::str::FromStr for Vary {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (path, spec) = s
            .split_once('=')
            .ok_or_else(|| format!("expected path=a..b:n or path=v1,v2,..., got `{s}`"))?;
        let values: Vec<String> =
            if let Some((range, n)) = spec.split_once(':').filter(|(r, _)| r.contains("..")) {
                let (a, b) = range.split_once("..").expect("checked above");
                let num = |x: &str| {
                    x.trim()
                        .parse::<f64>()
                        .map_err(|_| format!("`{x}` in `{s}` is not a number"))
                };
                let (a, b) = (num(a)?, num(b)?);
                let n: usize = n
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{n}` in `{s}` is not a count of values"))?;
                if n < 1 {
                    return Err(format!("`{s}`: need at least 1 value"));
                }
                if n > MAX_VALUES {
                    return Err(format!(
                        "`{s}`: {n} values, over the limit of {MAX_VALUES} per parameter"
                    ));
                }
                (0..n)
                    .map(|k| {
                        let v = if n == 1 {
                            a
                        } else {
                            a + (b - a) * k as f64 / (n - 1) as f64
                        };
                        // Shortest text that reads back as the same number.
                        format!("{v:?}")
                    })
                    .collect()
            } else {
                spec.split(',')
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect()
            };
        if values.is_empty() {
            return Err(format!("`{s}`: no values"));
        }
        Ok(Vary {
            path: path.trim().to_string(),
            values,
        })
    }
}

/// Which runs of the grid this process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected I/N, got `{s}`"))?;
        let (index, count): (usize, usize) = (
            i.trim()
                .parse()
                .map_err(|_| format!("`{i}` is not a shard number"))?,
            n.trim()
                .parse()
                .map_err(|_| format!("`{n}` is not a shard count"))?,
        );
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

/// One run of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Number in the grid.
    pub index: usize,
    /// Demand seed.
    pub seed: u64,
    /// `(path, value)` per varied parameter.
    pub values: Vec<(String, String)>,
}

impl Run {
    /// The overrides that make this run: its values, then its seed.
    pub fn overrides(&self) -> Vec<Override> {
        let mut o: Vec<Override> = self
            .values
            .iter()
            .map(|(path, value)| Override {
                path: path.clone(),
                value: value.clone(),
            })
            .collect();
        o.push(Override {
            path: "seed".into(),
            value: self.seed.to_string(),
        });
        o
    }
}

/// Most values one `--vary` may list.
pub const MAX_VALUES: usize = 10_000;

/// Runs a sweep may have by default (`sweep --max-runs` raises it).
pub const DEFAULT_MAX_RUNS: usize = 100_000;

/// Number of runs in the grid (every combination times `seeds`), or `None` if it does
/// not even fit a `usize`. Cheap: checked before the grid is built.
pub fn grid_size(vary: &[Vary], seeds: usize) -> Option<usize> {
    vary.iter()
        .try_fold(seeds.max(1), |n, v| n.checked_mul(v.values.len()))
}

/// Every run of the grid: parameter combinations in order (first `vary` slowest), and for
/// each, `seeds` seeds starting at `first_seed`.
pub fn grid(vary: &[Vary], first_seed: u64, seeds: usize) -> Vec<Run> {
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for v in vary {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                v.values.iter().map(move |value| {
                    let mut c = c.clone();
                    c.push((v.path.clone(), value.clone()));
                    c
                })
            })
            .collect();
    }
    let mut runs = Vec::new();
    for values in combos {
        for k in 0..seeds.max(1) {
            runs.push(Run {
                index: runs.len(),
                seed: first_seed.wrapping_add(k as u64),
                values: values.clone(),
            });
        }
    }
    runs
}

/// Reads one KPI from a report.
pub type Kpi = fn(&Report) -> f64;

/// `(los_per_flight_hour, delay_mean_s)` samples per `demand.scale` value.
type ByScale = BTreeMap<String, Vec<(f64, f64)>>;

/// The KPI columns of `sweep.csv`, in order, with how to read each from a report.
pub fn kpi_columns() -> Vec<(&'static str, Kpi)> {
    vec![
        ("flights_planned", |r| r.flights.planned as f64),
        ("flights_completed", |r| r.flights.completed as f64),
        ("flights_airborne_at_end", |r| {
            r.flights.airborne_at_end as f64
        }),
        ("flights_battery_depleted", |r| {
            r.flights.battery_depleted as f64
        }),
        ("flights_cancelled", |r| r.flights.cancelled as f64),
        ("strategic_ground_delay_mean_s", |r| {
            r.strategic.assigned_ground_delay_s.mean
        }),
        ("rerouted", |r| r.strategic.rerouted as f64),
        ("flight_hours", |r| r.flight_hours),
        ("peak_airborne", |r| r.peak_airborne as f64),
        ("conflicts", |r| r.conflicts as f64),
        ("losses_of_separation", |r| r.losses_of_separation as f64),
        ("los_per_flight_hour", |r| r.los_per_flight_hour),
        ("min_separation_m", |r| {
            r.min_separation_m.unwrap_or(f64::NAN)
        }),
        ("severity_mean", |r| r.intrusion_severity.mean),
        ("severity_max", |r| r.intrusion_severity.max),
        ("near_misses", |r| r.near_misses as f64),
        ("collisions", |r| r.collisions as f64),
        ("los_time_s", |r| r.los_time_s),
        ("intrusion_prevention_rate", |r| {
            r.tactical.intrusion_prevention_rate
        }),
        ("delay_mean_s", |r| r.delay_s.mean),
        ("delay_p95_s", |r| r.delay_s.p95),
        ("ground_delay_mean_s", |r| r.ground_delay_s.mean),
        ("throughput_per_hour", |r| r.throughput_per_hour),
        ("energy_wh", |r| r.energy_wh),
        ("cross_border_flights", |r| r.cross_border_flights as f64),
        ("gate_wait_mean_s", |r| {
            let n: u64 = r.gates.iter().map(|g| g.passages).sum();
            let w: f64 = r
                .gates
                .iter()
                .map(|g| g.mean_wait_s * g.passages as f64)
                .sum();
            if n > 0 { w / n as f64 } else { 0.0 }
        }),
        ("gate_max_queue", |r| {
            r.gates.iter().map(|g| g.max_queue).max().unwrap_or(0) as f64
        }),
        ("vertiport_movements_max_per_hour", |r| {
            r.vertiports
                .iter()
                .map(|v| v.movements_per_hour)
                .fold(0.0, f64::max)
        }),
        ("vertiport_fato_use_max", |r| {
            r.vertiports
                .iter()
                .map(|v| v.fato_utilisation)
                .fold(0.0, f64::max)
        }),
        ("vertiport_stack_max", |r| {
            r.vertiports.iter().map(|v| v.max_stack).max().unwrap_or(0) as f64
        }),
        ("vertiport_line_joins", |r| {
            r.vertiports.iter().map(|v| v.line_joins).sum::<u64>() as f64
        }),
    ]
}

/// The finished runs of a sweep: header and rows of `sweep.csv`, and each run's report.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column names: `run`, `seed`, the varied paths, the KPIs.
    pub header: Vec<String>,
    /// One row per run, as text, sorted by run number.
    pub rows: Vec<Vec<String>>,
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// Runs `runs` of `base` in parallel (results in run order), calling `done` after each.
/// Returns the table and each run's `report.json` text.
pub fn run_all(
    base: &Scenario,
    vary: &[Vary],
    runs: &[Run],
    done: impl Fn() + Sync,
) -> Result<(Table, Vec<(usize, String)>), ScenarioError> {
    let results: Vec<Result<(usize, Report), ScenarioError>> = runs
        .par_iter()
        .map(|run| {
            let s = apply_overrides(base, &run.overrides())?;
            let mut sim = crate::prepare(s, Path::new("<sweep>"), None)?;
            sim.run_to_end();
            done();
            Ok((run.index, Report::from_sim(&sim)))
        })
        .collect();
    let mut header = vec!["run".to_string(), "seed".to_string()];
    header.extend(vary.iter().map(|v| v.path.clone()));
    let kpis = kpi_columns();
    header.extend(kpis.iter().map(|(name, _)| name.to_string()));
    let mut rows = Vec::new();
    let mut reports = Vec::new();
    for (run, result) in runs.iter().zip(results) {
        let (index, report) = result?;
        let mut row = vec![index.to_string(), run.seed.to_string()];
        row.extend(run.values.iter().map(|(_, v)| v.clone()));
        row.extend(kpis.iter().map(|(_, f)| num(f(&report))));
        rows.push(row);
        let mut json = serde_json::to_string_pretty(&report).expect("report serialises");
        json.push('\n');
        reports.push((index, json));
    }
    Ok((Table { header, rows }, reports))
}

impl Table {
    /// As CSV text.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.header).expect("writing to memory");
        for r in &self.rows {
            w.write_record(r).expect("writing to memory");
        }
        w.into_inner().expect("writing to memory")
    }

    /// Reads `sweep.csv` text.
    pub fn from_csv(text: &str) -> Result<Table, String> {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = r
            .headers()
            .map_err(|e| e.to_string())?
            .iter()
            .map(String::from)
            .collect();
        if header.first().map(String::as_str) != Some("run") {
            return Err("not a sweep.csv: the first column must be `run`".into());
        }
        let mut rows = Vec::new();
        for rec in r.records() {
            rows.push(
                rec.map_err(|e| e.to_string())?
                    .iter()
                    .map(String::from)
                    .collect(),
            );
        }
        Ok(Table { header, rows })
    }

    /// Merges shard tables: same header, no run twice, rows by run number.
    pub fn merge(parts: Vec<Table>) -> Result<Table, String> {
        let mut parts = parts.into_iter();
        let mut all = parts.next().ok_or("nothing to merge")?;
        for p in parts {
            if p.header != all.header {
                return Err("shards of different sweeps: their sweep.csv headers differ".into());
            }
            all.rows.extend(p.rows);
        }
        let key = |r: &Vec<String>| r[0].parse::<usize>().unwrap_or(usize::MAX);
        all.rows.sort_by_key(key);
        for w in all.rows.windows(2) {
            if key(&w[0]) == key(&w[1]) {
                return Err(format!("run {} appears in two shards", w[0][0]));
            }
        }
        Ok(all)
    }

    /// Number of varied parameters (columns between `seed` and the KPIs).
    pub fn varied(&self) -> Vec<String> {
        let kpis = kpi_columns().len();
        self.header[2..self.header.len() - kpis].to_vec()
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// One point of a plotted KPI: its values over the runs sharing one value of a parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// The parameter's value.
    pub x: f64,
    /// Mean over the runs.
    pub mean: f64,
    /// 95 % confidence interval of the mean (Student's t, as `run --seeds`; the mean
    /// itself for one run).
    pub ci95: [f64; 2],
    /// Smallest and largest run.
    pub range: [f64; 2],
}

impl Band {
    /// The band of `values` at `x`.
    pub fn of(x: f64, values: &[f64]) -> Band {
        let i = Interval::of("", values);
        Band {
            x,
            mean: i.mean,
            ci95: i.ci95,
            range: i.range,
        }
    }
}

/// Per value of `param`, in increasing order: `kpi` over all other runs with it (the
/// seeds, and the other parameters' values).
pub fn spread(t: &Table, param: &str, kpi: &str) -> Vec<Band> {
    let (Some(p), Some(k)) = (t.column(param), t.column(kpi)) else {
        return Vec::new();
    };
    let mut by: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut order: Vec<(f64, String)> = Vec::new();
    for r in &t.rows {
        if let Ok(y) = r[k].parse::<f64>() {
            if !by.contains_key(&r[p]) {
                order.push((
                    r[p].parse::<f64>().unwrap_or(order.len() as f64),
                    r[p].clone(),
                ));
            }
            by.entry(r[p].clone()).or_default().push(y);
        }
    }
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    order
        .into_iter()
        .map(|(x, key)| Band::of(x, &by[&key]))
        .collect()
}

/// The capacity of one combination of the other varied parameters: the highest
/// `demand.scale` at or under the thresholds judged by the means over seeds, and the
/// same judged by the ends of their 95 % confidence intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    /// The other varied parameters' values.
    pub key: Vec<String>,
    /// By the means.
    pub scale: Option<f64>,
    /// By the upper ends of the intervals (the scale the thresholds are met at with 95 %
    /// confidence): at most `scale`.
    pub low: Option<f64>,
    /// By the lower ends (beyond it the thresholds are crossed with 95 % confidence): at
    /// least `scale`.
    pub high: Option<f64>,
}

/// Capacity: the highest `demand.scale` whose mean (over seeds) losses of separation per
/// flight hour and mean delay stay at or under the thresholds, for each combination of
/// the other varied parameters, with the interval from the means' confidence intervals
/// (see [`Capacity`]); `None` when even the lowest scale is over.
pub fn capacity(t: &Table, max_los_per_fh: f64, max_delay_s: f64) -> Option<Vec<Capacity>> {
    let scale = t.column("demand.scale")?;
    let (los, delay) = (t.column("los_per_flight_hour")?, t.column("delay_mean_s")?);
    let others: Vec<usize> = t
        .varied()
        .iter()
        .filter(|v| *v != "demand.scale")
        .filter_map(|v| t.column(v))
        .collect();
    let mut groups: BTreeMap<Vec<String>, ByScale> = BTreeMap::new();
    for r in &t.rows {
        let key: Vec<String> = others.iter().map(|&c| r[c].clone()).collect();
        let (l, d) = (
            r[los].parse::<f64>().unwrap_or(f64::NAN),
            r[delay].parse::<f64>().unwrap_or(f64::NAN),
        );
        groups
            .entry(key)
            .or_default()
            .entry(r[scale].clone())
            .or_default()
            .push((l, d));
    }
    let mut groups: Vec<(Vec<String>, ByScale)> = groups.into_iter().collect();
    // Numeric order of the other parameters' values (text order would put 120 before 30).
    groups.sort_by(|a, b| {
        let n = |k: &Vec<String>| {
            k.iter()
                .map(|v| v.parse::<f64>().unwrap_or(f64::NAN))
                .collect::<Vec<_>>()
        };
        n(&a.0)
            .iter()
            .zip(n(&b.0))
            .map(|(x, y)| x.total_cmp(&y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Some(
        groups
            .into_iter()
            .map(|(key, by_scale)| {
                let mut scales: Vec<(f64, Interval, Interval)> = by_scale
                    .into_iter()
                    .map(|(s, v)| {
                        let l: Vec<f64> = v.iter().map(|x| x.0).collect();
                        let d: Vec<f64> = v.iter().map(|x| x.1).collect();
                        (
                            s.parse::<f64>().unwrap_or(f64::NAN),
                            Interval::of("los_per_flight_hour", &l),
                            Interval::of("delay_mean_s", &d),
                        )
                    })
                    .collect();
                scales.sort_by(|a, b| a.0.total_cmp(&b.0));
                // Scales in increasing order; capacity is the last one before the first
                // over (a NaN, no value at all, is over).
                let last_under = |pick: fn(&Interval) -> f64| {
                    scales
                        .iter()
                        .take_while(|(_, l, d)| pick(l) <= max_los_per_fh && pick(d) <= max_delay_s)
                        .last()
                        .map(|x| x.0)
                };
                Capacity {
                    key,
                    scale: last_under(|i| i.mean),
                    low: last_under(|i| i.ci95[1]),
                    high: last_under(|i| i.ci95[0]),
                }
            })
            .collect(),
    )
}

/// KPIs drawn against each varied parameter.
pub const PLOTTED: [(&str, &str); 9] = [
    (
        "los_per_flight_hour",
        "losses of separation per flight hour",
    ),
    ("conflicts", "conflicts"),
    ("delay_mean_s", "mean delay (s)"),
    ("delay_p95_s", "95th-percentile delay (s)"),
    ("throughput_per_hour", "arrivals per hour"),
    ("min_separation_m", "minimum separation (m)"),
    ("energy_wh", "energy (Wh)"),
    ("gate_wait_mean_s", "mean wait at border gates (s)"),
    (
        "vertiport_movements_max_per_hour",
        "movements per hour at the busiest vertiport",
    ),
];

/// An SVG chart: one series of bands, the means joined, the 95 % confidence interval of
/// each mean shaded, min-max as thin bars.
pub fn chart(title: &str, x_label: &str, y_label: &str, data: &[Band]) -> String {
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 440)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let (x0, x1) = data
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), d| {
                (a.min(d.x), b.max(d.x))
            });
        let (y0, y1) = data
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), d| {
                let lo = d.range[0].min(d.ci95[0]);
                let hi = d.range[1].max(d.ci95[1]);
                (a.min(lo), b.max(hi))
            });
        let pad_x = ((x1 - x0) * 0.05).max(1e-9);
        let pad_y = ((y1 - y0) * 0.1).max(1e-6 + y1.abs() * 0.05);
        let (x0, x1) = if x0.is_finite() {
            (x0 - pad_x, x1 + pad_x)
        } else {
            (0.0, 1.0)
        };
        let (y0, y1) = if y0.is_finite() {
            ((y0 - pad_y).min(0.0_f64.max(y0 - pad_y)), y1 + pad_y)
        } else {
            (0.0, 1.0)
        };
        let Ok(mut c) = ChartBuilder::on(&root)
            // Shrunk to fit a long title (about half the font size per character).
            .caption(
                title,
                (
                    "sans-serif",
                    (1360.0 / title.chars().count().max(1) as f64).min(15.0),
                ),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
        else {
            return svg_fallback(title);
        };
        let _ = c.configure_mesh().x_desc(x_label).y_desc(y_label).draw();
        let blue = RGBColor(31, 119, 180);
        // The interval as one shaded polygon: up along the upper ends, back along the
        // lower.
        let band: Vec<(f64, f64)> = data
            .iter()
            .map(|d| (d.x, d.ci95[1]))
            .chain(data.iter().rev().map(|d| (d.x, d.ci95[0])))
            .filter(|p| p.1.is_finite())
            .collect();
        if data.len() > 1 {
            let _ = c.draw_series(std::iter::once(Polygon::new(band, blue.mix(0.2).filled())));
        }
        let _ = c.draw_series(data.iter().map(|d| {
            PathElement::new(
                vec![(d.x, d.range[0]), (d.x, d.range[1])],
                blue.stroke_width(1),
            )
        }));
        let _ = c.draw_series(data.iter().map(|d| {
            PathElement::new(
                vec![(d.x, d.ci95[0]), (d.x, d.ci95[1])],
                blue.stroke_width(3),
            )
        }));
        let _ = c.draw_series(LineSeries::new(
            data.iter().map(|d| (d.x, d.mean)),
            blue.stroke_width(2),
        ));
        let _ = c.draw_series(
            data.iter()
                .map(|d| Circle::new((d.x, d.mean), 4, blue.filled())),
        );
        let _ = root.present();
    }
    svg
}

fn svg_fallback(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"60\"><text x=\"10\" y=\"30\">{title}: nothing to plot</text></svg>\n"
    )
}

/// Every output file of a sweep table: `sweep.csv`, one SVG per plotted KPI and varied
/// parameter, and `capacity.csv` + `capacity.svg` when `demand.scale` is varied.
pub fn outputs(t: &Table, max_los_per_fh: f64, max_delay_s: f64) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("sweep.csv".to_string(), t.to_csv())];
    for param in t.varied() {
        for (kpi, label) in PLOTTED {
            let data = spread(t, &param, kpi);
            let name = format!("{kpi}_vs_{}.svg", param.replace(['.', '/'], "_"));
            let title = format!("{label} against {param} (mean, 95 % CI shaded, min-max)");
            files.push((name, chart(&title, &param, label, &data).into_bytes()));
        }
    }
    if let Some(caps) = capacity(t, max_los_per_fh, max_delay_s) {
        let others: Vec<String> = t
            .varied()
            .into_iter()
            .filter(|v| v != "demand.scale")
            .collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head = others.clone();
        head.extend([
            "capacity_demand_scale".into(),
            "capacity_ci95_low".into(),
            "capacity_ci95_high".into(),
        ]);
        w.write_record(&head).expect("writing to memory");
        let text = |c: Option<f64>| c.map_or(String::new(), |c| format!("{c}"));
        for cap in &caps {
            let mut row = cap.key.clone();
            row.extend([text(cap.scale), text(cap.low), text(cap.high)]);
            w.write_record(&row).expect("writing to memory");
        }
        files.push((
            "capacity.csv".into(),
            w.into_inner().expect("writing to memory"),
        ));
        let data: Vec<Band> = caps
            .iter()
            .enumerate()
            .filter_map(|(i, cap)| {
                let x = cap
                    .key
                    .first()
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(i as f64);
                let c = cap.scale?;
                // No scale met with confidence: the interval starts at nothing.
                let ci95 = [cap.low.unwrap_or(0.0), cap.high.unwrap_or(c)];
                Some(Band {
                    x,
                    mean: c,
                    ci95,
                    range: ci95,
                })
            })
            .collect();
        let x_label = others.first().cloned().unwrap_or_else(|| "run".into());
        let title = format!(
            "capacity: highest demand.scale, LoS/fh <= {max_los_per_fh}, mean delay <= {max_delay_s} s (shaded: 95 % CI)"
        );
        files.push((
            "capacity.svg".into(),
            chart(&title, &x_label, "demand.scale", &data).into_bytes(),
        ));
    }
    files
}
