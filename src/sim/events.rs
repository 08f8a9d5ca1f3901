//! Conflict and loss-of-separation events: opened when a pair first shows up in a check,
//! updated while it stays, closed when it goes.
//!
//! Times: a conflict event spans the steps it was detected in, `[first step, last step + dt)`.
//! A loss-of-separation event spans the exact (straight-line within each step) time the
//! pair was inside both minima. Severity at a moment is
//! `min((H - d_h) / H, (V - d_v) / V)`: how far inside the protected volume the pair is,
//! 0 at its edge and 1 when co-located; for a co-altitude pair it is `(H - d_h) / H`.
//! Open pairs are kept sorted by pair, and whatever leaves them goes in pair order, so
//! everything is in a fixed order.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a pair of flight indices (a multiply-rotate mix; fixed, so runs repeat).
#[derive(Default)]
pub struct PairHasher(u64);

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

use rayon::prelude::*;
use serde::Serialize;

use super::Fleet;
use super::detect::{PlaceInput, TerminalPart, TrackPlace, TrackTable};
use super::flight::{Airborne, Dynamics, FlightState, Phase};
use super::gates::Gates;
use super::motion::Moved;
use super::separation::{Encounter, Params, Track, closest_in, pair_params};
use crate::ids::{FlightId, JurisdictionId, NodeId};
use crate::network::Network;

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Loss of separation predicted within the look-ahead.
    Conflict,
    /// Loss of separation.
    Los,
}

/// A finished (or, at the end of the run, cut-off) event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Conflict or loss of separation.
    pub kind: EventKind,
    /// Lower flight of the pair.
    pub a: FlightId,
    /// Higher flight of the pair.
    pub b: FlightId,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
    /// Minimum horizontal distance, metres (for a conflict: the predicted closest approach
    /// at first detection).
    pub min_horizontal_m: f64,
    /// Vertical distance at that moment, metres.
    pub vertical_m: f64,
    /// Maximum intrusion severity (0..1); for a conflict, 0.
    pub severity: f64,
    /// For a conflict: seconds to loss of separation when first detected.
    pub time_to_los_s: f64,
    /// For a conflict: whether it became a loss of separation.
    pub became_los: bool,
    /// Where the pair was closest (lower-index drone), local `[east_m, north_m, alt_m]`.
    pub at: [f64; 3],
    /// Still going when the run ended.
    pub open_at_end: bool,
    /// Where it began: at a junction when either drone was near one (see
    /// [`pair_location`]), else in a terminal area (of which vertiport, which part) when
    /// either was in one, else en route.
    pub location: TrackPlace,
    /// For a loss of separation: what led to it (boxed: conflicts, the many, carry none).
    pub cause: Option<Box<LosCause>>,
}

/// A decision the system took about a flight before an event: what event forensics
/// lists for each drone of a loss of separation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// It took off more than a step after its filed departure (strategic ground delay,
    /// a wait for a stand, FATO or departure slot, or a late start).
    GroundDelay,
    /// Strategic deconfliction sent it on another route than the time-optimal one.
    Reroute,
    /// Tactical resolution moved it off its plan (speed, level or sideways) at some time.
    Manoeuvre,
    /// Its destination's terminal area made it wait (stack, line, or spacing behind the
    /// drone ahead).
    Holding,
    /// It waited at a border gate.
    GateWait,
}

impl Decision {
    /// Every decision, in the order they are listed.
    pub const ALL: [Decision; 5] = [
        Decision::GroundDelay,
        Decision::Reroute,
        Decision::Manoeuvre,
        Decision::Holding,
        Decision::GateWait,
    ];

    /// Its name in reports (`ground_delay`, `reroute`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Decision::GroundDelay => "ground_delay",
            Decision::Reroute => "reroute",
            Decision::Manoeuvre => "manoeuvre",
            Decision::Holding => "holding",
            Decision::GateWait => "gate_wait",
        }
    }
}

/// The decisions that touched one flight, as a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decisions(u8);

impl Decisions {
    /// The decisions taken about a flight by now, from its record: flight `f` of `fleet`
    /// in state `d`, taken off at `state.takeoff_s`, with step `dt_s`.
    pub fn of(
        f: FlightId,
        d: &Dynamics,
        state: &FlightState,
        fleet: &Fleet,
        gates: &Gates,
    ) -> Self {
        let flight = &fleet.flights()[f.index()];
        let mut set = Decisions::default();
        let mut put = |yes: bool, x: Decision| {
            if yes {
                set.0 |= 1 << x as u8;
            }
        };
        // Take-off happens on a step, so up to one step after the filed time is no delay.
        let late = state.takeoff_s - flight.scheduled_s;
        put(late > fleet.dt_s + 1e-9, Decision::GroundDelay);
        put(flight.rerouted, Decision::Reroute);
        put(
            d.manoeuvring_s > 0.0 || d.manoeuvring(),
            Decision::Manoeuvre,
        );
        put(
            d.holding_s > 0.0 || d.fato_waited || d.in_terminal_hold(),
            Decision::Holding,
        );
        put(gates.wait_s(f) > 0.0 || d.at_gate, Decision::GateWait);
        set
    }

    /// Whether `x` is in the set.
    pub fn contains(self, x: Decision) -> bool {
        self.0 & (1 << x as u8) != 0
    }

    /// Whether no decision touched the flight.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The decisions in the set, in [`Decision::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Decision> {
        Decision::ALL.into_iter().filter(move |&x| self.contains(x))
    }
}

impl std::fmt::Display for Decisions {
    /// `ground_delay+holding`, or `none`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, x) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(x.name())?;
        }
        Ok(())
    }
}

impl Serialize for Decisions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// An earlier event of one drone of a loss of separation with a third drone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prior {
    /// Conflict or loss of separation.
    pub kind: EventKind,
    /// Its pair, lower flight first.
    pub a: FlightId,
    /// Higher flight of its pair.
    pub b: FlightId,
    /// Seconds from the end of its conflict episode (the last step the pair was seen in,
    /// plus one) to this loss's start (0 when it was still going).
    pub gap_s: f64,
    /// Whether the drone the two events share was manoeuvred by tactical resolution
    /// since that event began: the earlier event may have pushed it into this one.
    pub manoeuvred_since: bool,
}

