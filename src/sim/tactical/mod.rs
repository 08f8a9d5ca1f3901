//! Tactical resolution: after each step's detection, drones in conflict get an [`Order`]
//! (a speed, an altitude offset, a sideways offset) for the next step; they return to
//! their plan once the conflict is past.
//!
//! The shape follows BlueSky's `traffic/asas`: the shared parts live here once (who gives
//! way, when a drone may resume its plan, turning orders into manoeuvres); each method is
//! one [`Resolution`] in its own file ([`speed`], [`vertical`], [`mvp`]).
//!
//! - Right of way (`Speed`, `Vertical`): the lower priority class gives way; at equal
//!   priority the follower of two drones going the same way, else the later-filed
//!   flight. A cooperative method (`Mvp`) has both drones act at equal priority, and
//!   only the lower class otherwise; it sums each drone's conflicts, then
//!   [`Resolution::finish`] fits the sum into the drone's [`Room`]. Pairs where the
//!   drone is on a connector, a terminal leg or in the terminal area's hold are left to
//!   the terminal area.
//! - Secondary conflicts (cooperative): an order that would put the drone in conflict
//!   with a third drone is replaced by the next option (speed, sideways, vertical alone).
//! - Resumption: a drone keeps its order while the drone it last resolved is closing or
//!   within two horizontal minima; a cooperative method also waits until its way back
//!   is clear of every neighbour (the broad phase's candidate pairs).
//! - A drone held slow for `max_hover_s` goes on (never hover forever).
//!
//! Metres, seconds, m/s. Owns: the manoeuvre counters and its scratch space.

pub mod mvp;
pub mod speed;
pub mod vertical;

use glam::{DVec2, DVec3};
use rayon::prelude::*;
use serde::Serialize;

use super::Fleet;
use super::detect::TrackTable;
use super::flight::{Airborne, Dynamics};
use super::separation::{Encounter, Params, Track, check_pair, pair_params};
use crate::ids::FlightId;
use crate::network::{Lane, Network};
use crate::scenario::{DroneType, Scenario, Tactical};

/// What tactical resolution did, summed over the run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TacticalStats {
    /// Manoeuvres begun by slowing down.
    pub speed_manoeuvres: u64,
    /// Manoeuvres begun by changing altitude.
    pub vertical_manoeuvres: u64,
    /// Manoeuvres begun by moving sideways off the lane's centre line.
    pub lateral_manoeuvres: u64,
    /// In-flight re-plans of drones far behind their plan (strategic deconfliction on).
    pub replans: u64,
    /// Re-booked lane entries that came closer than the headway to another booking: how
    /// far deviations erode the strategic plan.
    pub headway_breaches: u64,
}

/// A resolution for one drone for the next step: a speed, an altitude offset, a sideways
/// offset, or some of them, and whom it gives way to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Order {
    /// Speed to fly, m/s: a limit below the plan's speed (the smallest any of its
    /// conflicts asks for), or, from MVP only, a speed above it on a lane.
    pub cap_mps: Option<f64>,
    /// Altitude offset from the plan, metres (the first conflict's wins).
    pub offset_m: Option<f64>,
    /// Sideways offset from the lane's centre line, metres (MVP only).
    pub lateral_m: Option<f64>,
    /// Whether `cap_mps` may be above the plan's speed.
    pub speed_up: bool,
    /// The drone it gives way to.
    pub to: Option<FlightId>,
    /// What a cooperative method summed over the drone's conflicts so far.
    pub sum: Sum,
}

/// The displacements a cooperative method (MVP) sums over all of one drone's conflicts,
/// and the room it has to take them in.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sum {
    /// Conflicts summed.
    pub n: u32,
    /// Speed change along its track, m/s.
    pub along_mps: f64,
    /// Sideways displacement (positive to its left), metres.
    pub side_m: f64,
    /// Vertical displacement, metres.
    pub up_m: f64,
    /// Earliest closest approach among them, seconds from now.
    pub t_min_s: f64,
    /// Whether in one of them the other drone does not act (it takes it all).
    pub alone: bool,
}

