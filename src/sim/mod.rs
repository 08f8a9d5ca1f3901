//! The simulation: fixed-step kinematics along 4D plans, vertiport pads, battery, and the
//! separation check of every step.
//!
//! One step from `t` to `t + dt`, always in this order:
//! 1. flights due by `t` join their origin's ground queue;
//! 2. pads are given out: airborne arrivals first (in order of request), then departures;
//! 3. every airborne drone moves one step (in parallel; drones do not read each other);
//! 4. in a fixed order: pads freed by climbs and landings, lane entries counted, batteries
//!    checked (an empty one ends the flight where it is, reported as `battery_depleted`);
//! 5. the separation check on the state at `t + dt`, feeding the event tracker.
//!
//! Nothing here reads the clock or depends on thread count: parallel parts write only their
//! own element, and everything that is summed is summed in drone order.

pub mod events;
pub mod separation;

use std::collections::VecDeque;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::network::Network;
use crate::planner::strategic::{Reservations, lane_entries};
use crate::planner::{Flight, Motion, NO_LANE, Plan, advance_capped, power_w};
use crate::scenario::{DroneType, Scenario, Tactical, TerminalRule};
use events::EventTracker;
use separation::{Aabb, Broadphase, Encounter, PairRules, Params, Track, detect_brute_force, grow};

/// Where a flight is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Departure time not reached.
    Scheduled,
    /// Due, waiting on the ground for a pad.
    WaitingForPad,
    /// In the air.
    Airborne,
    /// Landed at its destination.
    Completed,
    /// Battery ran out in the air; the flight ended where it was.
    BatteryDepleted,
    /// Cancelled before take-off by strategic deconfliction (see the flight's reason).
    Cancelled,
}

/// What an airborne drone is doing, for reports and drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Climbing off the pad or to a higher lane.
    Climbing,
    /// Flying a lane.
    Cruising,
    /// Descending to a lower lane or onto the pad.
    Descending,
    /// Stopped, waiting for a pad at the destination or for a border gate to clear it.
    Holding,
}

/// What changes about a flight while it flies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dynamics {
    /// Where it is on its path.
    pub motion: Motion,
    /// Position `[east_m, north_m, alt_m]` after the last step.
    pub pos: [f64; 3],
    /// Velocity after the last step, m/s.
    pub vel: [f64; 3],
    /// Energy used, watt-hours.
    pub energy_wh: f64,
    /// Seconds spent holding for a pad.
    pub holding_s: f64,
    /// Whether a destination pad is granted.
    pub pad_granted: bool,
    /// Whether the origin pad is still held (during the climb).
    pub holds_origin_pad: bool,
    /// Border gates on its route that have cleared it.
    pub gates_cleared: u8,
    /// Whether it is stopped in the queue of a border gate.
    pub at_gate: bool,
    /// Its place in the queue of its next gate (0: first); it stops that many queue
    /// spacings short of the gate.
    pub gate_slot: u16,
    // Tactical state in single precision (centimetres and milliseconds are plenty): the
    // 100k-drone step is memory-bound, and a smaller record per drone is faster.
    /// Tactical speed limit in force, m/s.
    pub cap_mps: Option<f32>,
    /// Tactical altitude offset from the plan, metres (positive up).
    pub offset_m: f32,
    /// Offset the drone is moving to, metres (0: back on plan).
    pub offset_target_m: f32,
    /// Rate of change of the offset in the last step, m/s.
    pub offset_rate_mps: f32,
    /// Vertical distance flown off plan, metres.
    pub offset_flown_m: f32,
    /// Seconds under 0.5 m/s while slowed by a speed resolution.
    pub slow_s: f32,
    /// Seconds spent manoeuvring (speed limit or offset in force).
    pub manoeuvring_s: f32,
    /// The flight this drone is giving way to, until they have passed.
    pub giving_way_to: Option<u32>,
}

/// A flight's life: status, times, and its dynamics (current while airborne, final after).
#[derive(Debug, Clone)]
pub struct FlightState {
    /// Life-cycle status.
    pub status: Status,
    /// Take-off time, seconds (NaN before).
    pub takeoff_s: f64,
    /// Touchdown or end time, seconds (NaN before).
    pub end_s: f64,
    /// Motion, energy and pads; kept up to date for airborne drones at the end of each step.
    pub dynamics: Dynamics,
}

/// An airborne drone in the dense list stepped in parallel.
#[derive(Debug, Clone, Copy)]
struct Airborne {
    flight: u32,
    /// Segment at the start of the step (for lane entry counting).
    prev_seg: u32,
    d: Dynamics,
}

/// A border gate's queue and counters.
#[derive(Debug, Default, Clone, Serialize)]
pub struct GateStats {
    /// Drones it cleared.
    pub passages: u64,
    /// Total seconds drones waited from their request to their clearance.
    pub wait_total_s: f64,
    /// Longest wait, seconds.
    pub wait_max_s: f64,
    /// Longest queue (drones waiting at once).
    pub max_queue: u64,
    #[serde(skip)]
    queue: VecDeque<(u32, f64)>,
    #[serde(skip)]
    next_free_s: f64,
    #[serde(skip)]
    spacing_s: f64,
}

impl GateStats {
    /// Drones waiting in its queue now.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }
}

#[derive(Debug, Default, Clone)]
struct Vertiport {
    free: u32,
    ground_queue: VecDeque<u32>,
    air_queue: VecDeque<u32>,
    /// `(time, count)` of pads that become free at `time` after a landing turnaround.
    releases: VecDeque<f64>,
}

