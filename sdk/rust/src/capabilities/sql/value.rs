//! [`SqlValue`], one value of a parameter or a column, and [`SqlParam`], the Rust types that
//! can be sent as parameters.

use std::fmt;

use crate::bindings::weft::dag::sql as wit;

/// One value of a parameter or a column, as the host exchanges it.
///
/// Integers, floats, booleans, text and bytes have a variant of their own. Numbers kept exact
/// (`numeric`), dates, times, UUIDs and JSON are text in a fixed form, tagged with their SQL type
/// so the host binds them as that type. Use a variant directly for a parameter that no Rust
/// type names (a date, say):
///
/// ```
/// use weft_sdk::sql::{SqlParam, SqlValue};
///
/// let since = SqlValue::Date("2024-05-01".into());
/// assert_eq!(since.to_sql(), SqlValue::Date("2024-05-01".into()));
/// assert_eq!(u64::MAX.to_sql(), SqlValue::Decimal("18446744073709551615".into()));
/// assert_eq!(None::<i32>.to_sql(), SqlValue::Null);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// Any integer type that fits 64 bits; an unsigned one past `i64::MAX` is a
    /// [`Decimal`](Self::Decimal).
    Int(i64),
    /// Any floating-point type.
    Float(f64),
    /// Text: `text`, `varchar`, `char`, enums.
    Text(String),
    /// Binary data: `bytea`, `blob`, `varbinary`.
    Bytes(Vec<u8>),
    /// An exact number written in decimal, e.g. `12.50` (`numeric`, `decimal`).
    Decimal(String),
    /// A point in time, RFC 3339 in UTC, e.g. `2024-05-01T12:30:00Z` (`timestamptz`; MySQL's
    /// `timestamp`).
    Timestamp(String),
    /// A date and time of day without a time zone, e.g. `2024-05-01T12:30:00` with up to six
    /// fraction digits (`timestamp`; MySQL's `datetime`).
    Datetime(String),
    /// A calendar date, e.g. `2024-05-01`.
    Date(String),
    /// A time of day, e.g. `12:30:00` with up to six fraction digits.
    Time(String),
    /// A UUID in its hyphenated form.
    Uuid(String),
    /// A JSON document, as text (`json`, `jsonb`).
    Json(String),
}

impl SqlValue {
    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, SqlValue::Null)
    }

    /// The name of the variant's kind, as error messages use it: `int`, `text`, `date`, ...
    pub fn kind_name(&self) -> &'static str {
        match self {
            SqlValue::Null => "null",
            SqlValue::Bool(_) => "boolean",
            SqlValue::Int(_) => "int",
            SqlValue::Float(_) => "float",
            SqlValue::Text(_) => "text",
            SqlValue::Bytes(_) => "bytes",
            SqlValue::Decimal(_) => "decimal",
            SqlValue::Timestamp(_) => "timestamp",
            SqlValue::Datetime(_) => "datetime",
            SqlValue::Date(_) => "date",
            SqlValue::Time(_) => "time",
            SqlValue::Uuid(_) => "uuid",
            SqlValue::Json(_) => "json",
        }
    }

    /// The text of the variants that carry text (text, decimal, dates and times, uuid, json).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            SqlValue::Text(s)
            | SqlValue::Decimal(s)
            | SqlValue::Timestamp(s)
            | SqlValue::Datetime(s)
            | SqlValue::Date(s)
            | SqlValue::Time(s)
            | SqlValue::Uuid(s)
            | SqlValue::Json(s) => Some(s),
            SqlValue::Null
            | SqlValue::Bool(_)
            | SqlValue::Int(_)
            | SqlValue::Float(_)
            | SqlValue::Bytes(_) => None,
        }
    }

    pub(crate) fn from_wit(value: wit::SqlValue) -> Self {
        match value {
            wit::SqlValue::Null => SqlValue::Null,
            wit::SqlValue::Boolean(b) => SqlValue::Bool(b),
            wit::SqlValue::Int(n) => SqlValue::Int(n),
            wit::SqlValue::Float(x) => SqlValue::Float(x),
            wit::SqlValue::Text(s) => SqlValue::Text(s),
            wit::SqlValue::Bytes(b) => SqlValue::Bytes(b),
            wit::SqlValue::Decimal(s) => SqlValue::Decimal(s),
            wit::SqlValue::Timestamp(s) => SqlValue::Timestamp(s),
            wit::SqlValue::Datetime(s) => SqlValue::Datetime(s),
            wit::SqlValue::Date(s) => SqlValue::Date(s),
            wit::SqlValue::Time(s) => SqlValue::Time(s),
            wit::SqlValue::Uuid(s) => SqlValue::Uuid(s),
            wit::SqlValue::Json(s) => SqlValue::Json(s),
        }
    }

    pub(crate) fn into_wit(self) -> wit::SqlValue {
        match self {
            SqlValue::Null => wit::SqlValue::Null,
            SqlValue::Bool(b) => wit::SqlValue::Boolean(b),
            SqlValue::Int(n) => wit::SqlValue::Int(n),
            SqlValue::Float(x) => wit::SqlValue::Float(x),
            SqlValue::Text(s) => wit::SqlValue::Text(s),
            SqlValue::Bytes(b) => wit::SqlValue::Bytes(b),
            SqlValue::Decimal(s) => wit::SqlValue::Decimal(s),
            SqlValue::Timestamp(s) => wit::SqlValue::Timestamp(s),
            SqlValue::Datetime(s) => wit::SqlValue::Datetime(s),
            SqlValue::Date(s) => wit::SqlValue::Date(s),
            SqlValue::Time(s) => wit::SqlValue::Time(s),
            SqlValue::Uuid(s) => wit::SqlValue::Uuid(s),
            SqlValue::Json(s) => wit::SqlValue::Json(s),
        }
    }
}

