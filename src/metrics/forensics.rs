//! Event forensics: what led to each loss of separation (the pair's phases and places,
//! whether and how long before it was predicted, the decisions that touched either drone,
//! and the event with a third drone it followed), per event in `events.csv` and
//! `report.json`, and summed in `report.json`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Spread, num};
use crate::ids::FlightId;
use crate::network::Network;
use crate::sim::TrackPlace;
use crate::sim::events::{Event, EventKind, LosCause, file_order, location_kind};
use crate::sim::{Fleet, Simulation};

/// Losses of separation listed one by one in `report.json` (all of them are in
/// `events.csv` and in the sums).
pub const MAX_LOS_LISTED: usize = 1000;

/// The causes of the run's losses of separation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LosCauses {
    /// Losses whose conflict was detected in a step before the loss began.
    pub predicted: u64,
    /// Losses already under way in the step their conflict was first detected in.
    pub not_predicted: u64,
    /// Warning the predicted ones had: seconds from first detection to the loss.
    pub warning_s: Spread,
    /// Losses by decision touching either drone (`ground_delay`, `reroute`, `manoeuvre`,
    /// `holding`, `gate_wait`; a loss counts under each), `none` when none touched either.
    pub by_decision: BTreeMap<String, u64>,
    /// Losses by the pair's phases (`climbing/cruising`, names in order).
    pub by_phases: BTreeMap<String, u64>,
    /// Losses that followed an event (conflict or loss) of one of the drones with a third
    /// drone, begun before the pair's conflict was detected and still going or ended
    /// within the look-ahead.
    pub after_other_event: u64,
    /// Of those, dominoes: the shared drone was manoeuvred by tactical resolution since
    /// the earlier event began ([`LosCause::domino`]).
    pub dominoes: u64,
    /// Losses whose pair had been in conflict before, in an episode that ended before
    /// this one was detected (a resolution that let the pair go back into each other).
    pub after_earlier_episode: u64,
    /// The first [`MAX_LOS_LISTED`] losses by start time, each with its cause.
    pub listed: Vec<LosDetail>,
    /// Losses beyond those (or beyond `run --max-events`) not listed here.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub not_listed: u64,
}

