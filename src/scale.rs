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

use crate::ids::DroneTypeId;
use crate::network::Network;
use crate::planner::{Plan, build_plan, route};
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
    let plans = flow_plans(s, &net).map_err(fail)?;
    let loads = Loads::of(s, &net, &plans, |f| {
        s.demand.flows[f].flights_per_hour * s.demand.scale / 3600.0
    });
    let airborne = loads.airborne;
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
    size_terminals(&mut raw, &loads, k);
    Ok(Scaled {
        scenario: raw,
        airborne_before: airborne,
        scale: k,
    })
}

/// The time-optimal plan of one drone type of one flow, and that type's share of the
/// flow's flights.
#[derive(Debug, Clone)]
pub struct FlowPlan {
    /// Index of the flow in `demand.flows`.
    pub flow: usize,
    /// Share of the flow's flights flown by this type (its mix weight over the total).
    pub share: f64,
    /// The plan.
    pub plan: Plan,
}

/// The time-optimal plan of every flow and type of its mix; a flow without a route is an
/// error naming it.
pub fn flow_plans(s: &Scenario, net: &Network) -> Result<Vec<FlowPlan>, Vec<ValidationError>> {
    let mut out = Vec::new();
    for (fi, f) in s.demand.flows.iter().enumerate() {
        let total_w: f64 = f.mix.values().sum();
        let (o, d) = (net.node_index[&f.origin], net.node_index[&f.destination]);
        for (ty, w) in &f.mix {
            let ti = s
                .drone_types
                .iter()
                .position(|t| &t.id == ty)
                .expect("validated");
            let t = &s.drone_types[ti];
            let Some(lanes) = route(net, o, d, t) else {
                return Err(vec![ValidationError::item(
                    "flow",
                    &format!("{}->{}", f.origin, f.destination),
                    "destination",
                    "no route",
                )]);
            };
            out.push(FlowPlan {
                flow: fi,
                share: w / total_w,
                plan: build_plan(net, lanes, DroneTypeId::new(ti), t, s.dt_s, [0, 0]),
            });
        }
    }
    Ok(out)
}

/// The profile's mean factor over the run, sampled every minute.
pub fn mean_profile_factor(s: &Scenario) -> f64 {
    let minutes = (s.duration_s / 60.0).ceil().max(1.0) as usize;
    (0..minutes)
        .map(|k| s.demand.factor_at((k as f64 + 0.5) * 60.0))
        .sum::<f64>()
        / minutes as f64
}

/// What a demand keeps busy once traffic has built up, on average over the run (the
/// profile's mean factor applied).
#[derive(Debug, Clone)]
pub struct Loads {
    /// Drones in the air (Little's law: departures per second times flight time).
    pub airborne: f64,
    /// Per node: FATO-seconds per second its departures and arrivals keep busy.
    pub busy: Vec<f64>,
    /// Per node: passages an hour (border gates).
    pub through_per_hour: Vec<f64>,
    /// Per lane: entries an hour.
    pub lane_entries_per_hour: Vec<f64>,
}

impl Loads {
    /// The loads of `plans` when flow `f` departs at `rate(f)` flights per second before
    /// the profile.
    pub fn of(
        s: &Scenario,
        net: &Network,
        plans: &[FlowPlan],
        rate: impl Fn(usize) -> f64,
    ) -> Loads {
        let factor = mean_profile_factor(s);
        let mut l = Loads {
            airborne: 0.0,
            busy: vec![0.0; net.nodes.len()],
            through_per_hour: vec![0.0; net.nodes.len()],
            lane_entries_per_hour: vec![0.0; net.lanes.len()],
        };
        for fp in plans {
            let plan = &fp.plan;
            let r = rate(fp.flow) * factor * fp.share;
            l.airborne += r * plan.duration_s;
            for &(_, g) in &plan.gates {
                l.through_per_hour[g.index()] += r * 3600.0;
            }
            for &lane in &plan.lanes {
                l.lane_entries_per_hour[lane.index()] += r * 3600.0;
            }
            l.busy[plan.origin.index()] += r * (plan.seg_t[1] + 10.0);
            l.busy[plan.destination.index()] +=
                r * (plan.duration_s - plan.planned_time_at(plan.fix_m()) + plan.fato_clear_s);
        }
        l
    }
}

/// Raises FATOs, stands and gate capacities of `raw` (nodes in network order) to what
/// `loads` times `k` keep busy: 1.5 times the FATOs busy on average plus one (at most
/// [`MAX_FATOS`]), twice as many stands, gates 1.5 times their passages an hour.
pub fn size_terminals(raw: &mut Scenario, loads: &Loads, k: f64) {
    for (n, node) in raw.nodes.iter_mut().enumerate() {
        match &mut node.kind {
            NodeKind::Vertiport { fatos, stands, .. } => {
                let need = ((1.5 * loads.busy[n] * k).ceil() as u32).saturating_add(1);
                *fatos = (*fatos).max(need).min(MAX_FATOS);
                *stands = Some(
                    stands
                        .unwrap_or(0)
                        .max(need.saturating_mul(2))
                        .min(MAX_STANDS),
                );
            }
            NodeKind::Gate { capacity_per_hour } => {
                let need = (1.5 * loads.through_per_hour[n] * k).ceil();
                *capacity_per_hour = capacity_per_hour.max(need);
            }
            NodeKind::Waypoint => {}
        }
    }
}

/// `x` to 4 significant digits (so a generated file reads well and regenerates exactly).
pub(crate) fn round_sig(x: f64) -> f64 {
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