impl Order {
    /// Limits speed to `c` (keeping a lower limit already ordered).
    pub fn limit(&mut self, c: f64) {
        self.cap_mps = Some(self.cap_mps.map_or(c, |x| x.min(c)));
    }
    /// Orders offset `o` unless an offset is ordered already.
    pub fn offset(&mut self, o: f64) {
        if self.offset_m.is_none() {
            self.offset_m = Some(o);
        }
    }
    /// Whether it orders anything.
    pub fn any(&self) -> bool {
        self.cap_mps.is_some() || self.offset_m.is_some() || self.lateral_m.is_some()
    }
    /// The order a drone in state `d` is flying now (what it keeps while it waits to
    /// resume).
    fn in_force(d: &Dynamics) -> Order {
        Order {
            cap_mps: d.cap_mps.map(f64::from),
            offset_m: (d.offset_target_m != 0.0).then_some(f64::from(d.offset_target_m)),
            lateral_m: (d.lateral_target_m != 0.0).then_some(f64::from(d.lateral_target_m)),
            speed_up: d.speed_up,
            to: d.giving_way_to,
            sum: Sum::default(),
        }
    }
}

/// One conflict as the give-way drone sees it.
pub struct Conflict<'a> {
    /// The drone that gives way.
    pub me: &'a Dynamics,
    /// The drone it gives way to.
    pub other: &'a Dynamics,
    /// The give-way drone's type.
    pub ty: &'a DroneType,
    /// Its lane's slice of its corridor's band as its jurisdiction cuts it, metres.
    pub band: (f64, f64),
    /// Its lane's level, metres.
    pub level_m: f64,
    /// Whether the two go the same way.
    pub same_way: bool,
    /// Whether the other is ahead of it along its track.
    pub behind: bool,
    /// Its horizontal direction of travel (unit, or zero when hovering).
    pub dir: DVec2,
    /// Horizontal and vertical minima (the largest anywhere), metres.
    pub minima: (f64, f64),
    /// The pair's own minima (the larger of the two drones'), metres.
    pub pair_minima: (f64, f64),
    /// Look-ahead (at least one step), seconds.
    pub horizon_s: f64,
    /// The step, seconds.
    pub dt_s: f64,
    /// Whether the other drone takes its share too (cooperative methods).
    pub both_act: bool,
    /// The two drones' velocities along their paths at their speeds now, without the
    /// rates at which they are moving to a sideways or altitude offset: what they fly
    /// once their offsets are reached, m/s.
    pub path_vel: (DVec3, DVec3),
}

impl Conflict<'_> {
    /// Speed to slow to: behind a leader going the same way, follow it at the horizontal
    /// minimum plus 10 m (faster when further back, slower when closer); otherwise half
    /// speed to let the other pass. Never below the type's minimum.
    pub fn slow(&self, behind: bool) -> f64 {
        let along = self.other.vel.truncate().dot(self.dir);
        let gap = hypot(self.other.pos.truncate() - self.me.pos.truncate());
        let c = if behind && self.same_way {
            along + 0.2 * (gap - (self.minima.0 + 10.0))
        } else {
            0.5 * self.me.motion.u
        };
        c.max(self.ty.min_speed())
    }

    /// The level the give-way drone's plan flies on its lane (where it is headed if it
    /// is still changing level at the lane's start), metres.
    fn base_alt(&self) -> f64 {
        self.level_m
    }

    /// Whether offset `o` keeps it inside its band (a metre inside each edge).
    pub fn fits(&self, o: f64) -> bool {
        let alt = self.base_alt() + o;
        alt >= self.band.0 + 1.0 && alt <= self.band.1 - 1.0
    }

    /// An offset that puts it the vertical minimum (plus 2 m) above or below the other,
    /// preferring up or down, within the band.
    pub fn clear(&self, prefer_up: bool) -> Option<f64> {
        let base = self.base_alt();
        let up = self.other.pos.z + self.minima.1 + 2.0 - base;
        let down = self.other.pos.z - self.minima.1 - 2.0 - base;
        let order = if prefer_up { [up, down] } else { [down, up] };
        order.into_iter().find(|&o| self.fits(o))
    }
}

/// Horizontal length with `hypot` (robust, and what the rules were calibrated with).
pub(crate) fn hypot(v: DVec2) -> f64 {
    v.x.hypot(v.y)
}

