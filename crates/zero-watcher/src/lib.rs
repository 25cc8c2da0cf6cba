//! The zero-watcher: flips ECS services between 0 and their wake count. Wakes within
//! seconds of work appearing (poll mode, SNS, alarms, manual wake); sleeps only after
//! `idle_minutes` of nothing at all; never fights Application Auto Scaling.

pub mod settings;
pub mod watch;

use std::time::Instant;

use serde_json::Value;
use std::sync::Arc;

use sluice_aws::{
    Account, AssumedAccounts, Assumer, AutoScaling, Clients, CloudWatchMetrics, DynamoStore,
    EcsServices, EmfLog, SqsQueues, StdoutEmf,
};
use sluice_lambda::{Clock, SystemClock};

pub use settings::Settings;
pub use watch::{Report, WatchError};

/// The function's state for a container's life: clients built once.
pub struct Watcher {
    settings: Settings,
    store: DynamoStore,
    /// The stack's own account, as every other is built ([`account`]).
    home: Account,
    emf: Box<dyn EmfLog>,
    looks: watch::QuietLooks,
    accounts: AssumedAccounts,
}

impl Watcher {
    pub fn new(clients: &Clients, settings: Settings) -> Self {
        Self {
            store: DynamoStore::new(clients.dynamodb().clone(), settings.common.table.clone()),
            home: account(clients),
            emf: Box::new(StdoutEmf),
            looks: watch::QuietLooks::default(),
            accounts: AssumedAccounts::new(
                clients.config.clone(),
                settings.common.concurrency,
                Assumer::Watcher,
                account,
            ),
            settings,
        }
    }

    /// Sends the decision counts elsewhere than standard output (benchmarks, tests).
    pub fn with_emf(mut self, emf: Box<dyn EmfLog>) -> Self {
        self.emf = emf;
        self
    }

    pub async fn handle(&self, event: &Value) -> Result<Report, WatchError> {
        self.handle_at(event, &SystemClock, None).await
    }

    /// As `handle`, polling no later than `deadline` (the invocation's, in Lambda).
    pub async fn handle_until(
        &self,
        event: &Value,
        deadline: Option<Instant>,
    ) -> Result<Report, WatchError> {
        self.handle_at(event, &SystemClock, deadline).await
    }

    /// As `handle_until`, with the decisions' clock given: for what-if runs and tests.
    pub async fn handle_at(
        &self,
        event: &Value,
        clock: &dyn Clock,
        deadline: Option<Instant>,
    ) -> Result<Report, WatchError> {
        let stack = watch::Stack {
            store: &self.store,
            states: &self.store,
            starts: &self.store,
            emf: self.emf.as_ref(),
            clock,
            looks: &self.looks,
            accounts: &self.accounts,
            rates: &self.store,
            memories: &self.store,
            prescaled: &self.store,
        };
        let ports = watch::Ports {
            here: &self.home,
            stack,
        };
        watch::watch_until(event, &self.settings, &ports, deadline).await
    }
}

/// What the watcher touches in the account a target lives in, the stack's own or
/// another; only these are linked.
fn account(clients: &Clients) -> Account {
    let ecs = Arc::new(EcsServices::new(clients.ecs().clone()));
    Account {
        queues: Arc::new(SqsQueues::new(clients.sqs().clone())),
        services: ecs.clone(),
        protections: ecs.clone(),
        scaler: ecs,
        autoscaling: Arc::new(AutoScaling::new(clients.autoscaling().clone())),
        metrics: Arc::new(CloudWatchMetrics::new(clients.cloudwatch().clone())),
        ..Account::unused()
    }
}

#[cfg(test)]
mod tests;
