//! Strategic deconfliction: 4D reservations before take-off.
//!
//! Flights are served one by one (first filed first, or by priority class). Each tries
//! its time-optimal route and up to `alternatives - 1` others (A* again with the lanes of
//! the routes found so far made four times as costly), each at the earliest departure its
//! bookings allow ([`Reservations::earliest`]: every booking forbids one open interval of
//! departures, and the first free step is found in one sweep), and takes the one that
//! *arrives* earliest. It fits when
//! - every lane it flies admits it: no other booked entry into that lane is closer in
//!   time than the lane's booked headway ([`crate::network::Lane::booked_headway_s`]),
//!   and it leaves the lane in the order it entered, a headway from the exits before and
//!   after it (so no flight overtakes another inside a lane, whatever their speeds);
//! - every junction it changes lanes at admits its transition ([`junction_passages`]),
//!   every crossing of its lanes with others admits its passage ([`crossing_passages`]),
//!   and every lane end whose level it ramps through beside it, or whose ramp zone it
//!   flies, admits it ([`ramp_passages`]);
//! - its origin has a FATO free from take-off until it is 1.05 minima along its leg, with
//!   that FATO's leg admitting it ([`leg_passage`]), and its destination one free from a
//!   step before it would ask until its type's `fato_clear_s` after touchdown (every FATO
//!   of a vertiport is as far from its fix, so any will do: the booking names the one
//!   taken); the destination has a stand for the turnaround; the fans where the legs meet
//!   the fix admit it ([`fan_passages`]);
//! - every border gate on it admits it: no other booked passage of that gate is closer in
//!   time than `3600 / capacity_per_hour` seconds.
//!
//! A flight whose every route needs more than `1 - battery_reserve` of its battery, or that
//! would wait longer than `max_ground_delay_s`, is cancelled with the reason. With the
//! simulation flying by the book, a flight nothing disturbs flies its cleared plan exactly
//! and never loses separation (tests/it/sound.rs).

use std::collections::BTreeMap;
use std::fmt;

use super::track::{TrackKnot, track, track_conflicts};
use super::{Flight, Plan, PlanKeeping, build_plan};
use crate::ids::{LaneId, NodeId, PlanId};
use crate::network::{LaneEnd, Network};
use crate::scenario::{DroneType, Scenario, ServiceOrder};

/// A time as an ordered key (the total order of `f64`; also the route search's queue key).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Time(pub(super) f64);

impl Eq for Time {}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The bookings of one resource, ordered by start time (ties in booking order), kept in
/// sorted chunks of at most 256: booking and unbooking shift at most one chunk, not
/// every later booking, and the scans that dominate clearing (every booking of a busy
/// junction over the ground-delay window, for every request) read contiguous memory
/// instead of chasing a tree's nodes. A booking is its start and what its value keeps
/// beside it ([`Booking::Kept`]): at region scale the tables hold tens of millions.
#[derive(Debug, Clone)]
pub struct Table<V: Booking> {
    /// `(start, what the value keeps)`, in order, a new booking after those with the
    /// same start; no chunk is empty.
    chunks: Vec<Vec<(Time, V::Kept)>>,
    len: usize,
    /// The longest booking ever made here (end minus start), seconds: how far before a
    /// time a booking overlapping it can start.
    longest_s: f64,
}

/// What is done to every table of a [`Reservations`], whatever it books
/// ([`Reservations::each_table`]).
trait EachTable {
    fn table<V: Booking>(&mut self, t: &mut Table<V>);
}

/// The most bookings one chunk of a [`Table`] holds before it is split in two.
const CHUNK: usize = 256;

/// A value booked in a [`Table`], and what the table keeps of it beside the booking's
/// start (a value that repeats its start keeps the rest).
pub trait Booking: Copy {
    /// What is kept.
    type Kept: Copy;
    /// What is kept of `self`.
    fn kept(self) -> Self::Kept;
    /// The value booked from `start` that `kept` is kept of.
    fn from_kept(start: f64, kept: Self::Kept) -> Self;
}

impl Booking for f64 {
    type Kept = f64;
    fn kept(self) -> f64 {
        self
    }
    fn from_kept(_: f64, kept: f64) -> f64 {
        kept
    }
}

impl Booking for () {
    type Kept = ();
    fn kept(self) {}
    fn from_kept(_: f64, _: ()) {}
}

/// A [`Passage`] as booked, without its start (the booking's), its altitudes in single
/// precision (which they are: the plan's altitudes are rounded outwards to it,
/// [`Passage::alt_m`]).
#[derive(Debug, Clone, Copy)]
pub struct KeptPassage {
    to_s: f64,
    alt_m: (f32, f32),
    lanes: (LaneId, LaneId),
    shape: ShapeId,
    exclusive: bool,
}

impl Booking for Passage {
    type Kept = KeptPassage;
    fn kept(self) -> KeptPassage {
        let alt_m = (self.alt_m.0 as f32, self.alt_m.1 as f32);
        let exact = |k: f32, x: f64| f64::from(k) == x || x.is_nan();
        debug_assert!(
            exact(alt_m.0, self.alt_m.0) && exact(alt_m.1, self.alt_m.1),
            "altitudes kept exactly: {:?}",
            self.alt_m
        );
        KeptPassage {
            to_s: self.to_s,
            alt_m,
            lanes: self.lanes,
            shape: self.shape,
            exclusive: self.exclusive,
        }
    }
    fn from_kept(start: f64, k: KeptPassage) -> Passage {
        Passage {
            from_s: start,
            to_s: k.to_s,
            lanes: k.lanes,
            exclusive: k.exclusive,
            alt_m: (f64::from(k.alt_m.0), f64::from(k.alt_m.1)),
            shape: k.shape,
        }
    }
}

impl Booking for (Passage, u32) {
    type Kept = (KeptPassage, u32);
    fn kept(self) -> (KeptPassage, u32) {
        (self.0.kept(), self.1)
    }
    fn from_kept(start: f64, (k, id): (KeptPassage, u32)) -> (Passage, u32) {
        (Passage::from_kept(start, k), id)
    }
}

/// The bookings either side of a time: `(start, value)` before it and at or after it.
type Around<V> = (Option<(f64, V)>, Option<(f64, V)>);

impl<V: Booking> Default for Table<V> {
    fn default() -> Self {
        Table {
            chunks: Vec::new(),
            len: 0,
            longest_s: 0.0,
        }
    }
}

impl<V: Booking> Table<V> {
    /// The place of the first booking starting at or after `t`: `(chunk, index)`,
    /// `(chunks, 0)` past the end.
    fn lower_bound(&self, t: f64) -> (usize, usize) {
        self.partition(|e| e < Time(t))
    }

    /// The place of the first booking that does not satisfy `before` (which every
    /// booking before it does, in order).
    fn partition(&self, before: impl Fn(Time) -> bool) -> (usize, usize) {
        let c = self
            .chunks
            .partition_point(|ch| ch.last().is_some_and(|e| before(e.0)));
        match self.chunks.get(c) {
            Some(ch) => (c, ch.partition_point(|e| before(e.0))),
            None => (c, 0),
        }
    }

    /// Books `v` from `start` (after every booking with the same start), `len_s` long.
    fn insert(&mut self, start: f64, v: V, len_s: f64) {
        let key = Time(start);
        let (mut c, mut i) = self.partition(|e| e <= key);
        if self.chunks.is_empty() {
            self.chunks.push(Vec::new());
        } else if c == self.chunks.len() {
            c -= 1;
            i = self.chunks[c].len();
        }
        let chunk = &mut self.chunks[c];
        if chunk.len() == chunk.capacity() {
            // Grown by a quarter, not doubled: at region scale the tables hold gigabytes,
            // and doubled chunks (a late booking into a shrunk one, the newest one
            // filling) left a third of that unused.
            chunk.reserve_exact((chunk.len() / 4).max(4));
        }
        chunk.insert(i, (key, v.kept()));
        if chunk.len() > CHUNK {
            // Bookings come mostly in order of time, so most go into the last chunk: the
            // one split off is the newest eighth, and the rest gives back its spare room.
            let tail = chunk.split_off(CHUNK - CHUNK / 8);
            chunk.shrink_to_fit();
            self.chunks.insert(c + 1, tail);
        }
        self.len += 1;
        self.longest_s = self.longest_s.max(len_s);
    }

    /// Removes one booking starting at `start` that `is` picks.
    fn remove(&mut self, start: f64, is: impl Fn(&V) -> bool) {
        let (mut c, mut i) = self.lower_bound(start);
        while let Some(chunk) = self.chunks.get(c) {
            match chunk.get(i) {
                None => (c, i) = (c + 1, 0),
                Some(e) if e.0.cmp(&Time(start)).is_ne() => return,
                Some(e) if !is(&V::from_kept(start, e.1)) => i += 1,
                Some(_) => {
                    self.chunks[c].remove(i);
                    if self.chunks[c].is_empty() {
                        self.chunks.remove(c);
                    }
                    self.len -= 1;
                    return;
                }
            }
        }
    }

    /// The bookings from place `a` up to place `z` (see [`Table::lower_bound`]).
    fn between(&self, a: (usize, usize), z: (usize, usize)) -> impl Iterator<Item = (f64, V)> {
        let last = z.0.min(self.chunks.len().saturating_sub(1));
        (a.0..=last)
            .filter(move |_| a < z)
            .flat_map(move |c| {
                let chunk = &self.chunks[c];
                let from = if c == a.0 { a.1 } else { 0 };
                let to = if c == z.0 { z.1 } else { chunk.len() };
                &chunk[from..to.max(from)]
            })
            .map(|&(k, v)| (k.0, V::from_kept(k.0, v)))
    }

    /// Bookings starting in `[from, to)`, in order: `(start, value)`.
    pub fn starting_in(&self, from: f64, to: f64) -> impl Iterator<Item = (f64, V)> {
        let (a, z) = if from < to {
            (self.lower_bound(from), self.lower_bound(to))
        } else {
            ((0, 0), (0, 0))
        };
        self.between(a, z)
    }

    /// The last booking starting before `t`, and the first starting at or after it.
    fn around(&self, t: f64) -> Around<V> {
        let (c, i) = self.lower_bound(t);
        let at = |c: usize, i: usize| self.chunks.get(c).and_then(|ch| ch.get(i));
        let pick = |e: Option<&(Time, V::Kept)>| e.map(|&(k, v)| (k.0, V::from_kept(k.0, v)));
        let before = if i > 0 {
            at(c, i - 1)
        } else if c > 0 {
            self.chunks[c - 1].last()
        } else {
            None
        };
        (pick(before), pick(at(c, i)))
    }

    /// Bookings that may overlap `[from, to)` (those starting within the longest booking
    /// before it), in order.
    fn near(&self, from: f64, to: f64) -> impl Iterator<Item = (f64, V)> {
        self.starting_in(from - self.longest_s, to)
    }

    /// Forgets the bookings starting before `t` (whole chunks freed; the longest
    /// booking made here is still remembered). Returns how many.
    fn forget_before(&mut self, t: f64) -> usize {
        if t.is_nan() {
            // Past every time in the order of `Time`: nothing is known to be behind it.
            return 0;
        }
        let key = Time(t);
        let c = self
            .chunks
            .partition_point(|ch| ch.last().is_some_and(|e| e.0 < key));
        let mut gone: usize = self.chunks.drain(..c).map(|ch| ch.len()).sum();
        if let Some(ch) = self.chunks.first_mut() {
            // Not emptied: its last booking starts at or after `t`.
            let i = ch.partition_point(|e| e.0 < key);
            ch.drain(..i);
            gone += i;
        }
        if self.chunks.is_empty() {
            self.chunks = Vec::new();
        }
        self.len -= gone;
        gone
    }

