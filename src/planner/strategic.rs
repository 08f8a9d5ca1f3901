//! Strategic deconfliction: 4D reservations before take-off.
//!
//! Flights are served one by one (first filed first, or by priority class). Each tries
//! its time-optimal route and up to `alternatives - 1` others (A* again with the lanes of
//! the routes found so far made four times as costly), each at its filed departure and
//! then one step later at a time, and takes the combination that *arrives* earliest. It
//! fits when
//! - every lane it flies admits it: no other reserved entry into that lane is closer in
//!   time than the corridor's headway, and it leaves the lane in the order it entered, a
//!   headway from the exits before and after it (so no flight overtakes another inside a
//!   lane, whatever their speeds; the terminal area's release rule for departure
//!   connectors is the same);
//! - every junction it changes lanes at admits its transition ([`junction_passages`]):
//!   no booked transition on another pair of lanes overlaps it in time; and every
//!   crossing of its lanes with others away from nodes admits its passage
//!   ([`crossing_passages`]) likewise;
//! - its origin vertiport has a free FATO from take-off until it has climbed to the
//!   departure level, and its destination one from shortly before its fix until its
//!   type's `fato_clear_s` after touchdown (counted against the FATOs; a FATO is taken
//!   while any reservation overlaps; this is conservative);
//! - every border gate on it admits it: no other reserved passage of that gate is closer in
//!   time than `3600 / capacity_per_hour` seconds.
//!
//! A flight whose every route needs more than `1 - battery_reserve` of its battery, or that
//! would wait longer than `max_ground_delay_s`, is cancelled with the reason.

use std::collections::BTreeMap;
use std::fmt;

use super::{Flight, Plan, build_plan};
use crate::ids::{DroneTypeId, LaneId, NodeId, PlanId};
use crate::network::Network;
use crate::scenario::{DroneType, Scenario, ServiceOrder};

/// Seconds added around pad reservations for the request made before the final descent
/// and the step granularity of the climb.
const PAD_MARGIN_S: f64 = 10.0;

/// The reservation tables.
#[derive(Debug, Default, Clone)]
pub struct Reservations {
    /// Per lane, reserved `(entry, exit)` times, sorted by entry (and so by exit: no
    /// booking overtakes another inside a lane).
    pub lanes: Vec<Vec<(f64, f64)>>,
    /// Per node, reserved pad intervals `(from, to)`, sorted by start.
    pub pads: Vec<Vec<(f64, f64)>>,
    /// Per node (border gates only), reserved passage times, sorted.
    pub gates: Vec<Vec<f64>>,
    /// Per node where lanes meet, reserved transitions (see [`junction_passages`]),
    /// sorted by start.
    pub junctions: Vec<Vec<Passage>>,
    /// Per crossing of the network, reserved passages (see [`crossing_passages`]),
    /// sorted by start.
    pub crossings: Vec<Vec<Passage>>,
    longest_pad_s: f64,
    longest_passage_s: f64,
    /// Added to every headway and to both ends of every occupied interval, seconds.
    buffer_s: f64,
}

/// The passages of a plan through the crossings of the lanes it flies (see
/// [`crate::network::crossings`]), in seconds from take-off: from the crossing's zone
/// before it to as far after it, tagged with the lane flown (twice). Two passages of a
/// crossing on different lanes may not overlap in time.
pub fn crossing_passages(net: &Network, plan: &Plan) -> Vec<(usize, Passage)> {
    let segs = &plan.path.segs;
    let mut out = Vec::new();
    let mut k = 0;
    while k < segs.len() {
        let run = plan.path.lane_run(k);
        k = run.end;
        let Some(lane) = segs[run.start].lane else {
            continue;
        };
        // The lane's segments: path distance at each horizontal distance along it.
        for &c in &net.lane_crossings[lane.index()] {
            let x = &net.crossings[c];
            let d = if x.lanes.0 == lane {
                x.along_m.0
            } else {
                x.along_m.1
            };
            let mut horiz = 0.0;
            let mut at = None;
            for (j, g) in segs.iter().enumerate().take(run.end).skip(run.start) {
                let h = (g.len_m * g.len_m - (g.dir[2] * g.len_m).powi(2))
                    .max(0.0)
                    .sqrt();
                if horiz + h >= d {
                    let f = if h > 0.0 { (d - horiz) / h } else { 0.0 };
                    at = Some(plan.path.cum[j] + f * g.len_m);
                    break;
                }
                horiz += h;
            }
            let Some(s) = at else { continue };
            let total = plan.path.total_m();
            out.push((
                c,
                Passage {
                    from_s: plan.planned_time_at((s - x.zone_m).max(0.0)),
                    to_s: plan.planned_time_at((s + x.zone_m).min(total)),
                    lanes: (lane, lane),
                },
            ));
        }
    }
    out
}

