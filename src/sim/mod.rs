//! The simulation: fixed-step kinematics along 4D plans, vertiport terminal areas, border gates,
//! batteries, the separation check of every step, and tactical resolution.
//!
//! One step from `t` to `t + dt` is a list of phases, always in this order, each a call
//! into the mechanic that owns its state:
//! 1. **admit**: flights due by `t` wait on a stand at their origin ([`terminal`]);
//! 2. **terminals**: FATOs are given out, arrivals before departures (released only
//!    when the departure connector admits them); arrivals without one get a stack level
//!    or a place in line; drones in trail are spaced; arrivals near their fix ask for a
//!    FATO ([`terminal`]);
//! 3. **gates**: drones near a border gate join its queue, each gate clears those whose
//!    turn has come, places in line are handed out ([`gates`]);
//! 4. **move**: every airborne drone moves one step, in parallel (`motion`);
//! 5. **settle**: in drone order, FATOs freed by climbs, lane statistics, landings (FATO
//!    and stand) and empty batteries; ended flights leave the air ([`terminal`], this
//!    module);
//! 6. **record**: trajectory samples, when asked for ([`trajectory`]); with a
//!    communications layer, position reports, and drones that lost or regained their
//!    link begin or end their contingency ([`comms`]);
//! 7. **detect**: the separation check on the state at `t + dt` ([`detect`],
//!    [`separation`]);
//! 8. **events**: encounters become conflict and loss-of-separation events ([`events`]);
//! 9. **resolve**: tactical resolution orders manoeuvres for the next step ([`tactical`]);
//! 10. **re-plan**: every 10 s, with strategic deconfliction, drones far behind their
//!     cleared plan are re-timed and re-booked ([`replan`]).
//!
//! Nothing here reads the clock or depends on thread count: parallel parts write only their
//! own element, and everything that is summed is summed in drone order.

pub mod comms;
pub mod detect;
pub mod disturb;
mod divert;
pub mod events;
mod flight;
pub mod gates;
mod motion;
pub mod replan;
pub mod separation;
pub mod tactical;
pub mod terminal;
pub mod trajectory;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use std::collections::BTreeMap;

use crate::ids::{FlightId, PlanId};
use crate::network::Network;
use crate::network::weather::SegWind;
use crate::planner::{Flight, Motion, Plan};
use crate::scenario::{DroneType, Scenario, Tactical};
pub use detect::{
    DEFAULT_REFRESH_STEPS, Detection, MANOEUVRING_REFRESH_STEPS, Manoeuvres, Reach, TerminalPart,
    TrackPlace, TrackTable, reach_box,
};
pub use divert::Diversion;
use events::EventTracker;
use flight::Airborne;
pub use flight::{Dynamics, FlightState, Phase, Status};
pub use gates::GateStats;
use gates::Gates;
use replan::Bookings;
use separation::Params;
use tactical::{TacticalLayer, TacticalStats};
use terminal::Terminals;
pub use terminal::{FatoUse, TerminalStats, TerminalView};
pub use trajectory::{PointState, TrajectoryLog, TrajectoryPoint, TrajectorySink};

/// The flights, their shared plans and the drone types: what every mechanic reads. Only
/// the terminal areas change it, in their sequential phase: a flight's plan becomes the
/// variant of its route between the FATOs it is given (built once, on first use).
#[derive(Debug, Clone)]
pub struct Fleet {
    plans: Vec<Plan>,
    flights: Vec<Flight>,
    types: Vec<DroneType>,
    /// The plan each flight flies now: its cleared plan's variant between its FATOs.
    current: Vec<PlanId>,
    variants: BTreeMap<(PlanId, [u8; 2]), PlanId>,
    dt_s: f64,
    /// Each flight's schedule noise.
    disturbances: disturb::Disturbances,
    /// Per plan, the flights in progress (due, waiting or in the air) that fly it, as
    /// cleared or now ([`Fleet::take_up`]).
    in_use: Vec<u32>,
    /// Whether plans no flight in progress flies are shed
    /// ([`PlanKeeping::InUse`](crate::planner::PlanKeeping::InUse)).
    shedding: bool,
    /// Plans whose last flight in progress ended in this step: shed at its end.
    unused: Vec<PlanId>,
}

