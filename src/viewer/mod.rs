//! The desktop window: `skycorridor view`. The same Bevy app as `run` (the core stepped by
//! [`SimPlugin`] in `FixedUpdate`) with rendering and UI plugins on top. The viewer only
//! reads the simulation; the one thing it does to it is choose how often it is stepped.
//!
//! One plugin per file: [`map`] (land, zones, labels), [`corridors`] (lanes coloured by
//! load), [`drones`] (one mesh for every drone, conflict lines, rings, trails),
//! [`controls`] (pan, zoom, time, picking, follow), [`hud`] (egui panels), [`capture`]
//! (screenshots and frame timing). [`view`] is the plain camera math the others share.

pub mod capture;
pub mod controls;
pub mod corridors;
pub mod drones;
pub mod hud;
pub mod map;
pub mod replay;
pub mod tuning;
pub mod view;

use std::path::PathBuf;

use bevy::camera::ScalingMode;
use bevy::log::{Level, LogPlugin};
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::window::{PresentMode, WindowResolution};
use bevy_egui::EguiPlugin;

use crate::app::tuning::{ScenarioSource, TuningPlugin};
use crate::app::{SimPlugin, SimState};
use crate::ids::{FlightId, LaneId};
use crate::sim::Simulation;
pub use view::{View, fit};

/// Water: the background colour.
pub const WATER: Color = Color::srgb(0.043, 0.114, 0.200);

/// How the window is run.
#[derive(Resource, Debug, Clone, Default)]
pub struct ViewerOptions {
    /// Folder with `gba_land_ne10m.geojson` and `gba_places.csv`.
    pub assets: PathBuf,
    /// Window size in logical pixels.
    pub size: [u32; 2],
    /// Save one frame to this PNG and exit.
    pub screenshot: Option<PathBuf>,
    /// Draw `frames` frames at full speed, print frame-time statistics and exit.
    pub frames: Option<u32>,
    /// Start paused.
    pub paused: bool,
}

/// What the window is showing and how the user has set it up.
#[derive(Resource, Debug, Clone)]
pub struct ViewState {
    /// Camera centre and zoom.
    pub view: View,
    /// Window size in logical pixels, updated every frame.
    pub size: [f64; 2],
    /// Layer switches.
    pub layers: Layers,
    /// Selected drone (flight index) or lane.
    pub selected: Selection,
    /// Keep the selected drone in the centre.
    pub follow: bool,
    /// Show the keyboard help.
    pub help: bool,
    /// Show the altitude profile panel.
    pub profile: bool,
    /// Logical pixels on the right that a panel takes (the replay's alerts): the detail
    /// panels open left of it.
    pub right_inset_px: f32,
}

/// Which layers are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    /// Land.
    pub map: bool,
    /// Corridors.
    pub corridors: bool,
    /// No-fly and restricted zones.
    pub zones: bool,
    /// City and vertiport names.
    pub labels: bool,
    /// Short trails behind drones.
    pub trails: bool,
    /// Protected-zone rings (when zoomed in).
    pub rings: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            map: true,
            corridors: true,
            zones: true,
            labels: true,
            trails: false,
            rings: true,
        }
    }
}

/// What is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    /// Nothing.
    #[default]
    None,
    /// A drone.
    Drone(FlightId),
    /// A lane.
    Lane(LaneId),
    /// A vertiport's terminal area (index into the network's terminals).
    Vertiport(usize),
}

/// Builds the windowed app around a prepared simulation and runs it until the window
/// closes (or the screenshot or timing run is done).
pub fn run(sim: Simulation, source: ScenarioSource, opts: ViewerOptions) {
    run_with(sim, source, opts, None);
}