/// Unit horizontal direction of a velocity, or zero when it has none.
fn horizontal_unit(v: DVec3) -> DVec2 {
    let n = v.x.hypot(v.y);
    if n < 1e-9 {
        DVec2::ZERO
    } else {
        DVec2::new(v.x / n, v.y / n)
    }
}

/// One tactical method: what the give-way drone of a conflict is ordered to do.
pub trait Resolution: Sync {
    /// Adds this conflict's demands to the give-way drone's order.
    fn resolve(&self, c: &Conflict, order: &mut Order);
    /// Whether both drones of a pair act (each as `me` of its own [`Conflict`], weighted
    /// by right of way), rather than the give-way drone alone.
    fn cooperative(&self) -> bool {
        false
    }
    /// After all of a drone's conflicts: turns what they summed into its order, within
    /// the room it has (`room`).
    fn finish(&self, _room: &Room, _order: &mut Order) {}
    /// Factor on the minima a cooperative method resolves to (and a pair stays in a
    /// drone's resolution set within).
    fn margin(&self) -> f64 {
        1.0
    }
}

/// The room one drone has to manoeuvre in, on its lane.
#[derive(Debug, Clone, Copy)]
pub struct Room {
    /// Its speed now, m/s.
    pub u_mps: f64,
    /// Whether a tactical speed is in force.
    pub capped: bool,
    /// Slowest and fastest it may fly (its type's minimum; the smaller of its type's top
    /// speed and the lane's limit), m/s.
    pub speed_mps: (f64, f64),
    /// Its sideways offset now, and the most it may take either way, metres.
    pub side_m: (f64, f64),
    /// Its altitude offset now, metres.
    pub offset_m: f64,
    /// Its lane's level and its slice of the band as cut by the jurisdiction, metres.
    pub level_m: f64,
    /// That slice, metres.
    pub band: (f64, f64),
    /// The largest altitude offset it can still come back from before its lane ends,
    /// metres.
    pub up_max_m: f64,
    /// The level and slice of the band of the lane after this one, if the path goes on
    /// to one (an offset that fits it too need not come back before the lane ends).
    pub next: Option<(f64, (f64, f64))>,
}

impl Room {
    /// Whether altitude offset `o` keeps it inside its band (a metre inside each edge)
    /// and is one it can come back from before its lane ends.
    pub fn fits(&self, o: f64) -> bool {
        super::motion::fits_slice(self.level_m + o, self.band)
            && (o.abs() <= self.up_max_m
                || self
                    .next
                    .is_some_and(|(level, band)| super::motion::fits_slice(level + o, band)))
    }
}

/// The method of a scenario setting (`None` for detection only).
pub fn method(t: Tactical) -> Option<&'static dyn Resolution> {
    match t {
        Tactical::None => None,
        Tactical::Speed => Some(&speed::Speed),
        Tactical::Vertical => Some(&vertical::Vertical),
        Tactical::Mvp => Some(&mvp::Mvp),
    }
}

/// The tactical layer: counters and scratch space.
#[derive(Debug, Default, Clone)]
pub struct TacticalLayer {
    stats: TacticalStats,
    orders: Vec<Order>,
    /// Index in the airborne list of each flight in the air (scratch).
    slot_of: Vec<Option<u32>>,
    /// Whether each airborne drone needs its neighbours this step (scratch).
    wanted: Vec<bool>,
    /// Neighbours (airborne indices) of the drones that need them: those of drone `k`
    /// are `near[near_start[k]..near_start[k + 1]]` (scratch).
    near: Vec<u32>,
    /// Where each drone's neighbours begin in `near` (scratch).
    near_start: Vec<u32>,
}

/// What resolving one step reads besides the drones.
pub(crate) struct StepInput<'a> {
    /// This step's encounters (track indices = airborne indices).
    pub encounters: &'a [Encounter],
    /// This step's tracks and their minima.
    pub table: &'a TrackTable,
    /// The broad phase's candidate pairs (flight indices): every pair that could come
    /// within the minima before its next rebuild, manoeuvres and returns included.
    pub candidates: &'a [(u32, u32)],
    /// The separation parameters.
    pub params: &'a Params,
}

impl TacticalLayer {
    /// Manoeuvres begun so far (the re-plan counters are the bookings').
    pub fn stats(&self) -> &TacticalStats {
        &self.stats
    }