/// One loss of separation and what led to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LosDetail {
    /// The two flights (scenario ids), `a` then `b`.
    pub flights: [String; 2],
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
    /// Minimum horizontal distance, metres.
    pub min_horizontal_m: f64,
    /// Where the pair was ([`place_label`]).
    pub location: String,
    /// What each drone was doing when it began (`climbing`, `cruising`, `descending`,
    /// `holding`).
    pub phases: [&'static str; 2],
    /// Where each drone was.
    pub places: [String; 2],
    /// Whether the pair's conflict was detected in a step before.
    pub predicted: bool,
    /// Seconds from first detection to the loss (0 when not predicted).
    pub warning_s: f64,
    /// The decisions that touched each drone.
    pub decisions: [Vec<&'static str>; 2],
    /// The event with a third drone it followed (`los F1-F7`, `conflict F1-F7`; absent:
    /// none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<String>,
    /// Seconds from the end of that event to this one (0: still going).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows_gap_s: Option<f64>,
    /// Whether it was a domino ([`LosCause::domino`]).
    pub domino: bool,
    /// Seconds between the end of the pair's earlier conflict episode and this one's
    /// detection (absent: none known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier_episode_gap_s: Option<f64>,
}

/// A place as reports write it: `en_route`, or its kind and node, `junction@SZN`,
/// `approach@HKC`.
pub fn place_label(net: &Network, p: TrackPlace) -> String {
    match p {
        TrackPlace::Terminal(v, _) | TrackPlace::Junction(v) => {
            format!("{}@{}", location_kind(p), net.nodes[v].id)
        }
        TrackPlace::EnRoute => location_kind(p).to_string(),
    }
}

fn follows(fleet: &Fleet, c: &LosCause) -> Option<String> {
    let id = |f: FlightId| fleet.flights()[f.index()].id.as_str();
    c.follows.map(|p| {
        let kind = match p.kind {
            EventKind::Los => "los",
            EventKind::Conflict => "conflict",
        };
        format!("{kind} {}-{}", id(p.a), id(p.b))
    })
}

/// The cause columns of `events.csv` for event `e` (empty for a conflict).
pub(super) fn cause_columns(fleet: &Fleet, net: &Network, e: &Event) -> [String; 14] {
    let Some(c) = &e.cause else {
        return Default::default();
    };
    [
        c.phases[0].name().to_string(),
        c.phases[1].name().to_string(),
        place_label(net, c.places[0]),
        place_label(net, c.places[1]),
        c.predicted.to_string(),
        num(c.warning_s, 3),
        c.decisions[0].to_string(),
        c.decisions[1].to_string(),
        follows(fleet, c).unwrap_or_else(|| "none".to_string()),
        c.follows.map_or(String::new(), |p| num(p.gap_s, 3)),
        c.domino().to_string(),
        c.earlier_episode_gap_s.map_or(String::new(), |g| num(g, 3)),
        c.report_age_s.map_or(String::new(), |a| num(a[0], 3)),
        c.report_age_s.map_or(String::new(), |a| num(a[1], 3)),
    ]
}

/// The causes of `sim`'s losses of separation.
pub fn los_causes(sim: &Simulation) -> LosCauses {
    let sum = &sim.events().summary;
    let c = &sum.causes;
    let mut los: Vec<&Event> = sim
        .events()
        .closed
        .iter()
        .filter(|e| e.kind == EventKind::Los)
        .collect();
    los.sort_by(|x, y| file_order(x, y));
    let id = |f: FlightId| sim.flights()[f.index()].id.clone();
    let listed: Vec<LosDetail> = los
        .iter()
        .take(MAX_LOS_LISTED)
        .filter_map(|e| {
            let c = e.cause.as_deref()?;
            Some(LosDetail {
                flights: [id(e.a), id(e.b)],
                start_s: e.start_s,
                end_s: e.end_s,
                min_horizontal_m: e.min_horizontal_m,
                location: place_label(sim.net(), e.location),
                phases: c.phases.map(|p| p.name()),
                places: c.places.map(|p| place_label(sim.net(), p)),
                predicted: c.predicted,
                warning_s: c.warning_s,
                decisions: c.decisions.map(|d| d.iter().map(|x| x.name()).collect()),
                follows: follows(sim.fleet(), c),
                follows_gap_s: c.follows.map(|p| p.gap_s),
                domino: c.domino(),
                earlier_episode_gap_s: c.earlier_episode_gap_s,
            })
        })
        .collect();
    LosCauses {
        predicted: c.predicted,
        not_predicted: sum.los - c.predicted,
        warning_s: Spread::of(c.warnings_s.clone()),
        by_decision: c
            .by_decision
            .iter()
            .map(|(k, v)| ((*k).to_string(), *v))
            .collect(),
        by_phases: c
            .by_phases
            .iter()
            .map(|((p, q), v)| (format!("{p}/{q}"), *v))
            .collect(),
        after_other_event: c.after_other_event,
        dominoes: c.dominoes,
        after_earlier_episode: c.after_earlier_episode,
        not_listed: sum.los - listed.len() as u64,
        listed,
    }
}

impl LosCauses {
    /// The summary line after a run (empty without losses of separation): how many were
    /// predicted and how far ahead, the decisions behind them, the chains and dominoes.
    pub fn summary_line(&self) -> String {
        let los = self.predicted + self.not_predicted;
        if los == 0 {
            return String::new();
        }
        let decisions: Vec<String> = self
            .by_decision
            .iter()
            .map(|(k, v)| format!("{v} {}", k.replace('_', " ")))
            .collect();
        format!(
            "causes        {} of {los} predicted (mean {:.1} s ahead); behind them: {}; {} followed another event of a drone ({} dominoes); {} pairs in conflict before\n",
            self.predicted,
            self.warning_s.mean,
            decisions.join(", "),
            self.after_other_event,
            self.dominoes,
            self.after_earlier_episode
        )
    }

    /// The `report.md` section (empty without losses of separation).
    pub fn markdown(&self) -> String {
        let los = self.predicted + self.not_predicted;
        if los == 0 {
            return String::new();
        }
        let mut md = format!(
            "\n## What led to the losses of separation\n\n{} of {los} predicted in an earlier step (warning mean {:.1} s, p95 {:.1} s); {} followed another event of one of the drones with a third, {} of them dominoes (that drone manoeuvred since); in {} the pair had been in conflict before, in an episode that had ended. Per loss: `events.csv`, `report.json` (`los_causes`).\n\n| decision behind either drone | losses of separation |\n|---|---:|\n",
            self.predicted,
            self.warning_s.mean,
            self.warning_s.p95,
            self.after_other_event,
            self.dominoes,
            self.after_earlier_episode
        );
        for (k, v) in &self.by_decision {
            md += &format!("| {} | {v} |\n", k.replace('_', " "));
        }
        md += "\n| phases of the pair | losses of separation |\n|---|---:|\n";
        for (k, v) in &self.by_phases {
            md += &format!("| {k} | {v} |\n");
        }
        md
    }
}
