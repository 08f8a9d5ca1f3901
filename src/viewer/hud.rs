//! The egui layer: HUD with time and live KPIs, time and layer controls, the selected
//! drone's or corridor's details, an altitude profile (the selected drone's planned
//! profile, or the corridor's band and lanes), the keyboard help, and map labels.

use std::time::Instant;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::controls::{Playback, SPEEDS};
use super::corridors::{LaneLoad, load_share};
use super::drones::Look;
use super::map::Places;
use super::{Selection, ViewState};
use crate::app::SimState;
use crate::ids::{FlightId, LaneId};
use crate::metrics::Report;
use crate::scenario::NodeKind;
use crate::sim::{FatoUse, Simulation, Status};

/// The KPIs shown live, recomputed once a second (a report reads every flight and event).
#[derive(Resource)]
pub(super) struct LiveKpi {
    pub(super) report: Option<Report>,
    at: Instant,
}

pub(super) fn plugin(app: &mut App) {
    app.insert_resource(LiveKpi {
        report: None,
        at: Instant::now(),
    });
    app.add_systems(EguiPrimaryContextPass, (labels, panels).chain());
}

/// Most vertiports in view whose names are drawn.
pub const MAX_NAMED_VERTIPORTS: usize = 150;

/// A time as `hh:mm:ss`.
pub(super) fn clock(t: f64) -> String {
    let s = t.max(0.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

fn labels(
    mut contexts: EguiContexts,
    state: Res<ViewState>,
    sim: Res<SimState>,
    places: Res<Places>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let painter = ctx.layer_painter(egui::LayerId::background());
    let size = state.size;
    if state.layers.labels {
        let font = egui::FontId::proportional(13.0);
        for (name, p) in &places.0 {
            let q = state.view.to_px(*p, size);
            painter.text(
                egui::pos2(q[0] as f32, q[1] as f32 - 10.0),
                egui::Align2::CENTER_BOTTOM,
                name,
                font.clone(),
                egui::Color32::from_rgba_unmultiplied(200, 205, 190, 170),
            );
        }
        // Vertiports are named while few enough are in view to read (a generated
        // region has thousands: zoom in to see their names).
        let in_view =
            |p: [f64; 2]| (0.0..size[0]).contains(&p[0]) && (0.0..size[1]).contains(&p[1]);
        let name_vertiports = sim
            .0
            .net()
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Vertiport { .. }))
            .filter(|n| in_view(state.view.to_px(n.en, size)))
            .count()
            <= MAX_NAMED_VERTIPORTS;
        let mut dots = egui::Mesh::default();
        for (i, n) in sim.0.net().nodes.iter().enumerate() {
            if matches!(n.kind, NodeKind::Gate { .. }) {
                // A border gate: an amber diamond, with its queue when there is one.
                let q = state.view.to_px(n.en, size);
                let at = egui::pos2(q[0] as f32, q[1] as f32);
                let amber = egui::Color32::from_rgb(255, 190, 60);
                let d = 5.0;
                let corners = vec![
                    at + egui::vec2(0.0, -d),
                    at + egui::vec2(d, 0.0),
                    at + egui::vec2(0.0, d),
                    at + egui::vec2(-d, 0.0),
                ];
                painter.add(egui::Shape::closed_line(
                    corners,
                    egui::Stroke::new(1.5, amber),
                ));
                let waiting = sim.0.gates().stats()[i].queue_len();
                let label = if waiting > 0 {
                    format!("{} ({waiting} waiting)", n.id)
                } else {
                    n.id.clone()
                };
                painter.text(
                    at + egui::vec2(7.0, -2.0),
                    egui::Align2::LEFT_BOTTOM,
                    label,
                    egui::FontId::monospace(10.0),
                    amber,
                );
            }
            if let Some(ti) = n.terminal {
                terminal_area(&painter, &state, &sim.0, ti, size);
            }
            if matches!(n.kind, NodeKind::Vertiport { .. }) {
                let q = state.view.to_px(n.en, size);
                if !in_view(q) {
                    continue;
                }
                let at = egui::pos2(q[0] as f32, q[1] as f32);
                if !name_vertiports {
                    // Too many to name: a faint dot each, in one mesh (a ring each,
                    // anti-aliased, was a quarter of a frame with the region file's 4,442
                    // vertiports in software rendering, and hid the corridors).
                    dots.add_colored_rect(
                        egui::Rect::from_center_size(at, egui::vec2(2.0, 2.0)),
                        egui::Color32::from_rgba_unmultiplied(240, 240, 240, 150),
                    );
                    continue;
                }
                painter.circle_stroke(
                    at,
                    4.0,
                    egui::Stroke::new(1.5, egui::Color32::from_rgb(240, 240, 240)),
                );
                painter.text(
                    at + egui::vec2(6.0, 2.0),
                    egui::Align2::LEFT_TOP,
                    &n.id,
                    egui::FontId::monospace(11.0),
                    egui::Color32::from_rgb(235, 235, 235),
                );
            }
        }
        painter.add(egui::Shape::mesh(dots));
    }
    painter.text(
        egui::pos2(size[0] as f32 - 6.0, size[1] as f32 - 4.0),
        egui::Align2::RIGHT_BOTTOM,
        "Map: Made with Natural Earth",
        egui::FontId::proportional(11.0),
        egui::Color32::from_rgb(150, 160, 170),
    );
    Ok(())
}

