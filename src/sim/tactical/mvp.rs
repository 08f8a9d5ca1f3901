//! Modified Voltage Potential (Hoekstra; BlueSky's `traffic/asas/mvp.py`), kept to the
//! corridor. For each conflict, the displacement that moves the closest point of
//! approach (straight lines, within the look-ahead) out of the pair's protected zone,
//! grown by [`MARGIN`], is found as BlueSky does (a head-on pair with a closest approach
//! under 10 m is pushed perpendicular to its line of sight; an intruder still outside the
//! zone gets the tangent correction). Both drones of a pair act, each taking the whole
//! horizontal displacement away from the other and half the vertical one; at unequal
//! priority only the lower class acts. A drone sums the displacements of all its
//! conflicts, then flies them in the axes a corridor drone has:
//! - along its track as a speed change (the displacement over the time to closest
//!   approach), slower or faster, within its type's minimum and the smaller of its top
//!   speed and the lane's limit;
//! - across its track as a sideways offset within the corridor's width;
//! - what those two cannot take, vertically within its lane's slice of the band.

use glam::DVec2;

use super::{Conflict, Order, Resolution, Room, hypot};

/// Factor on the pair's minima the resolution aims for (BlueSky's `resofach`): with
/// fixed one-second steps, finite accelerations and sideways rates, a resolution aimed
/// at the minima themselves lands just inside them. Measured on the default scenario
/// over six seeds: 1.05 and 1.1 leave more losses than 1.2 (README).
pub const MARGIN: f64 = 1.4;

/// The slowest MVP flies a drone, as a share of its plan's speed on the segment (and
/// never below its type's minimum): stopped in a corridor, a drone blocks everyone
/// behind it, and a stopped drone whose intruders keep coming never has an along-track
/// reason to go on (BlueSky issue #660: an aircraft left at zero ground speed).
pub const SLOWEST: f64 = 0.5;

/// Closest approach under which a pair is treated as head-on, metres (BlueSky's 10 m).
const HEAD_ON_M: f64 = 10.0;

/// MVP: summed, cooperative, along, across and (last) vertical.
pub struct Mvp;

impl Resolution for Mvp {
    fn cooperative(&self) -> bool {
        true
    }

    fn margin(&self) -> f64 {
        MARGIN
    }

    fn resolve(&self, c: &Conflict, order: &mut Order) {
        let (h, v) = (c.pair_minima.0 * MARGIN, c.pair_minima.1 * MARGIN);
        let (me, other) = (c.me, c.other);
        // The intruder relative to me, now and (straight lines) at closest approach, as
        // the two will fly once at their offsets: the rates that take them there are left
        // out, so that a displacement already under way is not counted twice (it would
        // shrink the target while the drone moves and bring the conflict back).
        let p = other.pos - me.pos;
        let w = c.path_vel.1 - c.path_vel.0;
        let w2 = w.x * w.x + w.y * w.y;
        let tc = if w2 < 1e-9 {
            0.0
        } else {
            // The true closest approach, even past the look-ahead (as BlueSky): clamped
            // to it, a slow overtake would read as a near miss at the horizon and be
            // nudged by a sliver of speed, again and again.
            (-(p.x * w.x + p.y * w.y) / w2).max(0.0)
        };
        let t = tc.max(c.dt_s);
        let mut dcpa = DVec2::new(p.x + w.x * tc, p.y + w.y * tc);
        let mut dabs = hypot(dcpa);
        let dist = hypot(p.truncate());
        let ih = h - dabs;
        if dabs <= HEAD_ON_M {
            // Head-on (or in trail on one line): push perpendicular to the line of sight,
            // or to my left when we are on top of each other.
            let side = if dist > 1e-6 {
                DVec2::new(p.y, -p.x) / dist
            } else {
                DVec2::new(-c.dir.y, c.dir.x)
            };
            dabs = HEAD_ON_M;
            dcpa = side * dabs;
        }
        // The horizontal displacement that clears the zone, away from the intruder.
        let need = if h < dist && dabs < dist {
            let erratum = ((h / dist).asin() - (dabs / dist).asin()).cos();
            h / erratum - dabs
        } else {
            ih
        };
        let push = -dcpa / dabs * need.max(0.0);
        // Vertically: away from it, by what the zone lacks at closest approach; half of
        // it when the other moves too.
        let dz = p.z + w.z * tc;
        let iv = (v - dz.abs()).max(0.0);
        let share = if c.both_act { 0.5 } else { 1.0 };
        let up = if dz > 0.0 { -iv } else { iv } * share;
        let left = DVec2::new(-c.dir.y, c.dir.x);
        let s = &mut order.sum;
        s.t_min_s = if s.n == 0 { t } else { s.t_min_s.min(t) };
        s.n += 1;
        s.along_mps += push.dot(c.dir) / t;
        s.side_m += push.dot(left);
        s.up_m += up;
        s.alone |= !c.both_act;
    }

    fn finish(&self, room: &Room, order: &mut Order) {
        let s = order.sum;
        let u = (room.u_mps + s.along_mps).clamp(room.speed_mps.0, room.speed_mps.1);
        let (side0, side_max) = room.side_m;
        let side = (side0 + s.side_m).clamp(-side_max, side_max);
        // What the horizontal axes could not take, metres at the closest approach.
        let missed_along = (room.u_mps + s.along_mps - u) * s.t_min_s;
        let missed_side = side0 + s.side_m - side;
        if (u - room.u_mps).abs() > 1e-3 || room.capped {
            order.cap_mps = Some(u);
            order.speed_up = true;
        }
        if (side - side0).abs() > 1e-3 || side0 != 0.0 {
            order.lateral_m = Some(side).filter(|&x| x != 0.0);
        }
        // Both drones of a pair take the whole horizontal displacement: when the other
        // acts too, half of it is enough.
        let asked = (s.along_mps * s.t_min_s).hypot(s.side_m);
        let spare = if s.alone { 0.0 } else { 0.5 * asked };
        if missed_along.hypot(missed_side) > spare + 1.0 && s.up_m != 0.0 {
            let o = room.offset_m + s.up_m;
            if room.fits(o) {
                order.offset_m = Some(o);
            } else {
                // As far as the band allows that way.
                let edge = if s.up_m > 0.0 {
                    room.band.1 - 1.0
                } else {
                    room.band.0 + 1.0
                };
                let o = edge - room.level_m;
                if room.fits(o) && o.signum() == s.up_m.signum() {
                    order.offset_m = Some(o);
                }
            }
        } else if room.offset_m != 0.0 {
            order.offset_m = Some(room.offset_m);
        }
    }
}
