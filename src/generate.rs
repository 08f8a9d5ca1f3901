//! A GBA-wide layered corridor network generated from the land polygons, the cities'
//! populations and a template scenario (`skycorridor generate`): how `gba_100k.ron` and
//! `gba_10k.ron` are made.
//!
//! The rule, every number a [`Params`] field:
//! - **Built-up area.** Each city of the cities CSV (`city,name,population,hubs`) gets
//!   `km2_per_million` square kilometres of mesh per million people, shared equally among
//!   discs around its hubs (places of the template's places CSV). A point belongs to the
//!   city whose hub is nearest relative to that hub's disc radius, among the cities of the
//!   point's territory (its jurisdiction's), and is meshed when it lies inside that disc,
//!   on land, and clear of every no-fly zone by half a mesh spacing.
//! - **Mesh.** A square lattice of `spacing_m` over the local frame, aligned east and
//!   north; neighbouring lattice points of one territory are joined by two-way corridors.
//!   Layers follow Metropolis 2's heading-altitude rule: east-west corridors fly in the
//!   `east_west` band, north-south ones in the `north_south` band, so crossing streams are
//!   a vertical minimum apart at every junction; within a band eastbound (northbound)
//!   traffic flies the upper half and westbound (southbound) the lower one.
//! - **Vertiports.** Every `vertiport_every`-th lattice point in both directions is a
//!   last-mile vertiport with the terminal model; each hub place becomes a vertiport at
//!   its nearest meshed point, named by the place. A vertiport's terminal area fills one
//!   of the four lattice cells at its corner (the first no trunk or gate link crosses):
//!   the connector runs along the cell's diagonal so the FATOs' arc is centred in it, and
//!   the FATOs are capped at what fits; a last-mile vertiport with no free cell is a
//!   junction instead.
//! - **Trunks and gates.** Each city is joined hub to hub to its `trunk_neighbours`
//!   nearest cities by trunk corridors in the `trunk` band (bent round a no-fly zone in
//!   the way where one detour clears it, dropped otherwise, and dropped where the band is
//!   above a jurisdiction's ceiling at either end). Between territories a trunk runs
//!   through one of the template's border gates; each gate is also joined at mesh level to
//!   the nearest meshed point of each territory within `gate_reach_m`.
//! - **Demand.** Each vertiport sends flights to the vertiport nearest to each of the four
//!   points `trip_m` east or west and `trip_m` north or south of it (same territory,
//!   connected by the mesh, route not taking a trunk), mixed as `mesh_mix`, all at one
//!   rate: population sets each city's area, hence its vertiports and its share. Hubs of
//!   trunk-joined cities exchange `trunk_mix` flights both ways in proportion to the
//!   product of the populations over the distance (a gravity model), scaled so the
//!   busiest trunk lane runs at `trunk_load` of its headway capacity. The mesh rate is set
//!   so that, by Little's law at the template profile's mean factor over the run,
//!   `airborne` drones are in the air once traffic has built up; flows through a lane
//!   loaded above `max_lane_load` are thinned by its excess and the rest scaled up again,
//!   until none is (at most 30 rounds). Vertiport FATOs and gate capacities are then sized
//!   as `skycorridor scale` sizes them.
//!
//! Everything else (jurisdictions, airports, zones, fleet, profile, deconfliction,
//! uncertainty) is the template's; its communications cells are left out (they sit at
//! its own vertiports).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use geo::{Contains, Coord, Distance, Euclidean, Line, MultiPolygon, Point};

use crate::network::{Frame, Locator, Network, land, places, terminal};
use crate::scale::{FlowPlan, Loads, flow_plans, round_sig, size_terminals};
use crate::scenario::{
    Corridor, Demand, Direction, Flow, LatLon, MAX_FATOS, Node, NodeKind, Scenario, ScenarioError,
    TerminalLayout, ValidationError,
};

/// The generator's parameters (see the module documentation for the rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Drones in the air to aim for once traffic has built up.
    pub airborne: f64,
    /// Distance between neighbouring lattice points, metres.
    pub spacing_m: f64,
    /// Every how many lattice points (in each direction) a vertiport stands.
    pub vertiport_every: u32,
    /// Square kilometres of mesh per million people.
    pub km2_per_million: f64,
    /// Altitude band of east-west mesh corridors, metres AMSL.
    pub east_west: [f64; 2],
    /// Altitude band of north-south mesh corridors, metres AMSL.
    pub north_south: [f64; 2],
    /// Altitude band of trunk corridors, metres AMSL.
    pub trunk: [f64; 2],
    /// Speed limit of the mesh, m/s.
    pub mesh_speed_mps: f64,
    /// Headway of the mesh's lanes, seconds.
    pub mesh_headway_s: f64,
    /// Speed limit of trunks, m/s.
    pub trunk_speed_mps: f64,
    /// Headway of trunk lanes, seconds.
    pub trunk_headway_s: f64,
    /// Offset east/west and north/south of a mesh flight's aim point, metres.
    pub trip_m: f64,
    /// Drone types of mesh flows and their weights.
    pub mesh_mix: BTreeMap<String, f64>,
    /// Drone types of trunk flows and their weights.
    pub trunk_mix: BTreeMap<String, f64>,
    /// Load of the busiest trunk lane over its headway capacity: trunk demand is scaled
    /// to it.
    pub trunk_load: f64,
    /// Nearest cities each city is joined to by a trunk.
    pub trunk_neighbours: usize,
    /// Highest load (entries over headway capacity, at the run's mean) the mesh demand
    /// may put on a lane; flows through busier lanes are thinned.
    pub max_lane_load: f64,
    /// Farthest a border gate reaches for a meshed point on each side, metres.
    pub gate_reach_m: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            airborne: 100_000.0,
            spacing_m: 700.0,
            vertiport_every: 2,
            km2_per_million: 150.0,
            east_west: [30.0, 70.0],
            north_south: [70.0, 110.0],
            trunk: [110.0, 150.0],
            mesh_speed_mps: 12.0,
            mesh_headway_s: 6.0,
            trunk_speed_mps: 45.0,
            trunk_headway_s: 10.0,
            trip_m: 4000.0,
            mesh_mix: [("food".to_string(), 2.0), ("parcel".to_string(), 1.0)].into(),
            trunk_mix: [("evtol5".to_string(), 1.0)].into(),
            trunk_load: 0.5,
            trunk_neighbours: 2,
            gate_reach_m: 4000.0,
            max_lane_load: 0.7,
        }
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The template scenario does not load or validate.
    #[error(transparent)]
    Template(#[from] ScenarioError),
    /// An input file or parameter is unusable.
    #[error("{0}")]
    Input(String),
    /// The generated scenario does not validate (a bug in the rule or the parameters).
    #[error("the generated scenario is invalid: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
}

