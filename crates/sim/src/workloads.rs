//! The workloads controllers are measured on: the seed workloads (generated, so the
//! tests can run them) and the five real arrival traces of `../shared/traces` (read at
//! run time; the repository ships no copy of them). Each names the service it feeds:
//! its throughput, its latency goal (through `backlog_per_task`), its bounds and
//! whether it sleeps; and is run with two start-ups, each drawn per task: 60-120 s,
//! and a GPU model's 4-7 min.

use jiff::Timestamp;
use sluice_core::config::{ScaleToZero, Target};

use crate::demand::{self, DemandSpec};
use crate::ecs::{Latency, TaskModel};

/// How long a task takes to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartUp {
    /// 60 to 120 s, drawn per task: a container image and a small model. Drawn, not a
    /// fixed 90 s: a start-up that never varies flatters a loop that plans with the
    /// start-up it measured (docs/simulate.md).
    Seconds60To120,
    /// 4 to 7 minutes, drawn per task: a GPU instance's model load.
    Minutes4To7,
}

impl StartUp {
    pub const BOTH: [StartUp; 2] = [StartUp::Seconds60To120, StartUp::Minutes4To7];

    pub fn latency(self) -> Latency {
        match self {
            StartUp::Seconds60To120 => Latency::Range([60, 120]),
            StartUp::Minutes4To7 => Latency::Range([240, 420]),
        }
    }

    /// The start-up as the summary's column says it.
    pub fn short(self) -> &'static str {
        match self {
            StartUp::Seconds60To120 => "60-120 s",
            StartUp::Minutes4To7 => "4-7 min",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StartUp::Seconds60To120 => "60-120 s start-up",
            StartUp::Minutes4To7 => "4-7 min start-up",
        }
    }
}

/// One demand on one service.
#[derive(Debug, Clone)]
pub struct Workload {
    pub name: String,
    /// What arrives, and the service's assumptions, in a line.
    pub about: String,
    pub target: Target,
    pub tasks: TaskModel,
    pub arrivals: Vec<u32>,
    pub start: Timestamp,
    pub initial: u32,
    pub seed: u64,
    /// Minutes at which the load ends (a surge's end).
    pub load_ends: Vec<u32>,
    /// `Scenario::watcher_phase_seconds` of every run of it.
    pub watcher_phase_seconds: u32,
    /// `Scenario::sqs_count_lag_seconds` of every run of it.
    pub sqs_count_lag_seconds: u32,
}

/// The service a workload feeds: throughput, latency goal (as `backlog_per_task`
/// messages a task, at that throughput), bounds, and whether it sleeps.
#[derive(Debug, Clone, Copy)]
struct Service {
    per_task_per_minute: f64,
    backlog_per_task: f64,
    min: u32,
    max: u32,
    sleeps: bool,
}

impl Service {
    fn target(self, name: &str) -> Target {
        let mut target = Target::new(name, "sim", name)
            .with_queues([format!("{name}-queue")])
            .with_capacity(self.min, self.max)
            .with_backlog_per_task(self.backlog_per_task);
        if self.sleeps {
            target = target.with_scale_to_zero(ScaleToZero::default());
        }
        target
    }

    fn tasks(self, startup: StartUp) -> TaskModel {
        TaskModel::plain(startup.latency(), self.per_task_per_minute)
    }

