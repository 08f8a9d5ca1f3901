//! Scenario files: the serde types a RON scenario deserialises into, loading with
//! line/column errors, `--set` overrides, and validation.
//!
//! Owns the *input* format only. Geometry is built by [`crate::network`], flights by
//! [`crate::planner`]. Units: metres, seconds, metres per second, watts, watt-hours;
//! geographic coordinates are WGS84 degrees named `lat`/`lon`. Every field below says its
//! unit and default; `scenarios/README.md` repeats them for people who write scenarios.

pub mod comms;
pub mod limits;
mod load;
mod overrides;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use comms::{Cell, Comms, Contingency};
pub use limits::Limits;
pub use load::{MAX_FILE_BYTES, ScenarioError, load_file, load_str, parse_str, read_limited};
pub use overrides::{Override, apply_overrides};
pub use validate::{
    MAX_CORRIDOR_ALT_M, MAX_FATOS, MAX_STACK_LEVELS, MAX_STANDS, ValidationError, validate,
};

/// A whole scenario: geography, corridor network, zones, fleet and demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name shown in reports.
    pub name: String,
    /// Free text: what the scenario shows. Default: empty.
    #[serde(default)]
    pub description: String,
    /// Seed of the one random generator (ChaCha8) that samples demand. Default: 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulation step in seconds. Default: 1.0.
    #[serde(default = "default_dt")]
    pub dt_s: f64,
    /// Simulated time in seconds from 0. Default: 3600.
    #[serde(default = "default_duration")]
    pub duration_s: f64,
    /// Separation minima and conflict look-ahead. Default: see [`Separation`].
    #[serde(default)]
    pub separation: Separation,
    /// Origin of the local east/north frame. Default: the mean of the nodes given in
    /// lat/lon (or 0,0 when every node is given in local metres).
    #[serde(default)]
    pub reference: Option<LatLon>,
    /// Vertiports and waypoints.
    pub nodes: Vec<Node>,
    /// Corridor segments between nodes. Default: none (e.g. when they come from GeoJSON).
    #[serde(default)]
    pub corridors: Vec<Corridor>,
    /// More corridors from a GeoJSON file of line strings (path relative to this file),
    /// e.g. drawn in QGIS; see the README. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corridors_geojson: Option<String>,
    /// More zones from a GeoJSON file of polygons (path relative to this file). Default:
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones_geojson: Option<String>,
    /// Land polygons (GeoJSON, path relative to this file), to flag corridor legs over
    /// water, e.g. `"../assets/gba_land_ne10m.geojson"`. Default: none (all over land).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land_geojson: Option<String>,
    /// No-fly and restricted volumes. Default: none.
    #[serde(default)]
    pub zones: Vec<Zone>,
    /// Airport protection: a no-fly zone around every airport of a places CSV, sized by
    /// one documented rule (see [`Airports`]). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub airports: Option<Airports>,
    /// Jurisdictions: areas with their own rules, applied to the corridor segments inside
    /// them (see [`Jurisdiction`]). Default: none (one airspace, the scenario's rules).
    #[serde(default)]
    pub jurisdictions: Vec<Jurisdiction>,
    /// Aircraft types that demand refers to.
    pub drone_types: Vec<DroneType>,
    /// Traffic demand. Default: none.
    #[serde(default)]
    pub demand: Demand,
    /// Deconfliction. Default: none (detection only).
    #[serde(default)]
    pub deconfliction: Deconfliction,
    /// Limits on the work the scenario may ask for (flights, steps), checked before the
    /// work starts. Default: see [`Limits`].
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
    /// Disturbances: the wind, and noise on departure times and speeds. Default: none
    /// (every drone flies its plan exactly).
    #[serde(default, skip_serializing_if = "Uncertainty::is_none")]
    pub uncertainty: Uncertainty,
    /// The communications network position reports travel through. Default: none
    /// (perfect: every drone seen where it is, at once).
    #[serde(default, skip_serializing_if = "Comms::is_default")]
    pub comms: Comms,
}

impl Scenario {
    /// The slowest planned airspeed: the slowest cruise speed or corridor speed limit,
    /// m/s (a wind must stay below it, or a drone could not make headway).
    pub fn slowest_airspeed_mps(&self) -> f64 {
        self.drone_types
            .iter()
            .map(|t| t.cruise_speed_mps)
            .chain(self.corridors.iter().map(|k| k.speed_limit_mps))
            .fold(f64::INFINITY, f64::min)
    }
}

