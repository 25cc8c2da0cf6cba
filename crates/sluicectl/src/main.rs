//! The sluicectl binary: parse the command line, run the command, turn an error into
//! a message and exit code 1.

use std::process::ExitCode;

use clap::Parser;
use sluicectl::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    match sluicectl::run(Cli::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
