//! The separation check of every step: the table of tracks (one per airborne drone, with
//! the minima of where it flies and where it is), the R-tree broad phase over reach
//! boxes, the exact pair check, and optionally the all-pairs oracle beside it. Every pair
//! is checked everywhere, terminal areas included.
//!
//! Owns: the per-step [`TrackTable`], the [`Broadphase`] and the step's encounters.
//! Does not own: events (the [`EventTracker`](super::events::EventTracker) turns
//! encounters into them) or resolution.
//!
//! The maths and the invariant (detection equals the all-pairs oracle) are in
//! [`separation`](super::separation).

use glam::DVec3;

use super::Fleet;
use super::flight::{Airborne, Dynamics};
use super::motion::Moved;
use super::separation::{
    Aabb, Broadphase, Encounter, PairRules, Params, Track, detect_brute_force, grow,
};
use serde::Serialize;

use crate::ids::{FlightId, NodeId};
use crate::network::{Network, Terminal};
use crate::planner::Plan;
use crate::scenario::{DroneType, Tactical};

/// Steps between rebuilds of the separation R-tree when no tactical method can move
/// drones off their plans (results do not depend on it). A longer interval means fewer
/// rebuilds and longer reach boxes, so more candidate pairs to check each step: boxes
/// along lanes grow by the distance flown, so 32 steps ran the benches a tenth faster
/// than 16 (README, Performance).
pub const DEFAULT_REFRESH_STEPS: u32 = 32;

/// Steps between rebuilds when a tactical method can move drones off their plans: their
/// reach boxes then widen in every direction the method moves drones, with the interval
/// (at 32 steps `bench --tactical Mvp` ran a fifth slower than at 16; 8 to 16 were alike).
pub const MANOEUVRING_REFRESH_STEPS: u32 = 16;

/// One step's tracks, in stepping order, with what each pair check needs to know of them.
#[derive(Debug, Default, Clone)]
pub struct TrackTable {
    /// Position and velocity of each airborne drone.
    tracks: Vec<Track>,
    /// Flight of each track (as the broad phase's stable id).
    ids: Vec<u32>,
    /// With local minima, each track's `[horizontal_m, vertical_m]`.
    minima: Vec<[f32; 2]>,
}

/// Shortest overlap of a piece of a step with the minima that counts as a loss, seconds.
const TOUCH_S: f64 = 1e-6;

/// Where a drone's path bends within the coming step (a climb levelling off, a turn): in
/// how many seconds, and its velocity after. `at_s` is infinite when it does not.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Knot {
    at_s: f64,
    vel: [f32; 3],
    /// Where the drone is at the knot (from the path's own geometry, so a level reached
    /// there is exactly that level).
    pos: [f64; 3],
}

impl Knot {
    const NONE: Knot = Knot {
        at_s: f64::INFINITY,
        vel: [0.0; 3],
        pos: [0.0; 3],
    };

    /// The knot of a drone at `d` on `plan` within a step of `dt` (speed held).
    fn of(d: &Dynamics, plan: &Plan, dt: f64) -> Knot {
        let Some(at_s) = plan.bend_within(&d.motion, dt) else {
            return Knot::NONE;
        };
        let (k, u, path) = (d.motion.seg as usize, d.motion.u, &plan.path);
        // The offset's rate carries on; the path's part turns onto the next segment.
        let own = DVec3::from(path.segs[k].dir) * u;
        let vel = d.vel - own + DVec3::from(path.segs[k + 1].dir) * u;
        let off = d.pos - DVec3::from(path.position(k, d.motion.s));
        Knot {
            at_s,
            vel: vel.as_vec3().to_array(),
            pos: (DVec3::from(path.segs[k + 1].start) + off).to_array(),
        }
    }
}

impl TrackTable {
    /// Fills the table from the drones in the air; with `net.local_minima` each track
    /// gets its own minima.
    pub(crate) fn fill(&mut self, airborne: &[Airborne], fleet: &Fleet, net: &Network) {
        self.tracks.clear();
        self.ids.clear();
        self.minima.clear();
        for a in airborne {
            self.tracks.push(Track {
                pos: a.d.pos,
                vel: a.d.vel,
            });
            self.ids.push(a.flight.0);
            if net.local_minima {
                let plan = fleet.plan(a.flight);
                self.minima.push(minima_at(net, plan, a.d.motion.seg));
            }
        }
    }

