//! [`AttemptKey`]: the proof that a worker was handed an attempt.
//!
//! The scheduler that queues an attempt derives its key from the installation's secret key,
//! the task instance and the lease, and puts it in the task message. Only a worker that took
//! the message knows it; every report about the attempt and every worker API call made for it
//! carries it, and schedulers and API servers (which hold the same secret key) check it. A
//! worker that guesses a task instance and lease, or reads them from a log, cannot report on
//! that attempt or read its data.
//!
//! A key is 16 random-looking bytes, written as 32 lowercase hex digits. It is never shown by
//! `Debug` and never logged.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length of an attempt key, in bytes.
pub const ATTEMPT_KEY_BYTES: usize = 16;

/// The key of one attempt (see the [module](self)). Compare keys with a constant-time check
/// (the scheduler and server do); `==` is for tests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AttemptKey(pub [u8; ATTEMPT_KEY_BYTES]);

impl AttemptKey {
    /// The key as 32 lowercase hex digits, for a header.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for AttemptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AttemptKey(***)")
    }
}

/// Why text is not an attempt key (the text itself is not repeated: it may be a near miss of
/// a real key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadAttemptKey {
    /// Not 32 characters.
    #[error("an attempt key is {expected} hex digits; this one has {len} characters", expected = ATTEMPT_KEY_BYTES * 2)]
    Length {
        /// The length of the text given.
        len: usize,
    },
    /// 32 characters, not all hex digits.
    #[error("an attempt key is {expected} hex digits; character {position} of this one is not one", expected = ATTEMPT_KEY_BYTES * 2)]
    NotHex {
        /// Where the first character that is not a hex digit is, from 1.
        position: usize,
    },
}

impl FromStr for AttemptKey {
    type Err = BadAttemptKey;

    fn from_str(text: &str) -> Result<AttemptKey, BadAttemptKey> {
        if text.len() != ATTEMPT_KEY_BYTES * 2 {
            return Err(BadAttemptKey::Length { len: text.len() });
        }
        if let Some(at) = text.bytes().position(|b| !b.is_ascii_hexdigit()) {
            return Err(BadAttemptKey::NotHex { position: at + 1 });
        }
        let mut bytes = [0u8; ATTEMPT_KEY_BYTES];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| BadAttemptKey::NotHex { position: 1 })?;
        Ok(AttemptKey(bytes))
    }
}

impl Serialize for AttemptKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for AttemptKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AttemptKey, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn keys_travel_as_hex_and_hide_in_debug() {
        let key = AttemptKey([0xab; ATTEMPT_KEY_BYTES]);
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(16)));
        assert_eq!(serde_json::from_str::<AttemptKey>(&json).unwrap(), key);
        assert_eq!(format!("{key:?}"), "AttemptKey(***)");
    }

    #[test]
    fn bad_keys_are_refused_without_repeating_them() {
        for (text, expected) in [
            ("", BadAttemptKey::Length { len: 0 }),
            ("abc", BadAttemptKey::Length { len: 3 }),
            (&"ab".repeat(17), BadAttemptKey::Length { len: 34 }),
            (&"zz".repeat(16), BadAttemptKey::NotHex { position: 1 }),
            (
                &format!("{}g", "a".repeat(31)),
                BadAttemptKey::NotHex { position: 32 },
            ),
        ] {
            let error = text.parse::<AttemptKey>().unwrap_err();
            assert_eq!(error, expected, "{text}");
            let message = error.to_string();
            assert!(message.contains("32 hex digits"), "{message}");
            if !text.is_empty() {
                assert!(!message.contains(text), "{message}");
            }
        }
    }
}