/// What the drones meet that their plans did not foresee, all of it seeded by the
/// scenario's `seed` (see the README's Uncertainty section).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uncertainty {
    /// The wind the drones fly in: uniform, or gridded by position and altitude from a
    /// file. Default: calm.
    #[serde(default)]
    pub wind: Wind,
    /// The wind plans are made with (their times, speeds and energy). Default: the actual
    /// wind (a perfect forecast).
    #[serde(default)]
    pub forecast: Option<Wind>,
    /// Gusts on top of the actual wind, each drone its own. Default: none.
    #[serde(default, skip_serializing_if = "Gusts::is_none")]
    pub gusts: Gusts,
    /// Noise on when flights leave and how fast they fly. Default: none.
    #[serde(default)]
    pub schedule: ScheduleNoise,
}

impl Uncertainty {
    /// Whether nothing is disturbed.
    pub fn is_none(&self) -> bool {
        *self == Uncertainty::default()
    }
    /// Whether the drones fly exactly what they were planned with: the actual wind is
    /// the forecast, no gusts, no schedule noise (navigation error is per type).
    pub fn forecast_exact(&self) -> bool {
        self.forecast.as_ref().is_none_or(|f| *f == self.wind)
            && self.gusts.is_none()
            && self.schedule == ScheduleNoise::default()
    }

    /// The wind plans are made with.
    pub fn forecast_wind(&self) -> &Wind {
        self.forecast.as_ref().unwrap_or(&self.wind)
    }
}

/// A wind: uniform (where it blows from and how fast), or a gridded field from a file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wind {
    /// Direction it blows *from*, degrees clockwise from north (meteorological: 270 is a
    /// west wind, blowing toward the east).
    #[serde(default)]
    pub from_deg: f64,
    /// Speed, m/s. Must be below every type's cruise speed (else a drone could not make
    /// headway). Default: 0.
    #[serde(default)]
    pub speed_mps: f64,
    /// A gridded field instead: a CSV of the wind's `u`, `v` components at the nodes of a
    /// longitude × latitude × altitude grid (path relative to this file; format in the
    /// README's Uncertainty section and [`crate::network::wind_grid`]), interpolated
    /// trilinearly. With it, `from_deg` and `speed_mps` must be left out. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_csv: Option<String>,
}

impl Wind {
    /// The air's velocity, `[east, north]` m/s.
    pub fn velocity(&self) -> [f64; 2] {
        if self.speed_mps == 0.0 {
            return [0.0, 0.0];
        }
        let toward = (self.from_deg + 180.0).to_radians();
        [self.speed_mps * toward.sin(), self.speed_mps * toward.cos()]
    }
}

/// Gusts: each drone's own deviation from the actual wind, east and north each a
/// first-order Gauss-Markov process `g(t+dt) = φ g(t) + σ √(1-φ²) Z`, `φ = exp(-dt/τ)`,
/// zero at take-off and truncated at [`NavError::TRUNCATION`] σ, drawn from the seed (as
/// navigation error is). It is the low-altitude horizontal turbulence of the Dryden model
/// (MIL-F-8785C) reduced to one time constant: `σ` about a tenth of the wind at 6 m
/// (light turbulence) times 1.3 at 100-150 m, `τ = L/V` with the length scale `L` about
/// 250-300 m there and `V` the airspeed (15-20 s for a drone at 15 m/s). Gusts change
/// ground speed and power, not the track (drones crab to hold it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gusts {
    /// Standard deviation of the east and of the north gust, m/s. Default: 0.
    #[serde(default)]
    pub sd_mps: f64,
    /// Correlation time τ, seconds. Default: 20.
    #[serde(default = "default_gust_tau")]
    pub time_constant_s: f64,
}

fn default_gust_tau() -> f64 {
    20.0
}

impl Default for Gusts {
    fn default() -> Self {
        Gusts {
            sd_mps: 0.0,
            time_constant_s: default_gust_tau(),
        }
    }
}

impl Gusts {
    /// Whether there are none.
    pub fn is_none(&self) -> bool {
        self.sd_mps == 0.0
    }
    /// The strongest gust, m/s (both components at their truncation).
    pub fn max_mps(&self) -> f64 {
        NavError::TRUNCATION * self.sd_mps * std::f64::consts::SQRT_2
    }
    /// The gust `dt` seconds after `g` (`[east, north]`), given two standard normal draws.
    pub fn step(&self, g: [f32; 2], dt: f64, z: [f64; 2]) -> [f32; 2] {
        gauss_markov_step(g, [self.sd_mps; 2], dt / self.time_constant_s, z)
    }
}