    /// The table's rows for `n` drones, to be written by the move (see
    /// `motion::advance_all`): tracks, flight ids and, with `local_minima`, minima.
    pub(crate) fn rows(
        &mut self,
        n: usize,
        local_minima: bool,
    ) -> (&mut [Track], &mut [u32], &mut [[f32; 2]]) {
        self.tracks.resize(n, Track::default());
        self.ids.resize(n, 0);
        self.minima
            .resize(if local_minima { n } else { 0 }, [0.0; 2]);
        (&mut self.tracks, &mut self.ids, &mut self.minima)
    }

    /// Removes the rows at places `gone` (ascending), in step with the drones leaving
    /// the air after the move.
    pub(crate) fn remove(&mut self, gone: &[usize]) {
        super::remove_sorted(&mut self.tracks, gone);
        super::remove_sorted(&mut self.ids, gone);
        if !self.minima.is_empty() {
            super::remove_sorted(&mut self.minima, gone);
        }
    }

    /// Whether the table is what [`Self::fill`] would make of `airborne` (checked in
    /// debug builds before every check that relies on the move having written it).
    fn matches(&self, airborne: &[Airborne], fleet: &Fleet, net: &Network) -> bool {
        let mut fresh = TrackTable::default();
        fresh.fill(airborne, fleet, net);
        fresh.tracks == self.tracks && fresh.ids == self.ids && fresh.minima == self.minima
    }

    /// The tracks, in stepping order.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// When pair `e` is in loss of separation during the coming step `[0, dt)`, flying
    /// their paths (speeds held), as `(from, to)` seconds; `None` when it is not. The
    /// encounter's straight lines are exact unless a path bends within the step: then
    /// each piece between bends is checked on its own (a climb levelling off is not
    /// carried past its level, a turn not past its corner). `airborne` are the drones the
    /// table was filled from, in its order, and `settled` the move's rows for them; the
    /// bends are found only for the pairs asked, and a drone's plan is read only when
    /// its row says its path bends within the step.
    pub(crate) fn los_in_step(
        &self,
        p: &Params,
        e: &Encounter,
        (airborne, settled): (&[Airborne], &[Moved]),
        fleet: &Fleet,
    ) -> Option<(f64, f64)> {
        let knot = |i: u32| {
            let a = &airborne[i as usize];
            let of = || Knot::of(&a.d, fleet.plan(a.flight), p.dt_s);
            if settled[i as usize].bends() {
                of()
            } else {
                debug_assert!(of().at_s.is_infinite(), "the row says where paths bend");
                Knot::NONE
            }
        };
        self.los_pieces(p, e, [knot(e.a), knot(e.b)])
    }

    /// [`Self::los_in_step`] with the pair's bends given.
    fn los_pieces(&self, p: &Params, e: &Encounter, [ka, kb]: [Knot; 2]) -> Option<(f64, f64)> {
        let dt = p.dt_s;
        let (a, b) = (e.a as usize, e.b as usize);
        if ka.at_s.is_infinite() && kb.at_s.is_infinite() {
            return e
                .los_in_step(dt)
                .then(|| (e.t_in.max(0.0), e.t_out.min(dt)));
        }
        let pp = super::separation::pair_params(p, &self.minima, a, b);
        let mut cuts = vec![0.0, ka.at_s, kb.at_s, dt];
        cuts.retain(|t| (0.0..=dt).contains(t));
        cuts.sort_by(f64::total_cmp);
        let at = |t: &Track, k: Knot, t0: f64| {
            let kt = k.at_s;
            let after = DVec3::from(k.vel.map(f64::from));
            if t0 < kt {
                Track {
                    pos: t.pos + t.vel * t0,
                    vel: t.vel,
                }
            } else {
                Track {
                    pos: DVec3::from(k.pos) + after * (t0 - kt),
                    vel: after,
                }
            }
        };
        let (ta, tb) = (&self.tracks[a], &self.tracks[b]);
        let mut out: Option<(f64, f64)> = None;
        for w in cuts.windows(2) {
            let (t0, t1) = (w[0], w[1]);
            if t1 <= t0 {
                continue;
            }
            let (sa, sb) = (at(ta, ka, t0), at(tb, kb, t0));
            if let Some((lo, hi)) = super::separation::encounter_interval(&pp, &sa, &sb) {
                let (lo, hi) = ((t0 + lo).max(t0), (t0 + hi).min(t1));
                // (A piece that only touches the minima where it meets the next, by
                // rounding, is not a loss.)
                if hi - lo > TOUCH_S {
                    out = Some(out.map_or((lo, hi), |o| (o.0.min(lo), o.1.max(hi))));
                }
            }
        }
        out
    }

