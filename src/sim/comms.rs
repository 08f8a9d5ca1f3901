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
//! **Lost link.** With `lost_link_after_s`, a drone whose last report through is older
//! than that has lost its command link (uplink and downlink go through the same cell: the
//! ground cannot reach a drone it does not hear) and follows its contingency until a
//! report gets through again ([`Contingency`]); the ground, which knows the contingency
//! (it is part of the flight's authorisation), sees a drone that stops at the point its
//! contingency stops it. Every episode is kept ([`LinkLoss`]).
//!
//! Random draws come from a hash of the scenario's seed, the flight and the report's step,
//! so they do not depend on the order drones are handled in or on the thread count.
//!
//! Owns: the cells as placed, the reports on their way, each flight's last report, the
//! lost-link episodes, and the counters.

use std::collections::{BTreeMap, BinaryHeap};

use glam::DVec3;
use serde::Serialize;

use super::flight::Airborne;
use super::gates::Gates;
use super::{Diversion, Fleet};
use crate::ids::FlightId;
use crate::network::Network;
use crate::planner::Plan;
use crate::scenario::{Comms, Contingency, DroneType};

/// A cell placed in the local frame.
#[derive(Debug, Clone)]
struct CellAt {
    en: [f64; 2],
    range_m: f64,
    /// Range by altitude (see [`crate::scenario::Cell::range_by_alt`]).
    range_by_alt: Vec<(f64, f64)>,
    max_alt_m: f64,
    /// Index of its operator in [`CommsLayer::operators`].
    operator: usize,
    latency_s: f64,
    loss: f64,
    capacity_per_s: f64,
}

impl CellAt {
    /// Its range at altitude `z`, metres.
    fn range_at(&self, z: f64) -> f64 {
        let r = &self.range_by_alt;
        match (r.first(), r.last()) {
            (None, _) | (_, None) => self.range_m,
            (Some(&(a0, r0)), _) if z <= a0 => r0,
            (_, Some(&(a1, r1))) if z >= a1 => r1,
            _ => {
                let k = r.partition_point(|&(a, _)| a <= z).clamp(1, r.len() - 1);
                let ((a, ra), (b, rb)) = (r[k - 1], r[k]);
                ra + (rb - ra) * (z - a) / (b - a)
            }
        }
    }
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
    /// The operator of the cell carrying it.
    operator: usize,
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

/// What a drone did when it lost its link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkAction {
    /// Its contingency (the scenario's `comms.contingency`).
    Contingency(Contingency),
    /// Landed as cleared: it had asked its destination for a FATO (or held one, or was
    /// in the holding stack or the line behind it, or past its arrival fix), so the
    /// terminal area had it in hand.
    LandAsCleared,
    /// `LandNearest` with no diversion to fly (on no corridor lane, or no vertiport with
    /// a FATO free): it hovers instead.
    HoverNoDiversion,
}

impl LinkAction {
    /// Its name in reports (`hover`, `next_fix`, `continue`, `land_nearest`,
    /// `land_as_cleared`, `hover_no_diversion`).
    pub fn name(self) -> &'static str {
        match self {
            LinkAction::Contingency(c) => c.name(),
            LinkAction::LandAsCleared => "land_as_cleared",
            LinkAction::HoverNoDiversion => "hover_no_diversion",
        }
    }
}

/// One lost-link episode: from the step a drone's link was found lost to the step a
/// report got through again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LinkLoss {
    /// The flight.
    pub flight: FlightId,
    /// When the link was found lost, seconds.
    pub start_s: f64,
    /// When a report got through again, seconds (`None`: never, by the flight's end or
    /// the run's).
    pub end_s: Option<f64>,
    /// What it did.
    pub action: LinkAction,
    /// Where it was then, local metres `[east, north, alt]`.
    pub pos: [f64; 3],
    /// Where along its path its contingency stopped it, metres (`None`: it flew on).
    pub stop_m: Option<f64>,
    /// The vertiport a `LandNearest` diversion took it to, and with strategic
    /// deconfliction whether its booking fit the others ([`Diversion::clear`]).
    pub diverted_to: Option<Diversion>,
}

