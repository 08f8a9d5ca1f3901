//! Rules a scenario must keep before anything is built from it: ids unique and known,
//! numbers finite and in range, bands not empty. Geometric rules (a corridor crossing a
//! no-fly zone, a pair with no route) are checked where the geometry is built and reported
//! with the same [`ValidationError`].

use std::collections::BTreeSet;

use super::{Area, LatLon, NodeKind, Scenario, Shape};

/// One broken rule: which item (`corridor HK-SZ-1`), which field, and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{subject}, field `{field}`: {message}")]
pub struct ValidationError {
    /// The item as people read it, e.g. `corridor HK-SZ-1` or `separation`.
    pub subject: String,
    /// Id of the item, used to find its line in the file.
    pub id: Option<String>,
    /// The field.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ValidationError {
    /// An error about field `field` of the item `kind id`.
    pub fn item(kind: &str, id: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            subject: format!("{kind} {id}"),
            id: Some(id.to_string()),
            field: field.to_string(),
            message: message.into(),
        }
    }
    /// An error about a field of a section that has no id (`separation`, `scenario`).
    pub fn section(section: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            subject: section.to_string(),
            id: None,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

struct Checker {
    errors: Vec<ValidationError>,
}

impl Checker {
    /// `value` must be finite and `> 0` (or `>= 0` when `zero_ok`).
    fn number(&mut self, kind: &str, id: Option<&str>, field: &str, value: f64, zero_ok: bool) {
        let ok = value.is_finite() && if zero_ok { value >= 0.0 } else { value > 0.0 };
        if !ok {
            let want = if zero_ok {
                "a finite number >= 0"
            } else {
                "a finite number > 0"
            };
            self.push(kind, id, field, format!("expected {want}, got {value}"));
        }
    }
    fn push(&mut self, kind: &str, id: Option<&str>, field: &str, message: String) {
        self.errors.push(match id {
            Some(id) => ValidationError::item(kind, id, field, message),
            None => ValidationError::section(kind, field, message),
        });
    }
    /// A polygon's `points`: at least three, each a valid position.
    fn polygon(&mut self, kind: &str, id: &str, points: &[LatLon]) {
        if points.len() < 3 {
            self.push(
                kind,
                Some(id),
                "points",
                format!("a polygon needs at least 3 points, got {}", points.len()),
            );
        }
        for p in points {
            self.lat_lon(kind, id, "points", p.lat, p.lon);
        }
    }
    fn lat_lon(&mut self, kind: &str, id: &str, field: &str, lat: f64, lon: f64) {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            self.push(
                kind,
                Some(id),
                field,
                format!("latitude must be within -90..90 degrees, got {lat}"),
            );
        }
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            self.push(
                kind,
                Some(id),
                field,
                format!("longitude must be within -180..180 degrees, got {lon}"),
            );
        }
    }
    fn unique<'a>(&mut self, kind: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen = BTreeSet::new();
        for id in ids {
            if id.trim().is_empty() {
                self.push(kind, Some(id), "id", "ids must not be empty".into());
            } else if !seen.insert(id) {
                self.push(
                    kind,
                    Some(id),
                    "id",
                    format!("duplicate id: another {kind} is already called {id}"),
                );
            }
        }
    }
}

/// Checks the non-geometric rules; returns every problem found, not just the first.
pub fn validate(s: &Scenario) -> Result<(), Vec<ValidationError>> {
    let mut c = Checker { errors: Vec::new() };
    settings(&mut c, s);
    nodes(&mut c, s);
    corridors(&mut c, s);
    regions(&mut c, s);
    fleet(&mut c, s);
    demand(&mut c, s);
    uncertainty(&mut c, s);
    comms(&mut c, s);
    // Only numbers that passed are estimated from.
    if c.errors.is_empty() {
        c.number("limits", None, "max_flights", s.limits.max_flights, true);
        c.number("limits", None, "max_steps", s.limits.max_steps, false);
    }
    if c.errors.is_empty() {
        c.errors.extend(super::limits::check(s));
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(c.errors)
    }
}

