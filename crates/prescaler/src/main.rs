use lambda_runtime::Error;
use prescaler::{Prescaler, Settings};
use sluice_aws::Clients;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = sluice_lambda::start(Settings::from_env)?;
    let clients = Clients::for_function(settings.common.concurrency).await;
    let prescaler = &Prescaler::new(&clients, settings);
    sluice_lambda::serve(move |event, _| async move { prescaler.handle(&event).await }).await
}
