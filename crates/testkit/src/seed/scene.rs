//! The scene most end-to-end tests start from: a fresh table, and one running
//! service with one empty queue, every name unique to the test.

use anyhow::Result;
use sluice_aws::DynamoStore;

use crate::{Emulators, unique};

/// What [`Emulators::one_service`] created.
pub struct OneService {
    pub table: String,
    pub store: DynamoStore,
    pub cluster: String,
    pub service: String,
    pub queue: String,
    pub queue_url: String,
}

impl Emulators {
    /// A fresh table, a cluster with one service running `desired` tasks, and one
    /// empty queue; names start with `prefix`.
    pub async fn one_service(&self, prefix: &str, desired: i32) -> Result<OneService> {
        let table = unique(&format!("{prefix}-table"));
        let store = self.create_table(&table).await?;
        let cluster = unique(&format!("{prefix}-cluster"));
        self.create_cluster(&cluster).await?;
        let service = unique(&format!("{prefix}-svc"));
        self.create_running_service(&cluster, &service, desired)
            .await?;
        let queue = unique(&format!("{prefix}-q"));
        let queue_url = self.create_queue(&queue).await?;
        Ok(OneService {
            table,
            store,
            cluster,
            service,
            queue,
            queue_url,
        })
    }
}
