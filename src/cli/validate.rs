//! `skycorridor validate`: checks a scenario and prints a one-screen summary of its
//! network, jurisdictions, fleet, demand and routes.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use skycorridor::ids::JurisdictionId;
use skycorridor::scenario::Override;

/// Options of `skycorridor validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file.
    pub file: PathBuf,
    /// Override fields as in `run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,
}

/// Loads, checks and summarises the scenario.
pub fn main(a: ValidateArgs) -> Result<()> {
    let file = &a.file;
    let sim = skycorridor::load(file, &a.set)?;
    let (s, net) = (sim.scenario(), sim.net());
    let scenario_nodes = &net.nodes[..s.nodes.len()];
    let vertiports = net.terminals.len();
    println!("{}: valid", file.display());
    println!(
        "  scenario   {} (seed {}, {} s, dt {} s)",
        s.name, s.seed, s.duration_s, s.dt_s
    );
    println!(
        "  separation {} m horizontal, {} m vertical, {} s look-ahead",
        s.separation.horizontal_m, s.separation.vertical_m, s.separation.lookahead_s
    );
    println!(
        "  nodes      {} ({} vertiports with {} FATOs, {} waypoints)",
        scenario_nodes.len(),
        vertiports,
        net.terminals.iter().map(|t| t.fatos.len()).sum::<usize>(),
        scenario_nodes.len() - vertiports
    );
    println!(
        "  corridors  {} ({:.1} km, {} lanes) and {} vertiport connectors",
        s.corridors.len(),
        net.corridor_km(),
        net.lanes.iter().filter(|l| !l.connector).count(),
        vertiports
    );
    print_terminals(net);
    println!("  zones      {}", net.zones.len());
    print_junctions(net);
    let gates = net
        .nodes
        .iter()
        .filter(|n| n.gate_spacing_s().is_some())
        .count();
    if gates > 0 {
        println!("  gates      {gates}");
    }
    for (j, jur) in net.jurisdictions.iter().enumerate() {
        let here = |x: Option<JurisdictionId>| x == Some(JurisdictionId::new(j));
        let nodes: Vec<&str> = scenario_nodes
            .iter()
            .filter(|n| here(n.jurisdiction))
            .map(|n| n.id.as_str())
            .collect();
        let corridors: Vec<&str> = net
            .lanes
            .iter()
            .filter(|l| !l.reverse && !l.connector && here(l.jurisdiction))
            .map(|l| net.corridor_ids[l.corridor].as_str())
            .collect();
        println!(
            "  {:<10} {} ({}): nodes {}; corridors {}",
            jur.id,
            jur.name,
            jur.territory,
            if nodes.is_empty() {
                "-".to_string()
            } else {
                nodes.join(" ")
            },
            if corridors.is_empty() {
                "-".to_string()
            } else {
                corridors.join(" ")
            }
        );
    }
    println!(
        "  fleet      {}",
        s.drone_types
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  demand     {} flows, {} explicit flights -> {} flights in {} s",
        s.demand.flows.len(),
        s.demand.flights.len(),
        sim.flights().len(),
        s.duration_s
    );
    println!(
        "  limits     the demand draws about {:.0} departures, {:.0} steps: limits {:.0} flights, {:.0} steps (limits.max_flights, limits.max_steps)",
        skycorridor::scenario::limits::flow_departures(s)
            .iter()
            .sum::<f64>()
            + s.demand.flights.len() as f64,
        s.duration_s / s.dt_s,
        s.limits.max_flights,
        s.limits.max_steps
    );
    println!(
        "  routes     {} planned (origin -> destination, type: corridors, km, min)",
        sim.plans().len()
    );
    for p in sim.plans().iter().take(12) {
        println!(
            "             {} -> {}, {}: {} ({:.1} km, {:.1} min)",
            net.nodes[p.origin].id,
            net.nodes[p.destination].id,
            s.drone_types[p.drone_type].id,
            p.route_label(net),
            p.path.total_m() / 1000.0,
            p.duration_s / 60.0
        );
    }
    if sim.plans().len() > 12 {
        println!("             ... and {} more", sim.plans().len() - 12);
    }
    for w in net.short_headways(&s.drone_types) {
        let l = &net.lanes[w.lane];
        println!(
            "  warning    {}: a {} s headway keeps drones {:.0} m apart at {:.0} m/s (the slowest type there), \
             less than the {:.0} m horizontal minimum: strategic deconfliction books {:.1} s there instead",
            net.lane_name(w.lane),
            l.headway_s,
            w.gap_m,
            w.speed_mps,
            w.minimum_m,
            net.booked_headway_s(w.lane)
        );
    }
    Ok(())
}

/// One line per vertiport: its terminal area's layout.
fn print_terminals(net: &skycorridor::network::Network) {
    for t in &net.terminals {
        let bearing = t.axis[0].atan2(t.axis[1]).to_degrees().rem_euclid(360.0);
        let connector = net.lanes[t.arrival_lane].length_m;
        println!(
            "  vertiport  {}: {} FATO{} {:.0} m apart, {} stands; fix {connector:.0} m at {bearing:.0} deg, FATOs {:.0} m beyond; \
             arrivals at {:.0} m, departures at {:.0} m; stack of {} levels to {:.0} m; terminal area radius {:.0} m",
            net.nodes[t.node].id,
            t.fatos.len(),
            if t.fatos.len() == 1 { "" } else { "s" },
            t.fato_spacing_m,
            t.stands,
            t.approach_m,
            t.arrival_alt_m,
            t.departure_alt_m,
            t.stack_levels,
            t.stack_alt_m(t.stack_levels),
            t.radius_m,
        );
    }
}

/// The widest junction zones and the ramp zones beside other lanes' levels (the
/// strategic bookings' geometry, `Network::junctions`).
fn print_junctions(net: &skycorridor::network::Network) {
    let j = &net.junctions;
    let mut widest: Vec<(f64, &str)> = j
        .radius_m
        .iter()
        .zip(&net.nodes)
        .map(|(r, n)| (*r, n.id.as_str()))
        .collect();
    widest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let ramps: Vec<f64> = j.ramp_zone_m.iter().copied().filter(|z| *z > 0.0).collect();
    println!(
        "  junctions  widest zones {}; ramp zones at {} lane ends{}",
        widest
            .iter()
            .take(3)
            .map(|(r, id)| format!("{id} {r:.0} m"))
            .collect::<Vec<_>>()
            .join(", "),
        ramps.len(),
        if ramps.is_empty() {
            String::new()
        } else {
            format!(
                " (mean {:.0} m, widest {:.0} m)",
                ramps.iter().sum::<f64>() / ramps.len() as f64,
                ramps.iter().copied().fold(0.0, f64::max)
            )
        }
    );
}
