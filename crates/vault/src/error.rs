//! Why a key cannot be loaded or a value cannot be sealed or opened. No message ever holds
//! a key or a plaintext.

use std::path::PathBuf;

use crate::key::KeyId;

/// Why a vault operation failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A key is not base64 text.
    #[error("{origin} is not base64 (standard alphabet, with padding): {source}")]
    KeyNotBase64 {
        /// Where the key came from: an environment variable or a file.
        origin: String,
        /// What the decoder said.
        #[source]
        source: base64::DecodeError,
    },
    /// A key does not decode to 32 bytes.
    #[error(
        "{origin} must be the base64 of exactly 32 bytes, not {len} bytes \
         (make one with `openssl rand -base64 32`)"
    )]
    KeyLength {
        /// Where the key came from.
        origin: String,
        /// How many bytes it decodes to.
        len: usize,
    },
    /// A key file cannot be read, created or written.
    #[error("key file {}: {what}: {source}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// No key is configured where one is required.
    #[error(
        "no secret key configured: set WEFT_SECRET_KEY (base64 of 32 bytes, e.g. from \
         `openssl rand -base64 32`) or WEFT_SECRET_KEY_FILE"
    )]
    NoKey,
    /// A sealed value was sealed with a key the keyring does not hold.
    #[error(
        "{what} was sealed with key {key_id}, which is neither WEFT_SECRET_KEY nor one of \
         WEFT_SECRET_KEY_PREVIOUS (keys held: {held})"
    )]
    UnknownKey {
        /// The value.
        what: String,
        /// The key it names.
        key_id: KeyId,
        /// The ids of the keys held, comma-separated.
        held: String,
    },
    /// A sealed value does not open: changed, truncated, or bound to another row.
    #[error("{what} does not open with key {key_id}: it was changed, or belongs to another row")]
    Tampered {
        /// The value.
        what: String,
        /// The key tried.
        key_id: KeyId,
    },
    /// Bytes that are not a sealed value at all.
    #[error("{what} is not a sealed value: {reason}")]
    Malformed {
        /// The value.
        what: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The cipher refused to seal (a value too large for it).
    #[error("sealing {what} failed")]
    Seal {
        /// The value.
        what: String,
    },
}
