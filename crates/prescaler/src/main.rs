use lambda_runtime::Error;
use prescaler::{Prescaler, Settings};
use sluice_aws::{Clients, load_sdk_config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = sluice_lambda::start(Settings::from_env)?;
    let prescaler = &Prescaler::new(&Clients::new(&load_sdk_config().await), settings);
    sluice_lambda::serve(move |event, _| async move { prescaler.handle(&event).await }).await
}
