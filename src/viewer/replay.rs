//! The monitoring view of a recorded run (`view --replay DIR`): a timeline along the
//! bottom (play, pause, speed, a scrubber, and the alerts in force per kind as a strip
//! chart above it, so the trouble shows at a glance) and an alerts panel on the right
//! (filter by kind; a line jumps the timeline and the camera to the alert and selects
//! its drones; a loss of separation shows what led to it).
//!
//! Seeking replaces the simulation with [`Replay::at`]; playing steps it as a live run
//! would, so what is drawn at time T is the live run at T.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::controls::{Playback, SPEEDS};
use super::hud::clock;
use super::{Selection, ViewState};
use crate::app::SimState;
use crate::ids::FlightId;
use crate::monitor::replay::Replay;
use crate::monitor::{Alert, AlertKind, KINDS, Subject, counts};
use crate::sim::events::EventKind;

/// Width of the alerts panel, logical pixels.
pub const PANEL_W: f32 = 330.0;
/// Height of the timeline, logical pixels.
pub const TIMELINE_H: f32 = 118.0;

/// The replay and what the monitoring view shows of it.
#[derive(Resource)]
pub struct ReplayView {
    /// The run.
    pub replay: Replay,
    /// Alerts in force per kind per bin (240 bins over the run).
    bins: Vec<[u32; KINDS]>,
    /// Kinds listed in the panel (in [`AlertKind::ALL`] order).
    pub shown: [bool; KINDS],
    /// The alert last jumped to (index into the replay's alerts).
    pub selected: Option<usize>,
    /// An alert to jump to at the next frame (`view --alert`).
    pub jump_to: Option<usize>,
}

impl ReplayView {
    /// The view of `replay`.
    pub fn new(replay: Replay) -> Self {
        let bin_s = (replay.end_s() / 240.0).max(1.0);
        ReplayView {
            bins: counts(&replay.alerts, bin_s, replay.end_s()),
            replay,
            // Conflicts are the many: listed on demand.
            shown: [false, true, true, true, true, true, true, true],
            selected: None,
            jump_to: None,
        }
    }
}

/// The network fitted to the part of a window of `size` pixels that the alerts panel (on
/// the right) and the timeline (along the bottom) leave free.
pub fn fit_beside_panels(net: &crate::network::Network, size: [f64; 2]) -> super::View {
    let (pw, th) = (f64::from(PANEL_W), f64::from(TIMELINE_H) + 16.0);
    let free = [(size[0] - pw).max(100.0), (size[1] - th).max(100.0)];
    let mut v = super::fit(net, free);
    // The free part's centre is (pw / 2, th / 2) pixels left of and above the window's.
    v.center[0] += pw / 2.0 * v.m_per_px;
    v.center[1] -= th / 2.0 * v.m_per_px;
    v
}

/// A kind's colour, in the strip chart and the list.
pub fn kind_color(k: AlertKind) -> egui::Color32 {
    match k {
        AlertKind::Conflict => egui::Color32::from_rgb(240, 200, 60),
        AlertKind::Los => egui::Color32::from_rgb(235, 70, 60),
        AlertKind::LowBattery => egui::Color32::from_rgb(200, 120, 255),
        AlertKind::Holding => egui::Color32::from_rgb(80, 170, 255),
        AlertKind::GateQueue => egui::Color32::from_rgb(255, 150, 60),
        AlertKind::NonConformance => egui::Color32::from_rgb(120, 220, 160),
        AlertKind::Geofence => egui::Color32::from_rgb(255, 110, 200),
        AlertKind::Stale => egui::Color32::from_rgb(150, 150, 150),
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        panels.run_if(resource_exists::<ReplayView>),
    );
}

/// What an alert is on, in words.
fn subject(sim: &crate::sim::Simulation, a: &Alert) -> String {
    let id = |f: FlightId| sim.flights()[f.index()].id.clone();
    match a.subject {
        Subject::Pair(x, y) => format!("{} / {}", id(x), id(y)),
        Subject::Flight(f) => id(f),
        Subject::Node(n) => sim.net().nodes[n].id.clone(),
        Subject::Zone(f, z) => format!("{} near {}", id(f), sim.net().zones[z as usize].id),
    }
}

