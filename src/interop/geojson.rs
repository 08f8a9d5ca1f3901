//! GeoJSON (RFC 7946) out and in: the network for GIS tools (QGIS, GDAL), and corridors
//! and zones drawn in them back into a scenario.
//!
//! Out: `nodes.geojson` (points), `corridors.geojson` (line strings from `from` through
//! `via` to `to`), `zones.geojson` (polygons; circles as 64-gons, with their centre and
//! radius kept as properties). Coordinates are `[lon, lat]` in WGS84 degrees; polygon
//! exterior rings wind counter-clockwise (the right-hand rule). Every scenario field of the
//! item is a property, under the same name.
//!
//! In: a line string feature is a corridor, a polygon feature a zone (a point feature with
//! `radius_m` a circular zone). Properties map to scenario fields; missing ones take the
//! scenario defaults; `from`/`to`, when missing, are the nodes at the line's ends (within
//! 100 m). A feature that does not fit is an error naming it.

use geojson::{Feature, FeatureCollection, GeoJson, Geometry, JsonObject, Value};
use serde_json::json;

use crate::network::frame::geodesic_m;
use crate::scenario::{
    Corridor, Direction, LatLon, NodeKind, Scenario, Shape, TimeWindow, Zone, ZoneKind,
};

fn feature(geometry: Value, props: serde_json::Value) -> Feature {
    let properties: JsonObject = match props {
        serde_json::Value::Object(m) => m,
        _ => JsonObject::new(),
    };
    Feature {
        bbox: None,
        geometry: Some(Geometry::new(geometry)),
        id: None,
        properties: Some(properties),
        foreign_members: None,
    }
}

fn collection(features: Vec<Feature>) -> String {
    let fc = FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    };
    serde_json::to_string_pretty(&GeoJson::FeatureCollection(fc)).expect("GeoJSON serialises")
        + "\n"
}

/// Node positions as `(lat, lon)`: given ones, or from local metres through the frame.
fn node_positions(s: &Scenario) -> Vec<(f64, f64)> {
    let net_frame = crate::network::Network::frame_of(s);
    s.nodes
        .iter()
        .map(|n| match (n.lat, n.lon, n.east_m, n.north_m) {
            (Some(lat), Some(lon), _, _) => (lat, lon),
            (_, _, Some(e), Some(nm)) => net_frame.to_geo(e, nm),
            _ => (f64::NAN, f64::NAN),
        })
        .collect()
}

/// Counter-clockwise (positive signed area in lon/lat) exterior ring, closed.
fn ccw_closed(mut ring: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let area: f64 = ring
        .iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
        .sum();
    if area < 0.0 {
        ring.reverse();
    }
    if ring.first() != ring.last() {
        ring.push(ring[0].clone());
    }
    ring
}

/// The three GeoJSON files of a scenario's network: `(file name, contents)`.
pub fn export(s: &Scenario) -> Vec<(&'static str, String)> {
    let pos = node_positions(s);
    let index = |id: &str| s.nodes.iter().position(|n| n.id == id);
    let nodes = s
        .nodes
        .iter()
        .zip(&pos)
        .map(|(n, &(lat, lon))| {
            let (kind, pads, turnaround, capacity) = match n.kind {
                NodeKind::Vertiport {
                    fatos,
                    turnaround_s,
                    ..
                } => ("Vertiport", Some(fatos), Some(turnaround_s), None),
                NodeKind::Waypoint => ("Waypoint", None, None, None),
                NodeKind::Gate { capacity_per_hour } => {
                    ("Gate", None, None, Some(capacity_per_hour))
                }
            };
            feature(
                Value::Point(vec![lon, lat]),
                json!({"id": n.id, "kind": kind, "fatos": pads, "turnaround_s": turnaround,
                       "capacity_per_hour": capacity, "ground_alt_m": n.ground_alt_m}),
            )
        })
        .collect();
    let corridors = s
        .corridors
        .iter()
        .filter_map(|c| {
            let (a, b) = (pos[index(&c.from)?], pos[index(&c.to)?]);
            let mut line = vec![vec![a.1, a.0]];
            line.extend(c.via.iter().map(|p| vec![p.lon, p.lat]));
            line.push(vec![b.1, b.0]);
            let length: f64 = line.windows(2).map(|w| geodesic_m((w[0][1], w[0][0]), (w[1][1], w[1][0]))).sum();
            Some(feature(
                Value::LineString(line),
                json!({
                    "id": c.id, "from": c.from, "to": c.to,
                    "min_alt_m": c.min_alt_m, "max_alt_m": c.max_alt_m,
                    "direction": match c.direction { Direction::OneWay => "OneWay", Direction::TwoWay => "TwoWay" },
                    "width_m": c.width_m, "speed_limit_mps": c.speed_limit_mps, "headway_s": c.headway_s,
                    "length_m": length,
                }),
            ))
        })
        .collect();
    // Airport zones as generated from the places CSV (a scenario that got this far has
    // read it once already).
    let airports = s
        .airports
        .as_ref()
        .and_then(|a| crate::network::places::airport_zones(a).ok())
        .unwrap_or_default();
    let zones = s
        .zones
        .iter()
        .chain(&airports)
        .map(|z| {
            let (ring, shape, center, radius) = match &z.shape {
                Shape::Circle { center, radius_m } => {
                    let frame = crate::network::Frame::new(center.lat, center.lon);
                    let ring: Vec<Vec<f64>> = (0..64)
                        .map(|k| {
                            let a = k as f64 / 64.0 * std::f64::consts::TAU;
                            let (lat, lon) = frame.to_geo(radius_m * a.cos(), radius_m * a.sin());
                            vec![lon, lat]
                        })
                        .collect();
                    (ring, "circle", Some(*center), Some(*radius_m))
                }
                Shape::Polygon { points } => (points.iter().map(|p| vec![p.lon, p.lat]).collect(), "polygon", None, None),
            };
            feature(
                Value::Polygon(vec![ccw_closed(ring)]),
                json!({
                    "id": z.id,
                    "kind": match z.kind { ZoneKind::NoFly => "NoFly", ZoneKind::Restricted => "Restricted" },
                    "shape": shape,
                    "center_lat": center.map(|c| c.lat), "center_lon": center.map(|c| c.lon), "radius_m": radius,
                    "min_alt_m": z.min_alt_m, "max_alt_m": z.max_alt_m,
                    "active_start_s": z.active.map(|w| w.start_s), "active_end_s": z.active.map(|w| w.end_s),
                }),
            )
        })
        .collect();
    vec![
        ("nodes.geojson", collection(nodes)),
        ("corridors.geojson", collection(corridors)),
        ("zones.geojson", collection(zones)),
    ]
}

