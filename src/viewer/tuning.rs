//! The tuning panel: the scenario's main parameters and the selected corridor's, edited
//! on a copy and applied with a restart (re-planned from time zero); the previous run's
//! KPIs beside the current ones; reload errors; "Save as". The rules are in
//! [`crate::app::tuning`]; this only edits and asks.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::{Selection, ViewState};
use crate::app::SimState;
use crate::app::tuning::{Retune, ScenarioSource, TuningStatus, save_scenario};
use crate::metrics::Report;
use crate::scenario::{Corridor, Scenario, Tactical};

#[derive(Resource)]
struct Draft {
    scenario: Scenario,
    save_path: String,
    saved: Option<String>,
    open: bool,
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, init);
    app.add_systems(Update, forget_selection_on_restart);
    app.add_systems(EguiPrimaryContextPass, panel);
}

/// A restart re-plans every flight (and may change lanes): what was selected is gone.
fn forget_selection_on_restart(
    status: Res<TuningStatus>,
    mut state: ResMut<ViewState>,
    mut seen: Local<u32>,
) {
    if status.restarts != *seen {
        *seen = status.restarts;
        state.selected = Selection::None;
        state.follow = false;
    }
}

fn init(mut commands: Commands, source: Res<ScenarioSource>) {
    let save_path = match &source.path {
        Some(p) => p.with_file_name(format!(
            "{}_tuned.ron",
            p.file_stem()
                .map_or("scenario".into(), |s| s.to_string_lossy().to_string())
        )),
        None => "tuned.ron".into(),
    };
    commands.insert_resource(Draft {
        scenario: source.scenario.clone(),
        save_path: save_path.display().to_string(),
        saved: None,
        open: true,
    });
}

fn number(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut f64,
    range: std::ops::RangeInclusive<f64>,
    speed: f64,
) {
    ui.label(label);
    ui.add(egui::DragValue::new(value).range(range).speed(speed));
    ui.end_row();
}

/// Separation, look-ahead, demand and the deconfliction methods.
fn global_settings(ui: &mut egui::Ui, d: &mut Scenario) {
    egui::Grid::new("global").num_columns(2).show(ui, |ui| {
        number(
            ui,
            "horizontal minimum (m)",
            &mut d.separation.horizontal_m,
            1.0..=2000.0,
            1.0,
        );
        number(
            ui,
            "vertical minimum (m)",
            &mut d.separation.vertical_m,
            1.0..=500.0,
            0.5,
        );
        number(
            ui,
            "look-ahead (s)",
            &mut d.separation.lookahead_s,
            0.0..=600.0,
            1.0,
        );
        number(ui, "demand scale", &mut d.demand.scale, 0.0..=100.0, 0.05);
        ui.label("resolution");
        let t = &mut d.deconfliction.tactical;
        egui::ComboBox::from_id_salt("tactical")
            .selected_text(format!("{t:?}"))
            .show_ui(ui, |ui| {
                for m in [
                    Tactical::None,
                    Tactical::Speed,
                    Tactical::Vertical,
                    Tactical::Mvp,
                ] {
                    ui.selectable_value(t, m, format!("{m:?}"));
                }
            });
        ui.end_row();
        ui.label("strategic");
        ui.checkbox(&mut d.deconfliction.strategic, "reserve lanes and pads");
        ui.end_row();
    });
}

/// The selected corridor's band, width, speed limit and headway.
fn corridor_settings(ui: &mut egui::Ui, c: &mut Corridor) {
    ui.separator();
    ui.label(format!("corridor {}", c.id));
    egui::Grid::new("corridor").num_columns(2).show(ui, |ui| {
        number(ui, "band floor (m)", &mut c.min_alt_m, 0.0..=5000.0, 1.0);
        number(ui, "band ceiling (m)", &mut c.max_alt_m, 0.0..=5000.0, 1.0);
        number(ui, "width (m)", &mut c.width_m, 1.0..=5000.0, 1.0);
        number(
            ui,
            "speed limit (m/s)",
            &mut c.speed_limit_mps,
            0.5..=150.0,
            0.5,
        );
        number(ui, "headway (s)", &mut c.headway_s, 0.0..=600.0, 0.5);
    });
}

