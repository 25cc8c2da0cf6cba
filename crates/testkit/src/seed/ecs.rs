//! Clusters and services, and what ECS then reports about them.

use anyhow::{Context, Result};

use crate::Emulators;

impl Emulators {
    pub async fn create_cluster(&self, name: &str) -> Result<()> {
        self.clients
            .ecs()
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
            .ecs()
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
            .ecs()
            .create_service()
            .cluster(cluster)
            .service_name(name)
            .desired_count(desired)
            .send()
            .await
            .context("CreateService")?;
        Ok(())
    }

    /// One running Fargate task in the cluster, as a worker of its service; its ARN.
    /// (moto's ListTasks does not filter by service: use a cluster of one service.)
    pub async fn run_worker_task(&self, cluster: &str) -> Result<String> {
        let container = aws_sdk_ecs::types::ContainerDefinition::builder()
            .name("worker")
            .image("worker:latest")
            .memory(512)
            .build();
        self.clients
            .ecs()
            .register_task_definition()
            .family("sluice-worker")
            .container_definitions(container)
            .send()
            .await
            .context("RegisterTaskDefinition")?;
        let output = self
            .clients
            .ecs()
            .run_task()
            .cluster(cluster)
            .task_definition("sluice-worker")
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .send()
            .await
            .context("RunTask")?;
        output
            .tasks()
            .first()
            .and_then(|task| task.task_arn())
            .map(str::to_owned)
            .context("RunTask started no task")
    }

    /// What a worker does around a job: UpdateTaskProtection on its own task.
    pub async fn protect_task(&self, cluster: &str, task: &str, enabled: bool) -> Result<()> {
        self.clients
            .ecs()
            .update_task_protection()
            .cluster(cluster)
            .tasks(task)
            .protection_enabled(enabled)
            .expires_in_minutes(60)
            .send()
            .await
            .context("UpdateTaskProtection")?;
        Ok(())
    }

    /// desiredCount of a service, as ECS (moto) reports it.
    pub async fn desired_count(&self, cluster: &str, service: &str) -> Result<i32> {
        Ok(self.task_counts(cluster, service).await?.0)
    }

    /// (desired, running) of a service, as ECS (moto) reports them.
    pub async fn task_counts(&self, cluster: &str, service: &str) -> Result<(i32, i32)> {
        let output = self
            .clients
            .ecs()
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
        Ok((found.desired_count(), found.running_count()))
    }
}
