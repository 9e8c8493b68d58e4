//! The keys a process holds: the current one, which seals, and previous ones, which only
//! open (during a rotation). They come from [`KeySettings`]: the environment, a key file, or
//! in standalone mode a key file generated on first start.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead as _, AeadCore as _, OsRng, Payload};
use zeroize::Zeroizing;

use crate::error::VaultError;
use crate::key::{KeyId, SecretKey};
use crate::seal::{self, Binding, MAGIC};

/// The variable holding the current key (base64 of 32 bytes).
pub const ENV_KEY: &str = "WEFT_SECRET_KEY";
/// The variable naming a file holding the current key (base64 of 32 bytes).
pub const ENV_KEY_FILE: &str = "WEFT_SECRET_KEY_FILE";
/// The variable holding previous keys, comma-separated (base64 of 32 bytes each).
pub const ENV_KEY_PREVIOUS: &str = "WEFT_SECRET_KEY_PREVIOUS";
/// The name of the key file standalone mode generates in its home directory.
pub const KEY_FILE_NAME: &str = "secret.key";

/// The keys of a process: `current` seals, every key opens what it sealed.
#[derive(Clone)]
pub struct Keyring {
    current: SecretKey,
    previous: Vec<SecretKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id())
            .field(
                "previous",
                &self.previous.iter().map(SecretKey::id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Keyring {
    /// A keyring sealing with `current` and opening with it and `previous`.
    pub fn new(current: SecretKey, previous: Vec<SecretKey>) -> Keyring {
        let previous = previous
            .into_iter()
            .filter(|k| k.id() != current.id())
            .collect();
        Keyring { current, previous }
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> KeyId {
        self.current.id()
    }

    /// The ids of every key held, the current one first.
    pub fn ids(&self) -> Vec<KeyId> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(SecretKey::id)
            .collect()
    }

    /// The key that seals.
    pub(crate) fn current(&self) -> &SecretKey {
        &self.current
    }

    /// The keys that only open.
    pub(crate) fn previous(&self) -> &[SecretKey] {
        &self.previous
    }

    /// The key with id `id`, if held.
    fn key(&self, id: KeyId) -> Option<&SecretKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id() == id)
    }

    /// `plaintext` sealed with the current key, bound to `binding`.
    pub fn seal(&self, binding: &Binding, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let key_id = self.current.id();
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = binding.associated_data(key_id, &nonce);
        let ciphertext = self
            .current
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Seal {
                what: binding.to_string(),
            })?;
        let mut sealed = Vec::with_capacity(seal::HEADER_BYTES + ciphertext.len());
        sealed.extend_from_slice(MAGIC);
        sealed.extend_from_slice(&key_id.0);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// The plaintext of `sealed`, which must have been sealed under `binding` with a key
    /// this keyring holds.
    pub fn open(&self, binding: &Binding, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let parts = seal::split(sealed).map_err(|reason| VaultError::Malformed {
            what: binding.to_string(),
            reason,
        })?;
        let key = self
            .key(parts.key_id)
            .ok_or_else(|| VaultError::UnknownKey {
                what: binding.to_string(),
                key_id: parts.key_id,
                held: self.held(),
            })?;
        let aad = binding.associated_data(parts.key_id, parts.nonce);
        key.cipher()
            .decrypt(
                parts.nonce.into(),
                Payload {
                    msg: parts.ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Tampered {
                what: binding.to_string(),
                key_id: parts.key_id,
            })
    }

    /// `sealed` sealed again with the current key, or `None` when the current key sealed it
    /// already.
    pub fn reseal(&self, binding: &Binding, sealed: &[u8]) -> Result<Option<Vec<u8>>, VaultError> {
        if seal::sealed_key_id(sealed) == Some(self.current.id()) {
            // Still opened, so that a tampered value is reported rather than carried over.
            self.open(binding, sealed)?;
            return Ok(None);
        }
        let plaintext = self.open(binding, sealed)?;
        self.seal(binding, &plaintext).map(Some)
    }

    /// The ids of the keys held, comma-separated.
    pub fn held(&self) -> String {
        self.ids()
            .iter()
            .map(KeyId::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where keys come from, as configured: the values of `WEFT_SECRET_KEY`,
/// `WEFT_SECRET_KEY_FILE` and `WEFT_SECRET_KEY_PREVIOUS` (see [`KeySettings::from_env`]).
/// `Debug` never shows a key.
#[derive(Default, Clone)]
pub struct KeySettings {
    /// The current key, base64 of 32 bytes.
    pub key: Option<String>,
    /// A file holding the current key, base64 of 32 bytes; used when `key` is none.
    pub key_file: Option<PathBuf>,
    /// Previous keys, comma-separated, base64 of 32 bytes each.
    pub previous: Option<String>,
}

impl fmt::Debug for KeySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySettings")
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("key_file", &self.key_file)
            .field("previous", &self.previous.as_ref().map(|_| "***"))
            .finish()
    }
}

impl KeySettings {
    /// The settings in this process's environment (empty variables count as unset).
    pub fn from_env() -> KeySettings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        KeySettings {
            key: var(ENV_KEY),
            key_file: var(ENV_KEY_FILE).map(PathBuf::from),
            previous: var(ENV_KEY_PREVIOUS),
        }
    }

    /// The keyring configured, or `None` when no current key is configured.
    pub fn keyring(&self) -> Result<Option<Keyring>, VaultError> {
        let current = match (&self.key, &self.key_file) {
            (Some(key), _) => SecretKey::from_base64(key, ENV_KEY)?,
            (None, Some(path)) => read_key_file(path)?,
            (None, None) => return Ok(None),
        };
        Ok(Some(Keyring::new(current, self.previous_keys()?)))
    }

    /// The keyring configured; without one, the key in `dir`/[`KEY_FILE_NAME`], generated
    /// (mode 0600) on first use. For standalone mode, which must work out of the box.
    pub fn keyring_or_generate(&self, dir: &Path) -> Result<Keyring, VaultError> {
        if let Some(keyring) = self.keyring()? {
            return Ok(keyring);
        }
        let current = load_or_create_key_file(&dir.join(KEY_FILE_NAME))?;
        Ok(Keyring::new(current, self.previous_keys()?))
    }

    fn previous_keys(&self) -> Result<Vec<SecretKey>, VaultError> {
        let Some(list) = &self.previous else {
            return Ok(Vec::new());
        };
        list.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .enumerate()
            .map(|(i, k)| SecretKey::from_base64(k, &format!("{ENV_KEY_PREVIOUS} (key {})", i + 1)))
            .collect()
    }
}

/// The key in `path`.
fn read_key_file(path: &Path) -> Result<SecretKey, VaultError> {
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| VaultError::KeyFile {
                path: path.to_owned(),
                what: "reading it",
                source,
            })?,
        );
    warn_if_readable_by_others(path);
    SecretKey::from_base64(&text, &format!("key file {}", path.display()))
}

