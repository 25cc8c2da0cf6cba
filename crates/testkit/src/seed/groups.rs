//! EC2 Auto Scaling groups, as a capacity provider's would be.

use anyhow::{Context, Result};

use crate::Emulators;

impl Emulators {
    /// A group of MinSize `min`, MaxSize `max` (moto needs a launch configuration and
    /// a zone for it), with a warm pool of MinSize 0 when `warm_pool`.
    pub async fn create_group(
        &self,
        name: &str,
        min: i32,
        max: i32,
        warm_pool: bool,
    ) -> Result<()> {
        let client = &self.clients.groups();
        client
            .create_launch_configuration()
            .launch_configuration_name(name)
            .image_id("ami-12c6146b")
            .instance_type("g5.xlarge")
            .send()
            .await
            .context("CreateLaunchConfiguration")?;
        client
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_configuration_name(name)
            .min_size(min)
            .max_size(max)
            .availability_zones("us-east-1a")
            .send()
            .await
            .context("CreateAutoScalingGroup")?;
        if warm_pool {
            client
                .put_warm_pool()
                .auto_scaling_group_name(name)
                .min_size(0)
                .pool_state(aws_sdk_autoscaling::types::WarmPoolState::Stopped)
                .send()
                .await
                .context("PutWarmPool")?;
        }
        Ok(())
    }

    /// (MinSize, warm pool MinSize) of a group, as Auto Scaling reports them.
    pub async fn group_floors(&self, name: &str) -> Result<(i32, Option<i32>)> {
        let client = &self.clients.groups();
        let groups = client
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .context("DescribeAutoScalingGroups")?;
        let min = groups
            .auto_scaling_groups()
            .first()
            .and_then(|g| g.min_size())
            .context("no such group")?;
        let pool = client
            .describe_warm_pool()
            .auto_scaling_group_name(name)
            .send()
            .await
            .context("DescribeWarmPool")?;
        Ok((
            min,
            pool.warm_pool_configuration().and_then(|p| p.min_size()),
        ))
    }
}
