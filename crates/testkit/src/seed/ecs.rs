//! Clusters and services, and what ECS then reports about them.

use anyhow::{Context, Result};

use crate::Emulators;

impl Emulators {
    pub async fn create_cluster(&self, name: &str) -> Result<()> {
        self.clients
            .ecs
            .create_cluster()
            .cluster_name(name)
            .send()
            .await
            .context("CreateCluster")?;
        Ok(())
    }

    /// A service whose `desired` tasks are all running: moto's CreateService leaves
    /// them pending, its UpdateService marks them running at once.
    pub async fn create_running_service(
        &self,
        cluster: &str,
        name: &str,
        desired: i32,
    ) -> Result<()> {
        self.create_service(cluster, name, 0).await?;
        self.set_desired(cluster, name, desired).await
    }

    pub async fn set_desired(&self, cluster: &str, name: &str, desired: i32) -> Result<()> {
        self.clients
            .ecs
            .update_service()
            .cluster(cluster)
            .service(name)
            .desired_count(desired)
            .send()
            .await
            .context("UpdateService")?;
        Ok(())
    }

    /// A service as moto creates it: `desired` tasks pending, none running yet.
    pub async fn create_service(&self, cluster: &str, name: &str, desired: i32) -> Result<()> {
        self.clients
            .ecs
            .create_service()
            .cluster(cluster)
            .service_name(name)
            .desired_count(desired)
            .send()
            .await
            .context("CreateService")?;
        Ok(())
    }

    /// desiredCount of a service, as ECS (moto) reports it.
    pub async fn desired_count(&self, cluster: &str, service: &str) -> Result<i32> {
        let output = self
            .clients
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .context("DescribeServices")?;
        let found = output
            .services()
            .first()
            .with_context(|| format!("service {cluster}/{service} not found"))?;
        Ok(found.desired_count())
    }
}