impl Fleet {
    /// Planned flights (sorted by departure), their plans and the scenario's drone types;
    /// variants are planned with step `dt_s`.
    pub fn new(plans: Vec<Plan>, flights: Vec<Flight>, types: Vec<DroneType>, dt_s: f64) -> Self {
        let current = flights.iter().map(|f| f.plan).collect();
        let variants = plans
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.family, p.fato), PlanId::new(i)))
            .collect();
        Fleet {
            in_use: vec![0; plans.len()],
            plans,
            flights,
            types,
            current,
            variants,
            dt_s,
            disturbances: disturb::Disturbances::default(),
            shedding: false,
            unused: Vec::new(),
        }
    }

    /// Flight `f` has come due: the plans it flies (its cleared plan and, if another,
    /// the one it flies now) are held whole, rebuilt if shed, until it ends
    /// ([`Fleet::put_down`]).
    pub(crate) fn take_up(&mut self, net: &Network, f: FlightId) {
        let (cleared, now) = (self.flights[f].plan, self.current[f.index()]);
        self.hold(net, cleared);
        if now != cleared {
            self.hold(net, now);
        }
    }

    /// [`Fleet::take_up`] of each of `flights`, in order, their shed plans rebuilt on
    /// every core first when there are several.
    pub(crate) fn take_up_all(&mut self, net: &Network, flights: &[FlightId]) {
        use rayon::prelude::*;
        let mut shed: Vec<PlanId> = flights
            .iter()
            .flat_map(|&f| [self.flights[f].plan, self.current[f.index()]])
            .filter(|&id| self.plans[id].is_shed())
            .collect();
        if shed.len() >= 16 {
            shed.sort_unstable();
            shed.dedup();
            let whole: Vec<Plan> = shed
                .par_iter()
                .map(|&id| self.whole_plan(net, id).into_owned())
                .collect();
            // Kept as copies made on this thread: glibc keeps each thread's allocations
            // in that thread's own arena, and plans built on the pool's threads and held
            // for minutes grew those arenas beside the free room this thread's holds
            // (the clearing's freed caches), which the pool could not use. The pool's
            // copies are freed at once, for its next plans.
            for (id, plan) in shed.into_iter().zip(whole) {
                self.plans[id] = plan.clone();
            }
        }
        for &f in flights {
            self.take_up(net, f);
        }
    }

    /// Flight `f` has ended: the plans it flew are no longer held for it.
    pub(crate) fn put_down(&mut self, f: FlightId) {
        let (cleared, now) = (self.flights[f].plan, self.current[f.index()]);
        self.let_go(cleared);
        if now != cleared {
            self.let_go(now);
        }
    }

    fn hold(&mut self, net: &Network, id: PlanId) {
        self.in_use[id.index()] += 1;
        let plan = &mut self.plans[id];
        if plan.is_shed() {
            plan.rebuild(net, &self.types[plan.drone_type], self.dt_s);
        }
    }

    fn let_go(&mut self, id: PlanId) {
        let n = &mut self.in_use[id.index()];
        debug_assert!(*n > 0, "{id} let go more often than held");
        *n = n.saturating_sub(1);
        if *n == 0 && self.shedding {
            self.unused.push(id);
        }
    }

    /// From now on flight `f` flies plan `id` (held for it from now; the one it flew
    /// before is let go, unless it is the cleared plan).
    fn fly(&mut self, net: &Network, f: FlightId, id: PlanId) {
        let (cleared, old) = (self.flights[f].plan, self.current[f.index()]);
        if id != cleared {
            self.hold(net, id);
        }
        if old != cleared {
            self.let_go(old);
        }
        self.current[f.index()] = id;
    }

    /// Adds a plan (held by no flight yet).
    fn add_plan(&mut self, plan: Plan) -> PlanId {
        self.plans.push(plan);
        self.in_use.push(0);
        PlanId::new(self.plans.len() - 1)
    }

    /// From now on the plans no flight in progress flies are shed ([`Plan::shed`]),
    /// those not held now at once
    /// ([`PlanKeeping::InUse`](crate::planner::PlanKeeping::InUse)).
    pub(crate) fn keep_in_use(&mut self) {
        self.shedding = true;
        for (plan, &n) in self.plans.iter_mut().zip(&self.in_use) {
            if n == 0 {
                plan.shed();
            }
        }
        give_back_freed_memory();
    }

    /// Sheds the plans whose last flight in progress ended in this step (unless one
    /// has taken them up since).
    fn shed_unused(&mut self) {
        for id in std::mem::take(&mut self.unused) {
            if self.in_use[id.index()] == 0 {
                self.plans[id].shed();
            }
        }
    }

    /// Each flight's schedule noise.
    pub fn disturbances(&self) -> &disturb::Disturbances {
        &self.disturbances
    }

    /// The speed flight `f` can fly along each segment `k` of its current plan with gust
    /// `gust` (`[east, north]` m/s): the plan's, unless the wind is not the forecast, there
    /// is a gust, or the flight's airspeed is off its plan's. Which of these holds is
    /// found once, not per segment: the move asks for several segments of every drone
    /// each step, and in the usual case (no gust, no airspeed error, the forecast the
    /// actual wind everywhere) reads the plan's limits straight away.
    pub fn flown_speeds<'a>(
        &'a self,
        net: &'a Network,
        f: FlightId,
        gust: [f64; 2],
    ) -> impl Fn(usize) -> f64 + 'a {
        let plan = self.plan(f);
        // (A plan carries winds of its own only where the weather is not uniform.)
        let as_planned = gust == [0.0; 2]
            && self.disturbances.speed_factor(f) == 1.0
            && plan.seg_wind.is_empty()
            && net.weather.as_forecast();
        move |k| {
            if as_planned {
                plan.path.segs[k].u_max
            } else {
                self.speed_in(net, f, k, gust, 0.0)
            }
        }
    }

    /// The most [`Fleet::flown_speeds`] can be on segment `k` with any gust the weather
    /// may bring (the plan's speed in the actual wind when there are no gusts).
    pub fn flown_speed_bound(&self, net: &Network, f: FlightId, k: usize) -> f64 {
        self.speed_in(net, f, k, [0.0; 2], net.weather.gusts.max_mps())
    }

    fn speed_in(&self, net: &Network, f: FlightId, k: usize, gust: [f64; 2], upto: f64) -> f64 {
        let plan = self.plan(f);
        let seg = &plan.path.segs[k];
        let factor = self.disturbances.speed_factor(f);
        let mut wind = plan.seg_wind.get(k).copied().unwrap_or_else(|| SegWind {
            forecast: net.weather.forecast.at(seg.start),
            actual: net.weather.actual.at(seg.start),
        });
        if factor == 1.0 && wind.forecast == wind.actual && gust == [0.0; 2] && upto == 0.0 {
            return seg.u_max;
        }
        wind.actual = [wind.actual[0] + gust[0], wind.actual[1] + gust[1]];
        let ty = self.drone_type(f);
        let rate = if seg.dir[2] > 0.0 {
            ty.climb_rate_mps
        } else {
            ty.descent_rate_mps
        };
        crate::network::weather::flown_speed(
            seg.u_max,
            &seg.dir,
            &wind,
            (factor, ty.max_speed()),
            rate,
            upto,
        )
    }

    /// The actual wind (before any gust) on segment `k` of flight `f`'s current plan.
    pub fn actual_wind(&self, net: &Network, f: FlightId, k: usize) -> [f64; 2] {
        let plan = self.plan(f);
        plan.seg_wind.get(k).map_or_else(
            || net.weather.actual.at(plan.path.segs[k].start),
            |w| w.actual,
        )
    }

    /// From now on `f` flies its route between FATOs `fato = [origin, destination]`. The
    /// variants of a route share every segment outside the terminal legs they change, so
    /// a drone past its origin's legs keeps its place on the path.
    pub(crate) fn fly_fatos(&mut self, net: &Network, f: FlightId, fato: [u8; 2]) {
        let now = &self.plans[self.current[f.index()]];
        if now.fato == fato {
            return;
        }
        let key = (now.family, fato);
        let id = match self.variants.get(&key) {
            Some(&id) => id,
            None => {
                let base = &self.plans[now.family];
                let plan = base.variant(net, &self.types[base.drone_type], self.dt_s, fato);
                let id = self.add_plan(plan);
                self.variants.insert(key, id);
                id
            }
        };
        self.fly(net, f, id);
    }

    /// From now on `f` flies `plan`, a diversion from the air whose path is its current
    /// plan's up to where it is (so it keeps its place): a family of its own, for the
    /// variants a FATO grant makes.
    pub(crate) fn divert(&mut self, net: &Network, f: FlightId, mut plan: Plan) {
        plan.family = PlanId::new(self.plans.len());
        let id = self.add_plan(plan);
        self.variants.insert((id, self.plans[id].fato), id);
        self.fly(net, f, id);
    }

    /// The plan a flight was cleared for (from and to the first FATOs): what strategic
    /// bookings are made with.
    pub fn cleared_plan(&self, f: FlightId) -> &Plan {
        &self.plans[self.flights[f].plan]
    }
    /// Every plan (with [`PlanKeeping::InUse`](crate::planner::PlanKeeping::InUse),
    /// those no flight in progress flies are shed: see [`Fleet::whole_plan`]).
    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }
    /// Plan `id` whole: itself, or when shed a copy rebuilt bit for bit (nothing is
    /// kept).
    pub fn whole_plan(&self, net: &Network, id: PlanId) -> Cow<'_, Plan> {
        let plan = &self.plans[id];
        if !plan.is_shed() {
            return Cow::Borrowed(plan);
        }
        let mut whole = plan.clone();
        whole.rebuild(net, &self.types[plan.drone_type], self.dt_s);
        Cow::Owned(whole)
    }
    /// Every flight, sorted by departure.
    pub fn flights(&self) -> &[Flight] {
        &self.flights
    }
    /// One flight.
    pub fn flight(&self, f: FlightId) -> &Flight {
        &self.flights[f]
    }
    /// The plan a flight flies now.
    pub fn plan(&self, f: FlightId) -> &Plan {
        &self.plans[self.current[f.index()]]
    }
    /// The least and greatest acceleration of the drone types, m/s².
    pub(crate) fn accel_range(&self) -> (f64, f64) {
        self.types.iter().fold((f64::INFINITY, 0.0), |(lo, hi), t| {
            (lo.min(t.accel_mps2), hi.max(t.accel_mps2))
        })
    }
    /// The drone type of a flight.
    pub fn drone_type(&self, f: FlightId) -> &DroneType {
        &self.types[self.plan(f).drone_type]
    }
    /// Asks the processor to start loading where flight `f`'s plan keeps its path (what
    /// [`Fleet::prefetch_seg`] reads). A hint: nothing changes.
    pub(crate) fn prefetch_plan(&self, f: FlightId) {
        let path = &self.plan(f).path;
        prefetch(&path.segs);
        prefetch(&path.cum);
    }

    /// Asks the processor to start loading segment `seg` of flight `f`'s plan and the
    /// distances where it starts and ends. A hint: nothing changes.
    pub(crate) fn prefetch_seg(&self, f: FlightId, seg: u32) {
        let path = &self.plan(f).path;
        let k = seg as usize;
        if let Some(s) = path.segs.get(k) {
            prefetch(s);
        }
        if let Some(c) = path.cum.get(k + 1) {
            prefetch(c);
        }
    }
}

