//! `skycorridor export`: a scenario's network as GeoJSON, its planned flights as a
//! BlueSky scenario.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use skycorridor::metrics;
use skycorridor::scenario::Override;

/// Options of `skycorridor export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Scenario file.
    pub file: PathBuf,
    /// Write nodes.geojson, corridors.geojson and zones.geojson into this folder.
    #[arg(long, value_name = "DIR")]
    pub geojson: Option<PathBuf>,
    /// Write the planned flights as a BlueSky scenario (.scn) to this file.
    #[arg(long, value_name = "FILE")]
    pub bluesky: Option<PathBuf>,
    /// Override fields as in `run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,
}

/// Writes what was asked for.
pub fn main(a: ExportArgs) -> Result<()> {
    anyhow::ensure!(
        a.geojson.is_some() || a.bluesky.is_some(),
        "nothing to export: give --geojson DIR and/or --bluesky FILE"
    );
    let sim = skycorridor::load(&a.file, &a.set)?;
    if let Some(dir) = &a.geojson {
        super::create_dir(dir)?;
        for (name, text) in skycorridor::interop::geojson::export(sim.scenario()) {
            let path = dir.join(name);
            metrics::write_atomic(&path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if let Some(path) = &a.bluesky {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            super::create_dir(dir)?;
        }
        let text = skycorridor::interop::bluesky::export(&sim);
        metrics::write_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {} ({} flights)", path.display(), sim.flights().len());
    }
    Ok(())
}
