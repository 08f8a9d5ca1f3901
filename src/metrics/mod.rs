//! KPIs of a finished (or stopped) run and the files they are written to: `report.json`,
//! `flights.csv`, `events.csv`, `plans.csv`, plus the short summary printed on stdout.
//!
//! Every file is written to a temporary file beside its target and renamed into place, so
//! a reader never sees half a report. Rows come in flight and event order; no clock, no
//! hash order, so the same scenario and seed give byte-identical files.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::scenario::Separation;
mod comms;
mod compare;
mod forensics;
mod montecarlo;
mod regional;
mod trajectories;
mod vertiports;

pub use comms::{
    AgeSpread, CommsSummary, CorridorCoverage, LinkLossRow, LostLinkSummary,
    MAX_LINK_LOSSES_LISTED, coverage,
};
pub use compare::{Attribution, Comparison, ConflictPairs, Side, conflict_pairs};
pub use forensics::{LosCauses, LosDetail, MAX_LOS_LISTED, los_causes, place_label};
pub use montecarlo::{Interval, MonteCarlo, t975};
pub use regional::{CityPairKpi, GateUse, JurisdictionKpi, markdown};
pub use trajectories::{TrajectoryFiles, trajectory_files};
pub use vertiports::{VertiportUse, vertiport_use};

use crate::ids::{FlightId, PlanId};
use crate::network::Network;
use crate::planner::CancelReason;
use crate::sim::events::{Event, EventKind, EventSink, EventSummary, location_kind};
use crate::sim::{Fleet, Simulation, Status, TrackPlace};
use tempfile::NamedTempFile;

/// Counts of flights by outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlightCounts {
    /// Flights in the demand (sampled and explicit).
    pub planned: usize,
    /// Took off.
    pub departed: usize,
    /// Landed at their destination.
    pub completed: usize,
    /// Still flying when the run ended.
    pub airborne_at_end: usize,
    /// Due but still waiting for a pad on the ground at the end.
    pub waiting_for_pad_at_end: usize,
    /// Scheduled after the end of the run.
    pub not_yet_due: usize,
    /// Failed: battery empty in the air.
    pub battery_depleted: usize,
    /// Cancelled before take-off by strategic deconfliction.
    pub cancelled: usize,
    /// Landed at another vertiport (a lost-link diversion); left out when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub diverted: usize,
}

/// What strategic deconfliction did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategicSummary {
    /// Whether it was on.
    pub enabled: bool,
    /// Flights cleared later than filed.
    pub delayed: usize,
    /// Ground delay it assigned (cleared minus filed departure), flights not cancelled, s.
    pub assigned_ground_delay_s: Spread,
    /// Flights sent on another route than the time-optimal one because it arrives earlier.
    pub rerouted: usize,
    /// Flight time those routes add over the time-optimal ones, seconds in total.
    pub reroute_extra_s: f64,
    /// Cancellations by reason.
    pub cancellations: BTreeMap<String, usize>,
    /// Cancellations for ground delay by the kind of resource whose bookings alone ruled
    /// out the most of their departures (see
    /// [`crate::planner::strategic::Reservations::binding`]): what limits capacity.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ground_delay_binding: BTreeMap<String, usize>,
    /// Per corridor and per vertiport, the demand offered (flights filed to use it,
    /// departing within the run) and accepted (cleared to use it, departing within the
    /// run) per hour: the capacity the reservations allow. Empty when it was off.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub demand: Vec<AcceptedDemand>,
}

/// Offered against accepted demand at one corridor or vertiport, flights per hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcceptedDemand {
    /// `corridor` or `vertiport`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// Flights filed to use it (their time-optimal route) departing within the run, per
    /// hour.
    pub offered_per_hour: f64,
    /// Flights cleared to use it departing within the run, per hour.
    pub accepted_per_hour: f64,
}

/// Offered and accepted demand per corridor and vertiport (see
/// [`StrategicSummary::demand`]).
fn accepted_demand(sim: &Simulation) -> Vec<AcceptedDemand> {
    let net = sim.net();
    let (nc, nn) = (net.corridor_ids.len(), net.nodes.len());
    let (mut offered, mut accepted) = (vec![0u64; nc + nn], vec![0u64; nc + nn]);
    let end = sim.scenario().duration_s;
    let count = |plan: &crate::planner::Plan, to: &mut Vec<u64>| {
        let mut seen: Vec<usize> = plan
            .lanes
            .iter()
            .filter(|&&l| !net.lanes[l].connector)
            .map(|&l| net.lanes[l].corridor)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        for c in seen {
            to[c] += 1;
        }
        to[nc + plan.origin.index()] += 1;
        to[nc + plan.destination.index()] += 1;
    };
    for f in sim.flights() {
        if f.scheduled_s < end {
            count(&sim.plans()[f.filed_plan], &mut offered);
        }
        if f.cancelled.is_none() && f.departure_s < end {
            count(&sim.plans()[f.plan], &mut accepted);
        }
    }
    let hours = (end / 3600.0).max(1e-9);
    let corridors =
        (0..sim.scenario().corridors.len()).map(|c| ("corridor", c, net.corridor_ids[c].clone()));
    let vertiports = net.terminals.iter().map(|t| {
        (
            "vertiport",
            nc + t.node.index(),
            net.nodes[t.node].id.clone(),
        )
    });
    corridors
        .chain(vertiports)
        .filter(|(_, i, _)| offered[*i] > 0 || accepted[*i] > 0)
        .map(|(kind, i, id)| AcceptedDemand {
            kind,
            id,
            offered_per_hour: offered[i] as f64 / hours,
            accepted_per_hour: accepted[i] as f64 / hours,
        })
        .collect()
}

