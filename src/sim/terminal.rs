//! Vertiport terminal areas in flight: FATOs, stands, the arrival queue with its holding
//! stack, and departure release (the geometry is [`crate::network::terminal`]'s).
//!
//! - **One movement per FATO.** An arrival holds its FATO from the grant (at or before
//!   the fix) until touchdown plus its type's `fato_clear_s` (the hop to a stand; longer
//!   when every stand is taken: it waits on the FATO). A departure holds its FATO from
//!   release until it has climbed to the departure level.
//! - **Arrivals** ask for a FATO when their braking reach comes within the fix (or the end
//!   of the line behind a full stack); FATOs go to asking drones first come first served,
//!   in the order they fly in (nearest the fix first).
//!   A drone that asked and has none gets the lowest free level of the stack over the
//!   fix: it stops at the climb point, `clear_m` before the fix, changes level there
//!   (straight up or down), then flies level to the fix and holds over it. One drone
//!   enters the stack at a time: until it has reached the fix, and whenever the stack is
//!   full, the others wait in a line on their path, places `trail_m` apart behind the
//!   climb point, moving up a place as the line does. Every drone that asked keeps
//!   `trail_m` behind the one ahead of it at the arrival level until the fix (`trail_m`
//!   grows with the sharpness of the junction's turn, so two drones either side of it stay
//!   apart), and asks early enough to do so and to stop at the end of the line. A holder
//!   that is granted flies on at its level and changes back to the arrival level only
//!   `clear_m` past the fix (one granted while still changing level goes back at the
//!   climb point first); its level is free from then on.
//! - **Departures** wait on their stand (in order of their cleared departure) until a FATO
//!   is free *and* the departure connector admits them: their planned entry into it and
//!   exit from it are each at least its headway after the previous release's (so no
//!   departure catches up with the one before on the way out, whatever their speeds, and
//!   no two drones are ever released onto one path in one step).
//! - **By the book** (strategic deconfliction on): a departure leaves at its cleared time
//!   on its booked FATO (its bookings space it on the connector); an arrival is granted
//!   its booked FATO from its booked start, and is given no stack level or line place
//!   while it is expected; drones keep `trail_m` only behind one off its cleared plan
//!   (it took off late, or something held, spaced or manoeuvred it).
//!
//! Owns: each terminal's FATO, stand, queue and stack state and its counters. Does not own
//! the drones: it sets the fields of their [`Dynamics`] that motion obeys
//! (`fato_granted`, `stack_level`, `line_place`, `follow_m`, the stack offset).

use std::collections::VecDeque;

use serde::Serialize;

use super::Fleet;
use super::flight::{Airborne, Dynamics, FlightState, Status};
use super::motion::Moved;
use super::replan::Bookings;
use crate::ids::{FlightId, NodeId};
use crate::network::{Network, Terminal};
use crate::planner::{Plan, asking_reach_bound_m};

/// What one vertiport did over a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TerminalStats {
    /// Landings.
    pub arrivals: u64,
    /// Take-offs.
    pub departures: u64,
    /// FATO-seconds taken by movements (grant or release to free again).
    pub fato_busy_s: f64,
    /// Most drones in the holding stack at once.
    pub max_stack: u32,
    /// Drones that waited in the line behind the stack (full, or another drone entering).
    pub line_joins: u64,
    /// Most drones in that line at once.
    pub max_line: u32,
    /// Seconds arrivals spent holding for a FATO (summed at landing).
    pub holding_s: f64,
    /// Arrivals the terminal area made wait: in the stack, in the line, or spaced behind
    /// the drone ahead.
    pub held: u64,
    /// Longest single hold, seconds.
    pub max_holding_s: f64,
    /// Most stands taken at once.
    pub max_stands: u32,
    /// Stand-seconds taken by turnarounds.
    pub stand_busy_s: f64,
    /// Seconds departures waited on their stand past their cleared departure.
    pub departure_wait_s: f64,
}

