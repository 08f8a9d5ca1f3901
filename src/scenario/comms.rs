//! The communications network position reports travel through: coverage cells (base
//! stations) with a range, a coverage ceiling, a latency, a loss rate and a capacity. Off
//! while `cells` is empty: every drone is then seen where it is, at once.
//!
//! The numbers of a cell are illustrative unless its scenario says where they come from.

use serde::{Deserialize, Serialize};

/// The communications layer of a scenario (see the README's Communications section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comms {
    /// Whether the layer is used (a scenario can carry its cells switched off, to turn
    /// them on with `--set comms.enabled=true`). Default: true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Coverage cells; none: perfect communications (the default).
    #[serde(default)]
    pub cells: Vec<Cell>,
    /// Mean one-way latency of a report through a cell, milliseconds, for cells that do
    /// not set theirs. Default: 50.
    #[serde(default = "default_latency_ms")]
    pub latency_ms: f64,
    /// Latency jitter: each report's latency is the mean plus a uniform draw in
    /// `±jitter_ms`, milliseconds. Default: 20.
    #[serde(default = "default_jitter_ms")]
    pub jitter_ms: f64,
    /// Share of reports lost on the way, for cells that do not set theirs. Default: 0.01.
    #[serde(default = "default_loss")]
    pub loss: f64,
    /// Reports a cell carries per second, for cells that do not set theirs; 0: no limit.
    /// Reports over it are dropped. Default: 0.
    #[serde(default)]
    pub capacity_per_s: f64,
    /// Seconds between a drone's position reports. Default: 1.
    #[serde(default = "default_period")]
    pub report_period_s: f64,
    /// A drone's picture is stale when its last report received is older than this,
    /// seconds. Default: 3.
    #[serde(default = "default_stale")]
    pub stale_after_s: f64,
    /// Cross-border handover: after a border gate clears a drone, it sends no report for
    /// this long while its link moves to the other side's network, seconds. Default: 0.
    #[serde(default)]
    pub handover_s: f64,
    /// Lost link: a drone with no report through to the ground for longer than this has
    /// lost its command link (the ground cannot reach it either) and follows
    /// `contingency` until a report gets through again, seconds; 0: never (the default).
    /// Must be longer than `report_period_s`.
    #[serde(default)]
    pub lost_link_after_s: f64,
    /// What a drone does when it loses its link. Default: `Hover`.
    #[serde(default)]
    pub contingency: Contingency,
}

/// What a drone does while it has lost its command link (see the README's
/// Communications section). Whatever the choice, a drone cleared to land (holding its
/// destination FATO, in its holding stack or the line behind it, or past its arrival fix)
/// lands as cleared, and tactical resolution cannot command it: the drones near it give
/// way alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[value(rename_all = "verbatim")]
pub enum Contingency {
    /// Brake to a stop where it is and hover there.
    #[default]
    Hover,
    /// Fly its plan on to the next fix (the end of the path segment it is on) and hover
    /// there.
    NextFix,
    /// Fly its cleared plan on to its destination, as booked.
    Continue,
    /// Divert to the vertiport with a free FATO nearest in flight time: its plan on to
    /// the end of the lane it is on, then the quickest lanes from there (hover where it
    /// is when it is on no lane, or no vertiport has a FATO free).
    LandNearest,
}

impl Contingency {
    /// Its name in reports (`hover`, `next_fix`, `continue`, `land_nearest`).
    pub fn name(self) -> &'static str {
        match self {
            Contingency::Hover => "hover",
            Contingency::NextFix => "next_fix",
            Contingency::Continue => "continue",
            Contingency::LandNearest => "land_nearest",
        }
    }
}

impl Default for Comms {
    fn default() -> Self {
        Comms {
            enabled: true,
            cells: Vec::new(),
            latency_ms: default_latency_ms(),
            jitter_ms: default_jitter_ms(),
            loss: default_loss(),
            capacity_per_s: 0.0,
            report_period_s: default_period(),
            stale_after_s: default_stale(),
            handover_s: 0.0,
            lost_link_after_s: 0.0,
            contingency: Contingency::default(),
        }
    }
}

impl Comms {
    /// Whether the layer is off (switched off, or no cells: perfect communications).
    pub fn is_off(&self) -> bool {
        !self.enabled || self.cells.is_empty()
    }

    /// Whether it is all defaults (left out when writing a scenario).
    pub fn is_default(&self) -> bool {
        *self == Comms::default()
    }
}

fn yes() -> bool {
    true
}
fn default_latency_ms() -> f64 {
    50.0
}
fn default_jitter_ms() -> f64 {
    20.0
}
fn default_loss() -> f64 {
    0.01
}
fn default_period() -> f64 {
    1.0
}
fn default_stale() -> f64 {
    3.0
}
fn default_ceiling() -> f64 {
    300.0
}

/// One coverage cell: a base station's footprint for drones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// Unique id.
    pub id: String,
    /// The operator running it (shown with it).
    #[serde(default)]
    pub operator: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Horizontal range, metres (at every altitude up to `max_alt_m`, unless
    /// `range_by_alt` says otherwise).
    pub range_m: f64,
    /// Range by altitude: `(alt_m, range_m)` points by rising altitude, the range
    /// interpolated linearly between them and held beyond them (an antenna's lobe
    /// thinning with height); empty: `range_m` everywhere. Default: empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub range_by_alt: Vec<(f64, f64)>,
    /// Highest altitude it covers, metres. Default: 300.
    #[serde(default = "default_ceiling")]
    pub max_alt_m: f64,
    /// Its mean latency, milliseconds (default: the layer's).
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// Its loss rate (default: the layer's).
    #[serde(default)]
    pub loss: Option<f64>,
    /// Its capacity, reports per second (default: the layer's; 0: no limit).
    #[serde(default)]
    pub capacity_per_s: Option<f64>,
}
