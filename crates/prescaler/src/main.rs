use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn, tracing};
use prescaler::{Prescaler, Settings};
use serde_json::Value;
use sluice_lambda::Failure;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    // Logged through tracing too, so a bad setting shows in the function's JSON logs.
    let settings =
        Settings::from_env().inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    let clients = sluice_aws::Clients::new(&sluice_aws::load_sdk_config().await);
    let prescaler = &Prescaler::new(&clients, settings);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let report = prescaler
            .handle(&event.payload)
            .await
            .map_err(|e| e.diagnostic())?;
        serde_json::to_value(report).map_err(|e| Diagnostic::from(Error::from(e)))
    }))
    .await
}
