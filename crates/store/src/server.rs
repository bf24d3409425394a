//! PostgreSQL, a shop's shared history (the `postgres` feature): connecting, running the
//! store's statements with `$N` placeholders, and its errors in words.

use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};

use crate::StoreError;
use crate::conn::{Cell, Param, Row};

pub(crate) type Client = postgres::Client;

/// Connects to a PostgreSQL server by URL, giving up after `timeout`; `shown` names it in
/// errors (with its password masked).
pub(crate) fn connect(url: &str, shown: &str, timeout: Duration) -> Result<Client, StoreError> {
    let mut config: postgres::Config = url.parse().map_err(|e| StoreError::Server {
        location: shown.to_owned(),
        message: format!("not a PostgreSQL address this can use ({e})"),
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(timeout);
    }
    config.application_name("restore-doctor");
    config
        .connect(postgres::NoTls)
        .map_err(|e| classify(shown, e))
}

/// Runs a statement and returns its rows.
pub(crate) fn query(
    client: &mut Client,
    sql: &str,
    params: &[Param],
) -> Result<Vec<Row>, StoreError> {
    let sql = dollar_placeholders(sql);
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
        .iter()
        .map(|p| match p {
            Param::Int(n) => (n as &(dyn ToSql + Sync), Type::INT8),
            Param::Text(t) => (t as &(dyn ToSql + Sync), Type::TEXT),
        })
        .collect();
    let rows = client.query_typed(&sql, &typed)?;
    rows.iter().map(pg_row).collect()
}

/// Runs several statements with no parameters.
pub(crate) fn batch(client: &mut Client, sql: &str) -> Result<(), StoreError> {
    Ok(client.batch_execute(sql)?)
}

/// Whether trying again later may succeed: the connection was lost or the server is
/// restarting.
pub(crate) fn is_transient(e: &postgres::Error) -> bool {
    // Class 08: connection exceptions; 57P01–57P03: the server shutting down or starting up.
    e.is_closed()
        || e.code()
            .is_none_or(|c| c.code().starts_with("08") || c.code().starts_with("57P0"))
}

/// A PostgreSQL error in words: the server's own message and its SQLSTATE code.
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// Classifies an error met while connecting to (or first reading) a PostgreSQL history. The
/// URL is never part of the message; `location` is shown with its password masked.
pub(crate) fn classify(location: &str, e: postgres::Error) -> StoreError {
    let message = match e.code() {
        Some(c)
            if *c == SqlState::INVALID_PASSWORD
                || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            format!(
                "the server refused the user name or password ({})",
                describe(&e)
            )
        }
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => format!(
            "the server has no such database; create it first (createdb) ({})",
            describe(&e)
        ),
        Some(_) => describe(&e),
        None => {
            // "error connecting to server" says little; its source says why (refused, timed out).
            let why = std::error::Error::source(&e)
                .map_or_else(|| e.to_string(), |source| format!("{e}: {source}"));
            return StoreError::Unreachable {
                location: location.to_owned(),
                message: format!("the server cannot be reached ({why})"),
            };
        }
    };
    StoreError::Server {
        location: location.to_owned(),
        message,
    }
}

/// `?1` → `$1`: PostgreSQL's placeholders. The store's statements hold no `?` elsewhere.
fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_row(row: &postgres::Row) -> Result<Row, StoreError> {
    (0..row.len())
        .map(|i| {
            let column = &row.columns()[i];
            let cell = match *column.type_() {
                Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Cell::Int),
                Type::INT4 => row
                    .try_get::<_, Option<i32>>(i)?
                    .map(|n| Cell::Int(n.into())),
                Type::INT2 => row
                    .try_get::<_, Option<i16>>(i)?
                    .map(|n| Cell::Int(n.into())),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                    row.try_get::<_, Option<String>>(i)?.map(Cell::Text)
                }
                Type::BOOL => row
                    .try_get::<_, Option<bool>>(i)?
                    .map(|b| Cell::Int(b.into())),
                ref other => {
                    return Err(StoreError::Unsupported(format!(
                        "column {} has type {other}",
                        column.name()
                    )));
                }
            };
            Ok(cell.unwrap_or(Cell::Null))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_and_nothing_else_changes() {
        assert_eq!(
            dollar_placeholders("SELECT ?1, '?' FROM t WHERE a = ?12 AND b IS NULL"),
            "SELECT $1, '?' FROM t WHERE a = $12 AND b IS NULL"
        );
    }
}
