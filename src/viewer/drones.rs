//! Drones: one mesh holding a small arrowhead per drone in view, rebuilt every frame (one
//! draw call whatever the number of drones), coloured by state and pointing along the
//! drone's track. Lines join conflicting pairs; protected-zone rings and short trails are
//! drawn with gizmos when enabled and close enough to see.

use std::collections::{HashMap, VecDeque};

use bevy::prelude::*;

use super::{Selection, ViewState, vertex_color};
use crate::app::SimState;
use crate::ids::FlightId;
use crate::sim::{Phase, Simulation};

/// Arrowhead length in pixels.
pub const DRONE_PX: f64 = 13.0;

/// What colour a drone is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// Climbing.
    Climbing,
    /// Cruising in a lane.
    Cruising,
    /// Descending.
    Descending,
    /// Holding for a pad.
    Holding,
    /// In a predicted conflict.
    Conflict,
    /// In loss of separation.
    Los,
    /// With a communications layer: the ground's picture of it is stale.
    Stale,
}

impl Look {
    /// The colour of this state.
    pub fn color(self) -> Color {
        match self {
            Look::Climbing => Color::srgb(0.45, 0.95, 0.45),
            Look::Cruising => Color::srgb(0.92, 0.95, 1.00),
            Look::Descending => Color::srgb(0.45, 0.70, 1.00),
            Look::Holding => Color::srgb(1.00, 0.60, 0.15),
            Look::Conflict => Color::srgb(1.00, 0.92, 0.10),
            Look::Los => Color::srgb(1.00, 0.15, 0.25),
            Look::Stale => Color::srgb(0.50, 0.50, 0.50),
        }
    }
}

/// State of each flight for drawing: conflict and loss of separation win over a stale
/// picture (with a communications layer), which wins over the phase.
pub fn looks(sim: &Simulation) -> Vec<(FlightId, Look)> {
    let mut flag = vec![0u8; sim.flights().len()];
    for ((a, b), los) in sim.events().current() {
        let v = if los { 2 } else { 1 };
        flag[a.index()] = flag[a.index()].max(v);
        flag[b.index()] = flag[b.index()].max(v);
    }
    let t = sim.time_s();
    let stale = |f: FlightId| sim.comms().is_some_and(|c| c.stale(f, t));
    sim.airborne()
        .map(|(f, d)| {
            let look = match (flag[f.index()], d.phase()) {
                (2, _) => Look::Los,
                (1, _) => Look::Conflict,
                _ if stale(f) => Look::Stale,
                (_, Phase::Climbing) => Look::Climbing,
                (_, Phase::Cruising) => Look::Cruising,
                (_, Phase::Descending) => Look::Descending,
                (_, Phase::Holding) => Look::Holding,
                // Without a link the ground's picture of it is old: grey as stale.
                (_, Phase::LostLink) => Look::Stale,
            };
            (f, look)
        })
        .collect()
}

#[derive(Component)]
struct DroneMesh;

/// Recent positions per flight, for trails.
#[derive(Resource, Default)]
struct Trails {
    last_t: f64,
    points: HashMap<FlightId, VecDeque<Vec2>>,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Trails>();
    app.add_systems(Startup, spawn_mesh);
    app.add_systems(
        Update,
        (
            rebuild_mesh,
            draw_pairs_rings_trails,
            draw_wind,
            draw_coverage,
        ),
    );
}

/// With a communications layer, each cell's coverage as a faint circle.
fn draw_coverage(state: Res<ViewState>, sim: Res<SimState>, mut gizmos: Gizmos) {
    let Some(c) = sim.0.comms() else {
        return;
    };
    if !state.layers.zones {
        return;
    }
    let color = Color::srgba(0.55, 0.75, 1.0, 0.35);
    for (en, range) in c.cells() {
        gizmos
            .circle_2d(Vec2::new(en[0] as f32, en[1] as f32), range as f32, color)
            .resolution(96);
    }
}

fn spawn_mesh(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    let mesh = super::colored_mesh(Vec::new(), Vec::new(), None);
    commands.spawn((
        DroneMesh,
        Mesh2d(meshes.add(mesh)),
        MeshMaterial2d(materials.add(ColorMaterial::from_color(Color::WHITE))),
        Transform::from_xyz(0.0, 0.0, 3.0),
    ));
}