/// How much longer than the longest booking of its resource a use checked against the
/// bookings may be, on top of headways, gate spacings and buffers, before the bookings
/// it could meet are forgotten ([`Simulation::forget_past_bookings`]), seconds:
/// generous, as a day's bookings span hours and ten minutes more of them cost little.
pub const FORGET_SLACK_S: f64 = 600.0;

/// Returns the heap's free pages to the system. glibc keeps memory a thread freed for
/// that thread's arena, and the plans rebuilt as flights come due are allocated by the
/// simulation's thread, not the one that planned them: without this, shedding the
/// cleared plans would raise the peak, not lower it. A no-op off glibc.
pub(crate) fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases memory the allocator holds free; it touches no
    // live allocation and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Asks the processor to bring the cache line holding `x` closer (a hint with no effect
/// on results; nothing on other architectures). The simulation's passes over the
/// drones chase each one's plan in memory: loaded a few drones ahead, it is there when
/// needed.
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch reads nothing the program sees and cannot fault, whatever
        // the address; SSE, which it needs, is part of every x86_64 processor.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Drones in the air below which a pass over them runs on the calling thread: sharing it
/// with rayon's other threads costs more than it saves (measured when the step ran
/// outside the pool, where handing work over costs more still).
const PAR_MIN_DRONES: usize = 4096;

/// `f` of every drone in the air (with its place), those it gives, in drone order: on
/// every core when there are many (each drone's plan and flight lie elsewhere in memory,
/// a miss or two per drone), on this thread when few.
pub(crate) fn drones_where<A: Sync, T: Send>(
    airborne: &[A],
    f: impl Fn(usize, &A) -> Option<T> + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    if airborne.len() < PAR_MIN_DRONES {
        return airborne
            .iter()
            .enumerate()
            .filter_map(|(k, a)| f(k, a))
            .collect();
    }
    airborne
        .par_iter()
        .enumerate()
        .with_min_len(PAR_MIN_DRONES / 2)
        .filter_map(|(k, a)| f(k, a))
        .collect()
}

/// Per-lane counters.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LaneStats {
    /// Drones that entered the lane.
    pub entries: u64,
    /// Drone-seconds spent in the lane.
    pub occupancy_s: f64,
}

/// The whole simulation state. Plain data, no rendering, no clock.
pub struct Simulation {
    scenario: Scenario,
    net: Arc<Network>,
    fleet: Fleet,
    states: Vec<FlightState>,
    t_s: f64,
    step: u64,
    /// Next flight (in departure order) not yet admitted.
    next_due: usize,
    airborne: Vec<Airborne>,
    peak_airborne: usize,
    terminals: Terminals,
    gates: Gates,
    lane_stats: Vec<LaneStats>,
    trajectory: Option<TrajectoryLog>,
    detection: Detection,
    events: EventTracker,
    tactical: TacticalLayer,
    bookings: Option<Bookings>,
    /// Flights told to leave their stand late ([`Simulation::delay_takeoff`]): seconds
    /// past their cleared departure.
    takeoff_delays: BTreeMap<FlightId, f64>,
    /// Delayed flights that are due, with when they are ready, seconds.
    delayed: Vec<(f64, FlightId)>,
    /// The communications layer, when the scenario has one.
    comms: Option<comms::CommsLayer>,
    /// The separation check on the reported picture, for tactical resolution and
    /// monitoring (with a communications layer).
    seen_detection: Detection,
    /// The reported picture after the last step (with a communications layer).
    seen: Vec<Airborne>,
    /// Per drone in the air, in its order, what the last move found for settling.
    settled: Vec<motion::Moved>,
}