/// A feature that cannot become a corridor or zone.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("feature {feature}: {message}")]
pub struct ImportError {
    /// The feature as people find it: its `id` property, else its position in the file.
    pub feature: String,
    /// What is wrong.
    pub message: String,
}

fn name_of(f: &Feature, k: usize) -> String {
    match f
        .properties
        .as_ref()
        .and_then(|p| p.get("id"))
        .and_then(|v| v.as_str())
    {
        Some(id) => format!("{id} (#{k})"),
        None => format!("#{k}"),
    }
}

/// Reads typed properties; a present property of the wrong type is an error.
struct Props<'a> {
    map: Option<&'a JsonObject>,
    name: String,
}

impl Props<'_> {
    fn err(&self, message: String) -> ImportError {
        ImportError {
            feature: self.name.clone(),
            message,
        }
    }
    fn num(&self, key: &str) -> Result<Option<f64>, ImportError> {
        match self.map.and_then(|m| m.get(key)) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.err(format!("property `{key}` must be a number, got {v}"))),
        }
    }
    fn text(&self, key: &str) -> Result<Option<String>, ImportError> {
        match self.map.and_then(|m| m.get(key)) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| self.err(format!("property `{key}` must be text, got {v}"))),
        }
    }
}

fn features(text: &str) -> Result<Vec<Feature>, ImportError> {
    match text.parse::<GeoJson>() {
        Ok(GeoJson::FeatureCollection(fc)) => Ok(fc.features),
        Ok(GeoJson::Feature(f)) => Ok(vec![f]),
        Ok(GeoJson::Geometry(_)) => Err(ImportError {
            feature: "file".into(),
            message: "a bare geometry has no properties: give a Feature or FeatureCollection"
                .into(),
        }),
        Err(e) => Err(ImportError {
            feature: "file".into(),
            message: format!("not GeoJSON: {e}"),
        }),
    }
}

