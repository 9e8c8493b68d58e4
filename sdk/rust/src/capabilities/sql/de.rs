//! Serde deserializers over a row (a map of column name to value, or a sequence of values)
//! and over one value, so rows decode into structs, tuples, scalars and `serde_json::Value`.
//!
//! Integers, floats, booleans, text, bytes and NULL map to their Rust counterparts. Decimals,
//! dates, times, timestamps and UUIDs decode as strings; decimals also into integers and floats
//! when their text parses as one. JSON decodes as its text into a `String`, and as the document
//! into anything else (`serde_json::Value`, a struct, a map). An integer 0 or 1 decodes into a
//! `bool`, for MySQL's `BOOLEAN` (a `TINYINT`).

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer as _, IntoDeserializer, Unexpected, Visitor};

use super::row::Column;
use super::value::SqlValue;

/// Why a row or value does not fit the type asked for.
#[derive(Debug)]
pub(crate) struct DeError(pub(crate) String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// The error of column `column`, saying which column and of what type.
fn in_column(column: &Column, error: DeError) -> DeError {
    DeError(format!(
        "column `{}` ({}): {}",
        column.name, column.type_name, error.0
    ))
}

/// Deserializes one row: as a map of column name to value for structs, maps and
/// `serde_json::Value`; as a sequence of values for tuples; as its one value for scalars.
pub(crate) struct RowDeserializer<'a> {
    pub(crate) columns: &'a [Column],
    pub(crate) values: &'a [SqlValue],
}

impl<'a> RowDeserializer<'a> {
    /// The deserializer of the row's only value, for a scalar type.
    fn single(&self) -> Result<(&'a Column, ValueDeserializer<'a>), DeError> {
        match (self.columns, self.values) {
            ([column], [value]) => Ok((column, ValueDeserializer { value })),
            _ => Err(DeError(format!(
                "a row of {} columns does not fit a single value; select one column, or \
                 decode into a struct or a tuple",
                self.values.len()
            ))),
        }
    }

    fn map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(RowMap {
            columns: self.columns.iter(),
            values: self.values.iter(),
            current: None,
        })
    }

    fn seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let mut seq = RowSeq {
            columns: self.columns,
            values: self.values,
            next: 0,
        };
        let value = visitor.visit_seq(&mut seq)?;
        if seq.next < self.values.len() {
            return Err(DeError(format!(
                "the row has {} columns and the type takes {}",
                self.values.len(),
                seq.next
            )));
        }
        Ok(value)
    }
}

/// Deserializer methods that hand their visitor to `self.$to(visitor)`, their other
/// arguments unused: `delegate!(to: method(arg: Type), ...)`.
macro_rules! delegate {
    ($to:ident: $($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'a>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, DeError> {
            self.$to(visitor)
        }
    )*};
}

/// Forwards scalar methods of the row deserializer to its single value.
macro_rules! forward_single {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
            let (column, value) = self.single()?;
            value.$method(visitor).map_err(|e| in_column(column, e))
        }
    )*};
}

impl<'a> de::Deserializer<'a> for RowDeserializer<'a> {
    type Error = DeError;

    delegate!(map:
        deserialize_any(),
        deserialize_map(),
        deserialize_struct(_name: &'static str, _fields: &'static [&'static str]),
    );

    delegate!(seq:
        deserialize_seq(),
        deserialize_tuple(_len: usize),
        deserialize_tuple_struct(_name: &'static str, _len: usize),
    );

    forward_single!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier
    );

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.values.len() == 1 {
            let (column, value) = self.single()?;
            value
                .deserialize_option(visitor)
                .map_err(|e| in_column(column, e))
        } else {
            visitor.visit_some(self)
        }
    }

    delegate!(deserialize_unit: deserialize_unit_struct(_name: &'static str));

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (column, value) = self.single()?;
        value
            .deserialize_enum(name, variants, visitor)
            .map_err(|e| in_column(column, e))
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

/// A row's columns as map entries: name, then value.
struct RowMap<'a> {
    columns: std::slice::Iter<'a, Column>,
    values: std::slice::Iter<'a, SqlValue>,
    current: Option<(&'a Column, &'a SqlValue)>,
}

impl<'a> de::MapAccess<'a> for RowMap<'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let (Some(column), Some(value)) = (self.columns.next(), self.values.next()) else {
            return Ok(None);
        };
        self.current = Some((column, value));
        seed.deserialize(BorrowedStrDeserializer::new(&column.name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (column, value) = self
            .current
            .take()
            .ok_or_else(|| DeError("a value was asked for before its column".into()))?;
        seed.deserialize(ValueDeserializer { value })
            .map_err(|e| in_column(column, e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.values.len())
    }
}

/// A row's values in column order.
struct RowSeq<'a> {
    columns: &'a [Column],
    values: &'a [SqlValue],
    next: usize,
}

impl<'a> de::SeqAccess<'a> for &mut RowSeq<'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let (Some(column), Some(value)) = (self.columns.get(self.next), self.values.get(self.next))
        else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(ValueDeserializer { value })
            .map(Some)
            .map_err(|e| in_column(column, e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.values.len().saturating_sub(self.next))
    }
}

