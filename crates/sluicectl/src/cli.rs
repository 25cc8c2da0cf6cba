//! The command line: every command, its arguments and its help.

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "sluicectl",
    version,
    about = "Validate, apply and inspect Sluice targets and profiles",
    long_about = "Validate, apply and inspect Sluice targets and profiles.\n\n\
        Targets (what to scale and how) and profiles (when to pre-scale) live in one \
        DynamoDB table; adding a service is `sluicectl apply -f`, not a redeploy. \
        AWS credentials, region and endpoints come from the standard AWS variables \
        (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...).\n\n\
        The file format is described in docs/configuration.md; infra/examples/sluice.yaml \
        is a complete example."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args)]
pub struct TableArgs {
    /// DynamoDB table that holds targets and profiles (the stack's SluiceTable output)
    #[arg(long, env = "SLUICE_TABLE")]
    pub table: String,
}

/// The one definition of `--namespace`, shared by every command that reads or writes
/// Sluice's metrics.
#[derive(clap::Args)]
pub struct NamespaceArgs {
    /// CloudWatch namespace the functions write to (the stack's MetricNamespace): the
    /// metrics the policies track and the commands read
    #[arg(long, env = "SLUICE_NAMESPACE", default_value = "Sluice")]
    pub namespace: String,
}

