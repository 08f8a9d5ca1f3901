//! Vertiport terminal areas: where each vertiport's FATOs, fix and connector lanes are.
//!
//! A scenario's vertiport node is where its corridors meet, a junction in the air. Its
//! terminal area stands beside it, by one rule (overridable per vertiport with
//! [`TerminalLayout`]):
//! - the **connector**: a two-way corridor from the junction along `bearing_deg` (default:
//!   the middle of the widest angle between the corridors meeting there), `connector_m`
//!   long (default 400 m), with the lowest corridor's speed limit and the shortest headway
//!   of the corridors there. Arrivals fly it at the level of the lanes that arrive at the
//!   junction and departures at the level of those that leave it, so a drone changes no
//!   level there, when those levels are one each and a vertical minimum apart; otherwise
//!   arrivals fly the upper and departures the lower half of the lowest corridor's band
//!   (a vertical minimum apart or more, checked);
//! - the **fix** at the connector's end: where arrivals ask for a FATO, hold in a stack
//!   over it (levels one vertical minimum apart from the arrival level, growing away from
//!   the departure level) when none is free, and where departures join the connector;
//! - the **FATOs** on an arc around the fix, `approach_m` from it, centred on the bearing
//!   and `fato_spacing_m` apart (default: the larger of 61 m, FAA AC 150/5390-2D's 200 ft
//!   between FATOs used at the same time, and 1.2 horizontal minima). An approach is
//!   flown level at the arrival level from the fix to above its FATO, then straight down;
//!   a departure climbs straight up to the departure level, then flies level to the fix.
//!   The approach distance is the smallest (at least 100 m) that keeps the arc within
//!   [`FAN_DEG`] and every level leg 1.05 horizontal minima from every other FATO's
//!   column, so movements on different FATOs are separated by construction. Every leg is
//!   as long as every other, so a route flown from or to any of the FATOs takes the same
//!   time: which FATO a flight is given changes where it lands, never when (strategic
//!   deconfliction books FATOs as interchangeable slots).
//!
//! The terminal volume is a circle around the middle of the arc with the approach
//! distance plus one horizontal minimum as radius (it holds the fix and every FATO): no
//! other lane may pass through it (a validation error names the corridor and the point).

use crate::ids::{LaneId, NodeId};
use crate::scenario::TerminalLayout;

/// Default connector length, metres.
pub const DEFAULT_CONNECTOR_M: f64 = 400.0;
/// FAA AC 150/5390-2D: 200 ft between FATOs used simultaneously, metres.
pub const FAA_SIMULTANEOUS_FATO_M: f64 = 61.0;
/// Widest angle the FATOs' arc spans as seen from the fix, degrees.
pub const FAN_DEG: f64 = 120.0;
/// Default levels of the holding stack.
pub const DEFAULT_STACK_LEVELS: u32 = 4;

