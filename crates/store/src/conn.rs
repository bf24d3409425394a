//! One connection to either database: SQLite (the default file) or PostgreSQL (a shop's shared
//! history). Statements are written once, with `?N` placeholders, and run on both.

use std::cell::RefCell;
use std::time::Duration;

use rusqlite::types::ValueRef;

use crate::StoreError;
use crate::server;

/// A statement parameter: every value the store writes is a whole number or text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<&str> for Param {
    fn from(text: &str) -> Param {
        Param::Text(Some(text.to_owned()))
    }
}

impl From<String> for Param {
    fn from(text: String) -> Param {
        Param::Text(Some(text))
    }
}

impl From<Option<String>> for Param {
    fn from(text: Option<String>) -> Param {
        Param::Text(text)
    }
}

impl From<Option<&str>> for Param {
    fn from(text: Option<&str>) -> Param {
        Param::Text(text.map(str::to_owned))
    }
}

impl From<&Option<String>> for Param {
    fn from(text: &Option<String>) -> Param {
        Param::Text(text.clone())
    }
}

impl From<i64> for Param {
    fn from(n: i64) -> Param {
        Param::Int(Some(n))
    }
}

impl From<Option<i64>> for Param {
    fn from(n: Option<i64>) -> Param {
        Param::Int(n)
    }
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl Cell {
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Cell::Text(t) => Some(t.clone()),
            Cell::Int(n) => Some(n.to_string()),
            Cell::Null => None,
        }
    }

    pub(crate) fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(n) => Some(*n),
            Cell::Text(t) => t.parse().ok(),
            Cell::Null => None,
        }
    }
}

pub(crate) type Row = Vec<Cell>;

/// Which database a connection talks to.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(RefCell<server::Client>),
}

impl Conn {
    /// Connects to a PostgreSQL server by URL, giving up after `timeout`; `shown` names it
    /// in errors (with its password masked).
    pub(crate) fn postgres(url: &str, shown: &str, timeout: Duration) -> Result<Conn, StoreError> {
        server::connect(url, shown, timeout).map(|client| Conn::Postgres(RefCell::new(client)))
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Conn::Postgres(_))
    }

    /// Runs a statement and returns its rows (none for most writes; `RETURNING` gives some).
    pub(crate) fn query(&self, sql: &str, params: &[Param]) -> Result<Vec<Row>, StoreError> {
        match self {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let values: Vec<rusqlite::types::Value> = params
                    .iter()
                    .map(|p| match p {
                        Param::Int(Some(n)) => rusqlite::types::Value::Integer(*n),
                        Param::Text(Some(t)) => rusqlite::types::Value::Text(t.clone()),
                        Param::Int(None) | Param::Text(None) => rusqlite::types::Value::Null,
                    })
                    .collect();
                let columns = statement.column_count();
                let rows = statement.query_map(rusqlite::params_from_iter(values), |row| {
                    (0..columns)
                        .map(|i| {
                            Ok(match row.get_ref(i)? {
                                ValueRef::Null => Cell::Null,
                                ValueRef::Integer(n) => Cell::Int(n),
                                ValueRef::Real(x) => Cell::Text(x.to_string()),
                                ValueRef::Text(t) | ValueRef::Blob(t) => {
                                    Cell::Text(String::from_utf8_lossy(t).into_owned())
                                }
                            })
                        })
                        .collect::<rusqlite::Result<Row>>()
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<Row>>>()?)
            }
            Conn::Postgres(client) => server::query(&mut client.borrow_mut(), sql, params),
        }
    }

    /// Runs several statements with no parameters (a migration).
    pub(crate) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(client) => server::batch(&mut client.borrow_mut(), sql),
        }
    }

    /// Starts a transaction that holds the write lock from its first statement: SQLite's
    /// `IMMEDIATE`; on PostgreSQL, row locks taken by the writes themselves.
    pub(crate) fn begin(&self) -> Result<Transaction<'_>, StoreError> {
        self.batch(match self {
            Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            Conn::Postgres(_) => "BEGIN",
        })?;
        Ok(Transaction {
            conn: self,
            open: true,
        })
    }
}

/// An open transaction; rolled back unless committed.
pub(crate) struct Transaction<'c> {
    conn: &'c Conn,
    open: bool,
}

impl Transaction<'_> {
    pub(crate) fn query(&self, sql: &str, params: &[Param]) -> Result<Vec<Row>, StoreError> {
        self.conn.query(sql, params)
    }

    pub(crate) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.conn.batch(sql)
    }

    /// Waits for any other process changing the schema or the settings (PostgreSQL; SQLite's
    /// `IMMEDIATE` already serialises every writer).
    pub(crate) fn lock_schema(&self) -> Result<(), StoreError> {
        if self.conn.is_postgres() {
            self.conn.batch("SELECT pg_advisory_xact_lock(4013)")?;
        }
        Ok(())
    }

    pub(crate) fn commit(mut self) -> Result<(), StoreError> {
        self.open = false;
        self.conn.batch("COMMIT")
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing more can be done about a failed rollback: the connection is closed with
            // the store, which ends the transaction anyway.
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}