#[derive(Debug, Clone)]
struct Port {
    /// Flight holding each FATO now.
    holder: Vec<Option<FlightId>>,
    /// When each FATO is free again once nobody holds it, seconds.
    free_at: Vec<f64>,
    /// When its current holder took each FATO, seconds.
    since: Vec<f64>,
    /// When each stand is free again, seconds.
    stand_free_at: Vec<f64>,
    ground_queue: VecDeque<(FlightId, f64)>,
    air_queue: VecDeque<FlightId>,
    /// Occupant of stack level k at index k - 1.
    stack: Vec<Option<FlightId>>,
    /// Drones waiting behind a full stack (or behind the drone entering it), in order.
    line: Vec<FlightId>,
    /// The drone given a stack level that has not reached the fix yet: one at a time, so
    /// only one drone changes level at the climb point.
    entering: Option<FlightId>,
    /// Every drone that asked and is not yet `clear_m` past the fix, in the order they
    /// fly in (see [`Port::in_flying_order`]), with its distance to the fix at the last
    /// step and whether the drones behind keep their distance from it (at the arrival
    /// level, and off its booking if strategic deconfliction is on): the trail each
    /// follows in.
    trail: Vec<(FlightId, f64, bool)>,
    /// Earliest entry the departure connector admits next, and earliest exit from it
    /// (both the headway after the last release's), seconds.
    next_entry_s: f64,
    next_exit_s: f64,
    /// The departure connector's headway, seconds.
    departure_headway_s: f64,
    stats: TerminalStats,
}

/// What one FATO is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatoUse {
    /// Free.
    Free,
    /// Taken by a flight's movement (granted arrival, or departure climbing).
    Movement(FlightId),
    /// A landed drone is still on it (its hop to a stand, or waiting for one).
    Clearing,
}

/// A terminal area at one moment, for display.
#[derive(Debug, Clone, PartialEq)]
pub struct TerminalView {
    /// Each FATO.
    pub fatos: Vec<FatoUse>,
    /// Stands taken by turnarounds.
    pub stands_in_use: u32,
    /// The holding stack, level 1 first.
    pub stack: Vec<Option<FlightId>>,
    /// The line behind the stack, front first.
    pub line: Vec<FlightId>,
    /// Arrivals that asked and have no FATO yet.
    pub asking: u32,
    /// Departures due and waiting on their stands, first in line first.
    pub on_stands: Vec<FlightId>,
}

/// A decision for one drone, applied in one pass over the drones in the air.
#[derive(Debug, Clone, Copy)]
enum Decision {
    Grant(u8),
    Stack(u8),
    Line,
}

/// The terminal areas of every vertiport.
#[derive(Debug, Clone)]
pub struct Terminals {
    ports: Vec<Port>,
    dt_s: f64,
}

impl Terminals {
    /// Every FATO and stand free, no queues; steps of `dt_s`.
    pub fn new(net: &Network, dt_s: f64) -> Self {
        let ports = net
            .terminals
            .iter()
            .map(|t| Port {
                holder: vec![None; t.fatos.len()],
                free_at: vec![0.0; t.fatos.len()],
                since: vec![0.0; t.fatos.len()],
                stand_free_at: vec![0.0; t.stands as usize],
                ground_queue: VecDeque::new(),
                air_queue: VecDeque::new(),
                stack: vec![None; t.stack_levels as usize],
                line: Vec::new(),
                entering: None,
                trail: Vec::new(),
                next_entry_s: f64::NEG_INFINITY,
                next_exit_s: f64::NEG_INFINITY,
                departure_headway_s: net.lanes[t.departure_lane].headway_s,
                stats: TerminalStats::default(),
            })
            .collect();
        Terminals { ports, dt_s }
    }

    /// Counters of each terminal, in the order of [`Network::terminals`].
    pub fn stats(&self) -> impl Iterator<Item = &TerminalStats> {
        self.ports.iter().map(|p| &p.stats)
    }

    /// What terminal `t` is doing at time `now` (for the window's vertiport panel).
    pub fn view(&self, t: usize, now: f64) -> TerminalView {
        let p = &self.ports[t];
        TerminalView {
            fatos: p
                .holder
                .iter()
                .zip(&p.free_at)
                .map(|(h, &at)| match h {
                    Some(f) => FatoUse::Movement(*f),
                    None if at > now + 1e-9 => FatoUse::Clearing,
                    None => FatoUse::Free,
                })
                .collect(),
            stands_in_use: p.stand_free_at.iter().filter(|&&s| s > now + 1e-9).count() as u32,
            stack: p.stack.clone(),
            line: p.line.clone(),
            asking: p.air_queue.len() as u32,
            on_stands: p.ground_queue.iter().map(|q| q.0).collect(),
        }
    }