/// What led to a loss of separation, as far as the run knows it (event forensics).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LosCause {
    /// What each drone (the event's `a`, then `b`) was doing when it began.
    pub phases: [Phase; 2],
    /// Where each was.
    pub places: [TrackPlace; 2],
    /// Whether the pair was in predicted conflict in a step before it began.
    pub predicted: bool,
    /// Seconds from the first detection of the pair's conflict to the loss (0 when not
    /// predicted).
    pub warning_s: f64,
    /// The decisions that touched each drone before it began.
    pub decisions: [Decisions; 2],
    /// When the pair had been in conflict before, in an episode that ended before this
    /// one was detected: the seconds between the two (a resolution that let the pair go
    /// back on course into each other shows here). `None` when no earlier episode is
    /// known (only each drone's two latest events are kept).
    pub earlier_episode_gap_s: Option<f64>,
    /// With a communications layer: how old the ground's picture of each drone was when
    /// it began, seconds (since its last report received was sent).
    pub report_age_s: Option<[f64; 2]>,
    /// The latest event (conflict or loss of separation) of either drone with a third
    /// drone that began before this pair's conflict was first detected and was still
    /// going, or had ended within the look-ahead, when this loss began. Events that
    /// begin in the same step are one multi-drone encounter, not a chain.
    pub follows: Option<Prior>,
}

impl LosCause {
    /// A domino: it followed another event of one of its drones with a third drone, and
    /// tactical resolution manoeuvred that drone since (Bilimoria's domino effect: a
    /// resolution that leads into the next conflict). A loss that only follows another,
    /// with no manoeuvre in between (drones in one stream, a multi-drone meeting), is a
    /// chain of events, not a domino.
    pub fn domino(&self) -> bool {
        self.follows.is_some_and(|p| p.manoeuvred_since)
    }
}

impl Event {
    /// Whether it began in a terminal area.
    pub fn at_vertiport(&self) -> bool {
        matches!(self.location, TrackPlace::Terminal(..))
    }
}

/// The location of a pair: a junction over a terminal area over en route (the first
/// drone's when both are in the same kind of place). A junction wins because a drone
/// there (changing level where its lane meets the next, or merging) is what brings the
/// pair together even when the other is already on a connector.
pub fn pair_location(a: TrackPlace, b: TrackPlace) -> TrackPlace {
    let rank = |p: &TrackPlace| match p {
        TrackPlace::Junction(_) => 2,
        TrackPlace::Terminal(..) => 1,
        TrackPlace::EnRoute => 0,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

/// A location's kind, for counting: `en_route`, `junction`, or the terminal part
/// (`fato`, `departure`, `holding`, `approach`).
pub fn location_kind(p: TrackPlace) -> &'static str {
    match p {
        TrackPlace::EnRoute => "en_route",
        TrackPlace::Junction(_) => "junction",
        TrackPlace::Terminal(_, part) => match part {
            TerminalPart::Departure => "departure",
            TerminalPart::Holding => "holding",
            TerminalPart::Approach => "approach",
            TerminalPart::Fato => "fato",
        },
    }
}

#[derive(Debug, Clone)]
struct Open {
    /// The open conflict, boxed: the table of open pairs is probed for every encounter
    /// of every step, and small entries keep it in cache.
    conflict: Option<Box<Event>>,
    /// When the open conflict ends so far, seconds (kept here, not in the boxed event,
    /// for the same reason; written into it when it closes).
    conflict_end_s: f64,
    los: Option<Box<Event>>,
    /// Step the conflict episode was first detected in.
    opened_step: u64,
    /// When the pair's previous conflict episode ended (NaN: none known).
    previous_end_s: f64,
    /// Whether the open loss of separation has been counted as a collision.
    collided: bool,
    /// Whether it has been counted as a near miss.
    near_missed: bool,
}

impl Open {
    /// A pair first seen at `step`, nothing open yet.
    fn new(step: u64) -> Self {
        Open {
            conflict: None,
            conflict_end_s: f64::NAN,
            los: None,
            opened_step: step,
            previous_end_s: f64::NAN,
            collided: false,
            near_missed: false,
        }
    }

    /// Its open events, loss of separation first, with the conflict's end filled in.
    fn take_events(&mut self) -> impl Iterator<Item = Event> + use<> {
        let end_s = self.conflict_end_s;
        let conflict = self.conflict.take().map(|mut c| {
            c.end_s = end_s;
            *c
        });
        self.los.take().map(|l| *l).into_iter().chain(conflict)
    }
}

/// What an event's place and causes are read against: the network (jurisdictions), the
/// flights (their city pairs, filed departures and routes), their states (take-off
/// times) and the border gates (waits).
#[derive(Clone, Copy)]
pub struct Places<'a> {
    /// The network, to locate a point's jurisdiction.
    pub net: &'a Network,
    /// The flights, for their origin and destination.
    pub fleet: &'a Fleet,
    /// Every flight's state.
    pub states: &'a [FlightState],
    /// The border gates.
    pub gates: &'a Gates,
    /// The communications layer, if any (how old the ground's picture of a drone is).
    pub comms: Option<&'a super::comms::CommsLayer>,
}

impl Places<'_> {
    /// A flight's city pair: the jurisdictions of its origin and destination.
    pub fn pair_of(&self, f: FlightId) -> CityPair {
        let plan = self.fleet.plan(f);
        let node = |n: crate::ids::NodeId| self.net.nodes[n].jurisdiction;
        (node(plan.origin), node(plan.destination))
    }
}

/// A city pair: the jurisdictions of a flight's origin and destination (`None` outside
/// every jurisdiction).
pub type CityPair = (Option<JurisdictionId>, Option<JurisdictionId>);

