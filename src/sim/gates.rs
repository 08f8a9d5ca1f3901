//! Border gates: each clears one drone per `3600 / capacity_per_hour` seconds, first
//! asked first cleared; the others stop in line before the gate, one queue spacing apart.
//!
//! A drone asks within braking reach of the end of its next gate's queue. Its place in
//! line (`gate_slot` on its [`Dynamics`](super::Dynamics)) changes only when a queue does.
//! Times in seconds, distances in metres.
//!
//! Owns: every gate's queue and counters, and per flight the seconds waited, whether it is
//! queued and when a gate last cleared it. Does not own: the drones' motion (the motion
//! phase asks the gates where to stop them in line).

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use super::Fleet;
use super::flight::Airborne;
use crate::ids::FlightId;
use crate::network::Network;

/// A border gate's queue and counters.
#[derive(Debug, Default, Clone, Serialize)]
pub struct GateStats {
    /// Drones it cleared.
    pub passages: u64,
    /// Total seconds drones waited from their request to their clearance.
    pub wait_total_s: f64,
    /// Longest wait, seconds.
    pub wait_max_s: f64,
    /// Longest queue (drones waiting at once).
    pub max_queue: u64,
    #[serde(skip)]
    queue: VecDeque<(FlightId, f64)>,
    #[serde(skip)]
    next_free_s: f64,
    #[serde(skip)]
    spacing_s: f64,
}

impl GateStats {
    /// Drones waiting in its queue now.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }
}

/// Longest gate line, in drones, that a drone allows for when it asks for clearance.
const MAX_LINE: usize = 32;

/// Every border gate of the network, and what they did to each flight.
#[derive(Debug, Clone)]
pub struct Gates {
    /// Per node (default for nodes that are not gates).
    stats: Vec<GateStats>,
    /// Whether the network has any gate (else the phase is skipped).
    any: bool,
    /// Per flight, seconds waited at border gates.
    wait_s: Vec<f64>,
    /// Per flight, whether it is in a gate's queue now.
    queued: Vec<bool>,
    /// Per flight, when a border gate last cleared it (NaN if none has).
    cleared_s: Vec<f64>,
    /// Distance between drones queued at a gate, metres.
    spacing_m: f64,
}

impl Gates {
    /// The gates of `net` for `flights` flights, queues empty.
    pub fn new(net: &Network, flights: usize) -> Self {
        let stats = net
            .nodes
            .iter()
            .map(|n| GateStats {
                spacing_s: n.gate_spacing_s().unwrap_or(0.0),
                ..Default::default()
            })
            .collect();
        let any = net.nodes.iter().any(|n| n.gate_spacing_s().is_some());
        // Per flight only where there are gates (17 bytes a flight otherwise spent on
        // nothing).
        let per_flight = if any { flights } else { 0 };
        Gates {
            stats,
            any,
            wait_s: vec![0.0; per_flight],
            queued: vec![false; per_flight],
            cleared_s: vec![f64::NAN; per_flight],
            // The largest horizontal minimum plus 10 m: a queue never loses separation.
            spacing_m: net.max_minima[0] + 10.0,
        }
    }

    /// Per node, the gate's counters (default for nodes that are not gates).
    pub fn stats(&self) -> &[GateStats] {
        &self.stats
    }

    /// Seconds a flight waited at border gates.
    pub fn wait_s(&self, flight: FlightId) -> f64 {
        self.wait_s.get(flight.index()).copied().unwrap_or(0.0)
    }

    /// When a border gate last cleared a flight (NaN if none has).
    pub fn cleared_s(&self, flight: FlightId) -> f64 {
        self.cleared_s
            .get(flight.index())
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// Where a drone must stop for its next gate: its place in line (`slot` queue
    /// spacings before the gate at path distance `s_gate`), or where it can brake (`brake`)
    /// if the line already reaches past it.
    pub(crate) fn stop_before(&self, s_gate: f64, slot: u16, brake: f64) -> f64 {
        (s_gate - f64::from(slot) * self.spacing_m).max(brake)
    }

    /// Whether a flight is in a gate's queue now.
    pub(crate) fn is_queued(&self, flight: FlightId) -> bool {
        self.queued.get(flight.index()).copied().unwrap_or(false)
    }

    /// One step at time `t`: drones near their next gate join its queue, each gate clears
    /// those whose turn has come, and places in line are handed out again if a queue
    /// changed. By the book (strategic deconfliction on), every passage is booked a slot
    /// the gate's spacing from the others, so the gate clears each drone as it asks.
    pub(crate) fn clear(
        &mut self,
        t: f64,
        dt: f64,
        airborne: &mut [Airborne],
        fleet: &Fleet,
        by_the_book: bool,
    ) {
        if !self.any {
            return;
        }
        let joined = self.join(t, dt, airborne, fleet);
        let mut cleared = self.pass(t, dt, by_the_book);
        // Places in line change only when a queue does.
        if joined || !cleared.is_empty() {
            cleared.sort_unstable();
            let mut slots = BTreeMap::new();
            for g in &self.stats {
                for (k, q) in g.queue.iter().enumerate() {
                    slots.insert(q.0, k as u16);
                }
            }
            for a in airborne.iter_mut() {
                if cleared.binary_search(&a.flight).is_ok() {
                    a.d.gates_cleared += 1;
                    a.d.at_gate = false;
                }
                a.d.gate_slot = slots.get(&a.flight).copied().unwrap_or(0);
            }
        }
    }

    /// Drones within braking reach of the end of their next gate's line ask for
    /// clearance; whether any did.
    fn join(&mut self, t: f64, dt: f64, airborne: &[Airborne], fleet: &Fleet) -> bool {
        let mut joined = false;
        for a in airborne {
            let plan = fleet.plan(a.flight);
            let Some(&(s_gate, node)) = plan.gates.get(a.d.gates_cleared as usize) else {
                continue;
            };
            let reach =
                a.d.asking_reach_m(fleet.drone_type(a.flight).accel_mps2, dt);
            let g = &mut self.stats[node.index()];
            // (The line counts at most MAX_LINE drones: in a stream denser than the
            // queue spacing, joining must not lengthen the line without bound.)
            let line = g.queue.len().min(MAX_LINE) as f64 * self.spacing_m;
            let queued = &mut self.queued[a.flight.index()];
            if s_gate - a.d.motion.s <= reach + line && !*queued {
                *queued = true;
                joined = true;
                g.queue.push_back((a.flight, t));
                g.max_queue = g.max_queue.max(g.queue.len() as u64);
            }
        }
        joined
    }

    /// Each gate clears the drones whose slot falls in this step; the flights cleared.
    fn pass(&mut self, t: f64, dt: f64, by_the_book: bool) -> Vec<FlightId> {
        let mut cleared = Vec::new();
        for g in &mut self.stats {
            let spacing = if by_the_book { 0.0 } else { g.spacing_s };
            while !g.queue.is_empty() && g.next_free_s < t + dt - 1e-9 {
                let (f, asked) = g.queue.pop_front().expect("not empty");
                let slot = g.next_free_s.max(t);
                g.next_free_s = slot + spacing;
                let wait = t - asked;
                g.passages += 1;
                g.wait_total_s += wait;
                g.wait_max_s = g.wait_max_s.max(wait);
                self.wait_s[f.index()] += wait;
                self.cleared_s[f.index()] = t;
                self.queued[f.index()] = false;
                cleared.push(f);
            }
        }
        cleared
    }
}
