//! Flights and their 4D plans: demand sampled from flows, routes by A* over the corridor
//! graph (time-optimal under speed limits, ties broken toward fewer turns), and the
//! vertical profile (climb from the pad, cruise in the lanes, descend onto the
//! destination pad).
//!
//! Flights between the same pair with the same drone type share one [`Plan`] (a route is
//! the same whatever the departure time until strategic deconfliction lands), so memory per
//! flight stays small.

pub mod path;
pub mod strategic;
pub mod track;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use petgraph::graph::NodeIndex;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ids::{DroneTypeId, LaneId, NodeId, PlanId};
use crate::network::weather::SegWind;
use crate::network::{Network, Terminal};
use crate::scenario::{DroneType, Scenario, ValidationError};
pub use path::{Motion, Path, Seg, advance, advance_capped, advance_limited};
pub use strategic::{CancelReason, Resource};

/// A route and its unobstructed flight profile for one drone type.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Origin node.
    pub origin: NodeId,
    /// Destination node.
    pub destination: NodeId,
    /// Drone type index.
    pub drone_type: DroneTypeId,
    /// Lanes flown, in order.
    pub lanes: Vec<LaneId>,
    /// The 3D path.
    pub path: Path,
    /// Planned time from take-off at each segment start, seconds (`seg_t[len]` is the
    /// flight time): the time part of the 4D plan.
    pub seg_t: Vec<f64>,
    /// `(path distance, time from take-off)` at the start and end of every planned step
    /// in which the speed changed or a segment began, and at the segment starts (sorted;
    /// the speed is constant between two knots, so the times are exact): what
    /// [`Plan::planned_time_at`] interpolates.
    pub knots: Vec<(f64, f64)>,
    /// Flight time from take-off to touchdown, seconds.
    pub duration_s: f64,
    /// Planned energy, watt-hours.
    pub energy_wh: f64,
    /// Metres of the route over water.
    pub over_water_m: f64,
    /// Border gates on the route: `(path distance, gate node)`, in order.
    pub gates: Vec<(f64, NodeId)>,
    /// The FATOs it flies from and to: `[origin FATO, destination FATO]`.
    pub fato: [u8; 2],
    /// How long its type keeps a FATO after touchdown, seconds.
    pub fato_clear_s: f64,
    /// The plan of the same route from and to the first FATOs: the variants of a route
    /// differ only in their terminal legs (see [`crate::sim::Fleet`]).
    pub family: PlanId,
    /// Where its terminal legs meet its lanes (read every step: kept, not searched).
    pub marks: Marks,
    /// The winds each segment meets, forecast and actual, mean along it; empty when both
    /// fields are uniform (then every segment meets the same).
    pub seg_wind: Box<[SegWind]>,
    /// Whether the path and its profile have been dropped ([`Plan::shed`]).
    shed: bool,
}

/// Where a plan's terminal legs meet its lanes, found once when it is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks {
    /// Path distance of the destination's fix, metres.
    pub fix_m: f64,
    /// Path distance where the arrival connector starts, metres.
    pub arrival_connector_m: f64,
    /// Planned time from take-off to the departure connector's start, seconds.
    pub connector_entry_s: f64,
    /// Planned time from take-off to the departure connector's end, seconds.
    pub connector_exit_s: f64,
    /// The destination terminal's climb point distance before the fix and its trail
    /// spacing (see [`crate::network::Terminal`]), metres.
    pub clear_m: f64,
    /// See `clear_m`.
    pub trail_m: f64,
    /// When it holds its FATOs, seconds from take-off: `[origin, destination]`, each
    /// `(from, to)` (see [`Plan::fato_s`]).
    pub fato_s: [(f64, f64); 2],
}

impl Marks {
    /// The marks of a path flown in `seg_t`: lanes from the first segment with one to the
    /// last.
    fn of(path: &Path, seg_t: &[f64]) -> Marks {
        let segs = &path.segs;
        let (Some(first), Some(last)) = (
            segs.iter().position(|s| s.lane.is_some()),
            segs.iter().rposition(|s| s.lane.is_some()),
        ) else {
            return Marks::default();
        };
        Marks {
            fix_m: path.cum[last + 1],
            arrival_connector_m: path.cum[path.lane_run(last).start],
            connector_entry_s: seg_t[first],
            connector_exit_s: seg_t[path.lane_run(first).end],
            clear_m: 0.0,
            trail_m: 0.0,
            fato_s: [(0.0, 0.0); 2],
        }
    }
}

