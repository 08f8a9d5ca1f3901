//! Synthetic traffic for benchmarks: a grid of long straight two-way corridors over a
//! Greater-Bay-Area-sized square, with drones already in the air along every lane.
//!
//! East-west corridors fly 100-140 m, north-south 150-190 m, so crossings are vertically
//! separated; two drone types (15 and 20 m/s) make faster drones close on slower ones, so
//! the check finds real conflicts, not only candidates. Spacing along a lane follows from
//! the number of drones asked for.

use std::collections::BTreeMap;
use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ids::FlightId;

use crate::scenario::{
    Corridor, Demand, Direction, DroneType, FlightSpec, LatLon, Node, NodeKind, Scenario,
    Separation,
};
use crate::sim::Simulation;
use crate::sim::separation::Track;

/// Side of the square, metres.
pub const SIDE_M: f64 = 150_000.0;
/// Distance between parallel corridors, metres.
pub const PITCH_M: f64 = 2_000.0;

fn drone(id: &str, cruise: f64) -> DroneType {
    DroneType {
        id: id.to_string(),
        cruise_speed_mps: cruise,
        max_speed_mps: None,
        climb_rate_mps: 5.0,
        descent_rate_mps: 4.0,
        accel_mps2: 2.0,
        radius_m: 1.0,
        battery_wh: 1.0e6,
        hover_power_w: 2000.0,
        cruise_power_w: 1500.0,
        climb_power_w: None,
        min_speed_mps: None,
        fato_clear_s: 15.0,
        navigation: Default::default(),
        report_period_s: None,
    }
}

/// The grid scenario with `drones` explicit flights (two per lane and type pattern), all
/// departing at 0; [`airborne`] puts them in the air.
pub fn grid_scenario(drones: usize, duration_s: f64) -> Scenario {
    grid_scenario_on(drones, duration_s, SIDE_M)
}

/// The side of the square on which `drones` fly at the density `like` drones fly on the
/// standard [`SIDE_M`] grid (the same number of drones per kilometre of lane): the lines
/// and their length both grow with the side. Never below `SIDE_M`.
pub fn side_for_density(drones: usize, like: usize) -> f64 {
    SIDE_M * (drones as f64 / like.max(1) as f64).sqrt().max(1.0)
}

/// [`grid_scenario`] on a square of side `side_m` (corridors still [`PITCH_M`] apart).
pub fn grid_scenario_on(drones: usize, duration_s: f64, side_m: f64) -> Scenario {
    let lines = (side_m / PITCH_M) as usize; // per axis
    let half = side_m / 2.0;
    let mut nodes = Vec::new();
    let mut corridors = Vec::new();
    let vp = |id: String, e: f64, n: f64| Node {
        id,
        kind: NodeKind::Vertiport {
            fatos: 8,
            stands: Some(1000),
            turnaround_s: 0.0,
            terminal: Default::default(),
        },
        lat: None,
        lon: None,
        east_m: Some(e),
        north_m: Some(n),
        ground_alt_m: 0.0,
    };
    for k in 0..lines {
        let off = -half + PITCH_M * (k as f64 + 0.5);
        nodes.push(vp(format!("W{k}"), -half, off));
        nodes.push(vp(format!("E{k}"), half, off));
        nodes.push(vp(format!("S{k}"), off, -half));
        nodes.push(vp(format!("N{k}"), off, half));
        for (id, from, to, band) in [
            (
                format!("EW{k}"),
                format!("W{k}"),
                format!("E{k}"),
                (100.0, 140.0),
            ),
            (
                format!("NS{k}"),
                format!("S{k}"),
                format!("N{k}"),
                (150.0, 190.0),
            ),
        ] {
            corridors.push(Corridor {
                id,
                from,
                to,
                via: Vec::new(),
                min_alt_m: band.0,
                max_alt_m: band.1,
                direction: Direction::TwoWay,
                width_m: 100.0,
                speed_limit_mps: 25.0,
                headway_s: 5.0,
            });
        }
    }
    let ends = |lane: usize| -> (String, String) {
        let (line, dir) = (lane / 2, lane % 2);
        let k = line / 2;
        let (a, b) = if line % 2 == 0 {
            (format!("W{k}"), format!("E{k}"))
        } else {
            (format!("S{k}"), format!("N{k}"))
        };
        if dir == 0 { (a, b) } else { (b, a) }
    };
    let lanes = lines * 4;
    let flights = (0..drones)
        .map(|i| {
            let (origin, destination) = ends(i % lanes);
            FlightSpec {
                id: Some(format!("B{i}")),
                origin,
                destination,
                drone_type: if (i / lanes).is_multiple_of(3) {
                    "fast"
                } else {
                    "slow"
                }
                .to_string(),
                departure_s: 0.0,
                priority: 0,
            }
        })
        .collect();
    Scenario {
        name: format!("bench grid, {drones} drones"),
        description: "synthetic benchmark traffic".into(),
        seed: 1,
        dt_s: 1.0,
        duration_s,
        separation: Separation::default(),
        reference: Some(LatLon {
            lat: 22.6,
            lon: 113.8,
        }),
        nodes,
        corridors,
        corridors_geojson: None,
        zones_geojson: None,
        land_geojson: None,
        zones: Vec::new(),
        airports: None,
        jurisdictions: Vec::new(),
        drone_types: vec![drone("slow", 15.0), drone("fast", 20.0)],
        demand: Demand {
            scale: 1.0,
            flows: Vec::new(),
            flights,
            ..Default::default()
        },
        deconfliction: Default::default(),
        uncertainty: Default::default(),
        comms: Default::default(),
        // Benchmark traffic is as large as asked for.
        limits: crate::scenario::Limits {
            max_flights: (drones as f64).max(crate::scenario::Limits::default().max_flights),
            ..Default::default()
        },
    }
}

