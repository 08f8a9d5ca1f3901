//! The wind as plans and drones meet it. A drone holds its track by crabbing into the
//! wind at its airspeed, so its ground speed along the track is the wind's component
//! along it plus what is left of the airspeed once the crosswind is cancelled:
//! `g = w·t + √(v² − (w×t)²)`. Plans are made in the forecast wind, drones fly in the
//! actual one; with the two equal (the default) a drone flies its plan exactly.
//! Metres per second, `[east, north]`.

use crate::scenario::Uncertainty;

/// The forecast and the actual wind, uniform.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Weather {
    /// The wind plans are made with, `[east, north]` m/s (the air's velocity).
    pub forecast: [f64; 2],
    /// The wind drones fly in.
    pub actual: [f64; 2],
}

/// The least ground speed a drone keeps, as a share of its airspeed: validation keeps
/// winds below every planned airspeed, so this binds only for a drone flying much slower
/// than planned into a strong headwind.
pub const MIN_GROUND_SHARE: f64 = 0.1;

impl Weather {
    /// A scenario's winds.
    pub fn of(u: &Uncertainty) -> Self {
        Weather {
            forecast: u.forecast_wind().velocity(),
            actual: u.wind.velocity(),
        }
    }
    /// Whether there is no wind at all, forecast or actual.
    pub fn calm(&self) -> bool {
        self.forecast == [0.0; 2] && self.actual == [0.0; 2]
    }
}

/// The horizontal unit track of a path direction and the horizontal share of a metre of
/// path (`None` for a vertical direction).
pub fn track(dir: &[f64; 3]) -> Option<([f64; 2], f64)> {
    let h = dir[0].hypot(dir[1]);
    if h < 1e-9 {
        return None;
    }
    let share = (1.0 - dir[2] * dir[2]).max(0.0).sqrt();
    Some(([dir[0] / h, dir[1] / h], share))
}

/// Ground speed along horizontal unit track `t` at airspeed `air` in wind `w`.
pub fn ground_along(air: f64, t: [f64; 2], w: [f64; 2]) -> f64 {
    if w == [0.0; 2] {
        return air;
    }
    let along = w[0] * t[0] + w[1] * t[1];
    let cross = w[0] * t[1] - w[1] * t[0];
    let left = (air * air - cross * cross).max(0.0).sqrt();
    (along + left).max(MIN_GROUND_SHARE * air)
}

/// Airspeed of a drone whose horizontal ground velocity is `g` in wind `w`.
pub fn airspeed(g: [f64; 2], w: [f64; 2]) -> f64 {
    (g[0] - w[0]).hypot(g[1] - w[1])
}

/// The horizontal airspeed of a drone moving at `u` along path direction `dir`, plus a
/// horizontal ground velocity `extra` (a sideways step), in wind `w`; `None` in calm air
/// with no sideways step (then the path speed's horizontal part is the airspeed).
pub fn horizontal_airspeed(u: f64, dir: &[f64; 3], extra: [f64; 2], w: [f64; 2]) -> Option<f64> {
    if w == [0.0; 2] {
        return None;
    }
    Some(airspeed([u * dir[0] + extra[0], u * dir[1] + extra[1]], w))
}

/// The speed along a path segment of direction `dir`, planned as `u_planned` in wind
/// `weather.forecast`, when flown in `weather.actual` at `factor` times the planned
/// airspeed (never above `max_air`), and no faster than the vertical rate `rate` allows
/// on a ramp. Exactly `u_planned` when the two winds agree and `factor` is 1.
pub fn flown_speed(
    u_planned: f64,
    dir: &[f64; 3],
    weather: &Weather,
    factor: f64,
    max_air: f64,
    rate: f64,
) -> f64 {
    if weather.forecast == weather.actual && factor == 1.0 {
        return u_planned;
    }
    let Some((t, share)) = track(dir) else {
        return u_planned;
    };
    if !u_planned.is_finite() {
        return u_planned;
    }
    let g = u_planned * share;
    let air = airspeed([g * t[0], g * t[1]], weather.forecast);
    let air = (air * factor).min(max_air.max(air));
    let mut u = ground_along(air, t, weather.actual) / share;
    if dir[2].abs() > 1e-9 {
        u = u.min(rate / dir[2].abs());
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headwind_and_a_crosswind_take_their_share() {
        let east = [1.0, 0.0];
        // 20 m/s into a 5 m/s headwind: 15 over the ground.
        assert_eq!(ground_along(20.0, east, [-5.0, 0.0]), 15.0);
        // A 12 m/s crosswind leaves 16 of 20 along the track (3-4-5).
        assert!((ground_along(20.0, east, [0.0, 12.0]) - 16.0).abs() < 1e-12);
        // Calm: the airspeed.
        assert_eq!(ground_along(20.0, east, [0.0, 0.0]), 20.0);
        // Flying east at 15 over the ground into the headwind: 20 through the air.
        assert_eq!(airspeed([15.0, 0.0], [-5.0, 0.0]), 20.0);
    }

    #[test]
    fn a_plan_made_in_calm_air_flown_in_a_tailwind_is_faster() {
        let w = Weather {
            forecast: [0.0; 2],
            actual: [4.0, 0.0],
        };
        let dir = [1.0, 0.0, 0.0];
        assert_eq!(flown_speed(20.0, &dir, &w, 1.0, 25.0, 4.0), 24.0);
        // 10 % slower through the air: 18 + 4.
        assert!((flown_speed(20.0, &dir, &w, 0.9, 25.0, 4.0) - 22.0).abs() < 1e-12);
        // Vertical segments are not blown along.
        assert_eq!(flown_speed(4.0, &[0.0, 0.0, 1.0], &w, 1.0, 25.0, 4.0), 4.0);
        // Forecast right: the plan's speed exactly.
        let right = Weather {
            forecast: [4.0, 0.0],
            actual: [4.0, 0.0],
        };
        assert_eq!(flown_speed(20.0, &dir, &right, 1.0, 25.0, 4.0), 20.0);
    }
}