/// Deserializes one value of a column.
pub(crate) struct ValueDeserializer<'a> {
    pub(crate) value: &'a SqlValue,
}

/// Run `f` on a JSON deserializer over `text`, requiring that nothing follows the document.
fn json<'a, T>(
    text: &'a str,
    f: impl FnOnce(&mut serde_json::Deserializer<serde_json::de::StrRead<'a>>) -> serde_json::Result<T>,
) -> Result<T, DeError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = f(&mut de).and_then(|v| de.end().map(|()| v));
    value.map_err(|e| DeError(format!("JSON: {e}")))
}

impl<'a> ValueDeserializer<'a> {
    /// An integer from a decimal's text, for `sum(...)` and unsigned values past `i64`.
    fn integer<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            SqlValue::Decimal(text) => {
                if let Ok(n) = text.parse::<i64>() {
                    visitor.visit_i64(n)
                } else if let Ok(n) = text.parse::<u64>() {
                    visitor.visit_u64(n)
                } else if let Ok(n) = text.parse::<i128>() {
                    visitor.visit_i128(n)
                } else if let Ok(n) = text.parse::<u128>() {
                    visitor.visit_u128(n)
                } else {
                    Err(de::Error::invalid_type(
                        Unexpected::Other(&format!("decimal {text}")),
                        &visitor,
                    ))
                }
            }
            _ => self.deserialize_any(visitor),
        }
    }

    /// A float from a decimal's text, for `avg(...)` and `numeric` columns.
    fn float<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            SqlValue::Decimal(text) => match text.parse::<f64>() {
                Ok(x) => visitor.visit_f64(x),
                Err(_) => Err(de::Error::invalid_type(
                    Unexpected::Other(&format!("decimal {text}")),
                    &visitor,
                )),
            },
            _ => self.deserialize_any(visitor),
        }
    }
}

/// Deserializer methods of a value that read a JSON value's document with the same method,
/// and anything else as it is: `json_or_any!(method(arg: Type), ...)`.
macro_rules! json_or_any {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'a>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, DeError> {
            match self.value {
                SqlValue::Json(text) => {
                    json(text, |de| de::Deserializer::$method(de, $($arg,)* visitor))
                }
                _ => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'a> de::Deserializer<'a> for ValueDeserializer<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            SqlValue::Null => visitor.visit_unit(),
            SqlValue::Bool(b) => visitor.visit_bool(*b),
            SqlValue::Int(n) => visitor.visit_i64(*n),
            SqlValue::Float(x) => visitor.visit_f64(*x),
            SqlValue::Bytes(bytes) => {
                let mut seq = SeqDeserializer::<_, DeError>::new(bytes.iter().copied());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            SqlValue::Json(text) => json(text, |de| de::Deserializer::deserialize_any(de, visitor)),
            SqlValue::Text(s)
            | SqlValue::Decimal(s)
            | SqlValue::Timestamp(s)
            | SqlValue::Datetime(s)
            | SqlValue::Date(s)
            | SqlValue::Time(s)
            | SqlValue::Uuid(s) => visitor.visit_borrowed_str(s),
        }
    }

    delegate!(integer:
        deserialize_i8(),
        deserialize_i16(),
        deserialize_i32(),
        deserialize_i64(),
        deserialize_i128(),
        deserialize_u8(),
        deserialize_u16(),
        deserialize_u32(),
        deserialize_u64(),
        deserialize_u128(),
    );
    delegate!(float: deserialize_f32(), deserialize_f64());
    delegate!(deserialize_str: deserialize_char(), deserialize_string(), deserialize_identifier());
    delegate!(deserialize_bytes: deserialize_byte_buf());
    delegate!(deserialize_any: deserialize_unit(), deserialize_unit_struct(_name: &'static str));

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            SqlValue::Int(0) => visitor.visit_bool(false),
            SqlValue::Int(1) => visitor.visit_bool(true),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            SqlValue::Json(text) => visitor.visit_borrowed_str(text),
            SqlValue::Bytes(bytes) => {
                Err(de::Error::invalid_type(Unexpected::Bytes(bytes), &visitor))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            SqlValue::Bytes(bytes) => visitor.visit_borrowed_bytes(bytes),
            SqlValue::Text(text) => visitor.visit_borrowed_bytes(text.as_bytes()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            SqlValue::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    json_or_any!(
        deserialize_seq(),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
    );

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            SqlValue::Json(text) => json(text, |de| {
                de::Deserializer::deserialize_enum(de, name, variants, visitor)
            }),
            SqlValue::Text(s) => {
                visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(s.as_str()))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}