    /// A FATO free now (`t`) at terminal `term` (index in `net.terminals`), the first.
    pub(crate) fn free_fato(&self, term: usize, t: f64) -> Option<u8> {
        self.ports[term].available(t).map(|i| i as u8)
    }

    fn port(&mut self, net: &Network, node: NodeId) -> &mut Port {
        let t = net.nodes[node].terminal.expect("flights use vertiports");
        &mut self.ports[t]
    }

    /// A due flight (cleared for `t`) waits on a stand at its origin.
    pub(crate) fn queue_departure(&mut self, net: &Network, origin: NodeId, f: FlightId, t: f64) {
        self.port(net, origin).ground_queue.push_back((f, t));
    }

    /// One step's terminal phase at time `t`: FATOs to asking arrivals (first come first
    /// served), then to departures the departure connector admits (which take off now and
    /// join `airborne`); stack levels and line places to arrivals still without a FATO;
    /// then, in one pass over the drones in the air, the decisions applied, the trail
    /// spacing set, holders far enough past the fix out of the stack, and the drones
    /// within their asking reach of the fix (or of the end of the line, or a trail
    /// distance behind its last drone) asking for a FATO (served from the next step).
    /// `settled` are the last move's rows for the drones in the air then (those that
    /// take off now have none).
    pub(crate) fn step(
        &mut self,
        t: f64,
        (airborne, settled): (&mut Vec<Airborne>, &[Moved]),
        states: &mut [FlightState],
        fleet: &mut Fleet,
        net: &Network,
        mut booked: Option<(&mut Bookings, f64)>,
    ) {
        let mut decisions: Vec<(FlightId, Decision)> = Vec::new();
        for port in &mut self.ports {
            port.in_flying_order();
            let book = booked.as_ref().map(|b| Book {
                bookings: b.0,
                fleet,
            });
            port.grant_arrivals(t, book, &mut decisions);
            let late = booked.as_mut().map(|(b, limit)| (&mut **b, *limit));
            port.release_departures(t, (airborne, states), fleet, net, late);
        }
        let booked = booked.map(|b| &*b.0);
        for port in &mut self.ports {
            let book = booked.map(|b| Book { bookings: b, fleet });
            port.place_waiting((t, self.dt_s), book, &mut decisions);
        }
        decisions.sort_unstable_by_key(|d| d.0);
        // In trail: each drone at the arrival level keeps `trail_m` behind the one ahead of
        // it at that level (as of the last step, so no nearer than now). By the book, only
        // behind a drone off its cleared plan: the bookings space the others.
        let mut follow: Vec<(FlightId, f32)> = Vec::new();
        for (port, term) in self.ports.iter_mut().zip(&net.terminals) {
            port.trail.retain(|e| e.1 > -term.clear_m);
            let mut ahead: Option<f64> = None;
            for &(f, r, level) in &port.trail {
                if let Some(r_ahead) = ahead {
                    follow.push((f, (r_ahead + term.trail_m).max(0.0) as f32));
                }
                if level {
                    ahead = Some(r);
                }
            }
        }
        follow.sort_unstable_by_key(|e| e.0);
        let mut tails: Vec<f64> = self
            .ports
            .iter()
            .zip(&net.terminals)
            .map(|(p, t)| p.tail_m(t))
            .collect();
        // Whether the others at its arrival level keep behind `a`: asked only of a drone
        // that asks for a FATO or is in a trail (its flight state and record lie
        // elsewhere in memory, a miss for every drone in the air).
        let kept_behind = |a: &Airborne, fleet: &Fleet| {
            a.d.offset_m == 0.0
                && (booked.is_none() || off_book(&a.d, &states[a.flight.index()], fleet, a.flight))
        };
        // How far each drone that has not asked yet is from asking, found on every core
        // (its plan and destination: a cache miss or two per drone in the air) a block of
        // drones at a time (a few hundred kilobytes, whatever the drones); whether it asks
        // depends on the tails as the pass moves them, so it asks in the pass.
        // A drone whose row from the last move puts it farther from its fix than any
        // type's asking reach at its speed and the longest tail cannot ask yet: neither
        // its record nor its plan is read (at a million drones in the air, streaming the
        // records was a sixth of the step).
        let reach = AskingBound::of(fleet, self.dt_s);
        let mut longest_tail = tails.iter().copied().fold(0.0, f64::max);
        for (b, block) in airborne.chunks_mut(ASKING_BLOCK).enumerate() {
            let (dt, read) = (self.dt_s, &*fleet);
            let rows = settled.get(b * ASKING_BLOCK..).unwrap_or_default();
            // Only the drones in reach, with their places: the pass below visits those
            // alone while the tails are no longer than this pass took them to be (nearly
            // every drone is far from its fix; walking them all was a tenth of the step
            // at 100,000 drones of the bench).
            let tail_then = longest_tail;
            let near = super::drones_where(block, |i, a| match rows.get(i) {
                // (The record itself, a few hundred bytes, is not read then.)
                Some(row) if !row.asked() && reach.out_of(row, tail_then) => None,
                _ if a.d.fato_asked => Some((i, Ask::Asked)),
                _ => Some((i, Ask::Near(Asking::of(a, read, net, dt)))),
            });
            let mut near = near.into_iter().peekable();
            let mut i = 0;
            while i < block.len() {
                if longest_tail <= tail_then {
                    // The others are still out of reach.
                    match near.peek() {
                        Some(&(k, _)) => i = k,
                        None => break,
                    }
                }
                let ask = near.next_if(|e| e.0 == i).map_or(Ask::Far, |e| e.1);
                let (a, row) = (&mut block[i], rows.get(i));
                i += 1;
                let asking = match ask {
                    Ask::Near(asking) => asking,
                    // (The tails have grown since.)
                    Ask::Far if row.is_some_and(|row| reach.out_of(row, longest_tail)) => {
                        debug_assert!(
                            {
                                let x = Asking::of(a, fleet, net, self.dt_s);
                                !a.d.fato_asked && x.to_fix_m > x.reach_m + tails[x.terminal]
                            },
                            "a drone out of reach by its row does not ask"
                        );
                        continue;
                    }
                    Ask::Far => Asking::of(a, fleet, net, self.dt_s),
                    Ask::Asked => {
                        let kept_behind = kept_behind(a, fleet);
                        self.tend(a, kept_behind, &decisions, &follow, fleet, net);
                        continue;
                    }
                };
                self.ask(a, asking, kept_behind, &mut tails, fleet, net);
                longest_tail = longest_tail.max(tails[asking.terminal]);
            }
        }
    }

