//! The wind as plans and drones meet it. A drone holds its track by crabbing into the
//! wind at its airspeed, so its ground speed along the track is the wind's component
//! along it plus what is left of the airspeed once the crosswind is cancelled:
//! `g = w·t + √(v² − (w×t)²)`. Plans are made in the forecast wind, drones fly in the
//! actual one; with the two equal (the default) a drone flies its plan exactly.
//! Metres per second, `[east, north]`.

use std::path::Path;
use std::sync::Arc;

use super::frame::Frame;
use super::wind_grid::WindGrid;
use crate::scenario::{Gusts, Uncertainty, Wind};

/// A wind field: the same everywhere, or gridded from a file.
#[derive(Debug, Clone, PartialEq)]
pub enum WindField {
    /// `[east, north]` m/s everywhere.
    Uniform([f64; 2]),
    /// Interpolated in a grid (shared: forecast and actual may be the same file).
    Grid(Arc<WindGrid>),
}

impl Default for WindField {
    fn default() -> Self {
        WindField::Uniform([0.0; 2])
    }
}

/// Metres between the samples [`WindField::along`] averages.
pub const SAMPLE_M: f64 = 250.0;

impl WindField {
    /// A scenario's wind, its grid file (if any) read and located in `frame`.
    pub fn of(w: &Wind, frame: &Frame) -> Result<Self, String> {
        match &w.grid_csv {
            None => Ok(WindField::Uniform(w.velocity())),
            Some(file) => WindGrid::load(Path::new(file), frame)
                .map(|g| WindField::Grid(Arc::new(g)))
                .map_err(|e| format!("{file}: {e}")),
        }
    }
    /// The wind at `[east_m, north_m, alt_m]`.
    pub fn at(&self, p: [f64; 3]) -> [f64; 2] {
        match self {
            WindField::Uniform(w) => *w,
            WindField::Grid(g) => g.at(p),
        }
    }
    /// The mean wind along the straight line from `a` to `b`: the mean of samples at the
    /// middles of equal parts at most [`SAMPLE_M`] long (at most 1,000 of them). A drone
    /// flying the line at one airspeed takes the time this mean gives to within the
    /// square of the field's variation along it.
    pub fn along(&self, a: [f64; 3], b: [f64; 3]) -> [f64; 2] {
        let g = match self {
            WindField::Uniform(w) => return *w,
            WindField::Grid(g) => g,
        };
        let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2) + (b[2] - a[2]).powi(2)).sqrt();
        let n = (len / SAMPLE_M).ceil().clamp(1.0, 1000.0) as usize;
        // A running mean: exact where every sample agrees.
        let mut m = [0.0; 2];
        for i in 0..n {
            let f = (i as f64 + 0.5) / n as f64;
            let w = g.at(std::array::from_fn(|k| a[k] + (b[k] - a[k]) * f));
            let c = 1.0 / (i as f64 + 1.0);
            m = [m[0] + (w[0] - m[0]) * c, m[1] + (w[1] - m[1]) * c];
        }
        m
    }
    /// The strongest wind anywhere, m/s.
    pub fn max_speed(&self) -> f64 {
        match self {
            WindField::Uniform(w) => w[0].hypot(w[1]),
            WindField::Grid(g) => g.max_speed(),
        }
    }
    /// The wind when it is the same everywhere.
    pub fn uniform(&self) -> Option<[f64; 2]> {
        match self {
            WindField::Uniform(w) => Some(*w),
            WindField::Grid(_) => None,
        }
    }
}

/// The forecast and the actual wind, and the gusts on top of the actual one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Weather {
    /// The wind plans are made with.
    pub forecast: WindField,
    /// The wind drones fly in.
    pub actual: WindField,
    /// Each drone's gust, a seeded random process on top of `actual`.
    pub gusts: Gusts,
}