/// Every closed event, summed as it closes: the report's numbers whether or not the event
/// itself is kept.
#[derive(Debug, Clone, Default)]
pub struct EventSummary {
    /// Conflict events: conflict *episodes*, one per pair from first detection until the
    /// pair is no longer in conflict (a loss of separation happens inside one).
    pub conflicts: u64,
    /// Of those, the episodes that became a loss of separation.
    pub conflicts_became_los: u64,
    /// Episodes already in loss of separation in the step they were first detected: a
    /// loss with no prior alert.
    pub los_without_alert: u64,
    /// Losses of separation in which the two drones' centres came closer than the sum of
    /// their types' body radii (`radius_m`): collisions.
    pub collisions: u64,
    /// Losses of separation in which the centres came closer than [`NEAR_MISS_FACTOR`]
    /// times the sum of the bodies' radii: near misses (collisions included).
    pub near_misses: u64,
    /// Loss-of-separation events.
    pub los: u64,
    /// Time spent in loss of separation, summed over pairs, seconds.
    pub los_s: f64,
    /// Of those, in a terminal area.
    pub los_at_vertiports: u64,
    /// Losses of separation by location kind ([`location_kind`]).
    pub los_by_location: BTreeMap<&'static str, u64>,
    /// Losses of separation in each vertiport's terminal area.
    pub los_by_vertiport: BTreeMap<NodeId, u64>,
    /// Smallest horizontal distance in a loss of separation (infinite if none), metres.
    pub min_separation_m: f64,
    /// Severity of each loss of separation, in closing order (kept: the report gives exact
    /// percentiles).
    pub severities: Vec<f64>,
    /// Losses of separation by the jurisdiction their closest point lies in, counted as
    /// they close (so nothing per event is kept for it).
    pub los_by_jurisdiction: BTreeMap<JurisdictionId, u64>,
    /// Losses of separation by city pair of the flights involved: one for each pair, or
    /// one for the pair both flights share.
    pub los_by_pair: BTreeMap<CityPair, u64>,
    /// Events closed but not kept in `closed` (beyond `max_kept`).
    pub not_kept: u64,
    /// What led to the losses of separation, summed.
    pub causes: CauseSummary,
}

/// The causes of every loss of separation, summed as each closes (see [`LosCause`]).
#[derive(Debug, Clone, Default)]
pub struct CauseSummary {
    /// Losses the pair's conflict was predicted for in an earlier step.
    pub predicted: u64,
    /// Of those, seconds of warning each had, in closing order.
    pub warnings_s: Vec<f64>,
    /// Losses by decision touching either drone (a loss counts once under each decision
    /// that touched one of its drones); `none` when none touched either.
    pub by_decision: BTreeMap<&'static str, u64>,
    /// Losses by the pair's phases, `phase/phase` in name order.
    pub by_phases: BTreeMap<(&'static str, &'static str), u64>,
    /// Losses that followed another event of one of the drones with a third drone
    /// ([`LosCause::follows`]).
    pub after_other_event: u64,
    /// Of those, dominoes ([`LosCause::domino`]).
    pub dominoes: u64,
    /// Losses whose pair had been in conflict before, in an earlier episode
    /// ([`LosCause::earlier_episode_gap_s`]).
    pub after_earlier_episode: u64,
    /// With a communications layer: losses in which the ground's picture of either drone
    /// was stale.
    pub with_stale_picture: u64,
    /// Of those, the older picture's age, seconds, in closing order.
    pub stale_ages_s: Vec<f64>,
}

impl CauseSummary {
    /// Sums `c`; a picture older than `stale_after_s` (with a communications layer) is
    /// stale.
    fn add(&mut self, c: &LosCause, stale_after_s: Option<f64>) {
        if c.predicted {
            self.predicted += 1;
            self.warnings_s.push(c.warning_s);
        }
        let both = Decisions(c.decisions[0].0 | c.decisions[1].0);
        if both.is_empty() {
            *self.by_decision.entry("none").or_default() += 1;
        }
        for x in both.iter() {
            *self.by_decision.entry(x.name()).or_default() += 1;
        }
        let (p, q) = (c.phases[0].name(), c.phases[1].name());
        *self.by_phases.entry((p.min(q), p.max(q))).or_default() += 1;
        self.after_other_event += u64::from(c.follows.is_some());
        self.dominoes += u64::from(c.domino());
        self.after_earlier_episode += u64::from(c.earlier_episode_gap_s.is_some());
        if let (Some([a, b]), Some(limit)) = (c.report_age_s, stale_after_s) {
            let oldest = a.max(b);
            if oldest > limit {
                self.with_stale_picture += 1;
                self.stale_ages_s.push(oldest);
            }
        }
    }
}

/// One drone's latest event with another drone, for finding what a loss of separation
/// followed. Times in single precision (a millisecond at a day): one is kept for every
/// drone with an event in the last look-ahead, 20 bytes.
#[derive(Debug, Clone, Copy)]
struct Recent {
    other: FlightId,
    kind: EventKind,
    /// When the conflict episode was first detected, seconds.
    start_s: f32,
    /// The flight's seconds of manoeuvring then ([`Dynamics::manoeuvring_s`]).
    manoeuvring_s: f32,
    /// When the conflict episode ended (infinite while it goes on), seconds.
    end_s: f32,
}

/// Steps between sweeps of the per-flight recent events for entries too old to matter.
const RECENT_SWEEP_STEPS: u64 = 64;

/// A near miss is a pass with the centres closer than this times the sum of the two
/// bodies' radii. For a straight pass the miss point lies in the plane across the relative
/// velocity; spread evenly over a disc of radius `k·(r₁+r₂)` there, one pass in `k²` hits.
/// `k = √10` gives the ratio of one collision in ten near misses that sized the manned NMAC
/// (FAA NMAC study group, 1969) and that Weinert et al. take as the bound for their drone
/// analog (sNMAC, Journal of Air Transportation 2022).
pub const NEAR_MISS_FACTOR: f64 = 3.162_277_660_168_379_5;

/// Where closed events go while the run goes, in `events.csv`'s order (start, kind,
/// pair): the command line writes them to a file as they come, so memory does not grow
/// with the day's events.
pub trait EventSink: Send + Sync {
    /// Takes one event.
    fn record(&mut self, e: &Event, fleet: &Fleet, net: &Network) -> std::io::Result<()>;
    /// Completes the output once the run is over.
    fn finish(self: Box<Self>, fleet: &Fleet, net: &Network) -> std::io::Result<()>;
}

/// A closed event waiting until no event still to close can start before it, ordered as
/// [`EventTracker::sorted`] orders events (closing order last, as its stable sort keeps).
struct Waiting {
    e: Event,
    seq: u64,
}

impl Waiting {
    fn cmp_key(&self, o: &Self) -> Ordering {
        file_order(&self.e, &o.e).then(self.seq.cmp(&o.seq))
    }
}