    /// The flight of track `i`.
    pub fn flight(&self, i: usize) -> FlightId {
        FlightId(self.ids[i])
    }

    /// The per-pair rules (minima by place).
    pub fn rules(&self) -> PairRules<'_> {
        PairRules {
            minima: &self.minima,
        }
    }
}

/// The part of a terminal area a drone is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminalPart {
    /// From above its FATO to the fix, and on the departure connector.
    Departure,
    /// In the holding stack over the fix, or the line behind it.
    Holding,
    /// From the fix to above its FATO.
    Approach,
    /// Straight above its FATO: climbing off it or descending onto it.
    Fato,
}

/// Where a drone is, for locating events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackPlace {
    /// In a terminal area of a vertiport: the connector, the legs to and from the FATOs,
    /// the stack.
    Terminal(NodeId, TerminalPart),
    /// Within one horizontal minimum (along its path) of a node where lanes meet.
    Junction(NodeId),
    /// On a lane, away from nodes.
    EnRoute,
}

/// What locating a drone needs of its dynamics.
#[derive(Debug, Clone, Copy)]
pub struct PlaceInput {
    s: f64,
    seg: u32,
    holding: bool,
}

impl PlaceInput {
    /// The inputs of a drone in state `d`. Holding: over the fix in the stack, or stopped
    /// in the line behind it.
    pub fn of(d: &Dynamics) -> PlaceInput {
        PlaceInput {
            s: d.motion.s,
            seg: d.motion.seg,
            holding: d.stack_level > 0 && !d.fato_granted || d.line_place > 0 && d.motion.u < 0.5,
        }
    }
}

impl TrackPlace {
    /// Where a drone on `plan` is.
    pub fn of(plan: &Plan, d: PlaceInput, net: &Network) -> TrackPlace {
        let segs = &plan.path.segs;
        let k = d.seg as usize;
        if d.holding {
            return TrackPlace::Terminal(plan.destination, TerminalPart::Holding);
        }
        let Some(lane) = segs[k].lane else {
            let last = segs.len() - 1;
            return match k {
                0 => TrackPlace::Terminal(plan.origin, TerminalPart::Fato),
                1 => TrackPlace::Terminal(plan.origin, TerminalPart::Departure),
                k if k == last => TrackPlace::Terminal(plan.destination, TerminalPart::Fato),
                _ => TrackPlace::Terminal(plan.destination, TerminalPart::Approach),
            };
        };
        let l = &net.lanes[lane];
        // Distance along the path to the start and end of this lane.
        let run = plan.path.lane_run(k);
        let from_start = d.s - plan.path.cum[run.start];
        let to_end = plan.path.cum[run.end] - d.s;
        if l.connector {
            // Near its junction, or changing level where it leaves it: the junction's.
            let junction = if l.reverse { l.to } else { l.from };
            let near = if l.reverse { to_end } else { from_start };
            let zone = net.terminal(junction).map_or(l.minima[0], |t| t.junction_m);
            if near <= zone || segs[k].dir[2] != 0.0 {
                return TrackPlace::Junction(junction);
            }
            return if l.reverse {
                TrackPlace::Terminal(plan.origin, TerminalPart::Departure)
            } else {
                TrackPlace::Terminal(plan.destination, TerminalPart::Approach)
            };
        }
        if from_start <= l.minima[0] {
            TrackPlace::Junction(l.from)
        } else if to_end <= l.minima[0] {
            TrackPlace::Junction(l.to)
        } else {
            TrackPlace::EnRoute
        }
    }
}

