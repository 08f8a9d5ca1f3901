//! `skycorridor generate`: a GBA-wide layered corridor network and its demand, from a
//! template scenario and the cities' populations.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use skycorridor::generate::{self, Params};
use skycorridor::metrics;

/// Options of `skycorridor generate` (defaults: the rule of `scenarios/gba_100k.ron`).
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Template scenario: jurisdictions, airports, land, fleet, profile and deconfliction
    /// are its; the output is written next to it so its file paths still hold.
    #[arg(long, default_value = "scenarios/gba_default.ron")]
    pub template: PathBuf,
    /// Cities CSV (`city,name,population,hubs`).
    #[arg(long, default_value = "assets/gba_cities.csv")]
    pub cities: PathBuf,
    /// Drones in the air to aim for once traffic has built up.
    #[arg(long, default_value_t = 100_000.0)]
    pub airborne: f64,
    /// Mesh spacing, metres.
    #[arg(long, default_value_t = Params::default().spacing_m)]
    pub spacing_m: f64,
    /// A vertiport every N lattice points in each direction.
    #[arg(long, default_value_t = Params::default().vertiport_every)]
    pub vertiport_every: u32,
    /// Square kilometres of mesh per million people.
    #[arg(long, default_value_t = Params::default().km2_per_million)]
    pub km2_per_million: f64,
    /// Headway of mesh lanes, seconds.
    #[arg(long, default_value_t = Params::default().mesh_headway_s)]
    pub mesh_headway_s: f64,
    /// Load of the busiest trunk lane (entries over headway capacity) that trunk demand is
    /// scaled to.
    #[arg(long, default_value_t = Params::default().trunk_load)]
    pub trunk_load: f64,
    /// Name of the scenario [default: the output file's stem].
    #[arg(long)]
    pub name: Option<String>,
    /// Output scenario file (written atomically).
    #[arg(long, short)]
    pub out: PathBuf,
}

impl GenerateArgs {
    /// The generator's parameters.
    pub fn params(&self) -> Params {
        Params {
            airborne: self.airborne,
            spacing_m: self.spacing_m,
            vertiport_every: self.vertiport_every,
            km2_per_million: self.km2_per_million,
            mesh_headway_s: self.mesh_headway_s,
            trunk_load: self.trunk_load,
            ..Params::default()
        }
    }
}

impl GenerateArgs {
    /// The command as it would be typed from the project root: the options that differ
    /// from their defaults, and the output by its file name in `scenarios/` (the header
    /// does not depend on where a test writes it).
    fn command(&self) -> String {
        let d = Params::default();
        let mut c = format!("skycorridor generate --airborne {}", self.airborne);
        let mut opt = |name: &str, v: String, default: String| {
            if v != default {
                c += &format!(" --{name} {v}");
            }
        };
        opt(
            "template",
            self.template.display().to_string(),
            "scenarios/gba_default.ron".into(),
        );
        opt(
            "cities",
            self.cities.display().to_string(),
            "assets/gba_cities.csv".into(),
        );
        opt(
            "spacing-m",
            self.spacing_m.to_string(),
            d.spacing_m.to_string(),
        );
        opt(
            "vertiport-every",
            self.vertiport_every.to_string(),
            d.vertiport_every.to_string(),
        );
        opt(
            "km2-per-million",
            self.km2_per_million.to_string(),
            d.km2_per_million.to_string(),
        );
        opt(
            "mesh-headway-s",
            self.mesh_headway_s.to_string(),
            d.mesh_headway_s.to_string(),
        );
        opt(
            "trunk-load",
            self.trunk_load.to_string(),
            d.trunk_load.to_string(),
        );
        if let Some(n) = &self.name {
            c += &format!(" --name {n}");
        }
        let file = self
            .out
            .file_name()
            .map_or(String::new(), |f| f.to_string_lossy().into_owned());
        c + &format!(" --out scenarios/{file}")
    }
}

/// Writes the generated scenario and prints its summary.
pub fn main(a: GenerateArgs) -> Result<()> {
    let name = a.name.clone().unwrap_or_else(|| {
        a.out
            .file_stem()
            .map_or("generated".into(), |s| s.to_string_lossy().into_owned())
    });
    let g = generate::generate(&a.template, &a.cities, &a.params(), &name)?;
    let command = a.command();
    let text = generate::generated_text(
        &g,
        &command,
        &a.template.display().to_string(),
        &a.cities.display().to_string(),
    );
    metrics::write_atomic(&a.out, text.as_bytes())
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!("{}: {}", a.out.display(), g.summary);
    Ok(())
}