/// One step of independent first-order Gauss-Markov processes (navigation error, gusts):
/// `e' = φ e + σ √(1-φ²) Z`, `φ = exp(-dt/τ)` (`dt_over_tau`), each component truncated
/// at [`NavError::TRUNCATION`] of its `σ`.
fn gauss_markov_step<const N: usize>(
    e: [f32; N],
    sd: [f64; N],
    dt_over_tau: f64,
    z: [f64; N],
) -> [f32; N] {
    let phi = (-dt_over_tau).exp();
    let kick = (1.0 - phi * phi).sqrt();
    std::array::from_fn(|i| {
        let cap = NavError::TRUNCATION * sd[i];
        (phi * f64::from(e[i]) + sd[i] * kick * z[i]).clamp(-cap, cap) as f32
    })
}

/// Seeded noise on each flight's schedule and speed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleNoise {
    /// Scale of the lateness of each take-off past its cleared departure, seconds: the
    /// lateness is half-normal, `sd × |Z|` (mean 0.80 × sd; nobody leaves early).
    /// Default: 0.
    #[serde(default)]
    pub departure_sd_s: f64,
    /// Standard deviation of each flight's airspeed error, as a fraction of its planned
    /// airspeed: the flight flies `1 + sd × Z` times it throughout (clamped to ±3 sd,
    /// never above its type's top speed). Default: 0.
    #[serde(default)]
    pub speed_sd: f64,
}

/// How traffic is kept apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deconfliction {
    /// Strategic deconfliction before take-off: every flight reserves its lane entries
    /// (the corridor's headway) and its pads in time, and is delayed on the ground or
    /// re-routed until its reservations fit. Default: false.
    #[serde(default)]
    pub strategic: bool,
    /// The order flights are served in: `Fcfs` (by scheduled departure, first filed first)
    /// or `Priority` (higher `priority` first, then by scheduled departure). Default: `Fcfs`.
    #[serde(default)]
    pub order: ServiceOrder,
    /// A flight that would wait longer than this on the ground is cancelled, seconds.
    /// Default: 1800.
    #[serde(default = "default_max_ground_delay")]
    pub max_ground_delay_s: f64,
    /// Share of the battery that must be left at landing; a plan that needs more is
    /// cancelled (strategic only). Default: 0.2.
    #[serde(default = "default_battery_reserve")]
    pub battery_reserve: f64,
    /// Extra share kept in reserve by a plan with any leg over water (no emergency landing
    /// site under it; needs `land_geojson`). Default: 0.1.
    #[serde(default = "default_over_water_reserve")]
    pub over_water_reserve: f64,
    /// Routes tried per flight (the time-optimal one and alternatives avoiding its
    /// lanes). Default: 3.
    #[serde(default = "default_alternatives")]
    pub alternatives: u32,
    /// Tactical resolution of conflicts in flight. Default: `None`.
    #[serde(default)]
    pub tactical: Tactical,
    /// A drone slowed to under 0.5 m/s by speed resolution for longer than this goes on
    /// regardless (it never hovers forever), seconds. Default: 60.
    #[serde(default = "default_max_hover")]
    pub max_hover_s: f64,
    /// With strategic deconfliction: a drone more than this behind its cleared 4D plan is
    /// re-planned in flight (its plan re-timed from where it is, its reservations
    /// re-booked), seconds. Default: 60.
    #[serde(default = "default_replan_after")]
    pub replan_after_s: f64,
    /// Extra time added to every strategic booking, seconds: each headway (lanes, gates)
    /// grows by it, and each occupied interval (FATOs, junction transitions, crossing
    /// passages) by it at both ends. A margin for deviations from the plan. Default: 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub buffer_s: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn default_replan_after() -> f64 {
    60.0
}

fn default_max_hover() -> f64 {
    60.0
}

