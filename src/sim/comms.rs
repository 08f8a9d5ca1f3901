//! Position reports through the communications network ([`crate::scenario::Comms`]): what
//! the ground sees of each drone.
//!
//! Every `report_period_s` (staggered by flight) a drone in the air sends its position and
//! velocity through the best cell covering it (in range and under its ceiling; the lowest
//! mean latency, then the nearest). The report is lost with the cell's loss rate, dropped
//! when the cell has carried its capacity this second, or arrives after the cell's latency
//! (the mean plus a uniform jitter). A drone in no cell's coverage sends nothing. The
//! *picture* of a drone is its last report received, extrapolated along its velocity to
//! now; a drone is seen at its take-off (the service knows where a flight leaves from) until
//! a first report arrives. Tactical resolution works on the picture (a ground service that
//! only knows what reaches it); separation is measured on the true positions.
//!
//! Random draws come from a hash of the scenario's seed, the flight and the report's step,
//! so they do not depend on the order drones are handled in or on the thread count.
//!
//! Owns: the cells as placed, the reports on their way, each flight's last report, and the
//! counters.

use std::collections::BinaryHeap;

use glam::DVec3;
use serde::Serialize;

use super::flight::Airborne;
use super::gates::Gates;
use crate::ids::FlightId;
use crate::network::Network;
use crate::scenario::Comms;

/// A cell placed in the local frame.
#[derive(Debug, Clone)]
struct CellAt {
    en: [f64; 2],
    range_m: f64,
    max_alt_m: f64,
    latency_s: f64,
    loss: f64,
    capacity_per_s: f64,
}

/// A position report: where a drone was, how it moved, when it said so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// When it was sent, seconds.
    pub sent_s: f64,
    /// Position then.
    pub pos: DVec3,
    /// Velocity then.
    pub vel: DVec3,
}

impl Report {
    /// Where it puts the drone at `t`: extrapolated along its velocity.
    pub fn at(&self, t: f64) -> DVec3 {
        self.pos + self.vel * (t - self.sent_s)
    }
}

/// A report on its way, ordered by arrival (earliest first), then flight.
#[derive(Debug, Clone, Copy)]
struct OnTheWay {
    arrive_s: f64,
    flight: FlightId,
    report: Report,
}

impl PartialEq for OnTheWay {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for OnTheWay {}
impl PartialOrd for OnTheWay {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for OnTheWay {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        // Reversed: the heap's top is the earliest.
        o.arrive_s
            .total_cmp(&self.arrive_s)
            .then(o.flight.cmp(&self.flight))
    }
}

/// What the communications layer did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CommsStats {
    /// Reports sent.
    pub sent: u64,
    /// Reports received.
    pub delivered: u64,
    /// Reports lost on the way.
    pub lost: u64,
    /// Reports dropped by a cell over its capacity.
    pub dropped: u64,
    /// Reports a drone was due to send with no cell covering it.
    pub no_coverage: u64,
    /// Reports a drone was due to send during a cross-border handover.
    pub in_handover: u64,
    /// Age of the picture of each drone in the air at each step, seconds: a histogram in
    /// 0.5 s bins (the last bin holds everything older).
    pub age_histogram: Vec<u64>,
    /// Drone-steps whose picture was stale.
    pub stale_drone_steps: u64,
    /// Drone-steps observed.
    pub drone_steps: u64,
}

/// Bins of the age histogram (0.5 s each): up to 60 s.
const AGE_BINS: usize = 121;

/// The communications layer in a run.
#[derive(Debug, Clone)]
pub struct CommsLayer {
    cells: Vec<CellAt>,
    /// Report period, in steps.
    period: u64,
    jitter_s: f64,
    stale_after_s: f64,
    handover_s: f64,
    seed: u64,
    /// Each flight's last report received.
    last: Vec<Option<Report>>,
    on_the_way: BinaryHeap<OnTheWay>,
    /// Per cell: the second its count is for, and the count.
    load: Vec<(i64, f64)>,
    stats: CommsStats,
}

