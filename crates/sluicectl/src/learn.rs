//! `sluicectl profile learn`: a profile proposal from the target's own published
//! history (RunningTasks and BacklogPerTask), for a person to check and apply.

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use sluice_aws::CloudWatchMetrics;
use sluice_core::config::{Document, Target};
use sluice_core::facts::MetricQuery;
use sluice_core::names::{self, TARGET_DIMENSION};
use sluice_core::profile::{Profile, Schedule, WindowSpec};
use sluice_sim::learn::{Sample, learn, learn_month_edges, score as score_history};

use crate::cli::LearnArgs;
use crate::table::{store_and_metrics, stored_target};

pub async fn run(args: LearnArgs) -> Result<std::process::ExitCode> {
    let (store, cloudwatch) = store_and_metrics(&args.table).await;
    let target = stored_target(&store, &args.target).await?;
    let options = Options {
        namespace: &args.cloudwatch.namespace,
        days: args.days,
        timezone: &args.timezone,
        quantile: args.quantile,
        lead_minutes: args.lead_minutes,
        name: args.name,
    };
    let proposal = propose(&cloudwatch, &target, &options).await?;
    match args.output {
        Some(path) => {
            std::fs::write(&path, &proposal).with_context(|| format!("cannot write {path}"))?;
            outln!(
                "wrote {path}; check it with `sluicectl validate -f {path}` and `sluicectl plan`"
            );
        }
        None => out!("{proposal}"),
    }
    Ok(std::process::ExitCode::SUCCESS)
}

struct Options<'a> {
    namespace: &'a str,
    days: u32,
    timezone: &'a str,
    quantile: f64,
    lead_minutes: u32,
    name: Option<String>,
}

/// The proposal as YAML text, with a header saying where it came from.
async fn propose(
    cloudwatch: &CloudWatchMetrics,
    target: &Target,
    options: &Options<'_>,
) -> Result<String> {
    if !(options.quantile > 0.0 && options.quantile <= 1.0) {
        bail!(
            "--quantile must be above 0 and at most 1, got {}",
            options.quantile
        );
    }
    if !(1..=63).contains(&options.days) {
        bail!("--days must be from 1 to 63 (CloudWatch keeps 5-minute data for 63 days)");
    }
    let tz = sluice_core::tz::get(options.timezone)
        .with_context(|| format!("--timezone {:?} is not an IANA time zone", options.timezone))?;
    let samples = history(cloudwatch, target, &options.namespace_days()).await?;
    let mut windows = learn(
        &samples,
        target.backlog_per_task,
        &tz,
        options.quantile,
        target.capacity.max,
    );
    let mut why: Vec<String> = windows
        .iter()
        .map(|w| {
            format!(
                "{}: the {} quantile of the need in those hours on those weekdays",
                crate::plan::describe(w),
                options.quantile
            )
        })
        .collect();
    if options.days >= MONTH_EDGE_DAYS {
        let weekly = Schedule::compile(&proposal(target, options, windows.clone()), "learned")
            .map_err(|problems| anyhow::anyhow!("{}", sluice_core::problem::Problems(problems)))?;
        for edge in learn_month_edges(
            &samples,
            target.backlog_per_task,
            &tz,
            options.quantile,
            target.capacity.max,
            &weekly,
        ) {
            why.push(format!(
                "{}: {}",
                crate::plan::describe(&edge.window),
                edge.because
            ));
            windows.push(edge.window);
        }
    }
    render(target, options, samples.len(), windows, &why)
}

/// Day-of-month windows need each edge day seen in two months.
const MONTH_EDGE_DAYS: u32 = 35;

/// Where the history is read from, and how far back.
pub struct HistoryOptions<'a> {
    pub namespace: &'a str,
    pub days: u32,
}

impl Options<'_> {
    fn namespace_days(&self) -> HistoryOptions<'_> {
        HistoryOptions {
            namespace: self.namespace,
            days: self.days,
        }
    }
}

/// The learned profile around `windows`.
fn proposal(target: &Target, options: &Options<'_>, windows: Vec<WindowSpec>) -> Profile {
    Profile {
        name: options
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-learned", target.name)),
        timezone: options.timezone.to_owned(),
        lead_minutes: options.lead_minutes,
        lead: sluice_core::profile::LeadMode::Fixed,
        holidays: Vec::new(),
        calendars: Vec::new(),
        windows,
    }
}

/// RunningTasks and BacklogPerTask as published, five-minute averages paired by time.
async fn history(
    cloudwatch: &CloudWatchMetrics,
    target: &Target,
    options: &HistoryOptions<'_>,
) -> Result<Vec<Sample>> {
    let end = Timestamp::now().as_second();
    let start = end - i64::from(options.days) * 86_400;
    let query = |metric: &str| MetricQuery {
        namespace: options.namespace.to_owned(),
        metric: metric.to_owned(),
        dimensions: [(TARGET_DIMENSION.to_owned(), target.name.clone())].into(),
        statistic: "Average",
    };
    let (running_query, per_task_query) =
        (query(names::RUNNING_TASKS), query(names::BACKLOG_PER_TASK));
    let (running, per_task) = tokio::join!(
        cloudwatch.series(&running_query, start, end, 300),
        cloudwatch.series(&per_task_query, start, end, 300),
    );
    let running = running.context("reading RunningTasks")?;
    let per_task = per_task.context("reading BacklogPerTask")?;
    let running: std::collections::BTreeMap<i64, f64> = running.into_iter().collect();
    let samples: Vec<Sample> = per_task
        .iter()
        .filter_map(|(at, backlog_per_task)| {
            running.get(at).map(|r| Sample {
                at: *at,
                running: *r,
                backlog_per_task: *backlog_per_task,
            })
        })
        .collect();
    if samples.is_empty() {
        bail!(
            "no RunningTasks and BacklogPerTask datapoints for target {} in namespace {} over the last {} days: is the metric publisher running for it?",
            target.name,
            options.namespace,
            options.days
        );
    }
    Ok(samples)
}