fn panels(
    mut contexts: EguiContexts,
    mut rv: ResMut<ReplayView>,
    mut sim: ResMut<SimState>,
    mut state: ResMut<ViewState>,
    mut play: ResMut<Playback>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let size = state.size;
    let mut seek: Option<f64> = None;
    let end = rv.replay.end_s();

    // The timeline, right of the tuning panel's button.
    let width = (size[0] as f32 - PANEL_W - 176.0).max(200.0);
    egui::Window::new("Timeline")
        .anchor(egui::Align2::LEFT_BOTTOM, [160.0, -8.0])
        .fixed_size([width, TIMELINE_H])
        .collapsible(false)
        .title_bar(false)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let label = if play.paused { "▶ play" } else { "⏸ pause" };
                if ui.button(label).clicked() {
                    play.paused = !play.paused;
                }
                egui::ComboBox::from_id_salt("replay_speed")
                    .selected_text(format!("{}x", SPEEDS[play.speed]))
                    .show_ui(ui, |ui| {
                        for (i, s) in SPEEDS.iter().enumerate() {
                            ui.selectable_value(&mut play.speed, i, format!("{s}x"));
                        }
                    });
                ui.label(format!(
                    "{} / {}  replay of {}",
                    clock(sim.0.time_s()),
                    clock(end),
                    sim.0.scenario().name
                ));
            });
            // Strip chart: alerts in force per bin, stacked by kind.
            let (rect, resp) = ui.allocate_exact_size(
                egui::vec2(ui.available_width(), 48.0),
                egui::Sense::click_and_drag(),
            );
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 2.0, egui::Color32::from_gray(25));
            let most = rv
                .bins
                .iter()
                .map(|b| b.iter().sum::<u32>())
                .max()
                .unwrap_or(0)
                .max(1) as f32;
            let n = rv.bins.len().max(1) as f32;
            let w = rect.width() / n;
            for (i, b) in rv.bins.iter().enumerate() {
                let mut y = rect.bottom();
                for (k, &c) in b.iter().enumerate() {
                    if c == 0 {
                        continue;
                    }
                    let h = rect.height() * c as f32 / most;
                    let x = rect.left() + i as f32 * w;
                    painter.rect_filled(
                        egui::Rect::from_min_max(egui::pos2(x, y - h), egui::pos2(x + w, y)),
                        0.0,
                        kind_color(AlertKind::ALL[k]),
                    );
                    y -= h;
                }
            }
            let now_x = rect.left() + rect.width() * (sim.0.time_s() / end.max(1e-9)) as f32;
            painter.vline(
                now_x,
                rect.y_range(),
                egui::Stroke::new(1.5, egui::Color32::WHITE),
            );
            if let Some(p) = resp
                .interact_pointer_pos()
                .filter(|_| resp.is_pointer_button_down_on() || resp.clicked())
            {
                seek = Some(end * f64::from(((p.x - rect.left()) / rect.width()).clamp(0.0, 1.0)));
            }
            // The scrubber.
            let mut t = sim.0.time_s();
            ui.spacing_mut().slider_width = ui.available_width() - 80.0;
            let r = ui.add(
                egui::Slider::new(&mut t, 0.0..=end)
                    .show_value(true)
                    .suffix(" s")
                    .step_by(sim.0.scenario().dt_s),
            );
            if r.changed() {
                seek = Some(t);
            }
        });

    // The alerts panel.
    let dt = sim.0.scenario().dt_s;
    let mut jump: Option<usize> = rv.jump_to.take();
    egui::Window::new("Alerts")
        .anchor(egui::Align2::RIGHT_TOP, [-8.0, 8.0])
        .fixed_size([PANEL_W - 16.0, (size[1] as f32 - 60.0).max(200.0)])
        .collapsible(false)
        .show(ctx, |ui| {
            let mut per = [0usize; KINDS];
            for a in &rv.replay.alerts {
                per[a.kind.index()] += 1;
            }
            ui.horizontal_wrapped(|ui| {
                for (k, kind) in AlertKind::ALL.iter().enumerate() {
                    let text = egui::RichText::new(format!(
                        "{} {}",
                        kind.name().replace('_', " "),
                        per[k]
                    ))
                    .color(kind_color(*kind));
                    let on = rv.shown[k];
                    if ui.selectable_label(on, text).clicked() {
                        rv.shown[k] = !on;
                    }
                }
            });
            ui.separator();
            if let Some(i) = rv.selected {
                cause(ui, &rv, &sim.0, i, dt);
                ui.separator();
            }
            let listed: Vec<usize> = rv
                .replay
                .alerts
                .iter()
                .enumerate()
                .filter(|(_, a)| rv.shown[a.kind.index()])
                .map(|(i, _)| i)
                .collect();
            let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            let mut scroll = egui::ScrollArea::vertical().auto_shrink(false);
            if let Some(row) = jump.and_then(|j| listed.iter().position(|&i| i == j)) {
                scroll = scroll.vertical_scroll_offset(row as f32 * row_h);
            }
            scroll.show_rows(ui, row_h, listed.len(), |ui, range| {
                for &i in &listed[range] {
                    let a = &rv.replay.alerts[i];
                    let line = format!(
                        "{}  {:<10} {}",
                        clock(a.start_s),
                        a.kind.name().replace('_', " "),
                        subject(&sim.0, a)
                    );
                    let text = egui::RichText::new(line)
                        .monospace()
                        .size(11.0)
                        .color(kind_color(a.kind));
                    if ui.selectable_label(rv.selected == Some(i), text).clicked() {
                        jump = Some(i);
                    }
                }
            });
        });

    if let Some(i) = jump {
        let a = rv.replay.alerts[i].clone();
        rv.selected = Some(i);
        seek = Some(a.start_s);
        play.paused = true;
        // The alert in the middle of what the panels leave free.
        let m = state.view.m_per_px.min(8.0);
        state.view.m_per_px = m;
        state.view.center = [
            a.at[0] + f64::from(PANEL_W) / 2.0 * m,
            a.at[1] - f64::from(TIMELINE_H) / 2.0 * m,
        ];
        state.follow = false;
        state.selected = match a.subject {
            Subject::Pair(f, _) | Subject::Flight(f) | Subject::Zone(f, _) => Selection::Drone(f),
            Subject::Node(n) => sim.0.net().nodes[n]
                .terminal
                .map_or(Selection::None, Selection::Vertiport),
        };
    }
    if let Some(t) = seek {
        sim.0 = rv.replay.at(t);
    }
    Ok(())
}