impl Simulation {
    /// A simulation at time 0 over planned flights.
    pub fn new(
        scenario: Scenario,
        net: Arc<Network>,
        plans: Vec<Plan>,
        flights: Vec<Flight>,
    ) -> Self {
        let states = flights
            .iter()
            .map(|f| FlightState::new(f.cancelled.is_some()))
            .collect();
        // The broad phase must cover the largest minima anywhere; each pair is then
        // checked against its own (see `TrackTable`).
        let params = Params {
            horizontal_m: net.max_minima[0],
            vertical_m: net.max_minima[1],
            lookahead_s: scenario.separation.lookahead_s,
            dt_s: scenario.dt_s,
        };
        Simulation {
            comms: comms::CommsLayer::new(
                &scenario.comms,
                (&net, &scenario.drone_types),
                flights.len(),
                scenario.dt_s,
                scenario.seed,
            ),
            seen_detection: Detection::new(params),
            seen: Vec::new(),
            terminals: Terminals::new(&net, scenario.dt_s),
            gates: Gates::new(&net, flights.len()),
            lane_stats: vec![LaneStats::default(); net.lanes.len()],
            fleet: Fleet {
                disturbances: disturb::Disturbances::sample(
                    &scenario.uncertainty.schedule,
                    scenario.seed,
                    flights.len(),
                ),
                ..Fleet::new(plans, flights, scenario.drone_types.clone(), scenario.dt_s)
            },
            scenario,
            net,
            states,
            t_s: 0.0,
            step: 0,
            next_due: 0,
            airborne: Vec::new(),
            peak_airborne: 0,
            trajectory: None,
            detection: Detection::new(params),
            events: EventTracker::default(),
            tactical: TacticalLayer::default(),
            bookings: None,
            takeoff_delays: BTreeMap::new(),
            delayed: Vec::new(),
            settled: Vec::new(),
        }
    }

    /// A copy of the whole state, to go on from later (replay keyframes): stepping it
    /// gives exactly what stepping this one would. Trajectories being recorded are not
    /// copied (the copy records none), nor is a stream of events (the copy keeps its
    /// events from then on, see [`EventTracker::stream_to`]).
    pub fn snapshot(&self) -> Simulation {
        Simulation {
            scenario: self.scenario.clone(),
            net: Arc::clone(&self.net),
            fleet: self.fleet.clone(),
            states: self.states.clone(),
            t_s: self.t_s,
            step: self.step,
            next_due: self.next_due,
            airborne: self.airborne.clone(),
            peak_airborne: self.peak_airborne,
            terminals: self.terminals.clone(),
            gates: self.gates.clone(),
            lane_stats: self.lane_stats.clone(),
            trajectory: None,
            detection: self.detection.clone(),
            events: self.events.clone(),
            tactical: self.tactical.clone(),
            bookings: self.bookings.clone(),
            takeoff_delays: self.takeoff_delays.clone(),
            delayed: self.delayed.clone(),
            comms: self.comms.clone(),
            seen_detection: self.seen_detection.clone(),
            seen: self.seen.clone(),
            settled: self.settled.clone(),
        }
    }

    /// Keeps the reservation table when strategic deconfliction is on (called by
    /// [`crate::prepare`]): `cleared`, the table the flights were cleared with, or one
    /// built from their plans when there is none.
    pub fn keep_reservations(&mut self, cleared: Option<crate::planner::strategic::Reservations>) {
        if self.scenario.deconfliction.strategic {
            let buffer_s = self.scenario.deconfliction.buffer_s;
            self.bookings = Some(match cleared {
                Some(table) => Bookings::with_table(table, &self.fleet),
                None => Bookings::new(&self.net, &self.fleet, buffer_s),
            });
        }
    }

    /// From now on a plan is kept whole only while a flight in progress flies it
    /// ([`PlanKeeping::InUse`](crate::planner::PlanKeeping::InUse); called by
    /// [`crate::prepare_keeping`] once the reservations are kept: without the clearing's
    /// table they are built from the plans, which must still be whole). Results do not
    /// change.
    pub fn keep_plans_in_use(&mut self) {
        self.fleet.keep_in_use();
    }

    /// From now on, with strategic deconfliction, the bookings no check can meet any more
    /// are forgotten every simulated minute: those starting more than twice the longest
    /// booking of their resource, twice the buffer, the longest headway and gate spacing
    /// of the network and [`FORGET_SLACK_S`] before the clock (see
    /// [`Reservations::forget_behind`](crate::planner::strategic::Reservations::forget_behind);
    /// called by [`crate::prepare_keeping`] with
    /// [`PlanKeeping::InUse`](crate::planner::PlanKeeping::InUse)). The table then holds
    /// what lies ahead of the clock and a margin behind it, not what the day has flown.
    /// Results do not change; the table read after the run
    /// ([`Simulation::reservations`]) holds only those left.
    pub fn forget_past_bookings(&mut self) {
        let net = &self.net;
        let headway = (0..net.lanes.len())
            .map(|l| net.booked_headway_s(crate::ids::LaneId::new(l)))
            .fold(0.0, f64::max);
        let spacing = net
            .nodes
            .iter()
            .filter_map(|n| n.gate_spacing_s())
            .fold(0.0, f64::max);
        if let Some(b) = &mut self.bookings {
            b.forget_past_with(FORGET_SLACK_S + headway + spacing);
        }
    }

    /// Advances one fixed step (no-op once finished).
    ///
    /// The step runs on one of rayon's threads (called from elsewhere, as the app's
    /// systems are, it waits for it): each pass the step hands to the pool then starts on
    /// a thread already in it, instead of being sent across from outside and waited for,
    /// a dozen times a step (the 100k bench a fifteenth faster).
    pub fn step(&mut self) {
        if self.finished() {
            return;
        }
        rayon::scope(|_| self.step_on_pool());
    }

