use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call had: callers treat a missing resource, a throttle
/// (already retried by the SDK) and a permanent error differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Throttled,
    AccessDenied,
    InvalidRequest,
    /// Timeouts, connection failures, 5xx: worth trying again later.
    Unavailable,
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
pub struct AwsError {
    pub operation: &'static str,
    pub kind: ErrorKind,
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed ({:?}): {}",
            self.operation, self.kind, self.message
        )
    }
}

impl AwsError {
    pub fn new(operation: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            operation,
            kind,
            message: message.into(),
        }
    }

    pub fn from_sdk<E, R>(operation: &'static str, error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let kind = match &error {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => ErrorKind::Unavailable,
            SdkError::ServiceError(service) => kind_of_code(service.err().code()),
            SdkError::ResponseError(_) => ErrorKind::Unavailable,
            _ => ErrorKind::Other,
        };
        let message = match error.code() {
            Some(code) => format!(
                "{code}: {}",
                error.message().unwrap_or("no message from the service")
            ),
            None => DisplayErrorContext(&error).to_string(),
        };
        Self::new(operation, kind, message)
    }
}

fn kind_of_code(code: Option<&str>) -> ErrorKind {
    let Some(code) = code else {
        return ErrorKind::Other;
    };
    let lower = code.to_ascii_lowercase();
    if lower.contains("nonexistent")
        || lower.contains("notfound")
        || lower.contains("doesnotexist")
        || lower.contains("missing")
    {
        ErrorKind::NotFound
    } else if lower.contains("throttl")
        || lower.contains("toomanyrequests")
        || lower.contains("limitexceeded")
    {
        ErrorKind::Throttled
    } else if lower.contains("accessdenied")
        || lower.contains("unauthorized")
        || lower.contains("notauthorized")
    {
        ErrorKind::AccessDenied
    } else if lower.contains("invalid")
        || lower.contains("validation")
        || lower.contains("malformed")
    {
        ErrorKind::InvalidRequest
    } else if lower.contains("unavailable") || lower.contains("internal") {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_classified() {
        let cases = [
            (
                "AWS.SimpleQueueService.NonExistentQueue",
                ErrorKind::NotFound,
            ),
            ("QueueDoesNotExist", ErrorKind::NotFound),
            ("ResourceNotFoundException", ErrorKind::NotFound),
            ("ClusterNotFoundException", ErrorKind::NotFound),
            ("ThrottlingException", ErrorKind::Throttled),
            ("RequestLimitExceeded", ErrorKind::Throttled),
            ("AccessDeniedException", ErrorKind::AccessDenied),
            ("InvalidParameterValue", ErrorKind::InvalidRequest),
            ("ValidationException", ErrorKind::InvalidRequest),
            ("ServiceUnavailable", ErrorKind::Unavailable),
            ("ConditionalCheckFailedException", ErrorKind::Other),
        ];
        for (code, kind) in cases {
            assert_eq!(kind_of_code(Some(code)), kind, "{code}");
        }
    }
}