/// What a plan uses, in seconds from take-off (independent of its departure).
struct PlanUses {
    lanes: Vec<(LaneId, f64, f64)>,
    gates: Vec<(NodeId, f64, f64)>,
    junctions: Vec<(NodeId, Passage)>,
    crossings: Vec<(usize, Passage)>,
}

impl PlanUses {
    fn of(net: &Network, plan: &Plan) -> PlanUses {
        PlanUses {
            lanes: lane_spans(plan),
            gates: gate_passages(net, plan),
            junctions: junction_passages(net, plan),
            crossings: crossing_passages(net, plan),
        }
    }
}

/// A transition through a junction: from one lane into the next, from `from_s` to `to_s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Passage {
    /// When it comes within the junction's zone, seconds.
    pub from_s: f64,
    /// When it has left the zone and ended any change of level there, seconds.
    pub to_s: f64,
    /// The lane it leaves and the lane it takes.
    pub lanes: (LaneId, LaneId),
}

/// How far from a junction, in multiples of the horizontal minimum, a drone is in its
/// zone: 1.5 keeps two drones on lanes 45 degrees apart, one leaving and one arriving at
/// that distance, more than a minimum apart.
pub const JUNCTION_ZONE_MINIMA: f64 = 1.5;

/// The junction transitions of a plan, in seconds from take-off: at each node where its
/// route changes lane, from `JUNCTION_ZONE_MINIMA` horizontal minima before the node
/// until as far after it or the end of the level change that starts there, whichever is
/// later. Two transitions of a node may not overlap in time unless they take the same
/// pair of lanes (one following the other, kept apart by the lanes' own bookings): the
/// junction is a conflict point of the network, where merges, crossings and the level
/// changes between layers happen.
pub fn junction_passages(net: &Network, plan: &Plan) -> Vec<(NodeId, Passage)> {
    let segs = &plan.path.segs;
    let mut out = Vec::new();
    let mut k = 0;
    for w in plan.lanes.windows(2) {
        let Some(start) = (k..segs.len()).find(|&j| segs[j].lane == Some(w[1])) else {
            continue;
        };
        k = start;
        let node = net.lanes[w[0]].to;
        let r = JUNCTION_ZONE_MINIMA * net.lanes[w[0]].minima[0].max(net.lanes[w[1]].minima[0]);
        let at = plan.path.cum[start];
        let ramp_end = if segs[start].dir[2] != 0.0 {
            plan.path.cum[start + 1]
        } else {
            at
        };
        out.push((
            node,
            Passage {
                from_s: plan.planned_time_at((at - r).max(0.0)),
                to_s: plan.planned_time_at((at + r).max(ramp_end).min(plan.path.total_m())),
                lanes: (w[0], w[1]),
            },
        ));
    }
    out
}

/// Why strategic deconfliction cancelled a flight before take-off.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelReason {
    /// Every route needs more battery than is usable after the reserves.
    Battery {
        /// Energy the cheapest plan needs, watt-hours.
        need_wh: f64,
        /// Energy usable on that plan after the reserves, watt-hours.
        usable_wh: f64,
        /// The type's battery, watt-hours.
        battery_wh: f64,
        /// The reserve kept on every flight (fraction of the battery).
        reserve: f64,
        /// The extra reserve for a route over water (fraction), when the cheapest has
        /// water under it.
        over_water_reserve: Option<f64>,
    },
    /// No slot within the longest ground delay allowed.
    GroundDelay {
        /// The longest ground delay allowed, seconds.
        max_s: f64,
    },
}

