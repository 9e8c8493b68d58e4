//! Tenants and roles: who may do what, and in which tenant.
//!
//! Every object (DAG, run, variable, pool, connection, secret, token) belongs to one tenant.
//! An API token belongs to one tenant and carries one [`Role`]; each role may do what the
//! roles below it may, and more:
//!
//! | role       | may                                                              |
//! |------------|------------------------------------------------------------------|
//! | `viewer`   | read the tenant's DAGs, runs, logs, XCom, variables, pools       |
//! | `operator` | also trigger, backfill, clear, mark, pause and unpause           |
//! | `editor`   | also deploy, and change variables, connections, secrets, pools   |
//! | `admin`    | also create, list and revoke the tenant's tokens                 |
//!
//! Managing tenants themselves is the installation administrator's, who is no tenant's.
//!
//! ```
//! use weft_model::tenancy::{Role, check_tenant_name};
//!
//! assert!(Role::Editor.allows(Role::Operator));
//! assert!(!Role::Viewer.allows(Role::Operator));
//! assert_eq!("operator".parse::<Role>()?, Role::Operator);
//! assert!(check_tenant_name("team-a").is_ok());
//! assert!(check_tenant_name("Team A").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::names::named_enum;

named_enum! {
    /// What a token may do in its tenant. Ordered: each role allows what the ones before it do.
    pub enum Role ("role") {
        /// Reads.
        Viewer => "viewer",
        /// Reads, and steering runs: trigger, backfill, clear, mark, pause.
        Operator => "operator",
        /// An operator who also deploys and edits variables, connections, secrets and pools.
        Editor => "editor",
        /// An editor who also manages the tenant's tokens.
        Admin => "admin",
    }
}

impl Role {
    /// Where the role stands, from `viewer` (0) up.
    const fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Operator => 1,
            Role::Editor => 2,
            Role::Admin => 3,
        }
    }

    /// Whether a token of this role may do what `needed` may.
    pub const fn allows(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }
}

/// The tenant that exists in every installation, and that a single-team one uses alone.
pub const DEFAULT_TENANT: &str = "default";

/// The largest weight a tenant may have in the fair sharing of slots (the smallest is 1).
pub const MAX_TENANT_WEIGHT: u32 = 1000;

/// Checks a tenant's weight: 1 to [`MAX_TENANT_WEIGHT`].
pub fn check_tenant_weight(weight: u32) -> Result<(), String> {
    if (1..=MAX_TENANT_WEIGHT).contains(&weight) {
        Ok(())
    } else {
        Err(format!(
            "a tenant's weight is 1 to {MAX_TENANT_WEIGHT}, not {weight}"
        ))
    }
}

/// Longest tenant name, in characters.
pub const MAX_TENANT_NAME_LEN: usize = 63;

/// What [`check_tenant_name`] allows, as a regular expression (for API documents).
pub const TENANT_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9_-]*$";

/// Why a tenant name is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantNameIssue {
    /// Empty.
    #[error("a tenant name cannot be empty")]
    Empty,
    /// Too long.
    #[error("tenant name is {len} characters long; at most {MAX_TENANT_NAME_LEN} are allowed")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A character outside `a-z`, `0-9`, `-` and `_`, or a first character that is not a
    /// letter or digit.
    #[error(
        "tenant name {name:?} has {ch:?}: use lowercase letters, digits, '-' and '_', \
         starting with a letter or digit"
    )]
    BadChar {
        /// The name.
        name: String,
        /// The first character that is not allowed.
        ch: char,
    },
}

/// Checks that `name` can name a tenant: 1 to 63 lowercase ASCII letters, digits, `-` or
/// `_`, starting with a letter or digit (so that it can also name a queue, a Redis key part
/// or a DNS label).
pub fn check_tenant_name(name: &str) -> Result<(), TenantNameIssue> {
    let Some(first) = name.chars().next() else {
        return Err(TenantNameIssue::Empty);
    };
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !allowed(first) {
        return Err(TenantNameIssue::BadChar {
            name: name.to_owned(),
            ch: first,
        });
    }
    if let Some(ch) = name
        .chars()
        .find(|&c| !(allowed(c) || c == '-' || c == '_'))
    {
        return Err(TenantNameIssue::BadChar {
            name: name.to_owned(),
            ch,
        });
    }
    if name.len() > MAX_TENANT_NAME_LEN {
        return Err(TenantNameIssue::TooLong { len: name.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_allows_itself_and_those_below() {
        for (i, held) in Role::ALL.iter().enumerate() {
            for (j, needed) in Role::ALL.iter().enumerate() {
                assert_eq!(held.allows(*needed), i >= j, "{held} for {needed}");
            }
        }
    }

    #[test]
    fn tenant_names_are_checked() {
        for good in [
            "default",
            "a",
            "team-a",
            "team_b2",
            "9lives",
            &"x".repeat(63),
        ] {
            assert_eq!(check_tenant_name(good), Ok(()), "{good}");
        }
        assert_eq!(check_tenant_name(""), Err(TenantNameIssue::Empty));
        assert_eq!(
            check_tenant_name(&"x".repeat(64)),
            Err(TenantNameIssue::TooLong { len: 64 })
        );
        for (bad, ch) in [
            ("Team", 'T'),
            ("-a", '-'),
            ("a b", ' '),
            ("a/b", '/'),
            ("a.b", '.'),
            ("é", 'é'),
        ] {
            match check_tenant_name(bad) {
                Err(TenantNameIssue::BadChar { ch: found, .. }) => assert_eq!(found, ch, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
