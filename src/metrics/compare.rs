//! The same scenario with and without tactical resolution, side by side
//! (`run --compare-resolution`, `comparison.json`): the domino effect parameter
//! (conflicts with resolution over conflicts without, minus 1), losses of separation,
//! energy, distance and delay of both.

use serde::Serialize;

use super::Report;

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
        }
    }

    /// `comparison.json`, pretty-printed with a final newline, keys in alphabetical order
    /// (as the file has always been written).
    pub fn to_json(&self) -> String {
        let value = serde_json::to_value(self).expect("serialises");
        let mut text = serde_json::to_string_pretty(&value).expect("serialises");
        text.push('\n');
        text
    }

    /// One summary line.
    pub fn summary(&self) -> String {
        let (w, wo) = (&self.with_resolution, &self.without_resolution);
        format!(
            "compare       {:?}: {} conflicts / {} LoS with resolution, {} / {} without; domino effect parameter {:.3}, extra energy {:.1} kWh\n",
            self.method,
            w.conflicts,
            w.losses_of_separation,
            wo.conflicts,
            wo.losses_of_separation,
            self.domino_effect_parameter,
            self.extra_energy_wh / 1000.0
        )
    }
}
