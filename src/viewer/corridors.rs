//! Corridors as lines coloured by current load: drones now in the lane against the number
//! its headway admits along its length (`length / (speed limit x headway)`). The two
//! lanes of a two-way corridor are drawn a few pixels apart; zoomed in, the corridor's
//! edges are drawn to scale. One mesh under the drones, built again only when the view,
//! the selection or a lane's count changes (line widths are in pixels): lanes out of view
//! left out, and straight runs of lanes in one colour drawn as one band, simplified to
//! a quarter of a pixel (a lattice's rows as a few long quads instead of a quad per lane).
//! Empty lanes are drawn first, loaded ones over them, the selected one over all.

use bevy::prelude::*;

use super::{View, ViewState, vertex_color};
use crate::app::SimState;
use crate::ids::LaneId;
use crate::network::Network;
use crate::sim::Simulation;

/// Drones in each lane now.
#[derive(Resource, Default)]
pub struct LaneLoad(pub Vec<u32>);

#[derive(Component)]
struct CorridorMesh;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LaneLoad>();
    app.add_systems(Startup, spawn_mesh);
    app.add_systems(Update, (count_lanes, draw_corridors.after(count_lanes)));
}

fn spawn_mesh(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    commands.spawn((
        CorridorMesh,
        Mesh2d(meshes.add(Lines::default().into_mesh())),
        MeshMaterial2d(materials.add(ColorMaterial::from_color(Color::WHITE))),
        Transform::from_xyz(0.0, 0.0, 2.0),
    ));
}

/// Thick polylines as indexed triangles.
#[derive(Default)]
struct Lines {
    pos: Vec<[f32; 3]>,
    col: Vec<[f32; 4]>,
    idx: Vec<u32>,
}

impl Lines {
    /// Adds `points` as a band `width` metres wide (a quad per leg).
    fn add(&mut self, points: &[Vec2], width: f32, color: Color) {
        let c = vertex_color(color);
        for w in points.windows(2) {
            let d = (w[1] - w[0]).normalize_or_zero();
            let n = Vec2::new(-d.y, d.x) * (width / 2.0);
            let base = self.pos.len() as u32;
            for q in [w[0] + n, w[0] - n, w[1] - n, w[1] + n] {
                self.pos.push([q.x, q.y, 0.0]);
                self.col.push(c);
            }
            self.idx
                .extend([0, 1, 2, 0, 2, 3].into_iter().map(|k| base + k));
        }
    }

    /// Appends `other`'s triangles, drawn after (over) these.
    fn append(&mut self, other: Lines) {
        let base = self.pos.len() as u32;
        self.pos.extend(other.pos);
        self.col.extend(other.col);
        self.idx.extend(other.idx.into_iter().map(|i| base + i));
    }

    fn into_mesh(self) -> Mesh {
        super::colored_mesh(self.pos, self.col, Some(self.idx))
    }
}

/// Straight runs of lanes: where a lane ends, the lane that carries on in a straight
/// line from it (as the lanes of a lattice's row do), so that runs of lanes in one
/// colour are drawn as one band instead of a band per lane. Found once per network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StraightRuns {
    /// Each lane's straight successor.
    next: Vec<Option<LaneId>>,
    /// Lanes in the order a frame walks them: each run from its first lane.
    order: Vec<LaneId>,
    /// Each lane's bounding box, `[min_e, min_n, max_e, max_n]`.
    bbox: Vec<[f64; 4]>,
}

/// The cosine of the largest bend at which a lane still carries on from another (about
/// two degrees: the rows of a lattice laid out in longitude and latitude bend by a tenth
/// of a degree at each node). Whether the bend is drawn is up to the zoom (see
/// [`StraightRuns::bands`]).
const STRAIGHT_COS: f64 = 0.9995;

