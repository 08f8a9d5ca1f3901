//! What the communications layer did, and the coverage of every corridor (`report.json`
//! `comms`, absent with perfect communications).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Spread;
use crate::sim::comms::CommsLayer;
use crate::sim::{Simulation, Status};

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
    /// covered; left out).
    #[serde(skip_serializing_if = "Option::is_none")]
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
    /// Per operator of the cells (by name; `""` for cells that name none).
    pub operators: Vec<OperatorSummary>,
    /// Lost-link episodes (absent unless `comms.lost_link_after_s` is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_link: Option<LostLinkSummary>,
}

/// What one operator's cells did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorSummary {
    /// The operator's name.
    pub operator: String,
    /// Its cells.
    pub cells: usize,
    /// Reports sent through its cells.
    pub reports_sent: u64,
    /// Received.
    pub delivered: u64,
    /// Lost on the way.
    pub lost: u64,
    /// Dropped by one of its cells over its capacity.
    pub dropped_over_capacity: u64,
    /// Corridor metres its cells serve best (the lowest latency, then the nearest).
    pub corridor_m_served: f64,
}

/// Most lost-link episodes listed one by one in `report.json`.
pub const MAX_LINK_LOSSES_LISTED: usize = 1000;

/// The lost-link episodes of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LostLinkSummary {
    /// Seconds without a report through after which a link is lost.
    pub after_s: f64,
    /// The scenario's contingency.
    pub contingency: String,
    /// Episodes.
    pub episodes: u64,
    /// Flights that lost their link at least once.
    pub flights: u64,
    /// Episodes by what the drone did (`hover`, `next_fix`, `continue`,
    /// `land_as_cleared`).
    pub by_action: BTreeMap<String, u64>,
    /// Episodes that ended with a report through again.
    pub regained: u64,
    /// Of the rest, those whose flight landed, ran out of battery, or was still in the
    /// air at the end of the run.
    pub unregained_landed: u64,
    /// See `unregained_landed`.
    pub unregained_battery_depleted: u64,
    /// See `unregained_landed`.
    pub unregained_in_the_air: u64,
    /// How long the regained episodes lasted, seconds.
    pub regained_after_s: Spread,
    /// Drone-seconds without a link (open episodes counted to their flight's end or
    /// the run's).
    pub drone_s: f64,
    /// Drone-seconds held in line behind a drone its contingency stopped on a lane.
    pub held_behind_s: f64,
    /// Losses of separation with a drone without its link when they began.
    pub los_involving: u64,
    /// With strategic deconfliction, diversions booked into another booking's way
    /// (no candidate's fit the bookings; see `diversion_clear`).
    pub diversions_clashing: u64,
    /// The first episodes (up to 1,000), in the order they began.
    pub listed: Vec<LinkLossRow>,
}

/// One lost-link episode in `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkLossRow {
    /// Flight id.
    pub flight: String,
    /// When the link was found lost, seconds.
    pub start_s: f64,
    /// When a report got through again, seconds (left out: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_s: Option<f64>,
    /// What the drone did.
    pub action: &'static str,
    /// Where it was, local metres `[east, north, alt]`.
    pub pos: [f64; 3],
    /// Where along its path its contingency stopped it, metres (left out: it flew on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_m: Option<f64>,
    /// The vertiport a `land_nearest` diversion took it to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diverted_to: Option<String>,
    /// With strategic deconfliction, whether the diversion's booking fit the others
    /// (`false`: booked into another's way, none of the 16 nearest vertiports having
    /// a route there clear of the bookings; left out without a diversion or bookings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diversion_clear: Option<bool>,
}