/// One row of the cities CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// Short id, used as the prefix of its nodes.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// Residents.
    pub population: f64,
    /// Place ids (of the places CSV) of its hubs.
    pub hubs: Vec<String>,
}

/// Reads a cities CSV (`city,name,population,hubs`, hubs separated by spaces, `#`
/// comments); errors name the file and line.
pub fn read_cities(path: &Path) -> Result<Vec<City>, GenerateError> {
    let err = |m: String| GenerateError::Input(format!("{}: {m}", path.display()));
    let text = crate::scenario::read_limited(path).map_err(|e| err(e.to_string()))?;
    let mut rd = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rd.headers().map_err(|e| err(e.to_string()))?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            err(format!(
                "no column `{name}` (expected city,name,population,hubs)"
            ))
        })
    };
    let (id, name, pop, hubs) = (col("city")?, col("name")?, col("population")?, col("hubs")?);
    let mut out: Vec<City> = Vec::new();
    for row in rd.records() {
        let row = row.map_err(|e| err(e.to_string()))?;
        let line = row.position().map_or(0, |p| p.line());
        let population = row[pop]
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p > 0.0)
            .ok_or_else(|| {
                err(format!(
                    "line {line}: `population` must be a number > 0, got `{}`",
                    &row[pop]
                ))
            })?;
        let hub_ids: Vec<String> = row[hubs].split_whitespace().map(String::from).collect();
        if hub_ids.is_empty() {
            return Err(err(format!("line {line}: `hubs` names no place")));
        }
        if out.iter().any(|c| c.id == row[id]) {
            return Err(err(format!(
                "line {line}: city `{}` appears twice",
                &row[id]
            )));
        }
        out.push(City {
            id: row[id].to_string(),
            name: row[name].to_string(),
            population,
            hubs: hub_ids,
        });
    }
    if out.is_empty() {
        return Err(err("no city".into()));
    }
    Ok(out)
}

/// Most lattice points the generator considers (a bound on its work and memory).
pub const MAX_LATTICE_POINTS: f64 = 4.0e6;

/// Most rounds of thinning flows through over-loaded lanes.
const MAX_THINNING: usize = 30;

/// How trunk corridor ids start.
pub const TRUNK_PREFIX: &str = "T:";

/// What generation made.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The scenario, file paths as written in the template.
    pub scenario: Scenario,
    /// Figures for the header and the console.
    pub summary: Summary,
}

/// Figures of a generated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Per city: id, meshed points, vertiports.
    pub cities: Vec<(String, usize, usize)>,
    /// Mesh corridors.
    pub mesh_corridors: usize,
    /// Trunk corridors (trunk legs, gate links excluded).
    pub trunk_corridors: usize,
    /// Mesh-level links to border gates.
    pub gate_links: usize,
    /// Corridor length, km (each corridor once).
    pub corridor_km: f64,
    /// Demand flows.
    pub flows: usize,
    /// Departures an hour at the profile's mean factor.
    pub flights_per_hour: f64,
    /// Drones in the air once traffic has built up (Little's law).
    pub airborne: f64,
    /// Highest lane load over the run's mean: entries an hour over the lane's headway
    /// capacity (`3600 / headway_s`).
    pub max_lane_load: f64,
    /// Mean of that load over the lanes that carry any traffic.
    pub mean_lane_load: f64,
    /// Vertiports whose FATOs were capped below what their traffic keeps busy (1.5 times
    /// the mean plus one) by the room in their cell.
    pub fato_capped: usize,
}

/// A meshed lattice point.
struct Point2 {
    ij: (i64, i64),
    en: [f64; 2],
    city: usize,
    territory: String,
    vertiport: bool,
    id: String,
}

