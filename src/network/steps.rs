//! The steps of [`Network::build`](super::Network::build), each returning a named result:
//! placing nodes, loading regions (land and jurisdictions), the rules each corridor flies
//! under, its lanes and the graph, zones, and the checks that need the built geometry.
//! Local metres, seconds, m/s.

use std::collections::BTreeMap;

use geo::{Coord, Distance, Euclidean, LineString, Point, Polygon};
use petgraph::graph::{DiGraph, NodeIndex};

use super::terminal::{
    DEFAULT_CONNECTOR_M, DEFAULT_STACK_LEVELS, Terminal, distance_to_line, layout, widest_gap,
};
use super::{
    Frame, Lane, Locator, NetJurisdiction, NetNode, NetZone, geodesic_m, jurisdiction, land, places,
};
use crate::ids::{JurisdictionId, LaneId, NodeId};
use crate::scenario::{
    Corridor, Direction, NodeKind, Scenario, Shape, ValidationError, Zone, ZoneKind,
};

/// Nodes placed in the local frame (jurisdictions not yet located).
pub(super) fn place_nodes(s: &Scenario, frame: &Frame) -> Vec<NetNode> {
    s.nodes
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
                terminal: None,
            }
        })
        .collect()
}

/// Land polygons (for over-water legs and land-based jurisdictions) and jurisdictions.
pub(super) struct Regions {
    /// Land polygons in local metres (empty without `land_geojson`).
    pub land: Vec<land::LandPolygon>,
    /// Finds the jurisdiction of a point.
    pub locator: Locator,
    /// Jurisdictions in scenario order, with their minima filled in.
    pub jurisdictions: Vec<NetJurisdiction>,
    /// The scenario's minima, `[horizontal_m, vertical_m]`.
    pub base_minima: [f64; 2],
}

impl Regions {
    /// Loads the land polygons and places the jurisdictions.
    pub fn load(s: &Scenario, frame: &Frame) -> Result<Regions, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let mut land = Vec::new();
        if let Some(path) = &s.land_geojson {
            match land::load(std::path::Path::new(path), frame) {
                Ok(p) => land = p,
                Err(e) => errors.push(ValidationError::section(
                    "scenario",
                    "land_geojson",
                    format!("cannot read land polygons: {e}"),
                )),
            }
        }
        let locator = match Locator::new(s, frame, &land) {
            Ok(l) => l,
            Err((id, message)) => {
                errors.push(ValidationError::item("jurisdiction", &id, "area", message));
                return Err(errors);
            }
        };
        let sep = [s.separation.horizontal_m, s.separation.vertical_m];
        let or_id = |text: &str, id: &str| {
            if text.is_empty() {
                id.to_string()
            } else {
                text.to_string()
            }
        };
        let jurisdictions = s
            .jurisdictions
            .iter()
            .map(|j| NetJurisdiction {
                id: j.id.clone(),
                name: or_id(&j.name, &j.id),
                territory: or_id(&j.territory, &j.id),
                rules: j.rules,
                minima: [
                    j.rules.horizontal_m.unwrap_or(sep[0]),
                    j.rules.vertical_m.unwrap_or(sep[1]),
                ],
            })
            .collect();
        // (A land file that cannot be read is reported with the jurisdictions' errors.)
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Regions {
            land,
            locator,
            jurisdictions,
            base_minima: sep,
        })
    }
}

/// What a corridor flies under after its jurisdiction's rules.
#[derive(Debug, Clone, Copy)]
pub(super) struct CorridorRules {
    /// The jurisdiction its midpoint lies in, if any.
    pub jurisdiction: Option<JurisdictionId>,
    /// Its altitude band cut to the jurisdiction's floor and ceiling, metres.
    pub band: (f64, f64),
    /// Its speed limit lowered to the jurisdiction's, m/s.
    pub speed_limit_mps: f64,
    /// Separation minima on it, `[horizontal_m, vertical_m]`.
    pub minima: [f64; 2],
}

/// The placed nodes, by scenario id: what corridors are built between.
pub(super) struct CorridorEnds<'a> {
    pub nodes: &'a [NetNode],
    pub index: &'a BTreeMap<String, NodeId>,
    pub frame: &'a Frame,
}