/// A drone its contingency stops on a corridor lane: the drones behind it on that lane
/// are held in line behind where it stops.
#[derive(Debug, Clone, Copy)]
struct Block {
    flight: FlightId,
    lane: crate::ids::LaneId,
    /// Where it stops.
    at: DVec3,
}

/// How far ahead along its path a drone looks for a block on its lanes, metres.
const BLOCK_LOOKAHEAD_M: f64 = 3000.0;

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
    /// Drone-steps held in line behind a drone its lost-link contingency stopped.
    pub held_drone_steps: u64,
    /// Age of the picture of each drone in the air at each step, seconds: a histogram in
    /// 0.5 s bins (the last bin holds everything older).
    pub age_histogram: Vec<u64>,
    /// Drone-steps whose picture was stale.
    pub stale_drone_steps: u64,
    /// Drone-steps observed.
    pub drone_steps: u64,
}

/// What one operator's cells carried.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OperatorStats {
    /// Reports sent through its cells.
    pub sent: u64,
    /// Received.
    pub delivered: u64,
    /// Lost on the way.
    pub lost: u64,
    /// Dropped by a cell over its capacity.
    pub dropped: u64,
}

/// Bins of the age histogram (0.5 s each): up to 60 s.
const AGE_BINS: usize = 121;

/// The communications layer in a run.
#[derive(Debug, Clone)]
pub struct CommsLayer {
    cells: Vec<CellAt>,
    /// Report period of each drone type, in steps.
    period: Vec<u64>,
    jitter_s: f64,
    stale_after_s: f64,
    handover_s: f64,
    /// Lost link after this long without a report through, seconds (0: never).
    lost_after_s: f64,
    contingency: Contingency,
    /// Every lost-link episode, in the order they began.
    links: Vec<LinkLoss>,
    /// The episode each flight without its link is in.
    open_links: BTreeMap<FlightId, usize>,
    /// Drones a contingency stops on a corridor lane, as of the last step.
    blocks: Vec<Block>,
    /// Drones held behind a block, and where along their path they stop, metres.
    held: BTreeMap<FlightId, f64>,
    /// Queue spacing behind a block: the largest horizontal minimum plus 10 m, metres.
    spacing_m: f64,
    /// The cells' operators, sorted (`""` for cells that name none).
    operators: Vec<String>,
    /// Per operator, what its cells carried.
    by_operator: Vec<OperatorStats>,
    seed: u64,
    /// Each flight's last report received.
    last: Vec<Option<Report>>,
    on_the_way: BinaryHeap<OnTheWay>,
    /// Per cell: the second its count is for, and the count.
    load: Vec<(i64, f64)>,
    stats: CommsStats,
}

/// The segment of `plan`'s path a drone stopping at `s` stops on (the one it arrives
/// on at a segment's end).
fn seg_ending_at(plan: &Plan, s: f64) -> usize {
    let path = &plan.path;
    path.cum
        .partition_point(|&c| c < s)
        .clamp(1, path.segs.len())
        - 1
}

