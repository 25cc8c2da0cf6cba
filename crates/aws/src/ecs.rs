use std::collections::BTreeMap;

use async_trait::async_trait;
use sluice_core::facts::TaskCounts;

use crate::{AwsError, ErrorKind, ServiceCounts, ServiceResult, ServiceScaler, TaskProtections};

/// ECS adapter for reading task counts.
#[derive(Debug, Clone)]
pub struct EcsServices {
    client: aws_sdk_ecs::Client,
}

impl EcsServices {
    /// DescribeServices takes at most 10 services a call.
    pub const MAX_SERVICES_PER_CALL: usize = 10;

    pub fn new(client: aws_sdk_ecs::Client) -> Self {
        Self { client }
    }
}

/// ECS answers with names or ARNs (`.../service/cluster/name`): compare by the name.
fn service_name(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
}

#[async_trait]
impl ServiceCounts for EcsServices {
    async fn task_counts(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<BTreeMap<String, ServiceResult>, AwsError> {
        let output = self
            .client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(services.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ECS.DescribeServices", e))?;
        let found = answers(&output);
        Ok(services
            .iter()
            .map(|requested| {
                let result = found
                    .get(service_name(requested))
                    .cloned()
                    .unwrap_or_else(|| {
                        Err(AwsError::new(
                            "ECS.DescribeServices",
                            ErrorKind::BadResponse,
                            format!("not in the answer for cluster {cluster}"),
                        ))
                    });
                (requested.clone(), result)
            })
            .collect())
    }
}

/// What DescribeServices said of each service it named, by service name: its counts,
/// or why not (INACTIVE, MISSING, another failure).
fn answers(
    output: &aws_sdk_ecs::operation::describe_services::DescribeServicesOutput,
) -> BTreeMap<&str, ServiceResult> {
    let mut found: BTreeMap<&str, ServiceResult> = BTreeMap::new();
    for service in output.services() {
        let name = service.service_name().unwrap_or_default();
        let result = if service.status() == Some("INACTIVE") {
            Err(AwsError::new(
                "ECS.DescribeServices",
                ErrorKind::NotFound,
                "service is INACTIVE (deleted)",
            ))
        } else {
            let count = |value: i32| u32::try_from(value).unwrap_or(0);
            Ok(TaskCounts {
                running: count(service.running_count()),
                pending: count(service.pending_count()),
                desired: count(service.desired_count()),
            })
        };
        found.insert(service_name(name), result);
    }
    for failure in output.failures() {
        let arn = failure.arn().unwrap_or_default();
        let reason = failure.reason().unwrap_or("unknown reason");
        // DescribeServices reports MISSING for a service that does not exist.
        let kind = if reason == "MISSING" {
            ErrorKind::NotFound
        } else {
            ErrorKind::Other
        };
        let error = AwsError::new(
            "ECS.DescribeServices",
            kind,
            format!("ECS could not describe it: {reason}"),
        );
        found.insert(service_name(arn), Err(error));
    }
    found
}

#[async_trait]
impl ServiceScaler for EcsServices {
    async fn set_desired(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> Result<(), AwsError> {
        let desired = i32::try_from(desired).map_err(|_| {
            AwsError::new(
                "ECS.UpdateService",
                ErrorKind::InvalidRequest,
                format!("desired count {desired} is too large"),
            )
        })?;
        crate::send_write!(
            self.client
                .update_service()
                .cluster(cluster)
                .service(service)
                .desired_count(desired),
            aws_sdk_ecs,
            "ECS.UpdateService"
        )?;
        Ok(())
    }
}

/// GetTaskProtection takes at most 10 tasks a call.
const MAX_TASKS_PER_PROTECTION_CALL: usize = 10;

#[async_trait]
impl TaskProtections for EcsServices {
    async fn protected_tasks(&self, cluster: &str, service: &str) -> Result<u32, AwsError> {
        const LIST: &str = "ECS.ListTasks";
        const GET: &str = "ECS.GetTaskProtection";
        let pages: Vec<_> = self
            .client
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(LIST, e))?;
        let tasks: Vec<String> = pages
            .iter()
            .flat_map(|page| page.task_arns().iter().cloned())
            .collect();
        let mut protected = 0u32;
        for chunk in tasks.chunks(MAX_TASKS_PER_PROTECTION_CALL) {
            let output = self
                .client
                .get_task_protection()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(GET, e))?;
            // A task that stopped since ListTasks is MISSING: it is not working. Any
            // other failure leaves that task's protection unknown.
            if let Some(failure) = output
                .failures()
                .iter()
                .find(|f| f.reason() != Some("MISSING"))
            {
                return Err(AwsError::new(
                    GET,
                    ErrorKind::BadResponse,
                    format!(
                        "task {}: {}",
                        failure.arn().unwrap_or("?"),
                        failure.reason().unwrap_or("no reason given")
                    ),
                ));
            }
            let enabled = output
                .protected_tasks()
                .iter()
                .filter(|task| task.protection_enabled())
                .count();
            protected = protected.saturating_add(u32::try_from(enabled).unwrap_or(u32::MAX));
        }
        Ok(protected)
    }
}