/// A prepared simulation of the grid with every flight already in the air, spread along
/// its lane (seeded jitter), ready to step.
pub fn airborne(drones: usize, duration_s: f64) -> Simulation {
    airborne_on(drones, duration_s, SIDE_M)
}

/// [`airborne`] on a square of side `side_m` (see [`side_for_density`]).
pub fn airborne_on(drones: usize, duration_s: f64, side_m: f64) -> Simulation {
    let scenario = grid_scenario_on(drones, duration_s, side_m);
    let mut sim =
        crate::prepare(scenario, Path::new("<bench grid>"), None).expect("bench grid is valid");
    let lanes = (side_m / PITCH_M) as usize * 4;
    let per_lane = drones.div_ceil(lanes).max(1);
    let usable = side_m - 20_000.0; // keep clear of the final descent for a few minutes
    let spacing = usable / per_lane as f64;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut slot: BTreeMap<usize, usize> = BTreeMap::new();
    for f in (0..sim.flights().len()).map(FlightId::new) {
        let lane = sim.flights()[f].id[1..].parse::<usize>().expect("B<i>") % lanes;
        let k = slot.entry(lane).or_default();
        let climb = sim.plan(f).climb_done_m();
        let s = climb + 500.0 + spacing * (*k as f64) + rng.random::<f64>() * 0.3 * spacing;
        *k += 1;
        let u = sim.drone_type(f).cruise_speed_mps;
        sim.place_airborne(f, s, u);
    }
    sim
}

/// Tracks of the grid traffic at time 0, for benchmarking the separation check alone.
pub fn tracks(drones: usize) -> Vec<Track> {
    airborne(drones, 60.0)
        .airborne()
        .map(|(_, d)| Track {
            pos: d.pos,
            vel: d.vel,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drones per kilometre of lane on a square of side `side_m`.
    fn per_lane_km(drones: usize, side_m: f64) -> f64 {
        let lanes = (side_m / PITCH_M) as usize * 4;
        drones as f64 / (lanes as f64 * side_m / 1000.0)
    }

    #[test]
    fn a_larger_square_keeps_the_lane_density() {
        let like = per_lane_km(100_000, SIDE_M);
        let side = side_for_density(1_000_000, 100_000);
        assert!((side - SIDE_M * 10f64.sqrt()).abs() < 1e-6);
        let dense = per_lane_km(1_000_000, side);
        assert!(
            (dense / like - 1.0).abs() < 0.01,
            "{dense} vs {like} per lane-km"
        );
        // Ten times the drones on the standard square is ten times as dense.
        assert!((per_lane_km(1_000_000, SIDE_M) / like - 10.0).abs() < 1e-9);
        assert_eq!(side_for_density(10_000, 100_000), SIDE_M);
    }
}