impl fmt::Display for SqlValue {
    /// `NULL`, the number, `true`/`false`, the text as is, or bytes as `\x` and hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlValue::Null => f.write_str("NULL"),
            SqlValue::Bool(b) => write!(f, "{b}"),
            SqlValue::Int(n) => write!(f, "{n}"),
            SqlValue::Float(x) => write!(f, "{x}"),
            SqlValue::Bytes(bytes) => {
                f.write_str("\\x")?;
                bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            text => f.write_str(text.as_text().unwrap_or_default()),
        }
    }
}

/// A Rust value that can be sent as a statement parameter.
///
/// Implemented for `bool`, the integer types, `f32` and `f64`, `char`, `str`, `String`,
/// `Cow<str>`, `[u8]`, `[u8; N]` and `Vec<u8>`, `Option<T>` (`None` is NULL),
/// [`serde_json::Value`] (JSON), [`SqlValue`] itself, and references to any of these. Integers past `i64`'s range
/// are sent as [`SqlValue::Decimal`]; NaN and the infinities are sent as they are, and the
/// host answers `unsupported` when the database has no such float. Dates, times and UUIDs
/// have no Rust type here: send them as [`SqlValue::Date`], [`SqlValue::Timestamp`],
/// [`SqlValue::Uuid`] and so on, or as text the database casts (`$1::date`).
///
/// Implement it for a type of your own to pass it directly:
///
/// ```
/// use weft_sdk::sql::{SqlParam, SqlValue};
///
/// struct CustomerId(u32);
///
/// impl SqlParam for CustomerId {
///     fn to_sql(&self) -> SqlValue {
///         self.0.to_sql()
///     }
/// }
/// assert_eq!(CustomerId(7).to_sql(), SqlValue::Int(7));
/// ```
pub trait SqlParam {
    /// The value sent to the host.
    fn to_sql(&self) -> SqlValue;
}

impl<T: SqlParam + ?Sized> SqlParam for &T {
    fn to_sql(&self) -> SqlValue {
        (**self).to_sql()
    }
}

impl<T: SqlParam> SqlParam for Option<T> {
    fn to_sql(&self) -> SqlValue {
        self.as_ref().map_or(SqlValue::Null, SqlParam::to_sql)
    }
}

impl SqlParam for SqlValue {
    fn to_sql(&self) -> SqlValue {
        self.clone()
    }
}

impl SqlParam for bool {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Bool(*self)
    }
}

macro_rules! int_params {
    ($($t:ty),*) => {$(
        impl SqlParam for $t {
            fn to_sql(&self) -> SqlValue {
                match i64::try_from(*self) {
                    Ok(n) => SqlValue::Int(n),
                    Err(_) => SqlValue::Decimal(self.to_string()),
                }
            }
        }
    )*};
}

int_params!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl SqlParam for f32 {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Float(f64::from(*self))
    }
}

impl SqlParam for f64 {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Float(*self)
    }
}

impl SqlParam for char {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Text(self.to_string())
    }
}

impl SqlParam for str {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Text(self.to_owned())
    }
}

impl SqlParam for String {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Text(self.clone())
    }
}

impl SqlParam for std::borrow::Cow<'_, str> {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Text(self.clone().into_owned())
    }
}

impl SqlParam for [u8] {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Bytes(self.to_vec())
    }
}

impl<const N: usize> SqlParam for [u8; N] {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Bytes(self.to_vec())
    }
}

impl SqlParam for Vec<u8> {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Bytes(self.clone())
    }
}

impl SqlParam for serde_json::Value {
    fn to_sql(&self) -> SqlValue {
        SqlValue::Json(self.to_string())
    }
}

/// The host's values for `params`.
pub(crate) fn wit_params(params: &[&dyn SqlParam]) -> Vec<wit::SqlValue> {
    params.iter().map(|p| p.to_sql().into_wit()).collect()
}
