//! A sweep's output folder, written by `sweep` and read back by `sweep-merge`: `sweep.csv`
//! (one row of KPIs per run), `runs/run-NNNNN.json` (each run's report, numbered in grid
//! order), and the plots of [`outputs`](super::outputs). Every file is written atomically.

use std::path::{Path, PathBuf};

use super::Table;
use crate::metrics::write_atomic;

/// The report file of run `index` inside a sweep folder's `runs/`.
pub fn run_file_name(index: usize) -> String {
    format!("run-{index:05}.json")
}

/// The run number of a `runs/` file name, if it is one.
pub fn run_index(name: &str) -> Option<usize> {
    name.strip_prefix("run-")?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

/// Each run's report: `(run number, report.json text)`, in run order.
pub type RunReports = Vec<(usize, String)>;

/// Capacity thresholds of the plots: losses of separation per flight hour and mean delay
/// in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Losses of separation per flight hour.
    pub max_los_per_fh: f64,
    /// Mean delay, seconds.
    pub max_delay_s: f64,
}

/// An error writing or reading a sweep folder, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// A file or folder could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A `sweep.csv` that does not parse, or shards that do not merge.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file (or the first folder, for a merge).
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a sweep folder: `sweep.csv`, each run's report (`(run number, report.json
/// text)`) and the plots.
pub fn write(
    out: &Path,
    table: &Table,
    reports: &RunReports,
    limits: Limits,
) -> Result<(), FolderError> {
    let runs = out.join("runs");
    std::fs::create_dir_all(&runs).map_err(io(&runs))?;
    for (index, json) in reports {
        let path = runs.join(run_file_name(*index));
        write_atomic(&path, json.as_bytes()).map_err(io(&path))?;
    }
    for (name, bytes) in super::outputs(table, limits.max_los_per_fh, limits.max_delay_s) {
        let path = out.join(name);
        write_atomic(&path, &bytes).map_err(io(&path))?;
    }
    Ok(())
}

/// Reads the folders of sweep shards and merges them: the table of every run in run
/// order, and every run's report, sorted by run number.
pub fn read_merged(dirs: &[PathBuf]) -> Result<(Table, RunReports), FolderError> {
    let mut parts = Vec::new();
    let mut reports = Vec::new();
    for d in dirs {
        let path = d.join("sweep.csv");
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        parts.push(
            Table::from_csv(&text).map_err(|message| FolderError::Format {
                path: path.clone(),
                message,
            })?,
        );
        let runs = d.join("runs");
        if let Ok(entries) = std::fs::read_dir(&runs) {
            for e in entries {
                let e = e.map_err(io(&runs))?;
                let name = e.file_name().to_string_lossy().to_string();
                if let Some(index) = run_index(&name) {
                    let path = e.path();
                    reports.push((index, std::fs::read_to_string(&path).map_err(io(&path))?));
                }
            }
        }
    }
    let table = Table::merge(parts).map_err(|message| FolderError::Format {
        path: dirs.first().cloned().unwrap_or_default(),
        message,
    })?;
    reports.sort_by_key(|r| r.0);
    Ok((table, reports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_read_back() {
        assert_eq!(run_file_name(7), "run-00007.json");
        assert_eq!(run_index(&run_file_name(123)), Some(123));
        assert_eq!(run_index("sweep.csv"), None);
        assert_eq!(run_index("run-x.json"), None);
    }
}
