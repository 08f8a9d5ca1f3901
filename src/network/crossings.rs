//! Where lanes cross away from nodes: conflict points of the network, found once from its
//! geometry. Two lanes cross when their centre lines intersect in plan view more than a
//! metre from either lane's ends (a meeting at a node is a junction), whatever their
//! levels: a drone changing level at a lane's start may pass the other's level there
//! (strategic deconfliction compares the altitudes each drone flies in the zone).

use super::Lane;
use crate::ids::LaneId;

/// A crossing of two lanes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    /// The two lanes, lower index first.
    pub lanes: (LaneId, LaneId),
    /// Horizontal distance from each lane's start to the crossing, metres (geodesic
    /// lengths, in the proportion of the local leg).
    pub along_m: (f64, f64),
    /// How far from the crossing, along either lane, a drone is in its zone: 1.05
    /// horizontal minima over `2 sin(a / 2)` for the crossing angle `a` (so one drone
    /// leaving the zone and one entering it are a minimum apart), and at least 1.5
    /// minima, metres.
    pub zone_m: f64,
    /// The larger of the two lanes' vertical minima, metres.
    pub vertical_m: f64,
}

/// Every crossing of `lanes`, in lane order.
pub fn crossings(lanes: &[Lane]) -> Vec<Crossing> {
    // Candidate pairs from an R-tree of the lanes' bounding boxes (a region-scale network
    // has tens of thousands of lanes: all pairs would be billions of checks), visited in
    // the order of the all-pairs loop so the result is the same.
    let (boxes, tree) = lane_boxes(lanes);
    let mut out = Vec::new();
    let mut near: Vec<usize> = Vec::new();
    for (ia, a) in lanes.iter().enumerate() {
        near.clear();
        near.extend(
            tree.locate_in_envelope_intersecting(&boxes[ia].envelope())
                .map(|g| g.data)
                .filter(|&ib| ib > ia),
        );
        near.sort_unstable();
        for &ib in &near {
            let b = &lanes[ib];
            let v = a.minima[1].max(b.minima[1]);
            let h = a.minima[0].max(b.minima[0]);
            for (da, db, angle) in intersections(a, b) {
                let ends = |d: f64, l: &Lane| d < 1.0 || l.length_m - d < 1.0;
                if ends(da, a) || ends(db, b) {
                    continue;
                }
                let half = (angle / 2.0).sin().max(1e-3);
                out.push(Crossing {
                    lanes: (LaneId::new(ia), LaneId::new(ib)),
                    along_m: (da, db),
                    zone_m: (1.05 * h / (2.0 * half)).clamp(1.5 * h, 20.0 * h),
                    vertical_m: v,
                });
            }
        }
    }
    out
}

type Rect = rstar::primitives::Rectangle<[f64; 2]>;
use rstar::RTreeObject;
use rstar::primitives::GeomWithData;

/// An R-tree of lane bounding boxes (grown by a metre), each tagged with its lane index.
pub(crate) type LaneTree = rstar::RTree<GeomWithData<Rect, usize>>;

/// The lanes' bounding boxes and an R-tree of them.
pub(crate) fn lane_boxes(lanes: &[Lane]) -> (Vec<Rect>, LaneTree) {
    let boxes: Vec<Rect> = lanes
        .iter()
        .map(|l| {
            let lo = l
                .points
                .iter()
                .fold([f64::INFINITY; 2], |m, p| [m[0].min(p[0]), m[1].min(p[1])]);
            let hi = l.points.iter().fold([f64::NEG_INFINITY; 2], |m, p| {
                [m[0].max(p[0]), m[1].max(p[1])]
            });
            Rect::from_corners([lo[0] - 1.0, lo[1] - 1.0], [hi[0] + 1.0, hi[1] + 1.0])
        })
        .collect();
    let tree = rstar::RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .map(|(i, r)| GeomWithData::new(*r, i))
            .collect(),
    );
    (boxes, tree)
}

/// Indices of the lanes whose bounding box meets the square of half-side `r` about `c`,
/// in increasing order.
pub(crate) fn lanes_near(tree: &LaneTree, c: [f64; 2], r: f64) -> Vec<usize> {
    let env = rstar::AABB::from_corners([c[0] - r, c[1] - r], [c[0] + r, c[1] + r]);
    let mut v: Vec<usize> = tree
        .locate_in_envelope_intersecting(&env)
        .map(|g| g.data)
        .collect();
    v.sort_unstable();
    v
}

/// Plan-view intersections of two lanes' legs: distance along each (geodesic, scaled
/// within the leg) and the angle between them (radians, 0 to pi).
fn intersections(a: &Lane, b: &Lane) -> Vec<(f64, f64, f64)> {
    let mut out = Vec::new();
    let mut sa = 0.0;
    for (i, wa) in a.points.windows(2).enumerate() {
        let mut sb = 0.0;
        for (j, wb) in b.points.windows(2).enumerate() {
            if let Some((ta, tb, angle)) = segment_cross(wa[0], wa[1], wb[0], wb[1]) {
                out.push((sa + ta * a.leg_m[i], sb + tb * b.leg_m[j], angle));
            }
            sb += b.leg_m[j];
        }
        sa += a.leg_m[i];
    }
    out
}

/// Where segments `p0-p1` and `q0-q1` cross: the fraction along each and the angle
/// between them; `None` when they do not (or are parallel).
fn segment_cross(
    p0: [f64; 2],
    p1: [f64; 2],
    q0: [f64; 2],
    q1: [f64; 2],
) -> Option<(f64, f64, f64)> {
    let r = [p1[0] - p0[0], p1[1] - p0[1]];
    let s = [q1[0] - q0[0], q1[1] - q0[1]];
    let den = r[0] * s[1] - r[1] * s[0];
    if den.abs() < 1e-9 {
        return None;
    }
    let qp = [q0[0] - p0[0], q0[1] - p0[1]];
    let t = (qp[0] * s[1] - qp[1] * s[0]) / den;
    let u = (qp[0] * r[1] - qp[1] * r[0]) / den;
    if !(0.0..=1.0).contains(&t) || !(0.0..=1.0).contains(&u) {
        return None;
    }
    let (lr, ls) = (r[0].hypot(r[1]), s[0].hypot(s[1]));
    let cos = ((r[0] * s[0] + r[1] * s[1]) / (lr * ls)).clamp(-1.0, 1.0);
    Some((t, u, cos.acos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perpendicular_segments_cross_in_their_middles() {
        let (t, u, a) = segment_cross([-1.0, 0.0], [1.0, 0.0], [0.0, -1.0], [0.0, 1.0]).unwrap();
        assert_eq!((t, u), (0.5, 0.5));
        assert!((a - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        assert!(segment_cross([0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]).is_none());
    }
}
