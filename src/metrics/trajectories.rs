//! The trajectory files, `trajectories.csv` (one row per sample: flight, time, lat, lon,
//! altitude, speed, state) and `trajectories.geojson` (a LineString per flight, in flight
//! order, with `[lon, lat, alt_m]` coordinates and the sample times and states as
//! properties), defined once and written two ways: from a log kept in memory
//! ([`trajectory_files`]), or streamed while the simulation runs ([`TrajectoryFiles`], what
//! `run --trajectories` uses), byte for byte the same.
//!
//! Streaming keeps only the points of flights still in the air: a flight's feature is
//! written to a scratch file when its last point arrives, and at the end the features are
//! copied into the GeoJSON in flight order.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::{csv_in_progress, num, output_in_progress, persist_csv};
use crate::ids::FlightId;
use crate::network::Network;
use crate::sim::{Fleet, PointState, Simulation, TrajectoryPoint, TrajectorySink};

const CSV_HEADER: [&str; 7] = ["flight", "t_s", "lat", "lon", "alt_m", "speed_mps", "state"];
const GEOJSON_HEAD: &str = "{\"features\":[";
const GEOJSON_TAIL: &str = "],\"type\":\"FeatureCollection\"}\n";

/// One CSV row of a point.
fn csv_row(p: &TrajectoryPoint, fleet: &Fleet, net: &Network) -> [String; 7] {
    let (lat, lon) = net.frame.to_geo(p.pos.x, p.pos.y);
    [
        fleet.flight(p.flight).id.clone(),
        num(p.t_s, 3),
        num(lat, 7),
        num(lon, 7),
        num(p.pos.z, 2),
        num(p.speed_mps, 2),
        p.state.name().to_string(),
    ]
}

/// One flight's GeoJSON feature, compact (keys in alphabetical order, as serde_json's map
/// writes them).
fn feature(f: FlightId, pts: &[TrajectoryPoint], fleet: &Fleet, net: &Network) -> String {
    let coords: Vec<[f64; 3]> = pts
        .iter()
        .map(|p| {
            let (lat, lon) = net.frame.to_geo(p.pos.x, p.pos.y);
            [lon, lat, p.pos.z]
        })
        .collect();
    let plan = fleet.plan(f);
    let value = serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {
            "id": fleet.flight(f).id,
            "drone_type": fleet.drone_type(f).id,
            "origin": net.nodes[plan.origin].id,
            "destination": net.nodes[plan.destination].id,
            "times_s": pts.iter().map(|p| p.t_s).collect::<Vec<_>>(),
            "states": pts.iter().map(|p| p.state.name()).collect::<Vec<_>>(),
        }
    });
    serde_json::to_string(&value).expect("serialises")
}

/// Both files from a log kept in memory: `(trajectories.csv, trajectories.geojson)`, or
/// `None` if none was recorded (or it was streamed).
pub fn trajectory_files(sim: &Simulation) -> Option<(Vec<u8>, String)> {
    let log = sim.trajectory().filter(|l| !l.is_streamed())?;
    let (fleet, net) = (sim.fleet(), sim.net());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER).expect("writing to memory");
    let mut per_flight: BTreeMap<FlightId, Vec<TrajectoryPoint>> = BTreeMap::new();
    for p in &log.points {
        w.write_record(csv_row(p, fleet, net))
            .expect("writing to memory");
        per_flight.entry(p.flight).or_default().push(*p);
    }
    let features: Vec<String> = per_flight
        .iter()
        .map(|(f, pts)| feature(*f, pts, fleet, net))
        .collect();
    let geojson = format!("{GEOJSON_HEAD}{}{GEOJSON_TAIL}", features.join(","));
    Some((w.into_inner().expect("writing to memory"), geojson))
}

/// The two files written while the simulation runs: rows as points arrive, each flight's
/// feature once its last point has (into a scratch file), then the GeoJSON assembled in
/// flight order. Temporary files in the output folder are renamed into place by
/// [`TrajectorySink::finish`]; dropped unfinished, they are removed.
pub struct TrajectoryFiles {
    dir: PathBuf,
    csv: csv::Writer<BufWriter<NamedTempFile>>,
    /// Points of flights still in the air.
    open: BTreeMap<FlightId, Vec<TrajectoryPoint>>,
    /// Finished features, one after the other.
    scratch: BufWriter<NamedTempFile>,
    /// Where each flight's feature lies in the scratch file: `(flight, offset, length)`.
    index: Vec<(FlightId, u64, u64)>,
    written: u64,
}

impl TrajectoryFiles {
    /// Starts the files in `dir` (created if missing).
    pub fn create(dir: &Path) -> std::io::Result<TrajectoryFiles> {
        let csv = csv_in_progress(dir, &CSV_HEADER)?;
        Ok(TrajectoryFiles {
            dir: dir.to_path_buf(),
            csv,
            open: BTreeMap::new(),
            scratch: BufWriter::new(NamedTempFile::new_in(dir)?),
            index: Vec::new(),
            written: 0,
        })
    }

    fn close_flight(&mut self, f: FlightId, fleet: &Fleet, net: &Network) -> std::io::Result<()> {
        let pts = self.open.remove(&f).unwrap_or_default();
        let text = feature(f, &pts, fleet, net);
        self.scratch.write_all(text.as_bytes())?;
        self.index.push((f, self.written, text.len() as u64));
        self.written += text.len() as u64;
        Ok(())
    }
}

impl TrajectorySink for TrajectoryFiles {
    fn record(&mut self, p: &TrajectoryPoint, fleet: &Fleet, net: &Network) -> std::io::Result<()> {
        self.csv.write_record(csv_row(p, fleet, net))?;
        self.open.entry(p.flight).or_default().push(*p);
        if matches!(p.state, PointState::Completed | PointState::BatteryDepleted) {
            self.close_flight(p.flight, fleet, net)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, fleet: &Fleet, net: &Network) -> std::io::Result<()> {
        let still: Vec<FlightId> = self.open.keys().copied().collect();
        for f in still {
            self.close_flight(f, fleet, net)?;
        }
        persist_csv(self.csv, &self.dir.join("trajectories.csv"))?;
        let mut scratch = self
            .scratch
            .into_inner()
            .map_err(|e| e.into_error())?
            .into_file();
        self.index.sort_unstable_by_key(|e| e.0);
        let mut out = BufWriter::new(output_in_progress(&self.dir)?);
        out.write_all(GEOJSON_HEAD.as_bytes())?;
        let mut buf = Vec::new();
        for (k, &(_, offset, len)) in self.index.iter().enumerate() {
            if k > 0 {
                out.write_all(b",")?;
            }
            copy_range(&mut scratch, offset, len, &mut buf)?;
            out.write_all(&buf)?;
        }
        out.write_all(GEOJSON_TAIL.as_bytes())?;
        let out = out.into_inner().map_err(|e| e.into_error())?;
        out.as_file().sync_all()?;
        out.persist(self.dir.join("trajectories.geojson"))
            .map_err(|e| e.error)?;
        Ok(())
    }
}

/// Reads `len` bytes at `offset` of `file` into `buf`.
fn copy_range(file: &mut File, offset: u64, len: u64, buf: &mut Vec<u8>) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    buf.clear();
    Read::by_ref(file).take(len).read_to_end(buf)?;
    Ok(())
}