impl StraightRuns {
    /// Finds each lane's straight successor: among the lanes leaving its end node, the
    /// first (by index) whose first leg carries on its last leg's line and that no
    /// earlier lane has claimed; and lays the lanes out run by run.
    pub fn new(net: &Network) -> StraightRuns {
        let n = net.lanes.len();
        let mut leaving: Vec<Vec<LaneId>> = vec![Vec::new(); net.nodes.len()];
        for (i, l) in net.lanes.iter().enumerate() {
            leaving[l.from.index()].push(LaneId::new(i));
        }
        let mut next = vec![None; n];
        let mut claimed = vec![false; n];
        for (i, a) in net.lanes.iter().enumerate() {
            let [.., p, q] = a.points[..] else { continue };
            let found = leaving[a.to.index()].iter().copied().find(|b| {
                let lb = &net.lanes[*b];
                !claimed[b.index()] && b.index() != i && lb.points.len() >= 2 && {
                    let r = lb.points[1];
                    q == lb.points[0] && straight(p, q, r)
                }
            });
            if let Some(b) = found {
                claimed[b.index()] = true;
                next[i] = Some(b);
            }
        }
        // Runs from lanes nobody carries on from, then any closed loop that is left.
        let mut order = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        let heads = (0..n).filter(|&i| !claimed[i]).chain(0..n);
        for head in heads {
            let mut at = Some(LaneId::new(head));
            while let Some(l) = at.filter(|l| !seen[l.index()]) {
                seen[l.index()] = true;
                order.push(l);
                at = next[l.index()];
            }
        }
        let bbox = net
            .lanes
            .iter()
            .map(|l| {
                l.points.iter().fold(
                    [
                        f64::INFINITY,
                        f64::INFINITY,
                        f64::NEG_INFINITY,
                        f64::NEG_INFINITY,
                    ],
                    |b, p| {
                        [
                            b[0].min(p[0]),
                            b[1].min(p[1]),
                            b[2].max(p[0]),
                            b[3].max(p[1]),
                        ]
                    },
                )
            })
            .collect();
        StraightRuns { next, order, bbox }
    }

    /// The polylines to draw and their colours: runs of consecutive straight lanes of one
    /// colour joined into one polyline, lanes with no part within `margin_m` of `rect`
    /// (`[min_e, min_n, max_e, max_n]`) left out, and each polyline's vertices dropped
    /// where the line that skips them passes within `tol_m` of them all (Douglas-Peucker's
    /// test, made as the points come). `color` is each lane's colour. Runs come in the
    /// order of [`StraightRuns::new`]'s walk.
    pub fn bands(
        &self,
        net: &Network,
        rect: [f64; 4],
        margin_m: f64,
        tol_m: f64,
        color: impl Fn(LaneId) -> Color,
    ) -> Vec<(Vec<[f64; 2]>, Color)> {
        let mut out: Vec<(Vec<[f64; 2]>, Color)> = Vec::new();
        // The directions a line from the band's last kept vertex may take and still pass
        // near the vertices since, and how far the furthest of them is.
        let mut cone = Cone::default();
        let mut prev: Option<LaneId> = None; // the last lane drawn, if the band may go on
        for &l in &self.order {
            if outside(self.bbox[l.index()], rect, margin_m) {
                prev = None;
                continue;
            }
            let c = color(l);
            let points = &net.lanes[l.index()].points;
            let carries_on = prev.and_then(|p| self.next[p.index()]) == Some(l);
            prev = Some(l);
            let run = match out.last_mut() {
                Some((run, rc)) if carries_on && *rc == c => run,
                _ => {
                    out.push((vec![points[0]], c));
                    &mut out.last_mut().expect("just pushed").0
                }
            };
            for &r in &points[1..] {
                let n = run.len();
                if n >= 2 && cone.admits(run[n - 2], r) {
                    cone.narrow(run[n - 2], r, tol_m);
                    run[n - 1] = r;
                } else {
                    cone = Cone::from(run[n - 1], r, tol_m);
                    run.push(r);
                }
            }
        }
        out
    }
}

/// The directions from a kept vertex that pass within a tolerance of every vertex
/// dropped after it (Zhao and Saalfeld's sleeve, one test per vertex): the directions
/// between `lo` and `hi` counter-clockwise, or any while no vertex is further than the
/// tolerance.
#[derive(Debug, Clone, Copy, Default)]
struct Cone {
    /// Its bounds (not unit vectors), if any.
    bounds: Option<([f64; 2], [f64; 2])>,
    /// Distance of the furthest vertex in it.
    reach: f64,
}