impl LostLinkSummary {
    /// The episodes of `sim`'s communications layer (`None` with lost link off).
    pub fn of(sim: &Simulation, c: &CommsLayer) -> Option<LostLinkSummary> {
        let after_s = c.lost_link_after_s();
        if after_s <= 0.0 {
            return None;
        }
        let links = c.links();
        let mut s = LostLinkSummary {
            after_s,
            contingency: sim.scenario().comms.contingency.name().to_string(),
            episodes: links.len() as u64,
            flights: links
                .iter()
                .map(|l| l.flight)
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u64,
            by_action: BTreeMap::new(),
            regained: 0,
            unregained_landed: 0,
            unregained_battery_depleted: 0,
            unregained_in_the_air: 0,
            regained_after_s: Spread::of(
                links
                    .iter()
                    .filter_map(|l| l.end_s.map(|e| e - l.start_s))
                    .collect(),
            ),
            drone_s: 0.0,
            held_behind_s: c.stats().held_drone_steps as f64 * sim.scenario().dt_s,
            los_involving: sim
                .events()
                .summary
                .causes
                .by_phases
                .iter()
                .filter(|((p, q), _)| *p == "lost_link" || *q == "lost_link")
                .map(|(_, n)| n)
                .sum(),
            diversions_clashing: links
                .iter()
                .filter(|l| l.diverted_to.and_then(|d| d.clear) == Some(false))
                .count() as u64,
            listed: Vec::new(),
        };
        for l in links {
            *s.by_action.entry(l.action.name().to_string()).or_default() += 1;
            let st = &sim.states()[l.flight.index()];
            let end = match l.end_s {
                Some(e) => {
                    s.regained += 1;
                    e
                }
                None => match st.status {
                    Status::Completed | Status::Diverted => {
                        s.unregained_landed += 1;
                        st.end_s
                    }
                    Status::BatteryDepleted => {
                        s.unregained_battery_depleted += 1;
                        st.end_s
                    }
                    _ => {
                        s.unregained_in_the_air += 1;
                        sim.time_s()
                    }
                },
            };
            s.drone_s += end - l.start_s;
        }
        s.listed = links
            .iter()
            .take(MAX_LINK_LOSSES_LISTED)
            .map(|l| LinkLossRow {
                flight: sim.flights()[l.flight.index()].id.clone(),
                start_s: l.start_s,
                end_s: l.end_s,
                action: l.action.name(),
                pos: l.pos,
                stop_m: l.stop_m,
                diverted_to: l.diverted_to.map(|d| sim.net().nodes[d.to].id.clone()),
                diversion_clear: l.diverted_to.and_then(|d| d.clear),
            })
            .collect();
        Some(s)
    }

    /// The line printed after a run.
    pub fn summary_line(&self) -> String {
        let by: Vec<String> = self
            .by_action
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        format!(
            "lost link     {} episodes ({}) in {} flights after {:.0} s silent: {} regained (mean {:.1} s), {} landed, {} battery depleted, {} still in the air without; {} losses of separation involved a drone without its link\n",
            self.episodes,
            if by.is_empty() {
                "none".to_string()
            } else {
                by.join(", ")
            },
            self.flights,
            self.after_s,
            self.regained,
            self.regained_after_s.mean,
            self.unregained_landed,
            self.unregained_battery_depleted,
            self.unregained_in_the_air,
            self.los_involving
        ) + &if self.diversions_clashing > 0 {
            format!(
                "              {} diversions booked into another booking's way\n",
                self.diversions_clashing
            )
        } else {
            String::new()
        }
    }
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
    coverage_by_operator(sim, comms).0
}

/// [`coverage`], and per operator (as [`CommsLayer::operators`]) the corridor metres its
/// cells serve best.
fn coverage_by_operator(sim: &Simulation, comms: &CommsLayer) -> (Vec<CorridorCoverage>, Vec<f64>) {
    let net = sim.net();
    let mut served = vec![0.0; comms.operators().len()];
    let corridors = net
        .lanes
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
                match comms.serving(glam::DVec3::new(p[0], p[1], l.alt_m)) {
                    None => uncovered += piece,
                    Some((lat, op)) => {
                        worst = Some(worst.map_or(lat, |w| w.max(lat)));
                        served[op] += piece;
                    }
                }
            }
            CorridorCoverage {
                id: net.corridor_ids[l.corridor].clone(),
                length_m: l.length_m,
                uncovered_m: uncovered,
                worst_latency_ms: worst.map(|w| w * 1000.0),
            }
        })
        .collect();
    (corridors, served)
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
        let (coverage, served) = coverage_by_operator(sim, c);
        let operators = c
            .operators()
            .iter()
            .zip(c.by_operator())
            .zip(served)
            .map(|((name, st), served_m)| OperatorSummary {
                operator: name.clone(),
                cells: sim
                    .scenario()
                    .comms
                    .cells
                    .iter()
                    .filter(|k| k.operator == *name)
                    .count(),
                reports_sent: st.sent,
                delivered: st.delivered,
                lost: st.lost,
                dropped_over_capacity: st.dropped,
                corridor_m_served: served_m,
            })
            .collect();
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
            operators,
            lost_link: LostLinkSummary::of(sim, c),
        })
    }
}
