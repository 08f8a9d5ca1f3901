//! The geometry strategic deconfliction books at the network's junctions: per node the
//! radius of its zone, and per lane end the ramp zone where drones changing level onto a
//! lane nearly alongside it pass its level (see `planner::strategic`'s
//! `junction_passages` and `ramp_passages`).
//!
//! A junction's zone must be wide enough that a drone outside it is a minimum from one on
//! another lane, in the zone or outside it: for two lanes leaving (or reaching) the node
//! at an angle `a` under a right angle, a point on one within `r` of the node and one on
//! the other farther out are at least `r sin a` apart. Only lanes whose levels are within a
//! vertical minimum of each other set the radius: drones level on lanes a vertical
//! minimum apart are separated however close their tracks. What is left is the drone
//! changing level between them, which only happens on a ramp at the start of the lane a
//! route takes at the node. Where such a ramp passes the level of a lane nearly alongside
//! it (closer than the zone's radius keeps apart), the lane's end at the node gets a ramp
//! zone, as long as the ramp may be within a vertical minimum of its level plus 1.05
//! horizontal minima, and a drone on the lane there and the ramping drone must not be
//! there at once. The two directions of one corridor are the limiting case (one ground
//! track, head-on): nobody turns back, and their ramp zones are how they are kept apart.

use crate::ids::LaneId;
use crate::network::Lane;
use crate::scenario::DroneType;

/// How far from a junction, in multiples of the horizontal minimum, a drone is at least in
/// its zone: 1.5 keeps two drones on lanes 45 degrees apart, one leaving and one
/// arriving at that distance, more than a minimum apart.
pub const JUNCTION_ZONE_MINIMA: f64 = 1.5;

/// One end of a lane, at the node it leaves (`start`) or reaches: where a ramp zone on it
/// lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LaneEnd {
    /// The lane.
    pub lane: LaneId,
    /// At the node it leaves (else at the node it reaches).
    pub start: bool,
}

impl LaneEnd {
    /// Its position among all lane ends (two per lane).
    pub fn index(self) -> usize {
        2 * self.lane.index() + usize::from(self.start)
    }
}

/// The junction geometry of a network (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Junctions {
    /// Per node, the radius of its zone, metres.
    pub radius_m: Vec<f64>,
    /// Per node, the largest vertical minimum of the lanes that meet there, metres: two
    /// drones in its zone whose altitudes stay that far apart are separated wherever they
    /// are in it.
    pub vertical_m: Vec<f64>,
    /// Per lane end ([`LaneEnd::index`]), how far from the node its ramp zone reaches
    /// along it, metres (0: none).
    pub ramp_zone_m: Vec<f64>,
    /// Per lane, the lane ends at its start whose levels a ramp onto it may pass within
    /// their ramp zones.
    pub ramp_crossings: Vec<Vec<LaneEnd>>,
}

/// The unit direction of a lane away from the node at its `start` (else at its end),
/// `[east, north]`.
fn ray(lane: &Lane, start: bool) -> [f64; 2] {
    let p = &lane.points;
    let (a, b) = if start {
        (p[0], p[1])
    } else {
        (p[p.len() - 1], p[p.len() - 2])
    };
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy).max(1e-12);
    [dx / len, dy / len]
}

/// The angle between two rays, radians.
fn angle(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] * b[0] + a[1] * b[1]).clamp(-1.0, 1.0).acos()
}

/// The angle at a node between a lane reaching it (`into`) and one leaving it (`out`),
/// radians: pi straight on, small for a sharp turn back.
pub fn turn_angle(into: &Lane, out: &Lane) -> f64 {
    angle(ray(into, false), ray(out, true))
}

/// A lane's rays as [`turn_angle`] takes them, `[leaving its start, leaving its end
/// backwards]`: kept per lane (see [`crate::network::Network::turn_angle`]) for the route
/// search, which asks for the angle at every lane it expands, and the junction checks.
pub fn lane_rays(lane: &Lane) -> [[f64; 2]; 2] {
    [ray(lane, true), ray(lane, false)]
}

/// [`turn_angle`] from the rays of the lanes (see [`lane_rays`]): the same number.
pub fn turn_angle_of(into: &[[f64; 2]; 2], out: &[[f64; 2]; 2]) -> f64 {
    angle(into[1], out[0])
}

/// Zone radius per unit horizontal minimum for a sharpest angle `a` between lanes: with
/// the radius `r`, a drone anywhere in the zone on one lane and one outside it on the
/// other are at least `r sin a` apart (`r` beyond a right angle), and two outside it at
/// least `2 r sin(a/2)`, more; this keeps the first 1.05 minima.
fn radius_minima(a: f64) -> f64 {
    let a = a.min(std::f64::consts::FRAC_PI_2);
    JUNCTION_ZONE_MINIMA.max(1.05 / a.sin().max(1e-3))
}

