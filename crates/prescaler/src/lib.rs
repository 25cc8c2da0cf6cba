//! The prescaler: raises each target's capacity floor ahead of the windows its
//! profile predicts (Monday 08:00, month end), lowers it again afterwards, and never
//! fights the reactive autoscaler.

pub mod prescale;
pub mod settings;

use jiff::Timestamp;
use serde_json::Value;
use std::sync::Arc;

use sluice_aws::{
    Account, AssumedAccounts, Assumer, AutoScaling, Clients, CloudWatchMetrics, DynamoStore,
    Ec2AutoScaling, EcsServices, SqsQueues,
};

pub use prescale::Report;
pub use settings::Settings;

/// The function's state for a container's life: clients built once.
pub struct Prescaler {
    settings: Settings,
    store: DynamoStore,
    /// The stack's own account, as every other is built ([`account`]).
    home: Account,
    cloudwatch: CloudWatchMetrics,
    groups: Ec2AutoScaling,
    accounts: AssumedAccounts,
}

impl Prescaler {
    pub fn new(clients: &Clients, settings: Settings) -> Self {
        Self {
            store: DynamoStore::new(clients.dynamodb().clone(), settings.common.table.clone()),
            home: account(clients),
            cloudwatch: CloudWatchMetrics::new(clients.cloudwatch().clone()),
            groups: Ec2AutoScaling::new(clients.groups().clone()),
            accounts: AssumedAccounts::new(
                clients.config.clone(),
                settings.common.concurrency,
                Assumer::Prescaler,
                account,
            ),
            settings,
        }
    }

    pub async fn handle(&self, event: &Value) -> Result<Report, sluice_lambda::RequestError> {
        let stack = prescale::Stack {
            store: &self.store,
            states: &self.store,
            starts: &self.store,
            sink: &self.cloudwatch,
            metrics: &self.cloudwatch,
            groups: &self.groups,
            group_states: &self.store,
            accounts: &self.accounts,
        };
        let ports = prescale::Ports {
            here: &self.home,
            stack,
        };
        prescale::prescale(event, &self.settings, &ports, Timestamp::now()).await
    }
}

/// What the prescaler touches in the account a target lives in, the stack's own or
/// another; only these are linked.
fn account(clients: &Clients) -> Account {
    let ecs = Arc::new(EcsServices::new(clients.ecs().clone()));
    Account {
        queues: Arc::new(SqsQueues::new(clients.sqs().clone())),
        services: ecs.clone(),
        scaler: ecs,
        autoscaling: Arc::new(AutoScaling::new(clients.autoscaling().clone())),
        ..Account::unused()
    }
}

#[cfg(test)]
mod tests;
