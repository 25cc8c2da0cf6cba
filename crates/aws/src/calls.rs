use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::ConfigBag;

/// Counts AWS operations by `Service.Operation` as the SDK starts them (retries are not
/// counted again), so benchmarks report real calls rather than the code's own idea.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default()
    }

    pub fn reset(&self) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.clear();
        }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "SluiceCallCounter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>()
            && let Ok(mut counts) = self.counts.lock()
        {
            *counts
                .entry(format!("{}.{}", metadata.service(), metadata.name()))
                .or_default() += 1;
        }
        Ok(())
    }
}