/// The order of `events.csv`: by start time, then kind, then pair.
pub fn file_order(x: &Event, y: &Event) -> Ordering {
    x.start_s
        .total_cmp(&y.start_s)
        .then(x.kind.cmp(&y.kind))
        .then((x.a, x.b).cmp(&(y.a, y.b)))
}

impl PartialEq for Waiting {
    fn eq(&self, o: &Self) -> bool {
        self.cmp_key(o) == Ordering::Equal
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Waiting {
    fn cmp(&self, o: &Self) -> Ordering {
        self.cmp_key(o)
    }
}

/// Closed events on their way to a sink. An event is handed over once every event still
/// open began after it (and every event yet to open will begin at the current step or
/// later): the sink sees exactly [`EventTracker::sorted`]'s order. What waits is what
/// closed while the oldest open event stays open.
struct Stream {
    sink: Option<Box<dyn EventSink>>,
    waiting: BinaryHeap<Reverse<Waiting>>,
    /// Events closed so far (the order among equal keys).
    seq: u64,
    /// Events handed to the sink (at most `max_kept`).
    written: usize,
    /// The first error the sink returned (a step cannot return one).
    error: Option<std::io::Error>,
}

/// The tracker's stream, if any. A copy of the tracker (a replay keyframe) streams
/// nothing: it keeps events the usual way from there on.
#[derive(Default)]
struct Streaming(Option<Stream>);

impl Clone for Streaming {
    fn clone(&self) -> Self {
        Streaming(None)
    }
}

impl std::fmt::Debug for Streaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("not streamed"),
            Some(s) => write!(
                f,
                "streamed ({} written, {} waiting)",
                s.written,
                s.waiting.len()
            ),
        }
    }
}

/// Events kept by default: a million rows of `events.csv` is as many as anyone reads; the
/// summary counts all of them.
pub const DEFAULT_MAX_KEPT: usize = 1_000_000;

/// A pair of flights, the lower index first.
type Pair = (FlightId, FlightId);

/// The buffers a step's merge of encounters into the open pairs reuses (a copy of the
/// tracker starts with none).
#[derive(Default)]
struct Merge {
    /// Each encounter's pair and its place in the step's list, in pair order.
    keyed: Vec<(Pair, u32)>,
    /// Each encounter's place in the open pairs after the merge.
    slots: Vec<u32>,
    /// The pairs not seen this step.
    gone: Vec<(Pair, Open)>,
}

impl Clone for Merge {
    fn clone(&self) -> Self {
        Merge::default()
    }
}

impl std::fmt::Debug for Merge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Merge")
    }
}

/// Turns each step's encounters into events.
#[derive(Debug, Clone)]
pub struct EventTracker {
    /// Open events by pair, sorted by pair. Each step's encounters, put in pair order,
    /// are merged into it front to back: at 100,000 drones a step brings some 30,000
    /// encounters, and probing a hash map of as many pairs at random waited on memory
    /// for each.
    open: Vec<(Pair, Open)>,
    /// The merge's buffers.
    merge: Merge,
    /// Closed events, in closing order: the first `max_kept` of them. When events are
    /// streamed ([`EventTracker::stream_to`]), only the losses of separation among those
    /// handed to the sink, in the sink's order (report forensics reads them).
    pub closed: Vec<Event>,
    /// Every closed event, summed.
    pub summary: EventSummary,
    /// How many closed events to keep in `closed` (and write to `events.csv`).
    pub max_kept: usize,
    /// Encounters a part of a step's update on every core takes at least (fewer run as
    /// one part); 0: no parts, every encounter taken in the step's order, as the update
    /// was written first (what tests hold the parts to).
    pub part_min: usize,
    /// Conflict events opened so far.
    pub conflicts_opened: u64,
    /// Loss-of-separation events opened so far.
    pub los_opened: u64,
    /// Per flight, its two latest events with distinct other drones (latest first).
    recent: RecentEvents,
    /// Where closed events go when they are streamed.
    stream: Streaming,
}

impl Default for EventTracker {
    fn default() -> Self {
        EventTracker {
            open: Vec::new(),
            merge: Merge::default(),
            closed: Vec::new(),
            summary: EventSummary {
                min_separation_m: f64::INFINITY,
                ..Default::default()
            },
            max_kept: DEFAULT_MAX_KEPT,
            part_min: PART_MIN,
            conflicts_opened: 0,
            los_opened: 0,
            recent: HashMap::default(),
            stream: Streaming::default(),
        }
    }
}

fn blank(kind: EventKind, a: FlightId, b: FlightId, start_s: f64) -> Event {
    Event {
        kind,
        a,
        b,
        start_s,
        end_s: start_s,
        min_horizontal_m: f64::INFINITY,
        vertical_m: f64::INFINITY,
        severity: 0.0,
        time_to_los_s: 0.0,
        became_los: false,
        at: [0.0; 3],
        open_at_end: false,
        location: TrackPlace::EnRoute,
        cause: None,
    }
}

/// The smallest 3D distance between two tracks moving on straight lines between `lo` and
/// `hi` seconds from now, metres.
fn closest_3d(a: &Track, b: &Track, lo: f64, hi: f64) -> f64 {
    let (p, w) = (b.pos - a.pos, b.vel - a.vel);
    let w2 = w.length_squared();
    let t = if w2 > 1e-12 {
        (-p.dot(w) / w2).clamp(lo, hi)
    } else {
        lo
    };
    (p + w * t).length()
}

/// Per flight, its two latest events with distinct other drones (latest first).
type RecentEvents = HashMap<FlightId, [Option<Recent>; 2], BuildHasherDefault<PairHasher>>;

/// Notes a new event of `kind` between `pair` at `t` in both drones' recent events (whose
/// dynamics are `d`): it becomes each one's latest. A conflict starts a new episode; a
/// loss of separation marks its episode's entry as one. Returns when the pair's previous
/// episode ended, if it is still among the first drone's latest.
fn note(
    recent: &mut RecentEvents,
    pair: (FlightId, FlightId),
    d: [&Dynamics; 2],
    (kind, t): (EventKind, f64),
) -> Option<f64> {
    let mut previous_end = None;
    for ((f, other), d) in [(pair.0, pair.1), (pair.1, pair.0)].into_iter().zip(d) {
        let r = recent.entry(f).or_default();
        let fresh = Recent {
            other,
            kind,
            start_s: t as f32,
            manoeuvring_s: d.manoeuvring_s,
            end_s: f32::INFINITY,
        };
        let new = match r.iter().flatten().find(|x| x.other == other) {
            Some(x) if kind == EventKind::Los => Recent {
                kind: EventKind::Los,
                ..*x
            },
            Some(x) => {
                if f == pair.0 {
                    previous_end = Some(f64::from(x.end_s));
                }
                fresh
            }
            None => fresh,
        };
        if r[0].is_none_or(|x| x.other != other) {
            r[1] = r[0];
        }
        r[0] = Some(new);
    }
    previous_end
}

