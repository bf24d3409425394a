//! An error in what the person typed (bad code, unknown model or id): reported in one line
//! with a hint, and exit code 2.

/// A mistake in the command line or its values, as opposed to a failure of the program.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> UsageError {
        UsageError(message.into())
    }
}
