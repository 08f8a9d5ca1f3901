//! A gridded wind field read from a CSV file: the wind's east and north components at the
//! nodes of a regular longitude × latitude × altitude grid, as a weather model (ERA5, GFS)
//! or a wind study delivers it, interpolated trilinearly in between.
//!
//! The file: a header `lon,lat,alt_m,u_mps,v_mps` (any column order; `#` comments), then
//! one row per grid node: longitude and latitude in WGS84 degrees, altitude in metres as
//! the scenario's lanes give it, and the wind's velocity, `u_mps` toward the east and
//! `v_mps` toward the north (the meteorological `u`, `v` convention: a west wind of 5 m/s
//! is `u_mps = 5, v_mps = 0`). The distinct longitudes, latitudes and altitudes are the
//! grid's axes (any spacing, one value makes the field constant along that axis) and every
//! combination must appear exactly once, in any order. Outside the grid the wind is the
//! nearest edge's (the field is clamped, not extrapolated).
//!
//! Positions are located in the grid by latitude `lat₀ + north / M` and longitude
//! `lon₀ + east / (N cos lat)` about the frame's reference (`M`, `N`: the WGS84 radii of
//! curvature there). Against the frame's azimuthal equidistant projection this is off by
//! about `(d/R)²` of the distance `d` from the reference: tens of metres at 100 km, far
//! below any weather grid's spacing.

use std::path::Path;

use super::frame::Frame;

/// Most nodes a grid may have (a 256 MiB file could hold millions; 2 million nodes take
/// 32 MB). Raise it here for a larger grid.
pub const MAX_GRID_NODES: usize = 2_000_000;

/// The wind at the nodes of a regular grid.
#[derive(Debug, Clone, PartialEq)]
pub struct WindGrid {
    /// Longitudes, degrees, increasing.
    lon: Vec<f64>,
    /// Latitudes, degrees, increasing.
    lat: Vec<f64>,
    /// Altitudes, metres, increasing.
    alt: Vec<f64>,
    /// `[east, north]` m/s at node `(i_lon, i_lat, i_alt)`, index
    /// `(i_alt · lat.len() + i_lat) · lon.len() + i_lon`.
    wind: Vec<[f64; 2]>,
    /// The frame's reference and degrees per metre north and east (at the reference
    /// latitude; the east scale is corrected for the latitude of each point).
    origin: [f64; 2],
    deg_per_m: [f64; 2],
    /// The strongest wind at any node, m/s.
    max_speed: f64,
}

/// WGS84 semi-major axis and first eccentricity squared.
const A: f64 = 6_378_137.0;
const E2: f64 = 6.694_379_990_14e-3;

impl WindGrid {
    /// Reads a grid file, locating it in `frame`.
    pub fn load(path: &Path, frame: &Frame) -> Result<WindGrid, String> {
        let text = crate::scenario::read_limited(path).map_err(|e| e.to_string())?;
        WindGrid::parse(&text, frame)
    }