/// Separation minima of a drone on segment `seg` of `plan`: its lane's (the lane's
/// jurisdiction), or on a terminal leg those of its vertiport.
pub(crate) fn minima_at(net: &Network, plan: &Plan, seg: u32) -> [f32; 2] {
    let m = match plan.path.segs[seg as usize].lane {
        None => {
            let node = if seg <= 1 {
                plan.origin
            } else {
                plan.destination
            };
            net.nodes[node]
                .jurisdiction
                .map_or(net.base_minima, |j| net.jurisdictions[j].minima)
        }
        Some(lane) => net.lanes[lane].minima,
    };
    [m[0] as f32, m[1] as f32]
}

/// Asks the processor for what [`minima_at`] will read on a lane (a hint: nothing
/// changes).
pub(crate) fn prefetch_minima(net: &Network, plan: &Plan, seg: u32) {
    if let Some(lane) = plan.path.segs.get(seg as usize).and_then(|s| s.lane) {
        super::prefetch(&net.lanes[lane].minima);
    }
}

/// The separation check: tracks, broad phase, encounters.
#[derive(Clone)]
pub struct Detection {
    params: Params,
    broadphase: Broadphase,
    /// Set by [`Self::set_refresh_steps`]; `None`: by the manoeuvres
    /// ([`Manoeuvres::refresh_steps`]).
    refresh_steps: Option<u32>,
    verify: bool,
    mismatches: u64,
    table: TrackTable,
    encounters: Vec<Encounter>,
}

impl Detection {
    /// A check with the given parameters (the broad phase must cover the largest minima
    /// anywhere; each pair is then checked against its own).
    pub fn new(params: Params) -> Self {
        Detection {
            params,
            broadphase: Broadphase::new(DEFAULT_REFRESH_STEPS),
            refresh_steps: None,
            verify: false,
            mismatches: 0,
            table: TrackTable::default(),
            encounters: Vec::new(),
        }
    }

    /// The separation parameters in force.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// This step's tracks.
    pub fn table(&self) -> &TrackTable {
        &self.table
    }

    /// The broad phase's candidate pairs of flight indices (see
    /// [`Broadphase::candidates`]).
    pub fn candidates(&self) -> &[(u32, u32)] {
        self.broadphase.candidates()
    }

    /// This step's encounters (pairs in conflict), track indices into [`Self::table`].
    pub fn encounters(&self) -> &[Encounter] {
        &self.encounters
    }

    /// Steps where the R-tree and the all-pairs check disagreed (only counted with
    /// [`Self::set_verify`]; must stay 0).
    pub fn mismatches(&self) -> u64 {
        self.mismatches
    }

    /// Sets how many steps the R-tree is kept before it is rebuilt (at least 1), instead
    /// of [`Manoeuvres::refresh_steps`].
    pub fn set_refresh_steps(&mut self, steps: u32) {
        self.refresh_steps = Some(steps.max(1));
        self.broadphase = Broadphase::new(steps);
    }

    /// How many steps the R-tree is kept before it is rebuilt, with these manoeuvres.
    pub fn refresh_steps(&self, moves: Manoeuvres) -> u32 {
        self.refresh_steps.unwrap_or_else(|| moves.refresh_steps())
    }

    /// Also runs the all-pairs check every step and counts disagreements.
    pub fn set_verify(&mut self, on: bool) {
        self.verify = on;
    }

    /// The track table, for the move to write (see [`Self::detect_moved`]).
    pub(crate) fn table_mut(&mut self) -> &mut TrackTable {
        &mut self.table
    }

    /// Checks the drones in the air after a step of `dt`; `moves` says how tactical
    /// resolution may move drones off their plan (reach boxes then widen by it).
    pub(crate) fn detect(
        &mut self,
        airborne: &[Airborne],
        fleet: &Fleet,
        net: &Network,
        moves: Manoeuvres,
        dt: f64,
    ) {
        self.table.fill(airborne, fleet, net);
        self.detect_moved(airborne, fleet, net, moves, dt);
    }