/// A vertiport's terminal area, placed.
#[derive(Debug, Clone)]
pub struct Terminal {
    /// The vertiport (its scenario node, the junction of its corridors).
    pub node: NodeId,
    /// The fix node at the end of the connector.
    pub fix: NodeId,
    /// The connector lane from the junction to the fix (arrivals).
    pub arrival_lane: LaneId,
    /// The connector lane from the fix to the junction (departures).
    pub departure_lane: LaneId,
    /// Unit vector from the junction toward the FATOs, local `[east, north]`.
    pub axis: [f64; 2],
    /// The fix, local `[east_m, north_m]`.
    pub fix_en: [f64; 2],
    /// FATO centres, local `[east_m, north_m]`.
    pub fatos: Vec<[f64; 2]>,
    /// Ground altitude of the FATOs, metres.
    pub ground_alt_m: f64,
    /// Stands for turnarounds.
    pub stands: u32,
    /// Turnaround on a stand, seconds.
    pub turnaround_s: f64,
    /// Arrival level at the fix, metres.
    pub arrival_alt_m: f64,
    /// Departure level at the fix, metres.
    pub departure_alt_m: f64,
    /// Levels of the holding stack over the fix (level k at
    /// `arrival_alt_m + k * stack_spacing_m`, k = 1..=levels).
    pub stack_levels: u32,
    /// Vertical step from one stack level to the next, metres: the vertical minimum plus
    /// 1 m, upward when arrivals fly above departures, else downward (negative).
    pub stack_spacing_m: f64,
    /// Horizontal distance a drone keeps from the fix while it changes level to or from the
    /// stack, and between places in the line behind a full stack, metres (1.1 horizontal
    /// minima).
    pub clear_m: f64,
    /// Middle of the FATOs' arc, local `[east_m, north_m]`.
    pub centre: [f64; 2],
    /// Radius of the terminal volume around `centre`, metres.
    pub radius_m: f64,
    /// Distance from the fix to every FATO (the radius of their arc), metres.
    pub approach_m: f64,
    /// Distance between FATO centres, metres.
    pub fato_spacing_m: f64,
    /// How far from the fix two drones on the legs of different FATOs can come within
    /// 1.05 horizontal minima of each other (the legs converge there): beyond it, their
    /// angle keeps them apart; 0 with one FATO, metres.
    pub fan_m: f64,
    /// How far along the connectors from the junction a drone is still "at the junction":
    /// where the connector and the nearest corridor there are less than one horizontal
    /// minimum apart (`h / (2 sin(a / 2))` for the smallest angle `a` between them, at
    /// least one minimum), metres.
    pub junction_m: f64,
    /// Distance along their path between two drones in trail to the fix (waiting in line
    /// or following): 1.05 horizontal minima over `sin(a / 2)` for the smallest angle `a`
    /// at the junction (so two drones on either side of its turn are still that far apart
    /// in a straight line), at least `clear_m`, metres.
    pub trail_m: f64,
}

impl Terminal {
    /// Altitude of stack level `k` (1-based), metres.
    pub fn stack_alt_m(&self, k: u32) -> f64 {
        self.arrival_alt_m + f64::from(k) * self.stack_spacing_m
    }
}

/// The geometry of a terminal from its junction, before lanes exist.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub axis: [f64; 2],
    pub fix_en: [f64; 2],
    pub fatos: Vec<[f64; 2]>,
    pub centre: [f64; 2],
    pub radius_m: f64,
    pub approach_m: f64,
    pub fato_spacing_m: f64,
    pub fan_m: f64,
}

/// The bearing (radians, clockwise from north) in the middle of the widest gap between
/// `bearings` (radians); north without any.
pub(super) fn widest_gap(bearings: &[f64]) -> f64 {
    use std::f64::consts::TAU;
    let mut b: Vec<f64> = bearings.iter().map(|x| x.rem_euclid(TAU)).collect();
    b.sort_by(f64::total_cmp);
    let Some(&first) = b.first() else {
        return 0.0;
    };
    let mut best = (first + TAU - b[b.len() - 1], b[b.len() - 1]);
    for w in b.windows(2) {
        if w[1] - w[0] > best.0 + 1e-12 {
            best = (w[1] - w[0], w[0]);
        }
    }
    (best.1 + best.0 / 2.0).rem_euclid(TAU)
}

