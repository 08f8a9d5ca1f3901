//! Monitoring and early warning: what a low-altitude monitoring platform would raise while
//! the traffic flies, derived from the simulation after every step, and a seekable replay
//! of a finished run ([`replay`]).
//!
//! An alert is a condition on a subject (a pair of drones, a drone, a vertiport or a
//! gate) that opens in the step it first holds and closes in the first step it no longer
//! does, like the separation events. Kinds ([`AlertKind`]): predicted conflicts and losses
//! of separation (the open separation events), low battery (below the planning reserve),
//! holding stacks and gate queues at or over a threshold, a drone off its 4D plan beyond a
//! tolerance (non-conformance), a drone near an active no-fly zone (geofence approach),
//! and with a communications layer a drone whose track is stale or whose link is lost.
//! Thresholds are [`Thresholds`]; times seconds, distances metres.
//!
//! With a communications layer the platform sees what the ground sees: conflicts and
//! losses of separation are those of the separation check on the reported picture, and
//! positions (where an alert is, the geofence approach) the picture's. Battery and
//! progress along the plan (low battery, non-conformance) are taken as reported with the
//! position, and read from the drone.
//!
//! The monitor only reads the simulation; nothing it does changes the run.
//!
//! Owns: the open and closed alerts.

pub mod replay;

use std::collections::BTreeMap;

use geo::{Contains, Distance, Euclidean, Point};
use serde::Serialize;

use crate::ids::{FlightId, NodeId};
use crate::scenario::ZoneKind;
use crate::sim::Simulation;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A pair predicted to lose separation within the look-ahead.
    Conflict,
    /// A pair in loss of separation.
    Los,
    /// A drone whose battery left is below the planning reserve.
    LowBattery,
    /// A vertiport with at least [`Thresholds::holding`] arrivals in its stack and the line
    /// behind it.
    Holding,
    /// A border gate with at least [`Thresholds::gate_queue`] drones in its queue.
    GateQueue,
    /// A drone off its 4D plan: more than [`Thresholds::off_plan_s`] behind or ahead of it,
    /// or more than [`Thresholds::off_plan_m`] off its path (its peak is the time off
    /// plan either way).
    NonConformance,
    /// A drone within [`Thresholds::geofence_m`] of (or inside) an active no-fly zone
    /// whose altitude band it is in.
    Geofence,
    /// With a communications layer: a drone whose picture is stale (its last report
    /// older than `comms.stale_after_s`) or whose link is lost: a track the platform has
    /// lost.
    Stale,
}

/// How many kinds of alert there are.
pub const KINDS: usize = 8;

impl AlertKind {
    /// Every kind, in display order.
    pub const ALL: [AlertKind; KINDS] = [
        AlertKind::Conflict,
        AlertKind::Los,
        AlertKind::LowBattery,
        AlertKind::Holding,
        AlertKind::GateQueue,
        AlertKind::NonConformance,
        AlertKind::Geofence,
        AlertKind::Stale,
    ];

    /// Its place in [`AlertKind::ALL`] (the declaration order).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its name in files (`conflict`, `los`, `low_battery`, ...).
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::Conflict => "conflict",
            AlertKind::Los => "los",
            AlertKind::LowBattery => "low_battery",
            AlertKind::Holding => "holding",
            AlertKind::GateQueue => "gate_queue",
            AlertKind::NonConformance => "non_conformance",
            AlertKind::Geofence => "geofence",
            AlertKind::Stale => "stale",
        }
    }

    /// What its `peak` measures.
    pub fn peak_unit(self) -> &'static str {
        match self {
            AlertKind::Conflict | AlertKind::Los => "closest m",
            AlertKind::LowBattery => "lowest battery %",
            AlertKind::Holding | AlertKind::GateQueue => "most drones",
            AlertKind::NonConformance => "worst s off plan",
            AlertKind::Geofence => "closest m",
            AlertKind::Stale => "oldest picture s",
        }
    }
}