/// The one definition of `--env`, shared by the commands that run a file's targets.
#[derive(clap::Args)]
pub struct EnvArgs {
    /// The environment to run the file as: each target's `capacity_by_env.ENV` as its
    /// capacity (a dev stack's bounds beside prod's, in one file). Without it,
    /// `capacity` as written
    #[arg(long)]
    pub env: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check a configuration file and list every problem by path; changes nothing
    Validate(ValidateArgs),
    /// Validate a file, write its targets and profiles, and reconcile their scaling
    ///
    /// Writes the targets and profiles to the table, then makes each target's
    /// Application Auto Scaling what its configuration says: the scalable target's
    /// bounds (keeping a floor the prescaler holds raised now), a target-tracking policy
    /// on BacklogPerTask and any other declared policy under Sluice-owned names
    /// (sluice-*), and the alarm of a burst policy. Policies Sluice does not own are
    /// never touched; Sluice-owned ones no longer declared are deleted.
    ///
    /// Idempotent and safe to run twice at once: unchanged items are not rewritten and
    /// a second apply changes nothing. Nothing is deleted from the table unless --prune
    /// is given. Nothing at all is written when the file has a problem.
    Apply(ApplyArgs),
    /// Show each stored target's scaling as declared and as AWS holds it, drift included
    ///
    /// For every target (or --target): the scalable target's bounds, each policy
    /// (in sync, drifted, missing, unreadable, or not Sluice's) and the burst alarm.
    /// Exits 0 when everything is in sync, 3 when something drifted (`apply` fixes it).
    Status(StatusArgs),
    /// Print the stored targets or profiles as a document `apply` accepts
    Get(GetArgs),
    /// Print the floors the prescaler would set over the next hours
    ///
    /// Reads the target and its profile from the table, or from FILE when given (so a
    /// profile can be checked before it is applied); --profile plans with another profile.
    Plan(PlanArgs),
    /// Learn and manage capacity profiles
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// Print the latest metrics the metric publisher wrote for each target
    Metrics(MetricsArgs),
    /// Say why a target's service is at its count: each function's last decision
    ///
    /// Reads, and changes nothing: the target as stored; ECS, its queues and its
    /// scalable target now; the zero-watcher's last decision with its reason and the
    /// facts it used (its record in the table); under the load model, the rates it
    /// learned and the start-up it plans with; the prescaler's floor now and its own
    /// last raise; the latest metrics the publisher wrote and the last wake's
    /// latencies. Ends with the answer, e.g. why a service is at 0 with work waiting.
    Why(WhyArgs),
    /// Run a target's configuration on a demand trace, minute by minute, before it runs
    ///
    /// The scenario file names a configuration file and target, a start time and
    /// length, the service's assumptions (task start-up, messages a task handles a
    /// minute, instance warm-up, price) and the demand: a generator (steady, step,
    /// surge, ramp, diurnal, weekly, month-end, bursty) or a CSV trace. Sluice's own
    /// decisions (the publisher's metrics, the zero-watcher, the profile's floors, the
    /// policies apply would put) run against a model of Application Auto Scaling and
    /// ECS built from AWS's documentation (docs/simulate.md says where it ends).
    ///
    /// Prints a report (queue waits, time short of capacity, task- and GPU-hours and
    /// cost, capacity above need, wakes and scaling actions) and checks the outcomes
    /// the scenario's `expect` promises (exit code 4 when one is not met). With --out,
    /// also writes report.txt, series.csv (every minute) and chart.svg. Deterministic:
    /// the same scenario and seed give the same run. infra/examples/ holds scenarios
    /// for the workloads Sluice was built for.
    Simulate(SimulateArgs),
}

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["scenario", "workloads"]))]
pub struct SimulateArgs {
    /// The scenario (YAML); infra/examples/*/scenario.yaml are examples
    #[arg(short, long)]
    pub scenario: Option<String>,
    /// A second scenario to run on the first one's demand trace, side by side (e.g.
    /// the same target with idle_minutes 15, or without its profile)
    #[arg(long, conflicts_with = "peers")]
    pub compare: Option<String>,
    /// Run the scenario's target under the peers too, on the same trace: AWS's
    /// documented SQS recipe and KEDA's SQS scaler with the HPA, beside the clairvoyant
    /// limit (docs/control.md)
    #[arg(long)]
    pub peers: bool,
    /// Instead of a scenario: the seed workloads and the real traces of --traces, each
    /// with 90 s and 4-7 min start-ups, under Sluice and the peers; one table and one
    /// chart per workload (infra/bench.sh control; docs/control.md)
    #[arg(long)]
    pub workloads: bool,
    /// The folder of real arrival traces for --workloads (minute,arrivals CSVs);
    /// default ../shared/traces when it exists
    #[arg(long, requires = "workloads")]
    pub traces: Option<String>,
    /// With --workloads: every workload's target gives capacity back after this many
    /// seconds below its need (`scaling.give_back_after_seconds`; by default a start-up, 60 to 180 s), to
    /// see what a shorter or longer give-back costs and saves (docs/control.md)
    #[arg(long, requires = "workloads", value_parser = clap::value_parser!(u32).range(15..=3600))]
    pub give_back: Option<u32>,
    /// With --workloads: the zero-watcher's scheduled invocation starts this many
    /// seconds into each minute, the metric publisher's starting it (default 0: the
    /// watcher reads the record the publisher has just stored). Two schedules run a
    /// minute apart in no set order; see how the figures move with it
    /// (docs/simulate.md#where-the-model-ends)
    #[arg(long, requires = "workloads", value_parser = clap::value_parser!(u32).range(0..=59))]
    pub watcher_phase: Option<u32>,
    /// With --workloads: each message's service time varies by this coefficient of
    /// variation (standard deviation over mean, log-normal, 0 to 4) in every workload;
    /// default each workload's own (0: all alike, but alibaba-genai's 0.8, as its trace
    /// records). A scenario sets it as tasks.service_cv. See how the figures move when
    /// jobs differ in size (docs/control.md#when-messages-differ-in-size)
    #[arg(long, requires = "workloads", allow_negative_numbers = true, value_parser = service_cv)]
    pub service_cv: Option<f64>,
    /// With --workloads: every task protects itself from scale-in while it holds a
    /// message (ECS task scale-in protection), so no scale-in or sleep stops a task in
    /// the middle of a job. A scenario sets it as tasks.protects_while_working. See
    /// what it saves (docs/control.md#workers-that-protect-their-task)
    #[arg(long, requires = "workloads")]
    pub protected_tasks: bool,
    /// How stale SQS's counts may be when a function or a peer reads them
    /// (GetQueueAttributes), in seconds, 0 to 600: each read returns the queue as it
    /// was at a moment drawn from the last this many. Default the scenario's
    /// `sqs_count_lag_seconds`, else 60 (AWS: the counts "may not achieve consistency
    /// until at least 1 minute after the producers stop sending"); 0 reads the queue
    /// as it is (docs/simulate.md#where-the-model-ends)
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(0..=600))]
    pub sqs_lag: Option<u32>,
    /// Write report.txt, series.csv and chart.svg here
    #[arg(long)]
    pub out: Option<String>,
    /// Seed of the demand and start-up draws (default: the scenario's). With
    /// --workloads: of every run's draws (start-ups, service times, which task a
    /// scale-in stops, how stale a read is; default 7), the arrivals staying as they
    /// are. See whether a figure holds beyond one draw (docs/control.md)
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the scenario's length, in minutes
    #[arg(long)]
    pub minutes: Option<u32>,
    /// What BacklogPerTask divides by (the publisher: desired); to see what another
    /// choice would do
    #[arg(long, value_enum)]
    pub denominator: Option<DenominatorArg>,
    /// Replay the target's own history instead of the scenario's demand: arrivals
    /// derived from the Backlog and RunningTasks the publisher wrote
    #[arg(long)]
    pub from_cloudwatch: bool,
    /// Days of history for --from-cloudwatch (1-14: CloudWatch keeps 1-minute data 15 days)
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=14))]
    pub days: u32,
    #[command(flatten)]
    pub cloudwatch: NamespaceArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DenominatorArg {
    Desired,
    Running,
    RunningAndPending,
}

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// YAML or JSON file (JSON when the name ends in .json)
    #[arg(short, long)]
    pub file: String,
    /// Check the file as this environment runs it only (default: as written, and as
    /// each environment its targets name in `capacity_by_env`)
    #[arg(long)]
    pub env: Option<String>,
}