/// Generates the scenario from `template` and the cities in `cities_csv`.
pub fn generate(
    template: &Path,
    cities_csv: &Path,
    p: &Params,
    name: &str,
) -> Result<Generated, GenerateError> {
    check_params(p)?;
    let (resolved, text) = crate::scenario::load_file(template)?;
    let raw = crate::scenario::parse_str(&text, template)?;
    let cities = read_cities(cities_csv)?;
    let input = |m: String| GenerateError::Input(format!("{}: {m}", template.display()));
    let Some(airports) = &resolved.airports else {
        return Err(input(
            "the template needs `airports` (its places CSV has the hubs)".into(),
        ));
    };
    let Some(land_path) = &resolved.land_geojson else {
        return Err(input("the template needs `land_geojson`".into()));
    };
    for ty in p.mesh_mix.keys().chain(p.trunk_mix.keys()) {
        if !resolved.drone_types.iter().any(|t| &t.id == ty) {
            return Err(input(format!("has no drone type `{ty}` (named in a mix)")));
        }
    }
    let places =
        places::read_places(Path::new(&airports.places_csv)).map_err(GenerateError::Input)?;
    let place = |id: &str| {
        places
            .iter()
            .find(|pl| pl.id == id)
            .map(|pl| pl.at)
            .ok_or_else(|| {
                GenerateError::Input(format!(
                    "{}: hub `{id}` is not a place of {}",
                    cities_csv.display(),
                    airports.places_csv
                ))
            })
    };
    let mut hub_geo: Vec<Vec<(String, LatLon)>> = Vec::new();
    for c in &cities {
        hub_geo.push(
            c.hubs
                .iter()
                .map(|h| Ok((h.clone(), place(h)?)))
                .collect::<Result<_, GenerateError>>()?,
        );
    }
    let all: Vec<LatLon> = hub_geo.iter().flatten().map(|h| h.1).collect();
    let frame = Frame::new(
        all.iter().map(|h| h.lat).sum::<f64>() / all.len() as f64,
        all.iter().map(|h| h.lon).sum::<f64>() / all.len() as f64,
    );
    let land = land::load(Path::new(land_path), &frame).map_err(GenerateError::Input)?;
    let land_mp: MultiPolygon<f64> = land::multipolygon(&land);
    let locator = Locator::new(&resolved, &frame, &land)
        .map_err(|(j, m)| input(format!("jurisdiction {j}: {m}")))?;
    let territory_at = |en: [f64; 2]| -> Option<(String, Option<f64>)> {
        let j = &resolved.jurisdictions[locator.locate(en)?];
        let t = if j.territory.is_empty() {
            &j.id
        } else {
            &j.territory
        };
        Some((t.clone(), j.rules.max_alt_m))
    };
    let zones = crate::network::place_zones(&resolved, &frame).map_err(GenerateError::Invalid)?;
    let blocked = |line: Line<f64>, band: [f64; 2], margin: f64| {
        zones.iter().any(|z| {
            z.kind == crate::scenario::ZoneKind::NoFly
                && z.alt_m.0 < band[1]
                && z.alt_m.1 > band[0]
                && Euclidean.distance(&line, &z.polygon) < margin
        })
    };

    // Hubs, their discs and the cities' territories.
    struct Hub {
        city: usize,
        id: String,
        en: [f64; 2],
        radius_m: f64,
    }
    let mut hubs = Vec::new();
    let mut city_territory = Vec::new();
    for (ci, c) in cities.iter().enumerate() {
        let area_m2 = c.population / 1e6 * p.km2_per_million * 1e6 / c.hubs.len() as f64;
        let radius_m = (area_m2 / std::f64::consts::PI).sqrt();
        for (id, at) in &hub_geo[ci] {
            hubs.push(Hub {
                city: ci,
                id: id.clone(),
                en: frame.to_local(at.lat, at.lon),
                radius_m,
            });
        }
        let first = frame.to_local(hub_geo[ci][0].1.lat, hub_geo[ci][0].1.lon);
        let Some((t, _)) = territory_at(first) else {
            return Err(input(format!(
                "city {}: its first hub is in no jurisdiction",
                c.id
            )));
        };
        city_territory.push(t);
    }

    // The lattice.
    let s = p.spacing_m;
    let lo = |k: usize| {
        hubs.iter()
            .map(|h| h.en[k] - h.radius_m)
            .fold(f64::INFINITY, f64::min)
    };
    let hi = |k: usize| {
        hubs.iter()
            .map(|h| h.en[k] + h.radius_m)
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let (i0, i1) = ((lo(0) / s).floor() as i64, (hi(0) / s).ceil() as i64);
    let (j0, j1) = ((lo(1) / s).floor() as i64, (hi(1) / s).ceil() as i64);
    let count = (i1 - i0 + 1) as f64 * (j1 - j0 + 1) as f64;
    if count > MAX_LATTICE_POINTS {
        return Err(GenerateError::Input(format!(
            "a spacing of {s} m over the cities' discs makes {count:.3e} lattice points, over the limit of {MAX_LATTICE_POINTS:.0} (raise spacing_m or lower km2_per_million)"
        )));
    }
    let mesh_band = [
        p.east_west[0].min(p.north_south[0]),
        p.east_west[1].max(p.north_south[1]),
    ];
    let mut points: Vec<Point2> = Vec::new();
    let mut at: HashMap<(i64, i64), usize> = HashMap::new();
    for i in i0..=i1 {
        for j in j0..=j1 {
            let en = [i as f64 * s, j as f64 * s];
            let pt = Point::new(en[0], en[1]);
            // The nearest hub relative to its radius, among hubs whose disc holds the point.
            let best = hubs
                .iter()
                .map(|h| (h, (h.en[0] - en[0]).hypot(h.en[1] - en[1]) / h.radius_m))
                .filter(|(_, r)| *r <= 1.0)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if best.is_none() || !land_mp.contains(&pt) {
                continue;
            }
            let Some((territory, _)) = territory_at(en) else {
                continue;
            };
            let Some((hub, _)) = hubs
                .iter()
                .filter(|h| city_territory[h.city] == territory)
                .map(|h| (h, (h.en[0] - en[0]).hypot(h.en[1] - en[1]) / h.radius_m))
                .filter(|(_, r)| *r <= 1.0)
                .min_by(|a, b| a.1.total_cmp(&b.1))
            else {
                continue;
            };
            let c = Coord { x: en[0], y: en[1] };
            if blocked(Line::new(c, c), mesh_band, 0.5 * s + 1.0) {
                continue;
            }
            let every = p.vertiport_every as i64;
            at.insert((i, j), points.len());
            points.push(Point2 {
                ij: (i, j),
                en,
                city: hub.city,
                territory,
                vertiport: i.rem_euclid(every) == 0 && j.rem_euclid(every) == 0,
                id: format!("{}.{}.{}", cities[hub.city].id, i - i0, j - j0),
            });
        }
    }
    // Hubs become vertiports at their nearest meshed point of their city.
    let mut hub_point: Vec<Option<usize>> = Vec::new();
    for h in &hubs {
        let near = points
            .iter()
            .enumerate()
            .filter(|(_, q)| q.city == h.city)
            .map(|(k, q)| (k, (q.en[0] - h.en[0]).hypot(q.en[1] - h.en[1])))
            .filter(|(k, d)| *d <= 2.0 * s && !hubs_taken(&hub_point, *k))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        hub_point.push(near.map(|(k, _)| {
            points[k].vertiport = true;
            points[k].id = h.id.clone();
            k
        }));
    }

    // Mesh corridors; a corridor's `from` is its western (southern) end, so its forward,
    // upper lane is eastbound (northbound).
    let mut corridors: Vec<Corridor> = Vec::new();
    let corridor = |id: String, from: &str, to: &str, band: [f64; 2], mesh: bool| Corridor {
        id,
        from: from.to_string(),
        to: to.to_string(),
        via: Vec::new(),
        min_alt_m: band[0],
        max_alt_m: band[1],
        direction: Direction::TwoWay,
        width_m: 100.0,
        speed_limit_mps: if mesh {
            p.mesh_speed_mps
        } else {
            p.trunk_speed_mps
        },
        headway_s: if mesh {
            p.mesh_headway_s
        } else {
            p.trunk_headway_s
        },
    };
    let mut degree = vec![0usize; points.len()];
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (k, q) in points.iter().enumerate() {
        for (d, band) in [((1, 0), p.east_west), ((0, 1), p.north_south)] {
            let Some(&m) = at.get(&(q.ij.0 + d.0, q.ij.1 + d.1)) else {
                continue;
            };
            if points[m].territory != q.territory {
                continue;
            }
            degree[k] += 1;
            degree[m] += 1;
            edges.push((k, m));
            corridors.push(corridor(
                format!("{}~{}", q.id, points[m].id),
                &q.id,
                &points[m].id,
                band,
                true,
            ));
        }
    }
    let mesh_corridors = corridors.len();
    let mut dsu = Dsu::new(points.len());
    for &(a, b) in &edges {
        dsu.union(a, b);
    }

    // Border gates of the template, joined at mesh level to each territory within reach.
    let by_heading = |a: [f64; 2], b: [f64; 2]| {
        if (b[0] - a[0]).abs() >= (b[1] - a[1]).abs() {
            p.east_west
        } else {
            p.north_south
        }
    };
    let west_first = |a: [f64; 2], b: [f64; 2]| {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        if dx.abs() >= dy.abs() {
            dx >= 0.0
        } else {
            dy >= 0.0
        }
    };
    let line = |a: [f64; 2], b: [f64; 2]| {
        Line::new(Coord { x: a[0], y: a[1] }, Coord { x: b[0], y: b[1] })
    };
    let mut gates: Vec<(Node, [f64; 2], Vec<usize>)> = Vec::new();
    let mut gate_lines: Vec<Line<f64>> = Vec::new();
    let mut gate_links = 0;
    for g in raw
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Gate { .. }))
    {
        let (Some(lat), Some(lon)) = (g.lat, g.lon) else {
            continue;
        };
        let en = frame.to_local(lat, lon);
        let mut sides: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
        for (k, q) in points.iter().enumerate() {
            let d = (q.en[0] - en[0]).hypot(q.en[1] - en[1]);
            if d <= p.gate_reach_m && sides.get(q.territory.as_str()).is_none_or(|b| d < b.1) {
                sides.insert(&q.territory, (k, d));
            }
        }
        let ends: Vec<usize> = sides
            .values()
            .map(|v| v.0)
            .filter(|&k| !blocked(line(points[k].en, en), by_heading(points[k].en, en), 1.0))
            .collect();
        if ends.len() < 2 {
            continue;
        }
        for &k in &ends {
            let (a, b) = (points[k].en, en);
            let (from, to) = if west_first(a, b) {
                (points[k].id.as_str(), g.id.as_str())
            } else {
                (g.id.as_str(), points[k].id.as_str())
            };
            degree[k] += 1;
            gate_links += 1;
            gate_lines.push(line(a, b));
            corridors.push(corridor(
                format!("{from}~{to}"),
                from,
                to,
                by_heading(a, b),
                true,
            ));
        }
        for w in ends.windows(2) {
            dsu.union(w[0], w[1]);
        }
        gates.push((g.clone(), en, ends));
    }

    // Trunks between the nearest cities, hub to hub (through a gate between territories).
    let hub_of = |ci: usize| -> Vec<(usize, [f64; 2])> {
        hubs.iter()
            .zip(&hub_point)
            .filter(|(h, k)| h.city == ci && k.is_some())
            .map(|(h, k)| (k.unwrap(), h.en))
            .collect()
    };
    let closest = |a: usize, b: usize| {
        let mut best: Option<(usize, usize, f64)> = None;
        for (ka, ea) in hub_of(a) {
            for (kb, eb) in hub_of(b) {
                let d = (ea[0] - eb[0]).hypot(ea[1] - eb[1]);
                if best.is_none_or(|x| d < x.2) {
                    best = Some((ka, kb, d));
                }
            }
        }
        best
    };
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    for a in 0..cities.len() {
        let mut near: Vec<(usize, f64)> = (0..cities.len())
            .filter(|&b| b != a)
            .filter_map(|b| closest(a, b).map(|c| (b, c.2)))
            .collect();
        near.sort_by(|x, y| x.1.total_cmp(&y.1));
        for (b, _) in near.into_iter().take(p.trunk_neighbours) {
            pairs.insert((a.min(b), a.max(b)));
        }
    }
    let under_ceiling =
        |en: [f64; 2]| territory_at(en).is_none_or(|t| t.1.is_none_or(|c| c >= p.trunk[1]));
    // A straight leg, or one bent round the first no-fly zone in its way.
    let leg = |a: [f64; 2], b: [f64; 2]| -> Option<Vec<[f64; 2]>> {
        if !blocked(line(a, b), p.trunk, 300.0) {
            return Some(Vec::new());
        }
        let z = zones.iter().find(|z| {
            z.kind == crate::scenario::ZoneKind::NoFly
                && z.alt_m.0 < p.trunk[1]
                && z.alt_m.1 > p.trunk[0]
                && Euclidean.distance(&line(a, b), &z.polygon) < 300.0
        })?;
        let (c, r) = z.circle?;
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = dx.hypot(dy);
        let n = [-dy / len, dx / len];
        [1.0, -1.0].into_iter().find_map(|side| {
            let v = [
                c[0] + side * n[0] * (r + 2000.0),
                c[1] + side * n[1] * (r + 2000.0),
            ];
            (!blocked(line(a, v), p.trunk, 300.0) && !blocked(line(v, b), p.trunk, 300.0))
                .then_some(vec![v])
        })
    };
    let mut trunk_pairs: Vec<(usize, usize)> = Vec::new();
    let mut trunk_corridors = 0;
    let mut have: BTreeSet<(String, String)> = BTreeSet::new();
    let mut trunk_lines: Vec<Line<f64>> = Vec::new();
    let mut add_trunk = |corridors: &mut Vec<Corridor>,
                         a: (&str, [f64; 2]),
                         b: (&str, [f64; 2]),
                         via: Vec<[f64; 2]>| {
        let ((fa, _), (fb, _)) = if west_first(a.1, b.1) { (a, b) } else { (b, a) };
        if !have.insert((fa.to_string(), fb.to_string())) {
            return;
        }
        let polyline: Vec<[f64; 2]> = std::iter::once(a.1)
            .chain(via.iter().copied())
            .chain([b.1])
            .collect();
        trunk_lines.extend(polyline.windows(2).map(|w| line(w[0], w[1])));
        let mut via = via;
        if !west_first(a.1, b.1) {
            via.reverse();
        }
        let mut c = corridor(format!("{TRUNK_PREFIX}{fa}~{fb}"), fa, fb, p.trunk, false);
        c.via = via
            .iter()
            .map(|v| {
                let (lat, lon) = frame.to_geo(v[0], v[1]);
                LatLon {
                    lat: round5(lat),
                    lon: round5(lon),
                }
            })
            .collect();
        corridors.push(c);
        trunk_corridors += 1;
    };
    for &(a, b) in &pairs {
        let Some((ka, kb, _)) = closest(a, b) else {
            continue;
        };
        let (ea, eb) = (points[ka].en, points[kb].en);
        if !under_ceiling(ea) || !under_ceiling(eb) {
            continue;
        }
        if points[ka].territory == points[kb].territory {
            let Some(via) = leg(ea, eb) else {
                continue;
            };
            add_trunk(
                &mut corridors,
                (&points[ka].id, ea),
                (&points[kb].id, eb),
                via,
            );
        } else {
            // Through the gate that lengthens the trip least, if by under a third.
            let direct = (ea[0] - eb[0]).hypot(ea[1] - eb[1]);
            let Some((g, _)) = gates
                .iter()
                .map(|g| {
                    (
                        g,
                        (ea[0] - g.1[0]).hypot(ea[1] - g.1[1])
                            + (eb[0] - g.1[0]).hypot(eb[1] - g.1[1]),
                    )
                })
                .filter(|(_, d)| *d < 1.33 * direct)
                .min_by(|x, y| x.1.total_cmp(&y.1))
            else {
                continue;
            };
            let (Some(va), Some(vb)) = (leg(ea, g.1), leg(g.1, eb)) else {
                continue;
            };
            add_trunk(&mut corridors, (&points[ka].id, ea), (&g.0.id, g.1), va);
            add_trunk(&mut corridors, (&g.0.id, g.1), (&points[kb].id, eb), vb);
        }
        degree[ka] += 1;
        degree[kb] += 1;
        dsu.union(ka, kb);
        trunk_pairs.push((ka, kb));
    }

    // Each vertiport's terminal area fills one of the four lattice cells at its corner
    // (the first, clockwise from north-east, that no trunk or gate link crosses): the
    // connector runs along the cell's diagonal so the FATOs' arc is centred in the cell,
    // and the FATOs are capped at the most whose terminal area stays inside it. A
    // last-mile vertiport without such a cell is a junction instead.
    let others: Vec<Line<f64>> = trunk_lines.iter().chain(&gate_lines).copied().collect();
    let half = 0.5 * s;
    let mut terminal: Vec<Option<(f64, f64, u32)>> = vec![None; points.len()];
    for k in 0..points.len() {
        if !points[k].vertiport || degree[k] == 0 {
            continue;
        }
        let en = points[k].en;
        let h_min = locator
            .locate(en)
            .and_then(|j| resolved.jurisdictions[j].rules.horizontal_m)
            .unwrap_or(resolved.separation.horizontal_m);
        let cell = [45.0_f64, 135.0, 225.0, 315.0].into_iter().find(|b| {
            let (sin, cos) = b.to_radians().sin_cos();
            let c = Point::new(
                en[0] + half * std::f64::consts::SQRT_2 * sin,
                en[1] + half * std::f64::consts::SQRT_2 * cos,
            );
            others
                .iter()
                .all(|l| Euclidean.distance(l, &c) > half + 10.0)
        });
        match cell {
            Some(bearing) => {
                let fit = (1..=MAX_FATOS)
                    .rev()
                    .map(|n| {
                        (
                            n,
                            terminal::layout([0.0, 0.0], 0.0, n, &Default::default(), h_min),
                        )
                    })
                    .find(|(_, l)| l.radius_m <= half - 10.0);
                let Some((n, l)) = fit else {
                    return Err(GenerateError::Input(format!(
                        "spacing_m {s} leaves no room for a terminal area at {}",
                        points[k].id
                    )));
                };
                let connector = (half * std::f64::consts::SQRT_2 - l.approach_m).round();
                terminal[k] = Some((bearing, connector, n));
            }
            None if hub_point.contains(&Some(k)) => {
                return Err(GenerateError::Input(format!(
                    "hub {}: trunks or gate links cross all four cells around it",
                    points[k].id
                )));
            }
            None => points[k].vertiport = false,
        }
    }

    // Nodes: meshed points with a corridor, then the gates in use.
    let mut nodes: Vec<Node> = Vec::new();
    for (k, q) in points.iter().enumerate() {
        if degree[k] == 0 {
            continue;
        }
        let (lat, lon) = frame.to_geo(q.en[0], q.en[1]);
        nodes.push(Node {
            id: q.id.clone(),
            kind: if let (true, Some((bearing, connector, _))) = (q.vertiport, terminal[k]) {
                NodeKind::Vertiport {
                    fatos: 1,
                    stands: None,
                    turnaround_s: 60.0,
                    terminal: TerminalLayout {
                        bearing_deg: Some(bearing),
                        connector_m: Some(connector),
                        ..Default::default()
                    },
                }
            } else {
                NodeKind::Waypoint
            },
            lat: Some(round5(lat)),
            lon: Some(round5(lon)),
            east_m: None,
            north_m: None,
            ground_alt_m: 0.0,
        });
    }
    nodes.extend(gates.iter().map(|g| g.0.clone()));

    // Demand: mesh flows to the four diagonal aim points, trunk flows by gravity.
    let vp: Vec<usize> = (0..points.len())
        .filter(|&k| points[k].vertiport && degree[k] > 0)
        .collect();
    let mut flows: Vec<(Flow, bool)> = Vec::new(); // flow, trunk?
    let vp_at: HashMap<(i64, i64), usize> = vp.iter().map(|&k| (points[k].ij, k)).collect();
    let reach = (p.vertiport_every as i64).max(1);
    for &k in &vp {
        let q = &points[k];
        for (sx, sy) in [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)] {
            let aim = [q.en[0] + sx * p.trip_m, q.en[1] + sy * p.trip_m];
            let (ai, aj) = ((aim[0] / s).round() as i64, (aim[1] / s).round() as i64);
            let mut best: Option<(usize, f64)> = None;
            for di in -reach..=reach {
                for dj in -reach..=reach {
                    if let Some(&m) = vp_at.get(&(ai + di, aj + dj))
                        && m != k
                        && points[m].territory == q.territory
                        && dsu.find(m) == dsu.find(k)
                    {
                        let d = (points[m].en[0] - aim[0]).hypot(points[m].en[1] - aim[1]);
                        if best.is_none_or(|b| d < b.1) {
                            best = Some((m, d));
                        }
                    }
                }
            }
            if let Some((m, _)) = best {
                flows.push((flow(&q.id, &points[m].id, &p.mesh_mix), false));
            }
        }
    }
    for &(ka, kb) in &trunk_pairs {
        for (x, y) in [(ka, kb), (kb, ka)] {
            flows.push((flow(&points[x].id, &points[y].id, &p.trunk_mix), true));
        }
    }
    let weight: Vec<f64> = flows
        .iter()
        .map(|(f, trunk)| {
            if *trunk {
                let (a, b) = (
                    &points_by_id(&points, &f.origin),
                    &points_by_id(&points, &f.destination),
                );
                let d_km = (a.en[0] - b.en[0]).hypot(a.en[1] - b.en[1]) / 1000.0;
                cities[a.city].population / 1e6 * cities[b.city].population / 1e6 / d_km.max(1.0)
            } else {
                1.0
            }
        })
        .collect();

    // The scenario at unit weights, then rates by Little's law.
    let mut out = resolved.clone();
    out.name = name.to_string();
    out.description = format!(
        "Greater Bay Area, generated layered corridor mesh over {} cities, demand for {:.0} drones in the air",
        cities.len(),
        p.airborne
    );
    out.nodes = nodes;
    out.corridors = corridors;
    out.corridors_geojson = None;
    out.demand = Demand {
        scale: 1.0,
        flows: flows.iter().map(|f| f.0.clone()).collect(),
        flights: Vec::new(),
        ..resolved.demand.clone()
    };
    let fail = |errors: Vec<ValidationError>| GenerateError::Invalid(errors);
    crate::scenario::validate(&out).map_err(fail)?;
    let net = Network::build(&out).map_err(fail)?;
    let mut plans: Vec<FlowPlan> = flow_plans(&out, &net).map_err(fail)?;
    let mut is_trunk: Vec<bool> = flows.iter().map(|f| f.1).collect();
    let mut weight = weight;
    // A mesh flight stays on the mesh: a flow whose time-optimal route takes a trunk (a
    // shortcut through two hubs) is dropped.
    let on_trunk = |fp: &FlowPlan| {
        fp.plan
            .lanes
            .iter()
            .any(|&l| net.corridor_ids[net.lanes[l].corridor].starts_with(TRUNK_PREFIX))
    };
    let drop: BTreeSet<usize> = plans
        .iter()
        .filter(|fp| !is_trunk[fp.flow] && on_trunk(fp))
        .map(|fp| fp.flow)
        .collect();
    if !drop.is_empty() {
        fn keep<T>(v: &mut Vec<T>, drop: &BTreeSet<usize>) {
            let mut i = 0;
            v.retain(|_| {
                i += 1;
                !drop.contains(&(i - 1))
            })
        }
        keep(&mut out.demand.flows, &drop);
        keep(&mut weight, &drop);
        keep(&mut is_trunk, &drop);
        plans = flow_plans(&out, &net).map_err(fail)?;
    }
    let headway_load = |loads: &Loads| -> Vec<f64> {
        net.lanes
            .iter()
            .zip(&loads.lane_entries_per_hour)
            .map(|(l, e)| e * l.headway_s / 3600.0)
            .collect()
    };
    let of_kind = |trunk: bool, w: &[f64]| {
        Loads::of(&out, &net, &plans, |f| {
            if is_trunk[f] == trunk { w[f] } else { 0.0 }
        })
    };
    // Trunk demand: the gravity weights scaled so the busiest trunk lane runs at
    // `trunk_load`.
    let trunk = of_kind(true, &weight);
    let busiest_trunk = headway_load(&trunk).into_iter().fold(0.0, f64::max);
    let k_trunk = if busiest_trunk > 0.0 {
        p.trunk_load / busiest_trunk
    } else {
        0.0
    };
    let mesh_target = (p.airborne - k_trunk * trunk.airborne).max(0.0);
    // Mesh demand: equal per flow, scaled to the target by Little's law; then, as a
    // planner would not schedule a lane over its capacity, each flow through a lane loaded
    // above `max_lane_load` is thinned by that lane's excess and the rest scaled up again,
    // until no lane is over (or `MAX_THINNING` rounds).
    let mut k_mesh = 0.0;
    for _ in 0..MAX_THINNING {
        let mesh = of_kind(false, &weight);
        if mesh.airborne <= 0.0 {
            return Err(GenerateError::Input(
                "the mesh has no flow (check the cities and spacing)".into(),
            ));
        }
        k_mesh = mesh_target / mesh.airborne;
        let scaled: Vec<f64> = (0..weight.len())
            .map(|f| weight[f] * if is_trunk[f] { k_trunk } else { k_mesh })
            .collect();
        let load = headway_load(&Loads::of(&out, &net, &plans, |f| scaled[f]));
        if load.iter().all(|&x| x <= p.max_lane_load) {
            break;
        }
        let mut thin = vec![1.0_f64; weight.len()];
        for fp in plans.iter().filter(|fp| !is_trunk[fp.flow]) {
            for &l in &fp.plan.lanes {
                let x = load[l.index()];
                if x > p.max_lane_load {
                    thin[fp.flow] = thin[fp.flow].min(p.max_lane_load / x);
                }
            }
        }
        for (w, t) in weight.iter_mut().zip(&thin) {
            *w *= t;
        }
    }
    for (f, (w, trunk)) in out
        .demand
        .flows
        .iter_mut()
        .zip(weight.iter().zip(&is_trunk))
    {
        f.flights_per_hour = round_sig(w * if *trunk { k_trunk } else { k_mesh } * 3600.0);
    }
    let loads = Loads::of(&out, &net, &plans, |f| {
        out.demand.flows[f].flights_per_hour / 3600.0
    });
    size_terminals(&mut out, &loads, 1.0);
    // Within what fits in a terminal's cell.
    let index: HashMap<&str, usize> = points
        .iter()
        .enumerate()
        .map(|(k, q)| (q.id.as_str(), k))
        .collect();
    let mut at_cap = 0;
    for n in &mut out.nodes {
        if let (NodeKind::Vertiport { fatos, stands, .. }, Some(&k)) =
            (&mut n.kind, index.get(n.id.as_str()))
            && let Some((_, _, cap)) = terminal[k]
            && *fatos >= cap
        {
            at_cap += usize::from(*fatos > cap);
            *fatos = cap;
            *stands = stands.map(|x| x.min(2 * cap).max(1));
        }
    }
    let used: Vec<f64> = net
        .lanes
        .iter()
        .zip(&loads.lane_entries_per_hour)
        .filter(|(_, e)| **e > 0.0)
        .map(|(l, e)| e * l.headway_s / 3600.0)
        .collect();
    let over = crate::scenario::limits::check(&out);
    if !over.is_empty() {
        return Err(fail(over));
    }
    crate::scenario::validate(&out).map_err(fail)?;
    Network::build(&out).map_err(fail)?;
    let summary = Summary {
        cities: cities
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let mine: Vec<&Point2> = points
                    .iter()
                    .zip(&degree)
                    .filter(|(q, d)| q.city == ci && **d > 0)
                    .map(|(q, _)| q)
                    .collect();
                (
                    c.id.clone(),
                    mine.len(),
                    mine.iter().filter(|q| q.vertiport).count(),
                )
            })
            .collect(),
        mesh_corridors,
        trunk_corridors,
        gate_links,
        corridor_km: net.corridor_km(),
        flows: out.demand.flows.len(),
        flights_per_hour: out
            .demand
            .flows
            .iter()
            .map(|f| f.flights_per_hour)
            .sum::<f64>()
            * crate::scale::mean_profile_factor(&out),
        airborne: loads.airborne,
        max_lane_load: used.iter().copied().fold(0.0, f64::max),
        mean_lane_load: used.iter().sum::<f64>() / used.len().max(1) as f64,
        fato_capped: at_cap,
    };
    // Back to the template's file paths.
    let mut scenario = out;
    scenario.land_geojson = raw.land_geojson.clone();
    scenario.airports = raw.airports.clone();
    scenario.zones_geojson = raw.zones_geojson.clone();
    scenario.uncertainty = raw.uncertainty.clone();
    // The template's cells sit at its own vertiports, none of which the mesh keeps.
    scenario.comms = Default::default();
    Ok(Generated { scenario, summary })
}