/// The latest event of either drone of `pair` (whose dynamics are `d`) with a third
/// drone that began before `detected_s` (when the pair's conflict was first detected)
/// and was still going or ended within `window_s` before `start_s`.
fn prior(
    recent: &RecentEvents,
    (pair, d): ((FlightId, FlightId), [&Dynamics; 2]),
    (detected_s, start_s): (f64, f64),
    window_s: f64,
) -> Option<Prior> {
    [(pair.0, pair.1), (pair.1, pair.0)]
        .into_iter()
        .zip(d)
        .filter_map(|((f, other), d)| {
            let r = recent.get(&f)?;
            let x = r.iter().flatten().find(|x| x.other != other)?;
            let manoeuvred = d.manoeuvring_s > x.manoeuvring_s || d.manoeuvring();
            // (Compared in the precision kept: an event of the same step is not before.)
            let began_before = x.start_s < detected_s as f32;
            let recent_enough = x.end_s >= (start_s - window_s) as f32;
            (began_before && recent_enough).then_some((f, *x, manoeuvred))
        })
        .max_by(|(_, x, m), (_, y, n)| x.end_s.total_cmp(&y.end_s).then(m.cmp(n)))
        .map(|(f, x, manoeuvred_since)| Prior {
            kind: x.kind,
            a: f.min(x.other),
            b: f.max(x.other),
            gap_s: (start_s - f64::from(x.end_s)).max(0.0),
            manoeuvred_since,
        })
}

/// What updating a step's encounters reads: the time after the step, the separation
/// parameters, the tracks, the drones they were taken from and the move's rows for them,
/// and the fleet.
struct StepCtx<'a> {
    t: f64,
    p: &'a Params,
    table: &'a TrackTable,
    airborne: &'a [Airborne],
    settled: &'a [Moved],
    fleet: &'a Fleet,
}

impl StepCtx<'_> {
    /// The minima `e`'s pair is held to.
    fn params(&self, e: &Encounter) -> Params {
        let minima = self.table.rules().minima;
        pair_params(self.p, minima, e.a as usize, e.b as usize)
    }

    /// When within the step `e`'s pair is in loss of separation, if it is.
    fn los(&self, e: &Encounter) -> Option<(f64, f64)> {
        let (drones, p) = ((self.airborne, self.settled), &self.params(e));
        self.table.los_in_step(p, e, drones, self.fleet)
    }

    /// The open loss of separation of `e`'s pair (`o.los`) going on over `(lo, hi)` of
    /// the step: its end, closest approach and severity; and whether the pair collided
    /// or came within a near miss for the first time in it, as `[collisions, near misses]`
    /// to count. A collision: the centres closer than the two bodies' radii; a near
    /// miss: closer than [`NEAR_MISS_FACTOR`] times that.
    fn in_los(&self, o: &mut Open, e: &Encounter, (lo, hi): (f64, f64)) -> [u64; 2] {
        let p = self.params(e);
        let tracks = self.table.tracks();
        let (fa, fb) = (
            self.table.flight(e.a as usize),
            self.table.flight(e.b as usize),
        );
        let (ta, tb) = (&tracks[e.a as usize], &tracks[e.b as usize]);
        let first = if fa < fb { ta } else { tb };
        let mut counts = [0; 2];
        if !o.collided {
            let radius = |f| self.fleet.drone_type(f).radius_m;
            let bodies = radius(fa) + radius(fb);
            let d = closest_3d(ta, tb, lo, hi);
            if d < bodies {
                o.collided = true;
                counts[0] = 1;
            }
            if !o.near_missed && d < NEAR_MISS_FACTOR * bodies {
                o.near_missed = true;
                counts[1] = 1;
            }
        }
        let l = o.los.as_mut().expect("an open loss of separation");
        l.end_s = self.t + hi;
        let (tc, dh, dv) = closest_in(ta, tb, lo, hi);
        let sev = ((p.horizontal_m - dh) / p.horizontal_m).min((p.vertical_m - dv) / p.vertical_m);
        if dh < l.min_horizontal_m {
            l.min_horizontal_m = dh;
            l.vertical_m = dv;
            l.at = (first.pos + first.vel * tc).to_array();
        }
        l.severity = l.severity.max(sev);
        counts
    }
}

/// An encounter left for the step's ordered pass: its place among the step's encounters
/// and its loss of separation in the step, if any.
type Deferred = (u32, Option<(f64, f64)>);

/// Encounters a part of a step's update takes at least, by default
/// ([`EventTracker::part_min`]).
const PART_MIN: usize = 2048;