/// Mean, 95th percentile and maximum of a sample (0 when empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
    /// Maximum.
    pub max: f64,
}

impl Spread {
    /// Of `v` (sorted here).
    pub fn of(mut v: Vec<f64>) -> Spread {
        if v.is_empty() {
            return Spread {
                mean: 0.0,
                p95: 0.0,
                max: 0.0,
            };
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n) - 1;
        Spread {
            mean: v.iter().sum::<f64>() / n as f64,
            p95: v[rank],
            max: v[n - 1],
        }
    }
}

/// Use of one lane of a corridor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneUse {
    /// `FROM->TO` node ids.
    pub direction: String,
    /// Lane altitude, metres.
    pub altitude_m: f64,
    /// Drones that entered the lane.
    pub entries: u64,
    /// Entries per hour of simulated time.
    pub entries_per_hour: f64,
    /// Capacity from the headway, entries per hour (`3600 / headway_s`).
    pub capacity_per_hour: f64,
    /// `entries_per_hour / capacity_per_hour`.
    pub utilisation: f64,
    /// Mean number of drones in the lane.
    pub mean_occupancy: f64,
}

/// Use of one corridor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorridorUse {
    /// Corridor id.
    pub id: String,
    /// Its lanes.
    pub lanes: Vec<LaneUse>,
}

/// The KPIs of a run: what `report.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Simulated seconds.
    pub simulated_s: f64,
    /// Step, seconds.
    pub dt_s: f64,
    /// Separation minima and look-ahead.
    pub separation: Separation,
    /// Flights by outcome.
    pub flights: FlightCounts,
    /// Hours flown, all drones.
    pub flight_hours: f64,
    /// Most drones in the air at once.
    pub peak_airborne: usize,
    /// Conflict events (loss of separation predicted within the look-ahead).
    pub conflicts: usize,
    /// Loss-of-separation events.
    pub losses_of_separation: usize,
    /// Of those, how many began in a vertiport's terminal area (its connectors, the legs
    /// to and from its FATOs, its holding stack), junctions excluded.
    pub losses_of_separation_at_vertiports: usize,
    /// Losses of separation in which the two drones' centres came closer than the sum of
    /// their types' body radii (`radius_m`): collisions.
    pub collisions: u64,
    /// Losses of separation in which the centres came closer than √10 times the sum of the
    /// body radii (collisions included): near misses, sized so that about one in ten would
    /// be a collision ([`crate::sim::events::NEAR_MISS_FACTOR`]).
    pub near_misses: u64,
    /// Losses of separation by where they began: `en_route`, `junction` (within one
    /// horizontal minimum of a node where lanes meet, or changing level there), and the
    /// terminal parts `fato`, `departure`, `holding`, `approach`.
    pub losses_of_separation_by_location: BTreeMap<String, u64>,
    /// Losses of separation per flight hour.
    pub los_per_flight_hour: f64,
    /// Time pairs of drones spent in loss of separation, summed, seconds.
    pub los_time_s: f64,
    /// Smallest horizontal distance in any loss of separation, metres (`null` if none).
    pub min_separation_m: Option<f64>,
    /// Intrusion severity over losses of separation (0..1).
    pub intrusion_severity: Spread,
    /// Arrival delay against the unconstrained plan, completed flights, seconds.
    pub delay_s: Spread,
    /// Time waiting on the ground for a pad, departed flights, seconds.
    pub ground_delay_s: Spread,
    /// Time holding in the air for a pad, all flights, seconds in total.
    pub holding_s_total: f64,
    /// Completed flights per hour of simulated time.
    pub throughput_per_hour: f64,
    /// Energy used by all drones, watt-hours.
    pub energy_wh: f64,
    /// Distance flown by all drones along their paths, km.
    pub distance_km: f64,
    /// Departed flights whose route has legs over water (with `land_geojson`).
    pub over_water_flights: usize,
    /// Route length over water of the departed flights, km.
    pub over_water_km: f64,
    /// Use of each corridor.
    pub corridors: Vec<CorridorUse>,
    /// Strategic deconfliction.
    pub strategic: StrategicSummary,
    /// Tactical resolution.
    pub tactical: TacticalSummary,
    /// Departed flights between two territories (through a border gate).
    pub cross_border_flights: usize,
    /// Per jurisdiction (city), when the scenario has jurisdictions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jurisdictions: Vec<JurisdictionKpi>,
    /// Per pair of origin and destination jurisdictions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub city_pairs: Vec<CityPairKpi>,
    /// Per border gate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateUse>,
    /// Per vertiport: its terminal area.
    pub vertiports: Vec<VertiportUse>,
    /// Events counted above but not listed in `events.csv` (beyond `run --max-events`).
    #[serde(skip_serializing_if = "is_zero")]
    pub events_not_in_csv: u64,
    /// What led to the losses of separation (event forensics).
    pub los_causes: LosCauses,
    /// The communications layer: reports, the picture's age, coverage (absent with
    /// perfect communications).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comms: Option<CommsSummary>,
}

