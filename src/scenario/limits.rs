//! Limits on the work a scenario may ask for, checked from its numbers before any of that
//! work starts: a mistyped exponent (`flights_per_hour: 1e308`, `dt_s: 1e-9`) gets an
//! error in milliseconds instead of taking the machine down.
//!
//! Estimates come from the parameters, never by generating: the departures a flow's
//! sampler will draw are its rate times `demand.scale` times its window (times the
//! profile's peak factor, since the sampler draws candidates at the peak rate and thins
//! them), and the steps of a run are `duration_s / dt_s`. Raise a limit for a deliberate
//! case with `limits: (max_flights: N)` in the scenario or `--set limits.max_flights=N`.

use serde::{Deserialize, Serialize};

use super::{Scenario, ValidationError};

/// The limits in force. Defaults fit a workstation: 2,000,000 flights are about 0.6 GB of
/// flights and plans (see the README's memory figures), 10,000,000 steps are 116 days
/// at a 1 s step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Most flights the demand may produce (departures the sampler draws, plus explicit
    /// flights). Default: 2,000,000.
    pub max_flights: f64,
    /// Most simulation steps (`duration_s / dt_s`). Default: 10,000,000.
    pub max_steps: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flights: 2_000_000.0,
            max_steps: 10_000_000.0,
        }
    }
}

impl Limits {
    /// Whether these are the defaults (then they are not written out).
    pub fn is_default(&self) -> bool {
        *self == Limits::default()
    }
}

/// Departures the demand sampler will draw for each flow, in scenario order (candidates at
/// the profile's peak rate; a flow with no rate draws none).
pub fn flow_departures(s: &Scenario) -> Vec<f64> {
    let peak = if s.demand.profile.is_empty() {
        1.0
    } else {
        s.demand.profile.iter().map(|p| p.1).fold(0.0_f64, f64::max)
    };
    s.demand
        .flows
        .iter()
        .map(|f| {
            let rate_per_s = f.flights_per_hour * s.demand.scale / 3600.0;
            let end = f.end_s.unwrap_or(s.duration_s);
            let window = (end - f.start_s).max(0.0);
            if rate_per_s > 0.0 && window > 0.0 {
                rate_per_s * peak * window
            } else {
                0.0
            }
        })
        .collect()
}

/// Every limit the scenario's numbers would break (empty when within them). Assumes the
/// numbers themselves passed validation (finite, in range).
pub fn check(s: &Scenario) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let lim = &s.limits;
    let raise = |field: &str| {
        format!("raise it with `--set limits.{field}=N` or `limits: ({field}: N)` in the scenario")
    };
    let steps = s.duration_s / s.dt_s;
    if steps.is_nan() || steps > lim.max_steps {
        errors.push(ValidationError::section(
            "scenario",
            "duration_s",
            format!(
                "{} s in steps of {} s is {steps:.3e} steps, over the limit of {:.0} steps ({})",
                s.duration_s,
                s.dt_s,
                lim.max_steps,
                raise("max_steps")
            ),
        ));
    }
    let per_flow = flow_departures(s);
    let total: f64 = per_flow.iter().sum::<f64>() + s.demand.flights.len() as f64;
    if total.is_nan() || total > lim.max_flights {
        // Point at the flow that asks for most (its line), and give the total.
        let biggest = per_flow
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| &s.demand.flows[i]);
        let asks = if total.is_finite() {
            format!("about {total:.3e} flights")
        } else {
            "more flights than a number can hold".to_string()
        };
        let message = format!(
            "the demand asks for {asks} over {} s, over the limit of {:.0} flights ({})",
            s.duration_s,
            lim.max_flights,
            raise("max_flights")
        );
        errors.push(match biggest {
            Some(f) => ValidationError::item(
                "flow",
                &format!("{}->{}", f.origin, f.destination),
                "flights_per_hour",
                message,
            ),
            None => ValidationError::section("demand", "flights", message),
        });
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departures_are_rate_times_window_times_peak() {
        let text = std::fs::read_to_string("tests/scenarios/head_on.ron").unwrap();
        let mut s = crate::scenario::parse_str(&text, std::path::Path::new("head_on.ron")).unwrap();
        s.demand.flows = vec![crate::scenario::Flow {
            origin: "A1".into(),
            destination: "B1".into(),
            flights_per_hour: 360.0,
            start_s: 600.0,
            end_s: Some(1600.0),
            mix: [("test".to_string(), 1.0)].into(),
            priority: 0,
        }];
        s.demand.scale = 2.0;
        // 360/h x 2 = 0.2/s over 1000 s.
        assert!((flow_departures(&s)[0] - 200.0).abs() < 1e-9);
        s.demand.profile = vec![(0.0, 0.5), (12.0, 1.5)];
        assert!((flow_departures(&s)[0] - 300.0).abs() < 1e-9);
    }
}