    /// A drone that has asked for a FATO: the decision for it applied, its trail spacing
    /// and place in line set, out of the stack once clear of the fix (see
    /// [`Terminals::step`]).
    fn tend(
        &mut self,
        a: &mut Airborne,
        kept_behind: bool,
        decisions: &[(FlightId, Decision)],
        follow: &[(FlightId, f32)],
        fleet: &mut Fleet,
        net: &Network,
    ) {
        let Some(t_term) = net.terminal(fleet.plan(a.flight).destination) else {
            return;
        };
        if let Ok(k) = decisions.binary_search_by_key(&a.flight, |d| d.0) {
            apply(a, decisions[k].1, t_term, fleet, net);
        }
        let plan = fleet.plan(a.flight);
        let fix = plan.fix_m();
        let port = &mut self.ports[net.nodes[plan.destination].terminal.expect("vertiport")];
        let d = &mut a.d;
        if port.entering == Some(a.flight) && d.motion.s >= fix - 1e-6 {
            port.entering = None;
        }
        if d.fato_asked {
            d.follow_m = follow
                .binary_search_by_key(&a.flight, |e| e.0)
                .map_or(0.0, |k| follow[k].1);
            if let Some(e) = port.trail.iter_mut().find(|e| e.0 == a.flight) {
                e.1 = fix - d.motion.s;
                e.2 = kept_behind;
            }
        }
        // Its place in line (which moves up as the line does): `trail_m` apart, the
        // first one `trail_m` behind the climb point (`clear_m` before the fix).
        if d.fato_waited && d.stack_level == 0 && !d.fato_granted {
            let place = port.line.iter().position(|&q| q == a.flight);
            d.line_place = place.map_or(0, |p| p as u16 + 1);
        }
        if d.fato_granted && d.stack_level > 0 {
            let climbing = d.motion.s < fix - 1e-6 && d.offset_m != d.offset_target_m;
            if climbing || d.motion.s >= fix + t_term.clear_m {
                // Granted while still changing level at the climb point: back down
                // there; or a holder clear of the fix: down to the arrival level. Its
                // level is free either way.
                port.stack[d.stack_level as usize - 1] = None;
                d.stack_level = 0;
                d.offset_target_m = 0.0;
            }
        }
    }