/// Whether a count is zero (left out of `report.json`).
fn is_zero<T: Default + PartialEq>(x: &T) -> bool {
    *x == T::default()
}

/// What tactical resolution did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TacticalSummary {
    /// The method (`None`, `Speed`, `Vertical`, `Mvp`).
    pub method: crate::scenario::Tactical,
    /// Intrusion prevention rate on conflict episodes: the share of episodes that never
    /// became a loss of separation (1 when there is none). Episodes that resolution
    /// itself causes count too: read it beside the domino effect parameter
    /// (`run --compare-resolution`).
    pub intrusion_prevention_rate: f64,
    /// Conflict episodes that became a loss of separation.
    pub conflicts_became_los: u64,
    /// Losses of separation with no prior alert: the episode was already in loss of
    /// separation in the step it was first detected.
    pub los_without_alert: u64,
    /// Manoeuvres begun by changing speed.
    pub speed_manoeuvres: u64,
    /// Manoeuvres begun by changing altitude.
    pub vertical_manoeuvres: u64,
    /// Manoeuvres begun by moving sideways off the lane's centre line (MVP).
    pub lateral_manoeuvres: u64,
    /// Time drones spent manoeuvring, hours in total.
    pub manoeuvring_hours: f64,
    /// Extra vertical distance flown off plan, km in total.
    pub extra_vertical_km: f64,
    /// In-flight re-plans of drones far behind their plan (with strategic deconfliction).
    pub replans: u64,
    /// Re-booked lane entries closer than the headway to another booking.
    pub headway_breaches: u64,
}

/// Arrival delay of a completed flight against its unconstrained plan, seconds.
fn delay(sim: &Simulation, f: FlightId) -> f64 {
    sim.states()[f].end_s - sim.unconstrained_arrival_s(f)
}

/// Sums over every flight, in flight order.
struct FlightTotals {
    counts: FlightCounts,
    flight_s: f64,
    energy_wh: f64,
    dist_m: f64,
    holding_s: f64,
    delays: Vec<f64>,
    ground: Vec<f64>,
    manoeuvring_s: f64,
    offset_m: f64,
    water_flights: usize,
    water_m: f64,
}

impl FlightTotals {
    fn of(sim: &Simulation, dynamics: &[crate::sim::Dynamics]) -> FlightTotals {
        let mut t = FlightTotals {
            counts: FlightCounts {
                planned: sim.flights().len(),
                departed: 0,
                completed: 0,
                airborne_at_end: 0,
                waiting_for_pad_at_end: 0,
                not_yet_due: 0,
                battery_depleted: 0,
                cancelled: 0,
                diverted: 0,
            },
            flight_s: 0.0,
            energy_wh: 0.0,
            dist_m: 0.0,
            holding_s: 0.0,
            delays: Vec::new(),
            ground: Vec::new(),
            manoeuvring_s: 0.0,
            offset_m: 0.0,
            water_flights: 0,
            water_m: 0.0,
        };
        let c = &mut t.counts;
        for (f, st) in sim.states().iter().enumerate() {
            let d = &dynamics[f];
            let id = FlightId::new(f);
            match st.status {
                Status::Scheduled => c.not_yet_due += 1,
                Status::WaitingForPad => c.waiting_for_pad_at_end += 1,
                Status::Airborne => c.airborne_at_end += 1,
                Status::Completed => c.completed += 1,
                Status::Diverted => c.diverted += 1,
                Status::BatteryDepleted => c.battery_depleted += 1,
                Status::Cancelled => c.cancelled += 1,
            }
            if st.takeoff_s.is_finite() {
                c.departed += 1;
                let end = if st.end_s.is_finite() {
                    st.end_s
                } else {
                    sim.time_s()
                };
                t.flight_s += end - st.takeoff_s;
                t.energy_wh += d.energy_wh;
                t.dist_m += d.motion.s;
                t.manoeuvring_s += f64::from(d.manoeuvring_s);
                t.offset_m += f64::from(d.offset_flown_m);
                let water = sim.plan(id).over_water_m;
                t.water_m += water;
                t.water_flights += usize::from(water > 0.0);
                t.holding_s += d.holding_s;
                t.ground.push(st.takeoff_s - sim.flights()[f].scheduled_s);
            }
            if st.status == Status::Completed {
                t.delays.push(delay(sim, id));
            }
        }
        t
    }
}