/// Lays out a terminal at `junction` with `fatos` FATOs along `bearing` (radians), for a
/// horizontal minimum `h_min`.
pub(crate) fn layout(
    junction: [f64; 2],
    bearing: f64,
    fatos: u32,
    over: &TerminalLayout,
    h_min: f64,
) -> Layout {
    let axis = [bearing.sin(), bearing.cos()];
    let across = [axis[1], -axis[0]];
    let spacing = over
        .fato_spacing_m
        .unwrap_or(FAA_SIMULTANEOUS_FATO_M.max(1.2 * h_min));
    // On an arc of radius r around the fix, FATOs `spacing` apart (chord) are 2 asin(x)
    // apart in angle, x = spacing / 2r, and a leg passes the next FATO's column at
    // r sin(2 asin(x)) = spacing * sqrt(1 - x^2). The arc spans at most FAN_DEG, and that
    // distance is at least 1.05 minima: r from both.
    let k = (1.05 * h_min / spacing).min(0.99);
    let gaps = f64::from(fatos.saturating_sub(1)).max(1.0);
    let half_step = (FAN_DEG.to_radians() / (2.0 * gaps)).sin();
    let approach_m = (spacing / (2.0 * half_step))
        .max(spacing / (2.0 * (1.0 - k * k).sqrt()))
        .max(100.0)
        .ceil();
    let step = 2.0 * (spacing / (2.0 * approach_m)).asin();
    let connector = over.connector_m.unwrap_or(DEFAULT_CONNECTOR_M);
    let fix_en = [
        junction[0] + connector * axis[0],
        junction[1] + connector * axis[1],
    ];
    let at = |angle: f64| {
        let (sin, cos) = angle.sin_cos();
        [
            fix_en[0] + approach_m * (cos * axis[0] + sin * across[0]),
            fix_en[1] + approach_m * (cos * axis[1] + sin * across[1]),
        ]
    };
    // Two drones on legs `step` apart, both farther than this from the fix, are at least
    // this times sin(step) apart.
    let fan_m = if fatos > 1 {
        (1.05 * h_min / step.sin().max(1e-3)).min(approach_m)
    } else {
        0.0
    };
    let fatos = (0..fatos)
        .map(|i| at((f64::from(i) - 0.5 * f64::from(fatos - 1)) * step))
        .collect();
    Layout {
        axis,
        fix_en,
        fatos,
        centre: at(0.0),
        radius_m: approach_m + h_min,
        approach_m,
        fato_spacing_m: spacing,
        fan_m,
    }
}

/// Shortest distance from `p` to the polyline `line`, and the closest point.
pub(super) fn distance_to_line(p: [f64; 2], line: &[[f64; 2]]) -> (f64, [f64; 2]) {
    let mut best = (f64::INFINITY, p);
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let d = [b[0] - a[0], b[1] - a[1]];
        let len2 = d[0] * d[0] + d[1] * d[1];
        let t = if len2 > 0.0 {
            (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let q = [a[0] + t * d[0], a[1] + t * d[1]];
        let dist = (p[0] - q[0]).hypot(p[1] - q[1]);
        if dist < best.0 {
            best = (dist, q);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widest_gap_is_between_the_two_farthest_corridors() {
        let deg = f64::to_radians;
        // Corridors to the north and east: the gap from east round to north is 270 deg,
        // its middle is south-west (225 deg).
        let b = widest_gap(&[deg(0.0), deg(90.0)]);
        assert!((b.to_degrees() - 225.0).abs() < 1e-9, "{}", b.to_degrees());
        assert!((widest_gap(&[deg(10.0)]).to_degrees() - 190.0).abs() < 1e-9);
        assert_eq!(widest_gap(&[]), 0.0);
    }

    #[test]
    fn level_legs_keep_clear_of_other_columns() {
        // Four FATOs 61 m apart for a 50 m minimum: every leg from the fix to one FATO
        // passes the other columns at 1.05 minima or more.
        let l = layout([0.0, 0.0], 0.0, 4, &TerminalLayout::default(), 50.0);
        assert_eq!(l.fato_spacing_m, 61.0);
        for (i, a) in l.fatos.iter().enumerate() {
            for (j, b) in l.fatos.iter().enumerate() {
                if i != j {
                    let (d, _) = distance_to_line(*b, &[l.fix_en, *a]);
                    assert!(d >= 52.5 - 1e-6, "leg to {i} passes {j} at {d}");
                }
            }
        }
        assert!(l.approach_m >= 100.0);
        // Every FATO as far from the fix: the legs take the same time.
        for f in &l.fatos {
            let r = (f[0] - l.fix_en[0]).hypot(f[1] - l.fix_en[1]);
            assert!((r - l.approach_m).abs() < 1e-6, "{r}");
        }
        // 16 FATOs: the arc spans no more than the fan.
        let l = layout([0.0, 0.0], 0.0, 16, &TerminalLayout::default(), 30.0);
        let angle = |p: &[f64; 2]| (p[0] - l.fix_en[0]).atan2(p[1] - l.fix_en[1]);
        let span = angle(&l.fatos[15]) - angle(&l.fatos[0]);
        assert!(
            span.abs().to_degrees() <= FAN_DEG + 1e-6,
            "{}",
            span.to_degrees()
        );
    }
}
