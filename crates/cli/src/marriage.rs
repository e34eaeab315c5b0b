//! `minzheng marriage …` and this area's benchmark scenarios: the same services as the pages.

use crate::config::Config;
use clap::Subcommand;

/// The commands of the marriage area.
#[derive(Subcommand)]
pub enum Command {
    /// Says what the area holds.
    Status,
}

/// The benchmark scenarios of the marriage area (`minzheng bench …`).
#[derive(Subcommand)]
pub enum BenchCommand {}

/// Runs a command of this area.
pub fn run(_config: &Config, command: Command) -> Result<(), String> {
    match command {
        Command::Status => Ok(()),
    }
}

/// Runs a benchmark scenario of this area.
pub fn bench(_database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    match command {}
}