/// The kind of node `id`, if there is one.
fn node_kind(s: &Scenario, id: &str) -> Option<NodeKind> {
    s.nodes.iter().find(|n| n.id == id).map(|n| n.kind)
}

/// Run settings, demand scaling and profile, separation, deconfliction, reference.
fn settings(c: &mut Checker, s: &Scenario) {
    c.number("scenario", None, "dt_s", s.dt_s, false);
    c.number("scenario", None, "duration_s", s.duration_s, false);
    c.number(
        "separation",
        None,
        "horizontal_m",
        s.separation.horizontal_m,
        false,
    );
    c.number(
        "separation",
        None,
        "vertical_m",
        s.separation.vertical_m,
        false,
    );
    c.number(
        "separation",
        None,
        "lookahead_s",
        s.separation.lookahead_s,
        true,
    );
    c.number("demand", None, "scale", s.demand.scale, true);
    let d = &s.demand;
    if !(d.start_hour.is_finite() && (0.0..24.0).contains(&d.start_hour)) {
        c.push(
            "demand",
            None,
            "start_hour",
            format!("expected an hour of the day in 0..24, got {}", d.start_hour),
        );
    }
    for (i, &(h, f)) in d.profile.iter().enumerate() {
        if !(h.is_finite() && (0.0..=24.0).contains(&h)) {
            c.push(
                "demand",
                None,
                "profile",
                format!("point {i}: hour must be within 0..24, got {h}"),
            );
        }
        if !(f.is_finite() && f >= 0.0) {
            c.push(
                "demand",
                None,
                "profile",
                format!("point {i}: factor must be a finite number >= 0, got {f}"),
            );
        }
        if i > 0 && h < d.profile[i - 1].0 {
            c.push(
                "demand",
                None,
                "profile",
                format!(
                    "point {i}: hours must not decrease ({} after {})",
                    h,
                    d.profile[i - 1].0
                ),
            );
        }
    }
    c.number(
        "deconfliction",
        None,
        "max_ground_delay_s",
        s.deconfliction.max_ground_delay_s,
        true,
    );
    c.number(
        "deconfliction",
        None,
        "max_hover_s",
        s.deconfliction.max_hover_s,
        true,
    );
    c.number(
        "deconfliction",
        None,
        "replan_after_s",
        s.deconfliction.replan_after_s,
        false,
    );
    c.number(
        "deconfliction",
        None,
        "buffer_s",
        s.deconfliction.buffer_s,
        true,
    );
    if s.deconfliction.buffer_s > 3600.0 {
        c.push(
            "deconfliction",
            None,
            "buffer_s",
            format!("expected at most 3600 s, got {}", s.deconfliction.buffer_s),
        );
    }
    let extra = s.deconfliction.over_water_reserve;
    if !(extra.is_finite() && (0.0..1.0).contains(&extra)) {
        c.push(
            "deconfliction",
            None,
            "over_water_reserve",
            format!("expected a share in 0..1, got {extra}"),
        );
    }
    let reserve = s.deconfliction.battery_reserve;
    if !(reserve.is_finite() && (0.0..1.0).contains(&reserve)) {
        c.push(
            "deconfliction",
            None,
            "battery_reserve",
            format!("expected a share in 0..1, got {reserve}"),
        );
    }
    if let Some(r) = s.reference {
        c.lat_lon("reference", "reference", "lat", r.lat, r.lon);
    }
}

/// Node ids, positions and kinds.
fn nodes(c: &mut Checker, s: &Scenario) {
    c.unique("node", s.nodes.iter().map(|n| n.id.as_str()));
    for n in &s.nodes {
        match (n.lat, n.lon, n.east_m, n.north_m) {
            (Some(lat), Some(lon), None, None) => c.lat_lon("node", &n.id, "lat", lat, lon),
            (None, None, Some(e), Some(nm)) => {
                if !(e.is_finite() && nm.is_finite()) {
                    c.push(
                        "node",
                        Some(&n.id),
                        "east_m",
                        format!("expected finite metres, got ({e}, {nm})"),
                    );
                }
            }
            _ => c.push(
                "node",
                Some(&n.id),
                "lat",
                "give either `lat` and `lon`, or `east_m` and `north_m`".into(),
            ),
        }
        if !n.ground_alt_m.is_finite() {
            c.push(
                "node",
                Some(&n.id),
                "ground_alt_m",
                format!("expected a finite number, got {}", n.ground_alt_m),
            );
        }
        if let NodeKind::Vertiport {
            fatos,
            stands,
            turnaround_s,
            terminal,
        } = n.kind
        {
            vertiport(c, &n.id, fatos, stands, turnaround_s, &terminal);
        }
        if let NodeKind::Gate { capacity_per_hour } = n.kind {
            c.number(
                "node",
                Some(&n.id),
                "capacity_per_hour",
                capacity_per_hour,
                false,
            );
        }
    }
}