/// How conflicts are resolved in flight. With `Speed` and `Vertical`, one drone of a
/// pair gives way: the lower priority class; at equal priority, the follower of two
/// drones going the same way, else the later-filed flight. With `Mvp` both act at equal
/// priority. Drones return to their plan when the conflict is past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[value(rename_all = "verbatim")]
pub enum Tactical {
    /// Detect and report only.
    #[default]
    None,
    /// Slow the follower of two drones in trail: it follows the leader at the horizontal
    /// minimum plus 10 m (speed = leader's + 0.2/s x (gap - minimum - 10 m)), never below
    /// the type's `min_speed_mps`. Crossing conflicts are left alone (slowing one drone
    /// may only move the meeting point): use `Vertical` or `Mvp` for those.
    Speed,
    /// Move the give-way drone up or down within its lane's slice of the band, clear of
    /// the other by the vertical minimum (falling back to speed when there is no room).
    Vertical,
    /// Modified voltage potential (BlueSky's `mvp.py`), kept to the corridor: the
    /// displacements that clear each predicted intrusion at closest approach, summed over
    /// a drone's conflicts and taken by both drones, flown as a speed change (slower or
    /// faster), a sideways offset within the corridor's width, and vertically within the
    /// lane's slice only what those cannot take.
    Mvp,
}

fn default_max_ground_delay() -> f64 {
    1800.0
}
fn default_battery_reserve() -> f64 {
    0.2
}
fn default_alternatives() -> u32 {
    3
}
fn default_over_water_reserve() -> f64 {
    0.1
}

impl Default for Deconfliction {
    fn default() -> Self {
        Deconfliction {
            strategic: false,
            order: ServiceOrder::Fcfs,
            max_ground_delay_s: default_max_ground_delay(),
            battery_reserve: default_battery_reserve(),
            over_water_reserve: default_over_water_reserve(),
            alternatives: default_alternatives(),
            tactical: Tactical::None,
            max_hover_s: default_max_hover(),
            replan_after_s: default_replan_after(),
            buffer_s: 0.0,
        }
    }
}

/// Order of service for strategic reservations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ServiceOrder {
    /// First come, first served: by scheduled departure.
    #[default]
    Fcfs,
    /// By priority class (higher first, e.g. medical before parcels), then departure.
    Priority,
}

fn default_seed() -> u64 {
    1
}
fn default_dt() -> f64 {
    1.0
}
fn default_duration() -> f64 {
    3600.0
}

/// Separation minima: two drones are in loss of separation when they are closer than
/// *both* minima at once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Separation {
    /// Horizontal minimum in metres. Default: 50.
    #[serde(default = "default_sep_h")]
    pub horizontal_m: f64,
    /// Vertical minimum in metres. Default: 15.
    #[serde(default = "default_sep_v")]
    pub vertical_m: f64,
    /// Conflict look-ahead in seconds: a conflict is a loss of separation predicted
    /// (straight-line, current velocities) within this time. Default: 30.
    #[serde(default = "default_lookahead")]
    pub lookahead_s: f64,
}

fn default_sep_h() -> f64 {
    50.0
}
fn default_sep_v() -> f64 {
    15.0
}
fn default_lookahead() -> f64 {
    30.0
}

impl Default for Separation {
    fn default() -> Self {
        Self {
            horizontal_m: default_sep_h(),
            vertical_m: default_sep_v(),
            lookahead_s: default_lookahead(),
        }
    }
}

/// A WGS84 position in degrees: `(lat: 22.3, lon: 114.1)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
}

/// A vertiport or waypoint. Give either `lat` and `lon` (WGS84 degrees) or `east_m` and
/// `north_m` (metres in the local frame around `reference`, handy for teaching scenarios).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Unique id, e.g. `"HK-CEN"`.
    pub id: String,
    /// Vertiport (with pads) or waypoint. Default: `Waypoint`.
    #[serde(default)]
    pub kind: NodeKind,
    /// Latitude, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// East of the reference point, metres (instead of lat/lon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub east_m: Option<f64>,
    /// North of the reference point, metres (instead of lat/lon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub north_m: Option<f64>,
    /// Ground (pad) altitude above mean sea level, metres. Default: 0.
    #[serde(default)]
    pub ground_alt_m: f64,
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum NodeKind {
    /// A junction or turning point; flights cannot start or end here.
    #[default]
    Waypoint,
    /// A vertiport: a terminal area beside the corridor network, laid out by the rule in
    /// `scenarios/README.md` ("Vertiports"). The node's position is where its corridors
    /// meet (a junction in the air); the FATOs (final approach and take-off areas) stand
    /// `terminal.offset_m` away from it, reached by a two-way connector corridor that ends
    /// at the vertiport's fix. One movement per FATO at a time; landed drones move to a
    /// stand for their turnaround; arrivals without a FATO hold in a stack above the fix.
    Vertiport {
        /// Number of FATOs (at least 1). `pads` is accepted as an older name.
        #[serde(alias = "pads")]
        fatos: u32,
        /// Number of stands (at least 1). Default: twice the FATOs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stands: Option<u32>,
        /// Seconds a stand stays taken after a landing (the turnaround). Default: 60.
        #[serde(default = "default_turnaround")]
        turnaround_s: f64,
        /// Layout overrides. Default: every part by the rule.
        #[serde(default, skip_serializing_if = "TerminalLayout::is_default")]
        terminal: TerminalLayout,
    },
    /// A border gate: a waypoint on a jurisdiction boundary where control is handed over.
    /// It clears at most `capacity_per_hour` drones an hour (one every
    /// `3600 / capacity_per_hour` s, both directions together); the others queue in a
    /// hover at the gate, first come first served.
    Gate {
        /// Drones cleared per hour.
        capacity_per_hour: f64,
    },
}