    /// [`Simulation::step`]'s body, on rayon's pool.
    fn step_on_pool(&mut self) {
        let (t, dt) = (self.t_s, self.scenario.dt_s);
        let t1 = t + dt;
        self.admit_due(t);
        self.terminals.step(
            t,
            (&mut self.airborne, &self.settled),
            &mut self.states,
            &mut self.fleet,
            &self.net,
            self.bookings
                .as_mut()
                .map(|b| (b, self.scenario.deconfliction.replan_after_s)),
        );
        let by_the_book = self.bookings.is_some();
        self.gates
            .clear(t, dt, &mut self.airborne, &self.fleet, by_the_book);
        motion::advance_all(
            &mut self.airborne,
            (&self.fleet, &self.net),
            (&self.gates, self.comms.as_ref()),
            (dt, self.step),
            (self.detection.table_mut(), &mut self.settled),
        );
        self.settle(t1, dt);
        if let Some(log) = &mut self.trajectory {
            log.sample(&self.airborne, t1, &self.fleet, &self.net);
        }
        if let Some(c) = &mut self.comms {
            c.step(
                t1,
                self.step + 1,
                (&self.airborne, &self.fleet),
                &self.gates,
            );
            for k in c.follow_links(t1, &mut self.airborne, &self.fleet) {
                let a = &mut self.airborne[k];
                let to = divert::divert(
                    a,
                    (t1, dt),
                    (&mut self.fleet, &self.net),
                    &self.terminals,
                    self.bookings.as_mut(),
                );
                c.diverted(a, to, &self.fleet);
                // Its row was written with the plan it no longer flies (the events read
                // where its path bends from it).
                self.settled[k] = motion::Moved::of(a, &self.fleet, dt);
            }
        }
        debug_assert!(
            self.airborne
                .iter()
                .zip(&self.settled)
                .all(|(a, m)| m.bends() == motion::Moved::of(a, &self.fleet, dt).bends()),
            "the move's rows say where paths bend, diversions too"
        );
        self.detect(dt);
        self.step += 1;
        let encounters = self.detection.encounters();
        let (params, table) = (self.detection.params(), self.detection.table());
        let places = events::Places {
            net: &self.net,
            fleet: &self.fleet,
            states: &self.states,
            gates: &self.gates,
            comms: self.comms.as_ref(),
        };
        self.events.update(
            self.step,
            t1,
            params,
            (table, &self.airborne, &self.settled),
            encounters,
            places,
        );
        // With a communications layer, the ground (tactical resolution, monitoring) sees
        // the drones as reported: its own separation check runs on the picture, its
        // orders go to the true drones.
        let mut picture = match &self.comms {
            Some(c) => {
                let p = c.picture(&self.airborne, &self.fleet, t1);
                let moves = self.manoeuvres();
                self.seen_detection
                    .detect(&p, &self.fleet, &self.net, moves, dt);
                Some(p)
            }
            None => None,
        };
        let (detection, drones) = match &mut picture {
            Some(p) => (&self.seen_detection, p.as_mut_slice()),
            None => (&self.detection, self.airborne.as_mut_slice()),
        };
        let (encounters, params, table) = (
            detection.encounters(),
            detection.params(),
            detection.table(),
        );
        // By the book in a world with no disturbance, a pair that both fly their
        // bookings exactly needs no resolution: the bookings keep it apart (state-based
        // prediction would see drones turning or changing level past each other as
        // conflicts and push them off the book).
        let off_book: Vec<separation::Encounter>;
        let encounters = match &mut self.bookings {
            Some(b)
                if self.scenario.deconfliction.tactical != Tactical::None
                    && self.scenario.uncertainty.forecast_exact() =>
            {
                b.note_manoeuvres(drones);
                let delays = &self.takeoff_delays;
                let on = |k: u32| {
                    let a = &drones[k as usize];
                    b.on_book(a) && !delays.contains_key(&a.flight)
                };
                off_book = encounters
                    .iter()
                    .filter(|e| !(on(e.a) && on(e.b)))
                    .copied()
                    .collect();
                &off_book[..]
            }
            _ => encounters,
        };
        let input = tactical::StepInput {
            encounters,
            table,
            candidates: detection.candidates(),
            params,
        };
        self.tactical
            .resolve(drones, input, &self.fleet, &self.scenario, &self.net);
        // The orders, taken on the picture, go to the true drones; the picture is kept
        // for monitoring ([`Simulation::seen`]).
        if let Some(p) = picture {
            for (a, seen) in self.airborne.iter_mut().zip(&p) {
                let (pos, vel) = (a.d.pos, a.d.vel);
                a.d = seen.d;
                a.d.pos = pos;
                a.d.vel = vel;
            }
            self.seen = p;
        }
        self.replan_late(t1, dt);
        self.forget_past_bookings_now(t1, dt);
        self.fleet.shed_unused();
        self.t_s = self.step as f64 * dt;
        if self.finished() {
            self.wrap_up();
        }
    }

    /// Runs steps until the scenario's duration.
    pub fn run_to_end(&mut self) {
        while !self.finished() {
            self.step();
        }
    }

    /// Flights due by `t` join their origin's ground queue (those already put in the air
    /// by [`Self::place_airborne`] are skipped; those told to leave late wait until then).
    fn admit_due(&mut self, t: f64) {
        // The flights that come due now, with their departures: their plans are taken
        // up together.
        let mut due: Vec<(FlightId, f64)> = Vec::new();
        while let Some(dep) = self
            .fleet
            .flights()
            .get(self.next_due)
            .map(|f| f.departure_s)
            .filter(|&d| d <= t + 1e-9)
        {
            let f = FlightId::new(self.next_due);
            self.next_due += 1;
            if self.states[f.index()].status == Status::Scheduled {
                due.push((f, dep));
            }
        }
        let flights: Vec<FlightId> = due.iter().map(|d| d.0).collect();
        self.fleet.take_up_all(&self.net, &flights);
        for (f, dep) in due {
            // Told to leave late, and late by its own schedule noise.
            let noise = self.fleet.disturbances.late_s.get(f.index()).copied();
            match (self.takeoff_delays.get(&f).copied(), noise) {
                (None, None) => self.queue(f, t),
                (told, noise) => {
                    let late = told.unwrap_or(0.0) + noise.unwrap_or(0.0);
                    self.delayed.push((dep + late, f));
                }
            }
        }
        if !self.delayed.is_empty() {
            let mut ready: Vec<FlightId> = Vec::new();
            self.delayed.retain(|&(at, f)| {
                let due = at <= t + 1e-9;
                if due {
                    ready.push(f);
                }
                !due
            });
            ready.sort_unstable();
            for f in ready {
                self.queue(f, t);
            }
        }
    }

    /// Flight `f` waits on a stand at its origin from `t`.
    fn queue(&mut self, f: FlightId, t: f64) {
        self.states[f.index()].status = Status::WaitingForPad;
        let origin = self.fleet.plan(f).origin;
        self.terminals.queue_departure(&self.net, origin, f, t);
    }

