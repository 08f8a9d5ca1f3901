//! Airport protection zones from a places CSV (`kind,id,name,name_zh,lat,lon`, `#`
//! comments), as in `assets/gba_places.csv`.

use std::path::Path;

use crate::scenario::{Airports, LatLon, Shape, Zone, ZoneKind};

/// One row of a places CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// `city`, `airport`, ...
    pub kind: String,
    /// Identifier (an ICAO code for airports).
    pub id: String,
    /// Where it is.
    pub at: LatLon,
}

/// Reads a places CSV (`kind,id,...,lat,lon`, `#` comments); errors name the file and line.
pub fn read_places(path: &Path) -> Result<Vec<Place>, String> {
    let text =
        crate::scenario::read_limited(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rd = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rd
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            format!(
                "{}: no column `{name}` (expected kind,id,name,lat,lon)",
                path.display()
            )
        })
    };
    let (kind, id, lat, lon) = (col("kind")?, col("id")?, col("lat")?, col("lon")?);
    let mut out = Vec::new();
    for row in rd.records() {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        let line = row.position().map_or(0, |p| p.line());
        let number = |c: usize, what: &str| {
            row[c]
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    format!(
                        "{}:{line}: place `{}`: `{what}` must be a number, got `{}`",
                        path.display(),
                        &row[id],
                        &row[c]
                    )
                })
        };
        out.push(Place {
            kind: row[kind].to_string(),
            id: row[id].to_string(),
            at: LatLon {
                lat: number(lat, "lat")?,
                lon: number(lon, "lon")?,
            },
        });
    }
    Ok(out)
}

/// One no-fly cylinder per `airport` row, from the ground to `ceiling_m`, of radius
/// `radius_m` (or the airport's entry in `radius_by_id`), ids the airports' (ICAO) ids.
pub fn airport_zones(a: &Airports) -> Result<Vec<Zone>, String> {
    let path = Path::new(&a.places_csv);
    let zones: Vec<Zone> = read_places(path)?
        .into_iter()
        .filter(|p| p.kind == "airport")
        .map(|p| Zone {
            kind: ZoneKind::NoFly,
            shape: Shape::Circle {
                center: p.at,
                radius_m: a.radius_by_id.get(&p.id).copied().unwrap_or(a.radius_m),
            },
            id: p.id,
            min_alt_m: 0.0,
            max_alt_m: a.ceiling_m,
            active: None,
        })
        .collect();
    if zones.is_empty() {
        return Err(format!("{}: no row of kind `airport`", path.display()));
    }
    Ok(zones)
}