/// Highest corridor altitude accepted, metres.
pub const MAX_CORRIDOR_ALT_M: f64 = 10_000.0;
/// Most FATOs a vertiport may have (a row of them is about 60 m a FATO wide; a larger
/// site is several vertiports).
pub const MAX_FATOS: u32 = 16;
/// Most stands a vertiport may have.
pub const MAX_STANDS: u32 = 10_000;
/// Most levels a holding stack may have.
pub const MAX_STACK_LEVELS: u32 = 20;

/// A vertiport's FATOs, stands, turnaround and layout overrides.
fn vertiport(
    c: &mut Checker,
    id: &str,
    fatos: u32,
    stands: Option<u32>,
    turnaround_s: f64,
    t: &crate::scenario::TerminalLayout,
) {
    if fatos == 0 || fatos > MAX_FATOS {
        c.push(
            "node",
            Some(id),
            "fatos",
            format!("expected 1 to {MAX_FATOS} FATOs, got {fatos}"),
        );
    }
    if let Some(n) = stands
        && (n == 0 || n > MAX_STANDS)
    {
        c.push(
            "node",
            Some(id),
            "stands",
            format!("expected 1 to {MAX_STANDS} stands, got {n}"),
        );
    }
    c.number("node", Some(id), "turnaround_s", turnaround_s, true);
    if let Some(b) = t.bearing_deg {
        c.number("node", Some(id), "bearing_deg", b.abs(), true);
    }
    if let Some(m) = t.connector_m {
        c.number("node", Some(id), "connector_m", m, false);
        if m.is_finite() && !(10.0..=50_000.0).contains(&m) {
            c.push(
                "node",
                Some(id),
                "connector_m",
                format!("expected 10 to 50000 m, got {m}"),
            );
        }
    }
    if let Some(m) = t.fato_spacing_m {
        c.number("node", Some(id), "fato_spacing_m", m, false);
        if m.is_finite() && m > 1000.0 {
            c.push(
                "node",
                Some(id),
                "fato_spacing_m",
                format!("expected at most 1000 m, got {m}"),
            );
        }
    }
    if let Some(k) = t.stack_levels
        && k > MAX_STACK_LEVELS
    {
        c.push(
            "node",
            Some(id),
            "stack_levels",
            format!("expected at most {MAX_STACK_LEVELS} levels, got {k}"),
        );
    }
}

/// Corridor ids, ends, bands, speeds, headways and widths.
fn corridors(c: &mut Checker, s: &Scenario) {
    c.unique("corridor", s.corridors.iter().map(|k| k.id.as_str()));
    for k in &s.corridors {
        let id = Some(k.id.as_str());
        for (field, end) in [("from", &k.from), ("to", &k.to)] {
            if node_kind(s, end).is_none() {
                c.push("corridor", id, field, format!("unknown node `{end}`"));
            }
        }
        if k.from == k.to && k.via.is_empty() {
            c.push(
                "corridor",
                id,
                "to",
                format!(
                    "corridor starts and ends at `{}` with no via points",
                    k.from
                ),
            );
        }
        for (i, p) in k.via.iter().enumerate() {
            c.lat_lon("corridor", &k.id, &format!("via[{i}]"), p.lat, p.lon);
        }
        c.number("corridor", id, "min_alt_m", k.min_alt_m, true);
        c.number("corridor", id, "max_alt_m", k.max_alt_m, true);
        if k.max_alt_m.is_finite() && k.max_alt_m > MAX_CORRIDOR_ALT_M {
            c.push(
                "corridor",
                id,
                "max_alt_m",
                format!(
                    "expected at most {MAX_CORRIDOR_ALT_M} m (low-altitude corridors), got {}",
                    k.max_alt_m
                ),
            );
        }
        if k.min_alt_m.is_finite() && k.max_alt_m.is_finite() && k.max_alt_m <= k.min_alt_m {
            c.push(
                "corridor",
                id,
                "max_alt_m",
                format!(
                    "empty altitude band: max_alt_m ({}) must be above min_alt_m ({})",
                    k.max_alt_m, k.min_alt_m
                ),
            );
        }
        c.number("corridor", id, "width_m", k.width_m, false);
        c.number("corridor", id, "speed_limit_mps", k.speed_limit_mps, false);
        c.number("corridor", id, "headway_s", k.headway_s, true);
    }
}

