//! Application Auto Scaling's scaling policies of an ECS service, read into and
//! written from `sluice_core::policy`'s rules. A rule this adapter cannot read back
//! (another adjustment type, a metric type it does not know) is reported as
//! unreadable, so a Sluice-owned policy in that state is replaced and anyone else's is
//! left alone.

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, CustomizedMetricSpecification, MetricAggregationType, MetricDimension,
    MetricStatistic, MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension,
    ScalingPolicy, ServiceNamespace, StepAdjustment, StepScalingPolicyConfiguration,
    TargetTrackingMetric, TargetTrackingMetricDataQuery, TargetTrackingMetricDimension,
    TargetTrackingMetricStat, TargetTrackingScalingPolicyConfiguration,
};
use sluice_core::policy::{LivePolicy, MathQuery, MetricRef, PolicySpec, Rule, Series, Step};

use crate::aas::AutoScaling;
use crate::{AwsError, ErrorKind, ScalingPolicies};

const DESCRIBE: &str = "ApplicationAutoScaling.DescribeScalingPolicies";
const PUT: &str = "ApplicationAutoScaling.PutScalingPolicy";
const DELETE: &str = "ApplicationAutoScaling.DeleteScalingPolicy";

fn invalid(operation: &'static str, error: impl std::fmt::Display) -> AwsError {
    AwsError::new(operation, ErrorKind::InvalidRequest, error.to_string())
}

fn seconds(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[async_trait]
impl ScalingPolicies for AutoScaling {
    async fn policies(&self, resource_id: &str) -> Result<Vec<LivePolicy>, AwsError> {
        let policies: Vec<ScalingPolicy> = self
            .client()
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(DESCRIBE, e))?;
        Ok(policies
            .iter()
            // DescribeScalingPolicies filters by resource; say it again for emulators.
            .filter(|p| p.resource_id() == resource_id)
            .map(|p| LivePolicy {
                name: p.policy_name().to_owned(),
                arn: p.policy_arn().to_owned(),
                rule: read_rule(p),
            })
            .collect())
    }

    async fn put_policy(&self, resource_id: &str, spec: &PolicySpec) -> Result<String, AwsError> {
        let request = self
            .client()
            .put_scaling_policy()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id)
            .policy_name(&spec.name);
        let request = match &spec.rule {
            Rule::TargetTracking { .. } => request
                .policy_type(PolicyType::TargetTrackingScaling)
                .target_tracking_scaling_policy_configuration(tracking(&spec.rule)?),
            Rule::Step { steps, cooldown } => request
                .policy_type(PolicyType::StepScaling)
                .step_scaling_policy_configuration(stepping(steps, *cooldown)?),
        };
        let output = crate::send_write!(request, aws_sdk_applicationautoscaling, PUT)?;
        Ok(output.policy_arn().to_owned())
    }

    async fn delete_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        let deleted = crate::send_write!(
            self.client()
                .delete_scaling_policy()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .resource_id(resource_id)
                .policy_name(name),
            aws_sdk_applicationautoscaling,
            DELETE
        );
        match deleted {
            Ok(_) => Ok(()),
            // Another apply deleted it first: what was asked for holds. Read again rather
            // than trust the error's words (emulators name it differently from AWS).
            Err(error)
                if !self
                    .policies(resource_id)
                    .await?
                    .iter()
                    .any(|p| p.name == name) =>
            {
                tracing::debug!(%error, policy = name, "already deleted");
                Ok(())
            }
            Err(error) => Err(error),
        }
    }
}

fn tracking(rule: &Rule) -> Result<TargetTrackingScalingPolicyConfiguration, AwsError> {
    let Rule::TargetTracking {
        series,
        target,
        scale_out_cooldown,
        scale_in_cooldown,
        disable_scale_in,
    } = rule
    else {
        return Err(invalid(PUT, "not a target-tracking rule"));
    };
    let builder = TargetTrackingScalingPolicyConfiguration::builder().target_value(*target);
    let builder = match series {
        Series::Predefined {
            metric_type,
            resource_label,
        } => builder.predefined_metric_specification(
            PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::from(metric_type.as_str()))
                .set_resource_label(resource_label.clone())
                .build()
                .map_err(|e| invalid(PUT, e))?,
        ),
        _ => builder.customized_metric_specification(customized(series)?),
    };
    builder
        .scale_out_cooldown(seconds(*scale_out_cooldown))
        .scale_in_cooldown(seconds(*scale_in_cooldown))
        .disable_scale_in(*disable_scale_in)
        .build()
        .map_err(|e| invalid(PUT, e))
}

fn customized(series: &Series) -> Result<CustomizedMetricSpecification, AwsError> {
    match series {
        Series::Predefined { .. } => Err(invalid(PUT, "a predefined metric is not customized")),
        Series::One(metric) => {
            let mut dimensions = Vec::new();
            for (name, value) in &metric.dimensions {
                let dimension = MetricDimension::builder().name(name).value(value).build();
                dimensions.push(dimension.map_err(|e| invalid(PUT, e))?);
            }
            Ok(CustomizedMetricSpecification::builder()
                .namespace(&metric.namespace)
                .metric_name(&metric.metric)
                .set_dimensions(Some(dimensions))
                .statistic(MetricStatistic::from(metric.statistic.as_str()))
                .build())
        }
        Series::Math { metrics, op } => {
            let mut queries = Vec::new();
            for (index, metric) in metrics.iter().enumerate() {
                queries.push(math_input(&format!("m{index}"), metric)?);
            }
            let expression = TargetTrackingMetricDataQuery::builder()
                .id("e")
                .expression(op.expression(metrics.len()))
                .return_data(true)
                .build()
                .map_err(|e| invalid(PUT, e))?;
            queries.push(expression);
            Ok(CustomizedMetricSpecification::builder()
                .set_metrics(Some(queries))
                .build())
        }
    }
}