/// Each corridor's lanes: entries, rate, headway capacity, utilisation, occupancy.
fn corridor_use(sim: &Simulation) -> Vec<CorridorUse> {
    let net = sim.net();
    let hours = sim.time_s() / 3600.0;
    let lane_use = |li: usize, l: &crate::network::Lane| {
        let st = &sim.lane_stats()[li];
        let per_hour = if hours > 0.0 {
            st.entries as f64 / hours
        } else {
            0.0
        };
        let cap = if l.headway_s > 0.0 {
            3600.0 / l.headway_s
        } else {
            f64::INFINITY
        };
        LaneUse {
            direction: format!("{}->{}", net.nodes[l.from].id, net.nodes[l.to].id),
            altitude_m: l.alt_m,
            entries: st.entries,
            entries_per_hour: per_hour,
            capacity_per_hour: if cap.is_finite() { cap } else { 0.0 },
            utilisation: if cap.is_finite() { per_hour / cap } else { 0.0 },
            mean_occupancy: if sim.time_s() > 0.0 {
                st.occupancy_s / sim.time_s()
            } else {
                0.0
            },
        }
    };
    // Each corridor's lanes in lane order, found in one pass (a search of every lane per
    // corridor took seconds on the 37,000-lane region networks, at every report the
    // window's panel draws).
    let mut lanes: Vec<Vec<LaneUse>> = vec![Vec::new(); net.corridor_ids.len()];
    for (li, l) in net.lanes.iter().enumerate() {
        lanes[l.corridor].push(lane_use(li, l));
    }
    net.corridor_ids
        .iter()
        .zip(lanes)
        .map(|(id, lanes)| CorridorUse {
            id: id.clone(),
            lanes,
        })
        .collect()
}

impl StrategicSummary {
    fn of(sim: &Simulation) -> StrategicSummary {
        let flights = sim.flights();
        let mut cancellations = BTreeMap::new();
        let mut ground_delay_binding = BTreeMap::new();
        for f in flights {
            if let Some(reason) = &f.cancelled {
                *cancellations.entry(reason.kind().to_string()).or_insert(0) += 1;
                if let CancelReason::GroundDelay {
                    binding: Some(r), ..
                } = **reason
                {
                    *ground_delay_binding
                        .entry(r.name().to_string())
                        .or_insert(0) += 1;
                }
            }
        }
        let enabled = sim.scenario().deconfliction.strategic;
        StrategicSummary {
            demand: if enabled {
                accepted_demand(sim)
            } else {
                Vec::new()
            },
            enabled,
            delayed: flights
                .iter()
                .filter(|f| f.departure_s > f.scheduled_s)
                .count(),
            assigned_ground_delay_s: Spread::of(
                flights
                    .iter()
                    .filter(|f| f.cancelled.is_none())
                    .map(|f| f.departure_s - f.scheduled_s)
                    .collect(),
            ),
            rerouted: flights.iter().filter(|f| f.rerouted).count(),
            reroute_extra_s: flights
                .iter()
                .filter(|f| f.rerouted)
                .map(|f| {
                    sim.plans()[f.plan].duration_s - (f.unconstrained_arrival_s - f.scheduled_s)
                })
                .fold(0.0, |a, b| a + b),
            cancellations,
            ground_delay_binding,
        }
    }
}

impl TacticalSummary {
    fn of(sim: &Simulation, ev: &EventSummary, t: &FlightTotals) -> TacticalSummary {
        let stats = sim.tactical_stats();
        TacticalSummary {
            method: sim.scenario().deconfliction.tactical,
            intrusion_prevention_rate: if ev.conflicts > 0 {
                1.0 - ev.conflicts_became_los as f64 / ev.conflicts as f64
            } else {
                1.0
            },
            conflicts_became_los: ev.conflicts_became_los,
            los_without_alert: ev.los_without_alert,
            speed_manoeuvres: stats.speed_manoeuvres,
            vertical_manoeuvres: stats.vertical_manoeuvres,
            lateral_manoeuvres: stats.lateral_manoeuvres,
            manoeuvring_hours: t.manoeuvring_s / 3600.0,
            extra_vertical_km: t.offset_m / 1000.0,
            replans: stats.replans,
            headway_breaches: stats.headway_breaches,
        }
    }
}

