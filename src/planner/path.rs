//! A flight's 3D path and the one kinematic rule that moves a drone along it.
//!
//! The path is a polyline in local metres (`[east_m, north_m, alt_m]`): a vertical climb
//! from the pad, the lanes of the route (with altitude ramps where lanes change level),
//! and a vertical descent onto the destination pad. Distance along it (`s`, metres)
//! counts geodesic horizontal length and vertical length together.
//!
//! Motion: speed along the path changes linearly within a step, by at most
//! `accel_mps2 * dt`, never above the segment's limit, and always slow enough to brake to
//! the next lower limit or to the stop point ([`safe_speed`]). The planner runs this
//! rule unobstructed to get the 4D plan; the simulation runs the very same rule, so a
//! flight nobody delays arrives exactly on plan.

use crate::ids::LaneId;

/// One straight piece of a path.
#[derive(Debug, Clone, PartialEq)]
pub struct Seg {
    /// Start position `[east_m, north_m, alt_m]`.
    pub start: [f64; 3],
    /// Change of position per metre of path (a unit vector up to projection scale).
    pub dir: [f64; 3],
    /// Length along the path, metres.
    pub len_m: f64,
    /// Speed limit along the path, m/s (corridor limit, type cruise speed, climb or descent
    /// rate, whichever binds).
    pub u_max: f64,
    /// Lane this segment flies, or `None` for vertical climbs and descents.
    pub lane: Option<LaneId>,
}

/// A path: segments and where each starts along it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Path {
    /// Segments in order.
    pub segs: Vec<Seg>,
    /// `cum[k]` is the path distance at which segment `k` starts; `cum[len]` is the total.
    pub cum: Vec<f64>,
}

impl Seg {
    /// End position.
    pub fn end(&self) -> [f64; 3] {
        std::array::from_fn(|i| self.start[i] + self.dir[i] * self.len_m)
    }
}

impl Path {
    /// Builds a path through `points` (`[east_m, north_m, alt_m]`), where leg `k` has
    /// horizontal geodesic length `horiz_m[k]`, horizontal speed limit `vh[k]` and lane
    /// `lanes[k]`; `climb`/`descent` are the type's vertical rates.
    pub fn new(
        points: &[[f64; 3]],
        horiz_m: &[f64],
        vh: &[f64],
        lanes: &[Option<LaneId>],
        climb: f64,
        descent: f64,
    ) -> Path {
        let mut segs = Vec::with_capacity(points.len());
        let mut cum = vec![0.0];
        for k in 0..points.len() - 1 {
            let (a, b) = (points[k], points[k + 1]);
            let h = horiz_m[k];
            let z = b[2] - a[2];
            let len = h.hypot(z);
            if len < 1e-9 {
                continue;
            }
            let mut u_max = f64::INFINITY;
            if h > 1e-9 {
                u_max = u_max.min(vh[k] * len / h);
            }
            if z.abs() > 1e-9 {
                let rate = if z > 0.0 { climb } else { descent };
                u_max = u_max.min(rate * len / z.abs());
            }
            segs.push(Seg {
                start: a,
                dir: [(b[0] - a[0]) / len, (b[1] - a[1]) / len, z / len],
                len_m: len,
                u_max,
                lane: lanes[k],
            });
            cum.push(cum.last().unwrap() + len);
        }
        Path { segs, cum }
    }

    /// Total length, metres.
    pub fn total_m(&self) -> f64 {
        *self.cum.last().unwrap_or(&0.0)
    }

    /// The path distance reached from path distance `s` after `dh` metres of horizontal
    /// travel along the path (backward for a negative `dh`; vertical segments cover no
    /// horizontal distance), clamped to the path's ends.
    pub fn horizontal_from(&self, s: f64, dh: f64) -> f64 {
        let horiz = |k: usize| (1.0 - self.segs[k].dir[2].powi(2)).max(0.0).sqrt();
        let n = self.segs.len();
        let mut k = self.seg_at(s);
        let (mut s, mut left) = (s.clamp(0.0, self.total_m()), dh.abs());
        loop {
            let f = horiz(k);
            let room = if dh >= 0.0 {
                self.cum[k + 1] - s
            } else {
                s - self.cum[k]
            };
            if f > 1e-12 && room * f >= left {
                return if dh >= 0.0 {
                    s + left / f
                } else {
                    s - left / f
                };
            }
            left -= room * f;
            if dh >= 0.0 {
                if k + 1 >= n {
                    return self.total_m();
                }
                s = self.cum[k + 1];
                k += 1;
            } else {
                if k == 0 {
                    return 0.0;
                }
                s = self.cum[k];
                k -= 1;
            }
        }
    }