impl CorridorEnds<'_> {
    fn ends(&self, c: &Corridor) -> (NodeId, NodeId) {
        let (Some(&from), Some(&to)) = (self.index.get(&c.from), self.index.get(&c.to)) else {
            unreachable!("validated: corridor ends are known nodes")
        };
        (from, to)
    }

    /// A corridor's line in local metres, from its `from` node through its `via` points.
    fn line(&self, c: &Corridor) -> Vec<[f64; 2]> {
        let (from, to) = self.ends(c);
        let mut line: Vec<[f64; 2]> = vec![self.nodes[from.index()].en];
        line.extend(c.via.iter().map(|p| self.frame.to_local(p.lat, p.lon)));
        line.push(self.nodes[to.index()].en);
        line
    }

    /// Each corridor's jurisdiction (by the midpoint of its line) and the band and speed
    /// limit it flies after that jurisdiction's rules; an error for a band the rules empty.
    pub fn rules(
        &self,
        s: &Scenario,
        regions: &Regions,
    ) -> Result<Vec<CorridorRules>, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(s.corridors.len());
        for c in &s.corridors {
            let j = regions
                .locator
                .locate(jurisdiction::midpoint(&self.line(c)));
            let mut r = CorridorRules {
                jurisdiction: j.map(JurisdictionId::new),
                band: (c.min_alt_m, c.max_alt_m),
                speed_limit_mps: c.speed_limit_mps,
                minima: regions.base_minima,
            };
            if let Some(j) = j {
                let jur = &regions.jurisdictions[j];
                let rules = &jur.rules;
                r.band.0 = r.band.0.max(rules.min_alt_m.unwrap_or(f64::NEG_INFINITY));
                r.band.1 = r.band.1.min(rules.max_alt_m.unwrap_or(f64::INFINITY));
                r.speed_limit_mps = r
                    .speed_limit_mps
                    .min(rules.speed_limit_mps.unwrap_or(f64::INFINITY));
                r.minima = jur.minima;
                if r.band.1 <= r.band.0 {
                    errors.push(empty_band(c, jur));
                }
            }
            out.push(r);
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The lanes of every corridor (one for one-way, two for two-way: forward in the
    /// middle of the upper half of the band, reverse in the middle of the lower half) and
    /// the directed graph over them.
    pub fn lanes(
        &self,
        s: &Scenario,
        rules: &[CorridorRules],
    ) -> (Vec<Lane>, DiGraph<NodeId, LaneId>) {
        let mut graph = DiGraph::new();
        let gnodes: Vec<NodeIndex> = (0..self.nodes.len())
            .map(|i| graph.add_node(NodeId::new(i)))
            .collect();
        let mut lanes = Vec::new();
        for (ci, (c, r)) in s.corridors.iter().zip(rules).enumerate() {
            let (from, to) = self.ends(c);
            let (nf, nt) = (&self.nodes[from.index()], &self.nodes[to.index()]);
            let mut geo_pts = vec![(nf.lat, nf.lon)];
            geo_pts.extend(c.via.iter().map(|p| (p.lat, p.lon)));
            geo_pts.push((nt.lat, nt.lon));
            let points = self.line(c);
            let leg_m: Vec<f64> = geo_pts.windows(2).map(|w| geodesic_m(w[0], w[1])).collect();
            let band = r.band;
            let mid = 0.5 * (band.0 + band.1);
            let mut add = |reverse: bool, alt_m: f64, band_m: (f64, f64)| {
                let (mut pts, mut legs) = (points.clone(), leg_m.clone());
                let (a, b) = if reverse { (to, from) } else { (from, to) };
                if reverse {
                    pts.reverse();
                    legs.reverse();
                }
                let li = LaneId::new(lanes.len());
                lanes.push(Lane {
                    corridor: ci,
                    reverse,
                    from: a,
                    to: b,
                    alt_m,
                    length_m: legs.iter().sum(),
                    points: pts,
                    leg_m: legs,
                    speed_limit_mps: r.speed_limit_mps,
                    headway_s: c.headway_s,
                    over_water_m: 0.0,
                    jurisdiction: r.jurisdiction,
                    minima: r.minima,
                    connector: false,
                    band_m,
                    width_m: c.width_m,
                });
                graph.add_edge(gnodes[a.index()], gnodes[b.index()], li);
            };
            match c.direction {
                Direction::OneWay => add(false, mid, band),
                Direction::TwoWay => {
                    add(false, 0.5 * (mid + band.1), (mid, band.1));
                    add(true, 0.5 * (band.0 + mid), (band.0, mid));
                }
            }
        }
        (lanes, graph)
    }

    /// A corridor from one territory into another must end at a border gate.
    pub fn border_errors(
        &self,
        s: &Scenario,
        jurisdictions: &[NetJurisdiction],
    ) -> Vec<ValidationError> {
        let territory = |n: NodeId| {
            let node = &self.nodes[n.index()];
            match node.kind {
                NodeKind::Gate { .. } => None,
                _ => node
                    .jurisdiction
                    .map(|j| jurisdictions[j.index()].territory.as_str()),
            }
        };
        let mut errors = Vec::new();
        for c in &s.corridors {
            let (from, to) = self.ends(c);
            if let (Some(a), Some(b)) = (territory(from), territory(to))
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
        errors
    }
}

/// The error for a corridor whose band a jurisdiction's rules leave empty.
fn empty_band(c: &Corridor, j: &NetJurisdiction) -> ValidationError {
    let allowed = match (j.rules.min_alt_m, j.rules.max_alt_m) {
        (Some(a), Some(b)) => format!("{a}..{b} m"),
        (Some(a), None) => format!("from {a} m"),
        (None, Some(b)) => format!("up to {b} m"),
        (None, None) => "at any height".to_string(),
    };
    ValidationError::item(
        "corridor",
        &c.id,
        "max_alt_m",
        format!(
            "lies in jurisdiction {} whose rules allow altitudes {allowed}, which leaves nothing of its band {}..{} m",
            j.id, c.min_alt_m, c.max_alt_m
        ),
    )
}

/// The scenario's zones and the airport zones generated from its places file, placed.
pub(crate) fn place_zones(
    s: &Scenario,
    frame: &Frame,
) -> Result<Vec<NetZone>, Vec<ValidationError>> {
    let airport_zones = match &s.airports {
        Some(a) => places::airport_zones(a)
            .map_err(|e| vec![ValidationError::section("airports", "places_csv", e)])?,
        None => Vec::new(),
    };
    Ok(s.zones
        .iter()
        .chain(&airport_zones)
        .map(|z| place_zone(z, frame))
        .collect())
}

fn place_zone(z: &Zone, frame: &Frame) -> NetZone {
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
}

/// The corridors that meet at a vertiport's node (see `Terminals::meeting`).
struct Meeting {
    /// Bearings of their lanes away from the node, radians.
    bearings: Vec<f64>,
    /// The corridor with the lowest band.
    lowest: usize,
    /// Levels of the lanes arriving at the node, metres.
    incoming: Vec<f64>,
    /// Levels of the lanes leaving it, metres.
    outgoing: Vec<f64>,
    /// The shortest of their headways, seconds.
    headway_s: f64,
}

impl Meeting {
    /// The connector's arrival and departure levels: those of the lanes that arrive here
    /// and of those that leave (no level change at the junction) when they are one each
    /// and a vertical minimum apart; else the halves of the lowest corridor's `band`,
    /// arrivals above.
    fn levels(&self, band: (f64, f64), v_min: f64) -> (f64, f64) {
        let one = |v: &[f64]| {
            let lo = v.iter().copied().reduce(f64::min)?;
            (v.iter().all(|&x| x == lo)).then_some(lo)
        };
        match (one(&self.incoming), one(&self.outgoing)) {
            (Some(a), Some(d)) if (a - d).abs() >= v_min => (a, d),
            _ => {
                let mid = 0.5 * (band.0 + band.1);
                (0.5 * (mid + band.1), 0.5 * (band.0 + mid))
            }
        }
    }

    /// The junction zone and the trail spacing of a connector along `bearing` (radians)
    /// for a horizontal minimum `h_min` (see [`Terminal`]), metres.
    fn zones(&self, bearing: f64, h_min: f64, connector_m: f64) -> (f64, f64) {
        use std::f64::consts::{PI, TAU};
        let closest = self
            .bearings
            .iter()
            .map(|b| {
                let d = (b - bearing).rem_euclid(TAU);
                d.min(TAU - d)
            })
            .fold(PI, f64::min);
        // (min then max, not clamp: a huge minimum may exceed half the connector.)
        let junction_m = (h_min / (2.0 * (closest / 2.0).sin()).max(1e-9))
            .min(connector_m / 2.0)
            .max(h_min);
        let trail_m = (1.05 * h_min / (closest / 2.0).sin().max(1e-3))
            .min(4.0 * h_min)
            .max(1.1 * h_min);
        (junction_m, trail_m)
    }
}

/// Where a vertiport's connector goes and what it takes from its corridors.
struct ConnectorEnds {
    node: NodeId,
    fix_en: [f64; 2],
    /// Arrival and departure levels, metres.
    levels: (f64, f64),
    minima: [f64; 2],
    headway_s: f64,
    /// Its speed limit: the lowest corridor's there, m/s.
    speed_limit_mps: f64,
}

/// The holding stack: `(levels, step)`. It grows away from the departure level, a
/// vertical minimum plus 1 m a level: up under `limits.1` (the ceiling) when arrivals are
/// above departures, else down to `limits.0` (the band's floor); at most `requested`.
fn stack_levels(arr: f64, dep: f64, v_min: f64, limits: (f64, f64), requested: u32) -> (u32, f64) {
    let up = arr > dep;
    let step = if up { v_min + 1.0 } else { -(v_min + 1.0) };
    let fits = |k: u32| {
        let alt = arr + f64::from(k) * step;
        if up { alt <= limits.1 } else { alt >= limits.0 }
    };
    let mut levels = requested;
    while levels > 0 && !fits(levels) {
        levels -= 1;
    }
    (levels, step)
}

/// The first lane of each of the first `n` corridors, in one pass over the lanes (a
/// search per corridor is quadratic in corridors; 16,400 on the region networks).
fn first_lanes(lanes: &[Lane], n: usize) -> Vec<Option<usize>> {
    let mut first = vec![None; n];
    for (i, l) in lanes.iter().enumerate() {
        if let Some(f) = first.get_mut(l.corridor) {
            f.get_or_insert(i);
        }
    }
    first
}

/// Corridors under a metre long (both ends at one place).
pub(super) fn length_errors(s: &Scenario, lanes: &[Lane]) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let first = first_lanes(lanes, s.corridors.len());
    for (c, first) in s.corridors.iter().zip(first) {
        let length: f64 = first.map_or(0.0, |l| lanes[l].length_m);
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
    errors
}

/// Corridors whose edge (half their width from the centre line) comes inside a no-fly
/// zone active during the run and overlapping their band.
pub(super) fn zone_errors(
    s: &Scenario,
    lanes: &[Lane],
    rules: &[CorridorRules],
    zones: &[NetZone],
) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let first = first_lanes(lanes, s.corridors.len());
    for ((c, r), first) in s.corridors.iter().zip(rules).zip(first) {
        let lane = &lanes[first.expect("every corridor has a lane")];
        let line = LineString::from(lane.points.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>());
        let (lo, hi) = r.band;
        for z in zones {
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
    errors
}

/// What the terminal step adds to the network: the terminals, their fix nodes and
/// connector lanes (appended to `nodes`, `lanes`, the graph and the corridor ids).
pub(super) struct Terminals<'a> {
    pub s: &'a Scenario,
    pub frame: &'a Frame,
    pub regions: &'a Regions,
    pub rules: &'a [CorridorRules],
}

impl Terminals<'_> {
    /// Lays out every vertiport's terminal area (see [`super::terminal`]); errors for a
    /// vertiport with no corridor, a connector band too thin for arrivals and departures
    /// a vertical minimum apart, and any lane through another vertiport's terminal volume.
    pub fn build(
        &self,
        nodes: &mut Vec<NetNode>,
        lanes: &mut Vec<Lane>,
        graph: &mut DiGraph<NodeId, LaneId>,
        corridor_ids: &mut Vec<String>,
    ) -> Result<Vec<Terminal>, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let mut out = Vec::new();
        // The scenario's lanes at each node, in lane order, and each corridor's first
        // lane, found once (a search of every lane per vertiport is quadratic: 2,172
        // vertiports and 33,000 lanes on the region networks).
        let mut at_node: Vec<Vec<usize>> = vec![Vec::new(); self.s.nodes.len()];
        for (i, l) in lanes.iter().enumerate() {
            at_node[l.from.index()].push(i);
            if l.to != l.from {
                at_node[l.to.index()].push(i);
            }
        }
        let first = first_lanes(lanes, self.s.corridors.len());
        for (ni, sn) in self.s.nodes.iter().enumerate() {
            let NodeKind::Vertiport {
                fatos,
                stands,
                turnaround_s,
                terminal: over,
            } = sn.kind
            else {
                continue;
            };
            let node = NodeId::new(ni);
            let Some(m) = self.meeting(at_node[ni].iter().map(|&i| &lanes[i]), node) else {
                errors.push(ValidationError::item(
                    "node",
                    &sn.id,
                    "kind",
                    "is a vertiport no corridor reaches: its connector has nothing to join",
                ));
                continue;
            };
            let (h_min, v_min, ceiling) = self.minima_at(&nodes[ni]);
            let band = self.rules[m.lowest].band;
            let (arr_alt, dep_alt) = m.levels(band, v_min);
            if (arr_alt - dep_alt).abs() < v_min {
                errors.push(ValidationError::item(
                    "node",
                    &sn.id,
                    "kind",
                    format!(
                        "its connector takes the band {}..{} m of corridor {}: arrivals at {arr_alt} m and departures at {dep_alt} m \
                         would be less than the vertical minimum ({v_min} m) apart; widen that corridor's band",
                        band.0, band.1, self.s.corridors[m.lowest].id
                    ),
                ));
                continue;
            }
            let bearing = over
                .bearing_deg
                .map_or_else(|| widest_gap(&m.bearings), f64::to_radians);
            let lay = layout(nodes[ni].en, bearing, fatos, &over, h_min);
            let connector_m = over.connector_m.unwrap_or(DEFAULT_CONNECTOR_M);
            let (junction_m, trail_m) = m.zones(bearing, h_min, connector_m);
            let requested = over.stack_levels.unwrap_or(DEFAULT_STACK_LEVELS);
            let (levels, spacing) =
                stack_levels(arr_alt, dep_alt, v_min, (band.0, ceiling), requested);
            let ends = ConnectorEnds {
                node,
                fix_en: lay.fix_en,
                levels: (arr_alt, dep_alt),
                minima: [h_min, v_min],
                headway_s: m.headway_s,
                speed_limit_mps: lanes[first[m.lowest].expect("every corridor has a lane")]
                    .speed_limit_mps,
            };
            let (fix, arrival_lane, departure_lane) =
                self.add_connectors(ends, nodes, lanes, graph, corridor_ids);
            nodes[ni].terminal = Some(out.len());
            out.push(Terminal {
                node,
                fix,
                arrival_lane,
                departure_lane,
                axis: lay.axis,
                fix_en: lay.fix_en,
                fatos: lay.fatos,
                ground_alt_m: sn.ground_alt_m,
                stands: stands.unwrap_or(2 * fatos),
                turnaround_s,
                arrival_alt_m: arr_alt,
                departure_alt_m: dep_alt,
                stack_levels: levels,
                stack_spacing_m: spacing,
                clear_m: 1.1 * h_min,
                centre: lay.centre,
                radius_m: lay.radius_m,
                approach_m: lay.approach_m,
                fato_spacing_m: lay.fato_spacing_m,
                fan_m: lay.fan_m,
                junction_m,
                trail_m,
            });
        }
        errors.extend(self.intrusions(&out, lanes, corridor_ids));
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The corridors that meet at `node`: their bearings away from it, the lowest of
    /// them (which gives the connector its band and speed limit), the levels of the
    /// lanes arriving and leaving, and the shortest headway. `None` when none does.
    fn meeting<'l>(&self, lanes: impl Iterator<Item = &'l Lane>, node: NodeId) -> Option<Meeting> {
        let mut m = Meeting {
            bearings: Vec::new(),
            lowest: usize::MAX,
            incoming: Vec::new(),
            outgoing: Vec::new(),
            headway_s: f64::INFINITY,
        };
        for l in lanes {
            let away = if l.from == node {
                m.outgoing.push(l.alt_m);
                (l.points[0], l.points[1])
            } else if l.to == node {
                m.incoming.push(l.alt_m);
                let n = l.points.len();
                (l.points[n - 1], l.points[n - 2])
            } else {
                continue;
            };
            m.headway_s = m.headway_s.min(l.headway_s);
            m.bearings
                .push((away.1[0] - away.0[0]).atan2(away.1[1] - away.0[1]));
            let band = self.rules[l.corridor].band;
            if m.lowest == usize::MAX || band.0 < self.rules[m.lowest].band.0 {
                m.lowest = l.corridor;
            }
        }
        (m.lowest != usize::MAX).then_some(m)
    }

    /// The separation minima and the ceiling where `node` stands.
    fn minima_at(&self, node: &NetNode) -> (f64, f64, f64) {
        match node.jurisdiction {
            Some(jid) => {
                let jur = &self.regions.jurisdictions[jid];
                (
                    jur.minima[0],
                    jur.minima[1],
                    jur.rules.max_alt_m.unwrap_or(f64::INFINITY),
                )
            }
            None => (
                self.regions.base_minima[0],
                self.regions.base_minima[1],
                f64::INFINITY,
            ),
        }
    }

    /// Adds a vertiport's fix node and its two connector lanes (to the graph too):
    /// `(fix, arrival lane, departure lane)`.
    fn add_connectors(
        &self,
        e: ConnectorEnds,
        nodes: &mut Vec<NetNode>,
        lanes: &mut Vec<Lane>,
        graph: &mut DiGraph<NodeId, LaneId>,
        corridor_ids: &mut Vec<String>,
    ) -> (NodeId, LaneId, LaneId) {
        let (ni, j) = (e.node.index(), nodes[e.node.index()].en);
        let id = &self.s.nodes[ni].id;
        let fix = NodeId::new(nodes.len());
        let (lat, lon) = self.frame.to_geo(e.fix_en[0], e.fix_en[1]);
        nodes.push(NetNode {
            id: format!("{id}:fix"),
            kind: NodeKind::Waypoint,
            lat,
            lon,
            en: e.fix_en,
            ground_alt_m: self.s.nodes[ni].ground_alt_m,
            jurisdiction: nodes[ni].jurisdiction,
            terminal: None,
        });
        let gfix = graph.add_node(fix);
        debug_assert_eq!(gfix.index(), fix.index());
        let corridor = corridor_ids.len();
        corridor_ids.push(format!("{id}:connector"));
        let length = (e.fix_en[0] - j[0]).hypot(e.fix_en[1] - j[1]);
        let speed_limit_mps = e.speed_limit_mps;
        let jurisdiction = nodes[ni].jurisdiction;
        let connector = |from: NodeId, to: NodeId, reverse: bool, alt_m: f64| Lane {
            corridor,
            reverse,
            from,
            to,
            alt_m,
            points: if reverse {
                vec![e.fix_en, j]
            } else {
                vec![j, e.fix_en]
            },
            leg_m: vec![length],
            length_m: length,
            speed_limit_mps,
            headway_s: e.headway_s,
            over_water_m: 0.0,
            jurisdiction,
            minima: e.minima,
            connector: true,
            band_m: (alt_m, alt_m),
            width_m: 0.0,
        };
        let arrival_lane = LaneId::new(lanes.len());
        lanes.push(connector(e.node, fix, false, e.levels.0));
        graph.add_edge(NodeIndex::new(ni), gfix, arrival_lane);
        let departure_lane = LaneId::new(lanes.len());
        lanes.push(connector(fix, e.node, true, e.levels.1));
        graph.add_edge(gfix, NodeIndex::new(ni), departure_lane);
        (fix, arrival_lane, departure_lane)
    }

    /// Lanes (other than a terminal's own connectors) that pass through its volume.
    fn intrusions(
        &self,
        terminals: &[Terminal],
        lanes: &[Lane],
        corridor_ids: &[String],
    ) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        let (_, tree) = super::crossings::lane_boxes(lanes);
        for t in terminals {
            let mut seen = Vec::new();
            for li in super::crossings::lanes_near(&tree, t.centre, t.radius_m) {
                let l = &lanes[li];
                let li = LaneId::new(li);
                if li == t.arrival_lane || li == t.departure_lane || seen.contains(&l.corridor) {
                    continue;
                }
                let (d, at) = distance_to_line(t.centre, &l.points);
                if d < t.radius_m {
                    seen.push(l.corridor);
                    let (lat, lon) = self.frame.to_geo(at[0], at[1]);
                    let id = &self.s.nodes[t.node.index()].id;
                    errors.push(ValidationError::item(
                        "node",
                        id,
                        "kind",
                        format!(
                            "corridor {} passes {d:.0} m from the FATOs of vertiport {id}, inside its terminal area \
                             (radius {:.0} m), at ({lat:.5}, {lon:.5}); set `terminal: (bearing_deg: ..)` on {id} \
                             or move the corridor",
                            corridor_ids[l.corridor], t.radius_m
                        ),
                    ));
                }
            }
        }
        errors
    }
}
