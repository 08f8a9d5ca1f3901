//! Land polygons (the Natural Earth GeoJSON in `assets/`) in the local frame: the base map
//! of the window and the over-water test for corridor legs.

use std::path::Path;

use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};

use super::Frame;

/// One land polygon: its ISO code (`CHN`, `HKG`, `MAC`) and rings of local `[east_m,
/// north_m]`, outer ring first, not closed.
pub type LandPolygon = (String, Vec<Vec<[f64; 2]>>);

/// Reads land polygons from a GeoJSON feature collection of (multi)polygons.
pub fn load(path: &Path, frame: &Frame) -> Result<Vec<LandPolygon>, String> {
    let text =
        crate::scenario::read_limited(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let Ok(geojson::GeoJson::FeatureCollection(fc)) = text.parse::<geojson::GeoJson>() else {
        return Err(format!(
            "{}: not a GeoJSON feature collection",
            path.display()
        ));
    };
    let mut out = Vec::new();
    for f in fc.features {
        let iso = f
            .properties
            .as_ref()
            .and_then(|p| p.get("iso_a3"))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let polys = match f.geometry.map(|g| g.value) {
            Some(geojson::Value::MultiPolygon(m)) => m,
            Some(geojson::Value::Polygon(p)) => vec![p],
            _ => continue,
        };
        for poly in polys {
            let rings = poly
                .iter()
                .map(|ring| {
                    let mut r: Vec<[f64; 2]> =
                        ring.iter().map(|c| frame.to_local(c[1], c[0])).collect();
                    if r.len() > 1 && r.first() == r.last() {
                        r.pop();
                    }
                    r
                })
                .collect();
            out.push((iso.clone(), rings));
        }
    }
    Ok(out)
}

/// The land as one geo multipolygon, for containment tests.
pub fn multipolygon(land: &[LandPolygon]) -> MultiPolygon<f64> {
    let ring =
        |r: &Vec<[f64; 2]>| LineString::new(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    MultiPolygon::new(
        land.iter()
            .filter(|(_, rings)| !rings.is_empty())
            .map(|(_, rings)| Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect()))
            .collect(),
    )
}

/// Metres of the polyline `points` (local metres) that lie over water, sampled every
/// `step_m` along each leg; `leg_m` are the legs' geodesic lengths.
pub fn over_water_m(
    land: &MultiPolygon<f64>,
    points: &[[f64; 2]],
    leg_m: &[f64],
    step_m: f64,
) -> f64 {
    let mut water = 0.0;
    for (w, &len) in points.windows(2).zip(leg_m) {
        let n = (len / step_m).ceil().max(1.0) as usize;
        for k in 0..n {
            let f = (k as f64 + 0.5) / n as f64;
            let p = Point::new(
                w[0][0] + (w[1][0] - w[0][0]) * f,
                w[0][1] + (w[1][1] - w[0][1]) * f,
            );
            if !land.contains(&p) {
                water += len / n as f64;
            }
        }
    }
    water
}
