//! The corridor network: nodes and directed lanes in the local metric frame, as a petgraph
//! graph for route search, and the zones they must respect.
//!
//! A corridor becomes one lane (one-way) or two (two-way, split into altitude lanes by
//! direction). Lane lengths are geodesic metres; lane geometry is local east/north metres
//! (see [`frame`]). Indices (`usize`) into `nodes`, `lanes` and `corridors` are stable and
//! follow the scenario's order.

pub mod crossings;
pub mod frame;
pub mod junctions;
pub mod jurisdiction;
pub mod land;
pub mod places;
mod steps;
pub(crate) use steps::place_zones;
pub mod terminal;
pub mod weather;
pub mod wind_grid;

use std::collections::BTreeMap;

use geo::Polygon;
use petgraph::graph::DiGraph;

use crate::ids::{JurisdictionId, LaneId, NodeId};
use crate::scenario::{DroneType, NodeKind, Scenario, ValidationError, ZoneKind};
pub use crossings::Crossing;
pub use frame::{Frame, geodesic_m};
pub use junctions::{Junctions, LaneEnd, ramp_within};
pub use jurisdiction::{Locator, NetJurisdiction};
use steps::{CorridorEnds, Regions, Terminals, length_errors, place_nodes, zone_errors};
pub use terminal::Terminal;
pub use weather::Weather;

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
    pub jurisdiction: Option<JurisdictionId>,
    /// For a vertiport, its terminal area (index into [`Network::terminals`]).
    pub terminal: Option<usize>,
}

impl NetNode {
    /// Number of FATOs (0 for a waypoint).
    pub fn fatos(&self) -> u32 {
        match self.kind {
            NodeKind::Vertiport { fatos, .. } => fatos,
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
    /// Stand turnaround after a landing, seconds (0 for a waypoint).
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
    /// Node the lane starts at.
    pub from: NodeId,
    /// Node the lane ends at.
    pub to: NodeId,
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
    pub jurisdiction: Option<JurisdictionId>,
    /// Separation minima on it, `[horizontal_m, vertical_m]`.
    pub minima: [f64; 2],
    /// Whether it is a vertiport's connector (not a scenario corridor).
    pub connector: bool,
    /// Its own slice of its corridor's altitude band as its jurisdiction cuts it (the
    /// whole band one-way; the upper half forward and the lower half reverse two-way; its
    /// level for a connector), metres: where tactical resolution may move a drone on it.
    pub band_m: (f64, f64),
    /// Its corridor's width, metres (0 for a connector): tactical resolution may move a
    /// drone sideways within it.
    pub width_m: f64,
}

/// A lane whose headway guarantees less than its horizontal minimum (see
/// [`Network::short_headways`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShortHeadway {
    /// The lane.
    pub lane: LaneId,
    /// Distance the headway keeps at the slowest speed, metres.
    pub gap_m: f64,
    /// That speed, m/s.
    pub speed_mps: f64,
    /// The lane's horizontal minimum, metres.
    pub minimum_m: f64,
}

impl Lane {
    /// How far a drone of body radius `radius_m` may move sideways off the lane's centre
    /// line and stay inside the corridor (a metre inside its edge), metres (0 on a
    /// connector).
    pub fn side_room_m(&self, radius_m: f64) -> f64 {
        (0.5 * self.width_m - radius_m - 1.0).max(0.0)
    }