    /// Resolves this step's encounters.
    pub(crate) fn resolve(
        &mut self,
        airborne: &mut [Airborne],
        input: StepInput,
        fleet: &Fleet,
        scenario: &Scenario,
        net: &Network,
    ) {
        let Some(method) = method(scenario.deconfliction.tactical) else {
            return;
        };
        let p = input.params;
        self.orders.clear();
        self.orders.resize(airborne.len(), Order::default());
        let minima = input.table.rules().minima;
        if method.cooperative() {
            self.resolve_together(airborne, &input, fleet, net, method);
            return self.apply(airborne, scenario.deconfliction.max_hover_s);
        }
        for e in input.encounters {
            let way = give_way(airborne, e, fleet);
            let (g, s) = (way.me, way.other);
            let other = &airborne[s].d;
            let Some(lane) = eligible(&airborne[g], fleet, net) else {
                continue;
            };
            // The pads sequence drones on terminal legs: leave the pair to them.
            let plan_s = fleet.plan(airborne[s].flight);
            if plan_s.path.segs[other.motion.seg as usize].lane.is_none() {
                continue;
            }
            let pair = pair_params(p, minima, g, s);
            let c = conflict(
                (airborne, g, s),
                way.dir,
                (&net.lanes[lane], fleet, input.params),
                (pair.horizontal_m, pair.vertical_m),
                false,
            );
            let order = &mut self.orders[g];
            order.to = order.to.or(Some(airborne[s].flight));
            method.resolve(&c, order);
        }
        self.hold_until_passed(airborne, fleet.flights().len(), p.horizontal_m);
        self.apply(airborne, scenario.deconfliction.max_hover_s);
    }

    /// A cooperative method: every drone in conflict or off its plan sums its
    /// displacements over its *resolution set*, the neighbours it would meet within the
    /// look-ahead inside the minima grown by the method's margin (a pair resolved just
    /// past the minima stays in the set, with no displacement left to take, so the drone
    /// holds where it is instead of dithering between two intruders that come and go);
    /// then each sum is fitted to the drone's room, checked for secondary conflicts, and
    /// drones with nothing to resolve wait to resume.
    fn resolve_together(
        &mut self,
        airborne: &[Airborne],
        input: &StepInput,
        fleet: &Fleet,
        net: &Network,
        method: &dyn Resolution,
    ) {
        let p = input.params;
        let minima = input.table.rules().minima;
        let tracks = input.table.tracks();
        self.wanted.clear();
        self.wanted
            .extend(airborne.iter().map(|a| a.d.manoeuvring()));
        for e in input.encounters {
            self.wanted[e.a as usize] = true;
            self.wanted[e.b as usize] = true;
        }
        self.neighbours(airborne, input.candidates, fleet.flights().len());
        let prio = |k: usize| fleet.flight(airborne[k].flight).priority;
        // Each drone as it flies once at its offsets: where it is, at its speed along its
        // path (the sideways and vertical rates that take it to its offsets left out:
        // extrapolated, they would make intruders come and go as a manoeuvre proceeds).
        let settled = |k: usize| {
            let a = &airborne[k];
            let seg = &fleet.plan(a.flight).path.segs[a.d.motion.seg as usize];
            Track {
                pos: tracks[k].pos,
                vel: DVec3::from(seg.dir) * a.d.motion.u,
            }
        };
        let (near, start, wanted) = (&self.near, &self.near_start, &self.wanted);
        self.orders
            .par_iter_mut()
            .enumerate()
            .with_min_len(256)
            .for_each(|(k, order)| {
                if !wanted[k] {
                    return;
                }
                let a = &airborne[k];
                let Some(lane) = eligible(a, fleet, net) else {
                    return;
                };
                let dir = horizontal_unit(a.d.vel);
                for j in neighbours_of(near, start, k) {
                    // Only the lower priority class acts (or the only one that can: a
                    // drone without its link takes no orders).
                    if prio(k) > prio(j) && !airborne[j].d.lost_link() {
                        continue;
                    }
                    let pair = pair_params(p, minima, k, j);
                    let mut grown = pair;
                    grown.horizontal_m *= method.margin();
                    grown.vertical_m *= method.margin();
                    if check_pair(&grown, &settled(k), &settled(j)).is_none() {
                        continue;
                    }
                    let both = prio(k) == prio(j)
                        && wanted[j]
                        && eligible(&airborne[j], fleet, net).is_some();
                    let c = conflict(
                        (airborne, k, j),
                        dir,
                        (&net.lanes[lane], fleet, p),
                        (pair.horizontal_m, pair.vertical_m),
                        both,
                    );
                    order.to = order.to.or(Some(airborne[j].flight));
                    method.resolve(&c, order);
                }
                if order.sum.n > 0 {
                    let ty = fleet.drone_type(a.flight);
                    let room = room(a, ty, fleet.plan(a.flight), (net, &net.lanes[lane]), p.dt_s);
                    method.finish(&room, order);
                }
            });
        self.avoid_new_conflicts(airborne, input, fleet);
        self.hold_until_passed(airborne, fleet.flights().len(), p.horizontal_m);
        self.resume_when_clear(airborne, input, fleet, method.margin());
        // Off a corridor's lane (on a connector, a terminal leg, in the hold) a drone
        // goes back to its plan whatever is near: the terminal area sequences it there,
        // and an offset kept would stop it short of its final descent for good (the
        // failure BlueSky's users met as aircraft flying on past their destination).
        // (Most drones have no order: for them the reset is a no-op, and the lookup of
        // their plan and lane a cache miss each, a twelfth of the step at 90,000 drones.)
        for (order, a) in self.orders.iter_mut().zip(airborne) {
            if *order != Order::default() && eligible(a, fleet, net).is_none() {
                *order = Order::default();
            }
        }
    }

