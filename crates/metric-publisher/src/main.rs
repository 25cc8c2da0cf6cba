use lambda_runtime::Error;
use metric_publisher::{Publisher, Settings};
use sluice_aws::{Clients, limit_in_flight, load_sdk_config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = sluice_lambda::start(Settings::from_env)?;
    // SLUICE_CONCURRENCY: AWS requests in flight at once, across all of an invocation.
    let config = limit_in_flight(&load_sdk_config().await, settings.common.concurrency);
    let clients = Clients::new(&config);
    let publisher = &Publisher::new(&clients, settings);
    sluice_lambda::serve(move |event, _| async move { publisher.handle(&event).await }).await
}
