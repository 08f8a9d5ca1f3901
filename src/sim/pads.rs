//! Vertiport pads: who may take off and who may land.
//!
//! A vertiport has a number of pads. A departure waits on the ground (in the ground queue)
//! for a free pad and holds it until it has climbed into its lane. An arriving drone asks
//! for a pad when it is within braking reach of the top of its final descent (the air
//! queue); without one it stops there and holds. After a touchdown the pad is blocked for
//! the vertiport's turnaround. Each step, arrivals are served before departures, each in
//! queue order. Times in seconds.
//!
//! Owns: each vertiport's free pads and queues. Does not own: the drones (it flags
//! `pad_granted` / `holds_origin_pad` on their [`Dynamics`]) or their motion.

use std::collections::VecDeque;

use super::Fleet;
use super::flight::{Airborne, Dynamics, FlightState, Status};
use crate::ids::{FlightId, NodeId};
use crate::network::Network;

#[derive(Debug, Default, Clone)]
struct Vertiport {
    free: u32,
    ground_queue: VecDeque<FlightId>,
    air_queue: VecDeque<FlightId>,
    /// Times at which pads become free again after a landing turnaround.
    releases: VecDeque<f64>,
}

/// The pads of every node (waypoints and gates have none).
#[derive(Debug, Clone)]
pub struct Pads {
    ports: Vec<Vertiport>,
}

impl Pads {
    /// Every node's pads free, no queues.
    pub fn new(net: &Network) -> Self {
        let ports = net
            .nodes
            .iter()
            .map(|n| Vertiport {
                free: n.pads(),
                ..Default::default()
            })
            .collect();
        Pads { ports }
    }

    /// A due flight joins the ground queue at its origin.
    pub(crate) fn queue_departure(&mut self, origin: NodeId, flight: FlightId) {
        self.ports[origin.index()].ground_queue.push_back(flight);
    }

    /// Pads whose turnaround ends by `t` are free again.
    pub(crate) fn end_turnarounds(&mut self, t: f64) {
        for port in &mut self.ports {
            while port.releases.front().is_some_and(|&r| r <= t + 1e-9) {
                port.releases.pop_front();
                port.free += 1;
            }
        }
    }

    /// Arrivals within their asking reach ([`Dynamics::asking_reach_m`]) of the top of
    /// their final descent ask for a pad.
    pub(crate) fn request(&mut self, airborne: &[Airborne], fleet: &Fleet, dt: f64) {
        for a in airborne {
            if a.d.pad_granted {
                continue;
            }
            let plan = fleet.plan(a.flight);
            let reach =
                a.d.asking_reach_m(fleet.drone_type(a.flight).accel_mps2, dt);
            let queue = &mut self.ports[plan.destination.index()].air_queue;
            if plan.hold_point_m() - a.d.motion.s <= reach && !queue.contains(&a.flight) {
                queue.push_back(a.flight);
            }
        }
    }

    /// Gives out free pads at time `t`: arrivals first, then departures (which take off
    /// now and join `airborne`), each vertiport in queue order.
    pub(crate) fn grant(
        &mut self,
        t: f64,
        airborne: &mut Vec<Airborne>,
        states: &mut [FlightState],
    ) {
        let mut granted = Vec::new();
        for port in &mut self.ports {
            while port.free > 0 {
                if let Some(f) = port.air_queue.pop_front() {
                    granted.push(f);
                } else if let Some(f) = port.ground_queue.pop_front() {
                    let st = &mut states[f.index()];
                    st.status = Status::Airborne;
                    st.takeoff_s = t;
                    airborne.push(Airborne {
                        flight: f,
                        prev_seg: 0,
                        d: Dynamics {
                            holds_origin_pad: true,
                            ..Dynamics::default()
                        },
                    });
                } else {
                    break;
                }
                port.free -= 1;
            }
        }
        if !granted.is_empty() {
            granted.sort_unstable();
            for a in airborne.iter_mut() {
                if granted.binary_search(&a.flight).is_ok() {
                    a.d.pad_granted = true;
                }
            }
        }
    }

    /// A pad is free again at once (a climb that reached its lane, a granted pad given
    /// back).
    pub(crate) fn free(&mut self, node: NodeId) {
        self.ports[node.index()].free += 1;
    }

    /// A landing at `node` at time `t`: its pad is free again after `turnaround_s`.
    pub(crate) fn landed(&mut self, node: NodeId, t: f64, turnaround_s: f64) {
        self.ports[node.index()]
            .releases
            .push_back(t + turnaround_s);
    }

    /// A flight that ended in the air leaves the pads: the pads it held are free, and it
    /// leaves its destination's air queue.
    pub(crate) fn abandon(&mut self, flight: FlightId, d: &mut Dynamics, fleet: &Fleet) {
        let plan = fleet.plan(flight);
        if d.holds_origin_pad {
            d.holds_origin_pad = false;
            self.free(plan.origin);
        }
        if d.pad_granted {
            d.pad_granted = false;
            self.free(plan.destination);
        }
        self.ports[plan.destination.index()]
            .air_queue
            .retain(|&q| q != flight);
    }
}
