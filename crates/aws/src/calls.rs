use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// Counts AWS operations by `Service.Operation` as the SDK starts them (retries are not
/// counted again), so benchmarks report real calls rather than the code's own idea;
/// and per service the wall time during which at least one of its requests was on
/// the wire, so a benchmark can say which service its time went to.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    busy: Arc<Mutex<BTreeMap<String, Busy>>>,
}

/// One service's requests on the wire: how many now, since when, and the total.
#[derive(Debug, Clone, Copy, Default)]
struct Busy {
    in_flight: u32,
    since: Option<Instant>,
    total: Duration,
}

/// Put in an attempt's bag when its request is sent, so its end is counted once.
#[derive(Debug, Clone)]
struct Sent(String);

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

fn service_of(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|metadata| metadata.service().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default()
    }

    /// Per service, the wall time with at least one of its requests on the wire.
    pub fn busy(&self) -> BTreeMap<String, Duration> {
        self.busy
            .lock()
            .map(|busy| busy.iter().map(|(k, b)| (k.clone(), b.total)).collect())
            .unwrap_or_default()
    }

    pub fn reset(&self) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.clear();
        }
        if let Ok(mut busy) = self.busy.lock() {
            busy.clear();
        }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "SluiceCallCounter"
    }

    // Operation metadata is in the bag from serialization on, not yet at execution
    // start; this hook still runs once per operation, before the retry loop.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map(|metadata| format!("{}.{}", metadata.service(), metadata.name()))
            .unwrap_or_else(|| "unknown".to_owned());
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(name).or_default() += 1;
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let service = service_of(cfg);
        if let Ok(mut busy) = self.busy.lock() {
            let entry = busy.entry(service.clone()).or_default();
            if entry.in_flight == 0 {
                entry.since = Some(Instant::now());
            }
            entry.in_flight += 1;
        }
        cfg.interceptor_state().store_put(Sent(service));
        Ok(())
    }

    // Runs after every attempt, answered or not (a timeout included).
    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Sent(service)) = cfg.load::<Sent>().cloned() else {
            return Ok(());
        };
        cfg.interceptor_state().unset::<Sent>();
        if let Ok(mut busy) = self.busy.lock()
            && let Some(entry) = busy.get_mut(&service)
        {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            if entry.in_flight == 0
                && let Some(since) = entry.since.take()
            {
                entry.total += since.elapsed();
            }
        }
        Ok(())
    }
}