    /// A drone with no conflict this step keeps giving way to the same drone, with the
    /// same order, until the two are no longer closing and are two horizontal minima
    /// apart (else it would return to its plan, meet the conflict again and oscillate).
    fn hold_until_passed(&mut self, airborne: &[Airborne], flights: usize, h: f64) {
        self.index(airborne, flights);
        for (order, a) in self.orders.iter_mut().zip(airborne) {
            if order.to.is_some() {
                continue;
            }
            let d = &a.d;
            let Some(other) = d
                .giving_way_to
                .and_then(|f| self.slot_of[f.index()])
                .map(|j| &airborne[j as usize].d)
            else {
                continue;
            };
            let p = d.pos.truncate() - other.pos.truncate();
            let w = d.vel.truncate() - other.vel.truncate();
            let closing = p.dot(w) < 0.0;
            if closing || hypot(p) < 2.0 * h {
                *order = Order::in_force(d);
            }
        }
        self.unindex(airborne);
    }

    /// Fills `slot_of` for the drones in the air.
    fn index(&mut self, airborne: &[Airborne], flights: usize) {
        self.slot_of.resize(flights, None);
        for (k, a) in airborne.iter().enumerate() {
            self.slot_of[a.flight.index()] = Some(k as u32);
        }
    }

    /// Clears `slot_of` again (it stays all `None` between steps).
    fn unindex(&mut self, airborne: &[Airborne]) {
        for a in airborne {
            self.slot_of[a.flight.index()] = None;
        }
    }

    /// The neighbours of every drone marked in `wanted`, from the broad phase's candidate
    /// pairs (in their order), into `near` (a counting pass, then a filling one).
    fn neighbours(&mut self, airborne: &[Airborne], candidates: &[(u32, u32)], flights: usize) {
        let n = airborne.len();
        self.near.clear();
        self.near_start.clear();
        self.near_start.resize(n + 1, 0);
        if !self.wanted.iter().any(|&w| w) {
            return;
        }
        self.index(airborne, flights);
        let slot = &self.slot_of;
        let pairs = || {
            candidates.iter().filter_map(|&(x, y)| {
                Some((slot[x as usize]? as usize, slot[y as usize]? as usize))
            })
        };
        for (i, j) in pairs() {
            self.near_start[i + 1] += u32::from(self.wanted[i]);
            self.near_start[j + 1] += u32::from(self.wanted[j]);
        }
        for k in 0..n {
            self.near_start[k + 1] += self.near_start[k];
        }
        self.near.resize(self.near_start[n] as usize, 0);
        let mut fill: Vec<u32> = self.near_start[..n].to_vec();
        for (i, j) in pairs() {
            for (a, b) in [(i, j), (j, i)] {
                if self.wanted[a] {
                    self.near[fill[a] as usize] = b as u32;
                    fill[a] += 1;
                }
            }
        }
        self.unindex(airborne);
    }