#[derive(clap::Args)]
pub struct ApplyArgs {
    #[arg(short, long)]
    pub file: String,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Delete stored targets and profiles that the file does not name
    #[arg(long)]
    pub prune: bool,
    /// Let --prune run with a file that holds no targets and no profiles, deleting
    /// everything stored (refused without it: an empty file is more often a mistake)
    #[arg(long, requires = "prune")]
    pub allow_empty: bool,
    /// Show what would change without writing
    #[arg(long)]
    pub dry_run: bool,
    /// Move or delete (--prune) a target even while the prescaler holds a raise or cap
    /// on the service it names now: refused without it, because nothing would give
    /// that raise back (the command says which raise, to give back by hand)
    #[arg(long)]
    pub leave_raises: bool,
    /// Write the table only; leave Application Auto Scaling as it is
    #[arg(long)]
    pub skip_scaling: bool,
    #[command(flatten)]
    pub cloudwatch: NamespaceArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// Only this target
    #[arg(long)]
    pub target: Option<String>,
    /// Output format: a table, or JSON for scripts
    #[arg(short, long, value_enum, default_value_t = StatusFormat::Table)]
    pub output: StatusFormat,
    #[command(flatten)]
    pub cloudwatch: NamespaceArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
}

#[derive(clap::Args)]
pub struct GetArgs {
    pub kind: Kind,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(clap::Args)]
pub struct PlanArgs {
    #[arg(long)]
    pub target: String,
    #[arg(long, default_value_t = 24)]
    pub hours: u32,
    /// Start (RFC 3339, e.g. 2026-11-30T00:00:00Z); default now
    #[arg(long)]
    pub from: Option<String>,
    /// Plan with this profile instead of the target's own
    #[arg(long)]
    pub profile: Option<String>,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Read targets and profiles from this file first, the table for the rest
    #[arg(short, long)]
    pub file: Option<String>,
    /// DynamoDB table (needed unless FILE holds both target and profile; with
    /// `lead: auto` also where the target's measured start-ups are read)
    #[arg(long, env = "SLUICE_TABLE")]
    pub table: Option<String>,
    /// The prescaler's schedule interval in minutes, part of a `lead: auto`
    #[arg(long, env = "SLUICE_PRESCALE_INTERVAL_MINUTES", default_value_t = 5,
          value_parser = clap::value_parser!(i64).range(1..=60))]
    pub prescale_interval_minutes: i64,
}

