//! What the user does: drag to pan, wheel to zoom toward the cursor, click to select a
//! drone or a corridor, keys for time, layers, fit and follow. Time: the simulation keeps
//! its fixed step; speed sets how much simulated time passes per wall second (virtual
//! time), and "as fast as possible" steps it directly for most of each frame.

use std::time::{Duration, Instant};

use bevy::ecs::system::SystemParam;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::{Selection, ViewState, fit};
use crate::app::SimState;
use crate::ids::LaneId;
use crate::network::Network;
use crate::sim::Simulation;

/// Speeds offered, simulated seconds per wall second.
pub const SPEEDS: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

/// How the clock runs.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct Playback {
    /// Paused.
    pub paused: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// Step as fast as the machine allows.
    pub max_speed: bool,
    /// Steps to take now (while paused).
    pub step_once: u32,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            paused: false,
            speed: 4,
            max_speed: false,
            step_once: 0,
        }
    }
}

#[derive(Resource, Default)]
struct Drag {
    from: Option<Vec2>,
    moved: bool,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Playback>();
    app.init_resource::<Drag>();
    app.add_systems(
        Update,
        (keys, mouse, apply_playback, run_flat_out, follow).chain(),
    );
}

fn keys(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Res<EguiWantsInput>,
    mut state: ResMut<ViewState>,
    mut play: ResMut<Playback>,
    sim: Res<SimState>,
) {
    if egui.wants_any_keyboard_input() {
        return;
    }
    let pressed = |k| keys.just_pressed(k);
    if pressed(KeyCode::Space) {
        play.paused = !play.paused;
    }
    if pressed(KeyCode::Period) || pressed(KeyCode::KeyN) {
        play.paused = true;
        play.step_once += 1;
    }
    if pressed(KeyCode::Equal) || pressed(KeyCode::NumpadAdd) {
        play.speed = (play.speed + 1).min(SPEEDS.len() - 1);
        play.max_speed = false;
    }
    if pressed(KeyCode::Minus) || pressed(KeyCode::NumpadSubtract) {
        play.speed = play.speed.saturating_sub(1);
        play.max_speed = false;
    }
    if pressed(KeyCode::KeyM) {
        play.max_speed = !play.max_speed;
    }
    if pressed(KeyCode::KeyF) {
        state.view = fit(sim.0.net(), state.size);
        state.follow = false;
    }
    if pressed(KeyCode::KeyC) {
        state.follow = !state.follow && matches!(state.selected, Selection::Drone(_));
    }
    if pressed(KeyCode::Escape) {
        state.selected = Selection::None;
        state.follow = false;
    }
    if pressed(KeyCode::KeyH) || pressed(KeyCode::Slash) {
        state.help = !state.help;
    }
    if pressed(KeyCode::KeyP) {
        state.profile = !state.profile;
    }
    let l = &mut state.layers;
    for (key, layer) in [
        (KeyCode::Digit1, &mut l.map),
        (KeyCode::Digit2, &mut l.corridors),
        (KeyCode::Digit3, &mut l.zones),
        (KeyCode::Digit4, &mut l.labels),
        (KeyCode::Digit5, &mut l.trails),
        (KeyCode::Digit6, &mut l.rings),
    ] {
        if keys.just_pressed(key) {
            *layer = !*layer;
        }
    }
}

/// The mouse as the window sees it this frame.
#[derive(SystemParam)]
struct Pointer<'w, 's> {
    buttons: Res<'w, ButtonInput<MouseButton>>,
    motion: Res<'w, AccumulatedMouseMotion>,
    scroll: Res<'w, AccumulatedMouseScroll>,
    window: Single<'w, 's, &'static Window, With<PrimaryWindow>>,
    egui: Res<'w, EguiWantsInput>,
}

