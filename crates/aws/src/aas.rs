use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use sluice_core::facts::ScalableBounds;

use crate::{AwsError, ScalableTargets};

/// Application Auto Scaling adapter: reads (and for the prescaler, sets) the bounds
/// of ECS services' scalable targets.
#[derive(Debug, Clone)]
pub struct AutoScaling {
    client: aws_sdk_applicationautoscaling::Client,
}

impl AutoScaling {
    /// DescribeScalableTargets takes at most 50 resource IDs a call.
    pub const MAX_RESOURCES_PER_CALL: usize = 50;

    pub fn new(client: aws_sdk_applicationautoscaling::Client) -> Self {
        Self { client }
    }

    pub(crate) fn client(&self) -> &aws_sdk_applicationautoscaling::Client {
        &self.client
    }
}

/// AAS names an ECS service `service/<cluster>/<service>`.
pub fn ecs_resource_id(cluster: &str, service: &str) -> String {
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    format!("service/{cluster}/{service}")
}

#[async_trait]
impl ScalableTargets for AutoScaling {
    async fn bounds(
        &self,
        resource_ids: &[String],
    ) -> Result<BTreeMap<String, ScalableBounds>, AwsError> {
        if resource_ids.len() > Self::MAX_RESOURCES_PER_CALL {
            return Err(AwsError::new(
                "ApplicationAutoScaling.DescribeScalableTargets",
                crate::ErrorKind::InvalidRequest,
                format!(
                    "{} resource IDs; at most {} a call",
                    resource_ids.len(),
                    Self::MAX_RESOURCES_PER_CALL
                ),
            ));
        }
        let mut found = BTreeMap::new();
        {
            let targets: Vec<_> = self
                .client
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .set_resource_ids(Some(resource_ids.to_vec()))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| {
                    AwsError::from_sdk("ApplicationAutoScaling.DescribeScalableTargets", e)
                })?;
            for target in targets {
                let bound = |value: i32| u32::try_from(value).unwrap_or(0);
                found.insert(
                    target.resource_id().to_owned(),
                    ScalableBounds {
                        min: bound(target.min_capacity()),
                        max: bound(target.max_capacity()),
                    },
                );
            }
        }
        Ok(found)
    }

    async fn set_bounds(&self, resource_id: &str, min: u32, max: u32) -> Result<(), AwsError> {
        let bound = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
        crate::send_write!(
            self.client
                .register_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .resource_id(resource_id)
                .min_capacity(bound(min))
                .max_capacity(bound(max)),
            aws_sdk_applicationautoscaling,
            "ApplicationAutoScaling.RegisterScalableTarget"
        )?;
        Ok(())
    }
}