    /// Parses grid text (see the module's documentation); errors give the line and column.
    pub fn parse(text: &str, frame: &Frame) -> Result<WindGrid, String> {
        let mut rd = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = rd.headers().map_err(|e| e.to_string())?.clone();
        let names = ["lon", "lat", "alt_m", "u_mps", "v_mps"];
        let mut col = [0; 5];
        for (c, name) in col.iter_mut().zip(names) {
            *c = headers.iter().position(|h| h == name).ok_or_else(|| {
                format!("no column `{name}` (expected a header lon,lat,alt_m,u_mps,v_mps)")
            })?;
        }
        let mut rows: Vec<[f64; 5]> = Vec::new();
        for row in rd.records() {
            let row = row.map_err(|e| e.to_string())?;
            let line = row.position().map_or(0, |p| p.line());
            if rows.len() == MAX_GRID_NODES {
                return Err(format!(
                    "line {line}: more than {MAX_GRID_NODES} grid nodes (the limit; \
                     thin the grid, or raise MAX_GRID_NODES in src/network/wind_grid.rs)"
                ));
            }
            let mut v = [0.0; 5];
            for (k, (&c, name)) in col.iter().zip(names).enumerate() {
                let cell = row.get(c).unwrap_or("");
                v[k] = cell.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                    format!(
                        "line {line}, column {} (`{name}`): expected a finite number, got `{cell}`",
                        c + 1
                    )
                })?;
            }
            if !(-180.0..=180.0).contains(&v[0]) || !(-90.0..=90.0).contains(&v[1]) {
                return Err(format!(
                    "line {line}: lon {} / lat {} is not a WGS84 position in degrees",
                    v[0], v[1]
                ));
            }
            rows.push(v);
        }
        if rows.is_empty() {
            return Err("no grid nodes (expected one row per node after the header)".into());
        }
        let axis = |k: usize| {
            let mut a: Vec<f64> = rows.iter().map(|r| r[k]).collect();
            a.sort_by(f64::total_cmp);
            a.dedup();
            a
        };
        let (lon, lat, alt) = (axis(0), axis(1), axis(2));
        let n = lon.len() * lat.len() * alt.len();
        if n != rows.len() {
            return Err(format!(
                "{} rows for a grid of {} longitudes × {} latitudes × {} altitudes = {n} nodes: \
                 every combination must appear exactly once",
                rows.len(),
                lon.len(),
                lat.len(),
                alt.len()
            ));
        }
        let find = |a: &[f64], x: f64| a.partition_point(|&y| y < x);
        let mut wind = vec![[f64::NAN; 2]; n];
        for r in &rows {
            let i =
                (find(&alt, r[2]) * lat.len() + find(&lat, r[1])) * lon.len() + find(&lon, r[0]);
            if !wind[i][0].is_nan() {
                return Err(format!(
                    "the node lon {} lat {} alt_m {} appears twice",
                    r[0], r[1], r[2]
                ));
            }
            wind[i] = [r[3], r[4]];
        }
        let max_speed = wind.iter().map(|w| w[0].hypot(w[1])).fold(0.0, f64::max);
        let phi = frame.lat.to_radians();
        let w = (1.0 - E2 * phi.sin().powi(2)).sqrt();
        let (m, nn) = (A * (1.0 - E2) / (w * w * w), A / w);
        Ok(WindGrid {
            lon,
            lat,
            alt,
            wind,
            origin: [frame.lon, frame.lat],
            deg_per_m: [(1.0 / nn).to_degrees(), (1.0 / m).to_degrees()],
            max_speed,
        })
    }

    /// The strongest wind at any node, m/s (interpolation never exceeds it).
    pub fn max_speed(&self) -> f64 {
        self.max_speed
    }

    /// The wind at local position `[east_m, north_m, alt_m]`, `[east, north]` m/s.
    pub fn at(&self, p: [f64; 3]) -> [f64; 2] {
        let lat = self.origin[1] + p[1] * self.deg_per_m[1];
        let lon = self.origin[0] + p[0] * self.deg_per_m[0] / lat.to_radians().cos();
        let (i, fi) = locate(&self.lon, lon);
        let (j, fj) = locate(&self.lat, lat);
        let (k, fk) = locate(&self.alt, p[2]);
        let (nx, ny) = (self.lon.len(), self.lat.len());
        let node = |a: usize, b: usize, c: usize| self.wind[(c * ny + b) * nx + a];
        // `a + (b − a)·f`: exact where the corners agree (a uniform grid gives its wind).
        let lerp =
            |a: [f64; 2], b: [f64; 2], f: f64| [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
        let (i1, j1, k1) = (
            (i + 1).min(nx - 1),
            (j + 1).min(ny - 1),
            (k + 1).min(self.alt.len() - 1),
        );
        let plane = |c: usize| {
            lerp(
                lerp(node(i, j, c), node(i1, j, c), fi),
                lerp(node(i, j1, c), node(i1, j1, c), fi),
                fj,
            )
        };
        lerp(plane(k), plane(k1), fk)
    }
}