fn math_input(id: &str, metric: &MetricRef) -> Result<TargetTrackingMetricDataQuery, AwsError> {
    let mut dimensions = Vec::new();
    for (name, value) in &metric.dimensions {
        let dimension = TargetTrackingMetricDimension::builder()
            .name(name)
            .value(value)
            .build();
        dimensions.push(dimension.map_err(|e| invalid(PUT, e))?);
    }
    let stat = TargetTrackingMetricStat::builder()
        .metric(
            TargetTrackingMetric::builder()
                .namespace(&metric.namespace)
                .metric_name(&metric.metric)
                .set_dimensions(Some(dimensions))
                .build(),
        )
        .stat(&metric.statistic)
        .build()
        .map_err(|e| invalid(PUT, e))?;
    TargetTrackingMetricDataQuery::builder()
        .id(id)
        .metric_stat(stat)
        .return_data(false)
        .build()
        .map_err(|e| invalid(PUT, e))
}

fn stepping(steps: &[Step], cooldown: u32) -> Result<StepScalingPolicyConfiguration, AwsError> {
    let mut adjustments = Vec::new();
    for step in steps {
        let adjustment = StepAdjustment::builder()
            .set_metric_interval_lower_bound(step.lower)
            .set_metric_interval_upper_bound(step.upper)
            .scaling_adjustment(step.add)
            .build()
            .map_err(|e| invalid(PUT, e))?;
        adjustments.push(adjustment);
    }
    Ok(StepScalingPolicyConfiguration::builder()
        .adjustment_type(AdjustmentType::ChangeInCapacity)
        .set_step_adjustments(Some(adjustments))
        .cooldown(seconds(cooldown))
        .metric_aggregation_type(MetricAggregationType::Maximum)
        .build())
}

/// The rule of a live policy, when it is one Sluice writes.
fn read_rule(policy: &ScalingPolicy) -> Option<Rule> {
    let cooldown = |value: Option<i32>| value.and_then(|v| u32::try_from(v).ok());
    match policy.policy_type() {
        PolicyType::TargetTrackingScaling => {
            let config = policy.target_tracking_scaling_policy_configuration()?;
            let series = match config.predefined_metric_specification() {
                Some(predefined) => read_predefined(predefined),
                None => read_series(config.customized_metric_specification()?)?,
            };
            Some(Rule::TargetTracking {
                series,
                target: config.target_value(),
                scale_out_cooldown: cooldown(config.scale_out_cooldown())?,
                scale_in_cooldown: cooldown(config.scale_in_cooldown())?,
                disable_scale_in: config.disable_scale_in().unwrap_or(false),
            })
        }
        PolicyType::StepScaling => {
            let config = policy.step_scaling_policy_configuration()?;
            let ours = config.adjustment_type() == Some(&AdjustmentType::ChangeInCapacity)
                && config.metric_aggregation_type() == Some(&MetricAggregationType::Maximum);
            if !ours {
                return None;
            }
            let steps = config
                .step_adjustments()
                .iter()
                .map(|s| {
                    Some(Step {
                        lower: s.metric_interval_lower_bound(),
                        upper: s.metric_interval_upper_bound(),
                        add: s.scaling_adjustment(),
                    })
                })
                .collect::<Option<Vec<Step>>>()?;
            Some(Rule::Step {
                steps,
                cooldown: cooldown(config.cooldown())?,
            })
        }
        _ => None,
    }
}

fn read_predefined(spec: &PredefinedMetricSpecification) -> Series {
    Series::Predefined {
        metric_type: spec.predefined_metric_type().as_str().to_owned(),
        resource_label: spec.resource_label().map(str::to_owned),
    }
}

fn read_series(spec: &CustomizedMetricSpecification) -> Option<Series> {
    if spec.metrics().is_empty() {
        return Some(Series::One(MetricRef {
            namespace: spec.namespace()?.to_owned(),
            metric: spec.metric_name()?.to_owned(),
            dimensions: spec
                .dimensions()
                .iter()
                .map(|d| (d.name().to_owned(), d.value().to_owned()))
                .collect(),
            statistic: spec.statistic()?.as_str().to_owned(),
        }));
    }
    Series::from_math(spec.metrics().iter().map(|query| {
        if let Some(text) = query.expression() {
            return Some(MathQuery::Expression {
                text: text.to_owned(),
                returned: query.return_data() != Some(false),
            });
        }
        let stat = query.metric_stat()?;
        let metric = stat.metric()?;
        Some(MathQuery::Input {
            id: query.id().to_owned(),
            metric: MetricRef {
                namespace: metric.namespace()?.to_owned(),
                metric: metric.metric_name()?.to_owned(),
                dimensions: metric
                    .dimensions()
                    .iter()
                    .map(|d| (d.name().to_owned(), d.value().to_owned()))
                    .collect(),
                statistic: stat.stat().to_owned(),
            },
        })
    }))
}