fn hubs_taken(taken: &[Option<usize>], k: usize) -> bool {
    taken.contains(&Some(k))
}

fn points_by_id<'a>(points: &'a [Point2], id: &str) -> &'a Point2 {
    points
        .iter()
        .find(|q| q.id == id)
        .expect("a flow's end is a meshed point")
}

fn flow(origin: &str, destination: &str, mix: &BTreeMap<String, f64>) -> Flow {
    Flow {
        origin: origin.to_string(),
        destination: destination.to_string(),
        flights_per_hour: 0.0,
        start_s: 0.0,
        end_s: None,
        mix: mix.clone(),
        priority: 0,
    }
}

fn round5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

fn check_params(p: &Params) -> Result<(), GenerateError> {
    let bad = |field: &str, m: String| Err(GenerateError::Input(format!("{field}: {m}")));
    let positive = [
        ("airborne", p.airborne),
        ("spacing_m", p.spacing_m),
        ("km2_per_million", p.km2_per_million),
        ("mesh_speed_mps", p.mesh_speed_mps),
        ("mesh_headway_s", p.mesh_headway_s),
        ("trunk_speed_mps", p.trunk_speed_mps),
        ("trunk_headway_s", p.trunk_headway_s),
        ("trip_m", p.trip_m),
        ("gate_reach_m", p.gate_reach_m),
    ];
    for (f, v) in positive {
        if !(v.is_finite() && v > 0.0) {
            return bad(f, format!("expected a number > 0, got {v}"));
        }
    }
    if p.spacing_m < 200.0 {
        return bad(
            "spacing_m",
            format!("expected at least 200 m, got {}", p.spacing_m),
        );
    }
    if p.vertiport_every == 0 {
        return bad("vertiport_every", "expected at least 1".into());
    }
    if !(p.max_lane_load.is_finite() && p.max_lane_load > 0.0 && p.max_lane_load <= 1.0) {
        return bad(
            "max_lane_load",
            format!("expected 0 < load <= 1, got {}", p.max_lane_load),
        );
    }
    if !(p.trunk_load.is_finite() && (0.0..=1.0).contains(&p.trunk_load)) {
        return bad(
            "trunk_load",
            format!("expected 0 <= load <= 1, got {}", p.trunk_load),
        );
    }
    for (f, b) in [
        ("east_west", p.east_west),
        ("north_south", p.north_south),
        ("trunk", p.trunk),
    ] {
        if !(b[0].is_finite() && b[1].is_finite() && b[0] >= 0.0 && b[1] > b[0]) {
            return bad(
                f,
                format!(
                    "expected a band low..high with 0 <= low < high, got {}..{}",
                    b[0], b[1]
                ),
            );
        }
    }
    Ok(())
}

