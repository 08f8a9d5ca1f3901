//! Sampled trajectories, for `run --trajectories` and the GeoJSON/CSV trajectory files:
//! every airborne drone's position every `interval_s` seconds, and where each flight
//! ended. Positions local `[east_m, north_m, alt_m]`, times seconds, speeds m/s.
//!
//! Points are kept in memory ([`TrajectoryLog::points`], for tests and the library), or
//! handed as they are sampled to a [`TrajectorySink`] that writes them out (the command
//! line's files), so that memory follows the drones in the air, not the day's samples.

use glam::DVec3;

use super::Fleet;
use super::flight::{Airborne, Phase};
use crate::ids::FlightId;
use crate::network::Network;

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

/// Where streamed trajectory points go, one by one as they are sampled (in time order,
/// flights in stepping order within a time), and what completes the output after the run.
pub trait TrajectorySink: Send + Sync {
    /// Takes one point.
    fn record(&mut self, p: &TrajectoryPoint, fleet: &Fleet, net: &Network) -> std::io::Result<()>;
    /// Completes the output once the run is over.
    fn finish(self: Box<Self>, fleet: &Fleet, net: &Network) -> std::io::Result<()>;
}

/// Positions sampled every `interval_s` while flights are in the air, plus where each
/// flight ended.
#[derive(Default)]
pub struct TrajectoryLog {
    /// Sampling interval, seconds.
    pub interval_s: f64,
    next_s: f64,
    /// Samples in time order (flights in stepping order within a time); empty when the
    /// points are streamed to a sink.
    pub points: Vec<TrajectoryPoint>,
    sink: Option<Box<dyn TrajectorySink>>,
    /// Whether points go (or went) to a sink: still true once it has finished.
    streamed: bool,
    /// The first error the sink returned (the step cannot return one).
    error: Option<std::io::Error>,
}

impl std::fmt::Debug for TrajectoryLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrajectoryLog")
            .field("interval_s", &self.interval_s)
            .field("points", &self.points.len())
            .field("streamed", &self.streamed)
            .finish()
    }
}

impl TrajectoryLog {
    /// A log sampling every `interval_s` from `t_s` on (first sample at `t_s + interval_s`),
    /// keeping its points in memory.
    pub fn new(t_s: f64, interval_s: f64) -> Self {
        TrajectoryLog {
            interval_s,
            next_s: t_s + interval_s,
            ..Default::default()
        }
    }

    /// The same, handing every point to `sink` instead of keeping it.
    pub fn streamed(t_s: f64, interval_s: f64, sink: Box<dyn TrajectorySink>) -> Self {
        TrajectoryLog {
            sink: Some(sink),
            streamed: true,
            ..Self::new(t_s, interval_s)
        }
    }

    /// Whether points go (or went) to a sink (then [`Self::points`] stays empty).
    pub fn is_streamed(&self) -> bool {
        self.streamed
    }

    /// Completes a streamed log's output (no-op for one kept in memory), reporting the first
    /// error the sink met during the run.
    pub fn finish(&mut self, fleet: &Fleet, net: &Network) -> std::io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match self.sink.take() {
            Some(sink) => sink.finish(fleet, net),
            None => Ok(()),
        }
    }

    fn push(&mut self, p: TrajectoryPoint, fleet: &Fleet, net: &Network) {
        match &mut self.sink {
            None => self.points.push(p),
            Some(sink) => {
                if self.error.is_none()
                    && let Err(e) = sink.record(&p, fleet, net)
                {
                    self.error = Some(e);
                }
            }
        }
    }

    /// A flight's last point, where it ended at `t_s`.
    pub(crate) fn end(
        &mut self,
        a: &Airborne,
        t_s: f64,
        state: PointState,
        fleet: &Fleet,
        net: &Network,
    ) {
        let speed_mps = match state {
            PointState::Completed => 0.0,
            _ => a.d.speed(),
        };
        let p = TrajectoryPoint {
            flight: a.flight,
            t_s,
            pos: a.d.pos,
            speed_mps,
            state,
        };
        self.push(p, fleet, net);
    }

    /// Samples every drone in the air if a sample is due at `t_s`.
    pub(crate) fn sample(&mut self, airborne: &[Airborne], t_s: f64, fleet: &Fleet, net: &Network) {
        if t_s + 1e-9 < self.next_s {
            return;
        }
        for a in airborne {
            let p = TrajectoryPoint {
                flight: a.flight,
                t_s,
                pos: a.d.pos,
                speed_mps: a.d.speed(),
                state: PointState::Flying(a.d.phase()),
            };
            self.push(p, fleet, net);
        }
        while self.next_s <= t_s + 1e-9 {
            self.next_s += self.interval_s;
        }
    }
}