impl Plan {
    /// Path distance of the destination's fix (the end of the arrival connector): an
    /// arriving drone needs a FATO to go on from here.
    pub fn fix_m(&self) -> f64 {
        self.marks.fix_m
    }
    /// How far before the fix a drone stops while it changes level to the stack (line
    /// place 0) or waits at place `line_place` (1-based) in the line behind it, metres.
    pub fn hold_short_m(&self, line_place: u16) -> f64 {
        self.marks.clear_m + self.marks.trail_m * f64::from(line_place)
    }
    /// Path distance where the arrival connector (the last lane) starts.
    pub fn arrival_connector_m(&self) -> f64 {
        self.marks.arrival_connector_m
    }
    /// Path distance where the final descent onto the FATO starts.
    pub fn descent_m(&self) -> f64 {
        self.path.cum[self.path.segs.len() - 1]
    }
    /// In how many seconds a drone at `m` on this path, speed held, reaches the end of
    /// its segment within a step of `dt` (where the path bends: a turn, a climb
    /// levelling off), if it does and another segment follows.
    pub fn bend_within(&self, m: &path::Motion, dt: f64) -> Option<f64> {
        let (k, u, path) = (m.seg as usize, m.u, &self.path);
        if u <= 0.0 || k + 1 >= path.segs.len() {
            return None;
        }
        let at_s = (path.cum[k + 1] - m.s) / u;
        (0.0..dt).contains(&at_s).then_some(at_s)
    }

    /// Path distance where the climb off the FATO ends: the origin FATO is free again.
    pub fn climb_done_m(&self) -> f64 {
        self.path.cum[1]
    }
    /// When it holds its FATOs flown as planned, seconds from take-off: `[origin,
    /// destination]`, each `(from, to)`. The origin's from take-off to a step after it is
    /// 1.05 horizontal minima along its leg (the next departure's climb is clear of it); the destination's from a step before it asks for it at the
    /// latest (its asking reach at its type's cruise speed plus the climb point's distance
    /// before the fix: granted then, it never brakes for the terminal area) until its
    /// type's `fato_clear_s` after touchdown. Strategic bookings reserve exactly these.
    pub fn fato_s(&self) -> [(f64, f64); 2] {
        self.marks.fato_s
    }
    /// Planned time from take-off to the entry into the departure connector, seconds.
    pub fn connector_entry_s(&self) -> f64 {
        self.marks.connector_entry_s
    }
    /// Planned time from take-off to the exit from the departure connector (the first
    /// lane) at its junction, seconds.
    pub fn connector_exit_s(&self) -> f64 {
        self.marks.connector_exit_s
    }
    /// Planned time from take-off at path distance `s`, seconds: exact at every step
    /// where the speed changes and at every segment start, linear between (where the
    /// speed is constant).
    pub fn planned_time_at(&self, s: f64) -> f64 {
        let k = &self.knots;
        let i = k
            .partition_point(|&(ks, _)| ks <= s)
            .clamp(1, k.len().max(2) - 1);
        let ((s0, t0), (s1, t1)) = (k[i - 1], k[i]);
        if s1 > s0 {
            t0 + (t1 - t0) * ((s - s0) / (s1 - s0)).clamp(0.0, 1.0)
        } else {
            t1
        }
    }

    /// Drops the path and its 4D profile (segments, distances, times, knots, winds), about
    /// nine tenths of a plan's memory. What stays is what reports read once a flight has
    /// ended: the route's lanes, its ends, type, FATOs, gates, marks and totals
    /// (duration, energy, distance over water). [`Plan::rebuild`] brings the rest back
    /// bit for bit: every plan is [`build_plan`] of its lanes, type and FATOs.
    pub fn shed(&mut self) {
        self.path = Path::default();
        self.seg_t = Vec::new();
        self.knots = Vec::new();
        self.seg_wind = Box::default();
        self.shed = true;
    }

    /// Whether [`Plan::shed`] dropped its path and profile (not yet rebuilt).
    pub fn is_shed(&self) -> bool {
        self.shed
    }

    /// Builds a shed plan's path and profile again for its type `t` in steps of `dt` (the
    /// ones it was built with): the same plan, bit for bit. A whole plan is left as is.
    pub fn rebuild(&mut self, net: &Network, t: &DroneType, dt: f64) {
        if !self.shed {
            return;
        }
        let lanes = std::mem::take(&mut self.lanes);
        let mut whole = build_plan(net, lanes, self.drone_type, t, dt, self.fato);
        whole.family = self.family;
        debug_assert_eq!(
            whole.duration_s.to_bits(),
            self.duration_s.to_bits(),
            "a rebuilt plan is the plan it was"
        );
        *self = whole;
    }

    /// The same route between FATOs `fato` for its type `t`, in steps of `dt`: a variant
    /// of this plan's family (see [`crate::sim::Fleet`]).
    pub fn variant(&self, net: &Network, t: &DroneType, dt: f64, fato: [u8; 2]) -> Plan {
        let mut plan = build_plan(net, self.lanes.clone(), self.drone_type, t, dt, fato);
        plan.family = self.family;
        plan
    }

    /// Corridor route as `A>B>C` (corridor ids; the vertiports' connectors left out).
    pub fn route_label(&self, net: &Network) -> String {
        self.lanes
            .iter()
            .filter(|&&l| !net.lanes[l].connector)
            .map(|&l| net.corridor_ids[net.lanes[l].corridor].as_str())
            .collect::<Vec<_>>()
            .join(">")
    }
}

