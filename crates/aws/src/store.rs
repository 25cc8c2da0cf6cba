use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use sluice_core::capacity::{Memory, Rates};
use sluice_core::instances::{GroupFloor, GroupOwn};
use sluice_core::prescale::OwnWrite;
use sluice_core::startup::{StartUp, StartUps};
use sluice_core::zero::WatchState;

use crate::item::{self, Item, Version, Versioned};
use crate::{
    AwsError, ConfigStore, ControlMemories, DecisionNote, ErrorKind, GroupStates, PrescaleStates,
    RateRecords, StartUpRecords, WatchStates,
};

/// What an item of the table holds. The partition key is the kind, the sort key the
/// name, so listing one kind is a single Query, never a Scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Target,
    Profile,
    Budget,
}

impl ItemKind {
    pub fn partition(self) -> &'static str {
        match self {
            ItemKind::Target => "target",
            ItemKind::Profile => "profile",
            ItemKind::Budget => "budget",
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

    fn key(partition: &str, name: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (
                PARTITION_KEY.to_owned(),
                AttributeValue::S(partition.to_owned()),
            ),
            (SORT_KEY.to_owned(), AttributeValue::S(name.to_owned())),
        ])
    }
}

fn text(item: &HashMap<String, AttributeValue>, attribute: &str) -> Option<String> {
    item.get(attribute)
        .and_then(|value| value.as_s().ok())
        .cloned()
}

impl DynamoStore {
    /// Every item of one partition, read consistently, page by page.
    async fn partition(
        &self,
        partition: &str,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, AwsError> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("DynamoDB.Query", e))
    }
}

#[async_trait]
impl ConfigStore for DynamoStore {
    async fn list(&self, kind: ItemKind) -> Result<Vec<StoredItem>, AwsError> {
        let items = self.partition(kind.partition()).await?;
        Ok(items
            .iter()
            .map(|item| StoredItem {
                name: text(item, SORT_KEY).unwrap_or_default(),
                // A spec of the wrong attribute type is passed on as unparseable text,
                // so the caller reports this item by name and carries on.
                spec: text(item, SPEC)
                    .unwrap_or_else(|| format!("<{SPEC} is missing or not a string>")),
            })
            .collect())
    }

    async fn put(&self, kind: ItemKind, name: &str, spec: &str) -> Result<bool, AwsError> {
        let mut item = Self::key(kind.partition(), name);
        item.insert(SPEC.to_owned(), AttributeValue::S(spec.to_owned()));
        item.insert(UPDATED_AT.to_owned(), AttributeValue::S(now_rfc3339()));
        // Unchanged specs are not rewritten: apply is idempotent and says so.
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#spec) OR #spec <> :spec")
            .expression_attribute_names("#spec", SPEC)
            .expression_attribute_values(":spec", AttributeValue::S(spec.to_owned()));
        put_if(request).await
    }

    async fn delete(&self, kind: ItemKind, name: &str) -> Result<(), AwsError> {
        crate::send_write!(
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(kind.partition(), name))),
            aws_sdk_dynamodb,
            "DynamoDB.DeleteItem"
        )?;
        Ok(())
    }
}

/// Sends a conditional PutItem: true when written, false when its condition failed
/// (unchanged spec, or another invocation wrote first). Other errors are errors.
async fn put_if(
    request: aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder,
) -> Result<bool, AwsError> {
    match request
        .customize()
        .config_override(crate::write_bound!(aws_sdk_dynamodb))
        .send()
        .await
    {
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

fn now_rfc3339() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

const WATCH_PARTITION: &str = "state#zero-watcher";
const LAST_DECISION: &str = "last_decision";
const LAST_FACTS: &str = "last_facts";
const WRITER: &str = "writer";

/// Unique per write: the process, the time and a counter.
fn write_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}-{nanos:x}-{count:x}", std::process::id())
}

#[async_trait]
impl WatchStates for DynamoStore {
    async fn load_all(&self) -> Result<BTreeMap<String, Versioned<WatchState>>, AwsError> {
        let mut states = BTreeMap::new();
        for item in self.partition(WATCH_PARTITION).await? {
            if let Some(name) = text(&item, SORT_KEY) {
                states.insert(name, item::watch_state(&item));
            }
        }
        Ok(states)
    }