    /// In drone order, after the move to `t1`: FATOs freed by climbs, lane statistics,
    /// landings and empty batteries (an empty one ends the flight where it is); ended
    /// flights leave the air.
    fn settle(&mut self, t1: f64, dt: f64) {
        // Places in the airborne list of the drones that ended, in order.
        let mut ended: Vec<usize> = Vec::new();
        // Each drone's plan is read only when something happens to it: the rows the
        // move wrote say where it is and whether it ended.
        debug_assert!(
            self.settled.len() == self.airborne.len()
                && self
                    .airborne
                    .iter()
                    .zip(&self.settled)
                    .all(|(a, m)| *m == motion::Moved::of(a, &self.fleet, dt)),
            "the move's rows are the drones' state"
        );
        // Most drones only add to their lane's occupancy: settling reads their rows
        // alone, not the drones (a few hundred bytes each).
        for (i, &moved) in self.settled.iter().enumerate() {
            if !moved.eventful() {
                if let Some(lane) = moved.lane() {
                    self.lane_stats[lane.index()].occupancy_s += dt;
                }
                continue;
            }
            let a = &mut self.airborne[i];
            if moved.climbed() {
                let plan = self.fleet.plan(a.flight);
                a.d.holds_origin_fato = false;
                self.terminals
                    .climbed(&self.net, a.flight, plan.origin, plan.fato[0], t1);
            }
            if moved.moved_on() {
                count_entries(&mut self.lane_stats, a, self.fleet.plan(a.flight));
            }
            if let Some(lane) = moved.lane() {
                self.lane_stats[lane.index()].occupancy_s += dt;
            }
            let st = &mut self.states[a.flight.index()];
            let end = if moved.landed() {
                let plan = self.fleet.plan(a.flight);
                self.terminals.landed(&self.net, a.flight, &a.d, plan, t1);
                st.status = if plan.destination == self.fleet.cleared_plan(a.flight).destination {
                    Status::Completed
                } else {
                    Status::Diverted
                };
                PointState::Completed
            } else if moved.empty() {
                self.terminals
                    .abandon(a.flight, &mut a.d, &self.fleet, &self.net, t1);
                st.status = Status::BatteryDepleted;
                PointState::BatteryDepleted
            } else {
                continue;
            };
            st.end_s = t1;
            st.dynamics = Some(Box::new(a.d));
            self.fleet.put_down(a.flight);
            if let Some(log) = &mut self.trajectory {
                log.end(a, t1, end, &self.fleet, &self.net);
            }
            ended.push(i);
        }
        if !ended.is_empty() {
            remove_sorted(&mut self.airborne, &ended);
            remove_sorted(&mut self.settled, &ended);
            self.detection.table_mut().remove(&ended);
        }
        self.peak_airborne = self.peak_airborne.max(self.airborne.len());
    }

    /// The separation check of the drones in the air now.
    fn detect(&mut self, dt: f64) {
        let moves = self.manoeuvres();
        self.detection
            .detect_moved(&self.airborne, &self.fleet, &self.net, moves, dt);
    }

    /// The moves tactical resolution may make (the broad phase allows for them).
    fn manoeuvres(&self) -> Manoeuvres {
        Manoeuvres::of(
            self.scenario.deconfliction.tactical,
            self.net.half_width_max_m,
        )
    }

    /// Every 10 s, with strategic deconfliction: re-plan drones far behind their plan.
    fn replan_late(&mut self, t1: f64, dt: f64) {
        let every = (10.0 / dt).round().max(1.0) as u64;
        if let Some(bookings) = &mut self.bookings
            && self.step.is_multiple_of(every)
        {
            let limit = self.scenario.deconfliction.replan_after_s;
            bookings.replan_late(t1, limit, &self.airborne, &self.fleet, &self.net);
        }
    }

    /// Every simulated minute, when asked ([`Simulation::forget_past_bookings`]): the
    /// bookings behind the clock are forgotten, and the memory they held given back.
    fn forget_past_bookings_now(&mut self, t1: f64, dt: f64) {
        let every = (60.0 / dt).round().max(1.0) as u64;
        if let Some(bookings) = &mut self.bookings
            && self.step.is_multiple_of(every)
            && bookings.forget_past(t1) > 0
        {
            give_back_freed_memory();
        }
    }

    /// End of the run: open events are closed. Drones still in the air keep their live
    /// record in the airborne list ([`Simulation::current_dynamics`] reads both): a copy
    /// into every such flight's state would be the run's largest allocation, at its very
    /// end.
    fn wrap_up(&mut self) {
        self.events.finish(events::Places {
            net: &self.net,
            fleet: &self.fleet,
            states: &self.states,
            gates: &self.gates,
            comms: self.comms.as_ref(),
        });
    }
}

/// Removes the elements at places `gone` (ascending) from `v`, keeping the others' order.
pub(crate) fn remove_sorted<T>(v: &mut Vec<T>, gone: &[usize]) {
    let (mut i, mut next) = (0, gone.iter().peekable());
    v.retain(|_| {
        let keep = next.peek() != Some(&&i);
        if !keep {
            next.next();
        }
        i += 1;
        keep
    });
}

/// The lanes drone `a` (on `plan`) entered in its move.
fn count_entries(stats: &mut [LaneStats], a: &Airborne, plan: &Plan) {
    let segs = &plan.path.segs;
    for k in a.prev_seg as usize + 1..=a.d.motion.seg as usize {
        if let Some(lane) = segs[k].lane
            && segs[k - 1].lane != Some(lane)
        {
            stats[lane.index()].entries += 1;
        }
    }
}