/// One flight to be flown.
#[derive(Debug, Clone)]
pub struct Flight {
    /// Flight id.
    pub id: String,
    /// The plan (route) it flies.
    pub plan: PlanId,
    /// The plan it was filed with (the time-optimal route; `plan` differs when strategic
    /// deconfliction rerouted it).
    pub filed_plan: PlanId,
    /// Departure as filed (rounded up to a step), seconds.
    pub scheduled_s: f64,
    /// Departure it is cleared for: the filed one, or later when strategic deconfliction
    /// holds it on the ground, seconds.
    pub departure_s: f64,
    /// Arrival of the unconstrained plan (filed departure, time-optimal route): what delay
    /// is measured against, seconds.
    pub unconstrained_arrival_s: f64,
    /// Priority class.
    pub priority: u32,
    /// Whether strategic deconfliction moved it off its time-optimal route.
    pub rerouted: bool,
    /// Why it was cancelled before take-off, if it was (boxed: few flights are, and
    /// every flight carries the field).
    pub cancelled: Option<Box<CancelReason>>,
}

/// Power in watts at along-path speed `u` on a segment with direction `dir`.
pub fn power_w(t: &DroneType, dir: &[f64; 3], u: f64) -> f64 {
    power_in_wind_w(t, dir, u, [0.0; 2])
}

/// [`power_w`] in wind `w` (`[east, north]` m/s): the power follows the airspeed, so a
/// headwind costs power as well as time, and hovering in wind costs what flying at the
/// wind's speed does.
pub fn power_in_wind_w(t: &DroneType, dir: &[f64; 3], u: f64, w: [f64; 2]) -> f64 {
    if dir[2] > 1e-3 && u > 0.0 {
        return t.climb_power();
    }
    let vh = crate::network::weather::horizontal_airspeed(u, dir, [0.0; 2], w)
        .unwrap_or(u * dir[0].hypot(dir[1]));
    power_at_airspeed_w(t, vh)
}

/// Level-flight power at horizontal airspeed `vh`: linear from hover power at 0 to
/// cruise power at cruise speed, the same slope beyond, watts.
pub fn power_at_airspeed_w(t: &DroneType, vh: f64) -> f64 {
    t.hover_power_w + (t.cruise_power_w - t.hover_power_w) * vh / t.cruise_speed_mps
}

/// Time-optimal route (A*, a turn costing [`TURN_COST_S`]) from `origin` to
/// `destination` for a drone type, as lanes.
pub fn route(
    net: &Network,
    origin: NodeId,
    destination: NodeId,
    t: &DroneType,
) -> Option<Vec<LaneId>> {
    route_weighted(net, origin, destination, t, &BTreeMap::new())
}

/// [`route`] with each lane's flight time multiplied by `penalty[lane]` (at least 1; a
/// lane not in `penalty` has none).
pub fn route_weighted(
    net: &Network,
    origin: NodeId,
    destination: NodeId,
    t: &DroneType,
    penalty: &BTreeMap<LaneId, f64>,
) -> Option<Vec<LaneId>> {
    // Flights start and end at vertiports' fixes, at the end of their connectors.
    let fix = |n: NodeId| net.terminal(n).map_or(n, |t| t.fix);
    lanes_between(net, fix(origin), fix(destination), t, penalty)
}

/// The quickest lanes from node `from` (where a lane ends: a junction, or a vertiport's
/// junction) to vertiport `destination` (the end of its arrival connector): a diversion
/// from the air.
pub fn route_from(
    net: &Network,
    from: NodeId,
    destination: NodeId,
    t: &DroneType,
) -> Option<Vec<LaneId>> {
    let fix = net.terminal(destination).map_or(destination, |t| t.fix);
    lanes_between(net, from, fix, t, &BTreeMap::new())
}

/// What a turn costs a route in the search ([`route`]), seconds: among routes within a
/// second a turn of each other, the one with the fewest turns. On a lattice every
/// staircase between two corners takes the same time, and in a layered airspace each turn
/// is a change of level, a junction transition across the other layers' streams and a
/// merge into another stream; left to the search's tie-breaking, 72 % of the region
/// files' mesh routes took three turns or more where one does.
pub const TURN_COST_S: f64 = 1.0;

/// The least change of heading at a node that counts as a turn for [`TURN_COST_S`].
const TURN_MIN_DEG: f64 = 10.0;

