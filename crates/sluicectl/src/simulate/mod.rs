//! `sluicectl simulate`: read a scenario (and the configuration it names), build the
//! demand, run it (and a comparison, or the peers, on the same trace), print the
//! report, check the scenario's promises, and write the report, the series and a
//! chart. `--workloads` runs the set of workloads instead ([`workloads`]).

mod chart;
mod workloads;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use sluice_core::config::{Document, Format};
use sluice_sim::demand::{self, DemandSpec};
use sluice_sim::report::{self, Summary};
use sluice_sim::scenario::{DemandSource, ScenarioFile};
use sluice_sim::{self as sim, Denominator, Kind, Run, Scenario};

use crate::cli::{DenominatorArg, SimulateArgs};

/// A scenario ready to run, with where it came from.
#[derive(Clone)]
pub struct Loaded {
    pub path: String,
    pub file: ScenarioFile,
    pub scenario: Scenario,
}

impl Loaded {
    /// The same scenario run by `controller`.
    fn clone_as(&self, controller: Kind) -> Loaded {
        let mut loaded = self.clone();
        loaded.file.controller = controller;
        loaded.scenario.controller = controller;
        loaded
    }
}

/// One run and what it means.
pub struct Outcome {
    pub label: String,
    /// The scenario file it came from.
    pub path: String,
    pub scenario: Scenario,
    pub run: Run,
    pub summary: Summary,
    pub checks: Vec<(String, bool)>,
}

pub async fn run(args: SimulateArgs) -> Result<ExitCode> {
    let Some(path) = &args.scenario else {
        return workloads::run(&args);
    };
    let mut main = load(path, &args)?;
    let mut compared = match &args.compare {
        Some(other) => Some(load(other, &args)?),
        None => None,
    };
    let arrivals = if args.from_cloudwatch {
        let (start, arrivals) = history(&args, &main).await?;
        // The replay runs when the history happened: profiles' windows line up.
        for loaded in std::iter::once(&mut main).chain(compared.as_mut()) {
            loaded.scenario.start = start;
            loaded.file.start = start.to_string();
            loaded.file.minutes = u32::try_from(arrivals.len()).unwrap_or(u32::MAX);
        }
        arrivals
    } else {
        arrivals(&main)?
    };
    let mut outcomes = vec![outcome(&main, &arrivals)];
    if let Some(compared) = &compared {
        outcomes.push(outcome(compared, &arrivals));
    }
    if args.peers {
        for peer in Kind::PEERS {
            let mut run_as = main.clone_as(peer);
            // A peer keeps no promise of Sluice's: its report is for comparison.
            run_as.file.expect = Default::default();
            outcomes.push(outcome(&run_as, &arrivals));
        }
    }
    let text = print(&outcomes, &arrivals, &main);
    if let Some(out) = &args.out {
        write(Path::new(out), &outcomes, &text)?;
    }
    let kept = outcomes.iter().all(|o| o.checks.iter().all(|(_, ok)| *ok));
    Ok(if kept {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(4)
    })
}

/// Reads and checks a scenario file and the configuration it names.
pub fn load(path: &str, args: &SimulateArgs) -> Result<Loaded> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    let mut file = ScenarioFile::parse(&text).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    if let Some(seed) = args.seed {
        file.seed = seed;
    }
    if let Some(minutes) = args.minutes {
        file.minutes = minutes;
    }
    if let Some(seconds) = args.sqs_lag {
        file.sqs_count_lag_seconds = seconds;
    }
    if let Some(denominator) = args.denominator {
        file.denominator = match denominator {
            DenominatorArg::Desired => Denominator::Desired,
            DenominatorArg::Running => Denominator::Running,
            DenominatorArg::RunningAndPending => Denominator::RunningAndPending,
        };
    }
    let config = beside(path, &file.config);
    let config_text = std::fs::read_to_string(&config)
        .with_context(|| format!("{path}: cannot read its config {}", config.display()))?;
    let config_name = config.display().to_string();
    let document = Document::parse(&config_text, Format::from_path(&config_name))
        .map_err(|problems| anyhow::anyhow!("{config_name}:\n{problems}"))?;
    let scenario = file
        .scenario(&document)
        .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    Ok(Loaded {
        path: path.to_owned(),
        file,
        scenario,
    })
}

/// A path the scenario names, relative to the scenario file.
fn beside(scenario: &str, name: &str) -> PathBuf {
    let dir = Path::new(scenario).parent().unwrap_or(Path::new("."));
    dir.join(name)
}

/// The scenario's demand: generated from its seed, or its CSV trace.
pub fn arrivals(loaded: &Loaded) -> Result<Vec<u32>> {
    let file = &loaded.file;
    let spec: &DemandSpec = match &file.demand {
        DemandSource::Trace { csv } => {
            let path = beside(&loaded.path, csv);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the trace {}", path.display()))?;
            let mut trace =
                demand::parse_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            // The run lasts `minutes`: a shorter trace is followed by no arrivals.
            trace.resize(file.minutes as usize, 0);
            return Ok(trace);
        }
        DemandSource::Generated(spec) => spec,
    };
    demand::generate(spec, loaded.scenario.start, file.minutes, file.seed)
        .map_err(|e| anyhow::anyhow!("{}: demand: {e}", loaded.path))
}