impl Report {
    /// Computes the KPIs of `sim` as it stands.
    pub fn from_sim(sim: &Simulation) -> Report {
        let s = sim.scenario();
        let dynamics = sim.current_dynamics();
        let t = FlightTotals::of(sim, &dynamics);
        let ev = &sim.events().summary;
        let (conflicts, los) = (ev.conflicts as usize, ev.los as usize);
        let flight_hours = t.flight_s / 3600.0;
        let hours = sim.time_s() / 3600.0;
        let (jurisdictions, city_pairs, gates, cross_border_flights) =
            regional::regional(sim, &dynamics);
        Report {
            cross_border_flights,
            jurisdictions,
            city_pairs,
            gates,
            scenario: s.name.clone(),
            seed: s.seed,
            simulated_s: sim.time_s(),
            dt_s: s.dt_s,
            separation: s.separation,
            flights: t.counts.clone(),
            flight_hours,
            peak_airborne: sim.peak_airborne(),
            conflicts,
            losses_of_separation: los,
            losses_of_separation_at_vertiports: ev.los_at_vertiports as usize,
            collisions: ev.collisions,
            near_misses: ev.near_misses,
            los_time_s: ev.los_s,
            losses_of_separation_by_location: ev
                .los_by_location
                .iter()
                .map(|(k, v)| ((*k).to_string(), *v))
                .collect(),
            vertiports: vertiport_use(sim),
            los_per_flight_hour: if flight_hours > 0.0 {
                los as f64 / flight_hours
            } else {
                0.0
            },
            min_separation_m: (los > 0).then_some(ev.min_separation_m),
            intrusion_severity: Spread::of(ev.severities.clone()),
            events_not_in_csv: ev.not_kept,
            delay_s: Spread::of(t.delays.clone()),
            ground_delay_s: Spread::of(t.ground.clone()),
            holding_s_total: t.holding_s,
            throughput_per_hour: if hours > 0.0 {
                t.counts.completed as f64 / hours
            } else {
                0.0
            },
            energy_wh: t.energy_wh,
            distance_km: t.dist_m / 1000.0,
            over_water_flights: t.water_flights,
            over_water_km: t.water_m / 1000.0,
            corridors: corridor_use(sim),
            strategic: StrategicSummary::of(sim),
            tactical: TacticalSummary::of(sim, ev, &t),
            los_causes: los_causes(sim),
            comms: CommsSummary::of(sim),
        }
    }

