//! Statements sent with their parameter types, so each goes out with its values in one round
//! trip (PostgreSQL's unnamed statement: parse, bind and execute together) instead of a
//! prepare and then an execute. Every Rust type a statement binds says which PostgreSQL type
//! it is sent as ([`Param`]).

use std::sync::atomic::{AtomicU64, Ordering};

use postgres::types::{ToSql, Type};
use postgres::Row;

/// A transaction, counting the round trips it makes (BEGIN, each statement, COMMIT).
pub(crate) struct Tx<'a> {
    inner: postgres::Transaction<'a>,
    trips: &'a AtomicU64,
}

impl<'a> Tx<'a> {
    /// A transaction begun (one round trip) whose trips add to `trips`.
    pub(crate) fn begun(inner: postgres::Transaction<'a>, trips: &'a AtomicU64) -> Tx<'a> {
        trips.fetch_add(1, Ordering::Relaxed);
        Tx { inner, trips }
    }

    /// Commits.
    pub(crate) fn commit(self) -> Result<(), postgres::Error> {
        self.trip();
        self.inner.commit()
    }

    /// Runs statements without parameters (schema changes).
    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.trip();
        self.inner.batch_execute(sql)
    }

    fn trip(&self) {
        self.trips.fetch_add(1, Ordering::Relaxed);
    }
}

/// A value bound to a statement parameter, with the PostgreSQL type it is sent as.
pub(crate) trait Param: ToSql + Sync {
    /// The parameter's type.
    fn pg_type(&self) -> Type;
    /// The value, for the driver.
    fn as_sql(&self) -> &(dyn ToSql + Sync);
}

/// A Rust type bound to parameters, and the PostgreSQL type it is sent as.
pub(crate) trait PgType {
    /// The PostgreSQL type.
    const TYPE: Type;
}

/// An element of an array parameter: its array type.
pub(crate) trait Element: ToSql + Sync {
    /// The PostgreSQL type of an array of these.
    const ARRAY: Type;
}

impl<T: PgType + ToSql + Sync> Param for T {
    fn pg_type(&self) -> Type {
        T::TYPE
    }
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        self
    }
}

macro_rules! scalar {
    ($($rust:ty => $pg:expr),* $(,)?) => {$(
        impl PgType for $rust {
            const TYPE: Type = $pg;
        }
    )*};
}

macro_rules! element {
    ($($rust:ty => $pg:expr),* $(,)?) => {$(
        impl Element for $rust {
            const ARRAY: Type = $pg;
        }
    )*};
}

scalar!(i64 => Type::INT8, i32 => Type::INT4, bool => Type::BOOL, &str => Type::TEXT, String => Type::TEXT);
element!(
    i64 => Type::INT8_ARRAY,
    i32 => Type::INT4_ARRAY,
    Option<i64> => Type::INT8_ARRAY,
    String => Type::TEXT_ARRAY,
    &str => Type::TEXT_ARRAY,
    &String => Type::TEXT_ARRAY,
    &[u8] => Type::BYTEA_ARRAY,
);

impl<T: Element> PgType for Vec<T> {
    const TYPE: Type = T::ARRAY;
}

impl<T: Element> PgType for &[T] {
    const TYPE: Type = T::ARRAY;
}

/// `None` is a NULL of the same type.
impl<T: PgType> PgType for Option<T> {
    const TYPE: Type = T::TYPE;
}

/// The statements of a transaction, each one round trip.
pub(crate) trait Statements {
    /// Every row the query returns.
    fn fetch(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, postgres::Error>;
    /// The one row the query returns (an error if none).
    fn fetch_one(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Row, postgres::Error>;
    /// The row the query returns, if any.
    fn fetch_opt(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>, postgres::Error>;
    /// Runs a statement; returns how many rows it changed.
    fn exec(&mut self, sql: &str, params: &[&dyn Param]) -> Result<u64, postgres::Error>;
}

fn typed<'a>(params: &'a [&'a dyn Param]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params.iter().map(|p| (p.as_sql(), p.pg_type())).collect()
}

impl Statements for Tx<'_> {
    fn fetch(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, postgres::Error> {
        self.trip();
        self.inner.query_typed(sql, &typed(params))
    }

    fn fetch_one(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Row, postgres::Error> {
        self.trip();
        self.inner.query_typed_one(sql, &typed(params))
    }

    fn fetch_opt(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>, postgres::Error> {
        self.trip();
        self.inner.query_typed_opt(sql, &typed(params))
    }

    fn exec(&mut self, sql: &str, params: &[&dyn Param]) -> Result<u64, postgres::Error> {
        self.trip();
        self.inner.execute_typed(sql, &typed(params))
    }
}
