//! `skycorridor scale`: a copy of a scenario with demand for N drones in the air.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use skycorridor::metrics;

/// Options of `skycorridor scale`.
#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Scenario file.
    pub file: PathBuf,
    /// Drones in the air to aim for once traffic has built up.
    #[arg(long)]
    pub airborne: f64,
    /// Name of the new scenario [default: the output file's stem].
    #[arg(long)]
    pub name: Option<String>,
    /// Output scenario file (written atomically).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Writes the scaled scenario.
pub fn main(a: ScaleArgs) -> Result<()> {
    let (file, airborne, out) = (&a.file, a.airborne, &a.out);
    if !(airborne.is_finite() && airborne > 0.0) {
        bail!("--airborne must be a number > 0, got {airborne}");
    }
    let name = a.name.unwrap_or_else(|| {
        out.file_stem()
            .map_or("scaled".into(), |s| s.to_string_lossy().into_owned())
    });
    let scaled = skycorridor::scale::scale_to_airborne(file, airborne, &name)?;
    let source = file
        .file_name()
        .map_or(String::new(), |f| f.to_string_lossy().into_owned());
    let command = format!(
        "skycorridor scale scenarios/{source} --airborne {airborne} --out scenarios/{}",
        out.file_name()
            .map_or(String::new(), |f| f.to_string_lossy().into_owned())
    );
    let text = skycorridor::scale::scaled_text(&scaled, &source, airborne, &command);
    metrics::write_atomic(out, text.as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}: about {:.0} drones in the air at its demand; demand.scale x{:.3} -> {} (wrote {})",
        file.display(),
        scaled.airborne_before,
        scaled.scale,
        scaled.scenario.demand.scale,
        out.display()
    );
    Ok(())
}
