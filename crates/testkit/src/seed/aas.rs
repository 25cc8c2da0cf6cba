//! Application Auto Scaling scalable targets.

use anyhow::{Context, Result};

use crate::Emulators;

impl Emulators {
    /// Registers the service as an Application Auto Scaling scalable target.
    pub async fn register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        min: i32,
        max: i32,
    ) -> Result<()> {
        use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
        self.clients
            .autoscaling()
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(sluice_aws::ecs_resource_id(cluster, service))
            .min_capacity(min)
            .max_capacity(max)
            .send()
            .await
            .context("RegisterScalableTarget")?;
        Ok(())
    }

    /// (MinCapacity, MaxCapacity) of a service's scalable target, as AAS reports them.
    pub async fn scalable_bounds(&self, cluster: &str, service: &str) -> Result<(i32, i32)> {
        use aws_sdk_applicationautoscaling::types::ServiceNamespace;
        let output = self
            .clients
            .autoscaling()
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_ids(sluice_aws::ecs_resource_id(cluster, service))
            .send()
            .await
            .context("DescribeScalableTargets")?;
        let target = output
            .scalable_targets()
            .first()
            .context("no scalable target")?;
        Ok((target.min_capacity(), target.max_capacity()))
    }
}