    async fn save(
        &self,
        target: &str,
        state: &WatchState,
        expected: &Version,
        note: &DecisionNote<'_>,
    ) -> Result<bool, AwsError> {
        let mut item = item::watch_state_attributes(state);
        item.extend(Self::key(WATCH_PARTITION, target));
        if let Version::Number(next) = expected.next() {
            item.insert("version".to_owned(), AttributeValue::N(next.to_string()));
        }
        item.insert(
            LAST_DECISION.to_owned(),
            AttributeValue::S(note.reason.to_owned()),
        );
        if let Some(facts) = note.facts.and_then(|f| serde_json::to_string(f).ok()) {
            item.insert(LAST_FACTS.to_owned(), AttributeValue::S(facts));
        }
        item.insert(UPDATED_AT.to_owned(), AttributeValue::S(now_rfc3339()));
        // A token unique to this write: when its answer is lost and the SDK sends it
        // again, the item it already put satisfies the condition, so the retry is not
        // taken for another invocation's write.
        let token = write_token();
        item.insert(WRITER.to_owned(), AttributeValue::S(token.clone()));
        let (condition, expected_value) = match expected {
            Version::Absent => ("attribute_not_exists(#pk)", None),
            Version::Number(version) => (
                "#version = :expected",
                Some(AttributeValue::N(version.to_string())),
            ),
            // Replaced only if it still holds exactly what was read.
            Version::Unreadable(None) => (
                "attribute_exists(#pk) AND attribute_not_exists(#version)",
                None,
            ),
            Version::Unreadable(Some(raw)) => ("#version = :expected", Some(raw.clone())),
        };
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(format!("({condition}) OR #writer = :token"))
            .expression_attribute_names("#writer", WRITER)
            .expression_attribute_values(":token", AttributeValue::S(token));
        if condition.contains("#pk") {
            request = request.expression_attribute_names("#pk", PARTITION_KEY);
        }
        if condition.contains("#version") {
            request = request.expression_attribute_names("#version", "version");
        }
        if let Some(value) = expected_value {
            request = request.expression_attribute_values(":expected", value);
        }
        put_if(request).await
    }
}

/// The zero-watcher's record of a target as `sluicectl why` shows it: its state, the
/// last decision it wrote, the facts it decided on, and when.
#[derive(Debug, Clone)]
pub struct WatchRecord {
    pub state: Versioned<WatchState>,
    pub last_decision: Option<String>,
    /// The facts as JSON (sluice_core::zero::Facts).
    pub last_facts: Option<String>,
    /// RFC 3339.
    pub updated_at: Option<String>,
}

impl DynamoStore {
    /// One item, read consistently; None when absent.
    async fn item(
        &self,
        partition: &str,
        name: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, AwsError> {
        let answer = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(partition, name)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DynamoDB.GetItem", e))?;
        Ok(answer.item)
    }

    /// The zero-watcher's record of one target; None before its first write.
    pub async fn watch_record(&self, target: &str) -> Result<Option<WatchRecord>, AwsError> {
        let answer = self.item(WATCH_PARTITION, target).await?;
        Ok(answer.map(|item| WatchRecord {
            state: item::watch_state(&item),
            last_decision: text(&item, LAST_DECISION),
            last_facts: text(&item, LAST_FACTS),
            updated_at: text(&item, UPDATED_AT),
        }))
    }
}

const PRESCALE_PARTITION: &str = "state#prescaler";

impl DynamoStore {
    /// The prescaler's record of its own write for one target; None when it holds
    /// none (or an unreadable one, said in the error).
    pub async fn own_write(&self, target: &str) -> Result<Option<OwnWrite>, AwsError> {
        match self.item(PRESCALE_PARTITION, target).await? {
            None => Ok(None),
            Some(item) => item::own_write(&item).map(Some).map_err(|problem| {
                AwsError::new("DynamoDB.GetItem", ErrorKind::BadResponse, problem)
            }),
        }
    }
}

#[async_trait]
impl PrescaleStates for DynamoStore {
    async fn load_all(&self) -> Result<BTreeMap<String, OwnWrite>, AwsError> {
        self.named_records(PRESCALE_PARTITION, item::own_write)
            .await
    }