impl CancelReason {
    /// The kind of reason (`battery`, `ground delay`): what the report counts by.
    pub fn kind(&self) -> &'static str {
        match self {
            CancelReason::Battery { .. } => "battery",
            CancelReason::GroundDelay { .. } => "ground delay",
        }
    }
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CancelReason::Battery {
                need_wh,
                usable_wh,
                battery_wh,
                reserve,
                over_water_reserve,
            } => {
                write!(
                    f,
                    "battery: the shortest plan needs {need_wh:.0} Wh, more than the {usable_wh:.0} Wh usable of {battery_wh:.0} Wh ({:.0}% reserve",
                    100.0 * reserve
                )?;
                if let Some(w) = over_water_reserve {
                    write!(f, ", +{:.0}% over water", 100.0 * w)?;
                }
                write!(f, ")")
            }
            CancelReason::GroundDelay { max_s } => {
                write!(f, "ground delay: no slot within {max_s:.0} s")
            }
        }
    }
}

/// Lane entries and exits `(lane, seconds from take-off at entry, at exit)` of a plan.
pub fn lane_spans(plan: &Plan) -> Vec<(LaneId, f64, f64)> {
    let path = &plan.path;
    let mut out = Vec::new();
    let mut k = 0;
    while k < path.segs.len() {
        let run = path.lane_run(k);
        if let Some(lane) = path.segs[k].lane {
            out.push((lane, plan.seg_t[run.start], plan.seg_t[run.end]));
        }
        k = run.end;
    }
    out
}

/// Whether a lane whose bookings are `v` (`(entry, exit)`, sorted by entry, exits in the
/// same order a headway apart) admits one more entering at `e` and leaving at `x`: a
/// headway from the entries next to it, and leaving in the same order as it enters, a
/// headway from those bookings' exits (so nobody overtakes anybody inside the lane,
/// whatever their speeds).
fn span_free(v: &[(f64, f64)], e: f64, x: f64, h: f64) -> bool {
    let i = v.partition_point(|&(s, _)| s < e);
    let before = i.checked_sub(1).map(|j| v[j]);
    let after = v.get(i).copied();
    before.is_none_or(|(be, bx)| e - be >= h - 1e-9 && x - bx >= h - 1e-9)
        && after.is_none_or(|(ae, ax)| ae - e >= h - 1e-9 && ax - x >= h - 1e-9)
}

/// Whether sorted times `v` leave `t` at least `spacing_s` from every one of them.
fn slot_free(v: &[f64], t: f64, spacing_s: f64) -> bool {
    let i = v.partition_point(|&x| x < t);
    let before = i.checked_sub(1).map(|j| v[j]);
    let after = v.get(i).copied();
    before.is_none_or(|b| t - b >= spacing_s - 1e-9)
        && after.is_none_or(|a| a - t >= spacing_s - 1e-9)
}

/// Border-gate passages `(node, seconds from take-off, spacing_s)` of a plan.
pub fn gate_passages(net: &Network, plan: &Plan) -> Vec<(NodeId, f64, f64)> {
    plan.gates
        .iter()
        .map(|&(s, n)| {
            let spacing = net.nodes[n].gate_spacing_s().unwrap_or(0.0);
            (n, plan.planned_time_at(s), spacing)
        })
        .collect()
}

/// FATO intervals `(node, from, to)` of a plan departing at `dep`: at the origin from
/// take-off until the climb is done, at the destination from its fix (where it is
/// granted one) until its type's `fato_clear_s` after touchdown, each with a margin.
pub fn pad_intervals(plan: &Plan, dep: f64) -> [(NodeId, f64, f64); 2] {
    [
        (plan.origin, dep, dep + plan.seg_t[1] + PAD_MARGIN_S),
        (
            plan.destination,
            dep + plan.planned_time_at(plan.fix_m()) - PAD_MARGIN_S,
            dep + plan.duration_s + plan.fato_clear_s,
        ),
    ]
}

