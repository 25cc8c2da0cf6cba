//! The floor Sluice's cold starts are measured against (`sluice-bench init`): a
//! lambda_runtime function that echoes its event and does nothing else.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
