//! What a flight is while it lives: its life-cycle [`Status`], what an airborne drone is
//! doing ([`Phase`]), and its [`Dynamics`] (position, velocity, energy, and the little
//! state the mechanics keep on it). Positions are local `[east_m, north_m, alt_m]`,
//! velocities m/s, energy watt-hours.
//!
//! The simulation steps a dense list of [`Airborne`] drones: the per-drone record is what
//! the 100k-drone step streams through memory, so it stays small (tactical state in
//! single precision).

use glam::DVec3;
use serde::Serialize;

use crate::ids::FlightId;
use crate::planner::Motion;

/// Where a flight is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Departure time not reached.
    Scheduled,
    /// Due, waiting on a stand for a FATO and a slot on the departure connector.
    WaitingForPad,
    /// In the air.
    Airborne,
    /// Landed at its destination.
    Completed,
    /// Landed at another vertiport than its destination (its lost-link contingency
    /// diverted it there).
    Diverted,
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
    /// Stopped, waiting for a FATO at the destination (in the stack or the line behind
    /// it) or for a border gate to clear it.
    Holding,
    /// Without its command link, following its contingency
    /// ([`crate::scenario::Contingency`]).
    LostLink,
}

impl Phase {
    /// Its name in reports and trajectory files (`climbing`, `cruising`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Climbing => "climbing",
            Phase::Cruising => "cruising",
            Phase::Descending => "descending",
            Phase::Holding => "holding",
            Phase::LostLink => "lost_link",
        }
    }
}

/// What changes about a flight while it flies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dynamics {
    /// Where it is on its path.
    pub motion: Motion,
    /// Position `[east_m, north_m, alt_m]` after the last step.
    pub pos: DVec3,
    /// Velocity after the last step, m/s: along its path at its speed, and its rate of
    /// climb to an altitude offset; a sideways move to an offset is not in it (see
    /// `motion`).
    pub vel: DVec3,
    /// Energy used, watt-hours.
    pub energy_wh: f64,
    /// Seconds spent holding for a FATO.
    pub holding_s: f64,
    /// Whether it has asked its destination for a FATO.
    pub fato_asked: bool,
    /// Whether a destination FATO is granted.
    pub fato_granted: bool,
    /// Whether the terminal area made it wait (a stack level, a place in line, or its
    /// distance behind the drone ahead within its braking reach), even if it never came
    /// to a stop.
    pub fato_waited: bool,
    /// Whether the origin FATO is still held (during the climb).
    pub holds_origin_fato: bool,
    /// Its level in the destination's holding stack (0: none).
    pub stack_level: u8,
    /// Its place in the line behind a full stack (0: none).
    pub line_place: u16,
    /// How far before the fix it must stay to keep its distance behind the drone ahead of
    /// it in its destination's trail (0: none), metres.
    pub follow_m: f32,
    /// Border gates on its route that have cleared it.
    pub gates_cleared: u8,
    /// Whether it is stopped in the queue of a border gate.
    pub at_gate: bool,
    /// Its place in the queue of its next gate (0: first); it stops that many queue
    /// spacings short of the gate.
    pub gate_slot: u16,
    /// Without its command link: where along its path its contingency stops it, metres
    /// (infinite: it flies on to land); `None` while in contact (see
    /// [`crate::scenario::Comms::lost_link_after_s`]).
    pub lost_link_stop_m: Option<f64>,
    // Tactical state in single precision (centimetres and milliseconds are plenty): the
    // 100k-drone step is memory-bound, and a smaller record per drone is faster.
    /// Tactical speed in force, m/s: a limit, or with `speed_up` the speed to fly even
    /// above the plan's on a lane.
    pub cap_mps: Option<f32>,
    /// Whether `cap_mps` may take it faster than its plan (MVP).
    pub speed_up: bool,
    /// Tactical altitude offset from the plan, metres (positive up).
    pub offset_m: f32,
    /// Offset the drone is moving to, metres (0: back on plan).
    pub offset_target_m: f32,
    /// Rate of change of the offset in the last step, m/s.
    pub offset_rate_mps: f32,
    /// Tactical sideways offset from the lane's centre line, metres (positive to the
    /// left of the direction of travel).
    pub lateral_m: f32,
    /// Sideways offset the drone is moving to, metres (0: back on the centre line).
    pub lateral_target_m: f32,
    /// Vertical distance flown off plan, metres.
    pub offset_flown_m: f32,
    /// Seconds under 0.5 m/s while slowed by a speed resolution.
    pub slow_s: f32,
    /// Seconds spent manoeuvring (speed limit or offset in force).
    pub manoeuvring_s: f32,
    /// The flight this drone is giving way to, until they have passed.
    pub giving_way_to: Option<FlightId>,
    /// Navigation error `[east, north, up]` in force, metres: the true position is the
    /// path position (with any tactical offsets) plus this (see
    /// [`crate::scenario::NavError`]).
    pub nav_m: [f32; 3],
    /// Its gust `[east, north]` in force, m/s, on top of the actual wind (see
    /// [`crate::scenario::Gusts`]).
    pub gust_mps: [f32; 2],
}

