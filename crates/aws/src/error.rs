//! One error type for every AWS call, classified by what the SDK says (the error
//! variant, the service's exact error code and the HTTP status), never by searching
//! its text, so that handlers can tell a throttled minute from a missing resource and
//! decide whether to retry, skip or fail.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The queue, service, cluster, table or scalable target does not exist.
    NotFound,
    /// Throttled after the SDK's own retries: try again later.
    Throttled,
    /// An account or service quota is used up: waiting minutes will not help.
    QuotaExceeded,
    /// The role may not make the call, or its credentials are not valid.
    AccessDenied,
    /// The request is wrong (a bad parameter, a validation error): it will fail again.
    InvalidRequest,
    /// A conditional write lost, or another writer changed the resource first.
    Conflict,
    /// Timeouts, connection failures, 5xx: worth trying again later.
    Unavailable,
    /// The call succeeded but its answer lacks what it must hold.
    BadResponse,
    Other,
}

impl ErrorKind {
    /// Whether the same call can succeed a little later.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Unavailable)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AwsError {
    /// `Service.Operation`, e.g. `ECS.UpdateService`.
    pub operation: &'static str,
    pub kind: ErrorKind,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
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
            code: None,
            status: None,
            message: message.into(),
        }
    }

    /// The same error, its message prefixed with what it concerned (`queue q1`).
    pub fn about(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub fn from_sdk<E>(operation: &'static str, error: SdkError<E, Response>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Self::from_sdk_ref(operation, &error)
    }

    /// As [`AwsError::from_sdk`], for an error found inside another (a credentials
    /// provider's).
    pub fn from_sdk_ref<E>(operation: &'static str, error: &SdkError<E, Response>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = match &error {
            SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
            SdkError::ResponseError(response) => Some(response.raw().status().as_u16()),
            _ => None,
        };
        let code = error.code().map(str::to_owned);
        let kind = match error {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => ErrorKind::Unavailable,
            SdkError::ResponseError(_) => ErrorKind::Unavailable,
            SdkError::ServiceError(_) => classify(code.as_deref(), status),
            SdkError::ConstructionFailure(_) => ErrorKind::InvalidRequest,
            _ => ErrorKind::Other,
        };
        let message = match &code {
            Some(code) => format!(
                "{code}: {}",
                error.message().unwrap_or("no message from the service")
            ),
            None => DisplayErrorContext(error).to_string(),
        };
        Self {
            operation,
            kind,
            code,
            status,
            message,
        }
    }
}