/// A* between two graph nodes (see [`route_weighted`]), over lanes rather than nodes: a
/// route's cost is its flight time (under the speed limits, with the climb off the
/// origin and the descent onto the destination) plus [`TURN_COST_S`] per turn, and a
/// turn's cost depends on the lane it comes from, which a search over nodes (petgraph's
/// `astar`) cannot see. A lane straight back along its own corridor is never taken.
fn lanes_between(
    net: &Network,
    origin: NodeId,
    destination: NodeId,
    t: &DroneType,
    penalty: &BTreeMap<LaneId, f64>,
) -> Option<Vec<LaneId>> {
    use strategic::Time;
    let speed = |lane: usize| net.lanes[lane].speed_limit_mps.min(t.cruise_speed_mps);
    let v_best = net.max_speed_limit_mps.min(t.cruise_speed_mps);
    let penalty = |l: usize| penalty.get(&LaneId::new(l)).copied().unwrap_or(1.0);
    if v_best <= 0.0 {
        return None;
    }
    let goal = net.nodes[destination].en;
    let ground = |n: NodeId| net.nodes[n].ground_alt_m;
    let lane_cost = |li: usize| {
        let l = &net.lanes[li];
        let mut cost = l.length_m / speed(li) * penalty(li);
        if l.from == origin {
            cost += (l.alt_m - ground(origin)).max(0.0) / t.climb_rate_mps;
        }
        if l.to == destination {
            cost += (l.alt_m - ground(destination)).max(0.0) / t.descent_rate_mps;
        }
        cost
    };
    let estimate = |n: NodeId| {
        let p = net.nodes[n].en;
        // Projected distance can exceed geodesic by < 0.01 %: shrink to stay admissible.
        (p[0] - goal[0]).hypot(p[1] - goal[1]) * 0.999 / v_best
    };
    let straight = std::f64::consts::PI - TURN_MIN_DEG.to_radians();
    let leaving = |n: NodeId| {
        net.graph
            .edges(NodeIndex::new(n.index()))
            .map(|e| e.weight().index())
    };
    SEARCH.with_borrow_mut(|search| {
        search.fit(net.lanes.len());
        let Search {
            best,
            came_from,
            touched,
            queue,
        } = search;
        let mut reach = |queue: &mut BinaryHeap<SearchEntry>,
                         best: &mut [f64],
                         lane: usize,
                         cost: f64,
                         from: usize| {
            if cost < best[lane] {
                if best[lane] == f64::INFINITY {
                    touched.push(lane);
                }
                best[lane] = cost;
                came_from[lane] = from;
                let total = cost + estimate(net.lanes[lane].to);
                queue.push(Reverse((Time(total), lane, Time(cost))));
            }
        };
        for l in leaving(origin) {
            reach(queue, best, l, lane_cost(l), usize::MAX);
        }
        let mut last = None;
        while let Some(Reverse((_, lane, Time(cost)))) = queue.pop() {
            if cost > best[lane] {
                continue;
            }
            let l = &net.lanes[lane];
            if l.to == destination {
                last = Some(lane);
                break;
            }
            for next in leaving(l.to) {
                let m = &net.lanes[next];
                if m.corridor == l.corridor && m.to == l.from {
                    continue;
                }
                let turn = !l.connector
                    && !m.connector
                    && net.turn_angle(LaneId::new(lane), LaneId::new(next)) < straight;
                let cost = cost + lane_cost(next) + if turn { TURN_COST_S } else { 0.0 };
                reach(queue, best, next, cost, lane);
            }
        }
        let lanes = last.map(|last| {
            let mut lanes = Vec::new();
            let mut at = last;
            while at != usize::MAX {
                lanes.push(LaneId::new(at));
                at = came_from[at];
            }
            lanes.reverse();
            lanes
        });
        search.clear();
        lanes
    })
}

/// An entry of the search's queue: least estimated total first, then the lower lane, so
/// that ties resolve the same way every run (and the entry's cost, to tell it from a
/// later, cheaper one).
type SearchEntry = Reverse<(strategic::Time, usize, strategic::Time)>;

/// The route search's per-lane state, kept between searches: on the region files' 68,000
/// lanes, allocating and zeroing it (1 MB) for each search put a quarter of a profile of
/// `gba_100k`'s planning and early clearing in the kernel's page clearing and `memset`.
/// Only the lanes a search reached are reset after it.
#[derive(Default)]
struct Search {
    /// Least cost found to the end of each lane (infinite: not reached).
    best: Vec<f64>,
    /// The lane before each reached lane on its best way.
    came_from: Vec<usize>,
    /// The lanes reached, to reset.
    touched: Vec<usize>,
    queue: BinaryHeap<SearchEntry>,
}

impl Search {
    /// Ready for a network of `lanes` lanes.
    fn fit(&mut self, lanes: usize) {
        // A search that panicked (a bug) leaves its lanes set: reset them first.
        self.clear();
        if self.best.len() != lanes {
            self.best = vec![f64::INFINITY; lanes];
            self.came_from = vec![usize::MAX; lanes];
        }
    }

    /// Back to no lane reached.
    fn clear(&mut self) {
        for &l in &self.touched {
            self.best[l] = f64::INFINITY;
            self.came_from[l] = usize::MAX;
        }
        self.touched.clear();
        self.queue.clear();
    }
}