impl Junctions {
    /// The junction geometry of `lanes` between `nodes` nodes, for drones of `types`, with
    /// the scenario's vertical minimum `vertical_m` (lanes may have larger ones).
    pub fn build(nodes: usize, lanes: &[Lane], types: &[DroneType], vertical_m: f64) -> Self {
        let mut at = vec![Vec::new(); nodes];
        for (j, l) in lanes.iter().enumerate() {
            at[l.from.index()].push(LaneEnd {
                lane: LaneId::new(j),
                start: true,
            });
            at[l.to.index()].push(LaneEnd {
                lane: LaneId::new(j),
                start: false,
            });
        }
        let mut out = Junctions {
            radius_m: vec![0.0; nodes],
            vertical_m: vec![0.0; nodes],
            ramp_zone_m: vec![0.0; 2 * lanes.len()],
            ramp_crossings: vec![Vec::new(); lanes.len()],
        };
        for (n, ends) in at.iter().enumerate() {
            let lane = |e: &LaneEnd| &lanes[e.lane.index()];
            let v_node = ends.iter().map(|e| lane(e).minima[1]).fold(0.0, f64::max);
            let h_node = ends.iter().map(|e| lane(e).minima[0]).fold(0.0, f64::max);
            let rays: Vec<[f64; 2]> = ends.iter().map(|e| ray(lane(e), e.start)).collect();
            // Lanes of one corridor (its two directions, one track) and lanes whose
            // levels are a vertical minimum apart do not set the radius.
            let sets_radius = |i: usize, j: usize| {
                let (a, b) = (lane(&ends[i]), lane(&ends[j]));
                a.corridor != b.corridor && (a.alt_m - b.alt_m).abs() < v_node
            };
            let mut sharpest = std::f64::consts::PI;
            for i in 0..ends.len() {
                for j in i + 1..ends.len() {
                    if sets_radius(i, j) {
                        sharpest = sharpest.min(angle(rays[i], rays[j]));
                    }
                }
            }
            out.vertical_m[n] = v_node;
            out.radius_m[n] = radius_minima(sharpest) * h_node;
            // Ramps onto each lane leaving here past the levels of lanes whose tracks
            // the radius does not keep a minimum apart from it.
            for (i, r_end) in ends.iter().enumerate().filter(|(_, e)| e.start) {
                let r = lane(r_end);
                for (j, l_end) in ends.iter().enumerate() {
                    let a = angle(rays[i], rays[j]);
                    if j == i || sets_radius(i, j) || radius_minima(a) <= radius_minima(sharpest) {
                        continue;
                    }
                    let l = lane(l_end);
                    let v_min = vertical_m.max(l.minima[1]).max(r.minima[1]);
                    let mut zone: f64 = 0.0;
                    // From the level of every lane reaching here but the way back.
                    for from in ends.iter().filter(|e| !e.start).map(lane) {
                        let u_turn = from.corridor == r.corridor && from.from == r.to;
                        let until = ramp_within(from.alt_m, r.alt_m, l.alt_m, v_min);
                        if u_turn || from.alt_m == r.alt_m || until <= 0.0 {
                            continue;
                        }
                        for t in types {
                            let rate = if r.alt_m > from.alt_m {
                                t.climb_rate_mps
                            } else {
                                t.descent_rate_mps
                            };
                            let v = r.speed_limit_mps.min(t.cruise_speed_mps);
                            let ramp = ((r.alt_m - from.alt_m).abs() / rate * v).min(r.leg_m[0]);
                            zone = zone.max(until * ramp + 1.05 * l.minima[0].max(r.minima[0]));
                        }
                    }
                    if zone > 0.0 {
                        let k = l_end.index();
                        out.ramp_zone_m[k] = out.ramp_zone_m[k].max(zone);
                        out.ramp_crossings[r_end.lane.index()].push(*l_end);
                    }
                }
            }
        }
        out
    }
}

/// The fraction of a level change from `from_m` to `to_m` (linear) after which it is
/// never again within `v_min` of `level_m` (0 when it never is).
pub fn ramp_within(from_m: f64, to_m: f64, level_m: f64, v_min: f64) -> f64 {
    let (lo, hi) = (level_m - v_min, level_m + v_min);
    let span = to_m - from_m;
    if span == 0.0 {
        return if from_m > lo && from_m < hi { 1.0 } else { 0.0 };
    }
    // Where it leaves (lo, hi) last, going from `from_m` toward `to_m`.
    let exit = if span > 0.0 { hi } else { lo };
    let enter = if span > 0.0 { lo } else { hi };
    if (to_m - enter) * span.signum() <= 0.0 || (from_m - exit) * span.signum() >= 0.0 {
        return 0.0; // ends before the band or starts past it
    }
    ((exit - from_m) / span).clamp(0.0, 1.0)
}
