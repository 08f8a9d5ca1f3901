//! Monte Carlo: the same scenario over several seeds (demand and disturbances drawn
//! afresh each time), every KPI reported as its mean with a 95 % confidence interval.
//!
//! The interval is Student's t over the seeds' values: `mean ± t(0.975, n-1) · s / √n`,
//! `s` the sample standard deviation. It says where the mean over infinitely many seeds
//! lies, not where one more run will land. The KPIs are `sweep.csv`'s columns
//! ([`crate::sweep::kpi_columns`]); a KPI a seed has no value for (a minimum separation
//! with no loss) is left out of that KPI's mean, and `n` says how many seeds it covers.

use serde::Serialize;

use super::Report;

/// One KPI over the seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    /// KPI name (a `sweep.csv` column).
    pub kpi: String,
    /// Seeds with a value.
    pub n: usize,
    /// Mean over those seeds.
    pub mean: f64,
    /// Sample standard deviation (0 for one seed).
    pub sd: f64,
    /// 95 % confidence interval of the mean, `[low, high]` (the mean itself for one seed).
    pub ci95: [f64; 2],
    /// Smallest and largest value.
    pub range: [f64; 2],
}

/// The KPIs of a set of seeds' reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonteCarlo {
    /// The seeds, in the order of the reports.
    pub seeds: Vec<u64>,
    /// Every KPI.
    pub kpis: Vec<Interval>,
}

/// Student's t two-sided 95 % quantile `t(0.975, df)` for 1 to 30 degrees of freedom,
/// from the standard tables (e.g. NIST/SEMATECH e-Handbook of Statistical Methods,
/// 1.3.6.7.2), to three decimals.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// `t(0.975, df)`: the table to 30, then the same tables' 40, 60, 120 and the normal
/// 1.960, taking the value of the next tabulated `df` at or below (slightly wide, never
/// narrow).
pub fn t975(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df - 1],
        31..=39 => 2.042,
        40..=59 => 2.021,
        60..=119 => 2.000,
        120..=999 => 1.980,
        _ => 1.960,
    }
}

impl Interval {
    /// The interval of `values` (NaNs left out).
    pub fn of(kpi: &str, values: &[f64]) -> Interval {
        let v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        let n = v.len();
        let mean = if n > 0 {
            v.iter().sum::<f64>() / n as f64
        } else {
            f64::NAN
        };
        let sd = if n > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let half = if n > 1 {
            t975(n - 1) * sd / (n as f64).sqrt()
        } else {
            0.0
        };
        Interval {
            kpi: kpi.to_string(),
            n,
            mean,
            sd,
            ci95: [mean - half, mean + half],
            range: [
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ],
        }
    }
}

impl MonteCarlo {
    /// Every KPI of `reports` (one per seed, in the order of `seeds`).
    pub fn of(seeds: &[u64], reports: &[Report]) -> MonteCarlo {
        let kpis = crate::sweep::kpi_columns()
            .into_iter()
            .map(|(name, f)| {
                let values: Vec<f64> = reports.iter().map(f).collect();
                Interval::of(name, &values)
            })
            .collect();
        MonteCarlo {
            seeds: seeds.to_vec(),
            kpis,
        }
    }

    /// One KPI by name.
    pub fn kpi(&self, name: &str) -> Option<&Interval> {
        self.kpis.iter().find(|k| k.kpi == name)
    }

    /// As JSON (NaN, for a KPI no seed has, as null).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("serialises");
        s.push('\n');
        s
    }

    /// As CSV: one row per KPI.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "kpi",
            "n",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
            "min",
            "max",
        ])
        .expect("writing to memory");
        for k in &self.kpis {
            let f = |x: f64| {
                if x.is_finite() {
                    format!("{x}")
                } else {
                    String::new()
                }
            };
            w.write_record([
                k.kpi.clone(),
                k.n.to_string(),
                f(k.mean),
                f(k.sd),
                f(k.ci95[0]),
                f(k.ci95[1]),
                f(k.range[0]),
                f(k.range[1]),
            ])
            .expect("writing to memory");
        }
        w.into_inner().expect("writing to memory")
    }

    /// The headline KPIs as text lines, `mean [low, high]`.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "monte carlo   {} seeds ({}..{}), mean [95 % confidence interval]\n",
            self.seeds.len(),
            self.seeds.first().copied().unwrap_or(0),
            self.seeds.last().copied().unwrap_or(0)
        );
        for name in [
            "flights_completed",
            "conflicts",
            "losses_of_separation",
            "near_misses",
            "collisions",
            "los_time_s",
            "delay_mean_s",
            "ground_delay_mean_s",
            "energy_wh",
        ] {
            if let Some(k) = self.kpi(name) {
                out += &format!(
                    "  {:<22} {:>10.2} [{:.2}, {:.2}]\n",
                    name, k.mean, k.ci95[0], k.ci95[1]
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_of_five_values_by_hand() {
        // 1..5: mean 3, s = sqrt(10/4) = 1.5811, t(0.975, 4) = 2.776:
        // half-width 2.776 · 1.5811 / sqrt(5) = 1.9630.
        let i = Interval::of("x", &[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!((i.n, i.mean), (5, 3.0));
        assert!((i.sd - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((i.ci95[1] - 3.0 - 1.9630).abs() < 1e-4, "{:?}", i.ci95);
        assert_eq!(i.range, [1.0, 5.0]);
        // NaNs are left out; one value has no spread.
        let one = Interval::of("y", &[f64::NAN, 7.0]);
        assert_eq!((one.n, one.mean, one.ci95), (1, 7.0, [7.0, 7.0]));
    }

    #[test]
    fn t_quantiles_fall_toward_the_normal() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(9), 2.262);
        assert!((1..2000).all(|d| t975(d) >= t975(d + 1)));
        assert_eq!(t975(5000), 1.960);
    }
}
