use std::collections::BTreeMap;

use async_trait::async_trait;
use sluice_core::facts::TaskCounts;

use crate::{AwsError, ErrorKind, ServiceCounts, ServiceResult, ServiceScaler};

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
        self.client
            .update_service()
            .cluster(cluster)
            .service(service)
            .desired_count(desired)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ECS.UpdateService", e))?;
        Ok(())
    }
}
