//! `wfctl redis-acl`: the Redis user of a worker that serves named tenants, so that Redis is
//! no longer a zone every worker trusts: the user can take, acknowledge and extend only its
//! tenants' queued tasks, and add reports it cannot read back. What it reports is taken only
//! with the keys of the attempts it was handed (see `weft_protocol::AttemptKey`).
//!
//! The password is read from `WEFT_REDIS_ACL_PASSWORD` and given to Redis as its SHA-256
//! (`#<hex>`), so it appears neither in the printed command nor in Redis's own `ACL LIST`.

use clap::Args as ClapArgs;
use sha2::{Digest as _, Sha256};

use crate::exit::{CommandResult, Failure};
use crate::services;

/// Print (or apply) the Redis ACL user of a worker serving named tenants. Give the worker a
/// Redis URL with this user (`redis://USER:PASSWORD@HOST:PORT`) and `--tenants` with the same
/// names.
#[derive(Debug, ClapArgs)]
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
    /// The user's password.
    #[arg(long, env = "WEFT_REDIS_ACL_PASSWORD", hide_env_values = true)]
    password: String,
    /// Make the user on this Redis server (with an account allowed to manage users) instead
    /// of printing the command.
    #[arg(long, value_name = "REDIS_URL")]
    apply: Option<String>,
}

impl Args {
    /// The arguments of `ACL SETUSER` for the worker's user.
    fn rules(&self) -> Result<Vec<String>, Failure> {
        let tenants = services::list(&self.tenants);
        if tenants.is_empty() {
            return Err(Failure::usage("--tenants names no tenant"));
        }
        for name in &tenants {
            weft_model::tenancy::check_tenant_name(name)
                .map_err(|e| Failure::usage(format!("--tenants: {e}")))?;
        }
        if self.user.is_empty() || self.user.contains(char::is_whitespace) {
            return Err(Failure::usage(format!(
                "--user {:?} must be a name without spaces",
                self.user
            )));
        }
        if self.password.is_empty() {
            return Err(Failure::usage("WEFT_REDIS_ACL_PASSWORD is empty"));
        }
        let queue_keys = weft_queue::redis::worker_acl_keys(&self.namespace, &tenants)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let escaped = weft_queue::redis::glob_escape(&self.namespace);
        let mut rules = vec![
            self.user.clone(),
            "reset".to_owned(),
            "on".to_owned(),
            format!("#{}", hex::encode(Sha256::digest(self.password.as_bytes()))),
        ];
        rules.extend(queue_keys);
        rules.extend(
            weft_queue::redis::WORKER_ACL_COMMANDS
                .iter()
                .map(|&c| c.to_owned()),
        );
        rules.extend(weft_bus::worker_acl_rules(&escaped));
        Ok(rules)
    }
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let rules = args.rules()?;
    let Some(url) = &args.apply else {
        println!("ACL SETUSER {}", rules.join(" "));
        return Ok(());
    };
    services::block_on(async move {
        let shown = weft_bus::error::redact(url);
        let client = redis::Client::open(url.as_str())
            .map_err(|e| Failure::usage(format!("--apply {shown}: {e}")))?;
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| Failure::usage(format!("--apply {shown}: {e}")))?;
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

    fn args(tenants: &str, password: &str) -> Args {
        Args {
            user: "worker-a".into(),
            tenants: tenants.into(),
            namespace: "weft".into(),
            password: password.into(),
            apply: None,
        }
    }

    #[test]
    fn the_rules_name_the_tenants_keys_and_hide_the_password() {
        let rules = args("team-a,team-b", "s3cret-pass").rules().expect("rules");
        let line = rules.join(" ");
        assert!(line.starts_with("worker-a reset on #"), "{line}");
        assert!(!line.contains("s3cret-pass"), "{line}");
        for pattern in [
            "~weft:q:t:team-a:*",
            "~weft:q:t:team-b:*",
            "%W~weft:bus:reports",
            "-@all",
        ] {
            assert!(rules.iter().any(|r| r == pattern), "{pattern}: {line}");
        }
        assert!(!line.contains("~*"), "{line}");
    }

    #[test]
    fn bad_settings_are_named() {
        for (tenants, password, expected) in [
            ("", "p", "--tenants names no tenant"),
            ("Team A", "p", "--tenants"),
            ("*", "p", "--tenants"),
            ("team-a", "", "WEFT_REDIS_ACL_PASSWORD is empty"),
        ] {
            let Err(Failure::Usage(message)) = args(tenants, password).rules() else {
                panic!("{tenants:?} {password:?} accepted");
            };
            assert!(message.contains(expected), "{message}");
        }
    }
}
