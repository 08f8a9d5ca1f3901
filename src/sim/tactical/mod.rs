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
#[derive(Debug, Clone, Copy, Default)]
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
#[derive(Debug, Clone, Copy, Default)]
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
}

impl Room {
    /// Whether altitude offset `o` keeps it inside its band (a metre inside each edge).
    pub fn fits(&self, o: f64) -> bool {
        let alt = self.level_m + o;
        alt >= self.band.0 + 1.0 && alt <= self.band.1 - 1.0
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
    /// Neighbours (airborne indices) of the drones that need them, as (drone, neighbour)
    /// pairs sorted by drone (scratch).
    near: Vec<(u32, u32)>,
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
        let horizon_s = p.lookahead_s.max(p.dt_s);
        let minima = input.table.rules().minima;
        for e in input.encounters {
            let way = give_way(airborne, e, fleet);
            let pair = pair_params(p, minima, e.a as usize, e.b as usize);
            let mut acting = [(way.me, way.other, way.dir, true)].to_vec();
            if method.cooperative() {
                let (i, j) = (way.me, way.other);
                let prio = |k: usize| fleet.flight(airborne[k].flight).priority;
                // Both act unless one has the higher priority class.
                if prio(i) == prio(j) {
                    let dj = horizontal_unit(airborne[j].d.vel);
                    acting.push((j, i, dj, false));
                }
            }
            let both = acting.len() == 2
                && acting
                    .iter()
                    .all(|&(g, _, _, _)| eligible(&airborne[g], fleet, net).is_some());
            for (g, s, dir, gives_way) in acting {
                let (me, other) = (&airborne[g].d, &airborne[s].d);
                let Some(lane) = eligible(&airborne[g], fleet, net) else {
                    continue;
                };
                if !method.cooperative() {
                    // The pads sequence drones on terminal legs: leave the pair to them.
                    let plan_s = fleet.plan(airborne[s].flight);
                    if plan_s.path.segs[other.motion.seg as usize].lane.is_none() {
                        continue;
                    }
                }
                let l = &net.lanes[lane];
                let c = Conflict {
                    me,
                    other,
                    ty: fleet.drone_type(airborne[g].flight),
                    band: l.band_m,
                    level_m: l.alt_m,
                    same_way: way.same_way,
                    behind: (other.pos.truncate() - me.pos.truncate()).dot(dir) > 0.0,
                    dir,
                    minima: (p.horizontal_m, p.vertical_m),
                    pair_minima: (pair.horizontal_m, pair.vertical_m),
                    horizon_s,
                    dt_s: p.dt_s,
                    both_act: both,
                };
                let order = &mut self.orders[g];
                if gives_way || order.to.is_none() {
                    order.to = order.to.or(Some(airborne[s].flight));
                }
                method.resolve(&c, order);
            }
        }
        if method.cooperative() {
            for (k, a) in airborne.iter().enumerate() {
                if self.orders[k].sum.n == 0 {
                    continue;
                }
                let Some(lane) = eligible(a, fleet, net) else {
                    continue;
                };
                let room = room(
                    a,
                    fleet.drone_type(a.flight),
                    fleet.plan(a.flight),
                    &net.lanes[lane],
                );
                method.finish(&room, &mut self.orders[k]);
            }
            self.neighbours(airborne, input.candidates, fleet.flights().len());
            self.avoid_new_conflicts(airborne, &input, fleet);
            self.hold_until_passed(airborne, fleet.flights().len(), p.horizontal_m);
            self.resume_when_clear(airborne, &input, fleet);
        } else {
            self.hold_until_passed(airborne, fleet.flights().len(), p.horizontal_m);
        }
        self.apply(airborne, scenario.deconfliction.max_hover_s);
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

    /// The neighbours of every drone with a new order or a manoeuvre in force, from the
    /// broad phase's candidate pairs, into `near`.
    fn neighbours(&mut self, airborne: &[Airborne], candidates: &[(u32, u32)], flights: usize) {
        self.near.clear();
        self.wanted.clear();
        self.wanted.extend(
            airborne
                .iter()
                .zip(&self.orders)
                .map(|(a, o)| o.any() || a.d.manoeuvring()),
        );
        if !self.wanted.iter().any(|&w| w) {
            return;
        }
        self.index(airborne, flights);
        for &(x, y) in candidates {
            let (Some(i), Some(j)) = (self.slot_of[x as usize], self.slot_of[y as usize]) else {
                continue;
            };
            if self.wanted[i as usize] {
                self.near.push((i, j));
            }
            if self.wanted[j as usize] {
                self.near.push((j, i));
            }
        }
        self.unindex(airborne);
        self.near.sort_unstable();
    }

    /// The neighbours of drone `k` (airborne index).
    fn near_of(&self, k: usize) -> impl Iterator<Item = usize> + '_ {
        let k = k as u32;
        let start = self.near.partition_point(|&(i, _)| i < k);
        self.near[start..]
            .iter()
            .take_while(move |&&(i, _)| i == k)
            .map(|&(_, j)| j as usize)
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
        for (k, a) in airborne.iter().enumerate() {
            let order = self.orders[k];
            if order.sum.n == 0 || !order.any() {
                continue;
            }
            let plan = fleet.plan(a.flight);
            let seg = &plan.path.segs[a.d.motion.seg as usize];
            let in_conflict = |j: usize| pairs.binary_search(&(k.min(j), k.max(j))).is_ok();
            let creates = |o: &Order| {
                let t = flown(&a.d, seg, o);
                self.near_of(k).any(|j| {
                    !in_conflict(j)
                        && check_pair(&pair_params(input.params, minima, k, j), &t, &tracks[j])
                            .is_some()
                })
            };
            if !creates(&order) {
                continue;
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
                self.orders[k] = o;
            }
        }
    }

