//! A 32-byte key and its id. The key's bytes are wiped when it is dropped and never shown by
//! `Debug`; its id (the first 8 bytes of its SHA-256) names it in sealed values, markers and
//! error messages without revealing it.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{KeyInit as _, OsRng};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::error::VaultError;

/// Length of a key, in bytes.
pub const KEY_BYTES: usize = 32;

/// The id of a key: the first 8 bytes of its SHA-256, shown as 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = String;

    fn from_str(text: &str) -> Result<KeyId, String> {
        let mut id = [0u8; 8];
        hex::decode_to_slice(text, &mut id)
            .map_err(|e| format!("key id {text:?} is not 16 hex digits: {e}"))?;
        Ok(KeyId(id))
    }
}

/// A secret key. Cloning copies the bytes; every copy is wiped when dropped.
#[derive(Clone)]
pub struct SecretKey {
    bytes: Zeroizing<[u8; KEY_BYTES]>,
    id: KeyId,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// The key of these bytes.
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> SecretKey {
        let digest = Sha256::digest(bytes);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        SecretKey {
            bytes: Zeroizing::new(bytes),
            id: KeyId(id),
        }
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> SecretKey {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = [0u8; KEY_BYTES];
        bytes.copy_from_slice(&key);
        SecretKey::from_bytes(bytes)
    }

    /// The key written as `text` (base64 of 32 bytes, surrounding whitespace ignored);
    /// `origin` names where it came from in errors (`WEFT_SECRET_KEY`, a file).
    pub fn from_base64(text: &str, origin: &str) -> Result<SecretKey, VaultError> {
        let decoded = Zeroizing::new(BASE64.decode(text.trim()).map_err(|source| {
            VaultError::KeyNotBase64 {
                origin: origin.to_owned(),
                source,
            }
        })?);
        let bytes: [u8; KEY_BYTES] =
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| VaultError::KeyLength {
                    origin: origin.to_owned(),
                    len: decoded.len(),
                })?;
        Ok(SecretKey::from_bytes(bytes))
    }

    /// The key as base64 text, for writing a key file.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.bytes.as_slice()))
    }

    /// The key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The key's bytes, for deriving keys of other uses from it.
    pub(crate) fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.bytes
    }

    pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.bytes.as_slice().into())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn keys_round_trip_through_base64_and_keep_their_id() {
        let key = SecretKey::generate();
        let again = SecretKey::from_base64(&format!(" {}\n", &*key.to_base64()), "test").unwrap();
        assert_eq!(again.id(), key.id());
        assert_eq!(key.id().to_string().len(), 16);
        assert_eq!(key.id().to_string().parse::<KeyId>().unwrap(), key.id());
        assert_ne!(SecretKey::generate().id(), key.id());
    }

    #[test]
    fn a_key_of_the_wrong_length_names_its_origin() {
        let err = SecretKey::from_base64(&BASE64.encode([7u8; 16]), "WEFT_SECRET_KEY").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("WEFT_SECRET_KEY"), "{message}");
        assert!(message.contains("32 bytes, not 16 bytes"), "{message}");
        let err = SecretKey::from_base64("not base64!", "WEFT_SECRET_KEY").unwrap_err();
        assert!(matches!(err, VaultError::KeyNotBase64 { .. }), "{err}");
        assert!(err.to_string().starts_with("WEFT_SECRET_KEY is not base64"));
    }

    #[test]
    fn debug_shows_the_id_only() {
        let key = SecretKey::from_bytes([42u8; 32]);
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.id().to_string()), "{shown}");
        assert!(!shown.contains(&*key.to_base64()), "{shown}");
    }
}
