//! Moving every airborne drone one step: the kinematic rule of [`advance_capped`] along its
//! path, up to where it must stop (the destination's fix without a FATO, short of it while
//! it changes level to the holding stack or waits in the line behind it, the top of its
//! final descent until it is level, its place in a gate's line, where its lost-link
//! contingency stops it or its place in line behind a drone so stopped), under any tactical speed
//! limit, with its altitude offset (tactical, or its stack level) moved toward its target
//! at the type's climb or descent rate; then its position, velocity, energy and holding
//! time. Metres, seconds, watt-hours.
//!
//! Runs in parallel: each task touches only its own drone and reads shared data, so the
//! result does not depend on the thread count.

use glam::DVec3;
use rayon::prelude::*;

use super::Fleet;
use super::comms::CommsLayer;
use super::detect::{TrackTable, minima_at, prefetch_minima};
use super::flight::Airborne;
use super::flight::Dynamics;
use super::gates::Gates;
use super::separation::Track;
use crate::ids::LaneId;
use crate::network::Network;
use crate::network::weather::horizontal_airspeed;
use crate::planner::{Plan, advance_limited, power_at_airspeed_w, power_w};
use crate::scenario::DroneType;

/// Moves every drone in `airborne` by `dt` seconds, the simulation's `step`-th step (which
/// keys the navigation error's draws), and writes each one's row of the separation
/// check's track table in the same pass (a second pass over every drone's record only
/// to copy its position would cost as much as the copy is worth: the step is
/// memory-bound).
pub(crate) fn advance_all(
    airborne: &mut [Airborne],
    (fleet, net): (&Fleet, &Network),
    (gates, comms): (&Gates, Option<&CommsLayer>),
    (dt, step): (f64, u64),
    (table, settled): (&mut TrackTable, &mut Vec<Moved>),
) {
    let local_minima = net.local_minima;
    let (tracks, ids, minima) = table.rows(airborne.len(), local_minima);
    settled.resize(airborne.len(), Moved::default());
    // In chunks, each a plain loop that asks for the segments of the drones a few places
    // ahead (and, closer, their lanes' minima) while it moves this one: each drone's
    // plan lies elsewhere in memory, and the move waited for it. Asking for a segment
    // reads the drone's own record (flight and segment) and its plan's header (where
    // the path lies), so those are asked for further ahead still, each a stage before
    // the read that needs it: the records lie in order, 200 bytes each, yet the move
    // waited on them (a quarter of its samples at 100,000 drones of the bench); and where
    // nearly every drone flies a plan of its own, as in `gba_100k`, on the headers (two
    // thirds of its samples in the hour's simulation). The record 16 ahead, the header
    // 12, the segment 8 (the record at 24 cost the bench at a million a twentieth).
    let chunks = airborne.par_chunks_mut(CHUNK).zip(
        tracks
            .par_chunks_mut(CHUNK)
            .zip(ids.par_chunks_mut(CHUNK))
            .zip(settled.par_chunks_mut(CHUNK)),
    );
    type Rows<'r> = (&'r mut [Track], &'r mut [u32]);
    let moved = |(drones, ((tracks, ids), settled)): (&mut [Airborne], (Rows, &mut [Moved])),
                 mut minima: Option<&mut [[f32; 2]]>| {
        for i in 0..drones.len() {
            if let Some(a) = drones.get(i + 2 * AHEAD) {
                super::prefetch(&a.flight);
                super::prefetch(&a.d.motion.seg);
            }
            if let Some(a) = drones.get(i + AHEAD + AHEAD / 2) {
                fleet.prefetch_plan(a.flight);
            }
            if let Some(a) = drones.get(i + AHEAD) {
                fleet.prefetch_seg(a.flight, a.d.motion.seg);
            }
            if local_minima && let Some(a) = drones.get(i + AHEAD / 2) {
                prefetch_minima(net, fleet.plan(a.flight), a.d.motion.seg);
            }
            let a = &mut drones[i];
            settled[i] = advance_one(a, (fleet, net), (gates, comms), (dt, step));
            tracks[i] = Track {
                pos: a.d.pos,
                vel: a.d.vel,
            };
            ids[i] = a.flight.0;
            if let Some(m) = minima.as_deref_mut() {
                m[i] = minima_at(net, fleet.plan(a.flight), a.d.motion.seg);
            }
        }
    };
    if local_minima {
        chunks
            .zip(minima.par_chunks_mut(CHUNK))
            .for_each(|(rows, m)| moved(rows, Some(m)));
    } else {
        chunks.for_each(|rows| moved(rows, None));
    }
}

