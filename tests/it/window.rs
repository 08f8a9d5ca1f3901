//! The real window, rendered under Xvfb with Mesa's software Vulkan (lavapipe): a
//! screenshot of the default scenario at 600 s, checked pixel by pixel where we know what
//! must be there. Needs `xvfb-run` (Debian: xvfb, mesa-vulkan-drivers); without it the test
//! says it is skipped, except in CI (`CI` set), where it fails.

use std::path::Path;
use std::process::Command;

use skycorridor::ids::{FlightId, LaneId};
use skycorridor::network::Network;
use skycorridor::viewer::WATER;
use skycorridor::viewer::corridors::{lane_counts, load_color, load_share};
use skycorridor::viewer::drones::{Look, looks};
use skycorridor::viewer::map::LAND;
use skycorridor::viewer::{View, fit};

const W: u32 = 1280;
const H: u32 = 720;

type Rgb = [u8; 3];

fn srgb(c: bevy::color::Color) -> Rgb {
    let s = c.to_srgba();
    [
        (s.red * 255.0).round() as u8,
        (s.green * 255.0).round() as u8,
        (s.blue * 255.0).round() as u8,
    ]
}

fn near(a: Rgb, b: Rgb, tol: i32) -> bool {
    (0..3).all(|k| (a[k] as i32 - b[k] as i32).abs() <= tol)
}

/// Whether any pixel within `r` of `at` is within `tol` of `want`.
fn any_near(img: &image::RgbImage, at: [f64; 2], r: i32, want: Rgb, tol: i32) -> bool {
    let (x0, y0) = (at[0].round() as i32, at[1].round() as i32);
    (-r..=r).any(|dy| {
        (-r..=r).any(|dx| {
            let (x, y) = (x0 + dx, y0 + dy);
            x >= 0
                && y >= 0
                && x < W as i32
                && y < H as i32
                && near(img.get_pixel(x as u32, y as u32).0, want, tol)
        })
    })
}