#[derive(clap::Args)]
pub struct MetricsArgs {
    /// Only this target
    #[arg(long)]
    pub target: Option<String>,
    /// How far back to look for a datapoint
    #[arg(long, default_value_t = 10)]
    pub minutes: u32,
    #[command(flatten)]
    pub cloudwatch: NamespaceArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(clap::Args)]
pub struct WhyArgs {
    /// The target's name
    pub target: String,
    #[command(flatten)]
    pub cloudwatch: NamespaceArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Subcommand)]
pub enum ProfileCommand {
    /// Propose a profile from the target's own published metrics
    ///
    /// Reads RunningTasks and BacklogPerTask (five-minute averages) that the metric
    /// publisher wrote for the target, derives for each weekday and hour the task count
    /// that would have held backlog per task at the target's goal (`backlog_per_task`),
    /// takes a high quantile of it (0.9 by default: nine in ten past moments covered)
    /// and writes a profile that `validate`, `plan` and `apply` accept. With more than
    /// a month of history (--days 35 or more) it also proposes day-of-month windows for
    /// the month's first and last five days (month-end closes) where they need more
    /// than the weekday windows give, each explained by the dates behind it.
    Learn(LearnArgs),
    /// Score a profile against the target's history: task-hours over and under need
    ///
    /// For every five-minute datapoint of RunningTasks and BacklogPerTask, the tasks
    /// that would have held backlog per task at the target's goal are compared with
    /// the floor the profile gave then (the window that gave it, or capacity.min
    /// outside every window): over-provisioned task-hours were paid for idle,
    /// under-provisioned ones were left to reactive scaling.
    Score(ScoreArgs),
}

#[derive(clap::Args)]
pub struct ScoreArgs {
    #[arg(long)]
    pub target: String,
    /// Days of history to score over (1-63)
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=63))]
    pub days: u32,
    /// Score this profile instead of the target's own
    #[arg(long)]
    pub profile: Option<String>,
    /// Read the profile from this file first, the table for the rest
    #[arg(short, long)]
    pub file: Option<String>,
    #[command(flatten)]
    pub cloudwatch: NamespaceArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(clap::Args)]
pub struct LearnArgs {
    #[arg(long)]
    pub target: String,
    /// Days of history to learn from (1-63; 35 or more for day-of-month windows)
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=63))]
    pub days: u32,
    /// IANA time zone the profile's windows are written in
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
    /// Quantile of the hourly need to cover (above 0, at most 1)
    #[arg(long, default_value_t = 0.9)]
    pub quantile: f64,
    /// lead_minutes of the proposed profile
    #[arg(long, default_value_t = 10)]
    pub lead_minutes: u32,
    /// Name of the proposed profile (default: <target>-learned)
    #[arg(long)]
    pub name: Option<String>,
    /// Write the proposal here instead of standard output
    #[arg(short, long)]
    pub output: Option<String>,
    #[command(flatten)]
    pub cloudwatch: NamespaceArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    Targets,
    Profiles,
    Budgets,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
}

/// `--service-cv`: a number from 0 to sluice_sim::service::MOST_CV.
fn service_cv(text: &str) -> Result<f64, String> {
    let most = sluice_sim::service::MOST_CV;
    match text.parse::<f64>() {
        Ok(cv) if (0.0..=most).contains(&cv) => Ok(cv),
        _ => Err(format!("expected a number from 0 to {most}, got {text:?}")),
    }
}
