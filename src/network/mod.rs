//! The corridor network: nodes and directed lanes in the local metric frame, as a petgraph
//! graph for route search, and the zones they must respect.
//!
//! A corridor becomes one lane (one-way) or two (two-way, split into altitude lanes by
//! direction). Lane lengths are geodesic metres; lane geometry is local east/north metres
//! (see [`frame`]). Indices (`usize`) into `nodes`, `lanes` and `corridors` are stable and
//! follow the scenario's order.

pub mod frame;
pub mod jurisdiction;
pub mod land;
pub mod places;

use std::collections::BTreeMap;

use geo::{Coord, Distance, Euclidean, LineString, Point, Polygon};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::scenario::{Direction, NodeKind, Scenario, Shape, ValidationError, ZoneKind};
pub use frame::{Frame, geodesic_m};
pub use jurisdiction::{Locator, NetJurisdiction};

/// A vertiport or waypoint, placed.
#[derive(Debug, Clone)]
pub struct NetNode {
    /// Scenario id.
    pub id: String,
    /// Vertiport or waypoint.
    pub kind: NodeKind,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Local `[east_m, north_m]`.
    pub en: [f64; 2],
    /// Ground altitude, metres.
    pub ground_alt_m: f64,
    /// Jurisdiction it stands in (index), if any.
    pub jurisdiction: Option<u32>,
}

impl NetNode {
    /// Number of pads (0 for a waypoint).
    pub fn pads(&self) -> u32 {
        match self.kind {
            NodeKind::Vertiport { pads, .. } => pads,
            NodeKind::Waypoint | NodeKind::Gate { .. } => 0,
        }
    }
    /// For a border gate, the time between two drones it clears
    /// (`3600 / capacity_per_hour`), seconds; `None` for other nodes.
    pub fn gate_spacing_s(&self) -> Option<f64> {
        match self.kind {
            NodeKind::Gate { capacity_per_hour } => Some(3600.0 / capacity_per_hour),
            _ => None,
        }
    }
    /// Pad turnaround after a landing, seconds (0 for a waypoint).
    pub fn turnaround_s(&self) -> f64 {
        match self.kind {
            NodeKind::Vertiport { turnaround_s, .. } => turnaround_s,
            NodeKind::Waypoint | NodeKind::Gate { .. } => 0.0,
        }
    }
}

/// One direction of travel along a corridor, at one altitude.
#[derive(Debug, Clone)]
pub struct Lane {
    /// Index of the corridor in the scenario.
    pub corridor: usize,
    /// True for the `to` -> `from` lane of a two-way corridor.
    pub reverse: bool,
    /// Node index the lane starts at.
    pub from: usize,
    /// Node index the lane ends at.
    pub to: usize,
    /// Flight altitude, metres above mean sea level.
    pub alt_m: f64,
    /// Vertices in local `[east_m, north_m]`, from `from` to `to`.
    pub points: Vec<[f64; 2]>,
    /// Geodesic length of each leg between consecutive points, metres.
    pub leg_m: Vec<f64>,
    /// Total geodesic length, metres.
    pub length_m: f64,
    /// Speed limit, m/s.
    pub speed_limit_mps: f64,
    /// Minimum entry headway, seconds.
    pub headway_s: f64,
    /// Metres of the lane over water (0 without land polygons).
    pub over_water_m: f64,
    /// Jurisdiction whose rules it flies under (the one its midpoint is in), if any.
    pub jurisdiction: Option<u32>,
    /// Separation minima on it, `[horizontal_m, vertical_m]`.
    pub minima: [f64; 2],
}

/// A zone placed in the local frame.
#[derive(Debug, Clone)]
pub struct NetZone {
    /// Scenario id.
    pub id: String,
    /// No-fly or restricted.
    pub kind: ZoneKind,
    /// Footprint in local metres (circles approximated by 64-gons for drawing; the
    /// crossing test uses the exact circle).
    pub polygon: Polygon<f64>,
    /// Circle centre and radius in local metres, when the zone is a circle.
    pub circle: Option<([f64; 2], f64)>,
    /// Floor and ceiling, metres.
    pub alt_m: (f64, f64),
    /// Active window, seconds; `None` is always.
    pub active: Option<(f64, f64)>,
}