    /// The few lines printed after a run.
    pub fn summary(&self) -> String {
        let f = &self.flights;
        let mut out = String::new();
        out += &format!(
            "scenario      {} (seed {}, {:.0} s simulated)\n",
            self.scenario, self.seed, self.simulated_s
        );
        out += &format!(
            "flights       {} planned, {} completed, {} in the air at the end, {} waiting for a pad, {} battery depleted, {} cancelled\n",
            f.planned,
            f.completed,
            f.airborne_at_end,
            f.waiting_for_pad_at_end,
            f.battery_depleted,
            f.cancelled
        );
        if f.diverted > 0 {
            out.pop();
            out += &format!(", {} diverted\n", f.diverted);
        }
        if self.strategic.enabled {
            out += &format!(
                "strategic     {} delayed on the ground (mean {:.1} s, p95 {:.1} s), {} rerouted (+{:.0} s), {} cancelled\n",
                self.strategic.delayed,
                self.strategic.assigned_ground_delay_s.mean,
                self.strategic.assigned_ground_delay_s.p95,
                self.strategic.rerouted,
                self.strategic.reroute_extra_s.max(0.0),
                f.cancelled
            );
            if !self.strategic.cancellations.is_empty() {
                let by = |m: &BTreeMap<String, usize>| {
                    m.iter()
                        .map(|(k, n)| format!("{n} {k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out += &format!("cancelled     {}", by(&self.strategic.cancellations));
                if !self.strategic.ground_delay_binding.is_empty() {
                    out += &format!(
                        " (ground delay mostly ruled out by: {})",
                        by(&self.strategic.ground_delay_binding)
                    );
                }
                out += "\n";
            }
        }
        out += &format!(
            "traffic       {:.1} flight hours, peak {} airborne, {:.1} arrivals/h, {:.1} km, {:.1} kWh\n",
            self.flight_hours,
            self.peak_airborne,
            self.throughput_per_hour,
            self.distance_km,
            self.energy_wh / 1000.0
        );
        out += &format!(
            "safety        {} conflicts, {} losses of separation ({} at vertiports; {:.3} per flight hour), min separation {}, {} near misses, {} collisions, {:.0} s in loss of separation\n",
            self.conflicts,
            self.losses_of_separation,
            self.losses_of_separation_at_vertiports,
            self.los_per_flight_hour,
            self.min_separation_m
                .map_or("-".to_string(), |m| format!("{m:.1} m")),
            self.near_misses,
            self.collisions,
            self.los_time_s
        );
        out += &self.los_causes.summary_line();
        if let Some(l) = self.comms.as_ref().and_then(|c| c.lost_link.as_ref()) {
            out += &l.summary_line();
        }
        if self.tactical.method != crate::scenario::Tactical::None {
            let t = &self.tactical;
            out += &format!(
                "tactical      {:?}: {} speed, {} vertical and {} sideways manoeuvres, {:.1} h manoeuvring, intrusion prevention rate {:.2}, {} losses with no prior alert\n",
                t.method,
                t.speed_manoeuvres,
                t.vertical_manoeuvres,
                t.lateral_manoeuvres,
                t.manoeuvring_hours,
                t.intrusion_prevention_rate,
                t.los_without_alert
            );
        }
        out += &format!(
            "delay         mean {:.1} s, p95 {:.1} s (ground: mean {:.1} s)\n",
            self.delay_s.mean, self.delay_s.p95, self.ground_delay_s.mean
        );
        if self.events_not_in_csv > 0 {
            out += &format!(
                "events        {} more events counted than events.csv lists (raise --max-events to list them)\n",
                self.events_not_in_csv
            );
        }
        if !self.gates.is_empty() || self.cross_border_flights > 0 {
            let waits: Vec<String> = self
                .gates
                .iter()
                .map(|g| {
                    format!(
                        "{} {} through, mean wait {:.1} s, queue up to {}",
                        g.id, g.passages, g.mean_wait_s, g.max_queue
                    )
                })
                .collect();
            out += &format!(
                "border        {} cross-border flights; {}\n",
                self.cross_border_flights,
                if waits.is_empty() {
                    "no gates".to_string()
                } else {
                    waits.join("; ")
                }
            );
        }
        let held: u64 = self.vertiports.iter().map(|v| v.held).sum();
        if let Some(v) = self
            .vertiports
            .iter()
            .max_by(|a, b| a.fato_utilisation.total_cmp(&b.fato_utilisation))
        {
            out += &format!(
                "vertiports    busiest {}: {:.0} movements/h, FATOs {:.0}% used, stack up to {} of {}; {held} arrivals held in all\n",
                v.id,
                v.movements_per_hour,
                100.0 * v.fato_utilisation,
                v.max_stack,
                v.stack_levels
            );
        }
        let busiest = self
            .corridors
            .iter()
            .flat_map(|c| c.lanes.iter().map(move |l| (c, l)))
            .max_by(|a, b| a.1.utilisation.total_cmp(&b.1.utilisation));
        if let Some((c, l)) = busiest {
            out += &format!(
                "busiest lane  {} {} at {:.0}% of its headway capacity\n",
                c.id,
                l.direction,
                l.utilisation * 100.0
            );
        }
        out
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Writes to `path` what `write` writes, through a temporary file in the same folder
/// and a rename: a large file goes straight to disk, never whole in memory.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = output_in_progress(dir)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        String::new()
    }
}

/// `flights.csv`: one row per flight.
pub fn write_flights_csv(sim: &Simulation, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "drone_type",
        "origin",
        "destination",
        "route",
        "status",
        "scheduled_departure_s",
        "cleared_departure_s",
        "rerouted",
        "cancel_reason",
        "takeoff_s",
        "planned_arrival_s",
        "end_s",
        "delay_s",
        "ground_delay_s",
        "holding_s",
        "distance_m",
        "over_water_m",
        "gates",
        "gate_wait_s",
        "energy_wh",
        "battery_left_pct",
        "lat",
        "lon",
        "alt_m",
    ])?;
    let dynamics = sim.current_dynamics();
    for (f, fl) in sim.flights().iter().enumerate() {
        let st = &sim.states()[f];
        let dy = &dynamics[f];
        let id = FlightId::new(f);
        let plan = sim.plan(id);
        let ty = sim.drone_type(id);
        let status = serde_json::to_value(st.status)
            .expect("enum")
            .as_str()
            .unwrap_or("")
            .to_string();
        let departed = st.takeoff_s.is_finite();
        let (lat, lon, alt) = if departed {
            let p = dy.pos;
            let (lat, lon) = sim.net().frame.to_geo(p.x, p.y);
            (num(lat, 6), num(lon, 6), num(p.z, 1))
        } else {
            Default::default()
        };
        let d = |x: f64| if departed { num(x, 3) } else { String::new() };
        w.write_record([
            fl.id.clone(),
            ty.id.clone(),
            sim.net().nodes[plan.origin].id.clone(),
            // Filed, not diverted to (the status says when it landed elsewhere).
            sim.net().nodes[sim.plans()[fl.plan].destination].id.clone(),
            plan.route_label(sim.net()),
            status,
            num(fl.scheduled_s, 3),
            num(fl.departure_s, 3),
            fl.rerouted.to_string(),
            fl.cancelled
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            num(st.takeoff_s, 3),
            num(fl.departure_s + plan.duration_s, 3),
            num(st.end_s, 3),
            if st.status == Status::Completed {
                num(delay(sim, id), 3)
            } else {
                String::new()
            },
            d(st.takeoff_s - fl.scheduled_s),
            d(dy.holding_s),
            d(dy.motion.s),
            num(plan.over_water_m, 0),
            plan.gates
                .iter()
                .map(|&(_, n)| sim.net().nodes[n].id.as_str())
                .collect::<Vec<_>>()
                .join(">"),
            d(sim.gates().wait_s(id)),
            d(dy.energy_wh),
            d(100.0 * (1.0 - dy.energy_wh / ty.battery_wh)),
            lat,
            lon,
            alt,
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// What a `write_*_csv` function writes, into memory.
fn in_memory(
    sim: &Simulation,
    write: fn(&Simulation, &mut dyn Write) -> std::io::Result<()>,
) -> Vec<u8> {
    let mut v = Vec::new();
    write(sim, &mut v).expect("writing to memory");
    v
}

/// [`write_flights_csv`] into memory.
pub fn flights_csv(sim: &Simulation) -> Vec<u8> {
    in_memory(sim, write_flights_csv)
}

/// The columns of `events.csv`.
const EVENTS_HEADER: [&str; 31] = [
    "kind",
    "flight_a",
    "flight_b",
    "start_s",
    "end_s",
    "duration_s",
    "min_horizontal_m",
    "vertical_m",
    "severity",
    "time_to_los_s",
    "became_los",
    "lat",
    "lon",
    "alt_m",
    "open_at_end",
    "location",
    "vertiport",
    "phase_a",
    "phase_b",
    "place_a",
    "place_b",
    "predicted",
    "warning_s",
    "decisions_a",
    "decisions_b",
    "follows",
    "follows_gap_s",
    "domino",
    "earlier_episode_gap_s",
    "report_age_a_s",
    "report_age_b_s",
];

/// One row of `events.csv`.
fn event_row(fleet: &Fleet, net: &Network, e: &Event) -> impl Iterator<Item = String> {
    let (lat, lon) = net.frame.to_geo(e.at[0], e.at[1]);
    let conflict = e.kind == EventKind::Conflict;
    let cause = forensics::cause_columns(fleet, net, e);
    let row = [
        if conflict { "conflict" } else { "los" }.to_string(),
        fleet.flights()[e.a.index()].id.clone(),
        fleet.flights()[e.b.index()].id.clone(),
        num(e.start_s, 3),
        num(e.end_s, 3),
        num(e.end_s - e.start_s, 3),
        num(e.min_horizontal_m, 3),
        num(e.vertical_m, 3),
        num(e.severity, 4),
        if conflict {
            num(e.time_to_los_s, 3)
        } else {
            String::new()
        },
        if conflict {
            e.became_los.to_string()
        } else {
            String::new()
        },
        num(lat, 6),
        num(lon, 6),
        num(e.at[2], 1),
        e.open_at_end.to_string(),
        location_kind(e.location).to_string(),
        match e.location {
            TrackPlace::Terminal(v, _) | TrackPlace::Junction(v) => net.nodes[v].id.clone(),
            TrackPlace::EnRoute => String::new(),
        },
    ];
    row.into_iter().chain(cause)
}

/// `events.csv`: one row per conflict or loss-of-separation event, by start time (when
/// the run streamed its events, see [`EventsFile`], only its losses of separation).
pub fn write_events_csv(sim: &Simulation, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(EVENTS_HEADER)?;
    for e in sim.events().sorted() {
        w.write_record(event_row(sim.fleet(), sim.net(), e))?;
    }
    w.flush()?;
    Ok(())
}

/// `events.csv` written while the simulation runs, each event as it closes (in the
/// file's order, see [`crate::sim::events::EventTracker::stream_to`]): through a
/// temporary file in the output folder, renamed into place by [`EventSink::finish`];
/// dropped unfinished, it is removed.
pub struct EventsFile {
    dir: PathBuf,
    csv: csv::Writer<BufWriter<NamedTempFile>>,
}

impl EventsFile {
    /// Starts the file in `dir` (created if missing).
    pub fn create(dir: &Path) -> std::io::Result<EventsFile> {
        Ok(EventsFile {
            dir: dir.to_path_buf(),
            csv: csv_in_progress(dir, &EVENTS_HEADER)?,
        })
    }
}

impl EventSink for EventsFile {
    fn record(&mut self, e: &Event, fleet: &Fleet, net: &Network) -> std::io::Result<()> {
        self.csv.write_record(event_row(fleet, net, e))?;
        Ok(())
    }

    fn finish(self: Box<Self>, _: &Fleet, _: &Network) -> std::io::Result<()> {
        persist_csv(self.csv, &self.dir.join("events.csv"))
    }
}

/// A CSV file written while the simulation runs: a temporary file in `dir` (created if
/// missing) with `header` written, renamed into place by [`persist_csv`] (dropped
/// before, it is removed).
fn csv_in_progress(
    dir: &Path,
    header: &[&str],
) -> std::io::Result<csv::Writer<BufWriter<NamedTempFile>>> {
    std::fs::create_dir_all(dir)?;
    let mut csv = csv::Writer::from_writer(BufWriter::new(output_in_progress(dir)?));
    csv.write_record(header)?;
    Ok(csv)
}

/// A temporary file in `dir` that becomes an output once renamed into place, with the
/// permissions [`std::fs::File::create`] would give it (0666 less the umask): a
/// temporary file's own, 0600, would leave a report only its writer can read.
pub(crate) fn output_in_progress(dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}

/// Flushes a CSV file started by [`csv_in_progress`] to disk and renames it to `path`.
fn persist_csv(csv: csv::Writer<BufWriter<NamedTempFile>>, path: &Path) -> std::io::Result<()> {
    let file = csv.into_inner().map_err(|e| e.into_error())?;
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`write_events_csv`] into memory.
pub fn events_csv(sim: &Simulation) -> Vec<u8> {
    in_memory(sim, write_events_csv)
}

/// `plans.csv`: the 4D plans, one row per path vertex: time from take-off, position and
/// the corridor flown from there (empty for the climb off and the descent onto a pad).
pub fn write_plans_csv(sim: &Simulation, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "plan",
        "origin",
        "destination",
        "drone_type",
        "vertex",
        "t_s",
        "lat",
        "lon",
        "alt_m",
        "corridor",
    ])?;
    // Shed plans (see `PlanKeeping::InUse`) are rebuilt a block at a time, on every
    // core, and written in order.
    const BLOCK: usize = 4096;
    let n = sim.plans().len();
    let blocks = (0..n.div_ceil(BLOCK)).map(|b| {
        use rayon::prelude::*;
        (b * BLOCK..n.min((b + 1) * BLOCK))
            .into_par_iter()
            .map(|i| sim.whole_plan(PlanId::new(i)))
            .collect::<Vec<_>>()
    });
    for (i, plan) in blocks.flatten().enumerate() {
        let path = &plan.path;
        for (k, &t) in plan.seg_t.iter().enumerate() {
            let p = if k < path.segs.len() {
                path.segs[k].start
            } else {
                path.position(k - 1, path.total_m())
            };
            let (lat, lon) = sim.net().frame.to_geo(p[0], p[1]);
            let corridor = match path.segs.get(k).and_then(|g| g.lane) {
                None => String::new(),
                Some(lane) => sim.net().corridor_ids[sim.net().lanes[lane].corridor].clone(),
            };
            w.write_record([
                i.to_string(),
                sim.net().nodes[plan.origin].id.clone(),
                sim.net().nodes[plan.destination].id.clone(),
                sim.scenario().drone_types[plan.drone_type].id.clone(),
                k.to_string(),
                num(t, 3),
                num(lat, 6),
                num(lon, 6),
                num(p[2], 1),
                corridor,
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// [`write_plans_csv`] into memory.
pub fn plans_csv(sim: &Simulation) -> Vec<u8> {
    in_memory(sim, write_plans_csv)
}

/// Writes `report.json`, `flights.csv`, `events.csv` and `plans.csv` into `dir` (created
/// if missing), and the trajectory files when they were recorded.
pub fn write_outputs(sim: &Simulation, report: &Report, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut json = serde_json::to_vec_pretty(report).expect("report serialises");
    json.push(b'\n');
    write_atomic(&dir.join("report.json"), &json)?;
    write_atomic(
        &dir.join("report.md"),
        regional::markdown(report).as_bytes(),
    )?;
    // Straight to disk: at region scale these are hundreds of megabytes.
    write_atomic_with(&dir.join("flights.csv"), |w| write_flights_csv(sim, w))?;
    // A run that streamed its events wrote them as they closed.
    if !sim.events().streamed() {
        write_atomic_with(&dir.join("events.csv"), |w| write_events_csv(sim, w))?;
    }
    write_atomic_with(&dir.join("plans.csv"), |w| write_plans_csv(sim, w))?;
    if let Some((csv, geojson)) = trajectory_files(sim) {
        write_atomic(&dir.join("trajectories.csv"), &csv)?;
        write_atomic(&dir.join("trajectories.geojson"), geojson.as_bytes())?;
    }
    Ok(())
}