/// The point `s` metres along `plan`'s path, on its centre line and level.
fn on_path(plan: &Plan, s: f64) -> DVec3 {
    let path = &plan.path;
    DVec3::from(path.point_at(s.clamp(0.0, path.total_m())))
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
    /// The layer of `comms` over `net` for `flights` flights of `types`, or `None` when
    /// it is off.
    pub fn new(
        comms: &Comms,
        (net, types): (&Network, &[DroneType]),
        flights: usize,
        dt_s: f64,
        seed: u64,
    ) -> Option<Self> {
        if comms.is_off() {
            return None;
        }
        let mut operators: Vec<String> = comms.cells.iter().map(|c| c.operator.clone()).collect();
        operators.sort();
        operators.dedup();
        let cells = comms
            .cells
            .iter()
            .map(|c| CellAt {
                en: net.frame.to_local(c.lat, c.lon),
                range_m: c.range_m,
                range_by_alt: c.range_by_alt.clone(),
                max_alt_m: c.max_alt_m,
                operator: operators
                    .iter()
                    .position(|o| *o == c.operator)
                    .expect("listed above"),
                latency_s: c.latency_ms.unwrap_or(comms.latency_ms) / 1000.0,
                loss: c.loss.unwrap_or(comms.loss),
                capacity_per_s: c.capacity_per_s.unwrap_or(comms.capacity_per_s),
            })
            .collect::<Vec<_>>();
        Some(CommsLayer {
            load: vec![(i64::MIN, 0.0); cells.len()],
            cells,
            period: types
                .iter()
                .map(|t| {
                    let p = t.report_period_s.unwrap_or(comms.report_period_s);
                    (p / dt_s).round().max(1.0) as u64
                })
                .collect(),
            jitter_s: comms.jitter_ms / 1000.0,
            stale_after_s: comms.stale_after_s,
            handover_s: comms.handover_s,
            lost_after_s: comms.lost_link_after_s,
            contingency: comms.contingency,
            links: Vec::new(),
            open_links: BTreeMap::new(),
            blocks: Vec::new(),
            held: BTreeMap::new(),
            spacing_m: net.max_minima[0] + 10.0,
            by_operator: vec![OperatorStats::default(); operators.len()],
            operators,
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
            if p.z > c.max_alt_m || d > c.range_at(p.z) {
                continue;
            }
            if best.is_none_or(|(l, e, _)| (c.latency_s, d) < (l, e)) {
                best = Some((c.latency_s, d, i));
            }
        }
        best.map(|b| b.2)
    }

    /// The best cell at a point: its mean latency, seconds, and its operator's index in
    /// [`CommsLayer::operators`] (`None` without coverage).
    pub fn serving(&self, p: DVec3) -> Option<(f64, usize)> {
        self.best_cell(p)
            .map(|i| (self.cells[i].latency_s, self.cells[i].operator))
    }

    /// The cells' operators, sorted (`""` for cells that name none).
    pub fn operators(&self) -> &[String] {
        &self.operators
    }

    /// Per operator (as [`CommsLayer::operators`]), what its cells carried.
    pub fn by_operator(&self) -> &[OperatorStats] {
        &self.by_operator
    }

    /// One step, the state after it at `t` (step number `step`): drones that took off
    /// are seen at their take-off; reports due are sent (not within `handover_s` of a
    /// border gate's clearance, as `gates` says); reports that have arrived by `t` are
    /// received; the age of every picture is counted.
    pub(crate) fn step(
        &mut self,
        t: f64,
        step: u64,
        (airborne, fleet): (&[Airborne], &Fleet),
        gates: &Gates,
    ) {
        for a in airborne {
            let f = a.flight.index();
            if self.last[f].is_none() {
                self.last[f] = Some(Report {
                    sent_s: t,
                    pos: a.d.pos,
                    vel: DVec3::ZERO,
                });
            }
            let period = self.period[fleet.plan(a.flight).drone_type.index()];
            if !(step + f as u64).is_multiple_of(period) {
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
            let op = &mut self.by_operator[cell.operator];
            op.sent += 1;
            let keys = |k: u64| [self.seed, f as u64, step, k];
            if uniform(keys(1)) < cell.loss {
                self.stats.lost += 1;
                op.lost += 1;
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
                    op.dropped += 1;
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
                operator: cell.operator,
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
            self.by_operator[r.operator].delivered += 1;
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
    /// its last report, extrapolated; one whose lost-link contingency stops it, stopped
    /// at that point on its plan (everything else as it is).
    pub(crate) fn picture(&self, airborne: &[Airborne], fleet: &Fleet, t: f64) -> Vec<Airborne> {
        airborne
            .iter()
            .map(|a| {
                let mut seen = *a;
                if let Some(stop) = a.d.lost_link_stop_m.filter(|s| s.is_finite()) {
                    seen.d.pos = on_path(fleet.plan(a.flight), stop);
                    seen.d.vel = DVec3::ZERO;
                } else if let Some(r) = &self.last[a.flight.index()] {
                    seen.d.pos = r.at(t);
                    seen.d.vel = r.vel;
                }
                seen
            })
            .collect()
    }

    /// After the reports of the step to `t`: a drone in the air whose last report
    /// through is older than `lost_link_after_s` loses its link and follows its
    /// contingency (tactical orders in force lapse: nobody can confirm them); one whose
    /// report got through again resumes its plan. Returns the drones (indices in
    /// `airborne`) that begin a `LandNearest` contingency: the caller diverts them and
    /// says how with [`CommsLayer::diverted`].
    pub(crate) fn follow_links(
        &mut self,
        t: f64,
        airborne: &mut [Airborne],
        fleet: &Fleet,
    ) -> Vec<usize> {
        let mut divert = Vec::new();
        if self.lost_after_s <= 0.0 {
            return divert;
        }
        for (k, a) in airborne.iter_mut().enumerate() {
            let lost = self.age_s(a.flight, t) > self.lost_after_s;
            let d = &mut a.d;
            match (lost, d.lost_link()) {
                (true, false) => {
                    let plan = fleet.plan(a.flight);
                    let in_hand = d.fato_asked
                        || d.fato_granted
                        || d.in_terminal_hold()
                        || d.motion.s >= plan.fix_m();
                    let accel = fleet.drone_type(a.flight).accel_mps2;
                    let (action, stop) = if in_hand {
                        (LinkAction::LandAsCleared, f64::INFINITY)
                    } else {
                        let stop = match self.contingency {
                            Contingency::Hover => {
                                d.motion.s + d.motion.u * d.motion.u / (2.0 * accel)
                            }
                            Contingency::NextFix => {
                                plan.path.cum[d.motion.seg as usize + 1].min(plan.path.total_m())
                            }
                            Contingency::Continue => f64::INFINITY,
                            Contingency::LandNearest => {
                                divert.push(k);
                                f64::INFINITY
                            }
                        };
                        (LinkAction::Contingency(self.contingency), stop)
                    };
                    d.lost_link_stop_m = Some(stop);
                    d.cap_mps = None;
                    d.speed_up = false;
                    d.offset_target_m = 0.0;
                    d.lateral_target_m = 0.0;
                    d.giving_way_to = None;
                    self.open_links.insert(a.flight, self.links.len());
                    self.links.push(LinkLoss {
                        flight: a.flight,
                        start_s: t,
                        end_s: None,
                        action,
                        pos: d.pos.to_array(),
                        stop_m: stop.is_finite().then_some(stop),
                        diverted_to: None,
                    });
                }
                (false, true) => {
                    d.lost_link_stop_m = None;
                    if let Some(k) = self.open_links.remove(&a.flight) {
                        self.links[k].end_s = Some(t);
                    }
                }
                _ => {}
            }
        }
        self.hold_behind_blocks(airborne, fleet);
        divert
    }

    /// How the diversion of drone `a` (from [`CommsLayer::follow_links`]) went: `to`
    /// a vertiport, or none (it hovers where it is).
    pub(crate) fn diverted(&mut self, a: &mut Airborne, to: Option<Diversion>, fleet: &Fleet) {
        let Some(&k) = self.open_links.get(&a.flight) else {
            return;
        };
        let ep = &mut self.links[k];
        ep.diverted_to = to;
        if to.is_none() {
            let accel = fleet.drone_type(a.flight).accel_mps2;
            let stop = a.d.motion.s + a.d.motion.u * a.d.motion.u / (2.0 * accel);
            a.d.lost_link_stop_m = Some(stop);
            ep.action = LinkAction::HoverNoDiversion;
            ep.stop_m = Some(stop);
        }
    }

    /// The drones a contingency stops on a corridor lane block it: every drone in
    /// contact behind one on that lane (within 3 km along its path) is held in line
    /// behind the point it stops at, one queue spacing apart, nearest first, as at a
    /// border gate (the ground can tell those it hears to stop; a drone without its
    /// link is not told).
    fn hold_behind_blocks(&mut self, airborne: &[Airborne], fleet: &Fleet) {
        self.blocks.clear();
        self.held.clear();
        for a in airborne {
            let Some(stop) = a.d.lost_link_stop_m.filter(|s| s.is_finite()) else {
                continue;
            };
            let plan = fleet.plan(a.flight);
            let k = seg_ending_at(plan, stop);
            if let Some(lane) = plan.path.segs[k].lane {
                self.blocks.push(Block {
                    flight: a.flight,
                    lane,
                    at: on_path(plan, stop),
                });
            }
        }
        if self.blocks.is_empty() {
            return;
        }
        // By lane, to find a lane's blocks without looking through all of them.
        self.blocks.sort_by_key(|b| (b.lane, b.flight));
        // Per block, the drones behind it: (block, distance to it, flight, stop point).
        let mut behind: Vec<(usize, f64, FlightId, f64)> = Vec::new();
        for a in airborne {
            if a.d.lost_link() {
                continue;
            }
            let plan = fleet.plan(a.flight);
            let path = &plan.path;
            let s = a.d.motion.s;
            let mut k = a.d.motion.seg as usize;
            while k < path.segs.len() && path.cum[k] - s < BLOCK_LOOKAHEAD_M {
                let seg = &path.segs[k];
                if let Some(lane) = seg.lane {
                    let first = self.blocks.partition_point(|b| b.lane < lane);
                    let on_lane = self.blocks[first..].iter().take_while(|b| b.lane == lane);
                    for (b, block) in on_lane.enumerate().map(|(j, x)| (first + j, x)) {
                        if block.flight == a.flight {
                            continue;
                        }
                        let dir = DVec3::from(seg.dir);
                        let o = (block.at - DVec3::from(seg.start)).dot(dir) / dir.length_squared();
                        let at = path.cum[k] + o;
                        if o >= 0.0 && at <= path.cum[k + 1] + 1e-6 && at > s {
                            behind.push((b, at - s, a.flight, at));
                        }
                    }
                }
                k += 1;
            }
        }
        behind.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)).then(x.2.cmp(&y.2)));
        let mut place = 0;
        for (i, &(b, _, f, at)) in behind.iter().enumerate() {
            place = if i > 0 && behind[i - 1].0 == b {
                place + 1
            } else {
                1
            };
            let stop = at - place as f64 * self.spacing_m;
            let e = self.held.entry(f).or_insert(stop);
            *e = e.min(stop);
        }
        self.stats.held_drone_steps += self.held.len() as u64;
    }

    /// Where along its path drone `f` is held behind a block, metres (`None`: not held).
    pub(crate) fn held_at(&self, f: FlightId) -> Option<f64> {
        if self.held.is_empty() {
            None
        } else {
            self.held.get(&f).copied()
        }
    }

    /// Every lost-link episode so far, in the order they began.
    pub fn links(&self) -> &[LinkLoss] {
        &self.links
    }

    /// Seconds without a report through after which a drone has lost its link (0:
    /// never).
    pub fn lost_link_after_s(&self) -> f64 {
        self.lost_after_s
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(range_by_alt: Vec<(f64, f64)>) -> CellAt {
        CellAt {
            en: [0.0, 0.0],
            range_m: 800.0,
            range_by_alt,
            max_alt_m: 300.0,
            operator: 0,
            latency_s: 0.05,
            loss: 0.0,
            capacity_per_s: 0.0,
        }
    }

    #[test]
    fn range_by_altitude_is_interpolated_and_held_beyond_its_points() {
        assert_eq!(cell(vec![]).range_at(250.0), 800.0);
        let c = cell(vec![(50.0, 1000.0), (150.0, 600.0), (250.0, 100.0)]);
        assert_eq!(c.range_at(0.0), 1000.0);
        assert_eq!(c.range_at(50.0), 1000.0);
        assert_eq!(c.range_at(100.0), 800.0);
        assert_eq!(c.range_at(200.0), 350.0);
        assert_eq!(c.range_at(280.0), 100.0);
    }
}