thread_local! {
    static SEARCH: std::cell::RefCell<Search> = std::cell::RefCell::default();
}

/// An origin, a destination and a drone type.
pub(crate) type Trip = (NodeId, NodeId, DroneTypeId);

/// `f` of each distinct trip of `trips`, computed on rayon's pool (each call stands
/// alone): the same map whatever the thread count.
fn per_trip<T: Send>(
    trips: impl Iterator<Item = Trip>,
    f: impl Fn(Trip) -> T + Sync,
) -> BTreeMap<Trip, T> {
    use rayon::prelude::*;
    let mut trips: Vec<Trip> = trips.collect();
    trips.sort_unstable();
    trips.dedup();
    trips.into_par_iter().map(|k| (k, f(k))).collect()
}

/// Builds the 3D path and unobstructed 4D profile of a route (from a departure connector
/// to an arrival connector) between FATOs `fato = [origin, destination]`: a vertical climb
/// off the origin FATO to the departure level, level to the fix, the lanes (with ramps
/// where levels change), level from the destination's fix to above its FATO, and a
/// vertical descent onto it.
pub fn build_plan(
    net: &Network,
    lanes: Vec<LaneId>,
    drone_type: DroneTypeId,
    t: &DroneType,
    dt: f64,
    fato: [u8; 2],
) -> Plan {
    let first = &net.lanes[lanes[0]];
    let last = &net.lanes[*lanes.last().unwrap()];
    let (origin, destination) = (first.to, last.from);
    let (to, td) = (
        net.terminal(origin).expect("flights start at vertiports"),
        net.terminal(destination)
            .expect("flights end at vertiports"),
    );
    let (fo, fd) = (to.fatos[fato[0] as usize], td.fatos[fato[1] as usize]);
    let path = route_path(net, &lanes, t, (to, fo), (td, fd));
    let seg_wind: Box<[SegWind]> = if net.weather.uniform() {
        Box::default()
    } else {
        path.segs
            .iter()
            .map(|g| net.weather.seg(g.start, g.end()))
            .collect()
    };
    let forecast = |k: usize| {
        seg_wind.get(k).map_or_else(
            || net.weather.forecast.at(path.segs[k].start),
            |w| w.forecast,
        )
    };
    let Flown {
        seg_t,
        knots,
        time,
        energy_wh,
    } = fly(&path, t, dt, forecast);
    let over_water_m = lanes.iter().map(|&l| net.lanes[l].over_water_m).sum();
    // A gate is passed where the lane after it starts (its first segment, ramp or level).
    let mut gates = Vec::new();
    let mut k0 = 0;
    for w in lanes.windows(2) {
        let node = net.lanes[w[0]].to;
        if net.nodes[node].gate_spacing_s().is_none() {
            continue;
        }
        if let Some(k) = (k0..path.segs.len()).find(|&k| path.segs[k].lane == Some(w[1])) {
            gates.push((path.cum[k], node));
            k0 = k;
        }
    }
    let mut marks = Marks::of(&path, &seg_t);
    marks.clear_m = td.clear_m;
    marks.trail_m = td.trail_m;
    let mut plan = Plan {
        marks,
        seg_wind,
        gates,
        fato,
        fato_clear_s: t.fato_clear_s,
        family: PlanId::new(0),
        origin,
        destination,
        drone_type,
        over_water_m,
        lanes,
        path,
        seg_t,
        knots,
        duration_s: time,
        energy_wh,
        shed: false,
    };
    let u = t.cruise_speed_mps;
    let ask_m = asking_reach_m(u, t.accel_mps2, dt) + u * dt + td.clear_m;
    let asks_s = plan.planned_time_at((plan.fix_m() - ask_m).max(0.0));
    // The origin FATO is free once the departure is a horizontal minimum (and 5 %) along
    // its leg: the next one's climb is then clear of it.
    let h_min = net.lanes[to.departure_lane].minima[0];
    let clear_of_fato = plan.path.horizontal_from(plan.climb_done_m(), 1.05 * h_min);
    plan.marks.fato_s = [
        (0.0, plan.planned_time_at(clear_of_fato) + dt),
        ((asks_s - dt).max(0.0), time + t.fato_clear_s),
    ];
    // Plans are kept to the end of the run (at region scale hundreds of thousands of
    // them, variants included, over a gigabyte): built by pushing, their vectors held
    // about a third spare.
    plan.lanes.shrink_to_fit();
    plan.path.segs.shrink_to_fit();
    plan.path.cum.shrink_to_fit();
    plan.seg_t.shrink_to_fit();
    plan.knots.shrink_to_fit();
    plan.gates.shrink_to_fit();
    plan
}

/// How far ahead along its path a drone flying at `u` asks for what it will need to stop
/// for (a destination FATO, a gate's clearance), metres: its braking distance from the
/// speed it may reach in the next step, plus two steps at that speed and a metre.
pub fn asking_reach_m(u: f64, accel_mps2: f64, dt: f64) -> f64 {
    asking_reach_bound_m(u, (accel_mps2, accel_mps2), dt)
}