/// Reading the state (for reports, the window and tests).
impl Simulation {
    /// The scenario as run (after overrides). Prepared from a file
    /// ([`crate::prepare`]), it no longer lists the explicit flights: they are the
    /// planned flights ([`Simulation::flights`]); whoever plans again from the scenario
    /// (the window's tuning) keeps the whole one ([`crate::load_scenario`]).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    /// The network.
    pub fn net(&self) -> &Arc<Network> {
        &self.net
    }
    /// Flights, plans and drone types.
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }
    /// Every flight, sorted by scheduled departure.
    pub fn flights(&self) -> &[Flight] {
        self.fleet.flights()
    }
    /// Every plan (with [`PlanKeeping::InUse`](crate::planner::PlanKeeping::InUse),
    /// those no flight in progress flies are shed: see [`Simulation::whole_plan`]).
    pub fn plans(&self) -> &[Plan] {
        self.fleet.plans()
    }
    /// Plan `id` whole, rebuilt if shed ([`Fleet::whole_plan`]).
    pub fn whole_plan(&self, id: PlanId) -> Cow<'_, Plan> {
        self.fleet.whole_plan(&self.net, id)
    }
    /// The state of each flight, in flight order.
    pub fn states(&self) -> &[FlightState] {
        &self.states
    }
    /// Simulated time, seconds.
    pub fn time_s(&self) -> f64 {
        self.t_s
    }
    /// Steps done.
    pub fn steps(&self) -> u64 {
        self.step
    }
    /// Conflict and loss-of-separation events.
    pub fn events(&self) -> &EventTracker {
        &self.events
    }
    /// The event tracker, to set how many events it keeps.
    pub fn events_mut(&mut self) -> &mut EventTracker {
        &mut self.events
    }
    /// Per lane counters, same order as the network's lanes.
    pub fn lane_stats(&self) -> &[LaneStats] {
        &self.lane_stats
    }
    /// Most drones in the air at once.
    pub fn peak_airborne(&self) -> usize {
        self.peak_airborne
    }
    /// Sampled trajectories, when asked for ([`Simulation::record_trajectories`]).
    pub fn trajectory(&self) -> Option<&TrajectoryLog> {
        self.trajectory.as_ref()
    }
    /// What tactical resolution and in-flight re-planning did.
    pub fn tactical_stats(&self) -> TacticalStats {
        let mut s = self.tactical.stats().clone();
        if let Some(b) = &self.bookings {
            s.replans = b.replans();
            s.headway_breaches = b.headway_breaches();
        }
        s
    }
    /// Once the run is over, lets the reservation table go, and the memory it held back to
    /// the system: nothing checks a booking after the last step, and the reports that
    /// follow allocate their own (at region scale hundreds of megabytes, which then came on
    /// top of the table's). What was counted in flight stays
    /// ([`Simulation::tactical_stats`]); [`Simulation::reservations`] is empty after it.
    pub fn release_reservations(&mut self) {
        if let Some(b) = &mut self.bookings {
            b.release_table();
            give_back_freed_memory();
        }
    }
    /// With strategic deconfliction: the reservation table, kept true in flight.
    pub fn reservations(&self) -> Option<&crate::planner::strategic::Reservations> {
        self.bookings.as_ref().map(Bookings::table)
    }
    /// Terminal areas: per vertiport counters, in the order of the network's terminals.
    pub fn terminal_stats(&self) -> impl Iterator<Item = &TerminalStats> {
        self.terminals.stats()
    }
    /// What terminal `t` is doing now: its FATOs, stands, stack, line and departures
    /// waiting.
    pub fn terminal_view(&self, t: usize) -> TerminalView {
        self.terminals.view(t, self.t_s)
    }

    /// With a communications layer, the drones in the air as the ground saw them after
    /// the last step: each one's position and velocity from its picture (see
    /// [`comms::CommsLayer`]), the rest as it is; `None` without one.
    pub fn seen(&self) -> Option<impl Iterator<Item = (FlightId, &Dynamics)> + '_> {
        self.comms
            .as_ref()
            .map(|_| self.seen.iter().map(|a| (a.flight, &a.d)))
    }

    /// With a communications layer, the pairs the ground's separation check on its
    /// picture found after the last step: `(a, b, in loss of separation now)`, `a`
    /// the lower flight; `None` without one.
    pub fn seen_encounters(&self) -> Option<Vec<(FlightId, FlightId, bool)>> {
        self.comms.as_ref()?;
        let dt = self.scenario.dt_s;
        Some(
            self.seen_detection
                .encounters()
                .iter()
                .map(|e| {
                    let (a, b) = (
                        self.seen[e.a as usize].flight,
                        self.seen[e.b as usize].flight,
                    );
                    (a.min(b), a.max(b), e.los_in_step(dt))
                })
                .collect(),
        )
    }

    /// The communications layer, when the scenario has one.
    pub fn comms(&self) -> Option<&comms::CommsLayer> {
        self.comms.as_ref()
    }
    /// Border gates: per node counters, per flight waits.
    pub fn gates(&self) -> &Gates {
        &self.gates
    }
    /// The separation parameters in force.
    pub fn params(&self) -> &Params {
        self.detection.params()
    }
    /// Steps where the R-tree check and the all-pairs check disagreed (only counted with
    /// [`Simulation::set_verify_separation`]; must stay 0).
    pub fn separation_mismatches(&self) -> u64 {
        self.detection.mismatches()
    }

    /// The departure time a flight's current booking is for (its cleared departure, later
    /// when it has been re-planned in flight).
    pub fn booked_departure(&self, flight: FlightId) -> f64 {
        self.bookings.as_ref().map_or_else(
            || self.fleet.flight(flight).departure_s,
            |b| b.booked_departure(flight),
        )
    }

    /// Whether simulated time has reached the scenario's duration.
    pub fn finished(&self) -> bool {
        self.t_s >= self.scenario.duration_s - 1e-9
    }

    /// Number of drones in the air.
    pub fn airborne_count(&self) -> usize {
        self.airborne.len()
    }

    /// Flight and dynamics of each drone in the air, in stepping order.
    pub fn airborne(&self) -> impl Iterator<Item = (FlightId, &Dynamics)> + '_ {
        self.airborne.iter().map(|a| (a.flight, &a.d))
    }

    /// Dynamics of every flight as of now: live for drones in the air (also when the run
    /// has ended), final for the others.
    pub fn current_dynamics(&self) -> Vec<Dynamics> {
        let mut all: Vec<Dynamics> = self.states.iter().map(|s| s.final_dynamics()).collect();
        for a in &self.airborne {
            all[a.flight.index()] = a.d;
        }
        all
    }

    /// The flight with scenario id `id` (e.g. `F2`, or a sampled `A>B.0.3`).
    pub fn flight_by_id(&self, id: &str) -> Option<FlightId> {
        let k = self.flights().iter().position(|f| f.id == id)?;
        Some(FlightId::new(k))
    }

    /// When a flight would have arrived unconstrained (filed departure, time-optimal
    /// route), between the FATOs it was given: the planned unconstrained arrival, moved by
    /// what its FATOs' terminal legs take more or less than the first FATOs' (so being
    /// given a nearer FATO is not counted as negative delay).
    pub fn unconstrained_arrival_s(&self, flight: FlightId) -> f64 {
        let now = self.fleet.plan(flight);
        let first = &self.fleet.plans()[now.family];
        self.fleet.flight(flight).unconstrained_arrival_s + now.duration_s - first.duration_s
    }

    /// Plan of a flight.
    pub fn plan(&self, flight: FlightId) -> &Plan {
        self.fleet.plan(flight)
    }

    /// Drone type of a flight.
    pub fn drone_type(&self, flight: FlightId) -> &DroneType {
        self.fleet.drone_type(flight)
    }
}

/// Most trajectory points `run --trajectories` keeps by default (about 1 GB).
pub const MAX_TRAJECTORY_POINTS: f64 = 20_000_000.0;

/// Setting up runs (outputs, checks, benchmarks).
impl Simulation {
    /// The trajectory sampling interval actually used for `interval_s`: never shorter than
    /// a step.
    fn sampling_interval_s(&self, interval_s: f64) -> f64 {
        interval_s.max(self.scenario.dt_s)
    }