fn default_turnaround() -> f64 {
    60.0
}

/// Overrides of a vertiport's layout; each one left out follows the rule of
/// `scenarios/README.md` ("Vertiports").
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalLayout {
    /// Direction from the junction to the FATOs, degrees clockwise from north. Default:
    /// the middle of the widest angle between the corridors that meet at the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<f64>,
    /// Length of the connector corridor from the junction to the fix, metres. Default: 400.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_m: Option<f64>,
    /// Distance between FATO centres, metres. Default: the larger of 61 m (FAA AC
    /// 150/5390-2D's 200 ft for simultaneous operations) and 1.2 horizontal minima.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fato_spacing_m: Option<f64>,
    /// Levels of the holding stack above the fix. Default: 4 (fewer under a ceiling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_levels: Option<u32>,
}

impl TerminalLayout {
    /// Whether nothing is overridden (then it is not written).
    pub fn is_default(&self) -> bool {
        *self == TerminalLayout::default()
    }
}

/// Direction of travel on a corridor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Direction {
    /// Only `from` -> `to`; its lane flies at the middle of the altitude band.
    OneWay,
    /// Both ways: `from` -> `to` flies at the middle of the upper half of the band,
    /// `to` -> `from` at the middle of the lower half.
    #[default]
    TwoWay,
}

/// A corridor segment between two nodes, optionally bent through `via` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corridor {
    /// Unique id, e.g. `"HK-SZ-1"`.
    pub id: String,
    /// Node id where the corridor starts.
    pub from: String,
    /// Node id where it ends.
    pub to: String,
    /// Intermediate points, in order from `from` to `to`. Default: none (a straight leg).
    #[serde(default)]
    pub via: Vec<LatLon>,
    /// Lower edge of the altitude band, metres above mean sea level.
    pub min_alt_m: f64,
    /// Upper edge of the altitude band, metres above mean sea level.
    pub max_alt_m: f64,
    /// One-way or two-way. Default: `TwoWay`.
    #[serde(default)]
    pub direction: Direction,
    /// Width, metres. Default: 100.
    #[serde(default = "default_width")]
    pub width_m: f64,
    /// Speed limit along the corridor, m/s. Default: 20.
    #[serde(default = "default_speed_limit")]
    pub speed_limit_mps: f64,
    /// Capacity as the minimum time between two entries into one lane, seconds.
    /// Default: 10. (Enforced by strategic deconfliction; the report shows utilisation
    /// against it.)
    #[serde(default = "default_headway")]
    pub headway_s: f64,
}

fn default_width() -> f64 {
    100.0
}
fn default_speed_limit() -> f64 {
    20.0
}
fn default_headway() -> f64 {
    10.0
}

/// A no-fly or restricted volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Unique id, e.g. `"VHHH"`.
    pub id: String,
    /// `NoFly` (corridors may not cross it while active) or `Restricted` (informational).
    /// Default: `NoFly`.
    #[serde(default)]
    pub kind: ZoneKind,
    /// Footprint.
    pub shape: Shape,
    /// Floor, metres above mean sea level. Default: 0.
    #[serde(default)]
    pub min_alt_m: f64,
    /// Ceiling, metres above mean sea level. Default: 10000.
    #[serde(default = "default_ceiling")]
    pub max_alt_m: f64,
    /// When the zone is active. Default: always.
    #[serde(default)]
    pub active: Option<TimeWindow>,
}

fn default_ceiling() -> f64 {
    10_000.0
}

/// Kind of a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ZoneKind {
    /// Corridors must not cross it while it is active.
    #[default]
    NoFly,
    /// Shown and reported; no rule yet.
    Restricted,
}