fn panels(
    mut contexts: EguiContexts,
    mut state: ResMut<ViewState>,
    mut play: ResMut<Playback>,
    sim: Res<SimState>,
    load: Res<LaneLoad>,
    mut kpi: ResMut<LiveKpi>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let sim = &sim.0;
    if kpi.report.is_none() || kpi.at.elapsed().as_secs_f64() > 1.0 {
        kpi.report = Some(Report::from_sim(sim));
        kpi.at = Instant::now();
    }
    let report = kpi.report.as_ref().expect("computed above");

    egui::Window::new("skycorridor")
        .anchor(egui::Align2::LEFT_TOP, [8.0, 8.0])
        .resizable(false)
        .collapsible(true)
        .show(ctx, |ui| {
            playback(ui, sim, &mut play);
            ui.separator();
            kpi_grid(ui, sim, report);
            ui.separator();
            layers(ui, &mut state);
        });

    match state.selected {
        Selection::Drone(f) if f.index() < sim.flights().len() => {
            drone_panel(ctx, &mut state, sim, f)
        }
        Selection::Lane(l) if l.index() < sim.net().lanes.len() => lane_panel(
            ctx,
            &state,
            sim,
            l,
            load.0.get(l.index()).copied().unwrap_or(0),
        ),
        Selection::Vertiport(t) if t < sim.net().terminals.len() => {
            vertiport_panel(ctx, sim, t, state.right_inset_px)
        }
        _ => {}
    }

    if state.help {
        help(ctx);
    }
    Ok(())
}

/// Time, speed and the playback buttons.
fn playback(ui: &mut egui::Ui, sim: &Simulation, play: &mut Playback) {
    ui.heading(format!("{}  {}", clock(sim.time_s()), sim.scenario().name));
    let u = &sim.scenario().uncertainty;
    let has = |w: &crate::scenario::Wind| w.speed_mps > 0.0 || w.grid_csv.is_some();
    if has(&u.wind) || has(u.forecast_wind()) || !u.gusts.is_none() {
        let w = |w: &crate::scenario::Wind| match &w.grid_csv {
            Some(file) => {
                let name = std::path::Path::new(file).file_name().unwrap_or_default();
                format!("grid {}", name.to_string_lossy())
            }
            None => format!("{:.1} m/s from {:.0}°", w.speed_mps, w.from_deg),
        };
        let forecast = match &u.forecast {
            Some(f) => format!(" (forecast {})", w(f)),
            None => String::new(),
        };
        let gusts = if u.gusts.is_none() {
            String::new()
        } else {
            format!(", gusts sd {:.1} m/s", u.gusts.sd_mps)
        };
        let at = if u.wind.grid_csv.is_some() {
            format!(" at {:.0} m", sim.net().mean_lane_alt_m())
        } else {
            String::new()
        };
        ui.label(format!(
            "wind {}{forecast}{gusts} (arrows: downwind{at})",
            w(&u.wind)
        ));
    }
    let speed = if play.max_speed {
        "as fast as possible".to_string()
    } else {
        format!("{}x", SPEEDS[play.speed])
    };
    ui.label(format!(
        "{}{}",
        if play.paused { "paused, " } else { "" },
        if sim.finished() {
            "finished".to_string()
        } else {
            speed
        }
    ));
    ui.horizontal(|ui| {
        if ui
            .button(if play.paused { "Resume" } else { "Pause" })
            .clicked()
        {
            play.paused = !play.paused;
        }
        if ui.button("Step").clicked() {
            play.paused = true;
            play.step_once += 1;
        }
        if ui.button("-").clicked() {
            play.speed = play.speed.saturating_sub(1);
            play.max_speed = false;
        }
        if ui.button("+").clicked() {
            play.speed = (play.speed + 1).min(SPEEDS.len() - 1);
            play.max_speed = false;
        }
        ui.toggle_value(&mut play.max_speed, "Max");
    });
}