/// `u x v`: positive when `v` is counter-clockwise of `u`.
fn cross(u: [f64; 2], v: [f64; 2]) -> f64 {
    u[0] * v[1] - u[1] * v[0]
}

impl Cone {
    /// The cone of the one vertex `p` seen from `a`.
    fn from(a: [f64; 2], p: [f64; 2], tol: f64) -> Cone {
        let mut cone = Cone::default();
        cone.narrow(a, p, tol);
        cone
    }

    /// Whether the segment from `a` to `r` passes within the tolerance of every vertex.
    fn admits(&self, a: [f64; 2], r: [f64; 2]) -> bool {
        let w = [r[0] - a[0], r[1] - a[1]];
        w[0].hypot(w[1]) >= self.reach
            && self.bounds.is_none_or(|(lo, hi)| {
                // (The bisector rules out the backward directions an emptied cone's
                // bounds, crossed over, would let through.)
                let mid = [lo[0] + hi[0], lo[1] + hi[1]];
                cross(lo, w) >= 0.0 && cross(w, hi) >= 0.0 && mid[0] * w[0] + mid[1] * w[1] > 0.0
            })
    }

    /// Adds vertex `p` seen from `a`.
    fn narrow(&mut self, a: [f64; 2], p: [f64; 2], tol: f64) {
        let w = [p[0] - a[0], p[1] - a[1]];
        let d = w[0].hypot(w[1]);
        self.reach = self.reach.max(d);
        if d <= tol {
            return;
        }
        // The two lines through `a` at distance `tol` from `p`: `w` turned by the
        // half-angle whose sine is tol / d, either way.
        let (s, c) = (tol / d, (1.0 - (tol / d).powi(2)).sqrt());
        let lo = [c * w[0] + s * w[1], c * w[1] - s * w[0]];
        let hi = [c * w[0] - s * w[1], c * w[1] + s * w[0]];
        self.bounds = Some(match self.bounds {
            None => (lo, hi),
            Some((l, h)) => (
                if cross(l, lo) > 0.0 { lo } else { l },
                if cross(hi, h) > 0.0 { hi } else { h },
            ),
        });
    }
}

/// Whether box `b` lies further than `margin` outside `rect` (both `[min_e, min_n,
/// max_e, max_n]`).
fn outside(b: [f64; 4], rect: [f64; 4], margin: f64) -> bool {
    b[0] > rect[2] + margin
        || b[2] < rect[0] - margin
        || b[1] > rect[3] + margin
        || b[3] < rect[1] - margin
}

/// Whether the way from `p` through `q` to `r` bends by less than [`STRAIGHT_COS`].
fn straight(p: [f64; 2], q: [f64; 2], r: [f64; 2]) -> bool {
    let (u, v) = ([q[0] - p[0], q[1] - p[1]], [r[0] - q[0], r[1] - q[1]]);
    let lens = u[0].hypot(u[1]) * v[0].hypot(v[1]);
    lens > 0.0 && (u[0] * v[0] + u[1] * v[1]) >= STRAIGHT_COS * lens
}

fn count_lanes(sim: Res<SimState>, mut load: ResMut<LaneLoad>) {
    load.0 = lane_counts(&sim.0);
}

/// Number of airborne drones in each lane.
pub fn lane_counts(sim: &Simulation) -> Vec<u32> {
    let mut counts = vec![0u32; sim.net().lanes.len()];
    for (f, d) in sim.airborne() {
        if let Some(lane) = sim.plan(f).path.segs[d.motion.seg as usize].lane {
            counts[lane.index()] += 1;
        }
    }
    counts
}

/// Share of a lane's headway capacity in use now (0 when empty).
pub fn load_share(net: &Network, lane: LaneId, count: u32) -> f64 {
    let l = &net.lanes[lane];
    let fits = (l.length_m / (l.speed_limit_mps * l.headway_s.max(0.1))).max(1.0);
    count as f64 / fits
}

