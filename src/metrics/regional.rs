//! KPIs by place: per jurisdiction (city), per city pair, per border gate, and the
//! `report.md` summary with a table per city.
//!
//! A flight belongs to the jurisdiction of its origin vertiport (departures) and of its
//! destination (arrivals), and to the pair of the two. Distance and energy are shared out
//! among the jurisdictions its route crosses in proportion to the route's length in each
//! (each corridor segment counts where its midpoint lies). A loss of separation counts
//! where it happened (the closest point), and for the city pair of each of its two flights.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Report, Spread};
use crate::ids::{FlightId, JurisdictionId};
use crate::sim::{Dynamics, Simulation, Status};

/// KPIs of one jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JurisdictionKpi {
    /// Jurisdiction id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its territory.
    pub territory: String,
    /// Flights that took off here.
    pub departures: usize,
    /// Flights that landed here.
    pub arrivals: usize,
    /// Arrival delay of the completed flights that took off here, seconds.
    pub delay_s: Spread,
    /// Losses of separation that happened here.
    pub losses_of_separation: usize,
    /// Distance flown here (shared out by route length), km.
    pub distance_km: f64,
    /// Energy used here (shared out by route length), kWh.
    pub energy_kwh: f64,
    /// Wait at border gates of the flights that took off here and crossed one, seconds.
    pub gate_wait_s: Spread,
}

/// KPIs of the flights between two jurisdictions (either may be `-`: outside all).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CityPairKpi {
    /// Origin jurisdiction id.
    pub origin: String,
    /// Destination jurisdiction id.
    pub destination: String,
    /// Whether the pair lies in two territories (the flights cross a border).
    pub cross_border: bool,
    /// Flights in the demand.
    pub flights: usize,
    /// Landed.
    pub completed: usize,
    /// Cancelled before take-off.
    pub cancelled: usize,
    /// Arrival delay of the completed ones, seconds.
    pub delay_s: Spread,
    /// Mean energy per completed flight, Wh.
    pub energy_wh_mean: f64,
    /// Losses of separation involving one of these flights.
    pub losses_of_separation: usize,
    /// Wait at border gates of the departed flights, seconds.
    pub gate_wait_s: Spread,
}

/// Use of one border gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateUse {
    /// Gate node id.
    pub id: String,
    /// Capacity, drones per hour.
    pub capacity_per_hour: f64,
    /// Drones cleared (handed over to the next jurisdiction).
    pub passages: u64,
    /// `passages` per simulated hour over the capacity.
    pub utilisation: f64,
    /// Mean wait in the queue of the drones cleared, seconds.
    pub mean_wait_s: f64,
    /// Longest wait, seconds.
    pub max_wait_s: f64,
    /// Longest queue, drones.
    pub max_queue: u64,
}

/// The regional part of a report: `(jurisdictions, city pairs, gates, cross-border
/// flights)`; `dynamics` are [`Simulation::current_dynamics`].
pub fn regional(
    sim: &Simulation,
    dynamics: &[Dynamics],
) -> (Vec<JurisdictionKpi>, Vec<CityPairKpi>, Vec<GateUse>, usize) {
    let net = sim.net();
    let gates = gate_use(sim);
    let cross_border = (0..sim.flights().len())
        .map(FlightId::new)
        .filter(|&f| sim.states()[f].takeoff_s.is_finite() && crosses_border(sim, f))
        .count();
    if net.jurisdictions.is_empty() {
        return (Vec::new(), Vec::new(), gates, cross_border);
    }
    let mut sums = Sums::new(net.jurisdictions.len());
    for f in 0..sim.states().len() {
        sums.add_flight(sim, dynamics, FlightId::new(f));
    }
    sums.add_los(sim);
    let (jurisdictions, city_pairs) = sums.kpis(sim);
    (jurisdictions, city_pairs, gates, cross_border)
}

/// Each border gate's passages, utilisation, waits and longest queue.
fn gate_use(sim: &Simulation) -> Vec<GateUse> {
    let hours = sim.time_s() / 3600.0;
    sim.net()
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match n.kind {
            crate::scenario::NodeKind::Gate { capacity_per_hour } => {
                let g = &sim.gates().stats()[i];
                Some(GateUse {
                    id: n.id.clone(),
                    capacity_per_hour,
                    passages: g.passages,
                    utilisation: if hours > 0.0 {
                        g.passages as f64 / hours / capacity_per_hour
                    } else {
                        0.0
                    },
                    mean_wait_s: if g.passages > 0 {
                        g.wait_total_s / g.passages as f64
                    } else {
                        0.0
                    },
                    max_wait_s: g.wait_max_s,
                    max_queue: g.max_queue,
                })
            }
            _ => None,
        })
        .collect()
}

/// Whether a flight crosses a border: its route passes a gate, or its ends lie in
/// different territories.
fn crosses_border(sim: &Simulation, f: FlightId) -> bool {
    let net = sim.net();
    let territory = |j: Option<JurisdictionId>| j.map(|j| net.jurisdictions[j].territory.as_str());
    let p = sim.plan(f);
    let (a, b) = (
        territory(net.nodes[p.origin].jurisdiction),
        territory(net.nodes[p.destination].jurisdiction),
    );
    !p.gates.is_empty() || (a.is_some() && b.is_some() && a != b)
}