/// The live KPIs.
fn kpi_grid(ui: &mut egui::Ui, sim: &Simulation, report: &Report) {
    egui::Grid::new("kpi").num_columns(2).show(ui, |ui| {
        let rows = [
            ("in the air", sim.airborne_count().to_string()),
            ("completed", report.flights.completed.to_string()),
            ("planned", report.flights.planned.to_string()),
            (
                "conflicts",
                format!("{} ({} now)", report.conflicts, sim.events().open_pairs()),
            ),
            (
                "losses of sep.",
                format!(
                    "{} ({} at vertiports)",
                    report.losses_of_separation, report.losses_of_separation_at_vertiports
                ),
            ),
            (
                "LoS / flight h",
                format!("{:.2}", report.los_per_flight_hour),
            ),
            (
                "min separation",
                report
                    .min_separation_m
                    .map_or("-".into(), |m| format!("{m:.1} m")),
            ),
            (
                "delay mean / p95",
                format!("{:.1} / {:.1} s", report.delay_s.mean, report.delay_s.p95),
            ),
            ("arrivals / h", format!("{:.1}", report.throughput_per_hour)),
            ("energy", format!("{:.1} kWh", report.energy_wh / 1000.0)),
            (
                "battery depleted",
                report.flights.battery_depleted.to_string(),
            ),
        ];
        for (k, v) in rows {
            ui.label(k);
            ui.label(v);
            ui.end_row();
        }
    });
}

/// Layer switches and the colour legend.
fn layers(ui: &mut egui::Ui, state: &mut ViewState) {
    let l = &mut state.layers;
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut l.map, "map");
        ui.checkbox(&mut l.corridors, "corridors");
        ui.checkbox(&mut l.zones, "zones");
        ui.checkbox(&mut l.labels, "labels");
        ui.checkbox(&mut l.trails, "trails");
        ui.checkbox(&mut l.rings, "rings");
    });
    ui.horizontal_wrapped(|ui| {
        for look in [
            Look::Climbing,
            Look::Cruising,
            Look::Descending,
            Look::Holding,
            Look::Conflict,
            Look::Los,
        ] {
            let c = look.color().to_srgba();
            let c32 = egui::Color32::from_rgb(
                (c.red * 255.0) as u8,
                (c.green * 255.0) as u8,
                (c.blue * 255.0) as u8,
            );
            ui.colored_label(c32, format!("{look:?}").to_lowercase());
        }
    });
    ui.small("H: keyboard help");
}

/// The keyboard and mouse help.
fn help(ctx: &egui::Context) {
    egui::Window::new("Keyboard and mouse")
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            egui::Grid::new("help").num_columns(2).show(ui, |ui| {
                for (k, v) in [
                    ("drag", "pan"),
                    ("wheel", "zoom toward the cursor"),
                    ("click", "select a drone, vertiport or corridor"),
                    ("Space", "pause / resume"),
                    (". or N", "one step"),
                    ("+ / -", "faster / slower (1x to 1000x)"),
                    ("M", "as fast as possible"),
                    ("F", "fit the scenario"),
                    ("C", "follow the selected drone"),
                    ("P", "altitude profile"),
                    ("1-6", "map, corridors, zones, labels, trails, rings"),
                    ("Esc", "clear the selection"),
                    ("H or ?", "this help"),
                ] {
                    ui.monospace(k);
                    ui.label(v);
                    ui.end_row();
                }
            });
        });
}