/// A zone footprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    /// A circle: `Circle(center: (lat: .., lon: ..), radius_m: 5000)`.
    Circle {
        /// Centre.
        center: LatLon,
        /// Radius in metres.
        radius_m: f64,
    },
    /// A polygon: `Polygon(points: [(lat: .., lon: ..), ...])`, at least three points;
    /// closing is implied.
    Polygon {
        /// Vertices in order.
        points: Vec<LatLon>,
    },
}

/// Airport protection zones generated from a places CSV (`kind,id,name,name_zh,lat,lon`,
/// `#` comments; the rows of kind `airport`), one no-fly cylinder per airport around its
/// aerodrome reference point. The rule is the scenario's: its header comment says which
/// one it follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Airports {
    /// The CSV, relative to the scenario file, e.g. `"../assets/gba_places.csv"`.
    pub places_csv: String,
    /// Radius around the aerodrome reference point, metres. Default: 5000.
    #[serde(default = "default_airport_radius")]
    pub radius_m: f64,
    /// Ceiling of the zone, metres above mean sea level (floor: the ground). Default: 600.
    #[serde(default = "default_airport_ceiling")]
    pub ceiling_m: f64,
    /// Per-airport radius overrides, metres, by id (e.g. `{"VMMC": 3000}`). Default: none.
    #[serde(default)]
    pub radius_by_id: BTreeMap<String, f64>,
}

fn default_airport_radius() -> f64 {
    5000.0
}
fn default_airport_ceiling() -> f64 {
    600.0
}

/// An area with its own rules (a city, a special administrative region). A corridor
/// segment takes the rules of the jurisdiction its midpoint lies in; a vertiport those of
/// where it stands. Crossing from one `territory` into another needs a border gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    /// Unique id, e.g. `"SZ"`.
    pub id: String,
    /// Name for reports. Default: the id.
    #[serde(default)]
    pub name: String,
    /// Customs and airspace territory, e.g. `"HK"`, `"MO"`, `"CN"`: a corridor between
    /// two territories must pass a `Gate` node. Default: the id.
    #[serde(default)]
    pub territory: String,
    /// Where it is.
    pub area: Area,
    /// Its rules. Default: none (the scenario's own).
    #[serde(default)]
    pub rules: Rules,
}

/// The area of a jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Area {
    /// A polygon: `Polygon(points: [(lat: .., lon: ..), ...])`.
    Polygon {
        /// Vertices in order, at least three; closing is implied.
        points: Vec<LatLon>,
    },
    /// A feature of `land_geojson` by its `iso_a3` (`"HKG"`, `"MAC"`, `"CHN"`), with the
    /// waters nearer to it than to any other feature. Several jurisdictions on one feature
    /// share it by nearest centre (Voronoi cells: mainland cities from their centres; a
    /// city may list several, e.g. a city centre and an outlying district).
    Land {
        /// The feature's `iso_a3`.
        feature: String,
        /// Centres that claim the nearest part of the feature. Default: none (the whole
        /// feature; only allowed for a feature no other jurisdiction uses).
        #[serde(default)]
        centres: Vec<LatLon>,
    },
}

/// Rules of a jurisdiction; each one left out is the scenario's own.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Lowest altitude a corridor may use, metres: bands are raised to it.
    #[serde(default)]
    pub min_alt_m: Option<f64>,
    /// Highest altitude a corridor may use, metres: bands are cut to it.
    #[serde(default)]
    pub max_alt_m: Option<f64>,
    /// Speed limit, m/s: corridor limits above it are lowered to it.
    #[serde(default)]
    pub speed_limit_mps: Option<f64>,
    /// Horizontal separation minimum, metres (a pair is held to the larger minimum of the
    /// two drones' jurisdictions).
    #[serde(default)]
    pub horizontal_m: Option<f64>,
    /// Vertical separation minimum, metres.
    #[serde(default)]
    pub vertical_m: Option<f64>,
}

/// A time window `[start_s, end_s)` in simulated seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
}