    /// `a` asks for a FATO at its destination if it is within its asking reach of the
    /// fix plus that terminal's tail (see [`Port::tail_m`]); it joins the trail, the
    /// others kept behind it if `kept_behind`.
    fn ask(
        &mut self,
        a: &mut Airborne,
        asking: Asking,
        kept_behind: impl FnOnce(&Airborne, &Fleet) -> bool,
        tails: &mut [f64],
        fleet: &Fleet,
        net: &Network,
    ) {
        let (ti, r) = (asking.terminal, asking.to_fix_m);
        if r <= asking.reach_m + tails[ti] {
            let kept_behind = kept_behind(a, fleet);
            let port = &mut self.ports[ti];
            a.d.fato_asked = true;
            port.air_queue.push_back(a.flight);
            port.trail.push((a.flight, r, kept_behind));
            tails[ti] = port.tail_m(&net.terminals[ti]);
        }
    }

    /// A departure has climbed to its level: its FATO is free.
    pub(crate) fn climbed(&mut self, net: &Network, f: FlightId, origin: NodeId, fato: u8, t: f64) {
        let port = self.port(net, origin);
        port.free(fato as usize, f, t);
    }

    /// A landing of `f` (dynamics `d`, on `plan`) at time `t` on its FATO: it is free
    /// again after the type's `fato_clear_s`, or once a stand frees if all are taken; the
    /// stand is then taken for the turnaround.
    pub(crate) fn landed(&mut self, net: &Network, f: FlightId, d: &Dynamics, plan: &Plan, t: f64) {
        let (dest, fato, clear_s) = (plan.destination, plan.fato[1], plan.fato_clear_s);
        let term = net.terminal(dest).expect("flights end at vertiports");
        let port = self.port(net, dest);
        let (k, stand_free) = port
            .stand_free_at
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("a vertiport has a stand");
        let off_fato = (t + clear_s).max(stand_free);
        port.stand_free_at[k] = off_fato + term.turnaround_s;
        port.stats.stand_busy_s += term.turnaround_s;
        let taken = port.stand_free_at.iter().filter(|&&s| s > off_fato).count() as u32;
        port.stats.max_stands = port.stats.max_stands.max(taken);
        port.free(fato as usize, f, off_fato);
        port.trail.retain(|e| e.0 != f);
        port.stats.arrivals += 1;
        if d.fato_waited || d.holding_s > 0.0 {
            port.stats.held += 1;
            port.stats.holding_s += d.holding_s;
            port.stats.max_holding_s = port.stats.max_holding_s.max(d.holding_s);
        }
    }

    /// A flight that ended in the air leaves the terminals: the FATOs it held are free,
    /// and it leaves its destination's queue, stack and line.
    pub(crate) fn abandon(
        &mut self,
        flight: FlightId,
        d: &mut Dynamics,
        fleet: &Fleet,
        net: &Network,
        t: f64,
    ) {
        let plan = fleet.plan(flight);
        if d.holds_origin_fato {
            d.holds_origin_fato = false;
            self.port(net, plan.origin)
                .free(plan.fato[0] as usize, flight, t);
        }
        let port = self.port(net, plan.destination);
        if d.fato_granted {
            d.fato_granted = false;
            port.free(plan.fato[1] as usize, flight, t);
        }
        port.air_queue.retain(|&q| q != flight);
        port.line.retain(|&q| q != flight);
        port.trail.retain(|e| e.0 != flight);
        if port.entering == Some(flight) {
            port.entering = None;
        }
        for s in &mut port.stack {
            if *s == Some(flight) {
                *s = None;
            }
        }
    }
}