    /// Every run of segments that flies one lane, in order: the lane and its segments (see
    /// [`Path::lane_run`]); terminal legs left out.
    pub fn lane_runs(&self) -> impl Iterator<Item = (LaneId, std::ops::Range<usize>)> + '_ {
        let mut k = 0;
        std::iter::from_fn(move || {
            while k < self.segs.len() {
                let run = self.lane_run(k);
                k = run.end;
                if let Some(lane) = self.segs[run.start].lane {
                    return Some((lane, run));
                }
            }
            None
        })
    }

    /// The segments around segment `k` that fly its lane (or its terminal leg, for a
    /// segment with none), consecutively: `cum[run.start]` is where that lane starts on
    /// the path and `cum[run.end]` where it ends.
    pub fn lane_run(&self, k: usize) -> std::ops::Range<usize> {
        let lane = self.segs[k].lane;
        let mut start = k;
        while start > 0 && self.segs[start - 1].lane == lane {
            start -= 1;
        }
        let mut end = k + 1;
        while end < self.segs.len() && self.segs[end].lane == lane {
            end += 1;
        }
        start..end
    }

    /// The segment path distance `s` lies on (the first before the path's start, the last
    /// at or past its end).
    pub fn seg_at(&self, s: f64) -> usize {
        self.cum
            .partition_point(|&c| c <= s)
            .saturating_sub(1)
            .min(self.segs.len() - 1)
    }

    /// Position at path distance `s`, on the segment it lies on ([`Path::seg_at`]).
    pub fn point_at(&self, s: f64) -> [f64; 3] {
        self.position(self.seg_at(s), s)
    }

    /// Position at path distance `s` on segment `seg`.
    pub fn position(&self, seg: usize, s: f64) -> [f64; 3] {
        let g = &self.segs[seg];
        let o = s - self.cum[seg];
        [
            g.start[0] + g.dir[0] * o,
            g.start[1] + g.dir[1] * o,
            g.start[2] + g.dir[2] * o,
        ]
    }
}

/// Where a drone is on its path.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Motion {
    /// Distance along the path, metres.
    pub s: f64,
    /// Speed along the path, m/s.
    pub u: f64,
    /// Current segment.
    pub seg: u32,
}

/// Highest speed `u1` at the end of a step of `dt` that starting at `u` still lets the
/// drone brake at `a` to `limit` within `dist` metres: `u1^2 <= limit^2 + 2a(dist - (u+u1)dt/2)`.
/// Never below `limit` itself: a drone already at or under it may pass the point.
pub fn safe_speed(u: f64, dist: f64, limit: f64, a: f64, dt: f64) -> f64 {
    let c = limit * limit + 2.0 * a * dist - a * dt * u;
    let disc = a * a * dt * dt + 4.0 * c;
    let brake = if disc <= 0.0 {
        0.0
    } else {
        (-a * dt + disc.sqrt()) / 2.0
    };
    brake.max(limit).max(0.0)
}

/// Moves `m` one step of `dt` along `path`, accelerating at most `a`, stopping at path
/// distance `stop_at` (the end, or a hold point). Returns the distance moved.
pub fn advance(path: &Path, m: &mut Motion, a: f64, dt: f64, stop_at: f64) -> f64 {
    advance_capped(path, m, a, dt, stop_at, f64::INFINITY)
}