    /// [`Self::detect`] on a table the move has already written for `airborne`.
    pub(crate) fn detect_moved(
        &mut self,
        airborne: &[Airborne],
        fleet: &Fleet,
        net: &Network,
        moves: Manoeuvres,
        dt: f64,
    ) {
        debug_assert!(
            self.table.matches(airborne, fleet, net),
            "the track table is out of step with the drones in the air"
        );
        let refresh = self.refresh_steps(moves);
        self.broadphase.set_refresh_steps(refresh);
        let (p, ahead_s) = (&self.params, f64::from(refresh) * dt);
        self.broadphase.detect(
            &self.table.ids,
            &self.table.tracks,
            p,
            &self.table.rules(),
            |i| {
                let a = &airborne[i];
                let t = fleet.drone_type(a.flight);
                let plan = fleet.plan(a.flight);
                let term = net.terminal(plan.destination);
                let reach = moves.of_drone(&a.d).reach(t);
                reach_box(
                    plan,
                    &a.d,
                    ahead_s,
                    p,
                    reach,
                    term.map(|tm| (tm, t)),
                    |k| fleet.flown_speed_bound(net, a.flight, k),
                    net.weather.max_actual_mps(),
                )
            },
            &mut self.encounters,
        );
        if self.verify && !self.matches_oracle() {
            self.mismatches += 1;
        }
    }

    /// Whether this step's encounters are exactly the all-pairs check's.
    fn matches_oracle(&self) -> bool {
        let ids = &self.table.ids;
        let key = |e: &Encounter| {
            let (x, y) = (ids[e.a as usize], ids[e.b as usize]);
            (x.min(y), x.max(y), e.t_in.to_bits(), e.t_out.to_bits())
        };
        let mut got: Vec<_> = self.encounters.iter().map(key).collect();
        let mut want: Vec<_> =
            detect_brute_force(&self.table.tracks, &self.params, &self.table.rules())
                .iter()
                .map(key)
                .collect();
        got.sort_unstable();
        want.sort_unstable();
        got == want
    }
}

/// Which ways tactical resolution may move drones off their plans (all false: none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Manoeuvres {
    /// Up or down off the plan's level.
    pub vertical: bool,
    /// Sideways off the lane's centre line, and faster than planned on a lane.
    pub horizontal: bool,
    /// The most any drone may be off its centre line, metres (half the widest
    /// corridor).
    pub side_max_m: f64,
}

impl Manoeuvres {
    /// The ways `tactical` moves drones off their plans, sideways never more than
    /// `side_max_m` off a centre line.
    pub fn of(tactical: Tactical, side_max_m: f64) -> Self {
        Manoeuvres {
            vertical: matches!(tactical, Tactical::Vertical | Tactical::Mvp),
            horizontal: tactical == Tactical::Mvp,
            side_max_m,
        }
    }

    /// How many steps the separation R-tree is kept before it is rebuilt by default:
    /// [`MANOEUVRING_REFRESH_STEPS`] when drones can be moved off their plans,
    /// [`DEFAULT_REFRESH_STEPS`] when not.
    pub fn refresh_steps(self) -> u32 {
        if self.vertical || self.horizontal {
            MANOEUVRING_REFRESH_STEPS
        } else {
            DEFAULT_REFRESH_STEPS
        }
    }

    /// The moves drone state `d` can make: these, and those of a manoeuvre it is still
    /// finishing (an offset it is moving to, a speed it was told to fly), whatever the
    /// method in force now: a method switched off mid-run leaves drones finishing what it
    /// began, and their reach boxes must hold that too.
    pub fn of_drone(self, d: &Dynamics) -> Self {
        Manoeuvres {
            vertical: self.vertical || d.offset_target_m != d.offset_m || d.offset_rate_mps != 0.0,
            horizontal: self.horizontal || d.lateral_target_m != d.lateral_m || d.speed_up,
            ..self
        }
    }

    /// How far those moves can take a drone of type `t` (see [`Reach`]).
    pub fn reach(self, t: &DroneType) -> Reach {
        Reach {
            climb_mps: if self.vertical {
                t.climb_rate_mps.max(t.descent_rate_mps)
            } else {
                0.0
            },
            side_mps: if self.horizontal {
                super::motion::side_rate_mps(t)
            } else {
                0.0
            },
            fast_mps: if self.horizontal { t.max_speed() } else { 0.0 },
            side_max_m: if self.horizontal {
                self.side_max_m
            } else {
                0.0
            },
            nav_m: t.navigation.bound_m(),
        }
    }
}