impl Port {
    /// Puts the trail, the queue for FATOs and the line in the order the drones fly in
    /// (nearest the fix first, as of the last step): a faster drone may ask before a
    /// slower one ahead of it (its braking reach is longer), and must not be served, or
    /// followed, as if it were in front.
    fn in_flying_order(&mut self) {
        if self.trail.len() < 2 {
            return;
        }
        self.trail.sort_by(|a, b| a.1.total_cmp(&b.1));
        let rank: std::collections::HashMap<FlightId, usize> = self
            .trail
            .iter()
            .enumerate()
            .map(|(i, e)| (e.0, i))
            .collect();
        let order = |f: &FlightId| rank.get(f).copied().unwrap_or(usize::MAX);
        self.air_queue.make_contiguous().sort_by_key(order);
        self.line.sort_by_key(order);
    }

    /// How far before its reach of the fix a drone asks: early enough to stop at the end
    /// of the line it may have to join, and to keep its distance behind the last drone in
    /// trail, metres.
    fn tail_m(&self, t: &Terminal) -> f64 {
        let tail = if self.stack.contains(&None) && self.entering.is_none() && self.line.is_empty()
        {
            t.clear_m
        } else {
            t.clear_m + t.trail_m * (2.0 + self.line.len() as f64)
        };
        self.trail
            .last()
            .map_or(tail, |last| tail.max(last.1 + t.trail_m))
    }

    fn available(&self, t: f64) -> Option<usize> {
        (0..self.holder.len()).find(|&i| self.holder[i].is_none() && self.free_at[i] <= t + 1e-9)
    }

    /// FATO `i`, held by `f`, is free from `at`.
    fn free(&mut self, i: usize, f: FlightId, at: f64) {
        if self.holder[i] == Some(f) {
            self.holder[i] = None;
            self.free_at[i] = at;
            self.stats.fato_busy_s += at - self.since[i];
        }
    }

    /// `f` takes FATO `i` at `t`.
    fn take(&mut self, i: usize, f: FlightId, t: f64) {
        self.holder[i] = Some(f);
        self.since[i] = t;
    }

    /// Whether FATO `i` is free at `t`.
    fn is_free(&self, i: usize, t: f64) -> bool {
        self.holder[i].is_none() && self.free_at[i] <= t + 1e-9
    }

    /// FATOs to the asking arrivals: by the book, each its booked FATO once its booked
    /// movement has begun and the FATO is free; else the first free FATO to the first in
    /// the queue, in turn.
    fn grant_arrivals(
        &mut self,
        t: f64,
        book: Option<Book>,
        decisions: &mut Vec<(FlightId, Decision)>,
    ) {
        if let Some(book) = book {
            let mut k = 0;
            while k < self.air_queue.len() {
                let f = self.air_queue[k];
                let (j, from) = book.arrival(f);
                if t + 1e-9 >= from && self.is_free(j as usize, t) {
                    self.air_queue.remove(k);
                    self.take(j as usize, f, t);
                    self.line.retain(|&q| q != f);
                    decisions.push((f, Decision::Grant(j)));
                } else {
                    k += 1;
                }
            }
            return;
        }
        while !self.air_queue.is_empty() {
            let Some(i) = self.available(t) else { break };
            let f = self.air_queue.pop_front().expect("not empty");
            self.take(i, f, t);
            self.line.retain(|&q| q != f);
            decisions.push((f, Decision::Grant(i as u8)));
        }
    }