/// [`asking_reach_m`] with the speed reached in the next step found with `gain_mps2` and
/// the braking distance from it with `brake_mps2`: with the greatest and the least of
/// several types' accelerations, no less than any of their reaches (it grows with the
/// speed reached and shrinks with the braking).
pub fn asking_reach_bound_m(u: f64, (gain_mps2, brake_mps2): (f64, f64), dt: f64) -> f64 {
    let u = u + gain_mps2 * dt;
    u * u / (2.0 * brake_mps2) + 2.0 * u * dt + 1.0
}

/// The 3D path of a route (`lanes`) for type `t` from origin FATO `fo` of terminal `to`
/// to destination FATO `fd` of `td`: a vertical climb off the FATO to the departure
/// level, level to the fix, the lanes (ramps where levels change at a lane's start),
/// level from the destination's fix to above its FATO, and a vertical descent onto it.
fn route_path(
    net: &Network,
    lanes: &[LaneId],
    t: &DroneType,
    (to, fo): (&Terminal, [f64; 2]),
    (td, fd): (&Terminal, [f64; 2]),
) -> Path {
    let dist = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).hypot(a[1] - b[1]);
    let w = &net.weather.forecast;
    let mut pts = vec![[fo[0], fo[1], to.ground_alt_m]];
    let (mut horiz, mut vh, mut lane_of) = (Vec::new(), Vec::new(), Vec::new());
    let (first, last) = (&net.lanes[lanes[0]], &net.lanes[lanes[lanes.len() - 1]]);
    let first_alt = first.alt_m;
    let v_first = first.speed_limit_mps.min(t.cruise_speed_mps);
    pts.push([fo[0], fo[1], first_alt]);
    horiz.push(0.0);
    vh.push(t.cruise_speed_mps);
    lane_of.push(None);
    pts.push([to.fix_en[0], to.fix_en[1], first_alt]);
    horiz.push(dist(fo, to.fix_en));
    vh.push(v_first);
    lane_of.push(None);
    let mut alt = first_alt;
    for &li in lanes {
        let l = &net.lanes[li];
        let v = l.speed_limit_mps.min(t.cruise_speed_mps);
        for k in 0..l.leg_m.len() {
            let (a, b) = (l.points[k], l.points[k + 1]);
            if k == 0 && (l.alt_m - alt).abs() > 1e-9 {
                // Change level at the start of the lane: ramp over the distance the climb
                // or descent takes at speed, or the whole first leg if that is shorter.
                let rate = if l.alt_m > alt {
                    t.climb_rate_mps
                } else {
                    t.descent_rate_mps
                };
                let ramp = ((l.alt_m - alt).abs() / rate * v).min(l.leg_m[0]);
                let f = ramp / l.leg_m[0];
                pts.push([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, l.alt_m]);
                horiz.push(ramp);
                vh.push(v);
                lane_of.push(Some(li));
                if f < 1.0 {
                    pts.push([b[0], b[1], l.alt_m]);
                    horiz.push(l.leg_m[0] - ramp);
                    vh.push(v);
                    lane_of.push(Some(li));
                }
            } else {
                pts.push([b[0], b[1], l.alt_m]);
                horiz.push(l.leg_m[k]);
                vh.push(v);
                lane_of.push(Some(li));
            }
            alt = l.alt_m;
        }
    }
    pts.push([fd[0], fd[1], alt]);
    horiz.push(dist(td.fix_en, fd));
    vh.push(last.speed_limit_mps.min(t.cruise_speed_mps));
    lane_of.push(None);
    pts.push([fd[0], fd[1], td.ground_alt_m]);
    horiz.push(0.0);
    vh.push(t.cruise_speed_mps);
    lane_of.push(None);
    // Planned in the forecast wind: each leg's speed is the ground speed its airspeed
    // gives along the leg's track in the wind's mean along it.
    if w.uniform() != Some([0.0; 2]) {
        for (k, v) in vh.iter_mut().enumerate() {
            let (a, b) = (pts[k], pts[k + 1]);
            let h = (b[0] - a[0]).hypot(b[1] - a[1]);
            if h > 1e-9 {
                let track = [(b[0] - a[0]) / h, (b[1] - a[1]) / h];
                *v = crate::network::weather::ground_along(*v, track, w.along(a, b));
            }
        }
    }
    Path::new(
        &pts,
        &horiz,
        &vh,
        &lane_of,
        t.climb_rate_mps,
        t.descent_rate_mps,
    )
}

/// The unobstructed 4D profile of a path (see [`fly`]).
struct Flown {
    seg_t: Vec<f64>,
    knots: Vec<(f64, f64)>,
    time: f64,
    energy_wh: f64,
}