/// An aircraft type and its simple performance and power model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DroneType {
    /// Unique id, e.g. `"parcel"`.
    pub id: String,
    /// Preferred horizontal speed, m/s (capped by each corridor's limit).
    pub cruise_speed_mps: f64,
    /// Never exceeded, m/s. Default: 1.25 x cruise.
    #[serde(default)]
    pub max_speed_mps: Option<f64>,
    /// Vertical climb rate, m/s. Default: 4.
    #[serde(default = "default_climb")]
    pub climb_rate_mps: f64,
    /// Vertical descent rate, m/s. Default: 3.
    #[serde(default = "default_descent")]
    pub descent_rate_mps: f64,
    /// Acceleration and braking along the path, m/s^2. Default: 2.
    #[serde(default = "default_accel")]
    pub accel_mps2: f64,
    /// Body radius, metres (for reports and drawing). Default: 1.
    #[serde(default = "default_radius")]
    pub radius_m: f64,
    /// Usable battery energy, watt-hours.
    pub battery_wh: f64,
    /// Power while hovering or flying slower than 1 m/s, climbing excluded, watts.
    pub hover_power_w: f64,
    /// Power in level flight at cruise speed, watts. Between 0 and cruise speed the power
    /// goes linearly from hover to cruise power, beyond it keeps the same slope.
    pub cruise_power_w: f64,
    /// Power while climbing, watts. Default: 1.3 x hover power.
    #[serde(default)]
    pub climb_power_w: Option<f64>,
    /// Slowest airborne speed tactical resolution may impose, m/s. Default: 0 (hover).
    #[serde(default)]
    pub min_speed_mps: Option<f64>,
    /// Seconds a FATO stays taken after this type touches down (hover-taxi or hop to a
    /// stand). Default: 15.
    #[serde(
        default = "default_fato_clear",
        skip_serializing_if = "is_default_fato_clear"
    )]
    pub fato_clear_s: f64,
    /// How far the drone strays from where it means to be (total system error: position
    /// estimate plus flight technical error). Default: none (it flies its path exactly).
    #[serde(default, skip_serializing_if = "NavError::is_none")]
    pub navigation: NavError,
    /// Seconds between this type's position reports through the communications layer.
    /// Default: the layer's `comms.report_period_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_period_s: Option<f64>,
}

/// A drone type's navigation error: each axis a first-order Gauss-Markov process
/// `e(t+dt) = φ e(t) + σ √(1-φ²) Z`, `φ = exp(-dt/τ)`, stationary standard deviation `σ`,
/// starting at zero at take-off (the pad's position is known) and truncated at
/// [`NavError::TRUNCATION`] σ. Horizontal error is the same in east and north (circular;
/// it includes the along-track part), vertical has its own `σ`. The true position is the
/// path position plus the error: separation is measured, and conflicts predicted, on
/// it; the error's rate is not in the velocity (like a tactical sidestep's).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NavError {
    /// Standard deviation of the east and of the north error, metres (a 95 % horizontal
    /// containment radius is 2.45 σ). Default: 0.
    #[serde(default)]
    pub horizontal_sd_m: f64,
    /// Standard deviation of the vertical error, metres (95 %: 1.96 σ). Default: 0.
    #[serde(default)]
    pub vertical_sd_m: f64,
    /// Correlation time τ, seconds. Default: 60.
    #[serde(default = "default_nav_tau")]
    pub time_constant_s: f64,
}

fn default_nav_tau() -> f64 {
    60.0
}

impl Default for NavError {
    fn default() -> Self {
        NavError {
            horizontal_sd_m: 0.0,
            vertical_sd_m: 0.0,
            time_constant_s: default_nav_tau(),
        }
    }
}

impl NavError {
    /// Errors beyond this many standard deviations are cut to it (a bound detection's
    /// reach boxes can count on; a normal draw passes 4 σ with probability 6e-5).
    pub const TRUNCATION: f64 = 4.0;

    /// Whether the drone flies its path exactly.
    pub fn is_none(&self) -> bool {
        self.horizontal_sd_m == 0.0 && self.vertical_sd_m == 0.0
    }

    /// The most the error can be, `[east and north, vertical]`, metres.
    pub fn bound_m(&self) -> [f64; 2] {
        [
            Self::TRUNCATION * self.horizontal_sd_m,
            Self::TRUNCATION * self.vertical_sd_m,
        ]
    }

    /// The error `dt` seconds after `e` (`[east, north, up]`), given three standard
    /// normal draws `z`.
    pub fn step(&self, e: [f32; 3], dt: f64, z: [f64; 3]) -> [f32; 3] {
        let sd = [
            self.horizontal_sd_m,
            self.horizontal_sd_m,
            self.vertical_sd_m,
        ];
        gauss_markov_step(e, sd, dt / self.time_constant_s, z)
    }
}