impl EventTracker {
    /// Feeds one step's encounters at time `t` (state after the step), as track indices
    /// into `table`, `airborne` (the drones the table was filled from, in its order) and
    /// `settled` (the move's rows for them); losses of separation that close are placed
    /// with `places`.
    pub(crate) fn update(
        &mut self,
        step: u64,
        t: f64,
        p: &Params,
        (table, airborne, settled): (&TrackTable, &[Airborne], &[Moved]),
        enc: &[Encounter],
        places: Places,
    ) {
        let tracks = table.tracks();
        let pair_of = |e: &Encounter| {
            let (fa, fb) = (table.flight(e.a as usize), table.flight(e.b as usize));
            (fa.min(fb), fa.max(fb))
        };
        self.merge_encounters(step, enc.iter().map(pair_of));
        let ctx = StepCtx {
            t,
            p,
            table,
            airborne,
            settled,
            fleet: places.fleet,
        };
        // Pairs whose events go on as they were (nothing opens, nothing closes) touch
        // their own entry alone: updated on every core, each part a run of the open
        // pairs. The rest, which note, open and close events in the step's order, wait.
        let waiting = self.continue_encounters(&ctx, enc);
        for (i, los) in waiting {
            let e = &enc[i as usize];
            let pp = ctx.params(e);
            let p = &pp;
            let place = |i: u32| {
                let a = &airborne[i as usize];
                let input = PlaceInput::of(&a.d);
                TrackPlace::of(places.fleet.plan(a.flight), input, places.net)
            };
            // Found only when an event opens.
            let location = || pair_location(place(e.a), place(e.b));
            let (fa, fb) = (table.flight(e.a as usize), table.flight(e.b as usize));
            let (ta, tb) = (&tracks[e.a as usize], &tracks[e.b as usize]);
            let (key, first) = if fa < fb {
                ((fa, fb), ta)
            } else {
                ((fb, fa), tb)
            };
            let (da, db) = (&airborne[e.a as usize].d, &airborne[e.b as usize].d);
            // The pair's dynamics in key order.
            let dyns = if fa < fb { [da, db] } else { [db, da] };
            let o = &mut self.open[self.merge.slots[i as usize] as usize].1;
            if o.conflict.is_none() {
                let mut ev = blank(EventKind::Conflict, key.0, key.1, t);
                ev.location = location();
                let (tc, dh, dv) = closest_in(ta, tb, 0.0, p.lookahead_s.max(p.dt_s));
                ev.min_horizontal_m = dh;
                ev.vertical_m = dv;
                ev.time_to_los_s = e.t_in.max(0.0);
                ev.at = (first.pos + first.vel * tc).to_array();
                o.conflict = Some(Box::new(ev));
                self.conflicts_opened += 1;
                let previous = note(&mut self.recent, key, dyns, (EventKind::Conflict, t));
                o.previous_end_s = previous.unwrap_or(f64::NAN);
                self.summary.los_without_alert += u64::from(los.is_some());
            }
            o.conflict_end_s = t + p.dt_s;
            if let Some((lo, hi)) = los {
                let c = o.conflict.as_mut().expect("opened above");
                c.became_los = true;
                if o.los.is_none() {
                    let mut ev = blank(EventKind::Los, key.0, key.1, t + lo);
                    ev.location = location();
                    let conflict_s = c.start_s;
                    let (ia, ib) = if fa < fb { (e.a, e.b) } else { (e.b, e.a) };
                    let drone = |i: u32| {
                        let a = &airborne[i as usize];
                        let state = &places.states[a.flight.index()];
                        let decisions =
                            Decisions::of(a.flight, &a.d, state, places.fleet, places.gates);
                        (a.d.phase(), place(i), decisions)
                    };
                    let ((pa, la, da), (pb, lb, db)) = (drone(ia), drone(ib));
                    let predicted = o.opened_step < step;
                    let previous_end_s = o.previous_end_s;
                    ev.cause = Some(Box::new(LosCause {
                        phases: [pa, pb],
                        places: [la, lb],
                        predicted,
                        warning_s: if predicted {
                            (ev.start_s - conflict_s).max(0.0)
                        } else {
                            0.0
                        },
                        decisions: [da, db],
                        report_age_s: places.comms.map(|c| {
                            let t0 = ev.start_s;
                            [c.age_s(key.0, t0), c.age_s(key.1, t0)]
                        }),
                        earlier_episode_gap_s: (conflict_s - previous_end_s)
                            .is_finite()
                            .then_some((conflict_s - previous_end_s).max(0.0)),
                        follows: prior(
                            &self.recent,
                            (key, dyns),
                            (conflict_s, ev.start_s),
                            p.lookahead_s,
                        ),
                    }));
                    note(&mut self.recent, key, dyns, (EventKind::Los, t));
                    o.los = Some(Box::new(ev));
                    o.collided = false;
                    o.near_missed = false;
                    self.los_opened += 1;
                }
                let [c, n] = ctx.in_los(o, e, (lo, hi));
                self.summary.collisions += c;
                self.summary.near_misses += n;
            } else if let Some(l) = o.los.take() {
                self.close(*l, places);
            }
        }
        // Close what was not seen this step, in pair order.
        let mut gone = std::mem::take(&mut self.merge.gone);
        for (_, o) in &mut gone {
            for e in o.take_events() {
                self.close(e, places);
            }
        }
        gone.clear();
        self.merge.gone = gone;
        // Events still open, and those yet to open, begin no earlier than this.
        let mut earliest = t;
        if self.stream.0.is_some() {
            for (_, o) in &self.open {
                for e in o.conflict.iter().chain(&o.los) {
                    earliest = earliest.min(e.start_s);
                }
            }
        }
        self.flush(earliest, places);
        if step.is_multiple_of(RECENT_SWEEP_STEPS) {
            let since = (t - p.lookahead_s) as f32;
            self.recent
                .retain(|_, r| r.iter().flatten().any(|x| x.end_s >= since));
        }
    }

