//! The Sluice table: created as the stack creates it, targets and profiles stored as
//! `sluicectl apply` stores them.

use anyhow::{Context, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use sluice_aws::{ConfigStore, DynamoStore, ItemKind};
use sluice_core::config::Target;

use crate::Emulators;

impl Emulators {
    pub async fn create_table(&self, table: &str) -> Result<DynamoStore> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
        };
        let result = self
            .clients
            .dynamodb()
            .create_table()
            .table_name(table)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        if let Err(error) = result {
            let exists = error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception());
            if !exists {
                return Err(error).context("CreateTable");
            }
        }
        Ok(DynamoStore::new(self.clients.dynamodb().clone(), table))
    }

    /// Stores the targets as `sluicectl apply` would, 16 at once.
    pub async fn store_targets(&self, store: &DynamoStore, targets: &[Target]) -> Result<()> {
        use futures::stream::{self, StreamExt, TryStreamExt};
        stream::iter(targets)
            .map(|target| async move {
                let spec = serde_json::to_string(target)?;
                store.put(ItemKind::Target, &target.name, &spec).await?;
                Ok::<_, anyhow::Error>(())
            })
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    pub async fn store_profile(
        &self,
        store: &DynamoStore,
        profile: &sluice_core::profile::Profile,
    ) -> Result<()> {
        store
            .put(
                ItemKind::Profile,
                &profile.name,
                &serde_json::to_string(profile)?,
            )
            .await?;
        Ok(())
    }
}