/// One sampled position of a flight, for trajectory outputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrajectoryPoint {
    /// Flight index.
    pub flight: u32,
    /// Time, seconds.
    pub t_s: f64,
    /// `[east_m, north_m, alt_m]`.
    pub pos: [f64; 3],
    /// Speed, m/s.
    pub speed_mps: f64,
    /// `climbing`, `cruising`, `descending`, `holding`, or at the end `completed` /
    /// `battery_depleted`.
    pub state: &'static str,
}

/// Positions sampled every `interval_s` while flights are in the air, plus where each
/// flight ended.
#[derive(Debug, Clone, Default)]
pub struct TrajectoryLog {
    /// Sampling interval, seconds.
    pub interval_s: f64,
    next_s: f64,
    /// Samples in time order (flights in stepping order within a time).
    pub points: Vec<TrajectoryPoint>,
}

fn phase_name(d: &Dynamics) -> &'static str {
    match Simulation::phase(d) {
        Phase::Climbing => "climbing",
        Phase::Cruising => "cruising",
        Phase::Descending => "descending",
        Phase::Holding => "holding",
    }
}

fn speed(d: &Dynamics) -> f64 {
    d.vel.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// What tactical resolution did, summed over the run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TacticalStats {
    /// Manoeuvres begun by slowing down.
    pub speed_manoeuvres: u64,
    /// Manoeuvres begun by changing altitude.
    pub vertical_manoeuvres: u64,
    /// In-flight re-plans of drones far behind their plan (strategic deconfliction on).
    pub replans: u64,
    /// Re-booked lane entries that came closer than the headway to another booking: how
    /// far deviations erode the strategic plan.
    pub headway_breaches: u64,
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
    /// The scenario as run (after overrides).
    pub scenario: Scenario,
    /// The network.
    pub net: Arc<Network>,
    /// Shared plans.
    pub plans: Vec<Plan>,
    /// Every flight, sorted by scheduled departure.
    pub flights: Vec<Flight>,
    /// State of each flight, same order.
    pub states: Vec<FlightState>,
    /// Simulated time, seconds.
    pub t_s: f64,
    /// Steps done.
    pub step: u64,
    /// Conflict and loss-of-separation events.
    pub events: EventTracker,
    /// Per lane counters, same order as `net.lanes`.
    pub lane_stats: Vec<LaneStats>,
    /// Most drones in the air at once.
    pub peak_airborne: usize,
    /// Sampled trajectories, when asked for ([`Simulation::record_trajectories`]).
    pub trajectory: Option<TrajectoryLog>,
    /// Tactical resolution counters.
    pub tactical: TacticalStats,
    /// With strategic deconfliction: the reservation table, kept true in flight (drones
    /// far behind their plan are re-planned and re-booked).
    pub reservations: Option<Reservations>,
    /// Per flight, the departure time its current booking is for.
    booked_s: Vec<f64>,
    /// Per node, border gate queue and counters (default for other nodes).
    pub gates: Vec<GateStats>,
    /// Per flight, seconds waited at border gates.
    pub gate_wait_s: Vec<f64>,
    gate_queued: Vec<bool>,
    /// Per flight, when a border gate last cleared it (NaN if none has).
    pub gate_cleared_s: Vec<f64>,
    /// Distance between drones queued at a gate, metres (the largest horizontal minimum
    /// plus 10 m: a queue never loses separation).
    pub gate_queue_spacing_m: f64,
    track_minima: Vec<[f32; 2]>,
    params: Params,
    airborne: Vec<Airborne>,
    next_due: usize,
    ports: Vec<Vertiport>,
    broadphase: Broadphase,
    refresh_steps: u32,
    verify: bool,
    /// Steps where the R-tree check and the all-pairs check disagreed (only counted with
    /// [`Simulation::set_verify_separation`]; must stay 0).
    pub separation_mismatches: u64,
    tracks: Vec<Track>,
    track_flight: Vec<u32>,
    track_terminal: Vec<bool>,
    track_pad: Vec<u32>,
    slot_of: Vec<u32>,
    encounters: Vec<Encounter>,
}

impl Simulation {
    /// A simulation at time 0 over planned flights.
    pub fn new(
        scenario: Scenario,
        net: Arc<Network>,
        plans: Vec<Plan>,
        flights: Vec<Flight>,
    ) -> Self {
        let states = vec![
            FlightState {
                status: Status::Scheduled,
                takeoff_s: f64::NAN,
                end_s: f64::NAN,
                dynamics: Dynamics::default(),
            };
            flights.len()
        ];
        let mut states = states;
        for (st, f) in states.iter_mut().zip(&flights) {
            if f.cancelled.is_some() {
                st.status = Status::Cancelled;
            }
        }
        let ports = net
            .nodes
            .iter()
            .map(|n| Vertiport {
                free: n.pads(),
                ..Default::default()
            })
            .collect();
        let gates = net
            .nodes
            .iter()
            .map(|n| GateStats {
                spacing_s: n.gate_spacing_s().unwrap_or(0.0),
                ..Default::default()
            })
            .collect();
        let gate_wait_s = vec![0.0; flights.len()];
        let gate_cleared_s = vec![f64::NAN; flights.len()];
        let gate_queue_spacing_m = net.max_minima[0] + 10.0;
        // The broad phase must cover the largest minima anywhere; each pair is then
        // checked against its own (see `track_minima`).
        let params = Params {
            horizontal_m: net.max_minima[0],
            vertical_m: net.max_minima[1],
            lookahead_s: scenario.separation.lookahead_s,
            dt_s: scenario.dt_s,
        };
        Simulation {
            lane_stats: vec![LaneStats::default(); net.lanes.len()],
            scenario,
            net,
            plans,
            flights,
            states,
            t_s: 0.0,
            step: 0,
            events: EventTracker::default(),
            peak_airborne: 0,
            trajectory: None,
            tactical: TacticalStats::default(),
            reservations: None,
            booked_s: Vec::new(),
            gates,
            gate_cleared_s,
            gate_queued: vec![false; gate_wait_s.len()],
            gate_queue_spacing_m,
            gate_wait_s,
            track_minima: Vec::new(),
            params,
            airborne: Vec::new(),
            next_due: 0,
            ports,
            broadphase: Broadphase::new(DEFAULT_REFRESH_STEPS),
            refresh_steps: DEFAULT_REFRESH_STEPS,
            verify: false,
            separation_mismatches: 0,
            tracks: Vec::new(),
            track_flight: Vec::new(),
            track_terminal: Vec::new(),
            track_pad: Vec::new(),
            slot_of: Vec::new(),
            encounters: Vec::new(),
        }
    }