/// What the tuning panel reads.
#[derive(SystemParam)]
struct PanelInputs<'w> {
    state: Res<'w, ViewState>,
    source: Res<'w, ScenarioSource>,
    status: Res<'w, TuningStatus>,
    sim: Res<'w, SimState>,
    live: Res<'w, super::hud::LiveKpi>,
}

fn panel(
    mut contexts: EguiContexts,
    mut draft: ResMut<Draft>,
    inputs: PanelInputs,
    mut retune: ResMut<Retune>,
) -> Result {
    let (source, status, live) = (&inputs.source, &inputs.status, &inputs.live);
    let ctx = contexts.ctx_mut()?;
    // After a restart (or a reload) the draft follows what runs.
    if source.is_changed() {
        draft.scenario = source.scenario.clone();
    }
    let mut open = draft.open;
    egui::Window::new("Tuning")
        .anchor(egui::Align2::LEFT_BOTTOM, [8.0, -8.0])
        .open(&mut open)
        .default_open(false)
        .resizable(false)
        .show(ctx, |ui| {
            let d = &mut draft.scenario;
            global_settings(ui, d);
            let selected = match inputs.state.selected {
                Selection::Lane(l) => inputs.sim.0.net().lanes.get(l.index()),
                _ => None,
            };
            match selected.and_then(|lane| d.corridors.get_mut(lane.corridor)) {
                Some(c) => corridor_settings(ui, c),
                None => {
                    ui.small("click a corridor to tune it");
                }
            }
            let changed = *d != source.scenario;
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(changed, egui::Button::new("Apply (restart)"))
                    .clicked()
                {
                    retune.request = Some(d.clone());
                }
                if ui
                    .add_enabled(changed, egui::Button::new("Revert"))
                    .clicked()
                {
                    *d = source.scenario.clone();
                }
            });
            if let Some(e) = &status.error {
                ui.colored_label(egui::Color32::from_rgb(255, 110, 110), e);
            }
            if let (Some(prev), Some(now)) = (&status.previous, &live.report) {
                ui.separator();
                compare(ui, prev, now);
            }
            ui.separator();
            ui.horizontal(|ui| {
                ui.text_edit_singleline(&mut draft.save_path);
                if ui.button("Save as").clicked() {
                    let path = std::path::PathBuf::from(&draft.save_path);
                    draft.saved = Some(match save_scenario(&source.scenario, &path) {
                        Ok(()) => format!("saved {}", path.display()),
                        Err(e) => format!("not saved: {e}"),
                    });
                }
            });
            if let Some(msg) = &draft.saved {
                ui.small(msg);
            }
        });
    draft.open = open;
    Ok(())
}

/// Previous run against the current one, KPI by KPI.
fn compare(ui: &mut egui::Ui, prev: &Report, now: &Report) {
    ui.label(format!(
        "previous run (at {:.0} s) vs now ({:.0} s)",
        prev.simulated_s, now.simulated_s
    ));
    egui::Grid::new("compare").num_columns(3).show(ui, |ui| {
        let rows = [
            ("conflicts", prev.conflicts as f64, now.conflicts as f64),
            (
                "losses of sep.",
                prev.losses_of_separation as f64,
                now.losses_of_separation as f64,
            ),
            (
                "LoS / flight h",
                prev.los_per_flight_hour,
                now.los_per_flight_hour,
            ),
            ("delay mean (s)", prev.delay_s.mean, now.delay_s.mean),
            (
                "arrivals / h",
                prev.throughput_per_hour,
                now.throughput_per_hour,
            ),
            (
                "energy (kWh)",
                prev.energy_wh / 1000.0,
                now.energy_wh / 1000.0,
            ),
        ];
        for (k, a, b) in rows {
            ui.label(k);
            ui.label(format!("{a:.2}"));
            ui.label(format!("{b:.2}"));
            ui.end_row();
        }
    });
}
