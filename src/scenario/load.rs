//! Reading a scenario from RON text, keeping ron's line and column for the user, and the
//! one error type every scenario problem reaches the command line through.

use std::path::{Path, PathBuf};

use super::{Scenario, ValidationError};

/// Anything wrong with a scenario, said so that a person can find and fix it.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read the scenario: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The RON does not parse into a scenario.
    #[error("{path}:{line}:{col}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What ron expected.
        message: String,
    },
    /// A GeoJSON file named by `corridors_geojson` or `zones_geojson` does not fit.
    #[error("{path}: {message}")]
    Import {
        /// The GeoJSON file.
        path: PathBuf,
        /// The feature and what is wrong with it.
        message: String,
    },
    /// A `--set path=value` override does not apply.
    #[error("--set {key}: {message}")]
    Override {
        /// The path given on the command line.
        key: String,
        /// What went wrong.
        message: String,
    },
    /// The scenario parses but breaks a rule; every problem found is listed.
    #[error("{}", format_invalid(path, errors))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Each problem, with the line it was found on where known.
        errors: Vec<(Option<(usize, usize)>, ValidationError)>,
    },
}

fn format_invalid(path: &Path, errors: &[(Option<(usize, usize)>, ValidationError)]) -> String {
    let mut out = format!(
        "{}: {} problem{} in the scenario:",
        path.display(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for (place, e) in errors {
        match place {
            Some((line, col)) => out.push_str(&format!("\n  {}:{line}:{col}: {e}", path.display())),
            None => out.push_str(&format!("\n  {e}")),
        }
    }
    out
}

impl ScenarioError {
    /// Attach the file and, where the offending id can be found in `source`, its line and
    /// column to validation errors.
    pub fn invalid(path: &Path, source: Option<&str>, errors: Vec<ValidationError>) -> Self {
        let errors = errors
            .into_iter()
            .map(|e| (source.and_then(|s| locate(s, &e)), e))
            .collect();
        ScenarioError::Invalid {
            path: path.to_path_buf(),
            errors,
        }
    }
}

/// Finds `id: "X"` for the error's subject id (or the first quoted occurrence of it) and,
/// after it, the error's field name, so the user lands on the line to edit.
fn locate(source: &str, e: &ValidationError) -> Option<(usize, usize)> {
    let id = e.id.as_deref()?;
    let quoted = format!("\"{id}\"");
    // A flow has no id: it is named `A->B` and found by its ends.
    let flow = id
        .split_once("->")
        .and_then(|(a, b)| source.find(&format!("origin: \"{a}\", destination: \"{b}\"")));
    let at = flow
        .or_else(|| source.find(&format!("id: {quoted}")))
        .or_else(|| source.find(&quoted))?;
    // The field, if it is written out after the id within the same item.
    let rest = &source[at..];
    let item_end = rest[1..].find("id:").map_or(rest.len(), |i| i + 1);
    let at = rest[..item_end]
        .find(&format!("{}:", e.field))
        .map_or(at, |off| at + off);
    let line = source[..at].matches('\n').count() + 1;
    let col = at - source[..at].rfind('\n').map_or(0, |nl| nl + 1) + 1;
    Some((line, col))
}

/// Parses scenario text; `path` only names the source in errors.
pub fn parse_str(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    // `implicit_some`: optional fields are written plainly (`lat: 22.3`), not `Some(22.3)`.
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str::<Scenario>(text)
        .map_err(|e| ScenarioError::Parse {
            path: path.to_path_buf(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: e.code.to_string(),
        })
}

/// Largest input file read (scenario, GeoJSON, CSV): 256 MiB. A bigger one, or an endless
/// one such as `/dev/zero`, is an error instead of all the memory there is.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads a text file of at most [`MAX_FILE_BYTES`].
pub fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than the limit of {} MiB",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(text)
}

/// Reads and parses a scenario file, merging corridors and zones from the GeoJSON files
/// it names (no validation: see [`crate::prepare`]).
pub fn load_file(path: &Path) -> Result<(Scenario, String), ScenarioError> {
    let text = read_limited(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let scenario = load_str(&text, path)?;
    Ok((scenario, text))
}

/// Parses scenario text read from `path`: file names in it are resolved from `path`'s
/// folder, and corridors and zones from the GeoJSON files it names are merged in.
pub fn load_str(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let mut scenario = parse_str(text, path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let read = |file: &str| {
        let p = dir.join(file);
        read_limited(&p)
            .map(|t| (p.clone(), t))
            .map_err(|source| ScenarioError::Io { path: p, source })
    };
    if let Some(file) = &scenario.land_geojson {
        // Resolved here, where the scenario's folder is known.
        scenario.land_geojson = Some(dir.join(file).display().to_string());
    }
    let u = &mut scenario.uncertainty;
    for w in std::iter::once(&mut u.wind).chain(u.forecast.as_mut()) {
        if let Some(file) = &mut w.grid_csv {
            *file = dir.join(&*file).display().to_string();
        }
    }
    if let Some(a) = &mut scenario.airports {
        a.places_csv = dir.join(&a.places_csv).display().to_string();
    }
    if let Some(file) = scenario.corridors_geojson.take() {
        let (p, t) = read(&file)?;
        let more = crate::interop::geojson::import_corridors(&t, &scenario).map_err(|e| {
            ScenarioError::Import {
                path: p,
                message: e.to_string(),
            }
        })?;
        scenario.corridors.extend(more);
    }
    if let Some(file) = scenario.zones_geojson.take() {
        let (p, t) = read(&file)?;
        let more =
            crate::interop::geojson::import_zones(&t).map_err(|e| ScenarioError::Import {
                path: p,
                message: e.to_string(),
            })?;
        scenario.zones.extend(more);
    }
    Ok(scenario)
}