/// Zones, airports and jurisdictions.
fn regions(c: &mut Checker, s: &Scenario) {
    c.unique("zone", s.zones.iter().map(|z| z.id.as_str()));
    if let Some(a) = &s.airports {
        c.number("airports", None, "radius_m", a.radius_m, false);
        c.number("airports", None, "ceiling_m", a.ceiling_m, false);
        for (id, r) in &a.radius_by_id {
            c.number("airports", None, &format!("radius_by_id.{id}"), *r, false);
        }
    }
    c.unique(
        "jurisdiction",
        s.jurisdictions.iter().map(|j| j.id.as_str()),
    );
    for j in &s.jurisdictions {
        let id = Some(j.id.as_str());
        match &j.area {
            Area::Polygon { points } => {
                c.polygon("jurisdiction", &j.id, points);
            }
            Area::Land { feature, centres } => {
                if s.land_geojson.is_none() {
                    c.push(
                        "jurisdiction",
                        id,
                        "area",
                        format!(
                            "`Land(feature: \"{feature}\")` needs the scenario's `land_geojson`"
                        ),
                    );
                }
                for p in centres {
                    c.lat_lon("jurisdiction", &j.id, "centres", p.lat, p.lon);
                }
                if centres.is_empty() {
                    let sharing = s
                        .jurisdictions
                        .iter()
                        .filter(
                            |o| matches!(&o.area, Area::Land { feature: f, .. } if f == feature),
                        )
                        .count();
                    if sharing > 1 {
                        c.push(
                            "jurisdiction",
                            id,
                            "centres",
                            format!(
                                "{sharing} jurisdictions share land feature `{feature}`: each needs `centres`"
                            ),
                        );
                    }
                }
            }
        }
        let r = &j.rules;
        for (field, v) in [("min_alt_m", r.min_alt_m), ("max_alt_m", r.max_alt_m)] {
            if let Some(v) = v {
                c.number("jurisdiction", id, field, v, true);
            }
        }
        for (field, v) in [
            ("speed_limit_mps", r.speed_limit_mps),
            ("horizontal_m", r.horizontal_m),
            ("vertical_m", r.vertical_m),
        ] {
            if let Some(v) = v {
                c.number("jurisdiction", id, field, v, false);
            }
        }
        if let (Some(lo), Some(hi)) = (r.min_alt_m, r.max_alt_m)
            && hi <= lo
        {
            c.push(
                "jurisdiction",
                id,
                "max_alt_m",
                format!("empty altitude band: max_alt_m ({hi}) must be above min_alt_m ({lo})"),
            );
        }
    }
    for z in &s.zones {
        let id = Some(z.id.as_str());
        match &z.shape {
            Shape::Circle { center, radius_m } => {
                c.lat_lon("zone", &z.id, "center", center.lat, center.lon);
                c.number("zone", id, "radius_m", *radius_m, false);
            }
            Shape::Polygon { points } => c.polygon("zone", &z.id, points),
        }
        if !(z.min_alt_m.is_finite() && z.max_alt_m.is_finite() && z.max_alt_m > z.min_alt_m) {
            c.push(
                "zone",
                id,
                "max_alt_m",
                format!(
                    "expected finite min_alt_m < max_alt_m, got {}..{}",
                    z.min_alt_m, z.max_alt_m
                ),
            );
        }
        if let Some(w) = z.active
            && !(w.start_s.is_finite() && w.end_s.is_finite() && w.end_s > w.start_s)
        {
            c.push(
                "zone",
                id,
                "active",
                format!("expected start_s < end_s, got {}..{}", w.start_s, w.end_s),
            );
        }
    }
}

