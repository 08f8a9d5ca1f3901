//! The same scenario with and without tactical resolution, side by side
//! (`run --compare-resolution`, `comparison.json`): the domino effect parameter
//! (conflicts with resolution over conflicts without, minus 1), losses of separation,
//! energy, distance and delay of both.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Report;
use crate::ids::FlightId;
use crate::sim::Simulation;
use crate::sim::events::EventKind;

/// Conflict episodes per pair of flights (lower id first).
pub type ConflictPairs = BTreeMap<(FlightId, FlightId), u32>;

/// Conflict episodes per pair of flights in a finished run (from the events it kept:
/// all of them unless `run --max-events` cut the list).
pub fn conflict_pairs(sim: &Simulation) -> ConflictPairs {
    let mut pairs = BTreeMap::new();
    for e in &sim.events().closed {
        if e.kind == EventKind::Conflict {
            *pairs.entry((e.a.min(e.b), e.a.max(e.b))).or_default() += 1;
        }
    }
    pairs
}

/// Where the extra conflict episodes of a run with resolution come from, against the
/// same run without: pairs of drones that conflict only with resolution (the manoeuvres
/// brought them together), and pairs that conflict in both but more often with it (a
/// resolved pair coming back into conflict).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Attribution {
    /// Distinct pairs in conflict with resolution.
    pub pairs_with: usize,
    /// Distinct pairs in conflict without.
    pub pairs_without: usize,
    /// Pairs in conflict only with resolution.
    pub new_pairs: usize,
    /// Their conflict episodes.
    pub new_pair_episodes: u64,
    /// Episodes beyond the first of pairs in conflict in both runs, with resolution.
    pub repeat_episodes: u64,
    /// The same without resolution.
    pub repeat_episodes_without: u64,
    /// Pairs in conflict without resolution that never are with it.
    pub pairs_avoided: usize,
    /// Their conflict episodes without resolution.
    pub avoided_episodes: u64,
}

impl Attribution {
    /// Compares the conflict pairs of a run with resolution to those of one without.
    pub fn of(with: &ConflictPairs, without: &ConflictPairs) -> Attribution {
        let mut a = Attribution {
            pairs_with: with.len(),
            pairs_without: without.len(),
            ..Attribution::default()
        };
        for (pair, &n) in with {
            match without.get(pair) {
                None => {
                    a.new_pairs += 1;
                    a.new_pair_episodes += u64::from(n);
                }
                Some(&m) => {
                    a.repeat_episodes += u64::from(n - 1);
                    a.repeat_episodes_without += u64::from(m - 1);
                }
            }
        }
        for (pair, &m) in without {
            if !with.contains_key(pair) {
                a.pairs_avoided += 1;
                a.avoided_episodes += u64::from(m);
            }
        }
        a
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// Conflict events.
    pub conflicts: usize,
    /// Loss-of-separation events.
    pub losses_of_separation: usize,
    /// Of those, at vertiports.
    pub losses_of_separation_at_vertiports: usize,
    /// Intrusion prevention rate.
    pub intrusion_prevention_rate: f64,
    /// Energy used, watt-hours.
    pub energy_wh: f64,
    /// Distance flown, kilometres.
    pub distance_km: f64,
    /// Mean delay of completed flights, seconds.
    pub delay_mean_s: f64,
    /// Flights completed.
    pub flights_completed: usize,
}

impl Side {
    fn of(r: &Report) -> Side {
        Side {
            conflicts: r.conflicts,
            losses_of_separation: r.losses_of_separation,
            losses_of_separation_at_vertiports: r.losses_of_separation_at_vertiports,
            intrusion_prevention_rate: r.tactical.intrusion_prevention_rate,
            energy_wh: r.energy_wh,
            distance_km: r.distance_km,
            delay_mean_s: r.delay_s.mean,
            flights_completed: r.flights.completed,
        }
    }
}

/// A run with tactical resolution beside the same run without.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The resolution method compared.
    pub method: crate::scenario::Tactical,
    /// The run with resolution.
    pub with_resolution: Side,
    /// The run without.
    pub without_resolution: Side,
    /// Conflicts with resolution over conflicts without, minus 1 (0 when the run without
    /// has none): how many conflicts the manoeuvres themselves caused.
    pub domino_effect_parameter: f64,
    /// Energy the manoeuvres cost, watt-hours.
    pub extra_energy_wh: f64,
    /// Distance the manoeuvres added, kilometres.
    pub extra_distance_km: f64,
    /// Where the extra conflicts come from (`None` when the pairs were not compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
}

impl Comparison {
    /// Compares the report of a run with resolution (`with`) to one without.
    pub fn of(with: &Report, without: &Report) -> Comparison {
        let dep = if without.conflicts > 0 {
            with.conflicts as f64 / without.conflicts as f64 - 1.0
        } else {
            0.0
        };
        Comparison {
            method: with.tactical.method,
            with_resolution: Side::of(with),
            without_resolution: Side::of(without),
            domino_effect_parameter: dep,
            extra_energy_wh: with.energy_wh - without.energy_wh,
            extra_distance_km: with.distance_km - without.distance_km,
            attribution: None,
        }
    }

    /// With the attribution of the extra conflicts to pairs (see [`Attribution`]).
    pub fn with_attribution(mut self, a: Attribution) -> Comparison {
        self.attribution = Some(a);
        self
    }

    /// `comparison.json`, pretty-printed with a final newline, keys in alphabetical order
    /// (as the file has always been written).
    pub fn to_json(&self) -> String {
        let value = serde_json::to_value(self).expect("serialises");
        let mut text = serde_json::to_string_pretty(&value).expect("serialises");
        text.push('\n');
        text
    }

    /// One summary line (two with the attribution).
    pub fn summary(&self) -> String {
        let (w, wo) = (&self.with_resolution, &self.without_resolution);
        let pairs = self.attribution.as_ref().map_or(String::new(), |a| {
            format!(
                "              {} pairs in conflict with resolution, {} without: {} new ({} episodes), {} avoided; {} repeat episodes with, {} without\n",
                a.pairs_with,
                a.pairs_without,
                a.new_pairs,
                a.new_pair_episodes,
                a.pairs_avoided,
                a.repeat_episodes,
                a.repeat_episodes_without
            )
        });
        format!(
            "compare       {:?}: {} conflicts / {} LoS with resolution, {} / {} without; domino effect parameter {:.3}, extra energy {:.1} kWh\n",
            self.method,
            w.conflicts,
            w.losses_of_separation,
            wo.conflicts,
            wo.losses_of_separation,
            self.domino_effect_parameter,
            self.extra_energy_wh / 1000.0
        ) + &pairs
    }
}
