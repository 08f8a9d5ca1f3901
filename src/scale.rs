//! Scaling a scenario's demand to a target number of drones in the air: how the stress
//! scenarios are made (`skycorridor scale`).
//!
//! Once traffic has built up, the number of drones in the air is the departure rate times
//! the mean flight time (Little's law). For each flow and each drone type of its mix the
//! time-optimal plan gives the flight time; the profile's mean factor over the run gives the
//! rate. `demand.scale` is set so that the sum reaches the target. FATOs are raised so the
//! vertiports limit the traffic as little as they may: each vertiport gets 1.5 times the
//! FATOs its departures (climb) and arrivals (from the fix to touchdown and the FATO
//! clearing time) keep busy on average, plus one, up to the most a vertiport may have
//! (16), and twice as many stands;
//! likewise each border gate gets 1.5 times the passages an hour its flows make. The
//! network geometry, rules and everything else stay as they are.

use std::path::Path;

use crate::network::Network;
use crate::planner::{build_plan, route};
use crate::scenario::{MAX_FATOS, MAX_STANDS, NodeKind, Scenario, ScenarioError, ValidationError};

/// What scaling found and did.
#[derive(Debug, Clone)]
pub struct Scaled {
    /// The scaled scenario (file paths as written in the original).
    pub scenario: Scenario,
    /// Drones in the air at the original demand (Little's law).
    pub airborne_before: f64,
    /// The `demand.scale` set.
    pub scale: f64,
}

/// Scales the scenario in `path` to `target` drones in the air, naming it `name`.
pub fn scale_to_airborne(path: &Path, target: f64, name: &str) -> Result<Scaled, ScenarioError> {
    let (resolved, text) = crate::scenario::load_file(path)?;
    // The same scenario with its file names as written, to write back next to the original.
    let mut raw = crate::scenario::parse_str(&text, path)?;
    let fail = |errors| ScenarioError::invalid(path, Some(&text), errors);
    crate::scenario::validate(&resolved).map_err(fail)?;
    let net = Network::build(&resolved).map_err(fail)?;
    let s = &resolved;
    // The profile's mean over the run, sampled every minute.
    let minutes = (s.duration_s / 60.0).ceil().max(1.0) as usize;
    let factor = (0..minutes)
        .map(|k| s.demand.factor_at((k as f64 + 0.5) * 60.0))
        .sum::<f64>()
        / minutes as f64;
    // Per flow: departures per second at scale 1, and the mean flight, climb and descent
    // times over its mix.
    let mut airborne = 0.0;
    let mut busy_s = vec![0.0; net.nodes.len()];
    let mut through = vec![0.0; net.nodes.len()];
    for f in &s.demand.flows {
        let rate = f.flights_per_hour * s.demand.scale * factor / 3600.0;
        let total_w: f64 = f.mix.values().sum();
        let (o, d) = (net.node_index[&f.origin], net.node_index[&f.destination]);
        for (ty, w) in &f.mix {
            let ti = s
                .drone_types
                .iter()
                .position(|t| &t.id == ty)
                .expect("validated");
            let t = &s.drone_types[ti];
            let Some(lanes) = route(&net, o, d, t) else {
                return Err(fail(vec![ValidationError::item(
                    "flow",
                    &format!("{}->{}", f.origin, f.destination),
                    "destination",
                    "no route",
                )]));
            };
            let plan = build_plan(
                &net,
                lanes,
                crate::ids::DroneTypeId::new(ti),
                t,
                s.dt_s,
                [0, 0],
            );
            let r = rate * w / total_w;
            airborne += r * plan.duration_s;
            for &(_, g) in &plan.gates {
                through[g.index()] += r * 3600.0;
            }
            busy_s[o.index()] += r * (plan.seg_t[1] + 10.0);
            busy_s[d.index()] +=
                r * (plan.duration_s - plan.planned_time_at(plan.fix_m()) + plan.fato_clear_s);
        }
    }
    if airborne <= 0.0 {
        return Err(fail(vec![ValidationError::section(
            "demand",
            "flows",
            "no flow to scale",
        )]));
    }
    let k = target / airborne;
    raw.name = name.to_string();
    raw.description = format!(
        "{} — demand scaled to {target:.0} drones in the air (`skycorridor scale`)",
        s.name
    );
    raw.demand.scale = round_sig(s.demand.scale * k);
    let k = raw.demand.scale / s.demand.scale;
    // The scaled demand must itself be within the limits (a huge --airborne is refused
    // here, not when the written file is run).
    let over = crate::scenario::limits::check(&raw);
    if !over.is_empty() {
        return Err(fail(over));
    }
    for (n, node) in raw.nodes.iter_mut().enumerate() {
        match &mut node.kind {
            NodeKind::Vertiport { fatos, stands, .. } => {
                let need = ((1.5 * busy_s[n] * k).ceil() as u32).saturating_add(1);
                *fatos = (*fatos).max(need).min(MAX_FATOS);
                *stands = Some(
                    stands
                        .unwrap_or(0)
                        .max(need.saturating_mul(2))
                        .min(MAX_STANDS),
                );
            }
            NodeKind::Gate { capacity_per_hour } => {
                let need = (1.5 * through[n] * k).ceil();
                *capacity_per_hour = capacity_per_hour.max(need);
            }
            NodeKind::Waypoint => {}
        }
    }
    Ok(Scaled {
        scenario: raw,
        airborne_before: airborne,
        scale: k,
    })
}

/// `x` to 4 significant digits (so a generated file reads well and regenerates exactly).
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let mag = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * mag).round() / mag
}

/// The text of a scaled scenario file: a header saying how it was made, then the RON.
pub fn scaled_text(scaled: &Scaled, source: &str, target: f64, command: &str) -> String {
    let config = ron::ser::PrettyConfig::default()
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME)
        .struct_names(false);
    let body = ron::ser::to_string_pretty(&scaled.scenario, config).expect("a scenario serialises");
    format!(
        "// GENERATED by `{command}` — do not edit by hand; change {source} and run it again.\n\
         // {source} with its demand scaled to {target:.0} drones in the air once traffic has\n\
         // built up (Little's law: departure rate x mean flight time; the original has about\n\
         // {:.0}); vertiport FATOs (up to 16) and border gate capacities raised so they\n\
         // limit the traffic as little as they may. Same network geometry, rules and fleet.\n\
         // A stress test of the simulator and of the corridor design: expect the corridors and\n\
         // the vertiports to be far over any sensible capacity.\n{body}\n",
        scaled.airborne_before
    )
}