/// Drones a task moves in one loop.
const CHUNK: usize = 1024;
/// How many drones ahead the move asks for a drone's segment (reading its plan then
/// brings that in too).
const AHEAD: usize = 8;

/// What settling and the events after the move need of a drone, found by the move
/// while the drone's plan is at hand: they read these rows in order instead of every
/// drone's plan again (at region scale a cache miss per drone, a tenth of the
/// simulation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Moved {
    /// The lane of the segment it is on, [`Moved::NO_LANE`] on a terminal leg (not an
    /// `Option`: 8 bytes a drone instead of 12, and a million drones are kept under a
    /// kilobyte each).
    lane: u32,
    /// How far it is at least from its fix, in [`Moved::FIX_UNIT_M`] (saturating): the
    /// terminal pass reads a drone's plan for where it asks for a FATO only when this
    /// does not put it out of reach (room the row had spare).
    fix_units: u16,
    /// Its speed along its path, metres a second rounded up ([`u8::MAX`]: not known).
    speed_ceil: u8,
    /// What happened to it, a bit each ([`Moved::LANDED`] ...).
    flags: u8,
}

// A row stays 8 bytes a drone (a million drones in the air are kept under a kilobyte).
const _: () = assert!(std::mem::size_of::<Moved>() == 8);

impl Default for Moved {
    fn default() -> Self {
        Moved {
            lane: Moved::NO_LANE,
            fix_units: 0,
            speed_ceil: u8::MAX,
            flags: 0,
        }
    }
}

impl Moved {
    const NO_LANE: u32 = u32::MAX;
    /// The unit of [`Moved::fix_units`], metres.
    const FIX_UNIT_M: f64 = 16.0;
    /// At the end of its path.
    const LANDED: u8 = 1;
    /// Its battery spent.
    const EMPTY: u8 = 2;
    /// It began a segment this step (past [`Airborne::prev_seg`]).
    const MOVED_ON: u8 = 4;
    /// It holds its origin's FATO and has climbed clear of it ([`Plan::climb_done_m`]).
    const CLIMBED: u8 = 8;
    /// Its path bends within the coming step ([`Plan::bend_within`]).
    const BENDS: u8 = 16;
    /// It has asked for a FATO ([`Dynamics::fato_asked`](super::flight::Dynamics)).
    const ASKED: u8 = 32;

    /// The row for drone `a` as it is now, with steps of `dt`.
    pub(crate) fn of(a: &Airborne, fleet: &Fleet, dt: f64) -> Moved {
        Moved::at(fleet.plan(a.flight), fleet.drone_type(a.flight), a, dt)
    }

    /// The row of drone `a` of type `ty` flying `plan`, with steps of `dt`.
    fn at(plan: &Plan, ty: &DroneType, a: &Airborne, dt: f64) -> Moved {
        let d = &a.d;
        let flag = |yes: bool, bit: u8| if yes { bit } else { 0 };
        Moved {
            lane: plan.path.segs[d.motion.seg as usize]
                .lane
                .map_or(Moved::NO_LANE, |l| l.0),
            // Rounded down, a unit short: never more than the distance (the cast
            // truncates, which is rounding down at or above zero, and saturates: 0 below).
            fix_units: ((plan.fix_m() - d.motion.s) / Moved::FIX_UNIT_M - 1.0) as u16,
            speed_ceil: {
                let c = d.motion.u.ceil();
                if (0.0..f64::from(u8::MAX)).contains(&c) {
                    c as u8
                } else {
                    u8::MAX
                }
            },
            flags: flag(d.motion.s >= plan.path.total_m(), Moved::LANDED)
                | flag(d.energy_wh >= ty.battery_wh, Moved::EMPTY)
                | flag(a.prev_seg != d.motion.seg, Moved::MOVED_ON)
                | flag(
                    d.holds_origin_fato && d.motion.s >= plan.climb_done_m(),
                    Moved::CLIMBED,
                )
                | flag(plan.bend_within(&d.motion, dt).is_some(), Moved::BENDS)
                | flag(d.fato_asked, Moved::ASKED),
        }
    }

    /// No more than how far it is from its fix along its path, metres.
    pub(crate) fn to_fix_at_least_m(self) -> f64 {
        f64::from(self.fix_units) * Moved::FIX_UNIT_M
    }

