//! The `skycorridor` command line: parses arguments and hands each subcommand to its
//! module under `cli/`. No simulation rules and no file formats live here.

mod cli;

fn main() {
    if let Err(e) = cli::main() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