fn mouse(
    pointer: Pointer,
    sim: Res<SimState>,
    mut drag: ResMut<Drag>,
    mut state: ResMut<ViewState>,
) {
    let Pointer {
        buttons,
        motion,
        scroll,
        window,
        egui,
    } = pointer;
    state.size = [window.width() as f64, window.height() as f64];
    let cursor = window.cursor_position();
    if egui.wants_any_pointer_input() {
        drag.from = None;
        return;
    }
    let size = state.size;
    if scroll.delta.y != 0.0 {
        let notches = match scroll.unit {
            MouseScrollUnit::Line => scroll.delta.y as f64,
            MouseScrollUnit::Pixel => scroll.delta.y as f64 / 40.0,
        };
        let at = cursor.map_or([size[0] / 2.0, size[1] / 2.0], |c| [c.x as f64, c.y as f64]);
        state.view.zoom_at(0.85f64.powf(notches), at, size);
    }
    if buttons.just_pressed(MouseButton::Left) {
        drag.from = cursor;
        drag.moved = false;
    }
    if buttons.pressed(MouseButton::Left) && drag.from.is_some() {
        if let (Some(c), Some(from)) = (cursor, drag.from)
            && c.distance(from) > 4.0
        {
            drag.moved = true;
        }
        if drag.moved && motion.delta != Vec2::ZERO {
            let m = state.view.m_per_px;
            state.view.center[0] -= motion.delta.x as f64 * m;
            state.view.center[1] += motion.delta.y as f64 * m;
            state.follow = false;
        }
    }
    if buttons.just_released(MouseButton::Left) {
        if !drag.moved
            && let Some(c) = cursor
        {
            let world = state.view.to_world([c.x as f64, c.y as f64], size);
            state.selected = pick(&sim.0, world, 10.0 * state.view.m_per_px);
            if !matches!(state.selected, Selection::Drone(_)) {
                state.follow = false;
            }
        }
        drag.from = None;
    }
}

/// The drone nearest to `world` within `radius_m`, else the vertiport whose terminal area
/// it is in, else the lane nearest within `radius_m`.
pub fn pick(sim: &Simulation, world: [f64; 2], radius_m: f64) -> Selection {
    let d2 = |p: glam::DVec3| (p.x - world[0]).powi(2) + (p.y - world[1]).powi(2);
    let best = sim
        .airborne()
        .map(|(f, d)| (f, d2(d.pos)))
        .filter(|(_, dist2)| *dist2 <= radius_m * radius_m)
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    if let Some((f, _)) = best {
        return Selection::Drone(f);
    }
    let inside = |t: &crate::network::Terminal| {
        (t.centre[0] - world[0]).hypot(t.centre[1] - world[1]) <= t.radius_m
    };
    if let Some(t) = sim.net().terminals.iter().position(inside) {
        return Selection::Vertiport(t);
    }
    match nearest_lane(sim.net(), world) {
        Some((lane, dist)) if dist <= radius_m => Selection::Lane(lane),
        _ => Selection::None,
    }
}

/// The lane whose centre line passes nearest to `world`, and how far, metres.
pub fn nearest_lane(net: &Network, world: [f64; 2]) -> Option<(LaneId, f64)> {
    let mut best: Option<(LaneId, f64)> = None;
    for (li, l) in net.lanes.iter().enumerate() {
        for w in l.points.windows(2) {
            let (a, b) = (w[0], w[1]);
            let ab = [b[0] - a[0], b[1] - a[1]];
            let len2 = (ab[0] * ab[0] + ab[1] * ab[1]).max(1e-12);
            let t =
                (((world[0] - a[0]) * ab[0] + (world[1] - a[1]) * ab[1]) / len2).clamp(0.0, 1.0);
            let d = (world[0] - a[0] - ab[0] * t).hypot(world[1] - a[1] - ab[1] * t);
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((LaneId::new(li), d));
            }
        }
    }
    best
}

fn apply_playback(play: Res<Playback>, mut time: ResMut<Time<Virtual>>) {
    if play.paused || play.max_speed {
        if !time.is_paused() {
            time.pause();
        }
    } else {
        if time.is_paused() {
            time.unpause();
        }
        let speed = SPEEDS[play.speed] as f32;
        if time.relative_speed() != speed {
            time.set_relative_speed(speed);
        }
    }
}

/// Single steps while paused, and flat-out stepping: as many steps as fit in 25 ms.
fn run_flat_out(mut play: ResMut<Playback>, mut sim: ResMut<SimState>) {
    while play.step_once > 0 {
        sim.0.step();
        play.step_once -= 1;
    }
    if play.max_speed && !play.paused {
        let start = Instant::now();
        while !sim.0.finished() && start.elapsed() < Duration::from_millis(25) {
            sim.0.step();
        }
    }
}

fn follow(mut state: ResMut<ViewState>, sim: Res<SimState>) {
    if let (true, Selection::Drone(f)) = (state.follow, state.selected)
        && let Some((_, d)) = sim.0.airborne().find(|(g, _)| *g == f)
    {
        state.view.center = [d.pos.x, d.pos.y];
    }
}