/// What an alert is raised on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Two drones, lower flight first.
    Pair(FlightId, FlightId),
    /// One drone.
    Flight(FlightId),
    /// A vertiport or a gate.
    Node(NodeId),
    /// A drone and a zone (index into the network's zones).
    Zone(FlightId, u32),
}

impl Subject {
    /// The flights it names.
    pub fn flights(self) -> Vec<FlightId> {
        match self {
            Subject::Pair(a, b) => vec![a, b],
            Subject::Flight(f) | Subject::Zone(f, _) => vec![f],
            Subject::Node(_) => vec![],
        }
    }
}

/// When an alert is raised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// Arrivals in a vertiport's stack and line. Default 3.
    pub holding: usize,
    /// Drones in a gate's queue. Default 3.
    pub gate_queue: usize,
    /// Seconds behind or ahead of the 4D plan. Default 30 (the time tolerance of a
    /// strategic slot is far smaller; 30 s flags drones whose plan no longer describes
    /// them).
    pub off_plan_s: f64,
    /// Metres off the planned path (tactical offsets and navigation error). Default 25
    /// (half the default horizontal minimum).
    pub off_plan_m: f64,
    /// Metres from an active no-fly zone. Default 200.
    pub geofence_m: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            holding: 3,
            gate_queue: 3,
            off_plan_s: 30.0,
            off_plan_m: 25.0,
            geofence_m: 200.0,
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// On what.
    pub subject: Subject,
    /// First step it held (state after that step), seconds.
    pub start_s: f64,
    /// The step after the last it held, seconds.
    pub end_s: f64,
    /// Where it was raised, local `[east_m, north_m, alt_m]` (a pair: the first drone; a
    /// node: the node).
    pub at: [f64; 3],
    /// The worst value while it held, in [`AlertKind::peak_unit`].
    pub peak: f64,
    /// Still holding when the run (or the observation) ended.
    pub open_at_end: bool,
}

/// Alerts open at once and raised so far.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    /// When to raise them.
    pub thresholds: Thresholds,
    open: BTreeMap<(AlertKind, Subject), Alert>,
    /// Closed alerts, in closing order.
    closed: Vec<Alert>,
    /// Scratch: this step's conditions.
    now: Vec<(AlertKind, Subject, [f64; 3], f64)>,
}

/// Whether `new` is worse than `old` for `kind` (peaks are minima for distances and
/// battery, maxima otherwise).
fn worse(kind: AlertKind, new: f64, old: f64) -> bool {
    match kind {
        AlertKind::Conflict | AlertKind::Los | AlertKind::LowBattery | AlertKind::Geofence => {
            new < old
        }
        _ => new > old,
    }
}

impl Monitor {
    /// A monitor with `thresholds`.
    pub fn new(thresholds: Thresholds) -> Self {
        Monitor {
            thresholds,
            ..Default::default()
        }
    }

