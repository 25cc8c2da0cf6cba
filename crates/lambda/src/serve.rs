//! What every function's `main` does around its handler: JSON logs, settings read at
//! start (a bad one stops the function with the variable named), and each
//! invocation's error turned into a diagnostic that says whether a retry helps.

use std::future::Future;
use std::time::{Instant, SystemTime};

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use serde::Serialize;
use serde_json::Value;

use crate::failure::Failure;

/// Starts the log subscriber and reads the settings, logging a bad one so it shows
/// in the function's JSON logs too.
pub fn start<S, E: std::error::Error + Send + Sync + 'static>(
    settings: impl FnOnce() -> Result<S, E>,
) -> Result<S, Error> {
    init_logs();
    Ok(settings().inspect_err(|error| tracing::error!(%error, "cannot start"))?)
}

/// Logs as lambda_runtime's default subscriber writes them: to standard output, JSON
/// when Lambda's log format is JSON, at the level of `AWS_LAMBDA_LOG_LEVEL` (else
/// `RUST_LOG`, else INFO). A level only: per-module directives would need a regex
/// engine in every binary.
fn init_logs() {
    use tracing::level_filters::LevelFilter;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .map(|level| {
            if level.eq_ignore_ascii_case("FATAL") {
                "ERROR".to_owned()
            } else {
                level
            }
        })
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level);
    // Only the first subscriber set in a process counts (a test may have set one).
    let _ = if json {
        logs.json().try_init()
    } else {
        logs.try_init()
    };
}

/// Runs `handler` for every invocation until the runtime stops, giving it the event
/// and the instant by which the invocation must have answered (Lambda's deadline).
pub async fn serve<F, Fut, R, E>(handler: F) -> Result<(), Error>
where
    F: Fn(Value, Option<Instant>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    R: Serialize,
    E: Failure,
{
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = instant_of(event.context.deadline());
        let output = handler(event.payload, deadline)
            .await
            .map_err(|e| e.diagnostic())?;
        serde_json::to_value(output).map_err(|e| Diagnostic::from(Error::from(e)))
    }))
    .await
}

/// A wall-clock deadline as an instant of the monotonic clock (None when past).
fn instant_of(deadline: SystemTime) -> Option<Instant> {
    let left = deadline.duration_since(SystemTime::now()).ok()?;
    Instant::now().checked_add(left)
}
