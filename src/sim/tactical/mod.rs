//! Tactical resolution: after each step's detection, every pair in conflict gets a
//! give-way drone and that drone an [`Order`] (a speed limit, an altitude offset, or
//! both) for the next step; drones return to their plan once the conflict is past.
//!
//! The shape follows BlueSky's `traffic/asas`: the shared parts live here once (who gives
//! way, when a drone may resume its plan, turning orders into manoeuvres); each method is
//! one [`Resolution`] in its own file ([`speed`], [`vertical`], [`mvp`]).
//!
//! - Right of way: the lower priority class gives way; at equal priority the follower of
//!   two drones going the same way, else the later-filed flight. Pairs where either drone
//!   is climbing off or descending onto a pad are left to the pads.
//! - Resumption: a drone keeps giving way to the same drone, with the same order, until
//!   the two are no longer closing and are two horizontal minima apart.
//! - A drone held slow for `max_hover_s` goes on (never hover forever).
//!
//! Metres, seconds, m/s. Owns: the manoeuvre counters and its scratch space.

pub mod mvp;
pub mod speed;
pub mod vertical;

use glam::{DVec2, DVec3};
use serde::Serialize;

use super::Fleet;
use super::flight::{Airborne, Dynamics};
use super::separation::{Encounter, Params};
use crate::ids::FlightId;
use crate::network::Network;
use crate::scenario::{DroneType, Scenario, Tactical};

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

/// A resolution for one drone for the next step: a speed limit, an altitude offset, or
/// both, and whom it gives way to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Order {
    /// Speed limit, m/s (the smallest any of its conflicts asks for).
    pub cap_mps: Option<f64>,
    /// Altitude offset from the plan, metres (the first conflict's wins).
    pub offset_m: Option<f64>,
    /// The drone it gives way to.
    pub to: Option<FlightId>,
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
    /// Look-ahead (at least one step), seconds.
    pub horizon_s: f64,
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
}

impl TacticalLayer {
    /// Manoeuvres begun so far (the re-plan counters are the bookings').
    pub fn stats(&self) -> &TacticalStats {
        &self.stats
    }

    /// Resolves this step's `encounters` (track indices = indices into `airborne`).
    pub(crate) fn resolve(
        &mut self,
        airborne: &mut [Airborne],
        encounters: &[Encounter],
        fleet: &Fleet,
        scenario: &Scenario,
        net: &Network,
        p: &Params,
    ) {
        let Some(method) = method(scenario.deconfliction.tactical) else {
            return;
        };
        self.orders.clear();
        self.orders.resize(airborne.len(), Order::default());
        let horizon_s = p.lookahead_s.max(p.dt_s);
        for e in encounters {
            let GiveWay {
                me: g,
                other: s,
                same_way,
                dir,
            } = give_way(airborne, e, fleet);
            let (me, other) = (&airborne[g].d, &airborne[s].d);
            let plan = fleet.plan(airborne[g].flight);
            let plan_s = fleet.plan(airborne[s].flight);
            let (Some(lane), Some(_)) = (
                plan.path.segs[me.motion.seg as usize].lane,
                plan_s.path.segs[other.motion.seg as usize].lane,
            ) else {
                continue; // on a terminal leg: the terminal area sequences it
            };
            // On a connector or held by the terminal area: left to it.
            let l = &net.lanes[lane];
            if l.connector || me.in_terminal_hold() {
                continue;
            }
            let c = Conflict {
                me,
                other,
                ty: fleet.drone_type(airborne[g].flight),
                band: l.band_m,
                level_m: l.alt_m,
                same_way,
                behind: (other.pos.truncate() - me.pos.truncate()).dot(dir) > 0.0,
                dir,
                minima: (p.horizontal_m, p.vertical_m),
                horizon_s,
            };
            let order = &mut self.orders[g];
            order.to = order.to.or(Some(airborne[s].flight));
            method.resolve(&c, order);
        }
        self.hold_until_passed(airborne, fleet.flights().len(), p.horizontal_m);
        self.apply(airborne, scenario.deconfliction.max_hover_s);
    }

    /// A drone with no conflict this step keeps giving way to the same drone, with the
    /// same order, until the two are no longer closing and are two horizontal minima
    /// apart (else it would return to its plan, meet the conflict again and oscillate).
    fn hold_until_passed(&mut self, airborne: &[Airborne], flights: usize, h: f64) {
        self.slot_of.resize(flights, None);
        for (k, a) in airborne.iter().enumerate() {
            self.slot_of[a.flight.index()] = Some(k as u32);
        }
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
                *order = Order {
                    cap_mps: d.cap_mps.map(f64::from),
                    offset_m: (d.offset_target_m != 0.0).then_some(f64::from(d.offset_target_m)),
                    to: d.giving_way_to,
                };
            }
        }
        for a in airborne {
            self.slot_of[a.flight.index()] = None;
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
            let was = (d.cap_mps.is_some(), d.offset_target_m != 0.0);
            // Never hover forever: a drone held slow for max_hover_s goes on.
            d.cap_mps = o
                .cap_mps
                .filter(|_| f64::from(d.slow_s) <= max_hover_s)
                .map(|c| c as f32);
            d.offset_target_m = o.offset_m.unwrap_or(0.0) as f32;
            if d.cap_mps.is_some() && !was.0 {
                self.stats.speed_manoeuvres += 1;
            }
            if d.offset_target_m != 0.0 && !was.1 {
                self.stats.vertical_manoeuvres += 1;
            }
        }
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