impl Reservations {
    /// Empty tables for a network.
    pub fn new(net: &Network) -> Self {
        Reservations {
            lanes: vec![Vec::new(); net.lanes.len()],
            pads: vec![Vec::new(); net.nodes.len()],
            gates: vec![Vec::new(); net.nodes.len()],
            junctions: vec![Vec::new(); net.nodes.len()],
            crossings: vec![Vec::new(); net.crossings.len()],
            longest_pad_s: 0.0,
            longest_passage_s: 0.0,
            buffer_s: 0.0,
        }
    }

    /// The same tables with `buffer_s` added to every booking from now on (see
    /// `deconfliction.buffer_s`).
    pub fn with_buffer(mut self, buffer_s: f64) -> Self {
        self.buffer_s = buffer_s;
        self
    }

    /// Whether lane `lane` admits an entry at `e` and an exit at `x` with `headway_s`
    /// (plus the buffer; see [`lane_spans`]): the same order at both ends, a headway
    /// apart.
    pub fn lane_free(&self, lane: LaneId, e: f64, x: f64, headway_s: f64) -> bool {
        span_free(&self.lanes[lane.index()], e, x, headway_s + self.buffer_s)
    }

    /// `p` shifted by `dep` and grown by the buffer at both ends.
    fn placed(&self, p: &Passage, dep: f64) -> Passage {
        Passage {
            from_s: dep + p.from_s - self.buffer_s,
            to_s: dep + p.to_s + self.buffer_s,
            lanes: p.lanes,
        }
    }

    /// FATO intervals of `plan` departing at `dep`, grown by the buffer at both ends.
    fn fato_intervals(&self, plan: &Plan, dep: f64) -> [(NodeId, f64, f64); 2] {
        pad_intervals(plan, dep).map(|(n, a, b)| (n, a - self.buffer_s, b + self.buffer_s))
    }

    /// Whether junction `node` admits transition `p` shifted by `dep`: no booked one on
    /// another pair of lanes overlaps it in time.
    pub fn junction_free(&self, node: NodeId, p: &Passage, dep: f64) -> bool {
        self.zone_free(&self.junctions[node.index()], p, dep)
    }

    /// Whether crossing `c` admits passage `p` shifted by `dep`: no booked one on the
    /// other lane overlaps it in time.
    pub fn crossing_free(&self, c: usize, p: &Passage, dep: f64) -> bool {
        self.zone_free(&self.crossings[c], p, dep)
    }

    /// Whether booked passages `v` (sorted by start) leave room for `p` shifted by `dep`.
    fn zone_free(&self, v: &[Passage], p: &Passage, dep: f64) -> bool {
        let q = self.placed(p, dep);
        let (a, b) = (q.from_s, q.to_s);
        let end = v.partition_point(|q| q.from_s < b);
        v[..end]
            .iter()
            .rev()
            .take_while(|q| q.from_s >= a - self.longest_passage_s)
            .all(|q| q.to_s <= a || q.lanes == p.lanes)
    }

    /// Books passage `q` (placed) into `v`.
    fn book_zone(v: &mut Vec<Passage>, longest: &mut f64, q: Passage) {
        let i = v.partition_point(|x| x.from_s < q.from_s);
        v.insert(i, q);
        *longest = longest.max(q.to_s - q.from_s);
    }

    /// Removes passage `q` (placed) from `v`.
    fn unbook_zone(v: &mut Vec<Passage>, q: Passage) {
        if let Some(i) = v.iter().position(|x| *x == q) {
            v.remove(i);
        }
    }

    /// Reservations at `node` overlapping `[from, to)`.
    pub fn pads_in_use(&self, node: NodeId, from: f64, to: f64) -> usize {
        let v = &self.pads[node.index()];
        let end = v.partition_point(|&(s, _)| s < to);
        v[..end]
            .iter()
            .rev()
            .take_while(|(s, _)| *s >= from - self.longest_pad_s)
            .filter(|(_, e)| *e > from)
            .count()
    }

    /// Whether `plan` departing at `dep` fits.
    pub fn fits(&self, net: &Network, plan: &Plan, dep: f64) -> bool {
        self.fits_uses(net, &PlanUses::of(net, plan), plan, dep)
    }