/// Flies `path` unobstructed with the simulation's own rule (steps of `dt`): the time
/// from take-off at each segment start and at the end, the profile's knots (see
/// [`Plan::knots`]), the flight time, and the energy used, watt-hours.
fn fly(path: &Path, t: &DroneType, dt: f64, wind: impl Fn(usize) -> [f64; 2]) -> Flown {
    let total = path.total_m();
    let mut m = Motion::default();
    let mut seg_t = vec![0.0];
    let mut knots = vec![(0.0, 0.0)];
    let (mut time, mut energy_wh) = (0.0, 0.0);
    while m.s < total {
        let (s0, seg0, u0) = (m.s, m.seg as usize, m.u);
        let dir = path.segs[seg0].dir;
        advance(path, &mut m, t.accel_mps2, dt, total);
        energy_wh += power_in_wind_w(t, &dir, m.u, wind(seg0)) * dt / 3600.0;
        let moved = m.s - s0;
        // A step that changes speed or crosses a segment start begins a knot too: the
        // speed was constant since the last knot, so the times between stay exact (with
        // only the step's end as a knot, a long cruise ending in a deceleration was
        // interpolated as slightly slower: 16 ms off after 600 s at 50 m/s).
        // The segment starts this step reaches (`cum` is sorted) and passes.
        let reached = seg0 + 1..seg0 + 1 + path.cum[seg0 + 1..].partition_point(|&c| c <= m.s);
        let crossed = reached.clone().filter(|&k| path.cum[k] > s0);
        let crosses = crossed.clone().next().is_some();
        if (crosses || m.u != u0) && knots.last().is_some_and(|k| s0 > k.0) {
            knots.push((s0, time));
        }
        for k in crossed {
            let at = time + dt * (path.cum[k] - s0) / moved.max(1e-12);
            seg_t.push(at);
            knots.push((path.cum[k], at));
        }
        time += dt;
        if (crosses || m.u != u0) && knots.last().is_some_and(|k| m.s > k.0) {
            knots.push((m.s, time));
        }
        if time > 1e7 {
            break; // cannot happen with validated positive speeds; guards a broken invariant
        }
    }
    // (After the guard above, the segments not reached keep its time: `seg_t` always has
    // one entry per segment start and one for the end.)
    seg_t.resize(path.segs.len() + 1, time);
    if knots.last().is_some_and(|k| k.0 < total) {
        knots.push((total, time));
    }
    Flown {
        seg_t,
        knots,
        time,
        energy_wh,
    }
}

/// A flight request before planning: explicit or sampled from a flow.
struct Request {
    id: String,
    origin: NodeId,
    destination: NodeId,
    drone_type: DroneTypeId,
    departure_s: f64,
    priority: u32,
}

fn sample_demand(s: &Scenario, net: &Network) -> Vec<Request> {
    let type_index: BTreeMap<&str, DroneTypeId> = s
        .drone_types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), DroneTypeId::new(i)))
        .collect();
    let mut out = Vec::new();
    for (i, f) in s.demand.flights.iter().enumerate() {
        out.push(Request {
            id: f.id.clone().unwrap_or_else(|| format!("F{i}")),
            origin: net.node_index[&f.origin],
            destination: net.node_index[&f.destination],
            drone_type: type_index[f.drone_type.as_str()],
            departure_s: f.departure_s,
            priority: f.priority,
        });
    }
    for (fi, f) in s.demand.flows.iter().enumerate() {
        let rate_per_s = f.flights_per_hour * s.demand.scale / 3600.0;
        if rate_per_s <= 0.0 {
            continue;
        }
        // One stream per flow: adding a flow never changes another flow's flights.
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        rng.set_stream(fi as u64 + 1);
        let end = f.end_s.unwrap_or(s.duration_s);
        let total_w: f64 = f.mix.values().sum();
        let mut t = f.start_s;
        let mut k = 0;
        // With a time-of-day profile, thinning: candidates at the peak rate, each kept with
        // probability factor(t) / peak factor (a non-homogeneous Poisson process).
        let peak = s.demand.profile.iter().map(|p| p.1).fold(0.0_f64, f64::max);
        let profiled = !s.demand.profile.is_empty();
        if profiled && peak <= 0.0 {
            continue;
        }
        let candidate_rate = if profiled {
            rate_per_s * peak
        } else {
            rate_per_s
        };
        loop {
            let u: f64 = rng.random();
            t += -(1.0 - u).ln() / candidate_rate;
            if t >= end {
                break;
            }
            if profiled && rng.random::<f64>() * peak >= s.demand.factor_at(t) {
                continue;
            }
            let mut pick = rng.random::<f64>() * total_w;
            let mut ty = f.mix.keys().next_back().unwrap().as_str();
            for (name, w) in &f.mix {
                if pick < *w {
                    ty = name;
                    break;
                }
                pick -= w;
            }
            out.push(Request {
                id: format!("{}>{}.{fi}.{k}", f.origin, f.destination),
                origin: net.node_index[&f.origin],
                destination: net.node_index[&f.destination],
                drone_type: type_index[ty],
                departure_s: t,
                priority: f.priority,
            });
            k += 1;
        }
    }
    out
}