    /// The neighbours of drone `k` (airborne index).
    fn near_of(&self, k: usize) -> impl Iterator<Item = usize> + '_ {
        neighbours_of(&self.near, &self.near_start, k)
    }

    /// Secondary-conflict check: a drone whose new order would put it in conflict with a
    /// drone it is not in conflict with now (flying the manoeuvre's speed from where the
    /// manoeuvre takes it) flies the next option that does not: the speed change alone,
    /// the sideways offset alone, then the altitude offset alone; if none is clear it
    /// keeps the full order.
    fn avoid_new_conflicts(&mut self, airborne: &[Airborne], input: &StepInput, fleet: &Fleet) {
        let minima = input.table.rules().minima;
        let tracks = input.table.tracks();
        let mut pairs: Vec<(usize, usize)> = input
            .encounters
            .iter()
            .map(|e| (e.a as usize, e.b as usize))
            .collect();
        pairs.sort_unstable();
        let (near, start) = (&self.near, &self.near_start);
        self.orders
            .par_iter_mut()
            .enumerate()
            .with_min_len(256)
            .for_each(|(k, slot)| {
                let order = *slot;
                if order.sum.n == 0 || !order.any() {
                    return;
                }
                let a = &airborne[k];
                let plan = fleet.plan(a.flight);
                let seg = &plan.path.segs[a.d.motion.seg as usize];
                let in_conflict = |j: usize| pairs.binary_search(&(k.min(j), k.max(j))).is_ok();
                let creates = |o: &Order| {
                    let t = flown(&a.d, seg, o);
                    neighbours_of(near, start, k).any(|j| {
                        !in_conflict(j)
                            && check_pair(&pair_params(input.params, minima, k, j), &t, &tracks[j])
                                .is_some()
                    })
                };
                if !creates(&order) {
                    return;
                }
                let only = |cap, offset, lateral| Order {
                    cap_mps: cap,
                    offset_m: offset,
                    lateral_m: lateral,
                    ..order
                };
                let options = [
                    only(order.cap_mps, None, None),
                    only(None, None, order.lateral_m),
                    only(None, order.offset_m, None),
                ];
                if let Some(o) = options.into_iter().find(|o| o.any() && !creates(o)) {
                    *slot = o;
                }
            });
    }

    /// Resumption: a drone off its plan with no conflict this step starts back to it only
    /// when the way back is clear: flying from where it is toward its plan (at the plan's
    /// speed, toward the centre line and its level at its sideways and climb rates), it
    /// must be clear of every neighbour over the look-ahead by the method's margin on the
    /// minima. Until then it keeps its order. So every pair it resolved is past in the
    /// sense that matters: none of them (nor anyone else) conflicts with its return.
    fn resume_when_clear(
        &mut self,
        airborne: &[Airborne],
        input: &StepInput,
        fleet: &Fleet,
        margin: f64,
    ) {
        let minima = input.table.rules().minima;
        let tracks = input.table.tracks();
        for (k, a) in airborne.iter().enumerate() {
            if self.orders[k].any() || !a.d.manoeuvring() {
                continue;
            }
            let plan = fleet.plan(a.flight);
            let ty = fleet.drone_type(a.flight);
            let seg = &plan.path.segs[a.d.motion.seg as usize];
            let d = &a.d;
            let toward =
                |x: f32, rate: f64| -f64::from(x.signum()) * rate * f64::from(u8::from(x != 0.0));
            let back = Track {
                pos: d.pos,
                vel: DVec3::from(seg.dir) * seg.u_max.max(d.motion.u)
                    + super::motion::left_of(&seg.dir)
                        * toward(d.lateral_m, super::motion::side_rate_mps(ty))
                    + DVec3::Z
                        * if d.offset_m > 0.0 {
                            -ty.descent_rate_mps
                        } else {
                            toward(d.offset_m, ty.climb_rate_mps)
                        },
            };
            let clear = self.near_of(k).all(|j| {
                let mut pp = pair_params(input.params, minima, k, j);
                pp.horizontal_m *= margin;
                pp.vertical_m *= margin;
                check_pair(&pp, &back, &tracks[j]).is_none()
            });
            if !clear {
                self.orders[k] = Order::in_force(d);
            }
        }
    }

    /// Turns each drone's order into its manoeuvre for the next step, counting the
    /// manoeuvres that begin.
    fn apply(&mut self, airborne: &mut [Airborne], max_hover_s: f64) {
        for (a, o) in airborne.iter_mut().zip(&self.orders) {
            let d = &mut a.d;
            if d.in_terminal_hold() || d.lost_link() {
                continue; // the terminal area sets its altitude; no link, no orders
            }
            d.giving_way_to = o.to;
            let was = (
                d.cap_mps.is_some(),
                d.offset_target_m != 0.0 || d.lateral_target_m != 0.0,
            );
            // Never hover forever: a drone held slow for max_hover_s goes on.
            d.cap_mps = o
                .cap_mps
                .filter(|_| f64::from(d.slow_s) <= max_hover_s)
                .map(|c| c as f32);
            d.speed_up = o.speed_up;
            d.offset_target_m = o.offset_m.unwrap_or(0.0) as f32;
            d.lateral_target_m = o.lateral_m.unwrap_or(0.0) as f32;
            if d.cap_mps.is_some() && !was.0 {
                self.stats.speed_manoeuvres += 1;
            }
            if d.offset_target_m != 0.0 && !was.1 {
                self.stats.vertical_manoeuvres += 1;
            }
            if d.lateral_target_m != 0.0 && !was.1 {
                self.stats.lateral_manoeuvres += 1;
            }
        }
    }
}