/// Teal when empty, through yellow at half capacity, to red when full.
pub fn load_color(share: f64) -> Color {
    let s = share.clamp(0.0, 1.0) as f32;
    if s < 0.5 {
        let k = s / 0.5;
        Color::srgb(0.20 + 0.75 * k, 0.75 + 0.10 * k, 0.80 - 0.60 * k)
    } else {
        let k = (s - 0.5) / 0.5;
        Color::srgb(0.95, 0.85 - 0.65 * k, 0.20 - 0.05 * k)
    }
}

/// A polyline shifted sideways by `off` metres (left of the direction of travel).
fn offset(points: &[[f64; 2]], off: f64) -> Vec<Vec2> {
    let n = points.len();
    (0..n)
        .map(|i| {
            let (a, b) = if i + 1 < n {
                (points[i], points[i + 1])
            } else {
                (points[i - 1], points[i])
            };
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len = dx.hypot(dy).max(1e-9);
            Vec2::new(
                (points[i][0] - dy / len * off) as f32,
                (points[i][1] + dx / len * off) as f32,
            )
        })
        .collect()
}

/// What the corridor mesh was last built from: it is built again only when one of these
/// changes (the zoom, the view, the selection or a lane's count).
#[derive(Default)]
struct Built {
    /// The network the runs were found for (its address).
    net: usize,
    runs: StraightRuns,
    key: Option<(View, [f64; 2], super::Selection, Vec<u32>)>,
}

fn draw_corridors(
    state: Res<ViewState>,
    sim: Res<SimState>,
    load: Res<LaneLoad>,
    mut corridors: Query<(&Mesh2d, &mut Visibility), With<CorridorMesh>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut built: Local<Built>,
) {
    let Ok((handle, mut vis)) = corridors.single_mut() else {
        return;
    };
    vis.set_if_neq(if state.layers.corridors {
        Visibility::Inherited
    } else {
        Visibility::Hidden
    });
    if !state.layers.corridors {
        return;
    }
    let net = sim.0.net();
    let at = std::sync::Arc::as_ptr(net) as usize;
    if built.net != at || built.runs.next.len() != net.lanes.len() {
        *built = Built {
            net: at,
            runs: StraightRuns::new(net),
            key: None,
        };
    }
    let key = (state.view, state.size, state.selected, load.0.clone());
    if built.key.as_ref() == Some(&key) {
        return;
    }
    let m = state.view.m_per_px;
    let c = state.view.center;
    let half = [state.size[0] / 2.0 * m, state.size[1] / 2.0 * m];
    let rect = [
        c[0] - half[0],
        c[1] - half[1],
        c[0] + half[0],
        c[1] + half[1],
    ];
    let color = |li: LaneId| {
        if state.selected == super::Selection::Lane(li) {
            return Color::WHITE;
        }
        load_color(load_share(
            net,
            li,
            load.0.get(li.index()).copied().unwrap_or(0),
        ))
    };
    // Empty lanes first, then loaded ones over them, then the selected one over all.
    let empty = load_color(0.0);
    let mut layers: [Lines; 3] = Default::default();
    // Right-hand traffic: each lane a little to the right of the centre line.
    for (points, col) in built.runs.bands(net, rect, 4.0 * m, 0.25 * m, color) {
        let layer = if col == Color::WHITE {
            2
        } else {
            usize::from(col != empty)
        };
        layers[layer].add(&offset(&points, -1.5 * m), (2.0 * m) as f32, col);
    }
    // Zoomed in, the corridors' edges to scale (a connector has no corridor, no edges).
    let [mut lines, loaded, selected] = layers;
    for (li, lane) in net.lanes.iter().enumerate() {
        let li = LaneId::new(li);
        if lane.reverse || lane.width_m / m <= 6.0 {
            continue;
        }
        if outside(built.runs.bbox[li.index()], rect, lane.width_m) {
            continue;
        }
        let edge = color(li).with_alpha(0.45);
        lines.add(&offset(&lane.points, lane.width_m / 2.0), m as f32, edge);
        lines.add(&offset(&lane.points, -lane.width_m / 2.0), m as f32, edge);
    }
    lines.append(loaded);
    lines.append(selected);
    if let Some(mut mesh) = meshes.get_mut(&handle.0) {
        *mesh = lines.into_mesh();
    }
    built.key = Some(key);
}