/// The key in `path`, or a new one written there (mode 0600) when the file does not exist.
/// Two processes starting at once agree on one key: the file appears whole or not at all.
fn load_or_create_key_file(path: &Path) -> Result<SecretKey, VaultError> {
    match std::fs::metadata(path) {
        Ok(_) => return read_key_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(VaultError::KeyFile {
                path: path.to_owned(),
                what: "looking for it",
                source,
            });
        }
    }
    let failed = |what: &'static str| {
        move |source| VaultError::KeyFile {
            path: path.to_owned(),
            what,
            source,
        }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed("creating its directory"))?;
    }
    let key = SecretKey::generate();
    let staging = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = write_private(&staging, key.to_base64().as_bytes());
    let linked = written.and_then(|()| std::fs::hard_link(&staging, path));
    let _ = std::fs::remove_file(&staging);
    match linked {
        Ok(()) => {
            tracing::info!(
                path = %path.display(),
                key_id = %key.id(),
                "generated a secret key for connections and secrets; back this file up"
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(path),
        Err(e) => Err(failed("writing it")(e)),
    }
}

/// Write `bytes` to a new file at `path` that only its owner may read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// A warning when other users may read the key file.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{mode:o}"),
                    "the secret key file is readable by other users; chmod 600 it"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests;