/// The neighbours of drone `k` in a neighbour table (see `TacticalLayer::near`).
fn neighbours_of<'a>(near: &'a [u32], start: &[u32], k: usize) -> impl Iterator<Item = usize> + 'a {
    let (a, b) = match start.get(k + 1) {
        Some(&b) => (start[k] as usize, b as usize),
        None => (0, 0),
    };
    near[a..b].iter().map(|&j| j as usize)
}

/// Conflict of drone `g` with drone `s` (airborne indices), as `g` sees it going
/// `dir`, on lane `l`; `pair`: the pair's own minima.
fn conflict<'a>(
    (airborne, g, s): (&'a [Airborne], usize, usize),
    dir: DVec2,
    (l, fleet, p): (&Lane, &'a Fleet, &Params),
    pair: (f64, f64),
    both_act: bool,
) -> Conflict<'a> {
    let (me, other) = (&airborne[g].d, &airborne[s].d);
    let ahead = (other.pos.truncate() - me.pos.truncate()).dot(dir) > 0.0;
    let along = |k: usize| {
        let a = &airborne[k];
        let seg = &fleet.plan(a.flight).path.segs[a.d.motion.seg as usize];
        DVec3::from(seg.dir) * a.d.motion.u
    };
    Conflict {
        me,
        other,
        ty: fleet.drone_type(airborne[g].flight),
        band: l.band_m,
        level_m: l.alt_m,
        same_way: dir.dot(horizontal_unit(other.vel)) > 0.7,
        behind: ahead,
        dir,
        minima: (p.horizontal_m, p.vertical_m),
        pair_minima: pair,
        horizon_s: p.lookahead_s.max(p.dt_s),
        dt_s: p.dt_s,
        both_act,
        path_vel: (along(g), along(s)),
    }
}

/// The lane a drone may manoeuvre on: a scenario corridor's lane (not a connector), not
/// held by the terminal area, and the drone within reach of an order (not without its
/// command link).
fn eligible(a: &Airborne, fleet: &Fleet, net: &Network) -> Option<crate::ids::LaneId> {
    let plan = fleet.plan(a.flight);
    let lane = plan.path.segs[a.d.motion.seg as usize].lane?;
    (!net.lanes[lane].connector && !a.d.in_terminal_hold() && !a.d.lost_link()).then_some(lane)
}