/// The built network.
#[derive(Debug, Clone)]
pub struct Network {
    /// The local frame.
    pub frame: Frame,
    /// Nodes in scenario order.
    pub nodes: Vec<NetNode>,
    /// Lanes; a corridor's forward lane comes before its reverse lane.
    pub lanes: Vec<Lane>,
    /// Corridor ids in scenario order.
    pub corridor_ids: Vec<String>,
    /// Zones in scenario order.
    pub zones: Vec<NetZone>,
    /// Directed graph: node weights are node indices, edge weights lane indices.
    pub graph: DiGraph<usize, usize>,
    /// Node id -> node index.
    pub node_index: BTreeMap<String, usize>,
    /// Jurisdictions in scenario order.
    pub jurisdictions: Vec<NetJurisdiction>,
    /// Finds the jurisdiction of a local point.
    pub locator: Locator,
    /// Largest separation minima anywhere, `[horizontal_m, vertical_m]`.
    pub max_minima: [f64; 2],
    /// Whether some jurisdiction has its own minima (else every pair uses the scenario's).
    pub local_minima: bool,
    /// The scenario's minima, `[horizontal_m, vertical_m]` (outside every jurisdiction).
    pub base_minima: [f64; 2],
}

impl Network {
    /// The local frame of a scenario: around `reference`, or the mean of the nodes given
    /// in lat/lon (0, 0 when every node is in local metres).
    pub fn frame_of(s: &Scenario) -> Frame {
        match s.reference {
            Some(r) => Frame::new(r.lat, r.lon),
            None => {
                let geo: Vec<(f64, f64)> =
                    s.nodes.iter().filter_map(|n| n.lat.zip(n.lon)).collect();
                if geo.is_empty() {
                    Frame::new(0.0, 0.0)
                } else {
                    let k = geo.len() as f64;
                    Frame::new(
                        geo.iter().map(|p| p.0).sum::<f64>() / k,
                        geo.iter().map(|p| p.1).sum::<f64>() / k,
                    )
                }
            }
        }
    }