/// What tactical resolution can do to one drone, for its reach box (zeros: nothing).
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach {
    /// Fastest rate it can change level off its plan, m/s.
    pub climb_mps: f64,
    /// Fastest it moves sideways off its lane's centre line, m/s.
    pub side_mps: f64,
    /// Fastest it may fly on a lane when sped up, m/s.
    pub fast_mps: f64,
    /// The most it may be off its centre line, metres.
    pub side_max_m: f64,
    /// The most its navigation error can be, `[east and north, vertical]`, metres (not
    /// tactical, but it moves the drone off its plan too).
    pub nav_m: [f64; 2],
}

/// A box containing every straight-line prediction (`pos + vel * tau`, `tau` up to the
/// look-ahead) a drone on `plan` in state `d` can make during the next `ahead_s` seconds,
/// grown by half the minima. `tactical` bounds what resolution may do to it (vertical
/// and sideways offsets, speeding up on lanes). Speed along a path never exceeds the
/// largest segment limit met so far (the rule in [`crate::planner::advance`]), or on a
/// lane the speed resolution may order, so walking the path with that running maximum
/// bounds both where the drone gets to and how far it can extrapolate from there.
///
/// `terminal`: the destination's terminal area and the drone's type. When the drone can
/// reach its arrival connector within `ahead_s`, the box also covers what the terminal
/// area may do to it meanwhile: a stack level (an offset up to the top level, changed at
/// the type's rates, only on the connector or past the fix) and an approach to any of the
/// FATOs (a plan variant that differs only past the fix). So does a drone that has asked
/// for a FATO or holds a stack level; an altitude offset alone does not (tactical offsets
/// happen anywhere on a lane, and would stretch every such box to its destination).
///
/// `flown(k)`: the most speed the drone can fly on segment `k` (its plan's in the forecast
/// wind; see [`Fleet::flown_speed_bound`]); `wind_mps`: the strongest actual wind and
/// gust, which a drone
/// off its path's speeds (in the terminal area) may have on top of its type's top speed.
#[allow(clippy::too_many_arguments)]
pub fn reach_box(
    plan: &Plan,
    d: &Dynamics,
    ahead_s: f64,
    p: &Params,
    tactical: Reach,
    terminal: Option<(&Terminal, &DroneType)>,
    flown: impl Fn(usize) -> f64,
    wind_mps: f64,
) -> Aabb {
    let path = &plan.path;
    let horizon = p.lookahead_s.max(p.dt_s);
    let total = path.total_m();
    let s0 = d.motion.s;
    let mut ub = d.motion.u;
    let (mut lo, mut hi) = (d.pos, d.pos);
    let mut add = |q: DVec3| {
        lo = lo.min(q);
        hi = hi.max(q);
    };
    let mut k = d.motion.seg as usize;
    loop {
        let g = &path.segs[k];
        ub = ub.max(flown(k));
        if g.lane.is_some() {
            ub = ub.max(tactical.fast_mps);
        }
        let s_end = (s0 + ub * ahead_s).min(total);
        let a = s0.max(path.cum[k]);
        let b = s_end.min(path.cum[k + 1]);
        let pa = DVec3::from(path.position(k, a));
        let pb = DVec3::from(path.position(k, b));
        let far = ub * horizon;
        add(pa);
        add(pb + DVec3::from(g.dir) * far);
        k += 1;
        if k >= path.segs.len() || path.cum[k] >= s_end {
            break;
        }
    }
    let s_end = s0 + ub * ahead_s;
    if let Some((tm, ty)) = terminal
        && (s_end
            >= plan
                .arrival_connector_m()
                .min(plan.fix_m() - tm.clear_m - 1.0)
            || d.stack_level > 0
            || d.fato_asked)
    {
        let top = f64::from(tm.stack_levels) * tm.stack_spacing_m.abs();
        let (up, down) = (ty.climb_rate_mps * horizon, ty.descent_rate_mps * horizon);
        let far = ub.max(ty.max_speed() + wind_mps) * horizon;
        let fix = DVec3::new(tm.fix_en[0], tm.fix_en[1], tm.arrival_alt_m);
        add(fix + DVec3::Z * (top + up));
        for f in &tm.fatos {
            let col = DVec3::new(f[0], f[1], tm.arrival_alt_m);
            let dir = (col - fix).truncate().normalize_or_zero().extend(0.0);
            add(col + DVec3::Z * (top + up));
            add(col + dir * far + DVec3::Z * (top + up));
            add(DVec3::new(f[0], f[1], tm.ground_alt_m - down) + dir * far);
            add(col - DVec3::Z * (top + down) + dir * far);
        }
        lo.z = lo.z.min(d.pos.z - top - down);
        hi.z = hi.z.max(d.pos.z + top + up);
    }
    // Tactical altitude and sideways offsets: the current one, what it can become by the
    // next rebuild, and its rate extrapolated over the look-ahead (the rates are 0 when no
    // method moves drones that way).
    let slack = |now: f32, rate: f64| {
        if rate > 0.0 || now != 0.0 {
            f64::from(now.abs()) + rate * (ahead_s + horizon)
        } else {
            0.0
        }
    };
    let up = slack(d.offset_m, tactical.climb_mps);
    // Sideways only the offset itself counts (its rate is not in the velocity), and it
    // never passes the corridor's edge.
    let side = (f64::from(d.lateral_m.abs()) + tactical.side_mps * ahead_s)
        .min(tactical.side_max_m.max(f64::from(d.lateral_m.abs())));
    // Navigation error: the box's path points are where the drone means to be, its true
    // position is within the error's bound of them.
    let [nav_h, nav_v] = tactical.nav_m;
    let (side, up) = (side + nav_h, up + nav_v);
    lo -= DVec3::new(side, side, up);
    hi += DVec3::new(side, side, up);
    grow(lo.to_array(), hi.to_array(), p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drone at 79.6 m climbing at 3 m/s that levels off at `level_m` within the step,
    /// 10 m from another at 100 m (vertical minimum 20 m), both at 12 m/s.
    fn table(level_m: f64) -> (TrackTable, Params, Encounter, [Knot; 2]) {
        let climbing = Track {
            pos: DVec3::new(0.0, 0.0, 79.6),
            vel: DVec3::new(12.0, 0.0, 3.0),
        };
        let above = Track {
            pos: DVec3::new(10.0, 0.0, 100.0),
            vel: DVec3::new(12.0, 0.0, 0.0),
        };
        let at_s = (level_m - 79.6) / 3.0;
        let knot = Knot {
            at_s,
            vel: [12.0, 0.0, 0.0],
            pos: [12.0 * at_s, 0.0, level_m],
        };
        let p = Params {
            horizontal_m: 50.0,
            vertical_m: 20.0,
            lookahead_s: 30.0,
            dt_s: 1.0,
        };
        let (t_in, t_out) = super::super::separation::encounter_interval(&p, &climbing, &above)
            .expect("the straight lines meet");
        let t = TrackTable {
            tracks: vec![climbing, above],
            ids: vec![0, 1],
            minima: Vec::new(),
        };
        let e = Encounter {
            a: 0,
            b: 1,
            t_in,
            t_out,
        };
        (t, p, e, [knot, Knot::NONE])
    }

    #[test]
    fn a_climb_levelling_off_a_minimum_below_another_is_no_loss() {
        let (t, p, e, k) = table(80.0);
        // The straight line climbs through 80 m at 0.4 / 3 s and stays under 20 m from
        // the drone above for the rest of the step.
        assert!(e.los_in_step(p.dt_s));
        assert!((e.t_in - 0.4 / 3.0).abs() < 1e-9, "{e:?}");
        // Flown, it stops at 80 m: exactly the minimum, never under it.
        assert_eq!(t.los_pieces(&p, &e, k), None);
    }

    #[test]
    fn a_climb_levelling_off_inside_the_minimum_is_a_loss_from_when_it_enters() {
        // Levelling at 81 m (at 0.467 s): under 20 m from 100 m from 80 m (0.133 s) on.
        let (t, p, e, k) = table(81.0);
        let (lo, hi) = t.los_pieces(&p, &e, k).expect("a loss");
        assert!((lo - 0.4 / 3.0).abs() < 1e-9, "{lo}");
        assert_eq!(hi, 1.0);
    }
}
