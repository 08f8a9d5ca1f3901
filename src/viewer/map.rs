//! The base map: land of the Pearl River Delta (Natural Earth, triangulated once into one
//! mesh, Hong Kong and Macau a shade apart from the mainland), no-fly and restricted zones
//! as translucent meshes (dimmed while inactive), and the attribution. Labels are drawn by
//! the HUD (egui) from [`Places`].

use std::path::Path;

use bevy::prelude::*;

use super::{ViewState, ViewerOptions, vertex_color};
use crate::app::SimState;
use crate::network::Frame;
use crate::scenario::ZoneKind;

/// Mainland land colour.
pub const LAND: Color = Color::srgb(0.165, 0.200, 0.180);
/// Hong Kong land colour.
pub const LAND_HK: Color = Color::srgb(0.195, 0.215, 0.190);
/// Macau land colour.
pub const LAND_MO: Color = Color::srgb(0.200, 0.205, 0.175);

/// A named place for labels: `(name, [east_m, north_m])`.
#[derive(Resource, Default)]
pub struct Places(pub Vec<(String, [f64; 2])>);

#[derive(Component)]
struct Land;

#[derive(Component)]
struct ZoneMesh(usize);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Places>();
    app.add_systems(Startup, (spawn_land, spawn_zones));
    app.add_systems(Update, (toggle_land, shade_zones));
}

/// Triangulates polygons given as rings (outer first, then holes) of local metres.
fn triangulate(polygons: &[Vec<Vec<[f64; 2]>>], color_of: impl Fn(usize) -> Color) -> Mesh {
    let (mut pos, mut col, mut idx) = (
        Vec::<[f32; 3]>::new(),
        Vec::<[f32; 4]>::new(),
        Vec::<u32>::new(),
    );
    for (k, rings) in polygons.iter().enumerate() {
        let mut flat = Vec::new();
        let mut holes = Vec::new();
        for (r, ring) in rings.iter().enumerate() {
            if r > 0 {
                holes.push(flat.len() / 2);
            }
            for p in ring {
                flat.extend_from_slice(p);
            }
        }
        let Ok(tris) = earcutr::earcut(&flat, &holes, 2) else {
            continue;
        };
        let base = pos.len() as u32;
        let c = vertex_color(color_of(k));
        for p in flat.chunks(2) {
            pos.push([p[0] as f32, p[1] as f32, 0.0]);
            col.push(c);
        }
        idx.extend(tris.iter().map(|&i| base + i as u32));
    }
    super::colored_mesh(pos, col, Some(idx))
}

/// Land polygons for the base map; a missing or unreadable file gives no land and a
/// warning, not a crash.
pub fn load_land(path: &Path, frame: &Frame) -> Vec<crate::network::land::LandPolygon> {
    crate::network::land::load(path, frame).unwrap_or_else(|e| {
        warn!("no base map: {e}");
        Vec::new()
    })
}

fn spawn_land(
    mut commands: Commands,
    sim: Res<SimState>,
    opts: Res<ViewerOptions>,
    mut places: ResMut<Places>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    let frame = sim.0.net().frame;
    let land = load_land(&opts.assets.join("gba_land_ne10m.geojson"), &frame);
    let rings: Vec<_> = land.iter().map(|(_, r)| r.clone()).collect();
    let mesh = triangulate(&rings, |k| match land[k].0.as_str() {
        "HKG" => LAND_HK,
        "MAC" => LAND_MO,
        _ => LAND,
    });
    commands.spawn((
        Land,
        Mesh2d(meshes.add(mesh)),
        MeshMaterial2d(materials.add(ColorMaterial::from_color(Color::WHITE))),
        Transform::from_xyz(0.0, 0.0, 0.0),
    ));
    // City labels from the places file; vertiports are labelled from the network.
    if let Ok(text) = std::fs::read_to_string(opts.assets.join("gba_places.csv")) {
        for line in text.lines().filter(|l| l.starts_with("city,")) {
            let cols: Vec<&str> = line.split(',').collect();
            if let (Some(name), Some(lat), Some(lon)) = (cols.get(2), cols.get(4), cols.get(5))
                && let (Ok(lat), Ok(lon)) = (lat.parse::<f64>(), lon.parse::<f64>())
            {
                let short = name.split(" (").next().unwrap_or(name).to_string();
                places.0.push((short, frame.to_local(lat, lon)));
            }
        }
    }
}

fn spawn_zones(
    mut commands: Commands,
    sim: Res<SimState>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    for (i, z) in sim.0.net().zones.iter().enumerate() {
        let ring: Vec<[f64; 2]> = z.polygon.exterior().coords().map(|c| [c.x, c.y]).collect();
        let mesh = triangulate(&[vec![ring]], |_| Color::WHITE);
        commands.spawn((
            ZoneMesh(i),
            Mesh2d(meshes.add(mesh)),
            MeshMaterial2d(
                materials.add(ColorMaterial::from_color(Color::srgba(0.9, 0.2, 0.2, 0.25))),
            ),
            Transform::from_xyz(0.0, 0.0, 1.0),
        ));
    }
}

fn toggle_land(state: Res<ViewState>, mut land: Query<&mut Visibility, With<Land>>) {
    for mut v in &mut land {
        v.set_if_neq(if state.layers.map {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        });
    }
}

/// Zone colour: red for no-fly, amber for restricted; faint while inactive.
fn shade_zones(
    state: Res<ViewState>,
    sim: Res<SimState>,
    mut zones: Query<(&ZoneMesh, &MeshMaterial2d<ColorMaterial>, &mut Visibility)>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    let t = sim.0.time_s();
    for (z, mat, mut vis) in &mut zones {
        vis.set_if_neq(if state.layers.zones {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        });
        let zone = &sim.0.net().zones[z.0];
        let active = zone.active_during(t, t + 1e-6);
        let alpha = if active { 0.28 } else { 0.08 };
        let color = match zone.kind {
            ZoneKind::NoFly => Color::srgba(0.90, 0.20, 0.20, alpha),
            ZoneKind::Restricted => Color::srgba(0.95, 0.65, 0.15, alpha),
        };
        if let Some(mut m) = materials.get_mut(&mat.0)
            && m.color != color
        {
            m.color = color;
        }
    }
}