    /// The time between two drones entering (and leaving) it that strategic deconfliction
    /// books: its headway, or longer where that keeps less than 1.05 horizontal minima
    /// between two drones at the slowest speed flown on it (`slowest_mps` the slowest
    /// type's cruise speed, as airspeed: over the ground, the least it makes on any leg
    /// of the lane in the forecast wind `wind`, its mean along each leg), seconds. See
    /// [`Network::booked_headway_s`] for the scenario's lanes in its forecast.
    pub fn booked_headway_s(&self, slowest_mps: f64, wind: &weather::WindField) -> f64 {
        let air = self.speed_limit_mps.min(slowest_mps).max(1e-3);
        let v = if wind.uniform() == Some([0.0; 2]) {
            air
        } else {
            self.points
                .windows(2)
                .filter_map(|p| {
                    let d = [p[1][0] - p[0][0], p[1][1] - p[0][1]];
                    let n = d[0].hypot(d[1]);
                    let (a, b) = (
                        [p[0][0], p[0][1], self.alt_m],
                        [p[1][0], p[1][1], self.alt_m],
                    );
                    (n > 1e-9)
                        .then(|| weather::ground_along(air, [d[0] / n, d[1] / n], wind.along(a, b)))
                })
                .fold(air, f64::min)
                .max(1e-3)
        };
        self.headway_s.max(1.05 * self.minima[0] / v)
    }
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
    /// Directed graph: node weights are nodes, edge weights lanes (graph indices equal
    /// node indices).
    pub graph: DiGraph<NodeId, LaneId>,
    /// Scenario node id -> node.
    pub node_index: BTreeMap<String, NodeId>,
    /// Jurisdictions in scenario order.
    pub jurisdictions: Vec<NetJurisdiction>,
    /// Finds the jurisdiction of a local point.
    pub locator: Locator,
    /// Largest separation minima anywhere, `[horizontal_m, vertical_m]`.
    pub max_minima: [f64; 2],
    /// Half the widest corridor's width, metres: the most a drone may be off a lane's
    /// centre line (what tactical resolution's sidesteps are bounded by).
    pub half_width_max_m: f64,
    /// Whether some jurisdiction has its own minima (else every pair uses the scenario's).
    pub local_minima: bool,
    /// The scenario's minima, `[horizontal_m, vertical_m]` (outside every jurisdiction).
    pub base_minima: [f64; 2],
    /// Vertiport terminal areas, in scenario node order.
    pub terminals: Vec<Terminal>,
    /// Where lanes cross away from nodes (conflict points).
    pub crossings: Vec<Crossing>,
    /// For each lane, its crossings (index into `crossings`).
    pub lane_crossings: Vec<Vec<usize>>,
    /// Junction zones and the ramp zones beside them, for strategic deconfliction.
    pub junctions: Junctions,
    /// Per lane, its rays at both ends (see [`junctions::lane_rays`]).
    pub lane_rays: Vec<[[f64; 2]; 2]>,
    /// The slowest cruise speed of the scenario's drone types, m/s.
    pub slowest_mps: f64,
    /// The highest speed limit of any lane, m/s (a bound for route search).
    pub max_speed_limit_mps: f64,
    /// The wind, forecast and actual.
    pub weather: Weather,
    /// Each lane's [`Lane::booked_headway_s`] in the forecast wind, by lane.
    booked_headway_s: Vec<f64>,
}

/// A wind grid (or a grid's wind plus the strongest gust) that is not below the slowest
/// planned airspeed. (Uniform winds are checked with the scenario's fields.)
fn wind_too_strong(s: &Scenario, w: &Weather) -> Option<ValidationError> {
    let slowest = s.slowest_airspeed_mps();
    let gust = w.gusts.max_mps();
    [
        ("wind.grid_csv", &w.actual, gust),
        ("forecast.grid_csv", &w.forecast, 0.0),
    ]
    .into_iter()
    .filter(|(_, f, _)| f.uniform().is_none())
    .find(|(_, f, g)| f.max_speed() + g >= slowest)
    .map(|(field, f, g)| {
        let gust = if g > 0.0 {
            format!(" and gusts of up to {g:.1} m/s")
        } else {
            String::new()
        };
        ValidationError::section(
            "uncertainty",
            field,
            format!(
                "the grid's strongest wind, {:.1} m/s{gust}, is not below the slowest \
                     planned airspeed ({slowest} m/s, the slowest cruise speed or corridor \
                     limit): a drone could not make headway",
                f.max_speed()
            ),
        )
    })
}

impl Network {
    /// [`Lane::booked_headway_s`] of lane `l` at the slowest type's speed in the forecast
    /// wind (computed once, when the network is built).
    pub fn booked_headway_s(&self, l: LaneId) -> f64 {
        self.booked_headway_s[l.index()]
    }

    /// [`junctions::turn_angle`] at the node between lane `into` and lane `out`, from
    /// the rays kept per lane (the same number).
    pub fn turn_angle(&self, into: LaneId, out: LaneId) -> f64 {
        junctions::turn_angle_of(&self.lane_rays[into.index()], &self.lane_rays[out.index()])
    }