    /// No less than its speed along its path, metres a second, if known.
    pub(crate) fn speed_at_most_mps(self) -> Option<f64> {
        (self.speed_ceil != u8::MAX).then_some(f64::from(self.speed_ceil))
    }

    /// It had asked for a FATO by the end of its move.
    pub(crate) fn asked(self) -> bool {
        self.flags & Moved::ASKED != 0
    }

    /// The lane of the segment it is on (none on a terminal leg).
    pub(crate) fn lane(self) -> Option<LaneId> {
        (self.lane != Moved::NO_LANE).then_some(LaneId(self.lane))
    }

    /// At the end of its path.
    pub(crate) fn landed(self) -> bool {
        self.flags & Moved::LANDED != 0
    }

    /// Its battery spent.
    pub(crate) fn empty(self) -> bool {
        self.flags & Moved::EMPTY != 0
    }

    /// It began a segment this step.
    pub(crate) fn moved_on(self) -> bool {
        self.flags & Moved::MOVED_ON != 0
    }

    /// It holds its origin's FATO and has climbed clear of it.
    pub(crate) fn climbed(self) -> bool {
        self.flags & Moved::CLIMBED != 0
    }

    /// Its path bends within the coming step: the events read its plan for where.
    pub(crate) fn bends(self) -> bool {
        self.flags & Moved::BENDS != 0
    }

    /// Whether settling has anything to do for it but count its lane's occupancy.
    pub(crate) fn eventful(self) -> bool {
        self.flags & (Moved::LANDED | Moved::EMPTY | Moved::MOVED_ON | Moved::CLIMBED) != 0
    }
}