    /// Resumption: a drone off its plan with no conflict this step starts back to it only
    /// when the way back is clear: flying from where it is toward its plan (at the plan's
    /// speed, toward the centre line and its level at its sideways and climb rates), it
    /// must be clear of every neighbour over the look-ahead by the method's margin on the
    /// minima. Until then it keeps its order. So every pair it resolved is past in the
    /// sense that matters: none of them (nor anyone else) conflicts with its return.
    fn resume_when_clear(&mut self, airborne: &[Airborne], input: &StepInput, fleet: &Fleet) {
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
                pp.horizontal_m *= mvp::MARGIN;
                pp.vertical_m *= mvp::MARGIN;
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
            if d.in_terminal_hold() {
                continue; // the terminal area sets its altitude
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

/// The lane a drone may manoeuvre on: a scenario corridor's lane (not a connector), and
/// not held by the terminal area.
fn eligible(a: &Airborne, fleet: &Fleet, net: &Network) -> Option<crate::ids::LaneId> {
    let plan = fleet.plan(a.flight);
    let lane = plan.path.segs[a.d.motion.seg as usize].lane?;
    (!net.lanes[lane].connector && !a.d.in_terminal_hold()).then_some(lane)
}

/// The room drone `a` of type `ty` on `plan` has on lane `l`: no sideways room off a
/// level segment (see `motion::side_step`).
fn room(a: &Airborne, ty: &DroneType, plan: &crate::planner::Plan, l: &Lane) -> Room {
    let seg = &plan.path.segs[a.d.motion.seg as usize];
    let most = l.side_room_m(ty.radius_m);
    let fast = ty.max_speed().min(l.speed_limit_mps);
    let level = seg.dir[2] == 0.0;
    Room {
        u_mps: a.d.motion.u,
        capped: a.d.cap_mps.is_some(),
        speed_mps: (ty.min_speed(), fast),
        side_m: (f64::from(a.d.lateral_m), if level { most } else { 0.0 }),
        offset_m: f64::from(a.d.offset_m),
        level_m: l.alt_m,
        band: l.band_m,
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
    /// Whether the two go the same way.
    same_way: bool,
    /// The give-way drone's horizontal direction (unit, or zero when hovering).
    dir: DVec2,
}

/// Who gives way in encounter `e`: the lower priority; then the follower of two going the
/// same way; then the later-filed flight.
fn give_way(airborne: &[Airborne], e: &Encounter, fleet: &Fleet) -> GiveWay {
    let (i, j) = (e.a as usize, e.b as usize);
    let (ai, aj) = (&airborne[i], &airborne[j]);
    let prio = |a: &Airborne| fleet.flight(a.flight).priority;
    let (di, dj) = (horizontal_unit(ai.d.vel), horizontal_unit(aj.d.vel));
    let same_way = di.dot(dj) > 0.7;
    let (g, s) = if prio(ai) != prio(aj) {
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
        same_way,
        dir: if g == i { di } else { dj },
    }
}