    /// [`Reservations::fits`] with the plan's uses found beforehand (the search tries
    /// many departures of one plan).
    fn fits_uses(&self, net: &Network, u: &PlanUses, plan: &Plan, dep: f64) -> bool {
        u.lanes
            .iter()
            .all(|&(l, e, x)| self.lane_free(l, dep + e, dep + x, net.lanes[l].headway_s))
            && self
                .fato_intervals(plan, dep)
                .iter()
                .all(|&(n, a, b)| self.pads_in_use(n, a, b) < net.nodes[n].fatos() as usize)
            && u.gates.iter().all(|&(n, t, spacing)| {
                slot_free(&self.gates[n.index()], dep + t, spacing + self.buffer_s)
            })
            && u.junctions
                .iter()
                .all(|(n, p)| self.junction_free(*n, p, dep))
            && u.crossings
                .iter()
                .all(|(c, p)| self.crossing_free(*c, p, dep))
    }

    /// Books `plan` departing at `dep`.
    pub fn book(&mut self, net: &Network, plan: &Plan, dep: f64) {
        for (l, e, x) in lane_spans(plan) {
            let v = &mut self.lanes[l.index()];
            let i = v.partition_point(|&(s, _)| s < dep + e);
            v.insert(i, (dep + e, dep + x));
        }
        for (n, a, b) in self.fato_intervals(plan, dep) {
            let v = &mut self.pads[n.index()];
            let i = v.partition_point(|&(s, _)| s < a);
            v.insert(i, (a, b));
            self.longest_pad_s = self.longest_pad_s.max(b - a);
        }
        for (n, t, _) in gate_passages(net, plan) {
            let v = &mut self.gates[n.index()];
            let i = v.partition_point(|&x| x < dep + t);
            v.insert(i, dep + t);
        }
        for (n, p) in junction_passages(net, plan) {
            let q = self.placed(&p, dep);
            Self::book_zone(
                &mut self.junctions[n.index()],
                &mut self.longest_passage_s,
                q,
            );
        }
        for (c, p) in crossing_passages(net, plan) {
            let q = self.placed(&p, dep);
            Self::book_zone(&mut self.crossings[c], &mut self.longest_passage_s, q);
        }
    }
}

impl Reservations {
    /// Removes what [`Reservations::book`] booked for `plan` departing at `dep`.
    pub fn unbook(&mut self, net: &Network, plan: &Plan, dep: f64) {
        for (l, e, x) in lane_spans(plan) {
            let v = &mut self.lanes[l.index()];
            if let Some(i) = v.iter().position(|&b| b == (dep + e, dep + x)) {
                v.remove(i);
            }
        }
        for (n, a, b) in self.fato_intervals(plan, dep) {
            let v = &mut self.pads[n.index()];
            if let Some(i) = v.iter().position(|&x| x == (a, b)) {
                v.remove(i);
            }
        }
        for (n, t, _) in gate_passages(net, plan) {
            let v = &mut self.gates[n.index()];
            if let Some(i) = v.iter().position(|&x| x == dep + t) {
                v.remove(i);
            }
        }
        for (n, p) in junction_passages(net, plan) {
            let q = self.placed(&p, dep);
            Self::unbook_zone(&mut self.junctions[n.index()], q);
        }
        for (c, p) in crossing_passages(net, plan) {
            let q = self.placed(&p, dep);
            Self::unbook_zone(&mut self.crossings[c], q);
        }
    }

    /// The table of the flights as cleared: every flight not cancelled, booked at its
    /// cleared departure.
    pub fn of(net: &Network, plans: &[Plan], flights: &[Flight], buffer_s: f64) -> Reservations {
        let mut r = Reservations::new(net).with_buffer(buffer_s);
        for f in flights.iter().filter(|f| f.cancelled.is_none()) {
            r.book(net, &plans[f.plan.index()], f.departure_s);
        }
        r
    }
}