    /// Reads the simulation after a step and opens, updates and closes alerts.
    pub fn observe(&mut self, sim: &Simulation) {
        let t = sim.time_s();
        let th = self.thresholds;
        let mut now = std::mem::take(&mut self.now);
        now.clear();
        // What the platform sees: with a communications layer, the ground's picture.
        let mut airborne: Vec<(FlightId, &crate::sim::Dynamics)> = match sim.seen() {
            Some(seen) => seen.collect(),
            None => sim.airborne().collect(),
        };
        airborne.sort_unstable_by_key(|x| x.0);
        let pos = |f: FlightId| {
            airborne
                .binary_search_by_key(&f, |x| x.0)
                .ok()
                .map(|i| airborne[i].1.pos)
        };
        // Separation events in force (a loss of separation is also a conflict); with a
        // communications layer, those of the separation check on the picture.
        let pairs: Vec<((FlightId, FlightId), bool)> = match sim.seen_encounters() {
            Some(seen) => seen.into_iter().map(|(a, b, los)| ((a, b), los)).collect(),
            None => sim.events().current().collect(),
        };
        for ((a, b), los) in pairs {
            let (Some(pa), Some(pb)) = (pos(a), pos(b)) else {
                continue;
            };
            let d = (pa - pb).truncate().length();
            now.push((AlertKind::Conflict, Subject::Pair(a, b), pa.to_array(), d));
            if los {
                now.push((AlertKind::Los, Subject::Pair(a, b), pa.to_array(), d));
            }
        }
        if let Some(c) = sim.comms() {
            for &(f, d) in &airborne {
                let age = c.age_s(f, t);
                if c.stale(f, t) || d.lost_link() {
                    now.push((AlertKind::Stale, Subject::Flight(f), d.pos.to_array(), age));
                }
            }
        }
        let reserve = sim.scenario().deconfliction.battery_reserve;
        let net = sim.net();
        for &(f, d) in &airborne {
            let p = d.pos;
            let ty = sim.drone_type(f);
            let left = 1.0 - d.energy_wh / ty.battery_wh;
            if left < reserve {
                now.push((
                    AlertKind::LowBattery,
                    Subject::Flight(f),
                    p.to_array(),
                    100.0 * left,
                ));
            }
            let planned = sim.booked_departure(f) + sim.plan(f).planned_time_at(d.motion.s);
            let late = t - planned;
            let off_m = f64::from(d.lateral_m.abs().max(d.offset_m.abs()))
                + f64::from(d.nav_m[0].hypot(d.nav_m[1]).max(d.nav_m[2].abs()));
            if late.abs() > th.off_plan_s || off_m > th.off_plan_m {
                now.push((
                    AlertKind::NonConformance,
                    Subject::Flight(f),
                    p.to_array(),
                    late.abs(),
                ));
            }
            for (z, zone) in net.zones.iter().enumerate() {
                if zone.kind != ZoneKind::NoFly
                    || !zone.active_during(t, t + sim.scenario().dt_s)
                    || p.z < zone.alt_m.0
                    || p.z > zone.alt_m.1
                {
                    continue;
                }
                let here = Point::new(p.x, p.y);
                let dist = match zone.circle {
                    Some((c, r)) => ((p.x - c[0]).hypot(p.y - c[1]) - r).max(0.0),
                    None if zone.polygon.contains(&here) => 0.0,
                    None => Euclidean.distance(&here, &zone.polygon),
                };
                if dist <= th.geofence_m {
                    now.push((
                        AlertKind::Geofence,
                        Subject::Zone(f, z as u32),
                        p.to_array(),
                        dist,
                    ));
                }
            }
        }
        for (i, term) in net.terminals.iter().enumerate() {
            let v = sim.terminal_view(i);
            let n = v.stack.iter().flatten().count() + v.line.len();
            if n >= th.holding.max(1) {
                let node = &net.nodes[term.node];
                now.push((
                    AlertKind::Holding,
                    Subject::Node(term.node),
                    [node.en[0], node.en[1], node.ground_alt_m],
                    n as f64,
                ));
            }
        }
        for (i, g) in sim.gates().stats().iter().enumerate() {
            let n = g.queue_len();
            if n > 0 && n >= th.gate_queue {
                let node = &net.nodes[i];
                now.push((
                    AlertKind::GateQueue,
                    Subject::Node(NodeId::new(i)),
                    [node.en[0], node.en[1], node.ground_alt_m],
                    n as f64,
                ));
            }
        }
        // Open or update, then close what no longer holds.
        let dt = sim.scenario().dt_s;
        for &(kind, subject, at, value) in &now {
            let a = self.open.entry((kind, subject)).or_insert(Alert {
                kind,
                subject,
                start_s: t,
                end_s: t + dt,
                at,
                peak: value,
                open_at_end: false,
            });
            a.end_s = t + dt;
            if worse(kind, value, a.peak) {
                a.peak = value;
                a.at = at;
            }
        }
        let ended = |a: &Alert| a.end_s <= t + 1e-9;
        let closing: Vec<(AlertKind, Subject)> = self
            .open
            .iter()
            .filter(|(_, a)| ended(a))
            .map(|(k, _)| *k)
            .collect();
        for k in closing {
            let a = self.open.remove(&k).expect("listed above");
            self.closed.push(a);
        }
        self.now = now;
    }

