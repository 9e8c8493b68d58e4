//! [`AttemptKeys`]: the keys of attempts, derived from the installation's secret key.
//!
//! Schedulers issue an attempt's [`AttemptKey`] when they queue it; schedulers and API servers
//! check the key that comes back with a report or a worker API call. They share no state for
//! it: the key is an HMAC-SHA256 of the task instance and lease under a subkey derived from
//! the secret key (itself an HMAC of a fixed label, so the sealing key is never used for
//! anything else), cut to [`ATTEMPT_KEY_BYTES`]. During a key rotation the previous keys still
//! check the keys of attempts queued before it.

use std::fmt;

use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;
use weft_protocol::{ATTEMPT_KEY_BYTES, AttemptKey, TiPk};
use zeroize::Zeroizing;

use crate::key::SecretKey;
use crate::keyring::Keyring;

type HmacSha256 = Hmac<Sha256>;

/// What the subkey is derived under; a new label would make every issued key unknown.
const LABEL: &[u8] = b"weft attempt keys v1";

/// Issues and checks attempt keys (see the [module](self)).
#[derive(Clone)]
pub struct AttemptKeys {
    /// The subkey of the current secret key: it issues keys.
    current: Zeroizing<[u8; 32]>,
    /// The subkeys of the previous secret keys: they only check keys.
    previous: Vec<Zeroizing<[u8; 32]>>,
}

impl fmt::Debug for AttemptKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttemptKeys")
            .field("keys", &(1 + self.previous.len()))
            .finish_non_exhaustive()
    }
}

impl AttemptKeys {
    /// The attempt keys of `keyring`'s secret keys.
    pub fn new(keyring: &Keyring) -> AttemptKeys {
        let subkey = |key: &SecretKey| {
            let mut mac = hmac(key.bytes());
            mac.update(LABEL);
            Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()))
        };
        AttemptKeys {
            current: subkey(keyring.current()),
            previous: keyring.previous().iter().map(subkey).collect(),
        }
    }

    /// The key of the attempt `(ti, lease)`, under the current secret key.
    pub fn issue(&self, ti: TiPk, lease: i64) -> AttemptKey {
        derive(&self.current, ti, lease)
    }

    /// Whether `key` is the key of the attempt `(ti, lease)` under any held secret key,
    /// compared in constant time.
    pub fn check(&self, ti: TiPk, lease: i64, key: &AttemptKey) -> bool {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .any(|subkey| bool::from(derive(subkey, ti, lease).0.ct_eq(&key.0)))
    }
}

fn hmac(key: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; a 32-byte key cannot be refused.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of every length"),
    }
}

fn derive(subkey: &[u8; 32], ti: TiPk, lease: i64) -> AttemptKey {
    let mut mac = hmac(subkey);
    mac.update(&ti.to_be_bytes());
    mac.update(&lease.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let mut key = [0u8; ATTEMPT_KEY_BYTES];
    key.copy_from_slice(&digest[..ATTEMPT_KEY_BYTES]);
    AttemptKey(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(current: &SecretKey, previous: &[SecretKey]) -> AttemptKeys {
        AttemptKeys::new(&Keyring::new(current.clone(), previous.to_vec()))
    }

    #[test]
    fn a_key_checks_only_for_its_own_attempt() {
        let secret = SecretKey::generate();
        let keys = keys(&secret, &[]);
        let key = keys.issue(7, 3);
        assert!(keys.check(7, 3, &key));
        assert!(
            !keys.check(7, 4, &key),
            "another lease of the same instance"
        );
        assert!(!keys.check(8, 3, &key), "another task instance");
        assert_ne!(keys.issue(7, 4), key);
        let mut flipped = key;
        flipped.0[0] ^= 1;
        assert!(!keys.check(7, 3, &flipped));
    }

    #[test]
    fn keys_depend_on_the_secret_key_and_survive_a_rotation() {
        let old = SecretKey::generate();
        let new = SecretKey::generate();
        let before = keys(&old, &[]).issue(1, 1);
        assert!(
            !keys(&new, &[]).check(1, 1, &before),
            "another installation's key"
        );
        let rotating = keys(&new, std::slice::from_ref(&old));
        assert!(rotating.check(1, 1, &before), "queued before the rotation");
        assert!(rotating.check(1, 1, &rotating.issue(1, 1)));
        assert_eq!(rotating.issue(1, 1), keys(&new, &[]).issue(1, 1));
    }

    #[test]
    fn debug_shows_no_key() {
        let keys = keys(&SecretKey::generate(), &[]);
        let shown = format!("{keys:?}");
        assert_eq!(shown, "AttemptKeys { keys: 1, .. }");
    }
}