    /// Updates, on every core, the open pairs of this step's encounters whose events go
    /// on as they were: a conflict open and a loss of separation open before and now, or
    /// neither. Each part takes a run of the open pairs (after [`Self::merge_encounters`],
    /// in pair order, as the encounters they were met in) and touches nothing else; what
    /// it counts (collisions, near misses) is summed. Returns the other encounters, by
    /// their place in `enc`, with their loss of separation in the step: they open or
    /// close events, note them and read what others noted, so they are taken in the
    /// step's order after. The result does not depend on the number of threads.
    fn continue_encounters(&mut self, ctx: &StepCtx, enc: &[Encounter]) -> Vec<Deferred> {
        let (keyed, slots) = (&self.merge.keyed, &self.merge.slots);
        let n = keyed.len();
        if self.part_min == 0 {
            return (0..n as u32)
                .map(|i| (i, ctx.los(&enc[i as usize])))
                .collect();
        }
        let parts = (n / self.part_min).clamp(1, 4 * rayon::current_num_threads());
        // Cut points among the encounters in pair order, never between two of a pair.
        let mut cuts = vec![0];
        for k in 1..parts {
            let mut j = k * n / parts;
            while j < n && keyed[j].0 == keyed[j - 1].0 {
                j += 1;
            }
            if j < n && j > cuts[cuts.len() - 1] {
                cuts.push(j);
            }
        }
        cuts.push(n);
        // The open pairs cut at the same places: each part's run starts at its first
        // encounter's slot.
        let mut rest: &mut [(Pair, Open)] = &mut self.open;
        let mut base = 0;
        let mut pieces = Vec::with_capacity(cuts.len() - 1);
        for w in cuts.windows(2) {
            let end = match keyed.get(w[1]) {
                Some(&(_, i)) => slots[i as usize] as usize,
                None => base + rest.len(),
            };
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(end - base);
            pieces.push((&keyed[w[0]..w[1]], head, base));
            (rest, base) = (tail, end);
        }
        let done: Vec<(Vec<Deferred>, [u64; 2])> = pieces
            .into_par_iter()
            .map(|(keys, open, base)| {
                let (mut waiting, mut counts) = (Vec::new(), [0; 2]);
                for (j, &(pair, i)) in keys.iter().enumerate() {
                    // Ahead of the encounter read, its open loss of separation is asked for.
                    const AHEAD: usize = 8;
                    if let Some(&(_, i)) = keys.get(j + AHEAD)
                        && let Some(l) = &open[slots[i as usize] as usize - base].1.los
                    {
                        super::prefetch(&**l);
                    }
                    let e = &enc[i as usize];
                    let los = ctx.los(e);
                    let twice = (j > 0 && keys[j - 1].0 == pair)
                        || keys.get(j + 1).is_some_and(|k| k.0 == pair);
                    let o = &mut open[slots[i as usize] as usize - base].1;
                    if twice || o.conflict.is_none() || los.is_some() != o.los.is_some() {
                        waiting.push((i, los));
                        continue;
                    }
                    o.conflict_end_s = ctx.t + ctx.p.dt_s;
                    if let Some(x) = los {
                        let [c, m] = ctx.in_los(o, e, x);
                        counts[0] += c;
                        counts[1] += m;
                    }
                }
                (waiting, counts)
            })
            .collect();
        let mut waiting = Vec::new();
        for (w, [c, m]) in done {
            waiting.extend(w);
            self.summary.collisions += c;
            self.summary.near_misses += m;
        }
        waiting.sort_unstable_by_key(|w| w.0);
        waiting
    }

    /// Merges a step's encounters, given as their pairs in the step's order, into the
    /// open pairs, in place: afterwards the open pairs are those seen this step (a pair
    /// new at `step` has nothing open yet), `merge.slots` holds each encounter's place
    /// among them, and `merge.gone` the pairs not seen, in pair order.
    fn merge_encounters(&mut self, step: u64, pairs: impl Iterator<Item = Pair>) {
        let (m, open) = (&mut self.merge, &mut self.open);
        m.keyed.clear();
        m.keyed.extend(pairs.zip(0..));
        // Encounters come in the candidate pairs' order, by flight but for the pairs of
        // drones that took off since the last rebuild: mostly sorted already.
        if !m.keyed.is_sorted() {
            m.keyed.sort_unstable();
        }
        let keyed = &m.keyed;
        // The pairs not met again leave, in order; `k` walks the step's pairs alongside.
        let mut k = 0;
        let met = |pair: &Pair, k: &mut usize| {
            while keyed.get(*k).is_some_and(|e| e.0 < *pair) {
                *k += 1;
            }
            keyed.get(*k).is_some_and(|e| e.0 == *pair)
        };
        m.gone
            .extend(open.extract_if(.., |(pair, _)| !met(pair, &mut k)));
        // The pairs new this step (a pair met twice in a step, were it ever, counted once).
        let (mut k, mut fresh) = (0, 0);
        for (j, &(pair, _)) in keyed.iter().enumerate() {
            let again = j > 0 && keyed[j - 1].0 == pair;
            let found = {
                while open.get(k).is_some_and(|e| e.0 < pair) {
                    k += 1;
                }
                open.get(k).is_some_and(|e| e.0 == pair)
            };
            fresh += usize::from(!again && !found);
        }
        // Room at the end, then from the back each kept pair moves up to its place and
        // each new one is written into the gap it leaves.
        let kept = open.len();
        // Grown by an eighth when full, not doubled: at a million drones in the air the
        // open pairs are tens of megabytes, and a doubling copy held both at once.
        let need = kept + fresh;
        if need > open.capacity() {
            open.reserve_exact(need + need / 8 - kept);
        }
        open.resize_with(kept + fresh, || {
            ((FlightId::new(0), FlightId::new(0)), Open::new(step))
        });
        let (mut r, mut w) = (kept, kept + fresh);
        for j in (0..keyed.len()).rev() {
            let pair = keyed[j].0;
            if j > 0 && keyed[j - 1].0 == pair {
                continue;
            }
            while r > 0 && open[r - 1].0 > pair {
                open.swap(w - 1, r - 1);
                (r, w) = (r - 1, w - 1);
            }
            if r > 0 && open[r - 1].0 == pair {
                open.swap(w - 1, r - 1);
                r -= 1;
            } else {
                open[w - 1] = (pair, Open::new(step));
            }
            w -= 1;
        }
        debug_assert_eq!(r, w, "every pair in its place");
        // Each encounter's place.
        m.slots.clear();
        m.slots.resize(keyed.len(), 0);
        let mut at = 0;
        for &(pair, i) in keyed {
            while open[at].0 < pair {
                at += 1;
            }
            m.slots[i as usize] = at as u32;
        }
    }

    /// Closes everything still open (end of run), marking it so.
    pub fn finish(&mut self, places: Places) {
        for (_, mut o) in std::mem::take(&mut self.open) {
            for mut e in o.take_events() {
                e.open_at_end = true;
                self.close(e, places);
            }
        }
        self.flush(f64::INFINITY, places);
    }