    /// Builds the reservation table when strategic deconfliction is on (called by
    /// [`crate::prepare`]).
    pub fn keep_reservations(&mut self) {
        if self.scenario.deconfliction.strategic {
            self.reservations = Some(Reservations::of(&self.net, &self.plans, &self.flights));
            self.booked_s = self.flights.iter().map(|f| f.departure_s).collect();
        }
    }

    /// The departure time a flight's current booking is for (its cleared departure, later
    /// when it has been re-planned in flight).
    pub fn booked_departure(&self, flight: usize) -> f64 {
        self.booked_s
            .get(flight)
            .copied()
            .unwrap_or(self.flights[flight].departure_s)
    }

    /// Whether simulated time has reached the scenario's duration.
    pub fn finished(&self) -> bool {
        self.t_s >= self.scenario.duration_s - 1e-9
    }

    /// Number of drones in the air.
    pub fn airborne_count(&self) -> usize {
        self.airborne.len()
    }

    /// Flight index and dynamics of each drone in the air, in stepping order.
    pub fn airborne(&self) -> impl Iterator<Item = (u32, &Dynamics)> + '_ {
        self.airborne.iter().map(|a| (a.flight, &a.d))
    }

    /// Dynamics of every flight as of now: live for drones in the air, final for the
    /// others.
    pub fn current_dynamics(&self) -> Vec<Dynamics> {
        let mut all: Vec<Dynamics> = self.states.iter().map(|s| s.dynamics).collect();
        for a in &self.airborne {
            all[a.flight as usize] = a.d;
        }
        all
    }

    /// Plan of a flight.
    pub fn plan(&self, flight: usize) -> &Plan {
        &self.plans[self.flights[flight].plan as usize]
    }

    /// Drone type of a flight.
    pub fn drone_type(&self, flight: usize) -> &DroneType {
        &self.scenario.drone_types[self.plan(flight).drone_type]
    }

    /// What an airborne drone is doing.
    pub fn phase(d: &Dynamics) -> Phase {
        if d.at_gate || (d.motion.u == 0.0 && !d.pad_granted && d.holding_s > 0.0) {
            Phase::Holding
        } else if d.vel[2] > 1e-6 {
            Phase::Climbing
        } else if d.vel[2] < -1e-6 {
            Phase::Descending
        } else {
            Phase::Cruising
        }
    }

    /// The separation parameters in force.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Runs steps until the scenario's duration.
    pub fn run_to_end(&mut self) {
        while !self.finished() {
            self.step();
        }
    }

    /// Advances one fixed step (no-op once finished).
    pub fn step(&mut self) {
        if self.finished() {
            return;
        }
        let t = self.t_s;
        let dt = self.scenario.dt_s;

        // 1. Due flights join the ground queue of their origin.
        while self.next_due < self.flights.len()
            && self.flights[self.next_due].departure_s <= t + 1e-9
        {
            let f = self.next_due;
            self.next_due += 1;
            if self.states[f].status != Status::Scheduled {
                continue; // put in the air by `place_airborne`
            }
            let origin = self.plans[self.flights[f].plan as usize].origin;
            self.states[f].status = Status::WaitingForPad;
            self.ports[origin].ground_queue.push_back(f as u32);
        }

        // 2. Pads: returns from turnaround, then requests of arrivals close to their
        //    final descent, then grants (arrivals before departures, each in queue order).
        for port in &mut self.ports {
            while port.releases.front().is_some_and(|&r| r <= t + 1e-9) {
                port.releases.pop_front();
                port.free += 1;
            }
        }
        for a in &mut self.airborne {
            if a.d.pad_granted {
                continue;
            }
            let plan = &self.plans[self.flights[a.flight as usize].plan as usize];
            let ty = &self.scenario.drone_types[plan.drone_type];
            let u = a.d.motion.u + ty.accel_mps2 * dt;
            let reach = u * u / (2.0 * ty.accel_mps2) + 2.0 * u * dt + 1.0;
            let queue = &mut self.ports[plan.destination].air_queue;
            if plan.hold_point_m() - a.d.motion.s <= reach && !queue.contains(&a.flight) {
                queue.push_back(a.flight);
            }
        }
        let mut granted = Vec::new();
        for port in &mut self.ports {
            while port.free > 0 {
                if let Some(f) = port.air_queue.pop_front() {
                    granted.push(f);
                } else if let Some(f) = port.ground_queue.pop_front() {
                    let st = &mut self.states[f as usize];
                    st.status = Status::Airborne;
                    st.takeoff_s = t;
                    self.airborne.push(Airborne {
                        flight: f,
                        prev_seg: 0,
                        d: Dynamics {
                            holds_origin_pad: true,
                            ..Dynamics::default()
                        },
                    });
                } else {
                    break;
                }
                port.free -= 1;
            }
        }
        if !granted.is_empty() {
            granted.sort_unstable();
            for a in &mut self.airborne {
                if granted.binary_search(&a.flight).is_ok() {
                    a.d.pad_granted = true;
                }
            }
        }
        // Border gates: a drone asks within braking reach of the end of its next gate's
        // queue; each gate clears one drone per `spacing_s`, first asked first cleared; the
        // others stop in line before the gate, one queue spacing apart.
        if self.net.nodes.iter().any(|n| n.gate_spacing_s().is_some()) {
            let mut joined = false;
            for a in &self.airborne {
                let plan = &self.plans[self.flights[a.flight as usize].plan as usize];
                let Some(&(s_gate, node)) = plan.gates.get(a.d.gates_cleared as usize) else {
                    continue;
                };
                let ty = &self.scenario.drone_types[plan.drone_type];
                let u = a.d.motion.u + ty.accel_mps2 * dt;
                let reach = u * u / (2.0 * ty.accel_mps2) + 2.0 * u * dt + 1.0;
                let g = &mut self.gates[node as usize];
                // (The line counts at most MAX_LINE drones: in a stream denser than the
                // queue spacing, joining must not lengthen the line without bound.)
                let line = g.queue.len().min(MAX_LINE) as f64 * self.gate_queue_spacing_m;
                let queued = &mut self.gate_queued[a.flight as usize];
                if s_gate - a.d.motion.s <= reach + line && !*queued {
                    *queued = true;
                    joined = true;
                    g.queue.push_back((a.flight, t));
                    g.max_queue = g.max_queue.max(g.queue.len() as u64);
                }
            }
            let mut cleared = Vec::new();
            for g in &mut self.gates {
                while !g.queue.is_empty() && g.next_free_s < t + dt - 1e-9 {
                    let (f, asked) = g.queue.pop_front().expect("not empty");
                    let slot = g.next_free_s.max(t);
                    g.next_free_s = slot + g.spacing_s;
                    let wait = t - asked;
                    g.passages += 1;
                    g.wait_total_s += wait;
                    g.wait_max_s = g.wait_max_s.max(wait);
                    self.gate_wait_s[f as usize] += wait;
                    self.gate_cleared_s[f as usize] = t;
                    self.gate_queued[f as usize] = false;
                    cleared.push(f);
                }
            }
            // Places in line change only when a queue does.
            if joined || !cleared.is_empty() {
                cleared.sort_unstable();
                let mut slots = std::collections::BTreeMap::new();
                for g in &self.gates {
                    for (k, q) in g.queue.iter().enumerate() {
                        slots.insert(q.0, k as u16);
                    }
                }
                for a in &mut self.airborne {
                    if cleared.binary_search(&a.flight).is_ok() {
                        a.d.gates_cleared += 1;
                        a.d.at_gate = false;
                    }
                    a.d.gate_slot = slots.get(&a.flight).copied().unwrap_or(0);
                }
            }
        }

        // 3. Move every airborne drone one step; each task touches only its own drone.
        {
            let plans = &self.plans;
            let flights = &self.flights;
            let types = &self.scenario.drone_types;
            let queue_spacing = self.gate_queue_spacing_m;
            let queued = &self.gate_queued;
            self.airborne
                .par_iter_mut()
                .with_min_len(1024)
                .for_each(|a| {
                    let plan = &plans[flights[a.flight as usize].plan as usize];
                    let ty = &types[plan.drone_type];
                    let d = &mut a.d;
                    // An offset drone levels off before its final descent.
                    let level = d.offset_m == 0.0;
                    let mut stop = if d.pad_granted && level {
                        plan.path.total_m()
                    } else {
                        plan.hold_point_m()
                    };
                    // Its place in the gate's line, or as soon as it can brake if the line
                    // already reaches past it.
                    let brake = d.motion.s + d.motion.u * d.motion.u / (2.0 * ty.accel_mps2);
                    let gate = plan
                        .gates
                        .get(d.gates_cleared as usize)
                        .map(|g| (g.0 - f64::from(d.gate_slot) * queue_spacing).max(brake));
                    if let Some(s_gate) = gate {
                        stop = stop.min(s_gate);
                    }
                    a.prev_seg = d.motion.seg;
                    let s0 = d.motion.s;
                    let dir0 = plan.path.segs[d.motion.seg as usize].dir;
                    let cap = d.cap_mps.map_or(f64::INFINITY, f64::from);
                    advance_capped(&plan.path, &mut d.motion, ty.accel_mps2, dt, stop, cap);
                    let seg = &plan.path.segs[d.motion.seg as usize];
                    let change = (f64::from(d.offset_target_m) - f64::from(d.offset_m))
                        .clamp(-ty.descent_rate_mps * dt, ty.climb_rate_mps * dt);
                    d.offset_m = (f64::from(d.offset_m) + change) as f32;
                    d.offset_rate_mps = (change / dt) as f32;
                    d.offset_flown_m += change.abs() as f32;
                    d.pos = plan.path.position(d.motion.seg as usize, d.motion.s);
                    d.pos[2] += f64::from(d.offset_m);
                    d.vel = [
                        seg.dir[0] * d.motion.u,
                        seg.dir[1] * d.motion.u,
                        seg.dir[2] * d.motion.u + change / dt,
                    ];
                    let power = if change / dt > 0.05 {
                        ty.climb_power()
                    } else {
                        power_w(ty, &dir0, d.motion.u)
                    };
                    d.energy_wh += power * dt / 3600.0;
                    d.at_gate = queued[a.flight as usize]
                        && gate.is_some_and(|g| d.motion.s >= g - 1e-6)
                        && d.motion.u == 0.0;
                    if d.motion.u == 0.0 && d.motion.s == s0 && !d.pad_granted && !d.at_gate {
                        d.holding_s += dt;
                    }
                    if d.cap_mps.is_some() && d.motion.u < 0.5 {
                        d.slow_s += dt as f32;
                    } else {
                        d.slow_s = 0.0;
                    }
                    if d.cap_mps.is_some() || d.offset_m != 0.0 {
                        d.manoeuvring_s += dt as f32;
                    }
                });
        }

        // 4. In drone order: pads, lane statistics, landings, batteries.
        let t1 = t + dt;
        let mut ended = false;
        for a in &mut self.airborne {
            let f = a.flight as usize;
            let plan = &self.plans[self.flights[f].plan as usize];
            let d = &mut a.d;
            if d.holds_origin_pad && d.motion.s >= plan.climb_done_m() {
                d.holds_origin_pad = false;
                self.ports[plan.origin].free += 1;
            }
            let segs = &plan.path.segs;
            for k in a.prev_seg as usize + 1..=d.motion.seg as usize {
                if segs[k].lane != NO_LANE && segs[k].lane != segs[k - 1].lane {
                    self.lane_stats[segs[k].lane as usize].entries += 1;
                }
            }
            let lane = segs[d.motion.seg as usize].lane;
            if lane != NO_LANE {
                self.lane_stats[lane as usize].occupancy_s += dt;
            }
            let ty = &self.scenario.drone_types[plan.drone_type];
            let st = &mut self.states[f];
            if d.motion.s >= plan.path.total_m() {
                st.dynamics = *d;
                if let Some(log) = &mut self.trajectory {
                    let state = "completed";
                    log.points.push(TrajectoryPoint {
                        flight: a.flight,
                        t_s: t1,
                        pos: d.pos,
                        speed_mps: 0.0,
                        state,
                    });
                }
                st.status = Status::Completed;
                st.end_s = t1;
                self.ports[plan.destination]
                    .releases
                    .push_back(t1 + self.net.nodes[plan.destination].turnaround_s());
                ended = true;
            } else if d.energy_wh >= ty.battery_wh {
                st.status = Status::BatteryDepleted;
                st.end_s = t1;
                if d.holds_origin_pad {
                    d.holds_origin_pad = false;
                    self.ports[plan.origin].free += 1;
                }
                if d.pad_granted {
                    d.pad_granted = false;
                    self.ports[plan.destination].free += 1;
                }
                self.ports[plan.destination]
                    .air_queue
                    .retain(|&q| q as usize != f);
                st.dynamics = *d;
                if let Some(log) = &mut self.trajectory {
                    let state = "battery_depleted";
                    log.points.push(TrajectoryPoint {
                        flight: a.flight,
                        t_s: t1,
                        pos: d.pos,
                        speed_mps: speed(d),
                        state,
                    });
                }
                ended = true;
            }
        }
        if ended {
            let states = &self.states;
            self.airborne
                .retain(|a| states[a.flight as usize].status == Status::Airborne);
        }
        self.peak_airborne = self.peak_airborne.max(self.airborne.len());
        if let Some(log) = &mut self.trajectory
            && t1 + 1e-9 >= log.next_s
        {
            for a in &self.airborne {
                let (d, flight) = (&a.d, a.flight);
                log.points.push(TrajectoryPoint {
                    flight,
                    t_s: t1,
                    pos: d.pos,
                    speed_mps: speed(d),
                    state: phase_name(d),
                });
            }
            while log.next_s <= t1 + 1e-9 {
                log.next_s += log.interval_s;
            }
        }

        // 5. Separation on the state at t + dt.
        self.tracks.clear();
        self.track_flight.clear();
        self.track_terminal.clear();
        self.track_pad.clear();
        let procedural = self.scenario.separation.terminal == TerminalRule::Procedural;
        self.track_minima.clear();
        let local = self.net.local_minima;
        for a in &self.airborne {
            self.tracks.push(Track {
                pos: a.d.pos,
                vel: a.d.vel,
            });
            self.track_flight.push(a.flight);
            let plan = &self.plans[self.flights[a.flight as usize].plan as usize];
            let lane = plan.path.segs[a.d.motion.seg as usize].lane;
            self.track_terminal.push(lane == NO_LANE);
            if procedural {
                self.track_pad.push(if lane != NO_LANE {
                    u32::MAX
                } else if a.d.motion.seg == 0 {
                    plan.origin as u32
                } else {
                    plan.destination as u32
                });
            }
            if local {
                self.track_minima
                    .push(minima_at(&self.net, plan, a.d.motion.seg));
            }
        }
        {
            let (plans, flights, airborne) = (&self.plans, &self.flights, &self.airborne);
            let (p, ahead_s) = (&self.params, self.refresh_steps as f64 * dt);
            let vertical = matches!(
                self.scenario.deconfliction.tactical,
                Tactical::Vertical | Tactical::Mvp
            );
            let types = &self.scenario.drone_types;
            self.broadphase.detect(
                &self.track_flight,
                &self.tracks,
                p,
                &PairRules {
                    minima: &self.track_minima,
                    terminal: &self.track_pad,
                },
                |i| {
                    let a = &airborne[i];
                    let plan = &plans[flights[a.flight as usize].plan as usize];
                    let t = &types[plan.drone_type];
                    let climb = if vertical {
                        t.climb_rate_mps.max(t.descent_rate_mps)
                    } else {
                        0.0
                    };
                    reach_box(plan, &a.d, ahead_s, p, climb)
                },
                &mut self.encounters,
            );
        }
        if self.verify {
            let key = |e: &Encounter, tf: &[u32]| {
                let (x, y) = (tf[e.a as usize], tf[e.b as usize]);
                (x.min(y), x.max(y), e.t_in.to_bits(), e.t_out.to_bits())
            };
            let mut got: Vec<_> = self
                .encounters
                .iter()
                .map(|e| key(e, &self.track_flight))
                .collect();
            let mut want: Vec<_> = detect_brute_force(
                &self.tracks,
                &self.params,
                &PairRules {
                    minima: &self.track_minima,
                    terminal: &self.track_pad,
                },
            )
            .iter()
            .map(|e| key(e, &self.track_flight))
            .collect();
            got.sort_unstable();
            want.sort_unstable();
            if got != want {
                self.separation_mismatches += 1;
            }
        }
        self.step += 1;
        self.events.update(
            self.step,
            t1,
            &self.params,
            &self.track_minima,
            &self.tracks,
            &self.track_flight,
            &self.track_terminal,
            &self.encounters,
        );
        if self.scenario.deconfliction.tactical != Tactical::None {
            self.resolve();
        }
        // Every 10 s: re-plan drones far behind their cleared plan.
        let every = (10.0 / dt).round().max(1.0) as u64;
        if self.reservations.is_some() && self.step.is_multiple_of(every) {
            self.replan_late(t1);
        }
        self.t_s = self.step as f64 * dt;
        if self.finished() {
            self.events.finish();
            for a in &self.airborne {
                self.states[a.flight as usize].dynamics = a.d;
            }
        }
    }
}