impl Dynamics {
    /// What the drone is doing: holding (stopped for a pad or in a gate's queue), else
    /// climbing, descending or cruising by its vertical speed.
    pub fn phase(&self) -> Phase {
        if self.lost_link_stop_m.is_some() {
            Phase::LostLink
        } else if self.at_gate
            || (self.motion.u == 0.0 && !self.fato_granted && self.holding_s > 0.0)
        {
            Phase::Holding
        } else if self.vel.z > 1e-6 {
            Phase::Climbing
        } else if self.vel.z < -1e-6 {
            Phase::Descending
        } else {
            Phase::Cruising
        }
    }

    /// How far ahead along its path it asks for what it will need to stop for (see
    /// [`crate::planner::asking_reach_m`]), metres.
    pub fn asking_reach_m(&self, accel_mps2: f64, dt: f64) -> f64 {
        crate::planner::asking_reach_m(self.motion.u, accel_mps2, dt)
    }

    /// Whether the terminal area manages it (in the holding stack or the line behind it):
    /// tactical resolution leaves it alone.
    pub fn in_terminal_hold(&self) -> bool {
        self.stack_level > 0 || self.line_place > 0
    }

    /// Whether it has lost its command link: tactical resolution cannot command it.
    pub fn lost_link(&self) -> bool {
        self.lost_link_stop_m.is_some()
    }

    /// Whether its contingency takes it off its plan (it stops short of its destination).
    pub fn off_plan_by_contingency(&self) -> bool {
        self.lost_link_stop_m.is_some_and(f64::is_finite)
    }

    /// Whether tactical resolution has it off its plan (a speed in force, off its level
    /// or off the centre line, or moving to be).
    pub fn manoeuvring(&self) -> bool {
        self.cap_mps.is_some()
            || self.offset_target_m != 0.0
            || self.lateral_m != 0.0
            || self.lateral_target_m != 0.0
    }

    /// Speed over the ground and through the air (3D), m/s.
    pub fn speed(&self) -> f64 {
        self.vel.length()
    }
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
    /// Its motion, energy and pads when it ended (landed, or its battery ran out);
    /// `None` before and while in the air, also for a drone still in the air when the
    /// run ends (its live record is in the simulation: `Simulation::current_dynamics`).
    /// Boxed, so that a flight not yet ended costs 8 bytes here rather than a whole
    /// record (see [`FlightState::final_dynamics`]).
    pub dynamics: Option<Box<Dynamics>>,
}

impl FlightState {
    /// A flight not yet flown (or cancelled, with `cancelled`).
    pub fn new(cancelled: bool) -> Self {
        FlightState {
            status: if cancelled {
                Status::Cancelled
            } else {
                Status::Scheduled
            },
            takeoff_s: f64::NAN,
            end_s: f64::NAN,
            dynamics: None,
        }
    }

    /// Its dynamics when it ended; the default (nothing flown, no energy used) before
    /// and while in the air.
    pub fn final_dynamics(&self) -> Dynamics {
        self.dynamics.as_deref().copied().unwrap_or_default()
    }
}

/// An airborne drone in the dense list stepped in parallel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Airborne {
    /// Which flight.
    pub flight: FlightId,
    /// Segment at the start of the step (for lane entry counting).
    pub prev_seg: u32,
    /// Its dynamics.
    pub d: Dynamics,
}