/// The room drone `a` of type `ty` on `plan` has on lane `l`. Sideways: none off a
/// level segment, and toward the segment's end no more than it can still come back from
/// before the end (the rule `motion::side_step` enforces, so an order never asks for an
/// offset the drone would be pulled back from).
fn room(
    a: &Airborne,
    ty: &DroneType,
    plan: &crate::planner::Plan,
    (net, l): (&Network, &Lane),
    dt: f64,
) -> Room {
    let k = a.d.motion.seg as usize;
    let seg = &plan.path.segs[k];
    let fast = ty.max_speed().min(l.speed_limit_mps);
    let quickest = a.d.motion.u.max(seg.u_max).max(ty.max_speed());
    let left_m = plan.path.cum[k + 1] - a.d.motion.s;
    // (Two steps spare, as side_step keeps, and the step it moves before it returns.)
    let back = (left_m / quickest - 3.0 * dt) * super::motion::side_rate_mps(ty);
    let most = l.side_room_m(ty.radius_m).min(back.max(0.0));
    let level = seg.dir[2] == 0.0;
    // The largest offset it can come back from by its lane's end (`motion::level_off_m`
    // solved for the offset, a step spare).
    let lane_left = plan.path.cum[plan.path.lane_run(k).end] - a.d.motion.s;
    let rate = ty.climb_rate_mps.min(ty.descent_rate_mps);
    let up_max_m = ((lane_left / quickest - 3.0 * dt) * rate).max(0.0);
    Room {
        u_mps: a.d.motion.u,
        capped: a.d.cap_mps.is_some(),
        speed_mps: (ty.min_speed().max(mvp::SLOWEST * seg.u_max), fast),
        side_m: (f64::from(a.d.lateral_m), if level { most } else { 0.0 }),
        offset_m: f64::from(a.d.offset_m),
        level_m: l.alt_m,
        band: l.band_m,
        up_max_m,
        next: super::motion::next_slice(plan, net, plan.path.lane_run(k).end),
    }
}

/// The track a drone in state `d` on segment `seg` would fly under order `o`: moved to
/// its offsets at once, flying the ordered speed (or its speed now) along the segment.
fn flown(d: &Dynamics, seg: &crate::planner::Seg, o: &Order) -> Track {
    let left = super::motion::left_of(&seg.dir);
    let side = o.lateral_m.unwrap_or(0.0) - f64::from(d.lateral_m);
    let up = o.offset_m.unwrap_or(0.0) - f64::from(d.offset_m);
    let u = o.cap_mps.unwrap_or(d.motion.u);
    Track {
        pos: d.pos + left * side + DVec3::Z * up,
        vel: DVec3::from(seg.dir) * u,
    }
}

/// Who gives way in an encounter.
struct GiveWay {
    /// Index in the airborne list of the drone that gives way.
    me: usize,
    /// Index of the drone it gives way to.
    other: usize,
    /// The give-way drone's horizontal direction (unit, or zero when hovering).
    dir: DVec2,
}

/// Who gives way in encounter `e`: the one with its link (a drone without takes no orders);
/// then the lower priority; then the follower of two going the
/// same way; then the later-filed flight.
fn give_way(airborne: &[Airborne], e: &Encounter, fleet: &Fleet) -> GiveWay {
    let (i, j) = (e.a as usize, e.b as usize);
    let (ai, aj) = (&airborne[i], &airborne[j]);
    let prio = |a: &Airborne| fleet.flight(a.flight).priority;
    let (di, dj) = (horizontal_unit(ai.d.vel), horizontal_unit(aj.d.vel));
    let same_way = di.dot(dj) > 0.7;
    // A drone without its link cannot be told to give way: the other does.
    let (g, s) = if ai.d.lost_link() != aj.d.lost_link() {
        if aj.d.lost_link() { (i, j) } else { (j, i) }
    } else if prio(ai) != prio(aj) {
        if prio(ai) < prio(aj) { (i, j) } else { (j, i) }
    } else if same_way {
        let ahead = (aj.d.pos.truncate() - ai.d.pos.truncate()).dot(di);
        if ahead > 0.0 { (i, j) } else { (j, i) }
    } else if ai.flight > aj.flight {
        (i, j)
    } else {
        (j, i)
    };
    GiveWay {
        me: g,
        other: s,
        dir: if g == i { di } else { dj },
    }
}