fn drone_panel(ctx: &mut egui::Context, state: &mut ViewState, sim: &Simulation, f: FlightId) {
    let flight = &sim.flights()[f];
    let plan = sim.plan(f);
    let ty = sim.drone_type(f);
    let st = &sim.states()[f];
    let live = sim.airborne().find(|(g, _)| *g == f).map(|(_, d)| *d);
    let d = live.unwrap_or_else(|| st.final_dynamics());
    let mut follow = state.follow;
    egui::Window::new(format!("Drone {}", flight.id))
        .anchor(egui::Align2::RIGHT_TOP, [-8.0 - state.right_inset_px, 8.0])
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("drone").num_columns(2).show(ui, |ui| {
                // Delay now: how far behind the plan it is at its current point of the path.
                let planned_at = plan.planned_time_at(d.motion.s);
                let delay = sim.time_s() - (flight.departure_s + planned_at);
                let rows = [
                    ("type", ty.id.clone()),
                    (
                        "from / to",
                        format!(
                            "{} -> {}",
                            sim.net().nodes[plan.origin].id,
                            sim.net().nodes[plan.destination].id
                        ),
                    ),
                    ("route", plan.route_label(sim.net())),
                    ("status", format!("{:?}", st.status)),
                    (
                        "phase",
                        if live.is_some() {
                            format!("{:?}", d.phase())
                        } else {
                            "-".into()
                        },
                    ),
                    ("speed", format!("{:.1} m/s", d.speed())),
                    ("altitude", format!("{:.0} m", d.pos.z)),
                    (
                        "battery",
                        format!("{:.0} %", 100.0 * (1.0 - d.energy_wh / ty.battery_wh)),
                    ),
                    (
                        "flown",
                        format!(
                            "{:.1} of {:.1} km",
                            d.motion.s / 1000.0,
                            plan.path.total_m() / 1000.0
                        ),
                    ),
                    (
                        "departure",
                        format!(
                            "{} (planned {})",
                            clock(st.takeoff_s),
                            clock(flight.departure_s)
                        ),
                    ),
                    (
                        "planned arrival",
                        clock(flight.departure_s + plan.duration_s),
                    ),
                    (
                        "delay",
                        if st.status == Status::Airborne {
                            format!("{delay:.0} s")
                        } else {
                            "-".into()
                        },
                    ),
                ];
                for (k, v) in rows {
                    ui.label(k);
                    ui.label(v);
                    ui.end_row();
                }
            });
            ui.checkbox(&mut follow, "follow (C)");
            if state.profile {
                ui.separator();
                ui.label("altitude along the route (m)");
                let pts: Vec<(f64, f64)> = plan
                    .path
                    .cum
                    .iter()
                    .enumerate()
                    .map(|(k, &s)| {
                        let z = if k < plan.path.segs.len() {
                            plan.path.segs[k].start[2]
                        } else {
                            plan.path.position(k - 1, s)[2]
                        };
                        (s, z)
                    })
                    .collect();
                profile(
                    ui,
                    &pts,
                    plan.path.total_m(),
                    live.map(|d| (d.motion.s, d.pos.z)),
                    &[],
                );
            }
        });
    state.follow = follow;
}

/// A vertiport's terminal area when zoomed in far enough to tell its parts apart: the
/// FATOs (squares, filled while taken), the fix (a ring), the approach and departure
/// legs between them, the stands (small dots in a row behind the FATOs, filled while
/// taken; the model counts stands, this row only shows them), and how many drones hold
/// in its stack and the line behind it.
fn terminal_area(
    painter: &egui::Painter,
    state: &ViewState,
    sim: &Simulation,
    ti: usize,
    size: [f64; 2],
) {
    let t = &sim.net().terminals[ti];
    if state.view.m_per_px > t.fato_spacing_m / 6.0 {
        return;
    }
    let px = |en: [f64; 2]| {
        let q = state.view.to_px(en, size);
        egui::pos2(q[0] as f32, q[1] as f32)
    };
    let (line_c, fato_c) = (
        egui::Color32::from_rgba_unmultiplied(180, 200, 255, 120),
        egui::Color32::from_rgb(240, 240, 240),
    );
    let fix = px(t.fix_en);
    let side = ((t.fato_spacing_m / 4.0) / state.view.m_per_px) as f32;
    let view = sim.terminal_view(ti);
    for (f, used) in t.fatos.iter().zip(&view.fatos) {
        let at = px(*f);
        painter.line_segment([fix, at], egui::Stroke::new(1.0, line_c));
        let rect = egui::Rect::from_center_size(at, egui::vec2(side, side));
        if *used != FatoUse::Free {
            painter.rect_filled(rect, 0.0, fato_c.gamma_multiply(0.5));
        }
        painter.rect_stroke(
            rect,
            0.0,
            egui::Stroke::new(1.5, fato_c),
            egui::StrokeKind::Middle,
        );
    }
    // Stands: a row half a FATO spacing behind the FATOs, as wide as their row.
    let across = [t.axis[1], -t.axis[0]];
    let n = t.stands.max(1) as usize;
    let width = t.fato_spacing_m * (t.fatos.len().max(2) - 1) as f64;
    for k in 0..n {
        let o = if n > 1 {
            width * (k as f64 / (n - 1) as f64 - 0.5)
        } else {
            0.0
        };
        let behind = 0.5 * t.fato_spacing_m;
        let at = px([
            t.centre[0] + behind * t.axis[0] + o * across[0],
            t.centre[1] + behind * t.axis[1] + o * across[1],
        ]);
        if (k as u32) < view.stands_in_use {
            painter.circle_filled(at, 2.5, fato_c);
        } else {
            painter.circle_stroke(at, 2.5, egui::Stroke::new(1.0, fato_c));
        }
    }
    painter.circle_stroke(fix, 5.0, egui::Stroke::new(1.5, line_c));
    let stack = view.stack.iter().filter(|s| s.is_some()).count();
    let line = view.line.len();
    if stack + line > 0 {
        painter.text(
            fix + egui::vec2(7.0, 2.0),
            egui::Align2::LEFT_TOP,
            format!("stack {stack}/{}, line {line}", t.stack_levels),
            egui::FontId::monospace(10.0),
            egui::Color32::from_rgb(255, 200, 80),
        );
    }
}