/// `view ARGS --screenshot SHOT` under Xvfb with lavapipe, from the crate's root: the
/// picture.
fn screenshot(args: &[&str], shot: &Path) -> image::RgbImage {
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_skycorridor"))
        .arg("view")
        .args(args)
        .arg("--screenshot")
        .arg(shot)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .unwrap();
    assert!(
        out.status.success() && shot.exists(),
        "view {args:?} --screenshot failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    image::open(shot).unwrap().to_rgb8()
}

fn px(view: &View, net: &Network, lat: f64, lon: f64) -> [f64; 2] {
    view.to_px(net.frame.to_local(lat, lon), [W as f64, H as f64])
}

#[test]
fn screenshot_shows_water_land_corridors_and_drones() {
    if !crate::require_tool(
        "xvfb-run",
        "screenshot_shows_water_land_corridors_and_drones",
    ) {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("shot.png");
    let img = screenshot(
        &["--at", "600", "--width", "1280", "--height", "720"],
        &shot,
    );
    assert_eq!(img.dimensions(), (W, H));
    if let Ok(keep) = std::env::var("SKYCORRIDOR_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }

    // The same state the window was drawing: the default scenario at 600 s.
    let mut sim = skycorridor::load(&root.join(skycorridor::DEFAULT_SCENARIO), &[]).unwrap();
    while sim.time_s() < 600.0 {
        sim.step();
    }
    let net = sim.net();
    let view = fit(net, [W as f64, H as f64]);

    // Water in the estuary west of Lantau; land between Dongguan and Huizhou.
    let water = px(&view, net, 22.42, 113.72);
    assert!(
        any_near(&img, water, 0, srgb(WATER), 3),
        "water at {water:?} is {:?}",
        img.get_pixel(water[0] as u32, water[1] as u32)
    );
    let land = px(&view, net, 22.90, 114.10);
    assert!(
        any_near(&img, land, 0, srgb(LAND), 3),
        "land at {land:?} is {:?}",
        img.get_pixel(land[0] as u32, land[1] as u32)
    );

    // A corridor: the middle of the Shenzhen-Huizhou forward lane, in its load colour.
    let counts = lane_counts(&sim);
    let li = net
        .lanes
        .iter()
        .position(|l| net.corridor_ids[l.corridor] == "SZ-HZ" && !l.reverse)
        .map(LaneId::new)
        .unwrap();
    let lane = &net.lanes[li];
    let (a, b) = (lane.points[0], lane.points[lane.points.len() - 1]);
    let mid = view.to_px(
        [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0],
        [W as f64, H as f64],
    );
    let want = srgb(load_color(load_share(net, li, counts[li.index()])));
    assert!(
        any_near(&img, mid, 4, want, 12),
        "no corridor colour {want:?} near {mid:?}"
    );

    // A cruising drone with no other drone within 30 px is drawn where it is.
    let hud = |p: [f64; 2]| p[0] < 360.0 && p[1] < 460.0;
    assert!(
        lonely_drones_drawn(&img, &sim, &view, hud) > 0,
        "the default scenario at 600 s should have an isolated cruising drone"
    );
}

/// Checks that up to three cruising drones of `sim` with no other drone within 30 px,
/// away from the edges and from where `covered` says a panel is, are drawn where `view`
/// puts them; returns how many were checked.
fn lonely_drones_drawn(
    img: &image::RgbImage,
    sim: &skycorridor::sim::Simulation,
    view: &View,
    covered: impl Fn([f64; 2]) -> bool,
) -> usize {
    let states = looks(sim);
    let positions: Vec<(FlightId, [f64; 2])> = sim
        .airborne()
        .map(|(f, d)| (f, view.to_px([d.pos[0], d.pos[1]], [W as f64, H as f64])))
        .collect();
    let lonely = positions
        .iter()
        .filter(|(f, p)| {
            states.iter().any(|(g, l)| g == f && *l == Look::Cruising)
                && !covered(*p)
                && p[0] > 20.0
                && p[1] > 20.0
                && p[0] < W as f64 - 20.0
                && p[1] < H as f64 - 20.0
                && positions
                    .iter()
                    .all(|(g, q)| g == f || (q[0] - p[0]).hypot(q[1] - p[1]) > 30.0)
        })
        .take(3)
        .collect::<Vec<_>>();
    for (f, p) in &lonely {
        assert!(
            any_near(img, *p, 3, srgb(Look::Cruising.color()), 25),
            "drone {} not drawn at {p:?} at {} s",
            sim.flights()[*f].id,
            sim.time_s()
        );
    }
    lonely.len()
}

#[test]
fn a_replay_draws_what_the_live_run_has_at_three_times() {
    if !crate::require_tool(
        "xvfb-run",
        "a_replay_draws_what_the_live_run_has_at_three_times",
    ) {
        return;
    }
    use skycorridor::viewer::replay::{PANEL_W, TIMELINE_H, fit_beside_panels};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    crate::monitor::record_default(dir.path());
    let mut live = skycorridor::load(&root.join(skycorridor::DEFAULT_SCENARIO), &[]).unwrap();
    let view = fit_beside_panels(live.net(), [W as f64, H as f64]);
    // The panels: the HUD (top left), the alerts (right), the timeline and the tuning
    // button (bottom).
    let covered = |p: [f64; 2]| {
        (p[0] < 360.0 && p[1] < 460.0)
            || p[0] > W as f64 - f64::from(PANEL_W) - 16.0
            || p[1] > H as f64 - f64::from(TIMELINE_H) - 30.0
    };
    let mut checked = 0;
    // Seeks out of order: forward, back, forward past several keyframes.
    for t in [1800.0, 600.0, 3000.0] {
        let shot = dir.path().join(format!("replay_{t}.png"));
        let replay = dir.path().to_str().unwrap();
        let img = screenshot(&["--replay", replay, "--at", &t.to_string()], &shot);
        // The live run stepped to t from time 0.
        let mut at = skycorridor::load(&root.join(skycorridor::DEFAULT_SCENARIO), &[]).unwrap();
        while at.time_s() < t {
            at.step();
        }
        checked += lonely_drones_drawn(&img, &at, &view, covered);
        // And the picture tells times apart: two minutes later, the drones that are by
        // then away from every drone drawn are mostly not drawn there.
        let px = |s: &skycorridor::sim::Simulation| -> Vec<[f64; 2]> {
            s.airborne()
                .map(|(_, d)| view.to_px([d.pos[0], d.pos[1]], [W as f64, H as f64]))
                .filter(|p| {
                    !covered(*p)
                        && p[0] > 20.0
                        && p[1] > 20.0
                        && p[0] < W as f64 - 20.0
                        && p[1] < H as f64 - 20.0
                })
                .collect()
        };
        let now = px(&at);
        let mut later = at.snapshot();
        while later.time_s() < t + 120.0 {
            later.step();
        }
        let moved: Vec<[f64; 2]> = px(&later)
            .into_iter()
            .filter(|p| now.iter().all(|q| (q[0] - p[0]).hypot(q[1] - p[1]) > 12.0))
            .collect();
        let cruising = srgb(Look::Cruising.color());
        let seen = moved
            .iter()
            .filter(|p| any_near(&img, **p, 1, cruising, 25))
            .count();
        assert!(
            moved.len() >= 5 && seen * 4 < moved.len(),
            "at {t} s: {seen} of {} drones of two minutes later look drawn",
            moved.len()
        );
        live = at;
    }
    assert!(checked >= 3, "only {checked} isolated drones to check");
    assert_eq!(live.time_s(), 3000.0);
}