    async fn save(&self, target: &str, own: Option<OwnWrite>) -> Result<(), AwsError> {
        let attributes = own.map(|own| {
            let mut attributes = vec![
                ("raised_to", AttributeValue::N(own.raised_to.to_string())),
                ("at", AttributeValue::N(own.at.to_string())),
            ];
            if let Some(resource) = own.resource {
                attributes.push(("resource", AttributeValue::S(format!("{resource:x}"))));
            }
            if let Some(cap) = own.capped_to {
                attributes.push(("capped_to", AttributeValue::N(cap.to_string())));
            }
            attributes
        });
        self.put_or_delete(PRESCALE_PARTITION, target, attributes)
            .await
    }
}

impl DynamoStore {
    /// A state record written whole with these attributes (and `updated_at`), or
    /// removed when None: the prescaler's own writes and its group raises.
    async fn put_or_delete(
        &self,
        partition: &str,
        name: &str,
        attributes: Option<Vec<(&str, AttributeValue)>>,
    ) -> Result<(), AwsError> {
        let key = Self::key(partition, name);
        match attributes {
            Some(attributes) => {
                let mut item = key;
                for (attribute, value) in attributes {
                    item.insert(attribute.to_owned(), value);
                }
                item.insert(UPDATED_AT.to_owned(), AttributeValue::S(now_rfc3339()));
                crate::send_write!(
                    self.client
                        .put_item()
                        .table_name(&self.table)
                        .set_item(Some(item)),
                    aws_sdk_dynamodb,
                    "DynamoDB.PutItem"
                )?;
            }
            None => {
                crate::send_write!(
                    self.client
                        .delete_item()
                        .table_name(&self.table)
                        .set_key(Some(key)),
                    aws_sdk_dynamodb,
                    "DynamoDB.DeleteItem"
                )?;
            }
        }
        Ok(())
    }
}

const STARTUP_PARTITION: &str = "state#startups";
const SAMPLES: &str = "samples";
const START_UP_WRITE_ROUNDS: usize = 10;

/// The samples attribute as stored; None when absent, an error when unreadable.
fn start_ups(item: &HashMap<String, AttributeValue>) -> Result<StartUps, String> {
    match text(item, SAMPLES) {
        None => Ok(StartUps::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| format!("unreadable start-up samples {json:?}: {e}")),
    }
}

#[async_trait]
impl StartUpRecords for DynamoStore {
    async fn start_ups(&self) -> Result<BTreeMap<String, StartUps>, AwsError> {
        self.named_records(STARTUP_PARTITION, start_ups).await
    }

    /// Read, add, and write back only if the samples are still what was read: two
    /// writers never lose each other's sample, and a repeat adds nothing.
    async fn record_start(&self, target: &str, sample: StartUp, now: i64) -> Result<(), AwsError> {
        // Each lost race means another writer's sample landed, so n writers at once
        // all land within n rounds; one target sees one start-up at a time.
        for _ in 0..START_UP_WRITE_ROUNDS {
            let item = self.item(STARTUP_PARTITION, target).await?;
            let read = item.as_ref().and_then(|i| text(i, SAMPLES));
            let before = item
                .as_ref()
                .map(start_ups)
                .transpose()
                .unwrap_or_default()
                .unwrap_or_default();
            let after = before.with(sample, now);
            if after == before && read.is_some() {
                return Ok(());
            }
            let json = serde_json::to_string(&after).map_err(|e| {
                AwsError::new("DynamoDB.PutItem", ErrorKind::BadResponse, e.to_string())
            })?;
            let mut written = Self::key(STARTUP_PARTITION, target);
            written.insert(SAMPLES.to_owned(), AttributeValue::S(json));
            written.insert(UPDATED_AT.to_owned(), AttributeValue::S(now_rfc3339()));
            let request = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(written))
                .expression_attribute_names("#samples", SAMPLES);
            let request = match read {
                Some(old) => request
                    .condition_expression("#samples = :old")
                    .expression_attribute_values(":old", AttributeValue::S(old)),
                None => request.condition_expression("attribute_not_exists(#samples)"),
            };
            if put_if(request).await? {
                return Ok(());
            }
        }
        Err(AwsError::new(
            "DynamoDB.PutItem",
            ErrorKind::Conflict,
            format!(
                "start-up of {target} not recorded: {START_UP_WRITE_ROUNDS} writers in a row got there first"
            ),
        ))
    }
}

