//! Without the `postgres` feature a PostgreSQL address is refused with a clear error, and no
//! connection to a server can exist.

use std::time::Duration;

use crate::StoreError;
use crate::conn::{Param, Row};

/// No value of this type exists: a build without PostgreSQL never holds a server connection.
pub(crate) enum Client {}

pub(crate) fn connect(_url: &str, shown: &str, _timeout: Duration) -> Result<Client, StoreError> {
    Err(StoreError::NoPostgres {
        location: shown.to_owned(),
    })
}

pub(crate) fn query(
    client: &mut Client,
    _sql: &str,
    _params: &[Param],
) -> Result<Vec<Row>, StoreError> {
    match *client {}
}

pub(crate) fn batch(client: &mut Client, _sql: &str) -> Result<(), StoreError> {
    match *client {}
}
