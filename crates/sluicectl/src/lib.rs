//! sluicectl: validate, apply and inspect Sluice's targets, profiles and their scaling
//! policies, and plan and simulate before they run. Each command is its own module;
//! this file only dispatches. The binary (main.rs) parses the command line and calls
//! [`run`]; tests call the modules in process.

/// `println!` that never panics: a reader who closed standard output (`sluicectl
/// status | head -3`) loses the rest of the output, not the command, and what the
/// command does (an apply's changes) is done whole.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that never panics, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

pub mod apply;
pub mod cli;
mod get;
mod learn;
mod metrics;
mod plan;
pub mod scaling;
pub mod simulate;
mod status;
mod table;
pub mod why;

use std::process::ExitCode;

use anyhow::Result;
use cli::{Cli, Command, ProfileCommand};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate(&args.file, args.env.as_deref()),
        Command::Apply(args) => apply::run(args).await,
        Command::Get(args) => get::run(args).await,
        Command::Status(args) => status::run(args).await,
        Command::Plan(args) => plan::run(args).await,
        Command::Profile {
            command: ProfileCommand::Learn(args),
        } => learn::run(args).await,
        Command::Profile {
            command: ProfileCommand::Score(args),
        } => learn::score(args).await,
        Command::Metrics(args) => metrics::run(args).await,
        Command::Why(args) => why::run(args).await,
        Command::Simulate(args) => simulate::run(args).await,
    }
}

/// `sluicectl validate`: every problem of a file, by path; changes nothing.
fn validate(file: &str, env: Option<&str>) -> Result<ExitCode> {
    let document = match table::read_document(file)? {
        Ok(document) => document,
        Err(code) => return Ok(code),
    };
    // As each environment runs it: its bounds may make a wake count unreachable.
    let environments = match env {
        Some(env) => vec![env.to_owned()],
        None => document.environments(),
    };
    let mut failed = false;
    for env in &environments {
        if let Err(problems) = document.clone().for_env(Some(env)) {
            eprintln!("{file} with --env {env}: {} problem(s):", problems.0.len());
            for problem in &problems.0 {
                eprintln!("  {problem}");
            }
            failed = true;
        }
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    outln!(
        "{file}: ok ({} targets, {} profiles, {} budgets)",
        document.targets.len(),
        document.profiles.len(),
        document.budgets.len()
    );
    let today = jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    let warnings = document.warnings(today);
    if !warnings.is_empty() {
        outln!("{} warning(s), valid but likely not meant:", warnings.len());
        for warning in &warnings {
            outln!("  {warning}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