    /// Closes every open alert at `end_s`, marking it so (end of the run or of the
    /// observation).
    pub fn finish(&mut self, end_s: f64) {
        for (_, mut a) in std::mem::take(&mut self.open) {
            a.open_at_end = true;
            a.end_s = a.end_s.min(end_s);
            self.closed.push(a);
        }
    }

    /// Every alert raised so far (closed ones, then open ones), by start, kind, subject.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut v: Vec<Alert> = self
            .closed
            .iter()
            .chain(self.open.values())
            .cloned()
            .collect();
        v.sort_by(|x, y| {
            x.start_s
                .total_cmp(&y.start_s)
                .then(x.kind.cmp(&y.kind))
                .then(x.subject.cmp(&y.subject))
        });
        v
    }

    /// Alerts open now.
    pub fn open(&self) -> impl Iterator<Item = &Alert> {
        self.open.values()
    }
}

/// Alerts in force per kind over time: for each `bin_s` wide bin from 0 to `end_s`, how
/// many alerts of each kind (in [`AlertKind::ALL`] order) held at some time in it. The
/// timeline's strip chart.
pub fn counts(alerts: &[Alert], bin_s: f64, end_s: f64) -> Vec<[u32; KINDS]> {
    let bins = (end_s / bin_s).ceil().max(1.0) as usize;
    let mut out = vec![[0u32; KINDS]; bins];
    for a in alerts {
        let k = a.kind.index();
        let first = ((a.start_s / bin_s).floor().max(0.0) as usize).min(bins - 1);
        let last = (((a.end_s - 1e-9) / bin_s).floor().max(0.0) as usize).min(bins - 1);
        for bin in &mut out[first..=last] {
            bin[k] += 1;
        }
    }
    out
}

/// `alerts.csv`: one row per alert, by start: kind, subject (flights, node or zone),
/// start, end, duration, where (lat, lon, alt), peak and its unit, open at the end.
pub fn alerts_csv(sim: &Simulation, alerts: &[Alert]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "kind",
        "flight_a",
        "flight_b",
        "node",
        "zone",
        "start_s",
        "end_s",
        "duration_s",
        "lat",
        "lon",
        "alt_m",
        "peak",
        "peak_unit",
        "open_at_end",
    ])
    .expect("writing to memory");
    let id = |f: FlightId| sim.flights()[f.index()].id.clone();
    let net = sim.net();
    for a in alerts {
        let (fa, fb, node, zone) = match a.subject {
            Subject::Pair(x, y) => (id(x), id(y), String::new(), String::new()),
            Subject::Flight(f) => (id(f), String::new(), String::new(), String::new()),
            Subject::Node(n) => (
                String::new(),
                String::new(),
                net.nodes[n].id.clone(),
                String::new(),
            ),
            Subject::Zone(f, z) => (
                id(f),
                String::new(),
                String::new(),
                net.zones[z as usize].id.clone(),
            ),
        };
        let (lat, lon) = net.frame.to_geo(a.at[0], a.at[1]);
        let num = |x: f64, d: usize| format!("{x:.d$}");
        w.write_record([
            a.kind.name().to_string(),
            fa,
            fb,
            node,
            zone,
            num(a.start_s, 3),
            num(a.end_s, 3),
            num(a.end_s - a.start_s, 3),
            num(lat, 6),
            num(lon, 6),
            num(a.at[2], 1),
            num(a.peak, 3),
            a.kind.peak_unit().to_string(),
            a.open_at_end.to_string(),
        ])
        .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Runs `sim` to its end with a monitor beside it: the finished simulation and every
/// alert.
pub fn run_monitored(mut sim: Simulation, thresholds: Thresholds) -> (Simulation, Vec<Alert>) {
    let mut m = Monitor::new(thresholds);
    while !sim.finished() {
        sim.step();
        m.observe(&sim);
    }
    m.finish(sim.time_s());
    (sim, m.alerts())
}
