//! The planned flights as a BlueSky scenario (`.scn`), to cross-check the same traffic in
//! the open air traffic simulator BlueSky.
//!
//! Separation settings first (`ZONER` horizontal minimum in nautical miles, `ZONEDH`
//! vertical minimum in feet, `DTLOOK` look-ahead in seconds, `ASAS ON`), then for each
//! flight at its departure time: `CRE` at the origin vertiport, at its first lane's
//! altitude, heading for the first corridor point, at its lane speed; `ADDWPT` for every
//! later point of its path (altitude in feet, speed in knots); `LNAV`/`VNAV ON`. BlueSky
//! call signs allow letters and digits only, so flights are `D<index>` (index in
//! `flights.csv` order, from 1), with a comment line giving the skycorridor id. Aircraft
//! types are the drone type ids in capitals; BlueSky flies them with its default
//! performance model (it models fixed-wing aircraft, not multirotors), so compare traffic
//! and geometry, not climb profiles.

use std::fmt::Write;

use geo::{Bearing, Geodesic, Point};

use crate::ids::FlightId;
use crate::sim::Simulation;

const FT_PER_M: f64 = 1.0 / 0.3048;
const KT_PER_MPS: f64 = 3600.0 / 1852.0;

fn stamp(t: f64) -> String {
    let cs = (t.max(0.0) * 100.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:02}",
        cs / 360_000,
        (cs / 6000) % 60,
        (cs / 100) % 60,
        cs % 100
    )
}

/// BlueSky call sign of flight `index` (0-based).
pub fn callsign(index: usize) -> String {
    format!("D{}", index + 1)
}

/// The scenario text for every planned flight of `sim` (typically before it has run).
pub fn export(sim: &Simulation) -> String {
    let s = sim.scenario();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# skycorridor: scenario {} (seed {}), {} flights",
        s.name,
        s.seed,
        sim.flights().len()
    );
    let _ = writeln!(
        out,
        "00:00:00.00>ZONER {:.5}",
        s.separation.horizontal_m / 1852.0
    );
    let _ = writeln!(
        out,
        "00:00:00.00>ZONEDH {:.1}",
        s.separation.vertical_m * FT_PER_M
    );
    let _ = writeln!(out, "00:00:00.00>DTLOOK {:.1}", s.separation.lookahead_s);
    let _ = writeln!(out, "00:00:00.00>ASAS ON");
    let frame = &sim.net().frame;
    for (i, f) in sim.flights().iter().enumerate() {
        if f.cancelled.is_some() {
            let _ = writeln!(
                out,
                "# {} = {} cancelled: {}",
                callsign(i),
                f.id,
                f.cancelled
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
            continue;
        }
        let plan = sim.plan(FlightId::new(i));
        let ty = sim.drone_type(FlightId::new(i));
        let id = callsign(i);
        let at = stamp(f.departure_s);
        // Path vertices flown in lanes (the climb and final descent are BlueSky's own).
        let points: Vec<([f64; 3], f64)> = plan
            .path
            .segs
            .iter()
            .filter_map(|g| Some((g, g.lane?)))
            .map(|(g, lane)| {
                let lane = &sim.net().lanes[lane];
                let v = lane.speed_limit_mps.min(ty.cruise_speed_mps);
                (g.start, v)
            })
            .chain(std::iter::once({
                let last = plan.path.segs.len() - 1;
                let top = plan.path.segs[last].start;
                (
                    top,
                    ty.cruise_speed_mps
                        .min(sim.net().lanes[plan.lanes[plan.lanes.len() - 1]].speed_limit_mps),
                )
            }))
            .collect();
        let origin = &sim.net().nodes[plan.origin];
        let (lat0, lon0) = (origin.lat, origin.lon);
        let first = points
            .iter()
            .map(|(p, _)| frame.to_geo(p[0], p[1]))
            .find(|q| (q.0 - lat0).abs() + (q.1 - lon0).abs() > 1e-7);
        let hdg = first.map_or(0.0, |(lat, lon)| {
            Geodesic
                .bearing(Point::new(lon0, lat0), Point::new(lon, lat))
                .rem_euclid(360.0)
        });
        let (alt0, v0) = (points[0].0[2], points[0].1);
        let _ = writeln!(
            out,
            "# {id} = {} ({} -> {}, {})",
            f.id,
            origin.id,
            sim.net().nodes[plan.destination].id,
            ty.id
        );
        let _ = writeln!(
            out,
            "{at}>CRE {id} {} {lat0:.6} {lon0:.6} {hdg:.1} {:.0} {:.0}",
            ty.id
                .to_uppercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), ""),
            alt0 * FT_PER_M,
            v0 * KT_PER_MPS
        );
        for (p, v) in points.iter().skip(1) {
            let (lat, lon) = frame.to_geo(p[0], p[1]);
            let _ = writeln!(
                out,
                "{at}>ADDWPT {id} {lat:.6} {lon:.6} {:.0} {:.0}",
                p[2] * FT_PER_M,
                v * KT_PER_MPS
            );
        }
        let _ = writeln!(out, "{at}>LNAV {id} ON");
        let _ = writeln!(out, "{at}>VNAV {id} ON");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::stamp;

    #[test]
    fn timestamps() {
        assert_eq!(stamp(0.0), "00:00:00.00");
        assert_eq!(stamp(3725.5), "01:02:05.50");
    }
}