/// A uniform draw in [0, 1) from a hash of `keys` (SplitMix64 finaliser).
fn uniform(keys: [u64; 4]) -> f64 {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for k in keys {
        x ^= k;
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
    }
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl CommsLayer {
    /// The layer of `comms` over `net` for `flights` flights, or `None` when it is off.
    pub fn new(comms: &Comms, net: &Network, flights: usize, dt_s: f64, seed: u64) -> Option<Self> {
        if comms.is_off() {
            return None;
        }
        let cells = comms
            .cells
            .iter()
            .map(|c| CellAt {
                en: net.frame.to_local(c.lat, c.lon),
                range_m: c.range_m,
                max_alt_m: c.max_alt_m,
                latency_s: c.latency_ms.unwrap_or(comms.latency_ms) / 1000.0,
                loss: c.loss.unwrap_or(comms.loss),
                capacity_per_s: c.capacity_per_s.unwrap_or(comms.capacity_per_s),
            })
            .collect::<Vec<_>>();
        Some(CommsLayer {
            load: vec![(i64::MIN, 0.0); cells.len()],
            cells,
            period: (comms.report_period_s / dt_s).round().max(1.0) as u64,
            jitter_s: comms.jitter_ms / 1000.0,
            stale_after_s: comms.stale_after_s,
            handover_s: comms.handover_s,
            seed,
            last: vec![None; flights],
            on_the_way: BinaryHeap::new(),
            stats: CommsStats {
                age_histogram: vec![0; AGE_BINS],
                ..Default::default()
            },
        })
    }

    /// The best cell covering a point: the lowest mean latency, then the nearest.
    fn best_cell(&self, p: DVec3) -> Option<usize> {
        let mut best: Option<(f64, f64, usize)> = None;
        for (i, c) in self.cells.iter().enumerate() {
            let d = (p.x - c.en[0]).hypot(p.y - c.en[1]);
            if d > c.range_m || p.z > c.max_alt_m {
                continue;
            }
            if best.is_none_or(|(l, e, _)| (c.latency_s, d) < (l, e)) {
                best = Some((c.latency_s, d, i));
            }
        }
        best.map(|b| b.2)
    }

    /// Mean latency of the best cell at a point, seconds (`None` without coverage).
    pub fn latency_at(&self, p: DVec3) -> Option<f64> {
        self.best_cell(p).map(|i| self.cells[i].latency_s)
    }

    /// One step, the state after it at `t` (step number `step`): drones that took off
    /// are seen at their take-off; reports due are sent (not within `handover_s` of a
    /// border gate's clearance, as `gates` says); reports that have arrived by `t` are
    /// received; the age of every picture is counted.
    pub(crate) fn step(&mut self, t: f64, step: u64, airborne: &[Airborne], gates: &Gates) {
        for a in airborne {
            let f = a.flight.index();
            if self.last[f].is_none() {
                self.last[f] = Some(Report {
                    sent_s: t,
                    pos: a.d.pos,
                    vel: DVec3::ZERO,
                });
            }
            if !(step + f as u64).is_multiple_of(self.period) {
                continue;
            }
            // (A gate that never cleared the flight gives NaN: no handover.)
            if t - gates.cleared_s(a.flight) < self.handover_s {
                self.stats.in_handover += 1;
                continue;
            }
            let Some(c) = self.best_cell(a.d.pos) else {
                self.stats.no_coverage += 1;
                continue;
            };
            self.stats.sent += 1;
            let cell = &self.cells[c];
            let keys = |k: u64| [self.seed, f as u64, step, k];
            if uniform(keys(1)) < cell.loss {
                self.stats.lost += 1;
                continue;
            }
            if cell.capacity_per_s > 0.0 {
                let second = t.floor() as i64;
                let load = &mut self.load[c];
                if load.0 != second {
                    *load = (second, 0.0);
                }
                if load.1 + 1.0 > cell.capacity_per_s {
                    self.stats.dropped += 1;
                    continue;
                }
                load.1 += 1.0;
            }
            let latency =
                (cell.latency_s + self.jitter_s * (2.0 * uniform(keys(2)) - 1.0)).max(0.0);
            self.on_the_way.push(OnTheWay {
                arrive_s: t + latency,
                flight: a.flight,
                report: Report {
                    sent_s: t,
                    pos: a.d.pos,
                    vel: a.d.vel,
                },
            });
        }
        while let Some(r) = self.on_the_way.peek().filter(|r| r.arrive_s <= t + 1e-9) {
            let r = *r;
            self.on_the_way.pop();
            let last = &mut self.last[r.flight.index()];
            // A report overtaken by a later one on the way is of no use.
            if last.is_none_or(|l| l.sent_s < r.report.sent_s) {
                *last = Some(r.report);
            }
            self.stats.delivered += 1;
        }
        for a in airborne {
            let age = self.age_s(a.flight, t);
            let bin = ((age / 0.5) as usize).min(AGE_BINS - 1);
            self.stats.age_histogram[bin] += 1;
            self.stats.drone_steps += 1;
            self.stats.stale_drone_steps += u64::from(age > self.stale_after_s);
        }
    }

    /// Age of the picture of `f` at `t`: seconds since its last report received was sent
    /// (infinite when none).
    pub fn age_s(&self, f: FlightId, t: f64) -> f64 {
        self.last[f.index()].map_or(f64::INFINITY, |r| t - r.sent_s)
    }

    /// Whether the picture of `f` is stale at `t`.
    pub fn stale(&self, f: FlightId, t: f64) -> bool {
        self.age_s(f, t) > self.stale_after_s
    }

    /// Seconds after which a picture is stale.
    pub fn stale_after_s(&self) -> f64 {
        self.stale_after_s
    }

    /// The last report received from `f`.
    pub fn last(&self, f: FlightId) -> Option<&Report> {
        self.last[f.index()].as_ref()
    }

    /// The drones as the ground sees them at `t`: each one's position and velocity from
    /// its last report, extrapolated (everything else as it is).
    pub(crate) fn picture(&self, airborne: &[Airborne], t: f64) -> Vec<Airborne> {
        airborne
            .iter()
            .map(|a| {
                let mut seen = *a;
                if let Some(r) = &self.last[a.flight.index()] {
                    seen.d.pos = r.at(t);
                    seen.d.vel = r.vel;
                }
                seen
            })
            .collect()
    }

    /// Each cell's centre (local metres) and range, metres.
    pub fn cells(&self) -> impl Iterator<Item = ([f64; 2], f64)> + '_ {
        self.cells.iter().map(|c| (c.en, c.range_m))
    }

    /// The counters so far.
    pub fn stats(&self) -> &CommsStats {
        &self.stats
    }
}
