//! The sealed format and what binds a sealed value to its row.
//!
//! A sealed value is `WV1` (3 bytes), the sealing key's [`KeyId`] (8 bytes), a random
//! 24-byte nonce, then the XChaCha20-Poly1305 ciphertext with its 16-byte tag. The
//! associated data is the header and the [`Binding`], each part length-prefixed, so that
//! no two bindings read alike.

use std::fmt;

use crate::key::KeyId;

/// What a sealed value starts with (format version 1).
pub(crate) const MAGIC: &[u8; 3] = b"WV1";
/// Length of a nonce.
pub(crate) const NONCE_BYTES: usize = 24;
/// Length of the authentication tag.
pub(crate) const TAG_BYTES: usize = 16;
/// Length of everything before the ciphertext.
pub(crate) const HEADER_BYTES: usize = MAGIC.len() + 8 + NONCE_BYTES;

/// What a sealed value is: opening it under any other binding fails, so rows cannot be
/// swapped or copied between tenants, kinds, names or fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The tenant owning the value.
    pub tenant: String,
    /// What kind of thing holds it: `connection`, `secret`, `key-check`.
    pub kind: String,
    /// The thing's name: a connection id, a secret's name.
    pub name: String,
    /// Which of its fields: `password`, `extra`, `value`.
    pub field: String,
}

impl Binding {
    /// The binding of field `field` of `kind` `name` in `tenant`.
    pub fn new(
        tenant: impl Into<String>,
        kind: impl Into<String>,
        name: impl Into<String>,
        field: impl Into<String>,
    ) -> Binding {
        Binding {
            tenant: tenant.into(),
            kind: kind.into(),
            name: name.into(),
            field: field.into(),
        }
    }

    /// The associated data for a value sealed under `key_id` and `nonce`.
    pub(crate) fn associated_data(&self, key_id: KeyId, nonce: &[u8]) -> Vec<u8> {
        let mut data = Vec::with_capacity(64 + self.name.len());
        data.extend_from_slice(MAGIC);
        data.extend_from_slice(&key_id.0);
        data.extend_from_slice(nonce);
        for part in [&self.tenant, &self.kind, &self.name, &self.field] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            data.extend_from_slice(&len.to_be_bytes());
            data.extend_from_slice(part.as_bytes());
        }
        data
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} ({}) of tenant {}",
            self.kind, self.name, self.field, self.tenant
        )
    }
}

/// The parts of a sealed value.
pub(crate) struct Parts<'a> {
    pub(crate) key_id: KeyId,
    pub(crate) nonce: &'a [u8],
    pub(crate) ciphertext: &'a [u8],
}

/// Split `sealed` into its parts; `Err` says what is wrong with it.
pub(crate) fn split(sealed: &[u8]) -> Result<Parts<'_>, &'static str> {
    if sealed.len() < HEADER_BYTES + TAG_BYTES {
        return Err("too short");
    }
    if &sealed[..MAGIC.len()] != MAGIC {
        return Err("it does not start with WV1");
    }
    let mut key_id = [0u8; 8];
    key_id.copy_from_slice(&sealed[MAGIC.len()..MAGIC.len() + 8]);
    Ok(Parts {
        key_id: KeyId(key_id),
        nonce: &sealed[MAGIC.len() + 8..HEADER_BYTES],
        ciphertext: &sealed[HEADER_BYTES..],
    })
}

/// The id of the key that sealed `sealed`, if it is a sealed value.
pub fn sealed_key_id(sealed: &[u8]) -> Option<KeyId> {
    split(sealed).ok().map(|p| p.key_id)
}
