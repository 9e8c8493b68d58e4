//! `wfctl redis-acl`: the Redis user of a worker that serves named tenants, so that Redis is
//! no longer a zone every worker trusts: the user can take, acknowledge and extend only its
//! tenants' queued tasks, and add reports to its tenants' report streams (one per tenant),
//! which it cannot read back, trim or delete. What it reports is taken only with the keys of
//! the attempts it was handed (see `weft_protocol::AttemptKey`).
//!
//! The password is read from `WEFT_REDIS_ACL_PASSWORD` (never a flag, which other users of
//! the machine could read in the process list) and given to Redis as its SHA-256
//! (`#<hex>`), so it appears neither in the printed command nor in Redis's own `ACL LIST`.
//!
//! What the user still may do is run the queue's Lua on its own tenants' keys (its
//! operations are scripts): a script that loops blocks the Redis server for every tenant
//! until an administrator stops it. That is a denial of service, not access to another
//! tenant's tasks; give untrusted tenants a Redis server of their own where that matters.

use clap::Args as ClapArgs;
use sha2::{Digest as _, Sha256};

use crate::exit::{CommandResult, Failure};
use crate::services;

/// Print (or apply) the Redis ACL user of a worker serving named tenants. Give the worker a
/// Redis URL with this user (`redis://USER:PASSWORD@HOST:PORT`) and `--tenants` with the same
/// names. The user's password is read from `WEFT_REDIS_ACL_PASSWORD`.
#[derive(ClapArgs)]
pub struct Args {
    /// The Redis user name.
    #[arg(long)]
    user: String,
    /// The tenants whose tasks the worker runs, comma-separated.
    #[arg(long, env = "WEFT_TENANTS")]
    tenants: String,
    /// The installation's Redis key prefix (as its processes' `--namespace`).
    #[arg(long, env = "WEFT_REDIS_NAMESPACE", default_value = "weft")]
    namespace: String,
    /// Make the user on this Redis server (with an account allowed to manage users) instead
    /// of printing the command.
    #[arg(long, value_name = "REDIS_URL")]
    apply: Option<String>,
    #[command(flatten)]
    trust: crate::trust::TrustArgs,
}

impl std::fmt::Debug for Args {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Args")
            .field("user", &self.user)
            .field("tenants", &self.tenants)
            .field("namespace", &self.namespace)
            .field("apply", &self.apply.as_deref().map(weft_redis::redact))
            .finish()
    }
}

/// Where the user's password is read from.
const PASSWORD_ENV: &str = "WEFT_REDIS_ACL_PASSWORD";

impl Args {
    /// The arguments of `ACL SETUSER` for the worker's user with `password`.
    fn rules(&self, password: &str) -> Result<Vec<String>, Failure> {
        let tenants = services::tenant_names(&self.tenants, "--tenants")?;
        if self.user.is_empty() || self.user.contains(char::is_whitespace) {
            return Err(Failure::usage(format!(
                "--user {:?} must be a name without spaces",
                self.user
            )));
        }
        if self.user == "default" {
            // `reset` would take from the default user, which the scheduler and servers may
            // log in as, everything but a worker's rights.
            return Err(Failure::usage(
                "--user default is Redis's own user: name the worker's user",
            ));
        }
        if password.is_empty() {
            return Err(Failure::usage(format!("{PASSWORD_ENV} is empty or unset")));
        }
        let worker_rules = weft_redis::acl::worker_rules(&self.namespace, &tenants)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let mut rules = vec![
            self.user.clone(),
            "reset".to_owned(),
            "on".to_owned(),
            format!("#{}", hex::encode(Sha256::digest(password.as_bytes()))),
        ];
        rules.extend(worker_rules);
        Ok(rules)
    }
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let password = std::env::var(PASSWORD_ENV).unwrap_or_default();
    let rules = args.rules(&password)?;
    let Some(url) = &args.apply else {
        // Single-quoted, so that neither a shell nor redis-cli reads `#...` as a comment, `$`
        // as a variable or `\*` (an escaped glob character) as anything but itself.
        if rules.iter().any(|rule| rule.contains('\'')) {
            return Err(Failure::usage(
                "the namespace holds a quote, which cannot be printed safely: use --apply",
            ));
        }
        let shown: Vec<String> = rules.iter().map(|rule| format!("'{rule}'")).collect();
        println!("ACL SETUSER {}", shown.join(" "));
        return Ok(());
    };
    services::block_on(async move {
        let trust = args.trust.trust()?;
        let link = weft_redis::Link::open(url, &trust, weft_redis::Policy::BUS)
            .await
            .map_err(|e| Failure::usage(format!("--apply: {e}")))?;
        let shown = link.url();
        let mut conn = link.shared();
        redis::cmd("ACL")
            .arg("SETUSER")
            .arg(&rules)
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| Failure::usage(format!("--apply {shown}: ACL SETUSER refused: {e}")))?;
        println!(
            "Redis user {} may now serve tenants {} under namespace {}",
            args.user, args.tenants, args.namespace
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(user: &str, tenants: &str) -> Args {
        Args {
            user: user.into(),
            tenants: tenants.into(),
            namespace: "weft".into(),
            apply: Some("redis://admin:admin-pass@127.0.0.1:6379".into()),
            trust: crate::trust::TrustArgs::default(),
        }
    }

    #[test]
    fn the_rules_name_the_tenants_keys_and_hide_the_password() {
        let args = args("worker-a", "team-a,team-b");
        let rules = args.rules("s3cret-pass").expect("rules");
        let shown = format!("{args:?}");
        assert!(!shown.contains("admin-pass"), "{shown}");
        let line = rules.join(" ");
        assert!(line.starts_with("worker-a reset on #"), "{line}");
        assert!(!line.contains("s3cret-pass"), "{line}");
        for pattern in [
            "~weft:q:t:team-a:*",
            "~weft:q:t:team-b:*",
            "(%W~weft:bus:reports:team-a %W~weft:bus:reports:team-b +xadd)",
            "-@all",
        ] {
            assert!(rules.iter().any(|r| r == pattern), "{pattern}: {line}");
        }
        assert!(!line.contains("~*"), "{line}");
    }

    #[test]
    fn bad_settings_are_named() {
        for (user, tenants, password, expected) in [
            ("worker-a", "", "p", "--tenants names no tenant"),
            ("worker-a", "Team A", "p", "--tenants"),
            ("worker-a", "*", "p", "--tenants"),
            ("worker-a", "team-a", "", "WEFT_REDIS_ACL_PASSWORD is empty"),
            ("default", "team-a", "p", "--user default"),
            ("two words", "team-a", "p", "without spaces"),
        ] {
            let Err(Failure::Usage(message)) = args(user, tenants).rules(password) else {
                panic!("{user:?} {tenants:?} {password:?} accepted");
            };
            assert!(message.contains(expected), "{message}");
        }
    }
}
