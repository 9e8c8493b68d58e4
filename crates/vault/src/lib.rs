//! Weft's encryption at rest for connections and secrets, and the keys of attempts.
//!
//! Every sealed value is XChaCha20-Poly1305 ciphertext under a random 24-byte nonce, tagged
//! with the id of the key that sealed it and bound (as associated data) to what it is: its
//! tenant, its kind, its name and its field ([`Binding`]). A value copied onto another row
//! fails to open, as does one opened with the wrong key or changed by a single bit.
//!
//! A [`Keyring`] holds the current key, which seals, and previous keys, which only open: to
//! rotate, make the new key current and the old one previous, re-seal every value (the
//! store's `rotate`), then drop the old key. Keys come from [`KeySettings`]:
//! `WEFT_SECRET_KEY` (base64 of 32 bytes) or `WEFT_SECRET_KEY_FILE`, previous keys from
//! `WEFT_SECRET_KEY_PREVIOUS` (comma-separated); standalone mode generates a key file of its
//! own in its home directory when none is configured ([`KeySettings::keyring_or_generate`]).
//!
//! ```
//! use weft_vault::{Binding, Keyring, SecretKey};
//!
//! let keyring = Keyring::new(SecretKey::generate(), Vec::new());
//! let binding = Binding::new("default", "secret", "api_token", "value");
//! let sealed = keyring.seal(&binding, b"s3cr3t")?;
//! assert_eq!(keyring.open(&binding, &sealed)?.as_slice(), b"s3cr3t");
//! # Ok::<(), weft_vault::VaultError>(())
//! ```
//!
//! # Layout
//! - [`key`]: a key and its id; [`keyring`]: current and previous keys, from settings or a
//!   key file; [`seal`]: the sealed format and its associated data;
//! - [`attempt_keys`]: the keys of attempts ([`AttemptKeys`]), derived from the secret key;
//! - [`error`]: what can go wrong.

pub mod attempt_keys;
pub mod error;
pub mod key;
pub mod keyring;
pub mod seal;

pub use attempt_keys::AttemptKeys;
pub use error::VaultError;
pub use key::{KeyId, SecretKey};
pub use keyring::{ENV_KEY, ENV_KEY_FILE, ENV_KEY_PREVIOUS, KEY_FILE_NAME, KeySettings, Keyring};
pub use seal::{Binding, sealed_key_id};