/// Disjoint sets over meshed points (which points a flight can fly between).
struct Dsu(Vec<usize>);

impl Dsu {
    fn new(n: usize) -> Self {
        Dsu((0..n).collect())
    }
    fn find(&mut self, mut a: usize) -> usize {
        while self.0[a] != a {
            self.0[a] = self.0[self.0[a]];
            a = self.0[a];
        }
        a
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        self.0[a.max(b)] = a.min(b);
    }
}

/// The text of a generated scenario file: a header saying how it was made and what it
/// holds, then the RON (one node, corridor or flow per line).
pub fn generated_text(g: &Generated, command: &str, template: &str, cities: &str) -> String {
    let config = ron::ser::PrettyConfig::default()
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME)
        .struct_names(false)
        .depth_limit(2);
    let body = ron::ser::to_string_pretty(&g.scenario, config).expect("a scenario serialises");
    let s = &g.summary;
    let per_city = s
        .cities
        .iter()
        .map(|(c, n, v)| format!("{c} {n}/{v}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "// GENERATED by `{command}`\n\
         // — do not edit by hand; change {template}, {cities} or the generator and run it again.\n\
         // The rule is in src/generate.rs and the README (\"Region scale\"). Everything but the\n\
         // nodes, corridors and flows is {template}'s.\n\
         // Meshed points/vertiports per city: {per_city}.\n\
         // {s}.\n{body}\n"
    )
}

impl std::fmt::Display for Summary {
    /// One line: the network, the demand and the loads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} meshed points, {} vertiports, {} mesh corridors, {} trunk legs, {} gate links, \
             {:.0} km; {} flows, {:.0} departures/h at the profile's mean factor, about {:.0} \
             drones in the air once traffic has built up (Little's law); lane load (entries over \
             headway capacity) highest {:.2}, mean {:.2}; {} vertiports with fewer FATOs than \
             their traffic asks for",
            self.cities.iter().map(|c| c.1).sum::<usize>(),
            self.cities.iter().map(|c| c.2).sum::<usize>(),
            self.mesh_corridors,
            self.trunk_corridors,
            self.gate_links,
            self.corridor_km,
            self.flows,
            self.flights_per_hour,
            self.airborne,
            self.max_lane_load,
            self.mean_lane_load,
            self.fato_capped,
        )
    }
}
