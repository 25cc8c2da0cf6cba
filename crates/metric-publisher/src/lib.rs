//! The metric publisher: every minute, reads each target's queue depth, task counts
//! and GPU utilisation, and publishes backlog per task (and the rest) to CloudWatch
//! for Application Auto Scaling target tracking.

pub mod publish;
pub mod settings;

use serde_json::Value;
use std::sync::Arc;

use sluice_aws::{
    Account, AssumedAccounts, Assumer, Clients, CloudWatchMetrics, DynamoStore, EcsServices,
    SqsQueues,
};

pub use publish::{PublishError, Summary};
pub use settings::{Output, Settings};

/// The function's state for a container's life: clients built once, shared by every
/// invocation (and the SQS queue-URL cache with them).
pub struct Publisher {
    settings: Settings,
    store: DynamoStore,
    /// The stack's own account, as every other is built ([`account`]).
    home: Account,
    cloudwatch: CloudWatchMetrics,
    accounts: AssumedAccounts,
}

impl Publisher {
    pub fn new(clients: &Clients, settings: Settings) -> Self {
        Self {
            accounts: AssumedAccounts::new(
                clients.config.clone(),
                settings.common.concurrency,
                Assumer::Publisher,
                account,
            ),
            store: DynamoStore::new(clients.dynamodb().clone(), settings.common.table.clone()),
            home: account(clients),
            cloudwatch: CloudWatchMetrics::new(clients.cloudwatch().clone()),
            settings,
        }
    }

    pub async fn handle(&self, event: &Value) -> Result<Summary, PublishError> {
        let stack = publish::Stack {
            store: &self.store,
            own_metrics: &self.cloudwatch,
            sink: &self.cloudwatch,
            accounts: &self.accounts,
            emf: &sluice_aws::StdoutEmf,
            rates: &self.store,
            starts: &self.store,
            clock: &sluice_lambda::SystemClock,
        };
        let ports = publish::Ports {
            here: &self.home,
            stack,
        };
        publish::publish(event, &self.settings, &ports).await
    }
}

/// What the publisher touches in the account a target lives in, the stack's own or
/// another; only these are linked.
fn account(clients: &Clients) -> Account {
    let cloudwatch = Arc::new(CloudWatchMetrics::new(clients.cloudwatch().clone()));
    Account {
        queues: Arc::new(SqsQueues::new(clients.sqs().clone())),
        services: Arc::new(EcsServices::new(clients.ecs().clone())),
        metrics: cloudwatch.clone(),
        sink: cloudwatch,
        ..Account::unused()
    }
}

#[cfg(test)]
mod tests;