/// The selected alert, and for a loss of separation what led to it.
fn cause(ui: &mut egui::Ui, rv: &ReplayView, sim: &crate::sim::Simulation, i: usize, dt: f64) {
    let a = &rv.replay.alerts[i];
    ui.label(
        egui::RichText::new(format!(
            "{} {}: {} to {}, {} {:.1}",
            a.kind.name().replace('_', " "),
            subject(sim, a),
            clock(a.start_s),
            clock(a.end_s),
            a.kind.peak_unit(),
            a.peak
        ))
        .color(kind_color(a.kind)),
    );
    let Subject::Pair(x, y) = a.subject else {
        return;
    };
    if a.kind != AlertKind::Los {
        return;
    }
    let Some(e) = rv.replay.losses.iter().find(|e| {
        e.kind == EventKind::Los
            && (e.a, e.b) == (x, y)
            && e.start_s >= a.start_s - 1e-9
            && e.start_s < a.start_s + dt + 1e-9
    }) else {
        return;
    };
    let Some(c) = &e.cause else {
        return;
    };
    let id = |f: FlightId| sim.flights()[f.index()].id.clone();
    let place = |p| crate::metrics::place_label(sim.net(), p);
    for (k, f) in [x, y].into_iter().enumerate() {
        ui.label(format!(
            "{}: {} at {}, {}",
            id(f),
            c.phases[k].name(),
            place(c.places[k]),
            c.decisions[k]
        ));
    }
    ui.label(if c.predicted {
        format!("predicted {:.1} s ahead", c.warning_s)
    } else {
        "not predicted (no alert before it)".to_string()
    });
    if let Some(p) = c.follows {
        ui.label(format!(
            "follows {} {} / {} ({:.1} s after it){}",
            if p.kind == EventKind::Los {
                "loss"
            } else {
                "conflict"
            },
            id(p.a),
            id(p.b),
            p.gap_s,
            if c.domino() { ": a domino" } else { "" }
        ));
    }
    if let Some(g) = c.earlier_episode_gap_s {
        ui.label(format!(
            "the pair was in conflict before ({g:.0} s earlier)"
        ));
    }
}
