use lambda_runtime::Error;
use prescaler::{Prescaler, Settings};
use sluice_aws::{Clients, load_sdk_config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = sluice_lambda::start(Settings::from_env)?;
    // SLUICE_CONCURRENCY: AWS requests in flight at once, per account and region.
    let config = load_sdk_config().await;
    let clients = Clients::limited(&config, Some(settings.common.concurrency));
    let prescaler = &Prescaler::new(&clients, settings);
    sluice_lambda::serve(move |event, _| async move { prescaler.handle(&event).await }).await
}
