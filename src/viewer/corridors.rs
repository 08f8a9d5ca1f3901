//! Corridors as lines coloured by current load: drones now in the lane against the number
//! its headway admits along its length (`length / (speed limit x headway)`). The two
//! lanes of a two-way corridor are drawn a few pixels apart; zoomed in, the corridor's
//! edges are drawn to scale. One mesh, rebuilt every frame (line widths are in pixels),
//! under the drones.

use bevy::prelude::*;

use super::{ViewState, vertex_color};
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

/// Thick polylines as triangles.
#[derive(Default)]
struct Lines {
    pos: Vec<[f32; 3]>,
    col: Vec<[f32; 4]>,
}

impl Lines {
    /// Adds `points` as a band `width` metres wide (a quad per leg).
    fn add(&mut self, points: &[Vec2], width: f32, color: Color) {
        let c = vertex_color(color);
        for w in points.windows(2) {
            let d = (w[1] - w[0]).normalize_or_zero();
            let n = Vec2::new(-d.y, d.x) * (width / 2.0);
            let q = [w[0] + n, w[0] - n, w[1] - n, w[1] + n];
            for k in [0, 1, 2, 0, 2, 3] {
                self.pos.push([q[k].x, q[k].y, 0.0]);
                self.col.push(c);
            }
        }
    }

    fn into_mesh(self) -> Mesh {
        super::colored_mesh(self.pos, self.col, None)
    }
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

fn draw_corridors(
    state: Res<ViewState>,
    sim: Res<SimState>,
    load: Res<LaneLoad>,
    mut corridors: Query<(&Mesh2d, &mut Visibility), With<CorridorMesh>>,
    mut meshes: ResMut<Assets<Mesh>>,
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
    let m = state.view.m_per_px;
    let mut lines = Lines::default();
    for (li, lane) in net.lanes.iter().enumerate() {
        let li = LaneId::new(li);
        let share = load_share(net, li, load.0.get(li.index()).copied().unwrap_or(0));
        let mut color = load_color(share);
        if state.selected == super::Selection::Lane(li) {
            color = Color::WHITE;
        }
        // Right-hand traffic: each lane a little to the right of the centre line.
        lines.add(&offset(&lane.points, -1.5 * m), (2.0 * m) as f32, color);
        // (A vertiport's connector has no scenario corridor, and no edges drawn.)
        let width_m = sim
            .0
            .scenario()
            .corridors
            .get(lane.corridor)
            .map_or(0.0, |c| c.width_m);
        if !lane.reverse && width_m / m > 6.0 {
            let edge = color.with_alpha(0.45);
            lines.add(&offset(&lane.points, width_m / 2.0), m as f32, edge);
            lines.add(&offset(&lane.points, -width_m / 2.0), m as f32, edge);
        }
    }
    if let Some(mut mesh) = meshes.get_mut(&handle.0) {
        *mesh = lines.into_mesh();
    }
}