const GROUP_PARTITION: &str = "state#groups";

#[async_trait]
impl GroupStates for DynamoStore {
    async fn group_owns(&self) -> Result<BTreeMap<String, GroupOwn>, AwsError> {
        self.named_records(GROUP_PARTITION, item::group_own).await
    }

    async fn save_group_own(&self, group: &str, own: Option<GroupOwn>) -> Result<(), AwsError> {
        let attributes = own.map(|own| {
            let mut attributes = vec![
                ("raised_to", AttributeValue::N(own.raised_to.to_string())),
                ("baseline", AttributeValue::N(own.baseline.to_string())),
            ];
            if let Some(floor) = own.floor {
                let kind = match floor {
                    GroupFloor::MinSize => "min_size",
                    GroupFloor::WarmPool => "warm_pool",
                };
                attributes.push(("floor", AttributeValue::S(kind.to_owned())));
            }
            attributes
        });
        self.put_or_delete(GROUP_PARTITION, group, attributes).await
    }
}

const RATES_PARTITION: &str = "state#rates";
const CONTROL_PARTITION: &str = "state#control";
/// The one attribute a JSON state record keeps its value in.
const VALUE: &str = "value";

impl DynamoStore {
    /// Every record of a partition whose `value` is `T` as JSON, cleaned by `clean` at
    /// `now`; one that does not parse is skipped, and it and every note are logged.
    async fn json_records<T: serde::de::DeserializeOwned>(
        &self,
        partition: &str,
        clean: impl Fn(&T) -> (T, Vec<String>),
    ) -> Result<BTreeMap<String, T>, AwsError> {
        let parsed = self
            .named_records(partition, |item| {
                text(item, VALUE)
                    .ok_or_else(|| format!("no {VALUE} attribute"))
                    .and_then(|json| serde_json::from_str::<T>(&json).map_err(|e| e.to_string()))
            })
            .await?;
        Ok(parsed
            .into_iter()
            .map(|(name, value)| {
                let (value, notes) = clean(&value);
                for note in notes {
                    tracing::warn!(target_name = %name, %note, partition, "stored record");
                }
                (name, value)
            })
            .collect())
    }

    /// Each record of `partition` by its name, decoded; one that does not decode is
    /// skipped and logged with why, so one odd record never hides the others.
    async fn named_records<T>(
        &self,
        partition: &str,
        decode: impl Fn(&Item) -> Result<T, String>,
    ) -> Result<BTreeMap<String, T>, AwsError> {
        let mut records = BTreeMap::new();
        for item in self.partition(partition).await? {
            let Some(name) = text(&item, SORT_KEY) else {
                continue;
            };
            match decode(&item) {
                Ok(value) => {
                    records.insert(name, value);
                }
                Err(problem) => {
                    tracing::warn!(target_name = %name, %problem, partition, "unreadable record skipped")
                }
            }
        }
        Ok(records)
    }

    async fn put_json<T: serde::Serialize>(
        &self,
        partition: &str,
        name: &str,
        value: &T,
    ) -> Result<(), AwsError> {
        let json = serde_json::to_string(value).map_err(|e| {
            AwsError::new("DynamoDB.PutItem", ErrorKind::BadResponse, e.to_string())
        })?;
        let attributes = vec![(VALUE, AttributeValue::S(json))];
        self.put_or_delete(partition, name, Some(attributes)).await
    }
}

#[async_trait]
impl RateRecords for DynamoStore {
    async fn rates(&self, now: i64) -> Result<BTreeMap<String, Rates>, AwsError> {
        self.json_records(RATES_PARTITION, |rates: &Rates| rates.sanitized(now))
            .await
    }

    async fn save_rates(&self, target: &str, rates: &Rates) -> Result<(), AwsError> {
        self.put_json(RATES_PARTITION, target, rates).await
    }
}

#[async_trait]
impl ControlMemories for DynamoStore {
    async fn memories(&self, now: i64) -> Result<BTreeMap<String, Memory>, AwsError> {
        self.json_records(CONTROL_PARTITION, |memory: &Memory| memory.sanitized(now))
            .await
    }

    async fn save_memory(&self, target: &str, memory: &Memory) -> Result<(), AwsError> {
        self.put_json(CONTROL_PARTITION, target, memory).await
    }
}
