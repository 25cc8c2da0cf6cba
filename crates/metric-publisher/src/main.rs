use lambda_runtime::Error;
use metric_publisher::{Publisher, Settings};
use sluice_aws::Clients;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = sluice_lambda::start(Settings::from_env)?;
    let clients = Clients::for_function(settings.common.concurrency).await;
    let publisher = &Publisher::new(&clients, settings);
    sluice_lambda::serve(move |event, _| async move { publisher.handle(&event).await }).await
}