fn advance_one(
    a: &mut Airborne,
    (fleet, net): (&Fleet, &Network),
    (gates, comms): (&Gates, Option<&CommsLayer>),
    (dt, step): (f64, u64),
) -> Moved {
    let plan = fleet.plan(a.flight);
    let ty = fleet.drone_type(a.flight);
    let d = &mut a.d;
    // Its gust this step.
    let gusts = &net.weather.gusts;
    if !gusts.is_none() {
        let z = fleet.disturbances().gust_normals(a.flight, step);
        d.gust_mps = gusts.step(d.gust_mps, dt, z);
    }
    let gust = d.gust_mps.map(f64::from);
    // An offset drone levels off before its final descent.
    let level = d.offset_m == 0.0;
    let mut stop = if d.fato_granted {
        if d.motion.s < plan.fix_m() - 1e-6 && d.offset_m != d.offset_target_m {
            // Granted while changing level at the climb point: finish there first.
            plan.fix_m() - plan.hold_short_m(0)
        } else if level {
            plan.path.total_m()
        } else {
            plan.descent_m()
        }
    } else {
        let settled = d.offset_m == d.offset_target_m;
        let short = if d.line_place > 0 || (d.stack_level > 0 && !settled) {
            plan.hold_short_m(d.line_place)
        } else {
            0.0
        };
        plan.fix_m() - short
    };
    // In its destination's trail: a distance behind the drone ahead, before the fix.
    if d.follow_m > 0.0 && d.motion.s < plan.fix_m() {
        let behind = plan.fix_m() - f64::from(d.follow_m);
        // Within its braking reach of that point it is being spaced: it waited for the
        // terminal area (even if it never stops).
        if behind - d.motion.s <= d.asking_reach_m(ty.accel_mps2, dt) {
            d.fato_waited = true;
        }
        stop = stop.min(behind);
    }
    // Its place in the gate's line, or as soon as it can brake if the line already
    // reaches past it.
    let brake = d.motion.s + d.motion.u * d.motion.u / (2.0 * ty.accel_mps2);
    let gate = plan
        .gates
        .get(d.gates_cleared as usize)
        .map(|g| gates.stop_before(g.0, d.gate_slot, brake));
    if let Some(s_gate) = gate {
        stop = stop.min(s_gate);
    }
    // Without a link: where its contingency stops it; behind a drone so stopped on its
    // lane: its place in line.
    if let Some(s_lost) = d.lost_link_stop_m {
        stop = stop.min(s_lost);
    }
    let held = comms.and_then(|c| c.held_at(a.flight));
    if let Some(s_held) = held {
        stop = stop.min(s_held);
    }
    a.prev_seg = d.motion.seg;
    let s0 = d.motion.s;
    let dir0 = plan.path.segs[d.motion.seg as usize].dir;
    // The speed it can fly on each segment: its plan's, unless the wind is not the
    // forecast, it meets a gust, or its airspeed is off its plan's.
    let flown = fleet.flown_speeds(net, a.flight, gust);
    let mut cap = d.cap_mps.map_or(f64::INFINITY, f64::from);
    if !d.speed_up {
        cap = cap.min(flown(d.motion.seg as usize));
    }
    advance_limited(
        &plan.path,
        &mut d.motion,
        (ty.accel_mps2, dt),
        stop,
        cap,
        flown,
    );
    let seg = &plan.path.segs[d.motion.seg as usize];
    // A stack level is climbed to only at the climb point, `clear_m` before the fix (the
    // reach boxes of `detect` count on it).
    let to_stack = d.stack_level > 0 && !d.fato_granted;
    let climb_point = plan.fix_m() - plan.hold_short_m(0);
    if d.offset_target_m != 0.0 && !d.fato_asked && d.stack_level == 0 && d.line_place == 0 {
        level_by_lane_end(d, (plan, net), ty, dt);
    }
    let change = if to_stack && d.motion.s < climb_point - 1e-6 {
        0.0
    } else {
        (f64::from(d.offset_target_m) - f64::from(d.offset_m))
            .clamp(-ty.descent_rate_mps * dt, ty.climb_rate_mps * dt)
    };
    d.offset_m = (f64::from(d.offset_m) + change) as f32;
    d.offset_rate_mps = (change / dt) as f32;
    d.offset_flown_m += change.abs() as f32;
    let moved_on = a.prev_seg != d.motion.seg;
    let side = side_step(d, plan, ty, moved_on, dt);
    d.pos = DVec3::from(plan.path.position(d.motion.seg as usize, d.motion.s));
    d.pos.z += f64::from(d.offset_m);
    // (z added alone: adding a zero vector would turn -0.0 components into +0.0)
    d.vel = DVec3::from(seg.dir) * d.motion.u;
    d.vel.z += change / dt;
    // A sideways offset moves the position; its rate stays out of the velocity the
    // separation check extrapolates (a 5 m/s sidestep extrapolated over the look-ahead
    // would put the drone 150 m out of a corridor it cannot leave; it stops at its
    // target within seconds). Its energy is counted below.
    if d.lateral_m != 0.0 {
        d.pos += left_of(&seg.dir) * f64::from(d.lateral_m);
    }
    // Where it truly is: off by its navigation error (out of the velocity too).
    if !ty.navigation.is_none() {
        let z = fleet.disturbances().nav_normals(a.flight, step);
        d.nav_m = ty.navigation.step(d.nav_m, dt, z);
        d.pos += DVec3::new(
            f64::from(d.nav_m[0]),
            f64::from(d.nav_m[1]),
            f64::from(d.nav_m[2]),
        );
    }
    let w = fleet.actual_wind(net, a.flight, a.prev_seg as usize);
    let wind = [w[0] + gust[0], w[1] + gust[1]];
    let power = if change / dt > 0.05 {
        ty.climb_power()
    } else if wind == [0.0; 2] {
        // (`hypot(u, 0)` is `u` exactly: the call is left out when there is no sidestep.)
        let u = if side == 0.0 {
            d.motion.u.abs()
        } else {
            d.motion.u.hypot(side / dt)
        };
        power_w(ty, &dir0, u)
    } else {
        // Through the air: the path speed and the sideways step against the wind.
        let l = left_of(&dir0) * (side / dt);
        let air = horizontal_airspeed(d.motion.u, &dir0, [l.x, l.y], wind).unwrap_or(0.0);
        if dir0[2] > 1e-3 && d.motion.u > 0.0 {
            ty.climb_power()
        } else {
            power_at_airspeed_w(ty, air)
        }
    };
    d.energy_wh += power * dt / 3600.0;
    d.at_gate = gates.is_queued(a.flight)
        && gate.is_some_and(|g| d.motion.s >= g - 1e-6)
        && d.motion.u == 0.0;
    let other_wait = d.at_gate || d.lost_link() || held.is_some();
    if d.motion.u == 0.0 && d.motion.s == s0 && !d.fato_granted && !other_wait {
        d.holding_s += dt;
    }
    if d.cap_mps.is_some() && d.motion.u < 0.5 {
        d.slow_s += dt as f32;
    } else {
        d.slow_s = 0.0;
    }
    if d.cap_mps.is_some() || d.offset_m != 0.0 || d.lateral_m != 0.0 {
        d.manoeuvring_s += dt as f32;
    }
    Moved::at(plan, ty, a, dt)
}