    fn release_departures(
        &mut self,
        t: f64,
        (airborne, states): (&mut Vec<Airborne>, &mut [FlightState]),
        fleet: &mut Fleet,
        net: &Network,
        mut booked: Option<(&mut Bookings, f64)>,
    ) {
        let by_the_book = booked.is_some();
        // By the book each goes when its own FATO and slot allow, a late one not holding
        // up those behind it; otherwise first come first served.
        let mut k = 0;
        while let Some(&(f, due)) = self.ground_queue.get(k) {
            let i = if let Some((b, limit)) = booked.as_mut() {
                // Its booked FATO (its plan is the booked variant); late, a slot on its
                // connector clear of the bookings.
                let i = fleet.plan(f).fato[0] as usize;
                let late = t > b.booked_departure(f) + 1e-9;
                if !self.is_free(i, t) || (late && !b.release_late(f, t, *limit, fleet, net)) {
                    k += 1;
                    continue;
                }
                i
            } else {
                let Some(i) = self.available(t) else { break };
                let to = fleet.plan(f).fato[1];
                fleet.fly_fatos(net, f, [i as u8, to]);
                i
            };
            let plan = fleet.plan(f);
            // The connector admits it when it enters and leaves it a headway after the
            // last release (so no departure overtakes another on the way out). By the
            // book its entry and exit are booked a headway from every other's, in
            // whichever order the bookings put them.
            let (entry, exit) = (t + plan.connector_entry_s(), t + plan.connector_exit_s());
            if !by_the_book && (entry < self.next_entry_s - 1e-9 || exit < self.next_exit_s - 1e-9)
            {
                break;
            }
            let headway = self.departure_headway_s;
            self.next_entry_s = entry + headway;
            self.next_exit_s = exit + headway;
            self.ground_queue.remove(k);
            self.take(i, f, t);
            self.stats.departures += 1;
            self.stats.departure_wait_s += (t - due).max(0.0);
            let st = &mut states[f.index()];
            st.status = Status::Airborne;
            st.takeoff_s = t;
            airborne.push(Airborne {
                flight: f,
                prev_seg: 0,
                d: Dynamics {
                    holds_origin_fato: true,
                    ..Dynamics::default()
                },
            });
        }
    }

    /// Stack levels, then line places, to asking arrivals that have neither (by the book,
    /// only to those whose booked movement has begun: the others are expected).
    fn place_waiting(
        &mut self,
        (t, dt): (f64, f64),
        book: Option<Book>,
        decisions: &mut Vec<(FlightId, Decision)>,
    ) {
        for qi in 0..self.air_queue.len() {
            let f = self.air_queue[qi];
            // By the book, an arrival waits for its booked movement on its plan, with no
            // stack level or line place: unless it is more than a step ahead of its plan
            // (a tailwind, a fast airspeed, a tactical speed-up), when it would stop at
            // the fix until its booked start, where the next early one would stop too;
            // it waits in the stack.
            let expected = |b: Book| {
                let r = self.trail.iter().find(|e| e.0 == f).map_or(0.0, |e| e.1);
                t + 1e-9 < b.arrival(f).1 && !b.ahead(f, r, t + dt)
            };
            if self.stack.contains(&Some(f)) || book.is_some_and(expected) {
                continue;
            }
            let free = self.stack.iter().position(Option::is_none);
            if let (Some(k), None) = (free, self.entering) {
                self.stack[k] = Some(f);
                self.entering = Some(f);
                self.line.retain(|&q| q != f);
                decisions.push((f, Decision::Stack(k as u8 + 1)));
            } else if !self.line.contains(&f) {
                self.line.push(f);
                self.stats.line_joins += 1;
                decisions.push((f, Decision::Line));
            }
        }
        let in_stack = self.stack.iter().filter(|s| s.is_some()).count() as u32;
        self.stats.max_stack = self.stats.max_stack.max(in_stack);
        self.stats.max_line = self.stats.max_line.max(self.line.len() as u32);
    }
}

/// Whether a drone has left the 4D plan it was cleared for: it took off late, or something
/// held, spaced or manoeuvred it (its bookings no longer keep others clear of it).
fn off_book(d: &Dynamics, st: &FlightState, fleet: &Fleet, f: FlightId) -> bool {
    st.takeoff_s > fleet.flight(f).departure_s + 1e-9
        || d.fato_waited
        || d.holding_s > 0.0
        || d.manoeuvring_s > 0.0
}

/// The bookings a terminal works by when strategic deconfliction is on.
#[derive(Clone, Copy)]
struct Book<'a> {
    bookings: &'a Bookings,
    fleet: &'a Fleet,
}

