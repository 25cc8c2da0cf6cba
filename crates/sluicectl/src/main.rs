//! sluicectl: validate, apply and inspect Sluice's targets and profiles. Each command
//! is its own module; this file only dispatches.

mod apply;
mod cli;
mod get;
mod learn;
mod metrics;
mod plan;
mod table;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use cli::{Cli, Command, ProfileCommand};

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate(&args.file),
        Command::Apply(args) => apply::run(args).await,
        Command::Get(args) => get::run(args).await,
        Command::Plan(args) => plan::run(args).await,
        Command::Profile {
            command: ProfileCommand::Learn(args),
        } => learn::run(args).await,
        Command::Metrics(args) => metrics::run(args).await,
    }
}

/// `sluicectl validate`: every problem of a file, by path; changes nothing.
fn validate(file: &str) -> Result<ExitCode> {
    let document = match table::read_document(file)? {
        Ok(document) => document,
        Err(code) => return Ok(code),
    };
    println!(
        "{file}: ok ({} targets, {} profiles)",
        document.targets.len(),
        document.profiles.len()
    );
    Ok(ExitCode::SUCCESS)
}