/// One city pair's sums.
#[derive(Default)]
struct Pair {
    flights: usize,
    completed: usize,
    cancelled: usize,
    delays: Vec<f64>,
    energy: f64,
    los: usize,
    waits: Vec<f64>,
    cross: bool,
}

/// Sums per jurisdiction (by index) and per city pair, built flight by flight in flight
/// order.
struct Sums {
    dep: Vec<usize>,
    arr: Vec<usize>,
    delays: Vec<Vec<f64>>,
    km: Vec<f64>,
    kwh: Vec<f64>,
    los_in: Vec<usize>,
    waits: Vec<Vec<f64>>,
    pairs: BTreeMap<(String, String), Pair>,
}

impl Sums {
    fn new(nj: usize) -> Sums {
        Sums {
            dep: vec![0; nj],
            arr: vec![0; nj],
            delays: vec![Vec::new(); nj],
            km: vec![0.0; nj],
            kwh: vec![0.0; nj],
            los_in: vec![0; nj],
            waits: vec![Vec::new(); nj],
            pairs: BTreeMap::new(),
        }
    }

    fn add_flight(&mut self, sim: &Simulation, dynamics: &[Dynamics], id: FlightId) {
        let net = sim.net();
        let name = |j: Option<JurisdictionId>| {
            j.map_or("-".to_string(), |j| net.jurisdictions[j].id.clone())
        };
        let (f, st) = (id.index(), &sim.states()[id]);
        let plan = sim.plan(id);
        let (o, d) = (
            net.nodes[plan.origin].jurisdiction,
            net.nodes[plan.destination].jurisdiction,
        );
        let key = (name(o), name(d));
        let p = self.pairs.entry(key).or_default();
        p.flights += 1;
        p.cross |= crosses_border(sim, id);
        if st.status == Status::Cancelled {
            p.cancelled += 1;
        }
        let delay = st.end_s - sim.unconstrained_arrival_s(id);
        if st.status == Status::Completed {
            p.completed += 1;
            p.delays.push(delay);
            p.energy += dynamics[f].energy_wh;
            if let Some(d) = d {
                self.arr[d.index()] += 1;
            }
            if let Some(o) = o {
                self.delays[o.index()].push(delay);
            }
        }
        if !st.takeoff_s.is_finite() {
            return;
        }
        p.waits.push(sim.gates().wait_s(id));
        if let Some(o) = o {
            self.dep[o.index()] += 1;
            if !plan.gates.is_empty() {
                self.waits[o.index()].push(sim.gates().wait_s(id));
            }
        }
        let total: f64 = plan.lanes.iter().map(|&l| net.lanes[l].length_m).sum();
        if total > 0.0 {
            let flown_km = dynamics[f].motion.s / 1000.0;
            for &l in &plan.lanes {
                if let Some(j) = net.lanes[l].jurisdiction {
                    let share = net.lanes[l].length_m / total;
                    self.km[j.index()] += share * flown_km;
                    self.kwh[j.index()] += share * dynamics[f].energy_wh / 1000.0;
                }
            }
        }
    }

    /// Losses of separation by place and by city pair, as the event tracker counted them
    /// when they closed.
    fn add_los(&mut self, sim: &Simulation) {
        let net = sim.net();
        let summary = &sim.events().summary;
        for (j, n) in &summary.los_by_jurisdiction {
            self.los_in[j.index()] += *n as usize;
        }
        let name = |j: Option<JurisdictionId>| {
            j.map_or("-".to_string(), |j| net.jurisdictions[j].id.clone())
        };
        for (&(o, d), n) in &summary.los_by_pair {
            let key = (name(o), name(d));
            self.pairs
                .get_mut(&key)
                .expect("every flight has a pair")
                .los += *n as usize;
        }
    }

    fn kpis(mut self, sim: &Simulation) -> (Vec<JurisdictionKpi>, Vec<CityPairKpi>) {
        let jurisdictions = sim
            .net()
            .jurisdictions
            .iter()
            .enumerate()
            .map(|(j, nj)| JurisdictionKpi {
                id: nj.id.clone(),
                name: nj.name.clone(),
                territory: nj.territory.clone(),
                departures: self.dep[j],
                arrivals: self.arr[j],
                delay_s: Spread::of(std::mem::take(&mut self.delays[j])),
                losses_of_separation: self.los_in[j],
                distance_km: self.km[j],
                energy_kwh: self.kwh[j],
                gate_wait_s: Spread::of(std::mem::take(&mut self.waits[j])),
            })
            .collect();
        let city_pairs = self
            .pairs
            .into_iter()
            .map(|((o, d), p)| CityPairKpi {
                origin: o,
                destination: d,
                cross_border: p.cross,
                flights: p.flights,
                completed: p.completed,
                cancelled: p.cancelled,
                energy_wh_mean: if p.completed > 0 {
                    p.energy / p.completed as f64
                } else {
                    0.0
                },
                delay_s: Spread::of(p.delays),
                losses_of_separation: p.los,
                gate_wait_s: Spread::of(p.waits),
            })
            .collect();
        (jurisdictions, city_pairs)
    }
}

