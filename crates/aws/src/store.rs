use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::{AwsError, ConfigStore};

/// What an item of the table holds. The partition key is the kind, the sort key the
/// name, so listing one kind is a single Query, never a Scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Target,
    Profile,
}

impl ItemKind {
    pub fn partition(self) -> &'static str {
        match self {
            ItemKind::Target => "target",
            ItemKind::Profile => "profile",
        }
    }
}

/// One stored item: its name and its spec as JSON text, parsed by the caller so that
/// one bad item is reported by name and does not hide the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    pub name: String,
    pub spec: String,
}

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";
const SPEC: &str = "spec";
const UPDATED_AT: &str = "updated_at";

/// DynamoDB adapter for the Sluice table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn key(kind: ItemKind, name: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PARTITION_KEY.to_owned(), AttributeValue::S(kind.partition().to_owned())),
            (SORT_KEY.to_owned(), AttributeValue::S(name.to_owned())),
        ])
    }
}

fn text(item: &HashMap<String, AttributeValue>, attribute: &str) -> Option<String> {
    item.get(attribute).and_then(|value| value.as_s().ok()).cloned()
}

#[async_trait]
impl ConfigStore for DynamoStore {
    async fn list(&self, kind: ItemKind) -> Result<Vec<StoredItem>, AwsError> {
        let mut items = Vec::new();
        let mut start_key = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":pk", AttributeValue::S(kind.partition().to_owned()))
                .consistent_read(true)
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DynamoDB.Query", e))?;
            for item in output.items() {
                let name = text(item, SORT_KEY).unwrap_or_default();
                // A spec of the wrong attribute type is passed on as unparseable text,
                // so the caller reports this item by name and carries on.
                let spec = text(item, SPEC).unwrap_or_else(|| format!("<{SPEC} is missing or not a string>"));
                items.push(StoredItem { name, spec });
            }
            start_key = output.last_evaluated_key;
            if start_key.is_none() {
                break;
            }
        }
        Ok(items)
    }

    async fn put(&self, kind: ItemKind, name: &str, spec: &str) -> Result<bool, AwsError> {
        let mut item = Self::key(kind, name);
        item.insert(SPEC.to_owned(), AttributeValue::S(spec.to_owned()));
        item.insert(UPDATED_AT.to_owned(), AttributeValue::S(now_rfc3339()));
        // Unchanged specs are not rewritten: apply is idempotent and says so.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#spec) OR #spec <> :spec")
            .expression_attribute_names("#spec", SPEC)
            .expression_attribute_values(":spec", AttributeValue::S(spec.to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(AwsError::from_sdk("DynamoDB.PutItem", error)),
        }
    }

    async fn delete(&self, kind: ItemKind, name: &str) -> Result<(), AwsError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(kind, name)))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DynamoDB.DeleteItem", e))?;
        Ok(())
    }
}

fn now_rfc3339() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

