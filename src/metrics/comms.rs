//! What the communications layer did, and the coverage of every corridor (`report.json`
//! `comms`, absent with perfect communications).

use serde::Serialize;

use super::Spread;
use crate::sim::Simulation;
use crate::sim::comms::CommsLayer;

/// Spacing of the samples along a corridor for its coverage, metres.
pub const COVERAGE_STEP_M: f64 = 50.0;

/// A corridor's coverage: its forward lane sampled every 50 m at its
/// altitude.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorridorCoverage {
    /// Corridor id.
    pub id: String,
    /// Length, metres.
    pub length_m: f64,
    /// Metres with no cell covering the lane.
    pub uncovered_m: f64,
    /// The worst mean latency of the best cell along it, milliseconds (`None`: nowhere
    /// covered).
    pub worst_latency_ms: Option<f64>,
}

/// The `comms` section of `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommsSummary {
    /// Coverage cells.
    pub cells: usize,
    /// Reports sent.
    pub reports_sent: u64,
    /// Received.
    pub delivered: u64,
    /// Lost on the way.
    pub lost: u64,
    /// Dropped by a cell over its capacity.
    pub dropped_over_capacity: u64,
    /// Reports a drone was due to send with no cell covering it.
    pub not_sent_no_coverage: u64,
    /// Reports a drone was due to send during a cross-border handover.
    pub not_sent_in_handover: u64,
    /// Age of the ground's picture of the drones in the air, over every drone-step,
    /// seconds (from a histogram in 0.5 s bins: each value is its bin's upper edge).
    pub picture_age_s: AgeSpread,
    /// Share of drone-steps whose picture was stale.
    pub stale_share: f64,
    /// Losses of separation in which the picture of either drone was stale.
    pub los_with_stale_picture: u64,
    /// Of those, the older picture's age, seconds.
    pub stale_picture_age_s: Spread,
    /// Per corridor: metres without coverage, worst latency.
    pub coverage: Vec<CorridorCoverage>,
    /// Corridor metres without coverage, in all.
    pub uncovered_m: f64,
}

/// Median, 95th percentile and maximum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgeSpread {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Maximum (60.5: older than 60 s).
    pub max: f64,
}

fn quantile(h: &[u64], q: f64) -> f64 {
    let n: u64 = h.iter().sum();
    if n == 0 {
        return 0.0;
    }
    let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
    let mut seen = 0;
    for (i, &c) in h.iter().enumerate() {
        seen += c;
        if seen >= rank {
            return 0.5 * (i + 1) as f64;
        }
    }
    0.5 * h.len() as f64
}

/// Coverage of every corridor under `comms`.
pub fn coverage(sim: &Simulation, comms: &CommsLayer) -> Vec<CorridorCoverage> {
    let net = sim.net();
    net.lanes
        .iter()
        .filter(|l| !l.connector && !l.reverse)
        .map(|l| {
            let (mut uncovered, mut worst): (f64, Option<f64>) = (0.0, None);
            let n = (l.length_m / COVERAGE_STEP_M).ceil().max(1.0) as usize;
            let piece = l.length_m / n as f64;
            for k in 0..n {
                // The middle of each piece.
                let s = (k as f64 + 0.5) * piece;
                let p = point_at(&l.points, &l.leg_m, s);
                match comms.latency_at(glam::DVec3::new(p[0], p[1], l.alt_m)) {
                    None => uncovered += piece,
                    Some(lat) => worst = Some(worst.map_or(lat, |w| w.max(lat))),
                }
            }
            CorridorCoverage {
                id: net.corridor_ids[l.corridor].clone(),
                length_m: l.length_m,
                uncovered_m: uncovered,
                worst_latency_ms: worst.map(|w| w * 1000.0),
            }
        })
        .collect()
}

/// The point `s` metres along a polyline whose legs are `leg_m` long.
fn point_at(points: &[[f64; 2]], leg_m: &[f64], mut s: f64) -> [f64; 2] {
    for (k, &len) in leg_m.iter().enumerate() {
        if s <= len || k + 1 == leg_m.len() {
            let f = if len > 0.0 {
                (s / len).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (a, b) = (points[k], points[k + 1]);
            return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
        }
        s -= len;
    }
    points[0]
}

impl CommsSummary {
    /// The summary of `sim`'s communications layer (`None` without one).
    pub fn of(sim: &Simulation) -> Option<CommsSummary> {
        let c = sim.comms()?;
        let st = c.stats();
        let causes = &sim.events().summary.causes;
        let coverage = coverage(sim, c);
        Some(CommsSummary {
            cells: sim.scenario().comms.cells.len(),
            reports_sent: st.sent,
            delivered: st.delivered,
            lost: st.lost,
            dropped_over_capacity: st.dropped,
            not_sent_no_coverage: st.no_coverage,
            not_sent_in_handover: st.in_handover,
            picture_age_s: AgeSpread {
                p50: quantile(&st.age_histogram, 0.5),
                p95: quantile(&st.age_histogram, 0.95),
                max: quantile(&st.age_histogram, 1.0),
            },
            stale_share: if st.drone_steps > 0 {
                st.stale_drone_steps as f64 / st.drone_steps as f64
            } else {
                0.0
            },
            los_with_stale_picture: causes.with_stale_picture,
            stale_picture_age_s: Spread::of(causes.stale_ages_s.clone()),
            uncovered_m: coverage.iter().map(|k| k.uncovered_m).sum(),
            coverage,
        })
    }
}
