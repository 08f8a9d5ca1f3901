//! Sampled trajectories, for `run --trajectories` and the GeoJSON/CSV trajectory files:
//! every airborne drone's position every `interval_s` seconds, and where each flight
//! ended. Positions local `[east_m, north_m, alt_m]`, times seconds, speeds m/s.

use glam::DVec3;

use super::flight::{Airborne, Phase};
use crate::ids::FlightId;

/// What a drone was doing at a sampled point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointState {
    /// In the air, in this phase.
    Flying(Phase),
    /// Touched down at its destination (the flight's last point).
    Completed,
    /// Its battery ran out (the flight's last point).
    BatteryDepleted,
}

impl PointState {
    /// Its name in trajectory files: a phase's name, `completed` or `battery_depleted`.
    pub fn name(self) -> &'static str {
        match self {
            PointState::Flying(p) => p.name(),
            PointState::Completed => "completed",
            PointState::BatteryDepleted => "battery_depleted",
        }
    }
}

/// One sampled position of a flight, for trajectory outputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrajectoryPoint {
    /// The flight.
    pub flight: FlightId,
    /// Time, seconds.
    pub t_s: f64,
    /// `[east_m, north_m, alt_m]`.
    pub pos: DVec3,
    /// Speed, m/s.
    pub speed_mps: f64,
    /// What it was doing.
    pub state: PointState,
}

/// Positions sampled every `interval_s` while flights are in the air, plus where each
/// flight ended.
#[derive(Debug, Clone, Default)]
pub struct TrajectoryLog {
    /// Sampling interval, seconds.
    pub interval_s: f64,
    next_s: f64,
    /// Samples in time order (flights in stepping order within a time).
    pub points: Vec<TrajectoryPoint>,
}

impl TrajectoryLog {
    /// A log sampling every `interval_s` from `t_s` on (first sample at `t_s + interval_s`).
    pub fn new(t_s: f64, interval_s: f64) -> Self {
        TrajectoryLog {
            interval_s,
            next_s: t_s + interval_s,
            points: Vec::new(),
        }
    }

    /// A flight's last point, where it ended at `t_s`.
    pub(crate) fn end(&mut self, a: &Airborne, t_s: f64, state: PointState) {
        let speed_mps = match state {
            PointState::Completed => 0.0,
            _ => a.d.speed(),
        };
        self.points.push(TrajectoryPoint {
            flight: a.flight,
            t_s,
            pos: a.d.pos,
            speed_mps,
            state,
        });
    }

    /// Samples every drone in the air if a sample is due at `t_s`.
    pub(crate) fn sample(&mut self, airborne: &[Airborne], t_s: f64) {
        if t_s + 1e-9 < self.next_s {
            return;
        }
        for a in airborne {
            self.points.push(TrajectoryPoint {
                flight: a.flight,
                t_s,
                pos: a.d.pos,
                speed_mps: a.d.speed(),
                state: PointState::Flying(a.d.phase()),
            });
        }
        while self.next_s <= t_s + 1e-9 {
            self.next_s += self.interval_s;
        }
    }
}