/// Largest navigation error standard deviation a drone type may have, metres.
const MAX_NAV_SD_M: f64 = 50.0;

/// Drone types and their performance.
fn fleet(c: &mut Checker, s: &Scenario) {
    c.unique("drone type", s.drone_types.iter().map(|t| t.id.as_str()));
    for t in &s.drone_types {
        let id = Some(t.id.as_str());
        c.number(
            "drone type",
            id,
            "cruise_speed_mps",
            t.cruise_speed_mps,
            false,
        );
        c.number("drone type", id, "max_speed_mps", t.max_speed(), false);
        if let Some(p) = t.report_period_s {
            c.number("drone type", id, "report_period_s", p, false);
        }
        if t.max_speed() < t.cruise_speed_mps {
            c.push(
                "drone type",
                id,
                "max_speed_mps",
                "must not be below cruise_speed_mps".into(),
            );
        }
        c.number("drone type", id, "climb_rate_mps", t.climb_rate_mps, false);
        c.number(
            "drone type",
            id,
            "descent_rate_mps",
            t.descent_rate_mps,
            false,
        );
        c.number("drone type", id, "accel_mps2", t.accel_mps2, false);
        c.number("drone type", id, "radius_m", t.radius_m, true);
        c.number("drone type", id, "battery_wh", t.battery_wh, false);
        c.number("drone type", id, "hover_power_w", t.hover_power_w, true);
        c.number("drone type", id, "cruise_power_w", t.cruise_power_w, true);
        c.number("drone type", id, "climb_power_w", t.climb_power(), true);
        let n = &t.navigation;
        for (field, sd) in [
            ("navigation.horizontal_sd_m", n.horizontal_sd_m),
            ("navigation.vertical_sd_m", n.vertical_sd_m),
        ] {
            c.number("drone type", id, field, sd, true);
            if sd.is_finite() && sd > MAX_NAV_SD_M {
                c.push(
                    "drone type",
                    id,
                    field,
                    format!(
                        "expected at most {MAX_NAV_SD_M} m (a drone that strays further \
                         does not fly a corridor), got {sd}"
                    ),
                );
            }
        }
        c.number(
            "drone type",
            id,
            "navigation.time_constant_s",
            n.time_constant_s,
            false,
        );
    }
}

