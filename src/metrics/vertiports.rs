//! Per-vertiport KPIs of the terminal areas: movements, FATO and stand use, the holding
//! stack and the line behind it, departures held on their stands, losses of separation.

use serde::Serialize;

use crate::sim::Simulation;

/// What one vertiport's terminal area did over the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VertiportUse {
    /// Vertiport id.
    pub id: String,
    /// FATOs.
    pub fatos: usize,
    /// Stands.
    pub stands: u32,
    /// Landings.
    pub arrivals: u64,
    /// Take-offs.
    pub departures: u64,
    /// Landings and take-offs per hour of simulated time.
    pub movements_per_hour: f64,
    /// Share of FATO time taken by movements (grant or release until free again).
    pub fato_utilisation: f64,
    /// Most drones in the holding stack at once.
    pub max_stack: u32,
    /// Levels of the stack.
    pub stack_levels: u32,
    /// Drones that waited in the line behind the stack (full, or another drone entering).
    pub line_joins: u64,
    /// Most drones in that line at once.
    pub max_line: u32,
    /// Arrivals the terminal area made wait (stack, line, or spaced behind the drone
    /// ahead).
    pub held: u64,
    /// Mean time those spent stopped, seconds.
    pub mean_holding_s: f64,
    /// Longest hold, seconds.
    pub max_holding_s: f64,
    /// Most stands taken at once.
    pub max_stands_in_use: u32,
    /// Share of stand time taken by turnarounds.
    pub stand_utilisation: f64,
    /// Mean wait of departures on their stand past their cleared departure (for a FATO
    /// and the departure connector), seconds.
    pub mean_departure_wait_s: f64,
    /// Losses of separation that began in its terminal area.
    pub losses_of_separation: u64,
}

/// Every vertiport's KPIs, in scenario order.
pub fn vertiport_use(sim: &Simulation) -> Vec<VertiportUse> {
    let net = sim.net();
    let hours = sim.time_s() / 3600.0;
    let by_vertiport = &sim.events().summary.los_by_vertiport;
    net.terminals
        .iter()
        .zip(sim.terminal_stats())
        .map(|(t, s)| {
            let span = sim.time_s().max(1e-9);
            let per = |x: f64, n: u64| if n > 0 { x / n as f64 } else { 0.0 };
            VertiportUse {
                id: net.nodes[t.node].id.clone(),
                fatos: t.fatos.len(),
                stands: t.stands,
                arrivals: s.arrivals,
                departures: s.departures,
                movements_per_hour: if hours > 0.0 {
                    (s.arrivals + s.departures) as f64 / hours
                } else {
                    0.0
                },
                fato_utilisation: s.fato_busy_s / (span * t.fatos.len() as f64),
                max_stack: s.max_stack,
                stack_levels: t.stack_levels,
                line_joins: s.line_joins,
                max_line: s.max_line,
                held: s.held,
                mean_holding_s: per(s.holding_s, s.held),
                max_holding_s: s.max_holding_s,
                max_stands_in_use: s.max_stands,
                stand_utilisation: s.stand_busy_s / (span * f64::from(t.stands.max(1))),
                mean_departure_wait_s: per(s.departure_wait_s, s.departures),
                losses_of_separation: by_vertiport.get(&t.node).copied().unwrap_or(0),
            }
        })
        .collect()
}

/// The `report.md` table of the vertiports (empty without any).
pub fn markdown(vertiports: &[VertiportUse]) -> String {
    let mut md = String::new();
    if vertiports.is_empty() {
        return md;
    }
    md += "\n## Vertiports\n\n| vertiport | FATOs | stands | arrivals | departures | movements/h | FATO use | stack max / levels | line joins | held | hold mean / max (s) | stands max | stand use | departure wait mean (s) | LoS |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for v in vertiports {
        md += &format!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.0}% | {} / {} | {} | {} | {:.1} / {:.0} | {} | {:.0}% | {:.1} | {} |\n",
            v.id,
            v.fatos,
            v.stands,
            v.arrivals,
            v.departures,
            v.movements_per_hour,
            100.0 * v.fato_utilisation,
            v.max_stack,
            v.stack_levels,
            v.line_joins,
            v.held,
            v.mean_holding_s,
            v.max_holding_s,
            v.max_stands_in_use,
            100.0 * v.stand_utilisation,
            v.mean_departure_wait_s,
            v.losses_of_separation
        );
    }
    md
}
