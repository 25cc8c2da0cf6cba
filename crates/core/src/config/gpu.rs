//! Where a service's GPU utilisation is read from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::facts::MetricQuery;

/// Where the GPU utilisation of a service is read from: by default the CloudWatch
/// agent's NVIDIA metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSource {
    #[serde(default = "GpuSource::default_namespace")]
    pub namespace: String,
    #[serde(default = "GpuSource::default_metric")]
    pub metric: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
}

impl GpuSource {
    pub const DEFAULT_NAMESPACE: &'static str = "CWAgent";
    pub const DEFAULT_METRIC: &'static str = "nvidia_smi_utilization_gpu";

    /// The two statistics the publisher reads: average and maximum over the
    /// service's GPUs.
    pub fn queries(&self) -> [MetricQuery; 2] {
        ["Average", "Maximum"].map(|statistic| MetricQuery {
            namespace: self.namespace.clone(),
            metric: self.metric.clone(),
            dimensions: self.dimensions.clone(),
            statistic,
        })
    }

    fn default_namespace() -> String {
        Self::DEFAULT_NAMESPACE.to_owned()
    }
    fn default_metric() -> String {
        Self::DEFAULT_METRIC.to_owned()
    }
}

impl GpuSource {
    /// The CloudWatch agent's NVIDIA metric with these dimensions.
    pub fn agent<K: ToString, V: ToString>(dimensions: impl IntoIterator<Item = (K, V)>) -> Self {
        GpuSource {
            namespace: Self::DEFAULT_NAMESPACE.to_owned(),
            metric: Self::DEFAULT_METRIC.to_owned(),
            dimensions: dimensions
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}