/// Corridors from GeoJSON line strings; `s` gives the nodes (for ends without `from`/`to`)
/// and defaults.
pub fn import_corridors(text: &str, s: &Scenario) -> Result<Vec<Corridor>, ImportError> {
    let pos = node_positions(s);
    let mut out = Vec::new();
    for (k, f) in features(text)?.iter().enumerate() {
        let p = Props {
            map: f.properties.as_ref(),
            name: name_of(f, k),
        };
        let line = match f.geometry.as_ref().map(|g| &g.value) {
            Some(Value::LineString(l)) if l.len() >= 2 => l,
            Some(Value::LineString(_)) => {
                return Err(p.err("a corridor needs at least 2 points".into()));
            }
            Some(other) => {
                return Err(p.err(format!(
                    "a corridor must be a LineString, got a {}",
                    other.type_name()
                )));
            }
            None => return Err(p.err("has no geometry".into())),
        };
        let end = |c: &Vec<f64>, key: &str| -> Result<String, ImportError> {
            if let Some(id) = p.text(key)? {
                return Ok(id);
            }
            let (lat, lon) = (c[1], c[0]);
            s.nodes
                .iter()
                .zip(&pos)
                .map(|(n, q)| (n, geodesic_m((lat, lon), *q)))
                .filter(|(_, d)| *d <= 100.0)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(n, _)| n.id.clone())
                .ok_or_else(|| {
                    p.err(format!(
                        "no `{key}` property and no node within 100 m of its end at ({lat}, {lon})"
                    ))
                })
        };
        let from = end(&line[0], "from")?;
        let to = end(&line[line.len() - 1], "to")?;
        let direction = match p.text("direction")?.as_deref() {
            None | Some("TwoWay") => Direction::TwoWay,
            Some("OneWay") => Direction::OneWay,
            Some(other) => {
                return Err(p.err(format!("`direction` must be OneWay or TwoWay, got {other}")));
            }
        };
        let defaults = |v: Option<f64>, d: f64| v.unwrap_or(d);
        out.push(Corridor {
            id: p.text("id")?.unwrap_or_else(|| format!("GJ{k}")),
            from,
            to,
            via: line[1..line.len() - 1]
                .iter()
                .map(|c| LatLon {
                    lat: c[1],
                    lon: c[0],
                })
                .collect(),
            min_alt_m: p
                .num("min_alt_m")?
                .ok_or_else(|| p.err("missing `min_alt_m`".into()))?,
            max_alt_m: p
                .num("max_alt_m")?
                .ok_or_else(|| p.err("missing `max_alt_m`".into()))?,
            direction,
            width_m: defaults(p.num("width_m")?, 100.0),
            speed_limit_mps: defaults(p.num("speed_limit_mps")?, 20.0),
            headway_s: defaults(p.num("headway_s")?, 10.0),
        });
    }
    Ok(out)
}

/// Zones from GeoJSON polygons (or points with `radius_m`, or polygons exported as
/// circles: `shape: "circle"` with `center_lat`, `center_lon`, `radius_m`).
pub fn import_zones(text: &str) -> Result<Vec<Zone>, ImportError> {
    let mut out = Vec::new();
    for (k, f) in features(text)?.iter().enumerate() {
        let p = Props {
            map: f.properties.as_ref(),
            name: name_of(f, k),
        };
        let circle = |lat: f64, lon: f64| -> Result<Shape, ImportError> {
            let radius_m = p
                .num("radius_m")?
                .ok_or_else(|| p.err("a circle needs `radius_m`".into()))?;
            Ok(Shape::Circle {
                center: LatLon { lat, lon },
                radius_m,
            })
        };
        let shape = match (
            p.text("shape")?.as_deref(),
            f.geometry.as_ref().map(|g| &g.value),
        ) {
            (Some("circle"), _) => {
                let (lat, lon) = (p.num("center_lat")?, p.num("center_lon")?);
                circle(
                    lat.ok_or_else(|| p.err("a circle needs `center_lat`".into()))?,
                    lon.ok_or_else(|| p.err("a circle needs `center_lon`".into()))?,
                )?
            }
            (_, Some(Value::Point(c))) => circle(c[1], c[0])?,
            (_, Some(Value::Polygon(rings))) if !rings.is_empty() => {
                let mut ring: Vec<LatLon> = rings[0]
                    .iter()
                    .map(|c| LatLon {
                        lat: c[1],
                        lon: c[0],
                    })
                    .collect();
                if ring.len() > 1 && ring.first() == ring.last() {
                    ring.pop();
                }
                Shape::Polygon { points: ring }
            }
            (_, Some(other)) => {
                return Err(p.err(format!(
                    "a zone must be a Polygon or a Point, got a {}",
                    other.type_name()
                )));
            }
            (_, None) => return Err(p.err("has no geometry".into())),
        };
        let kind = match p.text("kind")?.as_deref() {
            None | Some("NoFly") => ZoneKind::NoFly,
            Some("Restricted") => ZoneKind::Restricted,
            Some(other) => {
                return Err(p.err(format!("`kind` must be NoFly or Restricted, got {other}")));
            }
        };
        let active = match (p.num("active_start_s")?, p.num("active_end_s")?) {
            (Some(start_s), Some(end_s)) => Some(TimeWindow { start_s, end_s }),
            (None, None) => None,
            _ => {
                return Err(
                    p.err("give both `active_start_s` and `active_end_s`, or neither".into())
                );
            }
        };
        out.push(Zone {
            id: p.text("id")?.unwrap_or_else(|| format!("GZ{k}")),
            kind,
            shape,
            min_alt_m: p.num("min_alt_m")?.unwrap_or(0.0),
            max_alt_m: p.num("max_alt_m")?.unwrap_or(10_000.0),
            active,
        });
    }
    Ok(out)
}