/// The cell of sorted axis `a` that `x` falls in and the fraction across it, clamped to
/// the axis's ends.
fn locate(a: &[f64], x: f64) -> (usize, f64) {
    if a.len() == 1 || x <= a[0] {
        return (0, 0.0);
    }
    let last = a.len() - 1;
    if x >= a[last] {
        return (last, 0.0);
    }
    let i = a.partition_point(|&y| y <= x) - 1;
    (i, (x - a[i]) / (a[i + 1] - a[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame::new(22.5, 114.0)
    }

    const GRID: &str = "# two by two by two\n\
        lon,lat,alt_m,u_mps,v_mps\n\
        113.9,22.4,0,0,0\n114.1,22.4,0,4,0\n113.9,22.6,0,0,2\n114.1,22.6,0,4,2\n\
        113.9,22.4,200,2,0\n114.1,22.4,200,6,0\n113.9,22.6,200,2,2\n114.1,22.6,200,6,2\n";

    #[test]
    fn interpolates_trilinearly_and_clamps_outside() {
        let g = WindGrid::parse(GRID, &frame()).unwrap();
        // At the reference (lon 114.0, lat 22.5: the cell's centre) and 100 m up: u is
        // 2 (halfway in lon) + 1 (halfway in alt), v is 1 (halfway in lat).
        let w = g.at([0.0, 0.0, 100.0]);
        assert!(
            (w[0] - 3.0).abs() < 1e-9 && (w[1] - 1.0).abs() < 1e-9,
            "{w:?}"
        );
        // Far beyond every edge: the corner's.
        assert_eq!(g.at([1e6, 1e6, 1e4]), [6.0, 2.0]);
        assert_eq!(g.at([-1e6, -1e6, -50.0]), [0.0, 0.0]);
        assert_eq!(g.max_speed(), 40f64.sqrt());
        // 0.05° of longitude east of the reference is a quarter of the cell across.
        let e = 0.05_f64.to_radians() * 6_381_000.0 * 22.5_f64.to_radians().cos();
        let w = g.at([e, 0.0, 0.0]);
        assert!((w[0] - 3.0).abs() < 0.01, "{w:?}");
    }

    #[test]
    fn a_uniform_grid_gives_its_wind_exactly() {
        let text = "lon,lat,alt_m,u_mps,v_mps\n113,22,0,0.1,-0.3\n115,22,0,0.1,-0.3\n\
                    113,23,0,0.1,-0.3\n115,23,0,0.1,-0.3\n";
        let g = WindGrid::parse(text, &frame()).unwrap();
        for p in [[0.0, 0.0, 0.0], [12_345.6, -7_654.3, 120.0]] {
            assert_eq!(g.at(p), [0.1, -0.3]);
        }
    }

    #[test]
    fn the_shipped_example_grid_reads_and_follows_its_rule() {
        let text = include_str!("../../assets/wind/gba_monsoon_example.csv");
        let g = WindGrid::parse(text, &Frame::new(22.5, 114.0)).unwrap();
        // 300 m over the sea: 3 × 1.3 × 30^(1/7) = 6.34 m/s, the strongest.
        assert!((g.max_speed() - 6.34).abs() < 0.01, "{}", g.max_speed());
        // At the reference (over land, 22.5° N: 1.3 − 0.3 × 0.2/0.3 = 1.1 of the land
        // value), 120 m up: 3 × 1.1 × 12^(1/7) from 200°, i.e. toward the north-north-east.
        let w = g.at([0.0, 0.0, 120.0]);
        let s = 3.0 * 1.1 * 12f64.powf(1.0 / 7.0);
        assert!((w[0].hypot(w[1]) - s).abs() < 0.01, "{w:?}");
        assert!(w[1] > 0.0 && w[0] > 0.0 && (w[0] / w[1] - 20f64.to_radians().tan()).abs() < 0.01);
    }

    #[test]
    fn bad_grids_say_where() {
        let f = frame();
        let err = |t: &str| WindGrid::parse(t, &f).unwrap_err();
        assert!(err("lon,lat,u_mps,v_mps\n").contains("no column `alt_m`"));
        let e = err("lon,lat,alt_m,u_mps,v_mps\n113,22,0,1,x\n");
        assert!(
            e.contains("line 2, column 5 (`v_mps`)") && e.contains("`x`"),
            "{e}"
        );
        let e = err("lon,lat,alt_m,u_mps,v_mps\n113,22,0,1,NaN\n");
        assert!(e.contains("finite"), "{e}");
        let e = err("lon,lat,alt_m,u_mps,v_mps\n113,22,0,1,0\n114,23,0,1,0\n");
        assert!(
            e.contains("2 longitudes × 2 latitudes × 1 altitudes = 4 nodes"),
            "{e}"
        );
        let e = err(
            "lon,lat,alt_m,u_mps,v_mps\n113,22,0,1,0\n113,22,0,2,0\n114,22,0,1,0\n114,22,0,1,0\n",
        );
        assert!(e.contains("rows") || e.contains("twice"), "{e}");
        assert!(err("lon,lat,alt_m,u_mps,v_mps\n").contains("no grid nodes"));
        assert!(err("lon,lat,alt_m,u_mps,v_mps\n200,22,0,1,0\n").contains("WGS84"));
    }
}