    fn workload(
        self,
        name: &str,
        about: &str,
        startup: StartUp,
        arrivals: Vec<u32>,
        start: Timestamp,
    ) -> Workload {
        Workload {
            name: name.to_owned(),
            about: about.to_owned(),
            target: self.target(name),
            tasks: self.tasks(startup),
            arrivals,
            start,
            initial: self.min.max(u32::from(!self.sleeps)),
            seed: 7,
            load_ends: Vec::new(),
            watcher_phase_seconds: 0,
            sqs_count_lag_seconds: crate::attributes::LAG_SECONDS,
        }
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap_or(Timestamp::UNIX_EPOCH)
}

/// An inference tier: 50 messages a task a minute, 50 a task acceptable (1 minute).
const INFERENCE: Service = Service {
    per_task_per_minute: 50.0,
    backlog_per_task: 50.0,
    min: 1,
    max: 20,
    sleeps: false,
};

/// The generated seed workloads.
pub fn seeds(startup: StartUp) -> Result<Vec<Workload>, String> {
    let monday = at("2026-11-30T00:00:00Z");
    let generate = |spec: &DemandSpec, minutes: u32| demand::generate(spec, monday, minutes, 7);
    let steady = generate(&DemandSpec::Steady { rate: 150.0 }, 240)?;
    let diurnal_spec = DemandSpec::Diurnal {
        base: 30.0,
        peak: 400.0,
        peak_hour: 14,
        timezone: "Europe/Berlin".to_owned(),
    };
    Ok(vec![
        INFERENCE.workload(
            "steady",
            "150 a minute for 4 hours (3 tasks' worth), 50 a task a minute, goal 1 min",
            startup,
            steady,
            monday,
        ),
        surge(startup, monday)?,
        INFERENCE.workload(
            "diurnal",
            "a daily wave 30 -> 400 a minute, two days, 50 a task a minute, goal 1 min",
            startup,
            generate(&diurnal_spec, 2 * 1440)?,
            monday,
        ),
        bursty(startup, monday)?,
    ])
}

/// The seed surge: 30 -> 375 a minute for half an hour, its load ending at minute 90.
fn surge(startup: StartUp, monday: Timestamp) -> Result<Workload, String> {
    let spec = DemandSpec::Surge {
        base: 30.0,
        peak: 375.0,
        at_minute: 60,
        minutes: 30,
    };
    let mut surge = INFERENCE.workload(
        "surge",
        "30 -> 375 a minute for 30 minutes, 50 a task a minute, goal 1 min",
        startup,
        demand::generate(&spec, monday, 180, 7)?,
        monday,
    );
    surge.load_ends = vec![90];
    Ok(surge)
}

/// The seed pipeline module: jobs of 40 about every 90 minutes, asleep between.
fn bursty(startup: StartUp, monday: Timestamp) -> Result<Workload, String> {
    let spec = DemandSpec::Bursty {
        size: 40,
        every_minutes: 90,
        spread_minutes: 2,
    };
    let module = Service {
        per_task_per_minute: 10.0,
        backlog_per_task: 20.0,
        min: 0,
        max: 10,
        sleeps: true,
    };
    Ok(module.workload(
        "bursty",
        "jobs of 40 every 90 min on average, asleep between, 10 a task a minute, goal 2 min",
        startup,
        demand::generate(&spec, monday, 1440, 7)?,
        monday,
    ))
}

/// A real trace of `../shared/traces` and the service it feeds.
#[derive(Debug, Clone, Copy)]
pub struct TraceSpec {
    pub file: &'static str,
    pub name: &'static str,
    /// Counts are divided by this (WorldCup98's are a web site's, not a queue's).
    divide_by: u32,
    service: Service,
    /// How much one request's service time varies (`TaskModel::service_cv`): known
    /// only where the trace's source records it; 0 elsewhere.
    service_cv: f64,
    start: &'static str,
    about: &'static str,
}

pub const TRACES: [TraceSpec; 5] = [
    TraceSpec {
        file: "nasa-http-1995.csv",
        name: "nasa-http",
        divide_by: 1,
        service_cv: 0.0,
        service: Service {
            per_task_per_minute: 20.0,
            backlog_per_task: 40.0,
            min: 1,
            max: 40,
            sleeps: false,
        },
        start: "1995-07-01T04:00:00Z",
        about: "NASA HTTP 1995, 14 days, 20 a task a minute, goal 2 min",
    },
    TraceSpec {
        file: "worldcup98.csv",
        name: "worldcup98",
        divide_by: 1000,
        service_cv: 0.0,
        service: Service {
            per_task_per_minute: 10.0,
            backlog_per_task: 20.0,
            min: 1,
            max: 60,
            sleeps: false,
        },
        start: "1998-06-22T00:00:00Z",
        about: "WorldCup98 / 1000, 14 days, 10 a task a minute, goal 2 min",
    },
    TraceSpec {
        file: "aws-elb-requests.csv",
        name: "aws-elb",
        divide_by: 1,
        service_cv: 0.0,
        service: Service {
            per_task_per_minute: 5.0,
            backlog_per_task: 10.0,
            min: 1,
            max: 40,
            sleeps: false,
        },
        start: "2014-04-10T00:04:00Z",
        about: "an AWS load balancer, 14 days, 5 a task a minute, goal 2 min",
    },
    TraceSpec {
        file: "alibaba-genai-lora.csv",
        name: "alibaba-genai",
        divide_by: 1,
        // Its exec_time_seconds (../shared/traces/README.md): median 23 s, mean
        // 29.8, p90 56, p99 109; a log-normal of mean 30 s with CV 0.8 has median 23,
        // p90 58 and p99 123.
        service_cv: 0.8,
        service: Service {
            per_task_per_minute: 2.0,
            backlog_per_task: 4.0,
            min: 0,
            max: 20,
            sleeps: true,
        },
        start: "2024-11-22T00:00:00Z",
        about: "Alibaba serverless diffusion requests, 14 days, 30 s each on average (CV 0.8, as recorded), asleep when idle, goal 2 min",
    },
    TraceSpec {
        // Its run times (../shared/traces/README.md) are heavy-tailed: median 74 s, p90
        // 1,102 s, p99 9,832 s, a log-normal of mean about 11 minutes and CV about 9,
        // beyond what the model draws. Every job takes the median here: a load about a
        // ninth of the recorded one, the same for every controller and the limit.
        file: "nasa-ipsc-1993-jobs.csv",
        name: "nasa-ipsc",
        divide_by: 1,
        service_cv: 0.0,
        service: Service {
            per_task_per_minute: 0.8,
            backlog_per_task: 4.0,
            min: 0,
            max: 10,
            sleeps: true,
        },
        start: "1993-10-04T07:00:00Z",
        about: "NASA iPSC jobs, 14 days, 75 s each (the median), asleep when idle, goal 5 min",
    },
];

impl TraceSpec {
    /// The workload from the trace's CSV text; `minutes` shortens it.
    pub fn workload(
        &self,
        csv: &str,
        startup: StartUp,
        minutes: Option<u32>,
    ) -> Result<Workload, String> {
        let mut arrivals = demand::parse_csv(csv).map_err(|e| format!("{}: {e}", self.file))?;
        if let Some(minutes) = minutes {
            arrivals.truncate(minutes as usize);
        }
        for count in &mut arrivals {
            *count = (f64::from(*count) / f64::from(self.divide_by)).round() as u32;
        }
        let mut workload =
            self.service
                .workload(self.name, self.about, startup, arrivals, at(self.start));
        workload.tasks.service_cv = self.service_cv;
        Ok(workload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a trace that records its run times says they vary: alibaba-genai's
    /// requests, fitted from the trace's README; every other workload's are alike.
    #[test]
    fn only_recorded_run_times_vary() {
        let csv = "minute,arrivals\n0,1\n1,0\n";
        for spec in TRACES {
            let workload = spec.workload(csv, StartUp::Seconds60To120, None);
            let cv = workload.map(|w| w.tasks.service_cv);
            let expected = if spec.name == "alibaba-genai" {
                0.8
            } else {
                0.0
            };
            assert_eq!(cv, Ok(expected), "{}", spec.name);
        }
        let seeds = seeds(StartUp::Minutes4To7).unwrap_or_default();
        assert!(!seeds.is_empty());
        assert!(seeds.iter().all(|w| w.tasks.service_cv == 0.0));
    }
}