    /// Gives back the room its chunks hold beyond their bookings.
    fn shrink_to_fit(&mut self) {
        self.chunks.iter_mut().for_each(Vec::shrink_to_fit);
        self.chunks.shrink_to_fit();
    }

    /// How many bookings there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Every distinct fan profile, by id, and the gaps found between pairs of them.
#[derive(Debug, Clone, Default)]
struct FanProfiles {
    ids: std::collections::HashMap<Vec<u64>, u32>,
    list: Vec<FanProfile>,
    /// `(leader, follower)` -> [`fan_gap_s`].
    gaps: std::collections::HashMap<(u32, u32), f64>,
    /// The distance kept along the paths, metres.
    gap_m: f64,
}

/// The reservation tables.
#[derive(Debug, Default, Clone)]
pub struct Reservations {
    /// Per lane, booked entries with their exits (no booking overtakes another inside a
    /// lane, so they are in the same order at both ends).
    pub lanes: Vec<Table<f64>>,
    /// Per node, per FATO, booked movements: from when it is taken to when it is free
    /// again (see [`Plan::fato_s`]); never two at once on one FATO.
    pub fatos: Vec<Vec<Table<f64>>>,
    /// Per node, booked stand turnarounds (from the FATO cleared to the turnaround done).
    pub stands: Vec<Table<f64>>,
    /// Per node (border gates only), booked passage times.
    pub gates: Vec<Table<()>>,
    /// Per node where lanes meet, booked transitions (see [`junction_passages`]).
    pub junctions: Vec<Table<Passage>>,
    /// Per crossing of the network, booked passages (see [`crossing_passages`]).
    pub crossings: Vec<Table<Passage>>,
    /// Per lane end ([`LaneEnd::index`]), booked passages through its ramp zone (see
    /// [`ramp_passages`]).
    pub ramps: Vec<Table<Passage>>,
    /// Per terminal, booked passages through its departure and arrival fans (see
    /// [`fan_passages`]), with their profile ids.
    pub fans: Vec<Table<(Passage, u32)>>,
    /// Per node, per FATO, booked departures along its leg, with their profile ids.
    pub legs: Vec<Vec<Table<(Passage, u32)>>>,
    /// The junction tracks met so far and the offsets between them (shared by clones of
    /// the table: they only grow, and depend on nothing booked).
    shapes: std::sync::Arc<std::sync::Mutex<Shapes>>,
    /// The fan profiles met so far and the gaps between them.
    profiles: std::sync::Arc<std::sync::Mutex<FanProfiles>>,
    /// Added to every headway and to both ends of every occupied interval, seconds.
    buffer_s: f64,
}

/// The passages of a plan through the crossings of the lanes it flies (see
/// [`crate::network::crossings`]), in seconds from take-off: from the crossing's zone
/// before it to as far after it, tagged with the lane flown (twice). Two passages of a
/// crossing on different lanes may not overlap in time.
pub fn crossing_passages(net: &Network, plan: &Plan) -> Vec<(usize, Passage)> {
    let mut out = Vec::new();
    for (lane, run) in plan.path.lane_runs() {
        for &c in &net.lane_crossings[lane.index()] {
            let x = &net.crossings[c];
            let d = if x.lanes.0 == lane {
                x.along_m.0
            } else {
                x.along_m.1
            };
            // Where on the path it is that far along the lane (horizontally).
            let s = plan.path.horizontal_from(plan.path.cum[run.start], d);
            if s > plan.path.cum[run.end] + 1e-9 {
                continue;
            }
            let (from, to) = (
                plan.path.horizontal_from(s, -x.zone_m),
                plan.path.horizontal_from(s, x.zone_m),
            );
            out.push((
                c,
                Passage {
                    from_s: plan.planned_time_at(from),
                    to_s: plan.planned_time_at(to),
                    lanes: (lane, lane),
                    exclusive: false,
                    alt_m: alt_range(plan, from, to, 0.5 * x.vertical_m),
                    shape: ShapeId::NONE,
                },
            ));
        }
    }
    out
}

/// Every altitude: a passage that is never vertically apart from another.
const ANY_ALT: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);

/// The lowest and highest altitude `plan` flies between path distances `from` and `to`,
/// grown by `grow` at both ends, metres, rounded outwards to single precision (by under
/// a tenth of a millimetre below 1,000 m): the tables keep them in four bytes each
/// ([`KeptPassage`]), exactly.
fn alt_range(plan: &Plan, from: f64, to: f64, grow: f64) -> (f64, f64) {
    let path = &plan.path;
    let z = |s: f64| path.point_at(s)[2];
    let (mut lo, mut hi) = (z(from).min(z(to)), z(from).max(z(to)));
    for &c in path.cum.iter().filter(|&&c| c > from && c < to) {
        lo = lo.min(z(c));
        hi = hi.max(z(c));
    }
    (f32_below(lo - grow), f32_above(hi + grow))
}

/// The largest single-precision value not above `x`.
fn f32_below(x: f64) -> f64 {
    let f = x as f32;
    f64::from(if f64::from(f) > x { f.next_down() } else { f })
}

/// The smallest single-precision value not below `x`.
fn f32_above(x: f64) -> f64 {
    let f = x as f32;
    f64::from(if f64::from(f) < x { f.next_up() } else { f })
}

/// What a plan uses, in seconds from take-off (independent of its departure): found once
/// per plan, then tried at many departures.
#[derive(Debug, Clone)]
pub struct PlanUses {
    /// `(lane, entry, exit, headway_s)`.
    lanes: Vec<(LaneId, f64, f64, f64)>,
    /// `(node, from, to)` at the origin and at the destination: any FATO of the node will
    /// do (every FATO's legs take the same time; see [`crate::network::terminal`]).
    fatos: [(NodeId, f64, f64); 2],
    /// `(node, from, to, stands)`: the turnaround on a stand at the destination.
    stand: (NodeId, f64, f64, u32),
    /// `(node, passage, spacing_s)`.
    gates: Vec<(NodeId, f64, f64)>,
    junctions: Vec<(NodeId, Passage)>,
    crossings: Vec<(usize, Passage)>,
    ramps: Vec<(LaneEnd, Passage)>,
    /// `(fan, passage, profile id)`.
    fans: Vec<(usize, Passage, u32)>,
    /// The departure's passage along its FATO's leg, and its profile id.
    leg: Option<(Passage, u32)>,
}

impl PlanUses {
    /// What `plan` uses (its fan profiles known to `table`).
    pub fn of(net: &Network, plan: &Plan, table: &Reservations) -> PlanUses {
        let [o, d] = plan.fato_s();
        let term = net
            .terminal(plan.destination)
            .expect("flights end at vertiports");
        let junctions = junction_passages_in(net, plan, &mut |shape| table.shapes().id(shape));
        PlanUses {
            lanes: lane_spans(plan)
                .into_iter()
                .map(|(l, e, x)| (l, e, x, net.booked_headway_s(l)))
                .collect(),
            fatos: [(plan.origin, o.0, o.1), (plan.destination, d.0, d.1)],
            stand: (plan.destination, d.1, d.1 + term.turnaround_s, term.stands),
            gates: gate_passages(net, plan),
            junctions,
            crossings: crossing_passages(net, plan),
            ramps: ramp_passages(net, plan),
            fans: fan_passages(net, plan)
                .into_iter()
                .map(|(k, p, profile)| (k, p, table.profile_id(profile)))
                .collect(),
            leg: leg_passage(net, plan).map(|(p, profile)| (p, table.profile_id(profile))),
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
    /// Whether even a drone on the same pair of lanes may not overlap it: when the lanes'
    /// headways at its speed do not keep two drones either side of the turn a minimum
    /// apart in a straight line.
    pub exclusive: bool,
    /// The altitudes it flies at in the zone, grown by half the vertical minimum at both
    /// ends, metres: two passages whose ranges do not overlap are a vertical minimum
    /// apart and may overlap in time (unbounded at junctions, where levels change);
    /// rounded outwards to single precision, which is how the tables keep them.
    pub alt_m: (f64, f64),
    /// Where it flies, knot by knot, from `from_s`, as a distinct track of the tables
    /// (junction transitions; [`ShapeId::NONE`] for the others): two passages that both
    /// have one may overlap in time when their tracks stay apart
    /// ([`crate::planner::track`]).
    pub shape: ShapeId,
}

/// A distinct junction track with the minima of its lanes, by its place in the tables'
/// list of them (see [`Reservations`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShapeId(u32);

impl ShapeId {
    /// No track: the passage is booked as a whole.
    pub const NONE: ShapeId = ShapeId(u32::MAX);

    fn is_some(self) -> bool {
        self != ShapeId::NONE
    }
}

/// A hash map with a fast hasher of fixed seed (the caches of [`Shapes`]).
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// Every distinct junction track met so far, with the `[horizontal, vertical]` minima of
/// its lanes (the larger of each, as the separation check holds a drone on either to
/// them) and its node, and the offsets found between pairs of them.
#[derive(Debug, Default)]
struct Shapes {
    /// A hash of a track, its minima and its node -> its id.
    ids: FastMap<u64, ShapeId>,
    list: Vec<KeptShape>,
    /// The knots of every track, one after the other (`KeptShape::knots` says where):
    /// one allocation for the hundreds of thousands of tracks of a few knots each that
    /// region scale keeps, where a vector per track cost its header, the allocator's own
    /// overhead and its spare room.
    knots: Vec<TrackKnot>,
    /// Per node, the offsets found between its tracks (kept apart so that the scan of
    /// one junction's bookings looks up a small map).
    pairs: Vec<NodePairs>,
    /// How many pairs `pairs` holds: past [`MAX_CACHED_PAIRS`] they are all forgotten
    /// (and found again as needed), so the cache stays within a few hundred megabytes.
    cached: usize,
}

/// The most pairs of tracks whose offsets [`Shapes`] keeps at once.
const MAX_CACHED_PAIRS: usize = 8_000_000;

/// A junction track, its minima and its node, as found for a passage.
#[derive(Debug)]
struct Shape {
    knots: Vec<TrackKnot>,
    minima: [f64; 2],
    node: NodeId,
}

/// A distinct junction track as [`Shapes`] keeps it: its knots are
/// `Shapes::knots[start..start + len]`.
#[derive(Debug)]
struct KeptShape {
    knots: (u32, u32),
    minima: [f64; 2],
    node: NodeId,
}

impl KeptShape {
    /// Its knots, from `all` ([`Shapes::knots`]).
    fn knots_in<'a>(&self, all: &'a [TrackKnot]) -> &'a [TrackKnot] {
        let (start, len) = (self.knots.0 as usize, self.knots.1 as usize);
        &all[start..start + len]
    }
}

/// The offsets found between the tracks of one node.
#[derive(Debug, Default)]
struct NodePairs {
    /// `(p, q)` -> where in `intervals` the offsets of `p`'s start after `q`'s at which
    /// they come within the minima are, and how many.
    at: FastMap<(ShapeId, ShapeId), (u32, u32)>,
    intervals: Vec<(f64, f64)>,
}