    /// The lanes' mean altitude, metres (0 without lanes): where the window samples a
    /// gridded wind.
    pub fn mean_lane_alt_m(&self) -> f64 {
        self.lanes.iter().map(|l| l.alt_m).sum::<f64>() / self.lanes.len().max(1) as f64
    }

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
    /// that no corridor crosses an active no-fly zone in its altitude band, that a corridor
    /// between territories ends at a gate, and that no corridor has zero length.
    pub fn build(s: &Scenario) -> Result<Network, Vec<ValidationError>> {
        let frame = Self::frame_of(s);
        let mut nodes = place_nodes(s, &frame);
        let node_index: BTreeMap<String, NodeId> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), NodeId::new(i)))
            .collect();
        let regions = Regions::load(s, &frame)?;
        for n in &mut nodes {
            n.jurisdiction = regions.locator.locate(n.en).map(JurisdictionId::new);
        }
        let ends = CorridorEnds {
            nodes: &nodes,
            index: &node_index,
            frame: &frame,
        };
        let rules = ends.rules(s, &regions)?;
        let (mut lanes, mut graph) = ends.lanes(s, &rules);
        let mut errors = ends.border_errors(s, &regions.jurisdictions);
        let zones = place_zones(s, &frame)?;
        let mut corridor_ids: Vec<String> = s.corridors.iter().map(|c| c.id.clone()).collect();
        let terminals = Terminals {
            s,
            frame: &frame,
            regions: &regions,
            rules: &rules,
        }
        .build(&mut nodes, &mut lanes, &mut graph, &mut corridor_ids)
        .unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        });
        if !regions.land.is_empty() {
            let land = land::multipolygon(&regions.land);
            for l in &mut lanes {
                l.over_water_m = land::over_water_m(&land, &l.points, &l.leg_m, 100.0);
            }
        }
        errors.extend(length_errors(s, &lanes));
        errors.extend(zone_errors(s, &lanes, &rules, &zones));
        if !errors.is_empty() {
            return Err(errors);
        }
        let sep = regions.base_minima;
        let jurisdictions = regions.jurisdictions;
        let crossings = crossings::crossings(&lanes);
        let mut lane_crossings = vec![Vec::new(); lanes.len()];
        for (c, x) in crossings.iter().enumerate() {
            lane_crossings[x.lanes.0.index()].push(c);
            lane_crossings[x.lanes.1.index()].push(c);
        }
        let junctions = Junctions::build(nodes.len(), &lanes, &s.drone_types, sep[1]);
        let slowest_mps = s
            .drone_types
            .iter()
            .map(|t| t.cruise_speed_mps)
            .fold(f64::INFINITY, f64::min);
        let weather = match Weather::of(&s.uncertainty, &frame) {
            Ok(w) => w,
            Err((field, message)) => {
                return Err(vec![ValidationError::section(
                    "uncertainty",
                    field,
                    format!("cannot read the wind grid: {message}"),
                )]);
            }
        };
        if let Some(e) = wind_too_strong(s, &weather) {
            return Err(vec![e]);
        }
        let booked_headway_s = lanes
            .iter()
            .map(|l| l.booked_headway_s(slowest_mps, &weather.forecast))
            .collect();
        Ok(Network {
            lane_rays: lanes.iter().map(junctions::lane_rays).collect(),
            max_speed_limit_mps: lanes.iter().map(|l| l.speed_limit_mps).fold(0.0, f64::max),
            half_width_max_m: lanes.iter().map(|l| 0.5 * l.width_m).fold(0.0, f64::max),
            weather,
            booked_headway_s,
            junctions,
            slowest_mps,
            frame,
            nodes,
            lanes,
            corridor_ids,
            terminals,
            crossings,
            lane_crossings,
            max_minima: jurisdictions
                .iter()
                .fold(sep, |m, j| [m[0].max(j.minima[0]), m[1].max(j.minima[1])]),
            local_minima: jurisdictions.iter().any(|j| j.minima != sep),
            base_minima: sep,
            zones,
            graph,
            node_index,
            jurisdictions,
            locator: regions.locator,
        })
    }

    /// The lane of the same corridor the other way, if it is two-way (a corridor's
    /// forward lane comes just before its reverse lane).
    pub fn other_direction(&self, lane: LaneId) -> Option<LaneId> {
        let (i, l) = (lane.index(), &self.lanes[lane]);
        let j = if l.reverse { i.checked_sub(1)? } else { i + 1 };
        let o = self.lanes.get(j)?;
        (o.corridor == l.corridor && o.from == l.to && o.to == l.from).then(|| LaneId::new(j))
    }

    /// The terminal area of a vertiport node.
    pub fn terminal(&self, node: NodeId) -> Option<&Terminal> {
        self.nodes[node].terminal.map(|t| &self.terminals[t])
    }

    /// Total corridor length in km (each corridor once, not per lane).
    pub fn corridor_km(&self) -> f64 {
        self.lanes
            .iter()
            .filter(|l| !l.reverse && !l.connector)
            .map(|l| l.length_m)
            .sum::<f64>()
            / 1000.0
    }

    /// Corridor lanes whose headway keeps two drones in trail less than the lane's
    /// horizontal minimum apart: the headway times the slowest speed any of `types` flies
    /// there (its cruise speed, capped by the lane's limit). Strategic bookings keep a
    /// headway between entries and exits; this is the distance that guarantees.
    /// (Connectors take the shortest headway of their vertiport's corridors, so a short
    /// one shows on a corridor first.)
    pub fn short_headways(&self, types: &[DroneType]) -> Vec<ShortHeadway> {
        let slowest = types
            .iter()
            .map(|t| t.cruise_speed_mps)
            .fold(f64::INFINITY, f64::min);
        self.lanes
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.connector)
            .filter_map(|(i, l)| {
                let speed = slowest.min(l.speed_limit_mps);
                let gap_m = l.headway_s * speed;
                (gap_m < l.minima[0]).then_some(ShortHeadway {
                    lane: LaneId::new(i),
                    gap_m,
                    speed_mps: speed,
                    minimum_m: l.minima[0],
                })
            })
            .collect()
    }

    /// A human name for a lane: `HK-SZ-1 (HKC->SZF)`.
    pub fn lane_name(&self, lane: LaneId) -> String {
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