/// The demand the target's history implies: arrivals per minute over the last
/// `--days`, from the Backlog and RunningTasks the publisher wrote, and when it began.
async fn history(args: &SimulateArgs, loaded: &Loaded) -> Result<(jiff::Timestamp, Vec<u32>)> {
    let clients = sluice_aws::Clients::new(&sluice_aws::load_sdk_config().await);
    let metrics = sluice_aws::CloudWatchMetrics::new(clients.cloudwatch().clone());
    let end = jiff::Timestamp::now().as_second() / 60 * 60;
    let start = end - i64::from(args.days) * 86_400;
    let target = &loaded.file.target;
    let read = |name: &'static str| {
        let query = sluice_core::facts::MetricQuery {
            namespace: args.cloudwatch.namespace.clone(),
            metric: name.to_owned(),
            dimensions: [("Target".to_owned(), target.clone())].into(),
            statistic: "Maximum",
        };
        let metrics = &metrics;
        async move {
            let points = metrics.series(&query, start, end, 60).await;
            points.with_context(|| format!("reading {name} of {target} from CloudWatch"))
        }
    };
    let backlog = read("Backlog").await?;
    let running = read("RunningTasks").await?;
    if backlog.is_empty() {
        bail!(
            "no Backlog for target {target} in namespace {} over the last {} days: \
             is the publisher writing to another namespace (--namespace)?",
            args.cloudwatch.namespace,
            args.days
        );
    }
    let minutes = ((end - start) / 60) as usize;
    let arrivals = demand::from_history(
        &per_minute(&backlog, start, minutes),
        &per_minute(&running, start, minutes),
        loaded.scenario.tasks.per_task_per_minute,
    );
    let start = jiff::Timestamp::from_second(start).context("history start")?;
    Ok((start, arrivals))
}

/// Points laid on a minute grid from `start`. A minute without a point keeps the
/// value before it (a missed publish is not an emptied queue); 0 before the first.
fn per_minute(points: &[(i64, f64)], start: i64, minutes: usize) -> Vec<f64> {
    let mut series: Vec<Option<f64>> = vec![None; minutes];
    for (at, value) in points {
        let slot = usize::try_from((at - start) / 60).ok();
        if let Some(slot) = slot.and_then(|s| series.get_mut(s)) {
            *slot = Some(*value);
        }
    }
    let mut last = 0.0;
    series
        .into_iter()
        .map(|value| {
            last = value.unwrap_or(last);
            last
        })
        .collect()
}

fn outcome(loaded: &Loaded, arrivals: &[u32]) -> Outcome {
    let run = sim::run(&loaded.scenario, arrivals);
    let summary = report::summarize(&loaded.scenario, &run, &loaded.file.load_ends());
    let checks = loaded.file.expect.check(&summary);
    let label = Path::new(&loaded.path)
        .file_stem()
        .map_or_else(|| loaded.path.clone(), |s| s.to_string_lossy().into_owned());
    let label = match loaded.scenario.controller {
        Kind::Sluice => format!("{label} ({})", loaded.file.target),
        peer => format!("{label} ({}, {})", loaded.file.target, peer.label()),
    };
    Outcome {
        label,
        path: loaded.path.clone(),
        scenario: loaded.scenario.clone(),
        run,
        summary,
        checks,
    }
}

/// Prints the report (and the comparison) and the promises; returns the text.
fn print(outcomes: &[Outcome], arrivals: &[u32], main: &Loaded) -> String {
    let demand = match &main.file.demand {
        DemandSource::Trace { csv } => format!("trace {csv}"),
        DemandSource::Generated(spec) => format!("{spec:?}"),
    };
    let mut text = format!(
        "{}: target {}, {} minutes from {}, {} messages; demand {demand}, seed {}\n",
        main.path,
        main.file.target,
        arrivals.len(),
        main.file.start,
        arrivals.iter().map(|a| u64::from(*a)).sum::<u64>(),
        main.file.seed
    );
    let scaling = &main.scenario.target.scaling;
    for note in report::not_modelled(scaling) {
        text.push_str(&format!("  not modelled  {note}\n"));
    }
    for note in report::assumed(scaling, &main.scenario.signals) {
        text.push_str(&format!("  assumed       {note}\n"));
    }
    match outcomes {
        [one] => text.push_str(&report::text("", &one.summary)),
        [_, b] if b.path != main.path => {
            text.push_str(&format!("compared with {}\n", b.path));
        }
        _ => text.push_str("compared with the peers on the same trace\n"),
    }
    if outcomes.len() > 1 {
        let labels: Vec<&str> = outcomes.iter().map(|o| o.label.as_str()).collect();
        let summaries: Vec<&Summary> = outcomes.iter().map(|o| &o.summary).collect();
        text.push_str(&report::compare(&labels, &summaries));
    }
    for outcome in outcomes {
        for (promise, kept) in &outcome.checks {
            let mark = if *kept { "kept" } else { "NOT KEPT" };
            text.push_str(&format!(
                "  promise {mark:8} {promise} ({})\n",
                outcome.label
            ));
        }
    }
    out!("{text}");
    text
}

fn write(dir: &Path, outcomes: &[Outcome], text: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("report.txt"), text)?;
    for (index, outcome) in outcomes.iter().enumerate() {
        let name = if index == 0 {
            "series.csv".to_owned()
        } else {
            format!("series-{}.csv", index + 1)
        };
        std::fs::write(dir.join(name), report::csv(&outcome.scenario, &outcome.run))?;
    }
    let svg = chart::svg(outcomes)?;
    std::fs::write(dir.join("chart.svg"), svg)?;
    outln!(
        "wrote {}/report.txt, series.csv and chart.svg",
        dir.display()
    );
    Ok(())
}