/// The winds a path segment meets, mean along it: the forecast its plan's speed assumes
/// and the actual one it is flown in, `[east, north]` m/s.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SegWind {
    /// What the plan assumed.
    pub forecast: [f64; 2],
    /// What the drone meets (before its gust).
    pub actual: [f64; 2],
}

/// The least ground speed a drone keeps, as a share of its airspeed: validation keeps
/// winds below every planned airspeed, so this binds only for a drone flying much slower
/// than planned into a strong headwind.
pub const MIN_GROUND_SHARE: f64 = 0.1;

impl Weather {
    /// A scenario's winds, grid files read and located in `frame`; errors name the field.
    pub fn of(u: &Uncertainty, frame: &Frame) -> Result<Self, (&'static str, String)> {
        let actual = WindField::of(&u.wind, frame).map_err(|e| ("wind.grid_csv", e))?;
        let forecast = match &u.forecast {
            None => actual.clone(),
            Some(f) if f.grid_csv.is_some() && f.grid_csv == u.wind.grid_csv => actual.clone(),
            Some(f) => WindField::of(f, frame).map_err(|e| ("forecast.grid_csv", e))?,
        };
        Ok(Weather {
            forecast,
            actual,
            gusts: u.gusts,
        })
    }
    /// Whether there is no wind at all, forecast or actual, and no gust.
    pub fn calm(&self) -> bool {
        self.forecast == WindField::Uniform([0.0; 2])
            && self.actual == WindField::Uniform([0.0; 2])
            && self.gusts.is_none()
    }
    /// Whether both fields are uniform (then a path's segments need no winds of their own).
    pub fn uniform(&self) -> bool {
        self.forecast.uniform().is_some() && self.actual.uniform().is_some()
    }
    /// Whether the actual wind is the forecast, one uniform wind everywhere (gusts aside).
    pub fn as_forecast(&self) -> bool {
        self.forecast.uniform().is_some() && self.forecast == self.actual
    }
    /// The winds along the segment from `a` to `b`.
    pub fn seg(&self, a: [f64; 3], b: [f64; 3]) -> SegWind {
        SegWind {
            forecast: self.forecast.along(a, b),
            actual: self.actual.along(a, b),
        }
    }
    /// The strongest actual wind a drone can meet, gust included, m/s.
    pub fn max_actual_mps(&self) -> f64 {
        self.actual.max_speed() + self.gusts.max_mps()
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

/// The most [`ground_along`] can be in wind `w` plus any gust of up to `gust` m/s: the
/// gust adds at most its speed along the track and takes at most its speed off the
/// crosswind. Exactly [`ground_along`] for no gust.
pub fn ground_along_upto(air: f64, t: [f64; 2], w: [f64; 2], gust: f64) -> f64 {
    if gust == 0.0 {
        return ground_along(air, t, w);
    }
    let along = w[0] * t[0] + w[1] * t[1] + gust;
    let cross = ((w[0] * t[1] - w[1] * t[0]).abs() - gust).max(0.0);
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
/// `wind.forecast`, when flown in `wind.actual` at `factor` times the planned airspeed
/// (never above `max_air`), and no faster than the vertical rate `rate` allows on a ramp.
/// Exactly `u_planned` when the two winds agree, `factor` is 1 and `gust_mps` 0. With
/// `gust_mps` above 0, the most it can be with any gust of up to that speed on top of
/// `wind.actual` (see [`ground_along_upto`]).
pub fn flown_speed(
    u_planned: f64,
    dir: &[f64; 3],
    wind: &SegWind,
    (factor, max_air): (f64, f64),
    rate: f64,
    gust_mps: f64,
) -> f64 {
    if wind.forecast == wind.actual && factor == 1.0 && gust_mps == 0.0 {
        return u_planned;
    }
    let Some((t, share)) = track(dir) else {
        return u_planned;
    };
    if !u_planned.is_finite() {
        return u_planned;
    }
    let g = u_planned * share;
    let air = airspeed([g * t[0], g * t[1]], wind.forecast);
    let air = (air * factor).min(max_air.max(air));
    let mut u = ground_along_upto(air, t, wind.actual, gust_mps) / share;
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
        let w = SegWind {
            forecast: [0.0; 2],
            actual: [4.0, 0.0],
        };
        let dir = [1.0, 0.0, 0.0];
        assert_eq!(flown_speed(20.0, &dir, &w, (1.0, 25.0), 4.0, 0.0), 24.0);
        // 10 % slower through the air: 18 + 4.
        assert!((flown_speed(20.0, &dir, &w, (0.9, 25.0), 4.0, 0.0) - 22.0).abs() < 1e-12);
        // Vertical segments are not blown along.
        assert_eq!(
            flown_speed(4.0, &[0.0, 0.0, 1.0], &w, (1.0, 25.0), 4.0, 0.0),
            4.0
        );
        // With gusts of up to 3 m/s: at most 27 over the ground.
        assert_eq!(flown_speed(20.0, &dir, &w, (1.0, 25.0), 4.0, 3.0), 27.0);
        // Forecast right: the plan's speed exactly.
        let right = SegWind {
            forecast: [4.0, 0.0],
            actual: [4.0, 0.0],
        };
        assert_eq!(flown_speed(20.0, &dir, &right, (1.0, 25.0), 4.0, 0.0), 20.0);
    }

    #[test]
    fn the_gust_bound_bounds_every_gust() {
        let t = [0.6, 0.8];
        for w in [[0.0, 0.0], [3.0, -4.0], [-12.0, 9.0], [14.0, 0.5]] {
            for gust in [0.5, 2.0, 6.0] {
                let bound = ground_along_upto(15.0, t, w, gust);
                for i in 0..72 {
                    let a = f64::from(i) * 5.0_f64.to_radians();
                    for r in [0.3, 0.7, 1.0] {
                        let g = [w[0] + gust * r * a.cos(), w[1] + gust * r * a.sin()];
                        assert!(
                            ground_along(15.0, t, g) <= bound + 1e-12,
                            "{w:?} {gust} {a}"
                        );
                    }
                }
            }
        }
        // A pure tailwind gust: the bound is reached.
        assert_eq!(ground_along_upto(15.0, [1.0, 0.0], [2.0, 0.0], 1.5), 18.5);
    }

    #[test]
    fn a_grid_field_averages_along_a_segment() {
        use crate::network::frame::Frame;
        // u grows 1 m/s per 100 m of altitude, v is 2 everywhere.
        let text = "lon,lat,alt_m,u_mps,v_mps\n113,22,0,0,2\n115,22,0,0,2\n113,23,0,0,2\n\
                    115,23,0,0,2\n113,22,100,1,2\n115,22,100,1,2\n113,23,100,1,2\n115,23,100,1,2\n";
        let g = WindGrid::parse(text, &Frame::new(22.5, 114.0)).unwrap();
        let f = WindField::Grid(Arc::new(g));
        // A climb from 0 to 100 m: the mean of a linear profile is its middle.
        let m = f.along([0.0, 0.0, 0.0], [0.0, 0.0, 100.0]);
        assert!(
            (m[0] - 0.5).abs() < 1e-12 && (m[1] - 2.0).abs() < 1e-12,
            "{m:?}"
        );
        // Level at 40 m, 5 km long: 0.4 throughout.
        let m = f.along([0.0, 0.0, 40.0], [5000.0, 0.0, 40.0]);
        assert!((m[0] - 0.4).abs() < 1e-12, "{m:?}");
        assert_eq!(f.max_speed(), 5f64.sqrt());
        // Uniform: the wind itself.
        assert_eq!(
            WindField::Uniform([1.0, 2.0]).along([0.0; 3], [9.0; 3]),
            [1.0, 2.0]
        );
    }
}