    /// About how many points sampling every `interval_s` seconds would record: each
    /// flight not cancelled, over its planned flight time (within the run), plus its end.
    /// An estimate from the plans (holding adds more), to refuse a runaway interval
    /// before the run.
    pub fn trajectory_points_estimate(&self, interval_s: f64) -> f64 {
        let interval_s = self.sampling_interval_s(interval_s);
        self.flights()
            .iter()
            .filter(|f| f.cancelled.is_none())
            .map(|f| {
                self.plans()[f.plan]
                    .duration_s
                    .min(self.scenario.duration_s)
                    / interval_s
                    + 1.0
            })
            .sum()
    }

    /// Samples every airborne drone's position every `interval_s` seconds (and each
    /// flight's end) into [`Simulation::trajectory`].
    pub fn record_trajectories(&mut self, interval_s: f64) {
        let interval_s = self.sampling_interval_s(interval_s);
        self.trajectory = Some(TrajectoryLog::new(self.t_s, interval_s));
    }

    /// Like [`Simulation::record_trajectories`], but hands every point to `sink` as it is
    /// sampled instead of keeping it (memory then follows the drones in the air); call
    /// [`Simulation::finish_trajectories`] after the run.
    pub fn stream_trajectories(&mut self, interval_s: f64, sink: Box<dyn TrajectorySink>) {
        let interval_s = self.sampling_interval_s(interval_s);
        self.trajectory = Some(TrajectoryLog::streamed(self.t_s, interval_s, sink));
    }

    /// Completes streamed trajectories (writes what is left and closes the output).
    pub fn finish_trajectories(&mut self) -> std::io::Result<()> {
        match &mut self.trajectory {
            Some(log) => log.finish(&self.fleet, &self.net),
            None => Ok(()),
        }
    }

    /// Hands every conflict and loss-of-separation event to `sink` as it closes, in
    /// `events.csv`'s order, instead of keeping it (memory then follows the events in
    /// progress, not the day's; see [`EventTracker::stream_to`]); call
    /// [`Simulation::finish_events`] after the run.
    pub fn stream_events(&mut self, sink: Box<dyn events::EventSink>) {
        self.events.stream_to(sink);
    }

    /// Completes streamed events (hands over what still waits and closes the output).
    pub fn finish_events(&mut self) -> std::io::Result<()> {
        self.events.finish_stream(events::Places {
            net: &self.net,
            fleet: &self.fleet,
            states: &self.states,
            gates: &self.gates,
            comms: self.comms.as_ref(),
        })
    }

    /// Sets how many steps the separation R-tree is kept before it is rebuilt (1 = every
    /// step), instead of by the tactical method ([`Manoeuvres::refresh_steps`]). Outputs
    /// are identical for every value; only speed changes.
    pub fn set_refresh_steps(&mut self, steps: u32) {
        self.detection.set_refresh_steps(steps);
        self.seen_detection.set_refresh_steps(steps);
    }

    /// Sets the tactical resolution method (benchmarks compare methods on one traffic;
    /// the window applies a change with a restart). Switched mid-run, the separation
    /// check stays exact: drones finish the manoeuvres a method began, and their reach
    /// boxes hold them ([`Manoeuvres::of_drone`]).
    pub fn set_tactical(&mut self, method: Tactical) {
        self.scenario.deconfliction.tactical = method;
    }

    /// Also runs the all-pairs check every step and counts disagreements in
    /// [`Simulation::separation_mismatches`] (slow: for tests).
    pub fn set_verify_separation(&mut self, on: bool) {
        self.detection.set_verify(on);
    }

    /// Flight `flight` leaves its stand `late_s` seconds after its cleared departure (a
    /// late crew, a slow turnaround): a disturbance its plan and its bookings did not
    /// foresee. The flight must still be scheduled.
    pub fn delay_takeoff(&mut self, flight: FlightId, late_s: f64) {
        assert_eq!(
            self.states[flight.index()].status,
            Status::Scheduled,
            "{flight} is not scheduled"
        );
        self.takeoff_delays.insert(flight, late_s.max(0.0));
    }

    /// Puts a flight straight into the air at path distance `s_m` with speed `u_mps`, its
    /// take-off set to now. For benchmarks and tests that need many drones airborne at
    /// time 0; normal runs take off from FATOs. The flight must still be scheduled.
    pub fn place_airborne(&mut self, flight: FlightId, s_m: f64, u_mps: f64) {
        assert_eq!(
            self.states[flight.index()].status,
            Status::Scheduled,
            "{flight} is not scheduled"
        );
        self.fleet.take_up(&self.net, flight);
        let plan = self.fleet.plan(flight);
        let s_m = s_m.clamp(0.0, plan.fix_m());
        let mut seg = 0;
        while seg + 1 < plan.path.segs.len() && plan.path.cum[seg + 1] <= s_m {
            seg += 1;
        }
        let g = &plan.path.segs[seg];
        let u = u_mps.min(g.u_max);
        let d = Dynamics {
            motion: Motion {
                s: s_m,
                u,
                seg: seg as u32,
            },
            pos: plan.path.position(seg, s_m).into(),
            vel: glam::DVec3::from(g.dir) * u,
            // Gates it is placed beyond have let it through.
            gates_cleared: plan.gates.iter().filter(|g| g.0 < s_m).count() as u8,
            ..Dynamics::default()
        };
        let st = &mut self.states[flight.index()];
        st.status = Status::Airborne;
        st.takeoff_s = self.t_s;
        self.airborne.push(Airborne {
            flight,
            prev_seg: seg as u32,
            d,
        });
    }
}

#[cfg(test)]
mod tests {
    /// What [`super::drones_where`] gives is what a plain loop over the drones gives, in
    /// their order, on this thread (few drones) or on every core (many), whatever the
    /// pool's size.
    #[test]
    fn drones_where_keeps_drone_order_on_any_pool() {
        let picked = |k: usize, x: &u64| (x % 7 == 3).then_some((k, x * 3));
        for n in [
            0,
            10,
            super::PAR_MIN_DRONES - 1,
            super::PAR_MIN_DRONES,
            50_000,
        ] {
            let drones: Vec<u64> = (0..n as u64)
                .map(|i| i * 2_654_435_761 % 1_000_003)
                .collect();
            let want: Vec<(usize, u64)> = drones
                .iter()
                .enumerate()
                .filter_map(|(k, x)| picked(k, x))
                .collect();
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| super::drones_where(&drones, picked));
                assert_eq!(got, want, "{n} drones, {threads} threads");
            }
        }
    }
}