/// `report.md`: the headline KPIs, then a table per city (jurisdiction), city pairs and
/// border gates, for people who would rather read a page than JSON.
pub fn markdown(r: &Report) -> String {
    let f = &r.flights;
    let mut md = format!(
        "# {} — run report\n\nSeed {}, {:.0} s simulated (step {} s). Separation {} m horizontal, {} m vertical, look-ahead {} s.\n\n",
        r.scenario,
        r.seed,
        r.simulated_s,
        r.dt_s,
        r.separation.horizontal_m,
        r.separation.vertical_m,
        r.separation.lookahead_s
    );
    md += "| KPI | value |\n|---|---:|\n";
    let rows = [
        ("flights planned", f.planned.to_string()),
        ("completed", f.completed.to_string()),
        ("cancelled", f.cancelled.to_string()),
        ("battery depleted", f.battery_depleted.to_string()),
        ("cross-border flights", r.cross_border_flights.to_string()),
        ("peak airborne", r.peak_airborne.to_string()),
        ("flight hours", format!("{:.1}", r.flight_hours)),
        (
            "throughput (arrivals/h)",
            format!("{:.1}", r.throughput_per_hour),
        ),
        (
            "delay mean / p95 (s)",
            format!("{:.1} / {:.1}", r.delay_s.mean, r.delay_s.p95),
        ),
        ("conflicts", r.conflicts.to_string()),
        (
            "losses of separation (in terminal areas)",
            format!(
                "{} ({})",
                r.losses_of_separation, r.losses_of_separation_at_vertiports
            ),
        ),
        (
            "LoS per flight hour",
            format!("{:.3}", r.los_per_flight_hour),
        ),
        (
            "near misses (within √10 × the bodies' radii)",
            r.near_misses.to_string(),
        ),
        (
            "collisions (within the bodies' radii)",
            r.collisions.to_string(),
        ),
        ("energy (kWh)", format!("{:.1}", r.energy_wh / 1000.0)),
        (
            "over-water flights / km",
            format!("{} / {:.1}", r.over_water_flights, r.over_water_km),
        ),
    ];
    for (k, v) in rows {
        md += &format!("| {k} | {v} |\n");
    }
    if !r.losses_of_separation_by_location.is_empty() {
        md += "\n## Losses of separation by location\n\n| location | losses of separation |\n|---|---:|\n";
        for (k, v) in &r.losses_of_separation_by_location {
            md += &format!("| {} | {v} |\n", k.replace('_', " "));
        }
    }
    md += &r.los_causes.markdown();
    md += &super::vertiports::markdown(&r.vertiports);
    if !r.jurisdictions.is_empty() {
        md += "\n## By city\n\n| city | territory | departures | arrivals | delay mean (s) | delay p95 (s) | LoS | km flown | energy (kWh) | gate wait mean / max (s) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for j in &r.jurisdictions {
            md += &format!(
                "| {} ({}) | {} | {} | {} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {:.1} / {:.1} |\n",
                j.name,
                j.id,
                j.territory,
                j.departures,
                j.arrivals,
                j.delay_s.mean,
                j.delay_s.p95,
                j.losses_of_separation,
                j.distance_km,
                j.energy_kwh,
                j.gate_wait_s.mean,
                j.gate_wait_s.max
            );
        }
    }
    if !r.city_pairs.is_empty() {
        md += "\n## City pairs\n\n| from | to | cross-border | flights | completed | cancelled | delay mean (s) | delay p95 (s) | energy per flight (Wh) | LoS | gate wait mean / max (s) |\n|---|---|:-:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for p in &r.city_pairs {
            md += &format!(
                "| {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.0} | {} | {:.1} / {:.1} |\n",
                p.origin,
                p.destination,
                if p.cross_border { "yes" } else { "" },
                p.flights,
                p.completed,
                p.cancelled,
                p.delay_s.mean,
                p.delay_s.p95,
                p.energy_wh_mean,
                p.losses_of_separation,
                p.gate_wait_s.mean,
                p.gate_wait_s.max
            );
        }
    }
    if !r.gates.is_empty() {
        md += "\n## Border gates\n\n| gate | capacity (/h) | passages | utilisation | mean wait (s) | max wait (s) | longest queue |\n|---|---:|---:|---:|---:|---:|---:|\n";
        for g in &r.gates {
            md += &format!(
                "| {} | {:.0} | {} | {:.0}% | {:.1} | {:.1} | {} |\n",
                g.id,
                g.capacity_per_hour,
                g.passages,
                g.utilisation * 100.0,
                g.mean_wait_s,
                g.max_wait_s,
                g.max_queue
            );
        }
    }
    md += "\nDelay is against each flight's unconstrained plan. Distance and energy by city are shared out by the length of each route in each city; a loss of separation counts where it happened.\n";
    md
}