impl Shapes {
    /// The id of a track (a new one is kept).
    fn id(&mut self, shape: Shape) -> ShapeId {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = foldhash::fast::FixedState::default().build_hasher();
        shape
            .knots
            .iter()
            .flatten()
            .for_each(|x| x.to_bits().hash(&mut h));
        shape.minima.iter().for_each(|x| x.to_bits().hash(&mut h));
        shape.node.index().hash(&mut h);
        let key = h.finish();
        if let Some(&id) = self.ids.get(&key) {
            let kept = &self.list[id.0 as usize];
            if kept.knots_in(&self.knots) == &shape.knots[..]
                && kept.minima == shape.minima
                && kept.node == shape.node
            {
                return id;
            }
        }
        let id = match u32::try_from(self.list.len()) {
            Ok(n) if n != ShapeId::NONE.0 => ShapeId(n),
            _ => return ShapeId::NONE,
        };
        let (Ok(start), Ok(len)) = (
            u32::try_from(self.knots.len()),
            u32::try_from(shape.knots.len()),
        ) else {
            return ShapeId::NONE;
        };
        self.knots.extend_from_slice(&shape.knots);
        self.list.push(KeptShape {
            knots: (start, len),
            minima: shape.minima,
            node: shape.node,
        });
        self.ids.entry(key).or_insert(id);
        id
    }

    /// The offsets (closed intervals, in order) of `p`'s start after `q`'s at which the
    /// two tracks (of one node) come within the larger of their minima (with
    /// [`TRACK_MARGIN`]).
    fn offsets(&mut self, p: ShapeId, q: ShapeId) -> &[(f64, f64)] {
        let (a, b) = (&self.list[p.0 as usize], &self.list[q.0 as usize]);
        let node = a.node.index();
        if self.pairs.len() <= node {
            self.pairs.resize_with(node + 1, NodePairs::default);
        }
        if self.cached >= MAX_CACHED_PAIRS && !self.pairs[node].at.contains_key(&(p, q)) {
            self.pairs
                .iter_mut()
                .for_each(|x| *x = NodePairs::default());
            self.cached = 0;
        }
        let pairs = &mut self.pairs[node];
        let cached = &mut self.cached;
        let (start, len) = *pairs.at.entry((p, q)).or_insert_with(|| {
            *cached += 1;
            let minima = (a.minima[0].max(b.minima[0]), a.minima[1].max(b.minima[1]));
            // p's track started at 0 (its departure is the offset) against q's.
            let mut found = Vec::new();
            let (p0, q0) = (
                (a.knots_in(&self.knots), 0.0),
                (b.knots_in(&self.knots), 0.0),
            );
            track_conflicts(p0, q0, minima, TRACK_MARGIN, &mut |i| found.push(i));
            let found = merged(found.into_iter());
            let at = (pairs.intervals.len() as u32, found.len() as u32);
            pairs.intervals.extend(found);
            at
        });
        &pairs.intervals[start as usize..(start + len) as usize]
    }
}

impl Passage {
    /// Whether `self` and `other` may overlap in time: on the same pair of lanes, one
    /// following the other, neither exclusive; or a vertical minimum apart.
    fn may_overlap(&self, other: &Passage) -> bool {
        (self.lanes == other.lanes && !self.exclusive && !other.exclusive)
            || self.alt_m.1 <= other.alt_m.0
            || other.alt_m.1 <= self.alt_m.0
    }
}

/// The junction transitions of a plan, in seconds from take-off: at each node where its
/// route changes lane, from the node's zone radius
/// ([`Junctions::radius_m`](crate::network::Junctions::radius_m)) before the node until
/// as far after it or the end of the level change that starts there, whichever is later.
/// Two transitions of a node may not overlap in time unless they take the same pair of
/// lanes, one following the other, kept apart by the lanes' own bookings (not when the
/// turn is so sharp that a headway at the drone's speed leaves them less than 1.05 minima
/// apart in a straight line: such a transition is exclusive), or their altitudes in the
/// zone stay the largest vertical minimum of the node's lanes apart throughout (a
/// straight-through flight on one layer and one on another: [`Passage::alt_m`]), or
/// their tracks through the zone keep the minima all the while they overlap
/// ([`crate::planner::track`]). The junction is a conflict point of the network, where
/// merges, crossings and the level changes between layers happen. (Returned without
/// their tracks, which [`PlanUses`] keeps in the tables.)
pub fn junction_passages(net: &Network, plan: &Plan) -> Vec<(NodeId, Passage)> {
    junction_passages_in(net, plan, &mut |_| ShapeId::NONE)
}

/// [`junction_passages`], each one's track (with the larger of its two lanes' minima, as
/// the separation check holds a drone to them) given an id by `shape`.
fn junction_passages_in(
    net: &Network,
    plan: &Plan,
    shape: &mut impl FnMut(Shape) -> ShapeId,
) -> Vec<(NodeId, Passage)> {
    let segs = &plan.path.segs;
    let mut out = Vec::new();
    let mut k = 0;
    for w in plan.lanes.windows(2) {
        let Some(start) = (k..segs.len()).find(|&j| segs[j].lane == Some(w[1])) else {
            continue;
        };
        k = start;
        let (into, leave) = (&net.lanes[w[0]], &net.lanes[w[1]]);
        let node = into.to;
        let h_min = into.minima[0].max(leave.minima[0]);
        let r = net.junctions.radius_m[node.index()];
        // Drones one lane headway apart on this turn, at this drone's speed there.
        let v = segs[start.saturating_sub(1)].u_max.min(segs[start].u_max);
        let gap_m = net.booked_headway_s(w[0]).max(net.booked_headway_s(w[1])) * v;
        let exclusive = gap_m * (0.5 * net.turn_angle(w[0], w[1])).sin() < 1.05 * h_min;
        let at = plan.path.cum[start];
        let ramp_end = if segs[start].dir[2] != 0.0 {
            plan.path.cum[start + 1]
        } else {
            at
        };
        let (from, to) = (
            plan.path.horizontal_from(at, -r),
            plan.path.horizontal_from(at, r).max(ramp_end),
        );
        let vertical_m = net.junctions.vertical_m[node.index()];
        let centre = net.nodes[node].en;
        let minima = if net.local_minima {
            let (m, n) = (into.minima, leave.minima);
            [m[0].max(n[0]), m[1].max(n[1])]
        } else {
            net.max_minima
        };
        let mut piece = |a: f64, z: f64| Passage {
            from_s: plan.planned_time_at(a),
            to_s: plan.planned_time_at(z),
            lanes: (w[0], w[1]),
            exclusive,
            alt_m: alt_range(plan, a, z, 0.5 * vertical_m),
            shape: shape(Shape {
                knots: track(plan, (a, z), centre),
                minima,
                node,
            }),
        };
        let whole = piece(from, to);
        let climb = whole.alt_m.1 - whole.alt_m.0 - vertical_m;
        if climb <= vertical_m {
            out.push((node, whole));
            continue;
        }
        // Changing level: booked in pieces, each at the altitudes flown in it (up to the
        // node, then slices of at most a vertical minimum of climb or descent), so
        // traffic on a level it has left or not reached yet may pass meanwhile.
        out.push((node, piece(from, at)));
        let n = (climb / vertical_m).ceil().min(MAX_JUNCTION_PIECES as f64) as usize;
        for i in 0..n {
            let a = at + (to - at) * i as f64 / n as f64;
            let z = at + (to - at) * (i + 1) as f64 / n as f64;
            out.push((node, piece(a, z)));
        }
    }
    out
}

/// How far apart two junction transitions' tracks must stay, in minima (vertically only
/// when either climbs or descends: see [`track_conflicts`]): the margin the zones'
/// radius rule keeps too (see [`Junctions`](crate::network::Junctions)), for rounding
/// and a step's smoothing of a change of speed.
const TRACK_MARGIN: f64 = 1.05;

/// The steps of the first window [`Reservations::earliest`] searches.
const FIRST_WINDOW_STEPS: u64 = 60;

/// The most pieces the part of a level-changing junction transition after the node is
/// booked in (see [`junction_passages`]).
const MAX_JUNCTION_PIECES: usize = 4;

/// The ramp passages of a plan, in seconds from take-off, by the lane end whose ramp zone
/// they concern ([`Junctions`](crate::network::Junctions)): on a lane with a ramp zone at
/// an end, from the node to the zone's reach along it (tagged
/// `(l, l)`); and on a ramp onto a lane `r` through the level of a lane end with a ramp
/// zone beside it, from the node to where the ramp is a vertical minimum clear of that
/// level (tagged `(r, r)`). Two passages of one lane end with different tags may not
/// overlap: on tracks the junction's zone does not keep a minimum apart, the ramping
/// drone crosses the other's level.
pub fn ramp_passages(net: &Network, plan: &Plan) -> Vec<(LaneEnd, Passage)> {
    let (segs, mut out) = (&plan.path.segs, Vec::new());
    let zones = &net.junctions.ramp_zone_m;
    for (lane, run) in plan.path.lane_runs() {
        let l = &net.lanes[lane];
        let (start, end) = (plan.path.cum[run.start], plan.path.cum[run.end]);
        let own = |from_m: f64, to_m: f64| Passage {
            from_s: plan.planned_time_at(from_m),
            to_s: plan.planned_time_at(to_m),
            lanes: (lane, lane),
            exclusive: false,
            alt_m: ANY_ALT,
            shape: ShapeId::NONE,
        };
        let at_end = LaneEnd { lane, start: false };
        if zones[at_end.index()] > 0.0 {
            let zone = zones[at_end.index()];
            out.push((at_end, own(plan.path.horizontal_from(end, -zone), end)));
        }
        let at_start = LaneEnd { lane, start: true };
        if zones[at_start.index()] > 0.0 {
            let zone = zones[at_start.index()];
            out.push((at_start, own(start, plan.path.horizontal_from(start, zone))));
        }
        // A ramp at this lane's start through the levels of lanes beside it.
        let k = run.start;
        if k == 0 || segs[k].dir[2] == 0.0 {
            continue;
        }
        let (z0, z1) = (
            segs[k].start[2],
            segs[k].start[2] + segs[k].dir[2] * segs[k].len_m,
        );
        for &other in &net.junctions.ramp_crossings[lane.index()] {
            let ol = &net.lanes[other.lane];
            // Until the ramp is a vertical minimum clear of that lane's level.
            let v_min = net.base_minima[1].max(l.minima[1]).max(ol.minima[1]);
            let until = crate::network::ramp_within(z0, z1, ol.alt_m, v_min);
            if until > 0.0 {
                out.push((other, own(start, start + until * segs[k].len_m)));
            }
        }
    }
    out
}

/// A drone's progress through a fan: `(seconds since it entered, path distance past the
/// fix)` at every knot of its plan in the fan (negative before the fix), first and last
/// included.
pub type FanProfile = Vec<(f64, f64)>;