/// Longest gate line, in drones, that a drone allows for when it asks for clearance.
const MAX_LINE: usize = 32;

/// Separation minima of a drone on segment `seg` of `plan`: its lane's (the lane's
/// jurisdiction), or on a climb or descent those of the vertiport it is over.
fn minima_at(net: &Network, plan: &Plan, seg: u32) -> [f32; 2] {
    let m = match plan.path.segs[seg as usize].lane {
        NO_LANE => {
            let node = if seg == 0 {
                plan.origin
            } else {
                plan.destination
            };
            net.nodes[node]
                .jurisdiction
                .map_or(net.base_minima, |j| net.jurisdictions[j as usize].minima)
        }
        lane => net.lanes[lane as usize].minima,
    };
    [m[0] as f32, m[1] as f32]
}

/// A resolution for one drone: a speed limit, an altitude offset, or both.
#[derive(Debug, Clone, Copy, Default)]
struct Order {
    cap_mps: Option<f64>,
    offset_m: Option<f64>,
    to: Option<u32>,
}

fn horizontal_unit(v: &[f64; 3]) -> [f64; 2] {
    let n = v[0].hypot(v[1]);
    if n < 1e-9 {
        [0.0, 0.0]
    } else {
        [v[0] / n, v[1] / n]
    }
}

