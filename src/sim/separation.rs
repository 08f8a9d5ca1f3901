//! Separation checks: which pairs of drones are in loss of separation now, and which are
//! in conflict (a loss of separation predicted within the look-ahead).
//!
//! Prediction is straight-line at current velocities (state-based, as in BlueSky). For a
//! pair, [`encounter_interval`] gives the exact open time interval in which both the
//! horizontal and the vertical distance are below their minima. A pair is
//! - in *loss of separation during the step* when that interval meets `[0, dt)`;
//! - in *conflict* when it meets `[0, lookahead_s]`.
//!
//! Broad phase: an rstar R-tree over each drone's swept box (its straight-line positions
//! over the horizon, grown by half the minima on each side). Two drones can only come
//! within the minima if their boxes overlap, so the R-tree loses no pair: the property
//! test in `tests/` checks it against [`detect_brute_force`].

use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Position and velocity of one drone, local metres and m/s: `[east, north, up]`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Track {
    /// `[east_m, north_m, alt_m]`.
    pub pos: [f64; 3],
    /// `[east_mps, north_mps, up_mps]`.
    pub vel: [f64; 3],
}

/// Separation parameters of one check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Horizontal minimum, metres.
    pub horizontal_m: f64,
    /// Vertical minimum, metres.
    pub vertical_m: f64,
    /// Look-ahead, seconds.
    pub lookahead_s: f64,
    /// The step, seconds: the window in which a loss of separation counts as now.
    pub dt_s: f64,
}

/// A pair that is in conflict (and perhaps in loss of separation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Encounter {
    /// Lower track index.
    pub a: u32,
    /// Higher track index.
    pub b: u32,
    /// Start of the predicted violation, seconds from now (negative: already in it).
    pub t_in: f64,
    /// End of the predicted violation, seconds from now.
    pub t_out: f64,
}

impl Encounter {
    /// Whether the violation overlaps the current step `[0, dt)`.
    pub fn los_in_step(&self, dt: f64) -> bool {
        self.t_in < dt && self.t_out > 0.0
    }
}

/// Open interval of time (relative to now) in which both distances are under the minima,
/// assuming straight-line motion; `None` if there is none.
pub fn encounter_interval(p: &Params, a: &Track, b: &Track) -> Option<(f64, f64)> {
    let (dx, dy, dz) = (
        b.pos[0] - a.pos[0],
        b.pos[1] - a.pos[1],
        b.pos[2] - a.pos[2],
    );
    let (vx, vy, vz) = (
        b.vel[0] - a.vel[0],
        b.vel[1] - a.vel[1],
        b.vel[2] - a.vel[2],
    );
    // Horizontal: |d + v t|^2 < H^2.
    let qa = vx * vx + vy * vy;
    let qb = 2.0 * (dx * vx + dy * vy);
    let qc = dx * dx + dy * dy - p.horizontal_m * p.horizontal_m;
    let (mut lo, mut hi) = if qa < 1e-12 {
        if qc < 0.0 {
            (f64::NEG_INFINITY, f64::INFINITY)
        } else {
            return None;
        }
    } else {
        let disc = qb * qb - 4.0 * qa * qc;
        if disc <= 0.0 {
            return None;
        }
        let sq = disc.sqrt();
        ((-qb - sq) / (2.0 * qa), (-qb + sq) / (2.0 * qa))
    };
    // Vertical: |dz + vz t| < V.
    if vz.abs() < 1e-12 {
        if dz.abs() >= p.vertical_m {
            return None;
        }
    } else {
        let t1 = (-p.vertical_m - dz) / vz;
        let t2 = (p.vertical_m - dz) / vz;
        lo = lo.max(t1.min(t2));
        hi = hi.min(t1.max(t2));
    }
    (lo < hi).then_some((lo, hi))
}

/// Classifies one pair: `Some` if it is in conflict within the look-ahead (or in loss of
/// separation during the step).
pub fn check_pair(p: &Params, a: &Track, b: &Track) -> Option<(f64, f64)> {
    let horizon = p.lookahead_s.max(p.dt_s);
    let (t_in, t_out) = encounter_interval(p, a, b)?;
    let in_lookahead = t_in < horizon && t_out > 0.0;
    in_lookahead.then_some((t_in, t_out))
}

type Entry = GeomWithData<Rectangle<[f64; 3]>, u32>;

fn swept_box(p: &Params, t: &Track) -> AABB<[f64; 3]> {
    let horizon = p.lookahead_s.max(p.dt_s);
    // A millimetre more than half the minima: rounding never drops a pair.
    let grow = [
        0.5 * p.horizontal_m + 1e-3,
        0.5 * p.horizontal_m + 1e-3,
        0.5 * p.vertical_m + 1e-3,
    ];
    let mut lo = [0.0; 3];
    let mut hi = [0.0; 3];
    for k in 0..3 {
        let end = t.pos[k] + t.vel[k] * horizon;
        lo[k] = t.pos[k].min(end) - grow[k];
        hi[k] = t.pos[k].max(end) + grow[k];
    }
    AABB::from_corners(lo, hi)
}