/// Flows and explicit flights: known ends and types, rates and times.
fn demand(c: &mut Checker, s: &Scenario) {
    let type_known = |id: &str| s.drone_types.iter().any(|t| t.id == id);
    let check_vertiport =
        |c: &mut Checker, kind: &str, id: &str, field: &str, node: &str| match node_kind(s, node) {
            None => c.push(kind, Some(id), field, format!("unknown node `{node}`")),
            Some(NodeKind::Waypoint) => c.push(
                kind,
                Some(id),
                field,
                format!("`{node}` is a waypoint, not a vertiport"),
            ),
            Some(NodeKind::Gate { .. }) => c.push(
                kind,
                Some(id),
                field,
                format!("`{node}` is a border gate, not a vertiport"),
            ),
            Some(NodeKind::Vertiport { .. }) => {}
        };

    for (i, f) in s.demand.flows.iter().enumerate() {
        let id = format!("{}->{}", f.origin, f.destination);
        let label = format!("demand.flows[{i}] {id}");
        check_vertiport(c, "flow", &id, "origin", &f.origin);
        check_vertiport(c, "flow", &id, "destination", &f.destination);
        if f.origin == f.destination {
            c.push(
                "flow",
                Some(&id),
                "destination",
                "origin and destination are the same vertiport".into(),
            );
        }
        c.number(
            "flow",
            Some(&id),
            "flights_per_hour",
            f.flights_per_hour,
            true,
        );
        c.number("flow", Some(&id), "start_s", f.start_s, true);
        if let Some(end) = f.end_s {
            c.number("flow", Some(&id), "end_s", end, true);
        }
        if f.mix.is_empty() {
            c.push(
                "flow",
                Some(&id),
                "mix",
                format!("{label}: needs at least one drone type"),
            );
        }
        for (t, w) in &f.mix {
            if !type_known(t) {
                c.push(
                    "flow",
                    Some(&id),
                    "mix",
                    format!("unknown drone type `{t}`"),
                );
            }
            c.number("flow", Some(&id), "mix", *w, true);
        }
        if f.mix.values().all(|w| *w == 0.0) && !f.mix.is_empty() {
            c.push("flow", Some(&id), "mix", "weights must not all be 0".into());
        }
    }
    let mut flight_ids = BTreeSet::new();
    for (i, f) in s.demand.flights.iter().enumerate() {
        let id = f.id.clone().unwrap_or_else(|| format!("F{i}"));
        if !flight_ids.insert(id.clone()) {
            c.push(
                "flight",
                Some(&id),
                "id",
                format!("duplicate flight id {id}"),
            );
        }
        check_vertiport(c, "flight", &id, "origin", &f.origin);
        check_vertiport(c, "flight", &id, "destination", &f.destination);
        if f.origin == f.destination {
            c.push(
                "flight",
                Some(&id),
                "destination",
                "origin and destination are the same vertiport".into(),
            );
        }
        if !type_known(&f.drone_type) {
            c.push(
                "flight",
                Some(&id),
                "drone_type",
                format!("unknown drone type `{}`", f.drone_type),
            );
        }
        c.number("flight", Some(&id), "departure_s", f.departure_s, true);
    }
}

/// Winds below the slowest planned airspeed, noise scales that are numbers.
/// Most coverage cells a scenario may have (each report looks through them).
pub const MAX_CELLS: usize = 100_000;

/// Most points in a cell's range by altitude.
pub const MAX_RANGE_POINTS: usize = 64;

/// The communications layer: every number finite and in range, ids unique.
fn comms(c: &mut Checker, s: &Scenario) {
    let k = &s.comms;
    c.number("comms", None, "latency_ms", k.latency_ms, true);
    c.number("comms", None, "jitter_ms", k.jitter_ms, true);
    c.number("comms", None, "capacity_per_s", k.capacity_per_s, true);
    c.number("comms", None, "report_period_s", k.report_period_s, false);
    c.number("comms", None, "stale_after_s", k.stale_after_s, false);
    c.number("comms", None, "handover_s", k.handover_s, true);
    c.number(
        "comms",
        None,
        "lost_link_after_s",
        k.lost_link_after_s,
        true,
    );
    // The longest time between two reports of any drone type.
    let longest = s
        .drone_types
        .iter()
        .filter_map(|t| t.report_period_s)
        .fold(k.report_period_s, f64::max);
    if k.lost_link_after_s > 0.0 && k.lost_link_after_s <= longest {
        c.push(
            "comms",
            None,
            "lost_link_after_s",
            format!(
                "expected 0 (never) or more than the longest report period ({longest} s), got {} (drones would lose their link between two reports)",
                k.lost_link_after_s
            ),
        );
    }
    let share = |c: &mut Checker, id: Option<&str>, field: &str, x: f64| {
        if !(x.is_finite() && (0.0..=1.0).contains(&x)) {
            c.push(
                "comms",
                id,
                field,
                format!("expected a share from 0 to 1, got {x}"),
            );
        }
    };
    share(c, None, "loss", k.loss);
    if k.jitter_ms.is_finite() && k.latency_ms.is_finite() && k.jitter_ms > k.latency_ms {
        c.push(
            "comms",
            None,
            "jitter_ms",
            format!(
                "expected at most latency_ms ({}), got {} (a latency cannot be negative)",
                k.latency_ms, k.jitter_ms
            ),
        );
    }
    if k.cells.len() > MAX_CELLS {
        c.push(
            "comms",
            None,
            "cells",
            format!("{} cells, over the limit of {MAX_CELLS}", k.cells.len()),
        );
        return;
    }
    c.unique("cell", k.cells.iter().map(|cell| cell.id.as_str()));
    for cell in &k.cells {
        let id = Some(cell.id.as_str());
        c.lat_lon("cell", &cell.id, "lat", cell.lat, cell.lon);
        c.number("cell", id, "range_m", cell.range_m, false);
        if cell.range_by_alt.len() > MAX_RANGE_POINTS {
            c.push(
                "cell",
                id,
                "range_by_alt",
                format!(
                    "{} points, over the limit of {MAX_RANGE_POINTS}",
                    cell.range_by_alt.len()
                ),
            );
        } else {
            for (k, &(alt, range)) in cell.range_by_alt.iter().enumerate() {
                c.number("cell", id, "range_by_alt altitude", alt, true);
                c.number("cell", id, "range_by_alt range", range, true);
                if k > 0 && alt.is_finite() && alt <= cell.range_by_alt[k - 1].0 {
                    c.push(
                        "cell",
                        id,
                        "range_by_alt",
                        format!(
                            "expected altitudes rising, got {alt} after {}",
                            cell.range_by_alt[k - 1].0
                        ),
                    );
                }
            }
        }
        c.number("cell", id, "max_alt_m", cell.max_alt_m, false);
        if let Some(x) = cell.latency_ms {
            c.number("cell", id, "latency_ms", x, true);
            if k.jitter_ms.is_finite() && x.is_finite() && k.jitter_ms > x {
                c.push(
                    "cell",
                    id,
                    "latency_ms",
                    format!(
                        "expected at least comms.jitter_ms ({}), got {x}",
                        k.jitter_ms
                    ),
                );
            }
        }
        if let Some(x) = cell.loss {
            share(c, id, "loss", x);
        }
        if let Some(x) = cell.capacity_per_s {
            c.number("cell", id, "capacity_per_s", x, true);
        }
    }
}