impl Simulation {
    /// Re-times the 4D plan of every drone more than `replan_after_s` behind it, from where
    /// it is, and moves its bookings (lane entries, pads) to the new times.
    fn replan_late(&mut self, now: f64) {
        let limit = self.scenario.deconfliction.replan_after_s;
        let Some(table) = self.reservations.as_mut() else {
            return;
        };
        if self.booked_s.len() != self.flights.len() {
            self.booked_s = self.flights.iter().map(|f| f.departure_s).collect();
        }
        for a in &self.airborne {
            let f = a.flight as usize;
            let plan = &self.plans[self.flights[f].plan as usize];
            let late = now - (self.booked_s[f] + plan.planned_time_at(a.d.motion.s));
            if late <= limit {
                continue;
            }
            let (old, new) = (self.booked_s[f], self.booked_s[f] + late);
            table.unbook(&self.net, plan, old);
            for (l, t) in lane_entries(plan) {
                if new + t > now && !table.lane_free(l, new + t, self.net.lanes[l].headway_s) {
                    self.tactical.headway_breaches += 1;
                }
            }
            table.book(&self.net, plan, new);
            self.booked_s[f] = new;
            self.tactical.replans += 1;
        }
    }

    /// Tactical resolution: for every pair in conflict now, the give-way drone gets a
    /// speed limit or an altitude offset (by the scenario's method) for the next step;
    /// drones in no conflict return to their plan. In a fixed order, after detection.
    fn resolve(&mut self) {
        let method = self.scenario.deconfliction.tactical;
        let max_hover = self.scenario.deconfliction.max_hover_s;
        let (h, v, horizon) = (
            self.params.horizontal_m,
            self.params.vertical_m,
            self.params.lookahead_s.max(self.params.dt_s),
        );
        let n = self.airborne.len();
        let mut orders = vec![Order::default(); n];
        for e in &self.encounters {
            let (i, j) = (e.a as usize, e.b as usize);
            let (ai, aj) = (&self.airborne[i], &self.airborne[j]);
            let prio = |a: &Airborne| self.flights[a.flight as usize].priority;
            let (di, dj) = (horizontal_unit(&ai.d.vel), horizontal_unit(&aj.d.vel));
            let same_way = di[0] * dj[0] + di[1] * dj[1] > 0.7;
            // Who gives way: lower priority; then the follower; then the later-filed flight.
            let (g, s) = if prio(ai) != prio(aj) {
                if prio(ai) < prio(aj) { (i, j) } else { (j, i) }
            } else if same_way {
                let ahead =
                    (aj.d.pos[0] - ai.d.pos[0]) * di[0] + (aj.d.pos[1] - ai.d.pos[1]) * di[1];
                if ahead > 0.0 { (i, j) } else { (j, i) }
            } else if ai.flight > aj.flight {
                (i, j)
            } else {
                (j, i)
            };
            let (dg, ds) = (&self.airborne[g].d, &self.airborne[s].d);
            let plan = &self.plans[self.flights[self.airborne[g].flight as usize].plan as usize];
            let ty = &self.scenario.drone_types[plan.drone_type];
            let lane = plan.path.segs[dg.motion.seg as usize].lane;
            let plan_s = &self.plans[self.flights[self.airborne[s].flight as usize].plan as usize];
            if lane == NO_LANE || plan_s.path.segs[ds.motion.seg as usize].lane == NO_LANE {
                continue; // climbing off or descending onto a pad: sequenced by the pads
            }
            let ug = dg.motion.u;
            let dir = horizontal_unit(&dg.vel);
            // Behind a leader going the same way: follow it at the horizontal minimum plus
            // 10 m (faster when further back, slower when closer); otherwise slow to half
            // speed to let the other pass.
            let slow = |behind: bool| {
                let along = ds.vel[0] * dir[0] + ds.vel[1] * dir[1];
                let gap = (ds.pos[0] - dg.pos[0]).hypot(ds.pos[1] - dg.pos[1]);
                let c = if behind && same_way {
                    along + 0.2 * (gap - (h + 10.0))
                } else {
                    0.5 * ug
                };
                c.max(ty.min_speed())
            };
            // Offsets within the corridor band that clear the other by the vertical minimum.
            let band = {
                let c = &self.scenario.corridors[self.net.lanes[lane as usize].corridor];
                (c.min_alt_m, c.max_alt_m)
            };
            let base = dg.pos[2] - f64::from(dg.offset_m);
            let fits = |o: f64| base + o >= band.0 + 1.0 && base + o <= band.1 - 1.0;
            let clear = |prefer_up: bool| {
                let up = ds.pos[2] + v + 2.0 - base;
                let down = ds.pos[2] - v - 2.0 - base;
                let order = if prefer_up { [up, down] } else { [down, up] };
                order.into_iter().find(|&o| fits(o))
            };
            let behind = {
                let ahead = (ds.pos[0] - dg.pos[0]) * dir[0] + (ds.pos[1] - dg.pos[1]) * dir[1];
                ahead > 0.0
            };
            let order = &mut orders[g];
            order.to = order.to.or(Some(self.airborne[s].flight));
            let limit = |order: &mut Order, c: f64| {
                order.cap_mps = Some(order.cap_mps.map_or(c, |x: f64| x.min(c)))
            };
            match method {
                Tactical::None => {}
                // Speed alone can only keep drones in trail apart: it does not touch
                // crossings, where slowing one drone may just move the meeting point.
                Tactical::Speed if same_way && behind => limit(order, slow(true)),
                Tactical::Speed => {}
                Tactical::Vertical => match clear(dg.pos[2] >= ds.pos[2]) {
                    Some(o) if order.offset_m.is_none() => order.offset_m = Some(o),
                    Some(_) => {}
                    None => limit(order, slow(behind)),
                },
                Tactical::Mvp => {
                    // Closest approach on straight lines, within the look-ahead.
                    let p = [
                        dg.pos[0] - ds.pos[0],
                        dg.pos[1] - ds.pos[1],
                        dg.pos[2] - ds.pos[2],
                    ];
                    let w = [
                        dg.vel[0] - ds.vel[0],
                        dg.vel[1] - ds.vel[1],
                        dg.vel[2] - ds.vel[2],
                    ];
                    let w2 = w[0] * w[0] + w[1] * w[1];
                    let tc = if w2 < 1e-9 {
                        0.0
                    } else {
                        (-(p[0] * w[0] + p[1] * w[1]) / w2).clamp(0.0, horizon)
                    };
                    let dh = [p[0] + w[0] * tc, p[1] + w[1] * tc];
                    let dz = p[2] + w[2] * tc;
                    let (ih, iv) = ((h - dh[0].hypot(dh[1])).max(0.0), (v - dz.abs()).max(0.0));
                    // The displacement that clears the intrusion, in the cheaper dimension.
                    let vertical_first = iv / v <= ih / h;
                    let along = {
                        let n = dh[0].hypot(dh[1]).max(1e-9);
                        let need = [dh[0] / n * (ih + 2.0), dh[1] / n * (ih + 2.0)];
                        (need[0] * dir[0] + need[1] * dir[1]) / tc.max(1.0)
                    };
                    let vertical = {
                        let o =
                            f64::from(dg.offset_m) + if dz >= 0.0 { iv + 2.0 } else { -(iv + 2.0) };
                        fits(o).then_some(o).or_else(|| clear(dz >= 0.0))
                    };
                    match (vertical_first, vertical) {
                        (true, Some(o)) if order.offset_m.is_none() => order.offset_m = Some(o),
                        (true, Some(_)) => {}
                        _ if along < 0.0 => limit(order, (ug + along).max(ty.min_speed())),
                        (false, Some(o)) if order.offset_m.is_none() => order.offset_m = Some(o),
                        _ => limit(order, slow(behind)),
                    }
                }
            }
        }
        // A drone keeps giving way to the same drone, with the same order, until the two
        // are no longer closing on each other and are two horizontal minima apart (else it
        // would return to its plan, meet the conflict again and oscillate).
        let mut slot = std::mem::take(&mut self.slot_of);
        slot.resize(self.flights.len(), u32::MAX);
        for (k, a) in self.airborne.iter().enumerate() {
            slot[a.flight as usize] = k as u32;
        }
        for (order, a) in orders.iter_mut().zip(&self.airborne) {
            if order.to.is_some() {
                continue;
            }
            let d = &a.d;
            let Some(other) = d
                .giving_way_to
                .map(|f| slot[f as usize])
                .filter(|&j| j != u32::MAX)
                .map(|j| &self.airborne[j as usize].d)
            else {
                continue;
            };
            let p = [d.pos[0] - other.pos[0], d.pos[1] - other.pos[1]];
            let w = [d.vel[0] - other.vel[0], d.vel[1] - other.vel[1]];
            let closing = p[0] * w[0] + p[1] * w[1] < 0.0;
            if closing || p[0].hypot(p[1]) < 2.0 * h {
                *order = Order {
                    cap_mps: d.cap_mps.map(f64::from),
                    offset_m: (d.offset_target_m != 0.0).then_some(f64::from(d.offset_target_m)),
                    to: d.giving_way_to,
                };
            }
        }
        for a in &self.airborne {
            slot[a.flight as usize] = u32::MAX;
        }
        self.slot_of = slot;
        for (k, a) in self.airborne.iter_mut().enumerate() {
            let o = orders[k];
            let d = &mut a.d;
            d.giving_way_to = o.to;
            let was = (d.cap_mps.is_some(), d.offset_target_m != 0.0);
            // Never hover forever: a drone held slow for max_hover_s goes on.
            d.cap_mps = o
                .cap_mps
                .filter(|_| f64::from(d.slow_s) <= max_hover)
                .map(|c| c as f32);
            d.offset_target_m = o.offset_m.unwrap_or(0.0) as f32;
            if d.cap_mps.is_some() && !was.0 {
                self.tactical.speed_manoeuvres += 1;
            }
            if d.offset_target_m != 0.0 && !was.1 {
                self.tactical.vertical_manoeuvres += 1;
            }
        }
    }
}

