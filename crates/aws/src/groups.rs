//! EC2 Auto Scaling adapter: the floor of a capacity provider's group, as MinSize
//! (UpdateAutoScalingGroup) or as its warm pool's MinSize (PutWarmPool).

use async_trait::async_trait;
use sluice_core::instances::{GroupFacts, GroupFloor};

use crate::{AwsError, ErrorKind, GroupFloors};

#[derive(Debug, Clone)]
pub struct Ec2AutoScaling {
    client: aws_sdk_autoscaling::Client,
}

impl Ec2AutoScaling {
    pub fn new(client: aws_sdk_autoscaling::Client) -> Self {
        Self { client }
    }

    /// MinSize and MaxSize of the named group.
    async fn sizes(&self, name: &str) -> Result<(u32, u32), AwsError> {
        const OPERATION: &str = "AutoScaling.DescribeAutoScalingGroups";
        let answer = self
            .client
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OPERATION, e))?;
        let group = answer
            .auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name))
            .ok_or_else(|| {
                AwsError::new(
                    OPERATION,
                    ErrorKind::NotFound,
                    format!("no Auto Scaling group named {name:?}"),
                )
            })?;
        let size = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        Ok((size(group.min_size()), size(group.max_size())))
    }

    async fn warm_pool(
        &self,
        name: &str,
    ) -> Result<Option<aws_sdk_autoscaling::types::WarmPoolConfiguration>, AwsError> {
        let answer = self
            .client
            .describe_warm_pool()
            .auto_scaling_group_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("AutoScaling.DescribeWarmPool", e))?;
        Ok(answer.warm_pool_configuration().cloned())
    }
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[async_trait]
impl GroupFloors for Ec2AutoScaling {
    async fn group(&self, name: &str, floor: GroupFloor) -> Result<GroupFacts, AwsError> {
        let (min_size, max_size) = self.sizes(name).await?;
        let floor = match floor {
            GroupFloor::MinSize => Some(min_size),
            GroupFloor::WarmPool => self.warm_pool(name).await?.map(|pool| {
                pool.min_size()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0)
            }),
        };
        Ok(GroupFacts { floor, max_size })
    }

    async fn set_floor(&self, name: &str, floor: GroupFloor, to: u32) -> Result<(), AwsError> {
        match floor {
            // A MinSize above the group's size also raises its DesiredCapacity
            // (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html):
            // the instances start now, ahead of the tasks.
            GroupFloor::MinSize => {
                crate::send_write!(
                    self.client
                        .update_auto_scaling_group()
                        .auto_scaling_group_name(name)
                        .min_size(count(to)),
                    aws_sdk_autoscaling,
                    "AutoScaling.UpdateAutoScalingGroup"
                )?;
            }
            // PutWarmPool replaces the whole configuration: the pool's state, its
            // prepared capacity and reuse policy are sent back as they were.
            GroupFloor::WarmPool => {
                let pool = self.warm_pool(name).await?;
                let mut request = self
                    .client
                    .put_warm_pool()
                    .auto_scaling_group_name(name)
                    .min_size(count(to));
                if let Some(pool) = pool {
                    request = request
                        .set_max_group_prepared_capacity(pool.max_group_prepared_capacity())
                        .set_pool_state(pool.pool_state().cloned())
                        .set_instance_reuse_policy(pool.instance_reuse_policy().cloned());
                }
                crate::send_write!(request, aws_sdk_autoscaling, "AutoScaling.PutWarmPool")?;
            }
        }
        Ok(())
    }
}