/// The selected vertiport: its FATOs, stands, stack and line now, and its counters.
fn vertiport_panel(ctx: &mut egui::Context, sim: &Simulation, ti: usize, inset: f32) {
    let net = sim.net();
    let t = &net.terminals[ti];
    let v = sim.terminal_view(ti);
    let stats = sim.terminal_stats().nth(ti).cloned().unwrap_or_default();
    let id = |f: FlightId| sim.flights()[f].id.clone();
    let list = |fs: &[FlightId]| {
        if fs.is_empty() {
            "-".to_string()
        } else {
            let mut s: Vec<String> = fs.iter().take(4).map(|&f| id(f)).collect();
            if fs.len() > 4 {
                s.push(format!("and {} more", fs.len() - 4));
            }
            s.join(", ")
        }
    };
    let fatos: Vec<String> = v
        .fatos
        .iter()
        .map(|u| match u {
            FatoUse::Free => "free".to_string(),
            FatoUse::Clearing => "clearing".to_string(),
            FatoUse::Movement(f) => id(*f),
        })
        .collect();
    let stack: Vec<String> = v
        .stack
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let alt = t.stack_alt_m(k as u32 + 1);
            format!("{alt:.0} m: {}", s.map_or("-".to_string(), id))
        })
        .collect();
    let hours = (sim.time_s() / 3600.0).max(1e-9);
    egui::Window::new(format!("Vertiport {}", net.nodes[t.node].id))
        .anchor(egui::Align2::RIGHT_TOP, [-8.0 - inset, 8.0])
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("vertiport").num_columns(2).show(ui, |ui| {
                let rows = [
                    ("FATOs", fatos.join(", ")),
                    (
                        "stands",
                        format!("{} of {} taken", v.stands_in_use, t.stands),
                    ),
                    (
                        "stack",
                        if stack.is_empty() {
                            "none (ceiling)".to_string()
                        } else {
                            stack.join("; ")
                        },
                    ),
                    ("line", format!("{}: {}", v.line.len(), list(&v.line))),
                    ("asking", v.asking.to_string()),
                    (
                        "on stands",
                        format!("{} due: {}", v.on_stands.len(), list(&v.on_stands)),
                    ),
                    (
                        "movements",
                        format!(
                            "{} landings, {} take-offs ({:.0} an hour)",
                            stats.arrivals,
                            stats.departures,
                            (stats.arrivals + stats.departures) as f64 / hours
                        ),
                    ),
                    (
                        "held",
                        format!(
                            "{} arrivals, longest {:.0} s",
                            stats.held, stats.max_holding_s
                        ),
                    ),
                ];
                for (k, val) in rows {
                    ui.label(k);
                    ui.label(val);
                    ui.end_row();
                }
            });
        });
}

