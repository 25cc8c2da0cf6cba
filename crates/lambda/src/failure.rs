//! Handler errors as Lambda sees them. The `errorType` of the diagnostic says whether
//! running the same event again can help (`Retryable.*`: AWS was throttled or down)
//! or cannot (`NonRetryable.*`: the event or the configuration is wrong), so the
//! failed-invocations queue, logs and alarms tell a bad event from a bad minute.

use lambda_runtime::Diagnostic;

/// Whether running the same event again can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    Retryable,
    NonRetryable,
}

/// An error a handler can return: a short name for its kind and whether to retry.
pub trait Failure: std::fmt::Display {
    /// e.g. `BadEvent`, `StoreUnavailable`.
    fn name(&self) -> &'static str;
    fn retry(&self) -> Retry;

    /// The diagnostic Lambda records: `errorType` `Retryable.<name>` or
    /// `NonRetryable.<name>`, and the error's message.
    fn diagnostic(&self) -> Diagnostic {
        let prefix = match self.retry() {
            Retry::Retryable => "Retryable",
            Retry::NonRetryable => "NonRetryable",
        };
        Diagnostic {
            error_type: format!("{prefix}.{}", self.name()),
            error_message: self.to_string(),
        }
    }
}
