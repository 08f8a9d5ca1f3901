//! Jurisdictions in the local frame: which one a point lies in, and the rules a corridor
//! segment or vertiport takes from it.
//!
//! A point is in the first `Polygon` area that contains it; otherwise in a `Land` area: the
//! land feature containing it, or over water the nearest one, shared among the
//! jurisdictions on that feature by nearest centre (Voronoi cells of the centres). A point
//! in none of them (no polygon, no land area in the scenario) is in no jurisdiction and
//! flies under the scenario's own rules.

use std::collections::BTreeMap;

use geo::{Contains, Coord, Distance, Euclidean, LineString, MultiPolygon, Point, Polygon};

use super::Frame;
use super::land::LandPolygon;
use crate::scenario::{Area, Rules, Scenario};

/// A jurisdiction, placed.
#[derive(Debug, Clone)]
pub struct NetJurisdiction {
    /// Scenario id.
    pub id: String,
    /// Name for reports.
    pub name: String,
    /// Territory (crossing into another needs a gate).
    pub territory: String,
    /// Its rules.
    pub rules: Rules,
    /// Separation minima here, `[horizontal_m, vertical_m]`.
    pub minima: [f64; 2],
}

/// A jurisdiction's claim on a land feature: its index and a centre (none: all of it).
type Claim = (usize, Option<[f64; 2]>);

/// Finds the jurisdiction of a point.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    polygons: Vec<(usize, Polygon<f64>)>,
    features: Vec<(String, MultiPolygon<f64>)>,
    claims: BTreeMap<String, Vec<Claim>>,
}

impl Locator {
    /// A locator for the scenario's jurisdictions; `land` are the scenario's land
    /// polygons (empty without `land_geojson`). Errors name a feature the land file lacks.
    pub fn new(
        s: &Scenario,
        frame: &Frame,
        land: &[LandPolygon],
    ) -> Result<Locator, (String, String)> {
        let mut loc = Locator::default();
        for (i, j) in s.jurisdictions.iter().enumerate() {
            match &j.area {
                Area::Polygon { points } => {
                    let ring = points
                        .iter()
                        .map(|p| {
                            let [x, y] = frame.to_local(p.lat, p.lon);
                            Coord { x, y }
                        })
                        .collect::<Vec<_>>();
                    loc.polygons
                        .push((i, Polygon::new(LineString::new(ring), vec![])));
                }
                Area::Land { feature, centres } => {
                    if !land.iter().any(|(iso, _)| iso == feature) {
                        let have: Vec<&str> = land
                            .iter()
                            .map(|(iso, _)| iso.as_str())
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        return Err((
                            j.id.clone(),
                            format!(
                                "land feature `{feature}` is not in land_geojson (it has: {})",
                                have.join(", ")
                            ),
                        ));
                    }
                    let claims = loc.claims.entry(feature.clone()).or_default();
                    if centres.is_empty() {
                        claims.push((i, None));
                    }
                    for c in centres {
                        claims.push((i, Some(frame.to_local(c.lat, c.lon))));
                    }
                }
            }
        }
        let ring = |r: &Vec<[f64; 2]>| {
            LineString::new(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect())
        };
        for feature in loc.claims.keys() {
            let polys = land
                .iter()
                .filter(|(iso, rings)| iso == feature && !rings.is_empty())
                .map(|(_, rings)| {
                    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
                })
                .collect();
            loc.features
                .push((feature.clone(), MultiPolygon::new(polys)));
        }
        Ok(loc)
    }

    /// Index of the jurisdiction at local point `p`, if any.
    pub fn locate(&self, p: [f64; 2]) -> Option<usize> {
        let pt = Point::new(p[0], p[1]);
        if let Some((i, _)) = self.polygons.iter().find(|(_, poly)| poly.contains(&pt)) {
            return Some(*i);
        }
        let feature = match self.features.iter().find(|(_, m)| m.contains(&pt)) {
            Some((f, _)) => f,
            None => {
                self.features
                    .iter()
                    .map(|(f, m)| (f, Euclidean.distance(&pt, m)))
                    .min_by(|a, b| a.1.total_cmp(&b.1))?
                    .0
            }
        };
        let claims = &self.claims[feature];
        claims
            .iter()
            .min_by(|a, b| {
                let d = |c: &Option<[f64; 2]>| c.map_or(0.0, |c| (c[0] - p[0]).hypot(c[1] - p[1]));
                d(&a.1).total_cmp(&d(&b.1))
            })
            .map(|c| c.0)
    }

    /// Whether any jurisdiction is defined.
    pub fn is_empty(&self) -> bool {
        self.polygons.is_empty() && self.claims.is_empty()
    }
}

/// The point halfway along a polyline of local points (by local length).
pub fn midpoint(points: &[[f64; 2]]) -> [f64; 2] {
    let len = |a: [f64; 2], b: [f64; 2]| (b[0] - a[0]).hypot(b[1] - a[1]);
    let total: f64 = points.windows(2).map(|w| len(w[0], w[1])).sum();
    let mut left = 0.5 * total;
    for w in points.windows(2) {
        let l = len(w[0], w[1]);
        if l >= left && l > 0.0 {
            let f = left / l;
            return [
                w[0][0] + (w[1][0] - w[0][0]) * f,
                w[0][1] + (w[1][1] - w[0][1]) * f,
            ];
        }
        left -= l;
    }
    points[0]
}
