//! Headless uses of the window: `--screenshot out.png` renders the scenario as it stands
//! (the command line has already run the simulation to `--at`), saves one frame and exits;
//! `--frames N` draws N frames with the simulation running at the default speed (without
//! vsync) and prints frame-time statistics. The PNG is written through a temporary file
//! and a rename.

use std::io::Cursor;
use std::time::Instant;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

use super::ViewerOptions;
use super::controls::Playback;
use crate::app::SimState;

/// Frames drawn before the capture, so every mesh and the UI have settled.
const SETTLE_FRAMES: u32 = 10;

#[derive(Resource, Default)]
struct Capture {
    frames: u32,
    requested: bool,
    saved: Option<Result<(), String>>,
    frame_ms: Vec<f64>,
    last: Option<Instant>,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Capture>();
    app.add_systems(Startup, setup);
    app.add_systems(Last, (screenshot, time_frames));
}

fn setup(opts: Res<ViewerOptions>, mut play: ResMut<Playback>) {
    if opts.screenshot.is_some() || opts.paused {
        play.paused = true;
    }
}

fn screenshot(
    mut commands: Commands,
    opts: Res<ViewerOptions>,
    mut cap: ResMut<Capture>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(path) = opts.screenshot.clone() else {
        return;
    };
    if let Some(result) = cap.saved.take() {
        match result {
            Ok(()) => {
                println!("wrote {}", path.display());
                exit.write(AppExit::Success);
            }
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                exit.write(AppExit::error());
            }
        }
        return;
    }
    cap.frames += 1;
    if cap.frames == SETTLE_FRAMES && !cap.requested {
        cap.requested = true;
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut cap: ResMut<Capture>| {
                cap.saved = Some(save_png(&captured.image, &path));
            },
        );
    }
}

/// Encodes a captured frame as PNG (RGB) and writes it atomically.
fn save_png(image: &Image, path: &std::path::Path) -> Result<(), String> {
    let rgb = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| format!("cannot read the frame: {e}"))?
        .to_rgb8();
    let mut bytes = Cursor::new(Vec::new());
    rgb.write_to(&mut bytes, image::ImageFormat::Png)
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    crate::metrics::write_atomic(path, bytes.get_ref()).map_err(|e| e.to_string())
}

fn time_frames(
    opts: Res<ViewerOptions>,
    sim: Res<SimState>,
    mut cap: ResMut<Capture>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(frames) = opts.frames else {
        return;
    };
    let now = Instant::now();
    if let Some(last) = cap.last {
        cap.frame_ms.push((now - last).as_secs_f64() * 1000.0);
    }
    cap.last = Some(now);
    // The first frames compile pipelines and upload meshes: leave them out.
    if cap.frame_ms.len() as u32 >= frames + 5 {
        let mut ms = cap.frame_ms[5..].to_vec();
        ms.sort_by(f64::total_cmp);
        let mean = ms.iter().sum::<f64>() / ms.len() as f64;
        let p95 = ms[((ms.len() as f64 * 0.95).ceil() as usize).clamp(1, ms.len()) - 1];
        println!(
            "{} frames with {} drones in the air: mean {:.1} ms ({:.1} fps), p95 {:.1} ms, simulated {:.0} s",
            ms.len(),
            sim.0.airborne_count(),
            mean,
            1000.0 / mean,
            p95,
            sim.0.time_s()
        );
        exit.write(AppExit::Success);
    }
}