/// Steps between rebuilds of the separation R-tree (results do not depend on it).
pub const DEFAULT_REFRESH_STEPS: u32 = 16;

/// A box containing every straight-line prediction (`pos + vel * tau`, `tau` up to the
/// look-ahead) a drone on `plan` in state `d` can make during the next `ahead_s` seconds,
/// grown by half the minima. `climb_mps` bounds tactical vertical offsets (0 without). Speed along a path never exceeds the largest segment limit
/// met so far (the rule in [`advance`]), so walking the path with that running maximum
/// bounds both where the drone gets to and how far it can extrapolate from there.
pub fn reach_box(plan: &Plan, d: &Dynamics, ahead_s: f64, p: &Params, climb_mps: f64) -> Aabb {
    let path = &plan.path;
    let horizon = p.lookahead_s.max(p.dt_s);
    let total = path.total_m();
    let s0 = d.motion.s;
    let mut ub = d.motion.u;
    let (mut lo, mut hi) = (d.pos, d.pos);
    let mut add = |q: [f64; 3]| {
        for k in 0..3 {
            lo[k] = lo[k].min(q[k]);
            hi[k] = hi[k].max(q[k]);
        }
    };
    let mut k = d.motion.seg as usize;
    loop {
        let g = &path.segs[k];
        ub = ub.max(g.u_max);
        let s_end = (s0 + ub * ahead_s).min(total);
        let a = s0.max(path.cum[k]);
        let b = s_end.min(path.cum[k + 1]);
        let pa = path.position(k, a);
        let pb = path.position(k, b);
        let far = ub * horizon;
        add(pa);
        add([
            pb[0] + g.dir[0] * far,
            pb[1] + g.dir[1] * far,
            pb[2] + g.dir[2] * far,
        ]);
        k += 1;
        if k >= path.segs.len() || path.cum[k] >= s_end {
            break;
        }
    }
    // Tactical altitude offsets: the current one, what it can become by the next rebuild,
    // and its rate extrapolated over the look-ahead (`climb_mps` is 0 when no method moves
    // drones vertically).
    let slack = if climb_mps > 0.0 {
        f64::from(d.offset_m.abs()) + climb_mps * (ahead_s + horizon)
    } else {
        0.0
    };
    lo[2] -= slack;
    hi[2] += slack;
    grow(lo, hi, p)
}