/// Moves a drone's sideways offset toward its target at its type's climb rate (see
/// [`side_rate_mps`]) and returns the change, metres. Only on a level lane segment, and
/// back on the centre line before the segment ends: the path turns there, and an offset
/// kept through the turn would jump sideways. A target set on one segment lapses on the
/// next (`moved_on`: whether it entered a new segment this step).
fn side_step(d: &mut Dynamics, plan: &Plan, ty: &DroneType, moved_on: bool, dt: f64) -> f64 {
    if d.lateral_m == 0.0 && d.lateral_target_m == 0.0 {
        return 0.0;
    }
    let k = d.motion.seg as usize;
    let seg = &plan.path.segs[k];
    let rate = side_rate_mps(ty);
    let lat = f64::from(d.lateral_m);
    // Distance it covers while it returns, at the fastest it may ever fly there (a
    // tactical speed-up may come while it returns), with a step spare.
    let fast = d.motion.u.max(seg.u_max).max(ty.max_speed());
    let returning = fast * (lat.abs() / rate + 2.0 * dt);
    let level = seg.lane.is_some() && seg.dir[2] == 0.0;
    let target = if level && !moved_on && plan.path.cum[k + 1] - d.motion.s > returning {
        f64::from(d.lateral_target_m)
    } else {
        0.0
    };
    if target == 0.0 {
        d.lateral_target_m = 0.0;
    }
    let change = (target - lat).clamp(-rate * dt, rate * dt);
    d.lateral_m = (lat + change) as f32;
    change
}

/// A tactical altitude offset stays inside the slice of the band of every lane it is
/// flown on: the drone is back on its plan's level before its lane ends unless the offset
/// fits the next lane's slice too (each lane has its own level and slice; a connector's
/// slice is its level), and has none off a lane.
fn level_by_lane_end(d: &mut Dynamics, (plan, net): (&Plan, &Network), ty: &DroneType, dt: f64) {
    let k = d.motion.seg as usize;
    let seg = &plan.path.segs[k];
    if seg.lane.is_none() {
        d.offset_target_m = 0.0;
        return;
    }
    let run = plan.path.lane_run(k);
    let fits_next = next_slice(plan, net, run.end).is_some_and(|(level, band)| {
        [d.offset_m, d.offset_target_m]
            .iter()
            .all(|&o| fits_slice(level + f64::from(o), band))
    });
    let left = plan.path.cum[run.end] - d.motion.s;
    if !fits_next && left <= level_off_m(d.motion.u.max(seg.u_max), f64::from(d.offset_m), ty, dt) {
        d.offset_target_m = 0.0;
    }
}

/// The level and slice of the band of the lane a path's segment `k` is on, if any.
pub fn next_slice(plan: &Plan, net: &Network, k: usize) -> Option<(f64, (f64, f64))> {
    let lane = plan.path.segs.get(k)?.lane?;
    let l = &net.lanes[lane];
    Some((l.alt_m, l.band_m))
}

/// Whether altitude `alt` is inside slice `band`, a metre inside each edge.
pub fn fits_slice(alt: f64, band: (f64, f64)) -> bool {
    alt >= band.0 + 1.0 && alt <= band.1 - 1.0
}

/// How far along its path a drone of type `ty` flying at up to `u` m/s (or its top
/// speed) travels while it comes back from altitude offset `offset_m`, with two steps
/// spare, metres.
pub fn level_off_m(u: f64, offset_m: f64, ty: &DroneType, dt: f64) -> f64 {
    let rate = ty.climb_rate_mps.min(ty.descent_rate_mps);
    u.max(ty.max_speed()) * (offset_m.abs() / rate + 2.0 * dt)
}

/// How fast a drone moves sideways in a tactical manoeuvre: its climb rate (a stated
/// assumption: a multirotor's lateral authority is of the order of its vertical one),
/// m/s.
pub fn side_rate_mps(ty: &DroneType) -> f64 {
    ty.climb_rate_mps
}

/// The horizontal unit vector to the left of direction `dir` (zero for a vertical one).
pub fn left_of(dir: &[f64; 3]) -> DVec3 {
    let h = dir[0].hypot(dir[1]);
    if h < 1e-9 {
        DVec3::ZERO
    } else {
        DVec3::new(-dir[1] / h, dir[0] / h, 0.0)
    }
}