fn lane_panel(
    ctx: &mut egui::Context,
    state: &ViewState,
    sim: &Simulation,
    lane: LaneId,
    count: u32,
) {
    let net = sim.net();
    let l = &net.lanes[lane];
    let Some(c) = sim.scenario().corridors.get(l.corridor) else {
        return; // a vertiport's connector: its vertiport's panel tells
    };
    egui::Window::new(format!("Corridor {}", c.id))
        .anchor(egui::Align2::RIGHT_TOP, [-8.0 - state.right_inset_px, 8.0])
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("lane").num_columns(2).show(ui, |ui| {
                let rows = [
                    (
                        "lane",
                        format!(
                            "{} -> {} at {:.0} m",
                            net.nodes[l.from].id, net.nodes[l.to].id, l.alt_m
                        ),
                    ),
                    (
                        "band",
                        format!(
                            "{:.0} to {:.0} m, {:?}",
                            c.min_alt_m, c.max_alt_m, c.direction
                        ),
                    ),
                    ("length", format!("{:.1} km", l.length_m / 1000.0)),
                    ("width", format!("{:.0} m", c.width_m)),
                    (
                        "speed limit",
                        if l.speed_limit_mps < c.speed_limit_mps {
                            format!(
                                "{:.0} m/s (corridor {:.0}, cut by its jurisdiction)",
                                l.speed_limit_mps, c.speed_limit_mps
                            )
                        } else {
                            format!("{:.0} m/s", l.speed_limit_mps)
                        },
                    ),
                    (
                        "jurisdiction",
                        l.jurisdiction.map_or("-".to_string(), |j| {
                            let j = &net.jurisdictions[j];
                            format!(
                                "{} ({}, {}); minima {:.0} m / {:.0} m",
                                j.name, j.id, j.territory, l.minima[0], l.minima[1]
                            )
                        }),
                    ),
                    (
                        "headway",
                        format!(
                            "{:.0} s ({:.0} entries/h)",
                            c.headway_s,
                            3600.0 / c.headway_s.max(1e-9)
                        ),
                    ),
                    ("drones now", count.to_string()),
                    (
                        "load",
                        format!("{:.0} % of capacity", 100.0 * load_share(net, lane, count)),
                    ),
                    (
                        "entries so far",
                        sim.lane_stats()[lane.index()].entries.to_string(),
                    ),
                ];
                for (k, v) in rows {
                    ui.label(k);
                    ui.label(v);
                    ui.end_row();
                }
            });
            if state.profile {
                ui.separator();
                ui.label("altitude band and lanes (m)");
                let lanes: Vec<f64> = net
                    .lanes
                    .iter()
                    .filter(|x| x.corridor == l.corridor)
                    .map(|x| x.alt_m)
                    .collect();
                let band = [
                    (0.0, c.min_alt_m),
                    (l.length_m, c.min_alt_m),
                    (l.length_m, c.max_alt_m),
                    (0.0, c.max_alt_m),
                    (0.0, c.min_alt_m),
                ];
                profile(ui, &band, l.length_m, None, &lanes);
            }
        });
}

/// A small altitude-versus-distance plot: a polyline, an optional marker, level lines.
fn profile(
    ui: &mut egui::Ui,
    pts: &[(f64, f64)],
    length: f64,
    marker: Option<(f64, f64)>,
    levels: &[f64],
) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(300.0, 110.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, egui::Color32::from_rgb(20, 28, 38));
    let zmax = pts
        .iter()
        .map(|p| p.1)
        .chain(levels.iter().copied())
        .fold(10.0_f64, f64::max)
        * 1.15;
    let to = |s: f64, z: f64| {
        egui::pos2(
            rect.left() + 6.0 + (s / length.max(1.0)) as f32 * (rect.width() - 12.0),
            rect.bottom() - 6.0 - (z / zmax) as f32 * (rect.height() - 12.0),
        )
    };
    for &z in levels {
        painter.line_segment(
            [to(0.0, z), to(length, z)],
            egui::Stroke::new(1.5, egui::Color32::from_rgb(90, 200, 210)),
        );
        painter.text(
            to(0.0, z),
            egui::Align2::LEFT_BOTTOM,
            format!("{z:.0}"),
            egui::FontId::monospace(10.0),
            egui::Color32::LIGHT_GRAY,
        );
    }
    let line: Vec<egui::Pos2> = pts.iter().map(|&(s, z)| to(s, z)).collect();
    painter.add(egui::Shape::line(
        line,
        egui::Stroke::new(1.5, egui::Color32::from_rgb(220, 220, 220)),
    ));
    if let Some((s, z)) = marker {
        painter.circle_filled(to(s, z), 4.0, egui::Color32::from_rgb(255, 210, 40));
    }
    painter.text(
        rect.right_top() + egui::vec2(-4.0, 4.0),
        egui::Align2::RIGHT_TOP,
        format!("{zmax:.0} m"),
        egui::FontId::monospace(10.0),
        egui::Color32::GRAY,
    );
}
