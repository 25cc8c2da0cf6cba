use lambda_runtime::Error;
use sluice_aws::{Clients, limit_in_flight, load_sdk_config};
use zero_watcher::{Settings, Watcher};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = sluice_lambda::start(Settings::from_env)?;
    // SLUICE_CONCURRENCY: AWS requests in flight at once, across all of an invocation.
    let config = limit_in_flight(&load_sdk_config().await, settings.common.concurrency);
    let clients = Clients::new(&config);
    let watcher = &Watcher::new(&clients, settings);
    sluice_lambda::serve(move |event, deadline| async move {
        watcher.handle_until(&event, deadline).await
    })
    .await
}