/// Up to `k` distinct routes, the time-optimal first; each next one is A* with the lanes
/// already used four times as costly.
fn routes(net: &Network, o: NodeId, d: NodeId, t: &DroneType, k: u32) -> Vec<Vec<LaneId>> {
    let mut penalty = vec![1.0; net.lanes.len()];
    let mut out: Vec<Vec<LaneId>> = Vec::new();
    for _ in 0..k.max(1) {
        let Some(r) = super::route_weighted(net, o, d, t, &penalty) else {
            break;
        };
        if out.contains(&r) {
            break;
        }
        for &l in &r {
            penalty[l.index()] *= 4.0;
        }
        out.push(r);
    }
    out
}

/// Clears every flight: assigns departure, route (plan) or cancellation. `flights` are in
/// filed-departure order; plans of alternative routes are appended to `plans`.
pub fn assign(s: &Scenario, net: &Network, plans: &mut Vec<Plan>, flights: &mut [Flight]) {
    let cfg = &s.deconfliction;
    let dt = s.dt_s;
    let mut order: Vec<usize> = (0..flights.len()).collect();
    if cfg.order == ServiceOrder::Priority {
        // Stable: equal priorities keep filing order.
        order.sort_by_key(|&i| std::cmp::Reverse(flights[i].priority));
    }
    let mut options: BTreeMap<(NodeId, NodeId, DroneTypeId), Vec<PlanId>> = BTreeMap::new();
    let mut table = Reservations::new(net).with_buffer(cfg.buffer_s);
    let max_steps = (cfg.max_ground_delay_s / dt).floor() as u64;
    for i in order {
        let primary = flights[i].plan;
        let (o, d, ty) = (
            plans[primary].origin,
            plans[primary].destination,
            plans[primary].drone_type,
        );
        let t = &s.drone_types[ty];
        let candidates = options
            .entry((o, d, ty))
            .or_insert_with(|| {
                let mut v = vec![primary];
                for r in routes(net, o, d, t, cfg.alternatives).into_iter().skip(1) {
                    let mut plan = build_plan(net, r, ty, t, dt, [0, 0]);
                    plan.family = PlanId::new(plans.len());
                    plans.push(plan);
                    v.push(PlanId::new(plans.len() - 1));
                }
                v
            })
            .clone();
        let usable = |plan: &Plan| {
            let extra = if plan.over_water_m > 0.0 {
                cfg.over_water_reserve
            } else {
                0.0
            };
            t.battery_wh * (1.0 - cfg.battery_reserve - extra)
        };
        let f = &flights[i];
        let mut best: Option<(f64, u64, PlanId)> = None;
        let mut battery_short = true;
        for &c in &candidates {
            let plan = &plans[c];
            if plan.energy_wh > usable(plan) {
                continue;
            }
            battery_short = false;
            let uses = PlanUses::of(net, plan);
            let found = (0..=max_steps)
                .find(|&k| table.fits_uses(net, &uses, plan, f.scheduled_s + k as f64 * dt));
            if let Some(k) = found {
                let arrival = f.scheduled_s + k as f64 * dt + plan.duration_s;
                if best
                    .is_none_or(|(a, bk, _)| arrival < a - 1e-9 || (arrival <= a + 1e-9 && k < bk))
                {
                    best = Some((arrival, k, c));
                }
            }
        }
        let f = &mut flights[i];
        match best {
            Some((_, k, c)) => {
                f.departure_s = f.scheduled_s + k as f64 * dt;
                f.rerouted = c != primary;
                f.plan = c;
                table.book(net, &plans[c], f.departure_s);
            }
            None if battery_short => {
                let cheapest = candidates
                    .iter()
                    .map(|&c| &plans[c])
                    .min_by(|a, b| a.energy_wh.total_cmp(&b.energy_wh))
                    .expect("a route was planned");
                f.cancelled = Some(Box::new(CancelReason::Battery {
                    need_wh: cheapest.energy_wh,
                    usable_wh: usable(cheapest),
                    battery_wh: t.battery_wh,
                    reserve: cfg.battery_reserve,
                    over_water_reserve: (cheapest.over_water_m > 0.0)
                        .then_some(cfg.over_water_reserve),
                }));
            }
            None => {
                f.cancelled = Some(Box::new(CancelReason::GroundDelay {
                    max_s: cfg.max_ground_delay_s,
                }));
            }
        }
    }
}