/// [`run`], with the monitoring view of a recorded run when `replay` is given (`sim` is
/// then the replay at the time to start from).
pub fn run_with(
    sim: Simulation,
    source: ScenarioSource,
    opts: ViewerOptions,
    replay: Option<replay::ReplayView>,
) {
    let size = opts.size;
    let size_f = [size[0] as f64, size[1] as f64];
    let view = match replay {
        Some(_) => replay::fit_beside_panels(sim.net(), size_f),
        None => fit(sim.net(), size_f),
    };
    let title = format!("skycorridor - {}", sim.scenario().name);
    let mut resolution = WindowResolution::new(size[0], size[1]);
    if opts.screenshot.is_some() || opts.frames.is_some() {
        // Pixel-exact captures: one logical pixel is one physical pixel.
        resolution = resolution.with_scale_factor_override(1.0);
    }
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title,
                    resolution,
                    // Frame timing measures drawing, not waiting for the display.
                    present_mode: if opts.frames.is_some() {
                        PresentMode::AutoNoVsync
                    } else {
                        PresentMode::AutoVsync
                    },
                    ..default()
                }),
                ..default()
            })
            .set(RenderPlugin {
                // Every pipeline is ready for the first frame, so a capture is complete.
                synchronous_pipeline_compilation: true,
                ..default()
            })
            .set(LogPlugin {
                level: Level::WARN,
                ..default()
            }),
    );
    app.add_plugins(EguiPlugin::default());
    app.insert_resource(ClearColor(WATER));
    app.insert_resource(SimState(sim));
    app.add_plugins(SimPlugin);
    app.insert_resource(source);
    app.add_plugins(TuningPlugin);
    app.insert_resource(ViewState {
        view,
        size: [size[0] as f64, size[1] as f64],
        layers: Layers::default(),
        selected: Selection::None,
        follow: false,
        help: false,
        profile: true,
        right_inset_px: if replay.is_some() {
            replay::PANEL_W
        } else {
            0.0
        },
    });
    app.insert_resource(opts.clone());
    if let Some(r) = replay {
        app.insert_resource(r);
    }
    app.add_systems(Startup, spawn_camera);
    app.add_systems(PostUpdate, apply_view.before(TransformSystems::Propagate));
    app.add_plugins((
        map::plugin,
        corridors::plugin,
        drones::plugin,
        controls::plugin,
        hud::plugin,
        capture::plugin,
        tuning::plugin,
        replay::plugin,
    ));
    app.run();
}

fn spawn_camera(mut commands: Commands, state: Res<ViewState>) {
    commands.spawn((
        Camera2d,
        // No multisampling: it is most of the frame on a software renderer, and thin
        // lines and arrowheads read well without it.
        Msaa::Off,
        Projection::Orthographic(OrthographicProjection {
            scaling_mode: ScalingMode::WindowSize,
            scale: state.view.m_per_px as f32,
            ..OrthographicProjection::default_2d()
        }),
        Transform::from_xyz(
            state.view.center[0] as f32,
            state.view.center[1] as f32,
            500.0,
        ),
    ));
}

/// Puts the camera where [`ViewState`] says.
fn apply_view(
    state: Res<ViewState>,
    mut camera: Query<(&mut Transform, &mut Projection), With<Camera2d>>,
) {
    for (mut t, mut p) in &mut camera {
        t.translation.x = state.view.center[0] as f32;
        t.translation.y = state.view.center[1] as f32;
        if let Projection::Orthographic(o) = &mut *p {
            o.scale = state.view.m_per_px as f32;
        }
    }
}

/// A triangle-list mesh with per-vertex colours. Never empty: Bevy 0.19's mesh allocator
/// logs "use-after-free" errors for meshes with no vertices, so an empty one gets a single
/// degenerate (zero-area, invisible) triangle.
pub fn colored_mesh(mut pos: Vec<[f32; 3]>, mut col: Vec<[f32; 4]>, idx: Option<Vec<u32>>) -> Mesh {
    use bevy::asset::RenderAssetUsages;
    use bevy::mesh::{Indices, PrimitiveTopology};
    let mut idx = idx.unwrap_or_else(|| (0..pos.len() as u32).collect());
    if idx.is_empty() {
        pos = vec![[0.0; 3]; 3];
        col = vec![[0.0; 4]; 3];
        idx = vec![0, 1, 2];
    }
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, pos);
    mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, col);
    mesh.insert_indices(Indices::U32(idx));
    mesh
}

/// A colour as the linear RGBA floats a mesh's vertex colour attribute takes.
pub fn vertex_color(c: Color) -> [f32; 4] {
    LinearRgba::from(c).to_f32_array()
}