impl Simulation {
    /// Samples every airborne drone's position every `interval_s` seconds (and each
    /// flight's end) into [`Simulation::trajectory`].
    pub fn record_trajectories(&mut self, interval_s: f64) {
        let interval_s = interval_s.max(self.scenario.dt_s);
        self.trajectory = Some(TrajectoryLog {
            interval_s,
            next_s: self.t_s + interval_s,
            points: Vec::new(),
        });
    }

    /// Sets how many steps the separation R-tree is kept before it is rebuilt (1 = every
    /// step). Outputs are identical for every value; only speed changes.
    pub fn set_refresh_steps(&mut self, steps: u32) {
        self.refresh_steps = steps.max(1);
        self.broadphase = Broadphase::new(self.refresh_steps);
    }

    /// Also runs the all-pairs check every step and counts disagreements in
    /// `separation_mismatches` (slow: for tests).
    pub fn set_verify_separation(&mut self, on: bool) {
        self.verify = on;
    }

    /// Puts a flight straight into the air at path distance `s_m` with speed `u_mps`, its
    /// take-off set to now. For benchmarks and tests that need many drones airborne at
    /// time 0; normal runs take off from pads. The flight must still be scheduled.
    pub fn place_airborne(&mut self, flight: usize, s_m: f64, u_mps: f64) {
        let plan = &self.plans[self.flights[flight].plan as usize];
        assert_eq!(
            self.states[flight].status,
            Status::Scheduled,
            "flight {flight} is not scheduled"
        );
        let s_m = s_m.clamp(0.0, plan.hold_point_m());
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
            pos: plan.path.position(seg, s_m),
            vel: [g.dir[0] * u, g.dir[1] * u, g.dir[2] * u],
            // Gates it is placed beyond have let it through.
            gates_cleared: plan.gates.iter().filter(|g| g.0 < s_m).count() as u8,
            ..Dynamics::default()
        };
        let st = &mut self.states[flight];
        st.status = Status::Airborne;
        st.takeoff_s = self.t_s;
        st.dynamics = d;
        self.airborne.push(Airborne {
            flight: flight as u32,
            prev_seg: seg as u32,
            d,
        });
    }
}