/// Reusable detector; keeps its buffers between steps.
#[derive(Default)]
pub struct Detector {
    boxes: Vec<AABB<[f64; 3]>>,
}

impl Detector {
    /// All conflicting pairs among `tracks`, sorted by `(a, b)`, into `out` (cleared first).
    /// Runs on rayon's pool; the result does not depend on the number of threads.
    pub fn detect(&mut self, tracks: &[Track], p: &Params, out: &mut Vec<Encounter>) {
        out.clear();
        if tracks.len() < 2 {
            return;
        }
        tracks
            .par_iter()
            .map(|t| swept_box(p, t))
            .collect_into_vec(&mut self.boxes);
        let entries: Vec<Entry> = self
            .boxes
            .iter()
            .enumerate()
            .map(|(i, b)| GeomWithData::new(Rectangle::from_aabb(*b), i as u32))
            .collect();
        let tree = RTree::bulk_load(entries);
        let boxes = &self.boxes;
        const CHUNK: usize = 512;
        let parts: Vec<Vec<Encounter>> = (0..tracks.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut local = Vec::new();
                let mut js: Vec<u32> = Vec::new();
                for i in c * CHUNK..((c + 1) * CHUNK).min(tracks.len()) {
                    js.clear();
                    js.extend(
                        tree.locate_in_envelope_intersecting(&boxes[i])
                            .map(|e| e.data)
                            .filter(|&j| j as usize > i),
                    );
                    js.sort_unstable();
                    for &j in &js {
                        if let Some((t_in, t_out)) = check_pair(p, &tracks[i], &tracks[j as usize])
                        {
                            local.push(Encounter {
                                a: i as u32,
                                b: j,
                                t_in,
                                t_out,
                            });
                        }
                    }
                }
                local
            })
            .collect();
        for part in parts {
            out.extend(part);
        }
    }
}

/// The all-pairs reference: what [`Detector::detect`] must return, in O(n^2).
pub fn detect_brute_force(tracks: &[Track], p: &Params) -> Vec<Encounter> {
    let mut out = Vec::new();
    for i in 0..tracks.len() {
        for j in i + 1..tracks.len() {
            if let Some((t_in, t_out)) = check_pair(p, &tracks[i], &tracks[j]) {
                out.push(Encounter {
                    a: i as u32,
                    b: j as u32,
                    t_in,
                    t_out,
                });
            }
        }
    }
    out
}

/// Closest horizontal approach within `[t0, t1]`: `(time, horizontal_m, vertical_m)`.
pub fn closest_in(a: &Track, b: &Track, t0: f64, t1: f64) -> (f64, f64, f64) {
    let (dx, dy, dz) = (
        b.pos[0] - a.pos[0],
        b.pos[1] - a.pos[1],
        b.pos[2] - a.pos[2],
    );
    let (vx, vy, vz) = (
        b.vel[0] - a.vel[0],
        b.vel[1] - a.vel[1],
        b.vel[2] - a.vel[2],
    );
    let v2 = vx * vx + vy * vy;
    let t = if v2 < 1e-12 {
        t0
    } else {
        (-(dx * vx + dy * vy) / v2).clamp(t0, t1)
    };
    ((t), (dx + vx * t).hypot(dy + vy * t), (dz + vz * t).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        horizontal_m: 50.0,
        vertical_m: 15.0,
        lookahead_s: 30.0,
        dt_s: 1.0,
    };

    #[test]
    fn head_on_interval_by_hand() {
        // 630 m apart, 48 m lateral offset, closing at 20 m/s, same altitude:
        // inside 50 m when |dn| < 14, i.e. t in ((630-14)/20, (630+14)/20) = (30.8, 32.2).
        let a = Track {
            pos: [0.0, 0.0, 100.0],
            vel: [0.0, 10.0, 0.0],
        };
        let b = Track {
            pos: [48.0, 630.0, 100.0],
            vel: [0.0, -10.0, 0.0],
        };
        let (t_in, t_out) = encounter_interval(&P, &a, &b).unwrap();
        assert!(
            (t_in - 30.8).abs() < 1e-9 && (t_out - 32.2).abs() < 1e-9,
            "{t_in} {t_out}"
        );
        assert!(
            check_pair(&P, &a, &b).is_none(),
            "30.8 s is beyond the 30 s look-ahead"
        );
    }

    #[test]
    fn vertical_minimum_separates() {
        let a = Track {
            pos: [0.0, 0.0, 100.0],
            vel: [0.0, 0.0, 0.0],
        };
        let b = Track {
            pos: [10.0, 0.0, 115.0],
            vel: [0.0, 0.0, 0.0],
        };
        assert!(
            encounter_interval(&P, &a, &b).is_none(),
            "exactly 15 m apart is separated"
        );
        let c = Track {
            pos: [10.0, 0.0, 130.0],
            vel: [0.0, 0.0, -1.0],
        };
        let (t_in, t_out) = encounter_interval(&P, &a, &c).unwrap();
        assert!((t_in - 15.0).abs() < 1e-9 && (t_out - 45.0).abs() < 1e-9);
    }
}