/// The proposal as YAML, with a header saying where it came from and what next.
fn render(
    target: &Target,
    options: &Options<'_>,
    samples: usize,
    windows: Vec<WindowSpec>,
    why: &[String],
) -> Result<String> {
    let profile = proposal(target, options, windows);
    let name = profile.name.clone();
    let document = Document {
        targets: Vec::new(),
        profiles: vec![profile],
        calendars: Vec::new(),
        budgets: Vec::new(),
    };
    document.validate().map_err(|problems| {
        anyhow::anyhow!("the learned profile does not validate (please report this):\n{problems}")
    })?;
    let header = format!(
        "# Proposed by `sluicectl profile learn --target {}` from {samples} five-minute datapoints\n\
         # ({} days of RunningTasks and BacklogPerTask in namespace {}): for each weekday and\n\
         # hour, the {} quantile of the tasks that would have held backlog per task at the\n\
         # target's goal of {}, capped at capacity.max {}. Check it with\n\
         # `sluicectl plan --target {} --profile {name} -f <this file>`, then add\n\
         # `profile: {name}` to the target and `sluicectl apply -f` both.\n",
        target.name,
        options.days,
        options.namespace,
        options.quantile,
        target.backlog_per_task,
        target.capacity.max,
        target.name
    );
    let explained: String = why
        .iter()
        .enumerate()
        .map(|(i, line)| format!("#   windows[{i}] {line}\n"))
        .collect();
    Ok(format!(
        "{header}# Why each window:\n{explained}{}",
        document.to_yaml().context("render YAML")?
    ))
}

/// `sluicectl profile score`: the profile's floors against the target's history, per
/// window, in task-hours over and under what the backlog needed.
pub async fn score(args: crate::cli::ScoreArgs) -> Result<std::process::ExitCode> {
    let (store, cloudwatch) = store_and_metrics(&args.table).await;
    let target = stored_target(&store, &args.target).await?;
    let name = args
        .profile
        .clone()
        .or_else(|| target.profile.clone())
        .with_context(|| format!("target {} names no profile; give --profile", target.name))?;
    let from_file = match args.file.as_deref() {
        Some(file) => match crate::table::read_document(file)? {
            Ok(document) => document.profiles.into_iter().find(|p| p.name == name),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    let profile = match from_file {
        Some(profile) => profile,
        None => crate::table::stored_profile(&store, &name).await?,
    };
    let schedule = Schedule::compile(&profile, "profile").map_err(|problems| {
        anyhow::anyhow!(
            "profile {name} is invalid:\n{}",
            sluice_core::problem::Problems(problems)
        )
    })?;
    let options = HistoryOptions {
        namespace: &args.cloudwatch.namespace,
        days: args.days,
    };
    let samples = history(&cloudwatch, &target, &options).await?;
    let rows = score_history(
        &samples,
        &schedule,
        target.backlog_per_task,
        target.capacity.min,
        300,
    );
    out!(
        "{}",
        score_table(&target, &profile, args.days, samples.len(), &rows)
    );
    Ok(std::process::ExitCode::SUCCESS)
}

fn score_table(
    target: &Target,
    profile: &Profile,
    days: u32,
    samples: usize,
    rows: &[sluice_sim::learn::WindowScore],
) -> String {
    let mut out = format!(
        "{}: profile {} over {days} days ({samples} five-minute datapoints), goal {} backlog per task\n",
        target.name, profile.name, target.backlog_per_task
    );
    out.push_str(&format!(
        "{:<48} {:>8} {:>12} {:>13} {:>10}\n",
        "window", "hours", "over task-h", "under task-h", "peak need"
    ));
    let (mut hours, mut over, mut under) = (0.0, 0.0, 0.0);
    for row in rows {
        let label = match row
            .window
            .and_then(|i| profile.windows.get(i).map(|w| (i, w)))
        {
            Some((i, window)) => format!("[{i}] {}", crate::plan::describe(window)),
            None => format!("no window (capacity.min {})", target.capacity.min),
        };
        out.push_str(&format!(
            "{label:<48} {:>8.1} {:>12.1} {:>13.1} {:>10}\n",
            row.hours, row.over_task_hours, row.under_task_hours, row.peak_need
        ));
        hours += row.hours;
        over += row.over_task_hours;
        under += row.under_task_hours;
    }
    out.push_str(&format!(
        "{:<48} {hours:>8.1} {over:>12.1} {under:>13.1}\n",
        "total"
    ));
    out
}