fn rebuild_mesh(
    state: Res<ViewState>,
    sim: Res<SimState>,
    drones: Query<&Mesh2d, With<DroneMesh>>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    let Ok(handle) = drones.single() else {
        return;
    };
    let sim = &sim.0;
    let v = &state.view;
    let size = DRONE_PX * v.m_per_px;
    let half = [
        state.size[0] / 2.0 * v.m_per_px + size,
        state.size[1] / 2.0 * v.m_per_px + size,
    ];
    let looks = looks(sim);
    let mut pos = Vec::with_capacity(looks.len() * 3);
    let mut col = Vec::with_capacity(looks.len() * 3);
    for ((f, d), (_, look)) in sim.airborne().zip(&looks) {
        let p = d.pos;
        if (p[0] - v.center[0]).abs() > half[0] || (p[1] - v.center[1]).abs() > half[1] {
            continue;
        }
        let vh = d.vel.x.hypot(d.vel.y);
        let (dx, dy) = if vh > 0.05 {
            (d.vel.x / vh, d.vel.y / vh)
        } else {
            (0.0, 1.0)
        };
        let s = if state.selected == Selection::Drone(f) {
            size * 1.6
        } else {
            size
        };
        let tip = [p[0] + dx * s * 0.6, p[1] + dy * s * 0.6];
        let l = [
            p[0] - dx * s * 0.4 - dy * s * 0.35,
            p[1] - dy * s * 0.4 + dx * s * 0.35,
        ];
        let r = [
            p[0] - dx * s * 0.4 + dy * s * 0.35,
            p[1] - dy * s * 0.4 - dx * s * 0.35,
        ];
        let c = vertex_color(look.color());
        for q in [tip, l, r] {
            pos.push([q[0] as f32, q[1] as f32, 0.0]);
            col.push(c);
        }
    }
    if let Some(mut mesh) = meshes.get_mut(&handle.0) {
        *mesh = super::colored_mesh(pos, col, None);
    }
}

/// The wind the drones fly in, as a grid of arrows over the window (when there is one; a
/// gridded field at the lanes' mean altitude).
fn draw_wind(state: Res<ViewState>, sim: Res<SimState>, mut gizmos: Gizmos) {
    let net = sim.0.net();
    let alt = net.mean_lane_alt_m();
    let wind = |p: [f64; 2]| net.weather.actual.at([p[0], p[1], alt]);
    for (tail, head) in super::view::wind_arrows(&state.view, state.size, wind, 120.0) {
        gizmos.arrow_2d(
            Vec2::new(tail[0] as f32, tail[1] as f32),
            Vec2::new(head[0] as f32, head[1] as f32),
            Color::srgba(0.55, 0.85, 1.0, 0.45),
        );
    }
}

fn draw_pairs_rings_trails(
    state: Res<ViewState>,
    sim: Res<SimState>,
    mut trails: ResMut<Trails>,
    mut gizmos: Gizmos,
) {
    let sim = &sim.0;
    let pos: HashMap<FlightId, glam::DVec3> = sim.airborne().map(|(f, d)| (f, d.pos)).collect();
    let at = |f: FlightId| pos.get(&f).map(|p| Vec2::new(p.x as f32, p.y as f32));
    for ((a, b), los) in sim.events().current() {
        if let (Some(pa), Some(pb)) = (at(a), at(b)) {
            let c = if los {
                super::drones::Look::Los
            } else {
                super::drones::Look::Conflict
            };
            gizmos.line_2d(pa, pb, c.color().with_alpha(0.8));
        }
    }
    // Rings: half the horizontal minimum around each drone, once they are 4+ px wide.
    let r = sim.scenario().separation.horizontal_m / 2.0;
    if state.layers.rings && r / state.view.m_per_px >= 4.0 {
        for p in pos.values() {
            gizmos.circle_2d(
                Vec2::new(p[0] as f32, p[1] as f32),
                r as f32,
                Color::srgba(1.0, 1.0, 1.0, 0.25),
            );
        }
    }
    if state.layers.trails {
        if sim.time_s() < trails.last_t {
            trails.points.clear(); // the run restarted
        }
        if sim.time_s() - trails.last_t >= 5.0 || sim.time_s() < trails.last_t {
            trails.last_t = sim.time_s();
            for (f, p) in &pos {
                let q = trails.points.entry(*f).or_default();
                q.push_back(Vec2::new(p[0] as f32, p[1] as f32));
                if q.len() > 24 {
                    q.pop_front();
                }
            }
            trails.points.retain(|f, _| pos.contains_key(f));
        }
        for (f, q) in &trails.points {
            if let Some(now) = at(*f) {
                gizmos.linestrip_2d(
                    q.iter().copied().chain([now]),
                    Color::srgba(0.8, 0.85, 1.0, 0.3),
                );
            }
        }
    } else if !trails.points.is_empty() {
        trails.points.clear();
    }
}
