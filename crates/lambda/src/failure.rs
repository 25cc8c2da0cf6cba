//! Handler errors as Lambda sees them. The `errorType` of the diagnostic says whether
//! running the same event again can help (`Retryable.*`: AWS was throttled or down)
//! or cannot (`NonRetryable.*`: the event or the configuration is wrong), so the
//! failed-invocations queue, logs and alarms tell a bad event from a bad minute.

use lambda_runtime::Diagnostic;
use sluice_aws::ErrorKind;

/// Whether running the same event again can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    Retryable,
    NonRetryable,
}

impl Retry {
    /// The one rule for an invocation that failed for its targets' sake: running it
    /// again can help when any of their AWS failures may pass by itself (throttling,
    /// unavailability); access denied or a missing resource stays as it is.
    pub fn when_any_may_pass(kinds: impl IntoIterator<Item = ErrorKind>) -> Retry {
        if kinds.into_iter().any(ErrorKind::is_retryable) {
            Retry::Retryable
        } else {
            Retry::NonRetryable
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_retried_when_any_of_its_failures_may_pass() {
        let passes = [ErrorKind::AccessDenied, ErrorKind::Throttled];
        assert_eq!(Retry::when_any_may_pass(passes), Retry::Retryable);
        let stays = [ErrorKind::AccessDenied, ErrorKind::QuotaExceeded];
        assert_eq!(Retry::when_any_may_pass(stays), Retry::NonRetryable);
        assert_eq!(Retry::when_any_may_pass([]), Retry::NonRetryable);
    }
}
