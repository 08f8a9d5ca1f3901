//! Events streamed as they close (`run` writes `events.csv` while the run goes): the file
//! is the one written at the end, byte for byte, a capped stream lists the earliest
//! events, and a sink's error reaches the caller.

use std::path::Path;
use std::sync::{Arc, Mutex};

use skycorridor::metrics::{self, EventsFile, Report};
use skycorridor::network::Network;
use skycorridor::planner::PlanKeeping;
use skycorridor::scenario::Override;
use skycorridor::sim::events::{Event, EventSink};
use skycorridor::sim::{Fleet, Simulation};

fn load(file: &str, set: &[&str]) -> Simulation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let set: Vec<Override> = set.iter().map(|s| s.parse().unwrap()).collect();
    skycorridor::load_keeping(&path, &set, PlanKeeping::InUse)
        .unwrap()
        .0
}

/// `events.csv` and `report.json` of `file` run to its end, events kept (`None`) or
/// streamed to the output folder with at most `max` listed.
fn run(file: &str, set: &[&str], streamed: Option<usize>) -> (String, String, Simulation) {
    let mut sim = load(file, set);
    let dir = tempfile::tempdir().unwrap();
    if let Some(max) = streamed {
        sim.events_mut().max_kept = max;
        sim.stream_events(Box::new(EventsFile::create(dir.path()).unwrap()));
        assert!(sim.events().streamed());
    }
    sim.run_to_end();
    let report = Report::from_sim(&sim);
    sim.finish_events().unwrap();
    metrics::write_outputs(&sim, &report, dir.path()).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    // Nothing left behind but the outputs (no temporary file).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5, "{file}");
    (read("events.csv"), read("report.json"), sim)
}

#[test]
fn streamed_events_are_the_events_written_at_the_end_byte_for_byte() {
    let default = skycorridor::DEFAULT_SCENARIO;
    let (mut rows, mut reordered) = (0, 0);
    for (file, set) in [
        (default, &[][..]),
        (
            default,
            &["deconfliction.strategic=true", "deconfliction.tactical=Mvp"][..],
        ),
        // Overloaded: many long conflicts, so many events wait for an older one.
        (default, &["demand.scale=3", "duration_s=1800"][..]),
        ("scenarios/hk_sz_crossborder.ron", &[][..]),
        ("scenarios/vertiport_capacity.ron", &[][..]),
        ("scenarios/estuary_crossing.ron", &[][..]),
        ("tests/scenarios/terminal.ron", &[][..]),
    ] {
        let (kept, kept_report, kept_sim) = run(file, set, None);
        let (streamed, streamed_report, sim) = run(file, set, Some(usize::MAX));
        assert!(
            kept == streamed,
            "{file} {set:?}: streamed events.csv differs from the one written at the end"
        );
        assert!(
            kept_report == streamed_report,
            "{file} {set:?}: report.json differs when events are streamed"
        );
        // Only the losses of separation stay in memory.
        let los = |s: &Simulation| {
            s.events()
                .closed
                .iter()
                .filter(|e| e.kind == skycorridor::sim::events::EventKind::Los)
                .count()
        };
        assert_eq!(sim.events().closed.len(), los(&sim), "{file}");
        assert_eq!(los(&sim), los(&kept_sim), "{file}");
        rows += kept.lines().count() - 1;
        // Whether events close in another order than the file's (the stream must wait).
        let closing: Vec<_> = kept_sim.events().closed.iter().collect();
        reordered += usize::from(closing != kept_sim.events().sorted());
    }
    // The set-ups between them have events of every kind to order, and most close out
    // of the file's order.
    assert!(rows > 1000, "{rows} events");
    assert!(
        reordered >= 5,
        "{reordered} set-ups close events out of order"
    );
}

#[test]
fn a_capped_stream_lists_the_earliest_events_and_counts_the_rest() {
    let set = &["demand.scale=3", "duration_s=1800"][..];
    let (all, _, _) = run(skycorridor::DEFAULT_SCENARIO, set, None);
    let all: Vec<&str> = all.lines().collect();
    let n = 100;
    assert!(all.len() > 2 * n, "{} events", all.len() - 1);
    let (capped, report, sim) = run(skycorridor::DEFAULT_SCENARIO, set, Some(n));
    let capped: Vec<&str> = capped.lines().collect();
    // The header and the first `n` events in the file's order.
    assert_eq!(capped, all[..=n]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let counted = sim.events().summary.conflicts + sim.events().summary.los;
    assert_eq!(counted as usize, all.len() - 1);
    assert_eq!(
        report["events_not_in_csv"],
        serde_json::json!(counted - n as u64)
    );
}

/// A sink that fails after `ok` events, and counts what it was given.
struct Failing {
    ok: usize,
    seen: Arc<Mutex<(usize, bool)>>,
}

impl EventSink for Failing {
    fn record(&mut self, _: &Event, _: &Fleet, _: &Network) -> std::io::Result<()> {
        let mut seen = self.seen.lock().unwrap();
        seen.0 += 1;
        if seen.0 > self.ok {
            return Err(std::io::Error::other("disk full"));
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _: &Fleet, _: &Network) -> std::io::Result<()> {
        self.seen.lock().unwrap().1 = true;
        Ok(())
    }
}

#[test]
fn a_sink_error_stops_the_stream_and_reaches_the_caller() {
    let seen = Arc::new(Mutex::new((0, false)));
    let mut sim = load(skycorridor::DEFAULT_SCENARIO, &[]);
    sim.stream_events(Box::new(Failing {
        ok: 3,
        seen: Arc::clone(&seen),
    }));
    sim.run_to_end();
    assert!(sim.events().summary.conflicts > 10);
    let err = sim.finish_events().unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    // Handed nothing after the failure, and never told to finish.
    assert_eq!(*seen.lock().unwrap(), (4, false));
    // The run itself went on: every event is still counted.
    assert!(sim.finished());
}
