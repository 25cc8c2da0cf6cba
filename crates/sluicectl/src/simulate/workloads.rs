//! `sluicectl simulate --workloads`: every workload (the seed workloads, and the real
//! traces of `--traces`) under every controller, with both start-ups: a Markdown
//! table per workload, printed and written with one chart per workload to `--out`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use sluice_sim::Kind;
use sluice_sim::compare::{self, Contest};
use sluice_sim::workloads::{self, StartUp, TRACES, Workload};

use super::chart;
use crate::cli::SimulateArgs;

/// Where the real traces are when `--traces` is not given.
const DEFAULT_TRACES: &str = "../shared/traces";

pub fn run(args: &SimulateArgs) -> Result<ExitCode> {
    let traces = traces_dir(args.traces.as_deref())?;
    let mut text = String::new();
    let mut summary = String::from(compare::SUMMARY_HEADER);
    for startup in StartUp::BOTH {
        for mut workload in workloads(startup, traces.as_deref(), args.minutes)? {
            adjust(&mut workload, args);
            let contest = compare::contest(&workload, &Kind::ALL);
            let section = format!(
                "### {} ({})\n\n{}.\n\n{}\n",
                workload.name,
                startup.label(),
                workload.about,
                compare::markdown(&contest)
            );
            out!("{section}");
            text.push_str(&section);
            summary.push_str(&compare::summary_row(&contest, startup.short()));
            if let Some(out) = &args.out {
                write_chart(Path::new(out), &workload, startup, &contest)?;
            }
        }
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {out}"))?;
        std::fs::write(Path::new(out).join("control.md"), &text)?;
        std::fs::write(Path::new(out).join("summary.md"), &summary)?;
        outln!("wrote {out}/control.md, {out}/summary.md and a chart per workload");
    }
    Ok(ExitCode::SUCCESS)
}

/// The options that change every workload: the give-back window, the watcher's
/// phase, the draws' seed, how stale SQS's counts are, how much messages vary, and
/// whether tasks protect themselves.
fn adjust(workload: &mut Workload, args: &SimulateArgs) {
    if let Some(seconds) = args.give_back {
        workload.target.scaling.give_back_after_seconds = Some(seconds);
    }
    workload.watcher_phase_seconds = args.watcher_phase.unwrap_or(0);
    if let Some(seed) = args.seed {
        workload.seed = seed;
    }
    if let Some(seconds) = args.sqs_lag {
        workload.sqs_count_lag_seconds = seconds;
    }
    if let Some(cv) = args.service_cv {
        workload.tasks.service_cv = cv;
    }
    if args.protected_tasks {
        workload.tasks.protects_while_working = true;
    }
}

/// `--traces`, or the default folder when it exists; an explicit folder must exist.
fn traces_dir(given: Option<&str>) -> Result<Option<PathBuf>> {
    match given {
        Some(dir) => {
            let path = PathBuf::from(dir);
            anyhow::ensure!(path.is_dir(), "--traces {dir}: no such folder");
            Ok(Some(path))
        }
        None => Ok(Some(PathBuf::from(DEFAULT_TRACES)).filter(|p| p.is_dir())),
    }
}

/// The seed workloads, then each real trace found in `traces`.
fn workloads(
    startup: StartUp,
    traces: Option<&Path>,
    minutes: Option<u32>,
) -> Result<Vec<Workload>> {
    let mut all = workloads::seeds(startup).map_err(anyhow::Error::msg)?;
    let Some(dir) = traces else {
        return Ok(all);
    };
    for spec in TRACES {
        let path = dir.join(spec.file);
        let Ok(csv) = std::fs::read_to_string(&path) else {
            eprintln!("{}: not found, skipped", path.display());
            continue;
        };
        all.push(
            spec.workload(&csv, startup, minutes)
                .map_err(anyhow::Error::msg)?,
        );
    }
    Ok(all)
}

fn write_chart(out: &Path, workload: &Workload, startup: StartUp, contest: &Contest) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let slug = match startup {
        StartUp::Seconds60To120 => "60-120s",
        StartUp::Minutes4To7 => "4-7min",
    };
    let title = format!("{} ({}): running tasks", workload.name, startup.label());
    let svg = chart::overlay(&title, contest)?;
    std::fs::write(out.join(format!("{}-{slug}.svg", workload.name)), svg)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn simulate(args: &[&str]) -> SimulateArgs {
        let all = [&["sluicectl", "simulate", "--workloads"], args].concat();
        match Cli::try_parse_from(all).map(|cli| cli.command) {
            Ok(Command::Simulate(args)) => args,
            other => panic!("not a simulate command: {}", other.is_ok()),
        }
    }

    #[test]
    fn each_option_reaches_every_workload_and_none_changes_what_it_does_not_name() {
        let seeds = workloads::seeds(StartUp::Seconds60To120).unwrap_or_default();
        let Some(mut steady) = seeds.into_iter().next() else {
            panic!("no seed workload");
        };
        let before = (
            steady.seed,
            steady.sqs_count_lag_seconds,
            steady.tasks.service_cv,
        );
        adjust(&mut steady, &simulate(&[]));
        let after = (
            steady.seed,
            steady.sqs_count_lag_seconds,
            steady.tasks.service_cv,
        );
        assert_eq!(after, before, "no option: the workload as it is");
        let options = [
            "--seed",
            "3",
            "--sqs-lag",
            "20",
            "--service-cv",
            "0.5",
            "--give-back",
            "90",
            "--watcher-phase",
            "30",
            "--protected-tasks",
        ];
        adjust(&mut steady, &simulate(&options));
        assert_eq!(steady.seed, 3);
        assert_eq!(steady.sqs_count_lag_seconds, 20);
        assert_eq!(steady.tasks.service_cv, 0.5);
        assert_eq!(steady.target.scaling.give_back_after_seconds, Some(90));
        assert_eq!(steady.watcher_phase_seconds, 30);
        assert!(steady.tasks.protects_while_working);
    }
}