    /// Sums a closed event and keeps it if there is room.
    fn close(&mut self, e: Event, places: Places) {
        let sum = &mut self.summary;
        match e.kind {
            EventKind::Conflict => {
                sum.conflicts += 1;
                sum.conflicts_became_los += u64::from(e.became_los);
                for (f, other) in [(e.a, e.b), (e.b, e.a)] {
                    let mine = self.recent.get_mut(&f).into_iter().flatten().flatten();
                    for r in mine.filter(|r| r.other == other) {
                        r.end_s = e.end_s as f32;
                    }
                }
            }
            EventKind::Los => {
                sum.los += 1;
                sum.los_s += e.end_s - e.start_s;
                sum.los_at_vertiports += u64::from(e.at_vertiport());
                *sum.los_by_location
                    .entry(location_kind(e.location))
                    .or_default() += 1;
                if let TrackPlace::Terminal(v, _) = e.location {
                    *sum.los_by_vertiport.entry(v).or_default() += 1;
                }
                sum.min_separation_m = sum.min_separation_m.min(e.min_horizontal_m);
                sum.severities.push(e.severity);
                if let Some(j) = places.net.locator.locate([e.at[0], e.at[1]]) {
                    *sum.los_by_jurisdiction
                        .entry(JurisdictionId::new(j))
                        .or_default() += 1;
                }
                let (pa, pb) = (places.pair_of(e.a), places.pair_of(e.b));
                *sum.los_by_pair.entry(pa).or_default() += 1;
                if pb != pa {
                    *sum.los_by_pair.entry(pb).or_default() += 1;
                }
                if let Some(c) = &e.cause {
                    sum.causes.add(c, places.comms.map(|k| k.stale_after_s()));
                }
            }
        }
        if let Some(s) = &mut self.stream.0 {
            s.waiting.push(Reverse(Waiting { e, seq: s.seq }));
            s.seq += 1;
        } else if self.closed.len() < self.max_kept {
            self.closed.push(e);
        } else {
            sum.not_kept += 1;
        }
    }

    /// Hands the sink, in order, every waiting event that began before `before`.
    fn flush(&mut self, before: f64, places: Places) {
        let Some(s) = &mut self.stream.0 else {
            return;
        };
        while s.waiting.peek().is_some_and(|w| w.0.e.start_s < before) {
            let Reverse(Waiting { e, .. }) = s.waiting.pop().expect("peeked");
            if s.written >= self.max_kept {
                self.summary.not_kept += 1;
                continue;
            }
            s.written += 1;
            if let Some(sink) = s.sink.as_mut().filter(|_| s.error.is_none())
                && let Err(err) = sink.record(&e, places.fleet, places.net)
            {
                s.error = Some(err);
            }
            if e.kind == EventKind::Los {
                self.closed.push(e);
            }
        }
    }

    /// Hands every event to `sink` as it closes, in [`EventTracker::sorted`]'s order (at
    /// most `max_kept` of them, the earliest), instead of keeping it: memory then follows
    /// the events in progress, not the day's. [`EventTracker::closed`] keeps only the
    /// losses of separation handed over. Call before the first step, and
    /// [`crate::sim::Simulation::finish_events`] after the last.
    pub fn stream_to(&mut self, sink: Box<dyn EventSink>) {
        self.stream = Streaming(Some(Stream {
            sink: Some(sink),
            waiting: BinaryHeap::new(),
            seq: 0,
            written: 0,
            error: None,
        }));
    }

    /// Whether events go to a sink (see [`EventTracker::stream_to`]).
    pub fn streamed(&self) -> bool {
        self.stream.0.is_some()
    }

    /// Hands the sink what still waits (everything closed: once the run has ended, every
    /// event) and completes it; the first error the sink returned, if any.
    pub(crate) fn finish_stream(&mut self, places: Places) -> std::io::Result<()> {
        self.flush(f64::INFINITY, places);
        let Some(s) = &mut self.stream.0 else {
            return Ok(());
        };
        if let Some(err) = s.error.take() {
            s.sink = None;
            return Err(err);
        }
        match s.sink.take() {
            Some(sink) => sink.finish(places.fleet, places.net),
            None => Ok(()),
        }
    }

    /// Number of pairs with an open event.
    pub fn open_pairs(&self) -> usize {
        self.open.len()
    }

    /// Pairs currently in conflict, and whether each is in loss of separation (in no
    /// particular order).
    pub fn current(&self) -> impl Iterator<Item = ((FlightId, FlightId), bool)> + '_ {
        self.open.iter().map(|(k, o)| (*k, o.los.is_some()))
    }

    /// All events sorted by start time, then kind, then pair (by reference: no second
    /// copy of every event beside the run's). When events are streamed, only the losses
    /// of separation (see [`EventTracker::closed`]).
    pub fn sorted(&self) -> Vec<&Event> {
        let mut v: Vec<&Event> = self.closed.iter().collect();
        v.sort_by(|x, y| file_order(x, y));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// The merge keeps exactly the pairs met this step, in pair order, each with what
        /// it held (the step it was first met in), points each encounter at its own
        /// pair, and hands over the others in pair order: as a plain map of the same
        /// steps does. Few flights, so pairs repeat within a step and across steps.
        #[test]
        fn the_merge_keeps_the_pairs_met(
            steps in prop::collection::vec(
                prop::collection::vec((0usize..10, 0usize..10), 0..40),
                1..12,
            )
        ) {
            let mut tracker = EventTracker::default();
            let mut model: BTreeMap<Pair, u64> = BTreeMap::new();
            for (step, met) in steps.iter().enumerate() {
                let step = step as u64;
                let pairs: Vec<Pair> = met
                    .iter()
                    .filter(|(a, b)| a != b)
                    .map(|&(a, b)| (FlightId::new(a.min(b)), FlightId::new(a.max(b))))
                    .collect();
                tracker.merge_encounters(step, pairs.iter().copied());
                let now: BTreeSet<Pair> = pairs.iter().copied().collect();
                let left: Vec<(Pair, u64)> = model
                    .iter()
                    .filter(|(k, _)| !now.contains(k))
                    .map(|(k, v)| (*k, *v))
                    .collect();
                model.retain(|k, _| now.contains(k));
                for p in &now {
                    model.entry(*p).or_insert(step);
                }
                let gone: Vec<(Pair, u64)> = tracker
                    .merge
                    .gone
                    .drain(..)
                    .map(|(k, o)| (k, o.opened_step))
                    .collect();
                prop_assert_eq!(gone, left);
                let open: Vec<(Pair, u64)> =
                    tracker.open.iter().map(|(k, o)| (*k, o.opened_step)).collect();
                let want: Vec<(Pair, u64)> = model.iter().map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(open, want);
                for (i, p) in pairs.iter().enumerate() {
                    prop_assert_eq!(tracker.open[tracker.merge.slots[i] as usize].0, *p);
                }
            }
        }
    }
}
