use lambda_runtime::Error;
use sluice_aws::Clients;
use zero_watcher::{Settings, Watcher};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = sluice_lambda::start(Settings::from_env)?;
    let clients = Clients::for_function(settings.common.concurrency).await;
    let watcher = &Watcher::new(&clients, settings);
    sluice_lambda::serve(move |event, deadline| async move {
        watcher.handle_until(&event, deadline).await
    })
    .await
}