fn uncertainty(c: &mut Checker, s: &Scenario) {
    let u = &s.uncertainty;
    let slowest = s.slowest_airspeed_mps();
    let g = &u.gusts;
    c.number("uncertainty", None, "gusts.sd_mps", g.sd_mps, true);
    c.number(
        "uncertainty",
        None,
        "gusts.time_constant_s",
        g.time_constant_s,
        false,
    );
    let gust = if g.sd_mps.is_finite() {
        g.max_mps()
    } else {
        0.0
    };
    for (field, w, gust) in [
        ("wind", Some(&u.wind), gust),
        ("forecast", u.forecast.as_ref(), 0.0),
    ] {
        let Some(w) = w else { continue };
        c.number(
            "uncertainty",
            None,
            &format!("{field}.from_deg"),
            w.from_deg,
            true,
        );
        c.number(
            "uncertainty",
            None,
            &format!("{field}.speed_mps"),
            w.speed_mps,
            true,
        );
        if w.grid_csv.is_some() && (w.speed_mps != 0.0 || w.from_deg != 0.0) {
            c.push(
                "uncertainty",
                None,
                &format!("{field}.grid_csv"),
                "a gridded wind replaces `from_deg` and `speed_mps`: leave them out".into(),
            );
        }
        if w.speed_mps.is_finite() && w.speed_mps + gust >= slowest {
            let with = if gust > 0.0 {
                format!(" with gusts of up to {gust:.1} m/s (4 sd on each axis)")
            } else {
                String::new()
            };
            c.push(
                "uncertainty",
                None,
                &format!("{field}.speed_mps"),
                format!(
                    "a wind of {} m/s{with} is not below the slowest planned airspeed \
                     ({slowest} m/s, the slowest cruise speed or corridor limit): a drone \
                     could not make headway",
                    w.speed_mps
                ),
            );
        }
    }
    let n = &u.schedule;
    c.number(
        "uncertainty",
        None,
        "schedule.departure_sd_s",
        n.departure_sd_s,
        true,
    );
    c.number("uncertainty", None, "schedule.speed_sd", n.speed_sd, true);
    if n.speed_sd.is_finite() && n.speed_sd > 0.3 {
        c.push(
            "uncertainty",
            None,
            "schedule.speed_sd",
            format!(
                "expected at most 0.3 (30 % of the planned airspeed), got {}",
                n.speed_sd
            ),
        );
    }
}
