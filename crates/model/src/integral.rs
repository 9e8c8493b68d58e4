//! Reading JSON integers as JSON Schema defines them: a number with no fractional part, so
//! `2.0` is the integer 2 (JSON has one number type; `2` and `2.0` are the same value). Fields
//! typed as integers in the API's document use these with `#[serde(deserialize_with)]`, so a
//! client whose JSON encoder writes every number as a float is understood, and each value is
//! held to the range the document's format gives it ([`Integer`]).
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct Pool {
//!     #[serde(deserialize_with = "weft_model::integral::required")]
//!     slots: u32,
//!     #[serde(default, deserialize_with = "weft_model::integral::optional")]
//!     limit: Option<u64>,
//! }
//! let pool: Pool = serde_json::from_str(r#"{"slots": 4.0, "limit": null}"#)?;
//! assert_eq!((pool.slots, pool.limit), (4, None));
//! assert!(serde_json::from_str::<Pool>(r#"{"slots": 4.5}"#).is_err());
//! assert!(serde_json::from_str::<Pool>(r#"{"slots": -1}"#).is_err());
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// An integer type a field can have, with the range the API's document gives it: OpenAPI's
/// formats are signed (`int32`, `int64`), so an unsigned field holds what the signed type of
/// its width does.
pub trait Integer: Sized {
    /// The least value.
    const MIN: i64;
    /// The greatest value.
    const MAX: i64;
    /// `value`, known to be within `MIN..=MAX`.
    fn from_i64(value: i64) -> Self;
}

macro_rules! integer {
    ($($t:ty: $min:expr, $max:expr;)+) => {$(
        impl Integer for $t {
            const MIN: i64 = $min as i64;
            const MAX: i64 = $max as i64;
            fn from_i64(value: i64) -> Self {
                // In range, as `read` checked.
                value as $t
            }
        }
    )+};
}

integer! {
    u16: 0, u16::MAX;
    u32: 0, i32::MAX;
    u64: 0, i64::MAX;
    i32: i32::MIN, i32::MAX;
    i64: i64::MIN, i64::MAX;
}

/// An integer of type `T`, written as an integer or as a float with no fractional part.
pub fn required<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Integer,
{
    deserializer.deserialize_any(Integral(PhantomData))
}

/// [`required`], or `None` for `null` (use with `#[serde(default)]` so that leaving the field
/// out is `None` too).
pub fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Integer,
{
    deserializer.deserialize_option(Optional(PhantomData))
}

struct Integral<T>(PhantomData<T>);

impl<T: Integer> Integral<T> {
    fn read<E: de::Error>(&self, value: Option<i64>, shown: de::Unexpected<'_>) -> Result<T, E> {
        match value {
            Some(v) if (T::MIN..=T::MAX).contains(&v) => Ok(T::from_i64(v)),
            _ => Err(E::invalid_value(shown, self)),
        }
    }
}

impl<'de, T: Integer> Visitor<'de> for Integral<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an integer from {} to {}", T::MIN, T::MAX)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        self.read(i64::try_from(value).ok(), de::Unexpected::Unsigned(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        self.read(Some(value), de::Unexpected::Signed(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        // Within ±2^63 a float with no fraction converts exactly.
        let whole =
            (value.is_finite() && value.fract() == 0.0 && value.abs() < 9.223_372_036_854_776e18)
                .then_some(value as i64);
        self.read(whole, de::Unexpected::Float(value))
    }
}

struct Optional<T>(PhantomData<T>);

impl<'de, T: Integer> Visitor<'de> for Optional<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        required(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::required")]
        count: u32,
        #[serde(default, deserialize_with = "super::optional")]
        signed: Option<i64>,
    }

    fn read(json: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn integers_may_be_spelled_as_whole_floats() {
        let body = read(r#"{"count": 7.0, "signed": -3.0}"#).expect("whole floats");
        assert_eq!((body.count, body.signed), (7, Some(-3)));
        let body = read(r#"{"count": 7}"#).expect("integers");
        assert_eq!((body.count, body.signed), (7, None));
        assert_eq!(
            read(r#"{"count": 1e2, "signed": null}"#)
                .expect("1e2")
                .count,
            100
        );
        // Read exactly (serde_json's `float_roundtrip`), not to a neighbouring float.
        let big = read(r#"{"count": 1, "signed": 2234857314325545.0}"#).expect("big");
        assert_eq!(big.signed, Some(2_234_857_314_325_545));
    }

    #[test]
    fn fractions_out_of_range_and_other_types_are_refused_with_the_range() {
        for bad in [
            r#"{"count": 7.5}"#,
            r#"{"count": -1}"#,
            r#"{"count": 2147483648}"#,
            r#"{"count": 2147483648.0}"#,
            r#"{"count": 1e300}"#,
            r#"{"count": "7"}"#,
            r#"{"count": null}"#,
        ] {
            let e = read(bad).expect_err(bad).to_string();
            assert!(e.contains("an integer"), "{bad}: {e}");
        }
        let e = read(r#"{"count": -1}"#).expect_err("negative").to_string();
        assert!(e.contains("from 0 to 2147483647"), "{e}");
    }
}
