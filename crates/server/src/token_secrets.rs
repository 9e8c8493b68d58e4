//! The form of a tenant's API token, `wft_<id>_<secret>`: `<id>` (16 hex digits) finds the
//! token's row, `<secret>` (32 random bytes, base64url) proves it. The store keeps only the
//! SHA-256 digest of the secret, so a copy of the database holds no usable token; the secret
//! is shown once, when the token is made.
//!
//! Secrets are random, not chosen by people, so one SHA-256 is enough: there is nothing to
//! guess that a slow hash would protect.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

/// What every tenant token starts with.
pub const PREFIX: &str = "wft_";
/// Hex digits of a token id.
const ID_HEX: usize = 16;
/// Random bytes of a token's secret.
const SECRET_BYTES: usize = 32;

/// A new token: its id, the whole token to hand out once, and the digest to store.
pub(crate) struct Minted {
    /// The public part.
    pub(crate) id: String,
    /// The token, `wft_<id>_<secret>`.
    pub(crate) token: String,
    /// Hex SHA-256 of the secret part.
    pub(crate) digest: String,
}

/// Why no token could be made: the system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("the system's random source failed: {0}")]
pub(crate) struct NoRandomness(#[source] getrandom::Error);

/// A new random token.
pub(crate) fn mint() -> Result<Minted, NoRandomness> {
    let mut id = [0u8; ID_HEX / 2];
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut id).map_err(NoRandomness)?;
    getrandom::fill(&mut secret).map_err(NoRandomness)?;
    let id = hex::encode(id);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    Ok(Minted {
        token: format!("{PREFIX}{id}_{secret}"),
        digest: digest(&secret),
        id,
    })
}

/// The id and secret of `presented`, when it has the form of a tenant token.
pub(crate) fn split(presented: &str) -> Option<(&str, &str)> {
    let (id, secret) = presented.strip_prefix(PREFIX)?.split_once('_')?;
    let id_ok = id.len() == ID_HEX && id.bytes().all(|b| b.is_ascii_hexdigit());
    (id_ok && !secret.is_empty()).then_some((id, secret))
}

/// Hex SHA-256 of a secret, as stored.
pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` is the one whose digest is `stored`, compared in time that does not
/// depend on where they differ.
pub(crate) fn matches(secret: &str, stored: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    let presented = digest(secret);
    presented.len() == stored.len() && bool::from(presented.as_bytes().ct_eq(stored.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_splits_back_and_matches_its_digest_only() {
        let minted = mint().expect("random");
        let (id, secret) = split(&minted.token).expect("its own form");
        assert_eq!(id, minted.id);
        assert!(matches(secret, &minted.digest));
        assert!(!minted.token.contains(&minted.digest));
        let other = mint().expect("random");
        assert_ne!(other.id, minted.id);
        let (_, other_secret) = split(&other.token).expect("its own form");
        assert!(!matches(other_secret, &minted.digest));
        assert!(!matches(secret, ""));
    }

    #[test]
    fn other_forms_are_not_tokens() {
        for bad in [
            "",
            "wft_",
            "wft_0123456789abcdef",
            "wft_0123456789abcdef_",
            "wft_0123456789abcde_x",
            "wft_0123456789abcdeg_x",
            "xyz_0123456789abcdef_x",
            "admin-token",
        ] {
            assert_eq!(split(bad), None, "{bad}");
        }
        assert_eq!(
            split("wft_0123456789abcdef_s3cr_et"),
            Some(("0123456789abcdef", "s3cr_et"))
        );
    }
}
