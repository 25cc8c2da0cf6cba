//! `SLUICE_CONCURRENCY` as the README promises it: AWS requests in flight at once,
//! across every client and every read and write of an invocation. The bound sits in
//! the HTTP client beneath the SDK, where each request (a retry included) holds a
//! permit from sending to its answer; the reads' own per-stream bounds only keep the
//! number of waiting operations small.

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Semaphore;

/// The configuration with its HTTP client (the SDK's default HTTPS client when it
/// names none) limited to `max` requests in flight, shared by every client built
/// from it.
pub fn limit_in_flight(config: &aws_config::SdkConfig, max: usize) -> aws_config::SdkConfig {
    let inner = config.http_client().unwrap_or_else(default_https_client);
    let limited = SharedHttpClient::new(InFlightLimit {
        inner,
        permits: Arc::new(Semaphore::new(max.max(1))),
    });
    config.to_builder().http_client(limited).build()
}

/// Sluice's one HTTPS client: hyper 1 with rustls on ring (smaller than aws-lc, and
/// built without cmake), trusting the system's roots as the SDK's default client does.
pub fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::{Builder, tls};
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

#[derive(Debug)]
struct InFlightLimit {
    inner: SharedHttpClient,
    permits: Arc<Semaphore>,
}

impl HttpClient for InFlightLimit {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            permits: self.permits.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    permits: Arc<Semaphore>,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let permits = self.permits.clone();
        HttpConnectorFuture::new(async move {
            // The semaphore is never closed; an error here is a bug, said as an I/O
            // error rather than a panic.
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            inner.call(request).await
        })
    }
}