/// [`advance`] at tactical speed `cap` m/s: below the segment's limit it caps the speed;
/// above it, on a lane segment, it is the speed to fly (tactical resolution speeding a
/// drone up, within its lane's limit and its type's top speed), still slowing in time
/// for the segments ahead. Off lanes a cap only lowers speed.
pub fn advance_capped(path: &Path, m: &mut Motion, a: f64, dt: f64, stop_at: f64, cap: f64) -> f64 {
    advance_limited(path, m, (a, dt), stop_at, cap, |k| path.segs[k].u_max)
}

/// [`advance_capped`] with each segment's speed limit from `u_max(k)` instead of the
/// plan's (a drone flying in another wind than its plan's, or at another airspeed).
pub fn advance_limited(
    path: &Path,
    m: &mut Motion,
    (a, dt): (f64, f64),
    stop_at: f64,
    cap: f64,
    u_max: impl Fn(usize) -> f64,
) -> f64 {
    // A stop point already passed (the end of a gate queue that grew past the drone) means
    // stop here: never move backwards.
    let stop_at = stop_at.max(m.s);
    let k = m.seg as usize;
    let seg = &path.segs[k];
    let u_k = u_max(k);
    let limit = if cap > u_k && cap.is_finite() && seg.lane.is_some() {
        cap
    } else {
        u_k.min(cap)
    };
    let mut target = limit.min(m.u + a * dt);
    // How far ahead a point can slow it this step: from farther off, braking for it at
    // `a` from the fastest it can be by the end of the step (`v = u + a dt`) still fits
    // (`safe_speed` is at least `v` when `dist >= v^2/2a + (u + v) dt/2`; a metre spare).
    let reach = (m.u + a * dt).powi(2) / (2.0 * a) + (m.u + a * dt) * dt + 1.0;
    // Points out of reach, or whose limit is no lower than the target so far, leave the
    // target as it is: their square roots are not taken.
    if stop_at - m.s < reach {
        target = target.min(safe_speed(m.u, stop_at - m.s, 0.0, a, dt));
    }
    let mut j = k + 1;
    while j < path.segs.len() && path.cum[j] - m.s < reach {
        if path.cum[j] >= stop_at {
            break;
        }
        let u_j = u_max(j);
        if u_j < target {
            target = target.min(safe_speed(m.u, path.cum[j] - m.s, u_j, a, dt));
        }
        j += 1;
    }
    let u1 = target.max(m.u - a * dt).max(0.0);
    let mut d = 0.5 * (m.u + u1) * dt;
    if m.s + d >= stop_at - 1e-6 {
        d = (stop_at - m.s).max(0.0);
        m.s = stop_at;
        m.u = 0.0;
    } else {
        m.s += d;
        m.u = u1;
    }
    let last = path.segs.len() - 1;
    while (m.seg as usize) < last && path.cum[m.seg as usize + 1] <= m.s {
        m.seg += 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn straight(len: f64, vh: f64) -> Path {
        Path::new(
            &[
                [0.0, 0.0, 0.0],
                [0.0, 0.0, 100.0],
                [0.0, len, 100.0],
                [0.0, len, 0.0],
            ],
            &[0.0, len, 0.0],
            &[vh, vh, vh],
            &[None, Some(LaneId(0)), None],
            10.0,
            5.0,
        )
    }

    #[test]
    fn accelerates_linearly_then_cruises() {
        let p = straight(2400.0, 10.0);
        let mut m = Motion::default();
        advance(&p, &mut m, 10.0, 1.0, p.total_m());
        assert_eq!((m.s, m.u), (5.0, 10.0));
        for _ in 0..20 {
            advance(&p, &mut m, 10.0, 1.0, p.total_m());
        }
        assert_eq!(m.s, 205.0);
        assert_eq!(m.seg, 1);
    }

    #[test]
    fn never_exceeds_a_segment_limit_and_lands_at_rest() {
        let p = straight(3000.0, 20.0);
        let mut m = Motion::default();
        let mut steps = 0;
        while m.s < p.total_m() {
            let before = m;
            advance(&p, &mut m, 2.0, 1.0, p.total_m());
            let seg = &p.segs[m.seg as usize];
            assert!(
                m.u <= seg.u_max + 1e-9,
                "speed {} over limit {} at s={}",
                m.u,
                seg.u_max,
                m.s
            );
            assert!((m.u - before.u).abs() <= 2.0 + 1e-9);
            steps += 1;
            assert!(steps < 10_000, "never arrived");
        }
        assert_eq!(m.u, 0.0);
        assert_eq!(m.s, p.total_m());
    }

    #[test]
    fn stops_at_a_hold_point() {
        let p = straight(1000.0, 15.0);
        let hold = p.cum[2];
        let mut m = Motion::default();
        for _ in 0..500 {
            advance(&p, &mut m, 2.0, 1.0, hold);
        }
        assert_eq!(m.s, hold);
        assert_eq!(m.u, 0.0);
    }

    /// [`advance_limited`] as it was before it skipped the points that cannot slow the
    /// drone: every point within reach braked for, its square root taken.
    fn advance_every_point(
        path: &Path,
        m: &mut Motion,
        (a, dt): (f64, f64),
        stop_at: f64,
        u_max: impl Fn(usize) -> f64,
    ) {
        let stop_at = stop_at.max(m.s);
        let mut target = u_max(m.seg as usize).min(m.u + a * dt);
        let reach = (m.u + a * dt).powi(2) / (2.0 * a) + (m.u + a * dt) * dt + 1.0;
        target = target.min(safe_speed(m.u, stop_at - m.s, 0.0, a, dt));
        let mut j = m.seg as usize + 1;
        while j < path.segs.len() && path.cum[j] - m.s < reach && path.cum[j] < stop_at {
            target = target.min(safe_speed(m.u, path.cum[j] - m.s, u_max(j), a, dt));
            j += 1;
        }
        let u1 = target.max(m.u - a * dt).max(0.0);
        let d = 0.5 * (m.u + u1) * dt;
        if m.s + d >= stop_at - 1e-6 {
            (m.s, m.u) = (stop_at, 0.0);
        } else {
            (m.s, m.u) = (m.s + d, u1);
        }
        while (m.seg as usize) < path.segs.len() - 1 && path.cum[m.seg as usize + 1] <= m.s {
            m.seg += 1;
        }
    }

    proptest::proptest! {
        /// Skipping the points out of reach and those whose limit does not bind changes
        /// no move, bit for bit: flights over short segments of mixed limits, with a
        /// hold point, from any speed.
        #[test]
        fn skipping_points_that_cannot_bind_changes_no_move(
            lens in proptest::collection::vec(1.0..400.0f64, 3..12),
            limits in proptest::collection::vec(2.0..30.0f64, 12),
            (a, dt) in (0.5..6.0f64, proptest::sample::select(vec![0.25, 0.5, 1.0, 2.0])),
            u0 in 0.0..35.0f64,
            hold in 0.0..1.0f64,
        ) {
            let n = lens.len();
            let mut pts = vec![[0.0, 0.0, 0.0], [0.0, 0.0, 100.0]];
            let mut y = 0.0;
            for len in &lens {
                y += len;
                pts.push([0.0, y, 100.0]);
            }
            pts.push([0.0, y, 0.0]);
            let mut horiz = vec![0.0];
            horiz.extend(&lens);
            horiz.push(0.0);
            let vh: Vec<f64> = (0..n + 2).map(|k| limits[k % limits.len()]).collect();
            let lanes = vec![Some(LaneId(0)); n + 2];
            let p = Path::new(&pts, &horiz, &vh, &lanes, 10.0, 5.0);
            let stop_at = p.total_m() * (0.5 + hold / 2.0);
            let u_max = |k: usize| p.segs[k].u_max;
            let (mut got, mut want) = (Motion { u: u0, ..Motion::default() }, Motion { u: u0, ..Motion::default() });
            for _ in 0..2_000 {
                advance_limited(&p, &mut got, (a, dt), stop_at, f64::INFINITY, u_max);
                advance_every_point(&p, &mut want, (a, dt), stop_at, u_max);
                proptest::prop_assert_eq!(got, want);
                if got.s >= stop_at {
                    break;
                }
            }
        }
    }
}
