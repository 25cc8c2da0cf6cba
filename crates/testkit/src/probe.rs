//! An HTTP client beneath the SDK that delays each request (as a real region's
//! latency would, without serialising requests) and records the most requests it
//! ever held at once: what a bound on requests in flight is measured by.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

#[derive(Debug, Clone, Default)]
pub struct InFlightProbe {
    now: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    delay: Duration,
}

impl InFlightProbe {
    pub fn with_delay(delay: Duration) -> Self {
        InFlightProbe {
            delay,
            ..InFlightProbe::default()
        }
    }

    /// The most requests in flight at once so far.
    pub fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }

    /// An HTTP client that passes every request to `inner` through this probe.
    pub fn client(&self, inner: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(ProbeClient {
            inner,
            probe: self.clone(),
        })
    }
}

#[derive(Debug)]
struct ProbeClient {
    inner: SharedHttpClient,
    probe: InFlightProbe,
}

impl HttpClient for ProbeClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ProbeConnector {
            inner: self.inner.http_connector(settings, components),
            probe: self.probe.clone(),
        })
    }
}

#[derive(Debug)]
struct ProbeConnector {
    inner: SharedHttpConnector,
    probe: InFlightProbe,
}

impl HttpConnector for ProbeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let probe = self.probe.clone();
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            let _held = Held::new(&probe);
            tokio::time::sleep(probe.delay).await;
            inner.call(request).await
        })
    }
}

/// One request counted in flight until it is answered or dropped: an attempt the SDK
/// abandons at its timeout is dropped mid-flight, and counting it on after that made a
/// bound of 4 read as 6 on a loaded machine.
struct Held {
    now: Arc<AtomicUsize>,
}

impl Held {
    fn new(probe: &InFlightProbe) -> Held {
        let now = probe.now.fetch_add(1, Ordering::SeqCst) + 1;
        probe.most.fetch_max(now, Ordering::SeqCst);
        Held {
            now: probe.now.clone(),
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}
