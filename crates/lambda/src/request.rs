//! The errors every handler can meet before it decides anything: a bad event, or
//! targets that cannot be selected.

use crate::envelope::BadEvent;
use crate::failure::{Failure, Retry};
use crate::select::SelectError;

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    BadEvent(#[from] BadEvent),
    #[error(transparent)]
    Select(#[from] SelectError),
}

impl Failure for RequestError {
    fn name(&self) -> &'static str {
        match self {
            RequestError::BadEvent(_) => "BadEvent",
            RequestError::Select(SelectError::Store(_)) => "StoreUnavailable",
            RequestError::Select(SelectError::UnknownTargets { .. }) => "UnknownTargets",
        }
    }

    /// Only the table being unreachable can pass; a bad event or an unknown name
    /// stays bad however often it is sent.
    fn retry(&self) -> Retry {
        match self {
            RequestError::Select(SelectError::Store(_)) => Retry::Retryable,
            _ => Retry::NonRetryable,
        }
    }
}