    /// Builds the network from a scenario that passed [`crate::scenario::validate`]; checks
    /// that no corridor crosses an active no-fly zone in its altitude band.
    pub fn build(s: &Scenario) -> Result<Network, Vec<ValidationError>> {
        let frame = Self::frame_of(s);
        let nodes: Vec<NetNode> = s
            .nodes
            .iter()
            .map(|n| {
                let (lat, lon, en) = match (n.lat, n.lon, n.east_m, n.north_m) {
                    (Some(lat), Some(lon), _, _) => (lat, lon, frame.to_local(lat, lon)),
                    (_, _, Some(e), Some(nm)) => {
                        let (lat, lon) = frame.to_geo(e, nm);
                        (lat, lon, [e, nm])
                    }
                    _ => unreachable!("validated: a node has lat/lon or east/north"),
                };
                NetNode {
                    id: n.id.clone(),
                    kind: n.kind,
                    lat,
                    lon,
                    en,
                    ground_alt_m: n.ground_alt_m,
                    jurisdiction: None,
                }
            })
            .collect();
        let mut nodes = nodes;
        let node_index: BTreeMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        let mut errors = Vec::new();

        // Land polygons (over-water legs, land jurisdictions) and jurisdictions.
        let mut land_polys = Vec::new();
        if let Some(path) = &s.land_geojson {
            match land::load(std::path::Path::new(path), &frame) {
                Ok(p) => land_polys = p,
                Err(e) => errors.push(ValidationError::section(
                    "scenario",
                    "land_geojson",
                    format!("cannot read land polygons: {e}"),
                )),
            }
        }
        let locator = match Locator::new(s, &frame, &land_polys) {
            Ok(l) => l,
            Err((id, message)) => {
                errors.push(ValidationError::item("jurisdiction", &id, "area", message));
                return Err(errors);
            }
        };
        let sep = [s.separation.horizontal_m, s.separation.vertical_m];
        let jurisdictions: Vec<NetJurisdiction> = s
            .jurisdictions
            .iter()
            .map(|j| NetJurisdiction {
                id: j.id.clone(),
                name: if j.name.is_empty() {
                    j.id.clone()
                } else {
                    j.name.clone()
                },
                territory: if j.territory.is_empty() {
                    j.id.clone()
                } else {
                    j.territory.clone()
                },
                rules: j.rules,
                minima: [
                    j.rules.horizontal_m.unwrap_or(sep[0]),
                    j.rules.vertical_m.unwrap_or(sep[1]),
                ],
            })
            .collect();
        for n in &mut nodes {
            n.jurisdiction = locator.locate(n.en).map(|j| j as u32);
        }
        // Each corridor's jurisdiction (by the midpoint of its line) and the band and
        // speed limit it flies after that jurisdiction's rules.
        let mut corridor_rules = Vec::with_capacity(s.corridors.len());
        for c in &s.corridors {
            let (Some(&from), Some(&to)) = (node_index.get(&c.from), node_index.get(&c.to)) else {
                unreachable!("validated: corridor ends are known nodes")
            };
            let mut line: Vec<[f64; 2]> = vec![nodes[from].en];
            line.extend(c.via.iter().map(|p| frame.to_local(p.lat, p.lon)));
            line.push(nodes[to].en);
            let j = locator.locate(jurisdiction::midpoint(&line));
            let (mut lo, mut hi, mut v) = (c.min_alt_m, c.max_alt_m, c.speed_limit_mps);
            let mut minima = sep;
            if let Some(j) = j {
                let r = &jurisdictions[j].rules;
                lo = lo.max(r.min_alt_m.unwrap_or(f64::NEG_INFINITY));
                hi = hi.min(r.max_alt_m.unwrap_or(f64::INFINITY));
                v = v.min(r.speed_limit_mps.unwrap_or(f64::INFINITY));
                minima = jurisdictions[j].minima;
                if hi <= lo {
                    errors.push(ValidationError::item(
                        "corridor",
                        &c.id,
                        "max_alt_m",
                        format!(
                            "lies in jurisdiction {} whose rules allow altitudes {}, which leaves nothing of its band {}..{} m",
                            jurisdictions[j].id,
                            match (r.min_alt_m, r.max_alt_m) {
                                (Some(a), Some(b)) => format!("{a}..{b} m"),
                                (Some(a), None) => format!("from {a} m"),
                                (None, Some(b)) => format!("up to {b} m"),
                                (None, None) => "at any height".to_string(),
                            },
                            c.min_alt_m,
                            c.max_alt_m
                        ),
                    ));
                }
            }
            corridor_rules.push((j.map(|j| j as u32), lo, hi, v, minima));
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let mut graph = DiGraph::new();
        let gnodes: Vec<NodeIndex> = (0..nodes.len()).map(|i| graph.add_node(i)).collect();
        let mut lanes = Vec::new();
        for (ci, c) in s.corridors.iter().enumerate() {
            let from = node_index[&c.from];
            let to = node_index[&c.to];
            let mut geo_pts = vec![(nodes[from].lat, nodes[from].lon)];
            geo_pts.extend(c.via.iter().map(|p| (p.lat, p.lon)));
            geo_pts.push((nodes[to].lat, nodes[to].lon));
            let mut points: Vec<[f64; 2]> = vec![nodes[from].en];
            points.extend(c.via.iter().map(|p| frame.to_local(p.lat, p.lon)));
            points.push(nodes[to].en);
            let leg_m: Vec<f64> = geo_pts.windows(2).map(|w| geodesic_m(w[0], w[1])).collect();
            let (jur, lo, hi, speed, minima) = corridor_rules[ci];
            let band = (lo, hi);
            let mid = 0.5 * (band.0 + band.1);
            let mut add = |reverse: bool, alt_m: f64| {
                let (mut pts, mut legs) = (points.clone(), leg_m.clone());
                let (a, b) = if reverse { (to, from) } else { (from, to) };
                if reverse {
                    pts.reverse();
                    legs.reverse();
                }
                let li = lanes.len();
                lanes.push(Lane {
                    corridor: ci,
                    reverse,
                    from: a,
                    to: b,
                    alt_m,
                    length_m: legs.iter().sum(),
                    points: pts,
                    leg_m: legs,
                    speed_limit_mps: speed,
                    headway_s: c.headway_s,
                    over_water_m: 0.0,
                    jurisdiction: jur,
                    minima,
                });
                graph.add_edge(gnodes[a], gnodes[b], li);
            };
            match c.direction {
                Direction::OneWay => add(false, mid),
                Direction::TwoWay => {
                    add(false, 0.5 * (mid + band.1));
                    add(true, 0.5 * (band.0 + mid));
                }
            }
        }

        let airport_zones = match &s.airports {
            Some(a) => match places::airport_zones(a) {
                Ok(z) => z,
                Err(e) => {
                    errors.push(ValidationError::section("airports", "places_csv", e));
                    return Err(errors);
                }
            },
            None => Vec::new(),
        };
        let zones: Vec<NetZone> = s
            .zones
            .iter()
            .chain(&airport_zones)
            .map(|z| {
                let (polygon, circle) = match &z.shape {
                    Shape::Circle { center, radius_m } => {
                        let c = frame.to_local(center.lat, center.lon);
                        let ring: Vec<Coord<f64>> = (0..64)
                            .map(|k| {
                                let a = k as f64 / 64.0 * std::f64::consts::TAU;
                                Coord {
                                    x: c[0] + radius_m * a.cos(),
                                    y: c[1] + radius_m * a.sin(),
                                }
                            })
                            .collect();
                        (
                            Polygon::new(LineString::new(ring), vec![]),
                            Some((c, *radius_m)),
                        )
                    }
                    Shape::Polygon { points } => {
                        let ring: Vec<Coord<f64>> = points
                            .iter()
                            .map(|p| {
                                let [x, y] = frame.to_local(p.lat, p.lon);
                                Coord { x, y }
                            })
                            .collect();
                        (Polygon::new(LineString::new(ring), vec![]), None)
                    }
                };
                NetZone {
                    id: z.id.clone(),
                    kind: z.kind,
                    polygon,
                    circle,
                    alt_m: (z.min_alt_m, z.max_alt_m),
                    active: z.active.map(|w| (w.start_s, w.end_s)),
                }
            })
            .collect();

        if !land_polys.is_empty() {
            let land = land::multipolygon(&land_polys);
            for l in &mut lanes {
                l.over_water_m = land::over_water_m(&land, &l.points, &l.leg_m, 100.0);
            }
        }
        // A corridor from one territory into another must end at a border gate.
        for c in &s.corridors {
            let ends = [node_index[&c.from], node_index[&c.to]];
            let territory = |n: usize| match nodes[n].kind {
                NodeKind::Gate { .. } => None,
                _ => nodes[n]
                    .jurisdiction
                    .map(|j| jurisdictions[j as usize].territory.as_str()),
            };
            if let (Some(a), Some(b)) = (territory(ends[0]), territory(ends[1]))
                && a != b
            {
                errors.push(ValidationError::item(
                    "corridor",
                    &c.id,
                    "to",
                    format!(
                        "runs from territory {a} (`{}`) into {b} (`{}`) without a border gate: \
                         split it at a `Gate` node on the border",
                        c.from, c.to
                    ),
                ));
            }
        }
        for (ci, c) in s.corridors.iter().enumerate() {
            let length: f64 = lanes
                .iter()
                .find(|l| l.corridor == ci)
                .map_or(0.0, |l| l.length_m);
            if length < 1.0 {
                errors.push(ValidationError::item(
                    "corridor",
                    &c.id,
                    "to",
                    format!(
                        "is {length:.2} m long: `{}` and `{}` are at the same place",
                        c.from, c.to
                    ),
                ));
            }
        }
        for (ci, c) in s.corridors.iter().enumerate() {
            let lane = lanes
                .iter()
                .find(|l| l.corridor == ci)
                .expect("every corridor has a lane");
            let line =
                LineString::from(lane.points.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>());
            let (_, lo, hi, _, _) = corridor_rules[ci];
            for z in &zones {
                if z.kind != ZoneKind::NoFly || !z.active_during(0.0, s.duration_s) {
                    continue;
                }
                if z.alt_m.1 <= lo || z.alt_m.0 >= hi {
                    continue;
                }
                let (gap, what) = match z.circle {
                    Some((centre, r)) => (
                        Euclidean.distance(&Point::new(centre[0], centre[1]), &line) - r,
                        "circle",
                    ),
                    None => (Euclidean.distance(&line, &z.polygon), "polygon"),
                };
                let clearance = gap - 0.5 * c.width_m;
                if clearance < 0.0 {
                    let when = match z.active {
                        Some((a, b)) => format!("active {a}..{b} s"),
                        None => "always active".to_string(),
                    };
                    errors.push(ValidationError::item(
                        "corridor",
                        &c.id,
                        if c.via.is_empty() { "to" } else { "via" },
                        format!(
                            "crosses no-fly zone {} ({what}, {when}, {}..{} m): the corridor's edge comes {:.0} m inside it; \
                             route it around with `via` points or narrow it",
                            z.id, z.alt_m.0, z.alt_m.1, -clearance
                        ),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Network {
            frame,
            nodes,
            lanes,
            corridor_ids: s.corridors.iter().map(|c| c.id.clone()).collect(),
            max_minima: jurisdictions
                .iter()
                .fold(sep, |m, j| [m[0].max(j.minima[0]), m[1].max(j.minima[1])]),
            local_minima: jurisdictions.iter().any(|j| j.minima != sep),
            base_minima: sep,
            zones,
            graph,
            node_index,
            jurisdictions,
            locator,
        })
    }

    /// Total corridor length in km (each corridor once, not per lane).
    pub fn corridor_km(&self) -> f64 {
        self.lanes
            .iter()
            .filter(|l| !l.reverse)
            .map(|l| l.length_m)
            .sum::<f64>()
            / 1000.0
    }

    /// A human name for a lane: `HK-SZ-1 (HKC->SZF)`.
    pub fn lane_name(&self, lane: usize) -> String {
        let l = &self.lanes[lane];
        format!(
            "{} ({}->{})",
            self.corridor_ids[l.corridor], self.nodes[l.from].id, self.nodes[l.to].id
        )
    }
}

impl NetZone {
    /// Whether the zone is active at some time in `[t0, t1)`.
    pub fn active_during(&self, t0: f64, t1: f64) -> bool {
        match self.active {
            None => true,
            Some((a, b)) => a < t1 && b > t0,
        }
    }
}
