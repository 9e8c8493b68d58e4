//! The ACL rules of every Weft Redis user, in one place: what a worker serving some tenants
//! may do, on the queue (take, ack, extend and release its tenants' tasks) and on the bus
//! (add to its tenants' report streams), and nothing more. `wfctl redis-acl` prints or
//! applies them; the scheduler and the API servers log in as a user of their own with every
//! right.
//!
//! ```
//! let rules = weft_redis::acl::worker_rules("weft", &["team-a".to_owned()])?;
//! let line = format!("ACL SETUSER worker-team-a reset on >PASSWORD {}", rules.join(" "));
//! assert!(line.starts_with("ACL SETUSER worker-team-a reset on >PASSWORD ~weft:q:t:team-a:* -@all +ping"));
//! assert!(line.ends_with(" (%W~weft:bus:reports:team-a +xadd)"));
//! # Ok::<(), weft_redis::acl::AclError>(())
//! ```

use weft_model::tenancy::{TenantNameIssue, check_tenant_name};

use crate::keys::{queue_root, reports_stream, scope_prefix};

/// The command rules of a worker's Redis user on the queue, in `ACL SETUSER` form: exactly
/// the commands a worker's queue operations (take, ack, extend, release on its tenants'
/// queues) send or run in their scripts, and nothing else.
///
/// Categories such as `+@all -@dangerous` or `+@read +@write +@scripting` are not enough of
/// a fence: they allow commands whose reach no key pattern limits (`SCAN` and `RANDOMKEY`
/// list other scopes' key names; `FUNCTION FLUSH`, `SCRIPT FLUSH` and `SCRIPT KILL` act on
/// the whole server). Redis checks every command a script runs (`redis.call`), and every key
/// it names, against the calling user's ACL, so the scripts' own commands are listed too.
/// Those also let the user run them directly, on its own tenants' queue keys only.
///
/// Not included: what pushing and the queue's stats need (`INCRBY`, `HSET`, `SADD`,
/// `SMEMBERS`, `ZCARD` and the namespace's root keys): those are the scheduler's.
pub const WORKER_QUEUE_COMMANDS: &[&str] = &[
    "-@all",
    // Sent by the client: a health check (connect), the scripts (loaded again when the
    // server lost them), waiting for wake-ups, and choosing a database other than 0.
    "+ping",
    "+evalsha",
    "+script|load",
    "+xread",
    "+select",
    // Run by the take, ack, extend and release scripts.
    "+time",
    "+get",
    "+set",
    "+del",
    "+hget",
    "+hmget",
    "+hincrby",
    "+hdel",
    "+zadd",
    "+zrem",
    "+zscore",
    "+zrange",
    "+zrangebyscore",
    "+zpopmin",
    "+xadd",
    "+xrevrange",
];

/// Why no rules could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AclError {
    /// The namespace is empty.
    #[error("queue namespace is empty; it must name the deployment (e.g. \"weft\")")]
    EmptyNamespace,
    /// A tenant's name cannot be one (and could reach other keys in a key pattern).
    #[error("tenant {tenant:?}: {issue}")]
    BadTenant {
        /// The name given.
        tenant: String,
        /// What is wrong with it.
        issue: TenantNameIssue,
    },
}

/// The rules (after the user's name and password) of the Redis user of a worker serving
/// `tenants` in `namespace`, in `ACL SETUSER` form:
///
/// - the queue: key patterns `~<namespace>:q:t:<tenant>:*` (the namespace's glob characters
///   escaped) with [`WORKER_QUEUE_COMMANDS`]. They reach no other tenant's keys and no
///   unscoped queue's, so the worker takes, acknowledges, extends and releases on
///   `<tenant>/<queue>` only, naming its tenants (not `*/<queue>`, which reads the
///   namespace's scope registry);
/// - the bus: one ACL selector granting `XADD` and only `XADD` on those tenants' report
///   streams, which the user may write but not read, whatever the root rules above allow
///   (the queue's commands include `DEL` and `SET`, which would otherwise reach the streams
///   too). `XADD` with `MAXLEN` or `MINID`, or with an ID of its own, still trims or blocks
///   the stream it writes: a tenant's user can harm its own tenants' reports that way, never
///   another tenant's. Selectors need Redis 7.
///
/// An empty namespace or a name that is not a tenant's is an [`AclError`].
pub fn worker_rules(namespace: &str, tenants: &[String]) -> Result<Vec<String>, AclError> {
    if namespace.is_empty() {
        return Err(AclError::EmptyNamespace);
    }
    for tenant in tenants {
        check_tenant_name(tenant).map_err(|issue| AclError::BadTenant {
            tenant: tenant.clone(),
            issue,
        })?;
    }
    let escaped = glob_escape(namespace);
    let root = queue_root(&escaped);
    let mut rules: Vec<String> = tenants
        .iter()
        .map(|tenant| format!("~{}*", scope_prefix(&root, tenant)))
        .collect();
    rules.extend(WORKER_QUEUE_COMMANDS.iter().map(|&rule| rule.to_owned()));
    if !tenants.is_empty() {
        let streams: Vec<String> = tenants
            .iter()
            .map(|tenant| format!("%W~{}", reports_stream(&escaped, tenant)))
            .collect();
        rules.push(format!("({} +xadd)", streams.join(" ")));
    }
    Ok(rules)
}

/// `text` with Redis glob characters escaped, to match itself only in an ACL key pattern.
pub fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_queue_pattern_and_one_report_stream_per_tenant() {
        let tenants = ["a".to_owned(), "team_b".to_owned()];
        let rules = worker_rules("weft", &tenants).expect("rules");
        assert_eq!(rules[..2], ["~weft:q:t:a:*", "~weft:q:t:team_b:*"]);
        assert_eq!(rules[2..rules.len() - 1], *WORKER_QUEUE_COMMANDS);
        assert_eq!(
            rules.last().map(String::as_str),
            Some("(%W~weft:bus:reports:a %W~weft:bus:reports:team_b +xadd)")
        );
        assert_eq!(
            worker_rules("weft", &[]),
            Ok(to_strings(WORKER_QUEUE_COMMANDS))
        );
    }

    fn to_strings(rules: &[&str]) -> Vec<String> {
        rules.iter().map(|&r| r.to_owned()).collect()
    }

    #[test]
    fn glob_characters_of_the_namespace_match_themselves() {
        let rules = worker_rules(r"we*f?t[1]\x", &["a".to_owned()]).expect("rules");
        assert_eq!(rules[0], r"~we\*f\?t\[1\]\\x:q:t:a:*");
        assert_eq!(
            rules.last().map(String::as_str),
            Some(r"(%W~we\*f\?t\[1\]\\x:bus:reports:a +xadd)")
        );
    }

    #[test]
    fn a_bad_tenant_or_namespace_gets_no_rules() {
        for bad in ["*", "", "a:b", "Team"] {
            let err = worker_rules("weft", &["a".to_owned(), bad.to_owned()]);
            assert!(
                matches!(&err, Err(AclError::BadTenant { tenant, .. }) if tenant == bad),
                "{bad:?}: {err:?}"
            );
        }
        assert_eq!(
            worker_rules("", &["a".to_owned()]),
            Err(AclError::EmptyNamespace)
        );
    }

    #[test]
    fn no_command_is_allowed_by_category() {
        assert_eq!(WORKER_QUEUE_COMMANDS.first(), Some(&"-@all"));
        for rule in &WORKER_QUEUE_COMMANDS[1..] {
            assert!(rule.starts_with('+') && !rule.contains('@'), "{rule}");
        }
    }
}