impl Book<'_> {
    /// Whether arrival `f`, `r` metres before its fix, is there before its booked time
    /// (as of `t`).
    fn ahead(&self, f: FlightId, r: f64, t: f64) -> bool {
        let plan = self.fleet.plan(f);
        let s = (plan.fix_m() - r).max(0.0);
        t < self.bookings.booked_departure(f) + plan.planned_time_at(s)
    }

    /// An arrival's booked FATO and when its booked movement there begins.
    fn arrival(&self, f: FlightId) -> (u8, f64) {
        let plan = self.fleet.plan(f);
        let from = self.bookings.booked_departure(f) + plan.fato_s()[1].0;
        (plan.fato[1], from)
    }
}

/// Applies one decision to a drone.
fn apply(a: &mut Airborne, decision: Decision, term: &Terminal, fleet: &mut Fleet, net: &Network) {
    let d = &mut a.d;
    match decision {
        Decision::Grant(j) => {
            let from = fleet.plan(a.flight).fato[0];
            fleet.fly_fatos(net, a.flight, [from, j]);
            d.fato_granted = true;
            d.line_place = 0;
        }
        Decision::Stack(k) => {
            d.fato_waited = true;
            d.stack_level = k;
            d.line_place = 0;
            d.offset_target_m = (f64::from(k) * term.stack_spacing_m) as f32;
        }
        Decision::Line => {
            d.fato_waited = true;
        }
    }
}

/// Where a drone that has not asked for a FATO stands against its asking reach (see
/// [`Terminals::step`]).
#[derive(Debug, Clone, Copy)]
struct Asking {
    /// Its destination's terminal.
    terminal: usize,
    /// Path distance to the fix, metres.
    to_fix_m: f64,
    /// How far before the fix it asks (without the terminal's tail; with one more step
    /// of travel: it is served from the next step), metres.
    reach_m: f64,
}

impl Asking {
    /// Where drone `a` stands, with steps of `dt`.
    fn of(a: &Airborne, fleet: &Fleet, net: &Network, dt: f64) -> Asking {
        let plan = fleet.plan(a.flight);
        let terminal = net.nodes[plan.destination]
            .terminal
            .expect("flights end at vertiports");
        let ty = fleet.drone_type(a.flight);
        Asking {
            terminal,
            to_fix_m: plan.fix_m() - a.d.motion.s,
            reach_m: a.d.asking_reach_m(ty.accel_mps2, dt) + a.d.motion.u * dt,
        }
    }
}

/// Where a drone stands for asking for a FATO, as the terminal pass finds it.
#[derive(Debug, Clone, Copy)]
enum Ask {
    /// It has asked.
    Asked,
    /// Its row from the last move puts it out of reach (see [`AskingBound`]).
    Far,
    /// Where it stands.
    Near(Asking),
}

/// The largest asking reach any drone type has at a speed, from the fleet's least and
/// greatest accelerations ([`crate::planner::asking_reach_bound_m`]).
#[derive(Debug, Clone, Copy)]
struct AskingBound {
    /// Whether every type accelerates (else no bound holds).
    bounded: bool,
    /// The bound at each speed a row can give, whole metres a second.
    by_speed: [f64; u8::MAX as usize],
}

impl AskingBound {
    fn of(fleet: &Fleet, dt: f64) -> AskingBound {
        let (accel_min, accel_max) = fleet.accel_range();
        AskingBound {
            bounded: accel_min > 0.0,
            // As `Asking::of` finds it: the reach and a step at the speed held.
            by_speed: std::array::from_fn(|u| {
                let u = u as f64;
                asking_reach_bound_m(u, (accel_max, accel_min), dt) + u * dt
            }),
        }
    }

    /// Whether the drone whose move's row is `row` is farther from its fix than it can
    /// ask from with a tail of `tail_m` (then [`Terminals::ask`] would do nothing): read
    /// from the row alone (its speed rounded up, its distance to the fix rounded down).
    fn out_of(&self, row: &Moved, tail_m: f64) -> bool {
        let Some(u) = row.speed_at_most_mps() else {
            return false;
        };
        self.bounded && row.to_fix_at_least_m() > self.by_speed[u as usize] + tail_m
    }
}

/// Drones whose asking reach is found at once (see [`Terminals::step`]).
const ASKING_BLOCK: usize = 16_384;