/// What is kept of each plan from planning to the end of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PlanKeeping {
    /// Every plan whole throughout: what the window, the exports and anything reading a
    /// flight's path before it is due need.
    #[default]
    All,
    /// A plan whole only while a flight that is due, waiting or in the air flies it (or,
    /// with strategic deconfliction, while a flight is being cleared with it): shed
    /// ([`Plan::shed`]) as it is planned and rebuilt when needed, so that plan memory
    /// follows the flights in progress rather than the day's; and, with strategic
    /// deconfliction, the bookings behind the clock forgotten as the simulation goes
    /// ([`crate::sim::Simulation::forget_past_bookings`]). The same results, bit for bit.
    InUse,
}

/// Samples demand and plans every flight. Flights come back sorted by departure (ties by
/// their order in the scenario). A pair with no route is an error naming the pair.
pub fn plan_all(s: &Scenario, net: &Network) -> Result<Planned, Vec<ValidationError>> {
    plan_all_keeping(s, net, PlanKeeping::All)
}

/// [`plan_all`], keeping of each plan what `keeping` says (see [`PlanKeeping`]).
pub fn plan_all_keeping(
    s: &Scenario,
    net: &Network,
    keeping: PlanKeeping,
) -> Result<Planned, Vec<ValidationError>> {
    // Plans are shed as they are built (the clearing makes whole the few it reads at a
    // time): the planning peak is then one whole plan, not the day's.
    let shed_now = keeping == PlanKeeping::InUse;
    let requests = sample_demand(s, net);
    // Each origin, destination and type's route, searched in parallel (each search stands
    // alone); the plans are built in the requests' order below, as they always were.
    let mut found = per_trip(
        requests
            .iter()
            .map(|r| (r.origin, r.destination, r.drone_type)),
        |(o, d, ty)| route(net, o, d, &s.drone_types[ty]),
    );
    let mut plans: Vec<Plan> = Vec::new();
    let mut by_key: BTreeMap<Trip, Option<PlanId>> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut flights = Vec::with_capacity(requests.len());
    for r in requests {
        let key = (r.origin, r.destination, r.drone_type);
        let plan = *by_key.entry(key).or_insert_with(|| {
            let t = &s.drone_types[r.drone_type];
            match found.remove(&key).flatten() {
                Some(lanes) => {
                    let mut plan = build_plan(net, lanes, r.drone_type, t, s.dt_s, [0, 0]);
                    plan.family = PlanId::new(plans.len());
                    if shed_now {
                        plan.shed();
                    }
                    plans.push(plan);
                    Some(PlanId::new(plans.len() - 1))
                }
                None => {
                    let (o, d) = (&net.nodes[r.origin].id, &net.nodes[r.destination].id);
                    errors.push(ValidationError::item(
                        "demand",
                        &format!("{o}->{d}"),
                        "destination",
                        format!("no route from {o} to {d} over the corridor network (check corridor directions)"),
                    ));
                    None
                }
            }
        });
        if let Some(plan) = plan {
            flights.push(Flight {
                id: r.id,
                plan,
                filed_plan: plan,
                scheduled_s: r.departure_s,
                departure_s: r.departure_s,
                unconstrained_arrival_s: f64::NAN,
                priority: r.priority,
                rerouted: false,
                cancelled: None,
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Departures happen on step boundaries: round each up to the next step, so a flight
    // that waits for nothing flies exactly its plan.
    let dt = s.dt_s;
    for f in &mut flights {
        f.scheduled_s = (f.scheduled_s / dt - 1e-9).ceil().max(0.0) * dt;
        f.departure_s = f.scheduled_s;
        f.unconstrained_arrival_s = f.scheduled_s + plans[f.plan].duration_s;
    }
    flights.sort_by(|a, b| a.departure_s.total_cmp(&b.departure_s));
    let bookings = s.deconfliction.strategic.then(|| {
        let table = strategic::assign(s, net, (&mut plans, &mut flights), keeping);
        // The simulation releases flights in order of their cleared departures.
        flights.sort_by(|a, b| a.departure_s.total_cmp(&b.departure_s));
        table
    });
    Ok(Planned {
        plans,
        flights,
        bookings,
    })
}

/// What [`plan_all`] gives: every plan, the flights sorted by departure and, with
/// strategic deconfliction, the bookings they were cleared with.
#[derive(Debug)]
pub struct Planned {
    /// Every plan: the routes, their alternatives and FATO variants.
    pub plans: Vec<Plan>,
    /// The flights, sorted by (cleared) departure.
    pub flights: Vec<Flight>,
    /// The reservation table of the cleared flights (strategic deconfliction only).
    pub bookings: Option<strategic::Reservations>,
}
