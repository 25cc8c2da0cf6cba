use lambda_runtime::Error;
use sluice_aws::{Clients, load_sdk_config};
use zero_watcher::{Settings, Watcher};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = sluice_lambda::start(Settings::from_env)?;
    let watcher = &Watcher::new(&Clients::new(&load_sdk_config().await), settings);
    sluice_lambda::serve(move |event, deadline| async move {
        watcher.handle_until(&event, deadline).await
    })
    .await
}