fn default_fato_clear() -> f64 {
    15.0
}
fn is_default_fato_clear(v: &f64) -> bool {
    *v == default_fato_clear()
}

fn default_climb() -> f64 {
    4.0
}
fn default_descent() -> f64 {
    3.0
}
fn default_accel() -> f64 {
    2.0
}
fn default_radius() -> f64 {
    1.0
}

impl DroneType {
    /// Maximum speed in m/s (the given one, or 1.25 x cruise).
    pub fn max_speed(&self) -> f64 {
        self.max_speed_mps.unwrap_or(self.cruise_speed_mps * 1.25)
    }
    /// Slowest speed tactical resolution may impose, m/s (0 for a multirotor that can
    /// hover). Default: 0.
    pub fn min_speed(&self) -> f64 {
        self.min_speed_mps.unwrap_or(0.0)
    }
    /// Climb power in watts (the given one, or 1.3 x hover).
    pub fn climb_power(&self) -> f64 {
        self.climb_power_w.unwrap_or(self.hover_power_w * 1.3)
    }
}

/// Traffic demand: sampled flows and/or explicit flights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Multiplies every flow's rate (not explicit flights). Default: 1.
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// Poisson flows. Default: none.
    #[serde(default)]
    pub flows: Vec<Flow>,
    /// Explicit flights. Default: none.
    #[serde(default)]
    pub flights: Vec<FlightSpec>,
    /// Time-of-day profile: `[(hour, factor), ...]`, hours of the day (0-24) in
    /// non-decreasing order, each with a factor on every flow's rate; linear in between,
    /// the end values before the first and after the last point. Default: none (flat).
    /// E.g. morning and evening peaks: `[(6, 0.3), (8, 1.6), (10, 0.9), (17, 1.0), (18.5, 1.7), (21, 0.4)]`.
    #[serde(default)]
    pub profile: Vec<(f64, f64)>,
    /// Clock time at simulated time 0, hours of the day (for `profile`). Default: 8.
    #[serde(default = "default_start_hour")]
    pub start_hour: f64,
}

fn default_scale() -> f64 {
    1.0
}
fn default_start_hour() -> f64 {
    8.0
}

impl Demand {
    /// The profile's factor at simulated time `t_s` (1 without a profile).
    pub fn factor_at(&self, t_s: f64) -> f64 {
        let p = &self.profile;
        let Some(first) = p.first() else {
            return 1.0;
        };
        let hour = (self.start_hour + t_s / 3600.0).rem_euclid(24.0);
        if hour <= first.0 {
            return first.1;
        }
        for w in p.windows(2) {
            let ((h0, f0), (h1, f1)) = (w[0], w[1]);
            if hour <= h1 {
                return if h1 > h0 {
                    f0 + (f1 - f0) * (hour - h0) / (h1 - h0)
                } else {
                    f1
                };
            }
        }
        p[p.len() - 1].1
    }
}

impl Default for Demand {
    fn default() -> Self {
        Self {
            scale: 1.0,
            flows: Vec::new(),
            flights: Vec::new(),
            profile: Vec::new(),
            start_hour: default_start_hour(),
        }
    }
}

/// A stream of flights between two vertiports with Poisson departures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Origin vertiport id.
    pub origin: String,
    /// Destination vertiport id.
    pub destination: String,
    /// Mean departures per hour (before `demand.scale`).
    pub flights_per_hour: f64,
    /// First possible departure, seconds. Default: 0.
    #[serde(default)]
    pub start_s: f64,
    /// No departure at or after this time, seconds. Default: the scenario's duration.
    #[serde(default)]
    pub end_s: Option<f64>,
    /// Drone type ids with relative weights, e.g. `{"parcel": 3, "food": 1}`.
    pub mix: BTreeMap<String, f64>,
    /// Priority class of these flights (higher is served first under `Priority`).
    /// Default: 0.
    #[serde(default)]
    pub priority: u32,
}

/// One explicit flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlightSpec {
    /// Flight id. Default: `F<index>` by position in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Origin vertiport id.
    pub origin: String,
    /// Destination vertiport id.
    pub destination: String,
    /// Drone type id.
    pub drone_type: String,
    /// Scheduled departure, seconds. Departures happen on step boundaries: a time between
    /// two steps is rounded up to the next (sampled flows likewise).
    pub departure_s: f64,
    /// Priority class (higher is served first under `Priority`). Default: 0.
    #[serde(default)]
    pub priority: u32,
}