/// The passages of a plan through its terminals' fans, in seconds from take-off, by
/// terminal and direction (`2 * terminal` departures, `2 * terminal + 1` arrivals), with
/// its progress through each. The legs of different FATOs converge at the fix: a
/// departure is in its origin's fan from
/// [`Terminal::fan_m`](crate::network::Terminal::fan_m) before the fix (farther out, the
/// legs' angle keeps drones on two of them apart; none with one FATO) until
/// [`FAN_GAP_MINIMA`] minima past it on the connector, and an arrival in its
/// destination's from that far before the fix to the fan's reach past it. Two passages of one fan may overlap only one behind
/// the other, far enough that the follower stays that many minima behind the leader
/// along their paths from the fix all the while (see [`Reservations`]'s fan gaps;
/// arrivals and departures fly a vertical minimum apart: separate fans).
pub fn fan_passages(net: &Network, plan: &Plan) -> Vec<(usize, Passage, FanProfile)> {
    let path = &plan.path;
    let Some(first) = path.segs.iter().position(|g| g.lane.is_some()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let ends = [
        (plan.origin, path.cum[first], true),
        (plan.destination, plan.fix_m(), false),
    ];
    for (node, fix, departing) in ends {
        let (Some(i), Some(t)) = (net.nodes[node].terminal, net.terminal(node)) else {
            continue;
        };
        if t.fan_m <= 0.0 {
            continue;
        }
        let lane = if departing {
            t.departure_lane
        } else {
            t.arrival_lane
        };
        let clear = FAN_GAP_MINIMA * net.lanes[lane].minima[0];
        let (before, after) = if departing {
            (t.fan_m, clear)
        } else {
            (clear, t.fan_m)
        };
        let (a, z) = (
            path.horizontal_from(fix, -before),
            path.horizontal_from(fix, after),
        );
        let (passage, profile) = progress(plan, (a, z), fix, lane);
        out.push((2 * i + usize::from(!departing), passage, profile));
    }
    out
}

/// A passage along `plan` from path distance `a` to `z` (tagged with `lane`), with its
/// progress past path distance `fix`.
fn progress(plan: &Plan, (a, z): (f64, f64), fix: f64, lane: LaneId) -> (Passage, FanProfile) {
    let t0 = plan.planned_time_at(a);
    let mut profile: FanProfile = vec![(0.0, a - fix)];
    profile.extend(
        plan.knots
            .iter()
            .filter(|k| k.0 > a && k.0 < z)
            .map(|&(s, t)| (t - t0, s - fix)),
    );
    profile.push((plan.planned_time_at(z) - t0, z - fix));
    let passage = Passage {
        from_s: t0,
        to_s: plan.planned_time_at(z),
        lanes: (lane, lane),
        exclusive: true,
        alt_m: ANY_ALT,
        shape: ShapeId::NONE,
    };
    (passage, profile)
}

/// A departure's passage along the leg of its FATO, from the top of its climb to
/// [`FAN_GAP_MINIMA`] minima past the fix, with its progress: two departures from one
/// FATO fly one leg, the later one far enough behind (as in a fan) that it never closes
/// on the earlier; `None` at a node with no terminal.
pub fn leg_passage(net: &Network, plan: &Plan) -> Option<(Passage, FanProfile)> {
    let path = &plan.path;
    let first = path.segs.iter().position(|g| g.lane.is_some())?;
    let t = net.terminal(plan.origin)?;
    let clear = FAN_GAP_MINIMA * net.lanes[t.departure_lane].minima[0];
    let fix = path.cum[first];
    let z = path.horizontal_from(fix, clear);
    Some(progress(
        plan,
        (plan.climb_done_m(), z),
        fix,
        t.departure_lane,
    ))
}

/// How far apart along their paths from the fix two drones in a fan keep, in horizontal
/// minima: 1.05 over sin 60 degrees, since a leg and the connector meet at 120 degrees
/// or more (so a drone on each, that far apart along their paths, are 1.05 minima apart
/// in a straight line; on two legs or one line, more).
pub const FAN_GAP_MINIMA: f64 = 1.05 / 0.866;

/// Where `profile` is `tau` seconds after its start (before the start: its first point;
/// after its end: its last).
fn fan_at(profile: &[(f64, f64)], tau: f64) -> f64 {
    let i = profile.partition_point(|p| p.0 <= tau);
    if i == 0 {
        return profile[0].1;
    }
    if i == profile.len() {
        return profile[i - 1].1;
    }
    let ((t0, s0), (t1, s1)) = (profile[i - 1], profile[i]);
    if t1 > t0 {
        s0 + (s1 - s0) * (tau - t0) / (t1 - t0)
    } else {
        s1
    }
}

/// The shortest time after a leader with progress `lead` enters a fan that a follower
/// with progress `follow` may enter it, so that the follower stays `gap_m` behind along
/// their paths while both are in it, seconds; the leader's whole passage if no shorter
/// time does (found to 0.01 s by bisection: the condition only gets easier as the delay
/// grows).
fn fan_gap_s(lead: &[(f64, f64)], follow: &[(f64, f64)], gap_m: f64) -> f64 {
    let (tl, tf) = (lead[lead.len() - 1].0, follow[follow.len() - 1].0);
    let ok = |delta: f64| least_gap(lead, follow, delta, tf.min(tl - delta)) >= gap_m - 1e-6;
    if !ok(tl) {
        return tl;
    }
    let (mut lo, mut hi) = (0.0, tl);
    if ok(0.0) {
        return 0.0;
    }
    while hi - lo > 0.01 {
        let mid = 0.5 * (lo + hi);
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// The least of `fan_at(lead, t + delta) - fan_at(follow, t)` for `t` from 0 to `end`
/// (at 0 when `end` is negative): both progresses are piecewise linear in time, so their
/// difference is too, and its least is at 0, at `end`, or at a knot of either (the
/// leader's shifted by `delta`). Exact, with a handful of evaluations where sampling
/// every 0.1 s took hundreds.
fn least_gap(lead: &[(f64, f64)], follow: &[(f64, f64)], delta: f64, end: f64) -> f64 {
    let gap = |t: f64| fan_at(lead, t + delta) - fan_at(follow, t);
    let mut least = gap(0.0).min(gap(end.max(0.0)));
    for &(t, _) in follow {
        if t <= end {
            least = least.min(gap(t));
        }
    }
    for &(t, _) in lead {
        let t = t - delta;
        if (0.0..=end).contains(&t) {
            least = least.min(gap(t));
        }
    }
    least
}

/// A kind of resource strategic deconfliction books: what rules out a departure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// A lane's headway, or its no-overtaking order.
    Lane,
    /// The FATOs of the origin or the destination, or the origin FATO's leg.
    Fato,
    /// The stands of the destination.
    Stand,
    /// A border gate's spacing.
    Gate,
    /// A junction's transitions.
    Junction,
    /// A crossing of two lanes.
    Crossing,
    /// A ramp through the level of a lane beside it (its other direction, or a lane the
    /// junction's zone does not keep a minimum apart).
    Ramp,
    /// A terminal's departure or arrival fan.
    Fan,
}

impl Resource {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Lane => "lane",
            Resource::Fato => "FATO",
            Resource::Stand => "stand",
            Resource::Gate => "gate",
            Resource::Junction => "junction",
            Resource::Crossing => "crossing",
            Resource::Ramp => "ramp",
            Resource::Fan => "fan",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
        /// The kind of resource whose bookings alone ruled out the most departures
        /// within that delay on the route tried first ([`Reservations::binding`]), if
        /// any did.
        binding: Option<Resource>,
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
            CancelReason::GroundDelay { max_s, binding } => {
                write!(f, "ground delay: no slot within {max_s:.0} s")?;
                match binding {
                    Some(r) => write!(f, " (mostly ruled out by {r} bookings)"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Lane entries and exits `(lane, seconds from take-off at entry, at exit)` of a plan.
pub fn lane_spans(plan: &Plan) -> Vec<(LaneId, f64, f64)> {
    plan.path
        .lane_runs()
        .map(|(lane, run)| (lane, plan.seg_t[run.start], plan.seg_t[run.end]))
        .collect()
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

/// FATO movements `(node, FATO, from, to)` of a plan departing at `dep`: at its origin
/// and at its destination, on its FATOs (see [`Plan::fato_s`]).
pub fn fato_intervals(plan: &Plan, dep: f64) -> [(NodeId, u8, f64, f64); 2] {
    let [o, d] = plan.fato_s();
    [
        (plan.origin, plan.fato[0], dep + o.0, dep + o.1),
        (plan.destination, plan.fato[1], dep + d.0, dep + d.1),
    ]
}

/// Sorted, disjoint intervals covering the same as `v`.
fn merged(v: impl Iterator<Item = (f64, f64)>) -> Forbidden {
    let mut v: Forbidden = v.collect();
    v.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Forbidden = Vec::with_capacity(v.len());
    for (a, z) in v {
        match out.last_mut() {
            Some(last) if a < last.1 => last.1 = last.1.max(z),
            _ => out.push((a, z)),
        }
    }
    out
}

/// What two sorted, disjoint interval lists both cover.
fn intersection(x: &[(f64, f64)], y: &[(f64, f64)]) -> Forbidden {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < x.len() && j < y.len() {
        let (a, z) = (x[i].0.max(y[j].0), x[i].1.min(y[j].1));
        if a < z {
            out.push((a, z));
        }
        if x[i].1 < y[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Tolerance on times, seconds: a booking may start exactly where another's headway or
/// occupation ends.
const EPS: f64 = 1e-9;

/// An empty table per FATO of every node.
fn per_fato<V: Booking>(net: &Network) -> Vec<Vec<Table<V>>> {
    net.nodes
        .iter()
        .map(|n| (0..n.fatos()).map(|_| Table::default()).collect())
        .collect()
}

/// Departure times one booked resource forbids a plan: open intervals `(from, to)`.
type Forbidden = Vec<(f64, f64)>;

/// A run of departures `[from, to)` that the bookings rule out for one plan's uses without
/// a gap: every departure in it lies inside an interval they forbid (not merely between
/// two steps that do), so a later search for the same uses from within the run, whatever
/// its steps, finds nothing there while bookings are only added (see
/// [`Reservations::earliest_past`]). Empty by default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blocked {
    from: f64,
    to: f64,
}

impl Default for Blocked {
    fn default() -> Self {
        Blocked {
            from: f64::INFINITY,
            to: f64::INFINITY,
        }
    }
}

impl Blocked {
    /// Whether departure `t` is in the run.
    pub fn covers(&self, t: f64) -> bool {
        self.from <= t && t < self.to
    }

    /// The first step `from + k * dt` a search from `from` need look at: none before the
    /// run's end when `from` is within the run (rounded down: a step counted twice is
    /// looked at again, never one skipped); 0 otherwise, and the run starts again at
    /// `from`.
    fn first_step(&mut self, from: f64, dt: f64) -> u64 {
        if !self.covers(from) {
            *self = Blocked { from, to: from };
            return 0;
        }
        ((self.to - from) / dt).floor() as u64
    }

    /// Grows the run by the intervals `sorted` (by start) cover without a gap from where
    /// it ends, with the searches' tolerance: departure `t` is ruled out by `(a, b)` when
    /// `a < t - EPS` and `t + EPS < b`.
    fn extend(&mut self, from: f64, sorted: &[(f64, f64)]) {
        if self.from > from {
            return;
        }
        for &(a, b) in sorted {
            if a >= self.to - EPS {
                break;
            }
            self.to = self.to.max(b - EPS);
        }
    }
}

impl Reservations {
    /// Empty tables for a network.
    pub fn new(net: &Network) -> Self {
        Reservations {
            lanes: vec![Table::default(); net.lanes.len()],
            fatos: per_fato(net),
            stands: vec![Table::default(); net.nodes.len()],
            legs: per_fato(net),
            gates: vec![Table::default(); net.nodes.len()],
            junctions: vec![Table::default(); net.nodes.len()],
            crossings: vec![Table::default(); net.crossings.len()],
            ramps: vec![Table::default(); 2 * net.lanes.len()],
            fans: vec![Table::default(); 2 * net.terminals.len()],
            shapes: std::sync::Arc::default(),
            profiles: std::sync::Arc::new(std::sync::Mutex::new(FanProfiles {
                gap_m: net.max_minima[0] * FAN_GAP_MINIMA,
                ..FanProfiles::default()
            })),
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
    /// (plus the buffer; see [`lane_spans`]): a headway from the entries next to it, and
    /// leaving in the same order as it enters, a headway from those bookings' exits (so
    /// nobody overtakes anybody inside the lane, whatever their speeds).
    pub fn lane_free(&self, lane: LaneId, e: f64, x: f64, headway_s: f64) -> bool {
        let h = headway_s + self.buffer_s - EPS;
        let (before, after) = self.lanes[lane.index()].around(e);
        before.is_none_or(|(be, bx)| e - be >= h && x - bx >= h)
            && after.is_none_or(|(ae, ax)| ae - e >= h && ax - x >= h)
    }

    /// `p` shifted by `dep` and grown by the buffer at both ends.
    fn placed(&self, p: &Passage, dep: f64) -> Passage {
        Passage {
            from_s: dep + p.from_s - self.buffer_s,
            to_s: dep + p.to_s + self.buffer_s,
            lanes: p.lanes,
            exclusive: p.exclusive,
            alt_m: p.alt_m,
            shape: p.shape,
        }
    }

    /// Whether junction `node` admits transition `p` shifted by `dep`: every booked one
    /// on another pair of lanes that overlaps it in time is a vertical minimum apart, or
    /// their tracks stay apart.
    pub fn junction_free(&self, node: NodeId, p: &Passage, dep: f64) -> bool {
        self.zone_free(&self.junctions[node.index()], p, dep)
    }

    /// Whether crossing `c` admits passage `p` shifted by `dep`: no booked one on the
    /// other lane overlaps it in time.
    pub fn crossing_free(&self, c: usize, p: &Passage, dep: f64) -> bool {
        self.zone_free(&self.crossings[c], p, dep)
    }

    fn zone_free(&self, v: &Table<Passage>, p: &Passage, dep: f64) -> bool {
        let q = self.placed(p, dep);
        let mut shapes = None;
        v.near(q.from_s, q.to_s).all(|(_, b)| {
            b.to_s <= q.from_s + EPS
                || b.may_overlap(p)
                || (p.shape.is_some() && b.shape.is_some() && {
                    let shapes = shapes.get_or_insert_with(|| self.shapes());
                    self.track_conflicts(&mut *shapes, p, &b)
                        .all(|(lo, hi)| dep < lo - EPS || dep > hi + EPS)
                })
        })
    }

    /// The departures (closed intervals) at which passage `p` and booked passage `b`,
    /// both with their tracks, come within the minima (see [`Shapes::offsets`]), grown
    /// by twice the buffer (either may fly that early or late).
    fn track_conflicts<'a>(
        &self,
        shapes: &'a mut Shapes,
        p: &Passage,
        b: &Passage,
    ) -> impl Iterator<Item = (f64, f64)> + 'a {
        let grow = 2.0 * self.buffer_s;
        // p starts `offset` after b when it departs at `shift + offset`.
        let shift = b.from_s + self.buffer_s - p.from_s;
        shapes
            .offsets(p.shape, b.shape)
            .iter()
            .map(move |&(lo, hi)| (shift + lo - grow, shift + hi + grow))
    }

    /// How many bookings the tables hold, all resources together.
    pub fn bookings(&self) -> usize {
        fn sum<V: Booking>(t: &[Table<V>]) -> usize {
            t.iter().map(Table::len).sum()
        }
        sum(&self.lanes)
            + self.fatos.iter().map(|f| sum(f)).sum::<usize>()
            + sum(&self.stands)
            + sum(&self.gates)
            + sum(&self.junctions)
            + sum(&self.crossings)
            + sum(&self.ramps)
            + sum(&self.fans)
            + self.legs.iter().map(|l| sum(l)).sum::<usize>()
    }

    /// Forgets every booking no check made at `now` or later can meet, and returns how
    /// many: of each resource's table, those starting more than `2 x longest + 2 x
    /// buffer + margin_s` before `now`, where `longest` is the longest booking ever made
    /// in that table. A check from `now` on concerns a use that ends after `now` (one a
    /// drone in the air has yet to end, or a departure from `now`), so it starts at most
    /// about one longest booking earlier, and reads bookings starting at most one more
    /// longest booking (and a buffer either side) before that; `margin_s` must cover the
    /// rest: the headways and gate spacings a check adds, and how much longer than the
    /// table's longest booking the use checked may be (a diversion's passage, say).
    /// Bookings are forgotten whole or not at all, so unbooking a plan some of whose
    /// bookings are forgotten removes the others.
    pub fn forget_behind(&mut self, now: f64, margin_s: f64) -> usize {
        struct Forget {
            now: f64,
            extra: f64,
            gone: usize,
        }
        impl EachTable for Forget {
            fn table<V: Booking>(&mut self, t: &mut Table<V>) {
                if !t.is_empty() {
                    self.gone += t.forget_before(self.now - 2.0 * t.longest_s - self.extra);
                }
            }
        }
        let mut f = Forget {
            now,
            extra: 2.0 * self.buffer_s + margin_s,
            gone: 0,
        };
        self.each_table(&mut f);
        f.gone
    }

    /// Gives back the room the tables hold beyond their bookings (called when the
    /// clearing ends): a table's chunks grow by a quarter when full, so about a tenth of
    /// their memory is spare then (25 MB of 220 after the first 900 s of `gba_100k.ron`),
    /// and the simulation books again into only a few of them.
    pub fn shrink_to_fit(&mut self) {
        struct Shrink;
        impl EachTable for Shrink {
            fn table<V: Booking>(&mut self, t: &mut Table<V>) {
                t.shrink_to_fit();
            }
        }
        self.each_table(&mut Shrink);
    }

    /// Hands every table of every resource to `f`.
    fn each_table(&mut self, f: &mut impl EachTable) {
        self.lanes.iter_mut().for_each(|t| f.table(t));
        self.fatos.iter_mut().flatten().for_each(|t| f.table(t));
        self.stands.iter_mut().for_each(|t| f.table(t));
        self.gates.iter_mut().for_each(|t| f.table(t));
        self.junctions.iter_mut().for_each(|t| f.table(t));
        self.crossings.iter_mut().for_each(|t| f.table(t));
        self.ramps.iter_mut().for_each(|t| f.table(t));
        self.fans.iter_mut().for_each(|t| f.table(t));
        self.legs.iter_mut().flatten().for_each(|t| f.table(t));
    }

    /// Forgets the offsets found between pairs of tracks and the gaps found between
    /// pairs of fan profiles (found again as needed): what a table kept after clearing
    /// need not hold (at region scale hundreds of megabytes, the gaps alone some 70 MB
    /// through the simulation of the hour of `gba_100k.ron`).
    pub fn forget_pairs(&self) {
        let mut shapes = self.shapes();
        shapes.pairs = Vec::new();
        shapes.cached = 0;
        self.fan_profiles().gaps = std::collections::HashMap::new();
    }

    /// The junction tracks and the offsets between them.
    fn shapes(&self) -> std::sync::MutexGuard<'_, Shapes> {
        self.shapes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The fan profiles and gaps (shared by clones of the table: they only grow, and
    /// depend on nothing booked).
    fn fan_profiles(&self) -> std::sync::MutexGuard<'_, FanProfiles> {
        self.profiles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The id of a fan profile (a new one is kept).
    pub fn profile_id(&self, profile: FanProfile) -> u32 {
        let mut p = self.fan_profiles();
        let key: Vec<u64> = profile
            .iter()
            .flat_map(|&(t, s)| [t.to_bits(), s.to_bits()])
            .collect();
        if let Some(&id) = p.ids.get(&key) {
            return id;
        }
        let id = p.list.len() as u32;
        p.list.push(profile);
        p.ids.insert(key, id);
        id
    }

    /// How long after a drone with profile `lead` enters a fan one with profile `follow`
    /// may enter it (see [`fan_gap_s`]), plus the buffer, seconds.
    fn fan_gap(&self, lead: u32, follow: u32) -> f64 {
        let mut p = self.fan_profiles();
        if let Some(&g) = p.gaps.get(&(lead, follow)) {
            return g + self.buffer_s;
        }
        let g = fan_gap_s(&p.list[lead as usize], &p.list[follow as usize], p.gap_m);
        p.gaps.insert((lead, follow), g);
        g + self.buffer_s
    }

    /// Whether passages `t` (a fan's or a leg's) admit passage `p` (profile `id`)
    /// shifted by `dep`: every booked one it overlaps is far enough ahead or behind.
    fn gap_free(&self, t: &Table<(Passage, u32)>, p: &Passage, id: u32, dep: f64) -> bool {
        let q = self.placed(p, dep);
        let reach = self.reach_s(id);
        t.starting_in(
            q.from_s - t.longest_s - reach,
            q.from_s + t.longest_s + reach,
        )
        .all(|(aq, (_, qid))| {
            q.from_s >= aq + self.fan_gap(qid, id) - EPS
                || aq >= q.from_s + self.fan_gap(id, qid) - EPS
        })
    }

    /// How long a passage with profile `id` lasts, seconds.
    fn reach_s(&self, id: u32) -> f64 {
        self.fan_profiles().list[id as usize]
            .last()
            .map_or(0.0, |x| x.0)
    }

    /// The departures in `[from, to]` that passages `t` (a fan's or a leg's) forbid
    /// passage `p` (profile `id`): those starting it less than the gap behind or ahead
    /// of a booked one.
    fn gap_forbidden(
        &self,
        t: &Table<(Passage, u32)>,
        p: &Passage,
        id: u32,
        (from, to): (f64, f64),
        out: &mut Forbidden,
    ) {
        // p starting at a (placed) conflicts with q starting at aq unless
        // a >= aq + gap(q, p) or aq >= a + gap(p, q).
        let a = p.from_s - self.buffer_s;
        let reach = self.reach_s(id);
        for (aq, (_, qid)) in
            t.starting_in(from + a - reach - t.longest_s, to + a + t.longest_s + reach)
        {
            let (after, before) = (self.fan_gap(qid, id), self.fan_gap(id, qid));
            out.push((aq - before - a, aq + after - a));
        }
    }

    /// Movements booked on FATOs of `node` overlapping `[from, to)`.
    pub fn fatos_in_use(&self, node: NodeId, from: f64, to: f64) -> usize {
        self.fatos[node.index()]
            .iter()
            .map(|t| t.near(from, to).filter(|&(_, e)| e > from).count())
            .sum()
    }

    /// Whether FATO `fato` of `node` is free over `[from, to)` (grown by the buffer).
    pub fn fato_free(&self, node: NodeId, fato: u8, from: f64, to: f64) -> bool {
        let (from, to) = (from - self.buffer_s, to + self.buffer_s);
        self.fatos[node.index()][fato as usize]
            .near(from, to)
            .all(|(_, e)| e <= from + EPS)
    }

    /// The first FATO of `node` free over `[from, to)` (grown by the buffer).
    pub fn free_fato(&self, node: NodeId, from: f64, to: f64) -> Option<u8> {
        (0..self.fatos[node.index()].len() as u8).find(|&k| self.fato_free(node, k, from, to))
    }

    /// The first FATO at the destination free for the landing of a plan that uses `u`
    /// departing at `dep`, with a stand free for its turnaround.
    pub fn free_landing(&self, u: &PlanUses, dep: f64) -> Option<u8> {
        let (n, a, z) = u.fatos[1];
        self.free_fato(n, dep + a, dep + z)
            .filter(|_| self.stand_free_for(u, dep))
    }

    /// The first FATO at the origin a plan that uses `u` may depart from at `dep`: free
    /// for its movement, and its leg free for its passage.
    pub fn free_origin(&self, u: &PlanUses, dep: f64) -> Option<u8> {
        let n = u.fatos[0].0;
        (0..self.fatos[n.index()].len() as u8).find(|&k| self.origin_fato_free(u, dep, k))
    }

    /// Whether FATO `k` at the origin is free for the movement of a plan that uses `u`
    /// departing at `dep`, and its leg for its passage.
    fn origin_fato_free(&self, u: &PlanUses, dep: f64, k: u8) -> bool {
        let (n, a, z) = u.fatos[0];
        self.fato_free(n, k, dep + a, dep + z)
            && u.leg
                .as_ref()
                .is_none_or(|(p, id)| self.gap_free(&self.legs[n.index()][k as usize], p, *id, dep))
    }

    /// Whether the stands of `node` (`stands` of them) admit one more turnaround over
    /// `[from, to)`: fewer than that many booked ones overlap it (conservative: they
    /// need not all overlap each other).
    fn stand_free(&self, node: NodeId, from: f64, to: f64, stands: u32) -> bool {
        let t = &self.stands[node.index()];
        t.len() < stands as usize
            || t.near(from, to).filter(|&(_, e)| e > from + EPS).count() < stands as usize
    }

    /// Whether the destination's stands admit the turnaround of a plan that uses `u`
    /// departing at `dep` (grown by the buffer).
    fn stand_free_for(&self, u: &PlanUses, dep: f64) -> bool {
        let (n, a, z, stands) = u.stand;
        let b = self.buffer_s;
        self.stand_free(n, dep + a - b, dep + z + b, stands)
    }

    /// Whether gate `node` admits a passage at `t`: no booked one closer than `spacing_s`
    /// (plus the buffer).
    fn gate_free(&self, node: NodeId, t: f64, spacing_s: f64) -> bool {
        let s = spacing_s + self.buffer_s - EPS;
        let (before, after) = self.gates[node.index()].around(t);
        before.is_none_or(|(b, _)| t - b >= s) && after.is_none_or(|(a, _)| a - t >= s)
    }

    /// Whether `plan` departing at `dep` fits.
    pub fn fits(&self, net: &Network, plan: &Plan, dep: f64) -> bool {
        self.fits_uses(&PlanUses::of(net, plan, self), dep)
    }

    /// Whether a plan that uses `u` may leave its origin's FATO `fato` at `dep`, as far as
    /// the resources of its departure go: the FATO's movement, its leg, the departure fan
    /// and its first lane (the departure connector). For a late departure: what comes
    /// after is left to in-flight re-planning and tactical resolution.
    pub fn departure_free(&self, u: &PlanUses, dep: f64, fato: u8) -> bool {
        self.origin_fato_free(u, dep, fato)
            && u.fans
                .iter()
                .filter(|f| f.0 % 2 == 0)
                .all(|&(k, ref p, id)| self.gap_free(&self.fans[k], p, id, dep))
            && u.lanes
                .first()
                .is_none_or(|&(l, e, x, h)| self.lane_free(l, dep + e, dep + x, h))
    }

    /// Whether a plan that uses `u` fits departing at `dep` from and to FATOs `fato` (its
    /// origin FATO's leg free for its passage too).
    pub fn fits_on(&self, u: &PlanUses, dep: f64, fato: [u8; 2]) -> bool {
        let (d, a, z) = u.fatos[1];
        self.origin_fato_free(u, dep, fato[0])
            && self.fato_free(d, fato[1], dep + a, dep + z)
            && self.fits_uses(u, dep)
    }

    /// Whether a plan that uses `u` fits departing at `dep`.
    pub fn fits_uses(&self, u: &PlanUses, dep: f64) -> bool {
        self.fits_after(u, dep, f64::NEG_INFINITY)
    }

    /// Whether a plan that uses `u`, departed at `dep` and in the air at `now`, fits from
    /// `now` on: each use it has yet to end checked as [`Reservations::fits_uses`] checks
    /// it (those it has flown, its origin's FATO among them once it has left it, are
    /// left out: a drone in the air cannot fly them otherwise).
    pub fn fits_after(&self, u: &PlanUses, dep: f64, now: f64) -> bool {
        let ahead = |to: f64| dep + to > now;
        let (_, _, left) = u.fatos[0];
        u.lanes
            .iter()
            .filter(|&&(_, _, x, _)| ahead(x))
            .all(|&(l, e, x, h)| self.lane_free(l, dep + e, dep + x, h))
            && (!ahead(left) || self.free_origin(u, dep).is_some())
            && {
                let (n, a, z) = u.fatos[1];
                self.free_fato(n, dep + a, dep + z).is_some()
            }
            && self.stand_free_for(u, dep)
            && u.gates
                .iter()
                .filter(|&&(_, t, _)| ahead(t))
                .all(|&(n, t, spacing)| self.gate_free(n, dep + t, spacing))
            && u.junctions
                .iter()
                .filter(|(_, p)| ahead(p.to_s))
                .all(|(n, p)| self.junction_free(*n, p, dep))
            && u.crossings
                .iter()
                .filter(|(_, p)| ahead(p.to_s))
                .all(|(c, p)| self.crossing_free(*c, p, dep))
            && u.ramps
                .iter()
                .filter(|(_, p)| ahead(p.to_s))
                .all(|(l, p)| self.zone_free(&self.ramps[l.index()], p, dep))
            && u.fans
                .iter()
                .filter(|(_, p, _)| ahead(p.to_s))
                .all(|&(k, ref p, id)| self.gap_free(&self.fans[k], p, id, dep))
    }

    /// The departures in `[from, to]` that the bookings forbid a plan that uses `u`,
    /// as open intervals (unsorted; stands, counted rather than exclusive, are left to
    /// [`Reservations::fits_uses`]). Each booking forbids one interval:
    /// - a lane's `(E, X)` to a span `(e, x)` with headway `h`: every departure within
    ///   `h` of `E - e` or of `X - x`, or between them (it would enter on one side of
    ///   that booking and leave on the other): `(min - h, max + h)`;
    /// - a FATO's `[a, z)` to a movement `[a', z')`: `(a - z', z - a')`, where every
    ///   FATO of the node forbids it;
    /// - a gate's passage `g` to a passage at `t`: `(g - t - spacing, g - t + spacing)`;
    /// - a zone's `[a, z)` on other lanes to a passage `[a', z')`: as a FATO's; for two
    ///   junction transitions with tracks, the departures at which these come within the
    ///   minima instead (one interval per pair of their straight pieces).
    fn forbidden(&self, u: &PlanUses, from: f64, to: f64, out: &mut Forbidden) {
        self.forbidden_by(u, from, to, &mut |_, i| out.push(i));
    }

    /// [`Reservations::forbidden`], each interval given with the kind of resource whose
    /// booking forbids it.
    fn forbidden_by(
        &self,
        u: &PlanUses,
        from: f64,
        to: f64,
        out: &mut impl FnMut(Resource, (f64, f64)),
    ) {
        let b = self.buffer_s;
        for &(l, e, x, h) in &u.lanes {
            let (t, h) = (&self.lanes[l.index()], h + b);
            let first = from + e.min(x - t.longest_s) - h;
            for (be, bx) in t.starting_in(first, to + x + h) {
                let (p, q) = (be - e, bx - x);
                out(Resource::Lane, (p.min(q) - h, p.max(q) + h));
            }
        }
        for (end, &(n, a, z)) in u.fatos.iter().enumerate() {
            // Forbidden where every FATO is taken (at the origin, or its leg): the
            // intersection over the FATOs of the departures each one's bookings forbid.
            let (a, z) = (a - b, z + b);
            let mut all: Option<Forbidden> = None;
            for (k, table) in self.fatos[n.index()].iter().enumerate() {
                let mut one: Forbidden = table
                    .near(from + a, to + z)
                    .map(|(ba, bz)| (ba - z, bz - a))
                    .collect();
                if let (0, Some((p, id))) = (end, &u.leg) {
                    let leg = &self.legs[n.index()][k];
                    self.gap_forbidden(leg, p, *id, (from, to), &mut one);
                }
                let one = merged(one.into_iter());
                all = Some(match all {
                    None => one,
                    Some(prev) => intersection(&prev, &one),
                });
            }
            for i in all.unwrap_or_default() {
                out(Resource::Fato, i);
            }
        }
        for &(n, t, spacing) in &u.gates {
            let s = spacing + b;
            for (g, ()) in self.gates[n.index()].starting_in(from + t - s, to + t + s) {
                out(Resource::Gate, (g - t - s, g - t + s));
            }
        }
        let zones = u
            .junctions
            .iter()
            .map(|(n, p)| (Resource::Junction, &self.junctions[n.index()], p))
            .chain(
                u.crossings
                    .iter()
                    .map(|(c, p)| (Resource::Crossing, &self.crossings[*c], p)),
            )
            .chain(
                u.ramps
                    .iter()
                    .map(|(l, p)| (Resource::Ramp, &self.ramps[l.index()], p)),
            );
        let mut fan = Forbidden::new();
        for &(k, ref p, id) in &u.fans {
            self.gap_forbidden(&self.fans[k], p, id, (from, to), &mut fan);
        }
        for i in fan {
            out(Resource::Fan, i);
        }
        let mut shapes = None;
        for (kind, table, p) in zones {
            let (a, z) = (p.from_s - b, p.to_s + b);
            for (_, q) in table.near(from + a, to + z) {
                if q.may_overlap(p) {
                    continue;
                }
                if p.shape.is_some() && q.shape.is_some() {
                    let shapes = shapes.get_or_insert_with(|| self.shapes());
                    for i in self.track_conflicts(&mut *shapes, p, &q) {
                        out(kind, i);
                    }
                } else {
                    out(kind, (q.from_s - z, q.to_s - a));
                }
            }
        }
    }

    /// The kind of resource whose bookings alone rule out the most departures
    /// `from + k * dt` (`k` up to `max_steps`) of a plan that uses `u`: why it found no
    /// slot. A departure no booked interval rules out but the destination's stands do
    /// counts for [`Resource::Stand`].
    pub fn binding(&self, u: &PlanUses, from: f64, dt: f64, max_steps: u64) -> Option<Resource> {
        let to = from + max_steps as f64 * dt;
        let mut by_kind: BTreeMap<Resource, Forbidden> = BTreeMap::new();
        self.forbidden_by(u, from, to, &mut |kind, i| {
            by_kind.entry(kind).or_default().push(i)
        });
        let by_kind: Vec<(Resource, Forbidden)> = by_kind
            .into_iter()
            .map(|(kind, v)| (kind, merged(v.into_iter())))
            .collect();
        let mut counts: BTreeMap<Resource, u64> = BTreeMap::new();
        let mut next = vec![0; by_kind.len()];
        for k in 0..=max_steps {
            let t = from + k as f64 * dt;
            let mut any = false;
            for ((kind, v), i) in by_kind.iter().zip(next.iter_mut()) {
                while *i < v.len() && v[*i].1 <= t + EPS {
                    *i += 1;
                }
                if *i < v.len() && v[*i].0 < t - EPS {
                    *counts.entry(*kind).or_default() += 1;
                    any = true;
                }
            }
            if !any && !self.stand_free_for(u, t) {
                *counts.entry(Resource::Stand).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|&(kind, n)| (n, std::cmp::Reverse(kind)))
            .map(|(kind, _)| kind)
    }

    /// The earliest departure `from + k * dt` (`k` up to `max_steps`) at which a plan that
    /// uses `u` fits, and its `k`: searched window by window (60 steps,
    /// then each window four times the last), as most requests fit soon after their
    /// filing and a window's search reads only the bookings near it.
    pub fn earliest(&self, u: &PlanUses, from: f64, dt: f64, max_steps: u64) -> Option<u64> {
        self.earliest_past(u, from, dt, max_steps, &mut Blocked::default())
    }

    /// [`Reservations::earliest`], skipping the departures that `blocked` (what earlier
    /// searches for the same uses found ruled out, in these tables or a part of them) holds,
    /// and growing it by what this search finds ruled out from there on. Bookings are only
    /// added while requests are cleared, so what was ruled out stays so: a request filed
    /// behind another on the same route, while the first waits for a slot, starts its
    /// search where the first's continuous run of ruled-out departures ended instead of
    /// reading every booking in between again (the same answer; see [`Blocked`]).
    pub fn earliest_past(
        &self,
        u: &PlanUses,
        from: f64,
        dt: f64,
        max_steps: u64,
        blocked: &mut Blocked,
    ) -> Option<u64> {
        let start = blocked.first_step(from, dt);
        if start > max_steps {
            return None;
        }
        let (mut k0, mut span) = (start, FIRST_WINDOW_STEPS);
        loop {
            let k1 = k0.saturating_add(span).min(max_steps);
            if let Some(k) = self.earliest_in(u, (from, dt), k0, k1, blocked) {
                return Some(k);
            }
            if k1 >= max_steps {
                return None;
            }
            (k0, span) = (k1 + 1, span.saturating_mul(4));
        }
    }

    /// The earliest departure `from + k * dt` with `k` in `k0..=k1` at which a plan that
    /// uses `u` fits: the intervals the bookings forbid over that window in order of
    /// start, the first step in a gap taken (then checked with
    /// [`Reservations::fits_uses`], which also counts stands; a step that fails is
    /// skipped). `blocked` grows by the run of departures those intervals cover without a
    /// gap from where it ends.
    fn earliest_in(
        &self,
        u: &PlanUses,
        (from, dt): (f64, f64),
        k0: u64,
        k1: u64,
        blocked: &mut Blocked,
    ) -> Option<u64> {
        let at = |k: u64| from + k as f64 * dt;
        let mut out = Forbidden::new();
        self.forbidden(u, at(k0), at(k1), &mut out);
        out.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        blocked.extend(from, &out);
        let step_at = |t: f64| ((t - from) / dt - EPS).ceil().max(0.0) as u64;
        // The intervals starting before the candidate are taken in once each: `reach` is
        // the latest end among them (every step before it is inside that interval).
        let (mut k, mut i, mut reach) = (k0, 0, f64::NEG_INFINITY);
        while k <= k1 {
            let mut t = at(k);
            loop {
                while i < out.len() && out[i].0 < t - EPS {
                    reach = reach.max(out[i].1);
                    i += 1;
                }
                if reach <= t + EPS {
                    break;
                }
                k = k.max(step_at(reach));
                t = at(k);
            }
            if k > k1 {
                return None;
            }
            if self.fits_uses(u, t) {
                return Some(k);
            }
            k += 1;
        }
        None
    }

    /// Books a plan that uses `u` departing at `dep` from and to FATOs `fato`.
    pub fn book_uses(&mut self, u: &PlanUses, dep: f64, fato: [u8; 2]) {
        let b = self.buffer_s;
        for &(l, e, x, _) in &u.lanes {
            self.lanes[l.index()].insert(dep + e, dep + x, x - e);
        }
        for (&(n, a, z), k) in u.fatos.iter().zip(fato) {
            let (a, z) = (dep + a - b, dep + z + b);
            self.fatos[n.index()][k as usize].insert(a, z, z - a);
        }
        let (n, a, z, _) = u.stand;
        let (a, z) = (dep + a - b, dep + z + b);
        self.stands[n.index()].insert(a, z, z - a);
        for &(n, t, _) in &u.gates {
            self.gates[n.index()].insert(dep + t, (), 0.0);
        }
        for (n, p) in &u.junctions {
            let q = self.placed(p, dep);
            self.junctions[n.index()].insert(q.from_s, q, q.to_s - q.from_s);
        }
        for (c, p) in &u.crossings {
            let q = self.placed(p, dep);
            self.crossings[*c].insert(q.from_s, q, q.to_s - q.from_s);
        }
        for (l, p) in &u.ramps {
            let q = self.placed(p, dep);
            self.ramps[l.index()].insert(q.from_s, q, q.to_s - q.from_s);
        }
        for &(k, ref p, id) in &u.fans {
            let q = self.placed(p, dep);
            self.fans[k].insert(q.from_s, (q, id), q.to_s - q.from_s);
        }
        if let Some((p, id)) = &u.leg {
            let q = self.placed(p, dep);
            let leg = &mut self.legs[u.fatos[0].0.index()][fato[0] as usize];
            leg.insert(q.from_s, (q, *id), q.to_s - q.from_s);
        }
    }

    /// Books `plan` departing at `dep`.
    pub fn book(&mut self, net: &Network, plan: &Plan, dep: f64) {
        self.book_uses(&PlanUses::of(net, plan, self), dep, plan.fato);
    }

    /// Removes what [`Reservations::book`] booked for `plan` departing at `dep`.
    pub fn unbook(&mut self, net: &Network, plan: &Plan, dep: f64) {
        let u = PlanUses::of(net, plan, self);
        let b = self.buffer_s;
        for &(l, e, x, _) in &u.lanes {
            self.lanes[l.index()].remove(dep + e, |&v| v == dep + x);
        }
        for (&(n, a, z), k) in u.fatos.iter().zip(plan.fato) {
            self.fatos[n.index()][k as usize].remove(dep + a - b, |&v| v == dep + z + b);
        }
        let (n, a, z, _) = u.stand;
        self.stands[n.index()].remove(dep + a - b, |&v| v == dep + z + b);
        for &(n, t, _) in &u.gates {
            self.gates[n.index()].remove(dep + t, |_| true);
        }
        for (n, p) in &u.junctions {
            let q = self.placed(p, dep);
            self.junctions[n.index()].remove(q.from_s, |v| *v == q);
        }
        for (c, p) in &u.crossings {
            let q = self.placed(p, dep);
            self.crossings[*c].remove(q.from_s, |v| *v == q);
        }
        for (l, p) in &u.ramps {
            let q = self.placed(p, dep);
            self.ramps[l.index()].remove(q.from_s, |v| *v == q);
        }
        for &(k, ref p, id) in &u.fans {
            let q = self.placed(p, dep);
            self.fans[k].remove(q.from_s, |v| *v == (q, id));
        }
        if let Some((p, id)) = &u.leg {
            let q = self.placed(p, dep);
            let leg = &mut self.legs[u.fatos[0].0.index()][plan.fato[0] as usize];
            leg.remove(q.from_s, |v| *v == (q, *id));
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

/// Up to `k - 1` routes besides the time-optimal `first` (the lanes of the plan
/// [`super::plan_all`] found, not searched again), each distinct from those before it:
/// each next one is A* with the lanes already used four times as costly.
fn alternatives(
    net: &Network,
    (o, d, t): (NodeId, NodeId, &DroneType),
    first: &[LaneId],
    k: u32,
) -> Vec<Vec<LaneId>> {
    fn costlier(penalty: &mut BTreeMap<LaneId, f64>, route: &[LaneId]) {
        for &l in route {
            *penalty.entry(l).or_insert(1.0) *= 4.0;
        }
    }
    let mut penalty: BTreeMap<LaneId, f64> = BTreeMap::new();
    costlier(&mut penalty, first);
    let mut out: Vec<Vec<LaneId>> = Vec::new();
    for _ in 1..k.max(1) {
        let Some(r) = super::route_weighted(net, o, d, t, &penalty) else {
            break;
        };
        if r == first || out.contains(&r) {
            break;
        }
        costlier(&mut penalty, &r);
        out.push(r);
    }
    out
}

/// The FATO variants of the routes cleared so far: per route (its plan of the first
/// FATOs) and pair of FATOs, the variant's plan.
struct Variants(BTreeMap<(PlanId, [u8; 2]), PlanId>);

impl Variants {
    /// Forgets the variants of route `family` (their plans stay).
    fn forget(&mut self, family: PlanId) {
        let all = (family, [0; 2])..=(family, [u8::MAX; 2]);
        self.0.extract_if(all, |_, _| true).for_each(drop);
    }

    /// Route `family` between FATOs `fato`, planned (and appended to `plans`) on first use.
    fn get(
        &mut self,
        net: &Network,
        s: &Scenario,
        plans: &mut Vec<Plan>,
        family: PlanId,
        fato: [u8; 2],
    ) -> PlanId {
        *self.0.entry((family, fato)).or_insert_with(|| {
            if fato == plans[family].fato {
                return family;
            }
            let base = &plans[family];
            let plan = base.variant(net, &s.drone_types[base.drone_type], s.dt_s, fato);
            plans.push(plan);
            PlanId::new(plans.len() - 1)
        })
    }
}

/// Finds where a route's FATO variant fits: the family's uses `u` find each candidate
/// departure, the variant between the FATOs free then is checked with its own uses (in a
/// wind the legs of different FATOs take different times: each leg's ground speed depends
/// on its heading; in calm air they are the family's).
struct VariantSearch<'a> {
    net: &'a Network,
    s: &'a Scenario,
    plans: &'a mut Vec<Plan>,
    variants: &'a mut Variants,
    table: &'a Reservations,
    u: &'a PlanUses,
    /// What the family's earlier searches found ruled out.
    blocked: &'a mut Blocked,
    family: PlanId,
    /// Shed plans made whole for this flight (see [`whole`]).
    rebuilt: &'a mut Vec<PlanId>,
}

impl VariantSearch<'_> {
    /// The first departure from `steps` steps after `scheduled` (within `max_steps`) at
    /// which the variant between the FATOs free then fits with its own uses: the
    /// departure, the variant, its uses (`None` when the variant is the family itself,
    /// whose uses `u` are) and its FATOs.
    fn first_fit(
        self,
        scheduled: f64,
        mut steps: u64,
        max_steps: u64,
    ) -> Option<(f64, PlanId, Option<PlanUses>, [u8; 2])> {
        let dt = self.s.dt_s;
        loop {
            let dep = scheduled + steps as f64 * dt;
            let (n, a, z) = self.u.fatos[1];
            let fato = [
                self.table
                    .free_origin(self.u, dep)
                    .expect("the departure fits"),
                self.table
                    .free_fato(n, dep + a, dep + z)
                    .expect("the departure fits"),
            ];
            let plan = self
                .variants
                .get(self.net, self.s, self.plans, self.family, fato);
            // The family between its own FATOs: its uses are in hand (what they would be
            // found again to be), and its plan need not be made whole to find them.
            let vu = (plan != self.family).then(|| {
                whole(self.net, self.s, self.plans, plan, self.rebuilt);
                PlanUses::of(self.net, &self.plans[plan], self.table)
            });
            if self.table.fits_on(vu.as_ref().unwrap_or(self.u), dep, fato) {
                return Some((dep, plan, vu, fato));
            }
            if steps >= max_steps {
                return None;
            }
            let next = self.table.earliest_past(
                self.u,
                dep + dt,
                dt,
                max_steps - steps - 1,
                self.blocked,
            )?;
            steps += 1 + next;
        }
    }
}

/// The best clearance found so far for a flight: its arrival, ground delay in steps and
/// route (plan of the first FATOs).
#[derive(Debug, Clone, Copy)]
struct Best {
    arrival_s: f64,
    steps: u64,
    plan: PlanId,
}

impl Best {
    /// Whether arriving at `arrival_s` after `steps` of ground delay beats `best`: an
    /// earlier arrival, or the same with less delay.
    fn beaten_by(best: Option<Best>, arrival_s: f64, steps: u64) -> bool {
        best.is_none_or(|b| {
            arrival_s < b.arrival_s - EPS || (arrival_s <= b.arrival_s + EPS && steps < b.steps)
        })
    }
}

/// Makes plan `id` whole if it was shed, noting it in `rebuilt` (to be shed again once
/// the flight being cleared is).
fn whole(net: &Network, s: &Scenario, plans: &mut [Plan], id: PlanId, rebuilt: &mut Vec<PlanId>) {
    let plan = &mut plans[id.index()];
    if plan.is_shed() {
        plan.rebuild(net, &s.drone_types[plan.drone_type], s.dt_s);
        rebuilt.push(id);
    }
}

/// Clears every flight: assigns departure, route and FATOs (plan) or cancellation.
/// `flights` are in filed-departure order; plans of alternative routes and of FATO
/// variants are appended to `plans`. Returns the bookings of the flights as cleared
/// (what [`Reservations::of`] would build again; the offsets found between tracks and
/// the gaps between fan profiles are forgotten, the tracks and profiles kept).
///
/// With [`PlanKeeping::InUse`] a plan is whole only while a flight is being cleared
/// with it (its uses are what the clearing keeps): the others stay shed, or are shed
/// once that flight is cleared. The same clearance either way.
pub fn assign(
    s: &Scenario,
    net: &Network,
    (plans, flights): (&mut Vec<Plan>, &mut [Flight]),
    keeping: PlanKeeping,
) -> Reservations {
    let shed = keeping == PlanKeeping::InUse;
    // The shed plans made whole for the flight being cleared.
    let mut rebuilt: Vec<PlanId> = Vec::new();
    let cfg = &s.deconfliction;
    let dt = s.dt_s;
    let mut order: Vec<usize> = (0..flights.len()).collect();
    if cfg.order == ServiceOrder::Priority {
        // Stable: equal priorities keep filing order.
        order.sort_by_key(|&i| std::cmp::Reverse(flights[i].priority));
    }
    // Every origin, destination and type's alternative routes, searched and planned in
    // parallel (each stands alone) before the flights are cleared in order; their plans
    // are still added when the loop first meets them, so plans keep the order they
    // always had. A trip's first flight's plan is its time-optimal route (plan_all's).
    let mut primary_of: BTreeMap<super::Trip, PlanId> = BTreeMap::new();
    // Where in the order each trip is met last: once its last flight is cleared, what
    // the clearing keeps for its routes (their uses, the departures found ruled out,
    // their FATO variants) is read no more, and is dropped.
    let mut last_of: BTreeMap<super::Trip, usize> = BTreeMap::new();
    for (k, &i) in order.iter().enumerate() {
        let p = &plans[flights[i].plan];
        let trip = (p.origin, p.destination, p.drone_type);
        primary_of.entry(trip).or_insert(flights[i].plan);
        last_of.insert(trip, k);
    }
    let mut found = super::per_trip(primary_of.keys().copied(), |(o, d, ty)| {
        let first = &plans[primary_of[&(o, d, ty)]].lanes;
        let t = &s.drone_types[ty];
        alternatives(net, (o, d, t), first, cfg.alternatives)
            .into_iter()
            .map(|r| {
                let mut plan = build_plan(net, r, ty, t, dt, [0, 0]);
                if shed {
                    plan.shed();
                }
                plan
            })
            .collect::<Vec<Plan>>()
    });
    let mut options: BTreeMap<super::Trip, Vec<PlanId>> = BTreeMap::new();
    let mut variants = Variants(BTreeMap::new());
    let mut uses: BTreeMap<PlanId, PlanUses> = BTreeMap::new();
    // Per plan, the run of departures its searches found ruled out (see `Blocked`).
    let mut blocked: BTreeMap<PlanId, Blocked> = BTreeMap::new();
    let mut table = Reservations::new(net).with_buffer(cfg.buffer_s);
    let max_steps = (cfg.max_ground_delay_s / dt).floor() as u64;
    for (k, i) in order.into_iter().enumerate() {
        let known = plans.len();
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
                for mut plan in found.remove(&(o, d, ty)).unwrap_or_default() {
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
        let scheduled = flights[i].scheduled_s;
        let mut best: Option<Best> = None;
        let mut battery_short = true;
        let mut first_tried = None;
        for &c in &candidates {
            // What a shed plan keeps (its duration, energy and distance over water)
            // decides whether it is tried; it is made whole only to find its uses.
            let plan = &plans[c];
            if plan.energy_wh > usable(plan) {
                continue;
            }
            battery_short = false;
            first_tried.get_or_insert(c);
            // A later departure than this cannot arrive before the best found.
            let limit = match best {
                None => max_steps,
                Some(b) => {
                    let latest = b.arrival_s - plan.duration_s - scheduled;
                    if latest < -EPS {
                        continue;
                    }
                    ((latest / dt + EPS).floor() as u64).min(max_steps)
                }
            };
            let u = uses.entry(c).or_insert_with(|| {
                whole(net, s, plans, c, &mut rebuilt);
                PlanUses::of(net, &plans[c], &table)
            });
            let plan = &plans[c];
            let run = blocked.entry(c).or_default();
            if let Some(k) = table.earliest_past(u, scheduled, dt, limit, run) {
                let arrival = scheduled + k as f64 * dt + plan.duration_s;
                if Best::beaten_by(best, arrival, k) {
                    best = Some(Best {
                        arrival_s: arrival,
                        steps: k,
                        plan: c,
                    });
                }
            }
        }
        let f = &mut flights[i];
        match best {
            Some(b) => {
                let u = &uses[&b.plan];
                let search = VariantSearch {
                    net,
                    s,
                    plans,
                    variants: &mut variants,
                    table: &table,
                    u,
                    blocked: blocked.entry(b.plan).or_default(),
                    family: b.plan,
                    rebuilt: &mut rebuilt,
                };
                match search.first_fit(f.scheduled_s, b.steps, max_steps) {
                    Some((dep, plan, vu, fato)) => {
                        f.departure_s = dep;
                        f.rerouted = b.plan != primary;
                        f.plan = plan;
                        table.book_uses(vu.as_ref().unwrap_or(u), dep, fato);
                    }
                    None => {
                        f.cancelled = Some(Box::new(CancelReason::GroundDelay {
                            max_s: cfg.max_ground_delay_s,
                            binding: table.binding(u, f.scheduled_s, dt, max_steps),
                        }));
                    }
                }
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
                let tried = first_tried.expect("a route within the battery was tried");
                f.cancelled = Some(Box::new(CancelReason::GroundDelay {
                    max_s: cfg.max_ground_delay_s,
                    binding: table.binding(&uses[&tried], f.scheduled_s, dt, max_steps),
                }));
            }
        }
        if shed {
            // What this flight made whole or built: its uses are kept.
            for id in rebuilt
                .drain(..)
                .chain((known..plans.len()).map(PlanId::new))
            {
                plans[id.index()].shed();
            }
        }
        if last_of[&(o, d, ty)] == k {
            for c in options.remove(&(o, d, ty)).unwrap_or_default() {
                uses.remove(&c);
                blocked.remove(&c);
                variants.forget(c);
            }
        }
    }
    table.forget_pairs();
    table.shrink_to_fit();
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl Booking for u32 {
        type Kept = u32;
        fn kept(self) -> u32 {
            self
        }
        fn from_kept(_: f64, kept: u32) -> u32 {
            kept
        }
    }

    /// Altitudes rounded outwards to single precision: exact values stay, others move
    /// to the nearest single-precision value outside, by less than one of its steps.
    #[test]
    fn altitudes_round_outwards_to_single_precision() {
        assert_eq!((f32_below(105.0), f32_above(105.0)), (105.0, 105.0));
        let (lo, hi) = (f32_below(0.1), f32_above(0.1));
        assert!(lo < 0.1 && 0.1 < hi);
        // 0.1 in single precision is 0.100000001490116...: above 0.1.
        assert_eq!((lo, hi), (f64::from(0.1f32.next_down()), f64::from(0.1f32)));
        assert_eq!(f32_below(-0.1), -f64::from(0.1f32));
        let x = 123.456_789_012_345;
        assert!(f32_above(x) - f32_below(x) <= f64::from(f32::EPSILON) * 128.0);
        assert_eq!(f32_below(f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(f32_above(f64::INFINITY), f64::INFINITY);
        assert_eq!(f32_below(1e300), f64::from(f32::MAX));
        assert_eq!(f32_above(1e300), f64::INFINITY);
    }

    proptest! {
        /// A passage with its altitudes from [`alt_range`]'s rounding is kept in a table
        /// and read back exactly.
        #[test]
        fn a_passage_is_kept_exactly(
            from_s in -1e6f64..1e6, len_s in 0.0f64..1e4,
            lo in -1e4f64..1e4, dz in 0.0f64..1e3,
            lanes in (0u32..1000, 0u32..1000), exclusive: bool, shape in 0u32..1000,
        ) {
            let p = Passage {
                from_s,
                to_s: from_s + len_s,
                lanes: (LaneId::new(lanes.0 as usize), LaneId::new(lanes.1 as usize)),
                exclusive,
                alt_m: (f32_below(lo), f32_above(lo + dz)),
                shape: ShapeId(shape),
            };
            let mut t = Table::default();
            t.insert(p.from_s, (p, 7), len_s);
            let back: Vec<_> = t.starting_in(f64::NEG_INFINITY, f64::INFINITY).collect();
            prop_assert_eq!(back, vec![(from_s, (p, 7))]);
        }
    }

    /// What a [`Table`] answers, from an ordered map.
    fn oracle_in(m: &BTreeMap<(Time, u64), u32>, from: f64, to: f64) -> Vec<(f64, u32)> {
        if from >= to {
            return Vec::new();
        }
        m.range((Time(from), 0)..(Time(to), 0))
            .map(|(k, v)| (k.0.0, *v))
            .collect()
    }

    proptest! {
        /// The chunked table answers as an ordered map would, through inserts (many
        /// sharing a start), removals, chunk splits, bookings forgotten before a time and
        /// spare room given back.
        #[test]
        fn table_is_an_ordered_map(
            ops in prop::collection::vec((0u8..13, 0u32..60, 0u32..1000), 1..1500),
            queries in prop::collection::vec((0u32..70, 0u32..70), 1..20),
        ) {
            let (mut t, mut m) = (Table::<u32>::default(), BTreeMap::new());
            for (seq, &(op, start, v)) in ops.iter().enumerate() {
                let start = f64::from(start) * 0.5;
                if op == 0 {
                    // Remove the first booking at `start` with a value of the same parity.
                    let is = |x: &u32| x % 2 == v % 2;
                    t.remove(start, is);
                    let key = m
                        .range((Time(start), 0)..=(Time(start), u64::MAX))
                        .find(|(_, x)| is(x))
                        .map(|(k, _)| *k);
                    if let Some(k) = key {
                        m.remove(&k);
                    }
                } else if op == 11 {
                    let before = m.len();
                    m.retain(|k, _| *k >= (Time(start), 0));
                    prop_assert_eq!(t.forget_before(start), before - m.len());
                } else if op == 12 {
                    t.shrink_to_fit();
                    prop_assert!(t.chunks.iter().all(|c| c.capacity() == c.len()));
                } else {
                    t.insert(start, v, 1.0);
                    m.insert((Time(start), seq as u64 + 1), v);
                }
                prop_assert_eq!(t.len(), m.len());
            }
            prop_assert!(t.chunks.iter().all(|c| !c.is_empty() && c.len() <= CHUNK));
            for (a, b) in queries {
                let (from, to) = (f64::from(a) * 0.5, f64::from(b) * 0.5);
                let got: Vec<(f64, u32)> = t.starting_in(from, to).collect();
                prop_assert_eq!(got, oracle_in(&m, from, to));
                let before = m.range(..(Time(from), 0)).next_back().map(|(k, v)| (k.0.0, *v));
                let after = m.range((Time(from), 0)..).next().map(|(k, v)| (k.0.0, *v));
                prop_assert_eq!(t.around(from), (before, after));
            }
        }
    }
}