// Exact error codes, as the services document them (and as the SDK's retry classifier
// names the throttling ones). A code not listed falls back to its HTTP status.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "TransactionInProgressException",
];
const QUOTA: &[&str] = &[
    "LimitExceededException",
    "ServiceQuotaExceededException",
    "QuotaExceededException",
    "AWS.SimpleQueueService.OverLimit",
    "OverLimit",
];
const NOT_FOUND: &[&str] = &[
    "ResourceNotFoundException",
    "ObjectNotFoundException",
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "ServiceNotActiveException",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
    "TableNotFoundException",
    "NotFound",
    "NoSuchEntity",
];
const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "NotAuthorized",
    "MissingAuthenticationToken",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidSignatureException",
    "AuthFailure",
];
const CONFLICT: &[&str] = &[
    "ConditionalCheckFailedException",
    "ConcurrentUpdateException",
    "ConcurrentModificationException",
    "TransactionConflictException",
];
const INVALID: &[&str] = &[
    "ValidationException",
    "ValidationError",
    "InvalidParameterException",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "InvalidParameterCombination",
    "MissingParameter",
    "MissingAction",
    "InvalidAction",
    "InvalidQueryParameter",
    "MalformedQueryString",
    "SerializationException",
    "InvalidAttributeName",
    "InvalidNextTokenException",
    "ClientException",
    "AWS.SimpleQueueService.InvalidAttributeName",
];
const UNAVAILABLE: &[&str] = &[
    "InternalFailure",
    "InternalServerError",
    "InternalError",
    "InternalServiceError",
    "InternalServiceException",
    "ServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// The kind of a service error from its exact code, else from its HTTP status.
pub fn classify(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    let tables: [(&[&str], ErrorKind); 7] = [
        (THROTTLED, ErrorKind::Throttled),
        (QUOTA, ErrorKind::QuotaExceeded),
        (NOT_FOUND, ErrorKind::NotFound),
        (ACCESS_DENIED, ErrorKind::AccessDenied),
        (CONFLICT, ErrorKind::Conflict),
        (INVALID, ErrorKind::InvalidRequest),
        (UNAVAILABLE, ErrorKind::Unavailable),
    ];
    if let Some(code) = code
        && let Some((_, kind)) = tables.iter().find(|(codes, _)| codes.contains(&code))
    {
        return *kind;
    }
    match status {
        Some(429) => ErrorKind::Throttled,
        Some(403) => ErrorKind::AccessDenied,
        Some(404) => ErrorKind::NotFound,
        Some(409) => ErrorKind::Conflict,
        Some(status) if status >= 500 => ErrorKind::Unavailable,
        Some(400..=499) => ErrorKind::InvalidRequest,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_and_statuses_are_classified_exactly() {
        // (code, status, kind)
        let cases = [
            (
                Some("AWS.SimpleQueueService.NonExistentQueue"),
                Some(400),
                ErrorKind::NotFound,
            ),
            (Some("QueueDoesNotExist"), Some(400), ErrorKind::NotFound),
            (
                Some("ResourceNotFoundException"),
                Some(400),
                ErrorKind::NotFound,
            ),
            (
                Some("ClusterNotFoundException"),
                Some(400),
                ErrorKind::NotFound,
            ),
            (Some("ThrottlingException"), Some(400), ErrorKind::Throttled),
            (
                Some("RequestLimitExceeded"),
                Some(400),
                ErrorKind::Throttled,
            ),
            (
                Some("ProvisionedThroughputExceededException"),
                Some(400),
                ErrorKind::Throttled,
            ),
            (
                Some("AccessDeniedException"),
                Some(400),
                ErrorKind::AccessDenied,
            ),
            (
                Some("InvalidParameterValue"),
                Some(400),
                ErrorKind::InvalidRequest,
            ),
            (
                Some("ValidationException"),
                Some(400),
                ErrorKind::InvalidRequest,
            ),
            (
                Some("ServiceUnavailable"),
                Some(503),
                ErrorKind::Unavailable,
            ),
            (
                Some("ConditionalCheckFailedException"),
                Some(400),
                ErrorKind::Conflict,
            ),
            // Substrings once misled: a missing parameter is not a missing resource,
            // and a quota is not a throttle.
            (
                Some("MissingParameter"),
                Some(400),
                ErrorKind::InvalidRequest,
            ),
            (
                Some("LimitExceededException"),
                Some(400),
                ErrorKind::QuotaExceeded,
            ),
            (
                Some("ServiceQuotaExceededException"),
                Some(402),
                ErrorKind::QuotaExceeded,
            ),
            // Unknown codes: the HTTP status decides.
            (Some("SomethingNew"), Some(429), ErrorKind::Throttled),
            (Some("SomethingNew"), Some(502), ErrorKind::Unavailable),
            (Some("SomethingNew"), Some(400), ErrorKind::InvalidRequest),
            (None, Some(403), ErrorKind::AccessDenied),
            (None, None, ErrorKind::Other),
        ];
        for (code, status, kind) in cases {
            assert_eq!(classify(code, status), kind, "{code:?} {status:?}");
        }
        assert!(ErrorKind::Throttled.is_retryable() && ErrorKind::Unavailable.is_retryable());
        assert!(
            !ErrorKind::QuotaExceeded.is_retryable() && !ErrorKind::AccessDenied.is_retryable()
        );
    }
}
